"""The certified L_zz bound (Corollary 4 from layer norms): operator norms, activation
constants, the recursion, and domination of exact Hessian eigenvalues."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from checker.certify.smoothness import (activation_constants, conv_opnorm_dense, conv_opnorm_fft,
                                        conv_opnorm_upper,
                                        linear_opnorm_upper, network_smoothness,
                                        operator_norm_power_iteration)
from checker.errors import InvalidArgument
from checker.tolerances import HESSIAN_REL_SLACK, OPNORM_REL_SAFETY
from checker.wrm.inner import default_loss
from tests.strategies.certify import build, net_specs, points


@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 10_000))
def test_linear_opnorm_matches_numpy_svd(m, n, seed):
    w = torch.randn(m, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    ref = np.linalg.svd(w.numpy(), compute_uv=False)[0]  # independent float64 computation
    ub = linear_opnorm_upper(w)
    assert ref <= ub <= ref * (1 + 2 * OPNORM_REL_SAFETY)


def _dense_conv_matrix(w, stride, padding, dilation, shape):
    """The convolution as an explicit matrix (its columns are the images of the unit vectors),
    for an exact SVD."""
    n = int(np.prod(shape))
    basis = torch.eye(n, dtype=torch.float64).reshape((n,) + tuple(shape[1:]))
    return F.conv2d(basis, w, None, stride, padding, dilation).reshape(n, -1).T


@given(cin=st.integers(1, 3), cout=st.integers(1, 3), k=st.integers(1, 3), stride=st.integers(1, 2),
       pad=st.integers(0, 2), dil=st.integers(1, 2), size=st.integers(3, 5), seed=st.integers(0, 999))
def test_conv_opnorm_bound_dominates_exact_norm(cin, cout, k, stride, pad, dil, size, seed):
    if (size + 2 * pad - dil * (k - 1) - 1) < 0:
        return  # no output
    w = torch.randn(cout, cin, k, k, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    a = _dense_conv_matrix(w, stride, pad, dil, (1, cin, size, size))
    exact = np.linalg.svd(a.numpy(), compute_uv=False)[0]  # independent exact norm
    ub = conv_opnorm_upper(w)
    assert ub >= exact * (1 - 1e-12)
    fft = conv_opnorm_fft(w, (size, size), stride=(stride, stride), padding=(pad, pad),
                          dilation=(dil, dil))
    assert fft >= exact * (1 - 1e-12)  # strided circular-torus bound (polyphase DFT)
    dense = conv_opnorm_dense(lambda v: F.conv2d(v, w, None, stride, pad, dil), (1, cin, size, size),
                              a.shape[0])
    assert exact <= dense <= exact * (1 + 2 * OPNORM_REL_SAFETY) + 1e-300  # exact for small layers
    est = operator_norm_power_iteration(
        lambda v: F.conv2d(v, w, None, stride, pad, dil), (1, cin, size, size),
        generator=torch.Generator().manual_seed(0), iters=100)
    assert est <= exact * (1 + 1e-9)  # a power-iteration estimate is a lower estimate
    assert est >= exact * 0.9  # and, with 100 iterations, a good one on these sizes


def test_activation_constants_match_bound_library_and_dense_sampling():
    from checker.bounds.sinha_nn_smoothness import ACTIVATION_CONSTANTS as lib

    mods = {"elu": nn.ELU(), "tanh": nn.Tanh(), "softplus": nn.Softplus(), "sigmoid": nn.Sigmoid()}
    grid = torch.linspace(-15, 15, 300_001, dtype=torch.float64, requires_grad=True)
    for name, mod in mods.items():
        L0, L1 = activation_constants(mod)
        ref0, ref1 = (float(c) for c in lib[name])
        # rounded up to the next float, never below the exact constant
        assert ref0 <= L0 <= math.nextafter(ref0, math.inf)
        assert ref1 <= L1 <= math.nextafter(ref1, math.inf)
        (d1,) = torch.autograd.grad(mod(grid).sum(), grid, create_graph=True)
        (d2,) = torch.autograd.grad(d1.sum(), grid)
        s1, s2 = float(d1.detach().abs().max()), float(d2.detach().abs().max())
        assert s1 <= L0 * (1 + 1e-12)
        # dense-sampled sup |sigma''| is the constant (within grid resolution), never above it
        assert s2 <= L1 * (1 + 1e-12)
        assert s2 >= L1 * (1 - 1e-6)


@pytest.mark.parametrize("mod", [nn.ReLU(), nn.LeakyReLU(), nn.ELU(alpha=0.5), nn.GELU()])
def test_unsupported_activations_have_no_constant(mod):
    model = nn.Sequential(nn.Linear(2, 3), mod, nn.Linear(3, 2)).double()
    sb = network_smoothness(model, (2,))
    assert not sb.supported and sb.lzz_bound is None
    # types outside the allow-list are named by their module path (checker.certify.exact)
    assert ("layer 1" in sb.reason) != (type(mod) is nn.GELU)
    assert ("module 1 is a GELU (not an allowed module type)" in sb.reason) == (type(mod) is nn.GELU)


def test_unsupported_structures():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x) * 2

    assert not network_smoothness(Custom().double(), (2,)).supported
    grouped = nn.Sequential(nn.Conv2d(2, 2, 3, groups=2), nn.Flatten(), nn.Linear(8, 2)).double()
    sb = network_smoothness(grouped, (2, 4, 4))
    assert not sb.supported and "groups=2" in sb.reason
    with pytest.raises(InvalidArgument, match="logits"):
        network_smoothness(nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=1)).double(), (2,))


def test_corollary4_hand_example():
    # Hand derivation: W1 = diag(2, 1) (norm 2), ELU (L0 = L1 = 1), W2 = 3*I (norm 3):
    # alpha_1 = 2, beta after ELU = alpha_1^2 = 4, alpha = 6, beta = 3*4 = 12,
    # L_zz <= sqrt(2)*12 + 36.
    m = nn.Sequential(nn.Linear(2, 2), nn.ELU(), nn.Linear(2, 2)).double()
    with torch.no_grad():
        m[0].weight.copy_(torch.diag(torch.tensor([2.0, 1.0])))
        m[2].weight.copy_(3 * torch.eye(2))
        m[0].bias.fill_(5.0)  # biases never enter the bound
    sb = network_smoothness(m, (2,))
    assert sb.supported
    assert sb.alpha == pytest.approx(6.0, rel=1e-8)
    assert sb.beta == pytest.approx(12.0, rel=1e-8)
    assert sb.lzz_bound == pytest.approx(math.sqrt(2) * 12 + 36, rel=1e-8)
    assert sb.lzz_bound >= math.sqrt(2) * 12 + 36  # rounded up, never down


def test_mnist_convnet_is_supported_and_bound_dominates_estimates():
    from checker.wrm.models import mnist_convnet

    m = mnist_convnet(seed=0)
    sb = network_smoothness(m, (1, 28, 28), power_iters=3)
    assert sb.supported, sb.reason
    convs = [l for l in sb.layers if l.kind == "Conv2d"]
    assert len(convs) == 3
    for layer in convs:
        assert layer.op_norm_estimate <= layer.op_norm
    # the polyphase-DFT and dense bounds make the conv net's L_zz bound finite and moderate
    # (it was ~7e6 with the size-free bounds alone); reference: run on seed 0, 17.69
    assert sb.lzz_bound < 100


@given(spec=net_specs(in_features=st.just(2)), data=st.data())
def test_lzz_bound_dominates_every_exact_hessian_eigenvalue(spec, data):
    model = build(spec)
    x, y = data.draw(points(2, max_n=4))
    sb = network_smoothness(model, (2,))
    assert sb.supported
    for i in range(x.shape[0]):
        h = torch.autograd.functional.hessian(
            lambda z: default_loss(model(z.reshape(1, 2)), y[i:i + 1]).sum(), x[i])
        eig = torch.linalg.eigvalsh(h)
        assert float(eig.abs().max()) <= sb.lzz_bound * (1 + HESSIAN_REL_SLACK)
