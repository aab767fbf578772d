"""Issue 11's outside-care journey in a real browser (Debian chromium): the station head places a person in
outside care under the agreement in force (rule C5), a carer records the weekly visit with each person's
condition and the facility's safety, and the head plans a bring-back batch and carries it out — the placement
closes and a bed is assigned in one step (rule C6).

Screenshots under artifacts/: outsidecare-01-placed.png, outsidecare-02-visit.png, outsidecare-03-back.png."""

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_placement_under_an_agreement_a_weekly_visit_and_a_bring_back_to_a_bed(
    browser, live_server, login, artifacts_dir, settings, tmp_path
):
    from django.utils import timezone

    from core.testing import PASSWORD, make_cast
    from outsidecare import testing
    from outsidecare.models import BringBackItem, Visit
    from people.models import Episode
    from stay.models import Placement
    from stay.tests.factories import admitted_episode, station_beds

    settings.MEDIA_ROOT = str(tmp_path)
    cast = make_cast()
    beds = station_beds(cast)
    facility = testing.facility(cast=cast)
    agreement = testing.agreement(by=cast.head, station=cast.station, facility=facility, capacity=5)
    episode = admitted_episode(cast, name="托养旅程")
    base = live_server.url

    head = login(browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page(), cast.head.username,
                 PASSWORD)
    head.goto(f"{base}/stay/episodes/{episode.uuid}/placement/?kind=outside_care")
    head.select_option("select[name=organisation]", str(facility.uuid))
    head.click("form button.primary")
    head.wait_for_url(re.compile(r"/people/episodes/"))
    placement = Placement.objects.get(episode=episode)
    assert placement.agreement == agreement
    assert agreement.number in head.content()
    head.screenshot(path=str(artifacts_dir / "outsidecare-01-placed.png"), full_page=True)

    carer = login(browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page(), cast.carer.username,
                  PASSWORD)
    carer.goto(f"{base}/outsidecare/")
    carer.click(f"a[href='/outsidecare/placements/{placement.uuid}/visit/']")
    carer.wait_for_url(re.compile(r"/visit/$"))
    carer.fill("textarea[name=safety]", "消防器材齐全，夜间有人值守")
    carer.fill(f"input[name=care_{placement.pk}]", "个人卫生整洁")
    carer.fill(f"input[name=physical_{placement.pk}]", "身体状况稳定")
    carer.fill(f"input[name=mental_{placement.pk}]", "情绪平稳")
    carer.click("#save-visit")
    carer.wait_for_url(re.compile(r"/outsidecare/visits/[0-9a-f-]+/$"))
    assert "个人卫生整洁" in carer.content()
    carer.screenshot(path=str(artifacts_dir / "outsidecare-02-visit.png"), full_page=True)
    assert Visit.objects.get().people.get().placement == placement

    head.goto(f"{base}/outsidecare/bringback/new/")
    head.fill("input[name=planned_on]", timezone.localdate().isoformat())
    head.fill("input[name=transport]", "站内面包车")
    head.select_option("select[name=zone]", str(beds.men.uuid))
    head.check(f"input[name=placements][value='{placement.uuid}']")
    head.click("form button.primary")
    head.wait_for_url(re.compile(r"/outsidecare/bringback/[0-9a-f-]+/$"))
    assert "待返站 1 人" in head.content()
    head.click("text=办理返站")
    head.wait_for_url(re.compile(r"/outsidecare/bringback/items/"))
    head.select_option("select[name=bed]", str(beds.m1.uuid))
    head.click("form button.primary")
    head.wait_for_url(re.compile(r"/outsidecare/bringback/[0-9a-f-]+/$"))
    assert "已返站 1 人，待返站 0 人" in head.content()
    head.screenshot(path=str(artifacts_dir / "outsidecare-03-back.png"), full_page=True)

    placement.refresh_from_db()
    assert placement.ended_at is not None
    assert Episode.objects.get(pk=episode.pk).status == "in_station"
    assert BringBackItem.objects.get().assignment.bed == beds.m1
