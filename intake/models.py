"""Intake (接待服务): the request record, safety and health checks, belongings, police handover, notices.

Every record hangs off a people.Episode and is scoped through the episode's station.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import NOTE, BoundedTextField
from core.models import Organisation, TimeStamped
from people.models import Episode


def _episode_scope(org_ids) -> Q:
    return Q(episode__station_id__in=org_ids)


class Subsistence(models.TextChoices):
    NONE = "none", "未享受低保/五保"
    DIBAO = "dibao", "享受低保"
    WUBAO = "wubao", "五保/特困供养"
    UNKNOWN = "unknown", "不详（无法询问）"


class Reason(models.TextChoices):
    """求助原因 (rule N2; counted for statistics, rule N13)."""

    NO_WORK = "no_work", "务工不着/失业"
    NO_FAMILY_FOUND = "family_not_found", "寻亲不遇"
    ROBBED = "robbed", "被盗被骗/钱物丢失"
    FAMILY_CONFLICT = "family_conflict", "家庭矛盾/离家出走"
    DOMESTIC_VIOLENCE = "domestic_violence", "遭受家庭暴力"
    ILLNESS = "illness", "疾病/残疾"
    MENTAL = "mental", "疑似精神障碍/智力障碍"
    VAGRANCY = "vagrancy", "长期流浪乞讨"
    STRANDED = "stranded", "临时遇困"
    OTHER = "other", "其他"


class Decision(models.TextChoices):
    """The rule-N1 eligibility decision."""

    ELIGIBLE = "eligible", "符合救助条件"
    NOT_ELIGIBLE = "not_eligible", "不符合救助条件"
    HELP_FIRST = "help_first", "先行救助、后核查（老、幼、残、无法陈述）"
    TEMPORARY = "temporary", "临时遇困人员：应急、过渡性救助（规则R4）"


class Need(models.TextChoices):
    """求助需求: what the person asks for (求助登记表, rule N12)."""

    FOOD_LODGING = "food_lodging", "食宿"
    MEDICAL = "medical", "医疗"
    CONTACT = "contact", "联系亲属或单位"
    TICKET = "ticket", "返乡车票"
    OTHER = "other", "其他"


class IntakeRecord(TimeStamped):
    """The request for help of one episode: the rule-N2 answers and the rule-N1 decision."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.OneToOneField(Episode, verbose_name="救助过程", on_delete=models.CASCADE, related_name="intake")
    # rule N2: what the applicant is asked
    residence = models.CharField("现居住地/来源地", max_length=200, blank=True)
    subsistence = models.CharField("低保/五保情况", max_length=16, choices=Subsistence.choices,
                                   default=Subsistence.NONE)
    reason = models.CharField("求助原因", max_length=24, choices=Reason.choices, default=Reason.OTHER)
    reason_text = BoundedTextField("求助原因说明", max_length=NOTE, blank=True)
    vagrancy_duration = models.CharField("本次流浪时间", max_length=100, blank=True)
    vagrancy_history = BoundedTextField("既往流浪经历", max_length=NOTE, blank=True)
    relatives = BoundedTextField("亲属姓名、住址、电话", max_length=NOTE, blank=True)
    unable_to_answer = models.BooleanField("无法正常陈述", default=False)
    # rule N1: all four must hold
    cannot_pay = models.BooleanField("自身无力解决食宿", default=False)
    no_relatives = models.BooleanField("无亲友可投靠", default=False)
    not_on_subsistence = models.BooleanField("未享受城市最低生活保障或农村五保供养", default=False)
    living_by_vagrancy = models.BooleanField("正在城市流浪乞讨度日", default=False)
    decision = models.CharField("救助条件甄别", max_length=16, choices=Decision.choices, default=Decision.ELIGIBLE)
    decision_note = models.CharField("甄别说明", max_length=300, blank=True)
    # rule N6: the hotline recording is kept at least N6_RECORDING_RETENTION_DAYS
    recording_ref = models.CharField("求助热线录音编号", max_length=100, blank=True)
    recording_keep_until = models.DateField("录音保存至", null=True, blank=True)
    caller = models.CharField("来电/报告人及电话", max_length=100, blank=True)
    # rules N6, I4: taken at intake
    fingerprint_taken = models.BooleanField("已采集指纹", default=False)
    photo_taken = models.BooleanField("已采集人像照片", default=False)
    # rule N12: the 求助登记表's own items
    needs = models.JSONField("求助需求", default=list, blank=True)
    other_id_document = models.CharField("其他身份证件", max_length=100, blank=True,
                                         help_text="身份证以外能证明身份的证件，如户口簿、护照、驾驶证及号码")
    self_reported_health = models.CharField("自述健康状况", max_length=300, blank=True)
    filled_by_staff = models.BooleanField("工作人员代填", default=False,
                                          help_text="求助人无法书写时由工作人员代填，表上注明“代填”")
    #: The file as it stood at the request (name, sex, age, ID masked, 户籍…): the printed form shows what was
    #: recorded at intake, not today's values.
    person_at_intake = models.JSONField("登记时的人员信息", default=dict, blank=True)
    # rule I7: suspected foreign nationals are reported to the police
    foreign_police_note = BoundedTextField("疑似外籍人员报告公安情况", max_length=NOTE, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接待人员", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "求助登记"
        indexes = [models.Index(fields=["decision"]), models.Index(fields=["reason"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _episode_scope(org_ids)

    @property
    def meets_n1(self) -> bool:
        return self.cannot_pay and self.no_relatives and self.not_on_subsistence and self.living_by_vagrancy


class SafetyResult(models.TextChoices):
    CLEAR = "clear", "未发现危险物品"
    DANGEROUS = "dangerous", "发现危险物品"


class SafetyCheck(TimeStamped):
    """Rule I2: 逢进必检 — every entry is safety-checked."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.CASCADE,
                                related_name="safety_checks")
    checked_at = models.DateTimeField("检查时间")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="检查人", on_delete=models.PROTECT,
                                   related_name="+")
    result = models.CharField("检查结果", max_length=16, choices=SafetyResult.choices, default=SafetyResult.CLEAR)
    note = models.CharField("备注", max_length=300, blank=True)

    class Meta:
        ordering = ["checked_at", "id"]
        verbose_name = verbose_name_plural = "安全检查"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _episode_scope(org_ids)


class DangerKind(models.TextChoices):
    EXPLOSIVE = "explosive", "易燃易爆物品"
    CORROSIVE = "corrosive", "腐蚀性物品"
    KNIFE = "knife", "管制刀具"
    OTHER = "other", "其他危险物品"


class DangerousItem(TimeStamped):
    """A dangerous item found at the safety check; rule I2: reported to the police, handling recorded."""

    check_record = models.ForeignKey(SafetyCheck, verbose_name="安全检查", on_delete=models.CASCADE,
                                     related_name="items")
    kind = models.CharField("类别", max_length=16, choices=DangerKind.choices)
    description = models.CharField("物品描述", max_length=200)
    reported_to = models.ForeignKey(Organisation, verbose_name="报告的公安机关", on_delete=models.PROTECT,
                                    related_name="+")
    reported_at = models.DateTimeField("报告时间")
    handling = models.CharField("处置情况", max_length=300)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "危险物品"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(check_record__episode__station_id__in=org_ids)


class Belonging(TimeStamped):
    """物品代管 (rule I2): listed at entry, kept, counted back on leaving (rule N7)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.CASCADE,
                                related_name="belongings")
    item = models.CharField("物品名称", max_length=100)
    quantity = models.PositiveIntegerField("数量", default=1)
    description = models.CharField("特征/说明", max_length=200, blank=True)
    location = models.CharField("存放位置", max_length=100, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                    related_name="+")
    returned_at = models.DateTimeField("归还时间", null=True, blank=True)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="归还经办人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    returned_signed = models.BooleanField("受助人员已签字确认", default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "代管物品"
        indexes = [models.Index(fields=["episode", "returned_at"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _episode_scope(org_ids)


class CheckerRole(models.TextChoices):
    MEDICAL = "medical", "医护人员"
    RECEPTION = "reception", "接待人员"


class HealthOutcome(models.TextChoices):
    ADMITTED = "admitted", "正常入站"
    HOSPITAL = "hospital", "送定点医疗机构"
    EMERGENCY = "emergency", "呼叫120急救"
    POLICE = "police", "报告公安机关"


class HealthCheck(TimeStamped):
    """Rule I3: 初步检视 — initial health and mental check at entry."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.CASCADE,
                                related_name="health_checks")
    checked_at = models.DateTimeField("检视时间")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="检视人", on_delete=models.PROTECT,
                                   related_name="+")
    checker_role = models.CharField("检视人员类别", max_length=16, choices=CheckerRole.choices,
                                    default=CheckerRole.RECEPTION)
    physical = models.CharField("身体状况", max_length=300)
    mental = models.CharField("精神状况", max_length=300)
    suspected_mental_disorder = models.BooleanField("疑似精神障碍", default=False)
    suspected_infectious = models.BooleanField("疑似传染病", default=False)
    acute_illness = models.BooleanField("急危重病/外伤", default=False)
    suspected_drug_use = models.BooleanField("疑似吸毒", default=False)
    outcome = models.CharField("处置结果", max_length=16, choices=HealthOutcome.choices)
    hospital = models.ForeignKey(Organisation, verbose_name="送往定点医疗机构", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    police = models.ForeignKey(Organisation, verbose_name="报告的公安机关", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    police_reported_at = models.DateTimeField("报告公安时间", null=True, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)

    class Meta:
        ordering = ["checked_at", "id"]
        verbose_name = verbose_name_plural = "初步检视"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _episode_scope(org_ids)


class PoliceHandover(TimeStamped):
    """Rule I5: 公安机关护送流浪乞讨人员交接表."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.CASCADE,
                                related_name="handovers")
    escort_org = models.ForeignKey(Organisation, verbose_name="护送单位", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    escort_unit_text = models.CharField("护送单位（未登记的单位）", max_length=100, blank=True)
    officers = models.CharField("护送人员姓名及警号", max_length=200)
    officer_phone = models.CharField("联系电话", max_length=40, blank=True)
    handed_over_at = models.DateTimeField("交接时间")
    found_at = models.DateTimeField("发现时间", null=True, blank=True)
    found_place = models.CharField("发现地点", max_length=200)
    appearance = models.CharField("体貌特征", max_length=300, blank=True, help_text="身高、体型、衣着、明显特征")
    identity_checked = models.CharField("公安核查身份情况", max_length=300, blank=True,
                                        help_text="是否核查身份、是否疑似走失、被拐卖、被遗弃人员（文件001）")
    found_how = models.CharField("发现经过", max_length=300)
    condition = models.CharField("交接时身体、精神状况", max_length=300)
    belongings_text = models.CharField("随身物品", max_length=300, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["handed_over_at", "id"]
        verbose_name = verbose_name_plural = "护送交接"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _episode_scope(org_ids)

    @property
    def escort_unit(self) -> str:
        return self.escort_org.name if self.escort_org_id else self.escort_unit_text


class NoticeKind(models.TextChoices):
    REFUSAL = "refusal", "不予救助通知书"
    TERMINATION = "termination", "终止救助通知书"


class NoticeGround(models.TextChoices):
    """The legal ground a notice cites (实施细则: 不属于救助对象 / 拒不如实提供个人情况 → 不予救助;
    故意提供虚假个人情况 → 终止救助)."""

    NOT_ELIGIBLE = "not_eligible", "不属于救助对象"
    REFUSED_INFO = "refused_info", "拒不如实提供个人情况"
    FALSE_INFO = "false_info", "故意提供虚假个人情况"


class Notice(TimeStamped):
    """Rule N3: a written notice for 不予救助 or 终止救助, numbered per station and year."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField("类别", max_length=16, choices=NoticeKind.choices)
    number = models.CharField("文书编号", max_length=40, unique=True)
    ground = models.CharField("依据", max_length=16, choices=NoticeGround.choices, blank=True)
    reason = BoundedTextField("理由", max_length=NOTE)
    issued_at = models.DateTimeField("出具时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = verbose_name_plural = "救助文书"
        constraints = [models.UniqueConstraint(fields=["episode", "kind"], name="intake_one_notice_per_kind")]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _episode_scope(org_ids)


class HelpKind(models.TextChoices):
    """Help given (rule N4: food, lodging, emergency medical care, contacting relatives, a ticket home; rule R4:
    emergency and transitional help for temporarily stranded people)."""

    FOOD = "food", "餐食"
    LODGING = "lodging", "住宿"
    CLOTHING = "clothing", "衣物"
    MEDICAL = "medical", "医疗救治"
    CONTACT = "contact", "联系亲友或所在单位"
    TICKET = "ticket", "返乡车票"
    OTHER = "other", "其他"


class HelpGiven(TimeStamped):
    """One piece of help given to the person during the episode (rules N4, R4): what, when, by whom."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(Episode, verbose_name="救助过程", on_delete=models.CASCADE, related_name="help_given")
    kind = models.CharField("救助内容", max_length=16, choices=HelpKind.choices)
    description = models.CharField("说明", max_length=200, blank=True)
    given_at = models.DateTimeField("时间")
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["given_at", "id"]
        verbose_name = verbose_name_plural = "救助服务记录"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _episode_scope(org_ids)


class ForeignOutcome(models.TextChoices):
    PENDING = "pending", "待公安核实"
    ILLEGAL = "illegal", "非法入境：移交公安机关"
    LEGAL = "legal", "合法入境：通报外事部门"
    NOT_FOREIGN = "not_foreign", "经核实非外籍人员"


class ForeignCase(TimeStamped):
    """Rule I7: a suspected foreign national's case, step by step, each step dated — reported to the police,
    identity confirmed by the police, then handed to the police (illegal entry) or the foreign-affairs office
    notified (legal entry)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.OneToOneField(Episode, verbose_name="救助过程", on_delete=models.CASCADE,
                                   related_name="foreign_case")
    reported_at = models.DateTimeField("报告公安时间")
    report_note = models.CharField("报告情况", max_length=300, blank=True)
    police = models.ForeignKey(Organisation, verbose_name="核实的公安机关", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField("核实结果", max_length=16, choices=ForeignOutcome.choices, default=ForeignOutcome.PENDING)
    confirmed_at = models.DateTimeField("公安核实时间", null=True, blank=True)
    nationality = models.CharField("国籍", max_length=50, blank=True)
    handed_to_police_at = models.DateTimeField("移交公安时间", null=True, blank=True)
    fao_notified_at = models.DateTimeField("通报外事部门时间", null=True, blank=True)
    fao_contact = models.CharField("外事部门及联系人", max_length=100, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "疑似外籍人员核实"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _episode_scope(org_ids)

    @property
    def next_step(self) -> str:
        if self.outcome == ForeignOutcome.PENDING:
            return "待公安机关核实身份"
        if self.outcome == ForeignOutcome.ILLEGAL and not self.handed_to_police_at:
            return "移交公安机关"
        if self.outcome == ForeignOutcome.LEGAL and not self.fao_notified_at:
            return "通报外事部门"
        return ""
