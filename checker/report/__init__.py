"""The report a person reads: self-contained HTML, plus JSON and a Markdown summary.

Rendering is pure string building from a :class:`~checker.pipeline.RunResult`; figures are
embedded as data URIs, formulas are MathML (:mod:`checker.report.mathml`) and dependency graphs
inline SVG (:mod:`checker.report.graphs`), so the HTML file has no external links, no scripts,
and can be mailed around. Checks are shown with their three-valued verdict (pass / fail /
vacuous), every caveat in full, and a provenance block (commit, command line, versions, seeds).
"""

from checker.report.render import render_html, render_json, render_markdown, write_report

__all__ = ["render_html", "render_markdown", "render_json", "write_report"]
