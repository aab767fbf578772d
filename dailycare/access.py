"""Who may record daily care and special-group work: staff of the station (by role); others read within scope.
A person's own records (basic services, plans, shelter) follow the case: once a regional centre has taken the
case over (rule R2) its staff write them and the station only reads (``core.scoping.can_write_case``)."""

from core.models import Role
from core.scoping import can_write, can_write_case

#: Meals, samples and the basic services: the carers and medical staff (heads and administrators always).
CARE_ROLES = (Role.CARER, Role.MEDICAL, Role.RECEPTION)
#: Minors' plans and care plans: carers, medical staff and tracers (the station's social workers).
PLAN_ROLES = (Role.CARER, Role.MEDICAL, Role.TRACER)
#: Domestic-violence shelter and its report: reception and carers.
DV_ROLES = (Role.RECEPTION, Role.CARER, Role.MEDICAL)


def may_care(user, station) -> bool:
    """Meals and samples of a station's zones."""
    return can_write(user, station, *CARE_ROLES)


def may_care_for(user, episode) -> bool:
    """The basic services (六个一) of one person's stay."""
    return can_write_case(user, episode, *CARE_ROLES)


def may_plan(user, episode) -> bool:
    return can_write_case(user, episode, *PLAN_ROLES)


def may_shelter(user, episode) -> bool:
    return can_write_case(user, episode, *DV_ROLES)
