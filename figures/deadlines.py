"""Deadlines owned by the figures app (declarations only; the engine is deadlines/registry.py)."""

from django.urls import reverse

from core.models import STATION_KINDS, OrgKind, Role
from deadlines.calendar_math import Period
from deadlines.registry import DeadlineRule, Due, Fulfilment, Recurrence, Unit
from figures.models import ReportSubmission


def _reporting(kinds):
    def subjects(as_of):
        from core.models import Organisation

        # only bodies with a department above them report upward
        return Organisation.objects.filter(kind__in=kinds, supervisor__isnull=False, is_active=True)

    return subjects


def _fulfilment(what: str) -> Fulfilment:
    # A submission counts for the quarter it concerns (period_start), made after that quarter ends; a
    # submission later returned for correction still counts as the report having been sent on its date.
    return Fulfilment(records=lambda: ReportSubmission.objects.all(), link="organisation", at="submitted_at",
                      period_at="period_start", what=what)


RULES = [
    # rule O4: every quarter the station reports its statistics to its civil-affairs department.
    DeadlineRule(
        id="O4",
        title="每季度向主管民政部门报送统计报表（救助管理机构）",
        source="001",
        subjects=_reporting(STATION_KINDS),
        start="created_at",
        organisation="id",
        role=Role.HEAD,
        due=Due(10, Unit.DAYS),
        setting="O4_STATION_REPORT_DAYS",
        recurrence=Recurrence(Period.QUARTER, count=1),
        fulfilment=_fulfilment("生成、审核并报送上季度统计报表"),
        person=None,
        label=lambda org: f"{org.name} 季度统计报表",
        link=lambda org: reverse("figures:reports"),
    ),
    # rule O4: the department consolidates its stations' reports and reports upward.
    DeadlineRule(
        id="O4D",
        title="每季度汇总所属机构统计报表并向上级报送（民政部门）",
        source="001",
        subjects=_reporting((OrgKind.CIVIL_AFFAIRS,)),
        start="created_at",
        organisation="id",
        role=Role.SUPERVISOR,
        due=Due(20, Unit.DAYS),
        setting="O4_DEPARTMENT_REPORT_DAYS",
        recurrence=Recurrence(Period.QUARTER, count=1),
        fulfilment=_fulfilment("汇总所属机构上季度统计报表并向上级报送"),
        person=None,
        label=lambda org: f"{org.name} 季度统计报表（汇总）",
        link=lambda org: reverse("figures:reports"),
    ),
]
