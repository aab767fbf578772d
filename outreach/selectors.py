"""Reads of the outreach app, always through the user's scope (core.scoping)."""

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.models import STATION_KINDS, Division, DivisionLevel, Organisation, OrgKind
from core.scoping import get_scoped_or_404, scoped
from outreach.models import (
    Campaign,
    Encounter,
    HotSpot,
    Patrol,
    PatrolTask,
    Sighting,
    SightingStatus,
    WeatherAlert,
)


def sighting_list(*, user, filters: dict | None = None) -> QuerySet[Sighting]:
    filters = filters or {}
    qs = scoped(Sighting.objects.select_related("station"), user).distinct()
    if filters.get("status") == "open":
        qs = qs.exclude(status=SightingStatus.CLOSED)
    elif filters.get("status") in SightingStatus.values:
        qs = qs.filter(status=filters["status"])
    if filters.get("q"):
        q = filters["q"].strip()
        qs = qs.filter(Q(place__icontains=q) | Q(number__icontains=q) | Q(description__icontains=q))
    return qs.order_by("-received_at", "-id")


def sighting_get(*, user, uuid) -> Sighting:
    return get_scoped_or_404(
        Sighting.objects.select_related("station", "received_by", "episode__person").distinct(),
        user,
        uuid=uuid,
    )


def patrol_list(*, user) -> QuerySet[Patrol]:
    return (
        scoped(Patrol.objects.select_related("organisation", "recorded_by"), user)
        .annotate(people=Count("encounters"))
        .order_by("-started_at", "-id")
    )


def patrol_get(*, user, uuid) -> Patrol:
    return get_scoped_or_404(Patrol.objects.select_related("organisation", "recorded_by"), user, uuid=uuid)


def encounter_list(*, user) -> QuerySet[Encounter]:
    return scoped(
        Encounter.objects.select_related("patrol__organisation", "episode", "sighting", "hot_spot"), user
    ).order_by("-met_at", "-id")


def encounter_get(*, user, uuid) -> Encounter:
    return get_scoped_or_404(
        Encounter.objects.select_related("patrol__organisation", "episode"), user, uuid=uuid
    )


def hot_spot_list(*, user, active_only: bool = False) -> QuerySet[HotSpot]:
    qs = scoped(HotSpot.objects.select_related("county", "organisation"), user)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("county__code", "kind", "name")


def hot_spot_get(*, user, uuid) -> HotSpot:
    return get_scoped_or_404(HotSpot.objects.select_related("county", "organisation"), user, uuid=uuid)


def patrol_hot_spots(organisation: Organisation | None) -> QuerySet[HotSpot]:
    """Hot spots a patrol of ``organisation`` may tick: those registered by it, its supervisor, or the stations
    and departments of its county (police and 城管 patrol the station's register)."""
    if organisation is None:
        return HotSpot.objects.none()
    county_code = organisation.division.code[:6]
    return (
        HotSpot.objects.filter(is_active=True)
        .filter(
            Q(organisation=organisation)
            | Q(organisation_id=organisation.supervisor_id)
            | Q(county__code=county_code)
            | Q(organisation__division__code__startswith=county_code[:4])
        )
        .select_related("county")
        .order_by("county__code", "name")
    )


def campaign_list(*, user) -> QuerySet[Campaign]:
    return scoped(Campaign.objects.select_related("organisation"), user).order_by("-starts_on", "-id")


def campaign_get(*, user, uuid) -> Campaign:
    return get_scoped_or_404(Campaign.objects.select_related("organisation"), user, uuid=uuid)


def campaign_coverage(campaign: Campaign) -> list[dict]:
    """Per alert: tasks, covered, the hot spots still to patrol (rule P3)."""
    rows = []
    for alert in campaign.alerts.order_by("-issued_at"):
        tasks = list(alert.tasks.select_related("hot_spot", "covered_by").order_by("hot_spot__name"))
        covered = sum(1 for t in tasks if t.covered_at)
        rows.append(
            {
                "alert": alert,
                "tasks": tasks,
                "covered": covered,
                "total": len(tasks),
                "share": round(100 * covered / len(tasks), 1) if tasks else None,
            }
        )
    return rows


def current_campaigns(user) -> QuerySet[Campaign]:
    today = timezone.localdate()
    return campaign_list(user=user).filter(starts_on__lte=today, ends_on__gte=today)


def counties(user) -> QuerySet[Division]:
    org = getattr(user, "organisation", None)
    if org is None:
        return Division.objects.none()
    prefix = org.division.code[:4]
    return Division.objects.filter(level=DivisionLevel.COUNTY, code__startswith=prefix)


def public_stations() -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(kind__in=STATION_KINDS, is_active=True)
        .select_related("division")
        .order_by("division__code", "name")
    )


def handover_stations(exclude: Organisation) -> QuerySet[Organisation]:
    return public_stations().exclude(pk=exclude.pk)


def recent_episodes(station: Organisation, since: datetime.datetime):
    """Requests at the station from a moment to three days later (to link a sighting or an encounter to the
    intake of the person who came in). Not sliced: a form field filters it again when the choice comes back."""
    from people.models import Episode

    return (
        Episode.objects.filter(
            station=station, requested_at__gte=since, requested_at__lte=since + datetime.timedelta(days=3)
        )
        .select_related("person")
        .order_by("-requested_at")
    )


def open_counts(user) -> dict[str, int]:
    return {
        "open_sightings": scoped(Sighting.objects.exclude(status=SightingStatus.CLOSED), user).count(),
        "patrols_today": scoped(Patrol.objects.filter(started_at__date=timezone.localdate()), user).count(),
        "hot_spots": scoped(HotSpot.objects.filter(is_active=True), user).count(),
        "open_tasks": scoped(PatrolTask.objects.filter(covered_at__isnull=True), user).count(),
    }


def alert_get(*, user, uuid) -> WeatherAlert:
    return get_scoped_or_404(WeatherAlert.objects.select_related("campaign__organisation"), user, uuid=uuid)


def writable_orgs(user) -> list[Organisation]:
    return [user.organisation] if user.organisation_id else []


def is_patrol_org(org) -> bool:
    return org is not None and (org.kind in STATION_KINDS or org.kind in (OrgKind.POLICE, OrgKind.CHENGGUAN))
