"""Every page of the person's file: login, scope (outsider 404), read-only supervisor 403, owner acts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditAction, AuditEntry
from people.models import FamilyContact, Person, PersonPhoto
from people.services import contact_create, photo_add
from people.tests.conftest import VALID_ID, png_bytes


def _photo(cast, person):
    import datetime

    upload = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    return photo_add(by=cast.reception, person=person, image=upload, taken_on=datetime.date(2026, 1, 5))


@pytest.fixture
def urls(person, episode, cast):
    contact = contact_create(by=cast.reception, person=person, data={"name": "张父", "relationship": "父亲"})
    photo = _photo(cast, person)
    return {
        "list": reverse("people:list"),
        "new": reverse("people:new"),
        "detail": reverse("people:detail", args=[person.uuid]),
        "edit": reverse("people:edit", args=[person.uuid]),
        "photo_add": reverse("people:photo_add", args=[person.uuid]),
        "contact_add": reverse("people:contact_add", args=[person.uuid]),
        "contact_edit": reverse("people:contact_edit", args=[contact.uuid]),
        "photo": reverse("people:photo", args=[photo.uuid]),
        "print": reverse("people:print_file", args=[person.uuid]),
        "episode": reverse("people:episode", args=[episode.uuid]),
        "reveal": reverse("people:reveal_id", args=[person.uuid]),
    }


PERSON_URLS = ["detail", "edit", "photo_add", "contact_add", "contact_edit", "photo", "print", "episode",
               "reveal"]


def test_every_page_requires_login(client, urls):
    for name, url in urls.items():
        response = client.get(url) if name not in ("transition", "reveal") else client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, name


def test_outsider_gets_404_everywhere_and_nothing_changes(cast, client_for, urls, person):
    client = client_for(cast.outsider)
    before = (Person.objects.count(), FamilyContact.objects.count(), PersonPhoto.objects.count())
    for name in PERSON_URLS:
        assert client.get(urls[name]).status_code in (404, 405), name
        assert client.post(urls[name], {"name": "改名", "to": "in_station", "relationship": "兄"}).status_code == 404, name
    assert (Person.objects.count(), FamilyContact.objects.count(), PersonPhoto.objects.count()) == before
    person.refresh_from_db()
    assert person.name == "张三"
    assert person.file_no not in client.get(urls["list"]).content.decode()


@pytest.mark.parametrize("who", ["county_supervisor", "city_supervisor"])
def test_supervisor_reads_but_gets_403_on_writes(cast, client_for, urls, person, episode, who):
    client = client_for(getattr(cast, who))
    for name in ("detail", "photo", "print", "episode"):
        assert client.get(urls[name]).status_code == 200, name
    assert person.file_no in client.get(urls["list"]).content.decode()
    for name in ("new", "edit", "photo_add", "contact_add", "contact_edit", "reveal"):
        assert client.post(urls[name], {"name": "改名", "to": "in_station", "relationship": "兄"}).status_code == 403, name
    person.refresh_from_db()
    episode.refresh_from_db()
    assert person.name == "张三" and episode.status == "admitted" and Person.objects.count() == 1
    assert FamilyContact.objects.get().name == "张父"


def test_owner_can_open_every_page(cast, client_for, urls):
    client = client_for(cast.reception)
    for name in ("list", "new", "detail", "edit", "photo_add", "contact_add", "contact_edit", "print", "episode"):
        assert client.get(urls[name]).status_code == 200, name


def test_e4_opening_a_file_is_logged(cast, client_for, person, urls):
    client_for(cast.carer).get(urls["detail"])
    entry = AuditEntry.objects.filter(action=AuditAction.VIEW, person_uuid=person.uuid).get()
    assert entry.actor == cast.carer


def test_photo_is_streamed_privately_and_never_cached(cast, client_for, urls):
    response = client_for(cast.tracer).get(urls["photo"])
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")  # stored re-encoded as JPEG


def test_create_form_makes_a_file_with_a_validated_id(cast, client_for):
    response = client_for(cast.reception).post(reverse("people:new"), {
        "name": "王芳", "sex": "女", "id_number": VALID_ID, "ethnicity": "汉族", "hukou_division": "441881",
    })
    person = Person.objects.get(name="王芳")
    assert response.status_code == 302 and person.hukou_division.code == "441881"
    assert person.birth_date.isoformat() == "1949-12-31" and person.is_elderly


def test_create_form_rejects_a_bad_checksum_in_chinese_and_saves_nothing(cast, client_for):
    response = client_for(cast.reception).post(reverse("people:new"), {"name": "王芳", "id_number": "110105194912310021"})
    assert response.status_code == 200 and "校验" in response.content.decode()
    assert Person.objects.count() == 0


def test_create_form_rejects_sex_that_contradicts_the_id(cast, client_for):
    response = client_for(cast.reception).post(reverse("people:new"), {"name": "王芳", "sex": "男",
                                                                         "id_number": VALID_ID})
    assert "与填写的性别" in response.content.decode() and Person.objects.count() == 0


def test_only_station_staff_may_create_files(cast, client_for):
    assert client_for(cast.police_officer).post(reverse("people:new"), {"name": "王芳"}).status_code == 403
    assert client_for(cast.carer).post(reverse("people:new"), {"name": "王芳"}).status_code == 403
    assert Person.objects.count() == 0


def test_provisional_name_format(cast, client_for):
    with __import__("time_machine").travel("2026-03-01 10:00 +0800"):
        client_for(cast.reception).post(reverse("people:new"), {"use_provisional_name": "on", "sex": "男"})
    assert Person.objects.get().name == "无名氏-英德站-2026-001"


def test_edit_with_blank_id_keeps_the_number_and_records_a_field_diff(cast, client_for, person, urls):
    response = client_for(cast.reception).post(urls["edit"], {"name": "张三", "sex": "女", "dialect": "粤语",
                                                              "identity_status": "pending"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.id_number_masked and person.dialect == "粤语"
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, person_uuid=person.uuid).latest("id")
    assert entry.changes["dialect"] == ["", "粤语"]


def test_contact_edit_and_delete_are_audited(cast, client_for, urls, person):
    client = client_for(cast.tracer)
    assert client.post(urls["contact_edit"], {"name": "张父", "relationship": "父亲", "phone": "13800000000"}).status_code == 302
    assert FamilyContact.objects.get().phone == "13800000000"
    assert client.post(urls["contact_edit"], {"delete": "1"}).status_code == 302
    assert not FamilyContact.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DELETE, person_uuid=person.uuid).exists()


def test_contact_add_bad_phone_is_refused_in_chinese(cast, client_for, urls):
    response = client_for(cast.reception).post(urls["contact_add"], {"name": "张母", "relationship": "母亲",
                                                                     "phone": "abc"})
    assert "电话号码" in response.content.decode() and FamilyContact.objects.count() == 1


def test_e1_episode_page_offers_each_move_through_its_own_record(cast, client_for, urls, episode):
    page = client_for(cast.carer).get(urls["episode"]).content.decode()
    assert "可办理的状态变更" in page and 'name="to"' not in page  # no generic status form
    assert reverse("leaving:new", args=[episode.uuid]) in page and "离站登记" in page
    assert reverse("intake:terminate", args=[episode.uuid]) in page
    assert reverse("stay:bed_assign", args=[episode.uuid]) in page
    assert "可办理的状态变更" not in client_for(cast.county_supervisor).get(urls["episode"]).content.decode()


def test_print_file_gives_html_and_pdf_and_is_audited(cast, client_for, urls, person):
    client = client_for(cast.head)
    assert "受助人员档案" in client.get(urls["print"]).content.decode()
    pdf = client.get(urls["print"] + "?format=pdf")
    assert pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, person_uuid=person.uuid).count() == 2


def test_access_log_tab_is_only_for_heads_and_supervisors(cast, client_for, urls):
    assert "查阅记录" in client_for(cast.head).get(urls["detail"]).content.decode()
    assert "查阅记录" not in client_for(cast.carer).get(urls["detail"]).content.decode()


def test_division_search_returns_county_options(cast, client_for):
    page = client_for(cast.reception).get(reverse("people:division_search"), {"q": "英德"}).content.decode()
    assert "441881" in page
