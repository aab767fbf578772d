"""Issue 8, hole 1: nobody widens their own scope through the organisation page.

Scope-defining fields (kind, supervisor, division, region) change only by the security administrator
or a civil-affairs administrator above the organisation; a station's own administrator edits its
contact fields only. Every scope field is tried as every role, on the page and in the service.
"""

import pytest
from django.core.exceptions import PermissionDenied

from core import services
from core.models import AuditAction, AuditEntry, Division, Organisation, OrgKind, Role, User, UserRole
from core.scoping import visible_org_ids

pytestmark = pytest.mark.django_db

SCOPE_CHANGES = {
    "kind": OrgKind.REGIONAL_CENTRE,
    "supervisor": None,
    "division": "440000",
    "region": ["440000"],
}


def _user_at(org, *roles, username=None):
    user = User.objects.create_user(
        username=username or f"u_{org.code}_{'_'.join(roles)}", password="x", organisation=org
    )
    for role in roles:
        UserRole.objects.create(user=user, role=role)
    return user


def _post_for(org, **overrides):
    data = {
        "name": org.name,
        "code": org.code,
        "short_name": org.short_name,
        "kind": org.kind,
        "division": org.division_id,
        "supervisor": org.supervisor_id or "",
        "address": org.address,
        "phone": org.phone,
        "bed_capacity": org.bed_capacity or "",
        "is_active": "on" if org.is_active else "",
        "region": [d.pk for d in org.region.all()],
    }
    data.update(overrides)
    return data


def _scope_post(org, field):
    value = SCOPE_CHANGES[field]
    if field == "division":
        value = Division.objects.get(code=value).pk
    elif field == "region":
        return _post_for(
            org, kind=OrgKind.REGIONAL_CENTRE, region=[Division.objects.get(code=c).pk for c in value]
        )
    elif field == "supervisor":
        value = ""
    return _post_for(org, **{field: value})


def _state(org):
    org.refresh_from_db()
    return (org.kind, org.supervisor_id, org.division_id, sorted(org.region.values_list("code", flat=True)))


@pytest.mark.parametrize("field", list(SCOPE_CHANGES))
@pytest.mark.parametrize("role", list(Role.values))
def test_hole1_no_role_of_a_station_changes_its_own_scope_fields(cast, client, field, role):
    actor = _user_at(cast.station, role)
    before_state, before_visible = _state(cast.station), visible_org_ids(actor)
    client.force_login(actor)
    # As the probe did: the station cannot pick its own supervisor, so the attacker empties it too.
    post = {**_scope_post(cast.station, field), "supervisor": ""}
    response = client.post(f"/manage/organisations/{cast.station.uuid}/", post)
    assert response.status_code in (200, 302, 403)
    assert _state(cast.station) == before_state
    fresh = User.objects.get(pk=actor.pk)
    assert visible_org_ids(fresh) == before_visible == frozenset({cast.station.pk})
    assert cast.station.pk in visible_org_ids(User.objects.get(pk=cast.county_supervisor.pk))


@pytest.mark.parametrize("field", list(SCOPE_CHANGES))
@pytest.mark.parametrize("role", list(Role.values))
def test_hole1_the_service_refuses_scope_changes_by_the_stations_own_users(cast, field, role):
    actor = _user_at(cast.station, role)
    before_state = _state(cast.station)
    data = {
        "kind": cast.station.kind,
        "supervisor": cast.station.supervisor,
        "division": cast.station.division,
    }
    region = None
    if field == "region":
        data["kind"] = OrgKind.REGIONAL_CENTRE
        region = [Division.objects.get(code="440000")]
    elif field == "division":
        data["division"] = Division.objects.get(code="440000")
    else:
        data[field] = SCOPE_CHANGES[field]
    with pytest.raises(PermissionDenied):
        services.organisation_save(by=actor, org=cast.station, data=data, region=region)
    assert _state(cast.station) == before_state


@pytest.mark.parametrize("field", list(SCOPE_CHANGES))
def test_hole1_a_civil_affairs_admin_cannot_change_its_own_departments_scope(cast, client_for, field):
    before = _state(cast.city_dept)
    client_for(cast.admin).post(
        f"/manage/organisations/{cast.city_dept.uuid}/", _scope_post(cast.city_dept, field)
    )
    assert _state(cast.city_dept) == before


def test_hole1_a_regional_centres_admin_cannot_widen_its_region(cast, client_for):
    actor = _user_at(cast.city_station, Role.ADMIN)
    before = _state(cast.city_station)
    client_for(actor).post(
        f"/manage/organisations/{cast.city_station.uuid}/",
        _post_for(cast.city_station, region=[Division.objects.get(code="440000").pk]),
    )
    assert _state(cast.city_station) == before
    assert cast.other_station.pk not in visible_org_ids(User.objects.get(pk=actor.pk))


def test_hole1_a_station_admin_edits_its_own_contact_fields(cast, client_for):
    actor = _user_at(cast.station, Role.ADMIN)
    response = client_for(actor).post(
        f"/manage/organisations/{cast.station.uuid}/",
        _post_for(
            cast.station, phone="0763-1234567", address="英德市英城街道1号", name="改名的站", code="HACK"
        ),
    )
    assert response.status_code == 302
    cast.station.refresh_from_db()
    assert (cast.station.phone, cast.station.address) == ("0763-1234567", "英德市英城街道1号")
    assert (cast.station.name, cast.station.code) == ("英德市救助管理站", "YDZ")


def test_hole1_a_station_admin_sees_the_scope_fields_disabled(cast, client_for):
    actor = _user_at(cast.station, Role.ADMIN)
    body = client_for(actor).get(f"/manage/organisations/{cast.station.uuid}/").content.decode()
    assert (
        'name="kind"' in body
        and "disabled" in body
        and "只能由安全管理员或上级民政部门的系统管理员修改" in body
    )


def test_hole1_a_station_admin_cannot_create_organisations(cast, client_for):
    actor = _user_at(cast.city_station, Role.ADMIN)
    response = client_for(actor).post(
        "/manage/organisations/new/",
        {
            "name": "假中心",
            "code": "FAKE",
            "kind": OrgKind.REGIONAL_CENTRE,
            "division": cast.station.division_id,
            "supervisor": cast.city_station.pk,
            "is_active": "on",
            "region": [Division.objects.get(code="440000").pk],
        },
    )
    assert response.status_code == 403
    assert not Organisation.objects.filter(code="FAKE").exists()


@pytest.mark.parametrize("field", list(SCOPE_CHANGES))
def test_hole1_the_civil_affairs_admin_above_changes_scope_fields(cast, client_for, field):
    county = Division.objects.get(code="441881")
    if field == "division":
        post = _post_for(cast.station, division=Division.objects.get(code="441882").pk)
    elif field == "region":
        post = _post_for(cast.station, kind=OrgKind.REGIONAL_CENTRE, region=[county.pk])
    elif field == "supervisor":
        post = _post_for(cast.station, supervisor=cast.city_dept.pk)
    else:
        post = _post_for(cast.station, kind=OrgKind.MINOR_CENTRE)
    before = _state(cast.station)
    response = client_for(cast.admin).post(f"/manage/organisations/{cast.station.uuid}/", post)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _state(cast.station) != before


def test_hole1_the_civil_affairs_admin_above_cannot_give_a_region_outside_its_territory(cast, client_for):
    post = _post_for(
        cast.station, kind=OrgKind.REGIONAL_CENTRE, region=[Division.objects.get(code="440000").pk]
    )
    body = client_for(cast.admin).post(f"/manage/organisations/{cast.station.uuid}/", post).content.decode()
    assert "服务区域超出您的管辖区域" in body
    assert cast.station.region.count() == 0


def test_hole1_the_security_administrator_changes_scope_fields_but_not_of_its_own_organisation(
    cast, client_for
):
    security = _user_at(cast.city_dept, Role.SECURITY, username="security")
    client = client_for(security)
    response = client.post(
        f"/manage/organisations/{cast.station.uuid}/", _post_for(cast.station, supervisor=cast.city_dept.pk)
    )
    assert response.status_code == 302
    cast.station.refresh_from_db()
    assert cast.station.supervisor == cast.city_dept
    before = _state(cast.city_dept)
    client.post(
        f"/manage/organisations/{cast.city_dept.uuid}/",
        _post_for(cast.city_dept, division=Division.objects.get(code="440000").pk),
    )
    assert _state(cast.city_dept) == before


def test_hole6_organisation_audit_holds_old_and_new_values_region_included(cast, client_for):
    county = Division.objects.get(code="441881")
    client_for(cast.admin).post(
        f"/manage/organisations/{cast.station.uuid}/",
        _post_for(cast.station, kind=OrgKind.REGIONAL_CENTRE, region=[county.pk], phone="0763-7654321"),
    )
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(cast.station.uuid))
    assert entry.changes["kind"] == [OrgKind.STATION, OrgKind.REGIONAL_CENTRE]
    assert entry.changes["phone"] == ["", "0763-7654321"]
    assert entry.changes["region"] == [[], [str(county)]]
    assert "updated_at" not in entry.changes


def test_hole6_user_audit_holds_old_and_new_values(cast, client_for):
    client_for(cast.admin).post(
        f"/manage/users/{cast.reception.uuid}/",
        {
            "username": "reception",
            "full_name": "李接待（改）",
            "phone": "13800000000",
            "organisation": cast.station.pk,
            "is_active": "on",
            "roles": [Role.RECEPTION, Role.TRACER],
        },
    )
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(cast.reception.uuid))
    assert entry.changes["full_name"] == ["李接待", "李接待（改）"]
    assert entry.changes["roles"] == [[Role.RECEPTION], [Role.RECEPTION, Role.TRACER]]


def test_hole6_an_admin_set_password_goes_through_the_validators(cast, client_for):
    client = client_for(cast.admin)
    body = client.post(
        "/manage/users/new/",
        {
            "username": "weak",
            "organisation": cast.station.pk,
            "is_active": "on",
            "roles": [Role.RECEPTION],
            "password": "12345678",
        },
    ).content.decode()
    assert not User.objects.filter(username="weak").exists()
    assert "密码" in body and ("常见" in body or "数字" in body)
    old_hash = User.objects.get(pk=cast.reception.pk).password
    client.post(
        f"/manage/users/{cast.reception.uuid}/",
        {
            "username": "reception",
            "organisation": cast.station.pk,
            "is_active": "on",
            "roles": [Role.RECEPTION],
            "password": "12345678",
        },
    )
    assert User.objects.get(pk=cast.reception.pk).password == old_hash


def test_hole1_an_admin_cannot_edit_a_superuser_account(cast, client_for):
    root = User.objects.create_superuser(username="root", password="x", organisation=cast.station)
    actor = _user_at(cast.station, Role.ADMIN)
    client_for(actor).post(
        f"/manage/users/{root.uuid}/",
        {
            "username": "root",
            "organisation": cast.station.pk,
            "is_active": "on",
            "roles": [Role.RECEPTION],
            "password": "A-much-longer-pass-2026",
        },
    )
    root.refresh_from_db()
    assert root.check_password("x")


def test_hole1_the_organisation_form_offers_only_the_divisions_the_admin_administers(client, cast):
    """A city department's administrator picks among its own city's divisions, not the country's."""
    client.force_login(cast.admin)
    body = client.get(f"/manage/organisations/{cast.station.uuid}/").content.decode()
    assert "英德市" in body and "清远市" in body
    assert "韶关市" not in body and "北京市" not in body
    # the current division stays shown even where it is outside the choices (here: within them)
    assert f'value="{cast.station.division_id}" selected' in body
