"""Issue 2's journey in a real browser (Debian chromium): a receptionist registers a man escorted by the
police, records the handover (rule I5), the safety check (I2) and the health check (I3), admits him, gives
him a bed (C1, N4), sends him home with a ticket (E1, N8) and finds every step on his file's timeline (E4).
Issue 15: every step is taken from the one page of the stay (/people/episodes/<uuid>/) through its "下一步"
button — 填写护送交接表 → 安全检查 → 初步检视 → 办理入站 → 安排床位 → 寻亲 — and the page lists what is still
missing. Screenshots of the main pages (the episode page on a desktop and a phone) are saved under artifacts/."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ID_NUMBER = "430521198503127712"  # valid GB 11643 checksum, male, born 1985-03-12, 邵东


def _local_minute() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _snap(page, artifacts_dir, name):
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)


def _snap_both(page, artifacts_dir, name):
    """The same page on a desktop and on a phone (390×844)."""
    _snap(page, artifacts_dir, f"{name}-desktop")
    desktop = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    _snap(page, artifacts_dir, f"{name}-phone")
    page.set_viewport_size(desktop)


def _next_step(page):
    """The episode page's one "下一步" button."""
    return page.locator("#next-step .btn.primary")


def test_a_receptionist_takes_an_escorted_man_from_request_to_home(page, live_server, login, artifacts_dir):
    from core.testing import PASSWORD, make_cast
    from guitu_match.idcard import parse_id_number
    from people.models import Episode
    from stay import services as stay
    from stay.models import SexRestriction, ZoneCategory

    assert parse_id_number(ID_NUMBER).sex == "男"
    cast = make_cast()
    zone = stay.zone_create(by=cast.head, station=cast.station, name="男区", category=ZoneCategory.MEN,
                            sex_restriction=SexRestriction.MALE)
    stay.beds_create(by=cast.head, zone=zone, codes=["M01", "M02"])
    base = live_server.url
    login(page, cast.reception.username, PASSWORD)

    # 1. 求助登记: police escort, N2 answers, N1 decision.
    page.goto(f"{base}/intake/new/")
    page.select_option("select[name=channel]", "police")
    page.fill("input[name=name]", "黄志强")
    page.select_option("select[name=sex]", "男")
    page.fill("input[name=id_number]", ID_NUMBER)
    page.fill("input[name=hukou_text]", "湖南省邵阳市邵东县")
    page.select_option("select[name=reason]", "robbed")
    for box in ("cannot_pay", "no_relatives", "not_on_subsistence", "living_by_vagrancy", "fingerprint_taken",
                "photo_taken"):
        page.check(f"input[name={box}]")
    page.select_option("select[name=decision]", "eligible")
    _snap(page, artifacts_dir, "01-intake-form")
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/people/episodes/[0-9a-f-]+/#next-step$"))
    assert "已登记求助" in page.content()
    episode = Episode.objects.get(person__name="黄志强")
    assert episode.status == "requested" and episode.channel == "police"
    on_episode = re.compile(rf"/people/episodes/{episode.uuid}/#next-step$")
    # the page says what admission still waits for, and offers the first of it
    missing = page.locator("#missing")
    for item in ("缺护送交接表", "未做安全检查", "未做初步检视"):
        expect(missing).to_contain_text(item)
    _snap_both(page, artifacts_dir, "02a-episode-next-handover")

    # 2. 护送交接表 (rule I5), from the next-step button.
    expect(_next_step(page)).to_have_text("填写护送交接表")
    _next_step(page).click()
    page.select_option("select[name=escort_org]", label=cast.police.name)
    page.fill("input[name=officers]", "刘海涛（警号041235）")
    page.fill("input[name=handed_over_at]", _local_minute())
    page.fill("input[name=found_place]", "英德市火车站广场")
    page.fill("[name=found_how]", "巡逻发现其露宿，劝导后护送至站")
    page.fill("[name=condition]", "神志清楚，身体虚弱")
    page.click("main form button.primary")
    page.wait_for_url(on_episode)

    # 3. 安全检查 (rule I2) and 4. 初步检视 (rule I3), each offered next.
    expect(_next_step(page)).to_have_text("安全检查")
    expect(page.locator("#missing")).not_to_contain_text("缺护送交接表")
    _next_step(page).click()
    page.fill("[name=note]", "逢进必检，未发现危险物品")
    page.click("main form button.primary")
    page.wait_for_url(on_episode)
    expect(_next_step(page)).to_have_text("初步检视")
    _next_step(page).click()
    page.fill("[name=physical]", "一般情况可")
    page.fill("[name=mental]", "神志清楚，对答切题")
    page.select_option("select[name=outcome]", "admitted")
    page.click("main form button.primary")
    page.wait_for_url(on_episode)
    _snap_both(page, artifacts_dir, "02b-episode-next-admit")

    # 5. 办理入站 (irreversible: the page asks for confirmation).
    expect(_next_step(page)).to_contain_text("办理入站")
    page.once("dialog", lambda dialog: dialog.accept())
    _next_step(page).click()
    page.wait_for_url(on_episode)
    episode.refresh_from_db()
    assert episode.status == "admitted"

    # 6. 安排床位 (rules C1, N4): the next step once admitted.
    expect(page.locator("#missing")).to_contain_text("未安排床位")
    _snap_both(page, artifacts_dir, "02c-episode-next-bed")
    expect(_next_step(page)).to_have_text("安排床位")
    _next_step(page).click()
    page.select_option("select[name=bed]", index=1)
    page.click("main form button.primary")
    page.wait_for_url(on_episode)
    episode.refresh_from_db()
    assert episode.status == "in_station"
    # in the station with identity not yet confirmed: tracing comes before leaving (rule T1)
    expect(page.locator("#missing")).not_to_contain_text("未安排床位")
    expect(page.locator("#missing")).to_contain_text("身份未查明")
    expect(_next_step(page)).to_have_text("寻亲")
    _snap_both(page, artifacts_dir, "02d-episode-next-tracing")
    # the old addresses of the intake and stay pages lead to the same page
    page.goto(f"{base}/intake/episodes/{episode.uuid}/")
    page.wait_for_url(re.compile(rf"/people/episodes/{episode.uuid}/#intake-panel$"))
    page.goto(f"{base}/stay/")
    assert "黄志强" in page.content()
    _snap(page, artifacts_dir, "03-stay-board")

    # 7. 返乡（购票） (rules E1, N8).
    page.goto(f"{base}/people/episodes/{episode.uuid}/")
    page.click("a.btn:has-text('办理离站')")
    page.select_option("select[name=exit_type]", "home_ticket")
    page.fill("input[name=ticket_no]", "E123456789")
    page.select_option("select[name=travel_mode]", "train")
    page.fill("input[name=destination]", "湖南省邵阳市邵东市")
    _snap(page, artifacts_dir, "04-leaving-form")
    page.click("main form button.primary")
    page.wait_for_load_state()
    episode.refresh_from_db()
    assert episode.status == "left", page.content()[:3000]
    assert episode.departure.exit_type == "home_ticket"

    # 8. The file's timeline shows every step, in order, with who did it (rule E4).
    page.goto(f"{base}/people/{episode.person.uuid}/")
    _snap(page, artifacts_dir, "05-person-file")
    timeline = page.locator("#timeline .timeline").inner_text()
    steps = ["求助登记", "护送交接", "安全检查", "初步检视", "办理入站", "安排床位", "离站"]
    positions = [timeline.find(step) for step in steps]
    assert all(p >= 0 for p in positions), dict(zip(steps, positions, strict=True))
    assert positions == sorted(positions), dict(zip(steps, positions, strict=True))
    assert cast.reception.full_name in timeline
    assert "430521********7712" in page.content() and ID_NUMBER not in page.content()

    page.goto(f"{base}/people/")
    _snap(page, artifacts_dir, "06-people-list")
    page.goto(f"{base}/leaving/")
    assert "黄志强" in page.content()
    _snap(page, artifacts_dir, "07-leaving-list")
