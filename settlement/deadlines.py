"""Deadlines owned by the settlement app's records (declarations only; the engine is deadlines/registry.py).

S1 is the one definition of "stranded more than 3 months with identity unknown": the deadline inbox, the
episode page's settlement panel (``settlement.selectors.s1_status``) and the refusal of an early application
(``settlement.services.s1_threshold``) all read this rule, including an administrator's stricter setting.
"""

from django.urls import reverse

from core.models import OrgKind, Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Stop, Unit, identified_stop, left_stop
from people.models import Episode
from settlement.models import SettlementCase, SettlementStep, StepKind


def _episode_label(episode) -> str:
    return f"{episode.person.name}（{episode.number}）"


def _case_label(case) -> str:
    return f"{case.person.name}（{case.number}，{case.station.name}）"


def _case_link(case) -> str:
    return reverse("settlement:detail", args=[case.uuid])


def _cases(as_of):
    return SettlementCase.objects.all()


ENDED_STOP = Stop("落户安置已结束（撤回、未获批准或结案）", path="ended_at")


def _case_step(rule_id: str, title: str, *, start: str, org: str, role: str, days: int, setting: str, done: str,
               what: str, stops: tuple = (), link=_case_link) -> DeadlineRule:
    """A step of a case due some days after the previous step's date, met by its own date on the case."""
    return DeadlineRule(
        id=rule_id, title=title, source="000、001、004", subjects=_cases, start=start, start_is_date=True,
        organisation=org, role=role, due=Due(days, Unit.DAYS), setting=setting,
        fulfilment=Fulfilment(records=lambda: SettlementCase.objects.all(), link="pk", at=done, at_is_date=True,
                              what=what),
        stops=(ENDED_STOP, *stops), label=_case_label, link=link, select_related=("person", "station", org))

RULES = [
    # rule S1: identity still unknown after 3 months in care → the station applies to its civil-affairs
    # department for settlement; the application (its dated step) fulfils it.
    DeadlineRule(
        id="S1",
        title="身份不明滞留满3个月：向民政部门申请落户安置",
        source="000、001、004",
        subjects=lambda as_of: Episode.objects.all(),
        start="admitted_at",
        organisation="station",
        role=Role.HEAD,
        due=Due(3, Unit.MONTHS),
        setting="S1_MONTHS",
        fulfilment=Fulfilment(records=lambda: SettlementStep.objects.filter(kind=StepKind.APPLICATION),
                              link="case__episode", at="on", at_is_date=True,
                              what="向主管民政部门提出落户安置申请（规则S1）"),
        stops=(left_stop(), identified_stop()),
        label=_episode_label,
        link=lambda ep: reverse("settlement:apply", args=[ep.uuid]),
        select_related=("person", "station"),
        note="向主管民政部门提出落户安置申请（民政部门拟定安置方案报同级人民政府，安置到福利机构）；"
             "本事项在此人身份查明或离站时结束。",
    ),
    # rule S1 (the department's part): the plan drafted and submitted to the government at its level …
    _case_step("S1P", "拟定安置方案：落户安置申请后，民政部门拟定方案报同级人民政府", start="applied_on", org="department",
               role=Role.SUPERVISOR, days=30, setting="S1_PLAN_DAYS", done="plan_on", what="拟定安置方案并报同级人民政府"),
    # … and followed up until the government decides …
    _case_step("S1A", "跟进政府批复：安置方案报送后，跟进同级人民政府批复", start="plan_on", org="department", role=Role.SUPERVISOR, days=60,
               setting="S1_APPROVAL_DAYS", done="decided_on", what="登记政府批复（批准或未批准）"),
    # … then the station places the approved person in the welfare institution.
    _case_step("S1I", "安置到福利机构：落户安置批准后办理安置", start="approved_on", org="station", role=Role.HEAD, days=30,
               setting="S1_PLACEMENT_DAYS", done="placed_on", what="办理安置（离站：安置）",
               stops=(Stop("身份已查明", path="identified_at"),),
               link=lambda case: reverse("settlement:place", args=[case.uuid])),
    # rule S4: a settled person's identity confirmed → the police cancel the duplicate household registration.
    DeadlineRule(
        id="S4",
        title="注销重复户口：落户人员身份查明后，公安机关注销重复户口",
        source="001",
        subjects=_cases,
        start="cancellation_requested_at",
        organisation="police",
        role=Role.POLICE,
        org_kinds=(OrgKind.POLICE,),
        escalate="station",
        due=Due(30, Unit.DAYS),
        setting="S4_CANCEL_DAYS",
        fulfilment=Fulfilment(records=lambda: SettlementCase.objects.all(), link="pk", at="cancelled_on",
                              at_is_date=True, what="注销重复户口并登记"),
        label=_case_label,
        link=lambda case: reverse("settlement:cancel_hukou", args=[case.uuid]),
        select_related=("person", "station", "police"),
    ),
]
