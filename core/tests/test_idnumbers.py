"""Rule I4: a wrong ID number is caught at once; one the person insists on is kept as said, never as an ID number."""

import pytest
from django.core.exceptions import ValidationError

from core.crypto import decrypt_id
from core.idnumbers import check_id_number, store_id_number
from matching.models import MissingReport
from people.models import Person
from tracing.models import IdentityCheck

VALID = "11010519491231002X"  # female, 1949-12-31
SWAPPED = "11010519491213002X"  # two adjacent digits swapped: the check digit fails


def test_i4_a_number_failing_its_check_is_refused_with_the_offer_to_keep_it_as_said():
    person = Person(sex="女")
    with pytest.raises(ValidationError) as err:
        store_id_number(person, SWAPPED)
    message = err.value.message_dict["id_number"][0]
    assert "校验位错误" in message and "校验未通过仍按自述记录" in message
    assert person.id_number_enc == person.id_number_unchecked_enc == ""


def test_i4_kept_as_said_it_is_encrypted_masked_and_never_an_id_number():
    person = Person(sex="女")
    store_id_number(person, SWAPPED.lower()[:-1] + "x", keep_unchecked=True)
    assert person.id_number_enc == person.id_number_hash == person.id_number_masked == ""
    assert SWAPPED not in person.id_number_unchecked_enc
    assert decrypt_id(person.id_number_unchecked_enc) == SWAPPED
    assert person.id_number_unchecked_masked == "110105********002X"
    assert person.birth_date is None  # a failed number tells nothing about the birth date


def test_i4_a_valid_number_replaces_the_one_kept_as_said_and_blank_clears_both():
    person = Person(sex="女")
    store_id_number(person, SWAPPED, keep_unchecked=True)
    store_id_number(person, VALID, keep_unchecked=True)  # ticked, but the number is right: it is an ID number
    assert decrypt_id(person.id_number_enc) == VALID and person.id_number_hash
    assert person.id_number_unchecked_enc == person.id_number_unchecked_masked == ""
    store_id_number(person, SWAPPED, keep_unchecked=True)
    assert person.id_number_enc == person.id_number_hash == "" and person.id_number_unchecked_masked
    store_id_number(person, "")
    assert person.id_number_unchecked_enc == person.id_number_unchecked_masked == ""


def test_i4_only_a_number_of_the_right_shape_can_be_kept():
    with pytest.raises(ValidationError) as err:
        check_id_number("1101051949123", keep_unchecked=True)
    assert "不能按自述记录" in err.value.messages[0]
    assert check_id_number("110105491231002", keep_unchecked=True) == (VALID, True)  # the old 15 digits, upgraded
    assert check_id_number("", keep_unchecked=True) == ("", True)


def test_i4_a_report_can_keep_the_familys_number_but_records_without_the_field_never_offer_it():
    report = MissingReport(sex="女")
    store_id_number(report, SWAPPED, keep_unchecked=True)
    assert decrypt_id(report.id_number_unchecked_enc) == SWAPPED
    check = IdentityCheck()
    with pytest.raises(ValidationError) as err:
        store_id_number(check, SWAPPED, prefix="answered_id", keep_unchecked=True)
    assert "自述" not in str(err.value)
