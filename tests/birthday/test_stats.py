"""Statistics of the birthday test: interval formulas and the simulated collision frequency."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given

from checker.birthday.experiments import simulate_collisions
from checker.birthday.stats import (
    Interval,
    clopper_pearson,
    collision_count_estimate,
    nonuniformity_test,
    poisson_interval,
    s_half,
)
from checker.bounds.birthday import collision_probability
from checker.tolerances import STAT_ALPHA
from tests.strategies.birthday import uniform_cases


def test_clopper_pearson_closed_forms():
    # hand derivation: for k = 0 the upper end solves (1-p)^n = alpha/2, for k = n the lower
    # end solves p^n = alpha/2
    ci = clopper_pearson(0, 10, confidence=0.95)
    assert ci.low == 0.0 and ci.high == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-10)
    ci = clopper_pearson(10, 10, confidence=0.95)
    assert ci.high == 1.0 and ci.low == pytest.approx(0.025 ** (1 / 10), rel=1e-10)


def test_poisson_interval_zero_count():
    # hand derivation: P(X=0 | mu) = exp(-mu) = alpha/2 gives the upper end -ln(alpha/2)
    ci = poisson_interval(0, confidence=0.95)
    assert ci.low == 0.0 and ci.high == pytest.approx(-math.log(0.025), rel=1e-10)


def test_s_half_interpolates_in_log_s():
    # hand derivation: rates 0.25 at s=10 and 0.75 at s=40: the crossing is the geometric mean 20
    r = [Interval(value=0.25, low=0.1, high=0.45, confidence=0.95),
         Interval(value=0.75, low=0.55, high=0.9, confidence=0.95)]
    sh = s_half([10, 40], r)
    assert sh.value == pytest.approx(20.0, rel=1e-12)
    assert (sh.low, sh.high) == (10, 40)


def test_s_half_never_crossing():
    r = [Interval(value=0.1, low=0.0, high=0.3, confidence=0.95)]
    assert s_half([10], r).value is None


def test_collision_count_estimate():
    # hand: 40 trials of s=10 give 40*45 = 1800 pairs; 9 collisions -> N = 200
    est = collision_count_estimate(1800, 9)
    assert est.value == 200.0 and est.low < 200.0 < est.high
    assert collision_count_estimate(1800, 0).value == math.inf


def test_nonuniformity_flags_excess_triples_only():
    # uniform prediction: 100 trials * C(20,3) / 100^2 = 11.4 triples
    opp = 100 * 1140
    assert not nonuniformity_test(triples=12, triple_opportunities=opp, n_low=100).flagged
    assert nonuniformity_test(triples=60, triple_opportunities=opp, n_low=100).flagged
    assert not nonuniformity_test(triples=0, triple_opportunities=opp, n_low=math.inf).testable


@given(uniform_cases)
@example((365, 23))
@example((2, 2))
def test_simulated_collision_frequency_matches_exact_formula(case):
    N, M = case
    trials = 4000
    k = simulate_collisions(N, M, trials, seed=N * 1000 + M)
    ci = clopper_pearson(k, trials, confidence=1 - STAT_ALPHA)
    p = float(collision_probability(N, M))
    assert ci.low <= p <= ci.high
