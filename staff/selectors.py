"""Every read of the staff app, through core.scoping (out of scope → 404)."""

from django.db.models import Count, Q, QuerySet

from core.models import Organisation
from core.scoping import get_scoped_or_404, scoped, visible_organisations
from staff.models import StaffMember, TrainingSession


def staff_list(*, user, organisation: str = "", current: bool = True) -> QuerySet[StaffMember]:
    qs = scoped(StaffMember.objects.all(), user).select_related("organisation", "user")
    if organisation:
        qs = qs.filter(organisation__uuid=organisation)
    if current:
        qs = qs.filter(left_on__isnull=True)
    return qs.annotate(n_trainings=Count("trainings", distinct=True)).order_by(
        "organisation__name", "name", "id"
    )


def staff_get(*, user, uuid) -> StaffMember:
    return get_scoped_or_404(StaffMember.objects.select_related("organisation", "user"), user, uuid=uuid)


def training_list(*, user, organisation: str = "") -> QuerySet[TrainingSession]:
    qs = scoped(TrainingSession.objects.all(), user).select_related("organisation", "recorded_by")
    if organisation:
        qs = qs.filter(organisation__uuid=organisation)
    return qs.annotate(n=Count("attendees")).order_by("-held_on", "-id")


def training_get(*, user, uuid) -> TrainingSession:
    return get_scoped_or_404(
        TrainingSession.objects.select_related("organisation", "recorded_by"), user, uuid=uuid
    )


def staff_organisations(user) -> QuerySet[Organisation]:
    """Organisations in scope that keep a staff register (everyone except police, hospitals and panels)."""
    return (
        visible_organisations(user)
        .filter(~Q(kind__in=["police", "hospital", "supervision"]), is_active=True)
        .order_by("division__code", "name")
    )
