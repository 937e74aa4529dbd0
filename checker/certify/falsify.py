r"""Attacks that try to exceed a certificate: falsifiers for Theorem 3's bound.

Paper: Sinha, Namkoong, Duchi, ICLR 2018 (arXiv 1710.10571), weak duality behind Theorem 3
(docs/math/sinha.md); attack practice from neural-network verifiers
(dense sampling, attacks as falsifiers, witness replay) [R].

Any per-example perturbation :math:`z_i` of the data defines a distribution
:math:`P=\frac1n\sum_i\delta_{z_i}` with :math:`W_c(P,\hat P_n)\le\rho_{\rm attack}:=\frac1n\sum_i
\lVert z_i-x_i\rVert_2^2` (the identity coupling), so a sound certificate must satisfy

.. math::

    \frac1n\sum_i \ell(\theta; z_i) \;\le\; \gamma\,\rho_{\rm attack} + \frac1n\sum_i\phi_i,
    \qquad\text{and even pointwise}\quad
    \ell(\theta;z_i) - \gamma\lVert z_i-x_i\rVert^2 \le \phi_i ,

because :math:`\phi_\gamma(x_i)` is a supremum over :math:`z`. The *margin* of an attack is
right side minus left side; a margin below ``-CERTIFICATE_ABS`` is a violation (a witness, which
is replayed: the loss is recomputed from the returned points).

Attacks (one function each, uniform signature ``(model, x, y, ...) -> z``):

* :func:`wrm_ascent` — Lagrangian (WRM) gradient ascent on
  :math:`\ell(z)-\gamma\lVert z-x\rVert^2` from many random starts; keeps each example's best.
* :func:`pgm_l2` — projected gradient ascent of the loss in an :math:`\ell_2` ball of radius
  :math:`\epsilon` (the transport budget is then :math:`\rho_{\rm attack}\le\epsilon^2`).
* :func:`random_search` — random directions on spheres of several radii (Lagrangian objective).
* :func:`grid_search` — exhaustive grid around each point, inputs of 1 or 2 features only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checker.errors import InvalidArgument
from checker.tolerances import CERTIFICATE_ABS
from checker.validate import nonnegative, positive, positive_int

__all__ = ["AttackOutcome", "FalsifyReport", "lagrangian", "wrm_ascent", "pgm_l2",
           "random_search", "grid_search", "evaluate_attack", "falsify", "ATTACKS"]

ATTACKS = ("wrm", "pgm", "random", "grid")


@dataclass(frozen=True, kw_only=True)
class AttackOutcome:
    """One attack distribution compared with the certificate.

    ``rho``: its transport cost; ``loss_mean``: :math:`\\mathbb{E}_P\\ell`; ``bound``:
    ``certificate.at(rho)``; ``margin = bound - loss_mean``; ``pointwise_margin``:
    :math:`\\min_i \\phi_i - (\\ell(z_i)-\\gamma c_i)`; ``violated``: either margin below
    ``-CERTIFICATE_ABS``.
    """

    attack: str
    rho: float
    loss_mean: float
    bound: float
    margin: float
    pointwise_margin: float
    violated: bool


@dataclass(frozen=True, kw_only=True)
class FalsifyReport:
    """All attacks run against one certificate; ``worst_margin`` is the smallest margin found."""

    outcomes: tuple[AttackOutcome, ...]
    worst_margin: float
    worst_pointwise_margin: float
    violated: bool
    certificate_sound: bool

    @property
    def summary(self) -> str:
        kinds = sorted({o.attack.split("[")[0] for o in self.outcomes})
        verdict = "VIOLATED" if self.violated else "not exceeded"
        return (f"certificate {verdict} by {len(self.outcomes)} attack distributions "
                f"({', '.join(kinds)}); worst margin {self.worst_margin:.3g}, worst pointwise "
                f"margin {self.worst_pointwise_margin:.3g} (tested, not proved)")


def _loss(model, z, y, loss_fn=None):
    from checker.wrm.inner import default_loss

    return (default_loss if loss_fn is None else loss_fn)(model(z), y)


def lagrangian(model, z, x, y, gamma: float, loss_fn=None):
    """Per-example :math:`\\ell(\\theta;z)-\\gamma\\lVert z-x\\rVert_2^2` (no gradient)."""
    import torch

    from checker.wrm.inner import transport_cost

    with torch.no_grad():
        return _loss(model, z, y, loss_fn) - gamma * transport_cost(z, x)


def _grad(model, z, x, y, gamma, loss_fn=None):
    import torch

    from checker.wrm.inner import transport_cost

    with torch.enable_grad():
        zz = z.detach().requires_grad_(True)
        obj = _loss(model, zz, y, loss_fn) - gamma * transport_cost(zz, x)
        (g,) = torch.autograd.grad(obj.sum(), zz)
    return obj.detach(), g


def _bcast(v, like):
    return v.reshape((v.shape[0],) + (1,) * (like.ndim - 1))


def wrm_ascent(model, x, y, *, gamma: float, starts: int = 8, steps: int = 200,
               step_size: float | None = None, spread: float = 1.0, seed: int = 0, loss_fn=None):
    """Best-of-``starts`` Lagrangian ascent; the first start is ``x`` itself, the others
    ``x + spread * N(0, I)``; all starts run in one batch. Returns the per-example best ``z``."""
    gamma = positive("gamma", gamma)
    starts, steps = positive_int("starts", starts), positive_int("steps", steps)
    eta = 1.0 / (2.0 * gamma) if step_size is None else positive("step_size", step_size)
    return _wrm_multi(model, x, y, gamma=gamma, starts=starts, steps=steps, eta=eta,
                      spreads=(spread,), seed=seed, loss_fn=loss_fn)[0]


def _wrm_multi(model, x, y, *, gamma, starts, steps, eta, spreads, seed, loss_fn):
    """:func:`wrm_ascent` for several ``spreads`` at once (one batch of
    ``len(spreads) * starts * n`` rows; the same noise draws as separate calls)."""
    import torch

    from checker.threads import threads_for

    gen = torch.Generator().manual_seed(int(seed))
    n = x.shape[0]
    noise = torch.stack([torch.randn(x.shape, generator=gen, dtype=torch.float64)
                         for _ in range(starts)]).to(x)
    noise[0] = 0.0
    k = len(spreads)
    scale = torch.tensor(spreads, dtype=x.dtype, device=x.device).reshape((k, 1, 1) + (1,) * (x.ndim - 1))
    z = (x.unsqueeze(0).unsqueeze(0) + scale * noise.unsqueeze(0)).reshape((k * starts * n,) + tuple(x.shape[1:]))
    xs = x.repeat((k * starts,) + (1,) * (x.ndim - 1))
    ys = y.repeat(k * starts)
    with threads_for(model):
        for _ in range(steps):
            _, g = _grad(model, z, xs, ys, gamma, loss_fn)
            z = z + eta * g
        f = lagrangian(model, z, xs, ys, gamma, loss_fn).reshape(k, starts, n)
        f0 = lagrangian(model, x, x, y, gamma, loss_fn)
    zz = z.reshape((k, starts) + tuple(x.shape))
    out = []
    for i in range(k):
        best = f[i].argmax(0)
        best_z = zz[i][best, torch.arange(n)]
        keep_x = f0 >= f[i].max(0).values
        out.append(torch.where(_bcast(keep_x, x), x, best_z))
    return out


def pgm_l2(model, x, y, *, eps: float, steps: int = 50, step_size: float | None = None,
           loss_fn=None):
    """Projected gradient ascent of the loss in the :math:`\\ell_2` ball of radius ``eps``
    around each example (normalised-gradient steps of ``step_size``, default ``2.5 eps/steps``)."""
    eps = nonnegative("eps", eps)
    steps = positive_int("steps", steps)
    if step_size is not None:
        step_size = positive("step_size", step_size)
    if eps == 0:
        return x.clone()
    return _pgm_multi(model, x, y, eps_list=(eps,), steps=steps, step_size=step_size, loss_fn=loss_fn)[0]


def _pgm_multi(model, x, y, *, eps_list, steps, step_size=None, loss_fn=None):
    """:func:`pgm_l2` for several radii at once (one batch of ``len(eps_list) * n`` rows)."""
    import torch

    k, n = len(eps_list), x.shape[0]
    xs = x.repeat((k,) + (1,) * (x.ndim - 1))
    ys = y.repeat(k)
    eps = torch.tensor(eps_list, dtype=x.dtype, device=x.device).repeat_interleave(n)
    alpha = 2.5 * eps / steps if step_size is None else torch.full_like(eps, step_size)
    m = k * n
    z = xs.clone()
    for _ in range(steps):
        with torch.enable_grad():
            zz = z.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(_loss(model, zz, ys, loss_fn).sum(), zz)
        gn = g.reshape(m, -1).norm(dim=1)
        gn = torch.where(gn > 0, gn, torch.ones_like(gn))
        z = z + _bcast(alpha, g) * g / _bcast(gn, g)  # this order: alpha/gn overflows for tiny gn
        d = z - xs
        dn = d.reshape(m, -1).norm(dim=1)
        scale = torch.clamp(eps / torch.where(dn > 0, dn, torch.ones_like(dn)), max=1.0)
        z = xs + d * _bcast(scale, d)
    z = z.detach().reshape((k,) + tuple(x.shape))
    return [torch.where(_bcast(torch.full((n,), e > 0, device=x.device), x), z[i], x)
            for i, e in enumerate(eps_list)]


def random_search(model, x, y, *, gamma: float, samples: int = 256,
                  radii: Sequence[float] = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6), seed: int = 0,
                  loss_fn=None):
    """Random directions on spheres of the given radii; per-example best Lagrangian value."""
    import torch

    gamma = positive("gamma", gamma)
    samples = positive_int("samples", samples)
    gen = torch.Generator().manual_seed(int(seed))
    n = x.shape[0]
    best_z, best_f = x.clone(), lagrangian(model, x, x, y, gamma, loss_fn)
    per = max(1, samples // max(1, len(radii)))
    for r in radii:
        for _ in range(per):
            d = torch.randn(x.shape, generator=gen, dtype=torch.float64).to(x)
            d = d / _bcast(d.reshape(n, -1).norm(dim=1), d)
            z = x + float(r) * d
            f = lagrangian(model, z, x, y, gamma, loss_fn)
            better = f > best_f
            best_z = torch.where(_bcast(better, x), z, best_z)
            best_f = torch.where(better, f, best_f)
    return best_z


def grid_search(model, x, y, *, gamma: float, half_width: float = 2.0, points: int = 81,
                loss_fn=None):
    """Exhaustive grid of ``points`` per axis on :math:`[x-w, x+w]^d` around each example
    (``d = 1`` or ``2`` features); returns each example's best grid point."""
    import torch

    gamma = positive("gamma", gamma)
    points = positive_int("points", points)
    n = x.shape[0]
    d = x[0].numel()
    if d not in (1, 2):
        raise InvalidArgument("x", tuple(x.shape), "grid search needs inputs with 1 or 2 features")
    axis = torch.linspace(-half_width, half_width, points, dtype=torch.float64, device=x.device)
    if d == 1:
        offs = axis.reshape(-1, 1)
    else:
        a, b = torch.meshgrid(axis, axis, indexing="ij")
        offs = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)
    m = offs.shape[0]
    xf = x.reshape(n, d)
    z = (xf[:, None, :] + offs[None, :, :]).reshape(n * m, d)
    yy = y.repeat_interleave(m)
    xx = xf.repeat_interleave(m, dim=0)
    f = lagrangian(model, z.reshape((n * m,) + tuple(x.shape[1:])), xx.reshape((n * m,) + tuple(x.shape[1:])),
                   yy, gamma, loss_fn).reshape(n, m)
    idx = f.argmax(dim=1)
    best = z.reshape(n, m, d)[torch.arange(n), idx]
    return best.reshape(x.shape)


def evaluate_attack(certificate, model, x, y, z, *, name: str, loss_fn=None) -> AttackOutcome:
    """Replay the attack points ``z`` in float64 and compare them with ``certificate``."""
    import torch

    from checker.wrm.inner import transport_cost

    with torch.no_grad():
        loss = _loss(model, z, y, loss_fn).to("cpu", torch.float64)
        cost = transport_cost(z, x).to("cpu", torch.float64)
    g = certificate.gamma
    rho = float(cost.mean())
    loss_mean = float(loss.mean())
    bound = certificate.at(rho)
    margin = bound - loss_mean
    pointwise = float((certificate.phi - (loss - g * cost)).min())
    violated = margin < -CERTIFICATE_ABS or pointwise < -CERTIFICATE_ABS
    return AttackOutcome(attack=name, rho=rho, loss_mean=loss_mean, bound=bound, margin=margin,
                         pointwise_margin=pointwise, violated=violated)


def falsify(certificate, model, x, y, *, attacks: Sequence[str] = ATTACKS, seed: int = 0,
            quick: bool = True, pgm_eps: Sequence[float] | None = None, loss_fn=None) -> FalsifyReport:
    """Run ``attacks`` against ``certificate`` (computed by :func:`checker.certify.certify` on
    the same ``model``, ``x``, ``y``); ``grid`` is skipped for inputs with more than 2 features."""
    from checker.certify.certificate import validate_model_data
    from checker.validate import one_of

    for a in attacks:
        one_of("attack", a, ATTACKS)
    model64, x, y, _ = validate_model_data(model, x, y)
    if x.shape[0] != certificate.n:
        raise InvalidArgument("x", f"{x.shape[0]} examples", f"must be the certificate's {certificate.n} examples")
    from checker.threads import threads_for

    with threads_for(model64):  # small networks: one intra-op thread
        return _falsify(certificate, model64, x, y, attacks=attacks, seed=seed, quick=quick,
                        pgm_eps=pgm_eps, loss_fn=loss_fn)


def _falsify(certificate, model64, x, y, *, attacks, seed, quick, pgm_eps, loss_fn) -> FalsifyReport:
    g = certificate.gamma
    outcomes: list[AttackOutcome] = []
    starts, steps = (4, 100) if quick else (16, 400)
    if "wrm" in attacks:
        spreads = (0.3, 1.0)
        zs = _wrm_multi(model64, x, y, gamma=g, starts=starts, steps=steps, eta=1.0 / (2.0 * g),
                        spreads=spreads, seed=seed, loss_fn=loss_fn)  # both spreads in one batch
        for spread, z in zip(spreads, zs):
            outcomes.append(evaluate_attack(certificate, model64, x, y, z,
                                            name=f"wrm[spread={spread}]", loss_fn=loss_fn))
    if "pgm" in attacks:
        rho_hat = max(certificate.rho_hat, 1e-6)
        eps_list = pgm_eps if pgm_eps is not None else [
            (f * rho_hat) ** 0.5 for f in (0.25, 1.0, 4.0, 16.0)]
        eps_list = [nonnegative("pgm_eps", float(e)) for e in eps_list]
        zs = _pgm_multi(model64, x, y, eps_list=eps_list, steps=steps // 2, loss_fn=loss_fn)  # one batch
        for eps, z in zip(eps_list, zs):
            outcomes.append(evaluate_attack(certificate, model64, x, y, z,
                                            name=f"pgm[eps={float(eps):.3g}]", loss_fn=loss_fn))
    if "random" in attacks:
        z = random_search(model64, x, y, gamma=g, samples=96 if quick else 1024, seed=seed + 1,
                          loss_fn=loss_fn)
        outcomes.append(evaluate_attack(certificate, model64, x, y, z, name="random",
                                        loss_fn=loss_fn))
    if "grid" in attacks and x[0].numel() <= 2:
        z = grid_search(model64, x, y, gamma=g, points=61 if quick else 201, loss_fn=loss_fn)
        outcomes.append(evaluate_attack(certificate, model64, x, y, z, name="grid", loss_fn=loss_fn))
    worst = min(o.margin for o in outcomes)
    worst_pt = min(o.pointwise_margin for o in outcomes)
    return FalsifyReport(outcomes=tuple(outcomes), worst_margin=worst, worst_pointwise_margin=worst_pt,
                         violated=any(o.violated for o in outcomes),
                         certificate_sound=certificate.sound)
