"""Every write of the tracing app: one keyword-only function per action, in a transaction, audited.

Permission checks (who may act) are made by the views and the API before calling these; the services
validate the data (Chinese messages, nothing saved in part) and write the audit entry with the
person's UUID so the file's timeline shows it.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import events
from core.audit import audit_create, audit_update, snapshot
from core.crypto import encrypt_id, hash_id, mask_id
from core.images import CleanDocument, take_document
from core.models import STATION_KINDS, Division, Organisation, OrgKind, Role
from guitu_match.idcard import InvalidIdNumber, parse_id_number
from people.models import Episode, IdentityStatus, Person, PersonPhoto
from people.services import next_sequence, person_update
from people.states import IN_CARE
from tracing import analysis
from tracing import deadline_math as dm
from tracing.models import (
    PLAN_TRANSITIONS,
    CheckAttachment,
    CheckResult,
    CheckStatus,
    DnaRequest,
    DnaResult,
    Escalation,
    Identification,
    IdentificationMethod,
    IdentityCheck,
    Lead,
    LeadKind,
    LeadStatus,
    MonthlyReport,
    PlanStatus,
    ReturnMethod,
    ReturnPlan,
    Talk,
    TracerAssignment,
)

log = logging.getLogger(__name__)

#: Accepted attachment formats (Pillow format name or PDF) and their extensions.
FUTURE_SLACK = datetime.timedelta(minutes=5)


def max_attachment_bytes() -> int:
    return int(getattr(settings, "GUITU_RULES", {}).get("TRACING_MAX_ATTACHMENT_BYTES", settings.GUITU_MAX_PHOTO_BYTES))


def open_episode(person: Person) -> Episode | None:
    """The person's episode currently in care (there is at most one, people.services.episode_open)."""
    return (Episode.objects.filter(person=person, status__in=list(IN_CARE)).select_related("station")
            .order_by("-requested_at").first())


def require_open_episode(person: Person) -> Episode:
    episode = open_episode(person)
    if episode is None:
        raise ValidationError("该人员目前不在站（没有进行中的救助过程），不能办理寻亲事项。")
    return episode


def _not_future(at: datetime.datetime, field: str, label: str) -> None:
    if at > timezone.now() + FUTURE_SLACK:
        raise ValidationError({field: f"{label}不能晚于当前时间。"})


def _date_not_future(day: datetime.date | None, field: str, label: str) -> None:
    if day is not None and day > timezone.localdate():
        raise ValidationError({field: f"{label}不能晚于今天。"})


def _local(at: datetime.datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def _require_police(org: Organisation | None, field: str = "police") -> Organisation:
    if org is None:
        raise ValidationError({field: "请选择公安机关。"})
    if org.kind != OrgKind.POLICE:
        raise ValidationError({field: f"“{org.name}”不是公安机关，身份核查和 DNA 采样只能发给公安机关。"})
    return org


# --- police identity checks (rules T1, T2) -----------------------------------------------------------


@transaction.atomic
def check_create(*, by, person: Person, police: Organisation | None, photo: PersonPhoto | None = None,
                 biometrics_ref: str = "", known_info: str = "", send: bool = True,
                 at: datetime.datetime | None = None) -> IdentityCheck:
    """Prepare (and by default send) an identity-check request to a police organisation (rule T1)."""
    episode = require_open_episode(person)
    _require_police(police)
    errors = {}
    if photo is not None and photo.person_id != person.pk:
        errors["photo"] = "所选照片不属于该人员。"
    if not (photo or biometrics_ref.strip() or known_info.strip()):
        errors["known_info"] = "请至少提供照片、指纹/虹膜采集编号或已知情况之一。"
    if errors:
        raise ValidationError(errors)
    at = at or timezone.now()
    _not_future(at, "sent_at", "发送时间")
    if send and episode.admitted_at and at < episode.requested_at:
        raise ValidationError({"sent_at": "发送时间不能早于求助时间。"})
    year = timezone.localtime(at).year
    check = IdentityCheck.objects.create(
        number=f"{episode.station.code}-HC{year}-{next_sequence(f'tracing-check:{episode.station_id}:{year}'):04d}",
        person=person, episode=episode, station=episode.station, police=police, photo=photo,
        biometrics_ref=biometrics_ref.strip()[:200], known_info=known_info.strip(), created_by=by,
        status=CheckStatus.SENT if send else CheckStatus.DRAFT,
        sent_at=at if send else None, sent_by=by if send else None,
    )
    verb = "发送" if send else "起草"
    audit_create(actor=by, obj=check, summary=f"{verb}公安身份核查 {check.number}（{police.name}，规则T1）",
                 organisation=episode.station, person_uuid=person.uuid)
    return check


@transaction.atomic
def check_send(*, by, check: IdentityCheck, at: datetime.datetime | None = None) -> IdentityCheck:
    """Send a drafted request (e.g. one made from a talk's lead) to its police organisation."""
    check = IdentityCheck.objects.select_for_update(of=("self",)).get(pk=check.pk)
    if check.status != CheckStatus.DRAFT:
        raise ValidationError("该核查请求已发送或已关闭，不能重复发送。")
    if not (check.photo_id or check.biometrics_ref or check.known_info):
        raise ValidationError({"known_info": "请至少提供照片、指纹/虹膜采集编号或已知情况之一。"})
    at = at or timezone.now()
    _not_future(at, "sent_at", "发送时间")
    before = snapshot(check, ["status", "sent_at", "sent_by"])
    check.status, check.sent_at, check.sent_by = CheckStatus.SENT, at, by
    check.save(update_fields=["status", "sent_at", "sent_by", "updated_at"])
    audit_update(actor=by, obj=check, before=before, summary=f"发送公安身份核查 {check.number}（{check.police.name}）",
                 organisation=check.station, person_uuid=check.person.uuid)
    return check


def validate_attachment(upload) -> CleanDocument:
    """An answer's attachment: a JPEG/PNG/WebP image (re-encoded through core.images) or a PDF within the limit."""
    return take_document(upload, field="attachments", label=f"附件“{upload.name}”" if upload is not None else "附件",
                         max_bytes=max_attachment_bytes())


@transaction.atomic
def check_answer(*, by, check: IdentityCheck, result: str, answer_text: str = "", name: str = "",
                 id_number: str = "", hukou_division: Division | None = None, hukou_text: str = "",
                 attachments=(), at: datetime.datetime | None = None) -> IdentityCheck:
    """The police answer a request (rule T2: within 48 hours): identified, not found or partial leads."""
    check = IdentityCheck.objects.select_for_update(of=("self",)).select_related("person", "station", "police").get(pk=check.pk)
    if check.status != CheckStatus.SENT:
        raise ValidationError("该核查请求不在待答复状态，不能答复。")
    at = at or timezone.now()
    errors: dict[str, str] = {}
    if result not in CheckResult.values:
        errors["result"] = "请选择核查结果。"
    if at > timezone.now() + FUTURE_SLACK:
        errors["answered_at"] = "答复时间不能晚于当前时间。"
    elif check.sent_at and at < check.sent_at:
        errors["answered_at"] = f"答复时间不能早于发送时间（{_local(check.sent_at)}）。"
    info = None
    if id_number.strip():
        try:
            info = parse_id_number(id_number)
        except InvalidIdNumber as exc:
            errors["id_number"] = str(exc)
    if result == CheckResult.IDENTIFIED and not (name.strip() or id_number.strip()):
        errors["answered_name"] = "查明身份时请填写姓名或身份证号。"
    if result in (CheckResult.NOT_FOUND, CheckResult.PARTIAL) and not answer_text.strip():
        errors["answer_text"] = "请填写答复内容（未查到的说明或线索）。"
    if errors:
        raise ValidationError(errors)
    checked = [(upload, validate_attachment(upload)) for upload in attachments or ()]
    before = snapshot(check)
    check.result, check.answer_text = result, answer_text.strip()
    check.answered_name = name.strip()[:50]
    if info is not None:
        check.answered_id_enc = encrypt_id(info.number)
        check.answered_id_hash = hash_id(info.number)
        check.answered_id_masked = mask_id(info.number)
    check.answered_hukou_division, check.answered_hukou_text = hukou_division, hukou_text.strip()[:200]
    check.answered_at, check.answered_by, check.status = at, by, CheckStatus.ANSWERED
    check.save()
    for upload, clean in checked:
        CheckAttachment.objects.create(check_request=check, file=clean.as_file("attachment"),
                                       filename=upload.name[:200], content_type=clean.content_type, size=clean.size,
                                       uploaded_by=by)
    audit_update(actor=by, obj=check, before=before,
                 summary=f"公安答复身份核查 {check.number}：{check.get_result_display()}"
                         + (f"（附件{len(checked)}个）" if checked else ""),
                 organisation=check.station, person_uuid=check.person.uuid)
    return check


def _check_close(*, by, check: IdentityCheck, reason: str, at: datetime.datetime) -> None:
    before = snapshot(check, ["status", "closed_at", "closed_reason"])
    check.status, check.closed_at, check.closed_reason = CheckStatus.CLOSED, at, reason[:200]
    check.save(update_fields=["status", "closed_at", "closed_reason", "updated_at"])
    audit_update(actor=by, obj=check, before=before, summary=f"关闭公安身份核查 {check.number}：{reason}",
                 organisation=check.station, person_uuid=check.person.uuid)


# --- tracer and talks (rule T4) ----------------------------------------------------------------------


@transaction.atomic
def tracer_assign(*, by, episode: Episode, tracer, at: datetime.datetime | None = None) -> TracerAssignment:
    """Name the tracer (寻亲员) for a person in care; the previous assignment ends at the same moment."""
    if episode.status not in IN_CARE:
        raise ValidationError("该救助过程已结束，不能指派寻亲员。")
    if tracer is None or tracer.organisation_id != episode.station_id or not tracer.has_role(Role.TRACER):
        raise ValidationError({"tracer": "请选择本站具有“寻亲员”角色的工作人员。"})
    at = at or timezone.now()
    _not_future(at, "started_at", "开始时间")
    current = TracerAssignment.objects.select_for_update(of=("self",)).filter(episode=episode, ended_at__isnull=True).first()
    if current is not None:
        if current.tracer_id == tracer.pk:
            raise ValidationError({"tracer": f"{tracer} 已经是该人员的寻亲员。"})
        if at < current.started_at:
            raise ValidationError({"started_at": "开始时间不能早于上一任寻亲员的开始时间。"})
        before = snapshot(current, ["ended_at", "ended_reason"])
        current.ended_at, current.ended_reason = at, f"改由 {tracer} 负责"
        current.save(update_fields=["ended_at", "ended_reason", "updated_at"])
        audit_update(actor=by, obj=current, before=before, summary=f"寻亲员 {current.tracer} 结束负责",
                     organisation=episode.station, person_uuid=episode.person.uuid)
    assignment = TracerAssignment.objects.create(episode=episode, tracer=tracer, started_at=at, assigned_by=by)
    audit_create(actor=by, obj=assignment, summary=f"指派寻亲员 {tracer}（规则T4）", organisation=episode.station,
                 person_uuid=episode.person.uuid)
    return assignment


@transaction.atomic
def talk_add(*, by, episode: Episode, held_at: datetime.datetime | None, content: str, present: str = "") -> Talk:
    """Record a tracing talk (rule T4) and keep the names, places and accents found in what was said."""
    errors = {}
    content = (content or "").strip()
    if not content:
        errors["content"] = "请填写谈话内容。"
    if held_at is None:
        errors["held_at"] = "请填写谈话时间。"
    elif held_at > timezone.now() + FUTURE_SLACK:
        errors["held_at"] = "谈话时间不能晚于当前时间。"
    elif held_at < episode.requested_at:
        errors["held_at"] = f"谈话时间不能早于求助时间（{_local(episode.requested_at)}）。"
    elif episode.left_at and held_at > episode.left_at:
        errors["held_at"] = "谈话时间不能晚于离站时间。"
    if errors:
        raise ValidationError(errors)
    if episode.status not in IN_CARE and not (episode.left_at and held_at <= episode.left_at):
        raise ValidationError("该人员不在站，不能记录谈话。")
    talk = Talk.objects.create(episode=episode, held_at=held_at, content=content, present=present.strip()[:200],
                               by=by, suggestions=analysis.suggest(content))
    audit_create(actor=by, obj=talk, summary=f"寻亲谈话（{_local(held_at)}，规则T4）", organisation=episode.station,
                 person_uuid=episode.person.uuid)
    return talk


def _run_match_query(*, by, person: Person) -> str | None:
    """Ask whoever compares people (the matching app, through core.events) to compare the person now.

    None when nobody handles the request or the engine failed: the lead then stays pending.
    """
    try:
        with transaction.atomic():  # a savepoint: a failing engine leaves the lead pending, not broken
            results = events.publish(events.PersonComparisonRequested(person=person, by=by))
    except (ValidationError, PermissionDenied):
        raise
    except Exception:  # the engine is another app's; the lead stays pending and says why
        log.exception("comparison request for %s failed", person.pk)
        return None
    outcomes = [r for r in results if isinstance(r, str) and r]
    return "；".join(outcomes) or None


@transaction.atomic
def lead_create(*, by, episode: Episode, kind: str, text: str, talk: Talk | None = None,
                organisation: Organisation | None = None, note: str = "", division_code: str = "") -> Lead:
    """Turn a name, place or accent into a lead: police referral (draft check), call to a home-area
    station, a query to the matching engine, or another tracing tool (rules T4, T8)."""
    errors = {}
    text = (text or "").strip()
    if kind not in LeadKind.values:
        errors["kind"] = "请选择线索处理方式。"
    if not text:
        errors["text"] = "请填写线索内容。"
    if talk is not None and talk.episode_id != episode.pk:
        errors["talk"] = "谈话记录不属于该救助过程。"
    if kind == LeadKind.POLICE:
        if organisation is None or organisation.kind != OrgKind.POLICE:
            errors["organisation"] = "转公安核查须选择公安机关。"
    elif kind == LeadKind.STATION_CALL:
        if organisation is None or organisation.kind not in STATION_KINDS:
            errors["organisation"] = "请选择要联系的户籍地救助管理机构。"
    if errors:
        raise ValidationError(errors)
    if episode.status not in IN_CARE:
        raise ValidationError("该救助过程已结束，不能新增线索。")
    lead = Lead(episode=episode, talk=talk, kind=kind, text=text[:200], organisation=organisation,
                note=note.strip(), division_code=division_code[:12], created_by=by)
    if kind == LeadKind.POLICE:
        lead.identity_check = check_create(by=by, person=episode.person, police=organisation, send=False,
                                           known_info=f"谈话线索：{text}" + (f"\n{note.strip()}" if note.strip() else ""))
    if kind == LeadKind.MATCH_QUERY:
        outcome = _run_match_query(by=by, person=episode.person)
        if outcome:
            lead.status, lead.outcome, lead.resolved_at = LeadStatus.DONE, outcome, timezone.now()
    lead.save()
    audit_create(actor=by, obj=lead, summary=f"寻亲线索：{lead.get_kind_display()}（{text[:40]}）",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    return lead


@transaction.atomic
def lead_resolve(*, by, lead: Lead, outcome: str, status: str = LeadStatus.DONE) -> Lead:
    """Record what a lead gave (rule T8: every attempt and its outcome)."""
    if status not in (LeadStatus.DONE, LeadStatus.CLOSED):
        raise ValidationError({"status": "请选择处理结果状态。"})
    if not (outcome or "").strip():
        raise ValidationError({"outcome": "请填写线索的处理结果。"})
    before = snapshot(lead, ["status", "outcome", "resolved_at"])
    lead.status, lead.outcome, lead.resolved_at = status, outcome.strip(), timezone.now()
    lead.save(update_fields=["status", "outcome", "resolved_at", "updated_at"])
    audit_update(actor=by, obj=lead, before=before, summary=f"线索处理结果：{lead.get_kind_display()}（{lead.text[:40]}）",
                 organisation=lead.episode.station, person_uuid=lead.episode.person.uuid)
    return lead


# --- DNA (rules T5, T6) --------------------------------------------------------------------------------


def _validate_dna(dna: DnaRequest, episode: Episode) -> None:
    errors = {}
    today = timezone.localdate()
    requested_day = timezone.localdate(dna.requested_at)
    if dna.requested_at > timezone.now() + FUTURE_SLACK:
        errors["requested_at"] = "申请时间不能晚于当前时间。"
    elif dna.requested_at < episode.requested_at:
        errors["requested_at"] = "申请时间不能早于求助时间。"
    if dna.sample_taken_on:
        if dna.sample_taken_on > today:
            errors["sample_taken_on"] = "采样日期不能晚于今天。"
        elif dna.sample_taken_on < requested_day:
            errors["sample_taken_on"] = "采样日期不能早于申请日期。"
    if dna.result and dna.result not in DnaResult.values:
        errors["result"] = "比对结果不正确。"
    if dna.result and not dna.sample_taken_on:
        errors["sample_taken_on"] = "有比对结果时须填写采样日期。"
    if dna.result and not dna.result_on:
        errors["result_on"] = "请填写结果日期。"
    if dna.result_on and not dna.result:
        errors["result"] = "填写结果日期时请选择比对结果。"
    if dna.result_on:
        if dna.result_on > today:
            errors["result_on"] = "结果日期不能晚于今天。"
        elif dna.sample_taken_on and dna.result_on < dna.sample_taken_on:
            errors["result_on"] = "结果日期不能早于采样日期。"
    if dna.result == DnaResult.MATCH and not dna.reference.strip():
        errors["reference"] = "比中时请填写比中的参照（亲属样本编号或姓名）。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def dna_request_create(*, by, episode: Episode, police: Organisation | None,
                       requested_at: datetime.datetime | None = None, sample_taken_on: datetime.date | None = None,
                       note: str = "") -> DnaRequest:
    """Ask the police to take a DNA sample (rule T5: within 7 working days of entry)."""
    _require_police(police)
    if episode.status not in IN_CARE:
        raise ValidationError("该救助过程已结束，不能申请 DNA 采样。")
    dna = DnaRequest(episode=episode, police=police, requested_at=requested_at or timezone.now(),
                     sample_taken_on=sample_taken_on, note=note.strip(), created_by=by)
    _validate_dna(dna, episode)
    dna.save()
    audit_create(actor=by, obj=dna, summary=f"申请 DNA 采样比对（{police.name}，规则T5）",
                 organisation=episode.station, person_uuid=episode.person.uuid)
    return dna


@transaction.atomic
def dna_request_update(*, by, dna: DnaRequest, sample_taken_on: datetime.date | None, result: str = "",
                       reference: str = "", result_on: datetime.date | None = None, note: str | None = None) -> DnaRequest:
    """Record the sample date and the comparison result (rule T6: within 1 month of the sample)."""
    dna = DnaRequest.objects.select_for_update(of=("self",)).select_related("episode__person", "episode__station").get(pk=dna.pk)
    if dna.closed_at is not None:
        raise ValidationError("该 DNA 申请已关闭，不能修改。")
    before = snapshot(dna)
    dna.sample_taken_on, dna.result, dna.reference, dna.result_on = sample_taken_on, result or "", reference.strip(), result_on
    if note is not None:
        dna.note = note.strip()
    _validate_dna(dna, dna.episode)
    dna.save()
    audit_update(actor=by, obj=dna, before=before,
                 summary="DNA 采样比对：" + (dna.get_result_display() if dna.result else "已采样" if dna.sample_taken_on else "修改"),
                 organisation=dna.episode.station, person_uuid=dna.episode.person.uuid)
    return dna


# --- identification (rules T9, N13) -------------------------------------------------------------------


def _close_open_tasks(*, by, person: Person, episode: Episode | None, at: datetime.datetime, reason: str) -> None:
    """Identity found: the tracer's assignment ends; pending police checks, DNA requests and leads close."""
    if episode is not None:
        for assignment in TracerAssignment.objects.filter(episode=episode, ended_at__isnull=True):
            before = snapshot(assignment, ["ended_at", "ended_reason"])
            assignment.ended_at, assignment.ended_reason = at, reason
            assignment.save(update_fields=["ended_at", "ended_reason", "updated_at"])
            audit_update(actor=by, obj=assignment, before=before, summary=f"寻亲员 {assignment.tracer} 结束负责：{reason}",
                         organisation=episode.station, person_uuid=person.uuid)
    for check in IdentityCheck.objects.filter(person=person, status__in=[CheckStatus.DRAFT, CheckStatus.SENT]):
        _check_close(by=by, check=check, reason=reason, at=at)
    for dna in DnaRequest.objects.filter(episode__person=person, result="", closed_at__isnull=True):
        before = snapshot(dna, ["closed_at", "closed_reason"])
        dna.closed_at, dna.closed_reason = at, reason
        dna.save(update_fields=["closed_at", "closed_reason", "updated_at"])
        audit_update(actor=by, obj=dna, before=before, summary=f"关闭 DNA 采样比对：{reason}",
                     organisation=dna.episode.station, person_uuid=person.uuid)
    for lead in Lead.objects.filter(episode__person=person, status=LeadStatus.PENDING):
        before = snapshot(lead, ["status", "outcome", "resolved_at"])
        lead.status, lead.outcome, lead.resolved_at = LeadStatus.CLOSED, reason, at
        lead.save(update_fields=["status", "outcome", "resolved_at", "updated_at"])
        audit_update(actor=by, obj=lead, before=before, summary=f"关闭寻亲线索（{lead.text[:40]}）：{reason}",
                     organisation=lead.episode.station, person_uuid=person.uuid)


@transaction.atomic
def identity_confirm(*, by, person: Person, method: str, evidence: str, name: str = "", id_number: str = "",
                     hukou_division: Division | None = None, hukou_text: str = "", source=None) -> Identification:
    """Confirm who the person is: record how and by whom (rule N13), update the file through
    people.services.person_update, then publish core.events.PersonIdentified — whose handlers close the
    open tracing tasks and open the return-home plan (rule T9, ``on_person_identified``), withdraw the
    announcements and close the engine's open proposals.

    ``source`` is the record the identity came from (a confirmed match candidate, a clue, a police
    answer, a DNA result …); its type and UUID are kept on the identification.
    """
    person = Person.objects.select_for_update(of=("self",)).get(pk=person.pk)
    errors = {}
    if method not in IdentificationMethod.values:
        errors["method"] = "请选择查明方式。"
    if not (evidence or "").strip():
        errors["evidence"] = "请填写确认身份的依据。"
    name = (name or "").strip()
    if person.name_is_provisional and not name:
        errors["name"] = "该人员使用临时姓名，确认身份时请填写真实姓名。"
    if id_number.strip():
        try:
            parse_id_number(id_number)
        except InvalidIdNumber as exc:
            errors["id_number"] = str(exc)
    if Identification.objects.filter(person=person).exists():
        errors["method"] = "该人员的身份已经确认过，不能重复确认。"
    if errors:
        raise ValidationError(errors)
    episode = open_episode(person)
    station = episode.station if episode else (person.current_station or person.registered_by)
    at = timezone.now()
    previous_name = person.name
    data = {"identity_status": IdentityStatus.IDENTIFIED}
    if name and name != person.name:
        data["name"] = name
        data["name_is_provisional"] = False
    if hukou_division is not None:
        data["hukou_division"] = hukou_division
    if hukou_text.strip():
        data["hukou_text"] = hukou_text.strip()[:200]
    person = person_update(by=by, person=person, data=data, id_number=id_number.strip() or None)
    identification = Identification.objects.create(
        person=person, episode=episode, station=station, method=method, evidence=evidence.strip(),
        name=person.name, previous_name=previous_name, id_number_masked=person.id_number_masked, hukou_division=person.hukou_division,
        hukou_text=person.hukou_text,
        source_type=source._meta.label if source is not None else "",
        source_id=str(getattr(source, "uuid", None) or getattr(source, "pk", "")) if source is not None else "",
        confirmed_at=at, confirmed_by=by,
    )
    audit_create(actor=by, obj=identification,
                 summary=f"确认身份：{person.name}（{identification.get_method_display()}）",
                 organisation=station, person_uuid=person.uuid)
    # Every consequence (tracing's own below, announcements, matching, …) handles the one event.
    events.publish(events.PersonIdentified(
        person=person, by=by, identification=identification, episode=episode, station=station, method=method,
        reason=f"身份已查明（{identification.get_method_display()}）", at=at, source=source))
    return identification


def on_person_identified(event: events.PersonIdentified) -> None:
    """Tracing's part of an identification: pending tracing work closes and the return home is planned
    (rule T9). Subscribed to core.events.PersonIdentified in TracingConfig.ready."""
    _close_open_tasks(by=event.by, person=event.person, episode=event.episode, at=event.at, reason=event.reason)
    if event.episode is not None:
        plan = ReturnPlan.objects.create(person=event.person, episode=event.episode, station=event.station,
                                         identification=event.identification, status=PlanStatus.OPEN)
        audit_create(actor=event.by, obj=plan, summary="开启返乡计划（规则T9）", organisation=event.station,
                     person_uuid=event.person.uuid)


def on_episode_closed(event: events.EpisodeClosed) -> None:
    """Tracing's part of the one closing path: the tracer's assignment ends; pending police checks, DNA
    requests and leads close; an open return-home plan is done when the person went home (rule T9)."""
    episode = event.episode
    _close_open_tasks(by=event.by, person=episode.person, episode=episode, at=event.at, reason=event.reason)
    if event.went_home:
        for plan in ReturnPlan.objects.filter(episode=episode).exclude(status=PlanStatus.DONE):
            before = snapshot(plan, ["status", "done_at"])
            plan.status, plan.done_at = PlanStatus.DONE, event.at
            plan.save(update_fields=["status", "done_at", "updated_at"])
            audit_update(actor=event.by, obj=plan, before=before, summary=f"返乡计划完成：{event.reason}",
                         organisation=plan.station, person_uuid=episode.person.uuid)


# --- return home and escalation (rule T9) -------------------------------------------------------------


@transaction.atomic
def return_plan_update(*, by, plan: ReturnPlan, status: str, target_date: datetime.date | None = None,
                       method: str = "", home_organisation: Organisation | None = None, home_contact: str = "",
                       refusal_reason: str = "", note: str = "") -> ReturnPlan:
    """Plan the return home and move it along open → in progress → done / refused (rule T9)."""
    plan = ReturnPlan.objects.select_for_update(of=("self",)).select_related("person", "station").get(pk=plan.pk)
    errors = {}
    if status not in PlanStatus.values:
        errors["status"] = "请选择计划状态。"
    elif status != plan.status and status not in PLAN_TRANSITIONS[PlanStatus(plan.status)]:
        errors["status"] = (f"返乡计划不能从“{plan.get_status_display()}”变为“{PlanStatus(status).label}”。"
                            if plan.status != PlanStatus.DONE else "返乡计划已完成，不能再修改。")
    if plan.status == PlanStatus.DONE:
        errors["status"] = "返乡计划已完成，不能再修改。"
    if method and method not in ReturnMethod.values:
        errors["method"] = "返乡方式不正确。"
    start_day = timezone.localdate(plan.created_at)
    if target_date is not None and target_date < start_day:
        errors["target_date"] = f"计划返乡日期不能早于身份查明日期（{start_day:%Y-%m-%d}）。"
    if status == PlanStatus.REFUSED and not refusal_reason.strip():
        errors["refusal_reason"] = "户籍地拒绝接收时请填写原因（将逐级上报上级民政部门）。"
    if status in (PlanStatus.IN_PROGRESS, PlanStatus.DONE) and not (method or plan.method):
        errors["method"] = "请选择返乡方式。"
    if errors:
        raise ValidationError(errors)
    before = snapshot(plan)
    plan.status, plan.target_date = status, target_date
    plan.method, plan.home_organisation, plan.home_contact = method, home_organisation, home_contact.strip()[:200]
    plan.refusal_reason, plan.note = refusal_reason.strip()[:300], note.strip()
    if status == PlanStatus.DONE and plan.done_at is None:
        plan.done_at = timezone.now()
    plan.save()
    audit_update(actor=by, obj=plan, before=before, summary=f"返乡计划：{plan.get_status_display()}",
                 organisation=plan.station, person_uuid=plan.person.uuid)
    return plan


def next_escalation_target(plan: ReturnPlan) -> Organisation | None:
    """The next civil-affairs department up the supervisor chain, above the last one already asked."""
    last = plan.escalations.order_by("-level").first()
    current = last.to_organisation if last else plan.station
    seen = set()
    org = current.supervisor
    while org is not None and org.pk not in seen:
        seen.add(org.pk)
        if org.kind == OrgKind.CIVIL_AFFAIRS:
            return org
        org = org.supervisor
    return None


@transaction.atomic
def escalate(*, by, plan: ReturnPlan, note: str = "", escalated_on: datetime.date | None = None) -> Escalation:
    """The home area refused: report the case to the next civil-affairs department up (rule T9)."""
    plan = ReturnPlan.objects.select_for_update(of=("self",)).select_related("person", "station__supervisor").get(pk=plan.pk)
    if plan.status != PlanStatus.REFUSED:
        raise ValidationError("只有户籍地拒绝接收的返乡计划才能逐级上报。")
    escalated_on = escalated_on or timezone.localdate()
    _date_not_future(escalated_on, "escalated_on", "报送日期")
    last = plan.escalations.order_by("-level").first()
    if last is not None and escalated_on < last.escalated_on:
        raise ValidationError({"escalated_on": "报送日期不能早于上一级的报送日期。"})
    target = next_escalation_target(plan)
    if target is None:
        raise ValidationError("已没有更上一级的民政部门可以上报。")
    escalation = Escalation.objects.create(plan=plan, level=(last.level + 1) if last else 1, to_organisation=target,
                                           escalated_on=escalated_on, note=note.strip(), created_by=by)
    audit_create(actor=by, obj=escalation, summary=f"返乡受阻，第{escalation.level}级上报 {target.name}（规则T9）",
                 organisation=plan.station, person_uuid=plan.person.uuid)
    return escalation


@transaction.atomic
def escalation_answer(*, by, escalation: Escalation, answer: str, answered_on: datetime.date | None = None) -> Escalation:
    """Record the department's answer to an escalation."""
    if not (answer or "").strip():
        raise ValidationError({"answer": "请填写答复内容。"})
    answered_on = answered_on or timezone.localdate()
    _date_not_future(answered_on, "answered_on", "答复日期")
    if answered_on < escalation.escalated_on:
        raise ValidationError({"answered_on": "答复日期不能早于报送日期。"})
    before = snapshot(escalation, ["answer", "answered_on"])
    escalation.answer, escalation.answered_on = answer.strip(), answered_on
    escalation.save(update_fields=["answer", "answered_on", "updated_at"])
    plan = escalation.plan
    audit_update(actor=by, obj=escalation, before=before,
                 summary=f"第{escalation.level}级上报答复（{escalation.to_organisation.name}）",
                 organisation=plan.station, person_uuid=plan.person.uuid)
    return escalation



# --- T10: the monthly report, issued ------------------------------------------------------------------

#: Who issues a station's monthly report to the supervision panel.
REPORT_ROLES = (Role.HEAD, Role.TRACER, Role.ADMIN)


def _report_numbers(data: dict) -> dict:
    """The report's numbers as plain JSON, kept as issued (names as they stood at month end)."""
    return {
        "stranded": data["stranded"], "over_10_days": data["over_10_days"], "unidentified": data["unidentified"],
        "without_live_announcement": data["without_live_announcement"], "plans_open": data["plans_open"],
        "identified": [{"label": i["label"], "count": i["count"]} for i in data["identified"]],
        "rows": [{
            "file_no": r["file_no"], "name": r["name"], "sex": r["sex"],
            "entry": timezone.localtime(r["entry"]).isoformat(timespec="minutes"), "days": r["days"],
            "tracer": r["tracer"], "live_channels": [c["label"] for c in r["channels"] if c["live"]],
            "talks": r["talks"], "talk_days_missed": r["talk_days_missed"], "police": r["police"], "dna": r["dna"],
        } for r in data["rows"]],
    }


@transaction.atomic
def report_issue(*, by, station: Organisation, year: int, month: int) -> MonthlyReport:
    """Rule T10: issue a station's tracing report for a finished month to the supervision panel — the numbers
    and the PDF are stored as issued; the T10 deadline counts it for the month it concerns. Once per month."""
    from django.core.files.base import ContentFile
    from django.template.loader import render_to_string

    from core.printing import render_pdf
    from tracing.selectors import monthly_report

    if not (by.is_superuser or (by.organisation_id == station.pk and by.has_role(*REPORT_ROLES))):
        raise PermissionDenied("只有本机构的站长、寻亲员或管理员可以报送月报。")
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise ValidationError({"month": "月份不正确。"})
    start, end = dm.month_bounds(year, month, timezone.get_current_timezone())
    now = timezone.now()
    if end > now:
        raise ValidationError({"month": f"{year}年{month}月尚未结束，月末后才能报送该月月报（规则 T10）。"})
    if MonthlyReport.objects.filter(station=station, year=year, month=month).exists():
        raise ValidationError({"month": f"{year}年{month}月的月报已报送，不能重复报送。"})
    data = monthly_report(station=station, year=year, month=month)
    report = MonthlyReport(station=station, year=year, month=month, period_start=start, issued_at=now, issued_by=by,
                           numbers=_report_numbers(data))
    html = render_to_string("tracing/print_report.html", {"r": data, "now": now, "as_pdf": True, "issued": report})
    report.file.save(f"tracing-{year}-{month:02d}.pdf", ContentFile(render_pdf(html, base_url=str(settings.BASE_DIR))),
                     save=False)
    report.save()
    audit_create(actor=by, obj=report, summary=f"报送寻亲工作月报 {year}年{month}月（规则 T10）", organisation=station)
    return report
