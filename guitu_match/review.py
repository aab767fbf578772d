"""Review of proposed pairs: the engine proposes, a person decides (issue 3, rule T8).

Pure Python; the Django side persists decisions (e.g. in a table keyed by the unordered pair)
and passes them back in.  Contract:

* ``confirmed``  — a person confirmed the pair: an identification event.  Merging two files of
  one person is the Django side's job: keep both histories, make it undoable.
* ``rejected``   — never proposed again for that pair, whatever later scores say.
* ``deferred``   — proposed again, but after undecided pairs.
* Exact ID-number agreement is shown first and loudly — still confirmed by a person.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

CONFIRMED = "confirmed"
REJECTED = "rejected"
DEFERRED = "deferred"
DECISIONS = {CONFIRMED: "已确认为同一人", REJECTED: "已排除（不再提示）", DEFERRED: "暂缓判断"}


def pair_key(a: str, b: str) -> tuple[str, str]:
    """Decisions hold for the unordered pair."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Decision:
    left_id: str
    right_id: str
    decision: str
    by: str = ""
    at: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(_dt.UTC))
    note: str = ""

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"无效的审核结论“{self.decision}”，应为 confirmed / rejected / deferred")


class DecisionStore(Protocol):
    def get(self, left_id: str, right_id: str) -> Decision | None: ...
    def put(self, decision: Decision) -> None: ...


class MemoryDecisionStore:
    """In-memory store (tests, CLI); the Django side implements the same two methods on a model."""

    def __init__(self, decisions: Iterable[Decision] = ()):
        self._d: dict[tuple[str, str], Decision] = {}
        for d in decisions:
            self.put(d)

    def get(self, left_id: str, right_id: str) -> Decision | None:
        return self._d.get(pair_key(left_id, right_id))

    def put(self, decision: Decision) -> None:
        self._d[pair_key(decision.left_id, decision.right_id)] = decision

    def decided_ids(self, record_id: str) -> set[str]:
        """Ids paired with `record_id` in a confirmed or rejected decision (not to be proposed)."""
        out = set()
        for (a, b), d in self._d.items():
            if d.decision in (CONFIRMED, REJECTED) and record_id in (a, b):
                out.add(b if a == record_id else a)
        return out

    def __iter__(self) -> Iterator[Decision]:
        return iter(self._d.values())

    def __len__(self) -> int:
        return len(self._d)


@dataclass
class Proposal:
    left_id: str
    right_id: str
    probability: float
    id_number_match: bool = False
    explanation: str = ""
    previous: Decision | None = None

    @property
    def loud(self) -> bool:
        return self.id_number_match


def proposals(
    pairs: Iterable[tuple[str, str, float, bool, str]] | Iterable[dict],
    store: DecisionStore,
) -> list[Proposal]:
    """Filter and order candidate pairs for review.

    Rejected pairs are dropped (never again); confirmed pairs are dropped (already an
    identification); deferred ones follow the undecided ones.  Within each group: exact
    ID-number agreement first, then by probability.
    """
    out = []
    for p in pairs:
        if isinstance(p, dict):
            l, r = str(p["left_id"]), str(p["right_id"])
            prob, idm, ex = (
                float(p["probability"]),
                bool(p.get("id_number_match", False)),
                p.get("explanation", ""),
            )
        else:
            l, r, prob, idm, ex = p
        prev = store.get(l, r)
        if prev is not None and prev.decision in (REJECTED, CONFIRMED):
            continue
        out.append(Proposal(l, r, prob, idm, ex, prev))
    out.sort(key=lambda x: (x.previous is not None, not x.id_number_match, -x.probability))
    return out


def decide(
    store: DecisionStore, left_id: str, right_id: str, decision: str, *, by: str = "", note: str = ""
) -> Decision:
    d = Decision(left_id, right_id, decision, by=by, note=note)
    store.put(d)
    return d


# --- bands: what a reviewer is told about a probability ----------------------------------------

#: Bands a caseworker reads instead of a bare percentage (issue 14): 很可能 / 可能 / 较弱.
LIKELY, POSSIBLE, WEAK = "likely", "possible", "weak"
BAND_LABELS = {LIKELY: "很可能", POSSIBLE: "可能", WEAK: "较弱"}
BAND_FROM = {LIKELY: 0.8, POSSIBLE: 0.5}
#: Evidence that can single one person out. Sex, age, height, accent and province cannot: many
#: people share them, so without one of these a pair is never "很可能", however high its score.
STRONG_COMPARISONS = {"name", "id_number", "face_sim", "marks"}
#: The weakest level labels of those comparisons that still count as strong evidence.
_NOT_STRONG_LABELS = ("同姓，名字不同", "姓名不同", "人脸略有相似", "人脸不相似", "体貌特征同类", "体貌特征不同",
                      "身份证号码不同")
MAX_SHOWN = 0.99  # never "100 %": the engine proposes, a person decides


def strong_evidence(reasons: Iterable) -> list[str]:
    """Labels of the agreeing reasons that can single one person out (name, ID, face, a specific mark)."""
    out = []
    for r in reasons:
        comp = r["comparison"] if isinstance(r, dict) else r.comparison
        label = r["label"] if isinstance(r, dict) else r.label
        weight = r["weight"] if isinstance(r, dict) else r.weight
        if comp in STRONG_COMPARISONS and weight > 1 and not label.startswith(_NOT_STRONG_LABELS):
            out.append(label)
    return out


@dataclass(frozen=True)
class Band:
    key: str
    label: str  # 很可能 / 可能 / 较弱
    shown: float  # the probability to show: capped below 1, and below the 很可能 band without strong evidence
    note: str = ""  # why the band is lower than the score, if it is

    @property
    def percent(self) -> str:
        return f"{self.shown * 100:.0f}%"


def band(probability: float, reasons: Iterable = ()) -> Band:
    """The band and the figure shown for a candidate.

    Never 很可能 (nor a figure at or above 80 %) from weak evidence alone, never 100 %.
    """
    p = max(0.0, min(float(probability), MAX_SHOWN))
    strong = strong_evidence(reasons)
    note = ""
    if p >= BAND_FROM[LIKELY] and not strong:
        p = min(p, BAND_FROM[LIKELY] - 0.01)
        note = "仅有性别、年龄、身高、口音、地区等一般特征相符，没有姓名、证件、人脸或特定体貌特征支持，不能视为“很可能”。"
    key = LIKELY if p >= BAND_FROM[LIKELY] else POSSIBLE if p >= BAND_FROM[POSSIBLE] else WEAK
    return Band(key, BAND_LABELS[key], p, note)
