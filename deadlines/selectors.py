"""Reads of the deadlines app, always through the user's scope: the inbox, the supervisors' overview,
on-time rates, the navigation badge, the calendar and the rule settings."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.cache import cache
from django.db.models import Case, Count, DateField, DateTimeField, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.models import Organisation, OrgKind, Role
from core.scoping import scoped, visible_org_ids
from deadlines.calendar import load_calendar, missing_years
from deadlines.calendar_math import Unit, add_months
from deadlines.models import HolidayCalendar, Notification, RuleSetting
from deadlines.registry import (
    BUCKET_OVERDUE,
    BUCKET_SOON,
    BUCKET_TODAY,
    BUCKETS,
    DeadlineRule,
    Item,
    discover,
)

#: Roles that see every task of their organisation, whatever the rule's role.
ALL_TASK_ROLES = (Role.HEAD, Role.ADMIN)
#: Roles that see the overview of their subtree (civil-affairs supervisors, statisticians, the panel).
OVERVIEW_ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.HEAD, Role.STATISTICIAN, Role.PANEL)


def rule_overrides() -> dict[str, int]:
    """Administrators' stricter thresholds, by rule ID (one small query)."""
    return dict(RuleSetting.objects.values_list("rule_id", "amount"))


def rules_for(user) -> list[DeadlineRule]:
    """The rules whose tasks this user does: their role's, or all of them for heads and administrators."""
    kind = user.organisation.kind if user.organisation_id else None
    rules = [r for r in discover().values() if not r.org_kinds or kind in r.org_kinds]
    if user.is_superuser or user.has_role(*ALL_TASK_ROLES):
        return rules
    return [r for r in rules if user.has_role(r.role)]


def own_org_ids(user) -> list[int]:
    return [user.organisation_id] if user.organisation_id else []


def inbox(*, user, as_of: datetime.datetime | None = None, limit: int = 20, rule_id: str = "") -> dict:
    """The user's tasks: their organisation's items for their roles, overdue / due today / due soon;
    ``rule_id``: only that rule's (the home page links each rule's count here)."""
    as_of = as_of or timezone.now()
    cal = load_calendar()
    overrides = rule_overrides()
    org_ids = own_org_ids(user)
    buckets: dict[str, list[Item]] = {BUCKET_OVERDUE: [], BUCKET_TODAY: [], BUCKET_SOON: []}
    counts = {BUCKET_OVERDUE: 0, BUCKET_TODAY: 0, BUCKET_SOON: 0}
    if org_ids:
        for rule in rules_for(user):
            if rule_id and rule.id != rule_id:
                continue
            rule_counts, items = rule.inbox(as_of, cal, org_ids=org_ids, overrides=overrides, limit=limit)
            for key in counts:
                counts[key] += rule_counts[key]
            for item in items:
                buckets[item.bucket].append(item)
    for items in buckets.values():
        items.sort(key=lambda i: (i.due.at, i.rule.id))
    fallback = sorted({y for items in buckets.values() for i in items for y in i.due.missing_years})
    return {"buckets": buckets, "counts": counts, "as_of": as_of, "fallback_years": fallback,
            "limit": limit, "rule_id": rule_id}


def task_counts(*, user, as_of: datetime.datetime | None = None) -> dict:
    """The inbox's counts without its items, in total and per rule (one grouped query per rule): for the home
    page, whose numbers link to the inbox and must agree with it. ``{"counts": {bucket: n}, "rules":
    [{"rule", "overdue", "today", "soon"}]}`` — rules with nothing to do left out.

    For the present (no ``as_of``) the per-rule counts are cached exactly as the 待办 badge is (:func:`nav_count`):
    for at most a minute and only while nothing was written to the user's organisation's data or by the user —
    a station head's home page counts every rule (~45 grouped queries, 0.7 s of CPU) and would otherwise redo
    it on every visit. Both are set from the same count, so the page and the badge agree."""
    live = as_of is None
    as_of = as_of or timezone.now()
    org_ids = own_org_ids(user)
    per_rule: dict[str, dict[str, int]] | None = None
    key = _nav_key(user) if live and org_ids else ""
    if key:
        per_rule = cache.get(f"{key}:rules")
    if per_rule is None:
        per_rule = {}
        if org_ids:
            cal, overrides = load_calendar(), rule_overrides()
            for rule in rules_for(user):
                rule_counts = rule.counts(as_of, cal, org_ids=org_ids, overrides=overrides)
                per_rule[rule.id] = {bucket: rule_counts[bucket] for bucket in BUCKETS}
        if key:
            cache.set(f"{key}:rules", per_rule, 60)
            # the same count: the badge need not redo it
            cache.set(key, sum(c[BUCKET_OVERDUE] for c in per_rule.values()), 60)
    rules = discover()
    counts = {bucket: sum(c[bucket] for c in per_rule.values()) for bucket in BUCKETS}
    rows = [{"rule": rules[rule_id], **c} for rule_id, c in per_rule.items()
            if rule_id in rules and any(c.values())]
    rows.sort(key=lambda r: (-r[BUCKET_OVERDUE], -r[BUCKET_TODAY], r["rule"].id))
    return {"counts": counts, "rules": rows, "as_of": as_of}


def overdue_subjects(*, rule_id: str, org_ids, as_of: datetime.datetime | None = None):
    """The subjects of a one-off rule that are overdue now, exactly as the inbox counts them — for a list
    page's "overdue" filter (the police inbox's T2), so the list, the inbox and the home page agree."""
    from deadlines.registry import get_rule

    rule = get_rule(rule_id)
    as_of = as_of or timezone.now()
    filters = rule.bucket_filters(as_of, load_calendar(), rule_overrides())
    return rule.open_at(as_of, org_ids).filter(filters[BUCKET_OVERDUE])


def notifications(*, user, unread_only: bool = True, limit: int = 50):
    """In-app notifications for the user's organisation and roles (escalations to a department included)."""
    qs = scoped(Notification.objects.select_related("item", "organisation"), user).filter(
        organisation_id__in=own_org_ids(user))
    if not (user.is_superuser or user.has_role(*ALL_TASK_ROLES)):
        qs = qs.filter(Q(role="") | Q(role__in=list(user.role_codes)))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs[:limit]


def is_overview_user(user) -> bool:
    if user.is_superuser:
        return True
    org = user.organisation
    return org is not None and (org.kind == OrgKind.CIVIL_AFFAIRS or org.kind == OrgKind.REGIONAL_CENTRE) and \
        user.has_role(*OVERVIEW_ROLES)


#: The overview reads the periodic scan when it is at most this old (else it computes live).
SNAPSHOT_MAX_AGE = datetime.timedelta(hours=1)


def latest_snapshot(as_of: datetime.datetime | None = None):
    from deadlines.models import DeadlineSnapshot

    now = as_of or timezone.now()
    snap = DeadlineSnapshot.objects.filter(taken_at__lte=now).order_by("-taken_at").first()
    if snap is None or now - snap.taken_at > SNAPSHOT_MAX_AGE:
        return None
    return snap


def overdue_table(*, org_ids, as_of: datetime.datetime) -> dict[tuple[int, str], int]:
    """Overdue items per (organisation id, rule ID) at ``as_of``, live: one grouped query per rule."""
    cal = load_calendar()
    overrides = rule_overrides()
    table: dict[tuple[int, str], int] = {}
    for rule in discover().values():
        for row in rule.counts(as_of, cal, org_ids=org_ids, overrides=overrides, group_by=rule.organisation):
            if row[BUCKET_OVERDUE]:
                table[(row[rule.organisation], rule.id)] = row[BUCKET_OVERDUE]
    return table


def overview(*, user, as_of: datetime.datetime | None = None, organisation: Organisation | None = None) -> dict:
    """Overdue items by station and rule across the user's subtree (``organisation``: that one only, when
    in the subtree — the home page links each station's count here).

    For the present it reads the per-organisation counts of the last periodic scan, so a province of
    200,000 open episodes answers at once; for a moment in the past it computes live."""
    org_ids = visible_org_ids(user)
    if organisation is not None:
        org_ids = org_ids & {organisation.pk}
    rules = list(discover().values())
    snap = latest_snapshot() if as_of is None else None
    if snap is not None and "overdue_by_org" in (snap.rates or {}):
        # the scan's per-organisation counts: no query over the (possibly 500,000) open items
        counts = {(int(org_id), rule_id): n for rule_id, per_org in snap.rates["overdue_by_org"].items()
                  for org_id, n in per_org.items() if int(org_id) in org_ids}
        as_of = snap.taken_at
    else:
        snap = None
        as_of = as_of or timezone.now()
        counts = overdue_table(org_ids=org_ids, as_of=as_of)
    table: dict[int, dict[str, int]] = defaultdict(dict)
    totals = {r.id: 0 for r in rules}
    for (org_id, rule_id), n in counts.items():
        if rule_id in totals:
            table[org_id][rule_id] = n
            totals[rule_id] += n
    orgs = {o.pk: o for o in Organisation.objects.filter(id__in=table.keys()).only("id", "name", "uuid")}
    names = {pk: o.name for pk, o in orgs.items()}
    rows = [{"organisation": names.get(org_id, "—"), "org_id": org_id,
             "org_uuid": orgs[org_id].uuid if org_id in orgs else None,
             "cells": [cells.get(r.id, 0) for r in rules], "total": sum(cells.values())}
            for org_id, cells in table.items()]
    rows.sort(key=lambda r: (-r["total"], r["organisation"]))
    return {"rules": rules, "rows": rows, "totals": [totals[r.id] for r in rules],
            "grand_total": sum(totals.values()), "as_of": as_of, "from_snapshot": snap is not None,
            "organisation": organisation}


def _due_expression(rule: DeadlineRule, due, cal, first: datetime.date, last: datetime.date, as_date: bool):
    """The due moment of each subject as an SQL expression (set-based; no per-row Python).

    Hours and days: start + interval. Months and working days: one CASE branch per start date in the window."""
    if not rule.start_is_date and due.unit in (Unit.HOURS, Unit.DAYS):
        delta = datetime.timedelta(hours=due.amount) if due.unit == Unit.HOURS else datetime.timedelta(days=due.amount)
        return F(rule.start) + Value(delta)
    tz = timezone.get_current_timezone()
    whens = []
    day = first
    while day <= last:
        midnight = datetime.datetime.combine(day, datetime.time(0), tzinfo=tz)
        nxt = midnight + datetime.timedelta(days=1)
        cond = {rule.start: day} if rule.start_is_date else {f"{rule.start}__gte": midnight, f"{rule.start}__lt": nxt}
        if due.unit == Unit.MONTHS and not rule.start_is_date:
            then = F(rule.start) + Value(add_months(midnight, due.amount) - midnight)
        else:
            at = rule.due_for(midnight, due, cal).at
            then = Value((at - datetime.timedelta(microseconds=1)).date() if as_date else at)
        whens.append(When(then=then, **cond))
        day += datetime.timedelta(days=1)
    return Case(*whens, default=Value(None), output_field=DateField() if as_date else DateTimeField())


def on_time_rates(*, user, as_of: datetime.datetime | None = None, months: int = 3) -> list[dict]:
    """On-time rates per rule, station and month of the start, for one-off rules, as known at ``as_of``
    (for the present: from the last periodic scan when it is recent)."""
    org_ids = visible_org_ids(user)
    snap = latest_snapshot() if as_of is None else None
    raw = None
    if snap is not None and snap.rates and snap.rates.get("months", 0) >= months:
        local = timezone.localtime(snap.taken_at)
        first = add_months(local.replace(day=1, hour=0, minute=0, second=0, microsecond=0), -(months - 1))
        raw = [r for r in snap.rates["rows"] if r["org_id"] in org_ids and r["month"] >= f"{first:%Y-%m}"]
    if raw is None:
        raw = rates_raw(org_ids=org_ids, as_of=as_of or timezone.now(), months=months)
    rules = discover()
    names = dict(Organisation.objects.filter(id__in={r["org_id"] for r in raw}).values_list("id", "name"))
    result = []
    for r in sorted(raw, key=lambda r: (r["rule_id"], r["month"], names.get(r["org_id"], ""))):
        if r["rule_id"] not in rules or not r["decided"]:
            continue
        year, month = r["month"].split("-")
        result.append({"rule": rules[r["rule_id"]], "organisation": names.get(r["org_id"], "—"),
                       "month": f"{int(year)}年{int(month)}月", "on_time": r["on_time"], "decided": r["decided"],
                       "rate": round(100 * r["on_time"] / r["decided"], 1)})
    return result


def rates_raw(*, org_ids, as_of: datetime.datetime, months: int = 3) -> list[dict]:
    """On-time and decided counts per rule, organisation and month of the start, for one-off rules, computed
    live with one aggregate query per rule (due times computed in SQL).

    Decided items only: done (on time or late) or past due; items that stopped applying before their due
    time without being done (the person left, was identified) are not counted."""
    local = timezone.localtime(as_of)
    cal = load_calendar()
    overrides = rule_overrides()
    first_month = add_months(local.replace(day=1, hour=0, minute=0, second=0, microsecond=0), -(months - 1))
    result = []
    for rule in discover().values():
        if rule.recurrence or rule.fulfilment is None:
            continue
        due = rule.effective_due(overrides)
        f = rule.fulfilment
        qs = rule.subjects(as_of).filter(**{f"{rule.start}__isnull": False})
        if org_ids is not None:
            qs = qs.filter(**{f"{rule.organisation}__in": org_ids})
        if rule.start_is_date:
            qs = qs.filter(**{f"{rule.start}__gte": first_month.date(), f"{rule.start}__lte": local.date()})
        else:
            qs = qs.filter(**{f"{rule.start}__gte": first_month, f"{rule.start}__lte": as_of})
        qs = qs.annotate(dl_due=_due_expression(rule, due, cal, first_month.date(), local.date(), f.at_is_date))
        bound = local.date() if f.at_is_date else as_of
        on_time = Exists(f.matching().filter(**{f"{f.at}__lte": OuterRef("dl_due")}).filter(**{f"{f.at}__lte": bound}))
        done = Exists(f.done_by(as_of))
        past_due = Q(dl_due__lt=local.date()) if f.at_is_date else Q(dl_due__lt=as_of)
        # Null-safe "still applied at its due time": SQL's NOT over a NULL comparison is not true.
        applies = Q()
        for index, stop in enumerate(rule.stops):
            name = f"dl_stop_{index}"
            qs = qs.annotate(**{name: stop.annotation()})
            cond = Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gt": as_of})
            if not f.at_is_date:
                cond |= Q(**{f"{name}__gt": F("dl_due")})
            applies &= cond
        qs = qs.annotate(dl_month=TruncMonth(rule.start))
        counted = Q(done) | (past_due & applies)
        rows = (qs.values(rule.organisation, "dl_month")
                .annotate(on_time=Count("pk", filter=Q(on_time)), decided=Count("pk", filter=counted))
                .order_by("dl_month"))
        for row in rows:
            if row["decided"]:
                month = timezone.localtime(row["dl_month"]) if isinstance(row["dl_month"], datetime.datetime) \
                    else row["dl_month"]
                result.append({"rule_id": rule.id, "org_id": row[rule.organisation], "month": f"{month:%Y-%m}",
                               "on_time": row["on_time"], "decided": row["decided"]})
    return result


def nav_count(user) -> int:
    """The 待办 badge: the user's overdue tasks computed now from the records with the same rules and counts as
    the inbox (not the last periodic scan), so the badge, the inbox and the lists agree when the page loads.

    Cached per user for at most a minute (deadlines falling due as time passes) and only while nothing the badge
    depends on was written: the key holds the newest change to the user's organisation's data and the newest
    change by the user (every write is audited, so this holds across worker processes), so after an action of
    this user or a colleague, or another organisation's action on this organisation's data (a police answer to
    the station's check), the next page re-counts. A change elsewhere in the province leaves it cached — a
    province with a write a second would otherwise re-count every badge on every page. Any scan or rule change
    also bumps the generation."""
    if not user.is_authenticated or not user.organisation_id:
        return 0
    key = _nav_key(user)
    value = cache.get(key)
    if value is None:
        org_ids = own_org_ids(user)
        value = 0
        if org_ids:
            now, cal, overrides = timezone.now(), load_calendar(), rule_overrides()
            value = sum(rule.counts(now, cal, org_ids=org_ids, overrides=overrides)[BUCKET_OVERDUE]
                        for rule in rules_for(user))
        cache.set(key, value, 60)
    return value


def _nav_key(user) -> str:
    org_change, own_change = _last_write_ids(user)
    return f"deadlines:nav:{cache.get('deadlines:nav:gen') or 0}:{user.pk}:{org_change}:{own_change}"


#: How far back the badge's key looks for the newest change. Any recent write is inside it (its time is taken
#: when it is written), and a cached count lives a minute: a change older than this cannot be newer than the
#: count, so it need not be found. The window lets PostgreSQL plan over the last months' audit partitions only
#: (planning over ten years' 120 partitions cost ~14 ms a probe).
NAV_CHANGE_WINDOW = datetime.timedelta(days=35)


def _last_write_ids(user) -> tuple[int, int]:
    """The ids of the newest audit entries (within :data:`NAV_CHANGE_WINDOW`) recording a change to the user's
    organisation's data and a change by the user: two probes of partial indexes that hold the writes only
    (``core_audit_*_write_desc``)."""
    from core.models import WRITE_ACTIONS, AuditEntry

    since = timezone.now() - NAV_CHANGE_WINDOW
    writes = (AuditEntry.objects.filter(action__in=WRITE_ACTIONS, at__gte=since).order_by("-id")
              .values_list("id", flat=True))
    return (writes.filter(organisation_id=user.organisation_id).first() or 0,
            writes.filter(actor_id=user.pk).first() or 0)


def calendar_days(*, year: int | None = None):
    qs = HolidayCalendar.objects.all()
    if year:
        qs = qs.filter(date__year=year)
    return qs


def calendar_years() -> list[dict]:
    rows = (HolidayCalendar.objects.values("date__year").annotate(holidays=Count("id", filter=Q(kind="holiday")),
                                                                   workdays=Count("id", filter=Q(kind="workday")))
            .order_by("-date__year"))
    return [{"year": r["date__year"], "holidays": r["holidays"], "workdays": r["workdays"]} for r in rows]


def admin_warnings() -> dict:
    """For the administrator's dashboard: calendar years missing (deadlines there fall back to Mon–Fri)."""
    return {"missing_years": missing_years()}


def rule_table() -> list[dict]:
    overrides = rule_overrides()
    settings = {s.rule_id: s for s in RuleSetting.objects.all()}
    rows = []
    for rule in discover().values():
        rows.append({"rule": rule, "default": rule.default_amount(), "unit": rule.due.unit,
                     "effective": rule.effective_due(overrides).amount, "setting": settings.get(rule.id),
                     "describe": rule.describe(overrides), "role": Role(rule.role).label})
    return rows
