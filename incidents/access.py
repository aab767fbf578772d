"""Who may act on incidents (rules X1, X2), built on core.scoping and oversight.access."""

from core.models import Role
from core.scoping import can_write
from oversight.access import INSPECTED_KINDS, is_department_user, is_overseer

DEPARTMENT_ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.HEAD)


def may_record(user, station) -> bool:
    """Record an incident or a handling step: the station's (or facility's) own staff, or its overseers."""
    return station.kind in INSPECTED_KINDS and (can_write(user, station) or is_overseer(user, station))


def may_report_for_station(user, incident) -> bool:
    return can_write(user, incident.station)


def may_report_for_department(user, incident) -> bool:
    """The station's own civil-affairs department reports on to its government and the department above."""
    department = incident.station.supervisor
    return department is not None and (
        user.is_superuser or (user.organisation_id == department.id and user.has_role(*DEPARTMENT_ROLES))
    )


def may_receive(user, report) -> bool:
    """A department records receipt of what was sent to it; the sender records the government's receipt."""
    if report.recipient_id is None:
        return may_report_for_department(user, report.incident)
    return user.is_superuser or (
        user.organisation_id == report.recipient_id and user.has_role(*DEPARTMENT_ROLES)
    )


def may_close(user, incident) -> bool:
    """Only a civil-affairs department above the station closes an incident (rule X1)."""
    return user.is_superuser or (is_department_user(user) and is_overseer(user, incident.station))
