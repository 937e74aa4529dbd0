"""Pins for ``checker.certify.certificate``: every validation branch, default, boundary and
exact quantity of the certificate, each against a reference computed here independently.

The network is a 2-input, 2-logit ``Linear`` layer with hand-picked weights. Its loss is
:math:`\\ell(z)=\\mathrm{lse}(Wz+b)-(Wz+b)_y`, with gradient :math:`W^\\top(p-e_y)` and Hessian
:math:`W^\\top(\\mathrm{diag}\\,p-pp^\\top)W`, both computed below in plain float64 (numpy/math),
not by the code under test. Corollary 4 for a single linear layer gives
:math:`\\alpha=\\lVert W\\rVert_{op}(1+s)` (``s`` = ``OPNORM_REL_SAFETY``), :math:`\\beta=0`,
so the tightened :math:`L_{zz}=\\alpha^2/2` (docs/math/sinha.md, Corollary 4).

Where a power-iteration Hessian estimate is needed at an exact value (the consistency checks,
the step-size curvature), ``hessian_lambda_max`` is replaced by a stub returning chosen
numbers, so the boundary of each comparison is hit exactly.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn as nn

import checker.certify.certificate as cc
import checker.certify.hessian as hess
import checker.certify.local as local
from checker.certify import certify
from checker.certify.certificate import (
    HESSIAN_ABS_SLACK,
    Certificate,
    _content_hash,
    _default_curvature,
    _default_step,
    _mean_up,
    validate_model_data,
)
from checker.certify.hessian import HessianEstimate
from checker.errors import InvalidArgument
from checker.tolerances import HESSIAN_REL_SLACK, OPNORM_REL_SAFETY

W = [[0.8, -0.3], [0.2, 0.5]]
B = [0.1, -0.2]
#: Relative agreement of two float64 evaluations of the same closed form in a different order
#: (a few roundings of O(1) quantities, ~1e-15; 1e-12 leaves room and still separates every
#: mutant, which changes the value by a factor or a term of order 1).
REL = 1e-12


@pytest.fixture(autouse=True)
def _fresh_cache():
    cc._SWEEP_CACHE.clear()
    yield
    cc._SWEEP_CACHE.clear()


def _lin(*, bias: bool = True, dtype=torch.float64) -> nn.Sequential:
    lin = nn.Linear(2, 2, bias=bias, dtype=dtype)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(W, dtype=dtype))
        if bias:
            lin.bias.copy_(torch.tensor(B, dtype=dtype))
    return nn.Sequential(lin)


def _data(n: int = 4):
    pts = [[0.3, -0.7], [1.1, 0.4], [-0.5, 0.9], [0.0, 0.2], [-1.3, -0.6], [0.7, 0.7]]
    x = torch.tensor([pts[i % len(pts)] for i in range(n)], dtype=torch.float64)
    x = x + 0.01 * torch.arange(n, dtype=torch.float64)[:, None]  # distinct rows for n > 6
    y = torch.tensor([i % 2 for i in range(n)])
    return x, y


def _ref_loss_grad(x, y):
    """Cross-entropy and its input gradient of the fixed linear layer, in numpy float64."""
    w, b = np.array(W), np.array(B)
    out_l, out_g = [], []
    for xi, yi in zip(x.numpy(), y.numpy()):
        a = w @ xi + b
        m = a.max()
        lse = m + math.log(sum(math.exp(v - m) for v in a))
        p = np.exp(a - lse)
        e = np.zeros(2)
        e[int(yi)] = 1.0
        out_l.append(lse - a[int(yi)])
        out_g.append(w.T @ (p - e))
    return np.array(out_l), np.array(out_g)


def _ref_lzz_tight() -> float:
    alpha = float(np.linalg.svd(np.array(W), compute_uv=False)[0]) * (1.0 + OPNORM_REL_SAFETY)
    return alpha * alpha / 2.0


def _stub_hessian(monkeypatch, lam_fn, abs_fn=None, calls=None):
    """Replace the power-iteration estimate by ``lam_fn(z)`` (and ``abs_fn(z)`` for ``abs_max``)."""

    def fake(model, z, y, *, iters=30, seed=0, loss_fn=None):
        if calls is not None:
            calls.append({"n": z.shape[0], "iters": iters, "seed": seed, "z": z.detach().clone()})
        lam = torch.as_tensor(lam_fn(z), dtype=torch.float64)
        ab = lam.abs() if abs_fn is None else torch.as_tensor(abs_fn(z), dtype=torch.float64)
        return HessianEstimate(lambda_max=lam, abs_max=ab, iters=iters)

    monkeypatch.setattr(hess, "hessian_lambda_max", fake)


def _cert(**kw) -> Certificate:
    base = dict(gamma=2.0, n=3, split="other", rho_hat=0.5, surrogate_mean=0.25,
                surrogate_lower_mean=0.2, certificate_at_rho_hat=1.25, worst_case_loss=0.3,
                clean_loss=0.1, sound=False, reason="r", lzz_bound=None, mu=None,
                fraction_not_strongly_concave=None, hessian_lambda_max_max=None, inner_steps=0,
                inner_converged=True, max_grad_norm=0.0, correction_mean=None)
    base.update(kw)
    return Certificate(**base)


# -- the Certificate record -------------------------------------------------------------------

def test_certificate_defaults_and_repr():
    c = _cert()
    assert c.n_parameters == 0 and c.argument == "global" and c.lzz_bound_tight is None
    assert c.method_fractions == {} and c.layers == () and c.assumptions == ()
    text = repr(c)
    for name in ("phi_lower", "phi_upper", "loss_at_z", "transport_cost", "grad_norm",
                 "hessian_lambda_max=", "z_hat", "phi_method", "local_radius", "local_curvature"):
        assert f" {name.rstrip('=')}=" not in text, name  # per-example arrays are kept out of the repr


@pytest.mark.parametrize("kw, param", [({"gamma": 0.0}, "gamma"), ({"gamma": -1.0}, "gamma"),
                                       ({"split": "val"}, "split"), ({"argument": "both"}, "argument")])
def test_certificate_rejects_bad_fields(kw, param):
    with pytest.raises(InvalidArgument, match=param):
        _cert(**kw)


@pytest.mark.parametrize("mu", [None, 0.0, -1.0])
def test_sound_global_certificate_needs_positive_mu(mu):
    with pytest.raises(AssertionError, match="mu > 0"):
        _cert(sound=True, argument="global", mu=mu)


@pytest.mark.parametrize("mu", [5e-324, 0.5, 1.0, 3.0])
def test_sound_global_certificate_accepts_positive_mu(mu):
    assert _cert(sound=True, argument="global", mu=mu).sound


def test_sound_local_certificate_needs_its_methods():
    with pytest.raises(AssertionError, match="argument"):
        _cert(sound=True, argument="local", mu=None, phi_method=None)
    # the local argument needs no mu; an estimate needs neither
    assert _cert(sound=True, argument="local", mu=None, phi_method=torch.zeros(3)).sound
    assert not _cert(sound=False, argument="local", mu=None, phi_method=None).sound
    assert not _cert(sound=False, argument="global", mu=None).sound
    assert _cert(sound=True, argument="global", mu=1.0, phi_method=None).sound


def test_certificate_line_is_gamma_rho_plus_surrogate():
    c = _cert(gamma=2.0, surrogate_mean=0.25)
    assert c.at(0) == 0.25 and c.at(3.0) == 6.25 and c.line([0.5, 1.0]) == [1.25, 2.25]
    with pytest.raises(InvalidArgument, match="rho"):
        c.at(-1.0)


def test_statement_and_status_follow_sound_and_split():
    est = _cert(sound=False, reason="why not")
    assert est.status == "estimate" and est.statement.startswith("ESTIMATE") and "why not" in est.statement
    tr = _cert(sound=True, mu=1.0, split="train")
    assert tr.status == "sound" and tr.statement.startswith("SOUND") and "eps_n(t)" in tr.statement
    te = _cert(sound=True, mu=1.0, split="test")
    assert "eps_n" not in te.statement and "statement (15)" in te.statement
    assert tr.phi is tr.phi_upper and est.phi is est.phi_lower


def test_to_dict_per_example_arrays_and_epsilon():
    phi = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    c = _cert(sound=True, argument="local", phi_method=torch.tensor([0, 1, 2]), phi_lower=phi, split="train")
    d = c.to_dict()
    assert "phi_lower" not in d and "phi_method" not in d
    assert d["epsilon_n_expression"] is not None and d["epsilon_n"].startswith("omitted")
    full = c.to_dict(per_example=True)
    assert full["phi_lower"] == [1.0, 2.0, 3.0] and full["grad_norm"] is None
    assert full["phi_method"] == ["local", "bnb", "fallback"]
    t = _cert(split="test").to_dict(per_example=True)
    assert t["epsilon_n_expression"] is None and t["epsilon_n"].startswith("not needed")
    assert "phi_method" not in t


# -- input validation -------------------------------------------------------------------------

def test_validate_accepts_numpy_and_copies_in_eval_mode():
    model = _lin()
    model.train()
    x, y = _data(3)
    m64, x64, y64, k = validate_model_data(model, x.numpy().astype(np.float32), y.numpy())
    assert k == 2 and x64.dtype == torch.float64 and y64.dtype == torch.int64
    assert torch.equal(x64, x.float().double()) and torch.equal(y64, y)
    assert not m64.training and model.training  # a copy, put in eval mode
    assert all(not p.requires_grad for p in m64.parameters())
    assert all(p.requires_grad for p in model.parameters())
    # one-parameter model (no bias); ten examples (the shape probe looks at the first 8)
    x10, y10 = _data(10)
    assert validate_model_data(_lin(bias=False), x10, y10)[3] == 2


def test_validate_float_labels_integer_valued():
    x, y = _data(2)
    assert torch.equal(validate_model_data(_lin(), x, torch.tensor([0.0, 1.0]))[2], torch.tensor([0, 1]))
    with pytest.raises(InvalidArgument, match="y.*integer"):
        validate_model_data(_lin(), x, torch.tensor([0.0, 0.5]))


def _bad_weight_model(kind):
    model = _lin()
    if kind == "int":
        model.extra = nn.Parameter(torch.ones(1, dtype=torch.int64), requires_grad=False)
    else:
        with torch.no_grad():
            model[0].weight[0, 1] = float("nan")
    return model


@pytest.mark.parametrize("model, x, y, param, words", [
    ("not a module", None, None, "model", "torch.nn.Module"),
    ("int", None, None, "model", "floating point"),
    ("nan", None, None, "model", "non-finite"),
    (None, [[0.0, 1.0]], None, "x", "torch.Tensor or numpy"),
    (None, torch.zeros(2, dtype=torch.float64), None, "x", "shape"),
    (None, torch.zeros(0, 2, dtype=torch.float64), torch.zeros(0, dtype=torch.int64), "x", "shape"),
    (None, torch.tensor([[0.0, 1.0], [float("inf"), 0.0]], dtype=torch.float64), None, "x", "finite"),
    (None, None, torch.tensor([[0], [1]]), "y", "shape"),
    (None, None, torch.tensor([0, 1, 0]), "y", "match"),
    (None, None, torch.tensor([-1, 1]), "y", "lie in"),
    (None, None, torch.tensor([0, 2]), "y", "lie in"),
])
def test_validate_rejects(model, x, y, param, words):
    x0, y0 = _data(2)
    m = _lin() if model is None else (_bad_weight_model(model) if model in ("int", "nan") else model)
    with pytest.raises(InvalidArgument, match=param) as err:
        validate_model_data(m, x0 if x is None else x, y0 if y is None else y)
    assert words in str(err.value)


@pytest.mark.parametrize("model", [nn.Sequential(nn.Linear(2, 1, dtype=torch.float64)),
                                   nn.Sequential(nn.Linear(2, 2, dtype=torch.float64), nn.Flatten(0))])
def test_validate_rejects_non_logit_outputs(model):
    x, y = _data(2)
    with pytest.raises(InvalidArgument, match="model output"):
        validate_model_data(model, x, torch.zeros(2, dtype=torch.int64))


def test_validate_label_boundaries():
    x, y = _data(2)
    assert validate_model_data(_lin(), x, torch.tensor([0, 0]))[3] == 2
    assert validate_model_data(_lin(), x, torch.tensor([1, 1]))[3] == 2


@pytest.mark.parametrize("kw, param", [({"split": "val"}, "split"), ({"method": "local"}, "method"),
                                       ({"bnb_tol": 0.0}, "bnb_tol"), ({"inner_steps": -1}, "inner_steps"),
                                       ({"step_size": 0.0}, "step_size"), ({"tol": 0.0}, "tol"),
                                       ({"max_steps": 0}, "max_steps"), ({"hessian_iters": 0}, "hessian_iters"),
                                       ({"batch_size": 0}, "batch_size"), ({"gamma": 0.0}, "gamma")])
def test_certify_rejects_bad_arguments(kw, param):
    x, y = _data(2)
    args = {"gamma": 1.0, **kw}
    with pytest.raises(InvalidArgument, match=param):
        certify(_lin(), x, y, **args)


def test_certify_accepts_zero_inner_steps_and_explicit_options():
    x, y = _data(2)
    c = certify(_lin(), x, y, gamma=1.0, inner_steps=0, bnb_tol=1e-3, step_size=0.1, hessian=False)
    assert c.inner_steps == 0 and c.steps_mean == 0.0 and not c.inner_converged


# -- hashes and the sweep cache ---------------------------------------------------------------

def test_content_hash_is_16_hex_digits_of_the_bytes():
    a = torch.tensor([1.0, 2.0], dtype=torch.float64)
    h = _content_hash([a])
    assert len(h) == 16 and int(h, 16) >= 0  # the documented length (docstring: 16 hex digits)
    assert h == _content_hash([a.clone()])
    assert h != _content_hash([torch.tensor([1.0, 3.0], dtype=torch.float64)])  # same shape, other bytes
    assert h != _content_hash([a.float()])


def test_sweep_cache_keeps_the_four_most_recent():
    for k in range(6):
        cc._cache_put(k, {"v": k})
    assert list(cc._SWEEP_CACHE) == [2, 3, 4, 5]
    cc._cache_put(3, {"v": 33})  # re-putting moves a key to the most recent end
    assert list(cc._SWEEP_CACHE) == [2, 4, 5, 3] and cc._SWEEP_CACHE[3] == {"v": 33}
    cc._cache_put(6, {})
    assert list(cc._SWEEP_CACHE) == [4, 5, 3, 6]


def test_mean_up_is_two_ulps_above_the_correctly_rounded_mean():
    v = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)
    m = 7.0 / 3.0  # fsum exact (7), one rounding in the division
    assert _mean_up(v) == math.nextafter(math.nextafter(m, math.inf), math.inf)


# -- exact quantities on the linear model (global argument) -----------------------------------

def test_global_certificate_pins_every_quantity():
    # One ascent step with a given step from x: z = x + t * grad l(x) (the cost's gradient is 0
    # at x). Everything below is recomputed from the closed forms in the module docstring.
    x, y = _data(4)
    gamma, t = 2.0, 0.25
    cert = certify(_lin(), x, y, gamma=gamma, method="global", inner_steps=1, step_size=t, hessian=False)
    loss0, g0 = _ref_loss_grad(x, y)
    z = x.numpy() + t * g0
    loss1, gl1 = _ref_loss_grad(torch.from_numpy(z), y)
    cost = ((z - x.numpy()) ** 2).sum(1)
    gf = gl1 - 2.0 * gamma * (z - x.numpy())  # grad of f = l - gamma ||z - x||^2 at z
    gnorm = np.linalg.norm(gf, axis=1)
    phi_lower = loss1 - gamma * cost
    lzz = _ref_lzz_tight()
    mu = 2.0 * gamma - lzz
    corr = gnorm ** 2 / (2.0 * mu)  # the strong-concavity correction ||grad f||^2 / (2 mu)

    assert cert.sound and cert.argument == "global" and cert.inner_steps == 1
    assert not cert.inner_converged and cert.steps_mean == 1.0
    assert cert.lzz_bound_tight == pytest.approx(lzz, rel=REL)
    assert cert.lzz_bound == pytest.approx(2 * lzz, rel=REL)  # the paper's constant: alpha^2
    assert cert.mu == pytest.approx(mu, rel=REL)
    np.testing.assert_allclose(cert.z_hat.numpy(), z, rtol=REL)
    np.testing.assert_allclose(cert.transport_cost.numpy(), cost, rtol=REL)
    np.testing.assert_allclose(cert.loss_at_z.numpy(), loss1, rtol=REL)
    np.testing.assert_allclose(cert.phi_lower.numpy(), phi_lower, rtol=REL)
    np.testing.assert_allclose(cert.grad_norm.numpy(), gnorm, rtol=1e-10)
    np.testing.assert_allclose(cert.phi_upper.numpy(), phi_lower + corr, rtol=1e-10)
    assert cert.correction_mean == pytest.approx(float(corr.mean()), rel=1e-10)
    assert cert.surrogate_mean == float(cert.phi_upper.mean())  # plain mean on this path
    assert cert.surrogate_lower_mean == pytest.approx(float(phi_lower.mean()), rel=REL)
    assert cert.rho_hat == pytest.approx(float(cost.mean()), rel=REL)
    assert cert.certificate_at_rho_hat == pytest.approx(cert.surrogate_mean + gamma * float(cost.mean()), rel=REL)
    assert cert.worst_case_loss == pytest.approx(float(loss1.mean()), rel=REL)
    assert cert.clean_loss == pytest.approx(float(loss0.mean()), rel=REL)
    assert cert.max_grad_norm == pytest.approx(float(gnorm.max()), rel=1e-10)
    assert cert.n_parameters == 6 and cert.method_fractions == {} and cert.bnb_tol is None
    assert cert.hessian_lambda_max is None and cert.fraction_not_strongly_concave is None
    assert "mu = 2*gamma - L_zz" in cert.reason
    assert any("float64 evaluation" in a for a in cert.assumptions)
    assert not any("weights are evaluated in float64" in a for a in cert.assumptions)


def test_correction_is_exact_for_a_quadratic_objective():
    # Closed form: with the custom loss l(z) = (Wz+b)_0 (linear), f(z) = w0.z + b0 - gamma||z-x||^2
    # is a quadratic; at z = x its gradient is w0, so the corrected value is
    # f(x) + ||w0||^2 / (2 mu), and the true maximum f(x) + ||w0||^2 / (4 gamma) is below it
    # (mu = 2 gamma - L_zz < 2 gamma). The squared norm is what separates the two from
    # ||w0|| / (2 mu) when ||w0|| != 1.
    x, y = _data(3)
    gamma = 1.5

    def lin_loss(out, yy):
        return out[:, 0]

    cert = certify(_lin(), x, y, gamma=gamma, method="global", inner_steps=0, loss_fn=lin_loss, hessian=False)
    w0 = np.array(W[0])
    f_x = x.numpy() @ w0 + B[0]
    mu = 2.0 * gamma - _ref_lzz_tight()
    ref = f_x + float(w0 @ w0) / (2.0 * mu)
    assert not cert.sound and "custom loss_fn" in cert.reason
    np.testing.assert_allclose(cert.phi_lower.numpy(), f_x, rtol=REL)
    np.testing.assert_allclose(cert.phi_upper.numpy(), ref, rtol=REL)
    assert np.all(cert.phi_upper.numpy() >= f_x + float(w0 @ w0) / (4.0 * gamma))
    assert cert.surrogate_mean == pytest.approx(float(f_x.mean()), rel=REL)  # an estimate: the lower value


def test_mu_fallback_without_the_bound_library(monkeypatch):
    import sys

    x, y = _data(2)
    monkeypatch.setitem(sys.modules, "checker.bounds.sinha_concavity", None)  # import fails
    cert = certify(_lin(), x, y, gamma=1.25, method="global", inner_steps=0, hessian=False)
    assert cert.mu == 2.0 * 1.25 - cert.lzz_bound_tight


def test_mu_boundaries_decide_soundness():
    x, y = _data(2)
    lzz = certify(_lin(), x, y, gamma=5.0, method="global", inner_steps=0, hessian=False).lzz_bound_tight
    at = certify(_lin(), x, y, gamma=lzz / 2.0, method="global", inner_steps=0, hessian=False)
    assert at.mu == 0.0 and not at.sound and "must exceed L_zz/2" in at.reason and at.phi_upper is None
    assert at.correction_mean is None and at.surrogate_mean == float(at.phi_lower.mean())
    half = certify(_lin(), x, y, gamma=(lzz + 0.5) / 2.0, method="global", inner_steps=0, hessian=False)
    assert half.mu == pytest.approx(0.5, rel=REL) and half.sound
    below = certify(_lin(), x, y, gamma=lzz / 4.0, method="global", inner_steps=0, hessian=False)
    assert below.mu < 0 and not below.sound and below.phi_upper is None


def test_sound_false_and_unsupported_networks_give_estimates():
    x, y = _data(2)
    off = certify(_lin(), x, y, gamma=5.0, method="global", inner_steps=0, hessian=False, sound=False)
    assert not off.sound and "switched off" in off.reason
    assert off.surrogate_mean == float(off.phi_lower.mean())
    relu = nn.Sequential(nn.Linear(2, 3, dtype=torch.float64), nn.ReLU(), nn.Linear(3, 2, dtype=torch.float64))
    c = certify(relu, x, y, gamma=5.0, inner_steps=0, hessian=False)
    assert not c.sound and "not differentiable" in c.reason and c.lzz_bound is None and c.mu is None
    assert c.argument == "global" and c.phi_upper is None


def test_float32_model_states_the_float64_evaluation():
    x, y = _data(2)
    c = certify(_lin(dtype=torch.float32), x, y, gamma=5.0, method="global", inner_steps=0, hessian=False)
    assert any("torch.float32 weights are evaluated in float64" in a for a in c.assumptions)


def test_non_finite_inner_solution_is_reported():
    x, y = _data(3)

    def loss_inf_on_one(out, yy):
        return out[:, 0] + torch.where(yy == 1, torch.tensor(math.inf, dtype=out.dtype), torch.tensor(0.0, dtype=out.dtype))

    c = certify(_lin(), x, y, gamma=5.0, method="global", inner_steps=0, loss_fn=loss_inf_on_one, hessian=False)
    assert "non-finite values in the inner solution (obj)" in c.reason


def test_progress_callback_and_default_batch_size():
    x, y = _data(5)
    seen = []
    certify(_lin(), x, y, gamma=5.0, method="global", inner_steps=0, hessian=False, batch_size=2,
            on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    x, y = _data(1030)
    seen.clear()
    certify(_lin(), x, y, gamma=5.0, method="global", inner_steps=0, hessian=False,
            on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1024, 1030), (1030, 1030)]  # default batch_size = 1024


def test_default_max_steps_is_2000():
    # tol = 1e-300 is never reached (float64 gradients stall far above it): the ascent stops at
    # the default max_steps.
    x, y = _data(1)
    c = certify(_lin(), x, y, gamma=5.0, method="global", tol=1e-300, step_size=0.05, hessian=False)
    assert c.inner_steps == 2000 and not c.inner_converged and c.steps_mean == 2000.0


def test_tolerance_stopping_counts_steps_per_example():
    # gamma large, step 1/(2 gamma): one step lands on the maximiser of the linearised objective;
    # an example whose gradient is already <= tol takes no step (here: tol above all gradients).
    x, y = _data(3)
    _, g0 = _ref_loss_grad(x, y)
    big = float(np.linalg.norm(g0, axis=1).max())
    c = certify(_lin(), x, y, gamma=5.0, method="global", tol=big, step_size=0.1, hessian=False)
    assert c.inner_steps == 0 and c.inner_converged and torch.equal(c.z_hat, x)
    # exactly at the boundary ||grad|| == tol the example counts as converged (<=): the tol is
    # the code's own float64 gradient norm at x (checked against ours), so the tie is exact
    k = int(np.argmax(np.linalg.norm(g0, axis=1)))
    probe = certify(_lin(), x[k:k + 1], y[k:k + 1], gamma=5.0, method="global", inner_steps=0, hessian=False)
    gn_k = float(probe.grad_norm[0])
    assert gn_k == pytest.approx(float(np.linalg.norm(g0[k])), rel=REL)
    c2 = certify(_lin(), x[k:k + 1], y[k:k + 1], gamma=5.0, method="global", tol=gn_k, step_size=0.1,
                 hessian=False)
    assert c2.inner_steps == 0 and c2.inner_converged
    c2b = certify(_lin(), x[k:k + 1], y[k:k + 1], gamma=5.0, method="global",
                  tol=math.nextafter(gn_k, 0.0), step_size=0.1, hessian=False, max_steps=1)
    assert c2b.inner_steps == 1
    c3 = certify(_lin(), x, y, gamma=5.0, method="global", tol=1e-3, step_size=0.1, hessian=False)
    assert c3.inner_converged and c3.inner_steps > 0 and bool((c3.grad_norm <= 1e-3).all())


# -- Hessian estimates: the consistency checks, the diagnostics, the default step ---------------

def test_hessian_defaults_seeds_and_diagnostics(monkeypatch):
    x, y = _data(4)
    gamma = 2.0
    lam = torch.tensor([2 * gamma, math.nextafter(2 * gamma, 0.0), 2 * gamma + 1.0, 0.5], dtype=torch.float64)
    calls = []
    _stub_hessian(monkeypatch, lambda z: lam[: z.shape[0]] if z.shape[0] == 4 else lam[[0, 1]] if calls[-1]["seed"] == 7 else lam[[2, 3]],
                  abs_fn=lambda z: torch.zeros(z.shape[0]), calls=calls)
    c = certify(_lin(), x, y, gamma=gamma, method="global", inner_steps=0, step_size=0.1, batch_size=2, seed=7)
    assert [k["seed"] for k in calls] == [7, 9] and [k["iters"] for k in calls] == [30, 30]
    assert torch.equal(c.hessian_lambda_max, lam)
    assert c.hessian_lambda_max_max == 2 * gamma + 1.0
    assert c.fraction_not_strongly_concave == 0.5  # lam >= 2 gamma: the boundary counts
    assert c.sound
    calls.clear()
    certify(_lin(), x, y, gamma=gamma, method="global", inner_steps=0, step_size=0.1)
    assert [k["seed"] for k in calls] == [0] and [k["iters"] for k in calls] == [30]  # defaults


def test_global_consistency_check_boundary(monkeypatch):
    # flagged exactly when an |lambda| estimate exceeds L_zz * (1 + HESSIAN_REL_SLACK)
    x, y = _data(3)
    lzz = certify(_lin(), x, y, gamma=5.0, method="global", inner_steps=0, hessian=False).lzz_bound_tight
    edge = lzz * (1 + HESSIAN_REL_SLACK)
    for top, flagged in ((edge, False), (math.nextafter(edge, math.inf), True),
                         (lzz * (1 + 3 * HESSIAN_REL_SLACK), True), (lzz, False)):
        cc._SWEEP_CACHE.clear()
        ab = torch.tensor([0.0, top, 0.5 * lzz], dtype=torch.float64)
        _stub_hessian(monkeypatch, lambda z: torch.zeros(z.shape[0]), abs_fn=lambda z, ab=ab: ab)
        c = certify(_lin(), x, y, gamma=5.0, method="global", inner_steps=0, step_size=0.1)
        assert ("internal inconsistency" in c.reason) is flagged, (top, c.reason)
        assert c.sound is not flagged


def _local_setup(monkeypatch, n=3, **kw):
    """Run the local argument once without Hessians; return (x, y, certificate)."""
    x, y = _data(n)
    c = certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, hessian=False, bnb=False, **kw)
    return x, y, c


def test_local_consistency_check_boundary(monkeypatch):
    # flagged exactly when lambda > curvature * (1 + HESSIAN_REL_SLACK) + HESSIAN_ABS_SLACK at
    # some example; a tenfold looser slack (relative or absolute) must not pass these values.
    x, y, base = _local_setup(monkeypatch)
    assert base.sound and base.argument == "local"
    curv = base.local_curvature
    edge = curv * (1 + HESSIAN_REL_SLACK) + HESSIAN_ABS_SLACK
    up = torch.tensor([math.nextafter(float(v), math.inf) for v in edge], dtype=torch.float64)
    cases = [(edge, False), (up, True),
             (curv + 1.5 * HESSIAN_ABS_SLACK, True),                # 2x the absolute slack flags it
             (curv * (1 + 1.5 * HESSIAN_REL_SLACK) + HESSIAN_ABS_SLACK, bool((curv > 0).any())),
             (curv, False)]
    for k, (lam_all, flagged) in enumerate(cases):
        # only the last example carries the tested value; the others sit at 0
        lam = torch.zeros(3, dtype=torch.float64)
        lam[2] = lam_all[2]
        cc._SWEEP_CACHE.clear()
        _stub_hessian(monkeypatch, lambda z, lam=lam: lam, abs_fn=lambda z: torch.zeros(z.shape[0]))
        c = certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, bnb=False)
        assert torch.equal(c.local_curvature, curv)
        assert ("internal inconsistency" in c.reason) is flagged, (k, c.reason)
        assert c.sound is not flagged
        if flagged:
            worst = float((lam - curv).max())
            assert f"by {worst:.3g}" in c.reason


def test_local_certificate_fields(monkeypatch):
    x, y = _data(3)
    seen = {}
    orig = local.local_bounds

    def spy(*a, **k):
        lb = orig(*a, **k)
        lb = replace(lb, method=torch.tensor([1, 1, 0]), bnb_converged=torch.tensor([True, False, True]))
        seen["lb"] = lb
        return lb

    monkeypatch.setattr(local, "local_bounds", spy)
    c = certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, hessian=False)
    lb = seen["lb"]
    assert c.sound and c.argument == "local" and "per-example sound bounds" in c.reason
    assert torch.equal(c.phi_upper, lb.phi_upper) and torch.equal(c.phi_method, lb.method)
    assert torch.equal(c.local_radius, lb.radius) and torch.equal(c.local_curvature, lb.curvature)
    assert c.allowance_max == max(float(v) for v in lb.allowance)
    assert c.bnb_converged_fraction == 0.5  # one of the two examples bounded by bnb converged
    assert c.correction_mean == pytest.approx(float((lb.phi_upper - c.phi_lower).mean()), rel=REL)
    assert c.surrogate_mean == math.nextafter(math.nextafter(math.fsum(lb.phi_upper.tolist()) / 3, math.inf), math.inf)
    from checker.certify.bnb import BNB_TOL
    from checker.certify.propagate import ROUNDING_ASSUMPTION

    assert c.bnb_tol == BNB_TOL and c.assumptions[0] == ROUNDING_ASSUMPTION
    assert set(c.method_fractions) == {"local", "bnb", "fallback"}
    assert c.method_fractions["bnb"] == pytest.approx(2 / 3) and c.method_fractions["local"] == pytest.approx(1 / 3)
    c2 = certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, hessian=False, bnb_tol=0.25)
    assert c2.bnb_tol == 0.25
    c3 = certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, hessian=False, bnb=False)
    assert c3.bnb_tol is None


def test_local_without_bnb_examples_has_no_bnb_fraction(monkeypatch):
    orig = local.local_bounds

    def spy(*a, **k):
        lb = orig(*a, **k)
        return replace(lb, method=torch.tensor([0, 2, 0]), bnb_converged=torch.tensor([True, True, True]))

    monkeypatch.setattr(local, "local_bounds", spy)
    x, y = _data(3)
    c = certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, hessian=False)
    assert c.sound and c.bnb_converged_fraction is None


def test_non_finite_local_bound_is_not_sound(monkeypatch):
    orig = local.local_bounds

    def broken(*a, **k):
        lb = orig(*a, **k)
        phi = lb.phi_upper.clone()
        phi[1] = math.inf
        return replace(lb, phi_upper=phi)

    monkeypatch.setattr(local, "local_bounds", broken)
    x, y = _data(3)
    c = certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, hessian=False)
    assert not c.sound and "non-finite per-example bound" in c.reason


def test_default_curvature_and_step_pinned(monkeypatch):
    # L = min(L_zz, 2 * max |lambda| estimate on the first <= 256 points, 10 iterations);
    # L = 2 * estimate without L_zz; a non-finite L becomes 0. Step = 1/(2 gamma + L).
    x, y = _data(300)
    calls = []
    _stub_hessian(monkeypatch, lambda z: torch.zeros(z.shape[0]),
                  abs_fn=lambda z: torch.cat([torch.tensor([1.5, 0.5]), torch.zeros(z.shape[0] - 2)]), calls=calls)
    m = _lin()
    assert _default_curvature(m, x, y, None, None, 3) == 3.0
    assert calls[-1]["n"] == 256 and calls[-1]["iters"] == 10 and calls[-1]["seed"] == 3
    assert _default_curvature(m, x, y, 2.0, None, 0) == 2.0
    assert _default_curvature(m, x, y, 5.0, None, 0) == 3.0
    assert _default_step(m, x, y, 1.25, None, None, 0) == 1.0 / 5.5
    assert _default_step(m, x, y, 1.25, 1.0, None, 0) == 1.0 / 3.5
    x3, y3 = _data(3)
    _default_curvature(m, x3, y3, None, None, 0)
    assert calls[-1]["n"] == 3
    _stub_hessian(monkeypatch, lambda z: torch.zeros(z.shape[0]),
                  abs_fn=lambda z: torch.full((z.shape[0],), math.inf))
    assert _default_curvature(m, x3, y3, None, None, 0) == 0.0


def test_certify_default_step_uses_the_curvature(monkeypatch):
    # one step from x moves by step * grad l(x): step = 1/(2 gamma + min(L_zz, 2 * est))
    x, y = _data(3)
    _stub_hessian(monkeypatch, lambda z: torch.zeros(z.shape[0]), abs_fn=lambda z: torch.full((z.shape[0],), 0.125))
    gamma = 1.5
    c = certify(_lin(), x, y, gamma=gamma, method="global", inner_steps=1)
    _, g0 = _ref_loss_grad(x, y)
    step = 1.0 / (2.0 * gamma + min(_ref_lzz_tight(), 0.25))
    np.testing.assert_allclose(c.z_hat.numpy(), x.numpy() + step * g0, rtol=REL)


def test_convergence_needs_every_example():
    # example A starts at ||grad|| <= tol (the code's own norm at x, so the tie is exact);
    # example B needs many steps of size 1e-6: after max_steps=1 the run has not converged
    x, y = _data(2)
    probe = certify(_lin(), x, y, gamma=5.0, method="global", inner_steps=0, hessian=False)
    g = probe.grad_norm
    a = int(torch.argmin(g))
    assert float(g.min()) < float(g.max()) * 0.9
    c = certify(_lin(), x, y, gamma=5.0, method="global", tol=float(g[a]), step_size=1e-6, max_steps=1,
                hessian=False)
    assert c.inner_steps == 1 and not c.inner_converged
    assert c.steps_mean == 0.5  # A took no step, B one


def test_certify_refuses_hooked_models_and_non_modules():
    x, y = _data(2)
    model = _lin()
    handle = model[0].register_forward_hook(lambda m, i, o: o)
    try:
        with pytest.raises(InvalidArgument, match="model"):
            certify(model, x, y, gamma=1.0, inner_steps=0, hessian=False)
    finally:
        handle.remove()
    with pytest.raises(InvalidArgument, match="model"):
        certify("not a module", x, y, gamma=1.0)


def test_sweep_cache_keeps_the_local_argument():
    # the second gamma of a sweep reuses the cached network form and stays on the local argument
    x, y = _data(3)
    a = certify(_lin(), x, y, gamma=1.0, inner_steps=1, step_size=0.1, hessian=False, bnb=False)
    b = certify(_lin(), x, y, gamma=0.25, inner_steps=1, step_size=0.1, hessian=False, bnb=False)
    assert a.argument == b.argument == "local" and a.sound and b.sound


def test_a_custom_loss_call_does_not_change_a_later_cross_entropy_certificate():
    """The sweep cache is keyed by model, data, seed and architecture, not by loss_fn: a call
    with a custom loss (which gets no sound local argument) must not leave a cached "no chain
    network" behind, or the next cross-entropy call on the same model would fall back to the
    global argument."""
    x, y = _data(3)
    cc._SWEEP_CACHE.clear()
    fresh = certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, hessian=False, bnb=False)
    assert fresh.argument == "local"
    cc._SWEEP_CACHE.clear()

    def ce(logits, yy):
        return nn.functional.cross_entropy(logits, yy, reduction="none")
    certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, hessian=False, bnb=False, loss_fn=ce)
    after = certify(_lin(), x, y, gamma=1.0, inner_steps=2, step_size=0.1, hessian=False, bnb=False)
    cc._SWEEP_CACHE.clear()
    assert after.argument == "local" and after.sound
    assert torch.equal(after.phi_upper, fresh.phi_upper)
