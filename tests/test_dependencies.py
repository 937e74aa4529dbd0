"""Every third-party module the tests import comes from the README's set-up.

The README's test command is ``bash scripts/setup.sh && python3 -m pytest``, and ``setup.sh``
installs ``checker[test]`` (``CHECKER_EXTRAS`` defaults to ``test``; ``.ci/run`` adds only the
optional ``ray`` extra). So every module imported by a test must belong to a distribution named
in ``[project] dependencies`` or in the ``test`` extra, unless the import is guarded: inside a
``try`` whose handler catches ``ImportError``, or through ``pytest.importorskip`` (the test then
skips with a reason). A module is mapped to its distribution by the installed metadata
(``importlib.metadata.packages_distributions``), so the check is about what really provides it.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Our own top-level packages and folders (not third-party).
OWN = {"checker", "tests", "benchmarks", "scripts", "docs"}
#: The extras the README's set-up installs (scripts/setup.sh's default CHECKER_EXTRAS).
README_EXTRAS = ("test",)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _norm(re.match(r"\s*([A-Za-z0-9_.\-]+)", req).group(1))


def declared(pyproject: Path = ROOT / "pyproject.toml", extras=README_EXTRAS) -> set[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return {_requirement_name(r) for r in reqs}


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """True when ``node`` sits in the body of a ``try`` that catches ImportError."""
    child, p = node, parents.get(node)
    while p is not None:
        if isinstance(p, ast.Try) and child in p.body:
            for h in p.handlers:
                names = [h.type] if not isinstance(h.type, ast.Tuple) else list(h.type.elts)
                if h.type is None or any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError",
                                                                                "Exception", "BaseException")
                                         for n in names):
                    return True
        child, p = p, parents.get(p)
    return False


def unguarded_imports(source: str) -> set[str]:
    """Top-level module names imported by ``source`` outside an ImportError guard (and not
    through ``pytest.importorskip``, which is a call, not an import statement)."""
    tree = ast.parse(source)
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if not _guarded(node, parents):
            out.update(n.split(".")[0] for n in names)
    return out


def undeclared(files, declared_names: set[str], dists: dict[str, list[str]]) -> list[str]:
    problems = []
    for f in files:
        for mod in sorted(unguarded_imports(Path(f).read_text())):
            if mod in OWN or mod in sys.stdlib_module_names or mod == "__future__":
                continue
            providers = {_norm(d) for d in dists.get(mod, [])}
            if not providers:
                problems.append(f"{f}: imports {mod!r}, which no installed distribution provides")
            elif not providers & declared_names:
                problems.append(f"{f}: imports {mod!r} (from {', '.join(sorted(providers))}), "
                                f"declared neither in [project] dependencies nor in the extras {README_EXTRAS}")
    return problems


def test_every_module_the_tests_import_is_declared_in_the_readme_set_up():
    # the suite's own files, and the scripts it runs (tests/test_hygiene.py runs scripts/*.py)
    files = sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "scripts").glob("*.py")])
    assert len(files) > 50  # the walk found the suite
    problems = undeclared(files, declared(), packages_distributions())
    assert not problems, "\n".join(problems)


def test_the_readme_and_ci_install_the_extras_this_test_assumes():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/setup.sh && python3 -m pytest" in readme
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert 'EXTRAS="${CHECKER_EXTRAS:-test}"' in setup
    ci = (ROOT / ".ci" / "run").read_text()
    extras = re.search(r'CHECKER_EXTRAS="([^"]*)"', ci).group(1).split(",")
    assert "test" in extras  # CI installs at least what the README installs
    assert "python3 -m pytest" in ci


def test_the_check_catches_an_undeclared_and_a_missing_module(tmp_path):
    """Negative controls: an undeclared installed module, a module nothing provides; a guarded
    import and an importorskip pass."""
    f = tmp_path / "test_x.py"
    f.write_text("import numpy\nimport yaml_is_not_here\nfrom scipy import stats\n"
                 "try:\n    import ray\nexcept ImportError:\n    ray = None\n"
                 "import pytest\nm = pytest.importorskip('faiss')\n")
    dists = {"numpy": ["numpy"], "scipy": ["scipy"], "ray": ["ray"], "pytest": ["pytest"]}
    problems = undeclared([f], {"numpy", "pytest"}, dists)
    assert len(problems) == 2, problems
    assert any("'yaml_is_not_here', which no installed distribution provides" in p for p in problems)
    assert any("'scipy' (from scipy), declared neither" in p for p in problems)
