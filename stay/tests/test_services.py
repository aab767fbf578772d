"""Zones, beds, placements and N5 through the services (rules C1, C3, N4, N5, C5)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditEntry, Organisation, OrgKind
from people.models import Episode
from stay import selectors, services
from stay.models import BedAssignment, Placement, PlacementKind, StayExtension, ZoneCategory
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db


@pytest.fixture
def beds(cast):
    return station_beds(cast)


def _counts():
    return BedAssignment.objects.count(), Placement.objects.count(), StayExtension.objects.count()


def test_n4_assigning_a_bed_moves_an_admitted_episode_into_the_station(cast, beds):
    ep = admitted_episode(cast)
    assignment = services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    ep.refresh_from_db()
    assert ep.status == "in_station" and assignment.released_at is None
    assert AuditEntry.objects.filter(object_type="stay.BedAssignment", person_uuid=ep.person.uuid).exists()


def test_n4_a_bed_cannot_hold_two_people(cast, beds):
    first, second = admitted_episode(cast, name="甲"), admitted_episode(cast, name="乙")
    services.bed_assign(by=cast.carer, episode=first, bed=beds.m1)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.bed_assign(by=cast.carer, episode=second, bed=beds.m1)
    assert "已有人入住" in str(exc.value)
    assert _counts() == before
    assert Episode.objects.get(pk=second.pk).status == "admitted"


def test_n4_a_person_cannot_hold_a_second_bed(cast, beds):
    ep = admitted_episode(cast)
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.bed_assign(by=cast.carer, episode=ep, bed=beds.m2)
    assert "一人只能占用一张床位" in str(exc.value)
    assert _counts() == before


def test_n4_the_database_refuses_two_open_assignments_on_one_bed(cast, beds):
    first, second = admitted_episode(cast, name="甲"), admitted_episode(cast, name="乙")
    services.bed_assign(by=cast.carer, episode=first, bed=beds.m1)
    with pytest.raises(IntegrityError), transaction.atomic():
        BedAssignment.objects.create(episode=second, bed=beds.m1, assigned_at=timezone.now(), assigned_by=cast.carer)


def test_n4_a_man_cannot_go_into_the_womens_zone_and_vice_versa(cast, beds):
    man, woman = admitted_episode(cast, name="男甲", sex="男"), admitted_episode(cast, name="女乙", sex="女")
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.bed_assign(by=cast.carer, episode=man, bed=beds.w1)
    assert "男女分区" in str(exc.value)
    with pytest.raises(ValidationError):
        services.bed_assign(by=cast.carer, episode=woman, bed=beds.m1)
    assert _counts() == before
    services.bed_assign(by=cast.carer, episode=woman, bed=beds.w1)


def test_n4_a_person_of_unknown_sex_needs_a_choice_before_a_single_sex_zone(cast, beds):
    ep = admitted_episode(cast, sex="", age=None, name="")
    with pytest.raises(ValidationError) as exc:
        services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    assert "性别不详" in str(exc.value)
    assignment = services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1, housed_as="男")
    assert assignment.housed_as == "男"


def test_n4_a_mixed_zone_takes_a_person_of_unknown_sex_without_a_choice(cast, beds):
    ep = admitted_episode(cast, sex="", age=None)
    assert services.bed_assign(by=cast.carer, episode=ep, bed=beds.x1).housed_as == ""


def test_c1_a_minor_outside_the_minors_zone_needs_a_recorded_reason(cast, beds):
    child = admitted_episode(cast, age=12)
    with pytest.raises(ValidationError) as exc:
        services.bed_assign(by=cast.carer, episode=child, bed=beds.m1)
    assert "未成年人区" in str(exc.value)
    assignment = services.bed_assign(by=cast.carer, episode=child, bed=beds.x1, zone_reason="发热，医疗观察")
    assert assignment.zone_reason == "发热，医疗观察"


def test_c1_an_adult_cannot_go_into_the_minors_zone(cast, beds):
    with pytest.raises(ValidationError):
        services.bed_assign(by=cast.carer, episode=admitted_episode(cast, age=40), bed=beds.c1)


def test_c1_a_womens_zone_cannot_be_restricted_to_men(cast):
    with pytest.raises(ValidationError) as exc:
        services.zone_create(by=cast.head, station=cast.station, name="女二区", category=ZoneCategory.WOMEN,
                             sex_restriction="男")
    assert "规则 N4" in str(exc.value)
    zone = services.zone_create(by=cast.head, station=cast.station, name="女二区", category=ZoneCategory.WOMEN)
    assert zone.sex_restriction == "女"


def test_c1_beds_need_new_codes_in_the_zone(cast, beds):
    with pytest.raises(ValidationError) as exc:
        services.beds_create(by=cast.head, zone=beds.men, codes=["M01", "M09"])
    assert "M01" in str(exc.value)
    assert not beds.men.beds.filter(code="M09").exists()


def test_n4_a_bed_before_admission_is_refused(cast, beds):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1, at=ep.admitted_at - datetime.timedelta(hours=2))
    assert "不能早于入站时间" in str(exc.value)


def test_c3_occupancy_counts_beds_occupied_and_rate_per_station_and_zone(cast, beds):
    services.bed_assign(by=cast.carer, episode=admitted_episode(cast), bed=beds.m1)
    [station] = selectors.occupancy(user=cast.reception)
    assert (station["beds"], station["occupied"], station["rate"]) == (5, 1, 20.0)
    men = next(z for z in station["zones"] if z["zone"] == beds.men)
    assert (men["beds"], men["occupied"], men["rate"]) == (2, 1, 50.0)
    assert selectors.occupancy(user=cast.outsider) == []
    assert len(selectors.occupancy(user=cast.county_supervisor)) == 1


def test_c5_outside_care_needs_an_agreement_and_a_care_facility(cast, beds):
    facility = Organisation.objects.create(name="英德市福利院", code="YDFLY", kind=OrgKind.CARE_FACILITY,
                                           division=cast.station.division)
    ep = admitted_episode(cast)
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.placement_start(by=cast.carer, episode=ep, kind=PlacementKind.OUTSIDE_CARE, organisation=facility)
    assert "托养协议" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        services.placement_start(by=cast.carer, episode=ep, kind=PlacementKind.OUTSIDE_CARE,
                                 organisation=cast.hospital, agreement_ref="TY-1")
    assert "托养机构" in str(exc.value)
    assert _counts() == before
    from outsidecare.testing import agreement

    signed = agreement(by=cast.head, station=cast.station, facility=facility)
    placement = services.placement_start(by=cast.carer, episode=ep, kind=PlacementKind.OUTSIDE_CARE,
                                         organisation=facility)
    assert placement.agreement == signed and placement.agreement_ref == signed.number
    ep.refresh_from_db()
    assert ep.status == "outside_care" and placement.is_open
    assert selectors.open_assignment_for(ep) is None


def test_i3_sending_to_hospital_releases_the_bed_and_return_takes_a_bed(cast, beds):
    ep = admitted_episode(cast)
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    placement = services.placement_start(by=cast.carer, episode=ep, kind=PlacementKind.HOSPITAL,
                                         organisation=cast.hospital)
    ep.refresh_from_db()
    assert ep.status == "in_hospital"
    assert not BedAssignment.objects.filter(bed=beds.m1, released_at__isnull=True).exists()
    with pytest.raises(ValidationError):
        services.placement_return(by=cast.carer, placement=placement, bed=beds.w1)
    placement.refresh_from_db()
    assert placement.is_open
    assignment = services.placement_return(by=cast.carer, placement=placement, bed=beds.m2)
    ep.refresh_from_db()
    placement.refresh_from_db()
    assert ep.status == "in_station" and assignment.bed == beds.m2 and not placement.is_open
    # the hospital sees the placement addressed to it (named item), not the station's other records
    assert list(selectors.placement_list(user=User_at(cast.hospital))) == [placement]


def User_at(org):  # noqa: N802 - a tiny factory reading as a noun
    from core.models import User

    return User.objects.create_user(username=f"u-{org.code}", password="x" * 12, organisation=org)


@pytest.mark.parametrize(("days", "needed"), [(9, False), (10, False), (11, True)])
def test_n5_a_stay_over_10_days_needs_a_reason(cast, days, needed):
    start = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(start, tick=False):
        ep = admitted_episode(cast, at=start)
    with time_machine.travel(start + datetime.timedelta(days=days), tick=False):
        assert selectors.n5_status(ep)["reason_needed"] is needed
        assert (ep in selectors.n5_missing(user=cast.reception)) is needed
        assert (ep in selectors.board(user=cast.reception, filters={"flag": "n5_missing"})) is needed
        if needed:
            services.stay_extension_record(by=cast.carer, episode=ep, reason="等待公安DNA比对结果")
            assert not selectors.n5_status(ep)["reason_needed"]
            assert ep not in selectors.n5_missing(user=cast.reception)


def test_n5_does_not_apply_to_children_under_16_or_people_with_mental_disorder_or_intellectual_disability(cast):
    start = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(start, tick=False):
        child = admitted_episode(cast, age=12, name="小明")
        ill = admitted_episode(cast, name="李四", has_mental_disorder=True)
        slow = admitted_episode(cast, name="王五", has_intellectual_disability=True)
    with time_machine.travel(start + datetime.timedelta(days=20), tick=False):
        assert not selectors.n5_status(child)["reason_needed"]
        assert not selectors.n5_status(ill)["reason_needed"]
        assert not selectors.n5_status(slow)["reason_needed"]
        assert selectors.n5_status(ill)["over"]
        assert not selectors.n5_missing(user=cast.reception).exists()


def test_n5_a_reason_needs_words_and_a_department_above(cast):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError) as exc:
        services.stay_extension_record(by=cast.carer, episode=ep, reason="")
    assert set(exc.value.message_dict) == {"reason"}
    cast.station.supervisor = None
    cast.station.save()
    ep.refresh_from_db()
    with pytest.raises(ValidationError, match="未设置上级民政部门"):
        services.stay_extension_record(by=cast.carer, episode=ep, reason="等待家属来接")
    assert not StayExtension.objects.exists()


def test_n5_the_report_goes_to_the_department_above_which_sees_and_acknowledges_it(cast):
    from core.models import AuditAction, AuditEntry

    ep = admitted_episode(cast)
    ext = services.stay_extension_record(by=cast.carer, episode=ep, reason="等待公安DNA比对结果")
    assert ext.department == cast.county_dept and ext.reported_at is not None
    created = AuditEntry.objects.get(object_id=str(ext.uuid), action=AuditAction.CREATE)
    assert created.organisation == cast.station and created.person_uuid == ep.person.uuid
    assert created.changes["reason"] == [None, "等待公安DNA比对结果"]
    # the department sees it in its own list; the city department (not addressed) does not list it
    assert list(selectors.n5_reports(user=cast.county_supervisor)) == [ext]
    assert not selectors.n5_reports(user=cast.city_supervisor).exists()
    assert not selectors.n5_reports(user=cast.outsider).exists()
    # only the addressed department acknowledges
    for stranger in (cast.carer, cast.head, cast.city_supervisor):
        with pytest.raises(PermissionDenied):
            services.stay_extension_acknowledge(by=stranger, extension=ext)
    services.stay_extension_acknowledge(by=cast.county_supervisor, extension=ext, note="同意，继续寻亲")
    ext.refresh_from_db()
    assert ext.acknowledged_by == cast.county_supervisor and ext.ack_note == "同意，继续寻亲"
    ack = AuditEntry.objects.get(object_id=str(ext.uuid), action=AuditAction.UPDATE)
    assert ack.organisation == cast.county_dept and ack.changes["ack_note"] == ["", "同意，继续寻亲"]
    assert ack.changes["acknowledged_at"][0] is None and ack.changes["acknowledged_at"][1]
    assert not selectors.n5_reports(user=cast.county_supervisor).exists()  # no longer pending
    with pytest.raises(ValidationError, match="已确认"):
        services.stay_extension_acknowledge(by=cast.county_supervisor, extension=ext)


@pytest.mark.parametrize(("age_days_short", "applies"), [(0, True), (1, False)])
def test_n5_applies_from_exactly_the_16th_birthday(cast, age_days_short, applies):
    today = timezone.localdate()
    birthday = today.replace(year=today.year - 16) + datetime.timedelta(days=age_days_short)
    start = timezone.now() - datetime.timedelta(days=12)
    ep = admitted_episode(cast, age=None, birth_date=birthday, at=start)
    assert selectors.n5_applies(ep.person, today) is applies
    assert selectors.n5_status(ep)["reason_needed"] is applies
    assert (ep in selectors.n5_missing(user=cast.reception)) is applies


def test_n4_a_woman_cared_for_by_a_man_is_recorded_with_a_reason_and_warned(cast):
    from core.models import AuditAction

    ep = admitted_episode(cast, name="李秀英", sex="女")
    with pytest.raises(ValidationError) as exc:
        services.care_assign(by=cast.head, episode=ep, carer=cast.carer, carer_sex="男")
    assert "规则N4" in exc.value.message_dict["reason"][0]
    assignment, warning = services.care_assign(by=cast.head, episode=ep, carer=cast.carer, carer_sex="男",
                                               reason="夜班仅有男性照料员")
    assert assignment.n4_warning and "女性工作人员" in warning
    entry = AuditEntry.objects.get(object_type="stay.CareAssignment", action=AuditAction.CREATE)
    assert "规则N4" in entry.summary and entry.changes["n4_warning"] == [None, True]
    assert entry.changes["carer"] == [None, str(cast.carer)]
    female, warning = services.care_assign(by=cast.head, episode=ep, carer=cast.tracer, carer_sex="女")
    assert not female.n4_warning and warning == ""
    assignment.refresh_from_db()
    assert assignment.ended_at is not None  # one responsible carer at a time
    with pytest.raises(ValidationError):
        services.care_assign(by=cast.head, episode=ep, carer=cast.outsider, carer_sex="女")


def test_n4_a_man_may_be_cared_for_by_anyone_and_the_assignment_ends_with_the_episode(cast):
    from leaving.services import departure_create
    from stay.models import CareAssignment

    ep = admitted_episode(cast, name="张三", sex="男")
    assignment, warning = services.care_assign(by=cast.head, episode=ep, carer=cast.carer, carer_sex="男")
    assert warning == "" and not assignment.n4_warning
    departure_create(by=cast.reception, episode=ep, exit_type="self", data={"declaration_signed": True})
    assert CareAssignment.objects.get(pk=assignment.pk).ended_at is not None


def test_n4_a_bed_move_is_one_step_with_the_zone_rules_and_an_audit_trail(cast):
    from core.models import AuditAction

    beds = station_beds(cast)
    ep = admitted_episode(cast, name="张三", sex="男")
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    with pytest.raises(ValidationError, match="规则 N4"):
        services.bed_move(by=cast.carer, episode=ep, bed=beds.w1)  # men and women apart
    assert BedAssignment.objects.get(episode=ep, released_at__isnull=True).bed == beds.m1  # nothing changed
    moved = services.bed_move(by=cast.carer, episode=ep, bed=beds.m2)
    assert moved.bed == beds.m2
    old = BedAssignment.objects.get(episode=ep, bed=beds.m1)
    assert old.released_at == moved.assigned_at and "调至" in old.release_note
    assert AuditEntry.objects.filter(object_type="stay.BedAssignment", action=AuditAction.CREATE,
                                     object_id=str(moved.uuid)).exists()
    with pytest.raises(ValidationError, match="相同"):
        services.bed_move(by=cast.carer, episode=ep, bed=beds.m2)


def test_c3_the_bed_map_shows_each_zone_as_a_grid_of_bed_states_in_scope(cast):
    beds = station_beds(cast)
    ep = admitted_episode(cast, name="张三", sex="男")
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    services.bed_set_active(by=cast.head, bed=beds.m2, is_active=False)
    (station,) = selectors.bed_map(user=cast.carer)
    men = next(z for z in station["zones"] if z["zone"] == beds.men)
    assert [(c["bed"].code, c["state"]) for c in men["cells"]] == [("M01", "occupied"), ("M02", "inactive")]
    assert men["cells"][0]["assignment"].episode == ep and men["occupied"] == 1 and men["free"] == 0
    assert selectors.bed_map(user=cast.outsider) == []
