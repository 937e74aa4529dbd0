"""Pins of ``checker.birthday.stats`` and ``checker.birthday.calibrate``: defaults, every input
rule, and every boundary (``<`` vs ``<=``) of the estimators.

References: hand-built point sets whose nearest-neighbour distances are known in closed form
(points at the triangular numbers k(k+1)/2: gaps 1, 2, 3, ...), exact rationals
(``fractions.Fraction``) and ``math.comb`` counts; interval ends come from the interval functions
themselves only where the test is about how an estimator *maps* them (their own values are
pinned in tests/birthday/test_estimators.py against their tail equations).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from checker.birthday.calibrate import calibrate_threshold, fixed_threshold
from checker.birthday.stats import (
    Interval,
    clopper_pearson,
    collision_count_estimate,
    nonuniformity_test,
    poisson_interval,
    s_half,
    tb_heuristic_estimate,
    uniform_inversion_estimate,
)
from checker.bounds.birthday import invert_uniform, tb_estimate
from checker.errors import InvalidArgument
from checker.tolerances import NONUNIFORM_ALPHA


def mk(v, lo, hi):
    return Interval(value=v, low=lo, high=hi, confidence=0.95)


# ---- calibration ------------------------------------------------------------------------------

#: 201 points at the triangular numbers k(k+1)/2 (gaps 1, 2, ..., 200): the nearest-neighbour
#: distance of point k is min(k, k+1) = k for k >= 1 and 1 for k = 0, so the sorted distances
#: are 1, 1, 2, 3, ..., 200; pairs within distance t: the t gaps 1..t plus none else for t <= 2
TRI = torch.tensor([[k * (k + 1) / 2] for k in range(201)], dtype=torch.float64)
TRI_NN = np.array([1.0] + [float(k) for k in range(1, 201)])


def test_calibration_defaults_and_counts():
    thr = calibrate_threshold(TRI)
    # default quantile 0.01: the inverted-CDF quantile is the ceil(0.01 * 201) = 3rd smallest = 2
    assert thr.quantile == 0.01 and thr.value == 2.0 and thr.n_real == 201
    # pairs within 2: (0,1) at 1 and (1,2) at 2 (the pair (0,2) is at 3): 2 of C(201, 2) = 20100
    fa = thr.pair_false_alarm
    assert fa.value == 2 / 20100 and fa.confidence == 0.95
    ref = clopper_pearson(2, 20100, confidence=0.95)
    assert (fa.low, fa.high) == (ref.low, ref.high)
    assert thr.nn_quantiles == {str(p): float(np.quantile(TRI_NN, p)) for p in (0.0, 0.001, 0.01, 0.05, 0.5)}
    assert thr.nn_quantiles["0.0"] == 1.0 and thr.nn_quantiles["0.5"] == 100.0
    assert thr.source == "real held-out data"
    # the trial bounds: union bound min(1, C(s,2) p_high), estimate 1 - (1 - p)^C(s,2)
    for s in (2, 3, 10, 400):
        assert thr.trial_false_alarm_bound(s) == min(1.0, math.comb(s, 2) * fa.high)
        want = 1 - (1 - 2 / 20100) ** math.comb(s, 2)
        assert thr.trial_false_alarm_estimate(s) == pytest.approx(want, rel=1e-12)
    assert thr.trial_false_alarm_bound(400) == 1.0 > thr.trial_false_alarm_bound(10)
    other = calibrate_threshold(TRI, quantile=0.03, confidence=0.5, source="x")
    assert other.value == 6.0 and other.pair_false_alarm.confidence == 0.5 and other.source == "x"


def test_calibration_pair_count_at_a_larger_threshold():
    # tau = 6 (quantile 0.03: ceil(6.03) = 7th smallest = 6). Pairs (a, b) with
    # b(b+1)/2 - a(a+1)/2 <= 6, counted by brute force on the triangular numbers
    pos = [k * (k + 1) // 2 for k in range(201)]
    within = sum(1 for a in range(201) for b in range(a + 1, 201) if pos[b] - pos[a] <= 6)
    thr = calibrate_threshold(TRI, quantile=0.03)
    assert thr.value == 6.0
    assert thr.pair_false_alarm.value == within / 20100


def test_calibration_input_rules():
    three = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)
    assert calibrate_threshold(three, quantile=0.5).n_real == 3
    with pytest.raises(InvalidArgument, match=r"^real\.shape\[0\]=2 must be >= 3"):
        calibrate_threshold(three[:2])
    with pytest.raises(InvalidArgument, match="^quantile="):
        calibrate_threshold(three, quantile=1.5)


def test_fixed_threshold():
    t = fixed_threshold(2.5)
    assert (t.value, t.quantile, t.n_real, t.pair_false_alarm, t.nn_quantiles) == (2.5, None, 0, None, {})
    assert "not calibrated" in t.source
    assert t.trial_false_alarm_bound(10) is None and t.trial_false_alarm_estimate(10) is None
    assert fixed_threshold(0.0).value == 0.0
    with pytest.raises(InvalidArgument, match="^threshold="):
        fixed_threshold(-1.0)


# ---- intervals --------------------------------------------------------------------------------

def test_interval_defaults_and_rules():
    assert clopper_pearson(3, 10).confidence == 0.95
    assert clopper_pearson(3, 10) == clopper_pearson(3, 10, confidence=0.95)
    assert clopper_pearson(3, 10).value == 0.3
    assert poisson_interval(4).confidence == 0.95
    assert poisson_interval(4) == poisson_interval(4, confidence=0.95)
    assert poisson_interval(4).value == 4.0
    # k = n = 1 is allowed; the ends are then 0.025 and 1 (p^1 = alpha/2)
    one = clopper_pearson(1, 1)
    assert one.high == 1.0 and one.low == pytest.approx(0.025, rel=1e-12)
    zero = clopper_pearson(0, 1)
    assert zero.low == 0.0 and zero.high == pytest.approx(0.975, rel=1e-12)
    for call, name in [(lambda: clopper_pearson(0, 0), "n="), (lambda: clopper_pearson(-1, 5), "k="),
                       (lambda: clopper_pearson(6, 5), "k="), (lambda: clopper_pearson(1, 5, confidence=2.0), "confidence="),
                       (lambda: poisson_interval(-1), "k="), (lambda: poisson_interval(1, confidence=-0.5), "confidence=")]:
        with pytest.raises(InvalidArgument) as e:
            call()
        assert str(e.value).startswith(name)


# ---- the crossing -----------------------------------------------------------------------------

def test_s_half_rules_and_bracket_boundaries():
    with pytest.raises(InvalidArgument, match="^s_values="):
        s_half([], [])
    with pytest.raises(InvalidArgument, match="^s_values="):
        s_half([4, 8], [mk(0.1, 0.0, 0.2)])
    # an interval ending exactly at 1/2 is not "wholly below" (strict), one starting exactly at
    # 1/2 is not "wholly above"
    sh = s_half([4, 8, 16, 32], [mk(0.1, 0.0, 0.4), mk(0.3, 0.1, 0.5), mk(0.7, 0.5, 0.8), mk(0.9, 0.6, 1.0)])
    assert (sh.low, sh.high) == (4, 32)
    # crossing between 8 (0.3) and 16 (0.7): half way in log s, the geometric mean 8 sqrt 2
    assert sh.value == pytest.approx(8 * math.sqrt(2), rel=1e-12)
    assert "interpolated" in sh.note
    never = s_half([4, 8], [mk(0.1, 0.0, 0.3), mk(0.2, 0.0, 0.49)])
    assert (never.value, never.low, never.high) == (None, 8, None)
    assert "never reaches 1/2" in never.note


# ---- support estimates ------------------------------------------------------------------------

def test_collision_count_estimate_edges_and_defaults():
    est = collision_count_estimate(100, 0)
    ci = poisson_interval(0)
    assert est.value == math.inf and est.high == math.inf and est.low == 100 / ci.high
    assert est.method == "collision_count"
    assert collision_count_estimate(100, 4) == collision_count_estimate(100, 4, confidence=0.95)
    one = collision_count_estimate(1, 1)
    assert one.value == 1.0 and one.high == 1 / poisson_interval(1).low
    with pytest.raises(InvalidArgument, match="^pairs_total="):
        collision_count_estimate(0, 1)
    with pytest.raises(InvalidArgument, match="^collisions="):
        collision_count_estimate(10, -1)


def test_uniform_inversion_and_tb_edges():
    s = 20
    for est_fn in (uniform_inversion_estimate, tb_heuristic_estimate):
        assert est_fn(s, mk(0.0, 0.0, 0.1)) is None
        assert est_fn(s, mk(1.0, 0.9, 1.0)) is None
    # interval ends exactly 0 and 1: the support interval is (0, inf)
    e = uniform_inversion_estimate(s, mk(0.5, 0.0, 1.0))
    assert (e.low, e.high, e.s, e.method) == (0.0, math.inf, 20, "uniform_inversion")
    assert e.value == float(invert_uniform(0.5, 20))
    e = uniform_inversion_estimate(s, mk(0.5, 0.25, 0.75))
    assert e.low == float(invert_uniform(0.75, 20)) and e.high == float(invert_uniform(0.25, 20))
    t = tb_heuristic_estimate(s, mk(0.5, 0.0, 1.0))
    assert (t.low, t.high, t.s, t.method) == (0.0, math.inf, 20, "tb_heuristic")
    assert t.value == tb_estimate(20, 0.5, 1)
    t = tb_heuristic_estimate(s, mk(0.5, 0.25, 0.75))
    assert t.low == tb_estimate(20, 0.75, 1) and t.high == tb_estimate(20, 0.25, 1)
    # where T-b is not finite (here: a rate of 1e-300, whose estimate overflows) there is none
    assert not math.isfinite(tb_estimate(20, 1e-300, 1))
    assert tb_heuristic_estimate(20, mk(1e-300, 0.0, 0.1)) is None


def test_nonuniformity_edges():
    opp = 1000.0
    for kw in (dict(n_low=math.inf), dict(n_low=0.0), dict(n_low=-3.0), dict(n_low=10.0, opp=0.0)):
        o = kw.pop("opp", opp)
        r = nonuniformity_test(triples=2, triple_opportunities=o, **kw)
        assert not r.testable and not r.flagged and r.p_value == 1.0 and math.isnan(r.triples_expected_uniform)
        assert r.triples_observed == 2 and "not testable" in r.test
    # any positive finite support is testable, however small (boundary of n_low <= 0)
    for n_low in (1.0, 0.5):
        small = nonuniformity_test(triples=3, triple_opportunities=2.0, n_low=n_low)
        assert small.testable and small.triples_expected_uniform == 2.0 / n_low**2
    # one triple opportunity (a single trial of s = 3: C(3, 3) = 1) is testable too
    one_opp = nonuniformity_test(triples=1, triple_opportunities=1.0, n_low=2.0)
    assert one_opp.testable and one_opp.triples_expected_uniform == 0.25
    r = nonuniformity_test(triples=0, triple_opportunities=opp, n_low=10.0)
    assert r.testable and r.p_value == 1.0 and not r.flagged
    assert r.triples_expected_uniform == 10.0  # 1000 / 10^2
    assert r.alpha == NONUNIFORM_ALPHA
    # the flag is p < alpha, strictly: at alpha = p exactly it is not raised
    r = nonuniformity_test(triples=25, triple_opportunities=opp, n_low=10.0)
    p = r.p_value
    assert 0 < p < 1
    assert not nonuniformity_test(triples=25, triple_opportunities=opp, n_low=10.0, alpha=p).flagged
    assert nonuniformity_test(triples=25, triple_opportunities=opp, n_low=10.0,
                              alpha=float(np.nextafter(p, 1.0))).flagged
    # P(X >= 1) = 1 - e^-mu for one triple at mu = 10
    one = nonuniformity_test(triples=1, triple_opportunities=opp, n_low=10.0)
    assert one.p_value == pytest.approx(-math.expm1(-10.0), rel=1e-12)
    with pytest.raises(InvalidArgument, match="^triples="):
        nonuniformity_test(triples=-1, triple_opportunities=opp, n_low=10.0)
    with pytest.raises(InvalidArgument, match="^alpha="):
        nonuniformity_test(triples=1, triple_opportunities=opp, n_low=10.0, alpha=1.5)
