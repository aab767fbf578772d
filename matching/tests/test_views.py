"""Every matching page and endpoint: login required, outsiders get 404 and change nothing, supervisors read
but get 403 on writes, owners act; police see their own reports only."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from core.models import AuditEntry
from matching import services
from matching.models import CandidateKind, MatchCandidate, MatchDecision, MissingReport, ReportPhoto
from matching.tests.factories import in_care, png, report
from people.models import Person
from people.services import person_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    person = in_care(cast, name="张伟", sex="男", birth_year_est=1985, hukou_text="河南省周口市郸城县", dialect="河南话")
    # an earlier file of the same person, opened at the city station (not in care now: two files of one
    # person both in care would share the report's probability between them)
    earlier = person_create(by=cast.city_reception, station=cast.city_station,
                            data={"name": "张伟", "sex": "男", "birth_year_est": 1985,
                                  "hukou_text": "河南省周口市郸城县"})
    station_report = report(cast, by=cast.reception, name="张伟", birth_year=1985, hukou_text="河南郸城",
                            dialect="河南口音", report_no="ZB-1")
    services.report_photo_add(by=cast.reception, report=station_report, image=png())
    police_report = report(cast, name="李四", report_no="GA-1")
    services.run_report_query(by=None, report=station_report)
    services.run_person_query(by=None, person=person)
    cand = MatchCandidate.objects.get(report=station_report, person=person)
    dup = MatchCandidate.objects.get(kind=CandidateKind.DUPLICATE)
    return {"person": person, "earlier": earlier, "report": station_report, "police_report": police_report,
            "cand": cand, "dup": dup, "photo": station_report.photos.get()}


def _state():
    return (MissingReport.objects.count(), ReportPhoto.objects.count(), MatchDecision.objects.count(),
            sorted(MatchCandidate.objects.values_list("status", flat=True)),
            list(MissingReport.objects.order_by("pk").values_list("status", "name")),
            Person.objects.filter(merged_into__isnull=False).count())


def _reads(w):
    return [reverse("matching:report_list"), reverse("matching:candidates"), reverse("matching:browse"),
            reverse("matching:report_detail", args=[w["report"].uuid]),
            reverse("matching:report_print", args=[w["report"].uuid]),
            reverse("matching:report_photo", args=[w["photo"].uuid]),
            reverse("matching:candidate", args=[w["cand"].uuid]),
            reverse("matching:report_closest", args=[w["report"].uuid]),
            reverse("matching:person_closest", args=[w["person"].uuid])]


def _object_writes(w):
    r, c = w["report"].uuid, w["cand"].uuid
    return [
        (reverse("matching:report_edit", args=[r]), {"report_no": "X", "name": "改名", "reported_at": "2026-01-01T10:00"}),
        (reverse("matching:report_close", args=[r]), {"reason": "结案"}),
        (reverse("matching:report_photo_add", args=[r]), {}),
        (reverse("matching:report_compare", args=[r]), {}),
        (reverse("matching:candidate", args=[c]), {"decision": "rejected", "note": "不是"}),
        (reverse("matching:candidate_merge", args=[w["dup"].uuid]), {"keep": str(w["person"].uuid)}),
        (reverse("matching:person_compare", args=[w["person"].uuid]), {}),
        (reverse("matching:person_unmerge", args=[w["person"].uuid]), {}),
    ]


def test_every_matching_page_requires_login(client, world):
    urls = _reads(world) + [u for u, _ in _object_writes(world)] + [
        reverse("matching:report_new"), reverse("matching:report_import"), reverse("matching:import_template")]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 405), url
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"], url


def test_t7_an_outsider_gets_404_for_every_object_and_changes_nothing(cast, client_for, world):
    client = client_for(cast.outsider)
    before = _state()
    for url in _reads(world)[3:]:
        assert client.get(url).status_code == 404, url
    for url, data in _object_writes(world):
        assert client.post(url, data).status_code == 404, url
    assert _state() == before
    for url in _reads(world)[:3]:
        body = client.get(url).content.decode()
        assert "张伟" not in body and "ZB-1" not in body and "GA-1" not in body, url


def test_t7_a_supervisor_reads_but_gets_403_on_writes(cast, client_for, world):
    client = client_for(cast.county_supervisor)
    before = _state()
    for url in _reads(world):
        assert client.get(url).status_code == 200, url
    for url, data in _object_writes(world):
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("matching:report_new")).status_code == 403
    assert client.get(reverse("matching:report_import")).status_code == 403
    assert _state() == before


def test_t7_a_police_user_sees_their_reports_only(cast, client_for, world):
    client = client_for(cast.police_officer)
    body = client.get(reverse("matching:report_list")).content.decode()
    assert "GA-1" in body and "ZB-1" not in body
    assert client.get(reverse("matching:report_detail", args=[world["report"].uuid])).status_code == 404
    assert client.get(reverse("matching:candidate", args=[world["cand"].uuid])).status_code == 404
    page = client.get(reverse("matching:report_detail", args=[world["police_report"].uuid]))
    assert page.status_code == 200
    assert "郸城" not in client.get(reverse("matching:candidates")).content.decode()
    assert client.get(reverse("matching:browse")).status_code == 403


def test_t7_the_owner_registers_a_report_from_the_form(cast, client_for, world, django_capture_on_commit_callbacks):
    client = client_for(cast.police_officer)
    data = {"report_no": "GA-2", "reported_at": (timezone.localtime() - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "name": "章伟", "sex": "男", "birth_year": "1986", "hukou_text": "河南郸城", "hukou_division_text": "",
            "id_number": "", "photos": png()}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("matching:report_new"), data)
    assert response.status_code == 302
    r = MissingReport.objects.get(report_no="GA-2")
    assert r.organisation == cast.police and r.photos.count() == 1
    assert MatchCandidate.objects.filter(report=r, person=world["person"]).exists()
    bad = client.post(reverse("matching:report_new"), {**data, "report_no": "GA-3", "id_number": "123"})
    assert bad.status_code == 200 and "身份证" in bad.content.decode()
    assert not MissingReport.objects.filter(report_no="GA-3").exists()


def test_t7_the_owner_edits_closes_and_prints_a_report(cast, client_for, world):
    client = client_for(cast.reception)
    r = world["report"]
    response = client.post(reverse("matching:report_edit", args=[r.uuid]), {
        "report_no": "ZB-1", "reported_at": timezone.localtime(r.reported_at).strftime("%Y-%m-%dT%H:%M"),
        "name": "张伟", "sex": "男", "birth_year": "1984", "hukou_text": "河南郸城", "hukou_division_text": "441881"})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.birth_year == 1984 and r.hukou_division.code == "441881"
    pdf = client.get(reverse("matching:report_print", args=[r.uuid]) + "?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.post(reverse("matching:report_close", args=[r.uuid]), {"reason": "家属找回"}).status_code == 302
    r.refresh_from_db()
    assert r.status == "closed"


def test_t7_excel_import_page_shows_row_errors_and_saves_nothing(cast, client_for, world):
    client = client_for(cast.police_officer)
    assert client.get(reverse("matching:import_template")).content[:2] == b"PK"
    wb = Workbook()
    wb.active.append(["报案编号", "姓名"])
    buf = io.BytesIO()
    wb.save(buf)
    before = MissingReport.objects.count()
    response = client.post(reverse("matching:report_import"), {"file": SimpleUploadedFile("a.xlsx", buf.getvalue())})
    assert response.status_code == 400 and "列与模板不符" in response.content.decode()
    wb = Workbook()
    wb.active.append([h for h, _, _ in services.IMPORT_COLUMNS])
    wb.active.append(["GA-9", "2026-01-01 10:00", "", "", "", ""] + [""] * 14)
    buf = io.BytesIO()
    wb.save(buf)
    response = client.post(reverse("matching:report_import"), {"file": SimpleUploadedFile("b.xlsx", buf.getvalue())})
    assert response.status_code == 400 and "第2行：缺少“走失者姓名”" in response.content.decode()
    assert MissingReport.objects.count() == before


def test_t8_the_owner_reviews_from_the_candidate_page(cast, client_for, world):
    client = client_for(cast.tracer)
    url = reverse("matching:candidate", args=[world["cand"].uuid])
    response = client.post(url, {"decision": "rejected", "note": ""})
    assert response.status_code == 400 and "请写明理由" in response.content.decode()
    assert client.post(url, {"decision": "deferred", "note": "等家属照片"}).status_code == 302
    world["cand"].refresh_from_db()
    assert world["cand"].status == "deferred"
    assert AuditEntry.objects.filter(person_uuid=world["person"].uuid, summary__contains="暂缓判断").exists()


def test_t7_the_person_page_shows_the_candidates_tab(cast, client_for, world):
    body = client_for(cast.tracer).get(reverse("people:detail", args=[world["person"].uuid])).content.decode()
    assert "比对候选" in body and "ZB-1" in body


def test_t7_the_id_number_match_is_shown_first_and_loudly(cast, client_for, world):
    ID = "11010519491231002X"
    p = in_care(cast, name="刘秀英", sex="女", id_number=ID)
    r = report(cast, by=cast.reception, name="刘秀英", sex="女", id_number=ID, report_no="ZB-ID")
    services.run_report_query(by=None, report=r)
    body = client_for(cast.tracer).get(reverse("matching:candidates")).content.decode()
    assert "身份证号完全一致" in body and body.index("刘秀英") < body.index("张伟")
    assert ID not in body and p.file_no in body


def test_e4_merge_from_the_candidate_page_and_undo_from_the_file(cast, client_for, world):
    client = client_for(cast.head)
    dup = world["dup"]
    # The earlier file is at the city station: outside the county station's scope → no merge from here.
    client.post(reverse("matching:candidate", args=[dup.uuid]), {"decision": "confirmed", "note": "同一人"})
    response = client.post(reverse("matching:candidate_merge", args=[dup.uuid]), {"keep": str(world["person"].uuid)})
    assert response.status_code == 302
    assert Person.objects.filter(merged_into__isnull=False).count() == 0
    city = client_for(cast.city_supervisor)
    assert city.post(reverse("matching:candidate_merge", args=[dup.uuid]),
                     {"keep": str(world["person"].uuid)}).status_code == 403


def test_t7_browse_shows_people_in_care_with_photos_and_no_id_numbers(cast, client_for, world):
    from people.services import photo_add

    ID = "11010519491231002X"
    p = in_care(cast, name="刘秀英", sex="女", id_number=ID)
    photo = photo_add(by=cast.reception, person=p, image=png(), taken_on=timezone.localdate())
    client = client_for(cast.reception)
    body = client.get(reverse("matching:browse"), {"sex": "女"}).content.decode()
    assert str(photo.uuid) in body and "刘秀英" in body and "张伟" not in body
    assert ID not in body and p.id_number_masked not in body
    body = client.get(reverse("matching:browse"), {"age_min": "70", "age_max": "80"}).content.decode()
    assert "刘秀英" in body
    bad = client.get(reverse("matching:browse"), {"age_min": "50", "age_max": "20"}).content.decode()
    assert "年龄上限不能小于下限" in bad


# --- the review page is safe (issue 14) ------------------------------------------------------------


def test_the_review_page_has_no_default_decision_and_shows_bands_fields_and_photos(cast, client_for, world):
    page = client_for(cast.tracer).get(reverse("matching:candidate", args=[world["cand"].uuid])).content.decode()
    assert 'type="radio" name="decision"' in page and "checked" not in page.split('name="decision"')[1][:200]
    assert "100%" not in page and any(b in page for b in ("很可能", "可能", "较弱"))
    assert "逐项比对" in page and "cmp-agree" in page and "河南郸城" in page
    assert reverse("matching:report_photo", args=[world["photo"].uuid]) in page


def test_a_form_without_a_decision_changes_nothing(cast, client_for, world):
    before = _state()
    response = client_for(cast.tracer).post(reverse("matching:candidate", args=[world["cand"].uuid]), {"note": "x"})
    assert response.status_code == 400 and "请选择审核结论" in response.content.decode()
    assert _state() == before


def test_confirming_shows_the_consequences_and_asks_once_more(cast, client_for, world):
    client = client_for(cast.tracer)
    url = reverse("matching:candidate", args=[world["cand"].uuid])
    before = _state()
    page = client.post(url, {"decision": "confirmed", "note": "家属视频确认"}).content.decode()
    assert 'id="consequences"' in page and "撤回" in page and "已找到" in page and 'name="confirm_again"' in page
    assert _state() == before  # nothing happened yet
    assert client.post(url, {"decision": "confirmed", "note": "家属视频确认", "confirm_again": "1"}).status_code == 302
    world["cand"].refresh_from_db()
    world["report"].refresh_from_db()
    assert world["cand"].status == "confirmed" and world["report"].status == "found"


def test_one_person_strong_for_two_reports_is_flagged(cast, client_for, world):
    second = report(cast, by=cast.reception, name="张伟", birth_year=1985, hukou_text="河南省周口市郸城县",
                    dialect="河南话", report_no="ZB-2")
    services.run_report_query(by=None, report=second)
    other = MatchCandidate.objects.get(report=second, person=world["person"])
    page = client_for(cast.tracer).get(reverse("matching:candidate", args=[world["cand"].uuid])).content.decode()
    assert 'id="competing"' in page and "ZB-2" in page and str(other.uuid) in page


def test_closest_matches_list_the_top_records_whatever_their_probability(cast, client_for, world):
    client = client_for(cast.tracer)
    page = client.get(reverse("matching:person_closest", args=[world["person"].uuid])).content.decode()
    assert "ZB-1" in page or "李四" in page
    report_page = client.get(reverse("matching:report_closest", args=[world["police_report"].uuid]))
    assert report_page.status_code == 404  # the police's report is not the station's to read
    assert AuditEntry.objects.filter(summary__startswith="查看最接近的走失报案").exists()
    outsider = client_for(cast.outsider)
    assert outsider.get(reverse("matching:person_closest", args=[world["person"].uuid])).status_code == 404
