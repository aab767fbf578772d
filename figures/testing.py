"""Bulk data for the statistics benchmark and the query-count test — NOT for the demo or real use.

Writes people, episodes, intake records, departures and identifications with ``bulk_create`` (bypassing the
services and their audit entries) so a large data set fills in minutes. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime
import random
import uuid

from django.utils import timezone

from people.models import SPECIAL_GROUP_FIELDS

REASONS = ("no_work", "family_not_found", "robbed", "family_conflict", "illness", "mental", "vagrancy", "stranded",
           "other")
EXITS = ("home_ticket", "home_escorted", "family", "transfer", "self", "no_formalities")
METHODS = ("system_match", "dna", "face", "announcement", "talks", "police", "self_report")


def bulk_episodes(*, stations, by, count: int, start: datetime.date, days: int, divisions=(), seed: int = 13,
                  batch: int = 5000, tag: str = "B") -> int:
    """Create ``count`` people with one episode each at ``stations`` (random station, day within ``days`` from
    ``start``): ~85 % admitted, ~80 % of those left, ~30 % identified during the stay."""
    from intake.models import IntakeRecord
    from leaving.models import Departure
    from people.models import Episode, Person, PersonStation
    from tracing.models import Identification

    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    division_ids = [d.pk for d in divisions] or [None]
    made = 0
    run = uuid.uuid4().hex[:6]
    while made < count:
        n = min(batch, count - made)
        people, episodes = [], []
        for i in range(n):
            k = made + i
            station = stations[rng.randrange(len(stations))]
            requested = datetime.datetime.combine(start + datetime.timedelta(days=rng.randrange(days)),
                                                  datetime.time(rng.randrange(24), rng.randrange(60)), tzinfo=tz)
            flags = {f: rng.random() < 0.06 for f in SPECIAL_GROUP_FIELDS}
            people.append(Person(file_no=f"{tag}{run}{k:09d}", name=f"测试{k}", registered_by=station,
                                 current_station=station, sex=rng.choice(("男", "男", "女", "")),
                                 birth_year_est=rng.choice((None, rng.randrange(1930, 2015))),
                                 hukou_division_id=rng.choice(division_ids), **flags))
            admitted = requested + datetime.timedelta(minutes=30) if rng.random() < 0.85 else None
            left = admitted + datetime.timedelta(days=rng.randrange(0, 40), hours=1) if admitted and rng.random() < 0.8 else None
            status = "left" if left else ("in_station" if admitted else "refused")
            episodes.append(Episode(number=f"{tag}{run}-{k:09d}", station=station, status=status, channel="walk_in",
                                    requested_at=requested, admitted_at=admitted, left_at=left, created_by=by))
        Person.objects.bulk_create(people, batch_size=1000)
        for person, episode in zip(people, episodes, strict=True):
            episode.person = person
        Episode.objects.bulk_create(episodes, batch_size=1000)
        PersonStation.objects.bulk_create([PersonStation(person=e.person, station=e.station) for e in episodes],
                                          batch_size=1000)
        IntakeRecord.objects.bulk_create([IntakeRecord(episode=e, reason=rng.choice(REASONS), received_by=by)
                                          for e in episodes], batch_size=1000)
        Departure.objects.bulk_create([Departure(episode=e, exit_type=rng.choice(EXITS), left_at=e.left_at,
                                                 recorded_by=by) for e in episodes if e.left_at], batch_size=1000)
        found = [e for e in episodes if e.admitted_at and rng.random() < 0.3]
        Identification.objects.bulk_create([
            Identification(person=e.person, episode=e, station=e.station, method=rng.choice(METHODS), evidence="测试",
                           confirmed_at=e.admitted_at + datetime.timedelta(days=rng.randrange(0, 5)), confirmed_by=by)
            for e in found], batch_size=1000)
        Person.objects.filter(pk__in=[e.person.pk for e in found]).update(identity_status="identified")
        made += n
    return made
