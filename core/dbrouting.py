"""Statistics and exports read from a read replica when one is configured (issue 9: reporting off the primary).

A province's statistics pages, the campaign table and the Excel exports read much and write nothing but their
audit entry; on a busy primary they compete with the stations' daily work. With ``GUITU_REPLICA_DATABASE_URL``
set (a PostgreSQL streaming replica of the primary), ``settings.GUITU_REPORTING_DATABASE`` names its alias and:

- :class:`ReportingReadsMiddleware` marks a request as *reporting* when it is a GET/HEAD of a statistics path
  (``settings.GUITU_REPORTING_PATHS``) or asks for an Excel export (``?format=xlsx``);
- :class:`ReportingRouter` sends that request's ORM reads to the replica, and nothing else: every write goes
  to the primary (also the writes of an object that was read from the replica), the audit chain and the
  sessions are always read on the primary, and a read inside a transaction on the primary stays on the
  primary (read-your-writes: a service that writes and reads in one ``atomic`` block never sees a lagging
  copy);
- task-queue jobs and management commands use :func:`reporting_reads` explicitly if they want the replica.

Without a replica nothing changes: the router answers ``None`` and Django uses ``default``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from core.excel import wants_xlsx

#: Whether the current request or job is a reporting read (statistics, exports).
_reporting: contextvars.ContextVar[bool] = contextvars.ContextVar("guitu_reporting_reads", default=False)

#: Models whose reads always go to the primary: the audit hash chain is read under its lock to append the
#: next row, and a session or a login lockout must be the current one.
PRIMARY_ONLY = frozenset({
    "core.auditentry",
    "core.auditcheckpoint",
    "sessions.session",
    "axes.accessattempt",
    "axes.accessfailurelog",
    "axes.accesslog",
})


def reporting_alias() -> str | None:
    """The configured replica's alias, or None when statistics read the primary."""
    alias = getattr(settings, "GUITU_REPORTING_DATABASE", None)
    return alias if alias and alias in settings.DATABASES and alias != DEFAULT_DB_ALIAS else None


@contextmanager
def reporting_reads() -> Iterator[None]:
    """Reads in this block may be served by the replica (when one is configured)."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def is_reporting_request(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if wants_xlsx(request):
        return True
    return any(request.path.startswith(prefix) for prefix in getattr(settings, "GUITU_REPORTING_PATHS", ()))


def _in_transaction() -> bool:
    """Inside an ``atomic`` block the application opened on the primary (a test case's own wrapping block,
    which Django marks, does not count: the test reads as a request would)."""
    blocks = connections[DEFAULT_DB_ALIAS].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


class ReportingRouter:
    """Reads of a reporting request go to the replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        alias = reporting_alias()
        if alias is None or not _reporting.get():
            return None
        if model._meta.label_lower in PRIMARY_ONLY:
            return DEFAULT_DB_ALIAS
        if _in_transaction():
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        # Explicit: Django would otherwise write an instance back to the database it was read from.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        alias = reporting_alias()
        if alias is None:
            return None
        allowed = {DEFAULT_DB_ALIAS, alias}
        return True if {obj1._state.db, obj2._state.db} <= allowed else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is a copy of the primary made by PostgreSQL; migrations run on the primary only.
        alias = reporting_alias()
        return False if alias is not None and db == alias else None


class ReportingReadsMiddleware:
    """Last in MIDDLEWARE: only the view's own reads are routed; the session, the login and the per-request
    audit entry (written after the view) stay on the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if reporting_alias() is None or not is_reporting_request(request):
            return self.get_response(request)
        with reporting_reads():
            return self.get_response(request)
