"""Reads of the network app, always through the user's scope; coverage per county (rule P4)."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from core.models import STATION_KINDS, Division, DivisionLevel, Organisation, OrgKind
from core.scoping import get_scoped_or_404, scoped, visible_org_ids
from network.models import Contact, ContactKind, ServicePoint
from network.services import LOCAL_KINDS, may_manage


def contact_list(*, user, active_only: bool = True) -> QuerySet[Contact]:
    qs = scoped(Contact.objects.select_related("organisation", "county"), user)
    return qs.filter(is_active=True) if active_only else qs


def contact_get(*, user, uuid) -> Contact:
    return get_scoped_or_404(Contact.objects.select_related("organisation", "county"), user, uuid=uuid)


def point_list(*, user, active_only: bool = False) -> QuerySet[ServicePoint]:
    qs = scoped(ServicePoint.objects.select_related("organisation", "county"), user)
    return qs.filter(is_active=True) if active_only else qs


def point_get(*, user, uuid) -> ServicePoint:
    return get_scoped_or_404(ServicePoint.objects.select_related("organisation", "county"), user, uuid=uuid)


def manageable_orgs(user) -> list[Organisation]:
    """Organisations whose network entries the user may write (their own; a department's subtree)."""
    ids = visible_org_ids(user)
    orgs = Organisation.objects.filter(id__in=ids, kind__in=(*LOCAL_KINDS, *STATION_KINDS), is_active=True)
    return [o for o in orgs.select_related("division__parent") if may_manage(user, o)]


def _counties(user) -> QuerySet[Division]:
    """The counties of the user's network: those of the organisations they see (stations, townships …)."""
    ids = visible_org_ids(user)
    codes = set()
    for code in Organisation.objects.filter(id__in=ids).values_list("division__code", flat=True):
        if len(code) == 6 and not code.endswith("00"):
            codes.add(code)
        elif len(code) > 6:
            codes.add(code[:6])
        elif code.endswith("00") and not code.endswith("0000"):  # a city: all its counties
            codes |= set(
                Division.objects.filter(level=DivisionLevel.COUNTY, code__startswith=code[:4]).values_list(
                    "code", flat=True
                )
            )
    return Division.objects.filter(code__in=codes, level=DivisionLevel.COUNTY).order_by("code")


@dataclass
class TownshipRow:
    division: Division
    organisation: Organisation | None
    liaisons: list = field(default_factory=list)
    villages: int = 0
    villages_with_grid: int = 0


@dataclass
class CountyCoverage:
    county: Division
    stations: list = field(default_factory=list)
    townships: list = field(default_factory=list)
    points: int = 0

    @property
    def townships_with_liaison(self) -> int:
        return sum(1 for t in self.townships if t.liaisons)

    @property
    def villages(self) -> int:
        return sum(t.villages for t in self.townships)

    @property
    def villages_with_grid(self) -> int:
        return sum(t.villages_with_grid for t in self.townships)

    @property
    def four_level(self) -> bool:
        """A county has a four-level network when it has a station, every township registered under it has an
        organisation with a liaison, and every village organisation a grid worker (at least one of each)."""
        return bool(
            self.stations
            and self.townships
            and all(t.organisation and t.liaisons for t in self.townships)
            and self.villages
            and self.villages == self.villages_with_grid
        )


def coverage(user) -> list[CountyCoverage]:
    """Per county in the user's view: stations, each township (division) with its organisation and liaisons,
    its villages with and without a grid worker, and the service points."""
    return county_coverage(list(_counties(user)))


def county_coverage(counties: list[Division]) -> list[CountyCoverage]:
    """The coverage of the given counties in a fixed number of queries, however many counties (the campaign
    summary table asks it for a whole city)."""
    if not counties:
        return []
    codes = [c.code for c in counties]
    contacts = {}
    for c in Contact.objects.filter(is_active=True, county__code__in=codes).select_related("organisation"):
        contacts.setdefault(c.organisation_id, []).append(c)
    orgs_by_division: dict[int, Organisation] = {}
    villages_by_township: dict[int, list[Organisation]] = {}
    under = Q()
    for code in codes:
        under |= Q(division__code__startswith=code)
    for org in Organisation.objects.filter(under, kind__in=LOCAL_KINDS, is_active=True).select_related("division"):
        if org.kind == OrgKind.TOWNSHIP:
            orgs_by_division[org.division_id] = org
        else:
            villages_by_township.setdefault(org.division.parent_id, []).append(org)
    stations: dict[int, list[Organisation]] = {}
    for org in Organisation.objects.filter(kind__in=STATION_KINDS, division__in=counties, is_active=True):
        stations.setdefault(org.division_id, []).append(org)
    townships: dict[int, list[Division]] = {}
    for t_div in Division.objects.filter(parent__in=counties, level=DivisionLevel.TOWNSHIP).order_by("code"):
        townships.setdefault(t_div.parent_id, []).append(t_div)
    points = dict(
        ServicePoint.objects.filter(county__in=counties, is_active=True)
        .values("county").annotate(n=Count("id")).values_list("county", "n")
    )
    result = []
    for county in counties:
        cov = CountyCoverage(county)
        cov.stations = stations.get(county.pk, [])
        for t_div in townships.get(county.pk, []):
            org = orgs_by_division.get(t_div.pk)
            villages = villages_by_township.get(t_div.pk, [])
            row = TownshipRow(
                t_div,
                org,
                contacts.get(org.pk, []) if org else [],
                len(villages),
                sum(1 for v in villages if any(c.kind == ContactKind.GRID for c in contacts.get(v.pk, []))),
            )
            cov.townships.append(row)
        cov.points = points.get(county.pk, 0)
        result.append(cov)
    return result


def map_city(user) -> Division | None:
    """The city (地级) division whose map the user sees."""
    org = getattr(user, "organisation", None)
    division = org.division if org else None
    while division is not None and division.level != DivisionLevel.CITY:
        division = division.parent
    return division


def map_points(user) -> list[dict]:
    """Points to draw: rescue and guidance points, and the hot spots of outreach (scoped)."""
    from outreach.selectors import hot_spot_list

    rows = [
        {
            "name": p.name,
            "kind": p.get_kind_display(),
            "value": [float(p.longitude), float(p.latitude)],
            "address": p.address,
        }
        for p in point_list(user=user, active_only=True)
    ]
    rows += [
        {
            "name": h.name,
            "kind": "重点区域",
            "value": [float(h.longitude), float(h.latitude)],
            "address": h.address,
        }
        for h in hot_spot_list(user=user, active_only=True)
        if h.latitude is not None
    ]
    return rows
