"""Tamper evidence for the audit log (issue 8, 等保 2.0 level 3 "审计记录保护").

Every ``AuditEntry`` carries ``prev_hash`` (the hash of the row before it, in id order) and ``hash`` =
HMAC-SHA256(key, prev_hash + canonical JSON of the row's content). The key (``GUITU_AUDIT_KEY``) lives in
the environment, never in the database: someone who can write to the database can change or delete rows
but cannot compute the hashes that would hide it. ``manage.py audit_verify`` walks the chain and reports
the first altered or missing row.

- Rows are chained under one lock (PostgreSQL: a transaction-level advisory lock held until the writing
  transaction commits, so ids, chain order and commit order agree; SQLite: writes already hold the
  database's write lock — ``transaction_mode=IMMEDIATE``).
- Retention (``GUITU_AUDIT_RETENTION_DAYS``, at least 183 days = 6 months) deletes the oldest rows only
  after the whole chain verified, and leaves a signed ``purge`` checkpoint holding the last deleted row's
  hash: the first kept row's ``prev_hash`` must equal it.
- A signed ``seal`` checkpoint of the chain's head is written every night, so deleting the newest rows
  is noticed as well (between two seals, only by comparing with a head hash recorded elsewhere — the
  command prints it).

Algorithm v1 (frozen: changing it would make every existing chain fail; migration 0005 carries a copy).
"""

import datetime
import gzip
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from core.models import AuditChainHead, AuditCheckpoint, AuditEntry, CheckpointKind

#: pg_advisory_xact_lock key of the audit chain ("guitu-audit" as a number).
LOCK_KEY = 0x67756974750A
MIN_RETENTION_DAYS = 183
_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "person_uuid",
    "summary",
    "changes",
    "ip",
    "prev_hash",
    "hash",
)


def _key() -> bytes:
    key = getattr(settings, "GUITU_AUDIT_KEY", "")
    if not key:
        raise ImproperlyConfigured("GUITU_AUDIT_KEY is not set")
    return key.encode()


def _utc(value: datetime.datetime) -> str:
    # Milliseconds: Django's JSON serialiser (dumpdata → backups) keeps no more, and a restored chain must verify.
    return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds")


def _canonical(row: dict) -> bytes:
    content = [
        _utc(row["at"]),
        row["actor_id"],
        row["actor_name"] or "",
        row["organisation_id"],
        row["action"],
        row["object_type"] or "",
        row["object_id"] or "",
        str(row["person_uuid"]) if row["person_uuid"] else None,
        row["summary"] or "",
        row["changes"] if row["changes"] is not None else {},
        str(row["ip"]) if row["ip"] else None,
    ]
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def row_hash(prev_hash: str, row: dict) -> str:
    """HMAC of one row (a dict of the AuditEntry fields) chained to the previous row's hash."""
    return hmac.new(_key(), prev_hash.encode() + b"\n" + _canonical(row), hashlib.sha256).hexdigest()


def lock(*, durable: bool = True) -> None:
    """Serialise chaining; must run inside ``transaction.atomic`` (released at commit or rollback).

    ``durable=False`` (read and denied entries, which have a transaction of their own) commits without
    waiting for the disk on PostgreSQL (``synchronous_commit = off``): a crash can lose the last fraction of a
    second of such entries, never corrupt the chain — the next durable commit flushes everything before it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # One round trip: set_config(..., true) is SET LOCAL.
            cursor.execute("SELECT set_config('synchronous_commit', %s, true), pg_advisory_xact_lock(%s)",
                           ["off" if not durable else "on", LOCK_KEY])


def _purge_anchor() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.filter(kind=CheckpointKind.PURGE).order_by("-last_id").first()


def head_hash() -> str:
    """The hash a new row chains to: the newest row's (by id, whatever its time — a clock set back, or a test
    travelling in time, must never fork the chain), or the last purge's anchor, or ''.

    On PostgreSQL a trigger keeps the newest row's id and hash in :class:`AuditChainHead` (migration 0010): one
    primary-key read, where finding the newest of ten years' monthly partitions costs ~10 ms of planning. An
    empty head (a fresh or flushed database) falls back to the look-up."""
    if connection.vendor == "postgresql":
        head = AuditChainHead.objects.values_list("last_hash", flat=True).first()
        if head is not None:
            return head
    last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    if last is not None:
        return last
    anchor = _purge_anchor()
    return anchor.last_hash if anchor else ""


def set_head_trigger(cursor, *, enabled: bool) -> None:
    """PostgreSQL, bulk fills that bypass :func:`core.audit.audit` (bench data written with COPY or
    ``generate_series``): switch off the head trigger's per-row upsert while filling, and on switching it back
    set the head once from the newest row."""
    cursor.execute(f"ALTER TABLE core_auditentry {'ENABLE' if enabled else 'DISABLE'} TRIGGER core_audit_chain_head")
    if enabled:
        cursor.execute("DELETE FROM core_auditchainhead")
        cursor.execute("INSERT INTO core_auditchainhead (id, last_id, last_hash) "
                       "SELECT 1, id, hash FROM core_auditentry ORDER BY id DESC LIMIT 1")


def chain(entry: AuditEntry) -> None:
    """Fill ``entry.at``, ``entry.prev_hash`` and ``entry.hash`` just before it is inserted (caller holds
    :func:`lock`). The time is taken under the lock, so ids, times and chain order agree: a month's partition
    holds exactly a range of ids, and the retention purge can drop it whole (core/auditpartitions.py)."""
    entry.at = timezone.now()
    # Stored as it will read back (tuples → lists, non-string keys → strings), so the hash verifies later.
    entry.changes = json.loads(json.dumps(entry.changes if entry.changes is not None else {}))
    entry.prev_hash = head_hash()
    row = {name: getattr(entry, name, None) for name in _FIELDS if name not in ("id", "prev_hash", "hash")}
    entry.hash = row_hash(entry.prev_hash, row)


def _checkpoint_message(cp: AuditCheckpoint) -> bytes:
    cutoff = _utc(cp.cutoff) if cp.cutoff else ""
    return f"{cp.kind}|{cp.last_id}|{cp.last_hash}|{cp.rows}|{cutoff}|{_utc(cp.created_at)}".encode()


def sign(cp: AuditCheckpoint) -> None:
    cp.signature = hmac.new(_key(), _checkpoint_message(cp), hashlib.sha256).hexdigest()


def signature_ok(cp: AuditCheckpoint) -> bool:
    expected = hmac.new(_key(), _checkpoint_message(cp), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, cp.signature)


@dataclass
class Verification:
    ok: bool
    checked: int
    head_id: int | None
    head_hash: str
    problem: str = ""
    first_bad_id: int | None = None


def verify() -> Verification:
    """Walk the chain in id order; stop at the first altered or missing row (message in Chinese)."""
    anchor = _purge_anchor()
    if anchor is not None and not signature_ok(anchor):
        return Verification(
            False, 0, None, "", f"清理检查点 #{anchor.last_id} 的签名无效（检查点被篡改）", anchor.last_id
        )
    seals = {
        cp.last_id: cp
        for cp in AuditCheckpoint.objects.filter(kind=CheckpointKind.SEAL)
        if anchor is None or cp.last_id > anchor.last_id
    }
    for cp in seals.values():
        if not signature_ok(cp):
            return Verification(
                False, 0, None, "", f"封存检查点 #{cp.last_id} 的签名无效（检查点被篡改）", cp.last_id
            )
    prev_hash = anchor.last_hash if anchor else ""
    prev_id = anchor.last_id if anchor else None
    checked = 0
    rows = AuditEntry.objects.filter(id__gt=anchor.last_id if anchor else 0).order_by("id").values(*_FIELDS)
    for row in rows.iterator(chunk_size=2000):
        if row["prev_hash"] != prev_hash:
            where = f"记录 #{prev_id} 之后" if prev_id is not None else "链首"
            return Verification(
                False,
                checked,
                prev_id,
                prev_hash,
                f"记录 #{row['id']} 之前缺少记录（{where}的记录被删除或替换）",
                row["id"],
            )
        if not hmac.compare_digest(row_hash(prev_hash, row), row["hash"]):
            return Verification(
                False, checked, prev_id, prev_hash, f"记录 #{row['id']} 的内容被修改", row["id"]
            )
        seal = seals.pop(row["id"], None)
        if seal is not None and seal.last_hash != row["hash"]:
            return Verification(
                False, checked, prev_id, prev_hash, f"记录 #{row['id']} 与封存检查点不符（被替换）", row["id"]
            )
        prev_hash, prev_id = row["hash"], row["id"]
        checked += 1
    if seals:
        missing = min(seals)
        return Verification(
            False, checked, prev_id, prev_hash, f"记录 #{missing} 已封存但不存在（最新的记录被删除）", missing
        )
    return Verification(True, checked, prev_id, prev_hash)


def retention_days() -> int:
    days = int(getattr(settings, "GUITU_AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS))
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"GUITU_AUDIT_RETENTION_DAYS={days}: 审计日志至少保存 {MIN_RETENTION_DAYS} 天（6 个月）"
        )
    return days


class ChainBroken(Exception):
    """The chain did not verify; nothing is purged (the evidence would be lost)."""


ARCHIVE_FORMAT = "guitu-audit-archive/1"


def _archive_row(row: dict) -> dict:
    out = dict(row)
    out["at"] = _utc(row["at"])
    out["person_uuid"] = str(row["person_uuid"]) if row["person_uuid"] else None
    out["ip"] = str(row["ip"]) if row["ip"] else None
    return out


def export(rows, *, anchor: str, cutoff: datetime.datetime) -> tuple[Path, str, int]:
    """Write ``rows`` (AuditEntry values of ``_FIELDS`` in id order) to a gzip'd JSON-lines archive in
    ``GUITU_AUDIT_ARCHIVE_DIR``: a header line (format, the hash the first row chains to, the cutoff), then one
    line a row with its hashes — so the archive verifies on its own with the audit key (:func:`verify_archive`).
    Written to a temporary name, synced, then renamed: a crash never leaves a half archive under the real name."""
    directory = Path(getattr(settings, "GUITU_AUDIT_ARCHIVE_DIR", settings.VAR_DIR / "audit-archive"))
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    partial = directory / f"audit-{stamp}.jsonl.gz.part"
    count, first_id, last_id = 0, None, None
    with open(partial, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb") as out:
            header = {"format": ARCHIVE_FORMAT, "anchor": anchor, "cutoff": _utc(cutoff)}
            out.write(json.dumps(header, ensure_ascii=False).encode() + b"\n")
            for row in rows.iterator(chunk_size=5000):
                out.write(json.dumps(_archive_row(row), ensure_ascii=False, sort_keys=True).encode() + b"\n")
                first_id = row["id"] if first_id is None else first_id
                last_id, count = row["id"], count + 1
        raw.flush()
        os.fsync(raw.fileno())
    final = directory / f"audit-{first_id}-{last_id}-{stamp}.jsonl.gz"
    partial.rename(final)
    with open(final, "rb") as written:  # streamed: a month's archive can be gigabytes
        digest = hashlib.file_digest(written, "sha256").hexdigest()
    return final, digest, count


def verify_archive(path) -> Verification:
    """Check an exported archive's chain from its anchor (the key is needed; the database is not)."""
    with gzip.open(path, "rb") as lines:
        header = json.loads(next(lines))
        if header.get("format") != ARCHIVE_FORMAT:
            return Verification(False, 0, None, "", "不是审计日志归档文件")
        prev_hash, prev_id, checked = header["anchor"], None, 0
        for line in lines:
            row = json.loads(line)
            row["at"] = datetime.datetime.fromisoformat(row["at"])
            if row["prev_hash"] != prev_hash:
                return Verification(False, checked, prev_id, prev_hash, f"归档中记录 #{row['id']} 之前缺少记录", row["id"])
            if not hmac.compare_digest(row_hash(prev_hash, row), row["hash"]):
                return Verification(False, checked, prev_id, prev_hash, f"归档中记录 #{row['id']} 的内容被修改", row["id"])
            prev_hash, prev_id, checked = row["hash"], row["id"], checked + 1
    return Verification(True, checked, prev_id, prev_hash)


def _drop_old_months(cutoff: datetime.datetime, last_id: int) -> list[str]:
    """Drop the monthly partitions wholly before ``cutoff`` whose rows are all being purged."""
    from core import auditpartitions

    dropped = []
    for month in auditpartitions.droppable(cutoff):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max(id) FROM {month.name}")  # noqa: S608 - a partition's own name
            newest = cursor.fetchone()[0]
        if newest is None or newest <= last_id:
            auditpartitions.drop(month)
            dropped.append(month.name)
    return dropped


def purge(*, now: datetime.datetime | None = None) -> AuditCheckpoint | None:
    """Export, then delete the rows older than the retention period, leaving a signed anchor; refuse if the
    chain is broken. On PostgreSQL whole months go by dropping their partitions; the rest row by row."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=retention_days())
    # Verifying and exporting read rows that no longer change and take long at volume: outside the chain lock,
    # so the stations' writes never wait for them. Only the cut itself happens under the lock.
    result = verify()
    if not result.ok:
        raise ChainBroken(result.problem)
    first_kept = AuditEntry.objects.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True).first()
    old = AuditEntry.objects.filter(id__lt=first_kept) if first_kept else AuditEntry.objects.filter(id__lte=result.head_id or 0)
    last = old.order_by("-id").values("id", "hash").first()
    if last is None:
        return None
    anchor = _purge_anchor()
    archive, digest, count = export(old.order_by("id").values(*_FIELDS),
                                    anchor=anchor.last_hash if anchor else "", cutoff=cutoff)
    with transaction.atomic():
        lock()
        if (_purge_anchor() != anchor
                or AuditEntry.objects.filter(id=last["id"]).values_list("hash", flat=True).first() != last["hash"]):
            archive.unlink(missing_ok=True)
            raise ChainBroken("清理期间审计链发生了变化，未删除任何记录，请重新执行")
        cp = AuditCheckpoint(
            kind=CheckpointKind.PURGE, last_id=last["id"], last_hash=last["hash"], rows=count, cutoff=cutoff
        )
        sign(cp)
        cp.save()
        dropped = _drop_old_months(cutoff, last["id"])
        old._purge()
        AuditCheckpoint.objects.filter(kind=CheckpointKind.SEAL, last_id__lte=last["id"]).delete()
        from core.audit import audit

        audit(
            actor=None,
            action="delete",
            object_type="core.AuditEntry",
            object_id=f"..{last['id']}",
            summary=f"审计日志保存期满清理：导出并删除 {count} 条（截至 #{last['id']}，{retention_days()} 天前）",
            changes={"rows": count, "last_id": last["id"], "cutoff": _utc(cutoff), "archive": archive.name,
                     "sha256": digest, "partitions_dropped": dropped},
        )
    return cp


def seal() -> AuditCheckpoint | None:
    """Record the chain's head in a signed checkpoint (nightly), so deleting the newest rows is noticed."""
    with transaction.atomic():
        lock()
        last = AuditEntry.objects.order_by("-id").values("id", "hash").first()
        if last is None:
            return None
        cp = AuditCheckpoint(kind=CheckpointKind.SEAL, last_id=last["id"], last_hash=last["hash"])
        sign(cp)
        cp.save()
    return cp
