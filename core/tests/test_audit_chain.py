"""The audit log is tamper-evident (issue 8, 等保 2.0 审计记录保护): a keyed hash chain, audit_verify, retention."""

import datetime
import threading

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, models, transaction

from core.audit import audit
from core.auditchain import ChainBroken, purge, seal, verify
from core.models import AuditAction, AuditCheckpoint, AuditEntry, AuditImmutable

pytestmark = pytest.mark.django_db


def _attacker():
    """Someone with the database's owner rights: drops the append-only trigger and writes past the ORM guard.

    What remains to notice them is the hash chain. (DDL is transactional on both databases: the test's
    rollback restores the trigger.)"""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER core_auditentry_append_only ON core_auditentry")
        else:
            cursor.execute("DROP TRIGGER core_auditentry_append_only")
    return models.QuerySet(model=AuditEntry)


def _write(n, **kwargs):
    return [
        audit(
            actor=None,
            action=AuditAction.UPDATE,
            object_type="test",
            object_id=str(i),
            summary=f"第 {i} 条",
            changes={"n": [i, i + 1], "名字": ["甲", "乙"]},
            **kwargs,
        )
        for i in range(n)
    ]


def test_an_untouched_chain_verifies():
    _write(5)
    result = verify()
    assert result.ok and result.checked == AuditEntry.objects.count()
    call_command("audit_verify")


def test_the_chain_does_not_fork_when_the_clock_goes_back():
    # The head is the newest row by id, not by time: rows written "in the past" (a clock set back, a restored
    # machine, a test travelling in time) between two present ones still chain in id order.
    _write(2)
    with time_machine.travel(datetime.datetime(2020, 1, 1, 9, tzinfo=datetime.UTC), tick=False):
        past = _write(2)
    present = _write(1)[0]
    assert present.prev_hash == past[-1].hash
    assert verify().ok


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"],
                    reason="the head is kept by a PostgreSQL trigger (SQLite looks the newest row up)")
def test_e4_the_chain_head_is_one_read_of_the_row_a_trigger_keeps():
    """Issue 9: with ten years' monthly partitions, finding the newest row cost ~10 ms of planning per write; a
    trigger keeps the newest row's id and hash, also for rows written "in the past" and for any insert order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.auditchain import head_hash
    from core.models import AuditChainHead

    _write(2)
    with time_machine.travel(datetime.datetime(2020, 1, 1, 9, tzinfo=datetime.UTC), tick=False):
        past = _write(1)[0]
    head = AuditChainHead.objects.get()
    assert (head.last_id, head.last_hash) == (past.id, past.hash)
    with CaptureQueriesContext(connection) as queries:
        assert head_hash() == past.hash
    assert [q["sql"] for q in queries if "core_auditentry" in q["sql"]] == []  # no look-up over the partitions
    AuditChainHead.objects.all().delete()  # a flushed database: the look-up answers, the next row sets it again
    assert head_hash() == past.hash
    present = _write(1)[0]
    assert present.prev_hash == past.hash and AuditChainHead.objects.get().last_id == present.id
    assert verify().ok


def test_each_row_is_chained_to_the_one_before():
    first, second = _write(2)
    assert second.prev_hash == first.hash and len(second.hash) == 64


def test_audit_verify_reports_the_first_altered_row():
    rows = _write(6)
    attacker = _attacker()
    attacker.filter(id=rows[3].id).update(summary="改过的摘要")
    attacker.filter(id=rows[4].id).update(changes={"n": [0, 0]})
    result = verify()
    assert not result.ok and result.first_bad_id == rows[3].id
    with pytest.raises(CommandError, match=f"记录 #{rows[3].id} 的内容被修改"):
        call_command("audit_verify")


def test_audit_verify_reports_a_deleted_row():
    rows = _write(5)
    _attacker().filter(id=rows[2].id).delete()
    result = verify()
    assert not result.ok and result.first_bad_id == rows[3].id
    assert f"记录 #{rows[1].id} 之后" in result.problem


def test_audit_verify_reports_a_row_whose_hash_was_recomputed_without_the_key(settings):
    rows = _write(3)
    real_key = settings.GUITU_AUDIT_KEY
    settings.GUITU_AUDIT_KEY = "an attacker's guess"
    forged = audit(actor=None, action=AuditAction.UPDATE, object_type="test", summary="伪造")
    settings.GUITU_AUDIT_KEY = real_key
    _attacker().filter(id=forged.id).update(prev_hash=rows[-1].hash)
    assert not verify().ok


def test_audit_verify_reports_deleted_newest_rows_after_a_seal():
    rows = _write(4)
    seal()
    _attacker().filter(id__gte=rows[2].id).delete()
    result = verify()
    assert not result.ok and "已封存但不存在" in result.problem


def test_a_forged_checkpoint_is_reported():
    _write(3)
    cp = seal()
    AuditCheckpoint.objects.filter(id=cp.id).update(last_hash="0" * 64)
    assert "签名无效" in verify().problem


def test_retention_keeps_six_months_and_the_chain_still_verifies(settings):
    settings.GUITU_AUDIT_RETENTION_DAYS = 183
    with time_machine.travel(datetime.datetime(2026, 1, 1, 9, tzinfo=datetime.UTC), tick=False):
        old = _write(3)
    with time_machine.travel(datetime.datetime(2026, 6, 1, 9, tzinfo=datetime.UTC), tick=False):
        recent = _write(2)
    with time_machine.travel(datetime.datetime(2026, 7, 15, 9, tzinfo=datetime.UTC), tick=False):
        cp = purge()
        after = _write(1)
    assert cp.rows == 3 and cp.last_id == old[-1].id
    assert not AuditEntry.objects.filter(id__in=[r.id for r in old]).exists()
    assert AuditEntry.objects.filter(id__in=[r.id for r in recent + after]).count() == 3
    assert AuditEntry.objects.filter(summary__startswith="审计日志保存期满清理：导出并删除 3 条").exists()
    assert verify().ok
    # Deleting the first kept row is still noticed: its successor no longer chains to the anchor.
    _attacker().filter(id=recent[0].id).delete()
    assert verify().first_bad_id == recent[1].id


def test_a_broken_chain_is_never_purged(settings):
    with time_machine.travel(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), tick=False):
        rows = _write(3)
    _attacker().filter(id=rows[1].id).update(summary="改")
    with time_machine.travel(datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC), tick=False):
        with pytest.raises(ChainBroken):
            purge()
        with pytest.raises(CommandError, match="未删除任何记录"):
            call_command("audit_purge")
    assert AuditEntry.objects.filter(id__in=[r.id for r in rows]).count() == 3


def test_retention_below_six_months_is_refused(settings):
    settings.GUITU_AUDIT_RETENTION_DAYS = 90
    with pytest.raises(ImproperlyConfigured, match="至少保存 183 天"):
        purge()


def _in_thread(fn):
    """Run ``fn`` on its own database connection (it commits for real, outside the test's transaction)."""
    errors = []

    def run():
        from django.db import connection as conn

        try:
            fn()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            conn.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite serialises writers itself; the advisory lock is PostgreSQL's",
)
def test_concurrent_writers_keep_one_unbroken_chain():
    # Not a transactional test (its flush would empty the divisions later tests rely on): the writers use
    # their own connections and commit; their rows are removed at the end.
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    try:
        runs = [_in_thread(lambda: _write(15)) for _ in range(4)]
        for thread, _ in runs:
            thread.join()
        assert not [e for _, errors in runs for e in errors]
        result = verify()
        assert result.ok and AuditEntry.objects.filter(id__gt=before).count() == 60
    finally:
        def clean_up():
            from core.models import AuditChainHead

            models.QuerySet(model=AuditEntry).filter(id__gt=before).delete()
            AuditChainHead.objects.all().delete()  # it named a removed row; empty = look the newest up

        thread, _ = _in_thread(clean_up)
        thread.join()


def test_the_audit_log_is_append_only_through_the_orm():
    row = _write(1)[0]
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(id=row.id).update(summary="改")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(id=row.id).delete()
    row.summary = "改"
    with pytest.raises(AuditImmutable):
        row.save()
    with pytest.raises(AuditImmutable):
        row.delete()
    assert AuditEntry.objects.get(id=row.id).summary == "第 0 条" and verify().ok


def test_the_database_refuses_an_update_of_an_audit_row_that_bypasses_the_orm():
    row = _write(1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        models.QuerySet(model=AuditEntry).filter(id=row.id).update(summary="改")
    assert AuditEntry.objects.get(id=row.id).summary == "第 0 条"
