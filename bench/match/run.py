"""Matching benchmark (issue 3): the engine against a plain baseline, on synthetic records.

    .venv/bin/python bench/match/run.py --reports 10000            # one size per process
    .venv/bin/python bench/match/run.py --reports 1000000 --online 300

Per size: index build (prepare + EM training + key maps), online queries (recall@1, recall@10,
latency p50/p95) on people in care against the indexed reports, a batch link of 10,000 people in
care × all reports (precision / recall at the default threshold, throughput), peak memory.
The baseline is what a typical system does: exact name + sex + birth year within ±2 years.
Results go to bench/match/results/<size>.json; `--markdown` prints the table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from generate import generate  # noqa: E402

from guitu_match import model as mm  # noqa: E402
from guitu_match.index import EXPLAIN_COLUMNS as EXPLAIN  # noqa: E402
from guitu_match.index import MatchIndex, link  # noqa: E402
from guitu_match.normalise import clean_name  # noqa: E402


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def _year_interval(r):
    if r.birth_year:
        return r.birth_year, r.birth_year
    if r.birth_year_min and r.birth_year_max:
        return r.birth_year_min, r.birth_year_max
    return None


class Baseline:
    """Exact name + sex + birth year ±2 (ranges: any year in the range within ±2)."""

    def __init__(self, reports):
        self.by_key = defaultdict(list)
        for r in reports:
            n = clean_name(r.name)
            iv = _year_interval(r)
            if n and r.sex and iv:
                self.by_key[(n, r.sex)].append((r.id, iv))

    def query(self, q):
        n = clean_name(q.name)
        iv = _year_interval(q)
        if not (n and q.sex and iv):
            return []
        out = []
        for rid, (lo, hi) in self.by_key.get((n, q.sex), ()):
            gap = max(lo, iv[0]) - min(hi, iv[1])
            if gap <= 2:
                out.append((max(gap, 0), rid))
        return [rid for _gap, rid in sorted(out)]


def dominated(idx: MatchIndex, q, truth_id: str) -> bool:
    """Is the true report beyond any ranking's reach? True when at least 10 other candidates (or
    reports outside every block) agree with the query at least as well as it does on every single
    comparison: then no scorer that rewards agreement can be sure to put it in the top 10."""
    qt = mm.prepare_table([q])
    qrow = qt.to_pylist()[0]
    rows = idx.candidate_rows(qrow)
    pos = int(np.flatnonzero(idx.ids == truth_id)[0])
    if pos not in set(rows.tolist()):
        return False  # not blocked: a blocking miss, not an information limit
    scored = idx.score(idx.ref.frequencies(qt), idx.table.take(rows))
    w = scored[[f"mw_{c}" for c in EXPLAIN]].to_numpy(dtype=float)
    w = np.nan_to_num(w, nan=0.0)
    t = w[scored["unique_id_r"].to_numpy() == truth_id][0]
    others = scored["unique_id_r"].to_numpy() != truth_id
    return int(((w[others] >= t - 1e-9).all(axis=1)).sum()) >= 10


def pct(values, p):
    return float(np.percentile(np.asarray(values) * 1000, p)) if values else float("nan")


def run(n_reports: int, n_online: int, n_batch: int, seed: int) -> dict:
    res: dict = {"reports": n_reports, "online_queries": n_online, "batch_left": n_batch, "seed": seed}
    t = time.time()
    reports, queries, truth, kinds = generate(n_reports, n_batch, seed=seed, with_kinds=True)
    res["generate_s"] = round(time.time() - t, 1)
    print(f"[{n_reports}] generated in {res['generate_s']} s", flush=True)

    base = Baseline(reports)

    # -- index build: prepare + train + key maps --------------------------------------------
    t0 = time.time()
    rt = mm.prepare_table(reports)
    qt = mm.prepare_table(queries)
    res["prepare_s"] = round(time.time() - t0, 1)
    del reports[:]  # the engine works from the prepared table; free the Python objects
    gc.collect()
    t = time.time()
    model = mm.train(qt, rt)
    res["train_s"] = round(time.time() - t, 1)
    t = time.time()
    idx = MatchIndex(rt, model)
    res["maps_s"] = round(time.time() - t, 1)
    res["index_build_s"] = round(time.time() - t0, 1)
    res["guard_notes"] = model.meta.get("guard_notes", [])
    res["p_match"] = model.params.get("p_match")
    res["lambda"] = model.params["lambda"]
    print(
        f"[{n_reports}] index built in {res['index_build_s']} s (prepare {res['prepare_s']}, train {res['train_s']})",
        flush=True,
    )

    # -- online queries ------------------------------------------------------------------------
    online = queries[:n_online]
    idx.query(online[0])  # warm-up: captures the scoring SQL once
    lat, hits1, hits10, n_true = [], 0, 0, 0
    b_hits1 = b_hits10 = 0
    b_lat = []
    by_kind: dict = defaultdict(lambda: [0, 0, 0])
    ceiling: dict = defaultdict(lambda: [0, 0])
    loads = [os.getloadavg()[0]]
    for q in online:
        t = time.perf_counter()
        cands = idx.query(q, k=10)
        lat.append(time.perf_counter() - t)
        t = time.perf_counter()
        bc = base.query(q)[:10]
        b_lat.append(time.perf_counter() - t)
        tr = truth[q.id]
        if tr is None:
            continue
        n_true += 1
        ids = [c.record_id for c in cands]
        hits1 += ids[:1] == [tr]
        hits10 += tr in ids
        for key in (kinds[q.id], kinds[q.id][:-6], "place" + kinds[q.id][-6:-5]):
            by_kind[key][0] += 1
            by_kind[key][1] += ids[:1] == [tr]
            by_kind[key][2] += tr in ids
        if tr not in ids:
            ceiling[kinds[q.id]][0] += 1
            ceiling[kinds[q.id]][1] += dominated(idx, q, tr)
        if len(lat) % 100 == 0:
            loads.append(os.getloadavg()[0])
        b_hits1 += bc[:1] == [tr]
        b_hits10 += tr in bc
    res["online"] = {
        "with_true_match": n_true,
        "recall_at_1": round(hits1 / n_true, 4),
        "recall_at_10": round(hits10 / n_true, 4),
        "latency_p50_ms": round(pct(lat, 50), 1),
        "latency_p95_ms": round(pct(lat, 95), 1),
        "baseline_recall_at_1": round(b_hits1 / n_true, 4),
        "baseline_recall_at_10": round(b_hits10 / n_true, 4),
        "baseline_latency_p95_ms": round(pct(b_lat, 95), 3),
        "by_kind": {
            k: {"queries": n, "recall_at_1": round(h1 / n, 4), "recall_at_10": round(h / n, 4)}
            for k, (n, h1, h) in sorted(by_kind.items())
        },
        # misses whose true report has ≥ 10 other reports agreeing at least as well on every field
        "misses_dominated": {k: {"misses": n, "dominated": d} for k, (n, d) in sorted(ceiling.items())},
        "load_avg_1min_during": [round(x, 2) for x in loads],
    }
    print(f"[{n_reports}] online {res['online']}", flush=True)
    del idx
    gc.collect()

    # -- batch link: everyone in care × all reports ---------------------------------------------
    n_true_batch = sum(1 for v in truth.values() if v)
    t = time.time()
    pairs, _ = link(qt, rt, model=model, threshold=0.01)
    res["batch_link_s"] = round(time.time() - t, 1)
    ok = np.array([truth.get(a) == b for a, b in zip(pairs.left_id, pairs.right_id)])
    curve = []
    for th in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9):
        sel = pairs.probability.to_numpy() >= th
        tp = int(ok[sel].sum())
        curve.append(
            {
                "threshold": th,
                "pairs": int(sel.sum()),
                "precision": round(tp / max(1, sel.sum()), 4),
                "recall": round(tp / n_true_batch, 4),
            }
        )
    d = next(c for c in curve if c["threshold"] == mm.DEFAULT_THRESHOLD)
    probs = pairs.probability.to_numpy()
    reliability = []
    for lo, hi in (
        (0.01, 0.1),
        (0.1, 0.3),
        (0.3, 0.5),
        (0.5, 0.7),
        (0.7, 0.8),
        (0.8, 0.9),
        (0.9, 0.95),
        (0.95, 1.01),
    ):
        sel = (probs >= lo) & (probs < hi)
        if sel.sum():
            reliability.append(
                {
                    "band": f"{lo:.2f}–{min(hi, 1):.2f}",
                    "pairs": int(sel.sum()),
                    "mean_predicted": round(float(probs[sel].mean()), 3),
                    "observed_true": round(float(ok[sel].mean()), 3),
                }
            )
    t = time.time()
    b_pairs = [(q.id, rid) for q in queries for rid in base.query(q)]
    b_s = time.time() - t
    b_tp = sum(truth.get(a) == b for a, b in b_pairs)
    res["batch"] = {
        "left": len(queries),
        "right": n_reports,
        "seconds": res["batch_link_s"],
        "left_records_per_s": round(len(queries) / res["batch_link_s"], 1),
        "default_threshold": mm.DEFAULT_THRESHOLD,
        "precision": d["precision"],
        "recall": d["recall"],
        "curve": curve,
        "reliability": reliability,
        "baseline_seconds": round(b_s, 2),
        "baseline_pairs": len(b_pairs),
        "baseline_precision": round(b_tp / max(1, len(b_pairs)), 4),
        "baseline_recall": round(b_tp / n_true_batch, 4),
    }
    res["peak_rss_gib"] = round(peak_rss_gib(), 2)
    print(f"[{n_reports}] batch {res['batch']}", flush=True)
    return res


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        "?",
    )
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(mem / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
    }


def markdown(results: list[dict]) -> str:
    rows = [
        "| reports | index build | recall@1 (baseline) | recall@10 (baseline) | query p50 / p95 | batch 10k × N | P / R at default threshold (baseline) | peak memory |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        o, b = r["online"], r["batch"]
        rows.append(
            f"| {r['reports']:,} | {r['index_build_s']} s | {o['recall_at_1']:.3f} ({o['baseline_recall_at_1']:.3f}) | "
            f"{o['recall_at_10']:.3f} ({o['baseline_recall_at_10']:.3f}) | {o['latency_p50_ms']:.0f} / {o['latency_p95_ms']:.0f} ms | "
            f"{b['seconds']} s ({b['left_records_per_s']:.0f} rec/s) | {b['precision']:.3f} / {b['recall']:.3f} "
            f"({b['baseline_precision']:.3f} / {b['baseline_recall']:.3f}) | {r['peak_rss_gib']} GiB |"
        )
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description="匹配引擎基准测试 / matching engine benchmark")
    p.add_argument("--reports", type=int, default=10_000)
    p.add_argument("--online", type=int, default=1000, help="online queries measured")
    p.add_argument("--batch", type=int, default=10_000, help="people in care linked in batch")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--markdown", action="store_true", help="print the table from saved results")
    p.add_argument("--tag", default="", help="results file suffix: results/<reports><tag>.json")
    a = p.parse_args()
    out_dir = HERE / "results"
    if a.markdown:
        results = [
            json.loads(f.read_text())
            for f in sorted(
                (f for f in out_dir.glob("*.json") if f.stem.isdigit()), key=lambda f: int(f.stem)
            )
        ]
        print(markdown(results))
        return
    load_start = os.getloadavg()[0]
    res = run(a.reports, a.online, a.batch, a.seed)
    res["load_avg_1min"] = [round(load_start, 2), round(os.getloadavg()[0], 2)]
    res["machine"] = machine()
    res["date"] = time.strftime("%Y-%m-%d")
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{a.reports}{a.tag}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1))
    print(markdown([res]))


if __name__ == "__main__":
    main()
