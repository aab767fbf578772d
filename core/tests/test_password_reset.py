"""A forgotten password is reset by an administrator (issue 15): a temporary password shown once, a forced
change at next login, 三员分立 on who may reset whom, nobody their own, audited without the password."""

import re

import pytest

from core.models import AuditAction, AuditEntry, Role, User, UserRole
from core.services import temporary_password, user_reset_password
from core.testing import audit_writes

pytestmark = pytest.mark.django_db


def _user(cast, username, *roles, org=None):
    user = User.objects.create_user(username=username, password="Old-pass-2026!", organisation=org or cast.city_dept)
    for role in roles:
        UserRole.objects.create(user=user, role=role)
    return user


def _reset(client, target):
    return client.post(f"/manage/users/{target.uuid}/", {"action": "reset_password"})


def _temporary(response) -> str:
    match = re.search(r'<code id="temporary-password">([^<]+)</code>', response.content.decode())
    assert match, "the temporary password is shown on the result page"
    return match.group(1).replace("&amp;", "&").replace("&#x27;", "'")


def test_sod_the_system_admin_resets_a_forgotten_password_shown_once_and_audited_without_it(cast, client_for):
    old_hash = User.objects.get(pk=cast.reception.pk).password
    response = _reset(client_for(cast.admin), cast.reception)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    temporary = _temporary(response)
    reception = User.objects.get(pk=cast.reception.pk)
    assert reception.password != old_hash and reception.check_password(temporary)
    assert reception.must_change_password
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(cast.reception.uuid),
                                   summary__contains="重置密码")
    assert entry.actor == cast.admin and entry.changes["must_change_password"] == [False, True]
    # the password never reaches the audit log, in any entry, nor the user page afterwards
    for summary, changes in AuditEntry.objects.values_list("summary", "changes"):
        assert temporary not in summary and temporary not in str(changes)
    page = client_for(cast.admin).get(f"/manage/users/{cast.reception.uuid}/").content.decode()
    assert temporary not in page


def test_sod_a_reset_password_must_be_changed_at_next_login(cast, client):
    temporary = user_reset_password(by=cast.admin, user=cast.reception)
    response = client.post("/accounts/login/", {"username": "reception", "password": temporary})
    assert response.status_code == 302
    assert client.get("/").url.startswith("/accounts/password/")
    client.post("/accounts/password/", {"old_password": temporary, "new_password1": "Mine-Own-2026#x",
                                        "new_password2": "Mine-Own-2026#x"})
    assert not User.objects.get(pk=cast.reception.pk).must_change_password
    assert client.get("/").status_code == 200


def test_sod_nobody_resets_their_own_password_through_the_admin_path(cast, client_for):
    before = audit_writes()
    old_hash = User.objects.get(pk=cast.admin.pk).password
    response = _reset(client_for(cast.admin), cast.admin)
    assert response.status_code == 302
    assert User.objects.get(pk=cast.admin.pk).password == old_hash
    assert audit_writes() == before
    page = client_for(cast.admin).get(response.url).content.decode()
    assert "不能通过此处重置自己的密码" in page and 'value="reset_password"' not in page


def test_sod_a_security_admin_does_not_reset_an_ordinary_account(cast, client_for):
    security = _user(cast, "security", Role.SECURITY)
    old_hash = User.objects.get(pk=cast.reception.pk).password
    before = audit_writes()
    response = _reset(client_for(security), cast.reception)
    assert response.status_code == 302
    assert User.objects.get(pk=cast.reception.pk).password == old_hash and audit_writes() == before
    assert "重置密码由系统管理员办理" in client_for(security).get(response.url).content.decode()


def test_sod_a_system_admin_does_not_reset_a_security_or_audit_administrator(cast, client_for):
    for username, role in (("security", Role.SECURITY), ("auditor", Role.AUDITOR)):
        target = _user(cast, username, role)
        old_hash = target.password
        before = audit_writes()
        response = _reset(client_for(cast.admin), target)
        assert response.status_code == 403  # the whole account is out of the system administrator's reach
        assert User.objects.get(pk=target.pk).password == old_hash and audit_writes() == before


def test_sod_the_security_admin_resets_an_auditors_password(cast, client_for):
    security = _user(cast, "security", Role.SECURITY)
    auditor = _user(cast, "auditor", Role.AUDITOR)
    temporary = _temporary(_reset(client_for(security), auditor))
    assert User.objects.get(pk=auditor.pk).check_password(temporary)
    assert AuditEntry.objects.filter(actor=security, summary__contains="重置密码 auditor").exists()


def test_sod_only_administrators_reset_passwords_and_only_within_their_scope(cast, client_for):
    before = audit_writes()
    old = {u.pk: u.password for u in User.objects.all()}
    # a station head reads the user list but may not change accounts
    assert _reset(client_for(cast.head), cast.reception).status_code == 403
    # an administrator of an unrelated organisation does not even find the account
    outsider_admin = _user(cast, "sg_admin", Role.ADMIN, org=cast.other_dept)
    assert _reset(client_for(outsider_admin), cast.reception).status_code == 404
    assert {u.pk: u.password for u in User.objects.exclude(pk=outsider_admin.pk)} == \
        {pk: h for pk, h in old.items()}
    assert audit_writes() == before


def test_sod_the_reset_is_refused_for_a_deactivated_account(cast):
    from django.core.exceptions import ValidationError

    User.objects.filter(pk=cast.reception.pk).update(is_active=False)
    with pytest.raises(ValidationError):
        user_reset_password(by=cast.admin, user=cast.reception)
    assert not User.objects.get(pk=cast.reception.pk).must_change_password


def test_temporary_passwords_pass_the_password_policy_and_differ():
    from django.contrib.auth.password_validation import validate_password

    seen = {temporary_password() for _ in range(50)}
    assert len(seen) == 50
    for password in seen:
        validate_password(password)


def test_the_login_page_tells_a_user_who_forgot_their_password_to_ask_the_administrator(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert "忘记密码？" in page and "系统管理员" in page
