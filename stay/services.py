"""Every write of the stay app: zones, beds, bed assignments, placements and N5 reasons.

Each function validates, writes and audits in one transaction; state changes of the episode go
through people.services.episode_transition.
"""

import datetime
import io

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_create, audit_update, snapshot
from core.models import STATION_KINDS, Organisation, OrgKind, Role
from people.models import Episode, Sex
from people.services import episode_transition
from people.states import EpisodeStatus
from stay.models import (
    Bed,
    BedAssignment,
    CareAssignment,
    Placement,
    PlacementKind,
    SearchRefresh,
    SexRestriction,
    StayExtension,
    Zone,
    ZoneCategory,
)

#: Zone categories that fix the sex restriction (rule N4: men and women housed apart).
CATEGORY_SEX = {ZoneCategory.MEN: SexRestriction.MALE, ZoneCategory.WOMEN: SexRestriction.FEMALE}
PLACEMENT_ORG_KIND = {PlacementKind.HOSPITAL: OrgKind.HOSPITAL, PlacementKind.OUTSIDE_CARE: OrgKind.CARE_FACILITY}
IN_CARE_STATES = (EpisodeStatus.ADMITTED, EpisodeStatus.IN_STATION, EpisodeStatus.IN_HOSPITAL,
                  EpisodeStatus.OUTSIDE_CARE)
PLACEMENT_STATUS = {PlacementKind.HOSPITAL: EpisodeStatus.IN_HOSPITAL,
                    PlacementKind.OUTSIDE_CARE: EpisodeStatus.OUTSIDE_CARE}


def _fmt(at: datetime.datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def _check_time(at: datetime.datetime, episode: Episode, field: str, label: str) -> None:
    """Impossible dates: in the future, or before the person entered the station."""
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({field: f"{label}不能晚于当前时间。"})
    if episode.admitted_at and at < episode.admitted_at:
        raise ValidationError({field: f"{label}不能早于入站时间（{_fmt(episode.admitted_at)}）。"})


# --- zones and beds ---------------------------------------------------------------------------


@transaction.atomic
def zone_create(*, by, station: Organisation, name: str, category: str, sex_restriction: str = SexRestriction.ANY,
                note: str = "") -> Zone:
    """Create a care zone (rule C1); men's and women's zones are restricted to that sex (rule N4)."""
    name = (name or "").strip()
    errors = {}
    if station.kind not in STATION_KINDS:
        errors["station"] = "只有救助管理机构可以设置照料区域。"
    if not name:
        errors["name"] = "请填写区域名称。"
    elif Zone.objects.filter(station=station, name=name).exists():
        errors["name"] = f"本机构已有名为“{name}”的区域。"
    if category not in ZoneCategory.values:
        errors["category"] = "请选择区域类别。"
    fixed = CATEGORY_SEX.get(category)
    if fixed and sex_restriction not in (fixed, SexRestriction.ANY, ""):
        errors["sex_restriction"] = f"{ZoneCategory(category).label}只能安置{fixed}性（规则 N4：男女分区）。"
    if sex_restriction and sex_restriction not in SexRestriction.values:
        errors["sex_restriction"] = "性别限制不正确。"
    if errors:
        raise ValidationError(errors)
    zone = Zone.objects.create(station=station, name=name, category=category,
                               sex_restriction=fixed or sex_restriction or SexRestriction.ANY, note=note)
    audit_create(actor=by, obj=zone, summary=f"新增照料区域 {zone.name}", organisation=station)
    return zone


@transaction.atomic
def beds_create(*, by, zone: Zone, codes: list[str]) -> list[Bed]:
    """Add beds to a zone; every code must be new in the zone."""
    codes = [c.strip() for c in codes if c and c.strip()]
    if not codes:
        raise ValidationError({"codes": "请填写至少一个床位号。"})
    if len(set(codes)) != len(codes):
        raise ValidationError({"codes": "床位号有重复。"})
    too_long = [c for c in codes if len(c) > 20]
    if too_long:
        raise ValidationError({"codes": f"床位号过长（最多20个字符）：{too_long[0]}"})
    taken = list(Bed.objects.filter(zone=zone, code__in=codes).values_list("code", flat=True))
    if taken:
        raise ValidationError({"codes": f"该区域已有床位：{'、'.join(sorted(taken))}"})
    beds = [Bed.objects.create(zone=zone, code=code) for code in codes]
    for bed in beds:
        audit_create(actor=by, obj=bed, summary=f"新增床位 {zone.name} {bed.code}", organisation=zone.station)
    return beds


@transaction.atomic
def bed_set_active(*, by, bed: Bed, is_active: bool) -> Bed:
    """Take a bed out of use (or back); an occupied bed cannot be taken out of use."""
    if not is_active and bed.assignments.filter(released_at__isnull=True).exists():
        raise ValidationError("该床位有人入住，不能停用。请先调整床位。")
    before = snapshot(bed, ["is_active"])
    bed.is_active = is_active
    bed.save(update_fields=["is_active", "updated_at"])
    audit_update(actor=by, obj=bed, before=before, summary=f"{'启用' if is_active else '停用'}床位 {bed}",
                 organisation=bed.zone.station)
    return bed


# --- bed assignment -------------------------------------------------------------------------


def open_assignment(episode: Episode) -> BedAssignment | None:
    return episode.bed_assignments.select_related("bed__zone").filter(released_at__isnull=True).first()


def _check_zone_fit(*, episode: Episode, bed: Bed, housed_as: str, zone_reason: str, at: datetime.datetime) -> str:
    """Rules N4 (men and women apart) and I8/C1 (minors in the minors' zone). Returns the sex housed as."""
    person = episode.person
    zone = bed.zone
    sex = person.sex or housed_as
    if housed_as and person.sex and housed_as != person.sex:
        raise ValidationError({"housed_as": "已登记性别的人员按登记性别安置。"})
    if zone.sex_restriction != SexRestriction.ANY:
        if not sex:
            raise ValidationError({"housed_as": f"该人员性别不详，安排到{zone.name}前请选择按何种性别安置（规则 N4）。"})
        if sex != zone.sex_restriction:
            raise ValidationError({"bed": f"{zone.name}仅限{zone.sex_restriction}性，不能安排{sex}性人员（规则 N4：男女分区）。"})
    if housed_as and housed_as not in (Sex.MALE, Sex.FEMALE):
        raise ValidationError({"housed_as": "安置性别只能选择男或女。"})
    age = person.age_on(timezone.localtime(at).date())
    minor = person.is_minor if age is None else age < 18
    if zone.category == ZoneCategory.MINORS and not minor:
        raise ValidationError({"bed": "成年人不能安排在未成年人区（规则 I8/C1）。"})
    if minor and zone.category != ZoneCategory.MINORS and not zone_reason.strip():
        raise ValidationError({"zone_reason": "未成年人应安排在未成年人区；安排在其他区域时请填写原因（规则 I8/C1）。"})
    return sex if not person.sex else ""


def _assign(*, by, episode: Episode, bed: Bed, at: datetime.datetime, housed_as: str, zone_reason: str) -> BedAssignment:
    bed = Bed.objects.select_for_update().select_related("zone").get(pk=bed.pk)
    if bed.zone.station_id != episode.station_id:
        raise ValidationError({"bed": "只能安排本机构的床位。"})
    if not (bed.is_active and bed.zone.is_active):
        raise ValidationError({"bed": "该床位已停用。"})
    current = open_assignment(episode)
    if current:
        raise ValidationError({"bed": f"该人员已有床位（{current.bed}），一人只能占用一张床位；请先退床或调床。"})
    if bed.assignments.filter(released_at__isnull=True).exists():
        raise ValidationError({"bed": f"床位 {bed} 已有人入住，一张床位只能安排一人。"})
    housed = _check_zone_fit(episode=episode, bed=bed, housed_as=housed_as, zone_reason=zone_reason, at=at)
    try:
        with transaction.atomic():
            assignment = BedAssignment.objects.create(episode=episode, bed=bed, assigned_at=at, assigned_by=by,
                                                      housed_as=housed, zone_reason=zone_reason.strip()[:300])
    except IntegrityError as exc:  # a concurrent assignment won the race
        raise ValidationError({"bed": "床位已被占用或该人员已有床位，请刷新后重试。"}) from exc
    audit_create(actor=by, obj=assignment, summary=f"{episode.number} 安排床位 {bed}", organisation=episode.station,
                 person_uuid=episode.person.uuid)
    return assignment


@transaction.atomic
def bed_assign(*, by, episode: Episode, bed: Bed, at: datetime.datetime | None = None, housed_as: str = "",
               zone_reason: str = "") -> BedAssignment:
    """Give a person in the station a bed; an admitted episode moves to 在站 (IN_STATION)."""
    at = at or timezone.now()
    episode = Episode.objects.select_related("person").get(pk=episode.pk)
    # Back from emergency care sent at the initial check (rule I3), with no placement to close: a bed.
    back_from_emergency = (episode.status == EpisodeStatus.IN_HOSPITAL
                           and not episode.placements.filter(ended_at__isnull=True).exists())
    if episode.status not in (EpisodeStatus.ADMITTED, EpisodeStatus.IN_STATION) and not back_from_emergency:
        raise ValidationError(f"当前状态为“{episode.status_label}”，只有已入站或在站人员可以安排床位；"
                              "送医或托养人员请办理返站。")
    _check_time(at, episode, "assigned_at", "入住时间")
    assignment = _assign(by=by, episode=episode, bed=bed, at=at, housed_as=housed_as, zone_reason=zone_reason)
    if episode.status != EpisodeStatus.IN_STATION:
        episode_transition(by=by, episode=episode, to=EpisodeStatus.IN_STATION, at=at, note=f"安排床位 {bed}")
    return assignment


@transaction.atomic
def bed_move(*, by, episode: Episode, bed: Bed, at: datetime.datetime | None = None, housed_as: str = "",
             zone_reason: str = "") -> BedAssignment:
    """Move a person in the station from their bed to another in one step: the old assignment is released and
    the new one made at the same moment, with the same checks as an assignment (rules N4, I8/C1)."""
    at = at or timezone.now()
    episode = Episode.objects.select_related("person").get(pk=episode.pk)
    current = open_assignment(episode)
    if episode.status != EpisodeStatus.IN_STATION or current is None:
        raise ValidationError("只有在站且已有床位的人员可以调床；未安排床位的请先安排床位。")
    if bed is None:
        raise ValidationError({"bed": "请选择新的床位。"})
    if current.bed_id == bed.pk:
        raise ValidationError({"bed": "新床位与现床位相同。"})
    _check_time(at, episode, "assigned_at", "调床时间")
    _release(by=by, assignment=current, at=at, note=f"调至 {bed}")
    return _assign(by=by, episode=episode, bed=bed, at=at, housed_as=housed_as or current.housed_as,
                   zone_reason=zone_reason or current.zone_reason)


def _release(*, by, assignment: BedAssignment, at: datetime.datetime, note: str) -> BedAssignment:
    if at < assignment.assigned_at:
        raise ValidationError({"released_at": f"退床时间不能早于入住时间（{_fmt(assignment.assigned_at)}）。"})
    before = snapshot(assignment, ["released_at", "released_by", "release_note"])
    assignment.released_at = at
    assignment.released_by = by
    assignment.release_note = note[:200]
    assignment.save(update_fields=["released_at", "released_by", "release_note", "updated_at"])
    audit_update(actor=by, obj=assignment, before=before, summary=f"{assignment.episode.number} 退床 {assignment.bed}",
                 organisation=assignment.episode.station, person_uuid=assignment.episode.person.uuid)
    return assignment


@transaction.atomic
def bed_release(*, by, episode: Episode, at: datetime.datetime | None = None, note: str = "") -> BedAssignment | None:
    """Free the episode's bed (if any). Called by placements and by leaving; returns the closed assignment."""
    at = at or timezone.now()
    current = open_assignment(episode)
    if current is None:
        return None
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"released_at": "退床时间不能晚于当前时间。"})
    return _release(by=by, assignment=current, at=at, note=note)


# --- placements -----------------------------------------------------------------------------


@transaction.atomic
def placement_start(*, by, episode: Episode, kind: str, organisation: Organisation,
                    started_at: datetime.datetime | None = None, agreement_ref: str = "", note: str = "",
                    agreement=None) -> Placement:
    """Send to a designated hospital (→ 送医) or place in outside care (→ 站外托养).

    Rule C5: outside care only under an agreement (``outsidecare.Agreement``) between the station and the
    facility in force at the start date, and within its capacity — ``agreement`` names it, else the one in
    force is found (``agreement_ref`` may name it by number). The bed is released; an open placement elsewhere
    (e.g. hospital before outside care) is ended.
    """
    started_at = started_at or timezone.now()
    episode = Episode.objects.select_related("person").get(pk=episode.pk)
    errors = {}
    if kind not in PlacementKind.values:
        raise ValidationError({"kind": "请选择送医或站外托养。"})
    expected = PLACEMENT_ORG_KIND[kind]
    if organisation is None or organisation.kind != expected:
        errors["organisation"] = f"请选择{OrgKind(expected).label}。"
    elif not organisation.is_active:
        errors["organisation"] = "该机构已停用。"
    if episode.status not in (EpisodeStatus.ADMITTED, EpisodeStatus.IN_STATION, EpisodeStatus.IN_HOSPITAL,
                              EpisodeStatus.OUTSIDE_CARE):
        errors["__all__"] = f"当前状态为“{episode.status_label}”，不能办理送医或站外托养。"
    try:
        _check_time(started_at, episode, "started_at", "开始时间")
    except ValidationError as exc:  # reported with the other mistakes, not on the next save
        errors.update({f: m[0] for f, m in exc.message_dict.items()})
    if kind == PlacementKind.OUTSIDE_CARE and "organisation" not in errors and "started_at" not in errors:
        from outsidecare.services import agreement_for_placement

        try:  # rule C5: an agreement in force at the start date, with room under its capacity (row locked)
            agreement = agreement_for_placement(station=episode.station, facility=organisation, at=started_at,
                                                agreement=agreement, agreement_ref=agreement_ref or "")
        except ValidationError as exc:
            errors.update({f: m[0] for f, m in exc.message_dict.items()})
    elif kind == PlacementKind.OUTSIDE_CARE:
        errors.setdefault("agreement", "站外托养必须在有效的托养协议下进行（规则 C5）。")
    if kind != PlacementKind.OUTSIDE_CARE:
        agreement = None
    if errors:
        raise ValidationError(errors)
    current = episode.placements.filter(ended_at__isnull=True).first()
    if current and current.organisation_id == organisation.pk and current.kind == kind:
        raise ValidationError({"organisation": f"该人员已在{organisation.name}{current.get_kind_display()}中。"})
    if current:
        _placement_close(by=by, placement=current, at=started_at, note=f"转至{organisation.name}")
    bed_release(by=by, episode=episode, at=started_at, note=PlacementKind(kind).label)
    placement = Placement.objects.create(episode=episode, kind=kind, organisation=organisation, started_at=started_at,
                                         agreement=agreement,
                                         agreement_ref=agreement.number if agreement else "",
                                         note=note.strip()[:300], started_by=by)
    if agreement is not None:
        from outsidecare.services import agreement_placed

        agreement_placed(agreement=agreement, at=started_at)
    audit_create(actor=by, obj=placement,
                 summary=f"{episode.number} {placement.get_kind_display()}：{organisation.name}",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    target = PLACEMENT_STATUS[kind]
    if episode.status != target:
        episode_transition(by=by, episode=episode, to=target, at=started_at,
                           note=f"{placement.get_kind_display()}：{organisation.name}")
    return placement


def _placement_close(*, by, placement: Placement, at: datetime.datetime, note: str) -> Placement:
    if at < placement.started_at:
        raise ValidationError({"ended_at": f"结束时间不能早于开始时间（{_fmt(placement.started_at)}）。"})
    before = snapshot(placement, ["ended_at", "ended_by", "end_note"])
    placement.ended_at = at
    placement.ended_by = by
    placement.end_note = note[:300]
    placement.save(update_fields=["ended_at", "ended_by", "end_note", "updated_at"])
    audit_update(actor=by, obj=placement, before=before,
                 summary=f"{placement.episode.number} 结束{placement.get_kind_display()}（{placement.organisation.name}）",
                 organisation=placement.episode.station, person_uuid=placement.episode.person.uuid)
    return placement


@transaction.atomic
def placement_return(*, by, placement: Placement, bed: Bed, ended_at: datetime.datetime | None = None,
                     housed_as: str = "", zone_reason: str = "", note: str = "") -> BedAssignment:
    """Bring a person back from hospital or outside care into the station (→ 在站), into a bed (rule C6)."""
    ended_at = ended_at or timezone.now()
    placement = Placement.objects.select_for_update().select_related("episode__person", "organisation").get(
        pk=placement.pk)
    episode = placement.episode
    if placement.ended_at is not None:
        raise ValidationError("该送医/托养记录已结束。")
    if bed is None:
        raise ValidationError({"bed": "返站时请安排床位。"})
    _check_time(ended_at, episode, "ended_at", "返站时间")
    _placement_close(by=by, placement=placement, at=ended_at, note=note or "返站")
    assignment = _assign(by=by, episode=episode, bed=bed, at=ended_at, housed_as=housed_as, zone_reason=zone_reason)
    episode_transition(by=by, episode=episode, to=EpisodeStatus.IN_STATION, at=ended_at,
                       note=f"自{placement.organisation.name}返站，床位 {bed}")
    return assignment


@transaction.atomic
def placements_close_for_episode(*, by, episode: Episode, at: datetime.datetime, note: str) -> list[Placement]:
    """End any open placement when the episode ends (leaving from hospital or outside care)."""
    return [_placement_close(by=by, placement=p, at=at, note=note)
            for p in episode.placements.select_related("organisation").filter(ended_at__isnull=True)]


def on_episode_closed(event) -> None:
    """Stay's part of the one closing path: an open hospital / outside-care placement ends, the bed is
    freed (occupancy, rule C3, counts only people still here) and the carer's assignment ends."""
    placements_close_for_episode(by=event.by, episode=event.episode, at=event.at, note=event.reason)
    bed_release(by=event.by, episode=event.episode, at=event.at, note=event.reason)
    for current in CareAssignment.objects.filter(episode=event.episode, ended_at__isnull=True):
        _care_end(by=event.by, assignment=current, at=event.at, reason=event.reason)


# --- rule N4: the responsible carer ------------------------------------------------------------


def n4_needs_female_carer(episode: Episode) -> bool:
    return episode.person.sex == Sex.FEMALE


def _care_end(*, by, assignment: CareAssignment, at: datetime.datetime, reason: str) -> None:
    before = snapshot(assignment, ["ended_at", "ended_reason"])
    assignment.ended_at, assignment.ended_reason = max(at, assignment.started_at), reason[:200]
    assignment.save(update_fields=["ended_at", "ended_reason", "updated_at"])
    audit_update(actor=by, obj=assignment, before=before, summary=f"{assignment.episode.number} 结束责任照料：{reason}",
                 organisation=assignment.episode.station, person_uuid=assignment.episode.person.uuid)


@transaction.atomic
def care_assign(*, by, episode: Episode, carer, carer_sex: str, reason: str = "",
                at: datetime.datetime | None = None) -> tuple[CareAssignment, str]:
    """Rule N4: name the staff member responsible for the person's care; the previous one ends. Women are
    cared for by female staff: assigning a carer not recorded as a woman to a woman is recorded with a
    warning (flag + reason required), since a station may have nobody else on duty. Returns the assignment
    and the warning ("" when none)."""
    at = at or timezone.now()
    episode = Episode.objects.select_related("person", "station").get(pk=episode.pk)
    errors = {}
    if episode.status not in IN_CARE_STATES:
        errors["__all__"] = "该人员已不在站，不能指派照料人员。"
    if carer is None or carer.organisation_id != episode.station_id or not carer.is_active:
        errors["carer"] = "请选择本机构在职的工作人员。"
    if carer_sex not in (Sex.MALE, Sex.FEMALE):
        errors["carer_sex"] = "请选择照料人员的性别（规则N4：女性受助人员由女性工作人员照料）。"
    reason = (reason or "").strip()
    warning = ""
    if not errors and n4_needs_female_carer(episode) and carer_sex != Sex.FEMALE:
        warning = f"{episode.person.name}为女性，应由女性工作人员照料（规则N4）；{carer}为男性工作人员。"
        if not reason:
            errors["reason"] = warning + "确需安排的，请写明原因。"
    if len(reason) > 200:
        errors["reason"] = "说明不能超过200字。"
    if errors:
        raise ValidationError(errors)
    _check_time(at, episode, "started_at", "开始时间")
    for current in CareAssignment.objects.select_for_update().filter(episode=episode, ended_at__isnull=True):
        if current.carer_id == carer.pk:
            raise ValidationError({"carer": f"{carer}已是该人员的责任照料人员。"})
        _care_end(by=by, assignment=current, at=at, reason=f"改由 {carer} 负责")
    assignment = CareAssignment.objects.create(episode=episode, carer=carer, carer_sex=carer_sex, started_at=at,
                                               assigned_by=by,
                                               n4_warning=bool(warning), n4_reason=reason if warning else "")
    audit_create(actor=by, obj=assignment,
                 summary=f"{episode.number} 指派责任照料人员 {carer}" + ("（非女性工作人员照料女性，规则N4）" if warning else ""),
                 organisation=episode.station, person_uuid=episode.person.uuid)
    return assignment, warning


# --- rule N5 --------------------------------------------------------------------------------


@transaction.atomic
def stay_extension_record(*, by, episode: Episode, reason: str) -> StayExtension:
    """Rule N5: record why a stay runs beyond the limit and report it to the department above — the
    station's supervising civil-affairs department, which sees it in its N5 list and acknowledges it."""
    reason = (reason or "").strip()
    errors = {}
    if episode.status not in (EpisodeStatus.ADMITTED, EpisodeStatus.IN_STATION, EpisodeStatus.IN_HOSPITAL,
                              EpisodeStatus.OUTSIDE_CARE):
        errors["__all__"] = "该人员已不在站，无需报告超期在站。"
    if len(reason) < 4:
        errors["reason"] = "请具体填写超期在站的原因（至少4个字，规则 N5）。"
    elif len(reason) > 2000:
        errors["reason"] = "超期在站原因不能超过2000字。"
    department = episode.station.supervisor
    if department is None or department.kind != OrgKind.CIVIL_AFFAIRS:
        errors["__all__"] = "本机构未设置上级民政部门，无法报送超期在站报告；请管理员先设置上级机构（规则 N5）。"
    if errors:
        raise ValidationError(errors)
    ext = StayExtension.objects.create(episode=episode, reason=reason, department=department,
                                       reported_at=timezone.now(), recorded_by=by)
    audit_create(actor=by, obj=ext, summary=f"{episode.number} 超期在站报告报送{department.name}（规则 N5）",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    return ext


#: Who in the department acknowledges an N5 report.
N5_ACK_ROLES = (Role.SUPERVISOR, Role.HEAD, Role.ADMIN)


@transaction.atomic
def stay_extension_acknowledge(*, by, extension: StayExtension, note: str = "") -> StayExtension:
    """Rule N5: the department above acknowledges (确认收悉) a station's report of a stay beyond the limit."""
    extension = StayExtension.objects.select_for_update(of=("self",)).select_related("episode__person", "department").get(
        pk=extension.pk)
    if not (by.is_superuser or (by.organisation_id == extension.department_id and by.has_role(*N5_ACK_ROLES))):
        raise PermissionDenied("只有接收报告的上级民政部门可以确认收悉。")
    if extension.acknowledged_at is not None:
        raise ValidationError("该报告已确认收悉。")
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": "部门意见不能超过300字。"})
    before = snapshot(extension, ["acknowledged_at", "acknowledged_by", "ack_note"])
    extension.acknowledged_at, extension.acknowledged_by, extension.ack_note = timezone.now(), by, note
    extension.save(update_fields=["acknowledged_at", "acknowledged_by", "ack_note", "updated_at"])
    audit_update(actor=by, obj=extension, before=before,
                 summary=f"{extension.episode.number} 超期在站报告已确认收悉（规则 N5）",
                 organisation=extension.department, person_uuid=extension.episode.person.uuid)
    return extension


def n5_limit_days() -> int:
    return int(settings.GUITU_RULES["N5_MAX_STAY_DAYS"])


#: Rule N5: the search information of anyone stranded over a month with identity unknown is refreshed monthly.
REFRESH_AFTER_MONTHS = 1


def _compare_now(*, by, person) -> str:
    """Ask whoever compares people (the matching app, through core.events) to compare the person now; the
    answer is recorded with the refresh. A failing engine is recorded too, and the refresh still stands."""
    import logging

    from core import events

    try:
        with transaction.atomic():  # a savepoint: a failing engine does not undo the photo or the record
            results = events.publish(events.PersonComparisonRequested(person=person, by=by))
    except (ValidationError, PermissionDenied):
        raise
    except Exception:  # the engine is another app's
        logging.getLogger(__name__).exception("comparison request for %s failed", person.pk)
        return "比对请求未完成，请稍后在寻亲页再次比对。"
    outcomes = [r for r in results if isinstance(r, str) and r]
    return ("；".join(outcomes) or "已提交比对。")[:200]


@transaction.atomic
def search_refresh_record(*, by, episode: Episode, refreshed_at: datetime.datetime | None = None, photo=None,
                          rematch: bool = False, republished: str = "", note: str = "",
                          dry_run: bool = False) -> SearchRefresh | None:
    """Rule N5: refresh the search information of a person stranded over a month whose identity is unknown —
    a new photo (stored through ``people.services.photo_add``), the comparison with missing-person reports and
    earlier files run again (``core.events.PersonComparisonRequested``), and/or the announcement published
    again (where and when). Every problem is reported at once; nothing is saved unless all is well.
    ``dry_run``: only check (the page runs it with a form that has errors, to show every mistake at once)."""
    from core.images import take_image
    from people.models import IdentityStatus
    from people.services import photo_add

    episode = Episode.objects.select_for_update(of=("self",)).select_related("person", "station").get(pk=episode.pk)
    now = timezone.now()
    at = refreshed_at or now
    republished = (republished or "").strip()
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if episode.status not in IN_CARE_STATES:
        err("__all__", "该人员已不在站，无需更新寻亲信息。")
    if episode.person.identity_status == IdentityStatus.IDENTIFIED:
        err("__all__", "该人员身份已查明，无需更新寻亲信息。")
    if photo is None and not rematch and not republished:
        err("__all__", "请至少做一项：上传新照片、重新比对或登记重新发布寻亲公告（规则N5）。")
    if at > now + datetime.timedelta(minutes=5):
        err("refreshed_at", "更新时间不能晚于当前时间。")
    elif episode.admitted_at and at < episode.admitted_at:
        err("refreshed_at", f"更新时间不能早于入站时间（{_fmt(episode.admitted_at)}）。")
    if len(republished) > 200:
        err("republished", "重新发布情况不能超过200个字符。")
    if len(note) > 2000:
        err("note", "说明不能超过2000个字符。")
    if photo is not None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        photo.seek(0)  # checked on a copy before anything is stored (take_image closes what it reads)
        photo = SimpleUploadedFile(getattr(photo, "name", "photo") or "photo", photo.read())
        try:
            take_image(io.BytesIO(photo.read()), field="photo", label="照片")
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if dry_run:
        return None

    previous = episode.search_refreshes.order_by("-refreshed_at", "-pk").first()
    if previous is not None and at < previous.refreshed_at:
        raise ValidationError({"refreshed_at": f"更新时间不能早于上一次更新（{_fmt(previous.refreshed_at)}）。"})
    stored = None
    if photo is not None:
        photo.seek(0)
        stored = photo_add(by=by, person=episode.person, image=photo, taken_on=timezone.localdate(at),
                           note="寻亲信息更新（规则N5）")
    match_result = _compare_now(by=by, person=episode.person) if rematch else ""
    refresh = SearchRefresh.objects.create(
        episode=episode, previous=previous, refreshed_at=at, photo=stored, photo_added=stored is not None,
        rematched=bool(rematch), match_result=match_result, republished=republished, note=note, recorded_by=by)
    done = "、".join(x for x in ("新照片" if stored else "", "重新比对" if rematch else "",
                                 f"重新发布公告（{republished}）" if republished else "") if x)
    audit_create(actor=by, obj=refresh, summary=f"{episode.number} 更新寻亲信息：{done}（规则N5）",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    return refresh
