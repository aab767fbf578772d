"""Every read of the outside-care app, always through core.scoping (rules C4, C5, C6).

A hospital's or facility's users see only the placements addressed to them (``stay.Placement.scope_q``)
and the records hanging off them; the placing station sees all of it."""

import datetime

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from core.models import Organisation, OrgKind
from core.scoping import can_write, get_scoped_or_404, scoped
from core.validation import is_uuid
from outsidecare import access
from outsidecare.models import (
    Agreement,
    BringBackItem,
    BringBackPlan,
    ConditionReport,
    FacilityReport,
    PanelInspection,
    Posting,
    Visit,
    VisitPerson,
    VisitPhoto,
    end_of_day,
)
from stay.models import BedAssignment, Placement, PlacementKind


def _last_visit(placement_ref="pk"):
    return Subquery(VisitPerson.objects.filter(placement=OuterRef(placement_ref)).order_by("-visited_at")
                    .values("visited_at")[:1])


# --- agreements -------------------------------------------------------------------------------------------


def agreement_list(*, user, in_force: bool | None = None, facility=None) -> QuerySet[Agreement]:
    qs = scoped(Agreement.objects.select_related("station", "facility"), user).annotate(
        placed=Count("placements", filter=Q(placements__ended_at__isnull=True)))
    today = timezone.localdate()
    if in_force:
        qs = qs.filter(valid_from__lte=today, valid_to__gte=today).exclude(terminated_on__lte=today)
    if facility is not None:
        qs = qs.filter(facility=facility)
    return qs.order_by("-valid_from", "-pk")


def agreement_get(*, user, uuid) -> Agreement:
    return get_scoped_or_404(Agreement.objects.select_related("station", "facility", "created_by"), user, uuid=uuid)


def agreement_for_inspection(*, user, uuid) -> Agreement:
    """An agreement the user may see, or one of a station whose supervision panel the user serves on (the
    panel's members belong to another organisation and inspect the station's facilities, rule C5)."""
    from django.http import Http404

    from oversight.models import PanelMembership

    try:
        return agreement_get(user=user, uuid=uuid)
    except Http404:
        if not user.is_authenticated or not is_uuid(uuid):
            raise
        stations = PanelMembership.objects.filter(member=user, ended_on__isnull=True).values("station_id")
        found = Agreement.objects.select_related("station", "facility").filter(station_id__in=stations,
                                                                               uuid=uuid).first()
        if found is None:
            raise
        return found


def agreement_overview(agreement: Agreement) -> dict:
    """What the agreement page shows: people placed, posting warning, visits and inspections by period."""
    from outsidecare.services import POSTING_THRESHOLD, facility_headcount, posting_needed

    now = timezone.now()
    today = timezone.localdate()
    placements = list(Placement.objects.filter(agreement=agreement).select_related("episode__person")
                      .annotate(last_visit=_last_visit()).order_by("ended_at", "-started_at")[:200])
    week_start = now - datetime.timedelta(days=7)
    half_start = datetime.date(today.year, 1 if today.month <= 6 else 7, 1)
    return {
        "placements": placements,
        "open_placements": [p for p in placements if p.ended_at is None],
        "headcount": facility_headcount(agreement.facility),
        "threshold": POSTING_THRESHOLD,
        "posting_needed": posting_needed(agreement),
        "postings": list(agreement.postings.select_related("staff").order_by("ended_at", "-started_at")[:50]),
        "visits": list(agreement.visits.order_by("-visited_at")[:20]),
        "visited_this_week": agreement.visits.filter(visited_at__gte=week_start).exists(),
        "reports": list(agreement.facility_reports.select_related("submitted_by")[:20]),
        "inspections": list(agreement.panel_inspections.select_related("inspection").prefetch_related(
            "members__member")[:10]),
        "inspected_this_half": agreement.panel_inspections.filter(
            inspected_at__gte=timezone.make_aware(datetime.datetime.combine(half_start, datetime.time()))).exists(),
        "in_force": agreement.in_force_on(today),
    }


def agreements_for_station(*, station: Organisation, on: datetime.date | None = None) -> QuerySet[Agreement]:
    """The station's agreements in force (a choice list on the station's own placement form)."""
    on = on or timezone.localdate()
    return (Agreement.objects.filter(station=station, valid_from__lte=on, valid_to__gte=on)
            .exclude(terminated_on__lte=on).select_related("facility").order_by("facility__name"))


def posting_get(*, user, uuid) -> Posting:
    return get_scoped_or_404(Posting.objects.select_related("agreement__station", "agreement__facility", "staff"),
                             user, uuid=uuid)


# --- placements seen from outside care -----------------------------------------------------------------------


def placement_list(*, user, kind: str | None = None, open_only: bool = True) -> QuerySet[Placement]:
    """People placed in hospitals and facilities as the user may see them: a station sees its own, a hospital
    or facility only the people placed with it."""
    qs = scoped(Placement.objects.select_related("episode__person", "episode__station", "organisation", "agreement"),
                user).annotate(last_visit=_last_visit(),
                               last_report=Subquery(ConditionReport.objects.filter(placement=OuterRef("pk"))
                                                    .order_by("-reported_at").values("reported_at")[:1]))
    if kind:
        qs = qs.filter(kind=kind)
    if open_only:
        qs = qs.filter(ended_at__isnull=True)
    return qs.order_by("organisation__name", "-started_at")


def placement_get(*, user, uuid) -> Placement:
    return get_scoped_or_404(Placement.objects.select_related("episode__person", "episode__station", "organisation",
                                                              "agreement"), user, uuid=uuid)


def placement_page(*, placement: Placement, user) -> dict:
    """One placement: the station's visits and the hospital's/facility's own reports side by side."""
    return {
        "placement": placement,
        "visit_rows": list(placement.visit_rows.select_related("visit").order_by("-visited_at")[:50]),
        "reports": list(placement.condition_reports.select_related("reported_by")[:50]),
        "can_report": placement.ended_at is None and access.may_report_condition(user, placement),
        "is_station": can_write(user, placement.episode.station) or user.organisation_id == placement.episode.station_id,
    }


def episode_panel(*, episode, user) -> dict | None:
    """The outside-care panel of the episode page: visits of the station and reports of the hospital/facility
    for each placement of this episode (``outsidecare/episode_panel.html``). None when never placed."""
    placements = list(episode.placements.select_related("organisation", "agreement").order_by("-started_at"))
    if not placements:
        return None
    ids = [p.pk for p in placements]
    return {
        "placements": placements,
        "visit_rows": list(VisitPerson.objects.filter(placement_id__in=ids).select_related(
            "visit", "placement__organisation").order_by("-visited_at")[:30]),
        "reports": list(ConditionReport.objects.filter(placement_id__in=ids).select_related(
            "placement__organisation", "reported_by").order_by("-reported_at")[:30]),
        "plans": list(BringBackItem.objects.filter(placement_id__in=ids).select_related("plan")),
        "can_visit": access.may_visit(user, episode.station),
    }


# --- visits ---------------------------------------------------------------------------------------------------


def visit_list(*, user, kind: str | None = None, organisation=None) -> QuerySet[Visit]:
    qs = scoped(Visit.objects.select_related("station", "organisation", "agreement", "recorded_by"), user).annotate(
        people_count=Count("people"))
    if kind:
        qs = qs.filter(kind=kind)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs.order_by("-visited_at", "-pk")


def visit_get(*, user, uuid) -> Visit:
    return get_scoped_or_404(Visit.objects.select_related("station", "organisation", "agreement", "recorded_by"),
                             user, uuid=uuid)


def visit_photo_get(*, user, uuid) -> VisitPhoto:
    return get_scoped_or_404(VisitPhoto.objects.select_related("visit"), user, uuid=uuid)


def visit_places(*, user) -> list[Placement]:
    """Hospitals and facilities where the user's station has people now, each with one of its placements
    (the visit page is opened from a placement)."""
    if not user.organisation_id:
        return []
    seen: dict[int, Placement] = {}
    for p in Placement.objects.filter(episode__station_id=user.organisation_id, ended_at__isnull=True).select_related(
            "organisation").order_by("organisation__kind", "organisation__name", "started_at"):
        seen.setdefault(p.organisation_id, p)
    return list(seen.values())


def visit_candidates(*, station: Organisation, organisation: Organisation) -> QuerySet[Placement]:
    """The station's people at ``organisation`` now, with the last visit."""
    return (Placement.objects.filter(episode__station=station, organisation=organisation, ended_at__isnull=True)
            .select_related("episode__person").annotate(last_visit=_last_visit()).order_by("started_at"))


# --- reports ----------------------------------------------------------------------------------------------


def condition_report_list(*, user) -> QuerySet[ConditionReport]:
    return scoped(ConditionReport.objects.select_related("placement__episode__person", "placement__organisation",
                                                         "reported_by"), user).order_by("-reported_at", "-pk")


def facility_report_list(*, user) -> QuerySet[FacilityReport]:
    return scoped(FacilityReport.objects.select_related("agreement__station", "agreement__facility",
                                                        "submitted_by"), user).order_by("-period_end", "-pk")


def panel_inspection_list(*, user) -> QuerySet[PanelInspection]:
    return scoped(PanelInspection.objects.select_related("agreement__facility", "inspection"), user).order_by(
        "-inspected_at")


# --- bring-back -----------------------------------------------------------------------------------------------


def plan_list(*, user) -> QuerySet[BringBackPlan]:
    return scoped(BringBackPlan.objects.select_related("station", "zone"), user).annotate(
        total=Count("items"), done=Count("items", filter=Q(items__done_at__isnull=False))).order_by(
        "-planned_on", "-pk")


def plan_get(*, user, uuid) -> BringBackPlan:
    return get_scoped_or_404(BringBackPlan.objects.select_related("station", "zone", "created_by"), user, uuid=uuid)


def plan_items(plan: BringBackPlan) -> dict:
    """The plan's people: brought back, still outstanding, or no longer in outside care (left otherwise)."""
    items = list(plan.items.select_related("placement__episode__person", "placement__organisation",
                                           "assignment__bed__zone", "done_by"))
    done = [i for i in items if i.done_at]
    outstanding = [i for i in items if not i.done_at and i.placement.ended_at is None]
    ended = [i for i in items if not i.done_at and i.placement.ended_at is not None]
    return {"items": items, "done": done, "outstanding": outstanding, "ended_otherwise": ended}


def item_get(*, user, uuid) -> BringBackItem:
    return get_scoped_or_404(BringBackItem.objects.select_related("plan__station", "plan__zone",
                                                                  "placement__episode__person",
                                                                  "placement__organisation"), user, uuid=uuid)


def bringback_candidates(*, station: Organisation) -> QuerySet[Placement]:
    """The station's people in outside care now, not already in an outstanding plan."""
    return (Placement.objects.filter(episode__station=station, kind=PlacementKind.OUTSIDE_CARE,
                                     ended_at__isnull=True)
            .exclude(Exists(BringBackItem.objects.filter(placement=OuterRef("pk"), done_at__isnull=True)))
            .select_related("episode__person", "organisation").order_by("organisation__name", "started_at"))


# --- the home page of hospitals and facilities, and the station's desk ---------------------------------------


def desk(*, user) -> dict:
    """The outside-care desk: for a station its facilities and people out; for a hospital or facility the
    people placed with it and its agreements."""
    now = timezone.now()
    week_ago = now - datetime.timedelta(days=7)
    placements = list(placement_list(user=user)[:300])
    unvisited = [p for p in placements if p.last_visit is None or p.last_visit < week_ago]
    agreements = list(agreement_list(user=user, in_force=True)[:100])
    from outsidecare.services import posting_needed

    for a in agreements:
        a.needs_posting = posting_needed(a)
        a.last_visit = a.visits.aggregate(m=Max("visited_at"))["m"]
    return {
        "placements": placements,
        "unvisited": unvisited,
        "agreements": agreements,
        "holder": access.is_holder(user),
        "facility_user": bool(user.organisation_id and user.organisation.kind == OrgKind.CARE_FACILITY),
        "plans": list(plan_list(user=user)[:10]),
        "week_ago": week_ago,
    }


# --- the campaign table's contract ----------------------------------------------------------------------------


def _day_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    return end_of_day(start - datetime.timedelta(days=1)), end_of_day(end)


def campaign_figures(org_ids, start: datetime.date, end: datetime.date, as_of: datetime.date) -> dict[str, dict[int, int]]:
    """Figures for the campaign table (another app calls this with the organisations the caller may see):
    column key → {organisation id: count}.

    - ``facilities_total``: outside-care facilities with an agreement in force at ``as_of`` (by facility id);
    - ``facilities_inspected``: of those, inspected on site by the supervision panel in [start, end];
    - ``outside_care_at``: people in outside care at the end of ``as_of`` (by the placing station's id);
    - ``brought_back``: people brought back from outside care into a bed of the station in [start, end]
      (by station id).
    An agreement counts when its station or its facility is among ``org_ids``."""
    ids = set(org_ids)
    figures: dict[str, dict[int, int]] = {"facilities_total": {}, "facilities_inspected": {},
                                          "outside_care_at": {}, "brought_back": {}}
    if not ids:
        return figures
    in_force = (Agreement.objects.filter(Q(station_id__in=ids) | Q(facility_id__in=ids),
                                         valid_from__lte=as_of, valid_to__gte=as_of)
                .exclude(terminated_on__lte=as_of))
    facilities = set(in_force.values_list("facility_id", flat=True))
    figures["facilities_total"] = {f: 1 for f in facilities}
    lo, hi = _day_bounds(start, end)
    inspected = set(PanelInspection.objects.filter(agreement__in=in_force, inspected_at__gte=lo, inspected_at__lt=hi)
                    .values_list("agreement__facility_id", flat=True))
    figures["facilities_inspected"] = {f: 1 for f in inspected}
    moment = end_of_day(as_of)
    at = (Placement.objects.filter(kind=PlacementKind.OUTSIDE_CARE, episode__station_id__in=ids,
                                   started_at__lt=moment)
          .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=moment))
          .values("episode__station_id").annotate(n=Count("episode_id", distinct=True)))
    figures["outside_care_at"] = {row["episode__station_id"]: row["n"] for row in at}
    returned = BedAssignment.objects.filter(episode=OuterRef("episode_id"), assigned_at=OuterRef("ended_at"))
    back = (Placement.objects.filter(kind=PlacementKind.OUTSIDE_CARE, episode__station_id__in=ids,
                                     ended_at__gte=lo, ended_at__lt=hi)
            .filter(Exists(returned))
            .values("episode__station_id").annotate(n=Count("episode_id", distinct=True)))
    figures["brought_back"] = {row["episode__station_id"]: row["n"] for row in back}
    return figures
