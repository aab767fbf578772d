"""Settlement services by rule: S1 (application after 3 months, plan, approval, placement), E1 (leaving by
安置 through the one closing path), S2 (户口, 特困供养, insurance), S3 (long-term without 户口), S4."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditEntry
from core.testing import audit_writes
from deadlines.tests.conftest import admit, local
from leaving.models import Departure, ExitType
from people.states import EpisodeStatus
from settlement import services
from settlement.models import PlacementKind, SettlementCase, SettlementStatus, SettlementStep, StepKind
from settlement.tests.helpers import ADMITTED, at, doc, pdf, walk

pytestmark = pytest.mark.django_db
S = SettlementStatus


def test_s1_application_after_3_months_opens_a_case_with_its_dated_document(cast):
    case = walk(cast, "applied")
    assert case.status == S.APPLIED and case.department == cast.county_dept
    assert case.number.startswith("YDZ-AZ2026-")
    step = case.steps.get()
    assert step.kind == StepKind.APPLICATION and step.document.name.endswith(".jpg") and step.by == cast.head
    assert AuditEntry.objects.filter(object_type="settlement.SettlementCase", person_uuid=case.person.uuid).exists()


def test_s1_settlement_before_3_months_is_refused_without_an_exception_and_nothing_is_saved(cast):
    ep = admit(cast, ADMITTED)
    writes = audit_writes()
    with time_machine.travel(local(2026, 4, 4, 10), tick=False), pytest.raises(ValidationError) as exc:
        services.settlement_apply(by=cast.head, episode=ep, document=doc())
    assert "满3个月为2026-04-05" in exc.value.message_dict["exception_reason"][0]
    assert not SettlementCase.objects.exists() and not SettlementStep.objects.exists()
    assert audit_writes() == writes


def test_s1_early_application_with_a_recorded_exception_is_accepted(cast):
    ep = admit(cast, ADMITTED)
    case = at(local(2026, 3, 1), services.settlement_apply, by=cast.head, episode=ep, document=doc(),
              exception_reason="患重度精神障碍，需尽快长期安置")
    assert case.exception_reason == "患重度精神障碍，需尽快长期安置"


def test_s1_application_at_3_months_needs_no_exception(cast):
    ep = admit(cast, ADMITTED)
    case = at(local(2026, 4, 5, 11), services.settlement_apply, by=cast.head, episode=ep, document=doc())
    assert case.exception_reason == ""


def test_s1_application_needs_its_document_and_an_unidentified_person_in_care(cast):
    ep = admit(cast, ADMITTED)
    with time_machine.travel(local(2026, 5, 1), tick=False), pytest.raises(ValidationError) as exc:
        services.settlement_apply(by=cast.head, episode=ep, document=None)
    assert "申请书" in exc.value.message_dict["document"][0]


def test_s1_only_one_open_case_per_person_is_a_database_constraint(cast):
    case = walk(cast, "applied")
    with time_machine.travel(local(2026, 5, 1), tick=False), pytest.raises(ValidationError):
        services.settlement_apply(by=cast.head, episode=case.episode, document=doc())
    clone = SettlementCase(number="X-1", person=case.person, episode=case.episode, station=case.station,
                           department=case.department, applied_on=case.applied_on, applied_by=cast.head)
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_s1_steps_follow_the_allowed_transitions_only(cast):
    case = walk(cast, "applied")
    with pytest.raises(ValidationError, match="不能办理"):
        services.settlement_decide(by=cast.county_supervisor, case=case, approved=True,
                                   on=timezone.localdate(), approval_ref="x", document=pdf())
    with pytest.raises(ValidationError, match="不能办理"):
        services.settlement_register_hukou(by=cast.police_officer, case=case, on=timezone.localdate(), number="1")


def test_s1_plan_date_cannot_be_in_the_future_or_before_the_application(cast):
    case = walk(cast, "applied")
    with pytest.raises(ValidationError) as exc:
        services.settlement_plan_submit(by=cast.county_supervisor, case=case,
                                        on=timezone.localdate() + datetime.timedelta(days=1), government="英德市人民政府",
                                        plan_summary="安置", document=pdf())
    assert "不能晚于今天" in exc.value.message_dict["on"][0]
    with pytest.raises(ValidationError) as exc:
        services.settlement_plan_submit(by=cast.county_supervisor, case=case,
                                        on=case.applied_on - datetime.timedelta(days=1), government="", plan_summary="",
                                        document=None)
    assert set(exc.value.message_dict) == {"on", "government", "plan_summary", "document"}
    case.refresh_from_db()
    assert case.status == S.APPLIED


def test_s1_not_approved_ends_the_case_and_a_new_application_is_possible(cast):
    case = walk(cast, "plan")
    case = services.settlement_decide(by=cast.county_supervisor, case=case, approved=False, on=timezone.localdate(),
                                      note="材料不全，补充寻亲记录后重新申请", document=pdf())
    assert case.status == S.NOT_APPROVED and case.ended_at is not None
    again = services.settlement_apply(by=cast.head, episode=case.episode, document=doc())
    assert again.status == S.APPLIED


def test_e1_placement_leaves_the_episode_by_settlement_through_the_departure_path(cast, facility):
    case = walk(cast, "placed", facility=facility)
    case.episode.refresh_from_db()
    assert case.status == S.PLACED and case.institution == facility
    assert case.episode.status == EpisodeStatus.LEFT
    departure = Departure.objects.get(episode=case.episode)
    assert departure.exit_type == ExitType.SETTLEMENT and departure.transfer_org == facility
    assert case.departure == departure
    assert departure.belongings_returned == []


def test_e1_settlement_exit_is_refused_on_the_leaving_path(cast, facility):
    from leaving.services import departure_create

    ep = admit(cast, ADMITTED)
    with pytest.raises(ValidationError, match="落户安置流程"):
        departure_create(by=cast.head, episode=ep, exit_type=ExitType.SETTLEMENT,
                         data={"transfer_org": facility, "transfer_person": "院长"})
    ep.refresh_from_db()
    assert ep.status != EpisodeStatus.LEFT


def test_e1_placement_needs_a_welfare_institution_and_the_police_and_saves_nothing_otherwise(cast):
    case = walk(cast, "approved")
    writes = audit_writes()
    with pytest.raises(ValidationError) as exc:
        services.settlement_place(by=cast.head, case=case, kind=PlacementKind.SETTLED, institution=cast.hospital,
                                  police=None, receiver="", document=None)
    assert set(exc.value.message_dict) >= {"institution", "police", "receiver", "document"}
    case.refresh_from_db()
    case.episode.refresh_from_db()
    assert case.status == S.APPROVED and case.episode.status != EpisodeStatus.LEFT
    assert audit_writes() == writes


def test_e1_a_case_not_yet_placed_is_withdrawn_when_the_episode_ends_another_way(cast):
    from leaving.services import departure_create

    case = walk(cast, "plan")
    departure_create(by=cast.head, episode=case.episode, exit_type=ExitType.MISSING,
                     data={"circumstances": "夜间翻越围墙离开，监控可见", "police_notified": True,
                           "police_report_ref": "JQ2026001"})
    case.refresh_from_db()
    assert case.status == S.WITHDRAWN and "走失" in case.end_reason


def test_s2_police_register_the_hukou_then_tekun_and_insurance_are_recorded(cast):
    case = walk(cast, "registered")
    assert case.status == S.REGISTERED and case.hukou_number == "441802202600123"
    assert case.hukou_address == "清远市清城区福利路1号"  # the institution's collective household
    case = services.settlement_enrol(by=cast.head, case=case, organisation=cast.station,
                                     tekun_on=timezone.localdate(), insurance_on=timezone.localdate(),
                                     insurance_note="城乡居民基本医疗保险")
    assert case.tekun_on and case.insurance_on
    assert set(case.steps.values_list("kind", flat=True)) >= {StepKind.TEKUN, StepKind.INSURANCE}
    with pytest.raises(ValidationError, match="已于"):
        services.settlement_enrol(by=cast.head, case=case, organisation=cast.station, tekun_on=timezone.localdate())


def test_s2_enrolment_before_registration_is_refused(cast):
    case = walk(cast, "placed")
    with pytest.raises(ValidationError, match="登记户口后"):
        services.settlement_enrol(by=cast.head, case=case, organisation=cast.station, tekun_on=timezone.localdate())


def test_s3_long_term_placement_without_hukou_needs_a_reason(cast):
    case = walk(cast, "long_term")
    assert case.status == S.LONG_TERM and case.long_term_on and case.hukou_registered_on is None
    placed = walk(cast, "placed", name="无名氏乙")
    with pytest.raises(ValidationError) as exc:
        services.settlement_long_term(by=cast.head, case=placed, on=timezone.localdate(), reason="")
    assert "原因" in exc.value.message_dict["reason"][0]
    placed = services.settlement_long_term(by=cast.head, case=placed, on=timezone.localdate(), reason="指纹比对未完成")
    assert placed.status == S.LONG_TERM
    # the 户口 can still be registered later
    placed = services.settlement_register_hukou(by=cast.police_officer, case=placed, on=timezone.localdate(),
                                                number="441802202600999")
    assert placed.status == S.REGISTERED


def _identify(cast, person, at_moment):
    from tracing import services as tracing

    with time_machine.travel(at_moment, tick=False):
        tracing.identity_confirm(by=cast.tracer, person=person, method="dna", evidence="DNA比中", name="刘某某")


def test_s4_identification_of_a_registered_person_asks_the_police_to_cancel_the_duplicate_hukou(cast):
    case = walk(cast, "registered")
    moment = timezone.now()
    _identify(cast, case.person, moment)
    case.refresh_from_db()
    assert case.status == S.IDENTIFIED and case.cancellation_requested_at is not None
    case = services.settlement_return_home(by=cast.head, case=case, on=timezone.localdate(), destination="湖南省邵阳市")
    assert case.status == S.IDENTIFIED  # still waiting for the police
    case = services.settlement_confirm_cancellation(by=cast.police_officer, case=case, on=timezone.localdate(),
                                                    ref="注销〔2026〕8号")
    assert case.status == S.CLOSED and "重复户口已注销" in case.end_reason


def test_s4_identification_before_placement_withdraws_the_case(cast):
    case = walk(cast, "approved")
    _identify(cast, case.person, timezone.now())
    case.refresh_from_db()
    assert case.status == S.WITHDRAWN and "身份已查明" in case.end_reason


def test_s4_identified_without_hukou_closes_after_the_return_home(cast):
    case = walk(cast, "long_term")
    _identify(cast, case.person, timezone.now())
    case.refresh_from_db()
    assert case.status == S.IDENTIFIED and case.cancellation_requested_at is None
    with pytest.raises(ValidationError, match="没有待注销"):
        services.settlement_confirm_cancellation(by=cast.police_officer, case=case, on=timezone.localdate(), ref="x")
    case = services.settlement_return_home(by=cast.head, case=case, on=timezone.localdate(), destination="湖南省邵阳市")
    assert case.status == S.CLOSED


def test_s1_the_institution_and_the_police_must_be_in_the_cases_city(cast):
    """Both are given read access to the person's case: a station cannot name a body in another city."""
    from core.models import Division, Organisation, OrgKind
    from settlement.selectors import institutions, police_organisations
    from settlement.tests.helpers import doc, make_facility

    case = walk(cast, "approved")
    elsewhere = Division.objects.exclude(code__startswith="4418").filter(code__endswith="00").exclude(
        code__endswith="0000").first()
    far_home = Organisation.objects.create(name="外市社会福利院", code="WSFLY", kind=OrgKind.CARE_FACILITY,
                                           division=elsewhere)
    far_police = Organisation.objects.create(name="外市公安局", code="WSGA", kind=OrgKind.POLICE, division=elsewhere)
    assert far_home not in institutions(case) and make_facility() in institutions(case)
    assert far_police not in police_organisations(case) and cast.police in police_organisations(case)
    writes = audit_writes()
    with pytest.raises(ValidationError) as exc:
        services.settlement_place(by=cast.head, case=case, kind=PlacementKind.SETTLED, institution=far_home,
                                  police=far_police, receiver="院长", document=doc())
    assert "辖区" in exc.value.message_dict["institution"][0] and "辖区" in exc.value.message_dict["police"][0]
    case.refresh_from_db()
    assert case.status == S.APPROVED and audit_writes() == writes
