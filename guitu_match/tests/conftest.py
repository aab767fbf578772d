import importlib.util
import sys
import warnings
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*pkg_resources.*")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def generator():
    """The benchmark's synthetic-record generator (bench/match/generate.py)."""
    path = ROOT / "bench" / "match" / "generate.py"
    spec = importlib.util.spec_from_file_location("gm_generate", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gm_generate"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def small_world(generator):
    """1,500 reports and 300 people in care, 15 % of them with no report."""
    return generator.generate(1500, 300, seed=7)


@pytest.fixture(scope="session")
def trained(small_world):
    from guitu_match import model as mm

    reports, queries, truth = small_world
    rt, qt = mm.prepare_table(reports), mm.prepare_table(queries)
    return mm.train(qt, rt, max_pairs=2e5), rt, qt
