"""Stay rules at their boundaries, from both sides (rules C1, C5, N4, N5, I8), and the checks each service
makes before it writes — a threshold moved by one or a check dropped fails here, with nothing saved."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import Organisation, OrgKind
from people.models import Episode
from stay import services
from stay.models import Bed, BedAssignment, CareAssignment, Placement, StayExtension, Zone, ZoneCategory
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def beds(cast, frozen):
    return station_beds(cast)


# ---------- times: at most 5 minutes ahead of now (clock drift), never before admission ----------
@pytest.mark.parametrize(("ahead", "ok"), [(datetime.timedelta(minutes=4, seconds=59), True),
                                           (datetime.timedelta(minutes=5), True),
                                           (datetime.timedelta(minutes=5, seconds=1), False)])
def test_c1_a_bed_is_assigned_at_most_5_minutes_ahead_of_now(cast, beds, frozen, ahead, ok):
    ep = admitted_episode(cast)
    if ok:
        assert services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1, at=frozen + ahead).assigned_at
    else:
        with pytest.raises(ValidationError, match="不能晚于当前时间"):
            services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1, at=frozen + ahead)
        assert not BedAssignment.objects.exists()


def test_c1_a_bed_is_not_assigned_before_admission(cast, beds, frozen):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError, match="不能早于入站时间"):
        services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1, at=ep.admitted_at - datetime.timedelta(seconds=1))
    assert services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1, at=ep.admitted_at).assigned_at == ep.admitted_at


@pytest.mark.parametrize(("ahead", "ok"), [(datetime.timedelta(minutes=5), True),
                                           (datetime.timedelta(minutes=5, seconds=1), False)])
def test_c1_a_bed_is_released_at_most_5_minutes_ahead_of_now(cast, beds, frozen, ahead, ok):
    ep = admitted_episode(cast)
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    if ok:
        assert services.bed_release(by=cast.carer, episode=ep, at=frozen + ahead).released_at == frozen + ahead
    else:
        with pytest.raises(ValidationError, match="不能晚于当前时间"):
            services.bed_release(by=cast.carer, episode=ep, at=frozen + ahead)
        assert BedAssignment.objects.get(episode=ep).released_at is None


def test_c1_a_bed_move_and_a_placement_are_not_dated_in_the_future(cast, beds, frozen):
    ep = admitted_episode(cast)
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    later = frozen + datetime.timedelta(hours=1)
    with pytest.raises(ValidationError, match="调床时间不能晚于当前时间"):
        services.bed_move(by=cast.carer, episode=ep, bed=beds.m2, at=later)
    with pytest.raises(ValidationError, match="开始时间不能晚于当前时间"):
        services.placement_start(by=cast.carer, episode=ep, kind="hospital", organisation=cast.hospital,
                                 started_at=later)
    with pytest.raises(ValidationError, match="开始时间不能晚于当前时间"):
        services.care_assign(by=cast.head, episode=ep, carer=cast.carer, carer_sex="男", at=later)
    assert BedAssignment.objects.get(episode=ep, released_at__isnull=True).bed == beds.m1
    assert not Placement.objects.exists() and not CareAssignment.objects.exists()


def test_c5_a_placement_may_end_the_moment_it_started_not_before(cast, beds, frozen):
    ep = admitted_episode(cast)
    start = frozen - datetime.timedelta(minutes=10)
    placement = services.placement_start(by=cast.carer, episode=ep, kind="hospital", organisation=cast.hospital,
                                         started_at=start)
    facility = Organisation.objects.create(name="英德市福利院", code="YDFLY", kind=OrgKind.CARE_FACILITY,
                                           division=cast.station.division)
    from outsidecare.testing import agreement

    agreement(by=cast.head, station=cast.station, facility=facility)
    with pytest.raises(ValidationError, match="结束时间不能早于开始时间"):
        services.placement_start(by=cast.carer, episode=ep, kind="outside_care", organisation=facility,
                                 started_at=start - datetime.timedelta(seconds=1))
    services.placement_start(by=cast.carer, episode=ep, kind="outside_care", organisation=facility,
                             started_at=start)
    placement.refresh_from_db()
    assert placement.ended_at == start and Episode.objects.get(pk=ep.pk).status == "outside_care"


# ---------- zones and beds ----------
def test_c1_zone_names_are_unique_in_a_station_and_the_sex_restriction_is_known(cast):
    services.zone_create(by=cast.head, station=cast.station, name="男区", category=ZoneCategory.MEN)
    with pytest.raises(ValidationError) as exc:
        services.zone_create(by=cast.head, station=cast.station, name="男区", category=ZoneCategory.MEN)
    assert set(exc.value.message_dict) == {"name"}
    with pytest.raises(ValidationError) as exc:
        services.zone_create(by=cast.head, station=cast.station, name="混合区", category=ZoneCategory.MEDICAL,
                             sex_restriction="双")
    assert set(exc.value.message_dict) == {"sex_restriction"}
    with pytest.raises(ValidationError) as exc:
        services.zone_create(by=cast.head, station=cast.hospital, name="病区", category=ZoneCategory.MEDICAL)
    assert set(exc.value.message_dict) == {"station"}
    assert Zone.objects.count() == 1
    medical = services.zone_create(by=cast.head, station=cast.station, name="医疗观察区",
                                   category=ZoneCategory.MEDICAL, sex_restriction="")
    assert medical.sex_restriction == "any"


@pytest.mark.parametrize(("length", "ok"), [(20, True), (21, False)])
def test_c1_a_bed_code_has_at_most_20_characters(cast, length, ok):
    zone = services.zone_create(by=cast.head, station=cast.station, name="男区", category=ZoneCategory.MEN)
    code = "床" * length
    if ok:
        assert services.beds_create(by=cast.head, zone=zone, codes=[code])[0].code == code
    else:
        with pytest.raises(ValidationError, match="最多20个字符"):
            services.beds_create(by=cast.head, zone=zone, codes=[code])
        assert not Bed.objects.exists()


def test_c1_beds_need_at_least_one_code_and_blank_codes_are_ignored(cast):
    zone = services.zone_create(by=cast.head, station=cast.station, name="男区", category=ZoneCategory.MEN)
    with pytest.raises(ValidationError, match="至少一个床位号"):
        services.beds_create(by=cast.head, zone=zone, codes=["", "  "])
    assert [b.code for b in services.beds_create(by=cast.head, zone=zone, codes=["M01", " ", None])] == ["M01"]


def test_c3_an_occupied_bed_is_not_taken_out_of_use_a_free_one_is(cast, beds):
    ep = admitted_episode(cast)
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    with pytest.raises(ValidationError, match="有人入住"):
        services.bed_set_active(by=cast.head, bed=beds.m1, is_active=False)
    services.bed_set_active(by=cast.head, bed=beds.m2, is_active=False)
    assert not Bed.objects.get(pk=beds.m2.pk).is_active and Bed.objects.get(pk=beds.m1.pk).is_active
    services.bed_set_active(by=cast.head, bed=beds.m2, is_active=True)
    assert Bed.objects.get(pk=beds.m2.pk).is_active


# ---------- N4 / I8: who goes where ----------
def test_n4_the_sex_housed_as_is_male_or_female_only(cast, beds):
    ep = admitted_episode(cast, sex="")
    with pytest.raises(ValidationError) as exc:
        services.bed_assign(by=cast.carer, episode=ep, bed=beds.x1, housed_as="其他")
    assert set(exc.value.message_dict) == {"housed_as"}
    assert services.bed_assign(by=cast.carer, episode=ep, bed=beds.x1, housed_as="女").housed_as == "女"


def test_n4_a_person_of_unknown_sex_in_a_single_sex_zone_needs_the_choice(cast, beds):
    ep = admitted_episode(cast, sex="")
    with pytest.raises(ValidationError, match="性别不详"):
        services.bed_assign(by=cast.carer, episode=ep, bed=beds.w1)
    assert not BedAssignment.objects.exists()


@pytest.mark.parametrize(("years", "days_short", "minor"), [(18, 1, True), (18, 0, False)])
def test_i8_the_minors_zone_is_for_those_under_18_to_the_day(cast, beds, years, days_short, minor):
    today = timezone.localdate()
    birthday = today.replace(year=today.year - years) + datetime.timedelta(days=days_short)
    ep = admitted_episode(cast, age=None, birth_date=birthday)
    if minor:
        with pytest.raises(ValidationError) as exc:
            services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
        assert "未成年人区" in exc.value.message_dict["zone_reason"][0]
        assert services.bed_assign(by=cast.carer, episode=ep, bed=beds.c1).bed == beds.c1
    else:
        with pytest.raises(ValidationError, match="成年人不能安排在未成年人区"):
            services.bed_assign(by=cast.carer, episode=ep, bed=beds.c1)
        assert services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1).bed == beds.m1


def test_c1_only_the_stations_own_beds_and_one_bed_a_person(cast, beds):
    ep = admitted_episode(cast)
    other = services.zone_create(by=cast.outsider, station=cast.other_station, name="男区", category=ZoneCategory.MEN)
    (foreign_bed,) = services.beds_create(by=cast.outsider, zone=other, codes=["M01"])
    with pytest.raises(ValidationError, match="本机构的床位"):
        services.bed_assign(by=cast.carer, episode=ep, bed=foreign_bed)
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    with pytest.raises(ValidationError, match="一人只能占用一张床位"):
        services.bed_assign(by=cast.carer, episode=ep, bed=beds.m2)
    assert BedAssignment.objects.filter(episode=ep).count() == 1


def test_c1_a_bed_move_needs_a_person_in_a_bed_and_a_new_bed(cast, beds):
    ep = admitted_episode(cast)
    with pytest.raises(ValidationError, match="只有在站且已有床位"):
        services.bed_move(by=cast.carer, episode=ep, bed=beds.m2)
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.m1)
    with pytest.raises(ValidationError) as exc:
        services.bed_move(by=cast.carer, episode=ep, bed=None)
    assert set(exc.value.message_dict) == {"bed"}
    assert BedAssignment.objects.get(episode=ep, released_at__isnull=True).bed == beds.m1


def test_c6_a_return_from_hospital_needs_a_bed(cast, beds):
    ep = admitted_episode(cast)
    placement = services.placement_start(by=cast.carer, episode=ep, kind="hospital", organisation=cast.hospital)
    with pytest.raises(ValidationError) as exc:
        services.placement_return(by=cast.carer, placement=placement, bed=None)
    assert set(exc.value.message_dict) == {"bed"}
    placement.refresh_from_db()
    assert placement.ended_at is None and Episode.objects.get(pk=ep.pk).status == "in_hospital"


def test_c5_a_placement_needs_a_state_in_care(cast, beds):
    ep = admitted_episode(cast)
    Episode.objects.filter(pk=ep.pk).update(status="left")
    with pytest.raises(ValidationError) as exc:
        services.placement_start(by=cast.carer, episode=ep, kind="hospital", organisation=cast.hospital)
    assert "不能办理送医或站外托养" in exc.value.message_dict["__all__"][0]
    assert not Placement.objects.exists()


# ---------- N4: the responsible carer ----------
def test_n4_the_carer_is_active_staff_of_this_station_and_the_person_is_in_care(cast, frozen):
    ep = admitted_episode(cast)
    cast.carer.is_active = False
    cast.carer.save()
    with pytest.raises(ValidationError) as exc:
        services.care_assign(by=cast.head, episode=ep, carer=cast.carer, carer_sex="男")
    assert set(exc.value.message_dict) == {"carer"}
    with pytest.raises(ValidationError) as exc:
        services.care_assign(by=cast.head, episode=ep, carer=None, carer_sex="男")
    assert set(exc.value.message_dict) == {"carer"}
    Episode.objects.filter(pk=ep.pk).update(status="left")
    with pytest.raises(ValidationError) as exc:
        services.care_assign(by=cast.head, episode=ep, carer=cast.tracer, carer_sex="女")
    assert set(exc.value.message_dict) == {"__all__"}
    assert not CareAssignment.objects.exists()


def test_n4_the_same_carer_is_not_assigned_twice(cast, frozen):
    ep = admitted_episode(cast)
    services.care_assign(by=cast.head, episode=ep, carer=cast.carer, carer_sex="男")
    with pytest.raises(ValidationError, match="已是该人员的责任照料人员"):
        services.care_assign(by=cast.head, episode=ep, carer=cast.carer, carer_sex="男")
    assert CareAssignment.objects.filter(episode=ep).count() == 1


# ---------- N5: the reason and the department's note ----------
@pytest.mark.parametrize(("reason", "ok"), [("等待核查", True), ("等待核", False), ("等" * 2000, True),
                                            ("等" * 2001, False)])
def test_n5_the_reason_has_4_to_2000_characters(cast, reason, ok):
    ep = admitted_episode(cast)
    if ok:
        assert services.stay_extension_record(by=cast.carer, episode=ep, reason=reason).reason == reason
    else:
        with pytest.raises(ValidationError) as exc:
            services.stay_extension_record(by=cast.carer, episode=ep, reason=reason)
        assert set(exc.value.message_dict) == {"reason"}
        assert not StayExtension.objects.exists()


def test_n5_no_report_for_a_person_no_longer_in_care(cast):
    ep = admitted_episode(cast)
    Episode.objects.filter(pk=ep.pk).update(status="left")
    ep.refresh_from_db()
    with pytest.raises(ValidationError, match="已不在站"):
        services.stay_extension_record(by=cast.carer, episode=ep, reason="等待公安核查身份")
    assert not StayExtension.objects.exists()


@pytest.mark.parametrize(("length", "ok"), [(300, True), (301, False)])
def test_n5_the_departments_note_has_at_most_300_characters(cast, length, ok):
    ep = admitted_episode(cast)
    ext = services.stay_extension_record(by=cast.carer, episode=ep, reason="等待公安核查身份")
    note = "阅" * length
    if ok:
        assert services.stay_extension_acknowledge(by=cast.county_supervisor, extension=ext, note=note).ack_note == note
    else:
        with pytest.raises(ValidationError) as exc:
            services.stay_extension_acknowledge(by=cast.county_supervisor, extension=ext, note=note)
        assert set(exc.value.message_dict) == {"note"}
        assert StayExtension.objects.get(pk=ext.pk).acknowledged_at is None


def test_n4_a_bed_move_keeps_the_sex_a_person_of_unknown_sex_is_housed_as(cast, beds):
    (w2,) = services.beds_create(by=cast.head, zone=beds.women, codes=["W02"])
    ep = admitted_episode(cast, sex="")
    services.bed_assign(by=cast.carer, episode=ep, bed=beds.w1, housed_as="女")
    moved = services.bed_move(by=cast.carer, episode=ep, bed=w2)
    assert moved.bed == w2 and moved.housed_as == "女"
