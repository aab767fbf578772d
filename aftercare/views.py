"""Pages of the aftercare app (rules A1–A3), phone first.

Four steps each: scoped fetch → form → service → render; outsiders 404, read-only viewers 403 on writes.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from aftercare import selectors, services
from aftercare.forms import (
    AttentionDecideForm,
    AttentionFilterForm,
    AttentionRegisterForm,
    CaseFilterForm,
    EndForm,
    FamilyReportForm,
    FollowUpForm,
    RatesForm,
    ReferralDecideForm,
    ReferralForm,
    RegistrationForm,
    RiskVisitForm,
    RouteForm,
    SenderForm,
    SharedImportForm,
    WanderingForm,
)
from aftercare.models import SHARED_FIELDS
from core.audit import audit
from core.excel import list_export, wants_xlsx
from core.models import AuditAction
from core.paging import paginate
from core.views import form_errors_from


def _local(value):
    return timezone.localtime(value) if value else None


def _audit_list(request, what: str, count: int) -> None:
    """Lists of personal data are reads worth recording (who looked at the roster, when)."""
    audit(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type=f"aftercare.{what}",
        object_id="list",
        summary=f"查看{what}列表（{count} 条）",
        organisation=request.user.organisation,
    )


@login_required
def home(request):
    """返乡人员台账 (rule A1): the ledger in scope with the counts of what is open."""
    form = CaseFilterForm(request.GET or None, stations=selectors.station_choices(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, selectors.case_list(user=request.user, filters=filters))
    _audit_list(request, "返乡人员台账", len(page["object_list"]))
    return render(
        request, "aftercare/home.html", {**page, "form": form, "counts": selectors.open_counts(request.user)}
    )


@login_required
def case_detail(request, uuid):
    case = selectors.case_get(user=request.user, uuid=uuid)
    can_edit = selectors.can_edit_case(request.user, case)
    return render(
        request,
        "aftercare/case.html",
        {
            "case": case,
            "visits": list(selectors.visits_for(case)),
            "referrals": list(
                case.referrals.select_related("referred_by", "decided_by").order_by("-referred_at")
            ),
            "registrations": list(case.registrations.all()),
            "alerts": list(case.alerts.all()),
            "can_edit": can_edit,
            "is_station": request.user.organisation_id == case.station_id,
            "is_township": case.township_id is not None and request.user.organisation_id == case.township_id,
            "family_form": FamilyReportForm(initial={"family_report": case.family_report}),
        },
    )


def _post_form(request, form, action, ok_message: str, redirect_to):
    """Validate, call the service, show its Chinese errors next to the fields, or redirect."""
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, ok_message)
            return redirect_to()
    return None


@login_required
def family_report(request, uuid):
    case = selectors.case_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, case.village, case.township, case.station)
    form = FamilyReportForm(request.POST or None, initial={"family_report": case.family_report})
    done = _post_form(
        request,
        form,
        lambda d: services.family_report_record(by=request.user, case=case, report=d["family_report"]),
        "已登记家庭情况。",
        lambda: redirect("aftercare:case", uuid=case.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {"form": form, "title": "登记家庭情况", "subject": case.person.name, "back": case, "rule": "A1"},
    )


@login_required
def followup_new(request, uuid):
    case = selectors.case_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, case.village, case.township, case.station)
    form = FollowUpForm(request.POST or None)
    done = _post_form(
        request,
        form,
        lambda d: services.followup_visit_add(
            by=request.user,
            case=case,
            visited_at=d["visited_at"],
            method=d["method"],
            situation=d["situation"],
            at_home=d["at_home"],
        ),
        "已记录回访。",
        lambda: redirect("aftercare:case", uuid=case.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {
            "form": form,
            "title": "记录回访",
            "subject": case.person.name,
            "back": case,
            "rule": "A2",
            "hint": f"返乡时间 {_local(case.returned_at):%Y-%m-%d %H:%M}；回访时间不能早于返乡时间。",
        },
    )


@login_required
def referral_new(request, uuid):
    case = selectors.case_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, case.village, case.township, case.station)
    form = ReferralForm(request.POST or None)
    done = _post_form(
        request,
        form,
        lambda d: services.referral_create(by=request.user, case=case, kind=d["kind"], reason=d["reason"]),
        "已转介乡镇（街道）。",
        lambda: redirect("aftercare:case", uuid=case.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {"form": form, "title": "困难帮扶转介", "subject": case.person.name, "back": case, "rule": "A1"},
    )


@login_required
def referral_decide(request, uuid):
    referral = selectors.referral_get(user=request.user, uuid=uuid)
    case = referral.case
    services.acting_org(request.user, case.township)
    form = ReferralDecideForm(request.POST or None)
    done = _post_form(
        request,
        form,
        lambda d: services.referral_decide(
            by=request.user, referral=referral, status=d["status"], outcome=d["outcome"]
        ),
        "已记录办理结果。",
        lambda: redirect("aftercare:case", uuid=case.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {
            "form": form,
            "title": f"办理帮扶转介：{referral.get_kind_display()}",
            "subject": case.person.name,
            "back": case,
            "rule": "A1",
            "hint": referral.reason,
        },
    )


@login_required
def case_route(request, uuid):
    case = selectors.case_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, case.station)
    form = RouteForm(
        request.POST or None,
        townships=selectors.townships(request.user),
        villages=selectors.villages(request.user),
        initial={"township": case.township, "village": case.village},
    )
    done = _post_form(
        request,
        form,
        lambda d: services.return_case_route(
            by=request.user, case=case, township=d["township"], village=d["village"]
        ),
        "已转交。",
        lambda: redirect("aftercare:case", uuid=case.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {
            "form": form,
            "title": "转交户籍地乡镇（街道）",
            "subject": case.person.name,
            "back": case,
            "rule": "A1",
            "hint": f"户籍地：{case.destination or case.destination_text or '不详'}",
        },
    )


@login_required
def case_wandering(request, uuid):
    case = selectors.case_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, case.village, case.township, case.station)
    form = WanderingForm(request.POST or None)
    done = _post_form(
        request,
        form,
        lambda d: services.wandering_report(
            by=request.user,
            case=case,
            last_seen_on=d["last_seen_on"],
            last_seen_place=d["last_seen_place"],
            note=d["note"],
        ),
        "已报告再次流浪，已通报救助管理机构并纳入比对。",
        lambda: redirect("aftercare:case", uuid=case.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {"form": form, "title": "报告再次外出流浪", "subject": case.person.name, "back": case, "rule": "A3"},
    )


@login_required
def rates(request):
    """Rule A2 per station: share of returnees visited within a year (≥ 50 %), minors (100 %), who is due."""
    form = RatesForm(request.GET or None)
    today = timezone.localdate()
    start = today - datetime.timedelta(days=365)
    end = today
    if form.is_valid():
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or end
    rows = selectors.a2_rates(user=request.user, start=start, end=end)
    return render(
        request,
        "aftercare/rates.html",
        {
            "form": form,
            "rows": rows,
            "start": start,
            "end": end,
            "min_share": services.rule("A2_MIN_SHARE_PERCENT", 50),
        },
    )


# --- registry (rule A3) ---------------------------------------------------------------------------------


@login_required
def registry(request):
    q = (request.GET.get("q") or "").replace("\x00", "")[:50]
    include_ended = request.GET.get("ended") == "1"
    page = paginate(
        request,
        selectors.registration_list(user=request.user, filters={"q": q, "include_ended": include_ended}),
    )
    _audit_list(request, "易流浪走失人员库", len(page["object_list"]))
    return render(request, "aftercare/registry.html", {**page, "q": q, "include_ended": include_ended})


def _registration_form(request, case=None):
    return RegistrationForm(
        request.POST or None,
        townships=selectors.townships(request.user),
        villages=selectors.villages(request.user),
        stations=selectors.stations(),
        from_case=case is not None,
        initial={
            "township": case.township,
            "village": case.village,
            "station": case.station,
            "repeated_wandering": True,
        }
        if case
        else None,
    )


@login_required
def registration_new(request):
    org = request.user.organisation
    if org is None or not services.may_write_for(request.user, org):
        raise PermissionDenied("您没有登记易流浪走失人员的权限。")
    form = _registration_form(request)
    return _registration_save(request, form, None)


@login_required
def registration_from_case(request, uuid):
    case = selectors.case_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, case.village, case.township, case.station)
    form = _registration_form(request, case)
    return _registration_save(request, form, case)


def _registration_save(request, form, case):
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            reg = services.registration_create(
                by=request.user,
                data=form.service_data(),
                township=d["township"],
                village=d.get("village"),
                station=d["station"],
                case=case,
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, str(exc))
            else:
                form_errors_from(exc, form)
        else:
            messages.success(request, f"已登记：{reg.name}")
            return redirect("aftercare:registration", uuid=reg.uuid)
    return render(
        request,
        "aftercare/form.html",
        {
            "form": form,
            "title": "登记易流浪走失人员",
            "subject": case.person.name if case else "",
            "back": case,
            "rule": "A3",
            "hint": "精神障碍、认知症（阿尔茨海默病）、肢体或智力残疾、多次流浪的人员；"
            "乡镇（街道）至少每2个月走访一次，持续至少一年。",
        },
    )


@login_required
def registration_detail(request, uuid):
    reg = selectors.registration_get(user=request.user, uuid=uuid)
    can_visit = any(
        o is not None and request.user.organisation_id == o.id and services.may_write_for(request.user, o)
        for o in (reg.township, reg.village)
    )
    return render(
        request,
        "aftercare/registration.html",
        {
            "reg": reg,
            "visits": list(selectors.risk_visits_for(reg)),
            "next_due": selectors.next_visit_due(reg),
            "alerts": list(reg.alerts.all()),
            "can_visit": can_visit,
            "can_end": any(
                o is not None
                and request.user.organisation_id == o.id
                and services.may_write_for(request.user, o)
                for o in (reg.township, reg.station)
            ),
        },
    )


@login_required
def registration_visit(request, uuid):
    reg = selectors.registration_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, reg.village, reg.township)
    form = RiskVisitForm(request.POST or None)
    done = _post_form(
        request,
        form,
        lambda d: services.risk_visit_add(
            by=request.user,
            registration=reg,
            visited_at=d["visited_at"],
            method=d["method"],
            situation=d["situation"],
            present=d["present"],
        ),
        "已记录走访。",
        lambda: redirect("aftercare:registration", uuid=reg.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {"form": form, "title": "记录走访", "subject": reg.name, "back_reg": reg, "rule": "A3"},
    )


@login_required
def registration_end(request, uuid):
    reg = selectors.registration_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, reg.township, reg.station)
    form = EndForm(request.POST or None)
    done = _post_form(
        request,
        form,
        lambda d: services.registration_end(by=request.user, registration=reg, reason=d["reason"]),
        "已移出人员库。",
        lambda: redirect("aftercare:registration", uuid=reg.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {"form": form, "title": "移出人员库", "subject": reg.name, "back_reg": reg, "rule": "A3"},
    )


@login_required
def registration_wandering(request, uuid):
    reg = selectors.registration_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, reg.village, reg.township, reg.station)
    form = WanderingForm(request.POST or None)
    done = _post_form(
        request,
        form,
        lambda d: services.wandering_report(
            by=request.user,
            registration=reg,
            last_seen_on=d["last_seen_on"],
            last_seen_place=d["last_seen_place"],
            note=d["note"],
        ),
        "已报告再次流浪，已通报救助管理机构并纳入比对。",
        lambda: redirect("aftercare:registration", uuid=reg.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {"form": form, "title": "报告再次外出流浪", "subject": reg.name, "back_reg": reg, "rule": "A3"},
    )


# --- alerts ---------------------------------------------------------------------------------------------


@login_required
def alerts(request):
    page = paginate(
        request, selectors.alert_list(user=request.user, open_only=request.GET.get("open") == "1")
    )
    return render(request, "aftercare/alerts.html", {**page, "open_only": request.GET.get("open") == "1"})


@login_required
def alert_detail(request, uuid):
    alert = selectors.alert_get(user=request.user, uuid=uuid)
    return render(
        request,
        "aftercare/alert.html",
        {
            "alert": alert,
            "can_ack": alert.acknowledged_at is None
            and request.user.organisation_id == alert.station_id
            and services.may_write_for(request.user, alert.station),
        },
    )


@login_required
@require_POST
def alert_ack(request, uuid):
    alert = selectors.alert_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, alert.station)
    try:
        services.alert_acknowledge(by=request.user, alert=alert)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已签收，请组织查找并与比对结果核对。")
    return redirect("aftercare:alert", uuid=alert.uuid)


# --- Excel exports (audited) ----------------------------------------------------------------------------


def _export(request, name: str, headers: list[str], rows: list):
    return list_export(request, title=name, headers=headers, rows=rows, filename=name, object_type=f"aftercare.{name}")


@login_required
def export_ledger(request):
    rows = [
        [
            c.person.name,
            c.person.file_no,
            c.station.name,
            c.get_way_display(),
            _local(c.returned_at),
            str(c.destination or c.destination_text),
            str(c.township or ""),
            str(c.village or ""),
            "是" if c.is_minor else "否",
            "是" if c.has_visit else "否",
            c.family_report,
        ]
        for c in selectors.case_list(user=request.user)[:20000]
    ]
    return _export(
        request,
        "返乡人员台账",
        [
            "姓名",
            "档案号",
            "送返机构",
            "返乡方式",
            "返乡时间",
            "户籍地",
            "负责乡镇",
            "所在村居",
            "未成年",
            "已回访",
            "家庭情况",
        ],
        rows,
    )


@login_required
def export_visits(request):
    rows = [
        [
            v.case.person.name,
            v.case.station.name,
            _local(v.visited_at),
            v.get_method_display(),
            v.organisation.name,
            str(v.visited_by),
            "是" if v.at_home else "否",
            v.situation,
        ]
        for v in selectors.visit_list(user=request.user)[:20000]
    ]
    return _export(
        request,
        "返乡回访记录",
        ["姓名", "送返机构", "回访时间", "回访方式", "回访单位", "回访人", "本人在家", "生活情况"],
        rows,
    )


@login_required
def export_registry(request):
    rows = [
        [
            r.name,
            r.sex,
            r.birth_date,
            r.address,
            "、".join(r.category_labels),
            r.township.name,
            str(r.village or ""),
            r.station.name,
            _local(r.registered_at),
            _local(r.visit_until),
            "是" if r.visited else "否",
            r.guardian_name,
            r.guardian_phone,
        ]
        for r in selectors.registration_list(user=request.user)[:20000]
    ]
    return _export(
        request,
        "易流浪走失人员库",
        [
            "姓名",
            "性别",
            "出生日期",
            "居住地址",
            "情形",
            "负责乡镇",
            "所在村居",
            "联系救助站",
            "登记时间",
            "走访至少至",
            "已走访",
            "联系人",
            "联系人电话",
        ],
        rows,
    )


# --- data sharing (rule A4) -----------------------------------------------------------------------------


def _require_own_writer(request, what: str):
    org = request.user.organisation
    if org is None or not services.may_write_for(request.user, org):
        raise PermissionDenied(f"您没有{what}的权限。")
    return org


ATTENTION_HEADERS = [
    "名单人员",
    "性别",
    "出生日期",
    "身份证号（脱敏）",
    "名单住址",
    "名单类别",
    "来源部门",
    "系统中的人员",
    "匹配概率",
    "身份证号一致",
    "需关注原因",
    "负责乡镇",
    "所在村居",
    "核实结果",
    "核实说明",
]


def _attention_row(i) -> list:
    return [
        i.row.name,
        i.row.sex,
        i.row.birth_date,
        i.row.id_number_masked,
        i.row.address,
        i.row.shared_list.get_list_kind_display(),
        i.row.shared_list.sender.name,
        i.subject_name,
        f"{i.probability:.0%}",
        i.exact_id,
        i.reason,
        str(i.township or ""),
        str(i.village or ""),
        i.get_status_display(),
        i.note,
    ]


@login_required
def shared_attention(request):
    """需关注人员 (rule A4): people on shared lists with a wandering history, in scope; Excel export."""
    form = AttentionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.attention_list(user=request.user, filters=filters)
    if wants_xlsx(request):
        return list_export(
            request,
            title="共享名单需关注人员",
            headers=ATTENTION_HEADERS,
            rows=(_attention_row(i) for i in qs.iterator(chunk_size=500)),
            filename="shared-attention",
            filters=filters,
        )
    page = paginate(request, qs)
    _audit_list(request, "共享名单需关注人员", len(page["object_list"]))
    return render(
        request,
        "aftercare/shared_attention.html",
        {**page, "form": form, "query": request.GET.urlencode()},
    )


@login_required
def shared_lists(request):
    page = paginate(request, selectors.shared_list_list(user=request.user))
    return render(
        request,
        "aftercare/shared_lists.html",
        {**page, "senders": list(selectors.sender_list(user=request.user))},
    )


@login_required
def shared_import(request):
    _require_own_writer(request, "导入共享名单")
    form = SharedImportForm(request.POST or None, request.FILES or None, senders=selectors.writable_senders(request.user))
    row_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            shared = services.shared_list_import(
                by=request.user, sender=form.cleaned_data["sender"], upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form_errors_from(exc, form)
            else:
                row_errors = exc.messages
        else:
            messages.success(request, f"已导入 {shared.row_count} 人，系统正在与有流浪救助经历的人员批量比对。")
            return redirect("aftercare:shared_list", uuid=shared.uuid)
    status = 400 if request.method == "POST" and (row_errors or form.errors) else 200
    return render(
        request, "aftercare/shared_import.html", {"form": form, "row_errors": row_errors}, status=status
    )


@login_required
def shared_list_detail(request, uuid):
    shared = selectors.shared_list_get(user=request.user, uuid=uuid)
    page = paginate(request, shared.rows.order_by("row_no"))
    _audit_list(request, f"共享名单（{shared.sender.name}）", len(page["object_list"]))
    items = selectors.attention_list(user=request.user, filters={"list": shared.uuid})
    return render(
        request, "aftercare/shared_list.html", {**page, "shared": shared, "items": list(items[:200])}
    )


@login_required
def senders(request):
    return render(
        request,
        "aftercare/senders.html",
        {"senders": list(selectors.sender_list(user=request.user)), "fields": SHARED_FIELDS},
    )


def _sender_form_page(request, sender=None):
    initial = SenderForm.initial_for(sender) if sender else None
    form = SenderForm(request.POST or None, initial=initial)
    done = _post_form(
        request,
        form,
        lambda d: services.sender_save(
            by=request.user,
            sender=sender,
            name=d["name"],
            list_kind=d["list_kind"],
            header_row=d["header_row"],
            mapping=form.mapping(),
        ),
        "已保存来源部门及列对应关系。",
        lambda: redirect("aftercare:senders"),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {
            "form": form,
            "title": "数据共享来源部门" if sender is None else f"修改来源部门：{sender.name}",
            "rule": "A4",
            "back_url": "aftercare:senders",
            "hint": "填写该部门报送的 Excel 表头中的列名（与表格完全一致），未报送的字段留空。",
        },
    )


@login_required
def sender_new(request):
    _require_own_writer(request, "设置来源部门")
    return _sender_form_page(request)


@login_required
def sender_edit(request, uuid):
    sender = selectors.sender_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, sender.organisation)
    return _sender_form_page(request, sender)


@login_required
def attention_detail(request, uuid):
    item = selectors.attention_get(user=request.user, uuid=uuid)
    return render(
        request,
        "aftercare/attention.html",
        {
            "item": item,
            "can_review": selectors.can_review(request.user, item),
            "decide_form": AttentionDecideForm(),
        },
    )


@login_required
@require_POST
def attention_decide(request, uuid):
    item = selectors.attention_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, item.organisation, item.township, item.village)
    form = AttentionDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    else:
        try:
            services.attention_decide(
                by=request.user, item=item, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已记录核实结果。")
    return redirect("aftercare:attention", uuid=item.uuid)


@login_required
def attention_register(request, uuid):
    item = selectors.attention_get(user=request.user, uuid=uuid)
    services.acting_org(request.user, item.organisation, item.township, item.village)
    place = item.case
    form = AttentionRegisterForm(
        request.POST or None,
        townships=selectors.townships(request.user),
        villages=selectors.villages(request.user),
        stations=selectors.stations(),
        initial={
            "township": item.township,
            "village": item.village,
            "station": place.station if place else None,
            "repeated_wandering": True,
            "physical_disability": item.row.shared_list.list_kind == "disability",
        },
    )
    done = _post_form(
        request,
        form,
        lambda d: services.attention_register(
            by=request.user,
            item=item,
            township=d["township"],
            village=d.get("village"),
            station=d["station"],
            categories=form.categories(),
        ),
        "已纳入易流浪走失人员库。",
        lambda: redirect("aftercare:attention", uuid=item.uuid),
    )
    return done or render(
        request,
        "aftercare/form.html",
        {
            "form": form,
            "title": "纳入易流浪走失人员库",
            "subject": item.row.name,
            "rule": "A3 / A4",
            "back_attention": item,
            "hint": item.reason,
        },
    )
