"""Missing-person reports (走失报案, rule T7), engine candidates and review decisions (issue 3 item 6)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import CIPHERTEXT, NOTE, BoundedTextField
from core.models import Division, Organisation, TimeStamped
from people.models import Person, Sex


class ReportStatus(models.TextChoices):
    OPEN = "open", "寻找中"
    FOUND = "found", "已找到"
    CLOSED = "closed", "已结案"


class MissingReport(TimeStamped):
    """A missing-person report from the police, or from a family at a station's counter (rule T7).

    Belongs to the registering organisation; it and its supervisors see it (core.scoping).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, verbose_name="登记机构", on_delete=models.PROTECT,
                                     related_name="missing_reports")
    report_no = models.CharField("报案编号", max_length=50)
    reported_at = models.DateTimeField("报案时间")
    reporter_name = models.CharField("报案人", max_length=50, blank=True)
    reporter_phone = models.CharField("报案人电话", max_length=40, blank=True)
    reporter_relationship = models.CharField("与走失者关系", max_length=20, blank=True)
    name = models.CharField("走失者姓名", max_length=50)
    aliases = models.CharField("别名/小名", max_length=200, blank=True, help_text="多个用分号分隔")
    sex = models.CharField("性别", max_length=2, choices=Sex.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField("出生年份", null=True, blank=True)
    age_min = models.PositiveSmallIntegerField("走失时年龄下限", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("走失时年龄上限", null=True, blank=True)
    id_number_enc = BoundedTextField("身份证号（加密）", max_length=CIPHERTEXT, blank=True)
    id_number_hash = models.CharField("身份证号索引", max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=20, blank=True)
    # a number said from memory or copied by hand that fails its check (GB 11643): never an ID number, kept only so
    # matching can find the number one digit away (core.idnumbers.store_id_number, keep_unchecked)
    id_number_unchecked_enc = BoundedTextField("自述身份证号（校验未通过，加密）", max_length=CIPHERTEXT, blank=True)
    id_number_unchecked_masked = models.CharField("自述身份证号（校验未通过，脱敏）", max_length=20, blank=True)
    hukou_division = models.ForeignKey(Division, verbose_name="户籍地区划", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    hukou_text = models.CharField("户籍地址", max_length=200, blank=True)
    dialect = models.CharField("方言/口音", max_length=50, blank=True)
    height_cm = models.PositiveSmallIntegerField("身高（厘米）", null=True, blank=True)
    marks = BoundedTextField("体貌特征", max_length=NOTE, blank=True)
    last_seen_on = models.DateField("最后出现日期", null=True, blank=True)
    last_seen_place = models.CharField("最后出现地点", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN,
                              db_index=True)
    found_person = models.ForeignKey(Person, verbose_name="已找到（档案）", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    found_station_name = models.CharField("找到机构", max_length=100, blank=True)
    found_at = models.DateTimeField("找到时间", null=True, blank=True)
    closed_reason = models.CharField("结案说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope_field = "organisation"

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = verbose_name_plural = "走失报案"
        constraints = [models.UniqueConstraint(fields=["organisation", "report_no"], name="uniq_report_no_per_org")]
        indexes = [models.Index(fields=["organisation", "status", "reported_at"])]

    def __str__(self) -> str:
        return f"{self.report_no} {self.name}"

    @property
    def est_birth_year(self) -> int | None:
        if self.birth_date:
            return self.birth_date.year
        return self.birth_year


def report_photo_upload_to(instance: "ReportPhoto", filename: str) -> str:
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "jpg").lower()[:5]
    return f"report_photos/{instance.report.uuid}/{uuid.uuid4().hex}.{ext}"


class ReportPhoto(TimeStamped):
    """A photo supplied with a report (validated image, private, streamed through the scope)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(MissingReport, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField("照片", upload_to=report_photo_upload_to)
    face_vector = models.BinaryField("人脸特征", null=True, blank=True, editable=False)
    face_note = models.CharField("人脸识别说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "报案照片"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(report__organisation_id__in=org_ids)


class PhotoFace(models.Model):
    """Cached face embedding of a person's photo (computed by the engine, never shown)."""

    photo = models.OneToOneField("people.PersonPhoto", on_delete=models.CASCADE, related_name="+")
    vector = models.BinaryField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "照片人脸特征"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(photo__person__in=Person.objects.filter(Person.scope_q(org_ids)).values("id"))


class CandidateKind(models.TextChoices):
    REPORT = "report", "走失报案"
    DUPLICATE = "duplicate", "疑似重复档案"


class CandidateStatus(models.TextChoices):
    OPEN = "open", "待审核"
    DEFERRED = "deferred", "暂缓判断"
    CONFIRMED = "confirmed", "已确认为同一人"
    REJECTED = "rejected", "已排除"
    CLOSED = "closed", "已结案（不再提示）"


#: Candidates still shown for review: undecided first, deferred after them.
OPEN_STATUSES = (CandidateStatus.OPEN, CandidateStatus.DEFERRED)


class MatchCandidate(TimeStamped):
    """A pair the engine proposes: a person × a report (T7) or a person × an earlier file (I4).

    The engine never decides: a person confirms, rejects or defers (guitu_match.review contract).
    Scope: only stations that hold ``person`` see the candidate; the other side shows minimal fields.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("类型", max_length=10, choices=CandidateKind.choices)
    person = models.ForeignKey(Person, verbose_name="受助人员", on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(MissingReport, verbose_name="走失报案", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="candidates")
    other_person = models.ForeignKey(Person, verbose_name="另一份档案", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField("匹配概率")
    match_weight = models.FloatField("匹配权重", default=0)
    explanation = BoundedTextField("比对说明", max_length=NOTE, blank=True)
    #: The engine's reasons, one per compared field: [{"comparison", "label", "weight"}, …] (side-by-side view)
    reasons = models.JSONField("比对依据", default=list, blank=True)
    face_similarity = models.FloatField("人脸相似度", null=True, blank=True)
    id_number_match = models.BooleanField("身份证号完全一致", default=False)
    status = models.CharField("审核状态", max_length=10, choices=CandidateStatus.choices,
                              default=CandidateStatus.OPEN, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_note = models.CharField("审核说明", max_length=300, blank=True)
    last_scored_at = models.DateTimeField("最近比对时间")

    class Meta:
        ordering = ["-id_number_match", "-probability", "-id"]
        verbose_name = verbose_name_plural = "比对候选"
        constraints = [
            models.UniqueConstraint(fields=["person", "report"], condition=Q(report__isnull=False),
                                    name="uniq_candidate_person_report"),
            models.UniqueConstraint(fields=["person", "other_person"], condition=Q(other_person__isnull=False),
                                    name="uniq_candidate_person_person"),
            models.CheckConstraint(
                condition=(Q(kind="report", report__isnull=False, other_person__isnull=True)
                           | Q(kind="duplicate", report__isnull=True, other_person__isnull=False)),
                name="candidate_has_one_other_side"),
        ]
        indexes = [models.Index(fields=["status", "probability"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(person__in=Person.objects.filter(Person.scope_q(org_ids)).values("id"))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def band(self):
        """很可能 / 可能 / 较弱 with the figure to show (never 100 %, never 很可能 from weak evidence)."""
        from guitu_match.review import band

        return band(self.probability, self.reasons or [])


class MatchDecision(TimeStamped):
    """A reviewer's decision on an unordered pair of engine record ids ("p:<uuid>", "r:<uuid>").

    Rejected pairs are never proposed again (guitu_match.review); the row outlives its candidate.
    """

    left_key = models.CharField(max_length=40)
    right_key = models.CharField(max_length=40)
    decision = models.CharField("结论", max_length=10)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField("说明", max_length=300, blank=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "比对审核结论"
        constraints = [models.UniqueConstraint(fields=["left_key", "right_key"], name="uniq_decision_pair")]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(person__in=Person.objects.filter(Person.scope_q(org_ids)).values("id"))


class MatchRun(models.Model):
    """When the engine last compared a person or a report with the other side (for sweeps and display)."""

    subject_key = models.CharField(max_length=40, unique=True)
    ran_at = models.DateTimeField()
    candidates = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "比对运行记录"
