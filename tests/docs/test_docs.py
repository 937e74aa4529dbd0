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


def _build_site(dest: Path) -> Path:
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise AssertionError("mkdocs must be installed in CI (extra 'docs')")
        pytest.skip("mkdocs not installed (pip install -e '.[docs]')")
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                          "-f", str(ROOT / "mkdocs.yml"), "-d", str(dest)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    return dest


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return _build_site(tmp_path_factory.mktemp("site") / "site")


@pytest.mark.slow
def test_site_builds_strictly(site):
    """``mkdocs build --strict``: any warning (broken link, missing page, bad docstring, a
    formula that does not convert to MathML) fails."""
    assert (site / "index.html").exists()


@pytest.mark.slow
def test_site_math_is_mathml_not_tex(site):
    """The hook converted every formula at build time: MathML in the pages, no arithmatex
    placeholders, no TeX delimiters in the text, and no script or stylesheet fetched from
    elsewhere for math."""
    for rel in ("math/sinha/index.html", "math/arora-thm1/index.html", "theorems/sinha-cor4/index.html",
                "api/index.html"):
        text = (site / rel).read_text(encoding="utf-8")
        assert ":math:" not in re.sub(r"<code>.*?</code>", "", text, flags=re.S), rel
        assert text.count("<math") >= 3, rel
        assert '<span class="arithmatex">' not in text and '<div class="arithmatex">' not in text, rel
        visible = re.sub(r"<math.*?</math>|<script.*?</script>|<code>.*?</code>|<[^>]+>", "", text, flags=re.S)
        assert "\\frac" not in visible and "$$" not in visible and "\\(" not in visible, rel
        assert "mathjax" not in text.lower() and "katex" not in text.lower(), rel


@pytest.mark.browser
@pytest.mark.slow
def test_docs_math_renders_in_headless_chromium(site, tmp_path):
    """Open built pages in Chromium: every <math> element is laid out with a non-zero size and no
    raw TeX is visible."""
    from tests.report.test_report import PROBE, probe_page

    for rel in ("math/sinha/index.html", "theorems/arora-thm1/index.html"):
        page = site / rel
        probe = page.with_name("probe.html")
        probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
        _, _, sized, n_math, _, tex = probe_page(probe, tmp_path / "profile")
        assert n_math >= 5 and sized == n_math, (rel, sized, n_math)
        assert tex == 0, rel


def test_theorem_pages_show_formulas_as_mathml():
    """Generated theorem pages carry MathML, not sympy ASCII art in text blocks."""
    for page in sorted((DOCS / "theorems").glob("*.md")):
        if page.name == "index.md":
            continue
        text = page.read_text(encoding="utf-8")
        assert "<math " in text, page.name
        assert "```text" not in text, page.name


#: Pages checked for citations users cannot follow: the math reference, the generated pages and
#: the general pages (the capability guides are checked by their own areas' reviews).
OWN_PAGES = ("index.md", "getting-started.md", "api.md", "cli.md", "reconstructed.md", "guide/run.md",
             "math/*.md", "theorems/*.md")


def test_user_docs_cite_only_the_projects_own_reference():
    """No page cites files users do not have (the developers' notes, slides)."""
    bad = re.compile(r"shared/reference|seed[ -]slide|arora2018\.md|sinha2018\.md|anchors\.md", re.I)
    pages = sorted({p for pat in OWN_PAGES for p in DOCS.glob(pat)})
    assert len(pages) >= 15
    hits = [str(p.relative_to(DOCS)) for p in pages if bad.search(p.read_text(encoding="utf-8"))]
    assert not hits, hits


def test_math_reference_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in ("math/index.md", "math/arora-thm1.md", "math/birthday.md", "math/sinha.md", "math/sources.md"):
        assert page in nav and (DOCS / page).exists(), page


def test_math_reference_citations_resolve_to_headings():
    """Every section the theorem pages link to exists as a heading of the math reference, and old
    citations are rewritten into such links."""
    from markdown.extensions.toc import slugify

    from checker.docs_theorems import _MATH_SECTIONS, cite_math

    slugs = {}
    for page in (DOCS / "math").glob("*.md"):
        heads = re.findall(r"^#+\s+(.*)$", page.read_text(encoding="utf-8"), re.M)
        slugs[page.name] = {slugify(h, "-") for h in heads}
    for paper, table in _MATH_SECTIONS.items():
        for sec, (page, anchor, _) in table.items():
            assert page in slugs, (paper, sec, page)
            assert not anchor or anchor in slugs[page], (paper, sec, anchor)
    out = cite_math("explicit constants: reference §2.2 [R]; see reference sinha2018.md §4.5 and the seed slide",
                    "arora")
    assert "[math reference: Explicit version](../math/arora-thm1.md#explicit-version-checkers-own)" in out
    assert "(../math/sinha.md#corollary-4-and-the-tightened-constant)" in out
    assert "seed slide" not in out and "reference §" not in out
    assert cite_math("see docs/math/sinha.md, Corollary 4", "sinha") == \
        "see [docs/math/sinha.md](../math/sinha.md), Corollary 4"


def test_mathml_hook_converts_and_reports_failures(caplog):
    """The mkdocs hook turns arithmatex output into MathML, and logs an error (which fails
    ``mkdocs build --strict``) for a formula it cannot convert, instead of leaving raw TeX."""
    pytest.importorskip("latex2mathml")
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("mathml_hook", DOCS / "hooks" / "mathml.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    page = SimpleNamespace(file=SimpleNamespace(src_uri="x.md"))
    good = '<p>a <span class="arithmatex">\\(\\frac{1}{2}\\)</span></p><div class="arithmatex">\\[x^2\\]</div>'
    out = hook.on_page_content(good, page, None, None)
    assert out.count("<math") == 2 and "arithmatex" not in out and "\\frac" not in out.split("alttext")[0]
    with caplog.at_level("ERROR", logger="mkdocs.hooks.mathml"):
        hook.on_page_content('<span class="arithmatex">\\(\\nosuchcommand x\\)</span>', page, None, None)
    assert any("x.md" in r.getMessage() and "nosuchcommand" in r.getMessage() for r in caplog.records)
