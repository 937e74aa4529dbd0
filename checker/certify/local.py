r"""Per-example sound upper bounds of :math:`\phi_\gamma`: local strong concavity, branch-and-bound,
and a Lipschitz fallback, so that every :math:`\gamma>0` gets a sound certificate.

Paper: Sinha, Namkoong, Duchi, ICLR 2018, Theorem 3 and the certificate (15)
(docs/math/sinha.md, Theorem 3). The arguments below are our derivation [D]. The project's cost
is :math:`c(z,z_0)=\lVert z-z_0\rVert_2^2` (not :math:`\tfrac12\lVert\cdot\rVert^2`), so
:math:`f(z)=\ell(z)-\gamma\lVert z-z_0\rVert_2^2` has Hessian :math:`\nabla^2\ell-2\gamma I`.

**Radius.** Let :math:`G_0=\sqrt2\prod_k L^0_k\lVert W_k\rVert_2` (a global Lipschitz constant of
:math:`\ell` in :math:`z`; :math:`\lVert p-e_y\rVert_2\le\sqrt2`). Any :math:`z` with
:math:`f(z)\ge f(z_0)` satisfies :math:`\gamma r^2\le\ell(z)-\ell(z_0)\le G r`, so lies in the
ball :math:`B(z_0,R)` with :math:`R=G/\gamma`; iterating with the Lipschitz bound
:math:`G_{k+1}=\sup_{B(z_0,R_k)}\lVert\nabla\ell\rVert` (:math:`R_{k+1}=\min(R_k,G_{k+1}/\gamma)`)
stays valid because each ball already contains all such :math:`z`. Hence
:math:`\phi_\gamma(z_0)=\max_{B(z_0,R)}f`.

**Local strong concavity.** With :math:`L_i\ge\sup_{B(z_0,R)}\lambda_{\max}(\nabla^2_z\ell)`
(bound propagation, :mod:`checker.certify.propagate`) and :math:`\mu_i=2\gamma-L_i>0`,
:math:`f` is :math:`\mu_i`-strongly concave on the ball, which contains :math:`\hat z` and the
maximiser, so

.. math::

    \phi_\gamma(z_0)\le f(\hat z)+\frac{\lVert\nabla f(\hat z)\rVert_2^2}{2\mu_i}.

**Fallback** (any :math:`\gamma`): on the ball :math:`f(z)\le\ell(z_0)+Gr-\gamma r^2`, so
:math:`\phi_\gamma(z_0)\le\ell(z_0)+G^2/(4\gamma)`; and with the curvature bound,
:math:`f(z)\le\ell(z_0)+\lVert\nabla\ell(z_0)\rVert r+(L_i/2-\gamma)r^2` for :math:`r\le R`. The
smaller is used.

**Linear bound** (optional, ``crown=True``; :mod:`checker.certify.crown`): on every shell of
the shell-integrated fallback, :math:`\ell(z)\le\Lambda^\top z+C` on the ball, maximised against
:math:`\gamma r^2` in closed form; the smaller sound bound is kept per shell.

**Branch-and-bound** (:mod:`checker.certify.bnb`) for inputs of dimension :math:`\le3`: the
maximum over the ball to a stated tolerance.

Each example's bound is the smallest of the arguments that apply, plus the torch allowance
(:func:`checker.certify.propagate.torch_evaluation_allowance`) so that it also bounds what torch
computes. ``method`` records which argument gave it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from checker.certify.crown import linear_loss_bound, shell_max
from checker.certify.propagate import (TINY, U, ChainNet, ball_to_u1, enclose, gamma_n, grad_z,
                                       hess_z, opnorm_upper, sym_lambda_max_upper, torch_evaluation_allowance)

__all__ = ["LocalBounds", "local_bounds", "shell_bound", "SHELLS", "strong_concavity_bound", "corollary4_tight", "global_lipschitz", "METHODS", "DENSE_HESSIAN_DIM",
           "RADIUS_ITERS"]

#: Codes of ``LocalBounds.method``.
METHODS = ("local", "bnb", "fallback")
#: Inputs up to this dimension get the exact d x d Hessian enclosure W1^T K W1; above it,
#: lambda_max(W1^T K W1) <= ||W1||^2 max(lambda_max(K), 0) (K in the first hidden layer's space).
DENSE_HESSIAN_DIM = 256
#: Shells of the shell-integrated fallback (:func:`shell_bound`): radii R/2^(k-1), k = SHELLS..1.
SHELLS = 12
#: Iterations of the radius refinement R <- min(R, G(R)/gamma).
RADIUS_ITERS = 4
#: The refinement stops early once no radius shrinks by more than this fraction (a smaller
#: radius is only a tighter bound; every radius of the sequence is proved).
RADIUS_REL_STOP = 0.05


@dataclass(frozen=True, kw_only=True)
class LocalBounds:
    """Per-example (n,) float64 tensors.

    ``phi_upper``: sound upper bound of :math:`\\phi_\\gamma(x_i)` (allowance included).
    ``phi_lower``: rigorous lower value :math:`f^{\\rm lo}(\\hat z_i)` (or better, from the
    branch-and-bound). ``method``: int codes into :data:`METHODS`. ``radius``: :math:`R_i`.
    ``lipschitz``: :math:`G_i`. ``curvature``: :math:`L_i`. ``mu``: :math:`2\\gamma-L_i`.
    ``allowance``: the torch-evaluation allowance added. ``bnb_converged``: bool, True where
    branch-and-bound reached ``tol`` (False where it did not run or stopped at its budget).
    """

    phi_upper: object
    phi_lower: object
    method: object
    radius: object
    lipschitz: object
    curvature: object
    mu: object
    allowance: object
    bnb_converged: object
    global_lipschitz: float
    bnb_boxes: int = 0

    def fractions(self) -> dict[str, float]:
        """Fraction of examples certified by each argument."""
        n = max(1, int(self.method.numel()))
        return {name: float((self.method == k).sum()) / n for k, name in enumerate(METHODS)}


def strong_concavity_bound(f_hat, grad_norm, mu):
    """:math:`f(\\hat z)+\\lVert\\nabla f(\\hat z)\\rVert_2^2/(2\\mu)`: the maximum of a
    :math:`\\mu`-strongly concave :math:`f` is at most this (from
    :math:`f(z)\\le f(\\hat z)+\\nabla f(\\hat z)^\\top(z-\\hat z)-\\tfrac\\mu2\\lVert z-\\hat z\\rVert^2`,
    maximised over :math:`z`); equality for the quadratic :math:`c-\\tfrac\\mu2\\lVert z-a\\rVert^2`.
    Inputs are upper bounds of :math:`f(\\hat z)` and :math:`\\lVert\\nabla f\\rVert` and a lower bound
    of :math:`\\mu>0`; the result is rounded up."""
    v = f_hat + grad_norm * grad_norm / (2.0 * mu)
    return v + v.abs() * (8 * U) + TINY


#: (L0, L1) of each activation (sup |sigma'|, sup |sigma''|), rounded up; the Softplus entry is
#: multiplied by beta. Derivations: docs/math/sinha.md, Corollary 4.
_ACT_L = {"elu": (1.0, 1.0), "tanh": (1.0, math.nextafter(4.0 / (3.0 * math.sqrt(3.0)), math.inf)),
          "sigmoid": (0.25, math.nextafter(math.sqrt(3.0) / 18.0, math.inf)), "softplus": (1.0, 0.25)}


def corollary4_tight(net: ChainNet) -> float:
    """Corollary 4 with the tightened loss constant, :math:`\\sqrt2\\,\\beta_L+\\alpha_L^2/2`
    (the softmax cross-entropy Hessian w.r.t. the logits, :math:`\\operatorname{diag}p-pp^\\top`,
    has norm at most :math:`\\tfrac12`), from rigorous layer norms and the recursion
    :math:`\\alpha\\leftarrow L^0\\lVert W\\rVert\\alpha`,
    :math:`\\beta\\leftarrow L^0\\lVert W\\rVert\\beta+\\frac{L^1}{(L^0)^2}\\alpha^2`; every step rounded up.
    A global upper bound on :math:`\\lambda_{\\max}(\\nabla^2_z\\ell)` (in fact on its norm)."""
    a, b = 1.0, 0.0
    up = 1 + 8 * U
    for op, nrm in zip(net.ops, net.opnorms):
        if op[0] != "act":  # linear, conv (norm bounds in net.opnorms) or padding (norm 1)
            a, b = a * nrm * up, b * nrm * up
        else:
            l0, l1 = _ACT_L[op[1]]
            if op[1] == "softplus":
                l1 = l1 * op[2] * up
            a = a * l0 * up
            b = (l0 * b + l1 / (l0 * l0) * a * a) * up * up
    return (math.sqrt(2.0) * up * b + a * a / 2.0) * up * up + TINY


def global_lipschitz(net: ChainNet) -> float:
    """:math:`G_0=\\sqrt2\\prod_k L^0_k\\lVert W_k\\rVert_2` (rigorous, rounded up)."""
    g = math.sqrt(2.0) * (1 + 2 * U)
    for op, nrm in zip(net.ops, net.opnorms):
        if op[0] == "linear":
            g *= opnorm_upper(op[1]) * (1 + 4 * U)
        elif op[0] != "act":  # conv (rigorous bound in net.opnorms) or padding (norm 1)
            g *= nrm * (1 + 4 * U)
        elif op[1] == "sigmoid":
            g *= 0.25
    return g * (1 + 8 * U) + TINY


def _norm_up(lo, hi):
    import torch

    a = torch.maximum(lo.abs(), hi.abs())
    return (a * a).sum(1).sqrt() * (1 + 2 * gamma_n(a.shape[1] + 4)) + TINY


def _grad_norm_on(net, enc):
    """Upper bound on :math:`\\sup\\lVert\\nabla_z\\ell\\rVert` from a ball/box enclosure."""
    import torch

    glo, ghi = grad_z(net, enc.grad_u1)
    a = _norm_up(glo, ghi)
    b = _norm_up(*enc.grad_u1) * net.w1_norm
    return torch.minimum(a, b)


def _curvature(net, enc):
    """Upper bound on :math:`\\sup\\lambda_{\\max}(\\nabla^2_z\\ell)` from an enclosure with Hessian."""
    import torch

    from checker.certify.propagate import _cr

    w = net.w1_norm
    if enc.hess_u1 is None:  # convolutional chains: the structure bound only
        lamK = enc.lam_struct
        best = torch.clamp(lamK, min=0.0) * (w * w) * (1 + 8 * U) + TINY
        return torch.minimum(best, torch.full_like(best, corollary4_tight(net)))
    Klo, Khi = enc.hess_u1
    # (c) ||W1||^2 max(lambda_max(K), 0): cheap, loose when W1 is far from an isometry
    lamK = torch.minimum(sym_lambda_max_upper(Klo, Khi), enc.lam_struct)
    best = torch.clamp(lamK, min=0.0) * (w * w) * (1 + 8 * U) + TINY
    # (d) the global bound (Corollary 4 with the CE-Hessian norm 1/2), valid everywhere
    best = torch.minimum(best, torch.full_like(best, corollary4_tight(net)))
    if net.d <= DENSE_HESSIAN_DIM:
        # (a) the entrywise enclosure of W1^T K W1 (exact where the radius is small)
        best = torch.minimum(best, sym_lambda_max_upper(*hess_z(net, enc.hess_u1)))
        # (b) Weyl: lambda_max(W1^T Kc W1) + ||W1||^2 ||Kr||_2, ||Kr||_2 <= max row sum
        Kc, Kr = _cr(Klo, Khi)
        Kc = (Kc + Kc.transpose(1, 2)) * 0.5
        Kr = Kr + (Kc - _cr(Klo, Khi)[0]).abs() * (1 + 4 * U) + TINY
        lam_c = sym_lambda_max_upper(*hess_z(net, (Kc, Kc)))
        kr = Kr.sum(2).max(1).values * (1 + 2 * gamma_n(Kr.shape[1] + 2)) + TINY
        b = (lam_c + kr * (w * w) * (1 + 8 * U)) * (1 + 8 * U) + TINY
        best = torch.minimum(best, b)
    return best


def shell_bound(net: ChainNet, x, y, R, *, gamma: float, l0_hi, shells: int = SHELLS, g_cap=None,
                crown: bool = False, crown_rounding: bool = True):
    """The shell-integrated fallback [D]: with radii :math:`0=s_0<s_1<\\dots<s_K=R`
    (:math:`s_k=R\\,2^{k-K}`) and :math:`G_k\\ge\\sup_{B(x,s_k)}\\lVert\\nabla\\ell\\rVert` (bound
    propagation on each ball), every :math:`z` with :math:`r=\\lVert z-x\\rVert\\in(s_{k-1},s_k]`
    satisfies :math:`\\ell(z)-\\ell(x)\\le\\int_0^r\\sup_{B(x,t)}\\lVert\\nabla\\ell\\rVert\\,dt
    \\le C_k+G_k(r-s_{k-1})` with :math:`C_k=\\sum_{j<k}G_j(s_j-s_{j-1})` (the segment from
    :math:`x` to :math:`z` stays in :math:`B(x,t)` up to length :math:`t`), and also
    :math:`\\ell(z)\\le\\ell^{\\rm hi}(B(x,s_k))`. So on the shell
    :math:`f\\le\\ell(x)+\\min\\{\\max_{r\\in[s_{k-1},s_k]}C_k+G_k(r-s_{k-1})-\\gamma r^2,\\;
    \\ell^{\\rm hi}(B(x,s_k))-\\ell(x)-\\gamma s_{k-1}^2\\}`, and :math:`\\phi_\\gamma(x)` is at
    most the largest shell value (the maximiser lies in :math:`B(x,R)`). Inner shells, where the
    enclosures are narrow, make this much tighter than :math:`\\ell(x)+G^2/(4\\gamma)` for
    convolutional networks. With ``crown`` a third bound joins the minimum on every shell: the
    linear upper bound :math:`\\ell\\le\\Lambda^\\top z+C` on :math:`B(x,s_k)`
    (:mod:`checker.certify.crown`) maximised against :math:`\\gamma r^2` over
    :math:`r\\in[s_{k-1},s_k]` (``crown_rounding=False`` is UNSOUND, for negative controls only).
    Every step is rounded up."""
    import torch

    n = x.shape[0]
    up = 1 + 16 * U
    C = torch.zeros(n, dtype=x.dtype)
    prev = torch.zeros(n, dtype=x.dtype)
    best = torch.full((n,), -math.inf, dtype=x.dtype)
    for k in range(shells, 0, -1):
        s_k = R * (2.0 ** (1 - k)) if k > 1 else R
        s_k = s_k * up + TINY if k > 1 else R  # outermost shell is exactly the proved ball
        box = ball_to_u1(net, x, s_k)
        enc = enclose(net, *box, y, hessian=False)  # pragma: no mutate[const:bool -> True]: the same loss and gradient enclosures, plus an unused Hessian (test_tightness checks the equality)
        G = _grad_norm_on(net, enc) * up + TINY
        if g_cap is not None:  # a Lipschitz bound on the whole ball B(x, R) holds on every shell
            G = torch.minimum(G, g_cap)
        a, b = prev, s_k
        vertex = G / (2.0 * gamma)
        # max over r in [a, b] of C + G (r - a) - gamma r^2 (concave): at the vertex when it lies
        # in [a, b] (decided with slack: the unconstrained maximum is always an upper bound)
        free = C - G * a + G * G / (4.0 * gamma)
        at_a = C - gamma * a * a
        at_b = C + G * (b - a) - gamma * b * b
        inside = (vertex >= a * (1 - 1e-9)) & (vertex <= b * (1 + 1e-9))
        v1 = torch.where(inside, free, torch.where(vertex < a, at_a, at_b))
        mag = C.abs() + G * b + gamma * b * b + G * G / (4.0 * gamma)
        v1 = v1 + mag * (32 * U) + TINY
        v2 = torch.clamp(enc.loss[1] - l0_hi, min=0.0) - gamma * a * a * (1 - 8 * U)
        v2 = v2 + (enc.loss[1].abs() + l0_hi.abs() + gamma * a * a) * (16 * U) + TINY
        v = torch.minimum(v1, v2)
        if crown:
            Lam, Cc = linear_loss_bound(net, *box, x.abs() + s_k[:, None], y, x=x, s=s_k,
                                        rounding=crown_rounding)
            v3 = shell_max(Lam, Cc, x, a, b, gamma=gamma, rounding=crown_rounding) - l0_hi
            v3 = v3 + (v3.abs() + l0_hi.abs()) * (4 * U) + TINY
            v = torch.minimum(v, torch.where(torch.isnan(v3), torch.full_like(v3, math.inf), v3))
        best = torch.maximum(best, v)
        C = (C + G * (b - a)) * up + TINY
        prev = b
    out = l0_hi + torch.clamp(best, min=0.0)
    return out + out.abs() * (8 * U) + TINY


def local_bounds(net: ChainNet, x, y, z_hat, *, gamma: float, bnb: bool = True, tol: float | None = None,
                 radius_iters: int = RADIUS_ITERS, global_g: float | None = None,
                 bnb_max_iters: int = 60, radius_scale: float = 1.0, shells: int = SHELLS,
                 crown: bool = False) -> LocalBounds:
    """Sound per-example bounds for the rows of ``x`` (n, d), labels ``y``, ascent solutions
    ``z_hat`` (n, d); see the module docstring. ``bnb``: run branch-and-bound for ``d <= 3`` on
    the examples whose bound is more than ``tol`` above the lower value. ``global_g``: a
    precomputed :func:`global_lipschitz` (cache it across a gamma sweep). ``radius_scale``
    multiplies the proved radius: values below 1 make the bounds UNSOUND and exist only for the
    negative controls of the test suite. ``shells``: number of shells of the shell-integrated
    fallback (:func:`shell_bound`; 0 switches it off). ``crown``: also use the linear
    (CROWN-style) bound of :mod:`checker.certify.crown` on every shell (the smallest of the sound
    bounds is kept per shell, so the result is never larger than without it)."""
    import torch

    from checker.certify.bnb import BNB_TOL, MAX_DIM, branch_and_bound, point_values

    tol = BNB_TOL if tol is None else tol
    n, d = x.shape
    g0 = global_lipschitz(net) if global_g is None else global_g
    R = torch.full((n,), g0 / gamma * (1 + 4 * U) + TINY, dtype=x.dtype)
    G = torch.full((n,), g0, dtype=x.dtype)
    # point enclosures at the ascent's solutions and at the data points, in one pass
    pv = point_values(net, torch.cat([z_hat, x]), torch.cat([x, x]), torch.cat([y, y]), gamma)
    zf_lo, zf_hi, zg_lo, zg_hi = (t[:n] for t in pv[:4])
    fx_lo, fx_hi, gxlo, gxhi, lx_lo, lx_hi = (t[n:] for t in pv)
    l0_lo = lx_lo
    for _ in range(radius_iters):
        enc = enclose(net, *ball_to_u1(net, x, R), y, hessian=False)
        Gk = torch.minimum(_grad_norm_on(net, enc), G)
        # gamma r^2 <= l(z) - l(x) <= min(G r, l_hi(ball) - l_lo(x))
        rise = torch.clamp(enc.loss[1] - l0_lo, min=0.0) * (1 + 4 * U) + TINY
        Rk = torch.minimum(Gk / gamma, (rise / gamma).sqrt() * (1 + 4 * U)) * (1 + 4 * U) + TINY
        G = Gk
        if bool((Rk >= R * (1 - RADIUS_REL_STOP)).all()):
            R = torch.minimum(R, Rk)
            break
        R = torch.minimum(R, Rk)
    R = R * radius_scale
    enc = enclose(net, *ball_to_u1(net, x, R), y, hessian=True)
    G = torch.minimum(G, _grad_norm_on(net, enc))
    L = _curvature(net, enc)
    mu = 2.0 * gamma - L
    mu = mu - mu.abs() * (4 * U) - TINY
    # the ascent's point must lie in the ball (it does for any z with f(z) >= f(x)); else use x
    dz = z_hat - x
    inball = (dz * dz).sum(1) * (1 + 2 * gamma_n(d + 4)) <= R * R * (1 - 8 * U)
    ib = inball[:, None]
    f_lo, f_hi = torch.where(inball, zf_lo, fx_lo), torch.where(inball, zf_hi, fx_hi)
    glo, ghi = torch.where(ib, zg_lo, gxlo), torch.where(ib, zg_hi, gxhi)
    lower = torch.maximum(f_lo, fx_lo)
    inf = torch.full_like(f_hi, math.inf)
    gn = _norm_up(glo, ghi)
    pos = mu > 0
    local = torch.where(pos, strong_concavity_bound(f_hi, gn, torch.where(pos, mu, torch.ones_like(mu))), inf)
    fb1 = lx_hi + G * G / (4.0 * gamma)
    g0n = _norm_up(gxlo, gxhi)  # gradient of f at x = gradient of l at x
    curv = L / 2.0 - gamma
    fb2 = torch.where(curv >= 0, lx_hi + g0n * R + curv * R * R, inf)
    fb = torch.minimum(fb1, fb2)
    fb = fb + fb.abs() * (8 * U) + TINY
    if shells:
        fb = torch.minimum(fb, shell_bound(net, x, y, R, gamma=gamma, l0_hi=lx_hi, shells=shells, g_cap=G,
                                           crown=crown))
    best = torch.minimum(local, fb)
    method = torch.where(local <= fb, 0, 2)
    bnb_conv = torch.zeros(n, dtype=torch.bool)
    boxes = 0
    if bnb and d <= MAX_DIM and net.dense:
        need = (best - lower) > tol
        if bool(need.any()):
            idx = need.nonzero().squeeze(1)
            res = branch_and_bound(net, x[idx], y[idx], gamma=gamma, radius=R[idx], lower=lower[idx],
                                   tol=tol, max_iters=bnb_max_iters)
            boxes = res.boxes
            lower = lower.clone()
            lower[idx] = torch.maximum(lower[idx], res.lower)
            better = res.upper < best[idx]
            best = best.clone()
            best[idx] = torch.where(better, res.upper, best[idx])
            method = method.clone()
            method[idx] = torch.where(better, 1, method[idx])
            bnb_conv[idx] = res.converged
    allowance = torch_evaluation_allowance(net, x, R, gamma=gamma)
    upper = best + allowance
    upper = upper + upper.abs() * (4 * U) + TINY
    return LocalBounds(phi_upper=upper, phi_lower=lower, method=method, radius=R, lipschitz=G,
                       curvature=L, mu=mu, allowance=allowance, bnb_converged=bnb_conv,
                       global_lipschitz=g0, bnb_boxes=boxes)
