import datetime

import pytest
from django.utils import timezone

from core.models import Division, Organisation, OrgKind, Role
from core.testing import _user


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


class Region:
    """The cast's regional centre (清远市救助管理站, region 清远市) with more staff, and a centre elsewhere."""

    def __init__(self, cast):
        self.cast = cast
        self.centre = cast.city_station
        self.station = cast.station
        self.centre_head = _user("centre_head", "黄主任", self.centre, Role.HEAD)
        self.escort_1 = _user("escort_1", "林护送", self.centre, Role.CARER)
        self.escort_2 = _user("escort_2", "何护送", self.centre, Role.CARER)
        self.centre_reception = cast.city_reception
        # a regional centre of another region (韶关) that must see nothing of 清远
        self.other_centre = Organisation.objects.create(
            name="韶关市救助管理站", code="SGZ", kind=OrgKind.REGIONAL_CENTRE,
            division=Division.objects.get(code="440200"), supervisor=cast.other_dept, short_name="韶关站")
        self.other_centre.region.add(Division.objects.get(code="440200"))
        self.other_centre_head = _user("other_centre_head", "罗主任", self.other_centre, Role.HEAD, Role.RECEPTION)

    def admit(self, name="甲区域", **kwargs):
        from deadlines.tests.conftest import admit

        return admit(self.cast, kwargs.pop("at", timezone.now() - datetime.timedelta(hours=3)), name=name, **kwargs)


@pytest.fixture
def region(cast):
    return Region(cast)
