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


class HazardCategory(models.TextChoices):
    """What a hazard is about: the risk checklist's categories, and the shortfalls of an assessment (rule O5)."""

    FIRE = "fire", "消防安全"
    FOOD = "food", "食品安全与留样"
    MEDICAL = "medical", "医疗卫生"
    MISSING = "missing", "防走失"
    VIOLENCE = "violence", "防暴力与虐待"
    FACILITIES = "facilities", "设施设备"
    OUTSIDE_CARE = "outside_care", "站外托养"
    ASSESSMENT = "assessment", "考核评价问题"


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
    category = models.CharField("风险类别", max_length=16, choices=HazardCategory.choices)
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


# --- the supervision panel (rules O2, T10, E3) -----------------------------------------------------------


class PanelRole(models.TextChoices):
    LEADER = "leader", "组长"
    DEPUTY = "deputy", "副组长"
    MEMBER = "member", "成员"


class PanelMembership(TimeStamped):
    """One member's one-year term on a station's supervision panel (第三方监督组, rule O2).

    Members are user accounts of a supervisor organisation (监督组). A renewal ends this term and starts a
    new one, so the roster's history stays. "Only one open leader / deputy" and "one open term per person"
    are database constraints; the panel's size (3–5) and the conflict check are in the services."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    station = models.ForeignKey(
        Organisation, verbose_name="监督的救助机构", on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="监督员",
        on_delete=models.PROTECT,
        related_name="panel_memberships",
    )
    panel_role = models.CharField("职务", max_length=16, choices=PanelRole.choices, default=PanelRole.MEMBER)
    profession = models.CharField(
        "职业/专业", max_length=50, blank=True, help_text="如：执业医师、社会工作者、律师"
    )
    is_care_professional = models.BooleanField("照料/医护专业人员", default=False)
    employer = models.CharField("工作单位", max_length=100)
    employer_org = models.ForeignKey(
        Organisation,
        verbose_name="工作单位（系统内机构）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    term_start = models.DateField("任期开始")
    term_end = models.DateField("任期届满")
    ended_on = models.DateField("离任日期", null=True, blank=True)
    ended_reason = models.CharField("离任原因", max_length=200, blank=True)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="聘任经办人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["station", "panel_role", "term_start", "id"]
        verbose_name = verbose_name_plural = "监督组成员"
        constraints = [
            models.UniqueConstraint(
                fields=["station", "member"],
                condition=Q(ended_on__isnull=True),
                name="oversight_one_open_term_per_member",
            ),
            models.UniqueConstraint(
                fields=["station"],
                condition=Q(ended_on__isnull=True, panel_role="leader"),
                name="oversight_one_panel_leader",
            ),
            models.UniqueConstraint(
                fields=["station"],
                condition=Q(ended_on__isnull=True, panel_role="deputy"),
                name="oversight_one_panel_deputy",
            ),
            models.CheckConstraint(
                condition=Q(term_end__gt=models.F("term_start")), name="oversight_panel_term_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}（{self.get_panel_role_display()}）"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(station_id__in=org_ids) | Q(member__organisation_id__in=org_ids)


def _panel_scope(org_ids) -> Q:
    """The station, its departments, and the supervisor organisations of its open panel members."""
    served = PanelMembership.objects.filter(member__organisation_id__in=org_ids, ended_on__isnull=True)
    return Q(station_id__in=org_ids) | Q(station_id__in=served.values("station_id"))


class PanelMeeting(TimeStamped):
    """A panel meeting with its minutes (rule O2: at least every half-year)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    station = models.ForeignKey(
        Organisation, verbose_name="救助机构", on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField("会议时间")
    topic = models.CharField("议题", max_length=200)
    minutes = models.CharField("会议纪要", max_length=4000)
    attendees = models.ManyToManyField(PanelMembership, verbose_name="出席成员", related_name="meetings")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-held_at", "-id"]
        verbose_name = verbose_name_plural = "监督组会议"
        indexes = [models.Index(fields=["station", "held_at"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _panel_scope(org_ids)


class OpinionStatus(models.TextChoices):
    OPEN = "open", "待答复"
    ANSWERED = "answered", "已答复，待监督组确认"
    ACCEPTED = "accepted", "已认可"


#: Allowed moves of an opinion (rule O2): the panel accepts the station's answer or reopens it.
OPINION_TRANSITIONS = {
    OpinionStatus.OPEN: {OpinionStatus.ANSWERED},
    OpinionStatus.ANSWERED: {OpinionStatus.ACCEPTED, OpinionStatus.OPEN},
    OpinionStatus.ACCEPTED: set(),
}


class Opinion(TimeStamped):
    """An opinion of the panel; the station answers with measures and a date; the panel accepts or reopens."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("编号", max_length=32, unique=True)
    station = models.ForeignKey(
        Organisation, verbose_name="救助机构", on_delete=models.PROTECT, related_name="+"
    )
    meeting = models.ForeignKey(
        PanelMeeting,
        verbose_name="提出会议",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
    )
    raised_at = models.DateTimeField("提出时间")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提出人", on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField("意见建议", max_length=1000)
    status = models.CharField(
        "状态", max_length=16, choices=OpinionStatus.choices, default=OpinionStatus.OPEN
    )
    measures = models.CharField("整改措施", max_length=1000, blank=True)
    measures_due = models.DateField("完成日期", null=True, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="答复人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("监督组确认时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    panel_note = models.CharField("监督组意见", max_length=500, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = verbose_name_plural = "监督组意见"
        indexes = [models.Index(fields=["station", "status"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _panel_scope(org_ids)


# --- the leader contact system (rule O1) ----------------------------------------------------------------------


class LeaderRole(models.TextChoices):
    MAIN = "main", "主要领导"
    DEPUTY = "deputy", "分管领导"
    SECTION = "section", "科室负责人"


class LeaderAssignment(TimeStamped):
    """A civil-affairs leader's assigned institution (领导定点联系, rule O1): main leader → the city station,
    deputies → county stations, section heads → a county station or an outside-care facility. One open
    assignment per leader is a database constraint."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey(
        Organisation, verbose_name="民政部门", on_delete=models.PROTECT, related_name="+"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="联系领导",
        on_delete=models.PROTECT,
        related_name="leader_assignments",
    )
    leader_role = models.CharField("领导职务", max_length=16, choices=LeaderRole.choices)
    institution = models.ForeignKey(
        Organisation, verbose_name="联系机构", on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField("开始联系")
    ended_at = models.DateTimeField("结束联系", null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="安排人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["department", "leader_role", "id"]
        verbose_name = verbose_name_plural = "领导定点联系"
        constraints = [
            models.UniqueConstraint(
                fields=["leader"],
                condition=Q(ended_at__isnull=True),
                name="oversight_one_open_assignment_per_leader",
            )
        ]

    def __str__(self) -> str:
        return f"{self.leader}（{self.get_leader_role_display()}）→ {self.institution}"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(department_id__in=org_ids) | Q(institution_id__in=org_ids)


class ContactMethod(models.TextChoices):
    REPORT = "report", "听取汇报"
    SITE = "site", "实地察看"
    UNANNOUNCED = "unannounced", "暗访"
    THEMATIC = "thematic", "专题调研"


class LeaderContact(TimeStamped):
    """One contact of a leader with their institution: method, date, problems found, follow-up (rule O1)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assignment = models.ForeignKey(
        LeaderAssignment, verbose_name="定点联系", on_delete=models.PROTECT, related_name="contacts"
    )
    contacted_at = models.DateTimeField("联系时间")
    method = models.CharField("方式", max_length=16, choices=ContactMethod.choices)
    problems = models.CharField("发现的问题", max_length=1000, blank=True)
    follow_up = models.CharField("跟进措施", max_length=1000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-contacted_at", "-id"]
        verbose_name = verbose_name_plural = "领导联系记录"
        indexes = [models.Index(fields=["assignment", "contacted_at"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(assignment__department_id__in=org_ids) | Q(assignment__institution_id__in=org_ids)


class FollowUpItem(TimeStamped):
    """A follow-up item from a contact, tracked to closure."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contact = models.ForeignKey(
        LeaderContact, verbose_name="联系记录", on_delete=models.PROTECT, related_name="items"
    )
    text = models.CharField("跟进事项", max_length=300)
    due_on = models.DateField("完成期限")
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办结人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closing_note = models.CharField("办结情况", max_length=300, blank=True)

    class Meta:
        ordering = ["closed_at", "due_on", "id"]
        verbose_name = verbose_name_plural = "跟进事项"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(contact__assignment__department_id__in=org_ids) | Q(
            contact__assignment__institution_id__in=org_ids
        )


class HandoverWitness(TimeStamped):
    """A panel member who witnessed a minor's departure (rule E3), linked to the roster entry in term that day."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    departure = models.ForeignKey(
        "leaving.Departure", verbose_name="离站记录", on_delete=models.PROTECT, related_name="panel_witnesses"
    )
    membership = models.ForeignKey(
        PanelMembership, verbose_name="监督组成员", on_delete=models.PROTECT, related_name="witnessed"
    )
    position = models.PositiveSmallIntegerField("顺序")

    class Meta:
        ordering = ["departure", "position"]
        verbose_name = verbose_name_plural = "未成年人交接见证人"
        constraints = [
            models.UniqueConstraint(
                fields=["departure", "position"], name="oversight_one_witness_per_position"
            ),
            models.UniqueConstraint(
                fields=["departure", "membership"], name="oversight_witness_once_per_departure"
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(departure__episode__station_id__in=org_ids)


# --- assessment (考核评价, rule O5) -----------------------------------------------------------------------------


class IndicatorSet(TimeStamped):
    """A civil-affairs department's assessment indicators for one year (考核评价指标, rule O5), as data.

    It applies to every station below the department (the nearest department with a set for the year wins).
    Once an assessment uses it, it is frozen: the services refuse every change (``indicator_set_frozen``)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey(
        Organisation, verbose_name="制定部门", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("名称", max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="制定人", on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "department"

    class Meta:
        ordering = ["-year", "department", "id"]
        verbose_name = verbose_name_plural = "考核评价指标体系"
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="oversight_one_indicator_set_per_year"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="oversight_indicator_set_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年度 {self.title}"


class Indicator(TimeStamped):
    """One indicator: its category, what is assessed, the scoring guidance, the full score, its weight, and the
    threshold below which the third-party score is a shortfall that must be rectified (rule O5)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    indicator_set = models.ForeignKey(
        IndicatorSet, verbose_name="指标体系", on_delete=models.PROTECT, related_name="indicators"
    )
    category = models.CharField("指标类别", max_length=50)
    text = models.CharField("评价内容", max_length=200)
    guidance = models.CharField("评分标准", max_length=500, blank=True)
    max_score = models.DecimalField("分值", max_digits=6, decimal_places=2)
    weight = models.DecimalField("权重", max_digits=6, decimal_places=2, default=1)
    threshold = models.DecimalField(
        "达标分", max_digits=6, decimal_places=2, help_text="第三方评估得分低于此分即列为整改问题（默认满分）"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["indicator_set", "order", "id"]
        verbose_name = verbose_name_plural = "考核评价指标"
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_set", "category", "text"], name="oversight_unique_indicator"
            ),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="oversight_indicator_max_positive"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="oversight_indicator_weight_positive"),
            models.CheckConstraint(
                condition=Q(threshold__gte=0, threshold__lte=models.F("max_score")),
                name="oversight_indicator_threshold_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}：{self.text}"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(indicator_set__department_id__in=org_ids)


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "待自评"
    SELF_ASSESSED = "self_assessed", "已自评，待第三方评估"
    EVALUATED = "evaluated", "已评估，待办结"
    CONCLUDED = "concluded", "已办结"


#: Allowed moves of an assessment (rule O5): a self-assessment may be sent back before the evaluation.
ASSESSMENT_TRANSITIONS = {
    AssessmentStatus.DRAFT: {AssessmentStatus.SELF_ASSESSED},
    AssessmentStatus.SELF_ASSESSED: {AssessmentStatus.EVALUATED, AssessmentStatus.DRAFT},
    AssessmentStatus.EVALUATED: {AssessmentStatus.CONCLUDED},
    AssessmentStatus.CONCLUDED: set(),
}


class AssessmentGrade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    GOOD = "good", "良好"
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"


class Assessment(TimeStamped):
    """One station's assessment for one year (rule O5): the station's self-assessment and the third-party
    evaluation against the year's indicators, then the department's conclusion; every shortfall opens a hazard.
    One per station and year (database constraint)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("考核编号", max_length=32, unique=True)
    station = models.ForeignKey(
        Organisation, verbose_name="被考核机构", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    indicator_set = models.ForeignKey(
        IndicatorSet, verbose_name="指标体系", on_delete=models.PROTECT, related_name="assessments"
    )
    department = models.ForeignKey(
        Organisation, verbose_name="组织考核的民政部门", on_delete=models.PROTECT, related_name="+"
    )
    evaluator_org = models.ForeignKey(
        Organisation, verbose_name="第三方评估机构", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=16, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    self_due_on = models.DateField("自评截止日期")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT, related_name="+"
    )
    self_summary = models.CharField("自评总结", max_length=1000, blank=True)
    self_submitted_at = models.DateTimeField("自评提交时间", null=True, blank=True)
    self_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="自评提交人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.CharField("退回理由", max_length=300, blank=True)
    evaluation_summary = models.CharField("评估意见", max_length=1000, blank=True)
    evaluated_at = models.DateTimeField("评估完成时间", null=True, blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评估人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grade = models.CharField("考核等次", max_length=16, choices=AssessmentGrade.choices, blank=True)
    conclusion = models.CharField("考核结论", max_length=1000, blank=True)
    concluded_at = models.DateTimeField("办结时间", null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办结人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-year", "station", "id"]
        verbose_name = verbose_name_plural = "考核评价"
        constraints = [
            models.UniqueConstraint(fields=["station", "year"], name="oversight_one_assessment_per_station_year"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="oversight_assessment_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.station}（{self.year}年度）"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(station_id__in=org_ids) | Q(evaluator_org_id__in=org_ids)


class AssessmentScore(TimeStamped):
    """One indicator of one assessment: the station's score and remark beside the third-party score and remark;
    a third-party score below the indicator's threshold becomes a hazard when the assessment is concluded."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="scores"
    )
    self_score = models.DecimalField("自评得分", max_digits=6, decimal_places=2, null=True, blank=True)
    self_remark = models.CharField("自评说明", max_length=300, blank=True)
    eval_score = models.DecimalField("评估得分", max_digits=6, decimal_places=2, null=True, blank=True)
    eval_remark = models.CharField("评估说明", max_length=300, blank=True)
    hazard = models.OneToOneField(
        Hazard,
        verbose_name="整改问题",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessment_score",
    )

    class Meta:
        ordering = ["indicator__order", "indicator_id"]
        verbose_name = verbose_name_plural = "考核评价得分"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="oversight_one_score_per_indicator"),
            models.CheckConstraint(
                condition=Q(self_score__isnull=True) | Q(self_score__gte=0), name="oversight_self_score_positive"
            ),
            models.CheckConstraint(
                condition=Q(eval_score__isnull=True) | Q(eval_score__gte=0), name="oversight_eval_score_positive"
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(assessment__station_id__in=org_ids) | Q(assessment__evaluator_org_id__in=org_ids)
