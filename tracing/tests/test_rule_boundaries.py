"""Rule T4 at its boundary: three talks a day on every day that *begins* within 72 hours of entry. Entered at
midnight on 2 March, the day beginning on 5 March at 00:00 — exactly 72 hours later — needs one talk, not three."""

from deadlines.tests.conftest import admit, item_of, local


def test_t4_a_day_beginning_exactly_72_hours_after_entry_needs_one_talk(cast):
    ep = admit(cast, local(2026, 3, 2, 0))
    assert item_of("T4", ep, local(2026, 3, 4, 20), "today").progress == "0/3"  # 4 March began 48 hours after entry
    assert item_of("T4", ep, local(2026, 3, 5, 20), "today").progress == "0/1"  # 5 March began 72 hours after entry
