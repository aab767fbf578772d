"""Secrets never reach the audit log (docs/audit.md): after a journey that touches every kind of secret —
a person's and a claimant's ID number (clear, encrypted, keyed hash), a password, an API token — no audit
entry holds any of them in its summary or its old → new values. Masked numbers are allowed (they are what
the pages show)."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import services as core_services
from core.models import ApiToken, AuditEntry, Role, User
from leaving.models import Departure
from leaving.services import departure_create
from oversight.tests.panel import make_panel
from people.services import person_create
from stay import services as stay_services
from stay.tests.factories import admitted_episode, station_beds
from tracing import services as tracing_services

pytestmark = pytest.mark.django_db

PERSON_ID = "44188119800101123X"
CLAIMANT_ID = "11010519491231002X"
PASSWORD = "Guitu-Secret-Pass-73"


def _png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return SimpleUploadedFile("id.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_audit_values_never_hold_an_id_number_a_password_or_a_token(cast):
    # A file opened with an ID number; a child in a bed, talked to …
    person = person_create(by=cast.reception, station=cast.station, data={"name": "秘密甲", "sex": "男"},
                           id_number=PERSON_ID)
    ep = admitted_episode(cast, name="秘密乙", age=12)
    beds = station_beds(cast)
    stay_services.bed_assign(by=cast.carer, episode=ep, bed=beds.c1)
    tracing_services.talk_add(by=cast.tracer, episode=ep, held_at=ep.admitted_at, content="说家在河南郸城")
    # … collected by a relative whose ID number is checked and kept (rule N9), with two panel witnesses (E3) …
    panel = make_panel(cast)
    departure = departure_create(
        by=cast.reception, episode=ep, exit_type="family",
        data={"claimant_name": "秘密母", "claimant_relationship": "母亲", "claimant_phone": "13800000000",
              "witness_1": str(panel[0].uuid), "witness_2": str(panel[1].uuid)},
        claimant_id_number=CLAIMANT_ID, claimant_id_copy=_png())
    # … a user with a password (created, then reset) and an API token.
    user = core_services.user_save(by=cast.admin, user=None, roles=[Role.CARER], password=PASSWORD,
                                   data={"username": "secretkeeper", "organisation": cast.station, "is_active": True})
    core_services.user_save(by=cast.admin, user=user, roles=[Role.CARER], password=PASSWORD + "x",
                            data={"username": "secretkeeper", "organisation": cast.station, "is_active": True})
    token, raw_token = core_services.api_token_create(by=cast.tracer, name="对接接口")

    person.refresh_from_db()
    departure = Departure.objects.get(pk=departure.pk)
    user = User.objects.get(pk=user.pk)
    token = ApiToken.objects.get(pk=token.pk)
    secrets = {
        "person ID (clear)": PERSON_ID,
        "person ID (encrypted)": person.id_number_enc,
        "person ID (hash)": person.id_number_hash,
        "claimant ID (clear)": CLAIMANT_ID,
        "claimant ID (encrypted)": departure.claimant_id_enc,
        "claimant ID (hash)": departure.claimant_id_hash,
        "password (clear)": PASSWORD,
        "password (hash)": user.password,
        "token (clear)": raw_token,
        "token (hash)": token.key_hash,
    }
    assert all(secrets.values()), "the journey stored every secret it is meant to check"
    entries = list(AuditEntry.objects.all())
    assert len(entries) > 20
    for entry in entries:
        text = json.dumps({"summary": entry.summary, "changes": entry.changes, "object_id": entry.object_id},
                          ensure_ascii=False, default=str)
        for what, secret in secrets.items():
            assert secret not in text, f"{what} in the audit entry “{entry.summary}”"
    # The fields are there — as markers, not values: the log says *that* a secret changed.
    departure_entry = AuditEntry.objects.get(object_type="leaving.Departure")
    assert departure_entry.changes["claimant_id_enc"] == [None, "***"]
    assert departure_entry.changes["claimant_id_masked"] == [None, "110105********002X"]
    person_entry = AuditEntry.objects.filter(object_type="people.Person", person_uuid=person.uuid).first()
    assert person_entry.changes["id_number_enc"] == [None, "***"]
    password_entry = AuditEntry.objects.filter(object_type="core.User", summary__contains="修改用户 secretkeeper").get()
    assert password_entry.changes["password"] == ["***", "*** (已重置)"]
