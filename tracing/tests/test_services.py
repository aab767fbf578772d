"""Services of the tracing app, named by rule: T1, T2, T4, T5, T6, T8, T9, T10 and the identification."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import AuditEntry
from people.models import IdentityStatus, Person
from tracing import selectors, services
from tracing.models import (
    CheckAttachment,
    CheckResult,
    CheckStatus,
    DnaRequest,
    Escalation,
    Identification,
    IdentityCheck,
    Lead,
    LeadKind,
    LeadStatus,
    PlanStatus,
    ReturnPlan,
    Talk,
    TracerAssignment,
)
from tracing.tests.factories import pdf, png, unidentified

pytestmark = pytest.mark.django_db
ENTRY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def _counts():
    return (IdentityCheck.objects.count(), CheckAttachment.objects.count(), Talk.objects.count(), Lead.objects.count(),
            DnaRequest.objects.count(), Identification.objects.count(), ReturnPlan.objects.count(),
            Escalation.objects.count(), TracerAssignment.objects.count())


# --- T1 / T2 ----------------------------------------------------------------------------------------


def test_t1_referral_is_due_24_hours_after_entry(cast):
    with time_machine.travel(ENTRY + datetime.timedelta(hours=1), tick=False):
        episode = unidentified(cast, at=ENTRY)
        assert selectors.t1_status(episode)["state"] == "due"
    with time_machine.travel(ENTRY + datetime.timedelta(hours=25), tick=False):
        assert selectors.t1_status(episode)["state"] == "overdue"
        services.check_create(by=cast.tracer, person=episode.person, police=cast.police, known_info="男，约45岁")
        assert selectors.t1_status(episode)["state"] == "late"


def test_t1_a_check_sent_within_24_hours_is_on_time(cast):
    with time_machine.travel(ENTRY + datetime.timedelta(hours=3), tick=False):
        episode = unidentified(cast, at=ENTRY, with_photo=True)
        photo = episode.person.photos.first()
        check = services.check_create(by=cast.tracer, person=episode.person, police=cast.police, photo=photo,
                                      biometrics_ref="ZW-2026-001", known_info="男，约45岁")
    assert check.status == CheckStatus.SENT and check.number.startswith("YDZ-HC2026-")
    assert selectors.t1_status(episode, now=ENTRY + datetime.timedelta(days=3))["state"] == "met"
    assert AuditEntry.objects.filter(object_type="tracing.IdentityCheck", person_uuid=episode.person.uuid).exists()


def test_t1_a_request_to_an_organisation_that_is_not_police_is_refused(cast):
    episode = unidentified(cast)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.check_create(by=cast.tracer, person=episode.person, police=cast.hospital, known_info="男")
    assert "不是公安机关" in str(exc.value.message_dict["police"])
    assert _counts() == before


def test_t1_a_check_needs_something_to_send(cast):
    episode = unidentified(cast)
    with pytest.raises(ValidationError) as exc:
        services.check_create(by=cast.tracer, person=episode.person, police=cast.police)
    assert "至少提供" in str(exc.value)
    assert IdentityCheck.objects.count() == 0


def test_t2_police_answer_within_48_hours_is_on_time_and_later_is_late(cast):
    with time_machine.travel(ENTRY + datetime.timedelta(hours=2), tick=False):
        episode = unidentified(cast, at=ENTRY)
        on_time = services.check_create(by=cast.tracer, person=episode.person, police=cast.police, known_info="甲")
        late = services.check_create(by=cast.tracer, person=episode.person, police=cast.police, known_info="乙")
    with time_machine.travel(ENTRY + datetime.timedelta(hours=30), tick=False):
        services.check_answer(by=cast.police_officer, check=on_time, result=CheckResult.NOT_FOUND,
                              answer_text="人口信息库未比中")
    with time_machine.travel(ENTRY + datetime.timedelta(hours=60), tick=False):
        assert selectors.t2_status(late)["state"] == "overdue"
        services.check_answer(by=cast.police_officer, check=late, result=CheckResult.IDENTIFIED, name="张建国",
                              id_number="11010519491231002X", answer_text="人像识别比中",
                              attachments=[png("face.png"), pdf()])
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert selectors.t2_status(on_time)["state"] == "met"
    assert selectors.t2_status(late)["state"] == "late"
    assert late.answered_id_masked == "110105********002X" and late.answered_id_enc and "002X" not in late.answered_id_enc
    assert {a.content_type for a in late.attachments.all()} == {"image/jpeg", "application/pdf"}  # re-encoded


def test_t2_an_oversize_or_non_image_attachment_is_refused_and_nothing_is_saved(cast, settings):
    episode = unidentified(cast)
    check = services.check_create(by=cast.tracer, person=episode.person, police=cast.police, known_info="男")
    text_file = SimpleUploadedFile("note.txt", b"just text", content_type="text/plain")
    with pytest.raises(ValidationError) as exc:
        services.check_answer(by=cast.police_officer, check=check, result=CheckResult.NOT_FOUND, answer_text="无",
                              attachments=[text_file])
    assert "不是有效的图片或 PDF" in str(exc.value)
    settings.GUITU_MAX_PHOTO_BYTES = 100
    with pytest.raises(ValidationError) as exc:
        services.check_answer(by=cast.police_officer, check=check, result=CheckResult.NOT_FOUND, answer_text="无",
                              attachments=[png("big.png", size=(400, 400))])
    assert "过大" in str(exc.value)
    check.refresh_from_db()
    assert check.status == CheckStatus.SENT and not check.answered_at and CheckAttachment.objects.count() == 0


def test_t2_an_identified_answer_needs_a_name_or_valid_id_number(cast):
    episode = unidentified(cast)
    check = services.check_create(by=cast.tracer, person=episode.person, police=cast.police, known_info="男")
    with pytest.raises(ValidationError) as exc:
        services.check_answer(by=cast.police_officer, check=check, result=CheckResult.IDENTIFIED)
    assert "姓名或身份证号" in str(exc.value)
    with pytest.raises(ValidationError):
        services.check_answer(by=cast.police_officer, check=check, result=CheckResult.IDENTIFIED,
                              id_number="110105194912310021")
    check.refresh_from_db()
    assert check.status == CheckStatus.SENT


# --- T4 -----------------------------------------------------------------------------------------------


def test_t4_talks_per_day_three_in_the_first_72_hours_then_one(cast):
    with time_machine.travel(ENTRY + datetime.timedelta(minutes=10), tick=False):
        episode = unidentified(cast, at=ENTRY)
        services.tracer_assign(by=cast.head, episode=episode, tracer=cast.tracer)
    for hours in (1, 4, 8, 26, 30, 33, 50, 54, 75):
        with time_machine.travel(ENTRY + datetime.timedelta(hours=hours, minutes=5), tick=False):
            services.talk_add(by=cast.tracer, episode=episode, held_at=timezone.now(), content="他说老家在河南周口郸城县。")
    with time_machine.travel(ENTRY + datetime.timedelta(days=4, hours=2), tick=False):
        t4 = selectors.t4_status(episode)
    # Local days: 2 March (entry day) and 3, 4, 5 March (begin within 72 h of entry) ask 3.
    assert [(w.start.day, w.required, w.held, w.status) for w in t4["windows"]] == [
        (2, 3, 3, "met"), (3, 3, 3, "met"), (4, 3, 2, "overdue"), (5, 3, 1, "overdue"), (6, 1, 0, "due")]
    assert t4["state"] == "overdue" and t4["missed"] == 2


def test_t4_a_talk_keeps_the_names_places_and_accents_found(cast):
    episode = unidentified(cast)
    talk = services.talk_add(by=cast.tracer, episode=episode, held_at=timezone.now(),
                             content="他说他叫张建国，老家在河南周口郸城县，说话有湖南口音。", present="钱寻亲、社工小李")
    kinds = {(s["kind"], s["text"]) for s in talk.suggestions}
    assert ("name", "张建国") in kinds and ("dialect", "湖南口音") in kinds
    assert any(s["kind"] == "place" and s["code"] == "411625" for s in talk.suggestions)


def test_t4_a_talk_in_the_future_or_before_the_request_is_refused(cast):
    episode = unidentified(cast)
    for held_at, word in ((timezone.now() + datetime.timedelta(hours=2), "晚于当前时间"),
                          (episode.requested_at - datetime.timedelta(hours=1), "早于求助时间")):
        with pytest.raises(ValidationError) as exc:
            services.talk_add(by=cast.tracer, episode=episode, held_at=held_at, content="谈话")
        assert word in str(exc.value)
    with pytest.raises(ValidationError):
        services.talk_add(by=cast.tracer, episode=episode, held_at=timezone.now(), content="  ")
    assert Talk.objects.count() == 0


def test_t4_the_tracer_must_be_a_tracer_of_the_station(cast):
    episode = unidentified(cast)
    with pytest.raises(ValidationError) as exc:
        services.tracer_assign(by=cast.head, episode=episode, tracer=cast.carer)
    assert "寻亲员" in str(exc.value)
    first = services.tracer_assign(by=cast.head, episode=episode, tracer=cast.tracer)
    assert selectors.current_tracer(episode) == first


def test_t4_leads_from_a_talk_police_referral_makes_a_draft_check_and_a_station_call_is_recorded(cast):
    episode = unidentified(cast)
    talk = services.talk_add(by=cast.tracer, episode=episode, held_at=timezone.now(), content="他说他叫张建国。")
    lead = services.lead_create(by=cast.tracer, episode=episode, kind=LeadKind.POLICE, text="张建国", talk=talk,
                                organisation=cast.police)
    assert lead.identity_check.status == CheckStatus.DRAFT and "张建国" in lead.identity_check.known_info
    call = services.lead_create(by=cast.tracer, episode=episode, kind=LeadKind.STATION_CALL, text="河南周口郸城县",
                                talk=talk, organisation=cast.city_station, note="电话联系")
    assert call.status == LeadStatus.PENDING
    before = _counts()
    with pytest.raises(ValidationError):
        services.lead_create(by=cast.tracer, episode=episode, kind=LeadKind.STATION_CALL, text="x",
                             organisation=cast.police)
    assert _counts() == before
    services.check_send(by=cast.tracer, check=lead.identity_check)
    lead.identity_check.refresh_from_db()
    assert lead.identity_check.sent_at is not None


# --- T5 / T6 ----------------------------------------------------------------------------------------------


def test_t5_dna_request_within_7_working_days_of_entry(cast):
    entry = datetime.datetime(2025, 9, 30, 9, 0, tzinfo=ENTRY.tzinfo)
    with time_machine.travel(entry + datetime.timedelta(hours=1), tick=False):
        episode = unidentified(cast, at=entry)
    t5 = selectors.t5_status(episode, now=entry + datetime.timedelta(days=1))
    assert t5["state"] == "due" and timezone.localtime(t5["deadline"]).date() == datetime.date(2025, 10, 16)
    with time_machine.travel(datetime.datetime(2025, 10, 16, 17, 0, tzinfo=ENTRY.tzinfo), tick=False):
        services.dna_request_create(by=cast.tracer, episode=episode, police=cast.police)
        assert selectors.t5_status(episode)["state"] == "met"


def test_t5_dna_request_after_7_working_days_is_late(cast):
    with time_machine.travel(ENTRY + datetime.timedelta(hours=1), tick=False):
        episode = unidentified(cast, at=ENTRY)
    with time_machine.travel(ENTRY + datetime.timedelta(days=12), tick=False):
        assert selectors.t5_status(episode)["state"] == "overdue"
        services.dna_request_create(by=cast.tracer, episode=episode, police=cast.police)
        assert selectors.t5_status(episode)["state"] == "late"


def test_t6_result_within_one_month_of_the_sample(cast):
    with time_machine.travel(ENTRY + datetime.timedelta(hours=2), tick=False):
        episode = unidentified(cast, at=ENTRY)
        dna = services.dna_request_create(by=cast.tracer, episode=episode, police=cast.police,
                                          sample_taken_on=datetime.date(2026, 3, 2))
    with time_machine.travel(datetime.datetime(2026, 4, 3, 9, tzinfo=ENTRY.tzinfo), tick=False):
        assert selectors.t6_status(dna)["state"] == "overdue"
        dna = services.dna_request_update(by=cast.tracer, dna=dna, sample_taken_on=datetime.date(2026, 3, 2),
                                          result="no_match", result_on=datetime.date(2026, 4, 3))
        assert selectors.t6_status(dna)["state"] == "late"
        dna = services.dna_request_update(by=cast.tracer, dna=dna, sample_taken_on=datetime.date(2026, 3, 2),
                                          result="no_match", result_on=datetime.date(2026, 4, 2))
        assert selectors.t6_status(dna)["state"] == "met"


def test_t6_impossible_dna_dates_are_refused_and_nothing_changes(cast):
    episode = unidentified(cast)
    dna = services.dna_request_create(by=cast.tracer, episode=episode, police=cast.police)
    today = timezone.localdate()
    cases = [
        ({"sample_taken_on": today + datetime.timedelta(days=1)}, "采样日期不能晚于今天"),
        ({"sample_taken_on": today, "result": "match", "result_on": today}, "比中时请填写"),
        ({"sample_taken_on": today, "result": "no_match", "result_on": today - datetime.timedelta(days=1)},
         "结果日期不能早于采样日期"),
        ({"sample_taken_on": None, "result": "no_match", "result_on": today}, "须填写采样日期"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError) as exc:
            services.dna_request_update(by=cast.tracer, dna=dna, **kwargs)
        assert message in str(exc.value)
    dna.refresh_from_db()
    assert dna.sample_taken_on is None and dna.result == ""
    with pytest.raises(ValidationError):
        services.dna_request_create(by=cast.tracer, episode=episode, police=cast.hospital)
    assert DnaRequest.objects.count() == 1


# --- identification, T8, T9 ---------------------------------------------------------------------------


def _traced(cast):
    episode = unidentified(cast, with_photo=True)
    services.tracer_assign(by=cast.head, episode=episode, tracer=cast.tracer)
    services.check_create(by=cast.tracer, person=episode.person, police=cast.police, known_info="男")
    services.dna_request_create(by=cast.tracer, episode=episode, police=cast.police)
    talk = services.talk_add(by=cast.tracer, episode=episode, held_at=timezone.now(), content="说四川话，讲啥子。")
    services.lead_create(by=cast.tracer, episode=episode, kind=LeadKind.STATION_CALL, text="四川", talk=talk,
                         organisation=cast.city_station)
    return episode


def test_identity_confirm_updates_the_file_closes_tasks_and_opens_the_return_plan(cast):
    episode = _traced(cast)
    person = episode.person
    ident = services.identity_confirm(by=cast.tracer, person=person, method="police", evidence="公安答复比中",
                                      name="张建国", id_number="411625198001010010", hukou_text="河南省郸城县")
    person.refresh_from_db()
    assert person.identity_status == IdentityStatus.IDENTIFIED and person.name == "张建国"
    assert not person.name_is_provisional and person.id_number_masked == "411625********0010"
    assert ident.confirmed_by == cast.tracer and ident.get_method_display() == "公安核查"
    assert not TracerAssignment.objects.filter(episode=episode, ended_at__isnull=True).exists()
    assert not IdentityCheck.objects.filter(person=person).exclude(status=CheckStatus.CLOSED).exists()
    assert DnaRequest.objects.get(episode=episode).closed_reason.startswith("身份已查明")
    assert not Lead.objects.filter(episode=episode, status=LeadStatus.PENDING).exists()
    assert ident.return_plan.status == PlanStatus.OPEN
    summaries = list(AuditEntry.objects.filter(person_uuid=person.uuid).values_list("summary", flat=True))
    assert any("确认身份" in s for s in summaries) and any("返乡计划" in s for s in summaries)


def test_identity_confirm_with_bad_input_changes_nothing(cast):
    episode = _traced(cast)
    before = _counts()
    for kwargs in ({"method": "guess", "evidence": "x", "name": "甲"}, {"method": "dna", "evidence": "", "name": "甲"},
                   {"method": "dna", "evidence": "x", "name": ""},
                   {"method": "dna", "evidence": "x", "name": "甲", "id_number": "110105194912310021"}):
        with pytest.raises(ValidationError):
            services.identity_confirm(by=cast.tracer, person=episode.person, **kwargs)
    assert _counts() == before
    assert Person.objects.get(pk=episode.person.pk).identity_status == IdentityStatus.UNIDENTIFIED


def test_t8_every_tracing_attempt_appears_in_time_order(cast):
    episode = _traced(cast)
    tools = [a["tool"] for a in selectors.attempts(person=episode.person, user=cast.tracer)]
    for tool in ("公安身份核查", "DNA 比对", "甄别谈话", "方言分析", "联系户籍地救助站"):
        assert tool in tools
    times = [a["at"] for a in selectors.attempts(person=episode.person, user=cast.tracer)]
    assert times == sorted(times)
    assert selectors.attempts(person=episode.person, user=cast.outsider) == []


def test_t9_refused_return_escalates_level_by_level_up_the_supervisor_chain(cast):
    episode = unidentified(cast)
    ident = services.identity_confirm(by=cast.tracer, person=episode.person, method="talks", evidence="谈话核实",
                                      name="李四")
    plan = ident.return_plan
    with pytest.raises(ValidationError):
        services.escalate(by=cast.tracer, plan=plan)  # not refused yet
    with pytest.raises(ValidationError) as exc:
        services.return_plan_update(by=cast.tracer, plan=plan, status=PlanStatus.REFUSED, method="escorted")
    assert "拒绝接收时请填写原因" in str(exc.value)
    plan = services.return_plan_update(by=cast.tracer, plan=plan, status=PlanStatus.REFUSED, method="escorted",
                                       refusal_reason="户籍地称无人接收")
    first = services.escalate(by=cast.tracer, plan=plan, note="请协调")
    second = services.escalate(by=cast.tracer, plan=plan)
    assert (first.level, first.to_organisation) == (1, cast.county_dept)
    assert (second.level, second.to_organisation) == (2, cast.city_dept)
    with pytest.raises(ValidationError) as exc:
        services.escalate(by=cast.tracer, plan=plan)
    assert "没有更上一级" in str(exc.value)
    services.escalation_answer(by=cast.city_supervisor, escalation=second, answer="已协调户籍地民政局接收")
    plan = services.return_plan_update(by=cast.tracer, plan=plan, status=PlanStatus.IN_PROGRESS, method="escorted",
                                       target_date=timezone.localdate())
    plan = services.return_plan_update(by=cast.tracer, plan=plan, status=PlanStatus.DONE, method="escorted")
    assert plan.done_at is not None
    with pytest.raises(ValidationError):
        services.return_plan_update(by=cast.tracer, plan=plan, status=PlanStatus.OPEN)
    # The supervising departments see the plan through their subtree.
    assert ReturnPlan.objects.filter(pk__in=selectors.scoped(ReturnPlan.objects.all(), cast.city_supervisor)).exists()


# --- T10 ----------------------------------------------------------------------------------------------


def test_t10_monthly_report_counts_month_end_and_recomputes_the_same_later(cast):
    march = datetime.datetime(2026, 3, 5, 9, tzinfo=ENTRY.tzinfo)
    with time_machine.travel(march, tick=False):
        a = unidentified(cast, at=march - datetime.timedelta(hours=2))
        b = unidentified(cast, at=march - datetime.timedelta(hours=1))
        services.tracer_assign(by=cast.head, episode=a, tracer=cast.tracer)
        services.talk_add(by=cast.tracer, episode=a, held_at=timezone.now(), content="谈话")
        services.check_create(by=cast.tracer, person=a.person, police=cast.police, known_info="男")
    with time_machine.travel(datetime.datetime(2026, 4, 2, 9, tzinfo=ENTRY.tzinfo), tick=False):
        first = selectors.monthly_report(station=cast.station, year=2026, month=3)
        # Later events must not change March: b is identified in April, a gets more talks.
        services.identity_confirm(by=cast.tracer, person=b.person, method="dna", evidence="DNA比中", name="王五")
        services.talk_add(by=cast.tracer, episode=a, held_at=timezone.now(), content="四月谈话")
        again = selectors.monthly_report(station=cast.station, year=2026, month=3)
        april = selectors.monthly_report(station=cast.station, year=2026, month=4)
    assert first["stranded"] == again["stranded"] == 2
    assert first["unidentified"] == again["unidentified"] == 2
    row = next(r for r in again["rows"] if r["file_no"] == a.person.file_no)
    assert row["talks"] == 1 and row["tracer"] == str(cast.tracer) and row["police"].startswith("待答复")
    assert row["dna"] == "未申请"
    assert [(r["name"]) for r in first["rows"]] == [r["name"] for r in again["rows"]]
    assert april["unidentified"] == 1 and april["identified"][0]["method"] == "dna"


def test_t10_a_report_is_issued_once_after_its_month_ends_and_kept_as_issued(cast, client_for):
    from django.core.exceptions import PermissionDenied

    from tracing.models import MonthlyReport

    march = datetime.datetime(2026, 3, 5, 9, tzinfo=ENTRY.tzinfo)
    with time_machine.travel(march, tick=False):
        unidentified(cast, at=march - datetime.timedelta(hours=2))
        with pytest.raises(ValidationError, match="尚未结束"):
            services.report_issue(by=cast.head, station=cast.station, year=2026, month=3)
    with time_machine.travel(datetime.datetime(2026, 4, 1, 8, tzinfo=ENTRY.tzinfo), tick=False):
        for stranger in (cast.carer, cast.county_supervisor, cast.outsider):
            with pytest.raises(PermissionDenied):
                services.report_issue(by=stranger, station=cast.station, year=2026, month=3)
        report = services.report_issue(by=cast.head, station=cast.station, year=2026, month=3)
        with pytest.raises(ValidationError, match="已报送"):
            services.report_issue(by=cast.head, station=cast.station, year=2026, month=3)
    assert report.numbers["stranded"] == 1 and report.numbers["unidentified"] == 1
    assert report.numbers["rows"][0]["name"].startswith("无名氏")
    assert report.file.read(4) == b"%PDF"
    entry = AuditEntry.objects.get(object_type="tracing.MonthlyReport")
    assert entry.organisation == cast.station and entry.changes["year"] == [None, 2026]
    assert entry.changes["month"] == [None, 3] and entry.actor == cast.head
    assert MonthlyReport.objects.count() == 1
    # the issued PDF is served to those who may read the report, 404 to others
    url = f"/tracing/reports/issued/{report.uuid}/"
    assert client_for(cast.panel_member).get(url).status_code == 200
    assert client_for(cast.outsider).get(url).status_code == 404


def test_t10_the_panel_sees_the_stations_under_its_supervising_department(cast):
    assert set(selectors.report_stations(cast.panel_member)) == {cast.station, cast.city_station}
    assert set(selectors.report_stations(cast.county_supervisor)) == {cast.station}
    assert list(selectors.report_stations(cast.police_officer)) == []
    assert list(selectors.report_stations(cast.outsider)) == [cast.other_station]


def test_t4_a_match_query_lead_asks_the_matching_engine_and_records_the_outcome(cast):
    episode = unidentified(cast)
    lead = services.lead_create(by=cast.tracer, episode=episode, kind=LeadKind.MATCH_QUERY, text="张建国")
    # The matching app is present: the query runs at once and the lead records what it gave.
    assert lead.status == LeadStatus.DONE and lead.outcome.startswith("已提交系统比对")
    assert "系统比对查询" in [a["tool"] for a in selectors.attempts(person=episode.person, user=cast.tracer)]
