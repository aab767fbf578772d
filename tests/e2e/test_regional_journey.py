"""Issue 13's regional journey in a real browser (Debian chromium): a county station escalates a case to its
regional centre (提级办理, rule R2); the centre accepts it, plans a cross-province escort batch with its own staff,
puts the person in it, sets off and hands the person over — the departure is recorded by leaving (rule E2).

Screenshots under artifacts/: regional-01-escalated.png, regional-02-batch.png, regional-03-handed-over.png."""

import datetime
import re

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _as(browser, login, username, password):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    return login(context.new_page(), username, password)


def test_a_station_escalates_and_the_centre_runs_a_cross_province_escort(browser, live_server, login, artifacts_dir,
                                                                        settings, tmp_path):
    from core.models import Division, Role
    from core.testing import PASSWORD, _user, make_cast
    from deadlines.tests.conftest import admit
    from leaving.models import Departure, ExitType
    from regional.models import BatchStatus, Escalation, EscalationStatus, EscortBatch

    settings.MEDIA_ROOT = str(tmp_path)
    cast = make_cast()
    head = _user("centre_head", "黄主任", cast.city_station, Role.HEAD)
    escort = _user("escort", "林护送", cast.city_station, Role.CARER)
    episode = admit(cast, timezone.now() - datetime.timedelta(days=2), name="罗远乡",
                    hukou_division=Division.objects.get(code="520102"))
    base = live_server.url

    station = _as(browser, login, cast.reception.username, PASSWORD)
    station.goto(f"{base}/regional/")
    station.click("a[href='/regional/escalations/new/']")
    station.select_option("select[name=episode]", str(episode.uuid))
    station.select_option("select[name=kind]", "escort")
    station.fill("textarea[name=reason]", "户籍地在贵州，需跨省护送，申请区域性中心统一护送。")
    station.click("button.primary")
    station.wait_for_url(re.compile(r"/regional/escalations/[0-9a-f-]+/$"))
    assert "待中心答复" in station.content()
    station.screenshot(path=str(artifacts_dir / "regional-01-escalated.png"), full_page=True)
    esc = Escalation.objects.get()

    centre = _as(browser, login, head.username, PASSWORD)
    centre.goto(f"{base}/regional/escalations/{esc.uuid}/")
    centre.check("input[name=decision][value=accept]")
    centre.fill("textarea[name=reason]", "中心接办，编入贵州方向统一护送。")
    centre.click("#answer-submit")
    centre.wait_for_selector("text=已接办")
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.ACCEPTED

    centre.goto(f"{base}/regional/escorts/new/")
    centre.fill("input[name=route]", "清远—贵阳")
    centre.fill("input[name=departs_on]", timezone.localdate().isoformat())
    centre.fill("input[name=vehicle]", "粤R·J0721")
    centre.select_option("select[name=staff]", [str(escort.pk)])
    centre.click("button.primary")
    centre.wait_for_url(re.compile(r"/regional/escorts/[0-9a-f-]+/$"))
    centre.select_option("select[name=episode]", str(episode.uuid))
    centre.select_option("select[name=destination]", "520102")
    centre.click("#add-member")
    centre.wait_for_selector("text=已编入护送批次")
    centre.screenshot(path=str(artifacts_dir / "regional-02-batch.png"), full_page=True)
    centre.click("#batch-start")
    centre.wait_for_selector("text=护送批次已出发")
    member = EscortBatch.objects.get().members.get()
    prefix = f"m{member.pk}"
    centre.select_option(f"select[name={prefix}-handed_over_to]", "family")
    centre.fill(f"input[name={prefix}-handover_person]", "罗远乡之兄")
    centre.fill(f"input[name={prefix}-handover_at]",
                (timezone.localtime() + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    centre.click(f"#hand-over-{member.pk}")
    centre.wait_for_selector("text=已交接，离站记录已登记")
    centre.screenshot(path=str(artifacts_dir / "regional-03-handed-over.png"), full_page=True)

    departure = Departure.objects.get(episode=episode)
    assert departure.exit_type == ExitType.HOME_ESCORTED and list(departure.escort_staff.all()) == [escort]
    assert EscortBatch.objects.get().status == BatchStatus.DONE
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.CLOSED  # the episode ended: the escalation is done
    # the station still reads its person's escort
    station.goto(f"{base}/regional/escorts/{member.batch.uuid}/")
    assert "已交接" in station.content()
