r"""Shared pieces of the norm-ball attacks (FGM, IFGM, PGM): input gradients, the steepest
ascent direction under a norm, projection onto a ball and uniform sampling in it.

* Steepest ascent [P eq. (3)]: :math:`\arg\max_{\lVert\eta\rVert_p\le 1} g^\top\eta` is
  :math:`g/\lVert g\rVert_2` for :math:`p=2` and :math:`\operatorname{sign}(g)` for
  :math:`p=\infty` (an example with :math:`g = 0` gets :math:`\eta = 0`).
* Projection onto :math:`\{\lVert\delta\rVert_p\le\epsilon\}`: rescale by
  :math:`\min(1, \epsilon/\lVert\delta\rVert_2)` for :math:`p=2`; clamp each coordinate for
  :math:`p=\infty`.
* Uniform sample in the :math:`\ell_2` ball of :math:`\mathbb{R}^d` [D, standard]: a Gaussian
  direction, normalised, times :math:`\epsilon U^{1/d}`, :math:`U\sim\mathrm{Unif}(0,1)`
  (torchattacks' PGDL2 draws the radius as :math:`\epsilon U`, which is not uniform); in the :math:`\ell_\infty` ball,
  independent :math:`\mathrm{Unif}(-\epsilon,\epsilon)` coordinates.

Every function works per example on any shape ``(N, ...)``.
"""

from __future__ import annotations

from checker.errors import InvalidArgument
from checker.validate import one_of

__all__ = ["NORMS", "check_norm", "input_gradient", "per_example_norm", "ascent_direction",
           "project", "uniform_ball", "apply_clip", "check_clip"]

NORMS = ("2", "inf")


def check_norm(norm) -> str:
    """``"2"`` or ``"inf"`` (also accepts the numbers 2 and ``float("inf")``)."""
    if not isinstance(norm, str):
        if norm == 2:
            return "2"
        if norm == float("inf"):
            return "inf"
        norm = str(norm)
    return one_of("norm", norm, NORMS)


def _view(v, x):
    return v.reshape((x.shape[0],) + (1,) * (x.ndim - 1))


def per_example_norm(d, norm: str):
    flat = d.reshape(d.shape[0], -1)
    return flat.norm(dim=1) if norm == "2" else flat.abs().amax(dim=1)


def input_gradient(model, z, y, loss_fn):
    """:math:`\\nabla_z \\sum_i \\ell(\\theta; z_i)` (each row its own example's gradient).

    The caller must hold :func:`checker.wrm._mode.frozen_eval` (no parameter gradients)."""
    import torch

    with torch.enable_grad():
        zz = z.detach().requires_grad_(True)
        loss = loss_fn(model(zz), y)
        if tuple(loss.shape) != (z.shape[0],):
            raise InvalidArgument("loss_fn", tuple(loss.shape), f"must return per-example losses of shape ({z.shape[0]},)")
        (g,) = torch.autograd.grad(loss.sum(), zz)
    return g


def ascent_direction(g, norm: str):
    """Unit-budget maximiser of :math:`g^\\top\\eta` over the ``norm`` unit ball."""
    import torch

    if norm == "inf":
        return torch.sign(g)
    n = per_example_norm(g, "2")
    safe = torch.where(n > 0, n, torch.ones_like(n))
    return torch.where(_view(n > 0, g), g / _view(safe, g), torch.zeros_like(g))


def project(delta, eps: float, norm: str):
    """Euclidean projection of each example's ``delta`` onto the ``eps``-ball of ``norm``."""
    import torch

    if norm == "inf":
        return delta.clamp(-eps, eps)
    n = per_example_norm(delta, "2")
    factor = torch.where(n > eps, eps / torch.where(n > 0, n, torch.ones_like(n)), torch.ones_like(n))
    return delta * _view(factor, delta)


def uniform_ball(like, eps: float, norm: str, generator=None):
    """A sample uniform in the ``eps``-ball of ``norm``, one per example, shaped like ``like``."""
    import torch

    dev, dt = like.device, like.dtype
    if norm == "inf":
        u = torch.rand(like.shape, generator=generator, device=dev, dtype=dt)
        return (2 * u - 1) * eps
    d = like[0].numel()
    g = torch.randn(like.shape, generator=generator, device=dev, dtype=dt)
    direction = g / _view(per_example_norm(g, "2"), like)
    u = torch.rand((like.shape[0],), generator=generator, device=dev, dtype=dt)
    return direction * _view(eps * u.pow(1.0 / d), like)


def check_clip(clip, x):
    """Validate an optional data box ``(lo, hi)`` and that ``x`` lies inside it."""
    if clip is None:
        return None
    lo, hi = (float(c) for c in clip)
    if not lo < hi:
        raise InvalidArgument("clip", clip, "must be (lo, hi) with lo < hi")
    if bool((x < lo).any()) or bool((x > hi).any()):
        raise InvalidArgument("clip", clip, "must contain the clean inputs x")
    return lo, hi


def apply_clip(z, clip):
    """Clamp into the data box. When ``x`` lies in the box this only moves coordinates towards
    ``x``, so it never breaks an ℓ2 or ℓ∞ budget."""
    return z if clip is None else z.clamp(clip[0], clip[1])
