"""Pages of the oversight app: login, scope (an outsider gets nothing), write rights, bad input."""

import io

import pytest
from openpyxl import load_workbook

from core.models import AuditEntry
from oversight import services
from oversight.models import ChecklistItem, Hazard, HazardStatus, Inspection, Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def hazard(cast, checklist):
    services.inspection_create(
        by=cast.head,
        organisation=cast.station,
        results=[
            {"item": checklist[0], "outcome": Outcome.FAIL, "note": "灭火器过期"},
            {"item": checklist[1], "outcome": Outcome.PASS},
            {"item": checklist[2], "outcome": Outcome.PASS},
        ],
    )
    return Hazard.objects.get()


def _inspection_post(checklist, fail_note="灭火器过期"):
    data = {"inspected_at": "2026-01-05T10:00", "participants": "王站长", "note": ""}
    for i, item in enumerate(checklist):
        data[f"r_{item.pk}"] = "fail" if i == 0 else "pass"
        data[f"n_{item.pk}"] = fail_note if i == 0 else ""
    return data


def test_it_requires_login(client, hazard):
    for url in ("/oversight/", "/oversight/hazards/", f"/oversight/hazards/{hazard.uuid}/"):
        assert client.get(url).status_code == 302


def test_o3_a_station_head_walks_the_checklist_on_a_page_and_a_hazard_is_opened(client_for, cast, checklist):
    client = client_for(cast.head)
    page = client.get(f"/oversight/orgs/{cast.station.uuid}/inspect/")
    assert page.status_code == 200 and "灭火器在有效期内" in page.content.decode()
    response = client.post(f"/oversight/orgs/{cast.station.uuid}/inspect/", _inspection_post(checklist))
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response.url == f"/oversight/inspections/{inspection.uuid}/"
    assert Hazard.objects.get().description == "灭火器过期"


def test_o3_an_empty_description_of_a_failed_item_shows_a_message_and_saves_nothing(
    client_for, cast, checklist
):
    response = client_for(cast.head).post(
        f"/oversight/orgs/{cast.station.uuid}/inspect/", _inspection_post(checklist, fail_note="")
    )
    assert response.status_code == 200 and "请写明发现的隐患" in response.content.decode()
    assert not Inspection.objects.exists()


def test_o3_a_receptionist_cannot_inspect_but_the_county_department_can(client_for, cast, checklist):
    assert client_for(cast.reception).get(f"/oversight/orgs/{cast.station.uuid}/inspect/").status_code == 403
    assert (
        client_for(cast.county_supervisor).get(f"/oversight/orgs/{cast.station.uuid}/inspect/").status_code
        == 200
    )


def test_it_hides_everything_from_an_outsider(client_for, cast, hazard):
    client = client_for(cast.outsider)
    for url in (
        f"/oversight/hazards/{hazard.uuid}/",
        f"/oversight/inspections/{hazard.inspection.uuid}/",
        f"/oversight/hazards/{hazard.uuid}/print/",
        f"/oversight/orgs/{cast.station.uuid}/inspect/",
        f"/oversight/checklist/{ChecklistItem.objects.first().uuid}/",
    ):
        assert client.get(url).status_code == 404, url
    for action in ("plan", "submit", "accept", "close"):
        assert (
            client.post(
                f"/oversight/hazards/{hazard.uuid}/{action}/",
                {"measures": "x", "responsible": "x", "rectification": "x", "decision": "accept"},
            ).status_code
            == 404
        )
    body = client.get("/oversight/hazards/?status=all").content.decode()
    assert hazard.number not in body and "灭火器过期" not in body
    xlsx = client.get("/oversight/hazards/xlsx/?status=all")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert xlsx.status_code == 200 and len(rows) == 2  # the title and the header, no hazard
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.RECTIFYING and not hazard.measures


def test_o3_journey_by_pages_fixed_by_carer_accepted_by_head_closed(client_for, cast, hazard, client):
    client.force_login(cast.carer)
    url = f"/oversight/hazards/{hazard.uuid}/"
    client.post(url + "plan/", {"measures": "更换灭火器", "responsible": "赵照料"})
    client.post(url + "submit/", {"rectification": "已更换"})
    # the fixer is not offered the acceptance form and cannot accept by posting
    assert "验收结论" not in client.get(url).content.decode()
    client.post(url + "accept/", {"decision": "accept", "note": ""})
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.PENDING
    client.force_login(cast.head)
    client.post(url + "accept/", {"decision": "accept", "note": "合格"})
    client.post(url + "close/", {"note": ""})
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CLOSED
    assert client.get(url + "print/").status_code == 200


def test_o3_a_panel_member_reads_nothing_and_a_carer_cannot_accept(client_for, cast, hazard):
    assert client_for(cast.panel_member).get(f"/oversight/hazards/{hazard.uuid}/").status_code == 404
    services.hazard_plan(by=cast.head, hazard=hazard, measures="更换", responsible="王站长")
    services.hazard_submit(by=cast.head, hazard=hazard, rectification="已更换")
    assert (
        client_for(cast.carer)
        .post(f"/oversight/hazards/{hazard.uuid}/accept/", {"decision": "accept"})
        .status_code
        == 403
    )


def test_o3_the_checklist_is_edited_by_the_department_only(client_for, cast, checklist):
    item = checklist[0]
    assert client_for(cast.head).get(f"/oversight/checklist/{item.uuid}/").status_code == 404
    assert client_for(cast.head).get("/oversight/checklist/new/").status_code == 403
    client = client_for(cast.city_supervisor)
    response = client.post(
        f"/oversight/checklist/{item.uuid}/",
        {"category": "fire", "text": "灭火器每月检查", "guidance": "", "order": 1, "is_active": "on"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.text == "灭火器每月检查"
    entry = AuditEntry.objects.filter(object_id=str(item.uuid), action="update").get()
    assert entry.changes["text"] == ["灭火器在有效期内并定点放置", "灭火器每月检查"]
    assert "灭火器每月检查" in client_for(cast.head).get("/oversight/checklist/").content.decode()


def test_o3_the_ledger_exports_to_excel_and_is_audited(client_for, cast, hazard):
    response = client_for(cast.county_supervisor).get("/oversight/hazards/xlsx/")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert AuditEntry.objects.filter(action="export", object_type="oversight.hazards").exists()
