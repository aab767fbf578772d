"""Deadlines owned by the aftercare app (declarations only; the engine is deadlines/registry.py).

- A2 / A2m: every returnee is visited within a year of the return — minors all of them (A2m); for adults the
  rule asks at least 50 % of a station's returnees (``A2_MIN_SHARE_PERCENT``): the inbox lists everyone not
  yet visited, the rates page (/aftercare/rates/) says whether the station reaches the share.
- A3: a registered person is first visited within 2 months of registration; A3v: each visit is followed by
  the next within 2 months, until the year of visits (``visit_until``) is over or the person leaves the roster.
- A3w: the station acknowledges a renewed-wandering alert within 24 hours.
"""

from django.urls import reverse

from aftercare.models import FollowUpVisit, ReturnCase, RiskRegistration, RiskVisit, WanderingAlert
from core.models import Role
from deadlines.registry import DeadlineRule, Due, Fulfilment, Stop, Unit


def _case_label(case) -> str:
    return f"{case.person.name}（{case.station.display_short}送返）"


def _case_link(case) -> str:
    return reverse("aftercare:case", args=[case.uuid])


def _a2_fulfilment() -> Fulfilment:
    return Fulfilment(
        records=lambda: FollowUpVisit.objects.all(),
        link="case",
        at="visited_at",
        what="回访返乡人员并记录（规则A2）",
    )


_REG_SELECT = ("township", "station", "person")

RULES = [
    # rule A2: follow-up visits to people a station sent home — within one year, at least 50 % of them.
    DeadlineRule(
        id="A2",
        title="返乡人员一年内回访（成年人至少50%）",
        source="000",
        subjects=lambda as_of: ReturnCase.objects.filter(is_minor=False),
        start="returned_at",
        organisation="followup_org",
        role=Role.HEAD,
        due=Due(12, Unit.MONTHS),
        setting="A2_WINDOW_MONTHS",
        fulfilment=_a2_fulfilment(),
        label=_case_label,
        link=_case_link,
        select_related=("person", "station", "followup_org"),
        note="规则要求一年内回访不少于返乡人员的50%（比例见“回访率”页面）；此处列出每一位尚未回访的返乡人员。",
    ),
    # rule A2: … and 100 % of minors.
    DeadlineRule(
        id="A2m",
        title="返乡未成年人一年内必须回访（100%）",
        source="000",
        subjects=lambda as_of: ReturnCase.objects.filter(is_minor=True),
        start="returned_at",
        organisation="followup_org",
        role=Role.HEAD,
        due=Due(12, Unit.MONTHS),
        setting="A2_WINDOW_MONTHS",
        fulfilment=_a2_fulfilment(),
        label=_case_label,
        link=_case_link,
        select_related=("person", "station", "followup_org"),
    ),
    # rule A3: the township visits a registered person at least every 2 months — the first visit …
    DeadlineRule(
        id="A3",
        title="易流浪走失人员登记后2个月内首次走访",
        source="004",
        subjects=lambda as_of: RiskRegistration.objects.all(),
        start="registered_at",
        organisation="township",
        role=Role.HEAD,
        due=Due(2, Unit.MONTHS),
        setting="A3_VISIT_INTERVAL_MONTHS",
        fulfilment=Fulfilment(
            records=lambda: RiskVisit.objects.all(),
            link="registration",
            at="visited_at",
            what="走访并记录（规则A3）",
        ),
        stops=(Stop("已移出人员库", path="ended_at"),),
        person="person",
        label=lambda r: f"{r.name}（{r.township.display_short}）",
        link=lambda r: reverse("aftercare:registration", args=[r.uuid]),
        select_related=_REG_SELECT,
    ),
    # … and each next visit within 2 months of the previous one, for at least one year.
    DeadlineRule(
        id="A3v",
        title="易流浪走失人员每2个月至少走访一次（持续一年）",
        source="004",
        subjects=lambda as_of: RiskVisit.objects.all(),
        start="visited_at",
        organisation="registration__township",
        role=Role.HEAD,
        due=Due(2, Unit.MONTHS),
        setting="A3_VISIT_INTERVAL_MONTHS",
        fulfilment=Fulfilment(
            records=lambda: RiskVisit.objects.all(),
            link="previous",
            at="visited_at",
            what="再次走访并记录（规则A3）",
        ),
        stops=(
            Stop("已移出人员库", path="registration__ended_at"),
            Stop("已走访满一年", path="registration__visit_until"),
        ),
        person="registration__person",
        label=lambda v: f"{v.registration.name}（上次走访 {v.visited_at:%m-%d}）",
        link=lambda v: reverse("aftercare:registration", args=[v.registration.uuid]),
        select_related=("registration__township", "registration__person"),
    ),
    # rule A3: renewed wandering reported by the township alerts the station, which acknowledges it.
    DeadlineRule(
        id="A3w",
        title="再次流浪报告：救助管理机构24小时内签收并组织查找",
        source="004",
        subjects=lambda as_of: WanderingAlert.objects.all(),
        start="reported_at",
        organisation="station",
        role=Role.RECEPTION,
        due=Due(24, Unit.HOURS),
        fulfilment=Fulfilment(
            records=lambda: WanderingAlert.objects.all(),
            link="pk",
            at="acknowledged_at",
            what="签收再次流浪报告",
        ),
        person=None,
        label=lambda a: f"{a.name}（{a.reporting_org.display_short}报告）",
        link=lambda a: reverse("aftercare:alert", args=[a.uuid]),
        select_related=("reporting_org",),
    ),
]
