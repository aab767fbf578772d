"""A small mutation run over the rule modules (issue 15, "Tests that guard the rules"). Not in CI.

Each mutant is one change to one rule module — a threshold moved by one, a comparison loosened or tightened,
``and``/``or`` swapped, a check or a call dropped — written into a *copy* of the source tree; the module's
narrow test selection then runs against it. A mutant is *killed* when a test fails (or the run times out),
and *survives* when every test still passes. See README.md for why this script and not mutmut.

    nice -n 15 .venv/bin/python bench/mutation/mutate.py --list            # the mutants, nothing run
    nice -n 15 .venv/bin/python bench/mutation/mutate.py --sample 150 --minutes 30 --new-tests-since 02e1196
    nice -n 15 .venv/bin/python bench/mutation/mutate.py --only leaving/services.py:12,13

Mutation operators (one change per mutant):
  cmp    ``>=``↔``>``, ``<=``↔``<`` in a comparison;
  int    an integer constant ±1 (operands of comparisons and arithmetic, call arguments, defaults);
  bool   ``and``↔``or`` (not in the default idiom ``x or ""`` / ``at or timezone.now()``);
  raise  ``raise ValidationError(...)`` / ``raise TransitionNotAllowed(...)`` dropped;
  call   a statement that is only a call dropped (``audit(...)``, ``_require(...)``, ``events.publish(...)``);
  check  an ``errors[...] = "..."`` assignment dropped (a check that reports into the error dict);
  set    one member dropped from a set literal of enum members (``N9_ALLOWED``, an edge of ``TRANSITIONS``),
         or one member of the same enum added to it (a forbidden edge opened, e.g. 不予救助 → 已入站).
"""

import argparse
import ast
import dataclasses
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

#: The rule modules and, for each, the narrow test selection its mutants run against (most relevant first:
#: pytest stops at the first failure, ``-x``).
TARGETS: dict[str, list[str]] = {
    "people/states.py": ["people/tests/test_states.py", "leaving/tests/test_closing.py",
                         "people/tests/test_moves_page.py", "people/tests/test_state_sets.py"],
    "core/idnumbers.py": ["people/tests/test_file.py", "people/tests/test_api.py", "matching/tests/test_services.py",
                          "core/tests/test_rule_guards.py"],
    # the scoping ladder's own tests; tests/test_every_url_scoped.py (every URL) takes minutes a run here
    "core/scoping.py": ["core/tests/test_scoping.py", "core/tests/test_rule_guards.py"],
    "intake/services.py": ["intake/tests/test_rule_boundaries.py", "intake/tests/test_services.py",
                           "intake/tests/test_rule_guards.py"],
    "leaving/services.py": ["leaving/tests/test_audit_entries.py", "leaving/tests/test_services.py",
                            "leaving/tests/test_closing.py", "leaving/tests/test_rule_guards.py",
                            "tests/test_audit_never_holds_secrets.py"],
    "stay/services.py": ["stay/tests/test_audit_entries.py", "stay/tests/test_services.py",
                         "stay/tests/test_rule_guards.py"],
    "intake/deadlines.py": ["deadlines/tests/test_rules.py", "intake/tests/test_rule_boundaries.py"],
    "stay/deadlines.py": ["deadlines/tests/test_rules.py", "deadlines/tests/test_services.py"],
    "announcements/deadlines.py": ["deadlines/tests/test_rules.py", "announcements/tests/test_services.py"],
    "tracing/deadlines.py": ["tracing/tests/test_deadline_math.py", "deadlines/tests/test_rules.py",
                             "tracing/tests/test_services.py", "tracing/tests/test_rule_boundaries.py"],
    "aftercare/deadlines.py": ["aftercare/tests/test_aftercare.py", "deadlines/tests/test_rules.py",
                               "aftercare/tests/test_rule_boundaries.py"],
    "incidents/deadlines.py": ["incidents/tests/test_incidents.py", "deadlines/tests/test_rules.py"],
    "outreach/deadlines.py": ["outreach/tests/test_outreach.py", "deadlines/tests/test_rules.py",
                              "outreach/tests/test_rule_boundaries.py"],
    "oversight/deadlines.py": ["oversight/tests/test_hazards.py", "oversight/tests/test_panel.py",
                               "oversight/tests/test_leaders.py", "deadlines/tests/test_rules.py"],
    "staff/deadlines.py": ["staff/tests/test_staff.py", "deadlines/tests/test_rules.py"],
}
RAISES = {"ValidationError", "TransitionNotAllowed", "PermissionDenied", "Http404"}
CMP_SWAP = {ast.GtE: ast.Gt, ast.Gt: ast.GtE, ast.LtE: ast.Lt, ast.Lt: ast.LtE}
CMP_TEXT = {ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Lt: "<"}


@dataclasses.dataclass
class Mutant:
    module: str
    index: int
    kind: str
    line: int
    description: str
    start: tuple[int, int]  # (line, col) of the replaced span, 1-based line
    end: tuple[int, int]
    replacement: str

    @property
    def key(self) -> str:
        return f"{self.module}:{self.index}"


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_docstring(node: ast.AST, parents: dict) -> bool:
    parent = parents.get(node)
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(
        node.value.value, str) and isinstance(parent, (ast.Module, ast.FunctionDef, ast.ClassDef))


def _int_context_ok(node: ast.Constant, parents: dict) -> bool:
    """Integers that are thresholds or amounts: compared, computed with, passed or defaulted — not indexes,
    slices (``[:50]`` truncation lengths) or values inside f-strings."""
    parent = parents.get(node)
    if isinstance(parent, ast.UnaryOp):
        parent = parents.get(parent)
    if isinstance(parent, (ast.Subscript, ast.Slice, ast.FormattedValue, ast.JoinedStr)):
        return False
    return isinstance(parent, (ast.Compare, ast.BinOp, ast.Call, ast.keyword, ast.arguments))


def _is_default_idiom(node: ast.BoolOp) -> bool:
    """``x or ""`` / ``x or []`` / ``at or timezone.now()``: a default for a missing value, not a rule's
    condition — left out of ``bool`` (swapping it to ``and`` tests argument plumbing, not the rules)."""
    last = node.values[-1]
    if not isinstance(node.op, ast.Or):
        return False
    if isinstance(last, ast.Constant) or (isinstance(last, ast.List | ast.Dict | ast.Tuple) and not getattr(
            last, "elts", getattr(last, "keys", None))):
        return True
    return isinstance(last, ast.Call) and (getattr(last.func, "attr", "") == "now" or getattr(last.func, "id", "")
                                           in ("_now",))


def find_mutants(module: str, source: str) -> list[Mutant]:
    tree = ast.parse(source)
    parents = _parents(tree)
    lines = source.splitlines()
    found: list[Mutant] = []

    def add(kind, node, description, replacement):
        if "no mutate" in lines[node.lineno - 1]:
            return
        found.append(Mutant(module, 0, kind, node.lineno, description, (node.lineno, node.col_offset),
                            (node.end_lineno, node.end_col_offset), replacement))

    members: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id[:1].isupper():
            members.setdefault(node.value.id, [])
            if node.attr.isupper() and node.attr not in members[node.value.id]:
                members[node.value.id].append(node.attr)

    def enum_set(node) -> tuple[str, list[str]] | None:
        """(enum name, members) for ``{E.A, E.B}`` / ``frozenset({E.A})`` / ``frozenset()`` in an enum map."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "frozenset":
            if not node.args:
                parent = parents.get(node)
                if isinstance(parent, ast.Dict):  # an end state's empty edge set: its enum is the dict's keys'
                    keys = [k for k in parent.keys if isinstance(k, ast.Attribute) and isinstance(k.value, ast.Name)]
                    return (keys[0].value.id, []) if keys else None
                return None
            node = node.args[0]
        if isinstance(node, ast.Set) and node.elts and all(
                isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) for e in node.elts):
            bases = {e.value.id for e in node.elts}
            if len(bases) == 1:
                return bases.pop(), [e.attr for e in node.elts]
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "frozenset" or (
                isinstance(node, ast.Set) and not (isinstance(parents.get(node), ast.Call)
                                                   and getattr(parents[node].func, "id", "") == "frozenset")):
            found_set = enum_set(node)
            if found_set:
                base, present = found_set
                for attr in present:
                    kept = ", ".join(f"{base}.{a}" for a in present if a != attr)
                    add("set", node, f"drop {base}.{attr} from {ast.unparse(node)[:60]}",
                        f"frozenset({{{kept}}})" if kept else "frozenset()")
                for attr in members.get(base, []):
                    if attr not in present:
                        wider = ", ".join(f"{base}.{a}" for a in [*present, attr])
                        add("set", node, f"add {base}.{attr} to {ast.unparse(node)[:60]}", f"frozenset({{{wider}}})")
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in CMP_SWAP:
                    new = ast.Compare(left=node.left, ops=list(node.ops), comparators=node.comparators)
                    new.ops[i] = CMP_SWAP[type(op)]()
                    add("cmp", node, f"{CMP_TEXT[type(op)]} → {CMP_TEXT[CMP_SWAP[type(op)]]}: {ast.unparse(node)}",
                        f"({ast.unparse(new)})")
        elif isinstance(node, ast.Constant) and type(node.value) is int and _int_context_ok(node, parents):
            for delta in (1, -1):
                add("int", node, f"{node.value} → {node.value + delta}", f"({node.value + delta})")
        elif isinstance(node, ast.BoolOp) and not _is_default_idiom(node):
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            new = ast.BoolOp(op=other, values=node.values)
            word = "and → or" if isinstance(node.op, ast.And) else "or → and"
            add("bool", node, f"{word}: {ast.unparse(node)[:70]}", f"({ast.unparse(new)})")
        elif isinstance(node, ast.Raise) and node.exc is not None:
            call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = call.id if isinstance(call, ast.Name) else getattr(call, "attr", "")
            if name in RAISES:
                add("raise", node, f"drop: {ast.unparse(node)[:80]}", "pass")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and not _is_docstring(node, parents):
            add("call", node, f"drop: {ast.unparse(node)[:80]}", "pass")
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript)
              and isinstance(node.targets[0].value, ast.Name) and node.targets[0].value.id == "errors"):
            add("check", node, f"drop: {ast.unparse(node)[:80]}", "pass")
    found.sort(key=lambda m: (m.start, m.kind, m.replacement))
    for i, m in enumerate(found):
        m.index = i
    return found


def apply(source: str, m: Mutant) -> str:
    """The source with the mutant's span replaced (ast column offsets count UTF-8 bytes, not characters)."""
    lines = source.encode().splitlines(keepends=True)
    (l1, c1), (l2, c2) = m.start, m.end
    head = lines[l1 - 1][:c1]
    tail = lines[l2 - 1][c2:]
    mutated = (b"".join(lines[: l1 - 1]) + head + m.replacement.encode() + tail + b"".join(lines[l2:])).decode()
    compile(mutated, m.module, "exec")  # every mutant is valid Python
    return mutated


def all_mutants() -> list[Mutant]:
    result = []
    for module in TARGETS:
        result += find_mutants(module, (ROOT / module).read_text())
    return result


def copy_tree(dest: Path) -> None:
    """A copy of the worktree to mutate (symlinks such as .venv kept as links, .git left out)."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT, dest, symlinks=True, ignore=shutil.ignore_patterns(".git", "__pycache__", "media", "*.pyc"))


#: Tests that fail unmutated on the machine of the run (found by the baseline, e.g. PDFs without a CJK font):
#: left out of every mutant's run, and listed in the results.
DESELECTED: list[str] = []


def pytest_cmd(src: Path, tests: list[str], *, stop_first: bool = True) -> list[str]:
    existing = [t for t in tests if (src / t.split("::")[0]).exists()]
    return [str(src / ".venv/bin/python"), "-m", "pytest", "-q", "-rfE", *(["-x"] if stop_first else []),
            "-p", "no:randomly", "-p", "no:xdist", "--ds=mutation_settings", "--reuse-db", "-m", "not e2e",
            *[f"--deselect={t}" for t in DESELECTED], *existing]


def baseline_failures(src: Path, tests: list[str]) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(src / "bench/mutation"), "DATABASE_URL": "",
           "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(pytest_cmd(src, tests, stop_first=False), cwd=src, env=env, capture_output=True,
                          text=True, timeout=3600)
    return [line.split()[1] for line in proc.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]


#: The project's own top-level packages: never imported by the fork server's parent, so every child imports
#: them from disk — the mutated module included.
FIRST_PARTY = {"aftercare", "announcements", "core", "deadlines", "guitu", "guitu_match", "incidents", "intake",
               "leaving", "matching", "network", "outreach", "oversight", "people", "staff", "stay", "tracing",
               "conftest", "tests", "mutation_settings", "bench"}


class ForkServer:
    """Runs pytest in a fork of a process that has imported the third-party libraries once (Django, pytest and
    its plugins, PIL, …), so a mutant costs its tests, not the ~5 s of imports a fresh interpreter pays. The
    project's modules are imported by each child from the (mutated) copy on disk."""

    def __init__(self, src: Path):
        self.src = src
        os.environ.update({"PYTHONPATH": str(src / "bench/mutation"), "DATABASE_URL": "",
                           "PYTHONDONTWRITEBYTECODE": "1", "DJANGO_SETTINGS_MODULE": "mutation_settings"})
        sys.dont_write_bytecode = True
        # which third-party modules the project pulls in: asked of a separate interpreter, imported here
        probe = ("import sys, django; django.setup(); import pytest, pytest_django, time_machine; "
                 f"first = {sorted(FIRST_PARTY)!r}; "
                 "print('\\n'.join(m for m in list(sys.modules) if m.split('.')[0] not in first))")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "guitu.settings_test", "PYTHONPATH": str(src)}
        names = subprocess.run([str(src / ".venv/bin/python"), "-c", probe], cwd=src, env=env, capture_output=True,
                               text=True, check=True).stdout.split()
        import importlib

        for name in names:
            if name.startswith("__") or name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 — some submodules only import inside their package's own setup
                pass
        for name in [m for m in sys.modules if m.split(".")[0] in FIRST_PARTY]:
            del sys.modules[name]

    def run(self, tests: list[str], timeout: float) -> tuple[str, float]:
        started = time.monotonic()
        args = pytest_cmd(self.src, tests)[3:]  # without "python -m pytest"
        pid = os.fork()
        if pid == 0:  # the child: quiet, in the copy, one pytest run
            code = 3
            try:
                os.chdir(self.src)
                sys.path[:0] = [str(self.src), str(self.src / "bench/mutation")]
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                import pytest

                code = int(pytest.main(args))
            finally:
                os._exit(code)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - started > timeout:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                return "timeout", time.monotonic() - started
            time.sleep(0.2)
        took = time.monotonic() - started
        code = os.waitstatus_to_exitcode(status)
        return ("passed" if code == 0 else "failed" if code == 1 else f"error{code}"), took


SERVER: ForkServer | None = None


def run_tests(src: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    if SERVER is not None:
        return SERVER.run(tests, timeout)
    env = {**os.environ, "PYTHONPATH": str(src / "bench/mutation"), "DATABASE_URL": "",
           "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    try:
        proc = subprocess.run(pytest_cmd(src, tests), cwd=src, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started
    took = time.monotonic() - started
    if proc.returncode == 0:
        return "passed", took
    if proc.returncode == 1:
        return "failed", took
    return f"error{proc.returncode}", took


def _new_test_files(since: str) -> set[str]:
    """Test files added after commit ``since`` (the tests the run "after" adds to the run "before")."""
    if not since:
        return set()
    at_commit = set(subprocess.run(["git", "ls-tree", "-r", "--name-only", since], cwd=ROOT, capture_output=True,
                                   text=True, check=True).stdout.split())
    return {t for tests in TARGETS.values() for t in tests if t not in at_commit and (ROOT / t).exists()}


def _write(out: str, results: list[dict], meta: dict) -> dict:
    run = len(results)
    before = sum(r["killed_before"] for r in results)
    after = sum(r["killed_after"] for r in results)
    summary = {
        **meta, "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"), "mutants_run": run,
        "killed_before": before, "kill_rate_before": round(100 * before / max(1, run), 1),
        "killed_after": after, "kill_rate_after": round(100 * after / max(1, run), 1),
        "survived_after": run - after, "deselected": DESELECTED,
    }
    Path(out).write_text(json.dumps({"summary": summary, "results": results}, ensure_ascii=False, indent=1))
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--sample", type=int, default=0, help="run a fixed random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--minutes", type=float, default=0,
                        help="stop after this many minutes (the sample is in random order: what ran is a sample too)")
    parser.add_argument("--only", default="", help="module:index,index … (re-run chosen mutants)")
    parser.add_argument("--survivors-of", default="",
                        help="re-run the mutants a results file left alive (after tests were added since)")
    parser.add_argument("--new-tests-since", default="",
                        help="a commit: the test files added since are the 'after' tests; a mutant the older tests "
                             "leave alive is run against them too (kill rate before and after in one run)")
    parser.add_argument("--skip-baseline", action="store_true", help="the selections are known to pass unmutated")
    parser.add_argument("--copy", default="/tmp/guitu-mutation", help="where the mutated copy lives")
    parser.add_argument("--out", default=str(HERE / "results.json"))
    parser.add_argument("--no-fork", action="store_true", help="a fresh interpreter for every run (slower)")
    args = parser.parse_args()

    mutants = all_mutants()
    if args.list:
        for m in mutants:
            print(f"{m.key:32} {m.kind:5} L{m.line:<4} {m.description}")
        counts = {}
        for m in mutants:
            counts[m.module] = counts.get(m.module, 0) + 1
        print(json.dumps(counts, indent=1), f"\n{len(mutants)} mutants")
        return 0
    chosen = mutants
    if args.only:
        module, _, indexes = args.only.partition(":")
        wanted = {int(i) for i in indexes.split(",") if i}
        chosen = [m for m in mutants if m.module == module and (not wanted or m.index in wanted)]
    elif args.survivors_of:
        previous = json.loads(Path(args.survivors_of).read_text())["results"]
        wanted = {(r["module"], tuple(r["start"]), r["replacement"]) for r in previous if not r["killed_after"]}
        chosen = [m for m in mutants if (m.module, m.start, m.replacement) in wanted]
        print(f"{len(wanted)} survivors of {args.survivors_of}; {len(wanted) - len(chosen)} no longer found")
    elif args.sample and args.sample < len(mutants):
        chosen = random.Random(args.seed).sample(mutants, args.sample)  # random order: any prefix is a sample

    new_tests = _new_test_files(args.new_tests_since)
    src = Path(args.copy)
    copy_tree(src)
    Path(os.environ.get("GUITU_MUTATION_DB", "/tmp/guitu-mutation-test.sqlite3")).unlink(missing_ok=True)
    print(f"{len(mutants)} mutants in {len(TARGETS)} modules; running {len(chosen)} in {src}; "
          f"new tests: {sorted(new_tests)}", flush=True)
    global SERVER
    if not args.no_fork:
        SERVER = ForkServer(src)
    if not args.skip_baseline:
        # The selections must pass unmutated first: one run over all of them; a test that fails unmutated on this
        # machine (e.g. a PDF without a CJK font) is left out of every mutant's run and listed in the results.
        selection = list(dict.fromkeys(t for m in chosen for t in TARGETS[m.module]))
        started = time.monotonic()
        failing = baseline_failures(src, selection)
        DESELECTED.extend(failing)
        print(f"baseline: {len(selection)} test files in {time.monotonic() - started:.0f} s; failing unmutated, "
              f"left out: {failing}", flush=True)

    meta = {"mutants_total": len(mutants), "sample": args.sample, "seed": args.seed, "cpus": os.cpu_count(),
            "new_tests_since": args.new_tests_since, "new_tests": sorted(new_tests), "operators": "see README.md"}
    results: list[dict] = []
    started = time.monotonic()
    timeout = 600.0
    for n, m in enumerate(chosen, 1):
        if args.minutes and time.monotonic() - started > 60 * args.minutes:
            print(f"time budget of {args.minutes} minutes reached after {n - 1} mutants", flush=True)
            break
        old = [t for t in TARGETS[m.module] if t not in new_tests]
        new = [t for t in TARGETS[m.module] if t in new_tests]
        path = src / m.module
        original = path.read_text()
        try:
            path.write_text(apply(original, m))
            outcome, took = run_tests(src, old, timeout=timeout)
            after_outcome, after_took = outcome, 0.0
            if outcome == "passed" and new:
                after_outcome, after_took = run_tests(src, new, timeout=timeout)
        finally:
            path.write_text(original)
        result = {**dataclasses.asdict(m), "key": m.key, "outcome_before": outcome, "killed_before": outcome != "passed",
                  "outcome_after": after_outcome, "killed_after": after_outcome != "passed",
                  "seconds": round(took + after_took, 1)}
        results.append(result)
        state = ("killed  " if result["killed_before"] else "KILLED BY NEW TESTS" if result["killed_after"]
                 else "SURVIVED")
        print(f"[{n}/{len(chosen)}] {state} {m.key:30} {m.kind:5} L{m.line:<4} {m.description}  "
              f"({took + after_took:.0f} s)", flush=True)
        _write(args.out, results, {**meta, "minutes": round((time.monotonic() - started) / 60, 1)})

    summary = _write(args.out, results, {**meta, "minutes": round((time.monotonic() - started) / 60, 1)})
    print(json.dumps(summary, ensure_ascii=False))
    for r in results:
        if not r["killed_after"]:
            print(f"survivor {r['key']:30} L{r['line']:<4} {r['description']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
