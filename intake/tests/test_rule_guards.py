"""Intake rules at their boundaries and the checks every intake service makes before it writes (rules I1–I3,
I5, I7, N1, N3, N4, N6) — a check dropped or a limit moved by one fails here, with nothing saved."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditAction, AuditEntry
from intake import services
from intake.models import Belonging, ForeignCase, HealthCheck, HelpGiven, IntakeRecord, Notice, PoliceHandover
from intake.tests.conftest import checks_done, handover, register
from people.models import Episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(cast):
    return register(cast)


def _refused(cast, episode):
    services.intake_refuse(by=cast.reception, episode=episode, reason="拒不如实提供个人情况")
    episode.refresh_from_db()
    return episode


# ---------- I1: who registers, how ----------
def test_i1_only_a_rescue_station_registers_a_request_and_the_channel_is_known(cast):
    hospital_user = cast.reception
    with pytest.raises(ValidationError) as exc:
        services.intake_register(by=hospital_user, station=cast.hospital, channel="walk_in",
                                 person_data={"name": "甲", "sex": "男"}, answers={"decision": "help_first",
                                                                                  "unable_to_answer": True})
    assert set(exc.value.message_dict) == {"station"}
    with pytest.raises(ValidationError) as exc:
        services.intake_register(by=hospital_user, station=cast.station, channel="pigeon",
                                 person_data={"name": "甲", "sex": "男"}, answers={"decision": "help_first",
                                                                                  "unable_to_answer": True})
    assert set(exc.value.message_dict) == {"channel"}
    assert not Episode.objects.exists()


def test_n2_a_person_already_on_file_as_a_minor_may_be_helped_first(cast):
    first = register(cast, name="小明", birth_date=datetime.date(timezone.localdate().year - 10, 1, 1))
    _refused(cast, first)
    # the file says minor; nothing in this request's form says so — the file's flag is enough (rule N2)
    second = services.intake_register(by=cast.reception, station=cast.station, channel="walk_in", person=first.person,
                                      person_data={}, answers={"decision": "help_first"})
    assert IntakeRecord.objects.get(episode=second).decision == "help_first"


def test_n6_a_phone_request_keeps_its_recording_at_least_the_default_retention(cast, settings):
    ep = register(cast, channel="phone", answers={"recording_ref": "REC-1"})
    record = IntakeRecord.objects.get(episode=ep)
    days = settings.GUITU_RULES["N6_RECORDING_RETENTION_DAYS"]
    assert record.recording_keep_until == timezone.localtime(ep.requested_at).date() + datetime.timedelta(days=days)
    walk_in = register(cast, name="李四")
    assert IntakeRecord.objects.get(episode=walk_in).recording_keep_until is None


def test_n6_a_recording_kept_exactly_the_minimum_is_accepted(cast, settings):
    minimum = timezone.localdate() + datetime.timedelta(days=settings.GUITU_RULES["N6_RECORDING_RETENTION_DAYS"])
    ep = register(cast, channel="phone", answers={"recording_ref": "REC-2", "recording_keep_until": minimum})
    assert IntakeRecord.objects.get(episode=ep).recording_keep_until == minimum


# ---------- I2: the safety check ----------
@pytest.mark.parametrize(("hours_before", "ok"), [(24, True), (25, False)])
def test_i2_a_safety_check_is_dated_at_most_24_hours_before_the_request(cast, episode, hours_before, ok):
    at = episode.requested_at - datetime.timedelta(hours=hours_before)
    if ok:
        assert services.safety_check_add(by=cast.reception, episode=episode, checked_at=at).checked_at == at
    else:
        with pytest.raises(ValidationError) as exc:
            services.safety_check_add(by=cast.reception, episode=episode, checked_at=at)
        assert set(exc.value.message_dict) == {"checked_at"}


def test_i2_a_dangerous_item_names_its_kind_description_and_handling(cast, episode):
    item = {"kind": "", "description": " ", "reported_to": cast.police, "reported_at": timezone.now(),
            "handling": ""}
    with pytest.raises(ValidationError) as exc:
        services.safety_check_add(by=cast.reception, episode=episode, items=[{**item, "kind": "knife"}])
    assert "物品描述" in exc.value.message_dict["items"][0] and "处置情况" in exc.value.message_dict["items"][0]
    with pytest.raises(ValidationError) as exc:  # reported to the police, but with no time of the report
        services.safety_check_add(by=cast.reception, episode=episode, items=[
            {"kind": "knife", "description": "水果刀", "reported_to": cast.police, "reported_at": None,
             "handling": "移交公安"}])
    assert "规则I2" in exc.value.message_dict["items"][0]


# ---------- I3: the health check ----------
def test_i3_the_health_check_records_body_and_mind(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.health_check_add(by=cast.reception, episode=episode,
                                  data={"physical": "良好", "mental": " ", "outcome": "admitted"})
    assert set(exc.value.message_dict) == {"mental"}
    assert not HealthCheck.objects.exists()


def test_i3_no_health_check_or_handover_on_a_closed_episode(cast, episode):
    _refused(cast, episode)
    with pytest.raises(ValidationError, match="已结束"):
        services.health_check_add(by=cast.reception, episode=episode,
                                  data={"physical": "良好", "mental": "清醒", "outcome": "admitted"})
    with pytest.raises(ValidationError, match="已结束"):
        handover(cast, episode)
    with pytest.raises(ValidationError, match="已结束"):
        services.belonging_add(by=cast.reception, episode=episode, item="背包")
    with pytest.raises(ValidationError, match="已结束"):
        services.help_add(by=cast.reception, episode=episode, kind="food")
    assert not (HealthCheck.objects.exists() or PoliceHandover.objects.exists() or Belonging.objects.exists()
                or HelpGiven.objects.exists())


def test_i5_the_handover_is_audited(cast):
    ep = register(cast, channel="police")
    record = handover(cast, ep)
    entry = AuditEntry.objects.get(object_type="intake.PoliceHandover", object_id=str(record.uuid))
    assert entry.action == AuditAction.CREATE and entry.changes["officers"] == [None, "刘警官 012345"]


# ---------- I2: belongings ----------
def test_i2_a_belonging_counts_one_by_default(cast, episode):
    assert services.belonging_add(by=cast.reception, episode=episode, item="背包").quantity == 1


@pytest.mark.parametrize(("quantity", "ok"), [(1, True), (0, False), (-1, False), (None, False)])
def test_i2_several_belongings_each_count_at_least_one(cast, episode, quantity, ok):
    rows = [{"item": "手机", "quantity": 1}, {"item": "背包", "quantity": quantity}]
    if ok:
        assert len(services.belongings_add(by=cast.reception, episode=episode, items=rows)) == 2
    else:
        with pytest.raises(ValidationError) as exc:
            services.belongings_add(by=cast.reception, episode=episode, items=rows)
        assert "第2行：数量至少为1" in exc.value.message_dict["items"][0]
        assert not Belonging.objects.exists()


def test_i2_returning_belongings_is_audited_old_to_new(cast, episode):
    belonging = services.belonging_add(by=cast.reception, episode=episode, item="手机")
    services.belongings_return_all(by=cast.carer, episode=episode)
    entry = AuditEntry.objects.get(object_type="intake.Belonging", object_id=str(belonging.uuid),
                                   action=AuditAction.UPDATE)
    assert entry.actor == cast.carer and "归还代管物品" in entry.summary
    assert entry.changes["returned_at"][0] is None and entry.changes["returned_at"][1]
    assert entry.changes["returned_by"] == [None, str(cast.carer)]


# ---------- admission: every missing step is named ----------
def test_i1_admission_needs_the_request_record(cast, episode):
    checks_done(cast, episode)
    IntakeRecord.objects.filter(episode=episode).delete()
    with pytest.raises(ValidationError, match="尚未填写求助登记"):
        services.intake_admit(by=cast.reception, episode=episode)
    assert Episode.objects.get(pk=episode.pk).status == "requested"


def test_n1_a_not_eligible_decision_blocks_admission_with_its_reason(cast):
    ep = register(cast, answers={"decision": "not_eligible", "decision_note": "有稳定收入"})
    checks_done(cast, ep)
    with pytest.raises(ValidationError, match="不符合救助条件"):
        services.intake_admit(by=cast.reception, episode=ep)
    assert Episode.objects.get(pk=ep.pk).status == "requested"


def test_i3_admission_needs_a_health_check_and_names_a_wrong_outcome(cast, episode):
    services.safety_check_add(by=cast.reception, episode=episode)
    with pytest.raises(ValidationError, match="尚未进行初步检视"):
        services.intake_admit(by=cast.reception, episode=episode)
    services.health_check_add(by=cast.reception, episode=episode, data={
        "physical": "良好", "mental": "清醒", "outcome": "police", "suspected_drug_use": True,
        "police": cast.police, "police_reported_at": timezone.now()})
    with pytest.raises(ValidationError, match="不能直接入站"):
        services.intake_admit(by=cast.reception, episode=episode)
    assert Episode.objects.get(pk=episode.pk).status == "requested"


def test_i5_admission_of_an_escorted_person_names_the_missing_handover(cast):
    ep = register(cast, channel="police")
    checks_done(cast, ep)
    with pytest.raises(ValidationError, match="护送交接表"):
        services.intake_admit(by=cast.reception, episode=ep)


# ---------- N3: notices ----------
def test_n3_a_refusal_notice_is_audited_and_closes_the_episode(cast, episode):
    notice = services.intake_refuse(by=cast.reception, episode=episode, reason="拒不如实提供个人情况")
    assert Episode.objects.get(pk=episode.pk).status == "refused"
    entry = AuditEntry.objects.get(object_type="intake.Notice", object_id=str(notice.uuid))
    assert entry.action == AuditAction.CREATE and notice.number in entry.summary
    assert entry.changes["reason"] == [None, "拒不如实提供个人情况"] and entry.changes["kind"] == [None, "refusal"]


def test_n3_a_termination_needs_a_reason(cast):
    from stay.tests.factories import admitted_episode

    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        services.intake_terminate(by=cast.head, episode=ep, reason="  ")
    assert "规则N3" in exc.value.message_dict["reason"][0]
    assert Episode.objects.get(pk=ep.pk).status == "admitted" and not Notice.objects.exists()


# ---------- N4: help given ----------
@pytest.mark.parametrize(("length", "ok"), [(200, True), (201, False)])
def test_n4_help_is_described_in_at_most_200_characters(cast, episode, length, ok):
    text = "饭" * length
    if ok:
        assert services.help_add(by=cast.reception, episode=episode, kind="food", description=text).description == text
    else:
        with pytest.raises(ValidationError) as exc:
            services.help_add(by=cast.reception, episode=episode, kind="food", description=text)
        assert set(exc.value.message_dict) == {"description"}
        assert not HelpGiven.objects.exists()


def test_n4_help_needs_a_known_kind_and_other_help_a_description(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.help_add(by=cast.reception, episode=episode, kind="magic")
    assert set(exc.value.message_dict) == {"kind"}
    with pytest.raises(ValidationError) as exc:
        services.help_add(by=cast.reception, episode=episode, kind="other")
    assert set(exc.value.message_dict) == {"description"}
    assert not HelpGiven.objects.exists()


@pytest.mark.parametrize(("before", "ok"), [(datetime.timedelta(minutes=5), True),
                                            (datetime.timedelta(minutes=5, seconds=1), False)])
def test_n4_help_is_dated_at_most_5_minutes_before_the_request(cast, before, ok):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        ep = register(cast, requested_at=now - datetime.timedelta(hours=1))
        at = ep.requested_at - before
        if ok:
            assert services.help_add(by=cast.reception, episode=ep, kind="food", given_at=at).given_at == at
        else:
            with pytest.raises(ValidationError) as exc:
                services.help_add(by=cast.reception, episode=ep, kind="food", given_at=at)
            assert set(exc.value.message_dict) == {"given_at"}


# ---------- I7: the foreign national's case ----------
def _foreign_case(cast):
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=5), tick=False):
        ep = register(cast, name="阮文雄", suspected_foreign=True, answers={"foreign_police_note": "已报告清城分局"})
    return ForeignCase.objects.get(episode=ep)


def _ago(hours):
    return timezone.now() - datetime.timedelta(hours=hours)


def test_i7_the_outcome_is_one_of_the_known_ones(cast):
    case = _foreign_case(cast)
    with pytest.raises(ValidationError) as exc:
        services.foreign_case_update(by=cast.reception, case=case, data={"outcome": "unknown"})
    assert exc.value.message_dict["outcome"] == ["请选择核实结果。"]
    assert ForeignCase.objects.get(pk=case.pk).outcome == "pending"


def test_i7_only_illegal_entry_is_handed_to_the_police(cast):
    case = _foreign_case(cast)
    with pytest.raises(ValidationError) as exc:
        services.foreign_case_update(by=cast.reception, case=case, data={
            "outcome": "legal", "police": cast.police, "confirmed_at": _ago(3), "nationality": "英国",
            "handed_to_police_at": _ago(2)})
    assert set(exc.value.message_dict) == {"handed_to_police_at"}
    assert ForeignCase.objects.get(pk=case.pk).outcome == "pending"


def test_i7_the_nationality_is_recorded_for_a_confirmed_case(cast):
    case = _foreign_case(cast)
    with pytest.raises(ValidationError) as exc:
        services.foreign_case_update(by=cast.reception, case=case, data={
            "outcome": "legal", "police": cast.police, "confirmed_at": _ago(3)})
    assert set(exc.value.message_dict) == {"nationality"}


def test_i7_a_step_dated_before_the_confirmation_is_refused(cast):
    case = _foreign_case(cast)
    with pytest.raises(ValidationError) as exc:
        services.foreign_case_update(by=cast.reception, case=case, data={
            "outcome": "legal", "police": cast.police, "confirmed_at": _ago(2), "nationality": "英国",
            "fao_notified_at": _ago(3), "fao_contact": "市外事办"})
    assert "早于公安核实时间" in exc.value.message_dict["fao_notified_at"][0]
    case = services.foreign_case_update(by=cast.reception, case=case, data={
        "outcome": "legal", "police": cast.police, "confirmed_at": _ago(2), "nationality": "英国",
        "fao_notified_at": _ago(1), "fao_contact": "市外事办"})
    assert ForeignCase.objects.get(pk=case.pk).fao_notified_at is not None
