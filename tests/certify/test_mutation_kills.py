"""Soundness properties of the sound-bound engine that mutation testing found unguarded
(issue 25, item 7; docs/mutation.md).

Each test compares an enclosure or bound of :mod:`checker.certify.propagate`,
:mod:`checker.certify.local` or :mod:`checker.certify.bnb` with a reference computed
independently of the engine:

* exact rational arithmetic (:class:`fractions.Fraction`; a float converts to it exactly) for
  sums and products of floats, so a float result that rounded the wrong way is seen;
* 60-digit :mod:`mpmath` for the elementary functions, the network's loss, gradient and
  Hessian (written out here from the chain rule, not from the engine), eigenvalues and norms.
  A float64 bound is compared with the 60-digit value as an mpf (float -> mpf is exact); the
  reference's own error (about 10^-60 relative) is far below one float64 ulp.

Inputs are chosen where the rounding matters (cancellation, products that are not
representable, both rounding directions), so that a bound that drops its rounding allowance
fails. The negative controls show that the checks can fail.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
import torch
import torch.nn as nn
from hypothesis import example, given, settings
from hypothesis import strategies as st

from checker.certify import propagate as P
from checker.certify.bnb import point_values
from checker.certify.local import local_bounds, strong_concavity_bound
from checker.certify.propagate import (act_enclosure, ball_to_u1, box_to_u1, chain_net, enclose,
                                       gamma_n, opnorm_upper, sym_lambda_max_upper)

DPS = 60


def _f(t) -> list[Fraction]:
    return [Fraction(v) for v in torch.as_tensor(t).reshape(-1).tolist()]


def _mp(v: float):
    return mpmath.mpf(float(v))


def _t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def _iv_mul(alo: Fraction, ahi: Fraction, blo: Fraction, bhi: Fraction) -> tuple[Fraction, Fraction]:
    """The exact range of a*b over a in [alo, ahi], b in [blo, bhi] (a bilinear function's extrema
    over a box are at its corners)."""
    c = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
    return min(c), max(c)


# -- element-wise interval product: the outward widening of propagate._out -----------------------

#: (a, b) pairs whose float64 product rounds *up* (first) and *down* (second): a point interval
#: [fl(ab), fl(ab)] misses the exact product on the lower resp. upper side unless widened.
ROUND_UP = (0.3, 0.7)
ROUND_DOWN = (0.1, 0.3)

finite = st.floats(min_value=-1e100, max_value=1e100, allow_nan=False, allow_infinity=False)


def test_the_product_examples_round_both_ways():
    # the premise of the @examples below (exact rational check): without it they test nothing
    for (a, b), up in ((ROUND_UP, True), (ROUND_DOWN, False)):
        exact, got = Fraction(a) * Fraction(b), Fraction(a * b)
        assert (got > exact) if up else (got < exact)


@given(a=st.tuples(finite, finite), b=st.tuples(finite, finite))
@example(a=(ROUND_UP[0],) * 2, b=(ROUND_UP[1],) * 2)
@example(a=(ROUND_DOWN[0],) * 2, b=(ROUND_DOWN[1],) * 2)
@example(a=(-0.1, 0.1), b=(0.3, 0.7))
def test_interval_product_contains_the_exact_range(a, b):
    alo, ahi = sorted(a)
    blo, bhi = sorted(b)
    lo, hi = P._mul(_t([alo]), _t([ahi]), _t([blo]), _t([bhi]))
    elo, ehi = _iv_mul(*map(Fraction, (alo, ahi, blo, bhi)))
    assert Fraction(float(lo[0])) <= elo and ehi <= Fraction(float(hi[0]))


def test_negative_control_unwidened_product_misses_the_exact_value():
    # the float interval [fl(ab), fl(ab)] without _out: the check above would fail on it
    for a, b in (ROUND_UP, ROUND_DOWN):
        p = Fraction(a * b)
        assert not (p <= Fraction(a) * Fraction(b) <= p)


# -- affine maps and interval matrix products: the a priori dot-product error (Higham) ------------

#: A dot product with ones whose float64 value is wrong by 100 %: torch sums it to 0, exact 1
#: (checked by test_cancellation_example_is_wrong_in_float).
CANCEL_V = (1.0, 1e16, -1e16)


def _exact_affine_range(W, b, lo, hi):
    """Exact range of each output of v @ W.T + b over the box [lo, hi]."""
    out = []
    for i, row in enumerate(W):
        mn = sum(min(Fraction(w) * Fraction(l), Fraction(w) * Fraction(h)) for w, l, h in zip(row, lo, hi))
        mx = sum(max(Fraction(w) * Fraction(l), Fraction(w) * Fraction(h)) for w, l, h in zip(row, lo, hi))
        bi = Fraction(b[i]) if b is not None else Fraction(0)
        out.append((mn + bi, mx + bi))
    return out


def test_cancellation_example_is_wrong_in_float():
    # the premise of the cancellation cases: torch's float64 dot product is off by 1 here
    got = float(_t([CANCEL_V]) @ _t([[1.0, 1.0, 1.0]]).T)
    assert got != 1.0


small = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@settings(deadline=None)
@given(W=st.lists(st.lists(small, min_size=3, max_size=3), min_size=1, max_size=3),
       b=st.lists(small, min_size=3, max_size=3),
       v=st.lists(st.tuples(small, small), min_size=3, max_size=3))
@example(W=[[1.0, 1.0, 1.0]], b=[0.0, 0.0, 0.0], v=[(c, c) for c in CANCEL_V])
@example(W=[[1.0, 1.0, 1.0], [1.0, -1.0, 1.0]], b=[0.5, 0.0, 0.0], v=[(0.5, 1.5), (1e16, 1e16), (-1e16, -1e16)])
def test_linear_enclosure_contains_the_exact_affine_range(W, b, v):
    lo = [min(p) for p in v]
    hi = [max(p) for p in v]
    bb = b[:len(W)]
    elo, ehi = P._lin(_t([lo]), _t([hi]), _t(W), _t(bb))
    for i, (mn, mx) in enumerate(_exact_affine_range(W, bb, lo, hi)):
        assert Fraction(float(elo[0, i])) <= mn and mx <= Fraction(float(ehi[0, i]))
    # the transpose (no bias), as op_backward uses it
    Wt = [list(col) for col in zip(*W)]
    tlo, thi = P._lin(_t([lo[:len(W)]]), _t([hi[:len(W)]]), _t(Wt))
    for i, (mn, mx) in enumerate(_exact_affine_range(Wt, None, lo[:len(W)], hi[:len(W)])):
        assert Fraction(float(tlo[0, i])) <= mn and mx <= Fraction(float(thi[0, i]))


def _exact_imatmul(alo, ahi, blo, bhi):
    m, k, n = len(alo), len(alo[0]), len(blo[0])
    out = [[None] * n for _ in range(m)]
    for i in range(m):
        for j in range(n):
            terms = [_iv_mul(Fraction(alo[i][t]), Fraction(ahi[i][t]), Fraction(blo[t][j]), Fraction(bhi[t][j]))
                     for t in range(k)]
            out[i][j] = (sum(t[0] for t in terms), sum(t[1] for t in terms))
    return out


def _contains(lo, hi, exact):
    for i, row in enumerate(exact):
        for j, (mn, mx) in enumerate(row):
            if not (Fraction(float(lo[i][j])) <= mn and mx <= Fraction(float(hi[i][j]))):
                return False
    return True


@settings(deadline=None)
@given(a=st.lists(st.lists(st.tuples(small, small), min_size=3, max_size=3), min_size=2, max_size=2),
       b=st.lists(st.lists(st.tuples(small, small), min_size=2, max_size=2), min_size=3, max_size=3))
@example(a=[[(c, c) for c in CANCEL_V], [(0.1, 0.1), (0.3, 0.3), (0.7, 0.7)]],
         b=[[(1.0, 1.0), (0.3, 0.3)], [(1.0, 1.0), (0.7, 0.7)], [(1.0, 1.0), (0.1, 0.1)]])
@example(a=[[(c, c) for c in CANCEL_V], [(0.1, 0.2), (0.3, 0.3), (0.7, 0.7)]],
         b=[[(1.0, 1.0), (0.3, 0.3)], [(0.5, 1.0), (0.7, 0.7)], [(1.0, 1.0), (0.1, 0.1)]])
def test_interval_matrix_products_contain_the_exact_ranges(a, b):
    alo = [[min(p) for p in row] for row in a]
    ahi = [[max(p) for p in row] for row in a]
    blo = [[min(p) for p in row] for row in b]
    bhi = [[max(p) for p in row] for row in b]
    exact = _exact_imatmul(alo, ahi, blo, bhi)
    lo, hi = P._imatmul(_t([alo]), _t([ahi]), _t([blo]), _t([bhi]))
    assert _contains(lo[0].tolist(), hi[0].tolist(), exact)
    # W @ J with an exact W (the first factor's lower ends) and an interval J
    exact_w = _exact_imatmul(alo, alo, blo, bhi)
    wlo, whi = P._lmat(_t(alo), _t([blo]), _t([bhi]))
    assert _contains(wlo[0].tolist(), whi[0].tolist(), exact_w)


def test_centre_radius_covers_the_interval():
    # [c - r, c + r] must contain [lo, hi] in exact arithmetic; (lo + hi)/2 rounds here.
    # adjacent floats: the midpoint is a tie that rounds to even, onto one end, so one of
    # hi - c and c - lo is 0 and only the larger one covers the interval
    one = 1.0 + 2**-52
    lo, hi = _t([0.1, -3.0, 1e300, 1.0, one, -one]), _t([0.3 + 2**-50, 1e-300, 1.7e308, one, 1.0 + 2**-51, -1.0])
    c, r = P._cr(lo, hi)
    for cc, rr, ll, hh in zip(_f(c), _f(r), _f(lo), _f(hi)):
        assert cc - rr <= ll and hh <= cc + rr


def test_gamma_n_is_the_exact_value_to_rounding_and_its_doubled_use_covers_it():
    # gamma_n itself is rounded to nearest (gamma_2 comes out 2^-156 below n u/(1 - n u)); every
    # use is 2 gamma_{n+2}, which covers the exact gamma_n with a factor > 2 to spare
    u = Fraction(1, 2**53)
    for n in (1, 2, 3, 10, 1000, 2**20, 2**40):
        exact = n * u / (1 - n * u)
        assert abs(Fraction(gamma_n(n)) - exact) <= 2 * u * exact
        assert 2 * Fraction(gamma_n(n + 2)) >= exact


# -- the ball's image and the point values ---------------------------------------------------------

def test_ball_image_contains_the_exact_range():
    # u1_i ranges over (W z0 + b)_i -+ r ||w_i|| on the ball; rows with products that round
    mpmath.mp.dps = DPS
    W = _t([[0.1, 0.3, 0.7], [1.0, 1e16, -1e16], [0.0, 0.0, 0.0]])
    b = _t([0.7, 0.0, 0.1])
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    with torch.no_grad():
        model[0].weight.copy_(W)
        model[0].bias.copy_(b)
    net = chain_net(model, (3,))
    z0 = _t([[0.3, 0.1, 0.7], [1.0, 1.0, 1.0]])
    for radius in (0.0, 0.1, 2.5):
        lo, hi = ball_to_u1(net, z0, torch.full((2,), radius, dtype=torch.float64))
        for k in range(2):
            for i in range(3):
                cen = sum(_mp(w) * _mp(z) for w, z in zip(W[i].tolist(), z0[k].tolist())) + _mp(b[i])
                rad = _mp(radius) * mpmath.sqrt(sum(_mp(w) ** 2 for w in W[i].tolist()))
                assert _mp(lo[k, i]) <= cen - rad and cen + rad <= _mp(hi[k, i])


# -- the network: loss, gradient, Hessian at points, in 60 digits ----------------------------------

_ACT = {
    nn.ELU: ("elu", lambda u, b: u if u > 0 else mpmath.expm1(u), lambda u, b: 1 if u > 0 else mpmath.exp(u),
             lambda u, b: 0 if u > 0 else mpmath.exp(u)),
    nn.Tanh: ("tanh", lambda u, b: mpmath.tanh(u), lambda u, b: 1 - mpmath.tanh(u) ** 2,
              lambda u, b: -2 * mpmath.tanh(u) * (1 - mpmath.tanh(u) ** 2)),
    nn.Sigmoid: ("sigmoid", lambda u, b: 1 / (1 + mpmath.exp(-u)),
                 lambda u, b: (1 / (1 + mpmath.exp(-u))) * (1 - 1 / (1 + mpmath.exp(-u))),
                 lambda u, b: (lambda s: s * (1 - s) * (1 - 2 * s))(1 / (1 + mpmath.exp(-u)))),
    nn.Softplus: ("softplus", lambda u, b: mpmath.log1p(mpmath.exp(b * u)) / b,
                  lambda u, b: 1 / (1 + mpmath.exp(-b * u)),
                  lambda u, b: (lambda s: b * s * (1 - s))(1 / (1 + mpmath.exp(-b * u)))),
}


def _exact_chain(model, z, label):
    """Loss, gradient and Hessian of CE(model(z), label) w.r.t. the first pre-activation u1 and
    w.r.t. z, in DPS-digit mpmath, from the chain rule (docs: the Hessian formula of
    checker.certify.propagate, written out independently)."""
    mpmath.mp.dps = DPS
    layers = list(model)
    W1 = mpmath.matrix(layers[0].weight.detach().tolist())
    a = W1 * mpmath.matrix([_mp(v) for v in z]) + mpmath.matrix(layers[0].bias.detach().tolist())
    n1 = a.rows
    J = mpmath.eye(n1)
    acts = []  # (u, J at u, act) per activation
    for m in layers[1:]:
        if isinstance(m, nn.Linear):
            W = mpmath.matrix(m.weight.detach().tolist())
            a = W * a + mpmath.matrix(m.bias.detach().tolist())
            J = W * J
            acts.append(("linear", W))
        else:
            _, f, d1, d2 = _ACT[type(m)]
            beta = mpmath.mpf(float(getattr(m, "beta", 1.0)))
            acts.append(("act", [a[i] for i in range(a.rows)], J, (f, d1, d2, beta)))
            J = mpmath.diag([d1(a[i], beta) for i in range(a.rows)]) * J
            a = mpmath.matrix([f(a[i], beta) for i in range(a.rows)])
    K = a.rows
    mx = max(a[i] for i in range(K))
    e = [mpmath.exp(a[i] - mx) for i in range(K)]
    s = mpmath.fsum(e)
    p = [v / s for v in e]
    loss = mpmath.log(s) + mx - a[label]
    g = mpmath.matrix([p[i] - (1 if i == label else 0) for i in range(K)])
    H = mpmath.matrix(K, K)
    for i in range(K):
        for j in range(K):
            H[i, j] = (p[i] if i == j else 0) - p[i] * p[j]
    hess = J.T * H * J
    for item in reversed(acts):
        if item[0] == "linear":
            g = item[1].T * g
        else:
            _, u, Jk, (f, d1, d2, beta) = item
            s2 = [g[i] * d2(u[i], beta) for i in range(len(u))]
            hess = hess + Jk.T * mpmath.diag(s2) * Jk
            g = mpmath.matrix([g[i] * d1(u[i], beta) for i in range(len(u))])
    return loss, g, hess, W1


def _model(act_cls, seed, d=2, width=3, **kw):
    gen = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(d, width), act_cls(**kw), nn.Linear(width, width), act_cls(**kw),
                          nn.Linear(width, 3)).double()
    with torch.no_grad():
        for prm in model.parameters():
            prm.copy_(torch.randn(prm.shape, generator=gen, dtype=torch.float64) * 1.5)
    return model


@pytest.mark.parametrize("act, kw", [(nn.ELU, {}), (nn.Tanh, {}), (nn.Sigmoid, {}), (nn.Softplus, {"beta": 2.0})])
def test_point_enclosures_contain_the_exact_gradient_and_hessian(act, kw):
    model = _model(act, seed=31)
    net = chain_net(model, (2,))
    gen = torch.Generator().manual_seed(32)
    x = torch.randn(4, 2, generator=gen, dtype=torch.float64) * 2
    y = torch.tensor([0, 1, 2, 1])
    enc = enclose(net, *box_to_u1(net, x, x), y, hessian=True)
    Klo, Khi = enc.hess_u1
    for k in range(4):
        loss, g, hess, _ = _exact_chain(model, x[k].tolist(), int(y[k]))
        assert _mp(enc.loss[0][k]) <= loss <= _mp(enc.loss[1][k])
        for i in range(g.rows):
            assert _mp(enc.grad_u1[0][k, i]) <= g[i] <= _mp(enc.grad_u1[1][k, i]), (k, i)
        for i in range(hess.rows):
            for j in range(hess.cols):
                assert _mp(Klo[k, i, j]) <= hess[i, j] <= _mp(Khi[k, i, j]), (k, i, j)
        lam = max(mpmath.eigsy(hess)[0])
        assert lam <= _mp(enc.lam_struct[k])


@pytest.mark.parametrize("act", [nn.Tanh, nn.ELU])
def test_point_values_contain_the_exact_lagrangian_and_its_gradient(act):
    # f(z) = l(z) - gamma ||z - x||^2 and its gradient grad l(z) - 2 gamma (z - x) (bnb.point_values)
    model = _model(act, seed=33)
    net = chain_net(model, (2,))
    gen = torch.Generator().manual_seed(34)
    x = torch.randn(3, 2, generator=gen, dtype=torch.float64)
    z = x + torch.tensor([[0.1, 0.3], [0.7, -0.1], [1e-9, 0.3]], dtype=torch.float64)
    y = torch.tensor([0, 2, 1])
    gamma = 0.7
    f_lo, f_hi, glo, ghi, _, _ = point_values(net, z, x, y, gamma)
    for k in range(3):
        loss, g, _, W1 = _exact_chain(model, z[k].tolist(), int(y[k]))
        dz = [_mp(a) - _mp(b) for a, b in zip(z[k].tolist(), x[k].tolist())]
        f = loss - _mp(gamma) * mpmath.fsum(v * v for v in dz)
        assert _mp(f_lo[k]) <= f <= _mp(f_hi[k])
        gz = W1.T * g
        for i in range(2):
            gf = gz[i] - 2 * _mp(gamma) * dz[i]
            assert _mp(glo[k, i]) <= gf <= _mp(ghi[k, i]), (k, i)


# -- activations on intervals ----------------------------------------------------------------------

def _xstar(kind):
    mpmath.mp.dps = DPS
    return mpmath.atanh(1 / mpmath.sqrt(3)) if kind == "tanh" else mpmath.log(2 + mpmath.sqrt(3))


def _exact_act_ranges(cls, beta, lo, hi):
    """Exact ranges of sigma, sigma', sigma'' on [lo, hi]: endpoints plus the interior critical
    points (0 for sigma' of tanh/sigmoid and sigma'' of softplus, +-x* for sigma'' of tanh and
    sigmoid; ELU's sigma'' jumps from 1 to 0 at 0: its Clarke hull takes both)."""
    kind, f, d1, d2 = _ACT[cls]
    b = mpmath.mpf(beta)
    L, H = _mp(lo), _mp(hi)
    pts = [L, H]
    crit1 = [mpmath.mpf(0)] if kind in ("tanh", "sigmoid") else []
    crit2 = {"tanh": [-_xstar("tanh"), _xstar("tanh")], "sigmoid": [-_xstar("sigmoid"), _xstar("sigmoid")],
             "softplus": [mpmath.mpf(0)], "elu": []}[kind]
    r = []
    for fn, crit in ((f, []), (d1, crit1), (d2, crit2)):
        vals = [fn(t, b) for t in pts + [c for c in crit if L <= c <= H]]
        if fn is d2 and kind == "elu" and L <= 0 <= H:
            vals += [mpmath.mpf(0), mpmath.mpf(1)]
        r.append((min(vals), max(vals)))
    return kind, r


INTERVALS = [(0.3, 0.3), (-0.7, -0.7), (-0.5, 0.2), (0.1, 2.0), (-3.0, -0.4), (-1e-300, 1e-300),
             (0.6584789484624084, 0.6584789484624085), (-1.3169578969248166, -1.316957896924816), (5.0, 40.0)]


@pytest.mark.parametrize("cls, beta", [(nn.ELU, 1.0), (nn.Tanh, 1.0), (nn.Sigmoid, 1.0), (nn.Softplus, 3.0)])
def test_activation_enclosures_contain_the_exact_ranges(cls, beta):
    mpmath.mp.dps = DPS
    lo = _t([a for a, _ in INTERVALS])
    hi = _t([b for _, b in INTERVALS])
    kind = _ACT[cls][0]
    encs = act_enclosure(kind, beta, lo, hi)
    for i, (a, b) in enumerate(INTERVALS):
        _, ranges = _exact_act_ranges(cls, beta, a, b)
        for (elo, ehi), (mn, mx) in zip(encs, ranges):
            assert _mp(elo[i]) <= mn and mx <= _mp(ehi[i]), (kind, a, b)


# -- eigenvalue and norm bounds ----------------------------------------------------------------------

def _sym(m, seed, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    A = torch.randn(m, m, generator=gen, dtype=torch.float64) * scale
    return (A + A.T) / 3.0


def _lam_exact(A):
    mpmath.mp.dps = DPS
    return max(mpmath.eigsy(mpmath.matrix(A.tolist()))[0])


@pytest.mark.parametrize("m", [1, 2, 3, 6])
def test_lambda_max_bound_is_at_least_the_exact_eigenvalue_of_point_matrices(m):
    cases = [_sym(m, s) for s in range(4)] + [_sym(m, 10, scale=1e150)]
    cases.append(torch.full((m, m), 0.1, dtype=torch.float64))  # rank one: lambda = 0.1 m, inexact
    cases.append(torch.eye(m, dtype=torch.float64) * 0.3 + torch.full((m, m), 1e-17, dtype=torch.float64))
    for A in cases:
        got = sym_lambda_max_upper(A[None], A[None])
        assert _mp(got[0]) >= _lam_exact(A), A


#: A regression found by this file (2026-12-07): for m = 2 the closed form squared entries of
#: about 1e-200, h*h + b*b underflowed to 0, and the bound (1.3e-201) was below the exact
#: eigenvalue (7.0e-201); TINY = 2^-1000 does not cover it. Fixed with an underflow-safe hypot.
@pytest.mark.parametrize("m", [1, 2, 3, 6])
def test_lambda_max_bound_with_entries_near_underflow(m):
    A = _sym(m, 9, scale=1e-200)
    got = sym_lambda_max_upper(A[None], A[None])
    assert _mp(got[0]) >= _lam_exact(A), A


def test_lambda_max_bound_covers_every_matrix_of_an_interval():
    # lambda_max is convex, so over a box its maximum is at a vertex: enumerate the vertices of a
    # 2 x 2 and a 3 x 3 symmetric box (diagonal and upper triangle free)
    import itertools

    for m, seed in ((2, 41), (3, 42)):
        c = _sym(m, seed)
        r = torch.full((m, m), 0.05, dtype=torch.float64)
        lo, hi = c - r, c + r
        bound = _mp(sym_lambda_max_upper(lo[None], hi[None])[0])
        idx = [(i, j) for i in range(m) for j in range(i, m)]
        for signs in itertools.product((0, 1), repeat=len(idx)):
            A = c.clone()
            for (i, j), s in zip(idx, signs):
                A[i, j] = A[j, i] = (hi if s else lo)[i, j]
            assert _lam_exact(A) <= bound


@pytest.mark.parametrize("shape, seed", [((1, 3), 0), ((3, 1), 1), ((2, 2), 2), ((4, 3), 3), ((3, 5), 4)])
def test_opnorm_upper_is_at_least_the_exact_spectral_norm(shape, seed):
    mpmath.mp.dps = DPS
    gen = torch.Generator().manual_seed(seed)
    for W in (torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.3,
              torch.full(shape, 0.1, dtype=torch.float64)):
        s = mpmath.svd_r(mpmath.matrix(W.tolist()), compute_uv=False)
        assert _mp(opnorm_upper(W)) >= max(s[i] for i in range(len(s)))


# -- local: the strong-concavity bound and the proved radius -----------------------------------------

@given(f=small, g=small, mu=st.floats(min_value=1e-3, max_value=1e3))
@example(f=0.1, g=0.3, mu=0.7)
@example(f=-0.1, g=0.7, mu=0.3)
@example(f=1.0, g=1e-8, mu=3.0)
def test_strong_concavity_bound_is_at_least_the_exact_value(f, g, mu):
    got = strong_concavity_bound(_t([f]), _t([g]), _t([mu]))
    assert Fraction(float(got[0])) >= Fraction(f) + Fraction(g) ** 2 / (2 * Fraction(mu))


def _affine_case(a=1.0, x0=-6.0, gamma=1.0):
    """A 1-D two-class net u = (a z, -a z) with label 0 at a badly misclassified x0: the loss
    log(1 + exp(-2 a z)) has slope close to -2a, so the set {f(z) >= f(x0)} reaches out almost to
    the Lipschitz radius 2a/gamma and a radius proved too small shows."""
    model = nn.Sequential(nn.Linear(1, 2)).double()
    with torch.no_grad():
        model[0].weight.copy_(_t([[a], [-a]]))
        model[0].bias.zero_()
    return model, _t([[x0]]), torch.tensor([0]), gamma


def _exact_superlevel_reach(a, x0, gamma):
    """The largest r with f(x0 - r) >= f(x0) (the set extends left, up the loss), in mpmath:
    the positive root of l(x0 - r) - l(x0) - gamma r^2, with l(z) = log1p(exp(-2 a z))."""
    mpmath.mp.dps = DPS
    a, x0, g = mpmath.mpf(a), mpmath.mpf(x0), mpmath.mpf(gamma)

    def h(r):
        return mpmath.log1p(mpmath.exp(-2 * a * (x0 - r))) - mpmath.log1p(mpmath.exp(-2 * a * x0)) - g * r * r

    return mpmath.findroot(h, (mpmath.mpf("1e-3"), 4 * a / g), solver="anderson")


def test_proved_radius_contains_every_point_the_lagrangian_can_reach():
    # LocalBounds.radius is the proved R with {z : f(z) >= f(x)} inside B(x, R) (local.py's
    # docstring): it must be at least the exact reach of that set (mpmath root, independent).
    model, x, y, gamma = _affine_case()
    net = chain_net(model, (1,))
    reach = _exact_superlevel_reach(1.0, float(x[0, 0]), gamma)
    assert reach > 1.99  # the case is tight: a radius of half the proved one would not contain it
    lb = local_bounds(net, x, y, x.clone(), gamma=gamma)
    assert _mp(lb.radius[0]) >= reach
    assert float(lb.radius[0]) <= 2.0 * 1.01  # and it is the Lipschitz radius, not a loose one
    # the bound itself is above the exact maximum of f (at r* with slope = 2 gamma r*)
    mpmath.mp.dps = DPS

    def f(r):
        return mpmath.log1p(mpmath.exp(-2 * (mpmath.mpf(float(x[0, 0])) - r))) - gamma * r * r

    rstar = mpmath.findroot(lambda r: mpmath.diff(f, r), 1.0)
    assert f(rstar) <= _mp(lb.phi_upper[0])


def test_negative_control_half_the_radius_misses_the_superlevel_set():
    model, x, y, gamma = _affine_case()
    net = chain_net(model, (1,))
    lb = local_bounds(net, x, y, x.clone(), gamma=gamma, radius_scale=0.5)
    assert _mp(lb.radius[0]) < _exact_superlevel_reach(1.0, float(x[0, 0]), gamma)


# -- the shell-integrated fallback: a loss that rises in a step, far from the data -------------------

def _step_case(k=20.0, zs=2.0, A=3.0):
    """1-D net z -> sigmoid(k (z - zs)) -> logits (-A h, A h), label 0: the loss
    log(1 + exp(2 A h)) rises by about 2A - log 2 in a step at zs. With gamma = 1 the maximiser of
    f is just past the step (z about 2.16), in the outer half of the proved radius (about 2.30,
    set by the rise, not the Lipschitz constant), where the outermost shell is the only one that
    sees it."""
    model = nn.Sequential(nn.Linear(1, 1), nn.Sigmoid(), nn.Linear(1, 2)).double()
    with torch.no_grad():
        model[0].weight.fill_(k)
        model[0].bias.fill_(-k * zs)
        model[2].weight.copy_(_t([[-A], [A]]))
        model[2].bias.zero_()
    return model


def _step_f(z, k=20.0, zs=2.0, A=3.0, gamma=1.0):
    h = 1 / (1 + mpmath.exp(-mpmath.mpf(k) * (z - mpmath.mpf(zs))))
    return mpmath.log1p(mpmath.exp(2 * mpmath.mpf(A) * h)) - mpmath.mpf(gamma) * z * z


def test_shell_bound_covers_a_maximiser_in_the_outer_shell():
    from checker.certify.local import shell_bound

    mpmath.mp.dps = DPS
    model = _step_case()
    net = chain_net(model, (1,))
    x, y, gamma = torch.zeros(1, 1, dtype=torch.float64), torch.tensor([0]), 1.0
    # reference: f at grid points (exact values at those points: lower values of phi, and the
    # farthest grid point with f >= f(x), a lower value of the superlevel set's reach)
    grid = [mpmath.mpf(-4) + mpmath.mpf(8) * i / 4000 for i in range(4001)]
    vals = [_step_f(z) for z in grid]
    best = max(range(len(vals)), key=lambda i: vals[i])
    phi_lo = vals[best]
    reach = max(abs(z) for z, v in zip(grid, vals) if v >= _step_f(mpmath.mpf(0)))
    assert 2.0 < grid[best] < 2.4 and phi_lo > _step_f(mpmath.mpf(0)) + mpmath.mpf("0.3")  # the premise
    lb = local_bounds(net, x, y, x.clone(), gamma=gamma, bnb=False)
    assert _mp(lb.radius[0]) >= reach
    assert float(lb.radius[0]) < 2 * float(grid[best])  # the maximiser lies in the outer half
    assert _mp(lb.phi_upper[0]) >= phi_lo
    # the shell bound alone, on the proved ball
    *_, lx_hi = point_values(net, x, x, y, gamma)
    assert _mp(shell_bound(net, x, y, lb.radius, gamma=gamma, l0_hi=lx_hi)[0]) >= phi_lo


# -- activation constants of Corollary 4 ---------------------------------------------------------------

@pytest.mark.parametrize("module", [nn.ELU(), nn.Tanh(), nn.Sigmoid(), nn.Softplus(beta=3.0), nn.Softplus(beta=0.5)])
def test_activation_constants_bound_the_exact_derivative_maxima(module):
    # L0 >= sup |sigma'| and L1 >= sup |sigma''| (Lipschitz constant of sigma'), at the known
    # maximisers (0 for sigma', +-x* for tanh/sigmoid sigma'', 0 for softplus sigma''; ELU's
    # sigma' has slope 1 on the left of 0) and on a grid, in 60 digits
    from checker.certify.local import _ACT_L
    from checker.certify.smoothness import activation_constants

    mpmath.mp.dps = DPS
    kind, _, d1, d2 = _ACT[type(module)]
    beta = mpmath.mpf(float(getattr(module, "beta", 1.0)))
    pts = [mpmath.mpf(i) / 50 for i in range(-500, 501)] + [mpmath.mpf(0)]
    if kind in ("tanh", "sigmoid"):
        pts += [_xstar(kind), -_xstar(kind)]
    sup1 = max(abs(d1(t, beta)) for t in pts)
    sup2 = max(abs(d2(t, beta)) for t in pts if not (kind == "elu" and t == 0))
    if kind == "elu":
        sup2 = mpmath.mpf(1)  # sigma'(x) = e^x for x < 0: slope -> 1 at 0
    L0, L1 = activation_constants(module)
    assert _mp(L0) >= sup1 and _mp(L1) >= sup2
    l0, l1 = _ACT_L[kind]
    if kind == "softplus":
        l1 = l1 * float(beta)
    assert _mp(l0) >= sup1 and _mp(l1) * (1 + mpmath.mpf(2) ** -50) >= sup2
    # tight: the constants are the suprema rounded up, not loose multiples
    assert _mp(L1) <= sup2 * (1 + mpmath.mpf(2) ** -40)


# -- the certificate's mean of the per-example bounds is rounded up ------------------------------------

#: float64 means that round down: fsum(v)/len(v) < the exact mean (checked below).
MEAN_DOWN = ([0.1, 0.7], [0.3, 0.7, 0.1], [0.7, 0.7, 0.7], [0.1, 0.2, 0.3])


def test_the_mean_examples_round_down():
    for v in MEAN_DOWN:
        assert Fraction(math.fsum(v) / len(v)) < sum(map(Fraction, v)) / len(v)


@given(v=st.lists(finite, min_size=1, max_size=8))
@example(v=MEAN_DOWN[0])
@example(v=MEAN_DOWN[1])
@example(v=MEAN_DOWN[2])
@example(v=MEAN_DOWN[3])
def test_mean_up_is_at_least_the_exact_mean(v):
    from checker.certify.certificate import _mean_up

    assert Fraction(_mean_up(_t(v))) >= sum(map(Fraction, v)) / len(v)


# -- what a certificate and an envelope say ------------------------------------------------------------

def test_envelope_margin_is_none_without_sound_points_or_without_attack_points():
    # C(rho) needs a sound point and the margin needs an attack point: with either missing the
    # margin is None (not a TypeError from C = None, nor a min over nothing); with both it is
    # C(rho_k) - E l(z_k), computed here by hand
    from checker.certify.envelope import CertificateEnvelope, EnvelopePoint, WorstCasePoint

    sound = EnvelopePoint(gamma=2.0, value=0.5, sound=True, rho_hat=0.1, reason="local")
    estimate = EnvelopePoint(gamma=1.0, value=0.25, sound=False, rho_hat=0.2, reason="estimate")
    wc = (WorstCasePoint(gamma_adv=2.0, rho=0.25, loss=0.75),)
    assert CertificateEnvelope(split="test", n=3, points=(estimate,), worst_cases=wc).worst_case_margin is None
    assert CertificateEnvelope(split="test", n=3, points=(sound, estimate)).worst_case_margin is None
    env = CertificateEnvelope(split="test", n=3, points=(sound, estimate), worst_cases=wc)
    assert env.worst_case_margin == 2.0 * 0.25 + 0.5 - 0.75


def test_convolution_assumption_is_stated_only_for_convolutional_networks():
    # the FFT-norm assumption belongs to certificates of networks with a convolution; an MLP's
    # sound certificate rests on the rounding assumption alone
    from checker.certify import certify

    gen = torch.Generator().manual_seed(51)
    mlp = _model(nn.Tanh, seed=51)
    x = torch.randn(4, 2, generator=gen, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0])
    cert = certify(mlp, x, y, gamma=4.0, hessian=False)
    assert cert.sound and cert.argument == "local"
    assert not any("convolution" in a for a in cert.assumptions), cert.assumptions
    conv = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Tanh(), nn.Flatten(), nn.Linear(2 * 2 * 2, 3)).double()
    with torch.no_grad():
        for prm in conv.parameters():
            prm.copy_(torch.randn(prm.shape, generator=gen, dtype=torch.float64) * 0.5)
    xc = torch.randn(2, 1, 3, 3, generator=gen, dtype=torch.float64)
    cc = certify(conv, xc, torch.tensor([0, 2]), gamma=4.0, hessian=False)
    assert cc.sound and cc.argument == "local"
    assert any("convolution" in a for a in cc.assumptions), cc.assumptions


#: Rounding allowance of the shell chain, in unit roundoffs of the terms' magnitude: each of the
#: 12 shells adds 32u (its v1 allowance) plus a few roundings; 1024 leaves headroom and is far
#: below any change of the model itself.
SHELL_TIGHT_ULPS = 1024


#: (8, 6): shells wider than 1 with the vertex G/(2 gamma) = 4 beyond them, so the rise over a
#: shell, G (s_k - s_{k-1}), exceeds G itself (a held-out mutant, 2026-12-08, dropped the width).
@pytest.mark.parametrize("G, R", [(2.0, 1.5), (2.0, 1.9), (3.0, 1.2), (0.5, 3.0), (8.0, 6.0)])
def test_shell_bound_is_above_the_shell_model_at_every_radius(monkeypatch, G, R):
    # The shell argument bounds f on the shell s_{k-1} < r <= s_k by max over r of
    # C_k + G_k (r - s_{k-1}) - gamma r^2, a concave quadratic whose vertex G/(2 gamma) may lie
    # inside the shell, below it or above it. With a fixed gradient bound G on every ball and a
    # loss enclosure too wide to bind, l(x) + G r - gamma r^2 is that model at radius r: the bound
    # must be at least its value at every r <= R (sampled, exact rational arithmetic). A radius R
    # below G/gamma (set by the rise, as in the step case) puts the vertex in the outer shell.
    import checker.certify.local as local
    from checker.certify.local import shell_bound

    class Enc:
        loss = (_t([0.0]), _t([1e6]))

    monkeypatch.setattr(local, "enclose", lambda *a, **k: Enc())
    monkeypatch.setattr(local, "_grad_norm_on", lambda net, enc: _t([G]))
    net = chain_net(_model(nn.Tanh, seed=1), (2,))
    gamma, l0 = 1.0, 0.25
    x, y = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([0])
    got = Fraction(float(shell_bound(net, x, y, _t([R]), gamma=gamma, l0_hi=_t([l0]))[0]))
    for i in range(0, 301):
        r = Fraction(R) * i / 300
        assert got >= Fraction(l0) + Fraction(G) * r - Fraction(gamma) * r * r, float(r)
    # and tight: with one G on every shell the shells chain to the model's exact maximum over
    # [0, R] (at the vertex, or at R when the vertex lies beyond), up to the rounding allowances
    # (32u of the terms' magnitude per shell; SHELL_TIGHT_ULPS covers 12 shells with headroom)
    v = min(Fraction(G) / (2 * Fraction(gamma)), Fraction(R))
    top = Fraction(l0) + Fraction(G) * v - Fraction(gamma) * v * v
    mag = Fraction(l0) + Fraction(G) * Fraction(R) + Fraction(gamma) * Fraction(R) ** 2 + Fraction(G) ** 2
    assert got <= top + SHELL_TIGHT_ULPS * Fraction(P.U) * mag, (float(got), float(top))


@pytest.mark.parametrize("G, cap", [(2.0, 0.6), (2.0, 2.5), (1.0, 0.1)])
def test_shell_bound_is_above_the_capped_shell_model(monkeypatch, G, cap):
    # As above, with the loss enclosure on B(x, s) set to l(x) + min(G s, cap): the second bound
    # of a shell, l_hi(B(x, s_k)) - l(x) - gamma s_{k-1}^2, binds where the loss has flattened.
    # Every function with gradient norm <= G and l <= l(x) + cap has f(r) <= l(x) +
    # min(G r, cap) - gamma r^2 at radius r: the bound must be at least that (sampled, exact).
    import checker.certify.local as local
    from checker.certify.local import shell_bound

    gamma, l0, R = 1.0, 0.25, 3.0

    class Enc:
        def __init__(self, s):
            self.loss = (_t([l0]), _t([l0 + min(G * s, cap)]) * (1 + 2**-40))

    monkeypatch.setattr(local, "ball_to_u1", lambda net, x, s: (s, s))
    monkeypatch.setattr(local, "enclose", lambda net, s, s2, y, hessian=False: Enc(float(s[0])))
    monkeypatch.setattr(local, "_grad_norm_on", lambda net, enc: _t([G]))
    net = chain_net(_model(nn.Tanh, seed=1), (2,))
    x, y = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([0])
    got = Fraction(float(shell_bound(net, x, y, _t([R]), gamma=gamma, l0_hi=_t([l0]))[0]))
    for i in range(0, 601):
        r = Fraction(R) * i / 600
        assert got >= Fraction(l0) + min(Fraction(G) * r, Fraction(cap)) - Fraction(gamma) * r * r, float(r)


@given(v=st.lists(st.tuples(small, small), min_size=1, max_size=6))
@example(v=[(0.1, 0.1), (0.3, 0.3)])
@example(v=[(0.7, 0.7)])
@example(v=[(-0.1, 0.2), (0.3, 0.3), (0.7, 0.7), (1.1, 1.1)])
def test_norm_upper_bound_is_at_least_the_exact_norm(v):
    # _norm_up(lo, hi) >= || max(|lo|, |hi|) ||_2, checked exactly as got^2 >= sum of squares
    from checker.certify.local import _norm_up

    lo, hi = _t([[min(p) for p in v]]), _t([[max(p) for p in v]])
    got = Fraction(float(_norm_up(lo, hi)[0]))
    exact_sq = sum(max(abs(Fraction(a)), abs(Fraction(b))) ** 2 for a, b in v)
    assert got >= 0 and got * got >= exact_sq


# -- the smoothness bound's refusals and its power-iteration estimate ----------------------------------

def test_network_smoothness_refuses_a_module_outside_the_exact_chain():
    # a subclass of an allowed type is not its class (checker.certify.exact): no L_zz bound
    from checker.certify.smoothness import network_smoothness

    class MyLinear(nn.Linear):
        pass

    sb = network_smoothness(nn.Sequential(MyLinear(2, 3), nn.Tanh(), nn.Linear(3, 2)).double(), (2,))
    assert not sb.supported and sb.lzz_bound is None and "MyLinear" in sb.reason


def test_power_iteration_estimate_converges_to_the_exact_norm_from_below():
    # singular values 3, 1, 0.5 (exact by construction: orthogonal factors from a QR in float64,
    # the reference norm from a 60-digit SVD of the float matrix itself)
    from checker.certify.smoothness import operator_norm_power_iteration

    mpmath.mp.dps = DPS
    gen = torch.Generator().manual_seed(61)
    q1, _ = torch.linalg.qr(torch.randn(3, 3, generator=gen, dtype=torch.float64))
    q2, _ = torch.linalg.qr(torch.randn(3, 3, generator=gen, dtype=torch.float64))
    W = q1 @ torch.diag(_t([3.0, 1.0, 0.5])) @ q2.T
    s = mpmath.svd_r(mpmath.matrix(W.tolist()), compute_uv=False)
    exact = max(s[i] for i in range(3))
    est = operator_norm_power_iteration(lambda v: v @ W.T, (1, 3), iters=50,
                                        generator=torch.Generator().manual_seed(0))
    assert abs(_mp(est) - exact) <= mpmath.mpf("1e-9") * exact
    assert _mp(est) <= exact * (1 + mpmath.mpf(2) ** -45)  # a lower estimate, up to rounding
