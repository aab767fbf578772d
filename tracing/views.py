"""Pages of the tracing app. Four steps each: scoped fetch → form → service → render.

Out of scope → 404 (the scoped getters), read-only viewers (supervisors, the panel) → 403 on writes.
Police users reach only the identity checks addressed to their organisation.
"""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.audit import audit, log_read
from core.downloads import private_file
from core.excel import ExcelBook
from core.models import AuditAction, Organisation, Role
from core.paging import paginate
from core.printing import print_response
from core.scoping import can_write, can_write_case, require_case_write, require_write
from core.views import form_errors_from
from tracing import selectors, services
from tracing.forms import (
    AnswerForm,
    AssignForm,
    CheckForm,
    DnaForm,
    DnaUpdateForm,
    EscalateForm,
    EscalationAnswerForm,
    IdentifyForm,
    LeadForm,
    LeadResolveForm,
    PlanForm,
    TalkForm,
)
from tracing.models import CheckStatus, LeadKind
from tracing.selectors import CHECK_ROLES, IDENTIFY_ROLES, PLAN_ROLES, TRACING_ROLES


def _person_url(person) -> str:
    return f"/people/{person.uuid}/#panel-tracing"


def _open_episode_for_write(request, uuid, *roles):
    """The person (in scope) and their open episode, which must belong to the user's station."""
    person = selectors.person_get(user=request.user, uuid=uuid)
    episode = selectors.open_episode(person)
    if episode is None:
        require_write(request.user, person.current_station or person.registered_by, *roles)
        raise Http404("该人员目前不在站。")
    require_case_write(request.user, episode, *roles)
    return person, episode


@login_required
def home(request):
    """Station staff: unidentified people in care with their tracing status; police: the inbox."""
    if selectors.is_police_user(request.user):
        status = request.GET.get("status", "")
        status = status if status in CheckStatus.values else ""
        overdue = request.GET.get("overdue") == "1"
        page = paginate(request, selectors.police_inbox(user=request.user, status=status, overdue=overdue))
        for check in page["object_list"]:
            check.t2 = selectors.t2_status(check)
        return render(request, "tracing/police_inbox.html", {**page, "status": status, "overdue": overdue,
                                                             "statuses": CheckStatus.choices[1:]})
    return render(request, "tracing/home.html", {
        "rows": selectors.home_rows(user=request.user),
        "clues": selectors.open_clue_count(request.user),
        "report_stations": selectors.report_stations(request.user)[:50],
        "pending_checks": selectors.check_list(user=request.user, status=CheckStatus.SENT).count(),
    })


# --- identity checks ------------------------------------------------------------------------------------


@login_required
def check_new(request, uuid):
    person, episode = _open_episode_for_write(request, uuid, *CHECK_ROLES)
    known = "；".join(x for x in [
        f"性别：{person.get_sex_display()}" if person.sex else "",
        f"估计年龄：{person.age_min}–{person.age_max}岁" if person.age_min is not None and person.age_max else
        (f"年龄：约{person.age}岁" if person.age is not None else ""),
        f"身高：{person.height_cm}厘米" if person.height_cm else "",
        f"口音：{person.dialect}" if person.dialect else "",
        f"体貌特征：{person.marks}" if person.marks else "",
        f"入站时间：{timezone.localtime(episode.admitted_at):%Y-%m-%d %H:%M}" if episode.admitted_at else "",
    ] if x)
    form = CheckForm(request.POST or None, initial={"known_info": known, "send": True},
                     organisations=selectors.police_organisations(), photos=selectors.sendable_photos(person))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            check = services.check_create(by=request.user, person=person, police=d["police"], photo=d["photo"],
                                          biometrics_ref=d["biometrics_ref"], known_info=d["known_info"],
                                          send=d["send"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已{'发送' if check.sent_at else '保存'}身份核查 {check.number}。")
            return redirect("tracing:check", uuid=check.uuid)
    return render(request, "tracing/form.html", {"form": form, "person": person, "title": "公安身份核查（规则T1）",
                                                 "multipart": False})


@login_required
def check_detail(request, uuid):
    """Station: the whole request and answer. Police: only what was sent, and the answer form link."""
    check = selectors.check_get(user=request.user, uuid=uuid)
    log_read(request, "身份核查", person_uuid=check.person.uuid, organisation=check.station)
    is_police = request.user.organisation_id == check.police_id and request.user.organisation_id != check.station_id
    return render(request, "tracing/check_detail.html", {
        "check": check, "is_police": is_police, "t2": selectors.t2_status(check),
        "attachments": list(check.attachments.all()),
        "may_answer": check.status == CheckStatus.SENT and can_write(request.user, check.police, Role.POLICE),
        "may_send": check.status == CheckStatus.DRAFT and can_write(request.user, check.station, *CHECK_ROLES),
    })


@login_required
@require_POST
def check_send(request, uuid):
    check = selectors.check_get(user=request.user, uuid=uuid)
    require_write(request.user, check.station, *CHECK_ROLES)
    try:
        services.check_send(by=request.user, check=check)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已发送身份核查 {check.number}。")
    return redirect("tracing:check", uuid=check.uuid)


@login_required
def check_answer(request, uuid):
    """Only the addressed police organisation answers (rule T2)."""
    check = selectors.check_get(user=request.user, uuid=uuid)
    require_write(request.user, check.police, Role.POLICE)
    if check.status != CheckStatus.SENT:
        messages.info(request, "该核查请求已答复或已关闭。")
        return redirect("tracing:check", uuid=check.uuid)
    form = AnswerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.check_answer(by=request.user, check=check, result=d["result"], answer_text=d["answer_text"],
                                  name=d["answered_name"], id_number=d["id_number"],
                                  hukou_division=d["hukou_division"], hukou_text=d["hukou_text"],
                                  attachments=d["attachments"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已答复身份核查 {check.number}。")
            return redirect("tracing:check", uuid=check.uuid)
    return render(request, "tracing/form.html", {"form": form, "check": check, "multipart": True,
                                                 "title": f"答复身份核查 {check.number}（规则T2：48小时内）"})


@login_required
def check_photo(request, uuid):
    """The photo that was sent with a request: the police see it here, not through the person's file."""
    check = selectors.check_get(user=request.user, uuid=uuid)
    if check.photo is None:
        raise Http404("该请求没有附带照片。")
    audit(actor=request.user, action=AuditAction.VIEW, obj=check, summary=f"查看核查照片 {check.number}",
          organisation=check.station, person_uuid=check.person.uuid)
    return private_file(check.photo.image, missing="照片文件不存在。")


@login_required
def attachment(request, uuid):
    att = selectors.attachment_get(user=request.user, uuid=uuid)
    check = att.check_request
    audit(actor=request.user, action=AuditAction.VIEW, obj=check, summary=f"查看核查答复附件 {att.filename}",
          organisation=check.station, person_uuid=check.person.uuid)
    return private_file(att.file, filename=att.filename, content_type=att.content_type, missing="附件文件不存在。")


@login_required
def check_print(request, uuid):
    """身份协查函: the request as sent (and the answer, once given), HTML or PDF."""
    check = selectors.check_get(user=request.user, uuid=uuid)
    return print_response(request, "tracing/print_check.html", {"check": check, "t2": selectors.t2_status(check),
                                                                "now": timezone.now()},
                          filename=f"identity-check-{check.number}", organisation=check.station,
                          person_uuid=check.person.uuid, title="身份协查函")


# --- tracer, talks, leads -----------------------------------------------------------------------------


@login_required
def assign(request, uuid):
    person, episode = _open_episode_for_write(request, uuid, *TRACING_ROLES)
    form = AssignForm(request.POST or None, tracers=selectors.tracers_of(episode.station))
    if request.method == "POST" and form.is_valid():
        try:
            services.tracer_assign(by=request.user, episode=episode, tracer=form.cleaned_data["tracer"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已指派寻亲员。")
            return redirect(_person_url(person))
    return render(request, "tracing/form.html", {"form": form, "person": person, "title": "指派寻亲员（规则T4）"})


@login_required
def talk_new(request, uuid):
    person, episode = _open_episode_for_write(request, uuid, *TRACING_ROLES)
    form = TalkForm(request.POST or None, initial={"held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            talk = services.talk_add(by=request.user, episode=episode, held_at=d["held_at"], content=d["content"],
                                     present=d["present"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已记录谈话。请查看系统提示的线索。")
            return redirect("tracing:talk", uuid=talk.uuid)
    return render(request, "tracing/form.html", {
        "form": form, "person": person, "title": "记录寻亲谈话（规则T4）",
        "t4": selectors.t4_status(episode)})


@login_required
def talk_detail(request, uuid):
    """A talk with its suggestion chips; each chip opens the lead form prefilled."""
    talk = selectors.talk_get(user=request.user, uuid=uuid)
    log_read(request, "寻亲谈话", person_uuid=talk.episode.person.uuid, organisation=talk.episode.station)
    return render(request, "tracing/talk_detail.html", {
        "talk": talk, "person": talk.episode.person, "leads": list(talk.leads.select_related("organisation")),
        "may_trace": can_write_case(request.user, talk.episode, *TRACING_ROLES),
        "lead_kinds": LeadKind.choices,
    })


@login_required
def lead_new(request, uuid):
    person, episode = _open_episode_for_write(request, uuid, *TRACING_ROLES)
    talk = None
    talk_uuid = request.GET.get("talk") or request.POST.get("talk")
    if talk_uuid:
        talk = selectors.talk_get(user=request.user, uuid=talk_uuid)
    initial = {k: request.GET.get(k, "") for k in ("kind", "text", "division_code")}
    orgs = Organisation.objects.filter(kind__in=["police", "station", "regional_centre", "minor_centre"],
                                       is_active=True).order_by("kind", "name")
    form = LeadForm(request.POST or None, initial=initial, organisations=orgs)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            lead = services.lead_create(by=request.user, episode=episode, kind=d["kind"], text=d["text"], talk=talk,
                                        organisation=d["organisation"], note=d["note"],
                                        division_code=d["division_code"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已记录线索：{lead.get_kind_display()}。")
            if lead.identity_check_id:
                return redirect("tracing:check", uuid=lead.identity_check.uuid)
            return redirect("tracing:lead", uuid=lead.uuid)
    return render(request, "tracing/form.html", {"form": form, "person": person, "title": "新增寻亲线索",
                                                 "talk": talk})


@login_required
def lead_detail(request, uuid):
    lead = selectors.lead_get(user=request.user, uuid=uuid)
    log_read(request, "寻亲线索", person_uuid=lead.episode.person.uuid, organisation=lead.episode.station)
    may = can_write_case(request.user, lead.episode, *TRACING_ROLES)
    form = LeadResolveForm(request.POST or None)
    if request.method == "POST":
        require_case_write(request.user, lead.episode, *TRACING_ROLES)
        if form.is_valid():
            try:
                services.lead_resolve(by=request.user, lead=lead, outcome=form.cleaned_data["outcome"],
                                      status=form.cleaned_data["status"])
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "已记录线索处理结果。")
                return redirect("tracing:lead", uuid=lead.uuid)
    return render(request, "tracing/lead_detail.html", {"lead": lead, "form": form, "may_resolve": may})


# --- DNA ------------------------------------------------------------------------------------------------


@login_required
def dna_new(request, uuid):
    person, episode = _open_episode_for_write(request, uuid, *TRACING_ROLES)
    form = DnaForm(request.POST or None, organisations=selectors.police_organisations())
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.dna_request_create(by=request.user, episode=episode, police=d["police"],
                                        requested_at=d["requested_at"], sample_taken_on=d["sample_taken_on"],
                                        note=d["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已登记 DNA 采样申请。")
            return redirect(_person_url(person))
    return render(request, "tracing/form.html", {"form": form, "person": person,
                                                 "title": "申请 DNA 采样比对（规则T5：入站7个工作日内）",
                                                 "t5": selectors.t5_status(episode)})


@login_required
def dna_edit(request, uuid):
    dna = selectors.dna_get(user=request.user, uuid=uuid)
    person = dna.episode.person
    may = can_write_case(request.user, dna.episode, *TRACING_ROLES) and dna.closed_at is None
    form = DnaUpdateForm(request.POST or None, initial={"sample_taken_on": dna.sample_taken_on, "result": dna.result,
                                                         "reference": dna.reference, "result_on": dna.result_on,
                                                         "note": dna.note})
    if request.method == "POST":
        require_case_write(request.user, dna.episode, *TRACING_ROLES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.dna_request_update(by=request.user, dna=dna, sample_taken_on=d["sample_taken_on"],
                                            result=d["result"], reference=d["reference"], result_on=d["result_on"],
                                            note=d["note"])
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "已更新 DNA 采样比对记录。")
                return redirect(_person_url(person))
    return render(request, "tracing/dna_detail.html", {"dna": dna, "person": person, "form": form, "may_edit": may,
                                                       "t6": selectors.t6_status(dna)})


# --- identification and return home -------------------------------------------------------------------


@login_required
def identify(request, uuid):
    person, episode = _open_episode_for_write(request, uuid, *IDENTIFY_ROLES)
    form = IdentifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.identity_confirm(by=request.user, person=person, method=d["method"], evidence=d["evidence"],
                                      name=d["name"], id_number=d["id_number"], hukou_division=d["hukou_division"],
                                      hukou_text=d["hukou_text"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已确认身份；寻亲公告已撤回，返乡计划已开启。")
            return redirect(_person_url(person))
    return render(request, "tracing/form.html", {"form": form, "person": person, "title": "确认身份"})


@login_required
def plan_detail(request, uuid):
    plan = selectors.plan_get(user=request.user, uuid=uuid)
    log_read(request, "返乡计划", person_uuid=plan.person.uuid, organisation=plan.station)
    may = can_write(request.user, plan.station, *PLAN_ROLES)
    form = PlanForm(request.POST or None, organisations=selectors.home_stations(), initial={
        "status": plan.status, "target_date": plan.target_date, "method": plan.method,
        "home_organisation": plan.home_organisation.uuid if plan.home_organisation else None,
        "home_contact": plan.home_contact, "refusal_reason": plan.refusal_reason, "note": plan.note})
    if request.method == "POST":
        require_write(request.user, plan.station, *PLAN_ROLES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.return_plan_update(by=request.user, plan=plan, status=d["status"],
                                            target_date=d["target_date"], method=d["method"],
                                            home_organisation=d["home_organisation"], home_contact=d["home_contact"],
                                            refusal_reason=d["refusal_reason"], note=d["note"])
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, "已更新返乡计划。")
                return redirect("tracing:plan", uuid=plan.uuid)
    escalations = list(plan.escalations.select_related("to_organisation"))
    for e in escalations:
        e.may_answer = _may_answer_escalation(request.user, e)
    return render(request, "tracing/plan_detail.html", {
        "plan": plan, "form": form, "may_edit": may, "escalations": escalations,
        "next_target": services.next_escalation_target(plan), "escalate_form": EscalateForm(),
    })


@login_required
@require_POST
def plan_escalate(request, uuid):
    plan = selectors.plan_get(user=request.user, uuid=uuid)
    require_write(request.user, plan.station, *PLAN_ROLES)
    form = EscalateForm(request.POST)
    if form.is_valid():
        try:
            e = services.escalate(by=request.user, plan=plan, note=form.cleaned_data["note"],
                                  escalated_on=form.cleaned_data["escalated_on"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已第{e.level}级上报 {e.to_organisation.name}。")
    else:
        messages.error(request, "报送日期格式不正确。")
    return redirect("tracing:plan", uuid=plan.uuid)


def _may_answer_escalation(user, escalation) -> bool:
    """The station records the answer it got; the department it was sent to may answer itself."""
    return (can_write(user, escalation.plan.station, *PLAN_ROLES)
            or can_write(user, escalation.to_organisation, Role.SUPERVISOR))


@login_required
def escalation_answer(request, uuid):
    escalation = selectors.escalation_get(user=request.user, uuid=uuid)
    if not _may_answer_escalation(request.user, escalation):
        raise PermissionDenied("只有申请机构或被报送的民政部门可以登记答复。")
    form = EscalationAnswerForm(request.POST or None, initial={"answer": escalation.answer,
                                                               "answered_on": escalation.answered_on})
    if request.method == "POST" and form.is_valid():
        try:
            services.escalation_answer(by=request.user, escalation=escalation, answer=form.cleaned_data["answer"],
                                       answered_on=form.cleaned_data["answered_on"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已登记上报答复。")
            return redirect("tracing:plan", uuid=escalation.plan.uuid)
    return render(request, "tracing/form.html", {
        "form": form, "person": escalation.plan.person,
        "title": f"第{escalation.level}级上报答复（{escalation.to_organisation.name}）"})


# --- T10: the monthly report ------------------------------------------------------------------------------


@login_required
def report_index(request):
    stations = selectors.report_stations(request.user)
    year, month = selectors.parse_month(request.GET.get("month"))
    return render(request, "tracing/report_index.html", {"stations": stations, "month": f"{year}-{month:02d}"})


def _report(request, uuid) -> dict:
    station = selectors.report_station_get(user=request.user, uuid=uuid)
    year, month = selectors.parse_month(request.GET.get("month"))
    return selectors.monthly_report(station=station, year=year, month=month)


@login_required
def report(request, uuid):
    data = _report(request, uuid)
    issued = selectors.issued_report(station=data["station"], year=data["year"], month=data["month"])
    return render(request, "tracing/report.html", {
        "r": data, "month": f"{data['year']}-{data['month']:02d}", "issued": issued,
        "may_issue": issued is None and data["end"] <= timezone.now() and selectors.may_issue_report(
            request.user, data["station"]),
        "history": selectors.issued_reports(station=data["station"])[:12],
    })


@login_required
@require_POST
def report_issue(request, uuid):
    """Rule T10: issue the month's report to the panel; numbers and PDF are kept as issued."""
    station = selectors.report_station_get(user=request.user, uuid=uuid)
    year, month = selectors.parse_month(request.POST.get("month"))
    try:
        services.report_issue(by=request.user, station=station, year=year, month=month)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已报送 {year}年{month}月寻亲工作月报。")
    return redirect(f"{reverse('tracing:report', args=[station.uuid])}?month={year}-{month:02d}")


@login_required
def report_file(request, uuid):
    """The issued report's PDF, as it was issued (scoped like the report)."""
    issued = selectors.issued_report_get(user=request.user, uuid=uuid)
    audit(actor=request.user, action=AuditAction.EXPORT, object_type="tracing.MonthlyReport", object_id=str(issued.uuid),
          summary=f"下载已报送的寻亲工作月报 {issued.year}年{issued.month}月", organisation=issued.station)
    response = FileResponse(issued.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tracing-report-{issued.year}-{issued.month:02d}.pdf"'
    return response


@login_required
def report_print(request, uuid):
    data = _report(request, uuid)
    return print_response(request, "tracing/print_report.html", {"r": data, "now": timezone.now()},
                          filename=f"tracing-report-{data['station'].code}-{data['year']}-{data['month']:02d}",
                          organisation=data["station"], title=f"寻亲工作月报 {data['month_label']}")


@login_required
def report_xlsx(request, uuid):
    data = _report(request, uuid)
    book = ExcelBook()
    ws = book.sheet("寻亲月报")
    ws.title(f"{data['station'].name} 寻亲工作月报（{data['month_label']}，截至月末）")
    ws.row(["滞留人数", data["stranded"], "身份未查明", data["unidentified"], "无在线公告",
            data["without_live_announcement"]])
    ws.blank()
    labels = list(data["channel_labels"].values())
    ws.header(["档案号", "姓名", "性别", "入站时间", "滞留天数", "寻亲员", *[f"公告：{x}" for x in labels],
               "本月谈话次数", "谈话未达标天数", "公安核查", "DNA"])
    for r in data["rows"]:
        live = {c["label"]: c["live"] for c in r["channels"]}
        ws.row([r["file_no"], r["name"], r["sex"], r["entry"], r["days"], r["tracer"],
                *["在线" if live.get(x) else "无" for x in labels],
                r["talks"], r["talk_days_missed"], r["police"], r["dna"]])
    if data["identified"]:
        ws.blank()
        ws.row(["本月查明身份", *[f"{i['label']} {i['count']}" for i in data["identified"]]])
    audit(actor=request.user, action=AuditAction.EXPORT, object_type="tracing.report",
          object_id=f"{data['station'].code}-{data['year']}-{data['month']:02d}",
          summary=f"导出寻亲工作月报 Excel {data['station'].name} {data['month_label']}", organisation=data["station"])
    return book.response(f"tracing-report-{data['station'].code}-{data['year']}-{data['month']:02d}.xlsx")
