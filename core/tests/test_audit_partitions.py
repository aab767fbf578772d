"""Audit at volume (issue 9): monthly partitions on PostgreSQL, created ahead; retention exports, then drops whole
months; the exported archive verifies on its own."""

import datetime
import gzip
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from core import auditpartitions
from core.audit import audit
from core.auditchain import purge, verify, verify_archive
from core.auditpartitions import Month
from core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")

UTC = datetime.UTC


def _write(n, label="行"):
    return [audit(actor=None, action=AuditAction.UPDATE, object_type="test", object_id=str(i),
                  summary=f"{label} {i}", changes={"n": [i, i + 1]}) for i in range(n)]


def _partition_of(entry_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM core_auditentry WHERE id = %s", [entry_id])
        return cursor.fetchone()[0]


def _fire_deferred_checks():
    # Rows written in this test's own transaction carry deferred foreign-key checks, which forbid detaching
    # their partition; a real purge runs long after the rows were committed.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@postgresql_only
def test_i9_the_audit_table_is_partitioned_by_month_with_the_coming_months_ready():
    assert auditpartitions.is_partitioned()
    this_month = Month.of(datetime.datetime.now(UTC))
    ready = set(auditpartitions.months())
    month = this_month
    for _ in range(4):  # this month and the three after it (migration 0008, then the daily task)
        assert month in ready
        month = month.next()
    row = _write(1)[0]
    assert _partition_of(row.id) == this_month.name


@postgresql_only
def test_i9_creating_a_month_ahead_moves_its_early_rows_out_of_the_default_partition():
    with time_machine.travel(datetime.datetime(2031, 3, 5, 9, tzinfo=UTC), tick=False):
        rows = _write(3)
    assert {_partition_of(r.id) for r in rows} == {auditpartitions.DEFAULT_PARTITION}
    _fire_deferred_checks()
    created = auditpartitions.ensure(now=datetime.datetime(2031, 3, 1, 1, tzinfo=UTC), ahead=1)
    assert created == ["core_auditentry_y2031m03", "core_auditentry_y2031m04"]
    assert {_partition_of(r.id) for r in rows} == {"core_auditentry_y2031m03"}
    assert auditpartitions.ensure(now=datetime.datetime(2031, 3, 1, 1, tzinfo=UTC), ahead=1) == []
    assert verify().ok


@postgresql_only
def test_i9_the_months_of_restored_old_rows_get_their_partitions_on_the_next_run():
    with time_machine.travel(datetime.datetime(2019, 6, 5, 9, tzinfo=UTC), tick=False):
        rows = _write(2)
    assert {_partition_of(r.id) for r in rows} == {auditpartitions.DEFAULT_PARTITION}
    _fire_deferred_checks()
    assert "core_auditentry_y2019m06" in auditpartitions.ensure()
    assert {_partition_of(r.id) for r in rows} == {"core_auditentry_y2019m06"}


@postgresql_only
def test_i9_a_month_starts_at_midnight_china_time():
    month = Month(2031, 1)
    assert month.start == datetime.datetime(2030, 12, 31, 16, tzinfo=UTC)
    assert Month.of(datetime.datetime(2030, 12, 31, 16, 30, tzinfo=UTC)) == month
    assert Month(2031, 12).next() == Month(2032, 1)


@postgresql_only
def test_i9_retention_exports_then_drops_whole_months_and_the_chain_still_verifies(settings):
    settings.GUITU_AUDIT_RETENTION_DAYS = 183
    with time_machine.travel(datetime.datetime(2031, 3, 5, 9, tzinfo=UTC), tick=False):
        old = _write(3, "旧")
    _fire_deferred_checks()
    auditpartitions.ensure(now=datetime.datetime(2031, 3, 1, 1, tzinfo=UTC), ahead=0)
    with time_machine.travel(datetime.datetime(2031, 10, 20, 9, tzinfo=UTC), tick=False):
        recent = _write(2, "新")
        _fire_deferred_checks()
        cp = purge()
    assert cp.rows >= 3 and cp.last_id >= old[-1].id
    note = AuditEntry.objects.filter(summary__startswith="审计日志保存期满清理").get()
    assert "core_auditentry_y2031m03" in note.changes["partitions_dropped"]
    assert Month(2031, 3) not in auditpartitions.months()
    assert not AuditEntry.objects.filter(id__in=[r.id for r in old]).exists()
    assert AuditEntry.objects.filter(id__in=[r.id for r in recent]).count() == 2
    assert verify().ok
    archive = settings.GUITU_AUDIT_ARCHIVE_DIR / note.changes["archive"]
    checked = verify_archive(archive)
    assert checked.ok and checked.head_id == cp.last_id


def test_i9_the_purge_export_verifies_on_its_own_and_a_changed_archive_does_not(settings, tmp_path):
    settings.GUITU_AUDIT_RETENTION_DAYS = 183
    settings.GUITU_AUDIT_ARCHIVE_DIR = tmp_path
    with time_machine.travel(datetime.datetime(2031, 1, 2, 9, tzinfo=UTC), tick=False):
        old = _write(4, "旧")
    with time_machine.travel(datetime.datetime(2031, 9, 2, 9, tzinfo=UTC), tick=False):
        _write(1, "新")
        if connection.vendor == "postgresql":
            _fire_deferred_checks()
        cp = purge()
    assert cp.rows == 4 and cp.last_id == old[-1].id
    [archive] = list(tmp_path.glob("audit-*.jsonl.gz"))
    assert not list(tmp_path.glob("*.part"))
    result = verify_archive(archive)
    assert result.ok and result.checked == cp.rows and result.head_hash == cp.last_hash
    lines = gzip.decompress(archive.read_bytes()).decode().splitlines()
    header, rows = json.loads(lines[0]), [json.loads(x) for x in lines[1:]]
    assert header["format"] == "guitu-audit-archive/1" and [r["summary"] for r in rows] == [
        "旧 0", "旧 1", "旧 2", "旧 3"]
    call_command("audit_verify", archive=str(archive))
    rows[-2]["summary"] = "改过"
    forged = tmp_path / "forged.jsonl.gz"
    forged.write_bytes(gzip.compress("\n".join([lines[0], *(json.dumps(r, ensure_ascii=False) for r in rows)])
                                     .encode()))
    bad = verify_archive(forged)
    assert not bad.ok and "被修改" in bad.problem and bad.first_bad_id == rows[-2]["id"]
    with pytest.raises(CommandError, match="归档校验失败"):
        call_command("audit_verify", archive=str(forged))


def test_i9_on_sqlite_there_are_no_partitions_to_make():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's behaviour")
    assert auditpartitions.ensure() == [] and auditpartitions.months() == []
