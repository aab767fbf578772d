"""Pages of the staff app (rule O6): scoped fetch → form → service → render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.audit import audit
from core.excel import table_xlsx
from core.models import AuditAction
from core.paging import paginate
from core.scoping import get_scoped_or_404
from core.views import form_errors_from
from oversight.views import apply_form
from staff import access, selectors, services
from staff.forms import ExamForm, LeaveForm, PeriodForm, StaffForm, TrainingForm
from staff.models import TrainingKind


def _org(request, uuid):
    org = get_scoped_or_404(selectors.staff_organisations(request.user), request.user, uuid=uuid)
    if not access.may_manage(request.user, org):
        raise PermissionDenied("工作人员和培训记录由本机构站长或管理员维护。")
    return org


def _org_filter(request) -> str:
    value = request.GET.get("organisation", "")
    return value if len(value) == 36 else ""


@login_required
def staff_list(request):
    current = request.GET.get("all") != "1"
    qs = selectors.staff_list(user=request.user, organisation=_org_filter(request), current=current)
    audit(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="staff.list",
        object_id="list",
        summary="查看工作人员名册",
        organisation=request.user.organisation,
    )
    orgs = list(selectors.staff_organisations(request.user)[:200])
    return render(
        request,
        "staff/list.html",
        {
            **paginate(request, qs),
            "organisations": orgs,
            "organisation": _org_filter(request),
            "current": current,
            "managed": [o for o in orgs if access.may_manage(request.user, o)],
        },
    )


@login_required
def staff_xlsx(request):
    rows = [
        [
            s.organisation.name,
            s.name,
            s.post,
            s.qualifications,
            s.get_social_worker_cert_display(),
            s.cert_number,
            s.hired_on,
            s.left_on,
            s.n_trainings,
        ]
        for s in selectors.staff_list(
            user=request.user, organisation=_org_filter(request), current=request.GET.get("all") != "1"
        )[:20000]
    ]
    audit(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="staff.list",
        object_id="xlsx",
        summary=f"导出工作人员名册（{len(rows)} 人）",
        organisation=request.user.organisation,
    )
    return table_xlsx(
        sheet="工作人员",
        title="工作人员名册",
        headers=[
            "机构",
            "姓名",
            "岗位",
            "学历/资格",
            "社工证书",
            "证书编号",
            "入职日期",
            "离职日期",
            "参训次数",
        ],
        rows=rows,
    ).response(f"工作人员名册-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def staff_new(request, uuid):
    org = _org(request, uuid)
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.staff_create(by=request.user, organisation=org, data=form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已登记 {member.name}。")
            return redirect("staff:list")
    return render(request, "staff/form.html", {"form": form, "title": f"登记工作人员：{org.name}"})


@login_required
def staff_edit(request, uuid):
    member = selectors.staff_get(user=request.user, uuid=uuid)
    may_manage = access.may_manage(request.user, member.organisation)
    form = StaffForm(
        request.POST or None,
        initial={
            f: getattr(member, f)
            for f in ("name", "post", "qualifications", "social_worker_cert", "cert_number", "hired_on")
        },
    )
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("工作人员记录由本机构站长或管理员维护。")
        if form.is_valid():
            try:
                services.staff_update(by=request.user, staff=member, data=form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "已保存。")
                return redirect("staff:edit", uuid=member.uuid)
    return render(
        request,
        "staff/staff_detail.html",
        {
            "member": member,
            "form": form if may_manage else None,
            "leave_form": LeaveForm() if may_manage else None,
            "trainings": member.trainings.order_by("-held_on")[:50],
            "tests": member.tests.order_by("-taken_on")[:50],
        },
    )


@login_required
@require_POST
def staff_leave(request, uuid):
    member = selectors.staff_get(user=request.user, uuid=uuid)
    if not access.may_manage(request.user, member.organisation):
        raise PermissionDenied("工作人员记录由本机构站长或管理员维护。")
    apply_form(
        request,
        LeaveForm(request.POST),
        lambda d: services.staff_leave(by=request.user, staff=member, on=d["left_on"]),
        "已登记离职。",
    )
    return redirect("staff:edit", uuid=member.uuid)


@login_required
def training_list(request):
    qs = selectors.training_list(user=request.user, organisation=_org_filter(request))
    orgs = list(selectors.staff_organisations(request.user)[:200])
    return render(
        request,
        "staff/training_list.html",
        {
            **paginate(request, qs),
            "organisations": orgs,
            "organisation": _org_filter(request),
            "managed": [o for o in orgs if access.may_manage(request.user, o)],
        },
    )


@login_required
def training_xlsx(request):
    rows = [
        [
            t.organisation.name,
            t.held_on,
            t.topic,
            t.get_kind_display(),
            t.hours,
            t.days,
            t.trainer,
            t.n,
            "、".join(a.name for a in t.attendees.all()),
        ]
        for t in selectors.training_list(
            user=request.user, organisation=_org_filter(request)
        ).prefetch_related("attendees")[:20000]
    ]
    audit(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="staff.training",
        object_id="xlsx",
        summary=f"导出培训台账（{len(rows)} 次）",
        organisation=request.user.organisation,
    )
    return table_xlsx(
        sheet="培训台账",
        title="培训台账",
        headers=[
            "机构",
            "日期",
            "主题",
            "方式",
            "时长（小时）",
            "脱产天数",
            "授课人/主办单位",
            "人数",
            "参训人员",
        ],
        rows=rows,
    ).response(f"培训台账-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def training_new(request, uuid):
    org = _org(request, uuid)
    form = TrainingForm(
        request.POST or None,
        staff=services.active_staff(org),
        initial={
            "held_at": timezone.localtime().replace(second=0, microsecond=0),
            "hours": 2,
            "kind": TrainingKind.INTERNAL,
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.training_create(
                by=request.user,
                organisation=org,
                topic=d["topic"],
                held_at=d["held_at"],
                hours=d["hours"],
                kind=d["kind"],
                days=d["days"] or 0,
                trainer=d["trainer"],
                attendees=list(d["attendees"]),
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已记录培训。")
            return redirect("staff:training_list")
    return render(request, "staff/form.html", {"form": form, "title": f"记录培训：{org.name}（规则O6）"})


@login_required
def training_detail(request, uuid):
    session = selectors.training_get(user=request.user, uuid=uuid)
    return render(
        request,
        "staff/training_detail.html",
        {
            "session": session,
            "attendees": session.attendees.all(),
            "tests": session.tests.select_related("staff"),
        },
    )


@login_required
def exam_new(request, uuid):
    org = _org(request, uuid)
    form = ExamForm(
        request.POST or None, staff=services.active_staff(org), initial={"taken_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.exam_record(
                by=request.user,
                staff=d["staff"],
                subject=d["subject"],
                taken_on=d["taken_on"],
                score=d["score"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已登记成绩。")
            return redirect("staff:exam_new", uuid=org.uuid)
    return render(
        request,
        "staff/form.html",
        {
            "form": form,
            "title": f"登记业务考试成绩：{org.name}",
            "intro": f"合格分数线 {services.pass_mark()} 分。",
        },
    )


@login_required
def figures(request):
    """The staff lines of the campaign summary table (情况汇总表) for every organisation in scope."""
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, initial={"start": today.replace(month=1, day=1), "end": today})
    start, end = today.replace(month=1, day=1), today
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if end < start or end - start > datetime.timedelta(days=3660):
            start, end = end.replace(month=1, day=1), end
    rows = services.campaign_figures(selectors.staff_organisations(request.user)[:200], start, end)
    totals = {
        k: sum(r[k] for r in rows) for k in ("staff", "off_job_2_days", "tested", "certified", "sessions")
    }
    return render(
        request,
        "staff/figures.html",
        {"form": form, "rows": rows, "totals": totals, "start": start, "end": end},
    )
