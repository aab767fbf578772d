"""The compliance clock's own data: the statutory calendar, stricter local thresholds, and the periodic
snapshots of overdue items with the notifications they raised.

Whether a deadline was met is never stored as a flag: it is computed from the owning app's records
(see deadlines/registry.py). Snapshots only remember *when* an item was first seen overdue, so each
one is notified once.
"""

import uuid

from django.db import models
from django.db.models import Q

from core.models import Organisation, Role, TimeStamped


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "法定节假日（休息）"
    WORKDAY = "workday", "调休上班日"


class HolidayCalendar(TimeStamped):
    """One day of the State Council's holiday notice: a day off, or a weekend day worked (调休)."""

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=16, choices=DayKind.choices)
    name = models.CharField("节日", max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = verbose_name_plural = "法定节假日安排"

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"


class RuleSetting(TimeStamped):
    """An administrator's stricter threshold for one rule (the code's value is the default and the ceiling)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rule_id = models.CharField("规则编号", max_length=16, unique=True)
    amount = models.PositiveIntegerField("时限数值")
    note = models.CharField("依据/说明", max_length=200, blank=True)
    changed_by = models.ForeignKey("core.User", verbose_name="修改人", null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["rule_id"]
        verbose_name = verbose_name_plural = "时限设置"


class DeadlineSnapshot(models.Model):
    """One run of the periodic scan: when, and how many items were overdue per rule."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    taken_at = models.DateTimeField("扫描时间", db_index=True)
    counts = models.JSONField("各规则逾期数", default=dict)
    new_items = models.PositiveIntegerField("新增逾期", default=0)
    resolved_items = models.PositiveIntegerField("已消除", default=0)
    rates = models.JSONField("按时完成率（近几个月，按规则、机构、月份）", default=dict, blank=True)

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = verbose_name_plural = "时限扫描记录"


class OverdueItem(TimeStamped):
    """An item first seen overdue by a snapshot; ``resolved_at`` is set when a later scan no longer finds it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rule_id = models.CharField("规则编号", max_length=16)
    subject_key = models.CharField("对象标识", max_length=80)  # subject uuid, plus the period for recurring rules
    organisation = models.ForeignKey(Organisation, verbose_name="责任机构", on_delete=models.CASCADE,
                                     related_name="+")
    role = models.CharField("责任角色", max_length=32, choices=Role.choices)
    label = models.CharField("事项", max_length=200)
    person_uuid = models.UUIDField("相关人员档案", null=True, blank=True)
    due_at = models.DateTimeField("到期时间")
    first_seen_at = models.DateTimeField("首次发现逾期")
    resolved_at = models.DateTimeField("消除时间", null=True, blank=True)

    scope_field = "organisation"

    class Meta:
        ordering = ["due_at"]
        verbose_name = verbose_name_plural = "逾期事项"
        constraints = [models.UniqueConstraint(fields=["rule_id", "subject_key"], condition=Q(resolved_at__isnull=True),
                                               name="deadlines_one_open_item")]
        indexes = [models.Index(fields=["organisation", "resolved_at", "role"])]


class Notification(TimeStamped):
    """An in-app message to an organisation's role (and, by escalation, to its supervising department)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, verbose_name="接收机构", on_delete=models.CASCADE,
                                     related_name="+")
    role = models.CharField("接收角色", max_length=32, choices=Role.choices, blank=True)
    item = models.ForeignKey(OverdueItem, verbose_name="逾期事项", null=True, on_delete=models.CASCADE,
                             related_name="notifications")
    is_escalation = models.BooleanField("上报上级", default=False)
    message = models.CharField("内容", max_length=300)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    read_by = models.ForeignKey("core.User", verbose_name="已读人", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    scope_field = "organisation"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "督办通知"
        indexes = [models.Index(fields=["organisation", "read_at"])]
