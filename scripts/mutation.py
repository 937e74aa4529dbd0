#!/usr/bin/env python3
r"""Mutation testing of the soundness-critical modules of ``checker``.

A *mutant* is the library with one single-line change (an operator swapped, a comparison
loosened, a constant nudged, an operand dropped, a condition negated, a statement removed).
The tests *kill* it when they fail on it. A surviving mutant is a wrong program the suite
accepts. See ``docs/mutation.md`` for the operators, the test mapping and recorded results.

The harness never touches the working tree it is run from: it copies the tree (tracked plus
untracked, non-ignored files from ``git ls-files``; or the files of a git revision with
``--rev``) into a fresh temporary directory, one copy per job, mutates the copy, and runs
pytest there with that copy first on ``sys.path`` (it checks that ``import checker`` resolves
inside the copy before running anything).

Usage::

    python3 scripts/mutation.py --out /tmp/mut --sample 10 --seed 17          # every package
    python3 scripts/mutation.py --package wrm --out /tmp/mut --jobs 2
    python3 scripts/mutation.py --package certify --rev HEAD --out /tmp/mut   # committed tree
    python3 scripts/mutation.py --list --package bounds                      # enumerate only
    python3 scripts/mutation.py --package certify --module checker/certify/local.py --out /tmp/mut
    python3 scripts/mutation.py --package certify --mutant 'checker/certify/bnb.py:162:16:...' --out /tmp/mut
    python3 scripts/mutation.py --package certify --sample 40 --seed 8 \
        --exclude-from earlier-sample.txt --out /tmp/heldout                  # a disjoint, held-out sample

``--list`` prints one mutant per line, its id last; ``--mutants-from`` and ``--exclude-from``
read such ids (one per line, or the last tab-separated field of a ``--list`` line).

Exit status: 0 when the run completed (whatever the kill rate), 2 on bad arguments or when
the unmutated tests fail in the copy (then no mutant is run: every kill would be spurious),
130 when interrupted (Ctrl-C or SIGTERM; the temporary copies are removed).
This is not part of ``.ci/run``: it is slow by nature (one pytest run per mutant).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import copy
import dataclasses
import functools
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: package -> (modules to mutate as globs relative to the repo root, test paths that cover them)
PACKAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "bounds": (("checker/bounds/*.py",), ("tests/bounds",)),
    "certify": (("checker/certify/certificate.py", "checker/certify/smoothness.py",
                 "checker/certify/local.py", "checker/certify/propagate.py", "checker/certify/bnb.py",
                 "checker/certify/envelope.py", "checker/certify/exact.py", "checker/certify/external.py",
                 "checker/certify/planted.py", "checker/certify/crown.py"), ("tests/certify",)),
    "audit": (("checker/audit/checks.py", "checker/audit/engines/*.py", "checker/audit/verdict.py",
               "checker/audit/substitute.py", "checker/audit/auditor.py", "checker/audit/smt.py",
               "checker/audit/words.py", "checker/audit/budget.py", "checker/audit/formula.py",
               "checker/audit/bindings.py"), ("tests/audit",)),
    "kernel": (("checker/audit/kernel/translate.py", "checker/audit/kernel/coqfile.py",
                "checker/audit/kernel/runner.py", "checker/audit/kernel/plan.py",
                "checker/audit/kernel/verdict.py", "checker/audit/kernel/theorems.py"), ("tests/audit/kernel",)),
    "birthday": (("checker/birthday/pairs.py", "checker/birthday/calibrate.py",
                  "checker/birthday/stats.py", "checker/birthday/procedure.py",
                  "checker/birthday/distributed.py"), ("tests/birthday",)),
    "gan": (("checker/gan/encoder.py", "checker/gan/generator.py", "checker/gan/bigan.py",
             "checker/gan/reconstruction.py", "checker/gan/facing.py", "checker/gan/modes.py",
             "checker/gan/stacked.py", "checker/gan/onnx_generator.py"), ("tests/gan",)),
    "wrm": (("checker/wrm/inner.py", "checker/wrm/fgm.py", "checker/wrm/ifgm.py", "checker/wrm/pgm.py"),
            ("tests/wrm",)),
    # the public testing API's assertions decide whether a user's claim is refuted
    "testing": (("checker/testing/assertions.py",), ("tests/testing/test_assertions.py",)),
}

#: Narrower test paths for single modules (used instead of the package's paths): the tests that
#: exercise the module, so a surviving mutant costs one run of those, not of the whole directory.
#: Paths missing from the tree being mutated (e.g. an older ``--rev``) are dropped.
MODULE_TESTS: dict[str, tuple[str, ...]] = {
    "checker/audit/kernel/translate.py": ("tests/audit/kernel/test_translate.py",
                                          "tests/audit/kernel/test_kernel.py"),
    "checker/wrm/inner.py": ("tests/wrm/test_exact_steps.py", "tests/wrm/test_inner.py",
                             "tests/wrm/test_training.py"),
    "checker/wrm/fgm.py": ("tests/wrm/test_exact_steps.py", "tests/wrm/test_attacks.py"),
    "checker/wrm/ifgm.py": ("tests/wrm/test_exact_steps.py", "tests/wrm/test_attacks.py"),
    "checker/wrm/pgm.py": ("tests/wrm/test_exact_steps.py", "tests/wrm/test_attacks.py"),
    "checker/gan/bigan.py": ("tests/gan/test_bigan_train.py",),
    "checker/gan/reconstruction.py": ("tests/gan/test_bigan_train.py",),
    "checker/gan/facing.py": ("tests/gan/test_bigan_facing.py",),
    "checker/gan/modes.py": ("tests/gan/test_bigan_modes.py",),
    "checker/gan/stacked.py": ("tests/gan/test_stacked.py",),
    "checker/gan/onnx_generator.py": ("tests/gan/test_onnx_generator.py",),
}

#: Test node ids left out of every run (``--deselect``; e.g. a test that fails unmutated at an old
#: ``--rev``). Recorded in each report.
DESELECT: list[str] = []

#: With per-test coverage (the default), a module's mapped tests are its package's whole test
#: folder: coverage then selects, per mutated line, the tests that execute it. A test of
#: ``auditor.py`` that drives ``checks.py`` counts for ``checks.py``. Without coverage
#: (``--no-coverage``), only the files that import the module run (:func:`tests_for`).
WHOLE_FOLDERS = False

#: Per-mutant timeout = max(MIN_TIMEOUT_S, TIMEOUT_FACTOR * unmutated run time) unless --timeout.
#: With per-test coverage, the "unmutated run time" is that of the tests selected for the mutant
#: (their durations under coverage plus the run's start-up and collection time).
TIMEOUT_FACTOR = 5.0
MIN_TIMEOUT_S = 60.0

# ---------------------------------------------------------------------------------------------
# The mutator
# ---------------------------------------------------------------------------------------------

_BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
               ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.Mod: ast.FloorDiv,
               ast.MatMult: None, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}
_CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
             ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
_CALL_SWAP = {"min": "max", "max": "min", "all": "any", "any": "all", "floor": "ceil", "ceil": "floor",
              "amax": "amin", "amin": "amax", "minimum": "maximum", "maximum": "minimum",
              "log1p": "log", "expm1": "exp"}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Mutant:
    """One single-line change: bytes ``[col, end_col)`` of line ``line`` become ``new``."""

    path: str          # relative to the tree root, posix
    line: int          # 1-based
    col: int           # UTF-8 byte offsets, as ast reports them
    end_col: int
    old: str
    new: str
    operator: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}:{self.col}:{self.operator}:{self.new}"

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        raw = lines[self.line - 1].encode("utf-8")
        assert raw[self.col:self.end_col].decode("utf-8") == self.old, (self.id, raw)
        lines[self.line - 1] = (raw[:self.col] + self.new.encode("utf-8") + raw[self.end_col:]).decode("utf-8")
        return "".join(lines)

    def diff(self, source: str) -> str:
        old_line = source.splitlines()[self.line - 1]
        new_line = self.apply(source).splitlines()[self.line - 1]
        return f"- {old_line.strip()}\n+ {new_line.strip()}"


def _skip_ranges(tree: ast.AST) -> list[tuple[int, int]]:
    """Line ranges never mutated: docstrings, ``__all__``, f-strings, decorators, ``assert``
    statements (internal invariants) and ``if TYPE_CHECKING`` blocks."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                out.append((body[0].lineno, body[0].end_lineno))
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            out.append((node.lineno, node.end_lineno))
        if isinstance(node, ast.JoinedStr):
            out.append((node.lineno, node.end_lineno))
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            out.append((node.lineno, node.end_lineno))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out += [(d.lineno, d.end_lineno) for d in node.decorator_list]
        if isinstance(node, ast.Assert):
            out.append((node.lineno, node.end_lineno))
    return out


def _annotations(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        anns = []
        if isinstance(node, ast.AnnAssign):
            anns.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            anns.append(node.returns)
            a = node.args
            anns += [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs]
            anns += [a.vararg.annotation if a.vararg else None, a.kwarg.annotation if a.kwarg else None]
        for ann in anns:
            if ann is not None:
                ids.update(id(n) for n in ast.walk(ann))
    return ids


def _expr_variants(node: ast.AST):
    """(operator name, replacement node) for an expression node."""
    if isinstance(node, ast.BinOp):
        swap = _BINOP_SWAP.get(type(node.op))
        if swap is not None:
            yield f"binop:{type(node.op).__name__}->{swap.__name__}", ast.BinOp(node.left, swap(), node.right)
        if isinstance(node.op, (ast.Mult, ast.Div, ast.Pow, ast.FloorDiv)):
            yield f"drop-right:{type(node.op).__name__}", node.left
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        swap = _CMP_SWAP[type(node.ops[0])]
        yield f"cmp:{type(node.ops[0]).__name__}->{swap.__name__}", ast.Compare(node.left, [swap()], node.comparators)
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield f"boolop:{type(node.op).__name__}->{type(other).__name__}", ast.BoolOp(other, node.values)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield f"drop-unary:{type(node.op).__name__}", node.operand
    elif isinstance(node, ast.Constant) and not isinstance(node.value, (str, bytes)) and node.value is not None:
        v = node.value
        if isinstance(v, bool):
            yield "const:bool", ast.Constant(not v)
        elif isinstance(v, int):
            yield "const:int+1", ast.Constant(v + 1)
        elif isinstance(v, float):
            yield "const:float", ast.Constant(v * 2 if v != 0 else 1.0)
    elif isinstance(node, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if name in _CALL_SWAP:
            new = copy.copy(node)
            if isinstance(f, ast.Name):
                new.func = ast.Name(_CALL_SWAP[name], ast.Load())
            else:
                new.func = ast.Attribute(f.value, _CALL_SWAP[name], ast.Load())
            yield f"call:{name}->{_CALL_SWAP[name]}", new


def _line_bytes(lines: list[str], node: ast.AST) -> str:
    return lines[node.lineno - 1].encode("utf-8")[node.col_offset:node.end_col_offset].decode("utf-8")


#: ``# pragma: no mutate[OPERATOR -> NEW]: <reason>`` excuses the one mutant of its line whose
#: operator and replacement text are named (as ``--list`` prints them, e.g.
#: ``# pragma: no mutate[const:bool -> False]: ...``). It is for *equivalent* mutants only (a
#: change that cannot alter any result); every other mutant of the line is still made and run,
#: the reason is required, and every excused mutant is listed in the report. A pragma that names
#: no mutant (the old whole-line ``# pragma: no mutate: <reason>``) excuses nothing, and the
#: report lists it as ignored (issue 24.9: a whole-line pragma hid mutants that were not
#: equivalent).
_PRAGMA = re.compile(r"#\s*pragma:\s*no mutate\[\s*(\S+)\s*->\s*(.*?)\s*\]:\s*(\S.*)$")
_BARE_PRAGMA = re.compile(r"#\s*pragma:\s*no mutate(?!\[)")


def marked_lines(source: str) -> dict[int, str]:
    """line -> "OPERATOR -> NEW: reason", for the lines carrying a named pragma."""
    return {ln: f"{op} -> {new}: {why}" for ln, (op, new, why) in named_pragmas(source).items()}


def named_pragmas(source: str) -> dict[int, tuple[str, str, str]]:
    """line -> (operator, replacement text, reason) of each ``# pragma: no mutate[OP -> NEW]: reason``."""
    out = {}
    for i, text in enumerate(source.splitlines(), 1):
        hit = _PRAGMA.search(text)
        if hit:
            out[i] = (hit.group(1), hit.group(2), hit.group(3).strip())
    return out


def unnamed_pragmas(source: str) -> list[int]:
    """Lines with a pragma that names no mutant: ignored (nothing is excused)."""
    return [i for i, text in enumerate(source.splitlines(), 1)
            if _BARE_PRAGMA.search(text) and not _PRAGMA.search(text)]


def mutants_of_source(source: str, path: str) -> list[Mutant]:
    """Every single-line mutant of ``source`` (deterministic order; each one compiles)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    skip = _skip_ranges(tree)
    excused = {(ln, op, new) for ln, (op, new, _) in named_pragmas(source).items()}
    ann = _annotations(tree)

    def skipped(node) -> bool:
        return (id(node) in ann or node.lineno != node.end_lineno
                or any(a <= node.lineno <= b for a, b in skip))

    raise_args: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            raise_args.update(id(n) for n in ast.walk(node.exc))
    out: list[Mutant] = []
    seen: set[str] = set()

    def add(node, operator, new_src):
        old = _line_bytes(lines, node)
        if new_src == old:
            return
        m = Mutant(path=path, line=node.lineno, col=node.col_offset, end_col=node.end_col_offset,
                   old=old, new=new_src, operator=operator)
        if m.id in seen or (m.line, m.operator, m.new) in excused:
            return
        try:
            ast.parse(m.apply(source))
        except SyntaxError:
            return
        seen.add(m.id)
        out.append(m)

    for node in ast.walk(tree):
        if isinstance(node, ast.expr) and hasattr(node, "lineno") and not skipped(node) \
                and id(node) not in raise_args:
            for operator, repl in _expr_variants(node):
                src = ast.unparse(repl)
                if not isinstance(repl, (ast.Constant, ast.Name, ast.Call, ast.Attribute)):
                    src = f"({src})"
                add(node, operator, src)
        elif isinstance(node, ast.If) and node.test.lineno == node.test.end_lineno \
                and not any(a <= node.lineno <= b for a, b in skip) \
                and not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING") \
                and not (isinstance(node.test, ast.Compare) and len(node.test.ops) == 1):
            add(node.test, "negate-if", f"not ({_line_bytes(lines, node.test)})")
        elif isinstance(node, (ast.Expr, ast.Raise, ast.AugAssign)) \
                and node.lineno == node.end_lineno and not skipped(node) \
                and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            add(node, "delete-stmt", "pass")
    out.sort(key=lambda m: (m.path, m.line, m.col, m.operator, m.new))
    return out


def mutants_of_file(root: Path, rel: str) -> list[Mutant]:
    return mutants_of_source((root / rel).read_text(encoding="utf-8"), rel)


# ---------------------------------------------------------------------------------------------
# Copies of the tree
# ---------------------------------------------------------------------------------------------

def tree_files(repo: Path) -> list[str]:
    """Tracked plus untracked, non-ignored files of the working tree (paths that exist)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=repo, capture_output=True, check=True).stdout.decode().split("\0")
    return sorted({p for p in out if p and (repo / p).is_file()})


def copy_tree(repo: Path, dest: Path, rev: str | None = None) -> Path:
    """Copy ``repo``'s working tree (or revision ``rev``) into ``dest``; never writes to ``repo``."""
    dest.mkdir(parents=True, exist_ok=False)
    if rev is not None:
        archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=repo,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return dest
    for rel in tree_files(repo):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / rel, target)
    return dest


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", CI="1", CHECKER_HYPOTHESIS_PROFILE="ci", CHECKER_PROGRESS="0")
    return env


def check_import_location(root: Path) -> None:
    """Refuse to run unless ``import checker`` in the copy resolves inside the copy."""
    out = subprocess.run([sys.executable, "-c", "import checker; print(checker.__file__)"], cwd=root,
                         env=_env(root), capture_output=True, text=True)
    where = Path(out.stdout.strip() or "/nonexistent").resolve()
    if out.returncode != 0 or root.resolve() not in where.parents:
        raise SystemExit(f"mutation: `import checker` in the copy resolves to {where}, not inside {root}; "
                         "refusing to run (the mutants would not be tested)")


def run_tests(root: Path, tests: tuple[str, ...], timeout: float | None, *,
              extra_env: dict[str, str] | None = None, plugin: bool = False,
              run_plugin: bool = False) -> tuple[str, float, str]:
    """('pass' | 'fail' | 'timeout' | 'no-tests' | 'usage', seconds, output tail) of
    ``pytest -x -q`` on ``tests`` (paths or node ids) in ``root``."""
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header",
           *(a for d in DESELECT for a in ("--deselect", d)),
           *(["-p", _PLUGIN] if plugin else []), *(["-p", _RUN_PLUGIN] if run_plugin else []), *tests]
    env = _env(root)
    env.update(extra_env or {})
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        tail = (e.stdout or b"")[-400:] if isinstance(e.stdout, bytes) else (e.stdout or "")[-400:]
        return "timeout", time.monotonic() - start, str(tail)
    took = time.monotonic() - start
    tail = (proc.stdout + proc.stderr)[-600:]
    if proc.returncode == 0:
        return "pass", took, tail
    if proc.returncode == 5:
        return "no-tests", took, tail
    if proc.returncode == 4:  # usage error, e.g. a node id that no longer exists
        return "usage", took, tail
    return "fail", took, tail


# ---------------------------------------------------------------------------------------------
# Per-test line coverage: which tests execute a mutated line
# ---------------------------------------------------------------------------------------------

_PLUGIN = "_mutation_coverage_plugin"
_PLUGIN_SOURCE = '''"""pytest plugin of scripts/mutation.py: per-test line coverage of the mutated modules."""
import os

import coverage

_cov = None


def pytest_configure(config):
    global _cov
    _cov = coverage.Coverage(data_file=os.environ["MUTATION_COV_DATA"], branch=False,
                             include=os.environ["MUTATION_COV_INCLUDE"].split(os.pathsep))
    _cov.start()


_order = []


_durations = {}


def pytest_runtest_setup(item):
    _order.append(item.nodeid)
    _cov.switch_context(item.nodeid)


def pytest_runtest_logreport(report):
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_unconfigure(config):
    import json

    _cov.stop()
    _cov.save()
    with open(os.environ["MUTATION_COV_DATA"] + ".order", "w") as f:
        f.write("\\n".join(_order))
    with open(os.environ["MUTATION_COV_DATA"] + ".durations", "w") as f:
        json.dump(_durations, f)
'''


_RUN_PLUGIN = "_mutation_run_plugin"
_RUN_PLUGIN_SOURCE = '''"""pytest plugin of scripts/mutation.py for mutant runs: Hypothesis does not shrink a
failure (a mutant is killed by the first failing example; shrinking only polishes the report)."""


def pytest_collection_modifyitems(config, items):
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    base = settings.default
    settings.register_profile("mutation-run", parent=base,
                              phases=[p for p in base.phases if p is not Phase.shrink])
    settings.load_profile("mutation-run")
'''


def have_coverage() -> bool:
    return importlib.util.find_spec("coverage") is not None


def measure_coverage(root: Path, tests: tuple[str, ...], modules: list[str], data: Path):
    """Run ``tests`` once under per-test coverage; returns (status, seconds, tail, lines,
    durations) with ``lines[module][lineno] = set of node ids`` ("" = executed outside any test,
    e.g. on import) and ``durations[node id]`` = seconds (setup + call + teardown, under coverage)."""
    import coverage

    (root / f"{_PLUGIN}.py").write_text(_PLUGIN_SOURCE)
    env = {"MUTATION_COV_DATA": str(data),
           "MUTATION_COV_INCLUDE": os.pathsep.join(str((root / m).resolve()) for m in modules)}
    status, took, tail = run_tests(root, tests, None, extra_env=env, plugin=True)
    lines: dict[str, dict[int, set[str]]] = {}
    order_file = Path(str(data) + ".order")
    order = order_file.read_text().splitlines() if order_file.exists() else []
    lines[""] = {i: {nid} for i, nid in enumerate(order)}  # the run order, for sorting selections
    if status == "pass":
        cov = coverage.CoverageData(basename=str(data))
        cov.read()
        for m in modules:
            by_line = cov.contexts_by_lineno(str((root / m).resolve()))
            lines[m] = {int(k): set(v) for k, v in by_line.items()}
    dur_file = Path(str(data) + ".durations")
    durations = json.loads(dur_file.read_text()) if dur_file.exists() else {}
    return status, took, tail, lines, durations


def _statement_lines(source: str) -> dict[int, tuple[int, int]]:
    """line -> (first, last) line of its innermost statement's *header* (a compound statement's
    lines before its body; a simple statement's full span)."""
    out: dict[int, tuple[int, int]] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.stmt):
            continue
        body = getattr(node, "body", None)
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        last = (body[0].lineno - 1) if isinstance(body, list) and body and body[0].lineno > node.lineno \
            else node.end_lineno
        last = max(last, node.lineno)
        for ln in range(first, last + 1):
            cur = out.get(ln)
            if cur is None or (last - first) < (cur[1] - cur[0]):
                out[ln] = (first, last)
    return out


def select_tests(lines: dict[int, set[str]], span: tuple[int, int]) -> set[str] | None:
    """Node ids of the tests that execute a line in ``span``: an empty set when none does
    (the mutant cannot be observed), None when the span also runs outside tests (import time)
    and every mapped test must run."""
    ctx: set[str] = set()
    for ln in range(span[0], span[1] + 1):
        ctx |= lines.get(ln, set())
    if "" in ctx:
        return None
    return ctx


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def package_modules(root: Path, package: str) -> list[str]:
    globs, _ = PACKAGES[package]
    files = []
    for g in globs:
        files += [p.relative_to(root).as_posix() for p in sorted(root.glob(g))]
    return sorted(set(files))


def _defined_names(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return {n for n in names if not n.startswith("__")}


def _covers(test_source: str, modname: str, defined: set[str]) -> bool:
    """Does a test file import ``modname`` or a name defined in it (directly or via its package)?"""
    pkg, short = modname.rsplit(".", 1)
    if modname in test_source:  # e.g. importorskip("checker.x.y") or monkeypatch targets
        return True
    try:
        tree = ast.parse(test_source)
    except SyntaxError:
        return True  # cannot tell: keep it
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == modname or a.name.startswith(modname + ".")
                                                for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == modname or node.module.startswith(modname + "."):
                return True
            if node.module == pkg and any(a.name == short or a.name in defined for a in node.names):
                return True
    return False


@functools.lru_cache(maxsize=None)
def tests_for(package: str, module: str, root: Path) -> tuple[str, ...]:
    """The test paths run against a mutant of ``module`` (those that exist under ``root``).

    :data:`MODULE_TESTS` if it names the module; else, with per-test coverage
    (:data:`WHOLE_FOLDERS`), the package's test folders; else the ``test_*.py`` files of the
    package's test folders that import the module or a name defined in it (directly or through
    the package's ``__init__``), or the folders if none does. Files added later by anyone are
    picked up."""
    paths = tuple(t for t in MODULE_TESTS.get(module, ()) if (root / t).exists())
    if paths:
        return paths
    if WHOLE_FOLDERS:  # per-test coverage picks the tests per line, so the scan is not needed
        return tuple(t for t in PACKAGES[package][1] if (root / t).exists())
    modname = module[:-3].replace("/", ".")
    defined = _defined_names((root / module).read_text(encoding="utf-8"))
    hits = []
    for folder in PACKAGES[package][1]:
        for f in sorted((root / folder).rglob("test_*.py")):
            if _covers(f.read_text(encoding="utf-8"), modname, defined):
                hits.append(f.relative_to(root).as_posix())
    return tuple(hits) or tuple(t for t in PACKAGES[package][1] if (root / t).exists())


def select(mutants: list[Mutant], sample: int | None, seed: int) -> list[Mutant]:
    if sample is None or sample >= len(mutants):
        return list(mutants)
    picked = random.Random(f"{seed}").sample(range(len(mutants)), sample)
    return [mutants[i] for i in sorted(picked)]


class Refused(ValueError):
    """A command-line value that names no module or mutant of the chosen packages."""


def read_ids(path: Path) -> list[str]:
    """Mutant ids from a file: one per line, or the last tab-separated field of a ``--list`` line.
    Blank lines and ``#`` comments are skipped."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line.split("\t")[-1])
    return out


def choose(root: Path, package: str, *, sample: int | None, seed: int, modules: tuple[str, ...] = (),
           ids: tuple[str, ...] = (), exclude: frozenset[str] = frozenset()) -> tuple[list[str], list[Mutant], list[Mutant]]:
    """(modules, every mutant of them, the ones to run) for ``package``.

    ``modules`` narrows the package's modules (each must be one of them); ``exclude`` drops mutant
    ids before sampling (an earlier sample, so the new one is held out from it); ``ids`` runs
    exactly these mutants (each must exist, and not be excluded). Raises :class:`Refused`."""
    mods = package_modules(root, package)
    if modules:
        unknown = [m for m in modules if m not in mods]
        if unknown:
            raise Refused(f"--module {unknown[0]}: not a module of package {package!r} "
                          f"(its modules: {', '.join(mods)})")
        mods = [m for m in mods if m in modules]
    everything = [m for mod in mods for m in mutants_of_file(root, mod)]
    pool = [m for m in everything if m.id not in exclude]
    if ids:
        by_id = {m.id: m for m in pool}
        missing = [i for i in ids if i not in by_id]
        if missing:
            why = "excluded by --exclude-from" if missing[0] in exclude else f"no such mutant in package {package!r}"
            raise Refused(f"--mutant {missing[0]}: {why}")
        return mods, everything, [by_id[i] for i in dict.fromkeys(ids)]
    return mods, everything, select(pool, sample, seed)


def run_package(package: str, *, copies: list[Path], sample: int | None, seed: int,
                timeout: float | None, log, use_coverage: bool = False, partial: Path | None = None,
                uncovered_only: bool = False, modules: tuple[str, ...] = (), ids: tuple[str, ...] = (),
                exclude: frozenset[str] = frozenset()) -> dict:
    root = copies[0]
    modules, everything, chosen = choose(root, package, sample=sample, seed=seed, modules=modules,
                                         ids=ids, exclude=exclude)
    test_sets = sorted({tests_for(package, m.path, root) for m in chosen})
    baseline: dict[tuple[str, ...], float] = {}
    covered: dict[tuple[str, ...], dict[str, dict[int, set[str]]]] = {}
    durations: dict[tuple[str, ...], dict[str, float]] = {}
    for k, tests in enumerate(test_sets):
        if use_coverage:
            mods = sorted({m.path for m in chosen if tests_for(package, m.path, root) == tests})
            status, took, tail, lines, durations[tests] = measure_coverage(
                root, tests, mods, root.parent / f".cov-{package}-{k}")
            covered[tests] = lines
        else:
            status, took, tail = run_tests(root, tests, None)
        log(f"[{package}] unmutated {' '.join(tests)}: {status} in {took:.0f}s"
            + (" (with per-test coverage)" if use_coverage else ""))
        if status != "pass":
            return {"package": package, "error": f"unmutated tests {' '.join(tests)} did not pass ({status})",
                    "output": tail, "total_mutants": len(everything), "sampled": len(chosen)}
        baseline[tests] = took
    originals = {mod: (root / mod).read_text(encoding="utf-8") for mod in modules}
    spans = {mod: _statement_lines(src) for mod, src in originals.items()}

    def one(job: tuple[int, Mutant]) -> dict:
        i, m = job
        tree = copies[i % len(copies)]
        tests = tests_for(package, m.path, tree)
        limit = timeout or max(MIN_TIMEOUT_S, TIMEOUT_FACTOR * baseline[tests])
        run_ids: tuple[str, ...] = tests
        note = ""
        if use_coverage:
            sel = select_tests(covered[tests].get(m.path, {}), spans[m.path].get(m.line, (m.line, m.line)))
            if sel is not None and not sel:
                return {"id": m.id, "file": m.path, "line": m.line, "operator": m.operator,
                        "verdict": "survived", "seconds": 0.0, "diff": m.diff(originals[m.path]),
                        "output": "", "note": "no test executes this line"}
            if uncovered_only:
                return {"id": m.id, "file": m.path, "line": m.line, "operator": m.operator,
                        "verdict": "not-run", "seconds": 0.0, "diff": m.diff(originals[m.path]),
                        "output": "", "note": "executed by tests" if sel else "executed at import time"}
            if sel and timeout is None:
                # The timeout follows the selected tests, not the whole folder's run time.
                # the run's fixed cost (start-up, imports, collection) plus the selected tests
                per = durations.get(tests, {})
                if per:
                    fixed = max(0.0, baseline[tests] - sum(per.values()))
                    limit = max(MIN_TIMEOUT_S, TIMEOUT_FACTOR * (fixed + sum(per.get(n, 0.0) for n in sel)))
            if sel:
                rank = {nid: i for i, ids in covered[tests].get("", {}).items() for nid in ids}
                # the unmutated run's order, so `-x` stops at the same early tests
                run_ids = tuple(sorted(sel, key=lambda nid: (rank.get(nid, len(rank)), nid)))
                note = f"{len(sel)} covering tests"
        target = tree / m.path
        target.write_text(m.apply(originals[m.path]), encoding="utf-8")
        (tree / f"{_RUN_PLUGIN}.py").write_text(_RUN_PLUGIN_SOURCE)
        try:
            status, took, tail = run_tests(tree, run_ids, limit, run_plugin=True)
            if status in ("usage", "no-tests") and run_ids != tests:  # a node id could not be selected
                status, took, tail = run_tests(tree, tests, limit, run_plugin=True)
                note = "covering tests not selectable; ran the mapped files"
        finally:
            target.write_text(originals[m.path], encoding="utf-8")
        verdict = {"fail": "killed", "pass": "survived", "timeout": "timeout"}.get(status, "error")
        return {"id": m.id, "file": m.path, "line": m.line, "operator": m.operator, "verdict": verdict,
                "seconds": round(took, 1), "diff": m.diff(originals[m.path]),
                "output": tail if verdict == "error" else "", "note": note}

    results: list[dict] = []
    # One worker per copy; mutant i goes to copy i mod jobs, so two workers never share a file.
    lanes = [[(i, m) for i, m in enumerate(chosen) if i % len(copies) == k] for k in range(len(copies))]

    def lane(jobs):
        out = []
        for job in jobs:
            r = one(job)
            log(f"[{package}] {r['verdict']:8s} {r['file']}:{r['line']} {r['operator']} ({r['seconds']}s)")
            if partial is not None:  # one JSON line per finished mutant: an interrupted run keeps them
                with open(partial, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(r) + "\n")
            out.append(r)
        return out

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(copies)) as pool:
        for part in pool.map(lane, lanes):
            results.extend(part)
    results.sort(key=lambda r: r["id"])
    counts = {v: sum(r["verdict"] == v for r in results) for v in ("killed", "survived", "timeout", "error")}
    if uncovered_only:
        counts["not-run"] = sum(r["verdict"] == "not-run" for r in results)
    marked = [{"file": mod, "line": ln, "reason": why} for mod in modules
              for ln, why in marked_lines(originals[mod]).items()]
    ignored = [{"file": mod, "line": ln} for mod in modules for ln in unnamed_pragmas(originals[mod])]
    return {"package": package, "modules": modules, "total_mutants": len(everything), "sampled": len(chosen),
            "marked_equivalent": marked, "unnamed_pragmas_ignored": ignored,
            "seed": seed, "sample": sample, "excluded": len(exclude), "chosen_by_id": bool(ids), "counts": counts, "per_test_coverage": use_coverage,
            "baseline_seconds": {" ".join(k): round(v, 1) for k, v in baseline.items()}, "mutants": results}


def kill_rate(report: dict) -> str:
    c = report.get("counts")
    if not c:
        return "n/a"
    done = sum(c.values())
    return f"{c['killed'] + c['timeout']}/{done}" if done else "0/0"


def markdown(report: dict) -> str:
    lines = [f"## {report['package']}", ""]
    if "error" in report:
        return "\n".join(lines + [f"Not run: {report['error']}.", "", "```", report.get("output", ""), "```", ""])
    c = report["counts"]
    lines += [f"Modules: {', '.join('`' + m + '`' for m in report['modules'])}. "
              f"Mutants: {report['total_mutants']} in all, {report['sampled']} run "
              f"(sample {report['sample'] if report['sample'] is not None else 'all'}, seed {report['seed']}"
              + (f", {report['excluded']} ids excluded before sampling" if report.get("excluded") else "")
              + ("; chosen by id" if report.get("chosen_by_id") else "") + ").", "",
              "| killed | survived | timeout | error | kill rate |", "|---|---|---|---|---|",
              f"| {c['killed']} | {c['survived']} | {c['timeout']} | {c['error']} | {kill_rate(report)} |", ""]
    marked = report.get("marked_equivalent") or []
    if marked:
        lines += [f"Mutants excused as equivalent (`# pragma: no mutate[OPERATOR -> NEW]: <reason>`, each naming "
                  f"one mutant): {len(marked)}", ""]
        lines += [f"* `{r['file']}:{r['line']}`: {r['reason']}" for r in marked] + [""]
    ignored = report.get("unnamed_pragmas_ignored") or []
    if ignored:
        lines += [f"Pragmas that name no mutant (ignored: every mutant of their line was made): {len(ignored)}", ""]
        lines += [f"* `{r['file']}:{r['line']}`" for r in ignored] + [""]
    surv = [r for r in report["mutants"] if r["verdict"] in ("survived", "error")]
    if surv:
        lines += ["Surviving mutants:", ""]
        for r in surv:
            why = f"; {r['note']}" if r.get("note") == "no test executes this line" else ""
            lines += [f"* `{r['file']}:{r['line']}` ({r['operator']}, {r['verdict']}{why})", "", "  ```diff",
                      *("  " + d for d in r["diff"].splitlines()), "  ```", ""]
    return "\n".join(lines)


def compare(before: Path, after: Path) -> str:
    """A Markdown table of kill rates per package from two ``--out`` folders."""
    def load(d):
        out = {}
        for f in sorted(x for x in Path(d).glob("*.json") if not x.name.endswith(".uncovered.json")):
            rep = json.loads(f.read_text())
            if isinstance(rep, dict) and rep.get("package") in PACKAGES:
                out[rep["package"]] = rep
        return out

    b, a = load(before), load(after)
    rows = ["| package | mutants (all) before / after | before: killed / timeout / survived | before | "
            "after: killed / timeout / survived | after |", "|---|---|---|---|---|---|"]
    for p in sorted(set(b) | set(a)):
        cells = []
        for rep in (b.get(p), a.get(p)):
            if rep is None or "counts" not in rep:
                cells.append(("n/a", "not run" if rep is None else rep.get("error", "error")))
            else:
                c = rep["counts"]
                cells.append((f"{c['killed']} / {c['timeout']} / {c['survived'] + c['error']}", kill_rate(rep)))
        totals = " / ".join(str(r["total_mutants"]) if r else "-" for r in (b.get(p), a.get(p)))
        rows.append(f"| {p} | {totals} | {cells[0][0]} | {cells[0][1]} | {cells[1][0]} | {cells[1][1]} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/mutation.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--package", action="append", choices=sorted(PACKAGES),
                    help="package to mutate (repeatable; default: all)")
    ap.add_argument("--out", type=Path, help="output directory for <package>.json/.md and summary.md")
    ap.add_argument("--sample", type=int, help="run a random sample of N mutants per package (default: all)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    ap.add_argument("--jobs", type=int, default=1, help="parallel pytest runs (one tree copy each)")
    ap.add_argument("--timeout", type=float, help="per-mutant timeout in seconds "
                    f"(default: max({MIN_TIMEOUT_S:g}, {TIMEOUT_FACTOR:g} x the unmutated run of the selected tests))")
    ap.add_argument("--rev", help="mutate this git revision's files instead of the working tree")
    ap.add_argument("--deselect", action="append", default=[], metavar="NODEID",
                    help="leave this test out of every run (repeatable; recorded in the report)")
    ap.add_argument("--no-coverage", dest="coverage", action="store_false",
                    help="run every mapped test file for every mutant (default: only the tests that "
                         "execute the mutated line, from one per-test coverage run; needs coverage.py)")
    ap.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    ap.add_argument("--list", action="store_true", help="list the (sampled) mutants and exit")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copies")
    ap.add_argument("--uncovered", action="store_true",
                    help="run no mutant: only the per-test coverage pass, and list the mutants on lines "
                         "that no mapped test executes (certain survivors); needs coverage.py")
    ap.add_argument("--module", action="append", default=[], metavar="PATH",
                    help="mutate only this module of the package (repeatable; e.g. checker/certify/local.py)")
    ap.add_argument("--mutant", action="append", default=[], metavar="ID",
                    help="run exactly this mutant (repeatable; ids as --list prints them)")
    ap.add_argument("--mutants-from", type=Path, metavar="FILE", help="run exactly the mutant ids in FILE")
    ap.add_argument("--exclude-from", type=Path, metavar="FILE",
                    help="leave out the mutant ids in FILE before sampling (a held-out sample)")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"),
                    help="print a Markdown table comparing two --out folders and exit")
    a = ap.parse_args(argv)
    if a.compare:
        print(compare(*a.compare))
        return 0
    if a.sample is not None and a.sample < 1:
        ap.error("--sample must be a positive integer")
    if a.jobs < 1:
        ap.error("--jobs must be a positive integer")
    if a.out is None and not a.list:
        ap.error("--out is required (unless --list)")
    if a.uncovered and not (a.coverage and have_coverage()):
        ap.error("--uncovered needs coverage.py and per-test coverage (drop --no-coverage)")
    packages = a.package or sorted(PACKAGES)
    ids: list[str] = list(a.mutant)
    for opt, f in (("--mutants-from", a.mutants_from), ("--exclude-from", a.exclude_from)):
        if f is not None and not f.is_file():
            ap.error(f"{opt} {f}: no such file")
    if a.mutants_from is not None:
        ids += read_ids(a.mutants_from)
        if not ids:
            ap.error(f"--mutants-from {a.mutants_from}: no mutant ids in the file")
    exclude = frozenset(read_ids(a.exclude_from)) if a.exclude_from is not None else frozenset()
    if (a.module or ids) and len(packages) != 1:
        ap.error("--module, --mutant and --mutants-from need exactly one --package")
    if ids and a.sample is not None:
        ap.error("--sample and --mutant/--mutants-from are exclusive: ids choose the mutants")
    DESELECT[:] = a.deselect
    global WHOLE_FOLDERS
    WHOLE_FOLDERS = a.coverage and have_coverage()
    repo = a.repo.resolve()
    work = Path(tempfile.mkdtemp(prefix="mut-"))

    def _stop(signum, frame):  # SIGTERM: unwind so the copies are removed
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        copies = [copy_tree(repo, work / f"tree{k}", a.rev) for k in range(a.jobs if not a.list else 1)]
        chosen_args = dict(modules=tuple(a.module), ids=tuple(ids), exclude=exclude)
        try:
            for p in packages:  # check every --module/--mutant before any work
                choose(copies[0], p, sample=a.sample, seed=a.seed, **chosen_args)
        except Refused as e:
            print(f"scripts/mutation.py: error: {e}", file=sys.stderr)
            return 2
        if a.list:
            for p in packages:
                for m in choose(copies[0], p, sample=a.sample, seed=a.seed, **chosen_args)[2]:
                    print(f"{p}\t{m.path}:{m.line}\t{m.operator}\t{m.old!r} -> {m.new!r}\t{m.id}")
            return 0
        for c in copies:
            check_import_location(c)
        a.out.mkdir(parents=True, exist_ok=True)

        def log(msg):
            print(time.strftime("%H:%M:%S"), msg, flush=True)

        reports = []
        if a.uncovered:
            for p in packages:
                rep = run_package(p, copies=copies[:1], sample=a.sample, seed=a.seed, timeout=None, log=log,
                                  use_coverage=True, uncovered_only=True, **chosen_args)
                if "error" in rep:
                    print(f"[{p}] {rep['error']}\n{rep.get('output', '')[-3000:]}", file=sys.stderr)
                    reports.append(rep)
                    continue
                dead = [r for r in rep["mutants"] if r["verdict"] == "survived"]
                lines = sorted({(r["file"], r["line"]) for r in dead})
                text = [f"## {p}: {len(dead)} of {rep['sampled']} mutants on {len(lines)} lines no mapped test executes", ""]
                text += [f"* `{f}:{ln}`" for f, ln in lines]
                (a.out / f"{p}.uncovered.md").write_text("\n".join(text) + "\n")
                (a.out / f"{p}.uncovered.json").write_text(json.dumps(rep, indent=1) + "\n")
                print("\n".join(text[:1]), flush=True)
                reports.append(rep)
            return 2 if any("error" in r for r in reports) else 0
        for p in packages:
            (a.out / f"{p}.partial.jsonl").unlink(missing_ok=True)
            rep = run_package(p, copies=copies, sample=a.sample, seed=a.seed, timeout=a.timeout, log=log,
                              use_coverage=a.coverage and have_coverage(), partial=a.out / f"{p}.partial.jsonl",
                              **chosen_args)
            rep.update(rev=a.rev or "working tree", date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                       deselected=list(a.deselect))
            (a.out / f"{p}.json").write_text(json.dumps(rep, indent=1) + "\n")
            (a.out / f"{p}.md").write_text(markdown(rep) + "\n")
            reports.append(rep)
            log(f"[{p}] kill rate {kill_rate(rep)}")
        # The summary covers every package report in --out (earlier invocations included).
        done = {r["package"]: r for r in reports}
        for f in sorted(x for x in a.out.glob("*.json") if not x.name.endswith(".uncovered.json")):
            rep = json.loads(f.read_text())
            if isinstance(rep, dict) and rep.get("package") in PACKAGES:
                done.setdefault(rep["package"], rep)
        summary = ["| package | mutants (all) | run | killed | survived | timeout | error | kill rate | tree |",
                   "|---|---|---|---|---|---|---|---|---|"]
        for rep in (done[p] for p in sorted(done)):
            c = rep.get("counts") or {}
            summary.append(f"| {rep['package']} | {rep['total_mutants']} | {rep['sampled']} | "
                           f"{c.get('killed', '-')} | {c.get('survived', '-')} | {c.get('timeout', '-')} | "
                           f"{c.get('error', '-')} | {kill_rate(rep)} | {rep.get('rev', '?')} |")
        (a.out / "summary.md").write_text("\n".join(summary) + "\n")
        print("\n".join(summary))
        return 2 if any("error" in r for r in reports) else 0
    except KeyboardInterrupt:
        print("mutation: interrupted; reports of finished packages are in --out", file=sys.stderr)
        return 130
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
