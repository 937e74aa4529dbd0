"""The docs: generated pages are up to date, code examples run, the site builds strictly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"(<!-- no-run -->\s*\n)?```python\n(.*?)```", re.S)


def _pages_with_code():
    return sorted(p for p in DOCS.rglob("*.md") if "```python" in p.read_text(encoding="utf-8"))


def test_generated_pages_are_up_to_date():
    """docs/cli.md and docs/theorems/*.md are generated from the code; regenerate with
    ``python -m checker.docsgen`` when this fails."""
    from checker.docsgen import generate

    stale = [str(p.relative_to(ROOT)) for p, text in generate().items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"out of date (run python -m checker.docsgen): {stale}"


@pytest.mark.parametrize("page", _pages_with_code(), ids=lambda p: str(p.relative_to(DOCS)))
def test_code_examples_run(page, tmp_path, monkeypatch):
    """Every ```python block of a page runs, in order, in one namespace (a block preceded by
    ``<!-- no-run -->`` is shown only)."""
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for m in FENCE.finditer(page.read_text(encoding="utf-8")):
        if m.group(1):
            continue
        code = m.group(2)
        exec(compile(code, f"{page.name}:block", "exec"), namespace)  # our own docs, not user input


@pytest.mark.slow
def test_site_builds_strictly(tmp_path):
    """``mkdocs build --strict``: any warning (broken link, missing page, bad docstring) fails."""
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise AssertionError("mkdocs must be installed in CI (extra 'docs')")
        pytest.skip("mkdocs not installed (pip install -e '.[docs]')")
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                          "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "site" / "index.html").exists()
