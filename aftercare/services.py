"""Every write of the aftercare app: one function per action, in a transaction, validated, audited.

Who may write: staff of the sending station (reception, carer, tracer; head and admin always) and any
user of the township or village the record is routed to (their contacts, 救助联络员 / 网格员).
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from aftercare.models import (
    ATTENTION_TRANSITIONS,
    REFERRAL_TRANSITIONS,
    RISK_CATEGORIES,
    SHARED_FIELDS,
    SHARED_MAX_BYTES,
    SHARED_MAX_ROWS,
    AttentionItem,
    AttentionStatus,
    DataSender,
    FollowUpVisit,
    HardshipKind,
    HardshipReferral,
    ReferralStatus,
    ReturnCase,
    ReturnWay,
    RiskRegistration,
    RiskVisit,
    SharedList,
    SharedListKind,
    SharedListRow,
    VisitMethod,
    WanderingAlert,
)
from core.audit import audit_create, audit_update, snapshot
from core.excel import cell_text, read_upload
from core.idnumbers import store_id_number
from core.models import STATION_KINDS, Division, DivisionLevel, Organisation, OrgKind, Role
from core.scoping import can_write
from core.validation import clean_instance, past_moment
from deadlines.calendar_math import add_months

#: Station roles that keep the ledger (head and admin are always included by core.scoping.can_write).
STATION_ROLES = (Role.RECEPTION, Role.CARER, Role.TRACER)
LOCAL_KINDS = (OrgKind.TOWNSHIP, OrgKind.VILLAGE)
HOME_EXITS = {"home_ticket": ReturnWay.TICKET, "home_escorted": ReturnWay.ESCORTED}


def rule(key: str, default: int) -> int:
    return int(settings.GUITU_RULES.get(key, default))


# --- permissions ----------------------------------------------------------------------------------


def may_write_for(user, organisation: Organisation | None) -> bool:
    """A township or village user writes for their own organisation; station staff need a ledger role."""
    if organisation is None:
        return False
    if organisation.kind in LOCAL_KINDS:
        return can_write(user, organisation)
    return can_write(user, organisation, *STATION_ROLES)


def acting_org(user, *organisations: Organisation | None) -> Organisation:
    """The organisation (among those the record belongs to) on whose behalf ``user`` writes, or 403."""
    for org in organisations:
        if org is not None and user.organisation_id == org.id and may_write_for(user, org):
            return org
    if user.is_superuser:
        return next(o for o in organisations if o is not None)
    raise PermissionDenied("您只有查看权限，不能修改该记录。")


def _not_future(value: datetime.datetime | None, field: str, label: str) -> datetime.datetime:
    return past_moment(value, field, label)


def _local(value: datetime.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _full_clean(obj, exclude=()) -> None:
    clean_instance(obj, exclude)


# --- routing (rule A1: by division code to the township of destination) ------------------------------


def route_for(division: Division | None) -> tuple[Organisation | None, Organisation | None]:
    """The township and village organisations responsible for a place (GB/T 2260 extended codes)."""
    if division is None:
        return None, None
    village = None
    township_division = None
    if division.level == DivisionLevel.VILLAGE:
        village = Organisation.objects.filter(kind=OrgKind.VILLAGE, division=division, is_active=True).first()
        township_division = division.parent
    elif division.level == DivisionLevel.TOWNSHIP:
        township_division = division
    township = None
    if township_division is not None:
        township = Organisation.objects.filter(
            kind=OrgKind.TOWNSHIP, division=township_division, is_active=True
        ).first()
    return township, village


def _check_route(township: Organisation | None, village: Organisation | None) -> None:
    errors = {}
    if township is not None and township.kind != OrgKind.TOWNSHIP:
        errors["township"] = "负责乡镇须为乡镇/街道机构。"
    if village is not None:
        if village.kind != OrgKind.VILLAGE:
            errors["village"] = "所在村（居）须为村/居委会机构。"
        elif township is None:
            errors["village"] = "请先选择负责乡镇。"
        elif village.division.parent_id != township.division_id and village.supervisor_id != township.id:
            errors["village"] = "该村（居）不属于所选乡镇。"
    if errors:
        raise ValidationError(errors)


# --- the returnee ledger (rule A1) ------------------------------------------------------------------


def on_departure_recorded(event) -> ReturnCase | None:
    """A return home (ticket or escorted) opens a ledger entry (rule A1), in the departure's transaction."""
    way = HOME_EXITS.get(str(event.exit_type))
    if way is None:
        return None
    departure = event.departure
    return return_case_open(
        by=event.by,
        episode=event.episode,
        way=way,
        returned_at=event.at,
        destination_text=(departure.destination or departure.escort_route or "")[:200],
    )


@transaction.atomic
def return_case_open(
    *, by, episode, way: str, returned_at: datetime.datetime, destination_text: str = ""
) -> ReturnCase:
    """Open the ledger entry of one return home, routed by the person's 户籍 division (rule A1)."""
    existing = ReturnCase.objects.filter(episode=episode).first()
    if existing is not None:
        return existing
    person = episode.person
    destination = person.hukou_division
    township, village = route_for(destination)
    age = person.age_on(timezone.localtime(returned_at).date())
    case = ReturnCase(
        person=person,
        episode=episode,
        station=episode.station,
        way=way,
        returned_at=returned_at,
        destination=destination,
        destination_text=(destination_text or person.hukou_text or "")[:200],
        township=township,
        village=village,
        followup_org=township or episode.station,
        is_minor=bool(person.is_minor or (age is not None and age < 18)),
    )
    case.save()
    audit_create(
        actor=by,
        obj=case,
        organisation=episode.station,
        person_uuid=person.uuid,
        summary=f"返乡人员台账：{person.name}（{case.get_way_display()}）"
        + (f"，转{township.name}" if township else "，户籍地尚无乡镇联络机构"),
    )
    return case


@transaction.atomic
def return_case_route(
    *, by, case: ReturnCase, township: Organisation | None, village: Organisation | None = None
) -> ReturnCase:
    """The sending station routes (or re-routes) a ledger entry to a township and village (rule A1)."""
    case = ReturnCase.objects.select_for_update().get(pk=case.pk)
    acting_org(by, case.station)
    _check_route(township, village)
    before = snapshot(case)
    case.township, case.village = township, village
    case.followup_org = township or case.station
    case.save()
    audit_update(
        actor=by,
        obj=case,
        before=before,
        organisation=case.station,
        person_uuid=case.person.uuid,
        summary=f"返乡人员转交乡镇：{case.person.name} → {township or '（送返机构自行回访）'}",
    )
    return case


@transaction.atomic
def family_report_record(*, by, case: ReturnCase, report: str) -> ReturnCase:
    """The village committee's report on the family situation (rule A1)."""
    case = ReturnCase.objects.select_for_update().get(pk=case.pk)
    acting_org(by, case.village, case.township, case.station)
    report = (report or "").strip()
    if not report:
        raise ValidationError({"family_report": "请填写家庭情况。"})
    before = snapshot(case)
    case.family_report = report
    case.family_reported_at = timezone.now()
    case.family_reported_by = by
    _full_clean(case)
    case.save()
    audit_update(
        actor=by,
        obj=case,
        before=before,
        organisation=case.station,
        person_uuid=case.person.uuid,
        summary=f"登记返乡人员家庭情况：{case.person.name}",
    )
    return case


@transaction.atomic
def referral_create(
    *, by, case: ReturnCase, kind: str, reason: str, referred_at: datetime.datetime | None = None
) -> HardshipReferral:
    """Refer a returnee's hardship to the township for 低保 / 特困 / 临时救助 (rule A1)."""
    case = ReturnCase.objects.select_for_update().get(pk=case.pk)
    acting_org(by, case.village, case.township, case.station)
    if kind not in HardshipKind.values:
        raise ValidationError({"kind": "请选择帮扶类别。"})
    if case.township_id is None:
        raise ValidationError("该返乡人员尚未转交乡镇（街道），无法转介帮扶；请送返机构先确定负责乡镇。")
    referred_at = _not_future(referred_at or timezone.now(), "referred_at", "转介时间")
    if referred_at < case.returned_at:
        raise ValidationError({"referred_at": f"转介时间不能早于返乡时间（{_local(case.returned_at)}）。"})
    if case.referrals.filter(kind=kind, status=ReferralStatus.PENDING).exists():
        raise ValidationError({"kind": f"已有待办理的“{HardshipKind(kind).label}”转介，请等待乡镇办结。"})
    referral = HardshipReferral(
        case=case, kind=kind, reason=(reason or "").strip(), referred_at=referred_at, referred_by=by
    )
    _full_clean(referral, exclude=["case", "referred_by"])
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError as exc:
        raise ValidationError({"kind": "已有待办理的同类转介。"}) from exc
    audit_create(
        actor=by,
        obj=referral,
        organisation=case.station,
        person_uuid=case.person.uuid,
        summary=f"困难帮扶转介：{case.person.name} → {case.township}（{referral.get_kind_display()}）",
    )
    return referral


@transaction.atomic
def referral_decide(*, by, referral: HardshipReferral, status: str, outcome: str) -> HardshipReferral:
    """The township records the outcome of a referral (rule A1): 已纳入 or 不予纳入, with the details."""
    referral = (
        HardshipReferral.objects.select_for_update(of=("self",))
        .select_related("case__person", "case__township", "case__station")
        .get(pk=referral.pk)
    )
    case = referral.case
    acting_org(by, case.township)
    if status not in REFERRAL_TRANSITIONS.get(referral.status, set()):
        raise ValidationError({"status": f"该转介已是“{referral.get_status_display()}”，不能改为所选结果。"})
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": "请填写办理情况（如纳入低保的时间、金额或不予纳入的理由）。"})
    before = snapshot(referral)
    referral.status, referral.outcome = status, outcome
    referral.decided_at, referral.decided_by = timezone.now(), by
    _full_clean(referral)
    referral.save()
    audit_update(
        actor=by,
        obj=referral,
        before=before,
        organisation=case.station,
        person_uuid=case.person.uuid,
        summary=f"帮扶转介办结：{case.person.name}（{referral.get_status_display()}）",
    )
    return referral


@transaction.atomic
def followup_visit_add(
    *, by, case: ReturnCase, visited_at: datetime.datetime, method: str, situation: str, at_home: bool = True
) -> FollowUpVisit:
    """Record a follow-up visit to a returnee (rule A2); never before the return, never in the future."""
    case = ReturnCase.objects.select_for_update().get(pk=case.pk)
    org = acting_org(by, case.village, case.township, case.station)
    visited_at = _not_future(visited_at, "visited_at", "回访时间")
    if visited_at < case.returned_at:
        raise ValidationError({"visited_at": f"回访时间不能早于返乡时间（{_local(case.returned_at)}）。"})
    if method not in VisitMethod.values:
        raise ValidationError({"method": "请选择回访方式。"})
    visit = FollowUpVisit(
        case=case,
        visited_at=visited_at,
        method=method,
        organisation=org,
        visited_by=by,
        at_home=bool(at_home),
        situation=(situation or "").strip(),
    )
    _full_clean(visit, exclude=["case", "organisation", "visited_by"])
    visit.save()
    audit_create(
        actor=by,
        obj=visit,
        organisation=case.station,
        person_uuid=case.person.uuid,
        summary=f"返乡回访：{case.person.name}（{visit.get_method_display()}，{org.name}）",
    )
    return visit


# --- the registry of people at risk (rule A3) ---------------------------------------------------------

END_REASONS = {
    "completed": "走访满一年，情况稳定",
    "died": "死亡",
    "moved": "迁出本乡镇（街道）",
    "institution": "入住养老、医疗或托养机构",
}


@transaction.atomic
def registration_create(
    *,
    by,
    data: dict[str, Any],
    township: Organisation,
    station: Organisation,
    village: Organisation | None = None,
    case: ReturnCase | None = None,
    registered_at: datetime.datetime | None = None,
    person=None,
) -> RiskRegistration:
    """Put a person on the township's roster of people at risk of wandering (rule A3).

    From a ledger entry the person's file fills the details. The township must then visit at least
    every 2 months for at least 12 months (deadlines A3 and A3v). ``person`` links a person file without a
    ledger entry (a shared-list match confirmed by staff, rule A4)."""
    acting_org(by, village, township, station, *((case.station,) if case else ()))
    _check_route(township, village)
    if township is None:
        raise ValidationError({"township": "请选择负责乡镇（街道）。"})
    if station is None or station.kind not in STATION_KINDS:
        raise ValidationError({"station": "请选择再次流浪时通报的救助管理机构。"})
    registered_at = _not_future(registered_at or timezone.now(), "registered_at", "登记时间")
    allowed = {
        "name",
        "sex",
        "birth_date",
        "address",
        "guardian_name",
        "guardian_phone",
        "marks",
        *RISK_CATEGORIES,
    }
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(f"未知字段：{'、'.join(sorted(unknown))}")
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if case is not None:
        person = case.person
        values.setdefault("name", person.name)
        values.setdefault("sex", person.sex)
        values.setdefault("birth_date", person.birth_date)
        if not values.get("address"):
            values["address"] = case.destination_text or person.hukou_text or (str(case.destination or ""))
    if not any(values.get(c) for c in RISK_CATEGORIES):
        raise ValidationError({"mental_disorder": "请至少选择一类情形（精神障碍、认知症、残疾或多次流浪）。"})
    phone = values.get("guardian_phone") or ""
    if phone and not all(ch.isdigit() or ch in "+-() " for ch in phone):
        raise ValidationError({"guardian_phone": "电话号码只能包含数字和“+-()”。"})
    if values.get("birth_date") and values["birth_date"] > timezone.localdate():
        raise ValidationError({"birth_date": "出生日期不能晚于今天。"})
    if person is not None and RiskRegistration.objects.filter(person=person, ended_at__isnull=True).exists():
        raise ValidationError("该人员已在易流浪走失人员库中。")
    reg = RiskRegistration(
        person=person,
        case=case,
        township=township,
        village=village,
        station=station,
        registered_at=registered_at,
        registered_by=by,
        visit_until=add_months(timezone.localtime(registered_at), rule("A3_MIN_MONTHS", 12)),
        **{k: ("" if v is None and k not in ("birth_date",) else v) for k, v in values.items()},
    )
    _full_clean(reg, exclude=["person", "case", "township", "village", "station", "registered_by"])
    try:
        with transaction.atomic():
            reg.save()
    except IntegrityError as exc:
        raise ValidationError("该人员已在易流浪走失人员库中。") from exc
    audit_create(
        actor=by,
        obj=reg,
        organisation=station,
        person_uuid=person.uuid if person else None,
        summary=f"登记易流浪走失人员：{reg.name}（{'、'.join(reg.category_labels)}，{township.name}）",
    )
    return reg


@transaction.atomic
def registration_end(*, by, registration: RiskRegistration, reason: str) -> RiskRegistration:
    """Take a person off the roster: after at least a year of visits, or because they died or moved (rule A3)."""
    reg = RiskRegistration.objects.select_for_update().get(pk=registration.pk)
    acting_org(by, reg.township, reg.station)
    if reg.ended_at is not None:
        raise ValidationError("该人员已移出人员库。")
    if reason not in END_REASONS:
        raise ValidationError({"reason": "请选择移出原因。"})
    now = timezone.now()
    if reason == "completed" and now < reg.visit_until:
        raise ValidationError(
            {"reason": f"走访须至少持续一年（至 {_local(reg.visit_until)}），未满一年不能以“情况稳定”移出。"}
        )
    before = snapshot(reg)
    reg.ended_at, reg.end_reason = now, END_REASONS[reason]
    reg.save()
    audit_update(
        actor=by,
        obj=reg,
        before=before,
        organisation=reg.station,
        person_uuid=reg.person.uuid if reg.person_id else None,
        summary=f"移出易流浪走失人员库：{reg.name}",
    )
    return reg


@transaction.atomic
def risk_visit_add(
    *,
    by,
    registration: RiskRegistration,
    visited_at: datetime.datetime,
    method: str,
    situation: str,
    present: bool = True,
) -> RiskVisit:
    """Record the township's visit (rule A3: at least every 2 months); each visit follows the previous one."""
    reg = RiskRegistration.objects.select_for_update().get(pk=registration.pk)
    org = acting_org(by, reg.village, reg.township)
    visited_at = _not_future(visited_at, "visited_at", "走访时间")
    if visited_at < reg.registered_at:
        raise ValidationError({"visited_at": f"走访时间不能早于登记时间（{_local(reg.registered_at)}）。"})
    if reg.ended_at is not None and visited_at > reg.ended_at:
        raise ValidationError("该人员已移出人员库，不能再登记走访。")
    if method not in VisitMethod.values:
        raise ValidationError({"method": "请选择走访方式。"})
    previous = reg.visits.order_by("-visited_at", "-id").first()
    if previous is not None and visited_at <= previous.visited_at:
        raise ValidationError({"visited_at": f"走访时间须晚于上一次走访（{_local(previous.visited_at)}）。"})
    visit = RiskVisit(
        registration=reg,
        previous=previous,
        visited_at=visited_at,
        method=method,
        organisation=org,
        visited_by=by,
        present=bool(present),
        situation=(situation or "").strip(),
    )
    _full_clean(visit, exclude=["registration", "previous", "organisation", "visited_by"])
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as exc:
        raise ValidationError("刚刚已有人登记了一次走访，请刷新后再试。") from exc
    audit_create(
        actor=by,
        obj=visit,
        organisation=reg.station,
        person_uuid=reg.person.uuid if reg.person_id else None,
        summary=f"走访易流浪走失人员：{reg.name}（{visit.get_method_display()}）",
    )
    return visit


# --- renewed wandering (rule A3) ----------------------------------------------------------------------


@transaction.atomic
def wandering_report(
    *,
    by,
    case: ReturnCase | None = None,
    registration: RiskRegistration | None = None,
    last_seen_on: datetime.date,
    last_seen_place: str = "",
    note: str = "",
) -> WanderingAlert:
    """A township or village reports that a returnee or registered person wanders again (rule A3).

    The station is alerted (deadline A3w) and the person becomes a missing-person record the matching
    engine compares with everyone who comes into care."""
    if (case is None) == (registration is None):
        raise ValidationError("请指定返乡人员或易流浪走失人员之一。")
    if registration is not None:
        registration = RiskRegistration.objects.select_for_update().get(pk=registration.pk)
        subject_orgs = (registration.village, registration.township, registration.station)
        station, township, village = registration.station, registration.township, registration.village
        person, name = registration.person, registration.name
        open_alerts = WanderingAlert.objects.filter(registration=registration, acknowledged_at__isnull=True)
    else:
        case = ReturnCase.objects.select_for_update().get(pk=case.pk)
        subject_orgs = (case.village, case.township, case.station)
        station, township, village = case.station, case.township, case.village
        person, name = case.person, case.person.name
        open_alerts = WanderingAlert.objects.filter(case=case, acknowledged_at__isnull=True)
    org = acting_org(by, *subject_orgs)
    if last_seen_on is None:
        raise ValidationError({"last_seen_on": "请填写最后在家日期。"})
    if last_seen_on > timezone.localdate():
        raise ValidationError({"last_seen_on": "最后在家日期不能晚于今天。"})
    if open_alerts.exists():
        raise ValidationError("已报告过该人员再次外出，救助管理机构尚未签收；无需重复报告。")
    now = timezone.now()
    alert = WanderingAlert(
        case=case,
        registration=registration,
        name=name,
        station=station,
        township=township,
        village=village,
        reporting_org=org,
        reported_by=by,
        reported_at=now,
        last_seen_on=last_seen_on,
        last_seen_place=(last_seen_place or "").strip(),
        note=(note or "").strip(),
    )
    _full_clean(
        alert,
        exclude=["case", "registration", "station", "township", "village", "reporting_org", "reported_by"],
    )
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError as exc:
        raise ValidationError("已报告过该人员再次外出，救助管理机构尚未签收；无需重复报告。") from exc
    # The person becomes a record the matching engine compares with every newly admitted person (A3 → T7).
    from matching.services import report_create

    source = person
    data = {
        "report_no": f"再次流浪-{alert.uuid.hex[:10].upper()}",
        "reported_at": now,
        "name": name,
        "reporter_name": str(by)[:50],
        "reporter_relationship": org.name[:20],
        "sex": (source.sex if source else registration.sex) or "",
        "birth_date": source.birth_date if source else registration.birth_date,
        "hukou_division": source.hukou_division if source else None,
        "hukou_text": ((source.hukou_text if source else registration.address) or "")[:200],
        "marks": (source.marks if source else registration.marks) or "",
        "last_seen_on": min(last_seen_on, timezone.localdate(now)),
        "last_seen_place": alert.last_seen_place[:200],
    }
    missing = report_create(by=by, organisation=station, data=data)
    alert.missing_report_uuid = missing.uuid
    alert.save(update_fields=["missing_report_uuid"])
    audit_create(
        actor=by,
        obj=alert,
        organisation=station,
        person_uuid=person.uuid if person else None,
        summary=f"报告再次流浪：{name}（{org.name} → {station.name}）",
    )
    return alert


@transaction.atomic
def alert_acknowledge(*, by, alert: WanderingAlert) -> WanderingAlert:
    """The station acknowledges a renewed-wandering alert (deadline A3w: within 24 hours)."""
    alert = WanderingAlert.objects.select_for_update().get(pk=alert.pk)
    acting_org(by, alert.station)
    if alert.acknowledged_at is not None:
        raise ValidationError("该报告已签收。")
    before = snapshot(alert)
    alert.acknowledged_at, alert.acknowledged_by = timezone.now(), by
    alert.save()
    audit_update(
        actor=by,
        obj=alert,
        before=before,
        organisation=alert.station,
        summary=f"签收再次流浪报告：{alert.name}",
    )
    return alert


# --- data sharing (rule A4) -----------------------------------------------------------------------------


def _sender_mapping(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": "列对应关系格式不正确。"})
    unknown = set(mapping) - set(SHARED_FIELDS)
    if unknown:
        raise ValidationError({"mapping": f"未知字段：{'、'.join(sorted(map(str, unknown)))}"})
    clean: dict[str, str] = {}
    for field, header in mapping.items():
        if header is None:
            continue
        if not isinstance(header, str):
            raise ValidationError({"mapping": f"“{SHARED_FIELDS[field]}”的列名应为文字。"})
        header = header.strip()
        if len(header) > 50 or "\x00" in header:
            raise ValidationError({"mapping": f"“{SHARED_FIELDS[field]}”的列名不能超过50个字。"})
        if header:
            clean[field] = header
    if "name" not in clean:
        raise ValidationError({"mapping": "请填写“姓名”所在的列名。"})
    if "id_number" not in clean and "birth_date" not in clean:
        raise ValidationError({"mapping": "请至少填写“身份证号”或“出生日期”所在的列名，否则无法比对。"})
    if len(set(clean.values())) != len(clean):
        raise ValidationError({"mapping": "不同字段不能对应同一列。"})
    return clean


@transaction.atomic
def sender_save(
    *,
    by,
    name: str,
    list_kind: str,
    mapping: dict[str, str],
    header_row: int = 1,
    sender: DataSender | None = None,
) -> DataSender:
    """Create or change a sending department and its column mapping, kept per organisation (rule A4)."""
    if sender is not None:
        sender = DataSender.objects.select_for_update().get(pk=sender.pk)
        org = acting_org(by, sender.organisation)
    else:
        org = by.organisation
        if org is None or not may_write_for(by, org):
            raise PermissionDenied("您没有设置数据共享来源部门的权限。")
    if list_kind not in SharedListKind.values:
        raise ValidationError({"list_kind": "请选择名单类别。"})
    if not isinstance(header_row, int) or not 1 <= header_row <= 20:
        raise ValidationError({"header_row": "表头所在行应为 1 至 20。"})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写来源部门名称。"})
    clean = _sender_mapping(mapping)
    before = snapshot(sender) if sender is not None else None
    if sender is None:
        sender = DataSender(organisation=org, created_by=by)
    sender.name, sender.list_kind, sender.mapping, sender.header_row = name, list_kind, clean, header_row
    _full_clean(sender, exclude=["organisation", "created_by"])
    if DataSender.objects.filter(organisation=org, name=name).exclude(pk=sender.pk).exists():
        raise ValidationError({"name": f"本机构已有来源部门“{name}”。"})
    try:
        with transaction.atomic():
            sender.save()
    except IntegrityError as exc:
        raise ValidationError({"name": f"本机构已有来源部门“{name}”。"}) from exc
    if before is None:
        audit_create(actor=by, obj=sender, organisation=org, summary=f"设置数据共享来源部门：{sender}")
    else:
        audit_update(
            actor=by, obj=sender, before=before, organisation=org, summary=f"修改来源部门列对应：{sender}"
        )
    return sender


def _shared_row(raw: dict[str, Any]) -> tuple[SharedListRow, list[str]]:
    """One sheet row (already keyed by field) → an unsaved row and its Chinese problems."""
    from matching.services import _parse_date

    problems: list[str] = []
    row = SharedListRow()
    for field in ("name", "address", "category", "disability"):
        setattr(row, field, cell_text(raw.get(field)))
    if not row.name:
        problems.append("缺少“姓名”")
    sex = cell_text(raw.get("sex"))
    if sex in ("男", "女"):
        row.sex = sex
    elif sex and sex not in ("不详", "未知"):
        problems.append(f"性别“{sex[:10]}”应为“男”“女”或留空")
    if cell_text(raw.get("birth_date")):
        try:
            row.birth_date = _parse_date(raw["birth_date"], "出生日期")
        except ValueError as exc:
            problems.append(str(exc))
        else:
            if row.birth_date > timezone.localdate() or row.birth_date.year < 1900:
                problems.append(f"出生日期 {row.birth_date:%Y-%m-%d} 不合理")
                row.birth_date = None
    id_number = cell_text(raw.get("id_number")).upper()
    if not id_number and row.birth_date is None and not problems:
        problems.append("身份证号和出生日期至少填写一项")
    if not problems:
        try:
            store_id_number(row, id_number)  # GB 11643 checksum; sex and birth date must agree
        except ValidationError as exc:
            problems += exc.messages
    if not problems:
        try:
            _full_clean(row, exclude=["shared_list", "row_no"])
        except ValidationError as exc:
            labels = {f.name: str(f.verbose_name) for f in SharedListRow._meta.fields}
            problems += [f"{labels.get(k, k)}：{m}" for k, msgs in exc.message_dict.items() for m in msgs]
    return row, problems


def _read_sheet(upload, sender: DataSender) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """The sender's mapped columns of the first sheet, row by row (bounded), or the whole file refused."""
    size = getattr(upload, "size", None)
    if size is not None and size > SHARED_MAX_BYTES:
        raise ValidationError(
            {"file": f"文件过大（最大 {SHARED_MAX_BYTES // 1024 // 1024} MB），请分批导入。"}
        )
    headers, rows = read_upload(upload, header_row=sender.header_row, unreadable="无法读取文件，请上传 Excel（.xlsx）文件。")
    wanted = sender.mapping
    missing = [f"{SHARED_FIELDS[f]}（{h}）" for f, h in wanted.items() if h not in headers]
    if missing:
        raise ValidationError(
            {
                "file": f"第{sender.header_row}行表头中找不到以下列，整份文件未导入：{'、'.join(missing)}。"
                "请核对来源部门的列对应设置。"
            }
        )
    position = {f: headers.index(h) for f, h in wanted.items()}
    out = []
    for rownum, values in rows:
        if len(out) >= SHARED_MAX_ROWS:
            raise ValidationError({"file": f"一次最多导入 {SHARED_MAX_ROWS} 行，请分批导入。"})
        out.append((rownum, {f: values[i] if i < len(values) else None for f, i in position.items()}))
    return out, ""


@transaction.atomic
def shared_list_import(*, by, sender: DataSender, upload, file_name: str = "") -> SharedList:
    """Import a list a department sent (rule A4). All or nothing: any bad row → a ValidationError listing
    every problem as “第N行：…” and nothing saved; otherwise the list and its rows are stored (ID numbers
    encrypted with a keyed hash), audited, and matched in batch on the task queue."""
    org = acting_org(by, sender.organisation)
    raw_rows, _ = _read_sheet(upload, sender)
    problems: list[str] = []
    built: list[SharedListRow] = []
    seen: dict[str, int] = {}
    for rownum, raw in raw_rows:
        row, row_problems = _shared_row(raw)
        if not row_problems and row.id_number_hash:
            first = seen.setdefault(row.id_number_hash, rownum)
            if first != rownum:
                row_problems = [f"身份证号与第{first}行重复"]
        row.row_no = rownum
        problems += [f"第{rownum}行：{p}" for p in row_problems]
        built.append(row)
    if problems:
        raise ValidationError(
            problems[:200] + ([f"……共 {len(problems)} 处错误"] if len(problems) > 200 else [])
        )
    if not built:
        raise ValidationError({"file": "文件中没有人员记录。"})
    file_name = (file_name or getattr(upload, "name", "") or "名单.xlsx").replace("\x00", "")[-200:]
    shared = SharedList.objects.create(
        sender=sender,
        organisation=org,
        list_kind=sender.list_kind,
        file_name=file_name,
        imported_at=timezone.now(),
        imported_by=by,
        row_count=len(built),
    )
    for row in built:
        row.shared_list = shared
    SharedListRow.objects.bulk_create(built)
    audit_create(
        actor=by,
        obj=shared,
        organisation=org,
        summary=f"导入共享名单：{sender.name}（{shared.get_list_kind_display()}）{len(built)} 人",
    )
    schedule_shared_match(shared)
    return shared


def schedule_shared_match(shared: SharedList) -> None:
    """Match the list against everyone with a wandering history once the import commits (rule A4)."""
    from aftercare import tasks

    pk = shared.pk
    transaction.on_commit(lambda: tasks.shared_match_task(pk))


def _row_record(row: SharedListRow):
    from core.crypto import decrypt_id
    from guitu_match.records import Record

    return Record(
        id=f"s:{row.uuid}",
        source="registry",
        name=row.name or None,
        sex=row.sex or None,
        birth_year=row.birth_date.year if row.birth_date else None,
        id_number=decrypt_id(row.id_number_enc) or None,
        hukou_text=row.address or None,
    )


def _registration_record(reg: RiskRegistration):
    from guitu_match.records import Record

    return Record(
        id=f"g:{reg.uuid}",
        source="registry",
        name=reg.name or None,
        sex=reg.sex or None,
        birth_year=reg.birth_date.year if reg.birth_date else None,
        hukou_text=reg.address or None,
        marks=reg.marks or None,
    )


def _attention_reason(shared: SharedList, person, case, reg, episodes: int) -> str:
    kind = shared.get_list_kind_display()
    if reg is not None:
        text = (
            f"在易流浪走失人员库中（{'、'.join(reg.category_labels)}），现列入{kind}名单：核实帮扶落实并走访"
        )
    elif case is not None:
        text = f"返乡人员（{timezone.localtime(case.returned_at):%Y-%m-%d} 返乡），现列入{kind}名单：安排走访"
    else:
        text = f"曾受助 {episodes} 次，现列入{kind}名单：核实近况"
    if reg is None and shared.list_kind == SharedListKind.DISABILITY:
        text += "；尚未纳入易流浪走失人员库"
    return text[:300]


def wandering_history(org_ids) -> tuple[list, dict, dict, list]:
    """Everyone with a wandering history in the scope ``org_ids`` (rule A4): person files with an episode at
    one of these stations, returnees in the ledger, people on the at-risk roster. Returns (people, the
    latest ledger entry per person id, the open registration per person id, registrations without a file)."""
    from people.models import Episode, Person

    cases = list(
        ReturnCase.objects.filter(ReturnCase.scope_q(org_ids))
        .select_related("township", "village")
        .order_by("returned_at")
    )
    regs = list(
        RiskRegistration.objects.filter(
            RiskRegistration.scope_q(org_ids), ended_at__isnull=True
        ).select_related("township", "village")
    )
    with_episode = Episode.objects.filter(person=OuterRef("pk"), station_id__in=org_ids)
    person_ids = set(
        Person.objects.filter(Exists(with_episode), merged_into__isnull=True).values_list("id", flat=True)
    )
    person_ids |= {c.person_id for c in cases} | {r.person_id for r in regs if r.person_id}
    people = list(
        Person.objects.filter(id__in=person_ids, merged_into__isnull=True)
        .select_related("hukou_division")
        .annotate(n_episodes=Count("episodes"))
    )
    case_of = {c.person_id: c for c in cases}  # the latest return wins (ordered by returned_at)
    reg_of = {r.person_id: r for r in regs if r.person_id}
    loose = [r for r in regs if not r.person_id]
    return people, case_of, reg_of, loose


def shared_list_match(*, shared: SharedList) -> int:
    """Match one imported list in batch (rule A4) against everyone with a wandering history in the
    importing user's scope, through the engine (guitu_match.index.link): an identical ID number (keyed
    hash) is certain; other pairs above the model's threshold are candidates with their probability.
    Existing items are updated (undecided ones) or kept (decided ones), never duplicated."""
    from core.scoping import visible_org_ids
    from guitu_match.index import link
    from matching import engine

    shared = SharedList.objects.select_related("imported_by", "organisation").get(pk=shared.pk)
    org_ids = visible_org_ids(shared.imported_by)
    rows = list(shared.rows.all())
    people, case_of, reg_of, loose = wandering_history(org_ids)
    found: dict[tuple[int, str], tuple[float, bool]] = {}
    by_hash = {p.id_number_hash: p for p in people if p.id_number_hash}
    for row in rows:
        person = by_hash.get(row.id_number_hash) if row.id_number_hash else None
        if person is not None:
            found[(row.pk, engine.person_key(person))] = (1.0, True)
    right = [engine.person_record(p) for p in people] + [_registration_record(r) for r in loose]
    if rows and right:
        pairs, _ = link([_row_record(r) for r in rows], right, model=engine.get_model())
        row_of = {f"s:{r.uuid}": r for r in rows}
        for left_id, right_id, probability, exact in zip(
            pairs["left_id"], pairs["right_id"], pairs["probability"], pairs["id_number_match"], strict=True
        ):
            key = (row_of[left_id].pk, right_id)
            if key not in found:
                found[key] = (1.0, True) if exact else (round(float(probability), 4), False)
    person_by_key = {engine.person_key(p): p for p in people}
    loose_by_key = {f"g:{r.uuid}": r for r in loose}
    rows_by_pk = {r.pk: r for r in rows}
    written = 0
    with transaction.atomic():
        for (row_pk, key), (probability, exact) in found.items():
            person = person_by_key.get(key)
            reg = reg_of.get(person.pk) if person is not None else loose_by_key.get(key)
            if person is None and reg is None:
                continue
            case = case_of.get(person.pk) if person is not None else reg.case
            place = reg or case
            values = {
                "organisation": shared.organisation,
                "case": case,
                "registration": reg,
                "township": place.township if place else None,
                "village": place.village if place else None,
                "probability": probability,
                "exact_id": exact,
                "reason": _attention_reason(
                    shared, person, case, reg, getattr(person, "n_episodes", 0) if person else 0
                ),
            }
            lookup = {
                "row_id": row_pk,
                **({"person": person} if person else {"person": None, "registration": reg}),
            }
            item = AttentionItem.objects.filter(**lookup).first()
            if item is None:
                item = AttentionItem.objects.create(row=rows_by_pk[row_pk], person=person, **values)
                audit_create(
                    actor=None,
                    obj=item,
                    organisation=shared.organisation,
                    person_uuid=person.uuid if person else None,
                    summary=f"共享名单比对：{item.row.name} 可能为 {item.subject_name}（{probability:.0%}）",
                )
            elif item.status == AttentionStatus.PENDING:
                before = snapshot(item)
                for k, v in values.items():
                    setattr(item, k, v)
                item.save()
                audit_update(
                    actor=None,
                    obj=item,
                    before=before,
                    organisation=shared.organisation,
                    summary=f"共享名单重新比对：{item.row.name}",
                )
            written += 1
        before = snapshot(shared)
        shared.matched_at = timezone.now()
        shared.match_count = AttentionItem.objects.filter(row__shared_list=shared).count()
        shared.save(update_fields=["matched_at", "match_count", "updated_at"])
        audit_update(
            actor=None,
            obj=shared,
            before=before,
            organisation=shared.organisation,
            summary=f"共享名单批量比对完成：{shared.sender.name}，需关注 {shared.match_count} 人",
        )
    return written


@transaction.atomic
def attention_decide(*, by, item: AttentionItem, status: str, note: str = "") -> AttentionItem:
    """Staff confirm that the listed person is the one with the wandering history, or not (rule A4)."""
    item = (
        AttentionItem.objects.select_for_update(of=("self",))
        .select_related("row", "person", "registration")
        .get(pk=item.pk)
    )
    acting_org(by, item.organisation, item.township, item.village)
    if status not in ATTENTION_TRANSITIONS.get(item.status, set()):
        raise ValidationError({"status": f"该人员已核实为“{item.get_status_display()}”，不能再更改。"})
    note = (note or "").strip()
    if status == AttentionStatus.REJECTED and not note:
        raise ValidationError({"note": "请说明不是同一人的依据（如身份证号、住址不同）。"})
    before = snapshot(item)
    item.status, item.note, item.decided_at, item.decided_by = status, note, timezone.now(), by
    _full_clean(
        item,
        exclude=[
            "row",
            "organisation",
            "person",
            "case",
            "registration",
            "township",
            "village",
            "decided_by",
            "added_registration",
        ],
    )
    item.save()
    audit_update(
        actor=by,
        obj=item,
        before=before,
        organisation=item.organisation,
        person_uuid=item.person.uuid if item.person_id else None,
        summary=f"核实共享名单人员：{item.row.name}（{item.get_status_display()}）",
    )
    return item


@transaction.atomic
def attention_register(
    *,
    by,
    item: AttentionItem,
    township: Organisation,
    station: Organisation,
    village: Organisation | None = None,
    categories: dict[str, bool] | None = None,
) -> RiskRegistration:
    """Put a confirmed person from a shared list on the at-risk roster (rule A4 → A3) through
    ``registration_create``; the item remembers the registration."""
    item = (
        AttentionItem.objects.select_for_update(of=("self",))
        .select_related("row", "person", "case")
        .get(pk=item.pk)
    )
    acting_org(by, item.organisation, item.township, item.village)
    if item.status != AttentionStatus.CONFIRMED:
        raise ValidationError("请先核实确认为同一人，再纳入易流浪走失人员库。")
    if item.added_registration_id or item.registration_id:
        raise ValidationError("该人员已在易流浪走失人员库中。")
    flags = {c: bool((categories or {}).get(c)) for c in RISK_CATEGORIES}
    row = item.row
    data: dict[str, Any] = {**flags}
    if item.case is None:
        data.update(
            name=row.name,
            sex=row.sex,
            birth_date=row.birth_date,
            address=row.address or (item.person.hukou_text if item.person_id else "") or "不详",
        )
    reg = registration_create(
        by=by,
        data=data,
        township=township,
        village=village,
        station=station,
        case=item.case,
        person=item.person if item.case is None else None,
    )
    before = snapshot(item)
    item.added_registration = reg
    item.save()
    audit_update(
        actor=by,
        obj=item,
        before=before,
        organisation=item.organisation,
        person_uuid=item.person.uuid if item.person_id else None,
        summary=f"共享名单人员纳入易流浪走失人员库：{reg.name}",
    )
    return reg
