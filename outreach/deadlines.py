"""Deadlines owned by the outreach app (declarations only; the engine is deadlines/registry.py).

The seeds set no numbers for a sighting's steps; these defaults are settings a city can tighten:
P1 dispatch within 1 hour of receipt, P1a arrival within 2 hours of dispatch, P1c handled within 24 hours of
receipt; P3 every hot spot patrolled within 12 hours of an extreme-weather alert."""

from django.urls import reverse

from core.models import Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Stop, Unit
from outreach.models import PatrolTask, Sighting


def _sighting_label(s) -> str:
    return f"{s.number}（{s.place[:20]}）"


def _sighting_link(s) -> str:
    return reverse("outreach:sighting", args=[s.uuid])


def _self(at: str, what: str) -> Fulfilment:
    return Fulfilment(records=lambda: Sighting.objects.all(), link="pk", at=at, what=what)


_CLOSED = Stop("已处置完毕", path="closed_at")

RULES = [
    # rule P1: the station that takes the report owns it (首接责任制) — dispatch …
    DeadlineRule(
        id="P1",
        title="发现报告：接报后1小时内派出巡查",
        source="004",
        subjects=lambda as_of: Sighting.objects.all(),
        start="received_at",
        organisation="station",
        role=Role.RECEPTION,
        due=Due(1, Unit.HOURS),
        setting="P1_DISPATCH_HOURS",
        fulfilment=_self("dispatched_at", "派出巡查"),
        stops=(_CLOSED,),
        person=None,
        label=_sighting_label,
        link=_sighting_link,
        select_related=("station",),
    ),
    # … arrival …
    DeadlineRule(
        id="P1a",
        title="发现报告：派出后2小时内到场",
        source="004",
        subjects=lambda as_of: Sighting.objects.all(),
        start="dispatched_at",
        organisation="station",
        role=Role.RECEPTION,
        due=Due(2, Unit.HOURS),
        setting="P1_ARRIVE_HOURS",
        fulfilment=_self("arrived_at", "到场并登记"),
        stops=(_CLOSED,),
        person=None,
        label=_sighting_label,
        link=_sighting_link,
        select_related=("station",),
    ),
    # … and the outcome.
    DeadlineRule(
        id="P1c",
        title="发现报告：接报后24小时内处置完毕",
        source="004",
        subjects=lambda as_of: Sighting.objects.all(),
        start="received_at",
        organisation="station",
        role=Role.RECEPTION,
        due=Due(24, Unit.HOURS),
        setting="P1_CLOSE_HOURS",
        fulfilment=_self("closed_at", "登记处置结果"),
        person=None,
        label=_sighting_label,
        link=_sighting_link,
        select_related=("station",),
    ),
    # rule P3: in extreme weather, patrols cover every hot spot.
    DeadlineRule(
        id="P3",
        title="极端天气预警：12小时内巡查每一个重点区域",
        source="001、004",
        subjects=lambda as_of: PatrolTask.objects.all(),
        start="alert__issued_at",
        organisation="alert__campaign__organisation",
        role=Role.RECEPTION,
        due=Due(12, Unit.HOURS),
        setting="P3_ALERT_HOURS",
        fulfilment=Fulfilment(
            records=lambda: PatrolTask.objects.all(), link="pk", at="covered_at", what="巡查该重点区域"
        ),
        person=None,
        label=lambda t: f"{t.hot_spot.name}（{t.alert.weather}）",
        link=lambda t: reverse("outreach:campaign", args=[t.alert.campaign.uuid]),
        select_related=("hot_spot", "alert__campaign"),
    ),
]
