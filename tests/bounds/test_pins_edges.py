"""Pins of edge paths of the float bridge and the root verification (issue 17, bounds mutants):
a bracket end where the expression is exactly the target, the outward integer search started
from an inaccurate real root, the scalar fallback of the float bridge when the compiled
function refuses arrays, and a value that is infinite in float64 and in mpmath alike.

They use a test-only statement whose expressions are simple enough that every reference value is
known by hand (the identity, Gamma at small integers, -log at 0); each is derived in a comment.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from checker.bounds import evaluate
from checker.bounds.invert import (_Clock, _exact_check, _raw_values, _safe_float, _safe_integer, _verify,
                                   solve_for)
from checker.bounds.statement import Condition, Flag, Param, Statement, register
from checker.errors import InvalidArgument

_Y = Param(name="y", paper="y", description="a real", domain="nonnegative")
_K = Param(name="k", paper="k", description="an integer", domain="nonnegative_int")
EDGE = register(Statement(
    id="test-pins-edges", title="t", summary="s", paper="p", reference="this test file",
    reliability="[D]", form="derived", params=(_Y, _K),
    exprs=(("ident", _Y.symbol), ("kident", _K.symbol), ("gam", sp.gamma(_Y.symbol)),
           ("neglog", -sp.log(_Y.symbol)), ("sq", sp.sqrt(_Y.symbol - 1))),
    flags=(Flag(kind="vacuous", when=1 / _Y.symbol > 1, message="test flag: 1/y > 1",
                exprs=("ident",)),),
    module=__name__))


_C = Param(name="c", paper="c", description="a real", domain="real")
_S = Param(name="s", paper="s", description="a scale", domain="positive")
_YR = Param(name="y", paper="y", description="a real", domain="real")
TWO_ROOTS = register(Statement(
    id="test-pins-two-roots", title="t", summary="s", paper="p", reference="this test file",
    reliability="[D]", form="derived", params=(_YR, _C, _S),
    exprs=(("quad", (_YR.symbol - _S.symbol) * (_YR.symbol - _C.symbol)),), module=__name__))


KINK = register(Statement(
    id="test-pins-kink", title="t", summary="s", paper="p", reference="this test file",
    reliability="[D]", form="derived", params=(_YR,),
    exprs=(("kink", sp.Max(_YR.symbol - 1, 10**6 * (_YR.symbol - 1))),
           ("flat", sp.Max(_YR.symbol - 1, 0))),
    module=__name__))


def test_verify_a_kinked_root_is_not_a_pole_and_a_one_sided_zero_counts():
    # kink = max(y - 1, 10^6 (y - 1)): slope 1 left of 1, 10^6 right of it. Around x one ulp
    # above 1 the values at h = 1e-7 are about (-1e-7, 0.1) and at h = 1e-10 (-1e-10, 1e-4):
    # the larger side shrinks with the interval (a root), although the inner 1e-4 exceeds the
    # outer 1e-7 on the flat side (a pole test on the smaller side would call it a pole).
    assert _verify(KINK, "kink", "y", math.nextafter(1.0, 2.0), {}, 0) == (True, "increasing")
    # flat = max(y - 1, 0) is exactly 0 at 1 and everywhere left of it: an exact zero whose
    # neighbours are not all zero is a root ("zero"), not a cancellation
    assert _verify(KINK, "flat", "y", 1.0, {}, 0) == (True, "zero")


_CMIN = Param(name="cmin", paper="c", description="a lower limit", domain="real", default=0)
SIDE = register(Statement(
    id="test-pins-side-condition", title="t", summary="s", paper="p", reference="this test file",
    reliability="[D]", form="derived", params=(_YR, _CMIN),
    exprs=(("square", _YR.symbol ** 2),),
    conditions=(Condition(relation=sp.Ge(_YR.symbol, _CMIN.symbol), param="y", rule="must be >= cmin"),),
    module=__name__))


def test_solve_for_drops_roots_that_break_a_side_condition():
    # y^2 = 4 has the roots -2 and 2; the condition y >= cmin, with cmin at its default 0, drops
    # -2 (and says so); given cmin = -3 both roots stand
    r = solve_for(SIDE, "y", target=4, name="square")
    assert r.solutions == (2.0,)
    assert any(n.startswith("root y = -2 dropped:") for n in r.notes)
    assert solve_for(SIDE, "y", target=4, name="square", values={"cmin": -3}).solutions == (-2.0, 2.0)


@pytest.mark.parametrize("gap,want", [(1.5e-7, (True, "decreasing")), (5e-8, (False, ""))])
def test_verify_needs_a_sign_change_at_both_widths(gap, want):
    # _verify accepts x as a root when f - target changes sign across [x(1 - h), x(1 + h)] for
    # h = 1e-7 and for h = 1e-10. (y - 1)(y - c) at x = 1: with the second root c = 1 + 1.5e-7
    # outside the wider interval both widths see + then - (a decreasing crossing); with
    # c = 1 + 5e-8 inside it, the wide interval sees + and + (both ends beyond a root each), so
    # the crossing is not confirmed and x is not verified by sign (a closed form can still be).
    # x is one ulp above the root, as brentq may return it (at x = 1 exactly, f = 0 decides).
    x = math.nextafter(1.0, 2.0)
    assert _verify(TWO_ROOTS, "quad", "y", x, {"c": 1 + gap, "s": 1}, 0) == want


@pytest.mark.parametrize("gap,n_roots", [(2e-9, 2), (5e-10, 1)])
def test_solve_for_merges_roots_closer_than_the_same_root_tolerance(gap, n_roots):
    # (y - 1)(y - c) = 0 has the closed-form roots 1 and c. Two roots 2e-9 apart (relative) are
    # reported separately, both verified exactly; 5e-10 apart they are one root (1, the smaller).
    # The tolerance is relative: the same holds at scale 1000 (y - 1000)(y - 1000c) / 1000.
    for scale in (1.0, 1000.0):
        c = scale * (1 + gap)
        r = solve_for(TWO_ROOTS, "y", target=0, values={"c": c, "s": scale}, name="quad")
        assert r.solutions == ((scale, c) if n_roots == 2 else (scale,))
    assert r.method == "symbolic" and all(root.verified == "exact" for root in r.roots)


_N = Param(name="n", paper="n", description="an integer", domain="nonnegative_int")
COMBI = register(Statement(
    id="test-pins-combinatorics", title="t", summary="s", paper="p", reference="this test file",
    reliability="[D]", form="derived", params=(_N, _K),
    exprs=(("binom", sp.binomial(_N.symbol, _K.symbol)), ("fact", sp.factorial(_N.symbol))),
    module=__name__))


def test_exact_budget_of_binomials_and_factorials():
    # the exact-mode size estimates (budget 2^20 bits): C(n, k) <= n^k, so k log2(n + 2) bits;
    # n! <= n^n, so n log2(n + 2) bits. C(10^6, 2) = 10^6 (10^6 - 1) / 2 (hand) needs about
    # 40 bits and is exact; C(10^5, 10^5) = 1 is estimated at 10^5 log2(10^5 + 2) = 1.66e6 bits
    # (the estimate is an upper bound) and goes to mpmath with a note, as does 10^5!; 10^4!
    # (about 1.3e5 bits) is exact. Each exact value is checked against Python's integers.
    r = evaluate(COMBI, n=10**6, k=2, mode="exact")
    assert r.values["binom"] == 10**6 * (10**6 - 1) // 2
    assert not any("binom" in n for n in r.notes)
    r = evaluate(COMBI, n=10**5, k=10**5, mode="exact")
    assert isinstance(r.values["binom"], sp.Float) and float(r.values["binom"]) == 1.0  # mpmath's value
    assert any(n.startswith("binom: exact arithmetic would need about 1.66e+06 bits") for n in r.notes)
    assert any(n.startswith("fact: exact arithmetic would need about 1.66e+06 bits") for n in r.notes)
    r = evaluate(COMBI, n=10**4, k=0, mode="exact")
    assert r.values["fact"] == math.factorial(10**4) and r.notes == ()
    # at the budget's edge: 65535 log2(65547) = 1048575.87 <= 2^20 is exact (C(65545, 65535) =
    # C(65545, 10), checked with math.comb); 65536 log2(65547) = 1048591.9 is not
    r = evaluate(COMBI, n=65545, k=65535, mode="exact")
    assert r.values["binom"] == math.comb(65545, 10) and not any(n.startswith("binom") for n in r.notes)
    r = evaluate(COMBI, n=65545, k=65536, mode="exact")
    assert any(n.startswith("binom: exact arithmetic would need") for n in r.notes)
    # and n!: 65535 log2(65537) = 1048561.4 is within 2^20 (exact, checked with math.factorial);
    # 65536 log2(65538) = 1048578.9 is not
    r = evaluate(COMBI, n=65535, k=0, mode="exact")
    assert r.values["fact"] == math.factorial(65535) and not any(n.startswith("fact") for n in r.notes)
    r = evaluate(COMBI, n=65536, k=0, mode="exact")
    assert any(n.startswith("fact: exact arithmetic would need") for n in r.notes)


def test_verify_bracket_end_exactly_at_the_target():
    # ident(y) - target with target = x * (1 + 1e-10) rounded to a float: the right end of the
    # inner bracket, x * (1 + 1e-10), is that same float, so there the difference is exactly 0
    # (mpmath evaluates the identity at a float exactly). The left ends are below the target, the
    # outer right end above: a sign change (a zero end counts as one), shrinking with the
    # interval, so x is accepted as a root of an increasing function.
    x = 3.0
    target = x * (1 + 1e-10)
    assert target != x
    ok, kind = _verify(EDGE, "ident", "y", x, {"k": 0}, target)
    assert (ok, kind) == (True, "increasing")
    # and the mirror image: the left inner end exactly at the target, decreasing through it is
    # impossible for the identity, so it is still "increasing"
    target = x * (1 - 1e-10)
    ok, kind = _verify(EDGE, "ident", "y", x, {"k": 0}, target)
    assert (ok, kind) == (True, "increasing")


def test_verify_at_the_domain_end_accepts_only_an_exact_zero():
    # y = 0 is the end of ident's domain (nonnegative): no interval around it fits, so only an
    # exact zero of ident(y) - target counts. ident(0) - 0 = 0; ident(0) - 1e-300 != 0.
    assert _verify(EDGE, "ident", "y", 0.0, {"k": 0}, 0) == (True, "zero")
    assert _verify(EDGE, "ident", "y", 0.0, {"k": 0}, 1e-300) == (False, "")
    assert _verify(EDGE, "ident", "y", 0.0, {"k": 0}, -1) == (False, "")


def test_param_defaults_are_exact_rationals():
    # a float default is taken at its decimal value, as an exact rational, never guessed to be
    # an irrational (sqrt(2)) or a simpler fraction
    assert Param(name="a", paper="a", description="d", domain="real", default=0.1).default == sp.Rational(1, 10)
    d = Param(name="b", paper="b", description="d", domain="real", default=math.sqrt(2)).default
    assert d.is_Rational and d == sp.Rational(repr(math.sqrt(2)))


@pytest.mark.parametrize("x", [5.5, 3.5, 7.5, 12.5, 1000.5])
def test_safe_integer_outward_search_from_an_inaccurate_root(x):
    # kident(k) = k <= 1/2 holds exactly for k = 0 (brute force below). Started from an
    # inaccurate real root x, every neighbour floor(x) - 1 .. ceil(x) + 1 fails, so the search
    # walks outwards (upwards first, never meeting a satisfying k, then downwards from
    # floor(x) - 1 with steps 1, 2, 4, ...): for x = 5.5 it visits 3, 2, 0 and for x = 3.5 it
    # visits 1, 0, and must return the boundary integer 0. From 7.5 the steps 1, 2, 4, 8 visit
    # 5, 4, 2 and then overshoot below 0: the floor 0 itself is tried (it used to be skipped, and
    # the target was refused; likewise from 12.5 and 1000.5).
    want = max(k for k in range(0, 50) if k <= sp.Rational(1, 2))
    notes: list[str] = []
    got = _safe_integer(EDGE, "kident", "k", x, {"y": 1}, sp.Rational(1, 2), "le", notes)
    assert got == want == 0
    assert "0 is the integer at the boundary" in notes[-1]


@pytest.mark.parametrize("target,sense,want", [(sp.Rational(9, 2), "ge", 5), (sp.Rational(5, 2), "le", 2)])
def test_safe_integer_boundary_one_beyond_the_neighbours_of_x(target, sense, want):
    # from an inaccurate root x = 3.5 the neighbours are 2, 3, 4, 5: the boundary integer of
    # k >= 9/2 is 5 = ceil(x) + 1 and that of k <= 5/2 is 2 = floor(x) - 1 (brute force below);
    # both are neighbours, so the answer is the satisfying neighbour nearest x, with no search
    brute = (min(k for k in range(50) if k >= target) if sense == "ge"
             else max(k for k in range(50) if k <= target))
    assert _safe_integer(EDGE, "kident", "k", 3.5, {"y": 1}, target, sense, []) == brute == want


def test_safe_integer_upward_search_when_every_neighbour_satisfies():
    # kident(k) = k <= 21/2 holds for k <= 10 (brute force below). From an inaccurate root
    # x = 3.5 every neighbour 2..5 satisfies, so the search walks upwards from 5 with steps
    # 1, 2, 4, 8 (6, 7, 9, 13), meets the failing 13, bisects [9, 13] and returns 10.
    want = max(k for k in range(0, 50) if k <= sp.Rational(21, 2))
    notes: list[str] = []
    got = _safe_integer(EDGE, "kident", "k", 3.5, {"y": 1}, sp.Rational(21, 2), "le", notes)
    assert got == want == 10
    assert "10 is the integer at the boundary" in notes[-1]
    # and ">=": k >= 21/2 first holds at 11; from x = 20.5 every neighbour 19..22 satisfies, so
    # the search walks downwards (upwards never fails) to the boundary
    got = _safe_integer(EDGE, "kident", "k", 20.5, {"y": 1}, sp.Rational(21, 2), "ge", [])
    assert got == min(k for k in range(0, 50) if k >= sp.Rational(21, 2)) == 11


def test_solve_for_root_exactly_at_the_bracket_end():
    # Gamma(4) = 3! = 6 exactly (math.gamma is exact at small integers): with the bracket
    # [2.5, 4] the root sits on the grid's last point, where the difference is exactly 0 and no
    # interval shows a sign change; only the domain-end check finds it. Gamma has no closed-form
    # inverse, so nothing else proposes 4.
    r = solve_for(EDGE, "y", target=6, values={"k": 0}, name="gam", bracket=(2.5, 4))
    assert (r.value, r.solutions, r.method) == (4.0, (4.0,), "brentq")
    assert r.notes == ()
    # an interior root (Gamma(5) = 24): the ends are not roots, so they are not candidates, and
    # nothing is dropped at the substitution back (no note)
    r = solve_for(EDGE, "y", target=24, values={"k": 0}, name="gam", bracket=(2.5, 10))
    assert (r.value, r.notes) == (5.0, ())
    # a bracket that starts at 0 is scanned linearly (no ratio b/a, no log-spaced grid from 0)
    r = solve_for(EDGE, "y", target=3, values={"k": 0}, name="ident", bracket=(0, 10))
    assert (r.value, r.solutions) == (3.0, (3.0,))
    # the grid of [0, 4000] has the step 2: Gamma(2) - 5 = -4 and Gamma(4) - 5 = 1 exactly, a
    # sign change whose right end is exactly 1 away; brentq refines it to Gamma(y) = 5 (checked
    # in mpmath), y in (3, 4). (The root near 0.19 sits in [0, 2], where Gamma(0) is infinite.)
    r = solve_for(EDGE, "y", target=5, values={"k": 0}, name="gam", bracket=(0, 4000))
    assert len(r.solutions) == 1 and 3 < r.value < 4
    assert abs(mpmath.gamma(r.value) - 5) <= 5 * 1e-14


def test_solve_for_integer_unknown_slack_below_the_domain():
    # kident(k) = k = target: the real root may lie up to 1 below the smallest integer (0),
    # where rounding decides; further below it is outside the domain and refused
    r = solve_for(EDGE, "k", target=-1.0, values={"y": 1}, name="kident")
    assert r.solutions == (-1.0,) and r.method == "symbolic"
    with pytest.raises(InvalidArgument, match="is not attained"):
        solve_for(EDGE, "k", target=-1.5, values={"y": 1}, name="kident")


def test_safe_integer_no_satisfying_integer_is_refused():
    # k <= -1/2 holds for no k >= 0: both outward searches fail and the target is refused
    with pytest.raises(InvalidArgument, match="target"):
        _safe_integer(EDGE, "kident", "k", 2.5, {"y": 1}, sp.Rational(-1, 2), "le", [])


def test_raw_values_scalar_fallback_when_arrays_are_refused():
    # gamma compiles to math.gamma, which refuses an array (TypeError): the values are then
    # computed one by one; Gamma(2) = 1! = 1, Gamma(3) = 2! = 2, Gamma(5) = 4! = 24, and
    # Gamma(1e300) overflows (OverflowError), which becomes nan
    got = _raw_values(EDGE, "gam", "y", np.array([2.0, 3.0, 5.0, 1e300]), {"k": 0})
    assert got[:3].tolist() == [1.0, 2.0, 24.0]
    assert math.isnan(got[3])


def test_evaluate_array_fallback_when_arrays_are_refused():
    # the same refusal in evaluate: float64 gives nan for every point, and the cross-check
    # recomputes each point in mpmath (Gamma(2) = 1, Gamma(4) = 3! = 6) with a note
    r = evaluate(EDGE, y=np.array([2.0, 4.0]), k=0)
    assert r.values["gam"].tolist() == pytest.approx([1.0, 6.0], rel=1e-15)
    assert any("gam" in n for n in r.notes)


def test_float64_value_within_the_agreement_tolerance_stands():
    # math.gamma(10.5) = 1133278.3889487854 is one ulp (relative 2.1e-16) below the correctly
    # rounded 1133278.3889487856 (mpmath at 50 digits): within FLOAT_AGREE_REL = 1e-12 relative,
    # so the float64 value stands and nothing is reported. The tolerance is relative: at this
    # magnitude an absolute 1e-12 would call the ulp a loss of digits.
    import mpmath

    with mpmath.workdps(50):
        correctly_rounded = float(mpmath.gamma(mpmath.mpf("10.5")))
    assert math.gamma(10.5) != correctly_rounded
    r = evaluate(EDGE, y=10.5, k=0)
    assert r.values["gam"] == math.gamma(10.5) and r.notes == ()
    # the same rule on arrays (every point of a short array is cross-checked): numpy's
    # (y - 0.1)(y - 0.3) at y = 1e6 + 0.1 rounds twice and lands an ulp (1.2e-16 relative) from
    # the correctly rounded 999999800000 (mpmath at 50 digits, on the same binary inputs)
    ys = np.array([1e6 + 0.1, 3e6 + 0.7])
    numpy_vals = (ys - 0.1) * (ys - 0.3)
    with mpmath.workdps(50):
        exact = [float((mpmath.mpf(y) - mpmath.mpf(0.1)) * (mpmath.mpf(y) - mpmath.mpf(0.3))) for y in ys]
    assert numpy_vals[0] != exact[0]
    r = evaluate(TWO_ROOTS, y=ys, c=0.3, s=0.1)
    assert r.values["quad"].tolist() == numpy_vals.tolist() and r.notes == ()


def test_infinite_in_float64_and_in_mpmath_needs_no_note():
    # -log(0) is +inf in numpy and in mpmath (log(0) = -inf): the float value stands, and it is
    # not reported as exceeding the float64 range (it is not a large finite number)
    r = evaluate(EDGE, y=0, k=0)
    assert r.values["neglog"] == math.inf
    assert not any("neglog" in n for n in r.notes)


@pytest.mark.parametrize("budget,mp_calls", [(10, 0), (9, 2)])
def test_cumsum_table_budget_boundary(monkeypatch, budget, mp_calls):
    # two distinct N (7 and 9) with largest M 4 and 6: the tables cost 4 + 6 = 10 terms. With a
    # budget of exactly 10 both are tables; with 9 the second N goes to the log-gamma route in
    # mpmath, one call per point of that N (M = 3 and M = 6). Values against exact products either way.
    from fractions import Fraction as Fr

    from checker.bounds import birthday as bd

    calls = []
    real = bd._log_nc_mp_float

    def spy(n, m):
        calls.append((n, m))
        return real(n, m)

    monkeypatch.setattr(bd.tol, "CUMSUM_TERMS_BUDGET", budget)
    monkeypatch.setattr(bd, "_log_nc_mp_float", spy)
    N = np.array([7.0, 7.0, 9.0, 9.0])
    M = np.array([2.0, 4.0, 3.0, 6.0])
    got = bd._log_nc_float(N, M)

    def log_nc(n, m):  # log prod_{i<m} (1 - i/n), exact product then one log
        p = Fr(1)
        for i in range(1, m):
            p *= Fr(n - i, n)
        return math.log(p)

    want = [log_nc(7, 2), log_nc(7, 4), log_nc(9, 3), log_nc(9, 6)]
    assert got.tolist() == pytest.approx(want, rel=1e-14, abs=1e-300)
    assert len(calls) == mp_calls


def test_safe_float_far_from_the_root_searches_and_bisects():
    # ident(y) >= 3 holds from the float 3.0 on; started ~4500 ulps below it (1e-12 relative,
    # an ulp of 3 is 2^-51 * 2 = 4.4e-16), the search doubles its step up past 3.0 and the
    # bisection returns exactly 3.0, the smallest float on the guarantee side
    notes: list[str] = []
    x = 3.0 * (1 - 1e-12)
    got = _safe_float(EDGE, "ident", "y", x, {"k": 0}, sp.Integer(3), "ge", notes, _Clock("test", 120))
    assert got == 3.0 and "rounded y" in notes[-1]
    # and from above for "le": the largest float with y <= 3 is 3.0 itself
    x = 3.0 * (1 + 1e-12)
    got = _safe_float(EDGE, "ident", "y", x, {"k": 0}, sp.Integer(3), "le", [], _Clock("test", 120))
    assert got == 3.0
    # never met by a float (y >= 10^400 > the largest float): both directions run to their ends
    # (the largest float going up, the smallest positive float going down) and it is refused
    with pytest.raises(InvalidArgument, match="has no float y"):
        _safe_float(EDGE, "ident", "y", 2.0, {"k": 0}, sp.Integer(10) ** 400, "ge", [],
                    _Clock("test", 120))


def test_flag_that_cannot_be_evaluated_is_not_raised():
    # the flag 1/y > 1: raised at y = 1/2 (1/y = 2), not at y = 2 (1/2), not at y = 1 (the
    # boundary, 1 > 1 is false), and at y = 0 it cannot be evaluated (1/0 raises) and is not
    # raised either
    def flagged(y):
        return [f.message for f in evaluate(EDGE, y=y, k=0, name="ident").flags]

    assert flagged(sp.Rational(1, 2)) == ["test flag: 1/y > 1"]
    assert flagged(2) == [] and flagged(1) == [] and flagged(0) == []


def test_mp_reference_that_never_settles(monkeypatch):
    # a high-precision value that changes with every precision (here: the precision itself)
    # never settles: the last value, at MP_MAX_DPS digits, is returned as not converged
    import importlib

    import mpmath

    from checker.bounds import tolerances as btol

    ev = importlib.import_module("checker.bounds.evaluate")  # the module, not the function

    monkeypatch.setattr(ev, "_mp_eval", lambda stmt, name, params, d: mpmath.mpf(d))
    ref, dps, converged = ev.mp_reference(EDGE, "ident", {"y": 1, "k": 0})
    assert (ref, dps, converged) == (btol.MP_MAX_DPS, btol.MP_MAX_DPS, False)
    # agreement is relative: values near 1e-30 that move by a relative 1/(2d) between d and 2d
    # digits (absolute changes below 1e-31) never converge either
    monkeypatch.setattr(ev, "_mp_eval", lambda stmt, name, params, d: mpmath.mpf("1e-30") * (1 + mpmath.mpf(1) / d))
    ref, dps, converged = ev.mp_reference(EDGE, "ident", {"y": 1, "k": 0})
    assert (dps, converged) == (btol.MP_MAX_DPS, False)


def test_safe_float_search_is_bounded():
    # the outward search doubles its step in ulps and stops after the step 2^53: from 2.0 (bit
    # pattern 2^62) that last step lands on the bit pattern 2^62 + 2^53, which is 8.0 (each 2^52
    # ulps is one binade). So ident(y) >= 79/10 is found (the smallest float >= 7.9, derived by
    # Fraction below) and ident(y) >= 17/2 is refused, although 8.5 is a float: the search does
    # not run beyond its budget.
    from fractions import Fraction as Fr

    got = _safe_float(EDGE, "ident", "y", 2.0, {"k": 0}, sp.Rational(79, 10), "ge", [],
                      _Clock("test", 120))
    assert Fr(got) >= Fr(79, 10) > Fr(math.nextafter(got, 0))
    with pytest.raises(InvalidArgument, match="has no float y"):
        _safe_float(EDGE, "ident", "y", 2.0, {"k": 0}, sp.Rational(17, 2), "ge", [],
                    _Clock("test", 120))


def test_array_result_does_not_alias_the_input():
    # ident(y) = y: the float64 result is a fresh array, so writing into it leaves the caller's
    # array alone (the compiled identity returns its argument itself)
    a = np.array([1.0, 2.0])
    v = evaluate(EDGE, y=a, k=0, name="ident").value
    assert v.tolist() == [1.0, 2.0] and not np.shares_memory(v, a)
    v[0] = 99.0
    assert a.tolist() == [1.0, 2.0]


def test_verify_refuses_where_the_expression_leaves_the_reals():
    # sqrt(y - 1) - 0 vanishes at y = 1, but just below 1 it is imaginary (no real value, so no
    # high-precision reference): no sign change can be seen and the root is not verified
    assert _verify(EDGE, "sq", "y", 1.0, {"k": 0}, 0) == (False, "")
    # just above, at y = 5/4, sqrt(1/4) = 1/2 = target exactly: a verified (exact) zero
    assert _verify(EDGE, "sq", "y", 1.25, {"k": 0}, sp.Rational(1, 2)) == (True, "zero")


def test_exact_check_refusals(monkeypatch):
    from checker.bounds import invert

    # ident(y) = 3 at the closed-form root y = 3: exact substitution confirms it
    assert _exact_check(EDGE, "ident", "y", sp.Integer(3), {"k": 0}, 3) is True
    assert _exact_check(EDGE, "ident", "y", sp.Integer(2), {"k": 0}, 3) is False
    # a root that still has a free symbol cannot be checked exactly
    assert _exact_check(EDGE, "ident", "y", sp.Symbol("w"), {"k": 0}, 3) is False
    # an expression above the size budget is not checked (here: a budget below every size)
    monkeypatch.setattr(invert.tol, "SYMBOLIC_VERIFY_OPS", -1)
    assert _exact_check(EDGE, "ident", "y", sp.Integer(3), {"k": 0}, 3) is False
