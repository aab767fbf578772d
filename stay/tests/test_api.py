"""/api/v1/stay: the same rules and scope as the pages."""

import json

import pytest

from people.models import Episode
from stay.models import Bed, BedAssignment, Placement, StayExtension, Zone
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db
BASE = "/api/v1/stay"


@pytest.fixture
def world(cast):
    from stay import services

    beds = station_beds(cast)
    ep = admitted_episode(cast)
    placed = admitted_episode(cast, name="王五")
    placement = services.placement_start(by=cast.carer, episode=placed, kind="hospital", organisation=cast.hospital)
    return {"beds": beds, "ep": ep, "placement": placement}


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _endpoints(world, cast):
    ep, beds = world["ep"], world["beds"]
    return [
        ("get", f"{BASE}/zones", None),
        ("post", f"{BASE}/zones", {"station": str(cast.station.uuid), "name": "新区", "category": "elderly"}),
        ("get", f"{BASE}/zones/{beds.men.uuid}/beds", None),
        ("post", f"{BASE}/zones/{beds.men.uuid}/beds", {"codes": ["M09"]}),
        ("get", f"{BASE}/occupancy", None),
        ("get", f"{BASE}/episodes/{ep.uuid}", None),
        ("post", f"{BASE}/episodes/{ep.uuid}/bed", {"bed": str(beds.m1.uuid)}),
        ("post", f"{BASE}/episodes/{ep.uuid}/bed/release", {}),
        ("get", f"{BASE}/placements", None),
        ("post", f"{BASE}/episodes/{ep.uuid}/placements", {"kind": "hospital", "organisation": str(cast.hospital.uuid)}),
        ("post", f"{BASE}/placements/{world['placement'].uuid}/return", {"bed": str(beds.m2.uuid)}),
        ("post", f"{BASE}/episodes/{ep.uuid}/n5-reasons", {"reason": "等待DNA比对结果"}),
    ]


def _state():
    return (Zone.objects.count(), Bed.objects.count(), BedAssignment.objects.count(), Placement.objects.count(),
            StayExtension.objects.count(), list(Episode.objects.order_by("pk").values_list("status", flat=True)))


def test_every_stay_endpoint_requires_authentication(client, world, cast):
    for method, url, data in _endpoints(world, cast):
        response = client.get(url) if method == "get" else _post(client, url, data)
        assert response.status_code == 401, url
        assert response.json()["code"] == "unauthenticated"


def test_it_hides_stay_records_from_an_outsider_through_the_api(cast, client_for, world):
    client = client_for(cast.outsider)
    before = _state()
    for method, url, data in _endpoints(world, cast):
        response = client.get(url) if method == "get" else _post(client, url, data)
        if url.endswith(("/zones", "/occupancy", "/placements")) and method == "get":
            assert response.status_code == 200 and response.json() == [], url
        else:
            assert response.status_code == 404, url
    assert _state() == before


def test_a_supervisor_reads_through_the_api_but_cannot_write(cast, client_for, world):
    client = client_for(cast.county_supervisor)
    before = _state()
    for method, url, data in _endpoints(world, cast):
        response = client.get(url) if method == "get" else _post(client, url, data)
        assert response.status_code == (200 if method == "get" else 403), url
    assert _state() == before
    assert len(client.get(f"{BASE}/zones").json()) == 4


def test_n4_the_api_assigns_a_bed_and_refuses_a_taken_bed_in_chinese(cast, client_for, world):
    client = client_for(cast.carer)
    ep, beds = world["ep"], world["beds"]
    response = _post(client, f"{BASE}/episodes/{ep.uuid}/bed", {"bed": str(beds.m1.uuid)})
    assert response.status_code == 201 and response.json()["bed_code"] == "M01"
    other = admitted_episode(cast, name="赵六")
    before = _state()
    response = _post(client, f"{BASE}/episodes/{other.uuid}/bed", {"bed": str(beds.m1.uuid)})
    assert response.status_code == 400 and "已有人入住" in response.json()["message"]
    assert _state() == before
    status = client.get(f"{BASE}/episodes/{ep.uuid}").json()
    assert status["bed"]["bed_code"] == "M01" and status["status"] == "in_station"
    assert _post(client, f"{BASE}/episodes/{ep.uuid}/bed/release", {}).status_code == 200


def test_c3_c5_n5_through_the_api(cast, client_for, world):
    head = client_for(cast.head)
    zone = _post(head, f"{BASE}/zones", {"name": "老年区", "category": "elderly"})
    assert zone.status_code == 201
    assert _post(head, f"{BASE}/zones/{zone.json()['uuid']}/beds", {"codes": ["L01", "L02"]}).status_code == 201
    occupancy = head.get(f"{BASE}/occupancy").json()
    assert occupancy[0]["beds"] == 7 and occupancy[0]["occupied"] == 0
    ep = world["ep"]
    response = _post(head, f"{BASE}/episodes/{ep.uuid}/placements", {"kind": "outside_care",
                                                                     "organisation": str(cast.hospital.uuid)})
    assert response.status_code == 400 and "agreement" in response.json()["fields"]
    response = _post(head, f"{BASE}/episodes/{ep.uuid}/n5-reasons", {"reason": "等待家属来接"})
    assert response.status_code == 201
    placement = world["placement"]
    response = _post(head, f"{BASE}/placements/{placement.uuid}/return", {"bed": str(world["beds"].m2.uuid)})
    assert response.status_code == 200
    assert Episode.objects.get(pk=placement.episode_id).status == "in_station"
