"""Intake pages (接待服务): thin views — scoped fetch → form → service → render."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.excel import list_export, wants_xlsx
from core.paging import paginate
from core.printing import print_response
from core.scoping import can_write, get_scoped_or_404, require_case_write, require_write
from core.views import form_errors_from, service_checks
from intake import selectors, services
from intake.forms import (
    BelongingFormSet,
    DangerousItemFormSet,
    ForeignCaseForm,
    HandoverForm,
    HealthCheckForm,
    HelpForm,
    IntakeFilterForm,
    NoticeForm,
    RefusalForm,
    RegisterForm,
    SafetyCheckForm,
)
from intake.models import ForeignCase, NoticeKind, PoliceHandover
from intake.selectors import INTAKE_ROLES


def _to_episode(episode, anchor: str = "next-step"):
    """After an action: back to the episode page (the one page of a stay), where the next step is offered."""
    return redirect(reverse("people:episode", args=[episode.uuid]) + f"#{anchor}")


def _episode_for_write(request, uuid, *roles):
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    require_case_write(request.user, episode, *(roles or INTAKE_ROLES))
    return episode


@login_required
def intake_list(request):
    """Today's and recent requests, refused ones included (rule I1)."""
    form = IntakeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.intake_list(user=request.user, filters=filters)
    if wants_xlsx(request):
        return list_export(request, title="求助登记", filename="intake", filters=filters,
                           headers=["救助编号", "求助时间", "姓名", "档案号", "求助方式", "甄别结果", "状态", "机构",
                                    "重点甄别", "疑似外籍"],
                           rows=([e.number, e.requested_at, e.person.name, e.person.file_no, e.get_channel_display(),
                                  e.intake.get_decision_display() if hasattr(e, "intake") else "", e.status_label,
                                  e.station.name, e.flag_repeat_requests, e.flag_foreign]
                                 for e in qs.select_related("person", "station", "intake").iterator()))
    can_register = request.user.organisation is not None and can_write(
        request.user, request.user.organisation, *INTAKE_ROLES)
    return render(request, "intake/list.html", {**paginate(request, qs), "form": form,
                                                "can_register": can_register})


def _candidates_for(request, form: RegisterForm) -> list[dict]:
    d = form.cleaned_data
    return selectors.duplicate_candidates(user=request.user, name=(d.get("name") or "").strip(), sex=d.get("sex") or "",
                                          birth_year=form.birth_year(), id_number=form.checked_id_number())


@login_required
def intake_new(request):
    """求助登记: step 1 enters the data; if earlier files may be the same person, step 2 asks staff to
    attach the request to one of them or to open a new file (rules I4, E4). The save is one transaction."""
    station = request.user.organisation
    require_write(request.user, station, *INTAKE_ROLES)
    form = RegisterForm(request.POST or None, request.FILES or None)
    candidates: list[dict] = []
    if request.method == "POST" and not form.is_valid():
        # every mistake at once: the service's own checks (N1/N2 answers, phone recording …) beside the form's
        service_checks(form, lambda d: services.intake_register(
            by=request.user, station=station, channel=d.get("channel") or "", requested_at=d.get("requested_at"),
            person_data=form.person_data(), id_number=d.get("id_number") or "",
            keep_unchecked_id=bool(d.get("keep_unchecked_id")),
            use_provisional_name=d.get("use_provisional_name", False), answers=form.answers(), photo=None))
    elif request.method == "POST":
        candidates = _candidates_for(request, form)
        match = form.cleaned_data.get("match") or ""
        if candidates and not match:
            messages.warning(request, "系统发现可能是同一人的已有档案，请确认后再保存（一人一档）。")
        else:
            d = form.cleaned_data
            person = None
            if match and match != "new":
                try:
                    person = selectors.attachable_person(
                        user=request.user, uuid=match, name=(d.get("name") or "").strip(), sex=d.get("sex") or "",
                        birth_year=form.birth_year(), id_number=form.checked_id_number())
                except (Http404, ValidationError):
                    form.add_error(None, "所选档案不存在或不可关联，请重新选择。")
            if not form.errors:
                try:
                    episode = services.intake_register(
                        by=request.user, station=station, channel=d["channel"], requested_at=d["requested_at"],
                        person=person, person_data=form.person_data(), id_number=d.get("id_number") or "",
                        keep_unchecked_id=bool(d.get("keep_unchecked_id")),
                        use_provisional_name=d.get("use_provisional_name", False), answers=form.answers(),
                        photo=d.get("photo"))
                except ValidationError as exc:
                    form_errors_from(exc, form)
                else:
                    if episode.flag_repeat_requests:
                        messages.error(request, "注意：该人员6个月内已多次求助，请重点甄别（规则I6）。")
                    messages.success(request, f"已登记求助 {episode.number}：{episode.person.name}")
                    return _to_episode(episode)
    return render(request, "intake/new.html", {"form": form, "candidates": candidates})


@login_required
def intake_candidates(request):
    """htmx: likely earlier files for the name / ID number typed so far (rules I4, E4)."""
    require_write(request.user, request.user.organisation, *INTAKE_ROLES)
    form = RegisterForm(request.GET)
    form.is_valid()  # partial data: use whatever cleaned
    if "id_number" in form.errors:
        form.cleaned_data["id_number"] = ""
    form.cleaned_data.setdefault("name", request.GET.get("name", ""))
    candidates = _candidates_for(request, form)
    return render(request, "intake/_candidates.html", {"candidates": candidates, "live": True})


@login_required
def episode_detail(request, uuid):
    """The old address of the intake record: the episode page is the one page of a stay (the scoped fetch
    comes first, so an outsider learns nothing from the redirect)."""
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    return _to_episode(episode, "intake-panel")


@login_required
def safety_add(request, uuid):
    episode = _episode_for_write(request, uuid)
    form = SafetyCheckForm(request.POST or None)
    items = DangerousItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and items.is_valid():
        rows = [f.cleaned_data for f in items.forms if f.cleaned_data]
        try:
            services.safety_check_add(by=request.user, episode=episode, checked_at=form.cleaned_data["checked_at"],
                                      note=form.cleaned_data["note"], items=rows)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已记录安全检查。")
            return _to_episode(episode)
    return render(request, "intake/safety_form.html", {"episode": episode, "form": form, "items": items})


def _model_form_action(request, uuid, form_class, service, template: str, done: str, roles=()):
    episode = _episode_for_write(request, uuid, *roles)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(by=request.user, episode=episode, data=form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, done)
            return _to_episode(episode)
    return render(request, "intake/action_form.html", {"episode": episode, "form": form, "title": template})


@login_required
def health_add(request, uuid):
    return _model_form_action(request, uuid, HealthCheckForm, services.health_check_add, "初步检视（规则I3）",
                              "已记录初步检视。")


@login_required
def handover_add(request, uuid):
    return _model_form_action(request, uuid, HandoverForm, services.handover_add,
                              "公安机关护送流浪乞讨人员交接表（规则I5）", "已记录护送交接。")


@login_required
def belonging_add(request, uuid):
    """Rule I2: several belongings at once (one row each; empty rows are skipped), all or nothing."""
    episode = _episode_for_write(request, uuid)
    formset = BelongingFormSet(request.POST or None, prefix="items")
    errors: list[str] = []
    if request.method == "POST" and formset.is_valid():
        rows = [f.cleaned_data for f in formset.forms if f.cleaned_data]
        try:
            added = services.belongings_add(by=request.user, episode=episode, items=rows)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, "已登记代管物品：" + "、".join(f"{b.item}×{b.quantity}" for b in added))
            return _to_episode(episode)
    return render(request, "intake/belongings_form.html", {"episode": episode, "formset": formset,
                                                           "errors": errors})


@login_required
def help_add(request, uuid):
    """Rules N4, R4: record help given (food, lodging, clothing, medical care, contact, ticket …)."""
    episode = _episode_for_write(request, uuid)
    form = HelpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.help_add(by=request.user, episode=episode, kind=data["kind"],
                                       description=data["description"], given_at=data["given_at"] or None)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已登记救助服务：{record.get_kind_display()}")
            return _to_episode(episode)
    return render(request, "intake/action_form.html", {"episode": episode, "form": form,
                                                       "title": "登记救助服务（规则N4、R4）"})


@login_required
def foreign_case(request, uuid):
    """Rule I7: follow a suspected foreign national's case through, each step dated."""
    case = get_scoped_or_404(ForeignCase.objects.select_related("episode__person", "episode__station"),
                             request.user, uuid=uuid)
    episode = _episode_for_write(request, case.episode.uuid)
    form = ForeignCaseForm(request.POST or None, instance=copy.copy(case))
    if request.method == "POST" and form.is_valid():
        try:
            services.foreign_case_update(by=request.user, case=case, data=form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已更新疑似外籍人员核实情况。")
            return _to_episode(episode)
    return render(request, "intake/action_form.html", {"episode": episode, "form": form,
                                                       "title": "疑似外籍人员核实（规则I7）"})


@login_required
@require_POST
def belongings_return(request, uuid):
    episode = _episode_for_write(request, uuid)
    try:
        count = services.belongings_return_all(by=request.user, episode=episode)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已归还代管物品 {count} 件。")
    return _to_episode(episode)


@login_required
@require_POST
def admit(request, uuid):
    episode = _episode_for_write(request, uuid)
    try:
        services.intake_admit(by=request.user, episode=episode)
    except ValidationError as exc:
        messages.error(request, "不能入站：" + "；".join(exc.messages))
    else:
        messages.success(request, f"{episode.number} 已办理入站。")
    return _to_episode(episode)


def _notice_action(request, uuid, service, title: str, form_class=None):
    episode = _episode_for_write(request, uuid)
    form = (form_class or NoticeForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        extra = {"ground": form.cleaned_data["ground"]} if form.cleaned_data.get("ground") else {}
        try:
            notice = service(by=request.user, episode=episode, reason=form.cleaned_data["reason"], **extra)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已出具{notice.get_kind_display()} {notice.number}。")
            return _to_episode(episode)
    return render(request, "intake/action_form.html", {"episode": episode, "form": form, "title": title,
                                                       "danger": True})


@login_required
def refuse(request, uuid):
    return _notice_action(request, uuid, services.intake_refuse, "不予救助", RefusalForm)


@login_required
def terminate(request, uuid):
    return _notice_action(request, uuid, services.intake_terminate, "终止救助")


@login_required
def print_registration(request, uuid):
    """求助登记表 (rule N12)."""
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    panel = selectors.episode_panel(episode=episode, user=request.user)
    if panel["record"] is None:
        raise Http404("该救助过程没有求助登记。")
    from intake.models import Need

    portrait = episode.person.photos.filter(kind="portrait").order_by("created_at").first()
    photo_uri = ""
    if portrait is not None:
        import base64

        from core.images import reencode_jpeg

        try:
            with portrait.image.open("rb") as handle:
                photo_uri = "data:image/jpeg;base64," + base64.b64encode(reencode_jpeg(handle, max_side=400)).decode()
        except (OSError, ValidationError):
            photo_uri = ""
    needs = [Need(n).label for n in (panel["record"].needs or []) if n in Need.values]
    if not panel["record"].person_at_intake:  # recorded before the snapshot existed: the file as it is
        panel["record"].person_at_intake = services.person_as_recorded(episode.person, episode.requested_at)
    return print_response(request, "intake/print_registration.html", {**panel, "photo_uri": photo_uri, "needs": needs},
                          filename=f"求助登记表-{episode.number}",
                          organisation=episode.station, person_uuid=episode.person.uuid, title="求助登记表")


@login_required
def print_handover(request, uuid):
    """公安机关护送流浪乞讨人员交接表 (rules I5, N12)."""
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    handover = PoliceHandover.objects.filter(episode=episode).select_related("escort_org", "received_by").last()
    if handover is None:
        raise Http404("该救助过程没有护送交接记录。")
    return print_response(request, "intake/print_handover.html", {"episode": episode, "h": handover},
                          filename=f"护送交接表-{episode.number}", organisation=episode.station,
                          person_uuid=episode.person.uuid, title="公安机关护送流浪乞讨人员交接表")


@login_required
def print_notice(request, uuid):
    """不予救助通知书 / 终止救助通知书 (rules N3, N12)."""
    notice = selectors.notice_get(user=request.user, uuid=uuid)
    title = notice.get_kind_display()
    return print_response(request, "intake/print_notice.html",
                          {"notice": notice, "episode": notice.episode, "title": title,
                           "is_refusal": notice.kind == NoticeKind.REFUSAL},
                          filename=f"{title}-{notice.number}", organisation=notice.episode.station,
                          person_uuid=notice.episode.person.uuid, title=title)
