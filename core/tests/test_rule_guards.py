"""The ID-number intake (GB 11643, core.idnumbers) and the write check of the scoping ladder (core.scoping)
at their edges: a dropped field or a loosened comparison fails here."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from core.crypto import decrypt_id, hash_id
from core.idnumbers import store_id_number
from core.models import Role, User, UserRole
from core.scoping import can_write

pytestmark = pytest.mark.django_db
ID = "44188119800101123X"  # 1980-01-01, 男


def _record(**values):
    return SimpleNamespace(id_number_enc="", id_number_hash="", id_number_masked="", **values)


def test_e4_an_id_number_fills_in_sex_and_birth_date_when_they_were_not_given():
    record = _record(sex="", birth_date=None)
    store_id_number(record, ID)
    assert record.sex == "男" and record.birth_date == datetime.date(1980, 1, 1)
    assert decrypt_id(record.id_number_enc) == ID and record.id_number_hash == hash_id(ID)
    assert record.id_number_masked == "441881********123X"


def test_e4_an_id_number_that_contradicts_the_sex_or_birth_date_is_refused():
    with pytest.raises(ValidationError) as exc:
        store_id_number(_record(sex="女", birth_date=datetime.date(1981, 1, 1)), ID)
    assert set(exc.value.message_dict) == {"sex", "birth_date"}
    with pytest.raises(ValidationError) as exc:
        store_id_number(_record(sex="男", birth_date=None), "44188119800101123")
    assert set(exc.value.message_dict) == {"id_number"}


def test_e4_an_empty_id_number_clears_all_three_stored_forms():
    record = _record(sex="男", birth_date=None)
    store_id_number(record, ID)
    store_id_number(record, "  ")
    assert (record.id_number_enc, record.id_number_hash, record.id_number_masked) == ("", "", "")


def test_scoping_an_account_holding_only_the_auditor_role_writes_nothing(cast):
    auditor = User.objects.create_user(username="auditor_only", password=cast.password, organisation=cast.station)
    UserRole.objects.create(user=auditor, role=Role.AUDITOR)
    assert not can_write(auditor, cast.station)
    UserRole.objects.create(user=auditor, role=Role.RECEPTION)  # a second, working role: writes in its own org
    auditor = User.objects.get(pk=auditor.pk)
    assert can_write(auditor, cast.station, Role.RECEPTION)
    assert not can_write(auditor, cast.city_station, Role.RECEPTION)
