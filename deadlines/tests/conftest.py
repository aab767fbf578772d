"""Helpers for deadline tests: people admitted at a given local time, the engine's view at a moment."""

import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from deadlines.calendar import load_calendar
from deadlines.registry import BUCKET_OVERDUE, BUCKET_SOON, BUCKET_TODAY, get_rule
from deadlines.selectors import rule_overrides
from intake import services as intake

ELIGIBLE = {"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True, "living_by_vagrancy": True,
            "decision": "eligible", "reason": "no_work"}


def local(y, m, d, h=0, mi=0, s=0) -> datetime.datetime:
    return datetime.datetime(y, m, d, h, mi, s, tzinfo=timezone.get_current_timezone())


def png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 50), (120, 90, 60)).save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


def admit(cast, at: datetime.datetime, *, name="无名", station_user=None, **person):
    """Register and admit someone at ``at`` (the clock travels there, so every timestamp is ``at``)."""
    by = station_user or cast.reception
    with time_machine.travel(at, tick=False):
        ep = intake.intake_register(by=by, station=by.organisation, channel="walk_in", requested_at=at,
                                    person_data={"name": name, "sex": "男", "birth_date": datetime.date(1980, 1, 1),
                                                 **person}, answers=ELIGIBLE)
        intake.safety_check_add(by=by, episode=ep)
        intake.health_check_add(by=by, episode=ep, data={"physical": "良好", "mental": "清醒", "outcome": "admitted"})
        return intake.intake_admit(by=by, episode=ep, at=at)


def bucket_of(rule_id: str, subject, as_of: datetime.datetime, org_ids=None) -> str | None:
    """Which inbox bucket the subject is in for ``rule_id`` at ``as_of`` (None: not a task then)."""
    rule = get_rule(rule_id)
    items = rule.items(as_of, load_calendar(), org_ids=org_ids, overrides=rule_overrides(),
                       buckets=(BUCKET_OVERDUE, BUCKET_TODAY, BUCKET_SOON))
    found = [i.bucket for i in items if i.subject.pk == subject.pk]
    counts = rule.counts(as_of, load_calendar(), org_ids=org_ids, overrides=rule_overrides())
    assert sum(counts.values()) == len(items), "counts and items disagree"
    return found[0] if found else None


def item_of(rule_id: str, subject, as_of, bucket: str | None = None):
    rule = get_rule(rule_id)
    for i in rule.items(as_of, load_calendar(), overrides=rule_overrides()):
        if i.subject.pk == subject.pk and bucket in (None, i.bucket):
            return i
    return None


@pytest.fixture
def travel():
    """``travel(moment)``: move the clock (no ticking) for the rest of the test."""
    travellers = []

    def go(moment):
        if travellers:
            travellers.pop().stop()
        t = time_machine.travel(moment, tick=False)
        t.start()
        travellers.append(t)

    yield go
    for t in travellers:
        t.stop()
