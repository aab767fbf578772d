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

from django.conf import settings
from django.db import connection

from figures import dimensions as dims
from figures.models import EpisodeFact
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
    )
