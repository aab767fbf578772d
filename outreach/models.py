"""Street outreach (街面巡查与发现报告, rules P1–P3): sightings reported by the public or taken by phone, owned
by the station that took them until handled or formally handed over (首接责任制); patrols with the people met
and what was done for each group; the hot-spot register per county.

Scoping: a sighting belongs to its owning station (and, read-only, to the stations it passed through); a patrol
and its encounters to the organisation that ran it (station, police, 城管); a hot spot to the organisation that
keeps the county's register."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import Division, Organisation, TimeStamped

DESCRIPTION_MAX = 500


def photo_upload_to(instance, filename: str) -> str:
    return f"outreach/{uuid.uuid4().hex}.jpg"


class SightingSource(models.TextChoices):
    PUBLIC = "public", "群众网上报告"
    CALL_110 = "110", "110 转来"
    CALL_12345 = "12345", "12345 转来"
    HOTLINE = "hotline", "救助热线来电"
    VOLUNTEER = "volunteer", "志愿者"
    TAXI = "taxi", "出租车司机"
    SANITATION = "sanitation", "环卫工人"
    SECURITY = "security", "保安"
    PATROL = "patrol", "巡查发现"
    OTHER = "other", "其他"


class SightingStatus(models.TextChoices):
    RECEIVED = "received", "已接报"
    DISPATCHED = "dispatched", "已派出"
    ARRIVED = "arrived", "已到场"
    CLOSED = "closed", "已处置"


#: Allowed transitions (STYLE habit 6). A formal handover changes the owner, not the status.
SIGHTING_TRANSITIONS = {
    SightingStatus.RECEIVED: {SightingStatus.DISPATCHED, SightingStatus.CLOSED},
    SightingStatus.DISPATCHED: {SightingStatus.ARRIVED, SightingStatus.CLOSED},
    SightingStatus.ARRIVED: {SightingStatus.CLOSED},
    SightingStatus.CLOSED: set(),
}


class Outcome(models.TextChoices):
    """What was done for the person (rule P2)."""

    BROUGHT_IN = "brought_in", "引导/护送到站，已登记求助"
    GUIDED = "guided", "告知救助政策并引导"
    ESCORTED = "escorted", "护送至救助管理机构"
    EMERGENCY = "emergency", "送医救治（先救治、后救助）"
    URGENT_POLICE = "urgent_police", "疑似走失、被遗弃或被拐卖，紧急报告公安"
    DECLINED = "declined", "本人拒绝救助（已告知政策）"
    NOT_FOUND = "not_found", "到场未找到"
    OTHER = "other", "其他"


class Sighting(TimeStamped):
    """Someone in need seen on the street (rule P1), from the public page or a call taken by staff."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("编号", max_length=32, unique=True)
    station = models.ForeignKey(
        Organisation, verbose_name="首接责任机构", on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField("来源", max_length=12, choices=SightingSource.choices)
    received_at = models.DateTimeField("接报时间", db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接报人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place = models.CharField("地点", max_length=200)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    description = models.CharField("人员情况（外貌、衣着、状态）", max_length=DESCRIPTION_MAX)
    reporter_name = models.CharField("报告人", max_length=50, blank=True)
    reporter_phone = models.CharField("回拨电话", max_length=40, blank=True)
    photo = models.FileField("照片", upload_to=photo_upload_to, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=SightingStatus.choices, default=SightingStatus.RECEIVED, db_index=True
    )
    dispatched_at = models.DateTimeField("派出时间", null=True, blank=True)
    dispatched_to = models.CharField("派往（巡查组）", max_length=100, blank=True)
    arrived_at = models.DateTimeField("到场时间", null=True, blank=True)
    closed_at = models.DateTimeField("处置完毕时间", null=True, blank=True)
    outcome = models.CharField("处置结果", max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField("处置情况", max_length=DESCRIPTION_MAX, blank=True)
    episode = models.ForeignKey(
        "people.Episode",
        verbose_name="求助登记",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: Stations that owned it before a formal handover (they keep read access to what they handed over).
    previous_stations = models.ManyToManyField(
        Organisation, verbose_name="曾经负责的机构", blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = verbose_name_plural = "发现报告"
        indexes = [models.Index(fields=["station", "status", "received_at"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(station_id__in=org_ids) | Q(previous_stations__in=org_ids)

    def __str__(self) -> str:
        return f"{self.number} {self.place}"


class SightingHandover(TimeStamped):
    """A formal handover of a sighting to another station (首接责任制: the first station owns it until then)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sighting = models.ForeignKey(Sighting, on_delete=models.CASCADE, related_name="handovers")
    from_station = models.ForeignKey(
        Organisation, verbose_name="移交机构", on_delete=models.PROTECT, related_name="+"
    )
    to_station = models.ForeignKey(
        Organisation, verbose_name="接收机构", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("移交时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField("移交原因", max_length=200)

    class Meta:
        ordering = ["at"]
        verbose_name = verbose_name_plural = "发现报告移交"


class HotSpotKind(models.TextChoices):
    BRIDGE = "bridge", "桥梁涵洞"
    UNDERPASS = "underpass", "地下通道"
    HEATING = "heating", "供热管道"
    ABANDONED = "abandoned", "废弃房屋"
    STATION = "station", "火车站、汽车站"
    OTHER = "other", "其他"


class HotSpot(TimeStamped):
    """A place where people sleep rough (重点区域, rule P3), in the county register of its keeper."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name="登记机构", on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        Division, verbose_name="所在县（区）", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("类型", max_length=12, choices=HotSpotKind.choices)
    name = models.CharField("名称", max_length=100)
    address = models.CharField("地址", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField("在用", default=True)

    scope_field = "organisation"

    class Meta:
        ordering = ["county__code", "kind", "name"]
        verbose_name = verbose_name_plural = "重点区域"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="outreach_hotspot_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class Patrol(TimeStamped):
    """One patrol shift (rule P2): team, route, hot spots covered, people met."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_uuid = models.UUIDField(
        "客户端编号", unique=True, null=True, blank=True, help_text="手机离线登记时生成，重发不会重复保存"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="巡查单位", on_delete=models.PROTECT, related_name="+"
    )
    team = models.CharField("巡查组/人员", max_length=100)
    route = models.CharField("巡查路线", max_length=300, blank=True)
    started_at = models.DateTimeField("开始时间", db_index=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    hot_spots = models.ManyToManyField(
        HotSpot, verbose_name="覆盖的重点区域", blank=True, related_name="patrols"
    )
    note = models.CharField("备注", max_length=DESCRIPTION_MAX, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "organisation"

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = verbose_name_plural = "巡查记录"

    def __str__(self) -> str:
        return f"{self.team} {self.started_at:%Y-%m-%d}"


class Group(models.TextChoices):
    """Rule P2: who the person is decides what must be done."""

    ABLE = "able", "有劳动能力的成年人"
    DISABLED = "disabled", "残疾人"
    MINOR = "minor", "未成年人"
    ELDERLY = "elderly", "老年人"
    LIMITED_MOBILITY = "limited_mobility", "行动不便者"
    SICK = "sick", "危重病人、精神障碍患者"
    SUSPECTED_VICTIM = "suspected_victim", "疑似走失、被遗弃或被拐卖"


#: Rule P2: the outcomes allowed for each group (the able-bodied are told and guided; the disabled, minors,
#: elderly and people with limited mobility escorted; the sick sent for emergency care; suspected lost,
#: abandoned or trafficked people reported to the police urgently). Declining help is possible for adults
#: only; nobody may be kept against their will (rule N1).
GROUP_OUTCOMES = {
    Group.ABLE: {Outcome.GUIDED, Outcome.BROUGHT_IN, Outcome.ESCORTED, Outcome.DECLINED, Outcome.EMERGENCY},
    Group.DISABLED: {Outcome.ESCORTED, Outcome.BROUGHT_IN, Outcome.EMERGENCY, Outcome.DECLINED},
    Group.MINOR: {Outcome.ESCORTED, Outcome.BROUGHT_IN, Outcome.EMERGENCY, Outcome.URGENT_POLICE},
    Group.ELDERLY: {Outcome.ESCORTED, Outcome.BROUGHT_IN, Outcome.EMERGENCY, Outcome.DECLINED},
    Group.LIMITED_MOBILITY: {Outcome.ESCORTED, Outcome.BROUGHT_IN, Outcome.EMERGENCY},
    Group.SICK: {Outcome.EMERGENCY},
    Group.SUSPECTED_VICTIM: {Outcome.URGENT_POLICE},
}


class Encounter(TimeStamped):
    """One person met on a patrol and what was done (rule P2); may become an intake when the person comes in."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_uuid = models.UUIDField("客户端编号", unique=True, null=True, blank=True)
    patrol = models.ForeignKey(
        Patrol, verbose_name="巡查", on_delete=models.PROTECT, related_name="encounters"
    )
    met_at = models.DateTimeField("发现时间")
    place = models.CharField("地点", max_length=200)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    hot_spot = models.ForeignKey(
        HotSpot, verbose_name="重点区域", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    group = models.CharField("人员类别", max_length=20, choices=Group.choices)
    sex = models.CharField("性别", max_length=2, choices=[("男", "男"), ("女", "女")], blank=True)
    age_guess = models.PositiveSmallIntegerField("估计年龄", null=True, blank=True)
    description = models.CharField("情况", max_length=DESCRIPTION_MAX)
    outcome = models.CharField("处置", max_length=16, choices=Outcome.choices)
    sighting = models.ForeignKey(
        Sighting,
        verbose_name="对应发现报告",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="encounters",
    )
    episode = models.ForeignKey(
        "people.Episode",
        verbose_name="求助登记",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-met_at", "-id"]
        verbose_name = verbose_name_plural = "巡查发现人员"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(patrol__organisation_id__in=org_ids)


class CampaignKind(models.TextChoices):
    SUMMER = "summer", "夏季送清凉"
    WINTER = "winter", "寒冬送温暖"


#: Rule P3: the campaign seasons (months, inclusive); winter runs over the new year.
CAMPAIGN_MONTHS = {CampaignKind.SUMMER: (7, 9), CampaignKind.WINTER: (11, 3)}


class Campaign(TimeStamped):
    """A seasonal campaign (专项救助行动, rule P3) of one organisation, as a configured period."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name="组织机构", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("专项行动", max_length=10, choices=CampaignKind.choices)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    note = models.CharField("说明", max_length=DESCRIPTION_MAX, blank=True)

    scope_field = "organisation"

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = verbose_name_plural = "专项救助行动"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "starts_on"], name="outreach_one_campaign_per_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.starts_on:%Y-%m-%d}—{self.ends_on:%Y-%m-%d}）"


class WeatherAlert(TimeStamped):
    """An extreme-weather alert during a campaign: every active hot spot gets a patrol task (rule P3)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(
        Campaign, verbose_name="专项行动", on_delete=models.PROTECT, related_name="alerts"
    )
    issued_at = models.DateTimeField("预警时间", db_index=True)
    weather = models.CharField("天气", max_length=50, help_text="如：寒潮蓝色预警、高温橙色预警")
    note = models.CharField("要求", max_length=DESCRIPTION_MAX, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT, related_name="+"
    )

    scope_field = "campaign__organisation"

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = verbose_name_plural = "极端天气预警"


class PatrolTask(TimeStamped):
    """Patrol this hot spot because of this alert; covered by the first patrol after the alert that covers it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    alert = models.ForeignKey(
        WeatherAlert, verbose_name="预警", on_delete=models.CASCADE, related_name="tasks"
    )
    hot_spot = models.ForeignKey(
        HotSpot, verbose_name="重点区域", on_delete=models.PROTECT, related_name="tasks"
    )
    covered_by = models.ForeignKey(
        Patrol, verbose_name="巡查", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    covered_at = models.DateTimeField("巡查时间", null=True, blank=True)

    scope_field = "alert__campaign__organisation"

    class Meta:
        ordering = ["hot_spot__name"]
        verbose_name = verbose_name_plural = "预警巡查任务"
        constraints = [
            models.UniqueConstraint(fields=["alert", "hot_spot"], name="outreach_one_task_per_spot")
        ]
