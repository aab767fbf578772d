"""Who may record daily care and special-group work: staff of the station (by role); others read within scope."""

from core.models import Role
from core.scoping import can_write

#: Meals, samples and the basic services: the carers and medical staff (heads and administrators always).
CARE_ROLES = (Role.CARER, Role.MEDICAL, Role.RECEPTION)
#: Minors' plans and care plans: carers, medical staff and tracers (the station's social workers).
PLAN_ROLES = (Role.CARER, Role.MEDICAL, Role.TRACER)
#: Domestic-violence shelter and its report: reception and carers.
DV_ROLES = (Role.RECEPTION, Role.CARER, Role.MEDICAL)


def may_care(user, station) -> bool:
    return can_write(user, station, *CARE_ROLES)


def may_plan(user, station) -> bool:
    return can_write(user, station, *PLAN_ROLES)


def may_shelter(user, station) -> bool:
    return can_write(user, station, *DV_ROLES)
