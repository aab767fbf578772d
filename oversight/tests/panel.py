"""A supervision panel for tests: four members of the cast's supervisor organisation at a station."""

import datetime

from django.utils import timezone

from core.models import Role, User, UserRole
from oversight import services
from oversight.models import PanelRole


def panel_user(cast, username: str, full_name: str) -> User:
    user = User.objects.create_user(
        username=username, password=cast.password, full_name=full_name, organisation=cast.panel
    )
    UserRole.objects.create(user=user, role=Role.PANEL)
    return user


def make_panel(cast, station=None, *, start: datetime.date | None = None):
    """陈监督 (组长, the cast's panel user), 林监督 (副组长, a doctor), 周监督 and 吴监督 — a panel that meets O2."""
    station = station or cast.station
    start = start or timezone.localdate() - datetime.timedelta(days=100)
    others = [
        panel_user(cast, f"{station.code.lower()}_{u}", n)
        for u, n in (("lin", "林监督"), ("zhou", "周监督"), ("wu", "吴监督"))
    ]
    by = cast.county_supervisor
    specs = [
        (cast.panel_member, PanelRole.LEADER, "律师", False),
        (others[0], PanelRole.DEPUTY, "执业医师", True),
        (others[1], PanelRole.MEMBER, "社会工作者", False),
        (others[2], PanelRole.MEMBER, "人大代表", False),
    ]
    return [
        services.panel_member_add(
            by=by,
            station=station,
            member=user,
            panel_role=role,
            employer=f"{user}所在单位",
            profession=profession,
            is_care_professional=care,
            term_start=start,
        )
        for user, role, profession, care in specs
    ]
