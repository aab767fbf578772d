"""Pages of the outside-care app (rules C4, C5, C6). Four steps each: scoped fetch → form → service → render.
Outsiders get 404 (they never find the object); users who may read but not act get 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from core.downloads import private_file
from core.excel import list_export, wants_xlsx
from core.models import STATION_KINDS
from core.paging import paginate
from core.views import form_errors_from
from outsidecare import access, selectors, services
from outsidecare.forms import (
    AgreementForm,
    BringBackPlanForm,
    CarryOutForm,
    ConditionReportForm,
    FacilityReportForm,
    PanelInspectionForm,
    PostingForm,
    TerminateForm,
    VisitForm,
)
from outsidecare.models import VisitKind


def _deny(message: str):
    raise PermissionDenied(message)


def _station(request):
    org = request.user.organisation
    if org is None or org.kind not in STATION_KINDS:
        _deny("只有救助管理机构的工作人员可以办理。")
    return org


def _local(at):
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


@login_required
def home(request):
    """站外托养: for a station its facilities, people out and plans; for a hospital or facility its people."""
    return render(request, "outsidecare/home.html", {"desk": selectors.desk(user=request.user)})


# --- agreements ---------------------------------------------------------------------------------------------


@login_required
def agreement_list(request):
    in_force = request.GET.get("in_force") == "1"
    qs = selectors.agreement_list(user=request.user, in_force=in_force or None)
    if wants_xlsx(request):
        return list_export(
            request, title="托养协议", filename="托养协议", filters={"在有效期内": in_force},
            headers=["协议编号", "救助机构", "托养机构", "机构类别", "选择理由", "签订日期", "有效期起", "有效期止",
                     "人数上限", "在托人数", "托养费用（元/人·月）", "费用说明", "终止日期", "终止原因"],
            rows=([a.number, a.station.name, a.facility.name, a.get_facility_type_display(), a.type_reason,
                   a.signed_on, a.valid_from, a.valid_to, a.capacity, a.placed, a.fee, a.fee_note,
                   a.terminated_on or "", a.termination_reason] for a in qs.iterator()))
    return render(request, "outsidecare/agreement_list.html", {
        **paginate(request, qs), "in_force": in_force,
        "can_create": access.is_station_user(request.user) and access.may_sign(request.user, request.user.organisation)})


@login_required
def agreement_new(request):
    station = _station(request)
    if not access.may_sign(request.user, station):
        _deny("托养协议由站长登记。")
    form = AgreementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            agreement = services.agreement_create(
                by=request.user, station=station, facility=d["facility"], facility_type=d["facility_type"],
                type_reason=d["type_reason"], signed_on=d["signed_on"], valid_from=d["valid_from"],
                valid_to=d["valid_to"], capacity=d["capacity"], fee=d["fee"], fee_note=d["fee_note"],
                document=d["document"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"托养协议 {agreement.number} 已登记。")
            return redirect("outsidecare:agreement", uuid=agreement.uuid)
    return render(request, "oversight/form.html", {
        "form": form, "title": "登记托养协议", "multipart": True, "back": "outsidecare:agreement_list",
        "intro": "站外托养是例外：每次托养都须在有效的托养协议下进行（规则 C5）。优先选择社会福利、养老或精神卫生机构，"
                 "选择其他机构须写明理由。请上传签字盖章的协议扫描件。"})


@login_required
def agreement_detail(request, uuid):
    agreement = selectors.agreement_get(user=request.user, uuid=uuid)
    user = request.user
    return render(request, "outsidecare/agreement_detail.html", {
        "agreement": agreement, **selectors.agreement_overview(agreement),
        "can_sign": access.may_sign(user, agreement.station),
        "can_visit": access.may_visit(user, agreement.station),
        "can_report": access.may_file_report(user, agreement),
        "can_inspect": access.may_inspect(user, agreement),
        "terminate_form": TerminateForm(initial={"on": timezone.localdate()}),
    })


@login_required
def agreement_document(request, uuid):
    agreement = selectors.agreement_get(user=request.user, uuid=uuid)
    ext = agreement.document.name.rsplit(".", 1)[-1] if agreement.document else ""
    return private_file(agreement.document, filename=f"{agreement.number}.{ext}", missing="没有协议文本。")


@login_required
def agreement_terminate(request, uuid):
    agreement = selectors.agreement_get(user=request.user, uuid=uuid)
    if not access.may_sign(request.user, agreement.station):
        _deny("托养协议由站长终止。")
    form = TerminateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_terminate(by=request.user, agreement=agreement, on=form.cleaned_data["on"],
                                         reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"托养协议 {agreement.number} 已终止。")
            return redirect("outsidecare:agreement", uuid=agreement.uuid)
    return render(request, "oversight/form.html", {"form": form, "title": f"终止托养协议 {agreement.number}",
                                                      "back": "outsidecare:agreement_list"})


@login_required
def posting_new(request, uuid):
    agreement = selectors.agreement_get(user=request.user, uuid=uuid)
    if not access.may_sign(request.user, agreement.station):
        _deny("驻点人员由站长安排。")
    form = PostingForm(request.POST or None, station=agreement.station)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.posting_start(by=request.user, agreement=agreement, staff=d["staff"],
                                   started_at=d["started_at"], note=d["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "驻点工作人员已登记。")
            return redirect("outsidecare:agreement", uuid=agreement.uuid)
    return render(request, "oversight/form.html", {
        "form": form, "title": f"派驻工作人员：{agreement.facility.name}", "back": "outsidecare:home",
        "intro": "托养超过30人的机构须派驻本站工作人员（规则 C5）。"})


@login_required
def posting_end(request, uuid):
    posting = selectors.posting_get(user=request.user, uuid=uuid)
    if not access.may_sign(request.user, posting.agreement.station):
        _deny("驻点人员由站长安排。")
    if request.method != "POST":
        return redirect("outsidecare:agreement", uuid=posting.agreement.uuid)
    try:
        services.posting_end(by=request.user, posting=posting)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"{posting.staff} 的驻点已结束。")
    return redirect("outsidecare:agreement", uuid=posting.agreement.uuid)


# --- visits --------------------------------------------------------------------------------------------------


@login_required
def visit_list(request):
    kind = request.GET.get("kind") if request.GET.get("kind") in VisitKind.values else ""
    qs = selectors.visit_list(user=request.user, kind=kind or None)
    if wants_xlsx(request):
        rows = ([_local(r.visited_at), v.station.name, v.organisation.name, v.get_kind_display(), v.visitors,
                 "是" if v.safety_ok else "否", v.safety, r.placement.episode.person.name, r.placement.episode.number,
                 r.care, r.physical, r.mental, r.tracing]
                for v in qs.prefetch_related("people__placement__episode__person").iterator(chunk_size=500)
                for r in v.people.all())
        return list_export(request, title="探访记录", filename="探访记录", filters={"类型": kind},
                           headers=["探访时间", "救助机构", "托养机构/医院", "类型", "探访人员", "安全情况良好",
                                    "机构安全情况", "姓名", "救助编号", "照料情况", "身体状况", "精神状况",
                                    "寻亲进展"], rows=rows)
    return render(request, "outsidecare/visit_list.html", {
        **paginate(request, qs), "kind": kind, "kinds": VisitKind.choices,
        "places": selectors.visit_places(user=request.user) if access.is_station_user(request.user) else []})


@login_required
def visit_new(request, uuid):
    """Record a visit to the hospital or facility holding this placement's person, covering every person of the
    station there (rules C4, C5)."""
    placement = selectors.placement_get(user=request.user, uuid=uuid)
    station, place = placement.episode.station, placement.organisation
    if not access.may_visit(request.user, station):
        _deny("探访由本站照料、医护人员或站长记录。")
    if placement.ended_at is not None:
        messages.error(request, "该人员已离开该机构，请从仍在院/在托的人员处记录探访。")
        return redirect("outsidecare:placement", uuid=placement.uuid)
    placements = list(selectors.visit_candidates(station=station, organisation=place))
    hospital = place.kind == "hospital"
    form = VisitForm(request.POST or None, request.FILES or None, placements=placements, hospital=hospital,
                     initial={"visited_at": timezone.localtime().replace(second=0, microsecond=0),
                              "visitors": str(request.user)})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            visit = services.visit_create(by=request.user, station=station, organisation=place,
                                          visited_at=d["visited_at"], visitors=d["visitors"], rows=form.rows(),
                                          safety_ok=d["safety_ok"], safety=d["safety"], note=d["note"],
                                          photos=d["photos"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"探访记录已保存（{visit.people.count()} 人）。")
            return redirect("outsidecare:visit", uuid=visit.uuid)
    return render(request, "outsidecare/visit_form.html", {"form": form, "place": place, "hospital": hospital})


@login_required
def visit_detail(request, uuid):
    visit = selectors.visit_get(user=request.user, uuid=uuid)
    return render(request, "outsidecare/visit_detail.html", {
        "visit": visit, "rows": visit.people.select_related("placement__episode__person"),
        "photos": visit.photos.all()})


@login_required
def visit_photo(request, uuid):
    photo = selectors.visit_photo_get(user=request.user, uuid=uuid)
    return private_file(photo.image, filename="photo.jpg", missing="照片文件不存在。")


# --- placements, condition reports and facility reports -------------------------------------------------------


@login_required
def placement_detail(request, uuid):
    placement = selectors.placement_get(user=request.user, uuid=uuid)
    return render(request, "outsidecare/placement_detail.html",
                  selectors.placement_page(placement=placement, user=request.user))


@login_required
def condition_report_new(request, uuid):
    placement = selectors.placement_get(user=request.user, uuid=uuid)
    if not access.may_report_condition(request.user, placement):
        _deny("病情/情况报告由收治的医院或托养机构填写。")
    form = ConditionReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.condition_report_create(by=request.user, placement=placement, condition=d["condition"],
                                             treatment=d["treatment"], reported_at=d["reported_at"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "报告已报送救助机构。")
            return redirect("outsidecare:placement", uuid=placement.uuid)
    return render(request, "oversight/form.html", {
        "form": form, "title": f"病情/情况报告：{placement.episode.person.name}", "back": "outsidecare:home"})


@login_required
def facility_report_new(request, uuid):
    agreement = selectors.agreement_get(user=request.user, uuid=uuid)
    if not access.may_file_report(request.user, agreement):
        _deny("定期报告由托养机构报送。")
    form = FacilityReportForm(request.POST or None, initial={"headcount": services.open_count(agreement)})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.facility_report_create(by=request.user, agreement=agreement, **d)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "定期报告已报送。")
            return redirect("outsidecare:agreement", uuid=agreement.uuid)
    return render(request, "oversight/form.html", {
        "form": form, "title": f"定期报告：{agreement.facility.name} → {agreement.station.name}",
        "back": "outsidecare:home", "intro": "托养机构定期向救助机构报告托养人数、异常情况和照料情况（规则 C5）。"})


@login_required
def report_list(request):
    return render(request, "outsidecare/report_list.html", {
        **paginate(request, selectors.condition_report_list(user=request.user)),
        "facility_reports": selectors.facility_report_list(user=request.user)[:50]})


# --- the panel's inspections -----------------------------------------------------------------------------------


@login_required
def inspect(request, uuid):
    """The supervision panel inspects a facility (rule C5); failed items go to the hazard ledger (O3)."""
    from oversight.forms import InspectionForm
    from oversight.services import checklist_for, current_members

    agreement = selectors.agreement_for_inspection(user=request.user, uuid=uuid)
    if not access.may_inspect(request.user, agreement):
        _deny("托养机构检查由监督组成员进行，或由站长代为记录。")
    items = list(checklist_for(agreement.facility))
    memberships = current_members(agreement.station)
    members_form = PanelInspectionForm(request.POST or None, memberships=memberships)
    form = InspectionForm(request.POST or None, request.FILES or None, items=items,
                          initial={"inspected_at": timezone.localtime().replace(second=0, microsecond=0)})
    if request.method == "POST" and form.is_valid() and members_form.is_valid():
        d = form.cleaned_data
        try:
            panel = services.panel_inspection_create(
                by=request.user, agreement=agreement, members=list(members_form.cleaned_data["members"]),
                results=form.results(), inspected_at=d["inspected_at"], note=d["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
            if "members" in exc.message_dict:
                members_form.add_error("members", exc.message_dict["members"][0])
        else:
            failed = panel.inspection.hazards.count()
            messages.success(request, f"检查 {panel.inspection.number} 已保存" +
                             (f"，{failed} 项隐患已录入隐患台账。" if failed else "，未发现隐患。"))
            return redirect("oversight:inspection", uuid=panel.inspection.uuid)
    return render(request, "outsidecare/inspect.html", {
        "agreement": agreement, "form": form, "members_form": members_form, "items": items})


# --- bring-back (rule C6) --------------------------------------------------------------------------------------


@login_required
def plan_list(request):
    return render(request, "outsidecare/plan_list.html", {
        **paginate(request, selectors.plan_list(user=request.user)),
        "can_plan": access.is_station_user(request.user) and access.may_plan(request.user, request.user.organisation)})


@login_required
def plan_new(request):
    from stay.models import Zone

    station = _station(request)
    if not access.may_plan(request.user, station):
        _deny("返站计划由站长或照料人员制定。")
    form = BringBackPlanForm(request.POST or None,
                             zones=Zone.objects.filter(station=station, is_active=True),
                             candidates=selectors.bringback_candidates(station=station))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan = services.bringback_plan_create(by=request.user, station=station, planned_on=d["planned_on"],
                                                  transport=d["transport"], escort=d["escort"], zone=d["zone"],
                                                  placements=list(d["placements"]), note=d["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"返站计划 {plan.number} 已制定。")
            return redirect("outsidecare:plan", uuid=plan.uuid)
    return render(request, "oversight/form.html", {
        "form": form, "title": "制定返站计划", "back": "outsidecare:plan_list",
        "intro": "站外托养人员在本站有条件照料时分批接回（规则 C6）：写明时间、交通方式、接收区域和人员，"
                 "返站时逐人办理，托养结束与安排床位一步完成。"})


@login_required
def plan_detail(request, uuid):
    plan = selectors.plan_get(user=request.user, uuid=uuid)
    return render(request, "outsidecare/plan_detail.html", {
        "plan": plan, **selectors.plan_items(plan), "can_carry_out": access.may_plan(request.user, plan.station)})


@login_required
def carry_out(request, uuid):
    from stay.selectors import free_beds

    item = selectors.item_get(user=request.user, uuid=uuid)
    plan = item.plan
    if not access.may_plan(request.user, plan.station):
        _deny("返站由本站站长或照料人员办理。")
    beds = free_beds(station=plan.station)
    in_zone = beds.filter(zone=plan.zone)
    form = CarryOutForm(request.POST or None, beds=beds,
                        initial={"bed": in_zone.first().uuid if in_zone.exists() else None})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            assignment = services.bringback_carry_out(by=request.user, item=item, bed=d["bed"], at=d["at"],
                                                      housed_as=d["housed_as"], zone_reason=d["zone_reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"{item.placement.episode.person.name} 已返站，床位：{assignment.bed}")
            return redirect("outsidecare:plan", uuid=plan.uuid)
    return render(request, "oversight/form.html", {
        "form": form, "title": f"返站：{item.placement.episode.person.name}（{item.placement.organisation.name}）",
        "back": "outsidecare:plan_list",
        "intro": f"按返站计划 {plan.number} 接回，接收区域：{plan.zone.name}。托养结束并安排床位，状态变为“在站”。"})
