"""Each role's home page in a real browser (issue 15): a station receptionist and a police officer log in, see
their own sections, follow a number to the list it counts; screenshots on a desktop and a phone viewport."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _data(cast):
    """Two repeat requests flagged for 重点甄别 (I6) and undecided for two days; an identity check unanswered
    for three days (T2)."""
    from deadlines.tests.conftest import ELIGIBLE
    from intake import services as intake
    from people.models import Episode
    from tracing import services as tracing
    from tracing.tests.factories import unidentified

    then = timezone.now() - datetime.timedelta(days=2)
    flagged = []
    with time_machine.travel(then, tick=False):
        for n in range(2):
            episode = intake.intake_register(
                by=cast.reception, station=cast.station, channel="walk_in", requested_at=then,
                person_data={"name": f"多次求助{n}", "sex": "男", "birth_date": datetime.date(1970, 1, 1 + n)},
                answers=ELIGIBLE)
            flagged.append(episode.pk)
    Episode.objects.filter(pk__in=flagged).update(flag_repeat_requests=True)
    three_days = timezone.now() - datetime.timedelta(days=3)
    episode = unidentified(cast, at=three_days - datetime.timedelta(hours=2))
    with time_machine.travel(three_days, tick=False):
        tracing.check_create(by=cast.tracer, person=episode.person, police=cast.police, known_info="三天前发出")


def _shots(page, artifacts_dir, name):
    page.screenshot(path=str(artifacts_dir / f"home-{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / f"home-{name}-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_receptionist_and_a_police_officer_each_see_their_home(page, live_server, login, artifacts_dir):
    from core.testing import PASSWORD, make_cast

    cast = make_cast()
    _data(cast)

    login(page, cast.reception.username, PASSWORD)
    expect(page.locator("#home-station")).to_be_visible()
    expect(page.locator("#home-tasks")).to_be_visible()
    expect(page.locator("#home-police")).to_have_count(0)
    flagged = page.locator('#home-station a[href="/intake/?status=requested&flagged=on"]')
    expect(flagged.locator("b")).to_have_text("2")
    overdue_i6 = page.locator('#home-task-rules a[href="/deadlines/?rule=I6#bucket-overdue"]')
    expect(overdue_i6).to_have_text("2")
    expect(page.locator("nav.mainnav")).to_contain_text(re.compile(r"待办（\d+）"))
    _shots(page, artifacts_dir, "reception")
    flagged.click()
    page.wait_for_url(re.compile(r"/intake/\?status=requested&flagged=on"))
    expect(page.locator("table tr", has_text="多次求助")).to_have_count(2)
    page.context.clear_cookies()  # log out (Django logs out by POST only)

    login(page, cast.police_officer.username, PASSWORD)
    expect(page.locator("#home-police")).to_be_visible()
    expect(page.locator("#home-station")).to_have_count(0)
    overdue = page.locator('#home-police a[href="/tracing/?status=sent&overdue=1"]')
    expect(overdue.locator("b")).to_have_text("1")
    _shots(page, artifacts_dir, "police")
    overdue.click()
    page.wait_for_url(re.compile(r"/tracing/\?status=sent&overdue=1"))
    expect(page.locator("table tr", has_text="英德")).to_have_count(1)


def test_the_login_page_says_whom_to_ask_for_a_forgotten_password(page, live_server, artifacts_dir):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("#forgot-password")).to_contain_text("系统管理员")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / "login-phone.png"), full_page=True)
