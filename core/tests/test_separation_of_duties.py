"""三员分立 (等保 2.0 三级): system administrator, security administrator, audit administrator.

The system administrator manages accounts, the security administrator grants the administrative roles
and changes scope fields, the audit administrator reads the audit and changes nothing; nobody grants
themselves a power.
"""

import pytest

from core.models import AuditAction, AuditEntry, Role, User, UserRole
from core.scoping import can_write

pytestmark = pytest.mark.django_db


def _user(cast, username, *roles, org=None):
    user = User.objects.create_user(username=username, password="x", organisation=org or cast.city_dept)
    for role in roles:
        UserRole.objects.create(user=user, role=role)
    return user


def _post(target, roles, **extra):
    data = {
        "username": target.username,
        "full_name": target.full_name,
        "organisation": target.organisation_id,
        "is_active": "on",
        "roles": roles,
    }
    data.update(extra)
    return data


def test_sod_a_system_admin_cannot_grant_itself_or_others_administrative_roles(cast, client_for):
    client = client_for(cast.admin)
    client.post(f"/manage/users/{cast.admin.uuid}/", _post(cast.admin, [Role.ADMIN, Role.SECURITY]))
    assert User.objects.get(pk=cast.admin.pk).role_codes == {Role.ADMIN}
    body = client.post(
        f"/manage/users/{cast.reception.uuid}/", _post(cast.reception, [Role.RECEPTION, Role.AUDITOR])
    ).content.decode()
    assert "须由安全管理员办理" in body
    assert User.objects.get(pk=cast.reception.pk).role_codes == {Role.RECEPTION}


def test_sod_the_security_admin_grants_roles_and_it_is_audited(cast, client_for):
    security = _user(cast, "security", Role.SECURITY)
    response = client_for(security).post(
        f"/manage/users/{cast.reception.uuid}/", _post(cast.reception, [Role.RECEPTION, Role.ADMIN])
    )
    assert response.status_code == 302
    assert User.objects.get(pk=cast.reception.pk).role_codes == {Role.RECEPTION, Role.ADMIN}
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(cast.reception.uuid))
    assert entry.actor == security and entry.changes["roles"] == [
        [Role.RECEPTION],
        [Role.ADMIN, Role.RECEPTION],
    ]


def test_sod_the_security_admin_cannot_change_its_own_roles(cast, client_for):
    security = _user(cast, "security", Role.SECURITY)
    body = (
        client_for(security)
        .post(f"/manage/users/{security.uuid}/", _post(security, [Role.SECURITY, Role.ADMIN]))
        .content.decode()
    )
    assert "不能修改自己的角色" in body
    assert User.objects.get(pk=security.pk).role_codes == {Role.SECURITY}


def test_sod_the_security_admin_changes_roles_but_not_accounts(cast, client_for):
    security = _user(cast, "security", Role.SECURITY)
    client = client_for(security)
    old_hash = User.objects.get(pk=cast.reception.pk).password
    client.post(
        f"/manage/users/{cast.reception.uuid}/",
        _post(cast.reception, [Role.RECEPTION], full_name="改名", password="Takeover-2026-pass"),
    )
    fresh = User.objects.get(pk=cast.reception.pk)
    assert fresh.full_name == "李接待" and fresh.password == old_hash
    assert client.get("/manage/users/new/").status_code == 403


def test_sod_a_system_admin_cannot_take_over_a_security_or_audit_account(cast, client_for):
    auditor = _user(cast, "auditor", Role.AUDITOR)
    old_hash = auditor.password
    response = client_for(cast.admin).post(
        f"/manage/users/{auditor.uuid}/", _post(auditor, [Role.AUDITOR], password="Takeover-2026-pass")
    )
    assert response.status_code == 403
    assert User.objects.get(pk=auditor.pk).password == old_hash


def test_sod_an_audit_administrator_changes_nothing(cast):
    auditor = _user(cast, "auditor", Role.AUDITOR, org=cast.station)
    assert not can_write(auditor, cast.station)
    assert not can_write(auditor, cast.station, Role.RECEPTION)
    assert can_write(cast.reception, cast.station)


def test_sod_an_admin_set_password_must_be_changed_by_its_owner(cast, client_for):
    client_for(cast.admin).post(
        f"/manage/users/{cast.reception.uuid}/",
        _post(cast.reception, [Role.RECEPTION], password="Reset-by-admin-2026"),
    )
    fresh = User.objects.get(pk=cast.reception.pk)
    assert fresh.check_password("Reset-by-admin-2026") and fresh.must_change_password
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(cast.reception.uuid))
    assert "password" in entry.changes and "Reset-by-admin" not in str(entry.changes)


def test_sod_a_superuser_reveals_an_id_number_only_with_an_audited_reason(cast, client_for):
    from people.services import person_create

    person = person_create(
        by=cast.reception,
        station=cast.station,
        data={"name": "张三", "sex": "女"},
        id_number="11010519491231002X",
    )
    root = User.objects.create_superuser(username="root", password="x")
    client = client_for(root)
    refused = client.post(f"/people/{person.uuid}/reveal-id/", HTTP_HX_REQUEST="true").content.decode()
    assert "须填写理由" in refused and "11010519491231002X" not in refused
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()
    shown = client.post(
        f"/people/{person.uuid}/reveal-id/", {"reason": "公安协查函 2026-118 号"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "11010519491231002X" in shown
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    assert entry.actor == root and "公安协查函 2026-118 号" in entry.summary
    api = client.post(f"/api/v1/people/persons/{person.uuid}/reveal-id")
    assert api.status_code == 400


def test_hole3_a_system_admin_lifts_a_lockout_and_it_is_audited(cast, client, client_for):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "reception", "password": "wrong-password"})
    assert (
        client.post("/accounts/login/", {"username": "reception", "password": cast.password}).status_code
        == 429
    )
    client_for(cast.admin).post(f"/manage/users/{cast.reception.uuid}/", {"action": "unlock"})
    assert AuditEntry.objects.filter(actor=cast.admin, summary__contains="解除登录锁定 reception").exists()
    client.logout()
    assert (
        client.post("/accounts/login/", {"username": "reception", "password": cast.password}).status_code
        == 302
    )


def test_i1_only_the_security_admin_resets_someone_elses_second_factor(cast, client_for):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=cast.reception, name="手机", confirmed=True)
    client_for(cast.admin).post(f"/manage/users/{cast.reception.uuid}/", {"action": "reset_otp"})
    assert TOTPDevice.objects.filter(user=cast.reception).exists()
    security = _user(cast, "security", Role.SECURITY)
    client_for(security).post(f"/manage/users/{cast.reception.uuid}/", {"action": "reset_otp"})
    assert not TOTPDevice.objects.filter(user=cast.reception).exists()
    assert AuditEntry.objects.filter(actor=security, summary__contains="重置二次验证").exists()
