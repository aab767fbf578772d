"""Reads of the statistics: always from the summary tables, always within the user's scope (core.scoping).

A page asks a constant number of queries however many episodes there are: ``GROUP BY`` over ``Fact``
for the breakdown and the trend, one for the names of places, one for the time of
the last refresh — plus, for a period not on month boundaries, the same counts over the per-episode facts of
its loose days only (at most two partial months, through the station-and-day indexes).
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from core.models import STATION_KINDS, Division, Organisation, OrgKind, Role
from core.scoping import get_scoped_or_404, scoped, visible_org_ids
from figures import dimensions as dims
from figures import sql as fsql
from figures.models import EpisodeFact, Fact, Grain, QuarterlyReport, RefreshRun, ReportSubmission
from figures.refresh import measure_q
from people.models import SPECIAL_GROUP_FIELDS, Person

#: How areas are grouped: code → label.
GROUPS = {"station": "按机构", "county": "按县（区）", "city": "按地市", "province": "按省"}


# --- who may see the statistics -------------------------------------------------------------------------


def may_view(user) -> bool:
    """Statisticians, station heads and the staff of civil-affairs departments (and regional centres' heads)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.has_role(Role.STATISTICIAN, Role.HEAD):
        return True
    org = user.organisation
    return org is not None and org.kind == OrgKind.CIVIL_AFFAIRS


def require_view(user) -> None:
    if not may_view(user):
        raise PermissionDenied("统计数据只向统计员、站长和民政部门工作人员开放。")


def scope_stations(user) -> list[Organisation]:
    """The stations (救助管理机构) whose figures ``user`` may see."""
    return list(Organisation.objects.filter(id__in=visible_org_ids(user), kind__in=STATION_KINDS)
                .select_related("division").order_by("division__code", "name"))


def area_of(station: Organisation, group: str) -> str:
    """The key of the area a station falls in when grouping by ``group`` (its uuid or a division code)."""
    if group == "station":
        return str(station.uuid)
    province, city, county = dims.division_levels(station.division.code)
    return {"county": county or city or province, "city": city or province, "province": province}[group]


def area_choices(stations) -> list[tuple[str, str]]:
    """The area choices of the user's scope: each station, and the counties, cities and provinces they lie in."""
    codes: dict[str, int] = {}
    for station in stations:
        province, city, county = dims.division_levels(station.division.code)
        for code, level in ((province, 0), (city, 1), (county, 2)):
            if code:
                codes[code] = level
    names = place_names(codes)
    prefix = {0: "省：", 1: "市：", 2: "县（区）："}
    choices = [(code, prefix[level] + names.get(code, code)) for code, level in sorted(codes.items())]
    choices += [(str(s.uuid), "机构：" + s.name) for s in stations]
    return choices


# --- the query the page answers -------------------------------------------------------------------------


@dataclass
class Query:
    measure: str = "requested"
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    as_of: datetime.date | None = None
    area: str = ""  # a station's uuid or a division code; '' = the whole scope
    group: str = "station"
    stations: list = field(default_factory=list)  # the stations counted (filled by resolve)

    @property
    def is_stock(self) -> bool:
        return self.measure == dims.CARE

    @property
    def period_label(self) -> str:
        if self.is_stock:
            return f"{self.as_of:%Y年%-m月%-d日}24时"
        return f"{self.date_from:%Y-%m-%d} 至 {self.date_to:%Y-%m-%d}"

    def params(self) -> dict:
        out = {"measure": self.measure, "group": self.group}
        if self.area:
            out["area"] = self.area
        if self.is_stock:
            out["as_of"] = self.as_of.isoformat()
        else:
            out["date_from"], out["date_to"] = self.date_from.isoformat(), self.date_to.isoformat()
        return out


def default_query(today: datetime.date | None = None) -> Query:
    today = today or timezone.localdate()
    return Query(date_from=dims.month_start(today), date_to=today, as_of=today)


def resolve(user, query: Query, stations: list[Organisation] | None = None) -> Query:
    """Narrow ``query`` to the stations in the user's scope and in its area (an area outside the scope
    counts nothing: a county never sees another city's figures)."""
    stations = scope_stations(user) if stations is None else stations
    if query.area:
        if query.area.isdigit():
            stations = [s for s in stations if query.area in {s.division.code, *dims.division_levels(s.division.code)}]
        else:
            stations = [s for s in stations if str(s.uuid) == query.area]
    query.stations = stations
    return query


def _cached(kind: str, query: Query, compute):
    """``compute()`` cached per (what, query, stations counted) until the next refresh: the summary tables only
    change when a refresh finishes, so its id and end time are in the key (nothing is cached before the first)."""
    run = last_refresh()
    if run is None:
        return compute()
    ids = ",".join(str(s.id) for s in query.stations)
    raw = f"{kind}|{run.pk}|{run.finished_at.isoformat()}|{sorted(query.params().items())}|{ids}"
    key = "figures:" + hashlib.sha256(raw.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=CACHE_SECONDS)
    return found


#: How long a page's figures stay cached at most (a refresh changes the key before that).
CACHE_SECONDS = 6 * 3600


def cells(query: Query) -> dict[tuple[int, str, str], int]:
    """The counts (cached until the next refresh, see ``_cached``)."""
    return _cached("cells", query, lambda: _cells(query))


def _add_fact_rows(rows, out: dict) -> None:
    """Sum ``Fact`` rows per station, dimension and key into ``out``, the one ``origin`` key rolled up into
    province, city and county."""
    for station, dimension, key, n in rows.values_list("station_id", "dimension", "key").annotate(n=Sum("count")).order_by():
        _add_count(out, station, dimension, key, n)


def _add_count(out: dict, station: int, dimension: str, key: str, n: int) -> None:
    """Add ``n`` under a summary key, the one ``origin`` key counted under its province, city and county."""
    if dimension == dims.ORIGIN:
        for level, code in dims.origin_keys(key):
            out[(station, None, level, code)] += n
    else:
        out[(station, None, dimension, key)] += n


def _cells(query: Query) -> dict[tuple[int, str, str], int]:
    """The counts of ``query`` per (station, dimension, key): whole months from the monthly rows of ``Fact``,
    the loose days at either end (and, for a date, the days between it and the nearer stored month-end, see
    ``_stock``) counted with the refresh's own functions over the per-episode facts of those days only."""
    ids = [s.id for s in query.stations]
    out: dict = defaultdict(int)
    if not ids:
        return out
    if query.is_stock:
        _stock(ids, query.as_of, out)
    else:
        months, days = dims.period_pieces(query.date_from, query.date_to)
        if months:
            rows = Fact.objects.filter(measure=query.measure, grain=Grain.MONTH, day__range=months, station_id__in=ids)
            _add_fact_rows(rows, out)
        for start, end in days:
            _loose_days(query.measure, ids, start, end, out)
    return {(station, dimension, key): n for (station, _m, dimension, key), n in out.items()}


def stock_by_station(org_ids, as_of: datetime.date) -> dict[str, dict[int, int]]:
    """People in care at the end of ``as_of`` per station, in all (``"all"``) and with the rule-N5 flag
    (``"stranded"``: over the limit, identity not found), from the summary tables — what other reports (the
    campaign table) count, so they agree with the statistics by construction. Not scoped: the caller's ids are."""
    stations = list(Organisation.objects.filter(id__in=list(org_ids), kind__in=STATION_KINDS))
    out: dict[str, dict[int, int]] = {"all": {}, "stranded": {}}
    for (station, dimension, key), n in cells(Query(measure=dims.CARE, as_of=as_of, stations=stations)).items():
        if n and (dimension, key) in (("all", ""), ("stranded", dims.STRANDED)):
            out[dimension][station] = n
    return out


def _stock(ids: list[int], as_of: datetime.date, out: dict) -> None:
    """People in care at the end of ``as_of``: the stock stored for the nearer month-end, moved to the date by the
    changes of the days between — forward from the end of the month before, or back from the end of this month
    (at most half a month of days; none on a month-end). The current month's end row is what the last refresh
    knew of everyone in care (nothing has happened after now), so today and the days just before it read almost
    no days either: a province's stock on the 30th used to count the changes of all thirty."""
    before = dims.month_start(as_of) - datetime.timedelta(days=1)
    end = dims.month_end(as_of)
    run = last_refresh()
    stored_end = run is not None and end <= dims.month_end(timezone.localtime(run.started_at).date())
    one_day = datetime.timedelta(days=1)
    if stored_end and (end - as_of) < (as_of - before):
        _add_fact_rows(Fact.objects.filter(measure=dims.CARE, grain=Grain.MONTH, day=end, station_id__in=ids), out)
        if as_of < end:
            _loose_days(dims.CARE, ids, as_of + one_day, end, out, direction=-1)
    else:
        _add_fact_rows(Fact.objects.filter(measure=dims.CARE, grain=Grain.MONTH, day=before, station_id__in=ids), out)
        _loose_days(dims.CARE, ids, before + one_day, as_of, out)


def _loose_days(measure: str, ids: list[int], start: datetime.date, end: datetime.date, out: dict, *,
                direction: int = 1) -> None:
    """Add the counts of the loose days [start, end] (``figures.sql.loose_day_sql``: one grouped pass per
    statement, as the refresh counts months) into ``out``, the origin key rolled up as for ``Fact`` rows;
    ``direction=-1`` takes the stock's changes of those days away instead (a stock read back from a later date).
    One query per dimension and special group took 9–34 s for a province's stock at 10,000,000 episodes."""
    from django.db import connection

    with connection.cursor() as cursor:
        for statement, sign in fsql.loose_day_sql(measure=measure, station_ids=ids, start=start, end=end):
            cursor.execute(statement)
            for _grain, _day, station, _measure, dimension, key, n in cursor.fetchall():
                _add_count(out, station, dimension, key or "", direction * sign * n)
        if measure == dims.CARE:
            cursor.execute(fsql.loose_found_sql(station_ids=ids, start=start, end=end))
            for station, was, n in cursor.fetchall():
                out[(station, None, "identity", was)] -= direction * n
                out[(station, None, "identity", "identified")] += direction * n
            cursor.execute(fsql.loose_stranded_sql(station_ids=ids, start=start, end=end))
            for station, sign, n in cursor.fetchall():
                out[(station, None, "stranded", dims.STRANDED)] += direction * sign * n


def key_label(dimension: str, key: str, places: dict[str, str]) -> str:
    """The Chinese label of a key of a dimension."""
    from intake.models import Reason
    from leaving.models import ExitType
    from tracing.models import IdentificationMethod

    if dimension == "all":
        return "合计"
    if dimension == "age":
        return dims.AGE_LABELS.get(key, key)
    if dimension == "sex":
        return key or "不详"
    if dimension in ("province", "city", "county"):
        return places.get(key, key) if key else "不详"
    if dimension == "reason":
        return dict(Reason.choices).get(key, key or "未登记")
    if dimension == "group":
        return str(Person._meta.get_field(key).verbose_name) if key in SPECIAL_GROUP_FIELDS else key
    if dimension == "stay":
        return dims.STAY_LABELS.get(key, key)
    if dimension == "identity":
        return dims.IDENTITY_LABELS.get(key, key)
    if dimension == "stranded":
        return dims.STRANDED_LABELS.get(key, key)
    if dimension == "exit":
        return {**dict(ExitType.choices), **dims.EXIT_EXTRA_LABELS}.get(key, key or "不详")
    if dimension == "method":
        return {**dict(IdentificationMethod.choices), **dims.METHOD_EXTRA_LABELS}.get(key, key or "不详")
    return key


def _key_order(dimension: str) -> list[str]:
    from intake.models import Reason
    from leaving.models import ExitType
    from tracing.models import IdentificationMethod

    return {
        "age": [k for k, _l, _h in dims.AGE_BANDS] + [""],
        "sex": ["男", "女", ""],
        "reason": list(Reason.values) + [""],
        "group": list(SPECIAL_GROUP_FIELDS),
        "stay": [k for k, _l, _h in dims.STAY_BANDS],
        "identity": list(dims.IDENTITY_LABELS),
        "stranded": list(dims.STRANDED_LABELS),
        "exit": list(ExitType.values) + list(dims.EXIT_EXTRA_LABELS),
        "method": list(IdentificationMethod.values) + list(dims.METHOD_EXTRA_LABELS),
    }.get(dimension, [])


def place_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Division.objects.filter(code__in=codes).values_list("code", "name"))


def last_refresh() -> RefreshRun | None:
    return RefreshRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()


def figures(*, user, query: Query) -> dict:
    """Everything the statistics page shows for ``query``: the total, each dimension's rows (with the
    cells' drill-down parameters), the areas, the monthly trend and the last refresh."""
    require_view(user)
    if not query.stations:
        query = resolve(user, query)
    by_dimension: dict[str, dict[str, int]] = {}
    per_station: dict[int, int] = {}
    for (station, dimension, key), n in cells(query).items():
        by_dimension.setdefault(dimension, {})[key] = by_dimension.get(dimension, {}).get(key, 0) + n
        if dimension == "all":
            per_station[station] = per_station.get(station, 0) + n
    total = by_dimension.get("all", {}).get("", 0)
    areas: dict[str, dict] = {}
    for station in query.stations:
        key = area_of(station, query.group)
        area = areas.setdefault(key, {"key": key, "label": station.name if query.group == "station" else key,
                                      "count": 0, "stations": 0})
        area["count"] += per_station.get(station.id, 0)
        area["stations"] += 1
    origin_codes = {k for d in ("province", "city", "county") for k in by_dimension.get(d, {})}
    area_codes = set(areas) if query.group != "station" else set()
    places = place_names(origin_codes | area_codes)
    for area in areas.values():
        if query.group != "station":
            area["label"] = places.get(area["key"], area["key"])
    breakdowns = []
    for dimension in dims.MEASURE_DIMENSIONS[query.measure]:
        if dimension == "all":
            continue
        values = by_dimension.get(dimension, {})
        order = _key_order(dimension)
        keys = [k for k in order if k in values or dimension in ("age", "sex", "group", "identity", "stranded")]
        keys += sorted((k for k in values if k not in order), key=lambda k: (-values[k], k))
        breakdowns.append({
            "dimension": dimension, "label": dims.DIMENSIONS[dimension],
            "rows": [{"key": k, "label": key_label(dimension, k, places), "count": values.get(k, 0)} for k in keys],
            "multi": dimension == "group",
        })
    return {
        "query": query, "total": total, "breakdowns": breakdowns,
        "areas": sorted(areas.values(), key=lambda a: a["key"]) if query.group != "station" else list(areas.values()),
        "trend": trend(query), "refreshed": last_refresh(), "places": places,
    }


def trend(query: Query) -> list[dict]:
    """The monthly trend (cached until the next refresh, see ``_cached``)."""
    return _cached("trend", query, lambda: _trend(query))


def _trend(query: Query) -> list[dict]:
    """Month by month: flows per month of the period (partial months only their days), the stock at each
    month's end over the twelve months up to the date asked."""
    ids = [s.id for s in query.stations]
    if not ids:
        return []
    if query.is_stock:
        first = dims.month_start(query.as_of)
        for _ in range(11):
            first = dims.month_start(first - datetime.timedelta(days=1))
        rows = dict(Fact.objects.filter(measure=dims.CARE, grain=Grain.MONTH, dimension="all", station_id__in=ids,
                                        day__gte=first, day__lte=query.as_of).values_list("day")
                    .annotate(n=Sum("count")).order_by())
        out, month = [], first
        while month <= query.as_of:
            end = dims.month_end(month)
            if end <= query.as_of:
                out.append({"label": f"{month:%Y-%m}", "count": rows.get(end, 0)})
            month = dims.next_month(month)
        return out
    counts: dict[datetime.date, int] = {}
    months, days = dims.period_pieces(query.date_from, query.date_to)
    if months:
        counts.update(Fact.objects.filter(measure=query.measure, grain=Grain.MONTH, dimension="all", station_id__in=ids,
                                          day__range=months).values_list("day").annotate(n=Sum("count")).order_by())
    for start, end in days:
        field = dims.DAY_FIELD[query.measure]
        n = (EpisodeFact.objects.filter(measure_q(query.measure), station_id__in=ids,
                                        **{f"{field}__range": (start, end)}).count())
        counts[dims.month_start(start)] = counts.get(dims.month_start(start), 0) + n
    out, month = [], dims.month_start(query.date_from)
    while month <= query.date_to:
        out.append({"label": f"{month:%Y-%m}", "count": counts.get(month, 0)})
        month = dims.next_month(month)
    return out[-60:]


# --- drill-down: the people behind a figure -------------------------------------------------------------


def drilldown(*, user, query: Query, dimension: str = "all", key: str = "") -> QuerySet[EpisodeFact]:
    """The episodes a figure counts — the same summary rows, scope and filters, so the list's length is the
    figure. Read-audited by the page (``core.paging``) and the export."""
    require_view(user)
    if not query.stations:
        query = resolve(user, query)
    qs = scoped(EpisodeFact.objects.all(), user).filter(station_id__in=[s.id for s in query.stations])
    qs = qs.filter(measure_q(query.measure))
    if query.is_stock:
        qs = qs.filter(Q(admitted_day__lte=query.as_of), Q(left_day__isnull=True) | Q(left_day__gt=query.as_of))
        day_q_field, on_day = None, query.as_of
    else:
        day_field = dims.DAY_FIELD[query.measure]
        qs = qs.filter(**{f"{day_field}__range": (query.date_from, query.date_to)})
        day_q_field, on_day = day_field, None
    if dimension not in dims.MEASURE_DIMENSIONS[query.measure] or dimension == "all":
        pass
    elif dimension == "group":
        qs = qs.filter(**{key: True}) if key in SPECIAL_GROUP_FIELDS else qs.none()
    elif dimension == "identity":
        from django.db.models import F

        found = Q(identified_day__lte=on_day) if on_day else Q(identified_day__lte=F(day_q_field))
        qs = qs.filter(found) if key == "identified" else qs.filter(~found | Q(identified_day__isnull=True),
                                                                     unidentified_as=key)
    elif dimension == "stranded":  # a stock's flag (figures.sql.stranded_sql)
        if key != dims.STRANDED or on_day is None:
            return qs.none()
        qs = qs.filter(Q(identified_day__isnull=True) | Q(identified_day__gt=on_day),
                       admitted_day__lte=on_day - datetime.timedelta(days=fsql.n5_days()))
    else:
        qs = qs.filter(**{dims.DIMENSION_FIELD[dimension]: key})
    # newest request first: over many stations the requests' list walks figures_ef_newest from the period's end
    # instead of sorting a year of all their requests to show one page
    return qs.select_related("person", "station", "episode").order_by("-requested_day", "-episode_id")


# --- quarterly reports (rule O4) ------------------------------------------------------------------------


def report_list(*, user, year: int | None = None, quarter: int | None = None,
                incoming: bool = False) -> QuerySet[QuarterlyReport]:
    """Reports in scope; ``incoming``: those with a submission awaiting the user's organisation (one each)."""
    qs = scoped(QuarterlyReport.objects.all(), user).select_related("organisation")
    if incoming:
        qs = qs.filter(pk__in=incoming_submissions(user=user).values("report_id"))
    if year:
        qs = qs.filter(year=year)
    if quarter:
        qs = qs.filter(quarter=quarter)
    return qs


def report_get(*, user, uuid) -> QuarterlyReport:
    return get_scoped_or_404(QuarterlyReport.objects.select_related("organisation", "organisation__supervisor"),
                             user, uuid=uuid)


def submission_get(*, user, uuid) -> ReportSubmission:
    return get_scoped_or_404(ReportSubmission.objects.select_related("report", "organisation", "submitted_to"),
                             user, uuid=uuid)


def reporting_organisations(user) -> list[Organisation]:
    """Organisations in scope that report quarterly (stations and departments), for the generate form."""
    return list(Organisation.objects.filter(id__in=visible_org_ids(user),
                                            kind__in=(*STATION_KINDS, OrgKind.CIVIL_AFFAIRS), is_active=True)
                .order_by("division__code", "name"))


def incoming_submissions(*, user) -> QuerySet[ReportSubmission]:
    """Submissions sent to the user's organisation awaiting acknowledgement."""
    return (ReportSubmission.objects.filter(submitted_to_id=user.organisation_id, acknowledged_at__isnull=True,
                                            returned_at__isnull=True)
            .select_related("report", "organisation"))


def station_figures(*, station: Organisation, year: int, quarter: int) -> dict:
    """A station's quarter from the summary tables: each flow by every dimension, and the stock at the
    quarter's start (end of the day before) and end."""
    first, last = dims.quarter_bounds(year, quarter)
    out: dict = {"measures": {}, "care_start": {}, "care_end": {}}
    for measure in dims.FLOW_MEASURES:
        q = Query(measure=measure, date_from=first, date_to=last, stations=[station])
        found: dict = {}
        for (_station, dimension, key), n in cells(q).items():
            if n:
                found.setdefault(dimension, {})[key] = n
        out["measures"][measure] = found
    for name, day in (("care_start", first - datetime.timedelta(days=1)), ("care_end", last)):
        found = {}
        for (_station, dimension, key), n in cells(Query(measure=dims.CARE, as_of=day, stations=[station])).items():
            if n:
                found.setdefault(dimension, {})[key] = n
        out[name] = found
    return out


def report_rows(figures_data: dict) -> list[dict]:
    """The report's figures as labelled tables: one per measure and dimension (also the Excel sheets)."""
    codes = set()
    for cells in [*figures_data.get("measures", {}).values(), figures_data.get("care_end", {})]:
        for d in ("province", "city", "county"):
            codes |= set(cells.get(d, {}))
    places = place_names(codes)
    tables = []
    sections = [(m, dims.MEASURES[m], figures_data.get("measures", {}).get(m, {})) for m in dims.FLOW_MEASURES]
    sections += [("care_start", "季初在站人数", figures_data.get("care_start", {})),
                 ("care_end", "季末在站人数", figures_data.get("care_end", {}))]
    for code, title, cells in sections:
        measure = dims.CARE if code.startswith("care") else code
        total = cells.get("all", {}).get("", 0)
        parts = []
        for dimension in dims.MEASURE_DIMENSIONS[measure]:
            if dimension == "all" or dimension in ("city", "county"):
                continue
            values = cells.get(dimension, {})
            order = _key_order(dimension)
            keys = [k for k in order if k in values] + sorted((k for k in values if k not in order),
                                                             key=lambda k: (-values[k], k))
            parts.append({"label": dims.DIMENSIONS[dimension],
                          "rows": [(key_label(dimension, k, places), values[k]) for k in keys]})
        tables.append({"code": code, "title": title, "total": total, "parts": parts})
    return tables
