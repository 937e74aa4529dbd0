"""Exact step-by-step checks of FGM, IFGM, PGM and the WRM inner ascent against independent
references, so that a changed step size, sign, count or stopping rule cannot pass.

The problem is a concave quadratic with a closed-form gradient: the "model" is the identity and
the per-example loss is :math:`\\ell(z; c) = -\\lVert z - c\\rVert_2^2` (the label ``y`` carries the
centre ``c``), so :math:`\\nabla_z\\ell = 2(c - z)`, and the WRM objective
:math:`f(z) = \\ell(z) - \\gamma\\lVert z - x\\rVert_2^2` has :math:`\\nabla f = 2(c-z) - 2\\gamma(z-x)`
and maximiser :math:`z^\\star = (c + \\gamma x)/(1 + \\gamma)` (set the gradient to zero).

References are written here in plain Python floats from the update rules in the docstrings of
``checker/wrm/{fgm,ifgm,pgm,inner}.py`` (FGM eq. (3), IFGM T steps of ε/T, PGM steps of
2.5ε/T with projection, WRM z ← z + η_k ∇f); they share no code with the library. With dyadic
data (multiples of 1/4, steps 2^-k) every operation is exact in float64, so those comparisons
are equalities; elsewhere the tolerance below is named and explained.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from checker.errors import InvalidArgument
from checker.wrm import fgm, ifgm, pgm
from checker.wrm._grad import uniform_ball
from checker.wrm.inner import InnerConfig, maximize_inner, official_step, transport_cost

#: Relative slack where the reference and torch round differently (a square root, or a sum of a
#: few squares in another order, repeated over ≤ 16 steps): well above the ~16·4 ulps (1.4e-14)
#: that can accumulate, far below any change of step size.
REORDER_REL = 1e-12

IDENTITY = torch.nn.Identity()


def neg_sq(z, c):
    """ℓ(z; c) = -||z - c||², per example (the label tensor carries c)."""
    return -((z - c) ** 2).reshape(z.shape[0], -1).sum(dim=1)


def _t(rows):
    return torch.tensor(rows, dtype=torch.float64)


# ----- plain-Python references ---------------------------------------------------------------

def _sign(v):
    return (v > 0) - (v < 0)


def _dir(g, norm):
    if norm == "inf":
        return [float(_sign(v)) for v in g]
    n = math.sqrt(sum(v * v for v in g))
    return [0.0] * len(g) if n == 0 else [v / n for v in g]


def _proj(d, eps, norm):
    if norm == "inf":
        return [min(max(v, -eps), eps) for v in d]
    n = math.sqrt(sum(v * v for v in d))
    return [v * (eps / n) for v in d] if n > eps else list(d)


def ref_iterated(x, c, eps, norm, steps, alpha):
    """IFGM/PGM (no random start): z ← x + Π_ε(z + α·dir(∇ℓ(z)) − x), ``steps`` times."""
    z = list(x)
    for _ in range(steps):
        g = [2 * (ci - zi) for ci, zi in zip(c, z)]
        dz = _dir(g, norm)
        z = [xi + pi for xi, pi in zip(x, _proj([zi + alpha * di - xi for zi, di, xi in zip(z, dz, x)], eps, norm))]
    return z


def ref_inner(x, c, gamma, etas):
    """WRM ascent z ← z + η_k ∇f(z) with ∇f = 2(c − z) − 2γ(z − x); returns the iterates."""
    z = list(x)
    out = [z]
    for eta in etas:
        z = [zi + eta * (2 * (ci - zi) - 2 * gamma * (zi - xi)) for zi, ci, xi in zip(z, c, x)]
        out.append(z)
    return out


def ref_f(z, x, c, gamma):
    loss = -sum((zi - ci) ** 2 for zi, ci in zip(z, c))
    cost = sum((zi - xi) ** 2 for zi, xi in zip(z, x))
    grad = [2 * (ci - zi) - 2 * gamma * (zi - xi) for zi, ci, xi in zip(z, c, x)]
    return loss - gamma * cost, loss, cost, math.sqrt(sum(v * v for v in grad))


# ----- strategies: dyadic problems (every operation exact in float64) ------------------------

_quarter = st.integers(-8, 8).map(lambda k: k / 4)


@st.composite
def dyadic_problems(draw, max_dim=3):
    n = draw(st.integers(1, 3))
    d = draw(st.integers(1, max_dim))
    x = [[draw(_quarter) for _ in range(d)] for _ in range(n)]
    c = [[draw(_quarter) for _ in range(d)] for _ in range(n)]
    eps = draw(st.integers(1, 8)) / 4
    steps = draw(st.sampled_from([1, 2, 4, 8]))
    return x, c, eps, steps


# ----- FGM / IFGM / PGM ----------------------------------------------------------------------

def test_ifgm_hand_iterates_step_is_eps_over_T():
    # x = 0, c = 0.6, eps = 1, T = 4 (1-D, so l2 = linf): steps of 1/4 towards c give
    # 0.25, 0.5, 0.75 (now past c, direction flips), 0.5. A step of eps instead of eps/T would
    # give 1, 0, 1, 0 -> 0.
    for norm in ("2", "inf"):
        z = ifgm.perturb(IDENTITY, _t([[0.0]]), _t([[0.6]]), ifgm.IFGMConfig(eps=1.0, steps=4, norm=norm),
                         loss_fn=neg_sq)
        assert z.tolist() == [[0.5]]


def test_pgm_hand_iterates_step_is_2_5_eps_over_T():
    # alpha = 2.5 * 1 / 4 = 0.625; c = 0.9: 0.625, 1.25 -> projected 1.0, 0.375, 1.0.
    cfg = pgm.PGMConfig(eps=1.0, steps=4, random_start=False)
    assert cfg.alpha == 0.625
    z = pgm.perturb(IDENTITY, _t([[0.0]]), _t([[0.9]]), cfg, loss_fn=neg_sq)
    assert z.tolist() == [[1.0]]
    # an explicit step size replaces the default: alpha = 0.5 -> 0.5, 1.0, 0.5, 1.0
    z = pgm.perturb(IDENTITY, _t([[0.0]]), _t([[0.9]]),
                    pgm.PGMConfig(eps=1.0, steps=4, step_size=0.5, random_start=False), loss_fn=neg_sq)
    assert z.tolist() == [[1.0]]
    z = pgm.perturb(IDENTITY, _t([[0.0]]), _t([[0.9]]),
                    pgm.PGMConfig(eps=1.0, steps=3, step_size=0.5, random_start=False), loss_fn=neg_sq)
    assert z.tolist() == [[0.5]]


def test_fgm_hand_values_l2_and_linf():
    # grad at x = 0 towards c = (0.3, 0.4): l2 direction (0.6, 0.8); linf direction (1, 1).
    x, c = _t([[0.0, 0.0]]), _t([[0.3, 0.4]])
    z2 = fgm.perturb(IDENTITY, x, c, fgm.FGMConfig(eps=0.5, norm="2"), loss_fn=neg_sq)
    assert torch.allclose(z2, _t([[0.3, 0.4]]), rtol=REORDER_REL, atol=0)
    zi = fgm.perturb(IDENTITY, x, c, fgm.FGMConfig(eps=0.5, norm="inf"), loss_fn=neg_sq)
    assert zi.tolist() == [[0.5, 0.5]]


@given(dyadic_problems(), st.sampled_from(["ifgm", "pgm"]))
@example(([[0.0]], [[0.5]], 1.0, 4), "ifgm")
def test_linf_iterates_equal_the_reference_exactly(prob, name):
    x, c, eps, steps = prob
    if name == "ifgm":
        cfg, alpha = ifgm.IFGMConfig(eps=eps, norm="inf", steps=steps), eps / steps
    else:
        cfg = pgm.PGMConfig(eps=eps, norm="inf", steps=steps, random_start=False)
        alpha = 2.5 * eps / steps
    z = (ifgm if name == "ifgm" else pgm).perturb(IDENTITY, _t(x), _t(c), cfg, loss_fn=neg_sq)
    assert z.tolist() == [ref_iterated(xi, ci, eps, "inf", steps, alpha) for xi, ci in zip(x, c)]


@given(dyadic_problems(max_dim=1), st.sampled_from(["ifgm", "pgm", "fgm"]))
def test_l2_one_dimensional_iterates_equal_the_reference(prob, name):
    # In one dimension g/||g|| = sign(g) exactly; only the l2 projection's factor eps/||d|| is
    # rounded differently (torch computes a scalar over a tensor as (1/||d||)·eps), hence REORDER_REL.
    x, c, eps, steps = prob
    if name == "fgm":
        z = fgm.perturb(IDENTITY, _t(x), _t(c), fgm.FGMConfig(eps=eps), loss_fn=neg_sq)
        want = [ref_iterated(xi, ci, eps, "2", 1, eps) for xi, ci in zip(x, c)]
    elif name == "ifgm":
        z = ifgm.perturb(IDENTITY, _t(x), _t(c), ifgm.IFGMConfig(eps=eps, steps=steps), loss_fn=neg_sq)
        want = [ref_iterated(xi, ci, eps, "2", steps, eps / steps) for xi, ci in zip(x, c)]
    else:
        z = pgm.perturb(IDENTITY, _t(x), _t(c), pgm.PGMConfig(eps=eps, steps=steps, random_start=False),
                        loss_fn=neg_sq)
        want = [ref_iterated(xi, ci, eps, "2", steps, 2.5 * eps / steps) for xi, ci in zip(x, c)]
    assert torch.allclose(z, _t(want), rtol=REORDER_REL, atol=REORDER_REL)


@pytest.mark.parametrize("name", ["ifgm", "pgm"])
def test_l2_iterates_in_the_plane(name):
    # Two examples with the centre off both axes, T = 5 (not a power of two), so that steps,
    # projections and direction flips all occur; compared with REORDER_REL.
    x = [[0.0, 0.0], [1.0, -1.0]]
    c = [[0.9, 1.2], [0.2, -0.4]]
    eps, steps = 1.3, 5
    if name == "ifgm":
        z = ifgm.perturb(IDENTITY, _t(x), _t(c), ifgm.IFGMConfig(eps=eps, steps=steps), loss_fn=neg_sq)
        alpha = eps / steps
    else:
        z = pgm.perturb(IDENTITY, _t(x), _t(c), pgm.PGMConfig(eps=eps, steps=steps, random_start=False),
                        loss_fn=neg_sq)
        alpha = 2.5 * eps / steps
    want = _t([ref_iterated(xi, ci, eps, "2", steps, alpha) for xi, ci in zip(x, c)])
    assert torch.allclose(z, want, rtol=REORDER_REL, atol=REORDER_REL)


@pytest.mark.parametrize("norm", ["2", "inf"])
def test_pgm_random_start_is_the_seeded_ball_sample(norm):
    # With a loss whose gradient is zero the ascent does not move, so PGM must return exactly
    # x + (the uniform-ball draw of a generator with the same seed).
    x = _t([[0.5, -0.25, 1.0], [0.0, 0.0, 0.0]])
    y = torch.zeros(2)
    delta = uniform_ball(x, 0.7, norm, torch.Generator().manual_seed(11))
    z = pgm.perturb(IDENTITY, x, y, pgm.PGMConfig(eps=0.7, norm=norm, steps=3),
                    loss_fn=lambda z, y: 0.0 * z.sum(dim=1), generator=torch.Generator().manual_seed(11))
    assert torch.allclose(z, x + delta, rtol=0, atol=REORDER_REL)
    assert not torch.allclose(z, x - delta, rtol=0, atol=1e-3)


def test_clip_applied_at_every_step_exact():
    # linf IFGM towards c = 2 with the box [0, 1]: 0.5 -> 0.75 -> 1.0 -> clipped 1.0;
    # unclipped it would reach 1.25 = x + eps.
    cfg = ifgm.IFGMConfig(eps=0.75, norm="inf", steps=3, clip=(0.0, 1.0))
    assert ifgm.perturb(IDENTITY, _t([[0.5]]), _t([[2.0]]), cfg, loss_fn=neg_sq).tolist() == [[1.0]]
    cfg = fgm.FGMConfig(eps=0.75, norm="inf", clip=(0.0, 1.0))
    assert fgm.perturb(IDENTITY, _t([[0.5]]), _t([[-2.0]]), cfg, loss_fn=neg_sq).tolist() == [[0.0]]


def test_paper_defaults():
    # T_adv = 15 for every iterative method (paper §4); PGM: random start, 2.5 eps / T [R].
    assert ifgm.IFGMConfig(eps=1.0).steps == 15 and ifgm.IFGMConfig(eps=1.0).norm == "2"
    p = pgm.PGMConfig(eps=1.5)
    assert p.steps == 15 and p.random_start is True and p.step_size is None and p.norm == "2"
    assert pgm.PGM_STEP_FACTOR == 2.5 and p.alpha == 2.5 * 1.5 / 15
    assert fgm.FGMConfig(eps=1.0).norm == "2" and fgm.FGMConfig(eps=1.0).clip is None
    i = InnerConfig(gamma=2.0)
    assert (i.steps, i.step_rule, i.step_size, i.tol, i.max_steps) == (16, "official", None, None, 10000)


@pytest.mark.parametrize("mod, cfg", [(fgm, fgm.FGMConfig(eps=0.5)), (ifgm, ifgm.IFGMConfig(eps=0.5)),
                                      (pgm, pgm.PGMConfig(eps=0.5))])
def test_attacks_validate_inputs(mod, cfg):
    with pytest.raises(InvalidArgument, match="x"):
        mod.perturb(IDENTITY, [[0.0]], torch.zeros(1), cfg, loss_fn=neg_sq)
    with pytest.raises(InvalidArgument, match="floating"):
        mod.perturb(IDENTITY, torch.zeros(2, 1, dtype=torch.int64), torch.zeros(2), cfg, loss_fn=neg_sq)
    with pytest.raises(InvalidArgument, match="y"):
        mod.perturb(IDENTITY, torch.zeros(2, 1), torch.zeros(3), cfg, loss_fn=neg_sq)


@pytest.mark.parametrize("make, name", [
    (lambda: fgm.FGMConfig(eps=-0.1), "eps"), (lambda: fgm.FGMConfig(eps=1, norm="1"), "norm"),
    (lambda: ifgm.IFGMConfig(eps=-0.1), "eps"), (lambda: ifgm.IFGMConfig(eps=1, norm="1"), "norm"),
    (lambda: ifgm.IFGMConfig(eps=1, steps=0), "steps"), (lambda: pgm.PGMConfig(eps=-1), "eps"),
])
def test_attack_config_validation(make, name):
    with pytest.raises(InvalidArgument) as info:
        make()
    assert info.value.name == name


def test_attack_configs_normalise_norm_and_types():
    assert fgm.FGMConfig(eps=1, norm=float("inf")).norm == "inf"
    assert ifgm.IFGMConfig(eps=1, norm=2).norm == "2" and pgm.PGMConfig(eps=1, norm=2).norm == "2"
    assert isinstance(ifgm.IFGMConfig(eps=1).eps, float) and isinstance(fgm.FGMConfig(eps=1).eps, float)


@pytest.mark.parametrize("name", ["fgm", "ifgm", "pgm"])
def test_small_positive_eps_moves(name):
    # eps == 0 is the only shortcut: a small eps must still move the point (by eps in linf; IFGM
    # adds 15 rounded steps of eps/15, hence REORDER_REL).
    mod = {"fgm": fgm, "ifgm": ifgm, "pgm": pgm}[name]
    kw = {"random_start": False} if name == "pgm" else {}
    cfg = getattr(mod, {"fgm": "FGMConfig", "ifgm": "IFGMConfig", "pgm": "PGMConfig"}[name])(
        eps=0.25, norm="inf", **kw)
    z = mod.perturb(IDENTITY, _t([[0.0]]), _t([[1.0]]), cfg, loss_fn=neg_sq)
    assert float(z) == pytest.approx(0.25, rel=REORDER_REL)


# ----- the WRM inner ascent ------------------------------------------------------------------

@given(dyadic_problems(), st.sampled_from([0.25, 0.5, 1.0, 2.0]), st.sampled_from([1 / 8, 1 / 16]))
def test_inner_constant_steps_equal_the_reference(prob, gamma, eta):
    x, c, _, steps = prob
    cfg = InnerConfig(gamma=gamma, steps=steps, step_rule="constant", step_size=eta)
    r = maximize_inner(IDENTITY, _t(x), _t(c), cfg, loss_fn=neg_sq, record=True)
    refs = [ref_inner(xi, ci, gamma, [eta] * steps) for xi, ci in zip(x, c)]
    assert r.z.tolist() == [it[-1] for it in refs]  # dyadic: exact
    assert r.steps_taken == steps and r.converged is None
    for i, (xi, ci) in enumerate(zip(x, c)):
        f, loss, cost, gn = ref_f(refs[i][-1], xi, ci, gamma)
        for got, want in ((r.objective[i], f), (r.loss[i], loss), (r.transport_cost[i], cost), (r.grad_norm[i], gn)):
            assert float(got) == pytest.approx(want, rel=REORDER_REL, abs=REORDER_REL)
        assert r.trace.shape == (steps + 1, len(x))
        for k in range(steps + 1):
            assert float(r.trace[k, i]) == pytest.approx(ref_f(refs[i][k], xi, ci, gamma)[0],
                                                         rel=REORDER_REL, abs=REORDER_REL)


def test_inner_official_schedule_against_the_reference():
    # 16 official steps eta_k = 1/(2 gamma sqrt(k+1)) on a 3-D problem, two examples.
    x = [[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]]
    c = [[1.5, 0.25, -1.0], [1.0, 1.0, 1.0]]
    gamma = 1.7
    r = maximize_inner(IDENTITY, _t(x), _t(c), InnerConfig(gamma=gamma), loss_fn=neg_sq)
    etas = [1 / (2 * gamma * math.sqrt(k + 1)) for k in range(16)]
    assert [official_step(gamma, k) for k in range(16)] == pytest.approx(etas, rel=1e-15)
    want = [ref_inner(xi, ci, gamma, etas)[-1] for xi, ci in zip(x, c)]
    assert torch.allclose(r.z, _t(want), rtol=REORDER_REL, atol=REORDER_REL)
    assert r.steps_taken == 16 and r.trace is None  # record defaults to False


def test_inner_tol_converges_to_the_maximiser():
    # z* = (c + gamma x) / (1 + gamma); gap f(z*) - f(z) <= ||grad||^2 / (2 mu), mu = 2(1 + gamma).
    x, c, gamma, tol = _t([[0.0, 1.0]]), _t([[2.0, -1.0]]), 0.5, 1e-10
    r = maximize_inner(IDENTITY, x, c, InnerConfig(gamma=gamma, tol=tol), loss_fn=neg_sq)
    z_star = (c + gamma * x) / (1 + gamma)
    assert r.converged is True and float(r.grad_norm.max()) <= tol
    assert torch.allclose(r.z, z_star, rtol=0, atol=tol / (2 * (1 + gamma)) * 1.01)


def test_tol_boundary_is_inclusive_before_any_step():
    # grad at x is 2(c - x) = (0.5,), its norm exactly 0.5 = tol: converged with 0 steps.
    r = maximize_inner(IDENTITY, _t([[0.0]]), _t([[0.25]]), InnerConfig(gamma=1.0, tol=0.5), loss_fn=neg_sq)
    assert r.converged is True and r.steps_taken == 0 and r.z.tolist() == [[0.0]]
    # every example must meet tol, not just one: the second starts with gradient norm 2
    r = maximize_inner(IDENTITY, _t([[0.0], [0.0]]), _t([[0.25], [1.0]]),
                       InnerConfig(gamma=1.0, tol=0.5, step_rule="constant", step_size=0.125, max_steps=1),
                       loss_fn=neg_sq)
    assert r.steps_taken == 1
    # after the step the first example meets tol (grad 0.25) and the second does not (grad 1):
    # "converged" means every example, so it is False
    assert r.grad_norm.tolist() == [0.25, 1.0] and r.converged is False


def test_tol_boundary_is_inclusive_at_max_steps():
    # x = 0, c = 1, gamma = 1: grad(z) = 2 - 4z. One step of 1/8 from grad 2 gives z = 0.25 and
    # grad norm exactly 1 = tol: converged True after exactly max_steps = 1 step.
    cfg = InnerConfig(gamma=1.0, tol=1.0, step_rule="constant", step_size=0.125, max_steps=1)
    r = maximize_inner(IDENTITY, _t([[0.0]]), _t([[1.0]]), cfg, loss_fn=neg_sq)
    assert r.z.tolist() == [[0.25]] and r.grad_norm.tolist() == [1.0]
    assert r.steps_taken == 1 and r.converged is True
    # tol just below: not converged, still exactly one step
    cfg = InnerConfig(gamma=1.0, tol=0.999, step_rule="constant", step_size=0.125, max_steps=1)
    r = maximize_inner(IDENTITY, _t([[0.0]]), _t([[1.0]]), cfg, loss_fn=neg_sq)
    assert r.steps_taken == 1 and r.converged is False


def test_tol_mode_ignores_steps_and_counts_updates():
    # With tol set, `steps` is not the limit: the ascent runs until the tolerance (here 3 steps:
    # grad 2 -> 1 -> 0.5 -> 0.25 with a step of 1/8, tol 0.25).
    cfg = InnerConfig(gamma=1.0, steps=1, tol=0.25, step_rule="constant", step_size=0.125)
    r = maximize_inner(IDENTITY, _t([[0.0]]), _t([[1.0]]), cfg, loss_fn=neg_sq, record=True)
    assert r.steps_taken == 3 and r.converged is True and r.grad_norm.tolist() == [0.25]
    assert r.z.tolist() == [[0.4375]] and r.trace.shape == (4, 1)


def test_zero_steps_returns_x_and_its_values():
    x, c = _t([[0.5, 0.25]]), _t([[1.0, 1.0]])
    r = maximize_inner(IDENTITY, x, c, InnerConfig(gamma=2.0, steps=0), loss_fn=neg_sq)
    assert r.steps_taken == 0 and torch.equal(r.z, x)
    assert r.objective.tolist() == [-(0.25 + 0.5625)] and r.transport_cost.tolist() == [0.0]
    assert r.grad_norm.tolist() == pytest.approx([math.hypot(1.0, 1.5)], rel=1e-15)


def test_transport_cost_sums_every_feature_dimension():
    z = torch.arange(2 * 1 * 2 * 3, dtype=torch.float64).reshape(2, 1, 2, 3)
    x = torch.zeros_like(z)
    # example 0: 0^2 + ... + 5^2 = 55; example 1: 6^2 + ... + 11^2 = 451
    assert transport_cost(z, x).tolist() == [55.0, 451.0]
    assert transport_cost(x + 1, x).tolist() == [6.0, 6.0]


def test_inner_objective_is_loss_minus_gamma_cost():
    # z after one constant step (x = 0, c = 1, gamma = 3, eta = 1/16): grad(0) = 2 -> z = 1/8;
    # loss = -(7/8)^2, cost = 1/64, f = loss - 3/64.
    cfg = InnerConfig(gamma=3.0, steps=1, step_rule="constant", step_size=1 / 16)
    r = maximize_inner(IDENTITY, _t([[0.0]]), _t([[1.0]]), cfg, loss_fn=neg_sq)
    assert r.z.tolist() == [[0.125]]
    assert r.loss.tolist() == [-(0.875**2)] and r.transport_cost.tolist() == [1 / 64]
    assert r.objective.tolist() == [-(0.875**2) - 3 / 64]
    assert r.rho_hat == 1 / 64 and r.surrogate == -(0.875**2) - 3 / 64


@pytest.mark.parametrize("x, y, match", [
    ([[0.0]], torch.zeros(1), "x"),
    (torch.zeros(0, 2), torch.zeros(0), "N >= 1"),
    (torch.tensor(1.0), torch.zeros(1), "N >= 1"),
    (torch.zeros(2, 1, dtype=torch.int64), torch.zeros(2), "floating"),
    (torch.zeros(2, 1), torch.zeros(3), "y"),
    (torch.zeros(2, 1), [0.0, 0.0], "y"),
])
def test_inner_input_validation(x, y, match):
    with pytest.raises(InvalidArgument, match=match):
        maximize_inner(IDENTITY, x, y, InnerConfig(gamma=1.0), loss_fn=neg_sq)


def test_inner_one_dimensional_batch_and_config_type():
    # x of shape (N,) (one scalar feature per example) is allowed: ndim 1 is not < 1
    r = maximize_inner(IDENTITY, _t([0.0, 0.5]), _t([1.0, 1.0]),
                       InnerConfig(gamma=1.0, steps=1, step_rule="constant", step_size=0.125),
                       loss_fn=lambda z, c: -(z - c) ** 2)
    assert r.z.tolist() == [0.25, 0.5 + 0.125 * 1.0]
    with pytest.raises(InvalidArgument, match="InnerConfig"):
        maximize_inner(IDENTITY, _t([[0.0]]), _t([[1.0]]), {"gamma": 1.0}, loss_fn=neg_sq)
    with pytest.raises(InvalidArgument, match="per-example"):
        maximize_inner(IDENTITY, _t([[0.0]]), _t([[1.0]]), InnerConfig(gamma=1.0), loss_fn=lambda z, c: [0.0])


def test_loss_shape_checked_against_the_batch_size_not_the_feature_size():
    # 3 examples with 2 features: a loss of shape (2,) is wrong even though 2 is a dimension of x
    with pytest.raises(InvalidArgument, match=r"\(3,\)"):
        maximize_inner(IDENTITY, torch.zeros(3, 2, dtype=torch.float64), torch.zeros(3, 2, dtype=torch.float64),
                       InnerConfig(gamma=1.0), loss_fn=lambda z, c: neg_sq(z, c)[:2])


@pytest.mark.parametrize("kwargs, ok", [
    ({"steps": 0}, True), ({"max_steps": 1, "tol": 0.1}, True),
    ({"step_rule": "constant", "step_size": -0.1}, False), ({"tol": -1.0}, False),
])
def test_inner_config_boundaries(kwargs, ok):
    if ok:
        cfg = InnerConfig(gamma=1.0, **kwargs)
        for k, v in kwargs.items():
            assert getattr(cfg, k) == v
    else:
        with pytest.raises(InvalidArgument):
            InnerConfig(gamma=1.0, **kwargs)


def test_inner_config_normalises_numbers():
    cfg = InnerConfig(gamma=2, step_rule="constant", step_size=1, tol=1)
    assert isinstance(cfg.gamma, float) and isinstance(cfg.step_size, float) and isinstance(cfg.tol, float)
    assert cfg.step(0) == 1.0 and cfg.step(7) == 1.0
    assert InnerConfig(gamma=2).step(3) == 1 / (2 * 2 * 2)
    with pytest.raises(InvalidArgument, match="gamma"):
        InnerConfig(gamma="a")
