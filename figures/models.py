"""Summary tables of the statistics (rule N13) and the quarterly reports (rule O4).

The pages never scan episodes: ``EpisodeFact`` holds one classified row per episode (what a figure's
drill-down lists), ``Fact`` the counts per station, month and key (what the figures add up). Both
are rebuilt by ``figures.refresh`` from the task queue; ``RefreshRun`` says when.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from core.models import Organisation, TimeStamped
from people.models import Episode, Person


class EpisodeFact(models.Model):
    """One episode as the statistics classify it (refreshed from the records; never edited by hand)."""

    # No database foreign keys (db_constraint=False) on the summary tables: the refresh writes them in bulk
    # (``INSERT … SELECT`` of every episode) from rows that exist by construction, and three FK checks per
    # inserted row were a third of its cost; Django still cascades deletes, and the nightly full rebuild
    # drops anything an incremental run left behind.
    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, primary_key=True, related_name="+",
                                   db_constraint=False)
    station = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    requested_day = models.DateField("求助日期")
    admitted_day = models.DateField("入站日期", null=True)
    left_day = models.DateField("离站日期", null=True)
    identified_day = models.DateField("身份查明日期", null=True)
    id_method = models.CharField("查明方式", max_length=16, blank=True)
    #: The identity status before it was found (未查明 / 待核实), as the file stands.
    unidentified_as = models.CharField("未查明时的状态", max_length=16, default="unidentified")
    age_band = models.CharField("年龄段", max_length=8, blank=True)
    sex = models.CharField("性别", max_length=2, blank=True)
    origin_province = models.CharField("户籍省份", max_length=6, blank=True)
    origin_city = models.CharField("户籍地市", max_length=6, blank=True)
    origin_county = models.CharField("户籍县（区）", max_length=6, blank=True)
    reason = models.CharField("求助原因", max_length=24, blank=True)
    exit_way = models.CharField("离站方式", max_length=20, blank=True)
    stay_band = models.CharField("在站时长", max_length=8, blank=True)
    is_minor = models.BooleanField(default=False)
    is_elderly = models.BooleanField(default=False)
    has_disability = models.BooleanField(default=False)
    has_mental_disorder = models.BooleanField(default=False)
    has_intellectual_disability = models.BooleanField(default=False)
    limited_mobility = models.BooleanField(default=False)
    is_pregnant = models.BooleanField(default=False)
    suspected_foreign = models.BooleanField(default=False)

    scope_field = "station"

    class Meta:
        verbose_name = verbose_name_plural = "统计明细（按救助过程）"
        indexes = [
            models.Index(fields=["station", "requested_day"], name="figures_ef_requested"),
            models.Index(fields=["station", "admitted_day", "left_day"], name="figures_ef_care"),
            models.Index(fields=["station", "left_day"], name="figures_ef_left"),
            models.Index(fields=["station", "identified_day"], name="figures_ef_identified"),
            # the drill-down's order (newest request first) over many stations: an ordered walk, not a sort of them all
            models.Index(fields=["requested_day", "episode"], name="figures_ef_newest"),
        ]

    @property
    def uuid(self):
        """The person's file: what a drill-down list shows, so its read-audit entry names the files."""
        return self.person.uuid


class Grain(models.TextChoices):
    DAY = "d", "日"
    MONTH = "m", "月"


class Fact(models.Model):
    """A count per station, month, measure, dimension and key: for flows the events of the month (dated on its
    first day), for the stock (``care``) the people in care at the end of the month (dated on its last day).
    The grain leaves room for finer rows; today every row is monthly and loose days are counted from
    ``EpisodeFact`` (see figures.selectors.cells)."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()
    station = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    measure = models.CharField(max_length=12)
    dimension = models.CharField(max_length=12)
    key = models.CharField(max_length=32, blank=True)  # longest: has_intellectual_disability
    count = models.IntegerField()

    scope_field = "station"

    class Meta:
        verbose_name = verbose_name_plural = "统计汇总"
        indexes = [models.Index(fields=["measure", "grain", "day", "station"], name="figures_fact_read")]
        constraints = [
            models.UniqueConstraint(fields=["station", "measure", "grain", "day", "dimension", "key"],
                                    name="figures_one_fact_per_cell"),
        ]


class RefreshTrigger(models.TextChoices):
    PERIODIC = "periodic", "定时刷新"
    ON_DEMAND = "on_demand", "手动刷新"
    COMMAND = "command", "管理命令"


class RefreshRun(models.Model):
    """One refresh of the summary tables: when, why, how much."""

    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    trigger = models.CharField("方式", max_length=16, choices=RefreshTrigger.choices)
    full = models.BooleanField("全量重建", default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="请求人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    episodes = models.PositiveIntegerField("重算救助过程数", default=0)
    facts = models.PositiveIntegerField("汇总行数", default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = verbose_name_plural = "统计刷新记录"


# --- the quarterly report (rule O4) ---------------------------------------------------------------------


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "待审核"
    REVIEWED = "reviewed", "已审核待报送"
    SUBMITTED = "submitted", "已报送待接收"
    ACKNOWLEDGED = "acknowledged", "已接收"
    RETURNED = "returned", "已退回"


S = ReportStatus
#: Allowed moves of a quarterly report; anything else is refused with a Chinese message.
REPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.DRAFT, S.REVIEWED}),  # DRAFT → DRAFT: figures generated again
    S.REVIEWED: frozenset({S.DRAFT, S.SUBMITTED}),  # reopened (or regenerated) / submitted upward
    S.SUBMITTED: frozenset({S.ACKNOWLEDGED, S.RETURNED}),  # the receiving body acknowledges or returns it
    S.RETURNED: frozenset({S.DRAFT}),  # corrected: generated again, reviewed, submitted again
    S.ACKNOWLEDGED: frozenset(),
}


class QuarterlyReport(TimeStamped):
    """Rule O4: one organisation's statistics for one quarter, to the civil-affairs department above.
    A station's figures come from the summary tables; a department's consolidate the submissions of the
    bodies it supervises. One report per organisation and quarter."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, verbose_name="报送机构", on_delete=models.PROTECT,
                                     related_name="quarterly_reports")
    year = models.PositiveSmallIntegerField("年份")
    quarter = models.PositiveSmallIntegerField("季度")
    status = models.CharField("状态", max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    figures = models.JSONField("报表数字", default=dict)
    generated_at = models.DateTimeField("生成时间")
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="生成人", on_delete=models.PROTECT,
                                     related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    review_note = models.CharField("审核意见", max_length=300, blank=True)

    class Meta:
        ordering = ["-year", "-quarter", "organisation__name"]
        verbose_name = verbose_name_plural = "季度统计报表"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year", "quarter"], name="figures_one_report_per_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="figures_quarter_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.year}年第{self.quarter}季度统计报表"

    @property
    def title(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # the reporting body and every body above it in scope; the recipient also through its submissions
        received = ReportSubmission.objects.filter(report_id=OuterRef("pk"), submitted_to_id__in=org_ids)
        return Q(organisation_id__in=org_ids) | Q(Exists(received))


class ReportSubmission(TimeStamped):
    """One submission of a quarterly report as issued: the figures frozen at that moment, to whom, and the
    recipient's acknowledgement (or return with a reason). Never changed after acknowledgement."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(QuarterlyReport, verbose_name="季度报表", on_delete=models.PROTECT,
                               related_name="submissions")
    organisation = models.ForeignKey(Organisation, verbose_name="报送机构", on_delete=models.PROTECT,
                                     related_name="+")
    submitted_to = models.ForeignKey(Organisation, verbose_name="报送至", on_delete=models.PROTECT, related_name="+")
    #: The first instant of the quarter concerned: the O4 deadline counts the submission for that quarter.
    period_start = models.DateTimeField("所属季度起始")
    sequence = models.PositiveSmallIntegerField("报送次数")
    figures = models.JSONField("报送时的数字")
    submitted_at = models.DateTimeField("报送时间")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", on_delete=models.PROTECT,
                                     related_name="+")
    acknowledged_at = models.DateTimeField("接收时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="退回人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    # a CharField (varchar) rather than BoundedTextField: its CHECK constraint is created twice by an initial
    # migration on PostgreSQL (CreateModel renders it, AddConstraint repeats it)
    return_reason = models.CharField("退回原因", max_length=2000, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = verbose_name_plural = "季度统计报表报送记录"
        constraints = [
            models.UniqueConstraint(fields=["report", "sequence"], name="figures_one_submission_per_sequence"),
            models.CheckConstraint(condition=Q(acknowledged_at__isnull=True) | Q(returned_at__isnull=True),
                                   name="figures_submission_acknowledged_or_returned"),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(organisation_id__in=org_ids) | Q(submitted_to_id__in=org_ids)

    @property
    def state_label(self) -> str:
        if self.acknowledged_at:
            return "已接收"
        if self.returned_at:
            return "已退回"
        return "待接收"
