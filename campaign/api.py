"""API of the campaign app (/api/v1/campaign), rule O4: campaign periods, the summary table for a date,
declarations with their source document, submissions. Same scope and services as the pages."""

import base64
import binascii
import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from campaign import selectors, services
from campaign.models import DECLARATION_TEXT
from core.fields import NOTE
from core.models import Division

router = Router()


class ReportingDateIn(Schema):
    due_on: datetime.date
    label: str = Field("", max_length=50)


class CampaignIn(Schema):
    name: str = Field(max_length=100)
    starts_on: datetime.date
    ends_on: datetime.date
    document_ref: str = Field("", max_length=100)
    note: str = Field("", max_length=NOTE)
    reporting_dates: list[ReportingDateIn] = Field(max_length=services.MAX_REPORTING_DATES)


class ReportingDateOut(Schema):
    uuid: uuid.UUID
    due_on: datetime.date
    label: str


class CampaignOut(Schema):
    uuid: uuid.UUID
    name: str
    department: str = Field(alias="department.name")
    starts_on: datetime.date
    ends_on: datetime.date
    document_ref: str
    note: str
    reporting_dates: list[ReportingDateOut]

    @staticmethod
    def resolve_reporting_dates(obj) -> list:
        return list(obj.dates.all())


class RowOut(Schema):
    number: int | None = None
    code: str | None = None
    name: str
    is_city: bool = False
    cells: list[int | str]


class ColumnOut(Schema):
    key: str
    label: str
    source: str


class TableOut(Schema):
    campaign: dict[str, str]
    as_of: datetime.date
    period: dict[str, datetime.date]
    columns: list[ColumnOut]
    unavailable: list[str]
    rows: list[RowOut]
    total: RowOut


class DeclarationIn(Schema):
    division: str = Field(max_length=12, description="县（市、区）区划代码；市本级为市的区划代码")
    declared_on: datetime.date
    leadership_mechanism: bool = False
    meetings_held: int = Field(0, ge=0, le=999)
    leadership_note: str = Field("", max_length=DECLARATION_TEXT)
    leaders_guidance: str = Field("", max_length=DECLARATION_TEXT)
    patrol_duties: bool = False
    pay_policy: bool = False
    pay_policy_note: str = Field("", max_length=DECLARATION_TEXT)
    document_name: str = Field("依据文件", max_length=200)
    document_base64: str = Field(max_length=14_000_000, description="依据文件（图片或 PDF）的 base64 编码")


class DeclarationOut(Schema):
    uuid: uuid.UUID
    division: str = Field(alias="division.code")
    division_name: str = Field(alias="division.name")
    organisation: str = Field(alias="organisation.name")
    declared_on: datetime.date
    leadership_mechanism: bool
    meetings_held: int
    leadership_note: str
    leaders_guidance: str
    patrol_duties: bool
    pay_policy: bool
    pay_policy_note: str
    document_name: str


class SubmissionIn(Schema):
    reporting_date: uuid.UUID
    as_of: datetime.date | None = None


class SubmissionOut(Schema):
    uuid: uuid.UUID
    organisation: str = Field(alias="organisation.name")
    reporting_date: str
    as_of: datetime.date
    submitted_at: datetime.datetime
    table: TableOut

    @staticmethod
    def resolve_reporting_date(obj) -> str:
        return str(obj.reporting_date)


class AsOf(Schema):
    as_of: datetime.date | None = None


@router.get("/campaigns", response=list[CampaignOut], summary="专项行动")
def campaign_list(request):
    return list(selectors.campaign_list(user=request.user).prefetch_related("dates")[:200])


@router.post("/campaigns", response={201: CampaignOut}, summary="设置专项行动（期限与汇总表报送日期）")
def campaign_create(request, payload: CampaignIn):
    data = payload.dict()
    dates = [(d["due_on"], d["label"]) for d in data.pop("reporting_dates")]
    return Status(201, services.campaign_create(by=request.user, department=request.user.organisation, data=data,
                                                reporting_dates=dates))


@router.get("/campaigns/{campaign_uuid}", response=CampaignOut, summary="专项行动详情")
def campaign_get(request, campaign_uuid: uuid.UUID):
    return selectors.campaign_get(user=request.user, uuid=campaign_uuid)


@router.get("/campaigns/{campaign_uuid}/table", response=TableOut, summary="情况汇总表（任一截止日期）")
def campaign_table(request, campaign_uuid: uuid.UUID, query: Query[AsOf]):
    campaign = selectors.campaign_get(user=request.user, uuid=campaign_uuid)
    as_of = query.as_of or min(timezone.localdate(), campaign.ends_on)
    if not 1900 <= as_of.year <= 2999:
        raise ValidationError({"as_of": "数据截止日期不正确。"})
    return selectors.table(user=request.user, campaign=campaign, as_of=as_of)


@router.get("/campaigns/{campaign_uuid}/declarations", response=list[DeclarationOut], summary="民政部门填报事项")
def declaration_list(request, campaign_uuid: uuid.UUID):
    campaign = selectors.campaign_get(user=request.user, uuid=campaign_uuid)
    return list(selectors.declaration_list(user=request.user, campaign=campaign)[:500])


@router.post("/campaigns/{campaign_uuid}/declarations", response={201: DeclarationOut},
             summary="填报领导协调机制、街面巡查职责、工资倾斜政策等（附依据文件）")
def declaration_create(request, campaign_uuid: uuid.UUID, payload: DeclarationIn):
    campaign = selectors.campaign_get(user=request.user, uuid=campaign_uuid)
    if not services.may_declare(request.user, campaign):
        raise PermissionDenied("汇总表填报事项由民政部门的监管员、统计员或负责人填写。")
    division = Division.objects.filter(code=payload.division).first()
    if division is None or payload.division not in {r.code for r in selectors.area_rows(request.user, campaign)}:
        raise ValidationError({"division": "请选择本部门辖区内的县（市、区）。"})
    try:
        raw = base64.b64decode(payload.document_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({"document_base64": "依据文件的 base64 编码有误。"}) from exc
    data = payload.dict(exclude={"division", "document_base64", "document_name"})
    return Status(201, services.declaration_create(
        by=request.user, campaign=campaign, division=division, data=data,
        document=SimpleUploadedFile(payload.document_name or "依据文件", raw),
    ))


@router.get("/declarations/{declaration_uuid}", response=DeclarationOut, summary="填报事项详情")
def declaration_get(request, declaration_uuid: uuid.UUID):
    return selectors.declaration_get(user=request.user, uuid=declaration_uuid)


@router.post("/campaigns/{campaign_uuid}/submissions", response={201: SubmissionOut},
             summary="生成并报送情况汇总表（按报送时的数字保存）")
def submission_create(request, campaign_uuid: uuid.UUID, payload: SubmissionIn):
    campaign = selectors.campaign_get(user=request.user, uuid=campaign_uuid)
    reporting_date = campaign.dates.filter(uuid=payload.reporting_date).first()
    if reporting_date is None:
        raise ValidationError({"reporting_date": "该专项行动没有这一报送期次。"})
    return Status(201, services.submission_create(by=request.user, reporting_date=reporting_date,
                                                  as_of=payload.as_of))


@router.get("/submissions/{submission_uuid}", response=SubmissionOut, summary="已报送的汇总表")
def submission_get(request, submission_uuid: uuid.UUID):
    return selectors.submission_get(user=request.user, uuid=submission_uuid)
