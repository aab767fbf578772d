"""Test helpers: an unidentified person in care with photos, and announcements built through the services."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from announcements import services
from people.services import episode_open, episode_transition, person_create, photo_add

#: A valid GB 11643 number (female, born 1949-12-31): must never reach the public.
ID_NUMBER = "11010519491231002X"
SENTINELS = ["SENTINEL-MARK", "SENTINEL-ALIAS", "SENTINEL-HUKOU", "SENTINEL-DIALECT", "SENTINEL-RESIDENCE",
             "哨兵甲某", ID_NUMBER, "SENTINEL-CONTACT-NOTE"]


def image_upload(name="p.jpg", size=(300, 400), fmt="JPEG", exif_text: str = "") -> SimpleUploadedFile:
    buf = io.BytesIO()
    img = Image.new("RGB", size, (150, 110, 90))
    kwargs = {}
    if exif_text:
        exif = Image.Exif()
        exif[0x010E] = exif_text  # ImageDescription
        kwargs["exif"] = exif
    img.save(buf, fmt, **kwargs)
    return SimpleUploadedFile(name, buf.getvalue(), content_type=f"image/{fmt.lower()}")


def unidentified_person(cast, *, name="哨兵甲某", at=None, photo=True, station=None, by=None, id_number=ID_NUMBER,
                        **extra):
    """A person admitted at the county station ``at`` (an hour ago), identity unknown, with sentinel values
    in every field an announcement must not publish."""
    by = by or cast.reception
    station = station or cast.station
    at = at or timezone.now() - datetime.timedelta(hours=1)
    data = {"name": name, "sex": "女", "aliases": "SENTINEL-ALIAS", "hukou_text": "SENTINEL-HUKOU",
            "dialect": "SENTINEL-DIALECT", "residence_text": "SENTINEL-RESIDENCE", "marks": "SENTINEL-MARK 左臂疤痕",
            "height_cm": 158, "age_min": 70, "age_max": 80, **extra}
    person = person_create(by=by, station=station, data=data, id_number=id_number)
    episode = episode_open(by=by, person=person, station=station, channel="walk_in",
                           requested_at=at - datetime.timedelta(minutes=30))
    episode_transition(by=by, episode=episode, to="admitted", at=at)
    if photo:
        photo_add(by=by, person=person, image=image_upload(exif_text="SENTINEL-EXIF"),
                  taken_on=timezone.localdate(at))
    person.refresh_from_db()
    return person


DETAILS = {"found_date": None, "found_place": "英德市火车站广场", "found_division": None, "sex": "女",
           "age_min": 70, "age_max": 80, "height_cm": 158, "features": "左臂有一处旧疤痕，穿蓝色外套",
           "statement": "自称家住“河边”，会说客家话", "contact_phone": "0763-2222222"}
ALL = ["found_date", "found_place", "sex", "age", "height", "features", "statement"]


def announcement(cast, person, *, publish=True, by=None, chosen=None, **details):
    from core.models import Division

    by = by or cast.tracer
    values = {**DETAILS, "found_date": timezone.localdate(), "found_division": Division.objects.get(code="441881"),
              **details}
    photos = list(person.photos.all())
    a = services.announcement_create(by=by, person=person, photos=photos, chosen=ALL if chosen is None else chosen,
                                     details=values)
    if publish:
        a = services.announcement_publish(by=by, announcement=a)
    return a
