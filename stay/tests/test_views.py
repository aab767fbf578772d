"""Every stay page: login required, outsiders get 404, supervisors read but get 403 on writes, owners act."""

import pytest
from django.urls import reverse

from people.models import Episode
from stay.models import Bed, BedAssignment, Placement, StayExtension, Zone
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    beds = station_beds(cast)
    ep = admitted_episode(cast)
    from stay import services

    placed = admitted_episode(cast, name="王五")
    placement = services.placement_start(by=cast.carer, episode=placed, kind="hospital", organisation=cast.hospital)
    return {"beds": beds, "ep": ep, "placement": placement}


def _urls(world):
    ep, beds = world["ep"], world["beds"]
    return {
        "board": (reverse("stay:board"), False),
        "zone_list": (reverse("stay:zone_list"), False),
        "zone_new": (reverse("stay:zone_new"), True),
        "zone_detail": (reverse("stay:zone_detail", args=[beds.men.uuid]), False),
        "bed_toggle": (reverse("stay:bed_toggle", args=[beds.m2.uuid]), True),
        "episode": (reverse("people:episode", args=[ep.uuid]), False),
        "search_refresh": (reverse("stay:search_refresh", args=[ep.uuid]), True),
        "bed_assign": (reverse("stay:bed_assign", args=[ep.uuid]), True),
        "bed_release": (reverse("stay:bed_release", args=[ep.uuid]), True),
        "placement_new": (reverse("stay:placement_new", args=[ep.uuid]), True),
        "extension_new": (reverse("stay:extension_new", args=[ep.uuid]), True),
        "placement_return": (reverse("stay:placement_return", args=[world["placement"].uuid]), True),
    }


def _state():
    return (Zone.objects.count(), Bed.objects.filter(is_active=True).count(), BedAssignment.objects.count(),
            Placement.objects.filter(ended_at__isnull=True).count(), StayExtension.objects.count(),
            list(Episode.objects.order_by("pk").values_list("status", flat=True)))


def test_every_stay_page_requires_login(client, world):
    for name, (url, _) in _urls(world).items():
        response = client.post(url) if name in ("bed_toggle", "bed_release") else client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_it_hides_every_stay_object_from_an_outsider(cast, client_for, world):
    client = client_for(cast.outsider)
    before = _state()
    for name, (url, _) in _urls(world).items():
        if name in ("board", "zone_list"):
            response = client.get(url)
            assert response.status_code == 200
            assert world["ep"].person.name not in response.content.decode() and "男区" not in response.content.decode()
            continue
        if name == "zone_new":
            # the outsider heads their own station: the form offers only that station, never ours
            assert cast.station.name not in client.get(url).content.decode()
            client.post(url, {"station": cast.station.pk, "name": "偷建区", "category": "men"})
            continue
        assert client.post(url, {"bed": world["beds"].m1.uuid, "reason": "外站人员试图记录原因",
                                 "codes": "Z01"}).status_code == 404, name
        assert client.get(url).status_code in (404, 405), name
    assert _state() == before


@pytest.mark.parametrize("who", ["county_supervisor", "city_supervisor"])
def test_a_supervisor_reads_the_board_but_gets_403_on_every_write(cast, client_for, world, who):
    client = client_for(getattr(cast, who))
    before = _state()
    response = client.get(reverse("stay:board"))
    assert response.status_code == 200 and world["ep"].person.name in response.content.decode()
    for name, (url, is_write) in _urls(world).items():
        if is_write:
            assert client.post(url, {"bed": world["beds"].m1.uuid, "reason": "监管人员试图记录",
                                     "codes": "Z01", "name": "新区", "category": "men"}).status_code == 403, name
        else:
            assert client.get(url).status_code == 200, name
    assert _state() == before


def test_n4_the_carer_assigns_a_bed_from_the_page_and_returns_to_the_episode_page(cast, client_for, world):
    ep = world["ep"]
    client = client_for(cast.carer)
    url = reverse("stay:bed_assign", args=[ep.uuid])
    assert client.get(url).status_code == 200
    next_url = reverse("people:episode", args=[ep.uuid])
    response = client.post(url, {"bed": world["beds"].m1.uuid, "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url
    assert Episode.objects.get(pk=ep.pk).status == "in_station"


def test_n4_a_man_into_the_womens_zone_shows_a_chinese_message_and_changes_nothing(cast, client_for, world):
    client = client_for(cast.carer)
    before = _state()
    response = client.post(reverse("stay:bed_assign", args=[world["ep"].uuid]), {"bed": world["beds"].w1.uuid})
    assert response.status_code == 200 and "男女分区" in response.content.decode()
    assert _state() == before


def test_c1_the_head_creates_a_zone_and_beds_but_a_receptionist_may_not(cast, client_for, world):
    assert client_for(cast.reception).get(reverse("stay:zone_new")).status_code == 403
    client = client_for(cast.head)
    response = client.post(reverse("stay:zone_new"), {"station": cast.station.pk, "name": "老年区",
                                                      "category": "elderly", "sex_restriction": "any"})
    zone = Zone.objects.get(name="老年区")
    assert response.status_code == 302
    client.post(reverse("stay:zone_detail", args=[zone.uuid]), {"codes": "L01-L03, L10"})
    assert sorted(zone.beds.values_list("code", flat=True)) == ["L01", "L02", "L03", "L10"]
    client.post(reverse("stay:bed_toggle", args=[zone.beds.get(code="L10").uuid]))
    assert not zone.beds.get(code="L10").is_active


def test_n5_the_board_flags_and_the_reason_form_records(cast, client_for, world):
    ep = world["ep"]
    client = client_for(cast.carer)
    assert client.get(reverse("stay:board"), {"flag": "over"}).status_code == 200
    response = client.post(reverse("stay:extension_new", args=[ep.uuid]), {"reason": "等待DNA比对结果"})
    assert response.status_code == 302 and StayExtension.objects.filter(episode=ep).exists()


def test_i3_the_carer_sends_to_hospital_and_brings_back_from_the_pages(cast, client_for, world):
    ep = world["ep"]
    client = client_for(cast.carer)
    assert client.get(reverse("stay:placement_new", args=[ep.uuid]) + "?kind=outside_care").status_code == 200
    client.post(reverse("stay:placement_new", args=[ep.uuid]), {"kind": "hospital",
                                                               "organisation": cast.hospital.uuid})
    placement = Placement.objects.get(episode=ep)
    assert Episode.objects.get(pk=ep.pk).status == "in_hospital"
    client.post(reverse("stay:placement_return", args=[placement.uuid]), {"bed": world["beds"].m2.uuid})
    assert Episode.objects.get(pk=ep.pk).status == "in_station"
    response = client.get(reverse("stay:episode", args=[ep.uuid]), follow=True)
    assert response.redirect_chain[0][0] == reverse("people:episode", args=[ep.uuid]) + "#stay-panel"
    assert "M02" in response.content.decode()
    client.post(reverse("stay:bed_release", args=[ep.uuid]))
    assert not BedAssignment.objects.filter(episode=ep, released_at__isnull=True).exists()


def test_the_people_episode_page_shows_the_stay_panel(cast, client_for, world):
    response = client_for(cast.carer).get(reverse("people:episode", args=[world["ep"].uuid]))
    assert response.status_code == 200 and "在站照料" in response.content.decode()


def test_n5_the_department_acknowledges_a_report_on_its_page_and_others_cannot(cast, client_for):
    from stay import services

    ep = admitted_episode(cast)
    ext = services.stay_extension_record(by=cast.carer, episode=ep, reason="等待公安DNA比对结果")
    ack = reverse("stay:n5_acknowledge", args=[ext.uuid])
    page = client_for(cast.county_supervisor).get(reverse("stay:n5_reports")).content.decode()
    assert ep.person.name in page and "确认收悉" in page
    assert client_for(cast.outsider).post(ack, {"note": "x"}).status_code == 404
    client_for(cast.carer).post(ack, {"note": "x"})
    assert StayExtension.objects.get().acknowledged_at is None
    response = client_for(cast.county_supervisor).post(ack, {"note": "已阅，同意延长"})
    assert response.status_code == 302
    assert StayExtension.objects.get().ack_note == "已阅，同意延长"
    outsider_page = client_for(cast.outsider).get(reverse("stay:n5_reports") + "?all=1").content.decode()
    assert reverse("people:episode", args=[ep.uuid]) not in outsider_page
