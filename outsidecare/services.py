"""Every write of the outside-care app (rules C4, C5, C6). Each function validates, writes and audits in one
transaction; the placement itself is started and ended only by ``stay.services``."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_create, audit_update, snapshot
from core.images import take_document, take_image
from core.models import STATION_KINDS, Organisation, OrgKind
from outsidecare.models import (
    PREFERRED_TYPES,
    Agreement,
    BringBackItem,
    BringBackPlan,
    ConditionReport,
    FacilityReport,
    FacilityType,
    Half,
    PanelInspection,
    Posting,
    Visit,
    VisitKind,
    VisitPerson,
    VisitPhoto,
    end_of_day,
)
from oversight.services import audit_create_with, clean_text, not_future
from people.services import next_sequence
from stay.models import Placement, PlacementKind

#: Rule C5: a facility holding more than this many people has station staff posted there.
POSTING_THRESHOLD = 30
#: Photos one visit may carry.
MAX_PHOTOS = 12


def _errors_raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _merge(errors: dict, exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        errors.setdefault(field, messages[0])


# --- agreements ------------------------------------------------------------------------------------------


def _in_force_until(valid_to: datetime.date, terminated_on: datetime.date | None) -> datetime.datetime:
    if terminated_on is not None and terminated_on <= valid_to:
        return end_of_day(terminated_on - datetime.timedelta(days=1))
    return end_of_day(valid_to)


@transaction.atomic
def agreement_create(*, by, station: Organisation, facility: Organisation, facility_type: str, signed_on,
                     valid_from, valid_to, capacity, fee, document, type_reason: str = "",
                     fee_note: str = "") -> Agreement:
    """Record a signed outside-care agreement (rule C5): parties, period, capacity, fees, the signed document.
    Public welfare, elderly-care and psychiatric institutions are preferred; another kind needs a reason."""
    errors: dict[str, str] = {}
    if station is None or station.kind not in STATION_KINDS:
        errors["station"] = "甲方必须是救助管理机构。"
    if facility is None or facility.kind != OrgKind.CARE_FACILITY:
        errors["facility"] = "乙方必须是托养机构。"
    elif not facility.is_active:
        errors["facility"] = "该托养机构已停用。"
    if facility_type not in FacilityType.values:
        errors["facility_type"] = "请选择托养机构类别。"
    try:
        type_reason = clean_text(type_reason, 300, "type_reason", "选择理由")
        fee_note = clean_text(fee_note, 200, "fee_note", "费用说明")
    except ValidationError as exc:
        _merge(errors, exc)
    if facility_type == FacilityType.OTHER and not type_reason:
        errors["type_reason"] = ("站外托养应优先选择社会福利、养老或精神卫生机构；选择其他类别机构时请写明理由"
                                 "（规则 C5）。")
    today = timezone.localdate()
    for field, day, label in (("signed_on", signed_on, "签订日期"), ("valid_from", valid_from, "有效期起"),
                              ("valid_to", valid_to, "有效期止")):
        if day is not None and not 1990 <= day.year <= 2999:
            errors[field] = f"{label}不正确。"
    if errors:
        raise ValidationError(errors)
    if signed_on is None:
        errors["signed_on"] = "请填写签订日期。"
    elif signed_on > today:
        errors["signed_on"] = "签订日期不能晚于今天。"
    if valid_from is None or valid_to is None:
        errors["valid_to"] = "请填写协议有效期。"
    elif valid_to < valid_from:
        errors["valid_to"] = "有效期止不能早于有效期起。"
    elif (valid_to - valid_from).days > 366 * 5:
        errors["valid_to"] = "协议有效期不能超过5年。"
    try:
        capacity = int(capacity)
        if not 1 <= capacity <= 10000:
            raise ValueError
    except (TypeError, ValueError):
        errors["capacity"] = "约定托养人数上限应为1至10000之间的整数。"
    try:
        fee = Decimal(str(fee))
        if not (Decimal(0) <= fee < Decimal("100000000")) or fee != fee.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors["fee"] = "托养费用应为不小于0的金额（最多两位小数）。"
    clean = None
    if document is None:
        errors["document"] = "请上传签字盖章的协议文本（PDF或图片，规则 C5）。"
    else:
        try:
            clean = take_document(document, field="document", label="协议文本")
        except ValidationError as exc:
            _merge(errors, exc)
    _errors_raise(errors)
    year = valid_from.year
    agreement = Agreement(
        number=f"{station.code}-TY{year}-{next_sequence(f'outsidecare-agreement:{station.pk}:{year}'):03d}",
        station=station, facility=facility, facility_type=facility_type,
        type_reason=type_reason if facility_type not in PREFERRED_TYPES else "",
        signed_on=signed_on, valid_from=valid_from, valid_to=valid_to, capacity=capacity, fee=fee,
        fee_note=fee_note, in_force_until=_in_force_until(valid_to, None), created_by=by)
    agreement.document.save(f"agreement.{clean.ext}", clean.as_file("agreement"), save=False)
    agreement.save()
    audit_create(actor=by, obj=agreement, organisation=station,
                 summary=f"登记托养协议 {agreement.number}（{facility.name}，{valid_from}至{valid_to}，"
                         f"上限{capacity}人，规则C5）")
    return agreement


@transaction.atomic
def agreement_terminate(*, by, agreement: Agreement, on: datetime.date, reason: str) -> Agreement:
    """End an agreement early; people still placed under it must be moved or brought back first."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    reason = clean_text(reason, 200, "reason", "终止原因", required=True)
    if agreement.terminated_on is not None:
        raise ValidationError("该协议已终止。")
    if on is None or on < agreement.valid_from or on > agreement.valid_to:
        raise ValidationError({"on": f"终止日期应在协议有效期内（{agreement.valid_from}至{agreement.valid_to}）。"})
    if on > timezone.localdate() + datetime.timedelta(days=366):
        raise ValidationError({"on": "终止日期不正确。"})
    still = Placement.objects.filter(agreement=agreement, ended_at__isnull=True).count()
    if still:
        raise ValidationError(f"该协议下仍有 {still} 人在托养，请先办理返站或转至其他机构后再终止协议。")
    before = snapshot(agreement, ["terminated_on", "termination_reason", "in_force_until"])
    agreement.terminated_on = on
    agreement.termination_reason = reason
    agreement.in_force_until = _in_force_until(agreement.valid_to, on)
    agreement.save(update_fields=["terminated_on", "termination_reason", "in_force_until", "updated_at"])
    audit_update(actor=by, obj=agreement, before=before, organisation=agreement.station,
                 summary=f"托养协议 {agreement.number} 于 {on} 终止：{reason}")
    return agreement


def agreements_in_force(*, station: Organisation, facility: Organisation, on: datetime.date):
    """The station's agreements with ``facility`` in force on ``on`` (not a scoped read: the caller holds
    the station's episode)."""
    return (Agreement.objects.filter(station=station, facility=facility, valid_from__lte=on, valid_to__gte=on)
            .exclude(terminated_on__lte=on).order_by("-valid_from", "-pk"))


def open_count(agreement: Agreement) -> int:
    return Placement.objects.filter(agreement=agreement, ended_at__isnull=True).count()


@transaction.atomic
def agreement_for_placement(*, station: Organisation, facility: Organisation, at: datetime.datetime,
                            agreement: Agreement | None = None, agreement_ref: str = "") -> Agreement:
    """Rule C5: the agreement a new outside-care placement is made under — in force at the start date between
    the station and the facility, with room under its capacity. Locks the agreement's row, so two placements
    at once cannot both take the last place. Raises a ValidationError in Chinese otherwise."""
    day = timezone.localtime(at).date()
    candidates = agreements_in_force(station=station, facility=facility, on=day)
    if agreement is not None:
        candidates = candidates.filter(pk=agreement.pk)
    elif agreement_ref:
        candidates = candidates.filter(number=agreement_ref.strip())
    found = candidates.select_for_update().first()
    if found is None:
        if agreement is not None or agreement_ref:
            raise ValidationError({"agreement": f"所选托养协议在 {day} 不在有效期内，或不是本机构与{facility.name}"
                                                "签订的协议（规则 C5）。"})
        raise ValidationError({"agreement": f"本机构与{facility.name}没有在 {day} 有效的托养协议，不能办理站外"
                                            "托养；请先签订并登记托养协议（规则 C5）。"})
    placed = open_count(found)
    if placed >= found.capacity:
        raise ValidationError({"agreement": f"托养协议 {found.number} 约定上限 {found.capacity} 人，目前已托养 "
                                            f"{placed} 人，不能再安排（规则 C5）。"})
    return found


def agreement_placed(*, agreement: Agreement, at: datetime.datetime) -> None:
    """The first placement under an agreement starts its weekly visits and half-yearly inspections (C5)."""
    if agreement.first_placed_at is None or at < agreement.first_placed_at:
        Agreement.objects.filter(pk=agreement.pk).update(first_placed_at=at, updated_at=timezone.now())


# --- staff posted at large facilities (rule C5) ------------------------------------------------------------


def facility_headcount(facility: Organisation) -> int:
    """People in outside care at the facility now, from every station."""
    return Placement.objects.filter(organisation=facility, kind=PlacementKind.OUTSIDE_CARE,
                                    ended_at__isnull=True).count()


def posting_needed(agreement: Agreement) -> bool:
    """Rule C5: more than 30 people at the facility and none of the station's staff posted there."""
    return (facility_headcount(agreement.facility) > POSTING_THRESHOLD
            and not agreement.postings.filter(ended_at__isnull=True).exists())


@transaction.atomic
def posting_start(*, by, agreement: Agreement, staff, started_at: datetime.datetime | None = None,
                  note: str = "") -> Posting:
    """Post a station staff member at the facility (rule C5: facilities holding more than 30 people)."""
    started_at = not_future(started_at or timezone.now(), "started_at", "驻点开始时间")
    note = clean_text(note, 200, "note", "说明")
    if staff is None or staff.organisation_id != agreement.station_id or not staff.is_active:
        raise ValidationError({"staff": "请选择本机构在职的工作人员。"})
    if agreement.postings.filter(staff=staff, ended_at__isnull=True).exists():
        raise ValidationError({"staff": f"{staff}已在该机构驻点。"})
    try:
        with transaction.atomic():
            posting = Posting.objects.create(agreement=agreement, staff=staff, started_at=started_at, note=note,
                                             created_by=by)
    except IntegrityError as exc:
        raise ValidationError({"staff": f"{staff}已在该机构驻点。"}) from exc
    audit_create(actor=by, obj=posting, organisation=agreement.station,
                 summary=f"{staff} 驻点{agreement.facility.name}（规则C5）")
    return posting


@transaction.atomic
def posting_end(*, by, posting: Posting, ended_at: datetime.datetime | None = None) -> Posting:
    posting = Posting.objects.select_for_update().select_related("agreement__station", "agreement__facility").get(
        pk=posting.pk)
    if posting.ended_at is not None:
        raise ValidationError("该驻点已结束。")
    ended_at = not_future(ended_at or timezone.now(), "ended_at", "驻点结束时间")
    if ended_at < posting.started_at:
        raise ValidationError({"ended_at": "驻点结束时间不能早于开始时间。"})
    before = snapshot(posting, ["ended_at"])
    posting.ended_at = ended_at
    posting.save(update_fields=["ended_at", "updated_at"])
    audit_update(actor=by, obj=posting, before=before, organisation=posting.agreement.station,
                 summary=f"{posting.staff} 结束在{posting.agreement.facility.name}驻点")
    return posting


# --- visits (rules C4, C5) --------------------------------------------------------------------------------


@transaction.atomic
def visit_create(*, by, station: Organisation, organisation: Organisation, visited_at: datetime.datetime,
                 visitors: str, rows: list[dict], safety_ok: bool = True, safety: str = "", note: str = "",
                 photos: list | None = None, dry_run: bool = False) -> Visit | None:
    """Record a visit of station staff to a facility (rule C5: care, physical and mental condition of each
    person, the facility's safety, photos) or to a hospital (rule C4: condition and continued tracing).

    ``rows``: one dict per person seen — ``placement`` (an open placement of the station there at the
    visit), ``care``, ``physical``, ``mental``, ``tracing``. Every mistake is reported at once."""
    errors: dict[str, str] = {}
    photos = [p for p in (photos or []) if p]
    kind = {OrgKind.CARE_FACILITY: VisitKind.OUTSIDE_CARE, OrgKind.HOSPITAL: VisitKind.HOSPITAL}.get(
        getattr(organisation, "kind", None))
    if station is None or station.kind not in STATION_KINDS:
        errors["station"] = "探访应由救助管理机构进行。"
    if kind is None:
        errors["organisation"] = "只能探访托养机构或定点医院。"
    if visited_at is None:
        errors["visited_at"] = "请填写探访时间。"
    else:
        try:
            visited_at = not_future(visited_at, "visited_at", "探访时间")
        except ValidationError as exc:
            _merge(errors, exc)
    for field, limit, label, required in (("visitors", 200, "探访人员", True), ("safety", 500, "机构安全情况", False),
                                          ("note", 2000, "其他情况", False)):
        try:
            value = clean_text({"visitors": visitors, "safety": safety, "note": note}[field], limit, field, label,
                               required=required)
        except ValidationError as exc:
            _merge(errors, exc)
            value = ""
        if field == "visitors":
            visitors = value
        elif field == "safety":
            safety = value
        else:
            note = value
    if kind == VisitKind.OUTSIDE_CARE and not safety:
        errors["safety"] = "请记录托养机构的安全情况（消防、食品、设施、看护，规则 C5）。"
    if not safety_ok and not safety:
        errors["safety"] = "机构安全存在问题时请写明具体情况。"
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = f"一次探访最多上传 {MAX_PHOTOS} 张照片。"
    clean_rows = []
    seen: set[int] = set()
    if not rows:
        errors["__all__"] = "请至少记录一名探访人员的情况。"
    for index, row in enumerate(rows or []):
        placement = row.get("placement")
        key = f"p{index}"
        if placement is None:
            errors[key] = "未找到该送医/托养记录。"
            continue
        name = placement.episode.person.name
        if placement.pk in seen:
            errors[key] = f"{name}重复填写。"
            continue
        seen.add(placement.pk)
        if (station is not None and placement.episode.station_id != station.pk) or (
                organisation is not None and placement.organisation_id != organisation.pk):
            errors[key] = f"{name}不是本机构安置在{organisation.name if organisation else '该机构'}的人员。"
            continue
        # times are entered to the minute: a visit in the minute the placement started is within it
        if isinstance(visited_at, datetime.datetime) and "visited_at" not in errors and (
                placement.started_at.replace(second=0, microsecond=0) > visited_at
                or (placement.ended_at and placement.ended_at < visited_at)):
            errors[key] = f"探访时{name}不在该机构（{placement.get_kind_display()}期间之外）。"
            continue
        values = {}
        for field, label in (("care", "照料情况"), ("physical", "身体状况"), ("mental", "精神状况"),
                             ("tracing", "寻亲/身份查询进展")):
            required = field != "tracing" or kind == VisitKind.HOSPITAL
            try:
                values[field] = clean_text(row.get(field), 300, f"{field}_{placement.pk}", f"{name}的{label}",
                                           required=required)
            except ValidationError as exc:
                _merge(errors, exc)
        clean_rows.append((placement, values))
    clean_photos = []
    for index, upload in enumerate(photos[:MAX_PHOTOS]):
        try:
            clean_photos.append(take_image(upload, field="photos", label=f"第{index + 1}张照片"))
        except ValidationError as exc:
            _merge(errors, exc)
    agreement = None
    if kind == VisitKind.OUTSIDE_CARE and not errors:
        agreement = next((p.agreement for p, _ in clean_rows if p.agreement_id), None) or agreements_in_force(
            station=station, facility=organisation, on=timezone.localtime(visited_at).date()).first()
    _errors_raise(errors)
    if dry_run:
        return None
    visit = Visit.objects.create(station=station, organisation=organisation, kind=kind, agreement=agreement,
                                 visited_at=visited_at, visitors=visitors, safety_ok=bool(safety_ok), safety=safety,
                                 note=note, recorded_by=by)
    for placement, values in clean_rows:
        VisitPerson.objects.create(visit=visit, placement=placement, visited_at=visited_at, **values)
    for clean in clean_photos:
        photo = VisitPhoto(visit=visit)
        photo.image.save("photo.jpg", clean.as_file("photo"), save=False)
        photo.save()
    names = [p.episode.person.name for p, _ in clean_rows]
    audit_create_with(by=by, obj=visit, organisation=station, related={"people": names},
                      summary=f"{VisitKind(kind).label}：{organisation.name}，{len(names)} 人")
    for placement, _ in clean_rows:  # on each person's timeline
        audit_create(actor=by, obj=placement, organisation=station, person_uuid=placement.episode.person.uuid,
                     summary=f"探访 {placement.episode.number}（{organisation.name}，"
                             f"{timezone.localtime(visited_at):%Y-%m-%d}，规则{'C4' if kind == VisitKind.HOSPITAL else 'C5'}）")
    return visit


# --- reports of the hospitals and facilities --------------------------------------------------------------


@transaction.atomic
def condition_report_create(*, by, placement: Placement, condition: str, treatment: str = "",
                            reported_at: datetime.datetime | None = None) -> ConditionReport:
    """A hospital's or facility's report on the condition of a person placed with it."""
    errors: dict[str, str] = {}
    reported_at = reported_at or timezone.now()
    try:
        reported_at = not_future(reported_at, "reported_at", "报告时间")
        if reported_at < placement.started_at:
            raise ValidationError({"reported_at": "报告时间不能早于送医/托养开始时间。"})
    except ValidationError as exc:
        _merge(errors, exc)
    try:
        condition = clean_text(condition, 2000, "condition", "病情/身体和精神状况", required=True)
    except ValidationError as exc:
        _merge(errors, exc)
    try:
        treatment = clean_text(treatment, 500, "treatment", "治疗/照料措施")
    except ValidationError as exc:
        _merge(errors, exc)
    if placement.ended_at is not None:
        errors["__all__"] = "该人员已离开本机构，不能再报告。"
    _errors_raise(errors)
    report = ConditionReport.objects.create(placement=placement, reported_at=reported_at, condition=condition,
                                            treatment=treatment, reported_by=by)
    audit_create(actor=by, obj=report, organisation=placement.organisation,
                 person_uuid=placement.episode.person.uuid,
                 summary=f"{placement.organisation.name} 报告 {placement.episode.number} 病情/情况")
    return report


@transaction.atomic
def facility_report_create(*, by, agreement: Agreement, period_start: datetime.date, period_end: datetime.date,
                           headcount, care: str, incidents: str = "") -> FacilityReport:
    """A facility's periodic report to the station (rule C5): headcount, incidents, care."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if period_start is None or period_end is None:
        errors["period_end"] = "请填写报告期。"
    elif period_end < period_start:
        errors["period_end"] = "报告期止不能早于报告期起。"
    elif period_end > today:
        errors["period_end"] = "报告期止不能晚于今天。"
    elif period_end < agreement.valid_from or period_start > agreement.valid_to:
        errors["period_end"] = "报告期应在协议有效期内。"
    elif (period_end - period_start).days > 366:
        errors["period_end"] = "报告期不能超过一年。"
    try:
        headcount = int(headcount)
        if not 0 <= headcount <= 100000:
            raise ValueError
    except (TypeError, ValueError):
        errors["headcount"] = "托养人数应为不小于0的整数。"
    try:
        care = clean_text(care, 2000, "care", "照料情况", required=True)
        incidents = clean_text(incidents, 2000, "incidents", "异常情况")
    except ValidationError as exc:
        _merge(errors, exc)
    if not errors and FacilityReport.objects.filter(agreement=agreement, period_start=period_start,
                                                    period_end=period_end).exists():
        errors["period_end"] = "该报告期已报送过报告。"
    _errors_raise(errors)
    report = FacilityReport.objects.create(agreement=agreement, period_start=period_start, period_end=period_end,
                                           headcount=headcount, care=care, incidents=incidents,
                                           submitted_at=timezone.now(), submitted_by=by)
    audit_create(actor=by, obj=report, organisation=agreement.facility,
                 summary=f"{agreement.facility.name} 报送定期报告（{period_start}至{period_end}，{headcount}人）")
    return report


# --- the supervision panel's inspections (rule C5) -------------------------------------------------------


def half_of(day: datetime.date) -> str:
    return Half.MID_YEAR if day.month <= 6 else Half.YEAR_END


@transaction.atomic
def panel_inspection_create(*, by, agreement: Agreement, members: list, results: list[dict],
                            inspected_at: datetime.datetime | None = None, note: str = "") -> PanelInspection:
    """The supervision panel inspects a facility on site (rule C5: at least mid-year and year-end). The
    checklist walk is ``oversight.services.inspection_create``: every failed item opens a hazard in the
    hazard ledger. The members are current members of the station's panel on the inspection day."""
    from oversight.services import current_members, inspection_create

    inspected_at = not_future(inspected_at or timezone.now(), "inspected_at", "检查时间")
    day = timezone.localtime(inspected_at).date()
    current = {m.pk: m for m in current_members(agreement.station, day)}
    if not current:
        raise ValidationError(f"{agreement.station.name}在 {day} 没有任期内的监督组成员，请先由民政部门聘任监督组成员。")
    chosen = [m for m in (members or []) if m is not None]
    if not chosen:
        raise ValidationError({"members": "请选择参加检查的监督组成员。"})
    outside = [m for m in chosen if m.pk not in current]
    if outside:
        raise ValidationError({"members": f"{outside[0].member}在检查当日不是{agreement.station.name}监督组的任期内成员。"})
    if not agreement.in_force_on(day) and agreement.first_placed_at is None:
        raise ValidationError("该协议在检查当日不在有效期内。")
    participants = "、".join(str(m.member) for m in chosen)[:200]
    inspection = inspection_create(by=by, organisation=agreement.facility, results=results,
                                   inspected_at=inspected_at, participants=participants, note=note)
    panel = PanelInspection.objects.create(agreement=agreement, inspection=inspection, half=half_of(day),
                                           inspected_at=inspected_at, recorded_by=by)
    panel.members.set(chosen)
    audit_create_with(by=by, obj=panel, organisation=agreement.station, related={"members": participants.split("、")},
                      summary=f"监督组{Half(panel.half).label}：{agreement.facility.name}（{inspection.number}，规则C5）")
    return panel


# --- bring-back (rule C6) -------------------------------------------------------------------------------


def _not_in_outside_care(placement: Placement) -> str | None:
    if placement.kind != PlacementKind.OUTSIDE_CARE or placement.ended_at is not None:
        return f"{placement.episode.person.name}目前不在站外托养中，不能列入或办理返站（规则 C6）。"
    return None


@transaction.atomic
def bringback_plan_create(*, by, station: Organisation, planned_on: datetime.date, transport: str, zone,
                          placements: list, escort: str = "", note: str = "") -> BringBackPlan:
    """Plan a batch of people to bring back from outside care (rule C6): who, when, transport, receiving zone."""
    errors: dict[str, str] = {}
    if station is None or station.kind not in STATION_KINDS:
        errors["station"] = "返站计划由救助管理机构制定。"
    if planned_on is None:
        errors["planned_on"] = "请填写计划返站日期。"
    elif planned_on < timezone.localdate() - datetime.timedelta(days=30) or planned_on.year > 2999:
        errors["planned_on"] = "计划返站日期不正确。"
    for field, value, limit, label, required in (("transport", transport, 100, "交通方式", True),
                                                 ("escort", escort, 100, "带队/护送人员", False),
                                                 ("note", note, 300, "说明", False)):
        try:
            clean_text(value, limit, field, label, required=required)
        except ValidationError as exc:
            _merge(errors, exc)
    if zone is None or station is None or zone.station_id != station.pk or not zone.is_active:
        errors["zone"] = "请选择本机构启用中的接收区域。"
    chosen = [p for p in (placements or []) if p is not None]
    if not chosen:
        errors["placements"] = "请选择返站人员。"
    for placement in chosen:
        problem = _not_in_outside_care(placement)
        if problem is None and station is not None and placement.episode.station_id != station.pk:
            problem = f"{placement.episode.person.name}不是本机构安置的托养人员。"
        if problem is None and BringBackItem.objects.filter(placement=placement, done_at__isnull=True).exists():
            problem = f"{placement.episode.person.name}已列入另一个尚未完成的返站计划。"
        if problem:
            errors["placements"] = problem
            break
    if len({p.pk for p in chosen}) != len(chosen):
        errors["placements"] = "返站人员有重复。"
    _errors_raise(errors)
    year = planned_on.year
    plan = BringBackPlan.objects.create(
        number=f"{station.code}-FZ{year}-{next_sequence(f'outsidecare-bringback:{station.pk}:{year}'):03d}",
        station=station, planned_on=planned_on, transport=transport.strip(), escort=(escort or "").strip(),
        zone=zone, note=(note or "").strip(), created_by=by)
    for placement in chosen:
        BringBackItem.objects.create(plan=plan, placement=placement)
    audit_create_with(by=by, obj=plan, organisation=station,
                      related={"people": [p.episode.person.name for p in chosen]},
                      summary=f"制定返站计划 {plan.number}（{planned_on}，{len(chosen)} 人，规则C6）")
    return plan


@transaction.atomic
def bringback_carry_out(*, by, item: BringBackItem, bed, at: datetime.datetime | None = None,
                        housed_as: str = "", zone_reason: str = ""):
    """Bring one person of a batch back (rule C6): the outside-care placement closes and a bed is assigned in
    one step (``stay.services.placement_return``). Refused when the person is no longer in outside care."""
    from stay.services import placement_return

    item = BringBackItem.objects.select_for_update(of=("self",)).select_related(
        "plan__station", "placement__episode__person", "placement__organisation").get(pk=item.pk)
    if item.done_at is not None:
        raise ValidationError("该人员已按计划返站。")
    problem = _not_in_outside_care(item.placement)
    if problem:
        raise ValidationError(problem)
    if bed is None:
        raise ValidationError({"bed": "请安排床位。"})
    at = at or timezone.now()
    assignment = placement_return(by=by, placement=item.placement, bed=bed, ended_at=at, housed_as=housed_as,
                                  zone_reason=zone_reason, note=f"按返站计划 {item.plan.number} 返站（规则C6）")
    before = snapshot(item, ["done_at", "done_by", "assignment"])
    item.done_at, item.done_by, item.assignment = at, by, assignment
    item.save(update_fields=["done_at", "done_by", "assignment", "updated_at"])
    audit_update(actor=by, obj=item, before=before, organisation=item.plan.station,
                 person_uuid=item.placement.episode.person.uuid,
                 summary=f"{item.placement.episode.number} 按返站计划 {item.plan.number} 返站，床位 {assignment.bed}")
    return assignment
