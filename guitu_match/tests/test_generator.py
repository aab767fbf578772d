"""Smoke test of the benchmark's generator at tiny size (the benchmark itself is not a test)."""

from guitu_match.idcard import is_valid_id_number


def test_generator_makes_noisy_observations_and_unmatched_people(generator):
    reports, queries, truth = generator.generate(200, 100, seed=3)
    assert len(reports) == 200 and len(queries) == 100
    assert all(is_valid_id_number(r.id_number) for r in reports if r.id_number)
    report_ids = {r.id for r in reports}
    assert all(v is None or v in report_ids for v in truth.values())
    assert any(v is None for v in truth.values())
    assert any(q.birth_year_min for q in queries)
    by_id = {r.id: r for r in reports}
    changed = [q for q in queries if truth[q.id] and q.name and q.name != by_id[truth[q.id]].name]
    assert changed  # homophones, nicknames, dropped given names


def test_generator_is_deterministic(generator):
    a = generator.generate(50, 20, seed=5)
    b = generator.generate(50, 20, seed=5)
    assert [r.to_row() for r in a[1]] == [r.to_row() for r in b[1]]
