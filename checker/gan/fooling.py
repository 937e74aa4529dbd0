r"""The fooling experiment: Theorem 1's claim measured with trained discriminators.

Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651), Theorem 1 ([S] statement, [R] explicit
constants of docs/math/arora-thm1.md, "Explicit version (checker's own)"): a pool of
:math:`m \ge m^\star(p,\Delta,L,L_\varphi,\varepsilon,R)` images makes :math:`(G, E)`
:math:`\varepsilon`-fool every discriminator of capacity :math:`p`,

.. math::

    \sup_{v\in V}\Big|\mathbb E_{x\sim\mu}\varphi(D_v(x,E(x))) - \mathbb E_{z\sim\nu}\varphi(D_v(G(z),z))\Big|
    \le \varepsilon .

For each pool size :math:`m` of a sweep we build the pair, **train** bounded discriminators
(:mod:`checker.gan.discriminators`; Adam on fresh samples, projection onto the ball of radius
:math:`R` after every step, several restarts) to maximise the absolute gap, pick the best
restart on a validation set, and estimate its gap on held-out samples with a Hoeffding interval

.. math::

    |\hat g - g| \le w\sqrt{\ln(2/\alpha)/n}\quad (w = \text{range of }\varphi,\ \alpha = \texttt{STAT\_ALPHA}).

This is **sampled evidence about trained discriminators**, not a check of the supremum over
:math:`V`: a small measured gap says optimisation did not find a winning discriminator. Next to
it the report prints :math:`\varepsilon_{\rm explicit}(m)` (``checker.bounds.arora_thm1.explicit_eps``),
the empirical threshold (the smallest grid :math:`m` from which the gap's lower confidence bound
stays at or below ``level``) and its ratio to :math:`m^\star`. Pools above ``relu_max_m`` use the
ideal generator, which equals the ReLU one off the ramp set (mass :math:`\le \varepsilon/(8\Delta)`);
each row says which generator was used. The mode collapse is shown by counting distinct non-noise
outputs of :math:`G` over ``support_draws`` draws (at most :math:`m`).

Results are checkpointed (:func:`checker.io.save_checkpoint`) after every :math:`m`; a re-run
with the same configuration and output folder skips the finished pool sizes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from checker.device import resolve_device
from checker.errors import InvalidArgument
from checker.gan.construction import build_pair
from checker.gan.data import DATASETS, dataset_dim, load_images
from checker.gan.discriminators import DISCRIMINATORS, MEASURES, BoundedDiscriminator, measure
from checker.io import ensure_dir, fingerprint, load_checkpoint, save_checkpoint
from checker.progress import progress
from checker.threads import threads_for
from checker.tolerances import STAT_ALPHA
from checker.validate import integer, one_of, positive, positive_int

__all__ = ["FoolingConfig", "FoolingRow", "FoolingResult", "RowVerdict", "run_fooling",
           "hoeffding_half_width", "plot_fooling"]


def hoeffding_half_width(n: int, width: float, alpha: float = STAT_ALPHA) -> float:
    r"""Half-width :math:`t` with :math:`\Pr[|\hat g - g|\ge t]\le\alpha` for a difference of two
    means of ``n`` independent terms each with range ``width``: :math:`t = w\sqrt{\ln(2/\alpha)/n}`
    (McDiarmid with :math:`2n` terms of range :math:`w/n`)."""
    n = positive_int("n", n)
    return width * math.sqrt(math.log(2.0 / alpha) / n)


#: Largest training budget of one fooling run, in sample-steps (restarts x steps x batch, summed
#: over the pool sizes): about a CPU-day on 2 cores at the measured rate; larger is refused
#: before any work.
MAX_FOOLING_WORK = 10**11
#: Largest sample count or width held in memory at once.
MAX_SAMPLES = 10**7


@dataclass(frozen=True, kw_only=True)
class FoolingConfig:
    """Configuration of the fooling sweep (validated on construction)."""

    dataset: str = "digits"
    d_tilde: int = 8
    m_grid: tuple[int, ...] = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144)
    disc_kind: str = "mlp"
    hidden: int = 2
    radius: float = 5.0
    clip: float = 1.0
    phi: str = "identity"
    eps: float = 0.25
    level: float | None = None
    restarts: int = 2
    steps: int = 80
    batch: int = 256
    lr: float = 0.05
    n_val: int = 4096
    n_test: int = 20000
    support_draws: int = 20000
    relu_max_m: int = 1024
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        one_of("dataset", self.dataset, DATASETS)
        one_of("disc_kind", self.disc_kind, DISCRIMINATORS)
        one_of("phi", self.phi, MEASURES)
        d = dataset_dim(self.dataset) or 64
        d_tilde = positive_int("d_tilde", self.d_tilde)
        if d_tilde > d:
            raise InvalidArgument("d_tilde", d_tilde, f"must be <= d={d} for dataset {self.dataset!r}")
        if not self.m_grid:
            raise InvalidArgument("m_grid", self.m_grid, "must list at least one pool size")
        grid = tuple(positive_int("m", m) for m in self.m_grid)
        if len(set(grid)) != len(grid):
            raise InvalidArgument("m_grid", self.m_grid, "must not repeat a pool size")
        object.__setattr__(self, "m_grid", tuple(sorted(grid)))
        for name in ("hidden", "restarts", "steps", "batch", "n_val", "n_test", "support_draws"):
            positive_int(name, getattr(self, name))
        # budgets, checked before any work (a huge value is a typo, not a request for years of CPU)
        for name in ("hidden", "n_val", "n_test", "support_draws"):
            if getattr(self, name) > MAX_SAMPLES:
                raise InvalidArgument(name, getattr(self, name), f"must be <= {MAX_SAMPLES:.0e} (held in memory)")
        work = self.restarts * self.steps * self.batch * len(self.m_grid)
        if work > MAX_FOOLING_WORK:
            raise InvalidArgument("restarts", self.restarts,
                                  f"times steps={self.steps}, batch={self.batch} and {len(self.m_grid)} pool "
                                  f"size(s) is about 10^{len(str(work)) - 1} sample-steps, above the budget "
                                  f"{MAX_FOOLING_WORK:.0e} (about a CPU-day on 2 cores)")
        integer("relu_max_m", self.relu_max_m, min_value=0)
        integer("seed", self.seed, min_value=0)
        for name in ("radius", "clip", "eps", "lr"):
            positive(name, getattr(self, name))
        if self.level is not None:
            positive("level", self.level)
        resolve_device(self.device)

    @property
    def threshold_level(self) -> float:
        return self.eps if self.level is None else float(self.level)


@dataclass(frozen=True, kw_only=True)
class FoolingRow:
    """The measurement at one pool size."""

    m: int
    generator: str  # "relu" or "ideal"
    gap: float  # held-out |gap| of the best trained discriminator
    gap_ci_low: float
    gap_ci_high: float
    best_val_gap: float
    explicit_eps: float  # eps the explicit bound guarantees at m (inf below its range)
    distinct_nonnoise_outputs: int
    support_draws: int
    train_seconds: float


@dataclass(frozen=True, kw_only=True)
class RowVerdict:
    r"""The two checks of one pool size, three-valued (``"pass"``, ``"fail"``, ``"vacuous"``).

    ``bound``: the gap's lower confidence bound is at most the explicit :math:`\varepsilon(m)`;
    *vacuous* when :math:`\varepsilon(m)` is at least the width :math:`w` of the range of
    :math:`\varphi` on the discriminator's outputs (``phi.width``; :math:`w\le 2\Delta`): a gap
    of two means of values in a range of width :math:`w` never exceeds :math:`w`, so the
    comparison could not fail.
    ``support``: the generator's un-noised output takes at most :math:`m` values; *vacuous* once
    :math:`m` is at least the number of draws or of distinct real images (no count could
    exceed :math:`m`). ``*_vacuous_because`` says why, else ``None``. A vacuous check is never
    a pass.
    """

    m: int
    bound: str
    bound_vacuous_because: str | None
    support: str
    support_vacuous_because: str | None


@dataclass(frozen=True, kw_only=True)
class FoolingResult:
    """Rows per ``m`` plus the theory's numbers for the chosen discriminator class."""

    config: FoolingConfig
    rows: tuple[FoolingRow, ...]
    p: int
    L: float
    L_phi: float
    Delta: float
    mstar: int
    level: float
    empirical_threshold: int | None
    threshold_ratio: float | None  # empirical threshold / m*
    distinct_real_images: int
    resumed: tuple[int, ...] = field(default=())

    @property
    def gap_range(self) -> float:
        r"""Width :math:`w\le 2\Delta` of the range of :math:`\varphi\circ D` (``phi.width``): no
        gap exceeds it."""
        return float(measure(self.config.phi).width)

    def verdicts(self) -> tuple[RowVerdict, ...]:
        """One :class:`RowVerdict` per row (see there for the vacuity rules)."""
        width = self.gap_range
        out = []
        for r in self.rows:
            eps_m = r.explicit_eps
            b_vac = (f"eps(m) = {eps_m:.3g} >= {width:g}, the whole range of the gap"
                     if not eps_m < width else None)
            cap = min(r.support_draws, self.distinct_real_images)
            s_vac = (f"m = {r.m:,} >= {cap:,} (the number of draws or of distinct real images), "
                     "so no count could exceed m" if r.m >= cap else None)
            out.append(RowVerdict(
                m=r.m,
                bound="vacuous" if b_vac else ("pass" if r.gap_ci_low <= eps_m else "fail"),
                bound_vacuous_because=b_vac,
                support="vacuous" if s_vac else ("pass" if r.distinct_nonnoise_outputs <= r.m else "fail"),
                support_vacuous_because=s_vac))
        return tuple(out)

    def outcome(self) -> str:
        """``"fail"`` if any check failed, ``"pass"`` if none failed and at least one was not
        vacuous, else ``"vacuous"`` (nothing was established)."""
        flat = [v for rv in self.verdicts() for v in (rv.bound, rv.support)]
        if "fail" in flat:
            return "fail"
        return "pass" if "pass" in flat else "vacuous"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["config"]["m_grid"] = list(self.config.m_grid)
        out["verdicts"] = [asdict(v) for v in self.verdicts()]
        return out


def _explicit_eps(m: int, p: int, Delta: float, L: float, L_phi: float, R: float) -> float:
    from checker.bounds.arora_thm1 import explicit_eps

    if m < 2:
        return math.inf
    return float(explicit_eps(m, p, Delta, L, L_phi, R=R))


def _gap(D, phi, xr, er, xf, zf) -> torch.Tensor:
    return phi(D(xr, er)).mean() - phi(D(xf, zf)).mean()


def _distinct(x: torch.Tensor, noise_idx: torch.Tensor) -> int:
    y = x.clone()
    y[:, noise_idx] = 0
    return int(torch.unique(y, dim=0).shape[0])


def _measure_m(cfg: FoolingConfig, m: int, data, dev: torch.device) -> tuple[FoolingRow, dict]:
    import time

    use_relu = m <= cfg.relu_max_m
    phi = measure(cfg.phi)
    pair = build_pair(data=data, d_tilde=cfg.d_tilde, m=m, seed=cfg.seed, eps=cfg.eps,
                      Delta=phi.Delta, device=dev, build_relu=use_relu)
    G = pair.generator if use_relu else pair.ideal_generator
    gen = torch.Generator(device=dev).manual_seed(cfg.seed * 1_000_003 + m)

    def real(n):
        x = pair.sample_real(n, generator=gen)
        return x, pair.encoder(x)

    def fake(n):
        z = pair.sample_codes(n, generator=gen)
        return G(z), z

    t0 = time.perf_counter()
    with torch.no_grad():
        val = real(cfg.n_val) + fake(cfg.n_val)
    best, best_val = None, -1.0
    for r in range(cfg.restarts):
        D = BoundedDiscriminator(d=pair.d, d_tilde=pair.d_tilde, kind=cfg.disc_kind, hidden=cfg.hidden,
                                 radius=cfg.radius, clip=cfg.clip, seed=cfg.seed * 1000 + r, device=dev)
        opt = torch.optim.Adam(D.parameters(), lr=cfg.lr)
        for _ in range(cfg.steps):
            with torch.no_grad():
                batch = real(cfg.batch) + fake(cfg.batch)
            opt.zero_grad()
            loss = -_gap(D, phi, *batch).abs()
            loss.backward()
            opt.step()
            D.project_()
        with torch.no_grad():
            v = float(_gap(D, phi, *val).abs())
        if v > best_val:
            best, best_val = D, v
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        gap = float(_gap(best, phi, *(real(cfg.n_test) + fake(cfg.n_test))).abs())
        support = _distinct(pair.sample(cfg.support_draws, generator=gen, ideal=True), pair.noise_indices)
    half = hoeffding_half_width(cfg.n_test, phi.width)
    row = FoolingRow(m=m, generator="relu" if use_relu else "ideal", gap=gap,
                     gap_ci_low=max(0.0, gap - half), gap_ci_high=gap + half, best_val_gap=best_val,
                     explicit_eps=_explicit_eps(m, best.param_count(), phi.Delta, best.lipschitz(),
                                                phi.L_phi, cfg.radius),
                     distinct_nonnoise_outputs=support, support_draws=cfg.support_draws,
                     train_seconds=seconds)
    return row, {"p": best.param_count(), "L": best.lipschitz()}


def _model_size(config: FoolingConfig, m: int, d: int, p: int) -> int:
    """Parameters of the largest network run at pool size ``m``: the discriminator (``p``) or
    the ReLU generator (only up to ``relu_max_m``; the ideal one is a table lookup)."""
    from checker.bounds.arora_construction import generator_param_count

    gen = generator_param_count(m, d, config.d_tilde) if m <= config.relu_max_m else 0
    return max(p, gen)


def _threshold(rows: list[FoolingRow], level: float) -> int | None:
    """Smallest grid m from which every row's gap lower confidence bound is <= level."""
    found = None
    for row in reversed(rows):
        if row.gap_ci_low <= level:
            found = row.m
        else:
            break
    return found


def run_fooling(config: FoolingConfig, *, out: str | Path | None = None) -> FoolingResult:
    """Run the sweep; with ``out`` the state is checkpointed after every ``m`` and resumed."""
    dev = resolve_device(config.device)
    phi = measure(config.phi)
    data = load_images(config.dataset, seed=config.seed, device=dev)
    probe = BoundedDiscriminator(d=data.d, d_tilde=config.d_tilde, kind=config.disc_kind,
                                 hidden=config.hidden, radius=config.radius, clip=config.clip)
    p, L = probe.param_count(), probe.lipschitz()
    from checker.bounds.arora_thm1 import mstar

    m_star = int(mstar(p, phi.Delta, L, phi.L_phi, config.eps, R=config.radius))
    cfg_fp = fingerprint({k: v for k, v in asdict(config).items() if k != "device"})
    ckpt = None
    done: dict[int, dict] = {}
    if out is not None:
        ckpt = ensure_dir(out) / "fooling_checkpoint.pt"
        state = load_checkpoint(ckpt, config_fingerprint=cfg_fp)
        if state is not None:
            done = {int(r["m"]): r for r in state["rows"]}
    resumed = tuple(m for m in config.m_grid if m in done)
    for m in progress(config.m_grid, desc="checker gan: pool sizes", total=len(config.m_grid)):
        if m in done:
            continue
        # thread policy (checker.threads): the largest network of this m decides
        with threads_for(_model_size(config, m, data.d, p)):
            row, _ = _measure_m(config, m, data, dev)
        done[m] = asdict(row)
        if ckpt is not None:
            save_checkpoint(ckpt, {"rows": [done[k] for k in sorted(done)]}, config_fingerprint=cfg_fp)
    rows = [FoolingRow(**done[m]) for m in config.m_grid]
    level = config.threshold_level
    thr = _threshold(rows, level)
    return FoolingResult(config=config, rows=tuple(rows), p=p, L=L, L_phi=phi.L_phi, Delta=phi.Delta,
                         mstar=m_star, level=level, empirical_threshold=thr,
                         threshold_ratio=(thr / m_star) if thr is not None else None,
                         distinct_real_images=_distinct(data.images, torch.arange(0)),
                         resumed=resumed)


def plot_fooling(result: FoolingResult, path: str | Path) -> Path:
    """Write the gap-versus-m figure (PNG): measured gap with its interval, explicit eps, level, m*."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from checker.io import atomic_write_bytes

    ms = [r.m for r in result.rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    gaps = [r.gap for r in result.rows]
    lo = [r.gap - r.gap_ci_low for r in result.rows]
    hi = [r.gap_ci_high - r.gap for r in result.rows]
    ax.errorbar(ms, gaps, yerr=[lo, hi], marker="o", capsize=3, label="trained D: held-out |gap| (Hoeffding CI)")
    fin = [(r.m, r.explicit_eps) for r in result.rows if math.isfinite(r.explicit_eps)]
    if fin:
        ax.plot([a for a, _ in fin], [b for _, b in fin], "s--",
                label="explicit eps(m) (theory; off the chart above = vacuous)")
    ax.axhline(result.level, color="gray", ls=":", label=f"level = {result.level:g}")
    ax.axvline(result.mstar, color="red", ls="-.", label=f"m* = {result.mstar:,} (eps={result.config.eps:g})")
    if result.empirical_threshold is not None:
        ax.axvline(result.empirical_threshold, color="green", ls="--",
                   label=f"empirical threshold = {result.empirical_threshold:,}")
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_ylim(0.0, max(1.5, 1.2 * max(r.gap_ci_high for r in result.rows)))
    ax.set_xlabel("pool size m")
    ax.set_ylabel("gap")
    ax.set_title(f"Arora et al. Thm 1 on {result.config.dataset}: p={result.p}, L={result.L:.3g}, "
                 f"phi={result.config.phi}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
