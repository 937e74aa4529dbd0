"""Tests of the norm-ball attacks (FGM, IFGM, PGM), the shared helpers and the sweeps."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from checker.errors import InvalidArgument
from checker.tolerances import BATCH_CONSISTENCY_ABS, NORM_BUDGET_OPERAND_REL, NORM_BUDGET_REL, STAT_ALPHA
from checker.wrm import fgm, ifgm, pgm
from checker.wrm._grad import ascent_direction, per_example_norm, project, uniform_ball
from checker.wrm.attacks import budget_sweep, wrm_sweep
from checker.wrm.methods import METHODS, make_config, perturb
from checker.wrm.models import mlp
from tests.strategies.wrm import inputs_for, mlp_problems, small_mlps

ATTACKS = [("fgm", fgm.FGMConfig), ("ifgm", ifgm.IFGMConfig), ("pgm", pgm.PGMConfig)]


def _cfg(name, eps, norm, **kw):
    return dict(ATTACKS)[name](eps=eps, norm=norm, **kw)


@given(small_mlps(), inputs_for(), st.sampled_from(["fgm", "ifgm", "pgm"]), st.sampled_from(["2", "inf"]),
       st.floats(0.0, 3.0))
# Found by Hypothesis: z = x + delta is rounded at the scale of |x| (0.5 + 1e-9 - 0.5 != 1e-9),
# so the slack must be relative to the operands' size, not to eps alone.
@example(model=mlp(2, (3,), "elu"), name="fgm", norm="2", eps=1e-9,
         xy=(torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.5, 0.0]], dtype=torch.float64), torch.tensor([0, 0, 0])))
def test_norm_budget_holds_and_input_untouched(model, xy, name, norm, eps):
    x, y = xy
    x_copy = x.clone()
    z = perturb(name, model, x, y, _cfg(name, eps, norm), generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, x_copy)
    assert z.shape == x.shape and not z.requires_grad
    slack = NORM_BUDGET_OPERAND_REL * (eps + per_example_norm(x, norm) + per_example_norm(z, norm))
    assert bool((per_example_norm(z - x, norm) <= eps + slack).all())
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("name", ["fgm", "ifgm", "pgm"])
@pytest.mark.parametrize("norm", ["2", "inf"])
def test_eps_zero_returns_input(name, norm):
    x = torch.randn(4, 1, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 0, 1])
    model = mlp(9, (3,), "elu")
    assert torch.equal(perturb(name, model, x, y, _cfg(name, 0.0, norm)), x)


def test_fgm_is_the_paper_step():
    # eq. (3): l2 -> eps * g/||g||, linf -> eps * sign(g). Independent float64 gradient below.
    model = mlp(2, (4,), "tanh")
    x = torch.tensor([[0.3, -0.2], [1.0, 0.5]], dtype=torch.float64)
    y = torch.tensor([1, 0])
    xx = x.clone().requires_grad_(True)
    g, = torch.autograd.grad(torch.nn.functional.cross_entropy(model(xx), y, reduction="sum"), xx)
    z2 = fgm.perturb(model, x, y, fgm.FGMConfig(eps=0.5, norm="2"))
    assert torch.allclose(z2, x + 0.5 * g / g.norm(dim=1, keepdim=True), atol=1e-15, rtol=0)
    zi = fgm.perturb(model, x, y, fgm.FGMConfig(eps=0.5, norm="inf"))
    assert torch.equal(zi, x + 0.5 * torch.sign(g))
    # eps = 1 is a step like any other (only eps = 0 short-cuts to a copy of x).
    z1 = fgm.perturb(model, x, y, fgm.FGMConfig(eps=1.0, norm="inf"))
    assert torch.equal(z1, x + torch.sign(g))


def test_ifgm_and_pgm_l2_reach_boundary_on_linear_logit():
    # For a linear 2-logit model the loss gradient direction is constant, so IFGM's 15 steps of
    # eps/15 add up to exactly eps (triangle equality) and PGM ends on the sphere (hand argument).
    lin = torch.nn.Linear(2, 2).double()
    x = torch.zeros(3, 2, dtype=torch.float64)
    y = torch.tensor([0, 1, 0])
    z = ifgm.perturb(lin, x, y, ifgm.IFGMConfig(eps=0.7))
    assert torch.allclose(z.norm(dim=1), torch.full((3,), 0.7, dtype=torch.float64), atol=1e-12)
    z = pgm.perturb(lin, x, y, pgm.PGMConfig(eps=0.7), generator=torch.Generator().manual_seed(0))
    assert torch.allclose(z.norm(dim=1), torch.full((3,), 0.7, dtype=torch.float64), atol=1e-12)


@given(small_mlps(), inputs_for(n_min=2, n_max=4), st.sampled_from(["fgm", "ifgm", "pgm", "wrm"]),
       st.sampled_from(["2", "inf"]))
def test_batch_consistency(model, xy, name, norm):
    x, y = xy
    cfg = make_config(name, eps=0.5, gamma=1.0, norm=norm, steps=5)
    if name == "pgm":
        cfg = pgm.PGMConfig(eps=0.5, norm=norm, steps=5, random_start=False)
    batch = perturb(name, model, x, y, cfg)
    for i in range(x.shape[0]):
        alone = perturb(name, model, x[i:i + 1], y[i:i + 1], cfg)
        assert torch.allclose(alone[0], batch[i], rtol=0, atol=BATCH_CONSISTENCY_ABS)


@pytest.mark.parametrize("shape", [(4000, 2), (4000, 10), (3000, 1, 3, 3)])
def test_l2_random_start_uniform_in_ball(shape):
    # Uniform in the d-ball: P(||delta|| <= t eps) = t^d, so (r/eps)^d ~ U(0, 1) [D, standard].
    like = torch.zeros(shape, dtype=torch.float64)
    d = like[0].numel()
    delta = uniform_ball(like, 0.3, "2", torch.Generator().manual_seed(7))
    u = (per_example_norm(delta, "2") / 0.3) ** d
    assert stats.kstest(u.numpy(), "uniform").pvalue > STAT_ALPHA
    # direction isotropic: the first coordinate of the unit direction has mean 0 (CLT bound)
    dirs = delta.reshape(shape[0], -1) / per_example_norm(delta, "2")[:, None]
    z = float(dirs[:, 0].mean()) / math.sqrt(1 / d / shape[0])
    assert abs(z) < stats.norm.isf(STAT_ALPHA / 2)


def test_linf_random_start_uniform_in_box():
    like = torch.zeros(3000, 4, dtype=torch.float64)
    delta = uniform_ball(like, 0.5, "inf", torch.Generator().manual_seed(1))
    assert float(delta.abs().max()) <= 0.5
    assert stats.kstest(((delta + 0.5) / 1.0).reshape(-1).numpy(), "uniform").pvalue > STAT_ALPHA


def test_wrong_radius_law_would_be_detected():
    # Power check of the test above: radius eps*U (torchattacks-style) is not uniform in the ball.
    gen = torch.Generator().manual_seed(0)
    r = torch.rand(4000, generator=gen, dtype=torch.float64)
    assert stats.kstest((r**2).numpy(), "uniform").pvalue < STAT_ALPHA


@given(st.lists(st.floats(-5, 5), min_size=3, max_size=3), st.floats(0.01, 3), st.sampled_from(["2", "inf"]))
def test_projection_is_idempotent_and_within_budget(v, eps, norm):
    d = torch.tensor([v], dtype=torch.float64)
    p = project(d, eps, norm)
    assert float(per_example_norm(p, norm)[0]) <= eps * (1 + NORM_BUDGET_REL)
    assert torch.allclose(project(p, eps, norm), p, atol=1e-15, rtol=0)
    if float(per_example_norm(d, norm)[0]) <= eps:
        assert torch.equal(p, d)


def test_zero_gradient_direction_is_zero():
    g = torch.zeros(2, 3, dtype=torch.float64)
    assert torch.equal(ascent_direction(g, "2"), g)


def test_clip_respected_and_validated():
    model = mlp(4, (3,), "elu")
    x = torch.full((5, 4), 0.95, dtype=torch.float64)
    y = torch.zeros(5, dtype=torch.int64)
    z = pgm.perturb(model, x, y, pgm.PGMConfig(eps=1.0, clip=(0.0, 1.0)), generator=torch.Generator().manual_seed(0))
    assert float(z.max()) <= 1.0 and float(z.min()) >= 0.0
    with pytest.raises(InvalidArgument, match="clip"):
        pgm.perturb(model, x + 1, y, pgm.PGMConfig(eps=1.0, clip=(0.0, 1.0)))


def test_model_mode_restored_on_exception():
    model = mlp()
    model.train()
    with pytest.raises(RuntimeError):
        pgm.perturb(model, torch.zeros(2, 2, dtype=torch.float64), torch.zeros(2, dtype=torch.int64),
                    pgm.PGMConfig(eps=1.0), loss_fn=lambda lo, y: (_ for _ in ()).throw(RuntimeError("x")))
    assert model.training and all(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("kw, name", [({"eps": -1}, "eps"), ({"eps": 1, "norm": "1"}, "norm"),
                                      ({"eps": 1, "steps": 0}, "steps"), ({"eps": 1, "step_size": 0}, "step_size")])
def test_pgm_config_validation(kw, name):
    with pytest.raises(InvalidArgument) as info:
        pgm.PGMConfig(**kw)
    assert info.value.name == name


def test_make_config_requires_budgets():
    assert set(METHODS) == {"erm", "fgm", "ifgm", "pgm", "wrm"}
    with pytest.raises(InvalidArgument, match="eps"):
        make_config("pgm")
    with pytest.raises(InvalidArgument, match="gamma"):
        make_config("wrm")
    with pytest.raises(InvalidArgument, match="did you mean"):
        make_config("pgd")


def test_sweeps_shapes_and_monotone_wrm_radius():
    model = mlp(activation="elu")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(50, 2, dtype=torch.float64, generator=gen)
    y = (x.norm(dim=1) > 2**0.5).long()
    s = budget_sweep(model, x, y, attack="pgm", norm="2", budgets=[0.0, 0.5], steps=5)
    assert s.errors[0] == float((model(x).argmax(1) != y).double().mean())
    assert len(s.errors) == 2 and 0 <= s.errors[1] <= 1
    w = wrm_sweep(model, x, y, gammas=[4.0, 1.0])
    # exact maximisers have transport cost nonincreasing in gamma (standard Lagrangian argument);
    # here the 16 official steps are near-exact, so the sampled radii must follow it
    assert w.rho_test[0] <= w.rho_test[1]


@given(mlp_problems(), st.sampled_from(["fgm", "ifgm", "pgm", "wrm"]), st.sampled_from(["2", "inf"]),
       st.floats(0.0, 2.0))
def test_wide_deep_image_shaped_budget_and_batch_consistency(problem, name, norm, eps):
    # Depth 1-3, width 1-8, 2-10 classes, inputs up to 1x28x28 (issue 18: wider strategies).
    model, x, y = problem
    cfg = make_config(name, eps=eps, gamma=1.0 + eps, norm=norm, steps=4)
    if name == "pgm":
        cfg = pgm.PGMConfig(eps=eps, norm=norm, steps=4, random_start=False)
    z = perturb(name, model, x, y, cfg)
    assert z.shape == x.shape and z.dtype == x.dtype
    if name != "wrm":
        slack = NORM_BUDGET_OPERAND_REL * (eps + per_example_norm(x, norm) + per_example_norm(z, norm))
        assert bool((per_example_norm(z - x, norm) <= eps + slack).all())
    alone = perturb(name, model, x[-1:], y[-1:], cfg)
    assert torch.allclose(alone[0], z[-1], rtol=0, atol=BATCH_CONSISTENCY_ABS)
