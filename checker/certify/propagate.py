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
    """A chain network in the engine's form: ``ops`` is a tuple of ``("linear", W, b)`` and
    ``("act", kind, beta)``; the first op is linear (``W`` = identity when the model starts
    with an activation). ``d``: input features (flattened)."""

    ops: tuple
    d: int
    n_classes: int
    softplus_layers: tuple[tuple[int, float], ...] = ()
    #: rigorous upper bound on the first layer's spectral norm
    w1_norm: float = math.inf
    #: rigorous upper bounds on every op's linear-map norm (1.0 for activations)
    opnorms: tuple[float, ...] = ()

    @property
    def W1(self):
        return self.ops[0][1]

    @property
    def b1(self):
        return self.ops[0][2]


def check_exact_behaviour(model) -> None:
    """Raise :class:`InvalidArgument` unless every module of ``model`` behaves exactly as its
    class: no forward hooks or pre-hooks (per module or global), no ``forward`` assigned on an
    instance. The certificate maps modules to mathematics by class, so anything else could make
    a certificate unsound."""
    import torch.nn.modules.module as mm

    for name in ("_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks",
                 "_global_backward_pre_hooks", "_global_forward_hooks_always_called"):
        hooks = getattr(mm, name, None)
        if hooks:
            raise InvalidArgument("model", f"global hook ({name.strip('_')})",
                                  "must not be registered: a global hook can change every module's "
                                  "output, so the certificate cannot know what the model computes")
    for path, m in model.named_modules():
        where = path or "(root)"
        for attr in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                     "_backward_pre_hooks"):
            if getattr(m, attr, None):
                raise InvalidArgument("model", f"module {where} ({type(m).__name__})",
                                      f"has {attr.strip('_').replace('_', ' ')}: a hooked module does not "
                                      "behave as its class, so it cannot be certified (remove the hook)")
        if "forward" in vars(m):
            raise InvalidArgument("model", f"module {where} ({type(m).__name__})",
                                  "has a forward assigned on the instance: it does not behave as its "
                                  "class, so it cannot be certified")


def _leaves(model):
    """Leaf modules of a (nested) plain ``nn.Sequential``; a string reason otherwise."""
    import torch.nn as nn

    out = []
    for m in model:
        if isinstance(m, nn.Sequential):
            if type(m).forward is not nn.Sequential.forward:
                return f"{type(m).__name__} overrides Sequential.forward"
            sub = _leaves(m)
            if isinstance(sub, str):
                return sub
            out.extend(sub)
        else:
            out.append(m)
    return out


def _leaf_modules(model):
    import torch.nn as nn

    if not isinstance(model, nn.Sequential) or type(model).forward is not nn.Sequential.forward:
        return f"model is a {type(model).__name__}, not an nn.Sequential chain"
    return _leaves(model)  # nested Sequentials must not override forward either


def chain_net(model, input_shape) -> ChainNet | str:
    """The engine's form of ``model`` (float64 copies of the weights), or a string saying why
    the local analysis does not cover it. Raises :class:`InvalidArgument` for hooked modules
    and for a Softplus with a non-default threshold (the function torch computes then jumps in
    value by up to :math:`\\log(1+e^{-t})/\\beta`, 0.69 at :math:`t=0`)."""
    import torch
    import torch.nn as nn

    check_exact_behaviour(model)
    leaves = _leaf_modules(model)
    if isinstance(leaves, str):
        return leaves
    d = int(math.prod(input_shape))
    ops: list = []
    softplus: list = []
    width = d
    first = True
    for i, m in enumerate(leaves):
        t = type(m)
        if t is nn.Linear:
            w = m.weight.detach().to(torch.float64).cpu()
            b = (m.bias.detach().to(torch.float64).cpu() if m.bias is not None
                 else torch.zeros(w.shape[0], dtype=torch.float64))
            if w.shape[1] != width:
                return f"layer {i} (Linear) expects {w.shape[1]} features, gets {width}"
            ops.append(("linear", w, b))
            width = w.shape[0]
        elif t in (nn.Identity, nn.Dropout) or (t is nn.Flatten and first):
            continue
        elif t is nn.Flatten:
            continue  # flat vectors stay flat (only Linear and element-wise layers precede it)
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
                   "(Linear and ELU(alpha=1)/Tanh/Sigmoid/Softplus only)"
        first = False
    if not ops:
        return "model has no layers"
    if ops[0][0] != "linear":
        ops.insert(0, ("linear", torch.eye(d, dtype=torch.float64), torch.zeros(d, dtype=torch.float64)))
        softplus = [(k + 1, b) for k, b in softplus]
    if width < 2:
        return f"model outputs {width} logit(s): cross-entropy needs >= 2"
    norms = tuple(opnorm_upper(op[1]) if op[0] == "linear" else 1.0 for op in ops)
    return ChainNet(ops=tuple(ops), d=d, n_classes=width, softplus_layers=tuple(softplus),
                    w1_norm=norms[0], opnorms=norms)


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


def _fw(v, rel=ACT_ULPS * U, abs_=0.0):
    return v.abs() * rel + abs_ + TINY


# --------------------------------------------------------------------------------------------
# Activation enclosures: value, first and second derivative on [lo, hi]
# --------------------------------------------------------------------------------------------

def _act_funcs(kind, beta):
    import torch

    if kind == "elu":
        def f(x):
            return torch.where(x > 0, x, torch.expm1(torch.clamp(x, max=0.0)))

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
            d1hi = torch.where((lo <= 0) & (hi >= 0), torch.full_like(a, top), torch.maximum(a, b))
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
    W, b = net.W1, net.b1
    zero = z0 * 0.0
    clo, chi = _lin(z0, z0 + zero, W, b)
    rown = (W * W).sum(1).sqrt() * (1 + gamma_n(W.shape[1] + 4))
    rad = radius[:, None] * rown[None, :] * (1 + 2 * U)
    return _out(clo - rad, chi + rad)


def box_to_u1(net: ChainNet, lo, hi):
    """Box of :math:`u_1` over the boxes ``[lo, hi]`` (B, d)."""
    return _lin(lo, hi, net.W1, net.b1)


def enclose(net: ChainNet, u1lo, u1hi, y, *, hessian: bool = True) -> Enclosure:
    """Propagate the box ``[u1lo, u1hi]`` of the first pre-activation through the network."""
    import torch

    B, n1 = u1lo.shape
    lo, hi = u1lo, u1hi
    jn = torch.ones(B, dtype=lo.dtype)  # running upper bound on ||J|| (product of norms)
    jnorms = []
    if hessian:
        eye = torch.eye(n1, dtype=lo.dtype).expand(B, n1, n1)
        Jlo, Jhi = eye, eye
    acts = []  # (input J enclosure, d1, d2) per activation; linear W's for the backward pass
    back = []
    for k, op in enumerate(net.ops[1:], start=1):
        if op[0] == "linear":
            _, W, b = op
            lo, hi = _lin(lo, hi, W, b)
            if hessian:
                Jlo, Jhi = _lmat(W, Jlo, Jhi)
                jn = jn * net.opnorms[k] * (1 + 4 * U)
            back.append(("linear", W))
        else:
            _, kind, beta = op
            (vlo, vhi), d1, d2 = act_enclosure(kind, beta, lo, hi)
            if hessian:
                acts.append((len(back), (Jlo, Jhi), d2))
                jnorms.append(torch.minimum(jn, _schur_norm(Jlo, Jhi)))
                Jlo, Jhi = _mul(d1[0][:, :, None], d1[1][:, :, None], Jlo, Jhi)
                jn = jn * torch.maximum(d1[0].abs(), d1[1].abs()).max(1).values * (1 + 4 * U)
            back.append(("act", d1))
            lo, hi = vlo, vhi
    (llo, lhi), (glo, ghi), (Hlo, Hhi) = _ce_enclosure(lo, hi, y)
    K = None
    lam_struct = None
    if hessian:
        K = _imatmul(Jlo.transpose(1, 2), Jhi.transpose(1, 2), *_imatmul(Hlo, Hhi, Jlo, Jhi))
        # lambda_max(diag p - p p^T) <= min(1/2, trace) (PSD); trace <= sum of p_j(1-p_j) upper ends
        h_ce = torch.clamp(torch.diagonal(Hhi, dim1=1, dim2=2).sum(1), max=0.5) * (1 + 2 * gamma_n(Hhi.shape[1] + 2)) + TINY
        jl = torch.minimum(jn, _schur_norm(Jlo, Jhi))
        lam_struct = h_ce * jl * jl * (1 + 8 * U) + TINY
    # backward: g holds the gradient at the *output* of op index i while walking down
    s_terms = {}
    for i in range(len(back) - 1, -1, -1):
        kind = back[i][0]
        if kind == "linear":
            W = back[i][1]
            glo, ghi = _lin(glo, ghi, W.T)
        else:
            d1 = back[i][1]
            s_terms[i] = (glo, ghi)
            glo, ghi = _mul(glo, ghi, d1[0], d1[1])
    if hessian:
        for (i, (Jilo, Jihi), d2), jk in zip(acts, jnorms):
            gl, gh = s_terms[i]
            slo, shi = _mul(gl, gh, d2[0], d2[1])
            smax = torch.clamp(shi.max(1).values, min=0.0)
            lam_struct = lam_struct + smax * jk * jk * (1 + 8 * U) + TINY
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
    """Enclosure of :math:`W_1^\\top K W_1` (B, d, d) from ``K`` (B, n1, n1)."""
    W = net.W1
    Klo, Khi = K
    Mlo, Mhi = _lmat(W.T, Klo, Khi)                      # W^T K   (B, d, n1)
    Tlo, Thi = _lmat(W.T, Mlo.transpose(1, 2), Mhi.transpose(1, 2))  # W^T (W^T K)^T = W^T K^T W
    return Tlo.transpose(1, 2), Thi.transpose(1, 2)


def grad_z(net: ChainNet, g):
    """Enclosure of :math:`W_1^\\top g` (B, d)."""
    return _lin(g[0], g[1], net.W1.T)


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
        val = (a + c) * 0.5 + torch.sqrt(h * h + b * b)
        return val + (a.abs() + c.abs() + b.abs()) * (16 * U) + TINY
    c = (lo + hi) * 0.5
    R = torch.maximum(hi - c, c - lo) * (1 + 4 * U)
    R = torch.maximum(R, R.transpose(1, 2))
    Hs = (c + c.transpose(1, 2)) * 0.5
    R = R + (Hs - c).abs() * (1 + 4 * U) + TINY   # symmetrising moved the centre
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
    W1, b1 = net.W1, net.b1
    lo, hi = ball_to_u1(net, z0, radius)
    zmag = z0.abs() + radius[:, None]
    e = 2 * gamma_n(d + 2) * (zmag @ W1.abs().T + b1.abs()) * (1 + 4 * U)
    for op in net.ops[1:]:
        if op[0] == "linear":
            _, W, b = op
            Wa = W.abs()
            mag_in = torch.maximum(lo.abs(), hi.abs())
            lo, hi = _lin(lo, hi, W, b)
            e = (e @ Wa.T + 2 * gamma_n(W.shape[1] + 2) * (mag_in @ Wa.T + b.abs())) * (1 + 4 * U)
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
