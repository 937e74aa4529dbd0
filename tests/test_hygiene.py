"""Meta-tests of the test suite itself (issues 17 and 18).

1. **Hygiene** (a static scan of every ``tests/**/*.py`` with :mod:`ast`):

   * no ``pytest.importorskip`` of the project's own modules (``checker``, ``tests``), and no
     ``pytest.skip`` except in an ``except ImportError`` handler of a third-party import: a
     break in checker must fail, never turn into a skip (device and browser availability use
     the ``gpu``/``browser`` markers of ``tests/conftest.py`` instead);
   * no per-test ``max_examples`` below the largest registered Hypothesis profile (read from
     ``tests/conftest.py``'s profiles at run time): a per-test setting may only raise the
     profile's budget, so a literal below it, or an expression that is not a ``max(...)``, is
     refused (``max(N, settings.default.max_examples)`` is the idiom that only raises);
   * no wall-clock asserts: an ``assert`` may not involve ``time.*``/``perf_counter``-style
     clocks or a name computed from one (timing belongs in ``benchmarks/``). The one exception
     is a hang guard, an assert against a name containing ``deadline`` in a polling loop
     (``assert proc.poll() is None and time.monotonic() < deadline``): it fails only when
     something never happens within a generous limit, which is how a test avoids hanging.

   Each rule has negative controls below (snippets that it must flag), so the scan can fail.

2. **The mutation harness** ``scripts/mutation.py`` (docs/mutation.md): its mutator on small
   sources, and a run on a tiny fake repository in ``tmp_path`` that shows the mutants are
   applied to a copy, never to the tree itself.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"

_CLOCKS = {"time", "perf_counter", "monotonic", "process_time", "thread_time", "time_ns",
           "perf_counter_ns", "monotonic_ns", "process_time_ns", "default_timer"}
_PROJECT = ("checker", "tests")


def _profile_ceiling() -> int:
    """The largest ``max_examples`` among the registered profiles (dev, ci, thorough)."""
    values = []
    for name in ("dev", "ci", "thorough"):
        try:
            values.append(settings.get_profile(name).max_examples)
        except Exception:  # an unregistered profile is simply not a bound
            continue
    assert values, "tests/conftest.py registers no Hypothesis profile"
    return max(values)


def _dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return ""


def _is_project(modname: str | None) -> bool:
    return bool(modname) and modname.split(".")[0] in _PROJECT


def _imports_project(stmts) -> bool:
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Import) and any(_is_project(a.name) for a in node.names):
                return True
            if isinstance(node, ast.ImportFrom) and node.level == 0 and _is_project(node.module):
                return True
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                return True
    return False


def _parents(tree):
    par = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            par[child] = node
    return par


def skip_violations(source: str) -> list[tuple[int, str]]:
    """Skips that could hide a break of the project's own code."""
    tree = ast.parse(source)
    par = _parents(tree)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if name.endswith("importorskip"):
            arg = node.args[0] if node.args else None
            mod = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
            if mod is None or _is_project(mod):
                out.append((node.lineno, f"importorskip({mod!r}) of the project's own module"))
        elif name == "pytest.skip":
            # allowed only inside `except ImportError/ModuleNotFoundError` of a third-party import
            p, ok = par.get(node), False
            while p is not None:
                if isinstance(p, ast.ExceptHandler):
                    kinds = {_dotted(t) for t in (p.type.elts if isinstance(p.type, ast.Tuple) else [p.type])} \
                        if p.type is not None else set()
                    try_node = par.get(p)
                    ok = bool(kinds) and kinds <= {"ImportError", "ModuleNotFoundError"} \
                        and isinstance(try_node, ast.Try) and not _imports_project(try_node.body)
                    break
                p = par.get(p)
            if not ok:
                out.append((node.lineno, "pytest.skip outside an ImportError handler of a third-party import"))
    return out


def max_examples_violations(source: str, ceiling: int) -> list[tuple[int, str]]:
    """``settings(max_examples=...)`` that could lower the active profile's budget."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and _dotted(node.func).split(".")[-1] == "settings"):
            continue
        for kw in node.keywords:
            if kw.arg != "max_examples":
                continue
            v = kw.value
            if isinstance(v, ast.Constant) and isinstance(v.value, int):
                if v.value < ceiling:
                    out.append((node.lineno, f"max_examples={v.value} lowers the profile budget ({ceiling})"))
            elif not (isinstance(v, ast.Call) and _dotted(v.func) == "max"):
                out.append((node.lineno, "max_examples is not a literal or max(...): cannot show it only raises"))
    return out


def _is_clock_call(node) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = _dotted(node.func)
    last = name.split(".")[-1]
    return last in _CLOCKS and (name in _CLOCKS - {"time"} or name.startswith(("time.", "timeit.")))


def clock_assert_violations(source: str) -> list[tuple[int, str]]:
    """Asserts that involve a wall clock, directly or through a name computed from one."""
    out = []
    tree = ast.parse(source)
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef))]
    for scope in scopes:
        tainted: set[str] = set()
        body_nodes = sorted((n for n in ast.walk(scope) if isinstance(n, (ast.Assign, ast.AugAssign,
                                                                           ast.AnnAssign, ast.Assert))),
                            key=lambda n: (n.lineno, n.col_offset))
        for n in body_nodes:
            if isinstance(n, ast.Assert):
                if any(isinstance(x, ast.Name) and "deadline" in x.id.lower() for x in ast.walk(n.test)):
                    continue  # a hang guard in a polling loop: fails only if something never happens
                if any(_is_clock_call(x) or (isinstance(x, ast.Name) and x.id in tainted) for x in ast.walk(n.test)):
                    out.append((n.lineno, "assert on wall-clock time (timing belongs in benchmarks/)"))
                continue
            value = n.value
            if value is None:
                continue
            if any(_is_clock_call(x) or (isinstance(x, ast.Name) and x.id in tainted) for x in ast.walk(value)):
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                for t in targets:
                    tainted.update(x.id for x in ast.walk(t) if isinstance(x, ast.Name))
    return sorted(set(out))


def _test_files():
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _scan(rule) -> list[str]:
    found = []
    for path in _test_files():
        for line, why in rule(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(ROOT)}:{line}: {why}")
    return found


# ----- the hygiene rules on the real suite -----------------------------------------------------

def test_no_skip_can_hide_a_broken_project_import():
    bad = _scan(skip_violations)
    assert not bad, "skips that could hide a break of checker:\n" + "\n".join(bad)


def test_no_max_examples_below_the_profiles():
    ceiling = _profile_ceiling()
    bad = _scan(lambda s: max_examples_violations(s, ceiling))
    assert not bad, "per-test max_examples below the profiles:\n" + "\n".join(bad)


def test_no_wall_clock_asserts():
    bad = _scan(clock_assert_violations)
    assert not bad, "wall-clock asserts:\n" + "\n".join(bad)


# ----- negative and positive controls of the rules -------------------------------------------

def test_skip_rule_controls():
    flagged = [
        'import pytest\nb = pytest.importorskip("checker.bounds")\n',
        'import pytest\ndef f():\n    try:\n        from checker import x\n    except ImportError:\n        pytest.skip("no")\n',
        'import pytest\ndef f(n):\n    if n:\n        pytest.skip("statement missing")\n',
        'import pytest\ndef f():\n    try:\n        g()\n    except Exception:\n        pytest.skip("x")\n',
        'import pytest\nm = pytest.importorskip(name)\n',
    ]
    for src in flagged:
        assert skip_violations(src), src
    clean = [
        'import pytest\nz3 = pytest.importorskip("z3")\n',
        'import pytest\ndef f():\n    try:\n        import mkdocs\n    except ImportError:\n        pytest.skip("no mkdocs")\n',
        'import pytest\n@pytest.mark.gpu\ndef test_x():\n    pass\n',
    ]
    for src in clean:
        assert not skip_violations(src), src


def test_max_examples_rule_controls():
    assert max_examples_violations("@settings(max_examples=20)\ndef t(): pass\n", 1000)
    assert max_examples_violations("s = hypothesis.settings(max_examples=999)\n", 1000)
    assert max_examples_violations("@settings(max_examples=N)\ndef t(): pass\n", 1000)
    assert not max_examples_violations("@settings(max_examples=1000)\ndef t(): pass\n", 1000)
    assert not max_examples_violations(
        "@settings(max_examples=max(200, settings.default.max_examples))\ndef t(): pass\n", 1000)
    assert not max_examples_violations("settings.register_profile('x', max_examples=5)\n", 1000)
    assert not max_examples_violations("@settings(deadline=None)\ndef t(): pass\n", 1000)


def test_profile_ceiling_is_read_from_conftest():
    # tests/conftest.py registers dev/ci/thorough; the ceiling is the largest of them
    assert _profile_ceiling() == max(settings.get_profile(p).max_examples for p in ("dev", "ci", "thorough"))
    assert _profile_ceiling() >= settings.get_profile("ci").max_examples


def test_clock_rule_controls():
    flagged = [
        "import time\ndef t():\n    t0 = time.perf_counter()\n    f()\n    elapsed = time.perf_counter() - t0\n    assert elapsed < 30\n",
        "import time\ndef t():\n    assert time.time() - start < 5\n",
        "from time import perf_counter\ndef t():\n    a = perf_counter()\n    b = a * 2\n    assert b > 0\n",
        "import time\ndef t():\n    t0 = time.monotonic()\n    assert (time.monotonic() - t0) <= 1.0, 'slow'\n",
    ]
    for src in flagged:
        assert clock_assert_violations(src), src
    clean = [
        "import time\ndef t():\n    t0 = time.perf_counter()\n    r = f()\n    assert r == 1\n",
        "def t(r):\n    assert r.time == 3\n",
        "import time\ndef t():\n    time.sleep(0)\n    assert True\n",
        "import time\ndef t(p):\n    deadline = time.monotonic() + 240\n    assert p.poll() is None and time.monotonic() < deadline\n",
    ]
    for src in clean:
        assert not clock_assert_violations(src), src


# ----- the mutation harness (scripts/mutation.py) ---------------------------------------------

def _harness():
    spec = importlib.util.spec_from_file_location("_mutation_harness", ROOT / "scripts" / "mutation.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


SOURCE = '''"""Docstring: a + b should never be mutated."""

__all__ = ["step", "clip"]


def step(eps: float, steps: int = 15) -> float:
    """eps / steps."""
    return eps / steps


def clip(v, lo, hi):
    if v < lo:
        return lo
    return min(v, hi) if v > hi else v
'''


def test_mutator_operators_and_one_line_each():
    h = _harness()
    ms = h.mutants_of_source(SOURCE, "m.py")
    ops = {(m.line, m.operator, m.new) for m in ms}
    assert (8, "binop:Div->Mult", "(eps * steps)") in ops
    assert (8, "drop-right:Div", "eps") in ops  # the IFGM-step kind of mutant (eps/steps -> eps)
    assert (6, "const:int+1", "16") in ops  # a default value
    assert (12, "cmp:Lt->LtE", "(v <= lo)") in ops
    assert (14, "call:min->max", "max(v, hi)") in ops
    assert (14, "cmp:Gt->GtE", "(v > hi)".replace(">", ">=")) in ops
    lines = SOURCE.splitlines()
    for m in ms:
        new = m.apply(SOURCE).splitlines()
        changed = [i for i, (a, b) in enumerate(zip(lines, new)) if a != b]
        assert changed == [m.line - 1] and len(new) == len(lines)  # exactly one line
        compile(m.apply(SOURCE), "m.py", "exec")
        assert m.line not in (1, 3, 7)  # docstrings and __all__ are never mutated
    assert h.mutants_of_source(SOURCE, "m.py") == ms  # deterministic order


def test_mutator_handles_unicode_columns():
    h = _harness()
    src = 'def f(x):\n    s = "‖∇f‖²"; return x * 2\n'
    (m,) = [m for m in h.mutants_of_source(src, "u.py") if m.operator == "drop-right:Mult"]
    assert m.apply(src).splitlines()[1] == '    s = "‖∇f‖²"; return x'


def test_sample_is_seeded_and_a_subset():
    h = _harness()
    ms = h.mutants_of_source(SOURCE, "m.py")
    a, b = h.select(ms, 3, 5), h.select(ms, 3, 5)
    assert a == b and len(a) == 3 and all(m in ms for m in a)
    assert h.select(ms, None, 5) == ms and h.select(ms, 10_000, 5) == ms


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def _fake_repo(tmp_path: Path, assertion: str) -> Path:
    """A git repository with one wrm module (`step`, and `unused`, which no test calls) and one
    test of `step` that asserts ``assertion``."""
    repo = tmp_path / "repo"
    (repo / "checker" / "wrm").mkdir(parents=True)
    (repo / "tests" / "wrm").mkdir(parents=True)
    (repo / "checker" / "__init__.py").write_text("")
    (repo / "checker" / "wrm" / "__init__.py").write_text("")
    (repo / "checker" / "wrm" / "fgm.py").write_text(
        "def step(eps, steps):\n    return eps / steps\n\n\ndef unused(a):\n    return a + 1\n")
    (repo / "tests" / "wrm" / "test_fgm.py").write_text(
        f"from checker.wrm.fgm import step\n\n\ndef test_step():\n    assert {assertion}\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def test_harness_mutates_a_copy_never_the_tree(tmp_path):
    # The test pins `step` but not `unused`: mutants of `step` are killed, those of `unused` survive.
    repo = _fake_repo(tmp_path, "step(3.0, 2) == 1.5")
    before = _digest(repo)
    out = tmp_path / "report"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "mutation.py"), "--repo", str(repo),
                           "--package", "wrm", "--out", str(out), "--timeout", "120"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _digest(repo) == before  # the tree was never written
    rep = json.loads((out / "wrm.json").read_text())
    verdict = {m["line"]: m["verdict"] for m in rep["mutants"] if m["operator"].startswith(("binop", "drop"))}
    assert verdict == {2: "killed", 6: "survived"}
    assert rep["counts"]["killed"] >= 2 and rep["counts"]["survived"] >= 1
    notes = {m["line"]: m.get("note", "") for m in rep["mutants"]}
    assert notes[6] == "no test executes this line"  # per-test coverage: `unused` never runs
    assert rep["per_test_coverage"] is True
    md = (out / "wrm.md").read_text()
    assert "checker/wrm/fgm.py:6" in md and "+ return (a - 1)" in md
    assert "| wrm |" in (out / "summary.md").read_text()


def test_pragma_excuses_only_the_one_mutant_it_names():
    h = _harness()
    src = ("a = 1 + 2\nb = 3 * 4  # pragma: no mutate[binop:Mult->Div -> (3 / 4)]: thread count only\n"
           "c = 5 - 6  # pragma: no mutate: a whole line\nd = 7 * 8  # pragma: no mutate[binop:Mult->Div -> (7 / 8)]\n")
    made = {(m.line, m.operator, m.new) for m in h.mutants_of_source(src, "p.py")}
    assert (2, "binop:Mult->Div", "(3 / 4)") not in made            # the one named mutant is excused
    assert {m for m in made if m[0] == 2}                           # ... the line's other mutants are made
    assert {m for m in made if m[0] == 3}                           # a pragma naming no mutant excuses nothing
    assert (4, "binop:Mult->Div", "(7 / 8)") in made                # a named pragma needs a reason
    assert h.marked_lines(src) == {2: "binop:Mult->Div -> (3 / 4): thread count only"}
    assert h.unnamed_pragmas(src) == [3]


def test_uncovered_lists_unexecuted_lines_without_running_mutants(tmp_path):
    # A test that passes for every mutant of `step`: only --uncovered's listing can tell them apart.
    repo = _fake_repo(tmp_path, "step(3.0, 2) is not None")
    out = tmp_path / "report"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "mutation.py"), "--repo", str(repo),
                           "--package", "wrm", "--uncovered", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    md = (out / "wrm.uncovered.md").read_text()
    assert "`checker/wrm/fgm.py:6`" in md and "fgm.py:2`" not in md
    rep = json.loads((out / "wrm.uncovered.json").read_text())
    assert {m["verdict"] for m in rep["mutants"] if m["line"] == 2} == {"not-run"}
    assert not (out / "wrm.json").exists()  # no mutant ran, so no kill report


def test_coverage_selection_helpers():
    h = _harness()
    src = "def f(x,\n      y=1):\n    if (x >\n            y):\n        return g(x,\n                 y)\n    return 0\n"
    spans = h._statement_lines(src)
    assert spans[4] == (3, 4)  # the if-test's lines, not its body
    assert spans[6] == (5, 6)  # a call spread over two lines
    assert spans[2] == (1, 2)  # a default value: the def header
    lines = {3: {"t::a"}, 5: {"t::a", "t::b"}, 1: {""}}
    assert h.select_tests(lines, (5, 6)) == {"t::a", "t::b"}
    assert h.select_tests(lines, (7, 7)) == set()  # never executed: cannot be observed
    assert h.select_tests(lines, (1, 2)) is None  # runs at import: every mapped test must run


def test_compare_table(tmp_path):
    h = _harness()
    for d, counts in (("b", {"killed": 5, "timeout": 1, "survived": 4, "error": 0}),
                      ("a", {"killed": 9, "timeout": 0, "survived": 1, "error": 0})):
        (tmp_path / d).mkdir()
        (tmp_path / d / "wrm.json").write_text(json.dumps({"package": "wrm", "total_mutants": 157, "counts": counts}))
    table = h.compare(tmp_path / "b", tmp_path / "a")
    assert "| wrm | 157 / 157 | 5 / 1 / 4 | 6/10 | 9 / 0 / 1 | 9/10 |" in table


def test_approx_audit_plugin_flags_a_comparison_only_the_default_abs_passes(tmp_path):
    """scripts/approx_audit.py: pytest.approx(3e-14, rel=1e-9) accepts 1e-14 only through its
    default absolute tolerance 1e-12 (an assertion that cannot fail); the plugin reports it and
    not the comparison with an explicit abs=0, nor one that passes on rel alone."""
    (tmp_path / "test_x.py").write_text(
        "import pytest\n"
        "def test_vacuous():\n    assert 1e-14 == pytest.approx(3e-14, rel=1e-9)\n"
        "def test_explicit():\n    assert 1e-14 != pytest.approx(3e-14, rel=1e-9, abs=0)\n"
        "def test_rel():\n    assert 1.0 + 1e-12 == pytest.approx(1.0, rel=1e-9)\n")
    report = tmp_path / "report.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "approx_audit",
                        f"--approx-audit={report}", str(tmp_path / "test_x.py")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = report.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("test_x.py::test_vacuous | ")
    # a report path in a missing folder is a usage error (pytest's exit 4), named, before any test
    bad = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "approx_audit",
                          f"--approx-audit={tmp_path / 'missing' / 'r.txt'}", str(tmp_path / "test_x.py")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 4 and "--approx-audit=" in bad.stderr and "its folder does not exist" in bad.stderr


def test_module_mutant_and_exclude_options_choose_exactly(tmp_path):
    # --list with --module / --exclude-from / --mutant: the ids printed are the ones chosen, an
    # excluded id never comes back in a sample, and an unknown module or id is refused (exit 2)
    repo = _fake_repo(tmp_path, "step(3.0, 2) == 1.5")
    (repo / "checker" / "wrm" / "pgm.py").write_text("def g(a):\n    return a * 3\n")
    script = [sys.executable, str(ROOT / "scripts" / "mutation.py"), "--repo", str(repo), "--package", "wrm"]

    def listing(*extra):
        proc = subprocess.run([*script, "--list", *extra], capture_output=True, text=True, timeout=300)
        return proc.returncode, [ln.split("\t")[-1] for ln in proc.stdout.splitlines()], proc.stderr

    rc, every, _ = listing()
    assert rc == 0 and any(i.startswith("checker/wrm/pgm.py") for i in every)
    rc, fgm_only, _ = listing("--module", "checker/wrm/fgm.py")
    assert rc == 0 and fgm_only and all(i.startswith("checker/wrm/fgm.py:") for i in fgm_only)
    seen = tmp_path / "seen.txt"
    seen.write_text("\n".join(every[: len(every) // 2]) + "\n")
    rc, rest, _ = listing("--exclude-from", str(seen))
    assert rc == 0 and rest == every[len(every) // 2:]
    rc, one, _ = listing("--mutant", every[-1])
    assert rc == 0 and one == [every[-1]]
    rc, _, err = listing("--module", "checker/wrm/nope.py")
    assert rc == 2 and "--module checker/wrm/nope.py: not a module of package 'wrm'" in err
    rc, _, err = listing("--mutant", "checker/wrm/fgm.py:99:0:x:y")
    assert rc == 2 and "--mutant checker/wrm/fgm.py:99:0:x:y: no such mutant" in err
    rc, _, err = listing("--mutant", every[0], "--exclude-from", str(seen))
    assert rc == 2 and "excluded by --exclude-from" in err
    proc = subprocess.run([*script, "--list", "--mutant", every[0], "--sample", "2"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2 and "exclusive" in proc.stderr
