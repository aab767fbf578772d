"""The pure deadline arithmetic (no database): T4 talk windows, T5 working days, T6 months."""

import datetime as dt
from zoneinfo import ZoneInfo

from tracing import deadline_math as dm

TZ = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def test_t4_three_talks_a_day_in_the_first_72_hours_then_one():
    entry = at(2026, 3, 2, 10, 0)
    talks = [entry + dt.timedelta(hours=h) for h in (1, 5, 9, 25, 30, 34, 50, 55, 80)]
    windows = dm.talk_windows(entry, talks, until=entry + dt.timedelta(days=5, hours=1))
    # 2 March (entry day) and 3, 4, 5 March (begin within 72 h of entry): 3 each; then 1 a day.
    assert [(w.start.day, w.required, w.held, w.status) for w in windows] == [
        (2, 3, 3, dm.MET), (3, 3, 3, dm.MET), (4, 3, 2, dm.OVERDUE), (5, 3, 1, dm.OVERDUE), (6, 1, 0, dm.OVERDUE),
        (7, 1, 0, dm.DUE)]


def test_t4_the_entry_day_asks_for_three_talks_even_late_in_the_evening():
    entry = at(2026, 3, 2, 20, 30)
    windows = dm.talk_windows(entry, [entry + dt.timedelta(minutes=m) for m in (10, 60)], until=at(2026, 3, 3, 12, 0))
    assert [(w.start, w.required, w.held, w.status) for w in windows] == [
        (at(2026, 3, 2), 3, 2, dm.OVERDUE), (at(2026, 3, 3), 3, 0, dm.DUE)]


def test_t4_the_boundary_of_the_first_72_hours():
    entry = at(2026, 3, 2, 10, 0)
    # 5 March 00:00 is 62 h after entry (3 talks); 6 March 00:00 is 86 h after (1 talk).
    assert dm.talks_required(entry, at(2026, 3, 5), at(2026, 3, 6)) == 3
    assert dm.talks_required(entry, at(2026, 3, 6), at(2026, 3, 7)) == 1
    midnight = at(2026, 3, 2, 0, 0)  # exactly 72 h before 5 March: that day is outside the first 72 hours
    assert dm.talks_required(midnight, at(2026, 3, 5), at(2026, 3, 6)) == 1
    assert dm.talks_required(midnight, at(2026, 3, 4), at(2026, 3, 5)) == 3


def test_t4_a_running_window_is_due_not_missed():
    entry = at(2026, 3, 2, 10, 0)
    talks = [entry + dt.timedelta(hours=h) for h in (1, 2, 3)]
    windows = dm.talk_windows(entry, talks, until=entry + dt.timedelta(hours=4))
    assert len(windows) == 1 and windows[0].status == dm.MET and windows[0].required == 3
    windows = dm.talk_windows(entry, talks[:1], until=entry + dt.timedelta(hours=3))
    assert len(windows) == 1 and windows[0].status == dm.DUE and windows[0].held == 1


def test_t5_seven_working_days_skip_the_national_day_holiday():
    # Entry on 2025-09-30: 1–8 October 2025 are holidays, Saturday 11 October is a make-up working day.
    assert dm.add_working_days(dt.date(2025, 9, 30), 7) == dt.date(2025, 10, 16)  # 9,10,11(Sat),13,14,15,16
    # An ordinary week: Monday + 7 working days = Wednesday of the next week.
    assert dm.add_working_days(dt.date(2026, 3, 2), 7) == dt.date(2026, 3, 11)


def test_t5_outside_the_calendar_years_weekends_still_count_as_rest():
    assert dm.add_working_days(dt.date(2030, 1, 4), 1) == dt.date(2030, 1, 7)


def test_t6_one_month_after_the_sample_clamps_to_month_end():
    assert dm.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert dm.add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)


def test_status_by_compares_done_time_with_the_deadline():
    deadline = at(2026, 3, 3, 10)
    assert dm.status_by(deadline, at(2026, 3, 3, 9), at(2026, 3, 9)) == dm.MET
    assert dm.status_by(deadline, at(2026, 3, 3, 11), at(2026, 3, 9)) == dm.LATE
    assert dm.status_by(deadline, None, at(2026, 3, 3, 9)) == dm.DUE
    assert dm.status_by(deadline, None, at(2026, 3, 3, 11)) == dm.OVERDUE


def test_month_bounds_are_local_midnights():
    start, end = dm.month_bounds(2026, 12, TZ)
    assert start == at(2026, 12, 1) and end == at(2027, 1, 1)
