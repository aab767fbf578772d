"""Rebuild the statistics' summary tables (``EpisodeFact``, ``Fact``) from the records.

Run by the task queue (``figures.tasks``: periodically and on demand), by ``manage.py figures_refresh`` and by
the demo seed. Incremental by default: only the episodes whose records changed since the last run are
classified again, and only their stations' monthly counts are rebuilt — with ``GROUP BY`` queries over the
per-episode facts. ``full=True`` rebuilds everything. The loose days of a period that does not start or end on a
month boundary are counted by the same grouped SQL over the per-episode facts of those days
(``figures.sql.loose_day_sql``, read by ``selectors._cells``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Min, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from figures import dimensions as dims
from figures import sql as fsql
from figures.models import EpisodeFact, Fact, RefreshRun
from people.models import SPECIAL_GROUP_FIELDS, Episode, IdentityStatus


def _local_day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


# --- per-episode classification -------------------------------------------------------------------------

_EPISODE_COLUMNS = (
    "id", "station_id", "person_id", "status", "requested_at", "admitted_at", "left_at",
    "person__sex", "person__birth_date", "person__birth_year_est", "person__age_min", "person__age_max",
    "person__created_at", "person__hukou_division__code", "person__identity_status",
    *(f"person__{f}" for f in SPECIAL_GROUP_FIELDS),
    "intake__reason", "departure__exit_type",
)


def _identifications(person_ids) -> dict[int, list[tuple]]:
    from tracing.models import Identification

    found: dict[int, list[tuple]] = defaultdict(list)
    rows = (Identification.objects.filter(person_id__in=person_ids)
            .order_by("confirmed_at", "id").values_list("person_id", "episode_id", "confirmed_at", "method"))
    for person_id, episode_id, at, method in rows:
        found[person_id].append((episode_id, at, method))
    return found


def classify(row: dict, identifications: list[tuple]) -> EpisodeFact:
    """The statistics' view of one episode (``row``: the values of ``_EPISODE_COLUMNS``)."""
    requested = _local_day(row["requested_at"])
    admitted = _local_day(row["admitted_at"])
    left = _local_day(row["left_at"])
    # The identification made during this episode: linked to it, else unlinked and within its dates.
    chosen = next((i for i in identifications if i[0] == row["id"]), None)
    if chosen is None:
        chosen = next((i for i in identifications if i[0] is None and i[1] >= row["requested_at"]
                       and (row["left_at"] is None or i[1] <= row["left_at"])), None)
    identified_day, method = None, ""
    if chosen is not None:
        identified_day, method = _local_day(chosen[1]), chosen[2]
    elif row["person__identity_status"] == IdentityStatus.IDENTIFIED:
        earlier = [i for i in identifications if i[1] < row["requested_at"]]
        if earlier or not identifications:  # known when help was asked for (earlier finding or papers)
            identified_day, method = requested, dims.KNOWN_AT_REQUEST
    created = row["person__created_at"]
    age = dims.age_on(requested, row["person__birth_date"], row["person__birth_year_est"],
                      row["person__age_min"], row["person__age_max"], created.year if created else None)
    province, city, county = dims.division_levels(row["person__hukou_division__code"])
    exit_way = row["departure__exit_type"] or ("terminated" if row["status"] == "terminated" and left else "")
    return EpisodeFact(
        episode_id=row["id"], station_id=row["station_id"], person_id=row["person_id"],
        requested_day=requested, admitted_day=admitted, left_day=left if admitted else None,
        identified_day=identified_day, id_method=method,
        unidentified_as="pending" if row["person__identity_status"] == IdentityStatus.PENDING else "unidentified",
        age_band=dims.age_band(age), sex=row["person__sex"] or "",
        origin_province=province, origin_city=city, origin_county=county,
        reason=row["intake__reason"] or "", exit_way=exit_way if admitted else "",
        stay_band=dims.stay_band(admitted, left),
        **{f: bool(row[f"person__{f}"]) for f in SPECIAL_GROUP_FIELDS},
    )


def _classify_python(episode_ids=None) -> list[EpisodeFact]:
    """The reference classification in Python (unsaved rows), for the tests that check ``figures.sql``."""
    queryset = Episode.objects.order_by("id")
    if episode_ids is not None:
        queryset = queryset.filter(id__in=list(episode_ids))
    rows = list(queryset.values(*_EPISODE_COLUMNS))
    found = _identifications({r["person_id"] for r in rows})
    return [classify(r, found.get(r["person_id"], [])) for r in rows]


def _mark_changed(since: datetime.datetime | None, episode_ids=None) -> None:
    """Fill the temporary table ``sql.CHANGED`` with the episodes whose episode, person, intake, departure or
    identification changed since ``since`` (or with ``episode_ids``) — in SQL, never through Python lists."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {fsql.CHANGED} (id bigint PRIMARY KEY)")
        cursor.execute(f"DELETE FROM {fsql.CHANGED}")
        if episode_ids is not None:
            cursor.executemany(f"INSERT INTO {fsql.CHANGED} (id) VALUES (%s)", [(i,) for i in set(episode_ids)])
            return
        at = connection.ops.adapt_datetimefield_value(since)
        cursor.execute(
            f"INSERT INTO {fsql.CHANGED} (id) "
            "SELECT id FROM people_episode WHERE updated_at >= %s "
            "UNION SELECT e.id FROM people_episode e JOIN people_person p ON p.id = e.person_id "
            "WHERE p.updated_at >= %s "
            "UNION SELECT episode_id FROM intake_intakerecord WHERE updated_at >= %s "
            "UNION SELECT episode_id FROM leaving_departure WHERE updated_at >= %s "
            "UNION SELECT e.id FROM people_episode e WHERE e.person_id IN "
            "(SELECT person_id FROM tracing_identification WHERE updated_at >= %s)",
            [at] * 5,
        )


def _classify_episodes(*, changed_only: bool) -> tuple[int, set[int]]:
    """(Re)write the EpisodeFact rows of the episodes in ``sql.CHANGED`` (all episodes unless ``changed_only``)
    with one ``INSERT … SELECT``; returns how many and the stations touched (before and after)."""
    table = EpisodeFact._meta.db_table
    stations: set[int] = set()
    with connection.cursor() as cursor:
        if not changed_only:
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(fsql.classify_sql(changed_only=False))
            return cursor.rowcount, stations
        picked = f"episode_id IN (SELECT id FROM {fsql.CHANGED})"
        cursor.execute(f"SELECT DISTINCT station_id FROM {table} WHERE {picked}")
        stations |= {r[0] for r in cursor.fetchall()}
        cursor.execute(f"DELETE FROM {table} WHERE {picked}")
        cursor.execute(fsql.classify_sql(changed_only=True))
        count = cursor.rowcount
        cursor.execute(f"SELECT DISTINCT station_id FROM {table} WHERE {picked}")
        stations |= {r[0] for r in cursor.fetchall()}
    return count, stations


# --- counts ---------------------------------------------------------------------------------------------


def measure_q(measure: str) -> Q:
    """The episodes a measure counts (the figures and their drill-down lists share it)."""
    if measure == dims.CARE:
        return Q(admitted_day__isnull=False)
    q = Q(**{f"{dims.DAY_FIELD[measure]}__isnull": False})
    if measure == "identified":
        q &= ~Q(id_method=dims.KNOWN_AT_REQUEST)  # known at the request is not a finding
    return q


def _month_ends(first: datetime.date | None, last: datetime.date) -> list[datetime.date]:
    """The month-ends from ``first``'s month to ``last``'s (none when ``first`` is None)."""
    out = []
    month = dims.month_start(first) if first else None
    while month is not None and month <= last:
        out.append(dims.month_end(month))
        month = dims.next_month(month)
    return out


def _add_counts(*, sign: int = 1, where: str = "", month_ends=(), flows: bool = True) -> None:
    """Add ``sign`` × the monthly counts of the per-episode facts matching ``where`` into ``Fact`` (SQL
    ``GROUP BY``, see ``figures.sql.counts_sql``)."""
    with connection.cursor() as cursor:
        for statement in fsql.counts_sql(sign=sign, where=where, month_ends=month_ends, flows=flows):
            cursor.execute(statement)


def refresh(*, trigger: str, by=None, full: bool = False) -> RefreshRun:
    """Bring the summary tables up to date and record the run. Incremental unless ``full`` or the first run:
    the changed episodes' ids into a temporary table, their old contribution subtracted from ``Fact``, their
    facts classified again (one ``INSERT … SELECT``), their new contribution added; a month begun since the
    last run first gets its month-end stock from every episode."""
    started = timezone.now()
    last = RefreshRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    full = full or last is None
    this_month = dims.month_start(timezone.localdate())
    changed = f"episode_id IN (SELECT id FROM {fsql.CHANGED})"
    with transaction.atomic():
        if full:
            episodes, _stations = _classify_episodes(changed_only=False)
            Fact.objects.all().delete()
            first = EpisodeFact.objects.aggregate(first=Min("admitted_day"))["first"]
            _add_counts(month_ends=_month_ends(first, this_month))
        else:
            # the month-ends since the last run (a new month) first, over the facts as they stood
            ran_month = dims.month_start(timezone.localtime(last.started_at).date())
            if ran_month != this_month:
                _add_counts(month_ends=_month_ends(dims.next_month(ran_month), this_month), flows=False)
            _mark_changed(last.started_at)
            first = EpisodeFact.objects.filter(episode_id__in=RawSQL(f"SELECT id FROM {fsql.CHANGED}", [])).aggregate(
                first=Min("admitted_day"))["first"]
            # the changed episodes' old contribution out, their new one in
            _add_counts(sign=-1, where=changed, month_ends=_month_ends(first, this_month))
            episodes, _stations = _classify_episodes(changed_only=True)
            first = EpisodeFact.objects.filter(episode_id__in=RawSQL(f"SELECT id FROM {fsql.CHANGED}", [])).aggregate(
                first=Min("admitted_day"))["first"]
            _add_counts(where=changed, month_ends=_month_ends(first, this_month))
            Fact.objects.filter(count=0).delete()
        run = RefreshRun.objects.create(started_at=started, finished_at=timezone.now(), trigger=trigger, full=full,
                                        requested_by=by if getattr(by, "is_authenticated", False) else None,
                                        episodes=episodes, facts=Fact.objects.count())
    if full:
        analyze_tables()
    return run


def analyze_tables() -> None:
    """Fresh planner statistics for the summary tables, after a full run rewrote them (a bulk load). Without them
    PostgreSQL plans a drill-down over 10,000,000 facts as if the table held one row (nested loops into every
    file before the sort: 20–30 s a page instead of 0.5 s) until autovacuum comes by — and autovacuum may lag a
    bulk load or be switched off. ANALYZE samples; it takes well under a second at that size."""
    with connection.cursor() as cursor:
        for model in (EpisodeFact, Fact):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
