"""Deadlines at scale: a station inbox with 2,000 open episodes, a province dashboard over 200,000.

Usage (SQLite file by default; set DATABASE_URL for PostgreSQL):
    .venv/bin/python bench/deadlines_bench.py [--stations 100] [--per-station 2000] [--db /tmp/guitu-deadlines.sqlite3] [--reuse]

Builds a province: one provincial civil-affairs department, city departments, and ``--stations`` stations
each holding ``--per-station`` people in care (admitted over the last 120 days, 60 % unidentified), with the
records that fulfil the deadlines for part of them (identity checks, announcements, DNA requests, talks,
N5 reasons) and an audit trail of identity status. Bench data is bulk-inserted (the application writes
through services). Then times, as the pages compute them:
- the station inbox of a 站长 (every rule) and of a 寻亲员, over the 2,000 open episodes of one station;
- the province dashboard (overdue by station and rule + on-time rates for 3 months) over all episodes.
Prints a Markdown table for docs/benchmarks.md.
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
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--per-station", type=int, default=2000)
    parser.add_argument("--db", default="/tmp/guitu-deadlines.sqlite3")
    parser.add_argument("--repeat", type=int, default=7)
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
    from core.models import User
    from people.models import Episode

    if not Episode.objects.filter(number__startswith="DB-").exists():
        t0 = time.perf_counter()
        fill(args.stations, args.per_station)
        print(f"filled {Episode.objects.count():,} episodes in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        from django.db import connection

        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")


    from django.utils import timezone

    from core.scoping import visible_org_ids
    from deadlines import selectors
    from deadlines.services import snapshot_take

    t0 = time.perf_counter()
    snap = snapshot_take()
    scan_ms = (time.perf_counter() - t0) * 1000
    head = User.objects.get(username="bench_head")
    tracer = User.objects.get(username="bench_tracer")
    province = User.objects.get(username="bench_province")
    cases = [
        ("站长 · 待办（全部规则，selector）", lambda: selectors.inbox(user=head)),
        ("寻亲员 · 待办（selector）", lambda: selectors.inbox(user=tracer)),
        ("站长 · GET /deadlines/", page(head, "/deadlines/")),
        ("寻亲员 · GET /deadlines/", page(tracer, "/deadlines/")),
        ("省厅 · 逾期按机构与规则（selector）", lambda: selectors.overview(user=province)),
        ("省厅 · 按时完成率 3 个月（selector）", lambda: selectors.on_time_rates(user=province, months=3)),
        ("省厅 · GET /deadlines/overview/（读最近一次扫描）", page(province, "/deadlines/overview/")),
        ("省厅 · 逾期按机构与规则，实时计算（selector, as_of=now）", lambda: selectors.overdue_table(
            org_ids=visible_org_ids(province), as_of=timezone.now())),
    ]
    rows = []
    for label, fn in cases:
        fn()  # warm-up
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        rows.append((label, statistics.median(times), times[-1]))
    from django.db import connection

    inbox = selectors.inbox(user=head)
    overview = selectors.overview(user=province)
    print(f"\nMachine: {platform.node()} · {os.cpu_count()} cores · {cpu_model()} · {connection.vendor} · "
          f"{datetime.date.today():%Y-%m-%d} · {Episode.objects.count():,} open episodes, "
          f"{args.per_station:,} at the measured station · load {os.getloadavg()[0]:.2f}\n")
    print(f"CPU calibration: a 3,000,000-step Python loop took {calibrate():.0f} ms (≈150 ms on an idle core of this "
          f"machine; more means the cores were shared)\n")
    print(f"Station inbox counts: {inbox['counts']}; province overdue items: {overview['grand_total']:,}\n")
    print("| case | median ms | max ms |\n| --- | ---: | ---: |")
    for label, median, worst in rows:
        print(f"| {label} | {median:.0f} | {worst:.0f} |")
    print(f"| 定时扫描 snapshot_take（全省，一次；新增逾期 {snap.new_items:,} 项） | {scan_ms:.0f} | |")


def calibrate() -> float:
    t0 = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i
    return (time.perf_counter() - t0) * 1000


def page(user, url):
    from django.test import Client

    client = Client()
    client.force_login(user)

    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return get


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def fill(n_stations: int, per_station: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from announcements.models import Announcement, AnnouncementStatus
    from core.models import AuditEntry, Division, Organisation, OrgKind, Role, User, UserRole
    from people.models import Episode, EpisodeTransition, IdentityStatus, Person
    from people.states import EpisodeStatus
    from stay.models import StayExtension
    from tracing.models import CheckStatus, DnaRequest, IdentityCheck, Talk

    rng = random.Random(20261122)
    now = timezone.now()
    counties = list(Division.objects.filter(level="county", code__startswith="44")[:n_stations])
    province = Organisation.objects.create(name="广东省民政厅（基准）", code="BGD", kind=OrgKind.CIVIL_AFFAIRS,
                                           division=Division.objects.get(code="440000"))
    police = Organisation.objects.create(name="省公安厅（基准）", code="BGA", kind=OrgKind.POLICE,
                                         division=Division.objects.get(code="440000"))
    cities: dict[str, Organisation] = {}
    stations = []
    for i, county in enumerate(counties):
        city_code = county.code[:4]
        if city_code not in cities:
            cities[city_code] = Organisation.objects.create(
                name=f"{city_code}民政局（基准）", code=f"BC{city_code}", kind=OrgKind.CIVIL_AFFAIRS,
                division=county.parent or county, supervisor=province)
        stations.append(Organisation.objects.create(name=f"{county.name}救助站（基准{i}）", code=f"BS{i:03d}",
                                                    kind=OrgKind.STATION, division=county,
                                                    supervisor=cities[city_code], short_name=f"站{i}"))

    def user(username, org, *roles):
        u = User.objects.create_user(username=username, password="bench-pass-1", organisation=org)
        for r in roles:
            UserRole.objects.create(user=u, role=r)
        return u

    head = user("bench_head", stations[0], Role.HEAD)
    user("bench_tracer", stations[0], Role.TRACER)
    user("bench_province", province, Role.SUPERVISOR)

    seq = 0
    for station in stations:
        people = []
        for _ in range(per_station):
            unidentified = rng.random() < 0.6
            people.append(Person(file_no=f"DB-{seq:07d}", name=f"基准{seq}", sex="男",
                                 birth_year_est=rng.randint(1945, 2005),
                                 identity_status=IdentityStatus.UNIDENTIFIED if unidentified else IdentityStatus.IDENTIFIED,
                                 registered_by=station, current_station=station))
            seq += 1
        with transaction.atomic():
            Person.objects.bulk_create(people, batch_size=1000)
            people = list(Person.objects.filter(registered_by=station).order_by("id"))
            episodes = []
            for p in people:
                admitted = now - datetime.timedelta(days=rng.uniform(0, 120))
                episodes.append(Episode(number=f"DB-{p.file_no}", person=p, station=station,
                                        status=EpisodeStatus.IN_STATION, channel="walk_in",
                                        requested_at=admitted - datetime.timedelta(hours=1), admitted_at=admitted,
                                        created_by=head, flag_repeat_requests=rng.random() < 0.03))
            Episode.objects.bulk_create(episodes, batch_size=1000)
            episodes = list(Episode.objects.filter(station=station).select_related("person").order_by("id"))
            EpisodeTransition.objects.bulk_create(
                [EpisodeTransition(episode=e, from_status="requested", to_status="admitted", at=e.admitted_at, by=head)
                 for e in episodes if not e.flag_repeat_requests], batch_size=1000)
            AuditEntry.objects.bulk_create(
                [AuditEntry(actor_name="基准", organisation=station, action="create", object_type="people.Person",
                            object_id=str(e.person.uuid), person_uuid=e.person.uuid, summary="建立人员档案",
                            changes={"identity_status": [None, e.person.identity_status]}) for e in episodes],
                batch_size=1000)
            checks, notices, dnas, talks, reasons = [], [], [], [], []
            for e in episodes:
                if e.person.identity_status == IdentityStatus.IDENTIFIED:
                    continue
                sent = e.admitted_at + datetime.timedelta(hours=rng.uniform(1, 40))
                if rng.random() < 0.7 and sent < now:
                    answered = sent + datetime.timedelta(hours=rng.uniform(2, 70))
                    answered = answered if answered < now and rng.random() < 0.8 else None
                    checks.append(IdentityCheck(number=f"DB-HC-{e.pk}", person=e.person, episode=e, station=station,
                                                police=police, status=CheckStatus.ANSWERED if answered else CheckStatus.SENT,
                                                sent_at=sent, answered_at=answered, created_by=head,
                                                result="not_found" if answered else ""))
                published = e.admitted_at + datetime.timedelta(hours=rng.uniform(1, 40))
                if rng.random() < 0.7 and published < now:
                    notices.append(Announcement(code=f"DB-A-{e.pk}", person=e.person, station=station,
                                                status=AnnouncementStatus.PUBLISHED, chosen=["sex"], sex="男",
                                                created_by=head, published_at=published, published_by=head))
                requested = e.admitted_at + datetime.timedelta(days=rng.uniform(1, 12))
                if rng.random() < 0.5 and requested < now:
                    sample = (requested + datetime.timedelta(days=2)).date()
                    dnas.append(DnaRequest(episode=e, police=police, requested_at=requested, created_by=head,
                                           sample_taken_on=sample if sample <= now.date() else None))
                if rng.random() < 0.5:
                    talks.append(Talk(episode=e, held_at=now - datetime.timedelta(hours=rng.uniform(1, 20)),
                                      content="基准谈话", by=head))
                if rng.random() < 0.5:
                    reasons.append(StayExtension(episode=e, reason="基准原因", recorded_by=head))
            IdentityCheck.objects.bulk_create(checks, batch_size=1000)
            Announcement.objects.bulk_create(notices, batch_size=1000)
            DnaRequest.objects.bulk_create(dnas, batch_size=1000)
            Talk.objects.bulk_create(talks, batch_size=1000)
            StayExtension.objects.bulk_create(reasons, batch_size=1000)


if __name__ == "__main__":
    main()
