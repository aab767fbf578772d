import datetime

import pytest
from django.utils import timezone

from outsidecare import testing
from stay import services as stay
from stay.tests.factories import admitted_episode, station_beds


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def facility(cast):
    return testing.facility(cast=cast)


@pytest.fixture
def agreement(cast, facility):
    return testing.agreement(by=cast.head, station=cast.station, facility=facility, capacity=3)


@pytest.fixture
def beds(cast):
    return station_beds(cast)


@pytest.fixture
def facility_user(cast, facility):
    from core.models import Role
    from core.testing import _user

    return _user("fuli", "福利院护理员", facility, Role.CARER)


@pytest.fixture
def hospital_user(cast):
    from core.models import Role
    from core.testing import _user

    return _user("yiyuan", "医院医生", cast.hospital, Role.MEDICAL)


def place(cast, facility, name="托养甲", days_ago=10, **kw):
    at = timezone.now() - datetime.timedelta(days=days_ago)
    ep = admitted_episode(cast, name=name, at=at - datetime.timedelta(hours=2))
    return stay.placement_start(by=cast.carer, episode=ep, kind="outside_care", organisation=facility,
                                started_at=at, **kw)


def hospitalise(cast, name="住院甲", days_ago=10):
    at = timezone.now() - datetime.timedelta(days=days_ago)
    ep = admitted_episode(cast, name=name, at=at - datetime.timedelta(hours=2))
    return stay.placement_start(by=cast.carer, episode=ep, kind="hospital", organisation=cast.hospital,
                                started_at=at)
