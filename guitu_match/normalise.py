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
# Text: traditional characters, full-width forms

#: Traditional → simplified for the characters of names, places, accents and marks (張偉 → 张伟,
#: 湖南邵陽 → 湖南邵阳, 傷疤 → 伤疤). Not a general converter: one character each, the common ones.
_T2S = str.maketrans(
    (
    "張陳劉黃趙吳孫馬羅鄭謝許韓馮鄧蕭葉蘇呂盧鍾鐘譚陸範賈韋鄒閆閻龍賀顧龔萬錢嚴湯聶魯關蘭喬龐顏莊紀單塗駱藍鮑華饒農項連婁竇黨"
    "費衛閔邊師欒鄺溫楊鄔歐諸賴遲滿鞏齊嶽蔣於餘雲傑偉國軍紅麗強濤輝鵬飛東曉榮寶慶興長鳳艷豔靜貴義禮順財發勝開書劍鋒剛寧穎婭瑩"
    "晉進愛潔騰鳴銀鐵橋樹時錦創嬌瓊綺歡樂聰傳億權濱漢燦煒瑋瑤倫雙蓮鶯鷹鶴亞賢彥寬廣憲懷澤濟淵潤靈韻頌顯風飄養駿騏嶺崗島崢嵐巖"
    "帥幫廠彌徵從復恆態憶應戰戶撫擁數昇暉暢曆會業極楓標樣橫歲歸殘氣灣為烏無煥熱燈爺牆獨獻現環產畢當盡監盤眾礦祿禎禪稱穩窮競筆"
    "節簡粵約紋純紹終組結絲經綠維綱網緒線編緣縣總織繼續纓習翹聖聯聲職肅脫舉舊蘆處號術補裝製複覺親觀訓記詩話誠語說課調談論謙講"
    "證識護讓讚豐貞貢貨買資賓賣贊跡車軒載輔輕輪辦邁運過達遠適選遺還鄉醫釗針鈞鈴銘銳鋼錄鎮鏡鑒門閃閑間閣闊陽陰隊階際隨險隱雜雞"
    "離難電霧頂須頭題願類飯館驗體鬥魚鮮鳥鴻麥齒龜區陝遼內臺贛閩隴滬鄖荊鹹濰圖廈臨滄蕪銅凱揚錫棗煙萊綏營爾傷腳臉額頸斷燙燒駝聾"
    "啞禿脣顆塊條隻個們裏裡後麼這聽見壩豬糧嶼陘瀋灤綿漣溝澗壽儀貝贏鄲瀘衝漵瀏鄰崑擔"
    ),
    (
    "张陈刘黄赵吴孙马罗郑谢许韩冯邓萧叶苏吕卢钟钟谭陆范贾韦邹闫阎龙贺顾龚万钱严汤聂鲁关兰乔庞颜庄纪单涂骆蓝鲍华饶农项连娄窦党"
    "费卫闵边师栾邝温杨邬欧诸赖迟满巩齐岳蒋于余云杰伟国军红丽强涛辉鹏飞东晓荣宝庆兴长凤艳艳静贵义礼顺财发胜开书剑锋刚宁颖娅莹"
    "晋进爱洁腾鸣银铁桥树时锦创娇琼绮欢乐聪传亿权滨汉灿炜玮瑶伦双莲莺鹰鹤亚贤彦宽广宪怀泽济渊润灵韵颂显风飘养骏骐岭岗岛峥岚岩"
    "帅帮厂弥征从复恒态忆应战户抚拥数升晖畅历会业极枫标样横岁归残气湾为乌无焕热灯爷墙独献现环产毕当尽监盘众矿禄祯禅称稳穷竞笔"
    "节简粤约纹纯绍终组结丝经绿维纲网绪线编缘县总织继续缨习翘圣联声职肃脱举旧芦处号术补装制复觉亲观训记诗话诚语说课调谈论谦讲"
    "证识护让赞丰贞贡货买资宾卖赞迹车轩载辅轻轮办迈运过达远适选遗还乡医钊针钧铃铭锐钢录镇镜鉴门闪闲间阁阔阳阴队阶际随险隐杂鸡"
    "离难电雾顶须头题愿类饭馆验体斗鱼鲜鸟鸿麦齿龟区陕辽内台赣闽陇沪郧荆咸潍图厦临沧芜铜凯扬锡枣烟莱绥营尔伤脚脸额颈断烫烧驼聋"
    "哑秃唇颗块条只个们里里后么这听见坝猪粮屿陉沈滦绵涟沟涧寿仪贝赢郸泸冲溆浏邻昆担"
    ),
)


def simplified(text: str) -> str:
    """NFKC (full-width letters and digits, compatibility ideographs) and traditional → simplified."""
    return unicodedata.normalize("NFKC", text).translate(_T2S)


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
    #: 小林 / 阿王: read as the surname, but it may as well be a nickname from a given name ending in that
    #: character (叶林 called 小林): that character, kept so the given-name reading can still meet.
    given_hint: str | None = None


def clean_name(s: str | None) -> str:
    if not s:
        return ""
    s = simplified(str(s))
    s = _PLACEHOLDER.sub("", s)
    return _NON_HAN.sub("", s)


def split_surname(name: str) -> tuple[str, str]:
    """('欧阳', '娜娜') for 欧阳娜娜; a one-character name is taken as a surname only."""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    if len(name) == 2 and name in COMPOUND_SURNAMES:
        return name, ""
    return name[:1], name[1:]


#: Written when no name is known: not a name at all (the record is nameless).
NO_NAME_WORDS = frozenset(
    "无名氏 无名 无名男 无名女 不详 未知 不知 不知道 无 没有 拒答 拒说 哑巴 聋哑 聋哑人 流浪汉 流浪人员 流浪者 "
    "乞讨人员 男子 女子 老人 老汉 老太 老头 老太太 大爷 大妈 某人 待查 临时 走失人员 受助人员 智障 精神病人".split()
)
#: Forms of address after a surname: 王老汉, 王大爷, 王婆婆, 王师傅 — the surname only.
SURNAME_ADDRESS = (
    "老太太 老太婆 老爷子 老汉 老头 老太 老伯 老板 老师 大爷 大妈 大娘 大叔 大婶 大哥 大姐 婆婆 奶奶 爷爷 "
    "阿姨 师傅 叔叔 伯伯 嫂子 姐 哥 叔 婶 嫂 伯 婆 爹 妈 氏".split()
)
#: Suffixes of a nickname made from the given name: 明娃, 明儿, 明子, 明仔, 明妹, 明伢, 明宝, 明蛋.
NICK_SUFFIXES = "娃儿子仔妹伢宝蛋崽妞"
#: Prefixes of a nickname: 小明, 阿明, 二明 (birth order), 大明, 幺妹.
NICK_PREFIXES = "小阿二三四五六大幺细"


def _is_surname(s: str) -> bool:
    return s in _COMMON_SURNAME_SET or s in COMPOUND_SURNAMES or s in SURNAME_READINGS


@functools.lru_cache(maxsize=200_000)
def parse_name(raw: str | None) -> ParsedName:
    """Surname, given name and nickname reading of a name heard or written at intake.

    - no name: blank, 无名氏, 不详, 哑巴, 流浪人员 …;
    - surname only: 张某, 李某某, 张XX, 老张, 王老汉, 王大爷, 王婆婆, 王师傅 (and a lone surname);
    - nickname from the given name: 小明, 阿强, 二明, 明儿, 明娃, 明子, 明仔, 明明 → given 明;
      小王 / 阿王 with a frequent surname → surname 王.
    """
    text = simplified(str(raw or "")).strip()
    if re.search(r"[某xX×*＊]", text):
        name = clean_name(text)
        if not name or name in NO_NAME_WORDS:
            return ParsedName(None, None, None)
        for suffix in SURNAME_ADDRESS:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                break
        sur, _given = split_surname(name)
        return ParsedName(sur, sur, None)
    name = clean_name(text)
    if not name or name in NO_NAME_WORDS or re.fullmatch(r"(无名|临时|待查|不详|未知)\w*", name):
        return ParsedName(None, None, None)
    if len(name) >= 2 and name[0] == "老" and _is_surname(name[1:]) and len(name) <= 3:
        return ParsedName(name, name[1:], None, nickname=True)  # 老张, 老欧阳
    for suffix in SURNAME_ADDRESS:
        head = name[: -len(suffix)]
        if name.endswith(suffix) and head and _is_surname(head):
            return ParsedName(name, head, None, nickname=True)  # 王老汉, 王大爷, 欧阳婆婆
    if len(name) == 2:
        a, b = name
        if a in NICK_PREFIXES and name not in COMPOUND_SURNAMES:
            if a in "小阿" and b in _TOP_SURNAMES:
                return ParsedName(name, b, None, nickname=True, given_hint=b)  # 小王, or 小林 for 叶林
            return ParsedName(name, None, b, nickname=True)  # 小明, 阿强, 二明
        if b in NICK_SUFFIXES and not (b == "子" and a in _TOP_SURNAMES):
            return ParsedName(name, None, a, nickname=True)  # 明儿, 明娃, 明仔
        if a == b:
            return ParsedName(name, None, a, nickname=True)  # 明明
    if len(name) == 3 and name[0] in "小阿" and name[2] in NICK_SUFFIXES:
        return ParsedName(name, None, name[1], nickname=True)  # 小明子
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


# Names written in pinyin (ZHANG WEI, Zhang Xiaoming, zhang-wei, Zhāng Wěi, WEI Zhang)

_LATIN_NAME = re.compile(r"^[A-Za-z\s\-_.·•',’:]+$")


@functools.lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable with a vowel (ü as v), from pypinyin's dictionary."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    out = set()
    for v in pinyin_dict.values():
        for r in v.split(","):
            syl = to_normal(r).replace("ü", "v")
            if syl.isascii() and syl.isalpha() and re.search(r"[aeiouv]", syl):
                out.add(syl)
    return frozenset(out)


@functools.lru_cache(maxsize=1)
def _surname_syllables() -> frozenset[str]:
    """Readings of the common and compound surnames, compounds joined ('ouyang')."""
    out = {r for c in COMMON_SURNAMES for r in surname_readings(c)}
    out.update(r.replace(" ", "") for c in COMPOUND_SURNAMES for r in surname_readings(c))
    return frozenset(out)


def _segment(token: str) -> list[str] | None:
    """'xiaoming' → ['xiao', 'ming'] (fewest syllables; apostrophes split: xi'an), None if not pinyin."""
    out: list[str] = []
    syl = _syllables()
    for part in re.split(r"['’:]", token):
        if not part:
            continue
        n = len(part)
        best: list[list[str] | None] = [[]] + [None] * n
        for i in range(1, n + 1):
            for j in range(max(0, i - 6), i):
                if best[j] is not None and part[j:i] in syl:
                    cand = best[j] + [part[j:i]]  # type: ignore[operator]
                    if best[i] is None or len(cand) < len(best[i]):  # type: ignore[arg-type]
                        best[i] = cand
        if best[n] is None:
            return None
        out += best[n]  # type: ignore[operator]
    return out or None


@functools.lru_cache(maxsize=50_000)
def parse_pinyin_name(raw: str) -> tuple[str | None, str | None] | None:
    """A name written in pinyin → (surname reading, given reading), e.g. 'ZHANG Xiaoming' →
    ('zhang', 'xiao ming'); None when the text is not pinyin.

    The surname is the one upper-case word when exactly one is (passports: 'WEI Zhang' = 魏), else the
    first word, else the last word when only it is a surname reading ('Wei Zhang' in western order)."""
    text = unicodedata.normalize("NFKC", raw).strip().replace("ü", "v").replace("Ü", "V")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    if not text or not _LATIN_NAME.match(text):
        return None
    words = [w for w in re.split(r"[\s\-_.·•,]+", text) if w]
    segs = [_segment(w.lower()) for w in words]
    if not words or any(sg is None for sg in segs):
        return None
    surnames = _surname_syllables()
    upper = [i for i, w in enumerate(words) if len(w) > 1 and w.isupper()]
    if len(words) == 1:
        flat = segs[0]
        assert flat is not None
        k = 2 if len(flat) > 2 and "".join(flat[:2]) in surnames and flat[0] not in surnames else 1
        return " ".join(flat[:k]), (" ".join(flat[k:]) or None)
    if len(upper) == 1 and len(words) > len(upper):
        i = upper[0]
    elif "".join(segs[0]) not in surnames and "".join(segs[-1]) in surnames:  # type: ignore[arg-type]
        i = len(words) - 1
    else:
        i = 0
    sur = segs[i]
    given = [x for j, sg in enumerate(segs) if j != i for x in sg]  # type: ignore[union-attr]
    return " ".join(sur), (" ".join(given) or None)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=300_000)
def _name_features_one(raw: str) -> dict:
    py = parse_pinyin_name(raw) if raw and re.search(r"[A-Za-z]", raw) else None
    if py is not None:
        sur_py, giv_py = py
        reading = " ".join(x for x in py if x)
        readings = [reading]
        if giv_py and len(raw.split()) == 2 and not any(w.isupper() and len(w) > 1 for w in raw.split()):
            readings.append(giv_py + " " + sur_py)  # Wei Zhang: either order (an alias-level agreement)
        return {
            "parsed": ParsedName(None, None, None),
            "readings": readings,
            "fuzzy": sorted({fuzzy_pinyin(r) for r in readings}),
            "surname_py": sur_py,
            "given_py": giv_py,
            "two_part": bool(sur_py and giv_py),
            "hint_py": None,
        }
    p = parse_name(raw)
    readings = name_readings(p) if p.full else []
    sur_py = surname_readings(p.surname)[0] if p.surname else None
    giv_py = given_readings(p.given, 1)[0] if p.given else None
    hint_py = given_readings(p.given_hint, 1)[0] if p.given_hint else None
    return {
        "parsed": p,
        "hint_py": hint_py,
        "readings": readings,
        "fuzzy": sorted({fuzzy_pinyin(r) for r in readings}),
        "surname_py": sur_py,
        "given_py": giv_py,
        "two_part": bool(p.surname and p.given),
    }


def name_features(name: str | None, aliases: Iterable[str] = ()) -> dict:
    """Columns the linkage model compares for names (see model.py for the levels).

    name_full     cleaned characters of a full name (surname and given name), else None
    surname, surname_py, surname_fz, given_py, given_fz
    name_py       primary pinyin of the whole name ('zhang wei'); name_fz its fuzzy form
    names_py      every reading of the name (surname readings, heteronyms)
    names_fz      fuzzy readings of the name and of every alias (alias hits)
    given_hint_fz fuzzy reading of a 小林 / 阿王 form's character as a given name (ParsedName.given_hint)
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
        "name_fz": fuzzy_pinyin(primary) if f["two_part"] else None,
        "names_py": f["readings"] or None,
        "names_fz": sorted(n for n in names_fz if n) or None,
        "given_hint_fz": fuzzy_pinyin(f["hint_py"]),
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


#: Ethnic names in autonomous counties' names (河口瑶族自治县 → 河口), stripped for the short name.
_ETHNIC = re.compile(
    r"(回族|满族|蒙古族|土家族|苗族|瑶族|彝族|藏族|壮族|侗族|畲族|黎族|傣族|哈尼族|布依族|水族|白族|羌族|土族|仡佬族|"
    r"撒拉族|哈萨克|朝鲜族|锡伯|达斡尔族|鄂温克族|毛南族|仫佬族|纳西族|傈僳族|佤族|拉祜族|景颇族|独龙族|怒族|普米族|"
    r"保安族|东乡族|裕固族|塔吉克|各族)+$"
)
#: A name followed by one of these is a township or village (河口镇), not the county of that name (河口区).
_TOWN_AFTER = "镇乡村"


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
        s = _ETHNIC.sub("", s)
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
            after = text[i + length : i + length + 1]
            if not codes or (after and after in _TOWN_AFTER):
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


#: Words in place text that are not places (placeholders of the division table, vague words).
_NON_PLACES = re.compile(r"(市辖区|县辖区|省直辖县级行政区划|自治区直辖县级行政区划|不详|未知|外地|本地|农村|乡下|老家|某某|某)")
_COUNTY_SUFFIX = re.compile(r"(各族自治县|自治县|自治旗|县|区|市|旗|林区|特区)$")


@functools.lru_cache(maxsize=1)
def _pinyin_places() -> dict[str, list[str]]:
    """Fuzzy pinyin of every division's name and short name → codes ('sao yan' → 邵阳市, 'lon hui' → 隆回县)."""
    out: dict[str, list[str]] = {}
    for d in divisions.iter_divisions():
        if d.name in ("市辖区", "县") or "直辖" in d.name:
            continue
        names = {d.name}
        short = _ETHNIC.sub("", _COUNTY_SUFFIX.sub("", d.name)) if d.level == "county" else re.sub(r"(市|地区|自治州|盟|省|自治区|壮族|回族|维吾尔)+$", "", d.name)
        if len(short) >= 2:
            names.add(short)
        for n in names:
            key = fuzzy_pinyin(" ".join(char_readings(c)[0] for c in n))
            if key:
                out.setdefault(key, []).append(d.code)
    return out


def _by_ear(text: str, base: Place) -> Place | None:
    """Places written by ear (少阳 for 邵阳, 龙回 for 隆回): fuzzy pinyin of 2–4 character pieces
    against every division name, within what is already known (a province or city), preferring the
    most specific unambiguous hit."""
    index = _pinyin_places()
    han = re.sub(r"[^\u3400-\u9fff]", "", text)
    best: Place | None = None
    n = len(han)
    for length in (4, 3, 2):
        for i in range(0, n - length + 1):
            sub = han[i : i + length]
            if han[i + length : i + length + 1] and han[i + length : i + length + 1] in _TOWN_AFTER:
                continue  # 河口镇 is a township, not 河口区
            key = fuzzy_pinyin(" ".join(char_readings(c)[0] for c in sub))
            codes = [c for c in index.get(key or "", []) if _within(c, best or base)]
            if not codes:
                continue
            # Without a province or city to anchor it, only an unambiguous county or city counts.
            cand = _common_prefix_place(codes)
            if not (best or base).code and len(set(codes)) > 1:
                continue
            if cand.code and (best is None or len(cand.code.rstrip("0")) > len((best.code or "").rstrip("0"))):
                best = cand
    if best is None or not best.code:
        return None
    return best


@functools.lru_cache(maxsize=200_000)
def parse_place(text: str | None) -> Place:
    """Place text (户籍地, 口述地名) → province / city / county codes.

    Handles cpca's quirks: a bare ambiguous district (朝阳区) is not guessed — only what all
    candidates share is kept; short forms (河南郸城) and names newer than cpca (淮阳区) are found
    from the division table; old names (襄樊, 淮阳县, 郫县) are mapped to the current ones;
    placeholders (市辖区) and vague words are ignored; names written by ear (湖南少阳龙回) are found
    by fuzzy pinyin within the province or city already recognised.
    """
    if not text or not str(text).strip():
        return Place()
    text = _replace_old_names(simplified(str(text)).strip())
    text = _NON_PLACES.sub("", text)
    if not text:
        return Place()
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
            place = fallback
    if not place.county:
        heard = _by_ear(text, place)
        if heard is not None and len((heard.code or "").rstrip("0")) > len((place.code or "").rstrip("0")):
            place = heard
    return place


# ---------------------------------------------------------------------------------------------
# Dialect, marks


#: Language (dialect) group of each province's main speech; a province-level accent implies it.
#: (A simplification: Hunan also has south-western Mandarin, Guangdong Hakka and Teochew, …)
PROVINCE_GROUP = {
    "11": "北方官话", "12": "北方官话", "13": "冀鲁官话", "14": "晋语", "15": "晋语", "21": "东北官话", "22": "东北官话",
    "23": "东北官话", "31": "吴语", "32": "江淮官话", "33": "吴语", "34": "江淮官话", "35": "闽语", "36": "赣语",
    "37": "冀鲁官话", "41": "中原官话", "42": "西南官话", "43": "湘语", "44": "粤语", "45": "粤语", "46": "闽语",
    "50": "西南官话", "51": "西南官话", "52": "西南官话", "53": "西南官话", "54": "藏语", "61": "中原官话",
    "62": "兰银官话", "63": "中原官话", "64": "兰银官话", "65": "维吾尔语", "71": "闽语", "81": "粤语", "82": "粤语",
}

#: Names of speech that are not division names: group, and the division it points to ("" = none).
DIALECT_NAMES: dict[str, tuple[str, str]] = {
    "湘语": ("湘语", "430000"), "湘方言": ("湘语", "430000"), "湖南话": ("湘语", "430000"),
    "粤语": ("粤语", "440000"), "粤方言": ("粤语", "440000"), "白话": ("粤语", "440000"), "广东白话": ("粤语", "440000"),
    "广府话": ("粤语", "440000"), "广东话": ("粤语", "440000"), "广州话": ("粤语", "440100"), "香港话": ("粤语", "810000"),
    "粤": ("粤语", "440000"), "客家话": ("客家话", ""), "客家": ("客家话", ""), "梅州话": ("客家话", "441400"),
    "闽南话": ("闽语", "350000"), "闽南语": ("闽语", "350000"), "闽南": ("闽语", "350000"), "闽语": ("闽语", "350000"),
    "福建话": ("闽语", "350000"), "台湾话": ("闽语", "710000"), "潮汕话": ("闽语", "445100"), "潮州话": ("闽语", "445100"),
    "潮汕": ("闽语", "445100"), "福州话": ("闽语", "350100"), "闽东话": ("闽语", "350000"), "海南话": ("闽语", "460000"),
    "吴语": ("吴语", ""), "吴方言": ("吴语", ""), "上海话": ("吴语", "310000"), "苏州话": ("吴语", "320500"),
    "宁波话": ("吴语", "330200"), "温州话": ("吴语", "330300"), "杭州话": ("吴语", "330100"),
    "赣语": ("赣语", "360000"), "江西话": ("赣语", "360000"), "晋语": ("晋语", "140000"), "山西话": ("晋语", "140000"),
    "西南官话": ("西南官话", ""), "四川话": ("西南官话", "510000"), "川话": ("西南官话", "510000"),
    "重庆话": ("西南官话", "500000"), "贵州话": ("西南官话", "520000"), "云南话": ("西南官话", "530000"),
    "东北话": ("东北官话", ""), "东北官话": ("东北官话", ""), "东北": ("东北官话", ""),
    "中原官话": ("中原官话", ""), "河南话": ("中原官话", "410000"), "江淮官话": ("江淮官话", ""),
    "冀鲁官话": ("冀鲁官话", ""), "山东话": ("冀鲁官话", "370000"), "胶辽官话": ("胶辽官话", ""),
    "兰银官话": ("兰银官话", ""), "西北话": ("兰银官话", ""), "陕西话": ("中原官话", "610000"),
    "北京话": ("北方官话", "110000"), "天津话": ("北方官话", "120000"),
    "藏语": ("藏语", "540000"), "藏话": ("藏语", "540000"), "藏族话": ("藏语", "540000"), "康巴话": ("藏语", ""),
    "安多话": ("藏语", ""), "维吾尔语": ("维吾尔语", "650000"), "维语": ("维吾尔语", "650000"),
    "新疆话": ("维吾尔语", "650000"), "哈萨克语": ("哈萨克语", "650000"), "蒙古语": ("蒙古语", "150000"),
    "蒙语": ("蒙古语", "150000"), "彝语": ("彝语", "513400"), "壮语": ("壮语", "450000"), "朝鲜语": ("朝鲜语", "222400"),
    "苗语": ("苗语", ""), "侗语": ("侗语", ""), "傣语": ("傣语", "530000"), "白族话": ("白语", "532900"),
    "少数民族语言": ("少数民族语言", ""), "民族语言": ("少数民族语言", ""),
}
#: Words that say nothing about where someone is from.
_DIALECT_NOISE = re.compile(
    r"(听口音|听起来|口音重|口音|方言|土话|腔调|腔|话|语言|说话|会说|只会|能说|说|讲|操|带有|带|有点|有些|略|"
    r"好像是|好像|像是|疑似|可能是|可能|应该是|大概|估计|一带|地区|人士|人|的|是|偏|等|较重|很重|重)"
)
_NO_DIALECT = re.compile(r"^(普通话|不会说话|不说话|无法交流|不详|未知|听不懂|无|哑)$")


@dataclass(frozen=True)
class Dialect:
    group: str | None  # 湘语, 粤语, 西南官话, 藏语 …
    place: Place  # the region the accent points to (empty when it points nowhere in particular)


@functools.lru_cache(maxsize=50_000)
def parse_dialect(s: str | None) -> Dialect:
    """Free-text accent → language group and, where it implies one, a province / city / county.

    "湖南邵阳口音", "邵阳话" and "说湖南邵阳话" → (湘语, 湖南省邵阳市); "湘语" → (湘语, 湖南省);
    "说四川话" → (西南官话, 四川省); "藏语" → (藏语, 西藏); "客家话" → (客家话, no region);
    "普通话" → nothing (it says nothing about a hometown).
    """
    if not s:
        return Dialect(None, Place())
    text = simplified(str(s)).strip()
    text = re.sub(r"[\s,，。、;；:：()（）“”\"'?？!！]", "", text)
    if not text or _NO_DIALECT.match(text):
        return Dialect(None, Place())
    for name in sorted(DIALECT_NAMES, key=len, reverse=True):
        if name in text:
            group, code = DIALECT_NAMES[name]
            rest = text.replace(name, "")
            place = Place.from_code(code) if code else Place()
            # "广东梅州客家话": a named place refines the dialect's region
            extra = parse_place(_DIALECT_NOISE.sub("", rest)) if len(rest) >= 2 else Place()
            if extra.code and (not place.code or extra.code.startswith(place.code.rstrip("0")[:2])):
                place = extra
            return Dialect(group, place)
    stem = _DIALECT_NOISE.sub("", text)
    if not stem:
        return Dialect(None, Place())
    place = parse_place(stem)
    if not place.code:
        return Dialect(None, Place())
    return Dialect(PROVINCE_GROUP.get(place.code[:2]), place)


def normalise_dialect(s: str | None) -> str | None:
    """The language group of an accent (湘语, 粤语, 西南官话 …), or None."""
    return parse_dialect(s).group


# Marks: body part, side and kind in canonical words, so that 疤/疤痕/伤疤 and 缺指/断指 meet.
_MARK_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("缺指", ("缺指", "断指", "少一指", "缺一指", "缺一根手指", "少一个手指", "少根手指", "少了手指", "手指残缺",
             "缺手指", "断了手指", "六指")),
    ("缺牙", ("门牙缺", "缺门牙", "掉了门牙", "牙缺", "缺牙", "无门牙", "没有门牙")),
    ("烫伤", ("烫伤", "烧伤", "烫疤", "烧疤")),
    ("疤", ("疤痕", "伤疤", "刀疤", "疤", "伤痕", "瘢痕")),
    ("痣", ("黑痣", "痣", "黑点", "痦子")),
    ("胎记", ("胎记", "胎斑", "青记", "红记")),
    ("纹身", ("纹身", "刺青", "文身", "纹了")),
    ("跛", ("跛", "瘸", "腿脚不便", "走路不稳", "拐")),
    ("驼背", ("驼背", "罗锅", "弯腰")),
    ("聋", ("耳聋", "聋", "听力差", "听不见")),
    ("哑", ("哑",)),
    ("盲", ("失明", "盲", "瞎", "看不见")),
    ("结巴", ("结巴", "口吃")),
    ("斜视", ("斜视", "斜眼", "对眼")),
    ("秃", ("秃顶", "秃", "谢顶", "光头", "头发稀少")),
    ("兔唇", ("兔唇", "唇裂", "豁嘴")),
    ("智力残疾", ("智力残疾", "智障", "智力低下", "傻")),
    ("截肢", ("截肢", "缺腿", "缺胳膊", "断腿", "独臂", "假肢")),
)
_MARK_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("额", ("额头", "前额", "脑门", "额")), ("眉", ("眉毛", "眉骨", "眉")), ("眼", ("眼角", "眼睛", "眼皮", "眼")),
    ("脸", ("脸颊", "面颊", "脸", "面部", "颧骨")), ("耳", ("耳朵", "耳")), ("鼻", ("鼻子", "鼻")),
    ("嘴", ("嘴唇", "嘴角", "嘴", "唇")), ("下巴", ("下巴", "下颌")), ("颈", ("脖子", "颈部", "颈")),
    ("头", ("头顶", "头部", "后脑", "头")), ("胸", ("胸口", "胸部", "胸")), ("背", ("后背", "背部", "背")),
    ("腹", ("肚子", "腹部", "腹", "腰")), ("臂", ("手臂", "胳膊", "上臂", "小臂", "臂")),
    ("手", ("手背", "手掌", "手腕", "手")), ("腿", ("小腿", "大腿", "腿")), ("膝", ("膝盖", "膝")),
    ("脚", ("脚背", "脚踝", "脚", "足")),
)


def _mark_clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[,，。;；、\s/]+|和|及|并且|还有", text) if c]


@functools.lru_cache(maxsize=100_000)
def _marks_tokens(text: str) -> tuple[str, ...]:
    out: set[str] = set()
    for clause in _mark_clauses(text):
        kind = next((k for k, words in _MARK_KINDS if any(w in clause for w in words)), None)
        part = next((p for p, words in _MARK_PARTS if any(w in clause for w in words)), None)
        side = "左" if "左" in clause else "右" if "右" in clause else ""
        if kind:
            out.add(f"k:{kind}")
            if part:
                out.add(f"p:{part}:{kind}")
                if side:
                    out.add(f"s:{side}{part}:{kind}")
        elif part:
            out.add(f"u:{part}")
    return tuple(sorted(out))


def marks_tokens(s: str | None) -> list[str] | None:
    """Normalised marks: 'k:疤' (a scar somewhere), 'p:眉:疤' (on the eyebrow), 's:左眉:疤' (left).

    Synonyms meet (疤/疤痕/伤疤/刀疤, 缺指/断指/少一指, 纹身/刺青); the side is its own token so a
    left/right mix-up costs only that token.
    """
    if not s:
        return None
    toks = _marks_tokens(simplified(str(s)))
    return list(toks) or None


def id_info(number: str | None) -> IdInfo | None:
    if not number:
        return None
    try:
        return parse_id_number(number)
    except InvalidIdNumber:
        return None
