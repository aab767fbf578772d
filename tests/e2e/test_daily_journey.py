"""Issue 15 in a real browser: the episode page offers the next step through its own record, the bed map
shows each zone as a grid and moves a person in one step, a termination closes everything a departure
closes, and the help guide opens from the page. Screenshots on a desktop and a phone viewport."""

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _snap(page, artifacts_dir, name):
    page.screenshot(path=str(artifacts_dir / f"daily-{name}.png"), full_page=True)


def test_the_next_step_flow_the_bed_map_and_a_termination(page, live_server, login, artifacts_dir):
    from core.testing import PASSWORD, make_cast
    from people.models import Episode
    from stay import services as stay
    from stay.models import BedAssignment, SexRestriction, ZoneCategory
    from stay.tests.factories import admitted_episode

    cast = make_cast()
    zone = stay.zone_create(by=cast.head, station=cast.station, name="男区", category=ZoneCategory.MEN,
                            sex_restriction=SexRestriction.MALE)
    stay.beds_create(by=cast.head, zone=zone, codes=["M01", "M02", "M03"])
    episode = admitted_episode(cast, name="周建华", sex="男")
    base = live_server.url
    login(page, cast.head.username, PASSWORD)

    # 1. The episode page offers each allowed move through its own record; no generic status form.
    page.goto(f"{base}/people/episodes/{episode.uuid}/")
    moves = page.locator("#moves")
    assert moves.is_visible() and "离站登记" in moves.inner_text() and "终止救助通知书" in moves.inner_text()
    assert page.locator("select[name=to]").count() == 0
    _snap(page, artifacts_dir, "01-episode-next-steps")
    moves.locator("a:has-text('安排床位')").click()
    page.select_option("select[name=bed]", index=1)
    page.click("main form button.primary")
    page.wait_for_load_state()
    episode.refresh_from_db()
    assert episode.status == "in_station"

    # 2. The bed map: a grid per zone; click the occupied bed and move him in one step.
    page.goto(f"{base}/stay/beds/map/")
    grid = page.locator(f".bed-grid[data-zone='{zone.uuid}']")
    assert grid.locator(".bed.occupied").count() == 1 and grid.locator(".bed.free").count() == 2
    _snap(page, artifacts_dir, "02-bed-map")
    grid.locator(".bed.occupied").click()
    page.select_option("select[name=bed]", label=next(o for o in page.locator("select[name=bed] option").all_inner_texts() if o.endswith("M03")))
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/stay/beds/map/"))
    assert BedAssignment.objects.get(episode=episode, released_at__isnull=True).bed.code == "M03"
    assert "M03" in grid.locator(".bed.occupied").inner_text()

    # 3. 终止救助 asks for confirmation and closes the bed like a departure.
    page.goto(f"{base}/people/episodes/{episode.uuid}/")
    page.locator("#moves a:has-text('终止救助通知书')").click()
    page.fill("[name=reason]", "核实发现其提供虚假身份信息骗取车票")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("main form button")
    page.wait_for_load_state()
    episode = Episode.objects.get(pk=episode.pk)
    assert episode.status == "terminated"
    assert not BedAssignment.objects.filter(episode=episode, released_at__isnull=True).exists()

    # 4. Help from the page, then the same pages on a phone.
    page.goto(f"{base}/stay/beds/map/")
    page.click("nav.mainnav a:has-text('帮助')")
    page.wait_for_url(re.compile(r"/help/station/"))
    assert "救助站日常工作指南" in page.locator("#help-guide").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/stay/beds/map/")
    _snap(page, artifacts_dir, "03-bed-map-phone")
    page.goto(f"{base}/people/episodes/{episode.uuid}/")
    _snap(page, artifacts_dir, "04-episode-phone")
