"""Every public service that locks rows runs in a transaction of its own (STYLE: writes in transactions).

A test case wraps each test in a transaction, so a service that locks with ``select_for_update`` outside one
passes its tests and fails for real users on PostgreSQL ("select_for_update cannot be used outside of a
transaction"), while on SQLite its writes are not atomic. This happened: a helper inserted between
``@transaction.atomic`` and ``settlement_place`` took the decorator, and the demo seed failed on PostgreSQL.
The check reads the source: a public function of a ``services`` module that calls ``select_for_update`` or a
module helper that does must be decorated with ``transaction.atomic`` or open ``with transaction.atomic()``.
Event handlers (``on_…``) run inside ``core.events.publish``, which opens the transaction.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _calls(node: ast.AST) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def _is_atomic(fn: ast.FunctionDef) -> bool:
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Attribute) and target.attr == "atomic":
            return True
    for sub in ast.walk(fn):
        if isinstance(sub, ast.With):
            for item in sub.items:
                expr = item.context_expr
                func = expr.func if isinstance(expr, ast.Call) else expr
                if isinstance(func, ast.Attribute) and func.attr == "atomic":
                    return True
    return False


def _unprotected(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.glob("*/services.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        lockers = {name for name, fn in functions.items() if "select_for_update" in _calls(fn)}
        for name, fn in functions.items():
            if name.startswith("_") or name.startswith("on_"):  # event handlers: core.events.publish is atomic
                continue
            if (_calls(fn) & (lockers | {"select_for_update"})) and not _is_atomic(fn):
                found.append(f"{path.relative_to(root)}:{fn.lineno} {name}")
    return found


def test_every_public_service_that_locks_rows_is_atomic():
    assert _unprotected() == []


def test_the_check_finds_a_locking_service_without_a_transaction(tmp_path):
    app = tmp_path / "someapp"
    app.mkdir()
    (app / "services.py").write_text(
        "from django.db import transaction\n"
        "def _locked(x):\n    return X.objects.select_for_update().get(pk=x)\n"
        "@transaction.atomic\ndef good(x):\n    return _locked(x)\n"
        "def bad(x):\n    return _locked(x)\n"
        "def also_good(x):\n    with transaction.atomic():\n        return _locked(x)\n",
        encoding="utf-8")
    assert _unprotected(tmp_path) == ["someapp/services.py:7 bad"]
