"""Reads of the audit log planned once per database connection (issue 9: a person's page at province scale).

The audit table is partitioned by month (``core.auditpartitions``): ten years are 120 partitions with 16 indexes
each, and PostgreSQL plans a query on it partition by partition. The person's page asks the audit log four times
(the timeline, who looked at the file, the tracing attempts, the deadline clock's "identified at"): at a million
episodes each of those queries took 23–41 ms, of which under 3 ms was execution — the rest was planning.

Inside :func:`audit_reads_prepared`, a ``SELECT`` that reads ``core_auditentry`` is sent as a server-side
prepared statement (``PREPARE`` once per connection and statement text, then ``EXECUTE``), whose generic plan
PostgreSQL keeps for the connection (the connection runs with ``plan_cache_mode = force_generic_plan``, set in
``guitu.settings``: no other statement of the project is prepared; client-side binding is used everywhere else).
A generic plan prunes the partitions when it runs, from the parameters.

Everything else is unchanged: the ORM builds the query and reads the rows; only the text sent to the server
differs. SQLite, or ``GUITU_PG_PREPARED = False`` (behind a pooler that does not keep sessions, such as
PgBouncer in transaction mode), runs the queries as they are.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import itertools
import logging
import re
import uuid
import weakref
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from psycopg.types.json import Json, Jsonb

logger = logging.getLogger(__name__)
#: Statements prepared on each open connection (keyed by the driver's connection object, which a reconnect
#: replaces: a new connection starts with none).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: At most this many statements per connection; past it, queries run unprepared (IN-lists of different lengths
#: are different statements, and each holds a plan in the server's memory).
MAX_PER_CONNECTION = 64
_PLACEHOLDER = re.compile(r"%%|%s")


#: Each parameter gets the type its literal has under client-side binding (what every other query is tested
#: with): ``1`` is an integer, ``1.5`` a numeric, ``'…'::uuid`` a uuid; text and lists stay untyped and take their
#: type from where they stand, as their quoted literals do.
_CASTS = ((bool, "boolean"), (uuid.UUID, "uuid"), (datetime.datetime, "timestamptz"), (datetime.date, "date"),
          (datetime.time, "time"), (datetime.timedelta, "interval"), (float, "numeric"), (decimal.Decimal, "numeric"),
          (Jsonb, "jsonb"), (Json, "json"), (bytes, "bytea"))


def _cast(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return "::integer" if -(2**31) <= value < 2**31 else "::bigint"
    return next((f"::{pg}" for py, pg in _CASTS if isinstance(value, py)), "")


def _numbered(sql: str, params) -> str:
    """Django's ``%s`` placeholders as ``$1, $2 …`` (typed as the driver would type their literals) and ``%%``
    as ``%``, for ``PREPARE``."""
    values = iter(params)
    counter = itertools.count(1)

    def replace(match) -> str:
        if match.group(0) == "%%":
            return "%"
        return f"${next(counter)}{_cast(next(values))}"

    return _PLACEHOLDER.sub(replace, sql)


def _wrapper(execute, sql, params, many, context):
    if (many or getattr(context["cursor"].cursor, "name", None)  # a server-side cursor: DECLARE takes a SELECT only
            or not sql.lstrip().startswith("SELECT") or '"core_auditentry"' not in sql):
        return execute(sql, params, many, context)
    values = None if params is None else list(params)
    typed = sql if values is None else _numbered(sql, values)  # without parameters, % is not an escape
    names = _prepared.setdefault(context["connection"].connection, set())
    name = "guitu_" + hashlib.blake2b(typed.encode(), digest_size=10).hexdigest()
    if name not in names:
        if len(names) >= MAX_PER_CONNECTION:
            return execute(sql, params, many, context)
        try:
            with transaction.atomic(using=context["connection"].alias):  # a refusal leaves the transaction usable
                execute(f"PREPARE {name} AS {typed}", None, False, context)
        except DatabaseError:
            logger.exception("could not prepare an audit-log read; it runs unprepared")
            return execute(sql, params, many, context)
        names.add(name)
    if not values:
        return execute(f"EXECUTE {name}", None, False, context)
    return execute(f"EXECUTE {name}({', '.join(['%s'] * len(values))})", values, False, context)


@contextmanager
def audit_reads_prepared():
    """Send the audit-log ``SELECT`` statements run inside as prepared statements (PostgreSQL)."""
    if connection.vendor != "postgresql" or not getattr(settings, "GUITU_PG_PREPARED", True):
        yield
        return
    with connection.execute_wrapper(_wrapper):
        yield
