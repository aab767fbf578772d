"""Pages of the leaving app: departures list, recording a departure, its detail, and the printables.

Four steps each: scoped fetch → form → service → render; outsiders 404, read-only viewers 403 on writes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from core.audit import audit, log_read
from core.downloads import private_file
from core.excel import list_export, wants_xlsx
from core.models import STATION_KINDS, AuditAction
from core.paging import paginate
from core.printing import print_response
from core.scoping import require_case_write, visible_organisations
from core.views import form_errors_from, service_checks
from leaving import selectors, services
from leaving.forms import FIELDS_BY_TYPE, DepartureFilterForm, DepartureForm
from leaving.models import ExitType
from leaving.selectors import LEAVING_ROLES


@login_required
def departure_list(request):
    stations = visible_organisations(request.user).filter(kind__in=STATION_KINDS)
    form = DepartureFilterForm(request.GET or None, stations=stations)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.departure_list(user=request.user, filters=filters)
    if wants_xlsx(request):
        return list_export(request, title="离站记录", filename="departures", filters=filters,
                           headers=["离站时间", "姓名", "档案号", "救助编号", "机构", "离站方式", "去向", "归还物品", "经办人"],
                           rows=([d.left_at, d.episode.person.name, d.episode.person.file_no, d.episode.number,
                                  d.episode.station.name, d.get_exit_type_display(), d.destination,
                                  "、".join(d.belongings_returned), d.recorded_by]
                                 for d in qs.select_related("episode__person", "episode__station", "recorded_by")
                                 .iterator()))
    page = paginate(request, qs)
    return render(request, "leaving/list.html", {**page, "form": form})


@login_required
def departure_new(request, uuid):
    """办理离站 for an episode in care (rules E1, N7–N9)."""
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    require_case_write(request.user, episode, *LEAVING_ROLES)
    existing = selectors.departure_for(episode)
    if existing:
        messages.info(request, "该救助过程已办理离站。")
        return redirect("leaving:detail", uuid=existing.uuid)
    form = DepartureForm(request.POST or None, request.FILES or None, station=episode.station,
                         transfer_orgs=selectors.transfer_organisations().exclude(pk=episode.station_id),
                         handover_orgs=selectors.handover_stations().exclude(pk=episode.station_id),
                         initial={"limited_mobility": episode.person.limited_mobility or episode.person.has_disability, "is_direct": True})
    if request.method == "POST" and not form.is_valid():
        # every mistake at once: the service's rules (N7–N9, E3 …) beside the form's own errors; the chosen ID
        # copy is not stored in this check, so its "missing" message is left out when a file was chosen
        service_checks(form, lambda d: services.departure_create(
            by=request.user, episode=episode, exit_type=d.get("exit_type") or "", left_at=d.get("left_at") or None,
            data=form.service_data(), claimant_id_number=d.get("claimant_id_number") or "", claimant_id_copy=None,
            escort_staff=list(d.get("escort_staff") or [])),
            skip={"claimant_id_copy"} if request.FILES.get("claimant_id_copy") else set())
    elif request.method == "POST":
        data = form.cleaned_data
        try:
            departure = services.departure_create(
                by=request.user, episode=episode, exit_type=data["exit_type"], left_at=data["left_at"] or None,
                data=form.service_data(), claimant_id_number=data.get("claimant_id_number") or "",
                claimant_id_copy=data.get("claimant_id_copy"), escort_staff=list(data.get("escort_staff") or []))
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已办理离站：{departure.get_exit_type_display()}")
            return redirect("leaving:detail", uuid=departure.uuid)
    from intake.selectors import belongings_outstanding

    return render(request, "leaving/departure_form.html", {
        "episode": episode, "form": form, "fields_by_type": {k: v for k, v in FIELDS_BY_TYPE.items()},
        "belongings": list(belongings_outstanding(episode)),
        "n9_child": services.is_child_under_n9(episode, timezone.now()),
        "minor": services.is_minor(episode, timezone.now()),
        "cash_cap": services.cash_cap(), "n9_age": services.n9_min_age(),
    })


@login_required
def departure_detail(request, uuid):
    departure = selectors.departure_get(user=request.user, uuid=uuid)
    log_read(request, "离站记录", person_uuid=departure.episode.person.uuid, organisation=departure.episode.station)
    from intake.selectors import belongings_outstanding

    return render(request, "leaving/detail.html", {
        "d": departure, "episode": departure.episode, "escorts": list(departure.escort_staff.all()),
        "still_kept": list(belongings_outstanding(departure.episode)),
    })


@login_required
def id_copy(request, uuid):
    """The claimant's ID copy, served only through the scope and logged (personal data)."""
    departure = selectors.departure_get(user=request.user, uuid=uuid)
    if not departure.claimant_id_copy:
        raise Http404("没有身份证复印件。")
    audit(actor=request.user, action=AuditAction.VIEW, obj=departure, summary=f"查看接领人身份证复印件 {departure.episode.number}",
          organisation=departure.episode.station, person_uuid=departure.episode.person.uuid)
    return private_file(departure.claimant_id_copy, missing="身份证复印件文件不存在。")


@login_required
def print_declaration(request, uuid):
    """自行离站声明书 (rule N7, N12): printable before the person signs, and after."""
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    departure = selectors.departure_for(episode)
    from intake.selectors import belongings_outstanding

    returned = departure.belongings_returned if departure else [
        f"{b.item}×{b.quantity}" + (f"（{b.description}）" if b.description else "")
        for b in belongings_outstanding(episode)]
    return print_response(request, "leaving/print_declaration.html",
                          {"episode": episode, "person": episode.person, "d": departure, "now": timezone.now(),
                           "belongings": returned},
                          filename=f"self-departure-{episode.number}", organisation=episode.station,
                          person_uuid=episode.person.uuid, title="自行离站声明书")


@login_required
def print_register(request, uuid):
    """在站服务及离站登记表 (rule N12): the stay (beds, placements, N5 reasons) and the departure."""
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    departure = selectors.departure_for(episode)
    from intake.models import HelpGiven, Notice
    from intake.selectors import belongings_outstanding
    from tracing.models import Identification

    return print_response(request, "leaving/print_register.html", {
        "episode": episode, "person": episode.person, "d": departure,
        "age": episode.person.age_on(timezone.localtime(episode.admitted_at or episode.requested_at).date()),
        "help_given": list(HelpGiven.objects.filter(episode=episode).select_related("given_by")),
        "talks": episode.talks.count(),
        "identification": Identification.objects.filter(episode=episode).first(),
        "termination": Notice.objects.filter(episode=episode, kind="termination").first(),
        "beds": list(episode.bed_assignments.select_related("bed__zone").order_by("assigned_at")),
        "placements": list(episode.placements.select_related("organisation").order_by("started_at")),
        "extensions": list(episode.stay_extensions.order_by("created_at")),
        "escorts": list(departure.escort_staff.all()) if departure else [],
        "still_kept": list(belongings_outstanding(episode)),
        "exit_types": ExitType, "now": timezone.now(),
    }, filename=f"stay-leaving-{episode.number}", organisation=episode.station, person_uuid=episode.person.uuid,
        title="在站服务及离站登记表")
