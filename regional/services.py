"""Every write of the regional app (rules R1–R3, E2): validate → write → audit, one transaction each.

Ownership of an escalated case moves by the escalation's status alone: ``regional.access.case_holder`` answers
the one scoping mechanism with the accepting centre while the escalation is accepted. Escorts end with
``leaving.services.departure_create`` — the one path out of a station — person by person.
"""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit, audit_create, snapshot
from core.fields import NOTE
from core.models import AuditAction, Division, Organisation
from core.validation import aware
from people.models import OPEN_STATUSES, Episode
from people.states import IN_CARE
from regional import access
from regional.models import (
    BATCH_TRANSITIONS,
    ESCALATION_TRANSITIONS,
    Assistance,
    AssistanceStatus,
    BatchStatus,
    CaseKind,
    Escalation,
    EscalationStatus,
    EscortBatch,
    EscortMember,
    JointCase,
    JointDecision,
    JointMeeting,
    JointParticipant,
    JointStatus,
    MemberStatus,
)


def _move(esc: Escalation, to: str) -> None:
    if to not in ESCALATION_TRANSITIONS[EscalationStatus(esc.status)]:
        raise ValidationError(f"提级办理当前为“{esc.get_status_display()}”，不能改为“{EscalationStatus(to).label}”。")
    esc.status = to


def _text(value: str | None, field: str, message: str, minimum: int = 2) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise ValidationError({field: message})
    return text


def _locked_escalation(esc: Escalation) -> Escalation:
    return Escalation.objects.select_for_update().select_related("episode__person", "station", "centre").get(
        pk=esc.pk)


# -- 提级办理 -------------------------------------------------------------------------------------------------

@transaction.atomic
def escalation_request(*, by, episode: Episode, kind: str, reason: str,
                       at: datetime.datetime | None = None) -> Escalation:
    """A station asks its regional centre to take a case over (rule R2: 提级办理)."""
    episode = Episode.objects.select_for_update().select_related("station", "person").get(pk=episode.pk)
    station = episode.station
    if not access.may_escalate(by, station):
        raise ValidationError("只有该救助过程所属机构的站长、接待或寻亲人员可以提请提级办理。")
    errors: dict[str, str] = {}
    if kind not in CaseKind.values:
        errors["kind"] = "请选择提级事项。"
    if len((reason or "").strip()) < 4:
        errors["reason"] = "请写明提级理由（至少4个字）。"
    if episode.status not in OPEN_STATUSES:
        errors["episode"] = f"该救助过程已“{episode.status_label}”，不能提级办理。"
    centre = access.centre_for_station(station)
    if centre is None:
        errors["episode"] = "本机构不在任何区域性中心的服务区域内，不能提级办理（规则 R1）。"
    if errors:
        raise ValidationError(errors)
    esc = Escalation(episode=episode, station=station, centre=centre, kind=kind, reason=reason.strip(),
                     requested_at=at or timezone.now(), requested_by=by)
    try:
        with transaction.atomic():
            esc.save()
    except IntegrityError as exc:  # rule R2: one open escalation per episode (DB constraint)
        raise ValidationError({"episode": "该救助过程已有未结束的提级办理。"}) from exc
    audit_create(actor=by, obj=esc, organisation=station, person_uuid=episode.person.uuid,
                 summary=f"{episode.number} 提请{centre.name}提级办理：{esc.get_kind_display()}")
    return esc


def _answer(by, esc: Escalation, to: str, reason: str, at, verb: str) -> Escalation:
    esc = _locked_escalation(esc)
    access.require_centre(by, esc.centre)
    before = snapshot(esc)
    _move(esc, to)
    esc.answered_by, esc.answered_at, esc.answer_reason = by, at or timezone.now(), reason
    if esc.answered_at < esc.requested_at:
        raise ValidationError({"answered_at": "答复时间不能早于提请时间。"})
    esc.save()
    audit(actor=by, action=AuditAction.UPDATE, obj=esc, organisation=esc.centre,
          person_uuid=esc.episode.person.uuid, summary=f"{esc.episode.number} 提级办理：{verb}",
          changes={k: [before.get(k), v] for k, v in snapshot(esc).items() if before.get(k) != v})
    return esc


@transaction.atomic
def escalation_accept(*, by, escalation: Escalation, reason: str = "",
                      at: datetime.datetime | None = None) -> Escalation:
    """The centre takes the case over: from now on it acts on the episode, the station reads (rule R2)."""
    if escalation.episode.status not in OPEN_STATUSES:
        raise ValidationError("该救助过程已结束，不能接办。")
    return _answer(by, escalation, EscalationStatus.ACCEPTED, (reason or "").strip(), at, "区域性中心接办")


@transaction.atomic
def escalation_decline(*, by, escalation: Escalation, reason: str,
                       at: datetime.datetime | None = None) -> Escalation:
    """The centre declines, with the reason the station reads (rule R2)."""
    reason = _text(reason, "reason", "不予接办须写明理由（至少4个字）。", 4)
    return _answer(by, escalation, EscalationStatus.DECLINED, reason, at, "区域性中心不予接办")


@transaction.atomic
def escalation_withdraw(*, by, escalation: Escalation, note: str = "") -> Escalation:
    """The station withdraws a request the centre has not answered yet."""
    esc = _locked_escalation(escalation)
    if not access.may_escalate(by, esc.station):
        raise ValidationError("只有提请机构可以撤回。")
    return _end(by, esc, EscalationStatus.WITHDRAWN, note, "救助站撤回提级申请", esc.station)


@transaction.atomic
def escalation_return(*, by, escalation: Escalation, note: str) -> Escalation:
    """The centre hands the case back to the station when its part is done; the station acts again."""
    esc = _locked_escalation(escalation)
    access.require_centre(by, esc.centre)
    note = _text(note, "note", "请写明交回说明（至少4个字）。", 4)
    return _end(by, esc, EscalationStatus.RETURNED, note, "区域性中心办结并交回救助站", esc.centre)


def _end(by, esc: Escalation, to: str, note: str, verb: str, organisation) -> Escalation:
    before = snapshot(esc)
    _move(esc, to)
    esc.ended_at, esc.ended_by, esc.end_note = timezone.now(), by, (note or "").strip()
    esc.save()
    audit(actor=by, action=AuditAction.UPDATE, obj=esc, organisation=organisation,
          person_uuid=esc.episode.person.uuid, summary=f"{esc.episode.number} 提级办理：{verb}",
          changes={k: [before.get(k), v] for k, v in snapshot(esc).items() if before.get(k) != v})
    return esc


def on_episode_closed(event) -> None:
    """An episode ended: its open escalation is over (已办结) and help sent down to it stops."""
    for esc in Escalation.objects.select_for_update().select_related("episode__person", "centre").filter(episode_id=event.episode.pk,
                                                              status__in=[EscalationStatus.REQUESTED,
                                                                          EscalationStatus.ACCEPTED]):
        _end(event.by, esc, EscalationStatus.CLOSED, event.reason, "救助过程结束，提级办理办结", esc.centre)
    for help_ in Assistance.objects.select_for_update().filter(episode_id=event.episode.pk,
                                                              status=AssistanceStatus.ACTIVE, ends_at__gt=event.at):
        before = snapshot(help_)
        help_.status, help_.ended_at, help_.end_note = AssistanceStatus.ENDED, event.at, event.reason[:NOTE]
        help_.save()
        audit(actor=event.by, action=AuditAction.UPDATE, obj=help_, organisation=help_.centre,
              person_uuid=event.episode.person.uuid, summary=f"{event.episode.number} 救助过程结束，下沉协助结束",
              changes={k: [before.get(k), v] for k, v in snapshot(help_).items() if before.get(k) != v})



# -- 下沉协助 -------------------------------------------------------------------------------------------------

@transaction.atomic
def assistance_send(*, by, episode: Episode, kind: str, task: str, staff: list, starts_at: datetime.datetime,
                    ends_at: datetime.datetime) -> Assistance:
    """The centre sends staff to one case of a station of its region for a period (rule R2: 下沉协助)."""
    centre = access.centre_of_user(by)
    access.require_centre(by, centre)
    episode = Episode.objects.select_related("station", "person").get(pk=episode.pk)
    errors: dict[str, str] = {}
    if not access.covers(centre, episode.station):
        errors["episode"] = "只能向本区域内救助管理机构的救助过程派出协助人员（规则 R1）。"
    elif episode.status not in OPEN_STATUSES:
        errors["episode"] = f"该救助过程已“{episode.status_label}”，不能派出协助。"
    if kind not in CaseKind.values:
        errors["kind"] = "请选择协助事项。"
    if len((task or "").strip()) < 2:
        errors["task"] = "请填写协助任务。"
    staff = list(staff or [])
    try:  # a naive time from the API is local time
        starts_at, ends_at = (aware(v) if v is not None else None for v in (starts_at, ends_at))
    except (OverflowError, ValueError) as exc:
        raise ValidationError({"ends_at": "协助期限不是有效的时间。"}) from exc
    if not staff:
        errors["staff"] = "请选择下沉人员。"
    elif any(u.organisation_id != centre.pk or not u.is_active for u in staff):
        errors["staff"] = "下沉人员须为本中心在职工作人员。"
    if starts_at is None:
        errors["starts_at"] = "请填写开始时间。"
    if ends_at is None:
        errors["ends_at"] = "请填写结束时间。"
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = "结束时间须晚于开始时间。"
    elif ends_at <= timezone.now():
        errors["ends_at"] = "结束时间须晚于当前时间。"
    if errors:
        raise ValidationError(errors)
    help_ = Assistance.objects.create(episode=episode, station=episode.station, centre=centre, kind=kind,
                                      task=task.strip(), starts_at=starts_at, ends_at=ends_at, created_by=by)
    help_.staff.set(staff)
    changes = {k: [None, v] for k, v in snapshot(help_).items() if v not in (None, "", [], {})}
    changes["staff"] = [None, [str(u) for u in staff]]
    audit(actor=by, action=AuditAction.CREATE, obj=help_, organisation=centre, person_uuid=episode.person.uuid,
          summary=f"{episode.number} 下沉协助：{help_.task}（{len(staff)} 人）", changes=changes)
    return help_


@transaction.atomic
def assistance_end(*, by, assistance: Assistance, note: str) -> Assistance:
    """The centre recalls its staff before the period ends; their grant on the case ends with it."""
    help_ = Assistance.objects.select_for_update().select_related("episode__person", "centre").get(pk=assistance.pk)
    access.require_centre(by, help_.centre)
    if help_.status != AssistanceStatus.ACTIVE:
        raise ValidationError("该下沉协助已结束。")
    now = timezone.now()
    if help_.ends_at <= now:
        raise ValidationError("该下沉协助已到期，无须提前结束。")
    note = _text(note, "note", "请写明提前结束的原因。")
    before = snapshot(help_)
    help_.status, help_.ended_at, help_.end_note = AssistanceStatus.ENDED, now, note
    help_.save()
    audit(actor=by, action=AuditAction.UPDATE, obj=help_, organisation=help_.centre,
          person_uuid=help_.episode.person.uuid, summary=f"{help_.episode.number} 下沉协助提前结束",
          changes={k: [before.get(k), v] for k, v in snapshot(help_).items() if before.get(k) != v})
    return help_


# -- 协同会办 -------------------------------------------------------------------------------------------------

def _require_convener(by, joint: JointCase) -> None:
    from core.scoping import can_write

    if not can_write(by, joint.convener, *access.STATION_ROLES):
        raise ValidationError("只有牵头机构可以办理会办事项。")


@transaction.atomic
def joint_open(*, by, episode: Episode, kind: str, title: str,
               participants: list[dict[str, Any]]) -> JointCase:
    """Open a joint handling of one case (rule R2: 协同会办), convened by the station or its centre."""
    episode = Episode.objects.select_related("station", "person").get(pk=episode.pk)
    convener = by.organisation
    station = episode.station
    if convener is None or not (convener.pk == station.pk or access.covers(convener, station)):
        raise ValidationError("协同会办由该救助过程所属机构或其区域性中心牵头。")
    _require_convener(by, JointCase(convener=convener))
    errors: dict[str, str] = {}
    if kind not in CaseKind.values:
        errors["kind"] = "请选择会办事项。"
    if len((title or "").strip()) < 2:
        errors["title"] = "请填写会办事由。"
    orgs = [p["organisation"] for p in participants if p.get("organisation") is not None]
    if len({o.pk for o in orgs} | {convener.pk}) < 2:
        errors["participants"] = "协同会办须有牵头机构以外的至少一家参与机构。"
    elif len({o.pk for o in orgs}) != len(orgs):
        errors["participants"] = "同一机构不能重复参与。"
    if any(not (p.get("duty") or "").strip() for p in participants):
        errors["participants"] = "请写明每家参与机构承担的职责。"
    if errors:
        raise ValidationError(errors)
    joint = JointCase.objects.create(episode=episode, kind=kind, title=title.strip(), convener=convener,
                                     created_by=by)
    for p in participants:
        JointParticipant.objects.create(joint_case=joint, organisation=p["organisation"], duty=p["duty"].strip(),
                                        contact=(p.get("contact") or "").strip())
    changes = {k: [None, v] for k, v in snapshot(joint).items() if v not in (None, "", [], {})}
    changes["participants"] = [None, [f"{p['organisation'].name}：{p['duty']}" for p in participants]]
    audit(actor=by, action=AuditAction.CREATE, obj=joint, organisation=convener, person_uuid=episode.person.uuid,
          summary=f"{episode.number} 发起协同会办：{joint.title}", changes=changes)
    return joint


def _open_joint(joint: JointCase) -> JointCase:
    joint = JointCase.objects.select_for_update().select_related("episode__person", "convener").get(pk=joint.pk)
    if joint.status != JointStatus.OPEN:
        raise ValidationError("该协同会办已结案。")
    return joint


@transaction.atomic
def joint_participant_add(*, by, joint: JointCase, organisation: Organisation, duty: str,
                          contact: str = "") -> JointParticipant:
    joint = _open_joint(joint)
    _require_convener(by, joint)
    duty = _text(duty, "duty", "请写明该机构承担的职责。")
    if organisation.pk == joint.convener_id or joint.participants.filter(organisation=organisation).exists():
        raise ValidationError({"organisation": "该机构已参与本次会办。"})
    part = JointParticipant.objects.create(joint_case=joint, organisation=organisation, duty=duty,
                                           contact=(contact or "").strip())
    audit_create(actor=by, obj=part, organisation=joint.convener, person_uuid=joint.episode.person.uuid,
                 summary=f"{joint.episode.number} 协同会办增加参与机构：{organisation.name}")
    return part


@transaction.atomic
def joint_meeting_record(*, by, joint: JointCase, held_on: datetime.date, attendees: str, minutes: str,
                         place: str = "", decisions: list[dict[str, Any]] | None = None) -> JointMeeting:
    """A meeting of the joint case with its minutes and the decisions it took (rule R2)."""
    joint = _open_joint(joint)
    _require_convener(by, joint)
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = "请填写会议日期。"
    elif held_on > timezone.localdate():
        errors["held_on"] = "会议日期不能晚于今天。"
    if len((attendees or "").strip()) < 2:
        errors["attendees"] = "请填写参会人员。"
    if len((minutes or "").strip()) < 10:
        errors["minutes"] = "请填写会议纪要（至少10个字）。"
    bodies = {joint.convener_id} | set(joint.participants.values_list("organisation_id", flat=True))
    for d in decisions or []:
        if not (d.get("text") or "").strip():
            errors["decisions"] = "请填写决定事项。"
        elif d.get("responsible") is None or d["responsible"].pk not in bodies:
            errors["decisions"] = "决定事项的责任机构须为会办的牵头或参与机构。"
    if errors:
        raise ValidationError(errors)
    meeting = JointMeeting.objects.create(joint_case=joint, held_on=held_on, place=(place or "").strip(),
                                          attendees=attendees.strip(), minutes=minutes.strip(), recorded_by=by)
    audit_create(actor=by, obj=meeting, organisation=joint.convener, person_uuid=joint.episode.person.uuid,
                 summary=f"{joint.episode.number} 协同会办会议（{held_on:%Y-%m-%d}）")
    for d in decisions or []:
        decision = JointDecision.objects.create(joint_case=joint, meeting=meeting, text=d["text"].strip(),
                                                responsible=d["responsible"], due_on=d.get("due_on"), recorded_by=by)
        audit_create(actor=by, obj=decision, organisation=joint.convener, person_uuid=joint.episode.person.uuid,
                     summary=f"{joint.episode.number} 会办决定：{decision.text[:60]}")
    return meeting


@transaction.atomic
def joint_decision_done(*, by, decision: JointDecision, note: str) -> JointDecision:
    """The responsible body records that a decision was carried out."""
    from core.scoping import can_write

    decision = JointDecision.objects.select_for_update().select_related(
        "joint_case__episode__person", "responsible").get(pk=decision.pk)
    if decision.done_at is not None:
        raise ValidationError("该决定已落实。")
    if not can_write(by, decision.responsible):
        raise ValidationError("只有责任机构可以登记落实情况。")
    note = _text(note, "note", "请填写落实情况。")
    before = snapshot(decision)
    decision.done_at, decision.done_note = timezone.now(), note
    decision.save()
    audit(actor=by, action=AuditAction.UPDATE, obj=decision, organisation=decision.responsible,
          person_uuid=decision.joint_case.episode.person.uuid, summary="会办决定已落实",
          changes={k: [before.get(k), v] for k, v in snapshot(decision).items() if before.get(k) != v})
    return decision


@transaction.atomic
def joint_close(*, by, joint: JointCase, conclusion: str) -> JointCase:
    joint = _open_joint(joint)
    _require_convener(by, joint)
    conclusion = _text(conclusion, "conclusion", "请填写会办结论（至少4个字）。", 4)
    open_decisions = joint.decisions.filter(done_at__isnull=True).count()
    if open_decisions:
        raise ValidationError(f"还有 {open_decisions} 项会办决定未落实，不能结案。")
    before = snapshot(joint)
    joint.status, joint.closed_at, joint.conclusion = JointStatus.CLOSED, timezone.now(), conclusion
    joint.save()
    audit(actor=by, action=AuditAction.UPDATE, obj=joint, organisation=joint.convener,
          person_uuid=joint.episode.person.uuid, summary=f"{joint.episode.number} 协同会办结案",
          changes={k: [before.get(k), v] for k, v in snapshot(joint).items() if before.get(k) != v})
    return joint


# -- 统一护送（E2）------------------------------------------------------------------------------------------

def _move_batch(batch: EscortBatch, to: str) -> None:
    if to not in BATCH_TRANSITIONS[BatchStatus(batch.status)]:
        raise ValidationError(f"护送批次当前为“{batch.get_status_display()}”，不能改为“{BatchStatus(to).label}”。")
    batch.status = to


def _locked_batch(batch: EscortBatch) -> EscortBatch:
    return EscortBatch.objects.select_for_update().select_related("centre").get(pk=batch.pk)


def _check_staff(errors: dict, centre: Organisation, staff: list) -> None:
    if not staff:
        errors["staff"] = "请选择护送人员。"
    elif any(u.organisation_id != centre.pk or not u.is_active for u in staff):
        errors["staff"] = "统一护送由区域性中心以本中心工作人员实施（规则 E2）。"


@transaction.atomic
def batch_create(*, by, route: str, departs_on: datetime.date, vehicle: str, staff: list,
                 note: str = "") -> EscortBatch:
    """Plan a cross-province escort batch of the user's centre (rule E2)."""
    centre = access.centre_of_user(by)
    access.require_centre(by, centre)
    errors: dict[str, str] = {}
    if len((route or "").strip()) < 2:
        errors["route"] = "请填写护送路线。"
    if departs_on is None:
        errors["departs_on"] = "请填写出发日期。"
    elif departs_on < timezone.localdate():
        errors["departs_on"] = "出发日期不能早于今天。"
    if len((vehicle or "").strip()) < 2:
        errors["vehicle"] = "请填写车辆（车牌号或车次）。"
    staff = list(staff or [])
    _check_staff(errors, centre, staff)
    if errors:
        raise ValidationError(errors)
    batch = EscortBatch.objects.create(centre=centre, route=route.strip(), departs_on=departs_on,
                                       vehicle=vehicle.strip(), note=(note or "").strip(), created_by=by)
    batch.staff.set(staff)
    changes = {k: [None, v] for k, v in snapshot(batch).items() if v not in (None, "", [], {})}
    changes["staff"] = [None, [str(u) for u in staff]]
    audit(actor=by, action=AuditAction.CREATE, obj=batch, organisation=centre,
          summary=f"制定统一护送批次：{batch.route}（{departs_on:%Y-%m-%d}）", changes=changes)
    return batch


@transaction.atomic
def batch_member_add(*, by, batch: EscortBatch, episode: Episode, destination: Division,
                     receiving: Organisation | None = None) -> EscortMember:
    """Put a person of a station of the region into a batch; the destination is in another province (E2)."""
    batch = _locked_batch(batch)
    access.require_centre(by, batch.centre)
    episode = Episode.objects.select_related("station__division", "person").get(pk=episode.pk)
    errors: dict[str, str] = {}
    if batch.status != BatchStatus.PLANNED:
        errors["episode"] = "只有计划中的批次可以编入人员。"
    elif not (episode.station_id == batch.centre_id or access.covers(batch.centre, episode.station)):
        errors["episode"] = "只能编入本区域救助管理机构的受助人员（规则 R1）。"
    elif episode.status not in IN_CARE:
        errors["episode"] = f"该救助过程为“{episode.status_label}”，不在站，不能编入护送。"
    if destination is None:
        errors["destination"] = "请选择目的地（户籍地）。"
    elif destination.code[:2] == episode.station.division.code[:2]:
        errors["destination"] = "统一护送用于跨省护送：目的地须在其他省份（规则 E2）。"
    if errors:
        raise ValidationError(errors)
    member = EscortMember(batch=batch, episode=episode, destination=destination, receiving=receiving, added_by=by)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        raise ValidationError({"episode": "该受助人员已在另一个待护送的批次中。"}) from exc
    audit_create(actor=by, obj=member, organisation=batch.centre, person_uuid=episode.person.uuid,
                 summary=f"{episode.number} 编入统一护送批次：{batch.route}")
    return member


@transaction.atomic
def batch_member_remove(*, by, member: EscortMember, reason: str) -> EscortMember:
    member = EscortMember.objects.select_for_update().select_related("batch__centre", "episode__person").get(
        pk=member.pk)
    access.require_centre(by, member.batch.centre)
    if member.status != MemberStatus.PLANNED:
        raise ValidationError("该人员已交接或已移出。")
    reason = _text(reason, "reason", "请写明移出原因。")
    before = snapshot(member)
    member.status, member.removed_reason = MemberStatus.REMOVED, reason
    member.save()
    audit(actor=by, action=AuditAction.UPDATE, obj=member, organisation=member.batch.centre,
          person_uuid=member.episode.person.uuid, summary=f"{member.episode.number} 移出护送批次",
          changes={k: [before.get(k), v] for k, v in snapshot(member).items() if before.get(k) != v})
    return member


@transaction.atomic
def batch_start(*, by, batch: EscortBatch, at: datetime.datetime | None = None) -> EscortBatch:
    """The batch sets off: every planned person is still in care."""
    batch = _locked_batch(batch)
    access.require_centre(by, batch.centre)
    before = snapshot(batch)
    _move_batch(batch, BatchStatus.UNDER_WAY)
    members = list(batch.members.filter(status=MemberStatus.PLANNED).select_related("episode"))
    if not members:
        raise ValidationError("批次中没有待护送的人员。")
    gone = [m.episode.number for m in members if m.episode.status not in IN_CARE]
    if gone:
        raise ValidationError(f"以下人员已不在站，请先移出：{'、'.join(gone)}。")
    errors: dict[str, str] = {}
    _check_staff(errors, batch.centre, list(batch.staff.all()))
    if errors:
        raise ValidationError(errors)
    batch.started_at = at or timezone.now()
    batch.save()
    audit(actor=by, action=AuditAction.UPDATE, obj=batch, organisation=batch.centre,
          summary=f"统一护送出发：{batch.route}（{len(members)} 人）",
          changes={k: [before.get(k), v] for k, v in snapshot(batch).items() if before.get(k) != v})
    return batch


@transaction.atomic
def batch_cancel(*, by, batch: EscortBatch, reason: str) -> EscortBatch:
    batch = _locked_batch(batch)
    access.require_centre(by, batch.centre)
    reason = _text(reason, "reason", "请写明取消原因。")
    before = snapshot(batch)
    _move_batch(batch, BatchStatus.CANCELLED)
    batch.cancel_reason = reason
    batch.save()
    batch.members.filter(status=MemberStatus.PLANNED).update(status=MemberStatus.REMOVED,
                                                            removed_reason=f"批次取消：{reason}"[:300])
    audit(actor=by, action=AuditAction.UPDATE, obj=batch, organisation=batch.centre,
          summary=f"取消统一护送批次：{batch.route}",
          changes={k: [before.get(k), v] for k, v in snapshot(batch).items() if before.get(k) != v})
    return batch


@transaction.atomic
def member_hand_over(*, by, member: EscortMember, handed_over_to: str, handover_person: str,
                     handover_at: datetime.datetime, handover_org: Organisation | None = None,
                     claimant_id_number: str = "", claimant_id_copy=None, witness_1=None, witness_2=None,
                     note: str = "") -> EscortMember:
    """One person of a batch under way is handed over at the destination: the departure is recorded by
    ``leaving.services.departure_create`` (返乡（护送）, the batch's staff as escorts) — never a second path out."""
    from leaving.models import ExitType, HandoverTo
    from leaving.services import departure_create

    member = EscortMember.objects.select_for_update().select_related(
        "batch__centre", "episode__person", "destination").get(pk=member.pk)
    batch = member.batch
    access.require_centre(by, batch.centre)
    if batch.status != BatchStatus.UNDER_WAY:
        raise ValidationError("批次出发后才能逐人交接。")
    if member.status != MemberStatus.PLANNED:
        raise ValidationError("该人员已交接或已移出。")
    if handed_over_to not in HandoverTo.values:
        raise ValidationError({"handed_over_to": "请选择交接对象。"})
    try:
        handover_at = aware(handover_at) if handover_at is not None else None
    except (OverflowError, ValueError) as exc:
        raise ValidationError({"handover_at": "交接时间不是有效的时间。"}) from exc
    data = {"destination": str(member.destination)[:100], "escort_route": batch.route[:200],
            "handed_over_to": handed_over_to, "handover_org": handover_org or member.receiving,
            "handover_person": (handover_person or "").strip(), "handover_at": handover_at,
            "witness_1": witness_1, "witness_2": witness_2, "note": (note or "").strip()}
    departure = departure_create(by=by, episode=member.episode, exit_type=ExitType.HOME_ESCORTED,
                                 left_at=batch.started_at, data=data, claimant_id_number=claimant_id_number,
                                 claimant_id_copy=claimant_id_copy, escort_staff=list(batch.staff.all()))
    before = snapshot(member)
    member.status, member.departure = MemberStatus.HANDED_OVER, departure
    member.save()
    audit(actor=by, action=AuditAction.UPDATE, obj=member, organisation=batch.centre,
          person_uuid=member.episode.person.uuid, summary=f"{member.episode.number} 统一护送交接完成",
          changes={k: [before.get(k), v] for k, v in snapshot(member).items() if before.get(k) != v})
    if not batch.members.filter(status=MemberStatus.PLANNED).exists():
        _finish(by, batch)
    return member


def _finish(by, batch: EscortBatch) -> None:
    batch = _locked_batch(batch)
    before = snapshot(batch)
    _move_batch(batch, BatchStatus.DONE)
    batch.finished_at = timezone.now()
    batch.save()
    audit(actor=by, action=AuditAction.UPDATE, obj=batch, organisation=batch.centre,
          summary=f"统一护送批次完成：{batch.route}",
          changes={k: [before.get(k), v] for k, v in snapshot(batch).items() if before.get(k) != v})
