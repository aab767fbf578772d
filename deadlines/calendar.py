"""The statutory calendar as the database holds it (HolidayCalendar rows), for calendar_math.

Seeded from ``chinese_calendar`` for the years it knows (2004–2026 in 1.11); an administrator adds
later years from the State Council's notice (page or CSV). A year without rows is *missing*: working
days fall back to Monday–Friday there and every deadline computed that way carries a warning.
"""

import datetime

from django.db.models import Count, Max
from django.utils import timezone

from deadlines.calendar_math import HOLIDAY, WORKDAY, Calendar
from deadlines.models import DayKind, HolidayCalendar

_cache: dict = {"stamp": None, "calendar": None}


def load_calendar() -> Calendar:
    """The calendar from the database, rebuilt only when a row changed (one small aggregate query)."""
    stamp = tuple(HolidayCalendar.objects.aggregate(n=Count("id"), u=Max("updated_at"), d=Max("date")).values())
    if _cache["stamp"] != stamp or _cache["calendar"] is None:
        days = {}
        years = set()
        for day, kind in HolidayCalendar.objects.values_list("date", "kind"):
            days[day] = HOLIDAY if kind == DayKind.HOLIDAY else WORKDAY
            years.add(day.year)
        _cache["calendar"] = Calendar(days=days, known_years=frozenset(years))
        _cache["stamp"] = stamp
    return _cache["calendar"]


def missing_years(horizon_years: int = 1, today: datetime.date | None = None) -> list[int]:
    """Years from this year to ``horizon_years`` ahead that have no holiday rows (deadlines reach into them)."""
    today = today or timezone.localdate()
    known = load_calendar().known_years
    return [y for y in range(today.year, today.year + horizon_years + 1) if y not in known]


def package_days(first_year: int = 2004, last_year: int = 2100) -> list[tuple[datetime.date, str, str]]:
    """(date, kind, name) for every statutory day ``chinese_calendar`` knows in the given years."""
    import chinese_calendar

    rows = []
    for day, name in chinese_calendar.holidays.items():
        if first_year <= day.year <= last_year:
            rows.append((day, DayKind.HOLIDAY.value, _chinese_name(name)))
    for day, name in chinese_calendar.workdays.items():
        if first_year <= day.year <= last_year:
            rows.append((day, DayKind.WORKDAY.value, _chinese_name(name)))
    return sorted(rows)


NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _chinese_name(name) -> str:
    text = str(getattr(name, "value", name) or "")
    return NAMES.get(text, text)[:50]
