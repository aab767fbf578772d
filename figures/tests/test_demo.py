"""The demo city's statistics seed through the services: the summary tables refreshed and quarterly reports
in every state, once."""

import pytest
from django.utils import timezone

from core.demo import seed_organisations, seed_users
from core.models import User
from figures.models import QuarterlyReport, RefreshRun, ReportStatus

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_quarterly_reports_in_every_state_once(settings, tmp_path):
    from guitu.demo_figures import seed_figures

    settings.MEDIA_ROOT = str(tmp_path)
    orgs = seed_organisations()
    seed_users(orgs)
    staff = {u.username: u for u in User.objects.all()}
    assert seed_figures(orgs, staff, timezone.now()) == 5
    assert RefreshRun.objects.exists()
    states = set(QuarterlyReport.objects.values_list("status", flat=True))
    assert {ReportStatus.ACKNOWLEDGED, ReportStatus.SUBMITTED, ReportStatus.DRAFT} <= states
    older = QuarterlyReport.objects.filter(organisation=orgs["city"]).order_by("year", "quarter").first()
    assert [s.state_label for s in older.submissions.order_by("sequence")] == ["已退回", "已接收"]
    consolidated = QuarterlyReport.objects.get(organisation=orgs["yd_bureau"])
    assert consolidated.figures["kind"] == "consolidated" and consolidated.figures["parts"]
    assert seed_figures(orgs, staff, timezone.now()) == 0
