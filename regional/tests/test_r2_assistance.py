"""Rule R2 — 下沉协助: staff a centre sends down act on that one case, only within the period."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.scoping import can_write_case
from regional import services
from regional.models import AssistanceStatus

pytestmark = pytest.mark.django_db


def _send(region, episode, hours=48, start=None):
    start = start or timezone.now() - datetime.timedelta(minutes=1)
    return services.assistance_send(by=region.centre_head, episode=episode, kind="tracing", task="协助谈话寻亲",
                                    staff=[region.escort_1], starts_at=start,
                                    ends_at=start + datetime.timedelta(hours=hours))


def test_r2_staff_sent_down_act_on_that_case_only_within_the_period(region, client):
    case = region.admit("甲协助")
    other = region.admit("乙协助")
    help_ = _send(region, case)
    assert can_write_case(region.escort_1, case)
    assert not can_write_case(region.escort_1, other)  # another case of the same station: nothing
    assert not can_write_case(region.escort_2, case)  # a colleague not sent: nothing
    client.force_login(region.escort_1)
    assert client.get(f"/leaving/episodes/{case.uuid}/new/").status_code == 200
    assert client.get(f"/leaving/episodes/{other.uuid}/new/").status_code == 403
    with time_machine.travel(help_.ends_at + datetime.timedelta(minutes=1)):
        assert not can_write_case(region.escort_1, case)  # after the period: nothing
    with time_machine.travel(help_.starts_at - datetime.timedelta(minutes=1)):
        assert not can_write_case(region.escort_1, case)  # before it: nothing


def test_r2_ending_help_early_ends_the_grant(region):
    case = region.admit()
    help_ = _send(region, case)
    services.assistance_end(by=region.centre_head, assistance=help_, note="任务已完成")
    help_.refresh_from_db()
    assert help_.status == AssistanceStatus.ENDED
    assert not can_write_case(region.escort_1, case)
    with pytest.raises(ValidationError):
        services.assistance_end(by=region.centre_head, assistance=help_, note="再次结束")


def test_r2_only_the_centres_own_staff_are_sent_to_its_own_region(region):
    case = region.admit()
    start = timezone.now()
    with pytest.raises(ValidationError) as err:
        services.assistance_send(by=region.centre_head, episode=case, kind="care", task="协助照料",
                                 staff=[region.cast.carer], starts_at=start, ends_at=start + datetime.timedelta(days=1))
    assert "staff" in err.value.message_dict
    with pytest.raises(ValidationError) as err:  # a centre elsewhere: not its region
        services.assistance_send(by=region.other_centre_head, episode=case, kind="care", task="协助照料",
                                 staff=[region.other_centre_head], starts_at=start,
                                 ends_at=start + datetime.timedelta(days=1))
    assert "episode" in err.value.message_dict
    with pytest.raises(PermissionDenied):  # a station sends nobody
        services.assistance_send(by=region.cast.head, episode=case, kind="care", task="协助照料",
                                 staff=[region.cast.carer], starts_at=start, ends_at=start + datetime.timedelta(days=1))
    assert not case.regional_assistance.exists()
    with pytest.raises(ValidationError) as err:
        services.assistance_send(by=region.centre_head, episode=case, kind="care", task="协助照料",
                                 staff=[region.escort_1], starts_at=start, ends_at=start - datetime.timedelta(hours=1))
    assert "ends_at" in err.value.message_dict


def test_r2_a_read_only_auditor_of_the_centre_never_writes_through_a_grant(region):
    from core.models import Role, UserRole

    case = region.admit()
    _send(region, case)
    UserRole.objects.filter(user=region.escort_1).delete()
    UserRole.objects.create(user=region.escort_1, role=Role.AUDITOR)
    region.escort_1.refresh_from_db()
    assert not can_write_case(region.escort_1, case)


def test_r2_help_ends_when_the_episode_closes(region):
    from leaving import services as leaving

    case = region.admit()
    help_ = _send(region, case)
    leaving.departure_create(by=region.cast.reception, episode=case, exit_type="home_ticket",
                             data={"ticket_no": "G1", "travel_mode": "train", "destination": "长沙"})
    help_.refresh_from_db()
    assert help_.status == AssistanceStatus.ENDED
