"""Rule P1 at its boundary: a sighting is closed within exactly 24 hours of its receipt — on time at the 24th
hour, overdue one second later."""

import datetime

import pytest

from deadlines.tests.conftest import bucket_of
from outreach.tests.test_outreach import T, _sighting

pytestmark = pytest.mark.django_db


def test_p1_a_sighting_is_closed_within_exactly_24_hours(cast):
    s = _sighting(cast)
    assert bucket_of("P1c", s, T + datetime.timedelta(hours=24)) == "today"
    assert bucket_of("P1c", s, T + datetime.timedelta(hours=24, seconds=1)) == "overdue"
