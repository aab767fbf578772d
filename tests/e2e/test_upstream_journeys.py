"""Issue 12's journeys in a real browser (Debian chromium), on a phone-sized screen.

1. A passer-by reports a man under a bridge from the public page (no login); the station dispatches and arrives;
   a patrol logs him on the phone page while offline, the queue uploads when the signal is back (nothing twice);
   he comes in and the encounter and the sighting are linked to his intake (rules P1, P2).
2. A man is sent home by ticket; his township's contact records a follow-up on the phone; the village reports
   that he wanders again; the station acknowledges the alert and he is a missing-person record for the
   matching engine (rules A1–A3).

Screenshots under artifacts/: upstream-01-public-report.png, upstream-02-offline-queue.png,
upstream-03-aftercare-case.png."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": {"width": 390, "height": 844}}


def _snap(page, artifacts_dir, name):
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)


def _login(page, base, username, password):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_public_sighting_is_dispatched_patrolled_offline_and_brought_in(
    browser, live_server, artifacts_dir
):
    from core.testing import PASSWORD, make_cast
    from deadlines.tests.conftest import admit
    from outreach.models import Encounter, Patrol, Sighting

    cast = make_cast()
    base = live_server.url
    public = browser.new_context(**PHONE).new_page()
    public.goto(f"{base}/baogao/")
    public.select_option("select[name=station]", label="英德市救助管理站")
    public.fill("input[name=place]", "北江大桥桥洞下")
    public.fill("textarea[name=description]", "男，约60岁，衣着单薄，躺着不动")
    public.fill("input[name=reporter_phone]", "13800138000")
    _snap(public, artifacts_dir, "upstream-01-public-report")
    public.click("button.primary")
    assert "谢谢，已收到您的报告" in public.content()
    sighting = Sighting.objects.get()
    assert sighting.station == cast.station and sighting.source == "public"

    staff_ctx = browser.new_context(**PHONE)
    staff = staff_ctx.new_page()
    _login(staff, base, cast.reception.username, PASSWORD)
    staff.goto(f"{base}/outreach/")
    staff.click(f"text={sighting.number}")
    staff.fill("input[name=dispatched_to]", "巡查一组")
    staff.click("text=派出（1小时内）")
    staff.click("text=已到场")
    sighting.refresh_from_db()
    assert sighting.status == "arrived"

    # The patrol's phone loses signal: entries queue on the phone and upload once, when it is back.
    staff.goto(f"{base}/outreach/patrols/mobile/")
    staff_ctx.set_offline(True)
    staff.fill("[data-start-form] input[name=team]", "巡查一组")
    staff.click("[data-start-form] button")
    staff.fill("[data-encounter-form] input[name=place]", "北江大桥桥洞下")
    staff.select_option("[data-encounter-form] select[name=group]", "elderly")
    staff.select_option("[data-encounter-form] select[name=outcome]", "escorted")
    staff.fill("[data-encounter-form] textarea[name=description]", "男，约60岁，同意护送到站")
    staff.click("[data-encounter-form] button")
    assert staff.locator("[data-queue-count]").inner_text() == "2"
    _snap(staff, artifacts_dir, "upstream-02-offline-queue")
    assert not Patrol.objects.exists()
    staff_ctx.set_offline(False)
    staff.evaluate("window.dispatchEvent(new Event('online'))")
    expect(staff.locator("[data-queue-count]")).to_have_text("0", timeout=15000)
    # a resend of the same entries (the phone did not hear the answer) saves nothing twice
    staff.evaluate("""() => { const p = JSON.parse(localStorage.getItem('guitu-outreach-patrol-reception'));
        const q = [{url: '/api/v1/outreach/patrols', body: p, label: 'again'}];
        localStorage.setItem('guitu-outreach-queue-reception', JSON.stringify(q));
        window.dispatchEvent(new Event('online')); }""")
    expect(staff.locator("[data-queue-count]")).to_have_text("0", timeout=15000)
    assert Patrol.objects.count() == 1 and Encounter.objects.count() == 1
    encounter = Encounter.objects.get()

    # He comes in: the receptionist registers him, then links the encounter and closes the sighting.
    episode = admit(cast, timezone.now(), name="桥下老人")
    staff.goto(f"{base}/outreach/patrols/{encounter.patrol.uuid}/")
    staff.fill("input[name=episode]", str(episode.uuid))
    staff.click("text=关联")
    encounter.refresh_from_db()
    assert encounter.episode == episode
    staff.goto(f"{base}/outreach/sightings/{sighting.uuid}/")
    staff.select_option("select[name=outcome]", "brought_in")
    staff.select_option("select[name=episode]", str(episode.pk))
    staff.click("text=处置完毕")
    sighting.refresh_from_db()
    assert sighting.status == "closed" and sighting.episode == episode


def test_a_return_home_is_followed_up_by_the_township_and_renewed_wandering_alerts_the_station(
    browser, live_server, artifacts_dir
):
    from aftercare.models import ReturnCase, WanderingAlert
    from aftercare.tests.conftest import send_home
    from core.models import Division, DivisionLevel, Organisation, OrgKind, Role, User, UserRole
    from core.testing import PASSWORD, make_cast
    from matching.models import MissingReport

    cast = make_cast()
    base = live_server.url
    county = Division.objects.get(code="441881")
    t_div = Division.objects.create(
        code="441881001", name="英城街道", level=DivisionLevel.TOWNSHIP, parent=county
    )
    v_div = Division.objects.create(
        code="441881001001", name="和平社区", level=DivisionLevel.VILLAGE, parent=t_div
    )
    township = Organisation.objects.create(
        name="英城街道办事处", code="YCJD", kind=OrgKind.TOWNSHIP, division=t_div, supervisor=cast.county_dept
    )
    village = Organisation.objects.create(
        name="和平社区居委会", code="HPSQ", kind=OrgKind.VILLAGE, division=v_div, supervisor=township
    )
    lead = User.objects.create_user(username="yc_lead", password=PASSWORD, organisation=township)
    UserRole.objects.create(user=lead, role=Role.HEAD)
    User.objects.create_user(username="hp_wangge", password=PASSWORD, organisation=village)
    now = timezone.now()
    departure = send_home(
        cast,
        "返乡罗某",
        admitted=now - datetime.timedelta(days=10),
        left=now - datetime.timedelta(days=7),
        hukou=v_div,
    )
    case = ReturnCase.objects.get(episode=departure.episode)
    assert case.township == township and case.village == village

    phone = browser.new_context(**PHONE).new_page()
    _login(phone, base, "yc_lead", PASSWORD)
    phone.goto(f"{base}/aftercare/")
    phone.click("text=返乡罗某")
    phone.click("text=记录回访")
    phone.fill(
        "input[name=visited_at]",
        timezone.localtime(now - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    )
    phone.select_option("select[name=method]", "home")
    phone.fill("textarea[name=situation]", "在家，与母亲同住，情绪稳定")
    phone.click("button.primary")
    phone.wait_for_url(re.compile(r"/aftercare/cases/[0-9a-f-]+/$"))
    assert "在家，与母亲同住" in phone.content()
    _snap(phone, artifacts_dir, "upstream-03-aftercare-case")

    village_phone = browser.new_context(**PHONE).new_page()
    _login(village_phone, base, "hp_wangge", PASSWORD)
    village_phone.goto(f"{base}/aftercare/cases/{case.uuid}/wandering/")
    village_phone.fill("input[name=last_seen_place]", "英德汽车客运站")
    village_phone.click("button.primary")
    village_phone.wait_for_url(re.compile(r"/aftercare/cases/[0-9a-f-]+/$"))
    alert = WanderingAlert.objects.get()
    assert MissingReport.objects.filter(uuid=alert.missing_report_uuid, organisation=cast.station).exists()

    desk = browser.new_context(**PHONE).new_page()
    _login(desk, base, cast.reception.username, PASSWORD)
    desk.goto(f"{base}/aftercare/alerts/?open=1")
    desk.click("text=返乡罗某")
    desk.click("text=签收（24小时内）")
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast.reception
