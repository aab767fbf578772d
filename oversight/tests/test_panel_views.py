"""Pages and API of the supervision panel: who appoints, who speaks for the panel, who answers; outsiders
get nothing."""

import datetime

import pytest
from django.utils import timezone

from oversight import services
from oversight.models import Opinion, OpinionStatus, PanelMeeting, PanelMembership
from oversight.tests.panel import make_panel, panel_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(cast):
    return make_panel(cast)


def test_it_requires_login(client, cast, panel):
    assert client.get(f"/oversight/panels/{cast.station.uuid}/").status_code == 302
    assert client.get("/api/v1/oversight/panels").status_code == 401


def test_o2_the_county_department_appoints_and_a_station_head_cannot(client_for, cast):
    user = panel_user(cast, "p9", "郑监督")
    data = {
        "member": str(user.uuid),
        "panel_role": "member",
        "employer": "英德市社工站",
        "profession": "社工",
        "term_start": timezone.localdate().isoformat(),
    }
    assert (
        client_for(cast.head).post(f"/oversight/panels/{cast.station.uuid}/members/new/", data).status_code
        == 403
    )
    response = client_for(cast.county_supervisor).post(
        f"/oversight/panels/{cast.station.uuid}/members/new/", data
    )
    assert response.status_code == 302
    assert PanelMembership.objects.get().member == user


def test_o2_a_sixth_member_gets_a_chinese_message_and_nothing_is_saved(client_for, cast, panel):
    services.panel_member_add(
        by=cast.county_supervisor,
        station=cast.station,
        member=panel_user(cast, "p5", "郑"),
        employer="某单位",
    )
    user = panel_user(cast, "p6", "王")
    response = client_for(cast.county_supervisor).post(
        f"/api/v1/oversight/panels/{cast.station.uuid}/members",
        {"member": str(user.uuid), "employer": "某单位"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "3–5人" in response.json()["message"]
    assert PanelMembership.objects.count() == 5


def test_o2_the_panel_member_sees_the_station_panel_and_records_a_meeting_with_opinions(
    client_for, cast, panel
):
    client = client_for(cast.panel_member)
    page = client.get(f"/oversight/panels/{cast.station.uuid}/")
    assert page.status_code == 200 and "林监督" in page.content.decode()
    response = client.post(
        f"/oversight/panels/{cast.station.uuid}/meetings/new/",
        {
            "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "topic": "上半年例会",
            "minutes": "听取汇报",
            "attendees": [str(panel[0].uuid), str(panel[1].uuid)],
            "opinions": "女区夜班人员不足\n留样记录不全",
        },
    )
    assert response.status_code == 302
    meeting = PanelMeeting.objects.get()
    assert set(meeting.attendees.all()) == {panel[0], panel[1]}
    assert Opinion.objects.filter(meeting=meeting).count() == 2


def test_o2_the_station_head_answers_and_the_panel_decides_by_pages(client, cast, panel):
    opinion = services.opinion_create(by=cast.panel_member, station=cast.station, text="女区夜班人员不足")
    client.force_login(cast.head)
    client.post(
        f"/oversight/opinions/{opinion.uuid}/answer/",
        {
            "measures": "增加1名女性夜班值班员",
            "measures_due": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
        },
    )
    assert (
        client.post(f"/oversight/opinions/{opinion.uuid}/decide/", {"decision": "accept"}).status_code == 403
    )
    client.force_login(cast.panel_member)
    client.post(f"/oversight/opinions/{opinion.uuid}/decide/", {"decision": "accept", "note": "认可"})
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.ACCEPTED and opinion.answered_by == cast.head


def test_o2_the_api_journey(client, cast, panel):
    client.force_login(cast.panel_member)
    created = client.post(
        f"/api/v1/oversight/panels/{cast.station.uuid}/opinions",
        {"text": "寻亲公告渠道单一"},
        content_type="application/json",
    )
    assert created.status_code == 201
    url = f"/api/v1/oversight/opinions/{created.json()['uuid']}"
    client.force_login(cast.head)
    answered = client.post(
        url + "/answer",
        {"measures": "增加头条寻人", "measures_due": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert answered.json()["status"] == "answered"
    client.force_login(cast.panel_member)
    reopened = client.post(url + "/decide", {"accept": False}, content_type="application/json")
    assert reopened.status_code == 400 and "退回的理由" in reopened.json()["message"]
    assert (
        client.post(url + "/decide", {"accept": True}, content_type="application/json").json()["status"]
        == "accepted"
    )
    body = client.get(f"/api/v1/oversight/panels/{cast.station.uuid}").json()
    assert body["issues"] == [] and len(body["current"]) == 4


def test_it_hides_the_panel_from_an_outsider(client_for, cast, panel):
    opinion = services.opinion_create(by=cast.panel_member, station=cast.station, text="女区夜班人员不足")
    client = client_for(cast.outsider)
    for url in (f"/oversight/panels/{cast.station.uuid}/", f"/oversight/opinions/{opinion.uuid}/"):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            f"/oversight/opinions/{opinion.uuid}/answer/", {"measures": "x", "measures_due": "2030-01-01"}
        ).status_code
        == 404
    )
    assert client.post(f"/oversight/members/{panel[0].uuid}/end/", {"reason": "x"}).status_code == 404
    assert "女区夜班人员不足" not in client.get("/oversight/opinions/").content.decode()
    assert [p["station_name"] for p in client.get("/api/v1/oversight/panels").json()] == [
        cast.other_station.name
    ]
    assert client.get("/api/v1/oversight/opinions").json() == []
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.OPEN
    assert PanelMembership.objects.filter(ended_on__isnull=True).count() == 4
