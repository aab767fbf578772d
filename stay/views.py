"""Pages of the stay app: the board (在站人员), zones and beds, and the episode actions.

Four steps each: scoped fetch → form → service → render. Outsiders get 404 (they never find the
object), read-only viewers such as civil-affairs supervisors 403 on writes.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.excel import list_export, wants_xlsx
from core.models import STATION_KINDS, User
from core.paging import paginate
from core.scoping import get_scoped_or_404, require_case_write, require_write, visible_organisations
from core.views import form_errors_from, service_checks
from stay import selectors, services
from stay.forms import (
    BedAssignForm,
    BedMoveForm,
    BedReleaseForm,
    BedsForm,
    BoardFilterForm,
    CareAssignForm,
    N5AckForm,
    PlacementForm,
    PlacementReturnForm,
    SearchRefreshForm,
    StayExtensionForm,
    ZoneForm,
)
from stay.models import Bed, Placement, PlacementKind, StayExtension, Zone
from stay.selectors import SEARCH_REFRESH_ROLES, SETUP_ROLES, STAY_ROLES


def _back(request, episode):
    """Return to ``?next=`` when it is a local URL, else the episode page (the one page of a stay)."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(reverse("people:episode", args=[episode.uuid]) + "#next-step")


def _next(request) -> str:
    return request.POST.get("next") or request.GET.get("next") or ""


@login_required
def board(request):
    """在站人员: everyone in care at the stations in scope, with bed, N5 flags and occupancy (rules C3, N5)."""
    stations = visible_organisations(request.user).filter(kind__in=STATION_KINDS)
    form = BoardFilterForm(request.GET or None, stations=stations)
    filters = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    limit = datetime.timedelta(days=selectors.n5_limit())
    qs = selectors.board(user=request.user, filters=filters, now=now)
    if wants_xlsx(request):
        return list_export(request, title="在站人员", filename="in-care", filters=filters,
                           headers=["姓名", "档案号", "救助编号", "机构", "状态", "区域/床位", "入站时间", "滞留天数",
                                    "身份状态", "特殊群体", "超期原因已记录"],
                           rows=([e.person.name, e.person.file_no, e.number, e.station.name, e.status_label,
                                  f"{e.zone_name or ''} {e.bed_code or ''}".strip() or (e.placement_org or ""),
                                  e.admitted_at, e.stranded_days(now), e.person.get_identity_status_display(),
                                  "、".join(e.person.special_groups), e.has_n5_reason] for e in qs.iterator()))
    page = paginate(request, qs)
    for episode in page["object_list"]:
        episode.days = episode.stranded_days(now)
        episode.over_limit = bool(episode.admitted_at) and now - episode.admitted_at > limit
    missing = selectors.n5_missing(user=request.user, now=now)
    return render(request, "stay/board.html", {
        **page, "form": form, "occupancy": selectors.occupancy(user=request.user),
        "n5_missing": list(missing[:20]), "n5_missing_count": missing.count(), "n5_limit": selectors.n5_limit(),
        "now": now, "can_setup": selectors.setup_stations(user=request.user).exists(),
    })


@login_required
def zone_list(request):
    """Zones and beds of the stations in scope, with occupancy (rule C3)."""
    zones = selectors.zone_list(user=request.user).order_by("station__name", "category", "name")
    return render(request, "stay/zone_list.html", {
        "zones": zones, "occupancy": selectors.occupancy(user=request.user),
        "can_setup": selectors.setup_stations(user=request.user).exists(),
    })


@login_required
def zone_new(request):
    stations = selectors.setup_stations(user=request.user)
    if not stations.exists():
        raise PermissionDenied("只有本站站长或系统管理员可以设置照料区域。")
    form = ZoneForm(request.POST or None, stations=stations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        require_write(request.user, data["station"], *SETUP_ROLES)
        try:
            zone = services.zone_create(by=request.user, station=data["station"], name=data["name"],
                                        category=data["category"], sex_restriction=data["sex_restriction"],
                                        note=data["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已新增区域：{zone.name}")
            return redirect("stay:zone_detail", uuid=zone.uuid)
    return render(request, "stay/zone_form.html", {"form": form})


@login_required
def zone_detail(request, uuid):
    """A zone's beds and who is in them; heads and administrators add beds here."""
    zone = get_scoped_or_404(Zone.objects.select_related("station"), request.user, uuid=uuid)
    can_setup = zone.station in selectors.setup_stations(user=request.user)
    form = BedsForm(request.POST or None)
    if request.method == "POST":
        require_write(request.user, zone.station, *SETUP_ROLES)
        if form.is_valid():
            try:
                beds = services.beds_create(by=request.user, zone=zone, codes=form.cleaned_data["codes"])
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"已新增 {len(beds)} 张床位。")
                return redirect("stay:zone_detail", uuid=zone.uuid)
    return render(request, "stay/zone_detail.html", {"zone": zone, "beds": selectors.zone_beds(zone=zone),
                                                     "form": form, "can_setup": can_setup})


@login_required
@require_POST
def bed_toggle(request, uuid):
    bed = get_scoped_or_404(Bed.objects.select_related("zone__station"), request.user, uuid=uuid)
    require_write(request.user, bed.zone.station, *SETUP_ROLES)
    try:
        services.bed_set_active(by=request.user, bed=bed, is_active=not bed.is_active)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"床位 {bed.code} 已{'启用' if bed.is_active else '停用'}。")
    return redirect("stay:zone_detail", uuid=bed.zone.uuid)


@login_required
def episode(request, uuid):
    """The old address of the stay panel: the episode page is the one page of a stay (scoped first, so an
    outsider learns nothing from the redirect)."""
    ep = selectors.episode_in_scope(user=request.user, uuid=uuid)
    return redirect(reverse("people:episode", args=[ep.uuid]) + "#stay-panel")


@login_required
def bed_assign(request, uuid):
    ep = selectors.episode_in_scope(user=request.user, uuid=uuid)
    require_case_write(request.user, ep, *STAY_ROLES)
    form = BedAssignForm(request.POST or None, beds=selectors.free_beds(station=ep.station))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment = services.bed_assign(by=request.user, episode=ep, bed=data["bed"],
                                             at=data["assigned_at"] or None, housed_as=data["housed_as"],
                                             zone_reason=data["zone_reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已安排床位：{assignment.bed}")
            return _back(request, ep)
    return render(request, "stay/action_form.html", {
        "episode": ep, "form": form, "title": "安排床位", "next": _next(request),
        "intro": "规则 N4：男女分区安置；规则 I8/C1：未成年人安排在未成年人区。"})


@login_required
@require_POST
def bed_release(request, uuid):
    ep = selectors.episode_in_scope(user=request.user, uuid=uuid)
    require_case_write(request.user, ep, *STAY_ROLES)
    form = BedReleaseForm(request.POST)
    if form.is_valid():
        try:
            released = services.bed_release(by=request.user, episode=ep, at=form.cleaned_data["released_at"] or None,
                                            note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已退床：{released.bed}" if released else "该人员没有床位。")
    else:
        messages.error(request, "退床时间格式不正确。")
    return _back(request, ep)


@login_required
def placement_new(request, uuid):
    """Send to a designated hospital or place in outside care (rules I3, C5)."""
    ep = selectors.episode_in_scope(user=request.user, uuid=uuid)
    require_case_write(request.user, ep, *STAY_ROLES)
    kind = request.POST.get("kind") or request.GET.get("kind") or PlacementKind.HOSPITAL
    if kind not in PlacementKind.values:
        kind = PlacementKind.HOSPITAL
    from outsidecare.selectors import agreements_for_station

    form = PlacementForm(request.POST or None, initial={"kind": kind},
                         organisations=selectors.placement_organisations(kind),
                         agreements=agreements_for_station(station=ep.station))
    if request.method == "POST" and not form.is_valid():
        service_checks(form, lambda d: services.placement_start(
            by=request.user, episode=ep, kind=d.get("kind") or kind, organisation=d.get("organisation"),
            started_at=d.get("started_at"), agreement=d.get("agreement"), note=d.get("note") or ""))
    elif request.method == "POST":
        data = form.cleaned_data
        try:
            placement = services.placement_start(by=request.user, episode=ep, kind=data["kind"],
                                                 organisation=data["organisation"],
                                                 started_at=data["started_at"] or None,
                                                 agreement=data.get("agreement"), note=data["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已办理{placement.get_kind_display()}：{placement.organisation.name}")
            return _back(request, ep)
    title = PlacementKind(kind).label
    return render(request, "stay/action_form.html", {
        "episode": ep, "form": form, "title": f"办理{title}", "next": _next(request),
        "kind_switch": [(k, label, reverse("stay:placement_new", args=[ep.uuid]) + f"?kind={k}")
                        for k, label in PlacementKind.choices],
        "intro": "送医：送定点医疗机构（规则 I3）；站外托养是例外，须在有效的托养协议下进行且不超过约定人数"
                 "（规则 C5，协议在“站外托养”中登记）。床位将自动释放。"})


@login_required
def placement_return(request, uuid):
    """Bring a person back from hospital or outside care into a bed (→ 在站)."""
    placement = get_scoped_or_404(Placement.objects.select_related("episode__person", "episode__station",
                                                                   "organisation"), request.user, uuid=uuid)
    ep = placement.episode
    require_case_write(request.user, ep, *STAY_ROLES)
    form = PlacementReturnForm(request.POST or None, beds=selectors.free_beds(station=ep.station))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment = services.placement_return(by=request.user, placement=placement, bed=data["bed"],
                                                   ended_at=data["ended_at"] or None, housed_as=data["housed_as"],
                                                   zone_reason=data["zone_reason"], note=data["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已返站，床位：{assignment.bed}")
            return _back(request, ep)
    return render(request, "stay/action_form.html", {
        "episode": ep, "form": form, "title": f"自{placement.organisation.name}返站", "next": _next(request),
        "intro": "返站后安排床位，状态变为“在站”。"})


@login_required
def extension_new(request, uuid):
    """Rule N5: record the reason for a stay beyond the limit; it goes to the department above as a report."""
    ep = selectors.episode_in_scope(user=request.user, uuid=uuid)
    require_case_write(request.user, ep, *STAY_ROLES)
    form = StayExtensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ext = services.stay_extension_record(by=request.user, episode=ep, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已记录超期在站原因，并报送{ext.department.name}。")
            return _back(request, ep)
    department = ep.station.supervisor
    return render(request, "stay/action_form.html", {
        "episode": ep, "form": form, "title": "超期在站报告（规则 N5）", "next": _next(request),
        "intro": f"在站超过{selectors.n5_limit()}天须记录原因并报上级民政部门（规则 N5）。"
                 + (f"提交后报送：{department.name}。" if department else "本机构未设置上级民政部门。")})


@login_required
def search_refresh(request, uuid):
    """Rule N5: refresh the search information (new photo, comparison run again, announcement published
    again) of a person stranded over a month whose identity is unknown."""
    ep = selectors.episode_in_scope(user=request.user, uuid=uuid)
    require_case_write(request.user, ep, *SEARCH_REFRESH_ROLES)
    form = SearchRefreshForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        form.is_valid()
        data = form.cleaned_data
        try:  # the service's checks run even when the form has errors: every mistake is shown at once
            refresh = services.search_refresh_record(
                by=request.user, episode=ep, refreshed_at=data.get("refreshed_at"), photo=data.get("photo"),
                rematch=data.get("rematch", False), republished=data.get("republished", ""),
                note=data.get("note", ""), dry_run=bool(form.errors))
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            if refresh is not None:
                messages.success(request, "已更新寻亲信息（规则N5）。" + (refresh.match_result or ""))
                return _back(request, ep)
    return render(request, "stay/action_form.html", {
        "episode": ep, "form": form, "title": "更新寻亲信息（规则 N5）", "next": _next(request), "multipart": True,
        "intro": "身份不明、滞留超过1个月的人员，每月至少更新一次寻亲信息：拍摄新照片、重新比对，"
                 "或在寻亲平台、全国救助寻亲网等渠道重新发布寻亲公告（规则 N5）。"})


@login_required
def bed_map(request):
    """床位图: each zone a grid of beds coloured by state; a person is moved to another bed in one step."""
    stations = list(visible_organisations(request.user).filter(kind__in=STATION_KINDS).order_by("name"))
    chosen = next((s for s in stations if str(s.uuid) == request.GET.get("station")), None)
    return render(request, "stay/bed_map.html", {
        "stations": stations, "chosen": chosen, "map": selectors.bed_map(user=request.user, station=chosen)})


@login_required
def bed_move(request, uuid):
    """Move a person to another bed in one step (from the bed map or the stay panel)."""
    ep = selectors.episode_in_scope(user=request.user, uuid=uuid)
    require_case_write(request.user, ep, *STAY_ROLES)
    form = BedMoveForm(request.POST or None, beds=selectors.free_beds(station=ep.station))
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.bed_move(by=request.user, episode=ep, bed=form.cleaned_data["bed"],
                                           zone_reason=form.cleaned_data["zone_reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已调床：{ep.person.name} → {assignment.bed}")
            return _back(request, ep)
    current = services.open_assignment(ep)
    return render(request, "stay/action_form.html", {
        "episode": ep, "form": form, "title": f"调床（现床位：{current.bed if current else '无'}）", "next": _next(request),
        "intro": "规则 N4：男女分区安置；规则 I8/C1：未成年人安排在未成年人区。"})


@login_required
def care_assign(request, uuid):
    """Rule N4: name the responsible carer; a woman cared for by someone not recorded as a woman is warned."""
    ep = selectors.episode_in_scope(user=request.user, uuid=uuid)
    require_case_write(request.user, ep, *STAY_ROLES)
    staff = User.objects.filter(organisation=ep.station, is_active=True).order_by("full_name", "username")
    form = CareAssignForm(request.POST or None, staff=staff)
    if request.method == "POST" and form.is_valid():
        try:
            _, warning = services.care_assign(by=request.user, episode=ep, carer=form.cleaned_data["carer"],
                                              carer_sex=form.cleaned_data["carer_sex"],
                                              reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            if warning:
                messages.warning(request, warning + "已按说明记录。")
            messages.success(request, f"已指派责任照料人员：{form.cleaned_data['carer']}")
            return _back(request, ep)
    intro = "女性受助人员应由女性工作人员照料（规则N4）。" if ep.person.sex == "女" else ""
    return render(request, "stay/action_form.html", {"episode": ep, "form": form, "title": "指派责任照料人员",
                                                     "next": _next(request), "intro": intro})


@login_required
def n5_reports(request):
    """Rule N5, the department's side: stays beyond the limit reported by the stations it supervises."""
    pending = request.GET.get("all") != "1"
    qs = selectors.n5_reports(user=request.user, pending_only=pending)
    return render(request, "stay/n5_reports.html", {
        **paginate(request, qs), "pending": pending, "ack_form": N5AckForm(),
        "may_ack": selectors.may_acknowledge_n5(request.user),
        "pending_count": selectors.n5_reports(user=request.user, pending_only=True).count(),
    })


@login_required
@require_POST
def n5_acknowledge(request, uuid):
    ext = get_scoped_or_404(StayExtension.objects.select_related("episode__person"), request.user, uuid=uuid)
    form = N5AckForm(request.POST)
    if form.is_valid():
        try:
            services.stay_extension_acknowledge(by=request.user, extension=ext, note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已确认收悉：{ext.episode.person.name}（{ext.episode.number}）超期在站报告。")
    else:
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("stay:n5_reports")
