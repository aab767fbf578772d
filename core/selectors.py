"""Reads of core data, always through the user's scope."""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import AuditEntry, Organisation, User
from core.scoping import scoped


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


def audit_list(*, user, filters: dict) -> QuerySet[AuditEntry]:
    """Audit entries of the organisations in scope, newest first, filtered."""
    qs = scoped(AuditEntry.objects.select_related("organisation"), user)
    if filters.get("q"):
        qs = qs.filter(Q(summary__icontains=filters["q"]) | Q(object_id__icontains=filters["q"]))
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("actor"):
        qs = qs.filter(actor_name__icontains=filters["actor"])
    if filters.get("person"):
        qs = qs.filter(person_uuid=filters["person"])
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        qs = qs.filter(at__gte=datetime.datetime.combine(filters["date_from"], datetime.time.min, tz))
    if filters.get("date_to"):
        qs = qs.filter(at__lt=datetime.datetime.combine(filters["date_to"] + datetime.timedelta(days=1),
                                                        datetime.time.min, tz))
    return qs
