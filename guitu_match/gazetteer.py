"""Place words for reading free text: every division name (and its short form) plus a small curated
gazetteer of rivers, mountains, lakes and landmarks (``data/gazetteer.csv``) that people name when they
talk about home ("家门口就是资江", "在雪峰山脚下").

The gazetteer is deliberately modest (~160 entries) and documented in docs/matching.md: each entry
points to the province or city it is known for, or to nothing when it spans several (长江, 黄河);
extend it from stations' experience. No network: the division table comes from cpca's bundled data.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources

from guitu_match import divisions

KIND_LABELS = {"river": "河流", "mountain": "山", "lake": "湖泊", "landmark": "地标", "division": "行政区划"}


@dataclass(frozen=True)
class PlaceWord:
    word: str
    kind: str  # river / mountain / lake / landmark / division
    code: str  # division code it points to, "" when it points to no single place
    note: str = ""


@functools.lru_cache(maxsize=1)
def landmarks() -> dict[str, PlaceWord]:
    """The curated rivers, mountains, lakes and landmarks."""
    text = resources.files("guitu_match").joinpath("data/gazetteer.csv").read_text(encoding="utf-8")
    return {r["name"]: PlaceWord(r["name"], r["kind"], r["code"], r["note"]) for r in csv.DictReader(text.splitlines())}


_SUFFIX = re.compile(r"(各族自治县|自治县|自治旗|自治州|地区|县|区|市|旗|盟|省|自治区)$")
_ETHNIC = re.compile(r"(壮族|回族|维吾尔|藏族羌族|土家族苗族|苗族侗族|布依族苗族|彝族|藏族|朝鲜族|哈萨克|蒙古族|白族|傣族|景颇族|傈僳族|哈尼族|回族彝族)+$")


@functools.lru_cache(maxsize=1)
def place_words() -> dict[str, PlaceWord]:
    """Every word that names a place: division names and their short forms (邵阳, 隆回, 白云区 …),
    and the gazetteer. A short form shared by several divisions points to their common parent."""
    by_word: dict[str, set[str]] = {}
    for d in divisions.iter_divisions():
        if d.name in ("市辖区", "县") or "直辖" in d.name:
            continue
        for w in {d.name, _ETHNIC.sub("", _SUFFIX.sub("", d.name))}:
            if len(w) >= 2:
                by_word.setdefault(w, set()).add(d.code)
    out: dict[str, PlaceWord] = {}
    for w, codes in by_word.items():
        code = _common(sorted(codes))
        out[w] = PlaceWord(w, "division", code)
    for w, pw in landmarks().items():
        out.setdefault(w, pw)
    return out


def _common(codes: list[str]) -> str:
    if len(codes) == 1:
        return codes[0]
    for n, pad in ((4, "00"), (2, "0000")):
        if len({c[:n] for c in codes}) == 1:
            return codes[0][:n] + pad
    return ""
