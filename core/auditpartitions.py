"""The audit table's monthly partitions on PostgreSQL (issue 9: audit at volume; migration 0008 made the table).

- :func:`ensure` creates this month's partition and the next ``GUITU_AUDIT_MONTHS_AHEAD`` (default 3): the task
  queue runs it daily (``core.tasks.audit_partitions_ahead``), so a month's partition exists long before its
  first row. A row whose month has no partition (a clock set far ahead, a restored old backup) lands in the
  default partition; the next :func:`ensure` gives its month a partition and moves it there.
- :func:`droppable` lists the months that lie wholly before a cutoff; the retention purge
  (``core.auditchain.purge``) drops them after exporting their rows, instead of deleting rows one by one.
- A partition is named ``core_auditentry_y2026m11`` and holds that calendar month in China Standard Time.

On SQLite (one file, one station or a demo) the table is not partitioned and these functions do nothing.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

PARENT = "core_auditentry"
DEFAULT_PARTITION = f"{PARENT}_default"
_NAME = re.compile(rf"^{PARENT}_y(\d{{4}})m(\d{{2}})$")
CST = datetime.timezone(datetime.timedelta(hours=8))


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def name(self) -> str:
        return f"{PARENT}_y{self.year}m{self.month:02d}"

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime(self.year, self.month, 1, tzinfo=CST)

    @property
    def end(self) -> datetime.datetime:
        return self.next().start

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    @classmethod
    def of(cls, moment: datetime.datetime) -> Month:
        local = moment.astimezone(CST)
        return cls(local.year, local.month)


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s AND relnamespace = 'public'::regnamespace",
                       [PARENT])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def months() -> list[Month]:
    """The monthly partitions that exist, oldest first (the default partition is not a month)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass", [PARENT])
        names = [r[0] for r in cursor.fetchall()]
    found = [_NAME.match(n) for n in names]
    return sorted(Month(int(m[1]), int(m[2])) for m in found if m)


def _sql_time(moment: datetime.datetime) -> str:
    return moment.isoformat(sep=" ")


def create(month: Month) -> None:
    """Create one month's partition; rows of that month waiting in the default partition move into it."""
    bounds = f"FROM ('{_sql_time(month.start)}') TO ('{_sql_time(month.end)}')"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {DEFAULT_PARTITION} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE at >= %s AND at < %s)",  # noqa: S608
                       [month.start, month.end])
        if not cursor.fetchone()[0]:
            cursor.execute(f"CREATE TABLE {month.name} PARTITION OF {PARENT} FOR VALUES {bounds}")
            return
        # The default partition holds rows of this month: take them out, then attach the month with them.
        cursor.execute(f"CREATE TABLE {month.name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(f"INSERT INTO {month.name} SELECT * FROM {DEFAULT_PARTITION} "  # noqa: S608
                       "WHERE at >= %s AND at < %s", [month.start, month.end])
        cursor.execute(f"DELETE FROM {DEFAULT_PARTITION} WHERE at >= %s AND at < %s",  # noqa: S608
                       [month.start, month.end])
        cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {month.name} FOR VALUES {bounds}")


def ensure(*, now: datetime.datetime | None = None, ahead: int | None = None) -> list[str]:
    """Create the partitions of this month and the next ``ahead`` months that are missing; their names."""
    if not is_partitioned():
        return []
    ahead = getattr(settings, "GUITU_AUDIT_MONTHS_AHEAD", 3) if ahead is None else ahead
    existing = set(months())
    month, wanted = Month.of(now or datetime.datetime.now(datetime.UTC)), []
    for _ in range(ahead + 1):
        wanted.append(month)
        month = month.next()
    # And every month with rows waiting in the default partition (a restored backup's past months).
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'Asia/Shanghai') "  # noqa: S608
                       f"FROM {DEFAULT_PARTITION}")
        wanted += [Month(m.year, m.month) for (m,) in cursor.fetchall()]
    created = []
    for month in sorted(set(wanted) - existing):
        create(month)
        created.append(month.name)
    return created


def droppable(cutoff: datetime.datetime) -> list[Month]:
    """The monthly partitions whose every possible row is older than ``cutoff``, oldest first."""
    return [m for m in months() if m.end <= cutoff]


def drop(month: Month) -> None:
    """Remove one month's partition (the caller exported its rows and holds the chain lock)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {month.name}")
        cursor.execute(f"DROP TABLE {month.name}")
