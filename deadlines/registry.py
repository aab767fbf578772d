"""Deadline rules as data, and the engine that evaluates them with set-based queries.

A capability declares its deadlines once, in ``<app>/deadlines.py``, as a module-level list ``RULES`` of
:class:`DeadlineRule`. The registry discovers those modules in the installed apps (see docs/deadlines.md).

Nothing here stores whether a deadline was met: it is computed from the owning app's records and their
timestamps, as of any moment (``evaluate(rule, as_of=...)``). Lists and counts never loop over subjects in
Python: a due-by moment is turned into a bound on the *start* time (calendar_math.latest_start_due_by), so
"overdue", "due today" and "due soon" are range conditions the database answers with its indexes.
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from deadlines.calendar_math import (
    Calendar,
    Due,
    DueResult,
    Period,
    Unit,
    add_months,
    due_at,
    latest_start_due_by,
    period_bounds,
    period_label,
    previous_period,
)

MET = "met"
LATE = "late"
OVERDUE = "overdue"
OPEN = "open"
NOT_APPLICABLE = "n/a"
OUTCOME_LABELS = {MET: "按时完成", LATE: "超时完成", OVERDUE: "已逾期", OPEN: "未到期", NOT_APPLICABLE: "已不适用"}

BUCKET_OVERDUE = "overdue"
BUCKET_TODAY = "today"
BUCKET_SOON = "soon"
BUCKETS = (BUCKET_OVERDUE, BUCKET_TODAY, BUCKET_SOON)
BUCKET_LABELS = {BUCKET_OVERDUE: "已逾期", BUCKET_TODAY: "今日到期", BUCKET_SOON: "即将到期"}

#: Column headers in plain Chinese for the rules' tables (issue 15: no bare rule codes as headers).
SHORT_HEADERS = {"T1": "公安核查", "T2": "公安答复", "T3": "寻亲公告", "T4": "寻亲谈话", "T5": "DNA申请",
                 "T6": "DNA结果", "T10": "寻亲月报", "N5": "超期报告", "S1": "落户安置", "I6": "重点甄别",
                 "O3": "隐患整改"}

#: "Due soon" looks this far beyond the end of today.
SOON = datetime.timedelta(days=3)
ESCALATE_TO_SUPERVISOR = "@supervisor"


@dataclass(frozen=True)
class Fulfilment:
    """The records that fulfil a deadline: ``records()`` filtered to the subject, timed by ``at``.

    ``link`` is the record's path to the subject's ``outer`` field (``episode`` → subject ``pk``;
    ``person`` → subject ``person``). ``at`` may be a DateTimeField or a DateField (then the whole day counts).
    """

    records: Callable[[], QuerySet]
    link: str
    at: str
    what: str  # what must be done, in plain Chinese ("发布寻亲公告")
    outer: str = "pk"
    at_is_date: bool = False
    #: For recurring rules whose record is made after the period it concerns (rule T10: the monthly report
    #: is issued after the month ends): the record's field naming its period. The record then counts for
    #: the period that field falls in, once ``at`` (when it was made) is reached.
    period_at: str | None = None

    def matching(self) -> QuerySet:
        return self.records().filter(**{self.link: OuterRef(self.outer), f"{self.at}__isnull": False})

    def done_by(self, moment: datetime.datetime) -> QuerySet:
        bound = timezone.localtime(moment).date() if self.at_is_date else moment
        return self.matching().filter(**{f"{self.at}__lte": bound})


@dataclass(frozen=True)
class Stop:
    """A timestamp on or near the subject after which the deadline no longer applies (left, identified)."""

    label: str
    path: str | None = None  # a field path on the subject
    expression: Callable[[], object] | None = None  # or an expression (e.g. a Subquery) giving a datetime
    #: For "now" only: an equivalent, cheaper condition meaning "not stopped yet" (e.g. the current status).
    live: Callable[[], Q] | None = None

    def annotation(self):
        return F(self.path) if self.path else self.expression()


#: How close to the present an ``as_of`` must be for the cheaper ``Stop.live`` conditions to be used.
LIVE_WINDOW = datetime.timedelta(minutes=5)


def _is_live(as_of: datetime.datetime) -> bool:
    return abs(timezone.now() - as_of) <= LIVE_WINDOW


def apply_stops(qs: QuerySet, stops, as_of: datetime.datetime, *, strict: bool = True) -> QuerySet:
    """Keep subjects not stopped at ``as_of`` (``strict``: a stop exactly at ``as_of`` counts as stopped)."""
    live = _is_live(as_of)
    for index, stop in enumerate(stops):
        if live and stop.live is not None:
            qs = qs.filter(stop.live())
            continue
        name = f"dl_stop_{index}"
        qs = qs.annotate(**{name: stop.annotation()})
        qs = qs.filter(Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gt" if strict else f"{name}__gte": as_of}))
    return qs


@dataclass(frozen=True)
class Recurrence:
    """A recurring obligation: at least ``count`` records per ``period`` while the subject is active;
    ``first_count`` on the start's day and every day starting within ``first_hours`` after the start (rule T4:
    3 talks a day for 72 hours, the entry day included)."""

    period: Period
    count: int = 1
    first_hours: int = 0
    first_count: int = 0
    entry_grace_hours: int = 8  # a start this close to the period's end needs nothing in that period (0: none)


@dataclass(frozen=True)
class Item:
    """One task in an inbox: the subject, its rule, when it is due, and where to act."""

    rule: DeadlineRule
    subject: object
    bucket: str
    start: datetime.datetime
    due: DueResult
    organisation_id: int
    label: str
    url: str
    person_uuid: object = None
    period: str = ""
    progress: str = ""

    @property
    def key(self) -> str:
        return f"{self.subject.uuid}" + (f"@{self.period}" if self.period else "")

    @property
    def bucket_label(self) -> str:
        return BUCKET_LABELS[self.bucket]


@dataclass(frozen=True)
class Outcome:
    subject: object
    start: datetime.datetime
    due: DueResult
    done_at: datetime.datetime | None
    stopped_at: datetime.datetime | None
    status: str

    @property
    def status_label(self) -> str:
        return OUTCOME_LABELS[self.status]


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def _as_datetime(value) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return _local(value)
    return datetime.datetime.combine(value, datetime.time(0), tzinfo=timezone.get_current_timezone())


def _get_path(obj, path: str):
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class DeadlineRule:
    """One statutory deadline, declared by the app that owns its records.

    - ``subjects(as_of)``: the queryset the rule applies to (static facts only; start/stop come from fields);
    - ``start``: path to the start timestamp on the subject (DateTimeField, or DateField with ``start_is_date``);
    - ``organisation`` + ``role``: whose task it is; ``escalate``: who is told when late
      (``"@supervisor"`` = the organisation's supervising department, or a path to an Organisation);
    - ``due``: how long (hours, calendar days, months, working days); ``setting``: a GUITU_RULES key whose
      value replaces the default amount; administrators may only make it stricter (RuleSetting);
    - ``fulfilment``: what record fulfils it; ``recurrence``: for obligations repeating per period;
    - ``stops``: timestamps that end the obligation (the person left, was identified).
    """

    id: str
    title: str
    source: str
    subjects: Callable[[datetime.datetime], QuerySet]
    start: str
    organisation: str
    role: str
    due: Due
    fulfilment: Fulfilment | None
    label: Callable[[object], str]
    link: Callable[[object], str]
    stops: tuple[Stop, ...] = ()
    recurrence: Recurrence | None = None
    escalate: str = ESCALATE_TO_SUPERVISOR
    person: str | None = "person"
    setting: str | None = None
    start_is_date: bool = False
    select_related: tuple[str, ...] = ()
    #: Kinds of organisation that can hold this task (empty: any); inboxes of other kinds skip the rule.
    org_kinds: tuple[str, ...] = ()
    note: str = ""
    app_label: str = field(default="", compare=False)

    @property
    def header(self) -> str:
        """A short plain-Chinese column header for tables (the rule ID stays as a small hint)."""
        return SHORT_HEADERS.get(self.id, self.title.split("：")[0][:8])

    # --- configuration ------------------------------------------------------------------------------

    def default_amount(self) -> int:
        if self.setting:
            from django.conf import settings

            value = settings.GUITU_RULES.get(self.setting)
            if value is not None:
                return int(value)
        return self.due.amount

    def effective_due(self, overrides: dict[str, int] | None = None) -> Due:
        """The due rule in force: the code's (or GUITU_RULES') amount, or an administrator's stricter one."""
        amount = self.default_amount()
        if overrides and self.id in overrides:
            amount = min(amount, overrides[self.id])
        return Due(amount, self.due.unit)

    def describe(self, overrides: dict[str, int] | None = None) -> str:
        due = self.effective_due(overrides)
        if self.recurrence:
            r = self.recurrence
            from deadlines.calendar_math import PERIOD_WORDS

            words = f"{PERIOD_WORDS[r.period]}至少{r.count}次"
            if r.first_hours:
                words = f"自{self.start_words()}起{r.first_hours}小时内每天至少{r.first_count}次（含入站当天），此后{words}（按自然日计）"
            if due.amount:
                words += f"，期末后{due.words()}内补录有效"
            return words
        if self.start_is_date and due.unit in (Unit.MONTHS, Unit.DAYS):
            return f"自{self.start_words()}起{due.amount}{'个月' if due.unit == Unit.MONTHS else '天'}内（到期日24时止）"
        return f"自{self.start_words()}起{due.words()}内"

    def start_words(self) -> str:
        from django.core.exceptions import FieldDoesNotExist

        try:
            model = self.subjects(timezone.now()).model
            parts = self.start.split("__")
            for part in parts[:-1]:
                model = model._meta.get_field(part).related_model
            return str(model._meta.get_field(parts[-1]).verbose_name)
        except (FieldDoesNotExist, AttributeError):
            return self.start

    # --- the subjects at a moment -------------------------------------------------------------------

    def base(self, as_of: datetime.datetime, org_ids=None) -> QuerySet:
        """Subjects the rule applies to at ``as_of``: started by then, not stopped by then."""
        qs = self.subjects(as_of).filter(**{f"{self.start}__isnull": False})
        start_bound = _local(as_of).date() if self.start_is_date else as_of
        qs = qs.filter(**{f"{self.start}__lte": start_bound})
        if org_ids is not None:
            qs = qs.filter(**{f"{self.organisation}__in": org_ids})
        return apply_stops(qs, self.stops, as_of)

    def open_at(self, as_of: datetime.datetime, org_ids=None) -> QuerySet:
        """Subjects whose one-off deadline is not fulfilled at ``as_of`` (whether due yet or not)."""
        qs = self.base(as_of, org_ids)
        if self.fulfilment is not None:
            qs = qs.filter(~Exists(self.fulfilment.done_by(as_of)))
        return qs

    # --- one-off deadlines: buckets by start-time bounds ----------------------------------------------

    def bucket_filters(self, as_of: datetime.datetime, cal: Calendar, overrides=None) -> dict[str, Q]:
        """Range conditions on the start for overdue (due < as_of), due by the end of today, due soon."""
        due = self.effective_due(overrides)
        local = _local(as_of)
        end_today = period_bounds(Period.DAY, local)[1]
        overdue_b = self._bound(local - datetime.timedelta(microseconds=1), due, cal)
        today_b = self._bound(end_today, due, cal)
        soon_b = self._bound(end_today + SOON, due, cal)
        s = self.start
        return {
            BUCKET_OVERDUE: Q(**{f"{s}__lte": overdue_b}),
            BUCKET_TODAY: Q(**{f"{s}__gt": overdue_b, f"{s}__lte": today_b}),
            BUCKET_SOON: Q(**{f"{s}__gt": today_b, f"{s}__lte": soon_b}),
        }

    def _bound(self, moment: datetime.datetime, due: Due, cal: Calendar):
        if not self.start_is_date:
            return latest_start_due_by(moment, due, cal)
        # Date starts: the deadline runs to the end of the due date (T6: result within 1 month of the sample).
        day = moment.date()
        for _ in range(400):
            if self.due_for(_as_datetime(day), due, cal).at <= moment:
                return day
            day -= datetime.timedelta(days=1)
        return day  # pragma: no cover

    def due_for(self, start: datetime.datetime, due: Due, cal: Calendar) -> DueResult:
        result = due_at(_local(start), due, cal)
        if self.start_is_date and due.unit in (Unit.MONTHS, Unit.DAYS):
            # a date start: the due date itself still counts (to 24:00)
            at = result.at + datetime.timedelta(days=1)
            return DueResult(at, result.fallback, result.missing_years)
        return result

    def counts(self, as_of: datetime.datetime, cal: Calendar, org_ids=None, overrides=None,
               group_by: str | None = None):
        """Overdue / due today / due soon counts in one query (per organisation when ``group_by`` is set)."""
        if self.recurrence:
            return self._recurring_counts(as_of, cal, org_ids, overrides, group_by)
        filters = self.bucket_filters(as_of, cal, overrides)
        qs = self.open_at(as_of, org_ids)
        aggregates = {name: Count("pk", filter=cond) for name, cond in filters.items()}
        if group_by:
            return list(qs.values(group_by).annotate(**aggregates).order_by())
        return qs.aggregate(**aggregates)

    def items(self, as_of: datetime.datetime, cal: Calendar, org_ids=None, overrides=None,
              buckets=(BUCKET_OVERDUE, BUCKET_TODAY, BUCKET_SOON), limit: int = 200) -> list[Item]:
        """The tasks themselves (at most ``limit`` per bucket), oldest start first, with their exact due time."""
        if self.recurrence:
            return self._recurring_items(as_of, cal, org_ids, overrides, buckets, limit)
        due = self.effective_due(overrides)
        filters = self.bucket_filters(as_of, cal, overrides)
        result: list[Item] = []
        for bucket in buckets:
            qs = self.open_at(as_of, org_ids).filter(filters[bucket])
            if self.select_related:
                qs = qs.select_related(*self.select_related)
            for obj in qs.order_by(self.start)[:limit]:
                start = _as_datetime(_get_path(obj, self.start))
                result.append(self._item(obj, bucket, start, self.due_for(start, due, cal)))
        return result

    def inbox(self, as_of: datetime.datetime, cal: Calendar, org_ids=None, overrides=None,
              limit: int = 30) -> tuple[dict[str, int], list[Item]]:
        """Counts per bucket and the first ``limit`` items of each, in two queries: the open subjects' keys and
        start times (bounded by "due soon"), then the displayed subjects themselves."""
        counts = {BUCKET_OVERDUE: 0, BUCKET_TODAY: 0, BUCKET_SOON: 0}
        if self.recurrence:
            grace = self._grace(overrides)
            items: list[Item] = []
            for bucket, (start, end), complete in self._recurring_buckets(as_of, overrides):
                qs = self._period_qs(as_of, start, end, org_ids, complete=complete)
                rows = list(qs.order_by("dl_done_count", self.start).values_list("pk", "dl_done_count", "dl_required"))
                counts[bucket] += len(rows)
                shown = {pk: (done, required) for pk, done, required in rows[:limit]}
                objs = self.subjects(as_of).filter(pk__in=shown)
                if self.select_related:
                    objs = objs.select_related(*self.select_related)
                for obj in sorted(objs, key=lambda o: _get_path(o, self.start)):
                    done, required = shown[obj.pk]
                    items.append(self._item(obj, bucket, _as_datetime(_get_path(obj, self.start)), DueResult(end + grace),
                                            period=period_label(self.recurrence.period, start),
                                            progress=f"{done}/{required}"))
            return counts, items
        due = self.effective_due(overrides)
        local = _local(as_of)
        end_today = period_bounds(Period.DAY, local)[1]
        overdue_b = self._bound(local - datetime.timedelta(microseconds=1), due, cal)
        today_b = self._bound(end_today, due, cal)
        soon_b = self._bound(end_today + SOON, due, cal)
        from django.db.models import Case, When

        s = self.start
        # The bucket is computed by the database: only (pk, small int) pairs travel, no datetimes to parse.
        rows = (self.open_at(as_of, org_ids).filter(**{f"{s}__lte": soon_b})
                .annotate(dl_bucket=Case(When(**{f"{s}__lte": overdue_b}, then=Value(0)),
                                         When(**{f"{s}__lte": today_b}, then=Value(1)),
                                         default=Value(2), output_field=IntegerField()))
                # ordering by the computed bucket first keeps the planner on the organisation's index (ordering
                # by the start alone made SQLite walk the start index over every station's rows)
                .order_by("dl_bucket", s).values_list("pk", "dl_bucket"))
        names = (BUCKET_OVERDUE, BUCKET_TODAY, BUCKET_SOON)
        shown: dict[int, str] = {}
        for pk, index in rows:
            bucket = names[index]
            counts[bucket] += 1
            if counts[bucket] <= limit:
                shown[pk] = bucket
        items = []
        if shown:
            objs = self.subjects(as_of).filter(pk__in=shown)
            if self.select_related:
                objs = objs.select_related(*self.select_related)
            for obj in sorted(objs, key=lambda o: _get_path(o, self.start)):
                start = _as_datetime(_get_path(obj, self.start))
                items.append(self._item(obj, shown[obj.pk], start, self.due_for(start, due, cal)))
        return counts, items

    def overdue_keys(self, as_of: datetime.datetime, cal: Calendar, overrides=None) -> dict[str, tuple[int, int]]:
        """Every overdue item's key → (subject pk, organisation id), across all organisations: only keys
        travel, so the periodic scan builds full items just for the new ones."""
        org_field = "pk" if self.organisation in ("id", "pk") else self.organisation
        result: dict[str, tuple[int, int]] = {}
        if self.recurrence:
            for bucket, (start, end), complete in self._recurring_buckets(as_of, overrides):
                if bucket != BUCKET_OVERDUE:
                    continue
                label = period_label(self.recurrence.period, start)
                qs = self._period_qs(as_of, start, end, None, complete=complete).order_by()
                for pk, uuid, org_id in qs.values_list("pk", "uuid", org_field):
                    result[f"{uuid}@{label}"] = (pk, org_id)
            return result
        overdue = self.bucket_filters(as_of, cal, overrides)[BUCKET_OVERDUE]
        for pk, uuid, org_id in self.open_at(as_of).filter(overdue).order_by().values_list("pk", "uuid", org_field):
            result[str(uuid)] = (pk, org_id)
        return result

    def items_for(self, as_of: datetime.datetime, cal: Calendar, pks, overrides=None) -> list[Item]:
        """Full overdue items for the given subjects (the periodic scan's new ones)."""
        due = self.effective_due(overrides)
        items: list[Item] = []
        pks = list(pks)
        for start_index in range(0, len(pks), 500):
            qs = self.subjects(as_of).filter(pk__in=pks[start_index:start_index + 500])
            if self.select_related:
                qs = qs.select_related(*self.select_related)
            for obj in qs:
                start = _as_datetime(_get_path(obj, self.start))
                if self.recurrence:
                    _, (ps, pe) = self._periods(as_of)
                    items.append(self._item(obj, BUCKET_OVERDUE, start, DueResult(pe + self._grace(overrides)),
                                            period=period_label(self.recurrence.period, ps)))
                else:
                    items.append(self._item(obj, BUCKET_OVERDUE, start, self.due_for(start, due, cal)))
        return items

    def _item(self, obj, bucket, start, due_result, period="", progress="") -> Item:
        person = _get_path(obj, self.person) if self.person else None
        try:
            url = self.link(obj)
        except NoReverseMatch:
            url = reverse("people:detail", args=[person.uuid]) if person is not None else ""
        if self.organisation in ("id", "pk"):
            org_id = obj.pk  # the subject is the organisation itself (T10: a station's monthly report)
        elif "__" not in self.organisation:
            org_id = _get_path(obj, f"{self.organisation}_id")
        else:
            org_id = _get_path(obj, self.organisation).pk
        return Item(rule=self, subject=obj, bucket=bucket, start=start, due=due_result, organisation_id=org_id,
                    label=self.label(obj), url=url, person_uuid=getattr(person, "uuid", None),
                    period=period, progress=progress)

    # --- history: computed, never ticked ---------------------------------------------------------------

    def evaluate(self, as_of: datetime.datetime, cal: Calendar, org_ids=None, overrides=None,
                 started_from=None, subject_pks=None) -> list[Outcome]:
        """Every subject started by ``as_of`` (optionally since ``started_from``), with what was known then:
        met on time, met late, overdue, still open, or no longer applicable. Records timestamped after
        ``as_of`` are ignored, records entered later with an earlier timestamp count — the answer depends only
        on the records' own times."""
        if self.recurrence:
            raise ValueError("evaluate() covers one-off deadlines; use period_outcomes() for recurring ones")
        due = self.effective_due(overrides)
        qs = self.subjects(as_of).filter(**{f"{self.start}__isnull": False})
        start_bound = _local(as_of).date() if self.start_is_date else as_of
        qs = qs.filter(**{f"{self.start}__lte": start_bound})
        if started_from is not None:
            qs = qs.filter(**{f"{self.start}__gte": _local(started_from).date() if self.start_is_date
                              else started_from})
        if org_ids is not None:
            qs = qs.filter(**{f"{self.organisation}__in": org_ids})
        if subject_pks is not None:
            qs = qs.filter(pk__in=subject_pks)
        for index, stop in enumerate(self.stops):
            qs = qs.annotate(**{f"dl_stop_{index}": stop.annotation()})
        if self.fulfilment is not None:
            first = self.fulfilment.done_by(as_of).order_by(self.fulfilment.at).values(self.fulfilment.at)[:1]
            qs = qs.annotate(dl_done=Subquery(first))
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        outcomes = []
        for obj in qs.order_by(self.start):
            start = _as_datetime(_get_path(obj, self.start))
            due_result = self.due_for(start, due, cal)
            done = getattr(obj, "dl_done", None)
            done_at = _as_datetime(done)
            stops = [_as_datetime(getattr(obj, f"dl_stop_{i}")) for i in range(len(self.stops))]
            stops = [s for s in stops if s is not None and s <= as_of]
            stopped = min(stops) if stops else None
            if done_at is not None:
                status = MET if done_at <= due_result.at else LATE
            elif stopped is not None and stopped <= due_result.at:
                status = NOT_APPLICABLE
            elif due_result.at < as_of:
                status = OVERDUE
            elif stopped is not None:
                status = NOT_APPLICABLE
            else:
                status = OPEN
            outcomes.append(Outcome(obj, start, due_result, done_at, stopped, status))
        return outcomes

    # --- recurring obligations -------------------------------------------------------------------------

    def _required(self, period_start, period_end) -> object:
        """Records required in a period, as an SQL expression over the subject's start."""
        from django.db.models import Case, When

        r = self.recurrence
        whens = []
        if r.entry_grace_hours:
            whens.append(When(**{f"{self.start}__gte": period_end - datetime.timedelta(hours=r.entry_grace_hours)},
                              then=Value(0)))
        if r.first_hours:
            # rule T4: the entry day and every day starting within the first hours ask for ``first_count``
            whens.append(When(**{f"{self.start}__gt": period_start - datetime.timedelta(hours=r.first_hours)},
                              then=Value(r.first_count)))
        return Case(*whens, default=Value(r.count), output_field=IntegerField())

    def _period_qs(self, as_of, period_start, period_end, org_ids, *, complete: bool) -> QuerySet:
        """Subjects owing records in [period_start, period_end), annotated with done/required counts.

        ``complete``: the period is over — the subject must have been active until its end."""
        moment = min(as_of, period_end)
        qs = self.subjects(as_of).filter(**{f"{self.start}__isnull": False, f"{self.start}__lt": period_end})
        if org_ids is not None:
            qs = qs.filter(**{f"{self.organisation}__in": org_ids})
        # A finished period is owed by subjects still active at its end; the running one by those active now.
        qs = apply_stops(qs, self.stops, period_end, strict=False) if complete else apply_stops(qs, self.stops, as_of)
        f = self.fulfilment
        if f.period_at:
            done = (f.matching().filter(**{f"{f.period_at}__gte": period_start, f"{f.period_at}__lt": period_end,
                                           f"{f.at}__lte": as_of})
                    .order_by().values(f.link).annotate(c=Count("pk")).values("c"))
        else:
            done = (f.matching().filter(**{f"{f.at}__gte": period_start, f"{f.at}__lt": period_end,
                                           f"{f.at}__lte": moment})
                    .order_by().values(f.link).annotate(c=Count("pk")).values("c"))
        qs = qs.annotate(dl_done_count=Coalesce(Subquery(done, output_field=IntegerField()), Value(0)),
                         dl_required=self._required(period_start, period_end))
        return qs.filter(dl_required__gt=0, dl_done_count__lt=F("dl_required"))

    def _recurring_buckets(self, as_of, overrides):
        """(bucket, (start, end), complete) for the previous period and, when it ends within the "soon"
        horizon, the running one (a monthly report is not shown as due for the whole month)."""
        (cs, ce), (ps, pe) = self._periods(as_of)
        grace = self._grace(overrides)
        result = [(BUCKET_OVERDUE if pe + grace < as_of else BUCKET_TODAY, (ps, pe), True)]
        if self.fulfilment is not None and self.fulfilment.period_at:
            return result  # made after the period ends: the running period is never due yet
        left = ce - _local(as_of)
        if left <= datetime.timedelta(days=1):
            result.append((BUCKET_TODAY, (cs, ce), False))
        elif left <= SOON + datetime.timedelta(days=1):
            result.append((BUCKET_SOON, (cs, ce), False))
        return result

    def _periods(self, as_of):
        local = _local(as_of)
        current = period_bounds(self.recurrence.period, local)
        previous = previous_period(self.recurrence.period, local)
        return current, previous

    def _recurring_counts(self, as_of, cal, org_ids, overrides, group_by):
        buckets = [(bucket, self._period_qs(as_of, start, end, org_ids, complete=complete))
                   for bucket, (start, end), complete in self._recurring_buckets(as_of, overrides)]
        if group_by:
            merged: dict = {}
            for bucket, qs in buckets:
                for row in qs.values(group_by).annotate(n=Count("pk")).order_by():
                    entry = merged.setdefault(row[group_by], {group_by: row[group_by], BUCKET_OVERDUE: 0,
                                                              BUCKET_TODAY: 0, BUCKET_SOON: 0})
                    entry[bucket] += row["n"]
            return list(merged.values())
        result = {BUCKET_OVERDUE: 0, BUCKET_TODAY: 0, BUCKET_SOON: 0}
        for bucket, qs in buckets:
            result[bucket] += qs.count()
        return result

    def _grace(self, overrides) -> datetime.timedelta:
        due = self.effective_due(overrides)
        if not due.amount:
            return datetime.timedelta(0)
        return {Unit.HOURS: datetime.timedelta(hours=due.amount),
                Unit.DAYS: datetime.timedelta(days=due.amount)}.get(due.unit, datetime.timedelta(days=due.amount))

    def _recurring_items(self, as_of, cal, org_ids, overrides, buckets, limit):
        grace = self._grace(overrides)
        result = []
        for bucket, (start, end), complete in self._recurring_buckets(as_of, overrides):
            if bucket not in buckets:
                continue
            qs = self._period_qs(as_of, start, end, org_ids, complete=complete)
            if self.select_related:
                qs = qs.select_related(*self.select_related)
            for obj in qs.order_by(self.start)[:limit]:
                progress = f"{obj.dl_done_count}/{obj.dl_required}"
                result.append(self._item(obj, bucket, _as_datetime(_get_path(obj, self.start)),
                                         DueResult(end + grace), period=period_label(self.recurrence.period, start),
                                         progress=progress))
        return result

    def period_outcomes(self, as_of, org_ids=None, periods: int = 1) -> list[dict]:
        """For the last ``periods`` completed periods: how many subjects owed records and how many missed."""
        local = _local(as_of)
        rows = []
        start, end = previous_period(self.recurrence.period, local)
        for _ in range(periods):
            missed = self._period_qs(as_of, start, end, org_ids, complete=True).count()
            rows.append({"period": period_label(self.recurrence.period, start), "start": start, "missed": missed})
            start, end = previous_period(self.recurrence.period, start)
        return rows


# --- discovery ----------------------------------------------------------------------------------------

_RULES: dict[str, DeadlineRule] | None = None


def discover() -> dict[str, DeadlineRule]:
    """Every rule declared in ``<app>/deadlines.py`` of the installed apps, by rule ID (declared once)."""
    global _RULES
    if _RULES is None:
        found: dict[str, DeadlineRule] = {}
        for config in django_apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.deadlines")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.deadlines":
                    raise
                continue
            for rule in getattr(module, "RULES", ()):
                if rule.id in found:
                    raise ValueError(f"deadline rule {rule.id} declared twice ({config.name})")
                object.__setattr__(rule, "app_label", config.label)
                found[rule.id] = rule
        _RULES = dict(sorted(found.items(), key=lambda kv: _sort_key(kv[0])))
    return _RULES


def _sort_key(rule_id: str):
    return (rule_id[0], int("".join(c for c in rule_id[1:] if c.isdigit()) or 0), rule_id)


def get_rule(rule_id: str) -> DeadlineRule:
    return discover()[rule_id]


def evaluate(rule: DeadlineRule | str, *, as_of: datetime.datetime, org_ids=None, started_from=None,
             subject_pks=None) -> list[Outcome]:
    """Outcomes of ``rule`` as known at ``as_of`` (with the calendar and thresholds in force).

    ``subject_pks`` narrows it to a few subjects: a panel showing one person's deadline calls this, so
    the panel and the inbox share one definition."""
    from deadlines.calendar import load_calendar
    from deadlines.selectors import rule_overrides

    rule = get_rule(rule) if isinstance(rule, str) else rule
    return rule.evaluate(as_of, load_calendar(), org_ids=org_ids, overrides=rule_overrides(),
                         started_from=started_from, subject_pks=subject_pks)


def url_or_blank(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


__all__ = ["DeadlineRule", "Fulfilment", "Stop", "Recurrence", "Due", "Unit", "Period", "discover", "evaluate",
           "add_months"]


# --- stops shared by many rules -------------------------------------------------------------------------


def identified_stop(person_path: str = "person") -> Stop:
    """When the person's file first became 已查明: read from the audit log, which records every change of
    ``identity_status`` with its time (creation included) — so it is known as of any past moment. For the
    present, the file's current status says the same thing more cheaply."""
    from people.models import IdentityStatus

    def live():
        return ~Q(**{f"{person_path}__identity_status": IdentityStatus.IDENTIFIED})

    def expression():
        from core.models import AuditEntry

        first = (AuditEntry.objects.filter(person_uuid=OuterRef(f"{person_path}__uuid"), object_type="people.Person",
                                           changes__identity_status__1="identified")
                 .order_by("at").values("at")[:1])
        return Subquery(first)

    return Stop("身份已查明", expression=expression, live=live)


def left_stop(path: str = "left_at") -> Stop:
    return Stop("已离站/终止", path=path)
