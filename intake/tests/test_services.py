"""Intake services, one test per rule behaviour (rules N1–N3, N6, I1–I3, I5–I7)."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditEntry
from intake import services
from intake.models import (
    Belonging,
    DangerousItem,
    HealthCheck,
    IntakeRecord,
    Notice,
    PoliceHandover,
    SafetyCheck,
)
from intake.selectors import belongings_outstanding, episode_panel
from intake.tests.conftest import ELIGIBLE, MALE_ID, ago, checks_done, handover, register
from people.models import Episode, Person

pytestmark = pytest.mark.django_db


def counts():
    return (Person.objects.count(), Episode.objects.count(), IntakeRecord.objects.count(), Notice.objects.count(),
            SafetyCheck.objects.count(), DangerousItem.objects.count(), HealthCheck.objects.count())


# ---------- I1 / N2: every request recorded ----------
def test_i1_a_request_opens_a_file_an_episode_and_its_record_with_audit(cast):
    ep = register(cast, id_number=MALE_ID, answers={"residence": "英德市英城街道", "relatives": "妻 王芳"})
    assert ep.status == "requested" and ep.station == cast.station
    assert ep.intake.residence == "英德市英城街道" and ep.intake.received_by == cast.reception
    assert ep.person.id_number_masked.endswith("123X")
    assert AuditEntry.objects.filter(object_type="intake.IntakeRecord", person_uuid=ep.person.uuid).exists()


def test_i1_a_second_request_can_attach_to_the_existing_file(cast, episode):
    services.intake_refuse(by=cast.reception, episode=episode, reason="拒不提供真实信息")
    again = register(cast, person=episode.person)
    assert again.person == episode.person and Person.objects.count() == 1


def test_i1_request_time_in_the_future_is_refused_and_nothing_is_saved(cast):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        register(cast, requested_at=timezone.now() + datetime.timedelta(hours=2))
    assert "求助时间不能晚于当前时间" in str(exc.value)
    assert counts() == before


def test_i4_an_invalid_id_number_is_refused_with_a_chinese_message_and_nothing_saved(cast):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        register(cast, id_number="441881198001011230")
    assert "id_number" in exc.value.message_dict
    assert counts() == before


def test_i1_only_a_station_can_register_requests(cast):
    with pytest.raises(ValidationError) as exc:
        services.intake_register(by=cast.admin, station=cast.city_dept, channel="walk_in",
                                 person_data={"name": "张三"}, answers=ELIGIBLE)
    assert "不是救助管理机构" in str(exc.value)


# ---------- N1 / N2: eligibility ----------
def test_n1_eligible_needs_all_four_conditions(cast):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        register(cast, answers={"no_relatives": False})
    assert "四项条件" in exc.value.message_dict["decision"][0]
    assert counts() == before


def test_n1_people_on_dibao_cannot_be_marked_as_not_on_subsistence(cast):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        register(cast, answers={"subsistence": "dibao"})
    assert "not_on_subsistence" in exc.value.message_dict
    assert counts() == before


def test_n1_not_eligible_needs_a_note(cast):
    with pytest.raises(ValidationError) as exc:
        register(cast, answers={"decision": "not_eligible"})
    assert "decision_note" in exc.value.message_dict


def test_n2_help_first_is_only_for_the_old_young_disabled_or_unable_to_answer(cast):
    with pytest.raises(ValidationError) as exc:
        register(cast, answers={"decision": "help_first", "no_relatives": False})
    assert "先行救助" in exc.value.message_dict["decision"][0]
    ep = register(cast, name="", answers={"decision": "help_first", "unable_to_answer": True, "cannot_pay": False})
    assert ep.intake.decision == "help_first" and ep.person.name_is_provisional
    elderly = register(cast, name="李大爷", age_min=70, age_max=75, is_elderly=True,
                       answers={"decision": "help_first", "no_relatives": False})
    assert elderly.intake.decision == "help_first"


def test_n1_a_not_eligible_request_cannot_be_admitted(cast):
    ep = register(cast, answers={"decision": "not_eligible", "decision_note": "有亲属可投靠", "no_relatives": False})
    checks_done(cast, ep)
    with pytest.raises(ValidationError) as exc:
        services.intake_admit(by=cast.reception, episode=ep)
    assert "不符合救助条件" in str(exc.value)
    ep.refresh_from_db()
    assert ep.status == "requested"


# ---------- N6: hotline recording ----------
def test_n6_phone_request_needs_a_recording_reference(cast):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        register(cast, channel="phone")
    assert "录音编号" in exc.value.message_dict["recording_ref"][0]
    assert counts() == before


def test_n6_recording_is_kept_at_least_the_configured_days(cast):
    ep = register(cast, channel="phone", answers={"recording_ref": "REC-20260101-001"})
    days = settings.GUITU_RULES["N6_RECORDING_RETENTION_DAYS"]
    assert ep.intake.recording_keep_until == timezone.localdate() + datetime.timedelta(days=days)
    with pytest.raises(ValidationError) as exc:
        register(cast, channel="phone", answers={"recording_ref": "REC-2", "recording_keep_until": timezone.localdate()})
    assert "recording_keep_until" in exc.value.message_dict


def test_n6_missing_fingerprint_and_photo_are_shown_as_warnings(cast, episode):
    panel = episode_panel(episode=episode, user=cast.reception)
    assert any("指纹" in w for w in panel["warnings"]) and any("人像" in w for w in panel["warnings"])


# ---------- I6: repeat requests ----------
def test_i6_third_request_within_six_months_is_flagged(cast):
    start = timezone.now() - datetime.timedelta(days=200)
    with time_machine.travel(start, tick=False):
        first = register(cast)
    with time_machine.travel(start + datetime.timedelta(days=60), tick=False):
        services.intake_refuse(by=cast.reception, episode=first, reason="提供虚假信息")
        second = register(cast, person=first.person)
    with time_machine.travel(start + datetime.timedelta(days=150), tick=False):
        services.intake_refuse(by=cast.reception, episode=second, reason="提供虚假信息")
        third = register(cast, person=first.person)
    assert not first.flag_repeat_requests and not second.flag_repeat_requests
    assert Episode.objects.get(pk=third.pk).flag_repeat_requests
    assert AuditEntry.objects.filter(summary__contains="重点甄别", person_uuid=first.person.uuid).exists()


def test_i6_third_request_after_seven_months_is_not_flagged(cast):
    start = timezone.now() - datetime.timedelta(days=300)
    with time_machine.travel(start, tick=False):
        first = register(cast)
        services.intake_refuse(by=cast.reception, episode=first, reason="提供虚假信息")
    with time_machine.travel(start + datetime.timedelta(days=30), tick=False):
        second = register(cast, person=first.person)
        services.intake_refuse(by=cast.reception, episode=second, reason="提供虚假信息")
    with time_machine.travel(start + datetime.timedelta(days=215), tick=False):
        third = register(cast, person=first.person)
    assert not Episode.objects.get(pk=third.pk).flag_repeat_requests


def test_i6_requests_at_other_stations_count_too(cast):
    first = register(cast, requested_at=ago(days=40))
    services.intake_refuse(by=cast.reception, episode=first, reason="虚假信息", at=ago(days=39))
    second = register(cast, by=cast.city_reception, person=first.person, requested_at=ago(days=20))
    services.intake_refuse(by=cast.city_reception, episode=second, reason="虚假信息", at=ago(days=19))
    third = register(cast, person=first.person)
    assert third.flag_repeat_requests


# ---------- I7: suspected foreign nationals ----------
def test_i7_suspected_foreign_national_needs_a_police_report_note(cast):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        register(cast, name="阮文雄", suspected_foreign=True)
    assert "foreign_police_note" in exc.value.message_dict
    assert counts() == before


def test_i7_suspected_foreign_national_flags_the_episode(cast):
    ep = register(cast, name="阮文雄", suspected_foreign=True,
                  answers={"foreign_police_note": "已电话报告清城分局，请核实身份"})
    assert ep.flag_foreign and Episode.objects.get(pk=ep.pk).flag_foreign


def test_i7_the_case_is_followed_through_police_confirmation_then_handover_each_step_dated(cast):
    from intake.models import ForeignCase

    with time_machine.travel(ago(hours=5), tick=False):
        ep = register(cast, name="阮文雄", suspected_foreign=True,
                      answers={"foreign_police_note": "已电话报告清城分局，请核实身份"})
    case = ForeignCase.objects.get(episode=ep)
    assert case.outcome == "pending" and case.reported_at == ep.requested_at and case.next_step == "待公安机关核实身份"
    assert AuditEntry.objects.filter(object_type="intake.ForeignCase", person_uuid=ep.person.uuid).count() == 1
    # a step out of order or undated is refused and changes nothing
    with pytest.raises(ValidationError) as exc:
        services.foreign_case_update(by=cast.reception, case=case, data={"outcome": "illegal"})
    assert {"police", "confirmed_at", "nationality"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        services.foreign_case_update(by=cast.reception, case=case, data={
            "outcome": "illegal", "police": cast.police, "confirmed_at": ago(hours=2), "nationality": "越南",
            "fao_notified_at": ago(hours=1), "fao_contact": "市外事办"})
    assert "合法入境" in exc.value.message_dict["fao_notified_at"][0]
    with pytest.raises(ValidationError) as exc:
        services.foreign_case_update(by=cast.reception, case=case, data={
            "outcome": "illegal", "police": cast.police, "confirmed_at": ago(hours=6), "nationality": "越南"})
    assert "早于报告时间" in exc.value.message_dict["confirmed_at"][0]
    assert ForeignCase.objects.get(pk=case.pk).outcome == "pending"
    case = services.foreign_case_update(by=cast.reception, case=case, data={
        "outcome": "illegal", "police": cast.police, "confirmed_at": ago(hours=2), "nationality": "越南"})
    assert case.next_step == "移交公安机关"
    case = services.foreign_case_update(by=cast.reception, case=case, data={"handed_to_police_at": ago(hours=1)})
    assert case.next_step == ""
    entry = AuditEntry.objects.filter(object_type="intake.ForeignCase").order_by("-id").first()
    assert entry.changes["handed_to_police_at"][0] is None and entry.changes["handed_to_police_at"][1]


def test_i7_legal_entry_notifies_the_foreign_affairs_office(cast):
    from intake.models import ForeignCase

    with time_machine.travel(ago(hours=5), tick=False):
        ep = register(cast, name="Tom", suspected_foreign=True, answers={"foreign_police_note": "已报告"})
    case = ForeignCase.objects.get(episode=ep)
    with pytest.raises(ValidationError) as exc:
        services.foreign_case_update(by=cast.reception, case=case, data={
            "outcome": "legal", "police": cast.police, "confirmed_at": ago(hours=2), "nationality": "英国",
            "fao_notified_at": ago(hours=1)})
    assert "fao_contact" in exc.value.message_dict
    case = services.foreign_case_update(by=cast.reception, case=case, data={
        "outcome": "legal", "police": cast.police, "confirmed_at": ago(hours=2), "nationality": "英国",
        "fao_notified_at": ago(hours=1), "fao_contact": "清远市外事办 李科长"})
    assert case.next_step == "" and case.fao_contact == "清远市外事办 李科长"


# ---------- R4 / N1: temporarily stranded people ----------
def test_r4_a_temporarily_stranded_person_is_helped_without_the_vagrancy_test(cast):
    answers = {"decision": "temporary", "cannot_pay": True, "no_relatives": False, "living_by_vagrancy": False,
               "reason": "stranded", "reason_text": "返乡途中钱包被盗，无钱购票"}
    ep = register(cast, answers=answers)
    assert ep.intake.decision == "temporary"
    checks_done(cast, ep)
    services.intake_admit(by=cast.reception, episode=ep)
    meal = services.help_add(by=cast.reception, episode=ep, kind="food", description="晚餐一份")
    services.help_add(by=cast.reception, episode=ep, kind="lodging", description="临时住宿一晚")
    assert [h.kind for h in episode_panel(episode=ep, user=cast.reception)["help_given"]] == ["food", "lodging"]
    entry = AuditEntry.objects.get(object_type="intake.HelpGiven", object_id=str(meal.uuid))
    assert entry.changes["kind"] == [None, "food"] and entry.organisation == cast.station


def test_r4_temporary_help_still_needs_inability_to_pay_and_what_happened(cast):
    with pytest.raises(ValidationError) as exc:
        register(cast, answers={"decision": "temporary", "cannot_pay": False, "living_by_vagrancy": False})
    assert set(exc.value.message_dict) == {"cannot_pay", "reason_text"}
    assert not Episode.objects.exists()


def test_n4_help_given_cannot_be_in_the_future_or_on_a_closed_episode(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.help_add(by=cast.reception, episode=episode, kind="food",
                          given_at=timezone.now() + datetime.timedelta(hours=1))
    assert "given_at" in exc.value.message_dict
    services.intake_refuse(by=cast.head, episode=episode, reason="拒不如实提供个人情况")
    with pytest.raises(ValidationError, match="已结束"):
        services.help_add(by=cast.reception, episode=episode, kind="food")


# ---------- I2: safety check, dangerous items, belongings ----------
def test_i2_dangerous_item_without_police_report_is_refused_and_nothing_saved(cast, episode):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.safety_check_add(by=cast.reception, episode=episode,
                                  items=[{"kind": "knife", "description": "匕首一把", "handling": "暂扣"}])
    assert "未报告公安机关" in exc.value.message_dict["items"][0]
    assert counts() == before


def test_i2_dangerous_item_reported_to_a_non_police_body_is_refused(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.safety_check_add(by=cast.reception, episode=episode, items=[{
            "kind": "knife", "description": "匕首", "reported_to": cast.hospital, "reported_at": ago(minutes=5),
            "handling": "移交"}])
    assert "不是公安机关" in str(exc.value)


def test_i2_dangerous_item_reported_to_police_is_recorded(cast, episode):
    check = services.safety_check_add(by=cast.reception, episode=episode, items=[{
        "kind": "corrosive", "description": "硫酸一瓶", "reported_to": cast.police, "reported_at": ago(minutes=5),
        "handling": "已移交清城分局"}])
    assert check.result == "dangerous" and check.items.get().reported_to == cast.police


def test_i2_belongings_are_kept_and_returned_all_at_once(cast, episode):
    services.belonging_add(by=cast.reception, episode=episode, item="手机", quantity=1, description="黑色")
    services.belonging_add(by=cast.reception, episode=episode, item="现金", quantity=35)
    assert belongings_outstanding(episode).count() == 2
    assert services.belongings_return_all(by=cast.carer, episode=episode) == 2
    assert belongings_outstanding(episode).count() == 0
    assert services.belongings_return_all(by=cast.carer, episode=episode) == 0
    assert Belonging.objects.filter(returned_by=cast.carer, returned_signed=True).count() == 2


def test_i2_a_belonging_needs_a_name_and_a_positive_quantity(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.belonging_add(by=cast.reception, episode=episode, item=" ", quantity=0)
    assert set(exc.value.message_dict) == {"item", "quantity"}
    assert not Belonging.objects.exists()


def test_i2_admission_needs_a_safety_check(cast, episode):
    services.health_check_add(by=cast.reception, episode=episode, data={"physical": "良好", "mental": "清醒",
                                                                         "outcome": "admitted"})
    with pytest.raises(ValidationError) as exc:
        services.intake_admit(by=cast.reception, episode=episode)
    assert "安全检查" in str(exc.value)


# ---------- I3: health check ----------
def test_i3_admission_needs_a_health_check_with_outcome_admitted(cast, episode):
    services.safety_check_add(by=cast.reception, episode=episode)
    with pytest.raises(ValidationError) as exc:
        services.intake_admit(by=cast.reception, episode=episode)
    assert "初步检视" in str(exc.value)
    checks_done(cast, episode)
    ep = services.intake_admit(by=cast.reception, episode=episode)
    assert ep.status == "admitted" and ep.admitted_at


def test_i3_suspected_mental_disorder_must_go_to_a_designated_hospital(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.health_check_add(by=cast.reception, episode=episode, data={
            "physical": "一般", "mental": "言语混乱", "suspected_mental_disorder": True, "outcome": "admitted"})
    assert "定点医疗机构" in exc.value.message_dict["outcome"][0]
    with pytest.raises(ValidationError) as exc:
        services.health_check_add(by=cast.reception, episode=episode, data={
            "physical": "一般", "mental": "言语混乱", "suspected_mental_disorder": True, "outcome": "hospital",
            "hospital": cast.police})
    assert "hospital" in exc.value.message_dict
    assert not HealthCheck.objects.exists()


def test_i3_sending_to_hospital_moves_the_episode_to_in_hospital(cast, episode):
    services.health_check_add(by=cast.reception, episode=episode, data={
        "physical": "一般", "mental": "言语混乱", "suspected_mental_disorder": True, "outcome": "hospital",
        "hospital": cast.hospital})
    episode.refresh_from_db()
    assert episode.status == "in_hospital"


def test_i3_acute_illness_calls_emergency_first(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.health_check_add(by=cast.reception, episode=episode, data={
            "physical": "昏迷", "mental": "无法判断", "acute_illness": True, "outcome": "admitted"})
    assert "120" in exc.value.message_dict["outcome"][0]
    services.health_check_add(by=cast.reception, episode=episode, data={
        "physical": "昏迷", "mental": "无法判断", "acute_illness": True, "outcome": "emergency"})
    episode.refresh_from_db()
    assert episode.status == "in_hospital"


def test_i3_suspected_drug_use_must_be_reported_to_police(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.health_check_add(by=cast.reception, episode=episode, data={
            "physical": "消瘦", "mental": "亢奋", "suspected_drug_use": True, "outcome": "police"})
    assert "police" in exc.value.message_dict
    check = services.health_check_add(by=cast.reception, episode=episode, data={
        "physical": "消瘦", "mental": "亢奋", "suspected_drug_use": True, "outcome": "police",
        "police": cast.police, "police_reported_at": ago(minutes=10)})
    assert check.police == cast.police


# ---------- I5: police handover ----------
def test_i5_an_escorted_person_needs_the_handover_form_before_admission(cast):
    ep = register(cast, channel="police")
    checks_done(cast, ep)
    with pytest.raises(ValidationError) as exc:
        services.intake_admit(by=cast.reception, episode=ep)
    assert "交接表" in str(exc.value)
    handover(cast, ep)
    assert services.intake_admit(by=cast.reception, episode=ep).status == "admitted"


def test_i5_handover_needs_unit_officers_place_and_condition(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.handover_add(by=cast.reception, episode=episode, data={"handed_over_at": ago(minutes=1)})
    assert {"escort_org", "officers", "found_place", "found_how", "condition"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        services.handover_add(by=cast.reception, episode=episode, data={
            "escort_org": cast.hospital, "officers": "刘", "handed_over_at": ago(minutes=1), "found_place": "桥洞",
            "found_how": "巡查发现", "condition": "良好"})
    assert "公安或城管" in str(exc.value)
    assert not PoliceHandover.objects.exists()


# ---------- N3: refusal and termination ----------
def test_n3_refusal_without_reason_is_refused_and_nothing_changes(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.intake_refuse(by=cast.reception, episode=episode, reason="  ")
    assert "理由" in exc.value.message_dict["reason"][0]
    episode.refresh_from_db()
    assert episode.status == "requested" and not Notice.objects.exists()


def test_n3_refusal_closes_the_episode_with_a_numbered_notice(cast, episode):
    notice = services.intake_refuse(by=cast.reception, episode=episode, reason="拒不如实提供个人情况")
    episode.refresh_from_db()
    assert episode.status == "refused"
    year = timezone.localdate().year
    assert notice.number == f"YDZ-BY{year}-0001" and notice.kind == "refusal"
    other = register(cast, name="王五")
    assert services.intake_refuse(by=cast.reception, episode=other, reason="虚假信息").number.endswith("0002")


def test_n3_termination_only_after_admission(cast, episode):
    with pytest.raises(ValidationError) as exc:
        services.intake_terminate(by=cast.reception, episode=episode, reason="虚假信息")
    assert "已入站" in str(exc.value)
    checks_done(cast, episode)
    services.intake_admit(by=cast.reception, episode=episode)
    notice = services.intake_terminate(by=cast.reception, episode=episode, reason="查实故意提供虚假身份信息")
    episode.refresh_from_db()
    assert episode.status == "terminated" and notice.number.startswith("YDZ-ZZ")


def test_n3_no_intake_records_can_be_added_to_a_closed_episode(cast, episode):
    services.intake_refuse(by=cast.reception, episode=episode, reason="虚假信息")
    with pytest.raises(ValidationError) as exc:
        services.safety_check_add(by=cast.reception, episode=episode)
    assert "已结束" in str(exc.value)


def test_i4_an_unknown_newcomer_is_compared_with_reports_and_files_once_saved(cast, django_capture_on_commit_callbacks,
                                                                            monkeypatch):
    from matching import tasks

    queued = []
    monkeypatch.setattr(tasks, "person_query_task", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        unknown = services.intake_register(by=cast.reception, station=cast.station, channel="walk_in",
                                           person_data={"sex": "男"}, use_provisional_name=True,
                                           answers={**ELIGIBLE, "decision": "help_first", "unable_to_answer": True})
    assert queued == [unknown.person.pk]
    with django_capture_on_commit_callbacks(execute=True):
        register(cast, name="李明", identity_status="identified", id_number=MALE_ID)
    assert queued == [unknown.person.pk]
