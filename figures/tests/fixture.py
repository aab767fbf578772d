"""A hand-counted quarter (2025 Q1) at the cast's stations, built through the apps' services.

清远 city (seen by the city department): 英德站 (cast.station) and 清远站 (cast.city_station); 乳源站
(cast.other_station) belongs to another city. Every figure the tests expect is counted by hand below.

| who | station | sex | age at request | 户籍 | reason | groups | requested | admitted | left (how) | identified |
| A | 英德 | 男 | 74 (70+) | 441881 英德 | robbed | elderly | 01-10 | 01-10 | 01-20 self (10 days: 4-10) | — |
| B | 英德 | 女 | 14 (14-17) | 430102 长沙 | family_conflict | minor | 02-03 | 02-03 | — | 02-05 DNA |
| C | 英德 | 男 | unknown | — | illness | disability | 02-10 | refused | — | — |
| D | 清远 | 男 | 45 (35-59) | 441802 清城 | no_work | — | 03-01 | 03-01 | 03-01 no formalities (0-1) | — |
| E | 乳源 | 女 | 35 (35-59) | 440232 乳源 | robbed | — | 01-15 | 01-15 | — | — |
"""

import datetime
from types import SimpleNamespace

import time_machine
from django.utils import timezone

from core.models import Division
from intake import services as intake
from intake.models import HealthOutcome
from leaving import services as leaving
from people.models import Channel

TZ = timezone.get_fixed_timezone(8 * 60)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2025, month, day, hour, minute, tzinfo=TZ)


def _answers(reason: str, decision: str = "eligible") -> dict:
    return {"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True, "living_by_vagrancy": True,
            "decision": decision, "reason": reason, "subsistence": "none", "residence": "无",
            **({"decision_note": "有住所"} if decision == "not_eligible" else {})}


def _division(code: str) -> Division:
    """A division of the fixture, created when the seed data lacks it."""
    province, city = code[:2] + "0000", code[:4] + "00"
    names = {"430000": "湖南省", "430100": "长沙市", "430102": "芙蓉区"}
    parent = None
    for c, level in ((province, "province"), (city, "city"), (code, "county")):
        parent, _ = Division.objects.get_or_create(code=c, defaults={"name": names.get(c, c), "level": level,
                                                                      "parent": parent})
    return parent


def register(*, by, station, when, name, sex, reason, birth_date=None, hukou=None, decision="eligible", **flags):
    with time_machine.travel(when + datetime.timedelta(minutes=1), tick=False):
        return intake.intake_register(
            by=by, station=station, channel=Channel.WALK_IN, requested_at=when,
            person_data={"name": name, "sex": sex, "birth_date": birth_date,
                         "hukou_division": _division(hukou) if hukou else None, **flags},
            answers=_answers(reason, decision))


def admit(episode, *, by, when):
    with time_machine.travel(when + datetime.timedelta(minutes=10), tick=False):
        intake.safety_check_add(by=by, episode=episode, checked_at=when)
        intake.health_check_add(by=by, episode=episode, data={"checked_at": when, "physical": "良好", "mental": "清楚",
                                                               "outcome": HealthOutcome.ADMITTED})
        return intake.intake_admit(by=by, episode=episode, at=when + datetime.timedelta(minutes=5))


def leave(episode, *, by, when, exit_type, data):
    with time_machine.travel(when + datetime.timedelta(minutes=1), tick=False):
        return leaving.departure_create(by=by, episode=episode, exit_type=exit_type, left_at=when, data=data)


def build_quarter(cast) -> SimpleNamespace:
    from tracing import services as tracing

    r = cast.reception
    a = admit(register(by=r, station=cast.station, when=at(1, 10), name="甲统计", sex="男", reason="robbed",
                       birth_date=datetime.date(1950, 5, 1), hukou="441881", is_elderly=True), by=r, when=at(1, 10))
    leave(a, by=r, when=at(1, 20, 9), exit_type="self", data={"declaration_signed": True, "destination": "广州"})
    b = admit(register(by=r, station=cast.station, when=at(2, 3), name="乙统计", sex="女", reason="family_conflict",
                       birth_date=datetime.date(2010, 3, 1), hukou="430102", is_minor=True), by=r, when=at(2, 3))
    with time_machine.travel(at(2, 5, 15), tick=False):
        tracing.identity_confirm(by=cast.tracer, person=b.person, method="dna", evidence="DNA比对一致")
    c = register(by=r, station=cast.station, when=at(2, 10), name="丙统计", sex="男", reason="illness",
                 has_disability=True, decision="not_eligible")
    with time_machine.travel(at(2, 10, 11), tick=False):
        intake.intake_refuse(by=r, episode=c, reason="有固定住所", at=at(2, 10, 11))
    cr = cast.city_reception
    d = admit(register(by=cr, station=cast.city_station, when=at(3, 1, 8), name="丁统计", sex="男", reason="no_work",
                       birth_date=datetime.date(1980, 1, 1), hukou="441802"), by=cr, when=at(3, 1, 8))
    leave(d, by=cr, when=at(3, 1, 18), exit_type="no_formalities", data={"written_record": "当日傍晚未办手续自行离开站区，已记录经过"})
    e = admit(register(by=cast.outsider, station=cast.other_station, when=at(1, 15), name="戊统计", sex="女",
                       reason="robbed", birth_date=datetime.date(1990, 1, 1), hukou="440232"),
              by=cast.outsider, when=at(1, 15))
    return SimpleNamespace(a=a, b=b, c=c, d=d, e=e)
