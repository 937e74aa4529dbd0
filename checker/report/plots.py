"""Figures the main job draws from capability results (matplotlib, Agg backend).

Every figure has a ``*_figure`` builder that returns the matplotlib ``Figure`` (the tests read
the plotted values back from it) and a writer that saves it atomically as PNG. The inputs are
plain numbers, not result objects, so any stage can call them.

Readability rules followed by every figure: the legend sits outside the data (below the axes
or in the emptiest corner), axis ranges cover every plotted point and reference line, a
vacuous region is shaded and labelled, and a panel with a single data point says so in the
panel instead of showing a lone dot.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["birthday_curve", "birthday_figure", "attack_curves", "attack_figure", "fooling_curve",
           "fooling_figure", "figure2_panel", "figure2_figure", "save_figure"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path) -> Path:
    """Save ``fig`` as PNG atomically (ordinary file mode) and close it."""
    from checker.io import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", pad_inches=0.15)  # legends outside the axes included
    _plt().close(fig)
    return atomic_write_bytes(path, buf.getvalue())


def _plain_log_ticks(ax):
    """Log x axis labelled with plain numbers (2, 5, 10, 20 ...) rather than 2×10⁰."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _legend_below(ax, ncol: int = 2):
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=ncol, frameon=False)


# -- birthday -----------------------------------------------------------------------------------
def birthday_figure(table: list[dict[str, Any]], *, support: int, s_half: dict[str, Any] | None):
    """P(duplicate | s) with Clopper-Pearson intervals, against the exact uniform curve."""
    from checker.bounds.birthday import collision_probability

    plt = _plt()
    s = [r["s"] for r in table]
    p = [r["p_duplicate"] for r in table]
    lo = [max(0.0, r["p_duplicate"] - r["p_low"]) for r in table]
    hi = [max(0.0, r["p_high"] - r["p_duplicate"]) for r in table]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.errorbar(s, p, yerr=[lo, hi], fmt="o", capsize=3, label="measured P(duplicate | s), 95% CI")
    top = int(max(s) * 1.3) + 1
    grid = sorted({max(2, int(round(x))) for x in _geom(2, top, 120)})
    ax.plot(grid, [float(collision_probability(support, g)) for g in grid], "-", alpha=.7,
            label=f"exact, uniform over N = {support}")
    ax.axhline(0.5, color="grey", lw=.8, ls="--", label="P = 1/2")
    if s_half and s_half.get("value") is not None:
        ax.axvline(s_half["value"], color="C3", lw=1, ls=":", label=f"s½ ≈ {s_half['value']:.1f}")
    ax.set_xscale("log")
    _plain_log_ticks(ax)
    ax.set_xlim(min(min(s), 2) / 1.2, top * 1.05)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("sample size s")
    ax.set_ylabel("P(at least one duplicate)")
    ax.set_title("Birthday-paradox test on the Theorem 1 generator")
    _legend_below(ax)
    fig.tight_layout()
    return fig


def birthday_curve(path: Path, table: list[dict[str, Any]], *, support: int, s_half: dict[str, Any] | None) -> Path:
    return save_figure(birthday_figure(table, support=support, s_half=s_half), path)


def _geom(a: float, b: float, n: int) -> list[float]:
    if b <= a:
        return [a]
    la, lb = math.log(a), math.log(b)
    return [math.exp(la + (lb - la) * i / (n - 1)) for i in range(n)]


# -- attacks ------------------------------------------------------------------------------------
def attack_figure(attacks: dict[str, dict[str, Any]]):
    """Left: test error against the l2 PGM budget; right: rho_test against 1/gamma_adv (WRM
    attack), one line per training method (sampled attacks: lower bounds on the worst case)."""
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.4))
    any_rho = False
    for method, res in attacks.items():
        pgm = res["pgm"]
        a1.plot(pgm["budgets"], pgm["errors"], "o-", label=method.upper())
        wrm = res.get("wrm", {})
        gam = wrm.get("gammas") or wrm.get("gamma_adv")
        rho = wrm.get("rho_test") or wrm.get("rho")
        if gam and rho:
            pts = [(1 / g, r) for g, r in zip(gam, rho) if g > 0 and r > 0]
            if pts:
                any_rho = True
                a2.plot([x for x, _ in pts], [y for _, y in pts], "o-", label=method.upper())
    a1.set_xlabel("ℓ2 PGM budget ε_adv")
    a1.set_ylabel("test error")
    a1.set_ylim(-0.02, 1.02)
    a1.set_title("PGM attack (15 steps)")
    a2.set_xlabel("1 / γ_adv")
    a2.set_ylabel("ρ_test (mean transport cost)")
    if any_rho:
        a2.set_yscale("log")
    else:
        a2.text(0.5, 0.5, "no WRM-attack data", ha="center", va="center", transform=a2.transAxes)
    a2.set_title("WRM (Lagrangian) attack")
    for a in (a1, a2):
        if a.get_legend_handles_labels()[0]:
            _legend_below(a, ncol=3)
    fig.tight_layout()
    return fig


def attack_curves(path: Path, attacks: dict[str, dict[str, Any]]) -> Path:
    return save_figure(attack_figure(attacks), path)


# -- fooling (Theorem 1) --------------------------------------------------------------------------
def fooling_figure(rows: Sequence[dict[str, Any]], *, mstar: int, level: float, gap_range: float,
                   title: str = "", empirical_threshold: int | None = None):
    """Held-out gap of the best trained discriminator against the pool size m.

    ``rows``: dicts with ``m``, ``generator`` (``"relu"`` or ``"ideal"``), ``gap``,
    ``gap_ci_low``, ``gap_ci_high`` and ``explicit_eps`` (inf where the bound says nothing).
    The ReLU and ideal generators get different markers, and a vertical marker shows where the
    experiment switches from one to the other. ``gap_range`` is the largest gap possible for the
    discriminator class (2Δ for φ with values in [−Δ, Δ]; 1 for D in [0, 1] with φ = id): where
    ε(m) ≥ ``gap_range`` the explicit bound cannot fail, and that region is shaded and labelled
    *vacuous*.
    """
    plt = _plt()
    # rows may come back from JSON, where non-finite floats are the strings "inf"/"nan"
    rows = sorted(({**r, **{k: float(r[k]) for k in ("gap", "gap_ci_low", "gap_ci_high", "explicit_eps")}}
                   for r in rows), key=lambda r: r["m"])
    fig, ax = plt.subplots(figsize=(7.2, 5.0))
    for gen, marker, colour, words in (("relu", "o", "C0", "ReLU generator"), ("ideal", "D", "C1", "ideal hash generator")):
        rs = [r for r in rows if r.get("generator") == gen]
        if rs:
            ax.errorbar([r["m"] for r in rs], [r["gap"] for r in rs],
                        yerr=[[max(0.0, r["gap"] - r["gap_ci_low"]) for r in rs],
                              [max(0.0, r["gap_ci_high"] - r["gap"]) for r in rs]],
                        fmt=marker + "-", color=colour, capsize=3, label=f"held-out |gap|, {words} (Hoeffding CI)")
    relu_ms = [r["m"] for r in rows if r.get("generator") == "relu"]
    ideal_ms = [r["m"] for r in rows if r.get("generator") == "ideal"]
    if relu_ms and ideal_ms and max(relu_ms) < min(ideal_ms):
        switch = math.sqrt(max(relu_ms) * min(ideal_ms))
        ax.axvline(switch, color="C4", lw=1.2, ls=(0, (4, 2)),
                   label=f"switch: ReLU up to m = {max(relu_ms):,}, ideal from m = {min(ideal_ms):,}")
    rng = gap_range
    fin = [(r["m"], r["explicit_eps"]) for r in rows if math.isfinite(r["explicit_eps"]) and r["explicit_eps"] < rng]
    if fin:
        ax.plot([a for a, _ in fin], [b for _, b in fin], "s--", color="C2",
                label="explicit ε(m) guaranteed by the theory")
    vac = [r["m"] for r in rows if not (math.isfinite(r["explicit_eps"]) and r["explicit_eps"] < rng)]
    ms = [r["m"] for r in rows]
    xlo, xhi = min(ms + [mstar]) / 1.6, max(ms + [mstar]) * 1.6
    if vac:
        ax.axvspan(xlo, max(vac) * 1.25, color="0.85", alpha=0.6, zorder=0,
                   label=f"vacuous: ε(m) ≥ {rng:g}, the whole range of the gap (the bound cannot fail)")
    ax.axhline(level, color="gray", ls=":", label=f"level = {level:g}")
    ax.axvline(mstar, color="red", ls="-.", label=f"m* = {mstar:,}")
    if empirical_threshold is not None:
        ax.axvline(empirical_threshold, color="green", ls="--", label=f"empirical threshold = {empirical_threshold:,}")
    ax.set_xscale("log")
    ax.set_xlim(xlo, xhi)
    ymax = max([r["gap_ci_high"] for r in rows] + [level] + [b for _, b in fin]) if rows else 1.0
    ax.set_ylim(0.0, ymax * 1.15 if ymax > 0 else 1.0)
    ax.set_xlabel("pool size m (log scale)")
    ax.set_ylabel("|gap| between real and generated pairs")
    ax.set_title(title or "Theorem 1: fooling gap against pool size")
    _legend_below(ax)
    fig.tight_layout()
    return fig


def fooling_curve(path: Path, rows: Sequence[dict[str, Any]], **kw) -> Path:
    return save_figure(fooling_figure(rows, **kw), path)


# -- Figure 2 (certificate) ------------------------------------------------------------------------
def figure2_figure(*, gamma: float, rho_train: float, train_surrogate: float, points: Sequence[dict[str, float]],
                   test_surrogate: float | None = None, title: str = "", train_status: str = "",
                   test_status: str = ""):
    """Sinha et al. Figure 2: the certificate line ρ ↦ E φ_γ + γρ (ε_n omitted) against the
    test worst case (ρ_test, value) over a γ_adv sweep, with a bar at the training ρ̂.

    ``points``: dicts with ``rho_test`` and ``value`` (and optionally ``gamma_adv``). Every
    point is shown (none is dropped to fit the axes); when the points span more than two
    decades of ρ the x axis is logarithmic. When the sweep produced a single distinct point the
    panel says so.
    """
    plt = _plt()
    pts = sorted(((float(p["rho_test"]), float(p["value"])) for p in points), key=lambda t: t[0])
    pts = [(r, v) for r, v in pts if math.isfinite(r) and math.isfinite(v)]
    distinct = sorted(set(pts))
    fig, ax = plt.subplots(figsize=(6.0, 4.8))
    rhos = [r for r, _ in pts if r > 0] + ([rho_train] if rho_train > 0 else [])
    logx = bool(rhos) and max(rhos) / min(rhos) > 100
    if logx:
        xlo, xhi = min(rhos) / 2, max(rhos) * 2
        xs = _geom(xlo, xhi, 60)
    else:
        xlo, xhi = 0.0, max([r for r, _ in pts] + [rho_train, 1e-6]) * 1.15
        xs = [xlo, xhi]
    ax.plot(xs, [train_surrogate + gamma * x for x in xs], color="tab:blue",
            label=f"certificate, train (γ = {gamma:g}{', ' + train_status if train_status else ''}; ε_n omitted)")
    if test_surrogate is not None:
        ax.plot(xs, [test_surrogate + gamma * x for x in xs], color="tab:green", ls="--",
                label=f"test-set certificate{', ' + test_status if test_status else ''}")
    if pts:
        ax.plot([r for r, _ in pts], [v for _, v in pts], "o-", color="tab:red", ms=5,
                label=f"test worst case (γ_adv sweep, {len(pts)} points)")
    ax.axvline(rho_train, color="k", lw=1, label=f"ρ̂_train = {rho_train:.3g}")
    if len(distinct) <= 1:
        msg = ("no test point" if not distinct else
               f"only one distinct test point: ρ = {distinct[0][0]:.3g}, value = {distinct[0][1]:.3g}\n"
               "(every γ_adv of the sweep gave the same worst case)")
        ax.text(0.5, 0.55, msg, ha="center", va="center", transform=ax.transAxes, fontsize=8,
                bbox=dict(fc="#fff8dc", ec="#b77900"))
    if logx:
        ax.set_xscale("log")
    ax.set_xlim(xlo, xhi)
    ys = [v for _, v in pts] + [train_surrogate + gamma * x for x in (xlo, xhi)]
    if test_surrogate is not None:
        ys += [test_surrogate + gamma * x for x in (xlo, xhi)]
    ylo = min(0.0, min(ys))
    ax.set_ylim(ylo, max(ys) * 1.1 if max(ys) > 0 else 1.0)
    ax.set_xlabel("ρ (robustness level)" + (" — log scale" if logx else ""))
    ax.set_ylabel("loss (cross-entropy)")
    ax.set_title(title or f"Figure 2 at γ = {gamma:g}", fontsize=10)
    _legend_below(ax, ncol=1)
    fig.tight_layout()
    return fig


def figure2_panel(path: Path, **kw) -> Path:
    return save_figure(figure2_figure(**kw), path)
