"""API of the staff app (/api/v1/staff), rule O6: the register, training sessions, tests, the figures."""

import datetime
import decimal
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from core.audit import audit
from core.models import AuditAction
from core.paging import PAGE_SIZE
from core.scoping import get_scoped_or_404
from staff import access, selectors, services
from staff.models import StaffMember

router = Router()


class StaffIn(Schema):
    organisation: uuid.UUID
    name: str = Field(max_length=50)
    post: str = Field(max_length=50)
    qualifications: str = Field("", max_length=200)
    social_worker_cert: str = Field("", max_length=20)
    cert_number: str = Field("", max_length=50)
    hired_on: datetime.date


class StaffOut(Schema):
    uuid: uuid.UUID
    organisation: str = Field(alias="organisation.name")
    name: str
    post: str
    qualifications: str
    social_worker_cert: str
    cert_number: str
    hired_on: datetime.date
    left_on: datetime.date | None


class TrainingIn(Schema):
    organisation: uuid.UUID
    topic: str = Field(max_length=200)
    held_at: datetime.datetime
    hours: decimal.Decimal = Field(ge=0, le=200, max_digits=5, decimal_places=1)
    days: decimal.Decimal = Field(0, ge=0, le=60, max_digits=4, decimal_places=1)
    kind: str = Field(max_length=16)
    trainer: str = Field("", max_length=100)
    attendees: list[uuid.UUID] = Field(max_length=500)


class TrainingOut(Schema):
    uuid: uuid.UUID
    organisation: str = Field(alias="organisation.name")
    topic: str
    held_at: datetime.datetime
    hours: decimal.Decimal
    days: decimal.Decimal
    kind: str
    trainer: str
    attendees: list[str] = []

    @staticmethod
    def resolve_attendees(obj) -> list[str]:
        return [a.name for a in obj.attendees.all()]


class ExamIn(Schema):
    subject: str = Field(max_length=100)
    taken_on: datetime.date
    score: decimal.Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=1)


class ExamOut(Schema):
    uuid: uuid.UUID
    staff: str = Field(alias="staff.name")
    subject: str
    taken_on: datetime.date
    score: decimal.Decimal
    passed: bool


class FiguresOut(Schema):
    organisation: str
    staff: int
    off_job_2_days: int
    tested: int
    certified: int
    sessions: int


def _managed(request, org_uuid):
    org = get_scoped_or_404(selectors.staff_organisations(request.user), request.user, uuid=org_uuid)
    if not access.may_manage(request.user, org):
        raise PermissionDenied("工作人员和培训记录由本机构站长或管理员维护。")
    return org


def _page(qs, page: int):
    page = max(1, min(page, 10_000))
    return list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])


@router.get("/", response=list[StaffOut], summary="工作人员名册（规则O6）")
def staff_list(request, page: int = 1):
    rows = _page(selectors.staff_list(user=request.user), page)
    audit(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="staff.list",
        object_id="api",
        summary=f"接口查询工作人员名册（{len(rows)} 人）",
        organisation=request.user.organisation,
    )
    return rows


@router.post("/", response={201: StaffOut}, summary="登记工作人员")
def staff_create(request, payload: StaffIn):
    org = _managed(request, payload.organisation)
    data = payload.dict(exclude={"organisation"})
    return Status(201, services.staff_create(by=request.user, organisation=org, data=data))


@router.get("/training", response=list[TrainingOut], summary="培训台账")
def training_list(request, page: int = 1):
    return _page(selectors.training_list(user=request.user).prefetch_related("attendees"), page)


@router.post("/training", response={201: TrainingOut}, summary="记录培训（规则O6）")
def training_create(request, payload: TrainingIn):
    org = _managed(request, payload.organisation)
    attendees = list(StaffMember.objects.filter(organisation=org, uuid__in=payload.attendees))
    if len(attendees) != len(set(payload.attendees)):
        raise ValidationError({"attendees": "参训人员须为本机构工作人员。"})
    return Status(
        201,
        services.training_create(
            by=request.user,
            organisation=org,
            topic=payload.topic,
            held_at=payload.held_at,
            hours=payload.hours,
            days=payload.days,
            kind=payload.kind,
            trainer=payload.trainer,
            attendees=attendees,
        ),
    )


@router.get("/training/{training_uuid}", response=TrainingOut, summary="培训详情")
def training_get(request, training_uuid: uuid.UUID):
    return selectors.training_get(user=request.user, uuid=training_uuid)


@router.get("/figures", response=list[FiguresOut], summary="汇总表工作人员数据（本年度至今）")
def figures(request):
    today = timezone.localdate()
    rows = services.campaign_figures(
        selectors.staff_organisations(request.user)[:200], today.replace(month=1, day=1), today
    )
    return [{**r, "organisation": r["organisation"].name} for r in rows]


@router.get("/{staff_uuid}", response=StaffOut, summary="工作人员")
def staff_get(request, staff_uuid: uuid.UUID):
    return selectors.staff_get(user=request.user, uuid=staff_uuid)


@router.post("/{staff_uuid}/exams", response={201: ExamOut}, summary="登记业务考试成绩")
def exam_create(request, staff_uuid: uuid.UUID, payload: ExamIn):
    member = selectors.staff_get(user=request.user, uuid=staff_uuid)
    if not access.may_manage(request.user, member.organisation):
        raise PermissionDenied("工作人员和培训记录由本机构站长或管理员维护。")
    return Status(
        201,
        services.exam_record(
            by=request.user,
            staff=member,
            subject=payload.subject,
            taken_on=payload.taken_on,
            score=payload.score,
        ),
    )
