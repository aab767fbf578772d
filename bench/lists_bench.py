"""List pages at volume: how long do the scoped lists, searches and dashboards take?

Usage (SQLite file by default; set DATABASE_URL for PostgreSQL):
    .venv/bin/python bench/lists_bench.py --episodes 1000000 --stations 100 [--db /tmp/guitu-bench.sqlite3]
        [--reuse] [--fill-only] [--repeat 15] [--explain]

Loads the demo organisations and, with ``--stations N`` > 4, N - 4 more stations supervised by the demo city's
civil-affairs bureau but outside the regional centre's region — so the demo users see 1 (``yd_jiedai``), 13
(``jiedai``, the regional centre) and N + 7 (``jianguan``, the bureau) organisations. Then bulk-inserts people,
episodes, state changes and station memberships (bench data only; the application writes through services):
PostgreSQL through ``COPY``, SQLite through ``bulk_create``. Rows are generated in time order (ids grow with
``created_at``, as in a real installation), 15 % of the files have an earlier closed episode at another
station, 10 % of the episodes are still in care (far more than a real station, on purpose) and 0.2 % await
a decision. ``--reuse`` keeps what an earlier run filled and only tops it up to ``--episodes``.

Then times each page over ``--repeat`` requests after a warm-up through Django's test client (middleware,
read audit and templates included) and prints a Markdown table for docs/benchmarks.md; ``--explain`` also
prints ``EXPLAIN (ANALYZE, BUFFERS)`` of every query slower than 20 ms on PostgreSQL.
"""

import argparse
import contextlib
import datetime
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = (
    ("yd_jiedai", "/people/"), ("yd_jiedai", "/people/?q=张"), ("yd_jiedai", "/stay/"), ("yd_jiedai", "/"),
    ("jiedai", "/people/"), ("jiedai", "/people/?q=zhang"), ("jiedai", "/people/?q=张伟"), ("jiedai", "/people/?q=zw"),
    ("jiedai", "/people/?q=王秀"), ("jiedai", "/stay/"), ("jiedai", "/intake/"), ("jiedai", "/leaving/"), ("jiedai", "/"),
    ("jianguan", "/people/"), ("jianguan", "/people/?sex=女&identity_status=unidentified"),
    ("jianguan", "/people/?q=li"), ("jianguan", "/stay/"), ("jianguan", "/intake/"), ("jianguan", "/leaving/"),
    ("jianguan", "/"), ("jianguan", "/people/?page=2000"), ("jianguan", "next×20 /people/"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200_000)
    parser.add_argument("--stations", type=int, default=4, help="stations in all (the demo has 4)")
    parser.add_argument("--db", default="/tmp/guitu-bench.sqlite3")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="keep an already filled database")
    parser.add_argument("--fill-only", action="store_true", help="fill, do not time")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) the slow queries (PostgreSQL)")
    parser.add_argument("--only", default="", help="time only the cases whose URL contains this text")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        os.environ["GUITU_SQLITE_PATH"] = args.db
        if not args.reuse and Path(args.db).exists():
            Path(args.db).unlink()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitu.settings")
    os.environ.setdefault("GUITU_DEV_KEYS", "1")  # this machine's random keys (guitu/keys.py)
    os.environ["GUITU_DEBUG"] = "1"
    os.environ["GUITU_OTP_ENFORCED"] = "0"  # pages, not the second factor: force_login has no OTP device
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from core.demo import seed_organisations, seed_users
    from core.models import User
    from people.models import Episode

    orgs = seed_organisations()
    seed_users(orgs)
    stations = [orgs["city"], orgs["yd"], orgs["lz"], orgs["fg"], *extra_stations(orgs, args.stations - 4)]
    have = Episode.objects.count()
    if have < args.episodes:
        t0 = time.perf_counter()
        fill(stations, args.episodes - have)
        print(f"filled {args.episodes - have:,} episodes in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    after_fill()
    if args.fill_only:
        return

    from django.db import connection
    from django.test import Client

    rows = []
    for username, url in CASES:
        if args.only and args.only not in url:
            continue
        client = Client()
        client.force_login(User.objects.get(username=username))
        walk = url.startswith("next×")
        target = url.split(" ", 1)[1] if walk else url
        status = client.get(target).status_code  # warm-up
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            if walk:
                status = walk_pages(client, target, int(url[5:].split(" ")[0]))
            else:
                client.get(target)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        rows.append((username, url, status, statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]))
        if args.explain and connection.vendor == "postgresql":
            explain_slow(client, target)

    print(f"\nMachine: {platform.node()} · {os.cpu_count()} cores · {cpu_model()} · {connection.vendor} · "
          f"{datetime.date.today():%Y-%m-%d} · load {os.getloadavg()[0]:.1f} · {Episode.objects.count():,} episodes · "
          f"{len(stations)} stations\n")
    print("| user | page | status | median ms | p95 ms |\n| --- | --- | --- | --- | --- |")
    for username, url, status, median, p95 in rows:
        print(f"| {username} | `{url}` | {status} | {median:.0f} | {p95:.0f} |")


def walk_pages(client, url: str, pages: int) -> int:
    """Follow the list's “下一页” link ``pages`` times (keyset cursors, or ?page=N on the old paginator)."""
    import re

    status = 200
    for n in range(pages):
        response = client.get(url)
        status = response.status_code
        found = re.search(r'<a[^>]+href="([^"]+)"[^>]*>下一页', response.content.decode())
        if not found:
            return status if n else 0
        url = found.group(1).replace("&amp;", "&")
        if url.startswith("?"):
            url = "/people/" + url
    return status


def explain_slow(client, url: str, threshold_ms: float = 20.0) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    slow = [q for q in ctx.captured_queries if float(q["time"]) * 1000 >= threshold_ms]
    for q in slow:
        print(f"\n-- {url}: {float(q['time']) * 1000:.0f} ms\n{q['sql'][:2000]}", file=sys.stderr)
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            print("\n".join(r[0] for r in cur.fetchall()), file=sys.stderr)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def extra_stations(orgs, count: int) -> list:
    """``count`` more stations under the city bureau, in Guangdong counties outside the centre's region (4418)."""
    from core.models import Division, Organisation, OrgKind

    if count <= 0:
        return []
    counties = list(Division.objects.filter(code__startswith="44", level="county").exclude(code__startswith="4418")
                    .order_by("code"))
    made = []
    for i in range(count):
        org, _ = Organisation.objects.update_or_create(code=f"BENCH{i:03d}", defaults={
            "name": f"基准测试救助管理站{i:03d}", "kind": OrgKind.STATION, "division": counties[i % len(counties)],
            "supervisor": orgs["bureau"], "short_name": f"基准{i:03d}", "bed_capacity": 40})
        made.append(org)
    return made


@contextlib.contextmanager
def raw_timestamps(*models):
    """bulk_create keeps the generated created_at / updated_at instead of stamping now (bench only)."""
    saved = []
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def insert(model, objs: list) -> None:
    """Write ``objs`` (ids already set): COPY on PostgreSQL, bulk_create elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        with raw_timestamps(model):
            model.objects.bulk_create(objs, batch_size=2000)
        return
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])


def next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def fill(stations, count: int) -> None:
    """``count`` more episodes (and their people) in time order over the last 900 days."""
    from django.db import transaction
    from django.utils import timezone

    from core.crypto import encrypt_id, hash_id, mask_id
    from core.demo_names import DIALECTS, id_number, person_name
    from core.models import User
    from intake.models import Decision, IntakeRecord, Reason
    from leaving.models import Departure
    from people.models import (
        Channel,
        Episode,
        EpisodeTransition,
        IdentityStatus,
        Person,
        PersonStation,
        search_columns,
    )
    from people.services import name_pinyin
    from people.states import EpisodeStatus as S

    rng = random.Random(20261122 + next_id(Episode))
    user = User.objects.get(username="jiedai")
    now = timezone.now().replace(microsecond=0)
    span = datetime.timedelta(days=900)
    start = now - span - datetime.timedelta(hours=3)  # the newest request is 3 h old: every admission ≤ now
    counties = ["441802", "441881", "430521", "450102", "510122", "411625", "360121"]
    closed = [S.LEFT] * 17 + [S.REFUSED]
    in_care = [S.IN_STATION] * 6 + [S.IN_HOSPITAL] * 2 + [S.ADMITTED, S.OUTSIDE_CARE]
    channels = list(Channel.values)
    pinyin_cache: dict[str, tuple[str, str]] = {}
    used_hashes = set(Person.objects.exclude(id_number_hash="").values_list("id_number_hash", flat=True))
    pid, eid, tid = next_id(Person), next_id(Episode), next_id(EpisodeTransition)
    ps_id, in_id, dep_id = next_id(PersonStation), next_id(IntakeRecord), next_id(Departure)
    reasons, exits = list(Reason.values), ["home_ticket", "home_ticket", "self", "no_formalities"]
    batch = 20_000
    done = 0
    while done < count:
        people, episodes, transitions, links, intakes, departures = [], [], [], [], [], []
        target = min(batch, count - done)
        made = 0
        while made < target:
            # time order: the k-th file of this run is registered at start + k/count of the span
            at = start + span * ((done + made) / count) + datetime.timedelta(seconds=rng.uniform(0, 60))
            sex = "男" if rng.random() < 0.78 else "女"
            identified = rng.random() < 0.8
            birth = datetime.date(rng.randint(1940, 2012), rng.randint(1, 12), rng.randint(1, 28))
            name = person_name(rng, sex) if identified else f"无名氏-基准-{pid}"
            if identified and name not in pinyin_cache:
                pinyin_cache[name] = name_pinyin(name)
            pinyin, initials = pinyin_cache[name] if identified else ("", "")
            home = rng.randrange(len(stations))
            two = made + 1 < target and rng.random() < 0.15
            station = stations[(home + 1 + rng.randrange(len(stations) - 1)) % len(stations)] if two and len(stations) > 1 \
                else stations[home]
            flat, grams = search_columns(name, "", pinyin)  # what Person.save() derives (issue 9)
            p = Person(id=pid, file_no=f"B-{pid:08d}", name=name, name_pinyin=pinyin, name_initials=initials,
                       name_pinyin_flat=flat, name_grams=grams, sex=sex,
                       birth_date=birth if identified else None, birth_year_est=birth.year,
                       identity_status=IdentityStatus.IDENTIFIED if identified else IdentityStatus.UNIDENTIFIED,
                       dialect=rng.choice(DIALECTS), registered_by=stations[home], current_station=station,
                       name_is_provisional=not identified, is_minor=birth.year > 2008, is_elderly=birth.year < 1966,
                       created_at=at, updated_at=at)
            if identified:
                while True:
                    number = id_number(rng, rng.choice(counties), birth, sex)
                    digest = hash_id(number)
                    if digest not in used_hashes:  # one live file per ID number (a database constraint)
                        break
                used_hashes.add(digest)
                p.id_number_enc, p.id_number_hash, p.id_number_masked = encrypt_id(number), digest, mask_id(number)
            people.append(p)
            links.append(PersonStation(id=ps_id, person_id=pid, station_id=stations[home].id, since=at))
            ps_id += 1
            visits = [stations[home], station] if two else [stations[home]]
            if two and station.id != stations[home].id:
                links.append(PersonStation(id=ps_id, person_id=pid, station_id=station.id, since=at))
                ps_id += 1
            requested = at
            for n, where in enumerate(visits):
                last = n == len(visits) - 1
                if last and (now - requested) < datetime.timedelta(days=2) and rng.random() < 0.5:
                    status = S.REQUESTED
                elif last and rng.random() < 0.1:
                    status = S.ADMITTED if now - requested < datetime.timedelta(hours=6) else rng.choice(in_care)
                else:
                    status = rng.choice(closed)
                admitted = requested + datetime.timedelta(minutes=rng.uniform(5, 90)) \
                    if status not in (S.REFUSED, S.REQUESTED) else None
                left = None
                if status == S.LEFT:
                    left = min(admitted + datetime.timedelta(days=rng.uniform(0.5, 15)), now)
                elif status == S.REFUSED:
                    left = requested + datetime.timedelta(minutes=30)
                e = Episode(id=eid, number=f"B-J{eid:08d}", person_id=pid, station_id=where.id, status=status,
                            channel=rng.choice(channels), requested_at=requested, admitted_at=admitted, left_at=left,
                            created_by_id=user.id, created_at=requested, updated_at=left or admitted or requested,
                            flag_repeat_requests=status == S.REQUESTED and rng.random() < 0.1)
                episodes.append(e)
                intakes.append(IntakeRecord(id=in_id, episode_id=eid, reason=rng.choice(reasons), received_by_id=user.id,
                                            decision=Decision.NOT_ELIGIBLE if status == S.REFUSED else Decision.ELIGIBLE,
                                            created_at=requested, updated_at=requested))
                in_id += 1
                if status == S.LEFT:
                    departures.append(Departure(id=dep_id, episode_id=eid, exit_type=rng.choice(exits), left_at=left,
                                                recorded_by_id=user.id, created_at=left, updated_at=left))
                    dep_id += 1
                path = [("", S.REQUESTED, requested)]
                if admitted:
                    path.append((S.REQUESTED, S.ADMITTED, admitted))
                    if status not in (S.ADMITTED,):
                        path.append((S.ADMITTED, S.IN_STATION, admitted + datetime.timedelta(minutes=20)))
                    if status in (S.IN_HOSPITAL, S.OUTSIDE_CARE):
                        path.append((S.IN_STATION, status, admitted + datetime.timedelta(hours=2)))
                    if left:
                        path.append((S.IN_STATION, S.LEFT, left))
                elif status == S.REFUSED:
                    path.append((S.REQUESTED, S.REFUSED, left))
                for frm, to, when in path:
                    transitions.append(EpisodeTransition(id=tid, episode_id=eid, from_status=frm, to_status=to,
                                                         at=min(when, now), by_id=user.id))
                    tid += 1
                eid += 1
                made += 1
                if not last:  # the later visit: some weeks after this one left
                    requested = min(left + datetime.timedelta(days=rng.uniform(7, 120)), now - datetime.timedelta(hours=3))
            pid += 1
        with transaction.atomic():
            insert(Person, people)
            insert(Episode, episodes)
            insert(EpisodeTransition, transitions)
            insert(PersonStation, links)
            insert(IntakeRecord, intakes)
            insert(Departure, departures)
        done += made
        print(f"  {done:,} / {count:,} episodes", file=sys.stderr, flush=True)


def after_fill() -> None:
    """Sequences past the ids the fill chose; fresh planner statistics; counters the pages read rebuilt."""
    from django.db import connection

    from intake.models import IntakeRecord
    from leaving.models import Departure
    from people.models import Episode, EpisodeTransition, Person, PersonStation

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Person, Episode, EpisodeTransition, PersonStation, IntakeRecord, Departure):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
                cursor.execute(f"ANALYZE {table}")
    with contextlib.suppress(ImportError):
        from people.counters import counters_rebuild

        counters_rebuild()


if __name__ == "__main__":
    main()
