"""The administrator's pages: organisations, users, divisions, audit — scoped and audited."""

import pytest

from core.models import AuditAction, AuditEntry, Division, Organisation, OrgKind, Role, User

pytestmark = pytest.mark.django_db


def _org_post(cast, **overrides):
    data = {"name": "连州市救助管理站", "code": "LZZ", "short_name": "连州站", "kind": OrgKind.STATION,
            "division": Division.objects.get(code="441882").pk, "supervisor": cast.city_dept.pk, "is_active": "on"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("url", ["/manage/organisations/", "/manage/users/", "/manage/divisions/", "/manage/audit/",
                                 "/manage/organisations/new/", "/manage/users/new/", "/manage/divisions/new/",
                                 "/manage/profile/"])
def test_it_requires_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_an_administrator_creates_an_organisation_and_it_is_audited(cast, client_for):
    response = client_for(cast.admin).post("/manage/organisations/new/", _org_post(cast))
    assert response.status_code == 302
    org = Organisation.objects.get(code="LZZ")
    assert org.supervisor == cast.city_dept
    entry = AuditEntry.objects.get(object_id=str(org.uuid), action=AuditAction.CREATE)
    assert entry.actor == cast.admin and entry.changes["name"] == [None, "连州市救助管理站"]


def test_a_receptionist_may_not_manage_organisations(cast, client_for):
    client = client_for(cast.reception)
    assert client.get("/manage/organisations/").status_code == 403
    assert client.post("/manage/organisations/new/", _org_post(cast)).status_code == 403
    assert not Organisation.objects.filter(code="LZZ").exists()


def test_an_administrator_cannot_edit_an_organisation_outside_their_subtree(cast, client_for):
    client = client_for(cast.admin)
    response = client.post(f"/manage/organisations/{cast.other_station.uuid}/", _org_post(cast, code="RYZ2"))
    assert response.status_code == 404
    cast.other_station.refresh_from_db()
    assert cast.other_station.code == "RYZ"


def test_an_organisation_cannot_supervise_itself(cast, client_for):
    client = client_for(cast.admin)
    response = client.post(f"/manage/organisations/{cast.county_dept.uuid}/",
                           _org_post(cast, name="英德市民政局", code="YDMZ", kind=OrgKind.CIVIL_AFFAIRS,
                                     supervisor=cast.station.pk))
    assert response.status_code == 200
    assert "主管机构不能是本机构或其下级机构" in response.content.decode()
    cast.county_dept.refresh_from_db()
    assert cast.county_dept.supervisor == cast.city_dept


def test_only_a_regional_centre_has_a_region(cast, client_for):
    data = _org_post(cast, region=[Division.objects.get(code="441882").pk])
    response = client_for(cast.admin).post("/manage/organisations/new/", data)
    assert "只有区域性中心可以设置服务区域" in response.content.decode()
    assert not Organisation.objects.filter(code="LZZ").exists()


def test_an_administrator_creates_a_user_with_roles(cast, client_for):
    response = client_for(cast.admin).post("/manage/users/new/", {
        "username": "newtracer", "full_name": "新寻亲员", "organisation": cast.station.pk, "is_active": "on",
        "roles": [Role.TRACER, Role.CARER], "password": "A-long-pass-2026"})
    assert response.status_code == 302
    user = User.objects.get(username="newtracer")
    assert user.role_codes == {Role.TRACER, Role.CARER}
    assert AuditEntry.objects.filter(object_id=str(user.uuid), action=AuditAction.CREATE).exists()


def test_a_user_needs_a_role_and_a_password(cast, client_for):
    response = client_for(cast.admin).post("/manage/users/new/", {
        "username": "x1", "organisation": cast.station.pk, "is_active": "on"})
    body = response.content.decode()
    assert "这个字段是必填项" in body or "必填" in body
    assert "新建用户必须设置密码" in body
    assert not User.objects.filter(username="x1").exists()


def test_an_administrator_cannot_put_a_user_into_an_unrelated_organisation(cast, client_for):
    response = client_for(cast.admin).post("/manage/users/new/", {
        "username": "spy", "organisation": cast.other_station.pk, "is_active": "on", "roles": [Role.RECEPTION],
        "password": "A-long-pass-2026"})
    assert response.status_code == 200
    assert not User.objects.filter(username="spy").exists()


def test_the_user_list_hides_users_of_other_cities(cast, client_for):
    body = client_for(cast.admin).get("/manage/users/").content.decode()
    assert "reception" in body and "outsider" not in body


def test_an_administrator_adds_a_township_under_a_county(cast, client_for):
    county = Division.objects.get(code="441881")
    response = client_for(cast.admin).post("/manage/divisions/new/", {"parent": county.pk, "code": "441881100",
                                                                       "name": "英城街道"})
    assert response.status_code == 302
    township = Division.objects.get(code="441881100")
    assert township.level == "township" and township.parent == county


def test_a_township_code_must_start_with_its_county_code(cast, client_for):
    county = Division.objects.get(code="441881")
    response = client_for(cast.admin).post("/manage/divisions/new/", {"parent": county.pk, "code": "441882100",
                                                                       "name": "错误街道"})
    assert "应以上级区划代码 441881 开头" in response.content.decode()
    assert not Division.objects.filter(code="441882100").exists()


def test_login_and_failed_login_are_audited(cast, client):
    client.post("/accounts/login/", {"username": "reception", "password": "wrong"})
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, object_id="reception").exists()
    client.post("/accounts/login/", {"username": "reception", "password": cast.password})
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN, actor=cast.reception).exists()


def test_a_receptionist_cannot_read_the_audit_log(cast, client_for):
    assert client_for(cast.reception).get("/manage/audit/").status_code == 403


def test_a_user_creates_and_revokes_an_api_token(cast, client_for):
    client = client_for(cast.reception)
    body = client.post("/manage/profile/", {"name": "手机端"}).content.decode()
    assert "只显示这一次" in body
    token = cast.reception.api_tokens.get()
    client.post("/manage/profile/", {"revoke": token.prefix})
    token.refresh_from_db()
    assert token.revoked_at is not None
