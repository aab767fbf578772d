"""Face benchmark: embedding time per photo and FAISS search at up to 1M faces.

Run from the repository root (one heavy process at a time; ~3 GB RAM at 1M):

    .venv/bin/python bench/match/faces_bench.py                 # 100k and 1M
    .venv/bin/python bench/match/faces_bench.py --sizes 100000 --json /tmp/faces.json

Embedding uses the real photos shipped in the insightface wheel (downloaded, never installed,
same cache as the tests): the 112x112 single portrait, the 1280x886 six-person group photo, and
a 4000x3000 "phone photo" (the portrait pasted into a large JPEG) to time the downscale path.

The search part uses synthetic unit vectors shaped like dlib embeddings: a shared direction,
200 demographic group offsets and a per-identity offset, tuned so that unit distances between
strangers are 0.52-0.61 (0.45-0.52 within a group) like the six strangers of the group photo,
and two photos of one identity are 0.26-0.33 apart.  Each query is a fresh "photo" of an indexed
identity.  Recall of IVF is measured against exact search in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from guitu_match import faces  # noqa: E402
from guitu_match.faces import FaceIndex  # noqa: E402


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    import dlib  # noqa: PLC0415
    import faiss  # noqa: PLC0415

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="minutes"),
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "dlib": dlib.__version__,
        "faiss": faiss.__version__,
    }


def stats_ms(samples: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples)
    p = lambda q: ms[min(len(ms) - 1, int(round(q * (len(ms) - 1))))]  # noqa: E731
    return {"n": len(ms), "mean": statistics.fmean(ms), "min": ms[0], "p50": p(0.5), "p95": p(0.95)}


# --- embedding -----------------------------------------------------------------------------------


def load_photos() -> dict[str, bytes]:
    sys.path.insert(0, str(ROOT / "guitu_match" / "tests"))
    from test_faces import load_face_images  # noqa: PLC0415

    photos = load_face_images()  # downloads the wheel once (cached), reads the photos from it
    from PIL import Image  # noqa: PLC0415

    portrait = Image.open(io.BytesIO(photos["portrait"])).convert("RGB").resize((900, 900))
    phone = Image.new("RGB", (3000, 4000), (200, 190, 180))
    phone.paste(portrait, (1050, 1200))
    buf = io.BytesIO()
    phone.save(buf, format="JPEG", quality=90)
    return {"portrait": photos["portrait"], "group": photos["group"], "phone": buf.getvalue()}


def bench_embedding(reps: int) -> dict:
    photos = load_photos()
    faces.embed_photo(photos["portrait"])  # load the dlib models once
    cases = {
        "portrait 112×112, 1 face": lambda: faces.embed_photo(photos["portrait"]),
        "phone JPEG 3000×4000, 1 face": lambda: faces.embed_photo(photos["phone"]),
        "group 1280×886, largest of 6 faces": lambda: faces.embed_photo(photos["group"], largest=True),
        "group 1280×886, all 6 faces": lambda: faces.embed_faces(photos["group"]),
    }
    out = {}
    for name, fn in cases.items():
        n = reps if "all 6" not in name else max(5, reps // 4)
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        out[name] = stats_ms(samples)
        print(f"  embed {name}: {out[name]}", flush=True)
    return out


# --- search --------------------------------------------------------------------------------------


def synthetic(n: int, n_queries: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    d = faces.DIM
    centre = faces.normalise(rng.normal(size=d)).astype(np.float32)
    groups = (rng.normal(size=(200, d)) * (0.25 / np.sqrt(d))).astype(np.float32)
    x = np.empty((n, d), dtype=np.float32)
    identities_of_queries = rng.choice(n, n_queries, replace=False)
    chunk = 100_000
    ident_q = np.empty((n_queries, d), dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        gid = rng.integers(0, 200, stop - start)
        ident = (
            centre + groups[gid] + rng.normal(size=(stop - start, d)).astype(np.float32) * (0.34 / np.sqrt(d))
        )
        photo = ident + rng.normal(size=ident.shape).astype(np.float32) * (0.23 / np.sqrt(d))
        x[start:stop] = faces.normalise(photo)
        sel = (identities_of_queries >= start) & (identities_of_queries < stop)
        ident_q[sel] = ident[identities_of_queries[sel] - start]
    queries = faces.normalise(
        ident_q + rng.normal(size=ident_q.shape).astype(np.float32) * (0.23 / np.sqrt(d))
    )
    return x, queries, identities_of_queries


def time_single(index: FaceIndex, queries: np.ndarray, k: int = 10) -> tuple[dict, list]:
    results, samples = [], []
    for q in queries:
        t = time.perf_counter()
        results.append(index.search(q, k=k))
        samples.append(time.perf_counter() - t)
    return stats_ms(samples), results


def bench_search(n: int, n_queries: int, n_flat_queries: int) -> dict:
    print(f"  generating {n:,} vectors", flush=True)
    x, queries, truth = synthetic(n, n_queries)
    ids = np.arange(n).tolist()
    gc.collect()
    out: dict = {"n": n, "queries": n_queries}
    base = rss_mb()

    t = time.perf_counter()
    flat = FaceIndex(ivf_threshold=10**12)
    flat.add(ids, x)
    out["flat_build_s"] = time.perf_counter() - t
    out["flat_rss_mb"] = rss_mb() - base
    exact = flat.search_many(queries, k=10)  # ground truth, all threads
    out["flat_identity_top1"] = float(
        np.mean([row[0][0] == t_ for row, t_ in zip(exact, truth, strict=True)])
    )
    out["flat_single"], _ = time_single(flat, queries[:n_flat_queries])
    print(f"  flat: build {out['flat_build_s']:.1f}s, single {out['flat_single']}", flush=True)
    del flat
    gc.collect()

    base = rss_mb()
    t = time.perf_counter()
    # production defaults (IVF from 100k, nlist 4*sqrt(n) capped at 1024, nprobe 32); the
    # threshold is lowered only so that a quick run with small sizes still builds an IVF.
    ivf = FaceIndex(ivf_threshold=min(100_000, n // 2))
    ivf.add(ids, x)
    out["ivf_build_s"] = time.perf_counter() - t
    out["ivf_rss_mb"] = rss_mb() - base
    out["ivf_nlist"] = faces._faiss().extract_index_ivf(ivf._index).nlist
    assert ivf.kind == "ivf"
    out["ivf"] = {}
    for nprobe in (8, 16, 32, 64):
        faces._faiss().extract_index_ivf(ivf._index).nprobe = nprobe
        st, res = time_single(ivf, queries)
        r1 = np.mean([a[0][0] == b[0][0] for a, b in zip(res, exact, strict=True)])
        r10 = np.mean(
            [len({i for i, _ in a} & {i for i, _ in b}) / len(b) for a, b in zip(res, exact, strict=True)]
        )
        idt = np.mean([a[0][0] == t_ for a, t_ in zip(res, truth, strict=True)])
        out["ivf"][nprobe] = {
            "single": st,
            "recall@1": float(r1),
            "recall@10": float(r10),
            "identity_top1": float(idt),
        }
        print(f"  ivf nprobe={nprobe}: {out['ivf'][nprobe]}", flush=True)
    faces._faiss().extract_index_ivf(ivf._index).nprobe = 32

    tmp = Path(tempfile.mkdtemp(prefix="faces-bench-"))
    try:
        t = time.perf_counter()
        ivf.save(tmp)
        out["ivf_save_s"] = time.perf_counter() - t
        out["ivf_disk_mb"] = sum(f.stat().st_size for f in tmp.iterdir()) / 2**20
        del ivf
        gc.collect()
        t = time.perf_counter()
        loaded = FaceIndex.load(tmp)
        out["ivf_load_s"] = time.perf_counter() - t
        assert len(loaded) == n
        del loaded
    finally:
        shutil.rmtree(tmp)
    del x
    gc.collect()
    return out


def markdown(m: dict, emb: dict, search: list[dict]) -> str:
    lines = [
        f"Measured {m['date']} on {m['nproc']} cores, {m['ram_gib']} GiB RAM, {m['cpu']}; "
        f"Python {m['python']}, dlib {m['dlib']}, faiss {m['faiss']}. "
        "Command: `.venv/bin/python bench/match/faces_bench.py`. "
        f"Load average (1 min) at start {m['load_start']:.2f}, at end {m['load_end']:.2f}: "
        "other processes shared the two cores, so means are pessimistic; “min” is the closest to an idle machine.",
        "",
        "**Embedding one photo** (decode, EXIF rotation, downscale to ≤ 1000 px, HOG detection, "
        "5-point alignment, ResNet descriptor; one process, real photos from the insightface wheel):",
        "",
        "| photo | runs | mean ms | min ms | p50 ms | p95 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in emb.items():
        lines.append(
            f"| {name} | {s['n']} | {s['mean']:.0f} | {s['min']:.0f} | {s['p50']:.0f} | {s['p95']:.0f} |"
        )
    lines += [
        "",
        "**Searching faces** (synthetic dlib-like unit vectors, one query at a time on one thread, "
        "top-10; recall of IVF measured against exact search on the same queries; "
        "“true identity first” = the query's own identity ranked first):",
        "",
        "| faces | index | build s | RAM MB | mean ms | p50 ms | p95 ms | recall@1 vs exact | recall@10 vs exact | true identity first |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in search:
        f = s["flat_single"]
        lines.append(
            f"| {s['n']:,} | exact `IndexFlatIP` | {s['flat_build_s']:.1f} | {s['flat_rss_mb']:.0f} | "
            f"{f['mean']:.2f} | {f['p50']:.2f} | {f['p95']:.2f} | 1 | 1 | {s['flat_identity_top1']:.3f} |"
        )
        for nprobe, r in s["ivf"].items():
            build = f"{s['ivf_build_s']:.1f}" if nprobe == 32 else "″"
            ram = f"{s['ivf_rss_mb']:.0f}" if nprobe == 32 else "″"
            default = " (default)" if nprobe == 32 else ""
            lines.append(
                f"| {s['n']:,} | IVF{s['ivf_nlist']}, nprobe {nprobe}{default} | {build} | {ram} | "
                f"{r['single']['mean']:.2f} | {r['single']['p50']:.2f} | {r['single']['p95']:.2f} | "
                f"{r['recall@1']:.3f} | {r['recall@10']:.3f} | {r['identity_top1']:.3f} |"
            )
    lines.append("")
    for s in search:
        lines.append(
            f"- {s['n']:,} faces, IVF: saved in {s['ivf_save_s']:.1f} s ({s['ivf_disk_mb']:.0f} MB on disk), "
            f"loaded in {s['ivf_load_s']:.1f} s. Exact queries timed: {s['flat_single']['n']}, IVF queries: {s['queries']}."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="人脸基准 / face benchmark")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--reps", type=int, default=100, help="embedding repetitions per photo")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--flat-queries", type=int, default=300)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    m = machine()
    m["load_start"] = os.getloadavg()[0]
    print(f"machine: {m}", flush=True)
    emb = bench_embedding(args.reps)
    search = [bench_search(int(n), args.queries, args.flat_queries) for n in args.sizes.split(",")]
    m["peak_rss_mb"] = rss_mb("VmHWM")
    m["load_end"] = os.getloadavg()[0]
    md = markdown(m, emb, search) + f"\n- Peak resident memory of the whole run: {m['peak_rss_mb']:.0f} MB."
    print("\n" + md)
    if args.json:
        args.json.write_text(
            json.dumps({"machine": m, "embedding": emb, "search": search}, indent=1, default=str)
        )


if __name__ == "__main__":
    main()
