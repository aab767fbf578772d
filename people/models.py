"""The person's lifelong file (一人一档, rule E4) and their episodes (救助过程)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.fields import CIPHERTEXT, NOTE, BoundedTextField
from core.models import Division, Organisation, TimeStamped
from people.states import CLOSED, IN_CARE, STATUS_LABELS, EpisodeStatus

#: Statuses of an episode that is not over (requested or in care); literal values so migrations stay stable.
OPEN_STATUSES = sorted(s.value for s in EpisodeStatus if s not in CLOSED)
IN_CARE_STATUSES = sorted(s.value for s in IN_CARE)


class Sex(models.TextChoices):
    MALE = "男", "男"
    FEMALE = "女", "女"
    UNKNOWN = "", "不详"


class IdentityStatus(models.TextChoices):
    IDENTIFIED = "identified", "已查明"
    UNIDENTIFIED = "unidentified", "未查明"
    PENDING = "pending", "待核实"


class Build(models.TextChoices):
    THIN = "thin", "偏瘦"
    MEDIUM = "medium", "中等"
    HEAVY = "heavy", "偏胖"
    UNKNOWN = "", "不详"


#: Rule I8 special groups and the flags rules N5 and N9 depend on, in display order.
SPECIAL_GROUP_FIELDS = ("is_minor", "is_elderly", "has_disability", "has_mental_disorder", "has_intellectual_disability",
                        "limited_mobility", "is_pregnant", "suspected_foreign")


def tripled(text: str) -> str:
    """Every character three times: substring search of any length through trigrams (``Person.name_grams``)."""
    return "".join(ch * 3 for ch in text)


def search_columns(name: str, aliases: str, pinyin: str) -> tuple[str, str]:
    """``(name_pinyin_flat, name_grams)`` of a file (kept in step by ``Person.save``, the migration and
    the benchmark fill). Aliases are split on ; and ；, each tripled, separated by a space."""
    parts = [name or ""] + [a.strip() for a in (aliases or "").replace("；", ";").split(";") if a.strip()]
    return (pinyin or "").replace(" ", ""), " ".join(tripled(p.lower()) for p in parts if p)[:800]


class Person(TimeStamped):
    """One person, one lifelong file across stations and episodes."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file_no = models.CharField("档案号", max_length=32, unique=True)
    name = models.CharField("姓名", max_length=50, db_index=True)
    name_is_provisional = models.BooleanField("临时姓名", default=False, help_text="身份不明时按“无名氏-站-年-序号”编定")
    name_pinyin = models.CharField("姓名拼音", max_length=200, blank=True, db_index=True)
    name_initials = models.CharField("拼音首字母", max_length=20, blank=True, db_index=True)
    # Search columns (issue 9), derived on save (``search_columns``): the pinyin without spaces for prefix
    # search ("zhangw" → 张伟; a ``LIKE 'x%'`` btree index on PostgreSQL), and the name and aliases with
    # every character written three times for substring search through a pg_trgm index (a one- or
    # two-character Chinese query has no trigram of its own; tripled, "伟" is the trigram "伟伟伟").
    name_pinyin_flat = models.CharField("姓名拼音（连写）", max_length=200, blank=True, db_index=True, editable=False)
    name_grams = models.CharField("姓名检索串", max_length=800, blank=True, editable=False)
    aliases = models.CharField("曾用名/别名", max_length=200, blank=True, help_text="多个用分号分隔")
    sex = models.CharField("性别", max_length=2, choices=Sex.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    birth_year_est = models.PositiveSmallIntegerField("估计出生年份", null=True, blank=True)
    age_min = models.PositiveSmallIntegerField("估计年龄下限", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("估计年龄上限", null=True, blank=True)
    id_number_enc = BoundedTextField("身份证号（加密）", max_length=CIPHERTEXT, blank=True)
    id_number_hash = models.CharField("身份证号索引", max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=20, blank=True)
    # a number said from memory or copied by hand that fails its check (GB 11643): never an ID number, kept only so
    # matching can find the number one digit away (core.idnumbers.store_id_number, keep_unchecked)
    id_number_unchecked_enc = BoundedTextField("自述身份证号（校验未通过，加密）", max_length=CIPHERTEXT, blank=True)
    id_number_unchecked_masked = models.CharField("自述身份证号（校验未通过，脱敏）", max_length=20, blank=True)
    ethnicity = models.CharField("民族", max_length=20, blank=True)
    hukou_division = models.ForeignKey(
        Division, verbose_name="户籍地区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hukou_text = models.CharField("户籍地址", max_length=200, blank=True)
    residence_text = models.CharField("现居住地", max_length=200, blank=True)
    dialect = models.CharField("方言/口音", max_length=50, blank=True)
    height_cm = models.PositiveSmallIntegerField("身高（厘米）", null=True, blank=True)
    build = models.CharField("体型", max_length=10, choices=Build.choices, blank=True)
    marks = BoundedTextField("体貌特征/标记", max_length=NOTE, blank=True, help_text="胎记、疤痕、纹身、残疾部位等")
    is_minor = models.BooleanField("未成年人", default=False)
    is_elderly = models.BooleanField("老年人", default=False)
    has_disability = models.BooleanField("残疾", default=False)
    has_mental_disorder = models.BooleanField("精神障碍（疑似）", default=False)
    has_intellectual_disability = models.BooleanField("智力障碍（疑似）", default=False)  # rule N5
    limited_mobility = models.BooleanField("行动不便", default=False)  # rule N9
    is_pregnant = models.BooleanField("孕妇", default=False)
    suspected_foreign = models.BooleanField("疑似外籍", default=False)
    identity_status = models.CharField(
        "身份状态", max_length=16, choices=IdentityStatus.choices, default=IdentityStatus.UNIDENTIFIED, db_index=True
    )
    registered_by = models.ForeignKey(
        Organisation, verbose_name="建档机构", on_delete=models.PROTECT, related_name="registered_people"
    )
    # Organisation currently responsible (the station of the latest episode); denormalised for fast lists.
    current_station = models.ForeignKey(
        Organisation, verbose_name="当前所在机构", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", verbose_name="已合并到", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "人员档案"
        indexes = [
            models.Index(fields=["sex", "birth_year_est"]),
            models.Index(fields=["current_station", "identity_status"]),
            models.Index(fields=["created_at", "id"], name="person_created_id"),  # the file list's keyset
        ]
        constraints = [
            # rule E4 (one person, one file), issue 8 hole 5: one live file per ID number; a merged file
            # keeps its number (history) but is not live. people.services turns a violation into a
            # Chinese message pointing at the existing file.
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=Q(merged_into__isnull=True) & ~Q(id_number_hash=""),
                name="one_live_file_per_id_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.file_no}）"

    def save(self, *args, **kwargs):
        self.name_pinyin_flat, self.name_grams = search_columns(self.name, self.aliases, self.name_pinyin)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "aliases", "name_pinyin"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "name_pinyin_flat", "name_grams"}
        super().save(*args, **kwargs)

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # A station sees everyone it ever registered or held; the file is lifelong (rule E4). One
        # correlated EXISTS on the membership table: lists walk the created_at index and stop at a page.
        return Q(Exists(PersonStation.objects.filter(person_id=OuterRef("pk"), station_id__in=org_ids)))

    @property
    def birth_year(self) -> int | None:
        return self.birth_date.year if self.birth_date else self.birth_year_est

    def age_on(self, day) -> int | None:
        if self.birth_date:
            return day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))
        if self.birth_year_est:
            return day.year - self.birth_year_est
        return None

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    @property
    def special_groups(self) -> list[str]:
        labels = []
        for field in SPECIAL_GROUP_FIELDS:
            if getattr(self, field):
                labels.append(self._meta.get_field(field).verbose_name)
        return labels


def photo_upload_to(instance: "PersonPhoto", filename: str) -> str:
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "jpg").lower()[:5]
    return f"photos/{instance.person.uuid}/{uuid.uuid4().hex}.{ext}"


class PhotoKind(models.TextChoices):
    PORTRAIT = "portrait", "人像照片"
    FULL_BODY = "full_body", "全身照"
    FEATURE = "feature", "体貌特征照"
    FINGERPRINT = "fingerprint", "指纹"
    DOCUMENT = "document", "证件"


class PersonPhoto(TimeStamped):
    """A photo of a person; served only by a scoped view, never from a public URL."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField("照片", upload_to=photo_upload_to)
    kind = models.CharField("类型", max_length=16, choices=PhotoKind.choices, default=PhotoKind.PORTRAIT)
    taken_on = models.DateField("拍摄日期")
    note = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")


    class Meta:
        ordering = ["-taken_on", "-created_at"]
        verbose_name = verbose_name_plural = "人员照片"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(person__in=Person.objects.filter(Person.scope_q(org_ids)).values("id"))


class FamilyContact(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("姓名", max_length=50)
    relationship = models.CharField("关系", max_length=20)
    phone = models.CharField("电话", max_length=40, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "亲属联系人"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(person__in=Person.objects.filter(Person.scope_q(org_ids)).values("id"))


class Channel(models.TextChoices):
    WALK_IN = "walk_in", "主动求助（来站）"
    PHONE = "phone", "电话求助"
    POLICE = "police", "公安护送"
    CHENGGUAN = "chengguan", "城管护送"
    PUBLIC_REPORT = "public_report", "群众报告/街面发现"
    TRANSFER_IN = "transfer_in", "其他机构转入"


class Episode(TimeStamped):
    """One episode of help, from the request to leaving, at one station."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("救助编号", max_length=32, unique=True)
    person = models.ForeignKey(Person, verbose_name="受助人员", on_delete=models.PROTECT, related_name="episodes")
    station = models.ForeignKey(Organisation, verbose_name="救助机构", on_delete=models.PROTECT, related_name="episodes")
    status = models.CharField(
        "状态",
        max_length=16,
        choices=[(s.value, STATUS_LABELS[s]) for s in EpisodeStatus],
        default=EpisodeStatus.REQUESTED,
    )
    channel = models.CharField("求助方式", max_length=16, choices=Channel.choices)
    requested_at = models.DateTimeField("求助时间")
    admitted_at = models.DateTimeField("入站时间", null=True, blank=True)
    left_at = models.DateTimeField("离站时间", null=True, blank=True)
    closed_reason = models.CharField("结束原因", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    flag_repeat_requests = models.BooleanField("重点甄别（6个月内求助3次以上）", default=False)  # rule I6
    flag_foreign = models.BooleanField("疑似外籍人员（须报公安核实）", default=False)  # rule I7

    scope_field = "station"

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = verbose_name_plural = "救助过程"
        indexes = [
            models.Index(fields=["station", "status", "requested_at"]),
            models.Index(fields=["status", "admitted_at"]),
            models.Index(fields=["person", "requested_at"]),
            models.Index(fields=["person", "status"], name="episode_person_status"),
            models.Index(fields=["requested_at", "id"], name="episode_requested_id"),  # newest-first keyset lists
            # the in-care board and the dashboard touch only the open episodes, never the history (issue 9)
            models.Index(fields=["admitted_at", "id"], name="episode_in_care", condition=Q(status__in=IN_CARE_STATUSES)),
            models.Index(fields=["station", "status"], name="episode_open_by_station",
                         condition=Q(status__in=OPEN_STATUSES)),
            # "in care at a date" (campaign table, rule N5 stock): admitted, left after the date or not at all
            models.Index(fields=["station", "left_at"], condition=models.Q(admitted_at__isnull=False),
                         name="episode_in_care_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(admitted_at__isnull=True) | Q(left_at__gte=models.F("admitted_at")),
                name="episode_left_after_admitted",
            ),
            # Issue 8 hole 5: at most one open episode per person, even under simultaneous
            # registrations; people.services.episode_open answers the losing request in Chinese.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=OPEN_STATUSES),
                name="one_open_episode_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.person.name}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def stranded_days(self, now=None) -> int:
        """Whole days since entry (admission), up to leaving or now."""
        if not self.admitted_at:
            return 0
        end = self.left_at or now or timezone.now()
        return max(0, (end - self.admitted_at).days)


class EpisodeTransition(models.Model):
    """Every state change of an episode, with who and when."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField("原状态", max_length=16, blank=True)
    to_status = models.CharField("新状态", max_length=16)
    at = models.DateTimeField("时间")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = verbose_name_plural = "状态变更记录"

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        return Q(episode__station_id__in=org_ids)

    @property
    def from_label(self) -> str:
        return STATUS_LABELS.get(self.from_status, "—")

    @property
    def to_label(self) -> str:
        return STATUS_LABELS.get(self.to_status, self.to_status)


class PersonStation(models.Model):
    """Which stations a file belongs to: the registering station and every station that held the person.

    Written by people.services (person_create, episode_open); the scoping of files reads it.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="station_links")
    station = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField("起始时间", default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "person"], name="uniq_person_station")]


class Sequence(models.Model):
    """Counters for file numbers and provisional names, per key (e.g. station + year)."""

    key = models.CharField(max_length=64, unique=True)
    value = models.PositiveIntegerField(default=0)


class ShareStatus(models.TextChoices):
    PENDING = "pending", "待处理"
    ACCEPTED = "accepted", "已同意"
    DECLINED = "declined", "已拒绝"


class ShareRequest(TimeStamped):
    """A station asks the station holding a file to share it (issue 8 hole 2; rule E4: one person, one file).

    Raised when the duplicate query finds the person's file outside the asking station's scope. On
    acceptance the asking station joins the file (``PersonStation``) and may attach its request to it.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, verbose_name="人员档案", on_delete=models.PROTECT, related_name="share_requests")
    requesting_station = models.ForeignKey(Organisation, verbose_name="申请机构", on_delete=models.PROTECT,
                                           related_name="share_requests_sent")
    holding_station = models.ForeignKey(Organisation, verbose_name="档案所在机构", on_delete=models.PROTECT,
                                        related_name="share_requests_received")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT,
                                     related_name="+")
    reason = models.CharField("申请理由", max_length=300)
    status = models.CharField("状态", max_length=16, choices=ShareStatus.choices, default=ShareStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decision_note = models.CharField("处理说明", max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "档案共享申请"
        constraints = [
            models.UniqueConstraint(fields=["person", "requesting_station"], condition=Q(status="pending"),
                                    name="one_pending_share_request"),
        ]

    @classmethod
    def scope_q(cls, org_ids) -> Q:
        # both ends see it: the asking station (its outbox) and the holding station (its inbox)
        return Q(requesting_station_id__in=org_ids) | Q(holding_station_id__in=org_ids)
