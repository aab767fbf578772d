"""Each declared rule before, at and after its deadline (time-machine), fulfilled by the owning app's
records through their services; weekends, the Spring Festival and National Day; the 2027 fallback."""

import datetime

import pytest
import time_machine

from announcements import services as announcements
from deadlines.calendar_math import Unit
from deadlines.registry import (
    BUCKET_OVERDUE,
    BUCKET_SOON,
    BUCKET_TODAY,
    LATE,
    MET,
    NOT_APPLICABLE,
    OPEN,
    OVERDUE,
    discover,
    evaluate,
)
from deadlines.tests.conftest import admit, bucket_of, item_of, local
from intake import services as intake
from people import services as people
from stay import services as stay
from tracing import services as tracing

pytestmark = pytest.mark.django_db

SEC = datetime.timedelta(seconds=1)


def test_every_rule_the_issue_names_is_declared_once_with_its_unit():
    rules = discover()
    for rule_id in ("T1", "T2", "T3", "T4", "T5", "T6", "N5", "S1", "I6"):
        assert rule_id in rules, rule_id
    assert rules["T5"].due.unit == Unit.WORKING_DAYS and rules["T6"].due.unit == Unit.MONTHS
    assert rules["N5"].due.unit == Unit.DAYS and rules["T1"].due.unit == Unit.HOURS


def test_t1_referral_is_due_24_hours_after_entry(cast):
    entry = local(2026, 3, 2, 10)  # Monday
    ep = admit(cast, entry)
    assert bucket_of("T1", ep, entry + datetime.timedelta(hours=2)) == BUCKET_SOON
    assert bucket_of("T1", ep, local(2026, 3, 3, 9)) == BUCKET_TODAY
    assert bucket_of("T1", ep, local(2026, 3, 3, 10)) == BUCKET_TODAY  # at the deadline: still in time
    assert bucket_of("T1", ep, local(2026, 3, 3, 10) + SEC) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 3, 11), tick=False):
        tracing.check_create(by=cast.tracer, person=ep.person, police=cast.police, known_info="男，约45岁")
    assert bucket_of("T1", ep, local(2026, 3, 3, 12)) is None
    [outcome] = evaluate("T1", as_of=local(2026, 3, 4))
    assert outcome.status == LATE
    [before] = evaluate("T1", as_of=local(2026, 3, 3, 10, 30))
    assert before.status == OVERDUE  # what was known then: the check came later


def test_t1_a_check_sent_in_time_is_met_and_the_task_never_appears(cast):
    entry = local(2026, 3, 2, 10)
    ep = admit(cast, entry)
    with time_machine.travel(entry + datetime.timedelta(hours=3), tick=False):
        tracing.check_create(by=cast.tracer, person=ep.person, police=cast.police, known_info="男")
    assert bucket_of("T1", ep, local(2026, 3, 5)) is None
    assert evaluate("T1", as_of=local(2026, 3, 5))[0].status == MET


def test_t2_police_answer_is_due_48_hours_after_sending_and_is_the_police_units_task(cast):
    entry = local(2026, 3, 2, 10)
    ep = admit(cast, entry)
    sent = local(2026, 3, 2, 12)
    with time_machine.travel(sent, tick=False):
        check = tracing.check_create(by=cast.tracer, person=ep.person, police=cast.police, known_info="男")
    police = [cast.police.pk]
    assert bucket_of("T2", check, local(2026, 3, 4, 11), org_ids=police) == BUCKET_TODAY
    assert bucket_of("T2", check, local(2026, 3, 4, 12), org_ids=police) == BUCKET_TODAY
    assert bucket_of("T2", check, local(2026, 3, 4, 12) + SEC, org_ids=police) == BUCKET_OVERDUE
    assert bucket_of("T2", check, local(2026, 3, 4, 13), org_ids=[cast.station.pk]) is None  # not the station's task
    with time_machine.travel(local(2026, 3, 4, 14), tick=False):
        tracing.check_answer(by=cast.police_officer, check=check, result="not_found", answer_text="未查到")
    assert bucket_of("T2", check, local(2026, 3, 4, 15), org_ids=police) is None
    assert evaluate("T2", as_of=local(2026, 3, 5))[0].status == LATE


def _announce(cast, person, at):
    with time_machine.travel(at, tick=False):
        a = announcements.announcement_create(by=cast.tracer, person=person, photos=[], chosen=["sex"],
                                              details={"sex": "男"})
        return announcements.announcement_publish(by=cast.tracer, announcement=a, at=at)


def test_t3_announcement_is_due_24_hours_after_entry_and_publishing_clears_it(cast):
    entry = local(2026, 3, 6, 20)  # Friday evening: hours run through the weekend
    ep = admit(cast, entry)
    assert bucket_of("T3", ep, local(2026, 3, 7, 19)) == BUCKET_TODAY
    assert bucket_of("T3", ep, local(2026, 3, 7, 20) + SEC) == BUCKET_OVERDUE
    _announce(cast, ep.person, local(2026, 3, 8, 9))
    assert bucket_of("T3", ep, local(2026, 3, 8, 10)) is None
    assert evaluate("T3", as_of=local(2026, 3, 9))[0].status == LATE


def test_t3_no_longer_applies_once_the_person_is_identified_before_the_deadline(cast):
    entry = local(2026, 3, 2, 10)
    ep = admit(cast, entry)
    with time_machine.travel(local(2026, 3, 2, 15), tick=False):
        tracing.identity_confirm(by=cast.tracer, person=ep.person, method="self_report", evidence="本人自述，经户籍地核实",
                                 name="张三")
    assert bucket_of("T3", ep, local(2026, 3, 4)) is None
    assert evaluate("T3", as_of=local(2026, 3, 4))[0].status == NOT_APPLICABLE


def test_t4_three_talks_a_day_for_72_hours_then_one(cast):
    entry = local(2026, 3, 2, 10)
    ep = admit(cast, entry)

    def talk(at):
        with time_machine.travel(at, tick=False):
            tracing.talk_add(by=cast.tracer, episode=ep, held_at=at, content="自述来自湖南")

    talk(local(2026, 3, 2, 11))  # the entry day is within the first 72 hours: it needs three
    assert item_of("T4", ep, local(2026, 3, 2, 20), BUCKET_TODAY).progress == "1/3"
    talk(local(2026, 3, 2, 14))
    talk(local(2026, 3, 2, 18))
    assert bucket_of("T4", ep, local(2026, 3, 2, 20)) is None
    talk(local(2026, 3, 3, 9))
    talk(local(2026, 3, 3, 15))
    item = item_of("T4", ep, local(2026, 3, 3, 20))
    assert item.bucket == BUCKET_TODAY and item.progress == "2/3"
    assert bucket_of("T4", ep, local(2026, 3, 4, 8)) == BUCKET_OVERDUE  # 3 March had only two
    talk(local(2026, 3, 4, 9))
    talk(local(2026, 3, 4, 12))
    talk(local(2026, 3, 4, 16))
    assert item_of("T4", ep, local(2026, 3, 5, 8), BUCKET_OVERDUE) is None  # 4 March had three
    assert item_of("T4", ep, local(2026, 3, 5, 8), BUCKET_TODAY).progress == "0/3"  # 5 March began within 72 h
    # after the first 72 hours one talk a day is enough
    assert item_of("T4", ep, local(2026, 3, 6, 20), BUCKET_TODAY).progress == "0/1"
    # the tracing panel counts the same days the same way
    from tracing.selectors import t4_windows

    ep.refresh_from_db()
    days = [(w.start.day, w.required, w.held, w.status) for w in t4_windows(ep, local(2026, 3, 6, 20))]
    assert days == [(2, 3, 3, "met"), (3, 3, 2, "overdue"), (4, 3, 3, "met"), (5, 3, 0, "overdue"), (6, 1, 0, "due")]


def test_t5_dna_request_is_due_after_7_working_days_across_a_weekend(cast):
    ep = admit(cast, local(2026, 3, 5, 15))  # Thursday
    # Fri 6, Mon 9 … Mon 16 is the 7th working day: due at 24:00 on Monday 16 March.
    assert bucket_of("T5", ep, local(2026, 3, 16, 12)) == BUCKET_TODAY
    assert bucket_of("T5", ep, local(2026, 3, 17)) == BUCKET_TODAY  # exactly at the deadline
    assert bucket_of("T5", ep, local(2026, 3, 17) + SEC) == BUCKET_OVERDUE
    assert bucket_of("T5", ep, local(2026, 3, 13, 12)) == BUCKET_SOON
    with time_machine.travel(local(2026, 3, 18), tick=False):
        tracing.dna_request_create(by=cast.tracer, episode=ep, police=cast.police,
                                   requested_at=local(2026, 3, 16, 17))  # entered late, timestamped in time
    assert evaluate("T5", as_of=local(2026, 3, 20))[0].status == MET


def test_t5_counts_the_spring_festival_make_up_saturdays_and_skips_the_holiday(cast):
    ep = admit(cast, local(2026, 2, 12, 10))  # Thursday before the 2026 Spring Festival
    item = item_of("T5", ep, local(2026, 2, 27))
    assert item.due.at == local(2026, 3, 1) and not item.due.fallback  # Sat 28 Feb is a make-up working day
    assert bucket_of("T5", ep, local(2026, 2, 28, 23)) == BUCKET_TODAY
    assert bucket_of("T5", ep, local(2026, 3, 1, 0, 0, 1)) == BUCKET_OVERDUE


def test_t5_across_national_day_with_its_make_up_working_days(cast, travel):
    travel(local(2025, 9, 26, 18))
    ep = admit(cast, local(2025, 9, 26, 18))
    assert item_of("T5", ep, local(2025, 10, 12)).due.at == local(2025, 10, 14)
    assert bucket_of("T5", ep, local(2025, 10, 13, 12)) == BUCKET_TODAY
    assert bucket_of("T5", ep, local(2025, 10, 14, 0, 0, 1)) == BUCKET_OVERDUE


def test_t5_in_2027_falls_back_to_monday_to_friday_with_a_warning(cast):
    ep = admit(cast, local(2026, 12, 28, 9))
    item = item_of("T5", ep, local(2027, 1, 5))
    assert item.due.fallback and item.due.missing_years == (2027,)
    assert item.due.at == local(2027, 1, 7)


def test_t6_dna_result_is_due_a_month_after_the_sample_to_the_end_of_that_day(cast):
    ep = admit(cast, local(2026, 3, 2, 10))
    with time_machine.travel(local(2026, 3, 5, 12), tick=False):
        dna = tracing.dna_request_create(by=cast.tracer, episode=ep, police=cast.police,
                                         requested_at=local(2026, 3, 3, 9), sample_taken_on=datetime.date(2026, 3, 5))
    assert bucket_of("T6", dna, local(2026, 4, 3, 12)) == BUCKET_SOON
    assert bucket_of("T6", dna, local(2026, 4, 5, 23)) == BUCKET_TODAY
    assert bucket_of("T6", dna, local(2026, 4, 6)) == BUCKET_TODAY
    assert bucket_of("T6", dna, local(2026, 4, 6) + SEC) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 4, 7, 9), tick=False):
        tracing.dna_request_update(by=cast.tracer, dna=dna, sample_taken_on=datetime.date(2026, 3, 5),
                                   result="no_match", result_on=datetime.date(2026, 4, 5))
    assert bucket_of("T6", dna, local(2026, 4, 7, 10)) is None
    assert evaluate("T6", as_of=local(2026, 4, 8))[0].status == MET
    # as known on 6 April at noon, the result (dated the 5th) had not been... dated the 5th: it counts by its date
    assert evaluate("T6", as_of=local(2026, 4, 6, 12))[0].status == MET


def test_n5_stay_over_10_days_needs_a_reason(cast):
    entry = local(2026, 3, 2, 10)
    ep = admit(cast, entry)
    assert bucket_of("N5", ep, local(2026, 3, 10)) == BUCKET_SOON
    assert bucket_of("N5", ep, local(2026, 3, 12, 10)) == BUCKET_TODAY
    assert bucket_of("N5", ep, local(2026, 3, 12, 10) + SEC) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 12, 11), tick=False):
        stay.stay_extension_record(by=cast.head, episode=ep, reason="等待公安核查身份")
    assert bucket_of("N5", ep, local(2026, 3, 13)) is None
    assert evaluate("N5", as_of=local(2026, 3, 13))[0].status == LATE


def test_n5_does_not_apply_to_people_under_16(cast):
    ep = admit(cast, local(2026, 3, 2, 10), birth_date=datetime.date(2015, 1, 1))
    assert bucket_of("N5", ep, local(2026, 3, 20)) is None


def test_s1_settlement_application_is_due_after_3_months_unidentified(cast):
    ep = admit(cast, local(2026, 1, 10, 9))
    assert bucket_of("S1", ep, local(2026, 4, 8)) == BUCKET_SOON
    assert bucket_of("S1", ep, local(2026, 4, 10, 9)) == BUCKET_TODAY
    assert bucket_of("S1", ep, local(2026, 4, 10, 9) + SEC) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 4, 20), tick=False):
        tracing.identity_confirm(by=cast.tracer, person=ep.person, method="dna", evidence="DNA比中", name="李四")
    assert bucket_of("S1", ep, local(2026, 4, 21)) is None
    # the past does not change: on 15 April it was overdue
    assert evaluate("S1", as_of=local(2026, 4, 15))[0].status == OVERDUE


def test_i6_a_flagged_repeat_request_must_be_screened_and_decided_within_24_hours(cast):
    at = local(2026, 3, 2, 10)
    with time_machine.travel(at, tick=False):
        ep = intake.intake_register(by=cast.reception, station=cast.station, channel="walk_in", requested_at=at,
                                    person_data={"name": "王五", "sex": "男"},
                                    answers={"cannot_pay": True, "no_relatives": True, "not_on_subsistence": True,
                                             "living_by_vagrancy": True, "decision": "eligible", "reason": "no_work"})
        people.episode_set_flags(by=cast.reception, episode=ep, repeat_requests=True)
    assert bucket_of("I6", ep, local(2026, 3, 3, 9)) == BUCKET_TODAY
    assert bucket_of("I6", ep, local(2026, 3, 3, 10) + SEC) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 3, 12), tick=False):
        intake.intake_refuse(by=cast.reception, episode=ep, reason="近期多次求助，核实有住所")
    assert bucket_of("I6", ep, local(2026, 3, 3, 13)) is None
    assert evaluate("I6", as_of=local(2026, 3, 4))[0].status == LATE


def test_a_person_who_left_before_the_deadline_is_no_longer_a_task(cast):
    ep = admit(cast, local(2026, 3, 2, 10))
    with time_machine.travel(local(2026, 3, 2, 18), tick=False):
        intake.intake_terminate(by=cast.reception, episode=ep, reason="提供虚假信息", at=local(2026, 3, 2, 18))
    assert bucket_of("T1", ep, local(2026, 3, 4)) is None
    assert evaluate("T1", as_of=local(2026, 3, 4))[0].status == NOT_APPLICABLE
    assert evaluate("T1", as_of=local(2026, 3, 2, 12))[0].status == OPEN


def test_t10_the_report_issued_after_the_month_counts_for_the_month_it_concerns(cast, client_for):
    from core.models import Organisation
    from tracing.services import report_issue

    Organisation.objects.filter(pk=cast.station.pk).update(created_at=local(2025, 1, 1))
    station = Organisation.objects.get(pk=cast.station.pk)
    # February's report is due after February ends, within the grace (10 days by default)
    assert item_of("T10", station, local(2026, 3, 5), BUCKET_TODAY).period == "2026年2月"
    assert bucket_of("T10", station, local(2026, 3, 11, 1), org_ids=[station.pk]) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 5, 10), tick=False):
        report_issue(by=cast.head, station=station, year=2026, month=2)
    # issued in March for February: February is met, and March is not shown as missed or due in March
    assert bucket_of("T10", station, local(2026, 3, 5, 11), org_ids=[station.pk]) is None
    assert bucket_of("T10", station, local(2026, 3, 29), org_ids=[station.pk]) is None
    # in April, March's report is owed (due, then overdue after the grace) until it is issued
    assert item_of("T10", station, local(2026, 4, 2), BUCKET_TODAY).period == "2026年3月"
    assert item_of("T10", station, local(2026, 4, 12), BUCKET_OVERDUE).period == "2026年3月"
    with time_machine.travel(local(2026, 4, 12, 9), tick=False):
        report_issue(by=cast.tracer, station=station, year=2026, month=3)
    assert bucket_of("T10", station, local(2026, 4, 12, 10), org_ids=[station.pk]) is None
    # printing alone no longer counts as reporting
    with time_machine.travel(local(2026, 5, 3, 10), tick=False):
        assert client_for(cast.head).get(f"/tracing/reports/{station.uuid}/print/", {"month": "2026-04"}).status_code == 200
    assert bucket_of("T10", station, local(2026, 5, 3, 11), org_ids=[station.pk]) == BUCKET_TODAY
