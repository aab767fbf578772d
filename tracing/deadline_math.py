"""Deadline arithmetic for tracing (rules T1, T2, T4, T5, T6): pure Python, no Django imports.

Kept small and free of the ORM so the later deadline engine can reuse it and so it is tested without
a database. All datetimes passed in must be timezone-aware and in the same (local) zone where calendar
days matter (T5, T6 count dates, not hours).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

#: Status words shared by every rule check.
MET = "met"  # done before the deadline
LATE = "late"  # done, but after the deadline
OVERDUE = "overdue"  # not done and the deadline has passed
DUE = "due"  # not done, deadline still ahead
NOT_APPLICABLE = "n/a"

STATUS_LABELS = {MET: "按时", LATE: "超时完成", OVERDUE: "已超时", DUE: "待办", NOT_APPLICABLE: "不适用"}


def status_by(deadline, done_at, now) -> str:
    """Compare when something happened (or not yet) with its deadline."""
    if done_at is not None:
        return MET if done_at <= deadline else LATE
    return OVERDUE if now > deadline else DUE


# --- T5: working days (chinese_calendar: statutory holidays and make-up working days) --------------


def is_working_day(day: dt.date) -> bool:
    """A statutory working day; outside chinese_calendar's years (2004–2026 in 1.11) Monday–Friday."""
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (NotImplementedError, ImportError):
        return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date of the ``days``-th working day after ``start`` (``start`` itself is not counted)."""
    current = start
    counted = 0
    while counted < days:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def end_of_day(day: dt.date, tzinfo) -> dt.datetime:
    """The last instant of ``day`` in ``tzinfo`` (deadlines on a date run to the end of that date)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo) - dt.timedelta(microseconds=1)


# --- T6: calendar months ------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, clamped to the month's end (1 月 31 日 + 1 个月 = 2 月 28/29 日)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_bounds(year: int, month: int, tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[first instant of the month, first instant of the next month) in ``tzinfo``."""
    start = dt.datetime(year, month, 1, tzinfo=tzinfo)
    nxt = add_months(dt.date(year, month, 1), 1)
    return start, dt.datetime(nxt.year, nxt.month, 1, tzinfo=tzinfo)


# --- T4: talks per 24-hour window ------------------------------------------------------------------


@dataclass(frozen=True)
class TalkWindow:
    index: int  # 0 = the first 24 hours after entry
    start: dt.datetime
    end: dt.datetime
    required: int
    held: int
    status: str  # MET, OVERDUE (missed), DUE (window still running)

    @property
    def day(self) -> int:
        return self.index + 1


def talk_windows(entry: dt.datetime, talk_times, until: dt.datetime, *, first_hours: int = 72,
                 first_per_day: int = 3, later_per_day: int = 1) -> list[TalkWindow]:
    """Rule T4: 24-hour windows from entry; ``first_per_day`` talks in each window within the first
    ``first_hours`` hours, then ``later_per_day``. ``until`` is now, or when tracing stopped (identity
    confirmed, person left); a window still open at ``until`` is DUE unless already met.
    """
    if until <= entry:
        return []
    times = sorted(t for t in talk_times if entry <= t < until)
    windows: list[TalkWindow] = []
    index = 0
    step = dt.timedelta(hours=24)
    while True:
        start = entry + index * step
        if start >= until:
            break
        end = start + step
        required = first_per_day if index * 24 < first_hours else later_per_day
        held = sum(1 for t in times if start <= t < end)
        if held >= required:
            status = MET
        elif end <= until:
            status = OVERDUE
        else:
            status = DUE
        windows.append(TalkWindow(index, start, end, required, held, status))
        index += 1
    return windows
