"""Every write of the incidents app (rules X1, X2): keyword-only, one transaction each, audited (old → new).

Callers check *who* may act (``incidents.access``); these functions check *what* is allowed. A departure
recorded as death or going missing opens an incident automatically (``on_episode_left``, subscribed to
``core.events.EpisodeLeft``). Each report up the chain notifies the receiving department through the
deadlines app's notifications and senders (``deadlines.services.notify``).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_create, audit_update, snapshot
from core.models import Organisation, OrgKind, Role
from incidents.models import (
    HandlingEntry,
    Incident,
    IncidentKind,
    IncidentReport,
    IncidentStatus,
    ReportKind,
    Stage,
)
from oversight.access import INSPECTED_KINDS
from oversight.services import clean_text, not_future
from people.services import next_sequence


def first_report_hours() -> int:
    """Rule X1: the first report within this many hours (GUITU_RULES["X1_FIRST_REPORT_HOURS"], default 1)."""
    return int(getattr(settings, "GUITU_RULES", {}).get("X1_FIRST_REPORT_HOURS", 1))


def written_report_hours() -> int:
    """Rule X1: the written report within this many hours (GUITU_RULES["X1_WRITTEN_REPORT_HOURS"], default 24)."""
    return int(getattr(settings, "GUITU_RULES", {}).get("X1_WRITTEN_REPORT_HOURS", 24))


def _department_of(station: Organisation) -> Organisation:
    department = station.supervisor
    if department is None or department.kind != OrgKind.CIVIL_AFFAIRS:
        raise ValidationError(f"“{station.name}”没有登记主管民政部门，请先在机构管理中设置。")
    return department


def _notify(organisation: Organisation | None, message: str) -> None:
    if organisation is None:
        return
    from deadlines.services import notify

    notify(organisation=organisation, role=Role.SUPERVISOR, message=message)


# --- incidents ---------------------------------------------------------------------------------------------


@transaction.atomic
def incident_create(
    *,
    by,
    station: Organisation,
    kind: str,
    occurred_at: datetime.datetime,
    title: str,
    description: str,
    person=None,
    episode=None,
    auto_opened: bool = False,
) -> Incident:
    """Record an incident (rules X1, X2); the first and written reports are then due (deadlines X1, X1W)."""
    if station.kind not in INSPECTED_KINDS:
        raise ValidationError({"station": "异常情况须登记在救助管理机构或托养机构。"})
    if kind not in IncidentKind.values:
        raise ValidationError({"kind": "请选择异常情况类型。"})
    occurred_at = not_future(occurred_at, "occurred_at", "发生/发现时间")
    title = clean_text(title, 100, "title", "事件名称", required=True)
    description = clean_text(description, 2000, "description", "基本情况", required=True)
    if episode is not None and Incident.objects.filter(episode=episode, kind=kind).exists():
        raise ValidationError({"kind": "该救助过程已登记同类异常情况。"})
    year = timezone.localtime(occurred_at).year
    incident = Incident.objects.create(
        number=f"{station.code}-YC{year}-{next_sequence(f'incidents:{station.pk}:{year}'):04d}",
        station=station,
        kind=kind,
        occurred_at=occurred_at,
        title=title,
        description=description,
        person=person or (episode.person if episode is not None else None),
        episode=episode,
        auto_opened=auto_opened,
        recorded_by=by,
    )
    audit_create(
        actor=by,
        obj=incident,
        summary=f"登记异常情况 {incident.number}：{incident.get_kind_display()}（规则{_rule(kind)}）",
        organisation=station,
        person_uuid=incident.person.uuid if incident.person else None,
    )
    return incident


def _rule(kind: str) -> str:
    return "X2" if kind == IncidentKind.OPINION else "X1"


def on_episode_left(event) -> Incident | None:
    """A departure recorded as death or going missing opens the incident at once (rule X1)."""
    from leaving.models import ExitType

    kinds = {ExitType.DEATH: IncidentKind.DEATH, ExitType.MISSING: IncidentKind.MISSING}
    kind = kinds.get(event.exit_type)
    if kind is None:
        return None
    departure, episode = event.departure, event.episode
    if kind == IncidentKind.DEATH:
        facts = f"死亡地点：{departure.death_place}；死亡原因：{departure.death_cause}"
    else:
        facts = f"走失经过：{departure.circumstances}"
    description = (
        f"{episode.person.name}（{episode.number}）于 {timezone.localtime(event.at):%Y-%m-%d %H:%M} "
        f"{IncidentKind(kind).label}。{facts}"
    )
    return incident_create(
        by=event.by,
        station=episode.station,
        kind=kind,
        occurred_at=event.at,
        title=f"{episode.person.name}{IncidentKind(kind).label}",
        description=description[:2000],
        episode=episode,
        auto_opened=True,
    )


def _locked(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("station", "station__supervisor")
        .get(pk=incident.pk)
    )


def _open(incident: Incident) -> None:
    if incident.status != IncidentStatus.OPEN:
        raise ValidationError("该异常情况已结案，不能再修改。")


@transaction.atomic
def report_send(
    *,
    by,
    incident: Incident,
    stage: str,
    kind: str,
    content: str,
    sent_at: datetime.datetime | None = None,
    recipient_name: str = "",
) -> IncidentReport:
    """Report one level up (rule X1): the station to its department; the department to the government at
    its level (``recipient_name``) and to the department above. The recipient department is notified."""
    incident = _locked(incident)
    _open(incident)
    if stage not in Stage.values:
        raise ValidationError({"stage": "请选择报告环节。"})
    if kind not in ReportKind.values:
        raise ValidationError({"kind": "请选择报告类型。"})
    content = clean_text(content, 2000, "content", "报告内容", required=True)
    sent_at = sent_at or timezone.now()
    sent_at = not_future(sent_at, "sent_at", "报告时间")
    if sent_at < incident.occurred_at:
        raise ValidationError({"sent_at": "报告时间不能早于事件发生时间。"})
    department = _department_of(incident.station)
    if stage == Stage.STATION:
        sender, recipient, name = incident.station, department, department.name
    else:
        if not incident.reports.filter(stage=Stage.STATION).exists():
            raise ValidationError("救助机构尚未向民政部门报告，民政部门不能逐级上报。")
        sender = department
        if stage == Stage.GOVERNMENT:
            recipient, name = (
                None,
                clean_text(recipient_name, 100, "recipient_name", "本级人民政府名称", required=True),
            )
        else:
            recipient = department.supervisor
            if recipient is None or recipient.kind != OrgKind.CIVIL_AFFAIRS:
                raise ValidationError({"stage": f"“{department.name}”没有登记上级民政部门。"})
            name = recipient.name
    if IncidentReport.objects.filter(incident=incident, stage=stage, kind=kind).exists():
        raise ValidationError({"kind": f"{Stage(stage).label}的{ReportKind(kind).label}已报送。"})
    report = IncidentReport.objects.create(
        incident=incident,
        stage=stage,
        kind=kind,
        sender=sender,
        recipient=recipient,
        recipient_name=name,
        content=content,
        sent_at=sent_at,
        sent_by=by,
    )
    audit_create(
        actor=by,
        obj=report,
        organisation=incident.station,
        person_uuid=incident.person.uuid if incident.person else None,
        summary=f"异常情况 {incident.number} {ReportKind(kind).label}：{Stage(stage).label}（规则X1）",
    )
    _notify(
        recipient,
        f"【异常情况{ReportKind(kind).label}】{incident.station.display_short}"
        f"{incident.get_kind_display()}：{incident.title}（{incident.number}），请及时接收并处置。",
    )
    return report


@transaction.atomic
def report_receive(
    *, by, report: IncidentReport, received_at: datetime.datetime | None = None, note: str = ""
) -> IncidentReport:
    """Date the recipient's receipt: a department user for reports to their department; for reports to the
    government, the sending department records when the government acknowledged it."""
    report = (
        IncidentReport.objects.select_for_update(of=("self",)).select_related("incident").get(pk=report.pk)
    )
    if report.received_at is not None:
        raise ValidationError("该报告已登记接收。")
    received_at = received_at or timezone.now()
    received_at = not_future(received_at, "received_at", "接收时间")
    if received_at < report.sent_at:
        raise ValidationError({"received_at": "接收时间不能早于报告时间。"})
    note = clean_text(note, 200, "note", "接收情况")
    before = snapshot(report, ["received_at", "received_by", "receipt_note"])
    report.received_at, report.received_by, report.receipt_note = received_at, by, note
    report.save(update_fields=["received_at", "received_by", "receipt_note", "updated_at"])
    incident = report.incident
    audit_update(
        actor=by,
        obj=report,
        before=before,
        organisation=incident.station,
        person_uuid=incident.person_id and incident.person.uuid,
        summary=f"异常情况 {incident.number} 报告已接收：{report.recipient_name}",
    )
    return report


@transaction.atomic
def handling_add(*, by, incident: Incident, text: str, at: datetime.datetime | None = None) -> HandlingEntry:
    """Log a step of the handling (处置情况) while the incident is open."""
    incident = _locked(incident)
    _open(incident)
    text = clean_text(text, 500, "text", "处置情况", required=True)
    at = at or timezone.now()
    at = not_future(at, "at", "时间")
    entry = HandlingEntry.objects.create(incident=incident, at=at, by=by, text=text)
    audit_create(
        actor=by,
        obj=entry,
        organisation=incident.station,
        person_uuid=incident.person.uuid if incident.person else None,
        summary=f"异常情况 {incident.number} 处置记录",
    )
    return entry


@transaction.atomic
def incident_close(*, by, incident: Incident, note: str) -> Incident:
    """Close an incident: only the civil-affairs department does it, after the station's written report (X1)."""
    incident = _locked(incident)
    _open(incident)
    org = getattr(by, "organisation", None)
    if not by.is_superuser and (org is None or org.kind != OrgKind.CIVIL_AFFAIRS):
        raise ValidationError("异常情况由主管民政部门结案，救助机构不能自行结案（规则X1）。")
    if not incident.reports.filter(stage=Stage.STATION, kind=ReportKind.WRITTEN).exists():
        raise ValidationError("救助机构尚未报送书面报告，不能结案。")
    note = clean_text(note, 500, "note", "结案意见", required=True)
    before = snapshot(incident, ["status", "closed_at", "closed_by", "closing_note"])
    incident.status, incident.closed_at, incident.closed_by, incident.closing_note = (
        IncidentStatus.CLOSED,
        timezone.now(),
        by,
        note,
    )
    incident.save(update_fields=["status", "closed_at", "closed_by", "closing_note", "updated_at"])
    audit_update(
        actor=by,
        obj=incident,
        before=before,
        organisation=incident.station,
        person_uuid=incident.person.uuid if incident.person else None,
        summary=f"异常情况 {incident.number} 结案",
    )
    return incident
