"""A year's indicators and assessments for the oversight tests and the every-URL scoping world (rule O5)."""

from decimal import Decimal

from oversight import services

INDICATORS = (
    # category, text, max score, weight, threshold
    ("机构管理", "规章制度健全并上墙公示", "10", "20", None),
    ("站内服务", "受助人员一人一档、档案完整", "20", "50", "16"),
    ("安全管理", "每月开展安全检查并有记录", "10", "30", None),
)


def make_indicator_set(cast, year: int = 2026):
    indicator_set = services.indicator_set_create(
        by=cast.city_supervisor, department=cast.city_dept, year=year, title="救助管理机构年度考核评价指标"
    )
    for n, (category, text, max_score, weight, threshold) in enumerate(INDICATORS):
        services.indicator_create(
            by=cast.city_supervisor,
            indicator_set=indicator_set,
            category=category,
            text=text,
            max_score=max_score,
            weight=weight,
            threshold=threshold,
            guidance="查阅资料、现场查看",
            order=n,
        )
    return indicator_set


def scores(assessment, values, remark=""):
    """{indicator pk: {"score", "remark"}} in indicator order from a list of numbers (None leaves it blank)."""
    rows = list(assessment.scores.select_related("indicator").order_by("indicator__order"))
    return {
        row.indicator.pk: {"score": None if v is None else Decimal(str(v)), "remark": remark}
        for row, v in zip(rows, values, strict=True)
    }


def concluded(cast, *, year: int = 2026, evaluator_org=None, self_values=(10, 18, 10), eval_values=(10, 12, 8)):
    """An assessment carried through: self-assessed by the head, evaluated, concluded by the department.
    With the default scores two indicators fall short (12 < 16 and 8 < 10) and become hazards."""
    assessment = services.assessment_open(
        by=cast.city_supervisor, station=cast.station, year=year, evaluator_org=evaluator_org or cast.panel
    )
    services.self_assessment_save(
        by=cast.head, assessment=assessment, scores=scores(assessment, self_values, "自评属实"),
        summary="全年工作总结", submit=True,
    )
    services.evaluation_save(
        by=cast.panel_member, assessment=assessment, scores=scores(assessment, eval_values, "档案缺失三份"),
        summary="第三方评估意见", submit=True,
    )
    return services.assessment_conclude(
        by=cast.city_supervisor, assessment=assessment, conclusion="基本完成年度任务", grade="pass"
    )
