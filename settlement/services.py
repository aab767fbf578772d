"""Every write of the settlement app (rules S1–S4, E1): one function per step, in one transaction, validating
everything first (all mistakes at once, in Chinese), then writing the case, its dated step with the document,
and the audit entry (old → new). Moves follow ``settlement.models.TRANSITIONS`` only.

Who may act is checked by the pages and the API (``settlement.access``); these functions check the facts.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_create, audit_update, snapshot
from core.images import CleanDocument, take_document
from core.models import Organisation, OrgKind
from core.scoping import division_prefix
from people.models import Episode, IdentityStatus
from people.services import next_sequence
from people.states import IN_CARE
from settlement.models import (
    BEFORE_PLACEMENT,
    ENDED,
    PLACED_STATES,
    TRANSITIONS,
    PlacementKind,
    SettlementCase,
    SettlementStatus,
    SettlementStep,
    StepKind,
)

S = SettlementStatus
#: Institutions a person is settled in (rule S1: a public welfare institution) …
SETTLEMENT_INSTITUTION_KINDS = (OrgKind.CARE_FACILITY,)
#: … and, for long-term placement without 户口 (rule S3), also a psychiatric hospital.
LONG_TERM_INSTITUTION_KINDS = (OrgKind.CARE_FACILITY, OrgKind.HOSPITAL)
DOCUMENT_FIELD = "document"


# --- the one definition of rule S1's threshold ------------------------------------------------------------


def s1_threshold(episode: Episode) -> datetime.datetime | None:
    """When ``episode``'s person has been stranded long enough for settlement (rule S1): admission + the S1
    deadline's amount in force (3 months, ``GUITU_RULES["S1_MONTHS"]``, or an administrator's stricter
    setting) — the same arithmetic the deadline inbox uses."""
    from deadlines.calendar_math import due_at
    from deadlines.registry import get_rule
    from deadlines.selectors import rule_overrides

    if episode.admitted_at is None:
        return None
    rule = get_rule("S1")
    return due_at(timezone.localtime(episode.admitted_at), rule.effective_due(rule_overrides())).at


# --- helpers ----------------------------------------------------------------------------------------------


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _day(errors: dict, field: str, label: str, value, *, not_before: datetime.date | None = None,
         before_label: str = "") -> datetime.date | None:
    """A step's date: given, not in the future, not before the previous step."""
    if value is None:
        errors[field] = f"请填写{label}。"
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if value > timezone.localdate():
        errors[field] = f"{label}不能晚于今天。"
    elif not_before is not None and value < not_before:
        errors[field] = f"{label}不能早于{before_label}（{not_before:%Y-%m-%d}）。"
    return value


def _document(errors: dict, upload, label: str, *, required: bool) -> CleanDocument | None:
    """The step's document through the one intake (core.images.take_document: image re-encoded or a PDF)."""
    if upload is None:
        if required:
            errors[DOCUMENT_FIELD] = f"请上传{label}（图片或PDF）。"
        return None
    try:
        return take_document(upload, field=DOCUMENT_FIELD, label=label)
    except ValidationError as exc:
        errors.update({f: m[0] for f, m in exc.message_dict.items()})
        return None


def _locked(case: SettlementCase) -> SettlementCase:
    return (SettlementCase.objects.select_for_update(of=("self",))
            .select_related("person", "episode", "station", "department", "institution", "police")
            .get(pk=case.pk))


def _move(case: SettlementCase, to: str) -> None:
    if to not in TRANSITIONS[S(case.status)]:
        raise ValidationError(f"落户安置当前为“{case.get_status_display()}”，不能办理“{S(to).label}”。")


def _step(case: SettlementCase, *, kind: str, on: datetime.date, by, organisation: Organisation,
          status_from: str = "", status_to: str = "", document: CleanDocument | None = None,
          document_title: str = "", note: str = "") -> SettlementStep:
    step = SettlementStep(case=case, kind=kind, on=on, by=by if getattr(by, "is_authenticated", False) else None,
                          organisation=organisation, status_from=status_from, status_to=status_to,
                          document_title=document_title[:100] if document else "", note=note[:500])
    if document is not None:
        step.document = document.as_file(kind)
    step.save()
    return step


def _transition(case: SettlementCase, *, by, to: str | None, kind: str, on: datetime.date,
                organisation: Organisation, changes: dict, summary: str, document: CleanDocument | None = None,
                document_title: str = "", note: str = "") -> SettlementCase:
    """Apply ``changes`` (and the move to ``to``) to a locked case: one step row, one audit entry (old → new)."""
    fields = list(changes) + (["status"] if to else [])
    before = snapshot(case, fields)
    status_from = case.status
    if to:
        case.status = to
    for field, value in changes.items():
        setattr(case, field, value)
    case.save(update_fields=[*fields, "updated_at"])
    _step(case, kind=kind, on=on, by=by, organisation=organisation, status_from=status_from if to else "",
          status_to=to or "", document=document, document_title=document_title, note=note)
    audit_update(actor=by, obj=case, before=before, summary=summary, organisation=organisation,
                 person_uuid=case.person.uuid)
    return case


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


# --- rule S1: application, plan, decision -------------------------------------------------------------------


@transaction.atomic
def settlement_apply(*, by, episode: Episode, applied_on: datetime.date | None = None, document=None,
                     exception_reason: str = "", situation: str = "", note: str = "") -> SettlementCase:
    """Rule S1: the station applies to its civil-affairs department for the settlement of a person stranded
    more than 3 months whose identity is unknown. Earlier only with a recorded exception. The application
    (its dated step) meets the S1 deadline."""
    episode = Episode.objects.select_for_update(of=("self",)).select_related("person", "station__supervisor").get(
        pk=episode.pk)
    person, station = episode.person, episode.station
    applied_on = applied_on or timezone.localdate()
    exception_reason = _text(exception_reason, 500)
    errors: dict[str, str] = {}
    if episode.status not in IN_CARE or episode.admitted_at is None:
        raise ValidationError(f"救助过程当前为“{episode.status_label}”，只能为在站（含送医、站外托养）人员申请落户安置。")
    if person.identity_status == IdentityStatus.IDENTIFIED:
        raise ValidationError("此人身份已查明，应安排返乡，不适用落户安置（规则S1）。")
    existing = SettlementCase.objects.filter(person=person).exclude(status__in=ENDED).first()
    if existing is not None:
        raise ValidationError(f"此人已有进行中的落户安置（{existing.number}，{existing.get_status_display()}）。")
    department = station.supervisor
    if department is None or department.kind != OrgKind.CIVIL_AFFAIRS:
        raise ValidationError("本机构未设置主管民政部门，无法提出申请；请系统管理员在机构设置中指定（规则S1）。")
    admitted_on = timezone.localtime(episode.admitted_at).date()
    applied_on = _day(errors, "applied_on", "申请日期", applied_on, not_before=admitted_on, before_label="入站日期")
    threshold = s1_threshold(episode)
    if applied_on and "applied_on" not in errors and applied_on < timezone.localtime(threshold).date() \
            and not exception_reason:
        errors["exception_reason"] = (
            f"入站于{admitted_on:%Y-%m-%d}，身份不明滞留满3个月为{timezone.localtime(threshold):%Y-%m-%d}，"
            "尚不能申请落户安置；确需提前申请的，请填写特殊情况说明（规则S1）。")
    doc = _document(errors, document, "落户安置申请书", required=True)
    _raise(errors)

    year = applied_on.year
    case = SettlementCase(
        number=f"{station.code}-AZ{year}-{next_sequence(f'settlement-case:{station.pk}:{year}'):04d}",
        person=person, episode=episode, station=station, department=department, status=S.APPLIED,
        applied_on=applied_on, applied_by=by,
        exception_reason=exception_reason if applied_on < timezone.localtime(threshold).date() else "",
        situation=_text(situation, 2000))
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:  # the DB constraint: a second open case raced in
        raise ValidationError("此人已有进行中的落户安置。") from exc
    _step(case, kind=StepKind.APPLICATION, on=applied_on, by=by, organisation=station, status_to=S.APPLIED,
          document=doc, document_title="落户安置申请书", note=_text(note, 500) or case.exception_reason)
    audit_create(actor=by, obj=case, summary=f"申请落户安置 {case.number}（{person.name}）", organisation=station,
                 person_uuid=person.uuid)
    return case


@transaction.atomic
def settlement_plan_submit(*, by, case: SettlementCase, on: datetime.date | None, government: str,
                           plan_summary: str, document=None) -> SettlementCase:
    """Rule S1: the civil-affairs department drafts the plan and submits it to the government at its level."""
    case = _locked(case)
    _move(case, S.PLAN_SUBMITTED)
    errors: dict[str, str] = {}
    on = _day(errors, "on", "报送日期", on, not_before=case.applied_on, before_label="申请日期")
    government, plan_summary = _text(government, 100), _text(plan_summary, 500)
    if not government:
        errors["government"] = "请填写报送的人民政府（民政部门的同级人民政府）。"
    if not plan_summary:
        errors["plan_summary"] = "请填写安置方案要点（安置机构、落户方式、供养保障）。"
    doc = _document(errors, document, "安置方案", required=True)
    _raise(errors)
    return _transition(case, by=by, to=S.PLAN_SUBMITTED, kind=StepKind.PLAN, on=on, organisation=case.department,
                       changes={"plan_on": on, "government": government, "plan_summary": plan_summary},
                       summary=f"落户安置 {case.number}：安置方案报{government}", document=doc,
                       document_title="安置方案及请示", note=plan_summary)


@transaction.atomic
def settlement_decide(*, by, case: SettlementCase, approved: bool, on: datetime.date | None, approval_ref: str = "",
                      document=None, note: str = "") -> SettlementCase:
    """The government's decision, recorded by the department with its document (批复)."""
    case = _locked(case)
    to = S.APPROVED if approved else S.NOT_APPROVED
    _move(case, to)
    errors: dict[str, str] = {}
    on = _day(errors, "on", "批复日期", on, not_before=case.plan_on, before_label="方案报送日期")
    approval_ref, note = _text(approval_ref, 100), _text(note, 500)
    if approved and not approval_ref:
        errors["approval_ref"] = "请填写批复文号。"
    if not approved and not note:
        errors["note"] = "请写明未批准的原因。"
    doc = _document(errors, document, "政府批复", required=True)
    _raise(errors)
    changes = {"decided_on": on, "approval_ref": approval_ref}
    if approved:
        changes["approved_on"] = on
    else:
        changes.update(ended_at=timezone.now(), end_reason=f"政府未批准：{note}"[:300])
    return _transition(case, by=by, to=to, kind=StepKind.APPROVAL if approved else StepKind.NOT_APPROVED, on=on,
                       organisation=case.department, changes=changes,
                       summary=f"落户安置 {case.number}：{'政府批准' if approved else '政府未批准'}",
                       document=doc, document_title="政府批复", note=note or approval_ref)


@transaction.atomic
def settlement_withdraw(*, by, case: SettlementCase, reason: str, organisation: Organisation | None = None
                        ) -> SettlementCase:
    """The station (or its department) withdraws a case not yet placed, with the reason."""
    case = _locked(case)
    _move(case, S.WITHDRAWN)
    reason = _text(reason, 300)
    if not reason:
        raise ValidationError({"reason": "请写明撤回原因。"})
    return _withdraw(case, by=by, reason=reason, organisation=organisation or case.station)


def _withdraw(case: SettlementCase, *, by, reason: str, organisation: Organisation) -> SettlementCase:
    return _transition(case, by=by, to=S.WITHDRAWN, kind=StepKind.WITHDRAWN, on=timezone.localdate(),
                       organisation=organisation, changes={"ended_at": timezone.now(), "end_reason": reason[:300]},
                       summary=f"落户安置 {case.number} 撤回：{reason}"[:300], note=reason)


# --- rules S1, E1, S3: placement ------------------------------------------------------------------------------


def case_area(case: SettlementCase) -> str:
    """The division-code prefix of the city (or province) of the case's department: the institution and the
    police named at placement must be in it — they are given read access to the person's case, so a station
    cannot send the file to a body anywhere in the country. A county's case may go to the city's institutions."""
    return division_prefix(case.department.division.code)[:4]


@transaction.atomic
def settlement_place(*, by, case: SettlementCase, kind: str, institution: Organisation | None,
                     police: Organisation | None, receiver: str, receiver_phone: str = "",
                     placed_at: datetime.datetime | None = None, reason: str = "", document=None,
                     note: str = "") -> SettlementCase:
    """Rule S1: the approved person is placed in a public welfare institution; rule E1: the episode leaves
    through the leaving app's one departure path (kind 安置), which closes it. ``kind`` 长期安置 (rule S3):
    户口 cannot yet be registered, the person moves to an elderly home or psychiatric hospital."""
    from leaving.models import ExitType
    from leaving.services import departure_create

    case = _locked(case)
    to = S.LONG_TERM if kind == PlacementKind.LONG_TERM else S.PLACED
    _move(case, to)
    errors: dict[str, str] = {}
    if kind not in PlacementKind.values:
        errors["kind"] = "请选择安置方式。"
    placed_at = placed_at or timezone.now()
    if timezone.is_naive(placed_at):
        placed_at = timezone.make_aware(placed_at)
    on = _day(errors, "placed_at", "安置时间", placed_at, not_before=case.approved_on, before_label="批准日期")
    if "placed_at" not in errors and placed_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["placed_at"] = "安置时间不能晚于当前时间。"
    allowed = LONG_TERM_INSTITUTION_KINDS if kind == PlacementKind.LONG_TERM else SETTLEMENT_INSTITUTION_KINDS
    if institution is None:
        errors["institution"] = "请选择安置机构。"
    elif institution.kind not in allowed:
        errors["institution"] = ("长期安置须到养老机构、福利机构或精神卫生机构（规则S3）。" if kind == PlacementKind.LONG_TERM
                                 else "落户安置须安置到公办福利机构（托养机构类，规则S1）。")
    elif not institution.division.code.startswith(case_area(case)):
        errors["institution"] = "安置机构须在本案主管民政部门的辖区内。"
    if police is None or police.kind != OrgKind.POLICE:
        errors["police"] = "请选择为其办理户口登记的公安机关（规则S2）。"
    elif not police.division.code.startswith(case_area(case)):
        errors["police"] = "办理户口登记的公安机关须在本案主管民政部门的辖区内。"
    receiver, receiver_phone, reason = _text(receiver, 50), _text(receiver_phone, 40), _text(reason, 500)
    if not receiver:
        errors["receiver"] = "请填写安置机构的接收负责人。"
    if kind == PlacementKind.LONG_TERM and not reason:
        errors["reason"] = "长期安置（未落户）须写明暂不能登记户口的原因（规则S3）。"
    doc = _document(errors, document, "安置交接文书", required=True)
    episode = case.episode
    if episode.status not in IN_CARE:
        errors["placed_at"] = f"救助过程当前为“{episode.status_label}”，不能办理安置离站。"
    _raise(errors)

    # The status moves first, so the EpisodeClosed handler below sees a placed case and leaves it alone.
    changes = {"placement_kind": kind, "institution": institution, "police": police, "placed_on": on}
    if kind == PlacementKind.LONG_TERM:
        changes.update(long_term_on=on, long_term_reason=reason)
    _transition(case, by=by, to=to, kind=StepKind.PLACEMENT if to == S.PLACED else StepKind.LONG_TERM, on=on,
                organisation=case.station, changes=changes,
                summary=f"落户安置 {case.number}：安置到{institution.name}" + ("（长期安置，未落户）" if to == S.LONG_TERM else ""),
                document=doc, document_title="安置交接文书", note=reason or _text(note, 500))
    departure = departure_create(
        by=by, episode=episode, exit_type=ExitType.SETTLEMENT, left_at=placed_at, settlement_case=case,
        data={"transfer_org": institution, "transfer_person": receiver, "transfer_person_phone": receiver_phone,
              "note": f"落户安置 {case.number}：{PlacementKind(kind).label}"[:2000]})
    before = snapshot(case, ["departure"])
    case.departure = departure
    case.save(update_fields=["departure", "updated_at"])
    audit_update(actor=by, obj=case, before=before, summary=f"落户安置 {case.number}：离站（安置）",
                 organisation=case.station, person_uuid=case.person.uuid)
    return case


@transaction.atomic
def settlement_long_term(*, by, case: SettlementCase, on: datetime.date | None, reason: str,
                         document=None) -> SettlementCase:
    """Rule S3: a placed person whose 户口 cannot yet be registered stays in long-term placement (未落户)."""
    case = _locked(case)
    _move(case, S.LONG_TERM)
    if case.status != S.PLACED:
        raise ValidationError("只有已安置待落户的人员可以转为长期安置（未落户）。")
    errors: dict[str, str] = {}
    on = _day(errors, "on", "日期", on, not_before=case.placed_on, before_label="安置日期")
    reason = _text(reason, 500)
    if not reason:
        errors["reason"] = "请写明暂不能登记户口的原因（规则S3）。"
    doc = _document(errors, document, "情况说明", required=False)
    _raise(errors)
    return _transition(case, by=by, to=S.LONG_TERM, kind=StepKind.LONG_TERM, on=on, organisation=case.station,
                       changes={"long_term_on": on, "long_term_reason": reason},
                       summary=f"落户安置 {case.number}：长期安置（未落户）", document=doc, document_title="情况说明",
                       note=reason)


# --- rule S2: household registration and what follows ------------------------------------------------------


@transaction.atomic
def settlement_register_hukou(*, by, case: SettlementCase, on: datetime.date | None, number: str, address: str = "",
                              document=None) -> SettlementCase:
    """Rule S2: the police register the person's 户口 in the institution's collective household."""
    case = _locked(case)
    _move(case, S.REGISTERED)
    errors: dict[str, str] = {}
    on = _day(errors, "on", "户口登记日期", on, not_before=case.placed_on, before_label="安置日期")
    number = _text(number, 50)
    if not number:
        errors["number"] = "请填写户口登记号（公民身份号码或户号）。"
    address = _text(address, 200) or (case.institution.address if case.institution and
                                      getattr(case.institution, "address", "") else "")
    if not address:
        errors["address"] = "请填写集体户地址（安置机构地址）。"
    doc = _document(errors, document, "户口登记证明", required=False)
    _raise(errors)
    return _transition(case, by=by, to=S.REGISTERED, kind=StepKind.REGISTRATION, on=on, organisation=case.police,
                       changes={"hukou_registered_on": on, "hukou_number": number, "hukou_address": address[:200]},
                       summary=f"落户安置 {case.number}：已登记户口（集体户）", document=doc,
                       document_title="户口登记证明", note=f"户口登记号 {number}")


@transaction.atomic
def settlement_enrol(*, by, case: SettlementCase, organisation: Organisation, tekun_on: datetime.date | None = None,
                     insurance_on: datetime.date | None = None, insurance_note: str = "",
                     document=None) -> SettlementCase:
    """Rule S2: once registered, the person joins 特困人员供养 and social insurance (each dated once)."""
    case = _locked(case)
    if case.status != S.REGISTERED:
        raise ValidationError("登记户口后才能纳入特困人员供养和社会保险（规则S2）。")
    errors: dict[str, str] = {}
    if tekun_on is None and insurance_on is None:
        errors["tekun_on"] = "请至少填写纳入特困人员供养或参加社会保险的日期。"
    if tekun_on is not None:
        if case.tekun_on:
            errors["tekun_on"] = f"已于{case.tekun_on:%Y-%m-%d}纳入特困人员供养。"
        else:
            tekun_on = _day(errors, "tekun_on", "纳入特困供养日期", tekun_on, not_before=case.hukou_registered_on,
                            before_label="户口登记日期")
    insurance_note = _text(insurance_note, 200)
    if insurance_on is not None:
        if case.insurance_on:
            errors["insurance_on"] = f"已于{case.insurance_on:%Y-%m-%d}参加社会保险。"
        else:
            insurance_on = _day(errors, "insurance_on", "参保日期", insurance_on,
                                not_before=case.hukou_registered_on, before_label="户口登记日期")
        if not insurance_note:
            errors["insurance_note"] = "请填写参加的险种（如城乡居民基本医疗保险、养老保险）。"
    doc = _document(errors, document, "审批或参保证明", required=False)
    _raise(errors)
    if tekun_on is not None:
        _transition(case, by=by, to=None, kind=StepKind.TEKUN, on=tekun_on, organisation=organisation,
                    changes={"tekun_on": tekun_on}, summary=f"落户安置 {case.number}：纳入特困人员供养",
                    document=doc, document_title="特困人员供养审批")
        doc = None
    if insurance_on is not None:
        _transition(case, by=by, to=None, kind=StepKind.INSURANCE, on=insurance_on, organisation=organisation,
                    changes={"insurance_on": insurance_on, "insurance_note": insurance_note},
                    summary=f"落户安置 {case.number}：参加社会保险（{insurance_note}）", document=doc,
                    document_title="参保证明", note=insurance_note)
    return case


# --- rule S4: identity confirmed later ------------------------------------------------------------------------


def on_person_identified(event) -> None:
    """Rule S4 (handler of ``core.events.PersonIdentified``): an open case before placement is withdrawn (the
    person goes home instead); a settled person's case moves to 身份已查明: the return home is to be arranged
    and, if a 户口 was registered, the police are asked to cancel the duplicate (deadline S4)."""
    for case in SettlementCase.objects.filter(person=event.person).exclude(status__in=ENDED):
        case = _locked(case)
        reason = event.reason or "身份已查明"
        if case.status in BEFORE_PLACEMENT:
            _withdraw(case, by=event.by, reason=f"{reason}，安排返乡，撤回落户安置申请"[:300],
                      organisation=event.station or case.station)
        elif case.status in PLACED_STATES:
            changes = {"identified_at": event.at}
            if case.hukou_registered_on:
                changes["cancellation_requested_at"] = event.at
            note = (f"{reason}；请{case.police.name}注销重复户口（{case.hukou_number}）" if case.hukou_registered_on
                    else f"{reason}；未登记户口，无需注销")
            _transition(case, by=event.by, to=S.IDENTIFIED, kind=StepKind.IDENTIFIED,
                        on=timezone.localtime(event.at).date(), organisation=case.station, changes=changes,
                        summary=f"落户安置 {case.number}：身份已查明，安排返乡" +
                        ("并通知公安注销重复户口" if case.hukou_registered_on else ""), note=note)


def on_episode_closed(event) -> None:
    """A case not yet placed ends when its episode ends another way (died, went missing, collected …)."""
    for case in SettlementCase.objects.filter(episode=event.episode, status__in=list(BEFORE_PLACEMENT)):
        case = _locked(case)
        _withdraw(case, by=event.by, reason=f"救助过程已结束（{event.reason}）"[:300], organisation=case.station)


@transaction.atomic
def settlement_return_home(*, by, case: SettlementCase, on: datetime.date | None, destination: str, note: str = "",
                           document=None) -> SettlementCase:
    """Rule S4: the station arranges the identified person's return home (closes the case once the duplicate
    户口, if any, is cancelled)."""
    case = _locked(case)
    if case.status != S.IDENTIFIED:
        raise ValidationError("身份查明后才能登记返乡（规则S4）。")
    if case.return_home_on:
        raise ValidationError(f"已于{case.return_home_on:%Y-%m-%d}登记返乡。")
    errors: dict[str, str] = {}
    on = _day(errors, "on", "返乡日期", on, not_before=timezone.localtime(case.identified_at).date(),
              before_label="身份查明日期")
    destination = _text(destination, 200)
    if not destination:
        errors["destination"] = "请填写返乡目的地（户籍地或亲属住址）。"
    doc = _document(errors, document, "返乡交接文书", required=False)
    _raise(errors)
    _transition(case, by=by, to=None, kind=StepKind.RETURN_HOME, on=on, organisation=case.station,
                changes={"return_home_on": on, "return_destination": destination},
                summary=f"落户安置 {case.number}：返乡（{destination}）", document=doc, document_title="返乡交接文书",
                note=_text(note, 500) or destination)
    return _maybe_close(case, by=by)


@transaction.atomic
def settlement_confirm_cancellation(*, by, case: SettlementCase, on: datetime.date | None, ref: str,
                                    document=None) -> SettlementCase:
    """Rule S4: the police confirm the duplicate household registration is cancelled (meets deadline S4)."""
    case = _locked(case)
    if case.status != S.IDENTIFIED or not case.awaits_cancellation:
        raise ValidationError("该人员没有待注销的重复户口。")
    errors: dict[str, str] = {}
    on = _day(errors, "on", "注销日期", on, not_before=timezone.localtime(case.cancellation_requested_at).date(),
              before_label="通知注销日期")
    ref = _text(ref, 100)
    if not ref:
        errors["ref"] = "请填写注销证明编号。"
    doc = _document(errors, document, "户口注销证明", required=False)
    _raise(errors)
    _transition(case, by=by, to=None, kind=StepKind.CANCELLATION, on=on, organisation=case.police,
                changes={"cancelled_on": on, "cancellation_ref": ref},
                summary=f"落户安置 {case.number}：重复户口已注销", document=doc, document_title="户口注销证明",
                note=f"注销证明 {ref}")
    return _maybe_close(case, by=by)


def _maybe_close(case: SettlementCase, *, by) -> SettlementCase:
    """Close an identified person's case once they went home and no duplicate 户口 is left."""
    if case.status != S.IDENTIFIED or not case.return_home_on or case.awaits_cancellation:
        return case
    reason = "身份已查明，已返乡" + ("，重复户口已注销" if case.cancelled_on else "")
    return _transition(case, by=by, to=S.CLOSED, kind=StepKind.CLOSED, on=timezone.localdate(),
                       organisation=case.station, changes={"ended_at": timezone.now(), "end_reason": reason},
                       summary=f"落户安置 {case.number} 结案：{reason}", note=reason)
