"""Issue 8, hole 3: login lockout after 5 failures for 15 minutes, a per-address throttle, both audited.

The probe sent 50 wrong passwords in 17 s and then logged in with the right one.
"""

import datetime

import pytest
import time_machine
from django.utils import timezone

from core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


def _login(client, username, password, ip="10.1.1.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_hole3_many_wrong_passwords_then_the_right_one_does_not_log_in(cast, client):
    # The probe sent 50; a dozen shows the same without slowing the suite.
    for _ in range(12):
        _login(client, "reception", "wrong-password")
    response = _login(client, "reception", cast.password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "已被锁定" in response.content.decode() or "该地址已暂停登录" in response.content.decode()


def test_hole3_an_account_is_locked_after_five_failures(cast, client):
    for _ in range(4):
        assert _login(client, "reception", "wrong-password").status_code == 200
    assert _login(client, "reception", "wrong-password").status_code == 429
    assert _login(client, "reception", cast.password).status_code == 429
    assert "_auth_user_id" not in client.session


def test_hole3_the_lock_lifts_after_fifteen_minutes(cast, client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _login(client, "reception", "wrong-password")
        assert _login(client, "reception", cast.password).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert _login(client, "reception", cast.password).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=30), tick=False):
        response = _login(client, "reception", cast.password)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(cast.reception.pk)


def test_hole3_the_lock_says_how_long_to_wait(cast, client):
    for _ in range(5):
        response = _login(client, "reception", "wrong-password")
    assert "15 分钟" in response.content.decode()


def test_hole3_a_lock_on_one_account_leaves_colleagues_alone(cast, client):
    for _ in range(6):
        _login(client, "reception", "wrong-password")
    assert _login(client, "head", cast.password).status_code == 302


def test_hole3_one_address_trying_many_usernames_is_throttled(cast, client, settings):
    settings.GUITU_LOGIN_IP_FAILURE_LIMIT = 8
    for i in range(8):
        _login(client, f"guess{i}", "wrong-password", ip="10.9.9.9")
    response = _login(client, "head", cast.password, ip="10.9.9.9")
    assert response.status_code == 429
    assert "该地址已暂停登录" in response.content.decode()
    assert _login(client, "head", cast.password, ip="10.2.2.2").status_code == 302


def test_hole3_lockouts_are_audited_with_the_limit_that_was_hit(cast, client, settings):
    for _ in range(5):
        _login(client, "reception", "wrong-password")
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, summary__contains="账号已锁定").exists()
    settings.GUITU_LOGIN_IP_FAILURE_LIMIT = 6
    _login(client, "nobody", "wrong-password")
    assert AuditEntry.objects.filter(
        action=AuditAction.LOGIN_FAILED, summary__contains="该地址暂停登录"
    ).exists()


def test_hole3_a_success_resets_the_account_counter(cast, client):
    for _ in range(4):
        _login(client, "reception", "wrong-password")
    assert _login(client, "reception", cast.password).status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, "reception", "wrong-password").status_code == 200


def test_hole3_bad_api_tokens_count_against_the_address(cast, client, settings):
    settings.GUITU_LOGIN_IP_FAILURE_LIMIT = 5
    for _ in range(4):
        response = client.get("/api/v1/core/me", HTTP_AUTHORIZATION="Bearer gt_wrong", REMOTE_ADDR="10.7.7.7")
        assert response.status_code == 401
    fifth = client.get("/api/v1/core/me", HTTP_AUTHORIZATION="Bearer gt_wrong", REMOTE_ADDR="10.7.7.7")
    assert fifth.status_code == 429 and "分钟后再试" in fifth.json()["message"]
    from core import services

    _, token = services.api_token_create(by=cast.reception, name="手机端")
    blocked = client.get("/api/v1/core/me", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="10.7.7.7")
    assert blocked.status_code in (401, 429)
    ok = client.get("/api/v1/core/me", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="10.3.3.3")
    assert ok.status_code == 200
