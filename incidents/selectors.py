"""Every read of the incidents app, through core.scoping (out of scope → 404)."""

from django.db.models import QuerySet

from core.models import Organisation
from core.scoping import get_scoped_or_404, scoped, visible_organisations
from incidents.models import Incident, IncidentKind, IncidentReport, IncidentStatus
from oversight.access import INSPECTED_KINDS


def incident_list(*, user, status: str = "", kind: str = "", station: str = "") -> QuerySet[Incident]:
    qs = scoped(Incident.objects.all(), user).select_related("station", "person", "recorded_by", "closed_by")
    if status in IncidentStatus.values:
        qs = qs.filter(status=status)
    if kind in IncidentKind.values:
        qs = qs.filter(kind=kind)
    if station:
        qs = qs.filter(station__uuid=station)
    return qs.order_by("-occurred_at", "-id")


def incident_get(*, user, uuid) -> Incident:
    return get_scoped_or_404(
        Incident.objects.select_related(
            "station", "station__supervisor", "person", "episode", "recorded_by", "closed_by"
        ),
        user,
        uuid=uuid,
    )


def report_get(*, user, uuid) -> IncidentReport:
    return get_scoped_or_404(
        IncidentReport.objects.select_related(
            "incident", "incident__station", "incident__station__supervisor", "recipient"
        ),
        user,
        uuid=uuid,
    )


def unreceived_for(*, user) -> QuerySet[IncidentReport]:
    """Reports sent to the user's department and not yet acknowledged (the department's inbox)."""
    if not user.organisation_id:
        return IncidentReport.objects.none()
    return (
        scoped(IncidentReport.objects.all(), user)
        .filter(recipient_id=user.organisation_id, received_at__isnull=True)
        .select_related("incident", "incident__station")
        .order_by("sent_at")
    )


def recordable_stations(user) -> QuerySet[Organisation]:
    return (
        visible_organisations(user)
        .filter(kind__in=INSPECTED_KINDS, is_active=True)
        .order_by("division__code", "name")
    )
