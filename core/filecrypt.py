"""Private files at rest (issue 8, hole 10): photos, claimants' ID-copy scans, clue photos, attachments.

Every file saved through Django's default storage is encrypted with Fernet (AES-128-CBC + HMAC) under
``GUITU_FILES_KEY`` — a key kept in the environment or a key file (``GUITU_FILES_KEY_FILE``), never in
the database — and written with mode 0600 in directories of mode 0700. Files are decrypted only when a
scoped view opens them (``FieldFile.open``), so the bytes on disk and in a stolen copy of the media
directory are useless without the key. ``manage.py files_encrypt`` encrypts files stored before this
existed and tightens modes (the database file too).

Several keys may be given, comma-separated: the first encrypts, all decrypt (key rotation: add the new key
first, run ``files_encrypt --rotate``, then drop the old one).
"""

import hashlib
import os
import stat
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

#: Encrypted files start with this line; anything else is a plain file stored before encryption.
MAGIC = b"GUITU-ENC1\n"
FILE_MODE = 0o600
DIR_MODE = 0o700


class FileKeyError(Exception):
    """A stored file does not decrypt with the configured key(s): the key is wrong or the file damaged."""


def _keys() -> tuple[str, ...]:
    raw = getattr(settings, "GUITU_FILES_KEY", "") or ""
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    if not keys:
        raise ImproperlyConfigured("缺少 GUITU_FILES_KEY：私密文件无法加密或解密，见 docs/deployment.md。")
    return keys


@lru_cache(maxsize=4)
def _cipher_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("GUITU_FILES_KEY 不是有效的 Fernet 密钥（44 个字符的 base64）") from exc


def cipher() -> MultiFernet:
    return _cipher_for(_keys())


def key_fingerprint() -> str:
    """First 16 hex digits of SHA-256 of the encrypting key: recorded in backups, shown by files_encrypt."""
    return hashlib.sha256(_keys()[0].encode()).hexdigest()[:16]


def is_encrypted(raw: bytes) -> bool:
    return raw.startswith(MAGIC)


def encrypt_bytes(data: bytes) -> bytes:
    return MAGIC + cipher().encrypt(data)


def decrypt_bytes(raw: bytes) -> bytes:
    """Plain bytes of a stored file; plain (legacy) files pass through unchanged."""
    if not is_encrypted(raw):
        return raw
    try:
        return cipher().decrypt(raw[len(MAGIC) :])
    except InvalidToken as exc:
        raise FileKeyError("文件无法解密：GUITU_FILES_KEY 与加密时的密钥不一致，或文件已损坏。") from exc


class EncryptedFileSystemStorage(FileSystemStorage):
    """The default storage: encrypts on save, decrypts on open; modes from FILE_UPLOAD_*_PERMISSIONS."""

    def _save(self, name, content):
        data = b"".join(content.chunks())  # File.chunks() starts from the beginning
        return super()._save(name, ContentFile(encrypt_bytes(data)))

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("private files are written only through save()")
        with open(self.path(name), "rb") as handle:
            data = decrypt_bytes(handle.read())
        return ContentFile(data, name=name)

    def size(self, name):
        return len(self._open(name).read())


def secure_tree(root: Path) -> None:
    """Directories 0700, files 0600 under ``root`` (and ``root`` itself)."""
    if not root.exists():
        return
    os.chmod(root, DIR_MODE)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), DIR_MODE)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), FILE_MODE)


def sqlite_files() -> list[Path]:
    """The SQLite database file and its WAL/SHM companions, when SQLite is in use."""
    db = settings.DATABASES["default"]
    if (
        db["ENGINE"] != "django.db.backends.sqlite3"
        or str(db["NAME"]).startswith(":memory:")
        or "mode=memory" in str(db["NAME"])
    ):
        return []
    base = Path(db["NAME"])
    return [p for p in (base, Path(f"{base}-wal"), Path(f"{base}-shm")) if p.exists()]


def restrict(path: Path) -> None:
    if path.exists() and stat.S_IMODE(path.stat().st_mode) != FILE_MODE:
        os.chmod(path, FILE_MODE)


def encrypt_tree(root: Path, *, rotate: bool = False, dry_run: bool = False) -> dict[str, int]:
    """Encrypt every plain file under ``root`` in place (atomic replace); ``rotate`` re-encrypts the rest with
    the first key. Returns counts: plain, encrypted, rotated, failed."""
    counts = {"plain": 0, "encrypted": 0, "rotated": 0, "failed": 0}
    if not root.exists():
        return counts
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".guitu-tmp")):
        raw = path.read_bytes()
        if is_encrypted(raw):
            counts["encrypted"] += 1
            if not rotate:
                continue
            try:
                new = MAGIC + cipher().rotate(raw[len(MAGIC) :])
            except InvalidToken:
                counts["failed"] += 1
                continue
            counts["rotated"] += 1
        else:
            counts["plain"] += 1
            new = encrypt_bytes(raw)
        if dry_run:
            continue
        tmp = path.with_name(path.name + ".guitu-tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(new)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    if not dry_run:
        secure_tree(root)
    return counts
