"""The audit entry of a tracer's talk (rule T4) and of the tracer's assignment: who, when, and the fields."""

import datetime

import pytest
from django.utils import timezone

from core.audit import _plain
from core.models import AuditAction, AuditEntry
from stay.tests.factories import admitted_episode
from tracing import services

pytestmark = pytest.mark.django_db


def test_t4_a_talk_is_audited_with_when_it_was_held_and_who_was_there(cast):
    ep = admitted_episode(cast)
    services.tracer_assign(by=cast.head, episode=ep, tracer=cast.tracer)
    assigned = AuditEntry.objects.get(object_type="tracing.TracerAssignment", action=AuditAction.CREATE)
    assert assigned.actor == cast.head and assigned.changes["tracer"] == [None, str(cast.tracer)]
    held_at = timezone.now() - datetime.timedelta(minutes=10)
    talk = services.talk_add(by=cast.tracer, episode=ep, held_at=held_at, content="说家在河南郸城，父亲姓王",
                             present="钱寻亲、赵照料")
    entry = AuditEntry.objects.get(object_type="tracing.Talk", object_id=str(talk.uuid))
    assert entry.action == AuditAction.CREATE and entry.actor == cast.tracer
    assert entry.organisation == cast.station and entry.person_uuid == ep.person.uuid
    assert "寻亲谈话" in entry.summary
    assert entry.changes["held_at"] == [None, _plain(held_at)]
    assert entry.changes["present"] == [None, "钱寻亲、赵照料"]
    assert entry.changes["content"] == [None, "说家在河南郸城，父亲姓王"]
