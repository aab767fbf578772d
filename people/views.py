"""Pages of the person's file (一人一档): list/search, create, file, edit, photos, contacts, episodes, print.

Views in four steps: scoped fetch → form → service → render. Out of scope → 404, read-only → 403.
"""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from core.audit import log_read
from core.downloads import private_file
from core.excel import list_export, wants_xlsx
from core.models import Division, DivisionLevel, Role
from core.paging import paginate
from core.prepared import audit_reads_prepared
from core.printing import print_response
from core.scoping import require_write, visible_organisations
from core.views import form_errors_from
from people import selectors, services
from people.forms import (
    ContactForm,
    PersonForm,
    PersonSearchForm,
    PhotoForm,
    ShareDecisionForm,
    ShareRequestForm,
)
from people.permissions import EDIT_ROLES, PHOTO_ROLES, can, owner, require_station_creator


@login_required
def person_list(request):
    organisations = visible_organisations(request.user).filter(
        kind__in=["station", "regional_centre", "minor_centre"]).order_by("name")
    form = PersonSearchForm(request.GET or None, organisations=organisations)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.person_list(user=request.user, **{k: v for k, v in filters.items() if v not in (None, "")})
    if wants_xlsx(request):
        return list_export(request, title="人员档案", filename="people", filters=filters,
                           headers=["档案号", "姓名", "性别", "年龄", "身份证号（脱敏）", "身份状态", "特殊群体",
                                    "当前所在机构", "户籍地", "建档时间"],
                           rows=([p.file_no, p.name, p.get_sex_display(), p.age, p.id_number_masked,
                                  p.get_identity_status_display(), "、".join(p.special_groups), p.current_station,
                                  p.hukou_text, p.created_at] for p in qs.select_related("current_station").iterator()))
    can_create = (request.user.is_superuser or (request.user.organisation and request.user.organisation.is_station
                  and request.user.has_role(Role.RECEPTION, Role.TRACER, Role.HEAD, Role.ADMIN)))
    return render(request, "people/person_list.html", {**paginate(request, qs), "form": form,
                                                       "can_create": can_create})


@login_required
def person_new(request):
    require_station_creator(request.user)
    form = PersonForm(request.POST or None)
    candidates = []
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(
                by=request.user, station=request.user.organisation, data=form.person_data(),
                id_number=form.cleaned_data["id_number"], use_provisional_name=form.cleaned_data["use_provisional_name"],
                keep_unchecked_id=form.cleaned_data["keep_unchecked_id"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已建立人员档案 {person.file_no}。")
            return redirect("people:detail", uuid=person.uuid)
    if form.is_bound and form.is_valid() is False and form.data.get("name"):
        candidates = selectors.likely_same_person(user=request.user, name=form.data.get("name", ""),
                                                  sex=form.data.get("sex", ""), id_number=form.data.get("id_number", ""))
    return render(request, "people/person_form.html", {"form": form, "candidates": candidates, "creating": True})


@login_required
@audit_reads_prepared()  # its four audit-log reads, planned once per connection (issue 9)
def person_detail(request, uuid):
    person = selectors.person_get(user=request.user, uuid=uuid)
    services.person_record_view(by=request.user, person=person)  # rule E4
    owner_org = owner(person)
    ctx = {
        "person": person,
        "episodes": selectors.person_episodes(person=person, user=request.user),
        "timeline": selectors.person_timeline(person=person),
        "photos": list(person.photos.all()),
        "contacts": list(person.contacts.all()),
        "access_log": selectors.person_access_log(person=person, user=request.user),
        "may_see_access_log": selectors.may_see_access_log(request.user),
        "may_reveal": person.id_number_enc and services.may_reveal_id(request.user, person),
        "may_edit": can(request.user, owner_org, *EDIT_ROLES),
        "may_add_photo": can(request.user, owner_org, *PHOTO_ROLES),
        "aliases": [a.strip() for a in person.aliases.replace("；", ";").split(";") if a.strip()],
        "now": timezone.now(),
        "photo_form": PhotoForm(),
        "contact_form": ContactForm(),
        "panels": selectors.person_panels(person=person, user=request.user),
    }
    return render(request, "people/person_detail.html", ctx)


@login_required
def person_edit(request, uuid):
    person = selectors.person_get(user=request.user, uuid=uuid)
    require_write(request.user, owner(person), *EDIT_ROLES)
    # The form gets a copy: ModelForm validation writes into its instance, and the service must
    # snapshot the stored values for the audit diff.
    form = PersonForm(request.POST or None, instance=copy.copy(person), editing=True)
    if request.method == "POST" and form.is_valid():
        id_number = form.cleaned_data["id_number"].strip() or None  # blank = unchanged
        try:
            services.person_update(by=request.user, person=person, data=form.person_data(), id_number=id_number,
                                   keep_unchecked_id=form.cleaned_data["keep_unchecked_id"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "档案已保存。")
            return redirect("people:detail", uuid=person.uuid)
    return render(request, "people/person_form.html", {"form": form, "person": person, "creating": False})


@login_required
@require_POST
def reveal_id(request, uuid):
    person = selectors.person_get(user=request.user, uuid=uuid)
    try:
        number = services.person_reveal_id(by=request.user, person=person, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        message = "；".join(exc.messages)
        if request.headers.get("HX-Request"):
            # htmx swaps only 2xx answers: show the message where the number would appear.
            return HttpResponse(format_html('<span class="error">{}</span>', message))
        return JsonResponse({"code": "invalid", "message": message, "fields": {}}, status=400)
    if request.headers.get("HX-Request"):
        return render(request, "people/id_revealed.html", {"number": number})
    return JsonResponse({"id_number": number}, headers={"Cache-Control": "private, no-store"})


@login_required
def photo(request, uuid):
    """Stream a photo through the scope check; never a public URL, never cached."""
    item = selectors.photo_get(user=request.user, uuid=uuid)
    return private_file(item.image, missing="照片文件不存在。")


@login_required
def photo_add(request, uuid):
    person = selectors.person_get(user=request.user, uuid=uuid)
    require_write(request.user, owner(person), *PHOTO_ROLES)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        files = request.FILES.getlist("image")
        if form.is_valid():
            try:
                _add_all(request.user, person, files, form.cleaned_data)  # several photos: all or nothing
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, f"已上传 {len(files)} 张照片。")
                return redirect(f"{person_url(person)}#photos")
    return render(request, "people/photo_form.html", {"form": form, "person": person})


def _add_all(user, person, files, data):
    with transaction.atomic():
        for upload in files:
            services.photo_add(by=user, person=person, image=upload, kind=data["kind"], taken_on=data["taken_on"],
                               note=data["note"])


def person_url(person) -> str:
    return reverse("people:detail", kwargs={"uuid": person.uuid})


@login_required
def contact_add(request, uuid):
    person = selectors.person_get(user=request.user, uuid=uuid)
    require_write(request.user, owner(person), *EDIT_ROLES)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_create(by=request.user, person=person, data=form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已添加亲属联系人。")
            return redirect(f"{person_url(person)}#contacts")
    return render(request, "people/contact_form.html", {"form": form, "person": person})


@login_required
def contact_edit(request, uuid):
    contact = selectors.contact_get(user=request.user, uuid=uuid)
    person = contact.person
    require_write(request.user, owner(person), *EDIT_ROLES)
    if request.method == "POST" and request.POST.get("delete"):
        services.contact_delete(by=request.user, contact=contact)
        messages.success(request, "已删除亲属联系人。")
        return redirect(f"{person_url(person)}#contacts")
    form = ContactForm(request.POST or None, instance=copy.copy(contact))
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(by=request.user, contact=contact, data=form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已保存亲属联系人。")
            return redirect(f"{person_url(person)}#contacts")
    return render(request, "people/contact_form.html", {"form": form, "person": person, "contact": contact})


@login_required
def episode_detail(request, uuid):
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    log_read(request, "救助过程", person_uuid=episode.person.uuid, organisation=episode.station)
    ctx = {
        "episode": episode,
        "person": episode.person,
        "transitions": list(episode.transitions.select_related("by")),
        "panels": selectors.episode_panels(episode=episode, user=request.user),
        "steps": selectors.episode_next_steps(episode=episode, user=request.user),
        "now": timezone.now(),
    }
    return render(request, "people/episode_detail.html", ctx)


@login_required
def print_file(request, uuid):
    """The whole file for the paper archive (rule E4), HTML or ``?format=pdf``; audited as an export."""
    person = selectors.person_get(user=request.user, uuid=uuid)
    ctx = {
        "person": person,
        "episodes": selectors.person_episodes(person=person, user=request.user),
        "transitions": selectors.person_timeline(person=person),
        "contacts": list(person.contacts.all()),
        "printed_at": timezone.now(),
        "printed_by": request.user,
    }
    return print_response(request, "people/print_file.html", ctx, filename=f"file-{person.file_no}",
                          organisation=owner(person), person_uuid=person.uuid, title=f"人员档案 {person.file_no}")


@login_required
def division_search(request):
    """htmx helper: county-level divisions matching the typed text (options for a datalist)."""
    q = request.GET.get("q") or request.GET.get("hukou_division") or ""
    q = q.strip()
    divisions = Division.objects.none()
    if q:
        divisions = Division.objects.filter(level=DivisionLevel.COUNTY).filter(
            Q(name__contains=q) | Q(full_name__contains=q) | Q(code__startswith=q.split()[0])
        ).order_by("code")[:30]
    return render(request, "people/division_options.html", {"divisions": divisions})


@login_required
def share_request_new(request, uuid):
    """Ask the station holding a file found by the duplicate query to share it (issue 8 hole 2)."""
    person = selectors.share_request_target(user=request.user, uuid=uuid)
    holder = person.current_station or person.registered_by
    form = ShareRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.share_request_create(by=request.user, person=person, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已向{holder.name}发出共享申请；对方同意后，该档案会出现在本机构范围内。")
            return redirect("people:share_requests")
    return render(request, "people/share_request_form.html",
                  {"form": form, "holder": holder, "masked_name": services.mask_name(person.name)})


@login_required
def share_requests(request):
    """Inbox (other stations asking to share this station's files) and outbox of share requests."""
    return render(request, "people/share_requests.html",
                  {**selectors.share_requests(user=request.user), "decision_form": ShareDecisionForm()})


@login_required
@require_POST
def share_request_decide(request, uuid):
    share = selectors.share_request_get(user=request.user, uuid=uuid)
    form = ShareDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择同意或拒绝。")
        return redirect("people:share_requests")
    try:
        services.share_request_decide(by=request.user, share=share, accept=form.cleaned_data["accept"],
                                      note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已处理该共享申请。")
    return redirect("people:share_requests")
