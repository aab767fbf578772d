"""Settlement (落户安置, rules S1–S4, E1): one case per person stranded beyond 3 months with identity unknown.

The station applies to its civil-affairs department (S1) → the department drafts a plan and submits it to the
government at its level → approval → placement in a public welfare institution, where the episode leaves
through the leaving app's departure path (kind 安置, E1) → the police register the 户口 in the institution's
collective household (S2), or the person stays in long-term placement without it (S3). If the identity is
confirmed later, the person goes home and the police cancel the duplicate 户口 (S4). Every step is a
``SettlementStep`` row: dated, with its document, by whom and for which organisation.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import NOTE, BoundedTextField
from core.models import Organisation, TimeStamped


class SettlementStatus(models.TextChoices):
    APPLIED = "applied", "已申请（待拟定方案）"
    PLAN_SUBMITTED = "plan_submitted", "方案已报政府（待批准）"
    APPROVED = "approved", "已批准（待安置）"
    PLACED = "placed", "已安置（待落户）"
    LONG_TERM = "long_term", "长期安置（未落户）"
    REGISTERED = "registered", "已落户"
    IDENTIFIED = "identified", "身份已查明（返乡、注销重复户口）"
    CLOSED = "closed", "已结案"
    NOT_APPROVED = "not_approved", "未获批准"
    WITHDRAWN = "withdrawn", "已撤回"


S = SettlementStatus
#: The only allowed moves of a case (rules S1–S4); anything else is refused with a Chinese message.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.APPLIED: frozenset({S.PLAN_SUBMITTED, S.WITHDRAWN}),
    S.PLAN_SUBMITTED: frozenset({S.APPROVED, S.NOT_APPROVED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.PLACED, S.LONG_TERM, S.WITHDRAWN}),
    S.PLACED: frozenset({S.REGISTERED, S.LONG_TERM, S.IDENTIFIED}),
    S.LONG_TERM: frozenset({S.REGISTERED, S.IDENTIFIED}),
    S.REGISTERED: frozenset({S.IDENTIFIED}),
    S.IDENTIFIED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.NOT_APPROVED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
#: A case in one of these states is finished; any other is open (one open case per person, a DB constraint).
ENDED = frozenset({S.CLOSED, S.NOT_APPROVED, S.WITHDRAWN})
#: Before placement: the episode is still open and the case can be withdrawn.
BEFORE_PLACEMENT = frozenset({S.APPLIED, S.PLAN_SUBMITTED, S.APPROVED})
#: The person lives in the institution (settled or long-term): identification leads to S4.
PLACED_STATES = frozenset({S.PLACED, S.LONG_TERM, S.REGISTERED})


class PlacementKind(models.TextChoices):
    SETTLED = "settled", "安置到公办福利机构（办理落户）"
    LONG_TERM = "long_term", "长期安置（暂不能落户，规则S3）"


class StepKind(models.TextChoices):
    APPLICATION = "application", "站向民政部门申请落户安置"
    PLAN = "plan", "民政部门拟定方案报同级政府"
    APPROVAL = "approval", "政府批准"
    NOT_APPROVED = "not_approved", "政府未批准"
    PLACEMENT = "placement", "安置到福利机构"
    LONG_TERM = "long_term", "长期安置（未落户）"
    REGISTRATION = "registration", "公安机关登记户口"
    TEKUN = "tekun", "纳入特困人员供养"
    INSURANCE = "insurance", "参加社会保险"
    IDENTIFIED = "identified", "身份查明"
    RETURN_HOME = "return_home", "安排返乡"
    CANCELLATION = "cancellation", "公安机关注销重复户口"
    WITHDRAWN = "withdrawn", "撤回申请"
    CLOSED = "closed", "结案"


class SettlementCase(TimeStamped):
    """One settlement case (落户安置) of one person, opened from the episode in which the station applied."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("安置编号", max_length=32, unique=True)
    person = models.ForeignKey("people.Person", verbose_name="受助人员", on_delete=models.PROTECT,
                               related_name="settlement_cases")
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="settlement_cases")
    station = models.ForeignKey(Organisation, verbose_name="申请机构", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Organisation, verbose_name="主管民政部门", on_delete=models.PROTECT,
                                   related_name="+")
    status = models.CharField("状态", max_length=16, choices=SettlementStatus.choices, default=S.APPLIED,
                              db_index=True)

    # rule S1: the application
    applied_on = models.DateField("申请日期")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请经办人", on_delete=models.PROTECT,
                                   related_name="+")
    exception_reason = models.CharField("未满3个月提前申请的特殊情况", max_length=500, blank=True)
    situation = BoundedTextField("基本情况", max_length=NOTE, blank=True,
                                 help_text="滞留时间、寻亲经过、身体和精神状况")

    # the department's plan, submitted to the government at its level
    plan_on = models.DateField("方案报送日期", null=True, blank=True)
    government = models.CharField("报送的人民政府", max_length=100, blank=True)
    plan_summary = models.CharField("安置方案要点", max_length=500, blank=True)

    # the government's decision
    decided_on = models.DateField("批复日期", null=True, blank=True)
    approved_on = models.DateField("批准日期", null=True, blank=True)
    approval_ref = models.CharField("批复文号", max_length=100, blank=True)

    # placement in a public welfare institution (E1: the episode leaves here)
    placement_kind = models.CharField("安置方式", max_length=16, choices=PlacementKind.choices, blank=True)
    institution = models.ForeignKey(Organisation, verbose_name="安置机构", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    placed_on = models.DateField("安置日期", null=True, blank=True)
    departure = models.OneToOneField("leaving.Departure", verbose_name="离站记录", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="settlement_case")
    police = models.ForeignKey(Organisation, verbose_name="办理户口的公安机关", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")

    # rule S3: long-term placement without household registration
    long_term_on = models.DateField("长期安置（未落户）日期", null=True, blank=True)
    long_term_reason = models.CharField("暂不能落户的原因", max_length=500, blank=True)

    # rule S2: the 户口 in the institution's collective household, and what follows from it
    hukou_registered_on = models.DateField("户口登记日期", null=True, blank=True)
    hukou_number = models.CharField("户口登记号", max_length=50, blank=True)
    hukou_address = models.CharField("集体户地址", max_length=200, blank=True)
    tekun_on = models.DateField("纳入特困人员供养日期", null=True, blank=True)
    insurance_on = models.DateField("参加社会保险日期", null=True, blank=True)
    insurance_note = models.CharField("社会保险险种", max_length=200, blank=True)

    # rule S4: the original identity confirmed later
    identified_at = models.DateTimeField("身份查明时间", null=True, blank=True)
    return_home_on = models.DateField("返乡日期", null=True, blank=True)
    return_destination = models.CharField("返乡目的地", max_length=200, blank=True)
    cancellation_requested_at = models.DateTimeField("通知公安注销户口时间", null=True, blank=True)
    cancelled_on = models.DateField("注销重复户口日期", null=True, blank=True)
    cancellation_ref = models.CharField("注销证明编号", max_length=100, blank=True)

    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=300, blank=True)

    class Meta:
        ordering = ["-applied_on", "-id"]
        verbose_name = verbose_name_plural = "落户安置"
        indexes = [models.Index(fields=["station", "status"]), models.Index(fields=["applied_on"])]
        constraints = [
            # one open case per person (an ended case — withdrawn, not approved, closed — allows a new one)
            models.UniqueConstraint(fields=["person"], condition=~Q(status__in=sorted(s.value for s in ENDED)),
                                    name="settlement_one_open_case_per_person"),
            models.CheckConstraint(condition=Q(status__in=SettlementStatus.values), name="settlement_status_valid"),
        ]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # The station and its departments (transitively); the institution the person lives in; the police
        # organisation asked to register (and later cancel) the 户口.
        return Q(station_id__in=org_ids) | Q(department_id__in=org_ids) | Q(institution_id__in=org_ids) | Q(
            police_id__in=org_ids)

    @property
    def is_open(self) -> bool:
        return self.status not in ENDED

    @property
    def awaits_cancellation(self) -> bool:
        return self.cancellation_requested_at is not None and self.cancelled_on is None


def document_upload_to(instance: "SettlementStep", filename: str) -> str:
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "bin").lower()[:5]
    return f"settlement/{instance.case.uuid}/{uuid.uuid4().hex}.{ext}"


class SettlementStep(TimeStamped):
    """One dated step of a case with its document (申请书、安置方案、批复、交接单、户口登记……)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(SettlementCase, verbose_name="落户安置", on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField("步骤", max_length=16, choices=StepKind.choices)
    on = models.DateField("日期")
    status_from = models.CharField("原状态", max_length=16, choices=SettlementStatus.choices, blank=True)
    status_to = models.CharField("新状态", max_length=16, choices=SettlementStatus.choices, blank=True)
    organisation = models.ForeignKey(Organisation, verbose_name="办理单位", on_delete=models.PROTECT,
                                     related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    document_title = models.CharField("文书名称", max_length=100, blank=True)
    document = models.FileField("文书", upload_to=document_upload_to, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        ordering = ["on", "id"]
        verbose_name = verbose_name_plural = "落户安置步骤"
        indexes = [models.Index(fields=["kind", "on"])]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_kind_display()}"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(case__in=SettlementCase.objects.filter(SettlementCase.scope_q(org_ids)).values("id"))
