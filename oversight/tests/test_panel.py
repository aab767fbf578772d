"""Rule O2 (the supervision panel) and its deadlines; rule T10 (the panel reads the monthly report)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditEntry, Division, Organisation, OrgKind
from deadlines.registry import BUCKET_OVERDUE, LATE, MET, discover, evaluate
from deadlines.tests.conftest import bucket_of, local
from oversight import services
from oversight.models import Opinion, OpinionStatus, PanelMembership, PanelRole
from oversight.tests.panel import make_panel, panel_user
from stay import services as stay
from stay.models import PlacementKind
from stay.tests.factories import admitted_episode

pytestmark = pytest.mark.django_db


def _add(cast, user, **kw):
    kw.setdefault("employer", "清远市社工中心")
    return services.panel_member_add(by=cast.county_supervisor, station=cast.station, member=user, **kw)


def test_o2_a_full_panel_meets_the_rule(cast):
    make_panel(cast)
    assert services.panel_issues(cast.station) == []


def test_o2_a_panel_of_six_is_refused(cast):
    make_panel(cast)
    _add(cast, panel_user(cast, "p5", "郑监督"))
    with pytest.raises(ValidationError, match="不能再增加"):
        _add(cast, panel_user(cast, "p6", "王监督"))
    assert PanelMembership.objects.filter(station=cast.station).count() == 5


def test_o2_the_panel_needs_three_members_a_leader_a_deputy_and_a_care_professional(cast):
    _add(cast, cast.panel_member, panel_role=PanelRole.MEMBER)
    issues = services.panel_issues(cast.station)
    assert any("应为 3–5 人" in i for i in issues) and any("组长" in i for i in issues)
    assert any("副组长" in i for i in issues) and any("照料/医护" in i for i in issues)


def test_o2_only_one_open_leader_and_one_open_term_per_member(cast):
    panel = make_panel(cast)
    with pytest.raises(ValidationError, match="组长"):
        _add(cast, panel_user(cast, "p5", "郑监督"), panel_role=PanelRole.LEADER)
    with pytest.raises(ValidationError, match="已在本站"):
        _add(cast, cast.panel_member)
    with pytest.raises(IntegrityError), transaction.atomic():
        PanelMembership.objects.filter(pk=panel[2].pk).update(panel_role=PanelRole.LEADER)


def test_o2_staff_of_a_contracted_outside_care_facility_may_not_serve(cast):
    care = Organisation.objects.create(
        name="英德市康宁托养中心",
        code="YDKN",
        kind=OrgKind.CARE_FACILITY,
        division=Division.objects.get(code="441881"),
        supervisor=cast.county_dept,
    )
    from outsidecare.testing import agreement

    agreement(by=cast.head, station=cast.station, facility=care)  # rule C5: placed under an agreement
    episode = admitted_episode(cast)
    stay.placement_start(by=cast.head, episode=episode, kind=PlacementKind.OUTSIDE_CARE, organisation=care)
    user = panel_user(cast, "p5", "康护理")
    with pytest.raises(ValidationError) as exc:
        _add(cast, user, employer="英德市康宁托养中心", employer_org=care)
    assert "托养机构" in exc.value.message_dict["employer_org"][0]
    with pytest.raises(ValidationError) as exc:
        _add(cast, user, employer="康宁托养中心")
    assert "托养机构" in exc.value.message_dict["employer"][0]
    assert not PanelMembership.objects.exists()


def test_o2_members_are_accounts_of_a_supervisor_organisation(cast):
    with pytest.raises(ValidationError) as exc:
        _add(cast, cast.head)
    assert "第三方监督组织" in exc.value.message_dict["member"][0]


def test_o2_terms_last_one_year_and_a_renewal_keeps_the_old_term(cast):
    member = _add(cast, cast.panel_member, term_start=datetime.date(2026, 1, 10))
    assert member.term_end == datetime.date(2027, 1, 9)
    with pytest.raises(ValidationError, match="一年"):
        _add(
            cast,
            panel_user(cast, "p5", "郑监督"),
            term_start=datetime.date(2026, 1, 10),
            term_end=datetime.date(2027, 3, 1),
        )
    renewed = services.panel_member_renew(by=cast.county_supervisor, membership=member)
    member.refresh_from_db()
    assert member.ended_on == datetime.date(2027, 1, 9) and renewed.term_start == datetime.date(2027, 1, 10)
    assert AuditEntry.objects.filter(object_id=str(member.uuid), action="update").get().changes[
        "ended_on"
    ] == [None, "2027-01-09"]


def test_o2t_an_expiring_term_is_a_task_for_the_department(cast):
    member = _add(cast, cast.panel_member, term_start=datetime.date(2025, 3, 11))
    assert member.term_end == datetime.date(2026, 3, 10)
    assert bucket_of("O2T", member, local(2026, 3, 11, 9)) == BUCKET_OVERDUE
    item = discover()["O2T"]
    assert item.org_kinds == (OrgKind.CIVIL_AFFAIRS,)
    services.panel_member_end(
        by=cast.county_supervisor, membership=member, reason="任期届满", on=datetime.date(2026, 3, 10)
    )
    assert bucket_of("O2T", member, local(2026, 3, 11, 9)) is None


def test_o2m_the_panel_meets_at_least_every_half_year(cast):
    with time_machine.travel(local(2026, 1, 5, 9), tick=False):
        panel = make_panel(cast, start=datetime.date(2026, 1, 5))
    PanelMembership.objects.update(created_at=local(2026, 1, 5, 9))
    from deadlines.calendar import load_calendar
    from deadlines.selectors import rule_overrides

    rule = discover()["O2M"]
    cast.station.created_at = local(2025, 12, 1)
    cast.station.save()
    items = rule.items(local(2026, 7, 3, 9), load_calendar(), overrides=rule_overrides())
    assert [i.subject for i in items if i.bucket == BUCKET_OVERDUE] == [cast.station]
    with time_machine.travel(local(2026, 6, 20, 9), tick=False):
        services.meeting_create(
            by=cast.panel_member,
            station=cast.station,
            held_at=local(2026, 6, 20, 9),
            topic="上半年例会",
            minutes="听取汇报",
            attendees=panel[:3],
        )
    items = rule.items(local(2026, 7, 3, 9), load_calendar(), overrides=rule_overrides())
    assert [i for i in items if i.bucket == BUCKET_OVERDUE] == []


def test_o2_meeting_attendees_must_be_current_members_of_this_panel(cast):
    make_panel(cast)
    other = make_panel(cast, cast.city_station)
    with pytest.raises(ValidationError, match="任期内"):
        services.meeting_create(
            by=cast.panel_member,
            station=cast.station,
            held_at=timezone.now(),
            topic="例会",
            minutes="纪要",
            attendees=[other[1]],
        )


def test_o2a_the_station_answers_an_opinion_and_the_panel_accepts_or_reopens(cast):
    make_panel(cast)
    with time_machine.travel(local(2026, 3, 2, 10), tick=False):
        opinion = services.opinion_create(
            by=cast.panel_member, station=cast.station, text="女区夜间值班人员不足"
        )
    assert bucket_of("O2A", opinion, local(2026, 3, 17, 11)) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 3, 10, 10), tick=False):
        with pytest.raises(ValidationError):
            services.opinion_decide(
                by=cast.panel_member, opinion=opinion, accept=True
            )  # nothing answered yet
        services.opinion_answer(
            by=cast.head,
            opinion=opinion,
            measures="增加1名女性夜班值班员",
            measures_due=datetime.date(2026, 4, 1),
        )
    [outcome] = evaluate("O2A", as_of=local(2026, 3, 20))
    assert outcome.status == MET
    with time_machine.travel(local(2026, 3, 20, 10), tick=False):
        with pytest.raises(ValidationError, match="理由"):
            services.opinion_decide(by=cast.panel_member, opinion=opinion, accept=False)
        services.opinion_decide(by=cast.panel_member, opinion=opinion, accept=False, note="仍只有1人值班")
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.OPEN and opinion.answered_at is None
    with time_machine.travel(local(2026, 3, 25, 10), tick=False):
        services.opinion_answer(
            by=cast.head,
            opinion=opinion,
            measures="已招聘女性值班员2名",
            measures_due=datetime.date(2026, 4, 1),
        )
        services.opinion_decide(by=cast.panel_member, opinion=opinion, accept=True)
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.ACCEPTED
    [outcome] = evaluate("O2A", as_of=local(2026, 4, 1))
    assert outcome.status == LATE  # the accepted answer came after the 15 days


def test_o2_free_text_is_limited(cast):
    make_panel(cast)
    with pytest.raises(ValidationError):
        services.opinion_create(by=cast.panel_member, station=cast.station, text="意" * 1001)
    assert not Opinion.objects.exists()
