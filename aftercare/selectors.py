"""Reads of the aftercare app, always through the user's scope (core.scoping)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from aftercare.models import (
    AttentionItem,
    DataSender,
    FollowUpVisit,
    HardshipReferral,
    ReferralStatus,
    ReturnCase,
    RiskRegistration,
    RiskVisit,
    SharedList,
    WanderingAlert,
)
from aftercare.services import may_write_for, rule
from core.models import STATION_KINDS, Organisation, OrgKind
from core.scoping import get_scoped_or_404, scoped, visible_organisations
from deadlines.calendar_math import add_months


def case_list(*, user, filters: dict | None = None) -> QuerySet[ReturnCase]:
    """The ledger entries in scope, newest return first; filters: q (name), station, visited, minor."""
    filters = filters or {}
    qs = scoped(ReturnCase.objects.select_related("person", "station", "township", "village"), user)
    qs = qs.annotate(has_visit=Exists(FollowUpVisit.objects.filter(case=OuterRef("pk"))))
    if filters.get("q"):
        qs = qs.filter(person__name__icontains=filters["q"].strip())
    if filters.get("station"):
        qs = qs.filter(station__uuid=filters["station"])
    if filters.get("visited") == "no":
        qs = qs.filter(has_visit=False)
    elif filters.get("visited") == "yes":
        qs = qs.filter(has_visit=True)
    if filters.get("minor"):
        qs = qs.filter(is_minor=True)
    return qs.order_by("-returned_at", "-id")


def case_get(*, user, uuid) -> ReturnCase:
    return get_scoped_or_404(
        ReturnCase.objects.select_related(
            "person",
            "episode",
            "station",
            "township",
            "village",
            "destination",
            "followup_org",
            "family_reported_by",
        ),
        user,
        uuid=uuid,
    )


def referral_get(*, user, uuid) -> HardshipReferral:
    return get_scoped_or_404(
        HardshipReferral.objects.select_related("case__person", "case__station", "case__township"),
        user,
        uuid=uuid,
    )


def referral_list(*, user, pending_only: bool = False) -> QuerySet[HardshipReferral]:
    qs = scoped(
        HardshipReferral.objects.select_related("case__person", "case__township", "referred_by"), user
    )
    if pending_only:
        qs = qs.filter(status=ReferralStatus.PENDING)
    return qs.order_by("-referred_at", "-id")


def visits_for(case: ReturnCase) -> QuerySet[FollowUpVisit]:
    return case.visits.select_related("organisation", "visited_by").order_by("-visited_at", "-id")


def visit_list(*, user) -> QuerySet[FollowUpVisit]:
    return scoped(
        FollowUpVisit.objects.select_related("case__person", "case__station", "organisation", "visited_by"),
        user,
    ).order_by("-visited_at", "-id")


def registration_list(*, user, filters: dict | None = None) -> QuerySet[RiskRegistration]:
    """The registry in scope; by default only people still on the roster."""
    filters = filters or {}
    qs = scoped(RiskRegistration.objects.select_related("township", "village", "station"), user)
    qs = qs.annotate(visited=Exists(RiskVisit.objects.filter(registration=OuterRef("pk"))))
    if not filters.get("include_ended"):
        qs = qs.filter(ended_at__isnull=True)
    if filters.get("q"):
        qs = qs.filter(name__icontains=filters["q"].strip())
    return qs.order_by("-registered_at", "-id")


def registration_get(*, user, uuid) -> RiskRegistration:
    return get_scoped_or_404(
        RiskRegistration.objects.select_related(
            "person", "case", "township", "village", "station", "registered_by"
        ),
        user,
        uuid=uuid,
    )


def risk_visits_for(reg: RiskRegistration) -> QuerySet[RiskVisit]:
    return reg.visits.select_related("organisation", "visited_by").order_by("-visited_at", "-id")


def next_visit_due(reg: RiskRegistration) -> datetime.datetime | None:
    """When the next township visit is due (rule A3), or None once the year of visits is over."""
    if reg.ended_at is not None:
        return None
    last = reg.visits.order_by("-visited_at").values_list("visited_at", flat=True).first()
    due = add_months(timezone.localtime(last or reg.registered_at), rule("A3_VISIT_INTERVAL_MONTHS", 2))
    if last is not None and last >= reg.visit_until:
        return None
    return due


def risk_visit_list(*, user) -> QuerySet[RiskVisit]:
    return scoped(
        RiskVisit.objects.select_related("registration", "organisation", "visited_by"), user
    ).order_by("-visited_at", "-id")


def alert_list(*, user, open_only: bool = False) -> QuerySet[WanderingAlert]:
    qs = scoped(
        WanderingAlert.objects.select_related(
            "station", "reporting_org", "reported_by", "case", "registration"
        ),
        user,
    )
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs.order_by("-reported_at", "-id")


def alert_get(*, user, uuid) -> WanderingAlert:
    return get_scoped_or_404(
        WanderingAlert.objects.select_related(
            "station", "reporting_org", "reported_by", "case__person", "registration", "acknowledged_by"
        ),
        user,
        uuid=uuid,
    )


def townships(user) -> QuerySet[Organisation]:
    """Townships a ledger entry or registration may be routed to (all active ones: destinations are anywhere)."""
    return Organisation.objects.filter(kind=OrgKind.TOWNSHIP, is_active=True).select_related("division")


def villages(user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrgKind.VILLAGE, is_active=True).select_related("division")


def stations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind__in=STATION_KINDS, is_active=True)


def can_edit_case(user, case: ReturnCase) -> bool:
    return (
        any(
            o is not None and user.organisation_id == o.id and may_write_for(user, o)
            for o in (case.station, case.township, case.village)
        )
        or user.is_superuser
    )


# --- rule A2: follow-up rates per station ----------------------------------------------------------------


@dataclass
class StationRate:
    station: Organisation
    returned: int = 0
    visited: int = 0
    minors: int = 0
    minors_visited: int = 0
    due: list = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return round(100 * self.visited / self.returned, 1) if self.returned else None

    @property
    def minors_share(self) -> float | None:
        return round(100 * self.minors_visited / self.minors, 1) if self.minors else None

    @property
    def meets_share(self) -> bool:
        return self.share is None or self.share >= rule("A2_MIN_SHARE_PERCENT", 50)

    @property
    def meets_minors(self) -> bool:
        return self.minors_visited == self.minors


def a2_rates(*, user, start: datetime.date, end: datetime.date) -> list[StationRate]:
    """Rule A2 per station for the returns between ``start`` and ``end`` (local days): how many were visited
    within a year of their return, minors separately, and who is still due (not visited, year not over)."""
    tz = timezone.get_current_timezone()
    lo = datetime.datetime.combine(start, datetime.time.min, tz)
    hi = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tz)
    now = timezone.now()
    months = rule("A2_WINDOW_MONTHS", 12)
    rows: dict[int, StationRate] = {}
    cases = (
        scoped(ReturnCase.objects.select_related("person", "station", "followup_org"), user)
        .filter(returned_at__gte=lo, returned_at__lt=hi)
        .order_by("returned_at")
    )
    first_visit = {
        c: v
        for c, v in FollowUpVisit.objects.filter(case__in=cases)
        .order_by("visited_at")
        .values_list("case_id", "visited_at")
        .reverse()
    }
    for case in cases:
        rate = rows.setdefault(case.station_id, StationRate(case.station))
        deadline = add_months(timezone.localtime(case.returned_at), months)
        visit_at = first_visit.get(case.pk)
        in_time = visit_at is not None and visit_at <= deadline
        rate.returned += 1
        rate.visited += in_time
        if case.is_minor:
            rate.minors += 1
            rate.minors_visited += in_time
        if visit_at is None and deadline > now:
            rate.due.append((case, deadline))
    return sorted(rows.values(), key=lambda r: r.station.name)


def station_choices(user) -> QuerySet[Organisation]:
    return visible_organisations(user).filter(kind__in=STATION_KINDS)


def open_counts(user) -> dict[str, int]:
    """Counts for the aftercare home page."""
    cases = scoped(ReturnCase.objects.all(), user)
    return {
        "cases": cases.count(),
        "unvisited": cases.filter(~Q(Exists(FollowUpVisit.objects.filter(case=OuterRef("pk"))))).count(),
        "registry": scoped(RiskRegistration.objects.filter(ended_at__isnull=True), user).count(),
        "alerts": scoped(WanderingAlert.objects.filter(acknowledged_at__isnull=True), user).count(),
        "referrals": scoped(HardshipReferral.objects.filter(status=ReferralStatus.PENDING), user).count(),
    }


# --- data sharing (rule A4) -----------------------------------------------------------------------------


def sender_list(*, user) -> QuerySet[DataSender]:
    return scoped(DataSender.objects.select_related("organisation"), user).order_by("name", "id")


def sender_get(*, user, uuid) -> DataSender:
    return get_scoped_or_404(DataSender.objects.select_related("organisation"), user, uuid=uuid)


def writable_senders(user) -> QuerySet[DataSender]:
    """The senders whose lists ``user`` may import: those of their own organisation."""
    if user.organisation_id is None or not may_write_for(user, user.organisation):
        return DataSender.objects.none()
    return DataSender.objects.filter(organisation_id=user.organisation_id).order_by("name")


def shared_list_list(*, user) -> QuerySet[SharedList]:
    return scoped(SharedList.objects.select_related("sender", "organisation", "imported_by"), user).order_by(
        "-imported_at", "-id"
    )


def shared_list_get(*, user, uuid) -> SharedList:
    return get_scoped_or_404(
        SharedList.objects.select_related("sender", "organisation", "imported_by"), user, uuid=uuid
    )


def attention_list(*, user, filters: dict | None = None) -> QuerySet[AttentionItem]:
    """Who on a shared list has a wandering history (rule A4), in scope: the importing organisation, and the
    township and village of the returnee or registered person; filters: status, kind, q (name), list."""
    filters = filters or {}
    qs = scoped(
        AttentionItem.objects.select_related(
            "row__shared_list__sender",
            "person",
            "case",
            "registration",
            "township",
            "village",
            "organisation",
            "added_registration",
        ),
        user,
    )
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("kind"):
        qs = qs.filter(row__shared_list__list_kind=filters["kind"])
    if filters.get("q"):
        qs = qs.filter(row__name__icontains=filters["q"].strip())
    if filters.get("list"):
        qs = qs.filter(row__shared_list__uuid=filters["list"])
    return qs.order_by("-exact_id", "-probability", "-id")


def attention_get(*, user, uuid) -> AttentionItem:
    return get_scoped_or_404(
        AttentionItem.objects.select_related(
            "row__shared_list__sender",
            "person",
            "case",
            "registration",
            "township",
            "village",
            "organisation",
            "decided_by",
            "added_registration",
        ),
        user,
        uuid=uuid,
    )


def can_review(user, item: AttentionItem) -> bool:
    return user.is_superuser or any(
        o is not None and user.organisation_id == o.id and may_write_for(user, o)
        for o in (item.organisation, item.township, item.village)
    )
