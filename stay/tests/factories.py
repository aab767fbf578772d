"""Test helpers shared by the stay and leaving tests: admitted episodes and a station's zones and beds."""

import datetime
from types import SimpleNamespace

from django.utils import timezone

from people.services import episode_open, episode_transition, person_create
from stay import services
from stay.models import SexRestriction, ZoneCategory


def birth_date_for(age: int) -> datetime.date:
    return datetime.date(timezone.localdate().year - age, 1, 1)


def admitted_episode(cast, *, name="张三", sex="男", age: int | None = 30, at=None, station=None, by=None, **extra):
    """A person admitted at ``station`` (the cast's county station by default) at ``at`` (an hour ago)."""
    by = by or cast.reception
    station = station or cast.station
    at = at or timezone.now() - datetime.timedelta(hours=1)
    data = {"name": name, "sex": sex, **extra}
    if age is not None:
        data["birth_date"] = birth_date_for(age)
    person = person_create(by=by, station=station, data=data)
    episode = episode_open(by=by, person=person, station=station, channel="walk_in",
                           requested_at=at - datetime.timedelta(minutes=30))
    return episode_transition(by=by, episode=episode, to="admitted", at=at)


def station_beds(cast, station=None, by=None):
    """Zones of C1 with a couple of beds each."""
    station = station or cast.station
    by = by or cast.head
    z = SimpleNamespace()
    z.men = services.zone_create(by=by, station=station, name="男区", category=ZoneCategory.MEN)
    z.women = services.zone_create(by=by, station=station, name="女区", category=ZoneCategory.WOMEN)
    z.minors = services.zone_create(by=by, station=station, name="未成年人区", category=ZoneCategory.MINORS)
    z.medical = services.zone_create(by=by, station=station, name="医疗观察区", category=ZoneCategory.MEDICAL,
                                     sex_restriction=SexRestriction.ANY)
    z.m1, z.m2 = services.beds_create(by=by, zone=z.men, codes=["M01", "M02"])
    (z.w1,) = services.beds_create(by=by, zone=z.women, codes=["W01"])
    (z.c1,) = services.beds_create(by=by, zone=z.minors, codes=["C01"])
    (z.x1,) = services.beds_create(by=by, zone=z.medical, codes=["X01"])
    return z
