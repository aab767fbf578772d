"""Hole 10 (issue 8): photos, ID-copy scans and clue photos are encrypted at rest with a key outside the
database, stored 0600 in 0700 directories, and readable only through the scoped views."""

import io
import os
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from core.filecrypt import MAGIC, FileKeyError, decrypt_bytes, secure_tree

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.GUITU_FILES_KEY = Fernet.generate_key().decode()
    return settings.MEDIA_ROOT


def _png(name="p.png"):
    buf = io.BytesIO()
    Image.new("RGB", (40, 50), (120, 90, 60)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def _on_disk(field) -> Path:
    return Path(field.storage.path(field.name))


def _assert_encrypted_and_private(path: Path, root: Path):
    raw = path.read_bytes()
    assert raw.startswith(MAGIC) and b"PNG" not in raw[:64] and b"JFIF" not in raw[:64]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for parent in path.parents:
        if parent == root.parent:
            break
        assert stat.S_IMODE(parent.stat().st_mode) == 0o700, parent


@pytest.fixture
def person(cast):
    from people.services import person_create

    return person_create(by=cast.reception, station=cast.station, data={"name": "张三", "sex": "女"})


def test_a_persons_photo_is_encrypted_on_disk_and_decrypted_only_by_the_scoped_view(
    cast, client_for, person, _media
):
    from people.services import photo_add

    photo = photo_add(by=cast.reception, person=person, image=_png(), taken_on=timezone.localdate())
    _assert_encrypted_and_private(_on_disk(photo.image), _media)
    response = client_for(cast.reception).get(f"/people/photos/{photo.uuid}/")
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and Image.open(io.BytesIO(body)).size == (40, 50)
    assert client_for(cast.outsider).get(f"/people/photos/{photo.uuid}/").status_code == 404


def test_a_claimants_id_copy_is_encrypted_on_disk(cast, client_for, _media):
    from leaving import services as leaving
    from tests.world import _admitted

    episode = _admitted(cast, "丙世界", at=timezone.now() - timezone.timedelta(days=2))
    departure = leaving.departure_create(
        by=cast.reception,
        episode=episode,
        exit_type="family",
        left_at=timezone.now() - timezone.timedelta(days=1),
        data={"claimant_name": "丙兄", "claimant_relationship": "哥哥", "claimant_phone": "13900000000"},
        claimant_id_number="11010519491231002X",
        claimant_id_copy=_png("id.png"),
    )
    _assert_encrypted_and_private(_on_disk(departure.claimant_id_copy), _media)
    response = client_for(cast.head).get(f"/leaving/{departure.uuid}/id-copy/")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format in ("PNG", "JPEG", "WEBP")


def test_a_clue_photo_is_encrypted_on_disk(cast, client_for, _media):
    from announcements import services
    from announcements.tests.factories import announcement, image_upload, unidentified_person

    live = announcement(cast, unidentified_person(cast))
    clue = services.clue_create(
        announcement=live,
        data={"name": "张家属", "phone": "13812345678", "relationship": "女儿", "content": "像我母亲"},
        photo=image_upload(),
    )
    _assert_encrypted_and_private(_on_disk(clue.photo), _media)
    response = client_for(cast.tracer).get(f"/announcements/clues/{clue.uuid}/photo/")
    assert response.status_code == 200 and b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_a_wrong_files_key_is_a_clear_error_not_garbage(cast, person, settings):
    from people.services import photo_add

    photo = photo_add(by=cast.reception, person=person, image=_png(), taken_on=timezone.localdate())
    settings.GUITU_FILES_KEY = Fernet.generate_key().decode()
    with pytest.raises(FileKeyError, match="GUITU_FILES_KEY"):
        decrypt_bytes(_on_disk(photo.image).read_bytes())


def test_files_encrypt_migrates_plain_files_and_keeps_them_readable(cast, client_for, person, _media):
    from people.services import photo_add

    photo = photo_add(by=cast.reception, person=person, image=_png(), taken_on=timezone.localdate())
    legacy = _on_disk(photo.image)
    legacy.write_bytes(_png().read())  # as stored before encryption existed: plain, world-readable
    os.chmod(legacy, 0o644)
    # Before migration the legacy plain file is still served (no outage between upgrade and command).
    assert client_for(cast.reception).get(f"/people/photos/{photo.uuid}/").status_code == 200
    with pytest.raises(SystemExit):
        call_command("files_encrypt", "--check")
    call_command("files_encrypt")
    _assert_encrypted_and_private(legacy, _media)
    response = client_for(cast.reception).get(f"/people/photos/{photo.uuid}/")
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (40, 50)
    call_command("files_encrypt", "--check")  # now clean: exits normally


def test_files_encrypt_rotates_to_a_new_key(cast, person, settings):
    from people.services import photo_add

    photo = photo_add(by=cast.reception, person=person, image=_png(), taken_on=timezone.localdate())
    old_key, new_key = settings.GUITU_FILES_KEY, Fernet.generate_key().decode()
    settings.GUITU_FILES_KEY = f"{new_key},{old_key}"
    call_command("files_encrypt", "--rotate")
    settings.GUITU_FILES_KEY = new_key
    assert Image.open(io.BytesIO(decrypt_bytes(_on_disk(photo.image).read_bytes()))).size == (40, 50)


def test_the_sqlite_database_file_is_made_private(tmp_path, settings):
    from core.filecrypt import restrict

    db = tmp_path / "db.sqlite3"
    subprocess.run(["sqlite3", str(db), "create table t(x)"], check=False)
    if not db.exists():
        db.write_bytes(b"")
    os.chmod(db, 0o644)
    restrict(db)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_secure_tree_tightens_an_existing_media_directory(tmp_path):
    root = tmp_path / "m"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f").write_bytes(b"x")
    os.chmod(root / "a" / "b" / "f", 0o644)
    secure_tree(root)
    assert stat.S_IMODE((root / "a" / "b" / "f").stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "a").stat().st_mode) == 0o700
