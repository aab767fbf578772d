"""The audit log: every write, every read of personal data and every denied access leaves an entry (rule E4).

Writes call :func:`audit` inside their transaction. Reads are recorded once per request by
:class:`core.middleware.AuditContextMiddleware`: any successful GET by a signed-in user of an address not
in :data:`READ_AUDIT_EXEMPT` writes one ``read`` entry, which views enrich with :func:`log_read` (what was
shown, which objects, which filters); lists paginated by ``core.paging.paginate`` and JSON answers of the
API record their objects' UUIDs by themselves. A request that already wrote a ``view`` / ``export`` /
``reveal`` entry writes no second row. Every 401/403, and every 404 of a known address, writes a
``denied`` entry.
"""

import contextvars
import datetime
import decimal
import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from core import auditchain
from core.clientip import valid_ip
from core.models import AuditAction, AuditEntry, Organisation

logger = logging.getLogger(__name__)

_request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("guitu_request_ip", default=None)
#: Per-request read record (see log_read); None outside a request.
_request_read: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "guitu_request_read", default=None
)

#: At most this many object ids are stored in one read entry; the count says how many there were.
READ_IDS_CAP = 50
READ_ACTIONS = {AuditAction.VIEW, AuditAction.EXPORT, AuditAction.REVEAL, AuditAction.READ}

#: Addresses whose successful GET shows no personal data of people helped, so no read entry is written.
#: Reviewed list: every other page and API path — including those of apps added later — is audited by
#: default. ``tests/test_every_read_audited.py`` proves both halves and that no entry here is stale.
READ_AUDIT_EXEMPT: dict[str, str] = {
    "/accounts/login/": "登录页",
    "/accounts/logout/": "退出",
    "/accounts/password/": "修改本人密码表单",
    "/": "工作台只有统计数字",
    "/manage/organisations/": "机构名录，不含受助人员信息",
    "/manage/organisations/new/": "空白表单",
    "/manage/organisations/<uuid:uuid>/": "机构资料，不含受助人员信息",
    "/manage/users/new/": "空白表单",
    "/manage/divisions/": "行政区划",
    "/manage/divisions/new/": "空白表单",
    "/manage/divisions/children/": "行政区划下拉选项",
    "/manage/profile/": "本人资料与 API 令牌",
    "/people/new/": "空白表单",
    "/people/divisions/": "行政区划检索",
    "/deadlines/rules/": "时限规则说明",
    "/deadlines/calendar/": "节假日日历",
    "/matching/import/template.xlsx": "空白导入模板",
    "/api/openapi.json": "接口说明",
    "/api/docs": "接口文档页",
    "/api/v1/core/me": "当前用户本人信息",
    "/api/v1/core/organisations": "机构名录，不含受助人员信息",
}
#: Public family-search board (rule T3): shows only what an announcement publishes, to anyone.
READ_AUDIT_EXEMPT_PREFIXES: dict[str, str] = {
    "/xunqin/": "公开寻亲公告栏，只显示公告发布的内容",
    "/api/v1/public/": "公开寻亲公告栏的接口",
    "/static/": "静态文件",
}

#: Fields never written into the audit log in clear (encrypted ID numbers, hashes, passwords).
SECRET_FIELDS = {
    "password",
    "id_number_enc",
    "id_number_hash",
    "id_number_unchecked_enc",
    "claimant_id_enc",
    "claimant_id_hash",
    "key_hash",
}


def set_request_ip(ip: str | None) -> contextvars.Token:
    return _request_ip.set(ip)


def reset_request_ip(token: contextvars.Token) -> None:
    _request_ip.reset(token)


def begin_request_read() -> contextvars.Token:
    return _request_read.set({"logged": False, "what": [], "ids": [], "count": 0, "filters": {}})


def end_request_read(token: contextvars.Token) -> dict | None:
    state = _request_read.get()
    _request_read.reset(token)
    return state


def read_state() -> dict | None:
    """This request's read record (None outside a request)."""
    return _request_read.get()


def _object_key(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("uuid") or obj.get("pk") or obj.get("id") or "")[:64]
    return str(getattr(obj, "uuid", None) or getattr(obj, "pk", None) or "")[:64]


def log_read(
    request=None,
    what: str = "",
    *,
    objects: Iterable[Any] | None = None,
    ids: Iterable[Any] | None = None,
    count: int | None = None,
    filters: dict[str, Any] | None = None,
    person_uuid: uuid.UUID | None = None,
    organisation: Organisation | None = None,
) -> None:
    """Describe what this request shows of personal data; the middleware writes it as one ``read`` entry.

    ``what`` is a short Chinese description (「人员档案列表」), ``objects``/``ids`` what was shown (capped at
    :data:`READ_IDS_CAP`), ``filters`` the search that produced it, ``person_uuid`` the file it belongs
    to (so 「谁查看过这份档案」 finds it) and ``organisation`` the organisation that owns the data. Calls
    merge; outside a request (management commands, tasks) this does nothing.
    """
    state = _request_read.get()
    if state is None:
        return
    if what and what not in state["what"]:
        state["what"].append(what)
    keys = [_object_key(o) for o in objects] if objects is not None else [str(i) for i in (ids or ())]
    state["count"] += len(keys) if count is None else count
    room = READ_IDS_CAP - len(state["ids"])
    if room > 0:
        state["ids"].extend(k for k in keys[:room] if k and k not in state["ids"])
    if filters:
        state["filters"].update({k: _plain(v) for k, v in filters.items() if v not in (None, "", [], {})})
    if person_uuid is not None:
        state["person_uuid"] = person_uuid
    if organisation is not None:
        state["organisation"] = organisation


def read_is_exempt(route: str) -> bool:
    return route in READ_AUDIT_EXEMPT or route.startswith(tuple(READ_AUDIT_EXEMPT_PREFIXES))


def _no_nul(value: Any) -> Any:
    """Strings without NUL characters, recursively: PostgreSQL's text and jsonb refuse them, and a request
    must not escape the audit by putting ``%00`` into a query parameter."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nul(v) for v in value]
    return value


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
            result[field.name] = (
                str(getattr(instance, field.name)) if getattr(instance, field.attname) else None
            )
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
    durable: bool = True,
) -> AuditEntry:
    """Write one audit entry; call it inside the same transaction as the change it records.

    ``durable=False`` only for entries written in a transaction of their own that records no change (the
    per-request read and denied entries): see :func:`core.auditchain.lock`."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(getattr(obj, "uuid", None) or obj.pk)
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    state = _request_read.get()
    if state is not None and action in READ_ACTIONS:
        state["logged"] = True  # this request's read is on record; the middleware adds no second row
    entry = AuditEntry(
        actor=actor_obj,
        actor_name=(str(actor_obj) if actor_obj else "系统"),
        organisation=organisation,
        action=action,
        object_type=_no_nul(object_type or "")[:64],
        object_id=_no_nul(object_id or "")[:64],
        person_uuid=person_uuid,
        summary=_no_nul(summary)[:300],
        changes=_no_nul(changes or {}),
        ip=valid_ip(_request_ip.get()),  # hole 4: never a value the inet column refuses
    )
    # Tamper evidence: chained to the previous row under the chain lock (core/auditchain.py).
    own_transaction = not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        auditchain.lock(durable=durable or not own_transaction)
        auditchain.chain(entry)
        entry.save(force_insert=True)
    return entry


def audit_create(
    *, actor, obj: models.Model, summary: str, organisation=None, person_uuid=None
) -> AuditEntry:
    return audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=obj,
        summary=summary,
        organisation=organisation,
        person_uuid=person_uuid,
        changes={k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "", [], {})},
    )


def audit_update(
    *, actor, obj: models.Model, before: dict, summary: str, organisation=None, person_uuid=None
):
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


#: JSON answers larger than this are not parsed for object ids (the entry still records the request).
_JSON_SCAN_MAX_BYTES = 1_000_000


def _json_ids(response) -> tuple[list[str], int]:
    """UUIDs of the objects a JSON answer shows: a list of objects, ``{"items": [...]}`` or one object."""
    if not response.get("Content-Type", "").startswith("application/json") or getattr(
        response, "streaming", False
    ):
        return [], 0
    if len(response.content) > _JSON_SCAN_MAX_BYTES:
        return [], 0
    try:
        data = json.loads(response.content)
    except ValueError:
        return [], 0
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if isinstance(data, dict):
        return ([str(data["uuid"])] if data.get("uuid") else []), 1
    if isinstance(data, list):
        ids = [str(item["uuid"]) for item in data if isinstance(item, dict) and item.get("uuid")]
        return ids[:READ_IDS_CAP], len(data)
    return [], 0


def _route(request) -> str | None:
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return None
    return "/" + match.route


def record_request(request, response, state: dict | None) -> None:
    """After a view answered: write the request's one ``read`` or ``denied`` entry (never raises)."""
    try:
        _record_request(request, response, state or {})
    except Exception:  # noqa: BLE001 — auditing a read must never turn an answered request into a 500
        logger.exception("could not write the read/denied audit entry for %s", request.path[:200])


def _record_request(request, response, state: dict) -> None:
    status = response.status_code
    user = getattr(request, "user", None)
    signed_in = bool(getattr(user, "is_authenticated", False))
    route = _route(request)
    path = request.path[:200]
    if status in (401, 403) or (status == 404 and route is not None):
        if route is not None and read_is_exempt(route) and not signed_in:
            return  # the public board's own 404s (withdrawn announcements) are not access attempts
        audit(
            actor=user,
            action=AuditAction.DENIED,
            object_type=(route or path)[:64],
            object_id=str((request.resolver_match.kwargs.get("uuid") if route else "") or "")[:64],
            organisation=getattr(user, "organisation", None) if signed_in else None,
            summary=f"拒绝访问（{status}）{request.method} {path}",
            changes={"status": status, "method": request.method, "path": path},
            durable=False,
        )
        return
    if not signed_in or status != 200 or request.method not in ("GET", "HEAD") or route is None:
        return
    if state.get("logged") or read_is_exempt(route):
        return
    ids, count = list(state.get("ids") or []), state.get("count") or 0
    if not ids:
        ids, count = _json_ids(response)
    object_id = str(request.resolver_match.kwargs.get("uuid") or (ids[0] if len(ids) == 1 else ""))
    what = "、".join(state.get("what") or []) or route
    changes: dict[str, Any] = {"path": path, "count": count}
    if ids:
        changes["ids"] = ids[:READ_IDS_CAP]
    filters = state.get("filters") or {k: v[:100] for k, v in request.GET.items() if k != "page" and v}
    if filters:
        changes["filters"] = filters
    if request.GET.get("page"):
        changes["page"] = request.GET["page"][:10]
    audit(
        actor=user,
        action=AuditAction.READ,
        object_type=route[:64],
        object_id=object_id[:64],
        organisation=state.get("organisation") or user.organisation,
        person_uuid=state.get("person_uuid"),
        summary=f"查阅{what}（{count} 条）" if count else f"查阅{what}",
        changes=changes,
        durable=False,
    )
