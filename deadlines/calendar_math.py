"""Deadline arithmetic on the Chinese statutory calendar: pure functions, no Django imports.

Every function takes aware datetimes in local time (Asia/Shanghai in this project) and a
:class:`Calendar` — the statutory holidays and make-up working days (调休上班) the database holds.
When a year is missing from the calendar, working days fall back to Monday–Friday and the result
says so (``fallback=True``), so every deadline computed that way can carry a warning.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime
from dataclasses import dataclass, field
from enum import StrEnum

HOLIDAY = "holiday"
WORKDAY = "workday"


class Unit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    MONTHS = "months"
    WORKING_DAYS = "working_days"


UNIT_WORDS = {Unit.HOURS: "小时", Unit.DAYS: "天（自然日）", Unit.MONTHS: "个月", Unit.WORKING_DAYS: "个工作日"}


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"


PERIOD_WORDS = {Period.DAY: "每天", Period.WEEK: "每周", Period.MONTH: "每月", Period.QUARTER: "每季度",
                Period.HALF_YEAR: "每半年"}


@dataclass(frozen=True)
class Calendar:
    """Statutory days: ``days`` maps a date to HOLIDAY or WORKDAY (a make-up working day on a weekend);
    ``known_years`` are the years the State Council's notice has been entered for."""

    days: dict[datetime.date, str] = field(default_factory=dict)
    known_years: frozenset[int] = frozenset()

    def knows(self, day: datetime.date) -> bool:
        return day.year in self.known_years

    def is_workday(self, day: datetime.date) -> bool:
        kind = self.days.get(day) if self.knows(day) else None
        if kind == HOLIDAY:
            return False
        if kind == WORKDAY:
            return True
        return day.weekday() < 5


@dataclass(frozen=True)
class Due:
    """A due time: ``amount`` of ``unit`` after the start."""

    amount: int
    unit: Unit

    def words(self) -> str:
        if self.unit == Unit.WORKING_DAYS:
            return f"{self.amount}{UNIT_WORDS[self.unit]}（法定节假日不计，调休上班日计入；从次日起算，到期日24时止）"
        if self.unit == Unit.MONTHS:
            return f"{self.amount}{UNIT_WORDS[self.unit]}（到对应日的同一时刻）"
        return f"{self.amount}{UNIT_WORDS[self.unit]}"


@dataclass(frozen=True)
class DueResult:
    at: datetime.datetime
    fallback: bool = False  # computed with Monday–Friday because a year is missing from the calendar
    missing_years: tuple[int, ...] = ()


def _midnight_after(day: datetime.date, tzinfo) -> datetime.datetime:
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0), tzinfo=tzinfo)


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """Same day and time ``months`` later; the 31st becomes the month's last day (1月31日 + 1个月 = 2月28/29日)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, _stdcal.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def nth_working_day_after(day: datetime.date, n: int, cal: Calendar) -> tuple[datetime.date, set[int]]:
    """The ``n``-th working day after ``day`` (``day`` itself not counted), and the years that fell back."""
    missing: set[int] = set()
    current = day
    count = 0
    while count < n:
        current += datetime.timedelta(days=1)
        if not cal.knows(current):
            missing.add(current.year)
        if cal.is_workday(current):
            count += 1
    return current, missing


def due_at(start: datetime.datetime, due: Due, cal: Calendar | None = None) -> DueResult:
    """When a deadline that starts at ``start`` (aware, local) falls due.

    Hours and days run on the clock (10 days = 240 hours); months to the same moment of the month;
    working days count from the next day and end at 24:00 of the last one (rule T5).
    """
    if due.unit == Unit.HOURS:
        return DueResult(start + datetime.timedelta(hours=due.amount))
    if due.unit == Unit.DAYS:
        return DueResult(start + datetime.timedelta(days=due.amount))
    if due.unit == Unit.MONTHS:
        return DueResult(add_months(start, due.amount))
    last, missing = nth_working_day_after(start.date(), due.amount, cal or Calendar())
    return DueResult(_midnight_after(last, start.tzinfo), bool(missing), tuple(sorted(missing)))


def latest_start_due_by(moment: datetime.datetime, due: Due, cal: Calendar | None = None) -> datetime.datetime:
    """The latest start whose deadline falls due at or before ``moment`` (inverse of :func:`due_at`).

    Lets a database find everything due by a moment with one range condition on the start time, whatever
    the unit — no per-row arithmetic. For months the 29th–31st clamp makes this slightly conservative.
    """
    if due.unit == Unit.HOURS:
        return moment - datetime.timedelta(hours=due.amount)
    if due.unit == Unit.DAYS:
        return moment - datetime.timedelta(days=due.amount)
    if due.unit == Unit.MONTHS:
        return add_months(moment, -due.amount)
    cal = cal or Calendar()
    day = moment.date()
    # The deadline of a start on ``day`` is at least ``amount`` days later: walk back until it is due.
    for _ in range(3660):
        last, _missing = nth_working_day_after(day, due.amount, cal)
        if _midnight_after(last, moment.tzinfo) <= moment:
            return _midnight_after(day, moment.tzinfo) - datetime.timedelta(microseconds=1)
        day -= datetime.timedelta(days=1)
    raise ValueError("no start found within ten years")  # pragma: no cover


def period_bounds(period: Period, moment: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The local period (day, ISO week, month, quarter, half-year) holding ``moment``: [start, end)."""
    tz = moment.tzinfo
    day = moment.date()
    if period == Period.DAY:
        first, nxt = day, day + datetime.timedelta(days=1)
    elif period == Period.WEEK:
        first = day - datetime.timedelta(days=day.weekday())
        nxt = first + datetime.timedelta(days=7)
    else:
        size = {Period.MONTH: 1, Period.QUARTER: 3, Period.HALF_YEAR: 6}[period]
        month = (day.month - 1) // size * size + 1
        first = datetime.date(day.year, month, 1)
        nxt_month = month + size
        nxt = datetime.date(day.year + (nxt_month - 1) // 12, (nxt_month - 1) % 12 + 1, 1)
    return (datetime.datetime.combine(first, datetime.time(0), tzinfo=tz),
            datetime.datetime.combine(nxt, datetime.time(0), tzinfo=tz))


def previous_period(period: Period, moment: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    start, _ = period_bounds(period, moment)
    return period_bounds(period, start - datetime.timedelta(microseconds=1))


def period_label(period: Period, start: datetime.datetime) -> str:
    if period == Period.DAY:
        return f"{start:%Y-%m-%d}"
    if period == Period.WEEK:
        return f"{start:%Y-%m-%d}起的一周"
    if period == Period.MONTH:
        return f"{start.year}年{start.month}月"
    if period == Period.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年{'上' if start.month < 7 else '下'}半年"


def working_days_between(first: datetime.date, last: datetime.date, cal: Calendar) -> int:
    """Working days in [first, last] (both included)."""
    count = 0
    day = first
    while day <= last:
        count += cal.is_workday(day)
        day += datetime.timedelta(days=1)
    return count
