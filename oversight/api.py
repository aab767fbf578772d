"""API of the oversight app (/api/v1/oversight): the risk checklist, inspections and the hazard ledger (O3).

Same scope, permissions and services as the pages; photos travel as base64 JPEG/PNG/WebP.
"""

import base64
import binascii
import datetime
import uuid
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from core.paging import PAGE_SIZE
from oversight import access, selectors, services
from oversight.models import ChecklistItem

router = Router()


class ChecklistItemIn(Schema):
    category: str = Field(max_length=16)
    text: str = Field(max_length=200)
    guidance: str = Field("", max_length=300)
    order: int = Field(0, ge=0, le=999)
    is_active: bool = True


class ChecklistItemOut(Schema):
    uuid: uuid.UUID
    category: str
    category_label: str = Field(alias="get_category_display")
    text: str
    guidance: str
    order: int
    is_active: bool
    organisation: str = Field(alias="organisation.name")


class ResultIn(Schema):
    item: uuid.UUID
    outcome: str = Field(max_length=8)
    note: str = Field("", max_length=300)
    deadline: datetime.date | None = None
    photo_base64: str = Field("", max_length=12_000_000)


class InspectionIn(Schema):
    organisation: uuid.UUID
    inspected_at: datetime.datetime | None = None
    participants: str = Field("", max_length=200)
    note: str = Field("", max_length=500)
    results: list[ResultIn] = Field(max_length=500)


class ResultOut(Schema):
    uuid: uuid.UUID
    category: str
    text: str
    outcome: str
    note: str
    has_photo: bool
    hazard: uuid.UUID | None = None

    @staticmethod
    def resolve_has_photo(obj) -> bool:
        return bool(obj.photo)

    @staticmethod
    def resolve_hazard(obj):
        hazard = getattr(obj, "hazard", None)
        return hazard.uuid if hazard else None


class InspectionOut(Schema):
    uuid: uuid.UUID
    number: str
    organisation: str = Field(alias="organisation.name")
    inspector_org: str = Field(alias="inspector_org.name")
    inspected_at: datetime.datetime
    by: str
    participants: str
    note: str
    results: list[ResultOut] = []

    @staticmethod
    def resolve_by(obj) -> str:
        return str(obj.by)

    @staticmethod
    def resolve_results(obj):
        return list(obj.results.all())


class HazardIn(Schema):
    organisation: uuid.UUID
    category: str = Field(max_length=16)
    description: str = Field(max_length=500)
    found_on: datetime.date | None = None
    deadline: datetime.date | None = None
    measures: str = Field("", max_length=500)
    responsible: str = Field("", max_length=50)
    source: str = Field("", max_length=100)


class StepOut(Schema):
    status_from: str
    status_to: str
    at: datetime.datetime
    by: str
    note: str

    @staticmethod
    def resolve_by(obj) -> str:
        return str(obj.by)


class HazardOut(Schema):
    uuid: uuid.UUID
    number: str
    organisation: str = Field(alias="organisation.name")
    source: str
    category: str
    description: str
    measures: str
    responsible: str
    found_on: datetime.date
    deadline: datetime.date
    status: str
    status_label: str = Field(alias="get_status_display")
    overdue: bool = False
    rectification: str
    rectified_at: datetime.datetime | None
    accepted_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    steps: list[StepOut] = []

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return selectors.is_overdue(obj)

    @staticmethod
    def resolve_steps(obj):
        return list(obj.steps.select_related("by"))


class PlanIn(Schema):
    measures: str = Field(max_length=500)
    responsible: str = Field(max_length=50)


class SubmitIn(Schema):
    rectification: str = Field(max_length=500)


class NoteIn(Schema):
    note: str = Field("", max_length=300)


def _page(qs, page: int):
    page = max(1, min(page, 10_000))
    return list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])


# --- checklist ---------------------------------------------------------------------------------------------


@router.get("/checklist", response=list[ChecklistItemOut], summary="风险防控清单（规则O3）")
def checklist(request, category: str = Query("", max_length=16)):
    return list(selectors.checklist_list(user=request.user, category=category)[:1000])


@router.post("/checklist", response={201: ChecklistItemOut}, summary="新增清单项目（民政部门）")
def checklist_create(request, payload: ChecklistItemIn):
    if not access.may_edit_checklist(request.user) or request.user.organisation is None:
        raise PermissionDenied("风险防控清单由民政部门的监管员或管理员维护。")
    item = services.checklist_item_create(
        by=request.user,
        organisation=request.user.organisation,
        category=payload.category,
        text=payload.text,
        guidance=payload.guidance,
        order=payload.order,
    )
    return Status(201, item)


@router.post("/checklist/{item_uuid}", response=ChecklistItemOut, summary="修改或停用清单项目")
def checklist_update(request, item_uuid: uuid.UUID, payload: ChecklistItemIn):
    item = selectors.checklist_item_get(user=request.user, uuid=item_uuid)
    if not (
        access.may_edit_checklist(request.user)
        and (request.user.is_superuser or item.organisation_id == request.user.organisation_id)
    ):
        raise PermissionDenied("只有制定该清单的民政部门可以修改。")
    return services.checklist_item_update(
        by=request.user,
        item=item,
        category=payload.category,
        text=payload.text,
        guidance=payload.guidance,
        order=payload.order,
        is_active=payload.is_active,
    )


# --- inspections -------------------------------------------------------------------------------------------


def _photo(data: str, index: int):
    if not data:
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({f"results.{index}.photo_base64": "照片的 base64 编码有误。"}) from exc
    return SimpleUploadedFile("photo", raw)


@router.post(
    "/inspections", response={201: InspectionOut}, summary="记录风险检查，不合格项目自动录入隐患台账"
)
def inspection_create(request, payload: InspectionIn):
    org = selectors.organisation_get(user=request.user, uuid=payload.organisation)
    if not access.may_inspect(request.user, org):
        raise PermissionDenied("您不能检查该机构。")
    items = {i.uuid: i for i in ChecklistItem.objects.filter(uuid__in=[r.item for r in payload.results])}
    results = []
    for index, row in enumerate(payload.results):
        if row.item not in items:
            raise ValidationError({f"results.{index}.item": "未找到该清单项目。"})
        results.append(
            {
                "item": items[row.item],
                "outcome": row.outcome,
                "note": row.note,
                "deadline": row.deadline,
                "photo": _photo(row.photo_base64, index),
            }
        )
    inspection = services.inspection_create(
        by=request.user,
        organisation=org,
        results=results,
        inspected_at=payload.inspected_at,
        participants=payload.participants,
        note=payload.note,
    )
    return Status(201, inspection)


@router.get("/inspections", response=list[InspectionOut], summary="风险检查记录")
def inspection_list(request, page: int = 1):
    return _page(selectors.inspection_list(user=request.user).prefetch_related("results"), page)


@router.get("/inspections/{inspection_uuid}", response=InspectionOut, summary="风险检查详情")
def inspection_get(request, inspection_uuid: uuid.UUID):
    return selectors.inspection_get(user=request.user, uuid=inspection_uuid)


# --- hazards -----------------------------------------------------------------------------------------------


@router.get(
    "/hazards",
    response=list[HazardOut],
    summary="隐患台账（status: open/rectifying/pending/accepted/closed）",
)
def hazard_list(request, status: str = Query("open", max_length=16), overdue: bool = False,
                page: int = Query(1, ge=1, le=100_000)):
    return _page(selectors.hazard_list(user=request.user, status=status, overdue=overdue), page)


@router.post("/hazards", response={201: HazardOut}, summary="登记隐患（规则O3）")
def hazard_create(request, payload: HazardIn):
    org = selectors.organisation_get(user=request.user, uuid=payload.organisation)
    if not access.may_inspect(request.user, org):
        raise PermissionDenied("您不能在该机构登记隐患。")
    hazard = services.hazard_create(
        by=request.user,
        organisation=org,
        category=payload.category,
        description=payload.description,
        found_on=payload.found_on,
        deadline=payload.deadline,
        measures=payload.measures,
        responsible=payload.responsible,
        source=payload.source or "日常巡查",
    )
    return Status(201, hazard)


@router.get("/hazards/{hazard_uuid}", response=HazardOut, summary="隐患详情与整改过程")
def hazard_get(request, hazard_uuid: uuid.UUID):
    return selectors.hazard_get(user=request.user, uuid=hazard_uuid)


def _hazard_for(request, hazard_uuid, allowed):
    hazard = selectors.hazard_get(user=request.user, uuid=hazard_uuid)
    if not allowed(request.user, hazard.organisation):
        raise PermissionDenied("您不能办理该隐患的这一步。")
    return hazard


@router.post("/hazards/{hazard_uuid}/plan", response=HazardOut, summary="制定整改措施和责任人")
def hazard_plan(request, hazard_uuid: uuid.UUID, payload: PlanIn):
    hazard = _hazard_for(request, hazard_uuid, access.may_rectify)
    return services.hazard_plan(
        by=request.user, hazard=hazard, measures=payload.measures, responsible=payload.responsible
    )


@router.post("/hazards/{hazard_uuid}/submit", response=HazardOut, summary="整改完成，提交验收")
def hazard_submit(request, hazard_uuid: uuid.UUID, payload: SubmitIn):
    hazard = _hazard_for(request, hazard_uuid, access.may_rectify)
    return services.hazard_submit(by=request.user, hazard=hazard, rectification=payload.rectification)


@router.post("/hazards/{hazard_uuid}/accept", response=HazardOut, summary="验收通过（验收人不能是整改人）")
def hazard_accept(request, hazard_uuid: uuid.UUID, payload: NoteIn):
    hazard = _hazard_for(request, hazard_uuid, access.may_accept)
    return services.hazard_accept(by=request.user, hazard=hazard, note=payload.note)


@router.post("/hazards/{hazard_uuid}/reject", response=HazardOut, summary="验收不通过，退回整改")
def hazard_reject(request, hazard_uuid: uuid.UUID, payload: NoteIn):
    hazard = _hazard_for(request, hazard_uuid, access.may_accept)
    return services.hazard_reject(by=request.user, hazard=hazard, note=payload.note)


@router.post("/hazards/{hazard_uuid}/close", response=HazardOut, summary="销号（仅已验收的隐患）")
def hazard_close(request, hazard_uuid: uuid.UUID, payload: NoteIn):
    hazard = _hazard_for(request, hazard_uuid, access.may_accept)
    return services.hazard_close(by=request.user, hazard=hazard, note=payload.note)


# --- the supervision panel (rules O2, E3) ------------------------------------------------------------------


class MembershipIn(Schema):
    member: uuid.UUID
    panel_role: str = Field("member", max_length=16)
    employer: str = Field(max_length=100)
    employer_org: uuid.UUID | None = None
    profession: str = Field("", max_length=50)
    is_care_professional: bool = False
    term_start: datetime.date | None = None


class MembershipOut(Schema):
    uuid: uuid.UUID
    member: str
    member_uuid: uuid.UUID = Field(alias="member.uuid")
    panel_role: str
    profession: str
    is_care_professional: bool
    employer: str
    term_start: datetime.date
    term_end: datetime.date
    ended_on: datetime.date | None
    ended_reason: str

    @staticmethod
    def resolve_member(obj) -> str:
        return str(obj.member)


class PanelOut(Schema):
    station: uuid.UUID
    station_name: str
    current: list[MembershipOut]
    issues: list[str]


class EndIn(Schema):
    reason: str = Field(max_length=200)


class MeetingIn(Schema):
    held_at: datetime.datetime
    topic: str = Field(max_length=200)
    minutes: str = Field(max_length=4000)
    attendees: list[uuid.UUID] = Field(max_length=10)


class MeetingOut(Schema):
    uuid: uuid.UUID
    station: str = Field(alias="station.name")
    held_at: datetime.datetime
    topic: str
    minutes: str
    attendees: list[str] = []

    @staticmethod
    def resolve_attendees(obj) -> list[str]:
        return [str(a.member) for a in obj.attendees.select_related("member")]


class OpinionIn(Schema):
    text: str = Field(max_length=1000)
    meeting: uuid.UUID | None = None


class OpinionOut(Schema):
    uuid: uuid.UUID
    number: str
    station: str = Field(alias="station.name")
    raised_at: datetime.datetime
    text: str
    status: str
    status_label: str = Field(alias="get_status_display")
    measures: str
    measures_due: datetime.date | None
    answered_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    panel_note: str


class AnswerIn(Schema):
    measures: str = Field(max_length=1000)
    measures_due: datetime.date


class DecideIn(Schema):
    accept: bool
    note: str = Field("", max_length=500)


def _panel_out(station) -> dict:
    return {
        "station": station.uuid,
        "station_name": station.name,
        "current": list(services.current_members(station)),
        "issues": services.panel_issues(station),
    }


@router.get("/panels", response=list[PanelOut], summary="各救助机构的监督组（规则O2）")
def panel_list(request):
    return [_panel_out(s) for s in selectors.panel_stations(request.user)[:200]]


@router.get("/panels/{station_uuid}", response=PanelOut, summary="一个救助机构的监督组：任期内成员与组成问题")
def panel_get(request, station_uuid: uuid.UUID):
    return _panel_out(selectors.panel_station_get(user=request.user, uuid=station_uuid))


@router.post(
    "/panels/{station_uuid}/members", response={201: MembershipOut}, summary="聘任监督员（民政部门）"
)
def member_add(request, station_uuid: uuid.UUID, payload: MembershipIn):
    from core.models import Organisation, User

    station = selectors.panel_station_get(user=request.user, uuid=station_uuid)
    if not access.may_manage_panel(request.user, station):
        raise PermissionDenied("监督组成员由该救助机构的主管民政部门聘任。")
    member = User.objects.filter(uuid=payload.member).select_related("organisation").first()
    employer_org = (
        Organisation.objects.filter(uuid=payload.employer_org).first() if payload.employer_org else None
    )
    if member is None:
        raise ValidationError({"member": "未找到该用户。"})
    return Status(
        201,
        services.panel_member_add(
            by=request.user,
            station=station,
            member=member,
            panel_role=payload.panel_role,
            employer=payload.employer,
            employer_org=employer_org,
            profession=payload.profession,
            is_care_professional=payload.is_care_professional,
            term_start=payload.term_start,
        ),
    )


def _membership_for_manager(request, membership_uuid):
    membership = selectors.membership_get(user=request.user, uuid=membership_uuid)
    if not access.may_manage_panel(request.user, membership.station):
        raise PermissionDenied("监督组成员由该救助机构的主管民政部门聘任。")
    return membership


@router.post("/members/{membership_uuid}/end", response=MembershipOut, summary="监督员离任")
def member_end(request, membership_uuid: uuid.UUID, payload: EndIn):
    membership = _membership_for_manager(request, membership_uuid)
    return services.panel_member_end(by=request.user, membership=membership, reason=payload.reason)


@router.post("/members/{membership_uuid}/renew", response=MembershipOut, summary="监督员续聘一年")
def member_renew(request, membership_uuid: uuid.UUID):
    membership = _membership_for_manager(request, membership_uuid)
    return services.panel_member_renew(by=request.user, membership=membership)


@router.post(
    "/panels/{station_uuid}/meetings", response={201: MeetingOut}, summary="记录监督组会议（监督组成员）"
)
def meeting_create(request, station_uuid: uuid.UUID, payload: MeetingIn):
    station = selectors.panel_station_get(user=request.user, uuid=station_uuid)
    if not access.may_speak_for_panel(request.user, station):
        raise PermissionDenied("会议由监督组成员记录。")
    held_at = services.not_future(payload.held_at, "held_at", "会议时间")
    found = {m.uuid: m for m in services.current_members(station, timezone.localtime(held_at).date())}
    attendees = [found[a] for a in payload.attendees if a in found]
    if len(attendees) != len(payload.attendees):
        raise ValidationError({"attendees": "出席成员须为会议当日任期内的本站监督组成员。"})
    return Status(
        201,
        services.meeting_create(
            by=request.user,
            station=station,
            held_at=payload.held_at,
            topic=payload.topic,
            minutes=payload.minutes,
            attendees=attendees,
        ),
    )


@router.get("/meetings/{meeting_uuid}", response=MeetingOut, summary="监督组会议")
def meeting_get(request, meeting_uuid: uuid.UUID):
    return selectors.meeting_get(user=request.user, uuid=meeting_uuid)


@router.get("/opinions", response=list[OpinionOut], summary="监督组意见台账")
def opinion_list(request, status: str = Query("", max_length=16), page: int = Query(1, ge=1, le=100_000)):
    return _page(selectors.opinion_list(user=request.user, status=status), page)


@router.post("/panels/{station_uuid}/opinions", response={201: OpinionOut}, summary="监督组提出意见")
def opinion_create(request, station_uuid: uuid.UUID, payload: OpinionIn):
    station = selectors.panel_station_get(user=request.user, uuid=station_uuid)
    if not access.may_speak_for_panel(request.user, station):
        raise PermissionDenied("意见由监督组成员提出。")
    meeting = selectors.meeting_get(user=request.user, uuid=payload.meeting) if payload.meeting else None
    return Status(
        201, services.opinion_create(by=request.user, station=station, text=payload.text, meeting=meeting)
    )


@router.get("/opinions/{opinion_uuid}", response=OpinionOut, summary="监督组意见与答复")
def opinion_get(request, opinion_uuid: uuid.UUID):
    return selectors.opinion_get(user=request.user, uuid=opinion_uuid)


@router.post(
    "/opinions/{opinion_uuid}/answer", response=OpinionOut, summary="救助机构答复（整改措施和完成日期）"
)
def opinion_answer(request, opinion_uuid: uuid.UUID, payload: AnswerIn):
    opinion = selectors.opinion_get(user=request.user, uuid=opinion_uuid)
    if not access.may_answer_panel(request.user, opinion.station):
        raise PermissionDenied("监督组意见由救助机构站长答复。")
    return services.opinion_answer(
        by=request.user, opinion=opinion, measures=payload.measures, measures_due=payload.measures_due
    )


@router.post("/opinions/{opinion_uuid}/decide", response=OpinionOut, summary="监督组认可或退回答复")
def opinion_decide(request, opinion_uuid: uuid.UUID, payload: DecideIn):
    opinion = selectors.opinion_get(user=request.user, uuid=opinion_uuid)
    if not access.may_speak_for_panel(request.user, opinion.station):
        raise PermissionDenied("答复由监督组成员确认。")
    return services.opinion_decide(by=request.user, opinion=opinion, accept=payload.accept, note=payload.note)


# --- the leader contact system (rule O1) ----------------------------------------------------------------------


class AssignmentIn(Schema):
    leader: uuid.UUID
    leader_role: str = Field(max_length=16)
    institution: uuid.UUID


class FollowUpOut(Schema):
    uuid: uuid.UUID
    text: str
    due_on: datetime.date
    closed_at: datetime.datetime | None
    closing_note: str


class ContactOut(Schema):
    uuid: uuid.UUID
    contacted_at: datetime.datetime
    method: str
    problems: str
    follow_up: str
    items: list[FollowUpOut] = []

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())


class AssignmentOut(Schema):
    uuid: uuid.UUID
    leader: str
    leader_role: str
    department: str = Field(alias="department.name")
    institution: str = Field(alias="institution.name")
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    status: str = ""
    contacts: list[ContactOut] = []

    @staticmethod
    def resolve_leader(obj) -> str:
        return str(obj.leader)

    @staticmethod
    def resolve_contacts(obj):
        return list(obj.contacts.prefetch_related("items")[:50])


class FollowUpIn(Schema):
    text: str = Field(max_length=300)
    due_on: datetime.date


class ContactIn(Schema):
    contacted_at: datetime.datetime
    method: str = Field(max_length=16)
    problems: str = Field("", max_length=1000)
    follow_up: str = Field("", max_length=1000)
    items: list[FollowUpIn] = Field([], max_length=20)


class CloseNoteIn(Schema):
    note: str = Field(max_length=300)


def _with_status(assignments):
    status = selectors.leader_status(assignments)
    for a in assignments:
        a.status = (status.get(a.pk) or {}).get("bucket", "")
    return assignments


@router.get("/leaders", response=list[AssignmentOut], summary="领导定点联系（规则O1）：本期情况与联系记录")
def leader_list(request):
    return _with_status(list(selectors.leader_assignments(user=request.user)[:500]))


@router.post("/leaders", response={201: AssignmentOut}, summary="安排领导定点联系（民政部门）")
def leader_assign(request, payload: AssignmentIn):
    from core.models import Organisation, User

    if not access.may_assign_leaders(request.user, request.user.organisation):
        raise PermissionDenied("领导定点联系由民政部门的监管员或管理员安排。")
    leader = User.objects.filter(uuid=payload.leader, organisation=request.user.organisation).first()
    institution = Organisation.objects.filter(uuid=payload.institution).first()
    if leader is None:
        raise ValidationError({"leader": "未找到本部门的该用户。"})
    if institution is None:
        raise ValidationError({"institution": "未找到该机构。"})
    assignment = services.leader_assign(
        by=request.user, leader=leader, leader_role=payload.leader_role, institution=institution
    )
    return Status(201, _with_status([assignment])[0])


@router.get("/leaders/{assignment_uuid}", response=AssignmentOut, summary="一个定点联系")
def leader_get(request, assignment_uuid: uuid.UUID):
    return _with_status([selectors.assignment_get(user=request.user, uuid=assignment_uuid)])[0]


@router.post("/leaders/{assignment_uuid}/contacts", response={201: ContactOut}, summary="记录领导联系")
def contact_create(request, assignment_uuid: uuid.UUID, payload: ContactIn):
    assignment = selectors.assignment_get(user=request.user, uuid=assignment_uuid)
    if not access.may_record_contact(request.user, assignment):
        raise PermissionDenied("联系记录由联系领导本人或民政部门监管员填写。")
    return Status(
        201,
        services.contact_record(
            by=request.user,
            assignment=assignment,
            contacted_at=payload.contacted_at,
            method=payload.method,
            problems=payload.problems,
            follow_up=payload.follow_up,
            items=[i.dict() for i in payload.items],
        ),
    )


@router.post("/followups/{item_uuid}/close", response=FollowUpOut, summary="跟进事项办结")
def followup_close(request, item_uuid: uuid.UUID, payload: CloseNoteIn):
    item = selectors.followup_get(user=request.user, uuid=item_uuid)
    if not access.may_close_followup(request.user, item):
        raise PermissionDenied("跟进事项由联系领导、民政部门或联系机构站长办结。")
    return services.followup_close(by=request.user, item=item, note=payload.note)


# --- assessment (rule O5) ----------------------------------------------------------------------------------------

ScoreValue = Annotated[Decimal, Field(ge=0, le=Decimal("9999.99"), max_digits=6, decimal_places=2)]


class IndicatorSetIn(Schema):
    year: int = Field(ge=2000, le=2100)
    title: str = Field(max_length=100)


class IndicatorIn(Schema):
    category: str = Field(max_length=50)
    text: str = Field(max_length=200)
    guidance: str = Field("", max_length=500)
    max_score: ScoreValue
    weight: ScoreValue = Decimal(1)
    threshold: ScoreValue | None = None
    order: int = Field(0, ge=0, le=999)


class IndicatorOut(Schema):
    uuid: uuid.UUID
    category: str
    text: str
    guidance: str
    max_score: Decimal
    weight: Decimal
    threshold: Decimal
    order: int


class IndicatorSetOut(Schema):
    uuid: uuid.UUID
    year: int
    title: str
    department: str = Field(alias="department.name")
    frozen: bool = False
    indicators: list[IndicatorOut] = []

    @staticmethod
    def resolve_frozen(obj) -> bool:
        return services.indicator_set_frozen(obj)

    @staticmethod
    def resolve_indicators(obj):
        return list(obj.indicators.all())


class AssessmentIn(Schema):
    station: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    evaluator_org: uuid.UUID | None = None
    self_due_on: datetime.date | None = None


class ScoreIn(Schema):
    indicator: uuid.UUID
    score: ScoreValue | None = None
    remark: str = Field("", max_length=300)


class ScoresIn(Schema):
    scores: list[ScoreIn] = Field(max_length=500)
    summary: str = Field("", max_length=1000)
    submit: bool = False


class ReturnIn(Schema):
    reason: str = Field(max_length=300)


class ConcludeIn(Schema):
    conclusion: str = Field(max_length=1000)
    grade: str = Field("", max_length=16)
    deadline: datetime.date | None = None


class ScoreOut(Schema):
    indicator: uuid.UUID = Field(alias="indicator.uuid")
    category: str = Field(alias="indicator.category")
    text: str = Field(alias="indicator.text")
    max_score: Decimal = Field(alias="indicator.max_score")
    weight: Decimal = Field(alias="indicator.weight")
    threshold: Decimal = Field(alias="indicator.threshold")
    self_score: Decimal | None
    self_remark: str
    eval_score: Decimal | None
    eval_remark: str
    difference: Decimal | None = None
    shortfall: bool = False
    hazard: uuid.UUID | None = None

    @staticmethod
    def resolve_hazard(obj):
        return obj.hazard.uuid if obj.hazard_id else None


class SideTotalOut(Schema):
    raw: Decimal
    weighted: Decimal
    scored: int
    complete: bool


class TotalsOut(Schema):
    full: Decimal
    weight: Decimal
    count: int
    self: SideTotalOut
    eval: SideTotalOut
    difference: Decimal | None
    shortfalls: int


class AssessmentOut(Schema):
    uuid: uuid.UUID
    number: str
    station: str = Field(alias="station.name")
    station_uuid: uuid.UUID = Field(alias="station.uuid")
    year: int
    indicator_set: uuid.UUID = Field(alias="indicator_set.uuid")
    evaluator_org: str = Field(alias="evaluator_org.name")
    status: str
    status_label: str = Field(alias="get_status_display")
    self_due_on: datetime.date
    self_submitted_at: datetime.datetime | None
    evaluated_at: datetime.datetime | None
    concluded_at: datetime.datetime | None
    grade: str
    conclusion: str


class AssessmentDetailOut(AssessmentOut):
    self_summary: str
    evaluation_summary: str
    return_reason: str
    scores: list[ScoreOut] = []
    totals: TotalsOut | None = None

    @staticmethod
    def resolve_scores(obj):
        return selectors.assessment_rows(obj)

    @staticmethod
    def resolve_totals(obj):
        return services.assessment_totals(obj)


@router.get("/indicator-sets", response=list[IndicatorSetOut], summary="年度考核评价指标（规则O5）")
def indicator_set_list(request, year: int = Query(None, ge=2000, le=2100)):
    return list(selectors.indicator_sets(user=request.user, year=year)[:100])


@router.post("/indicator-sets", response={201: IndicatorSetOut}, summary="制定年度考核指标（民政部门）")
def indicator_set_create(request, payload: IndicatorSetIn):
    if not access.may_edit_checklist(request.user) or request.user.organisation is None:
        raise PermissionDenied("考核指标由民政部门的监管员或管理员制定。")
    indicator_set = services.indicator_set_create(
        by=request.user, department=request.user.organisation, year=payload.year, title=payload.title
    )
    return Status(201, indicator_set)


@router.get("/indicator-sets/{set_uuid}", response=IndicatorSetOut, summary="一个年度的考核指标")
def indicator_set_get(request, set_uuid: uuid.UUID):
    return selectors.indicator_set_get(user=request.user, uuid=set_uuid)


@router.post(
    "/indicator-sets/{set_uuid}/indicators", response={201: IndicatorOut}, summary="添加考核指标（未被考核使用时）"
)
def indicator_create(request, set_uuid: uuid.UUID, payload: IndicatorIn):
    indicator_set = selectors.indicator_set_get(user=request.user, uuid=set_uuid)
    if not access.may_edit_indicators(request.user, indicator_set):
        raise PermissionDenied("考核指标只能由制定它的民政部门修改。")
    return Status(201, services.indicator_create(by=request.user, indicator_set=indicator_set, **payload.dict()))


def _indicator_for_edit(request, indicator_uuid):
    indicator = selectors.indicator_get(user=request.user, uuid=indicator_uuid)
    if not access.may_edit_indicators(request.user, indicator.indicator_set):
        raise PermissionDenied("考核指标只能由制定它的民政部门修改。")
    return indicator


@router.post("/indicators/{indicator_uuid}", response=IndicatorOut, summary="修改考核指标（未被考核使用时）")
def indicator_update(request, indicator_uuid: uuid.UUID, payload: IndicatorIn):
    indicator = _indicator_for_edit(request, indicator_uuid)
    return services.indicator_update(by=request.user, indicator=indicator, **payload.dict())


@router.post("/indicators/{indicator_uuid}/delete", response={204: None}, summary="删除考核指标（未被考核使用时）")
def indicator_delete(request, indicator_uuid: uuid.UUID):
    indicator = _indicator_for_edit(request, indicator_uuid)
    services.indicator_delete(by=request.user, indicator=indicator)
    return Status(204, None)


@router.get("/assessments", response=list[AssessmentOut], summary="考核评价（规则O5）")
def assessment_list(
    request,
    year: int = Query(None, ge=2000, le=2100),
    status: str = Query("", max_length=16),
    page: int = Query(1, ge=1, le=100_000),
):
    return _page(selectors.assessment_list(user=request.user, year=year, status=status), page)


@router.post("/assessments", response={201: AssessmentDetailOut}, summary="发起年度考核（每个机构每年一次）")
def assessment_open(request, payload: AssessmentIn):
    from core.models import Organisation
    from core.scoping import get_scoped_or_404

    station = get_scoped_or_404(Organisation.objects.all(), request.user, uuid=payload.station)
    if not access.may_open_assessment(request.user, station):
        raise PermissionDenied("考核由被考核机构的主管民政部门发起。")
    evaluator = None
    if payload.evaluator_org is not None:
        evaluator = get_scoped_or_404(Organisation.objects.all(), request.user, uuid=payload.evaluator_org)
    assessment = services.assessment_open(
        by=request.user,
        station=station,
        year=payload.year,
        evaluator_org=evaluator,
        self_due_on=payload.self_due_on,
    )
    return Status(201, assessment)


@router.get("/assessments/{assessment_uuid}", response=AssessmentDetailOut, summary="自评与第三方评估对照")
def assessment_get(request, assessment_uuid: uuid.UUID):
    return selectors.assessment_get(user=request.user, uuid=assessment_uuid)


def _scores(assessment, payload: ScoresIn) -> dict:
    by_uuid = {row.indicator.uuid: row.indicator.pk for row in assessment.scores.select_related("indicator")}
    scores = {}
    for index, row in enumerate(payload.scores):
        if row.indicator not in by_uuid:
            raise ValidationError({f"scores.{index}.indicator": "该指标不属于本次考核。"})
        scores[by_uuid[row.indicator]] = {"score": row.score, "remark": row.remark}
    return scores


@router.post("/assessments/{assessment_uuid}/self", response=AssessmentDetailOut, summary="保存或提交自评（站长提交）")
def assessment_self(request, assessment_uuid: uuid.UUID, payload: ScoresIn):
    assessment = selectors.assessment_get(user=request.user, uuid=assessment_uuid)
    if not access.may_self_assess(request.user, assessment, submit=payload.submit):
        raise PermissionDenied("自评由被考核机构填写，站长提交。")
    return services.self_assessment_save(
        by=request.user,
        assessment=assessment,
        scores=_scores(assessment, payload),
        summary=payload.summary,
        submit=payload.submit,
    )


@router.post(
    "/assessments/{assessment_uuid}/evaluation", response=AssessmentDetailOut, summary="保存或提交第三方评估"
)
def assessment_evaluation(request, assessment_uuid: uuid.UUID, payload: ScoresIn):
    assessment = selectors.assessment_get(user=request.user, uuid=assessment_uuid)
    if not access.may_evaluate(request.user, assessment):
        raise PermissionDenied("第三方评估由评估机构或主管民政部门录入。")
    return services.evaluation_save(
        by=request.user,
        assessment=assessment,
        scores=_scores(assessment, payload),
        summary=payload.summary,
        submit=payload.submit,
    )


@router.post("/assessments/{assessment_uuid}/return", response=AssessmentDetailOut, summary="退回自评")
def assessment_return(request, assessment_uuid: uuid.UUID, payload: ReturnIn):
    assessment = selectors.assessment_get(user=request.user, uuid=assessment_uuid)
    if not access.may_evaluate(request.user, assessment):
        raise PermissionDenied("只有评估机构或主管民政部门可以退回自评。")
    return services.self_assessment_return(by=request.user, assessment=assessment, reason=payload.reason)


@router.post(
    "/assessments/{assessment_uuid}/conclude",
    response=AssessmentDetailOut,
    summary="办结考核：未达标指标录入隐患台账",
)
def assessment_conclude(request, assessment_uuid: uuid.UUID, payload: ConcludeIn):
    assessment = selectors.assessment_get(user=request.user, uuid=assessment_uuid)
    if not access.may_conclude(request.user, assessment):
        raise PermissionDenied("考核由组织考核的民政部门办结。")
    return services.assessment_conclude(
        by=request.user,
        assessment=assessment,
        conclusion=payload.conclusion,
        grade=payload.grade,
        deadline=payload.deadline,
    )
