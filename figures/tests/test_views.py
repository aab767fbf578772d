"""The statistics pages and API: rendered from the summary tables, exports, refresh on demand, report actions."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from core.models import AuditAction, AuditEntry
from figures.models import QuarterlyReport, RefreshRun, ReportStatus
from figures.tests.fixture import TZ

pytestmark = pytest.mark.django_db

Q1 = {"measure": "requested", "date_from": "2025-01-01", "date_to": "2025-03-31"}


def test_n13_statistics_page_shows_figures_charts_and_when_refreshed(client, cast, quarter, statistician):
    client.force_login(statistician)
    response = client.get("/figures/", Q1)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-count="4"' in body and "统计汇总最近刷新" in body
    assert "vendor/echarts/echarts.min.js" in body and "figures/charts.js" in body
    assert "求助原因" in body and "身份状态" in body and "/network/geo/" in body


def test_n13_bad_dates_get_a_chinese_message(client, cast, quarter, statistician):
    client.force_login(statistician)
    body = client.get("/figures/", {**Q1, "date_to": "2024-12-01"}).content.decode()
    assert "截止日期不能早于起始日期" in body
    response = client.get("/api/v1/figures/breakdown", {**Q1, "date_to": "2024-12-01"})
    assert response.status_code == 400 and "截止日期" in response.json()["message"]


def test_n13_excel_export_has_every_table_and_is_audited(client, cast, quarter, statistician):
    client.force_login(statistician)
    response = client.get("/figures/", {**Q1, "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert {"按范围", "按月", "性别", "求助原因", "特殊群体"} <= set(book.sheetnames)
    rows = [tuple(r) for r in book["性别"].iter_rows(values_only=True)]
    assert ("男", 3) in rows and ("女", 1) in rows
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=statistician).exists()
    drill = client.get("/figures/people/", {**Q1, "dimension": "sex", "key": "男", "format": "xlsx"})
    names = {r[1] for r in load_workbook(io.BytesIO(drill.content)).active.iter_rows(min_row=3, values_only=True)}
    assert names == {"甲统计", "丙统计", "丁统计"}


def test_n13_refresh_on_demand_runs_through_the_task_queue(client, cast, quarter, statistician,
                                                          django_capture_on_commit_callbacks):
    client.force_login(statistician)
    before = RefreshRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True):  # queued after the request's transaction commits
        response = client.post("/figures/refresh/", {"next": "/figures/"})
    assert response.status_code == 302
    assert RefreshRun.objects.count() == before + 1  # huey runs immediately in tests
    client.force_login(cast.police_officer)
    assert client.post("/figures/refresh/").status_code == 403
    assert client.get("/figures/").status_code == 403


def test_n13_api_breakdown_matches_the_page(client, cast, quarter, statistician):
    client.force_login(statistician)
    data = client.get("/api/v1/figures/breakdown", {**Q1, "group": "county"}).json()
    assert data["total"] == 4 and data["refreshed_at"]
    sexes = {r["key"]: r["count"] for d in data["dimensions"] if d["dimension"] == "sex" for r in d["rows"]}
    assert sexes["男"] == 3 and sexes["女"] == 1
    assert {a["label"]: a["count"] for a in data["areas"]} == {"英德市": 3, "清城区": 1}
    client.force_login(cast.outsider)
    refused = client.get("/api/v1/figures/breakdown", {**Q1, "area": "441800"})  # not an area of its scope
    assert refused.status_code == 400 and "清远" not in refused.content.decode()
    assert client.get("/api/v1/figures/breakdown", Q1).json()["total"] == 1  # its own station only


def test_o4_report_journey_through_pages_and_api(client, cast, quarter):
    april = datetime.datetime(2025, 4, 3, 10, 0, tzinfo=TZ)
    with time_machine.travel(april, tick=False):
        client.force_login(cast.head)
        response = client.post("/figures/reports/", {"organisation": str(cast.station.uuid), "year": 2025,
                                                     "quarter": 1})
        report = QuarterlyReport.objects.get()
        assert response.status_code == 302 and report.status == ReportStatus.DRAFT
        assert client.get(f"/figures/reports/{report.uuid}/").status_code == 200
        client.post(f"/figures/reports/{report.uuid}/review/", {"note": "无误"})
        client.post(f"/figures/reports/{report.uuid}/submit/")
        report.refresh_from_db()
        assert report.status == ReportStatus.SUBMITTED
        submission = report.submissions.get()
        assert client.get(f"/figures/submissions/{submission.uuid}/").status_code == 200
        xlsx = client.get(f"/figures/submissions/{submission.uuid}/", {"format": "xlsx"})
        assert xlsx.status_code == 200 and "求助登记" in load_workbook(io.BytesIO(xlsx.content)).sheetnames
        client.force_login(cast.county_supervisor)
        assert "待我单位接收" in client.get("/figures/reports/").content.decode()
        out = client.post(f"/api/v1/figures/reports/{report.uuid}/acknowledge", content_type="application/json")
        assert out.status_code == 200 and out.json()["state"] == "已接收"
        again = client.post(f"/api/v1/figures/reports/{report.uuid}/acknowledge", content_type="application/json")
        assert again.status_code == 400 and "不能变为" in again.json()["message"]
        listed = client.get("/api/v1/figures/reports").json()
        assert [r["status"] for r in listed] == ["acknowledged"]
        early = client.post("/api/v1/figures/reports", {"organisation": str(cast.county_dept.uuid), "year": 2025,
                                                        "quarter": 2}, content_type="application/json")
        assert early.status_code == 400 and "尚未结束" in early.json()["message"]
