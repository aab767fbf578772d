"""The demo city's daily care seeds through the services: meals with samples, the "六个一", a minor's plan, a
care plan and a domestic-violence shelter — and only once."""

import datetime

import pytest
from django.utils import timezone

from core.demo import seed_organisations, seed_users
from core.models import User
from dailycare.models import BasicServiceCheck, CarePlan, DvShelter, MealRecord, MealSample, MinorPlan
from stay import services as stay
from stay.models import ZoneCategory
from stay.tests.factories import admitted_episode

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_daily_care_through_the_services_once(settings, tmp_path):
    from guitu.demo_dailycare import seed_dailycare

    settings.MEDIA_ROOT = str(tmp_path)
    orgs = seed_organisations()
    seed_users(orgs)
    staff = {u.username: u for u in User.objects.all()}
    head, city = staff["zhanzhang"], orgs["city"]
    men = stay.zone_create(by=head, station=city, name="男区", category=ZoneCategory.MEN)
    minors = stay.zone_create(by=head, station=city, name="未成年人区", category=ZoneCategory.MINORS)
    women = stay.zone_create(by=head, station=city, name="女区", category=ZoneCategory.WOMEN)
    (m1,), (c1,), (w1,) = (stay.beds_create(by=head, zone=men, codes=["M1"]),
                           stay.beds_create(by=head, zone=minors, codes=["C1"]),
                           stay.beds_create(by=head, zone=women, codes=["W1"]))
    ten_days = timezone.now() - datetime.timedelta(days=10)
    cast = type("Cast", (), {"reception": staff["jiedai"], "station": city})
    old = admitted_episode(cast, name="老李", age=70, is_elderly=True, at=ten_days)
    child = admitted_episode(cast, name="小周", age=12, is_minor=True, at=ten_days)
    woman = admitted_episode(cast, name="刘女士", sex="女", age=35, at=ten_days)
    for episode, bed in ((old, m1), (child, c1), (woman, w1)):
        stay.bed_assign(by=head, episode=episode, bed=bed, at=ten_days + datetime.timedelta(minutes=5))
    assert seed_dailycare(orgs, staff, timezone.now()) > 20
    assert MealSample.objects.filter(disposed_at__isnull=False).exists()
    assert MealSample.objects.filter(disposed_at__isnull=True).exists()
    assert BasicServiceCheck.objects.filter(episode=old).count() in (4, 6)
    plan = MinorPlan.objects.get(episode=child)
    assert plan.reviews.exists() and plan.temporary_guardianship_from is not None
    assert CarePlan.objects.get(episode=old).group == "elderly"
    assert DvShelter.objects.get(episode=woman).reports.count() == 1
    count = MealRecord.objects.count()
    assert seed_dailycare(orgs, staff, timezone.now()) == 0 and MealRecord.objects.count() == count
