"""Who may change a person's file: one policy shared by the pages and the API."""

from django.core.exceptions import PermissionDenied

from core.models import Role
from core.scoping import require_write

#: Roles that edit files and contacts (head and admin are always allowed by core.scoping.can_write).
EDIT_ROLES = (Role.RECEPTION, Role.TRACER)
PHOTO_ROLES = (Role.RECEPTION, Role.TRACER, Role.CARER, Role.MEDICAL)
TRANSITION_ROLES = (Role.RECEPTION, Role.CARER, Role.MEDICAL, Role.TRACER)


def owner(person):
    """Writes to a file belong to the station currently responsible for the person."""
    return person.current_station or person.registered_by


def require_station_creator(user) -> None:
    """Only staff of a station (reception, tracer, head, admin) open files, for their own station."""
    org = user.organisation
    if not user.is_superuser and (org is None or not org.is_station):
        raise PermissionDenied("只有救助管理机构的工作人员可以建立人员档案。")
    require_write(user, org, *EDIT_ROLES)


def can(user, org, *roles) -> bool:
    try:
        require_write(user, org, *roles)
    except PermissionDenied:
        return False
    return True
