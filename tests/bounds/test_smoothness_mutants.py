"""Deep-network smoothness recursion, the tightened Corollary 4 (issue 12.3), and tests that pin
exact quantities (issue 17, bounds mutants): the factor 2 of the exp bound, the factor 8 of the
sufficient sample size, >= vs > in the integer searches. Every reference value below is computed
in this file independently of the code under test, with its origin stated.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from checker.bounds import evaluate, get
from checker.bounds.birthday import exp_upper_bound, sample_size_for
from checker.bounds.sinha_nn_smoothness import (ALPHA_L, BETA_L, LZZ, LZZ_TIGHT, L0, L1, Lyr,
                                                corollary4_tight_lzz, op, smoothness_constants)
from checker.tolerances import BOUND_ROUND_TRIP_REL


@pytest.mark.parametrize("lists", [
    ([1.5, 0.8, 1.2], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]),
    ([0.3], [0.25, ], [0.1]),
    ([2.0, 0.0, 3.0, 1.7], [1.0, 0.5, 2.0, 1.0], [0.0, 1.0, 3.0, 0.5]),
    ([4.9, 0.01, 1.0], [0.05, 3.0, 1.0], [3.0, 0.0, 0.2]),
])
def test_recursion_equals_the_statement_closed_form(lists):
    # the statement's closed form (21) expanded by sympy for n layers, evaluated at the lists
    ops, l0, l1 = lists
    n = len(ops)
    rep = {}
    for t in range(1, n + 1):
        rep[op[t]], rep[L0[t]], rep[L1[t]] = (sp.Float(ops[t - 1], 30), sp.Float(l0[t - 1], 30),
                                              sp.Float(l1[t - 1], 30))
    res = smoothness_constants(ops, l0, l1)
    for expr, got in ((ALPHA_L, res.alphas[-1]), (BETA_L, res.betas[-1]), (LZZ, res.lzz_bound),
                      (LZZ_TIGHT, res.lzz_bound_tight)):
        ref = float(expr.subs(Lyr, n).doit().xreplace(rep))
        assert got == pytest.approx(ref, rel=BOUND_ROUND_TRIP_REL, abs=1e-300)


def test_200_layers_and_overflow_are_handled():
    res = smoothness_constants([1.01] * 200, [1.0] * 200, [1.0] * 200)
    # independent: alpha_L = 1.01^200 (hand), beta_L = alpha_L * sum_j alpha_j (L0 = L1 = 1)
    a = 1.01**200
    b = a * sum(1.01**j for j in range(1, 201))
    assert res.alphas[-1] == pytest.approx(a, rel=1e-12)
    assert res.betas[-1] == pytest.approx(b, rel=1e-12)
    huge = smoothness_constants([1e300, 1e300], [1.0, 1.0], [1.0, 1.0])
    assert huge.lzz_bound == math.inf and huge.notes and "10^600" in huge.notes[0]


def test_tiny_activation_constants_do_not_divide_by_an_underflowed_square():
    # L0 = 1e-200: L0^2 underflows to 0 in float64, but (L1 / L0^2) alpha_1^2 = L1 op^2 exactly
    # (alpha_1 = L0 op). op = 1e100, L1 = 1: alpha_1 = 1e-100, beta_1 = 1e200 (hand), and
    # L_zz = sqrt(2) 1e200 + 1e-200. (A Hypothesis find: L0 = 5e-324 raised ZeroDivisionError.)
    res = smoothness_constants([1e100], [1e-200], [1.0])
    assert res.alphas[-1] == pytest.approx(1e-100, rel=1e-15, abs=0)
    assert res.betas[-1] == pytest.approx(1e200, rel=1e-15, abs=0)
    assert res.lzz_bound == pytest.approx(math.sqrt(2) * 1e200, rel=1e-15, abs=0) and res.notes == ()
    # everything underflows: reported as 0, with a note (the true values are positive)
    tiny = smoothness_constants([5e-324], [5e-324], [5e-324])
    assert tiny.lzz_bound == 0.0 and tiny.alphas[-1] == 0.0
    assert tiny.notes and "underflow" in tiny.notes[0] and "10^-646.6" in tiny.notes[0]
    # a zero norm makes the true bound 0: nothing underflowed, no note
    assert smoothness_constants([0.0], [1.0], [1.0]).notes == ()


def test_cor4_tight_constant_formula_and_order():
    res = smoothness_constants([1.5, 0.8, 1.2], [1.0] * 3, [1.0] * 3)
    # hand (elu): alpha_L = 1.44, beta_L = 1.44 * 4.14 -> sqrt 2 beta + alpha^2 / 2
    assert res.lzz_bound_tight == pytest.approx(math.sqrt(2) * 1.44 * 4.14 + 1.44**2 / 2)
    assert corollary4_tight_lzz([1.5, 0.8, 1.2], [1.0] * 3, [1.0] * 3) == res.lzz_bound_tight
    assert res.lzz_bound_tight < res.lzz_bound
    stmt = get("sinha-cor4-tight")
    assert stmt.reliability == "[D]" and stmt.form == "derived"


def test_softmax_cross_entropy_hessian_norm_at_most_half():
    # the derivation's step (ii): lambda_max(diag(s) - s s^T) <= 1/2, attained at s = (1/2, 1/2)
    rng = np.random.default_rng(0)
    worst = 0.0
    for k in (2, 3, 10, 100):
        for _ in range(200):
            u = rng.normal(scale=rng.uniform(0.1, 10), size=k)
            s = np.exp(u - u.max())
            s /= s.sum()
            worst = max(worst, np.linalg.eigvalsh(np.diag(s) - np.outer(s, s)).max())
    assert worst <= 0.5 + 1e-15
    s = np.array([0.5, 0.5])
    assert np.linalg.eigvalsh(np.diag(s) - np.outer(s, s)).max() == pytest.approx(0.5)
    # and ||s - e_y||_2 <= sqrt 2 (step (i)); equality approached as s -> e_j, j != y
    s = np.array([1 - 1e-9, 1e-9, 0.0])
    assert np.linalg.norm(s - np.array([0, 0, 1.0])) <= math.sqrt(2)


def test_cor4_tight_is_sound_on_a_one_layer_network():
    # one linear layer (identity activation: L0 = 1, L1 = 0): beta = 0, alpha = ||W||, so the
    # tight bound is ||W||^2 / 2; the true Hessian W^T H_CE W has norm <= ||W||^2/2 and reaches it
    # for W = I_2 at logits with s = (1/2, 1/2): lambda_max = 1/2 (hand)
    res = smoothness_constants([1.0], [1.0], [0.0])
    assert res.lzz_bound_tight == pytest.approx(0.5)
    s = np.array([0.5, 0.5])
    assert np.linalg.eigvalsh(np.diag(s) - np.outer(s, s)).max() == pytest.approx(0.5)
    assert res.lzz_bound == pytest.approx(1.0)  # the printed Corollary 4: loose by 2 here


# -- issue 17: exact quantities ------------------------------------------------------------------
@pytest.mark.parametrize("N,M", [(365, 23), (10**6, 1000), (7, 3)])
def test_exp_bound_has_the_factor_2(N, M):
    # 1 - x <= e^-x summed over i < M: exp(-M(M-1)/(2N)) (docs/math/birthday.md), via math.exp
    ref = math.exp(-M * (M - 1) / (2 * N))
    assert exp_upper_bound(N, M) == pytest.approx(ref, rel=1e-15)
    assert evaluate("birthday-exp-bound", N=N, M=M, name="collision_lower_bound").value == \
        pytest.approx(-math.expm1(-M * (M - 1) / (2 * N)), rel=1e-15)


@pytest.mark.parametrize("N,q", [(365, 0.5), (10**6, 0.99), (2, 0.1)])
def test_sufficient_sample_size_has_the_factor_8(N, q):
    # from exp(-M(M-1)/(2N)) <= 1 - q: M^2 - M - 2N ln(1/(1-q)) >= 0, root (1 + sqrt(1 + 8N y))/2
    ref = (1 + math.sqrt(1 + 8 * N * -math.log1p(-q))) / 2
    got = evaluate("birthday-sample-size", N=N, q=q, name="M_sufficient").value
    assert got == pytest.approx(ref, rel=1e-14)
    # and the exp bound at ceil(ref) really gives a collision probability >= q
    assert -math.expm1(-math.ceil(ref) * (math.ceil(ref) - 1) / (2 * N)) >= q


@pytest.mark.parametrize("N,q,expected", [
    (2, 0.5, 2),      # P(coll | N=2, M=2) = 1/2 exactly (hand): >= reaches it at M = 2
    (4, 0.625, 3),    # P(coll | 4, 3) = 1 - (3/4)(2/4) = 5/8 exactly (hand): >= gives 3, > gives 4
    (365, 0.5, 23),   # classical birthday value
])
def test_sample_size_integer_search_uses_ge(N, q, expected):
    assert sample_size_for(q, N) == expected


def test_explicit_eps_bisection_uses_le():
    # m = m*(eps0) exactly at eps0 = 1: explicit_eps(m) must return a float <= 1 with m*(.) <= m,
    # i.e. the boundary is included (m >= m*, not m > m*)
    from checker.bounds.arora_thm1 import explicit_eps, mstar

    m = mstar(10, 1, 1, 1, 1.0)
    e = explicit_eps(m, 10, 1, 1, 1)
    assert e <= 1.0 and mstar(10, 1, 1, 1, e) <= m
    assert mstar(10, 1, 1, 1, math.nextafter(e, 0)) > m


@given(st.integers(2, 400), st.integers(1, 60))
def test_collision_exact_equals_independent_product(N, M):
    # independent exact rational product (fractions), docs/math/birthday.md
    from fractions import Fraction

    p = Fraction(1)
    for i in range(1, M):
        p *= Fraction(N - i, N)
    if M > N:
        p = Fraction(0)
    got = evaluate("birthday-collision", N=N, M=M, name="collision", mode="exact").value
    assert got == sp.Rational((1 - p).numerator, (1 - p).denominator)


def test_ta_reported_forms_pin_their_constants():
    # T-a as reported (docs/math/birthday.md): 1 - exp(-(M^2 - M) rho / (2N)) and the rho^2
    # variant; at (N, rho, M) = (1, 0.1, 2): 1 - exp(-0.1) and 1 - exp(-0.01) (math.expm1)
    ev = evaluate("birthday-ta", N=1, rho=0.1, M=2).values
    assert ev["bound"] == pytest.approx(-math.expm1(-0.1), rel=1e-15)
    assert ev["bound_rho_squared"] == pytest.approx(-math.expm1(-0.01), rel=1e-15)


def test_inversion_scan_covers_each_domain_including_its_closed_end():
    from checker.bounds.invert import _grid
    from checker.bounds.statement import Param

    def grid(domain):
        return _grid(Param(name="x", paper="x", description="", domain=domain), None)

    g = grid("nonnegative")
    assert g[0] == 0.0 and g[1] <= 1e-300 and g[-1] >= 1e300
    g = grid("positive_int")
    assert g[0] == 1.0 and g[-1] >= 1e300
    g = grid("probability")
    assert 0 < g[0] <= 1e-300 and 1 - 3e-16 < g[-1] < 1  # within 2 ulps of 1
    assert grid("unit_interval")[-1] == 1.0
    g = grid("real")
    assert g[0] <= -1e300 and 0.0 in g and g[-1] >= 1e300
