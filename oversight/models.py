"""Oversight (监督管理): the risk checklist, inspections and the hazard ledger (rule O3).

The checklist is data that a civil-affairs department edits; an inspection walks it at a station or an
outside-care facility, and every failed item becomes a hazard that moves 整改中 → 待验收 → 已验收 → 销号
(整改一个、验收一个、销号一个), each step dated and by whom (``HazardStep``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import Organisation, TimeStamped


class RiskCategory(models.TextChoices):
    FIRE = "fire", "消防安全"
    FOOD = "food", "食品安全与留样"
    MEDICAL = "medical", "医疗卫生"
    MISSING = "missing", "防走失"
    VIOLENCE = "violence", "防暴力与虐待"
    FACILITIES = "facilities", "设施设备"
    OUTSIDE_CARE = "outside_care", "站外托养"


class ChecklistItem(TimeStamped):
    """One item of a department's risk checklist (风险防控清单); it applies to every station and facility the
    department supervises, directly or through county departments."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name="制定部门", on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField("风险类别", max_length=16, choices=RiskCategory.choices)
    text = models.CharField("检查内容", max_length=200)
    guidance = models.CharField("检查方法/标准", max_length=300, blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    scope_field = "organisation"

    class Meta:
        ordering = ["category", "order", "id"]
        verbose_name = verbose_name_plural = "风险防控清单项目"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "category", "text"], name="oversight_unique_checklist_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.text}"


class Inspection(TimeStamped):
    """A walk through the checklist at one station or outside-care facility (rule O3)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("检查编号", max_length=32, unique=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name="被检查机构", on_delete=models.PROTECT, related_name="+"
    )
    inspector_org = models.ForeignKey(
        Organisation, verbose_name="检查单位", on_delete=models.PROTECT, related_name="+"
    )
    inspected_at = models.DateTimeField("检查时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="检查人", on_delete=models.PROTECT, related_name="+"
    )
    participants = models.CharField("参加人员", max_length=200, blank=True)
    note = models.CharField("总体情况", max_length=500, blank=True)

    class Meta:
        ordering = ["-inspected_at", "-id"]
        verbose_name = verbose_name_plural = "风险检查"
        indexes = [models.Index(fields=["organisation", "inspected_at"])]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(organisation_id__in=org_ids) | Q(inspector_org_id__in=org_ids)


class Outcome(models.TextChoices):
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"
    NA = "na", "不适用"


def result_photo_upload_to(instance: "InspectionResult", filename: str) -> str:
    return f"oversight/inspections/{instance.inspection.uuid}/{uuid.uuid4().hex}.jpg"


class InspectionResult(TimeStamped):
    """One checklist item as found: the item's text is copied so later edits of the checklist leave it intact."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(
        ChecklistItem, verbose_name="清单项目", on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField("风险类别", max_length=16, choices=RiskCategory.choices)
    text = models.CharField("检查内容", max_length=200)
    outcome = models.CharField("结果", max_length=8, choices=Outcome.choices)
    note = models.CharField("情况说明", max_length=300, blank=True)
    photo = models.FileField("现场照片", upload_to=result_photo_upload_to, blank=True)

    class Meta:
        ordering = ["category", "id"]
        verbose_name = verbose_name_plural = "检查结果"
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="oversight_one_result_per_item")
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(inspection__organisation_id__in=org_ids) | Q(inspection__inspector_org_id__in=org_ids)


class HazardStatus(models.TextChoices):
    RECTIFYING = "rectifying", "整改中"
    PENDING = "pending", "待验收"
    ACCEPTED = "accepted", "已验收"
    CLOSED = "closed", "已销号"


#: Allowed moves of a hazard (rule O3): a failed acceptance sends it back to 整改中.
HAZARD_TRANSITIONS = {
    HazardStatus.RECTIFYING: {HazardStatus.PENDING},
    HazardStatus.PENDING: {HazardStatus.ACCEPTED, HazardStatus.RECTIFYING},
    HazardStatus.ACCEPTED: {HazardStatus.CLOSED},
    HazardStatus.CLOSED: set(),
}


class Hazard(TimeStamped):
    """One entry of the hazard ledger (隐患台账): measures, deadline and responsible person, then rectified,
    accepted by someone other than the fixer, and closed (rule O3)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("隐患编号", max_length=32, unique=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name="责任机构", on_delete=models.PROTECT, related_name="+"
    )
    inspection = models.ForeignKey(
        Inspection,
        verbose_name="来源检查",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    result = models.OneToOneField(
        InspectionResult,
        verbose_name="来源检查结果",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazard",
    )
    source = models.CharField(
        "来源", max_length=100, blank=True, help_text="如：风险检查、监督组意见、托养机构探访"
    )
    category = models.CharField("风险类别", max_length=16, choices=RiskCategory.choices)
    description = models.CharField("隐患描述", max_length=500)
    measures = models.CharField("整改措施", max_length=500, blank=True)
    responsible = models.CharField("整改责任人", max_length=50, blank=True)
    found_on = models.DateField("发现日期")
    deadline = models.DateField("整改期限")
    status = models.CharField(
        "状态", max_length=16, choices=HazardStatus.choices, default=HazardStatus.RECTIFYING
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    rectified_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="整改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rectification = models.CharField("整改情况", max_length=500, blank=True)
    accepted_at = models.DateTimeField("验收时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="验收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="销号人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope_field = "organisation"

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = verbose_name_plural = "隐患台账"
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["status", "deadline"]),
        ]
        constraints = [
            # rule O3: 验收一个 — never accepted by the person who did the fix.
            models.CheckConstraint(
                condition=Q(accepted_by__isnull=True)
                | Q(rectified_by__isnull=True)
                | ~Q(accepted_by=models.F("rectified_by")),
                name="oversight_hazard_accepted_by_another",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("found_on")), name="oversight_hazard_deadline_after_found"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.description[:30]}"


class HazardStep(TimeStamped):
    """One dated step of a hazard (登记、提交验收、验收通过、验收不通过、销号) with who took it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="steps")
    status_from = models.CharField("原状态", max_length=16, choices=HazardStatus.choices, blank=True)
    status_to = models.CharField("新状态", max_length=16, choices=HazardStatus.choices)
    at = models.DateTimeField("时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = verbose_name_plural = "隐患整改步骤"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(hazard__organisation_id__in=org_ids)
