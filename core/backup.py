"""Backup and recovery (issue 8, 等保 2.0 "数据备份恢复"): one encrypted archive holds the database, the
private files and the key fingerprints; it restores into an empty database on SQLite or PostgreSQL.

Archive = ``MAGIC`` line, then chunks ``[4-byte length][Fernet token]``; each token's plaintext is
``[8-byte chunk number][1-byte last flag][data]``, so a reordered, cut or altered archive is refused. The
plaintext is a tar stream of:

- ``manifest.json`` — format, time, database vendor, latest migration of each app, fingerprints of the
  files, ID and audit keys, row counts per model, SHA-256 of every private file;
- ``db.json`` — every table (Django's ``dumpdata``: portable between SQLite and PostgreSQL; content types
  and permissions by natural key);
- ``media/…`` — the private files exactly as stored (already encrypted at rest with ``GUITU_FILES_KEY``).

The archive is encrypted with ``GUITU_BACKUP_KEY`` (a Fernet key; empty → the files key). Keys are never in
the archive, only their fingerprints: restoring needs the same ``GUITU_FILES_KEY``, ``GUITU_ID_ENCRYPTION_KEY``
and ``GUITU_AUDIT_KEY``, and ``restore`` refuses when a fingerprint differs.
"""

import hashlib
import io
import json
import os
import struct
import tarfile
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from core import filecrypt

MAGIC = b"GUITU-BACKUP1\n"
CHUNK = 4 * 1024 * 1024
FORMAT = 1
#: Not archived: rebuilt on restore (content types, permissions), short-lived (sessions), or derived state —
#: the audit chain's head is kept by a trigger from the audit rows the restore inserts.
EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry", "core.auditchainhead"]


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why, in Chinese."""


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else ""


def key_fingerprints() -> dict[str, str]:
    """Fingerprints (never the keys) of every key the data depends on."""
    # Development derives the ID key from SECRET_KEY (core/crypto.py); fingerprint what is in effect.
    id_key = (
        settings.GUITU_ID_ENCRYPTION_KEY
        or "derived:" + hashlib.sha256(("enc:" + settings.SECRET_KEY).encode()).hexdigest()
    )
    return {
        "files": filecrypt.key_fingerprint(),
        "id": _fingerprint(id_key),
        "id_hash": _fingerprint(settings.GUITU_ID_HASH_KEY),
        "audit": _fingerprint(settings.GUITU_AUDIT_KEY),
    }


def _backup_cipher() -> Fernet:
    key = getattr(settings, "GUITU_BACKUP_KEY", "") or filecrypt._keys()[0]
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError) as exc:
        raise BackupError("GUITU_BACKUP_KEY 不是有效的 Fernet 密钥。") from exc


class _EncryptingWriter(io.RawIOBase):
    """A write-only stream that encrypts in numbered chunks (see the module docstring)."""

    def __init__(self, out, cipher: Fernet):
        self._out, self._cipher, self._buf, self._n = out, cipher, bytearray(), 0
        self._out.write(MAGIC)

    def writable(self):
        return True

    def write(self, data):
        self._buf.extend(data)
        while len(self._buf) >= CHUNK:
            self._emit(bytes(self._buf[:CHUNK]), last=False)
            del self._buf[:CHUNK]
        return len(data)

    def _emit(self, data: bytes, *, last: bool) -> None:
        token = self._cipher.encrypt(struct.pack(">QB", self._n, 1 if last else 0) + data)
        self._out.write(struct.pack(">I", len(token)) + token)
        self._n += 1

    def finish(self) -> None:
        self._emit(bytes(self._buf), last=True)
        self._buf.clear()


class _DecryptingReader(io.RawIOBase):
    def __init__(self, src, cipher: Fernet):
        self._src, self._cipher, self._buf, self._n, self._done = src, cipher, b"", 0, False
        if src.read(len(MAGIC)) != MAGIC:
            raise BackupError("不是归途备份文件（文件头不符）。")

    def readable(self):
        return True

    def _next(self) -> None:
        head = self._src.read(4)
        if len(head) < 4:
            raise BackupError("备份文件不完整（被截断）。")
        (size,) = struct.unpack(">I", head)
        token = self._src.read(size)
        try:
            plain = self._cipher.decrypt(token)
        except InvalidToken as exc:
            raise BackupError("备份无法解密：备份密钥不正确，或文件已被修改。") from exc
        number, last = struct.unpack(">QB", plain[:9])
        if number != self._n:
            raise BackupError("备份文件的分块顺序不正确（被修改）。")
        self._n += 1
        self._done = bool(last)
        self._buf += plain[9:]

    def readinto(self, target):
        while not self._buf and not self._done:
            self._next()
        n = min(len(target), len(self._buf))
        target[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _migration_state() -> dict[str, str]:
    state: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if name > state.get(app, ""):
            state[app] = name
    return state


def _row_counts() -> dict[str, int]:
    skip = {"contenttypes", "sessions", "admin"}
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in skip
        and m._meta.label not in ("auth.Permission", "core.AuditChainHead")
        and m._meta.managed
        and not m._meta.proxy
    }


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def backup(output: Path) -> dict:
    """Write an encrypted archive of the database, private files and key fingerprints to ``output`` (mode 0600)."""
    root = Path(settings.MEDIA_ROOT)
    files = _media_files()
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "vendor": connection.vendor,
        "migrations": _migration_state(),
        "keys": key_fingerprints(),
        "counts": _row_counts(),
        "files": {str(p.relative_to(root)): _sha256(p) for p in files},
    }
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db_json = Path(tmp) / "db.json"
        call_command("dumpdata", exclude=EXCLUDE, natural_foreign=True, output=str(db_json), verbosity=0)
        partial = output.with_name(output.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            writer = _EncryptingWriter(out, _backup_cipher())
            with tarfile.open(fileobj=writer, mode="w|") as tar:
                _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
                tar.add(db_json, arcname="db.json")
                for path in files:
                    tar.add(path, arcname="media/" + str(path.relative_to(root)))
            writer.finish()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, output)
    os.chmod(output, 0o600)
    return manifest


def _database_has_data() -> bool:
    from core.models import Organisation, User

    return User.objects.exists() or Organisation.objects.exists()


def _flush() -> None:
    """Empty every table. Inside an open transaction (tests) PostgreSQL refuses TRUNCATE while deferred
    foreign-key checks are pending, so check them now."""
    deferred = connection.vendor == "postgresql" and connection.in_atomic_block
    if deferred:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if deferred:
        # Back to deferred for the load: rows arrive in app order, and a foreign key may point to a later app
        # (a placement to its outside-care agreement), checked once every row is in.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def restore(archive: Path, *, flush: bool = False, ignore_keys: bool = False) -> dict:
    """Restore an archive into this installation's (migrated, empty) database and media directory.

    Checks before changing anything: the archive decrypts, the key fingerprints match this installation's
    keys (else photos or ID numbers would be unreadable), the schema is at least as new as the backup's, and
    the database is empty (``flush=True`` empties it first). Checks after: row counts, every file's SHA-256,
    and the audit chain.
    """
    from core.auditchain import verify

    with open(archive, "rb") as src, tempfile.TemporaryDirectory() as tmp:
        reader = io.BufferedReader(_DecryptingReader(src, _backup_cipher()), buffer_size=CHUNK)
        staging = Path(tmp)
        manifest = None
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                name = os.path.normpath(member.name)
                if name.startswith(("/", "..")) or not (member.isfile() or member.isdir()):
                    raise BackupError(f"备份中有不安全的条目：{member.name}")
                if member.isdir():
                    continue
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                with tar.extractfile(member) as data, open(target, "wb") as handle:
                    for block in iter(lambda d=data: d.read(1 << 20), b""):
                        handle.write(block)
                os.chmod(target, 0o600)
        manifest_path = staging / "manifest.json"
        if not manifest_path.exists() or not (staging / "db.json").exists():
            raise BackupError("备份不完整：缺少清单或数据库内容。")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"不支持的备份格式：{manifest.get('format')}")
        mine = key_fingerprints()
        wrong = [k for k, v in manifest["keys"].items() if v and mine.get(k) != v]
        if wrong and not ignore_keys:
            names = {
                "files": "GUITU_FILES_KEY",
                "id": "GUITU_ID_ENCRYPTION_KEY",
                "id_hash": "GUITU_ID_HASH_KEY",
                "audit": "GUITU_AUDIT_KEY",
            }
            raise BackupError(
                "本机密钥与备份时不同："
                + "、".join(names[k] for k in wrong)
                + "。请配置备份时使用的密钥后再恢复（否则照片、身份证号或审计链无法使用）。"
            )
        current = _migration_state()
        behind = [app for app, name in manifest["migrations"].items() if current.get(app, "") < name]
        if behind:
            raise BackupError("数据库结构比备份旧，请先升级代码并运行 migrate：" + "、".join(sorted(behind)))
        if _database_has_data():
            if not flush:
                raise BackupError("目标数据库不是空的。恢复会覆盖全部数据；确认后加 --flush。")
            _flush()
        root = Path(settings.MEDIA_ROOT)
        call_command("loaddata", str(staging / "db.json"), verbosity=0)
        for rel in manifest["files"]:
            src_path = staging / "media" / rel
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if src_path.exists():
                os.replace(src_path, dest)
        filecrypt.secure_tree(root)
    problems = []
    counts = _row_counts()
    for label, expected in manifest["counts"].items():
        if counts.get(label) != expected:
            problems.append(f"{label}：应有 {expected} 行，实有 {counts.get(label)} 行")
    for rel, digest in manifest["files"].items():
        path = Path(settings.MEDIA_ROOT) / rel
        if not path.exists() or _sha256(path) != digest:
            problems.append(f"文件 {rel} 缺失或内容不符")
    chain = verify()
    if not chain.ok:
        problems.append(f"审计链：{chain.problem}")
    if problems:
        raise BackupError("恢复后核对不一致：" + "；".join(problems[:20]))
    return manifest


def default_name() -> str:
    return f"guitu-{timezone.localtime():%Y%m%d-%H%M%S}.guitu-backup"
