"""Every read of daily care and the special groups, through core.scoping (out of scope → 404)."""

import datetime
import uuid

from django.db.models import QuerySet
from django.utils import timezone

from core.models import STATION_KINDS, Organisation, OrgKind
from core.scoping import get_scoped_or_404, scoped, visible_organisations
from core.validation import is_uuid
from dailycare import access
from dailycare.models import (
    GROUP_FLAGS,
    BasicService,
    BasicServiceCheck,
    CarePlan,
    DvShelter,
    MealRecord,
    MealSample,
    MinorPlan,
)
from people.models import Episode
from people.states import IN_CARE, EpisodeStatus


def uuid_or_blank(value: str) -> str:
    """A filter's UUID, or no filter when the query string holds anything else (never a 500)."""
    return str(uuid.UUID(value)) if value and is_uuid(value) else ""


def zones(*, user) -> QuerySet:
    """Active zones of the stations in the user's scope."""
    from stay.models import Zone

    return scoped(Zone.objects.select_related("station"), user).filter(is_active=True).order_by(
        "station__name", "category", "name")


def meal_list(*, user, zone: str = "", date_from: datetime.date | None = None,
              date_to: datetime.date | None = None, meal: str = "") -> QuerySet[MealRecord]:
    qs = scoped(MealRecord.objects.select_related("zone__station", "recorded_by", "sample__kept_by",
                                                  "sample__disposed_by"), user)
    if uuid_or_blank(zone):
        qs = qs.filter(zone__uuid=zone)
    if date_from:
        qs = qs.filter(served_on__gte=date_from)
    if date_to:
        qs = qs.filter(served_on__lte=date_to)
    if meal:
        qs = qs.filter(meal=meal)
    return qs.order_by("-served_on", "zone__name", "served_at")


def meal_get(*, user, uuid) -> MealRecord:
    return get_scoped_or_404(MealRecord.objects.select_related("zone__station", "recorded_by"), user, uuid=uuid)


def sample_list(*, user, state: str = "", zone: str = "") -> QuerySet[MealSample]:
    """Samples; ``state``: kept (in the kept period), due (period over, not disposed), disposed."""
    qs = scoped(MealSample.objects.select_related("meal__zone__station", "kept_by", "disposed_by"), user)
    now = timezone.now()
    if state == "kept":
        qs = qs.filter(disposed_at__isnull=True, keep_until__gt=now)
    elif state == "due":
        qs = qs.filter(disposed_at__isnull=True, keep_until__lte=now)
    elif state == "disposed":
        qs = qs.filter(disposed_at__isnull=False)
    if uuid_or_blank(zone):
        qs = qs.filter(meal__zone__uuid=zone)
    return qs.order_by("-kept_at")


def sample_get(*, user, uuid) -> MealSample:
    return get_scoped_or_404(MealSample.objects.select_related("meal__zone__station", "kept_by", "disposed_by"),
                             user, uuid=uuid)


def day_board(*, user, day: datetime.date) -> list[dict]:
    """Per zone of the scope: the day's three meals (or a gap) — the carer's page of the day."""
    from dailycare.models import Meal

    records = {(m.zone_id, m.meal): m for m in meal_list(user=user, date_from=day, date_to=day)}
    rows = []
    for zone in zones(user=user)[:200]:
        meals = [{"meal": value, "label": label, "record": records.get((zone.pk, value))}
                 for value, label in Meal.choices]
        rows.append({"zone": zone, "meals": meals, "missing": sum(1 for m in meals if m["record"] is None),
                     "can_write": access.may_care(user, zone.station)})
    return rows


def minor_plan_list(*, user, state: str = "open", q: str = "") -> QuerySet[MinorPlan]:
    qs = scoped(MinorPlan.objects.select_related("episode__person", "episode__station", "responsible"), user)
    if state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif state == "closed":
        qs = qs.filter(closed_at__isnull=False)
    elif state == "temporary":
        qs = qs.filter(temporary_guardianship_from__isnull=False, long_term_from__isnull=True)
    elif state == "long_term":
        qs = qs.filter(long_term_from__isnull=False)
    if q:
        qs = qs.filter(episode__person__name__icontains=q[:50])
    return qs.order_by("-written_at")


def minor_plan_get(*, user, uuid) -> MinorPlan:
    return get_scoped_or_404(MinorPlan.objects.select_related(
        "episode__person", "episode__station", "responsible", "written_by", "guardian_department",
        "long_term_department"), user, uuid=uuid)


def care_plan_list(*, user, group: str = "", state: str = "open") -> QuerySet[CarePlan]:
    qs = scoped(CarePlan.objects.select_related("episode__person", "episode__station", "zone", "responsible"), user)
    if group:
        qs = qs.filter(group=group)
    if state == "open":
        qs = qs.filter(ended_at__isnull=True)
    elif state == "ended":
        qs = qs.filter(ended_at__isnull=False)
    return qs.order_by("-written_at")


def care_plan_get(*, user, uuid) -> CarePlan:
    return get_scoped_or_404(CarePlan.objects.select_related("episode__person", "episode__station", "zone",
                                                             "responsible", "written_by"), user, uuid=uuid)


def shelter_list(*, user, state: str = "open") -> QuerySet[DvShelter]:
    qs = scoped(DvShelter.objects.select_related("episode__person", "episode__station"), user)
    if state == "open":
        qs = qs.filter(ended_at__isnull=True)
    elif state == "unreported":
        qs = qs.filter(reports__isnull=True)
    elif state == "ended":
        qs = qs.filter(ended_at__isnull=False)
    return qs.order_by("-sheltered_at")


def shelter_get(*, user, uuid) -> DvShelter:
    return get_scoped_or_404(DvShelter.objects.select_related("episode__person", "episode__station", "recorded_by"),
                             user, uuid=uuid)


def episode_get(*, user, uuid) -> Episode:
    return get_scoped_or_404(Episode.objects.select_related("person", "station"), user, uuid=uuid)


def minor_centres(*, user) -> QuerySet[Organisation]:
    """Minors' protection centres a station can refer to (every active one: referrals cross counties)."""
    return Organisation.objects.filter(kind=OrgKind.MINOR_CENTRE, is_active=True).order_by("name")


def departments_above(station: Organisation) -> list[Organisation]:
    """The civil-affairs departments over ``station`` (nearest first): who can be its guardian (rule N10)."""
    result, current, seen = [], station.supervisor, set()
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        if current.kind == OrgKind.CIVIL_AFFAIRS:
            result.append(current)
        current = current.supervisor
    return result


def care_stations(*, user) -> QuerySet[Organisation]:
    return visible_organisations(user).filter(kind__in=STATION_KINDS, is_active=True)


def _groups_of(person) -> list[str]:
    return [group for group, flag in GROUP_FLAGS.items() if getattr(person, flag)]


def episode_panel(*, episode: Episode, user) -> dict | None:
    """What the episode page shows of daily care: the "六个一" checklist, the minor's plan, care plans and a
    domestic-violence shelter, with the allowed actions. Include ``dailycare/episode_panel.html``."""
    from dailycare.services import is_minor

    if episode.admitted_at is None and episode.status not in IN_CARE:
        return None
    in_care = episode.status in IN_CARE
    checks = {c.service_id: c for c in BasicServiceCheck.objects.filter(episode=episode).select_related("done_by")}
    items = [{"service": s, "check": checks.get(s.pk)} for s in BasicService.objects.filter(is_active=True)]
    plan = MinorPlan.objects.filter(episode=episode).select_related("responsible").first()
    minor = is_minor(episode)
    shelter = DvShelter.objects.filter(episode=episode).first()
    care_plans = list(episode.care_plans.select_related("zone", "responsible").order_by("-written_at"))
    open_groups = {c.group for c in care_plans if c.ended_at is None}
    return {
        "episode": episode,
        "items": items,
        "missing": sum(1 for i in items if i["check"] is None),
        "plan": plan,
        "latest_assessment": plan.guardianship_assessments.order_by("-assessed_at").first() if plan else None,
        "minor": minor,
        "care_plans": care_plans,
        "groups_without_plan": [g for g in _groups_of(episode.person) if g not in open_groups],
        "shelter": shelter,
        "shelter_reports": list(shelter.reports.all()[:5]) if shelter else [],
        "can_care": in_care and access.may_care_for(user, episode),
        "can_plan": in_care and access.may_plan(user, episode),
        "can_shelter": in_care and shelter is None and access.may_shelter(user, episode),
    }


def episode_todo(*, episode: Episode, user) -> list[dict]:
    """Daily care's part of the episode page's "still missing" list: the "六个一" services (C2), a minor's plan
    and the guardianship assessment before a return home (I8, N10), care plans (I8), the violence report (N11)."""
    from django.urls import reverse

    from dailycare.models import RETURN_ALLOWED, CareGroup
    from dailycare.services import basic_services_missing, is_minor

    items: list[dict] = []
    if episode.status not in IN_CARE or episode.admitted_at is None:
        return items
    missing = basic_services_missing(episode)
    if missing:
        items.append({"key": "dailycare:basic", "label": f"“六个一”基本服务未登记（{len(missing)} 项）",
                      "act": "登记“六个一”", "rule": "C2", "before": None, "instead": False,
                      "url": reverse("dailycare:basic_services", args=[episode.uuid])})
    if is_minor(episode):
        plan = MinorPlan.objects.filter(episode=episode).first()
        if plan is None:
            items.append({"key": "dailycare:minor_plan", "label": "未成年人未制定一人一策", "act": "制定一人一策",
                          "rule": "I8", "before": None, "instead": False,
                          "url": reverse("dailycare:minor_plan_new", args=[episode.uuid])})
        else:
            latest = plan.guardianship_assessments.order_by("-assessed_at", "-pk").first()
            if latest is None or latest.conclusion not in RETURN_ALLOWED:
                items.append({"key": "dailycare:guardianship", "act": "评估家庭监护", "rule": "N10",
                              "label": "返家前须评估家庭监护情况" if latest is None else "家庭监护评估为不宜返家",
                              "before": EpisodeStatus.LEFT, "instead": False,
                              "why": "未成年人返家前须评估家庭监护情况并留存评估记录（规则N10）",
                              "url": reverse("dailycare:minor_plan", args=[plan.uuid]) + "#guardianship"})
    open_groups = set(episode.care_plans.filter(ended_at__isnull=True).values_list("group", flat=True))
    for group in _groups_of(episode.person):
        if group not in open_groups:
            items.append({"key": f"dailycare:care:{group}", "label": f"未制定照料方案（{CareGroup(group).label}）",
                          "act": "制定照料方案", "rule": "I8", "before": None, "instead": False,
                          "url": reverse("dailycare:care_plan_new", args=[episode.uuid]) + f"?group={group}"})
    shelter = DvShelter.objects.filter(episode=episode).first()
    if shelter is not None and not shelter.reports.exists():
        items.append({"key": "dailycare:dv_report", "label": "家庭暴力情况尚未报告", "act": "登记报告",
                      "rule": "N11", "before": None, "instead": False,
                      "url": reverse("dailycare:shelter", args=[shelter.uuid]) + "#report"})
    return items
