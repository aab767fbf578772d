"""The public board (/xunqin/): only live announcements, only their published snapshot; clues rate-limited."""

import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from announcements import services
from announcements.models import Clue, ClueThrottle
from announcements.tests.factories import SENTINELS, announcement, image_upload, unidentified_person
from core.models import Division
from people.services import contact_create

pytestmark = pytest.mark.django_db
CLUE = {"name": "张家属", "phone": "13812345678", "relationship": "女儿", "content": "很像我走失的母亲"}


@pytest.fixture
def live(cast):
    person = unidentified_person(cast)
    contact_create(by=cast.reception, person=person, data={"name": "某亲属", "relationship": "儿子",
                                                             "note": "SENTINEL-CONTACT-NOTE"})
    # Marks are NOT chosen: the public text for features is written separately.
    return announcement(cast, person, chosen=["found_date", "found_place", "sex", "age", "height", "features"])


def _public_urls(a):
    ap = a.photos.first()
    return [reverse("xunqin:board"), reverse("xunqin:board") + "?q=疤痕", reverse("xunqin:detail", args=[a.uuid]),
            reverse("xunqin:poster", args=[a.uuid]), reverse("xunqin:clue", args=[a.uuid]),
            reverse("xunqin:photo", args=[ap.uuid]), reverse("xunqin:photo", args=[ap.uuid]) + "?size=thumb"]


def test_t3_the_board_needs_no_login_and_shows_live_announcements(client, live):
    response = client.get(reverse("xunqin:board"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="board-card"' in body and live.code in body and 'loading="lazy"' in body
    assert client.get(reverse("xunqin:detail", args=[live.uuid])).status_code == 200


def test_t3_the_board_never_shows_anything_beyond_the_published_snapshot(client, cast, live):
    services.clue_create(announcement=live, data={**CLUE, "content": "SENTINEL-CLUE 线索内容"})
    person = live.person
    secrets = [*SENTINELS, person.file_no, person.id_number_masked, "SENTINEL-CLUE", "张家属", "13812345678",
               str(person.uuid), "自称家住"]  # statement was not chosen
    for url in _public_urls(live):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode("utf-8", errors="replace")
        for secret in secrets:
            assert secret not in body, f"{url} leaks {secret!r}"
        assert str(person.photos.first().uuid) not in body
    pdf = client.get(reverse("xunqin:poster", args=[live.uuid]) + "?format=pdf")
    assert pdf.content.startswith(b"%PDF")


def test_t3_drafts_and_withdrawn_announcements_do_not_exist_for_the_public(client, cast, live):
    draft = announcement(cast, unidentified_person(cast, name="草稿某", id_number=""), publish=False)
    photo_url = reverse("xunqin:photo", args=[live.photos.first().uuid])
    assert client.get(photo_url).status_code == 200
    services.announcement_withdraw(by=cast.tracer, announcement=live, reason="身份已查明")
    for name in ("xunqin:detail", "xunqin:poster", "xunqin:clue"):
        assert client.get(reverse(name, args=[draft.uuid])).status_code == 404, name
    assert client.get(reverse("xunqin:poster", args=[live.uuid])).status_code == 404
    # an old poster's QR code opens a friendly page that says only that it was withdrawn
    for name in ("xunqin:detail", "xunqin:clue"):
        gone = client.get(reverse(name, args=[live.uuid]))
        body = gone.content.decode()
        assert gone.status_code == 410 and "公告已撤回" in body and live.code in body, name
        assert live.person.name not in body and "SENTINEL" not in body
    for a in (live, draft):
        assert a.code not in client.get(reverse("xunqin:board")).content.decode()
    assert client.get(photo_url).status_code == 404
    assert client.get(reverse("xunqin:photo", args=[draft.photos.first().uuid])).status_code == 404
    # A person's own photo id never opens anything on the board.
    assert client.get(reverse("xunqin:photo", args=[live.person.photos.first().uuid])).status_code == 404


def test_t3_public_photos_are_resized_stripped_of_exif_and_briefly_cacheable(client, live):
    raw = live.person.photos.first().image.open("rb").read()
    assert b"SENTINEL-EXIF" not in raw  # stored already re-encoded by core.images; the board re-encodes again
    response = client.get(reverse("xunqin:photo", args=[live.photos.first().uuid]) + "?size=thumb")
    assert response["Content-Type"] == "image/jpeg"
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert b"SENTINEL-EXIF" not in response.content
    img = Image.open(io.BytesIO(response.content))
    assert max(img.size) <= 240 and not dict(img.getexif())


def test_t3_the_board_filters_by_place_date_sex_age_and_keyword(client, cast, live):
    other = announcement(cast, unidentified_person(cast, name="男某", id_number="", sex="男"), sex="男",
                         age_min=30, age_max=35, features="戴眼镜", found_place="韶关站",
                         found_division=Division.objects.get(code="440232"),
                         found_date=timezone.localdate() - datetime.timedelta(days=20))
    board = reverse("xunqin:board")

    def codes(**params):
        body = client.get(board, params).content.decode()
        return {a.code for a in (live, other) if a.code in body}

    assert codes() == {live.code, other.code}
    assert codes(province="440000", city="441800") == {live.code}
    assert codes(province="440000", city="440200") == {other.code}
    assert codes(sex="男") == {other.code}
    assert codes(age_min=60) == {live.code}
    assert codes(age_min=20, age_max=32) == {other.code}
    assert codes(date_from=(timezone.localdate() - datetime.timedelta(days=5)).isoformat()) == {live.code}
    assert codes(q="眼镜") == {other.code}
    assert codes(q="疤痕") == {live.code}
    assert codes(date_from="not-a-date") == {live.code, other.code}  # bad filter: ignored, page still works


def test_t3_the_board_is_paginated(client, cast):
    person = unidentified_person(cast, photo=False)
    for _ in range(21):
        announcement(cast, person)
    first = client.get(reverse("xunqin:board")).content.decode()
    assert first.count('class="board-card"') == 20 and "下一页" in first
    assert client.get(reverse("xunqin:board"), {"page": 2}).content.decode().count('class="board-card"') == 1


def test_t3_the_poster_has_a_qr_code_to_the_detail_page(client, live):
    body = client.get(reverse("xunqin:poster", args=[live.uuid])).content.decode()
    assert "寻亲启事" in body and "data:image/png;base64," in body and "data:image/jpeg;base64," in body
    assert f"http://testserver/xunqin/{live.uuid}/" in body


def test_t3_a_clue_from_the_board_reaches_the_owning_station_only(client, client_for, cast, live):
    response = client.post(reverse("xunqin:clue", args=[live.uuid]), {**CLUE, "photo": image_upload("c.png", fmt="PNG")})
    assert response.status_code == 200 and "线索已提交" in response.content.decode()
    clue = Clue.objects.get()
    assert clue.announcement == live and clue.phone == "13812345678" and clue.photo.name.endswith(".jpg")
    inbox = client_for(cast.tracer).get(reverse("announcements:clue_inbox")).content.decode()
    assert "张家属" in inbox
    outsider = client_for(cast.outsider)
    assert "张家属" not in outsider.get(reverse("announcements:clue_inbox")).content.decode()
    assert outsider.get(reverse("announcements:clue_detail", args=[clue.uuid])).status_code == 404


def test_t3_a_clue_without_contact_or_with_a_bad_upload_is_refused_and_nothing_saved(client, live):
    url = reverse("xunqin:clue", args=[live.uuid])
    for data, message in [({**CLUE, "phone": ""}, "请填写联系电话"), ({**CLUE, "phone": "110"}, "有效的手机号"),
                          ({**CLUE, "photo": SimpleUploadedFile("x.jpg", b"MZ not an image")}, "不是有效的图片")]:
        response = client.post(url, data)
        assert response.status_code == 400 and message in response.content.decode()
    assert Clue.objects.count() == 0


def test_hole12_a_shared_connection_is_not_blocked_after_a_few_clues(client, live, settings):
    url = reverse("xunqin:clue", args=[live.uuid])
    for i in range(10):  # ten families behind one router, each with its own phone
        assert client.post(url, {**CLUE, "phone": f"138123456{i:02d}"}).status_code == 200
    assert Clue.objects.count() == 10


def test_hole12_a_spammed_clue_form_is_throttled_per_ip_with_429_and_a_wait_time(client, live, settings):
    settings.GUITU_CLUE_LIMIT_PER_IP_PER_HOUR = 6
    url = reverse("xunqin:clue", args=[live.uuid])
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        for i in range(6):
            assert client.post(url, {**CLUE, "phone": f"1381234567{i}"}).status_code == 200
        clock.shift(datetime.timedelta(minutes=10))
        response = client.post(url, {**CLUE, "phone": "13900000000"})
        page = response.content.decode()
        assert response.status_code == 429 and "同一网络地址每小时最多提交 6 次线索" in page
        assert "请 51 分钟后再试" in page and response["Retry-After"] == "3001"
    assert Clue.objects.count() == 6
    with time_machine.travel(now + datetime.timedelta(minutes=61), tick=False):
        assert client.post(url, CLUE).status_code == 200


def test_hole12_one_phone_is_throttled_across_addresses_and_refused_attempts_count(client, live):
    url = reverse("xunqin:clue", args=[live.uuid])
    for i in range(3):
        assert client.post(url, CLUE, REMOTE_ADDR=f"198.51.100.{i}").status_code == 200
    for i in range(2):  # invalid attempts (no content) are refused and still count
        assert client.post(url, {**CLUE, "content": ""}, REMOTE_ADDR=f"198.51.100.{10 + i}").status_code == 400
    response = client.post(url, CLUE, REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 429 and "同一联系电话每小时最多提交 5 次线索" in response.content.decode()
    assert Clue.objects.count() == 3


def test_t3_the_honeypot_saves_nothing_but_counts_the_attempt(client, live):
    response = client.post(reverse("xunqin:clue", args=[live.uuid]), {**CLUE, "website": "http://spam.example"})
    assert response.status_code == 200
    assert Clue.objects.count() == 0 and ClueThrottle.objects.count() == 1


def test_t3_the_clue_form_checks_csrf(live):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("xunqin:clue", args=[live.uuid]), CLUE).status_code == 403
    page = strict.get(reverse("xunqin:detail", args=[live.uuid]))
    token = page.cookies["csrftoken"].value
    response = strict.post(reverse("xunqin:clue", args=[live.uuid]), {**CLUE, "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert Clue.objects.count() == 1


def test_t3_a_withdrawn_announcement_of_an_identified_person_says_they_found_their_family(client, cast, live):
    from tracing.services import identity_confirm

    identity_confirm(by=cast.tracer, person=live.person, method="dna", evidence="DNA比中", name="王秀兰")
    body = client.get(reverse("xunqin:detail", args=[live.uuid])).content.decode()
    assert "此人已找到家人" in body and "王秀兰" not in body


def test_t3_the_poster_qr_code_uses_the_configured_public_address(client, live, settings):
    import base64
    import io

    from PIL import Image

    settings.GUITU_PUBLIC_BASE_URL = "https://xunqin.example.gov.cn/"
    body = client.get(reverse("xunqin:poster", args=[live.uuid])).content.decode()
    assert f"https://xunqin.example.gov.cn/xunqin/{live.uuid}/" in body and "testserver" not in body
    assert "data:image/png;base64," in body
    Image.open(io.BytesIO(base64.b64decode(body.split("data:image/png;base64,")[1].split('"')[0])))
