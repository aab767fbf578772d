"""API of the outreach app (/api/v1/outreach): sightings and their steps, patrols and encounters (offline-safe:
a resend of the same ``client_uuid`` answers 409 ``duplicate`` and saves nothing), hot spots, campaigns.
Same services and scope as the pages; free texts carry the same length limits."""

import datetime
import decimal
import uuid

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status

from core.audit import audit
from core.models import AuditAction
from outreach import selectors, services
from outreach.models import DESCRIPTION_MAX, HotSpot, Patrol, Sighting

router = Router()


class SightingIn(Schema):
    source: str = Field(max_length=12)
    received_at: datetime.datetime | None = None
    place: str = Field(max_length=200)
    description: str = Field(max_length=DESCRIPTION_MAX)
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=40)
    latitude: decimal.Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: decimal.Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)


class SightingOut(Schema):
    uuid: uuid.UUID
    number: str
    station: str = Field(alias="station.name")
    source: str
    received_at: datetime.datetime
    place: str
    latitude: decimal.Decimal | None
    longitude: decimal.Decimal | None
    description: str
    status: str
    status_label: str = Field(alias="get_status_display")
    dispatched_at: datetime.datetime | None
    dispatched_to: str
    arrived_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    outcome: str
    outcome_note: str


class DispatchIn(Schema):
    dispatched_to: str = Field(max_length=100)


class CloseIn(Schema):
    outcome: str = Field(max_length=16)
    outcome_note: str = Field("", max_length=DESCRIPTION_MAX)
    episode: uuid.UUID | None = None


class HandoverIn(Schema):
    to_station: uuid.UUID
    reason: str = Field(max_length=200)


class PatrolIn(Schema):
    client_uuid: uuid.UUID | None = None
    team: str = Field(max_length=100)
    route: str = Field("", max_length=300)
    started_at: datetime.datetime | None = None
    ended_at: datetime.datetime | None = None
    note: str = Field("", max_length=DESCRIPTION_MAX)
    hot_spots: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class PatrolOut(Schema):
    uuid: uuid.UUID
    client_uuid: uuid.UUID | None
    organisation: str = Field(alias="organisation.name")
    team: str
    route: str
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    note: str


class PatrolEndIn(Schema):
    ended_at: datetime.datetime | None = None
    hot_spots: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class EncounterIn(Schema):
    client_uuid: uuid.UUID | None = None
    patrol: uuid.UUID | None = None
    patrol_client_uuid: uuid.UUID | None = None
    met_at: datetime.datetime | None = None
    place: str = Field(max_length=200)
    group: str = Field(max_length=20)
    outcome: str = Field(max_length=16)
    sex: str = Field("", max_length=2)
    age_guess: int | None = Field(None, ge=0, le=120)
    description: str = Field(max_length=DESCRIPTION_MAX)
    latitude: decimal.Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: decimal.Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    hot_spot: uuid.UUID | None = None
    sighting: uuid.UUID | None = None


class EncounterOut(Schema):
    uuid: uuid.UUID
    client_uuid: uuid.UUID | None
    patrol: uuid.UUID = Field(alias="patrol.uuid")
    met_at: datetime.datetime
    place: str
    group: str
    outcome: str
    description: str


class HotSpotOut(Schema):
    uuid: uuid.UUID
    county: str = Field(alias="county.code")
    kind: str
    kind_label: str = Field(alias="get_kind_display")
    name: str
    address: str
    latitude: decimal.Decimal | None
    longitude: decimal.Decimal | None
    is_active: bool


class DuplicateOut(Schema):
    code: str
    message: str
    existing: uuid.UUID | None = None


def _duplicate(exc: services.Duplicate):
    return Status(
        409, {"code": "duplicate", "message": exc.message, "existing": getattr(exc.obj, "uuid", None)}
    )


def _spots(ids, field: str) -> list[HotSpot]:
    ids = list(dict.fromkeys(ids or []))
    spots = list(HotSpot.objects.filter(uuid__in=ids))
    if len(spots) != len(ids):
        raise ValidationError({field: "有重点区域不存在。"})
    return spots


def _page(qs, offset: int, limit: int):
    offset = max(0, min(offset, 10**6))
    return list(qs[offset : offset + max(1, min(limit, 200))])


@router.get("/sightings", response=list[SightingOut], summary="发现报告（规则P1）")
def sightings(request, status: str = Query("open", max_length=12), offset: int = 0, limit: int = 50):
    rows = _page(selectors.sighting_list(user=request.user, filters={"status": status[:12]}), offset, limit)
    audit(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="outreach.sightings",
        object_id="api",
        summary=f"接口查看发现报告（{len(rows)} 条）",
        organisation=request.user.organisation,
    )
    return rows


@router.post("/sightings", response={201: SightingOut}, summary="接报发现报告（110、12345、来电等）")
def sighting_create(request, payload: SightingIn):
    s = services.sighting_create(
        by=request.user,
        station=request.user.organisation,
        source=payload.source,
        data=payload.dict(),
        received_at=payload.received_at,
    )
    return Status(201, s)


@router.get("/sightings/{sighting_uuid}", response=SightingOut, summary="发现报告")
def sighting(request, sighting_uuid: uuid.UUID):
    return selectors.sighting_get(user=request.user, uuid=sighting_uuid)


def _own_sighting(request, sighting_uuid) -> Sighting:
    s = selectors.sighting_get(user=request.user, uuid=sighting_uuid)
    services.require_sighting_handler(request.user, s.station)
    return s


@router.post("/sightings/{sighting_uuid}/dispatch", response=SightingOut, summary="派出巡查（P1，1小时内）")
def sighting_dispatch(request, sighting_uuid: uuid.UUID, payload: DispatchIn):
    return services.sighting_dispatch(
        by=request.user, sighting=_own_sighting(request, sighting_uuid), team=payload.dispatched_to
    )


@router.post("/sightings/{sighting_uuid}/arrive", response=SightingOut, summary="到场（P1a，派出后2小时内）")
def sighting_arrive(request, sighting_uuid: uuid.UUID):
    return services.sighting_arrive(by=request.user, sighting=_own_sighting(request, sighting_uuid))


@router.post("/sightings/{sighting_uuid}/close", response=SightingOut, summary="处置完毕（P1c，24小时内）")
def sighting_close(request, sighting_uuid: uuid.UUID, payload: CloseIn):
    s = _own_sighting(request, sighting_uuid)
    episode = None
    if payload.episode:
        from people.models import Episode

        episode = Episode.objects.filter(uuid=payload.episode, station=s.station).first()
        if episode is None:
            raise ValidationError({"episode": "未找到本机构的该求助登记。"})
    return services.sighting_close(
        by=request.user, sighting=s, outcome=payload.outcome, note=payload.outcome_note, episode=episode
    )


@router.post("/sightings/{sighting_uuid}/hand-over", response=SightingOut, summary="正式移交其他救助管理机构")
def sighting_hand_over(request, sighting_uuid: uuid.UUID, payload: HandoverIn):
    s = _own_sighting(request, sighting_uuid)
    to = selectors.public_stations().filter(uuid=payload.to_station).first()
    if to is None:
        raise ValidationError({"to_station": "未找到该救助管理机构。"})
    services.sighting_hand_over(by=request.user, sighting=s, to_station=to, reason=payload.reason)
    s.refresh_from_db()
    return s


@router.get("/patrols", response=list[PatrolOut], summary="巡查记录（规则P2）")
def patrols(request, offset: int = 0, limit: int = 50):
    return _page(selectors.patrol_list(user=request.user), offset, limit)


@router.post(
    "/patrols", response={201: PatrolOut, 409: DuplicateOut}, summary="登记巡查（可离线重发，不会重复）"
)
def patrol_create(request, payload: PatrolIn):
    try:
        patrol = services.patrol_record(
            by=request.user,
            organisation=request.user.organisation,
            data=payload.dict(exclude={"hot_spots", "client_uuid"}),
            hot_spots=_spots(payload.hot_spots, "hot_spots"),
            client_uuid=payload.client_uuid,
        )
    except services.Duplicate as exc:
        return _duplicate(exc)
    return Status(201, patrol)


def _patrol_by_any(request, patrol_ref: uuid.UUID) -> Patrol:
    """A patrol by its server UUID or by the phone's client UUID, within the user's scope."""
    from core.scoping import scoped

    patrol = (
        scoped(Patrol.objects.select_related("organisation"), request.user).filter(uuid=patrol_ref).first()
        or scoped(Patrol.objects.select_related("organisation"), request.user)
        .filter(client_uuid=patrol_ref)
        .first()
    )
    if patrol is None:
        from django.http import Http404

        raise Http404
    return patrol


@router.post(
    "/patrols/{patrol_ref}/end",
    response={200: PatrolOut, 409: DuplicateOut},
    summary="结束巡查（按服务器或手机编号；重发不会重复）",
)
def patrol_end(request, patrol_ref: uuid.UUID, payload: PatrolEndIn):
    patrol = _patrol_by_any(request, patrol_ref)
    try:
        return services.patrol_end(
            by=request.user,
            patrol=patrol,
            ended_at=payload.ended_at,
            hot_spots=_spots(payload.hot_spots, "hot_spots"),
        )
    except services.Duplicate as exc:
        return _duplicate(exc)


@router.get("/patrols/{patrol_ref}/encounters", response=list[EncounterOut], summary="巡查发现人员")
def patrol_encounters(request, patrol_ref: uuid.UUID):
    return list(_patrol_by_any(request, patrol_ref).encounters.select_related("patrol"))


@router.post(
    "/encounters",
    response={201: EncounterOut, 409: DuplicateOut},
    summary="登记巡查发现人员（P2；可离线重发，不会重复）",
)
def encounter_create(request, payload: EncounterIn):
    ref = payload.patrol or payload.patrol_client_uuid
    if ref is None:
        raise ValidationError({"patrol": "请指定巡查。"})
    patrol = _patrol_by_any(request, ref)
    hot_spot = _spots([payload.hot_spot], "hot_spot")[0] if payload.hot_spot else None
    sighting = None
    if payload.sighting:
        sighting = (
            selectors.sighting_list(user=request.user, filters={"status": "all"})
            .filter(uuid=payload.sighting)
            .first()
        )
        if sighting is None:
            raise ValidationError({"sighting": "未找到该发现报告。"})
    try:
        encounter = services.encounter_record(
            by=request.user,
            patrol=patrol,
            data=payload.dict(
                exclude={"client_uuid", "patrol", "patrol_client_uuid", "hot_spot", "sighting"}
            ),
            client_uuid=payload.client_uuid,
            hot_spot=hot_spot,
            sighting=sighting,
        )
    except services.Duplicate as exc:
        return _duplicate(exc)
    return Status(201, encounter)


@router.get("/hot-spots", response=list[HotSpotOut], summary="重点区域名录（规则P3）")
def hot_spots(request):
    return list(selectors.hot_spot_list(user=request.user))
