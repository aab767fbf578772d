"""Small checks every service shares, so bad input gets one clear Chinese message and never a 500.

- :func:`clean_instance`: the model's own validation (lengths, choices, required fields) and no NUL characters in
  any text (PostgreSQL refuses them; a form would, a JSON body might not);
- :func:`past_moment`: a timestamp that is given, timezone-aware (a naive one from the API is read as local time),
  not in the future beyond a little clock drift, and not before an earlier step.
"""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

#: Phones and servers disagree by a few minutes; a time this far ahead still counts as "now".
CLOCK_SLACK = datetime.timedelta(minutes=5)


def clean_instance(obj: models.Model, exclude=()) -> None:
    """``full_clean`` without uniqueness (left to the database constraints), plus a NUL check on every text."""
    errors: dict[str, list[str]] = {}
    for field in obj._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(obj, field.attname)
            if isinstance(value, str) and "\x00" in value:
                errors[field.name] = [f"“{field.verbose_name}”含有不可见的空字符，请删除后重试。"]
    try:
        obj.full_clean(exclude=[*exclude, *errors], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


def aware(value: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def past_moment(
    value: datetime.datetime | None, field: str, label: str, *, not_before=None, not_before_label: str = ""
) -> datetime.datetime:
    """The checked timestamp (aware); ValidationError ``{field: 中文}`` when missing, future or out of order."""
    if value is None:
        raise ValidationError({field: f"请填写{label}。"})
    try:
        value = aware(value)
    except (OverflowError, ValueError) as exc:
        raise ValidationError({field: f"{label}不是有效的时间。"}) from exc
    if value > timezone.now() + CLOCK_SLACK:
        raise ValidationError({field: f"{label}不能晚于当前时间。"})
    if not_before is not None and value < not_before:
        raise ValidationError(
            {field: f"{label}不能早于{not_before_label}（{timezone.localtime(not_before):%Y-%m-%d %H:%M}）。"}
        )
    return value


def is_uuid(value) -> bool:
    """Whether a query-string or form value is a UUID (anything else is ignored as a filter, never a 500)."""
    try:
        uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return False
    return True
