"""Statistics pages over a large data set: do the figures answer from the summary tables in time?

Usage (SQLite file by default; set DATABASE_URL for PostgreSQL):
    .venv/bin/python bench/figures_bench.py --episodes 200000 [--stations 40] [--user tongji,sheng_tongji]
        [--db /tmp/guitu-figures.sqlite3] [--reuse] [--repeat 20]

Loads the demo organisations plus a province department (广东省民政厅, user ``sheng_tongji``) above the demo
city, and ``--stations`` stations in all (the demo's four, the rest in other cities of the province). Fills the
episodes (bench data only, never through the services): on PostgreSQL with ``INSERT … SELECT`` over
``generate_series`` (a template row of each table cloned with varying columns: 1,000,000 episodes in minutes);
on SQLite with ``figures.testing.bulk_episodes``. Times a full refresh of the summary tables, then an
incremental one after 1 % of the people changed, then the statistics pages, the API, a drill-down and the
campaign table as a station head (``yd_zhanzhang``), the city (``tongji``, ``jianguan``) and the province
(``sheng_tongji``). Prints a Markdown table for docs/benchmarks.md (target: p95 ≤ 2 s).
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

PROVINCE_USER = "sheng_tongji"


def setup_django(args) -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["GUITU_SQLITE_PATH"] = args.db
        if not args.reuse and Path(args.db).exists():
            Path(args.db).unlink()
    # the test settings: no second factor or idle timeout in the way of the timed requests
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitu.settings_test")
    os.environ.setdefault("GUITU_DEV_KEYS", "1")
    os.environ["GUITU_DEBUG"] = "1"
    import django

    django.setup()


def world(stations: int):
    """The demo organisations, a province department above the city, extra stations up to ``stations`` in
    the province's other cities (each under its city's department), and the province statistician."""
    from core.demo import seed_organisations, seed_users
    from core.models import Division, Organisation, OrgKind, Role, User, UserRole

    orgs = seed_organisations()
    seed_users(orgs)
    province, _ = Organisation.objects.get_or_create(
        code="GDMZT", defaults={"name": "广东省民政厅", "kind": OrgKind.CIVIL_AFFAIRS,
                                "division": Division.objects.get(code="440000")})
    Organisation.objects.filter(pk=orgs["bureau"].pk).update(supervisor=province)
    user, made = User.objects.get_or_create(username=PROVINCE_USER, defaults={"full_name": "省统计员",
                                                                               "organisation": province})
    if made:
        UserRole.objects.create(user=user, role=Role.STATISTICIAN)
    demo = [orgs["city"], orgs["yd"], orgs["lz"], orgs["fg"]]
    cities = list(Division.objects.filter(level="city", code__startswith="44").exclude(code="441800")
                  .order_by("code"))
    extra = []
    for i in range(max(0, stations - len(demo))):
        city = cities[i % len(cities)]
        county = Division.objects.filter(parent=city).order_by("code")[i // len(cities) % max(
            1, Division.objects.filter(parent=city).count())] if Division.objects.filter(parent=city).exists() else city
        bureau, _ = Organisation.objects.get_or_create(
            code=f"B{city.code}", defaults={"name": f"{city.name}民政局", "kind": OrgKind.CIVIL_AFFAIRS,
                                            "division": city, "supervisor": province})
        station, _ = Organisation.objects.get_or_create(
            code=f"S{i:04d}", defaults={"name": f"{county.name}救助管理站{i}", "kind": OrgKind.STATION,
                                        "division": county, "supervisor": bureau, "short_name": f"站{i}",
                                        "bed_capacity": 30})
        extra.append(station)
    return orgs, demo + extra


def fill_sqlite(*, stations, by, count: int, start: datetime.date, days: int) -> None:
    from core.models import Division
    from figures.testing import bulk_episodes

    counties = list(Division.objects.filter(level="county").order_by("code")[::7][:400])
    bulk_episodes(stations=stations, by=by, count=count, start=start, days=days, divisions=counties, tag="F")


def fill_postgres(*, stations, by, count: int, start: datetime.date, days: int, batch: int = 250_000) -> None:
    """Clone a template person / episode / intake record / departure / identification ``count`` times with
    ``INSERT … SELECT … FROM generate_series``: each column a deterministic function of the row number g
    (station, day and hour, sex, estimated birth year, origin among 400 counties, flags ~6 %, ~85 % admitted,
    all but 0.3 % of those left after 0–39 days — never after now —, ~30 % identified in the stay by one of seven
    ways). Until 2026-11-30 a fifth of the admitted never left: 1.7M people "in care" at 10M episodes, where a
    province has a few thousand; the long stays are now the 0.3 % a settlement would take (about 25,000 at 10M)."""
    from django.db import connection

    from core.models import Division
    from figures.testing import bulk_episodes
    from people.models import SPECIAL_GROUP_FIELDS

    bulk_episodes(stations=stations[:1], by=by, count=40, start=start, days=days, tag="T", seed=1)
    from tracing.models import Identification

    found = Identification.objects.filter(episode__number__startswith="T", episode__departure__isnull=False)
    ident = found.select_related("episode").order_by("id").first()
    assert ident is not None, "no template episode with a departure and an identification"
    template = ident.episode
    ids = {
        "person": template.person_id, "episode": template.pk, "intake": template.intake.pk,
        "departure": template.departure.pk, "ident": ident.pk,
    }
    counties = list(Division.objects.filter(level="county").order_by("code").values_list("id", flat=True))[::7][:400]
    station_ids = [s.pk for s in stations]
    tz = "Asia/Shanghai"
    now_sql = "now()"
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM people_person")
        pbase = cursor.fetchone()[0] + 10
        cursor.execute("SELECT max(id) FROM people_episode")
        ebase = cursor.fetchone()[0] + 10

        def columns(table):
            cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s AND "
                           "column_name <> 'id' ORDER BY ordinal_position", [table])
            return [r[0] for r in cursor.fetchall()]

        def clone(table, template_id, overrides, where="TRUE", ident_expr=None):
            cols = columns(table)
            select = [overrides.get(c, f"t.{c}") for c in cols]
            id_col = ["id"] if ident_expr else []
            id_val = [ident_expr] if ident_expr else []
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(id_col + cols)}) SELECT {', '.join(id_val + select)} "
                f"FROM {table} t, story s WHERE t.id = {template_id} AND {where}")
        flags = {f: f"((s.g * {31 + 7 * i}) % 100 < 6)" for i, f in enumerate(SPECIAL_GROUP_FIELDS)}
        for first in range(1, count + 1, batch):
            last = min(count, first + batch - 1)
            cursor.execute("DROP TABLE IF EXISTS story")
            # one row per episode: its station, times and outcome, computed once for all five tables
            cursor.execute(f"""
                CREATE TEMPORARY TABLE story AS
                SELECT g, {pbase} + g AS pid, {ebase} + g AS eid,
                       (ARRAY{station_ids})[1 + (g * 7919) % {len(station_ids)}] AS station_id,
                       (ARRAY{counties})[1 + (g * 104729) % {len(counties)}] AS division_id,
                       req, adm,
                       CASE WHEN adm IS NOT NULL AND (g * 13) % 1000 >= 3
                                 AND adm + ((g * 17) % 40) * interval '1 day' + interval '1 hour' < {now_sql}
                            THEN adm + ((g * 17) % 40) * interval '1 day' + interval '1 hour' END AS lft,
                       adm IS NOT NULL AND (g * 23) % 100 < 30 AS found
                FROM (SELECT g, req, CASE WHEN (g * 11) % 100 < 85 THEN req + interval '30 minutes' END AS adm
                      FROM (SELECT g, (timestamp '{start:%Y-%m-%d}' + ((g * 2654435761) % ({days} * 86400))
                                       * interval '1 second') AT TIME ZONE '{tz}' AS req
                            FROM generate_series({first}::bigint, {last}::bigint) g) r) a""")
            clone("people_person", ids["person"], {
                "uuid": "gen_random_uuid()", "file_no": "'G' || s.g", "name": "'测试' || s.g",
                "created_at": "s.req", "updated_at": "s.req", "registered_by_id": "s.station_id",
                "current_station_id": "s.station_id", "hukou_division_id": "s.division_id",
                "sex": "(ARRAY['男','男','女',''])[1 + (s.g * 3) % 4]",
                "birth_year_est": "CASE WHEN s.g % 5 = 0 THEN NULL ELSE 1930 + (s.g * 37) % 85 END",
                "birth_date": "NULL", "age_min": "NULL", "age_max": "NULL",
                "identity_status": "CASE WHEN s.found THEN 'identified' ELSE 'unidentified' END", **{
                    f: v for f, v in flags.items()},
            }, ident_expr="s.pid")
            clone("people_episode", ids["episode"], {
                "uuid": "gen_random_uuid()", "number": "'G-' || s.g", "person_id": "s.pid",
                "station_id": "s.station_id", "requested_at": "s.req", "admitted_at": "s.adm", "left_at": "s.lft",
                "created_at": "s.req", "updated_at": "COALESCE(s.lft, s.adm, s.req)",
                "status": "CASE WHEN s.lft IS NOT NULL THEN 'left' WHEN s.adm IS NOT NULL THEN 'in_station' "
                          "ELSE 'refused' END",
            }, ident_expr="s.eid")
            reasons = "ARRAY['no_work','family_not_found','robbed','family_conflict','illness','mental','vagrancy'," \
                      "'stranded','other']"
            clone("intake_intakerecord", ids["intake"], {
                "uuid": "gen_random_uuid()", "episode_id": "s.eid", "created_at": "s.req", "updated_at": "s.req",
                "reason": f"({reasons})[1 + (s.g * 5) % 9]"})
            exits = "ARRAY['home_ticket','home_escorted','family','transfer','self','no_formalities']"
            clone("leaving_departure", ids["departure"], {
                "uuid": "gen_random_uuid()", "episode_id": "s.eid", "created_at": "s.lft", "updated_at": "s.lft",
                "left_at": "s.lft", "exit_type": f"({exits})[1 + (s.g * 7) % 6]"}, where="s.lft IS NOT NULL")
            methods = "ARRAY['system_match','dna','face','announcement','talks','police','self_report']"
            found_at = "s.adm + ((s.g * 3) % 5) * interval '1 day'"
            clone("tracing_identification", ids["ident"], {
                "uuid": "gen_random_uuid()", "person_id": "s.pid", "episode_id": "s.eid", "station_id": "s.station_id",
                "created_at": found_at, "updated_at": found_at, "confirmed_at": found_at,
                "method": f"({methods})[1 + (s.g * 11) % 7]"}, where="s.found")
            print(f"  filled {last:,}", file=sys.stderr)
        for table in ("people_person", "people_episode", "intake_intakerecord", "leaving_departure",
                      "tracing_identification"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute(f"ANALYZE {table}")


def touch_share(share: float) -> int:
    """Change ``share`` of the people (sex flipped, updated now) for the incremental refresh; returns how many."""
    from django.db import connection
    from django.utils import timezone

    step = max(1, round(1 / share))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE people_person SET updated_at = %s, sex = CASE WHEN sex = '女' THEN '男' ELSE '女' END "
                       f"WHERE id %% {step} = 0", [connection.ops.adapt_datetimefield_value(timezone.now())])
        return cursor.rowcount


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200_000)
    parser.add_argument("--stations", type=int, default=4, help="stations in all (the demo's four and more)")
    parser.add_argument("--user", default="", help="comma-separated usernames to time (default: all)")
    parser.add_argument("--db", default="/tmp/guitu-figures.sqlite3")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep an already filled database")
    parser.add_argument("--fill-only", action="store_true", help="fill the database and stop")
    parser.add_argument("--no-refresh", action="store_true", help="time the pages only (tables already refreshed)")
    args = parser.parse_args()
    setup_django(args)

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from core.models import User
    from figures.models import EpisodeFact, Fact, RefreshTrigger
    from figures.refresh import refresh
    from people.models import Episode

    orgs, stations = world(args.stations)
    today = timezone.localdate()
    start = today - datetime.timedelta(days=3 * 365)
    missing = args.episodes - Episode.objects.count()
    if missing > 0:
        t0 = time.perf_counter()
        fill = fill_postgres if connection.vendor == "postgresql" else fill_sqlite
        fill(stations=stations, by=User.objects.get(username="jiedai"), count=missing, start=start, days=3 * 365)
        print(f"filled {missing:,} episodes in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.fill_only:
        return
    full_s = incremental_s = None
    if not args.no_refresh:
        t0 = time.perf_counter()
        run = refresh(trigger=RefreshTrigger.COMMAND, full=True)
        full_s = time.perf_counter() - t0
        print(f"full refresh: {run.episodes:,} episodes → {run.facts:,} fact rows in {full_s:.1f} s", file=sys.stderr)
        touched = touch_share(0.01)
        t0 = time.perf_counter()
        run = refresh(trigger=RefreshTrigger.COMMAND)
        incremental_s = time.perf_counter() - t0
        print(f"incremental refresh after {touched:,} people changed: {run.episodes:,} episodes in "
              f"{incremental_s:.1f} s", file=sys.stderr)

    rows = time_pages(args, orgs, today, start)
    print(f"\nMachine: {platform.node()} · {os.cpu_count()} cores · {cpu_model()} · {connection.vendor} · "
          f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC · load {os.getloadavg()[0]:.1f} · "
          f"{Episode.objects.count():,} episodes · {len(stations)} stations · "
          f"{EpisodeFact.objects.count():,} episode facts · {Fact.objects.count():,} fact rows\n")
    if full_s is not None:
        print(f"Full refresh {full_s:.1f} s; incremental refresh after 1 % of the people changed "
              f"{incremental_s:.1f} s.\n")
    print("| user | page | query | status | median ms | p95 ms |\n| --- | --- | --- | --- | ---: | ---: |")
    for username, url, params, status, median, p95 in rows:
        query = " ".join(f"{k}={v}" for k, v in params.items() if k not in ("date_from", "date_to")) or "—"
        if "date_from" in params:
            query += f" {params['date_from']}…{params['date_to']}"
        print(f"| {username} | `{url}` | {query} | {status} | {median:.0f} | {p95:.0f} |")


def time_pages(args, orgs, today, start):
    from django.test import Client

    from campaign.models import Campaign
    from core.models import User

    campaign, _ = Campaign.objects.get_or_create(
        department=orgs["bureau"], name="基准专项行动",
        defaults={"starts_on": today - datetime.timedelta(days=200), "ends_on": today + datetime.timedelta(days=30),
                  "created_by": User.objects.get(username="tongji")})
    whole = {"date_from": start.isoformat(), "date_to": today.isoformat()}
    year = {"date_from": (today - datetime.timedelta(days=365)).isoformat(), "date_to": today.isoformat()}
    odd = {"date_from": (today - datetime.timedelta(days=100)).isoformat(),
           "date_to": (today - datetime.timedelta(days=3)).isoformat()}
    pages = [
        ("/figures/", {"measure": "requested", **whole, "group": "county"}),
        ("/figures/", {"measure": "left", **year}),
        ("/figures/", {"measure": "identified", **odd, "group": "province"}),
        ("/figures/", {"measure": "care", "as_of": (today - datetime.timedelta(days=17)).isoformat()}),
        ("/figures/", {"measure": "care", "as_of": today.isoformat()}),
        ("/api/v1/figures/breakdown", {"measure": "requested", **whole}),
        ("/figures/people/", {"measure": "requested", **year, "dimension": "sex", "key": "女"}),
    ]
    users = {"yd_zhanzhang": pages[:5], "tongji": pages, PROVINCE_USER: pages,
             "jianguan": [(f"/campaign/{campaign.uuid}/table/", {})]}
    wanted = [u for u in args.user.split(",") if u] or list(users)
    rows = []
    for username in wanted:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for url, params in users.get(username, pages):
            status = client.get(url, params).status_code  # warm-up (and the page cache of the query)
            times = []
            for i in range(args.repeat):
                # half the requests with a cold page cache: a query asked for the first time since the refresh
                _cold(i)
                t0 = time.perf_counter()
                client.get(url, params)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            rows.append((username, url, params, status, statistics.median(times),
                         times[max(0, int(len(times) * 0.95) - 1)]))
    return rows


def _cold(i: int) -> None:
    if i % 2 == 0:
        from django.core.cache import cache

        cache.clear()


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
