"""Formulas written as text (check names, summaries, caveats, graph labels) are shown as MathML
in the report: no ASCII math is left in its visible text (the report's own tests run the same
detector on a page rendered by headless Chromium)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from checker.pipeline import Check, RunConfig, RunResult, StageResult
from checker.report import render_html, render_markdown
from checker.report.graphs import GraphNode, render_svg
from checker.report.textmath import ascii_math, text_to_html, text_to_unicode

#: Texts of the report as the stages and outlines write them (taken from a `checker run --tiny`).
SAMPLES = [
    "sound: per-example sound bounds of phi_gamma (bound propagation on the ball ||z - x|| <= G/gamma)",
    "C4: changing one pair (x~_i, z_i) moves f = (1/m) sum phi(D(x~_i ⊛ z_i, z_i)) by at most 2 Delta/m",
    "Var over pools of E_z phi(D(G(z),z)) is at most Delta^2/m for fixed discriminators",
    "Counting: Pr[no collision] = prod_{i=1}^{M-1} (1 - i/N) (sequential choice of distinct items)",
    "float64 rounding is bounded a priori (dot products: 2*gamma_n*|x|^T|y|, Higham §3.1)",
    "f(z^) <= phi <= f(z^) + |grad f(z^)|^2/(2 mu) for mu-strongly concave f",
    "L_phi = L_thth + L_thz L_zth / lam",
    "Theorem 3: with probability >= 1 - e^{-t}, sup_{W_c(P,P0) <= rho} E_P l <= gamma rho + E_Pn phi_gamma + eps_n(t)",
    "Pr[coll] >= 1 - E_{K~Bin(M,rho)} prod_{i<K}(1 - i/N); an equality here (N = 1, M = 2: rho^2)",
    "The standard Gaussian density exp(-x^2/2)/sqrt(2 pi) is at most 1/sqrt(2 pi)",
    "sampled 12 layouts (d up to 199, any d~<=d) x 64 images/codes",
    "E f(z_hat) + gamma*rho_hat = E loss(z_hat) on the training set",
    "Theorem 1 (explicit constants [R]): with m >= m* a random pool succeeds",
    "(derived, [D] tail_hoeffding (primary); [P via S] tail (8K^2)), rho_hat_n",
]


def _visible(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.mark.parametrize("text", SAMPLES)
def test_every_sample_has_ascii_math_before_and_none_after(text):
    assert ascii_math(text)  # negative control: the detector sees the raw text
    out = text_to_html(text)
    assert ascii_math(_visible(out)) == [], _visible(out)
    for m in re.findall(r"<math .*?</math>", out):
        ET.fromstring(m)  # well-formed MathML
    assert ascii_math(text_to_unicode(text)) == []


def test_conversions_against_hand_written_mathml():
    assert text_to_html("Delta^2/m") == ('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">'
                                         "<msup><mi>Δ</mi><mn>2</mn></msup></math>/m")
    assert "<msub><mi>L</mi><mi>φ</mi></msub>" in text_to_html("L_phi")
    assert "<msub><mi>L</mi><mi>θz</mi></msub>" in text_to_html("L_thz")
    assert '<mover accent="true"><mi>d</mi><mo>˜</mo></mover>' in text_to_html("d~")
    assert text_to_unicode("||z - x|| <= G/gamma, Delta^2, d~, rho_hat") == "‖z - x‖ ≤ G/γ, Δ², d̃, ρ̂"


def test_prose_and_program_names_are_left_alone():
    for prose in ("at most a few cases x 64 images", "generator_param_count(m, d)", "lzz_bound",
                  "chi-square p-value 0.187", "T-a and T-b", "node arora.hyp.nu", "birthday.ta_rho1"):
        assert text_to_html(prose) == html.escape(prose)


def _run(tmp_path):
    graph = {"nodes": [
        {"id": "t.lemma", "title": SAMPLES[2], "kind": "lemma", "status": "checked modulo 1 cited", "trust": "cited",
         "evidence": ["symbolic: proved — g - f normalises to Delta^2 >= 0"]},
        {"id": "t.thm", "title": SAMPLES[7], "kind": "theorem", "status": "stated", "trust": "proved",
         "evidence": []}],
        "edges": [["t.lemma", "t.thm", "proof"]], "theorems": ["t.thm"]}
    stages = (StageResult(stage="a", title="Stage A", checks=(
        Check(name=SAMPLES[1], passed=True, evidence="tested", summary=SAMPLES[0]),
        Check(name="The theorem: every step of its proof outline is checked", passed=True, evidence="audit",
              summary="stated (the formula language cannot express the statement); 3 nodes"),
    ), data={"caveats": [SAMPLES[4], SAMPLES[5]], "observations": [SAMPLES[6]], "graph": graph,
             "html": "<p>outline: <b class='pass'>stated</b>; [P] gamma - L_zz <code>a_b</code></p>"}),)
    return RunResult(config=RunConfig(out=tmp_path, seed=0), stages=stages, seconds=1.0, environment={})


def _report_text(page: str) -> str:
    """Visible text of the report's prose: without the raw-number tables (data dumps with
    programmatic keys), the provenance block, code, styles and scripts."""
    page = re.sub(r"<details class='numbers'>.*?</details>", "", page, flags=re.S)
    page = page.split("<h2 id='provenance'>")[0]
    page = re.sub(r"<(style|script|code|title)[^>]*>.*?</\1>", "", page, flags=re.S)
    return _visible(page)


def test_report_prose_has_no_ascii_math(tmp_path):
    page = render_html(_run(tmp_path), out=tmp_path)
    visible = _report_text(page)
    assert ascii_math(visible) == [], ascii_math(visible)
    # the texts are all there, as math
    assert "‖z - x‖" in visible and "≤" in visible and "Δ" in visible
    assert page.count("<math ") >= 20
    # negative control: the same page with the conversion switched off shows ASCII math
    import checker.report.textmath as tm

    raw = render_html(_run(tmp_path), out=tmp_path).replace("‖", "||")
    assert "||" in _report_text(raw) and ascii_math(_report_text(raw))
    assert tm  # (module used above)


def test_stated_theorem_is_shown_as_stated_not_pass(tmp_path):
    res = _run(tmp_path)
    page = render_html(res, out=tmp_path)
    row = [r for r in page.split("<tr>") if "every step of its proof outline" in r][0]
    assert "<span class='stated'>stated</span>" in row and ">pass<" not in row
    assert "<b class='stated'>stated</b>" in page and "<b class='pass'>stated" not in page
    md = render_markdown(res)
    assert "- *stated* The theorem: every step" in md
    # a passing audit check of a checked theorem still reads pass
    assert "<span class='pass'>pass</span>" in page


def test_graph_labels_are_wrapped_never_cut_and_typeset():
    long_title = " ".join(f"word{i}" for i in range(40)) + " ends here with Delta^2 <= eps"
    svg = render_svg([GraphNode(id="n", title=long_title, trust="proved", status="fully checked")], [])
    root = ET.fromstring(svg)
    label = "".join(next(root.iter("{http://www.w3.org/2000/svg}foreignObject")).itertext())
    for i in range(40):
        assert f"word{i}" in label
    assert "ends here with" in label and "…" not in label and "Δ" in label and "≤" in label
    assert ascii_math(label) == []
    # the box is tall enough for every line
    lines = svg.count("<br/>") + 1
    rect = next(root.iter("{http://www.w3.org/2000/svg}rect"))
    assert float(rect.get("height")) >= lines * 15


def _browser():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
def test_no_ascii_math_in_the_report_rendered_by_headless_chromium(tmp_path):
    """The browser's own rendering: the visible text (innerText, without the raw-number tables
    and the provenance block) is checked with the same detector."""
    page = render_html(_run(tmp_path), out=tmp_path)
    probe = ("<pre id='probe-out'></pre><script>window.addEventListener('load',()=>{"
             "const b=document.body.cloneNode(true);"
             "b.querySelectorAll('details.numbers,code,script,style,#probe-out').forEach(e=>e.remove());"
             "const p=b.querySelector('#provenance'); if(p){while(p.nextSibling)p.nextSibling.remove();}"
             "document.body.appendChild(b); b.style.position='absolute';"
             "document.getElementById('probe-out').textContent='PROBE['+b.innerText+']PROBE';"
             "b.remove();});</script>")
    f = tmp_path / "probe.html"
    f.write_text(page.replace("</body>", probe + "</body>"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path / 'prof'}"]
    dom = subprocess.run([_browser(), *flags, "--virtual-time-budget=5000", "--dump-dom", f.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    m = re.search(r"PROBE\[(.*?)\]PROBE", html.unescape(dom), re.S)  # the output, not the script
    assert m, dom[:500]
    # the formulas reached the browser as math: Δ (Chromium renders a MathML <mi> as the
    # mathematical italic 𝛥) and a typeset product
    assert any(c in m.group(1) for c in ("Δ", "𝛥")) and "∏" in m.group(1)
    assert ascii_math(m.group(1)) == [], ascii_math(m.group(1))
