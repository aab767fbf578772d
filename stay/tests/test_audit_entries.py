"""The audit entry of every stay service (zones, beds, bed assignment and release, placements and return):
who, what, and each changed field old → new — dropping the ``audit`` call or a field fails here."""

import datetime

import pytest
from django.utils import timezone

from core.audit import _plain
from core.models import AuditAction, AuditEntry
from stay import services
from stay.models import Placement, ZoneCategory
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db


def _entries(object_type, **filters):
    return list(AuditEntry.objects.filter(object_type=object_type, **filters).order_by("id"))


def test_zone_and_bed_writes_are_audited_with_their_fields(cast):
    zone = services.zone_create(by=cast.head, station=cast.station, name="女区", category=ZoneCategory.WOMEN)
    (entry,) = _entries("stay.Zone", action=AuditAction.CREATE)
    assert entry.actor == cast.head and entry.organisation == cast.station and entry.object_id
    assert entry.changes["name"] == [None, "女区"] and entry.changes["sex_restriction"] == [None, "女"]
    beds = services.beds_create(by=cast.head, zone=zone, codes=["W01", "W02"])
    created = _entries("stay.Bed", action=AuditAction.CREATE)
    assert [e.changes["code"] for e in created] == [[None, "W01"], [None, "W02"]]
    assert all(e.organisation == cast.station for e in created)
    services.bed_set_active(by=cast.head, bed=beds[1], is_active=False)
    (update,) = _entries("stay.Bed", action=AuditAction.UPDATE)
    assert update.changes == {"is_active": [True, False]} and "停用" in update.summary


def test_c5_a_placement_and_the_return_are_audited_old_to_new_with_the_moves(cast):
    beds = station_beds(cast)
    ep = admitted_episode(cast)
    assigned_at = timezone.now() - datetime.timedelta(minutes=40)
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1, at=assigned_at)
    (bed_entry,) = _entries("stay.BedAssignment", person_uuid=ep.person.uuid)
    assert bed_entry.action == AuditAction.CREATE and bed_entry.changes["assigned_at"] == [None, _plain(assigned_at)]
    sent_at = timezone.now() - datetime.timedelta(minutes=20)
    placement = services.placement_start(by=cast.carer, episode=ep, kind="hospital", organisation=cast.hospital,
                                         started_at=sent_at, note="发热")
    released = _entries("stay.BedAssignment", person_uuid=ep.person.uuid, action=AuditAction.UPDATE)[0]
    assert released.changes["released_at"] == [None, _plain(sent_at)]
    assert released.changes["released_by"] == [None, str(cast.carer)]
    (created,) = _entries("stay.Placement", action=AuditAction.CREATE)
    assert created.actor == cast.carer and created.person_uuid == ep.person.uuid and created.organisation == cast.station
    assert created.changes["kind"] == [None, "hospital"]
    assert created.changes["organisation"] == [None, cast.hospital.name]
    assert created.changes["started_at"] == [None, _plain(sent_at)] and created.changes["note"] == [None, "发热"]
    moves = _entries("people.Episode", person_uuid=ep.person.uuid, action=AuditAction.TRANSITION)
    assert moves[-1].changes["status"] == ["in_station", "in_hospital"]

    back_at = timezone.now() - datetime.timedelta(minutes=5)
    services.placement_return(by=cast.carer, placement=placement, bed=beds.m2, ended_at=back_at)
    (ended,) = _entries("stay.Placement", action=AuditAction.UPDATE)
    assert ended.changes["ended_at"] == [None, _plain(back_at)]
    assert ended.changes["ended_by"] == [None, str(cast.carer)] and ended.changes["end_note"] == ["", "返站"]
    assert Placement.objects.get(pk=placement.pk).ended_at == back_at
    moves = _entries("people.Episode", person_uuid=ep.person.uuid, action=AuditAction.TRANSITION)
    assert moves[-1].changes["status"] == ["in_hospital", "in_station"]
    assert _entries("stay.BedAssignment", person_uuid=ep.person.uuid, action=AuditAction.CREATE)[-1].changes[
        "bed"] == [None, str(beds.m2)]


def test_c5_moving_from_hospital_to_outside_care_audits_the_end_of_the_first_placement(cast):
    from core.models import Organisation, OrgKind

    facility = Organisation.objects.create(name="英德市社会福利院", code="YDFL", kind=OrgKind.CARE_FACILITY,
                                           division=cast.station.division, supervisor=cast.county_dept)
    from outsidecare.testing import agreement

    signed = agreement(by=cast.head, station=cast.station, facility=facility)
    ep = admitted_episode(cast)
    services.placement_start(by=cast.carer, episode=ep, kind="hospital", organisation=cast.hospital)
    services.placement_start(by=cast.carer, episode=ep, kind="outside_care", organisation=facility)
    (ended,) = _entries("stay.Placement", action=AuditAction.UPDATE)
    assert ended.changes["end_note"] == ["", f"转至{facility.name}"] and ended.changes["ended_at"][0] is None
    second = _entries("stay.Placement", action=AuditAction.CREATE)[-1]
    assert second.changes["agreement_ref"] == [None, signed.number]
    moves = _entries("people.Episode", person_uuid=ep.person.uuid, action=AuditAction.TRANSITION)
    assert moves[-1].changes["status"] == ["in_hospital", "outside_care"]
