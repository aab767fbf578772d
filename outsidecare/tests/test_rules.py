"""Rules C4, C5, C6: agreements, capacity, visits, postings, panel inspections, bring-back, deadlines."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.testing import audit_writes
from outsidecare import services, testing
from outsidecare.models import Agreement, BringBackItem, PanelInspection, Visit, VisitPerson
from outsidecare.tests.conftest import hospitalise, place
from people.models import Episode
from stay.models import BedAssignment, Placement
from stay.tests.factories import admitted_episode

pytestmark = pytest.mark.django_db
NOW = timezone.now


def _nothing_saved(before_placements, before_audit):
    assert Placement.objects.count() == before_placements
    assert audit_writes() == before_audit


# --- C5: agreements and capacity --------------------------------------------------------------------------


def test_c5_outside_care_without_an_agreement_is_refused_in_chinese_and_nothing_is_saved(cast, facility):
    ep = admitted_episode(cast, name="无协议")
    placements, audits = Placement.objects.count(), audit_writes()
    with pytest.raises(ValidationError) as exc:
        services_start(cast, ep, facility)
    assert "没有在" in exc.value.message_dict["agreement"][0] and "托养协议" in exc.value.message_dict["agreement"][0]
    _nothing_saved(placements, audits)
    assert Episode.objects.get(pk=ep.pk).status == "admitted"


def services_start(cast, ep, facility, **kw):
    from stay import services as stay

    return stay.placement_start(by=cast.carer, episode=ep, kind="outside_care", organisation=facility, **kw)


def test_c5_a_placement_beyond_the_agreed_capacity_is_refused(cast, facility, agreement):
    for i in range(3):
        place(cast, facility, name=f"满员{i}")
    ep = admitted_episode(cast, name="第四人")
    placements, audits = Placement.objects.count(), audit_writes()
    with pytest.raises(ValidationError) as exc:
        services_start(cast, ep, facility)
    assert "上限 3 人" in exc.value.message_dict["agreement"][0]
    _nothing_saved(placements, audits)


def test_c5_a_placement_before_the_agreement_is_in_force_is_refused(cast, facility):
    today = timezone.localdate()
    testing.agreement(by=cast.head, station=cast.station, facility=facility, valid_from=today + datetime.timedelta(days=1),
                      valid_to=today + datetime.timedelta(days=300))
    ep = admitted_episode(cast, name="未生效")
    with pytest.raises(ValidationError):
        services_start(cast, ep, facility)


def test_c5_another_stations_agreement_does_not_cover_this_station(cast, facility):
    testing.agreement(by=cast.outsider, station=cast.other_station, facility=facility)
    with pytest.raises(ValidationError):
        services_start(cast, admitted_episode(cast, name="别站协议"), facility)


def test_c5_the_placement_is_linked_to_its_agreement_and_starts_the_weekly_clock(cast, facility, agreement):
    placement = place(cast, facility, days_ago=3)
    agreement.refresh_from_db()
    assert placement.agreement == agreement and placement.agreement_ref == agreement.number
    assert agreement.first_placed_at == placement.started_at


def test_c5_an_ended_placement_frees_its_place_under_the_agreement(cast, facility, agreement, beds):
    from stay import services as stay

    people = [place(cast, facility, name=f"腾位{i}") for i in range(3)]
    stay.placement_return(by=cast.carer, placement=people[0], bed=beds.m1)
    assert services_start(cast, admitted_episode(cast, name="补位"), facility).agreement == agreement


def test_c5_another_kind_of_institution_needs_a_recorded_reason(cast, facility):
    with pytest.raises(ValidationError) as exc:
        testing.agreement(by=cast.head, station=cast.station, facility=facility, facility_type="other")
    assert "理由" in exc.value.message_dict["type_reason"][0]
    assert not Agreement.objects.exists()
    a = testing.agreement(by=cast.head, station=cast.station, facility=facility, facility_type="other",
                          type_reason="本地无福利机构床位")
    assert a.type_reason == "本地无福利机构床位"


def test_c5_an_agreement_needs_its_signed_document_and_a_sane_period(cast, facility):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.agreement_create(by=cast.head, station=cast.station, facility=facility, facility_type="welfare",
                                  signed_on=today, valid_from=today, valid_to=today - datetime.timedelta(days=1),
                                  capacity=0, fee="-1", document=None)
    errors = exc.value.message_dict
    assert {"valid_to", "capacity", "fee", "document"} <= set(errors)
    assert not Agreement.objects.exists()


def test_c5_an_agreement_with_people_still_placed_cannot_be_terminated(cast, facility, agreement):
    place(cast, facility)
    with pytest.raises(ValidationError):
        services.agreement_terminate(by=cast.head, agreement=agreement, on=timezone.localdate(), reason="到期不续")


# --- C5: visits -------------------------------------------------------------------------------------------


def _visit(cast, org, rows, **kw):
    return services.visit_create(by=cast.carer, station=cast.station, organisation=org,
                                 visited_at=kw.pop("visited_at", NOW() - datetime.timedelta(hours=1)),
                                 visitors="赵照料", rows=rows, **kw)


def test_c5_a_visit_dated_in_the_future_is_refused_and_nothing_is_saved(cast, facility, agreement):
    p = place(cast, facility)
    audits = audit_writes()
    with pytest.raises(ValidationError) as exc:
        _visit(cast, facility, [{"placement": p, "care": "好", "physical": "好", "mental": "好"}],
               safety="正常", visited_at=NOW() + datetime.timedelta(days=1))
    assert exc.value.message_dict["visited_at"] == ["探访时间不能晚于当前时间。"]
    assert not Visit.objects.exists() and audit_writes() == audits


def test_c5_a_visit_records_each_persons_care_and_condition_the_facility_safety_and_photos(cast, facility, agreement):
    from tests.world import _png

    p1, p2 = place(cast, facility, name="探甲"), place(cast, facility, name="探乙")
    visit = _visit(cast, facility, [{"placement": p1, "care": "整洁", "physical": "稳定", "mental": "平稳"},
                                    {"placement": p2, "care": "整洁", "physical": "感冒", "mental": "焦虑"}],
                   safety="消防器材齐全", safety_ok=True, photos=[_png()])
    assert visit.agreement == agreement and visit.kind == "outside_care"
    assert VisitPerson.objects.filter(visit=visit).count() == 2 and visit.photos.count() == 1


def test_c5_a_visit_needs_the_facility_safety_and_each_persons_condition(cast, facility, agreement):
    p = place(cast, facility)
    with pytest.raises(ValidationError) as exc:
        _visit(cast, facility, [{"placement": p, "care": "", "physical": "", "mental": ""}])
    errors = exc.value.message_dict
    assert "safety" in errors and f"care_{p.pk}" in errors and f"mental_{p.pk}" in errors


def test_c5_a_visit_cannot_record_someone_not_placed_there(cast, facility, agreement):
    other = testing.facility("连州市养老院", "LZYLY", cast=cast)
    testing.agreement(by=cast.head, station=cast.station, facility=other)
    p = place(cast, other, name="别处")
    with pytest.raises(ValidationError):
        _visit(cast, facility, [{"placement": p, "care": "好", "physical": "好", "mental": "好"}], safety="正常")


def test_c5_a_facility_over_30_people_without_posted_staff_is_flagged_until_someone_is_posted(
        cast, facility, monkeypatch):
    monkeypatch.setattr(services, "POSTING_THRESHOLD", 1)
    agreement = testing.agreement(by=cast.head, station=cast.station, facility=facility, capacity=40)
    place(cast, facility, name="多甲")
    assert not services.posting_needed(agreement)
    place(cast, facility, name="多乙")
    assert services.posting_needed(agreement)
    posting = services.posting_start(by=cast.head, agreement=agreement, staff=cast.carer)
    assert not services.posting_needed(agreement)
    with pytest.raises(ValidationError):
        services.posting_start(by=cast.head, agreement=agreement, staff=cast.carer)
    with pytest.raises(ValidationError):
        services.posting_start(by=cast.head, agreement=agreement, staff=cast.outsider)
    services.posting_end(by=cast.head, posting=posting)
    assert services.posting_needed(agreement)


# --- C5: reports of the facility -------------------------------------------------------------------------


def test_c5_a_facility_files_its_periodic_report_once_per_period(cast, facility, agreement, facility_user):
    today = timezone.localdate()
    report = services.facility_report_create(by=facility_user, agreement=agreement,
                                             period_start=today - datetime.timedelta(days=6), period_end=today,
                                             headcount=2, care="正常", incidents="1人轻微摔伤")
    assert report.headcount == 2
    with pytest.raises(ValidationError):
        services.facility_report_create(by=facility_user, agreement=agreement,
                                        period_start=today - datetime.timedelta(days=6), period_end=today,
                                        headcount=2, care="正常")
    with pytest.raises(ValidationError):
        services.facility_report_create(by=facility_user, agreement=agreement, period_start=today,
                                        period_end=today + datetime.timedelta(days=3), headcount=2, care="正常")


# --- C5: the supervision panel's inspections ---------------------------------------------------------------


def test_c5_the_panel_inspects_a_facility_and_failed_items_become_hazards(cast, facility, agreement):
    from oversight.models import Hazard, Outcome
    from oversight.tests.panel import make_panel
    from oversight.tests.world import make_checklist

    items = make_checklist(cast)
    panel = make_panel(cast)
    results = [{"item": i, "outcome": Outcome.PASS} for i in items]
    results[0] = {"item": items[0], "outcome": Outcome.FAIL, "note": "灭火器过期"}
    inspection = services.panel_inspection_create(by=cast.panel_member, agreement=agreement, members=panel[:2],
                                                  results=results)
    assert inspection.inspection.organisation == facility
    assert Hazard.objects.get(organisation=facility).description == "灭火器过期"
    assert inspection.half in ("mid", "end") and inspection.members.count() == 2


def test_c5_only_current_panel_members_inspect(cast, facility, agreement):
    from oversight.models import Outcome
    from oversight.tests.world import make_checklist

    items = make_checklist(cast)
    with pytest.raises(ValidationError) as exc:
        services.panel_inspection_create(by=cast.head, agreement=agreement, members=[],
                                         results=[{"item": i, "outcome": Outcome.PASS} for i in items])
    assert "监督组" in exc.value.messages[0]
    assert not PanelInspection.objects.exists()


# --- C4: hospital -----------------------------------------------------------------------------------------


def test_c4_a_hospital_visit_records_condition_and_continued_tracing(cast):
    p = hospitalise(cast)
    with pytest.raises(ValidationError) as exc:
        _visit(cast, cast.hospital, [{"placement": p, "care": "输液", "physical": "好转", "mental": "清楚"}])
    assert f"tracing_{p.pk}" in exc.value.message_dict
    visit = _visit(cast, cast.hospital, [{"placement": p, "care": "输液", "physical": "好转", "mental": "清楚",
                                          "tracing": "已比对人像，无结果"}])
    assert visit.kind == "hospital" and visit.agreement is None


def test_c4_the_hospitals_own_condition_report_sits_beside_the_stations_visits(cast, hospital_user, client_for):
    from django.urls import reverse

    p = hospitalise(cast, name="住院报告")
    _visit(cast, cast.hospital, [{"placement": p, "care": "输液", "physical": "好转", "mental": "清楚",
                                  "tracing": "继续寻亲"}])
    services.condition_report_create(by=hospital_user, placement=p, condition="肺炎好转，拟下周出院")
    page = client_for(cast.head).get(reverse("people:episode", args=[p.episode.uuid])).content.decode()
    assert "肺炎好转，拟下周出院" in page and "继续寻亲" in page


def test_c4_discharge_returns_the_person_to_a_bed(cast, beds):
    from stay import services as stay

    p = hospitalise(cast, name="出院")
    stay.placement_return(by=cast.carer, placement=p, bed=beds.m1)
    assert Episode.objects.get(pk=p.episode_id).status == "in_station"


def test_c4_a_person_in_hospital_is_due_a_visit_every_week(cast):
    from deadlines.registry import BUCKET_OVERDUE
    from deadlines.tests.conftest import bucket_of, local

    with time_machine.travel(local(2026, 3, 2, 9), tick=False):  # a Monday
        p = hospitalise(cast, name="周探", days_ago=0)
    assert bucket_of("C4", p, local(2026, 3, 10, 9)) == BUCKET_OVERDUE  # the week of 2–8 March had no visit
    with time_machine.travel(local(2026, 3, 4, 10), tick=False):
        _visit(cast, cast.hospital, [{"placement": p, "care": "好", "physical": "好", "mental": "好",
                                      "tracing": "继续寻亲"}], visited_at=local(2026, 3, 4, 10))
    assert bucket_of("C4", p, local(2026, 3, 10, 9)) is None
    assert bucket_of("C4", p, local(2026, 3, 17, 9)) == BUCKET_OVERDUE  # the next week is due again


def _items(rule_id, subject, as_of):
    from deadlines.calendar import load_calendar
    from deadlines.registry import discover
    from deadlines.selectors import rule_overrides

    rule = discover()[rule_id]
    return [i for i in rule.items(as_of, load_calendar(), overrides=rule_overrides()) if i.subject.pk == subject.pk]


def test_c5_weekly_visits_per_person_and_per_facility_are_deadlines(cast, facility):
    from deadlines.registry import BUCKET_OVERDUE
    from deadlines.tests.conftest import bucket_of

    start = timezone.now() - datetime.timedelta(days=15)
    with time_machine.travel(start, tick=False):
        agreement = testing.agreement(by=cast.head, station=cast.station, facility=facility)
        p = place(cast, facility, name="周托", days_ago=0)
    agreement.refresh_from_db()
    assert bucket_of("C5P", p, timezone.now()) == BUCKET_OVERDUE
    assert bucket_of("C5F", agreement, timezone.now()) == BUCKET_OVERDUE
    assert bucket_of("C5I", agreement, start + datetime.timedelta(hours=1)) is None


# --- C6: bring-back --------------------------------------------------------------------------------------


def test_c6_a_planned_batch_is_carried_out_person_by_person_into_beds(cast, facility, agreement, beds):
    p1, p2 = place(cast, facility, name="回甲"), place(cast, facility, name="回乙")
    plan = services.bringback_plan_create(by=cast.head, station=cast.station, planned_on=timezone.localdate(),
                                          transport="站内面包车", zone=beds.men, placements=[p1, p2])
    item = plan.items.get(placement=p1)
    assignment = services.bringback_carry_out(by=cast.carer, item=item, bed=beds.m1)
    p1.refresh_from_db()
    assert p1.ended_at is not None and assignment.bed == beds.m1
    assert Episode.objects.get(pk=p1.episode_id).status == "in_station"
    from outsidecare.selectors import plan_items

    rows = plan_items(plan)
    assert [i.placement for i in rows["outstanding"]] == [p2] and len(rows["done"]) == 1
    with pytest.raises(ValidationError):
        services.bringback_carry_out(by=cast.carer, item=item, bed=beds.m2)


def test_c6_bringing_back_someone_not_in_outside_care_is_refused_and_nothing_is_saved(cast, facility, agreement, beds):
    from stay import services as stay

    p = place(cast, facility, name="已回")
    plan = services.bringback_plan_create(by=cast.head, station=cast.station, planned_on=timezone.localdate(),
                                          transport="车", zone=beds.men, placements=[p])
    stay.placement_return(by=cast.carer, placement=p, bed=beds.m1)  # brought back outside the plan
    before = (BedAssignment.objects.count(), audit_writes())
    with pytest.raises(ValidationError) as exc:
        services.bringback_carry_out(by=cast.carer, item=plan.items.get(), bed=beds.m2)
    assert "不在站外托养中" in exc.value.messages[0]
    assert (BedAssignment.objects.count(), audit_writes()) == before
    h = hospitalise(cast, name="住院者")
    with pytest.raises(ValidationError) as exc:
        services.bringback_plan_create(by=cast.head, station=cast.station, planned_on=timezone.localdate(),
                                       transport="车", zone=beds.men, placements=[h])
    assert "不在站外托养中" in exc.value.message_dict["placements"][0]
    assert BringBackItem.objects.count() == 1


# --- the campaign table's contract ---------------------------------------------------------------------------


def test_campaign_figures_count_facilities_inspections_people_out_and_brought_back(cast, facility, agreement, beds):
    from outsidecare.selectors import campaign_figures
    from oversight.models import Outcome
    from oversight.tests.panel import make_panel
    from oversight.tests.world import make_checklist
    from stay import services as stay

    today = timezone.localdate()
    p1 = place(cast, facility, name="数甲")
    place(cast, facility, name="数乙")
    stay.placement_return(by=cast.carer, placement=p1, bed=beds.m1)
    items = make_checklist(cast)
    panel = make_panel(cast)
    services.panel_inspection_create(by=cast.panel_member, agreement=agreement, members=panel[:2],
                                     results=[{"item": i, "outcome": Outcome.PASS} for i in items])
    start = today - datetime.timedelta(days=30)
    figures = campaign_figures({cast.station.pk}, start, today, today)
    assert figures == {"facilities_total": {facility.pk: 1}, "facilities_inspected": {facility.pk: 1},
                       "outside_care_at": {cast.station.pk: 1}, "brought_back": {cast.station.pk: 1}}
    assert campaign_figures({cast.other_station.pk}, start, today, today) == {
        "facilities_total": {}, "facilities_inspected": {}, "outside_care_at": {}, "brought_back": {}}
    # as of twenty days ago p1 was still out (both placed ten days ago): nobody yet
    past = today - datetime.timedelta(days=20)
    assert campaign_figures({cast.station.pk}, past, past, past)["outside_care_at"] == {}
    last_week = today - datetime.timedelta(days=5)
    assert campaign_figures({cast.station.pk}, start, last_week, last_week)["outside_care_at"] == {cast.station.pk: 2}
    assert campaign_figures({cast.station.pk}, start, last_week, last_week)["brought_back"] == {}
