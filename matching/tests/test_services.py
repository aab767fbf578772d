"""Reports, the engine integration, review and merge, named by rule (T7, I4, E4)."""

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from core.crypto import decrypt_id
from core.models import AuditEntry
from matching import engine, services
from matching.models import (
    CandidateKind,
    CandidateStatus,
    MatchCandidate,
    MatchDecision,
    MissingReport,
    ReportStatus,
)
from matching.tests.factories import decoys, in_care, png, report
from people.models import IdentityStatus, Person
from people.selectors import person_list

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"  # a valid GB 11643 number (female, 1949-12-31)


def _right_person(cast):
    # Heard by ear: 章 for 张; the birth year guessed 3 years off.
    return in_care(cast, name="章伟", sex="男", birth_year_est=1988, hukou_text="河南省周口市郸城县",
                   dialect="河南话", height_cm=172, marks="左眉有疤")


def _report_for_zhang_wei(cast, **extra):
    return report(cast, name="张伟", birth_year=1985, hukou_text="河南郸城", dialect="河南口音", height_cm=170,
                  marks="左眉上有疤痕", **extra)


def test_t7_a_new_report_finds_the_right_person_in_care_among_decoys(cast, django_capture_on_commit_callbacks):
    decoys(cast)
    right = _right_person(cast)
    with django_capture_on_commit_callbacks(execute=True):
        r = _report_for_zhang_wei(cast)
    found = list(MatchCandidate.objects.filter(report=r).order_by("-probability"))
    assert found and found[0].person == right
    assert "姓名读音相同" in found[0].explanation
    names = {c.person.name for c in found}
    assert not names & {"王芳", "赵建国", "陈明"}  # other sex, other place and age: never proposed
    assert AuditEntry.objects.filter(person_uuid=right.uuid, summary__startswith="系统比对提出候选").exists()


def test_t7_a_new_person_in_care_is_compared_with_open_reports(cast):
    r = _report_for_zhang_wei(cast)
    right = _right_person(cast)
    got = services.run_person_query(by=None, person=right)
    assert [c.report for c in got if c.kind == CandidateKind.REPORT] == [r]


def test_t7_the_periodic_sweep_compares_people_never_compared(cast):
    from matching import tasks

    _report_for_zhang_wei(cast)
    right = _right_person(cast)
    assert services.people_never_compared() == [right]
    tasks.compare_new_people.call_local()
    assert services.people_never_compared() == []
    assert MatchCandidate.objects.filter(person=right, kind=CandidateKind.REPORT).exists()


def test_t7_closed_and_found_reports_are_not_compared(cast):
    _right_person(cast)
    r = _report_for_zhang_wei(cast)
    services.report_close(by=cast.police_officer, report=r, reason="家属自行找回")
    assert services.run_report_query(by=None, report=r) == []


def test_t7_exact_id_number_agreement_comes_first_and_loud(cast):
    p = in_care(cast, name="刘秀英", sex="女", id_number=ID)
    in_care(cast, name="刘秀英", sex="女", birth_year_est=1949)
    r = report(cast, name="刘秀英", sex="女", id_number=ID)
    got = services.run_report_query(by=None, report=r)
    first = MatchCandidate.objects.filter(report=r).order_by("-id_number_match", "-probability").first()
    assert first.person == p and first.id_number_match
    assert "身份证号码完全相同" in first.explanation
    assert len(got) >= 1


def test_t8_a_rejected_pair_is_never_proposed_again(cast):
    right = _right_person(cast)
    r = _report_for_zhang_wei(cast)
    services.run_report_query(by=None, report=r)
    cand = MatchCandidate.objects.get(report=r, person=right)
    with pytest.raises(ValidationError):
        services.candidate_decide(by=cast.tracer, candidate=cand, decision="rejected")  # a reason is required
    services.candidate_decide(by=cast.tracer, candidate=cand, decision="rejected", note="年龄与体貌不符")
    assert MatchDecision.objects.filter(decision="rejected").count() == 1
    assert services.run_report_query(by=None, report=r) == []
    assert [c for c in services.run_person_query(by=None, person=right) if c.report_id] == []
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.REJECTED and cand.decided_by == cast.tracer
    assert AuditEntry.objects.filter(person_uuid=right.uuid, summary__contains="已排除").exists()


def test_t8_a_deferred_candidate_stays_listed_after_undecided_ones(cast):
    from matching.selectors import candidate_queue

    a = _right_person(cast)
    b = in_care(cast, name="刘秀英", sex="女", id_number=ID, hukou_text="北京市朝阳区")
    r = _report_for_zhang_wei(cast)
    r2 = report(cast, name="刘秀英", sex="女", id_number=ID, hukou_text="北京市朝阳区")
    services.run_report_query(by=None, report=r)
    services.run_report_query(by=None, report=r2)
    best = MatchCandidate.objects.get(report=r2, person=b)  # the identical ID number: first in the queue …
    assert [c.person for c in candidate_queue(user=cast.tracer)] == [b, a]
    services.candidate_decide(by=cast.tracer, candidate=best, decision="deferred")
    queue = list(candidate_queue(user=cast.tracer))
    assert [c.person for c in queue] == [a, b]  # … until deferred
    assert services.run_report_query(by=None, report=r2)  # still proposed


def test_t7_confirming_a_report_match_identifies_the_person_and_finds_the_report(cast):
    other = in_care(cast, name="张伟", sex="男", birth_year_est=1986, hukou_text="河南省周口市郸城县",
                    dialect="河南话")
    r = report(cast, name="张伟", birth_year=1985, hukou_text="河南郸城", dialect="河南口音", height_cm=170,
               marks="左眉上有疤痕")
    services.run_report_query(by=None, report=r)
    cand = MatchCandidate.objects.get(report=r, person=other)
    with pytest.raises(PermissionDenied):
        services.candidate_decide(by=cast.county_supervisor, candidate=cand, decision="confirmed")
    services.candidate_decide(by=cast.tracer, candidate=cand, decision="confirmed", note="家属视频确认")
    other.refresh_from_db()
    r.refresh_from_db()
    assert other.identity_status == IdentityStatus.IDENTIFIED and other.name == "张伟"
    assert r.status == ReportStatus.FOUND and r.found_person == other and r.found_station_name == cast.station.name
    assert not MatchCandidate.objects.filter(report=r, status__in=["open", "deferred"]).exists()


def test_an_identification_by_other_means_closes_the_persons_open_report_candidates(cast):
    """core.events.PersonIdentified: however the identity was found, the engine's proposals close (audited)."""
    from tracing.services import identity_confirm

    right = _right_person(cast)
    r = _report_for_zhang_wei(cast)
    services.run_report_query(by=None, report=r)
    cand = MatchCandidate.objects.get(report=r, person=right)
    identity_confirm(by=cast.tracer, person=right, method="police", evidence="公安答复比中", name="章伟")
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.CLOSED
    assert AuditEntry.objects.filter(person_uuid=right.uuid, summary__startswith="比对候选关闭").exists()
    r.refresh_from_db()
    assert r.status == ReportStatus.OPEN  # only a confirmed match says the report's person was found


def test_t7_confirm_passes_the_reports_id_number_to_identification(cast):
    person = in_care(cast, name="刘秀英", sex="女", birth_year_est=1949)
    r = report(cast, name="刘秀英", sex="女", id_number=ID, hukou_text="北京市朝阳区")
    services.run_report_query(by=None, report=r)
    cand = MatchCandidate.objects.get(report=r, person=person)
    services.candidate_decide(by=cast.tracer, candidate=cand, decision="confirmed")
    person.refresh_from_db()
    assert decrypt_id(person.id_number_enc) == ID and person.identity_status == IdentityStatus.IDENTIFIED


def test_t7_report_id_number_is_validated_encrypted_and_hashed(cast):
    before = MissingReport.objects.count()
    with pytest.raises(ValidationError) as err:
        report(cast, id_number="110105194912310021")
    assert "id_number" in err.value.message_dict
    assert MissingReport.objects.count() == before
    r = report(cast, name="刘秀英", sex="女", id_number=ID)
    assert ID not in r.id_number_enc and r.id_number_masked == "110105********002X" and r.id_number_hash
    assert r.birth_date == datetime.date(1949, 12, 31)
    assert not AuditEntry.objects.filter(changes__icontains=ID).exists()


@pytest.mark.parametrize("field,value,message", [
    ("reported_at", "future", "报案时间不能晚于当前时间"),
    ("last_seen_on", "future", "最后出现日期不能晚于今天"),
    ("birth_year", 1850, "出生年份应在1900年"),
    ("height_cm", 20, "身高应在40至250厘米之间"),
    ("name", "", "请填写走失者姓名"),
])
def test_t7_impossible_report_data_is_refused_in_chinese_and_nothing_saved(cast, field, value, message):
    if value == "future":
        value = timezone.now() + datetime.timedelta(days=2) if field == "reported_at" else (
            timezone.localdate() + datetime.timedelta(days=2))
    before = (MissingReport.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as err:
        report(cast, **{field: value})
    assert message in str(err.value)
    assert (MissingReport.objects.count(), AuditEntry.objects.count()) == before


def test_t7_last_seen_after_the_report_is_refused(cast):
    with pytest.raises(ValidationError, match="最后出现日期不能晚于报案时间"):
        report(cast, reported_at=timezone.now() - datetime.timedelta(days=5),
               last_seen_on=timezone.localdate() - datetime.timedelta(days=1))


def test_t7_report_number_is_unique_per_organisation(cast):
    report(cast, report_no="BA-1")
    with pytest.raises(ValidationError, match="已登记过报案编号"):
        report(cast, report_no="BA-1")
    report(cast, report_no="BA-1", by=cast.reception)  # another organisation may use the same number


def test_t7_only_police_or_station_staff_register_reports(cast):
    assert services.require_report_registrar(cast.police_officer) == cast.police
    assert services.require_report_registrar(cast.reception) == cast.station
    for user in (cast.county_supervisor, cast.panel_member, cast.carer):
        with pytest.raises(PermissionDenied):
            services.require_report_registrar(user)


def test_t7_report_photos_must_be_real_images(cast):
    r = report(cast)
    with pytest.raises(ValidationError, match="只接受 JPEG、PNG 或 WebP"):
        services.report_photo_add(by=cast.police_officer, report=r,
                                  image=SimpleUploadedFile("x.png", b"not an image", content_type="image/png"))
    assert r.photos.count() == 0
    services.report_photo_add(by=cast.police_officer, report=r, image=png())
    assert r.photos.count() == 1


# --- Excel import ------------------------------------------------------------------------------------

def _xlsx(rows, headers=None) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(headers or [h for h, _, _ in services.IMPORT_COLUMNS])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("r.xlsx", buf.getvalue())


def _row(no, name="张伟", **over):
    values = {"报案编号": no, "报案时间": "2026-01-05 10:00", "走失者姓名": name, "性别": "男", "出生年份": 1985,
              "户籍地址": "河南郸城", **over}
    return [values.get(h, "") for h, _, _ in services.IMPORT_COLUMNS]


@time_machine.travel(datetime.datetime(2026, 2, 1, 9, 0, tzinfo=datetime.UTC))
def test_t7_excel_import_saves_every_row_in_one_go(cast, django_capture_on_commit_callbacks):
    right = _right_person(cast)
    with django_capture_on_commit_callbacks(execute=True):
        created = services.reports_import(by=cast.police_officer, organisation=cast.police,
                                          upload=_xlsx([_row("A1"), _row("A2", name="李梅", 性别="女")]))
    assert [r.report_no for r in created] == ["A1", "A2"]
    assert MatchCandidate.objects.filter(report__report_no="A1", person=right).exists()


@time_machine.travel(datetime.datetime(2026, 2, 1, 9, 0, tzinfo=datetime.UTC))
def test_t7_excel_import_with_wrong_columns_saves_nothing(cast):
    headers = ["编号", "姓名", "性别"]
    with pytest.raises(ValidationError) as err:
        services.reports_import(by=cast.police_officer, organisation=cast.police,
                                upload=_xlsx([["A1", "张伟", "男"]], headers=headers))
    text = str(err.value)
    assert "列与模板不符" in text and "缺少必需列：报案编号、报案时间、走失者姓名" in text and "无法识别的列：编号" in text
    assert MissingReport.objects.count() == 0


@time_machine.travel(datetime.datetime(2026, 2, 1, 9, 0, tzinfo=datetime.UTC))
def test_t7_excel_import_reports_errors_per_row_and_saves_nothing(cast):
    rows = [_row("A1"), _row("A2", 报案时间="明天"), _row("A3", 身份证号="110105194912310021"), _row(""),
            _row("A1"), _row("A6", 性别="M", 出生年份="八五")]
    with pytest.raises(ValidationError) as err:
        services.reports_import(by=cast.police_officer, organisation=cast.police, upload=_xlsx(rows))
    msgs = err.value.messages
    assert any(m.startswith("第3行：报案时间“明天”不是有效时间") for m in msgs)
    assert any(m.startswith("第4行：身份证号") for m in msgs)
    assert "第5行：缺少“报案编号”" in msgs
    assert "第6行：报案编号“A1”与第2行重复" in msgs
    assert any(m.startswith("第7行：性别“M”") for m in msgs) and any("出生年份“八五”不是数字" in m for m in msgs)
    assert MissingReport.objects.count() == 0 and not AuditEntry.objects.filter(object_type="matching.MissingReport").exists()


def test_t7_a_non_excel_upload_is_refused(cast):
    with pytest.raises(ValidationError, match="无法读取文件"):
        services.reports_import(by=cast.police_officer, organisation=cast.police,
                                upload=SimpleUploadedFile("r.xlsx", b"name,sex\n"))


def test_t7_the_import_template_has_the_chinese_headers():
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(services.import_template()))
    assert [c.value for c in wb.active[1]] == [h for h, _, _ in services.IMPORT_COLUMNS]


# --- I4: earlier files, merge -------------------------------------------------------------------------

def _two_files(cast):
    old = in_care(cast, name="黄大明", sex="男", birth_year_est=1970, hukou_text="湖南省衡阳市祁东县", dialect="湖南话",
                  height_cm=165, at=timezone.now() - datetime.timedelta(days=40))
    from people.services import episode_close

    episode_close(by=cast.reception, episode=old.episodes.get(), to="left", note="自行离站")
    new = in_care(cast, name="黄大名", sex="男", birth_year_est=1971, hukou_text="湖南祁东", dialect="湖南口音",
                  height_cm=166)
    return old, new


def test_i4_a_new_intake_is_compared_with_earlier_files(cast):
    old, new = _two_files(cast)
    got = services.run_person_query(by=None, person=new)
    dup = [c for c in got if c.kind == CandidateKind.DUPLICATE]
    assert len(dup) == 1 and {dup[0].person, dup[0].other_person} == {old, new}
    # The same pair from the other side is the same candidate (one row per unordered pair).
    services.run_person_query(by=None, person=old)
    assert MatchCandidate.objects.filter(kind=CandidateKind.DUPLICATE).count() == 1


def test_e4_merge_keeps_both_histories_and_unmerge_restores(cast):
    old, new = _two_files(cast)
    services.run_person_query(by=None, person=new)
    cand = MatchCandidate.objects.get(kind=CandidateKind.DUPLICATE)
    with pytest.raises(ValidationError, match="只有已确认为同一人"):
        services.candidate_merge(by=cast.tracer, candidate=cand, keep=old)
    services.candidate_decide(by=cast.tracer, candidate=cand, decision="confirmed", note="同一人，照片一致")
    with pytest.raises(PermissionDenied):
        services.candidate_merge(by=cast.county_supervisor, candidate=cand, keep=old)
    episodes_before = {old.pk: old.episodes.count(), new.pk: new.episodes.count()}
    services.candidate_merge(by=cast.tracer, candidate=cand, keep=old)
    new.refresh_from_db()
    assert new.merged_into == old
    assert {old.pk: old.episodes.count(), new.pk: new.episodes.count()} == episodes_before  # nothing moved
    assert list(person_list(user=cast.tracer, q="黄大")) == [old]  # lists hide the merged file
    from matching.selectors import person_panel

    panel = person_panel(person=old, user=cast.tracer)
    assert panel["merged_files"][0]["person"] == new and panel["merged_files"][0]["episodes"]
    assert any("求助登记" in item["what"] for item in panel["merged_files"][0]["timeline"])
    assert AuditEntry.objects.filter(person_uuid=new.uuid, summary__contains="合并到").exists()
    assert AuditEntry.objects.filter(person_uuid=old.uuid, summary__contains="合并档案").exists()
    assert services.run_person_query(by=None, person=new) == []  # a merged file is not compared

    services.file_unmerge(by=cast.tracer, person=new)
    new.refresh_from_db()
    assert new.merged_into is None
    assert set(person_list(user=cast.tracer, q="黄大")) == {old, new}
    assert AuditEntry.objects.filter(person_uuid=new.uuid, summary__startswith="撤销合并").exists()


def test_e4_merge_refuses_bad_pairs(cast):
    from people.services import person_merge

    a = in_care(cast, name="甲", sex="男")
    b = in_care(cast, name="乙", sex="男")
    with pytest.raises(ValidationError, match="两份档案都有未结束的救助过程"):
        person_merge(by=cast.tracer, keep=a, merge=b)
    with pytest.raises(ValidationError, match="不能把档案合并到它自己"):
        person_merge(by=cast.tracer, keep=a, merge=a)
    assert Person.objects.filter(merged_into__isnull=False).count() == 0


def test_engine_rebuild_saves_model_and_indexes_under_the_engine_dir(cast):
    _right_person(cast)
    _report_for_zhang_wei(cast)
    summary = engine.rebuild()
    assert summary["in_care"] == 1 and summary["reports"] == 1
    assert (engine.engine_dir() / "in_care" / "records.parquet").exists()
    engine.reset_cache()
    assert engine.get_index("reports") is not None  # loaded from disk


def test_t7_a_number_kept_as_said_one_digit_off_finds_the_familys_report_but_never_becomes_an_id(cast):
    # A woman with no name tells the number from memory with two digits swapped; the family's report has it right.
    said = "11010519491213002X"
    person = in_care(cast, sex="女", age_min=70, age_max=80)  # no name: a provisional one
    with pytest.raises(ValidationError):
        services.report_create(by=cast.police_officer, organisation=cast.police_officer.organisation,
                               data={"report_no": "BA-unchecked", "reported_at": timezone.now(), "name": "刘秀英",
                                     "sex": "女"}, id_number=said)  # refused unless kept on purpose
    from people.services import person_update
    person = person_update(by=cast.reception, person=person, data={}, id_number=said, keep_unchecked_id=True)
    assert engine.person_record(person).id_number == said and person.id_number_hash == ""
    r = report(cast, name="刘秀英", sex="女", id_number=ID, hukou_text="北京市朝阳区")
    services.run_report_query(by=None, report=r)
    cand = MatchCandidate.objects.get(report=r, person=person)
    assert "身份证号码只差一位" in cand.explanation and not cand.id_number_match
    services.candidate_decide(by=cast.tracer, candidate=cand, decision="confirmed")
    person.refresh_from_db()
    # confirmed: the report's valid number becomes the person's ID number, replacing the one said from memory
    assert decrypt_id(person.id_number_enc) == ID and person.id_number_unchecked_enc == ""
