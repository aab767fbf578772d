"""Rule O5: indicators as data per year (weights, frozen once used), self-assessment beside the third-party
evaluation, one assessment per station and year, transitions only along the allowed moves, and every shortfall
a hazard rectified and accepted by someone other than the fixer (rule O3's ledger)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.models import AuditEntry
from core.testing import audit_writes
from deadlines.registry import BUCKET_OVERDUE, BUCKET_TODAY, LATE, MET, discover, evaluate
from deadlines.tests.conftest import bucket_of, local
from oversight import services
from oversight.models import (
    Assessment,
    AssessmentStatus,
    Hazard,
    HazardCategory,
    HazardStatus,
    Indicator,
)
from oversight.tests.assessment import concluded, make_indicator_set, scores

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicator_set(cast):
    return make_indicator_set(cast)


def _open(cast, year=2026, **kwargs):
    return services.assessment_open(by=cast.city_supervisor, station=cast.station, year=year, **kwargs)


def test_o5_indicators_are_data_with_weights_and_a_threshold_defaulting_to_full_score(cast, indicator_set):
    rows = list(indicator_set.indicators.order_by("order"))
    assert [r.weight for r in rows] == [Decimal(20), Decimal(50), Decimal(30)]
    assert rows[0].threshold == rows[0].max_score == Decimal(10) and rows[1].threshold == Decimal(16)
    assert AuditEntry.objects.filter(object_type="oversight.Indicator").count() == 3
    # the county station's set is the city department's (the nearest department with a set for the year)
    assert services.indicator_set_for(cast.station, 2026) == indicator_set
    assert services.indicator_set_for(cast.other_station, 2026) is None
    assert services.indicator_set_for(cast.station, 2025) is None


@pytest.mark.parametrize(
    "field,kwargs",
    [
        ("max_score", {"max_score": "0"}),
        ("max_score", {"max_score": "abc"}),
        ("max_score", {"max_score": "1.234"}),
        ("weight", {"weight": "-1"}),
        ("threshold", {"threshold": "11"}),
        ("text", {"text": "x" * 201}),
        ("category", {"category": ""}),
    ],
)
def test_o5_bad_indicators_are_refused_in_chinese_and_nothing_is_saved(cast, indicator_set, field, kwargs):
    values = {"category": "机构管理", "text": "新指标", "max_score": "10", **kwargs}
    before = Indicator.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.indicator_create(by=cast.city_supervisor, indicator_set=indicator_set, **values)
    assert field in exc.value.message_dict
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message_dict[field][0])
    assert Indicator.objects.count() == before


def test_o5_one_set_per_department_and_year_and_only_departments_define_them(cast, indicator_set):
    with pytest.raises(ValidationError):
        services.indicator_set_create(by=cast.city_supervisor, department=cast.city_dept, year=2026, title="重复")
    with pytest.raises(ValidationError):
        services.indicator_set_create(by=cast.head, department=cast.station, year=2027, title="站里自己定")


def test_o5_a_years_set_is_frozen_once_an_assessment_uses_it(cast, indicator_set):
    indicator = indicator_set.indicators.first()
    services.indicator_update(
        by=cast.city_supervisor, indicator=indicator, category="机构管理", text="规章制度健全", max_score="12"
    )
    _open(cast)
    assert services.indicator_set_frozen(indicator_set)
    writes = audit_writes()
    with pytest.raises(ValidationError, match="已被考核使用"):
        services.indicator_create(
            by=cast.city_supervisor, indicator_set=indicator_set, category="新", text="新", max_score=5
        )
    with pytest.raises(ValidationError, match="已被考核使用"):
        services.indicator_update(
            by=cast.city_supervisor, indicator=indicator, category="机构管理", text="改", max_score="5"
        )
    with pytest.raises(ValidationError, match="已被考核使用"):
        services.indicator_delete(by=cast.city_supervisor, indicator=indicator)
    indicator.refresh_from_db()
    assert indicator.text == "规章制度健全" and indicator_set.indicators.count() == 3
    assert audit_writes() == writes


def test_o5_one_assessment_per_station_and_year(cast, indicator_set):
    first = _open(cast)
    assert first.status == AssessmentStatus.DRAFT and first.scores.count() == 3
    with pytest.raises(ValidationError, match="已经发起"):
        _open(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(
            number="X-KH2026", station=cast.station, year=2026, indicator_set=indicator_set,
            department=cast.city_dept, evaluator_org=cast.city_dept, self_due_on=datetime.date(2026, 10, 31),
            opened_by=cast.city_supervisor,
        )


def test_o5_an_assessment_needs_a_set_and_a_proper_evaluator(cast, indicator_set):
    with pytest.raises(ValidationError, match="还没有适用"):
        _open(cast, year=2025)
    with pytest.raises(ValidationError) as exc:
        _open(cast, evaluator_org=cast.hospital)
    assert "evaluator_org" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.assessment_open(by=cast.city_supervisor, station=cast.hospital, year=2026)
    assert not Assessment.objects.exists()


def test_o5_weighted_totals_and_differences(cast, indicator_set):
    assessment = _open(cast, evaluator_org=cast.panel)
    services.self_assessment_save(by=cast.carer, assessment=assessment, scores=scores(assessment, [10, 20, 5]))
    totals = services.assessment_totals(assessment)
    # Σ(score ÷ full × weight) ÷ Σweight × 100 = (1×20 + 1×50 + 0.5×30) ÷ 100 × 100
    assert totals["self"]["weighted"] == Decimal("85.00") and totals["self"]["raw"] == Decimal(35)
    assert totals["full"] == Decimal(40) and totals["weight"] == Decimal(100)
    assert totals["eval"]["scored"] == 0 and totals["difference"] is None
    services.self_assessment_save(by=cast.head, assessment=assessment, scores={}, submit=True)
    services.evaluation_save(by=cast.panel_member, assessment=assessment, scores=scores(assessment, [5, 16, 10]))
    totals = services.assessment_totals(assessment)
    # (0.5×20 + 0.8×50 + 1×30) = 80
    assert totals["eval"]["weighted"] == Decimal("80.00") and totals["difference"] == Decimal("-5.00")
    assert totals["shortfalls"] == 1  # 5 < 10; 16 is the second indicator's threshold, not short


def test_o5_the_self_assessment_is_submitted_complete_and_scores_stay_within_the_full_score(cast, indicator_set):
    assessment = _open(cast)
    with pytest.raises(ValidationError, match="未自评"):
        services.self_assessment_save(
            by=cast.head, assessment=assessment, scores=scores(assessment, [10, None, 10]), submit=True
        )
    with pytest.raises(ValidationError) as exc:
        services.self_assessment_save(by=cast.head, assessment=assessment, scores=scores(assessment, [11, 1, 1]))
    assert "不能" in str(exc.value) or "之间" in str(exc.value)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert not assessment.scores.filter(self_score__isnull=False).exists()  # nothing saved in part


def test_o5_transitions_only_along_the_allowed_moves(cast, indicator_set):
    assessment = _open(cast)
    with pytest.raises(ValidationError, match="只有已自评"):
        services.evaluation_save(by=cast.panel_member, assessment=assessment, scores={}, submit=True)
    with pytest.raises(ValidationError, match="不能改为"):
        services.assessment_conclude(by=cast.city_supervisor, assessment=assessment, conclusion="直接办结")
    with pytest.raises(ValidationError, match="不能改为"):
        services.self_assessment_return(by=cast.city_supervisor, assessment=assessment, reason="退回")
    services.self_assessment_save(
        by=cast.head, assessment=assessment, scores=scores(assessment, [10, 20, 10]), submit=True
    )
    with pytest.raises(ValidationError, match="不能再修改自评"):
        services.self_assessment_save(by=cast.head, assessment=assessment, scores=scores(assessment, [1, 1, 1]))
    with pytest.raises(ValidationError, match="不能改为"):
        services.assessment_conclude(by=cast.city_supervisor, assessment=assessment, conclusion="跳过评估")
    services.self_assessment_return(by=cast.panel_member, assessment=assessment, reason="说明过于简单")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT and assessment.self_submitted_at is None
    assert AuditEntry.objects.filter(object_type="oversight.Assessment", object_id=str(assessment.uuid)).count() == 3


def test_o5_every_shortfall_becomes_a_hazard_closed_only_after_acceptance_by_another(cast, indicator_set):
    assessment = concluded(cast)
    assert assessment.status == AssessmentStatus.CONCLUDED
    hazards = Hazard.objects.order_by("id")
    assert hazards.count() == 2
    for hazard in hazards:
        assert hazard.category == HazardCategory.ASSESSMENT and hazard.organisation == cast.station
        assert hazard.source == f"考核评价 {assessment.number}" and hazard.assessment_score.assessment == assessment
        assert hazard.status == HazardStatus.RECTIFYING
    assert "档案缺失三份" in hazards[0].description
    with pytest.raises(ValidationError):
        services.assessment_conclude(by=cast.city_supervisor, assessment=assessment, conclusion="再办结一次")
    hazard = hazards[0]
    services.hazard_plan(by=cast.carer, hazard=hazard, measures="补齐档案", responsible="赵照料")
    with pytest.raises(ValidationError):
        services.hazard_close(by=cast.head, hazard=hazard)  # not before it was fixed and accepted
    services.hazard_submit(by=cast.carer, hazard=hazard, rectification="已补齐三份档案")
    with pytest.raises(ValidationError, match="不能是整改人"):
        services.hazard_accept(by=cast.carer, hazard=hazard)
    services.hazard_accept(by=cast.head, hazard=hazard, note="复查合格")
    services.hazard_close(by=cast.head, hazard=hazard)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CLOSED and hazard.accepted_by == cast.head != hazard.rectified_by
    entry = AuditEntry.objects.filter(object_type="oversight.Assessment", summary__contains="办结").get()
    assert len(entry.changes["hazards"][1]) == 2


def test_o5_bad_conclusions_save_nothing(cast, indicator_set):
    assessment = concluded(cast)  # 2026 is concluded; conclude a second, evaluated one with bad input
    assert assessment.status == AssessmentStatus.CONCLUDED
    other = services.assessment_open(by=cast.city_supervisor, station=cast.city_station, year=2026)
    services.self_assessment_save(by=cast.city_supervisor, assessment=other, scores=scores(other, [1, 1, 1]),
                                  submit=True)
    services.evaluation_save(by=cast.city_supervisor, assessment=other, scores=scores(other, [1, 1, 1]), submit=True)
    hazards = Hazard.objects.count()
    for kwargs in ({"conclusion": ""}, {"conclusion": "x" * 1001}, {"conclusion": "好", "grade": "perfect"},
                   {"conclusion": "好", "deadline": datetime.date(2001, 1, 1)},
                   {"conclusion": "好", "deadline": datetime.date(2999, 1, 1)}):
        with pytest.raises(ValidationError):
            services.assessment_conclude(by=cast.city_supervisor, assessment=other, **kwargs)
    other.refresh_from_db()
    assert other.status == AssessmentStatus.EVALUATED and Hazard.objects.count() == hazards


def test_o5_no_shortfall_no_hazard(cast, indicator_set):
    concluded(cast, eval_values=(10, 16, 10))
    assert not Hazard.objects.exists()


def test_o5_self_assessment_deadline_in_the_registry(cast, indicator_set, settings):
    settings.GUITU_RULES = {**settings.GUITU_RULES, "O5_SELF_DUE": "09-30"}
    assert discover()["O5"].app_label == "oversight"
    with time_machine.travel(local(2026, 3, 1, 10), tick=False):
        assessment = _open(cast)
    assert assessment.self_due_on == datetime.date(2026, 9, 30)
    assert bucket_of("O5", assessment, local(2026, 9, 1, 9)) is None
    assert bucket_of("O5", assessment, local(2026, 9, 30, 9)) == BUCKET_TODAY
    assert bucket_of("O5", assessment, local(2026, 10, 1, 9)) == BUCKET_OVERDUE
    with time_machine.travel(local(2026, 10, 2, 9), tick=False):
        services.self_assessment_save(
            by=cast.head, assessment=assessment, scores=scores(assessment, [10, 20, 10]), submit=True
        )
    assert bucket_of("O5", assessment, local(2026, 10, 2, 10)) is None
    [outcome] = evaluate("O5", as_of=local(2026, 10, 3, 9))
    assert outcome.status == LATE
    # sent back by the evaluator: the submission no longer counts, the task is overdue again
    with time_machine.travel(local(2026, 10, 3, 9), tick=False):
        services.self_assessment_return(by=cast.city_supervisor, assessment=assessment, reason="缺少佐证")
    assert bucket_of("O5", assessment, local(2026, 10, 4, 9)) == BUCKET_OVERDUE


def test_o5_a_self_assessment_on_the_due_day_is_on_time(cast, indicator_set):
    with time_machine.travel(local(2026, 3, 1, 10), tick=False):
        assessment = _open(cast, self_due_on=datetime.date(2026, 6, 30))
    with time_machine.travel(local(2026, 6, 30, 23, 30), tick=False):
        services.self_assessment_save(
            by=cast.head, assessment=assessment, scores=scores(assessment, [10, 20, 10]), submit=True
        )
    [outcome] = evaluate("O5", as_of=local(2026, 7, 5))
    assert outcome.status == MET


def test_o5_deadline_rules_command_lists_o5(capsys):
    from django.core.management import call_command

    call_command("deadline_rules")
    assert any(line.startswith("O5") for line in capsys.readouterr().out.splitlines())
