"""Stable numerics (issue 13.1): held-out points against independent 50-digit mpmath formulas.

Every reference value here is computed in this file with mpmath from the formula as written in
docs/math (arora-thm1.md, birthday.md), **independently of the code under test** (no call into
checker.bounds for the reference). The points are the ones where float64 used to fail silently:
cancellation at p ~ 2^53, float ceilings above 2^53, underflow below 1e-300, 1 - prod, and
log(1/(1 - rate)).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, strategies as st

from checker.bounds import evaluate
from checker.bounds.arora_thm1 import explicit_eps, mstar
from checker.bounds.birthday import collision_probability, invert_uniform, sample_size_for
from checker.bounds.tolerances import EXACT_BITS_BUDGET, FLOAT_AGREE_REL
from checker.errors import InvalidArgument

DPS = 50


def ref_x_hoeffding(p, Delta, L, L_phi, eps, R=1, delta=1, dps=DPS):
    """8 Delta^2/eps^2 (p ln(1 + 16 R L L_phi / eps) + ln(2/delta)), docs/math/arora-thm1.md."""
    with mpmath.workdps(dps):
        p, Delta, L, L_phi, eps, R, delta = (mpmath.mpf(x) for x in (p, Delta, L, L_phi, eps, R,
                                                                     delta))
        return 8 * Delta**2 / eps**2 * (p * mpmath.log(1 + 16 * R * L * L_phi / eps)
                                        + mpmath.log(2 / delta))


def ref_mstar(*args, dps=200):
    with mpmath.workdps(dps):
        return int(mpmath.ceil(ref_x_hoeffding(*args, dps=dps))) + 1


def ref_log_failure(m, p, Delta, L, L_phi, eps, R=1, dps=DPS):
    """ln 2 + p ln(1 + 16RLL_phi/eps) - m eps^2/(8 Delta^2) (docs/math/arora-thm1.md)."""
    with mpmath.workdps(dps):
        m, p, Delta, L, L_phi, eps, R = (mpmath.mpf(x) for x in (m, p, Delta, L, L_phi, eps, R))
        return mpmath.log(2) + p * mpmath.log(1 + 16 * R * L * L_phi / eps) - m * eps**2 / (8 * Delta**2)


def ref_collision(N, M, dps=DPS):
    """1 - prod_{i<M}(1 - i/N) as -expm1(sum log1p(-i/N)) term by term (docs/math/birthday.md)."""
    if M > N:
        return mpmath.mpf(1)
    with mpmath.workdps(dps + len(str(N))):
        if M > 2000:  # falling factorial (N-1)_(M-1) / N^(M-1), at doubled precision
            with mpmath.workdps(2 * (dps + len(str(N)) + len(str(M)))):
                return 1 - mpmath.ff(N - 1, M - 1) / mpmath.mpf(N) ** (M - 1)
        s = mpmath.fsum(mpmath.log1p(-mpmath.mpf(i) / N) for i in range(1, M))
        return -mpmath.expm1(s)


def test_log_failure_at_p_2_53_keeps_its_digits():
    # before: float64 printed -4.0 / 0.0 here (cancellation of two ~1e17 terms)
    p = 2**53
    with mpmath.workdps(80):
        m = int(mpmath.floor(8 * (mpmath.log(2) + p * mpmath.log(17)))) + 1
    ref = ref_log_failure(m, p, 1, 1, 1, 1)
    assert -1 < ref < 0  # the regime of the issue: a small negative log failure
    ev = evaluate("arora-mstar", p=p, Delta=1, L=1, L_phi=1, eps=1, m=m,
                  name="log_failure_probability")
    assert ev.value == pytest.approx(float(ref), rel=FLOAT_AGREE_REL)
    assert any("lost digits" in n for n in ev.notes)  # the fallback says so
    fp = evaluate("arora-mstar", p=p, Delta=1, L=1, L_phi=1, eps=1, m=m,
                  name="failure_probability").value
    assert fp == pytest.approx(float(mpmath.exp(ref)), rel=FLOAT_AGREE_REL)


@pytest.mark.parametrize("p,eps", [(2**53, 1.0), (2**60, 1e-3), (10**7, 1e-6), (3, 0.7)])
def test_mstar_is_the_exact_integer_beyond_2_53(p, eps):
    ref = ref_mstar(p, 1, 1, 1, eps)
    got = mstar(p, 1, 1, 1, eps)
    assert isinstance(got, int) and got == ref


def test_mstar_tiny_delta_is_2_not_1():
    # X = 8 Delta^2/eps^2 (...) underflows to 0 in float64 for Delta = 1e-200: ceil(0) + 1 = 1
    # was printed; the exact value is ceil(X) + 1 = 2 since 0 < X < 1.
    assert ref_mstar(1, 1e-200, 1, 1, 1) == 2
    assert mstar(1, 1e-200, 1, 1, 1) == 2


@pytest.mark.parametrize("N,M", [(330_000_000_000_000_000_000_000_000_000, 2), (10**20, 3),
                                 (10**6, 1000), (365, 23), (2, 2), (10**15, 10**4)])
def test_collision_probability_no_cancellation(N, M):
    # before: 3e-30 printed as 0.0
    ref = ref_collision(N, M)
    assert collision_probability(N, M) == pytest.approx(float(ref), rel=FLOAT_AGREE_REL)


def test_collision_vectorised_matches_reference():
    import numpy as np

    Ms = np.array([1, 2, 10, 500, 999, 1000, 1001])
    out = evaluate("birthday-collision", N=1000, M=Ms, name="collision").value
    for m, v in zip(Ms, out):
        assert v == pytest.approx(float(ref_collision(1000, int(m))), rel=1e-12, abs=0)


@pytest.mark.parametrize("rate,M", [(1e-20, 10), (1e-300, 2), (0.5, 10**6), (1 - 1e-12, 50)])
def test_inversion_at_tiny_rate_is_finite(rate, M):
    # before: log(1/(1 - 1e-20)) = 0 in float64 and N = inf
    with mpmath.workdps(DPS):
        ref = mpmath.mpf(M) * (M - 1) / (2 * -mpmath.log1p(-mpmath.mpf(rate)))
    assert invert_uniform(rate, M) == pytest.approx(float(ref), rel=FLOAT_AGREE_REL)


@given(st.integers(2, 10**12), st.integers(1, 10**6), st.sampled_from([0.25, 1.0, 3.0]))
@example(m=4_065_680, p=1000, Delta=1.0)
@example(m=2, p=1, Delta=1.0)
def test_explicit_eps_contract_both_sides(m, p, Delta):
    # contract: smallest float eps with m >= m*(eps): m*(eps) <= m and m*(prev float) > m,
    # both sides decided with the independent 200-digit reference
    e = explicit_eps(m, p, Delta, 1, 1)
    assert ref_mstar(p, Delta, 1, 1, e) <= m
    assert ref_mstar(p, Delta, 1, 1, math.nextafter(e, 0)) > m


def test_sample_size_uses_ge_at_an_exact_tie():
    # N = 2, M = 2: P[collision] = 1/2 exactly (hand), so q = 0.5 is reached at M = 2 (>=, not >)
    assert ref_collision(2, 2) == mpmath.mpf(1) / 2
    assert sample_size_for(0.5, 2) == 2
    assert sample_size_for(0.5, 365) == 23  # the classical birthday number


def test_exact_mode_budget_falls_back_with_a_note():
    # the exact product would need ~1e7 bits (> EXACT_BITS_BUDGET): mpmath instead, with a note
    assert 10**5 * 2 * 30 > EXACT_BITS_BUDGET
    ev = evaluate("birthday-collision", N=10**9, M=10**5, name="collision", mode="exact")
    assert any("exact arithmetic would need" in n for n in ev.notes)
    assert float(ev.value) == pytest.approx(float(ref_collision(10**9, 10**5)), rel=1e-15)


def test_exact_mode_tiny_eps_large_p_does_not_build_the_power():
    # exp(p log(1 + 16/eps)) would be built as a rational power with ~1e9 bits: refused
    ev = evaluate("arora-mstar", p=10**7, Delta=1, L=1, L_phi=1, eps="1e-30", m=5,
                  name="failure_probability", mode="exact")
    assert any("exact arithmetic would need" in n for n in ev.notes)
    ref = ref_log_failure(5, 10**7, 1, 1, 1, "1e-30", dps=80)  # eps exactly 10^-30
    with mpmath.workdps(60):
        assert mpmath.log(mpmath.mpf(ev.value)) == pytest.approx(ref, rel=1e-40)
    assert ev.vacuous  # a failure bound of 10^312041200 says nothing


@pytest.mark.parametrize("dps", [0, 1, 3, 14, -5, 10**6, "abc", 2.5])
def test_dps_is_validated(dps):
    with pytest.raises(InvalidArgument, match="dps"):
        evaluate("sinha-concavity", gamma=1, L_zz=1, mode="mpmath", dps=dps)


def test_mpmath_mode_honours_dps():
    ev = evaluate("birthday-inversion", M=10, rate="1/3", mode="mpmath", dps=40)
    with mpmath.workdps(60):
        ref = mpmath.mpf(45) / mpmath.log(mpmath.mpf(3) / 2)
    with mpmath.workdps(40):
        assert abs(ev.value - ref) <= mpmath.mpf(10) ** -37 * ref


def test_exact_numbers_stay_exact():
    ev = evaluate("birthday-collision", N=365, M=23, name="collision", mode="exact")
    assert isinstance(ev.value, sp.Rational)
    assert float(ev.value) == pytest.approx(float(ref_collision(365, 23)), rel=1e-15)


@pytest.mark.parametrize("sid,name,vals", [
    ("birthday-inversion", "N", dict(M=10, rate=1e-20)),            # log(1/(1-r)) -> -log1p(-r)
    ("birthday-exp-bound", "collision_lower_bound", dict(N=10**30, M=2)),  # 1 - exp -> -expm1
    ("birthday-ta", "bound", dict(N=10**30, rho=1, M=2)),
    ("arora-mstar", "m_star_continuous",  # log(1 + 16/eps) -> log1p: p ln(1+1.6e-11) ~ 16
     dict(p=10**12, Delta=1e12, L=1, L_phi=1, eps=1e12)),
])
def test_float_path_itself_is_stable(sid, name, vals):
    # the stable rewrite (log1p / expm1) must make float64 right on its own: no fallback note
    # (arrays beyond 32 points are only spot-checked, so the float path must not cancel)
    ev = evaluate(sid, vals, name=name)
    assert not any("lost digits" in n for n in ev.notes), ev.notes


@pytest.mark.parametrize("bad,rule", [(True, "real number"), (np.array([]), "must not be empty"),
                                      ([1, "a"], "real number"), (1 + 2j, "real number")])
def test_hostile_python_values_are_refused(bad, rule):
    with pytest.raises(InvalidArgument, match=rule):
        evaluate("sinha-concavity", gamma=bad, L_zz=1)
