"""The stages' verdict rules on hand-made inputs (cheap, no training): each rule can pass, fail
and, where it has one, be vacuous. The full stages run in tests/cli/test_run_smoke.py."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from checker import stages
from checker.pipeline import SCALES


def test_settings_cover_every_stage_and_scale():
    assert set(stages.SETTINGS) == {s.name for s in stages.STAGES} - {"bounds"}
    for name, per_scale in stages.SETTINGS.items():
        assert set(per_scale) == set(SCALES), name


def test_stage_sources_exist_and_reads_are_earlier_stages():
    from checker.pipeline import PACKAGE_ROOT, REPO_ROOT

    seen = set()
    for s in stages.STAGES:
        assert set(s.reads) <= seen, s.name
        seen.add(s.name)
        for src in s.sources:
            path = REPO_ROOT / src[5:] if src.startswith("repo:") else PACKAGE_ROOT / src
            assert path.exists(), (s.name, src)


def _panel(acc, radius):
    return {"test_accuracy": acc, "mean_radius": radius, "spread": 0.1}


def test_training_checks_pass_and_fail():
    good = {m: _panel(0.99, 1.5) for m in ("erm", "fgm", "ifgm", "pgm")} | {"wrm": _panel(0.97, 1.8)}
    checks = stages.training_checks({"elu": good})
    assert [c.outcome for c in checks] == ["pass"] * 6
    assert checks[-1].name == "WRM with ELU pushes the decision boundary further out than ERM (paper, Figure 1)"
    bad = dict(good, erm=_panel(0.94, 1.9), wrm=_panel(0.95, None))  # 0.95 is the floor: passes
    outcomes = {c.name.split(" reaches")[0]: c.outcome for c in stages.training_checks({"relu": bad})}
    assert outcomes["ERM with RELU"] == "fail" and outcomes["WRM with RELU"] == "pass"
    assert stages.training_checks({"relu": bad})[-1].outcome == "fail"  # no boundary found: not "further out"


def test_birthday_checks_use_the_factor_both_ways():
    truth = {"support": 100, "collision_support": 80.0}
    inside = stages.birthday_checks(100.0, truth, 2.0)
    assert [c.outcome for c in inside] == ["pass", "pass"]
    assert [c.outcome for c in stages.birthday_checks(201.0, truth, 2.0)] == ["fail", "fail"]
    assert [c.outcome for c in stages.birthday_checks(45.0, truth, 2.0)] == ["fail", "pass"]  # 40 <= 45 < 50
    assert [c.outcome for c in stages.birthday_checks(math.inf, truth, 2.0)] == ["fail", "fail"]
    assert [c.outcome for c in stages.birthday_checks(math.nan, truth, 2.0)] == ["fail", "fail"]


def _fig(sound, ok=True):
    return SimpleNamespace(test={"sound": sound}, checks={
        "test_certificate_not_exceeded": (ok, "worst margin 0.01"),
        "identity_13_train": (True, "identity holds")})


def test_figure2_checks_are_vacuous_when_the_test_certificate_is_an_estimate():
    est = stages.figure2_checks(_fig(False), "γ = 2")
    assert [c.outcome for c in est] == ["vacuous", "pass"]
    assert "vacuous: the test-set certificate is an estimate" in est[0].summary
    assert est[0].evidence == "measured"
    sound = stages.figure2_checks(_fig(True), "γ = 300")
    assert [c.outcome for c in sound] == ["pass", "pass"] and sound[0].evidence == "tested"
    assert [c.outcome for c in stages.figure2_checks(_fig(True, ok=False), "γ = 300")] == ["fail", "pass"]
    assert sound[0].name == "At γ = 300, no test worst-case point lies above the test-set certificate"


def _row(m, gap_low, eps, distinct, draws=2000):
    return SimpleNamespace(m=m, gap=gap_low + 0.05, gap_ci_low=gap_low, gap_ci_high=gap_low + 0.1,
                           generator="relu", explicit_eps=eps, distinct_nonnoise_outputs=distinct,
                           support_draws=draws)


def test_fooling_checks_follow_the_library_verdicts():
    from checker.gan.fooling import FoolingConfig, FoolingResult

    rows = (_row(1, 0.7, math.inf, 1), _row(64, 0.3, 0.2, 64), _row(256, 0.05, 0.5, 300),
            _row(4096, 0.0, 0.9, 1500))
    result = FoolingResult(config=FoolingConfig(m_grid=(1, 64, 256, 4096)), rows=rows, p=10, L=1.0,
                           L_phi=1.0, Delta=1.0, mstar=10**6, level=0.25, empirical_threshold=None,
                           threshold_ratio=None, distinct_real_images=1797)
    checks = stages.fooling_checks(result)
    assert [c.outcome for c in checks] == [
        "vacuous", "pass",   # m = 1: eps = inf; 1 distinct output <= 1
        "fail", "pass",      # m = 64: lower bound 0.3 > eps 0.2 (a trained D beat the bound)
        "pass", "fail",      # m = 256: 0.05 <= 0.5; 300 distinct outputs > m
        "pass", "vacuous",   # m = 4096: >= 1797 distinct real images: the count cannot exceed m
    ]
    assert checks[2].name == "At m = 64 the measured gap is consistent with the explicit bound ε(m)"
    assert "vacuous:" in checks[0].summary and "vacuous:" in checks[7].summary


def test_construction_checks_from_a_report():
    from checker.bounds.arora_construction import generator_param_count

    pair = SimpleNamespace(m=4, d=64, d_tilde=8)
    n = generator_param_count(4, 64, 8)
    rep = SimpleNamespace(generator_params=n, encoder_nonzeros=8, max_inversion_error=0.0,
                          max_inversion_error_ideal=0.0, n_codes=100, max_offramp_deviation=0.0,
                          offramp_error_bound=1e-9, n_onramp=3, ramp_mass_exact=0.01, ramp_mass_bound=0.02)
    assert n == 2 * 3 * (64 - 8 + 2) + 64  # Theorem 1's count by hand
    assert [c.outcome for c in stages.construction_checks(pair, rep)] == ["pass"] * 5
    broken = SimpleNamespace(**{**rep.__dict__, "generator_params": n + 1, "max_inversion_error": 0.5,
                                "max_offramp_deviation": 1.0, "ramp_mass_exact": 0.5})
    assert [c.outcome for c in stages.construction_checks(pair, broken)] == ["fail", "pass", "fail", "fail", "fail"]


@pytest.mark.parametrize("v, text", [(math.inf, "inf"), (-math.inf, "-inf"), (math.nan, "nan"), (0.5, "0.5"), ("x", "x")])
def test_fmt(v, text):
    assert stages._fmt(v) == text


def _cert(sound, argument="local", fractions=None, **kw):
    return {"sound": sound, "argument": argument, "status": "sound" if sound else "estimate",
            "reason": "per-example sound bounds" if sound else "gamma=2 must exceed L_zz/2",
            "method_fractions": {"local": 0.97, "bnb": 0.02, "fallback": 0.01} if fractions is None else fractions,
            "bnb_converged_fraction": 1.0, "allowance_max": 3e-15, **kw}


def test_soundness_check_follows_the_certificate():
    ok = stages.soundness_check(_cert(True), "γ = 2")
    assert ok.outcome == "pass" and ok.evidence == stages.SOUND_EVIDENCE
    assert ok.name == ("The γ = 2 certificate on the training set is sound "
                       "(per-example bounds: local 97.0%, branch-and-bound 2.0%, fallback 1.0%)")
    assert "largest rounding allowance 3e-15" in ok.summary
    assert stages.soundness_check(_cert(False), "γ = 2").outcome == "fail"
    assert stages.soundness_check(_cert(None), "γ = 2").outcome == "fail"  # missing: never a pass
    glob = stages.soundness_check(_cert(True, argument="global", fractions={}, mu=0.5), "γ = 9")
    assert "Corollary 4" in glob.name and "μ = 0.5" in glob.summary and glob.outcome == "pass"


def _envelope(points, worst, paper_gamma=2.0):
    """An envelope summary with its margin computed here from the definition
    C(ρ) = min over sound penalties of γρ + value (docs/math/sinha.md, The certificate)."""
    sound = [(g, v) for g, v, s in points if s]
    margin = min(min(g * r + v for g, v in sound) - loss for r, loss in worst) if sound and worst else None
    paper = [s for g, _, s in points if g == paper_gamma]
    return {"n": 10, "paper_gamma": paper_gamma, "paper_line_sound": paper[0] if paper else None,
            "points": [{"gamma": g, "value": v, "sound": s, "reason": "r"} for g, v, s in points],
            "worst_cases": [{"gamma_adv": 1.0, "rho": r, "loss": loss} for r, loss in worst],
            "worst_case_margin": margin}


def test_envelope_checks_pass_fail_and_vacuous():
    # C(0.1) = min(2*0.1 + 0.3, 4*0.1 + 0.2) = 0.5; C(0.5) = min(1.3, 2.2) = 1.3
    good = stages.envelope_checks(_envelope([(2.0, 0.3, True), (4.0, 0.2, True)], [(0.1, 0.45), (0.5, 1.0)]))
    assert [c.outcome for c in good] == ["pass", "pass"]
    assert [c.evidence for c in good] == ["tested", stages.SOUND_EVIDENCE]
    assert "over 2 attack points" in good[0].summary and "margin C(ρ_k) − loss_k = 0.05" in good[0].summary
    # a worst case above the envelope (0.51 > C(0.1) = 0.5): the sampled test fails
    above = stages.envelope_checks(_envelope([(2.0, 0.3, True), (4.0, 0.2, True)], [(0.1, 0.51)]))
    assert above[0].outcome == "fail"
    # the paper's penalty only estimated, the other one sound
    est = stages.envelope_checks(_envelope([(2.0, 0.3, False), (4.0, 0.2, True)], [(0.1, 0.5)]))
    assert [c.outcome for c in est] == ["pass", "fail"]  # C(0.1) = 0.6 >= 0.5
    # no sound penalty: the envelope says nothing, so its check is vacuous (never a pass)
    none = stages.envelope_checks(_envelope([(2.0, 0.3, False)], [(0.1, 0.2)]))
    assert [c.outcome for c in none] == ["vacuous", "fail"]
