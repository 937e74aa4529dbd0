"""Pins of the birthday-bound numerics (issue 17, bounds mutants): the float64 (cumulative log1p
tables), mpmath (log-gamma) and exact routines of ``birthday-collision`` and
``birthday-mass-lower-bound`` against brute-force enumeration in ``fractions.Fraction``
(docs/math/birthday.md: no-collision probability = injective sequences / all sequences; the mass
bound is an equality for N atoms of mass rho/N plus an atomless remainder), and every helper's
argument checks.
"""

from __future__ import annotations

import math
from fractions import Fraction as Fr
from itertools import product

import mpmath
import numpy as np
import pytest
import sympy as sp

from checker.bounds import evaluate
from checker.bounds import birthday as bd
from checker.errors import InvalidArgument

#: float64 routines (log1p tables, expm1) agree with exact fractions to a few ulps on these
#: small cases; 1e-14 relative leaves room for ~50 ulps of accumulated rounding.
REL_F64 = 1e-14


def no_coll(N: int, M: int) -> Fr:
    """Brute force: injective sequences of M draws out of all N^M sequences."""
    good = sum(1 for s in product(range(N), repeat=M) if len(set(s)) == M)
    return Fr(good, N**M)


def mass_no_coll(N: int, rho: Fr, M: int) -> Fr:
    """Brute force over (N+1)^M sequences: outcome N is a fresh point of the atomless part."""
    total = Fr(0)
    for seq in product(range(N + 1), repeat=M):
        atoms = [s for s in seq if s < N]
        if len(set(atoms)) == len(atoms):
            pr = Fr(1)
            for s in seq:
                pr *= rho / N if s < N else 1 - rho
            total += pr
    return total


CASES = [(5, 3), (3, 3), (3, 4), (7, 1), (4, 2), (2, 5), (6, 6)]


@pytest.mark.parametrize("N, M", CASES)
def test_collision_all_modes_equal_brute_force(N, M):
    nc = no_coll(N, M)
    for name, want in (("no_collision", nc), ("collision", 1 - nc)):
        ex = evaluate("birthday-collision", N=N, M=M, name=name, mode="exact").value
        assert ex == sp.Rational(want.numerator, want.denominator), (name, ex)
        ev = evaluate("birthday-collision", N=N, M=M, name=name)
        assert ev.value == pytest.approx(float(want), rel=REL_F64, abs=0)
        assert ev.notes == ()       # the float64 routine agreed with the mpmath cross-check
        mp = evaluate("birthday-collision", N=N, M=M, name=name, mode="mpmath", dps=40).value
        with mpmath.workdps(40):
            assert abs(mp - mpmath.mpf(want.numerator) / want.denominator) <= mpmath.mpf(
                10) ** -35
    assert bd.no_collision_probability(N, M, exact=True) == sp.Rational(nc.numerator,
                                                                        nc.denominator)
    assert bd.collision_probability(N, M, exact=True) == sp.Rational((1 - nc).numerator,
                                                                     (1 - nc).denominator)
    assert bd.no_collision_probability(N, M) == pytest.approx(float(nc), rel=REL_F64, abs=0)
    assert bd.collision_probability(N, M) == pytest.approx(float(1 - nc), rel=REL_F64, abs=0)


def test_collision_vectorised_several_N_and_M():
    # two distinct N (one table each) and M on both sides of N
    N = np.array([5, 3, 5, 3, 4, 4])
    M = np.array([3, 3, 6, 4, 1, 2])
    want = [float(no_coll(n, m)) for n, m in zip(N.tolist(), M.tolist())]
    got = evaluate("birthday-collision", N=N, M=M, name="no_collision").value
    assert got.tolist() == pytest.approx(want, rel=REL_F64, abs=0)
    ev = evaluate("birthday-collision", N=N, M=M, name="collision")
    assert ev.value.tolist() == pytest.approx([1 - w for w in want], rel=REL_F64, abs=0)
    # the float64 routine is right on its own (the cross-check replaced nothing)
    assert not any("lost digits" in n for n in ev.notes)
    # the float64 routine itself, without the high-precision cross-check: log of the product
    logs = bd._log_nc_float(N, M)
    for got, w in zip(logs.tolist(), want):
        assert got == (-math.inf if w == 0 else pytest.approx(math.log(w), rel=REL_F64, abs=1e-15))


def test_collision_tiny_probability_keeps_its_digits():
    # N = 10^15, M = 2: P[coll] = 1/N exactly (expm1 of log1p keeps all digits)
    assert bd.collision_probability(10**15, 2) == pytest.approx(1e-15, rel=REL_F64)
    # M = 3: 1 - (1 - 1/N)(1 - 2/N) = 3/N - 2/N^2
    assert bd.collision_probability(10**15, 3) == pytest.approx(3e-15, rel=REL_F64)


@pytest.mark.parametrize("N, rho, M", [(2, Fr(1, 3), 3), (3, Fr(3, 4), 3), (2, Fr(1), 2),
                                        (2, Fr(1, 2), 4), (1, Fr(2, 5), 3), (4, Fr(1, 5), 1)])
def test_mass_bound_all_modes_equal_brute_force(N, rho, M):
    want = 1 - mass_no_coll(N, rho, M)
    r = sp.Rational(rho.numerator, rho.denominator)
    ex = evaluate("birthday-mass-lower-bound", N=N, rho=r, M=M, name="bound", mode="exact").value
    assert ex == sp.Rational(want.numerator, want.denominator)
    ev = evaluate("birthday-mass-lower-bound", N=N, rho=float(rho), M=M, name="bound")
    assert ev.value == pytest.approx(float(want), rel=REL_F64, abs=1e-300)
    assert ev.notes == ()           # the float64 routine agreed with the mpmath cross-check
    mp = evaluate("birthday-mass-lower-bound", N=N, rho=r, M=M, name="bound", mode="mpmath",
                  dps=40).value
    with mpmath.workdps(40):
        assert abs(mp - mpmath.mpf(want.numerator) / want.denominator) <= mpmath.mpf(10) ** -35
    assert bd.mass_collision_lower_bound(N, float(rho), M) == pytest.approx(float(want),
                                                                           rel=REL_F64, abs=1e-300)
    assert bd.mass_collision_lower_bound(N, r, M, exact=True) == sp.Rational(
        want.numerator, want.denominator)


def test_mass_bound_vectorised_and_budgets():
    N = np.array([2, 3])
    ev = evaluate("birthday-mass-lower-bound", N=N, rho=np.array([0.5, 0.75]), M=3,
                  name="bound")
    want = [float(1 - mass_no_coll(2, Fr(1, 2), 3)), float(1 - mass_no_coll(3, Fr(3, 4), 3))]
    assert ev.value.tolist() == pytest.approx(want, rel=REL_F64)
    assert not any("lost digits" in n for n in ev.notes)   # right without the cross-check
    # the mpmath cross-check runs up to MASS_MP_TERMS = 3000 samples, not beyond
    ev = evaluate("birthday-mass-lower-bound", N=2, rho=0.5, M=3001, name="bound")
    assert any("not cross-checked" in n for n in ev.notes)
    assert ev.value == 1.0   # 3001 draws, 2 atoms of mass 1/4: a collision is certain to 1e-300
    with pytest.raises(InvalidArgument) as ei:
        evaluate("birthday-mass-lower-bound", N=10**7 + 1, rho=0.5, M=10**7 + 1, name="bound")
    assert ei.value.name == "M" and "10,000,002 terms" in ei.value.rule


# -- sample_size_for and the exact predicate --------------------------------------------------

@pytest.mark.parametrize("N, q", [(1, 0.5), (2, 0.5), (2, 0.75), (3, 0.99), (365, 0.5),
                                  (10, 1e-9), (4, 0.375)])
def test_sample_size_for_is_the_smallest_M(N, q):
    qf = Fr(q)
    want = next(M for M in range(1, N + 2) if 1 - (no_coll(N, M) if N**M <= 10**4 else
                                                   _nc_fast(N, M)) >= qf)
    assert bd.sample_size_for(q, N) == want


def _nc_fast(N: int, M: int) -> Fr:
    # the product formula (equal to the brute force above where both run)
    if M > N:
        return Fr(0)
    p = Fr(1)
    for i in range(1, M):
        p *= Fr(N - i, N)
    return p


def test_collision_at_least_branches():
    assert bool(bd._collision_at_least(3, 4, 0.999)) is True     # M > N: certain
    assert bool(bd._collision_at_least(3, 1, 1e-300)) is False   # M = 1: probability 0
    # exact tie: N = 4, M = 2: P = 1/4, q = 0.25 exactly: >= holds
    assert bool(bd._collision_at_least(4, 2, 0.25)) is True
    assert bool(bd._collision_at_least(4, 2, np.nextafter(0.25, 1))) is False


@pytest.mark.parametrize("budget,exact", [(12, True), (11, False)])
def test_collision_at_least_exact_within_the_bit_budget(monkeypatch, budget, exact):
    # N = 4 (3 bits), M = 3: the exact product needs (M - 1) * 2 * 3 = 12 bits by the documented
    # estimate; within the budget it is exact rational arithmetic, beyond it mpmath. Both decide
    # P = 1 - (3/4)(2/4) = 5/8 >= q the same way (hand: 5/8 = 0.625).
    calls = []
    real = bd._exact_no_collision
    monkeypatch.setattr(bd.tol, "EXACT_BITS_BUDGET", budget)
    monkeypatch.setattr(bd, "_exact_no_collision", lambda N, M: calls.append((N, M)) or real(N, M))
    assert bool(bd._collision_at_least(4, 3, 0.625)) is True
    assert bool(bd._collision_at_least(4, 3, np.nextafter(0.625, 1))) is False
    assert len(calls) == (2 if exact else 0)


def test_log_no_collision_mpmath_route_keeps_digits_for_large_n():
    # n = 1e25 (26 digits), m = 10^6: log-gamma terms near 5.7e26 cancel to about -5e-14, so the
    # working precision must grow with the digits of n. Reference (hand): log prod(1 - i/n) =
    # -sum i/n - sum i^2/(2n^2) - ... = -m(m-1)/(2n) up to a relative 1e-19.
    # M = 2 is the worst case: log(1 - 1/n) = -1/n - 1/(2n^2) - ..., about 52 digits of
    # cancellation. (abs=0: pytest.approx's default absolute 1e-12 would accept anything here.)
    n = 1e25
    for m in (2.0, 1e6):
        want = -float(Fr(int(m) * (int(m) - 1), 2 * int(n)))
        assert bd._log_nc_mp_float(n, m) == pytest.approx(want, rel=1e-12, abs=0)


def test_helper_values_and_argument_checks():
    assert bd.exp_upper_bound(7, 4) == pytest.approx(math.exp(-6 / 7), rel=REL_F64)
    assert bd.invert_uniform(1 - math.exp(-1), 10) == pytest.approx(45.0, rel=1e-13)
    # T-b with rho = 1: 2M / (-3 + sqrt(9 + 24 y/M)), M = 3, y = 45/32 (first term 3/2): N = 4
    rate = 1 - math.exp(-45 / 32)
    assert bd.tb_estimate(3, rate) == pytest.approx(4.0, rel=1e-13)
    assert bd.tb_vacuity_threshold(3, rate) == pytest.approx(0.5, rel=1e-13)  # sqrt(3/2/6)
    assert bd.tb_estimate(3, rate, rho=0.25) == math.inf
    assert bd.ta_reported_bound(7, 0.5, 4) == pytest.approx(1 - math.exp(-12 * 0.5 / 14),
                                                            rel=REL_F64)
    for fn, args, pname in ((bd.no_collision_probability, (0, 2), "N"),
                            (bd.no_collision_probability, (2, 0), "M"),
                            (bd.collision_probability, (0, 2), "N"),
                            (bd.collision_probability, (2, 0), "M"),
                            (bd.sample_size_for, (1.0, 5), "q"),
                            (bd.sample_size_for, (0.5, 0), "N"),
                            (bd.mass_collision_lower_bound, (0, 0.5, 2), "N"),
                            (bd.mass_collision_lower_bound, (2, 0.5, 0), "M")):
        with pytest.raises(InvalidArgument) as ei:
            fn(*args)
        assert ei.value.name == pname, (fn.__name__, args)
