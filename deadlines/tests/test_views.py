"""Pages and API of the deadlines app: login, scope (outsiders see nothing), read-only supervisors (403),
owners act; the inbox shows a tracer's overdue T3 with a link; the supervisors' overview."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from deadlines import services
from deadlines.models import HolidayCalendar, Notification, RuleSetting
from deadlines.tests.conftest import admit, local

pytestmark = pytest.mark.django_db

PAGES = ["deadlines:inbox", "deadlines:overview", "deadlines:rules", "deadlines:calendar"]


@pytest.fixture
def overdue(cast):
    """Someone admitted a day and a half ago at the county station: T1 and T3 overdue, scanned."""
    now = local(2026, 3, 3, 22)
    ep = admit(cast, local(2026, 3, 2, 10), name="寻亲测试人")
    with time_machine.travel(now, tick=False):
        services.snapshot_take()
    traveller = time_machine.travel(now, tick=False)
    traveller.start()
    yield ep
    traveller.stop()


@pytest.mark.parametrize("name", PAGES)
def test_it_requires_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_tracer_sees_the_overdue_t3_with_the_rule_in_plain_chinese_and_a_link(cast, client_for, overdue):
    body = client_for(cast.tracer).get(reverse("deadlines:inbox")).content.decode()
    assert "寻亲测试人" in body and "入站24小时内发布寻亲公告" in body and "去办理" in body
    assert reverse("announcements:new", args=[overdue.person.uuid]) in body
    assert "待办（" in body  # the badge in the navigation
    assert "延长在站原因" not in body  # N5 is the head's task, and not due yet


def test_the_outsider_sees_nothing_of_the_station(cast, client_for, overdue):
    for name in PAGES:
        body = client_for(cast.outsider).get(reverse(name)).content.decode()
        assert "寻亲测试人" not in body and overdue.number not in body, name


def test_a_supervisor_sees_overdue_items_by_station_and_rule_and_rates(cast, client_for, overdue):
    response = client_for(cast.city_supervisor).get(reverse("deadlines:overview"))
    body = response.content.decode()
    assert response.status_code == 200 and "英德市救助管理站" in body and "按时完成率" in body
    assert "寻亲测试人" not in body  # counts, not people
    past = client_for(cast.city_supervisor).get(reverse("deadlines:overview"), {"as_of": "2026-03-02T12:00"})
    assert "辖区内没有逾期事项" in past.content.decode()


def test_the_escalation_reaches_the_supervising_department(cast, client_for, overdue):
    body = client_for(cast.county_supervisor).get(reverse("deadlines:inbox")).content.decode()
    assert "逾期上报" in body and "英德市救助管理站" in body


def test_marking_a_notification_read_outsider_404_supervisor_403_owner_ok(cast, client_for, overdue):
    note = Notification.objects.filter(organisation=cast.station, role="tracer").first()
    url = reverse("deadlines:notification_read", args=[note.uuid])
    assert client_for(cast.outsider).post(url).status_code == 404
    assert client_for(cast.county_supervisor).post(url).status_code == 403
    note.refresh_from_db()
    assert note.read_at is None
    assert client_for(cast.tracer).post(url).status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None


def test_rules_page_lists_every_rule_and_only_administrators_change_thresholds(cast, client_for):
    body = client_for(cast.tracer).get(reverse("deadlines:rules")).content.decode()
    assert "T5" in body and "7个工作日" in body
    for user in (cast.county_supervisor, cast.head, cast.outsider):
        assert client_for(user).post(reverse("deadlines:rules"), {"rule_id": "T1", "amount": 6}).status_code == 403
    assert not RuleSetting.objects.exists()
    response = client_for(cast.admin).post(reverse("deadlines:rules"), {"rule_id": "T1", "amount": 48}, follow=True)
    assert "只能设置得更严格" in response.content.decode() and not RuleSetting.objects.exists()
    client_for(cast.admin).post(reverse("deadlines:rules"), {"rule_id": "T1", "amount": 12})
    assert RuleSetting.objects.get().amount == 12


def test_calendar_page_shows_the_missing_year_and_administrators_add_and_import(cast, client_for):
    with time_machine.travel(local(2026, 11, 22, 9), tick=False):
        body = client_for(cast.tracer).get(reverse("deadlines:calendar"), {"year": 2026}).content.decode()
        assert "2027年的法定节假日尚未登记" in body and "2026-02-14" in body and "调休上班日" in body
        home = client_for(cast.admin).get(reverse("home")).content.decode()
        assert "2027年" in home and "尚未登记" in home
    before = HolidayCalendar.objects.count()
    for user in (cast.county_supervisor, cast.head, cast.outsider):
        response = client_for(user).post(reverse("deadlines:calendar"), {"action": "add", "date": "2027-02-06",
                                                                        "kind": "holiday", "name": "春节"})
        assert response.status_code == 403
    assert HolidayCalendar.objects.count() == before
    client_for(cast.admin).post(reverse("deadlines:calendar"), {"action": "add", "date": "2027-02-06",
                                                               "kind": "holiday", "name": "春节"})
    assert HolidayCalendar.objects.filter(date=datetime.date(2027, 2, 6)).exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("h.csv", "2027-02-07,sometimes,春节\n".encode())
    response = client_for(cast.admin).post(reverse("deadlines:calendar"), {"action": "import", "file": bad})
    assert "类型应为" in response.content.decode()
    good = SimpleUploadedFile("h.csv", "date,kind,name\n2027-02-07,休,春节\n2027-02-08,休,春节\n".encode())
    client_for(cast.admin).post(reverse("deadlines:calendar"), {"action": "import", "file": good})
    assert HolidayCalendar.objects.filter(date__year=2027).count() == 3
    client_for(cast.admin).post(reverse("deadlines:calendar"), {"action": "delete", "date": "2027-02-08"})
    assert HolidayCalendar.objects.filter(date__year=2027).count() == 2


def test_the_inbox_warns_on_deadlines_computed_with_the_monday_to_friday_fallback(cast, client_for):
    admit(cast, local(2026, 12, 28, 9), name="跨年测试人")
    with time_machine.travel(local(2027, 1, 5, 9), tick=False):
        body = client_for(cast.tracer).get(reverse("deadlines:inbox")).content.decode()
    assert "按周一至周五估算" in body and "2027" in body


# --- API ---------------------------------------------------------------------------------------------


API = "/api/v1/deadlines"


def test_api_requires_authentication(client):
    for path in ("/inbox", "/overview", "/rules", "/calendar?year=2026", "/notifications", "/outcomes?rule=T1"):
        assert client.get(API + path).status_code == 401


def test_api_inbox_overview_and_outcomes_follow_the_scope(cast, client_for, overdue):
    data = client_for(cast.tracer).get(API + "/inbox").json()
    assert data["counts"]["overdue"] >= 2 and {"T1", "T3"} <= {i["rule"] for i in data["items"]}
    assert client_for(cast.outsider).get(API + "/inbox").json()["items"] == []
    rows = client_for(cast.city_supervisor).get(API + "/overview").json()["rows"]
    assert rows[0]["organisation"] == "英德市救助管理站" and rows[0]["overdue"]["T3"] == 1
    assert client_for(cast.outsider).get(API + "/overview").json()["rows"] == []
    outcomes = client_for(cast.county_supervisor).get(API + "/outcomes", {"rule": "T3"}).json()
    assert [o["status"] for o in outcomes] == ["overdue"]
    assert client_for(cast.outsider).get(API + "/outcomes", {"rule": "T3"}).json() == []
    bad = client_for(cast.tracer).get(API + "/outcomes", {"rule": "X9"})
    assert bad.status_code == 400 and "没有编号为 X9" in bad.json()["message"]


def test_api_notifications_outsider_404_supervisor_403_owner_marks_read(cast, client_for, overdue):
    note = Notification.objects.filter(organisation=cast.station, role="tracer").first()
    url = f"{API}/notifications/{note.uuid}/read"
    assert client_for(cast.outsider).post(url).status_code == 404
    assert client_for(cast.outsider).get(f"{API}/notifications/{note.uuid}").status_code == 404
    assert client_for(cast.county_supervisor).get(f"{API}/notifications/{note.uuid}").status_code == 200
    assert client_for(cast.county_supervisor).post(url).status_code == 403
    note.refresh_from_db()
    assert note.read_at is None
    assert client_for(cast.tracer).post(url).json()["read_at"]


def test_api_calendar_and_rule_settings_are_for_administrators(cast, client_for):
    days = client_for(cast.tracer).get(API + "/calendar", {"year": 2026}).json()
    assert {"date": "2026-02-14", "kind": "workday", "name": "春节"} in days
    payload = {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}
    before = HolidayCalendar.objects.count()
    assert client_for(cast.county_supervisor).post(API + "/calendar", payload, content_type="application/json"
                                                   ).status_code == 403
    assert HolidayCalendar.objects.count() == before
    assert client_for(cast.admin).post(API + "/calendar", payload, content_type="application/json").status_code == 201
    bad = client_for(cast.admin).post(API + "/calendar", {**payload, "kind": "maybe"}, content_type="application/json")
    assert bad.status_code == 400 and "类型应为" in bad.json()["message"]
    url = API + "/rules/settings/T3"
    assert client_for(cast.head).put(url, {"amount": 12}, content_type="application/json").status_code == 403
    assert client_for(cast.admin).put(url, {"amount": 12}, content_type="application/json").json()["amount"] == 12
    rules = {r["id"]: r for r in client_for(cast.tracer).get(API + "/rules").json()}
    assert rules["T3"]["effective_amount"] == 12 and rules["T3"]["default_amount"] == 24
