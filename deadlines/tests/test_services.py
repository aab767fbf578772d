"""The statutory calendar (seeded, edited, imported, missing years), stricter thresholds, the periodic scan
with its notifications and senders, the navigation badge and the rule listing command."""

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from announcements import services as announcements
from core.models import AuditEntry
from deadlines import services
from deadlines.calendar import load_calendar, missing_years
from deadlines.models import HolidayCalendar, Notification, OverdueItem, RuleSetting
from deadlines.selectors import inbox, nav_count
from deadlines.senders import ConsoleSender
from deadlines.tasks import deadline_scan
from deadlines.tests.conftest import admit, item_of, local

pytestmark = pytest.mark.django_db


def test_the_calendar_is_seeded_from_chinese_calendar_for_2004_to_2026():
    cal = load_calendar()
    assert set(range(2004, 2027)) <= set(cal.known_years) and 2027 not in cal.known_years
    day = HolidayCalendar.objects.get(date=datetime.date(2026, 2, 14))
    assert day.kind == "workday" and day.name == "春节"


def test_2027_is_listed_as_missing_and_importing_it_ends_the_fallback(cast):
    assert missing_years(today=datetime.date(2026, 11, 22)) == [2027]
    ep = admit(cast, local(2026, 12, 28, 9))
    assert item_of("T5", ep, local(2027, 1, 5)).due.fallback
    csv = "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,休,元旦\n2027-01-04,holiday,元旦\n"
    assert services.holidays_import_csv(by=cast.admin, content=csv.encode()) == 3
    assert missing_years(today=datetime.date(2026, 11, 22)) == []
    item = item_of("T5", ep, local(2027, 1, 5))
    assert not item.due.fallback and item.due.at == local(2027, 1, 9)  # 1 and 4 January are off
    assert AuditEntry.objects.filter(object_type="deadlines.HolidayCalendar", summary__contains="导入").exists()


def test_a_bad_csv_line_imports_nothing_and_says_which_line_in_chinese(cast):
    before = HolidayCalendar.objects.count()
    with pytest.raises(ValidationError) as err:
        services.holidays_import_csv(by=cast.admin, content="2027-01-01,holiday,元旦\n2027-13-01,holiday,x\n")
    assert "第2行" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.holidays_import_csv(by=cast.admin, content="2027-01-05,workday,\n")  # a Tuesday
    assert "无需登记为调休上班日" in str(err.value)
    assert HolidayCalendar.objects.count() == before


def test_only_administrators_edit_the_calendar(cast):
    before = HolidayCalendar.objects.count()
    for user in (cast.head, cast.city_supervisor, cast.tracer):
        with pytest.raises(PermissionDenied):
            services.holiday_set(by=user, date=datetime.date(2027, 2, 6), kind="holiday", name="春节")
    assert HolidayCalendar.objects.count() == before
    day = services.holiday_set(by=cast.admin, date=datetime.date(2027, 2, 6), kind="holiday", name="春节")
    services.holiday_set(by=cast.admin, date=datetime.date(2027, 2, 6), kind="holiday", name="春节假期")
    day.refresh_from_db()
    assert day.name == "春节假期"
    services.holiday_delete(by=cast.admin, day=day)
    assert HolidayCalendar.objects.count() == before


def test_an_administrator_may_make_a_threshold_stricter_but_never_looser(cast):
    entry = local(2026, 3, 2, 10)
    ep = admit(cast, entry)
    services.rule_setting_set(by=cast.admin, rule_id="T1", amount=12, note="本市要求12小时内")
    assert item_of("T1", ep, entry + datetime.timedelta(hours=11)).due.at == entry + datetime.timedelta(hours=12)
    with pytest.raises(ValidationError) as err:
        services.rule_setting_set(by=cast.admin, rule_id="T1", amount=36)
    assert "只能设置得更严格" in str(err.value)
    with pytest.raises(PermissionDenied):
        services.rule_setting_set(by=cast.county_supervisor, rule_id="T1", amount=6)
    assert RuleSetting.objects.get(rule_id="T1").amount == 12
    services.rule_setting_set(by=cast.admin, rule_id="T1", amount=None)
    assert not RuleSetting.objects.exists()


def test_n5_default_follows_the_local_setting(cast, settings):
    settings.GUITU_RULES = {**settings.GUITU_RULES, "N5_MAX_STAY_DAYS": 7}
    entry = local(2026, 3, 2, 10)
    ep = admit(cast, entry)
    assert item_of("N5", ep, local(2026, 3, 8)).due.at == local(2026, 3, 9, 10)


def test_the_scan_notifies_a_new_overdue_item_once_escalates_and_resolves_it(cast, django_capture_on_commit_callbacks):
    entry = local(2026, 3, 2, 10)
    ep = admit(cast, entry)
    ConsoleSender.sent.clear()
    with time_machine.travel(local(2026, 3, 3, 12), tick=False), django_capture_on_commit_callbacks(execute=True):
        snap = services.snapshot_take()
    t3 = OverdueItem.objects.get(rule_id="T3")
    assert t3.organisation == cast.station and t3.role == "tracer" and t3.person_uuid == ep.person.uuid
    assert snap.counts["T3"] == 1 and snap.new_items == OverdueItem.objects.count()
    notes = Notification.objects.filter(item=t3)
    assert {(n.organisation, n.is_escalation) for n in notes} == {(cast.station, False), (cast.county_dept, True)}
    assert any("T3" in m.subject and "钱寻亲" in [r["name"] for r in m.recipients] for m in ConsoleSender.sent)
    # a second scan does not notify again
    with time_machine.travel(local(2026, 3, 3, 13), tick=False):
        assert services.snapshot_take().new_items == 0
    assert Notification.objects.filter(item=t3).count() == 2
    # publishing clears it at the next scan (the huey task, run inline in tests)
    with time_machine.travel(local(2026, 3, 3, 14), tick=False):
        a = announcements.announcement_create(by=cast.tracer, person=ep.person, photos=[], chosen=["sex"],
                                              details={"sex": "男"})
        announcements.announcement_publish(by=cast.tracer, announcement=a)
        deadline_scan()
    t3.refresh_from_db()
    assert t3.resolved_at is not None


def test_the_badge_is_current_when_the_page_loads_and_agrees_with_the_inbox(cast):
    admit(cast, local(2026, 3, 2, 10))
    with time_machine.travel(local(2026, 3, 3, 12), tick=False):
        # no periodic scan has run: the badge is computed from the records, like the inbox
        assert not OverdueItem.objects.exists()
        tracer_items = nav_count(cast.tracer)
        assert tracer_items >= 2  # T1, T3 (and T4's entry day)
        assert tracer_items == inbox(user=cast.tracer)["counts"]["overdue"]
        assert nav_count(cast.head) == inbox(user=cast.head)["counts"]["overdue"] >= tracer_items
        assert nav_count(cast.outsider) == 0
        assert nav_count(cast.reception) == 0


def test_the_badge_recounts_after_a_change_to_its_organisations_data_not_after_one_elsewhere(cast):
    """Issue 9: a province writes every second; a badge keyed on the newest write anywhere was re-counted on
    nearly every page. It is re-counted after a change to the user's organisation's data (by anyone: here the
    police's answer to the station's check) or by the user, and stays cached after a change elsewhere."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracing import services as tracing
    from tracing.models import CheckResult

    ep = admit(cast, local(2026, 3, 2, 10))
    with time_machine.travel(local(2026, 3, 3, 12), tick=False):
        check = tracing.check_create(by=cast.tracer, person=ep.person, police=cast.police, known_info="自述姓名不详")
        before = nav_count(cast.tracer)
        assert before >= 1

        def recounted() -> bool:
            with CaptureQueriesContext(connection) as queries:
                assert nav_count(cast.tracer) >= 0
            return len(queries) > 2  # the two probes of the newest changes, then the rules' counts if re-counted

        assert not recounted()
        admit(cast, local(2026, 3, 3, 11), station_user=cast.outsider)  # another city's station: not ours
        assert not recounted()
        tracing.check_answer(by=cast.police_officer, check=check, result=CheckResult.NOT_FOUND, answer_text="查无此人")
        assert recounted()  # another organisation changed the station's data
        assert not recounted()
        admit(cast, local(2026, 3, 3, 11, 30), station_user=cast.reception)  # a colleague
        assert recounted()
        assert nav_count(cast.tracer) == inbox(user=cast.tracer)["counts"]["overdue"]


def test_only_the_users_own_organisation_marks_a_notification_read(cast):
    admit(cast, local(2026, 3, 2, 10))
    with time_machine.travel(local(2026, 3, 3, 12), tick=False):
        services.snapshot_take()
    note = Notification.objects.filter(organisation=cast.station).first()
    with pytest.raises(PermissionDenied):
        services.notification_mark_read(by=cast.county_supervisor, notification=note)
    services.notification_mark_read(by=cast.tracer, notification=note)
    note.refresh_from_db()
    assert note.read_at is not None and note.read_by == cast.tracer


def test_senders_are_chosen_in_settings(settings):
    from django.core.exceptions import ImproperlyConfigured

    from deadlines.senders import EmailSender, SmsSender, senders

    settings.GUITU_NOTIFY_SENDERS = ["console", "email", "sms"]
    assert [type(s) for s in senders()] == [ConsoleSender, EmailSender, SmsSender]
    settings.GUITU_NOTIFY_SENDERS = ["pigeon"]
    with pytest.raises(ImproperlyConfigured):
        senders()


def test_deadline_rules_prints_every_rule_one_per_line_starting_with_its_id():
    out = io.StringIO()
    call_command("deadline_rules", stdout=out)
    lines = out.getvalue().strip().splitlines()
    ids = [line.split()[0] for line in lines]
    assert {"T1", "T2", "T3", "T4", "T5", "T6", "N5", "S1", "I6"} <= set(ids)
    t5 = next(line for line in lines if line.startswith("T5"))
    assert "7个工作日" in t5 and "法定节假日不计" in t5


def test_many_new_overdue_items_of_one_rule_make_one_summary_notification(cast):
    for i in range(6):
        admit(cast, local(2026, 3, 2, 10, i), name=f"批量{i}")
    with time_machine.travel(local(2026, 3, 3, 12), tick=False):
        services.snapshot_take()
    assert OverdueItem.objects.filter(rule_id="T3").count() == 6
    notes = Notification.objects.filter(organisation=cast.station, message__contains="T3")
    assert [n.message for n in notes] == ["【已逾期】T3 身份不明：入站24小时内发布寻亲公告：新增 6 项，请在待办中查看。"]
    assert Notification.objects.filter(organisation=cast.county_dept, is_escalation=True,
                                       message__contains="新增 6 项").count() >= 1
