"""Deadline arithmetic on the statutory calendar, without a database (pure functions)."""

import datetime
import random
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from deadlines.calendar_math import (
    HOLIDAY,
    WORKDAY,
    Calendar,
    Due,
    Period,
    Unit,
    add_months,
    due_at,
    latest_start_due_by,
    period_bounds,
    previous_period,
)

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=0, mi=0):
    return datetime.datetime(y, m, d, h, mi, tzinfo=TZ)


@pytest.fixture(scope="module")
def cal():
    days = {d: HOLIDAY for d in chinese_calendar.holidays} | {d: WORKDAY for d in chinese_calendar.workdays}
    return Calendar(days=days, known_years=frozenset({d.year for d in days}))


def test_t1_hours_run_on_the_clock():
    assert due_at(at(2026, 3, 2, 9, 30), Due(24, Unit.HOURS)).at == at(2026, 3, 3, 9, 30)


def test_n5_ten_days_are_240_hours():
    assert due_at(at(2026, 3, 2, 9, 30), Due(10, Unit.DAYS)).at == at(2026, 3, 12, 9, 30)


def test_t6_months_clamp_to_the_end_of_a_shorter_month():
    assert add_months(at(2026, 1, 31, 8), 1) == at(2026, 2, 28, 8)
    assert add_months(at(2024, 1, 31, 8), 1) == at(2024, 2, 29, 8)
    assert add_months(at(2026, 11, 30), 3) == at(2027, 2, 28)
    assert add_months(at(2026, 3, 31), -1) == at(2026, 2, 28)


def test_t5_seven_working_days_skip_a_weekend(cal):
    # Entered Thursday 2026-03-05: Fri 6, Mon 9, Tue 10, Wed 11, Thu 12, Fri 13, Mon 16 (7th); due at 24:00.
    result = due_at(at(2026, 3, 5, 15), Due(7, Unit.WORKING_DAYS), cal)
    assert result.at == at(2026, 3, 17)
    assert not result.fallback


def test_t5_across_the_spring_festival_with_its_make_up_working_days(cal):
    # 2026 Spring Festival: 15–23 Feb off; Sat 14 Feb and Sat 28 Feb are make-up working days.
    assert cal.is_workday(datetime.date(2026, 2, 14)) and cal.is_workday(datetime.date(2026, 2, 28))
    assert not cal.is_workday(datetime.date(2026, 2, 16))
    # Entered Thu 12 Feb: working days Fri 13, Sat 14 (make-up), Tue 24, Wed 25, Thu 26, Fri 27, Sat 28 (make-up).
    result = due_at(at(2026, 2, 12, 10), Due(7, Unit.WORKING_DAYS), cal)
    assert result.at == at(2026, 3, 1)


def test_t5_across_national_day_with_its_make_up_working_days(cal):
    # 2025 National Day + Mid-autumn: 1–8 Oct off; Sun 28 Sep and Sat 11 Oct worked.
    assert cal.is_workday(datetime.date(2025, 9, 28)) and cal.is_workday(datetime.date(2025, 10, 11))
    # Entered Fri 26 Sep: Sun 28 (make-up), Mon 29, Tue 30, Thu 9, Fri 10, Sat 11 (make-up), Mon 13.
    result = due_at(at(2025, 9, 26, 18), Due(7, Unit.WORKING_DAYS), cal)
    assert result.at == at(2025, 10, 14)


def test_a_missing_year_falls_back_to_monday_to_friday_and_says_so(cal):
    # chinese_calendar 1.11 stops at 2026: 2027 is unknown.
    result = due_at(at(2026, 12, 28, 9), Due(7, Unit.WORKING_DAYS), cal)
    assert result.fallback and result.missing_years == (2027,)
    # Tue 29, Wed 30, Thu 31 (2026, known) then 2027 Mon–Fri: Fri 1 Jan is treated as a working day.
    assert result.at == at(2027, 1, 7)
    inside = due_at(at(2026, 3, 5, 15), Due(7, Unit.WORKING_DAYS), cal)
    assert not inside.fallback and inside.missing_years == ()


@pytest.mark.parametrize("due", [Due(24, Unit.HOURS), Due(10, Unit.DAYS), Due(7, Unit.WORKING_DAYS), Due(3, Unit.MONTHS)])
def test_latest_start_due_by_is_the_inverse_of_due_at(cal, due):
    rng = random.Random(5)
    base = at(2025, 9, 1)
    for _ in range(300):
        start = base + datetime.timedelta(minutes=rng.randrange(0, 200 * 24 * 60))
        moment = start + datetime.timedelta(minutes=rng.randrange(0, 120 * 24 * 60))
        bound = latest_start_due_by(moment, due, cal)
        is_due = due_at(start, due, cal).at <= moment
        if due.unit == Unit.MONTHS and start.day >= 28:
            continue  # the month-end clamp makes the bound conservative by design
        assert is_due == (start <= bound), (start, moment, bound)


def test_periods_are_local_days_weeks_months_quarters_and_half_years():
    moment = at(2026, 8, 19, 14)
    assert period_bounds(Period.DAY, moment) == (at(2026, 8, 19), at(2026, 8, 20))
    assert period_bounds(Period.WEEK, moment) == (at(2026, 8, 17), at(2026, 8, 24))
    assert period_bounds(Period.MONTH, moment) == (at(2026, 8, 1), at(2026, 9, 1))
    assert period_bounds(Period.QUARTER, moment) == (at(2026, 7, 1), at(2026, 10, 1))
    assert period_bounds(Period.HALF_YEAR, moment) == (at(2026, 7, 1), at(2027, 1, 1))
    assert previous_period(Period.QUARTER, at(2026, 1, 5)) == (at(2025, 10, 1), at(2026, 1, 1))
