"""The matching API: same scope, permissions and validation as the pages."""

import datetime
import io

import pytest
from openpyxl import Workbook

from matching import services
from matching.models import MatchCandidate, MissingReport
from matching.tests.factories import in_care, report

pytestmark = pytest.mark.django_db

BASE = "/api/v1/matching"


@pytest.fixture
def world(cast):
    person = in_care(cast, name="张伟", sex="男", birth_year_est=1985, hukou_text="河南省周口市郸城县", dialect="河南话")
    r = report(cast, by=cast.reception, name="张伟", birth_year=1985, hukou_text="河南郸城", report_no="ZB-1")
    services.run_report_query(by=None, report=r)
    return {"person": person, "report": r, "cand": MatchCandidate.objects.get(report=r)}


def test_api_requires_authentication(client, world):
    assert client.get(f"{BASE}/reports").status_code == 401
    assert client.post(f"{BASE}/candidates/{world['cand'].uuid}/decide", {"decision": "deferred"},
                       content_type="application/json").status_code == 401


def test_t7_api_police_create_and_list_their_reports(cast, client_for, world, django_capture_on_commit_callbacks):
    client = client_for(cast.police_officer)
    payload = {"report_no": "GA-1", "reported_at": (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)).isoformat(),
               "name": "章伟", "sex": "男", "birth_year": 1986, "hukou_text": "河南郸城", "hukou_division": "441881"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/reports", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["hukou_division"] == "441881"
    assert [r["report_no"] for r in client.get(f"{BASE}/reports").json()] == ["GA-1"]
    bad = client.post(f"{BASE}/reports", {**payload, "report_no": "GA-2", "id_number": "123"},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "id_number" in bad.json()["fields"]
    assert not MissingReport.objects.filter(report_no="GA-2").exists()


def test_t7_api_outsider_gets_404_and_supervisor_403(cast, client_for, world):
    before = (MissingReport.objects.count(), list(MatchCandidate.objects.values_list("status", flat=True)))
    out = client_for(cast.outsider)
    assert out.get(f"{BASE}/reports/{world['report'].uuid}").status_code == 404
    assert out.get(f"{BASE}/candidates/{world['cand'].uuid}").status_code == 404
    assert out.post(f"{BASE}/candidates/{world['cand'].uuid}/decide", {"decision": "deferred"},
                    content_type="application/json").status_code == 404
    assert out.get(f"{BASE}/candidates").json() == []
    sup = client_for(cast.county_supervisor)
    assert sup.get(f"{BASE}/reports/{world['report'].uuid}").status_code == 200
    assert sup.patch(f"{BASE}/reports/{world['report'].uuid}", {"name": "改"},
                     content_type="application/json").status_code == 403
    assert sup.post(f"{BASE}/candidates/{world['cand'].uuid}/decide", {"decision": "deferred"},
                    content_type="application/json").status_code == 403
    assert sup.post(f"{BASE}/persons/{world['person'].uuid}/query").status_code == 403
    assert sup.post(f"{BASE}/reports", {}, content_type="application/json").status_code in (403, 422)
    assert (MissingReport.objects.count(), list(MatchCandidate.objects.values_list("status", flat=True))) == before


def test_t7_api_owner_reviews_queries_and_patches(cast, client_for, world):
    client = client_for(cast.tracer)
    listed = client.get(f"{BASE}/candidates").json()
    assert listed[0]["uuid"] == str(world["cand"].uuid) and listed[0]["explanation"]
    got = client.post(f"{BASE}/persons/{world['person'].uuid}/query").json()
    assert any(c["report_no"] == "ZB-1" for c in got)
    asked = client.post(f"{BASE}/candidates/{world['cand'].uuid}/decide", {"decision": "confirmed"},
                        content_type="application/json")
    assert asked.status_code == 400 and "撤回" in asked.json()["message"] + str(asked.json().get("fields"))
    world["cand"].refresh_from_db()
    assert world["cand"].status == "open"  # asked once more, nothing changed
    response = client.post(f"{BASE}/candidates/{world['cand'].uuid}/decide", {"decision": "confirmed", "confirm": True},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    assert response.json()["band"] in ("很可能", "可能", "较弱") and "100%" not in response.json()["band_percent"]
    assert client.get(f"{BASE}/reports/{world['report'].uuid}").json()["status"] == "found"
    patched = client_for(cast.reception).patch(f"{BASE}/reports/{world['report'].uuid}", {"dialect": "河南话"},
                                               content_type="application/json")
    assert patched.status_code == 200 and patched.json()["dialect"] == "河南话"


def test_t7_api_import_is_all_or_nothing(cast, client_for, world):
    wb = Workbook()
    wb.active.append(["报案编号", "姓名"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.name = "x.xlsx"
    buf.seek(0)
    response = client_for(cast.police_officer).post(f"{BASE}/reports/import", {"file": buf})
    assert response.status_code == 400 and "列与模板不符" in response.json()["message"]
    assert MissingReport.objects.filter(organisation=cast.police).count() == 0
