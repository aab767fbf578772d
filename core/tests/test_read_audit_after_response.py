"""Rule E4 (全程留痕) at province scale (issue 9): a page's read entry is written once its answer has been sent,
so the client never waits for the audit chain's lock — but it is always written, by the same request, before
the request's database connection is released. A download is on record before its first byte."""

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.utils import timezone

from core.models import AuditAction, AuditEntry
from people.services import person_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(client_for):
    """``served(user, path)`` → the response as a WSGI server holds it after the view answered, not yet closed
    (the test client closes every response before handing it back)."""
    request_started.disconnect(close_old_connections)  # the test's transaction is not a stale connection
    request_finished.disconnect(close_old_connections)

    def serve(user, path):
        client = client_for(user)
        environ = RequestFactory().get(path).environ
        environ["HTTP_COOKIE"] = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
        return WSGIHandler()(environ, lambda status, headers: None)

    yield serve
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _reads(user, since: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=since, actor=user, action=AuditAction.READ))


def _last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_e4_a_page_is_answered_before_its_read_entry_and_the_entry_is_written_when_it_closes(cast, served):
    person = person_create(by=cast.reception, station=cast.station, data={"name": "甲某", "sex": "男"})
    since = _last_id()
    response = served(cast.reception, "/people/")
    assert response.status_code == 200 and "甲某" in response.content.decode()
    assert _reads(cast.reception, since) == []  # answered: nothing waited for the chain
    response.close()  # the server has sent the last byte
    (entry,) = _reads(cast.reception, since)
    assert str(person.uuid) in entry.changes["ids"] and entry.organisation_id == cast.station.pk


def test_e4_a_refused_look_is_on_record_when_the_answer_closes(cast, served):
    person = person_create(by=cast.reception, station=cast.station, data={"name": "乙某", "sex": "男"})
    since = _last_id()
    response = served(cast.outsider, f"/people/{person.uuid}/")
    assert response.status_code == 404
    response.close()
    denied = AuditEntry.objects.filter(id__gt=since, actor=cast.outsider, action=AuditAction.DENIED)
    assert denied.count() == 1


def test_e4_a_download_is_on_record_before_its_first_byte(cast, served, settings, tmp_path):
    from deadlines.tests.conftest import png
    from people.services import photo_add

    settings.MEDIA_ROOT = tmp_path
    person = person_create(by=cast.reception, station=cast.station, data={"name": "丙某", "sex": "男"})
    photo = photo_add(by=cast.reception, person=person, image=png(), taken_on=timezone.localdate())
    since = _last_id()
    response = served(cast.reception, f"/people/photos/{photo.uuid}/")
    assert response.status_code == 200 and response.streaming
    assert AuditEntry.objects.filter(id__gt=since, actor=cast.reception).exists()  # before any byte is read
    response.close()
