"""Synthetic Chinese person records for the matching benchmark (issues 3 and 14).

True identities → one missing-person report each (what a family tells the police: the real
name, usually the birth year, the hukou address, often the ID number) → noisy observations of
some of them as people in care (what a station learns from someone confused, ill or unable to
speak), plus people in care with no report at all. Issue 14 made it harsh, with every noise class
in realistic shares (see KIND_SHARES and the methods below):

- names: 25 % no usable name (blank, 无名氏, 哑巴 …), 10 % of them with no place either; surname-only
  forms (于某, 李某某, 老王, 王老汉, 王大爷 …); nicknames and forms of address (小明, 阿明, 明娃, 明儿,
  明子, 二明, 明明); full names heard by ear (homophones, n/l, f/h, z/zh, -n/-ng confusions),
  miscopied (look-alike characters) or with a dropped given character; aliases repeating the
  given name;
- birth years: staff estimates as ranges with errors of several years, years stated by the person
  (often right, sometimes off by 3–10), or nothing;
- places: missing, city or province only, short forms (河南郸城), old names (襄樊, 郫县, 莱芜),
  heard by ear (邵阳 → 少阳, 隆回 → 龙回), "市辖区" non-places, a town or village without its county;
- dialect: free text naming a province, a city, a county or a language group (湖南邵阳口音,
  邵阳话, 湘语, 说四川话, 藏语), sometimes wrong;
- marks written differently on each side (疤/疤痕/伤疤, 缺指/断指, 左/右 mixed up);
- ID numbers said from memory (3 % of people in care): 30 % of them with one digit wrong or two adjacent
  digits swapped;
- common names (王伟, 张伟, 李娜) are common: surnames and given names follow Zipf laws.

    python bench/match/generate.py --reports 10000 --queries 1000 --out /tmp/gm10k
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from guitu_match.divisions import full_name, get_division, iter_divisions  # noqa: E402
from guitu_match.idcard import checksum_char  # noqa: E402
from guitu_match.normalise import COMMON_SURNAMES, char_readings, fuzzy_syllable  # noqa: E402
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
# Marks as (side, part, kind); each side of the pair words them its own way.
MARK_PARTS = ["额头", "眉毛", "眼角", "脸颊", "下巴", "脖子", "手背", "手臂", "胸口", "后背", "小腿", "膝盖"]
MARK_KINDS = {
    "疤": ["疤", "疤痕", "伤疤", "刀疤", "有道疤"],
    "痣": ["痣", "黑痣", "有颗痣"],
    "胎记": ["胎记", "青色胎记", "红胎记"],
    "烫伤": ["烫伤", "烧伤疤", "烫伤痕迹"],
    "纹身": ["纹身", "刺青", "文身"],
}
WHOLE_MARKS = {  # marks without a body part
    "缺指": ["缺一根手指", "断指", "少一个手指头", "缺指"],
    "跛": ["跛行", "走路一瘸一拐", "腿脚不便（瘸）"],
    "驼背": ["驼背", "罗锅"],
    "门牙缺": ["门牙缺失", "缺门牙", "掉了门牙"],
    "聋": ["耳聋", "听力差（聋）"],
    "结巴": ["说话结巴", "口吃"],
    "斜视": ["斜眼", "斜视"],
    "秃": ["秃顶", "头发稀少谢顶"],
}
# Language group by province (the main one; the generator's, not the engine's table).
GROUP_BY_PROVINCE = {
    "11": "北京话", "12": "天津话", "13": "冀鲁官话", "14": "晋语", "15": "晋语", "21": "东北话", "22": "东北话",
    "23": "东北话", "31": "上海话", "32": "江淮官话", "33": "吴语", "34": "江淮官话", "35": "闽南话", "36": "赣语",
    "37": "山东话", "41": "中原官话", "42": "西南官话", "43": "湘语", "44": "粤语", "45": "粤语", "46": "海南话",
    "50": "西南官话", "51": "西南官话", "52": "西南官话", "53": "西南官话", "54": "藏语", "61": "中原官话",
    "62": "兰银官话", "63": "中原官话", "64": "兰银官话", "65": "维吾尔语",
}
NO_NAME_WORDS = ["", "", "", "无名氏", "不详", "无名男", "哑巴", "流浪人员", "未知", "无", "拒答", "？"]
SURNAME_FORMS = ["{s}某", "{s}某某", "老{s}", "{s}老汉", "{s}大爷", "{s}婆婆", "{s}师傅", "{s}XX", "{s}姐", "{s}"]
NICK_FORMS = ["小{g}", "阿{g}", "{g}娃", "{g}儿", "{g}子", "二{g}", "{g}{g}", "大{g}", "小{g}"]



# Historic names people still use, with the county-level code of the territory today.
# (Written here independently of the engine's own table in guitu_match/divisions.py.)
HISTORIC = [
    ("四川省郫县", "510117"), ("四川省成都市郫县", "510117"), ("重庆市开县", "500154"), ("湖北省襄樊市", "420600"),
    ("襄樊市襄阳区", "420607"), ("云南省思茅市", "530800"), ("山东省莱芜市", "370116"), ("上海市崇明县", "310151"),
    ("天津市蓟县", "120119"), ("北京市密云县", "110118"), ("北京市延庆县", "110119"), ("河南省淮阳县", "411603"),
    ("浙江省奉化市", "330213"), ("江苏省吴江市", "320509"), ("四川省双流县", "510116"), ("湖南省大庸市", "430800"),
    ("河北省藁城市", "130109"), ("山东省即墨市", "370215"), ("广东省从化市", "440117"), ("广东省增城市", "440118"),
    ("江西省南康市", "360703"), ("福建省长乐市", "350112"), ("河南省开封县", "410212"), ("湖北省郧县", "420304"),
    ("贵州省遵义县", "520304"), ("湖南省望城县", "430112"), ("江苏省江都市", "321012"), ("陕西省陕县", "411203"),
]


def _zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


class Generator:
    def __init__(self, seed: int = 1):
        self.rng = random.Random(seed)
        # a stream of its own for the recited ID numbers' copying errors, so that adding them left every other
        # field of a seed's records as it was (results before and after stay comparable)
        self.id_rng = random.Random(seed * 1_000_003 + 17)
        self.counties = [d for d in iter_divisions() if d.level == "county" and "市辖区" not in d.name]
        self.surnames = list(COMMON_SURNAMES)
        self.surname_w = _zipf_weights(len(self.surnames), 1.0)
        self.given = list(GIVEN_CHARS)
        self.given_w = _zipf_weights(len(self.given), 0.9)
        pool = set(self.given) | set(self.surnames)
        for d in iter_divisions():
            pool.update(d.name)
        by_reading, by_fuzzy = defaultdict(list), defaultdict(list)
        for ch in pool:
            if not "\u4e00" <= ch <= "\u9fff":
                continue
            r = char_readings(ch)[0]
            by_reading[r].append(ch)
            by_fuzzy[fuzzy_syllable(r)].append(ch)
        self.homophones = {ch: [c for c in chars if c != ch] for chars in by_reading.values() for ch in chars}
        # Heard alike but not the same syllable (n/l, f/h, z/zh, c/ch, s/sh, -n/-ng)
        self.fuzzy_alike = {}
        for chars in by_fuzzy.values():
            for ch in chars:
                r = char_readings(ch)[0]
                alike = [c for c in chars if char_readings(c)[0] != r]
                if alike:
                    self.fuzzy_alike[ch] = alike
        self.historic = [(t, c) for t, c in HISTORIC if get_division(c)]

    # -- identities --------------------------------------------------------------------------
    def identity(self, i: int) -> dict:
        r = self.rng
        sur = r.choices(self.surnames, self.surname_w)[0]
        n_given = 1 if r.random() < 0.35 else 2
        given = "".join(r.choices(self.given, self.given_w, k=n_given))
        sex = r.choice("男女")
        year = r.randint(1940, 2012)
        if r.random() < 0.08 and self.historic:
            text, code = r.choice(self.historic)
            county = get_division(code)
        else:
            county, text = r.choice(self.counties), None
        seq = r.randint(0, 99) * 10 + (r.choice([1, 3, 5, 7, 9]) if sex == "男" else r.choice([0, 2, 4, 6, 8]))
        first17 = f"{county.code}{year}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{seq:03d}"
        idn = first17 + checksum_char(first17)
        height = round(r.gauss(168 if sex == "男" else 157, 7))
        marks = []
        for _ in range(r.choice([0, 0, 1, 1, 1, 2])):
            if r.random() < 0.6:
                marks.append((r.choice("左右") if r.random() < 0.7 else "", r.choice(MARK_PARTS), r.choice(list(MARK_KINDS))))
            else:
                marks.append(("", "", r.choice(list(WHOLE_MARKS))))
        return {"i": i, "surname": sur, "given": given, "sex": sex, "year": year, "county": county,
                "historic": text, "id": idn, "height": height, "marks": marks,
                "group": GROUP_BY_PROVINCE.get(county.code[:2], "普通话")}

    def _marks_text(self, marks, swap_side: float = 0.0) -> str | None:
        r = self.rng
        out = []
        for side, part, kind in marks:
            if kind in WHOLE_MARKS:
                out.append(r.choice(WHOLE_MARKS[kind]))
                continue
            if side and r.random() < swap_side:
                side = "右" if side == "左" else "左"
            out.append(f"{side}{part}{r.choice(MARK_KINDS[kind])}")
        return "，".join(out) or None

    def report(self, ident: dict) -> Record:
        """What the family reports: accurate, with ordinary gaps (and sometimes the old place name)."""
        r = self.rng
        c = ident["county"]
        year = ident["year"]
        rec = Record(id=f"R{ident['i']:07d}", source="report" if r.random() < 0.8 else "registry",
                     name=ident["surname"] + ident["given"], sex=ident["sex"])
        x = r.random()
        if x < 0.85:
            rec.birth_year = year
        elif x < 0.95:
            rec.birth_year_min, rec.birth_year_max = year - 3, year + 3
        if r.random() < 0.25:
            g = ident["given"][-1]
            rec.aliases = [r.choice(["小", "阿"]) + g if r.random() < 0.6 else g + g]
        rec.id_number = ident["id"] if r.random() < 0.5 else None
        if ident["historic"] and r.random() < 0.7:
            rec.hukou_text = ident["historic"] + r.choice(["", "某某村"])
        elif r.random() < 0.9:
            rec.hukou_text = full_name(c.code) + (r.choice(["", "某某镇", "城关镇", "新村", "某某组"]) if r.random() < 0.5 else "")
        else:
            rec.hukou_text = full_name(c.code[:4] + "00") or full_name(c.code[:2] + "0000")
        rec.dialect = (ident["group"] if r.random() < 0.5 else full_name(c.code[:2] + "0000").rstrip("省市") + "话") \
            if r.random() < 0.3 else None
        rec.height_cm = ident["height"] if r.random() < 0.6 else None
        rec.marks = self._marks_text(ident["marks"]) if r.random() < 0.7 else None
        return rec

    # -- noisy observation of a person in care -----------------------------------------------
    def _noisy_char(self, ch: str) -> str:
        r = self.rng
        x = r.random()
        if x < 0.55 and self.homophones.get(ch):
            return r.choice(self.homophones[ch])
        if x < 0.85 and self.fuzzy_alike.get(ch):
            return r.choice(self.fuzzy_alike[ch])
        return LOOKALIKE.get(ch, ch)

    def name_kind(self) -> str:
        """full (55 %), surname only (10 %), nickname only (10 %), none (25 %)."""
        x = self.rng.random()
        return "full" if x < 0.55 else "surname" if x < 0.65 else "nickname" if x < 0.75 else "none"

    def _noisy_name(self, ident: dict, kind: str) -> tuple[str | None, list[str]]:
        r = self.rng
        sur, given = ident["surname"], ident["given"]
        if kind == "none":
            return r.choice(NO_NAME_WORDS) or None, []
        if kind == "surname":
            return r.choice(SURNAME_FORMS).format(s=sur), []
        if kind == "nickname":
            return r.choice(NICK_FORMS).format(g=given[-1]), []
        name = sur + given
        aliases: list[str] = []
        if r.random() < 0.4:  # heard by ear or miscopied
            chars = list(name)
            j = r.randrange(len(chars))
            chars[j] = self._noisy_char(chars[j])
            name = "".join(chars)
        if len(given) == 2 and r.random() < 0.05:
            name = sur + given[r.randrange(2)]  # one given character dropped
        if r.random() < 0.2:
            aliases.append(r.choice(NICK_FORMS).format(g=given[-1]))
        return name, aliases

    def _by_ear(self, text: str) -> str:
        chars = list(text)
        idx = [i for i, ch in enumerate(chars) if ch in self.fuzzy_alike or ch in self.homophones]
        if idx:
            j = self.rng.choice(idx)
            chars[j] = self._noisy_char(chars[j])
        return "".join(chars)

    def _noisy_place(self, ident: dict) -> str | None:
        r = self.rng
        c = ident["county"]
        prov = full_name(c.code[:2] + "0000")
        city = get_division(c.code[:4] + "00")
        city_name = city.name if city and city.name not in ("市辖区", "县") else ""
        short = lambda n: n.rstrip("县区市旗") if len(n) > 2 else n  # noqa: E731
        x = r.random()
        if x < 0.15:
            return full_name(c.code[:4] + "00") or prov  # city only
        if x < 0.25:
            return prov  # province only
        if x < 0.37:
            return prov.rstrip("省市") + short(c.name)  # 河南郸城
        if x < 0.52:  # heard by ear: 湖南少阳龙回
            return prov.rstrip("省市") + self._by_ear(short(city_name)) + self._by_ear(short(c.name))
        if x < 0.58 and ident["historic"]:
            return ident["historic"]
        if x < 0.64:
            return prov + "市辖区" if c.code[:2] in ("11", "12", "31", "50") else prov + city_name + "市辖区"
        if x < 0.72:  # a town or village without its county
            return short(city_name) + r.choice(["城关镇", "某某乡", "石桥村", "河口镇"])
        return full_name(c.code) + r.choice(["", "某某村", "城关镇", "乡下"])

    def _noisy_dialect(self, ident: dict) -> str | None:
        r = self.rng
        c = ident["county"]
        if r.random() < 0.08:  # wrong: another province's accent
            c = r.choice(self.counties)
        prov = full_name(c.code[:2] + "0000").rstrip("省市")
        prov = prov.replace("壮族自治区", "").replace("回族自治区", "").replace("维吾尔自治区", "").replace("自治区", "")
        city = get_division(c.code[:4] + "00")
        city_short = city.name.rstrip("市") if city and city.name not in ("市辖区", "县") else prov
        forms = [f"{prov}口音", f"说{prov}话", f"{city_short}话", f"{prov}{city_short}口音",
                 GROUP_BY_PROVINCE.get(c.code[:2], "普通话"), f"像是{prov}人", f"{c.name.rstrip('县区市')}口音"]
        return r.choice(forms)

    def _recited_id(self, number: str) -> str:
        """An ID number said from memory and written down: 30 % with one digit wrong (70 %) or two adjacent digits
        swapped (30 %) — both always caught by the check digit."""
        r = self.id_rng
        if r.random() >= 0.3:
            return number
        digits = list(number)
        if r.random() < 0.7:
            i = r.randrange(17)
            digits[i] = r.choice([d for d in "0123456789" if d != digits[i]])
        else:
            pairs = [i for i in range(16) if digits[i] != digits[i + 1]]
            i = r.choice(pairs)
            digits[i], digits[i + 1] = digits[i + 1], digits[i]
        return "".join(digits)

    def observation(self, ident: dict, qid: str, kind: str | None = None) -> tuple[Record, str]:
        r = self.rng
        kind = kind or self.name_kind()
        name, aliases = self._noisy_name(ident, kind)
        sex = ident["sex"]
        if r.random() < 0.02:
            sex = "女" if sex == "男" else "男"
        elif r.random() < 0.05:
            sex = None
        rec = Record(id=qid, source="file", name=name, aliases=aliases, sex=sex)
        year = ident["year"]
        x = r.random()
        if x < 0.5:  # staff estimate of the age, as a range
            est = year + round(r.gauss(0, 4))
            half = r.choice([3, 5, 5, 10])
            rec.birth_year_min, rec.birth_year_max = max(1900, est - half), min(2020, est + half)
        elif x < 0.8:  # stated by the person
            y = r.random()
            off = 0 if y < 0.6 else r.choice([-2, -1, 1, 2]) if y < 0.85 else r.choice([-1, 1]) * r.randint(3, 10)
            rec.birth_year = max(1900, min(2020, year + off))
        if r.random() < 0.03:
            rec.id_number = self._recited_id(ident["id"])
            rec.sex = ident["sex"]
        # a tenth of people give neither name nor place; of the nameless, 40 % (≈ 10 % of all)
        no_place = (kind == "none" and r.random() < 0.4) or r.random() < 0.1
        rec.hukou_text = None if no_place else self._noisy_place(ident)
        rec.dialect = self._noisy_dialect(ident) if r.random() < (0.5 if not no_place else 0.35) else None
        rec.height_cm = ident["height"] + round(r.gauss(0, 3)) if r.random() < 0.7 else None
        if ident["marks"] and r.random() < 0.6:
            rec.marks = self._marks_text(ident["marks"][: r.choice([1, 2])], swap_side=0.15)
        rec_kind = kind + ("+place" if rec.hukou_text else "-place")
        return rec, rec_kind


def generate(n_reports: int, n_queries: int, seed: int = 1, no_match_share: float = 0.15, with_kinds: bool = False):
    """(reports, queries, truth) where truth maps query id → report id or None (no true match).

    With ``with_kinds``, a fourth item maps query id → its kind ('full+place', 'none-place', …).
    """
    g = Generator(seed)
    idents = [g.identity(i) for i in range(n_reports)]
    reports = [g.report(x) for x in idents]
    queries, truth, kinds = [], {}, {}
    for j in range(n_queries):
        qid = f"Q{j:07d}"
        if g.rng.random() < no_match_share:
            rec, kind = g.observation(g.identity(n_reports + j), qid)
            truth[qid] = None
        else:
            ident = idents[g.rng.randrange(n_reports)]
            rec, kind = g.observation(ident, qid)
            truth[qid] = f"R{ident['i']:07d}"
        queries.append(rec)
        kinds[qid] = kind
    if with_kinds:
        return reports, queries, truth, kinds
    return reports, queries, truth


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="生成匹配基准测试的合成数据 / synthetic records for the matching benchmark")
    p.add_argument("--reports", type=int, default=10_000)
    p.add_argument("--queries", type=int, default=1_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    reports, queries, truth, kinds = generate(a.reports, a.queries, a.seed, with_kinds=True)
    write_csv(reports, out / "reports.csv")
    write_csv(queries, out / "queries.csv")
    with open(out / "truth.csv", "w", encoding="utf-8") as fh:
        fh.write("query_id,report_id,kind\n")
        for q, rid in truth.items():
            fh.write(f"{q},{rid or ''},{kinds[q]}\n")
    print(f"{len(reports)} reports, {len(queries)} queries → {out}")


if __name__ == "__main__":
    main()
