"""The demo city's settlement cases seed through the services, in several steps, and only once."""

import pytest
from django.utils import timezone

from core.demo import seed_organisations, seed_users
from core.models import User
from settlement.models import SettlementCase, SettlementStatus

pytestmark = pytest.mark.django_db
S = SettlementStatus


def test_the_demo_seeds_settlement_cases_in_several_steps_once(settings, tmp_path):
    from guitu.demo_settlement import seed_settlement

    settings.MEDIA_ROOT = str(tmp_path)
    orgs = seed_organisations()
    seed_users(orgs)
    staff = {u.username: u for u in User.objects.all()}
    cases = seed_settlement(orgs, staff, timezone.now())
    statuses = {c.status for c in SettlementCase.objects.all()}
    assert statuses == {S.APPLIED, S.PLAN_SUBMITTED, S.APPROVED, S.PLACED, S.REGISTERED, S.LONG_TERM, S.IDENTIFIED}
    identified = SettlementCase.objects.get(status=S.IDENTIFIED)
    assert identified.awaits_cancellation and identified.return_home_on
    registered = SettlementCase.objects.get(status=S.REGISTERED)
    assert registered.tekun_on and registered.insurance_on and registered.departure.exit_type == "settlement"
    assert seed_settlement(orgs, staff, timezone.now()) == [] and SettlementCase.objects.count() == len(cases)
