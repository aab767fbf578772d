"""Pages of the statistics (rule N13) and the quarterly reports (rule O4). Scoped fetch → form → service →
render; the figures come from the summary tables (figures.selectors), never from the episodes."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core.audit import audit
from core.excel import ExcelBook, list_export, wants_xlsx
from core.models import AuditAction
from core.paging import paginate
from core.views import form_errors_from
from figures import dimensions as dims
from figures import selectors, services
from figures.forms import DrillForm, FiguresForm, GenerateForm, ReturnForm, ReviewForm
from figures.models import ReportStatus


def _query_form(request, form_class=FiguresForm):
    """The page's form and the query it asks (the default — this month, today — when nothing or something
    wrong was asked; the form then shows the Chinese message)."""
    selectors.require_view(request.user)
    stations = selectors.scope_stations(request.user)
    areas = selectors.area_choices(stations)
    form = form_class(request.GET or None, areas=areas)
    if form.is_bound and form.is_valid():
        query = form.query()
    else:
        query = selectors.default_query()
        if not form.is_bound:
            form = form_class(areas=areas, initial=query.params())
    return form, selectors.resolve(request.user, query, stations), stations


def _origin_map(request, stations, data) -> dict | None:
    """The origin map: the counties of the user's own province coloured by people of origin, drawn from the
    boundary files the network app serves from node_modules (no CDN)."""
    from network.views import geo_dir, province_short

    org = request.user.organisation
    code = org.division.code if org is not None else (stations[0].division.code if stations else "")
    province_code = dims.division_levels(code)[0]
    if not province_code:
        return None
    province = selectors.place_names([province_code]).get(province_code, "")
    short = province_short(province)
    folder = geo_dir() / short
    if not short or not folder.is_dir():
        return None
    files = sorted(p.stem for p in folder.glob("*.js") if re.fullmatch(r"[\u4e00-\u9fff]{1,16}", p.stem))
    counties = [b for b in data["breakdowns"] if b["dimension"] == "county"]
    values = [{"name": r["label"], "value": r["count"]} for b in counties for r in b["rows"]
              if r["key"].startswith(province_code[:2]) and r["count"]]
    return {"province": province, "geo_urls": [reverse("network:geo", args=[short, f]) for f in files],
            "maps": [re.sub(r"(市|地区|盟|自治州)$", "", f) for f in files], "values": values}


@login_required
def home(request):
    """The statistics: a measure over a period or at a date, broken down, per area, with the trend and a map."""
    form, query, stations = _query_form(request)
    data = selectors.figures(user=request.user, query=query)
    base = query.params()
    for b in data["breakdowns"]:
        for row in b["rows"]:
            row["url"] = reverse("figures:people") + "?" + urlencode({**base, "dimension": b["dimension"],
                                                                       "key": row["key"]})
    for area in data["areas"]:
        area["url"] = reverse("figures:people") + "?" + urlencode({**base, "area": area["key"]})
    if wants_xlsx(request):
        return _figures_xlsx(request, data)
    charts = {"trend": data["trend"],
              "breakdowns": [{"dimension": b["dimension"], "label": b["label"],
                              "rows": [{"label": r["label"], "count": r["count"]} for r in b["rows"]]}
                             for b in data["breakdowns"]],
              "areas": [{"label": a["label"], "count": a["count"]} for a in data["areas"]]}
    return render(request, "figures/home.html", {
        "form": form, "data": data, "query": query, "charts": charts,
        "total_url": reverse("figures:people") + "?" + urlencode(base),
        "xlsx_url": "?" + urlencode({**base, "format": "xlsx"}),
        "origin_map": _origin_map(request, stations, data),
        "measure_label": dims.MEASURES[query.measure], "group_label": selectors.GROUPS[query.group],
    })


def _figures_xlsx(request, data):
    """The page's tables in one workbook: the areas, then one sheet per dimension (aggregates only)."""
    query = data["query"]
    book = ExcelBook()
    title = f"{dims.MEASURES[query.measure]}（{query.period_label}）"
    ws = book.sheet("按范围")
    ws.title(f"{title} 合计 {data['total']}")
    ws.header([selectors.GROUPS[query.group].removeprefix("按"), "机构数", "人数"])
    ws.rows([a["label"], a["stations"], a["count"]] for a in data["areas"])
    ws = book.sheet("按月")
    ws.title(title)
    ws.header(["月份", "人数"])
    ws.rows([t["label"], t["count"]] for t in data["trend"])
    for b in data["breakdowns"]:
        ws = book.sheet(b["label"])
        ws.title(f"{title} · {b['label']}" + ("（一人可属多个群体）" if b["multi"] else ""))
        ws.header([b["label"], "人数"])
        ws.rows([r["label"], r["count"]] for r in b["rows"])
    audit(actor=request.user, action=AuditAction.EXPORT, object_type="figures", object_id=query.measure,
          summary=f"导出统计《{title}》Excel", organisation=request.user.organisation,
          changes={"filters": [None, query.params()]})
    return book.response(f"统计-{dims.MEASURES[query.measure]}-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def people(request):
    """The people behind a figure: the same summary rows, scope and filters as the figure."""
    form, query, _stations = _query_form(request, DrillForm)
    dimension = form.cleaned_data.get("dimension") if form.is_bound and form.is_valid() else "all"
    key = form.cleaned_data.get("key", "") if form.is_bound and form.is_valid() else ""
    dimension = dimension or "all"
    rows = selectors.drilldown(user=request.user, query=query, dimension=dimension, key=key)
    places = selectors.place_names([key]) if dimension in ("province", "city", "county") else {}
    what = dims.MEASURES[query.measure] + (
        "" if dimension == "all" else f" · {dims.DIMENSIONS.get(dimension, '')}：{selectors.key_label(dimension, key, places)}")
    if wants_xlsx(request):
        return list_export(
            request, title=f"统计明细 {what}（{query.period_label}）",
            headers=["档案号", "姓名", "性别", "救助机构", "求助日期", "入站日期", "离站日期", "身份查明日期", "救助编号"],
            rows=([f.person.file_no, f.person.name, f.person.sex or "不详", f.station.name, f.requested_day,
                   f.admitted_day, f.left_day, f.identified_day, f.episode.number] for f in rows.iterator(chunk_size=2000)),
            filename="统计明细", filters={**query.params(), "dimension": dimension, "key": key},
            object_type="figures.EpisodeFact")
    context = paginate(request, rows)
    params = {**query.params(), "dimension": dimension, "key": key}
    return render(request, "figures/people.html", {
        **context, "query": query, "what": what, "back_url": reverse("figures:home") + "?" + urlencode(query.params()),
        "xlsx_url": "?" + urlencode({**params, "format": "xlsx"})})


@login_required
@require_POST
def refresh(request):
    """Ask for the figures to be refreshed now (the task queue does it)."""
    services.refresh_request(by=request.user)
    messages.success(request, "已请求刷新统计汇总，稍后刷新页面即可看到最新数字。")
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/figures/")
                    else "figures:home")


# --- quarterly reports (rule O4) ------------------------------------------------------------------------


@login_required
def reports(request):
    selectors.require_view(request.user)
    organisations = selectors.reporting_organisations(request.user)
    year, quarter = dims.previous_quarter(timezone.localdate())
    form = GenerateForm(request.POST or None, organisations=organisations,
                        initial={"year": year, "quarter": quarter,
                                 "organisation": str(request.user.organisation.uuid) if request.user.organisation else ""})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            report = services.report_generate(by=request.user, organisation=form.organisations[d["organisation"]],
                                              year=d["year"], quarter=d["quarter"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已生成{report.organisation.name}{report.title}统计报表，请核对后审核。")
            return redirect("figures:report", report.uuid)
    context = paginate(request, selectors.report_list(user=request.user, incoming=request.GET.get("incoming") == "1"))
    return render(request, "figures/reports.html", {
        **context, "form": form, "incoming": selectors.incoming_submissions(user=request.user)[:50]})


@login_required
def report_detail(request, uuid):
    report = selectors.report_get(user=request.user, uuid=uuid)
    tables = selectors.report_rows(report.figures)
    if wants_xlsx(request):
        return _report_xlsx(request, report.figures, f"{report.organisation.name}{report.title}统计报表", report)
    submissions = list(report.submissions.select_related("submitted_to", "submitted_by", "acknowledged_by",
                                                         "returned_by").order_by("-sequence"))
    pending = next((s for s in submissions if not s.acknowledged_at and not s.returned_at), None)
    user = request.user
    own = user.is_superuser or user.organisation_id == report.organisation_id
    receiving = pending is not None and (user.is_superuser or user.organisation_id == pending.submitted_to_id)
    return render(request, "figures/report.html", {
        "report": report, "tables": tables, "submissions": submissions, "pending": pending, "own": own,
        "receiving": receiving, "statuses": ReportStatus, "review_form": ReviewForm(), "return_form": ReturnForm(),
    })


def _report_xlsx(request, figures_data, title, obj):
    book = ExcelBook()
    for table in selectors.report_rows(figures_data):
        ws = book.sheet(table["title"])
        ws.title(f"{title} · {table['title']}：{table['total']}")
        for part in table["parts"]:
            ws.header([part["label"], "人数"])
            ws.rows([label, n] for label, n in part["rows"])
            ws.blank()
    if figures_data.get("kind") == "consolidated":
        ws = book.sheet("汇总来源")
        ws.header(["机构", "报送次数", "报送时间", "已接收", "求助登记", "季末在站"])
        ws.rows([p["organisation"], p["sequence"], p["submitted_at"], "是" if p["acknowledged"] else "否",
                 p["requested"], p["care_end"]] for p in figures_data.get("parts", []))
        ws.rows([m, "未报送", "", "", "", ""] for m in figures_data.get("missing", []))
    audit(actor=request.user, action=AuditAction.EXPORT, obj=obj, summary=f"导出《{title}》Excel",
          organisation=request.user.organisation)
    return book.response(f"{title}.xlsx")


@login_required
def submission_detail(request, uuid):
    """One submission exactly as issued (its frozen figures)."""
    submission = selectors.submission_get(user=request.user, uuid=uuid)
    title = f"{submission.organisation.name}{submission.report.title}统计报表（第{submission.sequence}次报送）"
    if wants_xlsx(request):
        return _report_xlsx(request, submission.figures, title, submission)
    return render(request, "figures/submission.html", {
        "submission": submission, "title": title, "tables": selectors.report_rows(submission.figures)})


def _act(request, uuid, action):
    report = selectors.report_get(user=request.user, uuid=uuid)
    try:
        action(report)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except PermissionDenied:
        raise
    return redirect("figures:report", report.uuid)


@login_required
@require_POST
def report_regenerate(request, uuid):
    def act(report):
        services.report_generate(by=request.user, organisation=report.organisation, year=report.year,
                                 quarter=report.quarter)
        messages.success(request, "已按最新统计汇总重新生成。")
    return _act(request, uuid, act)


@login_required
@require_POST
def report_review(request, uuid):
    form = ReviewForm(request.POST)
    if not form.is_valid():
        raise Http404("审核意见格式不正确。")

    def act(report):
        services.report_review(by=request.user, report=report, note=form.cleaned_data["note"])
        messages.success(request, "已审核。")
    return _act(request, uuid, act)


@login_required
@require_POST
def report_reopen(request, uuid):
    return _act(request, uuid, lambda report: services.report_reopen(by=request.user, report=report))


@login_required
@require_POST
def report_submit(request, uuid):
    def act(report):
        submission = services.report_submit(by=request.user, report=report)
        messages.success(request, f"已报送{submission.submitted_to.name}。")
    return _act(request, uuid, act)


@login_required
@require_POST
def report_acknowledge(request, uuid):
    def act(report):
        services.report_acknowledge(by=request.user, report=report)
        messages.success(request, "已确认接收。")
    return _act(request, uuid, act)


@login_required
@require_POST
def report_return(request, uuid):
    form = ReturnForm(request.POST)

    def act(report):
        if not form.is_valid():
            raise ValidationError("请填写退回原因（不超过 2000 个字符）。")
        services.report_return(by=request.user, report=report, reason=form.cleaned_data["reason"])
        messages.success(request, "已退回，报送机构修改后重新报送。")
    return _act(request, uuid, act)
