r"""Branch-and-bound for :math:`\phi_\gamma` on inputs of small dimension (sound, to a tolerance).

For the certificate of docs/math/sinha.md, Theorem 3 (our derivation [D]): with the squared
cost :math:`c(z,z_0)=\lVert z-z_0\rVert_2^2` and :math:`f(z)=\ell(z)-\gamma\lVert z-z_0\rVert_2^2`,

.. math::

    \phi_\gamma(z_0)=\sup_z f(z)=\max_{\lVert z-z_0\rVert_2\le R} f(z),\qquad R=G/\gamma,

because :math:`f(z)\ge f(z_0)` forces :math:`\gamma\lVert z-z_0\rVert^2\le\ell(z)-\ell(z_0)\le
G\lVert z-z_0\rVert` (:math:`G` a Lipschitz bound of :math:`\ell` on the ball). The ball is
covered by boxes; on a box :math:`\mathcal B` with centre :math:`c` and half-widths :math:`h`,

.. math::

    \max_{\mathcal B}f \le \min\Bigl\{\ \ell^{\rm hi}(\mathcal B)-\gamma\,\mathrm{dist}(z_0,\mathcal B)^2,\quad
    f^{\rm hi}(c)+\sum_j\max_{|\delta_j|\le h_j}\bigl(g_j\delta_j+\tfrac{\Lambda}{2}\delta_j^2\bigr)\Bigr\},

with :math:`g=\nabla f(c)` and :math:`\Lambda\ge\sup_{\mathcal B}\lambda_{\max}(\nabla^2 f)
=\sup_{\mathcal B}\lambda_{\max}(\nabla^2\ell)-2\gamma` (the Taylor bound of a :math:`C^{1,1}`
function; all enclosures from :mod:`checker.certify.propagate`, rounding included). Boxes whose
bound is below the best rigorous lower value :math:`\max f^{\rm lo}(c)` are dropped, boxes within
``tol`` of it are finished, the rest are split into :math:`2^d` children. The result for each
example is :math:`\max(\text{best lower value},\ \text{bounds of the boxes left})`, an upper bound
of :math:`\phi_\gamma` whether or not the search finished; ``converged`` says whether it is
within ``tol`` of the best value found (and so of :math:`\phi_\gamma`).
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.certify.propagate import (TINY, U, box_to_u1, enclose, gamma_n, grad_z, hess_z,
                                       sym_lambda_max_upper)

__all__ = ["BnbResult", "branch_and_bound", "MAX_DIM", "BNB_TOL"]

#: Input dimensions up to which branch-and-bound is used (2^d children per split).
MAX_DIM = 3
#: Default per-example tolerance: the sound value is within this of the best value found.
BNB_TOL = 1e-4


@dataclass(frozen=True, kw_only=True)
class BnbResult:
    """Per-example (n,) ``upper`` (sound bound of :math:`\\phi_\\gamma`, before the torch
    allowance), ``lower`` (best rigorous lower value found), ``converged`` (no box left unresolved, hence
    ``upper <= lower + tol`` in float64),
    and totals ``boxes`` (evaluated) and ``iterations``."""

    upper: object
    lower: object
    converged: object
    boxes: int
    iterations: int


def point_values(net, z, x, y, gamma: float):
    """Enclosures at points ``z`` (B, d): ``(f_lo, f_hi, grad_f_lo, grad_f_hi, l_lo, l_hi)``."""
    enc = enclose(net, *box_to_u1(net, z, z), y, hessian=False)  # pragma: no mutate[const:bool -> True]: the same loss and gradient enclosures, plus an unused Hessian (test_tightness checks the equality)
    glo, ghi = grad_z(net, enc.grad_u1)
    dz = z - x
    d = z.shape[1]
    c = (dz * dz).sum(1)
    c_lo = c * (1 - 2 * gamma_n(d + 4)) - TINY
    c_hi = c * (1 + 2 * gamma_n(d + 4)) + TINY
    t = 2.0 * gamma * dz
    t_err = t.abs() * (8 * U) + TINY
    llo, lhi = enc.loss
    f_lo = llo - gamma * c_hi * (1 + 4 * U) - TINY
    f_hi = lhi - gamma * c_lo * (1 - 4 * U) + TINY
    f_lo = f_lo - f_lo.abs() * (4 * U)
    f_hi = f_hi + f_hi.abs() * (4 * U)
    return f_lo, f_hi, glo - t - t_err, ghi - t + t_err, llo, lhi


def branch_and_bound(net, x, y, *, gamma: float, radius, lower, tol: float = BNB_TOL,
                     max_iters: int = 60, max_active: int = 400_000) -> BnbResult:
    """Sound :math:`\\phi_\\gamma` upper bounds for the rows of ``x`` (n, d), d <= MAX_DIM.

    ``radius`` (n,): rigorous maximiser radii :math:`G/\\gamma`; ``lower`` (n,): rigorous lower
    values already known (e.g. :math:`f^{\\rm lo}` at the ascent's solution). Every example's
    boxes are processed in one batch per level (vectorised across examples and boxes).
    """
    import torch

    n, d = x.shape
    assert d <= MAX_DIM
    dev = x.device
    best = lower.clone()
    done = torch.full((n,), -float("inf"), dtype=x.dtype, device=dev)
    owner = torch.arange(n, device=dev)
    blo, bhi = x - radius[:, None], x + radius[:, None]
    r2 = radius * radius * (1 + 8 * U) + TINY
    boxes = 0
    it = 0
    active_ub = None
    corners = torch.cartesian_prod(*[torch.tensor([0, 1], device=dev)] * d).reshape(-1, d)
    while owner.numel() and it < max_iters:
        it += 1
        xo, yo = x[owner], y[owner]
        gap = torch.clamp(torch.maximum(blo - xo, xo - bhi), min=0.0)
        dist2 = (gap * gap).sum(1) * (1 - 2 * gamma_n(d + 4))
        inside = dist2 <= r2[owner]
        owner, blo, bhi, xo, yo, dist2 = (owner[inside], blo[inside], bhi[inside], xo[inside],
                                          yo[inside], dist2[inside])
        if not owner.numel():
            break
        boxes += owner.numel()
        enc = enclose(net, *box_to_u1(net, blo, bhi), yo, hessian=True)
        lam = sym_lambda_max_upper(*hess_z(net, enc.hess_u1))
        c = (blo + bhi) * 0.5
        h = torch.maximum(bhi - c, c - blo) * (1 + 4 * U)
        f_lo, f_hi, glo, ghi, _, _ = point_values(net, c, xo, yo, gamma)
        best = best.scatter_reduce(0, owner, f_lo, reduce="amax")
        ub1 = enc.loss[1] - gamma * dist2 * (1 - 4 * U)
        ub1 = ub1 + ub1.abs() * (4 * U) + TINY
        Lam = (lam - 2.0 * gamma)
        Lam = Lam + Lam.abs() * (4 * U) + TINY
        ga = torch.maximum(glo.abs(), ghi.abs())
        Lc = Lam[:, None]
        neg = Lc < 0
        delta = torch.where(neg, torch.minimum(h, ga / torch.where(neg, -Lc, torch.ones_like(Lc))), h)
        term = ga * delta + 0.5 * Lc * delta * delta
        tsum = term.sum(1)
        tsum = tsum + (ga * delta + 0.5 * Lc.abs() * delta * delta).sum(1) * (2 * gamma_n(d + 6)) + TINY
        ub2 = f_hi + tsum
        ub2 = ub2 + ub2.abs() * (4 * U) + TINY
        ub = torch.minimum(ub1, ub2)
        ub = torch.where(torch.isnan(ub), torch.full_like(ub, float("inf")), ub)
        bo = best[owner]
        keep = ub > bo
        fin = keep & (ub <= bo + tol)
        done = done.scatter_reduce(0, owner[fin], ub[fin], reduce="amax")
        split = keep & ~fin
        owner, blo, bhi, ub = owner[split], blo[split], bhi[split], ub[split]
        if not owner.numel():
            active_ub = None
            break
        if it == max_iters or owner.numel() * (2 ** d) > max_active:
            active_ub = (owner, ub)
            break
        mid = (blo + bhi) * 0.5
        k = corners.shape[0]
        lo_r = blo.repeat_interleave(k, 0)
        hi_r = bhi.repeat_interleave(k, 0)
        mid_r = mid.repeat_interleave(k, 0)
        cr = corners.repeat(owner.numel(), 1).bool()
        blo = torch.where(cr, mid_r, lo_r)
        bhi = torch.where(cr, hi_r, mid_r)
        owner = owner.repeat_interleave(k)
        active_ub = None
    upper = torch.maximum(best, done)
    converged = torch.ones(n, dtype=torch.bool, device=dev)
    if active_ub is not None:
        o, u = active_ub
        upper = upper.scatter_reduce(0, o, u, reduce="amax")
        converged[o] = False
    elif owner.numel():  # loop ended by max_iters before evaluating the last split
        # (cannot happen: the split happens only when it < max_iters) -- kept for safety
        converged[owner] = False
        upper[owner] = float("inf")
    # every other example has no box left: each was pruned (ub <= best) or finished
    # (ub <= fl(best_then + tol) <= fl(best + tol): best only grows and rounding is monotone), so
    # upper <= lower + tol holds there by construction (tests/certify/test_tightness.py checks it)
    return BnbResult(upper=upper, lower=best, converged=converged, boxes=boxes, iterations=it)
