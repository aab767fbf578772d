"""One closing path for every way an episode ends (rules E1, N3, N7, T3, C3): a departure, 终止救助 and
不予救助 all free the bed, close placements, return belongings, withdraw announcements and close the
open tracing work — each with its audit entry."""

import datetime

import pytest
from django.utils import timezone

from announcements.models import Announcement
from announcements.tests.factories import announcement, unidentified_person
from core.models import AuditAction, AuditEntry
from intake.models import Belonging
from intake.services import belonging_add, intake_refuse, intake_terminate
from leaving.services import departure_create
from people.models import Episode
from people.services import episode_open, person_create
from stay import services as stay_services
from stay.models import BedAssignment, Placement
from stay.tests.factories import station_beds
from tracing import services as tracing
from tracing.models import CheckStatus, DnaRequest, IdentityCheck, Lead, LeadStatus, TracerAssignment

pytestmark = pytest.mark.django_db


def _end_by_departure(cast, episode):
    departure_create(by=cast.reception, episode=episode, exit_type="self", data={"declaration_signed": True})


def _end_by_termination(cast, episode):
    intake_terminate(by=cast.head, episode=episode, reason="核实发现其提供虚假身份信息骗取车票")


def _busy_episode(cast):
    """An unidentified woman in a bed, with belongings, a live announcement and open tracing work."""
    beds = station_beds(cast)
    person = unidentified_person(cast, at=timezone.now() - datetime.timedelta(hours=3))
    episode = person.episodes.get()
    stay_services.bed_assign(by=cast.carer, episode=episode, bed=beds.w1)
    belonging_add(by=cast.reception, episode=episode, item="手机", quantity=1, description="黑色")
    belonging_add(by=cast.reception, episode=episode, item="身份证复印件", quantity=2)
    announcement(cast, person)
    tracing.tracer_assign(by=cast.head, episode=episode, tracer=cast.tracer)
    tracing.check_create(by=cast.tracer, person=person, police=cast.police, known_info="女，70余岁，客家口音")
    tracing.dna_request_create(by=cast.tracer, episode=episode, police=cast.police)
    tracing.lead_create(
        by=cast.tracer,
        episode=episode,
        kind="station_call",
        text="自称家住河边",
        organisation=cast.city_station,
    )
    return Episode.objects.get(pk=episode.pk)


def _assert_everything_closed(episode, status):
    episode.refresh_from_db()
    assert episode.status == status and episode.left_at is not None
    assert not BedAssignment.objects.filter(episode=episode, released_at__isnull=True).exists()  # rule C3
    assert not Placement.objects.filter(episode=episode, ended_at__isnull=True).exists()
    assert not Belonging.objects.filter(episode=episode, returned_at__isnull=True).exists()  # rules I2, N7
    assert set(Announcement.objects.filter(person=episode.person).values_list("status", flat=True)) == {
        "withdrawn"
    }
    assert not IdentityCheck.objects.filter(
        person=episode.person, status__in=[CheckStatus.DRAFT, CheckStatus.SENT]
    ).exists()
    assert not DnaRequest.objects.filter(episode=episode, closed_at__isnull=True, result="").exists()
    assert not Lead.objects.filter(episode=episode, status=LeadStatus.PENDING).exists()
    assert not TracerAssignment.objects.filter(episode=episode, ended_at__isnull=True).exists()


@pytest.mark.parametrize(
    "end, status",
    [(_end_by_departure, "left"), (_end_by_termination, "terminated")],
    ids=["departure", "termination"],
)
def test_n3_every_way_out_closes_bed_belongings_announcement_and_tracing_work(cast, end, status):
    episode = _busy_episode(cast)
    end(cast, episode)
    _assert_everything_closed(episode, status)


def test_n3_termination_closes_exactly_what_a_departure_closes_with_audit_entries(cast):
    episode = _busy_episode(cast)
    since = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    _end_by_termination(cast, episode)
    by_type = {}
    for entry in AuditEntry.objects.filter(person_uuid=episode.person.uuid, id__gt=since).order_by("id"):
        by_type.setdefault(entry.object_type, []).append(entry)
    transition = by_type["people.Episode"][0]
    assert transition.action == AuditAction.TRANSITION and transition.actor_name == "王站长"
    assert transition.changes["status"] == ["in_station", "terminated"]
    assert (
        transition.changes["left_at"][0] is None and transition.changes["left_at"][1]
    )  # left_at is recorded
    assert by_type["stay.BedAssignment"][0].changes["released_at"][1]
    assert len(by_type["intake.Belonging"]) == 2 and all(
        e.changes["returned_at"][1] for e in by_type["intake.Belonging"]
    )
    assert by_type["announcements.Announcement"][0].changes["status"] == ["published", "withdrawn"]
    assert by_type["tracing.IdentityCheck"][0].changes["status"] == ["sent", "closed"]
    assert by_type["intake.Notice"][0].action == AuditAction.CREATE
    for kind in ("tracing.DnaRequest", "tracing.Lead", "tracing.TracerAssignment"):
        assert by_type[kind], kind


def test_n3_termination_from_outside_care_ends_the_placement(cast):
    from core.models import Organisation, OrgKind

    facility = Organisation.objects.create(
        name="英德市社会福利院",
        code="YDFL",
        kind=OrgKind.CARE_FACILITY,
        division=cast.station.division,
        supervisor=cast.county_dept,
    )
    person = unidentified_person(cast, at=timezone.now() - datetime.timedelta(days=2))
    episode = person.episodes.get()
    from outsidecare.testing import agreement

    agreement(by=cast.head, station=cast.station, facility=facility)  # rule C5: placed under an agreement
    stay_services.placement_start(by=cast.carer, episode=episode, kind="outside_care", organisation=facility)
    _end_by_termination(cast, episode)
    placement = Placement.objects.get(episode=episode)
    assert placement.ended_at is not None and placement.end_note == "终止救助"
    assert Episode.objects.get(pk=episode.pk).status == "terminated"


def test_n3_refusal_returns_what_was_taken_into_safekeeping(cast):
    person = person_create(by=cast.reception, station=cast.station, data={"name": "拒不如实", "sex": "男"})
    episode = episode_open(by=cast.reception, person=person, station=cast.station, channel="walk_in")
    belonging_add(by=cast.reception, episode=episode, item="背包", quantity=1)
    intake_refuse(by=cast.head, episode=episode, reason="拒不如实提供个人情况")
    assert not Belonging.objects.filter(episode=episode, returned_at__isnull=True).exists()
    assert Episode.objects.get(pk=episode.pk).status == "refused"


def test_t9_a_return_home_completes_the_open_return_plan(cast):
    from tracing.models import PlanStatus, ReturnPlan

    person = unidentified_person(cast)
    episode = person.episodes.get()
    tracing.identity_confirm(
        by=cast.tracer, person=person, method="talks", evidence="本人说出家庭住址，户籍地核实"
    )
    departure_create(
        by=cast.reception,
        episode=episode,
        exit_type="home_ticket",
        data={"ticket_no": "G1", "travel_mode": "train", "destination": "湖南省邵阳市"},
    )
    plan = ReturnPlan.objects.get(episode=episode)
    assert plan.status == PlanStatus.DONE and plan.done_at is not None


def test_n3_death_keeps_belongings_but_closes_the_rest(cast):
    episode = _busy_episode(cast)
    departure_create(
        by=cast.reception,
        episode=episode,
        exit_type="death",
        data={"death_place": "英德市人民医院", "death_cause": "心源性猝死", "hospital_notified": True},
    )
    assert Belonging.objects.filter(episode=episode, returned_at__isnull=True).count() == 2
    assert not BedAssignment.objects.filter(episode=episode, released_at__isnull=True).exists()
    assert set(Announcement.objects.filter(person=episode.person).values_list("status", flat=True)) == {
        "withdrawn"
    }
