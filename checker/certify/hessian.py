r"""Per-example estimates of the largest input-Hessian eigenvalue, by power iteration.

Paper: Sinha, Namkoong, Duchi, ICLR 2018 (arXiv 1710.10571), §2.1: concavity "can be
approximately verified by computing Hessians :math:`\nabla^2_{zz}\ell(\theta,z)` for each
training datapoint"; camera-ready App. A.4: at :math:`\gamma = 0.02\,C_2` the inner problem "is no
longer strongly concave for over 10% of the data" (docs/math/sinha.md).
For the cost :math:`c=\lVert z-x\rVert_2^2` the inner objective
:math:`f(z)=\ell(\theta;z)-\gamma\lVert z-x\rVert^2` has Hessian :math:`H(z)-2\gamma I`, so it is
locally strongly concave at :math:`z` iff :math:`\lambda_{\max}(H(z)) < 2\gamma` ([D], §2.1).

.. math::

    H_i = \nabla^2_{zz}\,\ell(\theta; (z_i, y_i)),\qquad
    \hat\lambda_i = \frac{v^\top H_i v}{v^\top v}\ \ (\text{Rayleigh quotient}) \le \lambda_{\max}(H_i).

Method [R]: Hessian-vector products by double backward (``torch.autograd``), all examples at
once (the per-example losses are summed; in eval mode examples do not interact, so each block
of the product is that example's own). Step 1: power iteration on :math:`H_i` estimates the
dominant magnitude :math:`s_i\approx\max|\lambda(H_i)|`. Step 2: power iteration on the shifted
:math:`H_i + s_i I` and :math:`\hat\lambda_i = ` its Rayleigh quotient minus :math:`s_i`.

What the numbers are: every Rayleigh quotient lies in :math:`[\lambda_{\min},\lambda_{\max}]`
(exact arithmetic), so :math:`\hat\lambda_i \le \lambda_{\max}(H_i)` and
:math:`|\hat\lambda_i|\le\lVert H_i\rVert\le L_{zz}`. Hence a point with
:math:`\hat\lambda_i\ge 2\gamma` *certainly* lacks strong concavity there (up to float64
rounding) and the reported fraction is a lower estimate of the true fraction; a point with
:math:`\hat\lambda_i<2\gamma` is only *estimated* to be strongly concave (power iteration may not
have converged). These estimates never make a certificate sound; they are a diagnostic and a
consistency check against the certified bounds (global :math:`L_{zz}` or local curvature).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from checker.validate import positive_int

__all__ = ["HessianEstimate", "hessian_lambda_max", "hvp_function"]


@dataclass(frozen=True, kw_only=True)
class HessianEstimate:
    """Per-example estimates at the given points (tensors of shape (n,)).

    ``lambda_max``: Rayleigh-quotient estimate of :math:`\\lambda_{\\max}(H_i)` (a lower estimate).
    ``abs_max``: estimate of :math:`\\max|\\lambda(H_i)| = \\lVert H_i\\rVert` (a lower estimate).
    ``iters``: power iterations per stage.
    """

    lambda_max: object
    abs_max: object
    iters: int

    def fraction_at_least(self, threshold: float) -> float:
        """Fraction of examples with :math:`\\hat\\lambda_i \\ge` ``threshold``."""
        return float((self.lambda_max >= threshold).double().mean())


def hvp_function(model, z, y, loss_fn: Callable | None = None):
    """``v -> H v`` for the per-example Hessians of ``loss_fn(model(z), y)`` w.r.t. ``z``."""
    import torch

    from checker.wrm.inner import default_loss

    loss_fn = default_loss if loss_fn is None else loss_fn
    with torch.enable_grad():
        zz = z.detach().requires_grad_(True)
        loss = loss_fn(model(zz), y).sum()
        (g,) = torch.autograd.grad(loss, zz, create_graph=True)

    def hvp(v):
        with torch.enable_grad():
            if not g.requires_grad:  # loss is linear in z (e.g. a purely linear model): H = 0
                return torch.zeros_like(v)
            (hv,) = torch.autograd.grad(g, zz, grad_outputs=v, retain_graph=True,
                                        allow_unused=True)
        return torch.zeros_like(v) if hv is None else hv.detach()

    return hvp


def _flat_dot(a, b):
    n = a.shape[0]
    return (a.reshape(n, -1) * b.reshape(n, -1)).sum(dim=1)


def _normalise(v):
    n = v.shape[0]
    nrm = v.reshape(n, -1).norm(dim=1)
    safe = _positive_or_one(nrm)
    return v / safe.reshape((n,) + (1,) * (v.ndim - 1)), nrm


def _positive_or_one(nrm):
    import torch

    return torch.where(nrm > 0, nrm, torch.ones_like(nrm))


def hessian_lambda_max(model, z, y, *, iters: int = 30, seed: int = 0,
                       loss_fn: Callable | None = None) -> HessianEstimate:
    """Estimate :math:`\\lambda_{\\max}(\\nabla^2_{zz}\\ell)` at every row of ``z`` (batched).

    ``model`` is used as given (call it inside :func:`checker.wrm._mode.frozen_eval` or put it
    in eval mode); the dtype and device are those of ``z``.
    """
    import torch

    iters = positive_int("iters", iters)
    hvp = hvp_function(model, z, y, loss_fn)
    gen = torch.Generator().manual_seed(int(seed))
    v0 = torch.randn(z.shape, generator=gen, dtype=torch.float64).to(dtype=z.dtype, device=z.device)
    v, _ = _normalise(v0)
    n = z.shape[0]
    # Stage 1: dominant magnitude.
    abs_max = torch.zeros(n, dtype=z.dtype, device=z.device)
    for _ in range(iters):
        hv = hvp(v)
        v_new, nrm = _normalise(hv)
        abs_max = torch.maximum(abs_max, nrm)
        keep = (nrm > 0).reshape((n,) + (1,) * (v.ndim - 1))
        v = torch.where(keep, v_new, v)
    # Stage 2: shifted iteration for the largest algebraic eigenvalue, from three starts (the
    # first random vector, a second random vector and stage 1's vector): a single start can be
    # nearly orthogonal to the top eigenvector, and every Rayleigh quotient is a lower estimate
    # of lambda_max, so their maximum is too.
    shift = abs_max.reshape((n,) + (1,) * (z.ndim - 1))
    v1 = torch.randn(z.shape, generator=gen, dtype=torch.float64).to(dtype=z.dtype, device=z.device)
    lam = torch.full((n,), -float("inf"), dtype=z.dtype, device=z.device)
    for start in (v0, v1, v):
        u, _ = _normalise(start)
        for _ in range(iters):
            hu = hvp(u)
            lam = torch.maximum(lam, _flat_dot(u, hu))  # Rayleigh quotient of H (u is a unit vector)
            w = hu + shift * u
            u_new, nrm = _normalise(w)
            keep = (nrm > 0).reshape((n,) + (1,) * (u.ndim - 1))
            u = torch.where(keep, u_new, u)
        lam = torch.maximum(lam, _flat_dot(u, hvp(u)))
    # Rayleigh quotients are also lower estimates of the norm.
    abs_max = torch.maximum(abs_max, lam.abs())
    return HessianEstimate(lambda_max=lam.detach(), abs_max=abs_max.detach(), iters=iters)
