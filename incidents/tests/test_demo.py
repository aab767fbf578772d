"""The demo city's incidents seed through the services and read true: reported in time, received, closed."""

import pytest
from django.utils import timezone

from core.demo import seed_organisations, seed_users
from core.models import User
from deadlines.registry import MET, evaluate
from incidents.models import Incident, IncidentStatus

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_year_of_incidents_reported_up_the_chain_once():
    from guitu.demo_incidents import EXTRA, seed_incidents

    orgs = seed_organisations()
    seed_users(orgs)
    staff = {u.username: u for u in User.objects.all()}
    now = timezone.now()
    counts = seed_incidents(orgs, staff, now)
    assert counts["incidents"] == Incident.objects.count() == len(EXTRA)
    assert Incident.objects.filter(status=IncidentStatus.CLOSED).count() == counts["closed"] >= 3
    assert Incident.objects.filter(status=IncidentStatus.OPEN).exists()
    assert {o.status for o in evaluate("X1", as_of=now)} == {MET}
    assert seed_incidents(orgs, staff, now) == {}
