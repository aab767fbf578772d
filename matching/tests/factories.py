"""Test helpers: people in care and reports, built through the services."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from matching import services
from people.services import episode_open, episode_transition, person_create


def png(name="p.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 50), (120, 90, 60)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def in_care(cast, *, station=None, by=None, at=None, id_number="", **data):
    """A person admitted at ``station`` (the cast's county station by default)."""
    by = by or cast.reception
    station = station or cast.station
    at = at or timezone.now() - datetime.timedelta(hours=2)
    person = person_create(by=by, station=station, data=data, id_number=id_number)
    episode = episode_open(by=by, person=person, station=station, channel="walk_in",
                           requested_at=at - datetime.timedelta(minutes=30))
    episode_transition(by=by, episode=episode, to="admitted", at=at)
    person.refresh_from_db()
    return person


def report(cast, *, by=None, organisation=None, id_number="", **data):
    by = by or cast.police_officer
    base = {"report_no": f"BA-{timezone.now().timestamp()}", "reported_at": timezone.now() - datetime.timedelta(days=1),
            "reporter_name": "张大山", "reporter_phone": "13800000000", "reporter_relationship": "父亲",
            "name": "张伟", "sex": "男"}
    base.update(data)
    return services.report_create(by=by, organisation=organisation or by.organisation, data=base,
                                  id_number=id_number)


def decoys(cast):
    """People in care who must not be proposed for 张伟 born 1985 from 河南郸城."""
    return [
        in_care(cast, name="李强", sex="男", birth_year_est=1985, hukou_text="河南省周口市郸城县", dialect="河南话"),
        in_care(cast, name="王芳", sex="女", birth_year_est=1985, hukou_text="广东省英德市"),
        in_care(cast, name="赵建国", sex="男", birth_year_est=1950, hukou_text="四川省成都市", dialect="四川话"),
        in_care(cast, name="陈明", sex="男", birth_year_est=1990, height_cm=160),
    ]
