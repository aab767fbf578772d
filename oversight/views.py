"""Pages of the oversight app (rule O3). Four steps each: scoped fetch → form → service → render.

Out of scope → 404 (scoped getters); in scope but not allowed to act → 403 (``oversight.access``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.audit import audit
from core.downloads import private_file
from core.excel import list_export, table_xlsx
from core.models import AuditAction
from core.paging import paginate
from core.printing import print_response
from core.scoping import get_scoped_or_404
from core.validation import is_uuid
from core.views import form_errors_from
from oversight import access, selectors, services
from oversight.forms import (
    AcceptForm,
    AnswerForm,
    AssessmentOpenForm,
    AssignmentForm,
    ChecklistItemForm,
    CloseForm,
    ConcludeForm,
    ContactForm,
    DecideForm,
    EndTermForm,
    FollowUpCloseForm,
    HazardForm,
    IndicatorForm,
    IndicatorSetForm,
    InspectionForm,
    MeetingForm,
    MembershipForm,
    OpinionForm,
    PlanForm,
    ReturnForm,
    ScoresForm,
    SubmitForm,
)
from oversight.models import (
    AssessmentStatus,
    FollowUpItem,
    HazardCategory,
    HazardStatus,
    InspectionResult,
    OpinionStatus,
    PanelMeeting,
    PanelMembership,
    RiskCategory,
)


def _deny(message: str):
    raise PermissionDenied(message)


@login_required
def home(request):
    """The oversight desk: hazard counts, recent inspections, where to inspect."""
    user = request.user
    return render(
        request,
        "oversight/home.html",
        {
            "counts": selectors.hazard_counts(user=user),
            "inspections": selectors.inspection_list(user=user)[:10],
            "overdue": selectors.hazard_list(user=user, overdue=True)[:20],
            "inspectable": [
                o for o in selectors.inspectable_organisations(user)[:200] if access.may_inspect(user, o)
            ],
            "may_edit_checklist": access.may_edit_checklist(user),
        },
    )


# --- the checklist ----------------------------------------------------------------------------------------


@login_required
def checklist(request):
    category = request.GET.get("category", "")
    items = selectors.checklist_list(
        user=request.user, category=category if category in RiskCategory.values else ""
    )
    return render(
        request,
        "oversight/checklist.html",
        {
            "items": items,
            "category": category,
            "categories": RiskCategory.choices,
            "may_edit": access.may_edit_checklist(request.user),
        },
    )


@login_required
def checklist_new(request):
    if not access.may_edit_checklist(request.user):
        _deny("风险防控清单由民政部门的监管员或管理员维护。")
    form = ChecklistItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.checklist_item_create(
                by=request.user,
                organisation=request.user.organisation,
                category=d["category"],
                text=d["text"],
                guidance=d["guidance"],
                order=d["order"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已新增清单项目。")
            return redirect("oversight:checklist")
    return render(
        request,
        "oversight/form.html",
        {"form": form, "title": "新增风险防控清单项目（规则O3）", "back": "oversight:checklist"},
    )


@login_required
def checklist_edit(request, uuid):
    item = selectors.checklist_item_get(user=request.user, uuid=uuid)
    if not (
        access.may_edit_checklist(request.user)
        and (request.user.is_superuser or item.organisation_id == request.user.organisation_id)
    ):
        _deny("只有制定该清单的民政部门可以修改。")
    form = ChecklistItemForm(
        request.POST or None,
        initial={
            "category": item.category,
            "text": item.text,
            "guidance": item.guidance,
            "order": item.order,
            "is_active": item.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.checklist_item_update(
                by=request.user,
                item=item,
                category=d["category"],
                text=d["text"],
                guidance=d["guidance"],
                order=d["order"],
                is_active=d["is_active"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已保存清单项目。")
            return redirect("oversight:checklist")
    return render(
        request,
        "oversight/form.html",
        {"form": form, "title": "修改风险防控清单项目", "back": "oversight:checklist"},
    )


# --- inspections ------------------------------------------------------------------------------------------


@login_required
def inspection_list(request):
    page = paginate(request, selectors.inspection_list(user=request.user))
    return render(request, "oversight/inspection_list.html", page)


@login_required
def inspect(request, uuid):
    """Walk the checklist at one station or facility (on a phone: one card per item, camera for photos)."""
    org = selectors.organisation_get(user=request.user, uuid=uuid)
    if not access.may_inspect(request.user, org):
        _deny("您不能检查该机构：本机构的站长、照料和医护人员，或上级民政部门的监管员可以检查。")
    items = list(services.checklist_for(org))
    form = InspectionForm(
        request.POST or None,
        request.FILES or None,
        items=items,
        initial={"inspected_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            inspection = services.inspection_create(
                by=request.user,
                organisation=org,
                results=form.results(),
                inspected_at=d["inspected_at"],
                participants=d["participants"],
                note=d["note"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            failed = inspection.hazards.count()
            messages.success(
                request,
                f"检查 {inspection.number} 已保存"
                + (f"，{failed} 项隐患已录入隐患台账。" if failed else "，未发现隐患。"),
            )
            return redirect("oversight:inspection", uuid=inspection.uuid)
    return render(
        request,
        "oversight/inspect.html",
        {"form": form, "org": org, "items": items, "default_days": services.hazard_default_days()},
    )


@login_required
def inspection_detail(request, uuid):
    inspection = selectors.inspection_get(user=request.user, uuid=uuid)
    return render(
        request,
        "oversight/inspection_detail.html",
        {
            "inspection": inspection,
            "results": inspection.results.all(),
            "hazards": {h.result_id: h for h in inspection.hazards.all()},
        },
    )


@login_required
def result_photo(request, uuid):
    result = get_scoped_or_404(InspectionResult.objects.select_related("inspection"), request.user, uuid=uuid)
    if not result.photo:
        raise Http404("没有现场照片。")
    return private_file(result.photo, filename=f"{result.inspection.number}.jpg", content_type="image/jpeg",
                        missing="照片文件不存在。")


# --- the hazard ledger ------------------------------------------------------------------------------------


def _ledger(request):
    g = request.GET
    return selectors.hazard_list(
        user=request.user,
        status=g.get("status", "open"),
        organisation=g.get("organisation", "") if is_uuid(g.get("organisation", "")) else "",
        overdue=g.get("overdue") == "1",
        category=g.get("category", "") if g.get("category", "") in HazardCategory.values else "",
    )


@login_required
def hazard_list(request):
    page = paginate(request, _ledger(request))
    today = timezone.localdate()
    for hazard in page["object_list"]:
        hazard.is_overdue = selectors.is_overdue(hazard, today)
    return render(
        request,
        "oversight/hazard_list.html",
        {
            **page,
            "status": request.GET.get("status", "open"),
            "statuses": HazardStatus.choices,
            "category": request.GET.get("category", ""),
            "categories": HazardCategory.choices,
            "organisations": selectors.inspectable_organisations(request.user)[:200],
            "organisation": request.GET.get("organisation", ""),
            "overdue": request.GET.get("overdue") == "1",
            "counts": selectors.hazard_counts(user=request.user),
        },
    )


@login_required
def hazard_xlsx(request):
    """隐患台账 as Excel (the one formula-safe writer), audited as an export."""
    rows = [
        [
            h.number,
            h.organisation.name,
            h.get_category_display(),
            h.description,
            h.source,
            h.found_on,
            h.measures,
            h.responsible,
            h.deadline,
            h.get_status_display(),
            h.rectified_at,
            str(h.rectified_by or ""),
            h.accepted_at,
            str(h.accepted_by or ""),
            h.closed_at,
            str(h.closed_by or ""),
        ]
        for h in _ledger(request)[:20000]
    ]
    audit(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="oversight.hazards",
        object_id="xlsx",
        summary=f"导出隐患台账（{len(rows)} 条）",
        organisation=request.user.organisation,
    )
    book = table_xlsx(
        sheet="隐患台账",
        title=f"隐患台账（导出于 {timezone.localtime():%Y-%m-%d %H:%M}）",
        headers=[
            "隐患编号",
            "责任机构",
            "风险类别",
            "隐患描述",
            "来源",
            "发现日期",
            "整改措施",
            "整改责任人",
            "整改期限",
            "状态",
            "整改完成时间",
            "整改人",
            "验收时间",
            "验收人",
            "销号时间",
            "销号人",
        ],
        rows=rows,
    )
    return book.response(f"隐患台账-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def hazard_new(request):
    orgs = [
        o for o in selectors.inspectable_organisations(request.user) if access.may_inspect(request.user, o)
    ]
    if not orgs:
        _deny("您没有可以登记隐患的机构。")
    from core.models import Organisation

    form = HazardForm(
        request.POST or None,
        organisations=Organisation.objects.filter(pk__in=[o.pk for o in orgs]),
        initial={"found_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            hazard = services.hazard_create(
                by=request.user,
                organisation=d["organisation"],
                category=d["category"],
                description=d["description"],
                found_on=d["found_on"],
                deadline=d["deadline"],
                measures=d["measures"],
                responsible=d["responsible"],
                source=d["source"] or "日常巡查",
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已登记隐患 {hazard.number}。")
            return redirect("oversight:hazard", uuid=hazard.uuid)
    return render(
        request,
        "oversight/form.html",
        {"form": form, "title": "登记隐患（规则O3）", "back": "oversight:hazards"},
    )


@login_required
def hazard_detail(request, uuid):
    hazard = selectors.hazard_get(user=request.user, uuid=uuid)
    user = request.user
    may_rectify = access.may_rectify(user, hazard.organisation)
    may_accept = access.may_accept(user, hazard.organisation) and hazard.rectified_by_id != user.pk
    return render(
        request,
        "oversight/hazard_detail.html",
        {
            "hazard": hazard,
            "steps": hazard.steps.select_related("by"),
            "is_overdue": selectors.is_overdue(hazard),
            "plan_form": PlanForm(initial={"measures": hazard.measures, "responsible": hazard.responsible})
            if may_rectify and hazard.status == HazardStatus.RECTIFYING
            else None,
            "submit_form": SubmitForm() if may_rectify and hazard.status == HazardStatus.RECTIFYING else None,
            "accept_form": AcceptForm() if may_accept and hazard.status == HazardStatus.PENDING else None,
            "close_form": CloseForm()
            if access.may_accept(user, hazard.organisation) and hazard.status == HazardStatus.ACCEPTED
            else None,
            "self_fixed": hazard.status == HazardStatus.PENDING and hazard.rectified_by_id == user.pk,
        },
    )


def apply_form(request, form, call, done: str) -> None:
    """Run ``call(cleaned_data)`` for a valid form; every error (form or service) becomes a Chinese message."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, done)
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)


def _hazard_action(request, uuid, allowed, form_class, call, done: str):
    hazard = selectors.hazard_get(user=request.user, uuid=uuid)
    if not allowed(request.user, hazard.organisation):
        _deny("您不能办理该隐患的这一步。")
    apply_form(request, form_class(request.POST), lambda d: call(hazard, d), done)
    return redirect("oversight:hazard", uuid=hazard.uuid)


@login_required
@require_POST
def hazard_plan(request, uuid):
    return _hazard_action(
        request,
        uuid,
        access.may_rectify,
        PlanForm,
        lambda h, d: services.hazard_plan(
            by=request.user, hazard=h, measures=d["measures"], responsible=d["responsible"]
        ),
        "已保存整改措施。",
    )


@login_required
@require_POST
def hazard_submit(request, uuid):
    return _hazard_action(
        request,
        uuid,
        access.may_rectify,
        SubmitForm,
        lambda h, d: services.hazard_submit(by=request.user, hazard=h, rectification=d["rectification"]),
        "已提交验收。",
    )


@login_required
@require_POST
def hazard_accept(request, uuid):
    def call(h, d):
        if d["decision"] == "accept":
            return services.hazard_accept(by=request.user, hazard=h, note=d["note"])
        return services.hazard_reject(by=request.user, hazard=h, note=d["note"])

    return _hazard_action(request, uuid, access.may_accept, AcceptForm, call, "已记录验收结论。")


@login_required
@require_POST
def hazard_close(request, uuid):
    return _hazard_action(
        request,
        uuid,
        access.may_accept,
        CloseForm,
        lambda h, d: services.hazard_close(by=request.user, hazard=h, note=d["note"]),
        "隐患已销号。",
    )


@login_required
def hazard_print(request, uuid):
    """隐患整改通知书: printable (HTML or PDF)."""
    hazard = selectors.hazard_get(user=request.user, uuid=uuid)
    return print_response(
        request,
        "oversight/print_hazard.html",
        {"hazard": hazard, "now": timezone.now()},
        filename=f"hazard-{hazard.number}",
        organisation=hazard.organisation,
        title="隐患整改通知书",
    )


# --- the supervision panel (rules O2, T10, E3) ---------------------------------------------------------------


@login_required
def panel_index(request):
    """Every station's panel in reach: size, leader/deputy/care professional, expiring terms, open opinions."""
    rows = []
    for station in selectors.panel_stations(request.user)[:200]:
        rows.append(
            {
                "station": station,
                "members": list(services.current_members(station)),
                "issues": services.panel_issues(station),
                "expiring": list(selectors.expiring_terms(station)),
                "open_opinions": selectors.opinion_list(user=request.user, station=station)
                .exclude(status=OpinionStatus.ACCEPTED)
                .count(),
            }
        )
    return render(request, "oversight/panel_index.html", {"rows": rows})


@login_required
def panel(request, uuid):
    station = selectors.panel_station_get(user=request.user, uuid=uuid)
    user = request.user
    return render(
        request,
        "oversight/panel.html",
        {
            "station": station,
            "memberships": PanelMembership.objects.filter(station=station)
            .select_related("member", "employer_org")
            .order_by("ended_on", "panel_role", "term_start"),
            "issues": services.panel_issues(station),
            "expiring": list(selectors.expiring_terms(station)),
            "today": timezone.localdate(),
            "meetings": PanelMeeting.objects.filter(station=station).prefetch_related("attendees__member")[
                :20
            ],
            "opinions": selectors.opinion_list(user=user, station=station)[:50],
            "may_manage": access.may_manage_panel(user, station),
            "may_speak": access.may_speak_for_panel(user, station),
            "report_url": _report_url(station),
        },
    )


def _report_url(station) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("tracing:report", args=[station.uuid])  # rule T10: the monthly report the panel reads
    except NoReverseMatch:
        return ""


def _require_manage(request, station):
    if not access.may_manage_panel(request.user, station):
        _deny("监督组成员由该救助机构的主管民政部门聘任。")


@login_required
def member_new(request, uuid):
    from core.models import Organisation, OrgKind, User

    station = selectors.panel_station_get(user=request.user, uuid=uuid)
    _require_manage(request, station)
    members = User.objects.filter(organisation__kind=OrgKind.SUPERVISION, is_active=True).order_by(
        "full_name"
    )
    form = MembershipForm(
        request.POST or None,
        members=members,
        organisations=Organisation.objects.exclude(kind=OrgKind.SUPERVISION).order_by("name"),
        initial={"term_start": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.panel_member_add(
                by=request.user,
                station=station,
                member=d["member"],
                panel_role=d["panel_role"],
                employer=d["employer"],
                employer_org=d["employer_org"],
                profession=d["profession"],
                is_care_professional=d["is_care_professional"],
                term_start=d["term_start"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已聘任监督员，任期一年。")
            return redirect("oversight:panel", uuid=station.uuid)
    return render(
        request,
        "oversight/form.html",
        {
            "form": form,
            "title": f"聘任监督员：{station.name}（规则O2）",
            "intro": "监督组3–5人，设组长、副组长各一名，至少一名照料/医护专业人员；"
            "本站签约托养机构的工作人员不能担任；任期一年。",
        },
    )


@login_required
@require_POST
def member_end(request, uuid):
    membership = selectors.membership_get(user=request.user, uuid=uuid)
    _require_manage(request, membership.station)
    form = EndTermForm(request.POST)
    if form.is_valid():
        try:
            services.panel_member_end(
                by=request.user, membership=membership, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"{membership.member} 已离任。")
    else:
        messages.error(request, "请填写离任原因。")
    return redirect("oversight:panel", uuid=membership.station.uuid)


@login_required
@require_POST
def member_renew(request, uuid):
    membership = selectors.membership_get(user=request.user, uuid=uuid)
    _require_manage(request, membership.station)
    try:
        services.panel_member_renew(by=request.user, membership=membership)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{membership.member} 已续聘一年。")
    return redirect("oversight:panel", uuid=membership.station.uuid)


@login_required
def meeting_new(request, uuid):
    station = selectors.panel_station_get(user=request.user, uuid=uuid)
    if not access.may_speak_for_panel(request.user, station):
        _deny("会议由监督组成员记录。")
    form = MeetingForm(
        request.POST or None,
        memberships=services.current_members(station),
        initial={"held_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        lines = [line.strip() for line in (d["opinions"] or "").splitlines() if line.strip()]
        try:
            with transaction.atomic():
                meeting = services.meeting_create(
                    by=request.user,
                    station=station,
                    held_at=d["held_at"],
                    topic=d["topic"],
                    minutes=d["minutes"],
                    attendees=list(d["attendees"]),
                )
                for line in lines:
                    services.opinion_create(
                        by=request.user, station=station, text=line, meeting=meeting, raised_at=d["held_at"]
                    )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已记录会议{f'和 {len(lines)} 条意见' if lines else ''}。")
            return redirect("oversight:panel", uuid=station.uuid)
    return render(
        request, "oversight/form.html", {"form": form, "title": f"监督组会议：{station.name}（规则O2）"}
    )


@login_required
def meeting_detail(request, uuid):
    meeting = selectors.meeting_get(user=request.user, uuid=uuid)
    return render(
        request,
        "oversight/meeting_detail.html",
        {
            "meeting": meeting,
            "attendees": meeting.attendees.select_related("member"),
            "opinions": meeting.opinions.all(),
        },
    )


@login_required
def opinion_new(request, uuid):
    station = selectors.panel_station_get(user=request.user, uuid=uuid)
    if not access.may_speak_for_panel(request.user, station):
        _deny("意见由监督组成员提出。")
    form = OpinionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            opinion = services.opinion_create(
                by=request.user, station=station, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已记录意见 {opinion.number}，请救助机构在规定期限内答复。")
            return redirect("oversight:opinion", uuid=opinion.uuid)
    return render(request, "oversight/form.html", {"form": form, "title": f"监督组意见：{station.name}"})


@login_required
def opinion_list(request):
    status = request.GET.get("status", "")
    page = paginate(request, selectors.opinion_list(user=request.user, status=status))
    return render(
        request, "oversight/opinion_list.html", {**page, "status": status, "statuses": OpinionStatus.choices}
    )


@login_required
def opinion_xlsx(request):
    """监督组意见台账 as Excel."""
    rows = [
        [
            o.number,
            o.station.name,
            o.raised_at,
            str(o.raised_by),
            o.text,
            o.get_status_display(),
            o.measures,
            o.measures_due,
            o.answered_at,
            str(o.answered_by or ""),
            o.decided_at,
            o.panel_note,
        ]
        for o in selectors.opinion_list(user=request.user, status=request.GET.get("status", ""))[:20000]
    ]
    audit(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="oversight.opinions",
        object_id="xlsx",
        summary=f"导出监督组意见台账（{len(rows)} 条）",
        organisation=request.user.organisation,
    )
    book = table_xlsx(
        sheet="监督组意见",
        title=f"监督组意见台账（导出于 {timezone.localtime():%Y-%m-%d %H:%M}）",
        headers=[
            "编号",
            "救助机构",
            "提出时间",
            "提出人",
            "意见建议",
            "状态",
            "整改措施",
            "完成日期",
            "答复时间",
            "答复人",
            "确认时间",
            "监督组意见",
        ],
        rows=rows,
    )
    return book.response(f"监督组意见台账-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def opinion_detail(request, uuid):
    opinion = selectors.opinion_get(user=request.user, uuid=uuid)
    user = request.user
    return render(
        request,
        "oversight/opinion_detail.html",
        {
            "opinion": opinion,
            "answer_form": AnswerForm(
                initial={"measures": opinion.measures, "measures_due": opinion.measures_due}
            )
            if opinion.status == OpinionStatus.OPEN and access.may_answer_panel(user, opinion.station)
            else None,
            "decide_form": DecideForm()
            if opinion.status == OpinionStatus.ANSWERED and access.may_speak_for_panel(user, opinion.station)
            else None,
        },
    )


@login_required
@require_POST
def opinion_answer(request, uuid):
    opinion = selectors.opinion_get(user=request.user, uuid=uuid)
    if not access.may_answer_panel(request.user, opinion.station):
        _deny("监督组意见由救助机构站长答复。")
    form = AnswerForm(request.POST)
    apply_form(
        request,
        form,
        lambda d: services.opinion_answer(
            by=request.user, opinion=opinion, measures=d["measures"], measures_due=d["measures_due"]
        ),
        "已答复。",
    )
    return redirect("oversight:opinion", uuid=opinion.uuid)


@login_required
@require_POST
def opinion_decide(request, uuid):
    opinion = selectors.opinion_get(user=request.user, uuid=uuid)
    if not access.may_speak_for_panel(request.user, opinion.station):
        _deny("答复由监督组成员确认。")
    form = DecideForm(request.POST)
    apply_form(
        request,
        form,
        lambda d: services.opinion_decide(
            by=request.user, opinion=opinion, accept=d["decision"] == "accept", note=d["note"]
        ),
        "已记录监督组结论。",
    )
    return redirect("oversight:opinion", uuid=opinion.uuid)


# --- the leader contact system (rule O1) ----------------------------------------------------------------------


@login_required
def leaders(request):
    """The department sees who is overdue; a leader sees their own assignment and what is due (on a phone)."""
    user = request.user
    assignments = list(selectors.leader_assignments(user=user))
    status = selectors.leader_status(assignments)
    for a in assignments:
        a.status = status.get(a.pk)
        a.last_contact = a.contacts.order_by("-contacted_at").first()
        a.open_items = FollowUpItem.objects.filter(contact__assignment=a, closed_at__isnull=True).count()
    mine = [a for a in assignments if a.leader_id == user.pk]
    return render(
        request,
        "oversight/leaders.html",
        {
            "assignments": assignments,
            "mine": mine,
            "may_assign": access.may_assign_leaders(user, user.organisation),
        },
    )


@login_required
def assignment_new(request):
    from core.models import Organisation, User
    from core.scoping import subtree_org_ids

    department = request.user.organisation
    if not access.may_assign_leaders(request.user, department):
        _deny("领导定点联系由民政部门的监管员或管理员安排。")
    form = AssignmentForm(
        request.POST or None,
        leaders=User.objects.filter(organisation=department, is_active=True).order_by("full_name"),
        institutions=Organisation.objects.filter(pk__in=subtree_org_ids([department.pk]))
        .exclude(pk=department.pk)
        .filter(kind__in=access.INSPECTED_KINDS)
        .order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.leader_assign(
                by=request.user,
                leader=d["leader"],
                leader_role=d["leader_role"],
                institution=d["institution"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已安排定点联系。")
            return redirect("oversight:leaders")
    return render(
        request,
        "oversight/form.html",
        {
            "form": form,
            "title": "安排领导定点联系（规则O1）",
            "back": "oversight:leaders",
            "intro": "主要领导联系市级救助管理机构（每半年至少一次），分管领导联系县级救助管理机构（每季度至少一次），"
            "科室负责人联系县级救助管理机构或托养机构（每月至少一次）。",
        },
    )


@login_required
def assignment_detail(request, uuid):
    assignment = selectors.assignment_get(user=request.user, uuid=uuid)
    may_record = access.may_record_contact(request.user, assignment) and assignment.ended_at is None
    form = ContactForm(
        request.POST or None, initial={"contacted_at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    if request.method == "POST":
        if not may_record:
            _deny("联系记录由联系领导本人或民政部门监管员填写。")
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.contact_record(
                    by=request.user,
                    assignment=assignment,
                    contacted_at=d["contacted_at"],
                    method=d["method"],
                    problems=d["problems"],
                    follow_up=d["follow_up"],
                    items=form.items(),
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "已记录联系情况。")
                return redirect("oversight:assignment", uuid=assignment.uuid)
    contacts = list(assignment.contacts.select_related("recorded_by").prefetch_related("items__closed_by"))
    for contact in contacts:
        for item in contact.items.all():
            item.may_close = item.closed_at is None and access.may_close_followup(request.user, item)
    return render(
        request,
        "oversight/assignment.html",
        {
            "assignment": assignment,
            "contacts": contacts,
            "form": form if may_record else None,
            "status": selectors.leader_status([assignment]).get(assignment.pk),
            "may_end": access.may_assign_leaders(request.user, assignment.department)
            and assignment.ended_at is None,
            "close_form": FollowUpCloseForm(),
        },
    )


@login_required
@require_POST
def assignment_end(request, uuid):
    assignment = selectors.assignment_get(user=request.user, uuid=uuid)
    if not access.may_assign_leaders(request.user, assignment.department):
        _deny("领导定点联系由民政部门的监管员或管理员安排。")
    try:
        services.leader_unassign(by=request.user, assignment=assignment)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "已结束定点联系。")
    return redirect("oversight:assignment", uuid=assignment.uuid)


@login_required
@require_POST
def followup_close(request, uuid):
    item = selectors.followup_get(user=request.user, uuid=uuid)
    if not access.may_close_followup(request.user, item):
        _deny("跟进事项由联系领导、民政部门或联系机构站长办结。")
    apply_form(
        request,
        FollowUpCloseForm(request.POST),
        lambda d: services.followup_close(by=request.user, item=item, note=d["note"]),
        "事项已办结。",
    )
    return redirect("oversight:assignment", uuid=item.contact.assignment.uuid)


@login_required
def contacts_xlsx(request):
    """领导定点联系台账 as Excel."""
    rows = []
    for a in selectors.leader_assignments(user=request.user, current=False):
        for c in a.contacts.prefetch_related("items"):
            items = "；".join(
                f"{i.text}（{'已办结' if i.closed_at else f'期限 {i.due_on}'}）" for i in c.items.all()
            )
            rows.append(
                [
                    a.department.name,
                    str(a.leader),
                    a.get_leader_role_display(),
                    a.institution.name,
                    c.contacted_at,
                    c.get_method_display(),
                    c.problems,
                    c.follow_up,
                    items,
                ]
            )
    audit(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="oversight.leader_contacts",
        object_id="xlsx",
        summary=f"导出领导定点联系台账（{len(rows)} 条）",
        organisation=request.user.organisation,
    )
    return table_xlsx(
        sheet="领导联系",
        title="领导定点联系台账",
        headers=[
            "民政部门",
            "联系领导",
            "职务",
            "联系机构",
            "联系时间",
            "方式",
            "发现的问题",
            "跟进措施",
            "跟进事项",
        ],
        rows=rows,
    ).response(f"领导定点联系台账-{timezone.localdate():%Y%m%d}.xlsx")


# --- assessment (考核评价, rule O5) -----------------------------------------------------------------------------


def _year(value) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 2000 <= year <= 2100 else None


@login_required
def indicator_sets(request):
    """The years' indicator sets: the department's own (editable until used) and those that apply to a station."""
    user = request.user
    return render(
        request,
        "oversight/indicator_sets.html",
        {"sets": selectors.indicator_sets(user=user)[:100], "may_edit": access.may_edit_checklist(user)},
    )


@login_required
def indicator_set_new(request):
    user = request.user
    if not access.may_edit_checklist(user) or user.organisation is None:
        _deny("考核指标由民政部门的监管员或管理员制定。")
    form = IndicatorSetForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            indicator_set = services.indicator_set_create(
                by=user, department=user.organisation, year=d["year"], title=d["title"]
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已建立年度考核指标，请逐项添加指标。")
            return redirect("oversight:indicator_set", uuid=indicator_set.uuid)
    return render(
        request,
        "oversight/form.html",
        {"form": form, "title": "制定年度考核指标（规则O5）", "back": "oversight:indicator_sets"},
    )


@login_required
def indicator_set_detail(request, uuid):
    """A year's indicators with their weights; the department adds indicators here until the set is frozen."""
    indicator_set = selectors.indicator_set_get(user=request.user, uuid=uuid)
    frozen = services.indicator_set_frozen(indicator_set)
    may_edit = access.may_edit_indicators(request.user, indicator_set) and not frozen
    form = IndicatorForm(request.POST or None) if may_edit else None
    if request.method == "POST":
        if form is None:
            _deny("该年度考核指标已被使用或不由您维护，不能修改（规则O5）。")
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.indicator_create(by=request.user, indicator_set=indicator_set, **d)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "已添加指标。")
                return redirect("oversight:indicator_set", uuid=indicator_set.uuid)
    indicators = list(indicator_set.indicators.all())
    return render(
        request,
        "oversight/indicator_set.html",
        {
            "set": indicator_set,
            "indicators": indicators,
            "total_max": sum(i.max_score for i in indicators),
            "total_weight": sum(i.weight for i in indicators),
            "frozen": frozen,
            "may_edit": may_edit,
            "form": form,
        },
    )


@login_required
def indicator_edit(request, uuid):
    indicator = selectors.indicator_get(user=request.user, uuid=uuid)
    indicator_set = indicator.indicator_set
    if not access.may_edit_indicators(request.user, indicator_set):
        _deny("考核指标只能由制定它的民政部门修改。")
    form = IndicatorForm(
        request.POST or None,
        initial={
            f: getattr(indicator, f)
            for f in ("category", "text", "guidance", "max_score", "weight", "threshold", "order")
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_update(by=request.user, indicator=indicator, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已保存指标。")
            return redirect("oversight:indicator_set", uuid=indicator_set.uuid)
    return render(
        request,
        "oversight/form.html",
        {
            "form": form,
            "title": f"修改考核指标（{indicator_set.year}年度）",
            "intro": "已被考核使用的年度指标不能修改（规则O5）。" if services.indicator_set_frozen(indicator_set) else "",
            "back": "oversight:indicator_sets",
        },
    )


@login_required
@require_POST
def indicator_delete(request, uuid):
    indicator = selectors.indicator_get(user=request.user, uuid=uuid)
    if not access.may_edit_indicators(request.user, indicator.indicator_set):
        _deny("考核指标只能由制定它的民政部门修改。")
    try:
        services.indicator_delete(by=request.user, indicator=indicator)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "已删除指标。")
    return redirect("oversight:indicator_set", uuid=indicator.indicator_set.uuid)


def _assessment_filters(request) -> dict:
    g = request.GET
    return {
        "year": _year(g.get("year")),
        "status": g.get("status", "") if g.get("status", "") in AssessmentStatus.values else "",
        "station": g.get("station", "") if is_uuid(g.get("station", "")) else "",
    }


@login_required
def assessment_list(request):
    filters = _assessment_filters(request)
    page = paginate(request, selectors.assessment_list(user=request.user, **filters))
    return render(
        request,
        "oversight/assessment_list.html",
        {
            **page,
            **filters,
            "statuses": AssessmentStatus.choices,
            "may_open": selectors.assessable_stations(request.user).exists(),
            "may_edit_indicators": access.may_edit_checklist(request.user),
        },
    )


@login_required
def assessment_new(request):
    user = request.user
    stations = selectors.assessable_stations(user)
    if not stations.exists():
        _deny("考核由被考核机构的主管民政部门（监管员、管理员）发起。")
    form = AssessmentOpenForm(
        request.POST or None,
        stations=stations,
        evaluators=selectors.evaluator_organisations(user),
        initial={"year": timezone.localdate().year, "evaluator_org": user.organisation},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            assessment = services.assessment_open(
                by=user,
                station=d["station"],
                year=d["year"],
                evaluator_org=d["evaluator_org"],
                self_due_on=d["self_due_on"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已发起考核 {assessment.number}，等待机构自评。")
            return redirect("oversight:assessment", uuid=assessment.uuid)
    return render(
        request,
        "oversight/form.html",
        {
            "form": form,
            "title": "发起年度考核评价（规则O5）",
            "intro": "每个救助管理机构每年一次；发起后该年度的考核指标即不能再修改。",
            "back": "oversight:assessments",
        },
    )


@login_required
def assessment_detail(request, uuid):
    """The self-assessment and the third-party evaluation side by side, with differences and weighted totals."""
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    user = request.user
    rows = selectors.assessment_rows(assessment)
    status = assessment.status
    return render(
        request,
        "oversight/assessment_detail.html",
        {
            "a": assessment,
            "rows": rows,
            "totals": services.assessment_totals(assessment, rows),
            "may_self": status == AssessmentStatus.DRAFT and access.may_self_assess(user, assessment),
            "may_evaluate": status == AssessmentStatus.SELF_ASSESSED and access.may_evaluate(user, assessment),
            "return_form": ReturnForm()
            if status == AssessmentStatus.SELF_ASSESSED and access.may_evaluate(user, assessment)
            else None,
            "may_conclude": status == AssessmentStatus.EVALUATED and access.may_conclude(user, assessment),
            "self_overdue": status == AssessmentStatus.DRAFT and assessment.self_due_on < timezone.localdate(),
        },
    )


def _scores_page(request, uuid, *, side: str):
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    user = request.user
    if side == "self":
        allowed = access.may_self_assess(user, assessment)
        title, summary_label, initial = "自评", "自评总结", assessment.self_summary
        denial = "自评由被考核机构填写，站长提交。"
    else:
        allowed = access.may_evaluate(user, assessment)
        title, summary_label, initial = "第三方评估", "评估意见", assessment.evaluation_summary
        denial = "第三方评估由评估机构或主管民政部门录入。"
    if not allowed:
        _deny(denial)
    editable = assessment.status == (
        AssessmentStatus.DRAFT if side == "self" else AssessmentStatus.SELF_ASSESSED
    )
    rows = selectors.assessment_rows(assessment)
    form = ScoresForm(
        request.POST if request.method == "POST" and editable else None,
        rows=rows,
        side=side,
        summary_label=summary_label,
        initial={"summary": initial},
    )
    if request.method == "POST":
        if not editable:
            messages.error(request, f"考核当前为“{assessment.get_status_display()}”，不能修改{title}。")
            return redirect("oversight:assessment", uuid=assessment.uuid)
        if form.is_valid():
            submit = form.cleaned_data["action"] == "submit"
            if side == "self" and submit and not access.may_self_assess(user, assessment, submit=True):
                _deny("自评由站长提交。")
            save = services.self_assessment_save if side == "self" else services.evaluation_save
            try:
                save(
                    by=user,
                    assessment=assessment,
                    scores=form.scores(),
                    summary=form.cleaned_data["summary"],
                    submit=submit,
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"已{'提交' if submit else '保存'}{title}。")
                if submit:
                    return redirect("oversight:assessment", uuid=assessment.uuid)
                return redirect(request.path)
    return render(
        request,
        "oversight/assessment_scores.html",
        {
            "a": assessment,
            "form": form,
            "title": title,
            "side": side,
            "editable": editable,
            "may_submit": side != "self" or access.may_self_assess(user, assessment, submit=True),
        },
    )


@login_required
def assessment_self(request, uuid):
    return _scores_page(request, uuid, side="self")


@login_required
def assessment_evaluate(request, uuid):
    return _scores_page(request, uuid, side="eval")


@login_required
@require_POST
def assessment_return(request, uuid):
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    if not access.may_evaluate(request.user, assessment):
        _deny("只有评估机构或主管民政部门可以退回自评。")
    apply_form(
        request,
        ReturnForm(request.POST),
        lambda d: services.self_assessment_return(by=request.user, assessment=assessment, reason=d["reason"]),
        "已退回自评。",
    )
    return redirect("oversight:assessment", uuid=assessment.uuid)


@login_required
def assessment_conclude(request, uuid):
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    if not access.may_conclude(request.user, assessment):
        _deny("考核由组织考核的民政部门办结。")
    form = ConcludeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.assessment_conclude(
                by=request.user,
                assessment=assessment,
                conclusion=d["conclusion"],
                grade=d["grade"],
                deadline=d["deadline"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            opened = assessment.scores.filter(hazard__isnull=False).count()
            messages.success(
                request, f"考核已办结，{opened} 项问题已录入隐患台账。" if opened else "考核已办结，没有需要整改的问题。"
            )
            return redirect("oversight:assessment", uuid=assessment.uuid)
    return render(
        request,
        "oversight/assessment_conclude.html",
        {
            "a": assessment,
            "form": form,
            "shortfalls": [r for r in selectors.assessment_rows(assessment) if r.shortfall],
            "default_days": services.hazard_default_days(),
        },
    )


def _comparison_rows(assessment, rows, totals):
    out = [
        [
            r.indicator.category,
            r.indicator.text,
            r.indicator.max_score,
            r.indicator.weight,
            r.indicator.threshold,
            r.self_score,
            r.self_remark,
            r.eval_score,
            r.eval_remark,
            r.difference,
            r.eval_weighted,
            "是" if r.shortfall else "",
            r.hazard.number if r.hazard else "",
        ]
        for r in rows
    ]
    out.append(
        [
            "合计",
            f"{totals['count']} 项",
            totals["full"],
            totals["weight"],
            "",
            totals["self"]["raw"],
            f"加权得分（百分制）{totals['self']['weighted']}",
            totals["eval"]["raw"],
            f"加权得分（百分制）{totals['eval']['weighted']}",
            totals["difference"],
            totals["eval"]["weighted"],
            totals["shortfalls"],
            "",
        ]
    )
    return out


@login_required
def assessment_xlsx(request, uuid):
    """The comparison as Excel through the one list exporter (audited with the assessment)."""
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    rows = selectors.assessment_rows(assessment)
    totals = services.assessment_totals(assessment, rows)
    return list_export(
        request,
        title=f"{assessment.station.name}{assessment.year}年度考核评价对照表",
        headers=[
            "指标类别",
            "评价内容",
            "分值",
            "权重",
            "达标分",
            "自评得分",
            "自评说明",
            "评估得分",
            "评估说明",
            "差异（评估−自评）",
            "评估加权得分",
            "未达标",
            "整改隐患编号",
        ],
        rows=_comparison_rows(assessment, rows, totals),
        filename=f"考核评价-{assessment.number}",
        filters={"考核": assessment.number},
        organisation=assessment.station,
    )


@login_required
def assessment_print(request, uuid):
    """考核评价报告: printable (HTML or PDF), audited by the print layer."""
    assessment = selectors.assessment_get(user=request.user, uuid=uuid)
    rows = selectors.assessment_rows(assessment)
    return print_response(
        request,
        "oversight/print_assessment.html",
        {
            "a": assessment,
            "rows": rows,
            "totals": services.assessment_totals(assessment, rows),
            "now": timezone.now(),
        },
        filename=f"assessment-{assessment.number}",
        organisation=assessment.station,
        title="考核评价报告",
    )
