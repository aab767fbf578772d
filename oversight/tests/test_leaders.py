"""Rule O1: leaders assigned by role, contacts on a schedule (settings), follow-up items tracked to closure."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Role, User, UserRole
from deadlines.registry import BUCKET_OVERDUE, discover
from deadlines.tests.conftest import bucket_of, local
from oversight import services
from oversight.models import FollowUpItem, LeaderAssignment, LeaderContact

pytestmark = pytest.mark.django_db


def _leader(cast, username, name, org=None):
    user = User.objects.create_user(
        username=username, password=cast.password, full_name=name, organisation=org or cast.city_dept
    )
    UserRole.objects.create(user=user, role=Role.SUPERVISOR)
    return user


def test_o1_leaders_are_assigned_by_role(cast):
    main = _leader(cast, "main", "林局长")
    with pytest.raises(ValidationError, match="市级"):
        services.leader_assign(
            by=cast.city_supervisor, leader=main, leader_role="main", institution=cast.station
        )
    assignment = services.leader_assign(
        by=cast.city_supervisor, leader=main, leader_role="main", institution=cast.city_station
    )
    assert assignment.department == cast.city_dept
    deputy = _leader(cast, "deputy", "黄副局长")
    with pytest.raises(ValidationError, match="主管"):
        services.leader_assign(
            by=cast.city_supervisor, leader=deputy, leader_role="deputy", institution=cast.other_station
        )
    with pytest.raises(ValidationError, match="救助管理机构"):
        services.leader_assign(
            by=cast.city_supervisor, leader=deputy, leader_role="deputy", institution=cast.hospital
        )
    services.leader_assign(
        by=cast.city_supervisor, leader=deputy, leader_role="deputy", institution=cast.station
    )
    with pytest.raises(ValidationError, match="已有定点联系"):
        services.leader_assign(
            by=cast.city_supervisor, leader=deputy, leader_role="deputy", institution=cast.city_station
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaderAssignment.objects.create(
            department=cast.city_dept,
            leader=deputy,
            leader_role="deputy",
            institution=cast.city_station,
            started_at=timezone.now(),
            assigned_by=cast.city_supervisor,
        )


def test_o1_a_deputy_is_due_every_quarter_and_a_contact_fulfils_it(cast):
    deputy = _leader(cast, "deputy", "黄副局长")
    with time_machine.travel(local(2026, 1, 5, 9), tick=False):
        assignment = services.leader_assign(
            by=cast.city_supervisor, leader=deputy, leader_role="deputy", institution=cast.station
        )
    assert bucket_of("O1D", assignment, local(2026, 4, 2, 9)) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 10, 9), tick=False):
        services.contact_record(
            by=deputy,
            assignment=assignment,
            contacted_at=local(2026, 3, 10, 9),
            method="unannounced",
            problems="夜间值班记录缺失",
            items=[{"text": "补齐夜间值班记录", "due_on": datetime.date(2026, 3, 31)}],
        )
    assert bucket_of("O1D", assignment, local(2026, 4, 2, 9)) is None
    assert (
        discover()["O1M"].recurrence.period == "half_year" and discover()["O1S"].recurrence.period == "month"
    )


def test_o1_the_frequency_is_a_setting(settings):
    settings.GUITU_RULES = {**settings.GUITU_RULES, "O1_SECTION_PERIOD": "week"}
    assert services.leader_period("section") == "week"
    settings.GUITU_RULES = {**settings.GUITU_RULES, "O1_SECTION_PERIOD": "nonsense"}
    assert services.leader_period("section") == "month"


def test_o1_follow_up_items_are_tracked_to_closure(cast):
    deputy = _leader(cast, "deputy", "黄副局长")
    assignment = services.leader_assign(
        by=cast.city_supervisor, leader=deputy, leader_role="deputy", institution=cast.station
    )
    contact = services.contact_record(
        by=deputy,
        assignment=assignment,
        contacted_at=timezone.now(),
        method="site",
        items=[{"text": "补齐夜间值班记录", "due_on": timezone.localdate()}],
    )
    item = contact.items.get()
    with pytest.raises(ValidationError):
        services.followup_close(by=cast.head, item=item, note="")
    services.followup_close(by=cast.head, item=item, note="已补齐")
    item.refresh_from_db()
    assert item.closed_by == cast.head
    with pytest.raises(ValidationError):
        services.contact_record(
            by=deputy, assignment=assignment, contacted_at=timezone.now(), method="site", problems="问" * 1001
        )
    assert LeaderContact.objects.count() == 1 and FollowUpItem.objects.count() == 1


def test_o1_pages_the_leader_sees_what_is_due_and_an_outsider_sees_nothing(client_for, cast):
    deputy = _leader(cast, "deputy", "黄副局长")
    assignment = services.leader_assign(
        by=cast.city_supervisor, leader=deputy, leader_role="deputy", institution=cast.station
    )
    client = client_for(deputy)
    page = client.get("/oversight/leaders/").content.decode()
    assert "我的定点联系" in page and cast.station.name in page
    response = client.post(
        f"/oversight/leaders/{assignment.uuid}/",
        {
            "contacted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "method": "report",
            "problems": "无",
            "item_1": "完善台账",
            "due_1": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302 and LeaderContact.objects.count() == 1
    assert (
        client_for(cast.head)
        .post(
            f"/oversight/leaders/{assignment.uuid}/",
            {"contacted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "method": "report"},
        )
        .status_code
        == 403
    )
    outsider = client_for(cast.outsider)
    assert outsider.get(f"/oversight/leaders/{assignment.uuid}/").status_code == 404
    assert outsider.get("/api/v1/oversight/leaders").json() == []
    assert (
        outsider.post(
            f"/api/v1/oversight/leaders/{assignment.uuid}/contacts",
            {"contacted_at": timezone.now().isoformat(), "method": "site"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert LeaderContact.objects.count() == 1


def test_o1_api_assigns_and_records(client, cast):
    deputy = _leader(cast, "deputy", "黄副局长")
    client.force_login(cast.city_supervisor)
    created = client.post(
        "/api/v1/oversight/leaders",
        {"leader": str(deputy.uuid), "leader_role": "deputy", "institution": str(cast.station.uuid)},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["status"] in ("", "overdue", "today", "soon")
    client.force_login(deputy)
    contact = client.post(
        f"/api/v1/oversight/leaders/{created.json()['uuid']}/contacts",
        {
            "contacted_at": timezone.now().isoformat(),
            "method": "thematic",
            "items": [{"text": "制定防走失方案", "due_on": str(timezone.localdate())}],
        },
        content_type="application/json",
    )
    assert contact.status_code == 201 and contact.json()["items"][0]["text"] == "制定防走失方案"
