"""Excel export of every main list: the page's filters applied, scoped, audited, formula-safe (issue 15)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditAction, AuditEntry
from stay.tests.factories import admitted_episode

pytestmark = pytest.mark.django_db

LISTS = [
    ("people:list", "人员档案"),
    ("intake:list", "求助登记"),
    ("stay:board", "在站人员"),
    ("leaving:list", "离站记录"),
    ("deadlines:inbox", "待办事项"),
    ("announcements:clue_inbox", "寻亲线索"),
    ("matching:report_list", "走失报案"),
]


def cells(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize(("url_name", "title"), LISTS)
def test_every_main_list_exports_to_excel_and_the_export_is_audited(cast, client_for, url_name, title):
    admitted_episode(cast, name="导出甲")
    response = client_for(cast.head).get(reverse(url_name), {"format": "xlsx"})
    assert response.status_code == 200
    rows = cells(response)
    assert title in rows[0][0] and "导出人 王站长" in rows[0][0]
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="list")
    assert entry.actor == cast.head and entry.changes["rows"][1] == len(rows) - 2


def test_the_people_export_applies_the_filters_and_the_scope(cast, client_for):
    admitted_episode(cast, name="张导出")
    admitted_episode(cast, name="李不选")
    admitted_episode(cast, name="王外县", station=cast.other_station, by=cast.outsider)
    rows = cells(client_for(cast.head).get(reverse("people:list"), {"q": "张导出", "format": "xlsx"}))
    names = [r[1] for r in rows[2:]]
    assert names == ["张导出"] and "筛选：q=张导出" in rows[0][0]
    everyone = [
        r[1] for r in cells(client_for(cast.head).get(reverse("people:list"), {"format": "xlsx"}))[2:]
    ]
    assert set(everyone) == {"张导出", "李不选"}  # never another county's files
    outsider = [
        r[1] for r in cells(client_for(cast.outsider).get(reverse("people:list"), {"format": "xlsx"}))[2:]
    ]
    assert outsider == ["王外县"]
    entry = AuditEntry.objects.get(
        action=AuditAction.EXPORT, object_type="list", summary__contains="q=张导出"
    )
    assert entry.changes["filters"][1] == {"q": "张导出"} and entry.changes["rows"][1] == 1


def test_an_export_is_formula_safe(cast, client_for):
    admitted_episode(cast, name="=HYPERLINK(1)")
    sheet = load_workbook(
        io.BytesIO(client_for(cast.head).get(reverse("stay:board"), {"format": "xlsx"}).content)
    ).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(1)")
    assert cell.data_type == "s"


def test_an_export_requires_login(client):
    response = client.get(reverse("people:list"), {"format": "xlsx"})
    assert response.status_code == 302 and not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
