"""Deadlines owned by the incidents app (rule X1): the station's first and written reports, and the
department's onward reports to its government and to the department above."""

from django.urls import reverse

from core.models import OrgKind, Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Unit
from incidents.models import Incident, IncidentReport, ReportKind, Stage
from oversight.access import INSPECTED_KINDS


def _incident_link(incident) -> str:
    return reverse("incidents:detail", args=[incident.uuid])


def _label(incident) -> str:
    return f"{incident.get_kind_display()}：{incident.title}（{incident.number}）"


def _station_reports(kind=None):
    def records():
        qs = IncidentReport.objects.filter(stage=Stage.STATION)
        return qs.filter(kind=kind) if kind else qs

    return records


def _onward(stage):
    return lambda: IncidentReport.objects.filter(stage=stage)


def _first_reports(as_of):
    # The department's clock starts when the station's first report reaches it.
    return IncidentReport.objects.filter(stage=Stage.STATION, kind=ReportKind.FIRST)


RULES = [
    # rule X1: reported at once (第一时间) — the first report to the department within 1 hour (a setting).
    DeadlineRule(
        id="X1",
        title="异常情况第一时间报告主管民政部门（首报）",
        source="001, 004",
        subjects=lambda as_of: Incident.objects.all(),
        start="occurred_at",
        organisation="station",
        role=Role.HEAD,
        due=Due(1, Unit.HOURS),
        setting="X1_FIRST_REPORT_HOURS",
        fulfilment=Fulfilment(
            records=_station_reports(),
            link="incident",
            at="sent_at",
            what="向主管民政部门首报（电话/口头或书面）",
        ),
        person="person",
        org_kinds=INSPECTED_KINDS,
        label=_label,
        link=_incident_link,
        select_related=("station", "person"),
    ),
    # rule X1: the written report within 24 hours (a setting).
    DeadlineRule(
        id="X1W",
        title="异常情况书面报告主管民政部门",
        source="001, 004",
        subjects=lambda as_of: Incident.objects.all(),
        start="occurred_at",
        organisation="station",
        role=Role.HEAD,
        due=Due(24, Unit.HOURS),
        setting="X1_WRITTEN_REPORT_HOURS",
        fulfilment=Fulfilment(
            records=_station_reports(ReportKind.WRITTEN),
            link="incident",
            at="sent_at",
            what="向主管民政部门报送书面报告",
        ),
        person="person",
        org_kinds=INSPECTED_KINDS,
        label=_label,
        link=_incident_link,
        select_related=("station", "person"),
    ),
    # rule X1: the department reports on to the government at its level …
    DeadlineRule(
        id="X1G",
        title="民政部门报告本级人民政府（异常情况）",
        source="001, 004",
        subjects=_first_reports,
        start="sent_at",
        organisation="recipient",
        role=Role.SUPERVISOR,
        due=Due(1, Unit.HOURS),
        setting="X1_FIRST_REPORT_HOURS",
        fulfilment=Fulfilment(
            records=_onward(Stage.GOVERNMENT),
            link="incident",
            outer="incident",
            at="sent_at",
            what="报告本级人民政府",
        ),
        person="incident__person",
        org_kinds=(OrgKind.CIVIL_AFFAIRS,),
        escalate="@supervisor",
        label=lambda report: _label(report.incident),
        link=lambda report: _incident_link(report.incident),
        select_related=("incident", "incident__person", "recipient"),
    ),
    # … and to the department above (where one is registered).
    DeadlineRule(
        id="X1U",
        title="民政部门报告上级民政部门（异常情况）",
        source="001, 004",
        subjects=lambda as_of: _first_reports(as_of).filter(
            recipient__supervisor__kind=OrgKind.CIVIL_AFFAIRS
        ),
        start="sent_at",
        organisation="recipient",
        role=Role.SUPERVISOR,
        due=Due(1, Unit.HOURS),
        setting="X1_FIRST_REPORT_HOURS",
        fulfilment=Fulfilment(
            records=_onward(Stage.UPPER),
            link="incident",
            outer="incident",
            at="sent_at",
            what="报告上级民政部门",
        ),
        person="incident__person",
        org_kinds=(OrgKind.CIVIL_AFFAIRS,),
        label=lambda report: _label(report.incident),
        link=lambda report: _incident_link(report.incident),
        select_related=("incident", "incident__person", "recipient"),
    ),
]
