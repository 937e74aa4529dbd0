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
    "sound": "sound: a rigorous upper bound, float64 rounding included (see the certificate's assumptions)",
}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;width:100%;font-size:.92em}
th,td{border:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}
.pass{color:#0a7d2c;font-weight:600}.fail{color:#b00020;font-weight:600}.vacuous{color:#8a5a00;font-weight:600}
.stated{color:#555;font-weight:600;font-style:italic}
foreignObject .nl{font:11px Helvetica,Arial,sans-serif;line-height:15px;text-align:center;color:#000}
foreignObject .nl math{font-size:1em}
.badge{display:inline-block;padding:.25em .7em;border-radius:1em;color:#fff;font-weight:700}
.badge.pass{background:#0a7d2c;color:#fff}.badge.fail{background:#b00020;color:#fff}.badge.vacuous{background:#b77900;color:#fff}
figure{margin:1em 0;text-align:center} figure img{max-width:100%;max-height:720px;border:1px solid #eee}
figcaption{font-size:.9em;color:#555} code,pre{background:#f6f8fa;border-radius:3px}
pre{padding:.6em;overflow-x:auto;font-size:.85em;white-space:pre-wrap} .muted{color:#666;font-size:.9em}
nav a{margin-right:1em}
math{font-size:1.1em} .math-display{overflow-x:auto;margin:.5em 0}
.graph-scroll{overflow-x:auto;border:1px solid #eee;text-align:left} .graph-scroll svg{display:block;margin:0 auto}
figure.graph{width:98vw;max-width:max-content;position:relative;left:50%;transform:translateX(-50%)}
.depgraph a.node:hover rect{stroke:#d60;stroke-width:3}
dl dt{margin-top:.6em} dl dd{margin-left:1.5em} dt:target{background:#fff3c4}
.scroll{max-height:24em;overflow:auto}
ul.caveats li{margin:.2em 0}
"""

#: The three verdicts and how they are shown.
_VERDICT = {"pass": ("pass", "pass"), "fail": ("FAIL", "fail"), "vacuous": ("vacuous", "vacuous")}


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _text(x: Any) -> str:
    """Prose with formulas: escaped, every ASCII formula token as inline MathML."""
    from checker.report.textmath import text_to_html

    return text_to_html(x)


def _uni(x: Any) -> str:
    """Prose with formulas for Markdown (plain text): formula tokens as Unicode (γ, ≤, Δ²)."""
    from checker.report.textmath import text_to_unicode

    return text_to_unicode(x)


def _is_stated(ch) -> bool:
    """A passing audit check of a theorem whose statement is only *stated* (prose, not checked):
    its steps passed, the theorem itself did not, so it is never shown as a pass."""
    return (_outcome(ch) == "pass" and getattr(ch, "evidence", "") == "audit"
            and str(getattr(ch, "summary", "")).startswith("stated"))


def _verdict(ch) -> tuple[str, str]:
    """(word, css class) of a check's verdict cell."""
    if _is_stated(ch):
        return "stated", "stated"
    return _VERDICT[_outcome(ch)]


#: A stage's pre-rendered status of a stated theorem, coloured as a pass by the stage.
_STATED_AS_PASS = ("<b class='pass'>stated", "<b class='stated'>stated")


def _outcome(obj) -> str:
    """``pass``/``fail``/``vacuous`` of a check or stage (``outcome`` field when the pipeline
    provides it, else the ``passed`` bool)."""
    out = getattr(obj, "outcome", None)
    if out in _VERDICT:
        return out
    return "pass" if obj.passed else "fail"


def _run_outcome(result) -> str:
    out = getattr(result, "outcome", None)
    return out if out in ("pass", "fail") else ("pass" if result.passed else "fail")


def _counts(checks) -> dict[str, int]:
    c = {"pass": 0, "fail": 0, "vacuous": 0}
    for x in checks:
        c[_outcome(x)] += 1
    return c


def _img(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
    return (f'<figure><img alt="{_esc(caption)}" src="data:{mime};base64,{data}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>")


def _value_html(v: Any, depth: int = 0) -> str:
    """A value in full (never truncated): scalars as text, lists of text as bullet lists,
    mappings as nested tables, long numeric lists in a scrolling box."""
    if isinstance(v, dict):
        return _data_table(v, depth + 1)
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, str) for x in v):
            return "<ul class='caveats'>" + "".join(f"<li>{_esc(x)}</li>" for x in v) + "</ul>"
        if v and all(isinstance(x, dict) for x in v) and depth < 3:
            keys = list(dict.fromkeys(k for x in v for k in x))
            head = "".join(f"<th>{_esc(k)}</th>" for k in keys)
            rows = "".join("<tr>" + "".join(f"<td>{_value_html(x.get(k, ''), depth + 1)}</td>" for k in keys)
                           + "</tr>" for x in v)
            return f"<div class='scroll'><table><tr>{head}</tr>{rows}</table></div>"
        text = json.dumps(to_jsonable(v))
        return f"<div class='scroll'><code>{_esc(text)}</code></div>"
    if isinstance(v, float):
        return _esc(f"{v:.6g}")
    return _esc(v)


def _data_table(data: dict[str, Any], depth: int = 0) -> str:
    rows = [f"<tr><th>{_esc(k)}</th><td>{_value_html(v, depth)}</td></tr>" for k, v in data.items()]
    return "<table>" + "".join(rows) + "</table>" if rows else ""


def _provenance_html(result) -> str:
    prov = dict(getattr(result, "provenance", None) or {})
    env = dict(result.environment or {})
    versions = prov.pop("versions", None) or {k: v for k, v in env.items()
                                             if k not in ("platform", "machine", "cpu_count", "cuda", "torch_threads")}
    seeds = prov.pop("seeds", None) or {"seed": result.config.seed}
    commit = prov.pop("git_commit", None) or "not recorded"
    dirty = prov.pop("git_dirty", None)
    if dirty:
        commit = f"{commit} (with uncommitted changes)"
    rows = {"git commit": commit,
            "command line": prov.pop("command", None) or "not recorded",
            "started (UTC)": prov.pop("started_utc", None) or "not recorded",
            "settings": prov.pop("scale", None) or ("paper-scale" if result.config.full else "quick"),
            "device (requested)": prov.pop("device", None) or getattr(result.config, "device", ""),
            "seeds": seeds, **prov,
            "machine": {k: env[k] for k in ("platform", "machine", "cpu_count", "cuda", "torch_threads") if k in env},
            "package versions": versions}
    return "<h2 id='provenance'>Provenance</h2>" + _data_table(rows)


def _statements_html() -> str:
    """The theorems' statements from the bound library, as MathML."""
    from checker import bounds
    from checker.registry import THEOREMS
    from checker.report.mathml import MathRenderError, sympy_to_mathml

    parts = ["<h2 id='statements'>Statements</h2><p class='muted'>The bound library's exact statements "
             "(sympy; <i>ln</i> is the natural logarithm). Reliability tags: [P] paper, [A] authors, "
             "[S] secondary source, [R] checker's own reconstruction (not the paper's words), [D] derived; "
             "see the math reference in the documentation (docs/math/).</p>"]
    for thm in THEOREMS:
        parts.append(f"<h3>{_text(thm.title)}</h3><p class='muted'>{_esc(thm.paper)}; reliability "
                     f"{_text(thm.reliability)}</p>")
        for sid in thm.statements:
            try:
                stmt = bounds.get(sid)
            except Exception:  # a statement missing from the library is shown, not hidden
                parts.append(f"<p class='fail'>statement {_esc(sid)} is not in the bound library</p>")
                continue
            parts.append(f"<p><b>{_text(stmt.title)}</b> <span class='muted'>({_esc(stmt.form)}, "
                         f"{_text(stmt.reliability)})</span></p>")
            for name, expr in list(stmt.exprs) + list(stmt.relations):
                try:
                    parts.append(f"<div class='math-display'>{sympy_to_mathml(expr, lhs=name if (name, expr) in stmt.exprs else None)}</div>")
                except MathRenderError as exc:
                    parts.append(f"<p class='fail'>{_esc(exc)}</p>")
    return "".join(parts)


def render_html(result, *, out: Path) -> str:
    """The whole report as one HTML string; ``out`` is where figures were written."""
    outcome = _run_outcome(result)
    all_checks = [c for s in result.stages for c in s.checks]
    n = _counts(all_checks)
    crashed = sum(1 for s in result.stages if s.error)
    prov = getattr(result, "provenance", None) or {}
    settings = prov.get("scale") or ("paper-scale" if result.config.full else "quick")
    summary = (f"{n['pass']} passed, {n['vacuous']} vacuous, {n['fail']} failed of {len(all_checks)} checks"
               f"{f', {crashed} stage(s) crashed' if crashed else ''} in {len(result.stages)} stages, "
               f"{result.seconds:.1f} s ({_esc(settings)} settings, seed {result.config.seed}).")
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>checker report</title><style>{_CSS}</style></head><body>",
             "<h1>checker report</h1>",
             f"<p><span class='badge {outcome}'>{_VERDICT[outcome][0].upper()}</span> {summary}</p>",
             "<p class='muted'>Verdicts: <b class='pass'>pass</b> = the check could have failed and did not; "
             "<b class='vacuous'>vacuous</b> = the check could not have failed at these settings (it is "
             "<i>not</i> counted as a pass; the summary says why); <b class='fail'>FAIL</b>. Evidence: "
             "<b>exact</b> = established by exact arithmetic; <b>computed</b> = a float64 computation whose "
             "rounding is not bounded; <b>tested</b>/<b>measured</b> = sampled evidence, never a proof; what "
             "the proof outlines take on trust is listed per theorem in the audit section.</p>",
             "<nav>" + "".join(f"<a href='#{_esc(s.stage)}'>{_esc(s.title)}</a>" for s in result.stages)
             + "<a href='#statements'>Statements</a><a href='#provenance'>Provenance</a></nav>"]
    for s in result.stages:
        so = _outcome(s) if not s.error else "fail"
        c = _counts(s.checks)
        parts.append(f"<h2 id='{_esc(s.stage)}'>{_esc(s.title)} "
                     f"<span class='badge {so}'>{_VERDICT[so][0].upper()}</span></h2>")
        parts.append(f"<p class='muted'>{c['pass']} passed, {c['vacuous']} vacuous, {c['fail']} failed; "
                     f"{s.seconds:.1f} s{' (cached result reused)' if s.cached else ''}</p>")
        if s.error:
            parts.append(f"<p class='fail'>The stage crashed:</p><pre>{_esc(s.error)}</pre>")
        if s.checks:
            parts.append("<table><tr><th>check</th><th>verdict</th><th>evidence</th><th>numbers</th></tr>")
            for ch in s.checks:
                word, cls = _verdict(ch)
                parts.append(f"<tr><td>{_text(ch.name)}</td><td><span class='{cls}'>{word}</span></td>"
                             f"<td>{_esc(EVIDENCE_WORDS.get(ch.evidence, ch.evidence))}</td>"
                             f"<td>{_text(ch.summary)}</td></tr>")
            parts.append("</table>")
            if any(_is_stated(ch) for ch in s.checks):
                parts.append("<p class='muted'><span class='stated'>stated</span>: every step of the "
                             "theorem's proof outline passed, but the theorem's own statement is prose "
                             "only and was not checked; counted among the passed checks of the steps, "
                             "never as a pass of the theorem.</p>")
        cav = s.data.get("caveats")
        if cav:
            parts.append("<p><b>Caveats</b>:</p><ul class='caveats'>"
                         + "".join(f"<li>{_text(c)}</li>" for c in (cav if isinstance(cav, (list, tuple)) else [cav]))
                         + "</ul>")
        obs = s.data.get("observations")
        if obs:
            parts.append("<p><b>Observations</b> (reported, not checks):</p><ul class='caveats'>"
                         + "".join(f"<li>{_text(o)}</li>" for o in obs) + "</ul>")
        html_block = s.data.get("html")
        if html_block:  # a stage may contribute a pre-rendered, escaped fragment
            from checker.report.textmath import html_text_to_math

            parts.append(html_text_to_math(html_block.replace(*_STATED_AS_PASS)))
        graph = s.data.get("graph")
        if isinstance(graph, dict) and graph.get("nodes"):
            from checker.report.graphs import graph_section_html

            parts.append("<h3>Dependency graphs</h3>" + graph_section_html(graph))
        for caption, rel in s.figures.items():
            p = out / rel
            if p.exists():
                parts.append(_img(p, caption))
            else:
                parts.append(f"<p class='fail'>figure missing: {_esc(rel)} ({_esc(caption)})</p>")
        shown = {k: v for k, v in s.data.items() if k not in ("html", "observations", "graph", "caveats")}
        if shown:
            parts.append("<details class='numbers'><summary>numbers</summary>" + _data_table(shown) + "</details>")
    parts.append(_statements_html())
    parts.append(_provenance_html(result))
    parts.append("</body></html>")
    return "\n".join(parts)


def render_markdown(result) -> str:
    outcome = _run_outcome(result)
    prov = getattr(result, "provenance", None) or {}
    settings = prov.get("scale") or ("paper-scale" if result.config.full else "quick")
    lines = [f"# checker report: {outcome.upper()}", "",
             f"{result.seconds:.1f} s, {settings} settings, seed {result.config.seed}.", ""]
    if prov:
        lines += [f"Commit `{prov.get('git_commit', 'unknown')}`"
                  f"{' (with uncommitted changes)' if prov.get('git_dirty') else ''}; "
                  f"command `{prov.get('command', '')}`.", ""]
    lines += ["| stage | verdict | passed | vacuous | failed | time |", "|---|---|---|---|---|---|"]
    for s in result.stages:
        c = _counts(s.checks)
        so = _outcome(s) if not s.error else "fail"
        lines.append(f"| {s.title} | {_VERDICT[so][0]} | {c['pass']} | {c['vacuous']} | {c['fail']} | "
                     f"{s.seconds:.1f} s{' (cached)' if s.cached else ''} |")
    for s in result.stages:
        lines += ["", f"## {s.title}", ""]
        if s.error:
            lines += ["The stage crashed:", "", "```", s.error.strip(), "```"]
        for c in s.checks:
            o = _outcome(c)
            word = "*stated*" if _is_stated(c) else {"pass": "pass", "fail": "**FAIL**", "vacuous": "*vacuous*"}[o]
            lines.append(f"- {word} {_uni(c.name)} ({EVIDENCE_WORDS.get(c.evidence, c.evidence)}): {_uni(c.summary)}")
        for caption, rel in s.figures.items():
            lines.append(f"- figure: [{caption}]({rel})")
        cav = s.data.get("caveats")
        if cav:
            lines += ["", "Caveats:", ""] + [f"- {_uni(c)}" for c in (cav if isinstance(cav, (list, tuple)) else [cav])]
    return "\n".join(lines) + "\n"


def render_json(result) -> dict[str, Any]:
    return to_jsonable({
        "passed": result.passed, "outcome": _run_outcome(result), "seconds": result.seconds,
        "config": {"full": result.config.full, "seed": result.config.seed,
                   "scale": getattr(result.config, "scale", None),
                   "device": result.config.device, "out": str(result.config.out)},
        "stages": [{k: v for k, v in s.to_dict().items()} for s in result.stages],
        "environment": result.environment,
        "provenance": getattr(result, "provenance", None) or {},
    })


def write_report(result, out: Path) -> dict[str, Path]:
    """Write report.html, report.md and report.json into ``out`` (ordinary file permissions);
    return their paths."""
    out = Path(out)
    paths = {"html": out / "report.html", "markdown": out / "report.md", "json": out / "report.json"}
    atomic_write_text(paths["html"], render_html(result, out=out))
    atomic_write_text(paths["markdown"], render_markdown(result))
    data = render_json(result)
    for st in data["stages"]:
        st["data"].pop("html", None)
    atomic_write_text(paths["json"], json.dumps(data, indent=2) + "\n")
    return paths
