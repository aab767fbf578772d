"""The audit entries of a departure: the departure itself (its fields, old → new) and the episode's move to
已离站 with ``left_at`` — dropping either, or a field of either, fails here."""

import datetime

import pytest
from django.utils import timezone

from core.audit import _plain
from core.models import AuditAction, AuditEntry
from leaving.services import departure_create
from stay import services as stay_services
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db


def test_e1_a_departure_is_audited_with_its_fields_and_the_move_with_left_at(cast):
    beds = station_beds(cast)
    ep = admitted_episode(cast)
    stay_services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1,
                             at=timezone.now() - datetime.timedelta(minutes=30))
    left_at = timezone.now() - datetime.timedelta(minutes=3)
    departure = departure_create(by=cast.reception, episode=ep, exit_type="self", left_at=left_at,
                                 data={"declaration_signed": True, "destination": "广州市"})
    entry = AuditEntry.objects.get(object_type="leaving.Departure", object_id=str(departure.uuid))
    assert entry.action == AuditAction.CREATE and entry.actor == cast.reception
    assert entry.organisation == cast.station and entry.person_uuid == ep.person.uuid
    assert ep.number in entry.summary and "自行离站" in entry.summary
    assert entry.changes["exit_type"] == [None, "self"]
    assert entry.changes["left_at"] == [None, _plain(left_at)]
    assert entry.changes["declaration_signed"] == [None, True]
    assert entry.changes["destination"] == [None, "广州市"]

    move = AuditEntry.objects.filter(object_type="people.Episode", person_uuid=ep.person.uuid,
                                     action=AuditAction.TRANSITION).latest("id")
    assert move.actor == cast.reception
    assert move.changes["status"] == ["in_station", "left"]
    assert move.changes["left_at"] == [None, _plain(left_at)]
    assert move.changes["closed_reason"] == ["", "自行离站"]
    released = AuditEntry.objects.filter(object_type="stay.BedAssignment", action=AuditAction.UPDATE).get()
    assert released.changes["released_at"] == [None, _plain(left_at)]
