"""Sinha et al.: Theorem 2 algebra, NN smoothness recursion, activation constants, linear closed
form, inner correction, concavity inversion, hidden constants."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, strategies as st

from checker.bounds import evaluate, get, solve_for
from checker.bounds.sinha_concavity import concavity_modulus, gamma_for_concavity
from checker.bounds.sinha_nn_smoothness import (ACTIVATION_CONSTANTS, ACTIVATION_CONSTANTS_EXACT,
                                                activation_constants,
                                                smoothness_constants, smoothness_for_activation)
from checker.errors import InvalidArgument
from checker.tolerances import BOUND_ROUND_TRIP_REL, FLOAT64_ABS, FLOAT64_REL

#: the activation suprema are attained to the resolution of a 1e-4-spaced grid: the relative gap
#: of a smooth maximum sampled at spacing h is O(h^2) = 1e-8; 1e-6 leaves margin.
GRID_REL = 1e-6
from tests.strategies.bounds import layer_lists


def _sym(stmt_id):
    return get(stmt_id).symbols


def test_thm2_v5_follows_from_one_step_bound():
    # docs/math/sinha.md, Theorem 2 (consistency derivation) [D]
    s = _sym("sinha-thm2")
    thm = get("sinha-thm2").expressions
    alpha = thm["step_size"]
    DF, Lphi, sigma, T, Lthz, Lzz, gamma, eps = (s[k] for k in
                                                 ("Delta_F", "L_phi", "sigma", "T", "L_thz",
                                                  "L_zz", "gamma", "eps"))
    eps_hat = get("sinha-gradient-bias").expression
    # one-step: E F+ - F <= -a/2 g + a eps_hat + L a^2 s^2; sum over T steps, telescope with
    # Delta_F, divide by T a / 2:
    rhs_avg = 2 * DF / (T * s["alpha"]) + 2 * eps_hat + 2 * Lphi * s["alpha"] * sigma**2
    one_step = thm["one_step_rhs"]
    # the one-step expression has exactly the three terms used above
    assert sp.simplify(one_step.coeff(s["grad_sq"]) + s["alpha"] / 2) == 0
    derived = rhs_avg.subs(s["alpha"], alpha)
    assert sp.simplify(derived - thm["bound"]) == 0
    # alpha <= 1/L_phi exactly when T >= T_min
    assert sp.simplify((Lphi * alpha).subs(T, thm["T_min"]) - 1) == 0


def test_thm2_iclr_constants_do_not_follow():
    s = _sym("sinha-thm2")
    thm = get("sinha-thm2").expressions
    iclr = get("sinha-thm2-iclr").expressions
    eps_hat = get("sinha-gradient-bias").expression
    rhs_avg = (2 * s["Delta_F"] / (s["T"] * s["alpha"]) + 2 * eps_hat
               + 2 * s["L_phi"] * s["alpha"] * s["sigma"] ** 2)
    derived = sp.simplify(rhs_avg.subs(s["alpha"], iclr["step_size"]))
    assert sp.simplify(derived - iclr["bound"]) != 0
    # what it does give: 3 sqrt 2 sigma sqrt(L Delta/T) + 4 L_thz^2 eps/(gamma - L_zz)
    expected = (3 * sp.sqrt(2) * s["sigma"] * sp.sqrt(s["L_phi"] * s["Delta_F"] / s["T"])
                + 2 * eps_hat)
    assert sp.simplify(derived - expected) == 0
    assert sp.simplify(thm["bound"] - iclr["bound"]) != 0


# Products of small operator norms underflow into subnormal floats, where float64 keeps only a
# few significant bits: compare with an absolute slack of the smallest *normal* float there.
SUBNORMAL_ABS = sys.float_info.min


@given(layer_lists())
@example(([1.5, 0.8, 1.2], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]))
@example(([1.0, 7.006522978721935e-158], [1.0, 0.5], [0.0, 0.0]))  # found by Hypothesis: subnormal
def test_recursion_equals_closed_form(lists):
    ops, l0, l1 = lists
    res = smoothness_constants(ops, l0, l1)
    a, b = 1.0, 0.0  # alpha_0 = 1, beta_0 = 0 (v5 §B.9; the misprint beta_0 = 1 is not used)
    for t in range(len(ops)):
        a_next = l0[t] * ops[t] * a
        b = l0[t] * ops[t] * b + l1[t] / l0[t] ** 2 * a_next**2
        a = a_next
        assert res.alphas[t + 1] == pytest.approx(a, rel=BOUND_ROUND_TRIP_REL, abs=SUBNORMAL_ABS)
        assert res.betas[t + 1] == pytest.approx(b, rel=BOUND_ROUND_TRIP_REL, abs=SUBNORMAL_ABS)
    # softmax as an extra layer (norm 1, L0 = sqrt 2, L1 = 1): beta_{L+1} = Corollary 4's bound
    a_s = math.sqrt(2) * 1.0 * a
    b_s = math.sqrt(2) * b + 1 / 2 * a_s**2
    assert res.lzz_bound == pytest.approx(b_s, rel=BOUND_ROUND_TRIP_REL, abs=SUBNORMAL_ABS)
    assert res.lzz_bound == pytest.approx(math.sqrt(2) * b + a**2,
                                          rel=BOUND_ROUND_TRIP_REL, abs=SUBNORMAL_ABS)


def test_softmax_layer_identity_symbolic():
    aL, bL = sp.symbols("alpha_L beta_L", nonnegative=True)
    L0, L1, nrm = sp.sqrt(2), 1, 1
    a_next = L0 * nrm * aL
    b_next = L0 * nrm * bL + sp.Rational(L1) / L0**2 * a_next**2
    assert sp.simplify(b_next - (sp.sqrt(2) * bL + aL**2)) == 0


def test_hand_example():
    # hand derivation: alphas 1.5, 1.2, 1.44; betas 2.25, 3.24, 1.44*(1.5+1.2+1.44)
    res = smoothness_for_activation([1.5, 0.8, 1.2], "elu")
    assert res.alphas == pytest.approx((1, 1.5, 1.2, 1.44))
    assert res.betas == pytest.approx((0, 2.25, 3.24, 1.44 * 4.14))
    assert res.lzz_bound == pytest.approx(math.sqrt(2) * 1.44 * 4.14 + 1.44**2)


def test_activation_constants_derived():
    x = sp.Symbol("x", real=True)
    grid = np.linspace(-20, 20, 400_001)
    defs = {"tanh": sp.tanh(x), "softplus": sp.log(1 + sp.exp(x)),
            "sigmoid": 1 / (1 + sp.exp(-x)), "identity": x}
    for name, f in defs.items():
        L0, L1 = ACTIVATION_CONSTANTS_EXACT[name]
        assert ACTIVATION_CONSTANTS[name] == (float(L0), float(L1))
        d1 = sp.lambdify(x, sp.diff(f, x), "numpy")(grid)
        d2 = sp.lambdify(x, sp.diff(f, x, 2), "numpy")(grid)
        d1 = np.broadcast_to(d1, grid.shape)
        d2 = np.broadcast_to(d2, grid.shape)
        # the constants are the suprema: never exceeded, and attained to grid resolution
        assert np.max(np.abs(d1)) <= float(L0) * (1 + FLOAT64_REL)
        assert np.max(np.abs(d2)) <= float(L1) * (1 + FLOAT64_REL) + FLOAT64_ABS
        assert np.max(np.abs(d1)) == pytest.approx(float(L0), rel=GRID_REL)
        assert np.max(np.abs(d2)) == pytest.approx(float(L1), rel=GRID_REL, abs=FLOAT64_ABS)
    # ELU: derivative e^x (x <= 0) / 1 (x > 0): sup 1; its Lipschitz constant sup e^x = 1
    assert ACTIVATION_CONSTANTS_EXACT["elu"] == (1, 1)
    assert ACTIVATION_CONSTANTS["relu"] is None
    # exact tanh maximiser t = 1/sqrt(3) of 2 t (1 - t^2)
    t = sp.Symbol("t", positive=True)
    crit = sp.solve(sp.diff(2 * t * (1 - t**2), t), t)
    assert sp.simplify(2 * crit[0] * (1 - crit[0] ** 2) - ACTIVATION_CONSTANTS_EXACT["tanh"][1]) == 0
    with pytest.raises(InvalidArgument, match="relu"):
        activation_constants("relu")
    with pytest.raises(InvalidArgument, match="did you mean 'tanh'"):
        activation_constants("tanhh")


def test_smoothness_input_validation():
    with pytest.raises(InvalidArgument, match=r"L0\[0\]=0.0 must be > 0"):
        smoothness_constants([1.0], [0.0], [1.0])
    with pytest.raises(InvalidArgument, match="one entry per layer"):
        smoothness_constants([1.0, 2.0], [1.0], [1.0])


def test_linear_closed_form_by_solving_stationarity():
    # docs/math/sinha.md, a closed form for testing: solve grad_z f = 0 for m = 3 and compare
    th = sp.symbols("th1:4", real=True)
    xs = sp.symbols("x1:4", real=True)
    zs = sp.symbols("z1:4", real=True)
    y = sp.Symbol("y", real=True)
    gamma = sp.Symbol("gamma", positive=True)
    theta, x, z = sp.Matrix(th), sp.Matrix(xs), sp.Matrix(zs)
    f = sp.Rational(1, 2) * ((theta.T * z)[0] - y) ** 2 - gamma * ((z - x).T * (z - x))[0]
    sol = sp.solve([sp.diff(f, v) for v in zs], zs, dict=True)
    assert len(sol) == 1
    zstar = sp.Matrix([sol[0][v] for v in zs])
    r = (theta.T * x)[0] - y
    nsq = (theta.T * theta)[0]
    closed = get("sinha-linear-closed-form").expressions
    sym = _sym("sinha-linear-closed-form")
    sub = {sym["gamma"]: gamma, sym["r"]: r, sym["theta_sq"]: nsq}
    assert sp.simplify(f.subs(dict(zip(zs, zstar))) - closed["phi"].subs(sub)) == 0
    assert sp.simplify(zstar - (x + closed["step"].subs(sub) * theta)) == sp.zeros(3, 1)
    # identity (13) instance: phi + gamma c(z*, x) = loss(z*)
    assert sp.simplify(closed["phi"] + sym["gamma"] * closed["transport_cost"]
                       - closed["worst_loss"]) == 0


@given(st.floats(-3, 3), st.floats(0.0, 4.0), st.floats(0.05, 10.0), st.integers(0, 10**6))
def test_inner_correction_upper_bounds_true_max(r, theta_sq, extra, seed):
    gamma = theta_sq / 2 + extra  # strongly concave: modulus mu = 2 gamma - ||theta||^2 > 0
    mu = 2 * gamma - theta_sq
    phi = evaluate("sinha-linear-closed-form", gamma=gamma, r=r, theta_sq=theta_sq,
                   name="phi").value
    # a perturbed approximate maximiser along theta: u = s theta with s off the optimum
    rng = np.random.default_rng(seed)
    s_star = r / mu
    s = s_star + rng.normal() * (1 + abs(s_star))
    f_hat = 0.5 * (r + s * theta_sq) ** 2 - gamma * s**2 * theta_sq
    grad_norm = abs((r + s * theta_sq) - 2 * gamma * s) * math.sqrt(theta_sq)
    up = evaluate("sinha-inner-correction", f_hat=f_hat, grad_norm=grad_norm, mu=mu,
                  name="upper").value
    tol = BOUND_ROUND_TRIP_REL * (1 + abs(phi) + abs(f_hat))
    assert f_hat <= phi + tol
    assert phi <= up + tol


@given(st.floats(0.0, 1e3), st.floats(0.0, 10.0), st.sampled_from(["squared", "strongly-convex"]))
@example(0.0, 0.0, "squared")
def test_gamma_for_concavity_round_trip(lzz, margin, cost):
    g = gamma_for_concavity(lzz, cost=cost, margin=margin)
    assert concavity_modulus(g, lzz, cost=cost) == pytest.approx(margin, abs=BOUND_ROUND_TRIP_REL * (1 + lzz))
    expected = (lzz + margin) / 2 if cost == "squared" else lzz + margin  # docs/math/sinha.md, Lemma 1 (cost scaling)
    assert g == pytest.approx(expected, rel=FLOAT64_REL, abs=FLOAT64_ABS)
    inv = solve_for("sinha-concavity", "gamma", target=margin, values={"L_zz": lzz})
    assert inv.method == "symbolic"


def test_conditions_checked():
    with pytest.raises(InvalidArgument, match="gamma=1 must exceed L_zz"):
        evaluate("sinha-lphi", L_thth=1, L_thz=1, L_zth=1, L_zz=2, gamma=1)
    v = evaluate("sinha-lphi", L_thth=1, L_thz=2, L_zth=3, L_zz=1, gamma=4).value
    assert v == pytest.approx(1 + 6 / 3)  # hand: 1 + 2*3/(4-1)


def test_cor1_never_numeric_without_b():
    ev = evaluate("sinha-cor1", d=28, L=1, diam=2, M0=1, n=1000, t=3)
    assert ev.symbolic
    free = {s.name for s in ev.values["eps_n"].free_symbols}
    assert free == {"b1", "b2"}
    ev2 = evaluate("sinha-cor1", d=28, L=1, diam=2, M0=1, n=1000, t=3, b1=1, b2=1)
    # hand: sqrt(28*3/1000) + 3 sqrt(3/1000)
    assert ev2.values["eps_n"] == pytest.approx(math.sqrt(0.084) + 3 * math.sqrt(0.003))
    cert = evaluate("sinha-certificate", gamma=2, rho=0.1, phi_mean=0.3)
    assert cert.values["certificate"] == pytest.approx(0.5)
    assert not isinstance(cert.values["certificate_with_eps_n"], float)


def test_thm4_tail_hand_value():
    ev = evaluate("sinha-thm4-tail", t=0.1, n=10_000, gamma=2, L_zz=1, L_c=1, L_zth=1, K=1,
                  N_cover=10, d=2, diam=1)
    assert ev.values["tail"] == pytest.approx(20 * math.exp(-10_000 * 0.01 / 8))
    assert ev.values["cover_radius"] == pytest.approx(0.025)
    assert ev.values["tail_euclidean"] == pytest.approx(2 * 41**2 * math.exp(-12.5))
