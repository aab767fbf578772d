"""Issue 11's daily care in a real browser (Debian chromium), on a phone-sized screen: a carer records today's
lunch with its kept sample from the day board (rule C2), then writes a minor's one-person-one-plan from the
episode page (rule I8) and records the family's guardianship assessment (rule N10).

Screenshots under artifacts/: dailycare-01-meal.png, dailycare-02-plan.png."""

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": {"width": 390, "height": 844}}


def test_a_carer_records_a_meal_with_its_sample_and_writes_a_minors_plan(
    browser, live_server, login, artifacts_dir, settings, tmp_path
):
    from core.testing import PASSWORD, make_cast
    from dailycare.models import MealRecord, MinorPlan
    from stay import services as stay
    from stay.models import ZoneCategory
    from stay.tests.factories import admitted_episode

    settings.MEDIA_ROOT = str(tmp_path)
    cast = make_cast()
    zone = stay.zone_create(by=cast.head, station=cast.station, name="未成年人区", category=ZoneCategory.MINORS)
    (bed,) = stay.beds_create(by=cast.head, zone=zone, codes=["C01"])
    child = admitted_episode(cast, name="小明", age=12, is_minor=True)
    stay.bed_assign(by=cast.reception, episode=child, bed=bed)
    base = live_server.url

    page = login(browser.new_context(**PHONE).new_page(), cast.carer.username, PASSWORD)
    page.goto(f"{base}/dailycare/")
    page.click("text=登记午餐")
    page.wait_for_url(re.compile(r"/dailycare/meals/new/"))
    page.fill("input[name=menu]", "米饭、番茄炒蛋、青菜")
    page.fill("input[name=headcount]", "1")
    page.screenshot(path=str(artifacts_dir / "dailycare-01-meal.png"), full_page=True)
    page.click("#save")
    page.wait_for_url(re.compile(r"/dailycare/\?day="))
    assert "米饭、番茄炒蛋" in page.content()
    record = MealRecord.objects.get()
    assert record.sample.kept_by == cast.carer and record.recorded_by == cast.carer

    page.goto(f"{base}/people/episodes/{child.uuid}/")
    page.click(f"a[href='/dailycare/episodes/{child.uuid}/minor-plan/'] >> nth=0")
    page.fill("textarea[name=assessment]", "与家人走散，身体健康，情绪紧张")
    page.fill("textarea[name=plan]", "未成年人区专人照料，每日心理疏导，协助寻亲")
    page.select_option("select[name=responsible]", str(cast.carer.uuid))
    page.click("#save")
    page.wait_for_url(re.compile(r"/dailycare/minors/[0-9a-f-]+/$"))
    form = "form[action$='/assess/']"
    page.fill(f"{form} input[name=guardian_name]", "张父")
    page.fill(f"{form} input[name=relationship]", "父亲")
    page.fill(f"{form} input[name=method]", "电话核实")
    page.fill(f"{form} textarea[name=findings]", "父母在家务农，愿意接回")
    page.select_option(f"{form} select[name=conclusion]", "fit")
    page.click("#assess")
    page.wait_for_url(re.compile(r"/dailycare/minors/[0-9a-f-]+/$"))
    page.screenshot(path=str(artifacts_dir / "dailycare-02-plan.png"), full_page=True)
    assert "已保存家庭监护评估" in page.content()
    plan = MinorPlan.objects.get()
    assert plan.responsible == cast.carer and plan.guardianship_assessments.get().conclusion == "fit"
