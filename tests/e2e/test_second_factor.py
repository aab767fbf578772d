"""A real browser: an administrator binds an authenticator (QR code page under the CSP), signs in with its
code next time, and no page runs a script the Content-Security-Policy refuses."""

import base64
import datetime

import pytest
import time_machine
from django_otp.oath import totp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _code(secret_text: str) -> str:
    secret = secret_text.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def test_i1_an_admin_binds_an_authenticator_and_signs_in_with_its_code(
    page, live_server, settings, artifacts_dir
):
    from core.testing import PASSWORD, make_cast

    settings.GUITU_OTP_ENFORCED = True
    cast = make_cast()
    violations = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast.admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/otp/setup/")
    assert page.locator(".qr svg").count() == 1
    page.screenshot(path=str(artifacts_dir / "otp_setup.png"), full_page=True)
    secret = page.locator("code").first.inner_text()
    page.fill("input[name=token]", _code(secret))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/otp/recovery/")
    assert page.locator("ul.codes li").count() == 10

    page.goto(f"{live_server.url}/manage/users/")
    assert "用户" in page.content()
    page.locator("form[action='/accounts/logout/'] button").click()

    # A code is accepted once: the next sign-in uses the next 30-second step (a moved clock, not a sleep).
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60)):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", cast.admin.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/accounts/otp/")
        page.goto(f"{live_server.url}/manage/users/")
        assert page.url == f"{live_server.url}/accounts/otp/"
        page.fill("input[name=token]", _code(secret))
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/manage/users/")
        assert page.url == f"{live_server.url}/manage/users/"
    assert violations == []
