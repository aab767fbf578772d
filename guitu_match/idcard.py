"""GB 11643-1999 citizen ID numbers (公民身份号码).

Small, dependency-free and safe to import from Django forms:

    >>> info = parse_id_number("11010519491231002X")
    >>> info.birth_date, info.sex, info.division_code
    (datetime.date(1949, 12, 31), '女', '110105')

Rule I4: the ID number is collected at first contact; a wrong one must be caught at once.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

__all__ = [
    "IdInfo",
    "InvalidIdNumber",
    "parse_id_number",
    "is_valid_id_number",
    "checksum_char",
    "upgrade_15_to_18",
]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

# First two digits that GB/T 2260 uses for provinces (incl. 71 台湾, 81 香港, 82 澳门).
_PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)

_FULLWIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XXX")


class InvalidIdNumber(ValueError):
    """Raised with a Simplified Chinese message a caseworker can act on."""


@dataclass(frozen=True)
class IdInfo:
    number: str  # normalised 18-character form, upper-case X
    birth_date: _dt.date
    sex: str  # '男' or '女'
    division_code: str  # six-digit GB/T 2260 code of the issuing place (may be outdated)

    @property
    def birth_year(self) -> int:
        return self.birth_date.year

    @property
    def province_code(self) -> str:
        return self.division_code[:2] + "0000"

    @property
    def city_code(self) -> str:
        return self.division_code[:4] + "00"


def checksum_char(first17: str) -> str:
    """The 18th character for the first 17 digits (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isdigit():
        raise InvalidIdNumber("身份证号码前17位必须是数字")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def upgrade_15_to_18(number15: str) -> str:
    """Convert a first-generation 15-digit number (births 1900–1999) to 18 characters."""
    if len(number15) != 15 or not number15.isdigit():
        raise InvalidIdNumber("15位身份证号码必须全部是数字")
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + checksum_char(first17)


def _clean(s: str) -> str:
    return re.sub(r"[\s\-]", "", str(s).translate(_FULLWIDTH)).upper()


def parse_id_number(s: str, *, today: _dt.date | None = None) -> IdInfo:
    """Validate a GB 11643 ID number and derive birth date, sex and division.

    Accepts 18-character numbers (last may be X) and 15-digit legacy numbers, with
    surrounding spaces, hyphens or full-width digits.  Raises InvalidIdNumber with a
    Chinese reason otherwise.
    """
    if s is None:
        raise InvalidIdNumber("身份证号码为空")
    number = _clean(s)
    if not number:
        raise InvalidIdNumber("身份证号码为空")
    if len(number) == 15:
        number = upgrade_15_to_18(number)
    elif len(number) != 18:
        raise InvalidIdNumber(f"身份证号码应为18位（或旧式15位），实际为{len(number)}位")
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise InvalidIdNumber("身份证号码格式错误：前17位必须是数字，最后一位是数字或X")
    if number[:2] not in _PROVINCE_PREFIXES:
        raise InvalidIdNumber(f"身份证号码前两位“{number[:2]}”不是有效的省级行政区划代码")
    try:
        birth = _dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"身份证号码中的出生日期“{number[6:14]}”不存在") from None
    today = today or _dt.date.today()
    if birth > today:
        raise InvalidIdNumber(f"身份证号码中的出生日期{birth.isoformat()}晚于今天")
    if birth.year < 1890:
        raise InvalidIdNumber(f"身份证号码中的出生年份{birth.year}不合理")
    expected = checksum_char(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber("身份证号码校验位错误（可能有数字抄错）")
    sex = "男" if int(number[16]) % 2 == 1 else "女"
    return IdInfo(number=number, birth_date=birth, sex=sex, division_code=number[:6])


def is_valid_id_number(s: str) -> bool:
    try:
        parse_id_number(s)
    except InvalidIdNumber:
        return False
    return True


def written_form(s: str | None) -> str | None:
    """The 18 characters of a number as written (cleaned, a 15-digit number upgraded) when it has the shape of an ID
    number — 17 digits and a digit or X — whether or not its check digit or date are right; else None.

    A number said from memory or copied by hand is often one digit off or has two digits swapped (the check digit
    catches both): it is no ID number, but it is still close to the right one (matching's 身份证号码只差一位)."""
    if not s:
        return None
    number = _clean(s)
    if len(number) == 15 and number.isdigit():
        number = upgrade_15_to_18(number)
    return number if re.fullmatch(r"\d{17}[\dX]", number) else None
