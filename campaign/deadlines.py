"""Deadlines owned by the campaign app: rule O4, the campaign summary table (情况汇总表) on the dates set.

Each reporting date of a campaign is due at 24:00 of that day for the campaign's department; the department's
own submission for that date fulfils it (a county department's submission is its report to the city, not the
city's). ``O4C`` so that the quarterly statistics keep ``O4`` for themselves."""

from django.db.models import F
from django.urls import reverse

from campaign.models import ReportingDate, Submission
from core.models import OrgKind, Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Unit

RULES = [
    DeadlineRule(
        id="O4C",
        title="专项行动情况汇总表：按规定日期报送",
        source="004",
        subjects=lambda as_of: ReportingDate.objects.all(),
        start="due_on",
        start_is_date=True,
        organisation="campaign__department",
        role=Role.SUPERVISOR,
        due=Due(0, Unit.DAYS),
        fulfilment=Fulfilment(
            records=lambda: Submission.objects.filter(organisation_id=F("reporting_date__campaign__department_id")),
            link="reporting_date",
            at="submitted_at",
            what="生成并报送情况汇总表",
        ),
        person=None,
        org_kinds=(OrgKind.CIVIL_AFFAIRS,),
        label=lambda d: f"{d.campaign.name} {d}",
        link=lambda d: reverse("campaign:detail", args=[d.campaign.uuid]),
        select_related=("campaign",),
        note="报送日期由组织部门在专项行动中设置，当日24时前报送为按时。",
    ),
]
