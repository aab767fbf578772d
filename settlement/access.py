"""Who acts on which step of a settlement case (rules S1–S4), built on core.scoping.

- the station (its head, or an administrator) applies, places, records long-term placement, the return home
  and withdraws (rule S1: 站长's task);
- the case's civil-affairs department (its supervisors) submits the plan and records the government's decision;
- the police organisation named at placement registers the 户口 (S2) and confirms a cancellation (S4);
- 特困供养 and social insurance (S2) are recorded by the station or the department;
- everyone else who can see the case (a department higher up, the institution) reads it only.
"""

from core.models import OrgKind, Role
from core.scoping import can_write


def may_station_act(user, station) -> bool:
    return can_write(user, station, Role.HEAD)


def may_department_act(user, case) -> bool:
    return can_write(user, case.department, Role.SUPERVISOR)


def may_police_act(user, case) -> bool:
    police = case.police
    return bool(police is not None and police.kind == OrgKind.POLICE and can_write(user, police, Role.POLICE))


def enrolment_org(user, case):
    """The organisation in whose name ``user`` records 特困供养 / social insurance, or None if they may not."""
    if may_station_act(user, case.station):
        return case.station
    if may_department_act(user, case):
        return case.department
    return None
