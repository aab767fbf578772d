"""Settlement pages: the station applies, the department plans and records the decision, the station places,
the police register the 户口 — each only for the one whose step it is; outsiders see nothing."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.testing import audit_writes
from deadlines.tests.conftest import admit, local
from settlement.models import SettlementCase, SettlementStatus
from settlement.tests.helpers import ADMITTED, doc, walk

pytestmark = pytest.mark.django_db
S = SettlementStatus


def test_s1_the_station_head_applies_on_the_page_after_3_months(cast, client_for):
    ep = admit(cast, ADMITTED)
    url = reverse("settlement:apply", args=[ep.uuid])
    with time_machine.travel(local(2026, 4, 20, 10), tick=True):
        page = client_for(cast.head).get(url)
        assert page.status_code == 200 and "满3个月：2026-04-05" in page.content.decode()
        response = client_for(cast.head).post(url, {"applied_on": "2026-04-20", "situation": "寻亲未果",
                                                    "document": doc()})
    case = SettlementCase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("settlement:detail", args=[case.uuid])


def test_s1_early_application_on_the_page_shows_the_chinese_message_and_saves_nothing(cast, client_for):
    ep = admit(cast, ADMITTED)
    writes = audit_writes()
    with time_machine.travel(local(2026, 2, 20, 10), tick=True):
        response = client_for(cast.head).post(reverse("settlement:apply", args=[ep.uuid]),
                                              {"applied_on": "2026-02-20", "document": doc()})
    assert response.status_code == 200 and "尚不能申请落户安置" in response.content.decode()
    assert not SettlementCase.objects.exists() and audit_writes() == writes


def test_s1_the_department_submits_the_plan_and_the_station_may_not(cast, client_for):
    case = walk(cast, "applied")
    url = reverse("settlement:plan", args=[case.uuid])
    data = {"on": timezone.localdate().isoformat(), "government": "英德市人民政府", "plan_summary": "安置到福利院"}
    assert client_for(cast.head).post(url, {**data, "document": doc()}).status_code == 403
    response = client_for(cast.county_supervisor).post(url, {**data, "document": doc()})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.PLAN_SUBMITTED


def test_s2_the_police_register_the_hukou_on_the_page(cast, client_for):
    case = walk(cast, "placed")
    url = reverse("settlement:hukou", args=[case.uuid])
    assert client_for(cast.head).get(url).status_code == 403
    police = client_for(cast.police_officer)
    assert police.get(reverse("settlement:list") + "?awaiting=police").content.decode().count(case.number) == 1
    response = police.post(url, {"on": timezone.localdate().isoformat(), "number": "441802202600777"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.REGISTERED


def test_a_step_the_state_does_not_allow_goes_back_to_the_case(cast, client_for):
    case = walk(cast, "applied")
    response = client_for(cast.head).get(reverse("settlement:place", args=[case.uuid]))
    assert response.status_code == 302 and response["Location"] == reverse("settlement:detail", args=[case.uuid])


def test_the_case_page_shows_steps_documents_and_the_print(cast, client_for):
    case = walk(cast, "registered")
    client = client_for(cast.county_supervisor)
    body = client.get(reverse("settlement:detail", args=[case.uuid])).content.decode()
    assert "公安机关登记户口" in body and "落户安置申请书" in body and "441802202600123" in body
    step = case.steps.exclude(document="").first()
    assert client.get(reverse("settlement:document", args=[step.uuid])).status_code == 200
    printed = client.get(reverse("settlement:print", args=[case.uuid])).content.decode()
    assert "落户安置申请书" in printed and case.person.name in printed


def test_the_list_exports_excel_with_the_same_filters(cast, client_for):
    walk(cast, "applied")
    response = client_for(cast.head).get(reverse("settlement:list") + "?status=open&format=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")


def test_the_episode_page_shows_the_settlement_panel(cast, client_for):
    ep = admit(cast, ADMITTED)
    with time_machine.travel(local(2026, 4, 20, 10), tick=True):
        body = client_for(cast.head).get(reverse("people:episode", args=[ep.uuid])).content.decode()
    assert "落户安置" in body and "尚未申请落户安置" in body and reverse("settlement:apply", args=[ep.uuid]) in body


def test_outsiders_see_nothing_and_change_nothing(cast, client_for):
    case = walk(cast, "placed")
    outsider = client_for(cast.outsider)
    writes = audit_writes()
    for name in ("detail", "plan", "decide", "place", "long_term", "hukou", "print", "withdraw"):
        assert outsider.get(reverse(f"settlement:{name}", args=[case.uuid])).status_code == 404, name
        assert outsider.post(reverse(f"settlement:{name}", args=[case.uuid]), {"reason": "x"}).status_code == 404
    assert outsider.get(reverse("settlement:apply", args=[case.episode.uuid])).status_code == 404
    assert case.number not in outsider.get(reverse("settlement:list") + "?status=all").content.decode()
    assert audit_writes() == writes
    case.refresh_from_db()
    assert case.status == S.PLACED
