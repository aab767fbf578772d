"""Rule O4: quarterly reports — generated after the quarter, reviewed and submitted by the station, frozen as
issued, acknowledged or returned by the department, consolidated by the department and submitted upward."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.models import Role, User, UserRole
from figures import services
from figures.models import QuarterlyReport, RefreshTrigger, ReportStatus
from figures.refresh import refresh
from figures.tests.fixture import TZ

pytestmark = pytest.mark.django_db

APRIL = datetime.datetime(2025, 4, 3, 10, 0, tzinfo=TZ)


def requested(figures) -> int:
    return figures["measures"]["requested"]["all"][""]


@pytest.fixture
def county_head(cast):
    """The county department's supervisor signs and submits its consolidated report."""
    return cast.county_supervisor


def test_o4_a_quarter_is_reported_only_after_it_ends(cast, quarter):
    with time_machine.travel(datetime.datetime(2025, 3, 31, 20, 0, tzinfo=TZ), tick=False):
        with pytest.raises(ValidationError, match="尚未结束"):
            services.report_generate(by=cast.head, organisation=cast.station, year=2025, quarter=1)
    assert not QuarterlyReport.objects.exists()


def test_o4_station_generates_reviews_and_submits_a_frozen_snapshot(cast, quarter):
    with time_machine.travel(APRIL, tick=False):
        report = services.report_generate(by=cast.head, organisation=cast.station, year=2025, quarter=1)
        assert report.status == ReportStatus.DRAFT
        assert requested(report.figures) == 3
        assert report.figures["measures"]["identified"]["method"] == {"dna": 1}
        assert report.figures["care_end"]["all"][""] == 1
        with pytest.raises(ValidationError, match="不能变为"):
            services.report_submit(by=cast.head, report=report)  # a draft is reviewed first
        with pytest.raises(PermissionDenied):
            services.report_review(by=cast.reception, report=report)
        services.report_review(by=cast.head, report=report, note="核对无误")
        submission = services.report_submit(by=cast.head, report=report)
    assert submission.submitted_to == cast.county_dept and submission.sequence == 1
    frozen = submission.figures
    # later records change the summary tables, never what was issued
    from figures.testing import bulk_episodes

    bulk_episodes(stations=[cast.station], by=cast.reception, count=20, start=datetime.date(2025, 1, 1), days=60)
    refresh(trigger=RefreshTrigger.COMMAND, full=True)
    submission.refresh_from_db()
    assert submission.figures == frozen and requested(submission.figures) == 3
    with pytest.raises(ValidationError):
        services.report_generate(by=cast.head, organisation=cast.station, year=2025, quarter=1)  # submitted


def test_o4_the_department_acknowledges_or_returns_and_the_station_resubmits(cast, quarter):
    with time_machine.travel(APRIL, tick=False):
        report = services.report_generate(by=cast.head, organisation=cast.station, year=2025, quarter=1)
        services.report_review(by=cast.head, report=report)
        services.report_submit(by=cast.head, report=report)
        with pytest.raises(PermissionDenied):
            services.report_acknowledge(by=cast.head, report=report)  # not the receiving body
        with pytest.raises(ValidationError, match="退回原因"):
            services.report_return(by=cast.county_supervisor, report=report, reason=" ")
        first = services.report_return(by=cast.county_supervisor, report=report, reason="求助原因分类有误")
        report.refresh_from_db()
        assert report.status == ReportStatus.RETURNED
        with pytest.raises(ValidationError):
            services.report_review(by=cast.head, report=report)  # returned → generated again first
        services.report_generate(by=cast.head, organisation=cast.station, year=2025, quarter=1)
        report.refresh_from_db()
        services.report_review(by=cast.head, report=report)
        second = services.report_submit(by=cast.head, report=report)
        services.report_acknowledge(by=cast.county_supervisor, report=report)
        report.refresh_from_db()
        with pytest.raises(ValidationError):
            services.report_acknowledge(by=cast.county_supervisor, report=report)
    first.refresh_from_db()
    second.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED
    assert (first.sequence, first.returned_at is not None, first.return_reason) == (1, True, "求助原因分类有误")
    assert (second.sequence, second.acknowledged_by) == (2, cast.county_supervisor)


def test_o4_one_report_per_organisation_and_quarter_is_a_database_rule(cast, quarter):
    with time_machine.travel(APRIL, tick=False):
        report = services.report_generate(by=cast.head, organisation=cast.station, year=2025, quarter=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuarterlyReport.objects.create(organisation=cast.station, year=2025, quarter=1, generated_at=report.generated_at,
                                       generated_by=cast.head)


def test_o4_departments_consolidate_their_stations_and_submit_upward(cast, quarter):
    city_head = User.objects.create_user(username="qy_head", password="x", organisation=cast.city_station)
    UserRole.objects.create(user=city_head, role=Role.HEAD)
    with time_machine.travel(APRIL, tick=False):
        for by, org in ((cast.head, cast.station), (city_head, cast.city_station)):
            report = services.report_generate(by=by, organisation=org, year=2025, quarter=1)
            services.report_review(by=by, report=report)
            services.report_submit(by=by, report=report)
        county = services.report_generate(by=cast.county_supervisor, organisation=cast.county_dept, year=2025, quarter=1)
        assert county.figures["kind"] == "consolidated"
        assert requested(county.figures) == 3 and county.figures["missing"] == []
        city_early = services.report_generate(by=cast.city_supervisor, organisation=cast.city_dept, year=2025, quarter=1)
        assert requested(city_early.figures) == 1  # only 清远站 so far; 英德市民政局 has not submitted
        assert "英德市民政局" in city_early.figures["missing"]
        services.report_review(by=cast.county_supervisor, report=county)
        services.report_submit(by=cast.county_supervisor, report=county)
        city = services.report_generate(by=cast.city_supervisor, organisation=cast.city_dept, year=2025, quarter=1)
    assert requested(city.figures) == 4
    assert {p["organisation"] for p in city.figures["parts"]} == {"英德市民政局", "清远市救助管理站"}
    # the top department has nobody above it in this cast
    with time_machine.travel(APRIL, tick=False):
        services.report_review(by=cast.city_supervisor, report=city)
        with pytest.raises(ValidationError, match="没有上级"):
            services.report_submit(by=cast.city_supervisor, report=city)


def test_o4_deadline_is_due_after_the_quarter_and_met_by_the_submission(cast, quarter, settings):
    from core.models import Organisation
    from deadlines.tests.conftest import bucket_of

    settings.GUITU_RULES = {**settings.GUITU_RULES, "O4_STATION_REPORT_DAYS": 10}
    Organisation.objects.filter(pk=cast.station.pk).update(created_at=datetime.datetime(2025, 1, 1, tzinfo=TZ))
    assert bucket_of("O4", cast.station, datetime.datetime(2025, 4, 12, 10, 0, tzinfo=TZ)) == "overdue"
    with time_machine.travel(APRIL, tick=False):
        report = services.report_generate(by=cast.head, organisation=cast.station, year=2025, quarter=1)
        services.report_review(by=cast.head, report=report)
        services.report_submit(by=cast.head, report=report)
    assert bucket_of("O4", cast.station, datetime.datetime(2025, 4, 12, 10, 0, tzinfo=TZ)) is None


def test_o4_an_unrelated_organisation_never_sees_the_report(client, cast, quarter):
    with time_machine.travel(APRIL, tick=False):
        report = services.report_generate(by=cast.head, organisation=cast.station, year=2025, quarter=1)
    client.force_login(cast.outsider)
    assert client.get(f"/figures/reports/{report.uuid}/").status_code == 404
    assert client.post(f"/figures/reports/{report.uuid}/review/").status_code == 404
    assert client.get(f"/api/v1/figures/reports/{report.uuid}").status_code == 404
    assert "英德" not in client.get("/figures/reports/").content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
