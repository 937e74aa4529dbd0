"""Pins of the internal numeric routines of the bound library (issue 17, bounds mutants): the
stable rewrite, the high-precision comparison, the exact-cost estimate, the generic loop path of
the float bridge and of the integer search (exercised through a test-only statement with a finite
product and no registered numeric routine), the float64 cross-check of arrays, and the large-size
branches of the birthday predicate and of explicit_eps. Reference values are derived in comments.
"""

from __future__ import annotations

import math
from fractions import Fraction as Fr

import mpmath
import numpy as np
import pytest
import sympy as sp

from checker.bounds import evaluate, solve_for
from checker.bounds import birthday as bd
from checker.bounds.arora_thm1 import explicit_eps
from checker.bounds.evaluate import (_binomial_float, _bits, _mp_close, _stable,
                                     numeric_function)
from checker.bounds.invert import _is_algebraic_in
from checker.bounds.statement import Param, Statement, register
from checker.errors import InvalidArgument
from tests.bounds.helpers import cancelling_mstar_point

x = sp.Symbol("x", positive=True, finite=True)


def test_stable_rewrites():
    from sympy.codegen.cfunctions import expm1, log1p

    assert _stable(sp.exp(x) - 1) == expm1(x)
    assert _stable(1 - sp.exp(-x)) == -expm1(-x)
    assert _stable(sp.exp(x) + 1) == sp.exp(x) + 1              # no rewrite for + 1
    assert _stable(sp.log(1 + x)) == log1p(x)
    assert _stable(sp.log(1 / x)) == -sp.log(x)
    assert _stable(sp.log(2 + x)) == sp.log(2 + x)
    # values agree where float64 would cancel: exp(1e-20) - 1 = 1e-20 (+ 5e-41)
    f = sp.lambdify(x, _stable(sp.exp(x) - 1), "numpy")
    assert f(1e-20) == pytest.approx(1e-20, rel=1e-15)


def test_binomial_float_and_bits():
    assert _binomial_float(10, 3) == pytest.approx(120.0, rel=1e-13)
    assert _binomial_float(5, 0) == pytest.approx(1.0, rel=1e-13)
    assert _bits(sp.Rational(3, 4)) == 5                       # 2 bits + 3 bits
    assert _bits(sp.Integer(0)) == 1
    assert _bits(sp.sqrt(2)) == 0.0


def test_mp_close_branches():
    one = mpmath.mpf(1)
    assert _mp_close(None, one) is False and _mp_close(one, None) is False
    assert _mp_close(mpmath.mpc(1, 1), one) is False and _mp_close(one, mpmath.mpc(1, 0)) is False
    assert _mp_close(mpmath.nan, mpmath.nan) is True
    assert _mp_close(mpmath.nan, one) is False and _mp_close(one, mpmath.nan) is False
    assert _mp_close(mpmath.inf, mpmath.inf) is True
    assert _mp_close(mpmath.inf, mpmath.mpf(10) ** 100) is False
    assert _mp_close(one, mpmath.inf) is False
    with mpmath.workdps(50):
        # MP_CONVERGED_REL = 1e-20 (checker/bounds/tolerances.py): 0.5e-20 apart is close,
        # 1.5e-20 apart is not
        assert _mp_close(one, one + mpmath.mpf("0.5e-20")) is True
        assert _mp_close(one, one + mpmath.mpf("1.5e-20")) is False


def test_is_algebraic_in():
    assert _is_algebraic_in(x**2 + 3 * x, x) is True
    assert _is_algebraic_in(sp.Integer(2) ** x, x) is False
    assert _is_algebraic_in(sp.log(x), x) is False
    assert _is_algebraic_in(sp.log(sp.Symbol("y", positive=True)) + x, x) is True


# -- a test-only statement with a finite product and no registered numeric routine -------------

_N = Param(name="N", paper="N", description="items", domain="positive_int")
_M = Param(name="M", paper="M", description="draws", domain="positive_int")
_i = sp.Symbol("i", integer=True, positive=True)
PROD = register(Statement(
    id="test-pins-product", title="t", summary="s", paper="p", reference="this test file",
    reliability="[D]", form="derived", params=(_N, _M),
    exprs=(("nocoll", sp.Product(1 - _i / _N.symbol, (_i, 1, _M.symbol - 1))),),
    module=__name__))


def _nc(N, M):
    p = Fr(1)
    for i in range(1, M):
        p *= Fr(N - i, N)
    return p


def test_generic_loop_path_scalar_array_exact():
    # no registered routine: the product is compiled as exp(sum(log(...))) term by term
    v = evaluate(PROD, N=5, M=3).value
    assert v == pytest.approx(float(_nc(5, 3)), rel=1e-14)          # 12/25
    arr = evaluate(PROD, N=np.array([5, 7]), M=np.array([3, 4])).value
    assert arr.tolist() == pytest.approx([float(_nc(5, 3)), float(_nc(7, 4))], rel=1e-14)
    assert evaluate(PROD, N=5, M=3, mode="exact").value == sp.Rational(12, 25)
    fn, names = numeric_function(PROD)
    assert names == ("M", "N") or names == ("N", "M")
    args = {"N": 5, "M": 3}
    assert fn(*[args[k] for k in names]) == pytest.approx(0.48, rel=1e-14)
    # the factor (1 - 5/5) = 0 makes log(0) = -inf; exp(-inf) = 0 or a nan, never an exception
    out = fn(*[{"N": 5, "M": 7}[k] for k in names])
    assert out == 0.0 or math.isnan(out)


def test_integer_search_without_a_sense():
    # no sense declared: the search stops where the product first reaches the target from above
    # (nocoll(7, M) is 1, 6/7, 30/49, 120/343, ...; <= 1/2 first at M = 4)
    r = solve_for(PROD, "M", target=0.5, values={"N": 7})
    want = next(M for M in range(1, 9) if _nc(7, M) <= Fr(1, 2))
    assert r.value == want == 4 and r.method == "integer-bisection"
    assert "reaches target" in r.notes[-1]
    # the target met exactly (v == 0): nocoll(7, 3) = 30/49
    r = solve_for(PROD, "M", target=sp.Rational(30, 49), values={"N": 7})
    assert r.value == 3


# -- float64 cross-check of arrays ----------------------------------------------------------------

def test_array_point_with_lost_digits_is_recomputed():
    # log failure = ln 2 + p ln 17 - m/8 cancelling to a value in (0, 1/8] (see the helper)
    p, m, want = cancelling_mstar_point()
    assert 0 < want <= 0.125
    ev = evaluate("arora-mstar", p=p, Delta=1, L=1, L_phi=1, eps=1, m=np.array([m, 10]),
                  name="log_failure_probability")
    assert ev.value[0] == pytest.approx(want, rel=1e-15)
    assert "log_failure_probability: float64 lost digits at 1 point(s); those were recomputed " \
           "with mpmath" in ev.notes


# -- large-size branches ---------------------------------------------------------------------------

def test_collision_predicate_high_precision_branch():
    # (M - 1) 2 bitlen(N) = (2^16 - 1) 2 41 > 2^20: decided in mpmath, not exactly.
    # P[coll] = 1 - prod_{i<M}(1 - i/N) ~ 1 - exp(-M(M-1)/(2N) - ...) with M^2/(2N) = 2^-9,
    # so P ~ 1 - exp(-1/512) = 0.001951...
    N, M = 2**40, 2**16
    approx = 1 - math.exp(-M * (M - 1) / (2 * N))
    assert 0.00195 < approx < 0.001953
    assert bd._collision_at_least(N, M, 0.002) is False
    assert bd._collision_at_least(N, M, 0.0019) is True


def test_explicit_eps_below_mstar_at_the_largest_float():
    # Delta = 1e308: 8 Delta^2/eps^2 (ln(1+16/eps) + ln 2) at eps = 1.8e308 is ~ 1.7, so
    # m* = ceil(1.7) + 1 = 3 > 2 even at the largest float eps
    with pytest.raises(InvalidArgument) as ei:
        explicit_eps(2, 1, 1e308, 1.0, 1.0)
    assert ei.value.name == "m" and "below m* even at the largest float eps" in ei.value.rule


# -- exact-mode budget --------------------------------------------------------------------------

def test_exact_budget_boundary_of_the_nested_mass_sum():
    # cost estimate for birthday-mass-lower-bound (a Sum over k = 0..M of a Product over
    # i = 1..k-1): loop terms (M + 1) + (M - 1) = 2M, squared because the loops are nested, times
    # (largest input bit count + 64) bits. N = 2 (3 bits), rho = 1/2 (3 bits), M = 60 or 61
    # (7 bits): M = 60 gives 120^2 * 71 = 1,022,400 <= 2^20 = 1,048,576 (exact); M = 61 gives
    # 122^2 * 71 = 1,056,764 > 2^20 (mpmath with a note).
    # Hand values: only K <= N = 2 contribute, so the bound is
    # 1 - (1 + M + C(M, 2)/2) / 2^M: M = 60: 1 - 946/2^60; M = 61: 1 - 977/2^61.
    half = sp.Rational(1, 2)
    ev = evaluate("birthday-mass-lower-bound", N=2, rho=half, M=60, name="bound", mode="exact")
    assert ev.value == 1 - sp.Rational(946, 2**60) and ev.notes == ()
    ev = evaluate("birthday-mass-lower-bound", N=2, rho=half, M=61, name="bound", mode="exact")
    assert isinstance(ev.value, sp.Float)
    assert abs(ev.value - (1 - sp.Rational(977, 2**61))) < sp.Rational(1, 10**50)
    assert ev.notes[0].startswith("bound: exact arithmetic would need about 1.06e+06 bits "
                                  "(budget 1048576); value computed with mpmath at")


def test_exact_mode_loop_budget_fallback_and_refusal():
    # the test-only product at N = 10^6: 15000 terms (<= 20000 loop budget) cost 15000 * (21 +
    # 64) > 2^20 bits: computed in mpmath; reference log = lgamma(N) - lgamma(N-M+1) - (M-1) ln N
    N, M = 10**6, 15000
    ev = evaluate(PROD, N=N, M=M, mode="exact")
    assert isinstance(ev.value, sp.Float) and "exact arithmetic would need" in ev.notes[0]
    with mpmath.workdps(40):
        ref = mpmath.exp(mpmath.loggamma(N) - mpmath.loggamma(N - M + 1) - (M - 1) * mpmath.log(N))
        assert abs(mpmath.mpf(str(ev.value)) - ref) <= ref * mpmath.mpf(10) ** -25
    # 30000 terms: beyond the loop budget too, and no registered routine: refused with a reason
    with pytest.raises(InvalidArgument) as ei:
        evaluate(PROD, N=N, M=30000, mode="exact")
    assert ei.value.name == "mode" and "no affordable high-precision route" in ei.value.rule
    with pytest.raises(InvalidArgument) as ei:
        evaluate(PROD, N=N, M=30000, mode="mpmath")
    assert ei.value.name == "mode" and "too many loop terms (> 20000)" in ei.value.rule
    # numpy mode still answers (float64), and says it was not cross-checked
    ev = evaluate(PROD, N=N, M=30000)
    assert any("not cross-checked" in n for n in ev.notes)


def test_scalar_lost_digits_note():
    p, m, want = cancelling_mstar_point()
    ev = evaluate("arora-mstar", p=p, Delta=1, L=1, L_phi=1, eps=1, m=m,
                  name="log_failure_probability")
    assert ev.value == pytest.approx(want, rel=1e-15)
    assert ev.notes[0].startswith("log_failure_probability: float64 lost digits (it gave ")
