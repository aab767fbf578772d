"""Deadlines owned by the oversight app (declarations only; the engine is deadlines/registry.py)."""

from django.urls import reverse

from core.models import Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Stop, Unit
from oversight.access import INSPECTED_KINDS
from oversight.models import Hazard

RULES = [
    # rule O3: every hazard is fixed by its own deadline (the whole deadline day counts); submitting the fix for
    # acceptance fulfils it, a refused acceptance undoes that (the hazard goes back to 整改中).
    DeadlineRule(
        id="O3",
        title="隐患按期整改（隐患台账）",
        source="001, 004",
        subjects=lambda as_of: Hazard.objects.all(),
        start="deadline",
        start_is_date=True,
        organisation="organisation",
        role=Role.HEAD,
        due=Due(0, Unit.DAYS),
        fulfilment=Fulfilment(
            records=lambda: Hazard.objects.all(), link="pk", at="rectified_at", what="完成整改并提交验收"
        ),
        stops=(Stop("已销号", path="closed_at"),),
        person=None,
        org_kinds=INSPECTED_KINDS,
        label=lambda h: f"隐患 {h.number}：{h.description[:30]}",
        link=lambda h: reverse("oversight:hazard", args=[h.uuid]),
        select_related=("organisation",),
        note="整改期限由检查人确定（默认见 GUITU_RULES['O3_HAZARD_DAYS']），期限当日24时前提交验收为按时。",
    ),
]
