"""ID numbers at rest: encrypted, searchable through a keyed hash, masked on screen."""

from core.crypto import decrypt_id, encrypt_id, hash_id, mask_id


def test_an_id_number_round_trips_through_encryption_and_the_ciphertext_hides_it():
    token = encrypt_id("11010519491231002x")
    assert "110105" not in token
    assert decrypt_id(token) == "11010519491231002X"


def test_the_hash_is_stable_and_keyed():
    assert hash_id(" 11010519491231002x ") == hash_id("11010519491231002X")
    assert hash_id("11010519491231002X") != hash_id("110105194912310029")
    assert len(hash_id("11010519491231002X")) == 64


def test_masking_hides_the_birth_date():
    assert mask_id("11010519491231002X") == "110105********002X"


def test_hole6_a_ciphertext_the_key_cannot_open_is_an_error_not_an_unregistered_number():
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        decrypt_id("not-a-token")
    assert decrypt_id("") == ""


def test_the_audit_snapshot_records_a_file_fields_name_and_an_empty_one_as_blank():
    from core.audit import snapshot
    from people.models import PersonPhoto

    photo = PersonPhoto(image="photos/x/a.png")
    assert snapshot(photo, ["image"]) == {"image": "photos/x/a.png"}
    assert snapshot(PersonPhoto(), ["image"]) == {"image": ""}
