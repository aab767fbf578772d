"""Pages and API of the aftercare app: login, scope (an outsider gets nothing), writes by the right
organisation only, Chinese errors with nothing saved, exports."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from aftercare import services
from aftercare.models import FollowUpVisit, ReturnCase, RiskRegistration
from aftercare.tests.conftest import send_home

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cast, local_net):
    now = timezone.now()
    departure = send_home(
        cast,
        "页面返乡人",
        admitted=now - datetime.timedelta(days=4),
        left=now - datetime.timedelta(days=2),
        hukou=local_net.v_div,
    )
    return ReturnCase.objects.get(episode=departure.episode)


def test_pages_require_login(client, case):
    for url in (
        reverse("aftercare:home"),
        reverse("aftercare:case", args=[case.uuid]),
        reverse("aftercare:rates"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_ledger_page_shows_the_entry_to_the_station_township_and_village(
    client_for, cast, local_net, case
):
    for user in (cast.reception, local_net.township_head, local_net.village_contact, cast.county_supervisor):
        body = client_for(user).get(reverse("aftercare:home")).content.decode()
        assert "页面返乡人" in body, user


def test_a_user_of_another_organisation_gets_nothing(client_for, cast, local_net, case):
    client = client_for(cast.outsider)
    assert "页面返乡人" not in client.get(reverse("aftercare:home")).content.decode()
    assert client.get(reverse("aftercare:case", args=[case.uuid])).status_code == 404
    assert (
        client.post(
            reverse("aftercare:followup_new", args=[case.uuid]),
            {"visited_at": "2026-01-01T10:00", "method": "home", "situation": "x"},
        ).status_code
        == 404
    )
    client = client_for(local_net.other_township_head)
    assert client.get(reverse("aftercare:case", args=[case.uuid])).status_code == 404
    assert client.get("/api/v1/aftercare/cases").json() == []
    assert client.get(f"/api/v1/aftercare/cases/{case.uuid}").status_code == 404
    assert not FollowUpVisit.objects.exists()


def test_a_read_only_supervisor_may_look_but_not_write(client_for, cast, case):
    client = client_for(cast.county_supervisor)
    assert client.get(reverse("aftercare:case", args=[case.uuid])).status_code == 200
    assert client.get(reverse("aftercare:followup_new", args=[case.uuid])).status_code == 403
    response = client.post(
        f"/api/v1/aftercare/cases/{case.uuid}/visits",
        content_type="application/json",
        data={"visited_at": timezone.now().isoformat(), "method": "home", "situation": "x"},
    )
    assert response.status_code == 403
    assert not FollowUpVisit.objects.exists()


def test_a2_the_village_contact_records_a_visit_on_the_phone_page(client_for, local_net, case):
    client = client_for(local_net.village_contact)
    url = reverse("aftercare:followup_new", args=[case.uuid])
    assert 'name="viewport"' in client.get(url).content.decode()
    at = timezone.localtime() - datetime.timedelta(hours=1)
    response = client.post(
        url,
        {
            "visited_at": at.strftime("%Y-%m-%dT%H:%M"),
            "method": "home",
            "at_home": "on",
            "situation": "在家，精神状态良好",
        },
    )
    assert response.status_code == 302
    visit = FollowUpVisit.objects.get()
    assert visit.organisation == local_net.village


def test_a2_a_visit_before_the_return_gets_a_chinese_message_and_nothing_saved(client_for, local_net, case):
    client = client_for(local_net.township_head)
    before = timezone.localtime(case.returned_at) - datetime.timedelta(days=1)
    response = client.post(
        reverse("aftercare:followup_new", args=[case.uuid]),
        {"visited_at": before.strftime("%Y-%m-%dT%H:%M"), "method": "home", "situation": "x"},
    )
    assert response.status_code == 200 and "不能早于返乡时间" in response.content.decode()
    response = client.post(
        f"/api/v1/aftercare/cases/{case.uuid}/visits",
        content_type="application/json",
        data={"visited_at": before.isoformat(), "method": "home", "situation": "x"},
    )
    assert response.status_code == 400 and "不能早于返乡时间" in response.json()["message"]
    assert not FollowUpVisit.objects.exists()


def test_free_text_limits_hold_in_the_form_and_the_api(client_for, local_net, case):
    client = client_for(local_net.township_head)
    now = timezone.localtime()
    response = client.post(
        reverse("aftercare:followup_new", args=[case.uuid]),
        {"visited_at": now.strftime("%Y-%m-%dT%H:%M"), "method": "home", "situation": "长" * 1001},
    )
    assert response.status_code == 200
    response = client.post(
        f"/api/v1/aftercare/cases/{case.uuid}/visits",
        content_type="application/json",
        data={"visited_at": now.isoformat(), "method": "home", "situation": "长" * 1001},
    )
    assert response.status_code == 422
    response = client.post(
        f"/api/v1/aftercare/cases/{case.uuid}/visits",
        content_type="application/json",
        data={"visited_at": now.isoformat(), "method": "nonsense", "situation": "x"},
    )
    assert response.status_code == 400
    assert not FollowUpVisit.objects.exists()


def test_a1_the_township_decides_a_referral_through_the_api(client_for, cast, local_net, case):
    client = client_for(local_net.village_contact)
    response = client.post(
        f"/api/v1/aftercare/cases/{case.uuid}/referrals",
        content_type="application/json",
        data={"kind": "dibao", "reason": "无收入"},
    )
    assert response.status_code == 201
    ref = response.json()["uuid"]
    response = client.post(
        f"/api/v1/aftercare/referrals/{ref}/decision",
        content_type="application/json",
        data={"status": "granted", "outcome": "x"},
    )
    assert response.status_code == 403
    client = client_for(local_net.township_head)
    response = client.post(
        f"/api/v1/aftercare/referrals/{ref}/decision",
        content_type="application/json",
        data={"status": "granted", "outcome": "已纳入低保"},
    )
    assert response.status_code == 200 and response.json()["status"] == "granted"


def test_a3_registry_and_alert_through_the_pages(client_for, cast, local_net, case):
    client = client_for(local_net.township_head)
    response = client.post(
        reverse("aftercare:registration_from_case", args=[case.uuid]),
        {
            "township": local_net.township.pk,
            "village": local_net.village.pk,
            "station": cast.station.pk,
            "repeated_wandering": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reg = RiskRegistration.objects.get()
    assert reg.name == "页面返乡人" and reg.person == case.person
    response = client.post(
        reverse("aftercare:registration_wandering", args=[reg.uuid]),
        {"last_seen_on": timezone.localdate().isoformat(), "last_seen_place": "县城车站"},
    )
    assert response.status_code == 302
    alert = reg.alerts.get()
    staff = client_for(cast.reception)
    assert "页面返乡人" in staff.get(reverse("aftercare:alerts") + "?open=1").content.decode()
    assert staff.post(reverse("aftercare:alert_ack", args=[alert.uuid])).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast.reception


def test_exports_are_formula_safe_and_audited(client_for, cast, local_net, case):
    from core.models import AuditEntry

    services.family_report_record(by=local_net.village_contact, case=case, report='=HYPERLINK("x")')
    client = client_for(cast.head)
    for name in ("export_ledger", "export_visits", "export_registry"):
        response = client.get(reverse(f"aftercare:{name}"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        if name == "export_ledger":
            import io

            from openpyxl import load_workbook

            cells = [
                c
                for row in load_workbook(io.BytesIO(response.content)).active.iter_rows()
                for c in row
                if isinstance(c.value, str) and "HYPERLINK" in c.value
            ]
            assert cells and all(c.data_type == "s" for c in cells)
    assert AuditEntry.objects.filter(action="export", object_type__startswith="aftercare.").count() == 3


def test_rates_page_shows_each_station(client_for, cast, case):
    body = client_for(cast.city_supervisor).get(reverse("aftercare:rates")).content.decode()
    assert cast.station.name in body and "页面返乡人" in body


def test_the_api_takes_naive_times_and_refuses_nul_without_a_500(client_for, local_net, case):
    client = client_for(local_net.township_head)
    naive = timezone.localtime().replace(tzinfo=None) - datetime.timedelta(minutes=10)
    response = client.post(f"/api/v1/aftercare/cases/{case.uuid}/visits", content_type="application/json",
                           data={"visited_at": naive.isoformat(), "method": "phone", "situation": "电话联系"})
    assert response.status_code == 201
    response = client.post(f"/api/v1/aftercare/cases/{case.uuid}/family-report", content_type="application/json",
                           data={"family_report": "与母亲\x00同住"})
    assert response.status_code == 400  # refused by the service ("空字符") or earlier, when the body is parsed
    case.refresh_from_db()
    assert case.family_report == ""
    assert client.get("/aftercare/registry/?q=a%00b").status_code == 200
