"""The linkage model: record preparation, Splink comparisons, training, saving and scoring.

One model scores every pair the same way, whether the pair comes from an online query
(`index.MatchIndex.query`), a batch link or a dedupe run: all of them hand prepared records to
Splink with the same trained settings.  Columns are computed in Python first (pinyin, places):
a DuckDB Python UDF inside Splink was ~3,000× slower.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import hashlib
import json
import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from guitu_match import idcard as idc
from guitu_match import normalise as nz
from guitu_match.records import Record

log = logging.getLogger(__name__)

MODEL_FORMAT = "guitu-match-model/1"
DEFAULT_THRESHOLD = 0.5  # precision ≥ 0.95 on the benchmark (docs/benchmarks.md)
M_FLOOR = 5e-3  # no trained level may veto a pair on its own (the −129 weight pitfall)
U_FLOOR = 1e-9  # u may be tiny (exact names are rare among random pairs) but never zero

# ---------------------------------------------------------------------------------------------
# Prepared records

SCHEMA = pa.schema(
    [
        ("unique_id", pa.string()),
        ("name_full", pa.string()),
        ("surname", pa.string()),
        ("surname_fz", pa.string()),
        ("given_py", pa.string()),
        ("given_fz", pa.string()),
        ("given_last_fz", pa.string()),
        ("name_py", pa.string()),
        ("name_fz", pa.string()),
        ("names_py", pa.list_(pa.string())),
        ("names_fz", pa.list_(pa.string())),
        ("sex", pa.string()),
        ("by_min", pa.int32()),
        ("by_max", pa.int32()),
        ("by_decade", pa.int32()),
        ("id_number", pa.string()),
        # the number as written when it has an ID number's shape, valid or not (id_number: valid only), and its
        # halves, the blocking keys of a number one digit off (idcard.written_form)
        ("id_near", pa.string()),
        ("id_h1", pa.string()),
        ("id_h2", pa.string()),
        ("prov", pa.string()),
        ("city", pa.string()),
        ("county", pa.string()),
        ("dialect", pa.string()),
        ("d_prov", pa.string()),
        ("d_city", pa.string()),
        ("o_prov", pa.string()),
        ("o_city", pa.string()),
        ("o_dia", pa.bool_()),
        ("o_group", pa.string()),
        ("height", pa.float64()),
        ("marks_p", pa.list_(pa.string())),
        ("marks_k", pa.list_(pa.string())),
        ("mark1", pa.string()),
        ("by_half", pa.int32()),
        ("face_emb", pa.list_(pa.float64())),
        # relative frequency in the reference set (term-frequency adjustment), filled by add_frequencies
        ("fq_name", pa.float64()),
        ("fq_sur", pa.float64()),
        ("fq_giv", pa.float64()),
    ]
)
#: Columns Splink passes through to the scored pairs (for the term-frequency adjustment).
TF_COLUMNS = ["fq_name", "fq_sur", "fq_giv"]
#: A stated (not documented) birth year on a file: people misstate their age, staff mishear it.
STATED_YEAR_SLACK = 2
#: Prior share of the people searched for that have a record in the set searched: even odds until
#: training fits it (estimate_p_match), and never fitted beyond these bounds.
P_MATCH = 0.5
P_MATCH_BOUNDS = (0.05, 0.95)
#: The prior never assumes a set smaller than this (a station's first few records are not the whole
#: country's register: without the floor, three people in care would make any surname match "likely").
MIN_PRIOR_SET = 10_000
COLUMNS = [f.name for f in SCHEMA]


def prepare_record(r: Record) -> dict[str, Any]:
    """The model's view of one record (see SCHEMA)."""
    row: dict[str, Any] = {"unique_id": str(r.id)}
    names = nz.name_features(r.name, r.aliases)
    row.update({k: v for k, v in names.items() if k in COLUMNS})
    info = nz.id_info(r.id_number)
    # Sex: the ID number wins over what was written down.
    row["sex"] = info.sex if info else (r.sex if r.sex in ("男", "女") else None)
    # Birth year as an interval: exact from the ID, else the stated year, else the range.
    if info:
        lo = hi = info.birth_date.year
    elif r.birth_year:
        lo = hi = r.birth_year
        if r.birth_year_min and r.birth_year_max and r.birth_year_min <= r.birth_year <= r.birth_year_max:
            lo, hi = r.birth_year_min, r.birth_year_max
        elif r.source == "file":
            # What a person in care says about their age is uncertain; a family's report is not.
            lo, hi = r.birth_year - STATED_YEAR_SLACK, r.birth_year + STATED_YEAR_SLACK
    else:
        lo, hi = r.birth_year_min, r.birth_year_max
        if lo and not hi:
            hi = lo + 10
        if hi and not lo:
            lo = hi - 10
    row["by_min"], row["by_max"] = lo, hi
    row["by_decade"] = ((lo + hi) // 2) // 10 if lo and hi else None
    # the same decade shifted by five years: an estimate near a decade's edge still meets its report
    row["by_half"] = ((lo + hi) // 2 + 5) // 10 if lo and hi else None
    gfz = row.get("given_fz")
    # 小林 read as a surname keeps 林 as the last given character too: it may be 叶林's nickname
    row["given_last_fz"] = gfz.split()[-1] if gfz else names.get("given_hint_fz")
    row["id_number"] = info.number if info else None
    near = info.number if info else idc.written_form(r.id_number)
    row["id_near"] = near
    row["id_h1"], row["id_h2"] = (near[:9], near[9:]) if near else (None, None)
    # Place: explicit division code, else hukou text, else the ID number's issuing place.
    place = nz.Place()
    if r.division_code:
        place = nz.Place.from_code(r.division_code)
    if not place.code and r.hukou_text:
        place = nz.parse_place(r.hukou_text)
    if not place.code and info:
        place = nz.Place.from_code(info.division_code)
    row["prov"], row["city"], row["county"] = place.province, place.city, place.county
    dia = nz.parse_dialect(r.dialect)
    row["dialect"] = dia.group
    row["d_prov"], row["d_city"] = dia.place.province, dia.place.city
    # Origin: the hukou place, else the region the accent points to (evidence for the hometown).
    row["o_dia"] = bool(not place.province and dia.place.province)
    row["o_prov"] = place.province or dia.place.province
    row["o_city"] = place.city or (
        dia.place.city if not place.province or place.province == dia.place.province else None
    )
    # The speech group: the accent heard, else the one the hometown's province implies (湖南 → 湘语). It is
    # compared only where the places cannot be (see _levels: an accent and a hometown are one piece of evidence).
    row["o_group"] = dia.group or (nz.PROVINCE_GROUP.get(place.province[:2]) if place.province else None)
    row["height"] = float(r.height_cm) if r.height_cm else None
    marks = nz.marks_tokens(r.marks) or []
    row["marks_p"] = [m for m in marks if not m.startswith(("k:", "u:"))] or None
    row["marks_k"] = [m for m in marks if m.startswith("k:")] or None
    row["mark1"] = min((m for m in marks if m.startswith("p:")), default=None)
    row["fq_name"] = row["fq_sur"] = row["fq_giv"] = None
    emb = r.face_embedding
    if emb is not None and len(emb):
        v = np.asarray(emb, dtype=np.float64)
        n = float(np.linalg.norm(v))
        row["face_emb"] = (v / n).tolist() if n > 0 else None
    else:
        row["face_emb"] = None
    return row


def prepare_table(records: Iterable[Record], chunk: int = 50_000) -> pa.Table:
    """Prepared records as an Arrow table with the fixed SCHEMA (zero-copy into DuckDB).

    Built in chunks so that a million records never exist as a million Python dicts at once.
    """
    batches, rows = [], []
    for r in records:
        rows.append(prepare_record(r))
        if len(rows) >= chunk:
            batches.append(pa.RecordBatch.from_pylist(rows, schema=SCHEMA))
            rows = []
    if rows or not batches:
        batches.append(pa.RecordBatch.from_pylist(rows, schema=SCHEMA))
    return pa.Table.from_batches(batches, schema=SCHEMA).combine_chunks()


def prepare_frame(records: Iterable[Record]) -> pd.DataFrame:
    return prepare_table(records).to_pandas()


def fingerprint(table: pa.Table) -> str:
    """SHA-256 over the prepared training data, saved with the model it trained."""
    h = hashlib.sha256()
    h.update(",".join(table.column_names).encode())
    for batch in table.to_batches(max_chunksize=65536):
        for col in batch.columns:
            h.update(str(col.to_pylist()).encode("utf-8"))
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Comparisons


def _face_cos_thresholds() -> list[tuple[str, float, str]]:
    """The faces module's face_sim levels expressed as cosine thresholds for SQL."""
    from guitu_match import faces

    out = []
    for key, sim, label in faces.face_sim_levels():
        d = faces.SIM_CENTRE_DISTANCE + faces.SIM_SCALE * math.log(1.0 / sim - 1.0)
        out.append((key, round(1.0 - d * d / 2.0, 4), label))
    return out


def _levels(dialect_str: str) -> dict[str, list[dict[str, Any]]]:
    """Comparison levels per comparison, strongest first, each with a Chinese label.

    Kept as plain dicts so the same model can be rebuilt for DuckDB or Spark SQL.
    """
    from splink.internals.comparison_level_library import ArrayIntersectLevel
    from splink.internals.dialects import SplinkDialect

    dialect = SplinkDialect.from_string(dialect_str)

    def arr(col: str, n: int = 1) -> str:
        return ArrayIntersectLevel(col, n).create_sql(dialect)

    jw = dialect.jaro_winkler_function_name
    dl = dialect.damerau_levenshtein_function_name
    overlap = "greatest(by_min_l, by_min_r) <= least(by_max_l, by_max_r)"
    width = "greatest(by_max_l - by_min_l, by_max_r - by_min_r)"

    if dialect_str == "duckdb":
        cos = "list_cosine_similarity(face_emb_l, face_emb_r)"
    else:
        cos = dialect.cosine_similarity_sql("face_emb_l", "face_emb_r")

    def lvl(
        sql: str, label: str, m: float | None = None, u: float | None = None, **kw: Any
    ) -> dict[str, Any]:
        d: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
        if m is not None:
            d["m_probability"] = m
        if u is not None:
            d["u_probability"] = u
        d.update(kw)
        return d

    def null(sql: str) -> dict[str, Any]:
        return {"sql_condition": sql, "label_for_charts": "缺少信息", "is_null_level": True}

    face_levels = [null("face_emb_l IS NULL OR face_emb_r IS NULL")]
    # Fixed from dlib's published accuracy: photos are rare in training data, so EM would
    # have nothing to learn from; tune on confirmed local pairs later (docs/matching.md).
    face_m_u = {"strong": (0.80, 0.0005), "medium": (0.12, 0.003), "weak": (0.05, 0.02)}
    for key, c, label in _face_cos_thresholds():
        m, u = face_m_u.get(key, (0.02, 0.05))
        face_levels.append(lvl(f"{cos} >= {c}", label, m, u, fix_m_probability=True, fix_u_probability=True))
    face_levels.append(lvl("ELSE", "人脸不相似", 0.03, 0.977, fix_m_probability=True, fix_u_probability=True))

    return {
        "name": [
            null("names_fz_l IS NULL OR names_fz_r IS NULL"),
            lvl("name_full_l = name_full_r", "姓名完全相同", 0.45),
            lvl(
                f"name_fz_l IS NOT NULL AND name_fz_r IS NOT NULL AND {arr('names_py')}",
                "姓名读音相同（同音字/多音字）",
                0.2,
            ),
            lvl("name_fz_l = name_fz_r", "姓名读音相近（平翘舌、前后鼻音等）", 0.08),
            lvl(arr("names_fz"), "别名或小名与姓名读音相同", 0.06),
            lvl(
                f"surname_fz_l = surname_fz_r AND {jw}(given_py_l, given_py_r) >= 0.85",
                "同姓，名字读音接近",
                0.05,
            ),
            # 谢发 for 谢文发, 熊山 for 熊明山, 王建 for 王国建: a given-name character dropped (or one
            # added) — the shorter given name is the start or the end of the longer one (a dropped last
            # character usually meets the level above: 王建 / 王建国 read alike from the start).
            lvl(
                "surname_fz_l = surname_fz_r AND given_fz_l IS NOT NULL AND given_fz_r IS NOT NULL AND ("
                "(length(given_fz_l) > length(given_fz_r) AND (given_fz_l LIKE given_fz_r || ' %' "
                "OR given_fz_l LIKE '% ' || given_fz_r)) OR "
                "(length(given_fz_r) > length(given_fz_l) AND (given_fz_r LIKE given_fz_l || ' %' "
                "OR given_fz_r LIKE '% ' || given_fz_l)))",
                "同姓，名字多一个字或少一个字",
                0.03,
            ),
            lvl(
                # a nickname (no surname: 明儿 for 张晓明) or a 小林 read as a surname (no given name, given_last_fz
                # from ParsedName.given_hint) agreeing with the other side's last given character
                "given_fz_l = given_fz_r OR ((surname_fz_l IS NULL OR surname_fz_r IS NULL OR given_fz_l IS NULL "
                "OR given_fz_r IS NULL) AND given_last_fz_l = given_last_fz_r)",
                "名字（或小名）读音相同，姓不同或不详",
                0.03,
            ),
            lvl(
                "surname_fz_l = surname_fz_r AND (given_py_l IS NULL OR given_py_r IS NULL)",
                "同姓，一方只有姓",
                0.05,
            ),
            lvl("surname_fz_l = surname_fz_r", "同姓，名字不同", 0.03),
            lvl("ELSE", "姓名不同", 0.05),
        ],
        "sex": [
            null("sex_l IS NULL OR sex_r IS NULL"),
            lvl("sex_l = sex_r", "性别相同", 0.97),
            lvl("ELSE", "性别不同", 0.03),
        ],
        "birth_year": [
            null("by_min_l IS NULL OR by_min_r IS NULL"),
            lvl("by_min_l = by_min_r AND by_max_l = by_max_r AND by_min_l = by_max_l", "出生年份相同", 0.35),
            # each side's own uncertainty: an estimated range, a stated year (± its slack), an ID's date.
            # Agreeing with a narrow range says more than agreeing with a 20-year guess: one level per width
            # of the wider side (a single "overlaps" level gave a wide guess the weight of a stated year).
            lvl(f"{overlap} AND {width} <= {2 * STATED_YEAR_SLACK}", "出生年份相符（估计误差2年以内）", 0.15),
            lvl(f"{overlap} AND {width} <= 10", "出生年份与估计范围相符", 0.2),
            lvl(overlap, "出生年份与较宽的估计范围相符", 0.1),
            lvl(
                "greatest(by_min_l, by_min_r) - least(by_max_l, by_max_r) <= 3",
                "出生年份超出估计范围3年以内",
                0.15,
            ),
            lvl(
                "greatest(by_min_l, by_min_r) - least(by_max_l, by_max_r) <= 7",
                "出生年份超出估计范围7年以内",
                0.1,
            ),
            lvl(
                "greatest(by_min_l, by_min_r) - least(by_max_l, by_max_r) <= 15",
                "出生年份相差较大（15年以内）",
                0.06,
            ),
            lvl("ELSE", "出生年份相差15年以上", 0.04),
        ],
        "id_number": [
            # nothing to compare: a number missing, or one that failed its check (idcard.written_form) and is more
            # than one digit away from the other — a number said from memory disagreeing is no evidence against
            null(
                "id_near_l IS NULL OR id_near_r IS NULL OR ((id_number_l IS NULL OR id_number_r IS NULL) "
                f"AND {dl}(id_near_l, id_near_r) > 1)"
            ),
            # Fixed: identical valid ID numbers are almost never a coincidence.
            lvl(
                "id_number_l = id_number_r",
                "身份证号码完全相同",
                0.95,
                1e-7,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            # One side failed its check digit and the numbers are one digit apart (a digit wrong or two swapped). Two
            # valid numbers never are: the check digit catches both errors. Fixed: P(a recited number is one digit
            # off | same person) ~ 0.04, P(one digit apart | two people) ~ 4e-8 (neighbours born the same day
            # in one county get numbers one sequence digit apart): ~20 bits, below an identical number's 23.
            lvl(
                f"{dl}(id_near_l, id_near_r) <= 1",
                "身份证号码只差一位（一方校验未通过，可能抄错）",
                0.04,
                4e-8,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            lvl("ELSE", "身份证号码不同", 0.05, 1.0, fix_m_probability=True, fix_u_probability=True),
        ],
        "place": [
            null("o_prov_l IS NULL OR o_prov_r IS NULL"),
            lvl("county_l = county_r", "户籍地同一县（区）", 0.4),
            lvl("o_city_l = o_city_r AND NOT (o_dia_l OR o_dia_r)", "户籍地同一地市", 0.2),
            lvl("o_city_l = o_city_r", "口音所指地市与户籍地相符", 0.1),
            lvl("o_prov_l = o_prov_r AND NOT (o_dia_l OR o_dia_r)", "户籍地同一省份", 0.15),
            lvl("o_prov_l = o_prov_r", "口音所指省份与户籍地相符", 0.07),
            lvl("ELSE", "户籍地（或口音所指地区）省份不同", 0.08),
        ],
        # The accent is evidence for the hometown: where both sides have a place (a hukou place or the region
        # an accent points to) the place comparison already counts it, and counting the speech group again
        # double-counted one fact (a Hunan hukou and 湘语 are not independent). It counts only where the
        # places cannot be compared: an accent that names no region (客家话, 吴语) against a hukou's group.
        "dialect": [
            {
                "sql_condition": "o_group_l IS NULL OR o_group_r IS NULL OR (o_prov_l IS NOT NULL AND o_prov_r IS NOT NULL)",
                "label_for_charts": DIALECT_NOT_SCORED,
                "is_null_level": True,
            },
            lvl("o_group_l = o_group_r", "口音/方言属同一方言区", 0.85),
            lvl("ELSE", "口音/方言不同", 0.15),
        ],
        "height": [
            null("height_l IS NULL OR height_r IS NULL"),
            lvl("abs(height_l - height_r) <= 3", "身高相差3厘米以内", 0.6),
            lvl("abs(height_l - height_r) <= 8", "身高相差8厘米以内", 0.3),
            lvl("ELSE", "身高相差8厘米以上", 0.1),
        ],
        "marks": [
            null("(marks_p_l IS NULL AND marks_k_l IS NULL) OR (marks_p_r IS NULL AND marks_k_r IS NULL)"),
            lvl(
                f"marks_p_l IS NOT NULL AND marks_p_r IS NOT NULL AND {arr('marks_p', 1)}",
                "体貌特征相符（部位和特征相同）",
                0.5,
            ),
            lvl(
                f"marks_k_l IS NOT NULL AND marks_k_r IS NOT NULL AND {arr('marks_k', 1)}",
                "体貌特征同类（部位不同或不详）",
                0.25,
            ),
            lvl("ELSE", "体貌特征不同", 0.25),
        ],
        "face_sim": face_levels,
    }


#: The dialect comparison's null level: nothing to compare, or already counted by the place comparison.
DIALECT_NOT_SCORED = "未单独计分（缺少口音，或已由户籍地比较体现）"

COMPARISON_LABELS = {
    "name": "姓名",
    "sex": "性别",
    "birth_year": "出生年份",
    "id_number": "身份证号码",
    "place": "户籍地",
    "dialect": "口音",
    "height": "身高",
    "marks": "体貌特征",
    "face_sim": "人脸",
}
#: Not a Splink comparison: the term-frequency adjustment of a name agreement (final_sql).
REASON_LABELS = {**COMPARISON_LABELS, "name_freq": "姓名常见程度"}

# Pairs are only scored if they share one of these keys (the same in batch and online).
# Each key is chosen for one kind of damage the others cannot survive. A pair agreeing on the
# full name's pinyin is always scored (the first key), whatever its years or places say.
BLOCKING_KEYS: list[tuple[str, ...]] = [
    ("name_fz",),  # whole name heard alike (张/章, 李/黎) — never dropped, whatever the years say
    ("id_number",),
    ("surname_fz", "o_prov", "sex"),  # given name dropped or miscopied; surname-only forms (老王)
    ("given_fz", "o_prov"),  # surname miscopied or unknown
    ("given_last_fz", "o_prov"),  # nicknames: 小明 / 阿明 / 明儿 / 明娃 for 张晓明
    ("county", "sex"),  # no usable name at all
    ("surname_fz", "sex", "by_decade"),  # surname only, place unknown
    ("surname_fz", "sex", "by_half"),  # … an age estimate near a decade's edge
    ("given_fz", "by_decade"),  # surname miscopied and place unknown
    ("given_last_fz", "sex", "by_decade"),  # nickname and place unknown
    ("given_last_fz", "sex", "by_half"),
    # a given-name character dropped (王力 for 王秀力) when the age and the place are unknown or off: the
    # surname and the last given character (about 1,500 reports for the commonest pair at 1M)
    ("surname_fz", "given_last_fz", "sex"),
]
BATCH_BLOCKING_KEYS = BLOCKING_KEYS
# Keys used only when one side of the pair has no name at all (names_fz is null): the hometown
# (or the region the accent points to) with sex and age.
NAMELESS_BLOCKING_KEYS: list[tuple[str, ...]] = [
    ("o_prov", "sex", "by_decade"),
    ("o_prov", "sex", "by_half"),
    ("o_city", "sex"),
    ("mark1", "sex"),
    ("county",),  # the county alone: sex written down wrong (2 % of files) must not lose a nameless person
]
# Keys used only when one side has a surname and no given name (于某, 老王, 王老汉): the surname and the
# hometown's city without sex (a 王老汉 written down for a woman, or the sex swapped, must still meet).
SURNAME_ONLY_BLOCKING_KEYS: list[tuple[str, ...]] = [
    ("surname_fz", "o_city"),
    # … and with no place and no age written down (叶某, 老叶, 叶姐 and a sex): the reports of that surname and sex
    # (about 35,000 for 王 at 1M: pooled and cut by the pre-score online, index.MAX_BLOCK)
    ("surname_fz", "sex"),
]
# Keys used only when one side has a given name (or a nickname made from it) and nothing else narrows it — no
# surname, no place, no age (磊子, 阿娜 and a sex): the reports of that last given character and sex (about
# 40,000 for 伟 at 1M: pooled and cut by the pre-score online, index.MAX_BLOCK). Not when an age or a place is
# known: the keys above already bring that name's reports of the decade or province, and a wider block only
# lets in reports as good on the name and no better on anything else (measured: it pushed true reports out).
BARE_GIVEN_BLOCKING_KEYS: list[tuple[str, ...]] = [
    ("given_last_fz", "sex"),
]
# Keys used only when one side's number failed its check (said from memory, copied by hand: idcard.written_form):
# either half of it, so that a number one digit off still meets the right one (the error is in one half).
UNCHECKED_ID_BLOCKING_KEYS: list[tuple[str, ...]] = [("id_h1",), ("id_h2",)]
# Keys used only when one side has neither a name nor any place: sex and age, nothing else to go on.
PLACELESS_BLOCKING_KEYS: list[tuple[str, ...]] = [
    ("sex", "by_decade"),
    ("sex", "by_half"),
    ("sex",),  # only while the set searched is small (see blocking_rules and index.MAX_BLOCK)
]


@dataclass(frozen=True)
class BlockingRule:
    """Pairs agreeing on ``keys`` — restricted by ``when`` ("givenless": one side has no given name;
    "bare_given": one side has no surname, no age and no place; "id_unchecked": one side's ID number failed its
    check; "nameless": one side has no name; "placeless": one side has neither name nor place) — or, with
    ``unknown``, pairs agreeing on ``keys`` where that column is unknown on one side (sex or age not
    written down must not lose a pair that a known value would have blocked: an unknown sex is a
    wildcard, not a mismatch)."""

    keys: tuple[str, ...]
    when: str | None = None
    unknown: str | None = None


def _rules() -> list[BlockingRule]:
    out: list[BlockingRule] = []
    for when, keyset in (
        (None, BLOCKING_KEYS),
        ("givenless", SURNAME_ONLY_BLOCKING_KEYS),
        ("bare_given", BARE_GIVEN_BLOCKING_KEYS),
        ("id_unchecked", UNCHECKED_ID_BLOCKING_KEYS),
        ("nameless", NAMELESS_BLOCKING_KEYS),
        ("placeless", PLACELESS_BLOCKING_KEYS),
    ):
        for keys in keyset:
            out.append(BlockingRule(keys, when))
            rest = tuple(k for k in keys if k != "sex")
            if "sex" in keys and rest and when != "placeless":
                out.append(BlockingRule(rest, when, "sex"))
    # a nameless person whose age nobody could guess: the province (or accent region) and sex
    out.append(BlockingRule(("o_prov", "sex"), "nameless", "by_decade"))
    return out


BLOCKING_RULES: list[BlockingRule] = _rules()
#: Above this many records on the right, the sex-and-age-only keys are too coarse for a batch run.
PLACELESS_BATCH_LIMIT = 200_000
#: When a blocking rule applies (``BlockingRule.when``): one side of the pair has these columns unknown (False) or
#: known (True). One definition for the batch's SQL (``when_sql``), the online index's row masks and the query's
#: own side (``when_holds``).
WHEN_SIDE: dict[str, dict[str, bool]] = {
    "givenless": {"given_fz": False},
    "bare_given": {"surname_fz": False, "by_decade": False, "o_prov": False},
    "id_unchecked": {"id_number": False, "id_near": True},
    "nameless": {"names_fz": False},
    "placeless": {"names_fz": False, "o_prov": False},
}


def when_sql(when: str | None) -> str:
    """`` AND (<left side holds> OR <right side holds>)`` for a rule's condition ('' without one)."""
    if when is None:
        return ""

    def side(s: str) -> str:
        return " AND ".join(f"{s}.{c} IS {'NOT ' if known else ''}NULL" for c, known in WHEN_SIDE[when].items())

    return f" AND (({side('l')}) OR ({side('r')}))"


def when_holds(when: str | None, row: dict[str, Any]) -> bool:
    """Whether a prepared record's side meets a rule's condition (always, without one)."""
    return when is None or all((row.get(c) is not None) == known for c, known in WHEN_SIDE[when].items())


def blocking_rules(dialect_str: str, n_right: int = 0) -> list[dict[str, Any]]:
    out = []
    for rule in BLOCKING_RULES:
        if rule.when == "placeless" and (
            n_right > PLACELESS_BATCH_LIMIT or (rule.keys == ("sex",) and n_right > 40_000)
        ):  # the same limit as online (index.MAX_BLOCK per sex)
            continue
        eq = " AND ".join(f"l.{k} = r.{k}" for k in rule.keys)
        cond = when_sql(rule.when)
        if rule.unknown is None:
            out.append({"blocking_rule": eq + cond})
        else:  # one rule per side, so that the database filters that side before joining
            for side in ("l", "r"):
                out.append({"blocking_rule": f"{side}.{rule.unknown} IS NULL AND {eq}{cond}"})
    return out


def settings_dict(
    dialect_str: str = "duckdb", link_type: str = "link_only", n_right: int = 0
) -> dict[str, Any]:
    comparisons = []
    for name, levels in _levels(dialect_str).items():
        comparisons.append(
            {
                "output_column_name": name,
                "comparison_description": COMPARISON_LABELS[name],
                "comparison_levels": copy.deepcopy(levels),
            }
        )
    return {
        "link_type": link_type,
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-6,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": blocking_rules(dialect_str, n_right),
        "retain_matching_columns": False,
        "additional_columns_to_retain": list(TF_COLUMNS),
        "retain_intermediate_calculation_columns": True,  # gamma_* for the explanations and final_sql
        "sql_dialect": dialect_str,
        "em_convergence": 0.001,
        "max_iterations": 25,
    }


@functools.cache
def exact_id_gamma() -> int:
    """Splink's gamma of 身份证号码完全相同 (levels are numbered n-1 … 0 from the first non-null one): an identical
    valid ID number, shown first and loudly (index.Candidate.id_number_match). Computed when first needed, not at
    import (building the levels imports Splink)."""
    levels = [lv for lv in _levels("duckdb")["id_number"] if not lv.get("is_null_level")]
    return len(levels) - 1 - [lv["label_for_charts"] for lv in levels].index("身份证号码完全相同")


# ---------------------------------------------------------------------------------------------
# The trained model


@dataclass
class MatchModel:
    """Trained parameters (m, u per level and the prior) plus what they were trained on."""

    params: dict[str, Any]  # {"lambda": float, "levels": {comparison: [[m, u], ...]}}
    meta: dict[str, Any] = field(default_factory=dict)
    threshold: float = DEFAULT_THRESHOLD

    # -- persistence -------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"format": MODEL_FORMAT, "threshold": self.threshold, "params": self.params, "meta": self.meta}

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> MatchModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"不是归途匹配模型文件：{path}")
        # A model trained before a comparison gained or lost a level would score with the wrong
        # parameters (levels are matched by position): refuse it, so that it is retrained.
        expected = {
            c["output_column_name"]: sum(1 for lv in c["comparison_levels"] if not lv.get("is_null_level"))
            for c in settings_dict()["comparisons"]
        }
        stale = [k for k, n in expected.items() if len(data["params"]["levels"].get(k) or []) != n]
        if stale:
            names = "、".join(COMPARISON_LABELS[k] for k in stale)
            raise ValueError(f"模型文件 {path} 的比较级别（{names}）与当前引擎不符，需要重新训练")
        return cls(
            params=data["params"],
            meta=data.get("meta", {}),
            threshold=data.get("threshold", DEFAULT_THRESHOLD),
        )

    @classmethod
    def default(cls) -> MatchModel:
        """Untrained priors (the starting values); useful for tiny data sets and tests."""
        s = settings_dict()
        levels = {}
        for c in s["comparisons"]:
            levels[c["output_column_name"]] = [
                [lv.get("m_probability"), lv.get("u_probability")]
                for lv in c["comparison_levels"]
                if not lv.get("is_null_level")
            ]
        # Default u: spread so each level's prior weight is sensible without data.
        params = {"lambda": 1e-5, "p_match": P_MATCH, "levels": levels}
        _default_u(params)
        guard_parameters(params, params)
        return cls(params=params, meta={"trained": False})

    # -- Splink settings ---------------------------------------------------------------------
    def splink_settings(
        self, dialect_str: str = "duckdb", link_type: str = "link_only", n_right: int = 0
    ) -> dict[str, Any]:
        """Full Splink settings for a backend, with this model's trained m and u filled in."""
        s = settings_dict(dialect_str, link_type, n_right)
        s["probability_two_random_records_match"] = self.params["lambda"]
        for c in s["comparisons"]:
            trained = self.params["levels"].get(c["output_column_name"])
            non_null = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
            if not trained or len(trained) != len(non_null):
                continue
            for lv, (m, u) in zip(non_null, trained):
                if m is not None:
                    lv["m_probability"] = m
                if u is not None:
                    lv["u_probability"] = u
        return s

    def level_labels(self) -> dict[str, dict[int, str]]:
        """gamma value → Chinese label per comparison (Splink numbers levels n-1 … 0, null -1)."""
        out: dict[str, dict[int, str]] = {}
        for c in settings_dict()["comparisons"]:
            non_null = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
            nulls = [lv["label_for_charts"] for lv in c["comparison_levels"] if lv.get("is_null_level")]
            labels = {-1: nulls[0] if nulls else "缺少信息"}
            for i, lv in enumerate(non_null):
                labels[len(non_null) - 1 - i] = lv["label_for_charts"]
            out[c["output_column_name"]] = labels
        return out

    def weights_table(self) -> list[dict[str, Any]]:
        """Per level: m, u and match weight (log2 m/u) — for inspection and the docs."""
        rows = []
        labels = self.level_labels()
        for comp, levels in self.params["levels"].items():
            n = len(levels)
            for i, (m, u) in enumerate(levels):
                w = math.log2(m / u) if m and u else float("nan")
                rows.append(
                    {"comparison": comp, "level": labels[comp][n - 1 - i], "m": m, "u": u, "weight": w}
                )
        return rows


def _params_from_splink(model_json: dict[str, Any]) -> dict[str, Any]:
    levels = {}
    for c in model_json["comparisons"]:
        levels[c["output_column_name"]] = [
            [lv.get("m_probability"), lv.get("u_probability")]
            for lv in c["comparison_levels"]
            if not lv.get("is_null_level")
        ]
    return {"lambda": model_json["probability_two_random_records_match"], "levels": levels}


def guard_parameters(params: dict[str, Any], defaults: dict[str, Any]) -> list[str]:
    """Repair trained parameters in place so that no level vetoes or forces a match by accident.

    * an m (or u) that trained to zero or went missing gets the floor (a zero m gives a weight
      near −129, silently vetoing every pair in that level), then the column is renormalised;
    * a level EM never saw keeps its prior.
    Returns Chinese notes on what was changed (kept in the model's metadata).
    """
    notes: list[str] = []
    for comp, levels in params["levels"].items():
        prior = defaults["levels"].get(comp, [])
        for which in (0, 1):  # m, then u
            floor = M_FLOOR if which == 0 else U_FLOOR
            vals = []
            for i, pair in enumerate(levels):
                v = pair[which]
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    v = prior[i][which] if i < len(prior) and prior[i][which] is not None else floor
                    notes.append(f"{COMPARISON_LABELS[comp]}第{i + 1}级{'mu'[which]}概率未训练，使用先验值")
                if v < floor:
                    notes.append(
                        f"{COMPARISON_LABELS[comp]}第{i + 1}级{'mu'[which]}概率训练为{v:.2g}，已提升到{floor}"
                    )
                    v = floor
                vals.append(v)
            total = sum(vals)
            for pair, v in zip(levels, vals):
                pair[which] = v / total
    lam = params.get("lambda") or 1e-6
    params["lambda"] = float(min(max(lam, 1e-9), 0.5))
    return notes


def _default_u(params: dict[str, Any]) -> None:
    """Fill missing u values with a uniform spread (used before any data is seen)."""
    for levels in params["levels"].values():
        missing = [p for p in levels if p[1] is None]
        if missing:
            n = len(levels)
            for i, p in enumerate(levels):
                if p[1] is None:
                    # stronger levels rarer among random pairs
                    p[1] = 0.02 * (i + 1) / n if i < n - 1 else 0.9


def duckdb_api():
    """A DuckDB backend; GUITU_DUCKDB_MEMORY_LIMIT (e.g. '4GB') caps its memory (it spills)."""
    import duckdb
    from splink import DuckDBAPI

    limit = os.environ.get("GUITU_DUCKDB_MEMORY_LIMIT")
    if limit:
        return DuckDBAPI(connection=duckdb.connect(config={"memory_limit": limit}))
    return DuckDBAPI()


#: EM sessions. Each comparison's m is estimated only in sessions whose blocking does not use it, and
#: only where the blocks are dominated by true matches: pairs agreeing on the name's pinyin for every
#: comparison but the name, and pairs from one county with the same sex and a shared mark for the name.
#: (A session on city + decade + sex let EM take "same town, same age" for "same person" and trained
#: "names differ" to m = 0.75, i.e. a wholly different name cost only 0.3 bits.)
EM_SESSIONS = [
    "l.name_fz = r.name_fz",
    "l.county = r.county AND l.sex = r.sex AND {overlap}(l.marks_p, r.marks_p)",
]
_ARRAY_OVERLAP = {"duckdb": "list_has_any", "spark": "arrays_overlap"}


def train(
    left: pa.Table,
    right: pa.Table | None = None,
    *,
    max_pairs: float = 2e6,
    seed: int = 42,
    sample_records: int = 300_000,
    db_api: Any = None,
) -> MatchModel:
    """Estimate u by random sampling and m by EM; prior λ from deterministic rules.

    With `right`, trains on pairs between the two sets (people in care × reports) — the
    usual case.  Without it, on pairs within `left` (deduplication of one register).
    """
    from splink import Linker

    rng = np.random.default_rng(seed)

    def sample(t: pa.Table) -> pa.Table:
        if t.num_rows <= sample_records:
            return t
        idx = np.sort(rng.choice(t.num_rows, sample_records, replace=False))
        return t.take(pa.array(idx))

    left_s = sample(left)
    right_s = sample(right) if right is not None else None
    db_api = db_api or duckdb_api()
    link_type = "link_only" if right_s is not None else "dedupe_only"
    inputs = [db_api.register(left_s)] + ([db_api.register(right_s)] if right_s is not None else [])
    linker = Linker(inputs, settings_dict(_dialect_of(db_api), link_type), log_level=logging.WARNING)

    n_l = left_s.num_rows
    n_r = right_s.num_rows if right_s is not None else left_s.num_rows
    try:
        linker.training.estimate_probability_two_random_records_match(
            [
                "l.id_number = r.id_number",
                "l.name_full = r.name_full AND l.by_min = r.by_min AND l.county = r.county",
            ],
            recall=0.4,
        )
    except Exception as e:  # too few deterministic matches in small data
        log.info("prior λ from default: %s", e)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    overlap = _ARRAY_OVERLAP.get(_dialect_of(db_api), "list_has_any")
    sessions = [br.format(overlap=overlap) for br in EM_SESSIONS]
    for br in sessions:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(br)
        except Exception as e:  # e.g. no pairs for a rule on small data
            log.warning("EM session %s skipped: %s", br, e)
    trained = linker.misc.save_model_to_json()
    params = _params_from_splink(trained)
    defaults = MatchModel.default().params
    _default_u(defaults)
    notes = guard_parameters(params, defaults)
    # The share of people searched for who have a record in the set searched. The deterministic-rule
    # estimate of λ assumes their recall and is far off on noisy data (0.07 where the truth was 0.85);
    # p is instead fitted to the scored candidates themselves (estimate_p_match), even odds failing that.
    params["p_match"] = P_MATCH
    p_note = None
    if right is not None:
        from guitu_match.index import estimate_p_match

        try:
            p_s = estimate_p_match(MatchModel(params=params), left_s, right_s)
            # a random sample of the right side holds only its share of the true records
            p_full = p_s * right.num_rows / right_s.num_rows
            params["p_match"] = float(min(max(p_full, P_MATCH_BOUNDS[0]), P_MATCH_BOUNDS[1]))
            p_note = round(p_full, 4)
        except Exception as e:  # pragma: no cover - keep the stated prior
            log.warning("p_match not estimated: %s", e)
    meta = {
        "trained": True,
        "trained_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "link_type": link_type,
        "n_left": left.num_rows,
        "n_right": right.num_rows if right is not None else None,
        "n_sampled": [n_l, n_r],
        "fingerprint": fingerprint(left) + (":" + fingerprint(right) if right is not None else ""),
        "guard_notes": notes,
        "p_match_estimated": p_note,
        "splink_version": _splink_version(),
    }
    return MatchModel(params=params, meta=meta)


# ---------------------------------------------------------------------------------------------
# Term frequencies and final probabilities (the same for online queries and batch runs)

#: The values whose frequency adjusts the weight of an agreement: full name (fuzzy pinyin),
#: surname, last given character (nicknames).
TF_KEYS = {"fq_name": "name_fz", "fq_sur": "surname_fz", "fq_giv": "given_last_fz"}
TF_CLIP = (-6.0, 8.0)


@dataclass
class Reference:
    """What the set being searched (the reports, the files) looks like: its size and how common
    each name, surname and nickname character is in it."""

    n: int
    counts: dict[str, dict[str, int]]
    expected: dict[str, float]  # Σ f² — the frequency of an average chance agreement

    @classmethod
    def of(cls, table: pa.Table) -> Reference:
        n = max(table.num_rows, 1)
        counts, expected = {}, {}
        for tf_col, col in TF_KEYS.items():
            vc = table.column(col).value_counts()
            c = {v.as_py(): k.as_py() for v, k in zip(vc.field(0), vc.field(1)) if v.as_py() is not None}
            counts[tf_col] = c
            total = sum(c.values()) or 1
            expected[tf_col] = sum((k / total) ** 2 for k in c.values()) or 1.0 / n
        return cls(n, counts, expected)

    def frequencies(self, table: pa.Table) -> pa.Table:
        """``table`` with its tf_* columns filled from this reference (1/n for unseen values)."""
        for tf_col, col in TF_KEYS.items():
            c = self.counts.get(tf_col, {})
            vals = table.column(col).to_pylist()
            tf = [None if v is None else max(c.get(v, 0), 1) / self.n for v in vals]
            table = table.set_column(table.schema.get_field_index(tf_col), tf_col, pa.array(tf, pa.float64()))
        return table


def final_sql(
    inner: str, model: MatchModel, ref: Reference, compete: bool = True, totals: bool = False
) -> str:
    """Wrap Splink's scoring SQL: term-frequency adjustment, then the probability.

    * Term frequency: an agreement on a common name (王伟) weighs less than on a rare one —
      log2(Σf² / f) for the value agreed on (full name, surname, or nickname character).
    * Prior: the person searched for has a record in the set with probability p (p_match), equally
      likely any of its n records (n ≥ MIN_PRIOR_SET), so the same evidence is less certain in a million
      reports than in ten thousand.
    * Candidates compete (``compete``, links and online queries): a person has at most one record in
      the set searched, so the candidates of one left record share the posterior —
      P(j) = (p/n)·BF_j / ((1 − p) + (p/n)·Σ_k BF_k) over that record's scored candidates k. Scoring each
      pair alone (P = λ·BF / (1 − λ + λ·BF)) told a caseworker "70 %" for each of three equally good
      candidates of whom at most one can be right; a third of the pairs above 0.5 that had a rival were
      true. Two records of one person in the set searched split the probability between them: the
      review page says so (matching.selectors.competing), and ``dedupe`` finds them beforehand.
      ``dedupe`` itself scores each pair alone (a file may have several duplicates).

    With ``totals``: one row per left record with Σ_k BF_k (for estimate_p_match).
    """
    p = float(model.params.get("p_match", P_MATCH))
    n = max(ref.n, MIN_PRIOR_SET)
    a = p / n
    prior_w = math.log2(model.params["lambda"] / (1 - model.params["lambda"]))
    lo, hi = TF_CLIP

    def adj(tf_col: str) -> str:
        e = ref.expected[tf_col]
        return f"least(greatest(log2({e!r} / greatest({tf_col}_r, {1.0 / ref.n!r})), {lo}), {hi})"

    # The level of the name comparison, known by its weight (Splink's batch output carries the
    # per-comparison weights mw_*, not the levels): levels 1–3 full name (exact, same pinyin, fuzzy
    # pinyin), 7 given name / nickname only, 8 surname only on one side (see _levels).
    name_w = [math.log2(m / u) for m, u in model.params["levels"]["name"]]

    def at(*levels: int) -> str:
        return " OR ".join(f"abs(mw_name - ({name_w[i]!r})) < 1e-9" for i in levels)

    tf = (
        f"CASE WHEN {at(0, 1, 2)} THEN {adj('fq_name')} "
        f"WHEN {at(7)} THEN {adj('fq_sur')} "
        f"WHEN {at(6)} THEN {adj('fq_giv')} ELSE 0 END"
    )
    if compete:
        total = "sum(bayes_factor) OVER (PARTITION BY unique_id_l)"
        prob = f"{a!r} * bayes_factor / ({1 - p!r} + {a!r} * bf_total)"
    else:
        total = "bayes_factor"
        lam = a
        prob = f"{lam!r} * bayes_factor / ({1 - lam!r} + {lam!r} * bayes_factor)"
    head = f"""
WITH s AS (SELECT *, coalesce({tf}, 0) AS tf_adjust FROM ({inner})),
w AS (SELECT *, match_weight + tf_adjust AS final_weight FROM s),
b AS (SELECT *, pow(2.0, least(final_weight - ({prior_w!r}), 200)) AS bayes_factor FROM w),
c AS (SELECT *, {total} AS bf_total FROM b)"""
    if totals:
        return head + "\nSELECT unique_id_l, max(bf_total) AS bf_total FROM c GROUP BY unique_id_l"
    return (
        head
        + f"""
SELECT * EXCLUDE (match_probability, match_weight, bf_total), final_weight AS match_weight,
       least({prob}, 1.0) AS match_probability
FROM c"""
    )


def _splink_version() -> str:
    import splink

    return splink.__version__


def _dialect_of(db_api: Any) -> str:
    return db_api.sql_dialect.sql_dialect_str


def linker_for(model: MatchModel, tables: Sequence[Any], db_api: Any, link_type: str, n_right: int = 0):
    from splink import Linker

    registered = [t if hasattr(t, "physical_name") else db_api.register(t) for t in tables]
    return Linker(
        registered, model.splink_settings(_dialect_of(db_api), link_type, n_right), log_level=logging.WARNING
    )


def train_default_if_small(left: pa.Table, right: pa.Table | None = None, **kw: Any) -> MatchModel:
    """Train when there is enough data for EM (a few hundred records), else use the priors."""
    n = left.num_rows + (right.num_rows if right is not None else 0)
    if n < 200:
        m = MatchModel.default()
        _default_u(m.params)
        guard_parameters(m.params, m.params)
        m.meta.update({"n_left": left.num_rows, "note": "数据太少，使用先验参数"})
        return m
    return train(left, right, **kw)
