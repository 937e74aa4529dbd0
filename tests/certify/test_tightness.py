"""Tightness of the sound-bound engine against independent references (issue 25, item 7).

The soundness tests (``test_mutation_kills.py``, ``test_local.py``, ...) check that every bound
is *at least* the exact value. A change that only loosens a bound passes them all, yet it
weakens every certificate printed after it (and a bound loosened to ``inf`` is vacuous). These
tests check the other side: on inputs where the exact value is known independently (60-digit
:mod:`mpmath`, or exact :class:`fractions.Fraction` arithmetic on floats), each bound lies within
its documented rounding allowance of that value, times a named factor of headroom.

Every tolerance below is a named constant with its reason; none is fitted to the engine's output.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
import torch
import torch.nn as nn

from checker.certify import propagate as P
from checker.certify.bnb import branch_and_bound
from checker.certify.local import global_lipschitz
from checker.certify.propagate import (ACT_ABS, ACT_ULPS, TINY, U, act_enclosure, chain_net, gamma_n,
                                       opnorm_upper, sym_lambda_max_upper)

DPS = 60

#: Headroom over a documented allowance: a bound may be up to this factor looser than the
#: allowance its docstring derives (rounding-up of the allowance itself, operations the
#: derivation folds together). A bound looser than this has lost tightness that the
#: derivation does not justify.
HEADROOM = 4.0

#: The derivative-maxima constants are known to far better than float64 (closed forms); their
#: stored upper bounds carry ``nextafter`` plus an 8-unit-roundoff margin, about 9 ulps.
CONSTANT_ULPS = 32


def _mp(v) -> mpmath.mpf:
    return mpmath.mpf(float(v))


# -- the derivative-maxima constants -------------------------------------------------------------

def _d2_max(kind: str) -> tuple[mpmath.mpf, mpmath.mpf]:
    """(argmax on x > 0 of |f''|, max |f''|) by solving f''' = 0 at 60 digits (independent of the
    engine's closed forms)."""
    mpmath.mp.dps = DPS
    if kind == "tanh":
        f2 = lambda x: -2 * mpmath.tanh(x) * mpmath.sech(x) ** 2  # noqa: E731
        x0 = 0.66
    else:
        s = lambda x: 1 / (1 + mpmath.exp(-x))  # noqa: E731
        f2 = lambda x: s(x) * (1 - s(x)) * (1 - 2 * s(x))  # noqa: E731
        x0 = 1.3
    xs = mpmath.findroot(lambda x: mpmath.diff(f2, x), x0)
    return xs, abs(f2(xs))


@pytest.mark.parametrize("kind", ["tanh", "sigmoid"])
def test_second_derivative_constants_are_tight_upper_bounds(kind):
    xs, top = _d2_max(kind)
    got = P._TANH_D2MAX if kind == "tanh" else P._SIGMOID_D2MAX
    star = P._TANH_XSTAR if kind == "tanh" else P._SIGMOID_XSTAR
    assert _mp(got) >= top                                  # sound
    assert _mp(got) <= top * (1 + CONSTANT_ULPS * U)        # tight
    assert abs(_mp(star) - xs) <= P._BRACKET / 10           # the bracket really contains x*


def test_softplus_curvature_on_an_interval_through_zero_is_beta_over_four():
    # sup of beta s(bx)(1 - s(bx)) is beta/4, at x = 0
    for beta in (0.5, 1.0, 5.0):
        lo = torch.tensor([[-1.0, -0.25]], dtype=torch.float64)
        hi = torch.tensor([[1.0, 3.0]], dtype=torch.float64)
        _, _, (d2lo, d2hi) = act_enclosure("softplus", beta, lo, hi)
        allowance = beta / 4 * 8 * U + ACT_ULPS * U * beta / 4 + ACT_ABS * max(1.0, beta) ** 2 + TINY
        assert (d2hi >= beta / 4).all()
        assert (d2hi <= beta / 4 + HEADROOM * allowance).all(), (beta, d2hi)


# -- activations at points: the enclosure is the value to within the accuracy assumption --------

_MP_ACT = {
    "tanh": (mpmath.tanh, lambda x: mpmath.sech(x) ** 2, lambda x: -2 * mpmath.tanh(x) * mpmath.sech(x) ** 2),
    "sigmoid": (lambda x: 1 / (1 + mpmath.exp(-x)),
                lambda x: mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2,
                lambda x: (1 / (1 + mpmath.exp(-x))) * (1 - 1 / (1 + mpmath.exp(-x)))
                * (1 - 2 / (1 + mpmath.exp(-x)))),
    "elu": (lambda x: x if x > 0 else mpmath.expm1(x), lambda x: 1 if x > 0 else mpmath.exp(x), None),
}


@pytest.mark.parametrize("kind", ["tanh", "sigmoid", "elu"])
def test_activation_point_enclosures_are_within_the_accuracy_assumption(kind):
    mpmath.mp.dps = DPS
    xs = [-7.5, -2.0, -0.3, 0.1, 0.7, 1.9, 6.0]
    x = torch.tensor([xs], dtype=torch.float64)
    encs = act_enclosure(kind, 1.0, x, x)
    for order, (lo, hi) in enumerate(encs):
        ref = _MP_ACT[kind][order]
        if ref is None:  # ELU's second derivative: the engine bounds it structurally
            continue
        for j, v in enumerate(xs):
            exact = ref(mpmath.mpf(v))
            allowance = ACT_ULPS * U * abs(exact) + ACT_ABS + TINY  # _fw: relative + absolute
            assert _mp(lo[0, j]) <= exact <= _mp(hi[0, j]), (kind, order, v)
            assert _mp(hi[0, j]) - exact <= HEADROOM * allowance, (kind, order, v)
            assert exact - _mp(lo[0, j]) <= HEADROOM * allowance, (kind, order, v)


# -- interval linear algebra on point inputs: within Higham's a-priori bound -----------------------

def _point_allowance(A: torch.Tensor, B: torch.Tensor) -> list[list[Fraction]]:
    """gamma_{n+2} (|A| |B|)_ij, the a-priori error bound of a float dot product of length n
    (Higham, Accuracy and Stability, Lemma 3.1 / eq. (3.5)), with two more operations for the
    centre-radius form, computed in exact arithmetic."""
    n = A.shape[1]
    g = Fraction(gamma_n(n + 2))
    Af = [[Fraction(v) for v in row] for row in A.abs().tolist()]
    Bf = [[Fraction(v) for v in row] for row in B.abs().tolist()]
    return [[g * sum(Af[i][k] * Bf[k][j] for k in range(n)) for j in range(B.shape[1])]
            for i in range(A.shape[0])]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_matrix_product_enclosure_is_within_the_a_priori_bound(seed):
    gen = torch.Generator().manual_seed(seed)
    A = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    B = torch.randn(5, 4, generator=gen, dtype=torch.float64)
    lo, hi = P._imatmul(A[None], A[None], B[None], B[None])
    allow = _point_allowance(A, B)
    Af = [[Fraction(v) for v in r] for r in A.tolist()]
    Bf = [[Fraction(v) for v in r] for r in B.tolist()]
    for i in range(3):
        for j in range(4):
            exact = sum(Af[i][k] * Bf[k][j] for k in range(5))
            l, h = Fraction(float(lo[0, i, j])), Fraction(float(hi[0, i, j]))
            # the engine's analysis: 2 gamma_{n+2} (|A||B| + rad), rounded up, then one widening
            slack = HEADROOM * 2 * allow[i][j] + Fraction(2 * TINY)
            assert l <= exact <= h
            assert h - exact <= slack and exact - l <= slack, (i, j, float(h - exact), float(slack))


@pytest.mark.parametrize("seed", [0, 1])
def test_point_linear_layer_enclosure_is_within_the_a_priori_bound(seed):
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(4, 6, generator=gen, dtype=torch.float64)
    b = torch.randn(4, generator=gen, dtype=torch.float64)
    v = torch.randn(2, 6, generator=gen, dtype=torch.float64)
    lo, hi = P._lin(v, v, W, b)
    g = Fraction(gamma_n(6 + 2))
    for r in range(2):
        for i in range(4):
            terms = [Fraction(float(v[r, k])) * Fraction(float(W[i, k])) for k in range(6)]
            exact = sum(terms) + Fraction(float(b[i]))
            mag = sum(abs(t) for t in terms) + abs(Fraction(float(b[i])))
            slack = HEADROOM * 2 * g * mag + Fraction(2 * TINY)
            l, h = Fraction(float(lo[r, i])), Fraction(float(hi[r, i]))
            assert l <= exact <= h
            assert h - exact <= slack and exact - l <= slack


# -- norms and eigenvalues of point matrices ---------------------------------------------------------

#: lambda_max and norm bounds of point matrices: the engine's Weyl/Gershgorin steps add a few
#: gamma_{m+2} of the matrix's magnitude per row, summed over the m rows of the eigenvector
#: residual (whose scale T = ||H||_F + 1 carries an absolute 1); this many unit roundoffs of
#: m (||H||_F + 1) is generous for m <= 6 and far below any loosening that matters.
EIG_ULPS = 256


def _sym(m: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    A = torch.randn(m, m, generator=gen, dtype=torch.float64)
    return (A + A.T) / 3.0


@pytest.mark.parametrize("m", [1, 2, 3, 6])
@pytest.mark.parametrize("seed", [0, 1])
def test_lambda_max_bound_of_a_point_matrix_is_tight(m, seed):
    mpmath.mp.dps = DPS
    A = _sym(m, seed)
    exact = max(mpmath.eigsy(mpmath.matrix(A.tolist()))[0])
    got = _mp(sym_lambda_max_upper(A[None], A[None])[0])
    scale = mpmath.sqrt(sum(_mp(v) ** 2 for v in A.reshape(-1).tolist()))
    assert exact <= got <= exact + EIG_ULPS * m * U * (scale + 1), (m, seed, got - exact)


def test_lambda_max_bound_of_a_2x2_box_is_its_worst_vertex():
    # convexity: over [lo, hi] the maximum is at the vertex with the largest diagonal and the
    # largest off-diagonal magnitude (exact closed form for 2 x 2, computed at 60 digits)
    mpmath.mp.dps = DPS
    lo = torch.tensor([[[0.5, -0.3], [-0.3, -1.0]]], dtype=torch.float64)
    hi = torch.tensor([[[0.75, 0.2], [0.2, -0.5]]], dtype=torch.float64)
    a, c, b = mpmath.mpf(0.75), mpmath.mpf(-0.5), mpmath.mpf(0.3)
    exact = (a + c) / 2 + mpmath.sqrt(((a - c) / 2) ** 2 + b * b)
    got = _mp(sym_lambda_max_upper(lo, hi)[0])
    assert exact <= got <= exact + EIG_ULPS * U * (abs(a) + abs(b) + abs(c))


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 7)])
def test_opnorm_upper_is_tight_for_diagonal_and_dense_matrices(shape):
    mpmath.mp.dps = DPS
    gen = torch.Generator().manual_seed(sum(shape))
    W = torch.randn(*shape, generator=gen, dtype=torch.float64)
    exact = max(mpmath.svd_r(mpmath.matrix(W.tolist()), compute_uv=False))
    got = _mp(opnorm_upper(W))
    assert exact <= got <= exact * (1 + EIG_ULPS * U) + EIG_ULPS * U * exact


def test_schur_norm_is_tight_where_it_is_exact():
    # sqrt(||A||_1 ||A||_inf) of a nonnegative point matrix, at 60 digits
    mpmath.mp.dps = DPS
    A = torch.tensor([[[0.3, 0.1, 0.7], [0.2, 0.9, 0.1]]], dtype=torch.float64)
    col = max(sum(_mp(A[0, i, j]) for i in range(2)) for j in range(3))
    row = max(sum(_mp(A[0, i, j]) for j in range(3)) for i in range(2))
    exact = mpmath.sqrt(col * row)
    got = _mp(P._schur_norm(A, A)[0])
    assert exact <= got <= exact * (1 + EIG_ULPS * U)


def test_global_lipschitz_allowance_covers_the_worst_case_rounding_of_its_product():
    # G0 = fl(sqrt 2) * prod_k opnorm_upper(W_k) takes 2L + 2 float operations (a sqrt, L products
    # with the norm bounds, L with the per-layer allowance, the final one); on other weights all of
    # them may round down, so the bound must exceed the exact product of its float inputs by at
    # least gamma_{2L+2} (Higham's a-priori bound), whatever this input's rounding did.
    mpmath.mp.dps = DPS
    torch.manual_seed(1)
    L = 5
    layers = []
    for k in range(L):
        layers += [nn.Linear(3, 3), nn.Tanh()]
    model = nn.Sequential(*layers[:-1], nn.Linear(3, 2)).double()
    net = chain_net(model, (3,))
    ref = mpmath.sqrt(2)
    n_lin = 0
    for op in net.ops:
        if op[0] == "linear":
            ref *= _mp(opnorm_upper(op[1]))
            n_lin += 1
    got = _mp(global_lipschitz(net))
    assert got >= ref * (1 + gamma_n(2 * n_lin + 2))
    assert got <= ref * (1 + EIG_ULPS * U)


def test_global_lipschitz_is_sqrt2_times_the_norm_product_to_rounding():
    # G0 = sqrt(2) prod ||W_k|| (L^0 = 1 for tanh): diagonal weights, exact norms 3 and 0.5
    mpmath.mp.dps = DPS
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 3)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[3.0, 0.0], [0.0, -1.0]]))
        model[2].weight.copy_(torch.tensor([[0.5, 0.0], [0.0, 0.25], [0.0, 0.0]]))
    net = chain_net(model, (2,))
    exact = mpmath.sqrt(2) * 3 * mpmath.mpf(0.5)
    got = _mp(global_lipschitz(net))
    assert exact <= got <= exact * (1 + EIG_ULPS * U)


# -- the loss enclosure at point logits ----------------------------------------------------------------

def test_cross_entropy_point_enclosure_is_within_its_error_count():
    mpmath.mp.dps = DPS
    z = torch.tensor([[0.3, -1.2, 2.5, 0.0], [4.0, 4.0, -3.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([2, 0])
    (llo, lhi), (glo, ghi), _ = P._ce_enclosure(z, z, y)
    K = z.shape[1]
    err = (2 * K + 3 * ACT_ULPS) * U  # the documented count: K exps, the sums, 1 + s, log1p
    for r in range(2):
        zs = [mpmath.mpf(float(v)) for v in z[r].tolist()]
        lse = mpmath.log(sum(mpmath.exp(v) for v in zs))
        loss = lse - zs[int(y[r])]
        slack = HEADROOM * (err * abs(loss) + err) + TINY
        assert _mp(llo[r]) <= loss <= _mp(lhi[r])
        assert _mp(lhi[r]) - loss <= slack and loss - _mp(llo[r]) <= slack
        for j in range(K):
            g = mpmath.exp(zs[j] - lse) - (1 if j == int(y[r]) else 0)
            assert _mp(glo[r, j]) <= g <= _mp(ghi[r, j])
            assert _mp(ghi[r, j]) - g <= HEADROOM * (err + 4 * U) + TINY


# -- branch-and-bound's convergence flag means what it says ------------------------------------------

def test_bnb_converged_flag_is_exactly_the_tolerance_test():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    net = chain_net(model, (2,))
    x = torch.tensor([[0.1, -0.2], [0.5, 0.4], [-0.3, 0.8]], dtype=torch.float64)
    y = torch.tensor([0, 1, 2])
    with torch.no_grad():
        l0 = nn.functional.cross_entropy(model(x), y, reduction="none")
    radius = torch.full((3,), 2.0, dtype=torch.float64)
    for max_iters, tol in ((1, 1e-12), (3, 1e-3), (40, 1e-2)):
        r = branch_and_bound(net, x, y, gamma=0.5, radius=radius, lower=l0, tol=tol, max_iters=max_iters)
        # converged means: no box left, so upper <= lower + tol (the comparison bnb makes, in float64)
        assert torch.equal(r.converged, r.upper <= r.lower + tol), (max_iters, tol, r.upper - r.lower)
        assert (r.upper >= r.lower).all()
    assert not bool(branch_and_bound(net, x, y, gamma=0.5, radius=radius, lower=l0, tol=1e-12,
                                     max_iters=1).converged.any())  # the flag can be False


# -- at zero the absolute allowance (TINY) alone keeps each bound on the right side ------------------

def test_bounds_at_exact_zero_stay_on_the_right_side_of_zero():
    # With all-zero inputs every relative allowance vanishes: a radius, norm or eigenvalue bound
    # of the zero matrix must still be >= 0 and an enclosure of 0 must contain 0. This is where
    # underflow lives (a product of subnormals rounds to 0), and only the absolute allowance covers
    # it, so a bound that subtracts it, or drops it where nothing else is added, fails here.
    from checker.certify.local import _curvature, _norm_up

    z3 = torch.zeros(1, 3, 3, dtype=torch.float64)
    z2 = torch.zeros(1, 2, dtype=torch.float64)
    c, r = P._cr(z3, z3)
    assert (r >= 0).all() and (c - r <= 0).all() and (c + r >= 0).all()
    for lo, hi in (P._imatmul(z3, z3, z3, z3), P._lin(z2, z2, torch.zeros(3, 2, dtype=torch.float64)),
                   P._lmat(torch.zeros(3, 3, dtype=torch.float64), z3, z3), P._mul(z2, z2, z2, z2),
                   P._out(z2, z2)):
        assert (lo <= 0).all() and (hi >= 0).all()
    for m in (1, 2, 3, 5):
        zm = torch.zeros(1, m, m, dtype=torch.float64)
        assert float(sym_lambda_max_upper(zm, zm)[0]) >= 0.0, m
    assert float(P._schur_norm(z3, z3)[0]) >= 0.0
    assert float(_norm_up(z2, z2)[0]) >= 0.0
    assert opnorm_upper(torch.zeros(2, 3, dtype=torch.float64)) >= 0.0
    # a network with zero weights: its loss is constant, every curvature and gradient bound >= 0
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    net = chain_net(model, (3,))
    x = torch.zeros(2, 3, dtype=torch.float64)
    y = torch.tensor([0, 1])
    enc = P.enclose(net, *P.ball_to_u1(net, x, torch.ones(2, dtype=torch.float64)), y, hessian=True)
    assert (_curvature(net, enc) >= 0).all()
    (llo, lhi) = enc.loss
    mpmath.mp.dps = DPS
    ln2 = mpmath.log(2)  # CE of equal logits, 2 classes
    assert all(_mp(v) <= ln2 for v in llo.tolist()) and all(_mp(v) >= ln2 for v in lhi.tolist())
    assert global_lipschitz(net) >= 0.0


# -- the curvature bound at a point is the exact curvature there -------------------------------------

#: At a point (a zero-width box) the entrywise Hessian enclosure is exact up to the rounding
#: allowances, about 1e-13 relative here; 1e-9 leaves four orders of headroom, while the
#: structural and global alternatives it is the minimum of differ from the exact value by O(1).
POINT_CURVATURE_REL = 1e-9


@pytest.mark.parametrize("act", [nn.Tanh, nn.ELU, nn.Sigmoid])
def test_curvature_bound_at_a_point_is_the_exact_lambda_max(act):
    from checker.certify.local import _curvature
    from tests.certify.test_mutation_kills import _exact_chain, _model

    model = _model(act, seed=41)
    net = chain_net(model, (2,))
    gen = torch.Generator().manual_seed(42)
    x = torch.randn(3, 2, generator=gen, dtype=torch.float64)
    y = torch.tensor([0, 2, 1])
    enc = P.enclose(net, *P.box_to_u1(net, x, x), y, hessian=True)
    got = _curvature(net, enc)
    structural = torch.clamp(enc.lam_struct, min=0.0) * net.w1_norm ** 2
    for k in range(3):
        _, _, hess_u1, W1 = _exact_chain(model, x[k].tolist(), int(y[k]))
        lam = max(mpmath.eigsy(W1.T * hess_u1 * W1)[0])
        tol = POINT_CURVATURE_REL * (1 + abs(lam))
        assert lam <= _mp(got[k]) <= lam + tol, (k, float(got[k]), float(lam))
        # premise: the looser alternatives are really looser here, so the check can fail
        assert _mp(structural[k]) > lam + tol, (k, float(structural[k]), float(lam))


def test_envelope_progress_counts_every_gamma_once_also_when_shared():
    # a gamma_adv that is also a certified gamma is not attacked twice, but its step is counted
    from checker.certify.envelope import certificate_envelope
    from checker.certify.experiments import random_smooth_net

    model = random_smooth_net(seed=0)
    x = torch.tensor([[0.1, 0.2], [-0.3, 0.4]], dtype=torch.float64)
    y = torch.tensor([0, 1])
    seen = []
    env = certificate_envelope(model, x, y, gammas=[2.0, 4.0], worst_case_gammas=[4.0, 8.0],
                               on_progress=lambda done, total: seen.append((done, total)), max_steps=50)
    totals = {t for _, t in seen}
    assert len(totals) == 1
    total = totals.pop()
    assert [d for d, _ in seen] == list(range(1, total + 1))
    # every certified gamma gives a worst-case point for free; the shared 4.0 appears once
    assert sorted(w.gamma_adv for w in env.worst_cases) == [2.0, 4.0, 8.0]


#: phi_lower is f^lo at the better of z_hat and x: a rigorous lower value within the point
#: enclosure's rounding allowance (about 1e-14 here) of the exact f there; 1e-10 is headroom.
LOWER_VALUE_ABS = 1e-10


def test_phi_lower_is_the_better_of_the_ascent_point_and_the_data_point():
    from checker.certify.local import local_bounds
    from tests.certify.test_mutation_kills import _exact_chain, _model

    mpmath.mp.dps = DPS
    model = _model(nn.Tanh, seed=43)
    net = chain_net(model, (2,))
    x = torch.tensor([[0.3, -0.4], [1.0, 0.5]], dtype=torch.float64)
    y = torch.tensor([1, 0])
    gamma = 2.0
    xr = x.clone().requires_grad_(True)
    loss = nn.functional.cross_entropy(model(xr), y, reduction="sum")
    (g,) = torch.autograd.grad(loss, xr)
    for sign in (1.0, -1.0):  # z_hat uphill (better than x) and downhill (worse than x)
        z_hat = (x + sign * 0.05 * g).detach()
        lb = local_bounds(net, x, y, z_hat, gamma=gamma, bnb=False)
        for k in range(2):
            fz = _exact_chain(model, z_hat[k].tolist(), int(y[k]))[0] - gamma * sum(
                (_mp(a) - _mp(b)) ** 2 for a, b in zip(z_hat[k].tolist(), x[k].tolist()))
            fx = _exact_chain(model, x[k].tolist(), int(y[k]))[0]
            best = max(fz, fx)
            assert best - LOWER_VALUE_ABS <= _mp(lb.phi_lower[k]) <= best, (sign, k)
        if sign > 0:  # premise: uphill really is better, so max and min differ here
            assert all(_exact_chain(model, z_hat[k].tolist(), int(y[k]))[0] - gamma * float(
                ((z_hat[k] - x[k]) ** 2).sum()) > _exact_chain(model, x[k].tolist(), int(y[k]))[0]
                + LOWER_VALUE_ABS for k in range(2))


@pytest.mark.parametrize("act", [nn.Tanh, nn.ELU])
def test_enclosing_the_hessian_leaves_loss_and_gradient_enclosures_unchanged(act):
    # the premise of the pragma on shell_bound's enclose(..., hessian=False): only cost differs
    from tests.certify.test_mutation_kills import _model

    model = _model(act, seed=44)
    net = chain_net(model, (2,))
    x = torch.tensor([[0.2, 0.1], [-1.0, 0.7]], dtype=torch.float64)
    y = torch.tensor([2, 0])
    box = P.ball_to_u1(net, x, torch.tensor([0.5, 2.0], dtype=torch.float64))
    a, b = P.enclose(net, *box, y, hessian=False), P.enclose(net, *box, y, hessian=True)
    for u, v in zip((*a.loss, *a.grad_u1), (*b.loss, *b.grad_u1)):
        assert torch.equal(u, v)
    assert a.hess_u1 is None and b.hess_u1 is not None


def test_curvature_bound_is_at_most_each_of_its_sound_parts_on_a_ball():
    # _curvature is the minimum of sound bounds (a) entrywise W1^T K W1, (b) Weyl, (c) structural
    # ||W1||^2 lambda_max(K)^+, (d) Corollary 4's global bound: never above any of them
    from checker.certify.local import _curvature, corollary4_tight
    from tests.certify.test_mutation_kills import _model

    model = _model(nn.Tanh, seed=45)
    net = chain_net(model, (2,))
    x = torch.tensor([[0.2, -0.1], [0.9, 0.4], [-1.5, 0.3]], dtype=torch.float64)
    y = torch.tensor([0, 1, 2])
    for r in (0.05, 0.3, 1.0):
        enc = P.enclose(net, *P.ball_to_u1(net, x, torch.full((3,), r, dtype=torch.float64)), y, hessian=True)
        got = _curvature(net, enc)
        part_a = sym_lambda_max_upper(*P.hess_z(net, enc.hess_u1))
        lamK = torch.minimum(sym_lambda_max_upper(*enc.hess_u1), enc.lam_struct)
        part_c = torch.clamp(lamK, min=0.0) * net.w1_norm ** 2 * (1 + 8 * U) + TINY
        assert (got <= part_a).all() and (got <= part_c).all(), r
        assert (got <= corollary4_tight(net)).all(), r


def test_branch_and_bound_bounds_the_ball_not_the_box_around_it():
    # branch_and_bound's boxes start as the cube [x - R, x + R]^d around the ball; boxes that lie
    # outside the ball must be dropped, since phi's maximiser lies in the ball. Here f rises along
    # w = (1, 1)/sqrt 2 (loss softplus(a w.z), small gamma), so the cube's corner (R, R) is far
    # higher than any point of the disc: a bound of the cube would be well above the disc's
    # maximum, max over |t| <= R of softplus(a t) - gamma t^2 (exact, 60 digits).
    mpmath.mp.dps = DPS
    a, gamma, R, tol = 4.0, 0.01, 1.0, 1e-4
    model = nn.Sequential(nn.Linear(2, 2)).double()
    with torch.no_grad():
        c = a / math.sqrt(2.0)
        model[0].weight.copy_(torch.tensor([[c, c], [0.0, 0.0]]))
        model[0].bias.zero_()
    net = chain_net(model, (2,))
    x = torch.zeros(1, 2, dtype=torch.float64)
    y = torch.tensor([1])
    l0 = torch.tensor([math.log(2.0)], dtype=torch.float64) * (1 - 1e-15)
    r = branch_and_bound(net, x, y, gamma=gamma, radius=torch.tensor([R], dtype=torch.float64),
                         lower=l0, tol=tol, max_iters=60)
    cw = mpmath.mpf(c)  # the stored weight, exactly
    f = lambda t: mpmath.log1p(mpmath.exp(2 * cw * t / mpmath.sqrt(2))) - gamma * t * t  # noqa: E731
    # f' = a sigmoid(a t) - 2 gamma t > 0 on [-R, R] (a sigmoid(-a) = 0.072 > 0.02): max at t = R
    assert all(mpmath.diff(f, mpmath.mpf(t) / 10) > 0 for t in range(-10, 11))
    disc = f(mpmath.mpf(R))
    corner = mpmath.log1p(mpmath.exp(2 * cw * R)) - 2 * gamma * R * R
    assert corner > disc + 1  # premise: any bound of the cube is far too high
    # sound for the disc, and below f at the cube's corner (the boxes left at the budget straddle
    # the circle, so the bound exceeds the disc's maximum by about G times their width)
    assert disc <= _mp(r.upper[0]) < corner - 1, (float(r.upper[0]), float(disc), float(corner))


@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_torch_allowance_covers_softplus_above_its_threshold(beta):
    # torch's Softplus(beta) returns x itself once beta x > 20, dropping log1p(exp(-beta x))/beta
    # (up to log1p(exp(-20))/beta = 4.1e-9/beta); the allowance for torch's own evaluation must
    # cover the resulting difference between torch's loss and the exact one (60 digits)
    from checker.certify.propagate import torch_evaluation_allowance

    mpmath.mp.dps = DPS
    model = nn.Sequential(nn.Linear(1, 1), nn.Softplus(beta=beta), nn.Linear(1, 2)).double()
    u = 20.25 / beta  # beta u just above the threshold
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.fill_(u)
        model[2].weight.copy_(torch.tensor([[1.0], [0.0]]))
        model[2].bias.zero_()
    net = chain_net(model, (1,))
    z0 = torch.zeros(1, 1, dtype=torch.float64)
    y = torch.tensor([1])
    with torch.no_grad():
        got = nn.functional.cross_entropy(model(z0), y, reduction="none")[0]
    s = mpmath.log1p(mpmath.exp(beta * mpmath.mpf(u))) / beta  # the exact Softplus
    exact = mpmath.log1p(mpmath.exp(s))  # CE with logits (s, 0), label 1
    err = abs(_mp(got) - exact)
    assert err > 1e-10  # premise: torch's shortcut is visible in the loss
    allowance = torch_evaluation_allowance(net, z0, torch.zeros(1, dtype=torch.float64), gamma=1.0)
    assert _mp(allowance[0]) >= err, (float(allowance[0]), float(err))


# -- Corollary 4's constant, the convolutional curvature branch, the envelope's paper gamma -----------

#: opnorm_upper is within about 1e-15 of the exact norm and every step rounds up by 8u: far below
#: this relative tolerance, far above any change of an activation constant or a layer norm.
COR4_REL = 1e-9


@pytest.mark.parametrize("act", [nn.Sigmoid, nn.Tanh, nn.ELU])
def test_corollary4_constant_is_the_documented_recursion_on_exact_norms(act):
    # sqrt(2) beta_L + alpha_L^2 / 2 with alpha <- L0 ||W|| alpha, beta <- L0 ||W|| beta + L1/L0^2 alpha^2
    # (linear layers multiply by ||W||, activations by L0, and add L1/L0^2 alpha^2), on singular
    # values and derivative maxima computed here at 60 digits
    from checker.certify.local import corollary4_tight

    mpmath.mp.dps = DPS
    torch.manual_seed(7)
    model = nn.Sequential(nn.Linear(3, 4), act(), nn.Linear(4, 4), act(), nn.Linear(4, 2)).double()
    net = chain_net(model, (3,))
    l0, l1 = {nn.Sigmoid: (mpmath.mpf(1) / 4, mpmath.sqrt(3) / 18),
              nn.Tanh: (mpmath.mpf(1), 4 / (3 * mpmath.sqrt(3))),
              nn.ELU: (mpmath.mpf(1), mpmath.mpf(1))}[act]
    a, b = mpmath.mpf(1), mpmath.mpf(0)
    for m in model:
        if isinstance(m, nn.Linear):
            s = max(mpmath.svd_r(mpmath.matrix(m.weight.detach().tolist()), compute_uv=False))
            a, b = a * s, b * s
        else:
            a = a * l0
            b = l0 * b + l1 / (l0 * l0) * a * a
    ref = mpmath.sqrt(2) * b + a * a / 2
    got = _mp(corollary4_tight(net))
    assert ref <= got <= ref * (1 + COR4_REL), (float(got), float(ref))


#: float64 autograd Hessians of these small nets are accurate to about 1e-13 relative; a
#: soundness check against them can only be this much weaker than against the exact Hessian.
AUTOGRAD_HESSIAN_ERR = 1e-10


def test_curvature_bound_of_a_convolutional_chain_covers_the_hessian_in_the_ball(monkeypatch):
    # the branch of _curvature for convolutional chains too large for Jacobian matrices (no
    # entrywise Hessian; forced here by a zero size limit): the structure bound
    # ||W1||^2 lambda_struct, against lambda_max of the float64 autograd Hessian of the loss at
    # points of the ball (relative error about 1e-13, far below the margin checked)
    from checker.certify.local import _curvature

    monkeypatch.setattr(P, "JACOBIAN_MATRIX_LIMIT", 0)
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Tanh(), nn.Flatten(), nn.Linear(8, 3)).double()
    with torch.no_grad():
        model[0].weight.mul_(4.0)  # ||W1|| > 1, so a bound that divides by it is too small
    net = chain_net(model, (1, 3, 3))
    x = torch.randn(2, 9, dtype=torch.float64)
    y = torch.tensor([0, 2])
    r = 0.5
    enc = P.enclose(net, *P.ball_to_u1(net, x, torch.full((2,), r, dtype=torch.float64)), y, hessian=True)
    assert enc.hess_u1 is None and not net.dense  # premise: the structure-only branch
    got = _curvature(net, enc)
    assert net.w1_norm > 1.5  # premise
    gen = torch.Generator().manual_seed(4)
    for k in range(2):
        def loss(z):
            return nn.functional.cross_entropy(model(z.reshape(1, 1, 3, 3)), y[k:k + 1])
        for _ in range(6):
            u = torch.randn(9, generator=gen, dtype=torch.float64)
            z = x[k] + r * u / u.norm() * float(torch.rand(1, generator=gen))
            H = torch.autograd.functional.hessian(loss, z)
            lam = float(torch.linalg.eigvalsh(H).max())
            assert float(got[k]) >= lam - AUTOGRAD_HESSIAN_ERR * (1 + abs(lam)), (k, float(got[k]), lam)


def test_envelope_adds_the_papers_gamma_only_when_it_is_missing():
    from checker.certify.envelope import certificate_envelope
    from checker.certify.experiments import random_smooth_net

    model = random_smooth_net(seed=0)
    x = torch.tensor([[0.1, 0.2], [-0.3, 0.4]], dtype=torch.float64)
    y = torch.tensor([0, 1])
    env = certificate_envelope(model, x, y, gammas=[2.0, 4.0], paper_gamma=4.0, max_steps=50)
    assert [p.gamma for p in env.points] == [2.0, 4.0]  # present: not added again
    env = certificate_envelope(model, x, y, gammas=[2.0, 4.0], paper_gamma=3.0, max_steps=50)
    assert [p.gamma for p in env.points] == [2.0, 3.0, 4.0]  # missing: added in order


def test_point_values_lower_bound_with_a_loss_below_the_smallest_float():
    # At z = x with the true class ahead by 800, the loss log1p(exp(-800)) = 3.7e-348 underflows
    # to 0 in float64 and the distance term is exactly 0: only the absolute allowances keep
    # f_lo <= f(x) = loss (60 digits). A distance bound c_hi that subtracts TINY instead of
    # adding it makes f_lo = (gamma - 1) TINY > f(x) for gamma > 1.
    from checker.certify.bnb import point_values

    mpmath.mp.dps = DPS
    model = nn.Sequential(nn.Linear(2, 2)).double()
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.copy_(torch.tensor([800.0, 0.0]))
    net = chain_net(model, (2,))
    x = torch.tensor([[0.25, -0.5]], dtype=torch.float64)
    y = torch.tensor([0])
    exact = mpmath.log1p(mpmath.exp(-800))
    assert 0 < exact < mpmath.mpf(5e-324)  # premise: below the smallest subnormal
    for gamma in (2.0, 1e3):
        f_lo, f_hi, *_ = point_values(net, x, x, y, gamma)
        assert _mp(f_lo[0]) <= exact <= _mp(f_hi[0]), gamma


def test_branch_and_bound_never_evaluates_more_boxes_per_level_than_its_budget():
    # a level is split only while the next one fits max_active boxes (2^d children per box), so
    # the boxes evaluated are at most iterations x max_active. The problem (f rising towards the
    # disc's edge, as above) never converges to tol 1e-12: boxes straddling the circle stay, so
    # the budget is what stops it.
    model = nn.Sequential(nn.Linear(2, 2)).double()
    with torch.no_grad():
        c = 4.0 / math.sqrt(2.0)
        model[0].weight.copy_(torch.tensor([[c, c], [0.0, 0.0]]))
        model[0].bias.zero_()
    net = chain_net(model, (2,))
    x = torch.zeros(1, 2, dtype=torch.float64)
    y = torch.tensor([1])
    l0 = torch.tensor([0.0], dtype=torch.float64)
    for max_active in (8, 16):
        r = branch_and_bound(net, x, y, gamma=0.01, radius=torch.tensor([1.0], dtype=torch.float64),
                             lower=l0, tol=1e-12, max_iters=60, max_active=max_active)
        assert not bool(r.converged[0]) and r.iterations < 60  # premise: stopped by the budget
        assert r.boxes <= r.iterations * max_active, (max_active, r.boxes, r.iterations)
