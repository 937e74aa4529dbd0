r"""Rigorous enclosures of the loss, its input gradient and its input Hessian over boxes and balls.

This is the bound-propagation engine of the local certificate (:mod:`checker.certify.local`)
and of the branch-and-bound (:mod:`checker.certify.bnb`); the mathematics is our derivation
[D] for the certificate of docs/math/sinha.md, Theorem 3. A chain network
:math:`z\mapsto u_1=W_1z+b_1\mapsto\cdots\mapsto u_L` (linear maps and element-wise activations)
with cross-entropy :math:`\ell=\mathrm{CE}(u_L,y)` has, with :math:`J_k=\partial u_k/\partial u_1`
and :math:`g_k=\partial\ell/\partial a_k` (the back-propagated gradient at the output of the
:math:`k`-th activation),

.. math::

    \nabla^2_{u_1}\ell = \sum_{k\ \text{activation}} J_k^\top\operatorname{diag}\bigl(g_k\odot\sigma''(u_k)\bigr)J_k
                        + J_L^\top\bigl(\operatorname{diag}p-pp^\top\bigr)J_L,
    \qquad \nabla^2_z\ell = W_1^\top\bigl(\nabla^2_{u_1}\ell\bigr)W_1 ,

with :math:`p=\operatorname{softmax}(u_L)`. Every factor is enclosed by interval arithmetic
(lower/upper tensors for element-wise steps, centre–radius for products with the exact
weights), propagated forward (values and :math:`J_k`) and backward (:math:`g_k`).

Activations (the enclosures of :math:`\sigma,\sigma',\sigma''` on :math:`[l,h]` use the endpoints
and the known interior extrema, never a sampled maximum): ``ELU(alpha=1)``, ``Tanh``,
``Sigmoid``, ``Softplus(beta=b, threshold=20)``. ELU's :math:`\sigma''` jumps at 0; it is
enclosed by the convex hull of its one-sided limits (Clarke's generalized derivative of the
Lipschitz function :math:`\sigma'`), which is what the mean-value inclusion for
:math:`C^{1,1}` functions needs. Softplus is analysed as the smooth function
:math:`\log(1+e^{bx})/b`; torch's switch to the identity above :math:`bx>20` changes values by at
most :math:`\log(1+e^{-20})/b` and is covered by :func:`torch_evaluation_allowance`.

Rounding (what makes the enclosures hold literally in float64). torch has no directed rounding,
so every computed enclosure is widened by an *a priori* bound of its floating-point error:
a dot product of length :math:`n` computed in any order (blocked, FMA) satisfies
:math:`|\mathrm{fl}(x^\top y)-x^\top y|\le\gamma_n|x|^\top|y|` with
:math:`\gamma_n=nu/(1-nu)`, :math:`u=2^{-53}` (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., §3.1); we add twice that (the second copy absorbs the rounding of the
widening arithmetic itself) plus :data:`TINY` for underflow. Elementary functions (``exp``,
``expm1``, ``log1p``, ``tanh``, ``sigmoid``) are assumed accurate to a few ulps (torch's CPU
kernels use SLEEF's 1-ulp variants); we allow :data:`ACT_ULPS` ulps relative plus
:data:`ACT_ABS` absolute. These two numbers are the only assumptions; they are stated in every
certificate's ``assumptions``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from checker.errors import InvalidArgument

__all__ = ["U", "TINY", "ACT_ULPS", "ACT_ABS", "gamma_n", "ChainNet", "chain_net", "check_exact_behaviour",
           "Enclosure", "enclose", "ball_to_u1", "box_to_u1", "sym_lambda_max_upper",
           "torch_evaluation_allowance", "opnorm_upper", "SOFTPLUS_DEFAULT_THRESHOLD", "ROUNDING_ASSUMPTION"]

#: Unit roundoff of float64 (round to nearest).
U = 2.0 ** -53
#: Absolute slack added to every widened bound: covers underflow to subnormals (whose absolute
#: error is at most 2^-1075 per operation) with a wide margin.
TINY = 2.0 ** -1000
#: Relative accuracy assumed of torch's float64 elementary functions, in ulps (SLEEF u10
#: kernels document <= 1 ulp; 16 leaves room for compound formulas of a few operations).
ACT_ULPS = 16
#: Absolute error allowance of derivative formulas such as 1 - tanh(x)^2, which cancel: their
#: inputs are <= 1 in magnitude, so 64 unit roundoffs bound the error of <= 8 operations.
ACT_ABS = 64 * U
#: torch's default Softplus threshold; the only one accepted (see :func:`chain_net`).
SOFTPLUS_DEFAULT_THRESHOLD = 20.0
#: The sentence every sound certificate carries about rounding.
ROUNDING_ASSUMPTION = (
    "float64 rounding is bounded a priori (dot products: 2*gamma_n*|x|^T|y|, Higham §3.1) and added "
    f"to every bound; torch's exp/expm1/log1p/tanh/sigmoid are assumed accurate to {ACT_ULPS} ulps "
    "(SLEEF documents 1 ulp)")

_TANH_XSTAR = math.atanh(1.0 / math.sqrt(3.0))       # argmin of tanh'' on x > 0
_SIGMOID_XSTAR = math.log(2.0 + math.sqrt(3.0))      # argmin of sigmoid'' on x > 0
_BRACKET = 1e-9                                      # x* is known to far better than this
_TANH_D2MAX = math.nextafter(4.0 / (3.0 * math.sqrt(3.0)), math.inf) * (1 + 8 * U)
_SIGMOID_D2MAX = math.nextafter(math.sqrt(3.0) / 18.0, math.inf) * (1 + 8 * U)


def gamma_n(n: int) -> float:
    """Higham's :math:`\\gamma_n = nu/(1-nu)` (requires :math:`nu<1`)."""
    nu = n * U
    assert nu < 0.5
    return nu / (1.0 - nu)


# --------------------------------------------------------------------------------------------
# The network as a chain of exact operations
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ChainNet:
    """A chain network in the engine's form: ``ops`` is a tuple of ``("linear", W, b)``,
    ``("conv", W, b, meta)`` (a 2-D convolution, or an average pooling written as one, on the
    flattened C x H x W layout; ``meta``: stride, padding, dilation, in/out shapes, ``wrel`` the
    relative error of its stored weights against the exact ones), ``("pad", (l, r, t, b),
    in_shape, out_shape)`` (zero padding) and ``("act", kind, beta)``; the first op is linear or
    conv (``W`` = identity when the model starts otherwise). Vectors are always flat (B, n):
    Flatten, Unflatten, Identity and Dropout are no-ops there. ``d``: input features."""

    ops: tuple
    d: int
    n_classes: int
    softplus_layers: tuple[tuple[int, float], ...] = ()
    #: rigorous upper bound on the first layer's spectral norm
    w1_norm: float = math.inf
    #: rigorous upper bounds on every op's linear-map norm (1.0 for activations and padding)
    opnorms: tuple[float, ...] = ()
    #: notes for the certificate (train-mode Dropout evaluated in eval mode)
    notes: tuple[str, ...] = ()

    @property
    def W1(self):
        return self.ops[0][1]

    @property
    def b1(self):
        return self.ops[0][2]

    @property
    def dense(self) -> bool:
        """True for chains of dense linear maps and activations only (entrywise Hessian
        enclosures and branch-and-bound need explicit matrices)."""
        return all(op[0] in ("linear", "act") for op in self.ops)


def check_exact_behaviour(model) -> list[str]:
    """Raise :class:`InvalidArgument` unless every module of ``model`` has exactly its class's
    call path (no hooks, no instance or compiled overrides, no patched classes, no active torch
    modes); see :mod:`checker.certify.exact`. Returns notes (train-mode Dropout)."""
    from checker.certify.exact import check_exact_behaviour as check

    return check(model)


def _leaves(model):
    """Leaf modules of an exact (nested) ``nn.Sequential`` of allowed types, or a string naming
    the first module that is not (:func:`checker.certify.exact.exact_chain`)."""
    from checker.certify.exact import exact_chain

    return exact_chain(model)


#: Convolutions whose explicit matrix has at most this many entries get their norm from it.
DENSE_OPNORM_LIMIT = 2_000_000


def _conv_apply(W, meta, v, absw: bool = False):
    """The convolution of ``meta`` applied to flat rows ``v`` (B, n_in) -> (B, n_out)."""
    import torch.nn.functional as F

    B = v.shape[0]
    out = F.conv2d(v.reshape(B, *meta["in_shape"]), W.abs() if absw else W, None, meta["stride"],
                   meta["padding"], meta["dilation"])
    return out.reshape(B, -1)


def _conv_apply_t(W, meta, g, absw: bool = False):
    """The transpose of the convolution applied to flat rows ``g`` (B, n_out) -> (B, n_in)."""
    import torch.nn.functional as F

    B = g.shape[0]
    cin, h, w = meta["in_shape"]
    cout, ho, wo = meta["out_shape"]
    kh, kw = W.shape[2], W.shape[3]
    (sh, sw), (ph, pw), (dh, dw) = meta["stride"], meta["padding"], meta["dilation"]
    oph = h - ((ho - 1) * sh - 2 * ph + dh * (kh - 1) + 1)
    opw = w - ((wo - 1) * sw - 2 * pw + dw * (kw - 1) + 1)
    out = F.conv_transpose2d(g.reshape(B, cout, ho, wo), W.abs() if absw else W, None, (sh, sw),
                             (ph, pw), (oph, opw), 1, (dh, dw))
    return out.reshape(B, -1)


def _conv_opnorm(W, meta) -> float:
    """Rigorous upper bound on a convolution's norm: the smallest of the sum over kernel offsets
    of the exact channel-mixing norms (each by :func:`opnorm_upper`), the explicit matrix's norm
    when it is small (its entries are the weights exactly), and the circular-FFT bound of
    :func:`checker.certify.smoothness.conv_opnorm_fft` (exact norm of the circular convolution
    times ``1 + OPNORM_REL_SAFETY``, which exceeds the FFT's and SVD's backward error bounds,
    O(log N u) and O(m u) relative, by orders of magnitude)."""
    import torch

    from checker.certify.smoothness import conv_opnorm_fft

    kh, kw = W.shape[2], W.shape[3]
    s = 0.0
    for i in range(kh):
        for j in range(kw):
            s += opnorm_upper(W[:, :, i, j])
    best = s * (1 + 2 * gamma_n(kh * kw + 2)) + TINY
    fft = conv_opnorm_fft(W, meta["in_shape"][1:], stride=meta["stride"], padding=meta["padding"],
                          dilation=meta["dilation"])
    best = min(best, fft * (1 + 4 * U))
    n_in, n_out = math.prod(meta["in_shape"]), math.prod(meta["out_shape"])
    if n_in * n_out <= DENSE_OPNORM_LIMIT:
        eye = torch.eye(n_in, dtype=W.dtype)
        A = _conv_apply(W, meta, eye).T.contiguous()  # (n_out, n_in), entries exactly weights
        best = min(best, opnorm_upper(A))
    return best * (1 + meta.get("wrel", 0.0)) * (1 + 4 * U) + TINY


def chain_net(model, input_shape) -> ChainNet | str:
    """The engine's form of ``model`` (float64 copies of the weights), or a string saying why
    the local analysis does not cover it. Raises :class:`InvalidArgument` for modules whose
    call path is not their class's (:mod:`checker.certify.exact`) and for a Softplus with a
    non-default threshold (the function torch computes then jumps in value by up to
    :math:`\\log(1+e^{-t})/\\beta`, 0.69 at :math:`t=0`).

    Covered: ``Linear`` (on flat inputs), ``Conv2d`` (``groups=1``, numeric zero padding, any
    stride and dilation, bias or not), ``AvgPool2d`` (``ceil_mode=False``, no
    ``divisor_override``, padding only with ``count_include_pad``: a convolution with weights
    :math:`1/k^2`), ``ZeroPad2d``, ``Flatten``, ``Unflatten``, ``Identity``, ``Dropout`` (eval
    mode), ``ELU(alpha=1)``, ``Tanh``, ``Sigmoid``, ``Softplus(beta>0, threshold=20)``."""
    import torch
    import torch.nn as nn

    notes = tuple(check_exact_behaviour(model))
    leaves = _leaves(model)
    if isinstance(leaves, str):
        return leaves
    d = int(math.prod(input_shape))
    shape = tuple(int(s) for s in input_shape)
    ops: list = []
    softplus: list = []
    for i, m in enumerate(leaves):
        t = type(m)
        if t is nn.Linear:
            w = m.weight.detach().to(torch.float64).cpu()
            b = (m.bias.detach().to(torch.float64).cpu() if m.bias is not None
                 else torch.zeros(w.shape[0], dtype=torch.float64))
            if len(shape) != 1 or w.shape[1] != shape[0]:
                return (f"layer {i} (Linear) expects {w.shape[1]} features, gets an input of shape "
                        f"{shape} (Linear acts on the last axis; flatten first)")
            ops.append(("linear", w, b))
            shape = (w.shape[0],)
        elif t is nn.Conv2d or t is nn.AvgPool2d:
            if len(shape) != 3:
                return f"layer {i} ({t.__name__}) needs a C x H x W input, gets shape {shape}"
            if t is nn.Conv2d:
                if m.groups != 1 or m.padding_mode != "zeros" or isinstance(m.padding, str):
                    return (f"layer {i} (Conv2d) uses groups={m.groups}, padding_mode={m.padding_mode!r}, "
                            f"padding={m.padding!r}: only groups=1 with numeric zero padding is covered")
                w = m.weight.detach().to(torch.float64).cpu()
                if w.shape[1] != shape[0]:
                    return f"layer {i} (Conv2d) expects {w.shape[1]} channels, gets {shape[0]}"
                b = (m.bias.detach().to(torch.float64).cpu() if m.bias is not None
                     else torch.zeros(w.shape[0], dtype=torch.float64))
                stride, padding, dilation = tuple(m.stride), tuple(m.padding), tuple(m.dilation)
                wrel = 0.0
            else:
                pair = lambda v: (int(v), int(v)) if isinstance(v, int) else tuple(int(e) for e in v)  # noqa: E731
                k, stride, padding = pair(m.kernel_size), pair(m.stride or m.kernel_size), pair(m.padding)
                if m.ceil_mode or m.divisor_override is not None or (any(padding) and not m.count_include_pad):
                    return (f"layer {i} (AvgPool2d) uses ceil_mode={m.ceil_mode}, divisor_override="
                            f"{m.divisor_override}, count_include_pad={m.count_include_pad}: only the "
                            "plain average (a convolution with weights 1/k^2) is covered")
                c = shape[0]
                w = torch.zeros(c, c, *k, dtype=torch.float64)
                w[torch.arange(c), torch.arange(c)] = 1.0 / (k[0] * k[1])
                b = torch.zeros(c, dtype=torch.float64)
                dilation = (1, 1)
                # fl(1/k^2) is within u of 1/k^2 relative (exact when k^2 is a power of two)
                wrel = 0.0 if (k[0] * k[1]) & (k[0] * k[1] - 1) == 0 else 2 * U
            with torch.no_grad():
                out_shape = tuple(nn.functional.conv2d(torch.zeros(shape, dtype=torch.float64)[None], w,
                                                       None, stride, padding, dilation).shape[1:])
            if min(out_shape) < 1:
                return f"layer {i} ({t.__name__}) has an empty output for an input of shape {shape}"
            meta = dict(stride=stride, padding=padding, dilation=dilation, in_shape=shape,
                        out_shape=out_shape, wrel=wrel, n=w.shape[1] * w.shape[2] * w.shape[3],
                        nt=w.shape[0] * w.shape[2] * w.shape[3])
            if ops and ops[-1][0] == "pad" and t is nn.Conv2d and padding == (0, 0):
                l_, r_, t_, b_ = ops[-1][1]
                if l_ == r_ and t_ == b_:  # ZeroPad2d then Conv2d = Conv2d with that padding
                    prev = ops.pop()
                    meta = dict(meta, padding=(t_, l_), in_shape=prev[2])
            ops.append(("conv", w, b, meta))
            shape = out_shape
        elif t is nn.ZeroPad2d:
            p = tuple(int(v) for v in m.padding)
            if len(shape) != 3 or len(p) != 4 or min(p) < 0 or float(m.value) != 0.0:
                return f"layer {i} (ZeroPad2d {m.padding}) on shape {shape}: only 2-D zero padding is covered"
            out_shape = (shape[0], shape[1] + p[2] + p[3], shape[2] + p[0] + p[1])
            ops.append(("pad", p, shape, out_shape))
            shape = out_shape
        elif t is nn.Flatten:
            nd = len(shape) + 1
            sd, ed = m.start_dim % nd, m.end_dim % nd
            if sd == 1 and ed == nd - 1:
                shape = (int(math.prod(shape)),)
            elif sd > ed or sd == ed:
                pass
            else:
                return f"layer {i} (Flatten(start_dim={m.start_dim}, end_dim={m.end_dim})) is not covered"
        elif t is nn.Unflatten:
            if m.dim not in (1, -1) or len(shape) != 1 or \
                    int(math.prod(m.unflattened_size)) != shape[0] or min(m.unflattened_size) < 1:
                return f"layer {i} (Unflatten({m.dim}, {m.unflattened_size})) on shape {shape} is not covered"
            shape = tuple(int(s) for s in m.unflattened_size)
        elif t in (nn.Identity, nn.Dropout):
            continue
        elif t is nn.ELU:
            if float(m.alpha) != 1.0:
                return f"layer {i}: ELU(alpha={m.alpha}) has a discontinuous derivative at 0"
            ops.append(("act", "elu", 1.0))
        elif t is nn.Tanh:
            ops.append(("act", "tanh", 1.0))
        elif t is nn.Sigmoid:
            ops.append(("act", "sigmoid", 1.0))
        elif t is nn.Softplus:
            if float(m.threshold) != SOFTPLUS_DEFAULT_THRESHOLD:
                raise InvalidArgument("model", f"layer {i} Softplus(threshold={m.threshold})",
                                      f"must use the default threshold={SOFTPLUS_DEFAULT_THRESHOLD:g}: "
                                      "torch switches to the identity above beta*x > threshold, a jump in "
                                      f"value of up to log(1+exp(-threshold))/beta "
                                      f"(= {math.log1p(math.exp(-float(m.threshold))) / float(m.beta):.3g} here)")
            ops.append(("act", "softplus", float(m.beta)))
            softplus.append((len(ops) - 1, float(m.beta)))
        elif t in (nn.Softmax, nn.LogSoftmax):
            raise InvalidArgument("model", f"layer {i} ({t.__name__})",
                                  "must output logits: remove the final softmax (cross-entropy applies its own)")
        else:
            return f"layer {i} ({t.__name__}) is not covered by the local analysis " \
                   "(Linear, Conv2d, AvgPool2d, ZeroPad2d, reshapes and ELU(alpha=1)/Tanh/Sigmoid/Softplus only)"
    if not ops:
        return "model has no layers"
    if len(shape) != 1:
        return f"model output has shape {shape}: logits must be a flat vector (add Flatten)"
    if ops[0][0] not in ("linear", "conv"):
        ops.insert(0, ("linear", torch.eye(d, dtype=torch.float64), torch.zeros(d, dtype=torch.float64)))
        softplus = [(k + 1, b) for k, b in softplus]
    width = shape[0]
    if width < 2:
        return f"model outputs {width} logit(s): cross-entropy needs >= 2"
    norms = tuple(opnorm_upper(op[1]) if op[0] == "linear" else
                  _conv_opnorm(op[1], op[3]) if op[0] == "conv" else 1.0 for op in ops)
    return ChainNet(ops=tuple(ops), d=d, n_classes=width, softplus_layers=tuple(softplus),
                    w1_norm=norms[0], opnorms=norms, notes=notes)


def opnorm_upper(W) -> float:
    """Rigorous upper bound on :math:`\\lVert W\\rVert_2`: the square root of
    :func:`sym_lambda_max_upper` of the enclosure of :math:`WW^\\top` (or :math:`W^\\top W`)."""
    A = W if W.shape[0] <= W.shape[1] else W.T
    A3 = A[None]
    glo, ghi = _imatmul(A3, A3, A3.transpose(1, 2), A3.transpose(1, 2))
    lam = float(sym_lambda_max_upper(glo, ghi)[0])
    return math.sqrt(max(lam, 0.0)) * (1 + 4 * U) + TINY


# --------------------------------------------------------------------------------------------
# Interval helpers (lower/upper tensors; every result is widened by its rounding bound)
# --------------------------------------------------------------------------------------------

def _out(lo, hi, rel=2 * U):
    """Outward widening by ``rel`` relative plus TINY absolute (covers one more rounding)."""
    return lo - (lo.abs() * rel + TINY), hi + (hi.abs() * rel + TINY)


def _cr(lo, hi):
    """Centre and radius with ``[c - r, c + r] ⊇ [lo, hi]`` (rounding included)."""
    import torch

    c = (lo + hi) * 0.5
    r = torch.maximum(hi - c, c - lo) * (1 + 4 * U)
    return c, r


def _lin(lo, hi, W, b=None):
    """Enclosure of ``v @ W.T + b`` for ``v`` in ``[lo, hi]`` (batch of vectors), exact ``W``."""
    c, r = _cr(lo, hi)
    Wa = W.abs()
    oc = c @ W.T
    orad = r @ Wa.T
    mag = c.abs() @ Wa.T + orad
    if b is not None:
        oc = oc + b
        mag = mag + b.abs()
    tot = (orad + 2 * gamma_n(W.shape[1] + 2) * mag) * (1 + 4 * U) + TINY
    return _out(oc - tot, oc + tot)


def _lmat(W, lo, hi):
    """Enclosure of ``W @ J`` for batched interval matrices ``J`` (B, m, k), exact ``W`` (n, m)."""
    c, r = _cr(lo, hi)
    Wa = W.abs()
    oc = W @ c
    orad = Wa @ r
    tot = (orad + 2 * gamma_n(W.shape[1] + 2) * (Wa @ c.abs() + orad)) * (1 + 4 * U) + TINY
    return _out(oc - tot, oc + tot)


def _mul(alo, ahi, blo, bhi):
    """Element-wise interval product (broadcasting)."""
    import torch

    p = torch.stack(torch.broadcast_tensors(alo * blo, alo * bhi, ahi * blo, ahi * bhi))
    return _out(p.min(dim=0).values, p.max(dim=0).values, rel=4 * U)


def _imatmul(alo, ahi, blo, bhi):
    """Enclosure of ``A @ B`` for batched interval matrices (centre–radius product)."""
    ac, ar = _cr(alo, ahi)
    bc, br = _cr(blo, bhi)
    oc = ac @ bc
    rad = ac.abs() @ br + ar @ bc.abs() + ar @ br
    tot = (rad + 2 * gamma_n(ac.shape[-1] + 2) * (ac.abs() @ bc.abs() + rad)) * (1 + 4 * U) + TINY
    return _out(oc - tot, oc + tot)



def _conv_iv(lo, hi, op, transpose: bool = False):
    """Enclosure of the convolution ``op`` (or its transpose) applied to ``[lo, hi]`` (flat
    rows), rounding included: centre-radius with :math:`|W|`, and the a priori error
    :math:`2\\gamma_{n+2}|W||x|` of sums of at most ``n`` products (any order) plus the bias;
    ``wrel`` covers stored weights that differ from the exact ones (average pooling)."""
    _, W, b, meta = op
    apply = _conv_apply_t if transpose else _conv_apply
    n = meta["nt"] if transpose else meta["n"]
    c, r = _cr(lo, hi)
    oc = apply(W, meta, c)
    orad = apply(W, meta, r, absw=True)
    mag = apply(W, meta, c.abs(), absw=True) + orad
    if b is not None and not transpose:
        hw = meta["out_shape"][1] * meta["out_shape"][2]
        bb = b.repeat_interleave(hw)
        oc = oc + bb
        mag = mag + bb.abs()
    tot = (orad + (2 * gamma_n(n + 2) + meta["wrel"]) * mag) * (1 + 4 * U) + TINY
    return _out(oc - tot, oc + tot)


def _pad_iv(lo, hi, op, transpose: bool = False):
    """Zero padding (exact) or its transpose, the crop (exact)."""
    import torch.nn.functional as F

    _, (l_, r_, t_, b_), in_shape, out_shape = op
    B = lo.shape[0]
    if not transpose:
        return (F.pad(lo.reshape(B, *in_shape), (l_, r_, t_, b_)).reshape(B, -1),
                F.pad(hi.reshape(B, *in_shape), (l_, r_, t_, b_)).reshape(B, -1))
    C, H, W = out_shape

    def crop(v):
        return v.reshape(B, C, H, W)[:, :, t_:H - b_, l_:W - r_].reshape(B, -1)

    return crop(lo), crop(hi)


def op_forward(op, lo, hi):
    """Enclosure of a linear, conv or pad op applied to the box ``[lo, hi]``."""
    if op[0] == "linear":
        return _lin(lo, hi, op[1], op[2])
    if op[0] == "conv":
        return _conv_iv(lo, hi, op)
    return _pad_iv(lo, hi, op)


def op_backward(op, lo, hi):
    """Enclosure of the transpose of a linear, conv or pad op applied to ``[lo, hi]``."""
    if op[0] == "linear":
        return _lin(lo, hi, op[1].T)
    if op[0] == "conv":
        return _conv_iv(lo, hi, op, transpose=True)
    return _pad_iv(lo, hi, op, transpose=True)


#: Largest B x n1 x (widest layer) for which a convolutional chain gets the entrywise Jacobian
#: and Hessian enclosures (interval matrices); above it only the norm-based structure bound.
JACOBIAN_MATRIX_LIMIT = 4_000_000


def op_columns(op, lo, hi, transpose: bool = False):
    """Enclosure of :math:`AJ` (or :math:`A^\\top J`) for batched interval matrices ``J``
    (B, m, k): the op applied to every column."""
    if op[0] == "linear":
        return _lmat(op[1].T if transpose else op[1], lo, hi)
    B, m, k = lo.shape
    f = op_backward if transpose else op_forward
    flo, fhi = f(op, lo.transpose(1, 2).reshape(B * k, m), hi.transpose(1, 2).reshape(B * k, m))
    return flo.reshape(B, k, -1).transpose(1, 2), fhi.reshape(B, k, -1).transpose(1, 2)


def op_abs(op, v):
    """:math:`|A|v` (floating point) for a non-negative ``v``; with :func:`op_terms` it gives the
    a priori error of evaluating the op."""
    if op[0] == "linear":
        return v @ op[1].abs().T
    if op[0] == "conv":
        return _conv_apply(op[1], op[3], v, absw=True)
    return _pad_iv(v, v, op)[0]


def op_terms(op) -> int:
    """The most products summed for one output of the op (0 for padding)."""
    if op[0] == "linear":
        return op[1].shape[1]
    if op[0] == "conv":
        return op[3]["n"]
    return 0


def op_bias_abs(op):
    """:math:`|b|` broadcast to the op's output (0 for padding)."""
    if op[0] == "linear":
        return op[2].abs()
    if op[0] == "conv":
        hw = op[3]["out_shape"][1] * op[3]["out_shape"][2]
        return op[2].abs().repeat_interleave(hw)
    return 0.0


def _fw(v, rel=ACT_ULPS * U, abs_=0.0):
    return v.abs() * rel + abs_ + TINY


# --------------------------------------------------------------------------------------------
# Activation enclosures: value, first and second derivative on [lo, hi]
# --------------------------------------------------------------------------------------------

def _act_funcs(kind, beta):
    import torch

    if kind == "elu":
        def f(x):
            return torch.where(x > 0, x, torch.expm1(torch.clamp(x, max=0.0)))  # pragma: no mutate[cmp:Gt->GtE -> (x >= 0)]: at x = +-0 both branches give x itself (expm1(+-0) = +-0)

        def d1(x):
            return torch.where(x > 0, torch.ones_like(x), torch.exp(torch.clamp(x, max=0.0)))
        return f, d1, None
    if kind == "tanh":
        def d1(x):
            t = torch.tanh(x)
            return 1.0 - t * t

        def d2(x):
            t = torch.tanh(x)
            return -2.0 * t * (1.0 - t * t)
        return torch.tanh, d1, d2
    if kind == "sigmoid":
        def d1(x):
            s = torch.sigmoid(x)
            return s * (1.0 - s)

        def d2(x):
            s = torch.sigmoid(x)
            return s * (1.0 - s) * (1.0 - 2.0 * s)
        return torch.sigmoid, d1, d2
    if kind == "softplus":
        def f(x):
            bx = beta * x
            return (torch.clamp(bx, min=0.0) + torch.log1p(torch.exp(-bx.abs()))) / beta

        def d1(x):
            return torch.sigmoid(beta * x)

        def d2(x):
            s = torch.sigmoid(beta * x)
            return beta * s * (1.0 - s)
        return f, d1, d2
    raise AssertionError(kind)


def act_enclosure(kind: str, beta: float, lo, hi):
    """``((f_lo, f_hi), (d1_lo, d1_hi), (d2_lo, d2_hi))`` of the activation on ``[lo, hi]``."""
    import torch

    f, d1, d2 = _act_funcs(kind, beta)
    scale = max(1.0, beta)
    # value: all four activations are non-decreasing
    flo, fhi = f(lo), f(hi)
    vlo, vhi = flo - _fw(flo, abs_=ACT_ABS), fhi + _fw(fhi, abs_=ACT_ABS)
    a, b = d1(lo), d1(hi)
    if kind == "elu":  # non-decreasing derivative
        d1lo, d1hi = a, b
    else:  # unimodal with maximum at 0
        top = {"tanh": 1.0, "sigmoid": 0.25, "softplus": None}[kind]
        d1lo = torch.minimum(a, b)
        if kind == "softplus":  # sigmoid(beta x) is increasing
            d1lo, d1hi = a, b
        else:
            d1hi = torch.where((lo <= 0) & (hi >= 0), torch.full_like(a, top), torch.maximum(a, b))  # pragma: no mutate[cmp:LtE->Lt -> (lo < 0)]: at lo = 0 the maximum of d1 on [0, hi] is d1(0), which equals top exactly in float64 (1 - tanh(0)^2 = 1, s(0)(1 - s(0)) = 0.25)
    d1lo = d1lo - _fw(d1lo, abs_=ACT_ABS * scale)
    d1hi = d1hi + _fw(d1hi, abs_=ACT_ABS * scale)
    if kind == "elu":
        ea, eb = torch.exp(torch.clamp(lo, max=0.0)), torch.exp(torch.clamp(hi, max=0.0))
        d2lo = torch.where(hi < 0, ea, torch.zeros_like(lo))
        d2hi = torch.where(lo > 0, torch.zeros_like(lo), torch.where(hi < 0, eb, torch.ones_like(lo)))
    elif kind == "softplus":
        a2, b2 = d2(lo), d2(hi)
        d2lo = torch.minimum(a2, b2)
        d2hi = torch.where((lo <= 0) & (hi >= 0), torch.full_like(a2, beta / 4.0 * (1 + 8 * U)),
                           torch.maximum(a2, b2))
    else:
        xs = _TANH_XSTAR if kind == "tanh" else _SIGMOID_XSTAR
        top = _TANH_D2MAX if kind == "tanh" else _SIGMOID_D2MAX
        a2, b2 = d2(lo), d2(hi)
        d2hi = torch.maximum(a2, b2)
        d2lo = torch.minimum(a2, b2)
        has_neg_star = (lo <= -xs + _BRACKET) & (hi >= -xs - _BRACKET)
        has_pos_star = (lo <= xs + _BRACKET) & (hi >= xs - _BRACKET)
        d2hi = torch.where(has_neg_star, torch.full_like(d2hi, top), d2hi)
        d2lo = torch.where(has_pos_star, torch.full_like(d2lo, -top), d2lo)
    d2lo = d2lo - _fw(d2lo, abs_=ACT_ABS * scale * scale)
    d2hi = d2hi + _fw(d2hi, abs_=ACT_ABS * scale * scale)
    return (vlo, vhi), (d1lo, d1hi), (d2lo, d2hi)


# --------------------------------------------------------------------------------------------
# Cross-entropy enclosures
# --------------------------------------------------------------------------------------------

def _ce_enclosure(lo, hi, y):
    """Loss, softmax and the logits-Hessian entries of CE on the logit box ``[lo, hi]``."""
    import torch

    B, K = lo.shape
    idx = torch.arange(K)
    onehot = torch.nn.functional.one_hot(y, K).to(torch.bool)
    lo_y = lo.gather(1, y[:, None])
    hi_y = hi.gather(1, y[:, None])
    # loss = log1p(sum_{j != y} exp(u_j - u_y)): increasing in u_j, decreasing in u_y
    e_lo = torch.exp(lo - hi_y).masked_fill(onehot, 0.0).sum(1)
    e_hi = torch.exp(hi - lo_y).masked_fill(onehot, 0.0).sum(1)
    llo, lhi = torch.log1p(e_lo), torch.log1p(e_hi)
    err = (2 * K + 3 * ACT_ULPS) * U  # exp (ACT_ULPS each), the sums, 1 + s, the division, log1p
    llo = torch.clamp(llo - llo.abs() * err - err - TINY, min=0.0)
    lhi = lhi + lhi.abs() * err + err + TINY
    # softmax p_j = 1 / (1 + sum_{k != j} exp(u_k - u_j))
    diag = (idx[:, None] == idx[None, :])
    s_lo = torch.exp(lo[:, None, :] - hi[:, :, None]).masked_fill(diag, 0.0).sum(2)  # (B, j)
    s_hi = torch.exp(hi[:, None, :] - lo[:, :, None]).masked_fill(diag, 0.0).sum(2)
    plo = 1.0 / (1.0 + s_hi)
    phi = 1.0 / (1.0 + s_lo)
    plo = torch.clamp(plo - plo * err - TINY, min=0.0)
    phi = torch.clamp(phi + phi * err + TINY, max=1.0)
    # gradient wrt logits: p - e_y
    glo = plo - onehot.to(plo.dtype)
    ghi = phi - onehot.to(phi.dtype)
    glo, ghi = _out(glo, ghi, rel=4 * U)
    # Hessian wrt logits: diag(p) - p p^T
    qa, qb = plo * (1 - plo), phi * (1 - phi)
    dlo = torch.minimum(qa, qb)
    dhi = torch.where((plo <= 0.5) & (phi >= 0.5), torch.full_like(qa, 0.25), torch.maximum(qa, qb))
    olo = -(phi[:, :, None] * phi[:, None, :])
    ohi = -(plo[:, :, None] * plo[:, None, :])
    Hlo = torch.where(diag, torch.diag_embed(dlo), olo)
    Hhi = torch.where(diag, torch.diag_embed(dhi), ohi)
    Hlo, Hhi = _out(Hlo, Hhi, rel=8 * U)
    return (llo, lhi), (glo, ghi), (Hlo, Hhi)


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Enclosure:
    """Enclosures over a batch of input sets (tensors with a leading batch dimension B).

    ``loss``: ``(lo, hi)`` of :math:`\\ell` (B,). ``grad_u1``: ``(lo, hi)`` of
    :math:`\\nabla_{u_1}\\ell` (B, n1). ``hess_u1``: ``(lo, hi)`` of :math:`\\nabla^2_{u_1}\\ell`
    (B, n1, n1) or None when not requested.
    """

    loss: tuple
    grad_u1: tuple
    hess_u1: tuple | None
    #: (B,) upper bound on lambda_max(hess_u1) from the structure (Weyl over the terms, PSD
    #: ordering of the CE term): sum_k max(s_k)^+ ||J_k||^2 + lambda_max(H_CE)^hi ||J_L||^2
    lam_struct: object = None


def ball_to_u1(net: ChainNet, z0, radius):
    """Box of :math:`u_1=W_1z+b_1` over the balls :math:`\\lVert z-z_0\\rVert_2\\le r` (rows of
    ``z0`` (B, d), ``radius`` (B,))."""
    op = net.ops[0]
    W = op[1]
    zero = z0 * 0.0
    clo, chi = op_forward(op, z0, z0 + zero)
    if op[0] == "linear":
        rown = (W * W).sum(1).sqrt() * (1 + gamma_n(W.shape[1] + 4))
    else:  # a row of a convolution holds a subset of its output channel's weights
        rown = (W * W).sum((1, 2, 3)).sqrt() * (1 + gamma_n(op[3]["n"] + 4)) * (1 + op[3]["wrel"])
        rown = rown.repeat_interleave(op[3]["out_shape"][1] * op[3]["out_shape"][2])
    rad = radius[:, None] * rown[None, :] * (1 + 2 * U)
    return _out(clo - rad, chi + rad)


def box_to_u1(net: ChainNet, lo, hi):
    """Box of :math:`u_1` over the boxes ``[lo, hi]`` (B, d)."""
    return op_forward(net.ops[0], lo, hi)


def enclose(net: ChainNet, u1lo, u1hi, y, *, hessian: bool = True) -> Enclosure:
    """Propagate the box ``[u1lo, u1hi]`` of the first pre-activation through the network.

    With ``hessian`` the curvature is enclosed too: for dense chains (:attr:`ChainNet.dense`),
    and for convolutional chains whose Jacobians fit :data:`JACOBIAN_MATRIX_LIMIT`, entrywise
    (``hess_u1``, with the Jacobians :math:`J_k` as interval matrices) and by the structure
    bound ``lam_struct``; for larger convolutional chains only by ``lam_struct``, with :math:`\\lVert J_k\\rVert` bounded by the product of the ops' norms and
    the activations' largest :math:`|\\sigma'|` on the box (``hess_u1`` is then None)."""
    import torch

    B, n1 = u1lo.shape
    lo, hi = u1lo, u1hi
    jn = torch.ones(B, dtype=lo.dtype)  # running upper bound on ||J|| (product of norms)
    jnorms = []
    widths = [op[1].shape[0] if op[0] == "linear" else math.prod(op[3]["out_shape"]) if op[0] == "conv"  # pragma: no mutate[const:int+1 -> 2]: op[2] is the linear op's bias, always a tensor of the output size, so shape[0] is the same
              else math.prod(op[3]) for op in net.ops if op[0] != "act"]
    mats = hessian and (net.dense or B * n1 * max(widths) <= JACOBIAN_MATRIX_LIMIT)
    if mats:
        eye = torch.eye(n1, dtype=lo.dtype).expand(B, n1, n1)
        Jlo, Jhi = eye, eye
    acts = []  # (input J enclosure, d1, d2) per activation; linear ops for the backward pass
    back = []
    for k, op in enumerate(net.ops[1:], start=1):
        if op[0] != "act":
            lo, hi = op_forward(op, lo, hi)
            if mats:
                Jlo, Jhi = op_columns(op, Jlo, Jhi)
            if hessian:
                jn = jn * net.opnorms[k] * (1 + 4 * U)
            back.append(("linear", op))
        else:
            _, kind, beta = op
            (vlo, vhi), d1, d2 = act_enclosure(kind, beta, lo, hi)
            if hessian:
                acts.append((len(back), (Jlo, Jhi) if mats else None, d2))
                jnorms.append(torch.minimum(jn, _schur_norm(Jlo, Jhi)) if mats else jn)
                if mats:
                    Jlo, Jhi = _mul(d1[0][:, :, None], d1[1][:, :, None], Jlo, Jhi)
                jn = jn * torch.maximum(d1[0].abs(), d1[1].abs()).max(1).values * (1 + 4 * U)  # pragma: no mutate[const:int+1 -> 1]: every accepted activation has sigma >= 0 as computed, so |d1_lo| <= d1_hi (both carry the same absolute allowance)
            back.append(("act", d1))
            lo, hi = vlo, vhi
    (llo, lhi), (glo, ghi), (Hlo, Hhi) = _ce_enclosure(lo, hi, y)
    K = None
    lam_struct = None
    if hessian:
        if mats:
            K = _imatmul(Jlo.transpose(1, 2), Jhi.transpose(1, 2), *_imatmul(Hlo, Hhi, Jlo, Jhi))
        # lambda_max(diag p - p p^T) <= min(1/2, trace) (PSD); trace <= sum of p_j(1-p_j) upper ends
        h_ce = torch.clamp(torch.diagonal(Hhi, dim1=1, dim2=2).sum(1), max=0.5) * (1 + 2 * gamma_n(Hhi.shape[1] + 2)) + TINY
        jl = torch.minimum(jn, _schur_norm(Jlo, Jhi)) if mats else jn
        lam_struct = h_ce * jl * jl * (1 + 8 * U) + TINY
    # backward: g holds the gradient at the *output* of op index i while walking down
    s_terms = {}
    for i in range(len(back) - 1, -1, -1):
        kind = back[i][0]
        if kind == "linear":
            glo, ghi = op_backward(back[i][1], glo, ghi)
        else:
            d1 = back[i][1]
            s_terms[i] = (glo, ghi)
            glo, ghi = _mul(glo, ghi, d1[0], d1[1])
    if hessian:
        for (i, Ji, d2), jk in zip(acts, jnorms):
            gl, gh = s_terms[i]
            slo, shi = _mul(gl, gh, d2[0], d2[1])
            smax = torch.clamp(shi.max(1).values, min=0.0)
            lam_struct = lam_struct + smax * jk * jk * (1 + 8 * U) + TINY
            if mats:
                Jilo, Jihi = Ji
                Alo, Ahi = _mul(slo[:, :, None], shi[:, :, None], Jilo, Jihi)
                Tlo, Thi = _imatmul(Jilo.transpose(1, 2), Jihi.transpose(1, 2), Alo, Ahi)
                Klo, Khi = K
                K = _out(Klo + Tlo, Khi + Thi)
    if lam_struct is not None:
        lam_struct = lam_struct * (1 + 2 * gamma_n(len(acts) + 2)) + TINY
    return Enclosure(loss=(llo, lhi), grad_u1=(glo, ghi), hess_u1=K, lam_struct=lam_struct)


def _schur_norm(lo, hi):
    """Upper bound on :math:`\\lVert J\\rVert_2` for every :math:`J` in ``[lo, hi]`` (B, m, k):
    :math:`\\sqrt{\\lVert A\\rVert_1\\lVert A\\rVert_\\infty}` with :math:`A=\\max(|lo|,|hi|)`."""
    import torch

    A = torch.maximum(lo.abs(), hi.abs())
    g = 1 + 2 * gamma_n(max(A.shape[1], A.shape[2]) + 2)
    return (A.sum(1).max(1).values * A.sum(2).max(1).values * g).sqrt() * (1 + 4 * U) + TINY


def hess_z(net: ChainNet, K):
    """Enclosure of :math:`W_1^\\top K W_1` (B, d, d) from ``K`` (B, n1, n1) (``W_1`` the first op,
    dense or convolutional)."""
    op = net.ops[0]
    Klo, Khi = K
    Mlo, Mhi = op_columns(op, Klo, Khi, transpose=True)   # W^T K   (B, d, n1)
    Tlo, Thi = op_columns(op, Mlo.transpose(1, 2), Mhi.transpose(1, 2), transpose=True)  # W^T K^T W
    return Tlo.transpose(1, 2), Thi.transpose(1, 2)


def grad_z(net: ChainNet, g):
    """Enclosure of :math:`W_1^\\top g` (B, d) (the transpose of the first op)."""
    return op_backward(net.ops[0], g[0], g[1])


# --------------------------------------------------------------------------------------------
# Rigorous upper bound on lambda_max of a batch of symmetric interval matrices
# --------------------------------------------------------------------------------------------

def _up(v, n=1):
    return v + v.abs() * (2 * gamma_n(n + 2)) + TINY


def sym_lambda_max_upper(lo, hi):
    """Upper bound on :math:`\\lambda_{\\max}(H)` for every symmetric :math:`H` in the interval
    matrix ``[lo, hi]`` (B, m, m), rounding included.

    :math:`m\\le2`: the exact maximum over the box (``lambda_max`` is convex, so it is attained
    at a vertex: largest diagonal, largest off-diagonal magnitude). Otherwise
    :math:`\\lambda_{\\max}(H_s)+\\lVert R\\rVert_2` (Weyl; :math:`H_s` the symmetric centre,
    :math:`R\\ge|H-H_s|` the radius, :math:`\\lVert R\\rVert_2\\le` its largest row sum), where
    :math:`\\lambda_{\\max}(H_s)` is certified without trusting the eigensolver: with
    :math:`V` the computed eigenvectors, :math:`tI-H_s\\succ0` whenever
    :math:`V^\\top(tI-H_s)V = tV^\\top V-V^\\top H_sV` is strictly diagonally dominant with a
    positive diagonal (then :math:`V` is also nonsingular), both products enclosed with their
    rounding bounds; :math:`t` is the smallest value that passes this Gershgorin test.
    """
    import torch

    B, m, _ = lo.shape
    if m == 1:
        return _up(hi[:, 0, 0])
    lo = torch.maximum(lo, lo.transpose(1, 2))   # H is symmetric: intersect (i,j) and (j,i)
    hi = torch.minimum(hi, hi.transpose(1, 2))
    if m == 2:
        a, c = hi[:, 0, 0], hi[:, 1, 1]
        b = torch.maximum(lo[:, 0, 1].abs(), hi[:, 0, 1].abs())
        h = (a - c) * 0.5
        # hypot, not sqrt(h*h + b*b): the squares underflow to 0 for entries near 1e-200 (found by
        # tests/certify/test_mutation_kills.py); hypot is within 1 ulp at every scale
        val = (a + c) * 0.5 + torch.hypot(h, b)
        return val + (a.abs() + c.abs() + b.abs()) * (16 * U) + TINY
    # lo and hi are symmetric bitwise (intersected with their transposes above), so the centre
    # H_s is too and the radius R >= |H - H_s| is symmetric: no symmetrisation is needed
    Hs = (lo + hi) * 0.5
    R = torch.maximum(hi - Hs, Hs - lo) * (1 + 4 * U) + TINY
    r_norm = _up(R.sum(2).max(1).values, m)      # ||R||_2 <= max row sum (R >= 0, symmetric)
    finite = torch.isfinite(Hs).all(dim=(1, 2)) & torch.isfinite(R).all(dim=(1, 2))
    Hs_safe = torch.where(finite[:, None, None], Hs, torch.zeros_like(Hs))
    _, V = torch.linalg.eigh(Hs_safe)
    Va = V.abs()
    g = 2 * gamma_n(m + 2)
    HV = Hs_safe @ V
    Bc = V.transpose(1, 2) @ HV
    Berr = 2 * g * (Va.transpose(1, 2) @ (Hs_safe.abs() @ Va)) * (1 + 4 * U) + TINY
    Mc = V.transpose(1, 2) @ V
    Merr = g * (Va.transpose(1, 2) @ Va) * (1 + 4 * U) + TINY
    eye = torch.eye(m, dtype=lo.dtype, device=lo.device).bool()
    Babs = (Bc.abs() + Berr)
    Mabs_off = torch.where(eye, torch.zeros_like(Mc), Mc.abs() + Merr)
    e = ((torch.diagonal(Mc, dim1=1, dim2=2) - 1.0).abs() + torch.diagonal(Merr, dim1=1, dim2=2))
    Bdiag_hi = torch.diagonal(Bc, dim1=1, dim2=2) + torch.diagonal(Berr, dim1=1, dim2=2)
    Boff = torch.where(eye, torch.zeros_like(Babs), Babs).sum(2)
    T = (Hs_safe.abs().pow(2).sum((1, 2)).sqrt() * (1 + 4 * U) + 1.0)  # >= spectral radius + 1
    need = Bdiag_hi + T[:, None] * e + Boff + T[:, None] * Mabs_off.sum(2)
    t = _up(need.max(1).values, 2 * m)
    # the test assumed |t| <= T; where it fails (never in practice) use plain Gershgorin on H_s
    gersh = _up((torch.diagonal(Hs_safe, dim1=1, dim2=2)
                 + torch.where(eye, torch.zeros_like(Hs_safe), Hs_safe.abs()).sum(2)).max(1).values, m)
    t = torch.where(t.abs() <= T, t, gersh)
    out = _up(t + r_norm)
    return torch.where(finite, out, torch.full_like(out, math.inf))


# --------------------------------------------------------------------------------------------
# What torch's own float64 evaluation may differ from the exact function
# --------------------------------------------------------------------------------------------

def torch_evaluation_allowance(net: ChainNet, z0, radius, *, gamma: float):
    """Upper bound (B,) on :math:`|\\ell_{\\rm torch}(z)-\\ell(z)| + \\gamma|c_{\\rm torch}(z)-c(z)|`
    for every :math:`z` with :math:`\\lVert z-z_0\\rVert_2\\le` ``radius`` (rows of ``z0`` (B, d)):
    the a priori forward error of a float64 evaluation (a running error bound with the
    magnitudes of the ball's enclosures), torch's Softplus threshold switch
    (:math:`\\log(1+e^{-20})/\\beta` per unit) and the rounding of the transport cost. Adding it
    makes a sound :math:`\\phi` bound also bound what an attacker computes with torch."""
    import torch

    d = z0.shape[1]
    op0 = net.ops[0]
    lo, hi = ball_to_u1(net, z0, radius)
    zmag = z0.abs() + radius[:, None]
    e = 2 * gamma_n(op_terms(op0) + 2) * (op_abs(op0, zmag) + op_bias_abs(op0)) * (1 + 4 * U)
    for op in net.ops[1:]:
        if op[0] != "act":
            mag_in = torch.maximum(lo.abs(), hi.abs())
            lo, hi = op_forward(op, lo, hi)
            e = (op_abs(op, e) + 2 * gamma_n(op_terms(op) + 2) * (op_abs(op, mag_in) + op_bias_abs(op))) * (1 + 4 * U)
        else:
            _, kind, beta = op
            L0 = 0.25 if kind == "sigmoid" else 1.0
            (lo, hi), _, _ = act_enclosure(kind, beta, lo, hi)
            mag = torch.maximum(lo.abs(), hi.abs())
            e = (L0 * e + ACT_ULPS * U * mag + ACT_ABS) * (1 + 4 * U)
            if kind == "softplus":
                e = e + math.log1p(math.exp(-SOFTPLUS_DEFAULT_THRESHOLD)) / beta * (1 + 16 * U)
    K = lo.shape[1]
    mag = torch.maximum(lo.abs(), hi.abs()).max(1).values
    ce = 2.0 * e.max(1).values + (2 * K + 16) * U * (2.0 * mag + math.log(K) + 1.0)
    cost = gamma * (d + 4) * 4 * U * radius * radius
    return (ce + cost) * (1 + 16 * U) + TINY
