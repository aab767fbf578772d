"""Pages, API and exports of the regional app: scope (404 outside), write access (403), nothing saved on bad input."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AuditAction, AuditEntry
from core.testing import audit_writes
from regional import services
from regional.models import Escalation, EscalationStatus, EscortBatch

pytestmark = pytest.mark.django_db


def _escalation(region):
    return services.escalation_request(by=region.cast.reception, episode=region.admit("页面甲"), kind="care",
                                       reason="本站照料力量不足，需要中心接办")


def test_r2_a_station_escalates_through_the_page_and_the_centre_accepts(region, client):
    episode = region.admit("页面乙")
    client.force_login(region.cast.reception)
    page = client.get("/regional/escalations/new/")
    assert page.status_code == 200 and episode.number in page.content.decode()
    response = client.post("/regional/escalations/new/", {"episode": episode.uuid, "kind": "medical", "reason": "短"})
    assert response.status_code == 200 and "至少4个字" in response.content.decode()
    assert not Escalation.objects.exists()
    response = client.post("/regional/escalations/new/",
                           {"episode": episode.uuid, "kind": "medical", "reason": "需要中心协调住院救治"})
    esc = Escalation.objects.get()
    assert response.status_code == 302 and response.url == f"/regional/escalations/{esc.uuid}/"
    client.force_login(region.centre_reception)
    response = client.post(f"/regional/escalations/{esc.uuid}/answer/", {"decision": "decline", "reason": ""})
    assert response.status_code == 400 and "理由" in response.content.decode()
    client.post(f"/regional/escalations/{esc.uuid}/answer/", {"decision": "accept", "reason": "接办"})
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.ACCEPTED


def test_r2_outsiders_get_nothing(region, client):
    esc = _escalation(region)
    for stranger in (region.cast.outsider, region.other_centre_head):
        client.force_login(stranger)
        before = audit_writes()
        assert client.get(f"/regional/escalations/{esc.uuid}/").status_code == 404
        assert client.post(f"/regional/escalations/{esc.uuid}/answer/", {"decision": "accept"}).status_code == 404
        assert client.get(f"/api/v1/regional/escalations/{esc.uuid}").status_code == 404
        assert esc.episode.person.name not in client.get("/regional/escalations/").content.decode()
        assert client.get("/api/v1/regional/escalations").json() == []
        assert audit_writes() == before
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.REQUESTED


def test_r2_the_station_reads_but_cannot_answer(region, client):
    esc = _escalation(region)
    client.force_login(region.cast.head)
    assert client.get(f"/regional/escalations/{esc.uuid}/").status_code == 200
    assert client.post(f"/regional/escalations/{esc.uuid}/answer/", {"decision": "accept"}).status_code == 403
    assert client.post(f"/api/v1/regional/escalations/{esc.uuid}/answer", {"decision": "accept"},
                       content_type="application/json").status_code == 403


def test_r2_escalations_export_to_excel_through_core_excel_and_are_audited(region, client):
    esc = _escalation(region)
    client.force_login(region.centre_head)
    response = client.get("/regional/escalations/?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming
                                  else response.content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert esc.episode.number in values and "提级事项" in values
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=region.centre_head).exists()


def test_r2_the_api_escalates_and_answers(region, client):
    episode = region.admit("接口甲")
    client.force_login(region.cast.reception)
    bad = client.post("/api/v1/regional/escalations", {"episode": str(episode.uuid), "kind": "care", "reason": ""},
                      content_type="application/json")
    assert bad.status_code == 400 and "reason" in bad.json()["fields"]
    created = client.post("/api/v1/regional/escalations",
                          {"episode": str(episode.uuid), "kind": "care", "reason": "需要中心接办照料"},
                          content_type="application/json")
    assert created.status_code == 201
    uuid = created.json()["uuid"]
    client.force_login(region.centre_reception)
    answered = client.post(f"/api/v1/regional/escalations/{uuid}/answer", {"decision": "accept"},
                           content_type="application/json")
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"


def test_e2_the_centre_runs_a_batch_through_the_pages(region, client):
    from core.models import Division

    episode = region.admit("护送页面")
    client.force_login(region.centre_head)
    response = client.post("/regional/escorts/new/", {
        "route": "清远—贵阳", "departs_on": timezone.localdate().isoformat(), "vehicle": "粤R·A1234",
        "staff": [region.escort_1.pk]})
    batch = EscortBatch.objects.get()
    assert response.status_code == 302
    client.post(f"/regional/escorts/{batch.uuid}/members/new/", {"episode": episode.uuid, "destination": "520100"})
    client.post(f"/regional/escorts/{batch.uuid}/start/")
    member = batch.members.get()
    at = (timezone.localtime() + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/regional/escort-members/{member.uuid}/hand-over/", {
        f"m{member.pk}-handed_over_to": "family", f"m{member.pk}-handover_person": "张父",
        f"m{member.pk}-handover_at": at})
    member.refresh_from_db()
    assert member.departure is not None and member.destination == Division.objects.get(code="520100")
    # the station whose person travelled reads the batch; an outsider gets 404
    client.force_login(region.cast.reception)
    assert client.get(f"/regional/escorts/{batch.uuid}/").status_code == 200
    assert client.post(f"/regional/escorts/{batch.uuid}/start/").status_code == 403
    client.force_login(region.cast.outsider)
    assert client.get(f"/regional/escorts/{batch.uuid}/").status_code == 404
    client.force_login(region.centre_head)
    xlsx = client.get("/regional/escorts/?format=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert episode.number in [c.value for row in ws.iter_rows() for c in row]


def test_e2_the_api_plans_and_runs_a_batch(region, client):
    episode = region.admit("接口护送")
    client.force_login(region.centre_head)
    created = client.post("/api/v1/regional/escort-batches", {
        "route": "清远—长沙", "departs_on": timezone.localdate().isoformat(), "vehicle": "粤R·A1",
        "staff": [str(region.escort_1.uuid)]}, content_type="application/json")
    assert created.status_code == 201, created.content
    uuid = created.json()["uuid"]
    same_province = client.post(f"/api/v1/regional/escort-batches/{uuid}/members",
                                {"episode": str(episode.uuid), "destination": "440100"},
                                content_type="application/json")
    assert same_province.status_code == 400 and "destination" in same_province.json()["fields"]
    member = client.post(f"/api/v1/regional/escort-batches/{uuid}/members",
                         {"episode": str(episode.uuid), "destination": "430100"}, content_type="application/json")
    assert member.status_code == 201
    assert client.post(f"/api/v1/regional/escort-batches/{uuid}/start").status_code == 200
    handed = client.post(f"/api/v1/regional/escort-members/{member.json()['uuid']}/hand-over", {
        "handed_over_to": "family", "handover_person": "张母", "handover_at": timezone.now().isoformat()},
        content_type="application/json")
    assert handed.status_code == 200 and handed.json()["departure"]
    assert client.get(f"/api/v1/regional/escort-batches/{uuid}").json()["status"] == "done"
    figures = client.get("/api/v1/regional/dispatch").json()
    assert {s["station"] for s in figures["stations"]} >= {"英德市救助管理站"}


def test_r2_help_and_joint_cases_through_the_api(region, client):
    cast = region.cast
    episode = region.admit("接口协助")
    client.force_login(region.centre_head)
    now = timezone.localtime().replace(tzinfo=None)  # a naive time from a client is local time, never a 500
    sent = client.post("/api/v1/regional/assistance", {
        "episode": str(episode.uuid), "kind": "tracing", "task": "协助寻亲", "staff": [str(region.escort_2.uuid)],
        "starts_at": now.isoformat(), "ends_at": (now + datetime.timedelta(days=1)).isoformat()},
        content_type="application/json")
    assert sent.status_code == 201, sent.content
    client.force_login(cast.head)
    joint = client.post("/api/v1/regional/joint-cases", {
        "episode": str(episode.uuid), "kind": "medical", "title": "会办", "participants": [
            {"organisation": str(cast.hospital.uuid), "duty": "住院救治"}]}, content_type="application/json")
    assert joint.status_code == 201, joint.content
    meeting = client.post(f"/api/v1/regional/joint-cases/{joint.json()['uuid']}/meetings", {
        "held_on": timezone.localdate().isoformat(), "attendees": "王站长", "minutes": "会商救治方案，医院接收住院。",
        "decisions": [{"text": "医院收治", "responsible": str(cast.hospital.uuid)}]}, content_type="application/json")
    assert meeting.status_code == 201 and len(meeting.json()["decisions"]) == 1
    client.force_login(cast.outsider)
    assert client.get(f"/api/v1/regional/joint-cases/{joint.json()['uuid']}").status_code == 404
    assert client.get(f"/api/v1/regional/assistance/{sent.json()['uuid']}").status_code == 404


def test_every_regional_page_answers_its_users(region, client):
    esc = _escalation(region)
    client.force_login(region.centre_head)
    for url in ("/regional/", "/regional/escalations/", "/regional/assistance/", "/regional/assistance/new/",
                "/regional/joint/", "/regional/joint/new/", "/regional/escorts/", "/regional/escorts/new/",
                f"/regional/escalations/{esc.uuid}/"):
        assert client.get(url).status_code == 200, url
    client.force_login(region.cast.reception)
    for url in ("/regional/", "/regional/escalations/new/", "/regional/joint/new/"):
        assert client.get(url).status_code == 200, url
    for url in ("/regional/escorts/new/", "/regional/assistance/new/"):
        assert client.get(url).status_code == 403, url
