"""Rules P1–P3: sightings owned by the station that took them, patrols by group, offline resends, campaigns."""

import datetime
import uuid

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.models import AuditEntry
from deadlines.tests.conftest import admit, bucket_of, local
from outreach import selectors, services
from outreach.models import Encounter, Patrol, PatrolTask, Sighting

pytestmark = pytest.mark.django_db

T = local(2026, 7, 15, 10)
DATA = {"place": "人民路地下通道", "description": "男，约60岁，衣着单薄，行动迟缓"}


def _sighting(cast, at=T):
    with time_machine.travel(at, tick=False):
        return services.sighting_create(by=cast.reception, station=cast.station, source="110", data=DATA)


# --- P1: sightings ---------------------------------------------------------------------------------------


def test_p1_a_sighting_without_a_place_is_refused_and_nothing_saved(cast):
    with pytest.raises(ValidationError) as exc:
        services.sighting_create(
            by=cast.reception, station=cast.station, source="12345", data={"description": "有人躺在路边"}
        )
    assert "地点" in str(exc.value)
    assert not Sighting.objects.exists()


def test_p1_the_public_report_is_owned_by_the_chosen_station_and_throttled(cast, settings):
    # the clue limiter's settings, before and after its per-IP / per-phone split
    settings.GUITU_CLUE_LIMIT_PER_HOUR = 2
    settings.GUITU_CLUE_LIMIT_PER_IP_PER_HOUR = 2
    settings.GUITU_CLUE_LIMIT_PER_PHONE_PER_HOUR = 2
    from announcements.services import ClueThrottled

    s = services.public_sighting_submit(
        station=cast.station, data={**DATA, "reporter_phone": "13800001111"}, ip="10.0.0.9"
    )
    assert s.source == "public" and s.station == cast.station and s.received_by is None
    services.public_sighting_submit(station=cast.station, data=DATA, ip="10.0.0.9")
    with pytest.raises(ClueThrottled):
        services.public_sighting_submit(station=cast.station, data=DATA, ip="10.0.0.9")
    assert Sighting.objects.count() == 2


def test_p1_coordinates_outside_china_are_refused(cast):
    with pytest.raises(ValidationError):
        services.sighting_create(
            by=cast.reception,
            station=cast.station,
            source="110",
            data={**DATA, "latitude": "48.85", "longitude": "2.35"},
        )


def test_p1_each_step_has_its_deadline(cast):
    s = _sighting(cast)
    assert bucket_of("P1", s, T + datetime.timedelta(minutes=61)) == "overdue"
    with time_machine.travel(T + datetime.timedelta(minutes=30), tick=False):
        services.sighting_dispatch(by=cast.reception, sighting=s, team="巡查一组")
    s.refresh_from_db()
    assert bucket_of("P1", s, T + datetime.timedelta(minutes=61)) is None
    assert bucket_of("P1a", s, T + datetime.timedelta(hours=2, minutes=31)) == "overdue"
    with time_machine.travel(T + datetime.timedelta(hours=1), tick=False):
        services.sighting_arrive(by=cast.reception, sighting=s)
    s.refresh_from_db()
    assert bucket_of("P1a", s, T + datetime.timedelta(hours=3)) is None
    assert bucket_of("P1c", s, T + datetime.timedelta(hours=25)) == "overdue"
    with time_machine.travel(T + datetime.timedelta(hours=2), tick=False):
        services.sighting_close(by=cast.reception, sighting=s, outcome="guided", note="已告知救助政策")
    s.refresh_from_db()
    assert bucket_of("P1c", s, T + datetime.timedelta(hours=25)) is None


def test_p1_steps_only_along_allowed_transitions(cast):
    s = _sighting(cast)
    with time_machine.travel(T + datetime.timedelta(minutes=5), tick=False):
        with pytest.raises(ValidationError):
            services.sighting_arrive(by=cast.reception, sighting=s)
        services.sighting_close(by=cast.reception, sighting=s, outcome="not_found")
        with pytest.raises(ValidationError):
            services.sighting_dispatch(by=cast.reception, sighting=s, team="迟到的组")


def test_p1_brought_in_links_the_intake_of_the_same_station(cast):
    s = _sighting(cast)
    episode = admit(cast, T + datetime.timedelta(hours=1), name="街面带回")
    with time_machine.travel(T + datetime.timedelta(hours=2), tick=False):
        with pytest.raises(ValidationError):
            services.sighting_close(by=cast.reception, sighting=s, outcome="brought_in")
        services.sighting_close(by=cast.reception, sighting=s, outcome="brought_in", episode=episode)
    s.refresh_from_db()
    assert s.episode == episode


def test_p1_first_station_owns_it_until_a_formal_handover(cast):
    s = _sighting(cast)
    with pytest.raises(PermissionDenied):  # another station cannot act on it
        services.sighting_dispatch(by=cast.city_reception, sighting=s, team="市站")
    with time_machine.travel(T + datetime.timedelta(minutes=10), tick=False):
        services.sighting_hand_over(
            by=cast.reception, sighting=s, to_station=cast.city_station, reason="位于市区"
        )
    s.refresh_from_db()
    assert s.station == cast.city_station
    with pytest.raises(PermissionDenied):
        services.sighting_dispatch(by=cast.reception, sighting=s, team="原站")
    # the first station still reads what it handed over
    assert list(selectors.sighting_list(user=cast.reception, filters={"status": "all"})) == [s]
    assert AuditEntry.objects.filter(object_id=str(s.uuid), summary__contains="移交").exists()


# --- P2: patrols and encounters ------------------------------------------------------------------------


def test_p2_outcome_must_suit_the_group(cast):
    patrol = services.patrol_record(by=cast.reception, organisation=cast.station, data={"team": "一组"})
    base = {"place": "桥下", "description": "老人"}
    with pytest.raises(ValidationError) as exc:
        services.encounter_record(
            by=cast.reception, patrol=patrol, data={**base, "group": "minor", "outcome": "guided"}
        )
    assert "规则P2" in str(exc.value)
    with pytest.raises(ValidationError):
        services.encounter_record(
            by=cast.reception, patrol=patrol, data={**base, "group": "sick", "outcome": "declined"}
        )
    with pytest.raises(ValidationError):
        services.encounter_record(
            by=cast.reception,
            patrol=patrol,
            data={**base, "group": "suspected_victim", "outcome": "escorted"},
        )
    services.encounter_record(
        by=cast.reception, patrol=patrol, data={**base, "group": "elderly", "outcome": "escorted"}
    )
    services.encounter_record(
        by=cast.reception, patrol=patrol, data={**base, "group": "able", "outcome": "guided"}
    )
    assert Encounter.objects.count() == 2


def test_p2_an_offline_resend_saves_nothing_twice(cast):
    key, enc_key = uuid.uuid4(), uuid.uuid4()
    patrol = services.patrol_record(
        by=cast.reception, organisation=cast.station, data={"team": "夜巡"}, client_uuid=key
    )
    with pytest.raises(services.Duplicate):
        services.patrol_record(
            by=cast.reception, organisation=cast.station, data={"team": "夜巡"}, client_uuid=key
        )
    data = {"place": "桥下", "description": "青年", "group": "able", "outcome": "guided"}
    services.encounter_record(by=cast.reception, patrol=patrol, data=data, client_uuid=enc_key)
    with pytest.raises(services.Duplicate):
        services.encounter_record(by=cast.reception, patrol=patrol, data=data, client_uuid=enc_key)
    services.patrol_end(by=cast.reception, patrol=patrol)
    with pytest.raises(services.Duplicate):
        services.patrol_end(by=cast.reception, patrol=patrol)
    assert Patrol.objects.count() == 1 and Encounter.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Patrol.objects.create(
            organisation=cast.station, team="x", started_at=T, recorded_by=cast.reception, client_uuid=key
        )


def test_p2_police_and_chengguan_patrol_for_their_own_organisation_only(cast, chengguan):
    services.patrol_record(by=cast.police_officer, organisation=cast.police, data={"team": "巡警"})
    services.patrol_record(by=chengguan, organisation=chengguan.organisation, data={"team": "城管中队"})
    with pytest.raises(PermissionDenied):
        services.patrol_record(by=chengguan, organisation=cast.station, data={"team": "冒名"})
    with pytest.raises(PermissionDenied):
        services.patrol_record(
            by=cast.county_supervisor, organisation=cast.county_dept, data={"team": "监管"}
        )


def test_p2_an_encounter_before_the_patrol_started_is_refused(cast):
    with time_machine.travel(T, tick=False):
        patrol = services.patrol_record(by=cast.reception, organisation=cast.station, data={"team": "一组"})
        with pytest.raises(ValidationError):
            services.encounter_record(
                by=cast.reception,
                patrol=patrol,
                data={
                    "place": "桥下",
                    "description": "x",
                    "group": "able",
                    "outcome": "guided",
                    "met_at": T - datetime.timedelta(hours=1),
                },
            )


def test_p2_the_encounter_links_the_intake_when_the_person_comes_in(cast):
    with time_machine.travel(T, tick=False):
        patrol = services.patrol_record(by=cast.reception, organisation=cast.station, data={"team": "一组"})
        e = services.encounter_record(
            by=cast.reception,
            patrol=patrol,
            data={"place": "火车站", "description": "老人", "group": "elderly", "outcome": "escorted"},
        )
    episode = admit(cast, T + datetime.timedelta(hours=1), name="巡查带回")
    services.encounter_link_episode(by=cast.reception, encounter=e, episode=episode)
    e.refresh_from_db()
    assert e.episode == episode


# --- P3: campaigns, hot spots, weather alerts -----------------------------------------------------------


def test_p3_campaign_periods_follow_the_seasons(cast):
    with pytest.raises(ValidationError):
        services.campaign_create(
            by=cast.head,
            organisation=cast.station,
            kind="summer",
            starts_on=datetime.date(2026, 6, 1),
            ends_on=datetime.date(2026, 9, 30),
        )
    services.campaign_create(
        by=cast.head,
        organisation=cast.station,
        kind="winter",
        starts_on=datetime.date(2026, 11, 1),
        ends_on=datetime.date(2027, 3, 31),
    )
    with pytest.raises(ValidationError):  # overlapping the same kind
        services.campaign_create(
            by=cast.head,
            organisation=cast.station,
            kind="winter",
            starts_on=datetime.date(2026, 12, 1),
            ends_on=datetime.date(2027, 1, 31),
        )
    with pytest.raises(PermissionDenied):
        services.campaign_create(
            by=cast.reception,
            organisation=cast.station,
            kind="summer",
            starts_on=datetime.date(2026, 7, 1),
            ends_on=datetime.date(2026, 9, 30),
        )


def test_p3_a_weather_alert_becomes_tasks_for_every_hot_spot_and_patrols_cover_them(cast, spots):
    campaign = services.campaign_create(
        by=cast.head,
        organisation=cast.station,
        kind="summer",
        starts_on=datetime.date(2026, 7, 1),
        ends_on=datetime.date(2026, 9, 30),
    )
    with time_machine.travel(T, tick=False):
        alert = services.weather_alert_issue(by=cast.head, campaign=campaign, weather="高温橙色预警")
    tasks = list(PatrolTask.objects.filter(alert=alert))
    assert len(tasks) == 3
    assert bucket_of("P3", tasks[0], T + datetime.timedelta(hours=13)) == "overdue"
    with time_machine.travel(T + datetime.timedelta(hours=3), tick=False):
        services.patrol_record(
            by=cast.reception, organisation=cast.station, data={"team": "送清凉一组"}, hot_spots=spots[:2]
        )
    (row,) = selectors.campaign_coverage(campaign)
    assert (row["covered"], row["total"]) == (2, 3)
    covered = [t for t in tasks if t.hot_spot in spots[:2]]
    assert bucket_of("P3", covered[0], T + datetime.timedelta(hours=13)) is None


def test_p3_hot_spot_names_are_unique_per_register(cast, spots):
    from django.core.exceptions import ValidationError as VE

    from core.models import Division

    with pytest.raises(VE):
        services.hot_spot_save(
            by=cast.head,
            organisation=cast.station,
            data={"county": Division.objects.get(code="441881"), "kind": "bridge", "name": "北江大桥桥洞"},
        )


# --- scope ------------------------------------------------------------------------------------------------


def test_scope_a_user_of_another_organisation_gets_nothing(cast, spots):
    _sighting(cast)
    services.patrol_record(
        by=cast.reception, organisation=cast.station, data={"team": "一组"}, hot_spots=spots
    )
    for read in (selectors.sighting_list, selectors.patrol_list, selectors.hot_spot_list):
        kwargs = {"filters": {"status": "all"}} if read is selectors.sighting_list else {}
        assert list(read(user=cast.outsider, **kwargs)) == []
        assert list(read(user=cast.county_supervisor, **kwargs))
