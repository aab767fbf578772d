"""等保 2.0 三级 身份鉴别: second factor (TOTP + recovery codes), idle timeout, password policy.

The test settings switch these off for the rest of the suite (guitu/settings_test.py); here each is
switched on as production has it.
"""

import datetime

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import services
from core.models import AuditAction, AuditEntry, Role, User, UserRole

pytestmark = pytest.mark.django_db

STRONG = "Xunqin-2026-long"


@pytest.fixture
def enforced(settings):
    settings.GUITU_OTP_ENFORCED = True
    settings.GUITU_IDLE_TIMEOUT_MINUTES = 30
    settings.GUITU_PASSWORD_MAX_AGE_DAYS = 90
    return settings


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _bind(client, user) -> tuple[TOTPDevice, list[str]]:
    client.get("/accounts/otp/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/otp/setup/", {"token": _code(device)}, follow=True)
    device.refresh_from_db()
    codes = [c.strip() for c in response.content.decode().split("<code>")[1:]]
    return device, [c.split("</code>")[0] for c in codes]


def test_i1_an_admin_must_set_up_a_second_factor_before_anything_else(cast, client, enforced):
    assert _login(client, "admin", cast.password).status_code == 302
    response = client.get("/manage/users/")
    assert response.status_code == 302 and response.url == "/accounts/otp/"
    assert client.get("/accounts/otp/").url.endswith("/accounts/otp/setup/")
    body = client.get("/accounts/otp/setup/").content.decode()
    assert "<svg" in body and "绑定手机验证器" in body


def test_i1_binding_an_authenticator_gives_ten_recovery_codes_once(cast, client, enforced):
    _login(client, "admin", cast.password)
    device, codes = _bind(client, cast.admin)
    assert device.confirmed and len(codes) == 10
    assert client.get("/manage/users/").status_code == 200
    assert "<code>" not in client.get("/accounts/otp/recovery/").content.decode()
    assert AuditEntry.objects.filter(actor=cast.admin, summary__contains="绑定二次验证").exists()


def test_i1_the_password_alone_does_not_reach_the_pages_of_a_bound_admin(cast, client, enforced):
    _login(client, "admin", cast.password)
    device, _ = _bind(client, cast.admin)
    client.logout()
    _login(client, "admin", cast.password)
    assert client.get("/manage/users/").url == "/accounts/otp/"
    assert client.get("/api/v1/core/me").status_code == 401
    bad = client.post("/accounts/otp/", {"token": "000000" if _code(device) != "000000" else "111111"})
    assert "动态码不正确" in bad.content.decode()
    assert AuditEntry.objects.filter(
        action=AuditAction.LOGIN_FAILED, summary__contains="二次验证失败"
    ).exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=90), tick=False):
        device.refresh_from_db()
        device.throttling_failure_count = 0
        device.save()
        assert client.post("/accounts/otp/", {"token": _code(device)}).status_code == 302
        assert client.get("/manage/users/").status_code == 200


def test_i1_a_recovery_code_works_once(cast, client, enforced):
    _login(client, "admin", cast.password)
    _, codes = _bind(client, cast.admin)
    client.logout()
    _login(client, "admin", cast.password)
    assert client.post("/accounts/otp/", {"token": codes[0]}).status_code == 302
    assert client.get("/manage/users/").status_code == 200
    client.logout()
    _login(client, "admin", cast.password)
    assert "动态码不正确" in client.post("/accounts/otp/", {"token": codes[0]}).content.decode()


@pytest.mark.parametrize("who", ["reception", "tracer", "head", "city_sup", "admin", "police"])
def test_i1_reveal_roles_admins_and_civil_affairs_users_need_a_second_factor(cast, client, enforced, who):
    from core.twofactor import OTP_ROLES
    from people.services import REVEAL_ROLES

    assert set(REVEAL_ROLES) <= set(OTP_ROLES)
    _login(client, who, cast.password)
    assert client.get("/people/").url == "/accounts/otp/"


def test_i1_a_carer_needs_no_second_factor_unless_the_setting_asks(cast, client, enforced):
    _login(client, "carer", cast.password)
    assert client.get("/").status_code == 200
    enforced.GUITU_OTP_FOR_ALL = True
    assert client.get("/").status_code == 302


def test_i1_printed_demo_accounts_log_in_with_the_password_alone_in_demo_mode(cast, client, enforced):
    from core.demo import DEMO_PASSWORD

    demo_admin = User.objects.create_user(
        username="jiedai", password=DEMO_PASSWORD, organisation=cast.station
    )
    UserRole.objects.create(user=demo_admin, role=Role.RECEPTION)
    enforced.GUITU_DEMO = True
    _login(client, "jiedai", DEMO_PASSWORD)
    assert client.get("/").status_code == 200
    client.logout()
    enforced.GUITU_DEMO = False
    _login(client, "jiedai", DEMO_PASSWORD)
    assert client.get("/").status_code == 302


def test_i2_an_idle_session_is_logged_out_after_thirty_minutes(cast, client, enforced):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _login(client, "carer", cast.password)
        assert client.get("/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=58), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=89), tick=False):
        response = client.get("/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
        assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(summary__contains="未操作，自动退出").exists()


def test_i3_passwords_need_three_kinds_of_character(cast):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("12345678", "alllowercaseletters", "lowercase-and-sym", "guitu2026"):
        with pytest.raises(ValidationError):
            validate_password(weak, cast.carer)
    validate_password(STRONG, cast.carer)


def test_i3_a_password_may_not_repeat_the_last_five(cast, client, enforced):
    client.force_login(cast.carer)
    passwords = [cast.password] + [f"Xunqin-2026-n{i}" for i in range(5)]
    for old, new in zip(passwords, passwords[1:]):
        response = client.post(
            "/accounts/password/", {"old_password": old, "new_password1": new, "new_password2": new}
        )
        assert response.status_code == 302, response.content.decode()[:3000]
    reuse = client.post(
        "/accounts/password/",
        {"old_password": passwords[-1], "new_password1": passwords[-3], "new_password2": passwords[-3]},
    )
    assert "最近 5 次使用过的密码" in reuse.content.decode()


def test_i3_an_admin_created_user_must_change_the_password_at_first_login(cast, client, enforced):
    user = services.user_save(
        by=cast.admin,
        user=None,
        data={"username": "newbie", "organisation": cast.station, "is_active": True},
        roles=[Role.CARER],
        password=STRONG,
    )
    assert user.must_change_password
    _login(client, "newbie", STRONG)
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/accounts/password/"
    new = "Guitu-own-pass-9"
    client.post("/accounts/password/", {"old_password": STRONG, "new_password1": new, "new_password2": new})
    assert client.get("/").status_code == 200
    assert not User.objects.get(pk=user.pk).must_change_password


def test_i3_an_expired_password_must_be_changed(cast, client, enforced):
    with time_machine.travel(timezone.now() + datetime.timedelta(days=91), tick=False):
        _login(client, "carer", cast.password)
        response = client.get("/")
        assert response.status_code == 302 and response.url == "/accounts/password/"
        assert "90 天" in client.get("/accounts/password/").content.decode()
