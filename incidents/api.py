"""API of the incidents app (/api/v1/incidents), rules X1 and X2: same scope, permissions and services as the
pages."""

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema, Status

from core.audit import audit
from core.models import AuditAction
from core.paging import PAGE_SIZE
from core.scoping import get_scoped_or_404
from incidents import access, selectors, services
from incidents.models import Stage
from people.models import Episode

router = Router()


class IncidentIn(Schema):
    station: uuid.UUID
    kind: str = Field(max_length=16)
    occurred_at: datetime.datetime
    title: str = Field(max_length=100)
    description: str = Field(max_length=2000)
    episode: uuid.UUID | None = None


class ReportIn(Schema):
    stage: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    content: str = Field(max_length=2000)
    sent_at: datetime.datetime | None = None
    recipient_name: str = Field("", max_length=100)


class ReceiveIn(Schema):
    received_at: datetime.datetime | None = None
    note: str = Field("", max_length=200)


class HandlingIn(Schema):
    text: str = Field(max_length=500)
    at: datetime.datetime | None = None


class CloseIn(Schema):
    note: str = Field(max_length=500)


class ReportOut(Schema):
    uuid: uuid.UUID
    stage: str
    stage_label: str = Field(alias="get_stage_display")
    kind: str
    sender: str = Field(alias="sender.name")
    recipient_name: str
    content: str
    sent_at: datetime.datetime
    received_at: datetime.datetime | None
    receipt_note: str


class HandlingOut(Schema):
    at: datetime.datetime
    by: str
    text: str

    @staticmethod
    def resolve_by(obj) -> str:
        return str(obj.by)


class IncidentOut(Schema):
    uuid: uuid.UUID
    number: str
    station: str = Field(alias="station.name")
    kind: str
    kind_label: str = Field(alias="get_kind_display")
    occurred_at: datetime.datetime
    title: str
    description: str
    person: uuid.UUID | None = None
    auto_opened: bool
    status: str
    closed_at: datetime.datetime | None
    closing_note: str
    reports: list[ReportOut] = []
    handling: list[HandlingOut] = []

    @staticmethod
    def resolve_person(obj):
        return obj.person.uuid if obj.person_id else None

    @staticmethod
    def resolve_reports(obj):
        return list(obj.reports.select_related("sender"))

    @staticmethod
    def resolve_handling(obj):
        return list(obj.handling.select_related("by"))


@router.get("/", response=list[IncidentOut], summary="异常情况台账（规则X1、X2）")
def incident_list(request, status: str = Query("", max_length=16), kind: str = Query("", max_length=16),
                  page: int = Query(1, ge=1, le=100_000)):
    page = max(1, min(page, 10_000))
    rows = list(
        selectors.incident_list(user=request.user, status=status, kind=kind)[
            (page - 1) * PAGE_SIZE : page * PAGE_SIZE
        ]
    )
    audit(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="incidents.list",
        object_id="api",
        summary=f"接口查询异常情况台账（{len(rows)} 条）",
        organisation=request.user.organisation,
    )
    return rows


@router.post("/", response={201: IncidentOut}, summary="登记异常情况")
def incident_create(request, payload: IncidentIn):
    from core.models import Organisation

    station = get_scoped_or_404(Organisation.objects.all(), request.user, uuid=payload.station)
    if not access.may_record(request.user, station):
        raise PermissionDenied("您不能在该机构登记异常情况。")
    episode = None
    if payload.episode:
        episode = get_scoped_or_404(
            Episode.objects.select_related("person"), request.user, uuid=payload.episode
        )
        if episode.station_id != station.id:
            from django.core.exceptions import ValidationError

            raise ValidationError({"episode": "该救助过程不属于所选机构。"})
    incident = services.incident_create(
        by=request.user,
        station=station,
        kind=payload.kind,
        occurred_at=payload.occurred_at,
        title=payload.title,
        description=payload.description,
        episode=episode,
    )
    return Status(201, incident)


@router.get("/{incident_uuid}", response=IncidentOut, summary="异常情况详情：逐级报告与处置记录")
def incident_get(request, incident_uuid: uuid.UUID):
    incident = selectors.incident_get(user=request.user, uuid=incident_uuid)
    if incident.person_id:
        audit(
            actor=request.user,
            action=AuditAction.VIEW,
            obj=incident,
            summary=f"查看异常情况 {incident.number}",
            organisation=incident.station,
            person_uuid=incident.person.uuid,
        )
    return incident


@router.post("/{incident_uuid}/reports", response={201: ReportOut}, summary="逐级报告（首报/书面报告）")
def report_send(request, incident_uuid: uuid.UUID, payload: ReportIn):
    incident = selectors.incident_get(user=request.user, uuid=incident_uuid)
    allowed = (
        access.may_report_for_station(request.user, incident)
        if payload.stage == Stage.STATION
        else access.may_report_for_department(request.user, incident)
    )
    if not allowed:
        raise PermissionDenied("救助机构向主管民政部门报告，主管民政部门向本级政府和上级民政部门报告。")
    report = services.report_send(
        by=request.user,
        incident=incident,
        stage=payload.stage,
        kind=payload.kind,
        content=payload.content,
        sent_at=payload.sent_at,
        recipient_name=payload.recipient_name,
    )
    return Status(201, report)


@router.post("/reports/{report_uuid}/receive", response=ReportOut, summary="登记接收")
def report_receive(request, report_uuid: uuid.UUID, payload: ReceiveIn):
    report = selectors.report_get(user=request.user, uuid=report_uuid)
    if not access.may_receive(request.user, report):
        raise PermissionDenied("只有接收单位可以登记接收。")
    return services.report_receive(
        by=request.user, report=report, received_at=payload.received_at, note=payload.note
    )


@router.post("/{incident_uuid}/handling", response={201: HandlingOut}, summary="记录处置情况")
def handling_add(request, incident_uuid: uuid.UUID, payload: HandlingIn):
    incident = selectors.incident_get(user=request.user, uuid=incident_uuid)
    if not access.may_record(request.user, incident.station):
        raise PermissionDenied("您不能记录该异常情况的处置。")
    return Status(
        201, services.handling_add(by=request.user, incident=incident, text=payload.text, at=payload.at)
    )


@router.post("/{incident_uuid}/close", response=IncidentOut, summary="结案（仅主管民政部门）")
def incident_close(request, incident_uuid: uuid.UUID, payload: CloseIn):
    incident = selectors.incident_get(user=request.user, uuid=incident_uuid)
    if not access.may_close(request.user, incident):
        raise PermissionDenied("异常情况由主管民政部门结案，救助机构不能自行结案（规则X1）。")
    return services.incident_close(by=request.user, incident=incident, note=payload.note)
