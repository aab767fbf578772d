"""Matching objects for the every-URL scoping test: a station report with a photo, a police report,
candidates for both kinds (report × person in care, person × earlier file)."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from matching import engine, services
from people.services import person_create


def _png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 50), (90, 90, 160)).save(buf, "PNG")
    return SimpleUploadedFile("r.png", buf.getvalue(), content_type="image/png")


def extend_world(cast, ctx) -> dict:
    from django.conf import settings

    settings.GUITU_MATCH_FACES = False  # no dlib in the scoping walk
    engine.reset_cache()
    person = ctx.staying.person
    now = timezone.now()
    report = services.report_create(by=cast.reception, organisation=cast.station, data={
        "report_no": "WORLD-BA-1", "reported_at": now - datetime.timedelta(days=1), "name": person.name,
        "sex": person.sex, "birth_year": person.birth_year, "reporter_name": "甲世界之母",
        "reporter_phone": "13700000000", "reporter_relationship": "母亲"}, photos=[_png()])
    services.report_create(by=cast.police_officer, organisation=cast.police, data={
        "report_no": "WORLD-BA-2", "reported_at": now - datetime.timedelta(days=2), "name": "警方报案世界",
        "sex": "男"})
    services.run_report_query(by=None, report=report)
    # An earlier file of the same person (rule I4): a duplicate candidate.
    person_create(by=cast.reception, station=cast.station, data={
        "name": person.name, "sex": person.sex, "birth_date": person.birth_date})
    services.run_person_query(by=None, person=person)
    engine.reset_cache()
    return {"secrets": ["WORLD-BA-1", "WORLD-BA-2", "警方报案世界", "甲世界之母"]}
