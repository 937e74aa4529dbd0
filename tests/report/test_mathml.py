"""Formulas as MathML: sympy expressions (report, theorem pages) and the docs' LaTeX (mkdocs hook)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy as sp

from checker.report.mathml import (MATHML_NS, MathRenderError, convert_arithmatex, has_raw_tex,
                                   sympy_to_mathml)

DOCS = Path(__file__).resolve().parents[2] / "docs"
_ENTITIES = {"&InvisibleTimes;": "&#8290;", "&ExponentialE;": "&#8519;", "&ApplyFunction;": "&#8289;"}


def _xml(text: str) -> ET.Element:
    for k, v in _ENTITIES.items():
        text = text.replace(k, v)
    return ET.fromstring(text)


def _texts(el: ET.Element) -> list[str]:
    return [t for t in el.itertext() if t.strip()]


def test_sympy_expression_becomes_presentation_mathml():
    eps, p = sp.symbols("eps p", positive=True)
    root = _xml(sympy_to_mathml(8 * p / eps**2, lhs="m_star"))
    assert root.tag == f"{{{MATHML_NS}}}math" and root.get("display") == "block"
    tags = {el.tag.split("}")[1] for el in root.iter()}
    assert {"mfrac", "msup", "msub"} <= tags
    texts = _texts(root)
    assert "ε" in texts and "⋆" in texts and "8" in texts  # eps shown as Greek, m_star as m⋆
    assert "m_star = 8*p/eps**2" == root.get("alttext")


def test_relation_and_natural_log():
    x = sp.Symbol("x", positive=True)
    root = _xml(sympy_to_mathml(sp.Le(sp.log(x), x - 1)))
    texts = _texts(root)
    assert "ln" in texts and "≤" in texts


@pytest.mark.parametrize("tex, expected", [
    (r"\frac{a}{b}", "mfrac"), (r"\sqrt{2}\,\beta_L+\tfrac12\alpha_L^2", "msqrt"),
    (r"\Big\lceil x \Big\rceil", "mo"), (r"\operatorname*{argmax}_z f", "msub"),
])
def test_latex_conversion(tex, expected):
    pytest.importorskip("latex2mathml")  # third-party converter of the docs extra
    from checker.report.mathml import latex_to_mathml

    root = _xml(latex_to_mathml(tex, display=True))
    assert any(el.tag.endswith(expected) for el in root.iter())
    assert not any("\\" in t for t in _texts(root))


def test_unsupported_latex_is_an_error_not_raw_text():
    """Negative control: a command the converter does not know fails loudly (the docs build
    fails), instead of showing as raw TeX."""
    pytest.importorskip("latex2mathml")
    from checker.report.mathml import latex_to_mathml

    with pytest.raises(MathRenderError, match="notacommand"):
        latex_to_mathml(r"\notacommand{x} + 1")


def test_has_raw_tex():
    assert has_raw_tex(r"the bound \frac{1}{2}") and has_raw_tex("$$x$$")
    assert not has_raw_tex("the bound 1/2 costs $5")


def _pages_with_math():
    return sorted(p for p in DOCS.rglob("*.md") if "$" in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", _pages_with_math(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_docs_formula_converts_to_mathml(page):
    """The same pipeline as the docs build (Python-Markdown + arithmatex, then the hook's
    conversion): every formula of every page becomes MathML and no TeX is left in the text."""
    pytest.importorskip("latex2mathml")
    import markdown

    body = markdown.markdown(page.read_text(encoding="utf-8"),
                             extensions=["tables", "pymdownx.arithmatex", "pymdownx.superfences", "admonition"],
                             extension_configs={"pymdownx.arithmatex": {"generic": True}})
    n_formulas = body.count('class="arithmatex"')
    out = convert_arithmatex(body)
    assert 'class="arithmatex"' not in out
    assert out.count("<math ") == n_formulas + body.count("<math ")
    visible = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", re.sub(r"<math .*?</math>", "", out, flags=re.S), flags=re.S)
    visible = re.sub(r"<[^>]+>", "", visible)
    assert not has_raw_tex(visible), page


def test_styled_letters_become_unicode_characters():
    """MathML Core ignores mathvariant (other than normal): \\mathbb R must arrive as ℝ."""
    pytest.importorskip("latex2mathml")
    from checker.report.mathml import latex_to_mathml

    out = latex_to_mathml(r"\mathbb R^d,\ \mathbb E,\ \mathcal Z,\ \mathbf 1")
    assert "mathvariant" not in out
    texts = _texts(_xml(out))
    for ch in ("ℝ", "𝔼", "𝒵", "𝟏"):
        assert ch in texts, ch


def test_product_and_piecewise_are_math_not_function_calls():
    """sympy's printer writes Product and Piecewise as 'product(...)' / 'piecewise(...)'; ours
    draws ∏ with its limits and a brace with cases (the birthday statements use both)."""
    i, M, N = sp.symbols("i M N", positive=True, integer=True)
    expr = 1 - sp.Piecewise((sp.Product(1 - i / N, (i, 1, M - 1)), M <= N), (0, True))
    root = _xml(sympy_to_mathml(expr))
    texts = _texts(root)
    assert "∏" in texts and "otherwise" in texts
    assert "piecewise" not in texts and "product" not in texts
    assert any(el.tag.endswith("munderover") for el in root.iter())
    assert any(el.tag.endswith("mtable") for el in root.iter())


def test_sphinx_math_roles_from_docstrings_become_mathml():
    pytest.importorskip("latex2mathml")
    from checker.report.mathml import convert_rst_math

    page = ("<p>the pair :math:<code>(G, E)</code> from :func:<code>build_pair</code></p>\n"
            "<p>.. math::</p>\n<pre><code>\\delta = \\frac{\\sqrt{2\\pi}\\,\\varepsilon}{8\\Delta(m-1)}\n</code></pre>")
    out = convert_rst_math(page)
    assert ":math:" not in out and ":func:" not in out and ".. math::" not in out
    assert out.count("<math ") == 2 and 'display="block"' in out
    assert "<code>build_pair</code>" in out
    errors = []
    bad = convert_rst_math("<p>:math:<code>\\nosuch x</code></p>", on_error=errors.append)
    assert bad == "<p><code>\\nosuch x</code></p>" and len(errors) == 1  # reported, shown as code


def test_tex_in_titles_becomes_text():
    pytest.importorskip("latex2mathml")
    from checker.report.mathml import tex_to_text

    assert tex_to_text("The certificate against \\(\\rho\\)") == "The certificate against ρ"
    assert tex_to_text("Bound $\\gamma\\rho$ here") == "Bound γρ here"
    assert tex_to_text("no math") == "no math"
