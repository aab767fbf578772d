"""Pages and API of outside care: who sees what (station, hospital, facility, outsiders), and every refusal
in Chinese with nothing saved."""

import base64
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from core.testing import _user, audit_writes
from outsidecare import services, testing
from outsidecare.models import Agreement, ConditionReport, Visit
from outsidecare.tests.conftest import hospitalise, place

pytestmark = pytest.mark.django_db
API = "/api/v1/outsidecare"


@pytest.fixture
def other_facility_user(cast):
    other = testing.facility("韶关市托养中心", "SGTY", cast=cast)
    return _user("other_fac", "别家护理", other, Role.CARER)


def test_c5_a_facility_user_sees_only_the_people_placed_with_it(cast, client_for, facility, agreement,
                                                                facility_user, other_facility_user):
    mine = place(cast, facility, name="本院甲")
    hospitalise(cast, name="住院乙")
    page = client_for(facility_user).get(reverse("outsidecare:home")).content.decode()
    assert "本院甲" in page and "住院乙" not in page
    home = client_for(facility_user).get(reverse("home")).content.decode()
    assert "home-holder" in home and "本院甲" not in home  # numbers only on the home page (no read audit there)
    listed = client_for(facility_user).get(f"{API}/placements").json()
    assert [p["person"] for p in listed] == ["本院甲"]
    # another facility's user gets nothing
    other = client_for(other_facility_user)
    assert "本院甲" not in other.get(reverse("outsidecare:home")).content.decode()
    assert other.get(reverse("outsidecare:placement", args=[mine.uuid])).status_code == 404
    assert other.get(f"{API}/placements").json() == []
    assert other.get(reverse("outsidecare:agreement", args=[agreement.uuid])).status_code == 404


def test_c5_outsiders_get_nothing_and_change_nothing(cast, client_for, facility, agreement, other_facility_user):
    p = place(cast, facility, name="保密人")
    visit = services.visit_create(by=cast.carer, station=cast.station, organisation=facility,
                                  visited_at=timezone.now() - datetime.timedelta(hours=1), visitors="赵", safety="好",
                                  rows=[{"placement": p, "care": "好", "physical": "好", "mental": "好"}])
    before = audit_writes()
    for user in (cast.outsider, other_facility_user):
        client = client_for(user)
        for url in (reverse("outsidecare:agreement", args=[agreement.uuid]),
                    reverse("outsidecare:visit", args=[visit.uuid]),
                    reverse("outsidecare:placement", args=[p.uuid]),
                    reverse("outsidecare:visit_new", args=[p.uuid]),
                    reverse("outsidecare:condition_report_new", args=[p.uuid]),
                    reverse("outsidecare:inspect", args=[agreement.uuid])):
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"condition": "x"}).status_code == 404, url
        for path in (f"{API}/agreements", f"{API}/visits", f"{API}/reports", f"{API}/bringback"):
            assert "保密人" not in client.get(path).content.decode()
        assert client.get(f"{API}/agreements/{agreement.uuid}").status_code == 404
        assert client.post(f"{API}/placements/{p.uuid}/reports", {"condition": "x"},
                           content_type="application/json").status_code == 404
    assert audit_writes() == before


def test_c4_the_hospital_writes_condition_reports_the_station_only_reads_them(cast, client_for, hospital_user):
    p = hospitalise(cast, name="报告人")
    response = client_for(hospital_user).post(reverse("outsidecare:condition_report_new", args=[p.uuid]),
                                              {"condition": "病情稳定，继续治疗", "treatment": "抗感染"})
    assert response.status_code == 302 and ConditionReport.objects.get().placement == p
    assert client_for(cast.carer).post(reverse("outsidecare:condition_report_new", args=[p.uuid]),
                                       {"condition": "x"}).status_code == 403
    page = client_for(cast.head).get(reverse("outsidecare:placement", args=[p.uuid])).content.decode()
    assert "病情稳定，继续治疗" in page


def test_c5_the_visit_page_refuses_a_future_date_in_chinese_and_saves_nothing(cast, client_for, facility, agreement):
    p = place(cast, facility, name="页面探访")
    url = reverse("outsidecare:visit_new", args=[p.uuid])
    future = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    data = {"visited_at": future, "visitors": "赵照料", "safety_ok": "on", "safety": "消防通道畅通",
            f"seen_{p.pk}": "on", f"care_{p.pk}": "整洁", f"physical_{p.pk}": "稳定", f"mental_{p.pk}": "平稳"}
    response = client_for(cast.carer).post(url, data)
    assert response.status_code == 200 and "探访时间不能晚于当前时间" in response.content.decode()
    assert not Visit.objects.exists()
    data["visited_at"] = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert client_for(cast.carer).post(url, data).status_code == 302
    assert Visit.objects.get().people.get().placement == p


def test_c5_the_placement_form_refuses_outside_care_without_an_agreement(cast, client_for, facility):
    from stay.models import Placement
    from stay.tests.factories import admitted_episode

    ep = admitted_episode(cast, name="表单无协议")
    response = client_for(cast.carer).post(reverse("stay:placement_new", args=[ep.uuid]) + "?kind=outside_care", {
        "kind": "outside_care", "organisation": str(facility.uuid)})
    assert response.status_code == 200 and "没有在" in response.content.decode()
    assert not Placement.objects.exists()


def test_c5_agreements_and_visits_export_to_excel(cast, client_for, facility, agreement):
    p = place(cast, facility, name="导出人")
    services.visit_create(by=cast.carer, station=cast.station, organisation=facility,
                          visited_at=timezone.now() - datetime.timedelta(hours=1), visitors="赵", safety="好",
                          rows=[{"placement": p, "care": "好", "physical": "好", "mental": "好"}])
    import io

    from openpyxl import load_workbook

    for name, expect in (("outsidecare:agreement_list", agreement.number), ("outsidecare:visit_list", "导出人")):
        response = client_for(cast.head).get(reverse(name), {"format": "xlsx"})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        cells = [c.value for row in load_workbook(io.BytesIO(response.content)).active.iter_rows() for c in row]
        assert expect in cells


def test_c5_an_agreement_is_registered_through_the_api_with_its_document(cast, client_for, facility):
    doc = base64.b64encode(testing.PDF).decode()
    today = timezone.localdate().isoformat()
    body = {"facility": str(facility.uuid), "facility_type": "elderly", "signed_on": today, "valid_from": today,
            "valid_to": (timezone.localdate() + datetime.timedelta(days=365)).isoformat(), "capacity": 5,
            "fee": "1200.00", "document_base64": doc}
    response = client_for(cast.head).post(f"{API}/agreements", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Agreement.objects.get().document.name.endswith(".pdf")
    # a carer may not sign
    assert client_for(cast.carer).post(f"{API}/agreements", body, content_type="application/json").status_code == 403


def test_c6_bring_back_through_the_api_refuses_someone_not_in_outside_care(cast, client_for, facility, agreement,
                                                                           beds):
    h = hospitalise(cast, name="非托养")
    p = place(cast, facility, name="托养回")
    body = {"planned_on": timezone.localdate().isoformat(), "transport": "车", "zone": str(beds.men.uuid),
            "placements": [str(h.uuid)]}
    response = client_for(cast.head).post(f"{API}/bringback", body, content_type="application/json")
    assert response.status_code == 400 and "不在站外托养中" in response.json()["message"] + str(response.json())
    body["placements"] = [str(p.uuid)]
    plan = client_for(cast.head).post(f"{API}/bringback", body, content_type="application/json").json()
    item = plan["items"][0]["uuid"]
    done = client_for(cast.head).post(f"{API}/bringback/items/{item}/done", {"bed": str(beds.m1.uuid)},
                                      content_type="application/json")
    assert done.status_code == 200 and done.json()["bed"]
    assert client_for(cast.head).get(f"{API}/bringback/{plan['uuid']}").json()["outstanding"] == 0
