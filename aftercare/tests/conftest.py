"""The cast's county (英德市) gets a township (英城街道) and a village (和平社区) with their contacts; people are
admitted and sent home through the real services (intake → leaving), so the ledger entry comes from the
departure as in production."""

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from core.models import Division, DivisionLevel, Organisation, OrgKind, Role, User, UserRole
from deadlines.tests.conftest import admit, local  # noqa: F401 (re-exported for the tests)
from leaving import services as leaving


def _org(name, code, kind, division, supervisor):
    return Organisation.objects.create(
        name=name, code=code, kind=kind, division=division, supervisor=supervisor
    )


def _user(username, org, *roles):
    user = User.objects.create_user(username=username, password="x", full_name=username, organisation=org)
    for role in roles:
        UserRole.objects.create(user=user, role=role)
    return user


@pytest.fixture
def local_net(cast):
    county = Division.objects.get(code="441881")
    t_div = Division.objects.create(
        code="441881001",
        name="英城街道",
        level=DivisionLevel.TOWNSHIP,
        parent=county,
        full_name="广东省清远市英德市英城街道",
    )
    v_div = Division.objects.create(
        code="441881001001",
        name="和平社区",
        level=DivisionLevel.VILLAGE,
        parent=t_div,
        full_name="广东省清远市英德市英城街道和平社区",
    )
    t2_div = Division.objects.create(
        code="441881002",
        name="大站镇",
        level=DivisionLevel.TOWNSHIP,
        parent=county,
        full_name="广东省清远市英德市大站镇",
    )
    n = SimpleNamespace(county=county, t_div=t_div, v_div=v_div, t2_div=t2_div)
    n.township = _org("英德市英城街道办事处", "YCJD", OrgKind.TOWNSHIP, t_div, cast.county_dept)
    n.village = _org("英城街道和平社区居委会", "HPSQ", OrgKind.VILLAGE, v_div, n.township)
    n.other_township = _org("英德市大站镇人民政府", "DZZ", OrgKind.TOWNSHIP, t2_div, cast.county_dept)
    n.township_head = _user("yc_head", n.township, Role.HEAD)
    n.village_contact = _user("hp_wangge", n.village)
    n.other_township_head = _user("dz_head", n.other_township, Role.HEAD)
    return n


def send_home(
    cast,
    name: str,
    *,
    admitted: datetime.datetime,
    left: datetime.datetime,
    hukou=None,
    birth_date=datetime.date(1980, 1, 1),
):
    """Admit at ``admitted`` and send home by ticket at ``left``; returns the departure."""
    episode = admit(
        cast, admitted, name=name, birth_date=birth_date, **({"hukou_division": hukou} if hukou else {})
    )
    with time_machine.travel(left, tick=False):
        return leaving.departure_create(
            by=cast.reception,
            episode=episode,
            exit_type="home_ticket",
            left_at=left,
            data={
                "ticket_no": "G1234",
                "travel_mode": "train",
                "destination": "英德市英城街道",
                "is_direct": True,
            },
        )


def now_local():
    return timezone.localtime()
