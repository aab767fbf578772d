"""The episode page's next step and what is still missing (issue 15): derived from the records, the state
machine (people.states) and the deadline registry — never from a list of its own."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from deadlines.tests.conftest import admit, local
from intake import services as intake
from people.selectors import episode_next_steps
from people.states import EXPECTED_NEXT, TRANSITIONS, EpisodeStatus
from stay import services as stay
from stay.tests.factories import station_beds

pytestmark = pytest.mark.django_db
ELIGIBLE = {"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True, "living_by_vagrancy": True,
            "decision": "eligible", "reason": "no_work"}


def _request(cast, channel="walk_in", answers=None):
    return intake.intake_register(by=cast.reception, station=cast.station, channel=channel,
                                  requested_at=timezone.now() - datetime.timedelta(minutes=30),
                                  person_data={"name": "王五", "sex": "男", "birth_date": datetime.date(1980, 1, 1)},
                                  answers=answers or ELIGIBLE)


def _labels(steps) -> list[str]:
    return [m["label"] for m in steps["missing"]]


def test_e1_every_expected_next_move_is_an_allowed_transition():
    for state, target in EXPECTED_NEXT.items():
        assert target in TRANSITIONS[state], (state, target)
    # every open state has an expected move, closed ones none
    assert {s for s, targets in TRANSITIONS.items() if targets} == set(EXPECTED_NEXT)


def test_i2_i3_a_new_request_asks_for_the_checks_before_admission(cast):
    ep = _request(cast)
    steps = episode_next_steps(episode=ep, user=cast.reception)
    assert steps["expected"] == EpisodeStatus.ADMITTED
    assert steps["next"]["label"] == "安全检查"
    assert steps["next"]["url"] == reverse("intake:safety_add", args=[ep.uuid])
    assert "未做安全检查" in _labels(steps) and "未做初步检视" in _labels(steps)
    intake.safety_check_add(by=cast.reception, episode=ep)
    steps = episode_next_steps(episode=ep, user=cast.reception)
    assert steps["next"]["label"] == "初步检视" and "未做安全检查" not in _labels(steps)


def test_i5_a_police_escort_needs_the_handover_before_admission(cast):
    ep = _request(cast, channel="police")
    intake.safety_check_add(by=cast.reception, episode=ep)
    intake.health_check_add(by=cast.reception, episode=ep, data={"physical": "良好", "mental": "清醒",
                                                                  "outcome": "admitted"})
    steps = episode_next_steps(episode=ep, user=cast.reception)
    assert steps["next"]["label"] == "填写护送交接表" and "缺护送交接表" in _labels(steps)


def test_n3_a_not_eligible_request_is_led_to_the_refusal_notice(cast):
    ep = _request(cast, answers={**ELIGIBLE, "living_by_vagrancy": False, "decision": "not_eligible",
                                       "decision_note": "有固定住所，临时路过"})
    steps = episode_next_steps(episode=ep, user=cast.reception)
    assert steps["next"]["url"] == reverse("intake:refuse", args=[ep.uuid])
    assert steps["next"]["label"] == "不予救助通知书"


def test_the_checks_done_admission_is_the_next_step_then_a_bed(cast):
    ep = _request(cast)
    intake.safety_check_add(by=cast.reception, episode=ep)
    intake.health_check_add(by=cast.reception, episode=ep, data={"physical": "良好", "mental": "清醒",
                                                                  "outcome": "admitted"})
    steps = episode_next_steps(episode=ep, user=cast.reception)
    assert steps["next"]["label"] == "办理入站（安全检查、初步检视后）"
    assert steps["next"]["method"] == "post" and steps["next"]["url"] == reverse("intake:admit", args=[ep.uuid])
    assert not [m for m in _labels(steps) if m.startswith("未做")]
    ep = intake.intake_admit(by=cast.reception, episode=ep)
    steps = episode_next_steps(episode=ep, user=cast.reception)
    assert steps["expected"] == EpisodeStatus.IN_STATION
    assert steps["next"]["label"] == "安排床位" and steps["next"]["why"] == "→ 在站"
    assert "未安排床位" in _labels(steps)
    assert steps["next"]["url"] == reverse("stay:bed_assign", args=[ep.uuid])


def test_t1_in_the_station_with_identity_unknown_tracing_comes_before_leaving(cast):
    ep = admit(cast, timezone.now() - datetime.timedelta(hours=2))
    beds = station_beds(cast)
    stay.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    ep.refresh_from_db()
    steps = episode_next_steps(episode=ep, user=cast.carer)
    assert steps["expected"] == EpisodeStatus.LEFT
    assert steps["next"]["label"] == "寻亲" and "未安排床位" not in _labels(steps)
    assert any(m.startswith("身份未查明") for m in _labels(steps))
    ep.person.identity_status = "identified"
    ep.person.save(update_fields=["identity_status"])
    steps = episode_next_steps(episode=ep, user=cast.carer)
    assert steps["next"]["label"] == "离站登记"
    assert steps["next"]["url"] == reverse("leaving:new", args=[ep.uuid])


def test_back_from_hospital_is_the_next_step_of_a_placement(cast):
    ep = admit(cast, timezone.now() - datetime.timedelta(hours=2))
    placement = stay.placement_start(by=cast.carer, episode=ep, kind="hospital", organisation=cast.hospital)
    ep.refresh_from_db()
    steps = episode_next_steps(episode=ep, user=cast.carer)
    assert steps["next"]["url"] == reverse("stay:placement_return", args=[placement.uuid])
    assert "未安排床位" not in _labels(steps)  # in hospital: no bed is expected


def test_n5_the_missing_list_carries_the_registrys_overdue_deadlines(cast):
    admitted_at = local(2026, 3, 2, 10)
    ep = admit(cast, admitted_at)
    with time_machine.travel(admitted_at + datetime.timedelta(days=10, minutes=-1), tick=False):
        items = {m["rule"]: m for m in episode_next_steps(episode=ep, user=cast.head)["missing"]}
        assert "N5" in items and not items["N5"]["overdue"]
    with time_machine.travel(admitted_at + datetime.timedelta(days=10, minutes=1), tick=False):
        items = {m["rule"]: m for m in episode_next_steps(episode=ep, user=cast.head)["missing"]}
        assert items["N5"]["overdue"] and items["N5"]["url"] == reverse("stay:extension_new", args=[ep.uuid])
        stay.stay_extension_record(by=cast.head, episode=ep, reason="等待公安核查身份")
        assert "N5" not in {m["rule"] for m in episode_next_steps(episode=ep, user=cast.head)["missing"]}


def test_a_closed_episode_offers_nothing_more(cast):
    ep = _request(cast, answers={**ELIGIBLE, "living_by_vagrancy": False, "decision": "not_eligible",
                                       "decision_note": "有固定住所，临时路过"})
    intake.intake_refuse(by=cast.reception, episode=ep, reason="拒不如实提供个人情况")
    ep.refresh_from_db()
    steps = episode_next_steps(episode=ep, user=cast.reception)
    assert steps["next"] is None and steps["missing"] == [] and steps["moves"] == []


def test_a_supervisor_sees_what_is_missing_but_is_offered_no_step(cast, client_for):
    ep = _request(cast)
    steps = episode_next_steps(episode=ep, user=cast.county_supervisor)
    assert steps["may_act"] is False and "未做安全检查" in _labels(steps)
    page = client_for(cast.county_supervisor).get(reverse("people:episode", args=[ep.uuid])).content.decode()
    assert "未做安全检查" in page and 'id="next-step"' not in page


def test_every_action_returns_to_the_episode_page_with_the_next_step(cast, client_for):
    ep = _request(cast)
    client = client_for(cast.reception)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("intake:safety_add", args=[ep.uuid]), {"checked_at": now, "note": "",
                                                                            "items-TOTAL_FORMS": "0",
                                                                            "items-INITIAL_FORMS": "0"})
    assert response.status_code == 302
    assert response["Location"] == reverse("people:episode", args=[ep.uuid]) + "#next-step"
    page = client.get(response["Location"]).content.decode()
    assert 'id="next-step"' in page and reverse("intake:health_add", args=[ep.uuid]) in page


def test_the_old_episode_addresses_redirect_to_the_one_page(cast, client_for):
    ep = _request(cast)
    client = client_for(cast.reception)
    target = reverse("people:episode", args=[ep.uuid])
    assert client.get(reverse("intake:episode", args=[ep.uuid]))["Location"] == target + "#intake-panel"
    assert client.get(reverse("stay:episode", args=[ep.uuid]))["Location"] == target + "#stay-panel"
    assert client_for(cast.outsider).get(reverse("intake:episode", args=[ep.uuid])).status_code == 404
    assert client_for(cast.outsider).get(reverse("stay:episode", args=[ep.uuid])).status_code == 404
