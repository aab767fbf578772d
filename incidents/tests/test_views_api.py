"""Pages and API of the incidents app: login, scope (an outsider gets nothing), who reports, receives, closes."""

import datetime

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentKind, IncidentReport, IncidentStatus, ReportKind, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(cast):
    return services.incident_create(
        by=cast.head,
        station=cast.station,
        kind=IncidentKind.INJURY,
        occurred_at=timezone.now() - datetime.timedelta(hours=2),
        title="受助人员摔伤",
        description="在浴室滑倒，左臂擦伤",
    )


def _now_field():
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def test_it_requires_login(client, incident):
    for url in ("/incidents/", f"/incidents/{incident.uuid}/", "/incidents/new/"):
        assert client.get(url).status_code == 302
    assert client.get("/api/v1/incidents/").status_code == 401


def test_x1_a_station_records_and_reports_and_the_department_receives_by_pages(client, cast):
    client.force_login(cast.carer)
    response = client.post(
        "/incidents/new/",
        {
            "station": str(cast.station.uuid),
            "kind": "injury",
            "occurred_at": _now_field(),
            "title": "受助人员摔伤",
            "description": "在浴室滑倒",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == f"/incidents/{incident.uuid}/"
    client.post(
        f"/incidents/{incident.uuid}/report/",
        {"stage": "station", "kind": "first", "sent_at": _now_field(), "content": "电话报告"},
    )
    report = IncidentReport.objects.get()
    assert report.recipient == cast.county_dept
    client.force_login(cast.county_supervisor)
    assert "待接收的异常情况报告" in client.get("/incidents/").content.decode()
    client.post(
        f"/incidents/reports/{report.uuid}/receive/", {"received_at": _now_field(), "note": "值班室接收"}
    )
    report.refresh_from_db()
    assert report.received_by == cast.county_supervisor and report.receipt_note == "值班室接收"


def test_x1_the_station_cannot_receive_its_own_report_or_close(client_for, cast, incident):
    report = services.report_send(
        by=cast.head, incident=incident, stage=Stage.STATION, kind=ReportKind.WRITTEN, content="书面报告"
    )
    client = client_for(cast.head)
    assert (
        client.post(f"/incidents/reports/{report.uuid}/receive/", {"received_at": _now_field()}).status_code
        == 403
    )
    response = client.post(f"/incidents/{incident.uuid}/close/", {"note": "已处理"})
    assert response.status_code == 403 and "不能自行结案" in response.content.decode()
    api = client.post(
        f"/api/v1/incidents/{incident.uuid}/close", {"note": "已处理"}, content_type="application/json"
    )
    assert api.status_code == 403 and "不能自行结案" in api.json()["message"]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_x1_a_station_cannot_report_for_the_department(client_for, cast, incident):
    response = client_for(cast.head).post(
        f"/api/v1/incidents/{incident.uuid}/reports",
        {"stage": "upper", "kind": "first", "content": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not IncidentReport.objects.exists()


def test_x1_journey_through_the_api(client, cast, incident):
    client.force_login(cast.head)
    url = f"/api/v1/incidents/{incident.uuid}"
    assert (
        client.post(
            url + "/reports",
            {"stage": "station", "kind": "first", "content": "电话报告"},
            content_type="application/json",
        ).status_code
        == 201
    )
    assert (
        client.post(
            url + "/reports",
            {"stage": "station", "kind": "written", "content": "书面报告"},
            content_type="application/json",
        ).status_code
        == 201
    )
    twice = client.post(
        url + "/reports",
        {"stage": "station", "kind": "written", "content": "again"},
        content_type="application/json",
    )
    assert twice.status_code == 400 and "已报送" in twice.json()["message"]
    assert (
        client.post(url + "/handling", {"text": "已送医"}, content_type="application/json").status_code == 201
    )
    client.force_login(cast.county_supervisor)
    gov = client.post(
        url + "/reports",
        {"stage": "government", "kind": "first", "content": "电话报告", "recipient_name": "英德市人民政府"},
        content_type="application/json",
    )
    assert gov.status_code == 201
    closed = client.post(url + "/close", {"note": "处置完毕"}, content_type="application/json").json()
    assert (
        closed["status"] == "closed"
        and len(closed["reports"]) == 3
        and closed["handling"][0]["text"] == "已送医"
    )


def test_x1_bad_input_gets_a_chinese_message_and_saves_nothing(client_for, cast):
    client = client_for(cast.head)
    response = client.post(
        "/api/v1/incidents/",
        {
            "station": str(cast.station.uuid),
            "kind": "nonsense",
            "occurred_at": timezone.now().isoformat(),
            "title": "t",
            "description": "d",
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "类型" in response.json()["message"]
    too_long = client.post(
        "/api/v1/incidents/",
        {
            "station": str(cast.station.uuid),
            "kind": "injury",
            "occurred_at": timezone.now().isoformat(),
            "title": "t" * 101,
            "description": "d",
        },
        content_type="application/json",
    )
    assert too_long.status_code == 422
    future = client.post(
        "/incidents/new/",
        {
            "station": str(cast.station.uuid),
            "kind": "injury",
            "occurred_at": "2099-01-01T10:00",
            "title": "t",
            "description": "d",
        },
    )
    assert future.status_code == 200 and "不能晚于当前时间" in future.content.decode()
    assert not Incident.objects.exists()


def test_it_hides_everything_from_an_outsider(client_for, cast, incident):
    report = services.report_send(
        by=cast.head, incident=incident, stage=Stage.STATION, kind=ReportKind.FIRST, content="电话报告"
    )
    client = client_for(cast.outsider)
    for url in (
        f"/incidents/{incident.uuid}/",
        f"/incidents/{incident.uuid}/print/",
        f"/incidents/{incident.uuid}/report/",
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(f"/incidents/reports/{report.uuid}/receive/", {"received_at": _now_field()}).status_code
        == 404
    )
    assert client.post(f"/incidents/{incident.uuid}/close/", {"note": "x"}).status_code == 404
    assert "受助人员摔伤" not in client.get("/incidents/").content.decode()
    assert client.get("/api/v1/incidents/").json() == []
    assert client.get(f"/api/v1/incidents/{incident.uuid}").status_code == 404
    assert (
        client.post(
            f"/api/v1/incidents/{incident.uuid}/handling", {"text": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    report.refresh_from_db()
    assert report.received_at is None and not incident.handling.exists()


def test_x1_the_ledger_exports_and_prints(client_for, cast, incident):
    client = client_for(cast.county_supervisor)
    response = client.get("/incidents/xlsx/")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    page = client.get(f"/incidents/{incident.uuid}/print/")
    assert page.status_code == 200 and "异常情况报告单" in page.content.decode()
