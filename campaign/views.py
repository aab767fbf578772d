"""Pages of the campaign app (rule O4): scoped fetch → form → service → render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaign import columns as cols
from campaign import selectors, services
from campaign.forms import CampaignForm, DeclarationForm, SubmitForm, TableForm
from core.audit import audit
from core.downloads import private_file
from core.excel import ExcelBook
from core.models import AuditAction, Division
from core.printing import print_response
from core.views import form_errors_from


def _campaign(request, uuid):
    return selectors.campaign_get(user=request.user, uuid=uuid)


def _as_of(request, campaign) -> tuple[TableForm, datetime.date]:
    """The table's date from ``?as_of=`` (default: today, or the campaign's last day once it is over)."""
    default = min(timezone.localdate(), campaign.ends_on)
    form = TableForm(request.GET or None, initial={"as_of": default})
    if request.GET.get("as_of") and form.is_valid():
        day = form.cleaned_data["as_of"]
        if 1900 <= day.year <= 2999:
            return form, day
    return form, default


def _dates_text(campaign) -> str:
    return "\n".join(f"{d.due_on:%Y-%m-%d} {d.label}".strip() for d in campaign.dates.all())


@login_required
def campaign_list(request):
    campaigns = selectors.campaign_list(user=request.user)
    org = request.user.organisation
    return render(request, "campaign/list.html", {
        "campaigns": campaigns, "may_create": services.may_configure(request.user, org),
    })


@login_required
def campaign_new(request):
    department = request.user.organisation
    if not services.may_configure(request.user, department):
        raise PermissionDenied("专项行动由市、县级民政部门的监管员、统计员或负责人设置。")
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = services.campaign_create(by=request.user, department=department, data=d,
                                                reporting_dates=d["reporting_dates"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已设置专项行动。")
            return redirect("campaign:detail", uuid=campaign.uuid)
    return render(request, "campaign/form.html", {"form": form, "title": "设置专项行动",
                                                  "back": "campaign:list"})


@login_required
def campaign_edit(request, uuid):
    campaign = _campaign(request, uuid)
    if not services.may_configure(request.user, campaign.department):
        raise PermissionDenied("专项行动由设置它的民政部门修改。")
    initial = {"name": campaign.name, "document_ref": campaign.document_ref, "starts_on": campaign.starts_on,
               "ends_on": campaign.ends_on, "note": campaign.note, "reporting_dates": _dates_text(campaign)}
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.campaign_update(by=request.user, campaign=campaign, data=d, reporting_dates=d["reporting_dates"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已保存。")
            return redirect("campaign:detail", uuid=campaign.uuid)
    return render(request, "campaign/form.html", {"form": form, "title": f"修改专项行动：{campaign.name}",
                                                  "campaign": campaign})


@login_required
def campaign_detail(request, uuid):
    campaign = _campaign(request, uuid)
    dates = selectors.reporting_dates(campaign=campaign)
    submissions = list(selectors.submission_list(user=request.user, campaign=campaign))
    mine = {s.reporting_date_id: s for s in submissions if s.organisation_id == request.user.organisation_id}
    may_declare = services.may_declare(request.user, campaign)
    return render(request, "campaign/detail.html", {
        "campaign": campaign,
        "dates": [{"date": d, "mine": mine.get(d.pk)} for d in dates],
        "declarations": selectors.declaration_list(user=request.user, campaign=campaign),
        "submissions": submissions,
        "may_configure": services.may_configure(request.user, campaign.department),
        "may_declare": may_declare,
        "submit_form": SubmitForm(dates=[d for d in dates if d.pk not in mine]) if may_declare else None,
        "rows": selectors.area_rows(request.user, campaign),
    })


def _table_title(data: dict) -> str:
    return f"{data['campaign']['name']}情况汇总表"


def table_book(data: dict) -> ExcelBook:
    """The table in the annex's layout: title, the unit and date line, the three merged header rows, a row per
    county, the city total and the annex's note (figures as of the date filled in)."""
    book = ExcelBook()
    sheet = book.sheet("情况汇总表")
    width = len(cols.LEAD_LABELS) + len(data["columns"])
    sheet.title(_table_title(data), span=width)
    sheet.row([f"填表单位：{data['campaign']['department']}", *[""] * (width - 2),
               f"填表日期：{data['as_of_text']}"])
    cells = cols.header_cells(data["as_of_text"])
    sheet.merged_header([(c.row, c.col, c.rowspan, c.colspan, c.label) for c in cells])
    for row in data["rows"]:
        sheet.row([row["number"], row["name"], *row["cells"]])
    sheet.row(["", data["total"]["name"], *data["total"]["cells"]])
    sheet.blank()
    sheet.row([f"备注：有关数据统计截止时间为填报日（{data['as_of_text']}）。“{cols.NOT_AVAILABLE}”：该项记录尚未纳入本系统。"])
    return book


def _render_table(request, data: dict, *, campaign, filename: str, submission=None, form=None):
    if request.GET.get("format") == "xlsx":
        audit(actor=request.user, action=AuditAction.EXPORT, object_type="campaign.table",
              object_id=data["campaign"]["uuid"], summary=f"导出《{_table_title(data)}》Excel（截至 {data['as_of']}）",
              organisation=request.user.organisation)
        return table_book(data).response(f"{filename}.xlsx")
    return render(request, "campaign/table.html", {
        "campaign": campaign, "data": data, "header": cols.header_grid(data["as_of_text"]), "form": form,
        "submission": submission, "not_available": cols.NOT_AVAILABLE,
    })


@login_required
def table(request, uuid):
    campaign = _campaign(request, uuid)
    form, as_of = _as_of(request, campaign)
    data = selectors.table(user=request.user, campaign=campaign, as_of=as_of)
    return _render_table(request, data, campaign=campaign, form=form, filename=f"情况汇总表-{as_of:%Y%m%d}")


@login_required
def table_print(request, uuid):
    campaign = _campaign(request, uuid)
    _, as_of = _as_of(request, campaign)
    data = selectors.table(user=request.user, campaign=campaign, as_of=as_of)
    return print_response(request, "campaign/print_table.html",
                          {"data": data, "header": cols.header_grid(data["as_of_text"])},
                          filename=f"campaign-{as_of:%Y%m%d}", organisation=request.user.organisation,
                          title=_table_title(data))


@login_required
def declaration_new(request, uuid):
    campaign = _campaign(request, uuid)
    if not services.may_declare(request.user, campaign):
        raise PermissionDenied("汇总表填报事项由民政部门的监管员、统计员或负责人填写。")
    rows = selectors.area_rows(request.user, campaign)
    form = DeclarationForm(request.POST or None, request.FILES or None, rows=rows,
                           initial={"declared_on": timezone.localdate(), "meetings_held": 0})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        division = Division.objects.get(code=d["division"])
        try:
            services.declaration_create(by=request.user, campaign=campaign, division=division, data=d,
                                        document=d["document"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已保存{division.name}的填报事项。")
            return redirect("campaign:detail", uuid=campaign.uuid)
    return render(request, "campaign/form.html", {"form": form, "title": f"填报汇总表事项：{campaign.name}",
                                                  "campaign": campaign, "multipart": True})


@login_required
def declaration_detail(request, uuid):
    declaration = selectors.declaration_get(user=request.user, uuid=uuid)
    campaign = declaration.campaign
    editable = services.may_declare(request.user, campaign, declaration.division)
    if request.method == "POST" and not editable:
        raise PermissionDenied("只能修改本部门辖区内县（市、区）的填报事项。")
    form = None
    if editable:
        fields = ("declared_on", "leadership_mechanism", "meetings_held", "leadership_note", "leaders_guidance",
                  "patrol_duties", "pay_policy", "pay_policy_note")
        form = DeclarationForm(request.POST or None, request.FILES or None, editing=True,
                               rows=[selectors.AreaRow(declaration.division.code, declaration.division.name)],
                               initial={"division": declaration.division.code,
                                        **{f: getattr(declaration, f) for f in fields}})
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.declaration_update(by=request.user, declaration=declaration, data=d,
                                            document=d.get("document"))
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "已保存。")
                return redirect("campaign:detail", uuid=campaign.uuid)
    return render(request, "campaign/declaration.html", {"d": declaration, "form": form, "campaign": campaign})


@login_required
def declaration_document(request, uuid):
    declaration = selectors.declaration_get(user=request.user, uuid=uuid)
    if not declaration.document:
        raise Http404("没有依据文件。")
    audit(actor=request.user, action=AuditAction.EXPORT, obj=declaration, organisation=request.user.organisation,
          summary=f"查看汇总表填报依据文件：{declaration}")
    return private_file(declaration.document, filename=declaration.document_name,
                        content_type=declaration.document_type or "application/octet-stream", missing="依据文件不存在。")


@login_required
@require_POST
def submit(request, uuid):
    campaign = _campaign(request, uuid)
    if not services.may_declare(request.user, campaign):
        raise PermissionDenied("汇总表由民政部门的监管员、统计员或负责人报送。")
    dates = selectors.reporting_dates(campaign=campaign)
    form = SubmitForm(request.POST, dates=dates)
    if form.is_valid():
        reporting_date = next(d for d in dates if str(d.uuid) == form.cleaned_data["reporting_date"])
        try:
            submission = services.submission_create(by=request.user, reporting_date=reporting_date,
                                                    as_of=form.cleaned_data.get("as_of"))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "已报送情况汇总表。")
            return redirect("campaign:submission", uuid=submission.uuid)
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("campaign:detail", uuid=campaign.uuid)


@login_required
def submission_detail(request, uuid):
    submission = selectors.submission_get(user=request.user, uuid=uuid)
    return _render_table(request, submission.table, campaign=submission.reporting_date.campaign,
                         submission=submission, filename=f"情况汇总表-报送-{submission.as_of:%Y%m%d}")
