"""The demo city's incidents (issue 10, rules X1, X2): the deaths and disappearances recorded at departure
(opened automatically) plus a year of injuries, a false claim, a storm and a negative news story — each
reported up the chain with dated receipts, handling logged, most closed by the department, a recent one
still open. Everything through the services at its own moment (``demo._do``)."""

from __future__ import annotations

import datetime
import random

from django.db import transaction

from core.models import Organisation, User
from incidents import services as incidents
from incidents.models import Incident, IncidentKind, ReportKind, Stage

H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)

EXTRA = (
    (
        "city",
        IncidentKind.INJURY,
        300,
        "受助人员在餐厅摔伤",
        "一名老年受助人员在餐厅滑倒，右手腕肿痛，已送市三院拍片，诊断为软组织挫伤。",
    ),
    (
        "yd",
        IncidentKind.FALSE_CLAIM,
        220,
        "受助人员被冒领",
        "一名自称其侄子的男子持伪造户口簿接领受助人员，次日家属来站，发现被冒领，已报警。",
    ),
    (
        "city",
        IncidentKind.EMERGENCY,
        150,
        "台风致宿舍漏水停电",
        "台风“海燕”过境，男区宿舍屋顶漏水、停电，24名受助人员紧急转移至活动室。",
    ),
    (
        "lz",
        IncidentKind.OPINION,
        90,
        "网络短视频质疑救助站拒收",
        "短视频平台出现“救助站拒收流浪老人”视频，阅读量约5万，经核实当事人未到站求助。",
    ),
    (
        "city",
        IncidentKind.INJURY,
        2,
        "受助人员之间发生推搡",
        "两名受助人员在活动室因看电视发生推搡，一人额头擦伤，已处置并分开安置。",
    ),
)


def seed_incidents(
    orgs: dict[str, Organisation],
    staff: dict[str, User],
    now: datetime.datetime,
    *,
    seed_value: int = 11,
    stdout=None,
) -> dict:
    """Extra incidents, and the reports, receipts, handling and closing of every incident; idempotent."""
    from guitu.demo import _do

    if Incident.objects.filter(auto_opened=False).exists():
        return {}
    rng = random.Random(seed_value)
    heads = {
        "city": staff["zhanzhang"],
        "yd": staff["yd_zhanzhang"],
        "lz": staff["lz_jiedai"],
        "fg": staff["fg_jiedai"],
    }
    for key, kind, days_ago, title, description in EXTRA:
        at = now - days_ago * D + rng.randint(0, 8) * H
        _do(
            at + 10 * datetime.timedelta(minutes=1),
            incidents.incident_create,
            by=heads[key],
            station=orgs[key],
            kind=kind,
            occurred_at=at,
            title=title,
            description=description,
        )
    by_station = {org.pk: heads[key] for key, org in orgs.items() if key in heads}
    counts = {"incidents": 0, "closed": 0}
    for incident in Incident.objects.select_related("station", "station__supervisor").order_by("occurred_at"):
        reporter = by_station.get(incident.station_id)
        if reporter is None:
            continue
        with transaction.atomic():
            counts["incidents"] += 1
            counts["closed"] += _work(rng, incident, reporter, staff, now)
    if stdout:
        stdout.write(f"  异常情况：{counts['incidents']} 起（已结案 {counts['closed']} 起）")
    return counts


def _work(rng, incident, reporter, staff, now) -> int:
    from guitu.demo import _do

    department_user = (
        staff["jianguan"] if incident.station.supervisor.code == "QYMZJ" else staff["yd_jianguan"]
    )
    if incident.station.supervisor.code not in ("QYMZJ", "YDMZJ"):
        department_user = None  # 连州、佛冈 bureaus have no demo login: their receipts stay open
    t = incident.occurred_at
    steps = [
        (
            t + rng.randint(15, 50) * datetime.timedelta(minutes=1),
            incidents.report_send,
            dict(
                by=reporter,
                incident=incident,
                stage=Stage.STATION,
                kind=ReportKind.FIRST,
                content=f"电话报告：{incident.description[:200]}",
            ),
        ),
        (
            t + rng.choice([6, 12, 20, 30]) * H,
            incidents.report_send,
            dict(
                by=reporter,
                incident=incident,
                stage=Stage.STATION,
                kind=ReportKind.WRITTEN,
                content=f"书面报告：{incident.description}",
            ),
        ),
        (
            t + 2 * H,
            incidents.handling_add,
            dict(by=reporter, incident=incident, text="已按预案处置，通知相关单位，持续跟进。"),
        ),
    ]
    done = 0
    for at, service, kwargs in steps:
        if at < now:
            kwargs["at" if service is incidents.handling_add else "sent_at"] = at
            _do(at, service, **kwargs)
    if department_user is None:
        return 0
    first = incident.reports.filter(stage=Stage.STATION, kind=ReportKind.FIRST).first()
    if first is None:
        return 0
    received = first.sent_at + rng.randint(3, 20) * datetime.timedelta(minutes=1)
    if received < now:
        _do(received, incidents.report_receive, by=department_user, report=first, received_at=received)
        gov = received + rng.randint(10, 50) * datetime.timedelta(minutes=1)
        if gov < now:
            name = "清远市人民政府" if department_user.username == "jianguan" else "英德市人民政府"
            _do(
                gov,
                incidents.report_send,
                by=department_user,
                incident=incident,
                stage=Stage.GOVERNMENT,
                kind=ReportKind.FIRST,
                content="电话报告政府值班室",
                recipient_name=name,
                sent_at=gov,
            )
            if incident.station.supervisor.supervisor_id:
                _do(
                    gov,
                    incidents.report_send,
                    by=department_user,
                    incident=incident,
                    stage=Stage.UPPER,
                    kind=ReportKind.FIRST,
                    content="电话报告上级民政部门",
                    sent_at=gov,
                )
    close_at = incident.occurred_at + rng.randint(5, 20) * D
    if close_at < now and incident.reports.filter(kind=ReportKind.WRITTEN).exists():
        _do(
            close_at,
            incidents.incident_close,
            by=department_user,
            incident=incident,
            note="事件已处置完毕，相关整改措施已落实，同意结案。",
        )
        done = 1
    return done
