"""mkdocs hook: convert the LaTeX of every page to MathML at build time.

Python-Markdown's ``pymdownx.arithmatex`` (generic mode) marks each formula with a
``<span|div class="arithmatex">``; this hook replaces it by a ``<math>`` element. Docstrings
written for Sphinx (``:math:`` roles, ``.. math::`` blocks on the API page) are converted too,
and headings' TeX becomes Unicode text in the table of contents
(:func:`checker.report.mathml.convert_arithmatex`, which uses ``latex2mathml``). Browsers render
MathML natively, so the built site shows formulas without any script, font or network access.
A formula that does not convert fails the build (it would otherwise show as raw TeX).
"""

from __future__ import annotations

import logging

from checker.report.mathml import MathRenderError, convert_arithmatex, convert_rst_math, tex_to_text

log = logging.getLogger("mkdocs.hooks.mathml")


def on_page_content(html, page, config, files):  # noqa: ARG001 - mkdocs hook signature
    try:
        html = convert_arithmatex(html)
    except MathRenderError as exc:
        # an error-level log fails `mkdocs build --strict`, naming the page and the formula
        log.error("%s: %s", page.file.src_uri, exc)
        return html
    # docstrings written for Sphinx (the API page): :math: roles and .. math:: blocks
    html = convert_rst_math(html, on_error=lambda msg: log.error("%s: %s", page.file.src_uri, msg))
    _toc_text(getattr(page, "toc", None) or [])
    return html


def _toc_text(items):
    """Table-of-contents entries hold text: inline TeX in a heading becomes Unicode there."""
    for item in items:
        item.title = tex_to_text(item.title)
        _toc_text(getattr(item, "children", None) or [])
