"""Care in the station: zones and beds (rules C1, N4), occupancy (C3), N5 stay reasons, and
placements in hospital or outside care (rules I3, C4, C5)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import NOTE, BoundedTextField
from core.models import Organisation, TimeStamped


class ZoneCategory(models.TextChoices):
    """Rule C1: care by category and zone — at least by sex, minors, elderly, illness/disability/mental disorder."""

    MEN = "men", "男区"
    WOMEN = "women", "女区"
    MINORS = "minors", "未成年人区"
    ELDERLY = "elderly", "老年区"
    MEDICAL = "medical", "医疗观察区（疾病、残疾、精神障碍）"


class SexRestriction(models.TextChoices):
    MALE = "男", "仅限男性"
    FEMALE = "女", "仅限女性"
    ANY = "any", "不限性别"


class Zone(TimeStamped):
    """A part of a station where one category of people is housed (分区照料)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    station = models.ForeignKey(Organisation, verbose_name="救助机构", on_delete=models.PROTECT, related_name="zones")
    name = models.CharField("区域名称", max_length=50)
    category = models.CharField("区域类别", max_length=16, choices=ZoneCategory.choices)
    sex_restriction = models.CharField("性别限制", max_length=4, choices=SexRestriction.choices,
                                       default=SexRestriction.ANY)
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)

    scope_field = "station"

    class Meta:
        ordering = ["station", "category", "name"]
        verbose_name = verbose_name_plural = "照料区域"
        constraints = [models.UniqueConstraint(fields=["station", "name"], name="stay_zone_unique_name")]

    def __str__(self) -> str:
        return self.name


class Bed(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    zone = models.ForeignKey(Zone, verbose_name="区域", on_delete=models.PROTECT, related_name="beds")
    code = models.CharField("床位号", max_length=20)
    is_active = models.BooleanField("启用", default=True)

    scope_field = "zone__station"

    class Meta:
        ordering = ["zone", "code"]
        verbose_name = verbose_name_plural = "床位"
        constraints = [models.UniqueConstraint(fields=["zone", "code"], name="stay_bed_unique_code")]

    def __str__(self) -> str:
        return f"{self.zone.name} {self.code}"


class BedAssignment(TimeStamped):
    """A person's stay in one bed; open while ``released_at`` is empty."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="bed_assignments")
    bed = models.ForeignKey(Bed, verbose_name="床位", on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField("入住时间")
    released_at = models.DateTimeField("退床时间", null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="安排人", on_delete=models.PROTECT,
                                    related_name="+")
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="退床操作人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    housed_as = models.CharField("按性别安置", max_length=2, blank=True,
                                 help_text="性别不详时由工作人员选择的安置性别（规则 N4）")
    zone_reason = models.CharField("区域安排说明", max_length=300, blank=True,
                                   help_text="未成年人未安排在未成年人区时的原因（规则 I8/C1）")
    release_note = models.CharField("退床说明", max_length=200, blank=True)

    scope_field = "episode__station"

    class Meta:
        ordering = ["-assigned_at"]
        verbose_name = verbose_name_plural = "床位安排"
        constraints = [
            # A bed holds at most one person, a person at most one bed (partial unique indexes:
            # supported by SQLite and PostgreSQL alike).
            models.UniqueConstraint(fields=["bed"], condition=Q(released_at__isnull=True), name="stay_one_person_per_bed"),
            models.UniqueConstraint(fields=["episode"], condition=Q(released_at__isnull=True),
                                    name="stay_one_bed_per_person"),
            models.CheckConstraint(condition=Q(released_at__isnull=True) | Q(released_at__gte=models.F("assigned_at")),
                                   name="stay_released_after_assigned"),
        ]


class StayExtension(TimeStamped):
    """Rule N5: a stay beyond the limit, its reason, reported to the department above as a record that
    department sees in its own list and acknowledges (确认收悉)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="stay_extensions")
    reason = BoundedTextField("延长在站原因", max_length=NOTE)
    department = models.ForeignKey(Organisation, verbose_name="报送的上级民政部门", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="n5_reports")
    reported_at = models.DateTimeField("报送时间", null=True, blank=True)
    acknowledged_at = models.DateTimeField("确认收悉时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    ack_note = models.CharField("部门意见", max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")

    scope_field = "episode__station"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "超期在站报告"
        indexes = [models.Index(fields=["department", "acknowledged_at"])]


class PlacementKind(models.TextChoices):
    HOSPITAL = "hospital", "送医"
    OUTSIDE_CARE = "outside_care", "站外托养"


class Placement(TimeStamped):
    """A stretch of care outside the station: in a designated hospital or an outside-care facility."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="placements")
    kind = models.CharField("类型", max_length=16, choices=PlacementKind.choices)
    organisation = models.ForeignKey(Organisation, verbose_name="医院/托养机构", on_delete=models.PROTECT,
                                     related_name="placements")
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    agreement_ref = models.CharField("托养协议编号", max_length=100, blank=True,
                                     help_text="站外托养必须签订协议（规则 C5）")
    agreement = models.ForeignKey("outsidecare.Agreement", verbose_name="托养协议", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="placements",
                                  help_text="站外托养在有效的托养协议下进行（规则 C5）")
    note = models.CharField("说明", max_length=300, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT,
                                   related_name="+")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="结束经办人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    end_note = models.CharField("结束说明", max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = verbose_name_plural = "送医/站外托养"
        constraints = [
            models.UniqueConstraint(fields=["episode"], condition=Q(ended_at__isnull=True),
                                    name="stay_one_open_placement"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                                   name="stay_placement_ends_after_start"),
        ]
        indexes = [models.Index(fields=["organisation", "ended_at"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # The station that placed the person, and the hospital / facility holding them (named items).
        return Q(episode__station_id__in=org_ids) | Q(organisation_id__in=org_ids)

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class CareAssignment(TimeStamped):
    """Rule N4: the staff member responsible for a person's care; women are cared for by female staff — an
    assignment of a carer who is not recorded as a woman to a woman is allowed but flagged and warned."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="care_assignments")
    carer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="责任照料人员", on_delete=models.PROTECT,
                              related_name="+")
    carer_sex = models.CharField("照料人员性别", max_length=2, choices=[("男", "男"), ("女", "女")])
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_reason = models.CharField("结束原因", max_length=200, blank=True)
    n4_warning = models.BooleanField("女性受助人员非女性工作人员照料", default=False)
    n4_reason = models.CharField("说明（规则N4）", max_length=200, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="指派人", on_delete=models.PROTECT,
                                    related_name="+")

    scope_field = "episode__station"

    class Meta:
        ordering = ["-started_at"]
        verbose_name = verbose_name_plural = "责任照料人员"
        constraints = [models.UniqueConstraint(fields=["episode"], condition=Q(ended_at__isnull=True),
                                               name="stay_one_open_care_assignment")]


class SearchRefresh(TimeStamped):
    """Rule N5: for anyone stranded over a month whose identity is still unknown, the search information is
    refreshed every month — a new photo, the announcement published again, the comparison run again.
    Each refresh follows the one before (``previous``), so the next one is due a month after it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey("people.Episode", verbose_name="救助过程", on_delete=models.PROTECT,
                                related_name="search_refreshes")
    previous = models.OneToOneField("self", verbose_name="上一次更新", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="next_refresh")
    refreshed_at = models.DateTimeField("更新时间")
    photo = models.ForeignKey("people.PersonPhoto", verbose_name="新照片", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    photo_added = models.BooleanField("新增照片", default=False)
    rematched = models.BooleanField("重新比对", default=False)
    match_result = models.CharField("比对结果", max_length=200, blank=True)
    republished = models.CharField("重新发布寻亲公告（渠道、日期）", max_length=200, blank=True)
    note = BoundedTextField("说明", max_length=NOTE, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")

    scope_field = "episode__station"

    class Meta:
        ordering = ["-refreshed_at"]
        verbose_name = verbose_name_plural = "寻亲信息更新"
        constraints = [
            # A refresh does something: a photo, a comparison or a re-publication (an empty record meets nothing).
            models.CheckConstraint(condition=Q(photo_added=True) | Q(rematched=True) | ~Q(republished=""),
                                   name="stay_search_refresh_does_something"),
        ]
        indexes = [models.Index(fields=["episode", "refreshed_at"])]
