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


# --- T4: talks per local calendar day -------------------------------------------------------------
# The same definition as the deadline engine's recurring rule (deadlines/registry.py, rule T4 in
# tracing/deadlines.py), so the person's panel and the inbox never disagree:
#   - the day of entry and every day starting within ``first_hours`` after entry ask for
#     ``first_per_day`` (rule T4: at least 3 talks a day during the first 72 hours — the entry day too);
#   - every later day asks for ``later_per_day``;
#   - ``grace_hours`` (0 for T4) would let a day ending that soon after entry ask for nothing.


@dataclass(frozen=True)
class TalkWindow:
    index: int  # 0 = the day of entry
    start: dt.datetime
    end: dt.datetime
    required: int
    held: int
    status: str  # MET, OVERDUE (missed), DUE (day still running)

    @property
    def day(self) -> int:
        return self.index + 1


def talks_required(entry: dt.datetime, day_start: dt.datetime, day_end: dt.datetime, *, first_hours: int = 72,
                   first_per_day: int = 3, later_per_day: int = 1, grace_hours: int = 0) -> int:
    """Talks rule T4 asks for on the local day [day_start, day_end) of someone who entered at ``entry``."""
    if grace_hours and entry >= day_end - dt.timedelta(hours=grace_hours):
        return 0
    if entry > day_start - dt.timedelta(hours=first_hours):  # the entry day included
        return first_per_day
    return later_per_day


def talk_windows(entry: dt.datetime, talk_times, until: dt.datetime, *, first_hours: int = 72,
                 first_per_day: int = 3, later_per_day: int = 1, grace_hours: int = 0) -> list[TalkWindow]:
    """Rule T4 day by day (local calendar days, Asia/Shanghai when ``entry`` is aware): talks required
    and held. ``until`` is now, or when tracing stopped (identity confirmed, person left); the day
    still running at ``until`` is DUE unless already met. Days that ask for nothing are left out.
    """
    if until <= entry:
        return []
    tz = entry.tzinfo
    times = sorted(t for t in talk_times if entry <= t < until)
    windows: list[TalkWindow] = []
    day = entry.date()
    index = 0
    while True:
        start = dt.datetime.combine(day, dt.time.min, tz)
        if start >= until:
            break
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tz)
        required = talks_required(entry, start, end, first_hours=first_hours, first_per_day=first_per_day,
                                  later_per_day=later_per_day, grace_hours=grace_hours)
        if required:
            held = sum(1 for t in times if start <= t < end)
            if held >= required:
                status = MET
            elif end <= until:
                status = OVERDUE
            else:
                status = DUE
            windows.append(TalkWindow(index, start, end, required, held, status))
        day += dt.timedelta(days=1)
        index += 1
    return windows
