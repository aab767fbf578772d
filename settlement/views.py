"""Pages of the settlement app (rules S1–S4, E1). Four steps each: scoped fetch → form → service → render.

Out of scope → 404 (scoped getters); in scope but not the one to act on this step → 403 (``settlement.access``);
a step the case's state does not allow → back to the case page with a message (the state machine decides).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from core.audit import log_read
from core.downloads import private_file
from core.excel import list_export, wants_xlsx
from core.paging import paginate
from core.printing import print_response
from core.validation import is_uuid
from core.views import form_errors_from, service_checks
from settlement import access, selectors, services
from settlement.forms import (
    ApplyForm,
    CancelForm,
    DecideForm,
    EnrolForm,
    HukouForm,
    LongTermForm,
    PlaceForm,
    PlanForm,
    ReturnHomeForm,
    WithdrawForm,
)
from settlement.models import BEFORE_PLACEMENT, SettlementStatus

S = SettlementStatus
EXPORT_HEADERS = ["安置编号", "姓名", "档案号", "申请机构", "主管民政部门", "状态", "申请日期", "提前申请原因",
                  "方案报送日期", "报送政府", "批复日期", "批复文号", "安置方式", "安置机构", "安置日期", "长期安置（未落户）日期",
                  "户口登记日期", "户口登记号", "集体户地址", "特困供养日期", "参保日期", "身份查明时间", "返乡日期",
                  "注销重复户口日期", "结束原因"]


def _filters(request) -> dict:
    g = request.GET
    status = g.get("status", "open")
    valid = {v for v, _ in selectors.STATUS_FILTERS} | {"all"}
    return {
        "status": status if status in valid else "open",
        "station": g.get("station", "")[:36] if is_uuid(g.get("station", "")) else "",
        "q": g.get("q", "").strip()[:50],
        "date_from": _date(g.get("date_from", "")),
        "date_to": _date(g.get("date_to", "")),
        "awaiting": "police" if g.get("awaiting") == "police" else "",
    }


def _date(value: str):
    import datetime

    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _row(c) -> list:
    return [c.number, c.person.name, c.person.file_no, c.station.name, c.department.name, c.get_status_display(),
            c.applied_on, c.exception_reason, c.plan_on, c.government, c.decided_on, c.approval_ref,
            c.get_placement_kind_display(), c.institution.name if c.institution else "", c.placed_on, c.long_term_on,
            c.hukou_registered_on, c.hukou_number, c.hukou_address, c.tekun_on, c.insurance_on, c.identified_at,
            c.return_home_on, c.cancelled_on, c.end_reason]


@login_required
def case_list(request):
    """落户安置 cases in reach, filtered; ``?format=xlsx`` exports the same list (core.excel)."""
    filters = _filters(request)
    qs = selectors.case_list(user=request.user, **filters)
    if wants_xlsx(request):
        return list_export(request, title="落户安置台账", headers=EXPORT_HEADERS, rows=(_row(c) for c in qs.iterator()),
                           filename="settlement-cases", filters=filters, object_type="settlement.cases")
    page = paginate(request, qs)
    log_read(request, "落户安置列表", objects=page["object_list"], filters=filters)
    return render(request, "settlement/list.html", {
        **page, **filters, "statuses": selectors.STATUS_FILTERS, "stations": selectors.case_stations(request.user),
        "is_police": request.user.organisation is not None and request.user.organisation.kind == "police",
    })


def _actions(user, case) -> list[dict]:
    """The steps this user may take now (the state machine and ``settlement.access`` decide)."""
    station, department, police = (access.may_station_act(user, case.station), access.may_department_act(user, case),
                                   access.may_police_act(user, case))
    offer = [
        (department and case.status == S.APPLIED, "settlement:plan", "拟定方案并报政府"),
        (department and case.status == S.PLAN_SUBMITTED, "settlement:decide", "登记政府批复"),
        (station and case.status == S.APPROVED, "settlement:place", "办理安置（离站）"),
        (station and case.status == S.PLACED, "settlement:long_term", "转为长期安置（未落户）"),
        (police and case.status in (S.PLACED, S.LONG_TERM), "settlement:hukou", "登记户口"),
        (access.enrolment_org(user, case) is not None and case.status == S.REGISTERED
         and not (case.tekun_on and case.insurance_on), "settlement:enrol", "登记特困供养/社会保险"),
        (station and case.status == S.IDENTIFIED and not case.return_home_on, "settlement:return_home", "登记返乡"),
        (police and case.status == S.IDENTIFIED and case.awaits_cancellation, "settlement:cancel_hukou",
         "确认注销重复户口"),
        (station and case.status in BEFORE_PLACEMENT, "settlement:withdraw", "撤回申请"),
    ]
    return [{"url": name, "label": label} for ok, name, label in offer if ok]


@login_required
def case_detail(request, uuid):
    case = selectors.case_get(user=request.user, uuid=uuid)
    log_read(request, "落户安置", objects=[case], person_uuid=case.person.uuid, organisation=case.station)
    return render(request, "settlement/detail.html", {
        "case": case, "steps": selectors.case_steps(case), "actions": _actions(request.user, case),
        "s1": selectors.s1_status(case.episode) if case.status in BEFORE_PLACEMENT else None,
    })


@login_required
def apply(request, uuid):
    """Rule S1: the station's application to its civil-affairs department, from the episode."""
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    if not access.may_station_act(request.user, episode.station):
        raise PermissionDenied("落户安置由本站站长申请。")
    existing = selectors.open_case_for(episode.person)
    if existing is not None:
        messages.info(request, f"此人已有进行中的落户安置（{existing.number}）。")
        return redirect("settlement:detail", existing.uuid)
    s1 = selectors.s1_status(episode)
    form = ApplyForm(request.POST or None, request.FILES or None, initial={"applied_on": timezone.localdate()})

    def call(d, document=None):
        return services.settlement_apply(by=request.user, episode=episode, applied_on=d.get("applied_on"),
                                         document=document, exception_reason=d.get("exception_reason", ""),
                                         situation=d.get("situation", ""))

    if request.method == "POST":
        if form.is_valid():
            try:
                case = call(form.cleaned_data, request.FILES.get("document"))
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"已提出落户安置申请（{case.number}），待{case.department.name}拟定方案。")
                return redirect("settlement:detail", case.uuid)
        else:
            service_checks(form, call, skip={"document"})
    department = episode.station.supervisor
    intro = f"入站 {timezone.localtime(episode.admitted_at):%Y-%m-%d}；{s1['label']}"
    if s1["due"]:
        intro += f"（满3个月：{timezone.localtime(s1['due']):%Y-%m-%d}）"
    intro += f"。申请提交主管民政部门：{department.name if department else '未设置'}。"
    return render(request, "settlement/form.html", {
        "form": form, "title": f"申请落户安置：{episode.person.name}（规则S1）", "multipart": True, "intro": intro,
        "back_url": reverse("people:episode", args=[episode.uuid]),
    })


def _step_page(request, uuid, *, allowed, available, form_class, call, title: str, done: str, form_kwargs=None,
               initial=None, intro: str = ""):
    """One step of a case: the actor's check (403), the state's check (back to the case), the form, the service."""
    case = selectors.case_get(user=request.user, uuid=uuid)
    if not allowed(request.user, case):
        raise PermissionDenied("您不能办理该落户安置的这一步。")
    if not available(case):
        messages.info(request, f"落户安置当前为“{case.get_status_display()}”，不能办理这一步。")
        return redirect("settlement:detail", case.uuid)
    kwargs = form_kwargs(case) if callable(form_kwargs) else (form_kwargs or {})  # choices that depend on the case
    form = form_class(request.POST or None, request.FILES or None, initial=initial or {}, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            call(case, form.cleaned_data, request.FILES.get("document"))
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, done)
            return redirect("settlement:detail", case.uuid)
    return render(request, "settlement/form.html", {
        "form": form, "title": f"{title}：{case.person.name}（{case.number}）", "multipart": True, "intro": intro,
        "case": case, "back_url": reverse("settlement:detail", args=[case.uuid]),
    })


def _today():
    return {"on": timezone.localdate()}


def _station(user, case):
    return access.may_station_act(user, case.station)


@login_required
def plan(request, uuid):
    return _step_page(
        request, uuid, allowed=access.may_department_act, available=lambda c: c.status == S.APPLIED,
        form_class=PlanForm, initial=_today(), title="拟定安置方案报同级人民政府", done="已登记方案报送。",
        call=lambda c, d, f: services.settlement_plan_submit(by=request.user, case=c, on=d["on"],
                                                             government=d["government"],
                                                             plan_summary=d["plan_summary"], document=f))


@login_required
def decide(request, uuid):
    return _step_page(
        request, uuid, allowed=access.may_department_act, available=lambda c: c.status == S.PLAN_SUBMITTED,
        form_class=DecideForm, initial=_today(), title="登记政府批复", done="已登记政府批复。",
        call=lambda c, d, f: services.settlement_decide(by=request.user, case=c, approved=d["decision"] == "approved",
                                                        on=d["on"], approval_ref=d["approval_ref"], note=d["note"],
                                                        document=f))


@login_required
def place(request, uuid):
    kind = request.POST.get("kind") or request.GET.get("kind", "")
    return _step_page(
        request, uuid, allowed=_station, available=lambda c: c.status == S.APPROVED, form_class=PlaceForm,
        form_kwargs=lambda c: {"institutions": selectors.institutions(c, kind), "police": selectors.police_organisations(c)},
        initial={"placed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "kind": "settled"},
        title="办理安置（离站：安置）", done="已安置到福利机构，已办理离站（安置）。",
        intro="安置后本次救助以“安置”离站（床位释放、物品归还）；由所选公安机关办理集体户口（规则S1、S2、E1）。"
              "长期安置（未落户）也可选精神卫生机构（规则S3）。",
        call=lambda c, d, f: services.settlement_place(by=request.user, case=c, kind=d["kind"],
                                                       institution=d["institution"], police=d["police"],
                                                       receiver=d["receiver"], receiver_phone=d["receiver_phone"],
                                                       placed_at=d["placed_at"], reason=d["reason"], document=f))


@login_required
def long_term(request, uuid):
    return _step_page(
        request, uuid, allowed=_station, available=lambda c: c.status == S.PLACED, form_class=LongTermForm,
        initial=_today(), title="长期安置（未落户，规则S3）", done="已登记长期安置（未落户）。",
        call=lambda c, d, f: services.settlement_long_term(by=request.user, case=c, on=d["on"], reason=d["reason"],
                                                           document=f))


@login_required
def hukou(request, uuid):
    return _step_page(
        request, uuid, allowed=access.may_police_act, available=lambda c: c.status in (S.PLACED, S.LONG_TERM),
        form_class=HukouForm, initial=_today(), title="登记户口（集体户，规则S2）", done="已登记户口。",
        call=lambda c, d, f: services.settlement_register_hukou(by=request.user, case=c, on=d["on"],
                                                                number=d["number"], address=d["address"],
                                                                document=f))


@login_required
def enrol(request, uuid):
    return _step_page(
        request, uuid, allowed=lambda u, c: access.enrolment_org(u, c) is not None,
        available=lambda c: c.status == S.REGISTERED, form_class=EnrolForm,
        title="纳入特困人员供养、参加社会保险（规则S2）", done="已登记。",
        call=lambda c, d, f: services.settlement_enrol(by=request.user, case=c,
                                                       organisation=access.enrolment_org(request.user, c),
                                                       tekun_on=d["tekun_on"], insurance_on=d["insurance_on"],
                                                       insurance_note=d["insurance_note"], document=f))


@login_required
def return_home(request, uuid):
    return _step_page(
        request, uuid, allowed=_station, available=lambda c: c.status == S.IDENTIFIED and not c.return_home_on,
        form_class=ReturnHomeForm, initial=_today(), title="登记返乡（规则S4）", done="已登记返乡。",
        call=lambda c, d, f: services.settlement_return_home(by=request.user, case=c, on=d["on"],
                                                             destination=d["destination"], note=d["note"],
                                                             document=f))


@login_required
def cancel_hukou(request, uuid):
    return _step_page(
        request, uuid, allowed=access.may_police_act,
        available=lambda c: c.status == S.IDENTIFIED and c.awaits_cancellation, form_class=CancelForm,
        initial=_today(), title="确认注销重复户口（规则S4）", done="已登记注销重复户口。",
        call=lambda c, d, f: services.settlement_confirm_cancellation(by=request.user, case=c, on=d["on"],
                                                                      ref=d["ref"], document=f))


@login_required
def withdraw(request, uuid):
    return _step_page(
        request, uuid, allowed=_station, available=lambda c: c.status in BEFORE_PLACEMENT, form_class=WithdrawForm,
        title="撤回落户安置申请", done="已撤回。",
        call=lambda c, d, f: services.settlement_withdraw(by=request.user, case=c, reason=d["reason"]))


@login_required
def print_application(request, uuid):
    """落户安置申请书: printable (HTML or PDF, core.printing), audited as an export."""
    case = selectors.case_get(user=request.user, uuid=uuid)
    return print_response(request, "settlement/print_application.html",
                          {"case": case, "steps": selectors.case_steps(case), "now": timezone.now()},
                          filename=f"settlement-{case.number}", organisation=case.station,
                          person_uuid=case.person.uuid, title="落户安置申请书")


@login_required
def step_document(request, uuid):
    step = selectors.step_get(user=request.user, uuid=uuid)
    if not step.document:
        raise Http404("该步骤没有文书。")
    log_read(request, "落户安置文书", objects=[step], person_uuid=step.case.person.uuid)
    ext = step.document.name.rsplit(".", 1)[-1]
    return private_file(step.document, filename=f"{step.case.number}-{step.kind}.{ext}", missing="文书文件不存在。")
