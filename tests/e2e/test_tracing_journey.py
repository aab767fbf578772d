"""Issue 4's journey in a real browser (Debian chromium): an unidentified man is admitted; his tracer writes
and publishes a family-search announcement from his file (rule T3); he appears on the public board; a family
sends a clue from the board and the tracer finds it in the clue inbox; the police import a missing-person
report from Excel on the matching page (rule T7); the engine proposes him; the tracer confirms; his file shows
the identity, the board no longer shows him and a return-home plan is open (rule T9).

Screenshots under artifacts/: tracing-01-board.png, tracing-02-poster.png, tracing-03-person-tracing-tab.png
and a few more."""

import datetime
import io
import re

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REPORT_NO = "QC2026-0815"


def _snap(page, artifacts_dir, name):
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)


def _report_workbook(path, *, reported_at: datetime.datetime) -> None:
    """One police batch built from the app's own template columns (every column present, order as in it)."""
    from openpyxl import Workbook

    from matching.services import IMPORT_COLUMNS

    row = {"report_no": REPORT_NO, "reported_at": timezone.localtime(reported_at).strftime("%Y-%m-%d %H:%M"),
           "reporter_name": "张大山", "reporter_phone": "13800138000", "reporter_relationship": "父亲",
           "name": "张伟", "aliases": "伟伟", "sex": "男", "birth_year": "1985", "hukou_division": "411625",
           "hukou_text": "河南省周口市郸城县", "dialect": "河南口音", "height_cm": "170", "marks": "左眉上有疤痕",
           "last_seen_on": timezone.localdate(reported_at).isoformat(), "last_seen_place": "郸城县汽车站"}
    wb = Workbook()
    ws = wb.active
    ws.append([header for header, _, _ in IMPORT_COLUMNS])
    ws.append([row.get(field, "") for _, field, _ in IMPORT_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())


@pytest.fixture
def matching_sandbox(settings, tmp_path):
    """The engine's files in a temporary directory, a cold cache, faces off (drawn portraits have none)."""
    from matching import engine

    settings.GUITU_MATCH_DIR = str(tmp_path / "matching")
    settings.GUITU_MATCH_FACES = False
    settings.MEDIA_ROOT = str(tmp_path / "media")
    engine.reset_cache()
    yield
    engine.reset_cache()


def test_an_unidentified_man_is_announced_found_by_a_report_and_identified(
        page, browser, live_server, login, artifacts_dir, matching_sandbox, tmp_path):
    from core.testing import PASSWORD, make_cast
    from deadlines.tests.conftest import admit
    from guitu.demo_photos import portrait_upload
    from matching.models import MatchCandidate, MissingReport, ReportStatus
    from people import services as people
    from people.models import IdentityStatus
    from tracing.models import PlanStatus, ReturnPlan

    cast = make_cast()
    base = live_server.url
    # He says he is 章伟 (heard by ear), from Henan, about 38; nothing is verified: unidentified.
    episode = admit(cast, timezone.now() - datetime.timedelta(hours=3), name="章伟", birth_date=None,
                    birth_year_est=1988, age_min=33, age_max=43, hukou_text="自称河南郸城人", dialect="河南话",
                    height_cm=172, marks="左眉有疤", identity_status=IdentityStatus.UNIDENTIFIED)
    person = episode.person
    assert person.identity_status == IdentityStatus.UNIDENTIFIED
    people.photo_add(by=cast.reception, person=person, image=portrait_upload(42), taken_on=timezone.localdate())

    # 1. The tracer writes the announcement from his file, chooses the photo and the details, and publishes (T3).
    login(page, cast.tracer.username, PASSWORD)
    page.goto(f"{base}/people/{person.uuid}/")
    page.click("#new-announcement")
    page.wait_for_url(re.compile(r"/announcements/people/[0-9a-f-]+/new/$"))
    form = page.locator("#announcement-form")
    assert form.locator("input[name=photos]").first.is_checked()  # his portrait, chosen by default
    page.fill("input[name=found_place]", "英德市火车站广场")
    page.fill("textarea[name=features]", "男，约38岁，身高约172厘米，左眉有疤，说河南话")
    page.check("input[name=chosen][value=statement]")
    page.fill("textarea[name=statement]", "自称姓章，家在河南郸城，家门口有条河")
    _snap(page, artifacts_dir, "tracing-00-announcement-form")
    page.click("#save-and-publish")
    page.wait_for_url(re.compile(r"/announcements/[0-9a-f-]+/$"))
    assert "已发布" in page.content()
    code = page.locator("h1").inner_text().split()[1]

    # 2. The public board, logged out in a fresh browser context: the card, the detail page, the poster.
    public = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844})
    family = public.new_page()
    family.goto(f"{base}/xunqin/")
    card = family.locator(f"#board .board-card[data-code='{code}']")
    assert card.count() == 1
    assert "章伟" not in family.content()  # never the name he gave
    _snap(family, artifacts_dir, "tracing-01-board")
    card.locator("a").click()
    family.wait_for_url(re.compile(r"/xunqin/[0-9a-f-]+/$"))
    detail_url = family.url
    assert "左眉有疤" in family.content() and "河南郸城" in family.content()
    assert person.file_no not in family.content() and str(person.uuid) not in family.content()
    family.goto(detail_url + "poster/")
    assert family.locator("#poster img[alt='公告二维码']").count() == 1
    # On a phone the facts wrap under the photo instead of a column a few characters wide.
    assert family.locator("#poster .facts").bounding_box()["width"] > 250
    _snap(family, artifacts_dir, "tracing-02-poster")

    # 3. A family sends a clue from the board.
    family.goto(detail_url)
    clue = family.locator("#clue-form")
    clue.locator("input[name=name]").fill("张大山")
    clue.locator("input[name=phone]").fill("13800138000")
    clue.locator("input[name=relationship]").fill("父亲")
    clue.locator("textarea[name=content]").fill("照片上的人很像我儿子张伟，1985年生，去年在郸城汽车站走失，左眉有疤。")
    clue.locator("button[type=submit]").click()
    family.wait_for_selector("#clue-thanks")
    _snap(family, artifacts_dir, "tracing-04-clue-sent")

    # 4. The tracer finds it in the clue inbox.
    page.goto(f"{base}/announcements/clues/")
    assert "张大山" in page.content() and code in page.content()
    _snap(page, artifacts_dir, "tracing-05-clue-inbox")
    page.locator("#clue-inbox tr", has_text="张大山").locator("a").click()
    page.wait_for_url(re.compile(r"/announcements/clues/[0-9a-f-]+/$"))
    assert "1985年生" in page.content()

    # 5. The police import a missing-person report from Excel on the matching page; the engine runs (T7).
    xlsx = tmp_path / "reports.xlsx"
    _report_workbook(xlsx, reported_at=timezone.now() - datetime.timedelta(days=200))
    police = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login(police, cast.police_officer.username, PASSWORD)
    police.goto(f"{base}/matching/import/")
    police.set_input_files("input[name=file]", str(xlsx))
    police.click("main form button.primary")
    police.wait_for_url(re.compile(r"/matching/$"))
    assert "已导入 1 条走失报案" in police.content()
    report = MissingReport.objects.get(report_no=REPORT_NO)
    police.goto(f"{base}/matching/{report.uuid}/")
    assert person.name not in police.content()  # the police never see the people in care
    police.context.close()

    # 6. The engine has proposed him: the candidate is on his file and in the queue.
    candidate = MatchCandidate.objects.get(report=report, person=person)
    page.goto(f"{base}/matching/candidates/")
    assert REPORT_NO in page.content()
    page.goto(f"{base}/people/{person.uuid}/#panel-matching")
    panel = page.locator("#panel-matching")
    assert REPORT_NO in panel.inner_text() and "张伟" in panel.inner_text()
    _snap(page, artifacts_dir, "tracing-06-candidate-on-file")
    panel.locator(f"a[href='/matching/candidates/{candidate.uuid}/']").click()
    page.wait_for_url(re.compile(rf"/matching/candidates/{candidate.uuid}/$"))

    # 7. The tracer confirms: the identity is recorded, the board withdraws him, the return plan opens (T9).
    # No decision is preselected; confirming first lists the consequences and asks once more (issue 14).
    assert page.locator("input[name=decision]:checked").count() == 0
    assert "100%" not in page.locator("main").inner_text()
    page.check("input[name=decision][value=confirmed]")
    page.fill("input[name=note]", "家属线索与报案一致，经本人辨认确认")
    page.click("main form button.primary")
    consequences = page.locator("#consequences")
    assert "撤回" in consequences.inner_text() and "已找到" in consequences.inner_text()
    assert MatchCandidate.objects.get(pk=candidate.pk).status == "open"  # nothing done yet
    _snap(page, artifacts_dir, "tracing-06b-confirm-consequences")
    page.click("#confirm-again")
    page.wait_for_url(re.compile(rf"/matching/candidates/{candidate.uuid}/$"))
    assert "已确认" in page.content()

    person.refresh_from_db()
    assert person.identity_status == IdentityStatus.IDENTIFIED and person.name == "张伟"
    report.refresh_from_db()
    assert report.status == ReportStatus.FOUND
    plan = ReturnPlan.objects.get(person=person)
    assert plan.status == PlanStatus.OPEN

    page.goto(f"{base}/people/{person.uuid}/#panel-tracing")
    tab = page.locator("#panel-tracing").inner_text()
    assert "身份已确认" in tab and "张伟" in tab and "系统比对" in tab
    assert "返乡计划" in tab and plan.get_status_display() in tab
    assert "已查明" in page.locator("main").inner_text() or "身份已查明" in page.content()
    page.locator("#panel-tracing").screenshot(path=str(artifacts_dir / "tracing-03-person-tracing-tab.png"))
    _snap(page, artifacts_dir, "tracing-07-person-file-identified")
    page.click(f"a[href='/tracing/plans/{plan.uuid}/']")
    page.wait_for_url(re.compile(rf"/tracing/plans/{plan.uuid}/$"))
    assert "返乡计划" in page.content()

    response = family.goto(detail_url)  # an old link or poster: a friendly page, not a 404
    assert response.status == 410 and "此人已找到家人" in family.content()
    family.goto(f"{base}/xunqin/")
    assert family.locator(f"#board .board-card[data-code='{code}']").count() == 0
    _snap(family, artifacts_dir, "tracing-08-board-after")
    public.close()
