"""The statistics' classification of episodes in SQL: one ``INSERT … SELECT`` instead of Python per episode.

``refresh.classify`` (Python, one episode at a time) took ~27 ms per episode — 538 s for 20,000 episodes on
SQLite, hours at province scale. Here the same rules are one statement the database runs over a set of episodes
(all, or the ids in a temporary table). The bands and division levels stay *data* in ``figures.dimensions``;
this module turns them into SQL ``CASE`` expressions, so there is one definition of each band. The Python
``classify`` remains as the tests' reference: ``tests/test_sql.py`` compares both row by row.

Dialect differences (SQLite for development and tests, PostgreSQL in production) are confined to
``_Dialect``: local dates through Django's own ``connection.ops`` (time zone of the settings), the days
between two dates, and "begins with six digits".
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection

from figures import dimensions as dims
from figures.models import EpisodeFact, Grain
from people.models import SPECIAL_GROUP_FIELDS, IdentityStatus

#: The temporary table of changed episode ids an incremental refresh classifies (``refresh._changed_into``).
CHANGED = "figures_changed_episodes"


class _Dialect:
    """The few expressions that differ between SQLite and PostgreSQL. Every method returns SQL text with
    literal values inlined (time-zone names and codes come from settings and code, never from users)."""

    def __init__(self, conn=connection):
        self.conn = conn
        self.vendor = conn.vendor

    def _inline(self, sql: str, params) -> str:
        for p in params:
            sql = sql.replace("%s", "'" + str(p).replace("'", "''") + "'", 1)
        return sql

    def local_day(self, column: str) -> str:
        """The date of a timestamp in the settings' time zone (what ``timezone.localtime(x).date()`` gives)."""
        if self.vendor == "postgresql":
            return f"(({column}) AT TIME ZONE '{settings.TIME_ZONE}')::date"
        sql, params = self.conn.ops.datetime_cast_date_sql(column, (), settings.TIME_ZONE)
        return self._inline(sql, params)

    def utc_year(self, column: str) -> str:
        """The year of a timestamp in UTC (``created_at.year`` of a value read by Django)."""
        if self.vendor == "postgresql":
            return f"EXTRACT(YEAR FROM ({column}) AT TIME ZONE 'UTC')::int"
        return f"CAST(strftime('%Y', {column}) AS INTEGER)"

    def year(self, day: str) -> str:
        if self.vendor == "postgresql":
            return f"EXTRACT(YEAR FROM {day})::int"
        return f"CAST(strftime('%Y', {day}) AS INTEGER)"

    def month_day(self, day: str) -> str:
        """month × 100 + day of a date, to compare birthdays."""
        if self.vendor == "postgresql":
            return f"(EXTRACT(MONTH FROM {day})::int * 100 + EXTRACT(DAY FROM {day})::int)"
        return f"CAST(strftime('%m%d', {day}) AS INTEGER)"

    def days_between(self, first: str, last: str) -> str:
        if self.vendor == "postgresql":
            return f"({last} - {first})"
        return f"CAST(julianday({last}) - julianday({first}) AS INTEGER)"

    def shift(self, day: str, days: int) -> str:
        """The date ``days`` days after ``day`` (an SQL date expression; before it when negative)."""
        if self.vendor == "postgresql":
            return f"({day} + ({int(days)}))"
        return f"date({day}, '{int(days):+d} days')"

    def days_before(self, day: str, days: int) -> str:
        return self.shift(day, -days)

    def six_digits(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"{column} ~ '^[0-9]{{6}}'"
        return f"{column} GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]*'"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def band_case(expression: str, bands) -> str:
    """``CASE`` over ``bands`` ((key, low, high), from ``figures.dimensions``): the key whose range holds the
    value, '' when none does or the value is NULL."""
    whens = " ".join(f"WHEN {expression} BETWEEN {low} AND {high} THEN {_quote(key)}" for key, low, high in bands)
    return f"(CASE {whens} ELSE '' END)"


def age_sql(d: _Dialect, day: str) -> str:
    """``dimensions.age_on`` in SQL over the person ``p`` on ``day``: birth date, else estimated birth year,
    else the middle of the estimated range, aged from the year the file was recorded."""
    low = "COALESCE(p.age_min, p.age_max)"
    high = "COALESCE(p.age_max, p.age_min)"
    return (
        f"(CASE WHEN p.birth_date IS NOT NULL THEN {d.year(day)} - {d.year('p.birth_date')}"
        f" - (CASE WHEN {d.month_day(day)} < {d.month_day('p.birth_date')} THEN 1 ELSE 0 END)"
        f" WHEN p.birth_year_est IS NOT NULL AND p.birth_year_est <> 0 THEN {d.year(day)} - p.birth_year_est"
        f" WHEN p.age_min IS NOT NULL OR p.age_max IS NOT NULL THEN ({low} + {high}) / 2"
        f" + COALESCE({d.year(day)} - {d.utc_year('p.created_at')}, 0)"
        " END)"
    )


def division_level_sql(d: _Dialect, column: str) -> tuple[str, str, str]:
    """``dimensions.division_levels`` in SQL: (province, city, county) codes of a division code column."""
    valid = f"{column} IS NOT NULL AND {d.six_digits(column)}"
    province = f"(CASE WHEN {valid} THEN substr({column}, 1, 2) || '0000' ELSE '' END)"
    city = (f"(CASE WHEN {valid} AND substr({column}, 3, 2) <> '00' THEN substr({column}, 1, 4) || '00' "
            "ELSE '' END)")
    county = f"(CASE WHEN {valid} AND substr({column}, 5, 2) <> '00' THEN substr({column}, 1, 6) ELSE '' END)"
    return province, city, county


def classify_sql(*, changed_only: bool, conn=connection) -> str:
    """``INSERT INTO figures_episodefact … SELECT …``: every episode, or those whose ids are in the temporary
    table ``CHANGED``. The identification chosen is the one ``refresh.classify`` chooses: linked to the episode,
    else unlinked and within its dates (earliest first); with none, a file identified when help was asked for
    (an earlier finding, or no finding at all) counts as known at the request."""
    d = _Dialect(conn)
    ident = "tracing_identification"
    linked = (f"(SELECT i.id FROM {ident} i WHERE i.episode_id = e.id AND i.person_id = e.person_id ORDER BY i.confirmed_at, i.id LIMIT 1)")
    unlinked = (f"(SELECT i.id FROM {ident} i WHERE i.person_id = e.person_id AND i.episode_id IS NULL"
                " AND i.confirmed_at >= e.requested_at AND (e.left_at IS NULL OR i.confirmed_at <= e.left_at)"
                " ORDER BY i.confirmed_at, i.id LIMIT 1)")
    where = f"WHERE e.id IN (SELECT id FROM {CHANGED})" if changed_only else ""
    # the episodes with their chosen identification's id, then everything else joined to them
    inner = (f"SELECT e.*, COALESCE({linked}, {unlinked}) AS chosen_id FROM people_episode e {where}")
    requested, admitted, left = d.local_day("e.requested_at"), d.local_day("e.admitted_at"), d.local_day("e.left_at")
    known = (f"(p.identity_status = {_quote(IdentityStatus.IDENTIFIED)} AND ci.id IS NULL AND ("
             f"EXISTS (SELECT 1 FROM {ident} i WHERE i.person_id = e.person_id AND i.confirmed_at < e.requested_at)"
             f" OR NOT EXISTS (SELECT 1 FROM {ident} i WHERE i.person_id = e.person_id)))")
    province, city, county = division_level_sql(d, "dv.code")
    exit_way = ("(CASE WHEN e.admitted_at IS NULL THEN '' WHEN COALESCE(dp.exit_type, '') <> '' THEN dp.exit_type "
                "WHEN e.status = 'terminated' AND e.left_at IS NOT NULL THEN 'terminated' ELSE '' END)")
    stay = (f"(CASE WHEN e.admitted_at IS NULL OR e.left_at IS NULL THEN '' ELSE "
            f"{band_case(d.days_between(admitted, left), dims.STAY_BANDS)} END)")
    age = age_sql(d, requested)
    columns = {
        "episode_id": "e.id",
        "station_id": "e.station_id",
        "person_id": "e.person_id",
        "requested_day": requested,
        "admitted_day": admitted,
        "left_day": f"(CASE WHEN e.admitted_at IS NOT NULL THEN {left} END)",
        "identified_day": f"(CASE WHEN ci.id IS NOT NULL THEN {d.local_day('ci.confirmed_at')} "
                          f"WHEN {known} THEN {requested} END)",
        "id_method": f"(CASE WHEN ci.id IS NOT NULL THEN ci.method WHEN {known} THEN "
                     f"{_quote(dims.KNOWN_AT_REQUEST)} ELSE '' END)",
        "unidentified_as": f"(CASE WHEN p.identity_status = {_quote(IdentityStatus.PENDING)} THEN 'pending' "
                           "ELSE 'unidentified' END)",
        "age_band": f"(CASE WHEN {age} < 0 THEN '' ELSE {band_case(age, dims.AGE_BANDS)} END)",
        "sex": "COALESCE(p.sex, '')",
        "origin_province": province,
        "origin_city": city,
        "origin_county": county,
        "reason": "COALESCE(ir.reason, '')",
        "exit_way": exit_way,
        "stay_band": stay,
        **{f: f"COALESCE(p.{f}, {'false' if d.vendor == 'postgresql' else '0'})" for f in SPECIAL_GROUP_FIELDS},
    }
    assert set(columns) == {f.column for f in EpisodeFact._meta.concrete_fields}, "EpisodeFact columns changed"
    return (
        f"INSERT INTO {EpisodeFact._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(columns.values())} FROM ({inner}) e "
        "JOIN people_person p ON p.id = e.person_id "
        "LEFT JOIN core_division dv ON dv.id = p.hukou_division_id "
        "LEFT JOIN intake_intakerecord ir ON ir.episode_id = e.id "
        "LEFT JOIN leaving_departure dp ON dp.episode_id = e.id "
        f"LEFT JOIN {ident} ci ON ci.id = e.chosen_id"
        # a full rebuild writes a station's facts in the order of its requests, so a few days of a station's
        # admissions, departures or findings (the loose days of a figure) lie on a few neighbouring pages, not one
        # page each: a province's stock on the 13th read 4.7 s of scattered pages at 10,000,000 episodes, 1.3 s
        # laid out so
        + ("" if changed_only else " ORDER BY e.station_id, e.requested_at, e.id")
    )


# --- the monthly counts (Fact) in SQL ---------------------------------------------------------------------


def n5_days() -> int:
    from stay.selectors import n5_limit

    return n5_limit()


def stranded_sql(d: _Dialect, day: str) -> str:
    """``dimensions.STRANDED`` on ``day`` for a row in care that day: in care longer than the N5 limit, identity not
    yet found."""
    return (f"(ef.admitted_day <= {d.days_before(day, n5_days())} "
            f"AND (ef.identified_day IS NULL OR ef.identified_day > {day}))")


def _key_sets(measure: str, day: str, d: _Dialect) -> list[tuple[str, str, str]]:
    """(dimension, key expression, extra condition) for each key a row of ``measure`` is counted under on
    ``day`` (an SQL date expression): one per single-valued dimension, one per special-group flag, and the
    stock's flag ``stranded``."""
    sets = []
    for dimension in dims.MEASURE_DIMENSIONS[measure]:
        if dimension == "all":
            sets.append(("all", "''", ""))
        elif dimension == "group":
            sets += [("group", _quote(flag), f"ef.{flag}") for flag in SPECIAL_GROUP_FIELDS]
        elif dimension == "stranded":
            sets.append(("stranded", _quote(dims.STRANDED), stranded_sql(d, day)))
        elif dimension in ("city", "county"):
            continue  # stored as one key with the province: see ORIGIN
        elif dimension == "province":
            # origin as one key, the most precise code the file gives; the reader rolls it up
            sets.append((dims.ORIGIN, "(CASE WHEN ef.origin_county <> '' THEN ef.origin_county "
                                      "WHEN ef.origin_city <> '' THEN ef.origin_city ELSE ef.origin_province END)", ""))
        elif dimension == "identity":
            sets.append(("identity", f"(CASE WHEN ef.identified_day <= {day} THEN 'identified' "
                                     "ELSE ef.unidentified_as END)", ""))
        else:
            sets.append((dimension, f"ef.{dims.DIMENSION_FIELD[dimension]}", ""))
    return sets


def _measure_where(measure: str) -> str:
    if measure == dims.CARE:
        return "ef.admitted_day IS NOT NULL"
    where = f"ef.{dims.DAY_FIELD[measure]} IS NOT NULL"
    if measure == "identified":
        where += f" AND ef.id_method <> {_quote(dims.KNOWN_AT_REQUEST)}"
    return where


def _grouped_sql(d: _Dialect, source: str, measure: str, day: str, sign: int, group_day: str | None = None) -> str:
    """``SELECT grain, day, station_id, measure, dimension, key, count`` over ``source`` (a FROM clause whose
    rows carry ``ef.*`` and the date ``day``): every key set of ``measure`` at once — ``GROUPING SETS`` in
    one pass on PostgreSQL, the same sets as ``UNION ALL`` on SQLite. The keys are taken on ``day``; the rows
    are grouped by ``group_day`` when given (a constant: one total over all days instead of one row per day)."""
    sets = _key_sets(measure, day, d)
    day = group_day or day
    head = f"'{Grain.MONTH.value}', {day}, ef.station_id, {_quote(measure)}"
    if d.vendor != "postgresql":
        parts = [f"SELECT {head}, {_quote(dim)}, {key}, {sign} * COUNT(*) FROM {source}"
                 f"{' AND ' + cond if cond else ''} GROUP BY ef.station_id, {day}, {key}"
                 for dim, key, cond in sets]
        return " UNION ALL ".join(parts)
    # PostgreSQL: the keys as columns k0…kn of a derived table, one grouping set each; the flags as boolean
    # columns whose false groups are dropped outside
    columns, whens_dim, whens_key, grouping = [], [], [], []
    for i, (dim, key, cond) in enumerate(sets):
        if dim == "all":
            continue
        col = f"k{i}"
        columns.append(f"{cond or key} AS {col}")  # a flag's column is the flag itself (its key is its name)
        whens_dim.append(f"WHEN GROUPING({col}) = 0 THEN {_quote(dim)}")
        whens_key.append(f"WHEN GROUPING({col}) = 0 THEN {key if cond else col}")
        grouping.append(f"(station_id, day, {col})")
    flag_cols = [f"k{i}" for i, (dim, _k, cond) in enumerate(sets) if cond]
    flag = "(" + " OR ".join(f"(GROUPING({c}) = 0 AND {c})" for c in flag_cols) + ")" if flag_cols else "TRUE"
    inner = (f"SELECT ef.station_id, {day} AS day, {', '.join(columns)} FROM {source}")
    grouped = (f"SELECT station_id, day, CASE {' '.join(whens_dim)} ELSE 'all' END AS dimension, "
               f"CASE {' '.join(whens_key)} ELSE '' END AS key, {flag} AS flag, COUNT(*) AS n "
               f"FROM ({inner}) x GROUP BY GROUPING SETS ((station_id, day), {', '.join(grouping)})")
    flagged = ", ".join(sorted({_quote(dim) for dim, _k, cond in sets if cond})) or "''"
    return (f"SELECT '{Grain.MONTH.value}', g.day, g.station_id, {_quote(measure)}, g.dimension, g.key, {sign} * g.n "
            f"FROM ({grouped}) g WHERE g.dimension NOT IN ({flagged}) OR g.flag")



def month_start_sql(d: _Dialect, day: str) -> str:
    if d.vendor == "postgresql":
        return f"CAST(date_trunc('month', {day}) AS date)"
    return f"date({day}, 'start of month')"


def _date_literal(d: _Dialect, value) -> str:
    return f"DATE '{value:%Y-%m-%d}'" if d.vendor == "postgresql" else f"'{value:%Y-%m-%d}'"


def counts_sql(*, sign: int = 1, where: str = "", month_ends=(), flows: bool = True, conn=connection) -> list[str]:
    """The statements that add ``sign`` × the monthly counts of the per-episode facts (those matching
    ``where``, an SQL condition over ``ef``) into ``figures_fact``, creating missing rows (``ON CONFLICT``):
    each flow per month (dated on the month's first day) unless not ``flows``; the people in care at each month-end in
    ``month_ends`` (dates), with their identity as it stood that day."""
    d = _Dialect(conn)
    fact = "figures_fact"
    extra = f" AND ({where})" if where else ""
    upsert = (" ON CONFLICT (station_id, measure, grain, day, dimension, key) "
              f"DO UPDATE SET count = {fact}.count + excluded.count")
    cols = f"INSERT INTO {fact} (grain, day, station_id, measure, dimension, key, count) "
    statements = []
    for measure, field in dims.DAY_FIELD.items() if flows else ():
        day = month_start_sql(d, f"ef.{field}")
        source = f"figures_episodefact ef WHERE {_measure_where(measure)}{extra}"
        statements.append(cols + "SELECT * FROM (" + _grouped_sql(d, source, measure, day, sign) + ") u WHERE TRUE"
                          + upsert)
    if month_ends:
        calendar = " UNION ALL ".join(f"SELECT {_date_literal(d, v)} AS day" for v in month_ends)
        first = _date_literal(d, min(month_ends))
        # in care at the end of day m: admitted by then, not yet left (a same-day stay never counts)
        source = (f"figures_episodefact ef JOIN ({calendar}) m ON ef.admitted_day <= m.day "
                  f"AND (ef.left_day IS NULL OR ef.left_day > m.day) "
                  f"WHERE ef.admitted_day IS NOT NULL AND (ef.left_day IS NULL OR ef.left_day > {first}){extra}")
        statements.append(cols + "SELECT * FROM (" + _grouped_sql(d, source, dims.CARE, "m.day", sign)
                          + ") u WHERE TRUE" + upsert)
    return statements


def _day_before(d: _Dialect, day: str) -> str:
    return d.shift(day, -1)


#: A stay that counts in the stock: admitted, and not left the same day (never in care at the end of a day).
_STAYING = "ef.admitted_day IS NOT NULL AND (ef.left_day IS NULL OR ef.left_day <> ef.admitted_day)"


def _loose_bounds(d: _Dialect, station_ids, start, end) -> tuple[str, str, str]:
    """The station ids as an SQL list and the first and last loose day as date literals."""
    return (", ".join(str(int(i)) for i in station_ids) or "NULL", _date_literal(d, start), _date_literal(d, end))


def _found_in_stay(ids: str, lo: str, hi: str) -> str:
    """The stays of ``ids`` whose identity was found on a day in [lo, hi] after the admission day and before the
    leaving day (found on the day of leaving, the leaving's own row already counts the identity of the day before)."""
    return (f"ef.station_id IN ({ids}) AND {_STAYING} AND ef.identified_day BETWEEN {lo} AND {hi} "
            "AND ef.identified_day > ef.admitted_day AND (ef.left_day IS NULL OR ef.identified_day < ef.left_day)")


def loose_day_sql(*, measure: str, station_ids, start, end, conn=connection) -> list[tuple[str, int]]:
    """``SELECT`` statements (each with the sign its rows count with) for the loose days [start, end] of a
    statistics query — the days a month's rows of ``Fact`` do not cover — over the per-episode facts of
    ``station_ids``, every key set of the measure in one pass per statement (``_grouped_sql``: the same sets and
    keys as ``Fact``, origin as one key). A flow: its events in those days. The stock (``CARE``): its changes in
    those days — +1 on the admission day with the identity of that day, −1 on the leaving day with the identity
    of the day before (a stay begun and ended the same day never counts); the identity found during a stay is a
    third statement (``loose_found_sql``)."""
    d = _Dialect(conn)
    ids, lo, hi = _loose_bounds(d, station_ids, start, end)
    # the reader sums the days: grouped once over all of them (``hi``), not per day — a thirtieth of the groups
    if measure != dims.CARE:
        field = f"ef.{dims.DAY_FIELD[measure]}"
        source = (f"figures_episodefact ef WHERE ef.station_id IN ({ids}) AND {_measure_where(measure)} "
                  f"AND {field} BETWEEN {lo} AND {hi}")
        return [(_grouped_sql(d, source, measure, field, 1, group_day=hi), 1)]
    staying = f"figures_episodefact ef WHERE ef.station_id IN ({ids}) AND {_STAYING}"
    return [(_grouped_sql(d, f"{staying} AND ef.admitted_day BETWEEN {lo} AND {hi}", dims.CARE, "ef.admitted_day", 1,
                          group_day=hi), 1),
            (_grouped_sql(d, f"{staying} AND ef.left_day BETWEEN {lo} AND {hi}", dims.CARE,
                          _day_before(d, "ef.left_day"), 1, group_day=hi), -1)]


def loose_stranded_sql(*, station_ids, start, end, conn=connection) -> str:
    """The changes of the stock's ``stranded`` flag on the loose days [start, end] that are no admission or
    leaving (``loose_day_sql`` evaluates the flag on those: never on the admission day, on the day before
    leaving): +1 on the day a stay crosses the N5 limit still in care with the identity unknown, −1 on the day
    the identity of someone over the limit is found during the stay (``SELECT station_id, sign, count``)."""
    d = _Dialect(conn)
    ids, lo, hi = _loose_bounds(d, station_ids, start, end)
    limit = n5_days()
    cross = d.shift("ef.admitted_day", limit)
    # the crossing day in [start, end] as a range of admission days, so the (station, admitted_day) index serves it
    # (the shifted column cannot: at 10,000,000 episodes that read every fact of the stations, 5.5 s a province)
    first, last = (_date_literal(d, day - datetime.timedelta(days=limit)) for day in (start, end))
    parts = [] if limit <= 0 else [  # with no limit the admission itself carries the flag
        f"SELECT ef.station_id, 1, COUNT(*) FROM figures_episodefact ef WHERE ef.station_id IN ({ids}) AND {_STAYING} "
        f"AND ef.admitted_day BETWEEN {first} AND {last} AND (ef.left_day IS NULL OR ef.left_day > {cross}) "
        f"AND (ef.identified_day IS NULL OR ef.identified_day > {cross}) GROUP BY ef.station_id"]
    parts.append(
        f"SELECT ef.station_id, -1, COUNT(*) FROM figures_episodefact ef WHERE {_found_in_stay(ids, lo, hi)} "
        f"AND ef.admitted_day <= {d.days_before(_day_before(d, 'ef.identified_day'), limit)} GROUP BY ef.station_id")
    return " UNION ALL ".join(parts)


def loose_found_sql(*, station_ids, start, end, conn=connection) -> str:
    """Identities found during a stay on the loose days [start, end]: per station and the file's 未查明 / 待核实
    key, the people the stock moves from that key to 已查明 (``SELECT station_id, key, count``)."""
    ids, lo, hi = _loose_bounds(_Dialect(conn), station_ids, start, end)
    return (f"SELECT ef.station_id, ef.unidentified_as, COUNT(*) FROM figures_episodefact ef "
            f"WHERE {_found_in_stay(ids, lo, hi)} GROUP BY ef.station_id, ef.unidentified_as")
