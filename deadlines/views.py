"""Pages of the compliance clock: the inbox, the supervisors' overview, rules and thresholds, the calendar."""

import uuid as uuidlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.excel import list_export, wants_xlsx
from core.models import Organisation, Role
from core.scoping import get_scoped_or_404
from core.views import form_errors_from
from deadlines import selectors, services
from deadlines.forms import AsOfForm, HolidayForm, HolidayImportForm, RuleSettingForm
from deadlines.models import HolidayCalendar, Notification
from deadlines.registry import BUCKET_LABELS, discover


def _is_settings_admin(user) -> bool:
    return user.is_superuser or user.has_role(Role.ADMIN)


@login_required
def inbox(request):
    """待办: the user's organisation's and role's tasks — overdue, due today, due soon — and notifications."""
    if wants_xlsx(request):
        rule_id = request.GET.get("rule", "")
        data = selectors.inbox(user=request.user, limit=5000, rule_id=rule_id if rule_id in discover() else "")
        items = [i for key in data["buckets"] for i in data["buckets"][key]]
        return list_export(request, title="待办事项", filename="overdue-items",
                           headers=["状态", "规则", "事项", "对象", "起算", "到期", "进度"],
                           rows=([i.bucket_label, f"{i.rule.title}（{i.rule.id}）", i.rule.fulfilment.what
                                  if i.rule.fulfilment else i.rule.title, i.label, i.start, i.due.at,
                                  i.progress or i.period] for i in items))
    rule_id = request.GET.get("rule", "")
    rule_id = rule_id if rule_id in discover() else ""
    data = selectors.inbox(user=request.user, rule_id=rule_id)
    sections = [(key, BUCKET_LABELS[key], data["buckets"][key], data["counts"][key]) for key in data["buckets"]]
    return render(request, "deadlines/inbox.html", {
        **data, "sections": sections, "notifications": selectors.notifications(user=request.user),
        "rule": discover().get(rule_id),
        "is_overview_user": selectors.is_overview_user(request.user),
        "missing_years": selectors.admin_warnings()["missing_years"] if _is_settings_admin(request.user) else [],
    })


@login_required
def overview(request):
    """督办总览: overdue by station and rule across the user's subtree, and on-time rates (as of a moment)."""
    form = AsOfForm(request.GET or None)
    as_of, months = None, 3  # None: the present, from the last periodic scan when it is recent
    if form.is_valid():
        as_of = form.cleaned_data["as_of"]
        months = form.cleaned_data["months"] or months
    organisation = None
    if request.GET.get("organisation"):
        # one organisation's row (the home page links each station's overdue count here); outside scope → 404
        try:
            wanted = uuidlib.UUID(request.GET["organisation"][:40])
        except ValueError as exc:
            raise Http404("未找到该机构。") from exc
        organisation = get_scoped_or_404(Organisation.objects.all(), request.user, uuid=wanted)
    return render(request, "deadlines/overview.html", {
        "form": form, "table": selectors.overview(user=request.user, as_of=as_of, organisation=organisation),
        "rates": selectors.on_time_rates(user=request.user, as_of=as_of, months=months), "months": months,
    })


@login_required
def rules(request):
    """时限规则: every declared rule in plain Chinese; administrators make thresholds stricter (POST)."""
    if request.method == "POST":
        services.require_settings_admin(request.user)
        form = RuleSettingForm(request.POST)
        if form.is_valid():
            try:
                services.rule_setting_set(by=request.user, rule_id=form.cleaned_data["rule_id"],
                                          amount=form.cleaned_data["amount"], note=form.cleaned_data["note"])
                messages.success(request, "时限设置已保存。")
                return redirect("deadlines:rules")
            except ValidationError as exc:
                for msg in exc.messages:
                    messages.error(request, msg)
        else:
            for errors in form.errors.values():
                for msg in errors:
                    messages.error(request, msg)
    return render(request, "deadlines/rules.html", {"rows": selectors.rule_table(),
                                                    "can_edit": _is_settings_admin(request.user)})


@login_required
def calendar(request):
    """法定节假日: the statutory calendar by year; administrators add days, delete them, import a CSV."""
    year = request.GET.get("year") or str(timezone.localdate().year)
    year = int(year) if year.isdigit() else timezone.localdate().year
    form, import_form = HolidayForm(), HolidayImportForm()
    if request.method == "POST":
        services.require_settings_admin(request.user)
        action = request.POST.get("action", "add")
        try:
            if action == "import":
                import_form = HolidayImportForm(request.POST, request.FILES)
                if import_form.is_valid():
                    n = services.holidays_import_csv(by=request.user, content=import_form.cleaned_data["file"].read())
                    messages.success(request, f"已导入 {n} 天。")
                    return redirect(f"{request.path}?year={year}")
            elif action == "delete":
                day = HolidayCalendar.objects.filter(date=request.POST.get("date") or None).first()
                if day is None:
                    messages.error(request, "未找到该日期。")
                else:
                    services.holiday_delete(by=request.user, day=day)
                    messages.success(request, "已删除。")
                    return redirect(f"{request.path}?year={day.date.year}")
            else:
                form = HolidayForm(request.POST)
                if form.is_valid():
                    day = services.holiday_set(by=request.user, **form.cleaned_data)
                    messages.success(request, f"已登记 {day.date:%Y-%m-%d}。")
                    return redirect(f"{request.path}?year={day.date.year}")
        except ValidationError as exc:
            target = import_form if action == "import" else form
            if action == "delete":
                messages.error(request, "；".join(exc.messages))
            else:
                form_errors_from(exc, target)
    return render(request, "deadlines/calendar.html", {
        "year": year, "days": selectors.calendar_days(year=year), "years": selectors.calendar_years(),
        "missing_years": selectors.admin_warnings()["missing_years"], "form": form, "import_form": import_form,
        "can_edit": _is_settings_admin(request.user),
    })


@login_required
@require_POST
def notification_read(request, uuid):
    """Mark one notification of the user's own organisation read."""
    notification = get_scoped_or_404(Notification.objects.select_related("item"), request.user, uuid=uuid)
    services.notification_mark_read(by=request.user, notification=notification)
    return redirect("deadlines:inbox")
