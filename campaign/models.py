"""Special campaigns (专项行动) and their summary table (情况汇总表, seed document 004, rule O4).

A department configures a campaign as data: its name, period and the dates by which the table is reported
(each a deadline, ``campaign/deadlines.py``). The figures are computed from records (``campaign.selectors``);
the few columns that are declarations are entered per county with their source document; the table as
submitted for a reporting date is kept as issued.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.fields import NOTE, BoundedTextField
from core.models import Division, Organisation, TimeStamped

#: The longest texts of a declaration (the annex's cells hold a paragraph each).
DECLARATION_TEXT = 1000


class Campaign(TimeStamped):
    """One special campaign of a civil-affairs department (e.g. 救助管理服务质量大提升专项行动, 2020-05 – 2021-06)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey(
        Organisation, verbose_name="组织部门", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("专项行动名称", max_length=100)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    document_ref = models.CharField("实施方案文号", max_length=100, blank=True)
    note = BoundedTextField("说明", max_length=NOTE, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设置人", on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "department"

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = verbose_name_plural = "专项行动"
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="campaign_ends_after_start"),
            models.UniqueConstraint(fields=["department", "name"], name="campaign_unique_name_per_department"),
        ]

    def __str__(self) -> str:
        return self.name


class ReportingDate(TimeStamped):
    """A date by which the campaign's department produces and submits its summary table (a deadline)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, verbose_name="专项行动", on_delete=models.CASCADE, related_name="dates")
    due_on = models.DateField("报送截止日期")
    label = models.CharField("阶段", max_length=50, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = verbose_name_plural = "汇总表报送日期"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "due_on"], name="campaign_one_reporting_date_per_day"),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(campaign__department_id__in=org_ids)

    def __str__(self) -> str:
        return f"{self.label or '报送'}（{self.due_on:%Y-%m-%d}）"


def declaration_upload_to(instance: "Declaration", filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()[:4] if "." in filename else "bin"
    return f"campaign/declarations/{instance.uuid}/{uuid.uuid4().hex}.{ext}"


class Declaration(TimeStamped):
    """What a county declares for the table (leadership mechanism and meetings, leaders' guidance, patrol duties
    assigned to the police / 城管, pay policy), as of a date, with the document it rests on. The latest declaration
    on or before the table's date counts; the city's own row (市本级) may have one too."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(
        Campaign, verbose_name="专项行动", on_delete=models.PROTECT, related_name="declarations"
    )
    division = models.ForeignKey(Division, verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, verbose_name="填报部门", on_delete=models.PROTECT, related_name="+"
    )
    declared_on = models.DateField("填报日期")
    leadership_mechanism = models.BooleanField("已成立政府负责同志牵头的领导协调机制", default=False)
    meetings_held = models.PositiveSmallIntegerField("专项行动期间召开会议次数", default=0)
    leadership_note = BoundedTextField(
        "领导协调机制发挥作用情况（会议时间、研究事项）", max_length=DECLARATION_TEXT, blank=True
    )
    leaders_guidance = BoundedTextField(
        "党委政府领导调研指导、解决突出困难和问题情况", max_length=DECLARATION_TEXT, blank=True
    )
    patrol_duties = models.BooleanField("已建成公安、城管牵头履行街面巡查职责", default=False)
    pay_policy = models.BooleanField("工资倾斜政策已落实", default=False)
    pay_policy_note = BoundedTextField("工资倾斜政策落实情况", max_length=DECLARATION_TEXT, blank=True)
    document = models.FileField("依据文件", upload_to=declaration_upload_to)
    document_name = models.CharField("依据文件名", max_length=200)
    document_type = models.CharField("文件类型", max_length=50)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["division__code", "-declared_on", "-id"]
        verbose_name = verbose_name_plural = "汇总表填报事项"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "division", "declared_on"], name="campaign_one_declaration_per_day"
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(organisation_id__in=org_ids) | Q(campaign__department_id__in=org_ids)

    def __str__(self) -> str:
        return f"{self.division.name} {self.declared_on:%Y-%m-%d}"


class Submission(TimeStamped):
    """The table a department submitted for a reporting date, stored as issued (the figures do not move when
    records are corrected later)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reporting_date = models.ForeignKey(
        ReportingDate, verbose_name="报送日期", on_delete=models.PROTECT, related_name="submissions"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="报送部门", on_delete=models.PROTECT, related_name="+"
    )
    as_of = models.DateField("数据截止日期")
    table = models.JSONField("汇总表（报送时）")
    submitted_at = models.DateTimeField("报送时间")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="报送人", on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "organisation"

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = verbose_name_plural = "汇总表报送记录"
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_date", "organisation"], name="campaign_one_submission_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name} {self.reporting_date}"
