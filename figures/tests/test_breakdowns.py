"""Rule N13: every breakdown against the hand-counted quarter of figures/tests/fixture.py."""

import datetime

import pytest

from figures import selectors
from figures.selectors import Query

pytestmark = pytest.mark.django_db

Q1 = {"date_from": datetime.date(2025, 1, 1), "date_to": datetime.date(2025, 3, 31)}


def cells(user, **kwargs) -> dict:
    data = selectors.figures(user=user, query=Query(**kwargs))
    out = {"all": data["total"]}
    for b in data["breakdowns"]:
        out[b["dimension"]] = {r["key"]: r["count"] for r in b["rows"] if r["count"]}
    out["areas"] = {a["label"]: a["count"] for a in data["areas"]}
    return out


def test_n13_requests_by_every_dimension_for_the_city(cast, quarter, statistician):
    got = cells(statistician, measure="requested", **Q1)
    assert got["all"] == 4
    assert got["sex"] == {"男": 3, "女": 1}
    assert got["age"] == {"70+": 1, "14-17": 1, "35-59": 1, "": 1}
    assert got["province"] == {"440000": 2, "430000": 1, "": 1}
    assert got["city"] == {"441800": 2, "430100": 1, "": 1}
    assert got["county"] == {"441881": 1, "441802": 1, "430102": 1, "": 1}
    assert got["reason"] == {"robbed": 1, "family_conflict": 1, "illness": 1, "no_work": 1}
    assert got["group"] == {"is_elderly": 1, "is_minor": 1, "has_disability": 1}
    # identity on the day of the request: nobody was identified when they asked
    assert got["identity"] == {"unidentified": 4}
    assert got["areas"] == {"清远市救助管理站": 1, "英德市救助管理站": 3}


def test_n13_departures_by_way_of_leaving_and_length_of_stay(cast, quarter, statistician):
    got = cells(statistician, measure="left", **Q1)
    assert got["all"] == 2
    assert got["exit"] == {"self": 1, "no_formalities": 1}
    assert got["stay"] == {"4-10": 1, "0-1": 1}


def test_n13_admissions_and_identities_found_by_method(cast, quarter, statistician):
    assert cells(statistician, measure="admitted", **Q1)["all"] == 3
    got = cells(statistician, measure="identified", **Q1)
    assert got["all"] == 1
    assert got["method"] == {"dna": 1}
    assert got["sex"] == {"女": 1}


def test_n13_people_in_care_as_of_any_date(cast, quarter, statistician):
    def care(day):
        return cells(statistician, measure="care", as_of=day)

    assert care(datetime.date(2025, 1, 9))["all"] == 0
    assert care(datetime.date(2025, 1, 10))["all"] == 1  # A, admitted that day
    assert care(datetime.date(2025, 1, 20))["all"] == 0  # A left that day
    assert care(datetime.date(2025, 1, 31))["all"] == 0  # the month-end row
    on_feb_4 = care(datetime.date(2025, 2, 4))
    assert on_feb_4["all"] == 1 and on_feb_4["identity"] == {"unidentified": 1}  # B only: A left on 01-20
    on_feb_5 = care(datetime.date(2025, 2, 5))
    assert on_feb_5["identity"] == {"identified": 1}  # B's identity found by DNA that day
    assert care(datetime.date(2025, 3, 1))["all"] == 1  # D came and left the same day: never in care at 24:00
    end = care(datetime.date(2025, 3, 31))
    assert end["all"] == 1 and end["group"] == {"is_minor": 1} and end["age"]["14-17"] == 1


def test_n13_a_period_within_a_month_reads_its_days(cast, quarter, statistician):
    assert cells(statistician, measure="requested", date_from=datetime.date(2025, 2, 4),
                 date_to=datetime.date(2025, 2, 28))["all"] == 1  # C only
    assert cells(statistician, measure="requested", date_from=datetime.date(2025, 1, 10),
                 date_to=datetime.date(2025, 2, 10))["all"] == 3  # A, B, C (partial months at both ends)
