"""Pages of the incidents app (rules X1, X2): scoped fetch → form → service → render.

Out of scope → 404; in scope but not allowed to act → 403 with a Chinese message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.audit import audit
from core.excel import table_xlsx
from core.models import AuditAction, Organisation
from core.paging import paginate
from core.printing import print_response
from core.views import form_errors_from
from incidents import access, selectors, services
from incidents.forms import CloseForm, HandlingForm, IncidentForm, ReceiveForm, ReportForm
from incidents.models import IncidentKind, IncidentStatus, Stage
from oversight.views import apply_form


def _now():
    return timezone.localtime().replace(second=0, microsecond=0)


def _list(request):
    g = request.GET
    return selectors.incident_list(user=request.user, status=g.get("status", ""), kind=g.get("kind", ""))


@login_required
def incident_list(request):
    qs = _list(request)
    audit(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="incidents.list",
        object_id="list",
        summary="查看异常情况台账",
        organisation=request.user.organisation,
    )
    return render(
        request,
        "incidents/list.html",
        {
            **paginate(request, qs),
            "status": request.GET.get("status", ""),
            "kind": request.GET.get("kind", ""),
            "statuses": IncidentStatus.choices,
            "kinds": IncidentKind.choices,
            "inbox": selectors.unreceived_for(user=request.user)[:50],
            "may_record": any(
                access.may_record(request.user, s) for s in selectors.recordable_stations(request.user)[:50]
            ),
        },
    )


@login_required
def incident_xlsx(request):
    """异常情况台账 as Excel (the one formula-safe writer), audited as an export."""
    rows = []
    for i in _list(request).prefetch_related("reports")[:20000]:
        reports = {(r.stage, r.kind): r for r in i.reports.all()}
        first, written = reports.get(("station", "first")), reports.get(("station", "written"))
        rows.append(
            [
                i.number,
                i.station.name,
                i.get_kind_display(),
                i.title,
                i.occurred_at,
                first.sent_at if first else None,
                first.received_at if first else None,
                written.sent_at if written else None,
                i.get_status_display(),
                i.closed_at,
                i.closing_note,
            ]
        )
    audit(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="incidents.list",
        object_id="xlsx",
        summary=f"导出异常情况台账（{len(rows)} 条）",
        organisation=request.user.organisation,
    )
    book = table_xlsx(
        sheet="异常情况台账",
        title=f"异常情况台账（导出于 {timezone.localtime():%Y-%m-%d %H:%M}）",
        headers=[
            "事件编号",
            "发生机构",
            "类型",
            "事件名称",
            "发生/发现时间",
            "首报时间",
            "民政部门接收时间",
            "书面报告时间",
            "状态",
            "结案时间",
            "结案意见",
        ],
        rows=rows,
    )
    return book.response(f"异常情况台账-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def incident_new(request):
    stations = [s for s in selectors.recordable_stations(request.user) if access.may_record(request.user, s)]
    if not stations:
        raise PermissionDenied("您没有可以登记异常情况的机构。")
    form = IncidentForm(
        request.POST or None,
        stations=Organisation.objects.filter(pk__in=[s.pk for s in stations]),
        initial={"occurred_at": _now(), "station": stations[0].uuid if len(stations) == 1 else None},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            incident = services.incident_create(
                by=request.user,
                station=d["station"],
                kind=d["kind"],
                occurred_at=d["occurred_at"],
                title=d["title"],
                description=d["description"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已登记 {incident.number}，请立即向主管民政部门首报（规则X1）。")
            return redirect("incidents:detail", uuid=incident.uuid)
    return render(request, "incidents/form.html", {"form": form, "title": "登记异常情况（规则X1、X2）"})


def _stages_for(user, incident) -> list[str]:
    stages = []
    if access.may_report_for_station(user, incident):
        stages.append(Stage.STATION)
    if access.may_report_for_department(user, incident):
        stages += [Stage.GOVERNMENT, Stage.UPPER]
    return stages


@login_required
def incident_detail(request, uuid):
    incident = selectors.incident_get(user=request.user, uuid=uuid)
    if incident.person_id:
        audit(
            actor=request.user,
            action=AuditAction.VIEW,
            obj=incident,
            summary=f"查看异常情况 {incident.number}",
            organisation=incident.station,
            person_uuid=incident.person.uuid,
        )
    user = request.user
    is_open = incident.status == IncidentStatus.OPEN
    reports = list(incident.reports.select_related("sent_by", "received_by", "recipient"))
    for report in reports:
        report.may_receive = report.received_at is None and access.may_receive(user, report)
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "reports": reports,
            "handling": incident.handling.select_related("by"),
            "may_report": is_open and bool(_stages_for(user, incident)),
            "may_handle": is_open and access.may_record(user, incident.station),
            "may_close": is_open and access.may_close(user, incident),
            "receive_form": ReceiveForm(initial={"received_at": _now()}),
            "handling_form": HandlingForm(initial={"at": _now()}),
            "close_form": CloseForm(),
            "first_hours": services.first_report_hours(),
            "written_hours": services.written_report_hours(),
        },
    )


@login_required
def report_new(request, uuid):
    incident = selectors.incident_get(user=request.user, uuid=uuid)
    stages = _stages_for(request.user, incident)
    if not stages:
        raise PermissionDenied("救助机构向主管民政部门报告，主管民政部门向本级政府和上级民政部门报告。")
    form = ReportForm(
        request.POST or None, stages=stages, initial={"sent_at": _now(), "content": incident.description}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.report_send(
                by=request.user,
                incident=incident,
                stage=d["stage"],
                kind=d["kind"],
                content=d["content"],
                sent_at=d["sent_at"],
                recipient_name=d["recipient_name"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "已报告，接收单位已收到通知。")
            return redirect("incidents:detail", uuid=incident.uuid)
    return render(
        request, "incidents/form.html", {"form": form, "incident": incident, "title": "逐级报告（规则X1）"}
    )


def _post_action(request, incident, form, call, done):
    apply_form(request, form, call, done)
    return redirect("incidents:detail", uuid=incident.uuid)


@login_required
@require_POST
def report_receive(request, uuid):
    report = selectors.report_get(user=request.user, uuid=uuid)
    if not access.may_receive(request.user, report):
        raise PermissionDenied("只有接收单位可以登记接收。")
    return _post_action(
        request,
        report.incident,
        ReceiveForm(request.POST),
        lambda d: services.report_receive(
            by=request.user, report=report, received_at=d["received_at"], note=d["note"]
        ),
        "已登记接收。",
    )


@login_required
@require_POST
def handling_new(request, uuid):
    incident = selectors.incident_get(user=request.user, uuid=uuid)
    if not access.may_record(request.user, incident.station):
        raise PermissionDenied("您不能记录该异常情况的处置。")
    return _post_action(
        request,
        incident,
        HandlingForm(request.POST),
        lambda d: services.handling_add(by=request.user, incident=incident, text=d["text"], at=d["at"]),
        "已记录处置情况。",
    )


@login_required
@require_POST
def incident_close(request, uuid):
    incident = selectors.incident_get(user=request.user, uuid=uuid)
    if not access.may_close(request.user, incident):
        raise PermissionDenied("异常情况由主管民政部门结案，救助机构不能自行结案（规则X1）。")
    return _post_action(
        request,
        incident,
        CloseForm(request.POST),
        lambda d: services.incident_close(by=request.user, incident=incident, note=d["note"]),
        "已结案。",
    )


@login_required
def incident_print(request, uuid):
    """异常情况报告单: the incident, the reports up the chain with their receipts, the handling log."""
    incident = selectors.incident_get(user=request.user, uuid=uuid)
    return print_response(
        request,
        "incidents/print.html",
        {
            "incident": incident,
            "reports": incident.reports.select_related("sent_by", "received_by"),
            "handling": incident.handling.select_related("by"),
            "now": timezone.now(),
        },
        filename=f"incident-{incident.number}",
        organisation=incident.station,
        person_uuid=incident.person.uuid if incident.person_id else None,
        title="异常情况报告单",
    )
