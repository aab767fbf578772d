"""Mixed read/write load on gunicorn + PostgreSQL (issue 9): throughput, latency, errors, lost writes.

Usage:
    .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--workers 3] [--threads 4] [--db guitu_load] [--keep]

Makes (or with ``--keep`` reuses) the PostgreSQL database ``--db`` with the demo data (``demo_seed``: the city's
stations, people in care, files), runs one deadline scan (the task queue runs it every few minutes in production;
the supervisors' overview reads it), starts gunicorn on it (``gthread`` workers, as docs/deployment.md runs it), and
lets ``--clients`` concurrent clients — each a thread with its own keep-alive connection and its own login session
as one of the demo station users (receptionists and tracers of four stations, a station head) — loop for
``--seconds`` over a fixed mix:

    file list 25 %, a person's page 20 %, name search 15 %, home/inbox 15 %,
    intake registration (API, 201) 10 %, tracing talk (API, 201) 15 %

Every answer other than 2xx/3xx is an error. Every write the server acknowledged (201) carries a unique marker;
after the run the markers are looked up in the database: an acknowledged write that is not there is a lost write.
Prints requests/s, latency per kind (median, p95, p99), errors and lost writes as Markdown, with the machine, date
and load average.
"""

import argparse
import collections
import datetime
import http.client
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG = "postgres://postgres@127.0.0.1:5432"
PORT = 8765
MIX = (("list", 25), ("person", 20), ("search", 15), ("home", 15), ("intake", 10), ("talk", 15))
USERS = ("jiedai", "xunqin", "yd_jiedai", "lz_jiedai", "fg_jiedai", "zhanzhang")
SURNAMES = ("张", "李", "王", "刘", "陈", "杨", "黄", "赵")


def _env(db: str) -> dict:
    # Six logins stand in for a province's receptionists: each registers dozens of people a minute here, which
    # the per-user limit on the duplicate query (hole 2: 30 a minute, 500 a day) rightly refuses with 429.
    return {**os.environ, "DATABASE_URL": f"{PG}/{db}", "GUITU_DEMO": "1", "GUITU_DEV_KEYS": "1",
            "GUITU_OTP_ENFORCED": "0", "GUITU_HTTPS": "0", "DJANGO_SETTINGS_MODULE": "guitu.settings",
            "GUITU_LIKELY_SAME_PER_MINUTE": "100000", "GUITU_LIKELY_SAME_PER_DAY": "1000000"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--db", default="guitu_load")
    parser.add_argument("--keep", action="store_true", help="reuse the seeded database of an earlier run")
    args = parser.parse_args()
    env = _env(args.db)
    if not args.keep:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.db], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.db], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    if not args.keep:
        subprocess.run([sys.executable, "manage.py", "demo_seed"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from province import deadline_scan

    deadline_scan()  # as the task queue does every few minutes: the supervisors' overview reads its counts
    clients = _prepare_clients(args.clients)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "guitu.wsgi", "-b", f"127.0.0.1:{PORT}", "-k", "gthread",
         "-w", str(args.workers), "--threads", str(args.threads), "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    try:
        _wait_ready()
        results, acknowledged = _run(clients, args.seconds, args.warmup)
        load = os.getloadavg()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    lost = _lost_writes(acknowledged)
    _report(args, results, acknowledged, lost, load)


def _prepare_clients(count: int) -> list[dict]:
    """Each client: a login session cookie, an API token, and the people its user may open and talk with."""
    from django.test import Client

    from core.models import Role, User
    from core.services import api_token_create
    from people import selectors as people_selectors
    from people.models import Episode

    users = {u.username: u for u in User.objects.filter(username__in=USERS)}
    per_user = {}
    for username, user in users.items():
        people = list(people_selectors.person_list(user=user).values_list("uuid", flat=True)[:200])
        in_care = list(Episode.objects.filter(station=user.organisation, status="in_station")
                       .values_list("person__uuid", flat=True)[:100]) if user.has_role(Role.TRACER) else []
        per_user[username] = (people, in_care)
    clients = []
    for i in range(count):
        username = USERS[i % len(USERS)]
        user = users[username]
        browser = Client()
        browser.force_login(user)
        _, token = api_token_create(by=user, name=f"负载测试 {i}")
        people, in_care = per_user[username]
        clients.append({"user": username, "cookie": f"sessionid={browser.cookies['sessionid'].value}",
                        "token": token, "people": [str(p) for p in people], "in_care": [str(p) for p in in_care],
                        "intake": user.has_role(Role.RECEPTION)})
    return clients


def _wait_ready() -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer within 120 s")


def _run(clients: list[dict], seconds: int, warmup: int):
    results: list[tuple[str, float, int]] = []  # (kind, ms, status) after the warm-up
    acknowledged: list[tuple[str, str]] = []  # (kind, marker)
    lock = threading.Lock()
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    def client_loop(index: int, client: dict) -> None:
        rng = random.Random(index)
        kinds = [k for k, w in MIX for _ in range(w)]
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        while time.monotonic() < stop_at:
            kind = rng.choice(kinds)
            if kind == "intake" and not client["intake"]:
                kind = "list"
            if kind == "talk" and not client["in_care"]:
                kind = "search"
            if kind == "person" and not client["people"]:
                kind = "home"
            method, path, body, marker = _request(kind, client, rng)
            headers = {"Cookie": client["cookie"]}
            if body is not None:
                headers.update({"Authorization": f"Bearer {client['token']}", "Content-Type": "application/json"})
            t0 = time.monotonic()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            elapsed = (time.monotonic() - t0) * 1000
            with lock:
                if status == 201 and marker:
                    acknowledged.append((kind, marker))
                if t0 >= measure_from:
                    results.append((kind, elapsed, status))

    threads = [threading.Thread(target=client_loop, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, acknowledged


def _request(kind: str, client: dict, rng: random.Random):
    if kind == "list":
        return "GET", "/people/", None, None
    if kind == "person":
        return "GET", f"/people/{rng.choice(client['people'])}/", None, None
    if kind == "search":
        from urllib.parse import quote

        return "GET", f"/people/?q={quote(rng.choice(SURNAMES))}", None, None
    if kind == "home":
        return "GET", "/", None, None
    marker = uuid.uuid4().hex[:12]
    if kind == "intake":
        body = {"channel": "walk_in", "person": {"name": f"负载{marker}", "sex": rng.choice(["男", "女"])},
                "answers": {"reason": "no_work", "cannot_pay": True, "no_relatives": True, "not_on_subsistence": True,
                            "living_by_vagrancy": True, "decision": "eligible"}}
        return "POST", "/api/v1/intake/requests", json.dumps(body, ensure_ascii=False).encode(), marker
    body = {"held_at": datetime.datetime.now(datetime.UTC).isoformat(), "content": f"负载测试谈话 {marker}"}
    person = rng.choice(client["in_care"])
    return "POST", f"/api/v1/tracing/people/{person}/talks", json.dumps(body, ensure_ascii=False).encode(), marker


def _lost_writes(acknowledged: list[tuple[str, str]]) -> int:
    from people.models import Person
    from tracing.models import Talk

    intake = {m for k, m in acknowledged if k == "intake"}
    talks = {m for k, m in acknowledged if k == "talk"}
    found_people = {n[2:] for n in Person.objects.filter(name__startswith="负载").values_list("name", flat=True)}
    found_talks = {c.rsplit(" ", 1)[-1] for c in Talk.objects.filter(content__startswith="负载测试谈话")
                   .values_list("content", flat=True)}
    return len(intake - found_people) + len(talks - found_talks)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else 0.0


def _report(args, results, acknowledged, lost, load) -> None:
    ok = [r for r in results if 200 <= r[2] < 400]
    errors = collections.Counter(r[2] for r in results if not 200 <= r[2] < 400)
    print(f"\nMachine: {platform.node()} · {os.cpu_count()} cores · PostgreSQL · {datetime.date.today():%Y-%m-%d} · "
          f"load (1/5/15 min) at the end {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")
    print(f"gunicorn gthread {args.workers} workers × {args.threads} threads; {args.clients} clients; "
          f"{args.seconds} s measured after {args.warmup} s warm-up\n")
    print("| kind | requests | median ms | p95 ms | p99 ms | errors |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind, _ in MIX:
        rows = [r for r in results if r[0] == kind]
        times = [r[1] for r in rows]
        bad = sum(1 for r in rows if not 200 <= r[2] < 400)
        if rows:
            print(f"| {kind} | {len(rows):,} | {statistics.median(times):.0f} | {_pct(times, 0.95):.0f} | "
                  f"{_pct(times, 0.99):.0f} | {bad} |")
    times = [r[1] for r in results]
    print(f"| **all** | {len(results):,} | {statistics.median(times):.0f} | {_pct(times, 0.95):.0f} | "
          f"{_pct(times, 0.99):.0f} | {sum(errors.values())} |")
    print(f"\n**{len(ok) / args.seconds:.1f} requests/s** answered without error; errors by status: "
          f"{dict(errors) or 'none'}; acknowledged writes {len(acknowledged):,}, lost writes **{lost}**")


if __name__ == "__main__":
    main()
