"""The tracing API: login, outsider 404 with nothing changed, supervisor 403 on writes, owner and police act."""

import base64
import json

import pytest
from django.utils import timezone

from tracing import services
from tracing.models import (
    CheckStatus,
    DnaRequest,
    Escalation,
    Identification,
    IdentityCheck,
    PlanStatus,
    Talk,
)
from tracing.tests.factories import png, unidentified

pytestmark = pytest.mark.django_db
API = "/api/v1/tracing"


@pytest.fixture
def world(cast):
    episode = unidentified(cast, with_photo=True)
    person = episode.person
    check = services.check_create(by=cast.tracer, person=person, police=cast.police, known_info="男，约45岁",
                                  photo=person.photos.first())
    talk = services.talk_add(by=cast.tracer, episode=episode, held_at=timezone.now(), content="老家在四川")
    dna = services.dna_request_create(by=cast.tracer, episode=episode, police=cast.police)
    other = unidentified(cast, name="钱七")
    ident = services.identity_confirm(by=cast.tracer, person=other.person, method="talks", evidence="核实")
    return {"person": person, "check": check, "talk": talk, "dna": dna, "plan": ident.return_plan,
            "other": other.person}


def _calls(w, cast):
    p = w["person"].uuid
    now = timezone.now().isoformat()
    return [
        ("get", f"{API}/checks", None),
        ("get", f"{API}/checks/{w['check'].uuid}", None),
        ("get", f"{API}/people/{p}/talks", None),
        ("get", f"{API}/dna/{w['dna'].uuid}", None),
        ("get", f"{API}/plans/{w['plan'].uuid}", None),
        ("get", f"{API}/reports/{cast.station.uuid}", None),
        ("post", f"{API}/people/{p}/checks", {"police": str(cast.police.uuid), "known_info": "男"}),
        ("post", f"{API}/people/{p}/talks", {"held_at": now, "content": "又谈一次"}),
        ("post", f"{API}/people/{p}/dna", {"police": str(cast.police.uuid)}),
        ("post", f"{API}/dna/{w['dna'].uuid}", {"sample_taken_on": timezone.localdate().isoformat()}),
        ("post", f"{API}/plans/{w['plan'].uuid}", {"status": "refused", "method": "escorted",
                                                   "refusal_reason": "拒收"}),
        ("post", f"{API}/plans/{w['plan'].uuid}/escalations", {"note": "上报"}),
        ("post", f"{API}/people/{p}/identification", {"method": "police", "evidence": "答复", "name": "孙八"}),
        ("post", f"{API}/checks/{w['check'].uuid}/answer", {"result": "not_found", "answer_text": "无"}),
    ]


def _call(client, method, url, data):
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def _state():
    return (IdentityCheck.objects.count(), list(IdentityCheck.objects.values_list("status", flat=True)),
            Talk.objects.count(), DnaRequest.objects.count(), list(DnaRequest.objects.values_list("sample_taken_on")),
            Identification.objects.count(), Escalation.objects.count(),
            list(Identification.objects.values_list("person__name", flat=True)))


def test_every_tracing_endpoint_requires_authentication(client, cast, world):
    for method, url, data in _calls(world, cast) + [("get", f"{API}/checks/inbox", None)]:
        assert _call(client, method, url, data).status_code == 401, url


def test_it_hides_tracing_endpoints_from_an_outsider(client_for, cast, world):
    client = client_for(cast.outsider)
    before = _state()
    for method, url, data in _calls(world, cast):
        response = _call(client, method, url, data)
        if method == "get" and url.endswith("/checks"):
            assert response.status_code == 200 and response.json() == []
        else:
            assert response.status_code == 404, url
    assert _state() == before


def test_a_supervisor_reads_but_cannot_write_through_the_api(client_for, cast, world):
    client = client_for(cast.county_supervisor)
    before = _state()
    for method, url, data in _calls(world, cast):
        response = _call(client, method, url, data)
        assert response.status_code == (200 if method == "get" else 403), (url, response.content)
    assert _state() == before


def test_the_station_and_the_police_act_through_the_api(client_for, cast, world):
    p = world["person"].uuid
    client = client_for(cast.tracer)
    sent = _call(client, "post", f"{API}/people/{p}/checks", {"police": str(cast.police.uuid), "known_info": "男",
                                                              "photo": str(world["person"].photos.first().uuid)})
    assert sent.status_code == 201 and sent.json()["status"] == "sent" and sent.json()["has_photo"]
    talk = _call(client, "post", f"{API}/people/{p}/talks", {"held_at": timezone.now().isoformat(),
                                                             "content": "他说他叫张建国，老家在河南周口郸城县"})
    assert talk.status_code == 201 and any(s["code"] == "411625" for s in talk.json()["suggestions"])
    dna = _call(client, "post", f"{API}/dna/{world['dna'].uuid}", {"sample_taken_on": timezone.localdate().isoformat()})
    assert dna.status_code == 200 and dna.json()["t6_state"] == "due"

    police = client_for(cast.police_officer)
    inbox = police.get(f"{API}/checks/inbox").json()
    assert {c["uuid"] for c in inbox} == {str(world["check"].uuid), sent.json()["uuid"]}
    assert "person" not in inbox[0] and "file_no" not in json.dumps(inbox)
    answer = _call(police, "post", f"{API}/checks/{world['check'].uuid}/answer", {
        "result": "identified", "name": "张建国", "answer_text": "比中",
        "attachments": [{"filename": "face.png", "content_base64": base64.b64encode(png().read()).decode()}]})
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == CheckStatus.ANSWERED and answer.json()["t2_state"] == "met"
    assert len(answer.json()["attachments"]) == 1

    client = client_for(cast.tracer)
    ident = _call(client, "post", f"{API}/people/{p}/identification",
                  {"method": "police", "evidence": f"核查 {world['check'].number}", "name": "张建国"})
    assert ident.status_code == 201 and ident.json()["return_plan_uuid"]
    plan_url = f"{API}/plans/{ident.json()['return_plan_uuid']}"
    refused = _call(client, "post", plan_url, {"status": "refused", "method": "escorted", "refusal_reason": "拒收"})
    assert refused.json()["status"] == PlanStatus.REFUSED
    esc = _call(client, "post", plan_url + "/escalations", {"note": "请协调"})
    assert esc.status_code == 201 and esc.json()["to_organisation"] == cast.county_dept.name
    assert client.get(plan_url).json()["escalations"][0]["level"] == 1
    report = client.get(f"{API}/reports/{cast.station.uuid}?month={timezone.localdate():%Y-%m}").json()
    assert report["stranded"] == 2 and report["unidentified"] == 0 and report["identified"] == {"talks": 1, "police": 1}


def test_api_bad_input_gives_chinese_messages_and_saves_nothing(client_for, cast, world):
    p = world["person"].uuid
    client = client_for(cast.tracer)
    before = _state()
    response = _call(client, "post", f"{API}/people/{p}/checks", {"police": str(cast.hospital.uuid), "known_info": "男"})
    assert response.status_code == 400 and "不是公安机关" in response.json()["message"]
    response = _call(client_for(cast.police_officer), "post", f"{API}/checks/{world['check'].uuid}/answer", {
        "result": "not_found", "answer_text": "无",
        "attachments": [{"filename": "a.txt", "content_base64": base64.b64encode(b"hello").decode()}]})
    assert response.status_code == 400 and "只接受" in response.json()["message"]
    assert _state() == before


def test_the_police_inbox_is_only_for_police_users(client_for, cast, world):
    assert client_for(cast.tracer).get(f"{API}/checks/inbox").status_code == 403
