"""Tests of checker.wrm.inner (the WRM inner maximisation)."""

from __future__ import annotations

import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.errors import InvalidArgument
from checker.tolerances import BATCH_CONSISTENCY_ABS, WRM_FLOAT64_SLACK, WRM_INNER_GRAD_TOL
from checker.wrm.experiments import closed_form_worst, monotone_worst
from checker.wrm.inner import (InnerConfig, gamma_from_tf_eps, maximize_inner, official_step,
                               tf_eps_from_gamma, transport_cost)
from checker.wrm.models import mlp
from checker.wrm.toy import closed_form, linear_model, logistic_loss, squared_loss
from tests.strategies.wrm import inputs_for, linear_problems, mlp_problems, small_mlps


def test_closed_form_matches_sympy_solution():
    # Reference: docs/math/sinha.md, "A closed form for testing", re-derived here by solving grad f = 0 symbolically (m = 3).
    t = sp.symbols("t1:4", real=True)
    xs = sp.symbols("x1:4", real=True)
    u = sp.symbols("u1:4", real=True)
    y, g = sp.symbols("y gamma", positive=True)
    theta, x, uu = sp.Matrix(t), sp.Matrix(xs), sp.Matrix(u)
    f = sp.Rational(1, 2) * ((theta.T * (x + uu))[0] - y) ** 2 - g * (uu.T * uu)[0]
    sol = sp.solve([sp.diff(f, ui) for ui in u], u, dict=True)
    assert len(sol) == 1
    r = (theta.T * x)[0] - y
    t2 = (theta.T * theta)[0]
    phi = sp.simplify(f.subs(sol[0]) - g * r**2 / (2 * g - t2))
    assert phi == 0
    for i in range(3):
        assert sp.simplify(sol[0][u[i]] - r * t[i] / (2 * g - t2)) == 0


def test_closed_form_numeric_helper_against_hand_values():
    # Hand derivation: theta = (1, 0), x = (1, 0), y = 0, gamma = 1 -> r = 1, ||theta||^2 = 1,
    # phi = 1 * 1 / (2 - 1) = 1, z* = x + theta = (2, 0), cost = 1, loss = 2.
    cf = closed_form(torch.tensor([1.0, 0.0], dtype=torch.float64),
                     torch.tensor([[1.0, 0.0]], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64), 1.0)
    assert cf.phi.tolist() == [1.0]
    assert cf.z_star.tolist() == [[2.0, 0.0]]
    assert cf.transport_cost.tolist() == [1.0] and cf.loss.tolist() == [2.0]


@given(linear_problems())
def test_solver_reaches_closed_form(p):
    # Bounds from docs/math/sinha.md, "What makes a computed certificate sound": gap <= ||grad||^2/(2 mu), distance <= ||grad||/mu.
    w = closed_form_worst(p.theta, p.x, p.y, p.gamma)
    assert w["converged"]
    assert w["gap_ratio"] <= 1 and w["overshoot_ratio"] <= 1 and w["dist_ratio"] <= 1


@given(linear_problems())
def test_official_ascent_monotone_linear(p):
    assert monotone_worst(linear_model(p.theta), p.x, p.y, p.gamma, squared_loss, steps=16) <= 1


@given(linear_problems(min_margin=0.01))
def test_official_ascent_monotone_logistic(p):
    # logistic: L_zz = ||theta||^2/4 (toy.py), so the regime is gamma > ||theta||^2/8.
    gamma = float(p.theta @ p.theta) / 8 + (p.gamma - float(p.theta @ p.theta) / 2)
    y = (p.y > 0).long()
    assert monotone_worst(linear_model(p.theta), p.x, y, gamma, logistic_loss, steps=16) <= 1


def test_official_schedule_matches_tf_code():
    # Authors' released TF code (attacks_tf.wrm): eps = 1/(2 gamma), step k = eps / sqrt(k + 1).
    assert official_step(2.0, 0) == 0.25
    assert official_step(2.0, 3) == 0.25 / 2
    assert tf_eps_from_gamma(2.0) == 0.25
    assert gamma_from_tf_eps(1.3) == pytest.approx(1 / 2.6, rel=1e-15)


def test_official_iterates_by_hand():
    # Linear/squared, theta = (1,), x = 0, y = -1, gamma = 1: f(u) = (1+u)^2/2 - u^2,
    # f'(u) = 1 - u. Steps 1/2, 1/(2 sqrt 2): u1 = 0.5, u2 = 0.5 + 0.5/(2 sqrt 2).
    th = torch.tensor([1.0], dtype=torch.float64)
    x = torch.zeros(1, 1, dtype=torch.float64)
    y = torch.tensor([-1.0], dtype=torch.float64)
    r = maximize_inner(linear_model(th), x, y, InnerConfig(gamma=1.0, steps=2), loss_fn=squared_loss)
    assert r.z.item() == pytest.approx(0.5 + 0.5 / (2 * 2**0.5), abs=1e-15)
    assert r.steps_taken == 2 and r.converged is None


@given(small_mlps(), inputs_for(n_min=2, n_max=5), st.floats(0.2, 5.0))
def test_batch_consistency(model, xy, gamma):
    x, y = xy
    cfg = InnerConfig(gamma=gamma, steps=8)
    batch = maximize_inner(model, x, y, cfg)
    for i in range(x.shape[0]):
        alone = maximize_inner(model, x[i:i + 1], y[i:i + 1], cfg)
        assert torch.allclose(alone.z[0], batch.z[i], rtol=0, atol=BATCH_CONSISTENCY_ABS)
        assert abs(float(alone.objective[0] - batch.objective[i])) <= BATCH_CONSISTENCY_ABS


@given(small_mlps(), inputs_for())
def test_result_fields_consistent_and_input_untouched(model, xy):
    x, y = xy
    x_copy = x.clone()
    r = maximize_inner(model, x, y, InnerConfig(gamma=1.0, steps=4))
    assert torch.equal(x, x_copy)
    assert r.z.shape == x.shape and r.z.dtype == x.dtype and not r.z.requires_grad
    assert torch.allclose(r.transport_cost, transport_cost(r.z, x), atol=0, rtol=0)
    assert torch.allclose(r.objective, r.loss - 1.0 * r.transport_cost, rtol=0, atol=WRM_FLOAT64_SLACK)
    assert all(p.grad is None for p in model.parameters())


def test_mode_and_requires_grad_restored_even_on_exception():
    model = mlp()
    model.train()
    model[3].weight.requires_grad_(False)  # a deliberately mixed state must come back as it was
    before = [p.requires_grad for p in model.parameters()]

    def bad_loss(logits, y):
        raise RuntimeError("boom")

    x = torch.zeros(3, 2, dtype=torch.float64)
    y = torch.zeros(3, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="boom"):
        maximize_inner(model, x, y, InnerConfig(gamma=1.0), loss_fn=bad_loss)
    assert model.training and all(m.training for m in model.modules())
    assert [p.requires_grad for p in model.parameters()] == before
    model.eval()
    maximize_inner(model, x, y, InnerConfig(gamma=1.0))
    assert not model.training


def test_no_parameter_gradients_even_under_no_grad():
    model = mlp()
    x = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 0, 1])
    with torch.no_grad():
        r = maximize_inner(model, x, y, InnerConfig(gamma=0.5))
    assert r.rho_hat > 0  # the ascent did move under an outer no_grad
    assert all(p.grad is None for p in model.parameters())


def test_image_shapes_and_float32():
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ELU(), torch.nn.Flatten(),
                               torch.nn.Linear(2 * 4 * 4, 3))
    x = torch.rand(5, 1, 6, 6, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 2, 0, 1])
    r = maximize_inner(conv, x, y, InnerConfig(gamma=2.0))
    assert r.z.shape == x.shape and r.z.dtype == torch.float32
    assert r.objective.shape == (5,) and r.grad_norm.shape == (5,)
    # cost is summed over all feature dimensions, per example
    assert torch.allclose(r.transport_cost, ((r.z - x) ** 2).sum(dim=(1, 2, 3)))


def test_tol_reports_convergence_and_non_convergence():
    th = torch.tensor([1.0, 1.0], dtype=torch.float64)
    x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    y = torch.tensor([0.5], dtype=torch.float64)
    ok = maximize_inner(linear_model(th), x, y, InnerConfig(gamma=2.0, tol=WRM_INNER_GRAD_TOL), loss_fn=squared_loss)
    assert ok.converged is True and float(ok.grad_norm.max()) <= WRM_INNER_GRAD_TOL
    short = maximize_inner(linear_model(th), x, y, InnerConfig(gamma=2.0, tol=1e-12, max_steps=2),
                           loss_fn=squared_loss)
    assert short.converged is False and short.steps_taken == 2


@pytest.mark.parametrize("kwargs, name", [
    ({"gamma": 0.0}, "gamma"), ({"gamma": -1.0}, "gamma"), ({"gamma": float("nan")}, "gamma"),
    ({"gamma": 1.0, "steps": -1}, "steps"), ({"gamma": 1.0, "step_rule": "oficial"}, "step_rule"),
    ({"gamma": 1.0, "step_rule": "constant"}, "step_size"),
    ({"gamma": 1.0, "step_size": 0.1}, "step_size"), ({"gamma": 1.0, "tol": 0.0}, "tol"),
    ({"gamma": 1.0, "max_steps": 0}, "max_steps"),
])
def test_config_validation(kwargs, name):
    with pytest.raises(InvalidArgument) as info:
        InnerConfig(**kwargs)
    assert info.value.name == name


def test_loss_fn_shape_checked():
    with pytest.raises(InvalidArgument, match="per-example"):
        maximize_inner(mlp(), torch.zeros(3, 2, dtype=torch.float64), torch.zeros(3, dtype=torch.int64),
                       InnerConfig(gamma=1.0), loss_fn=lambda lo, y: lo.sum())


@given(mlp_problems(n_min=2), st.floats(0.2, 5.0))
def test_wide_deep_image_shaped_fields_and_batch_consistency(problem, gamma):
    # Depth 1-3, width 1-8, 2-10 classes, inputs up to 1x28x28 (issue 18: wider strategies).
    model, x, y = problem
    r = maximize_inner(model, x, y, InnerConfig(gamma=gamma, steps=4))
    assert r.z.shape == x.shape and r.objective.shape == (x.shape[0],)
    assert torch.allclose(r.transport_cost, ((r.z - x) ** 2).reshape(x.shape[0], -1).sum(dim=1), rtol=0, atol=0)
    assert torch.allclose(r.objective, r.loss - gamma * r.transport_cost, rtol=0, atol=WRM_FLOAT64_SLACK)
    alone = maximize_inner(model, x[:1], y[:1], InnerConfig(gamma=gamma, steps=4))
    assert torch.allclose(alone.z[0], r.z[0], rtol=0, atol=BATCH_CONSISTENCY_ABS)
