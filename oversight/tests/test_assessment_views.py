"""Pages and API of rule O5: who may define indicators, self-assess, evaluate and conclude; the side-by-side
page, the Excel comparison and the printed report; an outsider gets nothing; bad input saves nothing."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.models import AuditAction, AuditEntry
from core.testing import audit_writes
from oversight import services
from oversight.models import Assessment, AssessmentStatus, Hazard, HazardCategory, Indicator
from oversight.tests.assessment import concluded, make_indicator_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicator_set(cast):
    return make_indicator_set(cast)


@pytest.fixture
def assessment(cast, indicator_set):
    return services.assessment_open(by=cast.city_supervisor, station=cast.station, year=2026, evaluator_org=cast.panel)


def _score_post(assessment, values, action="save", remark="属实"):
    data = {"summary": "总结", "action": action}
    for row, v in zip(assessment.scores.select_related("indicator").order_by("indicator__order"), values, strict=True):
        data[f"s_{row.indicator.pk}"] = "" if v is None else str(v)
        data[f"m_{row.indicator.pk}"] = remark
    return data


def test_o5_the_department_edits_indicators_and_a_station_only_reads_them(client_for, cast, indicator_set):
    url = f"/oversight/indicators/{indicator_set.uuid}/"
    client = client_for(cast.city_supervisor)
    response = client.post(url, {"category": "安全管理", "text": "消防演练每半年一次", "max_score": "5", "weight": "10",
                                 "threshold": "", "order": "5", "guidance": ""})
    assert response.status_code == 302 and Indicator.objects.filter(text="消防演练每半年一次").exists()
    client = client_for(cast.head)
    assert client.get(url).status_code == 200 and "消防演练每半年一次" in client.get(url).content.decode()
    before = Indicator.objects.count()
    assert client.post(url, {"category": "x", "text": "站里加的", "max_score": "5", "weight": "1", "order": "0"}).status_code == 403
    indicator = indicator_set.indicators.first()
    assert client.get(f"/oversight/indicator-items/{indicator.uuid}/").status_code == 403
    assert client.post(f"/oversight/indicator-items/{indicator.uuid}/delete/").status_code == 403
    assert client.get("/oversight/indicators/new/").status_code == 403
    assert Indicator.objects.count() == before


def test_o5_a_frozen_set_refuses_edits_on_the_page_with_a_chinese_message(client_for, cast, indicator_set, assessment):
    indicator = indicator_set.indicators.first()
    client = client_for(cast.city_supervisor)
    response = client.post(f"/oversight/indicator-items/{indicator.uuid}/", {
        "category": "机构管理", "text": "改过的", "max_score": "10", "weight": "20", "order": "0"})
    assert response.status_code == 200 and "已被考核使用" in response.content.decode()
    response = client.post(f"/oversight/indicator-items/{indicator.uuid}/delete/", follow=True)
    assert "已被考核使用" in response.content.decode()
    assert Indicator.objects.filter(pk=indicator.pk, text=indicator.text).exists()
    assert "已冻结" in client.get(f"/oversight/indicators/{indicator_set.uuid}/").content.decode()


def test_o5_journey_by_pages_self_assessed_evaluated_concluded_and_the_shortfall_is_a_hazard(
    client_for, cast, indicator_set
):
    client = client_for(cast.city_supervisor)
    response = client.post("/oversight/assessments/new/", {
        "station": str(cast.station.uuid), "year": "2026", "evaluator_org": str(cast.panel.uuid), "self_due_on": ""})
    assert response.status_code == 302, response.content.decode()
    assessment = Assessment.objects.get()
    base = f"/oversight/assessments/{assessment.uuid}/"
    # a carer saves a draft but may not submit; the head submits
    client = client_for(cast.carer)
    assert client.post(base + "self/", _score_post(assessment, [10, 18, 10])).status_code == 302
    assert client.post(base + "self/", _score_post(assessment, [10, 18, 10], "submit")).status_code == 403
    client = client_for(cast.head)
    assert client.get(base + "evaluate/").status_code == 403  # the station never evaluates itself
    assert client.post(base + "self/", _score_post(assessment, [10, 18, 10], "submit")).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SELF_ASSESSED
    client = client_for(cast.panel_member)  # the third-party evaluator organisation
    assert client.get(base).status_code == 200
    assert client.get(base + "conclude/").status_code == 403
    assert client.post(base + "evaluate/", _score_post(assessment, [10, 12, 10], "submit", "档案缺3份")).status_code == 302
    client = client_for(cast.city_supervisor)
    page = client.get(base).content.decode()
    assert "-6.00" in page and "办结时录入隐患台账" in page  # the difference (12 − 18) and the shortfall
    response = client.post(base + "conclude/", {"conclusion": "基本完成", "grade": "pass", "deadline": ""})
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    assert hazard.category == HazardCategory.ASSESSMENT and hazard.organisation == cast.station
    assert hazard.number in client.get(base).content.decode()
    assert assessment.number in client_for(cast.head).get(f"/oversight/hazards/{hazard.uuid}/").content.decode()


def test_o5_bad_scores_on_the_page_show_a_message_and_save_nothing(client_for, cast, assessment):
    client = client_for(cast.head)
    writes = audit_writes()
    response = client.post(f"/oversight/assessments/{assessment.uuid}/self/", _score_post(assessment, [11, 5, 5]))
    assert response.status_code == 200
    assert not assessment.scores.filter(self_score__isnull=False).exists() and audit_writes() == writes
    response = client.post(f"/oversight/assessments/{assessment.uuid}/self/", _score_post(assessment, [1, None, 1], "submit"))
    assert "未自评" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_o5_an_outsider_gets_nothing(client_for, cast, indicator_set):
    a = concluded(cast)
    client = client_for(cast.outsider)
    for url in (f"/oversight/assessments/{a.uuid}/", f"/oversight/assessments/{a.uuid}/xlsx/",
                f"/oversight/assessments/{a.uuid}/print/", f"/oversight/assessments/{a.uuid}/self/",
                f"/oversight/indicators/{indicator_set.uuid}/"):
        assert client.get(url).status_code == 404, url
    assert a.number not in client.get("/oversight/assessments/").content.decode()
    assert "规章制度" not in client.get("/oversight/indicators/").content.decode()
    assert client.get(f"/api/v1/oversight/assessments/{a.uuid}").status_code == 404
    assert client.get("/api/v1/oversight/assessments").json() == []
    assert client.get("/api/v1/oversight/indicator-sets").json() == []
    # the hospital (in the department's tree, but neither station nor evaluator) sees no assessment either
    assert client_for(cast.police_officer).get(f"/oversight/assessments/{a.uuid}/").status_code == 404


def test_o5_the_comparison_exports_to_excel_and_is_audited(client_for, cast, indicator_set):
    a = concluded(cast)
    response = client_for(cast.county_supervisor).get(f"/oversight/assessments/{a.uuid}/xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][:6] == ["指标类别", "评价内容", "分值", "权重", "达标分", "自评得分"]
    assert values[-1][0] == "合计" and len(values) == 2 + 3 + 1
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_id__contains=a.number).exists()


def test_o5_the_printed_report(client_for, cast, indicator_set):
    a = concluded(cast)
    response = client_for(cast.head).get(f"/oversight/assessments/{a.uuid}/print/")
    body = response.content.decode()
    assert response.status_code == 200 and "考核评价报告" in body and "基本完成年度任务" in body
    assert "<script>" not in body and "onclick" not in body


def test_o5_api_journey_and_errors(client, cast, indicator_set):
    client.force_login(cast.city_supervisor)
    created = client.post("/api/v1/oversight/assessments", {"station": str(cast.station.uuid), "year": 2026,
                          "evaluator_org": str(cast.panel.uuid)}, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    url = f"/api/v1/oversight/assessments/{data['uuid']}"
    indicators = [s["indicator"] for s in data["scores"]]
    again = client.post("/api/v1/oversight/assessments", {"station": str(cast.station.uuid), "year": 2026},
                        content_type="application/json")
    assert again.status_code == 400 and "已经发起" in again.json()["message"]
    client.force_login(cast.head)
    too_high = client.post(url + "/self", {"scores": [{"indicator": indicators[0], "score": 99}], "submit": False},
                           content_type="application/json")
    assert too_high.status_code == 400 and "之间" in too_high.json()["message"]
    long = client.post(url + "/self", {"scores": [{"indicator": indicators[0], "score": 1, "remark": "长" * 301}]},
                       content_type="application/json")
    assert long.status_code == 422
    done = client.post(url + "/self", {"scores": [{"indicator": i, "score": 10} for i in indicators], "submit": True},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "self_assessed", done.content
    assert client.post(url + "/evaluation", {"scores": []}, content_type="application/json").status_code == 403
    client.force_login(cast.panel_member)
    evaluated = client.post(url + "/evaluation", {"scores": [{"indicator": i, "score": 8} for i in indicators],
                            "submit": True, "summary": "普遍未达标"}, content_type="application/json").json()
    assert evaluated["totals"]["eval"]["weighted"] in ("60.00", 60, "60")  # 8/10×20 + 8/20×50 + 8/10×30
    assert client.post(url + "/conclude", {"conclusion": "x"}, content_type="application/json").status_code == 403
    client.force_login(cast.city_supervisor)
    concluded_ = client.post(url + "/conclude", {"conclusion": "需整改", "grade": "fail"},
                             content_type="application/json").json()
    assert concluded_["status"] == "concluded" and all(s["hazard"] for s in concluded_["scores"])
    assert Hazard.objects.filter(category="assessment").count() == 3
    frozen = client.post(f"/api/v1/oversight/indicator-sets/{indicator_set.uuid}/indicators",
                         {"category": "新", "text": "新", "max_score": 5}, content_type="application/json")
    assert frozen.status_code == 400 and "已被考核使用" in frozen.json()["message"]
    got = client.get(f"/api/v1/oversight/indicator-sets/{indicator_set.uuid}").json()
    assert got["frozen"] is True and Decimal(str(got["indicators"][0]["weight"])) == Decimal(20)


def test_o5_api_indicator_sets_by_the_department_only(client, cast):
    client.force_login(cast.head)
    assert client.post("/api/v1/oversight/indicator-sets", {"year": 2027, "title": "站里自定"},
                       content_type="application/json").status_code == 403
    client.force_login(cast.city_supervisor)
    created = client.post("/api/v1/oversight/indicator-sets", {"year": 2027, "title": "2027年度指标"},
                          content_type="application/json")
    assert created.status_code == 201
    set_uuid = created.json()["uuid"]
    bad = client.post(f"/api/v1/oversight/indicator-sets/{set_uuid}/indicators",
                      {"category": "机构管理", "text": "a", "max_score": 10, "threshold": 11},
                      content_type="application/json")
    assert bad.status_code == 400 and "达标分" in bad.json()["message"]
    made = client.post(f"/api/v1/oversight/indicator-sets/{set_uuid}/indicators",
                       {"category": "机构管理", "text": "a", "max_score": 10}, content_type="application/json")
    assert made.status_code == 201 and made.json()["threshold"] in ("10.00", 10, "10")
    deleted = client.post(f"/api/v1/oversight/indicators/{made.json()['uuid']}/delete", content_type="application/json")
    assert deleted.status_code == 204 and not Indicator.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DELETE, object_type="oversight.Indicator").exists()
