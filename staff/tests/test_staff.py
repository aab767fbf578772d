"""Rule O6: the staff register, training (at least monthly; off-job in days), tests, the campaign figures."""

import datetime
import decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditEntry
from deadlines.calendar import load_calendar
from deadlines.registry import BUCKET_OVERDUE, discover
from deadlines.selectors import rule_overrides
from deadlines.tests.conftest import local
from staff import services
from staff.models import ExamResult, StaffMember, TrainingSession

pytestmark = pytest.mark.django_db


def _staff(cast, name, **kw):
    data = {"name": name, "post": "照料员", "hired_on": datetime.date(2020, 1, 1), **kw}
    return services.staff_create(by=cast.head, organisation=cast.station, data=data)


def test_o6_the_register_holds_people_without_accounts_and_certificates_need_a_number(cast):
    member = _staff(cast, "梁照料")
    assert member.user is None
    with pytest.raises(ValidationError) as exc:
        _staff(cast, "黄社工", social_worker_cert="social_worker")
    assert "证书编号" in exc.value.message_dict["cert_number"][0]
    with pytest.raises(ValidationError):
        _staff(cast, "名" * 51)
    assert StaffMember.objects.count() == 1


def test_o6_an_update_is_audited_old_to_new(cast):
    member = _staff(cast, "梁照料")
    services.staff_update(
        by=cast.head,
        staff=member,
        data={"name": "梁照料", "post": "寻亲员", "hired_on": datetime.date(2020, 1, 1)},
    )
    entry = AuditEntry.objects.get(object_id=str(member.uuid), action="update")
    assert entry.changes["post"] == ["照料员", "寻亲员"]


def test_o6_attendees_must_be_in_post_at_the_organisation(cast):
    mine = _staff(cast, "梁照料")
    other = services.staff_create(
        by=cast.outsider,
        organisation=cast.other_station,
        data={"name": "外站人员", "post": "接待员", "hired_on": datetime.date(2020, 1, 1)},
    )
    with pytest.raises(ValidationError, match="在职"):
        services.training_create(
            by=cast.head,
            organisation=cast.station,
            topic="消防培训",
            held_at=timezone.now(),
            hours=2,
            kind="internal",
            attendees=[mine, other],
        )
    assert not TrainingSession.objects.exists()


def test_o6_training_is_due_every_month(cast):
    member = _staff(cast, "梁照料")
    rule = discover()["O6"]
    type(cast.station).objects.filter(pk=cast.station.pk).update(created_at=local(2025, 1, 1))
    items = rule.items(local(2026, 4, 2, 9), load_calendar(), overrides=rule_overrides())
    overdue = [i.subject for i in items if i.bucket == BUCKET_OVERDUE]
    assert cast.station in overdue
    with time_machine.travel(local(2026, 3, 20, 9), tick=False):
        session = services.training_create(
            by=cast.head,
            organisation=cast.station,
            topic="消防培训",
            held_at=local(2026, 3, 20, 9),
            hours=2,
            kind="internal",
            attendees=[member],
        )
    items = rule.items(local(2026, 4, 2, 9), load_calendar(), overrides=rule_overrides())
    assert cast.station not in [i.subject for i in items if i.bucket == BUCKET_OVERDUE]
    entry = AuditEntry.objects.get(object_id=str(session.uuid))
    assert entry.changes["attendees"] == [None, ["梁照料（照料员）"]]


def test_o6_campaign_figures_count_off_job_training_of_two_days_tests_and_certificates(cast):
    a = _staff(cast, "甲", social_worker_cert="assistant", cert_number="SG1")
    b = _staff(cast, "乙")
    c = _staff(cast, "丙")
    now = timezone.now()
    services.training_create(
        by=cast.head,
        organisation=cast.station,
        topic="省救助管理培训班",
        held_at=now,
        hours=16,
        days=decimal.Decimal(2),
        kind="off_job",
        attendees=[a, b],
    )
    services.training_create(
        by=cast.head,
        organisation=cast.station,
        topic="市级培训",
        held_at=now,
        hours=8,
        days=decimal.Decimal(1),
        kind="off_job",
        attendees=[c],
    )
    services.exam_record(by=cast.head, staff=c, subject="救助政策", taken_on=timezone.localdate(), score=55)
    services.staff_leave(by=cast.head, staff=b, on=timezone.localdate() - datetime.timedelta(days=0))
    [row] = [
        r
        for r in services.campaign_figures(
            [cast.station], timezone.localdate().replace(month=1, day=1), timezone.localdate()
        )
        if r["organisation"] == cast.station
    ]
    assert (row["staff"], row["off_job_2_days"], row["tested"], row["certified"]) == (3, 2, 1, 1)
    assert ExamResult.objects.get().passed is False


def test_o6_scores_are_between_0_and_100(cast):
    member = _staff(cast, "甲")
    with pytest.raises(ValidationError):
        services.exam_record(
            by=cast.head, staff=member, subject="救助政策", taken_on=timezone.localdate(), score=120
        )
    assert not ExamResult.objects.exists()


def test_it_hides_staff_from_an_outsider_and_a_carer_cannot_change_them(client_for, cast):
    member = _staff(cast, "梁照料")
    client = client_for(cast.outsider)
    assert client.get(f"/staff/{member.uuid}/").status_code == 404
    assert "梁照料" not in client.get("/staff/").content.decode()
    assert client.get("/api/v1/staff/").json() == []
    assert client.get(f"/staff/orgs/{cast.station.uuid}/new/").status_code == 404
    carer = client_for(cast.carer)
    assert carer.get(f"/staff/{member.uuid}/").status_code == 200
    assert (
        carer.post(
            f"/staff/{member.uuid}/", {"name": "改名", "post": "x", "hired_on": "2020-01-01"}
        ).status_code
        == 403
    )
    member.refresh_from_db()
    assert member.name == "梁照料"


def test_o6_pages_and_api_record_training_and_show_the_figures(client, cast):
    member = _staff(cast, "梁照料")
    client.force_login(cast.head)
    response = client.post(
        f"/staff/orgs/{cast.station.uuid}/training/new/",
        {
            "topic": "消防培训",
            "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "hours": "2",
            "kind": "internal",
            "attendees": [str(member.uuid)],
        },
    )
    assert response.status_code == 302 and TrainingSession.objects.count() == 1
    api = client.post(
        "/api/v1/staff/training",
        {
            "organisation": str(cast.station.uuid),
            "topic": "脱产培训",
            "held_at": timezone.now().isoformat(),
            "hours": "16",
            "days": "2",
            "kind": "off_job",
            "attendees": [str(member.uuid)],
        },
        content_type="application/json",
    )
    assert api.status_code == 201, api.content
    assert (
        client.post(
            f"/api/v1/staff/{member.uuid}/exams",
            {"subject": "救助政策", "taken_on": str(timezone.localdate()), "score": "88"},
            content_type="application/json",
        ).status_code
        == 201
    )
    figures = {r["organisation"]: r for r in client.get("/api/v1/staff/figures").json()}
    assert figures[cast.station.name]["off_job_2_days"] == 1 and figures[cast.station.name]["tested"] == 1
    assert "两天及以上脱产培训" in client.get("/staff/figures/").content.decode()
    assert client.get("/staff/training/xlsx/").status_code == 200
