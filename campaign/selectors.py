"""Every read of the campaign app, through the user's scope; the summary table (情况汇总表, rule O4).

Who sees what: a campaign belongs to its department; the department, every organisation under it and the
departments above it see the campaign (a county department answers its city's campaign); anyone else gets 404.
The table has a row per county of the campaign's area (and 市本级 for organisations placed at the city itself):
a user placed in a county sees only that county's row; the figures count only organisations the user may see
(``core.scoping.visible_org_ids``), each mapped to its row by its division.

Speed: every computed column is one aggregate query grouped by organisation over the whole area, so the number
of queries does not grow with the counties, organisations or episodes (``test_o4_table_queries_do_not_grow_with_counties_or_episodes``).
The two columns of people in care at the date (滞留人员总数, 滞留超过10天且无法查明身份) are the statistics' stock
at that date, read from its summary tables (``figures.selectors.stock_by_station``, refreshed by the task queue):
counting them from the episodes took 4–5 s for a city at 10,000,000 episodes, and the two pages now agree by
construction. The table says when the summary was last refreshed; before any refresh the columns are not available.
"""

from __future__ import annotations

import datetime
import importlib
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from campaign import columns as cols
from campaign.models import Campaign, Declaration, ReportingDate, Submission
from core.models import STATION_KINDS, Division, DivisionLevel, Organisation
from core.scoping import visible_org_ids

# --- who sees a campaign ----------------------------------------------------------------------------------


def _ancestor_ids(org: Organisation | None) -> set[int]:
    """The departments above ``org`` (its supervisor, theirs, …)."""
    ids: set[int] = set()
    parents = dict(Organisation.objects.values_list("id", "supervisor_id"))
    current = parents.get(org.pk) if org is not None else None
    while current is not None and current not in ids:
        ids.add(current)
        current = parents.get(current)
    return ids


def campaign_org_ids(user) -> set[int]:
    """Departments whose campaigns ``user`` sees: those in the user's scope and those above the user."""
    if user is None or not user.is_authenticated:
        return set()
    return set(visible_org_ids(user)) | _ancestor_ids(user.organisation if user.organisation_id else None)


def campaign_list(*, user) -> QuerySet[Campaign]:
    return Campaign.objects.filter(department_id__in=campaign_org_ids(user)).select_related("department")


def campaign_get(*, user, uuid) -> Campaign:
    """One campaign the user sees (404 otherwise: "does not exist" and "not yours" look the same)."""
    return _get_or_404(campaign_list(user=user).select_related("department__division"), uuid=uuid)


def _get_or_404(queryset, **lookup):
    from django.http import Http404

    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该记录，或您无权查看。") from exc


def declaration_list(*, user, campaign: Campaign) -> QuerySet[Declaration]:
    codes = [r.code for r in area_rows(user, campaign)]
    return (
        Declaration.objects.filter(campaign=campaign, division__code__in=codes)
        .select_related("division", "organisation", "entered_by")
        .order_by("division__code", "-declared_on", "-id")
    )


def declaration_get(*, user, uuid) -> Declaration:
    declaration = _get_or_404(
        Declaration.objects.filter(campaign__in=campaign_list(user=user)).select_related(
            "campaign__department__division", "division", "organisation", "entered_by"
        ),
        uuid=uuid,
    )
    if declaration.division.code not in {r.code for r in area_rows(user, declaration.campaign)}:
        _get_or_404(Declaration.objects.none(), uuid=uuid)
    return declaration


def reporting_dates(*, campaign: Campaign) -> list[ReportingDate]:
    return list(campaign.dates.order_by("due_on", "id"))


def submission_list(*, user, campaign: Campaign) -> QuerySet[Submission]:
    """Submissions of the departments in the user's scope (a city department sees its counties' too)."""
    return (
        Submission.objects.filter(reporting_date__campaign=campaign, organisation_id__in=visible_org_ids(user))
        .select_related("reporting_date", "organisation", "submitted_by")
    )


def submission_get(*, user, uuid) -> Submission:
    return _get_or_404(
        Submission.objects.filter(
            reporting_date__campaign__in=campaign_list(user=user), organisation_id__in=visible_org_ids(user)
        ).select_related("reporting_date__campaign", "organisation", "submitted_by"),
        uuid=uuid,
    )


# --- the table's rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaRow:
    code: str  # the county's division code, or the city's for 市本级
    name: str
    is_city: bool = False


def row_code(division_code: str) -> str | None:
    """The row an organisation belongs to by its division: its county (a township or village maps to the county
    it lies in); an organisation placed at a city itself belongs to that city's 市本级 row."""
    if len(division_code) > 6:
        return division_code[:6]
    if len(division_code) == 6 and not division_code.endswith("0000"):
        return division_code
    return None


def _is_city(code: str) -> bool:
    return len(code) == 6 and code.endswith("00") and not code.endswith("0000")


def campaign_rows(campaign: Campaign) -> list[AreaRow]:
    """Every row of the campaign's area: for a city department 市本级 and each county of the city, for a county
    department its county."""
    division = campaign.department.division
    code = row_code(division.code)
    if code is None:
        return []
    if _is_city(code):
        counties = Division.objects.filter(parent__code=code, level=DivisionLevel.COUNTY, is_active=True)
        return [AreaRow(code, "市本级", True)] + [AreaRow(d.code, d.name) for d in counties.order_by("code")]
    return [AreaRow(code, division.name)]


def area_rows(user, campaign: Campaign) -> list[AreaRow]:
    """The rows ``user`` may see: all of them for the campaign's department and those above it; a user placed in
    a county (a county department, a station) only that county's row."""
    rows = campaign_rows(campaign)
    if user.is_superuser:
        return rows
    org = user.organisation
    if org is None:
        return []
    own = row_code(org.division.code)
    if own is None or _is_city(own):
        prefix = org.division.code[:2] if own is None else own[:4]
        return [r for r in rows if r.code.startswith(prefix)]
    return [r for r in rows if r.code == own and not r.is_city]


# --- figures -----------------------------------------------------------------------------------------------


#: The columns read from the statistics' summary tables (``stock_columns``).
STOCK_KEYS = ("stranded_at", "stranded_unidentified")


def figures_refreshed_at():
    """When the statistics' summary tables were last refreshed (None: never — the stock columns are unavailable)."""
    from figures.selectors import last_refresh

    run = last_refresh()
    return run.finished_at if run else None


def import_contract(module_name: str):
    """The seam through which the table asks an app being built in parallel for its figures (tests replace it)."""
    return importlib.import_module(module_name)


def contract_figures(app: str, org_ids: list[int], start: datetime.date, end: datetime.date,
                     as_of: datetime.date) -> dict[str, dict[int, int]] | None:
    """``<app>.selectors.campaign_figures(org_ids, start, end, as_of)`` → ``{column key: {organisation id: n}}``,
    or None while the app (or its function) is not part of the system yet."""
    try:
        figures = import_contract(f"{app}.selectors").campaign_figures
    except (ImportError, AttributeError):
        return None
    return figures(org_ids, start, end, as_of)


def _bounds(day: datetime.date) -> datetime.datetime:
    """The first instant of ``day`` (local time)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _per(qs, field: str, count: str = "pk") -> dict[int, int]:
    return dict(qs.order_by().values(field).annotate(n=Count(count, distinct=True)).values_list(field, "n"))


def computed_figures(org_ids: list[int], start: datetime.date, end: datetime.date,
                     as_of: datetime.date) -> dict[str, dict[int, int]]:
    """Every column the system's own records answer, ``{column key: {organisation id: n}}``. Period columns count
    from ``start`` to ``end`` (both inclusive), point-in-time columns at the end of ``as_of``. One query each."""
    from aftercare.models import AttentionItem, AttentionStatus, ReturnCase, RiskRegistration, SharedListKind
    from incidents.models import Incident
    from oversight.models import Inspection
    from staff.services import campaign_counts
    from tracing.models import Identification

    p_start, p_end, at = _bounds(start), _bounds(end + datetime.timedelta(days=1)), _bounds(
        as_of + datetime.timedelta(days=1))
    # The organisation register is kept as it stands (no history): a station counts while it is active.
    stations = Organisation.objects.filter(id__in=org_ids, kind__in=STATION_KINDS, is_active=True)
    attention = AttentionItem.objects.filter(
        organisation_id__in=org_ids, status=AttentionStatus.CONFIRMED, decided_at__lt=at,
        row__shared_list__list_kind=SharedListKind.POVERTY,
    )
    people = dict(attention.filter(person__isnull=False).order_by().values("organisation")
                  .annotate(n=Count("person", distinct=True)).values_list("organisation", "n"))
    for org_id, n in (attention.filter(person__isnull=True).order_by().values("organisation")
                      .annotate(n=Count("registration", distinct=True)).values_list("organisation", "n")):
        people[org_id] = people.get(org_id, 0) + n
    return {
        "stations_total": _per(stations, "id"),
        "stations_inspected": _per(
            # 相关部门实地检查: an inspection by another body (a station checking itself does not count)
            Inspection.objects.filter(organisation__in=stations, inspected_at__gte=p_start, inspected_at__lt=p_end)
            .exclude(inspector_org_id=F("organisation_id")),
            "organisation", "organisation",
        ),
        "incidents": _per(Incident.objects.filter(station_id__in=org_ids, occurred_at__gte=p_start,
                                                  occurred_at__lt=p_end), "station"),
        **stock_columns(org_ids, as_of),
        "identified": _per(
            Identification.objects.filter(station_id__in=org_ids, confirmed_at__gte=p_start, confirmed_at__lt=p_end),
            "station", "person",
        ),
        "ledger_stations": _per(
            ReturnCase.objects.filter(station__in=stations, returned_at__lt=at), "station", "station"
        ),
        "registry_stations": _per(
            RiskRegistration.objects.filter(station__in=stations, registered_at__lt=at), "station", "station"
        ),
        "poverty_wandering": people,
        **campaign_counts(org_ids, start, end),
    }


def stock_columns(org_ids: list[int], as_of: datetime.date) -> dict[str, dict[int, int]]:
    """滞留人员总数 and 滞留超过10天（无法查明身份信息）at the end of ``as_of``: the statistics' stock and its rule-N5
    flag (in care longer than the limit, identity not found by then), per station, from the summary tables."""
    from figures import selectors as figures

    per_station = figures.stock_by_station(org_ids, as_of)
    return {"stranded_at": per_station["all"], "stranded_unidentified": per_station["stranded"]}


def _declared(declarations: dict[str, Declaration], code: str, column: cols.Column):
    d = declarations.get(code)
    if d is None:
        return cols.NOT_DECLARED
    if column.key == "leadership":
        text = f"{'已成立' if d.leadership_mechanism else '未成立'}；召开会议{d.meetings_held}次"
        return text + (f"：{d.leadership_note}" if d.leadership_note else "")
    if column.key == "leaders_guidance":
        return d.leaders_guidance or "—"
    if column.key == "pay_policy":
        return ("已落实" if d.pay_policy else "未落实") + (f"：{d.pay_policy_note}" if d.pay_policy_note else "")
    if column.key == "patrol_duties":
        return 1 if d.patrol_duties else 0
    raise KeyError(column.key)


def _cell(column: cols.Column, value):
    """What a row shows for a raw value."""
    if value == cols.NOT_AVAILABLE or column.kind in ("text",) or value == cols.NOT_DECLARED:
        return value
    if column.kind == "incidents":
        return "否" if not value else f"是（{value}起）"
    return value


def _total(column: cols.Column, rows: list[dict], declarations: dict[str, Declaration], unavailable: set[str],
           city_level: dict[str, int]):
    if column.key in unavailable:
        return cols.NOT_AVAILABLE
    counties = [r for r in rows if not r["is_city"]]
    if column.key == "leadership":
        done = [declarations[r["code"]] for r in counties if r["code"] in declarations]
        yes = sum(1 for d in done if d.leadership_mechanism)
        return f"{yes}个县（市、区）已成立，共召开会议{sum(d.meetings_held for d in done)}次"
    if column.key == "leaders_guidance":
        return f"{sum(1 for r in counties if r['code'] in declarations)}个县（市、区）已填报"
    if column.key == "pay_policy":
        return f"{sum(1 for r in counties if r['code'] in declarations and declarations[r['code']].pay_policy)}" \
               "个县（市、区）已落实"
    values = [r["values"][column.key] for r in rows if isinstance(r["values"][column.key], int)]
    total = sum(values)
    if column.kind == "split":
        city = city_level.get(column.key, 0)
        return f"{total}（市级{city}，县级{total - city}）"
    return _cell(column, total)


def table(*, user, campaign: Campaign, as_of: datetime.date) -> dict:
    """The campaign summary table for ``as_of``, as plain data (stored as issued on submission, rendered by the
    page, the print view, the Excel export and the API alike). See the module docstring for scope and speed."""
    from network.selectors import county_coverage

    rows = area_rows(user, campaign)
    codes = {r.code for r in rows}
    start, end = campaign.starts_on, min(as_of, campaign.ends_on)
    row_of: dict[int, str] = {}
    for org_id, code in Organisation.objects.filter(id__in=visible_org_ids(user)).values_list("id", "division__code"):
        rc = row_code(code)
        if rc in codes:
            row_of[org_id] = rc
    org_ids = sorted(row_of)
    figures = computed_figures(org_ids, start, end, as_of)
    refreshed = figures_refreshed_at()
    unavailable: set[str] = set() if refreshed else set(STOCK_KEYS)
    for app, keys in cols.CONTRACT_KEYS.items():
        answer = contract_figures(app, org_ids, start, end, as_of)
        for key in keys:
            if answer is None or key not in answer:
                unavailable.add(key)
            else:
                figures[key] = answer[key]
    # Figures keyed by organisations the area query did not return (a parallel app's facilities): placed by division.
    strangers = {oid for per_org in figures.values() for oid in per_org if oid not in row_of}
    if strangers:
        for org_id, code in Organisation.objects.filter(id__in=strangers).values_list("id", "division__code"):
            if row_code(code) in codes and org_id in visible_org_ids(user):
                row_of[org_id] = row_code(code)
    sums: dict[str, dict[str, int]] = {}
    for key, per_org in figures.items():
        target = sums.setdefault(key, {})
        for org_id, n in per_org.items():
            if org_id in row_of:
                target[row_of[org_id]] = target.get(row_of[org_id], 0) + n
    county_divisions = list(Division.objects.filter(code__in=[r.code for r in rows if not r.is_city]))
    four_level = {c.county.code for c in county_coverage(county_divisions) if c.four_level}
    declarations: dict[str, Declaration] = {}
    for d in Declaration.objects.filter(campaign=campaign, division__code__in=codes, declared_on__lte=as_of).order_by(
        "division__code", "-declared_on", "-id"
    ).select_related("division"):
        declarations.setdefault(d.division.code, d)

    out_rows = []
    for number, row in enumerate(rows, start=1):
        values = {}
        for column in cols.COLUMNS:
            if column.key in unavailable:
                values[column.key] = cols.NOT_AVAILABLE
            elif column.source == cols.DECLARATION:
                values[column.key] = _declared(declarations, row.code, column)
            elif column.source == cols.ROWS:
                values[column.key] = 0 if row.is_city else 1
            elif column.key == "four_level_network":
                values[column.key] = 1 if row.code in four_level else 0
            else:
                values[column.key] = sums.get(column.key, {}).get(row.code, 0)
        out_rows.append({
            "number": number, "code": row.code, "name": row.name, "is_city": row.is_city, "values": values,
            "cells": [_cell(c, values[c.key]) for c in cols.COLUMNS],
        })
    # 市级、县级分别注明: a city-level station is one placed at the city itself or run by the city's department
    # (the city station usually sits in a district, so its row is that district's).
    city_code = next((r.code for r in rows if r.is_city), None)
    city_stations = set(
        Organisation.objects.filter(id__in=org_ids, kind__in=STATION_KINDS).filter(
            Q(division__code=city_code) | Q(supervisor__division__code=city_code)
        ).values_list("id", flat=True)
    ) if city_code else set()
    city_level = {c.key: sum(n for oid, n in figures.get(c.key, {}).items() if oid in city_stations)
                  for c in cols.COLUMNS if c.kind == "split"}
    total_cells = [_total(c, out_rows, declarations, unavailable, city_level) for c in cols.COLUMNS]
    as_of_text = f"{as_of.year}年{as_of.month}月{as_of.day}日"
    return {
        "campaign": {"uuid": str(campaign.uuid), "name": campaign.name, "department": campaign.department.name,
                     "starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat()},
        "as_of": as_of.isoformat(), "as_of_text": as_of_text,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "columns": [{"key": c.key, "label": cols.leaf_label(c, as_of_text), "source": c.source}
                    for c in cols.COLUMNS],
        "unavailable": sorted(unavailable),
        "stock_refreshed_at": timezone.localtime(refreshed).strftime("%Y-%m-%d %H:%M") if refreshed else "",
        "rows": out_rows,
        "total": {"name": "合计", "cells": total_cells},
    }
