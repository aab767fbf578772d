"""The audit log's own cost: one chained audit row, the read entry a request adds, audit_verify's speed.

Usage (SQLite file by default; set DATABASE_URL for PostgreSQL):
    .venv/bin/python bench/audit_bench.py [--rows 20000] [--writes 2000] [--db /tmp/guitu-audit-bench.sqlite3]

Times (1) ``core.audit.audit()`` — one HMAC-chained INSERT under the chain lock, in autocommit and inside the
change's transaction as services write it; (2) the same page (``/people/``) with the read audit on and off, and
until its answer is complete (the read entry is written after it, core/middleware.py), to show what the
per-request read entry costs the client; (3)
``core.auditchain.verify()`` over ``--rows`` rows. Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import contextlib
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _stats(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--db", default="/tmp/guitu-audit-bench.sqlite3")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["GUITU_SQLITE_PATH"] = args.db
        if Path(args.db).exists():
            Path(args.db).unlink()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitu.settings")
    os.environ["GUITU_DEBUG"] = "1"
    os.environ.setdefault("GUITU_DEMO", "1")  # this machine's demo keys (var/dev-keys.json): bench data only
    os.environ["GUITU_OTP_ENFORCED"] = "0"  # force_login has no second-factor device
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    call_command("migrate", verbosity=0)
    from core import audit as audit_module
    from core.auditchain import verify
    from core.demo import seed_organisations, seed_users
    from core.models import AuditAction, AuditEntry, User

    orgs = seed_organisations()
    seed_users(orgs)
    station = orgs["city"]

    def timed(action, durable: bool, in_transaction: bool = False) -> list[float]:
        out = []
        for i in range(args.writes):
            block = transaction.atomic() if in_transaction else contextlib.nullcontext()
            with block:  # a service's write: the entry joins the change's transaction (its commit is the change's)
                t0 = time.perf_counter()
                _write(action, durable, i)
                out.append((time.perf_counter() - t0) * 1000)
        return out

    def _write(action, durable: bool, i: int) -> None:
        audit_module.audit(
            actor=None,
            action=action,
            object_type="bench",
            object_id=str(i),
            organisation=station,
            summary=f"基准 {i}",
            changes={"status": ["admitted", "left"]},
            durable=durable,
        )

    writes = timed(AuditAction.UPDATE, True)
    in_service = timed(AuditAction.UPDATE, True, in_transaction=True)
    reads = timed(AuditAction.READ, False)
    while AuditEntry.objects.count() < args.rows:
        audit_module.audit(
            actor=None,
            action=AuditAction.READ,
            object_type="bench",
            summary="基准",
            organisation=station,
            changes={"ids": [str(i) for i in range(50)], "count": 50},
        )

    client = Client()
    client.force_login(User.objects.get(username="jiedai"))
    client.get("/people/")

    import core.middleware as middleware

    written_after = middleware._record_after
    answered: list[float] = []

    def timed_after(*a, **k):
        answered.append(time.perf_counter())  # the answer is complete: the server would have sent it by now
        return written_after(*a, **k)

    def page_times() -> list[float]:
        out = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            client.get("/people/")
            out.append((time.perf_counter() - t0) * 1000)
            if answered:
                to_answer.append((answered.pop() - t0) * 1000)
        return out

    to_answer: list[float] = []
    middleware._record_after = timed_after
    with_read = page_times()
    middleware._record_after = written_after
    real = audit_module._record_request
    audit_module._record_request = lambda *a, **k: None
    without_read = page_times()
    audit_module._record_request = real

    t0 = time.perf_counter()
    result = verify()
    verify_s = time.perf_counter() - t0
    assert result.ok, result.problem

    w_med, w_p95 = _stats(writes)
    s_med, s_p95 = _stats(in_service)
    r_med, r_p95 = _stats(reads)
    on_med, on_p95 = _stats(with_read)
    off_med, off_p95 = _stats(without_read)
    print(
        f"\nMachine: {platform.node()} · {os.cpu_count()} cores · {connection.vendor} · "
        f"{datetime.date.today():%Y-%m-%d} · load {os.getloadavg()[0]:.1f}\n"
    )
    print("| measure | median | p95 |\n| --- | --- | --- |")
    print(
        f"| one chained audit row (`audit()`, autocommit, {args.writes} writes) | {w_med:.2f} ms | {w_p95:.2f} ms |"
    )
    print(
        f"| one chained audit row inside the change's transaction (as services write it; its commit is the "
        f"change's) | {s_med:.2f} ms | {s_p95:.2f} ms |"
    )
    print(
        f"| one read/denied entry (`durable=False`, {args.writes} writes) | {r_med:.2f} ms | {r_p95:.2f} ms |"
    )
    print(
        f"| `/people/` with the read entry, until closed ({args.requests} requests) | {on_med:.1f} ms | "
        f"{on_p95:.1f} ms |"
    )
    ans_med, ans_p95 = _stats(to_answer)
    print(f"| `/people/` until its answer is complete (the read entry is written after it) | {ans_med:.1f} ms | "
          f"{ans_p95:.1f} ms |")
    print(f"| `/people/` without it | {off_med:.1f} ms | {off_p95:.1f} ms |")
    print(
        f"| `audit_verify` over {result.checked:,} rows | {verify_s:.2f} s ({result.checked / verify_s:,.0f} rows/s) | |"
    )


if __name__ == "__main__":
    main()
