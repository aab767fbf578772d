import pytest

from guitu_match.review import (
    CONFIRMED,
    DEFERRED,
    REJECTED,
    Decision,
    MemoryDecisionStore,
    decide,
    pair_key,
    proposals,
)


def test_t8_decisions_hold_for_the_unordered_pair():
    store = MemoryDecisionStore()
    decide(store, "B", "A", REJECTED, by="u1")
    assert store.get("A", "B").decision == REJECTED
    assert pair_key("B", "A") == ("A", "B")


def test_t8_rejected_and_confirmed_pairs_are_not_proposed_deferred_go_last_id_match_first():
    store = MemoryDecisionStore(
        [Decision("Q1", "R1", REJECTED), Decision("Q1", "R2", CONFIRMED), Decision("Q1", "R3", DEFERRED)]
    )
    pairs = [
        ("Q1", "R1", 0.99, False, ""),
        ("Q1", "R2", 0.98, False, ""),
        ("Q1", "R3", 0.97, False, ""),
        ("Q1", "R4", 0.60, False, ""),
        {"left_id": "Q1", "right_id": "R5", "probability": 0.20, "id_number_match": True},
    ]
    out = proposals(pairs, store)
    assert [p.right_id for p in out] == ["R5", "R4", "R3"]
    assert out[0].loud and out[2].previous.decision == DEFERRED


def test_invalid_decision_is_refused_in_chinese():
    with pytest.raises(ValueError, match="无效的审核结论"):
        Decision("A", "B", "merge")
