"""Deadlines owned by the announcements app's records: T3 (declarations only; the engine is
deadlines/registry.py)."""

from django.urls import reverse

from announcements.models import Announcement
from core.models import Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Unit, identified_stop, left_stop
from people.models import Episode

RULES = [
    # rule T3: a family-search announcement with photo and basic details is published within 24 hours of
    # entry for every unidentified person. Fulfilled by any published announcement of the person.
    DeadlineRule(
        id="T3",
        title="身份不明：入站24小时内发布寻亲公告",
        source="001、003、004",
        subjects=lambda as_of: Episode.objects.all(),
        start="admitted_at",
        organisation="station",
        role=Role.TRACER,
        due=Due(24, Unit.HOURS),
        fulfilment=Fulfilment(records=lambda: Announcement.objects.all(), link="person", outer="person",
                              at="published_at", what="发布寻亲公告"),
        stops=(left_stop(), identified_stop()),
        label=lambda ep: f"{ep.person.name}（{ep.number}）",
        link=lambda ep: reverse("announcements:new", args=[ep.person.uuid]),
        select_related=("person", "station"),
    ),
]
