"""Every read of the regional app, always through ``core.scoping`` (rules R1–R3, E2).

A centre's scope is its own records plus every organisation located in its region (docs/scoping.md), so the
dispatch view, the search and the boards below are the ordinary scoped querysets seen by a centre's user.
"""

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.models import Organisation
from core.scoping import covering_centre_ids, get_scoped_or_404, scoped, visible_organisations
from people.models import OPEN_STATUSES, Episode, Person
from people.states import IN_CARE
from regional import access
from regional.models import (
    Assistance,
    AssistanceStatus,
    BatchStatus,
    Escalation,
    EscalationStatus,
    EscortBatch,
    EscortMember,
    JointCase,
    JointDecision,
    MemberStatus,
)

#: Most results the region-wide search shows (it is a finder, not an export).
SEARCH_LIMIT = 50


def escalation_list(*, user, status: str = "", kind: str = "") -> QuerySet[Escalation]:
    qs = scoped(Escalation.objects.all(), user).select_related("episode__person", "station", "centre",
                                                              "requested_by", "answered_by")
    if status == "open":
        qs = qs.filter(status__in=[EscalationStatus.REQUESTED, EscalationStatus.ACCEPTED])
    elif status in EscalationStatus.values:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-requested_at", "-id")


def escalation_get(*, user, uuid) -> Escalation:
    return get_scoped_or_404(Escalation.objects.select_related("episode__person", "station", "centre",
                                                               "requested_by", "answered_by", "ended_by"),
                             user, uuid=uuid)


def escalations_of_episode(*, user, episode: Episode) -> list[Escalation]:
    return list(scoped(Escalation.objects.filter(episode=episode), user).select_related("centre"))


def escalatable_episodes(user) -> QuerySet[Episode]:
    """Open episodes of the user's own station that have no open escalation (the escalation form's choices)."""
    org = getattr(user, "organisation", None)
    if org is None or access.centre_for_station(org) is None:
        return Episode.objects.none()
    busy = Escalation.objects.filter(status__in=[EscalationStatus.REQUESTED, EscalationStatus.ACCEPTED])
    return (scoped(Episode.objects.filter(station=org, status__in=OPEN_STATUSES), user)
            .exclude(pk__in=busy.values("episode_id")).select_related("person").order_by("-requested_at"))


def region_episodes(user, *, in_care_only: bool = True) -> QuerySet[Episode]:
    """Episodes of the stations of the user's centre (its scope), in care by default."""
    if access.centre_of_user(user) is None:
        return Episode.objects.none()
    qs = scoped(Episode.objects.all(), user)
    qs = qs.filter(status__in=list(IN_CARE)) if in_care_only else qs.filter(status__in=OPEN_STATUSES)
    return qs.select_related("person", "station").order_by("station__name", "-admitted_at")


def joint_episodes(user) -> QuerySet[Episode]:
    """Cases a user's organisation may convene a joint handling for: its own open ones; a centre's region."""
    if access.centre_of_user(user) is not None:
        return region_episodes(user, in_care_only=False)
    org = getattr(user, "organisation", None)
    if org is None:
        return Episode.objects.none()
    return (scoped(Episode.objects.filter(station=org, status__in=OPEN_STATUSES), user)
            .select_related("person", "station").order_by("-requested_at"))


def region_stations(user) -> QuerySet[Organisation]:
    """The rescue organisations of the user's centre's region, the centre first."""
    centre = access.centre_of_user(user)
    if centre is None:
        return Organisation.objects.none()
    ids = [o.pk for o in visible_organisations(user).filter(kind__in=["station", "regional_centre", "minor_centre"])
           if o.pk == centre.pk or centre.pk in covering_centre_ids(o)]
    return Organisation.objects.filter(pk__in=ids).select_related("division").order_by("division__code", "name")


def assistance_list(*, user, current: bool = False) -> QuerySet[Assistance]:
    qs = scoped(Assistance.objects.all(), user).select_related("episode__person", "station", "centre")
    if current:
        now = timezone.now()
        qs = qs.filter(status=AssistanceStatus.ACTIVE, ends_at__gt=now)
    return qs.prefetch_related("staff").order_by("-starts_at", "-id")


def assistance_get(*, user, uuid) -> Assistance:
    return get_scoped_or_404(Assistance.objects.select_related("episode__person", "station", "centre", "created_by")
                             .prefetch_related("staff"), user, uuid=uuid)


def my_assignments(user) -> QuerySet[Assistance]:
    """Cases the user was sent down to and may act on now (rule R2)."""
    now = timezone.now()
    return (Assistance.objects.filter(staff=user, status=AssistanceStatus.ACTIVE, starts_at__lte=now,
                                      ends_at__gt=now).select_related("episode__person", "station"))


def joint_list(*, user, status: str = "") -> QuerySet[JointCase]:
    qs = scoped(JointCase.objects.all(), user).select_related("episode__person", "convener")
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(n_participants=Count("participants", distinct=True)).order_by("-created_at", "-id")


def joint_get(*, user, uuid) -> JointCase:
    return get_scoped_or_404(JointCase.objects.select_related("episode__person", "episode__station", "convener",
                                                              "created_by"), user, uuid=uuid)


def decision_get(*, user, uuid) -> JointDecision:
    return get_scoped_or_404(JointDecision.objects.select_related("joint_case__episode__person", "responsible"),
                             user, uuid=uuid)


def batch_list(*, user, status: str = "") -> QuerySet[EscortBatch]:
    qs = scoped(EscortBatch.objects.all(), user).select_related("centre")
    if status in BatchStatus.values:
        qs = qs.filter(status=status)
    return qs.annotate(n_members=Count("members", filter=~Q(members__status=MemberStatus.REMOVED))).order_by(
        "-departs_on", "-id")


def batch_get(*, user, uuid) -> EscortBatch:
    return get_scoped_or_404(EscortBatch.objects.select_related("centre", "created_by").prefetch_related("staff"),
                             user, uuid=uuid)


def batch_members(*, user, batch: EscortBatch) -> QuerySet[EscortMember]:
    """The people of a batch the user may see: all of them for the centre, its own for a station."""
    return scoped(batch.members.all(), user).select_related("episode__person", "episode__station", "destination",
                                                            "receiving", "departure").order_by("id")


def member_get(*, user, uuid) -> EscortMember:
    return get_scoped_or_404(EscortMember.objects.select_related("batch__centre", "episode__person",
                                                                 "episode__station", "destination", "receiving"),
                             user, uuid=uuid)


# -- 指挥调度（R3）------------------------------------------------------------------------------------------

def dispatch_figures(*, user, now: datetime.datetime | None = None) -> dict:
    """The region at a glance (rule R3): people in care per station, pending sightings, escorts under way,
    escalations waiting and overdue items — grouped counts over the centre's scope, one query each."""
    from deadlines.selectors import overview
    from outreach.models import Sighting, SightingStatus

    now = now or timezone.now()
    stations = list(region_stations(user))
    ids = [s.pk for s in stations]
    in_care = dict(scoped(Episode.objects.filter(station_id__in=ids, status__in=list(IN_CARE)), user)
                   .values_list("station_id").annotate(n=Count("id")))
    sightings = dict(scoped(Sighting.objects.exclude(status=SightingStatus.CLOSED), user)
                     .filter(station_id__in=ids).values_list("station_id").annotate(n=Count("id")))
    waiting = dict(scoped(Escalation.objects.filter(status=EscalationStatus.REQUESTED), user)
                   .values_list("station_id").annotate(n=Count("id")))
    overdue = {row["org_id"]: row["total"] for row in overview(user=user)["rows"]} if ids else {}
    rows = [{"station": s, "in_care": in_care.get(s.pk, 0), "sightings": sightings.get(s.pk, 0),
             "escalations": waiting.get(s.pk, 0), "overdue": overdue.get(s.pk, 0)} for s in stations]
    under_way = list(scoped(EscortBatch.objects.filter(status=BatchStatus.UNDER_WAY), user)
                     .annotate(n_left=Count("members", filter=Q(members__status=MemberStatus.PLANNED)))
                     .order_by("departs_on"))
    planned = scoped(EscortBatch.objects.filter(status=BatchStatus.PLANNED), user).count()
    return {
        "rows": rows,
        "totals": {key: sum(r[key] for r in rows) for key in ("in_care", "sightings", "escalations", "overdue")},
        "under_way": under_way,
        "planned_batches": planned,
        "assistance_active": scoped(Assistance.objects.filter(status=AssistanceStatus.ACTIVE, starts_at__lte=now,
                                                              ends_at__gt=now), user).count(),
        "at": now,
    }


def region_search(*, user, q: str) -> list[Person]:
    """Centre-wide search across the region's files (rule R3), for staff of a centre; scoped like every list."""
    from people.selectors import person_list

    q = (q or "").strip()
    if not q or access.centre_of_user(user) is None:
        return []
    return list(person_list(user=user, q=q)[:SEARCH_LIMIT])


def region_announcements(*, user, limit: int = 100):
    """The regional information exchange (rule R1): published announcements of every station of the region."""
    from announcements.models import AnnouncementStatus
    from announcements.selectors import announcement_list

    return list(announcement_list(user=user, status=AnnouncementStatus.PUBLISHED)[:limit])


def region_training(*, user, months: int = 12) -> list[dict]:
    """Unified training (rule R1): per station of the region, training sessions and the latest one, linked to the
    staff app's records."""
    from staff.selectors import training_list

    since = timezone.localdate() - datetime.timedelta(days=months * 31)
    stations = list(region_stations(user))
    sessions = training_list(user=user).filter(organisation__in=stations, held_on__gte=since)
    counts: dict[int, dict] = {}
    for org_id, held_on in sessions.values_list("organisation_id", "held_on"):
        entry = counts.setdefault(org_id, {"n": 0, "latest": held_on})
        entry["n"] += 1
        entry["latest"] = max(entry["latest"], held_on)
    return [{"station": s, "sessions": counts.get(s.pk, {}).get("n", 0), "latest": counts.get(s.pk, {}).get("latest")}
            for s in stations]
