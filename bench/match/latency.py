"""Online query latency at N reports, as wall-clock and as CPU time per query.

    .venv/bin/python bench/match/latency.py --reports 1000000 --online 500 --seed 12

On a shared machine the wall-clock time grows with other processes' load; the CPU time the query
process spends (all its threads, DuckDB's included) does not, and on an idle machine the wall time
is at most about that. Prints one JSON line and writes bench/match/results/latency-<reports>-<seed>.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from generate import generate  # noqa: E402

from guitu_match import model as mm  # noqa: E402
from guitu_match.index import MatchIndex  # noqa: E402


def online_index(n_reports: int, seed: int):
    """The generated data set (2,000 queries) and the online index over its reports, trained as in production:
    ``(index, queries, truth, kinds)`` — shared by this bench and ``misses.py``."""
    reports, queries, truth, kinds = generate(n_reports, 2000, seed=seed, with_kinds=True)
    rt, qt = mm.prepare_table(reports), mm.prepare_table(queries)
    del reports[:]  # the index works from the prepared table; free the Python objects
    gc.collect()
    return MatchIndex(rt, mm.train(qt, rt)), queries, truth, kinds


def main() -> None:
    p = argparse.ArgumentParser(
        description="在线查询延迟（墙钟与 CPU 时间）/ online query latency, wall and CPU time"
    )
    p.add_argument("--reports", type=int, default=1_000_000)
    p.add_argument("--online", type=int, default=500)
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--tag", default="", help="results file suffix")
    a = p.parse_args()
    idx, queries, truth, kinds = online_index(a.reports, a.seed)
    online = queries[: a.online]
    idx.query(online[0])  # warm-up: captures the scoring SQL once
    wall, cpu, ncand, loads = [], [], [], [os.getloadavg()[0]]
    by_kind: dict = {}
    for i, q in enumerate(online):
        t, c = time.perf_counter(), time.process_time()
        found = [x.record_id for x in idx.query(q, k=10)]
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - t)
        if truth[q.id] is not None:  # recall@10 by kind of record, as in run.py
            for key in ("all", kinds[q.id], kinds[q.id][:-6]):
                n, h = by_kind.get(key, (0, 0))
                by_kind[key] = (n + 1, h + (truth[q.id] in found))
        ncand.append(len(idx.candidate_rows(mm.prepare_table([q]).to_pylist()[0])))
        if i % 100 == 0:
            loads.append(os.getloadavg()[0])

    def pct(v, q):
        return round(float(np.percentile(np.asarray(v) * 1000, q)), 1)

    res = {
        "reports": a.reports,
        "queries": len(online),
        "seed": a.seed,
        "wall_p50_ms": pct(wall, 50),
        "wall_p95_ms": pct(wall, 95),
        "cpu_p50_ms": pct(cpu, 50),
        "cpu_p95_ms": pct(cpu, 95),
        "candidates_p50": float(np.percentile(ncand, 50)),
        "candidates_p95": float(np.percentile(ncand, 95)),
        "recall_at_10": {k: {"queries": n, "recall_at_10": round(h / n, 4)} for k, (n, h) in sorted(by_kind.items())},
        "load_avg_1min_during": [round(x, 2) for x in loads],
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    print(json.dumps(res))
    out = HERE / "results" / f"latency-{a.reports}-{a.seed}{a.tag}.json"
    out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
