"""Intake API (/api/v1/intake): scope, read-only supervisors, validation in the JSON error shape."""

import json

import pytest
from django.utils import timezone

from core.testing import audit_writes
from intake import services
from intake.models import Belonging, HealthCheck, Notice, PoliceHandover, SafetyCheck
from intake.tests.conftest import MALE_ID, checks_done, register
from people.models import Episode, Person

pytestmark = pytest.mark.django_db
BASE = "/api/v1/intake"


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def _admitted(c, ep):
    checks_done(c, ep)
    services.intake_admit(by=c.reception, episode=ep)


ENDPOINTS = {
    "safety-checks": (None, lambda c: {"note": "未见异常"}, lambda ep: SafetyCheck.objects.filter(episode=ep).exists()),
    "health-checks": (None, lambda c: {"physical": "良好", "mental": "清醒", "outcome": "admitted"},
                      lambda ep: HealthCheck.objects.filter(episode=ep).exists()),
    "handovers": (None, lambda c: {"escort_org": str(c.police.uuid), "officers": "刘警官 012345",
                                   "handed_over_at": timezone.now().isoformat(), "found_place": "桥洞",
                                   "found_how": "巡逻发现", "condition": "清醒"},
                  lambda ep: PoliceHandover.objects.filter(episode=ep).exists()),
    "belongings": (None, lambda c: {"item": "身份证", "quantity": 1},
                   lambda ep: Belonging.objects.filter(episode=ep).exists()),
    "belongings/return": (lambda c, ep: services.belonging_add(by=c.reception, episode=ep, item="背包"),
                          lambda c: {}, lambda ep: not Belonging.objects.filter(returned_at__isnull=True).exists()),
    "admit": (lambda c, ep: checks_done(c, ep), lambda c: {},
              lambda ep: Episode.objects.get(pk=ep.pk).status == "admitted"),
    "refuse": (None, lambda c: {"reason": "拒不提供真实信息"},
               lambda ep: Episode.objects.get(pk=ep.pk).status == "refused"),
    "terminate": (_admitted, lambda c: {"reason": "查实虚假信息"},
                  lambda ep: Episode.objects.get(pk=ep.pk).status == "terminated"),
}


def _setup(cast, name):
    ep = register(cast)
    setup, data, done = ENDPOINTS[name]
    if setup:
        setup(cast, ep)
    return ep, f"{BASE}/episodes/{ep.uuid}/{name}", data(cast), done


@pytest.mark.parametrize("name", ENDPOINTS)
def test_api_requires_login(cast, client, name):
    ep, url, data, done = _setup(cast, name)
    assert post(client, url, data).status_code == 401 and not done(ep)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_api_hides_other_stations_episodes(cast, client_for, name):
    ep, url, data, done = _setup(cast, name)
    audits = audit_writes()
    response = post(client_for(cast.outsider), url, data)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not done(ep) and audit_writes() == audits


@pytest.mark.parametrize("name", ENDPOINTS)
def test_api_supervisors_may_read_but_not_write(cast, client_for, name):
    ep, url, data, done = _setup(cast, name)
    audits = audit_writes()
    client = client_for(cast.city_supervisor)
    assert client.get(f"{BASE}/episodes/{ep.uuid}").status_code == 200
    assert post(client, url, data).status_code == 403
    assert not done(ep) and audit_writes() == audits


@pytest.mark.parametrize("name", ENDPOINTS)
def test_api_station_reception_can_act(cast, client_for, name):
    ep, url, data, done = _setup(cast, name)
    response = post(client_for(cast.reception), url, data)
    assert response.status_code in (200, 201), response.content
    assert done(ep)


def register_payload(**person):
    return {"channel": "walk_in", "person": {"name": "张建国", "sex": "男", **person},
            "answers": {"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True,
                        "living_by_vagrancy": True, "decision": "eligible", "reason": "no_work"}}


def test_api_i1_register_returns_the_episode_and_duplicate_candidates(cast, client_for):
    earlier = register(cast, by=cast.outsider, name="张建国", id_number=MALE_ID)
    services.intake_refuse(by=cast.outsider, episode=earlier, reason="虚假信息")
    client = client_for(cast.reception)
    check = post(client, f"{BASE}/requests/check", register_payload(id_number=MALE_ID))
    assert check.status_code == 200 and check.json()[0]["same_id"] and not check.json()[0]["in_scope"]
    response = post(client, f"{BASE}/requests", register_payload(name="张建华"))
    assert response.status_code == 201
    body = response.json()
    assert body["episode"]["status"] == "requested" and body["episode"]["decision"] == "eligible"
    assert body["candidates"] == []


def test_hole5_api_a_second_file_with_the_same_id_number_is_refused_with_a_pointer(cast, client_for):
    earlier = register(cast, by=cast.outsider, name="张建国", id_number=MALE_ID)
    services.intake_refuse(by=cast.outsider, episode=earlier, reason="虚假信息")
    before = Person.objects.count()
    response = post(client_for(cast.reception), f"{BASE}/requests", register_payload(id_number=MALE_ID))
    assert response.status_code == 400
    message = response.json()["fields"]["id_number"][0]
    # out of scope (hole 2): the holding station and a masked name, never the file
    assert "乳源瑶族自治县救助管理站" in message and "张**" in message
    assert earlier.person.file_no not in message and "张建国" not in message
    assert Person.objects.count() == before


def test_api_register_attaches_to_an_earlier_file(cast, client_for):
    earlier = register(cast, id_number=MALE_ID)
    services.intake_refuse(by=cast.reception, episode=earlier, reason="虚假信息")
    response = post(client_for(cast.reception), f"{BASE}/requests",
                    {**register_payload(id_number=MALE_ID), "person_uuid": str(earlier.person.uuid)})
    assert response.status_code == 201 and response.json()["episode"]["person_uuid"] == str(earlier.person.uuid)
    assert Person.objects.count() == 1


def test_api_register_bad_input_gives_chinese_messages_and_saves_nothing(cast, client_for):
    client = client_for(cast.reception)
    bad_id = post(client, f"{BASE}/requests", register_payload(id_number="441881198001011230"))
    assert bad_id.status_code == 400 and "id_number" in bad_id.json()["fields"]
    future = {**register_payload(), "requested_at": (timezone.now() + timezone.timedelta(days=1)).isoformat()}
    body = post(client, f"{BASE}/requests", future).json()
    assert "求助时间不能晚于当前时间" in body["message"]
    phone = {**register_payload(), "channel": "phone"}
    assert "录音编号" in post(client, f"{BASE}/requests", phone).json()["message"]
    assert not Person.objects.exists() and not Episode.objects.exists()


def test_api_register_is_refused_to_supervisors_and_anonymous(cast, client, client_for):
    assert post(client, f"{BASE}/requests", register_payload()).status_code == 401
    assert post(client_for(cast.county_supervisor), f"{BASE}/requests", register_payload()).status_code == 403
    assert post(client_for(cast.county_supervisor), f"{BASE}/requests/check", register_payload()).status_code == 403
    assert not Person.objects.exists()


def test_api_n3_refusal_without_reason_is_400_and_nothing_changes(cast, client_for, episode):
    response = post(client_for(cast.reception), f"{BASE}/episodes/{episode.uuid}/refuse", {"reason": ""})
    assert response.status_code == 400 and "理由" in response.json()["message"]
    assert Episode.objects.get(pk=episode.pk).status == "requested" and not Notice.objects.exists()


def test_api_i2_dangerous_item_without_police_report_is_400(cast, client_for, episode):
    response = post(client_for(cast.reception), f"{BASE}/episodes/{episode.uuid}/safety-checks",
                    {"items": [{"kind": "knife", "description": "匕首", "handling": "暂扣"}]})
    assert response.status_code == 400 and "未报告公安机关" in response.json()["message"]
    assert not SafetyCheck.objects.exists()


def test_api_list_shows_only_requests_in_scope(cast, client, client_for, episode):
    services.intake_refuse(by=cast.reception, episode=episode, reason="虚假信息")
    assert client.get(f"{BASE}/requests").status_code == 401
    numbers = [e["number"] for e in client_for(cast.reception).get(f"{BASE}/requests").json()]
    assert numbers == [episode.number]
    assert client_for(cast.outsider).get(f"{BASE}/requests").json() == []
    assert client_for(cast.city_supervisor).get(f"{BASE}/requests", {"status": "refused"}).json()[0]["number"] == \
        episode.number


def test_api_episode_detail_is_scoped(cast, client, client_for, episode):
    assert client.get(f"{BASE}/episodes/{episode.uuid}").status_code == 401
    assert client_for(cast.outsider).get(f"{BASE}/episodes/{episode.uuid}").status_code == 404
    body = client_for(cast.reception).get(f"{BASE}/episodes/{episode.uuid}").json()
    assert body["episode"]["number"] == episode.number and "未做安全检查（规则I2）" in body["missing"]
