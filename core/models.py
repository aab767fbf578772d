"""Divisions, organisations, users with roles, API tokens and the audit log."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class TimeStamped(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "地级"
    COUNTY = "county", "县级"
    TOWNSHIP = "township", "乡级（乡镇/街道）"
    VILLAGE = "village", "村级（村/居）"


class Division(TimeStamped):
    """An administrative division with its GB/T 2260 code (6 digits; 9 for townships, 12 for villages)."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("级别", max_length=16, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    full_name = models.CharField("全称", max_length=200, blank=True)
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "行政区划"
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.full_name or self.name


class OrgKind(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", "民政部门"
    STATION = "station", "救助管理站"
    REGIONAL_CENTRE = "regional_centre", "救助管理区域性中心"
    MINOR_CENTRE = "minor_centre", "未成年人救助保护中心"
    CARE_FACILITY = "care_facility", "托养机构"
    HOSPITAL = "hospital", "定点医疗机构"
    POLICE = "police", "公安机关"
    CHENGGUAN = "chengguan", "城管部门"
    TOWNSHIP = "township", "乡镇/街道"
    VILLAGE = "village", "村/居委会"
    SUPERVISION = "supervision", "监督组"


#: Organisations that take people in and hold episodes (救助管理机构).
STATION_KINDS = (OrgKind.STATION, OrgKind.REGIONAL_CENTRE, OrgKind.MINOR_CENTRE)


class Organisation(TimeStamped):
    """Any body that takes part in rescue work; `supervisor` is the body that oversees it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("机构名称", max_length=100, unique=True)
    code = models.CharField(
        "机构编码", max_length=16, unique=True, help_text="用于档案号、救助编号，如 QYZ（字母数字）"
    )
    short_name = models.CharField("简称", max_length=20, blank=True, help_text="用于临时姓名，如“清远站”")
    kind = models.CharField("机构类型", max_length=32, choices=OrgKind.choices)
    division = models.ForeignKey(Division, verbose_name="所在区划", on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(
        "self",
        verbose_name="主管/监督机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised",
    )
    region = models.ManyToManyField(
        Division, verbose_name="服务区域（区域性中心）", blank=True, related_name="regional_centres"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("电话", max_length=40, blank=True)
    bed_capacity = models.PositiveIntegerField("核定床位", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)

    scope_field = "id"

    class Meta:
        ordering = ["division__code", "name"]
        verbose_name = verbose_name_plural = "机构"

    def __str__(self) -> str:
        return self.name

    @property
    def is_station(self) -> bool:
        return self.kind in STATION_KINDS

    @property
    def display_short(self) -> str:
        return self.short_name or self.name


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    SECURITY = "security", "安全管理员"
    HEAD = "head", "站长"
    RECEPTION = "reception", "接待员"
    TRACER = "tracer", "寻亲员"
    CARER = "carer", "照料员"
    MEDICAL = "medical", "医护人员"
    SUPERVISOR = "supervisor", "民政监管员"
    POLICE = "police", "公安协查员"
    STATISTICIAN = "statistician", "统计员"
    PANEL = "panel", "监督员"
    AUDITOR = "auditor", "审计管理员"


class User(AbstractUser):
    """A person working in one organisation, holding one or more roles."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属机构", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    # Password policy (core/passwords.py): set when an administrator sets the password, cleared by the user's own.
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    scope_field = "organisation"

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def role_codes(self) -> set[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = set(self.user_roles.values_list("role", flat=True)) if self.pk else set()
            self._role_codes = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [Role(code).label for code in sorted(self.role_codes)]

    @property
    def is_demo_exempt(self) -> bool:
        """In demo mode only, the printed demo accounts log in with the printed password alone."""
        from django.conf import settings

        if not settings.GUITU_DEMO:
            return False
        from core.demo import DEMO_USERNAMES

        return self.username in DEMO_USERNAMES


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords (rule: a new password repeats none of the last five)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "历史密码"


class KeyFingerprint(models.Model):
    """Fingerprints of the keys the data was written with (core/keycheck.py); a mismatch stops startup."""

    name = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "密钥指纹"


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_roles")
    role = models.CharField("角色", max_length=32, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="uniq_user_role")]
        indexes = [models.Index(fields=["role"])]
        verbose_name = verbose_name_plural = "用户角色"


class ApiToken(TimeStamped):
    """A bearer token for the API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "API 令牌"


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    TRANSITION = "transition", "状态变更"
    VIEW = "view", "查阅档案"
    REVEAL = "reveal", "查看身份证号"
    EXPORT = "export", "导出/打印"
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    READ = "read", "查阅数据"
    DENIED = "denied", "拒绝访问"


#: Actions that record a change of the records (reads, exports, logins and refusals change nothing).
WRITE_ACTIONS = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE, AuditAction.TRANSITION)


class AuditImmutable(Exception):
    """The audit log is append-only: a row is never changed, and deleted only by the retention purge."""


class AuditEntryQuerySet(models.QuerySet):
    """Append-only at the ORM: ``update``/``delete`` refuse; only ``core.auditchain.purge`` removes old rows.

    Tampering below the ORM is what the hash chain detects (``manage.py audit_verify``); UPDATE is also refused
    by a database trigger on both databases (migration 0007)."""

    def update(self, **kwargs):
        raise AuditImmutable("审计日志只能追加，不能修改。")

    def delete(self):
        raise AuditImmutable("审计日志只能追加，不能删除；保存期满的记录由 manage.py audit_purge 清理。")

    def _purge(self) -> int:
        """Delete these rows (the retention purge only, after the chain verified and was anchored)."""
        return self._raw_delete(self.db)


class AuditEntry(models.Model):
    """Who did what, when, to which object, with field-level changes (rule E4: 全程留痕)."""

    # Set by core.audit before the row is hashed (auto_now_add would change it after hashing).
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    # PROTECT: an audited user or organisation is deactivated, never deleted (the row's hash covers both ids).
    actor = models.ForeignKey(User, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField("操作人姓名", max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name="数据所属机构", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField("操作", max_length=16, choices=AuditAction.choices)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象标识", max_length=64, blank=True)
    person_uuid = models.UUIDField("相关人员档案", null=True, blank=True, db_index=True)
    summary = models.CharField("摘要", max_length=300)
    changes = models.JSONField("字段变更", default=dict, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    # Tamper evidence (core/auditchain.py): each row's HMAC covers its content and the previous row's hash.
    prev_hash = models.CharField("上一条哈希", max_length=64, blank=True, editable=False)
    hash = models.CharField("哈希", max_length=64, blank=True, editable=False)

    objects = AuditEntryQuerySet.as_manager()
    scope_field = "organisation"

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "审计日志"
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["organisation", "at"]),
            models.Index(fields=["actor", "at"]),
            # "What did this user do", "who looked at this file", an organisation's entries: newest first in the
            # chain's order without a sort (issue 9; on PostgreSQL the table is partitioned by month, migration 0008).
            models.Index(fields=["actor", "-id"], name="core_audit_actor_id_desc"),
            models.Index(fields=["person_uuid", "-id"], name="core_audit_person_id_desc"),
            models.Index(fields=["organisation", "-id"], name="core_audit_org_id_desc"),
            models.Index(fields=["object_id", "-id"], name="core_audit_object_id_desc"),
            # "The newest change to this organisation's data / by this user" (the 待办 badge's cache key): only the
            # writes, so reads — far more numerous, and every one audited — are never walked past.
            models.Index(fields=["organisation", "-id"], name="core_audit_org_write_desc",
                         condition=models.Q(action__in=WRITE_ACTIONS)),
            models.Index(fields=["actor", "-id"], name="core_audit_actor_write_desc",
                         condition=models.Q(action__in=WRITE_ACTIONS)),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AuditImmutable("审计日志只能追加，不能修改。")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("审计日志只能追加，不能删除；保存期满的记录由 manage.py audit_purge 清理。")


class AuditChainHead(models.Model):
    """The audit chain's newest row (PostgreSQL only): kept by a trigger on every insert into the audit table
    (migration 0010), so a new row finds the hash to chain to in one primary-key read instead of looking for the
    newest of ten years' monthly partitions (~10 ms of planning per write at 120 partitions).

    Derived state: not in backups (a restore's inserts rebuild it) and never trusted blindly — empty (a fresh or
    flushed database) means "look the newest row up"."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField("最新记录编号")
    last_hash = models.CharField("最新记录哈希", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "审计链头"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="core_auditchainhead_single_row")]

    def __str__(self) -> str:
        return f"#{self.last_id} {self.last_hash[:12]}"


class CheckpointKind(models.TextChoices):
    PURGE = "purge", "保存期满清理"
    SEAL = "seal", "定期封存"


class AuditCheckpoint(models.Model):
    """A signed point of the audit hash chain: where a retention purge cut it (the new start of the chain),
    or a periodic seal of its head (so deleting the newest rows is noticed too)."""

    kind = models.CharField("类型", max_length=8, choices=CheckpointKind.choices)
    created_at = models.DateTimeField("时间", default=timezone.now)
    last_id = models.BigIntegerField("截至记录编号")
    last_hash = models.CharField("截至记录哈希", max_length=64, blank=True)
    rows = models.BigIntegerField("涉及记录数", default=0)
    cutoff = models.DateTimeField("清理截止时间", null=True, blank=True)
    signature = models.CharField("签名", max_length=64)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "审计链检查点"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.last_id}"
