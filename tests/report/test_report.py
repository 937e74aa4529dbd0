"""The report: self-contained HTML, Markdown and JSON from a run; honest verdicts; rendered in a
real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from checker.pipeline import Check, RunConfig, RunResult, StageResult
from checker.report import render_html, render_markdown, write_report
from checker.report.graphs import GraphNode, node_anchor

#: A caveat longer than the old 1500-character cut of the "numbers" table, ending with the
#: words that the cut used to drop.
LONG_CAVEAT = ("The certificate omits the complexity term eps_n(t) of Theorem 3. " * 30
               + "eps_n(t): constants unspecified, not included")


def _figure(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0, 1, 4])
    fig.savefig(path)
    plt.close(fig)
    return path


def _graph_data() -> dict:
    return {"nodes": [
        {"id": "t.def", "title": "Setting", "kind": "definition", "status": "fully checked", "trust": "proved",
         "evidence": []},
        {"id": "t.lemma", "title": "A sampled lemma", "kind": "lemma", "status": "checked", "trust": "tested",
         "evidence": ["property: tested — 200 examples, no counterexample"]},
        {"id": "t.thm", "title": "The theorem", "kind": "theorem", "status": "checked", "trust": "tested",
         "evidence": ["symbolic: proved — sympy simplifies the difference to 0"]}],
        "edges": [["t.def", "t.lemma", "proof"], ["t.lemma", "t.thm", "proof"], ["t.def", "t.thm", "statement"]],
        "theorems": ["t.thm"]}


def _run(tmp_path: Path, *, passed: bool = True) -> RunResult:
    _figure(tmp_path / "fig.png")
    stages = (
        StageResult(stage="a", title="Stage A", checks=(
            Check(name="The exact thing holds", passed=True, evidence="exact", summary="1 = 1"),
            Check(name="The sampled thing holds", passed=passed, evidence="tested",
                  summary="no counterexample in 60 draws"),
            Check(name="The bound is respected at m = 1", outcome="vacuous", evidence="measured",
                  summary="eps(1) = 3.2 exceeds the range 2 of the gap, so this could not fail"),
        ), data={"value": 3.5, "table": [1, 2, 3], "caveats": [LONG_CAVEAT], "graph": _graph_data()},
            figures={"a figure": "fig.png"}),
        StageResult(stage="b", title="Stage B", error="ValueError: boom"),
    )
    prov = {"git_commit": "0123456789abcdef0123456789abcdef01234567", "git_dirty": True,
            "command": "python3 -m checker run --only bounds", "versions": {"sympy": "1.14.0", "torch": "2.13.0"},
            "seeds": {"seed": 7, "note": "one seed for every stage"}, "scale": "tiny", "device": "cpu",
            "started_utc": "2026-11-30T08:00:00Z"}
    return RunResult(config=RunConfig(out=tmp_path, seed=7), stages=stages, seconds=1.25,
                     environment={"python": "3.11", "torch": "2.13.0"}, provenance=prov)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _parse(text: str) -> _Links:
    p = _Links()
    p.feed(text)
    return p


def test_html_is_self_contained_and_links_resolve(tmp_path):
    text = render_html(_run(tmp_path), out=tmp_path)
    p = _parse(text)
    assert p.srcs and all(s.startswith("data:image/") for s in p.srcs)
    assert p.hrefs
    for h in p.hrefs:  # only in-page anchors (nav, graph nodes), each pointing at an existing id
        assert h.startswith("#") and h[1:] in p.ids, h
    assert "http://" not in text.replace("http://www.w3.org/", "") and "https://" not in text
    assert "ValueError: boom" in text
    assert "not a proof" in text  # sampled evidence is labelled as such


def test_vacuous_check_is_shown_as_vacuous_not_pass(tmp_path):
    text = render_html(_run(tmp_path), out=tmp_path)
    row = re.search(r"<tr><td>The bound is respected at m = 1</td><td><span class='(\w+)'>(\w+)</span>", text)
    assert row and row.groups() == ("vacuous", "vacuous")
    assert "1 passed, 1 vacuous, 0 failed" in text or "2 passed, 1 vacuous, 0 failed" in text
    md = render_markdown(_run(tmp_path))
    assert "- *vacuous* The bound is respected at m = 1" in md
    # negative control: the same check given as a pass is rendered as a pass
    ok = StageResult(stage="a", title="A", checks=(Check(name="c", passed=True, evidence="exact", summary=""),))
    res = RunResult(config=RunConfig(out=tmp_path), stages=(ok,), seconds=0.0, environment={})
    assert "<span class='pass'>pass</span>" in render_html(res, out=tmp_path)


def test_stage_whose_checks_are_all_vacuous_is_not_a_pass(tmp_path):
    st = StageResult(stage="v", title="V", checks=(Check(name="c", outcome="vacuous", evidence="measured"),))
    res = RunResult(config=RunConfig(out=tmp_path), stages=(st,), seconds=0.0, environment={})
    text = render_html(res, out=tmp_path)
    assert "<span class='badge vacuous'>VACUOUS</span>" in text
    assert "<span class='badge pass'>" not in text


def test_caveats_are_never_truncated(tmp_path):
    text = render_html(_run(tmp_path), out=tmp_path)
    visible = "".join(_parse(text).text)
    assert "constants unspecified, not included" in visible
    assert visible.count("The certificate omits the complexity term") == 30


def test_provenance_block(tmp_path):
    text = render_html(_run(tmp_path), out=tmp_path)
    block = text[text.index("id='provenance'"):]
    for needle in ("0123456789abcdef0123456789abcdef01234567 (with uncommitted changes)",
                   "python3 -m checker run --only bounds", "1.14.0", "one seed for every stage",
                   "2026-11-30T08:00:00Z"):
        assert needle in block, needle
    md = render_markdown(_run(tmp_path))
    assert "Commit `0123456789abcdef0123456789abcdef01234567` (with uncommitted changes)" in md


def test_check_names_are_prose(tmp_path):
    """The report shows a check's name as written (a sentence), not an id in code font."""
    text = render_html(_run(tmp_path), out=tmp_path)
    assert "<td>The exact thing holds</td>" in text
    md = render_markdown(_run(tmp_path))
    assert "- pass The exact thing holds (exact arithmetic): 1 = 1" in md
    assert "`The exact thing holds`" not in md


def test_formulas_are_mathml_not_ascii_art(tmp_path):
    text = render_html(_run(tmp_path), out=tmp_path)
    statements = text[text.index("id='statements'"):text.index("id='provenance'")]
    maths = re.findall(r"<math .*?</math>", statements, re.S)
    assert len(maths) >= 8
    for m in maths[:20]:
        ET.fromstring(m.replace("&InvisibleTimes;", "&#8290;").replace("&ExponentialE;", "&#8519;"))
    assert "<pre>" not in statements
    assert "⎛" not in text and "⎝" not in text  # sympy's ASCII-art parentheses


def test_dependency_graph_is_inline_svg_with_clickable_nodes(tmp_path):
    text = render_html(_run(tmp_path), out=tmp_path)
    svg = re.search(r"<svg .*?</svg>", text, re.S).group(0)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    links = [a.get("href") for a in root.iter(ns + "a")]
    assert sorted(links) == sorted("#" + node_anchor(i) for i in ("t.def", "t.lemma", "t.thm"))
    assert f"id='{node_anchor('t.lemma')}'" in text
    assert "property: tested — 200 examples" in text


def test_write_report_writes_three_consistent_files_with_normal_modes(tmp_path):
    res = _run(tmp_path, passed=False)
    old = os.umask(0o022)
    try:
        paths = write_report(res, tmp_path)
    finally:
        os.umask(old)
    for p in paths.values():
        assert (p.stat().st_mode & 0o777) == 0o644, (p, oct(p.stat().st_mode))
    data = json.loads(paths["json"].read_text())
    assert data["passed"] is False and data["outcome"] == "fail"
    assert [s["stage"] for s in data["stages"]] == ["a", "b"]
    assert data["provenance"]["git_commit"].startswith("0123")
    assert [c["outcome"] for c in data["stages"][0]["checks"]] == ["pass", "fail", "vacuous"]
    md = paths["markdown"].read_text()
    assert "- **FAIL** The sampled thing holds" in md and md.startswith("# checker report: FAIL")
    assert render_markdown(res) == md


def _browser():
    return shutil.which("chromium") or shutil.which("chromium-browser")


_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: Reports, through the page title, how many images decoded, how many <math> elements have a
#: non-zero rendered size, how many SVG graph nodes have a non-zero size, and whether raw TeX
#: is visible in the rendered text.
PROBE = ("<script>window.addEventListener('load',()=>{"
         "const im=[...document.images];"
         "const ok=im.filter(i=>i.complete&&i.naturalWidth>0).length;"
         "const ms=[...document.querySelectorAll('math')];"
         "const sized=ms.filter(m=>{const r=m.getBoundingClientRect();return r.width>0&&r.height>0;}).length;"
         "const nodes=[...document.querySelectorAll('svg.depgraph a.node rect')].filter(r=>r.getBBox().width>0).length;"
         "const t=document.body.innerText;"
         "const tex=/\\\\(frac|sqrt|mathbb|left|right)|\\$\\$/.test(t)?1:0;"
         "document.title='probe '+ok+'/'+im.length+' math '+sized+'/'+ms.length+' nodes '+nodes+' tex '+tex;});"
         "</script>")
_PROBE_RE = re.compile(r"<title>probe (\d+)/(\d+) math (\d+)/(\d+) nodes (\d+) tex (\d)</title>")


def probe_page(page: Path, profile: Path) -> tuple[int, ...]:
    dom = subprocess.run([_browser(), *_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    m = _PROBE_RE.search(dom)
    assert m, dom[:500]
    return tuple(int(x) for x in m.groups())


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path):
    """Open the report in a real browser: every image decodes, every formula is laid out as
    MathML with a non-zero size, graph nodes are drawn, no raw TeX is visible; a screenshot is
    produced."""
    html = render_html(_run(tmp_path), out=tmp_path)
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"))
    ok, n_img, sized, n_math, nodes, tex = probe_page(page, tmp_path / "profile")
    assert ok == n_img >= 1
    assert n_math >= 8 and sized == n_math
    assert nodes == 3
    assert tex == 0
    shot = tmp_path / "shot.png"
    subprocess.run([_browser(), *_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2000",
                    f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


@pytest.mark.browser
def test_browser_probe_detects_raw_tex_negative_control(tmp_path):
    """The probe can fail: a page showing raw TeX and no MathML is reported as such."""
    page = tmp_path / "raw.html"
    page.write_text("<!doctype html><html><head><title>x</title></head><body><p>$$\\frac{a}{b}$$</p>"
                    + PROBE + "</body></html>")
    assert probe_page(page, tmp_path / "profile") == (0, 0, 0, 0, 0, 1)


def test_graph_node_rejects_unknown_trust():
    from checker.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="trust"):
        GraphNode(id="x", trust="very sure")


def test_results_without_outcome_fields_fall_back_to_passed(tmp_path):
    """A result object that has only ``passed`` (no three-valued ``outcome``) still renders."""
    from types import SimpleNamespace

    chk = SimpleNamespace(name="An old-style check", passed=False, evidence="exact", summary="1 != 2")
    st = SimpleNamespace(stage="s", title="S", checks=(chk,), passed=False, error=None, data={}, figures={},
                         seconds=0.1, cached=False)
    res = SimpleNamespace(stages=(st,), passed=False, seconds=0.1, environment={}, provenance=None,
                          config=SimpleNamespace(full=False, seed=0, device="cpu", out=tmp_path))
    text = render_html(res, out=tmp_path)
    assert "<td>An old-style check</td><td><span class='fail'>FAIL</span>" in text
    assert "<span class='badge fail'>FAIL</span>" in text
    assert "not recorded" in text  # no provenance: said so, not invented
