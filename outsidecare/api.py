"""API of the outside-care app (/api/v1/outsidecare): agreements, visits, the hospitals' and facilities'
reports, and bring-back plans (rules C4, C5, C6). Same scope, permissions and services as the pages; files
travel as base64 (the agreement's signed document: PDF or image; visit photos: images)."""

import base64
import binascii
import datetime
import uuid
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from core.models import STATION_KINDS, Organisation, OrgKind
from core.paging import PAGE_SIZE
from outsidecare import access, selectors, services
from stay.models import Bed, Placement, Zone

router = Router()
PAGE = Query(1, ge=1, le=100_000)


def _page(qs, page: int):
    return list(qs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE])


def _file(data: str, field: str, label: str):
    if not data:
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({field: f"{label}的 base64 编码有误。"}) from exc
    return SimpleUploadedFile(field, raw)


def _own_station(request) -> Organisation:
    org = request.user.organisation
    if org is None or org.kind not in STATION_KINDS:
        raise PermissionDenied("只有救助管理机构的工作人员可以办理。")
    return org


# --- agreements ---------------------------------------------------------------------------------------------


class AgreementOut(Schema):
    uuid: uuid.UUID
    number: str
    station: str = Field(alias="station.name")
    facility: str = Field(alias="facility.name")
    facility_uuid: uuid.UUID = Field(alias="facility.uuid")
    facility_type: str
    type_reason: str
    signed_on: datetime.date
    valid_from: datetime.date
    valid_to: datetime.date
    capacity: int
    fee: Decimal
    fee_note: str
    terminated_on: datetime.date | None
    termination_reason: str


class AgreementIn(Schema):
    facility: uuid.UUID
    facility_type: str = Field(max_length=16)
    type_reason: str = Field("", max_length=300)
    signed_on: datetime.date
    valid_from: datetime.date
    valid_to: datetime.date
    capacity: int = Field(ge=1, le=10000)
    fee: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    fee_note: str = Field("", max_length=200)
    document_base64: str = Field(max_length=30_000_000, description="签字盖章的协议文本：PDF 或图片（base64）")


@router.get("/agreements", response=list[AgreementOut], summary="托养协议（救助机构与托养机构可见）")
def agreement_list(request, in_force: bool = False, page: int = PAGE):
    return _page(selectors.agreement_list(user=request.user, in_force=in_force or None), page)


@router.get("/agreements/{agreement_uuid}", response=AgreementOut, summary="托养协议详情")
def agreement_get(request, agreement_uuid: uuid.UUID):
    return selectors.agreement_get(user=request.user, uuid=agreement_uuid)


@router.post("/agreements", response={201: AgreementOut}, summary="登记托养协议（规则C5，站长）")
def agreement_create(request, payload: AgreementIn):
    station = _own_station(request)
    if not access.may_sign(request.user, station):
        raise PermissionDenied("托养协议由站长登记。")
    facility = Organisation.objects.filter(uuid=payload.facility, kind=OrgKind.CARE_FACILITY).first()
    if facility is None:
        raise ValidationError({"facility": "未找到该托养机构。"})
    return Status(201, services.agreement_create(
        by=request.user, station=station, facility=facility, facility_type=payload.facility_type,
        type_reason=payload.type_reason, signed_on=payload.signed_on, valid_from=payload.valid_from,
        valid_to=payload.valid_to, capacity=payload.capacity, fee=payload.fee, fee_note=payload.fee_note,
        document=_file(payload.document_base64, "document", "协议文本")))


# --- placements and visits -------------------------------------------------------------------------------------


class PlacementOut(Schema):
    uuid: uuid.UUID
    kind: str
    person: str = Field(alias="episode.person.name")
    episode_number: str = Field(alias="episode.number")
    station: str = Field(alias="episode.station.name")
    organisation: str = Field(alias="organisation.name")
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    agreement: str | None = Field(None, alias="agreement.number")
    last_visit: datetime.datetime | None = None
    last_report: datetime.datetime | None = None


@router.get("/placements", response=list[PlacementOut],
            summary="送医/托养人员（医院、托养机构只看到安置在本机构的人员）")
def placement_list(request, open_only: bool = True, page: int = PAGE):
    return _page(selectors.placement_list(user=request.user, open_only=open_only), page)


class VisitPersonOut(Schema):
    placement: uuid.UUID = Field(alias="placement.uuid")
    person: str = Field(alias="placement.episode.person.name")
    care: str
    physical: str
    mental: str
    tracing: str


class VisitOut(Schema):
    uuid: uuid.UUID
    kind: str
    station: str = Field(alias="station.name")
    organisation: str = Field(alias="organisation.name")
    agreement: str | None = Field(None, alias="agreement.number")
    visited_at: datetime.datetime
    visitors: str
    safety_ok: bool
    safety: str
    note: str
    people: list[VisitPersonOut]
    photos: int

    @staticmethod
    def resolve_people(obj):
        return list(obj.people.select_related("placement__episode__person"))

    @staticmethod
    def resolve_photos(obj) -> int:
        return obj.photos.count()


class VisitPersonIn(Schema):
    placement: uuid.UUID
    care: str = Field("", max_length=300)
    physical: str = Field("", max_length=300)
    mental: str = Field("", max_length=300)
    tracing: str = Field("", max_length=300)


class VisitIn(Schema):
    organisation: uuid.UUID
    visited_at: datetime.datetime
    visitors: str = Field(max_length=200)
    safety_ok: bool = True
    safety: str = Field("", max_length=500)
    note: str = Field("", max_length=2000)
    people: list[VisitPersonIn] = Field(max_length=500)
    photos_base64: list[Annotated[str, StringConstraints(max_length=30_000_000)]] = Field([], max_length=12)


@router.get("/visits", response=list[VisitOut], summary="探访记录（规则C4、C5）")
def visit_list(request, kind: str = Query("", max_length=16), page: int = PAGE):
    return _page(selectors.visit_list(user=request.user, kind=kind or None), page)


@router.get("/visits/{visit_uuid}", response=VisitOut, summary="探访记录详情")
def visit_get(request, visit_uuid: uuid.UUID):
    return selectors.visit_get(user=request.user, uuid=visit_uuid)


@router.post("/visits", response={201: VisitOut}, summary="记录探访（托养机构或医院，逐人记录）")
def visit_create(request, payload: VisitIn):
    station = _own_station(request)
    if not access.may_visit(request.user, station):
        raise PermissionDenied("探访由本站照料、医护人员或站长记录。")
    place = Organisation.objects.filter(uuid=payload.organisation,
                                        kind__in=(OrgKind.CARE_FACILITY, OrgKind.HOSPITAL)).first()
    if place is None:
        raise ValidationError({"organisation": "未找到该托养机构或医院。"})
    found = {p.uuid: p for p in Placement.objects.filter(
        uuid__in=[r.placement for r in payload.people], episode__station=station).select_related(
        "episode__person", "agreement")}
    rows = []
    for index, row in enumerate(payload.people):
        if row.placement not in found:
            raise ValidationError({f"people.{index}.placement": "未找到本机构的该送医/托养记录。"})
        rows.append({"placement": found[row.placement], "care": row.care, "physical": row.physical,
                     "mental": row.mental, "tracing": row.tracing})
    photos = [_file(data, "photos", f"第{i + 1}张照片") for i, data in enumerate(payload.photos_base64)]
    return Status(201, services.visit_create(
        by=request.user, station=station, organisation=place, visited_at=payload.visited_at,
        visitors=payload.visitors, rows=rows, safety_ok=payload.safety_ok, safety=payload.safety,
        note=payload.note, photos=photos))


# --- reports -----------------------------------------------------------------------------------------------------


class ConditionReportOut(Schema):
    uuid: uuid.UUID
    placement: uuid.UUID = Field(alias="placement.uuid")
    person: str = Field(alias="placement.episode.person.name")
    organisation: str = Field(alias="placement.organisation.name")
    reported_at: datetime.datetime
    condition: str
    treatment: str


class ConditionReportIn(Schema):
    reported_at: datetime.datetime | None = None
    condition: str = Field(max_length=2000)
    treatment: str = Field("", max_length=500)


@router.get("/reports", response=list[ConditionReportOut], summary="医院、托养机构的病情/情况报告")
def report_list(request, page: int = PAGE):
    return _page(selectors.condition_report_list(user=request.user), page)


@router.post("/placements/{placement_uuid}/reports", response={201: ConditionReportOut},
             summary="病情/情况报告（收治的医院或托养机构填写）")
def report_create(request, placement_uuid: uuid.UUID, payload: ConditionReportIn):
    placement = selectors.placement_get(user=request.user, uuid=placement_uuid)
    if not access.may_report_condition(request.user, placement):
        raise PermissionDenied("病情/情况报告由收治的医院或托养机构填写。")
    return Status(201, services.condition_report_create(by=request.user, placement=placement,
                                                        condition=payload.condition, treatment=payload.treatment,
                                                        reported_at=payload.reported_at))


class FacilityReportOut(Schema):
    uuid: uuid.UUID
    agreement: str = Field(alias="agreement.number")
    facility: str = Field(alias="agreement.facility.name")
    period_start: datetime.date
    period_end: datetime.date
    headcount: int
    incidents: str
    care: str
    submitted_at: datetime.datetime


class FacilityReportIn(Schema):
    period_start: datetime.date
    period_end: datetime.date
    headcount: int = Field(ge=0, le=100000)
    care: str = Field(max_length=2000)
    incidents: str = Field("", max_length=2000)


@router.get("/facility-reports", response=list[FacilityReportOut], summary="托养机构定期报告")
def facility_report_list(request, page: int = PAGE):
    return _page(selectors.facility_report_list(user=request.user), page)


@router.post("/agreements/{agreement_uuid}/facility-reports", response={201: FacilityReportOut},
             summary="托养机构报送定期报告（人数、异常情况、照料情况）")
def facility_report_create(request, agreement_uuid: uuid.UUID, payload: FacilityReportIn):
    agreement = selectors.agreement_get(user=request.user, uuid=agreement_uuid)
    if not access.may_file_report(request.user, agreement):
        raise PermissionDenied("定期报告由托养机构报送。")
    return Status(201, services.facility_report_create(by=request.user, agreement=agreement, **payload.dict()))


# --- bring-back (rule C6) -----------------------------------------------------------------------------------------


class ItemOut(Schema):
    uuid: uuid.UUID
    placement: uuid.UUID = Field(alias="placement.uuid")
    person: str = Field(alias="placement.episode.person.name")
    facility: str = Field(alias="placement.organisation.name")
    done_at: datetime.datetime | None
    bed: str | None = None

    @staticmethod
    def resolve_bed(obj):
        return str(obj.assignment.bed) if obj.assignment_id else None


class PlanOut(Schema):
    uuid: uuid.UUID
    number: str
    planned_on: datetime.date
    transport: str
    escort: str
    zone: str = Field(alias="zone.name")
    note: str
    items: list[ItemOut]
    outstanding: int

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.select_related("placement__episode__person", "placement__organisation",
                                             "assignment__bed__zone"))

    @staticmethod
    def resolve_outstanding(obj) -> int:
        return obj.items.filter(done_at__isnull=True, placement__ended_at__isnull=True).count()


class PlanIn(Schema):
    planned_on: datetime.date
    transport: str = Field(max_length=100)
    escort: str = Field("", max_length=100)
    zone: uuid.UUID
    placements: list[uuid.UUID] = Field(max_length=500)
    note: str = Field("", max_length=300)


class CarryOutIn(Schema):
    bed: uuid.UUID
    at: datetime.datetime | None = None
    housed_as: str = Field("", max_length=2)
    zone_reason: str = Field("", max_length=300)


@router.get("/bringback", response=list[PlanOut], summary="返站计划（规则C6）")
def plan_list(request, page: int = PAGE):
    return _page(selectors.plan_list(user=request.user), page)


@router.get("/bringback/{plan_uuid}", response=PlanOut, summary="返站计划详情与待返站人员")
def plan_get(request, plan_uuid: uuid.UUID):
    return selectors.plan_get(user=request.user, uuid=plan_uuid)


@router.post("/bringback", response={201: PlanOut}, summary="制定返站计划（分批接回）")
def plan_create(request, payload: PlanIn):
    station = _own_station(request)
    if not access.may_plan(request.user, station):
        raise PermissionDenied("返站计划由站长或照料人员制定。")
    zone = Zone.objects.filter(uuid=payload.zone, station=station).first()
    found = {p.uuid: p for p in Placement.objects.filter(uuid__in=payload.placements, episode__station=station)
             .select_related("episode__person")}
    missing = [str(u) for u in payload.placements if u not in found]
    if missing:
        raise ValidationError({"placements": "未找到本机构的该托养记录。"})
    return Status(201, services.bringback_plan_create(
        by=request.user, station=station, planned_on=payload.planned_on, transport=payload.transport,
        escort=payload.escort, zone=zone, placements=[found[u] for u in payload.placements], note=payload.note))


@router.post("/bringback/items/{item_uuid}/done", response=ItemOut, summary="逐人办理返站：结束托养并安排床位")
def carry_out(request, item_uuid: uuid.UUID, payload: CarryOutIn):
    item = selectors.item_get(user=request.user, uuid=item_uuid)
    if not access.may_plan(request.user, item.plan.station):
        raise PermissionDenied("返站由本站站长或照料人员办理。")
    bed = Bed.objects.filter(uuid=payload.bed, zone__station=item.plan.station).select_related("zone").first()
    if bed is None:
        raise ValidationError({"bed": "未找到本机构的该床位。"})
    services.bringback_carry_out(by=request.user, item=item, bed=bed, at=payload.at, housed_as=payload.housed_as,
                                 zone_reason=payload.zone_reason)
    item.refresh_from_db()
    return item
