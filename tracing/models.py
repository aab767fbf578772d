"""Identity checks with the police (T1, T2), tracers and talks (T4), leads, DNA (T5, T6), identification
and the return-home plan with its escalations (T9)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import CIPHERTEXT, LONG_TEXT, NOTE, BoundedTextField
from core.models import Division, Organisation, TimeStamped
from people.models import Episode, Person, PersonPhoto


def _by_station(org_ids) -> Q:
    return Q(episode__station_id__in=org_ids)


# --- police identity checks (rules T1, T2) -----------------------------------------------------------


class CheckStatus(models.TextChoices):
    DRAFT = "draft", "草稿（未发送）"
    SENT = "sent", "已发送，待答复"
    ANSWERED = "answered", "已答复"
    CLOSED = "closed", "已关闭"


class CheckResult(models.TextChoices):
    IDENTIFIED = "identified", "已查明身份"
    NOT_FOUND = "not_found", "未查到"
    PARTIAL = "partial", "部分线索"


class IdentityCheck(TimeStamped):
    """A request to a police organisation to establish a person's identity (身份查询、人像识别)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("协查编号", max_length=32, unique=True)
    person = models.ForeignKey(Person, verbose_name="受助人员", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="identity_checks")
    station = models.ForeignKey(Organisation, verbose_name="申请机构", on_delete=models.PROTECT, related_name="+")
    police = models.ForeignKey(Organisation, verbose_name="公安机关", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=16, choices=CheckStatus.choices, default=CheckStatus.DRAFT)
    photo = models.ForeignKey(PersonPhoto, verbose_name="发送的照片", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    biometrics_ref = models.CharField("指纹/虹膜采集编号", max_length=200, blank=True)
    known_info = BoundedTextField("已知情况", max_length=NOTE, blank=True, help_text="性别、估计年龄、身高、体貌特征、口音、自述等")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发送人", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")
    result = models.CharField("核查结果", max_length=16, choices=CheckResult.choices, blank=True)
    answer_text = BoundedTextField("答复内容", max_length=NOTE, blank=True)
    answered_name = models.CharField("查明姓名", max_length=50, blank=True)
    answered_id_enc = BoundedTextField("查明身份证号（加密）", max_length=CIPHERTEXT, blank=True)
    answered_id_hash = models.CharField("查明身份证号索引", max_length=64, blank=True)
    answered_id_masked = models.CharField("查明身份证号（脱敏）", max_length=20, blank=True)
    answered_hukou_division = models.ForeignKey(Division, verbose_name="户籍地区划", null=True, blank=True,
                                                on_delete=models.PROTECT, related_name="+")
    answered_hukou_text = models.CharField("户籍地址", max_length=200, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_reason = models.CharField("关闭原因", max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "公安身份核查"
        indexes = [models.Index(fields=["police", "status"]), models.Index(fields=["episode", "sent_at"])]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # The requesting station (and its supervisors) see every request; the addressed police
        # organisation sees what was sent to it, never drafts (its inbox).
        return Q(station_id__in=org_ids) | (Q(police_id__in=org_ids) & ~Q(status=CheckStatus.DRAFT))


def attachment_upload_to(instance: "CheckAttachment", filename: str) -> str:
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "bin").lower()[:5]
    return f"tracing/checks/{instance.check_request.uuid}/{uuid.uuid4().hex}.{ext}"


class CheckAttachment(TimeStamped):
    """A file the police attach to an answer (image or PDF), served only through the check's scope."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    check_request = models.ForeignKey(IdentityCheck, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("附件", upload_to=attachment_upload_to)
    filename = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=50)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "核查答复附件"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(check_request__in=IdentityCheck.objects.filter(IdentityCheck.scope_q(org_ids)).values("id"))


# --- tracer and talks (rule T4) ----------------------------------------------------------------------


class TracerAssignment(TimeStamped):
    """The named tracer (寻亲员) responsible for an unidentified person during an episode."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="tracer_assignments")
    tracer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="寻亲员", on_delete=models.PROTECT,
                               related_name="tracing_assignments")
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_reason = models.CharField("结束原因", max_length=200, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = verbose_name_plural = "寻亲员指派"
        constraints = [models.UniqueConstraint(fields=["episode"], condition=Q(ended_at__isnull=True),
                                               name="tracing_one_open_assignment")]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _by_station(org_ids)


class Talk(TimeStamped):
    """One tracing talk (寻亲谈话) with what was said and the names, places and accents found in it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.PROTECT, related_name="talks")
    held_at = models.DateTimeField("谈话时间")
    content = BoundedTextField("谈话内容", max_length=LONG_TEXT)
    present = models.CharField("在场人员", max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="谈话人", on_delete=models.PROTECT,
                           related_name="+")
    suggestions = models.JSONField("提取的线索", default=list, blank=True)

    class Meta:
        ordering = ["held_at", "id"]
        verbose_name = verbose_name_plural = "寻亲谈话"
        indexes = [models.Index(fields=["episode", "held_at"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _by_station(org_ids)


class LeadKind(models.TextChoices):
    POLICE = "police", "转公安核查"
    STATION_CALL = "station_call", "联系户籍地救助站"
    MATCH_QUERY = "match_query", "系统比对查询"
    POPULATION_DB = "population_db", "人口信息库查询"
    DIALECT = "dialect", "方言分析"
    FACE = "face", "人像比对"
    OTHER = "other", "其他"


class LeadStatus(models.TextChoices):
    PENDING = "pending", "待处理"
    DONE = "done", "已完成"
    CLOSED = "closed", "已关闭"


class Lead(TimeStamped):
    """A lead followed up from a talk (or entered directly): what was tried, with whom, and the outcome."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.PROTECT, related_name="leads")
    talk = models.ForeignKey(Talk, verbose_name="来源谈话", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="leads")
    kind = models.CharField("线索处理方式", max_length=16, choices=LeadKind.choices)
    text = models.CharField("线索", max_length=200)
    division_code = models.CharField("区划代码", max_length=12, blank=True)
    organisation = models.ForeignKey(Organisation, verbose_name="联系机构", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    note = BoundedTextField("说明", max_length=NOTE, blank=True)
    identity_check = models.ForeignKey(IdentityCheck, verbose_name="公安核查", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="leads")
    status = models.CharField("状态", max_length=16, choices=LeadStatus.choices, default=LeadStatus.PENDING)
    outcome = BoundedTextField("结果", max_length=NOTE, blank=True)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = verbose_name_plural = "寻亲线索"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _by_station(org_ids)


# --- DNA (rules T5, T6) --------------------------------------------------------------------------------


class DnaResult(models.TextChoices):
    PENDING = "", "待出结果"
    MATCH = "match", "比中"
    NO_MATCH = "no_match", "未比中"


class DnaRequest(TimeStamped):
    """A request to the police to take a DNA sample and compare it (采血比对)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="dna_requests")
    police = models.ForeignKey(Organisation, verbose_name="公安机关", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间")
    sample_taken_on = models.DateField("采样日期", null=True, blank=True)
    result = models.CharField("比对结果", max_length=16, choices=DnaResult.choices, blank=True)
    reference = models.CharField("比中参照（编号/亲属）", max_length=200, blank=True)
    result_on = models.DateField("结果日期", null=True, blank=True)
    note = BoundedTextField("说明", max_length=NOTE, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_reason = models.CharField("关闭原因", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = verbose_name_plural = "DNA 采样比对"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _by_station(org_ids)

    @property
    def is_open(self) -> bool:
        return not self.result and self.closed_at is None


# --- identification and return home (rule T9, N13) ------------------------------------------------


class IdentificationMethod(models.TextChoices):
    """How an identity was found (rule N13 counts these)."""

    SYSTEM_MATCH = "system_match", "系统比对"
    DNA = "dna", "DNA比对"
    FACE = "face", "人像比对"
    ANNOUNCEMENT = "announcement", "寻亲公告线索"
    TALKS = "talks", "甄别谈话"
    POLICE = "police", "公安核查"
    SELF_REPORT = "self_report", "本人自述经核实"


class Identification(TimeStamped):
    """The confirmation of a person's identity: who confirmed it, how, and on what evidence."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, verbose_name="受助人员", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, verbose_name="救助过程", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    station = models.ForeignKey(Organisation, verbose_name="确认机构", on_delete=models.PROTECT, related_name="+")
    method = models.CharField("查明方式", max_length=16, choices=IdentificationMethod.choices)
    evidence = BoundedTextField("依据", max_length=NOTE)
    name = models.CharField("确认姓名", max_length=50, blank=True)
    previous_name = models.CharField("确认前姓名", max_length=50, blank=True, help_text="月报按月末时点显示")
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=20, blank=True)
    hukou_division = models.ForeignKey(Division, verbose_name="户籍地区划", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    hukou_text = models.CharField("户籍地址", max_length=200, blank=True)
    source_type = models.CharField("来源记录类型", max_length=64, blank=True)
    source_id = models.CharField("来源记录", max_length=64, blank=True)
    confirmed_at = models.DateTimeField("确认时间")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人", on_delete=models.PROTECT,
                                     related_name="+")

    scope_field = "station"

    class Meta:
        ordering = ["-confirmed_at"]
        verbose_name = verbose_name_plural = "身份确认"


class ReturnMethod(models.TextChoices):
    TICKET = "ticket", "购票返乡"
    ESCORTED = "escorted", "护送返乡"
    FAMILY = "family", "亲属接领"
    HOME_AREA = "home_area", "户籍地接回"
    OTHER = "other", "其他"


class PlanStatus(models.TextChoices):
    OPEN = "open", "待安排"
    IN_PROGRESS = "in_progress", "进行中"
    DONE = "done", "已返乡"
    REFUSED = "refused", "户籍地拒绝接收"


#: Allowed status changes of a return plan (T9); escalations continue from ``refused``.
PLAN_TRANSITIONS = {
    PlanStatus.OPEN: {PlanStatus.IN_PROGRESS, PlanStatus.DONE, PlanStatus.REFUSED},
    PlanStatus.IN_PROGRESS: {PlanStatus.DONE, PlanStatus.REFUSED, PlanStatus.OPEN},
    PlanStatus.REFUSED: {PlanStatus.IN_PROGRESS, PlanStatus.DONE},
    PlanStatus.DONE: set(),
}


class ReturnPlan(TimeStamped):
    """The return-home plan opened when a person is identified (rule T9: 护送返乡)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, verbose_name="受助人员", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="return_plans")
    station = models.ForeignKey(Organisation, verbose_name="救助机构", on_delete=models.PROTECT, related_name="+")
    identification = models.OneToOneField(Identification, verbose_name="身份确认", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="return_plan")
    status = models.CharField("状态", max_length=16, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    target_date = models.DateField("计划返乡日期", null=True, blank=True)
    method = models.CharField("返乡方式", max_length=16, choices=ReturnMethod.choices, blank=True)
    home_organisation = models.ForeignKey(Organisation, verbose_name="户籍地接收机构", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    home_contact = models.CharField("户籍地联系人及电话", max_length=200, blank=True)
    refusal_reason = models.CharField("拒绝接收原因", max_length=300, blank=True)
    note = BoundedTextField("说明", max_length=NOTE, blank=True)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "返乡计划"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # The station and its supervisors (subtree), and any department the case was escalated to.
        escalated = Escalation.objects.filter(to_organisation_id__in=org_ids).values("plan_id")
        return Q(station_id__in=org_ids) | Q(pk__in=escalated)


class Escalation(TimeStamped):
    """One level of escalation to the civil-affairs department above after a refusal (rule T9)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(ReturnPlan, verbose_name="返乡计划", on_delete=models.CASCADE,
                             related_name="escalations")
    level = models.PositiveSmallIntegerField("层级")
    to_organisation = models.ForeignKey(Organisation, verbose_name="报送机构", on_delete=models.PROTECT,
                                        related_name="+")
    escalated_on = models.DateField("报送日期")
    note = BoundedTextField("报送说明", max_length=NOTE, blank=True)
    answer = BoundedTextField("答复", max_length=NOTE, blank=True)
    answered_on = models.DateField("答复日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["level", "id"]
        verbose_name = verbose_name_plural = "返乡协调逐级上报"
        constraints = [models.UniqueConstraint(fields=["plan", "level"], name="tracing_escalation_level")]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(plan__station_id__in=org_ids) | Q(to_organisation_id__in=org_ids)


def report_upload_to(instance: "MonthlyReport", filename: str) -> str:
    return f"reports/{instance.station.uuid}/tracing-{instance.year}-{instance.month:02d}-{uuid.uuid4().hex[:8]}.pdf"


class MonthlyReport(TimeStamped):
    """Rule T10: the tracing report of one station for one month, as issued to the supervision panel —
    its numbers and its PDF kept as they were, whatever changes later. One per station and month."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    station = models.ForeignKey(Organisation, verbose_name="救助机构", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年份")
    month = models.PositiveSmallIntegerField("月份")
    #: The first instant of the month the report concerns: the T10 deadline counts it for that month.
    period_start = models.DateTimeField("所属月份起始")
    issued_at = models.DateTimeField("报送时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", on_delete=models.PROTECT,
                                  related_name="+")
    numbers = models.JSONField("报告数字", default=dict)
    file = models.FileField("报告文件（PDF）", upload_to=report_upload_to)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = verbose_name_plural = "寻亲工作月报（已报送）"
        constraints = [
            models.UniqueConstraint(fields=["station", "year", "month"], name="tracing_one_report_per_month"),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="tracing_report_month_valid"),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(station_id__in=org_ids)

    def __str__(self) -> str:
        return f"{self.station} {self.year}年{self.month}月寻亲工作月报"
