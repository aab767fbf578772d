"""Writes to divisions, organisations, users and API tokens — each in a transaction, each audited."""

import hashlib
import secrets
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import policies
from core.audit import audit, audit_create, diff, snapshot
from core.models import ApiToken, AuditAction, Division, DivisionLevel, Organisation, Role, User, UserRole
from core.scoping import division_prefix, visible_divisions, visible_org_ids

_CHILD_LEVEL = {
    DivisionLevel.COUNTY: (DivisionLevel.TOWNSHIP, 9),
    DivisionLevel.TOWNSHIP: (DivisionLevel.VILLAGE, 12),
}


def _require_admin(by: User) -> None:
    if not (by.is_superuser or by.has_role(Role.ADMIN, Role.SECURITY)):
        raise PermissionDenied("只有系统管理员或安全管理员可以管理机构、用户和区划。")


@transaction.atomic
def division_create(*, by: User, parent: Division, code: str, name: str) -> Division:
    """Add a township under a county or a village under a township (GB/T 2260 extended codes)."""
    _require_admin(by)
    if parent.level not in _CHILD_LEVEL:
        raise ValidationError({"parent": "只能在县级区划下添加乡镇/街道，或在乡镇/街道下添加村/居。"})
    level, length = _CHILD_LEVEL[parent.level]
    code = (code or "").strip()
    errors = {}
    if not (code.isdigit() and len(code) == length):
        errors["code"] = f"{level.label}区划代码应为{length}位数字。"
    elif not code.startswith(parent.code if len(parent.code) > 6 else division_prefix(parent.code)[:6]):
        errors["code"] = f"区划代码应以上级区划代码 {parent.code} 开头。"
    elif Division.objects.filter(code=code).exists():
        errors["code"] = "该区划代码已存在。"
    if not (name or "").strip():
        errors["name"] = "请填写名称。"
    if errors:
        raise ValidationError(errors)
    division = Division.objects.create(code=code, name=name.strip(), level=level, parent=parent,
                                       full_name=f"{parent.full_name or parent.name}{name.strip()}")
    audit_create(actor=by, obj=division, summary=f"新增区划 {code} {division.name}", organisation=by.organisation)
    return division


def _check_org_scope(by: User, org: Organisation | None) -> None:
    if org is not None and not by.is_superuser and org.pk not in visible_org_ids(by):
        raise PermissionDenied("该机构不在您的管理范围内。")


def organisation_snapshot(org: Organisation) -> dict[str, Any]:
    """The organisation as stored, M2M region included (names, sorted) — taken from the database so a
    form that has already mutated the in-memory instance cannot hide the old values (hole 6)."""
    stored = Organisation.objects.get(pk=org.pk)
    return {**snapshot(stored), "region": sorted(str(d) for d in stored.region.all())}


@transaction.atomic
def organisation_save(*, by: User, org: Organisation | None, data: dict[str, Any], region=None) -> Organisation:
    """Create (``org=None``) or update an organisation; only the fields core.policies allows ``by`` to change.

    Scope-defining fields (kind, supervisor, division, region) change only by a security administrator
    or a civil-affairs administrator above the organisation (issue 8, hole 1). The audit entry holds
    old → new from the stored row, region included."""
    _require_admin(by)
    creating = org is None
    if not creating:
        _check_org_scope(by, org)
        # Work on the stored row, never on an instance a ModelForm has already changed.
        org = Organisation.objects.select_for_update().get(pk=org.pk)
    allowed = policies.editable_org_fields(by, org)
    if not allowed:
        raise PermissionDenied("您无权新增或修改该机构。")
    before = {} if creating else organisation_snapshot(org)
    changed = {f for f, v in data.items() if creating or getattr(org, f) != v}
    if region is not None and (creating or {d.pk for d in org.region.all()} != {d.pk for d in region}):
        changed.add("region")
    refused = changed - allowed
    if refused:
        labels = "、".join(sorted(str(Organisation._meta.get_field(f).verbose_name) for f in refused))
        raise PermissionDenied(f"您无权修改机构的以下信息：{labels}。机构类型、主管机构、所在区划和服务区域"
                               "只能由安全管理员或上级民政部门的系统管理员修改。")
    supervisor = data.get("supervisor")
    if "supervisor" in changed and supervisor is not None:
        if not policies.supervisor_choices(by).filter(pk=supervisor.pk).exists():
            raise PermissionDenied("所选主管机构不在您的管理范围内。")
        if org is not None and (supervisor.pk == org.pk or _is_descendant(supervisor, org)):
            raise ValidationError({"supervisor": "主管机构不能是本机构或其下级机构。"})
    if creating and not by.is_superuser and supervisor is None:
        raise ValidationError({"supervisor": "请选择主管机构。"})
    if not by.is_superuser and not by.has_role(Role.SECURITY):
        # A civil-affairs administrator places organisations only within its own territory.
        divisions = visible_divisions(by)
        if "division" in changed and not divisions.filter(pk=data["division"].pk).exists():
            raise ValidationError({"division": "所在区划不在您的管辖区域内。"})
        if "region" in changed and region and divisions.filter(pk__in=[d.pk for d in region]).count() != len(region):
            raise ValidationError({"region": "服务区域超出您的管辖区域。"})
    org = org or Organisation()
    for field, value in data.items():
        setattr(org, field, value)
    org.full_clean()
    org.save()
    if region is not None and "region" in changed:
        org.region.set(region)
    if creating:
        audit(actor=by, action=AuditAction.CREATE, obj=org, summary=f"新增机构 {org.name}", organisation=org,
              changes={k: [None, v] for k, v in organisation_snapshot(org).items() if v not in (None, "", [], {})})
    else:
        changes = diff(before, organisation_snapshot(org))
        changes.pop("updated_at", None)
        if changes:
            audit(actor=by, action=AuditAction.UPDATE, obj=org, summary=f"修改机构 {org.name}", organisation=org,
                  changes=changes)
    return org


def _is_descendant(candidate: Organisation, root: Organisation) -> bool:
    current = candidate.supervisor
    seen = set()
    while current is not None and current.pk not in seen:
        if current.pk == root.pk:
            return True
        seen.add(current.pk)
        current = current.supervisor
    return False


@transaction.atomic
def user_save(*, by: User, user: User | None, data: dict[str, Any], roles: list[str],
              password: str | None = None) -> User:
    """Create or update a user of an organisation in the administrator's scope, with their roles.

    三员分立 (core.policies): the system administrator manages accounts, the security administrator the
    administrative roles; nobody changes their own roles. A password set here goes through the password
    policy and must be changed by its owner at first login."""
    _require_admin(by)
    if user is not None:
        # The stored row, not an instance a ModelForm has already changed (hole 6: old → new in the audit).
        user = User.objects.select_for_update().get(pk=user.pk)
        _check_org_scope(by, user.organisation)
    refusal = policies.account_refusal(by, user)
    if refusal:
        raise PermissionDenied(refusal)
    if policies.is_security_only(by):
        if user is None:
            raise PermissionDenied("账号由系统管理员新建；安全管理员只能调整角色。")
        data = {field: getattr(user, field) for field in data}
        password = None
    org = data.get("organisation")
    _check_org_scope(by, org)
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": f"未知角色：{'、'.join(sorted(unknown))}"})
    if not roles:
        raise ValidationError({"roles": "请至少选择一个角色。"})
    refusal = policies.role_change_refusal(by, user, user.role_codes if user else set(), set(roles))
    if refusal:
        raise ValidationError({"roles": refusal})
    creating = user is None
    before = {} if creating else {**snapshot(user), "roles": sorted(user.role_codes)}
    user = user or User()
    for field, value in data.items():
        setattr(user, field, value)
    if password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
        # Whoever set it knows it: its owner replaces it at first login (core/sessionpolicy.py).
        user.must_change_password = user.pk != by.pk
    elif creating:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    UserRole.objects.filter(user=user).exclude(role__in=roles).delete()
    for role in roles:
        UserRole.objects.get_or_create(user=user, role=role)
    user._role_codes = set(roles)
    after = {**snapshot(user), "roles": sorted(roles)}
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v and k != "updated_at"}
    if password and not creating:
        changes["password"] = ["***", "*** (已重置)"]
    audit(actor=by, action=AuditAction.CREATE if creating else AuditAction.UPDATE, obj=user,
          summary=f"{'新增' if creating else '修改'}用户 {user.username}", organisation=user.organisation,
          changes=changes)
    return user


@transaction.atomic
def api_token_create(*, by: User, name: str) -> tuple[ApiToken, str]:
    """Issue a bearer token for ``by``; the clear token is returned once and never stored."""
    if not name.strip():
        raise ValidationError({"name": "请填写令牌用途。"})
    raw = "gt_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=by, name=name.strip(), key_hash=hashlib.sha256(raw.encode()).hexdigest(),
                                    prefix=raw[:8])
    audit(actor=by, action=AuditAction.CREATE, obj=token, summary=f"创建 API 令牌 {token.name}",
          organisation=by.organisation)
    return token, raw


@transaction.atomic
def api_token_revoke(*, by: User, token: ApiToken) -> None:
    if token.user_id != by.pk:
        raise PermissionDenied("只能吊销自己的令牌。")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit(actor=by, action=AuditAction.UPDATE, obj=token, summary=f"吊销 API 令牌 {token.name}",
          organisation=by.organisation)


@transaction.atomic
def user_unlock(*, by: User, user: User) -> int:
    """Lift a login lockout (django-axes) before it expires; the system administrator's duty. Audited."""
    _require_admin(by)
    _check_org_scope(by, user.organisation)
    refusal = policies.account_refusal(by, user)
    if refusal or policies.is_security_only(by):
        raise PermissionDenied(refusal or "解除登录锁定由系统管理员办理。")
    from axes.utils import reset

    removed = reset(username=user.username)
    audit(actor=by, action=AuditAction.UPDATE, obj=user, organisation=user.organisation,
          summary=f"解除登录锁定 {user.username}（清除 {removed} 条失败记录）")
    return removed


#: Characters of a temporary password: no 0/O, 1/l/I look-alikes, read out or copied by hand.
_TEMP_ALPHABETS = ("abcdefghjkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "#%+=?@")


def temporary_password(length: int = 14) -> str:
    """A random password with every character class (it passes the complexity rule), from ``secrets``."""
    alphabet = "".join(_TEMP_ALPHABETS)
    while True:
        chars = [secrets.choice(a) for a in _TEMP_ALPHABETS]
        chars += [secrets.choice(alphabet) for _ in range(max(length, 12) - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        if all(any(c in a for c in password) for a in _TEMP_ALPHABETS):
            return password


@transaction.atomic
def user_reset_password(*, by: User, user: User) -> str:
    """A forgotten password: set a random temporary one, returned once to be shown to the administrator and
    never stored or audited in clear; its owner must replace it at next login (core/sessionpolicy.py).

    三员分立 (``policies.password_reset_refusal``): the system administrator resets accounts, the security
    administrator those of security and audit administrators; nobody resets their own. Audited without the
    password. The user's open sessions end (their session hash changes with the password)."""
    _require_admin(by)
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_org_scope(by, user.organisation)
    refusal = policies.password_reset_refusal(by, user)
    if refusal:
        raise PermissionDenied(refusal)
    if not user.is_active:
        raise ValidationError("该账号已停用，请先启用再重置密码。")
    password = temporary_password()
    password_validation.validate_password(password, user)
    was_forced = user.must_change_password
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit(actor=by, action=AuditAction.UPDATE, obj=user, organisation=user.organisation,
          summary=f"重置密码 {user.username}（临时密码只显示一次，下次登录须修改）",
          changes={"password": ["***", "*** (已重置为临时密码)"], "must_change_password": [was_forced, True]})
    return password


@transaction.atomic
def user_reset_second_factor(*, by: User, user: User) -> None:
    """Remove a user's authenticator and recovery codes (lost phone); the security administrator's duty,
    never on one's own account. The user binds a new authenticator at next login. Audited."""
    from core import twofactor

    _require_admin(by)
    _check_org_scope(by, user.organisation)
    if not (by.is_superuser or by.has_role(Role.SECURITY)):
        raise PermissionDenied("重置二次验证须由安全管理员办理。")
    if user.pk == by.pk and not by.is_superuser:
        raise PermissionDenied("不能重置自己的二次验证，请由另一名安全管理员办理。")
    refusal = policies.account_refusal(by, user)
    if refusal:
        raise PermissionDenied(refusal)
    twofactor.reset_devices(user)
    audit(actor=by, action=AuditAction.UPDATE, obj=user, organisation=user.organisation,
          summary=f"重置二次验证（手机验证器与恢复码）{user.username}")
