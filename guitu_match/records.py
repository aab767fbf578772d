"""One record shape for every source (files, police reports, at-risk registry) and its CSV form.

CSV: UTF-8 (a BOM is accepted), header row, columns in COLUMNS; only `id` and `source` are
required.  Reading never raises on bad data: each problem becomes a RowError with the CSV row
number (the header is row 1) and a Chinese reason, and the rest of the file is still read.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from typing import IO

from guitu_match.divisions import canonical_code
from guitu_match.idcard import InvalidIdNumber, parse_id_number, written_form

COLUMNS = (
    "id",
    "source",
    "name",
    "aliases",
    "sex",
    "birth_year",
    "birth_year_min",
    "birth_year_max",
    "id_number",
    "hukou_text",
    "division_code",
    "dialect",
    "height_cm",
    "marks",
    "photo_path",
)
SOURCES = ("file", "report", "registry")
SOURCE_LABELS = {"file": "档案", "report": "走失报案", "registry": "易走失人员库"}
SEXES = ("男", "女")
_SEX_ALIASES = {
    "男": "男",
    "女": "女",
    "男性": "男",
    "女性": "女",
    "男子": "男",
    "女子": "女",
    "男的": "男",
    "女的": "女",
    "男孩": "男",
    "女孩": "女",
    "man": "男",
    "woman": "女",
    "m": "男",
    "male": "男",
    "f": "女",
    "female": "女",
    "1": "男",
    "2": "女",
}
MIN_BIRTH_YEAR = 1900


@dataclass
class Record:
    id: str
    source: str
    name: str | None = None
    aliases: list[str] = field(default_factory=list)
    sex: str | None = None
    birth_year: int | None = None
    birth_year_min: int | None = None
    birth_year_max: int | None = None
    id_number: str | None = None
    hukou_text: str | None = None
    division_code: str | None = None
    dialect: str | None = None
    height_cm: float | None = None
    marks: str | None = None
    photo_path: str | None = None
    # Not CSV columns: a face embedding (unit-length floats) filled by the face pipeline, and
    # the CSV row the record came from (for error messages).
    face_embedding: list[float] | None = None
    row: int | None = field(default=None, compare=False)

    def to_row(self) -> dict[str, str]:
        d = asdict(self)
        d.pop("face_embedding", None)
        d.pop("row", None)
        d["aliases"] = ";".join(self.aliases)
        return {k: "" if d[k] is None else str(d[k]) for k in COLUMNS}


@dataclass(frozen=True)
class RowError:
    row: int  # CSV line-based row number, header = 1
    column: str | None
    message: str  # Chinese, for the person who fixes the file

    def __str__(self) -> str:
        where = f"第{self.row}行" + (f"（{self.column}）" if self.column else "")
        return f"{where}：{self.message}"


@dataclass
class ReadResult:
    records: list[Record]
    errors: list[RowError]
    unknown_columns: list[str] = field(default_factory=list)


def _int(value: str) -> int:
    return int(float(value)) if "." in value else int(value)


#: Sex written as unknown: no value, no complaint.
_SEX_UNKNOWN = frozenset("不详 未知 不明 ? ？ - u unknown".split())
_CN_DIGITS = str.maketrans({**{c: str(i) for i, c in enumerate("零一二三四五六七八九")}, "〇": "0", "○": "0"})
#: Words around a year in a cell: 1985年, 约1985, 1985年左右, 1985年生, 85年的.
_YEAR_NOISE = re.compile(r"(大约|大概|约|左右|前后|上下|出生|生人|生|年代|年份|年|的|人|许|\s)")


def _cell(value: str) -> str:
    """A CSV cell in half-width form (full-width digits, letters and punctuation: １７０, Ｘ, ．)."""
    return unicodedata.normalize("NFKC", value).strip()


def two_digit_year(yy: int, this_year: int) -> int:
    """85 → 1985, 05 → 2005: the most recent year not in the future."""
    y = 2000 + yy
    return y if y <= this_year else 1900 + yy


def parse_year_cell(value: str, this_year: int) -> tuple[int | None, int | None]:
    """A birth-year cell → (low, high): 1985, "1985年", "85年", "一九八五年", "约1985年" → (1985, 1985);
    "1980-1985", "1980～85" → (1980, 1985); "80后" → (1980, 1989); "1985-03-07", "1985/3", "1985年3月" → 1985.
    Raises ValueError for anything else (ages, words)."""
    v = _cell(value).translate(_CN_DIGITS)
    m = re.fullmatch(r"(\d{2}|\d{4})\s*后", v)
    if m:  # 80后, 1990后: born in that decade
        y = int(m.group(1))
        y = two_digit_year(y, this_year) if y < 100 else y
        return y, y + 9
    m = re.fullmatch(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*月?(?:\s*[/.\-]?\s*\d{1,2}\s*日?)?\s*(?:出生|生)?", v)
    if m and 1 <= int(m.group(2)) <= 12:
        return int(m.group(1)), int(m.group(1))  # a date: its year
    v = _YEAR_NOISE.sub("", v)
    m = re.fullmatch(r"(\d{2}|\d{4})\s*(?:-|~|～|—|–|至|到)\s*(\d{2}|\d{4})", v)
    if m:
        a, b = (int(x) for x in m.groups())
        a = two_digit_year(a, this_year) if a < 100 else a
        b = (a // 100 * 100 + b if a // 100 * 100 + b >= a else a // 100 * 100 + 100 + b) if b < 100 else b
        return min(a, b), max(a, b)
    m = re.fullmatch(r"\d{2}", v)
    if m:
        y = two_digit_year(int(v), this_year)
        return y, y
    y = _int(v)
    return y, y


_HEIGHT_NOISE = re.compile(r"(大约|大概|约|左右|上下|前后|身高|高|多|\s)")


def parse_height_cell(value: str) -> float:
    """A height cell → centimetres: 170, "170cm", "170厘米", "170公分", "1.70米", "1.7m", "1.7",
    "1米7", "1米75", "一米七", "165-170" (the middle). Raises ValueError for anything else."""
    v = _HEIGHT_NOISE.sub("", _cell(value).lower().translate(_CN_DIGITS))
    m = re.fullmatch(r"(\d)(?:米|m)(\d{1,2})", v)  # 1米7 = 1.7 m, 1米65 = 1.65 m
    if m:
        rest = m.group(2)
        return float(int(m.group(1)) * 100 + (int(rest) * 10 if len(rest) == 1 else int(rest)))
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:-|~|～|—|至|到)\s*(\d+(?:\.\d+)?)\s*(cm|厘米|公分|m|米)?", v)
    if m:
        a, b, unit = float(m.group(1)), float(m.group(2)), m.group(3) or ""
        return (_to_cm(a, unit) + _to_cm(b, unit)) / 2
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(cm|厘米|公分|m|米)?", v)
    if not m:
        raise ValueError(value)
    return _to_cm(float(m.group(1)), m.group(2) or "")


def _to_cm(x: float, unit: str) -> float:
    # A value under 3 is metres whatever the unit says (1.7, 1.70米); over 3 is centimetres ("170米" is a slip).
    return round(x * 100, 1) if x < 3 else x


def record_from_dict(row: dict[str, str | None], rownum: int = 0) -> tuple[Record | None, list[RowError]]:
    """Validate one row.  Field-level problems drop the field and report it; a missing id or
    source drops the row."""
    errors: list[RowError] = []

    def err(col: str | None, msg: str) -> None:
        errors.append(RowError(rownum, col, msg))

    g = {k: (str(v).strip() if v is not None else "") for k, v in row.items() if k is not None}
    rid = g.get("id", "")
    source = g.get("source", "").lower()
    if not rid:
        err("id", "缺少编号（id），整行跳过")
        return None, errors
    if source not in SOURCES:
        err("source", f"来源“{g.get('source', '')}”无效，应为 file / report / registry 之一，整行跳过")
        return None, errors
    rec = Record(id=rid, source=source, row=rownum or None)
    rec.name = g.get("name") or None
    rec.aliases = [a.strip() for a in g.get("aliases", "").replace("；", ";").split(";") if a.strip()]
    sex = _cell(g.get("sex", "")).lower()
    if sex and sex not in _SEX_UNKNOWN:
        if sex in _SEX_ALIASES:
            rec.sex = _SEX_ALIASES[sex]
        else:
            err("sex", f"性别“{sex}”无法识别，应为 男 / 女 / 空，已忽略")
    this_year = _dt.date.today().year
    for col in ("birth_year", "birth_year_min", "birth_year_max"):
        v = g.get(col, "")
        if not v:
            continue
        try:
            lo, hi = parse_year_cell(v, this_year)
        except ValueError:
            err(col, f"出生年份“{v}”无法识别（应为如 1985、1985年、85年、1980-1985），已忽略")
            continue
        bad = next((y for y in (lo, hi) if not MIN_BIRTH_YEAR <= y <= this_year), None)
        if bad is not None:
            err(col, f"出生年份{bad}不可能（应在{MIN_BIRTH_YEAR}–{this_year}之间），已忽略")
            continue
        if col == "birth_year" and lo != hi:
            # a range written in the year column (1980-1985, 80后) is an estimate: keep it as the range
            if not g.get("birth_year_min") and not g.get("birth_year_max"):
                rec.birth_year_min, rec.birth_year_max = lo, hi
            continue
        setattr(rec, col, lo if col != "birth_year_max" else hi)
    if rec.birth_year_min and rec.birth_year_max and rec.birth_year_min > rec.birth_year_max:
        err("birth_year_min", f"出生年份范围{rec.birth_year_min}–{rec.birth_year_max}上下限颠倒，已交换")
        rec.birth_year_min, rec.birth_year_max = rec.birth_year_max, rec.birth_year_min
    idn = g.get("id_number", "")
    if idn:
        try:
            info = parse_id_number(idn)
            rec.id_number = info.number
            if rec.sex and rec.sex != info.sex:
                err("sex", f"性别“{rec.sex}”与身份证号码（{info.sex}）不一致，以身份证为准")
                rec.sex = info.sex
        except InvalidIdNumber as e:
            near = written_form(idn)
            if near:
                # the shape of an ID number, one digit off or two swapped (a wrong check digit, date or province):
                # kept as written, compared only with numbers one digit away
                rec.id_number = near
                err("id_number", f"{e}，不作为身份证号码使用，只用于查找只差一位的号码")
            else:
                err("id_number", f"{e}，已忽略该号码")
    rec.hukou_text = g.get("hukou_text") or None
    dc = _cell(g.get("division_code", ""))
    if dc:
        c = canonical_code(dc)
        if c is None:
            err("division_code", f"行政区划代码“{dc}”应为6位数字，已忽略")
        else:
            rec.division_code = c
    rec.dialect = g.get("dialect") or None
    h = g.get("height_cm", "")
    if h:
        try:
            hv = parse_height_cell(h)
            if not 40 <= hv <= 250:
                raise ValueError
            rec.height_cm = hv
        except ValueError:
            err("height_cm", f"身高“{h}”不合理（应为40–250厘米），已忽略")
    rec.marks = g.get("marks") or None
    rec.photo_path = g.get("photo_path") or None
    return rec, errors


def read_csv(src: str | os.PathLike | IO[str]) -> ReadResult:
    """Read records from a CSV path or text stream; never raises on bad rows."""
    if isinstance(src, (str, os.PathLike)):
        try:
            data = open(src, "rb").read()
        except OSError as e:
            return ReadResult([], [RowError(0, None, f"无法打开文件：{e.strerror or e}")])
        try:
            return _read(io.StringIO(data.decode("utf-8-sig"), newline=""))
        except UnicodeDecodeError as e:
            # Report, then read what can be read: rows with undecodable bytes are skipped.
            line = data[: e.start].count(b"\n") + 1
            res = _read(
                io.StringIO(data.decode("utf-8-sig", errors="replace"), newline=""), skip_replaced=True
            )
            res.errors.insert(
                0, RowError(line, None, "文件不是UTF-8编码（自该行起有无法识别的字符），请另存为UTF-8后重试")
            )
            return res
    return _read(src)


def _read(fh: IO[str], skip_replaced: bool = False) -> ReadResult:
    try:
        reader = csv.reader(fh)
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as e:
        return ReadResult([], [RowError(1, None, f"表头无法解析：{e}")])
    if not header:
        return ReadResult([], [RowError(1, None, "文件为空，缺少表头")])
    header = [h.strip().lstrip("\ufeff") for h in header]
    result = ReadResult([], [])
    result.unknown_columns = [h for h in header if h and h not in COLUMNS]
    if result.unknown_columns:
        result.errors.append(RowError(1, None, f"未知列已忽略：{'、'.join(result.unknown_columns)}"))
    missing = [c for c in ("id", "source") if c not in header]
    if missing:
        result.errors.append(RowError(1, None, f"缺少必需列：{'、'.join(missing)}"))
        return result
    seen: set[tuple[str, str]] = set()
    rownum = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as e:
            rownum += 1
            result.errors.append(RowError(rownum, None, f"该行格式错误，已跳过：{e}"))
            continue
        rownum = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if skip_replaced and any("\ufffd" in v for v in values):
            result.errors.append(RowError(rownum, None, "该行含有非UTF-8字符，已跳过"))
            continue
        if len(values) != len(header):
            result.errors.append(
                RowError(rownum, None, f"该行有{len(values)}列，表头有{len(header)}列，已跳过")
            )
            continue
        row = {h: v for h, v in zip(header, values) if h in COLUMNS}
        rec, errs = record_from_dict(row, rownum)
        result.errors.extend(errs)
        if rec is None:
            continue
        key = (rec.source, rec.id)
        if key in seen:
            result.errors.append(RowError(rownum, "id", f"编号“{rec.id}”重复，已跳过"))
            continue
        seen.add(key)
        result.records.append(rec)
    return result


def attach_face_embeddings(
    records: Iterable[Record], base_dir: str | os.PathLike | None = None
) -> list[RowError]:
    """Embed each record's photo (photo_path, relative to base_dir) into record.face_embedding.

    Unreadable images, photos without a face or with several faces become RowErrors with the
    CSV row and the faces module's Chinese message; those records simply have no face.
    """
    from guitu_match import faces

    errors: list[RowError] = []
    for r in records:
        if not r.photo_path or r.face_embedding is not None:
            continue
        path = os.path.join(base_dir, r.photo_path) if base_dir else r.photo_path
        try:
            r.face_embedding = faces.embed_photo(path).vector.tolist()
        except faces.FaceError as e:
            errors.append(RowError(r.row or 0, "photo_path", f"{e.message}（{r.photo_path}），已忽略照片"))
        except (OSError, ValueError) as e:
            errors.append(
                RowError(r.row or 0, "photo_path", f"无法读取照片（{r.photo_path}）：{e}，已忽略照片")
            )
    return errors


def write_csv(records: Iterable[Record], dest: str | os.PathLike | IO[str]) -> None:
    if isinstance(dest, (str, os.PathLike)):
        with open(dest, "w", encoding="utf-8", newline="") as fh:
            write_csv(records, fh)
        return
    w = csv.DictWriter(dest, fieldnames=list(COLUMNS))
    w.writeheader()
    for r in records:
        w.writerow(r.to_row())


def records_to_csv_text(records: Iterable[Record]) -> str:
    buf = io.StringIO()
    write_csv(records, buf)
    return buf.getvalue()


def iter_field_names() -> Iterator[str]:
    return (f.name for f in fields(Record))
