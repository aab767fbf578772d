"""The people API: token auth, scope (outsider 404), read-only supervisor 403, owner acts, Chinese errors."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditAction, AuditEntry
from core.services import api_token_create
from people.models import Person, PersonPhoto
from people.tests.conftest import VALID_ID, png_bytes

BASE = "/api/v1/people"


def bearer(user):
    _, raw = api_token_create(by=user, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _calls(person, episode):
    p, e = person.uuid, episode.uuid
    return [
        ("get", f"{BASE}/persons/{p}", None),
        ("get", f"{BASE}/persons/{p}/episodes", None),
        ("get", f"{BASE}/episodes/{e}", None),
        ("patch", f"{BASE}/persons/{p}", {"name": "改名"}),
        ("post", f"{BASE}/persons/{p}/reveal-id", None),
    ]


def _do(client, method, url, body, headers):
    if body is None:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, body, content_type="application/json", **headers)


def test_api_requires_authentication(client, person, episode):
    for method, url, body in _calls(person, episode) + [("get", f"{BASE}/persons", None)]:
        assert _do(client, method, url, body, {}).status_code == 401, url


def test_api_outsider_gets_404_and_nothing_changes(client, cast, person, episode):
    headers = bearer(cast.outsider)
    for method, url, body in _calls(person, episode):
        response = _do(client, method, url, body, headers)
        assert response.status_code == 404 and response.json()["code"] == "not_found", url
    assert client.get(f"{BASE}/persons", **headers).json() == []
    person.refresh_from_db()
    episode.refresh_from_db()
    assert person.name == "张三" and episode.status == "admitted"
    assert not AuditEntry.objects.filter(action__in=[AuditAction.VIEW, AuditAction.REVEAL]).exists()


def test_api_supervisor_reads_but_gets_403_on_writes(client, cast, person, episode):
    headers = bearer(cast.county_supervisor)
    assert client.get(f"{BASE}/persons/{person.uuid}", **headers).json()["id_number_masked"] == "110105********002X"
    for method, url, body in _calls(person, episode)[3:]:
        assert _do(client, method, url, body, headers).status_code == 403, url
    assert client.post(f"{BASE}/persons", {"name": "新人"}, content_type="application/json",
                       **headers).status_code == 403
    person.refresh_from_db()
    episode.refresh_from_db()
    assert person.name == "张三" and episode.status == "admitted" and Person.objects.count() == 1


def test_api_get_logs_a_view(client, cast, person):
    client.get(f"{BASE}/persons/{person.uuid}", **bearer(cast.carer))
    assert AuditEntry.objects.filter(action=AuditAction.VIEW, person_uuid=person.uuid, actor=cast.carer).exists()


def test_api_owner_creates_and_updates(client, cast, person, episode):
    headers = bearer(cast.reception)
    created = client.post(f"{BASE}/persons", {"use_provisional_name": True, "sex": "男", "age_min": 8,
                                              "age_max": 12}, content_type="application/json", **headers)
    assert created.status_code == 201 and created.json()["name"].startswith("无名氏-英德站-")
    assert "未成年人" in created.json()["special_groups"]
    updated = client.patch(f"{BASE}/persons/{person.uuid}", {"dialect": "客家话"}, content_type="application/json",
                           **headers)
    assert updated.status_code == 200 and updated.json()["dialect"] == "客家话"
    person.refresh_from_db()
    assert person.name == "张三" and person.id_number_masked  # unsent fields untouched
    assert client.get(f"{BASE}/persons/{person.uuid}/episodes", **headers).json()[0]["status"] == "admitted"


def test_api_bad_id_number_gives_chinese_error_and_saves_nothing(client, cast):
    response = client.post(f"{BASE}/persons", {"name": "王芳", "id_number": "110105194912310021"},
                           content_type="application/json", **bearer(cast.reception))
    assert response.status_code == 400 and "id_number" in response.json()["fields"]
    assert "校验" in response.json()["message"] and Person.objects.count() == 0


def test_e1_api_has_no_generic_status_change(client, cast, episode):
    # Every move has its own record (admission, bed, placement, departure, notices): no shortcut.
    response = client.post(f"{BASE}/episodes/{episode.uuid}/transition", {"to": "left"},
                           content_type="application/json", **bearer(cast.carer))
    assert response.status_code in (404, 405)
    episode.refresh_from_db()
    assert episode.status == "admitted"


def test_api_reveal_is_role_checked_and_audited(client, cast, person):
    assert client.post(f"{BASE}/persons/{person.uuid}/reveal-id", **bearer(cast.carer)).status_code == 403
    response = client.post(f"{BASE}/persons/{person.uuid}/reveal-id", **bearer(cast.tracer))
    assert response.json() == {"id_number": VALID_ID}
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL, person_uuid=person.uuid).count() == 1


@pytest.mark.parametrize("user, status", [("reception", 201), ("county_supervisor", 403), ("outsider", 404)])
def test_api_photo_upload(client, cast, person, user, status):
    upload = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
    response = client.post(f"{BASE}/persons/{person.uuid}/photos", {"image": upload, "taken_on": "2026-01-02"},
                           **bearer(getattr(cast, user)))
    assert response.status_code == status
    assert PersonPhoto.objects.count() == (1 if status == 201 else 0)


def test_api_likely_same_person(client, cast, person):
    response = client.get(f"{BASE}/persons/likely-same", {"id_number": VALID_ID}, **bearer(cast.city_reception))
    found = response.json()[0]
    assert found["same_id"] and found["file_no"] == person.file_no
    assert "id_number_masked" not in found


def test_api_search_by_pinyin(client, cast, person):
    assert [p["uuid"] for p in client.get(f"{BASE}/persons", {"q": "zs"}, **bearer(cast.head)).json()] == [
        str(person.uuid)]


def test_i4_api_keeps_a_number_failing_its_check_only_when_asked(client, cast):
    said = {"name": "王芳", "sex": "女", "id_number": "11010519491213002X"}
    refused = client.post(f"{BASE}/persons", said, content_type="application/json", **bearer(cast.reception))
    assert refused.status_code == 400 and "校验未通过仍按自述记录" in refused.json()["fields"]["id_number"][0]
    assert Person.objects.count() == 0
    kept = client.post(f"{BASE}/persons", {**said, "keep_unchecked_id": True}, content_type="application/json",
                       **bearer(cast.reception))
    assert kept.status_code == 201
    assert kept.json()["id_number_masked"] == "" and kept.json()["id_number_unchecked_masked"] == "110105********002X"
    uuid = kept.json()["uuid"]
    fixed = client.patch(f"{BASE}/persons/{uuid}", {"id_number": "11010519491231002X"},
                         content_type="application/json", **bearer(cast.reception))
    assert fixed.status_code == 200 and fixed.json()["id_number_masked"] == "110105********002X"
    assert fixed.json()["id_number_unchecked_masked"] == ""
