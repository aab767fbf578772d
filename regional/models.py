"""Regional centres (区域性中心, rules R1–R3, E2): escalation, help sent down, joint handling, unified escorts.

Ownership of a case that a centre took over is answered by ``regional.access.case_holder`` through the one
scoping mechanism (``core.scoping.register_case_access``); nothing here copies or moves the episode itself.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from core.fields import LONG_TEXT, NOTE, BoundedTextField
from core.models import Division, Organisation, TimeStamped


class CaseKind(models.TextChoices):
    """Rule R2: what a centre takes over, sends help for or handles together."""

    CARE = "care", "生活照料"
    MEDICAL = "medical", "医疗救治"
    TRACING = "tracing", "寻亲服务"
    ESCORT = "escort", "跨省护送"
    SETTLEMENT = "settlement", "落户安置"
    AFTERCARE = "aftercare", "回归后跟踪"


class EscalationStatus(models.TextChoices):
    REQUESTED = "requested", "待中心答复"
    ACCEPTED = "accepted", "中心已接办"
    DECLINED = "declined", "中心不予接办"
    WITHDRAWN = "withdrawn", "救助站已撤回"
    RETURNED = "returned", "已交回救助站"
    CLOSED = "closed", "已办结"


#: Allowed changes of an escalation (STYLE habit 6). CLOSED is reached when the episode ends.
ESCALATION_TRANSITIONS = {
    EscalationStatus.REQUESTED: {EscalationStatus.ACCEPTED, EscalationStatus.DECLINED, EscalationStatus.WITHDRAWN,
                                 EscalationStatus.CLOSED},
    EscalationStatus.ACCEPTED: {EscalationStatus.RETURNED, EscalationStatus.CLOSED},
    EscalationStatus.DECLINED: set(),
    EscalationStatus.WITHDRAWN: set(),
    EscalationStatus.RETURNED: set(),
    EscalationStatus.CLOSED: set(),
}
OPEN_ESCALATION = (EscalationStatus.REQUESTED, EscalationStatus.ACCEPTED)


class Escalation(TimeStamped):
    """提级办理: a station asks its regional centre to take a case over (rule R2)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="regional_escalations")
    station = models.ForeignKey(Organisation, verbose_name="提请机构", on_delete=models.PROTECT, related_name="+")
    centre = models.ForeignKey(Organisation, verbose_name="区域性中心", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("提级事项", max_length=16, choices=CaseKind.choices)
    reason = BoundedTextField("提级理由", max_length=NOTE)
    status = models.CharField("状态", max_length=16, choices=EscalationStatus.choices,
                              default=EscalationStatus.REQUESTED)
    requested_at = models.DateTimeField("提请时间")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提请人", on_delete=models.PROTECT,
                                     related_name="+")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answer_reason = BoundedTextField("答复意见", max_length=NOTE, blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="结束经办人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    end_note = BoundedTextField("结束说明", max_length=NOTE, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = verbose_name_plural = "提级办理"
        indexes = [models.Index(fields=["centre", "status"]), models.Index(fields=["episode", "status"])]
        constraints = [
            # rule R2: one open escalation per episode, even under simultaneous requests
            models.UniqueConstraint(fields=["episode"], condition=Q(status__in=["requested", "accepted"]),
                                    name="regional_one_open_escalation_per_episode"),
            models.CheckConstraint(condition=~Q(station=models.F("centre")), name="regional_escalation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.episode.number} 提级办理（{self.get_kind_display()}）"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(station_id__in=org_ids) | Q(centre_id__in=org_ids)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ESCALATION


class AssistanceStatus(models.TextChoices):
    ACTIVE = "active", "协助中"
    ENDED = "ended", "已提前结束"


class Assistance(TimeStamped):
    """下沉协助: a centre sends staff to act on one case of a station for a period (rule R2)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="regional_assistance")
    station = models.ForeignKey(Organisation, verbose_name="受援机构", on_delete=models.PROTECT, related_name="+")
    centre = models.ForeignKey(Organisation, verbose_name="区域性中心", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("协助事项", max_length=16, choices=CaseKind.choices)
    task = models.CharField("协助任务", max_length=200)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="下沉人员", related_name="+")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    status = models.CharField("状态", max_length=8, choices=AssistanceStatus.choices, default=AssistanceStatus.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="派出人", on_delete=models.PROTECT,
                                   related_name="+")
    ended_at = models.DateTimeField("提前结束时间", null=True, blank=True)
    end_note = BoundedTextField("结束说明", max_length=NOTE, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = verbose_name_plural = "下沉协助"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="regional_assistance_period"),
        ]

    def __str__(self) -> str:
        return f"{self.episode.number} 下沉协助（{self.task}）"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(station_id__in=org_ids) | Q(centre_id__in=org_ids)


class JointStatus(models.TextChoices):
    OPEN = "open", "会办中"
    CLOSED = "closed", "已结案"


class JointCase(TimeStamped):
    """协同会办: several bodies handle one case together (rule R2)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="regional_joint_cases")
    kind = models.CharField("会办事项", max_length=16, choices=CaseKind.choices)
    title = models.CharField("会办事由", max_length=200)
    convener = models.ForeignKey(Organisation, verbose_name="牵头机构", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=8, choices=JointStatus.choices, default=JointStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT,
                                   related_name="+")
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    conclusion = BoundedTextField("会办结论", max_length=NOTE, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "协同会办"

    def __str__(self) -> str:
        return f"{self.episode.number} 协同会办：{self.title}"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # the convener, the episode's station (and who sees it) and every participating body
        taking_part = JointParticipant.objects.filter(joint_case_id=OuterRef("pk"), organisation_id__in=org_ids)
        return Q(convener_id__in=org_ids) | Q(episode__station_id__in=org_ids) | Q(Exists(taking_part))


class JointParticipant(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    joint_case = models.ForeignKey(JointCase, verbose_name="协同会办", on_delete=models.CASCADE,
                                   related_name="participants")
    organisation = models.ForeignKey(Organisation, verbose_name="参与机构", on_delete=models.PROTECT, related_name="+")
    duty = models.CharField("承担职责", max_length=200)
    contact = models.CharField("联系人及电话", max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "会办参与机构"
        constraints = [models.UniqueConstraint(fields=["joint_case", "organisation"],
                                               name="regional_one_participation_per_body")]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(joint_case__in=JointCase.objects.filter(JointCase.scope_q(org_ids)).values("id"))


class JointMeeting(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    joint_case = models.ForeignKey(JointCase, verbose_name="协同会办", on_delete=models.CASCADE,
                                   related_name="meetings")
    held_on = models.DateField("会议日期")
    place = models.CharField("地点或方式", max_length=100, blank=True)
    attendees = models.CharField("参会人员", max_length=300)
    minutes = BoundedTextField("会议纪要", max_length=LONG_TEXT)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = verbose_name_plural = "会办会议"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(joint_case__in=JointCase.objects.filter(JointCase.scope_q(org_ids)).values("id"))


class JointDecision(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    joint_case = models.ForeignKey(JointCase, verbose_name="协同会办", on_delete=models.CASCADE,
                                   related_name="decisions")
    meeting = models.ForeignKey(JointMeeting, verbose_name="会议", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="decisions")
    text = models.CharField("决定事项", max_length=500)
    responsible = models.ForeignKey(Organisation, verbose_name="责任机构", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("完成期限", null=True, blank=True)
    done_at = models.DateTimeField("落实时间", null=True, blank=True)
    done_note = models.CharField("落实情况", max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "会办决定"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(joint_case__in=JointCase.objects.filter(JointCase.scope_q(org_ids)).values("id"))


class BatchStatus(models.TextChoices):
    PLANNED = "planned", "计划中"
    UNDER_WAY = "under_way", "护送途中"
    DONE = "done", "已完成"
    CANCELLED = "cancelled", "已取消"


BATCH_TRANSITIONS = {
    BatchStatus.PLANNED: {BatchStatus.UNDER_WAY, BatchStatus.CANCELLED},
    BatchStatus.UNDER_WAY: {BatchStatus.DONE},
    BatchStatus.DONE: set(),
    BatchStatus.CANCELLED: set(),
}


class EscortBatch(TimeStamped):
    """Rule E2: a cross-province escort run by the regional centre with its own staff, batched by route."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(Organisation, verbose_name="区域性中心", on_delete=models.PROTECT, related_name="+")
    route = models.CharField("护送路线", max_length=200)
    departs_on = models.DateField("出发日期")
    vehicle = models.CharField("车辆", max_length=50)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="护送人员", related_name="+")
    status = models.CharField("状态", max_length=10, choices=BatchStatus.choices, default=BatchStatus.PLANNED)
    note = BoundedTextField("说明", max_length=NOTE, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="制定人", on_delete=models.PROTECT,
                                   related_name="+")
    started_at = models.DateTimeField("出发时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=300, blank=True)

    class Meta:
        ordering = ["-departs_on", "-id"]
        verbose_name = verbose_name_plural = "统一护送批次"
        indexes = [models.Index(fields=["centre", "status"])]

    def __str__(self) -> str:
        return f"{self.departs_on:%Y-%m-%d} {self.route}"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # the centre, and every station whose people travel in it
        carried = EscortMember.objects.filter(batch_id=OuterRef("pk"), episode__station_id__in=org_ids)
        return Q(centre_id__in=org_ids) | Q(Exists(carried))


class MemberStatus(models.TextChoices):
    PLANNED = "planned", "待护送"
    HANDED_OVER = "handed_over", "已交接"
    REMOVED = "removed", "已移出"


class EscortMember(TimeStamped):
    """One person of a batch; handed over through leaving's departure record (the one path to leave)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(EscortBatch, verbose_name="护送批次", on_delete=models.CASCADE, related_name="members")
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="regional_escorts")
    destination = models.ForeignKey(Division, verbose_name="目的地（户籍地）", on_delete=models.PROTECT,
                                    related_name="+")
    receiving = models.ForeignKey(Organisation, verbose_name="接收机构", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=12, choices=MemberStatus.choices, default=MemberStatus.PLANNED)
    departure = models.OneToOneField("leaving.Departure", verbose_name="离站记录", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="regional_escort")
    removed_reason = models.CharField("移出原因", max_length=300, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="编入人", on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "护送人员名单"
        constraints = [
            # a person waits for at most one escort at a time
            models.UniqueConstraint(fields=["episode"], condition=Q(status="planned"),
                                    name="regional_one_planned_escort_per_episode"),
        ]

    def __str__(self) -> str:
        return f"{self.episode.number} → {self.destination.name}"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(batch__centre_id__in=org_ids) | Q(episode__station_id__in=org_ids)
