"""Pages of the matching app: missing-person reports, Excel import, candidates and review, merge, browse.

Views in four steps: scoped fetch → form → service → render. Out of scope → 404, read-only → 403.
"""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.audit import audit
from core.downloads import private_file
from core.excel import list_export, wants_xlsx, xlsx_response
from core.models import AuditAction, Role
from core.paging import paginate
from core.printing import print_response
from core.scoping import can_write, require_write
from core.views import form_errors_from
from matching import engine, selectors, services
from matching.forms import (
    BrowseForm,
    CandidateFilterForm,
    DecideForm,
    ImportForm,
    MergeForm,
    ReportCloseForm,
    ReportFilterForm,
    ReportForm,
    ReportPhotoForm,
)
from matching.models import CandidateKind, CandidateStatus, ReportStatus
from matching.services import REPORT_ROLES
from people import selectors as people_selectors
from people.models import Person, PhotoKind


def _may_edit_report(user, report) -> bool:
    return can_write(user, report.organisation, *REPORT_ROLES)


@login_required
def report_list(request):
    form = ReportFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.report_list(user=request.user, **{k: v for k, v in filters.items() if v not in (None, "")})
    if wants_xlsx(request):
        return list_export(request, title="走失报案", filename="missing-reports", filters=filters,
                           headers=["报案编号", "报案时间", "走失者", "性别", "出生年份", "户籍地", "最后出现", "登记机构", "状态"],
                           rows=([r.report_no, r.reported_at, r.name, r.get_sex_display(), r.birth_year,
                                  r.hukou_text, r.last_seen_place, r.organisation, r.get_status_display()]
                                 for r in qs.iterator()))
    return render(request, "matching/report_list.html", {
        **paginate(request, qs), "form": form, "may_register": services.may_register_reports(request.user),
        "open_candidates": selectors.candidate_queue(user=request.user).count(),
    })


@login_required
def report_new(request):
    organisation = services.require_report_registrar(request.user)
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_create(by=request.user, organisation=organisation, data=form.report_data(),
                                            id_number=form.cleaned_data["id_number"],
                                            keep_unchecked_id=form.cleaned_data["keep_unchecked_id"],
                                            photos=request.FILES.getlist("photos"))
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, f"已登记走失报案 {report.report_no}，系统将与所有在站人员比对（规则 T7）。")
            return redirect("matching:report_detail", uuid=report.uuid)
    return render(request, "matching/report_form.html", {"form": form, "creating": True})


@login_required
def report_detail(request, uuid):
    report = selectors.report_get(user=request.user, uuid=uuid)
    return render(request, "matching/report_detail.html", {
        "report": report,
        "photos": list(report.photos.all()),
        "candidates": selectors.candidates_for_report(user=request.user, report=report),
        "may_edit": _may_edit_report(request.user, report),
        "close_form": ReportCloseForm(),
        "photo_form": ReportPhotoForm(),
        "last_run": selectors.last_run(engine.report_key(report)),
    })


@login_required
def report_edit(request, uuid):
    report = selectors.report_get(user=request.user, uuid=uuid)
    require_write(request.user, report.organisation, *REPORT_ROLES)
    form = ReportForm(request.POST or None, instance=copy.copy(report), editing=True)
    if request.method == "POST" and form.is_valid():
        id_number = form.cleaned_data["id_number"].strip() or None  # blank = unchanged
        try:
            services.report_update(by=request.user, report=report, data=form.report_data(), id_number=id_number,
                                   keep_unchecked_id=form.cleaned_data["keep_unchecked_id"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "报案已保存。")
            return redirect("matching:report_detail", uuid=report.uuid)
    return render(request, "matching/report_form.html", {"form": form, "report": report, "creating": False})


@login_required
@require_POST
def report_close(request, uuid):
    report = selectors.report_get(user=request.user, uuid=uuid)
    require_write(request.user, report.organisation, *REPORT_ROLES)
    form = ReportCloseForm(request.POST)
    if form.is_valid():
        try:
            services.report_close(by=request.user, report=report, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "报案已结案。")
    else:
        messages.error(request, "请填写结案说明。")
    return redirect("matching:report_detail", uuid=report.uuid)


@login_required
def report_photo_add(request, uuid):
    report = selectors.report_get(user=request.user, uuid=uuid)
    require_write(request.user, report.organisation, *REPORT_ROLES)
    form = ReportPhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # several photos: all or nothing
                for upload in request.FILES.getlist("image"):
                    services.report_photo_add(by=request.user, report=report, image=upload)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, "照片已上传。")
            return redirect("matching:report_detail", uuid=report.uuid)
    return render(request, "matching/photo_form.html", {"form": form, "report": report})


@login_required
def report_photo(request, uuid):
    """Stream a report photo through the scope check; never a public URL, never cached."""
    item = selectors.report_photo_get(user=request.user, uuid=uuid)
    return private_file(item.image, missing="照片文件不存在。")


@login_required
@require_POST
def report_compare(request, uuid):
    report = selectors.report_get(user=request.user, uuid=uuid)
    require_write(request.user, report.organisation, *REPORT_ROLES)
    found = services.run_report_query(by=request.user, report=report)
    messages.success(request, f"比对完成：{len(found)} 名在站人员达到提示阈值。" if found else "比对完成：暂无达到提示阈值的在站人员。")
    return redirect("matching:report_detail", uuid=report.uuid)


@login_required
def report_print(request, uuid):
    """走失报案登记表 for the paper file, HTML or ``?format=pdf``; audited as an export."""
    report = selectors.report_get(user=request.user, uuid=uuid)
    return print_response(request, "matching/print_report.html", {"report": report},
                          filename=f"report-{report.report_no}", organisation=report.organisation,
                          title=f"走失报案登记表 {report.report_no}")


@login_required
def report_import(request):
    organisation = services.require_report_registrar(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    row_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            created = services.reports_import(by=request.user, organisation=organisation,
                                              upload=form.cleaned_data["file"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form_errors_from(exc, form)
            else:
                row_errors = exc.messages
        else:
            messages.success(request, f"已导入 {len(created)} 条走失报案，系统将逐条与在站人员比对。")
            return redirect("matching:report_list")
    status = 400 if request.method == "POST" and (row_errors or form.errors) else 200
    return render(request, "matching/import.html", {"form": form, "row_errors": row_errors,
                                                    "columns": services.IMPORT_COLUMNS}, status=status)


@login_required
def import_template(request):
    services.require_report_registrar(request.user)
    return xlsx_response(services.import_template(), "走失报案导入模板.xlsx")


# --- candidates ----------------------------------------------------------------------------------

@login_required
def candidates(request):
    form = CandidateFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.candidate_queue(user=request.user, kind=filters.get("kind", ""), status=filters.get("status", ""))
    return render(request, "matching/candidates.html", {**paginate(request, qs), "form": form})


def _portrait(person):
    return person.photos.filter(kind=PhotoKind.PORTRAIT).order_by("-taken_on", "-created_at").first() if person else None


def _candidate_ctx(request, candidate, form=None):
    person = candidate.person
    other = candidate.other_person
    visible = services.visible_ids(request.user, [p.pk for p in (person, other) if p is not None])
    try:
        services.require_review(request.user, candidate)
        may_review = True
    except PermissionDenied:
        may_review = False
    return {
        "c": candidate,
        "person": person,
        "person_visible": person.pk in visible,
        "other": other,
        "other_visible": bool(other) and other.pk in visible,
        "may_review": may_review and candidate.is_open,
        "may_merge": may_review and candidate.kind == CandidateKind.DUPLICATE
        and candidate.status == CandidateStatus.CONFIRMED and not person.merged_into_id
        and not (other and other.merged_into_id) and len(visible) == 2,
        "form": form or DecideForm(),
        "band": candidate.band,
        "rows": selectors.side_by_side(candidate),
        "competing": selectors.competing(candidate),
        "person_photo": _portrait(person) if person.pk in visible else None,
        "other_photo": _portrait(other) if other and other.pk in visible else None,
        "report_photos": list(candidate.report.photos.all()[:3]) if candidate.report_id else [],
    }


@login_required
def candidate_detail(request, uuid):
    """GET: the pair side by side; POST: a reviewer's decision (confirm / reject / defer)."""
    candidate = selectors.candidate_get(user=request.user, uuid=uuid)
    form = None
    if request.method == "POST":
        services.require_review(request.user, candidate)
        form = DecideForm(request.POST)
        if (form.is_valid() and form.cleaned_data["decision"] == "confirmed" and candidate.kind == CandidateKind.REPORT
                and not form.cleaned_data["confirm_again"]):
            # Confirming identifies a person: spell out what it does and ask once more (issue 14).
            return render(request, "matching/candidate_confirm.html", {
                **_candidate_ctx(request, candidate, form),
                "consequences": selectors.confirm_consequences(candidate), "note": form.cleaned_data["note"]})
        if form.is_valid():
            try:
                services.candidate_decide(by=request.user, candidate=candidate, decision=form.cleaned_data["decision"],
                                          note=form.cleaned_data["note"])
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                candidate.refresh_from_db()
                messages.success(request, f"审核结论已记录：{candidate.get_status_display()}。")
                return redirect("matching:candidate", uuid=candidate.uuid)
        return render(request, "matching/candidate.html", _candidate_ctx(request, candidate, form), status=400)
    return render(request, "matching/candidate.html", _candidate_ctx(request, candidate))


@login_required
@require_POST
def candidate_merge(request, uuid):
    candidate = selectors.candidate_get(user=request.user, uuid=uuid)
    services.require_review(request.user, candidate)
    form = MergeForm(request.POST)
    keep = None
    if form.is_valid():
        keep = next((p for p in (candidate.person, candidate.other_person) if p and p.uuid == form.cleaned_data["keep"]),
                    None)
    if keep is None:
        messages.error(request, "请选择要保留的档案。")
        return redirect("matching:candidate", uuid=candidate.uuid)
    try:
        services.candidate_merge(by=request.user, candidate=candidate, keep=keep)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("matching:candidate", uuid=candidate.uuid)
    messages.success(request, "两份档案已合并，两边的历史都保留，可随时撤销合并。")
    return redirect("people:detail", uuid=keep.uuid)


@login_required
@require_POST
def person_compare(request, uuid):
    person = people_selectors.person_get(user=request.user, uuid=uuid)
    found = services.run_person_query(by=request.user, person=person)
    messages.success(request, f"比对完成：{len(found)} 条候选。" if found else "比对完成：暂无达到提示阈值的候选。")
    return redirect(f"/people/{person.uuid}/#panel-matching")


@login_required
@require_POST
def person_unmerge(request, uuid):
    person = people_selectors.person_get(user=request.user, uuid=uuid)
    try:
        services.file_unmerge(by=request.user, person=person)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已撤销合并，两份档案各自独立。")
    return redirect("people:detail", uuid=person.uuid)


@login_required
def person_closest(request, uuid):
    """The ten open reports closest to a person whatever their probability (below the threshold too)."""
    person = people_selectors.person_get(user=request.user, uuid=uuid)
    rows = selectors.closest_for_person(user=request.user, person=person)
    audit(actor=request.user, action=AuditAction.VIEW, obj=person, person_uuid=person.uuid,
          summary=f"查看最接近的走失报案（{len(rows)} 条）")
    return render(request, "matching/closest.html", {"rows": rows, "person": person})


@login_required
def report_closest(request, uuid):
    """The ten people in care (in scope) closest to a report whatever their probability."""
    report = selectors.report_get(user=request.user, uuid=uuid)
    rows = selectors.closest_for_report(user=request.user, report=report)
    audit(actor=request.user, action=AuditAction.VIEW, obj=report, organisation=report.organisation,
          summary=f"查看与走失报案 {report.report_no} 最接近的在站人员（{len(rows)} 人）")
    return render(request, "matching/closest.html", {"rows": rows, "report": report})


# --- families at a station (rule T7) ---------------------------------------------------------------

@login_required
def browse(request):
    """Photo grid of people in care at the user's station(s), for staff helping a family search."""
    if not (request.user.is_superuser or request.user.has_role(
            Role.RECEPTION, Role.TRACER, Role.HEAD, Role.ADMIN, Role.CARER, Role.MEDICAL, Role.SUPERVISOR)):
        raise PermissionDenied("只有救助机构工作人员可以协助家属查看在站人员。")
    form = BrowseForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.browse(user=request.user, **{k: v for k, v in filters.items() if v not in (None, "")})
    return render(request, "matching/browse.html", {**paginate(request, qs, per_page=24), "form": form})


__all__ = ["Person", "ReportStatus"]
