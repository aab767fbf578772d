"""Daily care (rule C2: three meals a day per zone, each meal's sample kept and disposed of after the kept
period; the "六个一" basic services at admission) and special groups (rules I8, N10, N11: one person, one plan
for every minor with temporary and long-term guardianship, the family's guardianship assessed before a return
home, referral to a minors' protection centre; tailored care plans for the elderly, disabled people, people
with mental disorders and pregnant women; temporary shelter for victims of domestic violence and the report
of the violence)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.fields import NOTE, BoundedTextField
from core.models import Organisation, TimeStamped

TEXT = 1000  # a menu, an assessment, a plan: one bounded paragraph


# --- rule C2: meals and samples --------------------------------------------------------------------------
class Meal(models.TextChoices):
    BREAKFAST = "breakfast", "早餐"
    LUNCH = "lunch", "午餐"
    DINNER = "dinner", "晚餐"


class MealRecord(TimeStamped):
    """One meal served in one zone on one day (rule C2: three meals a day), recorded by the carer."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    zone = models.ForeignKey("stay.Zone", verbose_name="照料区域", on_delete=models.PROTECT, related_name="meals")
    served_on = models.DateField("日期")
    meal = models.CharField("餐次", max_length=10, choices=Meal.choices)
    served_at = models.DateTimeField("供餐时间")
    menu = models.CharField("菜谱", max_length=300)
    headcount = models.PositiveIntegerField("就餐人数")
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")

    scope_field = "zone__station"

    class Meta:
        ordering = ["-served_on", "zone", "meal"]
        verbose_name = verbose_name_plural = "三餐记录"
        constraints = [
            # rule C2: one record per zone, day and meal — two carers saving at once cannot both succeed
            models.UniqueConstraint(fields=["zone", "served_on", "meal"], name="dailycare_one_meal_per_zone_day"),
            models.CheckConstraint(condition=Q(headcount__lte=10000), name="dailycare_meal_headcount_bounded"),
        ]
        indexes = [models.Index(fields=["zone", "served_at"])]

    def __str__(self) -> str:
        return f"{self.served_on:%Y-%m-%d} {self.zone} {self.get_meal_display()}"


class MealSample(TimeStamped):
    """The kept sample of one meal (留样): when and by whom it was kept, until when, and its disposal — never
    before ``keep_until`` (rule C2, GUITU_RULES["C2_SAMPLE_KEEP_HOURS"], 48 h by default)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meal = models.OneToOneField(MealRecord, verbose_name="餐次", on_delete=models.PROTECT, related_name="sample")
    kept_at = models.DateTimeField("留样时间")
    kept_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="留样人", on_delete=models.PROTECT,
                                related_name="+")
    items = models.CharField("留样品种", max_length=300)
    grams = models.PositiveIntegerField("每样重量（克）", default=125)
    storage = models.CharField("存放位置", max_length=100, blank=True, help_text="如：留样冰箱（0–8℃）")
    keep_until = models.DateTimeField("留样期满")
    disposed_at = models.DateTimeField("销毁时间", null=True, blank=True)
    disposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="销毁人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    disposal_note = models.CharField("销毁说明", max_length=200, blank=True)

    scope_field = "meal__zone__station"

    class Meta:
        ordering = ["-kept_at"]
        verbose_name = verbose_name_plural = "留样记录"
        constraints = [
            # rule C2: a sample is disposed of only after the kept period (the service says so in Chinese)
            models.CheckConstraint(condition=Q(disposed_at__isnull=True) | Q(disposed_at__gte=F("keep_until")),
                                   name="dailycare_sample_disposed_after_period"),
            models.CheckConstraint(condition=Q(keep_until__gt=F("kept_at")), name="dailycare_sample_kept_period"),
            models.CheckConstraint(condition=Q(disposed_at__isnull=True) | Q(disposed_by__isnull=False),
                                   name="dailycare_sample_disposed_by_someone"),
        ]

    def __str__(self) -> str:
        return f"留样：{self.meal}"


# --- rule C2: the "六个一" basic services -------------------------------------------------------------------
class BasicService(TimeStamped):
    """One item of the "六个一" basic services (data, not code: the seeds name the standard, not its items)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField("代码", max_length=30, unique=True)
    name = models.CharField("服务项目", max_length=50)
    description = models.CharField("说明", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = verbose_name_plural = "“六个一”基本服务项目"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q()  # the same list for every station: reference data, no personal data

    def __str__(self) -> str:
        return self.name


class ServiceOutcome(models.TextChoices):
    DONE = "done", "已提供"
    DECLINED = "declined", "本人拒绝"
    NOT_APPLICABLE = "not_applicable", "不适用"


class BasicServiceCheck(TimeStamped):
    """One basic service given (or declined) to a person at admission, with who and when."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="basic_services")
    service = models.ForeignKey(BasicService, verbose_name="服务项目", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField("结果", max_length=16, choices=ServiceOutcome.choices, default=ServiceOutcome.DONE)
    done_at = models.DateTimeField("时间")
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT,
                                related_name="+")
    note = models.CharField("说明", max_length=200, blank=True)

    scope_field = "episode__station"

    class Meta:
        ordering = ["episode", "service__order"]
        verbose_name = verbose_name_plural = "“六个一”服务记录"
        constraints = [models.UniqueConstraint(fields=["episode", "service"], name="dailycare_one_check_per_item")]


# --- rules I8, N10: one person, one plan for every minor -------------------------------------------------
class MinorPlan(TimeStamped):
    """一人一策: the protection plan of one minor in one episode — assessment, plan, responsible staff,
    reviews on a schedule; temporary guardianship by the civil-affairs department (from its start), referral to
    a minors' protection centre, long-term guardianship where no family is found."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.OneToOneField("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                   related_name="minor_plan")
    assessment = BoundedTextField("综合评估", max_length=TEXT, help_text="身心状况、家庭情况、风险与需求")
    plan = BoundedTextField("保护方案", max_length=TEXT, help_text="照料、教育、心理疏导、寻亲与回归安排")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="责任人", on_delete=models.PROTECT,
                                    related_name="+")
    written_at = models.DateTimeField("制定时间")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="制定人", on_delete=models.PROTECT,
                                   related_name="+")
    guardian_department = models.ForeignKey(Organisation, verbose_name="临时监护的民政部门", null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    temporary_guardianship_from = models.DateTimeField("临时监护开始时间", null=True, blank=True)
    long_term_department = models.ForeignKey(Organisation, verbose_name="长期监护的民政部门", null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    long_term_from = models.DateField("长期监护开始日期", null=True, blank=True)
    long_term_basis = models.CharField("长期监护依据", max_length=300, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    scope_field = "episode__station"

    class Meta:
        ordering = ["-written_at"]
        verbose_name = verbose_name_plural = "未成年人一人一策"
        constraints = [
            models.CheckConstraint(condition=Q(temporary_guardianship_from__isnull=True)
                                   | Q(guardian_department__isnull=False), name="dailycare_temp_guardian_named"),
            models.CheckConstraint(condition=Q(long_term_from__isnull=True) | Q(long_term_department__isnull=False),
                                   name="dailycare_long_term_guardian_named"),
        ]

    def __str__(self) -> str:
        return f"一人一策：{self.episode.person.name}"


class PlanReview(TimeStamped):
    """A scheduled review of a minor's plan (GUITU_RULES["I8_REVIEW_DAYS"]); ``previous`` chains them."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(MinorPlan, verbose_name="一人一策", on_delete=models.PROTECT, related_name="reviews")
    previous = models.OneToOneField("self", verbose_name="上一次评估", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="next_review")
    reviewed_at = models.DateTimeField("评估时间")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="评估人", on_delete=models.PROTECT,
                                    related_name="+")
    findings = BoundedTextField("评估情况", max_length=TEXT)
    changes = BoundedTextField("方案调整", max_length=TEXT, blank=True)

    scope_field = "plan__episode__station"

    class Meta:
        ordering = ["-reviewed_at"]
        verbose_name = verbose_name_plural = "一人一策定期评估"


class GuardianshipConclusion(models.TextChoices):
    FIT = "fit", "具备监护能力，可以返家"
    SUPPORT = "support", "经帮扶后可以返家"
    UNFIT = "unfit", "不具备监护能力，不宜返家"


#: Conclusions under which the minor may go home (rule N10).
RETURN_ALLOWED = (GuardianshipConclusion.FIT, GuardianshipConclusion.SUPPORT)


class GuardianshipAssessment(TimeStamped):
    """Rule N10: before a minor goes home, the family's guardianship is assessed and the assessment kept."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(MinorPlan, verbose_name="一人一策", on_delete=models.PROTECT,
                             related_name="guardianship_assessments")
    guardian_name = models.CharField("监护人姓名", max_length=50)
    relationship = models.CharField("与未成年人关系", max_length=20)
    assessed_at = models.DateTimeField("评估时间")
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="评估人", on_delete=models.PROTECT,
                                    related_name="+")
    method = models.CharField("评估方式", max_length=100, help_text="如：入户走访、电话核实、委托户籍地民政部门")
    findings = BoundedTextField("评估情况", max_length=NOTE)
    conclusion = models.CharField("评估结论", max_length=10, choices=GuardianshipConclusion.choices)
    support_measures = models.CharField("帮扶措施", max_length=300, blank=True)

    scope_field = "plan__episode__station"

    class Meta:
        ordering = ["-assessed_at"]
        verbose_name = verbose_name_plural = "家庭监护评估"


class MinorReferral(TimeStamped):
    """A minor referred to a minors' protection centre (未成年人救助保护中心)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(MinorPlan, verbose_name="一人一策", on_delete=models.PROTECT, related_name="referrals")
    centre = models.ForeignKey(Organisation, verbose_name="未成年人救助保护中心", on_delete=models.PROTECT,
                               related_name="+")
    referred_at = models.DateTimeField("转介时间")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT,
                                    related_name="+")
    reason = models.CharField("转介原因", max_length=300)

    scope_field = "plan__episode__station"

    class Meta:
        ordering = ["-referred_at"]
        verbose_name = verbose_name_plural = "未成年人转介"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # the referring station and the centre that receives the child both see the referral
        return Q(plan__episode__station_id__in=org_ids) | Q(centre_id__in=org_ids)


# --- rule I8: tailored care for the other special groups -------------------------------------------------
class CareGroup(models.TextChoices):
    ELDERLY = "elderly", "老年人"
    DISABLED = "disabled", "残疾人"
    MENTAL = "mental", "精神障碍患者"
    PREGNANT = "pregnant", "孕妇"


#: The file's flag that marks each group (people.Person).
GROUP_FLAGS = {CareGroup.ELDERLY: "is_elderly", CareGroup.DISABLED: "has_disability",
               CareGroup.MENTAL: "has_mental_disorder", CareGroup.PREGNANT: "is_pregnant"}


class CarePlan(TimeStamped):
    """Rule I8: tailored care for a person of a special group, with the zone they are cared for in."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="care_plans")
    group = models.CharField("人员类别", max_length=10, choices=CareGroup.choices)
    zone = models.ForeignKey("stay.Zone", verbose_name="照料区域", on_delete=models.PROTECT, related_name="+")
    needs = BoundedTextField("照料需求", max_length=TEXT)
    measures = BoundedTextField("照料措施", max_length=TEXT)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="责任人", on_delete=models.PROTECT,
                                    related_name="+")
    written_at = models.DateTimeField("制定时间")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="制定人", on_delete=models.PROTECT,
                                   related_name="+")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)

    scope_field = "episode__station"

    class Meta:
        ordering = ["-written_at"]
        verbose_name = verbose_name_plural = "特殊群体照料方案"
        constraints = [models.UniqueConstraint(fields=["episode", "group"], condition=Q(ended_at__isnull=True),
                                               name="dailycare_one_open_care_plan_per_group")]


# --- rule N11: victims of domestic violence -----------------------------------------------------------------
class DvShelter(TimeStamped):
    """Rule N11: temporary shelter of a victim of domestic violence, its own help path."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.OneToOneField("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                   related_name="dv_shelter")
    sheltered_at = models.DateTimeField("庇护开始时间")
    abuser_relationship = models.CharField("施暴人与受害人关系", max_length=30)
    circumstances = BoundedTextField("遭受家庭暴力情况", max_length=NOTE)
    injuries = models.CharField("伤情", max_length=300, blank=True)
    safety_measures = models.CharField("安全保护措施", max_length=300, blank=True,
                                       help_text="如：不向施暴人透露住处、安排女性工作人员陪护")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                    related_name="+")
    ended_at = models.DateTimeField("庇护结束时间", null=True, blank=True)
    end_note = models.CharField("结束说明", max_length=200, blank=True)

    scope_field = "episode__station"

    class Meta:
        ordering = ["-sheltered_at"]
        verbose_name = verbose_name_plural = "家庭暴力受害人临时庇护"
        constraints = [models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("sheltered_at")),
                                              name="dailycare_dv_ended_after_start")]


class ReportedTo(models.TextChoices):
    POLICE = "police", "公安机关"
    WOMEN_FEDERATION = "women_federation", "妇女联合会"
    RESIDENTS_COMMITTEE = "residents_committee", "居（村）民委员会"
    EMPLOYER = "employer", "所在单位"
    CIVIL_AFFAIRS = "civil_affairs", "民政部门"
    OTHER = "other", "其他"


class DvReport(TimeStamped):
    """Rule N11: the station reports the violence it learns of — to whom, when, how, and the answer."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shelter = models.ForeignKey(DvShelter, verbose_name="临时庇护", on_delete=models.PROTECT, related_name="reports")
    reported_to = models.CharField("报告对象", max_length=24, choices=ReportedTo.choices)
    recipient = models.CharField("接收单位/人员", max_length=100)
    reported_at = models.DateTimeField("报告时间")
    how = models.CharField("报告方式", max_length=50, help_text="如：电话、书面、当面")
    content = BoundedTextField("报告内容", max_length=NOTE)
    reference = models.CharField("回执/案件编号", max_length=50, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                    related_name="+")

    scope_field = "shelter__episode__station"

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = verbose_name_plural = "家庭暴力报告"
