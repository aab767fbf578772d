"""Deadlines owned by the regional app (declarations only; the engine is deadlines/registry.py)."""

from django.conf import settings
from django.urls import reverse

from core.models import OrgKind, Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Stop, Unit
from regional.models import Escalation, JointDecision


def answer_hours() -> int:
    """Hours a centre has to accept or decline an escalation (GUITU_RULES['R2_ESCALATION_ANSWER_HOURS'])."""
    return int(settings.GUITU_RULES["R2_ESCALATION_ANSWER_HOURS"])


RULES = [
    # rule R2: the centre answers a station's escalation (提级办理) — accept or decline with a reason — within
    # the configured hours; a request withdrawn, or whose episode ended, no longer waits.
    DeadlineRule(
        id="R2A",
        title="区域性中心答复提级办理申请",
        source="002",
        subjects=lambda as_of: Escalation.objects.all(),
        start="requested_at",
        organisation="centre",
        role=Role.HEAD,
        due=Due(48, Unit.HOURS),
        setting="R2_ESCALATION_ANSWER_HOURS",
        fulfilment=Fulfilment(records=lambda: Escalation.objects.all(), link="pk", at="answered_at",
                              what="接办或不予接办（写明理由）"),
        stops=(Stop("已撤回或已办结", path="ended_at"),),
        escalate="@supervisor",
        person="episode__person",
        org_kinds=(OrgKind.REGIONAL_CENTRE,),
        label=lambda e: f"{e.episode.person.name}（{e.station.name}）提级办理：{e.get_kind_display()}",
        link=lambda e: reverse("regional:escalation", args=[e.uuid]),
        select_related=("episode__person", "station"),
    ),
    # rule R2: a decision of a joint handling (协同会办) is carried out by its responsible body by its date.
    DeadlineRule(
        id="R2D",
        title="落实协同会办决定",
        source="002",
        subjects=lambda as_of: JointDecision.objects.filter(due_on__isnull=False),
        start="due_on",
        start_is_date=True,
        organisation="responsible",
        role=Role.HEAD,
        due=Due(0, Unit.DAYS),
        fulfilment=Fulfilment(records=lambda: JointDecision.objects.all(), link="pk", at="done_at",
                              what="登记落实情况"),
        person="joint_case__episode__person",
        label=lambda d: f"会办决定：{d.text[:30]}（{d.joint_case.episode.person.name}）",
        link=lambda d: reverse("regional:joint", args=[d.joint_case.uuid]),
        select_related=("joint_case__episode__person",),
    ),
]
