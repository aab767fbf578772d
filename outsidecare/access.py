"""Who may act on outside-care records — built on core.scoping (reads) and core.scoping.can_write (writes).

- the placing station: its head signs agreements, posts staff and plans bring-backs; its carers, medical
  staff and head record visits (rules C4, C5, C6);
- the facility or hospital holding the person: its own users write condition reports and (facilities) the
  periodic reports; they see only the people placed with them;
- the station's supervision panel (current members, ``oversight.services.current_members``) inspects the
  facilities; the station head may record an inspection the members made.
"""

from core.models import STATION_KINDS, OrgKind, Role
from core.scoping import can_write

VISIT_ROLES = (Role.CARER, Role.MEDICAL, Role.HEAD)
PLAN_ROLES = (Role.HEAD, Role.CARER)


def is_holder(user) -> bool:
    """A user of a designated hospital or an outside-care facility."""
    org = getattr(user, "organisation", None)
    return bool(user.is_authenticated and org is not None and org.kind in (OrgKind.HOSPITAL, OrgKind.CARE_FACILITY))


def is_station_user(user) -> bool:
    org = getattr(user, "organisation", None)
    return bool(user.is_authenticated and org is not None and org.kind in STATION_KINDS)


def may_sign(user, station) -> bool:
    """Agreements and postings: the station's head (or administrator)."""
    return station.kind in STATION_KINDS and can_write(user, station, Role.HEAD)


def may_visit(user, station) -> bool:
    return station.kind in STATION_KINDS and can_write(user, station, *VISIT_ROLES)


def may_plan(user, station) -> bool:
    return station.kind in STATION_KINDS and can_write(user, station, *PLAN_ROLES)


def may_report_condition(user, placement) -> bool:
    """The hospital or facility holding the person writes its condition reports."""
    return can_write(user, placement.organisation)


def may_file_report(user, agreement) -> bool:
    return can_write(user, agreement.facility)


def may_inspect(user, agreement) -> bool:
    """A current member of the station's supervision panel, or the station head recording for them."""
    from oversight.access import is_panel_member

    return is_panel_member(user, agreement.station) or can_write(user, agreement.station, Role.HEAD)
