"""Pages and API of daily care: scoped (another station's user gets nothing), written through the services with
Chinese messages and nothing saved on bad input, exported to Excel and audited."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AuditAction, AuditEntry
from dailycare import services
from dailycare.models import DvShelter, MealRecord, MealSample, MinorPlan
from stay.tests.factories import admitted_episode, station_beds

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(cast):
    zones = station_beds(cast)
    child = admitted_episode(cast, age=12, name="小明", is_minor=True)
    meal = services.meal_record(by=cast.carer, zone=zones.men, served_on=timezone.localdate(), meal="breakfast",
                                menu="粥、馒头", headcount=2, served_at=timezone.now() - datetime.timedelta(minutes=5))
    plan = services.minor_plan_create(by=cast.carer, episode=child, assessment="与家人走散", plan="心理疏导，寻亲",
                                      responsible=cast.carer)
    victim = admitted_episode(cast, name="刘女士", sex="女")
    shelter = services.dv_shelter_open(by=cast.reception, episode=victim, abuser_relationship="丈夫",
                                       circumstances="遭受殴打")
    return type("S", (), {"zones": zones, "child": child, "meal": meal, "plan": plan, "shelter": shelter})


def test_c2_the_meal_page_records_a_meal_with_its_sample(client_for, cast):
    zones = station_beds(cast)
    client = client_for(cast.carer)
    assert "登记早餐" in client.get(reverse("dailycare:home")).content.decode()
    response = client.post(reverse("dailycare:meal_new"), {
        "zone": zones.women.uuid, "served_on": timezone.localdate().isoformat(), "meal": "lunch",
        "menu": "米饭、番茄炒蛋", "headcount": 3, "grams": 125, "storage": "留样冰箱"})
    assert response.status_code == 302
    record = MealRecord.objects.get()
    assert record.sample.kept_by == cast.carer and record.recorded_by == cast.carer


def test_c2_a_future_dated_or_duplicate_meal_on_the_page_is_refused_in_chinese(client_for, cast, setup):
    client = client_for(cast.carer)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    data = {"zone": setup.zones.men.uuid, "served_on": tomorrow, "meal": "lunch", "menu": "米饭", "headcount": 3,
            "grams": 125}
    body = client.post(reverse("dailycare:meal_new"), data).content.decode()
    assert "日期不能晚于今天" in body
    body = client.post(reverse("dailycare:meal_new"), {**data, "served_on": timezone.localdate().isoformat(),
                                                       "meal": "breakfast"}).content.decode()
    assert "已登记，不能重复登记" in body
    assert MealRecord.objects.count() == 1


def test_c2_an_early_disposal_on_the_page_is_refused_and_nothing_changes(client_for, cast, setup):
    sample = setup.meal.sample
    response = client_for(cast.carer).post(reverse("dailycare:sample_dispose", args=[sample.uuid]), {}, follow=True)
    assert "期满前不能销毁" in response.content.decode()
    assert MealSample.objects.get(pk=sample.pk).disposed_at is None


def test_c2_the_meal_ledger_exports_meals_and_samples_to_excel_and_the_export_is_audited(client_for, cast, setup):
    response = client_for(cast.head).get(reverse("dailycare:meals"), {"format": "xlsx"})
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    assert "三餐及留样登记" in rows[0][0] and rows[1][0] == "机构" and rows[2][5] == "粥、馒头"
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="list").exists()
    response = client_for(cast.head).get(reverse("dailycare:minors"), {"format": "xlsx"})
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    assert rows[2][1] == "小明"


def test_i8_the_plan_page_records_a_review_and_the_guardianship_assessment(client_for, cast, setup):
    client = client_for(cast.carer)
    url = reverse("dailycare:minor_plan", args=[setup.plan.uuid])
    assert "家庭监护评估" in client.get(url).content.decode()
    client.post(reverse("dailycare:minor_plan_review", args=[setup.plan.uuid]), {"findings": "情绪稳定"})
    client.post(reverse("dailycare:minor_assess", args=[setup.plan.uuid]), {
        "guardian_name": "张父", "relationship": "父亲", "method": "入户走访", "findings": "家庭稳定", "conclusion": "fit"})
    plan = MinorPlan.objects.get()
    assert plan.reviews.count() == 1 and plan.guardianship_assessments.count() == 1
    episode_page = client.get(reverse("people:episode", args=[setup.child.uuid])).content.decode()
    assert "一人一策" in episode_page and "“六个一”基本服务" in episode_page


def test_n11_the_shelter_page_records_the_report(client_for, cast, setup):
    client = client_for(cast.reception)
    response = client.post(reverse("dailycare:shelter_report", args=[setup.shelter.uuid]), {
        "reported_to": "police", "recipient": "城关派出所", "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "how": "电话", "content": "报告家庭暴力"}, follow=True)
    assert "已登记报告" in response.content.decode()
    assert DvShelter.objects.get().reports.count() == 1


def test_it_shows_another_stations_user_nothing_and_lets_them_change_nothing(client_for, cast, setup):
    client = client_for(cast.outsider)
    for url in (reverse("dailycare:meals"), reverse("dailycare:minors"), reverse("dailycare:shelters"),
                reverse("dailycare:samples"), reverse("dailycare:care_plans"), reverse("dailycare:home")):
        body = client.get(url).content.decode()
        assert "小明" not in body and "刘女士" not in body and "粥、馒头" not in body
    for url in (reverse("dailycare:minor_plan", args=[setup.plan.uuid]),
                reverse("dailycare:sample", args=[setup.meal.sample.uuid]),
                reverse("dailycare:shelter", args=[setup.shelter.uuid]),
                reverse("dailycare:minor_plan_new", args=[setup.child.uuid])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("dailycare:minor_plan_review", args=[setup.plan.uuid]),
                       {"findings": "x"}).status_code == 404
    assert client.get("/api/v1/dailycare/meals").json() == []
    assert client.get("/api/v1/dailycare/minor-plans").json() == []
    assert client.get(f"/api/v1/dailycare/minor-plans/{setup.plan.uuid}").status_code == 404
    response = client.post(f"/api/v1/dailycare/shelters/{setup.shelter.uuid}/reports", {
        "reported_to": "police", "recipient": "x", "reported_at": timezone.now().isoformat(), "how": "电话",
        "content": "x"}, content_type="application/json")
    assert response.status_code == 404
    assert setup.plan.reviews.count() == 0 and setup.shelter.reports.count() == 0


def test_a_station_user_of_another_role_reads_but_a_police_officer_gets_nothing(client_for, cast, setup):
    assert client_for(cast.county_supervisor).get(reverse("dailycare:minors")).content.decode().count("小明") == 1
    response = client_for(cast.county_supervisor).post(reverse("dailycare:minor_plan_review", args=[setup.plan.uuid]),
                                                       {"findings": "x"})
    assert response.status_code == 403 and setup.plan.reviews.count() == 0
    assert client_for(cast.police_officer).get(reverse("dailycare:minor_plan", args=[setup.plan.uuid])).status_code == 404


def test_c2_the_api_records_meals_refuses_duplicates_and_early_disposal_in_chinese(client_for, cast, setup):
    client = client_for(cast.carer)
    payload = {"zone": str(setup.zones.women.uuid), "served_on": timezone.localdate().isoformat(), "meal": "breakfast",
               "menu": "粥、鸡蛋", "headcount": 1}
    created = client.post("/api/v1/dailycare/meals", payload, content_type="application/json")
    assert created.status_code == 201 and created.json()["sample"]["kept_by"]
    again = client.post("/api/v1/dailycare/meals", payload, content_type="application/json")
    assert again.status_code == 400 and "不能重复登记" in again.json()["message"]
    future = client.post("/api/v1/dailycare/meals", {**payload, "served_on": "2999-01-01"},
                         content_type="application/json")
    assert future.status_code == 400 and "不能晚于今天" in future.json()["message"]
    sample = created.json()["sample"]["uuid"]
    early = client.post(f"/api/v1/dailycare/samples/{sample}/dispose", {}, content_type="application/json")
    assert early.status_code == 400 and "期满前不能销毁" in early.json()["message"]
    assert MealRecord.objects.count() == 2 and not MealSample.objects.filter(disposed_at__isnull=False).exists()


def test_i8_n10_n11_the_api_writes_plans_assessments_and_reports(client_for, cast, setup):
    client = client_for(cast.carer)
    url = f"/api/v1/dailycare/minor-plans/{setup.plan.uuid}"
    assert client.post(url + "/reviews", {"findings": "适应良好"}, content_type="application/json").status_code == 201
    assessed = client.post(url + "/assessments", {"guardian_name": "张父", "relationship": "父亲", "method": "电话",
                                                  "findings": "可以返家", "conclusion": "fit"},
                           content_type="application/json")
    assert assessed.status_code == 201
    guardianship = client.post(url + "/guardianship", {"department": str(cast.county_dept.uuid),
                                                       "started_at": setup.child.admitted_at.isoformat()},
                               content_type="application/json")
    assert guardianship.status_code == 200 and guardianship.json()["guardian_department"] == "英德市民政局"
    detail = client.get(url).json()
    assert len(detail["reviews"]) == 1 and detail["assessments"][0]["conclusion"] == "fit"
    reported = client_for(cast.reception).post(
        f"/api/v1/dailycare/shelters/{setup.shelter.uuid}/reports",
        {"reported_to": "women_federation", "recipient": "英德市妇联", "reported_at": timezone.now().isoformat(),
         "how": "书面", "content": "报告家庭暴力"}, content_type="application/json")
    assert reported.status_code == 201
    checks = client.post(f"/api/v1/dailycare/episodes/{setup.child.uuid}/basic-services",
                         {"outcomes": [{"service": "bath"}, {"service": "nonsense"}]}, content_type="application/json")
    assert checks.status_code == 400 and "nonsense" in checks.json()["message"]
    checks = client.post(f"/api/v1/dailycare/episodes/{setup.child.uuid}/basic-services",
                         {"outcomes": [{"service": "bath"}, {"service": "talk", "outcome": "declined"}]},
                         content_type="application/json")
    assert checks.status_code == 201 and [c["name"] for c in checks.json()] == ["洗一次热水澡", "进行一次谈心"]


def test_c2_a_zone_filter_that_is_not_a_uuid_is_ignored_not_a_server_error(client_for, cast, setup):
    client = client_for(cast.carer)
    not_a_uuid = "x" * 36
    for name in ("dailycare:meals", "dailycare:samples", "dailycare:meal_new"):
        assert client.get(reverse(name), {"zone": not_a_uuid}).status_code == 200, name
