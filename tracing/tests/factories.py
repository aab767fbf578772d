"""Helpers for the tracing tests: admitted unidentified people, images and PDFs."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from people.services import episode_open, episode_transition, person_create, photo_add


def png(name="p.png", size=(40, 50)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def pdf(name="answer.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf")


def unidentified(cast, *, at=None, station=None, by=None, with_photo=False, name=""):
    """An unidentified man with a provisional name, admitted at ``at`` (an hour ago by default)."""
    by = by or cast.reception
    station = station or cast.station
    at = at or timezone.now() - datetime.timedelta(hours=1)
    person = person_create(by=by, station=station, data={"name": name, "sex": "男", "age_min": 40, "age_max": 50},
                           use_provisional_name=not name)
    episode = episode_open(by=by, person=person, station=station, channel="public_report",
                           requested_at=at - datetime.timedelta(minutes=30))
    episode = episode_transition(by=by, episode=episode, to="admitted", at=at)
    if with_photo:
        photo_add(by=by, person=person, image=png(), taken_on=timezone.localdate(at))
    return episode
