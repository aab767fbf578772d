"""Online query (who could this person be?), batch link and dedupe.

`MatchIndex` keeps the prepared records of everything indexed (files, reports, registry) in
memory with a key → rows map per blocking key, so one query touches only its candidates; the
candidates are then scored by Splink with the trained model, exactly as in batch runs (rule I4:
first identification at intake; rule T7: reports compared with everyone in care).
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from guitu_match import model as mm
from guitu_match.records import Record

log = logging.getLogger(__name__)

EXPLAIN_COLUMNS = list(mm.COMPARISON_LABELS)
MAX_BLOCK = 20_000  # a key shared by more rows than this is too common to score whole online
UNCAPPED_KEYS = {("name_fz",), ("id_number",)}
#: Rows of over-large blocks scored per query: the best by a cheap pre-score (see _prescore), not none.
MAX_POOLED = 20_000
#: The pre-score: points per agreement, finest first (county before city before province before the
#: accent's group), so that an over-large block (sex + decade at a million reports) is cut from the
#: far end, never at random and never whole.
PRESCORE_POINTS = {
    "name_fz": 64,
    "given_last_fz": 8,
    "surname_fz": 8,
    "county": 16,
    "o_city": 8,
    "o_prov": 4,
    "o_group": 1,
    "mark1": 4,
    "sex": 2,
}
PRESCORE_COLUMNS = tuple(PRESCORE_POINTS)


@dataclass
class Reason:
    comparison: str  # 'name', 'birth_year', ...
    label: str  # Chinese level label, e.g. '姓名读音相同（同音字/多音字）'
    weight: float  # log2 Bayes factor: > 0 supports a match, < 0 speaks against it

    @property
    def agrees(self) -> bool:
        return self.weight > 0


@dataclass
class Candidate:
    record_id: str
    probability: float
    match_weight: float
    reasons: list[Reason] = field(default_factory=list)
    id_number_match: bool = False  # shown first and loudly; still confirmed by a person

    @property
    def explanation(self) -> str:
        """One line a caseworker reads: agreements, then disagreements, then what is missing."""
        agree = [r.label for r in self.reasons if r.weight > 0.5]
        disagree = [r.label for r in self.reasons if r.weight < -0.5]
        parts = []
        if self.id_number_match:
            parts.append("【身份证号码完全相同，请优先人工核实】")
        if agree:
            parts.append("相符：" + "；".join(agree))
        if disagree:
            parts.append("不符：" + "；".join(disagree))
        missing = [mm.COMPARISON_LABELS[r.comparison] for r in self.reasons if r.label == "缺少信息"]
        if missing:
            parts.append("无法比较：" + "、".join(missing))
        return "。".join(parts) + "。" if parts else "无可比较的信息。"


def _explain_row(row: dict[str, Any], labels: dict[str, dict[int, str]]) -> list[Reason]:
    reasons = []
    tf = row.get("tf_adjust")
    if tf is not None and not (isinstance(tf, float) and math.isnan(tf)) and abs(float(tf)) >= 0.5:
        reasons.append(
            Reason(
                "name_freq",
                "姓名（或姓、小名）少见" if tf > 0 else "姓名（或姓、小名）常见，权重降低",
                round(float(tf), 2),
            )
        )
    for comp in EXPLAIN_COLUMNS:
        g = row.get(f"gamma_{comp}")
        if g is None:
            continue
        g = int(g)
        mw = row.get(f"mw_{comp}")  # Splink 5 reports per-comparison match weights as mw_*
        w = 0.0 if g == -1 or mw is None or (isinstance(mw, float) and math.isnan(mw)) else float(mw)
        reasons.append(Reason(comp, labels[comp].get(g, str(g)), round(w, 2)))
    reasons.sort(key=lambda r: -abs(r.weight))
    return reasons


def _candidates_from_scored(
    df: pd.DataFrame, model: mm.MatchModel, id_col: str = "unique_id_r"
) -> list[Candidate]:
    labels = model.level_labels()
    out = []
    for row in df.to_dict("records"):
        out.append(
            Candidate(
                record_id=str(row[id_col]),
                probability=float(row["match_probability"]),
                match_weight=float(row["match_weight"]),
                reasons=_explain_row(row, labels),
                id_number_match=int(row.get("gamma_id_number", -1)) == mm.exact_id_gamma(),
            )
        )
    # Exact ID agreement first (review contract), then by probability.
    out.sort(key=lambda c: (not c.id_number_match, -c.probability))
    return out


# ---------------------------------------------------------------------------------------------


def _key_series(df: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    s = df[keys[0]].astype("string")
    for k in keys[1:]:
        s = s + "\x1f" + df[k].astype("string")
    return s


class MatchIndex:
    """Everything indexed for online queries, plus the model that scores it."""

    def __init__(self, table: pa.Table, model: mm.MatchModel, *, compete: bool = True):
        #: Candidates share the probability (at most one record per person in this set: reports, people
        #: in care). False for a set that holds several records of one person (all files ever opened).
        self.compete = compete
        self.ref = mm.Reference.of(table)
        self.table = self.ref.frequencies(table)
        self.model = model
        self.ids = np.asarray(table.column("unique_id").to_pylist(), dtype=object)
        self._db_api = mm.duckdb_api()
        self._linker = None
        self._scoring_sql: str | None = None
        self._scoring_sql_tried = False
        self._build_maps()
        self._pre: dict[str, Any] | None = None  # pre-score columns, built when an over-large block is met
        self._face_index = None
        self._build_faces()

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        records: Iterable[Record],
        *,
        model: mm.MatchModel | None = None,
        train_with: Iterable[Record] | None = None,
    ) -> MatchIndex:
        """Prepare and index records; train a model on them (or on `train_with` × them) if
        none is given."""
        table = mm.prepare_table(records)
        if model is None:
            left = mm.prepare_table(train_with) if train_with is not None else None
            if left is not None:
                model = mm.train_default_if_small(left, table)
            else:
                model = mm.train_default_if_small(table)
        return cls(table, model)

    def _build_maps(self) -> None:
        """key → rows per blocking rule's columns, plus the row masks the rules' conditions need."""
        cols = sorted({k for rule in mm.BLOCKING_RULES for k in rule.keys})
        # Keys as strings in Arrow first: pandas would turn nullable ints into floats ('199.0').
        df = pd.DataFrame({c: self.table.column(c).cast(pa.string()).to_pandas() for c in cols})
        self._maps: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
        self._unknown_maps: dict[tuple[tuple[str, ...], str], dict[str, np.ndarray]] = {}
        self._masks: dict[str, np.ndarray] = {}
        self._refresh_masks()
        for rule in mm.BLOCKING_RULES:
            if rule.keys not in self._maps:
                s = _key_series(df, list(rule.keys))
                s = s[s.notna()]
                pos = s.index.to_numpy()
                groups = pd.Series(pos, index=s.values).groupby(level=0).indices if len(s) else {}
                self._maps[rule.keys] = {k: pos[v] for k, v in groups.items()}
            if rule.unknown and (rule.keys, rule.unknown) not in self._unknown_maps:
                mask = self._masks["unknown:" + rule.unknown]
                only = {k: rows[mask[rows]] for k, rows in self._maps[rule.keys].items()}
                self._unknown_maps[(rule.keys, rule.unknown)] = {k: v for k, v in only.items() if len(v)}

    def _refresh_masks(self) -> None:
        """Row masks: each blocking rule's condition (``model.WHEN_SIDE``); a blocking column unknown."""
        isnull = lambda c: self.table.column(c).is_null().to_numpy(zero_copy_only=False)  # noqa: E731
        for when, columns in mm.WHEN_SIDE.items():
            mask = np.ones(self.table.num_rows, dtype=bool)
            for c, known in columns.items():
                mask &= ~isnull(c) if known else isnull(c)
            self._masks[when] = mask
        for c in {r.unknown for r in mm.BLOCKING_RULES if r.unknown}:
            self._masks["unknown:" + c] = isnull(c)

    @staticmethod
    def _key_of(row: dict[str, Any], keys: Sequence[str]) -> str | None:
        vals = [row.get(k) for k in keys]
        return None if any(v is None for v in vals) else "\x1f".join(str(v) for v in vals)

    def add(self, records: Iterable[Record]) -> None:
        """Index more records without rebuilding (e.g. a file created at intake).

        A record whose id is already indexed is not added again; rebuild to change records.
        """
        known = set(self.ids.tolist())
        new = [r for r in records if str(r.id) not in known]
        if not new:
            return
        nt = self.ref.frequencies(mm.prepare_table(new))
        start = self.table.num_rows
        self.table = pa.concat_tables([self.table, nt]).combine_chunks()
        self.ids = np.concatenate([self.ids, np.asarray(nt.column("unique_id").to_pylist(), dtype=object)])
        self._refresh_masks()
        self._pre = None
        for i, row in enumerate(nt.to_pylist()):
            pos = np.asarray([start + i], dtype=np.int64)
            for keys, m in self._maps.items():
                key = self._key_of(row, keys)
                if key is not None:
                    m[key] = np.concatenate([m[key], pos]) if key in m else pos
            for (keys, unknown), m in self._unknown_maps.items():
                key = self._key_of(row, keys)
                if key is not None and row.get(unknown) is None:
                    m[key] = np.concatenate([m[key], pos]) if key in m else pos
            if row.get("face_emb") is not None:
                if self._face_index is None:
                    from guitu_match import faces

                    self._face_index = faces.FaceIndex()
                self._face_index.add([start + i], np.asarray([row["face_emb"]], dtype=np.float32))

    def _build_faces(self) -> None:
        col = self.table.column("face_emb")
        if col.null_count == len(col):
            return
        from guitu_match import faces

        ids, vecs = [], []
        for i, v in enumerate(col.to_pylist()):
            if v is not None:
                ids.append(i)
                vecs.append(v)
        self._face_index = faces.FaceIndex.build(ids, np.asarray(vecs, dtype=np.float32))

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.table, d / "records.parquet")
        self.model.save(d / "model.json")
        (d / "index.json").write_text(
            json.dumps({"format": "guitu-match-index/1", "n": self.table.num_rows}, ensure_ascii=False),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: str | os.PathLike) -> MatchIndex:
        d = Path(directory)
        table = pq.read_table(d / "records.parquet", schema=mm.SCHEMA)
        return cls(table, mm.MatchModel.load(d / "model.json"))

    def __len__(self) -> int:
        return self.table.num_rows

    # -- querying ----------------------------------------------------------------------------
    def candidate_rows(self, q: dict[str, Any]) -> np.ndarray:
        """Rows sharing a blocking rule with the prepared query ``q`` (mm.BLOCKING_RULES, as in batch)."""
        parts = []
        pooled: list[np.ndarray] = []
        for rule in mm.BLOCKING_RULES:
            key = self._key_of(q, rule.keys)
            if key is None:
                continue
            if rule.unknown is None:
                rows = self._maps[rule.keys].get(key)
            elif q.get(rule.unknown) is None:  # unknown on the query's side: every row agreeing on the rest
                rows = self._maps[rule.keys].get(key)
            else:  # known on the query's side: the rows where it is unknown
                rows = self._unknown_maps[(rule.keys, rule.unknown)].get(key)
            if rows is None or not len(rows):
                continue
            if not mm.when_holds(rule.when, q):  # the condition must then hold on the row's side
                rows = rows[self._masks[rule.when][rows]]
            # A full name (or ID number) is never cut, however common: blocking must not drop a pair
            # that agrees on the name's pinyin (issue 14). Coarser keys shared by too many rows go to
            # a pool from which the best MAX_POOLED rows by pre-score are taken (never skipped whole).
            if len(rows) <= MAX_BLOCK or rule.keys in UNCAPPED_KEYS:
                if len(rows):
                    parts.append(rows)
            else:
                pooled.append(rows)
        if pooled:
            parts.append(self._best_of(q, np.unique(np.concatenate(pooled)), MAX_POOLED))
        if self._face_index is not None and q.get("face_emb") is not None:
            hits = self._face_index.search(np.asarray(q["face_emb"], dtype=np.float32), k=20)
            parts.append(np.asarray([int(h[0]) for h in _face_hits(hits)], dtype=np.int64))
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))

    def _prescore_columns(self) -> dict[str, Any]:
        """Integer codes per pre-score column (−1 = unknown) and the value → code maps, plus the
        birth-year interval and height as arrays."""
        if self._pre is None:
            pre: dict[str, Any] = {}
            for c in PRESCORE_COLUMNS:
                codes, uniques = pd.factorize(self.table.column(c).cast(pa.string()).to_pandas())
                pre[c] = (codes.astype(np.int32), {v: i for i, v in enumerate(uniques)})
            for c in ("by_min", "by_max", "height"):
                pre[c] = self.table.column(c).to_pandas().to_numpy(dtype=float, na_value=np.nan)
            self._pre = pre
        return self._pre

    def _prescore(self, q: dict[str, Any], rows: np.ndarray) -> np.ndarray:
        """A cheap score of rows against the query: agreements on finer keys count more
        (PRESCORE_POINTS), plus an agreeing birth-year interval and height. Only orders rows inside
        an over-large block; the model scores what is kept."""
        pre = self._prescore_columns()
        score = np.zeros(len(rows), dtype=np.int32)
        for c, pts in PRESCORE_POINTS.items():
            v = q.get(c)
            code = pre[c][1].get(str(v)) if v is not None else None
            if code is not None:
                score += (pre[c][0][rows] == code).astype(np.int32) * pts
        lo, hi = q.get("by_min"), q.get("by_max")
        if lo is not None and hi is not None:
            gap = np.fmax(pre["by_min"][rows], lo) - np.fmin(pre["by_max"][rows], hi)
            score += np.where(gap <= 0, 6, np.where(gap <= 3, 3, 0)).astype(np.int32)
        h = q.get("height")
        if h is not None:
            score += (np.abs(pre["height"][rows] - h) <= 5).astype(np.int32) * 3
        return score

    def _best_of(self, q: dict[str, Any], rows: np.ndarray, k: int) -> np.ndarray:
        """The k rows with the highest pre-score (ties: lower row first, so the choice is stable)."""
        if len(rows) <= k:
            return rows
        key = self._prescore(q, rows).astype(np.int64) * (len(self.ids) + 1) - rows  # high first, then low row
        return rows[np.argpartition(-key, k - 1)[:k]]

    def _get_linker(self):
        if self._linker is None:
            empty = self._db_api.register(self.table.slice(0, 0), table_name="gm_empty")
            self._linker = mm.linker_for(self.model, [empty], self._db_api, "link_only")
        return self._linker

    def _splink_score(self, left: pa.Table, right: pa.Table) -> pd.DataFrame:
        con = self._db_api._con
        con.register("gm_left", left)
        con.register("gm_right", right)
        linker = self._get_linker()
        lt = self._db_api.table_to_splink_dataframe("gm_left", "gm_left")
        rt = self._db_api.table_to_splink_dataframe("gm_right", "gm_right")
        return linker.inference.score_pairs(lt, rt).as_pandas_dataframe()

    def _capture_scoring_sql(self) -> str | None:
        """The SQL Splink runs to score gm_left × gm_right, captured once.

        Splink spends ~30 ms per call generating and transpiling that SQL; re-running the very
        statement it generated gives the same scores as batch without the overhead.
        """
        api = self._db_api
        original = getattr(api, "_execute_sql_against_backend", None)
        if original is None:
            return None
        captured: list[str] = []

        def spy(sql, *args, **kwargs):
            captured.append(sql)
            return original(sql, *args, **kwargs)

        api._execute_sql_against_backend = spy
        try:
            one = self.table.slice(0, 1)
            self._splink_score(one, one)
        finally:
            api._execute_sql_against_backend = original
        for sql in captured:
            head = sql.lstrip()[:200].upper()
            if head.startswith("CREATE TABLE") and "__SPLINK__DF_PREDICT" in head:
                body = sql.lstrip()
                return body[body.upper().index(" AS") + 3 :]
        return None

    def score(self, left: pa.Table, right: pa.Table, top_k: int | None = None) -> pd.DataFrame:
        """Score every left × right pair with the model (no blocking).

        With `top_k`, only the k best pairs come back, with just the columns an explanation
        needs — converting thousands of scored rows (with their list columns) to pandas costs
        more than scoring them.
        """
        if self._scoring_sql is None and not self._scoring_sql_tried:
            self._scoring_sql_tried = True
            try:
                self._scoring_sql = self._capture_scoring_sql()
            except Exception as e:  # pragma: no cover - fall back to Splink's own call
                log.warning("could not capture scoring SQL: %s", e)
        if self._scoring_sql is None:
            return self._splink_score(left, right)
        con = self._db_api._con
        con.register("gm_left", left)
        con.register("gm_right", right)
        final = mm.final_sql(self._scoring_sql, self.model, self.ref, compete=self.compete)
        if top_k is None:
            return con.execute(final).df()
        cols = ", ".join(
            ["unique_id_l", "unique_id_r", "match_weight", "match_probability", "tf_adjust"]
            + [f"gamma_{c}" for c in EXPLAIN_COLUMNS]
            + [f"mw_{c}" for c in EXPLAIN_COLUMNS]
        )
        sql = f"SELECT {cols} FROM ({final}) ORDER BY match_weight DESC, unique_id_r LIMIT {int(top_k)}"
        return con.execute(sql).df()

    def query(
        self, record: Record, k: int = 10, *, min_probability: float = 0.0, store: Any = None
    ) -> list[Candidate]:
        """Top-k candidates for one record, with probability and a Chinese explanation.

        `store` (a review.DecisionStore): pairs a person rejected or confirmed are left out.
        """
        qt = mm.prepare_table([record])
        q = qt.to_pylist()[0]
        rows = self.candidate_rows(q)
        if store is not None and len(rows):
            rows = self._without_decided(str(record.id), rows, store)
        if len(rows) == 0:
            return []
        cands = self.table.take(pa.array(rows))
        qt = self.ref.frequencies(qt)
        top = self.score(qt, cands, top_k=k)
        top = top[top["match_probability"] >= min_probability]
        return _candidates_from_scored(top, self.model)[:k]

    def _without_decided(self, query_id: str, rows: np.ndarray, store: Any) -> np.ndarray:
        """Drop candidates a person already rejected or confirmed for this record (review contract).

        A store may offer `decided_ids(record_id) -> set[str]` (one database query); otherwise
        `get(left_id, right_id)` is asked per candidate.
        """
        from guitu_match.review import CONFIRMED, REJECTED

        ids = self.ids[rows]
        if hasattr(store, "decided_ids"):
            gone = set(store.decided_ids(query_id))
            keep = np.array([i not in gone for i in ids], dtype=bool)
        else:
            keep = np.array(
                [
                    not (
                        (d := store.get(query_id, str(i))) is not None and d.decision in (CONFIRMED, REJECTED)
                    )
                    for i in ids
                ],
                dtype=bool,
            )
        return rows[keep]


def _face_hits(hits: Any) -> list[tuple[Any, float]]:
    """FaceIndex.search results as (id, similarity) pairs, whatever tuple shape it returns."""
    out = []
    for h in hits:
        if isinstance(h, tuple):
            out.append((h[0], float(h[1])))
        else:  # object with attributes
            out.append(
                (
                    getattr(h, "id", getattr(h, "face_id", None)),
                    float(getattr(h, "similarity", getattr(h, "score", 0.0))),
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# Batch


def _db_api_for(backend: str, spark: Any = None):
    if backend == "duckdb":
        return mm.duckdb_api()
    if backend == "spark":
        from splink import SparkAPI

        if spark is None:
            spark = spark_session()
        return SparkAPI(spark_session=spark)
    raise ValueError(f"未知后端：{backend}（应为 duckdb 或 spark）")


def spark_session(master: str | None = None, app_name: str = "guitu-match"):
    """A SparkSession: local[*] by default, or the cluster in SPARK_MASTER / `master`."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    master = master or os.environ.get("SPARK_MASTER", "local[2]")
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", os.environ.get("GUITU_SPARK_PARTITIONS", "8"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # Splink's jar provides jaro_winkler and friends to Spark SQL.
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", os.environ.get("GUITU_SPARK_DRIVER_MEMORY", "2g"))
    )
    spark = builder.getOrCreate()
    # Splink checkpoints intermediate tables; on a cluster point this at shared storage (HDFS/S3).
    spark.sparkContext.setCheckpointDir(
        os.environ.get("GUITU_SPARK_CHECKPOINT_DIR", tempfile.mkdtemp(prefix="guitu-spark-"))
    )
    return spark


def _spark_schema():
    from pyspark.sql import types as T

    def conv(t: pa.DataType):
        if pa.types.is_list(t):
            return T.ArrayType(conv(t.value_type))
        if pa.types.is_string(t):
            return T.StringType()
        if pa.types.is_integer(t):
            return T.IntegerType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        return T.DoubleType()

    return T.StructType([T.StructField(f.name, conv(f.type), True) for f in mm.SCHEMA])


def _to_backend_table(table: pa.Table, db_api: Any, backend: str):
    if backend == "spark":
        # Explicit schema: Spark cannot infer element types from empty or null lists.
        return db_api.register(db_api.spark.createDataFrame(table.to_pylist(), schema=_spark_schema()))
    return db_api.register(table)


def link(
    left: Iterable[Record] | pa.Table,
    right: Iterable[Record] | pa.Table,
    *,
    model: mm.MatchModel | None = None,
    threshold: float | None = None,
    top: int | None = None,
    backend: str = "duckdb",
    spark: Any = None,
) -> tuple[pd.DataFrame, mm.MatchModel]:
    """Pairs (left_id, right_id, probability, match_weight, id_number_match).

    Rule T7: everyone in care (left) against every missing-person report (right). Without `top`,
    the pairs at or above the threshold (the model's by default); with `top=K`, each left record's
    K best right records whatever their probability (a caseworker is never left with nothing).
    Trains a model on the two sets when none is given.
    """
    lt = left if isinstance(left, pa.Table) else mm.prepare_table(left)
    rt = right if isinstance(right, pa.Table) else mm.prepare_table(right)
    if model is None:
        model = mm.train_default_if_small(lt, rt)
    ref = mm.Reference.of(rt)
    lt, rt = ref.frequencies(lt), ref.frequencies(rt)
    threshold = model.threshold if threshold is None else threshold
    db_api = _db_api_for(backend, spark)
    sl = _to_backend_table(lt, db_api, backend)
    sr = _to_backend_table(rt, db_api, backend)
    linker = mm.linker_for(model, [sl, sr], db_api, "link_only", n_right=rt.num_rows)
    pred = linker.inference.predict()
    df = _final_pairs(pred, db_api, backend, model, ref, sl.templated_name, threshold, top)
    return _pairs_frame(df, lt, rt, per_left=bool(top)), model


def dedupe(
    records: Iterable[Record] | pa.Table,
    *,
    model: mm.MatchModel | None = None,
    threshold: float | None = None,
    top: int | None = None,
    backend: str = "duckdb",
    spark: Any = None,
) -> tuple[pd.DataFrame, mm.MatchModel]:
    """Candidate duplicate pairs within one register (left_id < right_id) above threshold."""
    t = records if isinstance(records, pa.Table) else mm.prepare_table(records)
    if model is None:
        model = mm.train_default_if_small(t)
    ref = mm.Reference.of(t)
    t = ref.frequencies(t)
    threshold = model.threshold if threshold is None else threshold
    db_api = _db_api_for(backend, spark)
    st = _to_backend_table(t, db_api, backend)
    linker = mm.linker_for(model, [st], db_api, "dedupe_only", n_right=t.num_rows)
    pred = linker.inference.predict()
    df = _final_pairs(pred, db_api, backend, model, ref, None, threshold, top, compete=False)
    return _pairs_frame(df, t, t, per_left=bool(top)), model


def _oriented(con: Any, table: str, left_name: str | None) -> str:
    """SELECT over Splink's scored pairs with unique_id_l from the left input (Splink may put either
    input on the left)."""
    cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    if left_name is not None and "source_dataset_l" in cols:
        swap = f"source_dataset_l != '{left_name}'"
        return (
            f"SELECT * EXCLUDE (unique_id_l, unique_id_r), "
            f"CASE WHEN {swap} THEN unique_id_r ELSE unique_id_l END AS unique_id_l, "
            f"CASE WHEN {swap} THEN unique_id_l ELSE unique_id_r END AS unique_id_r FROM {table}"
        )
    return f"SELECT * FROM {table}"


def estimate_p_match(model: mm.MatchModel, left: pa.Table, right: pa.Table, iterations: int = 200) -> float:
    """The share p of left records that have a record in ``right``, fitted to the scored candidates.

    Under the model, left record i has one of the n right records with probability p, so the chance
    that it has one at all, given its candidates' Bayes factors, is q_i = a·S_i / ((1 − p) + a·S_i) with
    a = p/n and S_i = Σ_k BF_ik (mm.final_sql). The maximum-likelihood p is the fixed point p = mean_i q_i
    (EM for a mixture weight); left records without candidates count with q_i = 0. No labels are used.
    """
    ref = mm.Reference.of(right)
    lt, rt = ref.frequencies(left), ref.frequencies(right)
    db_api = mm.duckdb_api()
    sl, sr = db_api.register(lt), db_api.register(rt)
    linker = mm.linker_for(model, [sl, sr], db_api, "link_only", n_right=rt.num_rows)
    pred = linker.inference.predict()
    con = db_api._con
    inner = _oriented(con, pred.physical_name, sl.templated_name)
    sums = con.execute(mm.final_sql(inner, model, ref, totals=True)).df()["bf_total"].to_numpy(dtype=float)
    n = max(ref.n, mm.MIN_PRIOR_SET)
    n_left = max(left.num_rows, 1)
    p = mm.P_MATCH
    for _ in range(iterations):
        a = p / n
        q = a * sums / ((1 - p) + a * sums)
        new = float(np.nansum(q)) / n_left
        new = min(max(new, 1e-4), 0.9999)
        if abs(new - p) < 1e-6:
            p = new
            break
        p = new
    return p


def _final_pairs(
    pred: Any,
    db_api: Any,
    backend: str,
    model: mm.MatchModel,
    ref: mm.Reference,
    left_name: str | None,
    threshold: float,
    top: int | None,
    compete: bool = True,
) -> pd.DataFrame:
    """Term-frequency adjustment and competing-candidate probabilities over all blocked pairs
    (mm.final_sql, the same as online queries), then the threshold or each left record's top K."""
    import duckdb

    if backend == "duckdb":
        con, table = db_api._con, pred.physical_name
    else:  # Spark: bring the scored pairs into a local DuckDB for the final step
        con, table = duckdb.connect(), "gm_pred"
        con.register(table, pred.as_pandas_dataframe())
    inner = _oriented(con, table, left_name)
    final = mm.final_sql(inner, model, ref, compete=compete)
    keep = "SELECT unique_id_l, unique_id_r, match_probability, match_weight FROM final_pairs"
    if top:
        sql = (
            f"WITH final_pairs AS ({final}) {keep} QUALIFY row_number() OVER "
            f"(PARTITION BY unique_id_l ORDER BY match_weight DESC, unique_id_r) <= {int(top)}"
        )
    else:
        sql = f"WITH final_pairs AS ({final}) {keep} WHERE match_probability >= {float(threshold)!r}"
    return con.execute(sql).df()


def _pairs_frame(df: pd.DataFrame, lt: pa.Table, rt: pa.Table, per_left: bool = False) -> pd.DataFrame:
    """Pairs as written to CSV. Identical ID numbers first, then by probability; with ``per_left``
    (top-K runs) grouped by left record, each group best first."""
    out = pd.DataFrame(
        {
            "left_id": df["unique_id_l"].astype(str),
            "right_id": df["unique_id_r"].astype(str),
            "probability": df["match_probability"].astype(float).clip(0, 1).round(6),
            "match_weight": df["match_weight"].astype(float).round(3),
        }
    )
    # Exact ID-number agreement is flagged loudly for review (never merged automatically).
    lid = dict(zip(lt.column("unique_id").to_pylist(), lt.column("id_number").to_pylist()))
    rid = (
        lid if rt is lt else dict(zip(rt.column("unique_id").to_pylist(), rt.column("id_number").to_pylist()))
    )
    out["id_number_match"] = [
        lid.get(a) is not None and lid.get(a) == rid.get(b) for a, b in zip(out["left_id"], out["right_id"])
    ]
    if not len(out):
        return out
    if per_left:
        return out.sort_values(["left_id", "match_weight"], ascending=[True, False]).reset_index(drop=True)
    return out.sort_values(["id_number_match", "probability"], ascending=[False, False]).reset_index(
        drop=True
    )


def write_pairs(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """CSV with left_id, right_id, probability (+ match_weight, id_number_match)."""
    df.to_csv(path, index=False, encoding="utf-8")
