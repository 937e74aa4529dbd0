"""The linear (CROWN-style) loss bound of checker.certify.crown (issue 25, item 5).

The claim under test is literal: l(z) <= Lam.z + C for every z in the ball, rounding included.
References are independent of the bound engine: the loss is evaluated in 60-digit mpmath from
the float64 weights (a convolution through its explicit matrix, whose entries are its weights
exactly), and Lam.z + C is summed in mpmath from the returned floats. The points checked are
seeded random points of the ball, its boundary along +-Lam, and the worst points a projected
ascent on l(z) - Lam.z finds. Negative controls: the same check catches the bound when its
cross-entropy remainder and rounding terms are dropped, and when it is computed for a shrunk ball.
"""

from __future__ import annotations

import math

import mpmath
import pytest
import torch
import torch.nn as nn

from checker.certify.crown import ball_max, linear_loss_bound, shell_max
from checker.certify.local import local_bounds
from checker.certify.planted import PLANTED_ACTIVATIONS, planted_data, planted_net, planted_value
from checker.certify.propagate import _conv_apply, ball_to_u1, chain_net

mpmath.mp.dps = 60
#: The planted value is one float64 evaluation of the model (loss ~ 10): a few ulps, far below this.
PLANTED_EVAL_ABS = 1e-12

ACTS = {"elu": nn.ELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softplus2": lambda: nn.Softplus(beta=2.0)}


def _mp_act(kind, v):
    if kind == "elu":
        return v if v > 0 else mpmath.expm1(v)
    if kind == "tanh":
        return mpmath.tanh(v)
    if kind == "sigmoid":
        return 1 / (1 + mpmath.exp(-v))
    return mpmath.log1p(mpmath.exp(2 * v)) / 2  # softplus, beta = 2 (the smooth function)


def _mp_layers(model, in_shape):
    """Each layer as ("mat", rows of mpf, bias) or ("act", kind), from the float64 weights."""
    layers, shape = [], tuple(in_shape)
    for m in model:
        if isinstance(m, nn.Linear):
            W, b = m.weight.detach().double(), m.bias.detach().double()
            layers.append(("mat", [[mpmath.mpf(float(w)) for w in row] for row in W.tolist()],
                           [mpmath.mpf(float(v)) for v in b.tolist()]))
        elif isinstance(m, nn.Conv2d):
            W, b = m.weight.detach().double(), m.bias.detach().double()
            with torch.no_grad():
                out = m.double()(torch.zeros(1, *shape, dtype=torch.float64))
            meta = dict(stride=m.stride, padding=m.padding, dilation=m.dilation, in_shape=shape)
            n = math.prod(shape)
            A = _conv_apply(W, meta, torch.eye(n, dtype=torch.float64)).T  # rows: outputs; entries: weights
            hw = out.shape[2] * out.shape[3]
            layers.append(("mat", [[mpmath.mpf(float(w)) for w in row] for row in A.tolist()],
                           [mpmath.mpf(float(v)) for v in b.repeat_interleave(hw).tolist()]))
            shape = tuple(out.shape[1:])
        elif isinstance(m, nn.Flatten):
            continue
        else:
            kind = {nn.ELU: "elu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.Softplus: "softplus"}[type(m)]
            layers.append(("act", kind))
    return layers


def _mp_loss(layers, z, y):
    v = [mpmath.mpf(float(t)) for t in z]
    for layer in layers:
        if layer[0] == "mat":
            v = [mpmath.fsum(w * a for w, a in zip(row, v)) + b for row, b in zip(layer[1], layer[2])]
        else:
            v = [_mp_act(layer[1], a) for a in v]
    return mpmath.log(mpmath.fsum(mpmath.exp(u) for u in v)) - v[y]


def _mp_linear(Lam, C, z):
    return mpmath.fsum(mpmath.mpf(float(a)) * mpmath.mpf(float(b)) for a, b in zip(Lam, z)) + mpmath.mpf(float(C))


def _model(act, seed, conv=False):
    torch.manual_seed(seed)
    if conv:  # 1 x 4 x 4 input
        return nn.Sequential(nn.Conv2d(1, 2, 2, stride=2), ACTS[act](), nn.Flatten(), nn.Linear(8, 5), ACTS[act](),
                             nn.Linear(5, 3)).double().eval()
    return nn.Sequential(nn.Linear(3, 6), ACTS[act](), nn.Linear(6, 5), ACTS[act](), nn.Linear(5, 3)).double().eval()


def _worst_points(model, x, y, Lam, s, in_shape, steps=60, starts=4, seed=0):
    """Projected gradient ascent on l(z) - Lam.z over the ball B(x, s) (float64), plus random
    points and the boundary along +-Lam: the candidates for a violation."""
    gen = torch.Generator().manual_seed(seed)
    n, d = x.shape
    pts = [x + s[:, None] * Lam / Lam.norm(dim=1, keepdim=True).clamp_min(1e-300),
           x - s[:, None] * Lam / Lam.norm(dim=1, keepdim=True).clamp_min(1e-300)]
    for _ in range(starts):
        u = torch.randn(n, d, generator=gen, dtype=torch.float64)
        z = x + u / u.norm(dim=1, keepdim=True) * s[:, None] * torch.rand(n, 1, generator=gen, dtype=torch.float64)
        pts.append(z.clone())
        for _ in range(steps):
            z = z.detach().requires_grad_(True)
            obj = nn.functional.cross_entropy(model(z.reshape(n, *in_shape)), y, reduction="none") - (Lam * z).sum(1)
            (g,) = torch.autograd.grad(obj.sum(), z)
            z = z + 0.5 * s[:, None] * g / g.norm(dim=1, keepdim=True).clamp_min(1e-300)
            dz = z - x
            z = x + dz * torch.clamp(s[:, None] / dz.norm(dim=1, keepdim=True).clamp_min(1e-300), max=1.0)
        pts.append(z.detach())
    return pts


def _max_violation(model, x, y, Lam, C, pts, in_shape):
    layers = _mp_layers(model, in_shape)
    worst = -mpmath.inf
    for z in pts:
        for i in range(x.shape[0]):
            gap = _mp_loss(layers, z[i].tolist(), int(y[i])) - _mp_linear(Lam[i].tolist(), C[i], z[i].tolist())
            worst = max(worst, gap)
    return worst


CASES = [(a, False) for a in ACTS] + [("elu", True), ("softplus2", True)]


@pytest.mark.parametrize("act, conv", CASES, ids=[f"{a}-{'conv' if c else 'mlp'}" for a, c in CASES])
@pytest.mark.parametrize("radius", [0.05, 0.6])
def test_linear_bound_holds_literally_in_60_digits(act, conv, radius):
    model = _model(act, seed=3, conv=conv)
    in_shape = (1, 4, 4) if conv else (3,)
    d = math.prod(in_shape)
    gen = torch.Generator().manual_seed(11)
    x = torch.rand(3, d, generator=gen, dtype=torch.float64)
    y = torch.tensor([0, 1, 2])
    net = chain_net(model, in_shape)
    s = torch.full((3,), radius, dtype=torch.float64)
    Lam, C = linear_loss_bound(net, *ball_to_u1(net, x, s), x.abs() + s[:, None], y, x=x, s=s)
    pts = _worst_points(model, x, y, Lam, s, in_shape)
    assert _max_violation(model, x, y, Lam, C, pts, in_shape) <= 0
    # and it is a useful bound: the gap at the data point is below the interval width of the loss
    from checker.certify.propagate import enclose

    enc = enclose(net, *ball_to_u1(net, x, s), y, hessian=False)
    lx = nn.functional.cross_entropy(model(x.reshape(3, *in_shape)), y, reduction="none").detach()
    assert bool((ball_max(Lam, C, x, s) - lx <= (enc.loss[1] - lx) * 1.5).all())


@pytest.mark.parametrize("act", ["elu", "tanh"])
def test_negative_control_no_remainder_and_shrunk_ball_are_caught(act):
    """The same check fails for a bound without its cross-entropy remainder (a tangent plane of a
    convex function is a lower bound; shown on a network whose only nonlinearity is the loss,
    where nothing else can absorb it) and for a bound computed on a ball 10 times smaller."""
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(3, 3, generator=gen, dtype=torch.float64)
    y = torch.tensor([2, 0, 1])
    s = torch.full((3,), 0.6, dtype=torch.float64)
    torch.manual_seed(5)
    linear = nn.Sequential(nn.Linear(3, 3)).double().eval()
    net = chain_net(linear, (3,))
    Lam, C = linear_loss_bound(net, *ball_to_u1(net, x, s), x.abs() + s[:, None], y, rounding=False)
    assert _max_violation(linear, x, y, Lam, C, _worst_points(linear, x, y, Lam, s, (3,)), (3,)) > 0
    Lam, C = linear_loss_bound(net, *ball_to_u1(net, x, s), x.abs() + s[:, None], y, x=x, s=s)  # positive control
    assert _max_violation(linear, x, y, Lam, C, _worst_points(linear, x, y, Lam, s, (3,)), (3,)) <= 0
    model = _model(act, seed=5)
    net = chain_net(model, (3,))
    small = s / 10
    Lam, C = linear_loss_bound(net, *ball_to_u1(net, x, small), x.abs() + small[:, None], y, x=x, s=small)
    pts = _worst_points(model, x, y, Lam, s, (3,))
    assert _max_violation(model, x, y, Lam, C, pts, (3,)) > 0


def test_shell_max_is_the_exact_maximum_of_the_parabola():
    """max over a <= r <= b of Lam.x + C + |Lam| r - gamma r^2, against a fine grid in mpmath and
    the point x + r* Lam/|Lam| where the ball's maximum of Lam.z - gamma |z - x|^2 is attained."""
    gen = torch.Generator().manual_seed(0)
    Lam = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    x = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    C = torch.randn(4, generator=gen, dtype=torch.float64)
    gamma = 0.7
    nrm = Lam.norm(dim=1)
    v = nrm / (2 * gamma)
    a = torch.stack([v[0] * 0.5, v[1] * 1.5, v[2] * 0.0, v[3] * 0.9])  # vertex inside, left of, at 0, inside
    b = torch.stack([v[0] * 2.0, v[1] * 3.0, v[2] * 0.5, v[3] * 1.1])  # (row 1: vertex < a; row 2: > b)
    got = shell_max(Lam, C, x, a, b, gamma=gamma)
    for i in range(4):
        N = mpmath.sqrt(mpmath.fsum(mpmath.mpf(float(t)) ** 2 for t in Lam[i].tolist()))
        base = _mp_linear(Lam[i].tolist(), C[i], x[i].tolist())
        A, B = mpmath.mpf(float(a[i])), mpmath.mpf(float(b[i]))
        grid = [A + (B - A) * k / 2000 for k in range(2001)]
        ref = max(base + N * r - gamma * r * r for r in grid)
        r_star = min(max(N / (2 * gamma), A), B)
        exact = base + N * r_star - gamma * r_star * r_star
        assert exact >= ref  # the clipped vertex is the maximum
        assert mpmath.mpf(float(got[i])) >= exact  # rounded up
        assert float(got[i]) - float(exact) <= 1e-12 * (1 + abs(float(exact)))  # and tight


@pytest.mark.parametrize("d, conv", [(2, False), (8, False), (16, True)], ids=["mlp-d2", "mlp-d8", "conv-4x4"])
@pytest.mark.parametrize("activation", PLANTED_ACTIVATIONS)
def test_planted_spike_with_and_without_crown(activation, d, conv):
    """The fallback with the linear bound stays above every planted spike, and never above the
    fallback without it (the smaller sound bound is kept per shell)."""
    net = planted_net(activation=activation, d=d, conv=conv)
    x, y = planted_data(net)
    planted, _ = planted_value(net, x, y, 0.5)
    cn = chain_net(net.model, tuple(x.shape[1:]))
    n = x.shape[0]
    xf = x.reshape(n, -1)
    on = local_bounds(cn, xf, y, xf, gamma=0.5, bnb=False, crown=True)
    off = local_bounds(cn, xf, y, xf, gamma=0.5, bnb=False, crown=False)
    assert bool((on.phi_upper >= planted - PLANTED_EVAL_ABS).all())
    assert bool((on.radius <= off.radius).all())
    assert bool((on.phi_upper <= off.phi_upper * (1 + 1e-12) + 1e-12).all())


def test_certify_option_reaches_the_fallback():
    """``certify(crown=True)`` uses the linear bound (off by default): on a random ELU 2-4-2-2
    network at gamma = 0.5 with branch-and-bound off (75% of the points on the fallback) the
    values differ, the option's are never larger, and both stay above a multi-start attack."""
    from checker.certify import certify
    from checker.certify.falsify import lagrangian, wrm_ascent

    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 4), nn.ELU(), nn.Linear(4, 2), nn.ELU(), nn.Linear(2, 2)).double()
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(2.0)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(20, 2, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 2, (20,), generator=gen)
    off = certify(m, x, y, gamma=0.5, hessian=False, bnb=False)
    on = certify(m, x, y, gamma=0.5, hessian=False, bnb=False, crown=True)
    assert off.sound and on.sound
    assert bool((on.phi_upper <= off.phi_upper).all()) and not torch.equal(on.phi_upper, off.phi_upper)
    z = wrm_ascent(m, x, y, gamma=0.5, starts=8, steps=200, seed=0)
    assert bool((on.phi_upper >= lagrangian(m, z, x, y, 0.5).detach()).all())
