"""Rules A1–A3: the returnee ledger, follow-up visits, referrals, the at-risk registry and renewed wandering."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from aftercare import selectors, services
from aftercare.models import HardshipReferral, ReturnCase, RiskRegistration, WanderingAlert
from aftercare.tests.conftest import local, send_home
from core.models import AuditEntry
from deadlines.tests.conftest import bucket_of
from matching.models import MissingReport

pytestmark = pytest.mark.django_db

T0 = local(2026, 3, 2, 9)
LEFT = local(2026, 3, 5, 10)


@pytest.fixture
def case(cast, local_net):
    departure = send_home(cast, "返乡甲", admitted=T0, left=LEFT, hukou=local_net.v_div)
    return ReturnCase.objects.get(episode=departure.episode)


# --- A1: the ledger -------------------------------------------------------------------------------------


def test_a1_a_return_home_opens_a_ledger_entry_routed_to_the_township_and_village(case, cast, local_net):
    assert case.station == cast.station
    assert case.township == local_net.township and case.village == local_net.village
    assert case.followup_org == local_net.township
    assert case.returned_at == LEFT and case.way == "ticket"
    entry = AuditEntry.objects.get(object_type="aftercare.ReturnCase", object_id=str(case.uuid))
    assert entry.person_uuid == case.person.uuid and "英城街道" in entry.summary


def test_a1_a_return_to_a_county_without_township_contacts_stays_with_the_station(cast, local_net):
    departure = send_home(cast, "返乡乙", admitted=T0, left=LEFT, hukou=local_net.county)
    c = ReturnCase.objects.get(episode=departure.episode)
    assert c.township is None and c.followup_org == cast.station


def test_a1_other_ways_of_leaving_open_no_ledger_entry(cast, local_net):
    from deadlines.tests.conftest import admit
    from leaving import services as leaving

    ep = admit(cast, T0, name="自行离站者")
    with time_machine.travel(LEFT, tick=False):
        leaving.departure_create(
            by=cast.reception, episode=ep, exit_type="self", left_at=LEFT, data={"declaration_signed": True}
        )
    assert not ReturnCase.objects.filter(episode=ep).exists()


def test_a1_the_village_records_the_family_report_with_an_audit_of_old_and_new(case, local_net):
    services.family_report_record(by=local_net.village_contact, case=case, report="与母亲同住，无固定收入")
    services.family_report_record(by=local_net.village_contact, case=case, report="与母亲同住，已务工")
    entry = AuditEntry.objects.filter(object_id=str(case.uuid), action="update").first()
    assert entry.changes["family_report"] == ["与母亲同住，无固定收入", "与母亲同住，已务工"]


def test_a1_a_family_report_over_the_length_limit_is_refused_and_nothing_saved(case, local_net):
    with pytest.raises(ValidationError):
        services.family_report_record(by=local_net.village_contact, case=case, report="长" * 1001)
    case.refresh_from_db()
    assert case.family_report == ""


def test_a1_hardship_is_referred_to_the_township_which_records_the_outcome(case, local_net):
    ref = services.referral_create(by=local_net.village_contact, case=case, kind="dibao", reason="无劳动能力")
    with pytest.raises(PermissionDenied):  # the village cannot decide for the township
        services.referral_decide(by=local_net.village_contact, referral=ref, status="granted", outcome="x")
    services.referral_decide(
        by=local_net.township_head, referral=ref, status="granted", outcome="2026年4月起纳入低保"
    )
    ref.refresh_from_db()
    assert ref.status == "granted" and ref.decided_by == local_net.township_head
    with pytest.raises(ValidationError):  # no transition out of a decided referral
        services.referral_decide(by=local_net.township_head, referral=ref, status="refused", outcome="改判")


def test_a1_only_one_open_referral_of_a_kind_is_a_database_constraint(case, local_net):
    services.referral_create(by=local_net.village_contact, case=case, kind="temporary", reason="急难")
    with pytest.raises(ValidationError):
        services.referral_create(by=local_net.village_contact, case=case, kind="temporary", reason="再次")
    with pytest.raises(IntegrityError), transaction.atomic():
        HardshipReferral.objects.create(
            case=case,
            kind="temporary",
            reason="绕过服务",
            referred_at=LEFT,
            referred_by=local_net.village_contact,
        )


def test_a1_the_station_routes_an_unrouted_entry_and_another_township_cannot_write(cast, local_net):
    departure = send_home(cast, "返乡丙", admitted=T0, left=LEFT, hukou=local_net.county)
    c = ReturnCase.objects.get(episode=departure.episode)
    with pytest.raises(ValidationError):  # the village must belong to the township
        services.return_case_route(
            by=cast.head, case=c, township=local_net.other_township, village=local_net.village
        )
    services.return_case_route(by=cast.head, case=c, township=local_net.other_township)
    c.refresh_from_db()
    assert c.followup_org == local_net.other_township
    with pytest.raises(PermissionDenied):
        services.followup_visit_add(
            by=local_net.township_head, case=c, visited_at=LEFT, method="home", situation="x"
        )


# --- A2: follow-up visits -------------------------------------------------------------------------------


def test_a2_a_follow_up_before_the_return_is_refused_and_nothing_saved(case, local_net):
    with pytest.raises(ValidationError) as exc:
        services.followup_visit_add(
            by=local_net.township_head,
            case=case,
            visited_at=LEFT - datetime.timedelta(hours=1),
            method="home",
            situation="在家",
        )
    assert "不能早于返乡时间" in str(exc.value)
    assert not case.visits.exists()


def test_a2_a_follow_up_in_the_future_is_refused(case, local_net):
    with pytest.raises(ValidationError):
        services.followup_visit_add(
            by=local_net.township_head,
            case=case,
            visited_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
            method="home",
            situation="在家",
        )


def test_a2_the_deadline_is_a_year_after_the_return_and_a_visit_fulfils_it(case, cast, local_net):
    assert bucket_of("A2", case, local(2027, 3, 3, 12)) == "soon"
    assert bucket_of("A2", case, local(2027, 3, 5, 12)) == "overdue"
    with time_machine.travel(local(2026, 6, 1, 10), tick=False):
        services.followup_visit_add(
            by=local_net.township_head,
            case=case,
            visited_at=local(2026, 6, 1, 9),
            method="home",
            situation="在家务农",
        )
    assert bucket_of("A2", case, local(2027, 3, 5, 12)) is None
    # the task sits with the township, not the station
    assert bucket_of("A2", case, local(2027, 3, 5, 12), org_ids={cast.station.pk}) is None


def test_a2_minors_have_their_own_rule_for_all_of_them(cast, local_net):
    # the ledger entry is opened by the service the departure event calls (minors' departures need witnesses)
    from deadlines.tests.conftest import admit

    episode = admit(cast, T0, name="返乡少年", birth_date=datetime.date(2009, 6, 1), hukou_division=local_net.v_div)
    with time_machine.travel(LEFT, tick=False):
        c = services.return_case_open(by=cast.reception, episode=episode, way="escorted", returned_at=LEFT)
    assert c.is_minor and c.township == local_net.township
    assert bucket_of("A2m", c, local(2027, 3, 6)) == "overdue"
    assert bucket_of("A2", c, local(2027, 3, 6)) is None


def test_a2_rates_per_station_count_visits_within_a_year_and_list_who_is_due(cast, local_net):
    cases = [
        ReturnCase.objects.get(
            episode=send_home(cast, f"返乡{i}", admitted=T0, left=LEFT, hukou=local_net.v_div).episode
        )
        for i in range(3)
    ]
    with time_machine.travel(local(2026, 4, 1, 10), tick=False):
        services.followup_visit_add(
            by=local_net.village_contact,
            case=cases[0],
            visited_at=local(2026, 4, 1, 9),
            method="phone",
            situation="电话联系，在家",
        )
        rows = selectors.a2_rates(
            user=cast.head, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31)
        )
    (row,) = rows
    assert (row.returned, row.visited, row.share) == (3, 1, 33.3)
    assert not row.meets_share
    assert {c.pk for c, _ in row.due} == {cases[1].pk, cases[2].pk}


# --- A3: registry, visits every 2 months, renewed wandering ------------------------------------------------


@pytest.fixture
def reg(cast, local_net):
    with time_machine.travel(local(2026, 3, 10, 9), tick=False):
        return services.registration_create(
            by=local_net.township_head,
            township=local_net.township,
            village=local_net.village,
            station=cast.station,
            data={"name": "库中人", "sex": "男", "address": "和平社区3巷", "alzheimers": True},
        )


def test_a3_registration_needs_a_category_and_the_village_must_belong_to_the_township(cast, local_net):
    with pytest.raises(ValidationError):
        services.registration_create(
            by=local_net.township_head,
            township=local_net.township,
            station=cast.station,
            data={"name": "无情形", "address": "某地"},
        )
    with pytest.raises(ValidationError):
        services.registration_create(
            by=local_net.other_township_head,
            township=local_net.other_township,
            village=local_net.village,
            station=cast.station,
            data={"name": "错村", "address": "某地", "mental_disorder": True},
        )
    assert not RiskRegistration.objects.exists()


def test_a3_only_one_open_registration_per_person(case, cast, local_net):
    services.registration_create(
        by=cast.head,
        case=case,
        township=local_net.township,
        station=cast.station,
        data={"repeated_wandering": True},
    )
    with pytest.raises(ValidationError):
        services.registration_create(
            by=cast.head,
            case=case,
            township=local_net.township,
            station=cast.station,
            data={"repeated_wandering": True},
        )
    assert RiskRegistration.objects.filter(person=case.person).count() == 1


def test_a3_first_visit_within_2_months_then_every_2_months_for_a_year(reg, local_net):
    assert bucket_of("A3", reg, local(2026, 5, 11)) == "overdue"
    with time_machine.travel(local(2026, 5, 1, 10), tick=False):
        v1 = services.risk_visit_add(
            by=local_net.village_contact,
            registration=reg,
            visited_at=local(2026, 5, 1, 9),
            method="home",
            situation="在家，家属看护",
        )
    assert bucket_of("A3", reg, local(2026, 5, 11)) is None
    assert bucket_of("A3v", v1, local(2026, 6, 30)) == "soon"
    assert bucket_of("A3v", v1, local(2026, 7, 2)) == "overdue"
    with time_machine.travel(local(2026, 6, 20, 10), tick=False):
        v2 = services.risk_visit_add(
            by=local_net.township_head,
            registration=reg,
            visited_at=local(2026, 6, 20, 9),
            method="phone",
            situation="在家",
        )
    assert v2.previous == v1
    assert bucket_of("A3v", v1, local(2026, 7, 2)) is None
    # after the year of visits the obligation ends
    assert bucket_of("A3v", v2, local(2027, 3, 11)) is None


def test_a3_a_visit_not_after_the_previous_one_is_refused(reg, local_net):
    with time_machine.travel(local(2026, 5, 1, 10), tick=False):
        services.risk_visit_add(
            by=local_net.village_contact,
            registration=reg,
            visited_at=local(2026, 5, 1, 9),
            method="home",
            situation="在家",
        )
        with pytest.raises(ValidationError):
            services.risk_visit_add(
                by=local_net.village_contact,
                registration=reg,
                visited_at=local(2026, 4, 1, 9),
                method="home",
                situation="补录",
            )
    assert reg.visits.count() == 1


def test_a3_the_roster_may_not_end_as_stable_before_a_year(reg, local_net):
    with time_machine.travel(local(2026, 6, 1), tick=False), pytest.raises(ValidationError):
        services.registration_end(by=local_net.township_head, registration=reg, reason="completed")
    with time_machine.travel(local(2027, 3, 11), tick=False):
        services.registration_end(by=local_net.township_head, registration=reg, reason="completed")
    reg.refresh_from_db()
    assert reg.ended_at is not None


def test_a3_renewed_wandering_alerts_the_station_and_the_matching_engine(reg, cast, local_net):
    with time_machine.travel(local(2026, 7, 1, 8), tick=False):
        alert = services.wandering_report(
            by=local_net.village_contact,
            registration=reg,
            last_seen_on=datetime.date(2026, 6, 30),
            last_seen_place="英城汽车站",
        )
    report = MissingReport.objects.get(uuid=alert.missing_report_uuid)
    assert report.organisation == cast.station and report.name == "库中人"
    assert bucket_of("A3w", alert, local(2026, 7, 1, 20)) == "soon"
    assert bucket_of("A3w", alert, local(2026, 7, 2, 7)) == "today"
    assert bucket_of("A3w", alert, local(2026, 7, 2, 9)) == "overdue"
    with time_machine.travel(local(2026, 7, 1, 8), tick=False), pytest.raises(ValidationError):
        services.wandering_report(
            by=local_net.village_contact, registration=reg, last_seen_on=datetime.date(2026, 6, 30)
        )  # a resend is refused
    with time_machine.travel(local(2026, 7, 1, 9), tick=False):
        services.alert_acknowledge(by=cast.reception, alert=alert)
    assert bucket_of("A3w", alert, local(2026, 7, 2, 9)) is None
    assert WanderingAlert.objects.count() == 1


def test_a3_the_village_cannot_acknowledge_for_the_station(reg, local_net):
    alert = services.wandering_report(
        by=local_net.village_contact, registration=reg, last_seen_on=datetime.date(2026, 3, 20)
    )
    with pytest.raises(PermissionDenied):
        services.alert_acknowledge(by=local_net.village_contact, alert=alert)


# --- scope --------------------------------------------------------------------------------------------


def test_scope_the_station_township_and_village_see_the_entry_and_others_see_nothing(case, cast, local_net):
    for user in (
        cast.head,
        cast.county_supervisor,
        cast.city_supervisor,
        local_net.township_head,
        local_net.village_contact,
    ):
        assert list(selectors.case_list(user=user)) == [case], user
    for user in (
        cast.outsider,
        local_net.other_township_head,
        cast.police_officer,
        cast.hospital and cast.panel_member,
    ):
        assert list(selectors.case_list(user=user)) == [], user
