"""Deadlines owned by intake's records (declarations only; the engine is deadlines/registry.py)."""

from django.urls import reverse

from core.models import Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Unit
from people.models import Episode, EpisodeTransition
from people.states import EpisodeStatus

RULES = [
    # rule I6: 3 or more requests within 6 months → careful screening (重点甄别) before deciding; the
    # screening is complete when the request is decided (admitted, refused or sent to hospital).
    DeadlineRule(
        id="I6",
        title="6个月内多次求助：完成重点甄别并作出救助决定",
        source="001",
        subjects=lambda as_of: Episode.objects.filter(flag_repeat_requests=True),
        start="requested_at",
        organisation="station",
        role=Role.RECEPTION,
        due=Due(24, Unit.HOURS),
        fulfilment=Fulfilment(
            records=lambda: EpisodeTransition.objects.filter(from_status=EpisodeStatus.REQUESTED),
            link="episode", at="at", what="完成重点甄别：入站、不予救助或送医"),
        label=lambda ep: f"{ep.person.name}（{ep.number}）",
        link=lambda ep: reverse("people:episode", args=[ep.uuid]),
        select_related=("person", "station"),
    ),
]
