"""The certificate: closed form, identity (13), the sound correction, statuses and bad input."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn
from hypothesis import example, given
from hypothesis import strategies as st

from checker.certify import certify
from checker.certify.falsify import grid_search, lagrangian
from checker.errors import InvalidArgument
from checker.tolerances import CERTIFICATE_ABS
from tests.strategies.certify import build, net_specs, nets_with_points, points, zero_network_case


def _lzz(model, d):
    from checker.certify.smoothness import network_smoothness

    # the bound the certificate's mu uses: Corollary 4 with the CE curvature 1/2
    return network_smoothness(model, (d,)).lzz_bound_tight


def test_closed_form_linear_squared_loss():
    # Reference: hand derivation (docs/math/sinha.md, Theorem 3 with a linear model): for l = (theta^T z - y)^2/2 and
    # gamma > ||theta||^2/2, phi = gamma r^2 / (2 gamma - ||theta||^2) with r = theta^T x - y,
    # and c(z*, x) = r^2 ||theta||^2 / (2 gamma - ||theta||^2)^2.
    theta = torch.tensor([0.6, -0.8, 0.5], dtype=torch.float64)  # ||theta||^2 = 1.25
    model = nn.Sequential(nn.Linear(3, 1, bias=False), nn.Linear(1, 2, bias=False)).double()
    with torch.no_grad():
        model[0].weight.copy_(theta.reshape(1, 3))
        model[1].weight.copy_(torch.tensor([[1.0], [0.0]]))
    gamma = 1.5
    targets = torch.tensor([0.3, -1.0, 2.0, 0.0], dtype=torch.float64)

    def sq(out, y):
        return 0.5 * (out[:, 0] - targets[y]) ** 2

    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.arange(4) % 2  # labels index ``targets`` via y; two logits keep the shape check
    yy = torch.tensor([0, 1, 1, 0])
    tgt = targets[yy]
    r = x @ theta - tgt
    t2 = float(theta @ theta)
    phi_ref = gamma * r ** 2 / (2 * gamma - t2)
    cost_ref = r ** 2 * t2 / (2 * gamma - t2) ** 2
    cert = certify(model, x, yy, gamma=gamma, loss_fn=sq, tol=1e-10, hessian=False)
    assert not cert.sound and "custom loss_fn" in cert.reason
    assert torch.allclose(cert.phi_lower, phi_ref, rtol=1e-9, atol=1e-12)
    assert torch.allclose(cert.transport_cost, cost_ref, rtol=1e-8, atol=1e-12)
    assert cert.rho_hat == pytest.approx(float(cost_ref.mean()), rel=1e-8)
    del y


@given(case=nets_with_points(), factor=st.floats(0.2, 4.0))
@example(case=zero_network_case(), factor=1.0)  # regression: L_zz bound 0 gave gamma = 0
def test_identity_13_holds_at_rho_hat(case, factor):
    spec, x, y = case
    model = build(spec)
    lzz = _lzz(model, spec.in_features)
    gamma = factor * max(lzz, 1e-3) / 2  # a zero network has L_zz bound 0
    cert = certify(model, x, y, gamma=gamma, hessian=False, max_steps=300, method="global")
    # E f(z_hat) + gamma rho_hat = E l(z_hat): identity (13) at the points the solver returned
    lhs = cert.surrogate_lower_mean + gamma * cert.rho_hat
    assert abs(lhs - cert.worst_case_loss) <= CERTIFICATE_ABS
    assert cert.certificate_at_rho_hat == pytest.approx(cert.surrogate_mean + gamma * cert.rho_hat,
                                                        abs=1e-15)
    assert cert.sound == (2 * gamma > lzz)
    if cert.sound:
        assert cert.mu == pytest.approx(2 * gamma - cert.lzz_bound_tight)
        assert bool((cert.phi_upper >= cert.phi_lower).all())
        assert cert.surrogate_mean >= cert.surrogate_lower_mean
    else:
        assert "must exceed L_zz/2" in cert.reason
        assert cert.surrogate_mean == cert.surrogate_lower_mean


@given(spec=net_specs(), data=st.data(), factor=st.floats(1.02, 3.0))
def test_correction_alone_is_sound_against_grid_search(spec, data, factor):
    # With no ascent at all (z_hat = x), phi_upper = l(x) + ||grad l(x)||^2/(2 mu) must still
    # dominate the exhaustive grid maximum of l(z) - gamma ||z - x||^2 (weak duality, pointwise).
    model = build(spec)
    x, y = data.draw(points(spec.in_features))
    gamma = factor * max(_lzz(model, spec.in_features), 1e-3) / 2
    cert = certify(model, x, y, gamma=gamma, inner_steps=0, hessian=False, method="global")
    assert cert.sound, cert.reason
    z = grid_search(model, x, y, gamma=gamma, half_width=3.0, points=121)
    best = lagrangian(model, z, x, y, gamma)
    assert bool((best <= cert.phi_upper + CERTIFICATE_ABS).all()), (best - cert.phi_upper).max()


def test_statuses_and_statements():
    from checker.certify.experiments import random_smooth_net, sound_gamma

    model = random_smooth_net(seed=1)
    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.randint(0, 2, (10,), generator=torch.Generator().manual_seed(0))
    g = sound_gamma(model, 2)
    train = certify(model, x, y, gamma=g, split="train")
    test = certify(model, x, y, gamma=g, split="test")
    assert train.sound and test.sound
    assert "eps_n(t)" in train.statement and "statement (15)" in test.statement
    assert "eps_n" not in test.statement
    assert train.at(0.5) == pytest.approx(g * 0.5 + train.surrogate_mean)
    with pytest.raises(InvalidArgument, match="rho=-1"):
        train.at(-1)
    off = certify(model, x, y, gamma=g, sound=False)
    assert not off.sound and "switched off" in off.reason and off.status == "estimate"
    d = train.to_dict(per_example=True)
    for key in ("gamma", "rho_hat", "surrogate_mean", "certificate_at_rho_hat", "sound", "reason"):
        assert key in d
    assert len(d["phi_upper"]) == 10


def test_relu_model_accepted_never_sound():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.tensor([0, 1, 0, 1, 0, 1])
    cert = certify(model, x, y, gamma=1000.0)
    assert not cert.sound and "ReLU" in cert.reason and cert.lzz_bound is None


def test_fraction_not_strongly_concave_is_a_lower_estimate_of_the_exact_fraction():
    from checker.certify.experiments import random_smooth_net
    from checker.wrm.inner import default_loss

    model = random_smooth_net(seed=4, scale=4.0, hidden=(6,))
    x = 2 * torch.randn(20, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y = torch.randint(0, 2, (20,), generator=torch.Generator().manual_seed(1))
    gamma = 0.5
    cert = certify(model, x, y, gamma=gamma, hessian_iters=40, max_steps=50)
    exact = []
    for i in range(20):  # exact eigenvalues at the data points (independent computation)
        h = torch.autograd.functional.hessian(
            lambda z: default_loss(model(z.reshape(1, 2)), y[i:i + 1]).sum(), x[i])
        exact.append(float(torch.linalg.eigvalsh(h).max()) >= 2 * gamma)
    frac_exact = sum(exact) / 20
    assert 0 < frac_exact  # the test is only meaningful when some points lack concavity
    assert cert.fraction_not_strongly_concave <= frac_exact
    assert cert.fraction_not_strongly_concave >= frac_exact - 0.05


def test_float32_model_is_not_mutated():
    from checker.wrm.models import mlp

    model = mlp(activation="elu", dtype=torch.float32)
    model.train()
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(3))
    y = torch.tensor([0, 1, 0, 1, 1])
    cert = certify(model, x, y, gamma=50.0, hessian=False)
    assert next(model.parameters()).dtype == torch.float32 and model.training
    assert all(p.requires_grad for p in model.parameters())
    assert cert.phi_lower.dtype == torch.float64
    assert any("float32 weights are evaluated in float64" in a for a in cert.assumptions)


class _Bad(nn.Module):
    def __init__(self, out_shape):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.out_shape = out_shape

    def forward(self, x):
        return self.lin(x).sum(dim=1).reshape(x.shape[0], *self.out_shape)


@pytest.mark.parametrize("kwargs, match", [
    (dict(gamma=0.0), "gamma=0.0 must be > 0"),
    (dict(gamma=-1.0), "gamma=-1.0 must be > 0"),
    (dict(gamma=float("nan")), "gamma=nan must be finite"),
    (dict(gamma=1.0, tol=0), "tol=0 must be > 0"),
    (dict(gamma=1.0, split="val"), "split='val' must be one of"),
])
def test_bad_parameters(kwargs, match):
    model = nn.Sequential(nn.Linear(2, 2)).double()
    with pytest.raises(InvalidArgument, match=match.replace("(", r"\(")):
        certify(model, torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), **kwargs)


def test_bad_models_and_data():
    x = torch.zeros(3, 2, dtype=torch.float64)
    y = torch.tensor([0, 1, 0])
    with pytest.raises(InvalidArgument, match="logits of shape"):
        certify(_Bad(()), x, y, gamma=1.0)
    with pytest.raises(InvalidArgument, match="logits of shape"):
        certify(_Bad((1,)), x, y, gamma=1.0)
    good = nn.Sequential(nn.Linear(2, 2)).double()
    with pytest.raises(InvalidArgument, match=r"must lie in \[0, 1\]"):
        certify(good, x, torch.tensor([0, 2, 0]), gamma=1.0)
    with pytest.raises(InvalidArgument, match="must match x's 3 examples"):
        certify(good, x, torch.tensor([0, 1]), gamma=1.0)
    with pytest.raises(InvalidArgument, match="does not fit the model's input"):
        certify(good, torch.zeros(3, 5), y, gamma=1.0)
    with pytest.raises(InvalidArgument, match="must be finite"):
        certify(good, torch.full((3, 2), math.nan), y, gamma=1.0)
    bad = nn.Sequential(nn.Linear(2, 2)).double()
    with torch.no_grad():
        bad[0].weight[0, 0] = math.inf
    with pytest.raises(InvalidArgument, match="non-finite weights"):
        certify(bad, x, y, gamma=1.0)
    with pytest.raises(InvalidArgument, match="logits"):
        certify(nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=1)).double(), x, y, gamma=1.0)
    with pytest.raises(InvalidArgument, match="y="):
        certify(good, x, torch.tensor([[0], [1], [0]]), gamma=1.0)


@pytest.mark.gpu
def test_cuda_matches_cpu():
    from checker.certify.experiments import random_smooth_net, sound_gamma

    model = random_smooth_net(seed=2)
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.randint(0, 2, (16,), generator=torch.Generator().manual_seed(0))
    g = sound_gamma(model, 2)
    a = certify(model, x, y, gamma=g)
    b = certify(model.cuda(), x.cuda(), y.cuda(), gamma=g)
    assert a.sound and b.sound
    assert b.surrogate_mean == pytest.approx(a.surrogate_mean, rel=1e-9)
    assert b.rho_hat == pytest.approx(a.rho_hat, rel=1e-6, abs=1e-12)


def test_checkpoint_resume_gives_identical_result(tmp_path, monkeypatch):
    from checker.certify.experiments import random_smooth_net, sound_gamma
    from checker.errors import ResumeError

    model = random_smooth_net(seed=6)
    x = torch.randn(30, 2, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    y = torch.randint(0, 2, (30,), generator=torch.Generator().manual_seed(6))
    g = sound_gamma(model, 2)
    ckpt = tmp_path / "c.pt"
    import checker.certify.certificate as inner  # the per-example ascent lives there

    calls = {"n": 0}
    orig = inner._ascent

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return orig(*a, **k)

    monkeypatch.setattr(inner, "_ascent", flaky)
    with pytest.raises(KeyboardInterrupt):
        certify(model, x, y, gamma=g, batch_size=10, checkpoint=ckpt)
    calls["n"] = -100
    resumed = certify(model, x, y, gamma=g, batch_size=10, checkpoint=ckpt)
    assert calls["n"] == -99  # only the third batch was recomputed
    monkeypatch.setattr(inner, "_ascent", orig)
    fresh = certify(model, x, y, gamma=g, batch_size=10)
    assert torch.equal(resumed.phi_upper, fresh.phi_upper) and resumed.sound == fresh.sound
    with pytest.raises(ResumeError):  # a checkpoint of another configuration is refused
        certify(model, x, y, gamma=2 * g, batch_size=10, checkpoint=ckpt)
