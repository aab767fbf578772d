"""The audit log at volume on PostgreSQL (issue 9): look-ups and writes with tens of millions of rows.

Usage:
    .venv/bin/python bench/audit_volume.py --rows 20000000 [--months 24] [--db guitu_audit_volume] [--keep]

Makes (or reuses, with ``--keep``) a PostgreSQL database, migrates it (the audit table partitioned by month,
migration 0008), seeds the demo organisations and users, then fills ``--rows`` audit rows spread evenly over
``--months`` months up to now with one ``INSERT … SELECT generate_series`` per million rows (secondary indexes
dropped during the fill and rebuilt after, as a restore would). Rows are shaped like the services': ~60 % per-request
reads carrying 50 ids, writes and file views with a person's uuid (one person per ~15 rows), actors and
organisations of the demo cast. The filled rows are not hash-chained (``audit_verify`` fails on this database).

Then times, as the demo auditor (``shenji``) and a station head (``zhanzhang``), through the real selectors:
the audit page's first page, "who looked at this file" (the file's access log), "what did this user do", an
object search by uuid, a one-day period; and one chained ``audit()`` write (durable, and a read entry). Prints a
Markdown table and writes each query's ``EXPLAIN (ANALYZE, BUFFERS)`` to ``bench/results/audit-volume-<rows>.md``.
"""

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG = "postgres://postgres@127.0.0.1:5432"


def _stats(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--db", default="guitu_audit_volume")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="reuse the filled database of an earlier run")
    args = parser.parse_args()
    if not args.keep:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.db], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.db], check=True)
    os.environ["DATABASE_URL"] = f"{PG}/{args.db}"
    os.environ.setdefault("GUITU_DEV_KEYS", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from core import auditpartitions
    from core.audit import audit
    from core.demo import seed_organisations, seed_users
    from core.models import AuditAction, AuditEntry, User
    from core.selectors import audit_list

    call_command("migrate", verbosity=0)
    orgs = seed_organisations()
    users = seed_users(orgs)
    now = datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(days=30 * args.months)
    month = auditpartitions.Month.of(start)
    while month <= auditpartitions.Month.of(now):
        if month not in auditpartitions.months():
            auditpartitions.create(month)
        month = month.next()
    auditpartitions.ensure()
    fill_s = 0.0
    if not args.keep:
        fill_s = _fill(connection, args.rows, start, now, [u.pk for u in users], [o.pk for o in orgs.values()])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_auditentry")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))), count(*) FROM pg_inherits "
                       "WHERE inhparent = 'core_auditentry'::regclass")
        size, partitions = cursor.fetchone()
        cursor.execute("SELECT person_uuid FROM core_auditentry_default WHERE false UNION ALL "
                       "SELECT person_uuid FROM core_auditentry WHERE person_uuid IS NOT NULL "
                       "AND at > now() - interval '40 days' LIMIT 1")
        person = cursor.fetchone()[0]

    auditor = User.objects.get(username="shenji")
    head = User.objects.get(username="zhanzhang")
    busy = User.objects.get(username="jiedai")
    from people.selectors import TIMELINE_HIDDEN

    day = (now - datetime.timedelta(days=20)).date()
    queries = [
        ("auditor: audit page, first 50", lambda: list(audit_list(user=auditor, filters={})[:51])),
        ("auditor: what did this user do (jiedai)", lambda: list(audit_list(user=auditor, filters={"actor": busy.username})[:51])),
        ("auditor: who looked at this file (person filter)", lambda: list(audit_list(user=auditor, filters={"person": person})[:51])),
        ("auditor: object search by uuid", lambda: list(audit_list(user=auditor, filters={"object": str(person)})[:51])),
        ("auditor: one day", lambda: list(audit_list(user=auditor, filters={"date_from": day, "date_to": day})[:51])),
        ("head: the file's access log (200 newest)", lambda: list(
            AuditEntry.objects.filter(person_uuid=person, action__in=TIMELINE_HIDDEN).order_by("-id")[:200])),
    ]
    rows = []
    plans = []
    for label, run in queries:
        run()
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            run()
            times.append((time.perf_counter() - t0) * 1000)
        rows.append((label, *_stats(times)))
        plans.append((label, _explain(connection, run)))

    def timed_writes(action, durable):
        out = []
        for i in range(200):
            t0 = time.perf_counter()
            audit(actor=head, action=action, object_type="bench", object_id=str(i), organisation=orgs["city"],
                  summary=f"基准 {i}", changes={"status": ["admitted", "left"]}, durable=durable)
            out.append((time.perf_counter() - t0) * 1000)
        return _stats(out)

    rows.append(("one chained audit row (durable, own transaction)", *timed_writes(AuditAction.UPDATE, True)))
    rows.append(("one read entry (synchronous_commit off)", *timed_writes(AuditAction.READ, False)))

    print(f"\nMachine: {platform.node()} · {os.cpu_count()} cores · PostgreSQL · {datetime.date.today():%Y-%m-%d} · "
          f"load {os.getloadavg()[0]:.1f} · {total:,} audit rows in {partitions} partitions, {size}"
          + (f" · fill {fill_s:.0f} s" if fill_s else "") + "\n")
    print("| query | median ms | p95 ms |\n| --- | ---: | ---: |")
    for label, med, p95 in rows:
        print(f"| {label} | {med:.1f} | {p95:.1f} |")
    out = ROOT / "bench" / "results" / f"audit-volume-{args.rows}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n\n".join(f"## {label}\n\n```\n{plan}\n```" for label, plan in plans) + "\n")
    print(f"\nplans: {out.relative_to(ROOT)}")


def _explain(connection, run) -> str:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    sql = max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(r[0] for r in cursor.fetchall())


def _fill(connection, rows: int, start, end, user_ids: list[int], org_ids: list[int]) -> float:
    from core.auditchain import set_head_trigger

    t0 = time.perf_counter()
    span = (end - start).total_seconds()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'core_auditentry' "
                       "AND indexname NOT LIKE '%_pkey'")
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        set_head_trigger(cursor, enabled=False)
        users = "ARRAY[" + ",".join(map(str, user_ids)) + "]::bigint[]"
        orgs = "ARRAY[" + ",".join(map(str, org_ids)) + "]::bigint[]"
        batch = 1_000_000
        for first in range(1, rows + 1, batch):
            last = min(rows, first + batch - 1)
            cursor.execute(f"""
                INSERT INTO core_auditentry (at, actor_name, action, object_type, object_id, person_uuid, summary,
                                             changes, ip, actor_id, organisation_id, hash, prev_hash)
                SELECT %s::timestamptz + (g::float8 / %s) * %s * interval '1 second',
                       '演示用户', CASE WHEN g %% 10 < 6 THEN 'read' WHEN g %% 10 < 8 THEN 'view' ELSE 'update' END,
                       CASE WHEN g %% 10 < 6 THEN 'list' ELSE 'people.Person' END,
                       CASE WHEN g %% 10 < 6 THEN '' ELSE md5((g / 15)::text)::uuid::text END,
                       CASE WHEN g %% 10 < 6 THEN NULL ELSE md5((g / 15)::text)::uuid END,
                       '基准记录', CASE WHEN g %% 10 < 6 THEN jsonb_build_object('count', 50) ELSE '{{}}'::jsonb END,
                       '10.0.0.1', ({users})[1 + (g * 7919) %% {len(user_ids)}], ({orgs})[1 + (g * 104729) %% {len(org_ids)}],
                       md5(g::text) || md5((g + 1)::text), md5((g - 1)::text) || md5(g::text)
                FROM generate_series(%s::bigint, %s::bigint) g
            """, [start, rows, span, first, last])
            print(f"  filled {last:,} rows ({time.perf_counter() - t0:.0f} s)", flush=True)
        for _, definition in indexes:
            cursor.execute(definition.replace(" ON ONLY ", " ON "))
        print(f"  indexes rebuilt ({time.perf_counter() - t0:.0f} s)", flush=True)
        set_head_trigger(cursor, enabled=True)
        cursor.execute("ANALYZE core_auditentry")
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
