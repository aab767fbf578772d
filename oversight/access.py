"""Who may act in oversight records — built on core.scoping, shared by oversight, incidents and staff.

- a station's own staff act on their station's records (``core.scoping.can_write``);
- a civil-affairs department's supervisors (民政监管员) and administrators act on the records of the
  organisations it supervises (its scope), which is what makes the department the overseer;
- everyone else who can see a record reads it only.
"""

from core.models import STATION_KINDS, Organisation, OrgKind, Role
from core.scoping import can_write, visible_org_ids

#: Places that are inspected and hold hazards: stations and outside-care facilities (rule O3).
INSPECTED_KINDS = (*STATION_KINDS, OrgKind.CARE_FACILITY)
#: Station staff who may walk the checklist in their own station.
STATION_INSPECTOR_ROLES = (Role.HEAD, Role.CARER, Role.MEDICAL)


def is_department_user(user) -> bool:
    org = getattr(user, "organisation", None)
    return bool(user.is_authenticated and org is not None and org.kind == OrgKind.CIVIL_AFFAIRS)


def is_overseer(user, organisation: Organisation | None) -> bool:
    """A supervisor or administrator of a civil-affairs department whose scope holds ``organisation``."""
    if organisation is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return (
        is_department_user(user)
        and user.has_role(Role.SUPERVISOR, Role.ADMIN)
        and organisation.id in visible_org_ids(user)
    )


def may_inspect(user, organisation: Organisation) -> bool:
    """Walk the checklist at ``organisation``: its own head/carers/medical staff, or the overseeing department."""
    if organisation.kind not in INSPECTED_KINDS:
        return False
    return can_write(user, organisation, *STATION_INSPECTOR_ROLES) or is_overseer(user, organisation)


def may_rectify(user, organisation: Organisation) -> bool:
    """Record measures and the fix: the responsible organisation's own staff."""
    return can_write(user, organisation)


def may_accept(user, organisation: Organisation) -> bool:
    """Accept, send back or close a hazard: the organisation's head or the overseeing department."""
    return can_write(user, organisation, Role.HEAD) or is_overseer(user, organisation)


def may_edit_checklist(user) -> bool:
    """The checklist is the department's: its supervisors and administrators edit it."""
    return user.is_authenticated and (
        user.is_superuser or (is_department_user(user) and user.has_role(Role.SUPERVISOR, Role.ADMIN))
    )


def is_panel_member(user, station: Organisation) -> bool:
    """A member of the station's supervision panel with an open term (rule O2)."""
    from oversight.models import PanelMembership

    return bool(
        user.is_authenticated
        and PanelMembership.objects.filter(station=station, member=user, ended_on__isnull=True).exists()
    )


def may_manage_panel(user, station: Organisation) -> bool:
    """The panel is appointed by the station's civil-affairs department (特邀监督员)."""
    return (
        station.kind in STATION_KINDS
        and is_overseer(user, station)
        and (user.is_superuser or is_department_user(user))
    )


def may_speak_for_panel(user, station: Organisation) -> bool:
    """Record meetings and opinions, accept or reopen answers: the panel's own members."""
    return user.is_superuser or is_panel_member(user, station)


def may_answer_panel(user, station: Organisation) -> bool:
    """Answer the panel's opinions: the station's head."""
    return can_write(user, station, Role.HEAD)


def may_assign_leaders(user, department: Organisation | None) -> bool:
    """The department's supervisors and administrators arrange its leaders' contacts (rule O1)."""
    return department is not None and (
        user.is_superuser
        or (user.organisation_id == department.id and user.has_role(Role.SUPERVISOR, Role.ADMIN))
    )


def may_record_contact(user, assignment) -> bool:
    """The leader records their own contacts; the department's supervisors may record them for the leader."""
    return assignment.leader_id == user.pk or may_assign_leaders(user, assignment.department)


def may_close_followup(user, item) -> bool:
    """The leader, the department, or the institution's head (who did the follow-up) closes an item."""
    assignment = item.contact.assignment
    return may_record_contact(user, assignment) or can_write(user, assignment.institution, Role.HEAD)


# --- assessment (rule O5) ----------------------------------------------------------------------------------------


def may_edit_indicators(user, indicator_set) -> bool:
    """A year's indicators are the department's: its supervisors and administrators define them (not stations)."""
    return may_edit_checklist(user) and (
        user.is_superuser or indicator_set.department_id == user.organisation_id
    )


def may_open_assessment(user, station: Organisation) -> bool:
    """The station's civil-affairs department opens a station's assessment round."""
    return (
        station.kind in STATION_KINDS
        and is_overseer(user, station)
        and (user.is_superuser or is_department_user(user))
    )


def may_self_assess(user, assessment, *, submit: bool = False) -> bool:
    """The station's staff fill in the self-assessment; the station head submits it (rule O5)."""
    if submit:
        return can_write(user, assessment.station, Role.HEAD)
    return can_write(user, assessment.station)


def may_evaluate(user, assessment) -> bool:
    """The third-party evaluation: users of the evaluator organisation (a supervisor body or the department),
    or the overseeing department itself. Never the station that is assessed."""
    if user.is_authenticated and user.organisation_id == assessment.station_id and not user.is_superuser:
        return False
    return can_write(user, assessment.evaluator_org) or may_conclude(user, assessment)


def may_conclude(user, assessment) -> bool:
    """The department that organised the round concludes it (and so opens the hazards of its shortfalls)."""
    return may_open_assessment(user, assessment.station)
