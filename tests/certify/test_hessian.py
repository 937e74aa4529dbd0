"""Per-example Hessian power iteration against exact eigenvalues and a closed form."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from checker.certify.hessian import hessian_lambda_max
from checker.tolerances import HESSIAN_REL_SLACK
from checker.wrm.inner import default_loss
from tests.strategies.certify import build, net_specs, points


def _exact_eigs(model, x, y):
    out = []
    for i in range(x.shape[0]):
        h = torch.autograd.functional.hessian(
            lambda z: default_loss(model(z.reshape(1, -1)), y[i:i + 1]).sum(), x[i])
        out.append(torch.linalg.eigvalsh(h))
    return out


@given(spec=net_specs(in_features=st.just(2)), data=st.data())
def test_power_iteration_matches_exact_lambda_max(spec, data):
    model = build(spec)
    x, y = data.draw(points(2, max_n=5))
    est = hessian_lambda_max(model, x, y, iters=30)
    for i, eig in enumerate(_exact_eigs(model, x, y)):
        lmax, lmin = float(eig.max()), float(eig.min())
        scale = float(eig.abs().max())
        lam = float(est.lambda_max[i])
        # A Rayleigh quotient never exceeds lambda_max (the estimate is a lower estimate) ...
        assert lam <= lmax + HESSIAN_REL_SLACK * max(scale, 1e-300) + 1e-15
        assert lam >= lmin - HESSIAN_REL_SLACK * scale - 1e-15
        # ... and after 30 shifted iterations it is close: the error is at most
        # (lmax + s) * max_r r^60 (1 - r) <= 0.0061 (lmax + s) with s ~ |lambda|_max (hand bound).
        assert lam >= lmax - 0.007 * (lmax + 2 * scale) - 1e-12
        assert float(est.abs_max[i]) <= scale * (1 + HESSIAN_REL_SLACK) + 1e-15


def test_closed_form_linear_model_squared_loss():
    # Reference (hand derivation): l = (theta^T z - y)^2 / 2 has Hessian theta theta^T, so
    # lambda_max = ||theta||^2 (hand derivation).
    theta = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64)
    model = nn.Linear(3, 1, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(theta)

    def sq(out, y):
        return 0.5 * (out[:, 0] - y.double()) ** 2

    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0])
    est = hessian_lambda_max(model, x, y, iters=20, loss_fn=sq)
    assert torch.allclose(est.lambda_max, torch.full((4,), 5.25, dtype=torch.float64), rtol=1e-12)


def test_fraction_threshold():
    net = nn.Sequential(nn.Linear(1, 1, bias=False)).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0)

    def quad(out, y):
        return 3.0 * out[:, 0] ** 2  # Hessian 6 everywhere (hand derivation)

    x = torch.zeros(5, 1, dtype=torch.float64)
    est = hessian_lambda_max(net, x, torch.zeros(5, dtype=torch.long), iters=5, loss_fn=quad)
    assert est.fraction_at_least(6.0 - 1e-9) == 1.0
    assert est.fraction_at_least(6.0 + 1e-9) == 0.0


@pytest.mark.gpu
def test_cuda_matches_cpu():
    from checker.certify.experiments import random_smooth_net

    model = random_smooth_net(seed=3)
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y = torch.randint(0, 2, (8,), generator=torch.Generator().manual_seed(2))
    cpu = hessian_lambda_max(model, x, y)
    gpu = hessian_lambda_max(model.cuda(), x.cuda(), y.cuda())
    assert torch.allclose(cpu.lambda_max, gpu.lambda_max.cpu(), rtol=1e-9, atol=1e-12)
