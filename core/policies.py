"""Who may change which fields of an organisation (issue 8, hole 1; 三员分立).

An organisation's *scope-defining* fields decide what its users see (core.scoping): its kind, its
supervisor, its division and, for a regional centre, its region. Letting an organisation's own
administrator change them lets it widen its own scope, so:

- the installation superuser and a security administrator (安全管理员) change them for any
  organisation in their scope except their own;
- a system administrator (系统管理员) of a civil-affairs department changes them for the
  organisations it supervises (strictly below it), never for its own department;
- everybody else, including a station's own administrator, never changes them; an administrator
  edits only the contact fields of its own organisation.

One policy answers both "may this user create organisations?" and "which fields of this
organisation may this user change?"; the form disables the other fields and the service refuses any
change to them, so a forged POST or an API call cannot get round the page.
"""

from core.models import Organisation, OrgKind, Role
from core.scoping import subtree_org_ids, visible_org_ids

#: The fields that define what an organisation's users may see (docs/scoping.md).
SCOPE_FIELDS = ("kind", "supervisor", "division", "region")
#: What an organisation's own administrator may keep up to date about itself.
CONTACT_FIELDS = ("short_name", "address", "phone", "bed_capacity")
#: Everything else an administrator above the organisation maintains.
ORG_FIELDS = (
    "name",
    "code",
    "short_name",
    "kind",
    "division",
    "supervisor",
    "address",
    "phone",
    "bed_capacity",
    "is_active",
    "region",
)

_ADMIN_ROLES = (Role.ADMIN, Role.SECURITY)


def _is_civil_affairs_admin(user) -> bool:
    org = user.organisation
    return org is not None and org.kind == OrgKind.CIVIL_AFFAIRS and user.has_role(Role.ADMIN)


def orgs_below(user) -> set[int]:
    """Organisations strictly below the user's own civil-affairs department (empty for other kinds)."""
    if not _is_civil_affairs_admin(user):
        return set()
    return subtree_org_ids([user.organisation_id]) - {user.organisation_id}


def may_change_scope(user, org: Organisation | None) -> bool:
    """May ``user`` set the scope-defining fields of ``org`` (``None``: of a new organisation)?"""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if user.has_role(Role.SECURITY):
        return org is None or (org.pk != user.organisation_id and org.pk in visible_org_ids(user))
    if _is_civil_affairs_admin(user):
        return org is None or org.pk in orgs_below(user)
    return False


def may_create_organisation(user) -> bool:
    return may_change_scope(user, None)


def editable_org_fields(user, org: Organisation | None) -> set[str]:
    """The fields of ``org`` (``None``: a new one) that ``user`` may change; empty when none."""
    if user is None or not user.is_authenticated:
        return set()
    if org is None:
        return set(ORG_FIELDS) if may_create_organisation(user) else set()
    if may_change_scope(user, org):
        return set(ORG_FIELDS)
    if user.is_superuser or not user.has_role(*_ADMIN_ROLES):
        return set()
    if org.pk == user.organisation_id:
        return set(CONTACT_FIELDS)
    if _is_civil_affairs_admin(user) and org.pk in orgs_below(user):
        return set(ORG_FIELDS) - set(SCOPE_FIELDS)
    return set()


def supervisor_choices(user):
    """Organisations ``user`` may name as a supervisor: their own department and what lies below it."""
    if user.is_superuser:
        return Organisation.objects.all()
    if user.has_role(Role.SECURITY):
        return Organisation.objects.filter(id__in=visible_org_ids(user))
    if _is_civil_affairs_admin(user):
        return Organisation.objects.filter(id__in=orgs_below(user) | {user.organisation_id})
    return Organisation.objects.none()


# --- accounts and roles (三员分立) -------------------------------------------------------------------------
#: Roles that administer the system itself; only the security administrator grants or revokes them.
PRIVILEGED_ROLES = frozenset({Role.ADMIN, Role.SECURITY, Role.AUDITOR})


def is_security_only(user) -> bool:
    """A security administrator who is not also a system administrator: changes roles, never accounts."""
    return not user.is_superuser and user.has_role(Role.SECURITY) and not user.has_role(Role.ADMIN)


def account_refusal(by, target) -> str:
    """Why ``by`` may not edit the account ``target`` at all ('' when they may)."""
    if by.is_superuser:
        return ""
    if target is not None and target.is_superuser:
        return "只有安装管理员可以修改安装管理员账号。"
    if target is not None and target.role_codes & {Role.SECURITY, Role.AUDITOR} and not by.has_role(Role.SECURITY):
        return "安全管理员、审计管理员的账号只能由安全管理员修改。"
    return ""


def role_change_refusal(by, target, old_roles: set[str], new_roles: set[str]) -> str:
    """Why ``by`` may not change ``target``'s roles from ``old_roles`` to ``new_roles`` ('' when they may).

    Nobody changes their own roles, and the administrative roles are granted and revoked only by a
    security administrator, so no role can grant itself a power (the change is audited either way)."""
    if by.is_superuser:
        return ""
    changed = set(old_roles) ^ set(new_roles)
    if not changed:
        return ""
    if target is not None and target.pk == by.pk:
        return "不能修改自己的角色，请由另一名安全管理员办理。"
    if changed & PRIVILEGED_ROLES and not by.has_role(Role.SECURITY):
        return "授予或撤销系统管理员、安全管理员、审计管理员角色须由安全管理员办理。"
    return ""


def password_reset_refusal(by, target) -> str:
    """Why ``by`` may not reset ``target``'s password to a temporary one ('' when they may).

    The path for a user who forgot their password (三员分立): accounts are the system administrator's,
    the security and audit administrators' accounts the security administrator's (``account_refusal``),
    the installation superuser's only another superuser's. Nobody resets their own password this way —
    they change it themselves, knowing the old one."""
    if target is not None and target.pk == by.pk:
        return "不能通过此处重置自己的密码，请在“个人设置”中修改，或请另一名管理员办理。"
    refusal = account_refusal(by, target)
    if refusal:
        return refusal
    if by.is_superuser:
        return ""
    if target is not None and target.role_codes & {Role.SECURITY, Role.AUDITOR}:
        return ""  # account_refusal has already required a security administrator
    if not by.has_role(Role.ADMIN):
        return "重置密码由系统管理员办理。"
    return ""
