"""API of the oversight app: same scope and rules as the pages."""

import base64

import pytest

from oversight.models import Hazard, HazardStatus, Inspection
from oversight.tests.world import png

pytestmark = pytest.mark.django_db


def _results(checklist, note="消防通道堆放杂物"):
    photo = base64.b64encode(png().read()).decode()
    return [
        {
            "item": str(c.uuid),
            "outcome": "fail" if i == 0 else "pass",
            "note": note if i == 0 else "",
            "photo_base64": photo if i == 0 else "",
        }
        for i, c in enumerate(checklist)
    ]


def test_o3_inspection_and_hazard_journey_through_the_api(client_for, cast, checklist, client):
    client.force_login(cast.head)
    response = client.post(
        "/api/v1/oversight/inspections",
        {"organisation": str(cast.station.uuid), "results": _results(checklist)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    hazard_uuid = [r for r in response.json()["results"] if r["outcome"] == "fail"][0]["hazard"]
    url = f"/api/v1/oversight/hazards/{hazard_uuid}"
    client.force_login(cast.carer)
    assert (
        client.post(
            url + "/plan", {"measures": "清理通道", "responsible": "赵照料"}, content_type="application/json"
        ).status_code
        == 200
    )
    assert (
        client.post(url + "/submit", {"rectification": "已清理"}, content_type="application/json").json()[
            "status"
        ]
        == "pending"
    )
    refused = client.post(url + "/accept", {}, content_type="application/json")
    assert refused.status_code == 403  # a carer may not accept at all
    client.force_login(cast.head)
    assert (
        client.post(url + "/accept", {"note": "合格"}, content_type="application/json").json()["status"]
        == "accepted"
    )
    closed = client.post(url + "/close", {}, content_type="application/json").json()
    assert closed["status"] == "closed" and [s["status_to"] for s in closed["steps"]][-1] == "closed"


def test_o3_the_fixer_accepting_gets_a_chinese_message_and_nothing_changes(
    client_for, cast, checklist, client
):
    client.force_login(cast.head)
    client.post(
        "/api/v1/oversight/inspections",
        {"organisation": str(cast.station.uuid), "results": _results(checklist)},
        content_type="application/json",
    )
    hazard = Hazard.objects.get()
    url = f"/api/v1/oversight/hazards/{hazard.uuid}"
    client.post(
        url + "/plan", {"measures": "清理通道", "responsible": "王站长"}, content_type="application/json"
    )
    client.post(url + "/submit", {"rectification": "已清理"}, content_type="application/json")
    response = client.post(url + "/accept", {}, content_type="application/json")
    assert response.status_code == 400 and "整改人本人" in response.json()["message"]
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.PENDING


def test_o3_bad_input_is_refused_without_saving(client_for, cast, checklist):
    client = client_for(cast.head)
    too_long = client.post(
        "/api/v1/oversight/inspections",
        {"organisation": str(cast.station.uuid), "results": _results(checklist, note="x" * 301)},
        content_type="application/json",
    )
    assert too_long.status_code == 422
    bad_photo = _results(checklist)
    bad_photo[0]["photo_base64"] = "not base64!"
    assert (
        client.post(
            "/api/v1/oversight/inspections",
            {"organisation": str(cast.station.uuid), "results": bad_photo},
            content_type="application/json",
        ).status_code
        == 400
    )
    assert not Inspection.objects.exists()


def test_it_gives_an_outsider_nothing(client_for, cast, checklist):
    client = client_for(cast.head)
    client.post(
        "/api/v1/oversight/inspections",
        {"organisation": str(cast.station.uuid), "results": _results(checklist)},
        content_type="application/json",
    )
    hazard = Hazard.objects.get()
    client = client_for(cast.outsider)
    assert client.get(f"/api/v1/oversight/hazards/{hazard.uuid}").status_code == 404
    assert client.get("/api/v1/oversight/hazards?status=all").json() == []
    assert client.get("/api/v1/oversight/inspections").json() == []
    assert client.get("/api/v1/oversight/checklist").json() == []
    assert (
        client.post(
            "/api/v1/oversight/inspections",
            {"organisation": str(cast.station.uuid), "results": _results(checklist)},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert Inspection.objects.count() == 1
