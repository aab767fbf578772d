"""The demo city's campaign seeds through the services and its table shows every column."""

import pytest
from django.utils import timezone

from campaign import columns as cols
from campaign import selectors
from campaign.models import Campaign, Declaration, Submission
from core.demo import seed_organisations, seed_users
from core.models import AuditEntry, User

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_campaign_with_declarations_and_a_submission_once(settings, tmp_path):
    from guitu.demo_campaign import seed_campaign

    settings.MEDIA_ROOT = tmp_path
    orgs = seed_organisations()
    seed_users(orgs)
    staff = {u.username: u for u in User.objects.all()}
    now = timezone.now()
    assert seed_campaign(orgs, staff, now) == 3
    campaign = Campaign.objects.get()
    assert campaign.dates.count() == 3 and Declaration.objects.count() == 3 and Submission.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="campaign.Declaration", action="create").count() == 3
    data = selectors.table(user=staff["tongji"], campaign=campaign, as_of=timezone.localdate())
    assert len(data["total"]["cells"]) == len(cols.COLUMNS)
    assert data["total"]["cells"][[c.key for c in cols.COLUMNS].index("patrol_duties")] == 2
    assert seed_campaign(orgs, staff, now) == 0
