"""The demo city's outside care (issue 11, rules C4, C5, C6): an agreement of every station with 福康托养
(signed before anyone is placed), weekly visits to the facility and the hospital, the hospital's and the
facility's own reports, a staff member posted at the facility holding the most people, the panel's mid-year
inspection, and a bring-back batch half carried out. Everything goes through the services at its own moment."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from outsidecare import services
from outsidecare.models import Agreement, FacilityType
from outsidecare.testing import PDF
from stay.models import Placement, PlacementKind

D = datetime.timedelta(days=1)
#: station key → agreed capacity at 福康托养 (the city station's is over 30: staff posted there, rule C5)
CAPACITY = {"city": 60, "yd": 25, "lz": 20, "fg": 20}


def _head(ctx, key):
    from guitu.demo import _station_user

    return ctx.staff["zhanzhang"] if key == "city" else _station_user(ctx, ctx.orgs[key])


def seed_agreements(ctx) -> list[Agreement]:
    """One agreement per station with the demo facility, in force from 400 days ago for two years."""
    from guitu.demo import _do

    start = timezone.localtime(ctx.now - 400 * D).date()
    signed = []
    for key, capacity in CAPACITY.items():
        station = ctx.orgs[key]
        if Agreement.objects.filter(station=station, facility=ctx.orgs["care"]).exists():
            continue
        signed.append(_do(ctx.now - 402 * D, services.agreement_create, by=_head(ctx, key), station=station,
                          facility=ctx.orgs["care"], facility_type=FacilityType.WELFARE, signed_on=start - 2 * D,
                          valid_from=start, valid_to=start + 730 * D, capacity=capacity, fee="1800.00",
                          fee_note="含伙食、日常护理；医疗费用另计",
                          document=SimpleUploadedFile("协议.pdf", PDF, content_type="application/pdf")))
    return signed


def seed_outsidecare(ctx, *, stdout=None) -> None:
    """Visits, reports, a posting, the panel's inspection and a bring-back batch (idempotent per run)."""
    from guitu.demo import _do
    from oversight.models import Outcome
    from oversight.services import checklist_for, current_members

    rng = ctx.rng
    now = ctx.now
    care, hospital = ctx.orgs["care"], ctx.orgs["hospital"]
    doctor, nurse = ctx.staff.get("yiyuan"), ctx.staff.get("tuoyang")
    visits = 0
    for key in CAPACITY:
        station = ctx.orgs[key]
        visitor = _head(ctx, key)
        for place, kind in ((care, PlacementKind.OUTSIDE_CARE), (hospital, PlacementKind.HOSPITAL)):
            open_now = list(Placement.objects.filter(episode__station=station, organisation=place, kind=kind,
                                                     ended_at__isnull=True).select_related("episode__person"))
            if not open_now:
                continue
            for weeks_ago in (2, 1, 0):  # the last three weeks, one visit each (one week missed at a small station)
                at = now - (weeks_ago * 7 + rng.uniform(0.2, 2)) * D
                if key == "fg" and weeks_ago == 1:
                    continue
                rows = [{"placement": p, "care": rng.choice(["个人卫生整洁，按时服药", "饮食正常，床铺整洁"]),
                         "physical": rng.choice(["身体状况稳定", "血压偏高，已服药", "轻微咳嗽，已就诊"]),
                         "mental": rng.choice(["情绪平稳", "偶有焦虑，沟通后好转", "精神状况稳定"]),
                         "tracing": "继续比对走失报案，已更新寻亲公告" if kind == PlacementKind.HOSPITAL else ""}
                        for p in open_now if p.started_at < at]
                if not rows:
                    continue
                _do(at, services.visit_create, by=visitor, station=station, organisation=place, visited_at=at,
                    visitors=str(visitor), rows=rows,
                    safety="消防器材在有效期内，通道畅通，夜间有人值守" if kind == PlacementKind.OUTSIDE_CARE else
                    "病区陪护正常", safety_ok=True)
                visits += 1
            reporter = doctor if kind == PlacementKind.HOSPITAL else nurse
            if reporter is not None:
                for p in open_now[:4]:
                    at = max(now - rng.uniform(0.5, 4) * D, p.started_at + D / 4)
                    if at < now:
                        _do(at, services.condition_report_create, by=reporter, placement=p, reported_at=at,
                            condition=rng.choice(["病情稳定，继续治疗观察", "体温正常，饮食睡眠可",
                                                  "情绪稳定，能配合护理"]),
                            treatment="按医嘱治疗" if kind == PlacementKind.HOSPITAL else "日常生活照料")
        agreement = Agreement.objects.filter(station=station, facility=care).first()
        if agreement is None:
            continue
        if nurse is not None and services.open_count(agreement):
            month_end = timezone.localtime(now - 3 * D).date().replace(day=1) - D
            _do(now - 3 * D, services.facility_report_create, by=nurse, agreement=agreement,
                period_start=month_end.replace(day=1), period_end=month_end, headcount=services.open_count(agreement),
                care="按协议提供食宿和日常照料，每日两次查房", incidents="")
        if agreement.capacity > services.POSTING_THRESHOLD:
            carer = ctx.staff["zhaoliao"] if key == "city" else visitor
            _do(now - 60 * D, services.posting_start, by=_head(ctx, key), agreement=agreement, staff=carer,
                started_at=now - 60 * D, note="每周一至周五驻点")
    # the panel's inspection of the facility this half-year (rule C5), failed items into the hazard ledger
    city = Agreement.objects.filter(station=ctx.orgs["city"], facility=care).first()
    items = list(checklist_for(care))
    members = list(current_members(ctx.orgs["city"]))
    if city is not None and items and members:
        day = timezone.localtime(now).date()
        half_start = datetime.date(day.year, 1 if day.month <= 6 else 7, 1)
        at = max(timezone.make_aware(datetime.datetime.combine(half_start, datetime.time(10))), now - 20 * D)
        results = [{"item": i, "outcome": Outcome.PASS} for i in items]
        results[0] = {"item": items[0], "outcome": Outcome.FAIL, "note": "托养机构二楼灭火器压力不足"}
        _do(at, services.panel_inspection_create, by=members[0].member, agreement=city, members=members[:3],
            results=results, inspected_at=at, note="托养机构总体管理规范")
    # a bring-back batch: two people from the facility, one already back in a bed (rule C6)
    from stay.models import Zone
    from stay.selectors import free_beds

    station = ctx.orgs["city"]
    out = list(Placement.objects.filter(episode__station=station, organisation=care, ended_at__isnull=True,
                                        episode__person__sex="男").order_by("started_at")[:2])
    zone = Zone.objects.filter(station=station, name="男区").first()
    if len(out) == 2 and zone is not None:
        plan = _do(now - 2 * D, services.bringback_plan_create, by=ctx.staff["zhanzhang"], station=station,
                   planned_on=timezone.localtime(now).date(), transport="站内面包车（粤R·J1234）", escort="何桂英",
                   zone=zone, placements=out, note="站内床位已腾出，分批接回")
        bed = free_beds(station=station).filter(zone=zone).first()
        if bed is not None:
            try:
                with transaction.atomic():  # a minor would need a reason for the men's zone: then leave it planned
                    _do(now - D / 2, services.bringback_carry_out, by=ctx.staff["zhaoliao"], item=plan.items.first(),
                        bed=bed, at=now - D / 2)
            except ValidationError:
                pass
    if stdout:
        stdout.write(f"  站外托养：{Agreement.objects.count()} 份协议、{visits} 次探访")
