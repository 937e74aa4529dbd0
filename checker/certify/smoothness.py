r"""A certified global upper bound on :math:`L_{zz}` for a trained network, from its layer norms.

Paper: A. Sinha, H. Namkoong, H. Volpi, J. Duchi, arXiv 1710.10571v5, §4 "smoothness of neural
networks": network form (20), constants (21), Proposition 5 and Corollary 4 [P via S]
(docs/math/sinha.md, Corollary 4). The formula itself lives in the bound library
(``checker.bounds.sinha_nn_smoothness``, single source of truth); this module computes its
*inputs* for a concrete ``torch`` network: the layer operator norms and the activation constants.

.. math::

    \alpha_l = \prod_{j\le l} L^0_j \lVert\theta_j\rVert_{\rm op},\qquad
    \beta_{l+1} = L^0_{l+1}\lVert\theta_{l+1}\rVert_{\rm op}\beta_l
                 + \frac{L^1_{l+1}}{(L^0_{l+1})^2}\alpha_{l+1}^2,\qquad
    L_{zz} \le \sqrt2\,\beta_L + \alpha_L^2 \quad\text{(Corollary 4, cross-entropy on logits)} .

==============================  ==============================================================
paper symbol                    here
==============================  ==============================================================
:math:`\lVert\theta_l\rVert_{op}`  ``LayerInfo.op_norm`` (a certified *upper* bound)
:math:`L^0_l, L^1_l`             ``LayerInfo.L0``, ``LayerInfo.L1`` (activation constants)
:math:`\sqrt2\beta_L+\alpha_L^2`  ``SmoothnessBound.lzz_bound``
==============================  ==============================================================

How a network is mapped onto form (20) [D]: every module of a (nested) ``nn.Sequential`` is
its own layer. A linear module (``Linear``, ``Conv2d``, ``ZeroPad2d``, ``Flatten``,
``Identity``, ``Dropout`` in eval mode) is a layer with the identity activation
(:math:`L^0=1, L^1=0`); an activation module is a layer whose linear map is the identity
(norm 1). Substituting into the recursion shows that splitting
:math:`\sigma(\theta\,\cdot)` into these two layers gives exactly the same
:math:`\alpha, \beta` as the paper's single layer (both give
:math:`L^0\lVert\theta\rVert\beta + L^1\lVert\theta\rVert^2\alpha^2`). Biases shift a layer's
input and change neither Lipschitz constant, so they are excluded from the norms (§4.5 note;
including them, as one public port does, inflates the estimate).

Operator norms (all upper bounds, [D]):

* ``Linear``: the largest singular value of the weight (float64 SVD), times
  ``1 + OPNORM_REL_SAFETY`` for the SVD's rounding error.
* ``Conv2d`` (``groups=1``, zero padding, any stride/dilation), three rigorous bounds, the
  smallest is used: (c) the exact norm of the circular convolution on the padded input torus
  (polyphase 2-D DFT, :func:`conv_opnorm_fft`; depends on the input size), (d) when the layer
  is small (inputs x outputs <= ``DENSE_CONV_LIMIT``) its exact norm as an explicit matrix
  (:func:`conv_opnorm_dense`), and the size-free (a) :math:`\sum_{i,j}\lVert W_{:,:,i,j}\rVert_2` — the convolution is a sum over
  kernel offsets of an injective pixel selection (norm :math:`\le 1`) followed by a per-pixel
  channel mixing :math:`W_{:,:,i,j}`; (b) :math:`\sqrt{\lVert A\rVert_1\lVert A\rVert_\infty}`
  (Hölder/Schur) with the maximal absolute row sum :math:`\le\max_o\sum_{c,i,j}|W_{o,c,i,j}|`
  and column sum :math:`\le\max_c\sum_{o,i,j}|W_{o,c,i,j}|`. A power iteration on the
  convolution/transposed-convolution pair (for the actual input shape) is reported next to it
  as ``op_norm_estimate``, a *lower* estimate, so the user sees how loose the bound is.
* ``ZeroPad2d``, ``Flatten``: isometric embeddings, norm exactly 1.

Activation constants :math:`(L^0, L^1)` [D]: ELU with ``alpha=1``: (1, 1); tanh:
:math:`(1, 4/(3\sqrt3))`; sigmoid: :math:`(1/4, \sqrt3/18)`; softplus with ``beta=b``:
:math:`(1, b/4)`. Each is rounded *up* to the next float. ReLU, leaky ReLU, ELU with
``alpha != 1`` and anything else have no Lipschitz-continuous derivative (or no known constant
here): the network is then *unsupported* and no bound is given — the reason says which layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from checker.errors import InvalidArgument
from checker.tolerances import OPNORM_REL_SAFETY

__all__ = ["LayerInfo", "SmoothnessBound", "network_smoothness", "activation_constants",
           "conv_opnorm_upper", "conv_opnorm_fft", "conv_opnorm_dense", "linear_opnorm_upper", "operator_norm_power_iteration",
           "corollary4_lzz"]


def _up(x: float) -> float:
    """The next float above ``x`` (a constant computed in floating point, rounded up)."""
    return math.nextafter(x, math.inf)


#: (L0, L1) per activation name; [D] derivations in the module docstring.
_TANH_L1 = _up(4.0 / (3.0 * math.sqrt(3.0)))
_SIGMOID_L1 = _up(math.sqrt(3.0) / 18.0)


@dataclass(frozen=True, kw_only=True)
class LayerInfo:
    """One layer of the network as seen by Corollary 4.

    ``op_norm``: certified upper bound on the layer's linear map (1 for activations).
    ``op_norm_estimate``: power-iteration estimate (a lower estimate; equal to ``op_norm`` where
    the norm is exact). ``L0``/``L1``: activation constants (1/0 for linear layers).
    """

    index: int
    kind: str
    op_norm: float
    op_norm_estimate: float
    L0: float
    L1: float
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class SmoothnessBound:
    """The network's certified input-smoothness bound, or why there is none.

    ``supported``: the network has form (20) with known constants. ``lzz_bound``: Corollary 4's
    :math:`\\sqrt2\\beta_L+\\alpha_L^2` (None when unsupported). ``alpha``/``beta``: final
    :math:`\\alpha_L, \\beta_L`. ``source``: which code evaluated the formula.
    ``assumptions``: what the bound takes for granted (stated to the user).
    """

    supported: bool
    reason: str
    layers: tuple[LayerInfo, ...] = ()
    lzz_bound: float | None = None
    #: sqrt(2) beta_L + alpha_L^2 / 2 (``sinha-cor4-tight`` [D]: the softmax cross-entropy
    #: Hessian w.r.t. the logits has norm <= 1/2); what the certificate's mu uses.
    lzz_bound_tight: float | None = None
    alpha: float | None = None
    beta: float | None = None
    source: str = ""
    assumptions: tuple[str, ...] = field(default_factory=tuple)


def activation_constants(module) -> tuple[float, float] | str:
    """``(L0, L1)`` of an activation module, or a string saying why there is none."""
    import torch.nn as nn

    t = type(module)
    if t is nn.ELU:
        if float(module.alpha) != 1.0:
            return (f"ELU(alpha={module.alpha}) has a discontinuous derivative at 0 "
                    "(only alpha=1 has a Lipschitz derivative)")
        return (1.0, 1.0)
    if t is nn.Tanh:
        return (1.0, _TANH_L1)
    if t is nn.Sigmoid:
        return (0.25, _SIGMOID_L1)
    if t is nn.Softplus:
        b = float(module.beta)
        return (1.0, _up(b / 4.0))
    if t in (nn.ReLU, nn.LeakyReLU, nn.ReLU6, nn.Hardtanh, nn.PReLU):
        return (f"{t.__name__} is not differentiable at 0: its derivative has no Lipschitz "
                "constant (L1 = infinity), so Corollary 4 gives no L_zz bound")
    return f"{t.__name__} is not an activation with known constants (ELU(alpha=1), Tanh, Sigmoid, Softplus)"


def linear_opnorm_upper(weight) -> float:
    """Certified upper bound on the spectral norm of a dense weight matrix (float64 SVD)."""
    import torch

    w = weight.detach().to(torch.float64)
    s = float(torch.linalg.matrix_norm(w, ord=2))
    return s * (1.0 + OPNORM_REL_SAFETY)


def conv_opnorm_upper(weight) -> float:
    """Certified upper bound on a 2-D convolution's operator norm (any input size, zero padding,
    any stride/dilation, ``groups=1``): min of the offset-sum and Hölder bounds (module doc)."""
    import torch

    w = weight.detach().to(torch.float64)  # (out, in, kh, kw)
    per_offset = torch.linalg.matrix_norm(w.permute(2, 3, 0, 1), ord=2)  # (kh, kw)
    offset_sum = float(per_offset.sum())
    a = w.abs()
    row = float(a.sum(dim=(1, 2, 3)).max())
    col = float(a.sum(dim=(0, 2, 3)).max())
    holder = math.sqrt(row * col)
    return min(offset_sum, holder) * (1.0 + OPNORM_REL_SAFETY)


def conv_opnorm_fft(weight, input_hw, *, stride=(1, 1), padding=(0, 0), dilation=(1, 1)) -> float:
    """Certified upper bound on a zero-padded, strided 2-D convolution's operator norm for inputs
    of spatial size ``input_hw``: the exact norm of the strided *circular* convolution on a torus
    that contains the padded input, by a polyphase 2-D DFT.

    [D]: zero padding embeds the input isometrically in an :math:`N_h\\times N_w` torus with
    :math:`N \\ge H+2p` and :math:`N` a multiple of the stride; the layer's outputs are a
    restriction (norm :math:`\\le 1`) of the strided circular correlation there (no valid window
    wraps around). Splitting the input into its :math:`s_h s_w` polyphase components (an
    isometry) turns the strided correlation into a sum of ordinary circular correlations on the
    :math:`N/s` torus, which the 2-D DFT block-diagonalises (Sedghi, Gupta, Long 2019): the norm
    is :math:`\\max_\\omega\\lVert[\\hat W_r(\\omega)]_r\\rVert_2` over the frequency grid, each block
    ``out x (in * s_h * s_w)``. Times ``1 + OPNORM_REL_SAFETY`` for FFT/SVD rounding.
    """
    import torch

    w = weight.detach().to(torch.float64)
    cout, cin, kh, kw = w.shape
    sh, sw = int(stride[0]), int(stride[1])
    dh, dw = int(dilation[0]), int(dilation[1])
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    ph, pw = int(input_hw[0]) + 2 * int(padding[0]), int(input_hw[1]) + 2 * int(padding[1])
    if ph < eh or pw < ew:
        return math.inf  # no valid output position; the caller uses another bound
    nh = -(-max(ph, eh) // sh) * sh
    nw = -(-max(pw, ew) // sw) * sw
    k = torch.zeros(cout, cin, nh, nw, dtype=torch.float64, device=w.device)
    k[:, :, :eh:dh, :ew:dw] = w
    phases = [k[:, :, r1::sh, r2::sw] for r1 in range(sh) for r2 in range(sw)]
    spec = torch.fft.fft2(torch.cat(phases, dim=1))  # (cout, cin*sh*sw, nh/sh, nw/sw)
    f = spec.shape[2] * spec.shape[3]
    mats = spec.permute(2, 3, 0, 1).reshape(f, cout, cin * sh * sw)
    s = float(torch.linalg.matrix_norm(mats, ord=2).max())
    return s * (1.0 + OPNORM_REL_SAFETY)


#: Largest (inputs x outputs) size for which a convolution is turned into an explicit matrix
#: and its norm computed by a dense SVD (exact; about 32 MB of float64 at the limit).
DENSE_CONV_LIMIT = 4_000_000


def conv_opnorm_dense(apply, in_shape, out_numel: int, *, dtype=None, device=None) -> float | None:
    """Exact operator norm (float64 SVD, times ``1 + OPNORM_REL_SAFETY``) of a small linear map
    ``apply`` on inputs of ``in_shape`` = ``(1, C, H, W)``, by applying it to the unit vectors;
    None when ``in_numel * out_numel`` exceeds :data:`DENSE_CONV_LIMIT`."""
    import torch

    n_in = int(math.prod(in_shape[1:]))
    if n_in * int(out_numel) > DENSE_CONV_LIMIT:
        return None
    cols = []
    with torch.no_grad():
        for start in range(0, n_in, 512):
            stop = min(n_in, start + 512)
            basis = torch.zeros(stop - start, n_in, dtype=dtype or torch.float64, device=device)
            basis[torch.arange(stop - start), torch.arange(start, stop)] = 1.0
            cols.append(apply(basis.reshape((stop - start,) + tuple(in_shape[1:]))).reshape(stop - start, -1))
    a = torch.cat(cols, dim=0)  # (n_in, n_out) = A^T
    return float(torch.linalg.matrix_norm(a, ord=2)) * (1.0 + OPNORM_REL_SAFETY)


def operator_norm_power_iteration(apply, shape, *, iters: int = 50, generator=None,
                                  dtype=None, device=None) -> float:
    """Power iteration on :math:`A^\\top A` for a linear map ``apply`` on inputs of ``shape``.

    Returns :math:`\\lVert A v\\rVert` for the final unit vector ``v``: a *lower* estimate of
    :math:`\\lVert A\\rVert_{op}` (never used as a bound).
    """
    import torch

    dtype = dtype or torch.float64
    v = torch.randn(shape, generator=generator, dtype=dtype).to(device)
    v = v / v.norm()
    for _ in range(iters):
        with torch.enable_grad():
            vv = v.detach().requires_grad_(True)
            av = apply(vv)
            est = float(av.detach().norm())
            if est == 0.0:
                return 0.0
            (atav,) = torch.autograd.grad(av, vv, grad_outputs=av.detach())   # A^T A v (a vector-Jacobian product)
        nrm = atav.norm()
        if float(nrm) == 0.0:
            return est
        v = (atav / nrm).detach()
    with torch.no_grad():
        return float(apply(v).norm())


def corollary4_lzz(op_norms, L0, L1):
    """Evaluate Corollary 4 through the bound library; returns ``(alpha_L, beta_L, lzz, source)``.

    Falls back to an in-module float recursion only when the bound library is not installed
    (the ``source`` field then says so).
    """
    try:
        from checker.bounds.sinha_nn_smoothness import smoothness_constants
    except ImportError:
        smoothness_constants = None
    if smoothness_constants is not None:
        res = smoothness_constants(list(op_norms), list(L0), list(L1))
        alphas, betas = list(res.alphas), list(res.betas)
        return (float(alphas[-1]), float(betas[-1]), float(res.lzz_bound),
                "checker.bounds.sinha_nn_smoothness (Corollary 4)")
    a, b = 1.0, 0.0
    for n, l0, l1 in zip(op_norms, L0, L1):
        a_new = l0 * n * a
        b = l0 * n * b + l1 * (n * a) * (n * a)  # = (L1 / L0^2) alpha_l^2, without L0^2 (underflow)
        a = a_new
    return a, b, math.sqrt(2.0) * b + a * a, "checker.certify.smoothness fallback recursion (bound library not installed)"


def network_smoothness(model, input_shape, *, power_iters: int = 30, seed: int = 0) -> SmoothnessBound:
    """Map ``model`` onto form (20) and bound :math:`L_{zz}` of cross-entropy on its logits.

    ``input_shape``: the shape of one input (without the batch dimension), needed for the
    power-iteration estimates of convolution norms. Never raises for an unsupported network:
    returns ``supported=False`` with the reason.
    """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from checker.certify.propagate import SOFTPLUS_DEFAULT_THRESHOLD, _leaves, check_exact_behaviour

    notes = check_exact_behaviour(model)
    leaves = _leaves(model)
    if isinstance(leaves, str):
        return SmoothnessBound(supported=False, reason=leaves)
    params = list(model.parameters())
    dtype = torch.float64
    device = params[0].device if params else torch.device("cpu")
    gen = torch.Generator().manual_seed(int(seed))
    layers: list[LayerInfo] = []
    assumptions: list[str] = ["the model is evaluated in eval() mode (Dropout is the identity)", *notes]
    shape = (1, *tuple(input_shape))
    for i, m in enumerate(leaves):
        t = type(m)
        if t is nn.Linear:
            w = m.weight.detach().to(dtype)
            ub = linear_opnorm_upper(w)
            layers.append(LayerInfo(index=i, kind="Linear", op_norm=ub,
                                    op_norm_estimate=ub / (1.0 + OPNORM_REL_SAFETY), L0=1.0, L1=0.0,
                                    note="exact spectral norm (SVD)"))
            shape = (*shape[:-1], m.out_features)  # nn.Linear maps the last axis only
        elif t is nn.Conv2d:
            if m.groups != 1 or m.padding_mode != "zeros" or isinstance(m.padding, str):
                return SmoothnessBound(supported=False, reason=(
                    f"layer {i} (Conv2d) uses groups={m.groups}, padding_mode={m.padding_mode!r}, "
                    f"padding={m.padding!r}: only groups=1 with numeric zero padding is supported"))
            w = m.weight.detach().to(dtype)
            ub = min(conv_opnorm_upper(w),
                     conv_opnorm_fft(w, shape[-2:], stride=m.stride, padding=m.padding,
                                     dilation=m.dilation))

            def apply(v, m=m, w=w):
                return F.conv2d(v, w, None, m.stride, m.padding, m.dilation, 1)

            est = operator_norm_power_iteration(apply, shape, generator=gen, iters=power_iters,
                                                device=device)
            in_shape = shape
            with torch.no_grad():
                shape = tuple(apply(torch.zeros(shape, dtype=dtype, device=device)).shape)
            dense = conv_opnorm_dense(apply, in_shape, int(math.prod(shape[1:])), dtype=dtype,
                                      device=device)
            if dense is not None:
                ub = min(ub, dense)
            layers.append(LayerInfo(index=i, kind="Conv2d", op_norm=ub, op_norm_estimate=est,
                                    L0=1.0, L1=0.0,
                                    note="rigorous bound min(offset-sum, Hölder, circular-FFT, dense SVD when small); estimate by power iteration"))
        elif t is nn.AvgPool2d:
            from checker.certify.propagate import ChainNet, chain_net

            # the average is a convolution with weights 1/k^2 (checker.certify.propagate)
            one = chain_net(nn.Sequential(m, nn.Flatten()), shape[1:])
            if not isinstance(one, ChainNet):
                return SmoothnessBound(supported=False, reason=f"layer {i}: {one}", layers=tuple(layers))
            op = one.ops[0]
            ub = one.opnorms[0]
            shape = (shape[0], *op[3]["out_shape"])
            layers.append(LayerInfo(index=i, kind="AvgPool2d", op_norm=ub, op_norm_estimate=ub,
                                    L0=1.0, L1=0.0, note="average pooling as a convolution (rigorous bound)"))
        elif t in (nn.ZeroPad2d, nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout):
            with torch.no_grad():
                shape = tuple(m.eval()(torch.zeros(shape, dtype=dtype, device=device)).shape) \
                    if t is not nn.Dropout else shape
            layers.append(LayerInfo(index=i, kind=t.__name__, op_norm=1.0, op_norm_estimate=1.0,
                                    L0=1.0, L1=0.0, note="isometry"))
        elif t in (nn.Softmax, nn.LogSoftmax):
            raise InvalidArgument("model", f"layer {i} ({t.__name__})",
                                  "must output logits: remove the final softmax (cross-entropy applies its own)")
        else:
            consts = activation_constants(m)
            if isinstance(consts, str):
                return SmoothnessBound(supported=False, reason=f"layer {i}: {consts}",
                                       layers=tuple(layers))
            if t is nn.Softplus and float(m.threshold) != SOFTPLUS_DEFAULT_THRESHOLD:
                raise InvalidArgument("model", f"layer {i} Softplus(threshold={m.threshold})",
                                      f"must use the default threshold={SOFTPLUS_DEFAULT_THRESHOLD:g}: "
                                      "torch switches to the identity above beta*x > threshold, a jump "
                                      "in value of up to log(1+exp(-threshold))/beta")
            if t is nn.Softplus:
                assumptions.append(
                    f"layer {i} Softplus: torch returns x above beta*x > threshold={m.threshold}; "
                    f"the derivative jump there (<= {1.0 / (1.0 + math.exp(m.threshold)):.1e}) is ignored")
            layers.append(LayerInfo(index=i, kind=t.__name__, op_norm=1.0, op_norm_estimate=1.0,
                                    L0=consts[0], L1=consts[1], note="activation"))
    if not layers:
        return SmoothnessBound(supported=False, reason="model has no layers")
    alpha, beta, lzz, source = corollary4_lzz([l.op_norm for l in layers], [l.L0 for l in layers],
                                              [l.L1 for l in layers])
    try:
        from checker.bounds.sinha_nn_smoothness import corollary4_tight_lzz

        tight = float(corollary4_tight_lzz([l.op_norm for l in layers], [l.L0 for l in layers],
                                           [l.L1 for l in layers]))
    except ImportError:  # bound library without the tightened statement: same formula
        tight = math.sqrt(2.0) * beta + alpha * alpha / 2.0
    tight = math.nextafter(min(tight, lzz), math.inf)
    if not math.isfinite(lzz):
        return SmoothnessBound(supported=False, reason=f"L_zz bound is not finite ({lzz})",
                               layers=tuple(layers))
    return SmoothnessBound(supported=True, reason="network of form (20) with known constants",
                           layers=tuple(layers), lzz_bound=lzz, lzz_bound_tight=tight,
                           alpha=alpha, beta=beta,
                           source=source, assumptions=tuple(assumptions))
