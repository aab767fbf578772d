"""Issue 5 in a real browser: a 寻亲员 finds an overdue T3 (no family-search announcement 24 hours after
entry) in the inbox, publishes the announcement on the announcements app's page, and watches the task
clear. Screenshots under artifacts/."""

import datetime
import re

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_tracer_sees_an_overdue_t3_and_it_clears_after_publishing(page, live_server, login, artifacts_dir):
    from announcements import services as announcements
    from core.testing import PASSWORD, make_cast
    from deadlines.tests.conftest import admit

    cast = make_cast()
    entry = timezone.now() - datetime.timedelta(hours=30)
    episode = admit(cast, entry, name="寻亲公告测试人")
    base = live_server.url
    login(page, cast.tracer.username, PASSWORD)

    page.goto(f"{base}/deadlines/")
    row = page.locator("#bucket-overdue tr.deadline-item[data-rule=T3]", has_text="寻亲公告测试人")
    assert row.count() == 1
    assert "入站24小时内发布寻亲公告" in row.inner_text()
    page.screenshot(path=str(artifacts_dir / "deadlines-01-inbox-overdue-t3.png"), full_page=True)

    draft = announcements.announcement_create(by=cast.tracer, person=episode.person, photos=[], chosen=["sex"],
                                              details={"sex": "男"})
    page.goto(f"{base}/announcements/{draft.uuid}/")
    page.click("#publish")
    page.wait_for_url(re.compile(rf"/announcements/{draft.uuid}/$"))
    assert "已发布" in page.content()

    page.goto(f"{base}/deadlines/")
    assert page.locator("#bucket-overdue tr.deadline-item[data-rule=T3]", has_text="寻亲公告测试人").count() == 0
    assert page.locator("tr.deadline-item[data-rule=T1]", has_text="寻亲公告测试人").count() == 1  # still owed
    page.screenshot(path=str(artifacts_dir / "deadlines-02-inbox-after-publishing.png"), full_page=True)
