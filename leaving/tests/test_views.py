"""Every leaving page and endpoint: login, outsider 404, supervisor reads but 403 on writes, owner acts."""

import base64
import json

import pytest
from django.urls import reverse

from leaving.models import Departure
from leaving.services import departure_create
from leaving.tests.test_services import CLAIMANT_ID, png_upload
from oversight.tests.panel import make_panel
from people.models import Episode
from stay.tests.factories import admitted_episode

pytestmark = pytest.mark.django_db
API = "/api/v1/leaving"


@pytest.fixture
def world(cast):
    ep = admitted_episode(cast)
    gone = admitted_episode(cast, age=14, name="小红", sex="女")
    panel = make_panel(cast)
    departure = departure_create(
        by=cast.reception, episode=gone, exit_type="family", claimant_id_number=CLAIMANT_ID,
        claimant_id_copy=png_upload(),
        data={"claimant_name": "李母", "claimant_relationship": "母亲", "claimant_phone": "13800000000",
              "witness_1": str(panel[0].uuid), "witness_2": str(panel[1].uuid)})
    return {"ep": ep, "departure": departure, "panel": panel}


def _pages(world):
    ep, d = world["ep"], world["departure"]
    return {
        "list": reverse("leaving:list"),
        "new": reverse("leaving:new", args=[ep.uuid]),
        "detail": reverse("leaving:detail", args=[d.uuid]),
        "id_copy": reverse("leaving:id_copy", args=[d.uuid]),
        "print_declaration": reverse("leaving:print_declaration", args=[ep.uuid]),
        "print_register": reverse("leaving:print_register", args=[d.episode.uuid]),
    }


def _api(world):
    ep, d = world["ep"], world["departure"]
    return [("get", f"{API}/departures", None), ("get", f"{API}/departures/{d.uuid}", None),
            ("post", f"{API}/episodes/{ep.uuid}/departure", {"exit_type": "self", "declaration_signed": True})]


def _state():
    return Departure.objects.count(), list(Episode.objects.order_by("pk").values_list("status", flat=True))


def _call(client, method, url, data):
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(data), content_type="application/json")


def test_every_leaving_page_and_endpoint_requires_login(client, world):
    for name, url in _pages(world).items():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    for method, url, data in _api(world):
        assert _call(client, method, url, data).status_code == 401, url


def test_it_hides_departures_from_an_outsider(cast, client_for, world):
    client = client_for(cast.outsider)
    before = _state()
    for name, url in _pages(world).items():
        if name == "list":
            response = client.get(url)
            assert response.status_code == 200 and "小红" not in response.content.decode()
            continue
        assert client.get(url).status_code == 404, name
    assert client.post(_pages(world)["new"], {"exit_type": "self", "declaration_signed": "on"}).status_code == 404
    for method, url, data in _api(world):
        response = _call(client, method, url, data)
        assert response.status_code == (200 if url.endswith("/departures") else 404), url
        if url.endswith("/departures"):
            assert response.json() == []
    assert _state() == before


@pytest.mark.parametrize("who", ["county_supervisor", "city_supervisor"])
def test_a_supervisor_reads_departures_but_gets_403_on_writes(cast, client_for, world, who):
    client = client_for(getattr(cast, who))
    before = _state()
    for name, url in _pages(world).items():
        assert client.get(url).status_code == (403 if name == "new" else 200), name
    assert client.post(_pages(world)["new"], {"exit_type": "self", "declaration_signed": "on"}).status_code == 403
    for method, url, data in _api(world):
        assert _call(client, method, url, data).status_code == (200 if method == "get" else 403), url
    assert _state() == before


def test_n7_the_receptionist_records_a_self_departure_on_the_page(cast, client_for, world):
    client = client_for(cast.reception)
    url = _pages(world)["new"]
    assert client.get(url).status_code == 200
    response = client.post(url, {"exit_type": "self"})
    assert response.status_code == 200 and "自行离站声明书" in response.content.decode()
    assert Departure.objects.count() == 1
    response = client.post(url, {"exit_type": "self", "declaration_signed": "on", "destination": "广州"})
    departure = Departure.objects.get(episode=world["ep"])
    assert response.status_code == 302 and response["Location"] == reverse("leaving:detail", args=[departure.uuid])
    assert client.get(response["Location"]).status_code == 200
    assert client.get(url).status_code == 302  # a second departure is not offered


def test_n9_a_non_image_id_copy_on_the_page_shows_a_chinese_message(cast, client_for, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(cast.reception)
    response = client.post(_pages(world)["new"], {
        "exit_type": "family", "claimant_name": "张父", "claimant_relationship": "父亲",
        "claimant_phone": "13900000000", "claimant_id_number": CLAIMANT_ID,
        "claimant_id_copy": SimpleUploadedFile("id.pdf", b"hello, not a pdf")})
    assert response.status_code == 200 and "不是有效的图片或 PDF" in response.content.decode()
    assert Departure.objects.count() == 1


def test_n12_the_self_departure_declaration_prints_as_html_and_pdf(cast, client_for, world):
    client = client_for(cast.reception)
    url = _pages(world)["print_declaration"]
    assert "自行离站声明书" in client.get(url).content.decode()
    response = client.get(url + "?format=pdf")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    register = client.get(_pages(world)["print_register"]).content.decode()
    assert "在站服务及离站登记表" in register and "110105********002X" in register and CLAIMANT_ID not in register


def test_e1_the_list_filters_by_type_and_the_id_copy_is_served_to_the_station(cast, client_for, world):
    client = client_for(cast.reception)
    assert "小红" in client.get(reverse("leaving:list"), {"exit_type": "family"}).content.decode()
    assert "小红" not in client.get(reverse("leaving:list"), {"exit_type": "death"}).content.decode()
    assert client.get(_pages(world)["id_copy"]).status_code == 200


def test_the_people_episode_page_shows_the_leaving_panel(cast, client_for, world):
    response = client_for(cast.reception).get(reverse("people:episode", args=[world["ep"].uuid]))
    assert "办理离站" in response.content.decode()


def test_e1_the_api_records_a_family_collection_and_refuses_a_child_self_departure(cast, client_for, world):
    client = client_for(cast.reception)
    child = admitted_episode(cast, age=10, name="小军")
    before = _state()
    response = _call(client, "post", f"{API}/episodes/{child.uuid}/departure",
                     {"exit_type": "self", "declaration_signed": True})
    assert response.status_code == 400 and "规则 N9" in response.json()["message"]
    assert _state() == before
    copy = base64.b64encode(png_upload().read()).decode()
    response = _call(client, "post", f"{API}/episodes/{child.uuid}/departure", {
        "exit_type": "family", "claimant_name": "张父", "claimant_relationship": "父亲",
        "claimant_phone": "13900000000", "claimant_id_number": CLAIMANT_ID, "claimant_id_copy_base64": copy,
        "claimant_id_copy_filename": "id.png", "witness_1": str(world["panel"][0].uuid),
        "witness_2": str(world["panel"][1].uuid)})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["claimant_id_masked"] == "110105********002X" and body["has_id_copy"]
    assert client.get(f"{API}/departures/{body['uuid']}").json()["exit_type"] == "family"
    assert len(client.get(f"{API}/departures", {"exit_type": "family"}).json()) == 2
