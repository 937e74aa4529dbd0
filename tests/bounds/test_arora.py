"""Arora et al. Theorem 1: reference values, exactness, monotonicity, inversion, construction."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given, strategies as st

from checker.bounds import evaluate, get, solve_for
from checker.bounds.arora_construction import (encoder_nonzeros, generator_param_count,
                                               ramp_mass_bound, ramp_width)
from checker.bounds.arora_thm1 import (explicit_eps, mcdiarmid_failure_probability, mcdiarmid_m,
                                       mstar, mstar_failure_probability, paper_m)
from checker.errors import InvalidArgument
from checker.tolerances import BOUND_ROUND_TRIP_REL, FLOAT64_REL
from tests.strategies.bounds import arora_params, capacity, eps as eps_st

EX = dict(p=1000, Delta=1, L=1, L_phi=1, eps=0.1)  # docs/math/arora-thm1.md, worked example [D]


def test_worked_example_reference_values():
    # reference values: docs/math/arora-thm1.md, worked example [D]
    assert round(paper_m(**EX)) == 8_483_037
    assert mstar(**EX) == 4_065_680
    assert mcdiarmid_m(**EX) == 16_276_736


def test_worked_example_independent_float64():
    # independent recomputation with the math module (no sympy)
    p, e = 1000, 0.1
    assert round(p * math.log(p / e) ** 2 / e**2) == 8_483_037
    assert math.ceil(8 / e**2 * (p * math.log(1 + 16 / e) + math.log(2))) + 1 == 4_065_680
    assert math.ceil(32 / e**2 * (p * math.log(1 + 16 / e) + math.log(16 / e))) + 1 == 16_276_736
    # failure bound at m*: docs/math/arora-thm1.md (worked example) gives ~0.9975
    direct = math.exp(math.log(2) + p * math.log(161) - 4_065_680 * e**2 / 8)
    assert mstar_failure_probability(4_065_680, **EX) == pytest.approx(direct, rel=BOUND_ROUND_TRIP_REL)
    assert mstar_failure_probability(4_065_680, **EX) == pytest.approx(0.9975, abs=1e-4)


def test_worked_example_exact_mode():
    ev = evaluate("arora-thm1", dict(EX, eps="1/10"), mode="exact")
    assert ev.values["m_star"] == 4_065_680
    # 1000 * ln(10^4)^2 / (1/100) = 1.6e6 ln(10)^2, by hand
    assert sp.simplify(ev.values["m_paper"] - 1_600_000 * sp.log(10) ** 2) == 0
    assert "C" in ev.defaults_used and "R" in ev.defaults_used


def test_failure_probability_not_clipped_and_fail_prob_option():
    # far below m* the bound exceeds 1 and is reported as is
    assert mstar_failure_probability(10, **EX) > 1
    m = mstar(**EX, fail_prob=0.01)
    assert mstar_failure_probability(m, **EX) <= 0.01
    assert mcdiarmid_failure_probability(mcdiarmid_m(**EX), **EX) < 1


@given(arora_params(), st.sampled_from(["p", "Delta", "L", "L_phi"]))
@example(dict(p=1, Delta=1.0, L=1e-3, L_phi=1e-3, eps=2.0), "L")
def test_mstar_monotone(params, which):
    base = mstar(**params)
    bigger = dict(params)
    bigger[which] = params[which] * 2 if which != "p" else params["p"] + 1
    assert mstar(**bigger) >= base
    smaller_eps = dict(params, eps=params["eps"] / 2)
    assert mstar(**smaller_eps) >= base
    assert mcdiarmid_m(**bigger) >= mcdiarmid_m(**params)


@given(arora_params())
def test_paper_m_falls_with_eps_when_log_positive(params):
    if params["p"] * params["Delta"] * params["L"] * params["L_phi"] / params["eps"] <= math.e:
        return  # the paper's form needs p Delta L L_phi / eps >= e to be monotone
    assert paper_m(**dict(params, eps=params["eps"] * 0.9)) > paper_m(**params)


@given(arora_params())
def test_explicit_eps_round_trip(params):
    m = mstar(**params)
    e = explicit_eps(m, params["p"], params["Delta"], params["L"], params["L_phi"])
    # the smallest eps with m >= m*(eps): m* at e fits, and eps slightly smaller does not
    assert e <= params["eps"] * (1 + BOUND_ROUND_TRIP_REL)
    assert mstar(**dict(params, eps=e * (1 + BOUND_ROUND_TRIP_REL))) <= m
    assert mstar(**dict(params, eps=e * (1 - 1e3 * BOUND_ROUND_TRIP_REL))) > m - 1


def test_explicit_eps_rejects_m1():
    with pytest.raises(InvalidArgument, match="m=1 must be >= 2"):
        explicit_eps(1, 10, 1, 1, 1)


@given(capacity, eps_st)
@example(p=30, e=1.0)  # float m*_cont(30) lies a hair below the exact value
@example(p=1, e=0.5)   # the root sits at the domain's lower end
def test_solve_for_p_inverts_continuous_mstar(p, e):
    m_cont = evaluate("arora-mstar", p=p, Delta=1, L=1, L_phi=1, eps=e,
                      name="m_star_continuous").value
    # a target a relative 1e-12 above m*_cont(p): m*_cont(p) <= target < m*_cont(p + 1)
    # (the gap to p + 1 is >= 8 ln(1 + 16/eps)/eps^2 > 1 relative 1e-8 at p <= 1e7)
    target = m_cont * (1 + 1e-12)
    inv = solve_for("arora-mstar", "p", target=target, values=dict(Delta=1, L=1, L_phi=1, eps=e))
    assert inv.method == "symbolic"  # p enters linearly: sympy solves it in closed form
    assert inv.roots[0].value == pytest.approx(p, rel=BOUND_ROUND_TRIP_REL)
    assert inv.value == p  # integer unknown rounded to the safe side (m*_cont <= target)
    exact = evaluate("arora-mstar", p=p, Delta=1, L=1, L_phi=1, eps=e,
                     name="m_star_continuous", mode="mpmath", dps=60).value
    assert exact <= mpmath.mpf(target)  # the float target, converted exactly


def test_solve_for_integer_unknown_refuses_unsafe_rounding():
    # below m*_cont(1) no integer p >= 1 has m*_cont(p) <= target: a one-line error, not 0.99
    m1 = evaluate("arora-mstar", p=1, Delta=1, L=1, L_phi=1, eps=0.5,
                  name="m_star_continuous").value
    with pytest.raises(InvalidArgument, match="safe side"):
        solve_for("arora-mstar", "p", target=m1 * (1 - 1e-9),
                  values=dict(Delta=1, L=1, L_phi=1, eps=0.5))


def test_generator_count_parts_and_independent_layer_count():
    stmt = get("arora-generator-size")
    for m, d, dt in [(1, 5, 1), (2, 10, 4), (37, 784, 7), (1000, 3072, 30)]:
        ev = evaluate(stmt, m=m, d=d, d_tilde=dt, mode="exact").values
        parts = sum(ev[k] for k in ("first_layer_weights", "hidden_biases", "output_weights",
                                    "output_bias", "skip_weights"))
        # independent count of the layers of docs/math/arora-thm1.md, ReLU generator: Linear(d~, 2(m-1)) acting on z_1
        # only (2(m-1) weights + 2(m-1) biases), Linear(2(m-1), d) restricted to the d-d~
        # non-noise rows plus their bias, and the d~ skip weights of P.
        by_layers = 2 * (m - 1) * 1 + 2 * (m - 1) + (d - dt) * 2 * (m - 1) + (d - dt) + dt
        assert generator_param_count(m, d, dt) == parts == by_layers == 2 * (m - 1) * (d - dt + 2) + d
    with pytest.raises(InvalidArgument, match="d_tilde=6 must be <= d=5"):
        generator_param_count(3, 5, 6)


def test_encoder_nonzeros():
    assert encoder_nonzeros(10) == 10
    assert encoder_nonzeros(10, relu=True) == 40


@given(eps_st, st.floats(1, 50), st.integers(2, 10**7))
def test_ramp_width_makes_error_eps_over_4(e, delta_cap, m):
    delta = ramp_width(e, delta_cap, m)
    err = evaluate("arora-ramp-mass", m=m, delta=delta, Delta=delta_cap, name="error").value
    assert err == pytest.approx(e / 4, rel=FLOAT64_REL * 100)
    assert ramp_mass_bound(m, delta) == pytest.approx(e / (8 * delta_cap), rel=BOUND_ROUND_TRIP_REL)


def test_ramp_width_exact_identity_and_m1():
    s = get("arora-ramp-width").expression
    mass = get("arora-ramp-mass").expressions["error"]
    sym = {n: get("arora-ramp-mass").symbols[n] for n in ("m", "delta", "Delta")}
    eps_s = get("arora-ramp-width").symbols["eps"]
    # 2 Delta nu(A) with the chosen delta is exactly eps/4 (symbolic, docs/math/arora-thm1.md, ReLU generator)
    assert sp.simplify(mass.subs(sym["delta"], s) - eps_s / 4) == 0
    assert ramp_width(0.1, 1, 1) == math.inf
    # docs/math/arora-thm1.md, ReLU generator: delta ~ 7.7e-9 for the worked example
    assert ramp_width(0.1, 1, 4_065_680) == pytest.approx(7.7e-9, rel=0.01)
