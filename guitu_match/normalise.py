"""Normalisers: Chinese names → pinyin keys, place text → GB/T 2260 codes, ID → birth/sex/place.

Everything here runs in plain Python before linkage (a DuckDB Python UDF inside Splink was
~3,000× slower), and is cached because the same names and places repeat a lot.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from pypinyin import Style, pinyin

from guitu_match import divisions
from guitu_match.idcard import IdInfo, InvalidIdNumber, parse_id_number

# ---------------------------------------------------------------------------------------------
# Surnames

# Surnames whose reading as a surname differs from pypinyin's everyday reading.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "覃": "qin",
    "盖": "ge",
    "秘": "bi",
    "种": "chong",
    "繁": "po",
    "缪": "miao",
    "员": "yun",
    "尉": "wei",
    "乐": "yue",
    "召": "shao",
    "相": "xiang",
    "那": "na",
    "任": "ren",
    "华": "hua",
    "纪": "ji",
    "燕": "yan",
    "冼": "xian",
    "句": "gou",
    "谌": "chen",
    "翟": "zhai",
    "折": "she",
    "阚": "kan",
    "都": "du",
    "长": "chang",
    "重": "chong",
    "past": "",
    "尉迟": "yu chi",
    "万俟": "mo qi",
    "长孙": "zhang sun",
    "单于": "chan yu",
    "澹台": "tan tai",
    "令狐": "ling hu",
    "皇甫": "huang fu",
    "宇文": "yu wen",
    "东方": "dong fang",
}
SURNAME_READINGS.pop("past")

COMPOUND_SURNAMES: frozenset[str] = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 闻人 澹台 "
    "西门 南宫 万俟 端木 呼延 独孤 申屠 太史 公冶 濮阳 单于 赫连 司空 东郭 百里 第五 亓官 "
    "左丘 梁丘 淳于 仲孙 叔孙 拓跋 贺兰 完颜".split()
)

# The most frequent surnames (in rough order of frequency); used to read nicknames such as
# 老张 (surname) versus 小明 (given name), and by the benchmark generator.
COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMMON_SURNAME_SET = frozenset(COMMON_SURNAMES)
_TOP_SURNAMES = frozenset(COMMON_SURNAMES[:120])

_PLACEHOLDER = re.compile(r"[某xX×*＊?？_\-—\s·•.．,，()（）\[\]0-9０-９]")
_NON_HAN = re.compile(r"[^\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class ParsedName:
    full: str | None  # cleaned name as written (None if nothing usable)
    surname: str | None
    given: str | None
    nickname: bool = False  # 小明 / 老张 / 阿强 / 明儿


def clean_name(s: str | None) -> str:
    if not s:
        return ""
    s = unicodedata.normalize("NFKC", str(s))
    s = _PLACEHOLDER.sub("", s)
    return _NON_HAN.sub("", s)


def split_surname(name: str) -> tuple[str, str]:
    """('欧阳', '娜娜') for 欧阳娜娜; a one-character name is taken as a surname only."""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    if len(name) == 2 and name in COMPOUND_SURNAMES:
        return name, ""
    return name[:1], name[1:]


@functools.lru_cache(maxsize=200_000)
def parse_name(raw: str | None) -> ParsedName:
    """Surname, given name and nickname reading of a name heard or written at intake.

    张某 / 张XX → surname 张 only; 老张 / 小王 → surname; 小明 / 阿强 / 明儿 → given name 明 / 强.
    """
    if raw and re.search(r"[某xX×*＊]", str(raw)):
        name = clean_name(raw)
        if not name:
            return ParsedName(None, None, None)
        sur, _given = split_surname(name)
        return ParsedName(sur, sur, None)
    name = clean_name(raw)
    if not name:
        return ParsedName(None, None, None)
    if len(name) == 2 and name[0] in "小老阿" and name not in COMPOUND_SURNAMES:
        x = name[1]
        if name[0] == "老" or x in _TOP_SURNAMES:
            return ParsedName(name, x, None, nickname=True)
        return ParsedName(name, None, x, nickname=True)
    if len(name) == 2 and name[1] == "儿":
        return ParsedName(name, None, name[0], nickname=True)
    if len(name) == 1:
        return ParsedName(name, name, None)
    sur, given = split_surname(name)
    return ParsedName(name, sur, given or None)


# ---------------------------------------------------------------------------------------------
# Pinyin

_TONE_DIGITS = re.compile(r"\d")


@functools.lru_cache(maxsize=20_000)
def char_readings(ch: str) -> tuple[str, ...]:
    """All toneless readings of one character (heteronyms), most common first."""
    out = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    readings: list[str] = []
    for group in out:
        for r in group:
            r = _TONE_DIGITS.sub("", r).replace("ü", "v")
            if r and r not in readings:
                readings.append(r)
    return tuple(readings[:3]) or (ch,)


def surname_readings(surname: str) -> tuple[str, ...]:
    """Surname reading first (单 → shan), then the everyday readings (dan)."""
    special = SURNAME_READINGS.get(surname)
    if len(surname) == 2 and special is None:
        combos = [" ".join(p) for p in itertools.product(*(char_readings(c)[:2] for c in surname))]
        return tuple(combos[:4])
    out = [special] if special else []
    if len(surname) == 1:
        out += [r for r in char_readings(surname) if r not in out]
    return tuple(out[:3])


def given_readings(given: str, limit: int = 8) -> tuple[str, ...]:
    per_char = [char_readings(c) for c in given]
    combos = (" ".join(p) for p in itertools.product(*per_char))
    return tuple(itertools.islice(combos, limit))


def primary_pinyin(parsed: ParsedName) -> str | None:
    parts = []
    if parsed.surname:
        parts.append(surname_readings(parsed.surname)[0])
    if parsed.given:
        parts.append(given_readings(parsed.given, 1)[0])
    return " ".join(parts) or None


# Confusions common in southern and north-western speech and in transcription by ear.
_INITIALS = (
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "j",
    "q",
    "x",
    "r",
    "z",
    "c",
    "s",
    "y",
    "w",
)
_FUZZY_INITIAL = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "r": "l", "f": "h"}
_FUZZY_FINAL = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"), ("ong", "on"))


@functools.lru_cache(maxsize=5_000)
def fuzzy_syllable(syl: str) -> str:
    """Collapse zh/z, ch/c, sh/s, n/l, r/l, f/h and -ng/-n so that heard-alike syllables meet."""
    initial = next((i for i in _INITIALS if syl.startswith(i) and len(syl) > len(i)), "")
    final = syl[len(initial) :]
    initial = _FUZZY_INITIAL.get(initial, initial)
    for a, b in _FUZZY_FINAL:
        if final.endswith(a):
            final = final[: -len(a)] + b
            break
    return initial + final


def fuzzy_pinyin(py: str | None) -> str | None:
    if not py:
        return None
    return " ".join(fuzzy_syllable(s) for s in py.split())


def name_readings(parsed: ParsedName, limit: int = 16) -> list[str]:
    """All plausible readings of a full name (surname table + heteronyms), primary first."""
    surs = surname_readings(parsed.surname) if parsed.surname else ("",)
    givs = given_readings(parsed.given) if parsed.given else ("",)
    out: list[str] = []
    for s, g in itertools.product(surs, givs):
        r = (s + " " + g).strip()
        if r and r not in out:
            out.append(r)
        if len(out) >= limit:
            break
    return out


@functools.lru_cache(maxsize=300_000)
def _name_features_one(raw: str) -> dict:
    p = parse_name(raw)
    readings = name_readings(p) if p.full else []
    sur_py = surname_readings(p.surname)[0] if p.surname else None
    giv_py = given_readings(p.given, 1)[0] if p.given else None
    return {
        "parsed": p,
        "readings": readings,
        "fuzzy": sorted({fuzzy_pinyin(r) for r in readings}),
        "surname_py": sur_py,
        "given_py": giv_py,
    }


def name_features(name: str | None, aliases: Iterable[str] = ()) -> dict:
    """Columns the linkage model compares for names (see model.py for the levels).

    name_full     cleaned characters of a full name (surname and given name), else None
    surname, surname_py, surname_fz, given_py, given_fz
    name_py       primary pinyin of the whole name ('zhang wei'); name_fz its fuzzy form
    names_py      every reading of the name (surname readings, heteronyms)
    names_fz      fuzzy readings of the name and of every alias (alias hits)
    """
    f = _name_features_one(name or "")
    p: ParsedName = f["parsed"]
    names_fz = set(f["fuzzy"])
    for a in aliases:
        if a and a.strip():
            fa = _name_features_one(a.strip())
            names_fz.update(fa["fuzzy"])
            pa: ParsedName = fa["parsed"]
            # An alias that is a nickname of the given name: add surname + given reading.
            if pa.given and not pa.surname and p.surname:
                names_fz.update(
                    fuzzy_pinyin(surname_readings(p.surname)[0] + " " + g)
                    for g in given_readings(pa.given, 2)
                )
    primary = f["readings"][0] if f["readings"] else None
    return {
        "name_full": p.full if (p.surname and p.given and not p.nickname) else None,
        "surname": p.surname,
        "surname_py": f["surname_py"],
        "surname_fz": fuzzy_pinyin(f["surname_py"]),
        "given_py": f["given_py"],
        "given_fz": fuzzy_pinyin(f["given_py"]),
        "name_py": primary,
        "name_fz": fuzzy_pinyin(primary) if (p.surname and p.given) else None,
        "names_py": f["readings"] or None,
        "names_fz": sorted(n for n in names_fz if n) or None,
    }


# ---------------------------------------------------------------------------------------------
# Places


@dataclass(frozen=True)
class Place:
    province: str | None = None  # '410000'
    city: str | None = None  # '411600'
    county: str | None = None  # '411625'

    @property
    def code(self) -> str | None:
        return self.county or self.city or self.province

    @classmethod
    def from_code(cls, code: str | None) -> Place:
        c = divisions.canonical_code(code)
        if not c or c[:2] == "00":
            return cls()
        level = divisions.division_level(c)
        prov = c[:2] + "0000"
        city = c[:4] + "00" if level != "province" else None
        county = c if level == "county" else None
        return cls(prov, city, county)


def _cpca():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import cpca
    return cpca


@functools.lru_cache(maxsize=1)
def _county_index() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """name → codes and short name (郸城 for 郸城县) → codes, for county-level divisions."""
    full: dict[str, list[str]] = {}
    short: dict[str, list[str]] = {}
    for d in divisions.iter_divisions():
        if d.level == "city" and d.name not in ("市辖区", "县") and "直辖" not in d.name:
            s = re.sub(r"(市|地区|自治州|盟)$", "", d.name)
            if len(s) >= 2:
                short.setdefault(s, []).append(d.code)
        if d.level != "county":
            continue
        full.setdefault(d.name, []).append(d.code)
        s = re.sub(r"(各族自治县|自治县|自治旗|县|区|市|旗|林区|特区)$", "", d.name)
        s = re.sub(
            r"(回族|满族|蒙古族|土家族|苗族|瑶族|彝族|藏族|壮族|侗族|畲族|黎族|傣族|哈尼族|布依族|水族|白族|羌族|土族|仡佬族|撒拉族|哈萨克|朝鲜族|锡伯|达斡尔族|鄂温克族|毛南族|仫佬族|纳西族|傈僳族|佤族|拉祜族|景颇族|独龙族|怒族|普米族|保安族|东乡族|裕固族|塔吉克|各族)+$",
            "",
            s,
        )
        if len(s) >= 2 and s not in full:
            short.setdefault(s, []).append(d.code)
    return full, short


def _cpca_one(text: str) -> dict:
    """cpca's result for one text as a dict (省, 市, 区, adcode, *_pos).

    cpca.transform builds a pandas DataFrame per call (~3 ms); its per-sentence function is
    ~200× faster, so use it when this cpca version has it.
    """
    cpca = _cpca()
    one = getattr(cpca, "_get_one_addr", None)
    if one is not None:
        try:
            return one(text, True, {})
        except Exception:  # pragma: no cover - internal API changed
            pass
    return cpca.transform([text], pos_sensitive=True).iloc[0].to_dict()


def _common_prefix_place(codes: list[str]) -> Place:
    """The most specific place all candidate codes agree on (朝阳区 → nothing, 鼓楼区 in 江苏 → 江苏)."""
    places = [Place.from_code(c) for c in codes]
    if len({p.county for p in places}) == 1:
        return places[0]
    if len({p.city for p in places}) == 1:
        return Place(places[0].province, places[0].city)
    if len({p.province for p in places}) == 1:
        return Place(places[0].province)
    return Place()


def _replace_old_names(text: str) -> str:
    for old, new in divisions.OLD_NAMES.items():
        if old in text:
            text = text.replace(old, new)
    return text


def _within(code: str, place: Place) -> bool:
    anchor = place.city or place.province
    if not anchor:
        return True
    prefix = anchor[:4] if anchor == place.city else anchor[:2]
    return code.startswith(prefix)


def _find_county_fallback(text: str, base: Place) -> Place | None:
    """Find a county name cpca missed: newer names, short forms (郸城), within what is known."""
    full, short = _county_index()
    best: Place | None = None
    n = len(text)
    for length in (8, 7, 6, 5, 4, 3, 2):
        for i in range(0, n - length + 1):
            sub = text[i : i + length]
            codes = full.get(sub) or short.get(sub)
            if not codes:
                continue
            codes = [c for c in codes if _within(c, base)]
            if not codes:
                continue
            cand = _common_prefix_place(codes)
            if cand.code and (
                best is None or len(cand.code.rstrip("0")) > len((best.code or "").rstrip("0"))
            ):
                best = cand
        if best is not None and best.county:
            return best
    return best


@functools.lru_cache(maxsize=200_000)
def parse_place(text: str | None) -> Place:
    """Place text (户籍地, 口述地名) → province / city / county codes.

    Handles cpca's quirks: a bare ambiguous district (朝阳区) is not guessed — only what all
    candidates share is kept; short forms (河南郸城) and names newer than cpca (淮阳区) are found
    from the division table; old names (襄樊, 淮阳县) are mapped to the current ones.
    """
    if not text or not str(text).strip():
        return Place()
    text = _replace_old_names(unicodedata.normalize("NFKC", str(text)).strip())
    row = _cpca_one(text)
    code = row["adcode"] if isinstance(row["adcode"], str) else None
    place = Place.from_code(code) if code else Place()
    full, _short = _county_index()
    if place.county:
        county_name = row["区"]
        candidates = full.get(county_name, [])
        if len(candidates) > 1 and row["省_pos"] == -1 and row["市_pos"] == -1:
            # Ambiguous district without a province or city in the text: cpca picks one at
            # random (朝阳区 → 长春); keep only what every candidate has in common.
            return _common_prefix_place(candidates)
        return place
    fallback = _find_county_fallback(text, place)
    if fallback and fallback.code:
        # Only accept a fallback that refines (or fills) what cpca found.
        if not place.code or (
            fallback.code.startswith((place.city or place.province or "")[: 4 if place.city else 2])
        ):
            return fallback
    return place


# ---------------------------------------------------------------------------------------------
# Dialect, marks


_DIALECT_SYNONYMS = {
    "广东": "粤",
    "白": "粤",
    "粤语": "粤",
    "广州": "粤",
    "闽南语": "闽南",
    "台湾": "闽南",
    "川": "四川",
    "重庆": "四川",
    "上海": "吴",
    "苏州": "吴",
    "宁波": "吴",
    "温州": "吴",
    "吴语": "吴",
    "客家": "客家",
    "东北": "东北",
    "河南": "河南",
    "普通": "普通",
}


def normalise_dialect(s: str | None) -> str | None:
    if not s:
        return None
    s = unicodedata.normalize("NFKC", str(s)).strip()
    s = re.sub(r"(方言|口音|话|腔|语)$", "", s)
    s = re.sub(r"[省市县]$", "", s)
    if not s:
        return None
    return _DIALECT_SYNONYMS.get(s, s)


def marks_tokens(s: str | None) -> list[str] | None:
    """Character bigrams of the distinguishing-marks text (疤痕、胎记、残疾), for overlap."""
    if not s:
        return None
    text = unicodedata.normalize("NFKC", str(s))
    out: set[str] = set()
    for seg in re.split(r"[^\u3400-\u9fff]+", text):
        if len(seg) == 1:
            out.add(seg)
        for i in range(len(seg) - 1):
            out.add(seg[i : i + 2])
    return sorted(out) or None


def id_info(number: str | None) -> IdInfo | None:
    if not number:
        return None
    try:
        return parse_id_number(number)
    except InvalidIdNumber:
        return None
