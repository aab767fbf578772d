"""Rule O4: campaign pages, declarations (validated, audited, with their document), Excel in the annex layout,
print, submission as issued, the API, scope and the outsider."""

import base64
import datetime
import io

import pytest
from openpyxl import load_workbook

from campaign import columns as cols
from campaign import selectors, services
from campaign.models import Campaign, Declaration, Submission
from campaign.tests.conftest import AS_OF, scan
from core.models import AuditEntry, Division
from core.testing import audit_writes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_parallel_apps(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    def missing(name):
        raise ImportError(name)

    monkeypatch.setattr(selectors, "import_contract", missing)


def _declaration_post(**over):
    data = {"division": "441881", "declared_on": "2026-06-01", "leadership_mechanism": "on", "meetings_held": "2",
            "leadership_note": "5月召开联席会议，研究街面巡查", "patrol_duties": "on", "pay_policy_note": "",
            "document": scan()}
    data.update(over)
    return data


def test_o4_the_department_configures_a_campaign_with_reporting_dates(cast, client_for):
    client = client_for(cast.city_supervisor)
    response = client.post("/campaign/new/", {"name": "寒冬送温暖专项行动", "starts_on": "2026-01-01",
                                              "ends_on": "2026-03-31", "reporting_dates": "2026-02-15 中期\n2026-03-31"})
    campaign = Campaign.objects.get(name="寒冬送温暖专项行动")
    assert response.status_code == 302
    assert [(d.due_on, d.label) for d in campaign.dates.all()] == [
        (datetime.date(2026, 2, 15), "中期"), (datetime.date(2026, 3, 31), "")]
    entry = AuditEntry.objects.get(object_type="campaign.Campaign", action="create")
    assert entry.changes["reporting_dates"][1] == ["中期 2026-02-15", "报送 2026-03-31"]


def test_o4_bad_campaign_input_is_refused_in_chinese_and_nothing_saved(cast, client_for):
    client = client_for(cast.city_supervisor)
    before = audit_writes()
    for data, message in (
        ({"reporting_dates": "2026/02/15"}, "格式"),
        ({"ends_on": "2025-12-01"}, "结束日期不能早于开始日期"),
        ({"reporting_dates": "2025-12-01"}, "早于专项行动开始日期"),
        ({"reporting_dates": "2026-02-01\n2026-02-01"}, "重复"),
        ({"reporting_dates": ""}, "必填"),
    ):
        post = {"name": "行动", "starts_on": "2026-01-01", "ends_on": "2026-03-31", "reporting_dates": "2026-02-01",
                **data}
        response = client.post("/campaign/new/", post)
        assert response.status_code == 200 and message in response.content.decode(), message
    assert not Campaign.objects.exists() and audit_writes() == before


def test_o4_a_station_may_not_configure_a_campaign(cast, client_for):
    assert client_for(cast.head).post("/campaign/new/", {"name": "x"}).status_code == 403
    assert not Campaign.objects.exists()


def test_o4_a_declaration_needs_its_document_and_consistent_answers(cast, campaign, client_for):
    client = client_for(cast.city_supervisor)
    url = f"/campaign/{campaign.uuid}/declarations/new/"
    before = audit_writes()
    for over, message in (
        ({"document": ""}, "必填"),
        ({"leadership_mechanism": "", "meetings_held": "3"}, "未成立领导协调机制的，不能填写其召开的会议次数"),
        ({"leadership_note": ""}, "请注明召开会议的时间和研究事项"),
        ({"declared_on": "2025-06-01"}, "不能早于专项行动开始日期"),
        ({"declared_on": "2099-01-01"}, "不能晚于今天"),
        ({"division": "440232"}, "选择一个有效的选项"),  # a county of another city
        ({"meetings_held": "-1"}, "0"),
    ):
        response = client.post(url, _declaration_post(**over))
        assert response.status_code == 200 and message in response.content.decode(), over
    assert not Declaration.objects.exists() and audit_writes() == before
    bad = client.post(url, _declaration_post(document=io.BytesIO(b"MZ\x90 not a scan")))
    assert "不是有效的图片或 PDF" in bad.content.decode() and not Declaration.objects.exists()


def test_o4_a_declaration_is_saved_audited_and_its_document_served_in_scope(cast, campaign, client_for):
    client = client_for(cast.city_supervisor)
    response = client.post(f"/campaign/{campaign.uuid}/declarations/new/", _declaration_post())
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert declaration.division.code == "441881" and declaration.document_name == "纪要.png"
    entry = AuditEntry.objects.get(object_type="campaign.Declaration", action="create")
    assert entry.changes["meetings_held"] == [None, 2]
    assert client.get(f"/campaign/declarations/{declaration.uuid}/document/").status_code == 200
    # a correction records old → new
    response = client.post(f"/campaign/declarations/{declaration.uuid}/", _declaration_post(
        meetings_held="3", document=""))
    assert response.status_code == 302
    update = AuditEntry.objects.get(object_type="campaign.Declaration", action="update")
    assert update.changes["meetings_held"] == [2, 3]
    # the county department reads it, may not change another county's; the outsider sees nothing
    county = client_for(cast.county_supervisor)
    assert county.get(f"/campaign/declarations/{declaration.uuid}/").status_code == 200
    outsider = client_for(cast.outsider)
    assert outsider.get(f"/campaign/declarations/{declaration.uuid}/").status_code == 404
    assert outsider.get(f"/campaign/declarations/{declaration.uuid}/document/").status_code == 404


def test_o4_a_county_department_declares_only_its_own_county(cast, campaign):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.declaration_create(by=cast.county_supervisor, campaign=campaign,
                                    division=Division.objects.get(code="441882"), document=scan(),
                                    data={"declared_on": datetime.date(2026, 6, 1)})
    own = services.declaration_create(by=cast.county_supervisor, campaign=campaign,
                                      division=Division.objects.get(code="441881"), document=scan(),
                                      data={"declared_on": datetime.date(2026, 6, 1), "patrol_duties": True})
    assert own.organisation == cast.county_dept


def test_o4_the_table_exports_to_excel_in_the_annex_layout(cast, campaign, client_for):
    response = client_for(cast.city_supervisor).get(f"/campaign/{campaign.uuid}/table/?as_of=2026-06-30&format=xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][0] == "救助管理服务质量大提升专项行动情况汇总表"
    header = rows[2:5]
    assert header[0][:3] == ["序号", "县（市、区）", "地方党委和政府履职情况"]
    assert "照料服务达标行动开展情况" in header[0] and "干部队伍素质提升行动开展情况" in header[0]
    assert "救助管理机构监管情况" in header[1] and "托养机构监管情况" in header[1]
    assert header[2].count("相关部门实地检查个数") == 2 and "救助管理机构总数" in header[2]
    assert "截至2026年6月30日站外托养人数" in header[1] and "截至2026年6月30日滞留人员总数" in header[1]
    assert "持有社会工作者证职工人数" in header[1] and "工资倾斜政策落实情况" in header[1]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A5", "B3:B5", "C3:D3", "E4:F4"} <= merged  # 序号, area, first group, 救助管理机构监管情况
    body = rows[5:]
    assert [r[1] for r in body[:2]] == ["市本级", "清城区"] and body[9][1] == "合计"
    assert body[0][2 + list(cols.BY_KEY).index("facilities_total")] == cols.NOT_AVAILABLE
    assert len(rows[2]) == len(cols.LEAD_LABELS) + len(cols.COLUMNS)
    assert AuditEntry.objects.filter(action="export", object_type="campaign.table").exists()


def test_o4_the_table_page_and_print_view_show_every_column(cast, campaign, client_for):
    client = client_for(cast.city_supervisor)
    page = client.get(f"/campaign/{campaign.uuid}/table/?as_of=2026-06-30").content.decode()
    printed = client.get(f"/campaign/{campaign.uuid}/table/print/?as_of=2026-06-30").content.decode()
    for html in (page, printed):
        for column in cols.COLUMNS:
            assert cols.leaf_label(column, "2026年6月30日") in html, column.key
    assert "table-layout: fixed" in printed
    assert AuditEntry.objects.filter(action="export", object_type="print").exists()


def test_o4_a_submission_keeps_the_table_as_issued_and_fulfils_the_reporting_date(cast, campaign, client_for):
    client = client_for(cast.city_supervisor)
    first = campaign.dates.first()
    response = client.post(f"/campaign/{campaign.uuid}/submit/", {"reporting_date": str(first.uuid),
                                                                   "as_of": "2026-06-30"})
    submission = Submission.objects.get()
    assert response.status_code == 302 and submission.as_of == AS_OF
    assert [r["code"] for r in submission.table["rows"]][:2] == ["441800", "441802"]
    again = client.post(f"/campaign/{campaign.uuid}/submit/", {"reporting_date": str(first.uuid)})
    assert Submission.objects.count() == 1 and again.status_code == 302
    assert client.get(f"/campaign/submissions/{submission.uuid}/").status_code == 200
    assert client_for(cast.outsider).get(f"/campaign/submissions/{submission.uuid}/").status_code == 404
    from django.utils import timezone

    from deadlines.registry import evaluate

    # the first reporting date (2026-07-31) fulfilled — late, since the test submits it in November
    [result] = evaluate("O4C", as_of=timezone.now(), subject_pks=[first.pk])
    assert result.done_at == submission.submitted_at and result.status == "late"


def test_o4_pages_are_hidden_from_another_city(cast, campaign, client_for):
    outsider = client_for(cast.outsider)
    before = audit_writes()
    for url in ("", "edit/", "table/", "table/print/", "declarations/new/"):
        assert outsider.get(f"/campaign/{campaign.uuid}/{url}").status_code == 404, url
    assert outsider.post(f"/campaign/{campaign.uuid}/submit/", {}).status_code == 404
    assert "救助管理服务质量大提升" not in outsider.get("/campaign/").content.decode()
    assert audit_writes() == before


def test_o4_api_campaigns_table_and_declarations(cast, campaign, client_for):
    client = client_for(cast.city_supervisor)
    listed = client.get("/api/v1/campaign/campaigns").json()
    assert [c["name"] for c in listed] == [campaign.name] and len(listed[0]["reporting_dates"]) == 2
    table = client.get(f"/api/v1/campaign/campaigns/{campaign.uuid}/table?as_of=2026-06-30").json()
    assert table["as_of"] == "2026-06-30" and len(table["rows"]) == 9 and table["total"]["name"] == "合计"
    assert "facilities_total" in table["unavailable"]
    doc = base64.b64encode(scan().read()).decode()
    created = client.post(f"/api/v1/campaign/campaigns/{campaign.uuid}/declarations", {
        "division": "441882", "declared_on": "2026-06-01", "patrol_duties": True, "document_base64": doc,
        "document_name": "通知.png"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["division_name"] == "连州市"
    bad = client.post(f"/api/v1/campaign/campaigns/{campaign.uuid}/declarations", {
        "division": "440232", "declared_on": "2026-06-01", "document_base64": doc}, content_type="application/json")
    assert bad.status_code == 400 and "辖区" in str(bad.json())
    outsider = client_for(cast.outsider)
    assert outsider.get(f"/api/v1/campaign/campaigns/{campaign.uuid}/table").status_code == 404
    assert outsider.get("/api/v1/campaign/campaigns").json() == []
