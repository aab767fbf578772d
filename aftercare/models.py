"""After return (源头治理, rules A1–A3): the returnee ledger, follow-up visits, hardship referrals,
the registry of people at risk of wandering, their township visits, and renewed-wandering alerts.

A ledger entry or registration belongs to three organisations at once: the station that sent the
person home (or registered them), the township (乡镇/街道) of destination and the village (村/居).
Each sees its own (core.scoping via ``scope_q``); a civil-affairs department sees its subtree.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import CIPHERTEXT
from core.models import Division, Organisation, TimeStamped

#: Longer free texts: a length limit in the model (validated in the services), the form and the API.
REPORT_MAX = 1000
NOTE_MAX = 500


def _three_way_scope(org_ids, prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}station_id__in": org_ids})
        | Q(**{f"{prefix}township_id__in": org_ids})
        | Q(**{f"{prefix}village_id__in": org_ids})
    )


class ReturnWay(models.TextChoices):
    TICKET = "ticket", "返乡（购票）"
    ESCORTED = "escorted", "返乡（护送）"


class ReturnCase(TimeStamped):
    """One line of the returnee ledger (返乡人员信息台账, rule A1): one per return home."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person", verbose_name="受助人员", on_delete=models.PROTECT, related_name="+"
    )
    episode = models.OneToOneField(
        "people.Episode", verbose_name="救助过程", on_delete=models.PROTECT, related_name="return_case"
    )
    station = models.ForeignKey(
        Organisation, verbose_name="送返机构", on_delete=models.PROTECT, related_name="+"
    )
    way = models.CharField("返乡方式", max_length=10, choices=ReturnWay.choices)
    returned_at = models.DateTimeField("返乡（离站）时间", db_index=True)
    destination = models.ForeignKey(
        Division, verbose_name="返乡地区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destination_text = models.CharField("返乡地址", max_length=200, blank=True)
    township = models.ForeignKey(
        Organisation,
        verbose_name="负责乡镇（街道）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = models.ForeignKey(
        Organisation,
        verbose_name="负责村（居）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: Who must do the follow-up visit (rule A2): the township once routed, else the sending station.
    followup_org = models.ForeignKey(
        Organisation, verbose_name="回访责任单位", on_delete=models.PROTECT, related_name="+"
    )
    is_minor = models.BooleanField("返乡时未成年", default=False)
    family_report = models.CharField("家庭情况（村委会了解）", max_length=REPORT_MAX, blank=True)
    family_reported_at = models.DateTimeField("家庭情况登记时间", null=True, blank=True)
    family_reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="家庭情况登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-returned_at", "-id"]
        verbose_name = verbose_name_plural = "返乡人员台账"
        indexes = [
            models.Index(fields=["station", "returned_at"]),
            models.Index(fields=["township", "returned_at"]),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _three_way_scope(org_ids)

    def __str__(self) -> str:
        return f"{self.person.name}（{self.get_way_display()}）"


class HardshipKind(models.TextChoices):
    DIBAO = "dibao", "最低生活保障（低保）"
    TEKUN = "tekun", "特困人员救助供养"
    TEMPORARY = "temporary", "临时救助"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", "待乡镇办理"
    GRANTED = "granted", "已纳入"
    REFUSED = "refused", "不予纳入"


#: Allowed transitions of a referral (STYLE habit 6).
REFERRAL_TRANSITIONS = {ReferralStatus.PENDING: {ReferralStatus.GRANTED, ReferralStatus.REFUSED}}


class HardshipReferral(TimeStamped):
    """Hardship found through the village committee referred to the township (rule A1), with the outcome."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        ReturnCase, verbose_name="返乡人员", on_delete=models.PROTECT, related_name="referrals"
    )
    kind = models.CharField("帮扶类别", max_length=12, choices=HardshipKind.choices)
    reason = models.CharField("困难情况", max_length=300)
    referred_at = models.DateTimeField("转介时间")
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="转介人", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "办理结果", max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    outcome = models.CharField("办理情况", max_length=300, blank=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-referred_at", "-id"]
        verbose_name = verbose_name_plural = "困难帮扶转介"
        constraints = [
            # only one open referral of each kind per returnee
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(status="pending"),
                name="aftercare_one_open_referral_per_kind",
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _three_way_scope(org_ids, "case__")


class VisitMethod(models.TextChoices):
    HOME = "home", "入户走访"
    PHONE = "phone", "电话回访"
    VIDEO = "video", "视频回访"


class FollowUpVisit(TimeStamped):
    """A follow-up visit to a returnee (回访, rule A2)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        ReturnCase, verbose_name="返乡人员", on_delete=models.PROTECT, related_name="visits"
    )
    visited_at = models.DateTimeField("回访时间", db_index=True)
    method = models.CharField("回访方式", max_length=10, choices=VisitMethod.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name="回访单位", on_delete=models.PROTECT, related_name="+"
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="回访人", on_delete=models.PROTECT, related_name="+"
    )
    at_home = models.BooleanField("本人在家", default=True)
    situation = models.CharField("生活情况", max_length=REPORT_MAX)

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = verbose_name_plural = "返乡回访"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _three_way_scope(org_ids, "case__")


class RiskRegistration(TimeStamped):
    """A person in the registry of people at risk of wandering or getting lost (易流浪走失人员信息库, rule A3).

    The roster belongs to the township, which visits at least every 2 months for at least 1 year
    (``visit_until``); ``station`` is the rescue station alerted when the person wanders again.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person",
        verbose_name="人员档案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        ReturnCase,
        verbose_name="来自返乡台账",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=2, choices=[("男", "男"), ("女", "女")], blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    address = models.CharField("居住地址", max_length=200)
    guardian_name = models.CharField("监护人/联系人", max_length=50, blank=True)
    guardian_phone = models.CharField("联系人电话", max_length=40, blank=True)
    marks = models.CharField("体貌特征", max_length=300, blank=True)
    mental_disorder = models.BooleanField("精神障碍", default=False)
    alzheimers = models.BooleanField("阿尔茨海默病（认知症）", default=False)
    physical_disability = models.BooleanField("肢体残疾", default=False)
    intellectual_disability = models.BooleanField("智力残疾", default=False)
    repeated_wandering = models.BooleanField("多次流浪", default=False)
    township = models.ForeignKey(
        Organisation, verbose_name="负责乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey(
        Organisation,
        verbose_name="所在村（居）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    station = models.ForeignKey(
        Organisation, verbose_name="联系救助管理机构", on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField("登记时间", db_index=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    visit_until = models.DateTimeField("走访至少持续至")
    ended_at = models.DateTimeField("移出时间", null=True, blank=True)
    end_reason = models.CharField("移出原因", max_length=200, blank=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = verbose_name_plural = "易流浪走失人员"
        constraints = [
            # only one open registration per person file
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(ended_at__isnull=True, person__isnull=False),
                name="aftercare_one_open_registration_per_person",
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _three_way_scope(org_ids)

    @property
    def category_labels(self) -> list[str]:
        return [str(self._meta.get_field(f).verbose_name) for f in RISK_CATEGORIES if getattr(self, f)]

    def __str__(self) -> str:
        return self.name


RISK_CATEGORIES = (
    "mental_disorder",
    "alzheimers",
    "physical_disability",
    "intellectual_disability",
    "repeated_wandering",
)


class RiskVisit(TimeStamped):
    """The township's visit to a registered person (rule A3); each visit follows the previous one, so
    "the next visit within 2 months" is a deadline on every visit."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    registration = models.ForeignKey(
        RiskRegistration, verbose_name="登记人员", on_delete=models.PROTECT, related_name="visits"
    )
    previous = models.OneToOneField(
        "self",
        verbose_name="上一次走访",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_visit",
    )
    visited_at = models.DateTimeField("走访时间", db_index=True)
    method = models.CharField("走访方式", max_length=10, choices=VisitMethod.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name="走访单位", on_delete=models.PROTECT, related_name="+"
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="走访人", on_delete=models.PROTECT, related_name="+"
    )
    present = models.BooleanField("本人在家", default=True)
    situation = models.CharField("情况", max_length=REPORT_MAX)

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = verbose_name_plural = "易流浪走失人员走访"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _three_way_scope(org_ids, "registration__")


class WanderingAlert(TimeStamped):
    """Renewed wandering reported by a township or village (rule A3): the station is alerted (deadline
    A3w: acknowledged within 24 hours) and the person becomes a missing-person record for the matching engine."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        ReturnCase,
        verbose_name="返乡人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    registration = models.ForeignKey(
        RiskRegistration,
        verbose_name="登记人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    name = models.CharField("姓名", max_length=50)
    station = models.ForeignKey(
        Organisation, verbose_name="通报救助管理机构", on_delete=models.PROTECT, related_name="+"
    )
    township = models.ForeignKey(
        Organisation,
        verbose_name="乡镇（街道）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = models.ForeignKey(
        Organisation,
        verbose_name="村（居）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reporting_org = models.ForeignKey(
        Organisation, verbose_name="报告单位", on_delete=models.PROTECT, related_name="+"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="报告人", on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField("报告时间", db_index=True)
    last_seen_on = models.DateField("最后在家日期")
    last_seen_place = models.CharField("最后出现地点", max_length=200, blank=True)
    note = models.CharField("情况说明", max_length=NOTE_MAX, blank=True)
    missing_report_uuid = models.UUIDField("比对用走失记录", null=True, blank=True)
    acknowledged_at = models.DateTimeField("救助站签收时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = verbose_name_plural = "再次流浪报告"
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(registration__isnull=False),
                name="aftercare_alert_has_subject",
            ),
            # only one unacknowledged alert per returnee and per registered person
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(acknowledged_at__isnull=True, case__isnull=False),
                name="aftercare_one_open_alert_per_case",
            ),
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(acknowledged_at__isnull=True, registration__isnull=False),
                name="aftercare_one_open_alert_per_registration",
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return _three_way_scope(org_ids) | Q(reporting_org_id__in=org_ids)


# --- data sharing (rule A4) -----------------------------------------------------------------------------


class SharedListKind(models.TextChoices):
    DIBAO = "dibao", "最低生活保障（低保）"
    TEKUN = "tekun", "特困人员"
    POVERTY = "poverty", "脱贫/防返贫监测对象"
    DISABILITY = "disability", "残疾人"
    OTHER = "other", "其他名单"


#: The columns a shared list may carry, in the order the mapping form shows them: field → label.
SHARED_FIELDS = {
    "name": "姓名",
    "id_number": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "address": "户籍地/住址",
    "category": "类别",
    "disability": "残疾类别/等级",
}
#: Limits of an import (rule A4): rows per file, bytes per upload.
SHARED_MAX_ROWS = 5000
SHARED_MAX_BYTES = 5 * 1024 * 1024


class DataSender(TimeStamped):
    """A department that sends lists (民政低保/特困, 乡村振兴/扶贫, 残联 …) with the column mapping of its
    Excel files, kept per receiving organisation (rule A4)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name="接收机构", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("来源部门", max_length=100)
    list_kind = models.CharField("名单类别", max_length=12, choices=SharedListKind.choices)
    #: field (SHARED_FIELDS) → the column header in the sender's files
    mapping = models.JSONField("列对应关系", default=dict)
    header_row = models.PositiveSmallIntegerField("表头所在行", default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设置人", on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "organisation"

    class Meta:
        ordering = ["name", "id"]
        verbose_name = verbose_name_plural = "数据共享来源部门"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="aftercare_one_sender_name_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_list_kind_display()}）"

    @property
    def mapping_rows(self) -> list[tuple[str, str]]:
        return [(label, self.mapping.get(field, "")) for field, label in SHARED_FIELDS.items()]


class SharedList(TimeStamped):
    """One imported list (rule A4): every row valid, stored at once, then matched in batch."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender = models.ForeignKey(
        DataSender, verbose_name="来源部门", on_delete=models.PROTECT, related_name="lists"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="接收机构", on_delete=models.PROTECT, related_name="+"
    )
    list_kind = models.CharField("名单类别", max_length=12, choices=SharedListKind.choices)
    file_name = models.CharField("文件名", max_length=200)
    imported_at = models.DateTimeField("导入时间", db_index=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    row_count = models.PositiveIntegerField("人数", default=0)
    matched_at = models.DateTimeField("比对完成时间", null=True, blank=True)
    match_count = models.PositiveIntegerField("需关注人数", default=0)

    scope_field = "organisation"

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = verbose_name_plural = "共享名单"

    def __str__(self) -> str:
        return f"{self.sender.name} {self.file_name}"


class SharedListRow(TimeStamped):
    """One person on an imported list; the ID number encrypted with a keyed hash, as in people.Person."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shared_list = models.ForeignKey(
        SharedList, verbose_name="共享名单", on_delete=models.PROTECT, related_name="rows"
    )
    row_no = models.PositiveIntegerField("Excel行号")
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=2, choices=[("男", "男"), ("女", "女")], blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    # a CharField: varchar(n) bounds it on every database (a BoundedTextField's CHECK would be created twice
    # by a CreateModel migration on PostgreSQL)
    id_number_enc = models.CharField("身份证号（加密）", max_length=CIPHERTEXT, blank=True)
    id_number_hash = models.CharField("身份证号索引", max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=20, blank=True)
    address = models.CharField("户籍地/住址", max_length=200, blank=True)
    category = models.CharField("类别", max_length=100, blank=True)
    disability = models.CharField("残疾类别/等级", max_length=100, blank=True)

    class Meta:
        ordering = ["shared_list", "row_no"]
        verbose_name = verbose_name_plural = "共享名单人员"
        constraints = [
            models.UniqueConstraint(fields=["shared_list", "row_no"], name="aftercare_one_row_per_line"),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(shared_list__organisation_id__in=org_ids)

    def __str__(self) -> str:
        return self.name


class AttentionStatus(models.TextChoices):
    PENDING = "pending", "待核实"
    CONFIRMED = "confirmed", "确认为同一人"
    REJECTED = "rejected", "不是同一人"


ATTENTION_TRANSITIONS = {AttentionStatus.PENDING: {AttentionStatus.CONFIRMED, AttentionStatus.REJECTED}}


class AttentionItem(TimeStamped):
    """Someone on a shared list who has a wandering history (rule A4): a person file (episodes, a ledger
    entry) or an at-risk registration, with the engine's probability; staff confirm or reject it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    row = models.ForeignKey(
        SharedListRow, verbose_name="名单人员", on_delete=models.PROTECT, related_name="attention"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="接收机构", on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name="人员档案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        ReturnCase, verbose_name="返乡台账", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    registration = models.ForeignKey(
        RiskRegistration,
        verbose_name="易流浪走失人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    township = models.ForeignKey(
        Organisation,
        verbose_name="负责乡镇（街道）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = models.ForeignKey(
        Organisation,
        verbose_name="所在村（居）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    probability = models.FloatField("匹配概率")
    exact_id = models.BooleanField("身份证号一致", default=False)
    reason = models.CharField("需关注原因", max_length=300)
    status = models.CharField(
        "核实结果", max_length=10, choices=AttentionStatus.choices, default=AttentionStatus.PENDING
    )
    note = models.CharField("核实说明", max_length=NOTE_MAX, blank=True)
    decided_at = models.DateTimeField("核实时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核实人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_registration = models.ForeignKey(
        RiskRegistration,
        verbose_name="据此登记的易流浪走失人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-exact_id", "-probability", "-id"]
        verbose_name = verbose_name_plural = "共享名单需关注人员"
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(registration__isnull=False),
                name="aftercare_attention_has_subject",
            ),
            # one item per list row and subject: a rerun of the batch updates, never duplicates
            models.UniqueConstraint(
                fields=["row", "person"],
                condition=Q(person__isnull=False),
                name="aftercare_one_item_per_person",
            ),
            models.UniqueConstraint(
                fields=["row", "registration"],
                condition=Q(person__isnull=True),
                name="aftercare_one_item_per_registration",
            ),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(organisation_id__in=org_ids) | Q(township_id__in=org_ids) | Q(village_id__in=org_ids)

    @property
    def subject_name(self) -> str:
        if self.person_id:
            return self.person.name
        return self.registration.name if self.registration_id else ""
