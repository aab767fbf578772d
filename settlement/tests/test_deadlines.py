"""Settlement deadlines (settlement/deadlines.py): S1 met by the application, the department's plan (S1P) and
its follow-up of the approval (S1A), the placement (S1I), and the police's cancellation of a duplicate 户口 (S4)."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from deadlines.registry import BUCKET_OVERDUE, BUCKET_SOON, BUCKET_TODAY, LATE, MET, evaluate, get_rule
from deadlines.tests.conftest import admit, bucket_of, local
from settlement import services
from settlement.tests.helpers import ADMITTED, at, doc, walk

pytestmark = pytest.mark.django_db
SEC = datetime.timedelta(seconds=1)


def test_s1_is_declared_once_in_settlement_and_no_longer_in_stay():
    import stay.deadlines

    assert "S1" not in {r.id for r in stay.deadlines.RULES}
    assert get_rule("S1").app_label == "settlement" and get_rule("S1").fulfilment is not None


def test_s1_the_application_meets_the_deadline(cast):
    ep = admit(cast, ADMITTED)
    assert bucket_of("S1", ep, local(2026, 4, 3)) == BUCKET_SOON
    assert bucket_of("S1", ep, local(2026, 4, 5, 10)) == BUCKET_TODAY
    assert bucket_of("S1", ep, local(2026, 4, 5, 10) + SEC) == BUCKET_OVERDUE
    at(local(2026, 4, 5, 9), services.settlement_apply, by=cast.head, episode=ep, document=doc())
    assert bucket_of("S1", ep, local(2026, 4, 6)) is None
    assert evaluate("S1", as_of=local(2026, 4, 6))[0].status == MET


def test_s1_an_application_after_the_deadline_counts_as_late(cast):
    ep = admit(cast, ADMITTED)
    at(local(2026, 4, 20, 9), services.settlement_apply, by=cast.head, episode=ep, document=doc())
    assert evaluate("S1", as_of=local(2026, 4, 21))[0].status == LATE
    # the past does not change: on 15 April it was overdue
    assert bucket_of("S1", ep, local(2026, 4, 15)) == BUCKET_OVERDUE


def test_s1_a_stricter_administrator_setting_also_moves_the_refusal_threshold(cast):
    from deadlines.models import RuleSetting

    RuleSetting.objects.create(rule_id="S1", amount=2)
    ep = admit(cast, ADMITTED)
    case = at(local(2026, 3, 6, 10), services.settlement_apply, by=cast.head, episode=ep, document=doc())
    assert case.exception_reason == ""


def test_s1p_the_department_drafts_the_plan_within_30_days(cast):
    case = walk(cast, "applied")  # applied on 2026-04-15
    assert case.applied_on == datetime.date(2026, 4, 15)
    assert bucket_of("S1P", case, local(2026, 5, 14)) == BUCKET_SOON
    assert bucket_of("S1P", case, local(2026, 5, 16, 12)) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 5, 17, 9), tick=False):
        services.settlement_plan_submit(by=cast.county_supervisor, case=case, on=timezone.localdate(),
                                        government="英德市人民政府", plan_summary="安置", document=doc())
    assert bucket_of("S1P", case, local(2026, 5, 18)) is None
    assert evaluate("S1P", as_of=local(2026, 5, 18), org_ids=[cast.county_dept.pk])[0].status == LATE


def test_s1a_and_s1i_follow_the_plan_and_the_approval(cast):
    case = walk(cast, "plan")  # plan on 2026-04-25
    assert bucket_of("S1A", case, local(2026, 6, 26)) == BUCKET_OVERDUE
    case = walk(cast, "approved", name="无名氏乙")  # approved on 2026-05-15
    assert bucket_of("S1A", case, local(2026, 6, 26)) is None
    assert bucket_of("S1I", case, local(2026, 6, 16)) == BUCKET_OVERDUE
    case = walk(cast, "placed", name="无名氏丙")
    assert bucket_of("S1I", case, local(2026, 6, 16)) is None


def test_s4_the_police_cancel_the_duplicate_hukou_within_30_days(cast):
    from tracing import services as tracing

    case = walk(cast, "registered")
    identified = local(2026, 7, 1, 10)
    with time_machine.travel(identified, tick=False):
        tracing.identity_confirm(by=cast.tracer, person=case.person, method="dna", evidence="DNA比中", name="刘某")
    case.refresh_from_db()
    assert bucket_of("S4", case, local(2026, 7, 29)) == BUCKET_SOON
    assert bucket_of("S4", case, local(2026, 7, 31, 10) + SEC, org_ids=[cast.police.pk]) == BUCKET_OVERDUE
    assert bucket_of("S4", case, local(2026, 7, 31, 10) + SEC, org_ids=[cast.station.pk]) is None
    with time_machine.travel(local(2026, 8, 2, 10), tick=False):
        services.settlement_confirm_cancellation(by=cast.police_officer, case=case, on=timezone.localdate(),
                                                 ref="注销〔2026〕3号")
    assert bucket_of("S4", case, local(2026, 8, 3)) is None
    assert evaluate("S4", as_of=local(2026, 8, 3))[0].status == LATE
