"""Every write of the aftercare app: one function per action, in a transaction, validated, audited.

Who may write: staff of the sending station (reception, carer, tracer; head and admin always) and any
user of the township or village the record is routed to (their contacts, 救助联络员 / 网格员).
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from aftercare.models import (
    REFERRAL_TRANSITIONS,
    RISK_CATEGORIES,
    FollowUpVisit,
    HardshipKind,
    HardshipReferral,
    ReferralStatus,
    ReturnCase,
    ReturnWay,
    RiskRegistration,
    RiskVisit,
    VisitMethod,
    WanderingAlert,
)
from core.audit import audit_create, audit_update, snapshot
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
) -> RiskRegistration:
    """Put a person on the township's roster of people at risk of wandering (rule A3).

    From a ledger entry the person's file fills the details. The township must then visit at least
    every 2 months for at least 12 months (deadlines A3 and A3v)."""
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
    person = None
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
