"""Reads of the leaving app, always through the user's scope."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from core.models import STATION_KINDS, Organisation, OrgKind, Role, User
from core.scoping import can_write_case, get_scoped_or_404, scoped
from leaving.models import Departure
from people.models import Episode
from people.states import IN_CARE

#: Roles that record a departure (head and admin are always included by core.scoping.can_write).
LEAVING_ROLES = (Role.RECEPTION, Role.CARER)


def departure_list(*, user, filters: dict | None = None) -> QuerySet[Departure]:
    """Departures of the stations in scope, newest first, filtered by type, station and date (local days)."""
    filters = filters or {}
    qs = scoped(Departure.objects.select_related("episode__person", "episode__station", "recorded_by"), user)
    if filters.get("exit_type"):
        qs = qs.filter(exit_type=filters["exit_type"])
    if filters.get("station"):
        # the filter form gives the organisation (a ModelChoiceField by uuid); the API may give the uuid
        station = filters["station"]
        qs = (qs.filter(episode__station=station) if isinstance(station, Organisation)
              else qs.filter(episode__station__uuid=station))
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        qs = qs.filter(left_at__gte=datetime.datetime.combine(filters["date_from"], datetime.time.min, tz))
    if filters.get("date_to"):
        qs = qs.filter(left_at__lt=datetime.datetime.combine(filters["date_to"] + datetime.timedelta(days=1),
                                                             datetime.time.min, tz))
    if filters.get("q"):
        q = filters["q"].strip()
        qs = qs.filter(episode__person__name__icontains=q) | qs.filter(episode__number__icontains=q)
    return qs.order_by("-left_at", "-id")


def departure_get(*, user, uuid) -> Departure:
    return get_scoped_or_404(Departure.objects.select_related("episode__person", "episode__station", "recorded_by",
                                                              "handover_org", "transfer_org"), user, uuid=uuid)


def episode_get(*, user, uuid) -> Episode:
    return get_scoped_or_404(Episode.objects.select_related("person", "station"), user, uuid=uuid)


def departure_for(episode: Episode) -> Departure | None:
    return Departure.objects.filter(episode=episode).select_related("recorded_by").first()


def may_record(user, episode: Episode) -> bool:
    return can_write_case(user, episode, *LEAVING_ROLES)


def escort_candidates(*, station: Organisation) -> QuerySet[User]:
    """Staff of the station who can escort a person home."""
    return User.objects.filter(organisation=station, is_active=True).order_by("full_name", "username")


def transfer_organisations() -> QuerySet[Organisation]:
    """Institutions a person can be transferred to (rule E1): stations, care facilities, hospitals."""
    return Organisation.objects.filter(
        is_active=True, kind__in=[*STATION_KINDS, OrgKind.CARE_FACILITY, OrgKind.HOSPITAL]).order_by("name")


def handover_stations() -> QuerySet[Organisation]:
    """Home-area stations a person can be escorted to."""
    return Organisation.objects.filter(is_active=True, kind__in=list(STATION_KINDS)).order_by("name")


def episode_panel(*, episode: Episode, user) -> dict:
    """The leaving panel of the episode page: the departure record, or the 办理离站 link when allowed.

    The caller fetched ``episode`` through the scope; include ``leaving/episode_panel.html`` with
    ``panel=<this dict>``.
    """
    departure = departure_for(episode)
    return {
        "episode": episode,
        "departure": departure,
        "can_leave": departure is None and episode.status in IN_CARE and may_record(user, episode),
    }
