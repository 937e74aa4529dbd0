"""Pins of the evaluation bridge :mod:`checker.bounds.evaluate` (issue 17, bounds mutants): every
validation branch raises the named error with the parameter's name, every comparison is tested
at its boundary and just on each side, and every mode returns the value derived by hand.

Reference values are exact rationals derived in the comments (docs/math/*.md formulas), never
values printed by the code under test.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from checker.bounds import evaluate, get, value
from checker.bounds import tolerances as tol
from checker.bounds.evaluate import (Evaluation, RaisedFlag, check_dps, exact_number,
                                     mp_reference, numeric_function, parse_number)
from tests.bounds.helpers import raises_in_rule as raises



# -- exact_number ------------------------------------------------------------------------------

def test_exact_number_branches():
    x = sp.Rational(2, 7)
    assert exact_number(x) is x
    raises("value", "must be a number", exact_number, True)
    raises("value", "must be a number", exact_number, np.bool_(False))
    assert exact_number(12) == 12 and isinstance(exact_number(12), sp.Integer)
    assert exact_number(np.int64(-5)) == -5
    assert exact_number(math.inf) == sp.oo
    assert exact_number(-math.inf) == -sp.oo
    assert exact_number(0.1) == sp.Rational(1, 10)        # shortest decimal string, not 2^-k sums
    assert exact_number(np.float64(2.5)) == sp.Rational(5, 2)


# -- parse_number ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, want", [
    ("0.1", sp.Rational(1, 10)), ("1/3", sp.Rational(1, 3)), ("1e-3", sp.Rational(1, 1000)),
    ("-2.5", sp.Rational(-5, 2)), ("+.5", sp.Rational(1, 2)), (" 7 ", sp.Integer(7)),
    ("3/-4", sp.Rational(-3, 4)), ("1e2/5", sp.Integer(20)), ("2/1e1", sp.Rational(1, 5)),
])
def test_parse_number_values(text, want):
    assert parse_number("x", text) == want


def test_parse_number_refusals_and_limits():
    raises("x", "given as text", parse_number, "x", 3)
    raises("x", "decimal or fraction", parse_number, "x", "abc")
    raises("x", "decimal or fraction", parse_number, "x", "1/2/3")
    raises("x", "divide by zero", parse_number, "x", "1/0")
    raises("x", "divide by zero", parse_number, "x", "1/0.0")
    # length: exactly _MAX_NUMBER_CHARS (4000) characters accepted, one more refused
    assert parse_number("x", "1" * 4000) == sp.Integer(int("1" * 4000))
    raises("x", "at most 4000 characters", parse_number, "x", "1" * 4001)
    assert parse_number("x", " " + "1" * 4000 + " ") == sp.Integer(int("1" * 4000))  # stripped
    # exponent: |e| = 10000 accepted, 10001 refused (either side of the fraction bar)
    assert parse_number("x", "1e10000") == sp.Integer(10) ** 10000
    assert parse_number("x", "1e-10000") == sp.Rational(1, 10**10000)
    raises("x", "exponent of at most 10000", parse_number, "x", "1e10001")
    raises("x", "exponent of at most 10000", parse_number, "x", "1e-10001")
    raises("x", "exponent of at most 10000", parse_number, "x", "1/1e10001")


# -- check_dps ---------------------------------------------------------------------------------

def test_check_dps_boundaries_and_types():
    assert check_dps(tol.MIN_DPS) == 15 and check_dps(tol.MAX_DPS) == 10_000
    assert check_dps(" 20 ") == 20 and check_dps(np.int32(30)) == 30
    assert type(check_dps(np.int32(30))) is int
    raises("dps", "between 15", check_dps, 14)
    raises("dps", "between 15", check_dps, 10_001)
    raises("dps", "must be an integer", check_dps, "2x")
    raises("dps", "must be an integer", check_dps, True)
    raises("dps", "must be an integer", check_dps, 20.0)


# -- parameter validation through evaluate ---------------------------------------------------

def _lin(**kw):
    # sinha-concavity: modulus_squared = 2 gamma - L_zz (nonnegative parameters)
    return evaluate("sinha-concavity", name="modulus_squared", **kw)


@pytest.mark.parametrize("sid, name, pname, good, bad, fragment", [
    # domain "positive": > 0 (sinha-lphi gamma)
    ("sinha-transport-lipschitz", "lipschitz", "gamma", 1e-300, 0.0, "must be > 0"),
    # "positive_int": >= 1
    ("birthday-collision", "collision", "M", 1, 0, "must be >= 1"),
    # "nonnegative": >= 0
    ("sinha-concavity", "modulus_squared", "L_zz", 0.0, -1e-300, "must be >= 0"),
    # "probability": open interval (0, 1)
    ("birthday-sample-size", "M_sufficient", "q", 0.999999, 1.0, "open interval (0, 1)"),
    ("birthday-sample-size", "M_sufficient", "q", 1e-300, 0.0, "open interval (0, 1)"),
    # "unit_interval": (0, 1]
    ("birthday-ta", "bound", "rho", 1.0, 1.0000000000000002, "must be in (0, 1]"),
    ("birthday-ta", "bound", "rho", 1e-300, 0.0, "must be in (0, 1]"),
    # "at_least_one": >= 1
    ("sinha-thm4-tail", "tail", "N_cover", 1.0, 0.9999999999999999, "must be >= 1"),
])
def test_domain_rules_at_their_boundary(sid, name, pname, good, bad, fragment):
    stmt = get(sid)
    base = {"sinha-transport-lipschitz": dict(L_zth=1, L_zz=0, gamma=2),
            "birthday-collision": dict(N=5, M=2),
            "sinha-concavity": dict(gamma=1, L_zz=0),
            "birthday-sample-size": dict(N=5, q=0.5),
            "birthday-ta": dict(N=5, rho=0.5, M=3),
            "sinha-thm4-tail": dict(t=1, n=1, gamma=2, L_zz=0, L_c=1, L_zth=1, K=1, N_cover=2,
                                    d=1, diam=1)}[sid]
    if sid == "sinha-transport-lipschitz":
        base["L_zz"] = 0
    evaluate(stmt, {**base, pname: good}, name=name)
    raises(pname, fragment, evaluate, stmt, {**base, pname: bad}, name=name)
    # the same rule on an array names the first offending entry
    e = raises(pname, fragment, evaluate, stmt, {**base, pname: np.array([good, bad, good])},
               name=name)
    assert e.value == bad


def test_unit_interval_exact_rational_above_one_is_refused_although_its_float_is_one():
    # 1 + 10^-30 rounds to the float 1.0 (allowed); the exact check must still refuse it
    raises("rho", "must be in (0, 1]", evaluate, "birthday-ta",
           dict(N=5, M=3, rho=sp.Rational(1) + sp.Rational(1, 10**30)), name="bound_rho_squared")
    ev = evaluate("birthday-ta", dict(N=5, M=3, rho=sp.Integer(1)), name="bound", mode="exact")
    # 1 - exp(-(9 - 3) * 1/(2 * 5)) = 1 - exp(-3/5)
    assert ev.value == 1 - sp.exp(-sp.Rational(3, 5))


def test_validation_of_value_types():
    raises("gamma", "must be a real number", _lin, gamma=True, L_zz=0)
    raises("gamma", "must be a real number", _lin, gamma=np.bool_(True), L_zz=0)
    raises("gamma", "must be a real number", _lin, gamma=object(), L_zz=0)
    raises("gamma", "must be a real number", _lin, gamma="1" and 1j, L_zz=0)
    raises("gamma", "must be a real number or an array of them", _lin, gamma=[1, "a"], L_zz=0)
    raises("gamma", "must not be empty", _lin, gamma=[], L_zz=0)
    raises("gamma", "must be finite", _lin, gamma=math.nan, L_zz=0)
    raises("gamma", "must be finite", _lin, gamma=math.inf, L_zz=0)
    e = raises("gamma", "must be finite", _lin, gamma=[1.0, math.nan], L_zz=0)
    assert math.isnan(e.value)
    raises("gamma", "must be a finite real number", _lin, gamma=sp.I, L_zz=0)
    raises("gamma", "must be a finite real number", _lin, gamma=sp.oo, L_zz=0)
    raises("gamma", "must be a finite real number", _lin, gamma=sp.Symbol("x"), L_zz=0)
    raises("gamma", "float64 range", _lin, gamma=sp.Rational(1, 10**400), L_zz=0)
    raises("gamma", "float64 range", _lin, gamma=sp.Integer(10) ** 400, L_zz=0)
    raises("gamma", "must be a number", _lin, gamma="one", L_zz=0)   # text is parsed
    # a one-element list is a scalar
    assert _lin(gamma=[0.75], L_zz=0.5).value == 1.0
    # text, sympy and plain numbers give the same exact value 2 * 3/4 - 1/2 = 1
    assert _lin(gamma="3/4", L_zz="1/2").value == 1.0
    assert _lin(gamma="3/4", L_zz="1/2", mode="exact").value == 1
    assert _lin(gamma=sp.Rational(3, 4), L_zz=sp.Rational(1, 2), mode="exact").value == 1
    # exact rationals above 1 in a non-probability domain are fine: 2 * 5/2 - 3 = 2
    assert _lin(gamma="5/2", L_zz="3", mode="exact").value == 2
    # an irrational sympy number is kept at 50 digits: 2 sqrt(2) - 0
    v = _lin(gamma=sp.sqrt(2), L_zz=0, mode="exact").value
    assert abs(v - 2 * sp.sqrt(2)) < sp.Rational(1, 10**45)


def test_integer_parameters():
    # birthday-collision: P[coll] at N = 3, M = 2 is 1 - (1 - 1/3) = 1/3
    ev = evaluate("birthday-collision", N=3, M=2, name="collision", mode="exact")
    assert ev.value == sp.Rational(1, 3)
    assert type(ev.params["N"]) is int and ev.params["N"] == 3
    assert evaluate("birthday-collision", N=np.int64(3), M=2, name="collision",
                    mode="exact").params["N"] == 3
    raises("M", "must be an integer", evaluate, "birthday-collision", N=3, M=2.5)
    raises("M", "must be an integer", evaluate, "birthday-collision", N=3, M=sp.Rational(5, 2))
    raises("M", "must be an integer", evaluate, "birthday-collision", N=3, M=sp.Float(2.5))
    raises("M", "must be an integer", evaluate, "birthday-collision", N=3, M=[2, 2.5])
    assert evaluate("birthday-collision", N=3, M=sp.Integer(2), name="collision",
                    mode="exact").value == sp.Rational(1, 3)
    assert evaluate("birthday-collision", N=3, M=2.0, name="collision",
                    mode="exact").value == sp.Rational(1, 3)
    # a huge exact integer (> 1e308) is accepted; no-collision is 0 once M > N
    big = sp.Integer(10) ** 400
    assert evaluate("birthday-collision", N=3, M=big, name="no_collision",
                    mode="exact").value == 0
    assert evaluate("birthday-collision", N=3, M=10**400, name="no_collision",
                    mode="exact").value == 0
    raises("M", "must be >= 1", evaluate, "birthday-collision", N=3, M=-(10**400))
    raises("M", "must be >= 1", evaluate, "birthday-collision", N=3, M=-big)


# -- evaluate: arguments, defaults, symbolic, modes --------------------------------------------

def test_evaluate_argument_errors():
    raises("statement", "per-layer sequences", evaluate, "sinha-nn-smoothness", n_layers=2)
    raises("values", "must be a mapping", evaluate, "sinha-concavity", [("gamma", 1)])
    raises("parameter", "must be a parameter name", evaluate, "sinha-concavity", {1: 2})
    raises("parameter", "is not a parameter", evaluate, "sinha-concavity", gama=1, L_zz=0)
    raises("name", "is not an expression", evaluate, "sinha-concavity", gamma=1, L_zz=0,
           name="nope")
    raises("name", "is not an expression", evaluate, "sinha-concavity", gamma=1, L_zz=0,
           name=("modulus_squared", 3))
    raises("mode", "must be one of", evaluate, "sinha-concavity", gamma=1, L_zz=0, mode="float")
    raises("dps", "between 15", evaluate, "sinha-concavity", gamma=1, L_zz=0, dps=14)
    e = raises("L_zz", "is required by", evaluate, "sinha-concavity", gamma=1,
               name="modulus_squared")
    assert "--L-zz" in e.hint
    # nothing given: the first expression's first missing parameter is named (free symbols are
    # sorted by name: L_zz before gamma)
    e = raises("L_zz", "is required by", evaluate, "sinha-concavity", {})
    assert "--L-zz" in e.hint
    raises("mode", "scalar parameters only", evaluate, "sinha-concavity",
           gamma=np.array([1.0, 2.0]), L_zz=0, mode="exact")
    raises("mode", "scalar parameters only", evaluate, "sinha-concavity",
           gamma=np.array([1.0, 2.0]), L_zz=0, mode="mpmath")


def test_evaluate_all_expressions_skips_those_missing_a_parameter():
    # sinha-thm2: without alpha and grad_sq only one_step_rhs is skipped
    ev = evaluate("sinha-thm2", Delta_F=1, L_phi=1, sigma=1, T=4, L_thz=1, L_zz=0, gamma=2)
    assert list(ev.values) == ["bound", "step_size", "T_min"]   # statement order
    assert ev.notes[0] == "one_step_rhs not evaluated: needs alpha, grad_sq"
    # 4 sigma sqrt(L_phi Delta_F / T) + 4 L_thz^2 eps/(gamma - L_zz) with eps = 0 (default)
    assert ev.values["bound"] == 2.0 and ev.values["step_size"] == 0.5
    assert ev.values["T_min"] == 1.0
    assert ev.defaults_used == ("eps",) and ev.params["eps"] == 0.0
    # a given parameter overrides the default; a None value means "take the default"
    ev = evaluate("sinha-thm2", dict(Delta_F=1, L_phi=1, sigma=1, T=4, L_thz=1, L_zz=0, gamma=2,
                                     eps=None), eps=1)
    assert ev.defaults_used == () and ev.values["bound"] == 4.0   # 2 + 4 * 1 * 1 / 2


def test_evaluate_default_exact_and_float():
    ev = evaluate("arora-thm1", dict(p=2, Delta=2, L=3, L_phi=5, eps=1), name="m_paper",
                  mode="exact")
    assert ev.defaults_used == ("C",) and ev.params["C"] == 1
    assert isinstance(ev.params["C"], sp.Integer)
    # C p Delta^2 ln^2(p Delta L L_phi / eps) / eps^2 = 1 * 2 * 4 * ln(60)^2
    assert ev.value == 8 * sp.log(60) ** 2
    ev = evaluate("arora-thm1", dict(p=2, Delta=2, L=3, L_phi=5, eps=1), name="m_paper")
    assert type(ev.params["C"]) is float
    assert ev.value == pytest.approx(8 * math.log(60) ** 2, rel=1e-15)
    assert ev.symbolic is False


def test_hidden_constants_stay_symbolic():
    b1, b2 = sp.Symbol("b1", positive=True, finite=True), sp.Symbol("b2", positive=True,
                                                                       finite=True)
    ev = evaluate("sinha-cor1", d=4, L=1, diam=2, M0=1, n=9, t=1, name="eps_n_consistent")
    assert ev.symbolic is True
    # b1 (L diam + M0) sqrt(d/n) + b2 (L diam + M0) sqrt(t/n) = b1*3*(2/3) + b2*3*(1/3)
    assert sp.simplify(ev.value - (2 * b1 + b2)) == 0
    assert any(n.startswith("left symbolic: unspecified constant(s) b1, b2") for n in ev.notes)
    # with both constants given it is a number: 2 * 1/2 + 1/4 = 5/4
    ev = evaluate("sinha-cor1", d=4, L=1, diam=2, M0=1, n=9, t=1, b1=0.5, b2=0.25,
                  name="eps_n_consistent")
    assert ev.symbolic is False and ev.value == 1.25


def test_evaluation_value_property():
    ev = evaluate("sinha-concavity", gamma=1, L_zz=0.5)
    assert len(ev.values) == 4
    raises("values", "several entries", lambda: ev.value)
    ev1 = Evaluation(id="x", mode="numpy", values={"a": 3}, params={})
    assert ev1.value == 3 and ev1.flags == () and ev1.notes == () and ev1.symbolic is False
    assert RaisedFlag(kind="vacuous", message="m").where == "all"
    assert ev1.outside_domain is False and ev1.vacuous is False
    ev2 = Evaluation(id="x", mode="numpy", values={}, params={},
                     flags=(RaisedFlag(kind="vacuous", message=""),))
    assert ev2.vacuous is True and ev2.outside_domain is False
    ev3 = Evaluation(id="x", mode="numpy", values={}, params={},
                     flags=(RaisedFlag(kind="outside_domain", message=""),))
    assert ev3.vacuous is False and ev3.outside_domain is True


def test_value_shortcut_uses_the_primary_expression():
    # sinha-concavity primary: modulus_squared = 2 * 0.75 - 0.5 = 1
    assert value("sinha-concavity", gamma=0.75, L_zz=0.5) == 1.0
    assert value("sinha-concavity", "threshold_squared", gamma=0.75, L_zz=0.5) == 0.25


def test_mpmath_mode_uses_the_requested_digits():
    ev = evaluate("birthday-exp-bound", N=7, M=4, name="bound", mode="mpmath", dps=60)
    ref = mpmath.mp.clone() if False else None
    with mpmath.workdps(80):
        want = mpmath.exp(mpmath.mpf(-6) / 7)      # exp(-M(M-1)/(2N)) = exp(-12/14)
        assert abs(ev.value - want) < mpmath.mpf(10) ** -58
        assert abs(ev.value - want) > mpmath.mpf(10) ** -75   # 60 digits, not 80
    assert ref is None


# -- conditions and flags -------------------------------------------------------------------------

def test_conditions_scalar_at_50_digits_and_arrays_with_index():
    # sinha-lphi needs gamma > L_zz
    base = dict(L_thth=0, L_thz=1, L_zth=1)
    raises("gamma", "must exceed L_zz", evaluate, "sinha-lphi", gamma=0.5, L_zz=0.5, **base)
    assert evaluate("sinha-lphi", gamma=1.5, L_zz=0.5, **base).value == 1.0   # 0 + 1/(1.5-.5)
    # exact rationals one part in 10^40 apart: decided exactly (50 digits), not in float64
    g = sp.Rational(1, 2) + sp.Rational(1, 10**40)
    assert evaluate("sinha-lphi", gamma=g, L_zz=sp.Rational(1, 2), mode="exact",
                    **base).value == 10**40
    raises("gamma", "must exceed L_zz", evaluate, "sinha-lphi", gamma=sp.Rational(1, 2),
           L_zz=g, **base)
    e = raises("gamma", "must exceed L_zz", evaluate, "sinha-lphi",
               gamma=np.array([2.0, 0.25, 3.0]), L_zz=0.5, **base)
    assert "(at index (1,))" in e.rule and e.value == 0.25
    e = raises("gamma", "must exceed L_zz", evaluate, "sinha-lphi",
               gamma=2.0, L_zz=np.array([0.5, 2.0]), **base)
    assert "(at index (1,))" in e.rule and e.value == 2.0
    # arrays that all satisfy the condition
    v = evaluate("sinha-lphi", gamma=np.array([1.5, 2.5]), L_zz=0.5, **base).value
    assert v.tolist() == [1.0, 0.5]


def test_flags_scalar_and_array_counts():
    # sinha-concavity flag 0: 2 gamma - L_zz <= 0; at gamma = 1/4, L_zz = 1/2 exactly 0 (raised)
    ev = evaluate("sinha-concavity", gamma=0.25, L_zz=0.5, name="modulus_squared")
    assert [f.kind for f in ev.flags] == ["vacuous"] and ev.vacuous and not ev.outside_domain
    assert ev.flags[0].where == "all" and ev.flags[0].exprs == ("modulus_squared",)
    # the flag of the other expression is not reported when only this one is evaluated
    ev = evaluate("sinha-concavity", gamma=0.375, L_zz=0.5, name="modulus_squared")
    assert ev.flags == ()
    ev = evaluate("sinha-concavity", gamma=0.375, L_zz=0.5, name="modulus_strongly_convex")
    assert len(ev.flags) == 1 and ev.flags[0].exprs == ("modulus_strongly_convex",)
    # arrays: 2 of 3 points (gamma = 0.1, 0.25 flagged; 0.3 not)
    ev = evaluate("sinha-concavity", gamma=np.array([0.1, 0.25, 0.3]), L_zz=0.5,
                  name="modulus_squared")
    assert [f.where for f in ev.flags] == ["2 of 3 points"]
    ev = evaluate("sinha-concavity", gamma=np.array([0.1, 0.25]), L_zz=0.5,
                  name="modulus_squared")
    assert [f.where for f in ev.flags] == ["all"]
    ev = evaluate("sinha-concavity", gamma=np.array([0.3, 0.4]), L_zz=0.5,
                  name="modulus_squared")
    assert ev.flags == ()


def test_flag_skipped_when_its_parameters_are_missing():
    # birthday-ta's flag (rho < 1) is about "bound"; rho has a default, so it is always known
    ev = evaluate("birthday-ta", N=5, M=3, name="bound")
    assert ev.flags == () and ev.defaults_used == ("rho",)
    ev = evaluate("birthday-ta", N=5, M=3, rho=0.5, name="bound")
    assert [f.kind for f in ev.flags] == ["outside_domain"]
    ev = evaluate("birthday-ta", N=5, M=3, rho=0.5, name="bound_rho_squared")
    assert ev.flags == ()


# -- numpy mode: exact integers, lost digits, overflow, arrays -----------------------------------

def test_integer_valued_expression_is_an_exact_int():
    # m* = ceil(8 Delta^2/eps^2 (p ln(1 + 16 R L L_phi/eps) + ln 2)) + 1 at p=1, Delta=1, L=1,
    # L_phi=1, eps=1: ceil(8 (ln 17 + ln 2)) + 1 = ceil(8 ln 34) + 1 = ceil(28.21...) + 1 = 30
    v = value("arora-mstar", p=1, Delta=1, L=1, L_phi=1, eps=1)
    assert v == 30 and type(v) is int
    arr = evaluate("arora-mstar", p=1, Delta=1, L=1, L_phi=1, eps=np.array([1.0, 2.0]),
                   name="m_star").value
    # eps = 2: 2 (ln 9 + ln 2) = 5.78..., ceil 6, + 1 = 7
    assert arr.tolist() == [30.0, 7.0]
    # entries above 2^53 are flagged as rounded float integers; entries of a few hundred are not
    # (p = 20: 8 (20 ln 17 + ln 2) = 458.8..., m* = 460)
    ev = evaluate("arora-mstar", p=np.array([1, 20]), Delta=1, L=1, L_phi=1, eps=1,
                  name="m_star")
    assert ev.value.tolist() == [30.0, 460.0]
    assert not any("2^53" in n for n in ev.notes)
    # p = 10^15: 8 (10^15 ln 17 + ln 2) ~ 2.3e16 > 2^53 ~ 9.0e15
    ev = evaluate("arora-mstar", p=np.array([1, 10**15]), Delta=1, L=1, L_phi=1, eps=1,
                  name="m_star")
    assert any(n.startswith("m_star: entries above 2^53 are rounded") for n in ev.notes)


def test_float64_cancellation_is_recomputed_with_mpmath():
    # birthday-exp-bound collision_lower_bound = 1 - exp(-M(M-1)/(2N)) for N = 10^30, M = 2:
    # = 1 - exp(-10^-30) = 10^-30 - 10^-60/2 + ...; float64 keeps it through expm1
    ev = evaluate("birthday-exp-bound", N=10**30, M=2, name="collision_lower_bound")
    assert ev.value == pytest.approx(1e-30, rel=1e-15)
    # T-a "bound" with the same numbers: 1 - exp(-(M^2 - M) rho/(2N)) also = 1e-30
    ev = evaluate("birthday-ta", N=10**30, M=2, rho=1, name="bound")
    assert ev.value == pytest.approx(1e-30, rel=1e-15)


def test_overflow_is_reported_as_infinite_with_a_note():
    # failure probability 2 (1 + 16/eps)^p e^{-m eps^2/8}: with p = 10^6, eps = 1, m = 2 it is
    # 2 * 17^(10^6) e^{-1/4} ~ 10^(1230449): beyond float64
    ev = evaluate("arora-mstar", p=10**6, Delta=1, L=1, L_phi=1, eps=1, m=2,
                  name="failure_probability")
    assert ev.value == math.inf
    assert any("exceeds the float64 range" in n for n in ev.notes)
    assert ev.vacuous


def test_mp_reference_converges_and_reports_digits():
    ref, dps, ok = mp_reference("birthday-exp-bound", "bound", dict(N=7, M=4))
    assert ok and dps == 60     # starts at MP_START_DPS = 30 digits, agrees after one doubling
    with mpmath.workdps(60):
        assert abs(ref - mpmath.exp(mpmath.mpf(-6) / 7)) < mpmath.mpf(10) ** -50
    # integer-valued: stops when two successive ceilings agree
    ref, dps, ok = mp_reference("arora-mstar", "m_star",
                                dict(p=1, Delta=1, L=1, L_phi=1, eps=1, R=1, fail_prob=1))
    assert ok and ref == 30


def test_numeric_function_order_and_value():
    fn, names = numeric_function("sinha-lphi")
    assert names == ("L_thth", "L_thz", "L_zth", "L_zz", "gamma")
    assert fn(1.0, 2.0, 3.0, 0.5, 2.5) == 4.0          # 1 + 2 * 3 / (2.5 - 0.5)
    fn, names = numeric_function("sinha-concavity", "threshold_squared")
    assert names == ("L_zz",) and fn(3.0) == 1.5


def test_arrays_broadcast_and_cross_check_notes():
    # 40 points (> 32): 16 cross-checked; values 2 gamma - 0
    g = np.linspace(1.0, 40.0, 40)
    ev = evaluate("sinha-concavity", gamma=g, L_zz=0.0, name="modulus_squared")
    assert ev.value.shape == (40,) and np.array_equal(ev.value, 2 * g)
    assert any("cross-checked against mpmath at 16 of 40 points" in n for n in ev.notes)
    ev = evaluate("sinha-concavity", gamma=g[:32], L_zz=0.0, name="modulus_squared")
    assert not any("cross-checked" in n for n in ev.notes)
    # broadcasting a scalar against an array keeps the array's shape
    ev = evaluate("sinha-concavity", gamma=np.array([[1.0], [2.0]]), L_zz=np.array([0.0, 1.0]),
                  name="modulus_squared")
    assert ev.value.tolist() == [[2.0, 1.0], [4.0, 3.0]]


def test_condition_skipped_when_its_parameters_are_not_needed():
    # sinha-thm2's condition gamma > L_zz is not checked for T_min = L_phi Delta_F / sigma^2,
    # which needs neither: 2 * 3 / (1/2)^2 = 24
    ev = evaluate("sinha-thm2", name="T_min", L_phi=2, Delta_F=3, sigma=0.5)
    assert ev.value == 24.0 and ev.flags == ()
    # given and violated, it is checked even for T_min
    raises("gamma", "must exceed L_zz", evaluate, "sinha-thm2", name="T_min", L_phi=2,
           Delta_F=3, sigma=0.5, gamma=1, L_zz=1)
