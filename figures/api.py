"""API of the statistics (/api/v1/figures): the breakdowns (rule N13) and the quarterly reports (rule O4).

Same scope, permissions and services as the pages; the figures come from the summary tables.
"""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.http import QueryDict
from ninja import Field, Query, Router, Schema

from core.models import Organisation
from core.scoping import get_scoped_or_404
from figures import dimensions as dims
from figures import selectors, services
from figures.forms import FiguresForm

router = Router()


class BreakdownParams(Schema):
    measure: str = Field("requested", max_length=12, description="requested / admitted / left / identified / care")
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    as_of: datetime.date | None = Field(None, description="在站人数（care）的时点，当日24时")
    area: str = Field("", max_length=40, description="机构 UUID 或区划代码；空为本人全部范围")
    group: str = Field("station", max_length=12, description="station / county / city / province")


class RowOut(Schema):
    key: str
    label: str
    count: int


class DimensionOut(Schema):
    dimension: str
    label: str
    multi: bool
    rows: list[RowOut]


class AreaOut(Schema):
    key: str
    label: str
    stations: int
    count: int


class TrendOut(Schema):
    label: str
    count: int


class BreakdownOut(Schema):
    measure: str
    measure_label: str
    period: str
    refreshed_at: datetime.datetime | None
    total: int
    stations: int
    areas: list[AreaOut]
    trend: list[TrendOut]
    dimensions: list[DimensionOut]


@router.get("/breakdown", response=BreakdownOut, summary="统计：按期间或时点、按各维度分组（规则 N13）")
def breakdown(request, params: Query[BreakdownParams]):
    selectors.require_view(request.user)
    stations = selectors.scope_stations(request.user)
    data = QueryDict(mutable=True)
    for name, value in params.dict().items():
        if value not in (None, ""):
            data[name] = value.isoformat() if isinstance(value, datetime.date) else str(value)
    form = FiguresForm(data, areas=selectors.area_choices(stations))
    if not form.is_valid():
        raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
    query = selectors.resolve(request.user, form.query(), stations)
    out = selectors.figures(user=request.user, query=query)
    run = out["refreshed"]
    return {
        "measure": query.measure, "measure_label": dims.MEASURES[query.measure], "period": query.period_label,
        "refreshed_at": run.finished_at if run else None, "total": out["total"], "stations": len(query.stations),
        "areas": out["areas"], "trend": out["trend"],
        "dimensions": [{"dimension": b["dimension"], "label": b["label"], "multi": b["multi"], "rows": b["rows"]}
                       for b in out["breakdowns"]],
    }


class RefreshOut(Schema):
    queued: bool


@router.post("/refresh", response=RefreshOut, summary="请求立即刷新统计汇总")
def refresh(request):
    services.refresh_request(by=request.user)
    return {"queued": True}


# --- quarterly reports --------------------------------------------------------------------------------


class SubmissionOut(Schema):
    uuid: uuid.UUID
    sequence: int
    organisation: str = Field(alias="organisation.name")
    submitted_to: str = Field(alias="submitted_to.name")
    submitted_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    returned_at: datetime.datetime | None
    return_reason: str
    state: str = Field(alias="state_label")


class SubmissionDetailOut(SubmissionOut):
    figures: dict


class ReportOut(Schema):
    uuid: uuid.UUID
    organisation: str = Field(alias="organisation.name")
    organisation_uuid: uuid.UUID = Field(alias="organisation.uuid")
    year: int
    quarter: int
    status: str
    status_label: str = Field(alias="get_status_display")
    generated_at: datetime.datetime
    reviewed_at: datetime.datetime | None
    review_note: str


class ReportDetailOut(ReportOut):
    figures: dict
    submissions: list[SubmissionOut]

    @staticmethod
    def resolve_submissions(obj):
        return list(obj.submissions.select_related("organisation", "submitted_to").order_by("-sequence"))


class GenerateIn(Schema):
    organisation: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)


class ReviewIn(Schema):
    note: str = Field("", max_length=300)


class ReturnIn(Schema):
    reason: str = Field(max_length=2000)


@router.get("/reports", response=list[ReportOut], summary="季度统计报表列表（规则 O4）")
def report_list(request, year: int | None = Query(None, ge=2000, le=2100), quarter: int | None = Query(None, ge=1, le=4)):
    return list(selectors.report_list(user=request.user, year=year, quarter=quarter)[:500])


@router.get("/reports/{uuid}", response=ReportDetailOut, summary="季度统计报表（含数字与报送记录）")
def report_detail(request, uuid: uuid.UUID):
    return selectors.report_get(user=request.user, uuid=uuid)


@router.post("/reports", response={201: ReportDetailOut}, summary="生成（或重新生成）季度统计报表")
def report_generate(request, payload: GenerateIn):
    organisation = get_scoped_or_404(Organisation.objects.all(), request.user, uuid=payload.organisation)
    report = services.report_generate(by=request.user, organisation=organisation, year=payload.year,
                                      quarter=payload.quarter)
    return 201, report


@router.post("/reports/{uuid}/review", response=ReportDetailOut, summary="审核季度统计报表")
def report_review(request, uuid: uuid.UUID, payload: ReviewIn):
    report = selectors.report_get(user=request.user, uuid=uuid)
    return services.report_review(by=request.user, report=report, note=payload.note)


@router.post("/reports/{uuid}/reopen", response=ReportDetailOut, summary="撤回审核")
def report_reopen(request, uuid: uuid.UUID):
    report = selectors.report_get(user=request.user, uuid=uuid)
    return services.report_reopen(by=request.user, report=report)


@router.post("/reports/{uuid}/submit", response=SubmissionDetailOut, summary="向主管民政部门报送（数字存档）")
def report_submit(request, uuid: uuid.UUID):
    report = selectors.report_get(user=request.user, uuid=uuid)
    return services.report_submit(by=request.user, report=report)


@router.post("/reports/{uuid}/acknowledge", response=SubmissionDetailOut, summary="接收单位确认接收")
def report_acknowledge(request, uuid: uuid.UUID):
    report = selectors.report_get(user=request.user, uuid=uuid)
    return services.report_acknowledge(by=request.user, report=report)


@router.post("/reports/{uuid}/return", response=SubmissionDetailOut, summary="接收单位退回修改")
def report_return(request, uuid: uuid.UUID, payload: ReturnIn):
    report = selectors.report_get(user=request.user, uuid=uuid)
    return services.report_return(by=request.user, report=report, reason=payload.reason)


@router.get("/submissions/{uuid}", response=SubmissionDetailOut, summary="一次报送（报送时的数字）")
def submission_detail(request, uuid: uuid.UUID):
    return selectors.submission_get(user=request.user, uuid=uuid)
