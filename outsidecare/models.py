"""Care outside the station's walls (rules C4, C5, C6): outside-care agreements, staff posted at large
facilities, weekly visits of the station to facilities and hospitals, the facilities' and hospitals' own
reports, the supervision panel's inspections of facilities, and planned bring-back batches.

The placement itself (who is where since when) is ``stay.Placement``; every record here points at a
placement or an agreement and is seen by the placing station and by the facility/hospital concerned.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import Organisation, TimeStamped


class FacilityType(models.TextChoices):
    """Rule C5: public welfare, elderly-care and psychiatric institutions are preferred."""

    WELFARE = "welfare", "社会福利机构"
    ELDERLY = "elderly", "养老机构"
    PSYCHIATRIC = "psychiatric", "精神卫生（精神病）专科机构"
    OTHER = "other", "其他机构"


PREFERRED_TYPES = (FacilityType.WELFARE, FacilityType.ELDERLY, FacilityType.PSYCHIATRIC)


def document_upload_to(instance: "Agreement", filename: str) -> str:
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "bin").lower()[:5]
    return f"outsidecare/agreements/{instance.uuid}/{uuid.uuid4().hex}.{ext}"


def visit_photo_upload_to(instance: "VisitPhoto", filename: str) -> str:
    return f"outsidecare/visits/{instance.visit.uuid}/{uuid.uuid4().hex}.jpg"


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` in local time (an agreement valid to ``day`` is in force until then)."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))


class Agreement(TimeStamped):
    """托养协议 between a station and an outside-care facility (rule C5): every placement is under one."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("协议编号", max_length=40, unique=True)
    station = models.ForeignKey(Organisation, verbose_name="救助机构（甲方）", on_delete=models.PROTECT,
                                related_name="care_agreements")
    facility = models.ForeignKey(Organisation, verbose_name="托养机构（乙方）", on_delete=models.PROTECT,
                                 related_name="care_agreements_held")
    facility_type = models.CharField("托养机构类别", max_length=16, choices=FacilityType.choices)
    type_reason = models.CharField("选择其他类别机构的理由", max_length=300, blank=True,
                                   help_text="规则 C5：优先选择社会福利、养老或精神卫生机构")
    signed_on = models.DateField("签订日期")
    valid_from = models.DateField("有效期起")
    valid_to = models.DateField("有效期止")
    capacity = models.PositiveIntegerField("约定托养人数上限")
    fee = models.DecimalField("托养费用（元/人·月）", max_digits=10, decimal_places=2)
    fee_note = models.CharField("费用说明", max_length=200, blank=True)
    document = models.FileField("协议文本（签字盖章扫描件）", upload_to=document_upload_to)
    terminated_on = models.DateField("提前终止日期", null=True, blank=True)
    termination_reason = models.CharField("终止原因", max_length=200, blank=True)
    #: The moment the agreement stops being in force (end of ``valid_to``, or its termination): deadlines stop there.
    in_force_until = models.DateTimeField("协议失效时间")
    #: The first placement under the agreement: from then on the weekly visits and inspections are due.
    first_placed_at = models.DateTimeField("首次托养时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = verbose_name_plural = "托养协议"
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")),
                                   name="outsidecare_agreement_period"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="outsidecare_agreement_capacity"),
            models.CheckConstraint(condition=~Q(facility_type="other") | ~Q(type_reason=""),
                                   name="outsidecare_agreement_other_needs_reason"),
        ]
        indexes = [models.Index(fields=["facility", "valid_from"]), models.Index(fields=["station", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.number}（{self.facility.name}）"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # The station that signed it and the facility that holds the people.
        return Q(station_id__in=org_ids) | Q(facility_id__in=org_ids)

    def in_force_on(self, day: datetime.date) -> bool:
        return (self.valid_from <= day <= self.valid_to
                and (self.terminated_on is None or day < self.terminated_on))


class Posting(TimeStamped):
    """Station staff posted at a facility holding more than 30 people (rule C5): who, from when, until when."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agreement = models.ForeignKey(Agreement, verbose_name="托养协议", on_delete=models.PROTECT,
                                  related_name="postings")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="驻点工作人员", on_delete=models.PROTECT,
                              related_name="+")
    started_at = models.DateTimeField("驻点开始")
    ended_at = models.DateTimeField("驻点结束", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-started_at"]
        verbose_name = verbose_name_plural = "驻点工作人员"
        constraints = [
            models.UniqueConstraint(fields=["agreement", "staff"], condition=Q(ended_at__isnull=True),
                                    name="outsidecare_one_open_posting_per_staff"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                                   name="outsidecare_posting_ends_after_start"),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(agreement__station_id__in=org_ids) | Q(agreement__facility_id__in=org_ids)


class VisitKind(models.TextChoices):
    OUTSIDE_CARE = "outside_care", "托养机构探访（规则 C5）"
    HOSPITAL = "hospital", "住院人员探视（规则 C4）"


class Visit(TimeStamped):
    """A visit of station staff to a facility (rule C5) or hospital (rule C4), with one row per person seen."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    station = models.ForeignKey(Organisation, verbose_name="救助机构", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, verbose_name="托养机构/医院", on_delete=models.PROTECT,
                                     related_name="+")
    kind = models.CharField("类型", max_length=16, choices=VisitKind.choices)
    agreement = models.ForeignKey(Agreement, verbose_name="托养协议", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="visits")
    visited_at = models.DateTimeField("探访时间")
    visitors = models.CharField("探访人员", max_length=200)
    safety_ok = models.BooleanField("机构安全情况良好", default=True)
    safety = models.CharField("机构安全情况（消防、食品、设施、看护）", max_length=500, blank=True)
    note = models.CharField("其他情况", max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = verbose_name_plural = "探访记录"
        indexes = [models.Index(fields=["agreement", "visited_at"]), models.Index(fields=["station", "visited_at"])]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.visited_at):%Y-%m-%d} {self.organisation.name}"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(station_id__in=org_ids) | Q(organisation_id__in=org_ids)


class VisitPerson(TimeStamped):
    """One person seen at a visit: care, physical and mental condition (C5), continued tracing (C4)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="people")
    placement = models.ForeignKey("stay.Placement", verbose_name="送医/托养记录", on_delete=models.PROTECT,
                                  related_name="visit_rows")
    visited_at = models.DateTimeField("探访时间")  # the visit's moment, here for the per-person deadlines
    care = models.CharField("照料情况", max_length=300)
    physical = models.CharField("身体状况", max_length=300)
    mental = models.CharField("精神状况", max_length=300)
    tracing = models.CharField("寻亲/身份查询进展", max_length=300, blank=True)

    class Meta:
        ordering = ["visit", "id"]
        verbose_name = verbose_name_plural = "探访人员情况"
        constraints = [models.UniqueConstraint(fields=["visit", "placement"], name="outsidecare_visit_person_once")]
        indexes = [models.Index(fields=["placement", "visited_at"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(visit__station_id__in=org_ids) | Q(visit__organisation_id__in=org_ids)


class VisitPhoto(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField("照片", upload_to=visit_photo_upload_to)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "探访照片"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(visit__station_id__in=org_ids) | Q(visit__organisation_id__in=org_ids)


class ConditionReport(TimeStamped):
    """病情/情况报告 written by the hospital or facility holding the person."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    placement = models.ForeignKey("stay.Placement", verbose_name="送医/托养记录", on_delete=models.PROTECT,
                                  related_name="condition_reports")
    reported_at = models.DateTimeField("报告时间")
    condition = models.CharField("病情/身体和精神状况", max_length=2000)
    treatment = models.CharField("治疗/照料措施", max_length=500, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报告人", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = verbose_name_plural = "病情/情况报告"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(placement__episode__station_id__in=org_ids) | Q(placement__organisation_id__in=org_ids)


class FacilityReport(TimeStamped):
    """A facility's periodic report to the station under an agreement (rule C5: facilities report regularly)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agreement = models.ForeignKey(Agreement, verbose_name="托养协议", on_delete=models.PROTECT,
                                  related_name="facility_reports")
    period_start = models.DateField("报告期起")
    period_end = models.DateField("报告期止")
    headcount = models.PositiveIntegerField("期末托养人数")
    incidents = models.CharField("异常情况（走失、受伤、死亡、冲突等）", max_length=2000, blank=True)
    care = models.CharField("照料情况", max_length=2000)
    submitted_at = models.DateTimeField("报送时间")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = verbose_name_plural = "托养机构定期报告"
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="outsidecare_report_period"),
            models.UniqueConstraint(fields=["agreement", "period_start", "period_end"],
                                    name="outsidecare_one_report_per_period"),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(agreement__station_id__in=org_ids) | Q(agreement__facility_id__in=org_ids)


class Half(models.TextChoices):
    MID_YEAR = "mid", "年中检查"
    YEAR_END = "end", "年末检查"


class PanelInspection(TimeStamped):
    """The supervision panel's on-site inspection of a facility (rule C5: mid-year and year-end); the
    checklist walk and its hazards are an ``oversight.Inspection``."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agreement = models.ForeignKey(Agreement, verbose_name="托养协议", on_delete=models.PROTECT,
                                  related_name="panel_inspections")
    inspection = models.OneToOneField("oversight.Inspection", verbose_name="风险检查", on_delete=models.PROTECT,
                                      related_name="panel_inspection")
    half = models.CharField("检查批次", max_length=4, choices=Half.choices)
    inspected_at = models.DateTimeField("检查时间")
    members = models.ManyToManyField("oversight.PanelMembership", verbose_name="参加检查的监督组成员",
                                     related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-inspected_at", "-id"]
        verbose_name = verbose_name_plural = "监督组托养机构检查"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(agreement__station_id__in=org_ids) | Q(agreement__facility_id__in=org_ids)


class BringBackPlan(TimeStamped):
    """A planned batch of people brought back from outside care into the station (rule C6)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("计划编号", max_length=40, unique=True)
    station = models.ForeignKey(Organisation, verbose_name="救助机构", on_delete=models.PROTECT, related_name="+")
    planned_on = models.DateField("计划返站日期")
    transport = models.CharField("交通方式与车辆", max_length=100)
    escort = models.CharField("带队/护送人员", max_length=100, blank=True)
    zone = models.ForeignKey("stay.Zone", verbose_name="接收区域", on_delete=models.PROTECT, related_name="+")
    note = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="制定人", on_delete=models.PROTECT,
                                   related_name="+")

    scope_field = "station"

    class Meta:
        ordering = ["-planned_on", "-id"]
        verbose_name = verbose_name_plural = "返站计划"

    def __str__(self) -> str:
        return self.number


class BringBackItem(TimeStamped):
    """One person of a bring-back batch; done when the placement closed and a bed was assigned."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(BringBackPlan, verbose_name="返站计划", on_delete=models.CASCADE, related_name="items")
    placement = models.ForeignKey("stay.Placement", verbose_name="托养记录", on_delete=models.PROTECT,
                                  related_name="bring_back_items")
    done_at = models.DateTimeField("返站时间", null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    assignment = models.OneToOneField("stay.BedAssignment", verbose_name="安排的床位", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = verbose_name_plural = "返站人员"
        constraints = [
            models.UniqueConstraint(fields=["plan", "placement"], name="outsidecare_item_once_per_plan"),
            # a person is in at most one outstanding plan
            models.UniqueConstraint(fields=["placement"], condition=Q(done_at__isnull=True),
                                    name="outsidecare_one_outstanding_item"),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(plan__station_id__in=org_ids)
