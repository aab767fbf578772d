"""Rule E2 — cross-province escorts are run by the regional centre with its own staff, batched by route."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import Division
from leaving import services as leaving
from leaving.models import Departure, ExitType
from people.states import EpisodeStatus
from regional import services
from regional.models import BatchStatus, MemberStatus

pytestmark = pytest.mark.django_db


def _batch(region, **kw):
    return services.batch_create(by=region.centre_head, route="清远—长沙—贵阳", departs_on=timezone.localdate(),
                                 vehicle="粤R·A1234", staff=[region.escort_1, region.escort_2], **kw)


def test_e2_a_batch_is_planned_and_run_by_the_centre_with_its_own_staff(region):
    cast = region.cast
    batch = _batch(region)
    guizhou, hunan = Division.objects.get(code="520100"), Division.objects.get(code="430100")
    first, second = region.admit("甲护送"), region.admit("乙护送")
    services.batch_member_add(by=region.centre_head, batch=batch, episode=first, destination=guizhou)
    m2 = services.batch_member_add(by=region.centre_head, batch=batch, episode=second, destination=hunan)
    services.batch_start(by=region.centre_head, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDER_WAY
    for member in batch.members.all():
        services.member_hand_over(by=region.centre_head, member=member, handed_over_to="station",
                                  handover_org=cast.other_station, handover_person="接收站值班员",
                                  handover_at=timezone.now())
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    # person by person through leaving's one path out: 返乡（护送） with the centre's staff as escorts
    departure = Departure.objects.get(episode=second)
    assert departure.exit_type == ExitType.HOME_ESCORTED
    assert set(departure.escort_staff.all()) == {region.escort_1, region.escort_2}
    assert departure.escort_route == "清远—长沙—贵阳" and "长沙" in departure.destination
    second.refresh_from_db()
    assert second.status == EpisodeStatus.LEFT
    m2.refresh_from_db()
    assert m2.status == MemberStatus.HANDED_OVER and m2.departure == departure


def test_e2_the_centres_staff_are_accepted_as_escorts_where_they_were_refused(region):
    cast = region.cast
    episode = region.admit()
    left_at = timezone.now() - datetime.timedelta(hours=1)
    data = {"destination": "贵阳", "escort_route": "清远—贵阳", "handed_over_to": "family",
            "handover_person": "张父", "handover_at": timezone.now()}
    with pytest.raises(ValidationError) as err:  # staff of an unrelated station are still refused
        leaving.departure_create(by=cast.reception, episode=episode, exit_type=ExitType.HOME_ESCORTED,
                                 left_at=left_at, data=dict(data), escort_staff=[region.other_centre_head])
    assert "escort_staff" in err.value.message_dict
    departure = leaving.departure_create(by=cast.reception, episode=episode, exit_type=ExitType.HOME_ESCORTED,
                                         left_at=left_at, data=dict(data), escort_staff=[region.escort_1, cast.carer])
    assert set(departure.escort_staff.all()) == {region.escort_1, cast.carer}


def test_e2_only_cross_province_people_of_the_region_in_care_join(region):
    cast = region.cast
    batch = _batch(region)
    episode = region.admit()
    with pytest.raises(ValidationError) as err:
        services.batch_member_add(by=region.centre_head, batch=batch, episode=episode,
                                  destination=Division.objects.get(code="440100"))  # 广州: same province
    assert "destination" in err.value.message_dict
    from deadlines.tests.conftest import admit

    elsewhere = admit(cast, timezone.now() - datetime.timedelta(hours=1), station_user=cast.outsider)
    with pytest.raises(ValidationError):
        services.batch_member_add(by=region.centre_head, batch=batch, episode=elsewhere,
                                  destination=Division.objects.get(code="520100"))
    services.batch_member_add(by=region.centre_head, batch=batch, episode=episode,
                              destination=Division.objects.get(code="520100"))
    with pytest.raises(ValidationError):  # at most one planned escort per person (a DB constraint)
        services.batch_member_add(by=region.centre_head, batch=_batch(region), episode=episode,
                                  destination=Division.objects.get(code="520100"))


def test_e2_escort_staff_are_the_centres_and_stations_do_not_run_batches(region):
    cast = region.cast
    with pytest.raises(ValidationError) as err:
        services.batch_create(by=region.centre_head, route="清远—贵阳", departs_on=timezone.localdate(),
                              vehicle="粤R·A1234", staff=[cast.carer])
    assert "staff" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        services.batch_create(by=cast.head, route="清远—贵阳", departs_on=timezone.localdate(), vehicle="粤R·A1",
                              staff=[cast.carer])
    batch = _batch(region)
    with pytest.raises(PermissionDenied):
        services.batch_start(by=region.other_centre_head, batch=batch)


def test_e2_batch_transitions_are_only_the_allowed_ones(region):
    batch = _batch(region)
    with pytest.raises(ValidationError):  # nobody on board
        services.batch_start(by=region.centre_head, batch=batch)
    member = services.batch_member_add(by=region.centre_head, batch=batch, episode=region.admit(),
                                       destination=Division.objects.get(code="520100"))
    with pytest.raises(ValidationError):  # hand over only once under way
        services.member_hand_over(by=region.centre_head, member=member, handed_over_to="family",
                                  handover_person="张父", handover_at=timezone.now())
    services.batch_cancel(by=region.centre_head, batch=batch, reason="车辆故障")
    member.refresh_from_db()
    assert member.status == MemberStatus.REMOVED
    with pytest.raises(ValidationError):
        services.batch_start(by=region.centre_head, batch=batch)


def test_e2_a_failed_hand_over_saves_nothing(region):
    batch = _batch(region)
    episode = region.admit()
    member = services.batch_member_add(by=region.centre_head, batch=batch, episode=episode,
                                       destination=Division.objects.get(code="520100"))
    services.batch_start(by=region.centre_head, batch=batch)
    with pytest.raises(ValidationError) as err:
        services.member_hand_over(by=region.centre_head, member=member, handed_over_to="family",
                                  handover_person="", handover_at=timezone.now())
    assert "handover_person" in err.value.message_dict
    member.refresh_from_db()
    assert member.status == MemberStatus.PLANNED and not Departure.objects.filter(episode=episode).exists()
