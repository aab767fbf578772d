"""Deadlines owned by the announcements app's records: T3 (declarations only; the engine is
deadlines/registry.py)."""

from django.db.models import OuterRef, Q
from django.urls import reverse

from announcements.models import Announcement
from core.models import Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Unit, identified_stop, left_stop
from people.models import Episode


def t3_announcements():
    """Announcements that count for the episode's T3 (the outer query is the Episode): not withdrawn
    before this entry — an announcement of an earlier, closed episode does not count for a re-admission."""
    return Announcement.objects.filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=OuterRef("admitted_at")))


RULES = [
    # rule T3: a family-search announcement with photo and basic details is published within 24 hours of
    # entry for every unidentified person. Fulfilled by an announcement of the person that was still live at
    # this episode's entry or published since (t3_announcements) — the one definition: the announcements
    # panel reads its state from this rule (announcements.selectors.t3_status).
    DeadlineRule(
        id="T3",
        title="身份不明：入站24小时内发布寻亲公告",
        source="001、003、004",
        subjects=lambda as_of: Episode.objects.all(),
        start="admitted_at",
        organisation="station",
        role=Role.TRACER,
        due=Due(24, Unit.HOURS),
        setting="T3_ANNOUNCE_HOURS",
        fulfilment=Fulfilment(records=t3_announcements, link="person", outer="person",
                              at="published_at", what="发布寻亲公告"),
        stops=(left_stop(), identified_stop()),
        label=lambda ep: f"{ep.person.name}（{ep.number}）",
        link=lambda ep: reverse("announcements:new", args=[ep.person.uuid]),
        select_related=("person", "station"),
    ),
]
