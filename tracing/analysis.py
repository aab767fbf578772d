"""Rule T4: find personal names, place names and accent/dialect hints in what a person said in a talk.

Names come from jieba's part-of-speech tagger ('nr'); places from a dictionary of every division name
and short form (邵阳, 隆回, 白云区) and a gazetteer of rivers, mountains, lakes and landmarks (资江, 雪峰山)
given to a tagger of our own (so a place is never taken for a person's name), then the matching
engine's place parser turns them into division codes; dialect hints from a small word list. The
tracer sees the results as chips and turns any into a lead. No Django imports: pure text in, plain
dicts out.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings

from guitu_match.divisions import full_name as _division_name
from guitu_match.gazetteer import KIND_LABELS, place_words
from guitu_match.normalise import parse_place

#: Words and the region they point to (dialect/accent hints for tracers; deliberately short and safe).
DIALECT_WORDS = {
    "俺": "北方方言（山东、河南、河北一带）",
    "恁": "中原官话（河南、山东）",
    "中不中": "河南话",
    "得劲": "河南、东北话",
    "咋整": "东北话",
    "嘎哈": "东北话",
    "埋汰": "东北话",
    "老铁": "东北话",
    "啥子": "西南官话（四川、重庆）",
    "巴适": "四川话",
    "瓜娃子": "四川话",
    "要得": "西南官话、湖南话",
    "堂客": "湖南、湖北话",
    "伢子": "湖南、湖北、江西话",
    "侬": "吴语（上海、浙江）",
    "阿拉": "吴语（上海、宁波）",
    "囡囡": "吴语（江浙沪）",
    "冇": "粤语、客家话",
    "咩": "粤语",
    "靓仔": "粤语",
    "食饭": "粤语、闽语",
    "厝": "闽南话",
    "歹势": "闽南话",
}

#: Accent names that are not divisions (东北话, 闽南话, 客家话 …) and the region they point to.
ACCENT_REGIONS = {"东北": "东北地区", "闽南": "福建南部、台湾", "客家": "粤东、闽西、赣南", "粤": "广东、广西",
                  "潮汕": "广东潮汕", "吴": "江浙沪", "西北": "西北地区", "山东": "山东省", "陕北": "陕西北部"}
_ACCENT_SUFFIXES = ("口音", "方言", "话", "腔")
_NOT_ACCENT = {"说话", "电话", "讲话", "谈话", "对话", "听话", "实话", "假话", "废话", "好话", "坏话", "笑话",
               "回话", "问话", "普通话", "白话", "土话"}


def _accent_region(stem: str) -> str:
    if stem in ACCENT_REGIONS:
        return ACCENT_REGIONS[stem]
    place = parse_place(stem) if len(stem) >= 2 else None
    return _place_label(place.code) if place and place.code else ""


_lock = threading.Lock()
_posseg = None


def _tagger():
    """A jieba part-of-speech tagger of our own (jieba's global dictionary is left alone) that knows
    every place word as 'ns'; loaded once (the dictionary takes a few seconds)."""
    global _posseg
    if _posseg is None:
        with _lock:
            if _posseg is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    import jieba
                    import jieba.posseg as pseg
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tagger = pseg.POSTokenizer(tokenizer)
                for word in place_words():
                    tokenizer.add_word(word, freq=20000, tag="ns")
                _posseg = tagger
    return _posseg


def _place_label(code: str) -> str:
    try:
        return _division_name(code) or code
    except Exception:  # a code the table does not know
        return code


def _place(text: str) -> dict | None:
    word = place_words().get(text)
    if word is not None and word.kind != "division":
        label = (_place_label(word.code) if word.code else word.note) or word.note
        return {"kind": "place", "text": text, "code": word.code, "label": f"{KIND_LABELS[word.kind]}：{label}"}
    place = parse_place(text)
    if place.code:
        return {"kind": "place", "text": text, "code": place.code, "label": _place_label(place.code)}
    if re.search(r"(村|镇|乡|庄|屯|寨|街道)$", text) and len(text) >= 2:
        return {"kind": "place", "text": text, "code": "", "label": ""}
    return None


def suggest(text: str) -> list[dict]:
    """Names, places and dialect hints found in ``text``, in order of first appearance, without repeats.

    Each suggestion: ``{"kind": "name"|"place"|"dialect", "text": ..., "code": division code or "",
    "label": readable place or dialect region}``.
    """
    text = (text or "").strip()
    if not text:
        return []
    found: list[dict] = []
    seen: set[tuple[str, str]] = set()

    def add(item: dict | None) -> None:
        if item and (item["kind"], item["text"]) not in seen:
            seen.add((item["kind"], item["text"]))
            found.append(item)

    tokens = [(w.word, w.flag) for w in _tagger().cut(text)]
    run: list[str] = []

    def flush_run() -> None:
        if run:
            joined = "".join(run)
            item = _place(joined)
            landmark = any(place_words().get(p) and place_words()[p].kind != "division" for p in run)
            if (item is None or landmark) and len(run) > 1:
                for part in run:
                    add(_place(part))
            else:
                add(item)
            run.clear()

    previous = ""
    for word, flag in tokens:
        prev, previous = previous, word
        if word in _ACCENT_SUFFIXES and prev:
            region = _accent_region(prev)
            if region:
                if run and run[-1] == prev:
                    run.pop()
                flush_run()
                add({"kind": "dialect", "text": prev + word, "code": "", "label": region})
                continue
        suffix = next((x for x in _ACCENT_SUFFIXES if word.endswith(x) and len(word) > len(x)), None)
        if suffix and word not in _NOT_ACCENT:
            region = _accent_region(word[: -len(suffix)])
            if region:
                flush_run()
                add({"kind": "dialect", "text": word, "code": "", "label": region})
                continue
        if flag == "nr" and len(word) >= 2 and re.search(r"(村|庄|屯|寨|镇|乡)$", word):
            run.append(word)
            continue
        if flag == "nr" and len(word) >= 2 and word not in place_words():
            flush_run()
            add({"kind": "name", "text": word, "code": "", "label": ""})
            continue
        is_place = flag == "ns" or word in place_words() or (
            len(word) >= 2 and flag.startswith("n") and parse_place(word).code is not None)
        if is_place and len(word) >= 2:
            run.append(word)
        else:
            flush_run()
    flush_run()

    for word, region in DIALECT_WORDS.items():
        if word in text:
            add({"kind": "dialect", "text": word, "code": "", "label": region})
    return found
