"""Issue 8 hole 2: the cross-station duplicate query and share requests.

Only intake staff of a station may ask; out-of-scope hits give the least needed (station, phone, a
masked name); every query is audited and throttled; a file elsewhere is reached by asking its station.
"""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from people.models import PersonStation, ShareRequest
from people.selectors import SEARCH_AUDIT_TYPE, likely_same_person
from people.services import person_create, share_request_create, share_request_decide

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"
URL = "/api/v1/people/persons/likely-same"


@pytest.fixture
def elsewhere(cast):
    """A file at 乳源 (the unrelated station), with an ID number."""
    return person_create(
        by=cast.outsider,
        station=cast.other_station,
        data={"name": "王小芳", "sex": "女", "marks": "左臂纹身"},
        id_number=VALID_ID,
    )


@pytest.mark.parametrize(
    "who", ["police_officer", "panel_member", "county_supervisor", "city_supervisor", "carer", "tracer"]
)
def test_hole2_only_intake_staff_of_a_station_may_search_every_file(cast, client_for, elsewhere, who):
    response = client_for(getattr(cast, who)).get(URL, {"id_number": VALID_ID, "name": "王小芳"})
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden" and "接待人员" in body["message"]
    assert "王" not in str(body) and elsewhere.file_no not in str(body)
    with pytest.raises(PermissionDenied):
        likely_same_person(user=getattr(cast, who), id_number=VALID_ID)


def test_hole2_an_id_number_hit_elsewhere_gives_station_and_masked_name_only(cast, client_for, elsewhere):
    rows = client_for(cast.reception).get(URL, {"id_number": VALID_ID}).json()
    assert len(rows) == 1
    hit = rows[0]
    assert hit["same_id"] and not hit["in_scope"] and hit["name"] == "王**"
    assert hit["station_name"] == "乳源瑶族自治县救助管理站"
    assert hit["file_no"] == "" and hit["birth_year"] is None and hit["sex"] == ""
    assert "纹身" not in str(rows) and "王小芳" not in str(rows)


def test_hole2_in_scope_hits_stay_complete(cast, client_for):
    mine = person_create(
        by=cast.head, station=cast.station, data={"name": "李四", "sex": "女"}, id_number=VALID_ID
    )
    hit = client_for(cast.reception).get(URL, {"id_number": VALID_ID}).json()[0]
    assert hit["in_scope"] and hit["file_no"] == mine.file_no and hit["name"] == "李四"


def test_hole2_every_query_is_audited_without_the_raw_id_number(cast, client_for, elsewhere):
    client_for(cast.reception).get(URL, {"id_number": VALID_ID, "name": "王小芳"})
    entry = AuditEntry.objects.get(object_type=SEARCH_AUDIT_TYPE)
    assert entry.actor == cast.reception and "其中本机构范围外 1 条" in entry.summary
    assert VALID_ID not in entry.summary and "110105" in entry.summary
    assert entry.changes["hits"] == [str(elsewhere.uuid)]


def test_hole2_queries_are_throttled_with_a_chinese_wait_time(cast, client_for, settings):
    settings.GUITU_LIKELY_SAME_PER_MINUTE = 3
    client = client_for(cast.reception)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            assert client.get(URL, {"name": "张三"}).status_code == 200
        response = client.get(URL, {"name": "张三"})
        assert response.status_code == 429 and int(response["Retry-After"]) <= 61
        assert "查重过于频繁" in response.json()["message"] and "秒后再试" in response.json()["message"]
        clock.shift(61)
        assert client.get(URL, {"name": "张三"}).status_code == 200


def test_hole2_a_share_request_accepted_brings_the_file_into_scope(cast, client_for, elsewhere):
    client = client_for(cast.reception)
    client.get(URL, {"id_number": VALID_ID})  # found it
    response = client.post(
        "/api/v1/people/share-requests",
        {"person": str(elsewhere.uuid), "reason": "现在本站求助"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["person_uuid"] is None
    assert client.get(f"/api/v1/people/persons/{elsewhere.uuid}").status_code == 404
    share = ShareRequest.objects.get()
    # the holding station sees it in its inbox page and accepts
    inbox = client_for(cast.outsider).get(reverse("people:share_requests")).content.decode()
    assert "英德市救助管理站" in inbox and "现在本站求助" in inbox
    decided = client_for(cast.outsider).post(
        f"/api/v1/people/share-requests/{share.uuid}/decide",
        {"accept": True},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "accepted"
    assert PersonStation.objects.filter(person=elsewhere, station=cast.station).exists()
    assert client_for(cast.reception).get(f"/api/v1/people/persons/{elsewhere.uuid}").status_code == 200


def test_hole2_a_declined_request_needs_a_reason_and_gives_no_access(cast, elsewhere):
    likely_same_person(user=cast.reception, id_number=VALID_ID)
    share = share_request_create(by=cast.reception, person=elsewhere, reason="现在本站求助")
    with pytest.raises(ValidationError, match="拒绝时请写明原因"):
        share_request_decide(by=cast.outsider, share=share, accept=False)
    share_request_decide(by=cast.outsider, share=share, accept=False, note="不是同一人")
    assert not PersonStation.objects.filter(person=elsewhere, station=cast.station).exists()


def test_hole2_only_the_holding_station_decides(cast, elsewhere):
    share = share_request_create(by=cast.reception, person=elsewhere, reason="现在本站求助")
    with pytest.raises(PermissionDenied):
        share_request_decide(by=cast.head, share=share, accept=True)  # the asking station itself
    with pytest.raises(ValidationError, match="正在等待"):
        share_request_create(by=cast.reception, person=elsewhere, reason="再次申请")  # one pending at a time


def test_hole2_a_file_not_found_by_the_users_own_query_cannot_be_requested(cast, client_for, elsewhere):
    response = client_for(cast.reception).post(
        "/api/v1/people/share-requests",
        {"person": str(elsewhere.uuid), "reason": "猜到的编号"},
        content_type="application/json",
    )
    assert response.status_code == 404 and not ShareRequest.objects.exists()


@pytest.mark.parametrize("who", ["police_officer", "panel_member", "county_supervisor"])
def test_hole2_other_organisations_cannot_ask_or_see_requests(cast, client_for, elsewhere, who):
    share = share_request_create(by=cast.reception, person=elsewhere, reason="现在本站求助")
    client = client_for(getattr(cast, who))
    assert (
        client.post(
            "/api/v1/people/share-requests",
            {"person": str(elsewhere.uuid), "reason": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert client.get("/api/v1/people/share-requests").json() == []
    assert client.post(
        f"/api/v1/people/share-requests/{share.uuid}/decide",
        {"accept": True},
        content_type="application/json",
    ).status_code in (403, 404)
    share.refresh_from_db()
    assert share.status == "pending"
