"""Pages of the outreach app (rules P1–P3), phone first; the public sighting page needs no login.

Four steps each: scoped fetch → form → service → render; outsiders 404, read-only viewers 403 on writes.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import audit
from core.downloads import private_file
from core.excel import list_export
from core.models import AuditAction
from core.paging import paginate
from core.validation import is_uuid
from core.views import form_errors_from
from outreach import selectors, services
from outreach.forms import (
    AlertForm,
    CampaignForm,
    CloseForm,
    DispatchForm,
    EncounterForm,
    HandoverForm,
    HotSpotForm,
    PatrolForm,
    PublicSightingForm,
    SightingForm,
)
from outreach.models import SightingStatus


def _client_ip(request):
    from announcements.public_views import client_ip

    return client_ip(request)


# --- public (no login) ------------------------------------------------------------------------------


@csrf_protect
@require_http_methods(["GET", "POST"])
def public_report(request):
    """求助报告: a passer-by reports someone in need, from a phone (rule P1)."""
    from announcements.services import ClueThrottled

    form = PublicSightingForm(
        request.POST or None, request.FILES or None, stations=selectors.public_stations()
    )
    if request.method == "POST":
        if form.data.get("website"):  # honeypot: a bot; count it, save nothing
            from announcements.services import clue_throttle_hit

            try:
                clue_throttle_hit(ip=_client_ip(request))
            except ClueThrottled:
                pass
            return render(request, "outreach/public/thanks.html", {})
        if form.is_valid():
            d = form.cleaned_data
            try:
                sighting = services.public_sighting_submit(
                    station=d["station"], data=d, photo=d.get("photo"), ip=_client_ip(request)
                )
            except ClueThrottled:
                return render(
                    request, "outreach/public/report.html", {"form": form, "throttled": True}, status=429
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                return render(request, "outreach/public/thanks.html", {"sighting": sighting})
        return render(request, "outreach/public/report.html", {"form": form}, status=400)
    return render(request, "outreach/public/report.html", {"form": form})


# --- home and sightings -----------------------------------------------------------------------------


@login_required
def home(request):
    status = (request.GET.get("status") or "open")[:12]
    q = (request.GET.get("q") or "").replace("\x00", "")[:50]
    page = paginate(request, selectors.sighting_list(user=request.user, filters={"status": status, "q": q}))
    org = request.user.organisation
    return render(
        request,
        "outreach/home.html",
        {
            **page,
            "status": status,
            "q": q,
            "counts": selectors.open_counts(request.user),
            "statuses": SightingStatus.choices,
            "can_take": services.may_handle_sightings(request.user, org),
            "can_patrol": services.may_patrol(request.user, org),
            "campaigns": list(selectors.current_campaigns(request.user)[:5]),
        },
    )


@login_required
def sighting_new(request):
    station = request.user.organisation
    services.require_sighting_handler(request.user, station)
    form = SightingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            sighting = services.sighting_create(
                by=request.user,
                station=station,
                source=d["source"],
                data=d,
                received_at=d["received_at"],
                photo=d.get("photo"),
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已接报：{sighting.number}")
            return redirect("outreach:sighting", uuid=sighting.uuid)
    return render(
        request,
        "outreach/form.html",
        {"form": form, "title": "接报发现报告", "rule": "P1", "multipart": True, "locate": True},
    )


@login_required
def sighting_detail(request, uuid):
    s = selectors.sighting_get(user=request.user, uuid=uuid)
    can = (
        services.may_handle_sightings(request.user, s.station)
        and request.user.organisation_id == s.station_id
    )
    since = s.received_at - datetime.timedelta(hours=2)
    return render(
        request,
        "outreach/sighting.html",
        {
            "s": s,
            "can": can,
            "handovers": list(s.handovers.select_related("from_station", "to_station", "by")),
            "encounters": list(s.encounters.select_related("patrol")),
            "dispatch_form": DispatchForm(),
            "close_form": CloseForm(episodes=selectors.recent_episodes(s.station, since)),
            "handover_form": HandoverForm(stations=selectors.handover_stations(s.station)),
        },
    )


def _sighting_action(request, uuid, action, ok: str):
    s = selectors.sighting_get(user=request.user, uuid=uuid)
    services.require_sighting_handler(request.user, s.station)
    if request.user.organisation_id != s.station_id and not request.user.is_superuser:
        raise PermissionDenied("该报告已移交其他机构。")
    try:
        action(s)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, ok)
    return redirect("outreach:sighting", uuid=s.uuid)


@login_required
@require_POST
def sighting_dispatch(request, uuid):
    form = DispatchForm(request.POST)
    team = form.cleaned_data["dispatched_to"] if form.is_valid() else ""
    return _sighting_action(
        request,
        uuid,
        lambda s: services.sighting_dispatch(by=request.user, sighting=s, team=team),
        "已派出。",
    )


@login_required
@require_POST
def sighting_arrive(request, uuid):
    return _sighting_action(
        request, uuid, lambda s: services.sighting_arrive(by=request.user, sighting=s), "已登记到场。"
    )


@login_required
@require_POST
def sighting_close(request, uuid):
    s = selectors.sighting_get(user=request.user, uuid=uuid)
    form = CloseForm(
        request.POST,
        episodes=selectors.recent_episodes(s.station, s.received_at - datetime.timedelta(hours=2)),
    )
    if not form.is_valid():
        services.require_sighting_handler(request.user, s.station)
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("outreach:sighting", uuid=s.uuid)
    d = form.cleaned_data
    return _sighting_action(
        request,
        uuid,
        lambda s: services.sighting_close(
            by=request.user, sighting=s, outcome=d["outcome"], note=d["outcome_note"], episode=d["episode"]
        ),
        "已登记处置结果。",
    )


@login_required
@require_POST
def sighting_hand_over(request, uuid):
    s = selectors.sighting_get(user=request.user, uuid=uuid)
    form = HandoverForm(request.POST, stations=selectors.handover_stations(s.station))
    if not form.is_valid():
        services.require_sighting_handler(request.user, s.station)
        messages.error(request, "请选择接收机构并填写移交原因（不超过200字）。")
        return redirect("outreach:sighting", uuid=s.uuid)
    d = form.cleaned_data
    return _sighting_action(
        request,
        uuid,
        lambda s: services.sighting_hand_over(
            by=request.user, sighting=s, to_station=d["to_station"], reason=d["reason"]
        ),
        "已移交。",
    )


@login_required
def sighting_photo(request, uuid):
    """The reporter's photo, only to users who may see the sighting; every view is logged."""
    s = selectors.sighting_get(user=request.user, uuid=uuid)
    if not s.photo:
        raise Http404("没有照片。")
    audit(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=s,
        organisation=s.station,
        summary=f"查看发现报告照片 {s.number}",
    )
    return private_file(s.photo, content_type="image/jpeg", missing="照片文件不存在。")


# --- patrols (rule P2) ----------------------------------------------------------------------------------


@login_required
def patrols(request):
    page = paginate(request, selectors.patrol_list(user=request.user))
    return render(
        request,
        "outreach/patrols.html",
        {**page, "can_patrol": services.may_patrol(request.user, request.user.organisation)},
    )


@login_required
def patrol_new(request):
    org = request.user.organisation
    services.require_patrol(request.user, org)
    form = PatrolForm(request.POST or None, hot_spots=selectors.patrol_hot_spots(org))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            patrol = services.patrol_record(
                by=request.user, organisation=org, data=d, hot_spots=d["hot_spots"]
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已登记巡查。")
            return redirect("outreach:patrol", uuid=patrol.uuid)
    return render(request, "outreach/form.html", {"form": form, "title": "登记巡查", "rule": "P2"})


@login_required
def patrol_mobile(request):
    """The phone page for a shift without signal: entries queue in the browser and sync when back online."""
    org = request.user.organisation
    services.require_patrol(request.user, org)
    from outreach.models import Group, Outcome

    return render(
        request,
        "outreach/mobile.html",
        {
            "hot_spots": list(selectors.patrol_hot_spots(org)),
            "groups": Group.choices,
            "outcomes": Outcome.choices,
        },
    )


@login_required
def patrol_detail(request, uuid):
    patrol = selectors.patrol_get(user=request.user, uuid=uuid)
    can = (
        services.may_patrol(request.user, patrol.organisation)
        and request.user.organisation_id == patrol.organisation_id
    )
    return render(
        request,
        "outreach/patrol.html",
        {
            "patrol": patrol,
            "can": can,
            "spots": list(patrol.hot_spots.all()),
            "encounters": list(patrol.encounters.select_related("episode__person", "sighting", "hot_spot")),
        },
    )


@login_required
def encounter_new(request, uuid):
    patrol = selectors.patrol_get(user=request.user, uuid=uuid)
    services.require_patrol(request.user, patrol.organisation)
    form = EncounterForm(request.POST or None, hot_spots=selectors.patrol_hot_spots(patrol.organisation))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.encounter_record(by=request.user, patrol=patrol, data=d, hot_spot=d.get("hot_spot"))
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已登记发现人员。")
            return redirect("outreach:patrol", uuid=patrol.uuid)
    return render(
        request,
        "outreach/form.html",
        {
            "form": form,
            "title": "登记发现人员",
            "rule": "P2",
            "locate": True,
            "hint": "有劳动能力的告知并引导；残疾人、未成年人、老年人、行动不便者护送；"
            "危重病人送医；疑似走失、被遗弃、被拐卖的紧急报告公安。",
        },
    )


@login_required
@require_POST
def patrol_end(request, uuid):
    patrol = selectors.patrol_get(user=request.user, uuid=uuid)
    services.require_patrol(request.user, patrol.organisation)
    try:
        services.patrol_end(by=request.user, patrol=patrol)
    except services.Duplicate:
        messages.info(request, "该巡查已结束。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "巡查已结束。")
    return redirect("outreach:patrol", uuid=patrol.uuid)


@login_required
@require_POST
def encounter_link(request, uuid):
    encounter = selectors.encounter_get(user=request.user, uuid=uuid)
    services.require_patrol(request.user, encounter.patrol.organisation)
    from people.models import Episode

    episode = (
        Episode.objects.filter(
            uuid=request.POST.get("episode") or None, station=encounter.patrol.organisation
        ).first()
        if is_uuid(request.POST.get("episode"))
        else None
    )
    try:
        services.encounter_link_episode(by=request.user, encounter=encounter, episode=episode)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已关联求助登记。")
    return redirect("outreach:patrol", uuid=encounter.patrol.uuid)


# --- hot spots and campaigns (rule P3) -----------------------------------------------------------------


@login_required
def hot_spots(request):
    org = request.user.organisation
    return render(
        request,
        "outreach/hot_spots.html",
        {
            "spots": list(selectors.hot_spot_list(user=request.user)),
            "can_edit": services.may_run_campaigns(request.user, org)
            or services.may_handle_sightings(request.user, org),
        },
    )


@login_required
def hot_spot_edit(request, uuid=None):
    org = request.user.organisation
    spot = selectors.hot_spot_get(user=request.user, uuid=uuid) if uuid else None
    if not (
        services.may_run_campaigns(request.user, org) or services.may_handle_sightings(request.user, org)
    ) or (spot is not None and spot.organisation_id != request.user.organisation_id):
        raise PermissionDenied("您不能修改该机构的重点区域名录。")
    form = HotSpotForm(request.POST or None, instance=spot, counties=selectors.counties(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.hot_spot_save(by=request.user, organisation=org, data=form.cleaned_data, hot_spot=spot)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已保存。")
            return redirect("outreach:hot_spots")
    return render(
        request, "outreach/form.html", {"form": form, "title": "重点区域", "rule": "P3", "locate": True}
    )


@login_required
def campaigns(request):
    org = request.user.organisation
    return render(
        request,
        "outreach/campaigns.html",
        {
            "campaigns": list(selectors.campaign_list(user=request.user)),
            "can_edit": services.may_run_campaigns(request.user, org),
        },
    )


@login_required
def campaign_new(request):
    org = request.user.organisation
    if not services.may_run_campaigns(request.user, org):
        raise PermissionDenied("只有站长或系统管理员可以设置专项救助行动。")
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = services.campaign_create(
                by=request.user,
                organisation=org,
                kind=d["kind"],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                note=d["note"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            return redirect("outreach:campaign", uuid=campaign.uuid)
    return render(
        request,
        "outreach/form.html",
        {
            "form": form,
            "title": "设置专项救助行动",
            "rule": "P3",
            "hint": "夏季送清凉：7月至9月；寒冬送温暖：11月至次年3月。",
        },
    )


@login_required
def campaign_detail(request, uuid):
    campaign = selectors.campaign_get(user=request.user, uuid=uuid)
    can = services.may_run_campaigns(request.user, campaign.organisation) and (
        request.user.organisation_id == campaign.organisation_id
    )
    form = AlertForm(request.POST or None)
    if request.method == "POST":
        if not can:
            raise PermissionDenied("只有站长或系统管理员可以发布极端天气预警。")
        if form.is_valid():
            try:
                services.weather_alert_issue(
                    by=request.user,
                    campaign=campaign,
                    weather=form.cleaned_data["weather"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "已发布预警并生成重点区域巡查任务。")
                return redirect("outreach:campaign", uuid=campaign.uuid)
    return render(
        request,
        "outreach/campaign.html",
        {"campaign": campaign, "coverage": selectors.campaign_coverage(campaign), "form": form, "can": can},
    )


# --- Excel exports (audited) ----------------------------------------------------------------------------


def _local(value):
    return timezone.localtime(value) if value else None


def _export(request, name: str, headers: list[str], rows: list):
    return list_export(request, title=name, headers=headers, rows=rows, filename=name, object_type=f"outreach.{name}")


@login_required
def export_sightings(request):
    rows = [
        [
            s.number,
            s.get_source_display(),
            _local(s.received_at),
            s.station.name,
            s.place,
            s.description,
            s.get_status_display(),
            s.dispatched_to,
            _local(s.dispatched_at),
            _local(s.arrived_at),
            _local(s.closed_at),
            s.get_outcome_display(),
            s.outcome_note,
        ]
        for s in selectors.sighting_list(user=request.user, filters={"status": "all"})[:20000]
    ]
    return _export(
        request,
        "发现报告",
        [
            "编号",
            "来源",
            "接报时间",
            "首接责任机构",
            "地点",
            "人员情况",
            "状态",
            "派往",
            "派出时间",
            "到场时间",
            "处置时间",
            "处置结果",
            "处置情况",
        ],
        rows,
    )


@login_required
def export_patrols(request):
    rows = [
        [
            _local(e.patrol.started_at),
            e.patrol.organisation.name,
            e.patrol.team,
            e.patrol.route,
            _local(e.met_at),
            e.place,
            e.get_group_display(),
            e.get_outcome_display(),
            e.description,
            e.episode.number if e.episode else "",
        ]
        for e in selectors.encounter_list(user=request.user)[:20000]
    ]
    return _export(
        request,
        "巡查记录",
        [
            "巡查开始",
            "巡查单位",
            "巡查组",
            "路线",
            "发现时间",
            "地点",
            "人员类别",
            "处置",
            "情况",
            "求助登记",
        ],
        rows,
    )


@login_required
def export_hot_spots(request):
    rows = [
        [
            h.county.name,
            h.get_kind_display(),
            h.name,
            h.address,
            h.latitude,
            h.longitude,
            h.organisation.name,
            "在用" if h.is_active else "停用",
        ]
        for h in selectors.hot_spot_list(user=request.user)
    ]
    return _export(
        request,
        "重点区域名录",
        ["县（区）", "类型", "名称", "地址", "纬度", "经度", "登记机构", "状态"],
        rows,
    )
