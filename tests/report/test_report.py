"""The report: self-contained HTML, Markdown and JSON from a run; rendered in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from checker.pipeline import Check, RunConfig, RunResult, StageResult
from checker.report import render_html, render_markdown, write_report


def _figure(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0, 1, 4])
    fig.savefig(path)
    plt.close(fig)
    return path


def _run(tmp_path: Path, *, passed: bool = True) -> RunResult:
    _figure(tmp_path / "fig.png")
    stages = (
        StageResult(stage="a", title="Stage A", checks=(
            Check(name="exact thing", passed=True, evidence="exact", summary="1 = 1"),
            Check(name="sampled thing", passed=passed, evidence="tested", summary="no counterexample in 60 draws"),
        ), data={"value": 3.5, "table": [1, 2, 3]}, figures={"a figure": "fig.png"}),
        StageResult(stage="b", title="Stage B", error="ValueError: boom"),
    )
    return RunResult(config=RunConfig(out=tmp_path), stages=stages, seconds=1.25,
                     environment={"python": "3.11", "torch": "2.13.0"})


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])


def test_html_is_self_contained_and_links_resolve(tmp_path):
    res = _run(tmp_path)
    text = render_html(res, out=tmp_path)
    p = _Links()
    p.feed(text)
    assert p.srcs and all(s.startswith("data:image/") for s in p.srcs)
    for h in p.hrefs:  # only in-page anchors, each pointing at an existing id
        assert h.startswith("#") and h[1:] in p.ids, h
    assert "FAIL" in text  # stage B crashed, so the run did not pass
    assert "ValueError: boom" in text
    assert "not a proof" in text  # sampled evidence is labelled as such


def test_verdict_follows_checks(tmp_path):
    assert not _run(tmp_path).passed  # stage B crashed
    ok = RunResult(config=RunConfig(out=tmp_path), stages=(
        StageResult(stage="a", title="A", checks=(Check(name="c", passed=True, evidence="exact", summary=""),)),),
        seconds=0.0, environment={})
    assert ok.passed


def test_write_report_writes_three_consistent_files(tmp_path):
    res = _run(tmp_path, passed=False)
    paths = write_report(res, tmp_path)
    data = json.loads(paths["json"].read_text())
    assert data["passed"] is False
    assert [s["stage"] for s in data["stages"]] == ["a", "b"]
    md = paths["markdown"].read_text()
    assert "**FAIL** `sampled thing`" in md and md.startswith("# checker report: FAIL")
    assert render_markdown(res) == md


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path):
    """Open the report in a real browser: every image decodes, and a screenshot is produced."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    res = _run(tmp_path)
    html = render_html(res, out=tmp_path)
    # A probe script reports how many images decoded (naturalWidth > 0) via the page title.
    probe = ("<script>window.addEventListener('load',()=>{const im=[...document.images];"
             "document.title='decoded '+im.filter(i=>i.complete&&i.naturalWidth>0).length+'/'+im.length;});</script>")
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", probe + "</body>"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([browser, *flags, "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    m = re.search(r"<title>decoded (\d+)/(\d+)</title>", dom)
    assert m, dom[:500]
    assert m.group(1) == m.group(2) and int(m.group(2)) >= 1
    shot = tmp_path / "shot.png"
    subprocess.run([browser, *flags, "--window-size=1200,2000", f"--screenshot={shot}",
                    (tmp_path / "probe.html").as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
