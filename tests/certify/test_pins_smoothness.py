"""Pins for ``checker.certify.smoothness``: activation constants, every operator-norm bound
against an explicit matrix built here, the Corollary 4 recursion (bound library and fallback)
against a hand recursion, and every support decision of ``network_smoothness``.

References (all independent of the code under test):

* operator norms: the linear map is written out as an explicit matrix by loops over output
  and input positions (zero-padded correlation, or the strided circular correlation on the
  torus for the FFT bound), and its largest singular value is taken by numpy;
* Corollary 4 (docs/math/sinha.md, Corollary 4): :math:`\\alpha_l=L^0_l n_l\\alpha_{l-1}`,
  :math:`\\beta_l=L^0_l n_l\\beta_{l-1}+L^1_l/(L^0_l)^2\\,\\alpha_l^2`, :math:`L_{zz}=\\sqrt2\\beta_L+\\alpha_L^2`
  and the tightened :math:`\\sqrt2\\beta_L+\\alpha_L^2/2`, evaluated below in float64 from the
  layer norms;
* activation constants: closed forms evaluated with mpmath at 50 digits.
"""

from __future__ import annotations

import math
import sys

import mpmath
import numpy as np
import pytest
import torch
import torch.nn as nn

import checker.certify.smoothness as sm
from checker.certify.smoothness import (
    activation_constants,
    conv_opnorm_dense,
    conv_opnorm_fft,
    conv_opnorm_upper,
    corollary4_lzz,
    linear_opnorm_upper,
    network_smoothness,
    operator_norm_power_iteration,
)
from checker.errors import InvalidArgument
from checker.tolerances import OPNORM_REL_SAFETY

S = 1.0 + OPNORM_REL_SAFETY
#: Agreement of two float64 SVDs / recursions of the same O(1) matrix or numbers, computed in a
#: different order (observed ~1e-15); the mutants change values by >= OPNORM_REL_SAFETY = 1e-9.
REL = 1e-12


def _w(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _correlation_matrix(w, out_hw, in_hw, index):
    """Explicit (out x in) matrix of a correlation by loops: output pixel (r, s) of channel o
    takes w[o, c, i, j] times input pixel index(r, s, i, j) of channel c (None: a zero pad)."""
    cout, cin, kh, kw = w.shape
    (oh, ow), (h, wd) = out_hw, in_hw
    a = np.zeros((cout * oh * ow, cin * h * wd))
    for o in range(cout):
        for r in range(oh):
            for s in range(ow):
                row = (o * oh + r) * ow + s
                for c in range(cin):
                    for i in range(kh):
                        for j in range(kw):
                            pq = index(r, s, i, j)
                            if pq is not None:
                                a[row, (c * h + pq[0]) * wd + pq[1]] += w[o, c, i, j]
    return a


def _conv_matrix(w, hw, stride, padding, dilation):
    """Explicit matrix of the zero-padded correlation (out x in), by loops."""
    w = w.numpy()
    _, _, kh, kw = w.shape
    h, wd = hw
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1

    def index(r, s, i, j):
        p = r * stride[0] + i * dilation[0] - padding[0]
        q = s * stride[1] + j * dilation[1] - padding[1]
        return (p, q) if 0 <= p < h and 0 <= q < wd else None
    return _correlation_matrix(w, (oh, ow), (h, wd), index)


def _torus_matrix(w, hw, stride, padding, dilation):
    """Explicit matrix of the strided circular correlation on the smallest torus that holds the
    padded input and one kernel, with sides multiples of the stride (the FFT bound's operator)."""
    w = w.numpy()
    _, _, kh, kw = w.shape
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    ph, pw = hw[0] + 2 * padding[0], hw[1] + 2 * padding[1]
    nh = math.ceil(max(ph, eh) / stride[0]) * stride[0]
    nw = math.ceil(max(pw, ew) / stride[1]) * stride[1]

    def index(r, s, i, j):
        return (r * stride[0] + i * dilation[0]) % nh, (s * stride[1] + j * dilation[1]) % nw
    return _correlation_matrix(w, (nh // stride[0], nw // stride[1]), (nh, nw), index)


def _smax(a):
    return float(np.linalg.svd(a, compute_uv=False)[0])


# -- activation constants ---------------------------------------------------------------------

def test_activation_constants_are_the_closed_forms_rounded_up():
    mpmath.mp.dps = 50
    tanh_l1 = mpmath.mpf(4) / (3 * mpmath.sqrt(3))  # sup |tanh''| at tanh = 1/sqrt 3
    sig_l1 = mpmath.sqrt(3) / 18  # sup |sigmoid''|
    l0, l1 = activation_constants(nn.Tanh())
    assert l0 == 1.0 and mpmath.mpf(l1) >= tanh_l1 and mpmath.mpf(l1) - tanh_l1 < 2 * mpmath.mpf(2) ** -52
    l0, l1 = activation_constants(nn.Sigmoid())
    assert l0 == 0.25 and mpmath.mpf(l1) >= sig_l1 and mpmath.mpf(l1) - sig_l1 < mpmath.mpf(2) ** -55
    assert activation_constants(nn.ELU(alpha=1.0)) == (1.0, 1.0)
    assert activation_constants(nn.Softplus(beta=2.0)) == (1.0, math.nextafter(0.5, math.inf))  # beta/4
    assert activation_constants(nn.Softplus(beta=1.0)) == (1.0, math.nextafter(0.25, math.inf))


@pytest.mark.parametrize("mod", [nn.ELU(alpha=2.0), nn.ELU(alpha=0.5), nn.ReLU(), nn.LeakyReLU(),
                                 nn.ReLU6(), nn.Hardtanh(), nn.PReLU()])
def test_non_smooth_activations_have_a_reason(mod):
    r = activation_constants(mod)
    assert isinstance(r, str) and ("discontinuous" in r or "not differentiable" in r)


def test_unknown_activation_has_a_reason():
    r = activation_constants(nn.GELU())
    assert isinstance(r, str) and "GELU is not an activation with known constants" in r


# -- operator norms ---------------------------------------------------------------------------

def test_linear_opnorm_is_the_largest_singular_value_times_the_safety():
    w = torch.tensor([[3.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    assert linear_opnorm_upper(w) == 3.0 * S
    w = _w((3, 5), 1)
    assert linear_opnorm_upper(w) == pytest.approx(_smax(w.numpy()) * S, rel=REL)


def test_conv_opnorm_upper_is_the_smaller_of_its_two_bounds():
    # offset-sum: sum over kernel offsets of ||W[:, :, i, j]||_2; Hoelder: sqrt(max row abs sum *
    # max column abs sum) of the (out, in*kh*kw) absolute weights
    one_offset = torch.zeros(3, 2, 2, 2, dtype=torch.float64)
    one_offset[:, :, 0, 0] = _w((3, 2), 2)  # a single kernel offset: the offset sum is ||W_00||
    spread = _w((3, 2, 2, 2), 9)  # four comparable offsets: here Hoelder is the smaller bound
    for w, binds in ((one_offset, "offset"), (spread, "holder")):
        a = w.numpy()
        off = sum(_smax(a[:, :, i, j]) for i in range(2) for j in range(2))
        row = np.abs(a).sum(axis=(1, 2, 3)).max()
        col = np.abs(a).sum(axis=(0, 2, 3)).max()
        hold = math.sqrt(row * col)
        assert (off < hold * (1 - 1e-6)) if binds == "offset" else (hold < off * (1 - 1e-6))
        assert conv_opnorm_upper(w) == pytest.approx(min(off, hold) * S, rel=REL)


@pytest.mark.parametrize("cin, cout, k, hw, stride, pad, dil", [
    (1, 2, (2, 3), (4, 5), (1, 1), (0, 0), (1, 1)),
    (2, 1, (3, 2), (5, 4), (2, 1), (1, 0), (1, 1)),
    (2, 2, (2, 2), (5, 6), (1, 2), (0, 1), (2, 1)),
    (1, 1, (2, 2), (3, 3), (2, 2), (1, 1), (1, 2)),
])
def test_conv_opnorm_fft_is_the_torus_norm(cin, cout, k, hw, stride, pad, dil):
    w = _w((cout, cin, *k), 5 + cin + 3 * cout)
    ref = _smax(_torus_matrix(w, hw, stride, pad, dil))
    got = conv_opnorm_fft(w, hw, stride=stride, padding=pad, dilation=dil)
    assert got == pytest.approx(ref * S, rel=REL)
    # the zero-padded layer is a restriction of the torus map: its exact norm is below
    assert _smax(_conv_matrix(w, hw, stride, pad, dil)) <= ref * (1 + 1e-12)


def test_conv_opnorm_fft_needs_one_valid_window_per_axis():
    w = _w((1, 1, 3, 2), 9)  # effective kernel 3 x 2
    assert math.isfinite(conv_opnorm_fft(w, (3, 2)))  # exactly one window on each axis
    assert conv_opnorm_fft(w, (2, 5)) == math.inf  # too short on the first axis
    assert conv_opnorm_fft(w, (5, 1)) == math.inf  # too short on the second axis
    assert math.isfinite(conv_opnorm_fft(w, (1, 2), padding=(1, 0)))  # padding makes it fit


def test_conv_opnorm_dense_is_the_exact_norm():
    w = _w((2, 2, 2, 2), 11)
    hw = (4, 3)

    def apply(v):
        return torch.nn.functional.conv2d(v, w, None, 1, 1, 1, 1)

    ref = _smax(_conv_matrix(w, hw, (1, 1), (1, 1), (1, 1)))
    out_numel = 2 * 5 * 4
    assert conv_opnorm_dense(apply, (1, 2, *hw), out_numel) == pytest.approx(ref * S, rel=REL)


def test_conv_opnorm_dense_chunks_and_limit():
    # a 600-input map (two chunks of the 512-column basis), float64 by default
    a = _w((3, 600), 12)

    def apply(v):
        return v.reshape(v.shape[0], -1) @ a.T.to(v.dtype)

    assert conv_opnorm_dense(apply, (1, 1, 20, 30), 3) == pytest.approx(_smax(a.numpy()) * S, rel=REL)

    def ident(v):
        return v.reshape(v.shape[0], -1)

    # the size limit is inclusive: inputs x outputs == DENSE_CONV_LIMIT is computed
    assert sm.DENSE_CONV_LIMIT == 4_000_000
    assert conv_opnorm_dense(ident, (1, 1, 1, 1), 4_000_000) == S
    assert conv_opnorm_dense(ident, (1, 1, 1, 1), 4_000_001) is None
    assert conv_opnorm_dense(ident, (1, 2, 1, 1), 2_000_001) is None


def test_power_iteration_closed_form_on_a_diagonal_map():
    # A = diag(1, r) on R^2: after k steps of v <- A^T A v / ||.|| from v0 = (a, b) the vector
    # is (a, b r^(2k)) / norm, and the estimate is ||A v|| = sqrt(a^2 + b^2 r^(4k+2)) / sqrt(a^2 + b^2 r^(4k)).
    r = 0.97
    d = torch.tensor([1.0, r], dtype=torch.float64)

    def apply(v):
        return v * d

    v0 = torch.randn((1, 2), generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    a, b = float(v0[0, 0]), float(v0[0, 1])

    def est(k):
        return math.sqrt(a * a + b * b * r ** (4 * k + 2)) / math.sqrt(a * a + b * b * r ** (4 * k))

    for k in (0, 1, 7, 50):
        got = operator_norm_power_iteration(apply, (1, 2), iters=k, generator=torch.Generator().manual_seed(4))
        assert got == pytest.approx(est(k), rel=REL)
    default = operator_norm_power_iteration(apply, (1, 2), generator=torch.Generator().manual_seed(4))
    assert default == pytest.approx(est(50), rel=REL) and abs(est(50) - est(51)) > 1e-9  # iters=50


def test_power_iteration_of_a_unit_map_is_one():
    # on R^1 the identity has ||A v|| = 1 exactly at every step
    assert operator_norm_power_iteration(lambda v: v, (1, 1), iters=3,
                                         generator=torch.Generator().manual_seed(0)) == 1.0


def test_power_iteration_of_the_zero_map_is_zero():
    assert operator_norm_power_iteration(lambda v: 0.0 * v, (1, 3), iters=5,
                                         generator=torch.Generator().manual_seed(0)) == 0.0


# -- Corollary 4 -------------------------------------------------------------------------------

def _hand_recursion(norms, l0s, l1s):
    a, b = 1.0, 0.0
    for n, l0, l1 in zip(norms, l0s, l1s):
        a_new = l0 * n * a
        b = l0 * n * b + l1 / l0 ** 2 * a_new ** 2
        a = a_new
    return a, b


def _net():
    torch.manual_seed(0)
    layers = [nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2)]
    model = nn.Sequential(*layers).double()
    with torch.no_grad():
        for i, m in enumerate(model):
            if isinstance(m, nn.Linear):
                m.weight.copy_(_w(tuple(m.weight.shape), 20 + i))
                m.bias.zero_()
    return model


def _net_reference(model):
    norms, l0s, l1s = [], [], []
    tanh_l1 = math.nextafter(4.0 / (3.0 * math.sqrt(3.0)), math.inf)
    sig_l1 = math.nextafter(math.sqrt(3.0) / 18.0, math.inf)
    for m in model:
        if isinstance(m, nn.Linear):
            norms.append(_smax(m.weight.detach().numpy()) * S)
            l0s.append(1.0)
            l1s.append(0.0)
        else:
            norms.append(1.0)
            l0s.append(0.25 if isinstance(m, nn.Sigmoid) else 1.0)
            l1s.append(sig_l1 if isinstance(m, nn.Sigmoid) else tanh_l1)
    a, b = _hand_recursion(norms, l0s, l1s)
    return norms, l0s, l1s, a, b


def test_network_bound_is_corollary4_of_the_layer_norms():
    model = _net()
    norms, l0s, l1s, a, b = _net_reference(model)
    res = network_smoothness(model, (3,))
    assert res.supported and b > 0 and a > 0
    assert [l.op_norm for l in res.layers] == pytest.approx(norms, rel=REL)
    assert [(l.L0, l.L1) for l in res.layers] == list(zip(l0s, l1s))
    assert [l.kind for l in res.layers] == ["Linear", "Sigmoid", "Linear", "Tanh", "Linear"]
    for l in res.layers:
        if l.kind == "Linear":  # the exact SVD value, without the safety factor
            assert l.op_norm_estimate == pytest.approx(l.op_norm / S, rel=1e-15)
        else:
            assert l.op_norm_estimate == 1.0 and l.op_norm == 1.0
    assert res.alpha == pytest.approx(a, rel=REL) and res.beta == pytest.approx(b, rel=REL)
    assert res.lzz_bound == pytest.approx(math.sqrt(2.0) * b + a * a, rel=REL)
    assert res.lzz_bound_tight == pytest.approx(math.sqrt(2.0) * b + a * a / 2.0, rel=REL)
    assert res.lzz_bound_tight < res.lzz_bound
    assert "Corollary 4" in res.source


def test_fallback_recursion_without_the_bound_library(monkeypatch):
    model = _net()
    norms, l0s, l1s, a, b = _net_reference(model)
    monkeypatch.setitem(sys.modules, "checker.bounds.sinha_nn_smoothness", None)  # import fails
    fa, fb, flzz, src = corollary4_lzz(norms, l0s, l1s)
    assert "fallback" in src
    assert fa == pytest.approx(a, rel=REL) and fb == pytest.approx(b, rel=REL)
    assert flzz == pytest.approx(math.sqrt(2.0) * b + a * a, rel=REL)
    res = network_smoothness(model, (3,))
    assert res.supported and "fallback" in res.source
    assert res.lzz_bound == pytest.approx(math.sqrt(2.0) * b + a * a, rel=REL)
    assert res.lzz_bound_tight == pytest.approx(math.sqrt(2.0) * b + a * a / 2.0, rel=REL)
    # no layers: alpha = 1, beta = 0
    assert corollary4_lzz([], [], []) [:3] == (1.0, 0.0, 1.0)


def test_non_finite_bound_is_unsupported():
    model = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Tanh(), nn.Linear(2, 2, bias=False)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1e200, 0.0], [0.0, 1.0]], dtype=torch.float64))  # alpha^2 overflows
        model[2].weight.copy_(torch.eye(2))
    res = network_smoothness(model, (2,))
    assert not res.supported and "not finite" in res.reason and len(res.layers) == 3


# -- support decisions -------------------------------------------------------------------------

class _SameForward(nn.Sequential):
    pass


class _OwnForward(nn.Sequential):
    def forward(self, x):  # noqa: D102
        return super().forward(x)


def test_sequential_subclasses_and_nesting():
    lin = nn.Linear(2, 2, bias=False).double()
    # allow, don't deny (issue 25): a subclass may override __call__/_call_impl/forward, so even
    # one that overrides nothing is outside the allow-list of exact types
    r = network_smoothness(_SameForward(lin, nn.Tanh()), (2,))
    assert not r.supported and "module (root) is a _SameForward (a subclass of nn.Sequential)" in r.reason
    r = network_smoothness(_OwnForward(lin, nn.Tanh()), (2,))
    assert not r.supported and "a subclass of nn.Sequential" in r.reason
    r = network_smoothness(nn.Sequential(lin, _OwnForward(nn.Tanh())), (2,))
    assert not r.supported and "module 1 is a _OwnForward" in r.reason
    r = network_smoothness(nn.Sequential(lin, nn.Sequential(nn.Tanh(), nn.Identity())), (2,))
    assert r.supported and [l.kind for l in r.layers] == ["Linear", "Tanh", "Identity"]


def test_empty_network_is_unsupported():
    r = network_smoothness(nn.Sequential(), (2,))
    assert not r.supported and r.reason == "model has no layers" and r.lzz_bound is None


def test_parameter_free_and_single_parameter_networks():
    r = network_smoothness(nn.Sequential(nn.Tanh()), (2,))
    tanh_l1 = math.nextafter(4.0 / (3.0 * math.sqrt(3.0)), math.inf)
    assert r.supported and r.alpha == 1.0 and r.beta == pytest.approx(tanh_l1, rel=REL)
    r = network_smoothness(nn.Sequential(nn.Linear(2, 2, bias=False).double()), (2,))
    assert r.supported and r.beta == 0.0


def test_hooks_are_refused():
    model = nn.Sequential(nn.Linear(2, 2).double())
    handle = model[0].register_forward_hook(lambda m, i, o: o)
    try:
        with pytest.raises(InvalidArgument, match="model"):
            network_smoothness(model, (2,))
    finally:
        handle.remove()


@pytest.mark.parametrize("last", [nn.Softmax(dim=1), nn.LogSoftmax(dim=1)])
def test_final_softmax_is_refused(last):
    with pytest.raises(InvalidArgument, match="logits"):
        network_smoothness(nn.Sequential(nn.Linear(2, 2).double(), last), (2,))


def test_softplus_threshold_and_assumption():
    with pytest.raises(InvalidArgument, match="threshold"):
        network_smoothness(nn.Sequential(nn.Linear(2, 2).double(), nn.Softplus(threshold=10.0)), (2,))
    r = network_smoothness(nn.Sequential(nn.Linear(2, 2).double(), nn.Softplus(beta=2.0)), (2,))
    assert r.supported and any("Softplus" in a for a in r.assumptions)
    assert r.layers[1].L1 == math.nextafter(0.5, math.inf)
    r = network_smoothness(nn.Sequential(nn.Linear(2, 2).double(), nn.Tanh()), (2,))
    assert not any("Softplus" in a for a in r.assumptions)


def test_unsupported_activation_keeps_the_layers_before_it():
    r = network_smoothness(nn.Sequential(nn.Linear(2, 2).double(), nn.Tanh(), nn.ReLU()), (2,))
    assert not r.supported and r.reason.startswith("layer 2:") and len(r.layers) == 2


@pytest.mark.parametrize("conv", [nn.Conv2d(1, 2, 2, groups=1, padding_mode="circular", padding=1),
                                  nn.Conv2d(2, 2, 2, groups=2), nn.Conv2d(1, 1, 3, padding="same")])
def test_unsupported_convolutions(conv):
    r = network_smoothness(nn.Sequential(conv.double()), (conv.in_channels, 5, 5))
    assert not r.supported and "only groups=1 with numeric zero padding" in r.reason


def _conv_net():
    c1 = nn.Conv2d(2, 3, (2, 3), stride=(1, 2), padding=(1, 0), bias=False)
    c2 = nn.Conv2d(3, 2, 2, bias=False)
    with torch.no_grad():
        c1.weight.copy_(_w((3, 2, 2, 3), 31))
        c2.weight.copy_(_w((2, 3, 2, 2), 32))
    return nn.Sequential(nn.ZeroPad2d(1), c1, nn.Tanh(), nn.Dropout(0.5), c2, nn.Flatten(),
                         nn.Linear(2 * 3 * 2, 2, bias=False)).double()


def test_conv_network_norms_are_exact_for_each_layer_input_size():
    # input (2, 4, 5) -> pad (2, 6, 7) -> c1 (3, 7, 3) -> c2 (2, 6, 2): each conv's norm is the
    # exact norm of its explicit matrix at its own input size (small layers use the dense SVD)
    model = _conv_net()
    model.eval()
    r = network_smoothness(model, (2, 4, 5), seed=3)
    assert r.supported
    c1, c2 = model[1].weight.detach(), model[4].weight.detach()
    n1 = _smax(_conv_matrix(c1, (6, 7), (1, 2), (1, 0), (1, 1)))
    n2 = _smax(_conv_matrix(c2, (7, 3), (1, 1), (0, 0), (1, 1)))
    kinds = [l.kind for l in r.layers]
    assert kinds == ["ZeroPad2d", "Conv2d", "Tanh", "Dropout", "Conv2d", "Flatten", "Linear"]
    assert r.layers[1].op_norm == pytest.approx(n1 * S, rel=REL)
    assert r.layers[4].op_norm == pytest.approx(n2 * S, rel=REL)
    for i in (0, 3, 5):
        l = r.layers[i]
        assert (l.op_norm, l.op_norm_estimate, l.L0, l.L1) == (1.0, 1.0, 1.0, 0.0)
    for i in (1, 4):
        l = r.layers[i]
        assert (l.L0, l.L1) == (1.0, 0.0) and 0.0 < l.op_norm_estimate <= l.op_norm
    # the estimate is the power iteration (30 steps, the given seed) on a batch of one input
    gen = torch.Generator().manual_seed(3)
    w1 = c1.double()

    def apply1(v):
        return torch.nn.functional.conv2d(v, w1, None, (1, 2), (1, 0), (1, 1), 1)

    est1 = operator_norm_power_iteration(apply1, (1, 2, 6, 7), generator=gen, iters=30)
    assert r.layers[1].op_norm_estimate == est1
    r0 = network_smoothness(model, (2, 4, 5))
    gen0 = torch.Generator().manual_seed(0)
    assert r0.layers[1].op_norm_estimate == operator_norm_power_iteration(apply1, (1, 2, 6, 7), generator=gen0, iters=30)


def test_conv_norm_without_the_dense_svd_uses_the_torus_bound(monkeypatch):
    # dense SVD switched off at exactly one element below this layer's size: the bound is then
    # min(offset-sum/Hoelder, torus norm at the layer's own input size)
    c = nn.Conv2d(2, 2, 2, bias=False).double()
    with torch.no_grad():
        c.weight.copy_(_w((2, 2, 2, 2), 41))
    model = nn.Sequential(c)
    hw = (3, 4)
    n_in, n_out = 2 * 3 * 4, 2 * 2 * 3
    torus = _smax(_torus_matrix(c.weight.detach(), hw, (1, 1), (0, 0), (1, 1))) * S
    exact = _smax(_conv_matrix(c.weight.detach(), hw, (1, 1), (0, 0), (1, 1))) * S
    monkeypatch.setattr(sm, "DENSE_CONV_LIMIT", n_in * n_out - 1)
    r = network_smoothness(model, (2, *hw))
    ref = min(conv_opnorm_upper(c.weight), torus)
    assert r.layers[0].op_norm == pytest.approx(ref, rel=REL) and ref > exact * (1 + 1e-6)
    monkeypatch.setattr(sm, "DENSE_CONV_LIMIT", n_in * n_out)
    assert network_smoothness(model, (2, *hw)).layers[0].op_norm == pytest.approx(exact, rel=REL)


def test_linear_on_the_last_axis_before_a_convolution():
    # nn.Linear acts on the last axis of a (C, H, W) input; the next convolution then sees
    # inputs of width out_features (regression: the shape was taken as (1, out_features) and
    # the convolution's power iteration failed on a 2-D tensor)
    lin = nn.Linear(5, 4, bias=False).double()
    conv = nn.Conv2d(2, 1, 2, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(_w((4, 5), 51))
        conv.weight.copy_(_w((1, 2, 2, 2), 52))
    r = network_smoothness(nn.Sequential(lin, conv), (2, 3, 5))
    assert r.supported
    assert r.layers[0].op_norm == pytest.approx(_smax(lin.weight.detach().numpy()) * S, rel=REL)
    exact = _smax(_conv_matrix(conv.weight.detach(), (3, 4), (1, 1), (0, 0), (1, 1)))
    assert r.layers[1].op_norm == pytest.approx(exact * S, rel=REL)
