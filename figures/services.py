"""Writes of the figures app: the quarterly reports (rule O4) and refreshing the summary tables.

Each is one function in one transaction: check who may act and whether the move is allowed, write, audit.
"""

from __future__ import annotations

import copy
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit, audit_create, snapshot
from core.models import STATION_KINDS, AuditAction, Organisation, OrgKind, Role
from core.scoping import can_write
from figures import dimensions as dims
from figures.models import REPORT_TRANSITIONS, QuarterlyReport, ReportStatus, ReportSubmission

#: Who prepares a report (generates its figures) and who answers for it (reviews and submits it).
PREPARE_ROLES = (Role.STATISTICIAN, Role.SUPERVISOR, Role.HEAD)
SIGN_ROLES = (Role.HEAD, Role.SUPERVISOR)
#: Who acknowledges a submission for the receiving body.
RECEIVE_ROLES = (Role.STATISTICIAN, Role.SUPERVISOR, Role.HEAD)
REPORTING_KINDS = (*STATION_KINDS, OrgKind.CIVIL_AFFAIRS)


def _move(report: QuarterlyReport, to: str) -> None:
    if to not in REPORT_TRANSITIONS.get(report.status, frozenset()):
        raise ValidationError(f"季度报表当前为“{report.get_status_display()}”，不能变为“{ReportStatus(to).label}”。")
    report.status = to


def _require(user, organisation, roles, message: str) -> None:
    if not (can_write(user, organisation) and (user.is_superuser or user.has_role(*roles))):
        raise PermissionDenied(message)


def _audit_move(*, by, report: QuarterlyReport, before: dict, summary: str) -> None:
    after = snapshot(report, before.keys())
    audit(actor=by, action=AuditAction.TRANSITION, obj=report, summary=summary, organisation=report.organisation,
          changes={k: [before[k], after[k]] for k in before if before[k] != after[k]})


def consolidate(*, organisation: Organisation, year: int, quarter: int) -> dict:
    """A department's quarter: the sum of the figures its stations and lower departments submitted (the
    latest submission of each that was not returned), which ones they are, and who has not submitted."""
    children = Organisation.objects.filter(supervisor=organisation, kind__in=REPORTING_KINDS, is_active=True)
    out: dict = {"kind": "consolidated", "measures": {}, "care_start": {}, "care_end": {}, "parts": [], "missing": []}
    for child in children.order_by("division__code", "name"):
        submission = (ReportSubmission.objects.filter(report__organisation=child, report__year=year,
                                                      report__quarter=quarter, returned_at__isnull=True)
                      .order_by("-sequence").first())
        if submission is None:
            out["missing"].append(child.name)
            continue
        for part in ("measures", "care_start", "care_end"):
            dims.add(out[part], submission.figures.get(part, {}))
        out["parts"].append({
            "organisation": child.name, "sequence": submission.sequence,
            "submitted_at": timezone.localtime(submission.submitted_at).strftime("%Y-%m-%d %H:%M"),
            "acknowledged": bool(submission.acknowledged_at),
            "requested": submission.figures.get("measures", {}).get("requested", {}).get("all", {}).get("", 0),
            "care_end": submission.figures.get("care_end", {}).get("all", {}).get("", 0),
        })
    return out


def _figures_for(organisation: Organisation, year: int, quarter: int) -> dict:
    from figures.selectors import last_refresh, station_figures

    if organisation.kind == OrgKind.CIVIL_AFFAIRS:
        data = consolidate(organisation=organisation, year=year, quarter=quarter)
    else:
        data = {"kind": "station", **station_figures(station=organisation, year=year, quarter=quarter)}
    run = last_refresh()
    data["refreshed_at"] = timezone.localtime(run.finished_at).strftime("%Y-%m-%d %H:%M") if run else ""
    return data


@transaction.atomic
def report_generate(*, by, organisation: Organisation, year: int, quarter: int) -> QuarterlyReport:
    """Rule O4: generate (or generate again) an organisation's report for a finished quarter — a station's
    from the summary tables, a department's by consolidating what its bodies submitted. A report already
    submitted cannot be regenerated until the receiving body returns it."""
    if organisation.kind not in REPORTING_KINDS:
        raise ValidationError({"organisation": "只有救助管理机构和民政部门报送季度统计报表。"})
    _require(by, organisation, PREPARE_ROLES, "只有本机构的统计员、站长或监管员可以生成季度统计报表。")
    if not (2000 <= year <= 2100):
        raise ValidationError({"year": "年份不正确。"})
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": "季度应为 1 至 4。"})
    _first, last = dims.quarter_bounds(year, quarter)
    if last >= timezone.localdate():
        raise ValidationError({"quarter": f"{year}年第{quarter}季度尚未结束，季度结束后才能生成报表（规则 O4）。"})
    now = timezone.now()
    data = _figures_for(organisation, year, quarter)
    report = (QuarterlyReport.objects.select_for_update()
              .filter(organisation=organisation, year=year, quarter=quarter).first())
    if report is None:
        try:
            with transaction.atomic():
                report = QuarterlyReport.objects.create(organisation=organisation, year=year, quarter=quarter,
                                                        figures=data, generated_at=now, generated_by=by)
        except IntegrityError as exc:  # a simultaneous generation won: one report per quarter (DB constraint)
            raise ValidationError({"quarter": f"{organisation.name}{year}年第{quarter}季度的报表已存在。"}) from exc
        audit_create(actor=by, obj=report, organisation=organisation,
                     summary=f"生成{report.title}统计报表（规则 O4）")
        return report
    before = snapshot(report, ["status", "generated_at", "reviewed_at", "review_note"])
    _move(report, ReportStatus.DRAFT)
    report.figures, report.generated_at, report.generated_by = data, now, by
    report.reviewed_at, report.reviewed_by, report.review_note = None, None, ""
    report.save()
    _audit_move(by=by, report=report, before=before, summary=f"重新生成{report.title}统计报表（规则 O4）")
    return report


@transaction.atomic
def report_review(*, by, report: QuarterlyReport, note: str = "") -> QuarterlyReport:
    """The head of the station (or the department's supervisor) checks the figures and signs them off."""
    report = QuarterlyReport.objects.select_for_update().get(pk=report.pk)
    _require(by, report.organisation, SIGN_ROLES, "只有本机构的站长或监管员可以审核季度统计报表。")
    before = snapshot(report, ["status", "reviewed_at", "review_note"])
    _move(report, ReportStatus.REVIEWED)
    report.reviewed_at, report.reviewed_by, report.review_note = timezone.now(), by, note[:300]
    report.save()
    _audit_move(by=by, report=report, before=before, summary=f"审核{report.title}统计报表")
    return report


@transaction.atomic
def report_reopen(*, by, report: QuarterlyReport) -> QuarterlyReport:
    """Take a reviewed report back for correction before it is submitted."""
    report = QuarterlyReport.objects.select_for_update().get(pk=report.pk)
    _require(by, report.organisation, SIGN_ROLES, "只有本机构的站长或监管员可以撤回审核。")
    before = snapshot(report, ["status", "reviewed_at"])
    _move(report, ReportStatus.DRAFT)
    report.reviewed_at, report.reviewed_by = None, None
    report.save()
    _audit_move(by=by, report=report, before=before, summary=f"撤回{report.title}统计报表的审核")
    return report


@transaction.atomic
def report_submit(*, by, report: QuarterlyReport) -> ReportSubmission:
    """Submit a reviewed report to the supervising department: the figures are frozen in a submission as
    issued (the O4 deadline counts it for its quarter)."""
    report = QuarterlyReport.objects.select_for_update().select_related("organisation").get(pk=report.pk)
    _require(by, report.organisation, SIGN_ROLES, "只有本机构的站长或监管员可以报送季度统计报表。")
    target = report.organisation.supervisor
    if target is None:
        raise ValidationError("本机构没有上级主管部门，无需向上报送。")
    before = snapshot(report, ["status"])
    _move(report, ReportStatus.SUBMITTED)
    report.save()
    first, _last = dims.quarter_bounds(report.year, report.quarter)
    period_start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    submission = ReportSubmission.objects.create(
        report=report, organisation=report.organisation, submitted_to=target, period_start=period_start,
        sequence=report.submissions.count() + 1, figures=copy.deepcopy(report.figures),
        submitted_at=timezone.now(), submitted_by=by)
    audit_create(actor=by, obj=submission, organisation=report.organisation,
                 summary=f"向{target.name}报送{report.title}统计报表（第{submission.sequence}次，规则 O4）")
    _audit_move(by=by, report=report, before=before, summary=f"报送{report.title}统计报表")
    return submission


def _pending(report: QuarterlyReport) -> ReportSubmission:
    submission = (report.submissions.select_for_update().filter(acknowledged_at__isnull=True, returned_at__isnull=True)
                  .order_by("-sequence").first())
    if submission is None:
        raise ValidationError("该报表没有待接收的报送。")
    return submission


@transaction.atomic
def report_acknowledge(*, by, report: QuarterlyReport) -> ReportSubmission:
    """The receiving department confirms it received the submission as issued."""
    report = QuarterlyReport.objects.select_for_update().get(pk=report.pk)
    submission = _pending(report) if report.status == ReportStatus.SUBMITTED else None
    if submission is None:
        _move(report, ReportStatus.ACKNOWLEDGED)  # raises the Chinese message
    _require(by, submission.submitted_to, RECEIVE_ROLES, "只有接收机构的统计员、监管员或负责人可以确认接收。")
    before = snapshot(report, ["status"])
    _move(report, ReportStatus.ACKNOWLEDGED)
    report.save()
    submission.acknowledged_at, submission.acknowledged_by = timezone.now(), by
    submission.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
    _audit_move(by=by, report=report, before=before,
                summary=f"{submission.submitted_to.name}确认接收{report.organisation.name}{report.title}统计报表")
    return submission


@transaction.atomic
def report_return(*, by, report: QuarterlyReport, reason: str) -> ReportSubmission:
    """The receiving department sends the submission back with a reason; the body corrects and resubmits.
    The returned submission stays on record as issued."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因。"})
    if len(reason) > 2000:
        raise ValidationError({"reason": "不能超过 2000 个字符。"})
    report = QuarterlyReport.objects.select_for_update().get(pk=report.pk)
    submission = _pending(report) if report.status == ReportStatus.SUBMITTED else None
    if submission is None:
        _move(report, ReportStatus.RETURNED)
    _require(by, submission.submitted_to, RECEIVE_ROLES, "只有接收机构的统计员、监管员或负责人可以退回报表。")
    before = snapshot(report, ["status"])
    _move(report, ReportStatus.RETURNED)
    report.save()
    submission.returned_at, submission.returned_by, submission.return_reason = timezone.now(), by, reason
    submission.save(update_fields=["returned_at", "returned_by", "return_reason", "updated_at"])
    _audit_move(by=by, report=report, before=before, summary=f"退回{report.organisation.name}{report.title}统计报表：{reason[:100]}")
    return submission


# --- refreshing the summary tables ------------------------------------------------------------------------


def refresh_request(*, by) -> None:
    """Ask the task queue to refresh the summary tables now (after this transaction commits)."""
    from figures.selectors import may_view

    if not may_view(by):
        raise PermissionDenied("统计数据只向统计员、站长和民政部门工作人员开放。")
    from figures import tasks

    audit(actor=by, action=AuditAction.UPDATE, object_type="figures.RefreshRun", object_id="refresh",
          summary="请求立即刷新统计汇总", organisation=getattr(by, "organisation", None))
    transaction.on_commit(lambda: tasks.figures_refresh_now(by.pk))
