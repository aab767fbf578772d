"""Who may change staff records: the organisation's head or administrator (others read within scope)."""

from core.models import Role
from core.scoping import can_write


def may_manage(user, organisation) -> bool:
    return can_write(user, organisation, Role.HEAD, Role.ADMIN)
