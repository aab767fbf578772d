"""Backup and recovery (issue 8): an encrypted archive of the database, private files and key fingerprints
round-trips into an empty database on SQLite and PostgreSQL; every file, photo and ID number comes back."""

import io
import os
import shutil
import stat

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import CommandError, call_command
from PIL import Image

from core.auditchain import verify
from core.backup import MAGIC, BackupError, _flush, backup, restore
from core.crypto import decrypt_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.GUITU_FILES_KEY = Fernet.generate_key().decode()
    from matching import engine

    settings.GUITU_MATCH_DIR = str(tmp_path / "matching")
    settings.GUITU_MATCH_FACES = False
    engine.reset_cache()
    yield settings.MEDIA_ROOT
    engine.reset_cache()


def _state():
    """Everything a restore must bring back, read through the application (decrypted)."""
    from leaving.models import Departure
    from people.models import Person

    # Every table of every app (sessions, content types and permissions are rebuilt, not restored).
    counts = {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in {"sessions", "contenttypes", "admin", "auth"}
    }
    files = {}
    for model in apps.get_models():
        for field in model._meta.fields:
            if field.get_internal_type() == "FileField":
                for obj in model._default_manager.exclude(**{field.name: ""}):
                    with getattr(obj, field.name).open("rb") as handle:
                        files[(model._meta.label, obj.pk, field.name)] = handle.read()
    ids = {p.pk: decrypt_id(p.id_number_enc) for p in Person.objects.exclude(id_number_enc="")}
    ids |= {f"d{d.pk}": decrypt_id(d.claimant_id_enc) for d in Departure.objects.exclude(claimant_id_enc="")}
    return counts, files, ids


@pytest.mark.heavy(15)  # 5 s on SQLite, 30 s on PostgreSQL: started first (conftest.py)
def test_a_backup_round_trips_into_an_empty_database_with_every_file_photo_and_id(cast, tmp_path, _media):
    from tests.world import build_world

    build_world(cast)
    counts, files, ids = _state()
    assert files and any(b.startswith(b"\x89PNG") or b[:3] == b"\xff\xd8\xff" for b in files.values())
    assert ids and all(len(v) == 18 for v in ids.values())

    archive = tmp_path / "b.guitu-backup"
    call_command("backup", str(archive))
    raw = archive.read_bytes()
    assert raw.startswith(MAGIC) and stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert "甲世界".encode() not in raw and b"manifest" not in raw  # encrypted, names and all

    _flush()  # an empty database (migrated, no rows), and no private files
    shutil.rmtree(_media)
    assert not apps.get_model("people", "Person").objects.exists()

    call_command("restore", str(archive))
    restored_counts, restored_files, restored_ids = _state()
    assert restored_counts == counts
    assert restored_files == files
    assert restored_ids == ids
    assert verify().ok
    for path in _media.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600)
    photo = next(b for b in restored_files.values() if b.startswith(b"\x89PNG") or b[:3] == b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(photo)).size[0] > 0


def test_restore_refuses_a_non_empty_database_unless_told_to_flush(cast, tmp_path):
    archive = tmp_path / "b.guitu-backup"
    backup(archive)
    with pytest.raises(CommandError, match="目标数据库不是空的"):
        call_command("restore", str(archive))
    call_command("restore", str(archive), flush=True)
    assert apps.get_model("core", "User").objects.filter(username="reception").exists()


def test_restore_refuses_other_keys_before_touching_anything(cast, tmp_path, settings):
    archive = tmp_path / "b.guitu-backup"
    backup(archive)
    users = apps.get_model("core", "User").objects.count()
    backup_key = settings.GUITU_FILES_KEY
    settings.GUITU_BACKUP_KEY = backup_key  # the archive still opens ...
    settings.GUITU_FILES_KEY = Fernet.generate_key().decode()  # ... but photos would not
    with pytest.raises(BackupError, match="GUITU_FILES_KEY"):
        restore(archive, flush=True)
    assert apps.get_model("core", "User").objects.count() == users


def test_a_tampered_or_truncated_archive_is_refused(cast, tmp_path):
    archive = tmp_path / "b.guitu-backup"
    backup(archive)
    raw = bytearray(archive.read_bytes())
    raw[len(MAGIC) + 40] ^= 0xFF
    bad = tmp_path / "bad.guitu-backup"
    bad.write_bytes(bytes(raw))
    with pytest.raises(BackupError, match="无法解密"):
        restore(bad, flush=True)
    cut = tmp_path / "cut.guitu-backup"
    cut.write_bytes(archive.read_bytes()[: len(MAGIC) + 10])
    with pytest.raises(BackupError):
        restore(cut, flush=True)


def test_the_backup_file_is_private_even_with_a_loose_umask(cast, tmp_path):
    old = os.umask(0o000)
    try:
        archive = tmp_path / "b.guitu-backup"
        backup(archive)
    finally:
        os.umask(old)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
