"""Deadlines of daily care and the special groups (declarations only; the engine is deadlines/registry.py).

- C2M: every zone housing people has its three meals recorded each day (rule C2);
- C2S: a kept sample is disposed of once its kept period is over (GUITU_RULES["C2_SAMPLE_DISPOSE_HOURS"]);
- I8P: a minor in care has a one-person-one-plan within GUITU_RULES["I8_PLAN_DAYS"] days of admission;
- I8R / I8Rn: the plan is reviewed within GUITU_RULES["I8_REVIEW_DAYS"] days of being written, then of each review;
- N11R: the station reports the domestic violence it learned of within GUITU_RULES["N11_REPORT_HOURS"] hours.
"""

import datetime

from django.db.models import Q
from django.urls import reverse

from core.models import Role
from dailycare.models import DvReport, DvShelter, MealRecord, MealSample, MinorPlan, PlanReview
from deadlines.calendar_math import Period
from deadlines.registry import DeadlineRule, Due, Fulfilment, Recurrence, Stop, Unit, left_stop
from people.models import Episode

#: A zone owes meals on a day when someone slept there within this window before the moment asked about.
OCCUPIED_WINDOW = datetime.timedelta(days=2)


def occupied_zones(as_of):
    """Zones of a station with someone in a bed at ``as_of`` or in the two days before (rule C2)."""
    from stay.models import BedAssignment, Zone

    held = BedAssignment.objects.filter(assigned_at__lte=as_of).filter(
        Q(released_at__isnull=True) | Q(released_at__gte=as_of - OCCUPIED_WINDOW))
    return Zone.objects.filter(is_active=True, pk__in=held.values("bed__zone_id"))


def _minors(as_of):
    return Episode.objects.filter(person__is_minor=True, admitted_at__isnull=False)


RULES = [
    # rule C2: three meals a day per zone (breakfast, lunch, dinner), each with its kept sample.
    DeadlineRule(
        id="C2M",
        title="每日三餐登记并留样（按照料区域）",
        source="001",
        subjects=occupied_zones,
        start="created_at",
        organisation="station",
        role=Role.CARER,
        due=Due(0, Unit.DAYS),
        recurrence=Recurrence(Period.DAY, count=3),
        fulfilment=Fulfilment(records=lambda: MealRecord.objects.all(), link="zone", at="served_at",
                              what="登记早、中、晚三餐及留样"),
        person=None,
        label=lambda zone: f"{zone.station.display_short} {zone.name} 三餐登记",
        link=lambda zone: reverse("dailycare:meals") + f"?zone={zone.uuid}",
        select_related=("station",),
        note="有人员入住的照料区域每天登记早、中、晚三餐，每餐留样。",
    ),
    # rule C2: a sample is kept for its period (48 h by default) and disposed of after it, with who and when.
    DeadlineRule(
        id="C2S",
        title="留样期满后销毁并登记",
        source="001",
        subjects=lambda as_of: MealSample.objects.all(),
        start="kept_at",
        organisation="meal__zone__station",
        role=Role.CARER,
        due=Due(72, Unit.HOURS),
        setting="C2_SAMPLE_DISPOSE_HOURS",
        fulfilment=Fulfilment(records=lambda: MealSample.objects.all(), link="pk", at="disposed_at",
                              what="销毁留样并登记"),
        person=None,
        label=lambda s: f"留样：{s.meal.zone.name} {s.meal.served_on:%m-%d} {s.meal.get_meal_display()}",
        link=lambda s: reverse("dailycare:sample", args=[s.uuid]),
        select_related=("meal__zone__station",),
        note="留样保存期（GUITU_RULES['C2_SAMPLE_KEEP_HOURS']，默认48小时）满后方可销毁，期满后一日内销毁。",
    ),
    # rules I8, N10: one person, one plan for every minor in care.
    DeadlineRule(
        id="I8P",
        title="未成年人入站后制定一人一策",
        source="001, 003",
        subjects=_minors,
        start="admitted_at",
        organisation="station",
        role=Role.CARER,
        due=Due(3, Unit.DAYS),
        setting="I8_PLAN_DAYS",
        fulfilment=Fulfilment(records=lambda: MinorPlan.objects.all(), link="episode", at="written_at",
                              what="制定一人一策（评估、方案、责任人）"),
        stops=(left_stop(),),
        label=lambda ep: f"{ep.person.name}（{ep.number}）一人一策",
        link=lambda ep: reverse("dailycare:minor_plan_new", args=[ep.uuid]),
        select_related=("person", "station"),
    ),
    # rule I8: the plan is reviewed on a schedule — first within the period after it is written …
    DeadlineRule(
        id="I8R",
        title="一人一策定期评估（首次）",
        source="001, 003",
        subjects=lambda as_of: MinorPlan.objects.all(),
        start="written_at",
        organisation="episode__station",
        role=Role.CARER,
        due=Due(7, Unit.DAYS),
        setting="I8_REVIEW_DAYS",
        fulfilment=Fulfilment(records=lambda: PlanReview.objects.all(), link="plan", at="reviewed_at",
                              what="评估一人一策执行情况"),
        stops=(Stop("一人一策已结束", path="closed_at"),),
        person="episode__person",
        label=lambda p: f"{p.episode.person.name} 一人一策评估",
        link=lambda p: reverse("dailycare:minor_plan", args=[p.uuid]),
        select_related=("episode__person", "episode__station"),
    ),
    # … then within the period after each review.
    DeadlineRule(
        id="I8Rn",
        title="一人一策定期评估（此后每期）",
        source="001, 003",
        subjects=lambda as_of: PlanReview.objects.all(),
        start="reviewed_at",
        organisation="plan__episode__station",
        role=Role.CARER,
        due=Due(7, Unit.DAYS),
        setting="I8_REVIEW_DAYS",
        fulfilment=Fulfilment(records=lambda: PlanReview.objects.all(), link="previous", at="reviewed_at",
                              what="再次评估一人一策执行情况"),
        stops=(Stop("一人一策已结束", path="plan__closed_at"),),
        person="plan__episode__person",
        label=lambda r: f"{r.plan.episode.person.name} 一人一策评估（上次 {r.reviewed_at:%m-%d}）",
        link=lambda r: reverse("dailycare:minor_plan", args=[r.plan.uuid]),
        select_related=("plan__episode__person", "plan__episode__station"),
    ),
    # rule N11: the station reports the domestic violence it learns of.
    DeadlineRule(
        id="N11R",
        title="家庭暴力受害人：向公安机关、妇联等报告",
        source="反家庭暴力法",
        subjects=lambda as_of: DvShelter.objects.all(),
        start="sheltered_at",
        organisation="episode__station",
        role=Role.RECEPTION,
        due=Due(24, Unit.HOURS),
        setting="N11_REPORT_HOURS",
        fulfilment=Fulfilment(records=lambda: DvReport.objects.all(), link="shelter", at="reported_at",
                              what="报告家庭暴力情况（对象、时间、方式）"),
        person="episode__person",
        label=lambda s: f"{s.episode.person.name}（{s.episode.number}）家暴报告",
        link=lambda s: reverse("dailycare:shelter", args=[s.uuid]),
        select_related=("episode__person", "episode__station"),
    ),
]
