"""Rule N5 (second half): the search information of anyone stranded over a month with identity unknown is
refreshed every month — declared in stay/deadlines.py (N5S, then N5Sn after each refresh), met by
stay.services.search_refresh_record."""

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.models import AuditEntry
from deadlines.registry import BUCKET_OVERDUE, evaluate, get_rule
from deadlines.tests.conftest import admit, bucket_of, local
from people.models import PersonPhoto
from stay import services
from stay.models import SearchRefresh

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 50), (120, 90, 60)).save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


def _status(rule_id, subject, as_of) -> str:
    outcomes = [o for o in evaluate(rule_id, as_of=as_of, subject_pks=[subject.pk])]
    return outcomes[0].status if outcomes else "none"


def _refresh(cast, ep, at, **kwargs):
    with time_machine.travel(at, tick=False):
        return services.search_refresh_record(by=cast.tracer, episode=ep, **{"republished": "全国救助寻亲网重新发布",
                                                                               **kwargs})


def test_n5_refresh_is_declared_for_the_inbox():
    rule = get_rule("N5S")
    assert rule.fulfilment.records().model is SearchRefresh and rule.due.amount == 1
    assert get_rule("N5Sn").fulfilment.link == "previous"


@pytest.mark.parametrize(("admitted", "days_to_due"), [
    (local(2026, 2, 2, 10), 28),   # February: a month is 28 days
    (local(2026, 4, 2, 10), 30),   # April: 30 days
    (local(2026, 3, 2, 10), 31),   # March: 31 days
])
def test_n5_refresh_falls_due_one_calendar_month_after_admission(cast, admitted, days_to_due):
    ep = admit(cast, admitted)
    due = admitted + datetime.timedelta(days=days_to_due)
    assert _status("N5S", ep, due - datetime.timedelta(minutes=1)) == "open"
    assert _status("N5S", ep, due + datetime.timedelta(minutes=1)) == "overdue"
    assert bucket_of("N5S", ep, due + datetime.timedelta(minutes=1)) == BUCKET_OVERDUE


@pytest.mark.parametrize("days", [29, 30])
def test_n5_refresh_is_not_overdue_on_day_29_or_30_of_a_31_day_month(cast, days):
    admitted = local(2026, 3, 2, 10)
    ep = admit(cast, admitted)
    assert _status("N5S", ep, admitted + datetime.timedelta(days=days)) == "open"
    assert bucket_of("N5S", ep, admitted + datetime.timedelta(days=days)) != BUCKET_OVERDUE


def test_n5_refresh_on_day_31_is_late_and_the_second_month_counts_from_it(cast):
    admitted = local(2026, 3, 2, 10)
    ep = admit(cast, admitted)
    first = _refresh(cast, ep, admitted + datetime.timedelta(days=31, hours=1))
    assert _status("N5S", ep, admitted + datetime.timedelta(days=40)) == "late"
    # the second month: due a calendar month after the first refresh (2026-04-02 11:00 → 2026-05-02 11:00)
    assert _status("N5Sn", first, local(2026, 5, 2, 10, 59)) == "open"
    assert _status("N5Sn", first, local(2026, 5, 2, 11, 1)) == "overdue"
    assert bucket_of("N5Sn", first, local(2026, 5, 2, 11, 1)) == BUCKET_OVERDUE
    second = _refresh(cast, ep, local(2026, 4, 30, 9), republished="", rematch=False, photo=_png())
    assert second.previous == first
    assert _status("N5Sn", first, local(2026, 5, 3)) == "met"
    assert _status("N5Sn", second, local(2026, 5, 3)) == "open"


def test_n5_refresh_in_time_meets_the_first_month(cast):
    admitted = local(2026, 3, 2, 10)
    ep = admit(cast, admitted)
    _refresh(cast, ep, admitted + datetime.timedelta(days=25))
    assert _status("N5S", ep, admitted + datetime.timedelta(days=35)) == "met"


def test_n5_refresh_no_longer_applies_once_the_person_is_identified_or_leaves(cast):
    admitted = local(2026, 3, 2, 10)
    ep = admit(cast, admitted)
    with time_machine.travel(admitted + datetime.timedelta(days=5), tick=False):
        from people.services import person_update

        person_update(by=cast.tracer, person=ep.person, data={"identity_status": "identified"})
    assert _status("N5S", ep, admitted + datetime.timedelta(days=40)) == "n/a"


def test_n5_refresh_records_the_photo_and_the_audit_entry(cast):
    admitted = local(2026, 3, 2, 10)
    ep = admit(cast, admitted)
    refresh = _refresh(cast, ep, admitted + datetime.timedelta(days=20), photo=_png())
    assert refresh.photo_added and PersonPhoto.objects.filter(person=ep.person, pk=refresh.photo_id).exists()
    entry = AuditEntry.objects.get(object_type="stay.SearchRefresh", object_id=str(refresh.uuid))
    assert entry.actor == cast.tracer and "规则N5" in entry.summary and entry.person_uuid == ep.person.uuid
    assert entry.changes["republished"] == [None, "全国救助寻亲网重新发布"] and entry.changes["photo_added"] == [None, True]


def test_n5_refresh_must_do_something_and_reports_every_mistake_at_once(cast):
    admitted = local(2026, 3, 2, 10)
    ep = admit(cast, admitted)
    with pytest.raises(ValidationError) as exc:
        services.search_refresh_record(by=cast.tracer, episode=ep, refreshed_at=admitted - datetime.timedelta(days=1),
                                       note="x" * 2001)
    errors = exc.value.message_dict
    assert "请至少做一项" in errors["__all__"][0] and "入站时间" in errors["refreshed_at"][0] and "note" in errors
    assert not SearchRefresh.objects.exists()


def test_n5_refresh_reruns_the_comparison_through_the_event(cast):
    from core import events

    seen = []

    def handler(event):
        seen.append(event.person.pk)
        return "已提交系统比对，得到 0 个候选。"

    events.subscribe(events.PersonComparisonRequested, handler)
    try:
        ep = admit(cast, local(2026, 3, 2, 10))
        refresh = _refresh(cast, ep, local(2026, 3, 20), republished="", rematch=True)
    finally:
        events.unsubscribe(events.PersonComparisonRequested, handler)
    assert seen == [ep.person.pk] and refresh.rematched and "0 个候选" in refresh.match_result


def test_n5_refresh_page_shows_form_and_service_mistakes_together_and_asks_for_the_file_again(cast, client_for):
    ep = admit(cast, local(2026, 3, 2, 10))
    url = reverse("stay:search_refresh", args=[ep.uuid])
    client = client_for(cast.tracer)
    assert client.get(url).status_code == 200
    response = client.post(url, {"refreshed_at": "not a date", "note": "", "photo": _png()})
    page = response.content.decode()
    assert response.status_code == 200 and not SearchRefresh.objects.exists()
    assert "有效的日期" in page or "日期" in page  # the form's own error …
    assert "请重新选择文件" in page  # … the chosen file must be chosen again …
    response = client.post(url, {"refreshed_at": "2020-01-01T10:00"})
    page = response.content.decode()
    assert "请至少做一项" in page and "入站时间" in page  # … and every service check in one pass
    response = client.post(url, {"republished": "2026-03-20 全国救助寻亲网"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("people:episode", args=[ep.uuid]))
    assert SearchRefresh.objects.filter(episode=ep).count() == 1


def test_n5_refresh_page_is_refused_to_outsiders_and_read_only_users(cast, client_for):
    ep = admit(cast, local(2026, 3, 2, 10))
    url = reverse("stay:search_refresh", args=[ep.uuid])
    assert client_for(cast.outsider).post(url, {"republished": "x"}).status_code == 404
    assert client_for(cast.county_supervisor).post(url, {"republished": "x"}).status_code == 403
    assert not SearchRefresh.objects.exists()


def test_s1_note_says_what_the_station_does_without_promising_a_module():
    from deadlines.registry import discover

    rule = get_rule("S1")
    assert "落户安置申请" in rule.note and "待开发" not in rule.note
    assert not [r.id for r in discover().values() if "待开发" in r.note + r.title]
