"""The demo city's staff year seeds through the services and feeds the campaign figures."""

import pytest
from django.utils import timezone

from core.demo import seed_organisations, seed_users
from core.models import User
from staff import services
from staff.models import ExamResult, TrainingSession

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_staff_monthly_training_and_tests_once():
    from guitu.demo_staff import seed_staff

    orgs = seed_organisations()
    seed_users(orgs)
    staff = {u.username: u for u in User.objects.all()}
    now = timezone.now()
    assert seed_staff(orgs, staff, now) == 19
    assert TrainingSession.objects.filter(organisation=orgs["city"]).count() == 13
    assert ExamResult.objects.exists()
    today = timezone.localdate()
    [row] = services.campaign_figures([orgs["city"]], today.replace(year=today.year - 1), today)
    assert row["staff"] == 12 and row["off_job_2_days"] == 3 and row["tested"] > 0
    assert seed_staff(orgs, staff, now) == 0
