"""Who may do what in the regional app, one answer for pages, API and services (rules R1–R3, E2).

Also the two answers this app gives the one scoping mechanism (``core.scoping.register_case_access``):
which organisation acts on a case a centre took over, and whether staff sent down may act on a case now.
"""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.models import Organisation, OrgKind, Role
from core.scoping import can_write, covering_centre_ids

#: Roles of a station that ask for an escalation or open a joint case (head and admin always may).
STATION_ROLES = (Role.HEAD, Role.RECEPTION, Role.TRACER)
#: Roles of a centre that answer escalations, send help, plan and run escorts (head and admin always may).
CENTRE_ROLES = (Role.HEAD, Role.RECEPTION)


def is_centre(org: Organisation | None) -> bool:
    return org is not None and org.kind == OrgKind.REGIONAL_CENTRE


def centre_of_user(user) -> Organisation | None:
    """The user's organisation when it is a regional centre."""
    org = getattr(user, "organisation", None)
    return org if is_centre(org) else None


def centre_for_station(station: Organisation) -> Organisation | None:
    """The regional centre whose region contains ``station`` (rule R1); None outside every region."""
    ids = covering_centre_ids(station) - {station.pk}
    return Organisation.objects.filter(pk__in=ids).order_by("pk").first()


def covers(centre: Organisation, station: Organisation) -> bool:
    return is_centre(centre) and centre.pk != station.pk and centre.pk in covering_centre_ids(station)


def may_act_for_centre(user, centre: Organisation | None) -> bool:
    return is_centre(centre) and can_write(user, centre, *CENTRE_ROLES)


def require_centre(user, centre: Organisation | None) -> None:
    if not may_act_for_centre(user, centre):
        raise PermissionDenied("只有区域性中心的站长或业务人员可以办理。")


def may_escalate(user, station: Organisation) -> bool:
    return can_write(user, station, *STATION_ROLES)


# -- answers for core.scoping --------------------------------------------------------------------------------

def case_holder(episode) -> Organisation | None:
    """The centre that accepted an escalation of ``episode`` (提级办理): it acts on the case now."""
    from regional.models import Escalation, EscalationStatus

    esc = (Escalation.objects.filter(episode_id=episode.pk, status=EscalationStatus.ACCEPTED)
           .select_related("centre").first())
    return esc.centre if esc else None


def case_grant(user, episode) -> bool:
    """Staff a centre sent down (下沉协助) act on that one case, only within the period."""
    from regional.models import Assistance, AssistanceStatus

    now = timezone.now()
    return Assistance.objects.filter(episode_id=episode.pk, staff=user, status=AssistanceStatus.ACTIVE,
                                     starts_at__lte=now, ends_at__gt=now).exists()
