"""Rule N13: the SQL classification (figures.sql, one INSERT … SELECT) gives every episode exactly the row the
Python reference (figures.refresh.classify) gives — compared column by column on a varied fixture, on whichever
database the run uses (SQLite and PostgreSQL)."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from core.models import Division
from figures import refresh as fr
from figures.models import EpisodeFact, Fact, RefreshTrigger
from figures.testing import bulk_episodes
from people.models import Episode, Person
from tracing.models import Identification

pytestmark = pytest.mark.django_db

COLUMNS = [f.attname for f in EpisodeFact._meta.concrete_fields]


def _rows(facts) -> dict[int, dict]:
    return {f.episode_id: {c: getattr(f, c) for c in COLUMNS} for f in facts}


def _varied(cast):
    """Bulk episodes (random days, flags, origins, departures, identifications) and then the awkward cases by
    hand: birthdays on either side of the request, estimated ages and ranges, 待核实 files, files known at the
    request (no finding, or an earlier one), unlinked findings inside and outside the stay, terminations,
    requests just after local midnight, malformed and province-/city-level division codes."""
    divisions = list(Division.objects.order_by("code")[:40])
    stations = [cast.station, cast.city_station, cast.other_station]
    bulk_episodes(stations=stations, by=cast.reception, count=160, start=datetime.date(2024, 11, 20), days=120,
                  divisions=divisions, seed=7, batch=80, tag="S")
    episodes = list(Episode.objects.select_related("person").order_by("id"))
    tz = timezone.get_current_timezone()
    province = Division.objects.filter(code__endswith="0000").first()
    city = Division.objects.exclude(code__endswith="0000").filter(code__endswith="00").first()
    odd = Division.objects.create(code="12AB34", name="编码异常", level="county")
    for i, episode in enumerate(episodes):
        person = episode.person
        requested = timezone.localtime(episode.requested_at, tz)
        kind = i % 12
        if kind == 0:  # birthday the day after the request: not yet a year older
            after = requested.date() + datetime.timedelta(days=1)
            person.birth_date = after.replace(year=after.year - 18)
        elif kind == 1:  # birthday on the day of the request
            person.birth_date = requested.date().replace(year=requested.year - 14)
        elif kind == 2:  # an estimated range, recorded some years before the request
            person.birth_year_est, person.age_min, person.age_max = None, 55, 72
        elif kind == 3:
            person.birth_year_est, person.age_min, person.age_max = None, None, 9
        elif kind == 4:
            person.identity_status = "pending"
        elif kind == 5:  # identified with no finding at all: known when help was asked for
            person.identity_status = "identified"
            Identification.objects.filter(person=person).delete()
        elif kind == 6:  # an earlier finding (another episode's time): known at the request
            person.identity_status = "identified"
            Identification.objects.create(person=person, station=episode.station, method="police", evidence="测试",
                                          confirmed_at=episode.requested_at - datetime.timedelta(days=30),
                                          confirmed_by=cast.reception)
        elif kind == 7:  # unlinked finding during the stay, and an unlinked one long after it
            person.identity_status = "identified"
            Identification.objects.create(person=person, station=episode.station, method="face", evidence="测试",
                                          confirmed_at=episode.requested_at + datetime.timedelta(hours=5),
                                          confirmed_by=cast.reception)
            Identification.objects.create(person=person, station=episode.station, method="talks", evidence="测试",
                                          confirmed_at=episode.requested_at + datetime.timedelta(days=400),
                                          confirmed_by=cast.reception)
        elif kind == 8 and episode.left_at:
            Episode.objects.filter(pk=episode.pk).update(status="terminated")
            episode.departure.delete() if hasattr(episode, "departure") else None
        elif kind == 9:  # asked for help at 00:10 local time (the previous day in UTC)
            local = requested.replace(hour=0, minute=10)
            shift = local - requested
            Episode.objects.filter(pk=episode.pk).update(
                requested_at=local, admitted_at=episode.admitted_at and episode.admitted_at + shift)
        elif kind == 10:
            person.hukou_division = [province, city, odd][i % 3]
        elif kind == 11:
            person.sex = ""
        person.save()
    return episodes


def test_n13_sql_classification_equals_the_python_reference_row_by_row(cast):
    from figures.tests.fixture import build_quarter

    build_quarter(cast)
    _varied(cast)
    expected = _rows(fr._classify_python())
    fr.refresh(trigger=RefreshTrigger.COMMAND, full=True)
    got = _rows(EpisodeFact.objects.all())
    assert set(got) == set(expected)
    differences = [(eid, c, got[eid][c], expected[eid][c]) for eid in expected for c in COLUMNS
                   if got[eid][c] != expected[eid][c]]
    assert differences == []
    # the fixture is varied enough to mean something: every band and method path is exercised
    values = {c: {r[c] for r in expected.values()} for c in COLUMNS}
    assert {"known", "face", ""} <= values["id_method"]
    assert {"pending", "unidentified"} <= values["unidentified_as"]
    assert {"terminated", ""} <= values["exit_way"]
    assert len(values["age_band"]) >= 5 and len(values["stay_band"]) >= 4


def test_n13_incremental_sql_refresh_reclassifies_only_what_changed(cast):
    _varied(cast)
    fr.refresh(trigger=RefreshTrigger.COMMAND, full=True)
    episode = Episode.objects.filter(admitted_at__isnull=False).order_by("id").first()
    person = Person.objects.get(pk=episode.person_id)
    person.sex = "女" if person.sex != "女" else "男"
    person.save()
    run = fr.refresh(trigger=RefreshTrigger.COMMAND)
    assert not run.full
    assert run.episodes == Episode.objects.filter(person=person).count()
    assert EpisodeFact.objects.get(episode_id=episode.pk).sex == person.sex
    assert _rows(EpisodeFact.objects.all()) == _rows(fr._classify_python())
    # the monthly counts kept by subtracting the old contribution and adding the new equal a full rebuild
    incremental = _facts()
    fr.refresh(trigger=RefreshTrigger.COMMAND, full=True)
    assert incremental == _facts()


def _facts() -> dict:
    return {(f.station_id, f.measure, f.day, f.dimension, f.key): f.count for f in Fact.objects.all()}


def test_n13_a_month_begun_since_the_last_refresh_gets_its_month_end_stock(cast):
    _varied(cast)
    with time_machine.travel(datetime.datetime(2025, 4, 28, 12, tzinfo=datetime.UTC), tick=False):
        fr.refresh(trigger=RefreshTrigger.COMMAND, full=True)
    with time_machine.travel(datetime.datetime(2025, 6, 2, 12, tzinfo=datetime.UTC), tick=False):
        fr.refresh(trigger=RefreshTrigger.COMMAND)
        incremental = _facts()
        assert any(k[1] == "care" and k[2] == datetime.date(2025, 6, 30) for k in incremental)
        fr.refresh(trigger=RefreshTrigger.COMMAND, full=True)
        assert incremental == _facts()


def _planner_rows(table: str) -> int:
    """What the database's planner believes the table holds (-1 / 0: never analysed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        row = cursor.fetchone()
        return int(row[0].split()[0]) if row else 0


def test_n13_a_full_refresh_leaves_planner_statistics_for_the_summary_tables(cast):
    """A full refresh is a bulk load: at 10,000,000 episodes, before any ANALYZE, PostgreSQL planned the statistics
    drill-down as if the facts table held one row (20–30 s a page instead of 0.5 s). The refresh analyses its tables."""
    bulk_episodes(stations=[cast.station, cast.city_station], by=cast.reception, count=60,
                  start=datetime.date(2025, 1, 10), days=90, seed=3, tag="P")
    fr.refresh(trigger=RefreshTrigger.COMMAND, full=True)
    assert _planner_rows(EpisodeFact._meta.db_table) == EpisodeFact.objects.count() == 60
    assert _planner_rows(Fact._meta.db_table) == Fact.objects.count() > 0


def _stock_by_hand(day: datetime.date, station_ids) -> dict:
    """People in care at the end of ``day``, every key of every dimension, counted from the per-episode facts."""
    from collections import Counter

    from figures import dimensions as dims
    from people.models import SPECIAL_GROUP_FIELDS
    from stay.selectors import n5_limit

    out = Counter()
    for f in EpisodeFact.objects.filter(station_id__in=station_ids, admitted_day__lte=day):
        if f.left_day is not None and f.left_day <= day:
            continue
        keys = [("all", ""), ("age", f.age_band), ("sex", f.sex), ("reason", f.reason),
                ("identity", "identified" if f.identified_day and f.identified_day <= day else f.unidentified_as),
                *((("stranded", dims.STRANDED),) if f.admitted_day <= day - datetime.timedelta(days=n5_limit())
                  and not (f.identified_day and f.identified_day <= day) else ()),
                *dims.origin_keys(f.origin_county or f.origin_city or f.origin_province),
                *(("group", g) for g in SPECIAL_GROUP_FIELDS if getattr(f, g))]
        for dimension, key in keys:
            out[(f.station_id, dimension, key)] += 1
    return out


def test_n13_the_stock_on_every_day_equals_a_count_by_hand_read_forward_or_back(cast):
    """The stock on a date is read from the nearer stored month-end, forward from the month before's or back from
    its own (the current month's end row is what the refresh knew of everyone in care): every day of four months,
    the first and the second halves and today, every key — the N5 flag (over the limit, identity unknown) too —,
    on both databases."""
    from figures import selectors
    from figures.selectors import Query

    _varied(cast)
    stations = [cast.station, cast.city_station, cast.other_station]
    ids = [s.id for s in stations]
    today = datetime.date(2025, 3, 18)
    with time_machine.travel(datetime.datetime(2025, 3, 18, 4, tzinfo=datetime.UTC), tick=False):
        fr.refresh(trigger=RefreshTrigger.COMMAND, full=True)
        day = datetime.date(2024, 12, 1)
        while day <= today:
            got = selectors._cells(Query(measure="care", as_of=day, stations=stations))
            assert {k: n for k, n in got.items() if n} == {k: n for k, n in _stock_by_hand(day, ids).items() if n}, day
            day += datetime.timedelta(days=1)
