"""The episode state machine (救助过程): states and the only allowed transitions.

    求助登记 ──► 已入站 ──► 在站 ◄──► 送医
       │           │         ▲  ╲      │
       │           │         │   ╲     ▼
       │           └────────►│    ► 站外托养
       ├──► 不予救助 (rule N3)  (any admitted state) ──► 已离站 (rules E1, N7–N9)
       └──► 送医 (rule I3: 先救治、后救助)   (any admitted state) ──► 终止救助 (rule N3)

Pure Python: no Django imports, so the map is testable and documented in one place.
"""

from enum import StrEnum


class EpisodeStatus(StrEnum):
    REQUESTED = "requested"
    ADMITTED = "admitted"
    IN_STATION = "in_station"
    IN_HOSPITAL = "in_hospital"
    OUTSIDE_CARE = "outside_care"
    LEFT = "left"
    REFUSED = "refused"
    TERMINATED = "terminated"


STATUS_LABELS: dict[str, str] = {
    EpisodeStatus.REQUESTED: "求助登记",
    EpisodeStatus.ADMITTED: "已入站",
    EpisodeStatus.IN_STATION: "在站",
    EpisodeStatus.IN_HOSPITAL: "送医",
    EpisodeStatus.OUTSIDE_CARE: "站外托养",
    EpisodeStatus.LEFT: "已离站",
    EpisodeStatus.REFUSED: "不予救助",
    EpisodeStatus.TERMINATED: "终止救助",
}

S = EpisodeStatus
#: Allowed edges. Anything not listed is refused with a Chinese message.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.ADMITTED, S.REFUSED, S.IN_HOSPITAL}),
    S.ADMITTED: frozenset({S.IN_STATION, S.IN_HOSPITAL, S.OUTSIDE_CARE, S.LEFT, S.TERMINATED}),
    S.IN_STATION: frozenset({S.IN_HOSPITAL, S.OUTSIDE_CARE, S.LEFT, S.TERMINATED}),
    S.IN_HOSPITAL: frozenset({S.IN_STATION, S.OUTSIDE_CARE, S.LEFT, S.TERMINATED}),
    S.OUTSIDE_CARE: frozenset({S.IN_STATION, S.IN_HOSPITAL, S.LEFT, S.TERMINATED}),
    S.LEFT: frozenset(),
    S.REFUSED: frozenset(),
    S.TERMINATED: frozenset(),
}

#: How each allowed move is made: every edge has a record of its own (a form with its checks and
#: documents), so there is no generic "change status" page — leaving happens only through a
#: departure, 终止救助 only through its notice. ``{(from, to): what to fill in}``.
MOVE_PATHS: dict[tuple[str, str], str] = {
    (S.REQUESTED, S.ADMITTED): "办理入站（安全检查、初步检视后）",
    (S.REQUESTED, S.REFUSED): "不予救助通知书",
    (S.REQUESTED, S.IN_HOSPITAL): "初步检视（送医）",
    **{(s, S.IN_STATION): "安排床位" for s in (S.ADMITTED, S.IN_HOSPITAL, S.OUTSIDE_CARE)},
    **{(s, S.IN_HOSPITAL): "送医登记" for s in (S.ADMITTED, S.IN_STATION, S.OUTSIDE_CARE)},
    **{(s, S.OUTSIDE_CARE): "站外托养登记" for s in (S.ADMITTED, S.IN_STATION, S.IN_HOSPITAL)},
    **{(s, S.LEFT): "离站登记" for s in (S.ADMITTED, S.IN_STATION, S.IN_HOSPITAL, S.OUTSIDE_CARE)},
    **{(s, S.TERMINATED): "终止救助通知书" for s in (S.ADMITTED, S.IN_STATION, S.IN_HOSPITAL, S.OUTSIDE_CARE)},
}
#: The move a station expects next from each open state (the usual road: 办理入站 → 安排床位 → … → 离站);
#: every entry is an edge of :data:`TRANSITIONS` (tested), so the episode page's "next step" cannot offer a
#: move the rules refuse. Other allowed moves stay on the page as alternatives.
EXPECTED_NEXT: dict[str, str] = {
    S.REQUESTED: S.ADMITTED,
    S.ADMITTED: S.IN_STATION,
    S.IN_STATION: S.LEFT,
    S.IN_HOSPITAL: S.IN_STATION,
    S.OUTSIDE_CARE: S.IN_STATION,
}
#: The record that reaches each end state (for messages).
MOVE_PATHS_BY_TARGET: dict[str, str] = {S.LEFT: "离站登记", S.REFUSED: "不予救助通知书", S.TERMINATED: "终止救助通知书"}

#: States in which the person is in the station's care (stranded days count, beds may be held).
IN_CARE = frozenset({S.ADMITTED, S.IN_STATION, S.IN_HOSPITAL, S.OUTSIDE_CARE})
#: End states: no further transition.
CLOSED = frozenset({S.LEFT, S.REFUSED, S.TERMINATED})


class TransitionNotAllowed(ValueError):
    """Raised with a Chinese message when an edge is not in :data:`TRANSITIONS`."""


def check_transition(current: str, target: str) -> None:
    if target not in STATUS_LABELS:
        raise TransitionNotAllowed(f"未知的状态：{target}")
    if target not in TRANSITIONS.get(current, frozenset()):
        raise TransitionNotAllowed(
            f"不允许从“{STATUS_LABELS.get(current, current)}”变更为“{STATUS_LABELS[target]}”。"
        )


def allowed_targets(current: str) -> list[str]:
    return [s for s in STATUS_LABELS if s in TRANSITIONS.get(current, frozenset())]
