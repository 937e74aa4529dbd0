"""Smoke test of every stage of ``checker run`` (issue 18.1) at ``--tiny`` settings.

One run (module fixture) of all eight stages, then value-level assertions on ``report.json``:
the check names (prose, no internal ids), the three-valued verdicts re-derived from the numbers
each stage reports (so a wrong verdict rule fails here), the evidence words, provenance, and
that every figure file exists and decodes to a non-blank image. A second run must reuse every
stage. Tiny settings run the code paths, not meaningful experiments.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from checker.cli import main
from checker.stages import PAPER_GAMMA, SETTINGS, SOUND_EVIDENCE, STAGES, TRAIN_ACCURACY_FLOOR

EVIDENCE = {"exact", "computed", "tested", "measured", "audit", SOUND_EVIDENCE}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny-run")
    code = main(["run", "--tiny", "--device", "cpu", "--out", str(out)])
    data = json.loads((out / "report.json").read_text())
    return code, data, out


def _stage(data, name):
    (st,) = [s for s in data["stages"] if s["stage"] == name]
    return st


def test_every_stage_ran_without_crashing(report):
    code, data, _ = report
    assert [s["stage"] for s in data["stages"]] == [s.name for s in STAGES]
    for s in data["stages"]:
        assert s["error"] is None, (s["stage"], s["error"])
        assert s["checks"], s["stage"]
        assert s["counts"] == {o: sum(c["outcome"] == o for c in s["checks"]) for o in ("pass", "fail", "vacuous")}
    # the exit status follows the verdicts: 0 iff no failed check and no all-vacuous stage
    expected = 0 if all(s["outcome"] == "pass" for s in data["stages"]) else 1
    assert code == expected and data["passed"] == (expected == 0)


def test_checks_are_prose_with_known_evidence(report):
    from checker import experiments
    from checker.registry import THEOREMS

    _, data, _ = report
    ids = [i for i in (*experiments.names(), *(t.id for t in THEOREMS), *(t.node for t in THEOREMS))
           if "." in i or "-" in i]  # an id that is a plain word ("birthday") may appear in prose
    for s in data["stages"]:
        for c in s["checks"]:
            assert c["evidence"] in EVIDENCE, c
            assert c["outcome"] in ("pass", "fail", "vacuous") and c["passed"] == (c["outcome"] == "pass")
            assert c["name"][:1].isupper() and " " in c["name"], c["name"]
            # no internal ids: experiment names, theorem ids, outline node ids
            assert not [i for i in ids if re.search(rf"(?<![\w.-]){re.escape(i)}(?![\w.-])", c["name"])], c["name"]


def test_bounds_stage_values(report):
    _, data, _ = report
    st = _stage(data, "bounds")
    assert [c["outcome"] for c in st["checks"]] == ["pass"] * 3
    assert [c["evidence"] for c in st["checks"]] == ["computed", "computed", "exact"]
    # docs/math/arora-thm1.md: m* = ceil(8Δ²/ε² (p ln(1 + 16 L L_φ/ε) + ln 2)) + 1 at the stage's parameters
    assert st["data"]["m_star (explicit, Hoeffding + eps-net)"] == math.ceil(800 * (1000 * math.log(161) + math.log(2))) + 1
    # the classical birthday value: 1 - prod_{k<23} (1 - k/365)
    assert st["data"]["birthday_23_365"] == pytest.approx(1 - math.prod(1 - k / 365 for k in range(23)), rel=1e-12)


def test_construction_stage_values(report):
    _, data, _ = report
    st = _stage(data, "construction")
    info = st["data"]["construct"]
    m, d, dt = SETTINGS["construction"]["tiny"]["m"], 64, 8
    assert (info["m"], info["d"], info["d_tilde"]) == (m, d, dt)
    assert info["generator_params"] == 2 * (m - 1) * (d - dt + 2) + d  # Theorem 1's count, by hand
    assert info["encoder_nonzeros"] == dt
    names = [c["name"] for c in st["checks"]]
    assert names[:5] == [
        "The generator's parameter count equals the formula 2(m−1)(d−d̃+2)+d",
        "The encoder has d̃ nonzero weights",
        "The encoder inverts the generator: E(G(z)) = z on sampled codes",
        "Off the ramp set the ReLU generator equals the ideal hash generator",
        "The ramp set's mass is within its bound (m−1)·δ·max density"]
    assert [c["evidence"] for c in st["checks"][:5]] == ["exact", "exact", "tested", "tested", "computed"]
    assert len(st["checks"]) == 5 + len(st["data"]["experiments"]) and st["data"]["experiments"]
    assert all(c["evidence"] == "tested" for c in st["checks"][5:])
    assert (st["checks"][2]["outcome"] == "pass") == (info["max_inversion_error"] <= 1e-12)
    assert (st["checks"][3]["outcome"] == "pass") == (info["max_offramp_deviation"] <= info["offramp_error_bound"])


def test_fooling_verdicts_follow_the_vacuity_rules(report):
    _, data, _ = report
    st = _stage(data, "fooling")
    rows, width, distinct = st["data"]["rows"], st["data"]["gap_range"], st["data"]["distinct_real_images"]
    assert [r["m"] for r in rows] == list(SETTINGS["fooling"]["tiny"]["m_grid"])
    assert len(st["checks"]) == 2 * len(rows)
    for r, bound, support in zip(rows, st["checks"][::2], st["checks"][1::2]):
        assert bound["name"] == f"At m = {r['m']:,} the measured gap is consistent with the explicit bound ε(m)"
        eps = r["explicit_eps"]
        eps = math.inf if isinstance(eps, str) else eps
        want = "vacuous" if eps >= width else ("pass" if r["gap_ci_low"] <= eps else "fail")
        assert bound["outcome"] == want and bound["evidence"] == "measured"
        cap = min(r["support_draws"], distinct)
        want = "vacuous" if r["m"] >= cap else ("pass" if r["distinct_nonnoise_outputs"] <= r["m"] else "fail")
        assert support["outcome"] == want and support["evidence"] == "tested"
        if want == "vacuous":
            assert "vacuous:" in support["summary"]
    # m = 1: the explicit bound is infinite there, so that row can only be vacuous
    assert st["checks"][0]["outcome"] == "vacuous"
    assert any("does not bound the supremum" in x for x in st["data"]["caveats"])


def test_birthday_stage_values(report):
    _, data, _ = report
    st = _stage(data, "birthday")
    m = SETTINGS["birthday"]["tiny"]["support"]
    assert st["data"]["pool size m"] == m and st["data"]["truth"]["support"] == m
    est = st["data"]["support_estimate"]["value"]
    from checker.tolerances import BIRTHDAY_SUPPORT_FACTOR as F

    for c, target in zip(st["checks"], (m, st["data"]["truth"]["collision_support"])):
        assert c["evidence"] == "measured"
        assert c["outcome"] == ("pass" if target / F <= est <= target * F else "fail")
    assert st["data"]["table"] and all(0 <= r["p_duplicate"] <= 1 for r in st["data"]["table"])


def test_training_stage_values(report):
    _, data, _ = report
    st = _stage(data, "training")
    panels = st["data"]["panels"]
    assert set(panels) == {"relu", "elu"}
    for act, methods in panels.items():
        assert set(methods) == {"erm", "fgm", "ifgm", "pgm", "wrm"}
        for meth, r in methods.items():
            (c,) = [c for c in st["checks"] if c["name"].startswith(f"{meth.upper()} with {act.upper()} reaches")]
            assert c["outcome"] == ("pass" if r["test_accuracy"] >= TRAIN_ACCURACY_FLOOR else "fail")
        (c,) = [c for c in st["checks"] if c["name"].startswith(f"WRM with {act.upper()} pushes")]
        w, e = methods["wrm"]["mean_radius"], methods["erm"]["mean_radius"]
        assert c["outcome"] == ("pass" if w is not None and e is not None and w > e else "fail")
    settings = st["data"]["settings"]
    assert settings["n"] == SETTINGS["training"]["tiny"]["n"] and settings["epochs"] == SETTINGS["training"]["tiny"]["epochs"]


def _pct(fractions, key):
    return f"{100.0 * float(fractions.get(key, 0.0)):.1f}%"


def test_certificate_stage_values(report):
    _, data, _ = report
    st = _stage(data, "certificate")
    d = st["data"]
    assert d["gamma"] == PAPER_GAMMA and d["n"] == SETTINGS["certificate"]["tiny"]["n"]
    checks = {c["name"]: c for c in st["checks"]}
    # the paper's gamma = 2 on the training set: sound iff the certificate says so, and the name
    # gives the per-example arguments' shares
    fr = d["method_fractions"]
    name = ("The γ = 2 certificate on the training set is sound (per-example bounds: "
            f"local {_pct(fr, 'local')}, branch-and-bound {_pct(fr, 'bnb')}, fallback {_pct(fr, 'fallback')})")
    if d["argument"] == "local":
        assert name in checks, sorted(checks)
        c = checks[name]
        assert abs(sum(fr.values()) - 1.0) < 1e-9
    else:
        (c,) = [c for c in st["checks"] if c["name"].startswith("The γ = 2 certificate on the training set is sound")]
    assert c["outcome"] == ("pass" if d["sound"] is True else "fail") and c["evidence"] == SOUND_EVIDENCE
    for key in ("lzz_bound_tight", "argument", "method_fractions"):
        assert key in d
    # the test-set check of Figure 2 is vacuous when the test certificate is only an estimate
    (c,) = [c for c in st["checks"] if c["name"].startswith("At γ = 2 (the paper's), no test worst-case")]
    if not d["test_certificate"]["sound"]:
        assert c["outcome"] == "vacuous"
    # Corollary 4 alone (tightened constant) at 1.25 * L_zz/2: mu = 2 gamma - L_zz recomputed here
    g = d["global_certificate"]
    assert g["gamma"] >= 0.625 * d["lzz_bound_tight"] * (1 - 1e-12)
    assert g["lzz_bound_tight"] == d["lzz_bound_tight"] and g["argument"] == "global"
    assert g["mu"] == pytest.approx(2 * g["gamma"] - g["lzz_bound_tight"], rel=1e-9) and g["mu"] > 0
    (c,) = [c for c in st["checks"] if "Corollary 4 with the tightened constant alone" in c["name"]]
    assert c["outcome"] == ("pass" if g["sound"] else "fail")
    assert g["rho_hat"] >= 0
    assert g["certificate_at_rho_hat"] == pytest.approx(g["gamma"] * g["rho_hat"] + g["surrogate_mean"], rel=1e-9)
    # the envelope: margin and paper line re-derived from its points (C(rho) = min over sound
    # penalties of gamma*rho + value)
    env = d["envelope"]
    assert env["n"] == SETTINGS["certificate"]["tiny"]["n"]
    assert [p["gamma"] for p in env["points"]] == [PAPER_GAMMA * 2.0 ** (i - 2) for i in range(7)]
    sound = [p for p in env["points"] if p["sound"]]
    margin = min(min(p["gamma"] * w["rho"] + p["value"] for p in sound) - w["loss"] for w in env["worst_cases"]) \
        if sound and env["worst_cases"] else None
    assert (margin is None) == (env["worst_case_margin"] is None)
    (c,) = [c for c in st["checks"] if c["name"].startswith("Every attack's worst case on the test set lies on or below")]
    assert c["evidence"] == "tested" and f"over {len(env['worst_cases'])} attack points" in c["summary"]
    if margin is None:
        assert c["outcome"] == "vacuous"
    else:
        assert env["worst_case_margin"] == pytest.approx(margin, rel=1e-9, abs=1e-12)
        assert c["outcome"] == ("pass" if env["worst_case_margin"] >= 0 else "fail")
    (paper,) = [p for p in env["points"] if p["gamma"] == PAPER_GAMMA]
    (c,) = [c for c in st["checks"] if c["name"] == "The paper's γ = 2 certificate line on the test set is sound (statement (15))"]
    assert c["outcome"] == ("pass" if paper["sound"] else "fail") and c["evidence"] == SOUND_EVIDENCE
    assert d["caveats"] and all(x.endswith(".") and x[:1].isupper() for x in d["caveats"])
    for m in ("erm", "fgm", "wrm"):
        errors = d["attacks"][m]["pgm"]["errors"]
        assert len(errors) == 6 and all(0 <= e <= 1 for e in errors)


def test_audit_stage_values(report):
    from checker.audit.words import STATUSES
    from checker.registry import THEOREMS

    _, data, out = report
    st = _stage(data, "audit")
    assert all(c["evidence"] == "audit" for c in st["checks"])
    names = [c["name"] for c in st["checks"]]
    for thm in THEOREMS:
        (c,) = [c for c in st["checks"] if c["name"].startswith(thm.title + ":")]
        t = st["data"]["theorems"][thm.node]
        assert c["outcome"] == ("pass" if t["passed"] else "fail")
        # the honest status words of the audit, not the bare status key
        assert c["summary"].startswith(t["status_text"]) and t["status"] in STATUSES
        if t["status"] == "stated":  # prose only: passing steps, but the statement itself is not checked
            assert c["name"].endswith("(the theorem's own statement is prose only, not checked)")
        if t["status"] == "checked modulo":
            assert t["status_text"].startswith("checked modulo ") and t["status_text"] != "checked modulo"
    assert len(names) >= len(THEOREMS)
    for key, t in st["data"]["theorems"].items():
        assert isinstance(t["passed"], bool)
    # the layered dependency graph: one drawn per theorem, every edge between known nodes
    graph = st["data"]["graph"]
    ids = {n["id"] for n in graph["nodes"]}
    assert graph["theorems"] == [t.node for t in THEOREMS] and set(graph["theorems"]) <= ids
    assert all(len(e) == 3 and e[0] in ids and e[1] in ids for e in graph["edges"])
    page = (out / "report.html").read_text()
    assert page.count("<svg") >= len(THEOREMS) and "data:image/png;base64" not in page.split("Proof audit")[-1]
    assert "Errata: where informal restatements differ from the papers" in page
    assert "seed slide" not in page.lower() and "<pre" not in page
    assert "<math" in page
    assert st["data"]["caveats"] and all(x.endswith(".") for x in st["data"]["caveats"])


def test_every_figure_exists_and_decodes(report):
    import matplotlib.image as mpimg
    import numpy as np

    _, data, out = report
    n = 0
    for s in data["stages"]:
        for caption, rel in s["figures"].items():
            img = mpimg.imread(out / rel)
            assert img.ndim == 3 and img.shape[0] >= 100 and img.shape[1] >= 100, (caption, img.shape)
            assert float(np.asarray(img, dtype=float).std()) > 0.01, caption  # not blank
            n += 1
    assert n >= 6  # fooling, birthday curve (+pairs), Figure 1, Figure 2 panel, envelope, attacks


def test_provenance_in_report(report):
    _, data, _ = report
    prov = data["provenance"]
    assert prov["scale"] == "tiny" and prov["seeds"]["seed"] == 0
    assert "--tiny" in prov["command"] and prov["git_commit"]
    assert prov["versions"]["checker"]


def test_second_run_reuses_every_stage(report, capsys):
    _, data, out = report
    capsys.readouterr()
    code = main(["run", "--tiny", "--device", "cpu", "--out", str(out), "--json"])
    res = json.loads(capsys.readouterr().out)
    assert code == (0 if data["passed"] else 1)
    assert all(s["cached"] for s in res["stages"])
    assert [c["outcome"] for s in res["stages"] for c in s["checks"]] == \
        [c["outcome"] for s in data["stages"] for c in s["checks"]]
