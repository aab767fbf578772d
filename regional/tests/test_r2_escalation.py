"""Rule R2 — 提级办理: a station asks its regional centre to take a case over; ownership moves on acceptance."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditEntry
from core.scoping import acting_organisation, can_write_case, scoped
from people.models import Episode
from people.states import EpisodeStatus
from regional import services
from regional.models import CaseKind, Escalation, EscalationStatus

pytestmark = pytest.mark.django_db


def _escalate(region, episode=None, kind=CaseKind.MEDICAL):
    episode = episode or region.admit()
    return services.escalation_request(by=region.cast.reception, episode=episode, kind=kind,
                                       reason="需转入区域性中心的医疗资源救治")


def test_r2_a_station_escalates_a_case_to_its_regional_centre(region):
    esc = _escalate(region)
    assert esc.status == EscalationStatus.REQUESTED
    assert esc.centre == region.centre and esc.station == region.station
    entry = AuditEntry.objects.filter(object_id=str(esc.uuid)).get()
    assert entry.person_uuid == esc.episode.person.uuid and "提级办理" in entry.summary


def test_r2_the_reason_and_kind_are_required_in_chinese(region):
    episode = region.admit()
    with pytest.raises(ValidationError) as err:
        services.escalation_request(by=region.cast.reception, episode=episode, kind="nonsense", reason="短")
    assert set(err.value.message_dict) == {"kind", "reason"}
    assert not Escalation.objects.exists()


def test_r2_only_one_open_escalation_per_episode_is_a_database_constraint(region):
    esc = _escalate(region)
    with pytest.raises(ValidationError) as err:
        _escalate(region, esc.episode)
    assert "未结束的提级办理" in str(err.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(episode=esc.episode, station=esc.station, centre=esc.centre, kind="care",
                                  reason="直接写入", requested_at=timezone.now(), requested_by=region.cast.reception)
    services.escalation_decline(by=region.centre_reception, escalation=esc, reason="中心床位已满，建议就地治疗")
    assert _escalate(region, esc.episode).status == EscalationStatus.REQUESTED  # a closed one frees the slot


def test_r2_acceptance_moves_the_case_to_the_centre_and_the_station_keeps_read_access(region):
    cast = region.cast
    esc = _escalate(region)
    episode = esc.episode
    assert can_write_case(cast.reception, episode) and not can_write_case(region.centre_reception, episode)
    services.escalation_accept(by=region.centre_reception, escalation=esc, reason="中心接办")
    episode.refresh_from_db()
    assert acting_organisation(episode) == region.centre
    assert can_write_case(region.centre_reception, episode)
    assert not can_write_case(cast.reception, episode) and not can_write_case(cast.head, episode)
    assert scoped(Episode.objects.filter(pk=episode.pk), cast.reception).exists()  # still reads it
    assert not can_write_case(region.other_centre_head, episode)
    # returned: the station acts again
    services.escalation_return(by=region.centre_reception, escalation=esc, note="救治结束，交回原站照料")
    assert can_write_case(cast.reception, episode) and not can_write_case(region.centre_reception, episode)


def test_r2_the_pages_follow_the_owner_of_the_case(region, client):
    cast = region.cast
    esc = _escalate(region)
    url = f"/leaving/episodes/{esc.episode.uuid}/new/"
    client.force_login(cast.reception)
    assert client.get(url).status_code == 200
    services.escalation_accept(by=region.centre_reception, escalation=esc)
    assert client.get(url).status_code == 403
    assert client.get(f"/people/episodes/{esc.episode.uuid}/").status_code == 200  # reads
    client.force_login(region.centre_reception)
    assert client.get(url).status_code == 200


def test_r2_declining_needs_a_reason_and_leaves_the_case_with_the_station(region):
    esc = _escalate(region)
    with pytest.raises(ValidationError):
        services.escalation_decline(by=region.centre_reception, escalation=esc, reason="")
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.REQUESTED
    services.escalation_decline(by=region.centre_reception, escalation=esc, reason="不属于提级办理范围")
    assert acting_organisation(esc.episode) == region.station


def test_r2_state_changes_only_along_allowed_transitions(region):
    esc = _escalate(region)
    services.escalation_decline(by=region.centre_reception, escalation=esc, reason="不属于提级办理范围")
    for call in (lambda: services.escalation_accept(by=region.centre_reception, escalation=esc),
                 lambda: services.escalation_withdraw(by=region.cast.reception, escalation=esc),
                 lambda: services.escalation_return(by=region.centre_reception, escalation=esc, note="交回原站办理")):
        with pytest.raises(ValidationError):
            call()
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.DECLINED
    accepted = _escalate(region, esc.episode)
    services.escalation_accept(by=region.centre_reception, escalation=accepted)
    with pytest.raises(ValidationError):
        services.escalation_withdraw(by=region.cast.reception, escalation=accepted)


def test_r2_only_the_covering_centre_answers(region):
    from django.core.exceptions import PermissionDenied

    esc = _escalate(region)
    for stranger in (region.other_centre_head, region.cast.reception, region.cast.city_supervisor):
        with pytest.raises(PermissionDenied):
            services.escalation_accept(by=stranger, escalation=esc)
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.REQUESTED


def test_r2_a_station_goes_to_the_centre_of_its_own_region_and_outside_every_region_cannot_escalate(region):
    from deadlines.tests.conftest import admit

    episode = admit(region.cast, timezone.now() - datetime.timedelta(hours=1), station_user=region.cast.outsider)
    esc = services.escalation_request(by=region.cast.outsider, episode=episode, kind="care", reason="需要中心接办照料")
    assert esc.centre == region.other_centre  # 韶关's centre, never 清远's
    services.escalation_withdraw(by=region.cast.outsider, escalation=esc, note="撤回")
    region.other_centre.is_active = False
    region.other_centre.save()
    with pytest.raises(ValidationError) as err:
        services.escalation_request(by=region.cast.outsider, episode=episode, kind="care", reason="需要中心接办照料")
    assert "区域性中心" in str(err.value)


def test_r2_another_stations_user_cannot_escalate_its_case(region):
    episode = region.admit()
    with pytest.raises(ValidationError):
        services.escalation_request(by=region.centre_reception, episode=episode, kind="care", reason="代为提请接办")


def test_r2_the_escalation_ends_with_the_episode(region):
    from leaving import services as leaving

    esc = _escalate(region)
    services.escalation_accept(by=region.centre_reception, escalation=esc)
    leaving.departure_create(by=region.centre_reception, episode=esc.episode, exit_type="home_ticket",
                             data={"ticket_no": "G123", "travel_mode": "train", "destination": "长沙"})
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.CLOSED and esc.ended_at is not None
    assert Episode.objects.get(pk=esc.episode.pk).status == EpisodeStatus.LEFT


def test_r2_the_centre_answers_within_the_configured_hours(region, settings):
    from deadlines.tests.conftest import bucket_of

    start = timezone.now() - datetime.timedelta(days=5)
    episode = region.admit(at=start)
    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False):
        esc = _escalate(region, episode)
    assert bucket_of("R2A", esc, start + datetime.timedelta(hours=10)) != "overdue"
    assert bucket_of("R2A", esc, start + datetime.timedelta(hours=50)) == "overdue"
    with time_machine.travel(start + datetime.timedelta(hours=60), tick=False):
        services.escalation_accept(by=region.centre_reception, escalation=esc)
    assert bucket_of("R2A", esc, start + datetime.timedelta(hours=61)) is None
    # the deadline is a setting: 72 hours would not have been late at 50 h
    settings.GUITU_RULES = {**settings.GUITU_RULES, "R2_ESCALATION_ANSWER_HOURS": 72}
    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False):
        other = _escalate(region, region.admit(name="乙区域", at=start))
    assert bucket_of("R2A", other, start + datetime.timedelta(hours=50)) != "overdue"
