"""Every write of the oversight app: keyword-only functions, one transaction each, audited (old → new).

Callers (pages, API, demo seed, other apps) check *who* may act with ``oversight.access`` first; these
functions check *what* is allowed: Chinese messages, nothing saved in part, state changes only along
``HAZARD_TRANSITIONS``. Other apps (outside care, issue 11; the panel's opinions) open hazards through
:func:`hazard_create`.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import audit, audit_create, audit_update, snapshot
from core.images import take_image
from core.models import STATION_KINDS, AuditAction, Organisation, OrgKind
from oversight.access import INSPECTED_KINDS
from oversight.models import (
    ASSESSMENT_TRANSITIONS,
    HAZARD_TRANSITIONS,
    OPINION_TRANSITIONS,
    Assessment,
    AssessmentGrade,
    AssessmentScore,
    AssessmentStatus,
    ChecklistItem,
    ContactMethod,
    FollowUpItem,
    Hazard,
    HazardCategory,
    HazardStatus,
    HazardStep,
    Indicator,
    IndicatorSet,
    Inspection,
    InspectionResult,
    LeaderAssignment,
    LeaderContact,
    LeaderRole,
    Opinion,
    OpinionStatus,
    Outcome,
    PanelMeeting,
    PanelMembership,
    PanelRole,
    RiskCategory,
)
from people.services import next_sequence

FUTURE_SLACK = datetime.timedelta(minutes=5)


def hazard_default_days() -> int:
    """Days an inspector gives for a fix unless they set a date (GUITU_RULES["O3_HAZARD_DAYS"], default 15)."""
    return int(getattr(settings, "GUITU_RULES", {}).get("O3_HAZARD_DAYS", 15))


def clean_text(value: str | None, limit: int, field: str, label: str, *, required: bool = False) -> str:
    """Stripped text within ``limit`` characters, or a ValidationError naming the field in Chinese."""
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: f"请填写{label}。"})
    if len(text) > limit:
        raise ValidationError({field: f"{label}不能超过 {limit} 个字（现有 {len(text)} 个）。"})
    return text


def audit_create_with(*, by, obj, organisation, summary: str, related: dict[str, list]):
    """The creation's audit entry with its many-to-many sets as well (``{"attendees": [None, [names]]}``),
    written once: an entry is never changed after it is written (the audit hash chain)."""
    changes = {k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "", [], {})}
    for name, values in related.items():
        changes[name] = [None, [str(v) for v in values]]
    return audit(actor=by, action=AuditAction.CREATE, obj=obj, summary=summary, organisation=organisation,
                 changes=changes)


def not_future(at: datetime.datetime, field: str, label: str) -> datetime.datetime:
    """The moment, made aware (a time without zone is local time), refused when later than now (a few minutes'
    clock slack). Callers use the returned value."""
    if not 1900 <= at.year <= 2999:  # before any zone arithmetic, which overflows at the calendar's ends
        raise ValidationError({field: f"{label}不正确。"})
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now() + FUTURE_SLACK:
        raise ValidationError({field: f"{label}不能晚于当前时间。"})
    return at


# --- the checklist --------------------------------------------------------------------------------------


@transaction.atomic
def checklist_item_create(
    *, by, organisation: Organisation, category: str, text: str, guidance: str = "", order: int = 0
) -> ChecklistItem:
    """Add an item to a department's risk checklist (rule O3)."""
    if category not in RiskCategory.values:
        raise ValidationError({"category": "请选择风险类别。"})
    text = clean_text(text, 200, "text", "检查内容", required=True)
    guidance = clean_text(guidance, 300, "guidance", "检查方法/标准")
    if not 0 <= int(order) <= 999:
        raise ValidationError({"order": "排序应在 0–999 之间。"})
    if ChecklistItem.objects.filter(organisation=organisation, category=category, text=text).exists():
        raise ValidationError({"text": "该类别下已有相同的检查内容。"})
    item = ChecklistItem.objects.create(
        organisation=organisation, category=category, text=text, guidance=guidance, order=order
    )
    audit_create(actor=by, obj=item, summary=f"新增风险防控清单项目：{item}", organisation=organisation)
    return item


@transaction.atomic
def checklist_item_update(
    *,
    by,
    item: ChecklistItem,
    category: str,
    text: str,
    guidance: str = "",
    order: int = 0,
    is_active: bool = True,
) -> ChecklistItem:
    """Change or retire an item; past inspections keep the text they were walked with."""
    item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    if category not in RiskCategory.values:
        raise ValidationError({"category": "请选择风险类别。"})
    text = clean_text(text, 200, "text", "检查内容", required=True)
    guidance = clean_text(guidance, 300, "guidance", "检查方法/标准")
    if not 0 <= int(order) <= 999:
        raise ValidationError({"order": "排序应在 0–999 之间。"})
    if (
        ChecklistItem.objects.filter(organisation=item.organisation, category=category, text=text)
        .exclude(pk=item.pk)
        .exists()
    ):
        raise ValidationError({"text": "该类别下已有相同的检查内容。"})
    before = snapshot(item)
    item.category, item.text, item.guidance, item.order, item.is_active = (
        category,
        text,
        guidance,
        order,
        is_active,
    )
    item.save()
    audit_update(
        actor=by,
        obj=item,
        before=before,
        summary=f"修改风险防控清单项目：{item}",
        organisation=item.organisation,
    )
    return item


def checklist_for(organisation: Organisation):
    """The active checklist that applies at ``organisation``: the items of every department above it."""
    chain: list[int] = []
    current = organisation
    for _ in range(10):
        if current is None:
            break
        chain.append(current.pk)
        current = current.supervisor
    return ChecklistItem.objects.filter(organisation_id__in=chain, is_active=True).order_by(
        "category", "order", "id"
    )


# --- inspections ----------------------------------------------------------------------------------------


@transaction.atomic
def inspection_create(
    *,
    by,
    organisation: Organisation,
    results: list[dict],
    inspected_at=None,
    participants: str = "",
    note: str = "",
) -> Inspection:
    """Record an inspection of the checklist at a station or facility; every failed item opens a hazard.

    ``results``: one dict per checklist item — ``item`` (ChecklistItem), ``outcome`` (pass/fail/na),
    ``note`` (required when failed: it becomes the hazard's description), optional ``photo`` (upload),
    ``deadline`` (date, for a failed item; default ``O3_HAZARD_DAYS`` from the inspection day),
    ``measures`` and ``responsible``.
    """
    if organisation.kind not in INSPECTED_KINDS:
        raise ValidationError({"organisation": "只能检查救助管理机构或托养机构。"})
    inspected_at = inspected_at or timezone.now()
    inspected_at = not_future(inspected_at, "inspected_at", "检查时间")
    participants = clean_text(participants, 200, "participants", "参加人员")
    note = clean_text(note, 500, "note", "总体情况")
    applicable = {item.pk: item for item in checklist_for(organisation)}
    if not applicable:
        raise ValidationError("该机构没有适用的风险防控清单，请先由民政部门制定清单。")
    errors: dict[str, str] = {}
    seen: dict[int, dict] = {}
    for row in results:
        item = row.get("item")
        if item is None or item.pk not in applicable:
            errors["results"] = "检查结果中含有不属于该机构清单的项目。"
            continue
        if item.pk in seen:
            errors["results"] = f"项目“{item.text}”重复填写。"
        seen[item.pk] = row
        key = f"r_{item.pk}"
        if row.get("outcome") not in Outcome.values:
            errors[key] = f"请为“{item.text}”选择检查结果。"
        elif row["outcome"] == Outcome.FAIL and not (row.get("note") or "").strip():
            errors[f"n_{item.pk}"] = f"“{item.text}”不合格，请写明发现的隐患。"
        if len((row.get("note") or "").strip()) > 300:
            errors[f"n_{item.pk}"] = "情况说明不能超过 300 个字。"
    missing = [item for pk, item in applicable.items() if pk not in seen]
    if missing and "results" not in errors:
        errors["results"] = "请逐项填写检查结果，未填写：" + "、".join(i.text for i in missing[:5])
    if errors:
        raise ValidationError(errors)
    local_day = timezone.localtime(inspected_at).date()
    year = local_day.year
    inspection = Inspection.objects.create(
        number=f"{organisation.code}-JC{year}-{next_sequence(f'oversight-inspection:{organisation.pk}:{year}'):04d}",
        organisation=organisation,
        inspector_org=by.organisation or organisation,
        inspected_at=inspected_at,
        by=by,
        participants=participants,
        note=note,
    )
    audit_create(
        actor=by,
        obj=inspection,
        summary=f"风险检查 {inspection.number}（{organisation.name}，规则O3）",
        organisation=organisation,
    )
    failed = 0
    for pk, row in seen.items():
        item = applicable[pk]
        result = InspectionResult(
            inspection=inspection,
            item=item,
            category=item.category,
            text=item.text,
            outcome=row["outcome"],
            note=(row.get("note") or "").strip(),
        )
        if row.get("photo"):
            clean = take_image(row["photo"], field=f"p_{pk}", label=f"“{item.text}”的现场照片")
            result.photo.save("photo.jpg", clean.as_file("photo"), save=False)
        result.save()
        if result.outcome == Outcome.FAIL:
            failed += 1
            hazard_create(
                by=by,
                organisation=organisation,
                category=item.category,
                description=result.note,
                deadline=row.get("deadline"),
                found_on=local_day,
                measures=row.get("measures", ""),
                responsible=row.get("responsible", ""),
                inspection=inspection,
                result=result,
                source=f"风险检查 {inspection.number}",
            )
    if failed:
        audit(
            actor=by,
            action=AuditAction.UPDATE,
            obj=inspection,
            organisation=organisation,
            summary=f"风险检查 {inspection.number} 发现隐患 {failed} 项，已录入隐患台账",
            changes={"hazards": [0, failed]},
        )
    return inspection


# --- the hazard ledger ----------------------------------------------------------------------------------


def _step(hazard: Hazard, by, status_from: str, status_to: str, at, note: str = "") -> HazardStep:
    return HazardStep.objects.create(
        hazard=hazard, status_from=status_from, status_to=status_to, at=at, by=by, note=note
    )


@transaction.atomic
def hazard_create(
    *,
    by,
    organisation: Organisation,
    category: str,
    description: str,
    deadline: datetime.date | None = None,
    found_on: datetime.date | None = None,
    measures: str = "",
    responsible: str = "",
    inspection: Inspection | None = None,
    result: InspectionResult | None = None,
    source: str = "",
) -> Hazard:
    """Open a hazard in the ledger (rule O3). Reused by inspections, the panel's opinions and outside care."""
    if organisation.kind not in INSPECTED_KINDS:
        raise ValidationError({"organisation": "隐患只能登记在救助管理机构或托养机构。"})
    if category not in HazardCategory.values:
        raise ValidationError({"category": "请选择风险类别。"})
    description = clean_text(description, 500, "description", "隐患描述", required=True)
    measures = clean_text(measures, 500, "measures", "整改措施")
    responsible = clean_text(responsible, 50, "responsible", "整改责任人")
    source = clean_text(source, 100, "source", "来源")
    today = timezone.localdate()
    found_on = found_on or today
    if found_on > today:
        raise ValidationError({"found_on": "发现日期不能晚于今天。"})
    deadline = deadline or found_on + datetime.timedelta(days=hazard_default_days())
    if deadline < found_on:
        raise ValidationError({"deadline": "整改期限不能早于发现日期。"})
    if deadline > found_on + datetime.timedelta(days=366):
        raise ValidationError({"deadline": "整改期限不能超过发现之日起一年。"})
    year = found_on.year
    hazard = Hazard.objects.create(
        number=f"{organisation.code}-YH{year}-{next_sequence(f'oversight-hazard:{organisation.pk}:{year}'):04d}",
        organisation=organisation,
        inspection=inspection,
        result=result,
        source=source,
        category=category,
        description=description,
        measures=measures,
        responsible=responsible,
        found_on=found_on,
        deadline=deadline,
        reported_by=by,
    )
    _step(hazard, by, "", HazardStatus.RECTIFYING, timezone.now(), "登记隐患")
    audit_create(
        actor=by,
        obj=hazard,
        summary=f"登记隐患 {hazard.number}（{organisation.name}，期限 {deadline}，规则O3）",
        organisation=organisation,
    )
    return hazard


def _locked(hazard: Hazard) -> Hazard:
    return Hazard.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=hazard.pk)


def _move(hazard: Hazard, to: str) -> None:
    if to not in HAZARD_TRANSITIONS[HazardStatus(hazard.status)]:
        raise ValidationError(
            f"隐患当前为“{hazard.get_status_display()}”，不能改为“{HazardStatus(to).label}”。"
        )


@transaction.atomic
def hazard_plan(*, by, hazard: Hazard, measures: str, responsible: str) -> Hazard:
    """Set or change the measures and the responsible person while the hazard is being fixed."""
    hazard = _locked(hazard)
    if hazard.status != HazardStatus.RECTIFYING:
        raise ValidationError("只有整改中的隐患可以修改整改措施。")
    measures = clean_text(measures, 500, "measures", "整改措施", required=True)
    responsible = clean_text(responsible, 50, "responsible", "整改责任人", required=True)
    before = snapshot(hazard, ["measures", "responsible"])
    hazard.measures, hazard.responsible = measures, responsible
    hazard.save(update_fields=["measures", "responsible", "updated_at"])
    audit_update(
        actor=by,
        obj=hazard,
        before=before,
        summary=f"制定整改措施 {hazard.number}",
        organisation=hazard.organisation,
    )
    return hazard


def _transition(hazard: Hazard, *, by, to: str, changes: dict, at, note: str, summary: str) -> Hazard:
    """Move a locked hazard to ``to`` with ``changes``: one step row and one audit entry (old → new)."""
    before = snapshot(hazard, ["status", *changes])
    hazard.status = to
    for field, value in changes.items():
        setattr(hazard, field, value)
    hazard.save(update_fields=["status", *changes, "updated_at"])
    _step(hazard, by, before["status"], to, at, note[:300])
    audit_update(actor=by, obj=hazard, before=before, summary=summary, organisation=hazard.organisation)
    return hazard


@transaction.atomic
def hazard_submit(*, by, hazard: Hazard, rectification: str, at: datetime.datetime | None = None) -> Hazard:
    """整改一个: the fix is done; the hazard waits for acceptance by someone else."""
    hazard = _locked(hazard)
    _move(hazard, HazardStatus.PENDING)
    rectification = clean_text(rectification, 500, "rectification", "整改情况", required=True)
    if not hazard.measures or not hazard.responsible:
        raise ValidationError("请先填写整改措施和整改责任人。")
    at = at or timezone.now()
    at = not_future(at, "rectified_at", "整改完成时间")
    return _transition(
        hazard,
        by=by,
        to=HazardStatus.PENDING,
        at=at,
        note=rectification,
        changes={"rectification": rectification, "rectified_at": at, "rectified_by": by},
        summary=f"隐患 {hazard.number} 整改完成，提交验收",
    )


def _not_the_fixer(hazard: Hazard, by) -> None:
    if hazard.rectified_by_id == by.pk:
        raise ValidationError("验收人不能是整改人本人（整改一个、验收一个，规则O3）。")


@transaction.atomic
def hazard_accept(*, by, hazard: Hazard, note: str = "") -> Hazard:
    """验收一个: accepted by someone other than the person who fixed it (rule O3)."""
    hazard = _locked(hazard)
    _move(hazard, HazardStatus.ACCEPTED)
    _not_the_fixer(hazard, by)
    note = clean_text(note, 300, "note", "验收意见")
    at = timezone.now()
    return _transition(
        hazard,
        by=by,
        to=HazardStatus.ACCEPTED,
        at=at,
        note=note or "验收通过",
        changes={"accepted_at": at, "accepted_by": by},
        summary=f"隐患 {hazard.number} 验收通过",
    )


@transaction.atomic
def hazard_reject(*, by, hazard: Hazard, note: str) -> Hazard:
    """Acceptance refused: back to 整改中; the fix no longer counts for the deadline."""
    hazard = _locked(hazard)
    _move(hazard, HazardStatus.RECTIFYING)
    _not_the_fixer(hazard, by)
    note = clean_text(note, 300, "note", "不予验收的理由", required=True)
    return _transition(
        hazard,
        by=by,
        to=HazardStatus.RECTIFYING,
        at=timezone.now(),
        note=f"验收不通过：{note}",
        changes={"rectified_at": None, "rectified_by": None},
        summary=f"隐患 {hazard.number} 验收不通过，退回整改",
    )


@transaction.atomic
def hazard_close(*, by, hazard: Hazard, note: str = "") -> Hazard:
    """销号一个: only an accepted hazard is closed."""
    hazard = _locked(hazard)
    _move(hazard, HazardStatus.CLOSED)
    note = clean_text(note, 300, "note", "说明")
    at = timezone.now()
    return _transition(
        hazard,
        by=by,
        to=HazardStatus.CLOSED,
        at=at,
        note=note or "销号",
        changes={"closed_at": at, "closed_by": by},
        summary=f"隐患 {hazard.number} 销号",
    )


# --- the supervision panel (rules O2, E3) ------------------------------------------------------------------

PANEL_MIN, PANEL_MAX = 3, 5


def opinion_answer_days() -> int:
    """Days a station has to answer a panel opinion (GUITU_RULES["O2_ANSWER_DAYS"], default 15)."""
    return int(getattr(settings, "GUITU_RULES", {}).get("O2_ANSWER_DAYS", 15))


def open_memberships(station: Organisation):
    return PanelMembership.objects.filter(station=station, ended_on__isnull=True).select_related("member")


def current_members(station: Organisation, on: datetime.date | None = None):
    """Members whose term is current on ``on`` (default today): started, not past its end, not ended before
    that day — the members who may witness a minor's handover that day (rule E3)."""
    on = on or timezone.localdate()
    return (
        PanelMembership.objects.filter(station=station, term_start__lte=on, term_end__gte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))
        .select_related("member")
    )


def contracted_facility_ids(station: Organisation) -> set[int]:
    """Outside-care facilities the station works with: every facility it has placed people in or signed an
    outside-care agreement with (rule C5)."""
    from outsidecare.models import Agreement
    from stay.models import Placement, PlacementKind

    return set(
        Placement.objects.filter(episode__station=station, kind=PlacementKind.OUTSIDE_CARE).values_list(
            "organisation_id", flat=True
        )
    ) | set(Agreement.objects.filter(station=station).values_list("facility_id", flat=True))


def panel_issues(station: Organisation, on: datetime.date | None = None) -> list[str]:
    """What keeps the panel from meeting rule O2 today (empty: it does)."""
    members = list(current_members(station, on))
    issues = []
    if not PANEL_MIN <= len(members) <= PANEL_MAX:
        issues.append(f"任期内成员 {len(members)} 人，应为 {PANEL_MIN}–{PANEL_MAX} 人。")
    roles = [m.panel_role for m in members]
    if PanelRole.LEADER not in roles:
        issues.append("没有任期内的组长。")
    if PanelRole.DEPUTY not in roles:
        issues.append("没有任期内的副组长。")
    if not any(m.is_care_professional for m in members):
        issues.append("至少应有一名照料/医护专业人员。")
    return issues


def _check_member(
    *,
    station: Organisation,
    member,
    employer: str,
    employer_org: Organisation | None,
    exclude_pk: int | None = None,
) -> None:
    errors: dict[str, str] = {}
    if member is None or member.organisation is None or member.organisation.kind != OrgKind.SUPERVISION:
        errors["member"] = "监督员须为第三方监督组织的用户账号。"
    conflict = contracted_facility_ids(station)
    if employer_org is not None:
        if employer_org.pk in conflict:
            errors["employer_org"] = (
                f"“{employer_org.name}”是本站签约的托养机构，其工作人员不能担任监督员（规则O2）。"
            )
        elif employer_org.pk == station.pk:
            errors["employer_org"] = "本站工作人员不能担任本站监督员。"
    names = set(Organisation.objects.filter(pk__in=conflict).values_list("name", flat=True))
    if employer and any(name in employer or employer in name for name in names):
        errors["employer"] = "工作单位是本站签约的托养机构，其工作人员不能担任监督员（规则O2）。"
    if (
        member is not None
        and PanelMembership.objects.filter(station=station, member=member, ended_on__isnull=True)
        .exclude(pk=exclude_pk)
        .exists()
    ):
        errors["member"] = "该监督员已在本站监督组任职。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def panel_member_add(
    *,
    by,
    station: Organisation,
    member,
    panel_role: str = PanelRole.MEMBER,
    employer: str,
    employer_org: Organisation | None = None,
    profession: str = "",
    is_care_professional: bool = False,
    term_start: datetime.date | None = None,
    term_end: datetime.date | None = None,
) -> PanelMembership:
    """Appoint a member for a one-year term (rule O2): at most 5 open members, one leader, one deputy, no staff
    of a contracted outside-care facility."""
    if station.kind not in STATION_KINDS:
        raise ValidationError({"station": "监督组只设在救助管理机构。"})
    # Lock the station's roster so two appointments at once cannot make a panel of 6.
    Organisation.objects.select_for_update().filter(pk=station.pk).first()
    if panel_role not in PanelRole.values:
        raise ValidationError({"panel_role": "请选择职务。"})
    employer = clean_text(employer, 100, "employer", "工作单位", required=True)
    profession = clean_text(profession, 50, "profession", "职业/专业")
    _check_member(station=station, member=member, employer=employer, employer_org=employer_org)
    if open_memberships(station).count() >= PANEL_MAX:
        raise ValidationError(f"监督组已有 {PANEL_MAX} 名成员，不能再增加（规则O2：3–5人）。")
    if panel_role != PanelRole.MEMBER and open_memberships(station).filter(panel_role=panel_role).exists():
        raise ValidationError({"panel_role": f"监督组已有{PanelRole(panel_role).label}。"})
    today = timezone.localdate()
    term_start = term_start or today
    if not today - datetime.timedelta(days=5 * 366) <= term_start <= today + datetime.timedelta(days=366):
        raise ValidationError({"term_start": "任期开始日期应在五年前至一年后之间。"})
    term_end = term_end or _one_year_after(term_start)
    if term_end <= term_start:
        raise ValidationError({"term_end": "任期届满日须晚于任期开始日。"})
    if term_end > _one_year_after(term_start):
        raise ValidationError({"term_end": "监督员任期为一年（规则O2）。"})
    membership = PanelMembership.objects.create(
        station=station,
        member=member,
        panel_role=panel_role,
        profession=profession,
        is_care_professional=is_care_professional,
        employer=employer,
        employer_org=employer_org,
        term_start=term_start,
        term_end=term_end,
        appointed_by=by,
    )
    audit_create(
        actor=by,
        obj=membership,
        organisation=station,
        summary=f"聘任{station.display_short}监督组{membership.get_panel_role_display()}：{member}（规则O2）",
    )
    return membership


def _one_year_after(day: datetime.date) -> datetime.date:
    from deadlines.calendar_math import add_months

    start = datetime.datetime.combine(day, datetime.time(12))
    return add_months(start, 12).date() - datetime.timedelta(days=1)


@transaction.atomic
def panel_member_end(
    *, by, membership: PanelMembership, reason: str, on: datetime.date | None = None
) -> PanelMembership:
    """End a term early or at its expiry (离任)."""
    membership = PanelMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_on is not None:
        raise ValidationError("该成员已离任。")
    reason = clean_text(reason, 200, "reason", "离任原因", required=True)
    on = on or timezone.localdate()
    if on < membership.term_start:
        raise ValidationError({"on": "离任日期不能早于任期开始。"})
    before = snapshot(membership, ["ended_on", "ended_reason"])
    membership.ended_on, membership.ended_reason = on, reason
    membership.save(update_fields=["ended_on", "ended_reason", "updated_at"])
    audit_update(
        actor=by,
        obj=membership,
        before=before,
        organisation=membership.station,
        summary=f"监督员离任：{membership.member}",
    )
    return membership


@transaction.atomic
def panel_member_renew(*, by, membership: PanelMembership) -> PanelMembership:
    """Start the next one-year term the day after this one ends (the old term is closed, history kept)."""
    membership = PanelMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_on is not None:
        raise ValidationError("该成员已离任，请重新聘任。")
    start = membership.term_end + datetime.timedelta(days=1)
    panel_member_end(by=by, membership=membership, reason="任期届满续聘", on=membership.term_end)
    return panel_member_add(
        by=by,
        station=membership.station,
        member=membership.member,
        panel_role=membership.panel_role,
        employer=membership.employer,
        employer_org=membership.employer_org,
        profession=membership.profession,
        is_care_professional=membership.is_care_professional,
        term_start=start,
    )


@transaction.atomic
def meeting_create(
    *,
    by,
    station: Organisation,
    held_at: datetime.datetime,
    topic: str,
    minutes: str,
    attendees: list[PanelMembership],
) -> PanelMeeting:
    """Record a panel meeting with its minutes and the members present (rule O2: at least every half-year)."""
    topic = clean_text(topic, 200, "topic", "议题", required=True)
    minutes = clean_text(minutes, 4000, "minutes", "会议纪要", required=True)
    held_at = not_future(held_at, "held_at", "会议时间")
    day = timezone.localtime(held_at).date()
    valid = {m.pk for m in current_members(station, day)}
    if not attendees:
        raise ValidationError({"attendees": "请选择出席的监督组成员。"})
    if any(a.pk not in valid for a in attendees):
        raise ValidationError({"attendees": "出席成员须为会议当日任期内的本站监督组成员。"})
    meeting = PanelMeeting.objects.create(
        station=station, held_at=held_at, topic=topic, minutes=minutes, recorded_by=by
    )
    meeting.attendees.set(attendees)
    audit_create_with(
        by=by,
        obj=meeting,
        organisation=station,
        related={"attendees": attendees},
        summary=f"监督组会议：{topic}（{station.display_short}，规则O2）",
    )
    return meeting


@transaction.atomic
def opinion_create(
    *,
    by,
    station: Organisation,
    text: str,
    meeting: PanelMeeting | None = None,
    raised_at: datetime.datetime | None = None,
) -> Opinion:
    """Record an opinion of the panel; the station then answers it (deadline O2A)."""
    text = clean_text(text, 1000, "text", "意见建议", required=True)
    raised_at = raised_at or timezone.now()
    raised_at = not_future(raised_at, "raised_at", "提出时间")
    if meeting is not None and meeting.station_id != station.pk:
        raise ValidationError({"meeting": "会议不属于该救助机构。"})
    year = timezone.localtime(raised_at).year
    opinion = Opinion.objects.create(
        number=f"{station.code}-JD{year}-{next_sequence(f'oversight-opinion:{station.pk}:{year}'):04d}",
        station=station,
        meeting=meeting,
        raised_at=raised_at,
        raised_by=by,
        text=text,
    )
    audit_create(
        actor=by, obj=opinion, organisation=station, summary=f"监督组意见 {opinion.number}（规则O2）"
    )
    return opinion


def _opinion_move(opinion: Opinion, to: str) -> None:
    if to not in OPINION_TRANSITIONS[OpinionStatus(opinion.status)]:
        raise ValidationError(
            f"意见当前为“{opinion.get_status_display()}”，不能改为“{OpinionStatus(to).label}”。"
        )


@transaction.atomic
def opinion_answer(
    *, by, opinion: Opinion, measures: str, measures_due: datetime.date, at: datetime.datetime | None = None
) -> Opinion:
    """The station answers with measures and the date they will be done (rule O2)."""
    opinion = Opinion.objects.select_for_update().get(pk=opinion.pk)
    _opinion_move(opinion, OpinionStatus.ANSWERED)
    measures = clean_text(measures, 1000, "measures", "整改措施", required=True)
    at = at or timezone.now()
    at = not_future(at, "answered_at", "答复时间")
    if measures_due is None or measures_due < timezone.localtime(at).date():
        raise ValidationError({"measures_due": "请填写不早于今天的完成日期。"})
    before = snapshot(opinion, ["status", "measures", "measures_due", "answered_at", "answered_by"])
    opinion.status, opinion.measures, opinion.measures_due = OpinionStatus.ANSWERED, measures, measures_due
    opinion.answered_at, opinion.answered_by = at, by
    opinion.save()
    audit_update(
        actor=by,
        obj=opinion,
        before=before,
        organisation=opinion.station,
        summary=f"答复监督组意见 {opinion.number}",
    )
    return opinion


@transaction.atomic
def opinion_decide(*, by, opinion: Opinion, accept: bool, note: str = "") -> Opinion:
    """The panel accepts the answer, or reopens the opinion (the station must answer again)."""
    opinion = Opinion.objects.select_for_update().get(pk=opinion.pk)
    to = OpinionStatus.ACCEPTED if accept else OpinionStatus.OPEN
    _opinion_move(opinion, to)
    note = clean_text(note, 500, "note", "监督组意见" if accept else "退回的理由", required=not accept)
    before = snapshot(
        opinion, ["status", "decided_at", "decided_by", "panel_note", "answered_at", "answered_by"]
    )
    opinion.status, opinion.decided_at, opinion.decided_by, opinion.panel_note = to, timezone.now(), by, note
    if not accept:
        opinion.answered_at, opinion.answered_by = None, None
    opinion.save()
    audit_update(
        actor=by,
        obj=opinion,
        before=before,
        organisation=opinion.station,
        summary=f"监督组{'认可' if accept else '退回'}意见答复 {opinion.number}",
    )
    return opinion


# --- the leader contact system (rule O1) ----------------------------------------------------------------------


def leader_period(role: str):
    """How often a leader of ``role`` must contact the institution (rule O1; GUITU_RULES["O1_<ROLE>_PERIOD"]):
    main leader every half-year, deputies every quarter, section heads every month by default."""
    from deadlines.calendar_math import Period

    defaults = {LeaderRole.MAIN: "half_year", LeaderRole.DEPUTY: "quarter", LeaderRole.SECTION: "month"}
    value = getattr(settings, "GUITU_RULES", {}).get(f"O1_{role.upper()}_PERIOD", defaults[role])
    try:
        return Period(value)
    except ValueError:
        return Period(defaults[role])


@transaction.atomic
def leader_assign(
    *, by, leader, leader_role: str, institution: Organisation, started_at: datetime.datetime | None = None
) -> LeaderAssignment:
    """Assign a leader of a civil-affairs department to one institution by role (rule O1)."""
    from core.scoping import subtree_org_ids

    department = leader.organisation if leader is not None else None
    if department is None or department.kind != OrgKind.CIVIL_AFFAIRS:
        raise ValidationError({"leader": "联系领导须为民政部门的用户。"})
    if leader_role not in LeaderRole.values:
        raise ValidationError({"leader_role": "请选择领导职务。"})
    if institution.pk not in subtree_org_ids([department.pk]) or institution.pk == department.pk:
        raise ValidationError({"institution": "联系机构须为本部门主管的救助管理机构或托养机构。"})
    if leader_role == LeaderRole.MAIN and not (
        institution.kind in STATION_KINDS and institution.supervisor_id == department.pk
    ):
        raise ValidationError({"institution": "主要领导联系本级（市级）救助管理机构（规则O1）。"})
    if leader_role == LeaderRole.DEPUTY and institution.kind not in STATION_KINDS:
        raise ValidationError({"institution": "分管领导联系县级救助管理机构（规则O1）。"})
    if leader_role == LeaderRole.SECTION and institution.kind not in (*STATION_KINDS, OrgKind.CARE_FACILITY):
        raise ValidationError({"institution": "科室负责人联系县级救助管理机构或托养机构（规则O1）。"})
    if LeaderAssignment.objects.filter(leader=leader, ended_at__isnull=True).exists():
        raise ValidationError({"leader": "该领导已有定点联系的机构，请先结束原联系。"})
    started_at = started_at or timezone.now()
    assignment = LeaderAssignment.objects.create(
        department=department,
        leader=leader,
        leader_role=leader_role,
        institution=institution,
        started_at=started_at,
        assigned_by=by,
    )
    audit_create(
        actor=by, obj=assignment, organisation=department, summary=f"领导定点联系：{assignment}（规则O1）"
    )
    return assignment


@transaction.atomic
def leader_unassign(*, by, assignment: LeaderAssignment) -> LeaderAssignment:
    assignment = LeaderAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.ended_at is not None:
        raise ValidationError("该定点联系已结束。")
    before = snapshot(assignment, ["ended_at"])
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at", "updated_at"])
    audit_update(
        actor=by,
        obj=assignment,
        before=before,
        organisation=assignment.department,
        summary=f"结束领导定点联系：{assignment}",
    )
    return assignment


@transaction.atomic
def contact_record(
    *,
    by,
    assignment: LeaderAssignment,
    contacted_at: datetime.datetime,
    method: str,
    problems: str = "",
    follow_up: str = "",
    items: list[dict] | None = None,
) -> LeaderContact:
    """Record a contact (rule O1) with the problems found and follow-up items to be tracked to closure."""
    if assignment.ended_at is not None:
        raise ValidationError("该定点联系已结束。")
    if method not in ContactMethod.values:
        raise ValidationError({"method": "请选择联系方式。"})
    contacted_at = not_future(contacted_at, "contacted_at", "联系时间")
    if contacted_at < assignment.started_at - datetime.timedelta(days=1):
        raise ValidationError({"contacted_at": "联系时间不能早于开始定点联系的时间。"})
    problems = clean_text(problems, 1000, "problems", "发现的问题")
    follow_up = clean_text(follow_up, 1000, "follow_up", "跟进措施")
    rows = []
    for row in items or []:
        text = clean_text(row.get("text"), 300, "items", "跟进事项")
        if not text:
            continue
        due = row.get("due_on")
        if due is None or due < timezone.localtime(contacted_at).date():
            raise ValidationError({"items": f"跟进事项“{text[:20]}”的完成期限须不早于联系日期。"})
        rows.append((text, due))
    contact = LeaderContact.objects.create(
        assignment=assignment,
        contacted_at=contacted_at,
        method=method,
        problems=problems,
        follow_up=follow_up,
        recorded_by=by,
    )
    created = [FollowUpItem.objects.create(contact=contact, text=text, due_on=due) for text, due in rows]
    audit_create_with(
        by=by,
        obj=contact,
        organisation=assignment.institution,
        related={"items": [i.text for i in created]},
        summary=f"领导联系：{assignment.leader} {contact.get_method_display()} {assignment.institution.name}",
    )
    return contact


@transaction.atomic
def followup_close(*, by, item: FollowUpItem, note: str) -> FollowUpItem:
    item = FollowUpItem.objects.select_for_update().get(pk=item.pk)
    if item.closed_at is not None:
        raise ValidationError("该事项已办结。")
    note = clean_text(note, 300, "note", "办结情况", required=True)
    before = snapshot(item, ["closed_at", "closed_by", "closing_note"])
    item.closed_at, item.closed_by, item.closing_note = timezone.now(), by, note
    item.save(update_fields=["closed_at", "closed_by", "closing_note", "updated_at"])
    audit_update(
        actor=by,
        obj=item,
        before=before,
        organisation=item.contact.assignment.institution,
        summary=f"跟进事项办结：{item.text[:50]}",
    )
    return item


def handover_witnesses_record(*, departure, memberships: list) -> list:
    """Record the panel members who witnessed a minor's departure (rule E3); called by leaving inside its
    transaction after it checked they are two different members in term that day."""
    from oversight.models import HandoverWitness

    return [
        HandoverWitness.objects.create(departure=departure, membership=m, position=n)
        for n, m in enumerate(memberships, start=1)
    ]


# --- assessment (考核评价, rule O5) -----------------------------------------------------------------------------

SCORE_LIMIT = Decimal("9999.99")


def self_due_default(year: int) -> datetime.date:
    """The day of ``year`` by which stations submit their self-assessment (GUITU_RULES["O5_SELF_DUE"], "MM-DD",
    default 10-31)."""
    value = str(getattr(settings, "GUITU_RULES", {}).get("O5_SELF_DUE", "10-31"))
    try:
        month, day = (int(part) for part in value.split("-"))
        return datetime.date(year, month, day)
    except ValueError:
        return datetime.date(year, 10, 31)


def _decimal(value, field: str, label: str, *, upper: Decimal = SCORE_LIMIT, lower: Decimal = Decimal(0)):
    """A score-like number with at most two decimals within [lower, upper], or a Chinese ValidationError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: f"{label}应为数字。"}) from exc
    if not number.is_finite():
        raise ValidationError({field: f"{label}应为数字。"})
    if number != number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        raise ValidationError({field: f"{label}最多保留两位小数。"})
    if not lower <= number <= upper:
        raise ValidationError({field: f"{label}应在 {lower} 至 {upper} 之间。"})
    return number.quantize(Decimal("0.01"))


def _set_locked(indicator_set: IndicatorSet) -> IndicatorSet:
    return IndicatorSet.objects.select_for_update().select_related("department").get(pk=indicator_set.pk)


def indicator_set_frozen(indicator_set: IndicatorSet) -> bool:
    """Rule O5: a year's indicators stay as they were once any assessment has used them."""
    return Assessment.objects.filter(indicator_set=indicator_set).exists()


def _refuse_if_frozen(indicator_set: IndicatorSet) -> None:
    if indicator_set_frozen(indicator_set):
        raise ValidationError(
            f"{indicator_set.year}年度考核指标已被考核使用，不能再修改（规则O5）。如需调整，请制定下一年度的指标。"
        )


@transaction.atomic
def indicator_set_create(*, by, department: Organisation, year: int, title: str) -> IndicatorSet:
    """A department's indicator set for one year (rule O5); one per department and year."""
    if department is None or department.kind != OrgKind.CIVIL_AFFAIRS:
        raise ValidationError({"department": "考核指标由民政部门制定。"})
    try:
        year = int(year)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"year": "请填写年度。"}) from exc
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度应在 2000–2100 之间。"})
    title = clean_text(title, 100, "title", "名称", required=True)
    if IndicatorSet.objects.filter(department=department, year=year).exists():
        raise ValidationError({"year": f"本部门已有{year}年度的考核指标。"})
    indicator_set = IndicatorSet.objects.create(department=department, year=year, title=title, created_by=by)
    audit_create(
        actor=by, obj=indicator_set, organisation=department, summary=f"制定考核指标：{indicator_set}（规则O5）"
    )
    return indicator_set


def _indicator_values(indicator_set, *, category, text, guidance, max_score, weight, threshold, order, exclude=None):
    category = clean_text(category, 50, "category", "指标类别", required=True)
    text = clean_text(text, 200, "text", "评价内容", required=True)
    guidance = clean_text(guidance, 500, "guidance", "评分标准")
    max_score = _decimal(max_score, "max_score", "分值", lower=Decimal("0.01"))
    if max_score is None:
        raise ValidationError({"max_score": "请填写分值。"})
    weight = _decimal(weight if weight not in (None, "") else 1, "weight", "权重", lower=Decimal("0.01"))
    threshold = _decimal(threshold, "threshold", "达标分", upper=max_score)
    if threshold is None:
        threshold = max_score
    try:
        order = int(order or 0)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"order": "排序应为整数。"}) from exc
    if not 0 <= order <= 999:
        raise ValidationError({"order": "排序应在 0–999 之间。"})
    if (
        Indicator.objects.filter(indicator_set=indicator_set, category=category, text=text)
        .exclude(pk=exclude)
        .exists()
    ):
        raise ValidationError({"text": "该类别下已有相同的评价内容。"})
    return {
        "category": category,
        "text": text,
        "guidance": guidance,
        "max_score": max_score,
        "weight": weight,
        "threshold": threshold,
        "order": order,
    }


@transaction.atomic
def indicator_create(
    *,
    by,
    indicator_set: IndicatorSet,
    category: str,
    text: str,
    max_score,
    weight=1,
    threshold=None,
    guidance: str = "",
    order: int = 0,
) -> Indicator:
    """Add an indicator to a year's set (rule O5); refused once the set is frozen."""
    indicator_set = _set_locked(indicator_set)
    _refuse_if_frozen(indicator_set)
    values = _indicator_values(
        indicator_set,
        category=category,
        text=text,
        guidance=guidance,
        max_score=max_score,
        weight=weight,
        threshold=threshold,
        order=order,
    )
    indicator = Indicator.objects.create(indicator_set=indicator_set, **values)
    audit_create(
        actor=by,
        obj=indicator,
        organisation=indicator_set.department,
        summary=f"新增考核指标（{indicator_set.year}年度）：{indicator}",
    )
    return indicator


@transaction.atomic
def indicator_update(
    *,
    by,
    indicator: Indicator,
    category: str,
    text: str,
    max_score,
    weight=1,
    threshold=None,
    guidance: str = "",
    order: int = 0,
) -> Indicator:
    """Change an indicator while no assessment uses its set (rule O5)."""
    indicator_set = _set_locked(indicator.indicator_set)
    _refuse_if_frozen(indicator_set)
    indicator = Indicator.objects.get(pk=indicator.pk)
    values = _indicator_values(
        indicator_set,
        category=category,
        text=text,
        guidance=guidance,
        max_score=max_score,
        weight=weight,
        threshold=threshold,
        order=order,
        exclude=indicator.pk,
    )
    before = snapshot(indicator)
    for field, value in values.items():
        setattr(indicator, field, value)
    indicator.save()
    audit_update(
        actor=by,
        obj=indicator,
        before=before,
        organisation=indicator_set.department,
        summary=f"修改考核指标（{indicator_set.year}年度）：{indicator}",
    )
    return indicator


@transaction.atomic
def indicator_delete(*, by, indicator: Indicator) -> None:
    """Remove an indicator while no assessment uses its set (rule O5)."""
    indicator_set = _set_locked(indicator.indicator_set)
    _refuse_if_frozen(indicator_set)
    indicator = Indicator.objects.get(pk=indicator.pk)
    changes = {k: [v, None] for k, v in snapshot(indicator).items() if v not in (None, "", [], {})}
    audit(
        actor=by,
        action=AuditAction.DELETE,
        obj=indicator,
        organisation=indicator_set.department,
        summary=f"删除考核指标（{indicator_set.year}年度）：{indicator}",
        changes=changes,
    )
    indicator.delete()


def indicator_set_for(station: Organisation, year: int) -> IndicatorSet | None:
    """The indicators that apply to ``station`` in ``year``: the nearest department above it with a set."""
    current = station.supervisor
    for _ in range(10):
        if current is None:
            return None
        found = IndicatorSet.objects.filter(department=current, year=year).first()
        if found is not None:
            return found
        current = current.supervisor
    return None


def _assessment_locked(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("station", "department", "evaluator_org", "indicator_set")
        .get(pk=assessment.pk)
    )


def _assessment_move(assessment: Assessment, to: str) -> None:
    if to not in ASSESSMENT_TRANSITIONS[AssessmentStatus(assessment.status)]:
        raise ValidationError(
            f"考核当前为“{assessment.get_status_display()}”，不能改为“{AssessmentStatus(to).label}”（规则O5）。"
        )


@transaction.atomic
def assessment_open(
    *,
    by,
    station: Organisation,
    year: int,
    evaluator_org: Organisation | None = None,
    self_due_on: datetime.date | None = None,
) -> Assessment:
    """Open a station's assessment for a year against the indicators in force (rule O5): one per station and
    year; the indicator set is frozen from now on. The evaluator is a third-party supervisor body below the
    department, or the department itself."""
    from core.scoping import subtree_org_ids

    department = by.organisation
    if station.kind not in STATION_KINDS:
        raise ValidationError({"station": "只能考核救助管理机构。"})
    if department is None or department.kind != OrgKind.CIVIL_AFFAIRS:
        if not by.is_superuser:
            raise ValidationError({"station": "考核由民政部门组织。"})
        department = station.supervisor
    try:
        year = int(year)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"year": "请填写年度。"}) from exc
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度应在 2000–2100 之间。"})
    indicator_set = indicator_set_for(station, year)
    if indicator_set is None or not indicator_set.indicators.exists():
        raise ValidationError({"year": f"{year}年度还没有适用于该机构的考核指标，请先制定指标。"})
    indicator_set = _set_locked(indicator_set)  # an edit of the indicators waits for this round (frozen after)
    evaluator_org = evaluator_org or department
    below = subtree_org_ids([department.pk])
    if evaluator_org.pk != department.pk and not (
        evaluator_org.kind == OrgKind.SUPERVISION and evaluator_org.pk in below
    ):
        raise ValidationError(
            {"evaluator_org": "第三方评估机构须为本部门主管的监督/评估机构，或由本部门自行评估。"}
        )
    if evaluator_org.pk == station.pk:
        raise ValidationError({"evaluator_org": "被考核机构不能评估自己。"})
    self_due_on = self_due_on or self_due_default(year)
    if self_due_on.year not in (year, year + 1):
        raise ValidationError({"self_due_on": "自评截止日期应在考核年度或次年。"})
    if Assessment.objects.filter(station=station, year=year).exists():
        raise ValidationError({"year": f"{station.display_short}{year}年度的考核已经发起（每个机构每年一次）。"})
    assessment = Assessment.objects.create(
        number=f"{station.code}-KH{year}",
        station=station,
        year=year,
        indicator_set=indicator_set,
        department=department,
        evaluator_org=evaluator_org,
        self_due_on=self_due_on,
        opened_by=by,
    )
    indicators = list(indicator_set.indicators.all())
    AssessmentScore.objects.bulk_create(
        [AssessmentScore(assessment=assessment, indicator=indicator) for indicator in indicators]
    )
    audit_create(
        actor=by,
        obj=assessment,
        organisation=station,
        summary=f"发起{year}年度考核评价：{station.name}（{len(indicators)} 项指标，规则O5）",
    )
    return assessment


def _apply_scores(assessment: Assessment, scores: dict, *, side: str) -> dict:
    """Write ``scores`` ({indicator pk: {"score": …, "remark": …}}) on one side ("self" or "eval") of the
    assessment's rows; returns the changes {indicator text: [old, new]} for the audit entry."""
    rows = {row.indicator_id: row for row in assessment.scores.select_related("indicator")}
    label = "自评" if side == "self" else "评估"
    errors: dict[str, str] = {}
    cleaned: dict[int, tuple] = {}
    for key, value in (scores or {}).items():
        pk = getattr(key, "pk", key)
        row = rows.get(pk)
        if row is None:
            errors["scores"] = "得分中含有不属于本次考核的指标。"
            continue
        value = value or {}
        try:
            score = _decimal(
                value.get("score"), f"s_{pk}", f"“{row.indicator.text[:20]}”的{label}得分",
                upper=row.indicator.max_score,
            )
            remark = clean_text(value.get("remark"), 300, f"m_{pk}", f"{label}说明")
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
            continue
        cleaned[pk] = (score, remark)
    if errors:
        raise ValidationError(errors)
    changes: dict[str, list] = {}
    for pk, (score, remark) in cleaned.items():
        row = rows[pk]
        old = (getattr(row, f"{side}_score"), getattr(row, f"{side}_remark"))
        if old == (score, remark):
            continue
        setattr(row, f"{side}_score", score)
        setattr(row, f"{side}_remark", remark)
        row.save(update_fields=[f"{side}_score", f"{side}_remark", "updated_at"])
        changes[f"{row.indicator.category}/{row.indicator.text[:40]}"] = [
            None if old[0] is None else str(old[0]),
            None if score is None else str(score),
        ]
    return changes


def _missing(assessment: Assessment, side: str) -> list[str]:
    return [
        row.indicator.text
        for row in assessment.scores.select_related("indicator")
        if getattr(row, f"{side}_score") is None
    ]


#: What differs between the two sides of an assessment (rule O5): the station's self-assessment and the
#: third-party evaluation are saved and submitted the same way.
_SIDES = {
    "self": {"summary": ("self_summary", "自评总结"), "at": "self_submitted_at", "by": "self_submitted_by",
             "to": AssessmentStatus.SELF_ASSESSED, "undone": "未自评", "name": "自评", "clears": ("return_reason",)},
    "eval": {"summary": ("evaluation_summary", "评估意见"), "at": "evaluated_at", "by": "evaluated_by",
             "to": AssessmentStatus.EVALUATED, "undone": "未评估", "name": "第三方评估", "clears": ()},
}


def _scores_save(*, by, assessment: Assessment, scores: dict, summary: str, submit: bool, side: str) -> Assessment:
    """Save one side's scores and summary (locked, state already checked by the caller), or submit it with
    every indicator scored; audited with the scores' and the fields' old → new."""
    spec = _SIDES[side]
    summary_field, summary_label = spec["summary"]
    summary = clean_text(summary, 1000, summary_field, summary_label)
    changes = _apply_scores(assessment, scores, side=side)
    before = snapshot(assessment, ["status", summary_field, spec["at"], spec["by"]])
    setattr(assessment, summary_field, summary)
    fields = [summary_field, "updated_at"]
    if submit:
        _assessment_move(assessment, spec["to"])
        missing = _missing(assessment, side)
        if missing:
            raise ValidationError(
                {"scores": f"还有 {len(missing)} 项指标{spec['undone']}：" + "、".join(t[:20] for t in missing[:5])}
            )
        assessment.status = spec["to"]
        setattr(assessment, spec["at"], timezone.now())
        setattr(assessment, spec["by"], by)
        for name in spec["clears"]:
            setattr(assessment, name, "")
        fields += ["status", spec["at"], spec["by"], *spec["clears"]]
    assessment.save(update_fields=fields)
    after = snapshot(assessment, list(before))
    changes.update({k: [before[k], after[k]] for k in before if before[k] != after[k]})
    audit(
        actor=by,
        action=AuditAction.TRANSITION if submit else AuditAction.UPDATE,
        obj=assessment,
        organisation=assessment.station,
        summary=f"{'提交' if submit else '保存'}{assessment.year}年度{spec['name']} {assessment.number}",
        changes=changes,
    )
    return assessment


@transaction.atomic
def self_assessment_save(
    *, by, assessment: Assessment, scores: dict, summary: str = "", submit: bool = False
) -> Assessment:
    """The station's self-assessment (rule O5): scores and remarks per indicator, saved as a draft, or submitted
    (all indicators scored) — draft → self-assessed."""
    assessment = _assessment_locked(assessment)
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(f"考核当前为“{assessment.get_status_display()}”，不能再修改自评（规则O5）。")
    return _scores_save(by=by, assessment=assessment, scores=scores, summary=summary, submit=submit, side="self")


@transaction.atomic
def self_assessment_return(*, by, assessment: Assessment, reason: str) -> Assessment:
    """The evaluator sends a self-assessment back to the station before evaluating (self-assessed → draft);
    the self-assessment deadline then counts again."""
    assessment = _assessment_locked(assessment)
    _assessment_move(assessment, AssessmentStatus.DRAFT)
    reason = clean_text(reason, 300, "reason", "退回理由", required=True)
    before = snapshot(assessment, ["status", "self_submitted_at", "self_submitted_by", "return_reason"])
    assessment.status = AssessmentStatus.DRAFT
    assessment.self_submitted_at, assessment.self_submitted_by, assessment.return_reason = None, None, reason
    assessment.save(update_fields=["status", "self_submitted_at", "self_submitted_by", "return_reason", "updated_at"])
    audit_update(
        actor=by,
        obj=assessment,
        before=before,
        organisation=assessment.station,
        summary=f"退回{assessment.year}年度自评 {assessment.number}：{reason[:50]}",
    )
    return assessment


@transaction.atomic
def evaluation_save(
    *, by, assessment: Assessment, scores: dict, summary: str = "", submit: bool = False
) -> Assessment:
    """The third-party evaluation (rule O5), beside the self-assessment: saved, or submitted with every
    indicator scored — self-assessed → evaluated."""
    assessment = _assessment_locked(assessment)
    if assessment.status != AssessmentStatus.SELF_ASSESSED:
        raise ValidationError(
            f"考核当前为“{assessment.get_status_display()}”，只有已自评、待评估的考核可以录入第三方评估（规则O5）。"
        )
    return _scores_save(by=by, assessment=assessment, scores=scores, summary=summary, submit=submit, side="eval")


def shortfalls(assessment: Assessment) -> list[AssessmentScore]:
    """The indicators the third-party evaluation scored below their threshold (rule O5: the problem list)."""
    return [
        row
        for row in assessment.scores.select_related("indicator", "hazard")
        if row.eval_score is not None and row.eval_score < row.indicator.threshold
    ]


def _shortfall_text(row: AssessmentScore) -> str:
    ind = row.indicator
    text = f"考核评价问题：{ind.category}—{ind.text}（评估得分 {row.eval_score}，满分 {ind.max_score}，达标 {ind.threshold}）"
    if row.eval_remark:
        text += f"。{row.eval_remark}"
    return text[:500]


@transaction.atomic
def assessment_conclude(
    *,
    by,
    assessment: Assessment,
    conclusion: str,
    grade: str = "",
    deadline: datetime.date | None = None,
) -> Assessment:
    """The department concludes the round (evaluated → concluded): every indicator scored below its threshold
    becomes a hazard in the ledger with the assessment as its source, rectified and accepted by someone other
    than the fixer like any other hazard (rules O5, O3)."""
    assessment = _assessment_locked(assessment)
    _assessment_move(assessment, AssessmentStatus.CONCLUDED)
    conclusion = clean_text(conclusion, 1000, "conclusion", "考核结论", required=True)
    if grade and grade not in AssessmentGrade.values:
        raise ValidationError({"grade": "请选择考核等次。"})
    today = timezone.localdate()
    if deadline is not None and deadline < today:
        raise ValidationError({"deadline": "整改期限不能早于今天。"})
    if deadline is not None and deadline > today + datetime.timedelta(days=366):
        raise ValidationError({"deadline": "整改期限不能超过一年。"})
    before = snapshot(assessment, ["status", "grade", "conclusion", "concluded_at", "concluded_by"])
    assessment.status, assessment.grade, assessment.conclusion = AssessmentStatus.CONCLUDED, grade, conclusion
    assessment.concluded_at, assessment.concluded_by = timezone.now(), by
    assessment.save(
        update_fields=["status", "grade", "conclusion", "concluded_at", "concluded_by", "updated_at"]
    )
    opened = []
    for row in shortfalls(assessment):
        hazard = hazard_create(
            by=by,
            organisation=assessment.station,
            category=HazardCategory.ASSESSMENT,
            description=_shortfall_text(row),
            deadline=deadline,
            found_on=today,
            source=f"考核评价 {assessment.number}",
        )
        row.hazard = hazard
        row.save(update_fields=["hazard", "updated_at"])
        opened.append(hazard.number)
    after = snapshot(assessment, list(before))
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    changes["hazards"] = [None, opened]
    audit(
        actor=by,
        action=AuditAction.TRANSITION,
        obj=assessment,
        organisation=assessment.station,
        summary=f"办结{assessment.year}年度考核 {assessment.number}，{len(opened)} 项问题录入隐患台账整改（规则O5）",
        changes=changes,
    )
    return assessment


def assessment_totals(assessment: Assessment, rows=None) -> dict:
    """Totals of both sides (rule O5): raw sums against the full score, and the weighted score on a 100 scale
    — Σ(score ÷ full score × weight) ÷ Σ weight × 100; a side is complete only when every indicator is scored."""
    rows = list(rows if rows is not None else assessment.scores.select_related("indicator"))
    total_weight = sum((r.indicator.weight for r in rows), Decimal(0))
    full = sum((r.indicator.max_score for r in rows), Decimal(0))
    result = {"full": full, "weight": total_weight, "count": len(rows)}
    for side in ("self", "eval"):
        scored = [r for r in rows if getattr(r, f"{side}_score") is not None]
        raw = sum((getattr(r, f"{side}_score") for r in scored), Decimal(0))
        weighted = sum(
            (getattr(r, f"{side}_score") / r.indicator.max_score * r.indicator.weight for r in scored), Decimal(0)
        )
        result[side] = {
            "raw": raw,
            "weighted": (weighted / total_weight * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if total_weight
            else Decimal(0),
            "scored": len(scored),
            "complete": len(scored) == len(rows),
        }
    both = [r for r in rows if r.self_score is not None and r.eval_score is not None]
    result["difference"] = (result["eval"]["weighted"] - result["self"]["weighted"]) if both else None
    result["shortfalls"] = sum(
        1 for r in rows if r.eval_score is not None and r.eval_score < r.indicator.threshold
    )
    return result


def weighted(row: AssessmentScore, side: str) -> Decimal | None:
    """One indicator's weighted score (score ÷ full score × weight)."""
    score = getattr(row, f"{side}_score")
    if score is None:
        return None
    return (score / row.indicator.max_score * row.indicator.weight).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
