"""Pages of the regional app (rules R1–R3, E2). Four steps each: scoped fetch → form → service → render.

Out of scope → 404 (scoped getters); in scope but not allowed to act → 403 (``regional.access``). Actions are
POST-only and their forms sit on the object's page, which shows a form's errors in place.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.audit import log_read
from core.excel import list_export, wants_xlsx
from core.models import Organisation, User
from core.paging import paginate
from core.scoping import can_write, visible_organisations
from core.views import form_errors_from
from regional import access, selectors, services
from regional.forms import (
    AnswerForm,
    AssistanceForm,
    BatchForm,
    ConclusionForm,
    EscalationForm,
    HandOverForm,
    JointForm,
    MeetingForm,
    MemberForm,
    NoteForm,
    ParticipantForm,
    ReasonForm,
    SearchForm,
)
from regional.models import (
    AssistanceStatus,
    BatchStatus,
    CaseKind,
    EscalationStatus,
    JointStatus,
    MemberStatus,
)


def _centre_or_403(user):
    centre = access.centre_of_user(user)
    if centre is None or not can_write(user, centre):
        raise PermissionDenied("该页面供区域性中心的工作人员使用。")
    return centre


def _centre_staff(centre):
    return User.objects.filter(organisation=centre, is_active=True).order_by("full_name", "username")


def _partners(user):
    """Organisations a joint case may involve (a directory, no personal data): those of the user's city and
    everything in the user's scope (a centre: its region; a department: its subtree)."""
    from django.db.models import Q

    org = user.organisation
    near = Q(pk__in=visible_organisations(user).values("pk"))
    if org is not None:
        near |= Q(division__code__startswith=org.division.code[:4])
    return Organisation.objects.filter(near, is_active=True).order_by("division__code", "name")


def _submit(request, form, call, done: str, target):
    """Validate ``form`` and call the service with its data: on success flash ``done`` and redirect to ``target``;
    None when the form or the service refused (the errors are attached to the form for the page to show)."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, done)
            return redirect(target)
    return None


@login_required
def home(request):
    """区域协作: the user's escalations, help sent down, joint cases and escorts, by role."""
    user = request.user
    centre = access.centre_of_user(user)
    org = user.organisation
    return render(request, "regional/home.html", {
        "centre": centre,
        "my_centre": access.centre_for_station(org) if org is not None and centre is None else None,
        "escalations": selectors.escalation_list(user=user, status="open")[:20],
        "assignments": selectors.my_assignments(user)[:20],
        "joint_cases": selectors.joint_list(user=user, status=JointStatus.OPEN)[:20],
        "batches": selectors.batch_list(user=user).exclude(status__in=[BatchStatus.DONE, BatchStatus.CANCELLED])[:20],
        "may_escalate": org is not None and centre is None and access.may_escalate(user, org),
        "may_centre": centre is not None and access.may_act_for_centre(user, centre),
    })


# -- 提级办理 -------------------------------------------------------------------------------------------------

ESCALATION_HEADERS = ["救助编号", "受助人员", "提请机构", "区域性中心", "提级事项", "提级理由", "状态", "提请时间",
                      "提请人", "答复时间", "答复意见", "结束时间", "结束说明"]


@login_required
def escalation_list(request):
    status = request.GET.get("status", "")[:16]
    kind = request.GET.get("kind", "")[:16]
    qs = selectors.escalation_list(user=request.user, status=status, kind=kind)
    if wants_xlsx(request):
        rows = ([e.episode.number, e.episode.person.name, e.station.name, e.centre.name, e.get_kind_display(),
                 e.reason, e.get_status_display(), e.requested_at, str(e.requested_by), e.answered_at,
                 e.answer_reason, e.ended_at, e.end_note] for e in qs.iterator(chunk_size=500))
        return list_export(request, title="提级办理台账", headers=ESCALATION_HEADERS, rows=rows,
                           filename="escalations", filters={"状态": status, "事项": kind},
                           object_type="regional.Escalation")
    return render(request, "regional/escalation_list.html", {
        **paginate(request, qs), "status": status, "kind": kind, "statuses": EscalationStatus.choices,
        "kinds": CaseKind.choices})


@login_required
def escalation_new(request):
    user = request.user
    org = user.organisation
    if org is None or not access.may_escalate(user, org) or access.centre_for_station(org) is None:
        raise PermissionDenied("只有区域内救助管理机构的站长、接待或寻亲人员可以提请提级办理。")
    episodes = selectors.escalatable_episodes(user)
    form = EscalationForm(request.POST or None, episodes=episodes,
                          initial={"episode": request.GET.get("episode", "")[:36]})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            esc = services.escalation_request(by=user, episode=d["episode"], kind=d["kind"], reason=d["reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已提请{esc.centre.name}提级办理。")
            return redirect("regional:escalation", esc.uuid)
    return render(request, "regional/form.html", {
        "form": form, "title": "提请提级办理",
        "intro": f"提请{access.centre_for_station(org).name}接办本站的救助过程（规则 R2）；中心接办后由中心办理，本站可查看。",
        "back": "regional:escalations"})


def _escalation_page(request, esc, *, answer_form=None, note_form=None, status=200):
    user = request.user
    is_centre = access.may_act_for_centre(user, esc.centre)
    log_read(request, "提级办理", person_uuid=esc.episode.person.uuid, organisation=esc.station)
    return render(request, "regional/escalation_detail.html", {
        "esc": esc,
        "may_answer": is_centre and esc.status == EscalationStatus.REQUESTED,
        "may_return": is_centre and esc.status == EscalationStatus.ACCEPTED,
        "may_withdraw": access.may_escalate(user, esc.station) and esc.status == EscalationStatus.REQUESTED,
        "answer_form": answer_form or AnswerForm(),
        "note_form": note_form or NoteForm(),
        "deadline": _answer_due(esc),
    }, status=status)


def _answer_due(esc):
    from datetime import timedelta

    from regional.deadlines import answer_hours

    return esc.requested_at + timedelta(hours=answer_hours()) if esc.status == EscalationStatus.REQUESTED else None


@login_required
def escalation_detail(request, uuid):
    return _escalation_page(request, selectors.escalation_get(user=request.user, uuid=uuid))


@login_required
@require_POST
def escalation_answer(request, uuid):
    esc = selectors.escalation_get(user=request.user, uuid=uuid)
    access.require_centre(request.user, esc.centre)
    form = AnswerForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if d["decision"] == "accept":
                services.escalation_accept(by=request.user, escalation=esc, reason=d["reason"])
                messages.success(request, "已接办：该救助过程改由本中心办理。")
            else:
                services.escalation_decline(by=request.user, escalation=esc, reason=d["reason"])
                messages.success(request, "已答复不予接办。")
            return redirect("regional:escalation", esc.uuid)
        except ValidationError as exc:
            form_errors_from(exc, form)
    return _escalation_page(request, esc, answer_form=form, status=400)


def _escalation_end(request, uuid, call, allowed, done):
    esc = selectors.escalation_get(user=request.user, uuid=uuid)
    if not allowed(esc):
        raise PermissionDenied("您不能办理该提级事项。")
    form = NoteForm(request.POST)
    return (_submit(request, form, lambda d: call(esc, d["note"]), done, reverse("regional:escalation", args=[esc.uuid]))
            or _escalation_page(request, esc, note_form=form, status=400))


@login_required
@require_POST
def escalation_withdraw(request, uuid):
    return _escalation_end(request, uuid,
                           lambda e, n: services.escalation_withdraw(by=request.user, escalation=e, note=n),
                           lambda e: access.may_escalate(request.user, e.station), "已撤回提级申请。")


@login_required
@require_POST
def escalation_return(request, uuid):
    return _escalation_end(request, uuid,
                           lambda e, n: services.escalation_return(by=request.user, escalation=e, note=n),
                           lambda e: access.may_act_for_centre(request.user, e.centre), "已交回救助站办理。")


# -- 下沉协助 -------------------------------------------------------------------------------------------------

@login_required
def assistance_list(request):
    qs = selectors.assistance_list(user=request.user, current=request.GET.get("current") == "1")
    return render(request, "regional/assistance_list.html", {
        **paginate(request, qs), "current": request.GET.get("current") == "1", "now": timezone.now(),
        "may_send": access.centre_of_user(request.user) is not None
        and access.may_act_for_centre(request.user, request.user.organisation)})


@login_required
def assistance_new(request):
    centre = _centre_or_403(request.user)
    access.require_centre(request.user, centre)
    form = AssistanceForm(request.POST or None, episodes=selectors.region_episodes(request.user, in_care_only=False)
                          .exclude(station=centre), staff=_centre_staff(centre),
                          initial={"episode": request.GET.get("episode", "")[:36]})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            help_ = services.assistance_send(by=request.user, episode=d["episode"], kind=d["kind"], task=d["task"],
                                             staff=list(d["staff"]), starts_at=d["starts_at"], ends_at=d["ends_at"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已派出下沉协助人员。")
            return redirect("regional:assistance", help_.uuid)
    return render(request, "regional/form.html", {
        "form": form, "title": "派出下沉协助",
        "intro": "派出的人员只在期限内、只对该救助过程有办理权限（规则 R2）。", "back": "regional:assistance_list"})


def _assistance_page(request, help_, *, note_form=None, status=200):
    now = timezone.now()
    log_read(request, "下沉协助", person_uuid=help_.episode.person.uuid, organisation=help_.station)
    return render(request, "regional/assistance_detail.html", {
        "help": help_, "now": now,
        "in_period": help_.status == AssistanceStatus.ACTIVE and help_.starts_at <= now < help_.ends_at,
        "may_end": access.may_act_for_centre(request.user, help_.centre)
        and help_.status == AssistanceStatus.ACTIVE and help_.ends_at > now,
        "note_form": note_form or NoteForm()}, status=status)


@login_required
def assistance_detail(request, uuid):
    return _assistance_page(request, selectors.assistance_get(user=request.user, uuid=uuid))


@login_required
@require_POST
def assistance_end(request, uuid):
    help_ = selectors.assistance_get(user=request.user, uuid=uuid)
    access.require_centre(request.user, help_.centre)
    form = NoteForm(request.POST)
    return (_submit(request, form, lambda d: services.assistance_end(by=request.user, assistance=help_, note=d["note"]),
                    "已提前结束下沉协助。", reverse("regional:assistance", args=[help_.uuid]))
            or _assistance_page(request, help_, note_form=form, status=400))


# -- 协同会办 -------------------------------------------------------------------------------------------------

@login_required
def joint_list(request):
    status = request.GET.get("status", "")[:8]
    qs = selectors.joint_list(user=request.user, status=status if status in JointStatus.values else "")
    return render(request, "regional/joint_list.html", {**paginate(request, qs), "status": status,
                                                        "statuses": JointStatus.choices})


@login_required
def joint_new(request):
    user = request.user
    org = user.organisation
    if org is None or not can_write(user, org, *access.STATION_ROLES) or not org.is_station:
        raise PermissionDenied("协同会办由救助管理机构或区域性中心牵头发起。")
    form = JointForm(request.POST or None, episodes=selectors.joint_episodes(user), organisations=_partners(user))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            joint = services.joint_open(by=user, episode=d["episode"], kind=d["kind"], title=d["title"],
                                        participants=[{"organisation": d["organisation"], "duty": d["duty"],
                                                       "contact": d["contact"]}])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已发起协同会办。")
            return redirect("regional:joint", joint.uuid)
    return render(request, "regional/form.html", {
        "form": form, "title": "发起协同会办", "back": "regional:joint_list",
        "intro": "多个单位共同办理一个救助过程（规则 R2）：先选一家参与机构，其余在会办页面添加。"})


def _joint_page(request, joint, *, participant_form=None, meeting_form=None, conclusion_form=None, status=200):
    user = request.user
    bodies = [joint.convener] + [p.organisation for p in joint.participants.select_related("organisation")]
    may_convene = can_write(user, joint.convener, *access.STATION_ROLES) and joint.status == JointStatus.OPEN
    log_read(request, "协同会办", person_uuid=joint.episode.person.uuid, organisation=joint.convener)
    choices = Organisation.objects.filter(pk__in=[b.pk for b in bodies])
    return render(request, "regional/joint_detail.html", {
        "joint": joint,
        "participants": joint.participants.select_related("organisation"),
        "meetings": joint.meetings.select_related("recorded_by"),
        "decisions": [(d, can_write(user, d.responsible) and d.done_at is None)
                      for d in joint.decisions.select_related("responsible", "meeting")],
        "may_convene": may_convene,
        "participant_form": participant_form or ParticipantForm(organisations=_partners(user)),
        "meeting_form": meeting_form or MeetingForm(organisations=choices),
        "conclusion_form": conclusion_form or ConclusionForm(),
        "done_form": NoteForm(),
    }, status=status)


@login_required
def joint_detail(request, uuid):
    return _joint_page(request, selectors.joint_get(user=request.user, uuid=uuid))


def _require_convener(request, joint):
    if not can_write(request.user, joint.convener, *access.STATION_ROLES):
        raise PermissionDenied("只有牵头机构可以办理会办事项。")


@login_required
@require_POST
def joint_participant_new(request, uuid):
    joint = selectors.joint_get(user=request.user, uuid=uuid)
    _require_convener(request, joint)
    form = ParticipantForm(request.POST, organisations=_partners(request.user))
    return (_submit(request, form, lambda d: services.joint_participant_add(
        by=request.user, joint=joint, organisation=d["organisation"], duty=d["duty"], contact=d["contact"]),
        "已增加参与机构。", reverse("regional:joint", args=[joint.uuid]))
        or _joint_page(request, joint, participant_form=form, status=400))


@login_required
@require_POST
def joint_meeting_new(request, uuid):
    joint = selectors.joint_get(user=request.user, uuid=uuid)
    _require_convener(request, joint)
    bodies = [joint.convener_id] + list(joint.participants.values_list("organisation_id", flat=True))
    form = MeetingForm(request.POST, organisations=Organisation.objects.filter(pk__in=bodies))

    def record(d):
        decisions = ([{"text": d["decision"], "responsible": d["responsible"], "due_on": d["due_on"]}]
                     if d["decision"] else [])
        services.joint_meeting_record(by=request.user, joint=joint, held_on=d["held_on"], place=d["place"],
                                      attendees=d["attendees"], minutes=d["minutes"], decisions=decisions)

    return (_submit(request, form, record, "已记录会办会议。", reverse("regional:joint", args=[joint.uuid]))
            or _joint_page(request, joint, meeting_form=form, status=400))


@login_required
@require_POST
def joint_close(request, uuid):
    joint = selectors.joint_get(user=request.user, uuid=uuid)
    _require_convener(request, joint)
    form = ConclusionForm(request.POST)
    return (_submit(request, form, lambda d: services.joint_close(by=request.user, joint=joint,
                                                                  conclusion=d["conclusion"]),
                    "协同会办已结案。", reverse("regional:joint", args=[joint.uuid]))
            or _joint_page(request, joint, conclusion_form=form, status=400))


@login_required
@require_POST
def decision_done(request, uuid):
    decision = selectors.decision_get(user=request.user, uuid=uuid)
    if not can_write(request.user, decision.responsible):
        raise PermissionDenied("只有责任机构可以登记落实情况。")
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.joint_decision_done(by=request.user, decision=decision, note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已登记落实情况。")
    else:
        messages.error(request, "请填写落实情况。")
    return redirect("regional:joint", decision.joint_case.uuid)


# -- 统一护送（E2）------------------------------------------------------------------------------------------

BATCH_HEADERS = ["出发日期", "护送路线", "车辆", "护送人员", "状态", "救助编号", "受助人员", "所在机构", "目的地",
                 "接收机构", "人员状态", "交接时间", "接收人"]


def _batch_rows(user, batches):
    for b in batches:
        staff = "、".join(str(u) for u in b.staff.all())
        members = list(selectors.batch_members(user=user, batch=b))
        if not members:
            yield [b.departs_on, b.route, b.vehicle, staff, b.get_status_display()] + [""] * 8
        for m in members:
            dep = m.departure
            yield [b.departs_on, b.route, b.vehicle, staff, b.get_status_display(), m.episode.number,
                   m.episode.person.name, m.episode.station.name, str(m.destination),
                   m.receiving.name if m.receiving else "", m.get_status_display(),
                   dep.handover_at if dep else None, dep.handover_person if dep else ""]


@login_required
def batch_list(request):
    status = request.GET.get("status", "")[:10]
    qs = selectors.batch_list(user=request.user, status=status)
    if wants_xlsx(request):
        return list_export(request, title="统一护送批次", headers=BATCH_HEADERS,
                           rows=_batch_rows(request.user, qs.prefetch_related("staff")[:2000]),
                           filename="escort-batches", filters={"状态": status}, object_type="regional.EscortBatch")
    centre = access.centre_of_user(request.user)
    return render(request, "regional/batch_list.html", {
        **paginate(request, qs), "status": status, "statuses": BatchStatus.choices,
        "may_plan": centre is not None and access.may_act_for_centre(request.user, centre)})


@login_required
def batch_new(request):
    centre = _centre_or_403(request.user)
    access.require_centre(request.user, centre)
    form = BatchForm(request.POST or None, staff=_centre_staff(centre))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            batch = services.batch_create(by=request.user, route=d["route"], departs_on=d["departs_on"],
                                          vehicle=d["vehicle"], staff=list(d["staff"]), note=d["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已制定护送批次，请编入人员。")
            return redirect("regional:batch", batch.uuid)
    return render(request, "regional/form.html", {
        "form": form, "title": "制定统一护送批次", "back": "regional:batches",
        "intro": "跨省护送由区域性中心统一组织，以本中心工作人员实施，按路线编批（规则 E2）。"})


def _receiving(user):
    return _partners(user).filter(kind__in=["station", "regional_centre", "minor_centre"])


def _batch_page(request, batch, *, member_form=None, reason_form=None, status=200):
    user = request.user
    is_centre = access.may_act_for_centre(user, batch.centre)
    members = list(selectors.batch_members(user=user, batch=batch))
    log_read(request, "统一护送批次", objects=members, organisation=batch.centre)
    hand_over = {}
    if is_centre and batch.status == BatchStatus.UNDER_WAY:
        from oversight.services import current_members

        for m in members:
            if m.status == MemberStatus.PLANNED:
                witnesses = list(current_members(m.episode.station, timezone.localdate()))
                hand_over[m.pk] = HandOverForm(prefix=f"m{m.pk}", organisations=_receiving(user),
                                               witnesses=witnesses,
                                               initial={"handover_org": m.receiving.uuid if m.receiving else None,
                                                        "handed_over_to": "station" if m.receiving else "family",
                                                        "handover_at": timezone.localtime()})
    return render(request, "regional/batch_detail.html", {
        "batch": batch, "members": [(m, hand_over.get(m.pk)) for m in members],
        "is_centre": is_centre,
        "may_edit": is_centre and batch.status == BatchStatus.PLANNED,
        "may_start": is_centre and batch.status == BatchStatus.PLANNED,
        "member_form": member_form or MemberForm(episodes=selectors.region_episodes(user),
                                                 receiving=_receiving(user)),
        "reason_form": reason_form or ReasonForm(),
    }, status=status)


@login_required
def batch_detail(request, uuid):
    return _batch_page(request, selectors.batch_get(user=request.user, uuid=uuid))


@login_required
@require_POST
def batch_member_new(request, uuid):
    batch = selectors.batch_get(user=request.user, uuid=uuid)
    access.require_centre(request.user, batch.centre)
    form = MemberForm(request.POST, episodes=selectors.region_episodes(request.user),
                      receiving=_receiving(request.user))
    return (_submit(request, form, lambda d: services.batch_member_add(
        by=request.user, batch=batch, episode=d["episode"], destination=d["destination"], receiving=d["receiving"]),
        "已编入护送批次。", reverse("regional:batch", args=[batch.uuid]))
        or _batch_page(request, batch, member_form=form, status=400))


@login_required
@require_POST
def batch_start(request, uuid):
    batch = selectors.batch_get(user=request.user, uuid=uuid)
    access.require_centre(request.user, batch.centre)
    try:
        services.batch_start(by=request.user, batch=batch)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "护送批次已出发，到达后逐人办理交接。")
    return redirect("regional:batch", batch.uuid)


@login_required
@require_POST
def batch_cancel(request, uuid):
    batch = selectors.batch_get(user=request.user, uuid=uuid)
    access.require_centre(request.user, batch.centre)
    form = ReasonForm(request.POST)
    return (_submit(request, form, lambda d: services.batch_cancel(by=request.user, batch=batch, reason=d["reason"]),
                    "已取消护送批次。", reverse("regional:batch", args=[batch.uuid]))
            or _batch_page(request, batch, reason_form=form, status=400))


@login_required
@require_POST
def member_remove(request, uuid):
    member = selectors.member_get(user=request.user, uuid=uuid)
    access.require_centre(request.user, member.batch.centre)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("请写明移出原因。")
        services.batch_member_remove(by=request.user, member=member, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已移出护送批次。")
    return redirect("regional:batch", member.batch.uuid)


@login_required
@require_POST
def member_hand_over(request, uuid):
    """One person handed over at the destination: the departure (返乡（护送）) is recorded by leaving."""
    member = selectors.member_get(user=request.user, uuid=uuid)
    batch = member.batch
    access.require_centre(request.user, batch.centre)
    form = HandOverForm(request.POST, request.FILES, prefix=f"m{member.pk}", organisations=_receiving(request.user))
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.member_hand_over(by=request.user, member=member, handed_over_to=d["handed_over_to"],
                                      handover_org=d["handover_org"], handover_person=d["handover_person"],
                                      handover_at=d["handover_at"], claimant_id_number=d["claimant_id_number"],
                                      claimant_id_copy=d["claimant_id_copy"], witness_1=d["witness_1"] or None,
                                      witness_2=d["witness_2"] or None, note=d["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"{member.episode.person.name} 已交接，离站记录已登记。")
            return redirect("regional:batch", batch.uuid)
    messages.error(request, "交接未登记：" + "；".join(f"{e}" for errs in form.errors.values() for e in errs))
    return redirect(reverse("regional:batch", args=[batch.uuid]) + f"#m{member.pk}")


# -- 指挥调度、检索、信息交流、培训（R1、R3）----------------------------------------------------------------

@login_required
def dispatch(request):
    """The region at a glance (rule R3); the figures refresh themselves (htmx polling)."""
    _centre_or_403(request.user)
    figures = selectors.dispatch_figures(user=request.user)
    log_read(request, "区域指挥调度", count=figures["totals"]["in_care"])
    return render(request, "regional/dispatch.html", {"figures": figures, "search_form": SearchForm()})


@login_required
def dispatch_figures(request):
    _centre_or_403(request.user)
    figures = selectors.dispatch_figures(user=request.user)
    log_read(request, "区域指挥调度（刷新）", count=figures["totals"]["in_care"])
    return render(request, "regional/dispatch_figures.html", {"figures": figures})


@login_required
def search(request):
    """Centre-wide search across the region's files (rule R3), scoped and read-audited."""
    _centre_or_403(request.user)
    form = SearchForm(request.GET or None)
    results = []
    if form.is_valid() and form.cleaned_data["q"]:
        results = selectors.region_search(user=request.user, q=form.cleaned_data["q"])
        log_read(request, "区域档案检索", objects=results, filters={"q": form.cleaned_data["q"]})
    return render(request, "regional/search.html", {"form": form, "results": results,
                                                    "limit": selectors.SEARCH_LIMIT})


@login_required
def board(request):
    """The regional information exchange (rule R1): the region's published announcements on one board."""
    _centre_or_403(request.user)
    items = selectors.region_announcements(user=request.user)
    log_read(request, "区域信息交流", objects=items)
    return render(request, "regional/board.html", {"items": items})


@login_required
def training(request):
    """Unified training (rule R1): the region's stations with their training records (staff app)."""
    _centre_or_403(request.user)
    return render(request, "regional/training.html", {"rows": selectors.region_training(user=request.user)})
