"""Deadlines owned by the outside-care app (declarations only; the engine is deadlines/registry.py).

Rule C4: everyone in hospital is visited at least weekly. Rule C5: every facility holding people under an
agreement is visited weekly and every person in it too; a facility holding more than 30 people has station
staff posted there; the supervision panel inspects each facility every half-year (mid-year, year-end)."""

from django.urls import reverse

from core.models import Role
from deadlines.calendar_math import Period
from deadlines.registry import DeadlineRule, Due, Fulfilment, Recurrence, Stop, Unit
from outsidecare.models import Agreement, PanelInspection, Posting, Visit, VisitPerson
from stay.models import Placement, PlacementKind


def _placement_label(p) -> str:
    return f"{p.episode.person.name}（{p.organisation.name}）"


def _placement_link(p) -> str:
    return reverse("outsidecare:placement", args=[p.uuid])


def _agreement_link(a) -> str:
    return reverse("outsidecare:agreement", args=[a.uuid])


def _placed_agreements(as_of):
    return Agreement.objects.filter(first_placed_at__isnull=False)


def _large_agreements(as_of):
    # rule C5: where the facility was agreed to hold more than 30 people, staff are posted there
    from outsidecare.services import POSTING_THRESHOLD

    return Agreement.objects.filter(first_placed_at__isnull=False, capacity__gt=POSTING_THRESHOLD)


AGREEMENT_ENDS = Stop("协议到期或终止", path="in_force_until")

def _weekly_visit_of_each(rule_id: str, title: str, source: str, kind: str, what: str, stop: str) -> DeadlineRule:
    """Every week per placement of ``kind`` while it lasts: a row of a visit naming the person (C4, C5)."""
    return DeadlineRule(
        id=rule_id,
        title=title,
        source=source,
        subjects=lambda as_of: Placement.objects.filter(kind=kind),
        start="started_at",
        organisation="episode__station",
        role=Role.CARER,
        due=Due(0, Unit.DAYS),
        recurrence=Recurrence(Period.WEEK, count=1),
        fulfilment=Fulfilment(records=lambda: VisitPerson.objects.all(), link="placement", at="visited_at", what=what),
        stops=(Stop(stop, path="ended_at"),),
        person="episode__person",
        label=_placement_label,
        link=_placement_link,
        select_related=("episode__person", "organisation"),
    )


RULES = [
    _weekly_visit_of_each("C4", "住院人员每周至少探视一次并继续寻亲", "001", PlacementKind.HOSPITAL,
                          "探视住院人员并记录病情和寻亲进展", "出院或离站"),
    _weekly_visit_of_each("C5P", "站外托养人员每周至少探访一次", "000, 001", PlacementKind.OUTSIDE_CARE,
                          "探访托养人员，记录照料、身体和精神状况", "托养结束"),
    DeadlineRule(
        id="C5F",
        title="每周至少探访托养机构一次（含机构安全情况）",
        source="000, 001",
        subjects=_placed_agreements,
        start="first_placed_at",
        organisation="station",
        role=Role.CARER,
        due=Due(0, Unit.DAYS),
        recurrence=Recurrence(Period.WEEK, count=1),
        fulfilment=Fulfilment(records=lambda: Visit.objects.all(), link="agreement", at="visited_at",
                              what="探访托养机构并记录安全情况"),
        stops=(AGREEMENT_ENDS,),
        person=None,
        label=lambda a: f"{a.facility.name}（协议 {a.number}）",
        link=_agreement_link,
        select_related=("facility",),
    ),
    DeadlineRule(
        id="C5S",
        title="托养超过30人的机构派驻工作人员",
        source="004",
        subjects=_large_agreements,
        start="first_placed_at",
        organisation="station",
        role=Role.HEAD,
        due=Due(7, Unit.DAYS),
        fulfilment=Fulfilment(records=lambda: Posting.objects.all(), link="agreement", at="started_at",
                              what="登记驻点工作人员"),
        stops=(AGREEMENT_ENDS,),
        person=None,
        label=lambda a: f"{a.facility.name}（约定 {a.capacity} 人）",
        link=_agreement_link,
        select_related=("facility",),
        note="按协议约定人数超过30人判断；实际托养超过30人而无人驻点时，托养机构页另有提示。",
    ),
    DeadlineRule(
        id="C5I",
        title="监督组每半年检查托养机构一次（年中、年末）",
        source="003",
        subjects=_placed_agreements,
        start="first_placed_at",
        organisation="station",
        role=Role.HEAD,
        due=Due(0, Unit.DAYS),
        recurrence=Recurrence(Period.HALF_YEAR, count=1),
        fulfilment=Fulfilment(records=lambda: PanelInspection.objects.all(), link="agreement", at="inspected_at",
                              what="组织监督组到托养机构现场检查"),
        stops=(AGREEMENT_ENDS,),
        person=None,
        label=lambda a: f"{a.facility.name} 监督组检查",
        link=_agreement_link,
        select_related=("facility",),
    ),
]
