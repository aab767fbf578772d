"""The demo city's oversight year (issue 10): the bureau's risk checklist, quarterly inspections of the four
stations and the outside-care facility, and the hazards they found — most fixed, accepted by someone else
and closed, some waiting for acceptance, a few overdue (rule O3).

Everything goes through the services at its own moment (``demo._do`` travels in time), so the ledger, the
deadline inbox and the on-time rates read true.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction

from core.models import Organisation, User
from oversight import services as oversight
from oversight.models import ChecklistItem, Outcome, RiskCategory

D = datetime.timedelta(days=1)

CHECKLIST = (
    (RiskCategory.FIRE, "灭火器、消防栓在有效期内并定点放置", "逐个查看压力表、有效期和放置位置"),
    (RiskCategory.FIRE, "消防通道和安全出口畅通，应急照明完好", "现场查看，试开应急照明"),
    (RiskCategory.FOOD, "三餐留样不少于125克、冷藏保存48小时", "查看留样柜温度和留样记录"),
    (RiskCategory.FOOD, "厨房从业人员持有效健康证", "核对健康证有效期"),
    (RiskCategory.MEDICAL, "初步检视记录完整，传染病疑似人员及时送诊", "抽查近一个月入站人员记录"),
    (RiskCategory.MEDICAL, "常用药品在有效期内、专人管理", "查看药品台账和有效期"),
    (RiskCategory.MISSING, "出入口门禁、视频监控正常并保存30天", "调阅监控回放"),
    (RiskCategory.MISSING, "夜间巡查记录完整（每2小时一次）", "查看巡查登记"),
    (RiskCategory.VIOLENCE, "男女分区、未成年人单独照料", "现场查看分区"),
    (RiskCategory.VIOLENCE, "受助人员投诉渠道公开、有处理记录", "查看公示和投诉登记"),
    (RiskCategory.FACILITIES, "电线线路无私拉乱接，电器使用规范", "现场查看宿舍和厨房"),
    (RiskCategory.FACILITIES, "床位、被褥清洁，房间通风良好", "抽查宿舍"),
    (RiskCategory.OUTSIDE_CARE, "托养机构每周探访记录完整", "查看探访记录（规则C5）"),
    (RiskCategory.OUTSIDE_CARE, "托养协议在有效期内", "核对协议"),
)

FINDINGS = {
    RiskCategory.FIRE: ["二楼走廊灭火器压力不足", "安全出口堆放杂物", "应急照明灯不亮"],
    RiskCategory.FOOD: ["留样柜温度显示8℃，超过标准", "1名厨工健康证过期", "留样记录缺3天"],
    RiskCategory.MEDICAL: ["2份初步检视记录未签字", "常用药品柜有过期药品"],
    RiskCategory.MISSING: ["后门门禁损坏", "监控录像只保存15天", "夜间巡查记录缺失"],
    RiskCategory.VIOLENCE: ["投诉箱未定期开启"],
    RiskCategory.FACILITIES: ["厨房插线板私拉乱接", "女区宿舍窗户无法打开通风"],
    RiskCategory.OUTSIDE_CARE: ["托养机构探访记录缺两周", "托养协议已过期未续签"],
}
MEASURES = {
    RiskCategory.FIRE: "立即更换/清理，并纳入每月消防检查",
    RiskCategory.FOOD: "维修设备，补全记录，相关人员复查",
    RiskCategory.MEDICAL: "补签记录，清理过期药品，建立效期登记",
    RiskCategory.MISSING: "维修门禁，延长存储，补齐巡查",
    RiskCategory.VIOLENCE: "指定专人每周开启并登记",
    RiskCategory.FACILITIES: "拆除私接线路，维修窗户",
    RiskCategory.OUTSIDE_CARE: "补齐探访，重新签订协议",
}


def seed_oversight(
    orgs: dict[str, Organisation],
    staff: dict[str, User],
    now: datetime.datetime,
    *,
    seed_value: int = 10,
    stdout=None,
) -> dict:
    """The checklist and a year of inspections and hazards; does nothing when the checklist exists."""
    from guitu.demo import _do

    bureau, supervisor = orgs["bureau"], staff["jianguan"]
    if ChecklistItem.objects.filter(organisation=bureau).exists():
        return {}
    rng = random.Random(seed_value)
    year_ago = now - 365 * D
    for n, (category, text, guidance) in enumerate(CHECKLIST):
        _do(
            year_ago,
            oversight.checklist_item_create,
            by=supervisor,
            organisation=bureau,
            category=category,
            text=text,
            guidance=guidance,
            order=n,
        )
    # Who inspects, who fixes and who accepts in each place (acceptance never by the fixer, rule O3).
    places = {
        "city": (staff["zhanzhang"], staff["zhaoliao"], staff["zhanzhang"]),
        "yd": (staff["yd_zhanzhang"], staff["yd_jiedai"], staff["yd_zhanzhang"]),
        "lz": (supervisor, staff["lz_jiedai"], supervisor),
        "fg": (supervisor, staff["fg_jiedai"], supervisor),
        "care": (supervisor, None, supervisor),
    }
    counts = {"inspections": 0, "hazards": 0, "closed": 0}
    for quarter in range(4):
        for key, (inspector, fixer, acceptor) in places.items():
            org = orgs[key]
            at = (
                year_ago
                + (quarter * 91 + rng.randint(5, 60)) * D
                + datetime.timedelta(hours=rng.randint(9, 16))
            )
            if at > now - D:
                continue
            with transaction.atomic():
                _inspection(rng, org, inspector, fixer, acceptor, at, now, counts)
    if stdout:
        stdout.write(
            f"  风险防控：{len(CHECKLIST)} 项清单，{counts['inspections']} 次检查，"
            f"{counts['hazards']} 项隐患（已销号 {counts['closed']} 项）"
        )
    return counts


def _inspection(rng, org, inspector, fixer, acceptor, at, now, counts) -> None:
    from guitu.demo import _do

    items = list(oversight.checklist_for(org))
    results = []
    for item in items:
        if item.category == RiskCategory.OUTSIDE_CARE and org.kind == "care_facility":
            results.append({"item": item, "outcome": Outcome.NA})
        elif rng.random() < 0.12:
            results.append(
                {
                    "item": item,
                    "outcome": Outcome.FAIL,
                    "note": rng.choice(FINDINGS[item.category]),
                    "deadline": (at + rng.choice([7, 10, 15, 30]) * D).date(),
                }
            )
        else:
            results.append({"item": item, "outcome": Outcome.PASS})
    inspection = _do(
        at,
        oversight.inspection_create,
        by=inspector,
        organisation=org,
        results=results,
        inspected_at=at,
        participants=str(inspector),
    )
    counts["inspections"] += 1
    for hazard in inspection.hazards.all():
        counts["hazards"] += 1
        if fixer is None:
            continue  # the facility fixes on paper; the hazard stays open in the ledger (some overdue)
        deadline_at = datetime.datetime.combine(hazard.deadline, datetime.time(17), tzinfo=at.tzinfo)
        plan_at = at + D
        if plan_at > now:
            continue
        _do(
            plan_at,
            oversight.hazard_plan,
            by=fixer,
            hazard=hazard,
            measures=MEASURES[hazard.category],
            responsible=str(fixer),
        )
        # Most are fixed in time, some late, the newest not yet.
        fixed_at = (
            deadline_at - rng.randint(0, 5) * D if rng.random() < 0.8 else deadline_at + rng.randint(1, 6) * D
        )
        if fixed_at > now - D or fixed_at < plan_at:
            continue
        _do(
            fixed_at,
            oversight.hazard_submit,
            by=fixer,
            hazard=hazard,
            rectification=f"已按措施整改：{MEASURES[hazard.category]}",
            at=fixed_at,
        )
        accept_at = fixed_at + rng.randint(1, 4) * D
        if accept_at > now:
            continue
        _do(accept_at, oversight.hazard_accept, by=acceptor, hazard=hazard, note="现场复查合格")
        close_at = accept_at + D
        if close_at > now:
            continue
        _do(close_at, oversight.hazard_close, by=acceptor, hazard=hazard, note="整改到位，销号")
        counts["closed"] += 1
