"""The campaign table's settlement columns (``settlement.selectors.campaign_figures``): applications, plans and
approvals in a period, and people in long-term placement without 户口 on a day (rule S3), per station."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from deadlines.tests.conftest import local
from settlement import services
from settlement.selectors import campaign_figures
from settlement.tests.helpers import walk

pytestmark = pytest.mark.django_db
KEYS = {"settlement_applications", "settlement_plans", "settlement_approvals", "long_term_no_hukou"}


def test_s1_s3_campaign_figures_count_per_station_within_the_period(cast):
    walk(cast, "applied", name="甲")  # applied 2026-04-15
    walk(cast, "approved", name="乙")  # applied 04-15, plan 04-25, approved 05-15
    long_term = walk(cast, "long_term", name="丙")  # placed long-term 05-20
    sid = cast.station.pk
    april = campaign_figures([sid], datetime.date(2026, 4, 1), datetime.date(2026, 4, 30), datetime.date(2026, 4, 30))
    assert set(april) == KEYS
    assert april["settlement_applications"] == {sid: 3}
    assert april["settlement_plans"] == {sid: 2}
    assert april["settlement_approvals"] == {}
    assert april["long_term_no_hukou"] == {}
    may = campaign_figures([sid], datetime.date(2026, 5, 1), datetime.date(2026, 5, 31), datetime.date(2026, 5, 31))
    assert may["settlement_applications"] == {} and may["settlement_approvals"] == {sid: 2}
    assert may["long_term_no_hukou"] == {sid: 1}
    # registered in June: still counted as of 31 May, no longer as of 30 June
    with time_machine.travel(local(2026, 6, 10, 10), tick=False):
        services.settlement_register_hukou(by=cast.police_officer, case=long_term, on=timezone.localdate(),
                                           number="441802202600555")
    assert campaign_figures([sid], datetime.date(2026, 5, 1), datetime.date(2026, 5, 31),
                            datetime.date(2026, 5, 31))["long_term_no_hukou"] == {sid: 1}
    assert campaign_figures([sid], datetime.date(2026, 6, 1), datetime.date(2026, 6, 30),
                            datetime.date(2026, 6, 30))["long_term_no_hukou"] == {}


def test_campaign_figures_leave_out_stations_not_asked_for(cast):
    walk(cast, "applied")
    figures = campaign_figures([cast.other_station.pk], datetime.date(2026, 1, 1), datetime.date(2026, 12, 31),
                               datetime.date(2026, 12, 31))
    assert all(v == {} for v in figures.values())
