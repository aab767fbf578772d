"""Deadlines owned by the oversight app (declarations only; the engine is deadlines/registry.py)."""

from django.urls import reverse

from core.models import STATION_KINDS, OrgKind, Role
from deadlines.calendar_math import Period
from deadlines.registry import DeadlineRule, Due, Fulfilment, Recurrence, Stop, Unit
from oversight.access import INSPECTED_KINDS
from oversight.models import Hazard, Opinion, PanelMeeting, PanelMembership

RULES = [
    # rule O3: every hazard is fixed by its own deadline (the whole deadline day counts); submitting the fix for
    # acceptance fulfils it, a refused acceptance undoes that (the hazard goes back to 整改中).
    DeadlineRule(
        id="O3",
        title="隐患按期整改（隐患台账）",
        source="001, 004",
        subjects=lambda as_of: Hazard.objects.all(),
        start="deadline",
        start_is_date=True,
        organisation="organisation",
        role=Role.HEAD,
        due=Due(0, Unit.DAYS),
        fulfilment=Fulfilment(
            records=lambda: Hazard.objects.all(), link="pk", at="rectified_at", what="完成整改并提交验收"
        ),
        stops=(Stop("已销号", path="closed_at"),),
        person=None,
        org_kinds=INSPECTED_KINDS,
        label=lambda h: f"隐患 {h.number}：{h.description[:30]}",
        link=lambda h: reverse("oversight:hazard", args=[h.uuid]),
        select_related=("organisation",),
        note="整改期限由检查人确定（默认见 GUITU_RULES['O3_HAZARD_DAYS']），期限当日24时前提交验收为按时。",
    ),
]


def _panel_stations(as_of):
    from core.models import STATION_KINDS, Organisation

    return Organisation.objects.filter(
        kind__in=STATION_KINDS, pk__in=PanelMembership.objects.values("station_id")
    )


RULES += [
    # rule O2: the panel meets at least every half-year (the station convenes it with the panel).
    DeadlineRule(
        id="O2M",
        title="监督组至少每半年召开一次会议",
        source="003",
        subjects=_panel_stations,
        start="created_at",
        organisation="id",
        role=Role.HEAD,
        due=Due(0, Unit.DAYS),
        recurrence=Recurrence(Period.HALF_YEAR, count=1),
        fulfilment=Fulfilment(
            records=lambda: PanelMeeting.objects.all(),
            link="station",
            at="held_at",
            what="召开监督组会议并记录纪要",
        ),
        person=None,
        label=lambda station: f"{station.name} 监督组半年会议",
        link=lambda station: reverse("oversight:panel", args=[station.uuid]),
    ),
    # rule O2: each opinion of the panel is answered by the station with measures and a date.
    DeadlineRule(
        id="O2A",
        title="答复监督组意见（整改措施和完成日期）",
        source="003",
        subjects=lambda as_of: Opinion.objects.all(),
        start="raised_at",
        organisation="station",
        role=Role.HEAD,
        due=Due(15, Unit.DAYS),
        setting="O2_ANSWER_DAYS",
        fulfilment=Fulfilment(
            records=lambda: Opinion.objects.all(), link="pk", at="answered_at", what="答复监督组意见"
        ),
        person=None,
        label=lambda o: f"监督组意见 {o.number}：{o.text[:30]}",
        link=lambda o: reverse("oversight:opinion", args=[o.uuid]),
        select_related=("station",),
    ),
    # rule O2: one-year terms — on the last day of a term the department renews it or records the departure.
    DeadlineRule(
        id="O2T",
        title="监督员任期届满：续聘或办理离任",
        source="003",
        subjects=lambda as_of: PanelMembership.objects.all(),
        start="term_end",
        start_is_date=True,
        organisation="station__supervisor",
        role=Role.SUPERVISOR,
        due=Due(0, Unit.DAYS),
        fulfilment=Fulfilment(
            records=lambda: PanelMembership.objects.all(),
            link="pk",
            at="ended_on",
            at_is_date=True,
            what="续聘或办理离任",
        ),
        person=None,
        org_kinds=(OrgKind.CIVIL_AFFAIRS,),
        label=lambda m: f"{m.station.display_short}监督员 {m.member} 任期届满（{m.term_end:%Y-%m-%d}）",
        link=lambda m: reverse("oversight:panel", args=[m.station.uuid]),
        select_related=("station", "station__supervisor", "member"),
    ),
]


def _leader_rule(rule_id: str, role: str, words: str) -> DeadlineRule:
    from oversight.models import LeaderAssignment, LeaderContact
    from oversight.services import leader_period

    return DeadlineRule(
        id=rule_id,
        title=f"领导定点联系：{words}",
        source="000, 003",
        subjects=lambda as_of: LeaderAssignment.objects.filter(leader_role=role),
        start="started_at",
        organisation="department",
        role=Role.SUPERVISOR,
        due=Due(0, Unit.DAYS),
        recurrence=Recurrence(leader_period(role), count=1),
        fulfilment=Fulfilment(
            records=lambda: LeaderContact.objects.all(),
            link="assignment",
            at="contacted_at",
            what="到联系机构听取汇报、实地察看、暗访或专题调研并记录",
        ),
        stops=(Stop("定点联系已结束", path="ended_at"),),
        person=None,
        org_kinds=(OrgKind.CIVIL_AFFAIRS,),
        label=lambda a: f"{a.leader}（{a.get_leader_role_display()}）联系 {a.institution.name}",
        link=lambda a: reverse("oversight:assignment", args=[a.uuid]),
        select_related=("leader", "institution", "department"),
    )


# rule O1: main leader at least every half-year, deputies every quarter, section heads every month (settings).
RULES += [
    _leader_rule("O1M", "main", "主要领导每半年至少一次"),
    _leader_rule("O1D", "deputy", "分管领导每季度至少一次"),
    _leader_rule("O1S", "section", "科室负责人每月至少一次"),
]


def _assessments(as_of):
    from oversight.models import Assessment

    return Assessment.objects.all()


# rule O5: each station submits its self-assessment by the day of the year set when the round opens
# (GUITU_RULES["O5_SELF_DUE"], default 10-31); a self-assessment sent back by the evaluator counts again.
# Rectifying the shortfalls is the O3 rule of the hazards the conclusion opens.
RULES += [
    DeadlineRule(
        id="O5",
        title="考核评价：按期提交自评",
        source="000",
        subjects=_assessments,
        start="self_due_on",
        start_is_date=True,
        organisation="station",
        role=Role.HEAD,
        due=Due(0, Unit.DAYS),
        fulfilment=Fulfilment(
            records=lambda: _assessments(None), link="pk", at="self_submitted_at", what="对照考核指标自评并提交"
        ),
        person=None,
        org_kinds=STATION_KINDS,
        label=lambda a: f"{a.year}年度考核自评（{a.number}）",
        link=lambda a: reverse("oversight:assessment", args=[a.uuid]),
        select_related=("station",),
        note="自评截止日期在发起考核时确定（默认每年 GUITU_RULES['O5_SELF_DUE']），截止日24时前提交为按时；退回的自评须重新提交。",
    ),
]
