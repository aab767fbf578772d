"""Leaving the station (离站服务, rules E1, N7, N8, N9, E3): one departure record per episode."""

import uuid

from django.conf import settings
from django.db import models

from core.fields import CIPHERTEXT, NOTE, BoundedTextField
from core.models import Organisation, TimeStamped


class ExitType(models.TextChoices):
    """Rule E1: the ways out. 终止救助 is recorded by intake; 安置 only by the settlement app at placement in the
    institution (``settlement.services.settlement_place``), never on the leaving form."""

    HOME_TICKET = "home_ticket", "返乡（购票）"
    HOME_ESCORTED = "home_escorted", "返乡（护送）"
    FAMILY = "family", "亲属接领"
    TRANSFER = "transfer", "转送其他机构"
    SELF = "self", "自行离站"
    NO_FORMALITIES = "no_formalities", "未办手续离站"
    DEATH = "death", "死亡"
    MISSING = "missing", "走失"
    SETTLEMENT = "settlement", "安置"


class TravelMode(models.TextChoices):
    TRAIN = "train", "火车"
    BUS = "bus", "汽车"
    PLANE = "plane", "飞机"
    SHIP = "ship", "轮船"
    OTHER = "other", "其他"


class HandoverTo(models.TextChoices):
    FAMILY = "family", "交亲属"
    STATION = "station", "交户籍地救助管理机构"
    OTHER = "other", "交其他责任单位"


def id_copy_upload_to(instance: "Departure", filename: str) -> str:
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "bin").lower()[:5]
    return f"leaving/{instance.episode.uuid}/{uuid.uuid4().hex}.{ext}"


class Departure(TimeStamped):
    """How and when a person left; fields per exit type, validated in leaving.services."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.OneToOneField("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                   related_name="departure")
    exit_type = models.CharField("离站方式", max_length=20, choices=ExitType.choices, db_index=True)
    left_at = models.DateTimeField("离站时间", db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT,
                                    related_name="+")
    limited_mobility = models.BooleanField("行动不便", default=False, help_text="行动不便者须由亲属或责任单位接领（规则 N9）")
    note = BoundedTextField("备注", max_length=NOTE, blank=True)

    # 返乡（购票）— rule N8
    ticket_no = models.CharField("车（船、机）票号", max_length=50, blank=True)
    travel_mode = models.CharField("交通方式", max_length=10, choices=TravelMode.choices, blank=True)
    destination = models.CharField("目的地", max_length=100, blank=True)
    is_direct = models.BooleanField("直达", default=True)
    transfer_point = models.CharField("中转地", max_length=100, blank=True)
    local_station_contact = models.CharField("中转地救助站联系方式", max_length=100, blank=True)
    cash_yuan = models.DecimalField("发放现金（元）", max_digits=8, decimal_places=2, default=0)
    cash_exception_reason = models.CharField("发放现金原因", max_length=300, blank=True)
    cash_receipt_signed = models.BooleanField("已签收现金", default=False)
    cash_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="超额现金审批人（站长）", null=True,
                                         blank=True, on_delete=models.PROTECT, related_name="+")

    # 返乡（护送）
    escort_staff = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="护送人员", blank=True,
                                          related_name="+")
    escort_route = models.CharField("护送路线", max_length=200, blank=True)
    handed_over_to = models.CharField("交接对象", max_length=10, choices=HandoverTo.choices, blank=True)
    handover_org = models.ForeignKey(Organisation, verbose_name="接收机构", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    handover_person = models.CharField("接收人", max_length=50, blank=True)
    handover_at = models.DateTimeField("交接时间", null=True, blank=True)

    # 亲属接领 — rules N9, E3 (the ID fields also hold the receiving person's ID on an escorted handover of
    # a child under 16 or a person with limited mobility)
    claimant_name = models.CharField("接领人姓名", max_length=50, blank=True)
    claimant_id_enc = BoundedTextField("接领人身份证号（加密）", max_length=CIPHERTEXT, blank=True)
    claimant_id_hash = models.CharField("接领人身份证号索引", max_length=64, blank=True, db_index=True)
    claimant_id_masked = models.CharField("接领人/接收人身份证号", max_length=20, blank=True)
    claimant_id_copy = models.FileField("接领人/接收人身份证复印件", upload_to=id_copy_upload_to, blank=True)
    claimant_relationship = models.CharField("与受助人员关系", max_length=20, blank=True)
    claimant_phone = models.CharField("接领人电话", max_length=40, blank=True)
    witness_1 = models.CharField("见证监督员一", max_length=50, blank=True)
    witness_2 = models.CharField("见证监督员二", max_length=50, blank=True)

    # 转送其他机构
    transfer_org = models.ForeignKey(Organisation, verbose_name="转送机构", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    transfer_person = models.CharField("接收机构负责人", max_length=50, blank=True)  # rule N9
    transfer_person_phone = models.CharField("负责人电话", max_length=40, blank=True)

    # 自行离站 / 未办手续离站 — rule N7
    declaration_signed = models.BooleanField("已签署自行离站声明书", default=False)
    written_record = BoundedTextField("情况记录", max_length=NOTE, blank=True)

    # 死亡
    death_place = models.CharField("死亡地点", max_length=200, blank=True)
    death_cause = models.CharField("死亡原因", max_length=300, blank=True)
    police_notified = models.BooleanField("已通知公安机关", default=False)
    hospital_notified = models.BooleanField("已通知医疗机构", default=False)

    # 走失
    circumstances = BoundedTextField("走失经过", max_length=NOTE, blank=True)
    police_report_ref = models.CharField("报警回执/报案编号", max_length=100, blank=True)

    # Belongings counted back (rule I2, N7): the list as returned by intake.
    belongings_returned = models.JSONField("归还物品", default=list, blank=True)

    scope_field = "episode__station"

    class Meta:
        ordering = ["-left_at"]
        verbose_name = verbose_name_plural = "离站记录"
        indexes = [models.Index(fields=["exit_type", "left_at"])]

    def __str__(self) -> str:
        return f"{self.episode.number} {self.get_exit_type_display()}"
