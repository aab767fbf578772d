"""Issue 10's hazard journey in a real browser (Debian chromium), on a phone-sized screen: the station head
walks the risk checklist and finds a hazard (rule O3); a carer records the measures and the fix; the carer
cannot accept his own fix; the head accepts it and the county department closes it (销号).

Screenshots under artifacts/: oversight-01-inspect.png, oversight-02-hazard.png, oversight-03-closed.png."""

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": {"width": 390, "height": 844}}


def _as(browser, login, username, password):
    context = browser.new_context(**PHONE)
    return login(context.new_page(), username, password)


def test_an_inspection_finds_a_hazard_fixed_accepted_by_another_and_closed(
    browser, live_server, login, artifacts_dir, settings, tmp_path
):
    from core.testing import PASSWORD, make_cast
    from oversight.models import Hazard, HazardStatus
    from oversight.tests.world import make_checklist

    settings.MEDIA_ROOT = str(tmp_path)
    cast = make_cast()
    checklist = make_checklist(cast)
    base = live_server.url

    head = _as(browser, login, cast.head.username, PASSWORD)
    head.goto(f"{base}/oversight/")
    head.click(f"a[href='/oversight/orgs/{cast.station.uuid}/inspect/']")
    head.wait_for_url(re.compile(r"/inspect/$"))
    fire, food, missing = checklist
    head.check(f"input[name=r_{fire.pk}][value=fail]")
    head.fill(f"input[name=n_{fire.pk}]", "二楼走廊灭火器压力不足")
    head.check(f"input[name=r_{food.pk}][value=pass]")
    head.check(f"input[name=r_{missing.pk}][value=na]")
    head.screenshot(path=str(artifacts_dir / "oversight-01-inspect.png"), full_page=True)
    head.click("#save-inspection")
    head.wait_for_url(re.compile(r"/oversight/inspections/[0-9a-f-]+/$"))
    assert "隐患已录入隐患台账" in head.content()
    hazard = Hazard.objects.get()
    url = f"{base}/oversight/hazards/{hazard.uuid}/"

    carer = _as(browser, login, cast.carer.username, PASSWORD)
    carer.goto(url)
    carer.fill("textarea[name=measures]", "更换灭火器并纳入每月检查")
    carer.fill("input[name=responsible]", "赵照料")
    carer.click("#save-plan")
    carer.wait_for_selector("text=已保存整改措施")
    carer.fill("textarea[name=rectification]", "已更换4具灭火器")
    carer.click("#submit-fix")
    carer.wait_for_selector("text=已提交验收")
    assert "待验收" in carer.content()
    assert carer.locator("#accept-submit").count() == 0  # a carer never accepts
    carer.screenshot(path=str(artifacts_dir / "oversight-02-hazard.png"), full_page=True)

    head.goto(url)
    head.check("input[name=decision][value=accept]")
    head.fill("textarea[name=note]", "现场查看合格")
    head.click("#accept-submit")
    head.wait_for_selector("text=已记录验收结论")
    assert "已验收" in head.content()

    county = _as(browser, login, cast.county_supervisor.username, PASSWORD)
    county.goto(url)
    county.click("#close-hazard")
    county.wait_for_selector("text=隐患已销号")
    county.screenshot(path=str(artifacts_dir / "oversight-03-closed.png"), full_page=True)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CLOSED
    assert (hazard.rectified_by, hazard.accepted_by, hazard.closed_by) == (
        cast.carer,
        cast.head,
        cast.county_supervisor,
    )
