"""Render a run into HTML (self-contained), Markdown and JSON."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from checker.io import atomic_write_text, to_jsonable

__all__ = ["render_html", "render_markdown", "render_json", "write_report", "EVIDENCE_WORDS"]

#: How each kind of evidence is worded in the report. Nothing is called "proved" here: the
#: proof audit (its own section) says per node what was established symbolically / by SMT /
#: by interval arithmetic, and what was only tested.
EVIDENCE_WORDS = {
    "exact": "exact arithmetic",
    "computed": "computed in float64 (rounding not bounded; not a proof)",
    "tested": "sampled / property-tested (not a proof)",
    "measured": "measured in an experiment (not a proof)",
    "audit": "proof audit (see trust report)",
}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;width:100%;font-size:.92em}
th,td{border:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}
.pass{color:#0a7d2c;font-weight:600}.fail{color:#b00020;font-weight:600}
.badge{display:inline-block;padding:.25em .7em;border-radius:1em;color:#fff;font-weight:700}
.badge.pass{background:#0a7d2c;color:#fff}.badge.fail{background:#b00020;color:#fff}
figure{margin:1em 0;text-align:center} figure img{max-width:100%;max-height:720px;border:1px solid #eee}
figcaption{font-size:.9em;color:#555} code,pre{background:#f6f8fa;border-radius:3px}
pre{padding:.6em;overflow-x:auto;font-size:.85em} .muted{color:#666;font-size:.9em}
nav a{margin-right:1em}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _img(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
    return (f'<figure><img alt="{_esc(caption)}" src="data:{mime};base64,{data}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>")


def _data_table(data: dict[str, Any]) -> str:
    rows = []
    for k, v in data.items():
        if isinstance(v, (dict, list)):
            text = json.dumps(to_jsonable(v), indent=1)
            if len(text) > 1500:
                text = text[:1500] + "\n..."
            cell = f"<pre>{_esc(text)}</pre>"
        else:
            cell = _esc(v)
        rows.append(f"<tr><th>{_esc(k)}</th><td>{cell}</td></tr>")
    return "<table>" + "".join(rows) + "</table>" if rows else ""


def render_html(result, *, out: Path) -> str:
    """The whole report as one HTML string; ``out`` is where figures were written."""
    verdict = "PASS" if result.passed else "FAIL"
    cls = "pass" if result.passed else "fail"
    n_checks = sum(len(s.checks) for s in result.stages)
    n_failed = sum(1 for s in result.stages for c in s.checks if not c.passed)
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>checker report</title><style>{_CSS}</style></head><body>",
             "<h1>checker report</h1>",
             f"<p><span class='badge {cls}'>{verdict}</span> "
             f"{n_checks - n_failed} of {n_checks} checks passed in {len(result.stages)} stages, "
             f"{result.seconds:.1f} s ({'paper-scale' if result.config.full else 'quick'} settings, "
             f"seed {result.config.seed}).</p>",
             "<p class='muted'>Wording: <b>exact</b> = established by exact arithmetic; "
             "<b>computed</b> = a float64 computation whose rounding is not bounded; "
             "<b>tested</b>/<b>measured</b> = sampled evidence, never a proof; what the proof "
             "outlines take on trust is listed per theorem in the audit section.</p>",
             "<nav>" + "".join(f"<a href='#{_esc(s.stage)}'>{_esc(s.title)}</a>" for s in result.stages)
             + "</nav>"]
    for s in result.stages:
        badge = "pass" if s.passed else "fail"
        parts.append(f"<h2 id='{_esc(s.stage)}'>{_esc(s.title)} "
                     f"<span class='badge {badge}'>{'PASS' if s.passed else 'FAIL'}</span></h2>")
        parts.append(f"<p class='muted'>{s.seconds:.1f} s{' (cached result reused)' if s.cached else ''}</p>")
        if s.error:
            parts.append(f"<p class='fail'>The stage crashed:</p><pre>{_esc(s.error)}</pre>")
        if s.checks:
            parts.append("<table><tr><th>check</th><th>verdict</th><th>evidence</th><th>summary</th></tr>")
            for c in s.checks:
                v = "<span class='pass'>pass</span>" if c.passed else "<span class='fail'>FAIL</span>"
                parts.append(f"<tr><td>{_esc(c.name)}</td><td>{v}</td>"
                             f"<td>{_esc(EVIDENCE_WORDS.get(c.evidence, c.evidence))}</td>"
                             f"<td>{_esc(c.summary)}</td></tr>")
            parts.append("</table>")
        obs = s.data.get("observations")
        if obs:
            parts.append("<p><b>Observations</b> (reported, not checks):</p><ul>"
                         + "".join(f"<li>{_esc(o)}</li>" for o in obs) + "</ul>")
        html_block = s.data.get("html")
        if html_block:  # a stage may contribute a pre-rendered, escaped fragment
            parts.append(html_block)
        for caption, rel in s.figures.items():
            p = out / rel
            if p.exists():
                parts.append(_img(p, caption))
        shown = {k: v for k, v in s.data.items() if k != "html"}
        if shown:
            parts.append("<details><summary>numbers</summary>" + _data_table(shown) + "</details>")
    parts.append("<h2 id='environment'>Versions and seeds</h2>")
    parts.append(_data_table({**result.environment, "seed": result.config.seed,
                              "full": result.config.full}))
    parts.append("</body></html>")
    return "\n".join(parts)


def render_markdown(result) -> str:
    lines = [f"# checker report: {'PASS' if result.passed else 'FAIL'}", "",
             f"{result.seconds:.1f} s, {'paper-scale' if result.config.full else 'quick'} settings, "
             f"seed {result.config.seed}.", "",
             "| stage | verdict | checks | time |", "|---|---|---|---|"]
    for s in result.stages:
        ok = sum(c.passed for c in s.checks)
        lines.append(f"| {s.title} | {'pass' if s.passed else 'FAIL'} | {ok}/{len(s.checks)} | "
                     f"{s.seconds:.1f} s{' (cached)' if s.cached else ''} |")
    for s in result.stages:
        lines += ["", f"## {s.title}", ""]
        if s.error:
            lines += ["The stage crashed:", "", "```", s.error.strip(), "```"]
        for c in s.checks:
            lines.append(f"- {'pass' if c.passed else '**FAIL**'} `{c.name}` "
                         f"({EVIDENCE_WORDS.get(c.evidence, c.evidence)}): {c.summary}")
        for caption, rel in s.figures.items():
            lines.append(f"- figure: [{caption}]({rel})")
    return "\n".join(lines) + "\n"


def render_json(result) -> dict[str, Any]:
    return to_jsonable({
        "passed": result.passed, "seconds": result.seconds,
        "config": {"full": result.config.full, "seed": result.config.seed,
                   "device": result.config.device, "out": str(result.config.out)},
        "stages": [{k: v for k, v in s.to_dict().items()} for s in result.stages],
        "environment": result.environment,
    })


def write_report(result, out: Path) -> dict[str, Path]:
    """Write report.html, report.md and report.json into ``out``; return their paths."""
    out = Path(out)
    paths = {"html": out / "report.html", "markdown": out / "report.md", "json": out / "report.json"}
    atomic_write_text(paths["html"], render_html(result, out=out))
    atomic_write_text(paths["markdown"], render_markdown(result))
    data = render_json(result)
    for st in data["stages"]:
        st["data"].pop("html", None)
    atomic_write_text(paths["json"], json.dumps(data, indent=2) + "\n")
    return paths
