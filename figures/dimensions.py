"""The statistics' dimensions and measures (rule N13): pure Python, no Django.

A *measure* is what is counted — a flow over a period (requests, admissions, departures, identities found)
or the stock of people in care at the end of a day. A *dimension* is how a measure is broken down; each
episode falls into exactly one *key* of each dimension, except the special groups (rule I8), where one
person may belong to several groups (or none) and is counted once in each.
"""

from __future__ import annotations

import datetime

#: Flows (counted on the day of their event) and the stock (people in care at the end of a day).
FLOW_MEASURES: dict[str, str] = {
    "requested": "求助登记",
    "admitted": "入站",
    "left": "离站",
    "identified": "查明身份",
}
CARE = "care"
MEASURES: dict[str, str] = {**FLOW_MEASURES, CARE: "在站人数（时点）"}

#: The day column of the per-episode fact for each flow.
DAY_FIELD: dict[str, str] = {
    "requested": "requested_day",
    "admitted": "admitted_day",
    "left": "left_day",
    "identified": "identified_day",
}

#: Dimensions in display order: code → label.
DIMENSIONS: dict[str, str] = {
    "all": "合计",
    "age": "年龄段",
    "sex": "性别",
    "province": "户籍省份",
    "city": "户籍地市",
    "county": "户籍县（区）",
    "reason": "求助原因",
    "group": "特殊群体",
    "stay": "在站时长",
    "identity": "身份状态",
    "stranded": "超期滞留且身份未查明",
    "exit": "离站方式",
    "method": "身份查明方式",
}

#: Which dimensions each measure is broken down by. 在站时长 and 离站方式 concern finished stays, the
#: way an identity was found concerns identifications; every measure has the person's own dimensions.
_PERSON_DIMS = ("all", "age", "sex", "province", "city", "county", "reason", "group", "identity")
MEASURE_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "requested": _PERSON_DIMS,
    "admitted": _PERSON_DIMS,
    "left": (*_PERSON_DIMS, "stay", "exit"),
    "identified": (*_PERSON_DIMS[:-1], "method"),
    CARE: (*_PERSON_DIMS, "stranded"),
}

#: Column of the per-episode fact holding each single-valued dimension (``group`` and ``identity`` are
#: computed: the flags, and whether the identity was known on the day).
DIMENSION_FIELD: dict[str, str] = {
    "age": "age_band",
    "sex": "sex",
    "province": "origin_province",
    "city": "origin_city",
    "county": "origin_county",
    "reason": "reason",
    "stay": "stay_band",
    "exit": "exit_way",
    "method": "id_method",
}

#: How ``Fact`` stores the three origin dimensions: one key per row, the most precise code of the file's
#: 户籍 (county, else city, else province, else ''); ``origin_keys`` rolls it up into the three when read — a
#: third of the rows three separate dimensions would take.
ORIGIN = "origin"


def origin_keys(code: str) -> tuple[tuple[str, str], ...]:
    """The (dimension, key) pairs an ``origin`` key of ``Fact`` counts under."""
    province, city, county = division_levels(code)
    return ("province", province), ("city", city), ("county", county)


#: Age bands (age on the day of the request, in whole years): (key, lowest age, highest age).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-13", 0, 13),
    ("14-17", 14, 17),
    ("18-34", 18, 34),
    ("35-59", 35, 59),
    ("60-69", 60, 69),
    ("70+", 70, 200),
)
AGE_LABELS: dict[str, str] = {
    "0-13": "未满14岁", "14-17": "14至17岁", "18-34": "18至34岁", "35-59": "35至59岁", "60-69": "60至69岁",
    "70+": "70岁及以上", "": "年龄不详",
}

#: Length of a finished stay in days (from admission to leaving): (key, fewest days, most days).
STAY_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-1", 0, 1),
    ("2-3", 2, 3),
    ("4-10", 4, 10),
    ("11-30", 11, 30),
    ("31-90", 31, 90),
    ("91-365", 91, 365),
    ("366+", 366, 100_000),
)
STAY_LABELS: dict[str, str] = {
    "0-1": "1天及以内", "2-3": "2至3天", "4-10": "4至10天", "11-30": "11至30天（超过10天）", "31-90": "31至90天",
    "91-365": "91天至1年", "366+": "1年以上", "": "未入站",
}

#: The stock's one flag that depends on the day itself (rule N5, the campaign table's 滞留超过10天（无法查明身份）):
#: in care longer than the N5 limit — admitted on or before the day minus the limit — with the identity not yet
#: found on that day. The summary keeps it like a special group; the loose days add it when a stay crosses the
#: limit and take it away on leaving or when the identity is found (``figures.sql.loose_stranded_sql``).
STRANDED = "over_limit"
STRANDED_LABELS: dict[str, str] = {STRANDED: "在站超过规定天数（规则N5）且身份未查明"}

#: Identity status on the day counted: known on that day, or not (yet) — split as the file stands.
IDENTITY_LABELS: dict[str, str] = {"identified": "已查明", "unidentified": "未查明", "pending": "待核实"}

#: How the identity was found (tracing.IdentificationMethod, rule T8/N13) plus files that were identified
#: when help was asked for (identity card, known person) — no identification record then.
KNOWN_AT_REQUEST = "known"
METHOD_EXTRA_LABELS: dict[str, str] = {KNOWN_AT_REQUEST: "求助时身份已明（持证件等）"}

#: Ways out that are not a departure record: refusal and termination (rule N3).
EXIT_EXTRA_LABELS: dict[str, str] = {"terminated": "终止救助"}


def age_band(age: int | None) -> str:
    """The age band of ``age`` (whole years), '' when unknown."""
    if age is None or age < 0:
        return ""
    for key, low, high in AGE_BANDS:
        if low <= age <= high:
            return key
    return ""


def age_on(day: datetime.date, birth_date: datetime.date | None, birth_year: int | None,
           age_min: int | None = None, age_max: int | None = None, recorded_year: int | None = None) -> int | None:
    """Age in whole years on ``day``: from the birth date, else the estimated birth year, else the middle
    of the estimated age range as recorded in ``recorded_year``."""
    if birth_date:
        return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
    if birth_year:
        return day.year - birth_year
    if age_min is not None or age_max is not None:
        low = age_min if age_min is not None else age_max
        high = age_max if age_max is not None else age_min
        return (low + high) // 2 + (day.year - recorded_year if recorded_year else 0)
    return None


def stay_band(admitted: datetime.date | None, left: datetime.date | None) -> str:
    """The band of a finished stay (calendar days from the admission day to the leaving day)."""
    if admitted is None or left is None:
        return ""
    days = (left - admitted).days
    for key, low, high in STAY_BANDS:
        if low <= days <= high:
            return key
    return ""


def division_levels(code: str | None) -> tuple[str, str, str]:
    """(province, city, county) codes of a GB/T 2260 division code ('' where the code says nothing)."""
    if not code or len(code) < 6 or not code[:6].isdigit():
        return "", "", ""
    code = code[:6]
    province = code[:2] + "0000"
    city = code[:4] + "00" if code[2:4] != "00" else ""
    county = code if code[4:6] != "00" else ""
    return province, city, county


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return next_month(day) - datetime.timedelta(days=1)


def period_pieces(start: datetime.date, end: datetime.date):
    """Split [start, end] into whole months and loose days, so a period is read from monthly rows and at
    most two partial months of daily rows. Returns (months: (first_month, last_month) or None,
    day_ranges: list of (from, to) inclusive)."""
    if end < start:
        return None, []
    first_full = start if start.day == 1 else next_month(start)
    last_full_end = end if end == month_end(end) else month_start(end) - datetime.timedelta(days=1)
    if first_full > last_full_end:
        return None, [(start, end)]
    days = []
    if start < first_full:
        days.append((start, first_full - datetime.timedelta(days=1)))
    if last_full_end < end:
        days.append((last_full_end + datetime.timedelta(days=1), end))
    return (first_full, month_start(last_full_end)), days


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a quarter."""
    first = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    last = month_end(datetime.date(year, 3 * quarter, 1))
    return first, last


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(day: datetime.date) -> tuple[int, int]:
    year, quarter = quarter_of(day)
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def add(into: dict, other: dict) -> dict:
    """Add the nested counts of ``other`` into ``into`` (dicts of dicts of ints), in place."""
    for key, value in other.items():
        if isinstance(value, dict):
            add(into.setdefault(key, {}), value)
        elif isinstance(value, int):
            into[key] = into.get(key, 0) + value
    return into
