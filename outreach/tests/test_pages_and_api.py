"""Pages and API of outreach: the public page, login, outsiders, read-only viewers, offline resends (409)."""

import uuid

import pytest
from django.urls import reverse

from outreach import services
from outreach.models import Encounter, Patrol, Sighting

pytestmark = pytest.mark.django_db

DATA = {"place": "人民路地下通道", "description": "男，约60岁，衣着单薄"}


def test_the_public_page_takes_a_report_without_login_on_a_phone(client, cast):
    page = client.get("/baogao/")
    assert page.status_code == 200 and 'name="viewport"' in page.content.decode()
    response = client.post(
        "/baogao/",
        {
            "station": cast.station.pk,
            **DATA,
            "reporter_phone": "13800001111",
            "latitude": "24.186",
            "longitude": "113.402",
        },
    )
    assert response.status_code == 200 and "已收到" in response.content.decode()
    s = Sighting.objects.get()
    assert s.source == "public" and str(s.latitude) == "24.186000"


def test_the_public_page_without_a_place_gets_a_chinese_message_and_saves_nothing(client, cast):
    response = client.post("/baogao/", {"station": cast.station.pk, "description": "有人躺在路边"})
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    assert not Sighting.objects.exists()


def test_pages_require_login_and_outsiders_get_nothing(client, client_for, cast):
    s = services.sighting_create(by=cast.reception, station=cast.station, source="110", data=DATA)
    assert client.get(reverse("outreach:home")).status_code == 302
    c = client_for(cast.outsider)
    assert DATA["place"] not in c.get(reverse("outreach:home") + "?status=all").content.decode()
    assert c.get(reverse("outreach:sighting", args=[s.uuid])).status_code == 404
    assert (
        c.post(reverse("outreach:sighting_dispatch", args=[s.uuid]), {"dispatched_to": "x"}).status_code
        == 404
    )
    assert c.get(f"/api/v1/outreach/sightings/{s.uuid}").status_code == 404
    assert c.get("/api/v1/outreach/sightings?status=all").json() == []
    s.refresh_from_db()
    assert s.status == "received"


def test_a_read_only_supervisor_may_look_but_not_act(client_for, cast):
    s = services.sighting_create(by=cast.reception, station=cast.station, source="110", data=DATA)
    c = client_for(cast.county_supervisor)
    assert c.get(reverse("outreach:sighting", args=[s.uuid])).status_code == 200
    assert (
        c.post(reverse("outreach:sighting_dispatch", args=[s.uuid]), {"dispatched_to": "x"}).status_code
        == 403
    )
    assert (
        c.post(
            f"/api/v1/outreach/sightings/{s.uuid}/dispatch",
            data={"dispatched_to": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )
    s.refresh_from_db()
    assert s.status == "received"


def test_p1_staff_take_a_call_dispatch_and_close_through_the_pages(client_for, cast):
    c = client_for(cast.reception)
    response = c.post(reverse("outreach:sighting_new"), {"source": "12345", "received_at": "", **DATA})
    assert response.status_code == 200  # received_at is required on the page
    from django.utils import timezone

    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = c.post(reverse("outreach:sighting_new"), {"source": "12345", "received_at": now, **DATA})
    s = Sighting.objects.get()
    assert response.status_code == 302
    c.post(reverse("outreach:sighting_dispatch", args=[s.uuid]), {"dispatched_to": "巡查一组"})
    c.post(reverse("outreach:sighting_arrive", args=[s.uuid]))
    c.post(
        reverse("outreach:sighting_close", args=[s.uuid]), {"outcome": "declined", "outcome_note": "本人拒绝"}
    )
    s.refresh_from_db()
    assert s.status == "closed" and s.outcome == "declined"


def test_p2_the_phone_queue_resend_gets_409_and_nothing_is_saved_twice(client_for, cast):
    c = client_for(cast.reception)
    assert c.get(reverse("outreach:patrol_mobile")).status_code == 200
    key, enc = str(uuid.uuid4()), str(uuid.uuid4())
    body = {"client_uuid": key, "team": "夜巡一组", "route": "北江大桥—火车站"}
    assert c.post("/api/v1/outreach/patrols", data=body, content_type="application/json").status_code == 201
    again = c.post("/api/v1/outreach/patrols", data=body, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    e = {
        "client_uuid": enc,
        "patrol_client_uuid": key,
        "place": "桥下",
        "group": "minor",
        "outcome": "escorted",
        "description": "约12岁男孩",
    }
    assert c.post("/api/v1/outreach/encounters", data=e, content_type="application/json").status_code == 201
    assert c.post("/api/v1/outreach/encounters", data=e, content_type="application/json").status_code == 409
    assert (
        c.post(f"/api/v1/outreach/patrols/{key}/end", data={}, content_type="application/json").status_code
        == 200
    )
    assert (
        c.post(f"/api/v1/outreach/patrols/{key}/end", data={}, content_type="application/json").status_code
        == 409
    )
    assert Patrol.objects.count() == 1 and Encounter.objects.count() == 1
    bad = {**e, "client_uuid": str(uuid.uuid4()), "outcome": "guided"}
    response = c.post("/api/v1/outreach/encounters", data=bad, content_type="application/json")
    assert response.status_code == 400 and "规则P2" in response.json()["message"]
    long = {**e, "client_uuid": str(uuid.uuid4()), "description": "长" * 501}
    assert (
        c.post("/api/v1/outreach/encounters", data=long, content_type="application/json").status_code == 422
    )
    assert Encounter.objects.count() == 1


def test_an_outsider_cannot_add_to_a_patrol_by_its_client_uuid(client_for, cast):
    key = uuid.uuid4()
    services.patrol_record(
        by=cast.reception, organisation=cast.station, data={"team": "一组"}, client_uuid=key
    )
    c = client_for(cast.outsider)
    e = {
        "patrol_client_uuid": str(key),
        "place": "桥下",
        "group": "able",
        "outcome": "guided",
        "description": "x",
    }
    assert c.post("/api/v1/outreach/encounters", data=e, content_type="application/json").status_code == 404
    assert not Encounter.objects.exists()


def test_exports_are_audited(client_for, cast, spots):
    from core.models import AuditEntry

    services.sighting_create(
        by=cast.reception, station=cast.station, source="110", data={**DATA, "place": "=1+1"}
    )
    c = client_for(cast.head)
    for name in ("export_sightings", "export_patrols", "export_hot_spots"):
        assert c.get(reverse(f"outreach:{name}")).status_code == 200
    assert AuditEntry.objects.filter(action="export", object_type__startswith="outreach.").count() == 3


def test_p1_closing_as_brought_in_on_the_page_links_the_intake(client_for, cast):
    from django.utils import timezone

    from deadlines.tests.conftest import admit

    s = services.sighting_create(by=cast.reception, station=cast.station, source="110", data=DATA)
    episode = admit(cast, timezone.now(), name="带回的人")
    c = client_for(cast.reception)
    c.post(reverse("outreach:sighting_close", args=[s.uuid]), {"outcome": "brought_in", "episode": episode.pk})
    s.refresh_from_db()
    assert s.status == "closed" and s.episode == episode


def test_the_api_reads_a_naive_time_as_local_and_refuses_nul_and_nan_without_a_500(client_for, cast):
    c = client_for(cast.reception)
    ok = c.post("/api/v1/outreach/sightings", content_type="application/json",
                data={"source": "110", "received_at": "2026-01-01T10:00:00", **DATA})
    assert ok.status_code in (201, 400)  # 400 only when that moment is more than 7 days ago — never a 500
    nul = c.post("/api/v1/outreach/sightings", content_type="application/json",
                 data={"source": "110", "place": "桥\x00下", "description": "x"})
    assert nul.status_code == 400 and Sighting.objects.filter(place__contains="桥").count() == 0
    key = str(uuid.uuid4())
    c.post("/api/v1/outreach/patrols", content_type="application/json", data={"client_uuid": key, "team": "一组"})
    nan = c.post("/api/v1/outreach/encounters", content_type="application/json",
                 data={"patrol_client_uuid": key, "place": "桥下", "group": "able", "outcome": "guided",
                       "description": "x", "latitude": "NaN", "longitude": "NaN"})
    assert nan.status_code in (400, 422)
    naive_end = c.post(f"/api/v1/outreach/patrols/{key}/end", content_type="application/json",
                       data={"ended_at": "2099-01-01T00:00:00"})
    assert naive_end.status_code == 400
    assert c.get("/outreach/?q=a%00b").status_code == 200
