"""Computed, not ticked: answers as of a past moment stay the same when later history is added, and a
record entered later with an earlier timestamp counts by its timestamp."""

import datetime

import pytest
import time_machine

from deadlines.registry import LATE, MET, OPEN, OVERDUE
from deadlines.selectors import on_time_rates
from deadlines.tests.conftest import admit, local
from tracing import services as tracing

pytestmark = pytest.mark.django_db


def _statuses(rule, as_of):
    from deadlines.registry import evaluate

    return {o.subject.pk: o.status for o in evaluate(rule, as_of=as_of)}


def test_a_report_about_last_quarter_gives_the_same_answer_next_year(cast):
    a = admit(cast, local(2026, 3, 2, 10), name="甲")
    b = admit(cast, local(2026, 3, 3, 10), name="乙")
    with time_machine.travel(local(2026, 3, 2, 15), tick=False):
        tracing.check_create(by=cast.tracer, person=a.person, police=cast.police, known_info="男")
    end_of_quarter = local(2026, 3, 31, 23, 59)
    report = _statuses("T1", end_of_quarter)
    assert report == {a.pk: MET, b.pk: OVERDUE}
    rates = on_time_rates(user=cast.county_supervisor, as_of=end_of_quarter, months=1)
    assert [(r["rule"].id, r["on_time"], r["decided"]) for r in rates if r["rule"].id == "T1"] == [("T1", 1, 2)]
    # Next year: b was referred in April and identified in May; a left. The March answer does not move.
    with time_machine.travel(local(2026, 4, 10), tick=False):
        tracing.check_create(by=cast.tracer, person=b.person, police=cast.police, known_info="男")
    with time_machine.travel(local(2026, 5, 10), tick=False):
        tracing.identity_confirm(by=cast.tracer, person=b.person, method="police", evidence="公安核查", name="乙某")
    with time_machine.travel(local(2027, 3, 1), tick=False):
        assert _statuses("T1", end_of_quarter) == report
        again = on_time_rates(user=cast.county_supervisor, as_of=end_of_quarter, months=1)
        assert [(r["rule"].id, r["on_time"], r["decided"]) for r in again if r["rule"].id == "T1"] == [("T1", 1, 2)]
    # as of today b's referral counts, late
    assert _statuses("T1", local(2026, 6, 1))[b.pk] == LATE


def test_a_record_entered_later_with_an_earlier_timestamp_counts_by_its_timestamp(cast):
    ep = admit(cast, local(2026, 3, 2, 10))
    # Before it was entered, the DNA request was not known: as of 12 March the task was overdue …
    assert _statuses("T5", local(2026, 3, 12, 12))[ep.pk] == OVERDUE
    # … then on 13 March staff enter the request made on 5 March (paper first, system later).
    with time_machine.travel(local(2026, 3, 13, 9), tick=False):
        tracing.dna_request_create(by=cast.tracer, episode=ep, police=cast.police, requested_at=local(2026, 3, 5, 9))
    # The answer follows the records' own times: met, for any moment after 5 March.
    assert _statuses("T5", local(2026, 3, 12, 12))[ep.pk] == MET
    assert _statuses("T5", local(2026, 3, 4))[ep.pk] == OPEN


def test_on_time_rates_are_per_rule_station_and_month_and_stay_in_scope(cast):
    admit(cast, local(2026, 2, 2, 10), name="丙")
    admit(cast, local(2026, 3, 2, 10), name="丁")
    as_of = local(2026, 3, 20)
    rows = [r for r in on_time_rates(user=cast.city_supervisor, as_of=as_of, months=2) if r["rule"].id == "T3"]
    assert [(r["organisation"], r["month"], r["rate"]) for r in rows] == [
        ("英德市救助管理站", "2026年2月", 0.0), ("英德市救助管理站", "2026年3月", 0.0)]
    assert on_time_rates(user=cast.outsider, as_of=as_of, months=2) == []
    t5 = [r for r in on_time_rates(user=cast.city_supervisor, as_of=as_of, months=2) if r["rule"].id == "T5"]
    assert {r["month"] for r in t5} == {"2026年2月", "2026年3月"}  # working-day dues computed in SQL
    assert datetime.timedelta(0) == datetime.timedelta(0)
