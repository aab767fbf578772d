"""The demo seeds outside care through the services: agreements before anyone is placed (rule C5), visits,
reports, and demo logins for a hospital and a facility user."""

import pytest

from tests.test_demo import _sandbox  # noqa: F401 - the demo tests' sandbox (autouse): matching files, media

pytestmark = [pytest.mark.django_db, pytest.mark.heavy(14)]  # a seeded city: started first (conftest.py)


def test_the_demo_signs_agreements_places_people_under_them_and_prints_the_holder_logins():
    from core.demo import login_lines
    from guitu.demo import seed
    from outsidecare.models import Agreement
    from stay.models import Placement

    seed(people=40)
    assert Agreement.objects.count() == 4
    outside = Placement.objects.filter(kind="outside_care")
    assert all(p.agreement_id for p in outside)
    lines = "\n".join(login_lines())
    assert "yiyuan" in lines and "tuoyang" in lines
