"""The demo city's regional centre seeds through the services, and only once."""

import pytest
from django.utils import timezone

from core.demo import seed_organisations, seed_users
from core.models import User
from leaving.models import Departure
from regional.models import (
    Assistance,
    BatchStatus,
    Escalation,
    EscalationStatus,
    EscortBatch,
    JointCase,
    JointDecision,
    MemberStatus,
)

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_the_regional_centres_work_once(settings, tmp_path):
    from guitu.demo_regional import seed_regional

    settings.MEDIA_ROOT = str(tmp_path)
    orgs = seed_organisations()
    seed_users(orgs)
    staff = {u.username: u for u in User.objects.filter(organisation__in=orgs.values())}
    seed_regional(orgs, staff, timezone.now())
    assert set(Escalation.objects.values_list("status", flat=True)) == {EscalationStatus.ACCEPTED,
                                                                        EscalationStatus.REQUESTED}
    assert Assistance.objects.count() == 1 and JointCase.objects.count() == 1 and JointDecision.objects.count() == 2
    assert set(EscortBatch.objects.values_list("status", flat=True)) == {BatchStatus.UNDER_WAY, BatchStatus.PLANNED}
    handed = EscortBatch.objects.get(status=BatchStatus.UNDER_WAY).members.get(status=MemberStatus.HANDED_OVER)
    assert Departure.objects.get(episode=handed.episode).escort_staff.filter(organisation=orgs["city"]).exists()
    counts = (Escalation.objects.count(), EscortBatch.objects.count())
    seed_regional(orgs, staff, timezone.now())
    assert (Escalation.objects.count(), EscortBatch.objects.count()) == counts
