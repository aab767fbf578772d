"""Every write of the campaign app (rule O4): keyword-only, one transaction each, validated, audited (old → new).

Who may write: the civil-affairs department that owns the campaign configures it; a department enters the
declarations of the counties in its area (a city department any of its counties and 市本级, a county department
its own county) and submits its own table — its 民政监管员, 统计员, head or administrator (``may_*`` below).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaign import selectors
from campaign.models import DECLARATION_TEXT, Campaign, Declaration, ReportingDate, Submission
from core.audit import audit, audit_create, audit_update, diff, snapshot
from core.fields import NOTE
from core.images import take_document
from core.models import AuditAction, Division, Organisation, OrgKind, Role
from core.scoping import can_write
from oversight.services import audit_create_with, clean_text

#: Roles of a department that run the campaign table (head and admin are always included by can_write).
CAMPAIGN_ROLES = (Role.SUPERVISOR, Role.STATISTICIAN)
#: Reporting dates a campaign may have (the 004 campaign has three).
MAX_REPORTING_DATES = 24
#: The longest campaign a department may configure (years).
MAX_YEARS = 5


def may_configure(user, department: Organisation | None) -> bool:
    """A campaign is configured by its own civil-affairs department at city or county level."""
    return (
        department is not None
        and department.kind == OrgKind.CIVIL_AFFAIRS
        and can_write(user, department, *CAMPAIGN_ROLES)
    )


def may_declare(user, campaign: Campaign, division: Division | None = None) -> bool:
    """The user's department may enter declarations for ``division`` (any row of its area when not given)."""
    org = user.organisation if user.is_authenticated else None
    if not may_configure(user, org):
        return False
    rows = {r.code for r in selectors.area_rows(user, campaign)}
    return bool(rows) and (division is None or division.code in rows)


def _dates(starts_on, ends_on) -> None:
    if starts_on is None:
        raise ValidationError({"starts_on": "请填写开始日期。"})
    if ends_on is None:
        raise ValidationError({"ends_on": "请填写结束日期。"})
    for field, day, label in (("starts_on", starts_on, "开始日期"), ("ends_on", ends_on, "结束日期")):
        if not 2000 <= day.year <= 2999:
            raise ValidationError({field: f"{label}不正确。"})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "结束日期不能早于开始日期。"})
    if (ends_on - starts_on).days > 366 * MAX_YEARS:
        raise ValidationError({"ends_on": f"专项行动期限不能超过 {MAX_YEARS} 年。"})


def _reporting(dates: list[tuple[datetime.date, str]], starts_on: datetime.date,
               ends_on: datetime.date) -> list[tuple[datetime.date, str]]:
    """Reporting dates: at least one, within the campaign (the final report may follow it by up to a year), no day
    twice."""
    if not dates:
        raise ValidationError({"reporting_dates": "请至少填写一个汇总表报送日期。"})
    if len(dates) > MAX_REPORTING_DATES:
        raise ValidationError({"reporting_dates": f"报送日期不能超过 {MAX_REPORTING_DATES} 个。"})
    seen = set()
    cleaned = []
    for day, label in dates:
        if day < starts_on:
            raise ValidationError({"reporting_dates": f"报送日期 {day:%Y-%m-%d} 早于专项行动开始日期。"})
        if day > ends_on + datetime.timedelta(days=366):
            raise ValidationError({"reporting_dates": f"报送日期 {day:%Y-%m-%d} 晚于专项行动结束一年以后。"})
        if day in seen:
            raise ValidationError({"reporting_dates": f"报送日期 {day:%Y-%m-%d} 重复。"})
        seen.add(day)
        cleaned.append((day, clean_text(label, 50, "reporting_dates", "阶段名称")))
    return sorted(cleaned)


def _campaign_fields(data: dict) -> dict:
    fields = {
        "name": clean_text(data.get("name"), 100, "name", "专项行动名称", required=True),
        "starts_on": data.get("starts_on"),
        "ends_on": data.get("ends_on"),
        "document_ref": clean_text(data.get("document_ref"), 100, "document_ref", "实施方案文号"),
        "note": clean_text(data.get("note"), NOTE, "note", "说明"),
    }
    _dates(fields["starts_on"], fields["ends_on"])
    return fields


@transaction.atomic
def campaign_create(*, by, department: Organisation, data: dict,
                    reporting_dates: list[tuple[datetime.date, str]]) -> Campaign:
    """Configure a campaign with its period and reporting dates (rule O4: 情况汇总表 on the dates set)."""
    if not may_configure(by, department):
        raise PermissionDenied("专项行动由市、县级民政部门的监管员、统计员或负责人设置。")
    if selectors.row_code(department.division.code) is None:
        raise ValidationError("专项行动由市级或县级民政部门设置（汇总表按县（市、区）分行）。")
    fields = _campaign_fields(data)
    dates = _reporting(reporting_dates, fields["starts_on"], fields["ends_on"])
    if Campaign.objects.filter(department=department, name=fields["name"]).exists():
        raise ValidationError({"name": "本部门已有同名的专项行动。"})
    campaign = Campaign.objects.create(department=department, created_by=by, **fields)
    for day, label in dates:
        ReportingDate.objects.create(campaign=campaign, due_on=day, label=label)
    audit_create_with(by=by, obj=campaign, organisation=department, summary=f"设置专项行动：{campaign.name}",
                      related={"reporting_dates": [f"{label or '报送'} {day:%Y-%m-%d}" for day, label in dates]})
    return campaign


@transaction.atomic
def campaign_update(*, by, campaign: Campaign, data: dict,
                    reporting_dates: list[tuple[datetime.date, str]]) -> Campaign:
    """Change a campaign's name, period or reporting dates; a date with a submission stays."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not may_configure(by, campaign.department):
        raise PermissionDenied("专项行动由设置它的民政部门修改。")
    fields = _campaign_fields(data)
    dates = _reporting(reporting_dates, fields["starts_on"], fields["ends_on"])
    if Campaign.objects.filter(department=campaign.department, name=fields["name"]).exclude(pk=campaign.pk).exists():
        raise ValidationError({"name": "本部门已有同名的专项行动。"})
    before = snapshot(campaign, list(fields))
    existing = {d.due_on: d for d in campaign.dates.all()}
    old_dates = [f"{d.label or '报送'} {d.due_on:%Y-%m-%d}" for d in existing.values()]
    wanted = dict(dates)
    for day, row in existing.items():
        if day not in wanted:
            if row.submissions.exists():
                raise ValidationError({"reporting_dates": f"{day:%Y-%m-%d} 已有报送记录，不能删除该报送日期。"})
            row.delete()
    for day, label in dates:
        row = existing.get(day)
        if row is None:
            ReportingDate.objects.create(campaign=campaign, due_on=day, label=label)
        elif row.label != label:
            row.label = label
            row.save(update_fields=["label", "updated_at"])
    for key, value in fields.items():
        setattr(campaign, key, value)
    campaign.save()
    new_dates = [f"{label or '报送'} {day:%Y-%m-%d}" for day, label in dates]
    changes = diff(before, snapshot(campaign, list(before)))
    if sorted(old_dates) != new_dates:
        changes["reporting_dates"] = [sorted(old_dates), new_dates]
    if changes:
        audit(actor=by, action=AuditAction.UPDATE, obj=campaign, organisation=campaign.department,
              summary=f"修改专项行动：{campaign.name}", changes=changes)
    return campaign


def _declaration_fields(data: dict, campaign: Campaign) -> dict:
    declared_on = data.get("declared_on")
    if declared_on is None:
        raise ValidationError({"declared_on": "请填写填报日期。"})
    if declared_on > timezone.localdate():
        raise ValidationError({"declared_on": "填报日期不能晚于今天。"})
    if declared_on < campaign.starts_on:
        raise ValidationError({"declared_on": "填报日期不能早于专项行动开始日期。"})
    meetings = data.get("meetings_held") or 0
    if not isinstance(meetings, int) or not 0 <= meetings <= 999:
        raise ValidationError({"meetings_held": "会议次数应在 0–999 之间。"})
    fields = {
        "declared_on": declared_on,
        "leadership_mechanism": bool(data.get("leadership_mechanism")),
        "meetings_held": meetings,
        "leadership_note": clean_text(data.get("leadership_note"), DECLARATION_TEXT, "leadership_note",
                                      "领导协调机制发挥作用情况"),
        "leaders_guidance": clean_text(data.get("leaders_guidance"), DECLARATION_TEXT, "leaders_guidance",
                                       "党委政府领导调研指导情况"),
        "patrol_duties": bool(data.get("patrol_duties")),
        "pay_policy": bool(data.get("pay_policy")),
        "pay_policy_note": clean_text(data.get("pay_policy_note"), DECLARATION_TEXT, "pay_policy_note",
                                      "工资倾斜政策落实情况"),
    }
    if fields["meetings_held"] and not fields["leadership_mechanism"]:
        raise ValidationError({"meetings_held": "未成立领导协调机制的，不能填写其召开的会议次数。"})
    if fields["leadership_mechanism"] and fields["meetings_held"] and not fields["leadership_note"]:
        raise ValidationError({"leadership_note": "请注明召开会议的时间和研究事项。"})
    return fields


def _document(upload):
    if upload is None:
        raise ValidationError({"document": "请上传依据文件（会议纪要、文件或证明材料的扫描件，图片或 PDF）。"})
    return take_document(upload, field="document", label="依据文件")


@transaction.atomic
def declaration_create(*, by, campaign: Campaign, division: Division, data: dict, document) -> Declaration:
    """A county's declarations for the table as of a date, with the document they rest on (the department's own
    statement: the system holds no record of leadership meetings, pay or police patrol duties)."""
    if not may_declare(by, campaign, division):
        raise PermissionDenied("只能填报本部门辖区内县（市、区）的情况。")
    fields = _declaration_fields(data, campaign)
    clean = _document(document)
    if Declaration.objects.filter(campaign=campaign, division=division, declared_on=fields["declared_on"]).exists():
        raise ValidationError({"declared_on": "该县（市、区）在这一天已有填报，请修改原填报。"})
    declaration = Declaration(campaign=campaign, division=division, organisation=by.organisation, entered_by=by,
                              document_name=(getattr(document, "name", "") or "依据文件")[:200],
                              document_type=clean.content_type[:50], **fields)
    declaration.document = clean.as_file("declaration")
    try:
        with transaction.atomic():
            declaration.save()
    except IntegrityError as exc:
        raise ValidationError({"declared_on": "该县（市、区）在这一天已有填报，请修改原填报。"}) from exc
    audit_create(actor=by, obj=declaration, organisation=by.organisation,
                 summary=f"填报汇总表事项：{campaign.name} {division.name}（{declaration.declared_on:%Y-%m-%d}）")
    return declaration


@transaction.atomic
def declaration_update(*, by, declaration: Declaration, data: dict, document=None) -> Declaration:
    """Correct a declaration; a new document replaces the old one (the audit keeps both names)."""
    declaration = Declaration.objects.select_for_update().select_related("campaign", "division").get(
        pk=declaration.pk)
    if not may_declare(by, declaration.campaign, declaration.division):
        raise PermissionDenied("只能填报本部门辖区内县（市、区）的情况。")
    fields = _declaration_fields(data, declaration.campaign)
    if Declaration.objects.filter(campaign=declaration.campaign, division=declaration.division,
                                  declared_on=fields["declared_on"]).exclude(pk=declaration.pk).exists():
        raise ValidationError({"declared_on": "该县（市、区）在这一天已有填报，请修改原填报。"})
    before = snapshot(declaration, [*fields, "document_name"])
    for key, value in fields.items():
        setattr(declaration, key, value)
    if document is not None:
        clean = _document(document)
        declaration.document = clean.as_file("declaration")
        declaration.document_name = (getattr(document, "name", "") or "依据文件")[:200]
        declaration.document_type = clean.content_type[:50]
    declaration.save()
    audit_update(actor=by, obj=declaration, before=before, organisation=by.organisation,
                 summary=f"修改汇总表填报事项：{declaration.campaign.name} {declaration.division.name}")
    return declaration


@transaction.atomic
def submission_create(*, by, reporting_date: ReportingDate, as_of: datetime.date | None = None) -> Submission:
    """Submit the department's table for a reporting date (rule O4), stored as issued: the figures as computed
    now for ``as_of`` (default: the reporting date, or today if it has not come yet)."""
    campaign = reporting_date.campaign
    org = by.organisation if by.is_authenticated else None
    if not may_declare(by, campaign):
        raise PermissionDenied("汇总表由民政部门的监管员、统计员或负责人报送。")
    today = timezone.localdate()
    as_of = as_of or min(reporting_date.due_on, today)
    if as_of > today:
        raise ValidationError({"as_of": "数据截止日期不能晚于今天。"})
    if as_of < campaign.starts_on:
        raise ValidationError({"as_of": "数据截止日期不能早于专项行动开始日期。"})
    if Submission.objects.filter(reporting_date=reporting_date, organisation=org).exists():
        raise ValidationError("本部门已报送该期汇总表。")
    data = selectors.table(user=by, campaign=campaign, as_of=as_of)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(reporting_date=reporting_date, organisation=org, as_of=as_of,
                                                   table=data, submitted_at=timezone.now(), submitted_by=by)
    except IntegrityError as exc:
        raise ValidationError("本部门已报送该期汇总表。") from exc
    # The stored table itself is the record; the entry names it rather than copying every figure.
    audit(actor=by, action=AuditAction.CREATE, obj=submission, organisation=org,
          summary=f"报送情况汇总表：{campaign.name} {reporting_date}（数据截至 {as_of:%Y-%m-%d}）",
          changes={"reporting_date": [None, str(reporting_date)], "as_of": [None, as_of.isoformat()],
                   "rows": [None, len(data["rows"])]})
    return submission
