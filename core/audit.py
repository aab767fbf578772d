"""The audit log: every write and every opening of a person's file leaves an entry (rule E4)."""

import contextvars
import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from core.clientip import valid_ip
from core.models import AuditAction, AuditEntry, Organisation

_request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("guitu_request_ip", default=None)

#: Fields never written into the audit log in clear (encrypted ID numbers, hashes, passwords).
SECRET_FIELDS = {"password", "id_number_enc", "id_number_hash", "claimant_id_enc", "claimant_id_hash", "key_hash"}


def set_request_ip(ip: str | None) -> contextvars.Token:
    return _request_ip.set(ip)


def reset_request_ip(token: contextvars.Token) -> None:
    _request_ip.reset(token)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime):
        # Local time (Asia/Shanghai) to the second: the audit page and the timeline are read by people.
        aware = value if timezone.is_aware(value) else timezone.make_aware(value)
        return timezone.localtime(aware).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``instance`` as JSON-able data (secrets replaced by a marker)."""
    result: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in SECRET_FIELDS:
            result[field.name] = "***" if getattr(instance, field.attname) else ""
            continue
        if field.is_relation:
            # The related object's name, not its integer key: "送往机构：清远市第三人民医院", not "7".
            result[field.name] = str(getattr(instance, field.name)) if getattr(instance, field.attname) else None
        else:
            result[field.name] = _plain(getattr(instance, field.name))
    return result


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes as ``{field: [old, new]}``."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def audit(
    *,
    actor,
    action: str,
    summary: str,
    obj: models.Model | None = None,
    organisation: Organisation | None = None,
    person_uuid: uuid.UUID | None = None,
    changes: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> AuditEntry:
    """Write one audit entry; call it inside the same transaction as the change it records."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(getattr(obj, "uuid", None) or obj.pk)
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=actor_obj,
        actor_name=(str(actor_obj) if actor_obj else "系统"),
        organisation=organisation,
        action=action,
        object_type=object_type or "",
        object_id=object_id or "",
        person_uuid=person_uuid,
        summary=summary[:300],
        changes=changes or {},
        ip=valid_ip(_request_ip.get()),  # hole 4: never a value the inet column refuses
    )


def audit_create(*, actor, obj: models.Model, summary: str, organisation=None, person_uuid=None) -> AuditEntry:
    return audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=obj,
        summary=summary,
        organisation=organisation,
        person_uuid=person_uuid,
        changes={k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "", [], {})},
    )


def audit_update(*, actor, obj: models.Model, before: dict, summary: str, organisation=None, person_uuid=None):
    """Record an update given the snapshot taken before it; returns None when nothing changed."""
    changes = diff(before, snapshot(obj, before.keys()))
    if not changes:
        return None
    return audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=obj,
        summary=summary,
        organisation=organisation,
        person_uuid=person_uuid,
        changes=changes,
    )
