"""Figures the main job draws from capability results (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["birthday_curve", "attack_curves"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def birthday_curve(path: Path, table: list[dict[str, Any]], *, support: int, s_half: dict[str, Any]) -> Path:
    """P(duplicate | s) with Clopper-Pearson intervals, against the exact uniform curve."""
    from checker.bounds.birthday import collision_probability

    plt = _plt()
    s = [r["s"] for r in table]
    p = [r["p_duplicate"] for r in table]
    lo = [r["p_duplicate"] - r["p_low"] for r in table]
    hi = [r["p_high"] - r["p_duplicate"] for r in table]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.errorbar(s, p, yerr=[lo, hi], fmt="o", capsize=3, label="measured P(duplicate | s), 95% CI")
    grid = sorted({int(x) for x in range(2, int(max(s) * 1.3) + 1)})
    ax.plot(grid, [collision_probability(support, g) for g in grid], "-", alpha=.7,
            label=f"exact, uniform over N = {support}")
    ax.axhline(0.5, color="grey", lw=.8, ls="--")
    if s_half and s_half.get("value") is not None:
        ax.axvline(s_half["value"], color="C3", lw=1, ls=":", label=f"s½ ≈ {s_half['value']:.1f}")
    ax.set_xscale("log")
    ax.set_xlabel("sample size s")
    ax.set_ylabel("P(at least one duplicate)")
    ax.set_title("Birthday-paradox test on the Theorem 1 generator")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def attack_curves(path: Path, attacks: dict[str, dict[str, Any]]) -> Path:
    """Left: test error against the l2 PGM budget; right: rho_test against 1/gamma_adv (WRM
    attack), one line per training method (sampled attacks: lower bounds on the worst case)."""
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for method, res in attacks.items():
        pgm = res["pgm"]
        a1.plot(pgm["budgets"], pgm["errors"], "o-", label=method.upper())
        wrm = res["wrm"]
        gam = wrm.get("gammas") or wrm.get("gamma_adv")
        rho = wrm.get("rho_test") or wrm.get("rho")
        if gam and rho:
            a2.plot([1 / g for g in gam], rho, "o-", label=method.upper())
    a1.set_xlabel("l2 PGM budget eps_adv")
    a1.set_ylabel("test error")
    a1.set_title("PGM attack (15 steps)")
    a2.set_xlabel("1 / gamma_adv")
    a2.set_ylabel("rho_test (mean transport cost)")
    a2.set_yscale("log")
    a2.set_title("WRM (Lagrangian) attack")
    for a in (a1, a2):
        a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
