"""One way to take an ID-card number into any record that keeps one (person files, missing-person reports).

The record has ``<prefix>_enc``, ``<prefix>_hash`` and ``<prefix>_masked`` fields, and usually ``sex`` and
``birth_date``: the number is validated (GB 11643), checked against what was entered, and stored
encrypted, as a keyed hash for search, and masked for display.

A number said from memory or copied by hand is often one digit off, which the check digit catches. Rule I4 wants it
caught at once, so it is refused; but when the person insists (or a family wrote it down so) and the caseworker
ticks "keep as said", a record with ``<prefix>_unchecked_enc`` / ``_masked`` fields keeps it there: encrypted,
masked, never searched or shown as an ID number, used only by matching to find the number one digit away
(``guitu_match.idcard.written_form``, the level 身份证号码只差一位).
"""

from django.core.exceptions import ValidationError

from core.crypto import encrypt_id, hash_id, mask_id
from guitu_match.idcard import InvalidIdNumber, parse_id_number, written_form

KEEP_UNCHECKED_LABEL = "校验未通过仍按自述记录"
KEEP_UNCHECKED_HELP = ("号码校验未通过、但本人（或家属）坚持所述号码时勾选：号码加密保存，不作为身份证号使用，"
                       "只用于比对查找只差一位的号码")


def _set(record, prefix: str, number: str, *, keyed: bool) -> None:
    setattr(record, f"{prefix}_enc", encrypt_id(number) if number else "")
    setattr(record, f"{prefix}_masked", mask_id(number) if number else "")
    if keyed:
        setattr(record, f"{prefix}_hash", hash_id(number) if number else "")


def check_id_number(value: str, *, keep_unchecked: bool = False, may_keep: bool = True) -> tuple[str, bool]:
    """``(number, True)`` for a number that passes GB 11643 (normalised); ``(written, False)`` for one that fails
    but has an ID number's shape when ``keep_unchecked`` (the number as said); ``("", True)`` for nothing. Anything
    else raises ``ValidationError`` with a Chinese message (offering to keep the number as said when ``may_keep``)."""
    value = (value or "").strip()
    if not value:
        return "", True
    try:
        return parse_id_number(value).number, True
    except InvalidIdNumber as exc:
        written = written_form(value) if may_keep else None
        if keep_unchecked and written:
            return written, False
        message = str(exc)
        if written:
            message += f"。请再核对；若本人坚持所述号码，可勾选“{KEEP_UNCHECKED_LABEL}”"
        elif keep_unchecked and may_keep:
            message += "。该号码不是身份证号码的格式（17位数字加1位数字或X），不能按自述记录"
        raise ValidationError(message) from exc


def store_id_number(record, id_number: str, *, prefix: str = "id_number", field: str = "id_number",
                    keep_unchecked: bool = False) -> None:
    """Validate ``id_number`` and store it on ``record``; an empty value clears it. Errors name ``field``.

    With ``keep_unchecked`` a number that has an ID number's shape but fails its check is kept as said (see the
    module's note) instead of being refused; only records with ``<prefix>_unchecked_*`` fields can keep one.
    Storing either kind of number clears the other."""
    unchecked = f"{prefix}_unchecked"
    may_keep = hasattr(record, f"{unchecked}_enc")
    try:
        number, checked = check_id_number(id_number, keep_unchecked=keep_unchecked, may_keep=may_keep)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    if number and checked:
        info = parse_id_number(number)
        errors = {}
        sex = getattr(record, "sex", "")
        birth_date = getattr(record, "birth_date", None)
        if sex and sex != info.sex:
            errors["sex"] = f"身份证号显示性别为“{info.sex}”，与填写的性别“{sex}”不符。"
        if birth_date and birth_date != info.birth_date:
            errors["birth_date"] = f"身份证号显示出生日期为 {info.birth_date:%Y-%m-%d}，与填写的出生日期不符。"
        if errors:
            raise ValidationError(errors)
        if hasattr(record, "sex"):
            record.sex = sex or info.sex
        if hasattr(record, "birth_date"):
            record.birth_date = birth_date or info.birth_date
    _set(record, prefix, number if checked else "", keyed=True)
    if may_keep:
        _set(record, unchecked, "" if checked else number, keyed=False)
