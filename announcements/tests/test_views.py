"""Every staff page and endpoint of announcements: login, outsider 404, supervisor reads but 403 on writes,
the owning station acts; the person panel shows T3."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from announcements import services
from announcements.models import Announcement, AnnouncementStatus, Clue, ClueStatus, Publication
from announcements.tests.factories import announcement, image_upload, unidentified_person
from core.models import AuditEntry

pytestmark = pytest.mark.django_db
API = "/api/v1/announcements"


@pytest.fixture
def world(cast):
    person = unidentified_person(cast)
    live = announcement(cast, person)
    draft = announcement(cast, unidentified_person(cast, name="草稿某", id_number=""), publish=False)
    clue = services.clue_create(announcement=live, data={"name": "张家属", "phone": "13812345678",
                                                         "relationship": "女儿", "content": "像我母亲"},
                                photo=image_upload())
    return {"person": person, "live": live, "draft": draft, "clue": clue}


def _reads(w):
    return {
        "list": reverse("announcements:list"),
        "detail": reverse("announcements:detail", args=[w["live"].uuid]),
        "clue_inbox": reverse("announcements:clue_inbox"),
        "clue_detail": reverse("announcements:clue_detail", args=[w["clue"].uuid]),
        "clue_photo": reverse("announcements:clue_photo", args=[w["clue"].uuid]),
    }


def _writes(w):
    """(url, POST data) for every write page."""
    return {
        "new": (reverse("announcements:new", args=[w["person"].uuid]),
                {"chosen": ["sex"], "sex": "女", "photos": [str(w["person"].photos.first().pk)]}),
        "publish": (reverse("announcements:publish", args=[w["draft"].uuid]), {}),
        "withdraw": (reverse("announcements:withdraw", args=[w["live"].uuid]), {"reason": "身份已查明"}),
        "publication_add": (reverse("announcements:publication_add", args=[w["live"].uuid]),
                            {"channel": "tv", "published_on": timezone.localdate().isoformat()}),
        "clue_status": (reverse("announcements:clue_detail", args=[w["clue"].uuid]), {"status": "following"}),
        "clue_identify": (reverse("announcements:clue_identify", args=[w["clue"].uuid]), {}),
    }


def _api(w):
    live, clue = w["live"], w["clue"]
    return [
        ("get", f"{API}/announcements", None),
        ("get", f"{API}/announcements/{live.uuid}", None),
        ("post", f"{API}/announcements", {"person": str(w["person"].uuid), "chosen": ["sex"], "sex": "女",
                                          "photos": [str(w["person"].photos.first().uuid)]}),
        ("post", f"{API}/announcements/{w['draft'].uuid}/publish", {}),
        ("post", f"{API}/announcements/{live.uuid}/withdraw", {"reason": "身份已查明"}),
        ("post", f"{API}/announcements/{live.uuid}/publications", {"channel": "tv",
                                                                    "published_on": timezone.localdate().isoformat()}),
        ("get", f"{API}/clues", None),
        ("get", f"{API}/clues/{clue.uuid}", None),
        ("post", f"{API}/clues/{clue.uuid}/status", {"status": "following"}),
    ]


def _call(client, method, url, data):
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(data), content_type="application/json")


def _state():
    return (Announcement.objects.count(), list(Announcement.objects.order_by("pk").values_list("status", flat=True)),
            Publication.objects.count(), list(Clue.objects.values_list("status", flat=True)))


def test_every_announcement_page_and_endpoint_requires_login(client, world):
    for name, url in {**_reads(world), **{k: v[0] for k, v in _writes(world).items()}}.items():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    for method, url, data in _api(world):
        assert _call(client, method, url, data).status_code == 401, url


def test_it_hides_announcements_and_clues_from_an_outsider(cast, client_for, world):
    client = client_for(cast.outsider)
    before = _state()
    for name, url in _reads(world).items():
        response = client.get(url)
        if name in ("list", "clue_inbox"):
            body = response.content.decode()
            assert response.status_code == 200 and world["live"].code not in body and "张家属" not in body
        else:
            assert response.status_code == 404, name
    for name, (url, data) in _writes(world).items():
        assert client.post(url, data).status_code == 404, name
    for method, url, data in _api(world):
        response = _call(client, method, url, data)
        if url.endswith("/announcements") and method == "get" or url.endswith("/clues"):
            assert response.status_code == 200 and response.json() == [], url
        else:
            assert response.status_code == 404, url
    assert _state() == before


def test_a_supervisor_reads_but_cannot_write(cast, client_for, world):
    for supervisor in (cast.county_supervisor, cast.city_supervisor):
        client = client_for(supervisor)
        for name, url in _reads(world).items():
            assert client.get(url).status_code == 200, name
        assert world["live"].code in client.get(_reads(world)["list"]).content.decode()
        before = _state()
        for name, (url, data) in _writes(world).items():
            assert client.post(url, data).status_code == 403, name
        assert client.get(_writes(world)["new"][0]).status_code == 403
        for method, url, data in _api(world):
            assert _call(client, method, url, data).status_code == (200 if method == "get" else 403), url
        assert _state() == before


def test_a_carer_of_the_station_reads_but_does_not_write_announcements(cast, client_for, world):
    client = client_for(cast.carer)
    before = _state()
    assert client.get(_reads(world)["detail"]).status_code == 200
    for name, (url, data) in _writes(world).items():
        assert client.post(url, data).status_code == 403, name
    assert _state() == before


def test_t3_a_tracer_writes_and_publishes_an_announcement_from_the_file(cast, client_for, world):
    client = client_for(cast.tracer)
    person = world["person"]
    url = reverse("announcements:new", args=[person.uuid])
    page = client.get(url).content.decode()
    assert "SENTINEL-MARK" in page  # prefilled from the file for staff to rewrite
    response = client.post(url, {"chosen": ["sex", "features"], "sex": "女", "features": "左臂疤痕",
                                 "photos": [str(person.photos.first().pk)], "publish": "1"})
    a = Announcement.objects.get(features="左臂疤痕")
    assert response.status_code == 302 and response["Location"] == reverse("announcements:detail", args=[a.uuid])
    assert a.status == AnnouncementStatus.PUBLISHED and a.publications.get().channel == "board"
    detail = client.get(response["Location"]).content.decode()
    assert 'id="public-preview"' in detail and "左臂疤痕" in detail and "SENTINEL-MARK" not in detail


def test_t3_the_prefilled_found_date_is_an_iso_date_a_browser_date_input_keeps(cast, client_for, world):
    person = world["person"]
    page = client_for(cast.tracer).get(reverse("announcements:new", args=[person.uuid])).content.decode()
    found = timezone.localdate(person.episodes.order_by("-requested_at").first().requested_at)
    assert f'name="found_date" value="{found.isoformat()}"' in page


def test_t3_the_page_refuses_an_announcement_without_a_photo_in_chinese(cast, client_for, world):
    before = _state()
    response = client_for(cast.tracer).post(reverse("announcements:new", args=[world["person"].uuid]),
                                            {"chosen": ["sex"], "sex": "女"})
    assert response.status_code == 200 and "该人员已有照片，公告须选择至少一张照片" in response.content.decode()
    assert _state() == before


def test_the_owner_publishes_records_channels_and_withdraws(cast, client_for, world):
    client = client_for(cast.tracer)
    writes = _writes(world)
    for name in ("publish", "publication_add", "withdraw"):
        url, data = writes[name]
        assert client.post(url, data).status_code == 302, name
    world["draft"].refresh_from_db()
    world["live"].refresh_from_db()
    assert world["draft"].status == AnnouncementStatus.PUBLISHED
    assert world["live"].status == AnnouncementStatus.WITHDRAWN
    assert world["live"].publications.filter(channel="tv").exists()
    response = client.post(writes["withdraw"][0], {"reason": ""}, follow=True)
    assert "不能改为" in response.content.decode() or "请填写撤回原因" in response.content.decode()


def test_the_tracer_handles_a_clue_and_views_are_audited(cast, client_for, world):
    client = client_for(cast.tracer)
    clue = world["clue"]
    response = client.get(reverse("announcements:clue_detail", args=[clue.uuid]))
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    assert AuditEntry.objects.filter(object_id=str(clue.uuid), action="view").exists()
    photo = client.get(reverse("announcements:clue_photo", args=[clue.uuid]))
    assert photo.status_code == 200 and photo["Cache-Control"] == "private, no-store"
    url, data = _writes(world)["clue_status"]
    assert client.post(url, data).status_code == 302
    response = client.post(url, {"status": "not_relevant", "note": ""})
    assert response.status_code == 200 and "理由" in response.content.decode()
    clue.refresh_from_db()
    assert clue.status == ClueStatus.FOLLOWING


def test_clue_identify_needs_a_confirmed_clue(cast, client_for, world):
    client = client_for(cast.tracer)
    response = client.post(_writes(world)["clue_identify"][0], follow=True)
    assert "请先将线索状态改为“已确认”" in response.content.decode()


def test_the_api_creates_publishes_and_reports_clues(cast, client_for, world):
    client = client_for(cast.tracer)
    person = world["person"]
    created = client.post(f"{API}/announcements", json.dumps({
        "person": str(person.uuid), "chosen": ["sex", "age"], "sex": "女", "age_min": 70, "age_max": 80,
        "photos": [str(person.photos.first().uuid)], "publish": True, "found_division": "441881"}),
        content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "published" and body["publications"][0]["channel"] == "board"
    assert "features" in body and body["features"] == ""
    bad = client.post(f"{API}/announcements", json.dumps({"person": str(person.uuid), "chosen": ["sex"], "sex": "女"}),
                      content_type="application/json")
    assert bad.status_code == 400 and "该人员已有照片" in bad.json()["message"]
    clues = client.get(f"{API}/clues").json()
    assert clues[0]["name"] == "张家属" and clues[0]["has_photo"] is True
    status = client.post(f"{API}/clues/{world['clue'].uuid}/status", json.dumps({"status": "confirmed"}),
                         content_type="application/json")
    assert status.status_code == 200 and status.json()["status"] == "confirmed"


def test_t3_the_person_panel_shows_the_status_and_the_announcements(cast, client_for, world):
    page = client_for(cast.tracer).get(reverse("people:detail", args=[world["person"].uuid])).content.decode()
    assert 'id="announcements-panel"' in page and 'data-state="met"' in page and world["live"].code in page
    assert 'id="new-announcement"' in page
    supervisor_page = client_for(cast.county_supervisor).get(
        reverse("people:detail", args=[world["person"].uuid])).content.decode()
    assert 'id="announcements-panel"' in supervisor_page and 'id="new-announcement"' not in supervisor_page


def test_t3_a_confirmed_clue_confirms_the_identity_and_takes_the_announcement_off_the_board(cast, client_for, world):
    clue, live = world["clue"], world["live"]
    services.clue_set_status(by=cast.tracer, clue=clue, status=ClueStatus.CONFIRMED, note="女儿到站辨认")
    staff = client_for(cast.tracer)
    response = staff.post(reverse("announcements:clue_identify", args=[clue.uuid]),
                          {"name": "刘桂英", "hukou_text": "广东省英德市某村", "note": "女儿到站辨认"})
    assert response.status_code == 302
    clue.refresh_from_db()
    live.refresh_from_db()
    live.person.refresh_from_db()
    assert clue.identity_confirmed_at is not None
    assert live.person.identity_status == "identified" and live.status == AnnouncementStatus.WITHDRAWN
    gone = Client().get(reverse("xunqin:detail", args=[live.uuid]))
    assert gone.status_code == 410 and "此人已找到家人" in gone.content.decode()
    again = staff.post(reverse("announcements:clue_identify", args=[clue.uuid]), {"name": "刘桂英"}, follow=True)
    assert "已根据该线索确认过身份" in again.content.decode()
