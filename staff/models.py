"""Staff and training (rule O6): a staff register per organisation (not every staff member is a user),
training sessions at least monthly (some cities weekly), off-job training, tests with scores, and the
figures of the campaign summary table."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import Organisation, TimeStamped


class StaffMember(TimeStamped):
    """One person working at a station (or department): post, qualifications, social-worker certificate."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name="所在机构", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("姓名", max_length=50)
    post = models.CharField("岗位", max_length=50)
    qualifications = models.CharField("学历/资格", max_length=200, blank=True)
    social_worker_cert = models.CharField(
        "社会工作者证书",
        max_length=20,
        blank=True,
        choices=[
            ("", "无"),
            ("assistant", "助理社会工作师"),
            ("social_worker", "社会工作师"),
            ("senior", "高级社会工作师"),
        ],
    )
    cert_number = models.CharField("证书编号", max_length=50, blank=True)
    hired_on = models.DateField("入职日期")
    left_on = models.DateField("离职日期", null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="系统账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_record",
    )

    scope_field = "organisation"

    class Meta:
        ordering = ["organisation", "name", "id"]
        verbose_name = verbose_name_plural = "工作人员"
        indexes = [models.Index(fields=["organisation", "left_on"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.post}）"


class TrainingKind(models.TextChoices):
    INTERNAL = "internal", "站内培训"
    OFF_JOB = "off_job", "脱产培训"


class TrainingSession(TimeStamped):
    """One training session: topic, date, length, internal or off-job, who attended (rule O6)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name="组织机构", on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField("培训主题", max_length=200)
    held_on = models.DateField("培训日期")
    held_at = models.DateTimeField("开始时间")
    hours = models.DecimalField("时长（小时）", max_digits=5, decimal_places=1)
    days = models.DecimalField(
        "天数", max_digits=4, decimal_places=1, default=0, help_text="脱产培训的天数（两天及以上计入汇总表）"
    )
    kind = models.CharField("方式", max_length=16, choices=TrainingKind.choices)
    trainer = models.CharField("授课人/主办单位", max_length=100, blank=True)
    attendees = models.ManyToManyField(StaffMember, verbose_name="参训人员", related_name="trainings")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "organisation"

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = verbose_name_plural = "培训"
        indexes = [models.Index(fields=["organisation", "held_at"])]
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0), name="staff_training_hours_positive")]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.topic}"


class ExamResult(TimeStamped):
    """A professional test taken by one staff member, with its score."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    staff = models.ForeignKey(
        StaffMember, verbose_name="工作人员", on_delete=models.PROTECT, related_name="tests"
    )
    session = models.ForeignKey(
        TrainingSession,
        verbose_name="所属培训",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tests",
    )
    subject = models.CharField("考试内容", max_length=100)
    taken_on = models.DateField("考试日期")
    score = models.DecimalField("成绩", max_digits=5, decimal_places=1)
    passed = models.BooleanField("合格")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-taken_on", "-id"]
        verbose_name = verbose_name_plural = "业务考试"
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="staff_exam_score_0_100"),
            models.UniqueConstraint(
                fields=["staff", "subject", "taken_on"], name="staff_one_result_per_exam"
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(staff__organisation_id__in=org_ids)
