"""Reads of the stay app, always through the user's scope: the board, occupancy, N5, the episode panel."""

import datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.models import STATION_KINDS, Organisation, OrgKind, Role
from core.scoping import can_write, can_write_case, scoped, visible_organisations
from people.models import Episode, IdentityStatus, Person
from people.states import IN_CARE, EpisodeStatus
from stay.models import Bed, BedAssignment, Placement, PlacementKind, StayExtension, Zone

#: Roles that act on a person's stay (head and admin are always included by core.scoping.can_write).
STAY_ROLES = (Role.RECEPTION, Role.CARER, Role.MEDICAL, Role.TRACER)
#: Roles that set up zones and beds.
SETUP_ROLES = (Role.HEAD, Role.ADMIN)
#: Who refreshes the search information of a person stranded over a month (rule N5).
SEARCH_REFRESH_ROLES = (Role.TRACER, Role.RECEPTION, Role.CARER, Role.HEAD)


def n5_limit() -> int:
    return int(settings.GUITU_RULES["N5_MAX_STAY_DAYS"])


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def n5_applies_q(now: datetime.datetime) -> Q:
    """Rule N5 applies to people aged 16 or over (or of unknown age) without signs of mental disorder or
    intellectual disability."""
    today = timezone.localtime(now).date()
    adult = (Q(person__birth_date__lte=_years_before(today, 16))
             | Q(person__birth_date__isnull=True, person__birth_year_est__lte=today.year - 16)
             | Q(person__birth_date__isnull=True, person__birth_year_est__isnull=True))
    return adult & Q(person__has_mental_disorder=False, person__has_intellectual_disability=False)


def n5_over_q(now: datetime.datetime) -> Q:
    """In care for longer than the N5 limit (10 days by default)."""
    return Q(status__in=list(IN_CARE), admitted_at__lt=now - datetime.timedelta(days=n5_limit()))


def n5_missing_q(now: datetime.datetime) -> Q:
    """Over the N5 limit, N5 applies, and no reason has been recorded."""
    return n5_over_q(now) & n5_applies_q(now) & ~Q(Exists(StayExtension.objects.filter(episode=OuterRef("pk"))))


def n5_reports(*, user, pending_only: bool = True) -> QuerySet[StayExtension]:
    """Rule N5: reports of stays beyond the limit addressed to the user's department (or, for a station,
    its own reports), newest first; ``pending_only``: not yet acknowledged."""
    qs = scoped(StayExtension.objects.all(), user)
    org = getattr(user, "organisation", None)
    if org is not None and org.kind == OrgKind.CIVIL_AFFAIRS:
        qs = qs.filter(department=org)
    if pending_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs.select_related("episode__person", "episode__station", "department", "recorded_by",
                             "acknowledged_by").order_by("-reported_at", "-id")


def may_acknowledge_n5(user) -> bool:
    """Department staff (supervisor, head, admin) of a civil-affairs department acknowledge N5 reports."""
    from stay.services import N5_ACK_ROLES

    org = getattr(user, "organisation", None)
    return bool(org is not None and org.kind == OrgKind.CIVIL_AFFAIRS and user.has_role(*N5_ACK_ROLES))


def n5_applies(person: Person, on: datetime.date) -> bool:
    age = person.age_on(on)
    return (age is None or age >= 16) and not (person.has_mental_disorder or person.has_intellectual_disability)


def n5_status(episode: Episode, now: datetime.datetime | None = None) -> dict:
    """For one episode: over the limit? does N5 apply? is a reason recorded? (rule N5)"""
    now = now or timezone.now()
    over = (episode.status in IN_CARE and episode.admitted_at is not None
            and now - episode.admitted_at > datetime.timedelta(days=n5_limit()))
    applies = n5_applies(episode.person, timezone.localtime(now).date())
    extensions = list(episode.stay_extensions.select_related("recorded_by").order_by("-created_at"))
    return {"limit": n5_limit(), "over": over, "applies": applies, "extensions": extensions,
            "reason_needed": over and applies and not extensions}


def episode_in_scope(*, user, uuid) -> Episode:
    from core.scoping import get_scoped_or_404

    return get_scoped_or_404(Episode.objects.select_related("person", "station"), user, uuid=uuid)


def board(*, user, filters: dict | None = None, now: datetime.datetime | None = None) -> QuerySet[Episode]:
    """Everyone in care at the stations in scope, with their bed, newest entry first (the 在站人员 board)."""
    filters = filters or {}
    now = now or timezone.now()
    open_bed = BedAssignment.objects.filter(episode=OuterRef("pk"), released_at__isnull=True)
    open_placement = Placement.objects.filter(episode=OuterRef("pk"), ended_at__isnull=True)
    qs = (
        scoped(Episode.objects.all(), user)
        .filter(status__in=list(IN_CARE))
        .select_related("person", "station")
        .annotate(
            bed_code=Subquery(open_bed.values("bed__code")[:1]),
            zone_name=Subquery(open_bed.values("bed__zone__name")[:1]),
            placement_org=Subquery(open_placement.values("organisation__name")[:1]),
            has_n5_reason=Exists(StayExtension.objects.filter(episode=OuterRef("pk"))),
        )
    )
    if filters.get("station"):
        # the filter form gives the organisation (a ModelChoiceField by uuid); the API may give the uuid
        station = filters["station"]
        qs = qs.filter(station=station) if isinstance(station, Organisation) else qs.filter(station__uuid=station)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("zone"):
        qs = qs.filter(Exists(open_bed.filter(bed__zone__uuid=filters["zone"])))
    if filters.get("identity_status"):
        qs = qs.filter(person__identity_status=filters["identity_status"])
    if filters.get("no_bed"):
        qs = qs.filter(status__in=[EpisodeStatus.ADMITTED, EpisodeStatus.IN_STATION]).exclude(Exists(open_bed))
    flag = filters.get("flag")
    if flag == "over":
        qs = qs.filter(n5_over_q(now))
    elif flag == "n5_missing":
        qs = qs.filter(n5_missing_q(now))
    if filters.get("q"):
        q = filters["q"].strip()
        qs = qs.filter(Q(person__name__icontains=q) | Q(person__file_no__icontains=q) | Q(number__icontains=q)
                       | Q(person__name_pinyin__icontains=q.lower()))
    return qs.order_by("admitted_at", "id")


def n5_missing(*, user, now: datetime.datetime | None = None) -> QuerySet[Episode]:
    """People in care beyond the N5 limit without a recorded reason (rule N5)."""
    now = now or timezone.now()
    return (scoped(Episode.objects.all(), user).filter(n5_missing_q(now)).select_related("person", "station")
            .order_by("admitted_at"))


def occupancy(*, user) -> list[dict]:
    """Rule C3: beds, occupied beds and occupancy rate per station in scope, with a per-zone breakdown."""
    zones = (
        scoped(Zone.objects.filter(is_active=True), user)
        .select_related("station")
        .annotate(**zone_counts())
        .order_by("station__name", "category", "name")
    )
    stations: dict[int, dict] = {}
    for zone in zones:
        entry = stations.setdefault(zone.station_id, {"station": zone.station, "beds": 0, "occupied": 0, "zones": []})
        entry["beds"] += zone.beds_n
        entry["occupied"] += zone.occupied_n
        entry["zones"].append({"zone": zone, "beds": zone.beds_n, "occupied": zone.occupied_n,
                               "free": max(zone.beds_n - zone.occupied_n, 0), "rate": _rate(zone.occupied_n, zone.beds_n)})
    result = []
    for entry in stations.values():
        entry["rate"] = _rate(entry["occupied"], entry["beds"])
        entry["free"] = max(entry["beds"] - entry["occupied"], 0)
        result.append(entry)
    return result


def _rate(occupied: int, beds: int) -> float | None:
    return round(100.0 * occupied / beds, 1) if beds else None


def zone_list(*, user) -> QuerySet[Zone]:
    return scoped(Zone.objects.select_related("station"), user).annotate(**zone_counts())


def zone_counts() -> dict:
    """Active beds and occupied beds of a zone. Occupied counts the *open* assignments only (the partial unique
    index ``stay_one_person_per_bed``, released_at IS NULL) — joining a bed's whole assignment history grew
    with the years (issue 9: 10 s on the province's in-care board)."""
    open_here = (BedAssignment.objects.filter(bed__zone=OuterRef("pk"), released_at__isnull=True).order_by()
                 .values("bed__zone").annotate(n=Count("id")).values("n"))
    return {"beds_n": Count("beds", filter=Q(beds__is_active=True)),
            "occupied_n": Coalesce(Subquery(open_here), 0)}


def zone_beds(*, zone: Zone) -> list[Bed]:
    """Beds of a zone with whoever occupies each (the zone was fetched through the scope)."""
    beds = list(zone.beds.order_by("code"))
    current = {a.bed_id: a for a in BedAssignment.objects.filter(bed__zone=zone, released_at__isnull=True)
               .select_related("episode__person")}
    for bed in beds:
        bed.current = current.get(bed.pk)
    return beds


def bed_map(*, user, station: Organisation | None = None) -> list[dict]:
    """The bed map (床位图): per station in scope, each active zone as a grid of its beds with their state
    (free, occupied — by whom —, out of use), in two queries."""
    zones = scoped(Zone.objects.filter(is_active=True), user).select_related("station").order_by(
        "station__name", "category", "name")
    if station is not None:
        zones = zones.filter(station=station)
    zones = list(zones)
    beds = list(Bed.objects.filter(zone__in=zones).order_by("code"))
    current = {a.bed_id: a for a in BedAssignment.objects.filter(bed__zone__in=zones, released_at__isnull=True)
               .select_related("episode__person")}
    by_zone: dict[int, list[dict]] = {}
    for bed in beds:
        a = current.get(bed.pk)
        state = "occupied" if a else ("free" if bed.is_active else "inactive")
        by_zone.setdefault(bed.zone_id, []).append({"bed": bed, "state": state, "assignment": a})
    stations: dict[int, dict] = {}
    for zone in zones:
        cells = by_zone.get(zone.pk, [])
        entry = stations.setdefault(zone.station_id, {"station": zone.station, "zones": []})
        entry["zones"].append({"zone": zone, "cells": cells, "free": sum(1 for c in cells if c["state"] == "free"),
                               "occupied": sum(1 for c in cells if c["state"] == "occupied")})
    return list(stations.values())


def free_beds(*, station: Organisation) -> QuerySet[Bed]:
    """Active, unoccupied beds of a station, for choosing (the caller has checked scope on the episode)."""
    return (Bed.objects.filter(zone__station=station, is_active=True, zone__is_active=True)
            .exclude(Exists(BedAssignment.objects.filter(bed=OuterRef("pk"), released_at__isnull=True)))
            .select_related("zone").order_by("zone__category", "zone__name", "code"))


def placement_organisations(kind: str) -> QuerySet[Organisation]:
    """Hospitals or outside-care facilities to choose from (names are not personal data)."""
    org_kind = OrgKind.HOSPITAL if kind == PlacementKind.HOSPITAL else OrgKind.CARE_FACILITY
    return Organisation.objects.filter(kind=org_kind, is_active=True).order_by("name")


def placement_list(*, user, open_only: bool = False) -> QuerySet[Placement]:
    qs = scoped(Placement.objects.select_related("episode__person", "episode__station", "organisation"), user)
    if open_only:
        qs = qs.filter(ended_at__isnull=True)
    return qs.order_by("-started_at")


def setup_stations(*, user) -> QuerySet[Organisation]:
    """Stations where ``user`` may set up zones and beds (heads and administrators of that station)."""
    ids = [o.pk for o in visible_organisations(user).filter(kind__in=STATION_KINDS)
           if can_write(user, o, *SETUP_ROLES)]
    return Organisation.objects.filter(pk__in=ids)


def episode_panel(*, episode: Episode, user) -> dict:
    """What the episode page shows about the stay: bed, placements, N5 status and the allowed actions.

    The caller fetched ``episode`` through the scope; include ``stay/episode_panel.html`` with
    ``panel=<this dict>``.
    """
    now = timezone.now()
    writable = can_write_case(user, episode, *STAY_ROLES)
    bed = open_assignment_for(episode)
    placements = list(episode.placements.select_related("organisation").order_by("-started_at"))
    open_placement = next((p for p in placements if p.ended_at is None), None)
    in_care = episode.status in IN_CARE
    carer = episode.care_assignments.select_related("carer").filter(ended_at__isnull=True).first()
    return {
        "episode": episode,
        "bed": bed,
        "carer": carer,
        "n4_female_needed": episode.person.sex == "女",
        "bed_history": list(episode.bed_assignments.select_related("bed__zone").order_by("-assigned_at")[:10]),
        "placements": placements,
        "open_placement": open_placement,
        "n5": n5_status(episode, now),
        "stranded_days": episode.stranded_days(now),
        "can_write": writable and in_care,
        "can_assign_bed": writable and bed is None and episode.status in (EpisodeStatus.ADMITTED,
                                                                           EpisodeStatus.IN_STATION),
        "can_release_bed": writable and bed is not None,
        "can_place": writable and in_care,
        "can_return": writable and open_placement is not None,
        # rule N5: the search information of a person whose identity is unknown is refreshed monthly
        "refreshes": list(episode.search_refreshes.select_related("recorded_by")[:5]),
        "can_refresh": (can_write_case(user, episode, *SEARCH_REFRESH_ROLES) and in_care
                        and episode.person.identity_status != IdentityStatus.IDENTIFIED),
    }


def open_assignment_for(episode: Episode) -> BedAssignment | None:
    return episode.bed_assignments.select_related("bed__zone").filter(released_at__isnull=True).first()


def episode_todo(*, episode: Episode, user) -> list[dict]:
    """Stay's part of the episode page's "still missing" list (people.selectors.episode_next_steps): no bed
    for someone in the station (rules C1, N4), no responsible carer for a woman (rule N4)."""
    from django.urls import reverse

    items: list[dict] = []
    if episode.status not in IN_CARE:
        return items
    bed = open_assignment_for(episode)
    placed = episode.placements.filter(ended_at__isnull=True).exists()
    if bed is None and not placed and episode.status in (EpisodeStatus.ADMITTED, EpisodeStatus.IN_STATION):
        items.append({"key": "stay:bed", "label": "未安排床位", "act": "安排床位", "rule": "C1",
                      "url": reverse("stay:bed_assign", args=[episode.uuid]), "before": EpisodeStatus.IN_STATION,
                      "instead": False})
    if episode.person.sex == "女" and not episode.care_assignments.filter(ended_at__isnull=True).exists():
        items.append({"key": "stay:carer", "label": "未指派女性责任照料人员", "act": "指派照料人员", "rule": "N4",
                      "url": reverse("stay:care_assign", args=[episode.uuid]), "before": None, "instead": False})
    return items
