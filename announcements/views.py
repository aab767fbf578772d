"""Staff pages of the announcements app: list, write from a person's file, detail with preview, publish,
withdraw, channel records, and the clue inbox.

Four steps each: scoped fetch → form → service → render; outsiders 404, read-only viewers 403 on writes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from announcements import selectors, services
from announcements.forms import (
    AnnouncementFilterForm,
    AnnouncementForm,
    ClueFilterForm,
    ClueIdentifyForm,
    ClueStatusForm,
    PublicationForm,
    WithdrawForm,
)
from announcements.models import CLUE_TRANSITIONS, AnnouncementStatus, ClueStatus
from announcements.selectors import ANNOUNCE_ROLES, CLUE_ROLES
from core.audit import audit
from core.downloads import private_file
from core.excel import list_export, wants_xlsx
from core.models import STATION_KINDS, AuditAction, Division, DivisionLevel
from core.paging import paginate
from core.scoping import can_write, require_write, visible_organisations
from core.views import form_errors_from
from people.selectors import person_get


@login_required
def announcement_list(request):
    stations = visible_organisations(request.user).filter(kind__in=STATION_KINDS).order_by("name")
    form = AnnouncementFilterForm(request.GET or None, stations=stations)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.announcement_list(user=request.user, status=filters.get("status") or "",
                                     station=filters.get("station"), q=(filters.get("q") or "").strip())
    return render(request, "announcements/list.html", {**paginate(request, qs), "form": form,
                                                       "open_clues": selectors.open_clue_count(request.user)})


def _divisions_for(station):
    prefix = station.division.code[:2]
    return Division.objects.filter(code__startswith=prefix, level__in=[DivisionLevel.CITY, DivisionLevel.COUNTY])


@login_required
def announcement_new(request, uuid):
    """Write an announcement from a person's file: choose photos and details (rule T3)."""
    person = person_get(user=request.user, uuid=uuid)
    station = services.owner_station(person)
    require_write(request.user, station, *ANNOUNCE_ROLES)
    photos = selectors.publishable_photos(person)
    initial = {**selectors.found_prefill(person), "photos": list(photos[:1]),
               "chosen": ["found_date", "found_place", "sex", "age", "height", "features"]}
    form = AnnouncementForm(request.POST or None, photos=photos, divisions=_divisions_for(station), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            announcement = services.announcement_create(
                by=request.user, person=person, photos=list(form.cleaned_data["photos"]),
                chosen=form.cleaned_data["chosen"], details=form.details())
            if "publish" in request.POST:
                services.announcement_publish(by=request.user, announcement=announcement)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已保存寻亲公告 {announcement.code}" + ("并发布。" if "publish" in request.POST
                                                                            else "（草稿）。"))
            return redirect("announcements:detail", uuid=announcement.uuid)
    return render(request, "announcements/form.html", {"form": form, "person": person,
                                                       "photos": list(photos)})


def _preview_photos(announcement, *, public: bool) -> list[dict]:
    items = []
    for ap in selectors.announcement_photos(announcement):
        url = reverse("xunqin:photo", args=[ap.uuid]) if public else reverse("people:photo", args=[ap.photo.uuid])
        items.append({"url": url, "thumb": url + ("?size=thumb" if public else "")})
    return items


@login_required
def announcement_detail(request, uuid):
    announcement = selectors.announcement_get(user=request.user, uuid=uuid)
    may_write = can_write(request.user, announcement.station, *ANNOUNCE_ROLES)
    return render(request, "announcements/detail.html", {
        "a": announcement, "photos": _preview_photos(announcement, public=False),
        "publications": list(announcement.publications.select_related("recorded_by")),
        "clues": list(announcement.clues.order_by("-created_at")),
        "may_write": may_write, "may_handle_clues": can_write(request.user, announcement.station, *CLUE_ROLES),
        "publication_form": PublicationForm(), "withdraw_form": WithdrawForm(),
        "live": announcement.status == AnnouncementStatus.PUBLISHED,
    })


@login_required
@require_POST
def announcement_publish(request, uuid):
    announcement = selectors.announcement_get(user=request.user, uuid=uuid)
    require_write(request.user, announcement.station, *ANNOUNCE_ROLES)
    try:
        services.announcement_publish(by=request.user, announcement=announcement)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "公告已发布到寻亲平台。")
    return redirect("announcements:detail", uuid=announcement.uuid)


@login_required
@require_POST
def announcement_withdraw(request, uuid):
    announcement = selectors.announcement_get(user=request.user, uuid=uuid)
    require_write(request.user, announcement.station, *ANNOUNCE_ROLES)
    form = WithdrawForm(request.POST)
    try:
        services.announcement_withdraw(by=request.user, announcement=announcement,
                                       reason=form.data.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "公告已撤回，寻亲平台不再显示。")
    return redirect("announcements:detail", uuid=announcement.uuid)


@login_required
@require_POST
def publication_add(request, uuid):
    announcement = selectors.announcement_get(user=request.user, uuid=uuid)
    require_write(request.user, announcement.station, *ANNOUNCE_ROLES)
    form = PublicationForm(request.POST)
    if form.is_valid():
        try:
            services.publication_add(by=request.user, announcement=announcement, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
    if form.errors:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    else:
        messages.success(request, "已登记发布渠道。")
    return redirect("announcements:detail", uuid=announcement.uuid)


@login_required
def clue_inbox(request):
    """The tracing inbox: clues sent from the public board to the stations in scope."""
    form = ClueFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    qs = selectors.clue_list(user=request.user, status="" if status in ("", "all") else status,
                             open_only=status == "")
    if wants_xlsx(request):
        return list_export(request, title="寻亲线索", filename="clues", filters={"状态": status or "待处理"},
                           headers=["收到时间", "公告编号", "人员", "提供人", "联系电话", "关系", "线索内容", "状态"],
                           rows=([c.created_at, c.announcement.code, c.announcement.person.name, c.name, c.phone,
                                  c.relationship, c.content, c.get_status_display()]
                                 for c in qs.select_related("announcement__person").iterator()))
    return render(request, "announcements/clue_inbox.html", {**paginate(request, qs), "form": form})


@login_required
def clue_detail(request, uuid):
    clue = selectors.clue_get(user=request.user, uuid=uuid)
    station = clue.announcement.station
    may_handle = can_write(request.user, station, *CLUE_ROLES)
    form = ClueStatusForm(request.POST or None)
    form.fields["status"].choices = [c for c in ClueStatus.choices if c[0] in CLUE_TRANSITIONS[clue.status]]
    if request.method == "POST":
        require_write(request.user, station, *CLUE_ROLES)
        if form.is_valid():
            try:
                services.clue_set_status(by=request.user, clue=clue, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "线索状态已更新。")
                return redirect("announcements:clue_detail", uuid=clue.uuid)
    else:
        audit(actor=request.user, action=AuditAction.VIEW, obj=clue, organisation=station,
              person_uuid=clue.announcement.person.uuid, summary=f"查看寻亲线索（公告 {clue.announcement.code}）")
    return render(request, "announcements/clue_detail.html", {
        "clue": clue, "a": clue.announcement, "form": form, "may_handle": may_handle,
        "identify_form": ClueIdentifyForm()})


@login_required
@require_POST
def clue_identify(request, uuid):
    """A confirmed clue → tracing's identity confirmation (method: announcement clue)."""
    clue = selectors.clue_get(user=request.user, uuid=uuid)
    require_write(request.user, clue.announcement.station, *CLUE_ROLES)
    form = ClueIdentifyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("；".join(e for errs in form.errors.values() for e in errs))
        services.clue_identify(by=request.user, clue=clue, identity=form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已根据线索确认身份，公告已撤回。")
    return redirect("announcements:clue_detail", uuid=clue.uuid)


@login_required
def clue_photo(request, uuid):
    """A clue's photo, for the owning station's staff only (never public, never cached)."""
    clue = selectors.clue_get(user=request.user, uuid=uuid)
    if not clue.photo:
        raise Http404("该线索没有照片。")
    return private_file(clue.photo, content_type="image/jpeg", missing="照片文件不存在。")
