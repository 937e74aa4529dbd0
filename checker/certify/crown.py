r"""A linear upper bound of the loss on a ball (CROWN/DeepPoly style), maximised against the cost.

For the certificate of docs/math/sinha.md, Theorem 3 (our derivation [D]): on a region
:math:`\mathcal R` (a ball :math:`B(x,s)` of the shell-integrated fallback,
:func:`checker.certify.local.shell_bound`) we want :math:`\ell(z)\le\Lambda^\top z+C` for every
:math:`z\in\mathcal R`; then, with :math:`r=\lVert z-x\rVert_2`,

.. math::

    \ell(z)-\gamma r^2\le \Lambda^\top x+C+\lVert\Lambda\rVert_2\,r-\gamma r^2 ,

a concave parabola in :math:`r` whose maximum over a shell :math:`r\in[a,b]` is at the clipped
vertex :math:`\min(\max(\lVert\Lambda\rVert/(2\gamma),a),b)` (on a ball this is never larger than
the separable per-coordinate maximum over the enclosing box, which it replaces).

**The bound.** Pre-activation boxes :math:`[l,h]` of every layer over the ball come from
interval propagation (:mod:`checker.certify.propagate`). Each activation gets two sound linear
bounds on its box, :math:`\alpha^{\rm lo}u+\beta^{\rm lo}\le\sigma(u)\le\alpha^{\rm up}u+\beta^{\rm up}`:

* the chord through :math:`(l,\sigma(l))`, :math:`(h,\sigma(h))`, shifted by the interpolation
  error: with :math:`e=\sigma-\text{chord}`, :math:`e(l)=e(h)=0` and
  :math:`m^{\rm lo}\le\sigma''\le m^{\rm hi}` on :math:`[l,h]` (the enclosure of
  :func:`~checker.certify.propagate.act_enclosure`; for ELU the hull of the one-sided limits,
  valid because :math:`\sigma'` is Lipschitz), :math:`-m^{\rm hi}_+(h-l)^2/8\le e\le m^{\rm lo}_-(h-l)^2/8`;
* where :math:`\sigma''\ge0` on the box, the tangent at the midpoint is a lower bound (and where
  :math:`\sigma''\le0`, an upper bound);
* the constants :math:`\sigma(l)\le\sigma\le\sigma(h)` (all four activations are non-decreasing)
  when they leave a smaller gap.

Cross-entropy :math:`\ell(u)=\log\sum_je^{u_j}-u_y` is convex in the logits with Hessian
:math:`\operatorname{diag}p-pp^\top\preceq\operatorname{diag}p^{\rm hi}` and
:math:`\preceq\tfrac12I`; Taylor's theorem at the centre :math:`\bar u` of the logit box (radius
:math:`\rho`) gives
:math:`\ell(u)\le\ell(\bar u)+(p(\bar u)-e_y)^\top(u-\bar u)+\tfrac12\min(\sum_jp^{\rm hi}_j\rho_j^2,\ \tfrac12\lVert\rho\rVert^2)`.
The coefficient vector is then pushed back through the layers (an activation's upper bound
where the coefficient is non-negative, its lower bound elsewhere; a linear map by its
transpose), which gives :math:`\Lambda` and :math:`C`.

**Rounding.** The coefficients are computed in float64 and are whatever they are; the identity
each step uses holds for the exact products, so every step adds its a priori error times the
largest magnitude of the quantity it multiplies (dot products :math:`2\gamma_n|A|^\top|\mu|`,
Higham §3.1, on the enclosure of that layer's input), every computed offset is widened by its
own rounding bound, and the float enclosures of :math:`\sigma`, :math:`\sigma'` at the
endpoints (with :data:`~checker.certify.propagate.ACT_ULPS`) replace exact values.
"""

from __future__ import annotations

import math

from checker.certify.propagate import (TINY, U, ChainNet, _ce_enclosure, act_enclosure, gamma_n, op_forward)

__all__ = ["linear_loss_bound", "shell_max", "ball_max", "margin_bounds", "MARGIN_CROWN_LIMIT", "op_transpose",
           "op_transpose_abs", "op_t_terms"]


def op_transpose(op, mu):
    """:math:`A^\\top\\mu` for rows ``mu`` (B, n_out) of the linear, conv or pad op (float64)."""
    from checker.certify.propagate import _conv_apply_t, _pad_iv

    if op[0] == "linear":
        return mu @ op[1]
    if op[0] == "conv":
        return _conv_apply_t(op[1], op[3], mu)
    return _pad_iv(mu, mu, op, transpose=True)[0]


def op_transpose_abs(op, v):
    """:math:`|A|^\\top v` for non-negative rows ``v``."""
    from checker.certify.propagate import _conv_apply_t, _pad_iv

    if op[0] == "linear":
        return v @ op[1].abs()
    if op[0] == "conv":
        return _conv_apply_t(op[1], op[3], v, absw=True)
    return _pad_iv(v, v, op, transpose=True)[0]


def op_t_terms(op) -> int:
    """The most products summed for one entry of :math:`A^\\top\\mu` (0 for the exact crop)."""
    if op[0] == "linear":
        return op[1].shape[0]
    if op[0] == "conv":
        return op[3]["nt"]
    return 0


def _bias(op):
    """The op's bias broadcast to its output (None for padding)."""
    if op[0] == "linear":
        return op[2]
    if op[0] == "conv":
        return op[2].repeat_interleave(op[3]["out_shape"][1] * op[3]["out_shape"][2])
    return None


def _relaxation(kind, beta, l, h):
    """Sound ``(a_up, b_up, a_lo, b_lo)`` with ``a_lo u + b_lo <= sigma(u) <= a_up u + b_up`` on
    ``[l, h]`` (elementwise), every offset rounded outward (module docstring)."""
    import torch

    (vlo, vhi), _, (d2lo, d2hi) = act_enclosure(kind, beta, l, h)
    (sl_lo, sl_hi), _, _ = act_enclosure(kind, beta, l, l)
    (sh_lo, sh_hi), _, _ = act_enclosure(kind, beta, h, h)
    w = (h - l) * (1 + 4 * U)                      # >= the exact width
    wpos = w > 0
    ws = torch.where(wpos, h - l, torch.ones_like(w))
    slope = torch.where(wpos, ((sh_lo + sh_hi) * 0.5 - (sl_lo + sl_hi) * 0.5) / ws, torch.zeros_like(w))
    slope = torch.where(torch.isfinite(slope), slope, torch.zeros_like(slope))
    aw = slope * (h - l)
    # D >= |sigma(h) - sigma(l) - slope (h - l)| (exact values, rounding of slope*(h-l) included)
    D = torch.maximum((sh_hi - sl_lo - aw).abs(), (sh_lo - sl_hi - aw).abs())
    D = (D + (sh_hi.abs() + sl_hi.abs() + sh_lo.abs() + sl_lo.abs() + aw.abs()) * (4 * U)
         + slope.abs() * w * (8 * U)) * (1 + 4 * U) + TINY
    q = w * w * 0.125 * (1 + 4 * U)
    e_up = torch.clamp(-d2lo, min=0.0) * q * (1 + 2 * U)
    e_lo = torch.clamp(d2hi, min=0.0) * q * (1 + 2 * U)
    sl = slope * l
    slerr = sl.abs() * (2 * U)
    b_up = sl_hi - sl + D + e_up
    b_up = b_up + (sl_hi.abs() + sl.abs() + D + e_up) * (4 * U) + slerr + TINY
    b_lo = sl_lo - sl - D - e_lo
    b_lo = b_lo - (sl_lo.abs() + sl.abs() + D + e_lo) * (4 * U) - slerr - TINY
    a_up, a_lo = slope, slope
    # tangent at the midpoint where the activation is convex (a lower bound) or concave (upper)
    m = (l + h) * 0.5
    (sm_lo, sm_hi), (dm_lo, dm_hi), _ = act_enclosure(kind, beta, m, m)
    t = (dm_lo + dm_hi) * 0.5
    half = torch.maximum(h - m, m - l) * (1 + 4 * U)
    terr = (torch.maximum(dm_hi - t, t - dm_lo) * half + (t * m).abs() * (2 * U)) * (1 + 4 * U) + TINY
    tb_lo = sm_lo - t * m - terr
    tb_lo = tb_lo - (sm_lo.abs() + (t * m).abs()) * (4 * U) - TINY
    tb_up = sm_hi - t * m + terr
    tb_up = tb_up + (sm_hi.abs() + (t * m).abs()) * (4 * U) + TINY
    # choose by the gap each leaves over the box (both are sound; this only picks the tighter)
    gap_chord_lo = D + e_lo
    gap_tan_lo = (sl_hi - (t * l + tb_lo)).abs() + (sh_hi - (t * h + tb_lo)).abs()
    use_tan_lo = (d2lo >= 0) & (gap_tan_lo < gap_chord_lo * 2)
    a_lo = torch.where(use_tan_lo, t, a_lo)
    b_lo = torch.where(use_tan_lo, tb_lo, b_lo)
    gap_chord_up = D + e_up
    gap_tan_up = ((t * l + tb_up) - sl_lo).abs() + ((t * h + tb_up) - sh_lo).abs()
    use_tan_up = (d2hi <= 0) & (gap_tan_up < gap_chord_up * 2)
    a_up = torch.where(use_tan_up, t, a_up)
    b_up = torch.where(use_tan_up, tb_up, b_up)
    # constants where the linear bounds leave a larger gap than the value enclosure itself
    gap_up = (a_up * h + b_up - sh_lo).abs() + (a_up * l + b_up - sl_lo).abs()
    gap_lo = (sh_hi - a_lo * h - b_lo).abs() + (sl_hi - a_lo * l - b_lo).abs()
    const = vhi - vlo
    cu = ~(gap_up < const) | ~torch.isfinite(b_up)
    cl = ~(gap_lo < const) | ~torch.isfinite(b_lo)
    a_up = torch.where(cu, torch.zeros_like(a_up), a_up)
    b_up = torch.where(cu, vhi, b_up)
    a_lo = torch.where(cl, torch.zeros_like(a_lo), a_lo)
    b_lo = torch.where(cl, vlo, b_lo)
    return a_up, b_up, a_lo, b_lo


def _ce_linear(lo, hi, y, *, rounding: bool = True, margins=None):
    r"""``(mu, C, E)`` with :math:`\mathrm{CE}(u,y)\le\mu^\top u+C+E` on the logit box ``[lo, hi]``
    (``E`` the rounding and remainder allowance): per example the better (by its largest value
    on the box) of two sound bounds,

    * Taylor at the centre :math:`\bar u` with the remainder :math:`\tfrac12\min(\sum_jp^{\rm hi}_j\rho_j^2,\tfrac12\lVert\rho\rVert^2)`;
    * the separable chord: :math:`\log(1+\sum_{j\ne y}e^{m_j})\le\sum_{j\ne y}\log(1+e^{m_j})`
      (because :math:`\prod_j(1+e^{m_j})\ge1+\sum_je^{m_j}`), each softplus of the margin
      :math:`m_j=u_j-u_y\in[lo_j-hi_y,\ hi_j-lo_y]` below its chord (it is convex), which is
      exact for two classes.

    ``margins``: sound ``(ml, mh)`` of the margins from elsewhere, intersected with the box's.
    ``rounding=False``: the Taylor bound without its remainder and rounding terms (UNSOUND, for
    negative controls)."""
    import torch

    B, K = lo.shape
    onehot = torch.nn.functional.one_hot(y, K).to(torch.bool)
    ub = (lo + hi) * 0.5
    rho = torch.maximum(hi - ub, ub - lo) * (1 + 4 * U)
    (_, l_hi), (glo, ghi), _ = _ce_enclosure(ub, ub, y)
    mu = (glo + ghi) * 0.5
    mu_ub = (mu * ub).sum(1)
    C = l_hi - mu_ub
    if not rounding:
        return mu, C, torch.zeros_like(C)
    p_hi = _ce_enclosure(lo, hi, y)[1][1] + onehot.to(lo.dtype)  # (p - e_y)^hi + e_y
    g = 2 * gamma_n(K + 4)
    quad = torch.minimum((torch.clamp(p_hi, min=0.0) * rho * rho).sum(1), 0.5 * (rho * rho).sum(1)) * 0.5
    slack = torch.maximum(ghi - mu, mu - glo) * (1 + 4 * U)
    E = (slack * rho).sum(1) * (1 + g) + quad * (1 + g) + g * (mu.abs() * ub.abs()).sum(1)
    E = E + (l_hi.abs() + mu_ub.abs()) * (4 * U) + TINY
    # the separable chord in the margins
    lo_y, hi_y = lo.gather(1, y[:, None]), hi.gather(1, y[:, None])
    ml, mh = lo - hi_y, hi - lo_y
    ml = ml - (lo.abs() + hi_y.abs()) * (2 * U) - TINY
    mh = mh + (hi.abs() + lo_y.abs()) * (2 * U) + TINY
    if margins is not None:  # sound margin bounds of their own: keep the tighter ends
        ml, mh = torch.maximum(ml, margins[0]), torch.minimum(mh, margins[1])
        mh = torch.maximum(mh, ml)
    ml = torch.where(onehot, torch.zeros_like(ml), ml)
    mh = torch.where(onehot, torch.ones_like(mh), mh)
    a, b, _, _ = _relaxation("softplus", 1.0, ml, mh)
    a = torch.where(onehot, torch.zeros_like(a), a)
    b = torch.where(onehot, torch.zeros_like(b), b)
    sa = a.sum(1)
    mu2 = torch.where(onehot, -sa[:, None], a)
    C2 = b.sum(1)
    mag_y = torch.maximum(lo_y.abs(), hi_y.abs())[:, 0]
    E2 = g * (b.abs().sum(1) + a.abs().sum(1) * mag_y) + C2.abs() * (4 * U) + TINY
    # pick the smaller worst case over the box (both are sound; this only chooses)
    w1 = mu_ub + (mu.abs() * rho).sum(1) + C + E
    w2 = (mu2 * ub).sum(1) + (mu2.abs() * rho).sum(1) + C2 + E2
    second = (w2 < w1) | ~torch.isfinite(w1)
    return (torch.where(second[:, None], mu2, mu), torch.where(second, C2, C), torch.where(second, E2, E))


#: Largest batch x coefficient rows x widest layer for which the margins get their own linear
#: bounds (2K backward passes); above it the interval box of the logits is used.
MARGIN_CROWN_LIMIT = 20_000_000


def _forward(net: ChainNet, u1lo, u1hi):
    """Interval boxes and activation relaxations of every layer after the first op."""
    import torch

    lo, hi = u1lo, u1hi
    recs = []
    for op in net.ops[1:]:
        if op[0] != "act":
            recs.append(("lin", op, torch.maximum(lo.abs(), hi.abs())))
            lo, hi = op_forward(op, lo, hi)
        else:
            _, kind, beta = op
            recs.append(("act", _relaxation(kind, beta, lo, hi), torch.maximum(lo.abs(), hi.abs())))
            (lo, hi), _, _ = act_enclosure(kind, beta, lo, hi)
    return recs, lo, hi


def _backward(net: ChainNet, recs, mu, C, E, zmag, rounding: bool, rep: int = 1):
    r"""Push the logit coefficients ``mu`` (B*rep, K) back to the input: ``(Lam, C)`` with
    :math:`\mu^\top u_L\le\Lambda^\top z+C` (``C`` includes ``E`` and every rounding term when
    ``rounding``). Row ``i`` uses the boxes of example ``i // rep``."""
    import torch

    def ex(t):
        return t if rep == 1 else t.repeat_interleave(rep, 0)

    for rec in reversed(recs):
        if rec[0] == "lin":
            op, mag = rec[1], ex(rec[2])
            b = _bias(op)
            if b is not None:
                C = C + mu @ b
                if rounding:
                    E = E + 2 * gamma_n(b.numel() + 2) * (mu.abs() @ b.abs()) + C.abs() * (2 * U)
            nu = op_transpose(op, mu)
            if rounding and op[0] != "pad":
                wrel = op[3]["wrel"] if op[0] == "conv" else 0.0  # stored vs exact pooling weights
                err = (2 * gamma_n(op_t_terms(op) + 2) + wrel) * op_transpose_abs(op, mu.abs()) * (1 + 4 * U)
                E = E + (err * mag).sum(1) * (1 + 2 * gamma_n(err.shape[1] + 2)) + TINY
            mu = nu
        else:
            (a_up, b_up, a_lo, b_lo), mag = [ex(t) for t in rec[1]], ex(rec[2])
            pos = mu >= 0
            a = torch.where(pos, a_up, a_lo)
            bb = torch.where(pos, b_up, b_lo)
            nu = mu * a
            C = C + (mu * bb).sum(1)
            if rounding:
                n = mu.shape[1]
                E = E + (nu.abs() * mag).sum(1) * (2 * U) * (1 + 2 * gamma_n(n + 2)) \
                    + 2 * gamma_n(n + 2) * (mu * bb).abs().sum(1) + C.abs() * (2 * U) + TINY
            mu = nu
    op0 = net.ops[0]
    b = _bias(op0)
    if b is not None:
        C = C + mu @ b
        if rounding:
            E = E + 2 * gamma_n(b.numel() + 2) * (mu.abs() @ b.abs()) + C.abs() * (2 * U)
    Lam = op_transpose(op0, mu)
    if rounding:
        zm = ex(zmag)
        wrel = op0[3]["wrel"] if op0[0] == "conv" else 0.0
        err = (2 * gamma_n(op_t_terms(op0) + 2) + wrel) * op_transpose_abs(op0, mu.abs()) * (1 + 4 * U)
        E = E + (err * zm).sum(1) * (1 + 2 * gamma_n(zm.shape[1] + 2)) + TINY
        C = C + E
        C = C + C.abs() * (4 * U) + TINY
    return Lam, C


def ball_max(Lam, C, x, s, *, rounding: bool = True):
    r"""Upper bound of :math:`\Lambda^\top z+C` over :math:`\lVert z-x\rVert_2\le s`:
    :math:`\Lambda^\top x+C+\lVert\Lambda\rVert_2s`, rounded up."""
    d = x.shape[1]
    v = (Lam * x).sum(1) + C + (Lam * Lam).sum(1).sqrt() * s
    if rounding:
        v = v + (2 * gamma_n(d + 4) * ((Lam.abs() * x.abs()).sum(1) + (Lam * Lam).sum(1).sqrt() * s)
                 + C.abs() * (4 * U)) * (1 + 4 * U) + v.abs() * (4 * U) + TINY
    return v


def margin_bounds(net: ChainNet, recs, x, s, y, zmag, K: int, rounding: bool = True):
    r"""Bounds ``(ml, mh)`` (B, K) of the margins :math:`m_j=u_j-u_y` over the ball
    :math:`B(x,s)` by the same backward pass with coefficients :math:`\pm(e_j-e_y)`
    (0 at :math:`j=y`)."""
    import torch

    B = x.shape[0]
    eye = torch.eye(K, dtype=x.dtype)
    base = eye[None, :, :] - eye[y][:, None, :]          # (B, K, K): row j is e_j - e_y
    coef = torch.cat([base, -base], 1).reshape(B * 2 * K, K)
    zero = torch.zeros(B * 2 * K, dtype=x.dtype)
    Lam, C = _backward(net, recs, coef, zero, zero.clone(), zmag, rounding, rep=2 * K)
    v = ball_max(Lam, C, x.repeat_interleave(2 * K, 0), s.repeat_interleave(2 * K, 0),
                 rounding=rounding).reshape(B, 2 * K)
    mh, ml = v[:, :K], -v[:, K:]
    onehot = torch.nn.functional.one_hot(y, K).to(torch.bool)
    return torch.where(onehot, torch.zeros_like(ml), ml), torch.where(onehot, torch.zeros_like(mh), mh)


def linear_loss_bound(net: ChainNet, u1lo, u1hi, zmag, y, *, x=None, s=None, rounding: bool = True):
    r"""``(Lam, C)`` (B, d) and (B,) with :math:`\ell(z)\le\Lambda^\top z+C` for every ``z``
    whose first pre-activation :math:`u_1` lies in ``[u1lo, u1hi]`` and with
    :math:`|z|\le` ``zmag`` elementwise (module docstring). With the ball's centre ``x`` and
    radius ``s`` (B,) (which must then contain the region) the margins get their own linear
    bounds first (:func:`margin_bounds`), tighter than the interval box of the logits.
    ``rounding=False`` drops every rounding term and the cross-entropy remainder: UNSOUND, for
    the negative controls of the test suite only."""
    recs, lo, hi = _forward(net, u1lo, u1hi)
    margins = None
    B, K = lo.shape
    widest = max([u1lo.shape[1]] + [r[2].shape[1] for r in recs])
    if x is not None and s is not None and rounding and B * 2 * K * widest <= MARGIN_CROWN_LIMIT:
        margins = margin_bounds(net, recs, x, s, y, zmag, K, rounding=rounding)
    mu, C, E = _ce_linear(lo, hi, y, rounding=rounding, margins=margins)
    return _backward(net, recs, mu, C, E, zmag, rounding)


def shell_max(Lam, C, x, a, b, *, gamma: float, rounding: bool = True):
    """Upper bound of :math:`\\Lambda^\\top z+C-\\gamma\\lVert z-x\\rVert_2^2` over the shell
    :math:`a\\le\\lVert z-x\\rVert_2\\le b` (rows; ``a``, ``b`` (B,)): :math:`\\Lambda^\\top x+C`
    plus the concave parabola :math:`\\lVert\\Lambda\\rVert r-\\gamma r^2` at its clipped vertex,
    rounded up."""
    import torch

    d = x.shape[1]
    lx = (Lam * x).sum(1)
    nrm = (Lam * Lam).sum(1).sqrt()
    if rounding:
        lx = lx + 2 * gamma_n(d + 2) * (Lam.abs() * x.abs()).sum(1) + TINY
        nrm = nrm * (1 + 2 * gamma_n(d + 4)) + TINY
    v = torch.clamp(nrm / (2.0 * gamma), min=0.0)
    r = torch.minimum(torch.maximum(v, a), b)
    # with the vertex inside the value is N^2/(4 gamma), an upper bound of the parabola anywhere
    inside = (v >= a) & (v <= b)
    par = torch.where(inside, nrm * nrm / (4.0 * gamma), nrm * r - gamma * r * r)
    out = lx + C + par
    if rounding:
        mag = lx.abs() + C.abs() + nrm * b + gamma * b * b + nrm * nrm / (4.0 * gamma)
        out = out + mag * (32 * U) + TINY
    return out
