"""Aggregating a sweep's task records into figures (PNG), a report section (Markdown + JSON)
and reproduction-table rows.

Evidence words follow the main job: **measured** — a deterministic number of one run (an
accuracy, a test error of one attack on n examples); **tested with n samples** — sampled
evidence with its sample size; **estimate** — a number that rests on an approximation (power
iteration lower estimates, support estimates). A claim's verdict is *reproduced*, *not
reproduced* or *not comparable* (our settings differ too much for the paper's number to apply),
never "proved".

Paper numbers appear only where the paper states them (docs/math/sinha.md, docs/math/birthday.md,
docs/math/arora-thm1.md); every other reference column says "qualitative" or "—".
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from checker.sweep.spec import SweepSpec

__all__ = ["Report", "aggregate", "CONCAVITY_CLAIM_FRACTION", "CONCAVITY_CLAIM_GAMMA_REL",
           "PAPER_MNIST_ACCURACY", "PAPER_C2"]

#: App. A.4 [P]: at gamma = 0.02 C2 the inner problem is not strongly concave for over 10% of the data.
CONCAVITY_CLAIM_GAMMA_REL = 0.02
CONCAVITY_CLAIM_FRACTION = 0.10
#: §4.2 [P]: all methods reach at least 99% test accuracy on MNIST.
PAPER_MNIST_ACCURACY = 0.99
#: §4.2 [P]: C2 = E||X||_2 = 9.21 on MNIST (pixels in [0, 1]), reported to 3 significant digits.
PAPER_C2 = 9.21
#: Relative agreement for "C2 matches the paper's 9.21": the paper rounds to 3 digits and our
#: 5,000 images are a subset of its 60,000, so a 2% band (about 0.18) is the comparison we make.
C2_REL_TOL = 0.02
#: Misses of the exact probability by the 95% intervals at one support that count as systematic
#: (each interval misses by chance with probability <= 5%, two of six about 3%).
BIRTHDAY_SYSTEMATIC_MISSES = 2


@dataclass(frozen=True, kw_only=True)
class Report:
    """``markdown``: the report section; ``data``: its JSON; ``reproduction``: table rows."""

    markdown: str
    data: dict[str, Any]
    reproduction: tuple[dict[str, Any], ...]
    figures: tuple[str, ...] = ()
    markdown_path: str | None = None
    json_path: str | None = None
    failed: tuple[str, ...] = field(default=())


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> str:
    import io

    from checker.io import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    _plt().close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return str(path)


def _fmt(x, d=3):
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return str(x)
    return f"{x:.{d}g}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_fmt(c) if not isinstance(c, str) else c for c in r) + " |" for r in rows]
    return "\n".join(out)


# ------------------------------------------------------------------ wrm-train-attack (Fig. 3, 4a)

_ORDER = ("erm", "fgm", "ifgm", "pgm", "wrm")


def _train_attack(recs, figdir: Path, figs: list, repro: list) -> tuple[str, dict]:
    by_method: dict[str, list] = defaultdict(list)
    for r in recs:
        by_method[r["result"]["train"]["method"]].append(r["result"])
    methods = [m for m in _ORDER if m in by_method]
    first = by_method[methods[0]][0]
    n_attack = next(iter(first["attacks"].values()))["n"] if first["attacks"] else 0
    seeds = sorted({res["train"]["seed"] for m in methods for res in by_method[m]})
    tr = first["train"]
    lines = [f"Models: {tr['model']} ({tr.get('n_parameters', '?')} parameters), {tr['epochs']} epoch(s) on "
             f"{tr.get('n_train', '?')} training images of `{tr['dataset']}`; seeds {seeds}; attacks on "
             f"{n_attack} test images. C₂ = {_fmt(first['C2'], 4)}, C∞ = {_fmt(first['C_inf'], 4)} (measured on "
             "the training images). Numbers are means over seeds; every error is **measured** on the "
             f"{n_attack} attacked test images (one attack run, a lower bound on the worst-case error).", ""]
    rows = []
    data: dict[str, Any] = {"methods": {}}
    for m in methods:
        rs = by_method[m]
        row = {"test_accuracy": mean(r["train"]["test_accuracy"] for r in rs),
               "train_accuracy": mean(r["train"]["train_accuracy"] for r in rs),
               "eps": rs[0]["train"]["eps"], "gamma": rs[0]["train"]["gamma"],
               "rho_hat": rs[0]["train"]["rho_hat"], "n_seeds": len(rs), "attacks": {}, "wrm_attack": None}
        for norm, a in rs[0]["attacks"].items():
            errs = [mean(r["attacks"][norm]["errors"][i] for r in rs) for i in range(len(a["errors"]))]
            row["attacks"][norm] = {"budgets_rel": a["budgets_rel"], "errors": errs}
        if rs[0]["wrm_attack"]:
            w = rs[0]["wrm_attack"]
            row["wrm_attack"] = {"gamma_adv_rel": w["gamma_adv_rel"],
                                 "rho_test": [mean(r["wrm_attack"]["rho_test"][i] for r in rs)
                                              for i in range(len(w["rho_test"]))]}
        data["methods"][m] = row
        rows.append([m.upper(), row["train_accuracy"], row["test_accuracy"],
                     _fmt(row["eps"]) if row["eps"] is not None else "—",
                     _fmt(row["gamma"]) if row["gamma"] is not None else "—",
                     _fmt(row["rho_hat"]) if row["rho_hat"] is not None else "—"])
    lines += [_table(["method", "train acc.", "test acc.", "ε (train)", "γ (train)", "ρ̂ₙ (WRM)"], rows), ""]
    plt = _plt()
    norms = list(data["methods"][methods[0]]["attacks"])
    if norms:
        fig, axes = plt.subplots(1, len(norms), figsize=(5 * len(norms), 3.6), squeeze=False)
        for ax, norm in zip(axes[0], norms):
            for m in methods:
                a = data["methods"][m]["attacks"][norm]
                ax.plot(a["budgets_rel"], [max(e, 1e-4) for e in a["errors"]], marker="o", label=m.upper())
            ax.set_yscale("log")
            ax.set_xlabel(f"ε_adv / C_{'∞' if norm == 'inf' else '2'}")
            ax.set_ylabel("test error")
            ax.set_title(f"PGM attack, ℓ{'∞' if norm == 'inf' else '2'} (Figure 3)")
            wrm_eps = data["methods"].get("fgm", data["methods"].get("pgm", {})).get("eps")
            if norm == "2" and wrm_eps:
                ax.axvline(wrm_eps / first["C2"], color="grey", ls="--", lw=1)
            ax.legend(fontsize=8)
        figs.append(_save(fig, figdir / "figure3_pgm_attacks.png"))
        for norm in norms:
            budgets = data["methods"][methods[0]]["attacks"][norm]["budgets_rel"]
            hdr = ["method"] + [f"{_fmt(b)}·C{'∞' if norm == 'inf' else '₂'}" for b in budgets]
            lines += [f"Test error under ℓ{'∞' if norm == 'inf' else '2'} PGM (measured):", "",
                      _table(hdr, [[m.upper()] + data["methods"][m]["attacks"][norm]["errors"] for m in methods]), ""]
    have_w = [m for m in methods if data["methods"][m]["wrm_attack"]]
    if have_w:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        for m in have_w:
            w = data["methods"][m]["wrm_attack"]
            ax.plot([1 / g for g in w["gamma_adv_rel"]], w["rho_test"], marker="o", label=m.upper())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("C₂ / γ_adv")
        ax.set_ylabel("ρ̂_test")
        ax.set_title("WRM attack: ρ̂_test (Figure 4(a))")
        ax.legend(fontsize=8)
        figs.append(_save(fig, figdir / "figure4a_rho_test.png"))
        g = data["methods"][have_w[0]]["wrm_attack"]["gamma_adv_rel"]
        lines += ["ρ̂_test of the WRM attack at γ_adv (measured):", "",
                  _table(["method"] + [f"γ_adv={_fmt(x)}·C₂" for x in g],
                         [[m.upper()] + data["methods"][m]["wrm_attack"]["rho_test"] for m in have_w]), ""]

    # reproduction rows
    settings = (f"{tr['model']} net, {tr['epochs']} epoch(s), {tr.get('n_train', '?')} training images, "
                f"{n_attack} attacked, seeds {seeds}")
    accs = {m: data["methods"][m]["test_accuracy"] for m in methods}
    repro.append({"claim": "All methods reach ≥ 99% test accuracy on MNIST (§4.2)", "paper": "≥ 99%",
                  "ours": ", ".join(f"{m.upper()} {accs[m]:.1%}" for m in methods) + " (measured)",
                  "settings": settings,
                  "verdict": "reproduced" if all(a >= PAPER_MNIST_ACCURACY for a in accs.values()) else
                  "not reproduced"})
    if tr["dataset"] in ("mnist", "idx"):
        ok = abs(first["C2"] - PAPER_C2) <= C2_REL_TOL * PAPER_C2
        repro.append({"claim": "C₂ = E‖X‖₂ of MNIST (§4.2)", "paper": "9.21",
                      "ours": f"{first['C2']:.4g} (measured)", "settings": f"{tr.get('n_train', '?')} training images",
                      "verdict": "reproduced" if ok else "not reproduced"})
    for norm in norms:
        if not {"wrm", "erm"} <= set(methods):
            break
        budgets = data["methods"]["wrm"]["attacks"][norm]["budgets_rel"]
        idx = [i for i, b in enumerate(budgets) if b > 0]
        err = {m: data["methods"][m]["attacks"][norm]["errors"] for m in methods}
        others = [m for m in methods if m != "wrm"]
        wins, ties = _strict_wins(err["wrm"], [err[m] for m in others], idx)
        beat = sum(all(err[m][i] < err["erm"][i] for m in methods if m != "erm") for i in idx)
        nm = "ℓ∞" if norm == "inf" else "ℓ2"
        repro.append({"claim": f"Figure 3 ({nm} PGM): WRM is the most robust; all adversarial methods beat ERM",
                      "paper": "qualitative", "ours": f"WRM strictly lowest error at {wins}/{len(idx)} budgets "
                      f"(tied for lowest at {ties}); all adversarial methods strictly below ERM at "
                      f"{beat}/{len(idx)} (measured on {n_attack} images)",
                      "settings": settings,
                      "verdict": _verdict(wins, beat, len(idx), ties)})
    if have_w and "wrm" in have_w and len(have_w) > 1:
        g = data["methods"]["wrm"]["wrm_attack"]["rho_test"]
        rho = [data["methods"][m]["wrm_attack"]["rho_test"] for m in have_w if m != "wrm"]
        smallest, ties = _strict_wins(g, rho, range(len(g)))
        repro.append({"claim": "Figure 4(a): ρ̂_test is smallest for WRM (most stable loss surface)",
                      "paper": "qualitative", "ours": f"WRM strictly smallest at {smallest}/{len(g)} γ_adv "
                      f"(tied for smallest at {ties}; measured)",
                      "settings": settings,
                      "verdict": _verdict(smallest, smallest, len(g), ties)})
    return "\n".join(lines), data


def _strict_wins(ours, others, idx) -> tuple[int, int]:
    """(points where ``ours`` is strictly below every other series, points where it ties the
    lowest of them). A tie is not a win: five methods at the same error show no ranking."""
    wins = ties = 0
    for i in idx:
        best_other = min(o[i] for o in others)
        if ours[i] < best_other:
            wins += 1
        elif ours[i] == best_other:
            ties += 1
    return wins, ties


def _verdict(wins: int, beat: int, n: int, ties: int) -> str:
    """``reproduced`` only when every point is a strict win (and, for Figure 3, every adversarial
    method strictly beats ERM); ``partly`` when some are; a run of ties says so."""
    if n and wins == n and beat == n:
        return "reproduced"
    if wins or beat:
        return "partly reproduced"
    if ties:
        return "not reproduced (ties: no method ranked)"
    return "not reproduced"


# ------------------------------------------------------------------ certify-rho (Fig. 2)

def _certify(recs, figdir: Path, figs: list, repro: list) -> tuple[str, dict]:
    plt = _plt()
    lines, data = [], []
    for r in recs:
        res = r["result"]
        tr = res["train"]
        pts = res["points"]
        n = res["train_certificate"]["n"]
        sound = res["certificate_sound"]
        checks = res["checks"]
        fig, ax = plt.subplots(figsize=(5, 3.6))
        ax.plot(res["rho_grid"], res["certificate_train"], color="tab:blue", label="certificate (train)")
        ax.scatter([p["rho_test"] for p in pts], [p["value"] for p in pts], color="tab:red",
                   label="test worst case", zorder=3)
        ax.axvline(res["rho_train"], color="grey", ls="--", lw=1)
        ax.set_xlabel("ρ")
        ax.set_ylabel("loss")
        ax.set_title(f"Figure 2 (MNIST), γ = {res['gamma']:.3g}")
        ax.legend(fontsize=8)
        name = f"figure2_certificate_seed{tr['seed']}.png"
        figs.append(_save(fig, figdir / name))
        below = sum(p["below_train_line"] for p in pts)
        above = [p for p in pts if not p["below_train_line"]]
        lines += [f"WRM model (seed {tr['seed']}, {tr['model']}, {tr['epochs']} epoch(s)), γ = {res['gamma']:.4g}: "
                  f"training ρ̂ₙ = {res['rho_train']:.4g}; certificate on {n} training points is "
                  f"{'sound (argument: ' + str(res['train_certificate'].get('argument', 'see the certificate')) + ', rounding included)' if sound else 'an estimate (not sound: ' + str(res['train_certificate'].get('reason', '')) + ')'}; "
                  f"{below}/{len(pts)} test worst-case points lie on or below the training certificate line "
                  f"(tested with {n} test points per γ_adv)."
                  + (" Above the line: " + ", ".join(f"ρ_test = {p['rho_test']:.3g} (γ_adv = {p['gamma_adv']:.3g})"
                                                     for p in above)
                     + f"; the training ρ̂ₙ is {res['rho_train']:.3g} (the paper omits εₙ(t), so the line "
                       "is only claimed to be almost tight near ρ̂ₙ)." if above else ""), ""]
        for k, c in checks.items():
            outcome = c.get("outcome") or ("pass" if c["passed"] else "fail")
            lines.append(f"- {k}: { {'pass': 'passed', 'fail': 'FAILED', 'vacuous': 'vacuous'}[outcome]} — {c['summary']}")
        lines.append("")
        data.append({"seed": tr["seed"], "gamma": res["gamma"], "rho_train": res["rho_train"], "sound": sound,
                     "points_below_train_line": below, "points": len(pts), "n": n})
        repro.append({"claim": "Figure 2(b): the certificate upper-bounds the test worst case (MNIST)",
                      "paper": "qualitative", "ours": f"{below}/{len(pts)} points below the line; certificate "
                      f"{'sound' if sound else 'an estimate (not sound)'} (tested with {n} points)",
                      "settings": f"{tr['model']} net, {tr['epochs']} epoch(s), {tr.get('n_train', '?')} training images",
                      "verdict": "reproduced" if below == len(pts) else
                      ("partly reproduced" if 2 * below > len(pts) else "not reproduced")})
    return "\n".join(lines), {"models": data}


# ------------------------------------------------------------------ concavity (App. A.4)

def _concavity(recs, figdir: Path, figs: list, repro: list) -> tuple[str, dict]:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.6))
    lines = ["Fraction of points whose Hessian estimate λ̂_max(∇²_z ℓ) is ≥ 2γ (a lower estimate of the "
             "fraction that is not strongly concave at the data point):", ""]
    rows, data = [], []
    for r in sorted(recs, key=lambda r: (r["result"]["train"]["method"], str(r["config"].get("gamma_c2")),
                                         r["result"]["train"]["seed"])):
        res = r["result"]
        tr = res["train"]
        gtrain = r["config"].get("gamma_c2")
        lab = f"{tr['method'].upper()}" + (f" γ={gtrain}·C₂" if tr["method"] == "wrm" and gtrain else "") + f" seed {tr['seed']}"
        xs = [row["gamma_rel"] for row in res["rows"]]
        ys = [row["fraction"] for row in res["rows"]]
        ax.plot(xs, ys, marker="o", label=lab)
        rows.append([lab, tr["test_accuracy"]] + ys)
        data.append({"label": lab, "method": tr["method"], "gamma_train_rel": gtrain, "seed": tr["seed"],
                     "n_points": res["n_points"], "rows": res["rows"], "lambda_quantiles": res["lambda_quantiles"]})
        if tr["method"] == "wrm" and gtrain is not None and abs(gtrain - CONCAVITY_CLAIM_GAMMA_REL) < 1e-12:
            at = [row for row in res["rows"] if abs(row["gamma_rel"] - CONCAVITY_CLAIM_GAMMA_REL) < 1e-12]
            if at:
                f = at[0]["fraction"]
                repro.append({"claim": "App. A.4: at γ = 0.02·C₂ the inner problem is not strongly concave "
                                       "for > 10% of the data", "paper": "> 10%",
                              "ours": f"{f:.1%} of {res['n_points']} {res['split']} points (estimate; lower "
                                      f"estimate of the true fraction)",
                              "settings": f"WRM γ=0.02·C₂, {tr['model']} net, {tr['epochs']} epoch(s), "
                                          f"{tr.get('n_train', '?')} training images, {res['hessian_iters']} power iterations",
                              "verdict": "reproduced" if f > CONCAVITY_CLAIM_FRACTION else "not reproduced"})
    if data:
        hdr = ["model", "test acc."] + [f"γ={_fmt(x)}·C₂" for x in [r["gamma_rel"] for r in data[0]["rows"]]]
        lines += [_table(hdr, rows), ""]
    ax.axhline(CONCAVITY_CLAIM_FRACTION, color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("γ / C₂")
    ax.set_ylabel("fraction with λ̂_max ≥ 2γ")
    ax.set_title("Strong concavity at the data points (App. A.4)")
    ax.legend(fontsize=7)
    figs.append(_save(fig, figdir / "concavity_fraction.png"))
    return "\n".join(lines), {"models": data}


# ------------------------------------------------------------------ arora-fooling

def _fooling(recs, figdir: Path, figs: list, repro: list) -> tuple[str, dict]:
    plt = _plt()
    by_p: dict[int, list] = defaultdict(list)
    for r in recs:
        by_p[r["result"]["p"]].append(r["result"])
    fig, ax = plt.subplots(figsize=(5, 3.6))
    lines = ["Held-out gap of the best trained bounded discriminator (Hoeffding interval at the stated "
             "level; tested with n_test samples per side). m* is the explicit bound's pool size for ε.", ""]
    rows, data = [], []
    for p, rs in sorted(by_p.items()):
        ms = sorted({r["row"]["m"] for r in rs})
        gaps = [mean(r["row"]["gap"] for r in rs if r["row"]["m"] == m) for m in ms]
        ax.plot(ms, gaps, marker="o", label=f"p = {p}")
        for r in sorted(rs, key=lambda r: (r["row"]["m"])):
            rows.append([p, r["row"]["m"], r["row"]["gap"], r["row"]["gap_ci_low"], r["row"]["gap_ci_high"],
                         r["mstar"], r["row"]["distinct_nonnoise_outputs"]])
        data.append({"p": p, "m": ms, "gap_mean": gaps, "mstar": rs[0]["mstar"], "level": rs[0]["level"]})
        big = [r for r in rs if r["row"]["m"] >= r["mstar"]]
        if big:
            ok = sum(r["gap_within_level"] for r in big)
            repro.append({"claim": f"Theorem 1: for m ≥ m* the pair ε-fools every discriminator of capacity p = {p}",
                          "paper": "theorem (no experiment)", "ours": f"{ok}/{len(big)} tasks with m ≥ m* have a "
                          f"gap lower bound ≤ ε (tested; trained discriminators only)",
                          "settings": f"pool sizes {ms}", "verdict": "reproduced" if ok == len(big) else "not reproduced"})
        else:
            repro.append({"claim": f"Theorem 1: for m ≥ m* the pair ε-fools every discriminator of capacity p = {p}",
                          "paper": "theorem (no experiment)",
                          "ours": f"largest m = {max(ms)} < m* = {rs[0]['mstar']:.3g}: the theorem's range was not reached; "
                                  f"measured gaps {', '.join(_fmt(g) for g in gaps)}",
                          "settings": f"pool sizes {ms}", "verdict": "not comparable (vacuous at these sizes)"})
    lines += [_table(["p", "m", "gap", "CI low", "CI high", "m*", "distinct outputs"], rows), ""]
    ax.set_xscale("log")
    ax.set_xlabel("pool size m")
    ax.set_ylabel("held-out gap")
    ax.set_title("Fooling experiment (Theorem 1)")
    ax.legend(fontsize=8)
    figs.append(_save(fig, figdir / "fooling_gap.png"))
    return "\n".join(lines), {"discriminators": data}


# ------------------------------------------------------------------ birthday-scale

def _birthday(recs, figdir: Path, figs: list, repro: list) -> tuple[str, dict]:
    plt = _plt()
    by_n: dict[int, list] = defaultdict(list)
    for r in recs:
        by_n[r["result"]["truth"]["support"]].append(r)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    lines = ["P(duplicate | s): the fraction of trials with a pair within the calibrated threshold, with its "
             "95% Clopper–Pearson interval (tested with the stated number of trials), against the exact "
             "uniform-case probability 1 − ∏(1 − i/N) (computed in log space).", ""]
    rows, data = [], []
    covered = total = 0
    flagged: list[int] = []
    ratios: dict[int, float] = {}
    for N, rs in sorted(by_n.items()):
        rs = sorted(rs, key=lambda r: (r["result"]["row"]["s"], r["config"]["seed"]))
        ss = [r["result"]["row"]["s"] for r in rs]
        ps = [r["result"]["row"]["p_duplicate"] for r in rs]
        ax.plot([s / math.sqrt(N) for s in ss], ps, marker="o", ls="", label=f"N = {N}")
        misses = 0
        for r in rs:
            row, ex = r["result"]["row"], r["result"]["exact_p_duplicate_uniform"]
            inside = ex is not None and row["p_low"] <= ex <= row["p_high"]
            if ex is not None:
                total += 1
                covered += inside
                misses += not inside
            rows.append([N, row["s"], row["trials"], row["p_duplicate"], row["p_low"], row["p_high"],
                         ex if ex is not None else "—", r["result"]["support_estimate"]["value"]])
        # Each 95% interval misses by chance with probability <= 5%: two misses at one support are
        # read as systematic (BIRTHDAY_SYSTEMATIC_MISSES).
        if misses >= BIRTHDAY_SYSTEMATIC_MISSES:
            flagged.append(N)
        est = rs[-1]["result"]["support_estimate"]["value"]
        if isinstance(est, (int, float)) and math.isfinite(est):
            ratios[N] = est / N
        data.append({"support": N, "s": ss, "p_duplicate": ps, "misses": misses,
                     "estimate_over_truth_at_largest_s": ratios.get(N)})
    import numpy as np

    t = np.geomspace(0.05, 10, 200)
    ax.plot(t, 1 - np.exp(-t ** 2 / 2), color="grey", lw=1, label="1 − exp(−s²/2N)")
    ax.axhline(0.5, color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("s / √N")
    ax.set_ylabel("P(duplicate | s)")
    ax.set_title("Birthday test at scale")
    ax.legend(fontsize=7)
    figs.append(_save(fig, figdir / "birthday_scale.png"))
    lines += [_table(["N", "s", "trials", "P̂(dup)", "CI low", "CI high", "exact (uniform)", "N̂ (collisions)"], rows), ""]
    if ratios:
        lines += ["Collision-count estimate over the true support at the largest s: "
                  + ", ".join(f"N = {N}: {r:.2f}" for N, r in sorted(ratios.items())) + " (estimate).", ""]
    if total:
        ok_n = [N for N in sorted(by_n) if N not in flagged]
        ours = (f"the 95% interval contains the exact probability at {covered}/{total} grid points (tested; "
                "each point with its trials)")
        if flagged:
            ours += (f"; systematic misses (≥ {BIRTHDAY_SYSTEMATIC_MISSES} per support) at N = "
                     + ", ".join(map(str, flagged)) + ": the calibrated threshold also pairs distinct atoms")
        repro.append({"claim": "Birthday paradox: duplicates with probability ≥ 1/2 at s ≈ √N, so a support "
                               "of about s² (docs/math/birthday.md)", "paper": "rule of thumb (s ≈ √N)",
                      "ours": ours, "settings": f"supports {sorted(by_n)}",
                      "verdict": "reproduced" if not flagged else
                      (f"partly reproduced (N ≤ {max(ok_n)})" if ok_n else "not reproduced")})
    return "\n".join(lines), {"supports": data, "intervals_covering_exact": covered, "intervals": total}


def _bigan(recs, figdir: Path, figs: list, repro: list) -> tuple[str, dict]:
    from checker.sweep.kinds.bigan import aggregate_bigan

    return aggregate_bigan(recs, figdir, figs, repro)


_AGG = {"wrm-train-attack": ("MNIST attacks (Sinha et al. Figures 3 and 4(a))", _train_attack),
        "certify-rho": ("Certificate along ρ (Sinha et al. Figure 2, MNIST)", _certify),
        "concavity": ("Strong concavity at the data points (Sinha et al. App. A.4)", _concavity),
        "arora-fooling": ("Fooling experiment (Arora et al. Theorem 1)", _fooling),
        "birthday-scale": ("Birthday-paradox test at scale", _birthday),
        "arora-bigan": ("Trained BiGAN/ALI support vs discriminator size", _bigan)}


def reproduction_markdown(rows) -> str:
    return _table(["claim", "paper", "ours", "settings", "verdict"],
                  [[r["claim"], r["paper"], r["ours"], r["settings"], r["verdict"]] for r in rows])


def aggregate(spec: SweepSpec, records, *, out: str | Path | None = None) -> Report:
    """Build the report section from ``records`` (those of ``spec``'s tasks); with ``out``,
    write ``report-<spec name>.md``, ``report-<spec name>.json`` and ``figures/*.png`` there."""
    from checker.io import atomic_write_text, ensure_dir, write_json

    hashes = {t.hash for t in spec.tasks}
    recs = [r for r in records if r.get("task_hash", r.get("hash")) in hashes]
    codes = sorted({r.get("code", "?") for r in recs})
    ok = [r for r in recs if r.get("status") == "ok"]
    failed = tuple(f"{r['label']}: {r.get('error', '')}" for r in recs if r.get("status") != "ok")
    figdir = ensure_dir(Path(out) / "figures") if out is not None else Path(".")
    figs: list[str] = []
    repro: list[dict[str, Any]] = []
    md = [f"## Sweep `{spec.name}`{' (quick)' if spec.quick else ''}", "",
          spec.description.strip(), "",
          f"{len(ok)} of {len(spec.tasks)} tasks finished" + (f", {len(failed)} failed" if failed else "")
          + (f", {len(spec.tasks) - len(recs)} not run" if len(recs) < len(spec.tasks) else "")
          + (f" (code version {', '.join(codes)})." if codes else "."), ""]
    data: dict[str, Any] = {"spec": spec.name, "quick": spec.quick, "tasks": len(spec.tasks), "code": codes,
                            "finished": len(ok), "failed": list(failed), "kinds": {}}
    for kind, (title, fn) in _AGG.items():
        kr = [r for r in ok if r["kind"] == kind]
        if not kr:
            continue
        text, d = fn(kr, figdir, figs, repro)
        md += [f"### {title}", "", text, ""]
        data["kinds"][kind] = d
    if repro:
        md += ["### Reproduction", "", reproduction_markdown(repro), ""]
    if failed:
        md += ["### Failed tasks", ""] + [f"- {f}" for f in failed] + [""]
    data["reproduction"] = repro
    text = "\n".join(md)
    mpath = jpath = None
    if out is not None:
        mpath = str(atomic_write_text(Path(out) / f"report-{spec.name}.md", text))
        jpath = str(write_json(Path(out) / f"report-{spec.name}.json", data))
    return Report(markdown=text, data=data, reproduction=tuple(repro), figures=tuple(figs),
                  markdown_path=mpath, json_path=jpath, failed=failed)
