"""Deadlines owned by tracing's records: T1, T2, T4, T5, T6 (declarations only; the engine is
deadlines/registry.py, the statutory calendar deadlines/calendar.py)."""

from django.urls import reverse

from core.models import OrgKind, Role
from deadlines.calendar_math import Period
from deadlines.registry import (
    DeadlineRule,
    Due,
    Fulfilment,
    Recurrence,
    Stop,
    Unit,
    identified_stop,
    left_stop,
)
from people.models import Episode
from tracing.models import DnaRequest, IdentityCheck, MonthlyReport, Talk


def _episode_link(episode) -> str:
    return reverse("people:episode", args=[episode.uuid])


def _label(episode) -> str:
    return f"{episode.person.name}（{episode.number}）"


def _unidentified_episodes(as_of):
    # Identity is judged by its history (identified_stop), not by today's status: reports about the past
    # must not change when someone is identified later.
    return Episode.objects.all()


_UNIDENTIFIED_STOPS = (left_stop(), identified_stop())

RULES = [
    # rule T1: still unidentified after the quick query → referred to the police within 24 hours of entry.
    DeadlineRule(
        id="T1",
        title="身份不明：入站24小时内提请公安身份核查",
        source="001",
        subjects=_unidentified_episodes,
        start="admitted_at",
        organisation="station",
        role=Role.TRACER,
        due=Due(24, Unit.HOURS),
        fulfilment=Fulfilment(records=lambda: IdentityCheck.objects.all(), link="episode", at="sent_at",
                              what="向公安机关发送身份核查"),
        stops=_UNIDENTIFIED_STOPS,
        label=_label,
        link=_episode_link,
        select_related=("person", "station"),
    ),
    # rule T2: the police answer within 48 hours of receiving the referral (the police unit's task; the
    # requesting station is told when it is late).
    DeadlineRule(
        id="T2",
        title="公安机关48小时内答复身份核查",
        source="001",
        subjects=lambda as_of: IdentityCheck.objects.all(),
        start="sent_at",
        organisation="police",
        role=Role.POLICE,
        due=Due(48, Unit.HOURS),
        fulfilment=Fulfilment(records=lambda: IdentityCheck.objects.all(), link="pk", at="answered_at",
                              what="答复身份核查（身份查询、人像识别结果）"),
        stops=(Stop("核查已关闭", path="closed_at"),),
        escalate="station",
        org_kinds=(OrgKind.POLICE,),
        label=lambda check: f"核查 {check.number}（{check.station.display_short}）",
        link=lambda check: _episode_link(check.episode),
        select_related=("person", "station", "episode"),
    ),
    # rule T4: talks at least 3 times a day during the first 72 hours after entry, then at least once a day.
    # Counted per local calendar day; the day of entry is within the first 72 hours and asks for 3 as well.
    DeadlineRule(
        id="T4",
        title="寻亲谈话：入站72小时内每天至少3次，此后每天至少1次",
        source="001",
        subjects=_unidentified_episodes,
        start="admitted_at",
        organisation="station",
        role=Role.TRACER,
        due=Due(0, Unit.HOURS),
        recurrence=Recurrence(Period.DAY, count=1, first_hours=72, first_count=3, entry_grace_hours=0),
        fulfilment=Fulfilment(records=lambda: Talk.objects.all(), link="episode", at="held_at",
                              what="进行寻亲谈话并记录"),
        stops=_UNIDENTIFIED_STOPS,
        label=_label,
        link=_episode_link,
        select_related=("person", "station"),
    ),
    # rule T5: within 7 working days of entry the station asks the police to take a DNA sample.
    DeadlineRule(
        id="T5",
        title="入站7个工作日内申请公安采集DNA",
        source="001",
        subjects=_unidentified_episodes,
        start="admitted_at",
        organisation="station",
        role=Role.TRACER,
        due=Due(7, Unit.WORKING_DAYS),
        fulfilment=Fulfilment(records=lambda: DnaRequest.objects.all(), link="episode", at="requested_at",
                              what="申请公安采集DNA"),
        stops=_UNIDENTIFIED_STOPS,
        label=_label,
        link=_episode_link,
        select_related=("person", "station"),
    ),
    # rule T6: DNA comparison results come back within 1 month of the sample (the station chases them).
    DeadlineRule(
        id="T6",
        title="DNA采样后1个月内取得比对结果",
        source="001",
        subjects=lambda as_of: DnaRequest.objects.all(),
        start="sample_taken_on",
        start_is_date=True,
        organisation="episode__station",
        role=Role.TRACER,
        due=Due(1, Unit.MONTHS),
        fulfilment=Fulfilment(records=lambda: DnaRequest.objects.exclude(result=""), link="pk", at="result_on",
                              at_is_date=True, what="登记DNA比对结果"),
        stops=(Stop("DNA申请已关闭", path="closed_at"),),
        person="episode__person",
        label=lambda dna: f"{dna.episode.person.name} DNA比对（{dna.police.display_short}）",
        link=lambda dna: _episode_link(dna.episode),
        select_related=("episode__person", "episode__station", "police"),
    ),
]


def _stations(as_of):
    from core.models import STATION_KINDS, Organisation

    return Organisation.objects.filter(kind__in=STATION_KINDS)


RULES.append(
    # rule T10: every month the station tells the supervision panel how many people are stranded and how
    # tracing stands — fulfilled by issuing that month's report (tracing.MonthlyReport, numbers and PDF
    # kept), which can only be done after the month ends: the report counts for the month it concerns.
    DeadlineRule(
        id="T10",
        title="每月向监督组报告滞留人数和寻亲进展（寻亲工作月报）",
        source="003",
        subjects=_stations,
        start="created_at",
        organisation="id",
        role=Role.HEAD,
        due=Due(10, Unit.DAYS),
        setting="T10_REPORT_GRACE_DAYS",
        recurrence=Recurrence(Period.MONTH, count=1),
        fulfilment=Fulfilment(records=lambda: MonthlyReport.objects.all(), link="station", at="issued_at",
                              period_at="period_start", what="报送上月寻亲工作月报（监督组）"),
        person=None,
        label=lambda station: f"{station.name} 寻亲工作月报",
        link=lambda station: reverse("tracing:report", args=[station.uuid]),
    )
)
