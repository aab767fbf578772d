"""The one scoping mechanism: what a user's organisation may see and change.

Ladder (see docs/scoping.md):
- everyone sees their own organisation's records;
- a civil-affairs department (民政部门) also sees every organisation it supervises, transitively;
- a regional centre (区域性中心) also sees the organisations located in its region;
- a superuser sees everything (installation administrators only).
Cases (episodes) may be acted on by another organisation than their station: a regional centre that took a
case over (提级办理, rule R2) becomes its acting organisation, and staff a centre sent down (下沉协助) may act
on that one case for a period. Apps register those answers with :func:`register_case_access`;
:func:`can_write_case` / :func:`require_case_write` are the episode-level write check that consults them.
Police, hospitals, care facilities and supervisors see only their own organisation's records here;
named items addressed to them (identity checks, placements) are scoped by their own apps.

Every protected model declares how it belongs to organisations with a classmethod
``scope_q(org_ids) -> Q``, or the simpler attribute ``scope_field`` (path to an Organisation FK).
Lists use :func:`scoped`, single objects :func:`get_scoped_or_404`; writes are checked with
:func:`require_write` (read-only viewers get 403, outsiders 404 because they never find the object).
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from core.models import Division, Organisation, OrgKind, Role

#: Roles that never write records (docs/security.md).
READ_ONLY_ROLES = frozenset({Role.AUDITOR})


def division_prefix(code: str) -> str:
    """The code prefix shared by a division and everything under it (440000 → 44, 441800 → 4418)."""
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def subtree_org_ids(root_ids: Iterable[int]) -> set[int]:
    """The given organisations and every organisation they supervise, transitively."""
    pairs = list(Organisation.objects.values_list("id", "supervisor_id"))
    children: dict[int, list[int]] = {}
    for org_id, sup_id in pairs:
        if sup_id is not None:
            children.setdefault(sup_id, []).append(org_id)
    seen: set[int] = set()
    stack = list(root_ids)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(children.get(current, ()))
    return seen


def _region_org_ids(org: Organisation) -> set[int]:
    prefixes = [division_prefix(code) for code in org.region.values_list("code", flat=True)]
    if not prefixes:
        return set()
    query = Q()
    for prefix in prefixes:
        query |= Q(division__code__startswith=prefix)
    return set(Organisation.objects.filter(query).values_list("id", flat=True))


def visible_org_ids(user) -> frozenset[int]:
    """Ids of the organisations whose records ``user`` may read (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_visible_org_ids", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        ids: set[int] = set(Organisation.objects.values_list("id", flat=True))
    elif user.organisation_id is None:
        ids = set()
    else:
        org = user.organisation
        ids = {org.id}
        if org.kind == OrgKind.CIVIL_AFFAIRS:
            ids |= subtree_org_ids([org.id])
        if org.kind == OrgKind.REGIONAL_CENTRE:
            ids |= _region_org_ids(org)
    result = frozenset(ids)
    user._visible_org_ids = result
    return result


def visible_organisations(user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(id__in=visible_org_ids(user))


def visible_divisions(user) -> QuerySet[Division]:
    """Divisions a user may administer: those under their organisation's division."""
    if user.is_superuser:
        return Division.objects.all()
    if not user.organisation_id:
        return Division.objects.none()
    prefixes = {division_prefix(user.organisation.division.code)}
    for code in user.organisation.region.values_list("code", flat=True):
        prefixes.add(division_prefix(code))
    query = Q()
    for prefix in prefixes:
        query |= Q(code__startswith=prefix)
    return Division.objects.filter(query)


def _scope_q(model: type[Model], org_ids: frozenset[int]) -> Q:
    if hasattr(model, "scope_q"):
        return model.scope_q(org_ids)
    field = getattr(model, "scope_field", None)
    if field is None:
        raise TypeError(f"{model.__name__} declares neither scope_q nor scope_field")
    return Q(**{f"{field}__in": org_ids})


def scoped(queryset: QuerySet, user) -> QuerySet:
    """Narrow ``queryset`` to what ``user``'s organisation may read."""
    org_ids = visible_org_ids(user)
    if not org_ids:
        return queryset.none()
    q = _scope_q(queryset.model, org_ids)
    return queryset.filter(q)


def get_scoped_or_404(queryset: QuerySet, user, **lookup):
    """One object within the user's scope; 'does not exist' and 'not yours' look the same (404)."""
    try:
        return scoped(queryset, user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该记录，或您无权查看。") from exc


def can_write(user, organisation: Organisation | None, *roles: str) -> bool:
    """Writes happen only in the user's own organisation, by a user holding one of ``roles``."""
    if user is None or not user.is_authenticated or organisation is None:
        return False
    if user.is_superuser:
        return True
    if user.organisation_id != organisation.id:
        return False
    if user.role_codes and user.role_codes <= READ_ONLY_ROLES:
        return False  # 三员分立: the audit administrator reads and exports, and changes nothing
    return not roles or user.has_role(*roles) or user.has_role(Role.ADMIN, Role.HEAD)


def require_write(user, organisation: Organisation | None, *roles: str) -> None:
    """Raise 403 when ``user`` may read but not change records of ``organisation`` (optionally by role)."""
    if not can_write(user, organisation, *roles):
        raise PermissionDenied("您只有查看权限，不能修改该机构的记录。")


def covering_centre_ids(organisation: Organisation | None) -> set[int]:
    """Regional centres (区域性中心) whose region contains ``organisation`` (rule R1); the organisation itself
    when it is a centre. The inverse of the regional ladder of :func:`visible_org_ids`."""
    if organisation is None:
        return set()
    code = organisation.division.code
    found = {organisation.id} if organisation.kind == OrgKind.REGIONAL_CENTRE else set()
    pairs = Organisation.objects.filter(kind=OrgKind.REGIONAL_CENTRE, is_active=True).values_list(
        "id", "region__code")
    found |= {org_id for org_id, region_code in pairs if region_code and code.startswith(division_prefix(region_code))}
    return found


# -- Cases acted on by another organisation (rule R2) -------------------------------------------------------
#: ``holder(episode) -> Organisation | None``: the organisation that took the case over, if any.
_case_holders: list[Callable] = []
#: ``grant(user, episode) -> bool``: the user may act on this one case now (help sent down).
_case_grants: list[Callable] = []


def register_case_access(*, holder: Callable | None = None, grant: Callable | None = None) -> None:
    """Called once from an app's ``AppConfig.ready()`` (regional): core never imports the apps above it."""
    if holder is not None and holder not in _case_holders:
        _case_holders.append(holder)
    if grant is not None and grant not in _case_grants:
        _case_grants.append(grant)


def acting_organisation(episode) -> Organisation:
    """The organisation that acts on ``episode``: its station, unless a regional centre took the case over."""
    for holder in _case_holders:
        org = holder(episode)
        if org is not None:
            return org
    return episode.station


def can_write_case(user, episode, *roles: str) -> bool:
    """May ``user`` change the records of this case? Its acting organisation's staff (by role, as
    :func:`can_write`), or a user granted this one case for now. A station whose case a centre took over keeps
    read access (it still owns the episode for :func:`scoped`) but no longer writes."""
    if can_write(user, acting_organisation(episode), *roles):
        return True
    if user is None or not user.is_authenticated or (user.role_codes and user.role_codes <= READ_ONLY_ROLES):
        return False
    return any(grant(user, episode) for grant in _case_grants)


def require_case_write(user, episode, *roles: str) -> None:
    """Raise 403 when ``user`` may not change this case (see :func:`can_write_case`)."""
    if not can_write_case(user, episode, *roles):
        raise PermissionDenied("您只有查看权限，不能办理该救助过程。")
