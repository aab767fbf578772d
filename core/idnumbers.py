"""One way to take an ID-card number into any record that keeps one (person files, missing-person reports).

The record has ``<prefix>_enc``, ``<prefix>_hash`` and ``<prefix>_masked`` fields, and usually ``sex`` and
``birth_date``: the number is validated (GB 11643), checked against what was entered, and stored
encrypted, as a keyed hash for search, and masked for display.
"""

from django.core.exceptions import ValidationError

from core.crypto import encrypt_id, hash_id, mask_id
from guitu_match.idcard import InvalidIdNumber, parse_id_number


def store_id_number(record, id_number: str, *, prefix: str = "id_number", field: str = "id_number") -> None:
    """Validate ``id_number`` and store it on ``record``; an empty value clears it. Errors name ``field``."""
    id_number = (id_number or "").strip()
    if not id_number:
        setattr(record, f"{prefix}_enc", "")
        setattr(record, f"{prefix}_hash", "")
        setattr(record, f"{prefix}_masked", "")
        return
    try:
        info = parse_id_number(id_number)
    except InvalidIdNumber as exc:
        raise ValidationError({field: str(exc)}) from exc
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
    setattr(record, f"{prefix}_enc", encrypt_id(info.number))
    setattr(record, f"{prefix}_hash", hash_id(info.number))
    setattr(record, f"{prefix}_masked", mask_id(info.number))
