"""Deadlines owned by the staff app: rule O6, training at least monthly (a setting: some cities weekly)."""

from django.conf import settings
from django.urls import reverse

from core.models import STATION_KINDS, Organisation, Role
from deadlines.calendar_math import Period
from deadlines.registry import DeadlineRule, Due, Fulfilment, Recurrence, Unit
from staff.models import TrainingSession


def training_period() -> Period:
    """GUITU_RULES["O6_TRAINING_PERIOD"]: "month" (default) or "week" (cities with a half day every week)."""
    value = getattr(settings, "GUITU_RULES", {}).get("O6_TRAINING_PERIOD", "month")
    return Period.WEEK if value == "week" else Period.MONTH


RULES = [
    DeadlineRule(
        id="O6",
        title="工作人员业务培训（每月至少一次，部分城市每周）",
        source="000, 004",
        subjects=lambda as_of: Organisation.objects.filter(kind__in=STATION_KINDS),
        start="created_at",
        organisation="id",
        role=Role.HEAD,
        due=Due(0, Unit.DAYS),
        recurrence=Recurrence(training_period(), count=1),
        fulfilment=Fulfilment(
            records=lambda: TrainingSession.objects.all(),
            link="organisation",
            at="held_at",
            what="组织业务培训并记录参训人员",
        ),
        person=None,
        org_kinds=STATION_KINDS,
        label=lambda org: f"{org.name} 业务培训",
        link=lambda org: reverse("staff:training_list"),
    ),
]
