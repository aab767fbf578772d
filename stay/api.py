"""API of the stay app (/api/v1/stay): zones, beds, occupancy, bed assignment, placements, N5 reasons.

Same selectors, services and permissions as the pages.
"""

import datetime
import uuid
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from core.models import Organisation
from core.scoping import get_scoped_or_404, require_case_write, require_write
from stay import selectors, services
from stay.models import Bed, Placement, StayExtension, Zone
from stay.selectors import SETUP_ROLES, STAY_ROLES

router = Router()


class ZoneOut(Schema):
    uuid: uuid.UUID
    station: uuid.UUID = Field(alias="station.uuid")
    name: str
    category: str
    sex_restriction: str
    is_active: bool


class ZoneIn(Schema):
    station: uuid.UUID | None = None
    name: str = Field(..., max_length=50)
    category: str = Field(..., max_length=16)
    sex_restriction: str = Field("any", max_length=4)
    note: str = Field("", max_length=200)


class BedOut(Schema):
    uuid: uuid.UUID
    zone: uuid.UUID = Field(alias="zone.uuid")
    code: str
    is_active: bool
    occupied: bool = False


class BedsIn(Schema):
    codes: list[Annotated[str, StringConstraints(max_length=20)]] = Field(..., max_length=500)


class ZoneOccupancy(Schema):
    zone: uuid.UUID
    name: str
    beds: int
    occupied: int
    rate: float | None


class StationOccupancy(Schema):
    station: uuid.UUID
    name: str
    beds: int
    occupied: int
    rate: float | None
    zones: list[ZoneOccupancy]


class AssignmentOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    bed: uuid.UUID = Field(alias="bed.uuid")
    bed_code: str = Field(alias="bed.code")
    zone: str = Field(alias="bed.zone.name")
    assigned_at: datetime.datetime
    released_at: datetime.datetime | None
    housed_as: str
    zone_reason: str


class AssignIn(Schema):
    bed: uuid.UUID
    at: datetime.datetime | None = None
    housed_as: str = Field("", max_length=2)
    zone_reason: str = Field("", max_length=300)


class ReleaseIn(Schema):
    at: datetime.datetime | None = None
    note: str = Field("", max_length=200)


class PlacementOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    kind: str
    organisation: uuid.UUID = Field(alias="organisation.uuid")
    organisation_name: str = Field(alias="organisation.name")
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    agreement_ref: str
    agreement: uuid.UUID | None = Field(None, alias="agreement.uuid")
    note: str


class PlacementIn(Schema):
    kind: str = Field(..., max_length=16)
    organisation: uuid.UUID
    started_at: datetime.datetime | None = None
    agreement: uuid.UUID | None = Field(None, description="站外托养的托养协议（留空时使用与该机构有效的协议，规则 C5）")
    agreement_ref: str = Field("", max_length=100, description="或按协议编号指定")
    note: str = Field("", max_length=200)


class ReturnIn(Schema):
    bed: uuid.UUID
    ended_at: datetime.datetime | None = None
    housed_as: str = Field("", max_length=2)
    zone_reason: str = Field("", max_length=300)
    note: str = Field("", max_length=200)


class ExtensionIn(Schema):
    reason: str = Field(max_length=2000)


class AckIn(Schema):
    note: str = Field("", max_length=300)


class ExtensionOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    reason: str
    department: str | None = Field(None, alias="department.name")
    reported_at: datetime.datetime | None
    acknowledged_at: datetime.datetime | None
    ack_note: str
    created_at: datetime.datetime


class StayStatusOut(Schema):
    episode: uuid.UUID
    status: str
    stranded_days: int
    bed: AssignmentOut | None
    placement: PlacementOut | None
    n5_over: bool
    n5_applies: bool
    n5_reason_needed: bool
    n5_reasons: list[ExtensionOut]


def _bed_in_station(bed_uuid: uuid.UUID, station) -> Bed:
    bed = Bed.objects.select_related("zone").filter(uuid=bed_uuid, zone__station=station).first()
    if bed is None:
        raise ValidationError({"bed": "未找到该床位（只能安排本机构的床位）。"})
    return bed


@router.get("/zones", response=list[ZoneOut], summary="数据范围内的照料区域")
def zones(request):
    return list(selectors.zone_list(user=request.user).order_by("station__name", "name"))


@router.post("/zones", response={201: ZoneOut}, summary="新增照料区域（站长/管理员）")
def zone_create(request, payload: ZoneIn):
    stations = selectors.setup_stations(user=request.user)
    if payload.station:
        station = get_scoped_or_404(Organisation.objects.all(), request.user, uuid=payload.station)
    else:
        station = request.user.organisation
    require_write(request.user, station, *SETUP_ROLES)
    if station not in stations:
        raise PermissionDenied("只有救助管理机构的站长或系统管理员可以设置照料区域。")
    zone = services.zone_create(by=request.user, station=station, name=payload.name, category=payload.category,
                                sex_restriction=payload.sex_restriction, note=payload.note)
    return Status(201, zone)


@router.get("/zones/{zone_uuid}/beds", response=list[BedOut], summary="区域内的床位")
def zone_beds(request, zone_uuid: uuid.UUID):
    zone = get_scoped_or_404(Zone.objects.select_related("station"), request.user, uuid=zone_uuid)
    beds = selectors.zone_beds(zone=zone)
    for bed in beds:
        bed.occupied = bed.current is not None
    return beds


@router.post("/zones/{zone_uuid}/beds", response={201: list[BedOut]}, summary="新增床位（站长/管理员）")
def beds_create(request, zone_uuid: uuid.UUID, payload: BedsIn):
    zone = get_scoped_or_404(Zone.objects.select_related("station"), request.user, uuid=zone_uuid)
    require_write(request.user, zone.station, *SETUP_ROLES)
    return Status(201, services.beds_create(by=request.user, zone=zone, codes=payload.codes))


@router.get("/occupancy", response=list[StationOccupancy], summary="床位使用率（规则 C3）")
def occupancy(request):
    return [
        {"station": s["station"].uuid, "name": s["station"].name, "beds": s["beds"], "occupied": s["occupied"],
         "rate": s["rate"], "zones": [{"zone": z["zone"].uuid, "name": z["zone"].name, "beds": z["beds"],
                                       "occupied": z["occupied"], "rate": z["rate"]} for z in s["zones"]]}
        for s in selectors.occupancy(user=request.user)
    ]


@router.get("/episodes/{episode_uuid}", response=StayStatusOut, summary="救助过程的在站照料情况（床位、送医/托养、N5）")
def episode_status(request, episode_uuid: uuid.UUID):
    episode = selectors.episode_in_scope(user=request.user, uuid=episode_uuid)
    panel = selectors.episode_panel(episode=episode, user=request.user)
    return {"episode": episode.uuid, "status": episode.status, "stranded_days": panel["stranded_days"],
            "bed": panel["bed"], "placement": panel["open_placement"], "n5_over": panel["n5"]["over"],
            "n5_applies": panel["n5"]["applies"], "n5_reason_needed": panel["n5"]["reason_needed"],
            "n5_reasons": panel["n5"]["extensions"]}


@router.post("/episodes/{episode_uuid}/bed", response={201: AssignmentOut}, summary="安排床位（规则 N4）")
def bed_assign(request, episode_uuid: uuid.UUID, payload: AssignIn):
    episode = selectors.episode_in_scope(user=request.user, uuid=episode_uuid)
    require_case_write(request.user, episode, *STAY_ROLES)
    bed = _bed_in_station(payload.bed, episode.station)
    return Status(201, services.bed_assign(by=request.user, episode=episode, bed=bed, at=payload.at,
                                    housed_as=payload.housed_as, zone_reason=payload.zone_reason))


@router.post("/episodes/{episode_uuid}/bed/release", response={200: AssignmentOut, 204: None}, summary="退床")
def bed_release(request, episode_uuid: uuid.UUID, payload: ReleaseIn):
    episode = selectors.episode_in_scope(user=request.user, uuid=episode_uuid)
    require_case_write(request.user, episode, *STAY_ROLES)
    released = services.bed_release(by=request.user, episode=episode, at=payload.at, note=payload.note)
    return Status(200, released) if released else Status(204, None)


@router.get("/placements", response=list[PlacementOut], summary="送医/站外托养记录（机构及医院、托养机构可见）")
def placements(request, open_only: bool = False, page: int = Query(1, ge=1, le=100_000)):
    qs = selectors.placement_list(user=request.user, open_only=open_only)
    start = (max(page, 1) - 1) * 50
    return list(qs[start:start + 50])


@router.post("/episodes/{episode_uuid}/placements", response={201: PlacementOut}, summary="送医或站外托养（规则 C5）")
def placement_start(request, episode_uuid: uuid.UUID, payload: PlacementIn):
    episode = selectors.episode_in_scope(user=request.user, uuid=episode_uuid)
    require_case_write(request.user, episode, *STAY_ROLES)
    organisation = Organisation.objects.filter(uuid=payload.organisation).first()
    agreement = None
    if payload.agreement is not None:
        from outsidecare.models import Agreement

        agreement = Agreement.objects.filter(uuid=payload.agreement, station=episode.station).first()
        if agreement is None:
            raise ValidationError({"agreement": "未找到本机构的该托养协议。"})
    return Status(201, services.placement_start(by=request.user, episode=episode, kind=payload.kind,
                                         organisation=organisation, started_at=payload.started_at,
                                         agreement=agreement, agreement_ref=payload.agreement_ref,
                                         note=payload.note))


@router.post("/placements/{placement_uuid}/return", response={200: AssignmentOut}, summary="返站并安排床位")
def placement_return(request, placement_uuid: uuid.UUID, payload: ReturnIn):
    placement = get_scoped_or_404(Placement.objects.select_related("episode__station"), request.user,
                                  uuid=placement_uuid)
    require_case_write(request.user, placement.episode, *STAY_ROLES)
    bed = _bed_in_station(payload.bed, placement.episode.station)
    return services.placement_return(by=request.user, placement=placement, bed=bed, ended_at=payload.ended_at,
                                     housed_as=payload.housed_as, zone_reason=payload.zone_reason, note=payload.note)


@router.post("/episodes/{episode_uuid}/n5-reasons", response={201: ExtensionOut}, summary="记录超期在站原因（规则 N5）")
def extension_record(request, episode_uuid: uuid.UUID, payload: ExtensionIn):
    episode = selectors.episode_in_scope(user=request.user, uuid=episode_uuid)
    require_case_write(request.user, episode, *STAY_ROLES)
    return Status(201, services.stay_extension_record(by=request.user, episode=episode, reason=payload.reason))


@router.get("/n5-reports", response=list[ExtensionOut], summary="超期在站报告（规则 N5：报上级民政部门）")
def n5_reports(request, pending_only: bool = True):
    return list(selectors.n5_reports(user=request.user, pending_only=pending_only)[:200])


@router.post("/n5-reports/{report_uuid}/acknowledge", response=ExtensionOut, summary="上级民政部门确认收悉超期在站报告（规则 N5）")
def n5_acknowledge(request, report_uuid: uuid.UUID, payload: AckIn):
    ext = get_scoped_or_404(StayExtension.objects.select_related("episode__person"), request.user, uuid=report_uuid)
    return services.stay_extension_acknowledge(by=request.user, extension=ext, note=payload.note)

