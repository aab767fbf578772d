"""guitu-match: command line for the matching engine (中文 / English).

guitu-match index  --records reports.csv --out idx/ [--train-with in_care.csv]
guitu-match query  --index idx/ --name 张伟 --sex 男 --birth-year 1980 --hukou 河南郸城
guitu-match query  --index idx/ --csv in_care.csv --out candidates.csv
guitu-match link   --left in_care.csv --right reports.csv --out pairs.csv
guitu-match dedupe --input files.csv --out pairs.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import time
import warnings
from pathlib import Path

from guitu_match.records import Record, read_csv

EPILOG = (
    "说明 / Notes:\n"
    "  CSV 为 UTF-8 编码、带表头；列见 docs/matching.md。坏行会报告行号和原因，其余行照常处理。\n"
    "  CSV files are UTF-8 with a header row (columns in docs/matching.md). Bad rows are reported\n"
    "  with their row number and reason; the rest of the file is still processed.\n"
    "  引擎只提出候选，是否同一人由工作人员确认。The engine only proposes; a person decides."
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guitu-match",
        description="归途匹配引擎：这个人可能是谁？ / Guitu matching engine: who could this person be?",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--faces",
        action="store_true",
        help="读取 photo_path 照片并比对人脸（较慢） / embed the photos in photo_path and compare faces (slower)",
    )
    sub = p.add_subparsers(dest="command", metavar="命令/command")

    pi = sub.add_parser(
        "index",
        help="建立索引（并训练模型） / build an index (and train the model)",
        description="读取记录并建立可查询的索引 / read records and build a queryable index",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pi.add_argument(
        "--records",
        required=True,
        help="要索引的记录 CSV（如走失报案） / records CSV to index (e.g. reports)",
    )
    pi.add_argument("--out", required=True, help="索引目录 / index directory")
    pi.add_argument(
        "--train-with", help="用这些记录×索引记录训练（如在站人员） / train on these × the indexed records"
    )
    pi.add_argument(
        "--model", help="使用已训练的模型 JSON，不再训练 / use a trained model JSON instead of training"
    )

    pq = sub.add_parser(
        "query",
        help="查询一个人的候选 / top-k candidates for a person",
        description="对一个人（或 CSV 中每个人）给出最可能的候选及中文解释 / top-k candidates with explanations",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pq.add_argument("--index", required=True, help="索引目录 / index directory")
    pq.add_argument("--csv", help="每行一个要查询的人 / one person per row")
    pq.add_argument("--out", help="结果 CSV（与 --csv 一起用） / output CSV (with --csv)")
    pq.add_argument("--name", help="姓名 / name")
    pq.add_argument(
        "--alias", action="append", default=[], help="别名或小名，可多次 / alias or nickname, repeatable"
    )
    pq.add_argument("--sex", choices=["男", "女"], help="性别 / sex")
    pq.add_argument("--birth-year", type=int, help="出生年份 / birth year")
    pq.add_argument("--birth-year-min", type=int, help="出生年份下限 / earliest birth year")
    pq.add_argument("--birth-year-max", type=int, help="出生年份上限 / latest birth year")
    pq.add_argument("--id-number", help="身份证号码 / ID number")
    pq.add_argument("--hukou", help="户籍地或口述地名 / place of household registration or place named")
    pq.add_argument("--dialect", help="口音 / dialect")
    pq.add_argument("--height", type=float, help="身高（厘米） / height in cm")
    pq.add_argument("--marks", help="体貌特征 / distinguishing marks")
    pq.add_argument(
        "-k",
        "--top",
        dest="k",
        type=int,
        default=10,
        help="每人给出的候选数（默认10，不论概率高低） / candidates per person (default 10, whatever their probability)",
    )
    pq.add_argument("--json", action="store_true", help="输出 JSON / print JSON")

    for name, helptext, desc in (
        (
            "link",
            "两组记录之间配对 / link two sets of records",
            "如：在站人员 × 走失报案（规则T7） / e.g. people in care × missing-person reports (rule T7)",
        ),
        (
            "dedupe",
            "一组记录内查重 / find duplicates within one set",
            "如：查找重复档案 / e.g. duplicate files",
        ),
    ):
        sp = sub.add_parser(
            name,
            help=helptext,
            description=desc,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == "link":
            sp.add_argument("--left", required=True, help="左侧记录 CSV / left records CSV")
            sp.add_argument("--right", required=True, help="右侧记录 CSV / right records CSV")
        else:
            sp.add_argument("--input", required=True, help="记录 CSV / records CSV")
        sp.add_argument(
            "--out", required=True, help="输出配对 CSV（left_id,right_id,probability,…） / output pairs CSV"
        )
        sp.add_argument(
            "--threshold",
            type=float,
            help="概率阈值（默认用模型的） / probability threshold (default: the model's)",
        )
        sp.add_argument(
            "--top",
            type=int,
            metavar="K",
            help="每条左侧记录输出最好的 K 条右侧记录，不论概率（不用阈值） / "
            "each left record's K best right records, whatever their probability (no threshold)",
        )
        sp.add_argument("--model", help="已训练的模型 JSON / trained model JSON")
        sp.add_argument("--save-model", help="把训练出的模型存到此文件 / save the trained model here")
        sp.add_argument(
            "--backend",
            choices=["duckdb", "spark"],
            default="duckdb",
            help="计算后端（默认 duckdb；spark 见 docs/matching.md） / backend (spark: see docs/matching.md)",
        )
    return p


FACES = False  # set by --faces: embed photos named in photo_path


def _read(path: str) -> list[Record]:
    res = read_csv(path)
    if FACES:
        from guitu_match.records import attach_face_embeddings

        res.errors.extend(attach_face_embeddings(res.records, Path(path).resolve().parent))
    for e in res.errors:
        print(f"{path}: {e}", file=sys.stderr)
    print(
        f"{path}: 读取 {len(res.records)} 条记录，{len(res.errors)} 个问题 / "
        f"{len(res.records)} records read, {len(res.errors)} problems",
        file=sys.stderr,
    )
    return res.records


def _cmd_index(a) -> int:
    from guitu_match.index import MatchIndex
    from guitu_match.model import MatchModel

    t0 = time.time()
    records = _read(a.records)
    if not records:
        print("没有可索引的记录 / nothing to index", file=sys.stderr)
        return 1
    model = MatchModel.load(a.model) if a.model else None
    train_with = _read(a.train_with) if a.train_with else None
    idx = MatchIndex.build(records, model=model, train_with=train_with)
    idx.save(a.out)
    notes = idx.model.meta.get("guard_notes") or []
    for n in notes:
        print(f"模型检查 / model check: {n}", file=sys.stderr)
    print(f"已索引 {len(idx)} 条记录到 {a.out}（{time.time() - t0:.1f} 秒） / indexed {len(idx)} records")
    return 0


def _query_record(a) -> Record:
    return Record(
        id="__query__",
        source="file",
        name=a.name,
        aliases=a.alias,
        sex=a.sex,
        birth_year=a.birth_year,
        birth_year_min=a.birth_year_min,
        birth_year_max=a.birth_year_max,
        id_number=a.id_number,
        hukou_text=a.hukou,
        dialect=a.dialect,
        height_cm=a.height,
        marks=a.marks,
    )


def _cmd_query(a) -> int:
    from guitu_match.idcard import InvalidIdNumber, parse_id_number
    from guitu_match.index import MatchIndex

    if not Path(a.index, "records.parquet").exists():
        print(f"找不到索引：{a.index}（先运行 guitu-match index） / no index at {a.index}", file=sys.stderr)
        return 1
    idx = MatchIndex.load(a.index)
    if a.csv:
        queries = _read(a.csv)
        out = open(a.out, "w", encoding="utf-8", newline="") if a.out else sys.stdout
        w = csv.writer(out)
        # The same first three columns as `link`: left_id (the person asked about), right_id, probability.
        w.writerow(["left_id", "right_id", "probability", "rank", "id_number_match", "explanation"])
        for q in queries:
            for i, c in enumerate(idx.query(q, a.k), 1):
                w.writerow(
                    [q.id, c.record_id, f"{c.probability:.6f}", i, int(c.id_number_match), c.explanation]
                )
        if a.out:
            out.close()
        return 0
    if a.id_number:
        try:
            parse_id_number(a.id_number)
        except InvalidIdNumber as e:
            print(f"身份证号码无效，已忽略：{e} / invalid ID number ignored", file=sys.stderr)
            a.id_number = None
    rec = _query_record(a)
    cands = idx.query(rec, a.k)
    if a.json:
        print(
            json.dumps(
                [
                    {
                        "record_id": c.record_id,
                        "probability": round(c.probability, 6),
                        "match_weight": round(c.match_weight, 3),
                        "id_number_match": c.id_number_match,
                        "explanation": c.explanation,
                        "reasons": [
                            {"comparison": r.comparison, "label": r.label, "weight": r.weight}
                            for r in c.reasons
                        ],
                    }
                    for c in cands
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    if not cands:
        print("没有找到候选 / no candidates")
    for i, c in enumerate(cands, 1):
        print(f"{i:>2}. {c.record_id}  概率/probability {c.probability:.3f}  {c.explanation}")
    return 0


def _cmd_link(a, dedupe: bool) -> int:
    from guitu_match import index as ix

    if a.top is not None and a.top < 1:
        print("--top 必须是正整数 / --top must be a positive integer", file=sys.stderr)
        return 2
    from guitu_match.model import MatchModel

    model = MatchModel.load(a.model) if a.model else None
    t0 = time.time()
    if dedupe:
        recs = _read(a.input)
        pairs, model = ix.dedupe(recs, model=model, threshold=a.threshold, top=a.top, backend=a.backend)
    else:
        left, right = _read(a.left), _read(a.right)
        pairs, model = ix.link(left, right, model=model, threshold=a.threshold, top=a.top, backend=a.backend)
    ix.write_pairs(pairs, a.out)
    if a.save_model:
        model.save(a.save_model)
    loud = int(pairs["id_number_match"].sum()) if len(pairs) else 0
    print(
        f"写出 {len(pairs)} 对候选到 {a.out}（其中身份证号码相同 {loud} 对，{time.time() - t0:.1f} 秒） / "
        f"{len(pairs)} candidate pairs written ({loud} with identical ID numbers)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", category=UserWarning, module="cpca")
    warnings.filterwarnings("ignore", message=".*pkg_resources.*")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("splink").setLevel(logging.ERROR)
    p = _parser()
    a = p.parse_args(argv)
    global FACES
    FACES = bool(a.faces)
    if not a.command:
        p.print_help()
        return 2
    try:
        if a.command == "index":
            return _cmd_index(a)
        if a.command == "query":
            return _cmd_query(a)
        if a.command == "link":
            return _cmd_link(a, dedupe=False)
        if a.command == "dedupe":
            return _cmd_link(a, dedupe=True)
    except (OSError, ValueError) as e:
        print(f"错误 / error: {e}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
