"""GB/T 2260 administrative divisions (province / city / county), from cpca's bundled data.

cpca's table dates from about 2021 and some entries are older still (梁平县 became 梁平区 in
2016).  A short supplement below adds renamed or newer county-level divisions under their
current code and records which retired code each one replaces, so that an old ID number's
division prefix, an old county name and the current name all land on one code.

    >>> from guitu_match.divisions import iter_divisions
    >>> next(iter_divisions())
    Division(code='110000', name='北京市', level='province', parent_code=None)
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

__all__ = [
    "Division",
    "iter_divisions",
    "get_division",
    "canonical_code",
    "division_level",
    "parent_code",
    "full_name",
    "RENAMED",
    "OLD_NAMES",
]

LEVELS = ("province", "city", "county")


@dataclass(frozen=True)
class Division:
    code: str  # six digits
    name: str
    level: str  # 'province' | 'city' | 'county'
    parent_code: str | None


# Current code, current name, retired code it replaces (the retired code keeps resolving).
# Only divisions missing from or outdated in cpca's data; extend as stations report them.
RENAMED: tuple[tuple[str, str, str], ...] = (
    ("411603", "淮阳区", "411626"),  # 淮阳县 → 淮阳区, 2019
    ("410783", "长垣市", "410728"),  # 长垣县 → 长垣市, 2019
    ("341882", "广德市", "341822"),  # 广德县 → 广德市, 2019
    ("500155", "梁平区", "500228"),  # 梁平县 → 梁平区, 2016
    ("500156", "武隆区", "500232"),  # 武隆县 → 武隆区, 2016
    ("130408", "永年区", "130429"),  # 永年县 → 永年区, 2016
    ("130407", "肥乡区", "130428"),  # 肥乡县 → 肥乡区, 2016
    ("330112", "临安区", "330185"),  # 临安市 → 临安区, 2017
    ("331083", "玉环市", "331021"),  # 玉环县 → 玉环市, 2017
    ("510117", "郫都区", "510124"),  # 郫县 → 郫都区, 2016
    ("350112", "长乐区", "350182"),  # 长乐市 → 长乐区, 2017
    ("370116", "莱芜区", "371202"),  # 莱芜市莱城区 → 济南市莱芜区, 2019
    ("370117", "钢城区", "371203"),  # 莱芜市钢城区 → 济南市钢城区, 2019
    ("310151", "崇明区", "310230"),  # 崇明县 → 崇明区, 2016
    ("120119", "蓟州区", "120225"),  # 蓟县 → 蓟州区, 2016
    ("110118", "密云区", "110228"),  # 密云县 → 密云区, 2015
    ("110119", "延庆区", "110229"),  # 延庆县 → 延庆区, 2015
    ("330213", "奉化区", "330283"),  # 奉化市 → 奉化区, 2016
    ("320509", "吴江区", "320584"),  # 吴江市 → 吴江区, 2012
    ("510116", "双流区", "510122"),  # 双流县 → 双流区, 2015
    ("440117", "从化区", "440184"),  # 从化市 → 从化区, 2014
    ("440118", "增城区", "440183"),  # 增城市 → 增城区, 2014
    ("360703", "南康区", "360782"),  # 南康市 → 南康区, 2013
    ("410212", "祥符区", "410224"),  # 开封县 → 祥符区, 2014
    ("420304", "郧阳区", "420321"),  # 郧县 → 郧阳区, 2014
    ("520304", "播州区", "520321"),  # 遵义县 → 播州区, 2016
    ("430112", "望城区", "430122"),  # 望城县 → 望城区, 2011
    ("321012", "江都区", "321088"),  # 江都市 → 江都区, 2011
    ("411203", "陕州区", "411222"),  # 陕县 → 陕州区, 2015
    ("370215", "即墨区", "370282"),  # 即墨市 → 即墨区, 2017
    ("500154", "开州区", "500234"),  # 开县 → 开州区, 2016
)

# Old place names people still say, mapped to the name now in use (same territory).
OLD_NAMES: dict[str, str] = {
    "襄樊": "襄阳",  # 2010
    "思茅": "普洱",  # 2007
    "淮阳县": "淮阳区",
    "长垣县": "长垣市",
    "广德县": "广德市",
    "梁平县": "梁平区",
    "武隆县": "武隆区",
    "永年县": "永年区",
    "肥乡县": "肥乡区",
    "临安市": "临安区",
    "玉环县": "玉环市",
    "开县": "开州区",  # 2016
    "大庸": "张家界",  # 1994
    "通什": "五指山",  # 2001
    "巢县": "巢湖市",
    "郫县": "郫都区",
    "崇明县": "崇明区",
    "蓟县": "蓟州区",
    "密云县": "密云区",
    "延庆县": "延庆区",
    "奉化市": "奉化区",
    "吴江市": "吴江区",
    "双流县": "双流区",
    "从化市": "从化区",
    "增城市": "增城区",
    "南康市": "南康区",
    "开封县": "祥符区",
    "郧县": "郧阳区",
    "遵义县": "播州区",
    "望城县": "望城区",
    "江都市": "江都区",
    "陕县": "陕州区",
    "即墨市": "即墨区",
    "长乐市": "长乐区",
    "藁城市": "藁城区",
    "莱芜市": "济南市莱芜区",  # 2019: the prefecture merged into 济南
    "锦西": "葫芦岛",  # 1994
    "浑江市": "白山市",  # 1994
    "万县": "万州区",  # 1998
    "达县": "达川区",  # 2013
    "吴县": "吴中区",  # 2000
    "南汇": "浦东新区",  # 2009
    "卢湾区": "黄浦区",  # 2011
    "闸北区": "静安区",  # 2015
    "塘沽": "滨海新区",  # 2009
    "汉沽": "滨海新区",
    "大港": "滨海新区",
    "番禺市": "番禺区",  # 2000
    "胶南市": "黄岛区",  # 2012
    "新建县": "新建区",  # 2015
    "绍兴县": "柯桥区",  # 2013
    "阿城市": "阿城区",  # 2006
}

_MUNICIPALITY_PREFIXES = ("11", "12", "31", "50")


def division_level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def parent_code(code: str) -> str | None:
    level = division_level(code)
    if level == "province":
        return None
    if level == "city":
        return code[:2] + "0000"
    return code[:4] + "00"


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Division]:
    text = resources.files("cpca.resources").joinpath("adcodes.csv").read_text(encoding="utf-8")
    rows: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code = row["adcode"][:6]
        rows[code] = row["name"]
    retired = {old for _new, _name, old in RENAMED}
    for new, name, _old in RENAMED:
        rows[new] = name
    table: dict[str, Division] = {}
    for code in sorted(rows):
        name = rows[code]
        level = division_level(code)
        # County-level "市辖区" / "县" rows are placeholders, not places.
        if level == "county" and name in ("市辖区", "县"):
            continue
        if code in retired:
            continue
        table[code] = Division(code, name, level, parent_code(code))
    # Placeholder cities that exist only as parents (e.g. 500200 "县" under 重庆) keep a parent row.
    for div in list(table.values()):
        p = div.parent_code
        if p and p not in table:
            table[p] = Division(p, rows.get(p, "市辖区"), division_level(p), parent_code(p))
    return dict(sorted(table.items()))


@functools.lru_cache(maxsize=1)
def _successors() -> dict[str, str]:
    return {old: new for new, _name, old in RENAMED}


def canonical_code(code: str | None) -> str | None:
    """Map a retired code to its successor; return None for anything that is not 6 digits."""
    if not code:
        return None
    code = str(code).strip()
    if len(code) == 12 and code.isdigit():
        code = code[:6]
    if len(code) != 6 or not code.isdigit():
        return None
    return _successors().get(code, code)


def iter_divisions() -> Iterator[Division]:
    """Every current province, city and county in code order, parents before children.

    Use this to seed a division table: (code, name, level, parent_code).
    """
    yield from _table().values()


def get_division(code: str) -> Division | None:
    c = canonical_code(code)
    return _table().get(c) if c else None


def full_name(code: str) -> str:
    """'河南省周口市郸城县' for 411625; skips placeholder names such as 市辖区."""
    parts: list[str] = []
    c: str | None = canonical_code(code)
    while c:
        d = _table().get(c)
        if d is None:
            break
        if d.name not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            parts.append(d.name)
        c = d.parent_code
    return "".join(reversed(parts))
