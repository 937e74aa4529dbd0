r"""A trained BiGAN/ALI discriminator facing Theorem 1's construction: the gap it reaches
against the pool size :math:`m`, next to the theorem's :math:`\varepsilon(m)`.

Arora, Risteski, Zhang (ICLR 2018), Theorem 1: for every discriminator class of capacity
:math:`p`, :math:`L`-Lipschitz in its parameters :math:`v\in V=\{\|v\|_2\le R\}`, the explicit
pair :math:`(E_m, G_m)` with a pool of :math:`m` images satisfies

.. math::

    \big|\mathbb E_x\,\varphi(D_v(x, E_m(x))) - \mathbb E_z\,\varphi(D_v(G_m(z), z))\big| \le \varepsilon(m)
    \quad\text{for all } v\in V,

with :math:`\varepsilon(m)` from the explicit bound (:func:`checker.bounds.arora_thm1.explicit_eps`).
Here the discriminator is the one a BiGAN/ALI run trained (:mod:`checker.gan.train`), with its
inputs clipped to :math:`[-c, c]` so that its class has a finite :math:`L`; for each :math:`m`
it is warm-started from the trained weights and fine-tuned by Adam to maximise the gap with
:math:`\varphi` the identity on :math:`D=\mathrm{sigmoid}(t)` (:math:`\Delta = L_\varphi = 1`),
and the gap is measured on fresh held-out samples with a Hoeffding interval
(:func:`checker.gan.fooling.hoeffding_half_width`). The construction's code dimension is the
run's latent dimension (:math:`\tilde d = k`).

**The Lipschitz bound** (derived here, as for :mod:`checker.gan.discriminators`): for the
LeakyReLU MLP :math:`t = W_{J+1}h_J + b_{J+1}`, :math:`h_j = a(W_j h_{j-1} + b_j)`,
:math:`h_0 = u = \mathrm{clip}([x; z], -c, c)` (:math:`\|u\|\le U = c\sqrt{d+k}`),
slopes of :math:`a` in :math:`[0.2, 1]`, and every parameter block of norm at most
:math:`R` on :math:`V`: Cauchy–Schwarz gives :math:`\|h_j\| \le A_j = R\sqrt{A_{j-1}^2 + 1}`,
:math:`A_0 = U`, and the gradient block of layer :math:`j` has norm at most
:math:`R^{J+1-j}\sqrt{A_{j-1}^2 + 1}`, so with :math:`\mathrm{sigmoid}'\le 1/4`

.. math::

    L = \tfrac14\Big(\sum_{j=1}^{J+1} R^{2(J+1-j)}\,(A_{j-1}^2 + 1)\Big)^{1/2},

valid on all of :math:`V` by the mean-value theorem. :math:`R` is the norm of the fine-tuned
weights (the smallest ball about 0 that holds them). The resulting :math:`\varepsilon(m)` is
reported as it is; where :math:`m` is below the explicit bound's range it is infinite
(vacuous). Sampled evidence about one trained discriminator per :math:`m`, never a check of
the supremum over the class.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from checker.validate import integer, positive, positive_int

__all__ = ["FacingRow", "FacingResult", "face_construction", "mlp_lipschitz_bound", "plot_facing"]


@dataclass(frozen=True, kw_only=True)
class FacingRow:
    """One pool size: the frozen (as trained) and fine-tuned held-out gaps, the fine-tuned
    gap's Hoeffding interval, and the explicit ε(m) with the class constants p, L, R."""

    m: int
    generator: str
    gap_frozen: float
    gap: float
    gap_ci_low: float
    gap_ci_high: float
    explicit_eps: float
    p: int
    L: float
    R: float
    n_test: int


@dataclass(frozen=True, kw_only=True)
class FacingResult:
    rows: tuple[FacingRow, ...]
    clip: float
    steps: int
    dataset: str
    arch: str
    d_tilde: int

    def to_dict(self) -> dict[str, Any]:
        import dataclasses

        return {"dataset": self.dataset, "arch": self.arch, "d_tilde": self.d_tilde, "clip": self.clip,
                "steps": self.steps, "rows": [dataclasses.asdict(r) for r in self.rows]}


def mlp_lipschitz_bound(*, U: float, R: float, depth: int) -> float:
    """The :math:`L` of the module docstring for ``depth`` hidden layers (float64; rounding
    makes it no smaller than the exact bound only up to a few ulps: an estimate of the
    constant, used to evaluate a bound that is vacuous or loose by orders of magnitude)."""
    U, R = float(U), float(R)
    depth = positive_int("depth", depth)
    A = [U]
    for _ in range(depth):
        A.append(R * math.sqrt(A[-1] ** 2 + 1.0))
    total = math.fsum(R ** (2 * (depth + 1 - j)) * (A[j - 1] ** 2 + 1.0) for j in range(1, depth + 2))
    return 0.25 * math.sqrt(total)


class _Clipped(torch.nn.Module):
    def __init__(self, net: torch.nn.Module, clip: float):
        super().__init__()
        self.net = net
        self.clip = clip

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        c = self.clip
        return torch.sigmoid(self.net(x.clamp(-c, c), z.clamp(-c, c)))


def _explicit(m: int, p: int, L: float, R: float) -> float:
    from checker.errors import InvalidArgument
    from checker.gan.fooling import _explicit_eps

    try:
        return _explicit_eps(m, p, 1.0, L, 1.0, R)
    except InvalidArgument:  # m below m* even at the largest float eps: vacuous
        return math.inf


#: Largest seed (torch seeds are 64-bit; small offsets are added per m).
MAX_FACE_SEED = 2**62


def check_face_budget(*, m_grid, steps, batch, n_test, seed, names: dict[str, str] | None = None) -> None:
    """Refuse, before any work, sizes beyond the budgets of the fooling experiment
    (:data:`checker.gan.fooling.MAX_SAMPLES` samples held in memory,
    :data:`checker.gan.fooling.MAX_FOOLING_WORK` sample-steps in all, pool sizes up to
    :data:`checker.gan.support.CONSTRUCTION_MAX_M`); ``names`` maps parameters to the names the
    error shows (the CLI's options)."""
    from checker.errors import InvalidArgument
    from checker.gan.fooling import MAX_FOOLING_WORK, MAX_SAMPLES
    from checker.gan.support import CONSTRUCTION_MAX_M

    nm = {"m_grid": "m", "steps": "steps", "batch": "batch", "n_test": "n_test", "seed": "seed", **(names or {})}
    grid = [integer(nm["m_grid"], m, min_value=1, max_value=CONSTRUCTION_MAX_M) for m in m_grid]
    steps = positive_int(nm["steps"], steps)
    batch = integer(nm["batch"], batch, min_value=1, max_value=MAX_SAMPLES)
    integer(nm["n_test"], n_test, min_value=1, max_value=MAX_SAMPLES)
    integer(nm["seed"], seed, min_value=0, max_value=MAX_FACE_SEED)
    work = steps * batch * max(1, len(grid))
    if work > MAX_FOOLING_WORK:
        raise InvalidArgument(nm["steps"], steps, f"with this batch and grid is about 10^{len(str(work)) - 1} "
                              f"sample-steps, above the budget {MAX_FOOLING_WORK:.0e} (about a CPU-day on 2 cores)")


def face_construction(trained, *, m_grid=(4, 16, 64, 256, 1024, 4096), steps: int = 200,
                      batch: int = 256, lr: float = 1e-3, n_test: int = 20000, clip: float = 3.0,
                      seed: int = 0) -> FacingResult:
    """Run the trained discriminator of ``trained`` (:class:`checker.gan.train.TrainedGan`,
    digits or mnist) against the construction at each ``m`` of ``m_grid``."""
    from checker.progress import progress

    cfg = trained.config
    if cfg.dataset not in ("digits", "mnist"):
        from checker.errors import InvalidArgument

        raise InvalidArgument("model", cfg.dataset, "must be a run trained on digits or mnist (the construction's data)")
    check_face_budget(m_grid=m_grid, steps=steps, batch=batch, n_test=n_test, seed=seed)
    grid = tuple(integer("m", m, min_value=1) for m in m_grid)
    steps, batch, n_test = positive_int("steps", steps), positive_int("batch", batch), positive_int("n_test", n_test)
    lr, clip = positive("lr", lr), positive("clip", clip)
    k = cfg.latent_dim
    p0 = next(trained.discriminator.parameters())
    dev, dt = p0.device, p0.dtype
    U = clip * math.sqrt(trained.d + k)
    from checker.threads import torch_threads

    with torch_threads(1) if dev.type == "cpu" else _nullcontext():  # small nets: one thread (checker.threads)
        rows = [_face_one(trained, m, steps=steps, batch=batch, lr=lr, n_test=n_test, clip=clip, seed=seed,
                          U=U, dev=dev, dt=dt)
                for m in progress(grid, desc="trained D vs construction", total=len(grid))]
    return FacingResult(rows=tuple(rows), clip=clip, steps=steps, dataset=cfg.dataset, arch=cfg.arch, d_tilde=k)


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


def _face_one(trained, m: int, *, steps, batch, lr, n_test, clip, seed, U, dev, dt) -> FacingRow:
    from checker.gan.construction import build_pair
    from checker.gan.fooling import hoeffding_half_width

    cfg = trained.config
    k = cfg.latent_dim
    relu = m <= 1024
    pair = build_pair(dataset=cfg.dataset, d_tilde=k, m=m, seed=seed, build_relu=relu, device=dev)
    G = pair.generator if relu else pair.ideal_generator
    gen = torch.Generator(device=dev).manual_seed(seed * 1_000_003 + m)

    def real(n):
        with torch.no_grad():
            x = pair.sample_real(n, generator=gen)
            return x.to(dt), pair.encoder(x).to(dt)

    def fake(n):
        with torch.no_grad():
            z = pair.sample_codes(n, generator=gen)
            return G(z).to(dt), z.to(dt)

    D = _Clipped(copy.deepcopy(trained.discriminator), clip)
    test = real(n_test) + fake(n_test)

    def gap(T):
        with torch.no_grad():
            return float(D(T[0], T[1]).double().mean() - D(T[2], T[3]).double().mean())

    frozen = gap(test)
    sign = 1.0 if frozen >= 0 else -1.0  # push the gap further the way it already leans
    opt = torch.optim.Adam(D.parameters(), lr=lr)
    D.train()
    for _ in range(steps):
        xr, er = real(batch)
        xf, zf = fake(batch)
        loss = -sign * (D(xr, er).mean() - D(xf, zf).mean())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    D.eval()
    g = gap(test)
    hw = hoeffding_half_width(n_test, 1.0)
    R = float(torch.sqrt(sum((q.detach().double() ** 2).sum() for q in D.parameters())))
    p = sum(q.numel() for q in D.parameters())
    L = mlp_lipschitz_bound(U=U, R=R, depth=cfg.depth)
    return FacingRow(m=m, generator="relu" if relu else "ideal", gap_frozen=frozen, gap=g,
                     gap_ci_low=max(abs(g) - hw, 0.0), gap_ci_high=min(abs(g) + hw, 1.0),
                     explicit_eps=_explicit(m, p, L, R) if m >= 2 else math.inf,
                     p=p, L=L, R=R, n_test=n_test)


def plot_facing(result: FacingResult, path) -> Path:
    """|gap| with its interval against m (log axis); ε(m) where finite (else noted as vacuous)."""
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from checker.io import atomic_write_bytes

    ms = [r.m for r in result.rows]
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    ax.errorbar(ms, [abs(r.gap) for r in result.rows],
                yerr=[[abs(r.gap) - r.gap_ci_low for r in result.rows],
                      [r.gap_ci_high - abs(r.gap) for r in result.rows]], marker="o", capsize=3,
                label="fine-tuned trained D: held-out |gap|")
    ax.plot(ms, [abs(r.gap_frozen) for r in result.rows], marker="x", ls="--", label="trained D as is")
    fin = [(r.m, r.explicit_eps) for r in result.rows if math.isfinite(r.explicit_eps) and r.explicit_eps <= 1]
    if fin:
        ax.plot(*zip(*fin), color="k", label="explicit ε(m)")
    else:
        e = [r.explicit_eps for r in result.rows if math.isfinite(r.explicit_eps)]
        span = f" ({min(e):.3g} to {max(e):.3g})" if e else ""
        ax.text(0.98, 0.95, f"explicit ε(m) ≥ 1 at every m{span}:\nvacuous for this discriminator",
                transform=ax.transAxes, fontsize=8, va="top", ha="right")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("pool size m")
    ax.set_ylabel("|gap| of D = sigmoid(t)")
    ax.set_title(f"{result.arch} discriminator vs Theorem 1 construction ({result.dataset})", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
