r"""Assertions that try to *refute* a claim and fail with the counterexample they found.

Each assertion runs one of checker's attacks against a claim about **your** model, certificate,
generator or sample source. A failure is a concrete, replayed witness (the points, the
discriminator, the collision counts), printed in the message and attached to the exception as
``.counterexample``. A pass is *tested* evidence only: the attack did not beat the claim with
the effort it was given (:class:`checker.testing.profiles.Effort`), which is no proof.

* :func:`assert_phi_bound`: Sinha, Namkoong, Duchi (ICLR 2018), the Lagrangian surrogate

  .. math::

      \phi_\gamma(\theta; x) = \sup_z\ \ell(\theta; z) - \gamma\lVert z - x\rVert_2^2 ,

  so every point :math:`z_i` gives :math:`\phi_\gamma(x_i)\ge \ell(z_i)-\gamma\lVert z_i-x_i\rVert^2`
  and :math:`\mathbb E_n[\phi_\gamma]\ge \frac1n\sum_i \ell(z_i)-\gamma\lVert z_i-x_i\rVert^2`.
  A claimed upper bound below that mean (by more than ``CERTIFICATE_ABS``) is refuted.
* :func:`assert_certificate_sound`: Theorem 3's certificate
  :math:`\sup_{W_c(P,\hat P_n)\le\rho}\mathbb E_P\ell\le\gamma\rho+\mathbb E_n[\phi_\gamma]`, or
  any function ``rho -> bound`` of your own; each attack distribution
  :math:`P=\frac1n\sum_i\delta_{z_i}` has :math:`W_c(P,\hat P_n)\le\rho_{\rm attack}=\frac1n\sum_i\lVert z_i-x_i\rVert^2`.
* :func:`assert_fools`: Arora, Risteski, Zhang (ICLR 2018) Theorem 1's claim that
  :math:`(G, E)` :math:`\varepsilon`-fools bounded discriminators; trained discriminators whose
  held-out gap exceeds :math:`\varepsilon` with a Hoeffding lower confidence bound refute it.
* :func:`assert_support_at_least` / :func:`assert_support_at_most`: the birthday-paradox test's
  collision-count estimate of :math:`1/\sum_i p_i^2` (the support size when the output
  distribution is uniform; smaller otherwise), with an exact Poisson interval at confidence
  :math:`1-` ``STAT_ALPHA``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.errors import InvalidArgument
from checker.testing.profiles import Effort, current_effort
from checker.tolerances import CERTIFICATE_ABS, STAT_ALPHA

__all__ = ["CounterexampleFound", "PhiCounterexample", "CertificateCounterexample",
           "FoolingCounterexample", "SupportCounterexample", "assert_phi_bound",
           "assert_certificate_sound", "assert_fools", "assert_support_at_least",
           "assert_support_at_most"]

#: Rows of a counterexample printed in a failure message (the full one is on ``.counterexample``).
_SHOWN = 5


class CounterexampleFound(AssertionError):
    """A claim was refuted; ``counterexample`` holds the witness (a frozen dataclass)."""

    def __init__(self, message: str, counterexample: Any):
        super().__init__(message)
        self.counterexample = counterexample


@dataclass(frozen=True, kw_only=True)
class PhiCounterexample:
    """Points ``z`` whose mean Lagrangian exceeds the claimed bound on :math:`\\mathbb E_n[\\phi_\\gamma]`.

    ``values[i]`` :math:`=\\ell(z_i)-\\gamma\\lVert z_i-x_i\\rVert^2\\le\\phi_\\gamma(x_i)`, replayed in
    float64; ``lower = mean(values)``; ``attack[i]`` names the attack that found ``z[i]``.
    """

    gamma: float
    claimed: float
    lower: float
    z: Any = field(repr=False)
    values: Any = field(repr=False)
    loss: Any = field(repr=False)
    cost: Any = field(repr=False)
    attack: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CertificateCounterexample:
    """An attack distribution whose mean loss exceeds the certificate at its transport cost."""

    attack: str
    rho: float
    loss_mean: float
    bound: float
    pointwise_index: int | None
    z: Any = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class FoolingCounterexample:
    """A trained discriminator whose held-out gap exceeds ``eps`` with confidence ``1 - alpha``."""

    eps: float
    gap: float
    gap_ci_low: float
    n_test: int
    alpha: float
    discriminator: Any = field(repr=False)
    params: Any = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class SupportCounterexample:
    """Collision counts whose support estimate's interval excludes the claimed size."""

    claim: str
    estimate: float
    low: float
    high: float
    confidence: float
    collisions: int
    pairs: int
    closest_pairs: tuple[tuple[int, int, int, float], ...]  # (s, i, j, distance)


# -- the Lagrangian surrogate -------------------------------------------------------------------


def _prepare(model, x, y):
    from checker.certify.certificate import validate_model_data

    model64, x64, y64, _ = validate_model_data(model, x, y)
    return model64, x64, y64


def _effort(effort: Effort | None) -> Effort:
    if effort is None:
        return current_effort()
    if not isinstance(effort, Effort):
        raise InvalidArgument("effort", type(effort).__name__, "must be a checker.testing.Effort")
    return effort


def _phi_candidates(model64, x, y, *, gamma: float, eff: Effort, seed: int, loss_fn):
    """Every attack's per-example points for the Lagrangian at ``gamma``: [(name, z), ...]."""
    from checker.certify.falsify import _wrm_multi, grid_search, random_search
    from checker.threads import threads_for

    out = [("x itself", x.clone())]
    with threads_for(model64):
        zs = _wrm_multi(model64, x, y, gamma=gamma, starts=eff.starts, steps=eff.steps,
                        eta=1.0 / (2.0 * gamma), spreads=eff.spreads, seed=seed, loss_fn=loss_fn)
        out += [(f"wrm ascent (spread {s:g})", z) for s, z in zip(eff.spreads, zs)]
        out.append(("random search", random_search(model64, x, y, gamma=gamma,
                                                    samples=eff.random_samples, seed=seed + 1,
                                                    loss_fn=loss_fn)))
        if x[0].numel() <= 2:
            out.append(("grid search", grid_search(model64, x, y, gamma=gamma,
                                                   points=eff.grid_points, loss_fn=loss_fn)))
    return out


def _replay(model64, z, x, y, gamma, loss_fn):
    """Per-example ``(value, loss, cost)`` at ``z`` recomputed in float64 (the witness check)."""
    import torch

    from checker.certify.falsify import _loss
    from checker.wrm.inner import transport_cost

    with torch.no_grad():
        loss = _loss(model64, z, y, loss_fn).to("cpu", torch.float64)
        cost = transport_cost(z, x).to("cpu", torch.float64)
    return loss - gamma * cost, loss, cost


def _fmt_vec(t, limit: int = 6) -> str:
    vals = [float(v) for v in t.reshape(-1)[:limit]]
    s = ", ".join(f"{v:.6g}" for v in vals)
    return f"[{s}{', …' if t.numel() > limit else ''}]"


def assert_phi_bound(model, x, y, *, gamma: float, claimed: float, effort: Effort | None = None,
                     seed: int = 0, loss_fn: Callable | None = None) -> float:
    r"""Check a claimed upper bound ``claimed`` :math:`\ge\mathbb E_n[\phi_\gamma(\theta;x_i)]`.

    ``model``: a ``torch.nn.Module`` mapping ``x`` (shape ``(n, ...)``) to logits; ``y``: integer
    labels; ``gamma`` > 0; ``loss_fn(logits, y)``: per-example loss (default cross-entropy).
    checker's strongest attack (multi-start Lagrangian ascent at every spread of ``effort``,
    random search on spheres, and for 1- or 2-feature inputs an exhaustive grid) searches each
    example's :math:`z_i`; the best replayed values are averaged. Raises
    :class:`CounterexampleFound` (an ``AssertionError``) with the points when that mean exceeds
    ``claimed + CERTIFICATE_ABS``; otherwise returns the best lower bound found (tested, not proved).
    """
    import torch

    from checker.validate import finite, positive

    gamma = positive("gamma", gamma)
    claimed = finite("claimed", claimed)
    eff = _effort(effort)
    model64, x64, y64 = _prepare(model, x, y)
    best_v = best_l = best_c = best_z = None
    names: list[str] = []
    for name, z in _phi_candidates(model64, x64, y64, gamma=gamma, eff=eff, seed=seed, loss_fn=loss_fn):
        v, l, c = _replay(model64, z, x64, y64, gamma, loss_fn)
        if best_v is None:
            best_v, best_l, best_c, best_z = v, l, c, z.detach().to("cpu", torch.float64)
            names = [name] * len(v)
            continue
        better = v > best_v
        best_v = torch.where(better, v, best_v)
        best_l = torch.where(better, l, best_l)
        best_c = torch.where(better, c, best_c)
        mask = better.reshape((-1,) + (1,) * (z.ndim - 1))
        best_z = torch.where(mask, z.detach().to("cpu", torch.float64), best_z)
        names = [name if b else o for b, o in zip(better.tolist(), names)]
    lower = float(best_v.mean())
    if lower > claimed + CERTIFICATE_ABS:
        cex = PhiCounterexample(gamma=gamma, claimed=claimed, lower=lower, z=best_z, values=best_v,
                                loss=best_l, cost=best_c, attack=tuple(names))
        order = torch.argsort(best_v, descending=True)[:_SHOWN].tolist()
        xs = x64.to("cpu", torch.float64)
        rows = "\n".join(
            f"  example {i}: x = {_fmt_vec(xs[i])}, z = {_fmt_vec(best_z[i])}, loss {float(best_l[i]):.10g}, "
            f"cost ‖z − x‖² {float(best_c[i]):.6g}, loss − γ·cost {float(best_v[i]):.10g} ({names[i]})"
            for i in order)
        raise CounterexampleFound(
            f"claimed E_n[φ_γ] ≤ {claimed:.10g} at γ = {gamma:g} is false: the points z below give "
            f"E_n[loss(z) − γ‖z − x‖²] = {lower:.10g} (replayed in float64; each term is a lower "
            f"bound on φ_γ at its example), exceeding the claim by {lower - claimed:.3g} "
            f"(tolerance {CERTIFICATE_ABS:g}). Counterexample, largest terms of {len(best_v)}:\n{rows}\n"
            f"All points: exc.counterexample.z", cex)
    return lower


# -- certificates -------------------------------------------------------------------------------


def _bound_function(certificate) -> tuple[Callable[[float], float], float | None, Any]:
    """``(rho -> bound, gamma or None, per-example phi or None)`` of a certificate."""
    from checker.certify.certificate import Certificate

    if isinstance(certificate, Certificate):
        return certificate.at, certificate.gamma, certificate.phi
    if callable(certificate):
        return (lambda rho: float(certificate(rho))), None, None
    raise InvalidArgument("certificate", type(certificate).__name__,
                          "must be a checker Certificate or a function rho -> upper bound")


def assert_certificate_sound(certificate, model, x, y, *, gammas: Sequence[float] | None = None,
                             effort: Effort | None = None, seed: int = 0,
                             loss_fn: Callable | None = None) -> float:
    r"""Attack a certificate: a :class:`checker.certify.Certificate`, or your own function
    ``rho -> bound`` claiming :math:`\sup_{W_c(P,\hat P_n)\le\rho}\mathbb E_P\ell\le` ``bound``.

    Attack distributions: Lagrangian ascent at each penalty of ``gammas`` (default: the
    certificate's :math:`\gamma` and :math:`\gamma/4, 4\gamma`; for a function, 0.1, 1, 10) and
    projected gradient ascent in :math:`\ell_2` balls. For a checker certificate the pointwise
    claim :math:`\ell(z_i)-\gamma\lVert z_i-x_i\rVert^2\le\phi_i` is checked too. Raises
    :class:`CounterexampleFound` with the worst distribution when a mean loss (or a pointwise
    value) exceeds the bound by more than ``CERTIFICATE_ABS``; returns the smallest margin.
    """
    import torch

    from checker.certify.falsify import _pgm_multi, _wrm_multi
    from checker.threads import threads_for
    from checker.validate import positive

    bound, cg, phi = _bound_function(certificate)
    eff = _effort(effort)
    if gammas is None:
        gammas = (cg, cg / 4, cg * 4) if cg is not None else (0.1, 1.0, 10.0)
    gammas = tuple(positive("gammas", g) for g in gammas)
    model64, x64, y64 = _prepare(model, x, y)
    if phi is not None and x64.shape[0] != phi.shape[0]:
        raise InvalidArgument("x", f"{x64.shape[0]} examples",
                              f"must be the certificate's {phi.shape[0]} examples")
    cands: list[tuple[str, Any]] = []
    with threads_for(model64):
        for g in gammas:
            zs = _wrm_multi(model64, x64, y64, gamma=g, starts=eff.starts, steps=eff.steps,
                            eta=1.0 / (2.0 * g), spreads=eff.spreads, seed=seed, loss_fn=loss_fn)
            cands += [(f"wrm ascent (γ {g:g}, spread {s:g})", z) for s, z in zip(eff.spreads, zs)]
        eps_list = [0.05, 0.2, 0.5, 1.0, 2.0]
        zs = _pgm_multi(model64, x64, y64, eps_list=eps_list, steps=max(1, eff.steps // 2), loss_fn=loss_fn)
        cands += [(f"pgm ℓ2 ball (ε {e:g})", z) for e, z in zip(eps_list, zs)]
    worst = math.inf
    for name, z in cands:
        g_for_point = cg if cg is not None else 0.0
        v, loss, cost = _replay(model64, z, x64, y64, g_for_point, loss_fn)
        rho = float(cost.mean())
        b = bound(rho)
        margin = b - float(loss.mean())
        worst = min(worst, margin)
        pointwise = None
        if phi is not None:
            gap = v - phi.to("cpu", torch.float64)
            if float(gap.max()) > CERTIFICATE_ABS:
                pointwise = int(gap.argmax())
        if margin < -CERTIFICATE_ABS or pointwise is not None:
            cex = CertificateCounterexample(attack=name, rho=rho, loss_mean=float(loss.mean()), bound=b,
                                            pointwise_index=pointwise, z=z.detach().to("cpu", torch.float64))
            what = (f"the mean loss {float(loss.mean()):.10g} of the attack distribution exceeds the "
                    f"certificate {b:.10g} at its transport cost ρ = {rho:.6g} by {-margin:.3g}"
                    if margin < -CERTIFICATE_ABS else
                    f"at example {pointwise}: loss − γ·cost = {float(v[pointwise]):.10g} exceeds the "
                    f"certificate's φ_γ = {float(phi[pointwise]):.10g}")
            raise CounterexampleFound(
                f"certificate is not sound: {what} (attack: {name}; replayed in float64, tolerance "
                f"{CERTIFICATE_ABS:g}). Counterexample points (first {min(_SHOWN, len(z))}): "
                + "; ".join(f"z[{i}] = {_fmt_vec(z[i])}" for i in range(min(_SHOWN, len(z))))
                + ". All points: exc.counterexample.z", cex)
    return worst


# -- Theorem 1: fooling bounded discriminators ---------------------------------------------------


def assert_fools(pair=None, *, eps: float, encoder=None, generator=None, sample_real=None,
                 sample_codes=None, kind: str = "mlp", hidden: int = 2, radius: float = 5.0,
                 clip: float = 1.0, phi: str = "identity", batch: int = 256, n_val: int = 2048,
                 n_test: int = 20000, lr: float = 0.05, effort: Effort | None = None,
                 seed: int = 0) -> float:
    r"""Check that :math:`(G, E)` ``eps``-fools bounded discriminators:
    :math:`|\mathbb E_x\varphi(D(x,E(x))) - \mathbb E_z\varphi(D(G(z),z))|\le\varepsilon`.

    Give a :class:`checker.gan.construction.ConstructedPair` as ``pair``, or ``encoder``
    (``x -> z``), ``generator`` (``z -> x``), ``sample_real(n, generator=g)`` and
    ``sample_codes(n, generator=g)`` (``g`` a ``torch.Generator``). Discriminators of
    :mod:`checker.gan.discriminators` (``kind``, ``hidden``, parameters in the ball of
    ``radius``) are trained with Adam to maximise the gap (``effort.gan_restarts`` ×
    ``effort.gan_steps``), the best on ``n_val`` validation samples is measured on ``n_test``
    held-out samples. Raises :class:`CounterexampleFound` with the discriminator when the gap's
    Hoeffding lower confidence bound (level :math:`1-` ``STAT_ALPHA``) exceeds ``eps``; returns
    the measured gap otherwise (sampled evidence about trained discriminators, not a supremum).
    """
    import torch

    from checker.gan.discriminators import BoundedDiscriminator, measure
    from checker.gan.fooling import hoeffding_half_width
    from checker.validate import positive, positive_int

    eps = positive("eps", eps)
    n_val, n_test, batch = positive_int("n_val", n_val), positive_int("n_test", n_test), positive_int("batch", batch)
    if pair is not None:
        encoder = encoder or pair.encoder
        generator = generator or (pair.generator if pair.generator is not None else pair.ideal_generator)
        sample_real = sample_real or pair.sample_real
        sample_codes = sample_codes or pair.sample_codes
    for name, v in (("encoder", encoder), ("generator", generator), ("sample_real", sample_real),
                    ("sample_codes", sample_codes)):
        if not callable(v):
            raise InvalidArgument(name, type(v).__name__, "must be callable (or pass pair=)")
    eff = _effort(effort)
    m_phi = measure(phi)
    gen = torch.Generator().manual_seed(int(seed))

    def draw(n):
        with torch.no_grad():
            xr = sample_real(n, generator=gen)
            zf = sample_codes(n, generator=gen)
            return xr, encoder(xr), generator(zf), zf

    def gap(D, xr, er, xf, zf):
        return m_phi(D(xr, er)).mean() - m_phi(D(xf, zf)).mean()

    val = draw(n_val)
    d, d_tilde = int(val[0].shape[1]), int(val[3].shape[1])
    best, best_val = None, -1.0
    for r in range(eff.gan_restarts):
        D = BoundedDiscriminator(d=d, d_tilde=d_tilde, kind=kind, hidden=hidden, radius=radius,
                                 clip=clip, seed=seed * 1000 + r, dtype=val[0].dtype)
        opt = torch.optim.Adam(D.parameters(), lr=lr)
        for _ in range(eff.gan_steps):
            b = draw(batch)
            opt.zero_grad()
            (-gap(D, *b).abs()).backward()
            opt.step()
            D.project_()
        with torch.no_grad():
            v = float(gap(D, *val).abs())
        if v > best_val:
            best, best_val = D, v
    with torch.no_grad():
        g = float(gap(best, *draw(n_test)).abs())
    low = g - hoeffding_half_width(n_test, m_phi.width, STAT_ALPHA)
    if low > eps:
        cex = FoolingCounterexample(eps=eps, gap=g, gap_ci_low=low, n_test=n_test, alpha=STAT_ALPHA,
                                    discriminator=best, params=best.flat_params())
        raise CounterexampleFound(
            f"(G, E) does not {eps:g}-fool {kind} discriminators of capacity p = {best.param_count()} "
            f"(parameters in the ball of radius {radius:g}): the trained discriminator "
            f"exc.counterexample.discriminator reaches a held-out gap {g:.6g} on {n_test} samples, "
            f"whose lower confidence bound {low:.6g} (Hoeffding, level 1 − {STAT_ALPHA:g}) exceeds "
            f"ε = {eps:g}. Its parameters: {_fmt_vec(best.flat_params(), 12)}", cex)
    return g


# -- the birthday test ----------------------------------------------------------------------------


def _support(source, *, threshold, config, feature_map):
    from checker.birthday.procedure import BirthdayConfig, run_birthday_test

    if config is None:
        config = BirthdayConfig(confidence=1.0 - STAT_ALPHA)
    elif not isinstance(config, BirthdayConfig):
        raise InvalidArgument("config", type(config).__name__, "must be a checker.birthday.BirthdayConfig")
    res = run_birthday_test(source, threshold=threshold, config=config, feature_map=feature_map)
    pairs = sum(r.trials * r.s * (r.s - 1) // 2 for r in res.rows)
    close = tuple((int(f.s), int(i), int(j), float(dd)) for f in res.flagged[-1:]
                  for i, j, dd, w in zip(f.i, f.j, f.distance, f.within_threshold) if w)[:_SHOWN]
    return res, pairs, close


def _support_fail(claim, res, pairs, close):
    est = res.support_estimate
    collisions = sum(r.collisions for r in res.rows)
    cex = SupportCounterexample(claim=claim, estimate=est.value, low=est.low, high=est.high,
                                confidence=res.config.confidence, collisions=collisions,
                                pairs=pairs, closest_pairs=close)
    shown = "; ".join(f"s={s}: samples {i} and {j} at distance {dd:.4g}" for s, i, j, dd in close)
    raise CounterexampleFound(
        f"support {claim} is refuted by the birthday test on {res.source}: {collisions} "
        f"near-duplicates among {pairs} sample pairs estimate the (collision) support "
        f"1/Σp² at {est.value:.6g}, interval [{est.low:.6g}, {est.high:.6g}] at confidence "
        f"{res.config.confidence:.6g} (exact Poisson interval; sampled evidence)."
        + (f" Near-duplicates found: {shown}." if shown else ""), cex)


def assert_support_at_least(source, n: float, *, threshold, config=None,
                            feature_map: Callable | None = None):
    r"""Check that ``source`` (a generator callable, a sample array, or a checker source) has
    collision support :math:`1/\sum_i p_i^2\ge n` (equal to the support size for a uniform
    output distribution, smaller otherwise, so a failure also refutes "uniform over ``n``").
    ``threshold``: the near-duplicate distance (a float or a calibrated
    :class:`checker.birthday.calibrate.Threshold`). Fails when the estimate's upper confidence
    limit lies below ``n``; returns the :class:`checker.birthday.stats.SupportEstimate`."""
    from checker.validate import positive

    n = positive("n", n)
    res, pairs, close = _support(source, threshold=threshold, config=config, feature_map=feature_map)
    if res.support_estimate.high < n:
        _support_fail(f"≥ {n:g}", res, pairs, close)
    return res.support_estimate


def assert_support_at_most(source, n: float, *, threshold, config=None,
                           feature_map: Callable | None = None):
    r"""Check that ``source`` has collision support :math:`1/\sum_i p_i^2\le n`; since that is at
    most the support size, a failure (the estimate's lower confidence limit above ``n``) also
    refutes "support at most ``n``" (mode collapse to ``n`` images). Returns the estimate."""
    from checker.validate import positive

    n = positive("n", n)
    res, pairs, close = _support(source, threshold=threshold, config=config, feature_map=feature_map)
    if res.support_estimate.low > n:
        _support_fail(f"≤ {n:g}", res, pairs, close)
    return res.support_estimate
