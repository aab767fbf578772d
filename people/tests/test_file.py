"""The file's rules: search, ID at rest, masking, reveal, photos, timeline, special groups."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from core.models import AuditAction, AuditEntry, UserRole
from people.models import Person, PersonPhoto
from people.selectors import person_list, person_timeline
from people.services import episode_close, episode_open, episode_transition, person_create
from people.tests.conftest import VALID_ID, png_bytes


def _search(user, **kw):
    return list(person_list(user=user, **kw))


def test_search_by_name_pinyin_initials_id_and_file_number(cast, person):
    other = person_create(by=cast.reception, station=cast.station, data={"name": "李四", "sex": "男"})
    for q in ("张", "zhang san", "zhangsan", "ZS", VALID_ID, person.file_no):
        assert _search(cast.reception, q=q) == [person], q
    assert _search(cast.reception, q="li") == [other]
    assert _search(cast.reception, q="110105194912310038") == []  # a different number finds nothing


def test_list_filters_sex_age_in_care_and_special_group(cast, person, episode):
    child = person_create(by=cast.reception, station=cast.station, data={"name": "小明", "sex": "男",
                                                                         "birth_year_est": 2016})
    assert _search(cast.reception, sex="男") == [child]
    assert _search(cast.reception, age_min=60) == [person]
    assert _search(cast.reception, age_max=15) == [child]
    assert _search(cast.reception, in_care="yes") == [person]
    assert _search(cast.reception, in_care="no") == [child]
    assert _search(cast.reception, special_group="is_minor") == [child]
    assert _search(cast.outsider) == []


def test_list_page_shows_no_photos_and_few_queries(cast, client_for, person, django_assert_max_num_queries):
    for i in range(5):
        person_create(by=cast.reception, station=cast.station, data={"name": f"人员{i}"})
    client = client_for(cast.reception)
    client.get(reverse("people:list"))
    # 13 on PostgreSQL: its audit chain lock is a query of its own; the 待办 badge reads the newest change.
    with django_assert_max_num_queries(13):
        page = client.get(reverse("people:list")).content.decode()
    assert "<img" not in page and "人员4" in page


def test_id_number_is_encrypted_at_rest_and_never_in_the_audit_log(cast, person):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person WHERE id = %s", [person.pk])
        row = cursor.fetchone()
    assert VALID_ID not in " ".join(str(v) for v in row)
    assert "19491231" not in person.id_number_masked
    assert all(VALID_ID not in str(e.changes) + e.summary for e in AuditEntry.objects.all())


def test_file_page_masks_the_id_and_offers_reveal_only_to_allowed_roles(cast, client_for, person):
    page = client_for(cast.reception).get(reverse("people:detail", args=[person.uuid])).content.decode()
    assert "110105********002X" in page and VALID_ID not in page and "显示完整号码" in page
    page = client_for(cast.carer).get(reverse("people:detail", args=[person.uuid])).content.decode()
    assert "显示完整号码" not in page


def test_reveal_is_403_for_carer_and_supervisor_and_audited_for_head(cast, client_for, person):
    url = reverse("people:reveal_id", args=[person.uuid])
    assert client_for(cast.carer).post(url).status_code == 403
    assert client_for(cast.county_supervisor).post(url).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()
    response = client_for(cast.head).post(url)
    assert response.json() == {"id_number": VALID_ID} and response["Cache-Control"] == "private, no-store"
    assert AuditEntry.objects.get(action=AuditAction.REVEAL).actor == cast.head


def test_reveal_for_police_only_of_the_persons_own_organisation(cast, client_for, person):
    UserRole.objects.create(user=cast.carer, role="police")  # a police liaison posted at the station
    cast.carer._role_codes = None
    assert client_for(cast.carer).post(reverse("people:reveal_id", args=[person.uuid])).status_code == 200
    # the police station's own officer cannot even see the file (scoping) → 404
    assert client_for(cast.police_officer).post(reverse("people:reveal_id", args=[person.uuid])).status_code == 404


def _upload(client, person, content, name="a.png", taken_on="2026-01-01"):
    return client.post(reverse("people:photo_add", args=[person.uuid]),
                       {"image": SimpleUploadedFile(name, content), "kind": "portrait", "taken_on": taken_on})


def test_upload_refuses_non_images_oversize_and_future_dates_in_chinese(cast, client_for, person, settings):
    client = client_for(cast.reception)
    assert "只接受 JPEG、PNG 或 WebP" in _upload(client, person, b"not an image at all").content.decode()
    assert "只接受 JPEG、PNG 或 WebP" in _upload(client, person, png_bytes(fmt="GIF"), "a.gif").content.decode()
    settings.GUITU_MAX_PHOTO_BYTES = 50
    assert "照片过大" in _upload(client, person, png_bytes()).content.decode()
    settings.GUITU_MAX_PHOTO_BYTES = 8 * 1024 * 1024
    assert "拍摄日期不能晚于今天" in _upload(client, person, png_bytes(), taken_on="2099-01-01").content.decode()
    assert PersonPhoto.objects.count() == 0


def test_several_photos_upload_at_once_and_are_stored_privately(cast, client_for, person, settings):
    files = [SimpleUploadedFile("a.jpg", png_bytes(fmt="JPEG")), SimpleUploadedFile("b.webp", png_bytes(fmt="WEBP"))]
    response = client_for(cast.carer).post(reverse("people:photo_add", args=[person.uuid]),
                                           {"image": files, "kind": "feature", "taken_on": "2026-01-01"})
    assert response.status_code == 302
    photos = list(PersonPhoto.objects.all())
    assert len(photos) == 2 and all(str(settings.MEDIA_ROOT) in p.image.path for p in photos)
    assert {p.image.name.rsplit(".", 1)[1] for p in photos} == {"jpg"}  # re-encoded by core.images


def test_anonymous_photo_request_redirects_to_login(client, cast, person):
    from people.services import photo_add

    photo = photo_add(by=cast.reception, person=person, image=SimpleUploadedFile("a.png", png_bytes()),
                      taken_on=datetime.date(2026, 1, 1))
    response = client.get(reverse("people:photo", args=[photo.uuid]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_e4_timeline_runs_in_time_order_across_two_stations(cast, client_for):
    with time_machine.travel("2026-01-10 09:00 +0800"):
        person = person_create(by=cast.reception, station=cast.station, data={"name": "赵六", "sex": "男"})
        first = episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")
    with time_machine.travel("2026-01-11 09:00 +0800"):
        episode_transition(by=cast.reception, episode=first, to="admitted")
    with time_machine.travel("2026-01-15 09:00 +0800"):
        episode_close(by=cast.head, episode=first, to="left", note="自行离站")
    with time_machine.travel("2026-02-01 09:00 +0800"):
        episode_open(by=cast.city_reception, person=person, station=cast.city_station, channel="police")
    items = person_timeline(person=person)
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    orgs = [i["org"] for i in items]
    assert orgs[0] == "英德市救助管理站" and orgs[-1] == "清远市救助管理站"
    assert any("已入站 → 已离站（自行离站）" in i["what"] and i["who"] == "王站长" for i in items)
    page = client_for(cast.head).get(reverse("people:detail", args=[person.uuid])).content.decode()
    assert page.index("建立人员档案") < page.index("已离站（自行离站）")


def test_timeline_leaves_out_views_and_reveals(cast, client_for, person):
    client_for(cast.head).get(reverse("people:detail", args=[person.uuid]))
    assert all("查阅" not in i["what"] for i in person_timeline(person=person))


def test_i8_special_groups_follow_the_age(cast):
    with time_machine.travel("2026-05-01 10:00 +0800"):
        child = person_create(by=cast.reception, station=cast.station, data={"name": "小红", "age_min": 10,
                                                                             "age_max": 12})
        old = person_create(by=cast.reception, station=cast.station, data={"name": "老王", "birth_year_est": 1950})
    assert child.is_minor and not child.is_elderly and child.special_groups == ["未成年人"]
    assert old.is_elderly and not old.is_minor


def test_supervisor_cannot_see_who_revealed_unless_allowed_role(cast, client_for, person):
    # the access log tab is for head / admin / auditor / supervisor only
    page = client_for(cast.county_supervisor).get(reverse("people:detail", args=[person.uuid])).content.decode()
    assert "查阅记录" in page and Person.objects.count() == 1


def test_e4_a_person_cannot_have_two_open_episodes_even_at_the_same_station(cast, person, episode):
    from django.core.exceptions import ValidationError

    from people.models import Episode

    with pytest.raises(ValidationError, match="尚有未结束的救助过程"):
        episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")
    with pytest.raises(ValidationError, match="其他机构"):
        episode_open(by=cast.city_reception, person=person, station=cast.city_station, channel="walk_in")
    assert Episode.objects.filter(person=person).count() == 1


def test_i6_flags_are_raised_through_the_people_service_and_audited(cast, episode):
    from core.models import AuditEntry
    from people.services import episode_set_flags

    episode_set_flags(by=cast.reception, episode=episode, repeat_requests=True)
    episode.refresh_from_db()
    assert episode.flag_repeat_requests and not episode.flag_foreign
    entry = AuditEntry.objects.filter(object_id=str(episode.uuid), summary__contains="重点甄别").get()
    assert entry.changes == {"flag_repeat_requests": [False, True]}
