"""Statistics pages over a large data set: do the figures answer from the summary tables in time?

Usage (SQLite file by default; set DATABASE_URL for PostgreSQL):
    .venv/bin/python bench/figures_bench.py --episodes 200000 [--db /tmp/guitu-figures.sqlite3] [--reuse]

Loads the demo organisations, bulk-inserts people with one episode each over three years across the demo's
four stations (``figures.testing.bulk_episodes``: bench data only; the application writes through services),
times a full refresh of the summary tables, then times the statistics pages, the API and a drill-down list
over repeated requests as the city's statistician and as a county department. Prints a Markdown table for
docs/benchmarks.md (target: p95 ≤ 2 s).
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200_000)
    parser.add_argument("--db", default="/tmp/guitu-figures.sqlite3")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep an already filled database")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        os.environ["GUITU_SQLITE_PATH"] = args.db
        if not args.reuse and Path(args.db).exists():
            Path(args.db).unlink()
    # the test settings: no second factor or idle timeout in the way of the timed requests (the statistician's
    # role asks for a second factor in production)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitu.settings_test")
    os.environ.setdefault("GUITU_DEV_KEYS", "1")
    os.environ["GUITU_DEBUG"] = "1"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from core.demo import seed_organisations, seed_users
    from core.models import Division, User
    from figures.models import EpisodeFact, Fact, RefreshTrigger
    from figures.refresh import refresh
    from figures.testing import bulk_episodes
    from people.models import Episode

    orgs = seed_organisations()
    seed_users(orgs)
    today = timezone.localdate()
    start = today - datetime.timedelta(days=3 * 365)
    missing = args.episodes - Episode.objects.count()
    if missing > 0:
        counties = list(Division.objects.filter(level="county").order_by("code")[::7][:400])
        t0 = time.perf_counter()
        bulk_episodes(stations=[orgs["city"], orgs["yd"], orgs["lz"], orgs["fg"]],
                      by=User.objects.get(username="jiedai"), count=missing, start=start, days=3 * 365,
                      divisions=counties, tag="F")
        print(f"filled {missing:,} episodes in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    t0 = time.perf_counter()
    run = refresh(trigger=RefreshTrigger.COMMAND, full=True)
    full_s = time.perf_counter() - t0
    print(f"full refresh: {run.episodes:,} episodes → {run.facts:,} fact rows in {full_s:.1f} s", file=sys.stderr)
    t0 = time.perf_counter()
    refresh(trigger=RefreshTrigger.COMMAND)
    incremental_s = time.perf_counter() - t0

    from django.test import Client

    whole = {"date_from": start.isoformat(), "date_to": today.isoformat()}
    year = {"date_from": (today - datetime.timedelta(days=365)).isoformat(), "date_to": today.isoformat()}
    cases = [
        ("tongji", "/figures/", {"measure": "requested", **whole, "group": "county"}),
        ("tongji", "/figures/", {"measure": "left", **year}),
        ("tongji", "/figures/", {"measure": "identified", **year, "group": "province"}),
        ("tongji", "/figures/", {"measure": "care", "as_of": (today - datetime.timedelta(days=17)).isoformat()}),
        ("tongji", "/api/v1/figures/breakdown", {"measure": "requested", **whole}),
        ("tongji", "/figures/people/", {"measure": "requested", **year, "dimension": "sex", "key": "女"}),
        ("tongji", "/figures/reports/", {}),
        ("yd_jianguan", "/figures/", {"measure": "requested", **whole}),
        ("yd_jianguan", "/figures/", {"measure": "care", "as_of": today.isoformat()}),
    ]
    rows = []
    for username, url, params in cases:
        client = Client()
        client.force_login(User.objects.get(username=username))
        status = client.get(url, params).status_code  # warm-up
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            client.get(url, params)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        rows.append((username, url, params, status, statistics.median(times), times[int(len(times) * 0.95) - 1]))
    from django.db import connection

    print(f"\nMachine: {platform.node()} · {os.cpu_count()} cores · {cpu_model()} · {connection.vendor} · "
          f"{datetime.date.today():%Y-%m-%d} · {Episode.objects.count():,} episodes · "
          f"{EpisodeFact.objects.count():,} episode facts · {Fact.objects.count():,} fact rows\n")
    print(f"Full refresh {full_s:.1f} s; incremental refresh with nothing changed {incremental_s:.1f} s.\n")
    print("| user | page | query | status | median ms | p95 ms |\n| --- | --- | --- | --- | --- | --- |")
    for username, url, params, status, median, p95 in rows:
        query = " ".join(f"{k}={v}" for k, v in params.items() if k not in ("date_from", "date_to")) or "—"
        if "date_from" in params:
            query += f" {params['date_from']}…{params['date_to']}"
        print(f"| {username} | `{url}` | {query} | {status} | {median:.0f} | {p95:.0f} |")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
