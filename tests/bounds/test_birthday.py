"""Birthday-paradox formulas: reference values (docs/math/birthday.md), T-a refutation rows,
the rigorous mass bound, inversions and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, strategies as st

from checker.bounds import evaluate, solve_for
from checker.bounds.birthday import (collision_probability, exp_upper_bound, invert_uniform,
                                     mass_collision_lower_bound, no_collision_probability,
                                     sample_size_for, ta_reported_bound, tb_estimate,
                                     tb_vacuity_threshold)
from checker.tolerances import BOUND_ROUND_TRIP_REL, FLOAT64_ABS, FLOAT64_REL, STAT_ALPHA


def test_birthday_23_of_365():
    # docs/math/birthday.md [R, standard]: 23 people, 365 days -> 0.5073
    assert collision_probability(365, 23) == pytest.approx(0.5073, abs=5e-5)
    exact = collision_probability(365, 23, exact=True)
    assert isinstance(exact, sp.Rational)
    # independent: fractions product
    from fractions import Fraction

    prod = Fraction(1)
    for i in range(1, 23):
        prod *= Fraction(365 - i, 365)
    assert exact == 1 - sp.Rational(prod.numerator, prod.denominator)
    assert sample_size_for(0.5, 365) == 23


def test_pigeonhole():
    assert no_collision_probability(3, 5) == 0
    assert collision_probability(3, 4, exact=True) == 1


def test_tb_reference_values():
    # docs/math/birthday.md [S]/[D]
    assert round(tb_estimate(400, 0.5)) == 115_549
    assert round(invert_uniform(0.5, 400)) == 115_127
    assert round(tb_estimate(1000, 0.5)) == 721_681
    assert round(invert_uniform(0.5, 1000)) == 720_626
    assert tb_vacuity_threshold(400, 0.5) == pytest.approx(0.00294, abs=5e-6)
    assert round(tb_estimate(400, 0.5, 0.999)) == 130_383
    assert tb_estimate(400, 0.5, 0.99) == math.inf


def test_tb_vacuity_threshold_is_where_denominator_vanishes():
    thr = tb_vacuity_threshold(400, 0.5)
    den = evaluate("birthday-tb", M=400, rate=0.5, rho=1 - thr, name="denominator").value
    assert abs(den) < FLOAT64_ABS
    assert tb_estimate(400, 0.5, 1 - thr * 1.001) == math.inf
    assert math.isfinite(tb_estimate(400, 0.5, 1 - thr * 0.999))


# (N, rho, M) rows of docs/math/birthday.md with the true collision probability and T-a's value
TA_ROWS = [((1, 0.1, 2), 0.0100, 0.0952), ((1, 0.5, 3), 0.5000, 0.777),
           ((1000, 0.5, 60), 0.3562, 0.587)]


@pytest.mark.parametrize("row,true_p,ta", TA_ROWS)
def test_ta_counterexamples(row, true_p, ta):
    bound = mass_collision_lower_bound(*row)
    assert bound == pytest.approx(true_p, abs=5e-4)
    assert ta_reported_bound(*row) == pytest.approx(ta, abs=5e-4)
    assert ta_reported_bound(*row) > bound  # T-a claims more than is true: refuted


def test_mass_bound_exact_small_rows():
    # (1, 0.1, 2): collision iff both samples hit the single atom: 0.1^2 (hand derivation)
    assert mass_collision_lower_bound(1, 0.1, 2, exact=True) == sp.Rational(1, 100)
    # (1, 0.5, 3): P(at least two of three hit the atom) = 3/8 + 1/8 (hand derivation)
    assert mass_collision_lower_bound(1, 0.5, 3, exact=True) == sp.Rational(1, 2)


def _simulate(N, rho, M, n, rng):
    """Collision frequency on the counterexample family: N atoms of mass rho/N plus an atomless
    remainder (samples outside S get unique labels)."""
    inside = rng.random((n, M)) < rho
    labels = rng.integers(0, N, size=(n, M))
    labels = np.where(inside, labels, N + np.arange(M)[None, :])
    s = np.sort(labels, axis=1)
    return np.mean(np.any(s[:, 1:] == s[:, :-1], axis=1))


@pytest.mark.parametrize("row", [(5, 0.6, 4), (50, 0.3, 20), (1000, 0.5, 60)])
def test_mass_bound_matches_simulation(row):
    rng = np.random.default_rng(12345)
    n = 20_000
    freq = _simulate(*row, n, rng)
    p = mass_collision_lower_bound(*row)
    from scipy.stats import norm

    z = norm.ppf(1 - STAT_ALPHA / 2)
    half = z * math.sqrt(max(p * (1 - p), 1.0 / n) / n)  # variance floored at one event
    assert abs(freq - p) <= half  # equality case of the bound: frequency within the CI


@given(st.integers(1, 2000), st.integers(1, 300))
@example(365, 23)
def test_exp_bound_dominates(N, M):
    assert exp_upper_bound(N, M) >= no_collision_probability(N, M) * (1 - FLOAT64_REL)


@given(st.integers(1, 60), st.floats(0.01, 1.0), st.integers(1, 60))
def test_mass_bound_rho1_is_uniform_and_monotone_in_rho(N, rho, M):
    assert mass_collision_lower_bound(N, 1, M) == pytest.approx(collision_probability(N, M),
                                                                abs=FLOAT64_ABS)
    assert mass_collision_lower_bound(N, rho, M) <= collision_probability(N, M) + FLOAT64_ABS


@given(st.floats(0.01, 0.99), st.integers(2, 5000))
def test_uniform_inversion_round_trip(rate, M):
    N = invert_uniform(rate, M)
    # exp-bound identity: exp(-M(M-1)/(2N)) = 1 - rate
    assert math.exp(-M * (M - 1) / (2 * N)) == pytest.approx(1 - rate, rel=BOUND_ROUND_TRIP_REL)
    inv = solve_for("birthday-inversion", "rate", target=N, values={"M": M})
    assert inv.value == pytest.approx(rate, rel=BOUND_ROUND_TRIP_REL * 10)


@given(st.floats(0.05, 0.95), st.integers(2, 3000))
def test_sample_size_is_smallest(q, N):
    M = sample_size_for(q, N)
    assert collision_probability(N, M) >= q
    assert M == 1 or collision_probability(N, M - 1) < q
    inv = solve_for("birthday-collision", "M", target=q, values={"N": N}, name="collision")
    assert inv.value == M and inv.method == "integer-bisection"
