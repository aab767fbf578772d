"""Rule P4: the four-level network — contacts of townships and villages, service points, county coverage, map."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from network import selectors, services
from network.models import Contact, ServicePoint

pytestmark = pytest.mark.django_db

POINT = {
    "kind": "rescue",
    "name": "英城临时救助点",
    "address": "英城街道和平路1号",
    "latitude": "24.186",
    "longitude": "113.402",
    "phone": "0763-2221000",
    "hours": "全天",
}


def test_p4_a_township_keeps_a_liaison_and_a_village_a_grid_worker(net):
    services.contact_save(
        by=net.township_user,
        organisation=net.township,
        data={"kind": "liaison", "name": "何振华", "phone": "13902221111"},
    )
    with pytest.raises(ValidationError):  # a village has grid workers, not liaisons
        services.contact_save(
            by=net.village_user,
            organisation=net.village,
            data={"kind": "liaison", "name": "黄丽萍", "phone": "13902222222"},
        )
    services.contact_save(
        by=net.village_user,
        organisation=net.village,
        data={"kind": "grid", "name": "黄丽萍", "phone": "13902222222"},
    )
    assert Contact.objects.count() == 2


def test_p4_one_active_contact_per_phone_and_organisation_is_a_constraint(net):
    data = {"kind": "grid", "name": "黄丽萍", "phone": "13902222222"}
    services.contact_save(by=net.village_user, organisation=net.village, data=data)
    with pytest.raises(ValidationError):
        services.contact_save(by=net.village_user, organisation=net.village, data={**data, "name": "另一人"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(
            organisation=net.village, county=net.county, kind="grid", name="x", phone="13902222222"
        )


def test_p4_only_the_organisation_or_its_department_manages_its_network(cast, net):
    data = {"kind": "grid", "name": "黄丽萍", "phone": "13902222222"}
    with pytest.raises(PermissionDenied):
        services.contact_save(by=net.township_user, organisation=net.village, data=data)  # not its own org
    with pytest.raises(PermissionDenied):
        services.contact_save(by=cast.outsider, organisation=net.village, data=data)
    services.contact_save(by=cast.county_supervisor, organisation=net.village, data=data)  # the county bureau


def test_p4_a_service_point_needs_an_address_and_coordinates(net):
    with pytest.raises(ValidationError):
        services.point_save(by=net.township_user, organisation=net.township, data={**POINT, "latitude": ""})
    with pytest.raises(ValidationError):
        services.point_save(by=net.township_user, organisation=net.township, data={**POINT, "address": ""})
    assert not ServicePoint.objects.exists()
    services.point_save(by=net.township_user, organisation=net.township, data=POINT)
    assert ServicePoint.objects.get().county == net.county


def test_p4_coverage_per_county_says_which_townships_and_villages_have_a_contact(cast, net):
    (row,) = selectors.coverage(cast.county_supervisor)
    assert row.county == net.county and not row.four_level
    assert row.townships_with_liaison == 0 and row.villages == 1 and row.villages_with_grid == 0
    services.contact_save(
        by=net.township_user,
        organisation=net.township,
        data={"kind": "liaison", "name": "何振华", "phone": "13902221111"},
    )
    services.contact_save(
        by=net.village_user,
        organisation=net.village,
        data={"kind": "grid", "name": "黄丽萍", "phone": "13902222222"},
    )
    (row,) = selectors.coverage(cast.county_supervisor)
    assert row.townships_with_liaison == 1 and row.villages_with_grid == 1
    assert [t.organisation for t in row.townships] == [net.township, None]  # 大站镇 has no organisation yet
    assert not row.four_level
    from core.models import Organisation, OrgKind, User

    dz = Organisation.objects.create(
        name="大站镇人民政府", code="DZZ", kind=OrgKind.TOWNSHIP, division=net.t2, supervisor=cast.county_dept
    )
    services.contact_save(
        by=User.objects.create_user(username="dz", password="x", organisation=dz),
        organisation=dz,
        data={"kind": "liaison", "name": "李联络", "phone": "13902223333"},
    )
    (row,) = selectors.coverage(cast.county_supervisor)
    assert row.four_level  # the station, every township with its liaison, the village with its grid worker


def test_scope_the_county_station_sees_its_network_and_an_outsider_nothing(cast, net, client_for):
    services.contact_save(
        by=net.township_user,
        organisation=net.township,
        data={"kind": "liaison", "name": "何振华", "phone": "13902221111"},
    )
    services.point_save(by=net.township_user, organisation=net.township, data=POINT)
    for user in (cast.reception, cast.county_supervisor, net.township_user):
        assert selectors.contact_list(user=user).count() == 1, user
        assert selectors.point_list(user=user).count() == 1, user
    assert not selectors.contact_list(user=cast.outsider).exists()
    assert not selectors.point_list(user=cast.outsider).exists()
    assert selectors.coverage(cast.outsider) == [] or all(
        c.county != net.county for c in selectors.coverage(cast.outsider)
    )
    c = client_for(cast.outsider)
    assert "何振华" not in c.get(reverse("network:contacts")).content.decode()
    assert "何振华" not in c.get(reverse("network:home")).content.decode()
    assert c.get("/api/v1/network/contacts").json() == []


def test_pages_and_api_write_through_the_same_service(client_for, net, cast):
    c = client_for(net.township_user)
    response = c.post(
        reverse("network:point_new"), {**POINT, "organisation": net.township.pk, "is_active": "on"}
    )
    assert response.status_code == 302
    response = c.post(
        "/api/v1/network/contacts",
        content_type="application/json",
        data={"organisation": str(net.township.uuid), "kind": "liaison", "name": "何振华", "phone": "139"},
    )
    assert response.status_code == 400 and "电话" in response.json()["message"]
    response = c.post(
        "/api/v1/network/contacts",
        content_type="application/json",
        data={"organisation": str(net.village.uuid), "kind": "grid", "name": "x", "phone": "13902222222"},
    )
    assert response.status_code == 400  # not an organisation this user manages
    assert not Contact.objects.exists()
    assert client_for(cast.county_supervisor).get(reverse("network:contact_new")).status_code == 200
    assert client_for(cast.panel_member).get(reverse("network:contact_new")).status_code == 403


def test_the_map_page_draws_offline_from_the_installed_boundaries(client_for, cast, net):
    services.point_save(by=net.township_user, organisation=net.township, data=POINT)
    c = client_for(cast.reception)
    response = c.get(reverse("network:map"))
    body = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in body and 'id="network-points"' in body
    assert [p["name"] for p in response.context["points"]] == ["英城临时救助点"]
    assert "http://" not in body.split("<main")[1] and "https://" not in body.split("<main")[1]
    geo = c.get(reverse("network:geo", args=["广东", "清远市"]))
    assert geo.status_code == 200 and "registerMap" in b"".join(geo.streaming_content).decode()
    assert c.get("/network/geo/广东/..%2F..%2Fsecret.js").status_code == 404
