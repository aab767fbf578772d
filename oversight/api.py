"""API of the oversight app (/api/v1/oversight): the risk checklist, inspections and the hazard ledger (O3).

Same scope, permissions and services as the pages; photos travel as base64 JPEG/PNG/WebP.
"""

import base64
import binascii
import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from ninja import Field, Router, Schema, Status

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
def checklist(request, category: str = ""):
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
def hazard_list(request, status: str = "open", overdue: bool = False, page: int = 1):
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
