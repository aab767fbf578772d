"""The settlement API: same scope, permissions and services as the pages (rules S1–S4)."""

import base64
import io

import pytest
import time_machine
from django.utils import timezone
from PIL import Image

from core.testing import audit_writes
from deadlines.tests.conftest import admit, local
from settlement.models import SettlementCase, SettlementStatus
from settlement.tests.helpers import ADMITTED, walk

pytestmark = pytest.mark.django_db
S = SettlementStatus


def _b64() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (30, 30), (1, 2, 3)).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_s1_apply_through_the_api_refuses_early_applications_in_chinese(cast, client_for):
    ep = admit(cast, ADMITTED)
    client = client_for(cast.head)
    url = f"/api/v1/settlement/episodes/{ep.uuid}/cases"
    with time_machine.travel(local(2026, 3, 1, 10), tick=True):
        response = client.post(url, {"document_base64": _b64()}, content_type="application/json")
        assert response.status_code == 400 and "尚不能申请落户安置" in response.json()["message"]
        assert not SettlementCase.objects.exists()
        response = client.post(url, {"document_base64": _b64(), "exception_reason": "重病需长期照护"},
                               content_type="application/json")
    assert response.status_code == 201 and response.json()["status"] == S.APPLIED


def test_s1_to_s2_steps_through_the_api_each_by_its_actor(cast, client_for):
    case = walk(cast, "applied")
    today = timezone.localdate().isoformat()
    plan = {"on": today, "government": "英德市人民政府", "plan_summary": "安置到福利院", "document_base64": _b64()}
    assert client_for(cast.head).post(f"/api/v1/settlement/cases/{case.uuid}/plan", plan,
                                      content_type="application/json").status_code == 403
    response = client_for(cast.county_supervisor).post(f"/api/v1/settlement/cases/{case.uuid}/plan", plan,
                                                       content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == S.PLAN_SUBMITTED
    steps = client_for(cast.head).get(f"/api/v1/settlement/cases/{case.uuid}/steps").json()
    assert [s["kind"] for s in steps] == ["application", "plan"] and steps[1]["has_document"]


def test_the_police_see_only_cases_addressed_to_them(cast, client_for):
    placed = walk(cast, "placed")
    walk(cast, "applied", name="无名氏乙")
    rows = client_for(cast.police_officer).get("/api/v1/settlement/cases?status=all").json()
    assert [r["number"] for r in rows] == [placed.number]


def test_outsiders_get_404_and_nothing_changes_through_the_api(cast, client_for):
    case = walk(cast, "applied")
    outsider = client_for(cast.outsider)
    writes = audit_writes()
    assert outsider.get(f"/api/v1/settlement/cases/{case.uuid}").status_code == 404
    assert outsider.post(f"/api/v1/settlement/cases/{case.uuid}/withdraw", {"reason": "x"},
                         content_type="application/json").status_code == 404
    assert outsider.get("/api/v1/settlement/cases?status=all").json() == []
    assert audit_writes() == writes
