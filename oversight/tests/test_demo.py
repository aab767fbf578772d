"""The demo city's oversight year seeds through the services, quickly, and only once."""

import pytest
from django.utils import timezone

from core.demo import seed_organisations, seed_users
from core.models import User
from oversight import services
from oversight.models import (
    ChecklistItem,
    FollowUpItem,
    Hazard,
    HazardStatus,
    Inspection,
    LeaderAssignment,
    LeaderContact,
    Opinion,
    OpinionStatus,
    PanelMeeting,
)

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_year_of_inspections_and_hazards_once(settings, tmp_path):
    from guitu.demo_oversight import seed_oversight

    settings.MEDIA_ROOT = str(tmp_path)
    orgs = seed_organisations()
    seed_users(orgs)
    staff = {u.username: u for u in User.objects.all()}
    from guitu.demo_oversight import seed_panels

    assert seed_panels(orgs, staff, timezone.now()) == 33
    counts = seed_oversight(orgs, staff, timezone.now())
    assert ChecklistItem.objects.count() == 14
    assert counts["inspections"] == Inspection.objects.count() >= 15
    assert Hazard.objects.filter(status=HazardStatus.CLOSED).exists()
    assert Hazard.objects.exclude(status=HazardStatus.CLOSED).exists()
    for hazard in Hazard.objects.filter(accepted_by__isnull=False):
        assert hazard.accepted_by_id != hazard.rectified_by_id  # rule O3
    assert seed_oversight(orgs, staff, timezone.now()) == {}
    assert not services.panel_issues(orgs["city"]) and PanelMeeting.objects.count() == 8
    assert Opinion.objects.filter(status=OpinionStatus.ACCEPTED).exists()
    assert Opinion.objects.filter(status=OpinionStatus.OPEN).exists()
    assert LeaderAssignment.objects.count() == 4 and LeaderContact.objects.count() >= 12
    assert FollowUpItem.objects.filter(closed_at__isnull=False).exists()


def test_o5_the_demo_seeds_a_years_indicators_and_a_concluded_assessment_whose_shortfalls_are_hazards(
    settings, tmp_path
):
    from guitu.demo_oversight import seed_assessments
    from oversight.models import Assessment, AssessmentStatus, HazardCategory, IndicatorSet

    settings.MEDIA_ROOT = str(tmp_path)
    orgs = seed_organisations()
    seed_users(orgs)
    staff = {u.username: u for u in User.objects.all()}
    now = timezone.now()
    counts = seed_assessments(orgs, staff, now)
    last = IndicatorSet.objects.get(year=now.year - 1)
    assert last.indicators.count() == 11 and sum(i.weight for i in last.indicators.all()) == 100
    done = Assessment.objects.get(status=AssessmentStatus.CONCLUDED)
    assert done.station == orgs["city"] and done.evaluator_org == orgs["panel"]
    hazards = Hazard.objects.filter(category=HazardCategory.ASSESSMENT)
    assert counts["assessment_hazards"] == hazards.count() == 2
    assert all(h.source == f"考核评价 {done.number}" for h in hazards)
    closed = hazards.get(status=HazardStatus.CLOSED)
    assert closed.accepted_by_id != closed.rectified_by_id  # rules O5, O3
    assert hazards.filter(status=HazardStatus.PENDING).exists()
    assert services.indicator_set_frozen(last)
    assert seed_assessments(orgs, staff, now) == {}
