"""Incidents (异常情况, rules X1, X2): going missing, death, injury, false claiming, major emergencies and
negative public opinion, reported at once up the chain — station → its civil-affairs department → the
government at that level and the department above — each level's receipt dated, handling logged until the
department closes the incident."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import Organisation, TimeStamped
from people.models import Episode, Person


class IncidentKind(models.TextChoices):
    MISSING = "missing", "走失"
    DEATH = "death", "死亡"
    INJURY = "injury", "受伤"
    FALSE_CLAIM = "false_claim", "被冒领"
    EMERGENCY = "emergency", "重大突发事件"
    OPINION = "opinion", "负面舆情"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "处置中"
    CLOSED = "closed", "已结案"


class Incident(TimeStamped):
    """One incident at a station or outside-care facility (rule X1; negative public opinion, X2)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("事件编号", max_length=32, unique=True)
    station = models.ForeignKey(
        Organisation, verbose_name="发生机构", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("类型", max_length=16, choices=IncidentKind.choices)
    occurred_at = models.DateTimeField("发生/发现时间")
    title = models.CharField("事件名称", max_length=100)
    description = models.CharField("基本情况", max_length=2000)
    person = models.ForeignKey(
        Person, verbose_name="涉及人员", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    episode = models.ForeignKey(
        Episode, verbose_name="救助过程", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    auto_opened = models.BooleanField("离站登记时自动生成", default=False)
    status = models.CharField(
        "状态", max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="结案人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closing_note = models.CharField("结案意见", max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = verbose_name_plural = "异常情况"
        indexes = [models.Index(fields=["station", "status"]), models.Index(fields=["kind", "occurred_at"])]
        constraints = [
            # One incident per episode and kind: recording the same death twice would double the figures.
            models.UniqueConstraint(
                fields=["episode", "kind"],
                condition=Q(episode__isnull=False),
                name="incidents_one_per_episode_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(station_id__in=org_ids)


class Stage(models.TextChoices):
    STATION = "station", "救助机构 → 主管民政部门"
    GOVERNMENT = "government", "民政部门 → 本级人民政府"
    UPPER = "upper", "民政部门 → 上级民政部门"


class ReportKind(models.TextChoices):
    FIRST = "first", "首报（电话/口头）"
    WRITTEN = "written", "书面报告"


class IncidentReport(TimeStamped):
    """One report up one level of the chain, and the date its recipient acknowledged it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="reports")
    stage = models.CharField("报告环节", max_length=16, choices=Stage.choices)
    kind = models.CharField("报告类型", max_length=16, choices=ReportKind.choices)
    sender = models.ForeignKey(
        Organisation, verbose_name="报告单位", on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.ForeignKey(
        Organisation,
        verbose_name="接收单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recipient_name = models.CharField("接收单位名称", max_length=100)
    content = models.CharField("报告内容", max_length=2000)
    sent_at = models.DateTimeField("报告时间")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="报告人", on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField("接收时间", null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记接收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receipt_note = models.CharField("接收情况", max_length=200, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = verbose_name_plural = "异常情况报告"
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "stage", "kind"], name="incidents_one_report_per_stage"
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(incident__station_id__in=org_ids)


class HandlingEntry(TimeStamped):
    """One line of the handling log (处置情况), kept until the department closes the incident."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="handling")
    at = models.DateTimeField("时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField("处置情况", max_length=500)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = verbose_name_plural = "异常情况处置记录"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(incident__station_id__in=org_ids)
