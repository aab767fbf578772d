"""Every image path goes through THE image intake (core.images): person photos (page and API), missing-report
photos, police answers' attachments, claimants' ID copies and public clue photos are all stored re-encoded,
upright and without EXIF/GPS; the public clue form refuses a pixel bomb without decoding it (issue 8, hole 6)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ImageFile

from core.tests.test_images import assert_clean, bomb_png, gps_jpeg

pytestmark = pytest.mark.django_db


def _jpeg(name="p.jpg"):
    return SimpleUploadedFile(name, gps_jpeg(), content_type="image/jpeg")


def _stored(field_file) -> bytes:
    with field_file.open("rb") as handle:
        return handle.read()


def test_person_photos_from_the_page_and_the_api_are_stored_without_gps(client_for, cast):
    from people.models import PersonPhoto
    from people.services import person_create

    person = person_create(by=cast.reception, station=cast.station, data={"name": "张图片", "sex": "男"})
    client = client_for(cast.reception)
    today = timezone.localdate().isoformat()
    client.post(reverse("people:photo_add", args=[person.uuid]), {"image": _jpeg(), "kind": "portrait",
                                                                   "taken_on": today})
    response = client.post(f"/api/v1/people/persons/{person.uuid}/photos", {"image": _jpeg(), "taken_on": today})
    assert response.status_code == 201
    photos = list(PersonPhoto.objects.filter(person=person))
    assert len(photos) == 2
    for photo in photos:
        assert photo.image.name.endswith(".jpg")
        assert_clean(_stored(photo.image))


def test_missing_report_photos_are_stored_without_gps(cast):
    from matching import services
    from matching.tests.factories import report

    photo = services.report_photo_add(by=cast.police_officer, report=report(cast), image=_jpeg())
    assert_clean(_stored(photo.image))


def test_police_answer_attachments_are_stored_without_gps(cast):
    from tracing import services
    from tracing.tests.factories import unidentified

    person = unidentified(cast).person
    check = services.check_create(by=cast.tracer, person=person, police=cast.police, known_info="男")
    services.check_answer(by=cast.police_officer, check=check, result="partial", answer_text="有线索",
                          attachments=[_jpeg("answer.jpg")])
    attachment = check.attachments.get()
    assert attachment.content_type == "image/jpeg" and attachment.filename == "answer.jpg"
    assert_clean(_stored(attachment.file))


def test_claimant_id_copies_are_stored_without_gps(cast):
    from leaving.services import departure_create
    from matching.tests.factories import in_care

    person = in_care(cast, name="王接领", sex="男", birth_year_est=1980)
    episode = person.episodes.get()
    departure = departure_create(by=cast.reception, episode=episode, exit_type="family",
                                 data={"claimant_name": "王兄", "claimant_relationship": "哥哥",
                                       "claimant_phone": "13900000000"},
                                 claimant_id_number="11010519491231002X", claimant_id_copy=_jpeg("id.jpg"))
    assert departure.claimant_id_copy.name.endswith(".jpg")
    assert_clean(_stored(departure.claimant_id_copy))


def test_public_clue_photos_are_stored_without_gps(client, cast):
    from announcements.models import Clue
    from announcements.tests.factories import announcement, unidentified_person

    live = announcement(cast, unidentified_person(cast))
    response = client.post(reverse("xunqin:clue", args=[live.uuid]), {
        "name": "张家属", "phone": "13812345678", "relationship": "女儿", "content": "很像我走失的母亲",
        "photo": _jpeg()})
    assert response.status_code == 200
    assert_clean(_stored(Clue.objects.get().photo))


def test_the_public_clue_form_refuses_a_12000px_png_without_decoding_it(client, cast, monkeypatch):
    """The probe's 140 KB PNG took the server from 272 MB to 962 MB: now only its header is read."""
    from announcements.models import Clue
    from announcements.tests.factories import announcement, unidentified_person

    live = announcement(cast, unidentified_person(cast))

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("the clue photo was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    response = client.post(reverse("xunqin:clue", args=[live.uuid]), {
        "name": "张家属", "phone": "13812345678", "relationship": "女儿", "content": "很像我走失的母亲",
        "photo": SimpleUploadedFile("bomb.png", bomb_png(), content_type="image/png")})
    assert response.status_code == 400 and "尺寸过大" in response.content.decode()
    assert Clue.objects.count() == 0


def test_no_module_decodes_uploads_outside_core_images():
    """One path per concern: Pillow opens uploads only in core/images.py (the face engine reads stored files)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    opener = re.compile(r"Image\.open\(|from PIL import")
    # The demo modules draw their demo photos and documents; they decode no upload.
    allowed = {"core/images.py", "guitu_match/faces.py", "guitu/demo.py", "guitu/demo_photos.py",
               "guitu/demo_settlement.py", "guitu/demo_campaign.py"}
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".venv/", "bench/")) or "/tests/" in f"/{rel}" or rel.startswith("tests/") or rel in allowed:
            continue
        if opener.search(path.read_text(encoding="utf-8")):
            offenders.append(rel)
    assert offenders == [], f"take images through core.images.take_image: {offenders}"


def test_a_photo_taken_tomorrow_is_still_refused_with_its_own_message(client_for, cast):
    from people.services import person_create

    person = person_create(by=cast.reception, station=cast.station, data={"name": "张明日", "sex": "男"})
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client_for(cast.reception).post(reverse("people:photo_add", args=[person.uuid]),
                                               {"image": _jpeg(), "kind": "portrait", "taken_on": tomorrow})
    assert "拍摄日期不能晚于今天" in response.content.decode()
    assert person.photos.count() == 0
