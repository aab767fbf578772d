"""The audit administrator's page (issue 8, 三员分立): filters, keyset paging, Excel export, read-only, scoped."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from core.audit import audit, reset_request_ip, set_request_ip
from core.models import AuditAction, AuditEntry, Role, User, UserRole

pytestmark = pytest.mark.django_db


def _auditor(username, org):
    user = User.objects.create_user(
        username=username, password="x-pass-123456", full_name=f"{username}审计", organisation=org
    )
    UserRole.objects.create(user=user, role=Role.AUDITOR)
    return user


@pytest.fixture
def city_auditor(cast):
    return _auditor("city_auditor", cast.city_dept)


@pytest.fixture
def entries(cast):
    audit(
        actor=cast.outsider, action=AuditAction.UPDATE, summary="乳源的修改", organisation=cast.other_station
    )
    audit(actor=cast.head, action=AuditAction.UPDATE, summary="英德的修改", organisation=cast.station)
    audit(
        actor=cast.city_supervisor,
        action=AuditAction.READ,
        summary="查阅人员档案列表",
        organisation=cast.city_dept,
    )


@pytest.mark.parametrize(
    "who",
    ["admin", "head", "county_supervisor", "city_supervisor", "reception", "police_officer", "panel_member"],
)
def test_only_the_auditor_may_read_the_audit_log(cast, client_for, who):
    client = client_for(getattr(cast, who))
    assert client.get("/manage/audit/").status_code == 403
    assert client.get("/manage/audit/?format=xlsx").status_code == 403
    assert client.get("/api/v1/core/audit").status_code == 403


def test_the_auditor_sees_the_organisations_in_scope_and_not_others(cast, client_for, city_auditor, entries):
    body = client_for(city_auditor).get("/manage/audit/").content.decode()
    assert "英德的修改" in body and "查阅人员档案列表" in body and "乳源的修改" not in body
    outsider_auditor = _auditor("sg_auditor", cast.other_station)
    body = client_for(outsider_auditor).get("/manage/audit/").content.decode()
    assert "乳源的修改" in body and "英德的修改" not in body


def test_the_auditor_filters_by_who_organisation_action_object_date_and_ip(
    cast, client_for, city_auditor, settings
):
    for when, actor, action, summary, object_id in [
        (
            datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC),
            cast.head,
            AuditAction.UPDATE,
            "三月的修改",
            "P-1",
        ),
        (
            datetime.datetime(2026, 5, 1, 10, tzinfo=datetime.UTC),
            cast.reception,
            AuditAction.REVEAL,
            "五月查看身份证号",
            "P-2",
        ),
    ]:
        # The May read came through a proxy from 203.0.113.9 (the middleware sets the request's address).
        token = set_request_ip("203.0.113.9" if object_id == "P-2" else None)
        with time_machine.travel(when, tick=False):
            audit(
                actor=actor,
                action=action,
                summary=summary,
                organisation=cast.station,
                object_type="people.Person",
                object_id=object_id,
            )
        reset_request_ip(token)
    client = client_for(city_auditor)

    def shown(query):
        body = client.get("/manage/audit/?" + query).content.decode()
        return {s for s in ("三月的修改", "五月查看身份证号") if s in body}

    assert shown("actor=王站长") == {"三月的修改"}
    assert shown("actor=reception") == {"五月查看身份证号"}
    assert shown(f"organisation={cast.station.pk}") == {"三月的修改", "五月查看身份证号"}
    assert shown(f"organisation={cast.city_dept.pk}") == set()
    assert shown("action=reveal") == {"五月查看身份证号"}
    assert shown("object=P-1") == {"三月的修改"}
    assert shown("date_from=2026-04-01&date_to=2026-05-31") == {"五月查看身份证号"}
    assert shown("ip=203.0.113.9") == {"五月查看身份证号"}
    body = client.get("/manage/audit/?date_from=2026-06-01&date_to=2026-05-01").content.decode()
    assert "起始日期不能晚于截止日期" in body


def test_an_organisation_outside_the_scope_cannot_be_chosen(cast, client_for, city_auditor, entries):
    body = (
        client_for(city_auditor).get(f"/manage/audit/?organisation={cast.other_station.pk}").content.decode()
    )
    assert "乳源的修改" not in body and "选择一个有效的选项" in body


def test_the_audit_page_pages_by_keyset(cast, client_for, city_auditor):
    for i in range(60):
        audit(
            actor=cast.head, action=AuditAction.UPDATE, summary=f"第{i:02d}次修改", organisation=cast.station
        )
    client = client_for(city_auditor)
    first = client.get("/manage/audit/?q=次修改")
    body = first.content.decode()
    assert "第59次修改" in body and "第09次修改" not in body
    second = client.get("/manage/audit/" + first.context["next_url"]).content.decode()
    assert "第09次修改" in second and "第59次修改" not in second and "第00次修改" in second


def test_the_auditor_exports_to_excel_formula_safe_and_the_export_is_audited(cast, client_for, city_auditor):
    audit(
        actor=cast.head,
        action=AuditAction.UPDATE,
        summary='=HYPERLINK("http://x")',
        organisation=cast.station,
    )
    response = client_for(city_auditor).get("/manage/audit/?format=xlsx&action=update")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    (cell,) = [c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("http://x")']
    assert cell.data_type == "s" and cell.quotePrefix  # text, never a live formula (core/excel.py)
    assert "英德市救助管理站" in [c.value for c in sheet[3]]
    assert AuditEntry.objects.filter(
        action=AuditAction.EXPORT, actor=city_auditor, summary__startswith="导出审计日志"
    ).exists()


def test_the_auditor_changes_nothing(cast, client_for, city_auditor, entries):
    client = client_for(city_auditor)
    before = list(
        AuditEntry.objects.exclude(action__in=[AuditAction.READ, AuditAction.DENIED]).values_list(
            "id", "summary"
        )
    )
    assert client.post("/manage/audit/", {"q": "x"}).status_code in (403, 405, 200)
    assert client.post("/manage/organisations/new/", {"name": "x"}).status_code == 403
    assert client.post(f"/manage/users/{cast.head.uuid}/", {"username": "x"}).status_code == 403
    after = list(
        AuditEntry.objects.exclude(action__in=[AuditAction.READ, AuditAction.DENIED]).values_list(
            "id", "summary"
        )
    )
    assert after == before


def test_the_audit_api_pages_by_keyset_for_the_auditor(cast, client_for, city_auditor):
    for i in range(55):
        audit(actor=cast.head, action=AuditAction.UPDATE, summary=f"接口{i}", organisation=cast.station)
    client = client_for(city_auditor)
    first = client.get("/api/v1/core/audit?action=update").json()
    assert len(first) == 50
    rest = client.get(f"/api/v1/core/audit?action=update&before={first[-1]['id']}").json()
    assert len(rest) == 5 and {e["id"] for e in rest}.isdisjoint({e["id"] for e in first})
