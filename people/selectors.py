"""Reads of people and episodes, always through the user's scope."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from core.models import Organisation
from core.scoping import scoped, visible_org_ids
from people.models import Episode, IdentityStatus
from people.states import IN_CARE, STATUS_LABELS, EpisodeStatus


def dashboard_counts(*, user, now: datetime.datetime | None = None) -> dict:
    """Open episodes by state, and per station in scope, for the home page."""
    now = now or timezone.now()
    episodes = scoped(Episode.objects.all(), user)
    open_states = [EpisodeStatus.REQUESTED, *IN_CARE]
    by_status = dict(
        episodes.filter(status__in=open_states).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    in_care = episodes.filter(status__in=list(IN_CARE))
    ten_days_ago = now - datetime.timedelta(days=10)
    per_station = (
        in_care.values("station_id")
        .annotate(
            in_care=Count("id"),
            unidentified=Count("id", filter=~Q(person__identity_status=IdentityStatus.IDENTIFIED)),
            over_10=Count("id", filter=Q(admitted_at__lt=ten_days_ago)),
        )
        .order_by("station_id")
    )
    names = dict(Organisation.objects.filter(id__in=[r["station_id"] for r in per_station]).values_list("id", "name"))
    org_count = len(visible_org_ids(user))
    return {
        "by_status": [{"label": STATUS_LABELS[s], "count": by_status.get(s, 0)} for s in open_states],
        "unidentified_in_care": in_care.exclude(person__identity_status=IdentityStatus.IDENTIFIED).count(),
        "over_10_days": in_care.filter(admitted_at__lt=ten_days_ago).count(),
        "flag_repeat": in_care.filter(flag_repeat_requests=True).count(),
        "by_station": [{**r, "name": names.get(r["station_id"], "")} for r in per_station] if org_count > 1 else [],
        "scope_label": "本机构" if org_count <= 1 else f"本机构及下属/区域内共 {org_count} 个机构",
    }
