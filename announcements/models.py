"""Family-search announcements (寻亲公告, rule T3), their publication per channel, and clues from the public.

An announcement stores a *published snapshot*: exactly the details staff chose to publish, copied from
the person's file when the announcement is written. Later edits of the file never reach the public
board, and fields that were not chosen (ID number, name, marks not chosen, notes) are never stored here.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import NOTE, BoundedTextField
from core.models import Division, Organisation, TimeStamped
from people.models import Person, PersonPhoto


class AnnouncementStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤回"


#: Allowed state changes (the only ones the services accept).
ANNOUNCEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AnnouncementStatus.DRAFT: frozenset({AnnouncementStatus.PUBLISHED, AnnouncementStatus.WITHDRAWN}),
    AnnouncementStatus.PUBLISHED: frozenset({AnnouncementStatus.WITHDRAWN}),
    AnnouncementStatus.WITHDRAWN: frozenset(),
}

#: The details staff may choose to publish (rule T3: photo and basic details), in display order.
PUBLISHABLE_FIELDS = ("found_date", "found_place", "sex", "age", "height", "features", "statement")


class Announcement(TimeStamped):
    """One family-search announcement for one person, owned by the station that wrote it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField("公告编号", max_length=32, unique=True)
    person = models.ForeignKey(Person, verbose_name="受助人员", on_delete=models.PROTECT, related_name="announcements")
    station = models.ForeignKey(Organisation, verbose_name="发布机构", on_delete=models.PROTECT,
                                related_name="announcements")
    status = models.CharField("状态", max_length=16, choices=AnnouncementStatus.choices,
                              default=AnnouncementStatus.DRAFT, db_index=True)
    # --- the published snapshot: only what staff chose; empty when not chosen ---
    chosen = models.JSONField("公开的项目", default=list, blank=True)
    found_date = models.DateField("发现/求助日期", null=True, blank=True)
    found_place = models.CharField("发现地点", max_length=200, blank=True)
    found_division = models.ForeignKey(Division, verbose_name="发现地区划", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    sex = models.CharField("性别", max_length=2, blank=True)
    age_min = models.PositiveSmallIntegerField("估计年龄下限", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("估计年龄上限", null=True, blank=True)
    height_cm = models.PositiveSmallIntegerField("身高（厘米）", null=True, blank=True)
    features = BoundedTextField("体貌特征（公开）", max_length=NOTE, blank=True)
    statement = BoundedTextField("本人自述（公开）", max_length=NOTE, blank=True, help_text="面向公众撰写，如自述的地名、人名、口音")
    contact_phone = models.CharField("联系电话（公开）", max_length=40, blank=True)
    # --- life cycle ---
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撰写人", on_delete=models.PROTECT,
                                   related_name="+")
    published_at = models.DateTimeField("发布时间", null=True, blank=True, db_index=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撤回人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    withdrawn_reason = models.CharField("撤回原因", max_length=300, blank=True)
    # Issue 8 hole 11: a minor's announcement is published only with the station head's approval, and its
    # found place only to district (county) level.
    is_minor = models.BooleanField("未成年人", default=False)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="批准发布的站长", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)

    scope_field = "station"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "寻亲公告"
        indexes = [
            models.Index(fields=["status", "published_at"]),
            models.Index(fields=["person", "status"]),
            models.Index(fields=["station", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_min__isnull=True) | Q(age_max__isnull=True) | Q(age_min__lte=models.F("age_max")),
                name="announcement_age_range",
            ),
        ]

    def __str__(self) -> str:
        return f"寻亲公告 {self.code}"

    @property
    def is_live(self) -> bool:
        return self.status == AnnouncementStatus.PUBLISHED

    @property
    def age_label(self) -> str:
        if self.age_min is None and self.age_max is None:
            return ""
        if self.age_min == self.age_max or self.age_max is None:
            return f"约{self.age_min}岁"
        if self.age_min is None:
            return f"约{self.age_max}岁"
        return f"约{self.age_min}–{self.age_max}岁"

    @property
    def headline(self) -> str:
        """A short public title: sex and age only (never a name)."""
        parts = [p for p in (self.sex, self.age_label) if p]
        return "寻亲：" + ("，".join(parts) if parts else "身份不明人员")


class AnnouncementPhoto(TimeStamped):
    """A photo chosen for an announcement; its own UUID is the only photo identifier the public sees."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="photos")
    photo = models.ForeignKey(PersonPhoto, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = verbose_name_plural = "公告照片"
        constraints = [models.UniqueConstraint(fields=["announcement", "photo"], name="uniq_announcement_photo")]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(announcement__station_id__in=org_ids)


class Channel(models.TextChoices):
    BOARD = "board", "本系统寻亲平台"
    NATIONAL = "national", "全国救助寻亲网"
    TOUTIAO = "toutiao", "头条寻人"
    NEWSPAPER = "newspaper", "报纸"
    RADIO = "radio", "广播"
    TV = "tv", "电视"


class Publication(TimeStamped):
    """Rule T3: each channel and date an announcement went out on is recorded."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="publications")
    channel = models.CharField("发布渠道", max_length=16, choices=Channel.choices)
    published_on = models.DateField("发布日期")
    reference = models.CharField("刊发信息/链接/版面", max_length=300, blank=True)
    ended_at = models.DateTimeField("撤下时间", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["published_on", "id"]
        verbose_name = verbose_name_plural = "公告发布记录"
        indexes = [models.Index(fields=["channel", "published_on"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(announcement__station_id__in=org_ids)


class ClueStatus(models.TextChoices):
    NEW = "new", "新线索"
    FOLLOWING = "following", "跟进中"
    CONFIRMED = "confirmed", "已确认"
    NOT_RELEVANT = "not_relevant", "无关线索"
    CLOSED = "closed", "已随公告关闭"


CLUE_TRANSITIONS: dict[str, frozenset[str]] = {
    ClueStatus.NEW: frozenset({ClueStatus.FOLLOWING, ClueStatus.CONFIRMED, ClueStatus.NOT_RELEVANT}),
    ClueStatus.FOLLOWING: frozenset({ClueStatus.CONFIRMED, ClueStatus.NOT_RELEVANT}),
    ClueStatus.NOT_RELEVANT: frozenset({ClueStatus.FOLLOWING}),
    ClueStatus.CONFIRMED: frozenset(),
    ClueStatus.CLOSED: frozenset(),
}
OPEN_CLUE_STATES = (ClueStatus.NEW, ClueStatus.FOLLOWING)


def clue_photo_upload_to(instance: "Clue", filename: str) -> str:
    return f"clues/{instance.announcement.uuid}/{uuid.uuid4().hex}.jpg"


class Clue(TimeStamped):
    """A clue (线索) a family sent from the public board; read only by the owning station's staff."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    announcement = models.ForeignKey(Announcement, verbose_name="公告", on_delete=models.PROTECT, related_name="clues")
    #: A number the family can quote when they call (XS-年月日-序号); blank only on clues from before it existed.
    reference = models.CharField("线索编号", max_length=24, blank=True, db_index=True)
    name = models.CharField("提供人姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=30)
    relationship = models.CharField("与走失者关系", max_length=30)
    content = BoundedTextField("线索内容", max_length=NOTE)
    photo = models.FileField("照片", upload_to=clue_photo_upload_to, blank=True)
    status = models.CharField("状态", max_length=16, choices=ClueStatus.choices, default=ClueStatus.NEW,
                              db_index=True)
    status_note = models.CharField("处理说明", max_length=300, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)
    identity_confirmed_at = models.DateTimeField("据此确认身份时间", null=True, blank=True)
    ip = models.GenericIPAddressField("提交 IP", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "寻亲线索"
        indexes = [models.Index(fields=["status", "created_at"])]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(announcement__station_id__in=org_ids)

    def __str__(self) -> str:
        return f"线索（{self.announcement.code}，{self.name}）"


class ClueThrottle(models.Model):
    """One clue submission attempt, keyed by a hash of the IP or the phone (rate limit across processes).

    Holds no personal data in clear: keys are keyed hashes. Rows older than a day are pruned.
    """

    key = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "线索提交频率记录"
        indexes = [models.Index(fields=["key", "at"])]
