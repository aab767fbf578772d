"""Audit-log reads planned once per connection (issue 9: a person's page at province scale, core.prepared)."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import prepared
from core.models import AuditEntry

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")


def test_i9_placeholders_are_numbered_and_typed_as_their_literals_would_be():
    when = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    sql = 'SELECT 1 FROM "t" WHERE "a" LIKE \'x%%\' AND "u" = %s AND "at" >= %s AND "n" = %s AND "s" = %s'
    assert prepared._numbered(sql, [uuid.uuid4(), when, 7, "x"]) == (
        'SELECT 1 FROM "t" WHERE "a" LIKE \'x%\' AND "u" = $1::uuid AND "at" >= $2::timestamptz AND "n" = $3::integer '
        'AND "s" = $4')
    assert prepared._cast(2**40) == "::bigint" and prepared._cast(True) == "::boolean"


def _statements() -> set[str]:
    """The statements prepared on this connection (PostgreSQL's own view of the session)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'guitu%%'")
        return {row[0] for row in cursor.fetchall()}


def _page(client, person) -> str:
    return client.get(f"/people/{person.uuid}/").content.decode()


def _person_with_history(cast):
    from tracing import services as tracing
    from tracing.tests.factories import unidentified

    episode = unidentified(cast, at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3))
    tracing.check_create(by=cast.tracer, person=episode.person, police=cast.police, known_info="自述姓名不详")
    return episode.person


@postgresql_only
def test_i9_the_person_page_sends_its_audit_reads_as_prepared_statements_and_shows_the_same(cast, client_for,
                                                                                           settings):
    person = _person_with_history(cast)
    client = client_for(cast.head)
    settings.GUITU_PG_PREPARED = False
    _page(client, person)  # the head's first look: on record, so "who looked" has a row either way
    with CaptureQueriesContext(connection) as plain:
        expected = _page(client, person)
    assert not [q for q in plain if q["sql"].startswith(("PREPARE", "EXECUTE"))]
    settings.GUITU_PG_PREPARED = True
    _page(client, person)  # prepares its audit reads (unless an earlier page did, on this connection)
    audit_reads = {sql for sql in _statements() if '"core_auditentry"' in sql}
    assert len(audit_reads) >= 3  # the timeline, who looked, the attempt log (rule T8)
    before = _statements()
    with CaptureQueriesContext(connection) as second:
        shown = _page(client, person)
    assert _statements() == before  # planned once per connection
    assert len([q for q in second if q["sql"].startswith("EXECUTE guitu_")]) >= 3
    assert not [q for q in second if q["sql"].startswith("SELECT") and '"core_auditentry"' in q["sql"]]
    for text in ("公安身份核查", person.file_no):  # the attempt log (rule T8); the file
        assert text in shown
    # who looked (查阅记录): the same rows, and the one view of each visit since
    assert _access_rows(shown) == _access_rows(expected) + 2 >= 3


def _access_rows(page: str) -> int:
    return page.split('id="access"', 1)[1].count("<tr><td>")


@postgresql_only
def test_i9_a_read_the_server_cannot_prepare_runs_as_written_and_the_transaction_goes_on(cast):
    # an untyped parameter in COALESCE is text when prepared (bigint < text), an integer as a literal
    sql = 'SELECT COALESCE(MAX("core_auditentry"."id"), %s) < 5 FROM "core_auditentry"'
    with prepared.audit_reads_prepared(), connection.cursor() as cursor:
        cursor.execute(sql, ["0"])
        assert cursor.fetchone()[0] in (True, False)
        cursor.execute('SELECT COUNT(*) FROM "core_auditentry" WHERE "core_auditentry"."id" > %s', [0])
        assert cursor.fetchone()[0] == AuditEntry.objects.count()
        # without parameters "%s" is text, not a placeholder
        cursor.execute('SELECT COUNT(*) FROM "core_auditentry" WHERE "core_auditentry"."summary" LIKE \'%s%\'')
        assert cursor.fetchone()[0] == 0


@postgresql_only
def test_i9_past_the_cap_a_connection_prepares_no_more(cast, monkeypatch):
    connection.ensure_connection()
    before = _statements()
    monkeypatch.setattr(prepared, "MAX_PER_CONNECTION", len(prepared._prepared.get(connection.connection, ())) + 1)
    with prepared.audit_reads_prepared(), CaptureQueriesContext(connection) as queries:
        for n in range(1, 4):
            list(AuditEntry.objects.filter(id__in=list(range(n)))[:1])  # three statement texts
    assert len(_statements() - before) == 1
    assert len([q for q in queries if q["sql"].startswith("EXECUTE")]) == 1


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite default")
def test_i9_on_sqlite_the_reads_run_as_written(cast):
    with prepared.audit_reads_prepared(), CaptureQueriesContext(connection) as queries:
        list(AuditEntry.objects.all()[:1])
    assert queries[0]["sql"].startswith("SELECT")


@postgresql_only
def test_i9_a_read_through_a_server_side_cursor_runs_as_written(cast, caplog):
    # .iterator() reads through a named cursor (DECLARE … CURSOR FOR SELECT), which cannot take an EXECUTE
    from core.audit import audit
    from core.models import AuditAction

    for n in range(3):
        audit(actor=None, action=AuditAction.UPDATE, object_type="test", object_id=str(n), summary=f"行 {n}")
    expected = AuditEntry.objects.count()
    before = _statements()
    with prepared.audit_reads_prepared(), caplog.at_level("ERROR", logger="core.prepared"):
        assert sum(1 for _ in AuditEntry.objects.order_by("id").iterator(chunk_size=2)) == expected > 0
    assert not caplog.records  # not attempted, rather than refused
    assert _statements() == before
