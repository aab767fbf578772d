"""Splink's Spark backend in local mode (rule T7 at national scale)."""

import shutil

import pytest

from guitu_match import model as mm
from guitu_match.index import link, spark_session
from guitu_match.records import Record

pytestmark = [
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java, which is absent"),
    pytest.mark.heavy(45),  # a JVM and Splink's Spark SQL: started first (conftest.py)
]


def _r(id, source="report", **kw):
    return Record(id=id, source=source, **kw)


def test_t7_spark_local_mode_gives_the_same_pairs_and_scores_as_duckdb(monkeypatch):
    pytest.importorskip("pyspark")
    # Seven records: one shuffle partition instead of eight saves most of the test's time.
    monkeypatch.setenv("GUITU_SPARK_PARTITIONS", "1")
    left = [
        _r(
            "Q1",
            "file",
            name="章伟",
            sex="男",
            birth_year_min=1975,
            birth_year_max=1985,
            hukou_text="河南郸城",
            marks="左手缺一指",
        ),
        _r("Q2", "file", name="小明", sex="男", birth_year=1990, hukou_text="四川省成都市"),
        _r("Q3", "file", name="王芳", id_number="11010519491231002X"),
    ]
    right = [
        _r(
            "R1",
            name="张伟",
            sex="男",
            birth_year=1980,
            hukou_text="河南省周口市郸城县",
            marks="左手缺一指，驼背",
        ),
        _r("R2", name="张晓明", sex="男", birth_year=1990, hukou_text="四川省成都市武侯区"),
        _r("R3", name="王芳", sex="女", id_number="11010519491231002X"),
        _r("R4", name="李明", sex="男", birth_year=1950, hukou_text="广东省"),
    ]
    model = mm.train_default_if_small(mm.prepare_table(left), mm.prepare_table(right))
    duck, _ = link(left, right, model=model, threshold=0.0)
    spark = spark_session("local[1]")
    try:
        sp, _ = link(left, right, model=model, threshold=0.0, backend="spark", spark=spark)
    finally:
        spark.stop()
    d = {(a, b): p for a, b, p in zip(duck.left_id, duck.right_id, duck.probability)}
    s = {(a, b): p for a, b, p in zip(sp.left_id, sp.right_id, sp.probability)}
    assert set(d) == set(s) and ("Q1", "R1") in d and ("Q3", "R3") in d
    for k in d:
        assert s[k] == pytest.approx(d[k], abs=1e-6)
    assert bool(sp[(sp.left_id == "Q3") & (sp.right_id == "R3")].id_number_match.iloc[0])
