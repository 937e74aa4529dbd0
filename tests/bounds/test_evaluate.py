"""The lambdify bridge: vectorised = exact = mpmath, hidden constants, bad input, inversions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from checker.bounds import evaluate, solve_for, value
from checker.errors import InvalidArgument
from checker.tolerances import FLOAT64_REL
from tests.strategies.bounds import arora_params

CASES = [
    ("arora-thm1", "m_paper"), ("arora-mstar", "m_star_continuous"),
    ("arora-mcdiarmid", "m_mcdiarmid_continuous"),
]


@given(st.lists(arora_params(), min_size=1, max_size=5), st.sampled_from(CASES))
def test_vectorised_agrees_with_exact(points, case):
    sid, name = case
    arrays = {k: np.array([p[k] for p in points], dtype=float) for k in points[0]}
    vec = evaluate(sid, arrays, name=name).value
    for t, p in enumerate(points):
        exact = evaluate(sid, p, name=name, mode="exact").value
        assert vec[t] == pytest.approx(float(exact), rel=FLOAT64_REL)


@given(arora_params())
def test_mpmath_agrees_with_numpy(params):
    a = evaluate("arora-mstar", params, name="m_star_continuous").value
    b = evaluate("arora-mstar", params, name="m_star_continuous", mode="mpmath", dps=40).value
    assert a == pytest.approx(float(b), rel=FLOAT64_REL)


def test_failure_probability_no_overflow_nan():
    # (1 + 16/eps)^p overflows float64 for p = 1000; the log-space form stays finite
    # (hand: log bound = ln 2 + 1000 ln 161 - 4.1e6 / 800 ~ -42)
    v = value("arora-mstar", "failure_probability", p=1000, Delta=1, L=1, L_phi=1, eps=0.1,
              m=4_100_000)
    assert 0 < v < 1 and math.isfinite(v)


def test_vectorised_shapes_broadcast():
    eps = np.linspace(0.05, 1, 7)
    out = evaluate("arora-thm1", p=10, Delta=1, L=1, L_phi=1, eps=eps, name="m_star").value
    assert out.shape == (7,)
    assert np.all(np.diff(out) <= 0)
    ms = evaluate("birthday-collision", N=np.array([365, 365]), M=np.array([23, 10]),
                  name="collision").value
    assert ms[0] == pytest.approx(0.5073, abs=5e-5) and ms[1] < ms[0]


def test_bad_inputs_name_parameter_value_rule():
    with pytest.raises(InvalidArgument, match="eps=0 must be > 0"):
        evaluate("arora-thm1", p=10, Delta=1, L=1, L_phi=1, eps=0)
    with pytest.raises(InvalidArgument, match="p=1.5 must be an integer"):
        evaluate("arora-thm1", p=1.5, Delta=1, L=1, L_phi=1, eps=0.1)
    with pytest.raises(InvalidArgument, match="did you mean 'L_phi'"):
        evaluate("arora-thm1", p=10, Delta=1, L=1, L_ph=1, eps=0.1)
    with pytest.raises(InvalidArgument, match="L_phi=None is required"):
        evaluate("arora-thm1", p=10, Delta=1, L=1, eps=0.1)
    with pytest.raises(InvalidArgument, match="must be finite"):
        evaluate("arora-thm1", p=10, Delta=1, L=1, L_phi=1, eps=math.inf)
    with pytest.raises(InvalidArgument, match="mode='fast' must be one of"):
        evaluate("arora-thm1", p=10, Delta=1, L=1, L_phi=1, eps=0.1, mode="fast")
    with pytest.raises(InvalidArgument, match="rate=1 must be in the open interval"):
        evaluate("birthday-inversion", M=10, rate=1)
    with pytest.raises(InvalidArgument, match="must be a number"):
        evaluate("arora-thm1", p=10, Delta=1, L=1, L_phi=1, eps="abc")


def test_exact_strings_are_rationals():
    ev = evaluate("sinha-concavity", gamma="1/3", L_zz="1/2", mode="exact")
    assert ev.values["modulus_squared"] == sp.Rational(1, 6)  # 2/3 - 1/2, by hand


def test_default_labels_and_partial_evaluation():
    ev = evaluate("arora-thm1", p=10, Delta=1, L=1, L_phi=1, eps=0.1)
    assert set(ev.defaults_used) == {"C", "R", "fail_prob"}
    assert "failure_probability" not in ev.values
    assert any("needs m" in n for n in ev.notes)


def test_solve_for_unattainable_target():
    # m*_continuous = X + 1 > 1 for every eps (X > 0), so 0.5 is never attained
    with pytest.raises(InvalidArgument, match="is not attained"):
        solve_for("arora-mstar", "eps", target=0.5, values=dict(p=10, Delta=1, L=1, L_phi=1))


def test_solve_for_reports_closed_form():
    inv = solve_for("birthday-inversion", "M", target=100.0, values={"rate": 0.5})
    assert inv.method == "symbolic"
    assert inv.value * (inv.value - 1) / (2 * math.log(2)) == pytest.approx(100.0)


def test_mpmath_mode_with_finite_products():
    # exact reference: the Rational product (docs/math/birthday.md), evaluated to 40 digits by sympy
    exact = evaluate("birthday-collision", N=365, M=23, name="collision", mode="exact").value
    hp = evaluate("birthday-collision", N=365, M=23, name="collision", mode="mpmath", dps=40).value
    assert abs(hp - sp.Float(exact, 40)) < sp.Float("1e-35")
    mass = evaluate("birthday-mass-lower-bound", N=1000, rho=0.5, M=60, mode="mpmath").value
    assert float(mass) == pytest.approx(0.3562, abs=5e-5)  # docs/math/birthday.md, T-a counterexample row 3
