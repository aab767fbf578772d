"""Province scale on PostgreSQL (issue 9): fill one province's N episodes, then time every page that matters.

Usage (PostgreSQL on 127.0.0.1:5432 as ``postgres``; ``make bench SIZE=1000000`` runs the first line):
    .venv/bin/python bench/province.py --episodes 1000000 --reuse      # fill guitu_province_1000000 if needed, time
    .venv/bin/python bench/province.py --episodes 1000000 --fill-only  # (re)fill only
    .venv/bin/python bench/province.py --episodes 1000000 --reuse --only sheng_shenji   # time one user's pages
    .venv/bin/python bench/province.py --episodes 1000000 --time-only --kind person     # time one kind of page

The database ``guitu_province_<N>`` (``--db`` to change) is a normal migrated guitu database: 广东省 with its
civil-affairs department, 21 cities, ~100 stations (four regional centres) around the demo city (清远, so the
demo logins and ``bench/lists_bench.py`` / ``bench/figures_bench.py`` with ``--reuse`` and DATABASE_URL work on
it), staff, zones and beds, then N episodes over ten years written by ``bench/province_fill.py`` with COPY.
The fill drops the big tables' secondary indexes and foreign keys, COPYs in chunks of 10,000 episodes, puts
them back (validating every reference), applies the moves of returning people, VACUUM ANALYZEs, runs one
deadline scan and a full refresh of the statistics' summary tables (what the task queue keeps current in
production: the supervisors' overview and the statistics pages read them), and records what it did in the
database's comment; ``--reuse`` keeps a database whose comment says it is complete.

The pages are timed with the Django test client as the demo-like logins — a station receptionist (``jiedai``,
the regional centre; ``yd_jiedai``, a county station), a county supervisor (``yd_jianguan``), the city
supervisor (``jianguan``), the province's supervisor and auditor (``sheng_jianguan``, ``sheng_shenji``;
password: the demo's) — one warm-up then ``--repeat`` requests (fewer when a page is slow: at least three,
then until ``--budget`` seconds). For every page whose p95 misses its target, the slowest SELECT of its last
request is run again under ``EXPLAIN (ANALYZE, BUFFERS)``. Results (Markdown) go to bench/results/.

The keys are fixed bench keys (below), not this machine's: the ID numbers on a bench database decrypt from
any checkout. Fake people only — never use these keys for real data. To browse a bench database:
``eval "$(.venv/bin/python bench/province.py --episodes 1000000 --env)" && .venv/bin/python manage.py runserver``.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Fixed keys for bench databases only (fake people): derived from a published label on purpose, so a
#: bench database filled from one checkout opens from another. Production keys come from the environment.
BENCH_KEYS = {
    "GUITU_SECRET_KEY": hashlib.sha256(b"guitu bench province secret").hexdigest(),
    "GUITU_ID_ENCRYPTION_KEY": base64.urlsafe_b64encode(hashlib.sha256(b"guitu bench province id").digest()).decode(),
    "GUITU_ID_HASH_KEY": hashlib.sha256(b"guitu bench province hash").hexdigest(),
    "GUITU_FILES_KEY": base64.urlsafe_b64encode(hashlib.sha256(b"guitu bench province files").digest()).decode(),
    "GUITU_AUDIT_KEY": hashlib.sha256(b"guitu bench province audit").hexdigest(),
}
#: Targets of issue 9 (p95, ms) by kind of page.
TARGETS = {"list": 200, "search": 300, "dashboard": 300, "person": 150, "audit": 300, "report": 2000}
PG = "postgres://postgres@127.0.0.1:5432"
TEMPLATE = "guitu_province_template"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, required=True, help="episodes to fill, e.g. 1000000")
    parser.add_argument("--db", default="", help="database name (default guitu_province_<episodes>)")
    parser.add_argument("--reuse", action="store_true", help="keep a database already filled with this many episodes")
    parser.add_argument("--fill-only", action="store_true")
    parser.add_argument("--time-only", action="store_true", help="never fill; fail if the database is not complete")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--budget", type=float, default=25.0, help="seconds per page before stopping early")
    parser.add_argument("--only", default="", help="comma-separated usernames to time")
    parser.add_argument("--kind", default="", help=f"comma-separated kinds of page to time ({', '.join(TARGETS)})")
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="parallel fill processes (stations split between them)")
    parser.add_argument("--reads", type=float, default=5.0, help="file/episode read-audit rows per episode")
    parser.add_argument("--list-reads", type=float, default=1.0, help="list read-audit rows (50 ids) per episode")
    parser.add_argument("--id-share", type=float, default=0.5, help="share of identified people with an ID number")
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--out", default="", help="results file (default bench/results/province-<N>-<time>.md)")
    parser.add_argument("--env", action="store_true",
                        help="print the shell exports that open the bench database (runserver, manage.py) and stop")
    args = parser.parse_args()

    name = args.db or f"guitu_province_{args.episodes}"
    if not name.startswith("guitu_province"):
        sys.exit("refusing to (re)create a database whose name does not start with guitu_province")
    if args.env:
        print("\n".join(f"export {k}={v}" for k, v in {**BENCH_KEYS, "DATABASE_URL": f"{PG}/{name}"}.items()))
        return
    for key, value in BENCH_KEYS.items():
        os.environ.setdefault(key, value)
    os.environ["DATABASE_URL"] = f"{PG}/{name}"
    os.environ["GUITU_DB_CONN_MAX_AGE"] = "600"
    # the test settings: no second factor or idle timeout in the way of the timed requests; DEBUG for the
    # static files without collectstatic (as the other benches)
    os.environ["DJANGO_SETTINGS_MODULE"] = "guitu.settings_test"
    os.environ["GUITU_DEBUG"] = "1"
    state = database_state(name)
    complete = bool(state) and state.get("state") == "complete" and state.get("episodes") == args.episodes
    if args.time_only and not complete:
        sys.exit(f"{name} is not a complete bench database ({state or 'missing'})")
    fill_needed = not (args.reuse or args.time_only) or not complete
    if fill_needed:
        recreate_database(name)
    import django

    django.setup()
    from django.core.management import call_command

    log(f"database {name}: {'filling' if fill_needed else 'reusing ' + json.dumps(state, ensure_ascii=False)}")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - t0
    from bench.province_fill import build_world

    t0 = time.perf_counter()
    world = build_world()
    log(f"world: {len(world.stations)} stations ({time.perf_counter() - t0:.1f} s)")
    if fill_needed:
        state = fill(name, world, args, migrate_s)
    if args.fill_only:
        return
    ensure_campaigns()
    rows = time_pages(args)
    write_results(name, state, rows, args)


def log(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def admin_connection():
    import psycopg

    return psycopg.connect(f"{PG}/postgres", autocommit=True)


def database_state(name: str) -> dict | None:
    """The bench's note in the database comment (None when the database does not exist)."""
    with admin_connection() as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           [name]).fetchone()
    if row is None:
        return None
    try:
        return json.loads(row[0] or "{}")
    except ValueError:
        return {}


def set_state(name: str, state: dict) -> None:
    with admin_connection() as conn:
        text = json.dumps(state, ensure_ascii=False).replace("'", "''")
        conn.execute(f"COMMENT ON DATABASE {name} IS '{text}'")


def recreate_database(name: str) -> None:
    """A fresh copy of ``guitu_province_template`` (an empty migrated database, made once: migrating from
    nothing takes minutes; ``migrate`` afterwards applies only what is newer than the template)."""
    import subprocess

    with admin_connection() as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE]).fetchone() is None:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
            log(f"migrating {TEMPLATE} (once)")
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"], check=True,
                           env={**os.environ, "DATABASE_URL": f"{PG}/{TEMPLATE}"})
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")


def fill(name: str, world, args, migrate_s: float) -> dict:
    from django.db import connection
    from django.utils import timezone

    from bench.province_fill import big_tables, drop_secondary, fill_parallel, finish, prepare, restore

    state = {"state": "filling", "episodes": args.episodes, "started": timezone.now().isoformat(timespec="seconds"),
             "reads": args.reads, "list_reads": args.list_reads, "id_share": args.id_share, "years": args.years}
    set_state(name, state)
    phases = {"migrate": round(migrate_s, 1)}
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
        cursor.execute("SET maintenance_work_mem TO '1GB'")
        t0 = time.perf_counter()
        drop_secondary(cursor, big_tables())
        prepare(cursor)
        phases["drop indexes"] = round(time.perf_counter() - t0, 1)
    now = timezone.now()
    t0 = time.perf_counter()
    made = audit_partitions(now - datetime.timedelta(days=int(args.years * 365) + 1), now)
    phases["audit partitions"] = round(time.perf_counter() - t0, 1)
    log(f"{len(made)} monthly audit partitions made in {phases['audit partitions']} s")
    stats = fill_parallel(world, count=args.episodes, workers=args.workers, now=now, log=log, years=args.years,
                          chunk=args.chunk, reads=args.reads, list_reads=args.list_reads, id_share=args.id_share)
    phases["copy"] = round(stats.seconds, 1)
    log(f"copied {stats.episodes:,} episodes in {stats.seconds:.0f} s ({stats.episodes / stats.seconds:,.0f}/s)")
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        finish(cursor)
        phases["moves and sequences"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        done = restore(cursor, log=log)
        phases["indexes and foreign keys"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        cursor.execute("VACUUM (ANALYZE)")
        phases["vacuum analyze"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    overdue = deadline_scan()
    phases["deadline scan"] = round(time.perf_counter() - t0, 1)
    log(f"deadline scan: {overdue:,} overdue items in {phases['deadline scan']} s")
    t0 = time.perf_counter()
    figures_refresh()
    phases["figures refresh"] = round(time.perf_counter() - t0, 1)
    log(f"statistics summary tables rebuilt in {phases['figures refresh']} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    slowest = sorted(done, key=lambda d: -d[1])[:5]
    state.update({"state": "complete", "finished": timezone.now().isoformat(timespec="seconds"),
                  "now": now.isoformat(timespec="seconds"), "workers": args.workers, "people": stats.people, "rows": stats.rows, "phases": phases,
                  "total_s": round(sum(phases.values()), 1), "size_bytes": size,
                  "slowest_restores": [[s[:90], round(t, 1)] for s, t in slowest],
                  "loadavg_end": os.getloadavg()[0]})
    set_state(name, state)
    log(f"filled in {state['total_s']:.0f} s, database {size / 2**30:.1f} GiB: {json.dumps(phases)}")
    return state


def audit_partitions(first: datetime.datetime, last: datetime.datetime) -> list[str]:
    """The audit table's monthly partitions over the fill's years, made before the COPY as the task queue makes
    them ahead in production (the same ``core.auditpartitions.ensure``, from the fill's first month): otherwise
    every bench row lands in the default partition and the audit pages are timed on a table production never
    has."""
    from core import auditpartitions

    start, end = auditpartitions.Month.of(first), auditpartitions.Month.of(last)
    return auditpartitions.ensure(now=first, ahead=(end.year - start.year) * 12 + end.month - start.month)


def deadline_scan() -> int:
    """One periodic deadline scan, as the task queue runs it every few minutes in production: the supervisors'
    overview and home pages read its per-organisation counts (without it they count live, a fallback). Its
    notifications go to the configured senders (the console's log here), silenced."""
    import logging

    from deadlines.models import OverdueItem
    from deadlines.services import snapshot_take

    logging.getLogger("guitu.deadlines").setLevel(logging.ERROR)
    snapshot_take()
    return OverdueItem.objects.filter(resolved_at__isnull=True).count()


def figures_refresh() -> None:
    """A full rebuild of the statistics' summary tables, as the task queue keeps them in production: the
    statistics pages read them, never the episodes."""
    from figures.models import RefreshTrigger
    from figures.refresh import refresh

    refresh(trigger=RefreshTrigger.COMMAND, full=True)


def ensure_campaigns() -> None:
    """A campaign of the city bureau and one of the province (their summary tables are timed)."""
    from django.utils import timezone

    from campaign.models import Campaign, ReportingDate
    from core.models import Organisation, User

    today = timezone.localdate()
    for code, username in (("QYMZJ", "jianguan"), ("GDMZT", "sheng_jianguan")):
        department = Organisation.objects.get(code=code)
        campaign, _ = Campaign.objects.get_or_create(
            department=department, name="救助管理服务质量大提升专项行动（基准测试）",
            defaults={"starts_on": today - datetime.timedelta(days=365), "ends_on": today + datetime.timedelta(days=30),
                      "created_by": User.objects.get(username=username)})
        ReportingDate.objects.get_or_create(campaign=campaign, due_on=campaign.ends_on, defaults={"label": "总结"})


# --- timing -------------------------------------------------------------------------------------------------------


def fixtures() -> dict:
    """Objects the pages need, chosen once, cheaply (by primary key, newest first)."""
    from campaign.models import Campaign
    from core.models import Organisation
    from people.models import Episode

    def person_at(code: str) -> dict:
        station = Organisation.objects.get(code=code)
        episode = (Episode.objects.filter(station=station, flag_repeat_requests=True).order_by("-id")
                   .select_related("person").first()
                   or Episode.objects.filter(station=station).order_by("-id").select_related("person").first())
        return {"person": str(episode.person.uuid), "episode": str(episode.uuid)} if episode else {}

    campaigns = {c.department.code: str(c.uuid) for c in Campaign.objects.select_related("department")
                 .filter(name="救助管理服务质量大提升专项行动（基准测试）")}
    return {"qyz": person_at("QYZ"), "ydz": person_at("YDZ"), "gz": person_at("JZ440100"),
            "city_campaign": campaigns.get("QYMZJ"), "province_campaign": campaigns.get("GDMZT")}


def cases(f: dict) -> list[tuple[str, str, str, str]]:
    """(username, label, url, kind) — the pages of issue 9 as each kind of user opens them."""
    today = datetime.date.today()
    year = f"date_from={today - datetime.timedelta(days=365)}&date_to={today}"
    people = [("/people/", "file list", "list"), ("/people/?q=张伟", "search, hanzi", "search"),
              ("/people/?q=zhang", "search, pinyin prefix", "search"), ("/people/?q=zw", "search, initials", "search"),
              ("/people/?sex=女&identity_status=unidentified", "filter: women, unidentified", "list"),
              ("/people/?in_care=yes", "filter: in care", "list"), ("/people/?page=200", "page 200", "list")]
    out = []
    for user, key in (("jiedai", "qyz"), ("yd_jiedai", "ydz")):
        out += [(user, "dashboard", "/", "dashboard")]
        out += [(user, label, url, kind) for url, label, kind in people]
        out += [(user, "in-care board", "/stay/", "dashboard"), (user, "intake list", "/intake/", "list"),
                (user, "leaving list", "/leaving/", "list"), (user, "inbox", "/deadlines/", "list")]
        if f.get(key):
            out += [(user, "person page", f"/people/{f[key]['person']}/", "person"),
                    (user, "episode page", f"/people/episodes/{f[key]['episode']}/", "person")]
    for user, key, campaign in (("yd_jianguan", "ydz", None), ("jianguan", "qyz", "city_campaign"),
                                ("sheng_jianguan", "gz", "province_campaign")):
        out += [(user, "dashboard", "/", "dashboard")]
        out += [(user, label, url, kind) for url, label, kind in people]
        out += [(user, "in-care board", "/stay/", "dashboard"), (user, "intake list", "/intake/", "list"),
                (user, "leaving list", "/leaving/", "list"), (user, "inbox", "/deadlines/", "list"),
                (user, "deadline overview", "/deadlines/overview/", "dashboard"),
                (user, "figures, requests over a year", f"/figures/?measure=requested&{year}", "report"),
                (user, "figures, in care today", f"/figures/?measure=care&as_of={today}", "report")]
        if f.get(key):
            out += [(user, "person page + who looked at it", f"/people/{f[key]['person']}/", "person")]
        if campaign and f.get(campaign):
            out += [(user, "campaign summary table", f"/campaign/{f[campaign]}/table/", "report")]
    # The statistics (issue 13) as their users open them: a station head (whose menu counts the deadlines of a
    # station), the city's and the province's statisticians — three years by county, and the drill-down from a
    # figure to the people behind it.
    three_years = f"date_from={today - datetime.timedelta(days=3 * 365)}&date_to={today}"
    for user in ("yd_zhanzhang", "tongji", "sheng_tongji"):
        out += [(user, "dashboard", "/", "dashboard"),
                (user, "figures, requests by county over 3 years",
                 f"/figures/?measure=requested&{three_years}&group=county", "report"),
                (user, "figures, in care today", f"/figures/?measure=care&as_of={today}", "report"),
                (user, "figures drill-down: women who asked this year",
                 f"/figures/people/?measure=requested&{year}&dimension=sex&key=女", "report")]
    person = (f.get("qyz") or {}).get("person", "")
    out += [("sheng_shenji", "audit log", "/manage/audit/", "audit"),
            ("sheng_shenji", "who looked at this file", f"/manage/audit/?person={person}", "audit"),
            ("sheng_shenji", "what did this user do (jiedai)", "/manage/audit/?actor=jiedai", "audit"),
            ("sheng_shenji", "audit by object id", f"/manage/audit/?object={person}", "audit"),
            ("sheng_shenji", "audit: file reads, last month",
             f"/manage/audit/?action=view&date_from={today - datetime.timedelta(days=30)}", "audit")]
    return out


class QueryLog:
    """connection.execute_wrapper: every statement of a request with its duration."""

    def __init__(self):
        self.queries: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - t0) * 1000, sql, params))


def time_pages(args) -> list[dict]:
    from django.db import connection, transaction
    from django.test import Client

    from core.models import User

    only = set(filter(None, args.only.split(",")))
    rows = []
    clients: dict[str, Client] = {}
    kinds = set(filter(None, args.kind.split(",")))
    todo = [c for c in cases(fixtures()) if (not only or c[0] in only) and (not kinds or c[3] in kinds)]
    load_before = os.getloadavg()
    log(f"timing {len(todo)} pages; load average {load_before[0]:.2f}")
    for username, label, url, kind in todo:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        client = clients[username]
        t0 = time.perf_counter()
        status = client.get(url).status_code  # warm-up
        warm = (time.perf_counter() - t0) * 1000
        times, queries, started = [], [], time.perf_counter()
        while len(times) < args.repeat and (len(times) < 3 or time.perf_counter() - started < args.budget):
            qlog = QueryLog()
            with connection.execute_wrapper(qlog):
                t0 = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            queries = qlog.queries
        times.sort()
        p95 = times[max(0, int(round(len(times) * 0.95)) - 1)]
        target = TARGETS[kind]
        row = {"user": username, "label": label, "url": url, "kind": kind, "status": status, "n": len(times),
               "warm": warm, "median": statistics.median(times), "p95": p95, "target": target,
               "queries": len(queries), "sql_ms": sum(q[0] for q in queries), "plans": []}
        if p95 > target:
            selects = sorted((q for q in queries if q[1].lstrip().upper().startswith(("SELECT", "WITH"))),
                             key=lambda q: -q[0])
            for ms, sql, params in selects[:2]:
                if ms < max(20.0, target * 0.2):
                    break  # the time is not in this query: rendering, or many small queries
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                        plan = "\n".join(r[0] for r in cursor.fetchall())
                    transaction.set_rollback(True)
                text = connection.ops.compose_sql(sql, params) if params else sql
                row["plans"].append({"ms": ms, "sql": text, "plan": plan})
        rows.append(row)
        log(f"{username:<15} {label:<32} {status} n={len(times):<2} median {row['median']:7.0f} ms  p95 {p95:7.0f} ms"
            f"  ({row['queries']} queries, {row['sql_ms']:.0f} ms SQL){'  SLOW' if p95 > target else ''}")
    rows.append({"load": (load_before, os.getloadavg())})
    return rows


# --- results ------------------------------------------------------------------------------------------------------


def _short(text: str) -> str:
    """Long id lists (the scope's organisations) shortened for reading: ``IN (1, 2, … 246 values)``."""
    text = re.sub(r"IN \((\d+)(, \d+){8,}(, (\d+))\)", lambda m: f"IN ({m.group(1)}, … {m.group(4)}: "
                  f"{m.group(0).count(',') + 1} values)", text)
    return re.sub(r"'\{(\d+)(,\d+){8,},(\d+)\}'", lambda m: f"'{{{m.group(1)},…,{m.group(3)}: "
                  f"{m.group(0).count(',') + 1} values}}'", text)


def _clip(plan: str, keep: int = 80, width: int = 400) -> str:
    """At most ``keep`` lines of ``width`` characters (some filters are pages of CASE expressions)."""
    lines = [line if len(line) <= width else line[:width] + " …" for line in plan.splitlines()]
    return "\n".join(lines[:keep] + ([f"… ({len(lines) - keep} more lines of the plan)"] if len(lines) > keep else []))


def write_results(name: str, state: dict, rows: list[dict], args) -> Path:
    from django.db import connection

    from bench.figures_bench import cpu_model  # the benches' one reading of /proc/cpuinfo

    load = rows.pop()["load"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_setting('shared_buffers'), current_setting('work_mem'), "
                       "pg_database_size(current_database())")
        version, shared_buffers, work_mem, size = cursor.fetchone()
        cursor.execute("""SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables
                          ORDER BY pg_total_relation_size(relid) DESC LIMIT 12""")
        tables = cursor.fetchall()
    now = datetime.datetime.now()
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"province-{args.episodes}-{now:%Y%m%d-%H%M}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# Province scale, {args.episodes:,} episodes ({name})", "",
             f"Machine: {platform.node()} · {os.cpu_count()} cores · {cpu_model()} · "
             f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB · "
             f"{version.split(' on ')[0]} (shared_buffers {shared_buffers}, work_mem {work_mem}) · "
             f"{now:%Y-%m-%d %H:%M} · load average {load[0][0]:.2f} before, {load[1][0]:.2f} after timing", "",
             f"Command: `.venv/bin/python bench/province.py {' '.join(sys.argv[1:])}`", "",
             f"Database {size / 2**30:.1f} GiB. Fill: " + (
                 f"{state.get('total_s', 0):,.0f} s in all — " + ", ".join(
                     f"{k} {v:,.0f} s" for k, v in (state.get("phases") or {}).items())
                 + f"; {state.get('people', 0):,} people" if state and state.get("phases") else "(reused)"), "",
             "| table | rows | size |", "| --- | ---: | ---: |"]
    lines += [f"| {t} | {n:,} | {s / 2**20:,.0f} MiB |" for t, n, s in tables]
    lines += ["", "| user | page | status | n | median ms | p95 ms | target | queries | SQL ms |",
              "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        mark = "" if r["p95"] <= r["target"] else " ✗"
        lines.append(f"| {r['user']} | {r['label']} `{r['url'][:60]}` | {r['status']} | {r['n']} | {r['median']:,.0f} | "
                     f"{r['p95']:,.0f}{mark} | {r['target']} | {r['queries']} | {r['sql_ms']:,.0f} |")
    outside = [f"{r['user']} · {r['label']}" for r in rows if r["p95"] > r["target"] and not r["plans"]]
    lines += ["", "## Slowest queries of the pages over target", "",
              "Each page over its target: its slowest SELECT (and the next, if it also takes ≥ 20 % of the target) "
              "run again under `EXPLAIN (ANALYZE, BUFFERS)`. Over target with no SELECT that large (the time is in "
              "rendering or in many small queries): " + ("; ".join(outside) or "none") + ".", ""]
    for r in rows:
        for p in r["plans"]:
            lines += [f"### {r['user']} · {r['label']} · `{r['url'][:80]}` — {p['ms']:,.0f} ms", "",
                      "```sql", _short(p["sql"])[:1500], "```", "", "```", _clip(_short(p["plan"])), "```", ""]
    out.write_text("\n".join(lines) + "\n")
    log(f"results: {out}")
    return out


if __name__ == "__main__":
    main()
