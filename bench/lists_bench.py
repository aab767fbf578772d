"""List pages with 200,000 episodes: how long do the scoped, paginated lists take?

Usage (SQLite file by default; set DATABASE_URL for PostgreSQL):
    .venv/bin/python bench/lists_bench.py --episodes 200000 [--db /tmp/guitu-bench.sqlite3] [--reuse]

Loads the demo organisations, bulk-inserts people and episodes across the four stations (bench data
only; the application writes through services), then times each list page over repeated requests as a
station receptionist and as the city civil-affairs supervisor. Prints a Markdown table for
docs/benchmarks.md.
"""

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200_000)
    parser.add_argument("--db", default="/tmp/guitu-bench.sqlite3")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="keep an already filled database")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        os.environ["GUITU_SQLITE_PATH"] = args.db
        if not args.reuse and Path(args.db).exists():
            Path(args.db).unlink()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitu.settings")
    os.environ.setdefault("GUITU_DEV_KEYS", "1")  # this machine's random keys (guitu/keys.py)
    os.environ["GUITU_DEBUG"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from core.demo import seed_organisations, seed_users
    from core.models import User
    from people.models import Episode

    orgs = seed_organisations()
    seed_users(orgs)
    if Episode.objects.count() < args.episodes:
        t0 = time.perf_counter()
        fill(orgs, args.episodes - Episode.objects.count())
        print(f"filled {args.episodes} episodes in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    from django.test import Client

    cases = [
        ("jiedai", "/people/"), ("jiedai", "/people/?q=zhang"), ("jiedai", "/people/?q=张伟"),
        ("jiedai", "/stay/"), ("jiedai", "/intake/"), ("jiedai", "/leaving/"), ("jiedai", "/"),
        ("jianguan", "/people/"), ("jianguan", "/people/?sex=女&status=unidentified"), ("jianguan", "/stay/"),
        ("jianguan", "/leaving/"), ("jianguan", "/"), ("jianguan", "/people/?page=2000"),
    ]
    rows = []
    for username, url in cases:
        client = Client()
        client.force_login(User.objects.get(username=username))
        status = client.get(url).status_code  # warm-up
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        rows.append((username, url, status, statistics.median(times), times[int(len(times) * 0.95) - 1]))
    from django.db import connection

    print(f"\nMachine: {platform.node()} · {os.cpu_count()} cores · {cpu_model()} · "
          f"{connection.vendor} · {datetime.date.today():%Y-%m-%d} · {Episode.objects.count():,} episodes\n")
    print("| user | page | status | median ms | p95 ms |\n| --- | --- | --- | --- | --- |")
    for username, url, status, median, p95 in rows:
        print(f"| {username} | `{url}` | {status} | {median:.0f} | {p95:.0f} |")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def fill(orgs, count: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from core.crypto import encrypt_id, hash_id, mask_id
    from core.demo_names import DIALECTS, id_number, person_name
    from core.models import User
    from people.models import Channel, Episode, EpisodeTransition, IdentityStatus, Person, PersonStation
    from people.services import name_pinyin
    from people.states import EpisodeStatus

    rng = random.Random(20261122)
    stations = [orgs["city"], orgs["yd"], orgs["lz"], orgs["fg"]]
    user = User.objects.get(username="jiedai")
    now = timezone.now()
    counties = ["441802", "441881", "430521", "450102", "510122", "411625", "360121"]
    states = [EpisodeStatus.LEFT] * 17 + [EpisodeStatus.IN_STATION, EpisodeStatus.REFUSED, EpisodeStatus.IN_HOSPITAL]
    batch = 5000
    done = 0
    start_seq = Person.objects.count()
    while done < count:
        n = min(batch, count - done)
        people, episodes = [], []
        for i in range(n):
            seq = start_seq + done + i
            sex = "男" if rng.random() < 0.78 else "女"
            identified = rng.random() < 0.8
            birth = datetime.date(rng.randint(1940, 2012), rng.randint(1, 12), rng.randint(1, 28))
            name = person_name(rng, sex) if identified else f"无名氏-bench-{seq}"
            pinyin, initials = name_pinyin(name) if identified else ("", "")
            station = stations[seq % 4]
            p = Person(file_no=f"B-{seq:07d}", name=name, name_pinyin=pinyin, name_initials=initials, sex=sex,
                       birth_date=birth if identified else None, birth_year_est=birth.year,
                       identity_status=IdentityStatus.IDENTIFIED if identified else IdentityStatus.UNIDENTIFIED,
                       dialect=rng.choice(DIALECTS), registered_by=station, current_station=station)
            if identified:
                number = id_number(rng, rng.choice(counties), birth, sex)
                p.id_number_enc, p.id_number_hash, p.id_number_masked = encrypt_id(number), hash_id(number), mask_id(number)
            people.append(p)
        with transaction.atomic():
            Person.objects.bulk_create(people, batch_size=1000)
            created = list(Person.objects.filter(file_no__in=[p.file_no for p in people]).order_by("file_no"))
            for j, person in enumerate(created):
                status = rng.choice(states)
                requested = now - datetime.timedelta(days=rng.uniform(0, 900), hours=rng.uniform(0, 24))
                admitted = requested + datetime.timedelta(hours=1) if status != EpisodeStatus.REFUSED else None
                left = admitted + datetime.timedelta(days=rng.uniform(0.5, 15)) if status == EpisodeStatus.LEFT else None
                if left and left > now:
                    left = now
                episodes.append(Episode(number=f"B-J{start_seq + done + j:07d}", person=person,
                                        station=person.current_station, status=status,
                                        channel=rng.choice(Channel.values), requested_at=requested,
                                        admitted_at=admitted, left_at=left, created_by=user))
            Episode.objects.bulk_create(episodes, batch_size=1000)
            PersonStation.objects.bulk_create([PersonStation(person=e.person, station=e.station) for e in episodes],
                                              batch_size=1000, ignore_conflicts=True)
            EpisodeTransition.objects.bulk_create(
                [EpisodeTransition(episode=e, from_status="", to_status=e.status, at=e.requested_at, by=user)
                 for e in Episode.objects.filter(number__in=[e.number for e in episodes])], batch_size=1000)
        done += n


if __name__ == "__main__":
    main()
