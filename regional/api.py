"""API of the regional app (/api/v1/regional): escalations, help sent down, joint cases, escort batches and the
dispatch figures (rules R1–R3, E2). Same scope, permissions and services as the pages."""

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from core.models import Division, Organisation, User
from core.paging import PAGE_SIZE
from core.scoping import can_write, get_scoped_or_404
from people.models import Episode
from regional import access, selectors, services

router = Router()


def _page(qs, page: int):
    page = max(1, page)
    return list(qs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE])


def _episode(user, value: uuid.UUID, field: str = "episode") -> Episode:
    try:
        return get_scoped_or_404(Episode.objects.select_related("station", "person"), user, uuid=value)
    except Http404 as exc:
        raise ValidationError({field: "救助过程不存在或不在您的范围内。"}) from exc


def _org(user, value: uuid.UUID | None, field: str) -> Organisation | None:
    if value is None:
        return None
    org = Organisation.objects.filter(uuid=value, is_active=True).first()
    if org is None:
        raise ValidationError({field: "机构不存在。"})
    return org


def _users(org: Organisation | None, values: list[uuid.UUID], field: str) -> list[User]:
    found = list(User.objects.filter(uuid__in=values, organisation=org)) if org is not None else []
    if len(found) != len(set(values)):
        raise ValidationError({field: "人员须为本中心在职工作人员。"})
    return found


# -- schemas --------------------------------------------------------------------------------------------------

class EscalationIn(Schema):
    episode: uuid.UUID
    kind: str = Field(max_length=16)
    reason: str = Field(max_length=2000)


class AnswerIn(Schema):
    decision: str = Field(max_length=8, description="accept 接办 / decline 不予接办")
    reason: str = Field("", max_length=2000)


class NoteIn(Schema):
    note: str = Field(max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(max_length=300)


class EscalationOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    episode_number: str = Field(alias="episode.number")
    person: str = Field(alias="episode.person.name")
    station: str = Field(alias="station.name")
    centre: str = Field(alias="centre.name")
    kind: str
    kind_label: str = Field(alias="get_kind_display")
    reason: str
    status: str
    status_label: str = Field(alias="get_status_display")
    requested_at: datetime.datetime
    answered_at: datetime.datetime | None = None
    answer_reason: str
    ended_at: datetime.datetime | None = None
    end_note: str


class AssistanceIn(Schema):
    episode: uuid.UUID
    kind: str = Field(max_length=16)
    task: str = Field(max_length=200)
    staff: list[uuid.UUID] = Field(max_length=50)
    starts_at: datetime.datetime
    ends_at: datetime.datetime


class AssistanceOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    episode_number: str = Field(alias="episode.number")
    station: str = Field(alias="station.name")
    centre: str = Field(alias="centre.name")
    kind: str
    task: str
    staff: list[str]
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    status: str

    @staticmethod
    def resolve_staff(obj) -> list[str]:
        return [str(u) for u in obj.staff.all()]


class ParticipantIn(Schema):
    organisation: uuid.UUID
    duty: str = Field(max_length=200)
    contact: str = Field("", max_length=100)


class JointIn(Schema):
    episode: uuid.UUID
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    participants: list[ParticipantIn] = Field(max_length=30)


class DecisionIn(Schema):
    text: str = Field(max_length=500)
    responsible: uuid.UUID
    due_on: datetime.date | None = None


class MeetingIn(Schema):
    held_on: datetime.date
    place: str = Field("", max_length=100)
    attendees: str = Field(max_length=300)
    minutes: str = Field(max_length=5000)
    decisions: list[DecisionIn] = Field([], max_length=30)


class ConclusionIn(Schema):
    conclusion: str = Field(max_length=2000)


class ParticipantOut(Schema):
    organisation: str = Field(alias="organisation.name")
    duty: str
    contact: str


class MeetingOut(Schema):
    uuid: uuid.UUID
    held_on: datetime.date
    place: str
    attendees: str
    minutes: str


class DecisionOut(Schema):
    uuid: uuid.UUID
    text: str
    responsible: str = Field(alias="responsible.name")
    due_on: datetime.date | None = None
    done_at: datetime.datetime | None = None
    done_note: str


class JointOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    episode_number: str = Field(alias="episode.number")
    kind: str
    title: str
    convener: str = Field(alias="convener.name")
    status: str
    conclusion: str
    participants: list[ParticipantOut] = []
    meetings: list[MeetingOut] = []
    decisions: list[DecisionOut] = []

    @staticmethod
    def resolve_participants(obj):
        return list(obj.participants.select_related("organisation"))

    @staticmethod
    def resolve_meetings(obj):
        return list(obj.meetings.all())

    @staticmethod
    def resolve_decisions(obj):
        return list(obj.decisions.select_related("responsible"))


class BatchIn(Schema):
    route: str = Field(max_length=200)
    departs_on: datetime.date
    vehicle: str = Field(max_length=50)
    staff: list[uuid.UUID] = Field(max_length=50)
    note: str = Field("", max_length=2000)


class MemberIn(Schema):
    episode: uuid.UUID
    destination: str = Field(max_length=12, description="目的地区划代码（外省）")
    receiving: uuid.UUID | None = None


class HandOverIn(Schema):
    handed_over_to: str = Field(max_length=10)
    handover_org: uuid.UUID | None = None
    handover_person: str = Field(max_length=50)
    handover_at: datetime.datetime
    claimant_id_number: str = Field("", max_length=18)
    note: str = Field("", max_length=2000)


class MemberOut(Schema):
    uuid: uuid.UUID
    episode: uuid.UUID = Field(alias="episode.uuid")
    episode_number: str = Field(alias="episode.number")
    person: str = Field(alias="episode.person.name")
    station: str = Field(alias="episode.station.name")
    destination: str
    status: str
    departure: uuid.UUID | None = None

    @staticmethod
    def resolve_destination(obj) -> str:
        return str(obj.destination)

    @staticmethod
    def resolve_departure(obj):
        return obj.departure.uuid if obj.departure_id else None


class BatchOut(Schema):
    uuid: uuid.UUID
    centre: str = Field(alias="centre.name")
    route: str
    departs_on: datetime.date
    vehicle: str
    staff: list[str]
    status: str
    status_label: str = Field(alias="get_status_display")
    started_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None
    members: list[MemberOut] = []

    @staticmethod
    def resolve_staff(obj) -> list[str]:
        return [str(u) for u in obj.staff.all()]

    @staticmethod
    def resolve_members(obj, context):
        return list(selectors.batch_members(user=context["request"].user, batch=obj))


class StationFigures(Schema):
    station: str
    station_uuid: uuid.UUID
    in_care: int
    sightings: int
    escalations: int
    overdue: int


class DispatchOut(Schema):
    at: datetime.datetime
    stations: list[StationFigures]
    escorts_under_way: int
    planned_batches: int
    assistance_active: int


# -- 提级办理 -------------------------------------------------------------------------------------------------

@router.get("/escalations", response=list[EscalationOut], summary="提级办理列表（规则R2）")
def escalation_list(request, status: str = Query("", max_length=16), page: int = Query(1, ge=1, le=100000)):
    return _page(selectors.escalation_list(user=request.user, status=status), page)


@router.post("/escalations", response={201: EscalationOut}, summary="提请区域性中心提级办理")
def escalation_create(request, payload: EscalationIn):
    episode = _episode(request.user, payload.episode)
    if not access.may_escalate(request.user, episode.station):
        raise PermissionDenied("只有该救助过程所属机构可以提请提级办理。")
    esc = services.escalation_request(by=request.user, episode=episode, kind=payload.kind, reason=payload.reason)
    return Status(201, esc)


@router.get("/escalations/{esc_uuid}", response=EscalationOut, summary="提级办理详情")
def escalation_detail(request, esc_uuid: uuid.UUID):
    return selectors.escalation_get(user=request.user, uuid=esc_uuid)


@router.post("/escalations/{esc_uuid}/answer", response=EscalationOut, summary="区域性中心接办或不予接办")
def escalation_answer(request, esc_uuid: uuid.UUID, payload: AnswerIn):
    esc = selectors.escalation_get(user=request.user, uuid=esc_uuid)
    access.require_centre(request.user, esc.centre)
    if payload.decision == "accept":
        return services.escalation_accept(by=request.user, escalation=esc, reason=payload.reason)
    if payload.decision == "decline":
        return services.escalation_decline(by=request.user, escalation=esc, reason=payload.reason)
    raise ValidationError({"decision": "答复须为 accept（接办）或 decline（不予接办）。"})


@router.post("/escalations/{esc_uuid}/withdraw", response=EscalationOut, summary="救助站撤回提级申请")
def escalation_withdraw(request, esc_uuid: uuid.UUID, payload: NoteIn):
    esc = selectors.escalation_get(user=request.user, uuid=esc_uuid)
    if not access.may_escalate(request.user, esc.station):
        raise PermissionDenied("只有提请机构可以撤回。")
    return services.escalation_withdraw(by=request.user, escalation=esc, note=payload.note)


@router.post("/escalations/{esc_uuid}/return", response=EscalationOut, summary="区域性中心办结并交回救助站")
def escalation_return(request, esc_uuid: uuid.UUID, payload: NoteIn):
    esc = selectors.escalation_get(user=request.user, uuid=esc_uuid)
    access.require_centre(request.user, esc.centre)
    return services.escalation_return(by=request.user, escalation=esc, note=payload.note)


# -- 下沉协助 -------------------------------------------------------------------------------------------------

@router.get("/assistance", response=list[AssistanceOut], summary="下沉协助列表（规则R2）")
def assistance_list(request, page: int = Query(1, ge=1, le=100000)):
    return _page(selectors.assistance_list(user=request.user), page)


@router.post("/assistance", response={201: AssistanceOut}, summary="派出下沉协助人员")
def assistance_create(request, payload: AssistanceIn):
    centre = access.centre_of_user(request.user)
    access.require_centre(request.user, centre)
    episode = _episode(request.user, payload.episode)
    help_ = services.assistance_send(by=request.user, episode=episode, kind=payload.kind, task=payload.task,
                                     staff=_users(centre, payload.staff, "staff"), starts_at=payload.starts_at,
                                     ends_at=payload.ends_at)
    return Status(201, help_)


@router.get("/assistance/{help_uuid}", response=AssistanceOut, summary="下沉协助详情")
def assistance_detail(request, help_uuid: uuid.UUID):
    return selectors.assistance_get(user=request.user, uuid=help_uuid)


@router.post("/assistance/{help_uuid}/end", response=AssistanceOut, summary="提前结束下沉协助")
def assistance_end(request, help_uuid: uuid.UUID, payload: NoteIn):
    help_ = selectors.assistance_get(user=request.user, uuid=help_uuid)
    access.require_centre(request.user, help_.centre)
    return services.assistance_end(by=request.user, assistance=help_, note=payload.note)


# -- 协同会办 -------------------------------------------------------------------------------------------------

@router.get("/joint-cases", response=list[JointOut], summary="协同会办列表（规则R2）")
def joint_list(request, status: str = Query("", max_length=8), page: int = Query(1, ge=1, le=100000)):
    return _page(selectors.joint_list(user=request.user, status=status), page)


@router.post("/joint-cases", response={201: JointOut}, summary="发起协同会办")
def joint_create(request, payload: JointIn):
    episode = _episode(request.user, payload.episode)
    participants = [{"organisation": _org(request.user, p.organisation, "participants"), "duty": p.duty,
                     "contact": p.contact} for p in payload.participants]
    joint = services.joint_open(by=request.user, episode=episode, kind=payload.kind, title=payload.title,
                                participants=participants)
    return Status(201, joint)


@router.get("/joint-cases/{joint_uuid}", response=JointOut, summary="协同会办详情（参与机构、会议、决定）")
def joint_detail(request, joint_uuid: uuid.UUID):
    return selectors.joint_get(user=request.user, uuid=joint_uuid)


def _convened(request, joint_uuid):
    joint = selectors.joint_get(user=request.user, uuid=joint_uuid)
    if not can_write(request.user, joint.convener, *access.STATION_ROLES):
        raise PermissionDenied("只有牵头机构可以办理会办事项。")
    return joint


@router.post("/joint-cases/{joint_uuid}/participants", response={201: JointOut}, summary="增加参与机构")
def joint_participant(request, joint_uuid: uuid.UUID, payload: ParticipantIn):
    joint = _convened(request, joint_uuid)
    services.joint_participant_add(by=request.user, joint=joint,
                                   organisation=_org(request.user, payload.organisation, "organisation"),
                                   duty=payload.duty, contact=payload.contact)
    return Status(201, joint)


@router.post("/joint-cases/{joint_uuid}/meetings", response={201: JointOut}, summary="记录会办会议及决定")
def joint_meeting(request, joint_uuid: uuid.UUID, payload: MeetingIn):
    joint = _convened(request, joint_uuid)
    decisions = [{"text": d.text, "responsible": _org(request.user, d.responsible, "decisions"), "due_on": d.due_on}
                 for d in payload.decisions]
    services.joint_meeting_record(by=request.user, joint=joint, held_on=payload.held_on, place=payload.place,
                                  attendees=payload.attendees, minutes=payload.minutes, decisions=decisions)
    return Status(201, joint)


@router.post("/joint-cases/{joint_uuid}/close", response=JointOut, summary="协同会办结案")
def joint_close(request, joint_uuid: uuid.UUID, payload: ConclusionIn):
    joint = _convened(request, joint_uuid)
    return services.joint_close(by=request.user, joint=joint, conclusion=payload.conclusion)


@router.post("/decisions/{decision_uuid}/done", response=DecisionOut, summary="登记会办决定的落实情况")
def decision_done(request, decision_uuid: uuid.UUID, payload: NoteIn):
    decision = selectors.decision_get(user=request.user, uuid=decision_uuid)
    if not can_write(request.user, decision.responsible):
        raise PermissionDenied("只有责任机构可以登记落实情况。")
    return services.joint_decision_done(by=request.user, decision=decision, note=payload.note)


# -- 统一护送（E2）------------------------------------------------------------------------------------------

@router.get("/escort-batches", response=list[BatchOut], summary="统一护送批次（规则E2）")
def batch_list(request, status: str = Query("", max_length=10), page: int = Query(1, ge=1, le=100000)):
    return _page(selectors.batch_list(user=request.user, status=status).prefetch_related("staff"), page)


@router.post("/escort-batches", response={201: BatchOut}, summary="制定统一护送批次（区域性中心）")
def batch_create(request, payload: BatchIn):
    centre = access.centre_of_user(request.user)
    access.require_centre(request.user, centre)
    batch = services.batch_create(by=request.user, route=payload.route, departs_on=payload.departs_on,
                                  vehicle=payload.vehicle, staff=_users(centre, payload.staff, "staff"),
                                  note=payload.note)
    return Status(201, batch)


@router.get("/escort-batches/{batch_uuid}", response=BatchOut, summary="护送批次详情与人员名单")
def batch_detail(request, batch_uuid: uuid.UUID):
    return selectors.batch_get(user=request.user, uuid=batch_uuid)


def _centre_batch(request, batch_uuid):
    batch = selectors.batch_get(user=request.user, uuid=batch_uuid)
    access.require_centre(request.user, batch.centre)
    return batch


@router.post("/escort-batches/{batch_uuid}/members", response={201: MemberOut}, summary="编入护送人员")
def batch_member(request, batch_uuid: uuid.UUID, payload: MemberIn):
    batch = _centre_batch(request, batch_uuid)
    destination = Division.objects.filter(code=payload.destination).first()
    if destination is None:
        raise ValidationError({"destination": "目的地区划代码不存在。"})
    episode = _episode(request.user, payload.episode)
    member = services.batch_member_add(by=request.user, batch=batch, episode=episode, destination=destination,
                                       receiving=_org(request.user, payload.receiving, "receiving"))
    return Status(201, member)


@router.post("/escort-batches/{batch_uuid}/start", response=BatchOut, summary="护送批次出发")
def batch_start(request, batch_uuid: uuid.UUID):
    return services.batch_start(by=request.user, batch=_centre_batch(request, batch_uuid))


@router.post("/escort-batches/{batch_uuid}/cancel", response=BatchOut, summary="取消护送批次")
def batch_cancel(request, batch_uuid: uuid.UUID, payload: ReasonIn):
    return services.batch_cancel(by=request.user, batch=_centre_batch(request, batch_uuid), reason=payload.reason)


@router.post("/escort-members/{member_uuid}/hand-over", response=MemberOut,
             summary="逐人交接（登记返乡（护送）离站记录）")
def member_hand_over(request, member_uuid: uuid.UUID, payload: HandOverIn):
    member = selectors.member_get(user=request.user, uuid=member_uuid)
    access.require_centre(request.user, member.batch.centre)
    return services.member_hand_over(by=request.user, member=member, handed_over_to=payload.handed_over_to,
                                     handover_org=_org(request.user, payload.handover_org, "handover_org"),
                                     handover_person=payload.handover_person, handover_at=payload.handover_at,
                                     claimant_id_number=payload.claimant_id_number, note=payload.note)


@router.post("/escort-members/{member_uuid}/remove", response=MemberOut, summary="移出护送批次")
def member_remove(request, member_uuid: uuid.UUID, payload: ReasonIn):
    member = selectors.member_get(user=request.user, uuid=member_uuid)
    access.require_centre(request.user, member.batch.centre)
    return services.batch_member_remove(by=request.user, member=member, reason=payload.reason)


# -- 指挥调度（R3）------------------------------------------------------------------------------------------

@router.get("/dispatch", response=DispatchOut, summary="区域指挥调度数字（规则R3）")
def dispatch(request):
    centre = access.centre_of_user(request.user)
    if centre is None or not can_write(request.user, centre):
        raise PermissionDenied("该接口供区域性中心的工作人员使用。")
    figures = selectors.dispatch_figures(user=request.user)
    return {
        "at": figures["at"],
        "stations": [{"station": r["station"].name, "station_uuid": r["station"].uuid, "in_care": r["in_care"],
                      "sightings": r["sightings"], "escalations": r["escalations"], "overdue": r["overdue"]}
                     for r in figures["rows"]],
        "escorts_under_way": len(figures["under_way"]),
        "planned_batches": figures["planned_batches"],
        "assistance_active": figures["assistance_active"],
    }


