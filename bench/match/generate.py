"""Synthetic Chinese person records for the matching benchmark (issue 3).

True identities → one missing-person report each (what a family tells the police: the real
name, usually the birth year, the hukou address, often the ID number) → noisy observations of
some of them as people in care (what a station learns from someone confused or unable to speak:
names heard by ear, only a surname, a nickname, an age guessed ±5 years, a village or an old
county name, a wrong sex in a small share), plus people in care with no report at all.

    python bench/match/generate.py --reports 10000 --queries 1000 --out /tmp/gm10k
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from guitu_match.divisions import OLD_NAMES, full_name, iter_divisions  # noqa: E402
from guitu_match.idcard import checksum_char  # noqa: E402
from guitu_match.normalise import COMMON_SURNAMES, char_readings  # noqa: E402
from guitu_match.records import Record, write_csv  # noqa: E402

GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉力鹏斌玉春梅红云飞海波宁林志忠峰琴燕凤成龙"
    "俊浩宇翔欣婷雪晶丹萍琳亮彬鑫东晓金荣福德才宝生根水山喜发友民庆新兵卫青立永长松柏玲莉凯健帅阳晨瑞博坤"
    "倩颖佳慧璐洁雯琪珍菊花翠莲香淑贵富有全顺利旺兴武光家子安泉江河振兴义仁礼智信孝良善美丰收秋冬"
)
# Characters that look alike and get miscopied (形近字).
LOOKALIKE = dict(
    pair
    for a, b in [
        "王玉",
        "土士",
        "未末",
        "己已",
        "日曰",
        "人入",
        "大太",
        "天夫",
        "白自",
        "田由",
        "甲申",
        "刘浏",
        "陈阵",
        "杨扬",
        "汪江",
        "兰芏",
        "春舂",
        "建健",
        "国图",
        "明朋",
        "军车",
        "兵乒",
        "红江",
        "林材",
        "秀季",
        "英荚",
        "华毕",
        "丽丽",
        "梅海",
        "平乎",
        "志忐",
        "峰锋",
        "辉晖",
        "鹏朋",
        "斌赋",
        "凤风",
    ]
    for pair in ((a, b), (b, a))
    if a != b
)
MARKS = [
    "左手缺一指",
    "右眉有疤",
    "额头有疤痕",
    "左脸有黑痣",
    "右腿跛行",
    "门牙缺失",
    "背部有胎记",
    "左耳聋",
    "说话结巴",
    "右手有烫伤疤",
    "颈部有痣",
    "左眼失明",
    "光头",
    "驼背",
    "手臂有纹身",
    "智力残疾",
]
DIALECT_BY_PROVINCE = {
    "44": "粤语",
    "45": "粤语",
    "35": "闽南话",
    "41": "河南话",
    "51": "四川话",
    "50": "重庆话",
    "21": "东北话",
    "22": "东北话",
    "23": "东北话",
    "31": "上海话",
    "32": "吴语",
    "33": "吴语",
    "36": "江西话",
    "43": "湖南话",
    "61": "陕西话",
    "62": "甘肃话",
    "37": "山东话",
    "34": "安徽话",
    "42": "湖北话",
    "13": "河北话",
    "14": "山西话",
}


def _zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


class Generator:
    def __init__(self, seed: int = 1):
        self.rng = random.Random(seed)
        self.counties = [d for d in iter_divisions() if d.level == "county"]
        self.surnames = list(COMMON_SURNAMES)
        self.surname_w = _zipf_weights(len(self.surnames), 0.9)
        self.given = list(GIVEN_CHARS)
        self.given_w = _zipf_weights(len(self.given), 0.6)
        by_reading = defaultdict(list)
        for ch in set(self.given) | set(self.surnames):
            by_reading[char_readings(ch)[0]].append(ch)
        self.homophones = {ch: [c for c in chars if c != ch] for chars in by_reading.values() for ch in chars}
        self.old_name_of = {new: old for old, new in OLD_NAMES.items()}

    # -- identities --------------------------------------------------------------------------
    def identity(self, i: int) -> dict:
        r = self.rng
        sur = r.choices(self.surnames, self.surname_w)[0]
        n_given = 1 if r.random() < 0.3 else 2
        given = "".join(r.choices(self.given, self.given_w, k=n_given))
        sex = r.choice("男女")
        year = r.randint(1940, 2012)
        county = r.choice(self.counties)
        seq = r.randint(0, 99) * 10 + (
            r.choice([1, 3, 5, 7, 9]) if sex == "男" else r.choice([0, 2, 4, 6, 8])
        )
        first17 = f"{county.code}{year}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{seq:03d}"
        idn = first17 + checksum_char(first17)
        height = round(r.gauss(168 if sex == "男" else 157, 6))
        marks = "，".join(r.sample(MARKS, r.choice([0, 0, 1, 1, 2])))
        dialect = DIALECT_BY_PROVINCE.get(county.code[:2], "普通话")
        return {
            "i": i,
            "surname": sur,
            "given": given,
            "sex": sex,
            "year": year,
            "county": county,
            "id": idn,
            "height": height,
            "marks": marks,
            "dialect": dialect,
        }

    def report(self, ident: dict) -> Record:
        """What the family reports: accurate, with ordinary gaps."""
        r = self.rng
        c = ident["county"]
        return Record(
            id=f"R{ident['i']:07d}",
            source="report" if r.random() < 0.8 else "registry",
            name=ident["surname"] + ident["given"],
            sex=ident["sex"],
            birth_year=ident["year"] if r.random() < 0.9 else None,
            id_number=ident["id"] if r.random() < 0.5 else None,
            hukou_text=full_name(c.code)
            + (r.choice(["", "某某镇", "城关镇", "新村"]) if r.random() < 0.5 else ""),
            dialect=ident["dialect"] if r.random() < 0.3 else None,
            height_cm=ident["height"] if r.random() < 0.6 else None,
            marks=ident["marks"] or None if r.random() < 0.7 else None,
        )

    # -- noisy observation of a person in care -----------------------------------------------
    def _noisy_char(self, ch: str) -> str:
        r = self.rng
        if r.random() < 0.75 and self.homophones.get(ch):
            return r.choice(self.homophones[ch])
        return LOOKALIKE.get(ch, ch)

    def _noisy_name(self, ident: dict) -> tuple[str | None, list[str]]:
        r = self.rng
        sur, given = ident["surname"], ident["given"]
        x = r.random()
        aliases: list[str] = []
        if x < 0.05:
            return None, []  # cannot say a name
        if x < 0.13:
            return r.choice([sur + "某", "老" + sur, sur]), []  # only the surname
        if x < 0.20:
            nick = r.choice(["小", "阿"]) + given[-1] if r.random() < 0.7 else given[-1] + "儿"
            return nick, []
        name = sur + given
        if r.random() < 0.35:  # heard by ear or miscopied
            chars = list(name)
            j = r.randrange(len(chars))
            chars[j] = self._noisy_char(chars[j])
            name = "".join(chars)
        if r.random() < 0.15:
            aliases.append(r.choice(["小", "阿"]) + given[-1])
        return name, aliases

    def _noisy_place(self, c) -> str | None:
        r = self.rng
        x = r.random()
        full = full_name(c.code)
        if x < 0.12:
            return None
        if x < 0.30:
            return full_name(c.code[:4] + "00") or full_name(c.code[:2] + "0000")  # city only
        if x < 0.40:
            return full_name(c.code[:2] + "0000")  # province only
        if x < 0.50:  # short form, no suffix: 河南郸城
            prov = full_name(c.code[:2] + "0000").rstrip("省市")
            return prov + c.name.rstrip("县区市旗")
        if x < 0.55 and c.name in self.old_name_of:
            return full.replace(c.name, self.old_name_of[c.name])
        return full + r.choice(["", "某某村", "城关镇", "乡下"])

    def observation(self, ident: dict, qid: str) -> Record:
        r = self.rng
        name, aliases = self._noisy_name(ident)
        sex = ident["sex"]
        if r.random() < 0.02:
            sex = "女" if sex == "男" else "男"
        elif r.random() < 0.05:
            sex = None
        year = ident["year"]
        est = year + round(r.gauss(0, 2.5))
        est = max(1900, min(2020, est))
        rec = Record(id=qid, source="file", name=name, aliases=aliases, sex=sex)
        if r.random() < 0.2:
            rec.birth_year = est
        else:
            rec.birth_year_min, rec.birth_year_max = est - 5, est + 5
        if r.random() < 0.05:
            rec.id_number = ident["id"]
            rec.sex = ident["sex"]
        rec.hukou_text = self._noisy_place(ident["county"])
        rec.dialect = ident["dialect"] if r.random() < 0.5 else None
        rec.height_cm = ident["height"] + r.randint(-4, 4) if r.random() < 0.7 else None
        if ident["marks"] and r.random() < 0.5:
            rec.marks = ident["marks"].split("，")[0]
        return rec


def generate(n_reports: int, n_queries: int, seed: int = 1, no_match_share: float = 0.15):
    """(reports, queries, truth) where truth maps query id → report id or None (no true match)."""
    g = Generator(seed)
    idents = [g.identity(i) for i in range(n_reports)]
    reports = [g.report(x) for x in idents]
    queries, truth = [], {}
    for j in range(n_queries):
        qid = f"Q{j:07d}"
        if g.rng.random() < no_match_share:
            queries.append(g.observation(g.identity(n_reports + j), qid))
            truth[qid] = None
        else:
            ident = idents[g.rng.randrange(n_reports)]
            queries.append(g.observation(ident, qid))
            truth[qid] = f"R{ident['i']:07d}"
    return reports, queries, truth


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description="生成匹配基准测试的合成数据 / synthetic records for the matching benchmark"
    )
    p.add_argument("--reports", type=int, default=10_000)
    p.add_argument("--queries", type=int, default=1_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    reports, queries, truth = generate(a.reports, a.queries, a.seed)
    write_csv(reports, out / "reports.csv")
    write_csv(queries, out / "queries.csv")
    with open(out / "truth.csv", "w", encoding="utf-8") as fh:
        fh.write("query_id,report_id\n")
        for q, rid in truth.items():
            fh.write(f"{q},{rid or ''}\n")
    print(f"{len(reports)} reports, {len(queries)} queries → {out}")


if __name__ == "__main__":
    main()
