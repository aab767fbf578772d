"""Pagination for big lists: keyset ("下一页/上一页" by cursor), no OFFSET walks, no COUNT of millions.

A province holds millions of episodes and files (issue 9). ``paginate`` therefore pages by the list's own
ordering: the page after this one is "the rows ordered after the last row shown", an index range that costs
the same on page 1 and page 20,000. The cursor (``?cursor=``) is the ordering key of that row, signed so a
tampered cursor is refused with a Chinese message (first page shown) — and it only *positions* within the
scoped queryset the view built, so a forged cursor can never reach rows outside the user's scope.

No exact count: the page shows "第 51–100 条" and whether more follow (one row more is fetched to know).
The total is shown only when it is known for free (everything fits on the page you see).

``?page=N`` links (bookmarks, older exports) keep working for the first ``MAX_OFFSET_PAGE`` pages by a
bounded OFFSET; beyond that the first page is shown with a notice. Querysets whose ordering cannot be used
as a key (a list, an ordering on a join or an expression) fall back to the capped ``CappedPaginator``.
"""

import base64
import json

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

from core.audit import log_read

PAGE_SIZE = 50
COUNT_CAP = 10_000
#: ``?page=N`` beyond this is not served by OFFSET (the first page is shown with a notice).
MAX_OFFSET_PAGE = 20
#: ``paginator.count`` of a keyset page (templates and tests that still ask) stops here.
KEYSET_COUNT_CAP = 1_000
CURSOR_SALT = "core.paging.cursor"
BAD_CURSOR = "翻页链接无效或已过期，已显示第一页。"
PAGE_TOO_FAR = f"页码超过 {MAX_OFFSET_PAGE} 页，已显示第一页；请用“下一页”或筛选条件缩小范围。"


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``cap + 1`` (one bounded query: COUNT over LIMIT cap+1)."""

    def __init__(self, object_list, per_page, cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, list):
            return len(self.object_list)
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class BadCursor(ValueError):
    """The cursor was not made by this list (tampered, truncated, another list's)."""


# --- the ordering key --------------------------------------------------------------------------------------


def ordering_keys(queryset: QuerySet) -> list[tuple[str, bool]] | None:
    """The queryset's ordering as ``[(field name, descending)]`` ending with the primary key, or ``None``
    when it cannot serve as a keyset (an expression, a join, no ordering). The primary key is appended
    (in the direction of the last key) when missing, which makes ties in the ordering deterministic."""
    from django.db.models.query import ModelIterable

    query = queryset.query
    if query.combinator or queryset._iterable_class is not ModelIterable or query.is_sliced:
        return None
    ordering = list(query.order_by) if query.order_by else (
        list(queryset.model._meta.ordering) if query.default_ordering else [])
    if not ordering or query.extra_order_by:
        return None
    meta = queryset.model._meta
    keys: list[tuple[str, bool]] = []
    for item in ordering:
        if not isinstance(item, str):
            return None
        descending = item.startswith("-")
        name = item.lstrip("-+")
        if name == "pk":
            name = meta.pk.name
        if "__" in name or name == "?":
            return None
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:
            return None  # an annotation: not a column we can compare cheaply
        if not field.concrete or field.is_relation:
            return None
        keys.append((field.attname, descending))
    if keys[-1][0] != meta.pk.attname:
        if any(k == meta.pk.attname for k, _ in keys):
            return None
        keys.append((meta.pk.attname, keys[-1][1]))
    return keys


def _field(model, attname):
    return next(f for f in model._meta.concrete_fields if f.attname == attname)


def _order_by(model, keys, reverse: bool):
    """Explicit NULL placement (PostgreSQL's defaults: ascending NULLS LAST, descending NULLS FIRST), so
    SQLite and PostgreSQL order alike and the keyset condition below is the same on both."""
    from django.db.models import F

    exprs = []
    for name, descending in keys:
        desc = descending != reverse
        if not _field(model, name).null:
            exprs.append(f"-{name}" if desc else name)
        else:
            exprs.append(F(name).desc(nulls_first=True) if desc else F(name).asc(nulls_last=True))
    return exprs


def _after_q(model, keys, values, reverse: bool) -> Q:
    """Rows strictly after ``values`` in the ordering ``keys`` (before them when ``reverse``)."""
    result = Q(pk__in=[])
    equal = Q()
    for (name, descending), value in zip(keys, values, strict=True):
        desc = descending != reverse
        nullable = _field(model, name).null
        if value is None:
            # descending, NULLS FIRST: after NULL come the non-NULL values; ascending: nothing comes after
            step = Q(**{f"{name}__isnull": False}) if desc else Q(pk__in=[])
            same = Q(**{f"{name}__isnull": True})
        else:
            step = Q(**{f"{name}__lt" if desc else f"{name}__gt": value})
            if nullable and not desc:
                step |= Q(**{f"{name}__isnull": True})
            same = Q(**{name: value})
        result |= equal & step
        equal &= same
    first, descending = keys[0]
    first_value = values[0]
    desc = descending != reverse
    if first_value is not None and (desc or not _field(model, first).null):
        # the redundant bound makes the first key an index condition, not a filter over the walked rows
        # (descending NULLS FIRST: the NULL rows are all before a non-NULL cursor, so the bound holds)
        result &= Q(**{f"{first}__lte" if desc else f"{first}__gte": first_value})
    return result


def make_cursor(keys, row, *, start: int, direction: str = "n") -> str:
    values = [getattr(row, name) for name, _ in keys]
    payload = json.dumps({"k": values, "s": start, "d": direction}, cls=DjangoJSONEncoder, separators=(",", ":"))
    signed = signing.Signer(salt=CURSOR_SALT).sign(base64.urlsafe_b64encode(payload.encode()).decode())
    return signed


def read_cursor(model, keys, cursor: str) -> tuple[list, int, str]:
    """``(values, start, direction)`` of a cursor made by :func:`make_cursor` for these keys."""
    try:
        raw = signing.Signer(salt=CURSOR_SALT).unsign(cursor)
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
        values, start, direction = data["k"], int(data["s"]), data["d"]
        if len(values) != len(keys) or direction not in ("n", "p") or start < 0:
            raise BadCursor
        parsed = [None if v is None else _field(model, name).to_python(v) for (name, _), v in zip(keys, values, strict=True)]
    except (signing.BadSignature, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise BadCursor from exc
    except Exception as exc:  # a ValidationError from to_python
        raise BadCursor from exc
    return parsed, start, direction


# --- the page ----------------------------------------------------------------------------------------------


class KeysetPaginator:
    """What templates ask of ``page_obj.paginator``; ``count`` (capped, lazy) only if someone asks."""

    keyset = True

    def __init__(self, queryset, per_page):
        self._queryset = queryset
        self.per_page = per_page
        self.cap = KEYSET_COUNT_CAP

    @cached_property
    def count(self) -> int:
        return self._queryset.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class KeysetPage:
    keyset = True

    def __init__(self, rows, *, paginator, start, has_next, has_previous, next_cursor, previous_cursor):
        self.object_list = rows
        self.paginator = paginator
        self.start = start  # rows before this page
        self.has_next_page = has_next
        self.has_previous_page = has_previous
        self.next_cursor = next_cursor
        self.previous_cursor = previous_cursor

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_next(self):
        return self.has_next_page

    def has_previous(self):
        return self.has_previous_page

    def has_other_pages(self):
        return self.has_next_page or self.has_previous_page

    def start_index(self):
        return self.start + 1 if self.object_list else 0

    def end_index(self):
        return self.start + len(self.object_list)

    @property
    def number(self):
        return self.start // self.paginator.per_page + 1

    @property
    def total(self) -> int | None:
        """The exact total when it is known without counting (everything is on this page or before it)."""
        return None if self.has_next_page else self.end_index()


def keyset_page(queryset, keys, *, per_page: int, cursor: str = "", page_number: int = 1) -> KeysetPage:
    """One page of ``queryset`` by keyset. Raises :class:`BadCursor` for a cursor not made here."""
    model = queryset.model
    paginator = KeysetPaginator(queryset, per_page)
    if cursor:
        values, start, direction = read_cursor(model, keys, cursor)
        reverse = direction == "p"
        qs = queryset.filter(_after_q(model, keys, values, reverse)).order_by(*_order_by(model, keys, reverse))
        rows = list(qs[: per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page]
        if reverse:
            rows.reverse()
            start = max(start - len(rows), 0)
            has_previous, has_next = more, True
            if not more:
                start = 0
        else:
            has_previous, has_next = True, more
    else:
        start = (max(page_number, 1) - 1) * per_page
        rows = list(queryset.order_by(*_order_by(model, keys, False))[start: start + per_page + 1])
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        has_previous = start > 0
        if not rows and start:
            # past the end: the first page (a page number from an old link)
            return keyset_page(queryset, keys, per_page=per_page)
    next_cursor = make_cursor(keys, rows[-1], start=start + len(rows), direction="n") if has_next and rows else ""
    previous_cursor = make_cursor(keys, rows[0], start=start, direction="p") if has_previous and rows else ""
    return KeysetPage(rows, paginator=paginator, start=start, has_next=has_next, has_previous=has_previous,
                      next_cursor=next_cursor, previous_cursor=previous_cursor)


def _page_number(request) -> int:
    try:
        return max(int(request.GET.get("page") or 1), 1)
    except (TypeError, ValueError):
        return 1


def paginate(request, queryset, per_page: int = PAGE_SIZE) -> dict:
    """The page context every list template includes (``includes/pagination.html``)."""
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("cursor", None)
    keys = ordering_keys(queryset) if isinstance(queryset, QuerySet) else None
    notice = ""
    if keys is None:
        paginator = CappedPaginator(queryset, per_page)
        try:
            page = paginator.page(request.GET.get("page") or 1)
        except PageNotAnInteger:
            page = paginator.page(1)
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
        count = paginator.count
    else:
        cursor = (request.GET.get("cursor") or "")[:1000]
        number = _page_number(request)
        if not cursor and number > MAX_OFFSET_PAGE:
            notice, number = PAGE_TOO_FAR, 1
        try:
            page = keyset_page(queryset, keys, per_page=per_page, cursor=cursor, page_number=number)
        except BadCursor:
            notice = BAD_CURSOR
            page = keyset_page(queryset, keys, per_page=per_page)
        count = len(page.object_list)
    # Read audit: which rows this page showed (core.audit.log_read; one entry per request, ids capped).
    log_read(request, objects=page.object_list, count=count)
    return {"page_obj": page, "object_list": page.object_list, "querystring_without_page": params.urlencode(),
            "paging_notice": notice}


def api_page(queryset, *, page: int = 1, cursor: str = "", response=None, per_page: int = PAGE_SIZE) -> list:
    """A page for the JSON API: ``?cursor=`` (from the ``X-Next-Cursor`` header of the previous page) or,
    for old clients, ``?page=N`` (bounded OFFSET, as on the pages). A bad cursor is a 400 with a Chinese
    message (an API client should not silently restart)."""
    from django.core.exceptions import ValidationError

    keys = ordering_keys(queryset)
    if keys is None:  # pragma: no cover - every API list has a key ordering
        start = (max(page, 1) - 1) * per_page
        return list(queryset[start:start + per_page])
    if not cursor and page > MAX_OFFSET_PAGE:
        raise ValidationError({"page": f"页码最多 {MAX_OFFSET_PAGE}；更后面的页请用 cursor（上一页应答的 X-Next-Cursor）。"})
    try:
        result = keyset_page(queryset, keys, per_page=per_page, cursor=cursor[:1000], page_number=page)
    except BadCursor as exc:
        raise ValidationError({"cursor": "cursor 无效或已过期，请从第一页重新开始。"}) from exc
    if response is not None:
        response["X-Next-Cursor"] = result.next_cursor
        if result.previous_cursor:
            response["X-Previous-Cursor"] = result.previous_cursor
    return result.object_list
