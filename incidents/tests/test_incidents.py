"""Rules X1 and X2: incidents recorded (automatically on death and going missing), reported up the chain with
dated receipts, both report deadlines, handling logged, closed only by the department."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.models import AuditEntry
from deadlines.models import Notification
from deadlines.registry import BUCKET_OVERDUE, BUCKET_SOON, LATE, MET, discover, evaluate
from deadlines.senders import ConsoleSender
from deadlines.tests.conftest import admit, bucket_of, local
from incidents import services
from incidents.models import Incident, IncidentKind, IncidentStatus, ReportKind, Stage
from leaving import services as leaving

pytestmark = pytest.mark.django_db


def _incident(cast, at, kind=IncidentKind.INJURY, **kw):
    return services.incident_create(
        by=cast.head,
        station=cast.station,
        kind=kind,
        occurred_at=at,
        title="受助人员摔伤",
        description="在浴室滑倒",
        **kw,
    )


def test_x1_a_death_recorded_at_departure_opens_an_incident_at_once(cast):
    episode = admit(cast, local(2026, 3, 2, 10))
    with time_machine.travel(local(2026, 3, 5, 8), tick=False):
        leaving.departure_create(
            by=cast.head,
            episode=episode,
            exit_type="death",
            left_at=local(2026, 3, 5, 7),
            data={
                "death_place": "站内医务室",
                "death_cause": "突发心梗（医院诊断）",
                "police_notified": True,
                "hospital_notified": True,
            },
        )
    incident = Incident.objects.get()
    assert incident.kind == IncidentKind.DEATH and incident.auto_opened and incident.episode == episode
    assert incident.occurred_at == local(2026, 3, 5, 7) and "突发心梗" in incident.description
    assert incident.person == episode.person


def test_x1_going_missing_opens_an_incident_and_leaving_by_choice_does_not(cast):
    gone = admit(cast, local(2026, 3, 2, 10))
    home = admit(cast, local(2026, 3, 2, 11), name="乙某")
    with time_machine.travel(local(2026, 3, 5, 8), tick=False):
        leaving.departure_create(
            by=cast.head,
            episode=gone,
            exit_type="missing",
            left_at=local(2026, 3, 5, 6),
            data={
                "circumstances": "夜间巡查时发现其不在床位，监控显示从后门离开",
                "police_notified": True,
                "police_report_ref": "JJ2026-0301",
            },
        )
        leaving.departure_create(
            by=cast.head,
            episode=home,
            exit_type="self",
            left_at=local(2026, 3, 5, 7),
            data={"declaration_signed": True},
        )
    assert list(Incident.objects.values_list("kind", flat=True)) == [IncidentKind.MISSING]


def test_x1_first_report_is_due_within_an_hour_and_written_report_within_24_hours(cast):
    at = local(2026, 3, 2, 10)
    with time_machine.travel(at, tick=False):
        incident = _incident(cast, at)
    assert bucket_of("X1", incident, at + datetime.timedelta(minutes=30)) is not None
    assert bucket_of("X1", incident, at + datetime.timedelta(minutes=61)) == BUCKET_OVERDUE
    assert bucket_of("X1W", incident, at + datetime.timedelta(hours=2)) in (BUCKET_SOON, "today")
    with time_machine.travel(at + datetime.timedelta(minutes=40), tick=False):
        services.report_send(
            by=cast.head, incident=incident, stage=Stage.STATION, kind=ReportKind.FIRST, content="电话报告"
        )
    assert bucket_of("X1", incident, at + datetime.timedelta(minutes=61)) is None
    assert bucket_of("X1W", incident, at + datetime.timedelta(hours=25)) == BUCKET_OVERDUE
    with time_machine.travel(at + datetime.timedelta(hours=30), tick=False):
        services.report_send(
            by=cast.head, incident=incident, stage=Stage.STATION, kind=ReportKind.WRITTEN, content="书面报告"
        )
    [first] = evaluate("X1", as_of=at + datetime.timedelta(days=2))
    [written] = evaluate("X1W", as_of=at + datetime.timedelta(days=2))
    assert (first.status, written.status) == (MET, LATE)


def test_x1_report_times_are_settings(cast, settings):
    settings.GUITU_RULES = {**settings.GUITU_RULES, "X1_FIRST_REPORT_HOURS": 2}
    at = local(2026, 3, 2, 10)
    with time_machine.travel(at, tick=False):
        incident = _incident(cast, at)
    assert bucket_of("X1", incident, at + datetime.timedelta(minutes=90)) != BUCKET_OVERDUE


def test_x1_the_department_reports_on_to_its_government_and_the_department_above(cast):
    at = local(2026, 3, 2, 10)
    with time_machine.travel(at, tick=False):
        incident = _incident(cast, at)
        first = services.report_send(
            by=cast.head, incident=incident, stage=Stage.STATION, kind=ReportKind.FIRST, content="电话报告"
        )
    assert first.recipient == cast.county_dept
    assert bucket_of("X1G", first, at + datetime.timedelta(minutes=70)) == BUCKET_OVERDUE
    assert bucket_of("X1U", first, at + datetime.timedelta(minutes=70)) == BUCKET_OVERDUE
    with time_machine.travel(at + datetime.timedelta(minutes=30), tick=False):
        services.report_receive(by=cast.county_supervisor, report=first)
        gov = services.report_send(
            by=cast.county_supervisor,
            incident=incident,
            stage=Stage.GOVERNMENT,
            kind=ReportKind.FIRST,
            content="电话报告市政府值班室",
            recipient_name="英德市人民政府",
        )
        up = services.report_send(
            by=cast.county_supervisor,
            incident=incident,
            stage=Stage.UPPER,
            kind=ReportKind.FIRST,
            content="电话报告",
        )
    assert up.recipient == cast.city_dept and gov.recipient is None
    assert bucket_of("X1G", first, at + datetime.timedelta(minutes=70)) is None
    assert bucket_of("X1U", first, at + datetime.timedelta(minutes=70)) is None
    first.refresh_from_db()
    assert (
        first.received_at == at + datetime.timedelta(minutes=30)
        and first.received_by == cast.county_supervisor
    )


def test_x1_a_department_cannot_report_on_before_the_station_reported(cast):
    incident = _incident(cast, local(2026, 3, 2, 10))
    with pytest.raises(ValidationError):
        services.report_send(
            by=cast.county_supervisor,
            incident=incident,
            stage=Stage.UPPER,
            kind=ReportKind.FIRST,
            content="x",
        )


def test_x1_each_report_notifies_the_receiving_department_through_the_senders(
    cast, django_capture_on_commit_callbacks
):
    incident = _incident(cast, local(2026, 3, 2, 10))
    ConsoleSender.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_send(
            by=cast.head, incident=incident, stage=Stage.STATION, kind=ReportKind.FIRST, content="电话报告"
        )
    note = Notification.objects.get(organisation=cast.county_dept)
    assert "受助人员摔伤" in note.message
    assert any("受助人员摔伤" in m.body for m in ConsoleSender.sent)


def test_x1_closing_by_the_station_itself_is_refused(cast):
    incident = _incident(cast, local(2026, 3, 2, 10))
    services.report_send(
        by=cast.head, incident=incident, stage=Stage.STATION, kind=ReportKind.WRITTEN, content="书面报告"
    )
    with pytest.raises(ValidationError, match="不能自行结案"):
        services.incident_close(by=cast.head, incident=incident, note="已处理完毕")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_x1_the_department_closes_only_after_the_written_report(cast):
    incident = _incident(cast, local(2026, 3, 2, 10))
    services.report_send(
        by=cast.head, incident=incident, stage=Stage.STATION, kind=ReportKind.FIRST, content="x"
    )
    with pytest.raises(ValidationError, match="书面报告"):
        services.incident_close(by=cast.county_supervisor, incident=incident, note="处置完毕")
    services.report_send(
        by=cast.head, incident=incident, stage=Stage.STATION, kind=ReportKind.WRITTEN, content="y"
    )
    services.handling_add(by=cast.head, incident=incident, text="已送医，伤情稳定")
    services.incident_close(by=cast.county_supervisor, incident=incident, note="处置完毕，整改到位")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED and incident.closed_by == cast.county_supervisor
    entry = AuditEntry.objects.filter(object_id=str(incident.uuid), action="update").get()
    assert entry.changes["status"] == ["open", "closed"]
    with pytest.raises(ValidationError):
        services.handling_add(by=cast.head, incident=incident, text="再补充")


def test_x2_negative_public_opinion_is_recorded(cast):
    incident = _incident(cast, local(2026, 3, 2, 10), kind=IncidentKind.OPINION)
    assert incident.get_kind_display() == "负面舆情"
    assert "X2" in AuditEntry.objects.get(object_id=str(incident.uuid)).summary


def test_x1_one_incident_per_episode_and_kind(cast):
    episode = admit(cast, local(2026, 3, 2, 10))
    _incident(cast, local(2026, 3, 3, 10), episode=episode)
    with pytest.raises(ValidationError):
        _incident(cast, local(2026, 3, 3, 11), episode=episode)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.create(
            number="X-1",
            station=cast.station,
            kind=IncidentKind.INJURY,
            occurred_at=local(2026, 3, 3, 12),
            title="t",
            description="d",
            episode=episode,
            recorded_by=cast.head,
        )


def test_x1_free_text_is_limited_and_nothing_is_saved(cast):
    with pytest.raises(ValidationError):
        services.incident_create(
            by=cast.head,
            station=cast.station,
            kind="injury",
            occurred_at=local(2026, 3, 2),
            title="t" * 101,
            description="d",
        )
    assert not Incident.objects.exists()


def test_x1_rules_are_declared_with_their_settings():
    rules = discover()
    assert (
        rules["X1"].setting == "X1_FIRST_REPORT_HOURS" and rules["X1W"].setting == "X1_WRITTEN_REPORT_HOURS"
    )
    assert {rules[r].app_label for r in ("X1", "X1W", "X1G", "X1U")} == {"incidents"}
