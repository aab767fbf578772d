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
from django.utils import timezone

from core.models import Organisation, User
from oversight import services as oversight
from oversight.models import (
    ChecklistItem,
    LeaderAssignment,
    Outcome,
    PanelMeeting,
    PanelMembership,
    PanelRole,
    RiskCategory,
)

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
    seed_panel_work(orgs, staff, now)
    seed_leaders(orgs, staff, now)
    counts.update(seed_assessments(orgs, staff, now))
    if stdout:
        stdout.write(
            f"  风险防控：{len(CHECKLIST)} 项清单，{counts['inspections']} 次检查，"
            f"{counts['hazards']} 项隐患（已销号 {counts['closed']} 项）"
        )
        if counts.get("assessments"):
            stdout.write(
                f"  考核评价：{counts['assessments']} 项已办结考核，{counts['assessment_hazards']} 项问题录入隐患台账"
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


# --- the supervision panels (rules O2, E3) -------------------------------------------------------------------

#: username, name, role on the panel, profession, care professional, employer
PANEL_PEOPLE = (
    ("jiandu", "谢文静", PanelRole.LEADER, "律师", False, "广东清正律师事务所"),
    ("jiandu_zhong", "钟国平", PanelRole.DEPUTY, "执业医师", True, "清远市人民医院"),
    ("jiandu_he", "何丽华", PanelRole.MEMBER, "社会工作者", False, "清远市阳光社会工作服务中心"),
    ("jiandu_lin", "林志强", PanelRole.MEMBER, "人大代表", False, "清城区东城街道居委会"),
)


def seed_panels(
    orgs: dict[str, Organisation], staff: dict[str, User], now: datetime.datetime, *, stdout=None
) -> int:
    """A panel for every station: four members appointed 600 days ago and renewed once (so every demo
    departure of a minor finds two witnesses in term), and at the city station a fifth whose term ends soon."""
    from core.demo import DEMO_PASSWORD
    from core.models import Role, UserRole
    from guitu.demo import _do

    if PanelMembership.objects.exists():
        return 0
    people = []
    for username, name, role, profession, care, employer in PANEL_PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username, password=DEMO_PASSWORD, full_name=name, organisation=orgs["panel"]
            )
            UserRole.objects.create(user=user, role=Role.PANEL)
        people.append((user, role, profession, care, employer))
    supervisor = staff["jianguan"]
    start = (now - 600 * D).date()
    created = 0
    for key in ("city", "yd", "lz", "fg"):
        station = orgs[key]
        for user, role, profession, care, employer in people:
            first = _do(
                now - 600 * D,
                oversight.panel_member_add,
                by=supervisor,
                station=station,
                member=user,
                panel_role=role,
                employer=employer,
                profession=profession,
                is_care_professional=care,
                term_start=start,
            )
            renew_at = datetime.datetime.combine(first.term_end, datetime.time(10), tzinfo=now.tzinfo)
            _do(renew_at, oversight.panel_member_renew, by=supervisor, membership=first)
            created += 2
    newcomer = User.objects.filter(username="jiandu_guo").first() or User.objects.create_user(
        username="jiandu_guo", password=DEMO_PASSWORD, full_name="郭敏", organisation=orgs["panel"]
    )
    _do(
        now - 350 * D,
        oversight.panel_member_add,
        by=supervisor,
        station=orgs["city"],
        member=newcomer,
        employer="清远日报社",
        profession="记者",
        term_start=(now - 350 * D).date(),
    )
    if stdout:
        stdout.write(f"  监督组：4 个救助机构，{created + 1} 个任期")
    return created + 1


def demo_witnesses(station: Organisation, at: datetime.datetime) -> dict:
    """Two panel members in term on the day (rule E3), for the demo's departures of minors."""
    members = list(oversight.current_members(station, timezone.localtime(at).date())[:2])
    if len(members) < 2:
        return {}
    return {"witness_1": str(members[0].uuid), "witness_2": str(members[1].uuid)}


def seed_panel_work(orgs: dict[str, Organisation], staff: dict[str, User], now: datetime.datetime) -> None:
    """Half-yearly meetings for the last year and the opinions they raised, answered and accepted (or not yet)."""
    from guitu.demo import _do

    if PanelMeeting.objects.exists() or not PanelMembership.objects.exists():
        return
    leader = User.objects.get(username="jiandu")
    heads = {"city": staff["zhanzhang"], "yd": staff["yd_zhanzhang"]}
    topics = [
        "听取上半年救助工作汇报，查看寻亲工作月报和隐患台账",
        "实地察看站内照料区和托养机构，抽查未成年人交接记录",
    ]
    notes = {
        "city": ["女区夜间值班人员不足，建议增加1名女性值班员", "滞留超过3个月的3名人员尚未提出安置申请"],
        "yd": ["寻亲公告发布渠道单一，建议增加头条寻人", "厨房留样柜温度记录不全"],
    }
    for key in ("city", "yd", "lz", "fg"):
        station = orgs[key]
        for n, days_ago in enumerate((330, 150)):
            at = now - days_ago * D
            members = list(oversight.current_members(station, timezone.localtime(at).date())[:3])
            meeting = _do(
                at,
                oversight.meeting_create,
                by=leader,
                station=station,
                held_at=at,
                topic=topics[n],
                minutes=f"{topics[n]}。出席成员一致认为工作总体规范，提出意见如下。",
                attendees=members,
            )
            for text in notes.get(key, [])[n : n + 1]:
                opinion = _do(
                    at,
                    oversight.opinion_create,
                    by=leader,
                    station=station,
                    text=text,
                    meeting=meeting,
                    raised_at=at,
                )
                head = heads[key]
                if days_ago > 200:
                    _do(
                        at + 10 * D,
                        oversight.opinion_answer,
                        by=head,
                        opinion=opinion,
                        measures="已制定整改方案，落实到人",
                        measures_due=(at + 40 * D).date(),
                    )
                    _do(
                        at + 45 * D,
                        oversight.opinion_decide,
                        by=leader,
                        opinion=opinion,
                        accept=True,
                        note="整改到位，予以认可",
                    )


# --- the leader contact system (rule O1) ----------------------------------------------------------------------

LEADERS = (
    ("juzhang", "周振华", "main", "city", 182),
    ("fujuzhang", "黄丽萍", "deputy", "yd", 91),
    ("fujuzhang2", "邓永明", "deputy", "lz", 91),
    ("kezhang", "刘志远", "section", "care", 30),
)
PROBLEMS = (
    "夜间值班人员不足",
    "寻亲公告发布不及时",
    "托养人员个人档案不全",
    "消防通道堆放杂物",
    "未成年人单独照料区未落实",
    "",
)


def seed_leaders(
    orgs: dict[str, Organisation], staff: dict[str, User], now: datetime.datetime, *, seed_value: int = 13
) -> int:
    """The bureau's leaders assigned by role, a year of contacts at their frequency, follow-ups mostly closed."""
    from core.demo import DEMO_PASSWORD
    from core.models import Role, UserRole
    from guitu.demo import _do

    if LeaderAssignment.objects.exists():
        return 0
    rng = random.Random(seed_value)
    methods = ["report", "site", "unannounced", "thematic"]
    count = 0
    for username, name, role, key, every in LEADERS:
        leader = User.objects.filter(username=username).first()
        if leader is None:
            leader = User.objects.create_user(
                username=username, password=DEMO_PASSWORD, full_name=name, organisation=orgs["bureau"]
            )
            UserRole.objects.create(user=leader, role=Role.SUPERVISOR)
        start = now - 380 * D
        assignment = _do(
            start,
            oversight.leader_assign,
            by=staff["jianguan"],
            leader=leader,
            leader_role=role,
            institution=orgs[key],
            started_at=start,
        )
        day = start + rng.randint(5, 20) * D
        while day < now - 3 * D:
            at = day.replace(hour=rng.randint(9, 16), minute=0, second=0, microsecond=0)
            problem = rng.choice(PROBLEMS)
            items = [{"text": f"整改：{problem}", "due_on": (at + 20 * D).date()}] if problem else []
            contact = _do(
                at,
                oversight.contact_record,
                by=leader,
                assignment=assignment,
                contacted_at=at,
                method=rng.choice(methods),
                problems=problem,
                follow_up="责成站长限期整改并报告" if problem else "",
                items=items,
            )
            for item in contact.items.all():
                done = at + rng.randint(5, 25) * D
                if done < now - D:
                    _do(done, oversight.followup_close, by=leader, item=item, note="已整改到位，复查合格")
            count += 1
            day += (every - rng.randint(0, 10)) * D
    return count


# --- assessment (考核评价, rule O5) -----------------------------------------------------------------------------

#: category, indicator, scoring guidance, weight (Σ = 100); every indicator scores 0–10 and passes at 8
#: (安全管理 only at full marks).
INDICATORS = (
    ("机构管理", "规章制度健全，岗位职责明确并公示", "查阅制度汇编，现场查看公示；缺一项扣2分", 10),
    ("机构管理", "工作人员每月业务培训不少于一次", "查阅培训记录；少一次扣1分", 8),
    ("接待服务", "24小时接待，求助登记、甄别问询规范", "抽查20份登记；不规范一份扣0.5分", 12),
    ("接待服务", "入站安全检查和物品代管记录完整", "抽查记录和代管物品", 8),
    ("站内服务", "一人一档，档案完整规范", "抽查20份档案；缺项一份扣0.5分", 10),
    ("站内服务", "男女分区、未成年人单独照料", "现场查看", 8),
    ("寻亲服务", "24小时内发布寻亲公告，身份不明人员DNA采集率100%", "查阅寻亲台账和DNA送检记录", 12),
    ("离站服务", "返乡护送、接领交接手续完备", "抽查离站记录和交接单", 8),
    ("安全管理", "对照风险防控清单检查，隐患整改销号", "查阅检查记录和隐患台账；有逾期隐患不得分", 10),
    ("托养监管", "托养机构每周探访，托养协议在有效期内", "查阅探访记录和协议", 8),
    ("源头治理", "返乡人员一年内回访率不低于50%，未成年人100%", "查阅回访台账", 6),
)
#: The city station's year: (self score, evaluation score, evaluator's remark) per indicator.
CITY_SCORES = (
    (10, 10, ""),
    (9, 9, "8月培训未开展"),
    (10, 9.5, "2份登记问询记录不全"),
    (10, 10, ""),
    (9.5, 9, "3份档案缺照片"),
    (10, 10, ""),
    (9, 6, "5名身份不明人员未采集DNA，采集率83%"),
    (10, 10, ""),
    (10, 10, ""),
    (9, 8.5, "探访记录缺两周"),
    (8, 7, "返乡人员回访率42%，低于50%"),
)


def _indicator_set(bureau, supervisor, year: int, at: datetime.datetime):
    from guitu.demo import _do

    indicator_set = _do(
        at,
        oversight.indicator_set_create,
        by=supervisor,
        department=bureau,
        year=year,
        title="救助管理机构年度考核评价指标",
    )
    for n, (category, text, guidance, weight) in enumerate(INDICATORS):
        _do(
            at,
            oversight.indicator_create,
            by=supervisor,
            indicator_set=indicator_set,
            category=category,
            text=text,
            guidance=guidance,
            max_score=10,
            weight=weight,
            threshold=10 if category == "安全管理" else 8,
            order=n,
        )
    return indicator_set


def seed_assessments(orgs: dict[str, Organisation], staff: dict[str, User], now: datetime.datetime) -> dict:
    """Last year's indicators and the city station's concluded assessment — self-assessed, evaluated by the
    third-party panel organisation, concluded by the bureau — whose two shortfalls became hazards (one fixed,
    accepted by another person and closed; one waiting for acceptance); this year's indicators and the county
    station's open self-assessment (rule O5)."""
    from guitu.demo import _do
    from oversight.models import IndicatorSet

    bureau, supervisor = orgs["bureau"], staff["jianguan"]
    if IndicatorSet.objects.filter(department=bureau).exists():
        return {}
    last = now.year - 1
    tz = timezone.get_current_timezone()

    def at(month, day, hour=10):
        return datetime.datetime(last, month, day, hour, tzinfo=tz)

    _indicator_set(bureau, supervisor, last, at(1, 10))
    city, head, evaluator = orgs["city"], staff["zhanzhang"], User.objects.get(username="jiandu")
    assessment = _do(
        at(9, 1),
        oversight.assessment_open,
        by=supervisor,
        station=city,
        year=last,
        evaluator_org=orgs["panel"],
        self_due_on=datetime.date(last, 10, 31),
    )
    rows = list(assessment.scores.select_related("indicator").order_by("indicator__order"))
    self_scores = {
        r.indicator.pk: {"score": s, "remark": "对照指标逐项自查，资料齐全"} for r, (s, _, _) in zip(rows, CITY_SCORES, strict=True)
    }
    eval_scores = {r.indicator.pk: {"score": e, "remark": note} for r, (_, e, note) in zip(rows, CITY_SCORES, strict=True)}
    _do(at(10, 20), oversight.self_assessment_save, by=head, assessment=assessment, scores=self_scores,
        summary="全年救助管理工作规范有序，寻亲和回访工作仍有差距。", submit=True)
    _do(at(11, 25), oversight.evaluation_save, by=evaluator, assessment=assessment, scores=eval_scores,
        summary="总体良好；DNA采集和返乡回访未达标，须限期整改。", submit=True)
    _do(at(12, 10), oversight.assessment_conclude, by=supervisor, assessment=assessment,
        conclusion="年度考核良好；寻亲DNA采集、返乡回访两项列入整改。", grade="good",
        deadline=datetime.date(last, 12, 31))
    hazards = [r.hazard for r in assessment.scores.select_related("hazard") if r.hazard_id]
    fixers = (staff["xunqin"], staff["zhaoliao"])
    for n, hazard in enumerate(hazards):
        fixer = fixers[n % 2]
        _do(at(12, 12), oversight.hazard_plan, by=fixer, hazard=hazard,
            measures="逐人补采DNA并送检；建立回访提醒" if n == 0 else "按台账逐户电话和上门回访", responsible=str(fixer))
        _do(at(12, 28), oversight.hazard_submit, by=fixer, hazard=hazard, rectification="已按措施整改，资料附后",
            at=at(12, 28))
        if n == 0:  # accepted by the head (not the fixer) and closed; the other waits for acceptance
            _do(at(12, 30), oversight.hazard_accept, by=head, hazard=hazard, note="复查合格")
            _do(at(12, 31), oversight.hazard_close, by=supervisor, hazard=hazard, note="整改到位，销号")
    this_year = datetime.datetime(now.year, 1, 8, 10, tzinfo=tz)
    if this_year < now:
        _indicator_set(bureau, supervisor, now.year, this_year)
        opened = max(this_year + datetime.timedelta(hours=1), min(now - D, datetime.datetime(now.year, 9, 1, 10, tzinfo=tz)))
        _do(min(opened, now), oversight.assessment_open, by=supervisor, station=orgs["yd"], year=now.year,
            evaluator_org=orgs["panel"])
    return {"assessments": 1, "assessment_hazards": len(hazards)}
