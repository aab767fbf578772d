"""Issue 11's settlement journey in a real browser (Debian chromium): an unidentified person stranded four
months — the station head applies from the episode page (rule S1), the county department submits the plan to
the government and records the approval, the head places the person in the welfare home (the episode leaves by
安置, rule E1), and the police register the 户口 in the institution's collective household (rule S2).

Screenshots under artifacts/: settlement-01-panel.png, settlement-02-approved.png, settlement-03-hukou.png."""

import datetime
import io
import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _as(browser, login, username, password):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    return login(context.new_page(), username, password)


def _scan(tmp_path, name):
    from PIL import Image

    path = tmp_path / name
    buf = io.BytesIO()
    Image.new("RGB", (200, 280), (240, 240, 230)).save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return str(path)


def test_an_unidentified_person_goes_through_settlement_to_hukou(browser, live_server, login, artifacts_dir, settings,
                                                                   tmp_path):
    from django.utils import timezone

    from core.testing import PASSWORD, make_cast
    from deadlines.tests.conftest import admit
    from people.states import EpisodeStatus
    from settlement.models import SettlementCase, SettlementStatus
    from settlement.tests.helpers import make_facility

    settings.MEDIA_ROOT = str(tmp_path)
    cast = make_cast()
    facility = make_facility()
    episode = admit(cast, timezone.now() - datetime.timedelta(days=125), name="英德站无名氏")
    base = live_server.url

    head = _as(browser, login, cast.head.username, PASSWORD)
    head.goto(f"{base}/people/episodes/{episode.uuid}/")
    assert "尚未申请落户安置" in head.locator("#panel-settlement").inner_text()
    head.screenshot(path=str(artifacts_dir / "settlement-01-panel.png"), full_page=True)
    head.click(f"a[href='/settlement/episodes/{episode.uuid}/apply/']")
    head.fill("textarea[name=situation]", "滞留四个月，公安核查、DNA比对、寻亲公告均未查明身份")
    head.set_input_files("input[name=document]", _scan(tmp_path, "application.png"))
    head.click("button.primary")
    head.wait_for_url(re.compile(r"/settlement/[0-9a-f-]+/$"))
    assert "已提出落户安置申请" in head.content()
    case = SettlementCase.objects.get()

    dept = _as(browser, login, cast.county_supervisor.username, PASSWORD)
    dept.goto(f"{base}/settlement/{case.uuid}/")
    dept.click("text=拟定方案并报政府")
    dept.fill("input[name=government]", "英德市人民政府")
    dept.fill("textarea[name=plan_summary]", "安置到清远市社会福利院，办理集体户口，纳入特困人员供养")
    dept.set_input_files("input[name=document]", _scan(tmp_path, "plan.png"))
    dept.click("button.primary")
    dept.wait_for_selector("text=已登记方案报送")
    dept.click("text=登记政府批复")
    dept.check("input[name=decision][value=approved]")
    dept.fill("input[name=approval_ref]", "英府复〔2026〕12号")
    dept.set_input_files("input[name=document]", _scan(tmp_path, "approval.png"))
    dept.click("button.primary")
    dept.wait_for_selector("text=已登记政府批复")
    assert "已批准" in dept.locator(".settlement-status").inner_text()
    dept.screenshot(path=str(artifacts_dir / "settlement-02-approved.png"), full_page=True)

    head.goto(f"{base}/settlement/{case.uuid}/")
    head.click("text=办理安置（离站）")
    head.check("input[name=kind][value=settled]")
    head.select_option("select[name=institution]", label=facility.name)
    head.select_option("select[name=police]", label=cast.police.name)
    head.fill("input[name=receiver]", "福利院李院长")
    head.set_input_files("input[name=document]", _scan(tmp_path, "handover.png"))
    head.click("button.primary")
    head.wait_for_selector("text=已安置到福利机构")
    assert "离站记录" in head.content() and "安置" in head.locator(".settlement-status").inner_text()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.LEFT and episode.departure.exit_type == "settlement"

    police = _as(browser, login, cast.police_officer.username, PASSWORD)
    police.goto(f"{base}/settlement/?awaiting=police")
    police.click(f"text={case.number}")
    police.click("text=登记户口")
    police.fill("input[name=number]", "441802202600123")
    police.fill("input[name=address]", "清远市社会福利院集体户")
    police.click("button.primary")
    police.wait_for_selector("text=已登记户口。")
    assert "已落户" in police.locator(".settlement-status").inner_text()
    police.screenshot(path=str(artifacts_dir / "settlement-03-hukou.png"), full_page=True)
    case.refresh_from_db()
    assert case.status == SettlementStatus.REGISTERED and case.hukou_number == "441802202600123"
