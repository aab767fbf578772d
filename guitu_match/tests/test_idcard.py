import datetime as dt

import pytest

from guitu_match.idcard import (
    IdInfo,
    InvalidIdNumber,
    checksum_char,
    is_valid_id_number,
    parse_id_number,
    upgrade_15_to_18,
)


def test_i4_valid_number_gives_birth_sex_and_division():
    info = parse_id_number("11010519491231002X")
    assert info == IdInfo("11010519491231002X", dt.date(1949, 12, 31), "女", "110105")
    assert info.birth_year == 1949
    assert info.province_code == "110000"
    assert info.city_code == "110100"


def test_i4_odd_17th_digit_means_male():
    first17 = "44030419900101001"
    info = parse_id_number(first17 + checksum_char(first17))
    assert info.sex == "男"


def test_i4_lower_case_x_spaces_and_fullwidth_digits_are_accepted():
    assert parse_id_number(" 11010519491231002x ").number == "11010519491231002X"
    assert parse_id_number("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"


def test_i4_wrong_check_digit_is_rejected_in_chinese():
    with pytest.raises(InvalidIdNumber, match="校验位"):
        parse_id_number("110105194912310021")


def test_i4_impossible_birth_date_is_rejected():
    first17 = "11010519490231002"  # 31 February
    with pytest.raises(InvalidIdNumber, match="出生日期"):
        parse_id_number(first17 + checksum_char(first17))


def test_i4_future_birth_date_is_rejected():
    first17 = "11010520300101002"
    with pytest.raises(InvalidIdNumber, match="晚于今天"):
        parse_id_number(first17 + checksum_char(first17), today=dt.date(2025, 1, 1))


def test_i4_unknown_province_prefix_is_rejected():
    first17 = "99010519491231002"
    with pytest.raises(InvalidIdNumber, match="省级"):
        parse_id_number(first17 + checksum_char(first17))


@pytest.mark.parametrize("bad", ["", "   ", "1234", "11010519491231002Y", "1101051949123100X2"])
def test_i4_malformed_numbers_are_rejected(bad):
    with pytest.raises(InvalidIdNumber):
        parse_id_number(bad)
    assert not is_valid_id_number(bad)


def test_i4_none_is_rejected():
    with pytest.raises(InvalidIdNumber):
        parse_id_number(None)  # type: ignore[arg-type]


def test_i4_fifteen_digit_number_is_upgraded():
    info = parse_id_number("110105491231002")
    assert info.number == upgrade_15_to_18("110105491231002")
    assert info.number == "11010519491231002X"
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.sex == "女"


def test_invalid_id_number_is_a_value_error():
    assert issubclass(InvalidIdNumber, ValueError)
