"""A real browser logs in and sees the Chinese dashboard."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_receptionist_logs_in_and_sees_the_dashboard_in_chinese(page, live_server, login, artifacts_dir):
    from core.testing import PASSWORD, make_cast

    cast = make_cast()
    login(page, cast.reception.username, PASSWORD)
    assert "工作台" in page.content()
    assert page.locator("nav.mainnav").inner_text().count("首页") == 1
    page.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)


def test_a_wrong_password_gets_a_chinese_message(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    # The POST navigates: wait for the answer page rather than reading the page mid-navigation.
    expect(page.locator("main")).to_contain_text("用户名或密码不正确")
