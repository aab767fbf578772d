"""Rule A3 at its boundary, from both sides: the first visit is due exactly 2 months after the registration
(registered 10 March 09:00 → due 10 May 09:00; one second later it is overdue)."""

import datetime

from aftercare.tests.test_aftercare import reg  # noqa: F401 — the registration fixture
from deadlines.tests.conftest import bucket_of, local

SEC = datetime.timedelta(seconds=1)


def test_a3_the_first_visit_is_due_exactly_2_months_after_registration(reg):  # noqa: F811
    assert bucket_of("A3", reg, local(2026, 5, 8, 9)) == "soon"
    assert bucket_of("A3", reg, local(2026, 5, 10, 9)) == "today"
    assert bucket_of("A3", reg, local(2026, 5, 10, 9) + SEC) == "overdue"
