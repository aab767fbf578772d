"""Every read of the oversight app, always through core.scoping (out of scope → 404)."""

import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.models import STATION_KINDS, Organisation
from core.scoping import get_scoped_or_404, scoped, visible_organisations
from oversight.access import INSPECTED_KINDS
from oversight.models import ChecklistItem, Hazard, HazardStatus, Inspection

OPEN_STATUSES = (HazardStatus.RECTIFYING, HazardStatus.PENDING, HazardStatus.ACCEPTED)


def inspectable_organisations(user) -> QuerySet[Organisation]:
    """Stations and outside-care facilities in the user's scope."""
    return (
        visible_organisations(user)
        .filter(kind__in=INSPECTED_KINDS, is_active=True)
        .order_by("division__code", "name")
    )


def organisation_get(*, user, uuid) -> Organisation:
    return get_scoped_or_404(Organisation.objects.filter(kind__in=INSPECTED_KINDS), user, uuid=uuid)


def checklist_list(*, user, category: str = "") -> QuerySet[ChecklistItem]:
    """The checklist items the user's departments wrote (their scope) and, for stations, those that apply to them."""
    from oversight.services import checklist_for

    if user.organisation_id and not user.is_superuser:
        own = scoped(ChecklistItem.objects.all(), user).values("pk")
        applying = checklist_for(user.organisation).values("pk")
        qs = ChecklistItem.objects.filter(Q(pk__in=own) | Q(pk__in=applying))
    else:
        qs = scoped(ChecklistItem.objects.all(), user)
    if category:
        qs = qs.filter(category=category)
    return qs.select_related("organisation").order_by("category", "order", "id")


def checklist_item_get(*, user, uuid) -> ChecklistItem:
    return get_scoped_or_404(ChecklistItem.objects.select_related("organisation"), user, uuid=uuid)


def inspection_list(*, user, organisation: str = "") -> QuerySet[Inspection]:
    qs = scoped(Inspection.objects.all(), user).select_related("organisation", "inspector_org", "by")
    if organisation:
        qs = qs.filter(organisation__uuid=organisation)
    return qs.annotate(
        failed=Count("results", filter=Q(results__outcome="fail")), items=Count("results")
    ).order_by("-inspected_at", "-id")


def inspection_get(*, user, uuid) -> Inspection:
    return get_scoped_or_404(
        Inspection.objects.select_related("organisation", "inspector_org", "by"), user, uuid=uuid
    )


def hazard_list(
    *, user, status: str = "", organisation: str = "", overdue: bool = False, category: str = ""
) -> QuerySet[Hazard]:
    """The hazard ledger in scope; ``status`` "open" means not yet closed."""
    qs = scoped(Hazard.objects.all(), user).select_related(
        "organisation", "reported_by", "rectified_by", "accepted_by", "closed_by"
    )
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in HazardStatus.values:
        qs = qs.filter(status=status)
    if organisation:
        qs = qs.filter(organisation__uuid=organisation)
    if category:
        qs = qs.filter(category=category)
    if overdue:
        qs = qs.filter(status=HazardStatus.RECTIFYING, deadline__lt=timezone.localdate())
    return qs.order_by("deadline", "id")


def hazard_get(*, user, uuid) -> Hazard:
    return get_scoped_or_404(
        Hazard.objects.select_related(
            "organisation", "inspection", "reported_by", "rectified_by", "accepted_by", "closed_by"
        ),
        user,
        uuid=uuid,
    )


def is_overdue(hazard: Hazard, today: datetime.date | None = None) -> bool:
    """Rule O3: still being fixed after its deadline day (the same definition as the deadline registry)."""
    today = today or timezone.localdate()
    return hazard.status == HazardStatus.RECTIFYING and hazard.deadline < today


def hazard_counts(*, user) -> dict[str, int]:
    qs = scoped(Hazard.objects.all(), user)
    today = timezone.localdate()
    return qs.aggregate(
        rectifying=Count("pk", filter=Q(status=HazardStatus.RECTIFYING)),
        pending=Count("pk", filter=Q(status=HazardStatus.PENDING)),
        accepted=Count("pk", filter=Q(status=HazardStatus.ACCEPTED)),
        closed=Count("pk", filter=Q(status=HazardStatus.CLOSED)),
        overdue=Count("pk", filter=Q(status=HazardStatus.RECTIFYING, deadline__lt=today)),
    )


# --- the supervision panel ---------------------------------------------------------------------------------


def panel_stations(user) -> QuerySet[Organisation]:
    """Stations whose panel the user may see: in scope, or served by the user's supervisor organisation."""
    from oversight.models import PanelMembership

    served = PanelMembership.objects.filter(
        member__organisation_id=user.organisation_id, ended_on__isnull=True
    )
    return Organisation.objects.filter(
        Q(pk__in=visible_organisations(user).values("pk")) | Q(pk__in=served.values("station_id")),
        kind__in=STATION_KINDS,
    ).order_by("division__code", "name")


def panel_station_get(*, user, uuid) -> Organisation:
    try:
        return panel_stations(user).get(uuid=uuid)
    except (Organisation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该记录，或您无权查看。") from exc


def membership_get(*, user, uuid):
    from oversight.models import PanelMembership

    return get_scoped_or_404(PanelMembership.objects.select_related("station", "member"), user, uuid=uuid)


def meeting_get(*, user, uuid):
    from oversight.models import PanelMeeting

    return get_scoped_or_404(PanelMeeting.objects.select_related("station", "recorded_by"), user, uuid=uuid)


def opinion_list(*, user, station: Organisation | None = None, status: str = ""):
    from oversight.models import Opinion, OpinionStatus

    qs = scoped(Opinion.objects.all(), user).select_related(
        "station", "raised_by", "answered_by", "decided_by"
    )
    if station is not None:
        qs = qs.filter(station=station)
    if status in OpinionStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-raised_at", "-id")


def opinion_get(*, user, uuid):
    from oversight.models import Opinion

    return get_scoped_or_404(
        Opinion.objects.select_related("station", "meeting", "raised_by", "answered_by", "decided_by"),
        user,
        uuid=uuid,
    )


def expiring_terms(station: Organisation, days: int = 30):
    """Open terms ending within ``days`` (or already past their end and not renewed): the expiry warnings."""
    from oversight.models import PanelMembership

    horizon = timezone.localdate() + datetime.timedelta(days=days)
    return (
        PanelMembership.objects.filter(station=station, ended_on__isnull=True, term_end__lte=horizon)
        .select_related("member")
        .order_by("term_end")
    )


# --- the leader contact system (rule O1) ----------------------------------------------------------------------

LEADER_RULES = {"main": "O1M", "deputy": "O1D", "section": "O1S"}


def leader_assignments(*, user, current: bool = True):
    from oversight.models import LeaderAssignment

    qs = scoped(LeaderAssignment.objects.all(), user).select_related("leader", "department", "institution")
    if current:
        qs = qs.filter(ended_at__isnull=True)
    return qs.order_by("department__name", "leader_role", "id")


def assignment_get(*, user, uuid):
    from oversight.models import LeaderAssignment

    return get_scoped_or_404(
        LeaderAssignment.objects.select_related("leader", "department", "institution"), user, uuid=uuid
    )


def followup_get(*, user, uuid):
    from oversight.models import FollowUpItem

    return get_scoped_or_404(
        FollowUpItem.objects.select_related(
            "contact__assignment__institution", "contact__assignment__department"
        ),
        user,
        uuid=uuid,
    )


def leader_status(assignments) -> dict[int, dict]:
    """For each assignment, what the deadline registry says now (rules O1M/O1D/O1S — the same definition as the
    inbox): the bucket (已逾期 / 今日到期 / 即将到期) and the period, or nothing when the period is covered."""
    from deadlines.calendar import load_calendar
    from deadlines.registry import get_rule
    from deadlines.selectors import rule_overrides

    now, cal, overrides = timezone.now(), load_calendar(), rule_overrides()
    departments = {a.department_id for a in assignments}
    status: dict[int, dict] = {}
    for rule_id in set(LEADER_RULES.values()):
        for item in get_rule(rule_id).items(now, cal, org_ids=departments, overrides=overrides):
            status[item.subject.pk] = {
                "bucket": item.bucket,
                "label": item.bucket_label,
                "period": item.period,
                "due": item.due.at,
            }
    return status


# --- assessment (rule O5) ----------------------------------------------------------------------------------------


def _chain_ids(org: Organisation | None) -> list[int]:
    """The organisation and every department above it (whose indicator sets apply to it)."""
    ids: list[int] = []
    current = org
    for _ in range(10):
        if current is None:
            break
        ids.append(current.pk)
        current = current.supervisor
    return ids


def indicator_sets(*, user, year: int | None = None):
    """Indicator sets the user's departments wrote (their scope) and, below them, the sets that apply to the
    user's own organisation."""
    from oversight.models import IndicatorSet

    qs = IndicatorSet.objects.filter(
        Q(pk__in=scoped(IndicatorSet.objects.all(), user).values("pk"))
        | Q(department_id__in=_chain_ids(user.organisation) if user.organisation_id else [])
    )
    if year:
        qs = qs.filter(year=year)
    return qs.select_related("department", "created_by").annotate(
        n_indicators=Count("indicators", distinct=True), n_assessments=Count("assessments", distinct=True)
    ).order_by("-year", "department__name")


def indicator_set_get(*, user, uuid):
    from oversight.models import IndicatorSet

    try:
        return indicator_sets(user=user).get(uuid=uuid)
    except (IndicatorSet.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该记录，或您无权查看。") from exc


def indicator_get(*, user, uuid):
    from oversight.models import Indicator

    try:
        return Indicator.objects.select_related("indicator_set__department").get(
            uuid=uuid, indicator_set__in=indicator_sets(user=user).values("pk")
        )
    except (Indicator.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("未找到该记录，或您无权查看。") from exc


def assessment_list(*, user, year: int | None = None, status: str = "", station: str = ""):
    """Assessments in scope: a station sees its own, a department its subtree, an evaluator those it evaluates."""
    from oversight.models import Assessment, AssessmentStatus

    qs = scoped(Assessment.objects.all(), user).select_related(
        "station", "department", "evaluator_org", "indicator_set"
    )
    if year:
        qs = qs.filter(year=year)
    if status in AssessmentStatus.values:
        qs = qs.filter(status=status)
    if station:
        qs = qs.filter(station__uuid=station)
    return qs.order_by("-year", "station__division__code", "station__name")


def assessment_get(*, user, uuid):
    from oversight.models import Assessment

    return get_scoped_or_404(
        Assessment.objects.select_related(
            "station",
            "department",
            "evaluator_org",
            "indicator_set",
            "opened_by",
            "self_submitted_by",
            "evaluated_by",
            "concluded_by",
        ),
        user,
        uuid=uuid,
    )


def assessment_rows(assessment) -> list:
    """The side-by-side rows (rule O5): each indicator with both scores, the difference and the weighted scores."""
    from oversight.services import weighted

    rows = list(
        assessment.scores.select_related("indicator", "hazard").order_by("indicator__order", "indicator_id")
    )
    for row in rows:
        row.self_weighted = weighted(row, "self")
        row.eval_weighted = weighted(row, "eval")
        row.difference = (
            row.eval_score - row.self_score
            if row.eval_score is not None and row.self_score is not None
            else None
        )
        row.shortfall = row.eval_score is not None and row.eval_score < row.indicator.threshold
    return rows


def assessable_stations(user) -> QuerySet[Organisation]:
    """Stations in scope the user's department may assess."""
    from oversight.access import may_open_assessment

    stations = visible_organisations(user).filter(kind__in=STATION_KINDS, is_active=True)
    return stations.filter(pk__in=[s.pk for s in stations if may_open_assessment(user, s)]).order_by(
        "division__code", "name"
    )


def evaluator_organisations(user) -> QuerySet[Organisation]:
    """Who may evaluate: the user's department itself, or a supervisor body (监督组/第三方机构) below it."""
    from core.models import OrgKind

    if user.organisation_id is None:
        return Organisation.objects.none()
    return visible_organisations(user).filter(
        Q(pk=user.organisation_id) | Q(kind=OrgKind.SUPERVISION), is_active=True
    ).order_by("kind", "name")
