"""Reads of core data, always through the user's scope."""

import datetime
import uuid

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.models import AuditEntry, Organisation, Role, User
from core.scoping import scoped, visible_org_ids


def organisation_list(*, user, kind: str = "", q: str = "") -> QuerySet[Organisation]:
    qs = scoped(Organisation.objects.select_related("division", "supervisor"), user)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs


def user_list(*, user, q: str = "") -> QuerySet[User]:
    qs = scoped(User.objects.select_related("organisation").prefetch_related("user_roles"), user)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    return qs.order_by("organisation__name", "username")


def may_read_audit(user) -> bool:
    """Separation of duties (三员分立): only the audit administrator (审计员) reads the audit log; it can
    change nothing (the page and the API only read and export). Administrators, heads and supervisors
    see a file's access log on the file itself, not the audit log."""
    return bool(user and user.is_authenticated and user.has_role(Role.AUDITOR))


def audit_scope_q(user) -> Q:
    """An auditor sees the entries about the organisations in their scope (their own and, for a civil-affairs
    department, every organisation it supervises) and everything done by those organisations' users."""
    org_ids = visible_org_ids(user)
    # The actors as a subquery, not a join: PostgreSQL then combines two index scans of the audit table.
    return Q(organisation_id__in=org_ids) | Q(actor_id__in=User.objects.filter(organisation_id__in=org_ids).values("id"))


def audit_list(*, user, filters: dict) -> QuerySet[AuditEntry]:
    """Audit entries in the auditor's scope, newest first, filtered; ``before`` = keyset page (an id)."""
    if not may_read_audit(user):
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.filter(audit_scope_q(user)).select_related("organisation").order_by("-id")
    if filters.get("q"):
        qs = qs.filter(Q(summary__icontains=filters["q"]) | Q(object_id__icontains=filters["q"]))
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("actor"):
        # A login name is one user: their entries by the (actor, id) index; otherwise part of a name.
        actor_id = User.objects.filter(username=filters["actor"]).values_list("id", flat=True).first()
        qs = qs.filter(actor_id=actor_id) if actor_id else qs.filter(actor_name__icontains=filters["actor"])
    if filters.get("organisation"):
        qs = qs.filter(organisation=filters["organisation"])
    if filters.get("object"):
        obj = filters["object"].strip()
        person = _uuid_or_none(obj)
        if person is not None:  # a file or any object by its uuid: two indexed look-ups, no scan of the log
            match = Q(object_id__in={obj, str(person)}) | Q(person_uuid=person)
        elif obj.isdigit():
            match = Q(object_id=obj)
        else:  # a kind of object ("people.Person", "Person"): read through the log
            match = Q(object_id=obj) | Q(object_type__icontains=obj)
        qs = qs.filter(match)
        if person is not None:
            # Few rows match, through two indexes: ordering by an expression keeps PostgreSQL from walking the
            # whole log backwards in id order hoping to meet them early (measured: 0.8 s → milliseconds at 1M rows).
            qs = qs.alias(newest=F("id") + 0).order_by("-newest")
    if filters.get("person"):
        qs = qs.filter(person_uuid=filters["person"])
    if filters.get("ip"):
        qs = qs.filter(ip=filters["ip"])
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        qs = qs.filter(at__gte=datetime.datetime.combine(filters["date_from"], datetime.time.min, tz))
    if filters.get("date_to"):
        qs = qs.filter(
            at__lt=datetime.datetime.combine(
                filters["date_to"] + datetime.timedelta(days=1), datetime.time.min, tz
            )
        )
    if filters.get("before"):
        qs = qs.filter(id__lt=filters["before"])
    return qs


def _uuid_or_none(text: str):
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
