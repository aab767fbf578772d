"""Why does the engine miss? Each online miss at N reports, with what would have found it.

    nice -n 10 .venv/bin/python bench/match/misses.py --reports 1000000 --online 1000 --seed 12

For every query whose true report is not in the top 10: was the report a candidate at all (blocked), the
blocking keys it shares with the query and the size of each block, and — when it was a candidate — its rank
and its per-comparison weights next to those of the top candidate. Recall@10 by kind at the end. Writes
bench/match/results/misses-<reports>-<seed><tag>.json (issue 14: this is how the 1M misses were read).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from latency import online_index  # noqa: E402

from guitu_match import model as mm  # noqa: E402
from guitu_match.index import EXPLAIN_COLUMNS  # noqa: E402


def _weights(row) -> dict:
    return {
        c: (None if np.isnan(row[f"mw_{c}"]) else round(float(row[f"mw_{c}"]), 2)) for c in EXPLAIN_COLUMNS
    }


def main() -> None:
    p = argparse.ArgumentParser(description="在线查询漏检分析 / why online queries miss")
    p.add_argument("--reports", type=int, default=1_000_000)
    p.add_argument("--online", type=int, default=1000)
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--tag", default="")
    a = p.parse_args()
    idx, queries, truth, kinds = online_index(a.reports, a.seed)
    idx.query(queries[0])
    pos_of = {v: i for i, v in enumerate(idx.ids.tolist())}
    hits: dict[str, list[int]] = {}
    misses = []
    for q in queries[: a.online]:
        tr = truth[q.id]
        if tr is None:
            continue
        found = [c.record_id for c in idx.query(q, k=10)]
        h = hits.setdefault(kinds[q.id], [0, 0])
        h[0] += 1
        h[1] += tr in found
        if tr in found:
            continue
        qt1 = mm.prepare_table([q])
        qrow = qt1.to_pylist()[0]
        trow = idx.table.slice(pos_of[tr], 1).to_pylist()[0]
        rows = idx.candidate_rows(qrow)
        shared = [
            [list(rule.keys), rule.when, len(idx._maps[rule.keys].get(idx._key_of(qrow, rule.keys), ()))]
            for rule in mm.BLOCKING_RULES
            if rule.unknown is None
            and idx._key_of(qrow, rule.keys) is not None
            and idx._key_of(qrow, rule.keys) == idx._key_of(trow, rule.keys)
        ]
        info = {
            "query": q.id,
            "kind": kinds[q.id],
            "query_name": q.name,
            "report_name": trow.get("name_full"),
            "blocked": bool(pos_of[tr] in set(rows.tolist())),
            "candidates": int(len(rows)),
            "shared_keys": shared,
        }
        if info["blocked"]:
            sc = idx.score(idx.ref.frequencies(qt1), idx.table.take(rows))
            sc = sc.sort_values("match_weight", ascending=False).reset_index(drop=True)
            at = sc.index[sc.unique_id_r == tr]
            info["rank"] = int(at[0]) + 1
            info["weight_gap"] = round(float(sc.loc[at[0], "match_weight"] - sc.loc[0, "match_weight"]), 2)
            info["report_weights"] = _weights(sc.loc[at[0]])
            info["top_weights"] = _weights(sc.loc[0])
        misses.append(info)
    out = {
        "reports": a.reports,
        "seed": a.seed,
        "recall_at_10": {k: [n, h, round(h / n, 3)] for k, (n, h) in sorted(hits.items())},
        "misses": misses,
    }
    print(json.dumps(out["recall_at_10"], ensure_ascii=False))
    path = HERE / "results" / f"misses-{a.reports}-{a.seed}{a.tag}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
