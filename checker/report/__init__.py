"""The report a person reads: self-contained HTML, plus JSON and a Markdown summary.

Rendering is pure string building from a :class:`~checker.pipeline.RunResult`; figures are
embedded as data URIs, so the HTML file has no external links and can be mailed around.
"""

from checker.report.render import render_html, render_json, render_markdown, write_report

__all__ = ["render_html", "render_markdown", "render_json", "write_report"]
