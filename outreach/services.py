"""Every write of the outreach app: one function per action, in a transaction, validated, audited.

Who may write: staff of a station (接待员, 照料员; 站长 and 系统管理员 always) for sightings, patrols and hot
spots of their station; police officers (公安协查员) and any 城管 user for their own patrols; 站长 / 系统管理员
of a station or civil-affairs department for campaigns and weather alerts. The public reports sightings
without logging in (rate-limited like the family-search clues).
"""

import datetime
import decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit, audit_create, audit_update, diff, snapshot
from core.images import take_image
from core.models import STATION_KINDS, AuditAction, Division, DivisionLevel, Organisation, OrgKind, Role
from core.scoping import can_write
from core.validation import CLOCK_SLACK, clean_instance, past_moment
from outreach.models import (
    CAMPAIGN_MONTHS,
    GROUP_OUTCOMES,
    SIGHTING_TRANSITIONS,
    Campaign,
    Encounter,
    Group,
    HotSpot,
    HotSpotKind,
    Outcome,
    Patrol,
    PatrolTask,
    Sighting,
    SightingHandover,
    SightingSource,
    SightingStatus,
    WeatherAlert,
)

STATION_ROLES = (Role.RECEPTION, Role.CARER)
#: Offline entries may be synced up to this long after they were made (a shift without signal, a weekend).
OFFLINE_WINDOW = datetime.timedelta(days=7)


class Duplicate(Exception):
    """The same offline entry was sent again; nothing was saved (the first copy stands)."""

    def __init__(self, obj):
        super().__init__("该条记录已经同步过，未重复保存。")
        self.obj = obj
        self.message = str(self)


def rule(key: str, default: int) -> int:
    return int(settings.GUITU_RULES.get(key, default))


# --- permissions ------------------------------------------------------------------------------------


def may_patrol(user, organisation: Organisation | None) -> bool:
    """Stations, police and 城管 run patrols; each writes only its own."""
    if organisation is None:
        return False
    if organisation.kind == OrgKind.CHENGGUAN:
        return can_write(user, organisation)
    if organisation.kind == OrgKind.POLICE:
        return can_write(user, organisation, Role.POLICE)
    if organisation.kind in STATION_KINDS:
        return can_write(user, organisation, *STATION_ROLES)
    return False


def require_patrol(user, organisation: Organisation | None) -> None:
    if not may_patrol(user, organisation):
        raise PermissionDenied("您不能为该机构登记巡查。")


def may_handle_sightings(user, station: Organisation | None) -> bool:
    return station is not None and station.kind in STATION_KINDS and can_write(user, station, *STATION_ROLES)


def require_sighting_handler(user, station: Organisation | None) -> None:
    if not may_handle_sightings(user, station):
        raise PermissionDenied("只有首接责任救助管理机构的工作人员可以处理该发现报告。")


def may_run_campaigns(user, organisation: Organisation | None) -> bool:
    return (
        organisation is not None
        and organisation.kind in (*STATION_KINDS, OrgKind.CIVIL_AFFAIRS)
        and can_write(user, organisation, Role.HEAD)
    )


# --- shared checks -------------------------------------------------------------------------------------


def _moment(value, field: str, label: str, *, not_before=None, not_before_label="") -> datetime.datetime:
    return past_moment(value, field, label, not_before=not_before, not_before_label=not_before_label)


def clean_coordinates(lat, lng) -> tuple[decimal.Decimal | None, decimal.Decimal | None]:
    """Both or neither; inside China's bounding box (rough: 3–54° N, 73–136° E)."""
    if lat in (None, "") and lng in (None, ""):
        return None, None
    try:
        lat_d, lng_d = decimal.Decimal(str(lat)), decimal.Decimal(str(lng))
        if not (lat_d.is_finite() and lng_d.is_finite()):
            raise ValueError("not finite")
        lat_d = lat_d.quantize(decimal.Decimal("0.000001"))
        lng_d = lng_d.quantize(decimal.Decimal("0.000001"))
    except (decimal.InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError({"latitude": "位置坐标格式不正确。"}) from exc
    if not (
        decimal.Decimal(3) <= lat_d <= decimal.Decimal(54)
        and decimal.Decimal(73) <= lng_d <= decimal.Decimal(136)
    ):
        raise ValidationError({"latitude": "位置坐标不在我国境内，请检查或留空。"})
    return lat_d, lng_d


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _clean(obj, exclude=()) -> None:
    clean_instance(obj, exclude)


def _number(prefix: str, org: Organisation, at: datetime.datetime) -> str:
    from people.services import next_sequence

    year = timezone.localtime(at).year
    return f"{prefix}{org.code}{year}{next_sequence(f'outreach-{prefix}-{org.code}-{year}'):05d}"


# --- sightings (rule P1) -------------------------------------------------------------------------------


def _build_sighting(
    *, station: Organisation, source: str, data: dict[str, Any], received_at, received_by, photo=None
) -> Sighting:
    errors = {}
    if station is None or station.kind not in STATION_KINDS or not station.is_active:
        errors["station"] = "请选择救助管理机构。"
    if source not in SightingSource.values:
        errors["source"] = "请选择来源。"
    if not _text(data, "place"):
        errors["place"] = "请填写地点（在哪里看到的）。"
    if not _text(data, "description"):
        errors["description"] = "请描述人员情况（外貌、衣着、状态）。"
    phone = _text(data, "reporter_phone")
    if phone:
        from announcements.services import normalise_phone

        if normalise_phone(phone) is None:
            errors["reporter_phone"] = "请填写正确的手机号或固定电话（含区号）。"
    if errors:
        raise ValidationError(errors)
    lat, lng = clean_coordinates(data.get("latitude"), data.get("longitude"))
    sighting = Sighting(
        station=station,
        source=source,
        received_at=received_at,
        received_by=received_by,
        place=_text(data, "place"),
        description=_text(data, "description"),
        latitude=lat,
        longitude=lng,
        reporter_name=_text(data, "reporter_name"),
        reporter_phone=phone,
        number="-",
    )
    _clean(sighting, exclude=["station", "received_by", "number", "photo"])
    if photo is not None:
        clean = take_image(photo, field="photo", label="照片")
        sighting.photo = clean.as_file("sighting")
    sighting.number = _number("FX", station, received_at)
    return sighting


def public_sighting_submit(
    *, station: Organisation, data: dict[str, Any], photo=None, ip: str | None = None
) -> Sighting:
    """A passer-by reports someone in need (rule P1, no login). Rate-limited per IP and phone like clues; the
    attempt counts even when the report is refused, so the limit cannot be probed with bad input."""
    from announcements.services import clue_throttle_hit, normalise_phone

    clue_throttle_hit(ip=ip, phone=normalise_phone(_text(data, "reporter_phone")) or None)
    return _public_sighting_create(station=station, data=data, photo=photo)


@transaction.atomic
def _public_sighting_create(*, station, data, photo) -> Sighting:
    now = timezone.now()
    sighting = _build_sighting(
        station=station,
        source=SightingSource.PUBLIC,
        data=data,
        received_at=now,
        received_by=None,
        photo=photo,
    )
    sighting.save()
    audit_create(
        actor=None,
        obj=sighting,
        organisation=station,
        summary=f"群众发现报告 {sighting.number}：{sighting.place}",
    )
    return sighting


@transaction.atomic
def sighting_create(
    *,
    by,
    station: Organisation,
    source: str,
    data: dict[str, Any],
    received_at: datetime.datetime | None = None,
    photo=None,
) -> Sighting:
    """Staff take a report by phone (110, 12345, hotline, volunteers …); the station owns it (首接责任制)."""
    require_sighting_handler(by, station)
    received_at = _moment(received_at or timezone.now(), "received_at", "接报时间")
    if received_at < timezone.now() - OFFLINE_WINDOW:
        raise ValidationError({"received_at": "接报时间过早（超过7天），请核对。"})
    sighting = _build_sighting(
        station=station, source=source, data=data, received_at=received_at, received_by=by, photo=photo
    )
    sighting.save()
    audit_create(
        actor=by,
        obj=sighting,
        organisation=station,
        summary=f"接报发现报告 {sighting.number}（{sighting.get_source_display()}）：{sighting.place}",
    )
    return sighting


def _locked(sighting: Sighting) -> Sighting:
    return Sighting.objects.select_for_update(of=("self",)).select_related("station").get(pk=sighting.pk)


def _move(sighting: Sighting, to: str) -> None:
    if to not in SIGHTING_TRANSITIONS[SightingStatus(sighting.status)]:
        raise ValidationError(
            f"该报告当前为“{sighting.get_status_display()}”，不能改为“{SightingStatus(to).label}”。"
        )


@transaction.atomic
def sighting_dispatch(*, by, sighting: Sighting, team: str, at: datetime.datetime | None = None) -> Sighting:
    """Send a patrol (deadline P1: within 1 hour of receipt)."""
    sighting = _locked(sighting)
    require_sighting_handler(by, sighting.station)
    _move(sighting, SightingStatus.DISPATCHED)
    team = (team or "").strip()
    if not team:
        raise ValidationError({"dispatched_to": "请填写派出的巡查组或人员。"})
    at = _moment(
        at or timezone.now(),
        "dispatched_at",
        "派出时间",
        not_before=sighting.received_at,
        not_before_label="接报时间",
    )
    before = snapshot(sighting)
    sighting.status, sighting.dispatched_at, sighting.dispatched_to = SightingStatus.DISPATCHED, at, team
    _clean(sighting, exclude=["station", "received_by", "photo", "episode"])
    sighting.save()
    audit_update(
        actor=by,
        obj=sighting,
        before=before,
        organisation=sighting.station,
        summary=f"派出巡查 {sighting.number} → {team}",
    )
    return sighting


@transaction.atomic
def sighting_arrive(*, by, sighting: Sighting, at: datetime.datetime | None = None) -> Sighting:
    """The patrol reached the place (deadline P1a: within 2 hours of dispatch)."""
    sighting = _locked(sighting)
    require_sighting_handler(by, sighting.station)
    _move(sighting, SightingStatus.ARRIVED)
    at = _moment(
        at or timezone.now(),
        "arrived_at",
        "到场时间",
        not_before=sighting.dispatched_at,
        not_before_label="派出时间",
    )
    before = snapshot(sighting)
    sighting.status, sighting.arrived_at = SightingStatus.ARRIVED, at
    sighting.save()
    audit_update(
        actor=by,
        obj=sighting,
        before=before,
        organisation=sighting.station,
        summary=f"到场 {sighting.number}",
    )
    return sighting


@transaction.atomic
def sighting_close(
    *, by, sighting: Sighting, outcome: str, note: str = "", episode=None, at: datetime.datetime | None = None
) -> Sighting:
    """Record the outcome (deadline P1c: handled within 24 hours); 已登记求助 links the intake episode."""
    sighting = _locked(sighting)
    require_sighting_handler(by, sighting.station)
    _move(sighting, SightingStatus.CLOSED)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "请选择处置结果。"})
    start = sighting.arrived_at or sighting.dispatched_at or sighting.received_at
    at = _moment(
        at or timezone.now(), "closed_at", "处置完毕时间", not_before=start, not_before_label="上一步时间"
    )
    if outcome == Outcome.BROUGHT_IN:
        if episode is None:
            raise ValidationError({"episode": "“已登记求助”须选择对应的求助登记。"})
        if episode.station_id != sighting.station_id:
            raise ValidationError({"episode": "只能关联本机构的求助登记。"})
    elif episode is not None:
        raise ValidationError({"episode": "只有“已登记求助”才关联求助登记。"})
    if outcome == Outcome.OTHER and not (note or "").strip():
        raise ValidationError({"outcome_note": "选择“其他”时请写明处置情况。"})
    before = snapshot(sighting)
    sighting.status, sighting.closed_at, sighting.outcome = SightingStatus.CLOSED, at, outcome
    sighting.outcome_note, sighting.episode = (note or "").strip(), episode
    _clean(sighting, exclude=["station", "received_by", "photo", "episode"])
    sighting.save()
    audit_update(
        actor=by,
        obj=sighting,
        before=before,
        organisation=sighting.station,
        person_uuid=episode.person.uuid if episode else None,
        summary=f"处置完毕 {sighting.number}：{sighting.get_outcome_display()}",
    )
    return sighting


@transaction.atomic
def sighting_hand_over(*, by, sighting: Sighting, to_station: Organisation, reason: str) -> SightingHandover:
    """A formal handover to another station (首接责任制: only this ends the first station's ownership)."""
    sighting = _locked(sighting)
    require_sighting_handler(by, sighting.station)
    if sighting.status == SightingStatus.CLOSED:
        raise ValidationError("已处置完毕的报告不能再移交。")
    if to_station is None or to_station.kind not in STATION_KINDS or not to_station.is_active:
        raise ValidationError({"to_station": "请选择接收的救助管理机构。"})
    if to_station.pk == sighting.station_id:
        raise ValidationError({"to_station": "不能移交给本机构。"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写移交原因。"})
    handover = SightingHandover(
        sighting=sighting,
        from_station=sighting.station,
        to_station=to_station,
        at=timezone.now(),
        by=by,
        reason=reason,
    )
    _clean(handover, exclude=["sighting", "from_station", "to_station", "by"])
    handover.save()
    before = snapshot(sighting)
    sighting.previous_stations.add(sighting.station)
    sighting.station = to_station
    sighting.save()
    audit_update(
        actor=by,
        obj=sighting,
        before=before,
        organisation=to_station,
        summary=f"移交发现报告 {sighting.number}：{handover.from_station} → {to_station}（{reason}）",
    )
    return handover


# --- hot spots and campaigns (rule P3) -------------------------------------------------------------------


@transaction.atomic
def hot_spot_save(
    *, by, organisation: Organisation, data: dict[str, Any], hot_spot: HotSpot | None = None
) -> HotSpot:
    """Add or change a hot spot in the county register of ``organisation``."""
    if not (may_run_campaigns(by, organisation) or may_handle_sightings(by, organisation)):
        raise PermissionDenied("您不能修改该机构的重点区域名录。")
    if hot_spot is not None and hot_spot.organisation_id != organisation.pk:
        raise PermissionDenied("该重点区域不属于本机构。")
    county = data.get("county")
    if not isinstance(county, Division) or county.level != DivisionLevel.COUNTY:
        raise ValidationError({"county": "请选择所在县（区）。"})
    if data.get("kind") not in HotSpotKind.values:
        raise ValidationError({"kind": "请选择类型。"})
    if not _text(data, "name"):
        raise ValidationError({"name": "请填写名称。"})
    lat, lng = clean_coordinates(data.get("latitude"), data.get("longitude"))
    creating = hot_spot is None
    before = {} if creating else snapshot(hot_spot)
    spot = hot_spot or HotSpot(organisation=organisation)
    spot.county, spot.kind, spot.name = county, data["kind"], _text(data, "name")
    spot.address, spot.latitude, spot.longitude = _text(data, "address"), lat, lng
    spot.is_active = bool(data.get("is_active", True))
    _clean(spot, exclude=["organisation", "county"])
    try:
        with transaction.atomic():
            spot.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "本机构已登记同名的重点区域。"}) from exc
    if creating:
        audit_create(actor=by, obj=spot, organisation=organisation, summary=f"登记重点区域 {spot.name}")
    else:
        audit_update(
            actor=by, obj=spot, before=before, organisation=organisation, summary=f"修改重点区域 {spot.name}"
        )
    return spot


def _in_season(kind: str, day: datetime.date) -> bool:
    first, last = CAMPAIGN_MONTHS[kind]
    return first <= day.month <= last if first <= last else (day.month >= first or day.month <= last)


@transaction.atomic
def campaign_create(
    *,
    by,
    organisation: Organisation,
    kind: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    note: str = "",
) -> Campaign:
    """Configure a campaign period (rule P3): 夏季送清凉 within July–September, 寒冬送温暖 within November–March."""
    if not may_run_campaigns(by, organisation):
        raise PermissionDenied("只有站长或系统管理员可以设置专项救助行动。")
    if kind not in CAMPAIGN_MONTHS:
        raise ValidationError({"kind": "请选择专项行动。"})
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise ValidationError({"ends_on": "结束日期不能早于开始日期。"})
    if (ends_on - starts_on).days > 183:
        raise ValidationError({"ends_on": "一次专项行动不超过半年。"})
    label = dict(Campaign._meta.get_field("kind").choices)[kind]
    for day in (starts_on, ends_on):
        if not _in_season(kind, day):
            first, last = CAMPAIGN_MONTHS[kind]
            raise ValidationError({"starts_on": f"“{label}”应在{first}月至{last}月之间（规则P3）。"})
    if Campaign.objects.filter(
        organisation=organisation, kind=kind, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).exists():
        raise ValidationError({"starts_on": f"本机构在该期间已有“{label}”行动。"})
    campaign = Campaign(
        organisation=organisation, kind=kind, starts_on=starts_on, ends_on=ends_on, note=(note or "").strip()
    )
    _clean(campaign, exclude=["organisation"])
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError as exc:
        raise ValidationError({"starts_on": f"本机构在该日期已有“{label}”行动。"}) from exc
    audit_create(actor=by, obj=campaign, organisation=organisation, summary=f"设置专项救助行动：{campaign}")
    return campaign


@transaction.atomic
def weather_alert_issue(
    *, by, campaign: Campaign, weather: str, note: str = "", issued_at: datetime.datetime | None = None
) -> WeatherAlert:
    """An extreme-weather alert turns into a patrol task for every active hot spot of the organisation's
    register (rule P3; deadline P3: each covered within 12 hours)."""
    if not may_run_campaigns(by, campaign.organisation):
        raise PermissionDenied("只有站长或系统管理员可以发布极端天气预警。")
    issued_at = _moment(issued_at or timezone.now(), "issued_at", "预警时间")
    day = timezone.localtime(issued_at).date()
    if not (campaign.starts_on <= day <= campaign.ends_on):
        raise ValidationError({"issued_at": "预警时间不在该专项行动期间。"})
    weather = (weather or "").strip()
    if not weather:
        raise ValidationError({"weather": "请填写天气情况（如：寒潮蓝色预警）。"})
    spots = list(HotSpot.objects.filter(organisation=campaign.organisation, is_active=True))
    if not spots:
        raise ValidationError(
            "本机构尚未登记重点区域，无法生成巡查任务；请先登记桥梁涵洞、地下通道等重点区域。"
        )
    alert = WeatherAlert(
        campaign=campaign, issued_at=issued_at, weather=weather, note=(note or "").strip(), issued_by=by
    )
    _clean(alert, exclude=["campaign", "issued_by"])
    alert.save()
    PatrolTask.objects.bulk_create([PatrolTask(alert=alert, hot_spot=s) for s in spots])
    audit_create(
        actor=by,
        obj=alert,
        organisation=campaign.organisation,
        summary=f"极端天气预警：{weather}，生成 {len(spots)} 个重点区域巡查任务",
    )
    return alert


def _cover_tasks(patrol: Patrol, spots) -> int:
    """Mark open tasks of alerts issued before the patrol as covered by it."""
    open_tasks = PatrolTask.objects.filter(
        hot_spot__in=spots,
        covered_at__isnull=True,
        alert__issued_at__lte=patrol.ended_at or patrol.started_at,
    )
    return open_tasks.update(covered_by=patrol, covered_at=patrol.ended_at or patrol.started_at)


# --- patrols and encounters (rule P2), offline-safe ------------------------------------------------------


def _spots_for(organisation: Organisation, spots) -> list[HotSpot]:
    """Hot spots a patrol may cover: its own organisation's, or those of the stations and departments it sees."""
    spots = list(spots or [])
    for s in spots:
        if not s.is_active:
            raise ValidationError({"hot_spots": f"重点区域“{s.name}”已停用。"})
    return spots


@transaction.atomic
def patrol_record(
    *, by, organisation: Organisation, data: dict[str, Any], hot_spots=(), client_uuid=None
) -> Patrol:
    """Start (or record after the fact) a patrol. ``client_uuid`` from a phone makes a resend harmless:
    the second copy raises :class:`Duplicate` and nothing is saved."""
    require_patrol(by, organisation)
    if client_uuid is not None:
        existing = Patrol.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            raise Duplicate(existing)
    now = timezone.now()
    started_at = _moment(data.get("started_at") or now, "started_at", "开始时间")
    if started_at < now - OFFLINE_WINDOW:
        raise ValidationError({"started_at": "开始时间过早（超过7天），请核对。"})
    ended_at = data.get("ended_at")
    if ended_at is not None:
        ended_at = _moment(
            ended_at, "ended_at", "结束时间", not_before=started_at, not_before_label="开始时间"
        )
    if not _text(data, "team"):
        raise ValidationError({"team": "请填写巡查组或人员。"})
    patrol = Patrol(
        organisation=organisation,
        client_uuid=client_uuid,
        team=_text(data, "team"),
        route=_text(data, "route"),
        started_at=started_at,
        ended_at=ended_at,
        note=_text(data, "note"),
        recorded_by=by,
    )
    _clean(patrol, exclude=["organisation", "recorded_by", "client_uuid"])
    spots = _spots_for(organisation, hot_spots)
    try:
        with transaction.atomic():
            patrol.save()
    except IntegrityError as exc:  # the same entry arriving twice at once
        raise Duplicate(Patrol.objects.filter(client_uuid=client_uuid).first()) from exc
    if spots:
        patrol.hot_spots.set(spots)
        _cover_tasks(patrol, spots)
    # M2M in the same entry, written once: the audit chain never sees an entry change after it is written.
    changes = {k: [None, v] for k, v in snapshot(patrol).items() if v not in (None, "", [], {})}
    if spots:
        changes["hot_spots"] = [None, [str(s) for s in spots]]
    audit(actor=by, action=AuditAction.CREATE, obj=patrol, organisation=organisation, summary=f"巡查：{patrol.team}",
          changes=changes)
    return patrol


@transaction.atomic
def patrol_end(*, by, patrol: Patrol, ended_at: datetime.datetime | None = None, hot_spots=None) -> Patrol:
    """End the shift, with the hot spots covered; ending twice is a duplicate (an offline resend)."""
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    require_patrol(by, patrol.organisation)
    if patrol.ended_at is not None:
        raise Duplicate(patrol)
    ended_at = _moment(
        ended_at or timezone.now(),
        "ended_at",
        "结束时间",
        not_before=patrol.started_at,
        not_before_label="开始时间",
    )
    before = snapshot(patrol)
    before_spots = sorted(str(s) for s in patrol.hot_spots.all())
    patrol.ended_at = ended_at
    patrol.save()
    spots = None
    if hot_spots is not None:
        spots = _spots_for(patrol.organisation, hot_spots)
        patrol.hot_spots.add(*spots)
    _cover_tasks(patrol, list(patrol.hot_spots.all()))
    changes = diff(before, snapshot(patrol, before.keys()))
    after_spots = sorted(str(s) for s in patrol.hot_spots.all())
    if after_spots != before_spots:
        changes["hot_spots"] = [before_spots, after_spots]
    audit(actor=by, action=AuditAction.UPDATE, obj=patrol, organisation=patrol.organisation,
          summary=f"结束巡查：{patrol.team}", changes=changes)
    return patrol


@transaction.atomic
def encounter_record(
    *,
    by,
    patrol: Patrol,
    data: dict[str, Any],
    client_uuid=None,
    sighting: Sighting | None = None,
    hot_spot: HotSpot | None = None,
) -> Encounter:
    """One person met on a patrol and what was done (rule P2: the outcome must suit the person's group)."""
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    require_patrol(by, patrol.organisation)
    if client_uuid is not None:
        existing = Encounter.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            raise Duplicate(existing)
    group, outcome = data.get("group"), data.get("outcome")
    errors = {}
    if group not in Group.values:
        errors["group"] = "请选择人员类别。"
    if outcome not in Outcome.values:
        errors["outcome"] = "请选择处置方式。"
    if not errors and outcome not in GROUP_OUTCOMES[Group(group)]:
        allowed = "、".join(Outcome(o).label for o in sorted(GROUP_OUTCOMES[Group(group)]))
        errors["outcome"] = f"{Group(group).label}应：{allowed}（规则P2）。"
    if not _text(data, "place"):
        errors["place"] = "请填写地点。"
    if not _text(data, "description"):
        errors["description"] = "请填写人员情况。"
    if errors:
        raise ValidationError(errors)
    met_at = _moment(
        data.get("met_at") or timezone.now(),
        "met_at",
        "发现时间",
        not_before=patrol.started_at,
        not_before_label="巡查开始时间",
    )
    if patrol.ended_at and met_at > patrol.ended_at + CLOCK_SLACK:
        raise ValidationError({"met_at": "发现时间不能晚于巡查结束时间。"})
    if sighting is not None and sighting.station_id != patrol.organisation_id:
        raise ValidationError({"sighting": "只能关联本机构负责的发现报告。"})
    lat, lng = clean_coordinates(data.get("latitude"), data.get("longitude"))
    age = data.get("age_guess")
    if age is not None and not (0 <= int(age) <= 120):
        raise ValidationError({"age_guess": "估计年龄应在0至120之间。"})
    encounter = Encounter(
        patrol=patrol,
        client_uuid=client_uuid,
        met_at=met_at,
        place=_text(data, "place"),
        latitude=lat,
        longitude=lng,
        hot_spot=hot_spot,
        group=group,
        sex=_text(data, "sex"),
        age_guess=age,
        description=_text(data, "description"),
        outcome=outcome,
        sighting=sighting,
    )
    _clean(encounter, exclude=["patrol", "client_uuid", "hot_spot", "sighting", "episode"])
    try:
        with transaction.atomic():
            encounter.save()
    except IntegrityError as exc:
        raise Duplicate(Encounter.objects.filter(client_uuid=client_uuid).first()) from exc
    audit_create(
        actor=by,
        obj=encounter,
        organisation=patrol.organisation,
        summary=f"巡查发现：{encounter.get_group_display()}，{encounter.get_outcome_display()}（{encounter.place}）",
    )
    return encounter


@transaction.atomic
def encounter_link_episode(*, by, encounter: Encounter, episode) -> Encounter:
    """The person met came in: link the intake (求助登记) of the patrol's own station."""
    encounter = (
        Encounter.objects.select_for_update(of=("self",))
        .select_related("patrol__organisation")
        .get(pk=encounter.pk)
    )
    require_patrol(by, encounter.patrol.organisation)
    if episode is None or episode.station_id != encounter.patrol.organisation_id:
        raise ValidationError({"episode": "只能关联本机构的求助登记。"})
    if episode.requested_at < encounter.met_at - CLOCK_SLACK:
        raise ValidationError({"episode": "求助登记早于巡查发现时间，不是这次发现的人员。"})
    before = snapshot(encounter)
    encounter.episode = episode
    encounter.save()
    audit_update(
        actor=by,
        obj=encounter,
        before=before,
        organisation=encounter.patrol.organisation,
        person_uuid=episode.person.uuid,
        summary=f"巡查发现人员已登记求助：{episode.number}",
    )
    return encounter
