"""Helpers for intake tests: a registered request, and the records admission needs."""

import datetime

import pytest
from django.utils import timezone

from intake import services

MALE_ID = "44188119800101123X"  # 1980-01-01, 男
FEMALE_ID = "441881199005051241"  # 1990-05-05, 女

ELIGIBLE = {"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True, "living_by_vagrancy": True,
            "decision": "eligible", "reason": "no_work"}


def register(cast, *, by=None, channel="walk_in", name="张建国", sex="男", id_number="", person=None,
             requested_at=None, answers=None, **person_extra):
    return services.intake_register(
        by=by or cast.reception, station=(by or cast.reception).organisation, channel=channel,
        requested_at=requested_at, person=person, person_data={"name": name, "sex": sex, **person_extra},
        id_number=id_number, answers={**ELIGIBLE, **(answers or {})})


def checks_done(cast, episode, *, by=None):
    by = by or cast.reception
    services.safety_check_add(by=by, episode=episode)
    services.health_check_add(by=by, episode=episode, data={"physical": "良好", "mental": "清醒",
                                                            "outcome": "admitted"})


def handover(cast, episode):
    return services.handover_add(by=cast.reception, episode=episode, data={
        "escort_org": cast.police, "officers": "刘警官 012345", "handed_over_at": timezone.now(),
        "found_place": "英德市火车站广场", "found_how": "群众报警称有人露宿", "condition": "神志清醒，行动正常"})


def ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


@pytest.fixture
def episode(cast):
    return register(cast)
