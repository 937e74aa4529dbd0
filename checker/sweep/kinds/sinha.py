r"""Sweep kinds for Sinha, Namkoong, Duchi (ICLR 2018): ``wrm-train-attack``, ``certify-rho``
and ``concavity``.

Paper settings [P] (docs/math/sinha.md): the MNIST convnet (8×8, 6×6, 5×5 ELU convolutions and
a dense layer, 710,218 parameters), WRM with :math:`\gamma = 0.04\,C_2`
(:math:`C_p = \mathbb{E}_n\lVert X\rVert_p`), and the baselines FGM/IFGM/PGM at
:math:`\epsilon = \sqrt{\hat\rho_n(\theta_{\rm WRM})}` (eq. (19), ``eps = "match-wrm"``).
Figure 3 attacks each model with ℓ2 and ℓ∞ PGM at budgets :math:`\epsilon_{adv} = r\,C_p`
(``attack_budgets_rel`` lists the :math:`r`); Figure 4(a) runs the WRM attack at
:math:`\gamma_{adv} = r\,C_2` and reports :math:`\hat\rho_{test}`. The paper's budget grids,
optimiser, epochs and step sizes are not given; ours are project choices [R].

Trained models come from the cache of :mod:`checker.sweep.models` (a baseline reuses the WRM
model it is matched to; ``certify-rho`` and ``concavity`` reuse the models of
``wrm-train-attack`` when the training parameters agree), so every task stays a pure function
of its configuration.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from checker.errors import InvalidArgument
from checker.sweep.kinds.base import Kind
from checker.sweep.models import TRAIN, load_data, normalise_train, train_x, trained_model
from checker.sweep.params import Param
from checker.validate import one_of

__all__ = ["TRAIN_ATTACK", "CERTIFY", "CONCAVITY"]


_ATTACK: dict[str, Param] = {
    "attack": Param(type="str", default="pgm", help="pgm (the paper's Figure 3), fgm or ifgm"),
    "attack_norms": Param(type="strs", default=["2", "inf"], help="attack norms"),
    "attack_budgets_rel": Param(type="floats", default=[0.0, 0.05, 0.1, 0.15, 0.2, 0.3],
                                help="attack budgets as multiples of C_p (the paper's x-axis eps_adv/C_p)"),
    "attack_steps": Param(type="int", default=15, help="PGM/IFGM attack steps"),
    "n_attack": Param(type="int?", default=1000, help="test examples attacked (default 1000; unset = all)"),
    "gamma_adv_rel": Param(type="floats", default=[0.02, 0.04, 0.08, 0.16],
                           help="WRM attack penalties as multiples of C2 (Figure 4(a))"),
    "wrm_attack_steps": Param(type="int", default=16, help="WRM attack ascent steps"),
}

_CERTIFY: dict[str, Param] = {
    "n_eval": Param(type="int", default=200, help="training and test examples certified"),
    "gamma_adv_factor": Param(type="floats?", default=None,
                              help="test attack penalties as multiples of the training gamma (default: gamma/2 .. 8 gamma)"),
    "max_steps": Param(type="int", default=200, help="inner ascent steps at most (tolerance: the certifier's)"),
    "rho_points": Param(type="int", default=25, help="points of the rho grid the certificate is tabulated on"),
}

_CONCAVITY: dict[str, Param] = {
    "gammas_rel": Param(type="floats", default=[0.005, 0.01, 0.02, 0.04, 0.08],
                        help="penalties gamma/C2 at which the fraction lambda_max >= 2 gamma is reported"),
    "n_points": Param(type="int", default=500, help="training points at which the Hessian is estimated"),
    "hessian_iters": Param(type="int", default=20, help="power iterations per stage"),
    "split": Param(type="str", default="train", help="train or test points"),
}


def _normalise_attack(c: dict[str, Any]) -> dict[str, Any]:
    from checker.validate import nonnegative, one_of, positive, positive_int
    from checker.wrm._grad import check_norm

    c = normalise_train(c)
    one_of("attack", c["attack"], ("pgm", "fgm", "ifgm"))
    c["attack_norms"] = [check_norm(n) for n in c["attack_norms"]]
    if not c["attack_norms"] or not c["attack_budgets_rel"]:
        raise InvalidArgument("attack_budgets_rel", c["attack_budgets_rel"], "must not be empty")
    for b in c["attack_budgets_rel"]:
        nonnegative("attack_budgets_rel", b)
    for g in c["gamma_adv_rel"]:
        positive("gamma_adv_rel", g)
    positive_int("attack_steps", c["attack_steps"])
    positive_int("wrm_attack_steps", c["wrm_attack_steps"])
    if c["n_attack"] is not None:
        positive_int("n_attack", c["n_attack"])
    return c


def _normalise_certify(c: dict[str, Any]) -> dict[str, Any]:
    from checker.validate import positive, positive_int

    if c["method"] != "wrm":
        raise InvalidArgument("method", c["method"], "must be 'wrm' for certify-rho (the certificate is WRM's)")
    c = normalise_train(c)
    positive_int("n_eval", c["n_eval"])
    positive_int("max_steps", c["max_steps"])
    if positive_int("rho_points", c["rho_points"]) < 2:
        raise InvalidArgument("rho_points", c["rho_points"], "must be >= 2")
    for g in c["gamma_adv_factor"] or ():
        positive("gamma_adv_factor", g)
    return c


def _normalise_concavity(c: dict[str, Any]) -> dict[str, Any]:
    from checker.validate import positive, positive_int

    c = normalise_train(c)
    if not c["gammas_rel"]:
        raise InvalidArgument("gammas_rel", c["gammas_rel"], "must not be empty")
    for g in c["gammas_rel"]:
        positive("gammas_rel", g)
    positive_int("n_points", c["n_points"])
    positive_int("hessian_iters", c["hessian_iters"])
    one_of("split", c["split"], ("train", "test"))
    return c


# ---------------------------------------------------------------------------------- runtime


def _test_split(tp: dict[str, Any], model, n: int | None, *, split: str = "test"):
    import torch

    data = load_data(tp)
    x = data.x_test if split == "test" else train_x(tp, data)
    y = data.y_test if split == "test" else data.y_train[: x.shape[0]]
    if n is not None:
        x, y = x[:n], y[:n]
    p = next(model.parameters())
    return x.to(p.device, p.dtype), y.to(p.device), data


def _cp(x, p: float) -> float:
    """:math:`C_p = \\mathbb{E}_n\\lVert X\\rVert_p` over a data tensor."""
    return float(x.reshape(x.shape[0], -1).double().norm(p=p, dim=1).mean())


def run_train_attack(c: dict[str, Any], root: Path) -> dict[str, Any]:
    from checker.wrm.attacks import budget_sweep, wrm_sweep

    model, summary = trained_model(c, root)
    x, y, data = _test_split(c, model, c["n_attack"])
    xtr = train_x(c, data)
    scale = {"2": _cp(xtr, 2), "inf": _cp(xtr, math.inf)}
    attacks = {}
    for norm in c["attack_norms"]:
        budgets = [r * scale[norm] for r in c["attack_budgets_rel"]]
        s = budget_sweep(model, x, y, attack=c["attack"], norm=norm, budgets=budgets,
                         steps=c["attack_steps"], seed=c["seed"])
        attacks[norm] = {"C_p": scale[norm], "budgets_rel": list(c["attack_budgets_rel"]),
                         "budgets": list(s.budgets), "errors": list(s.errors),
                         "mean_loss": list(s.mean_loss), "n": s.n, "steps": s.steps}
    gammas = [r * scale["2"] for r in c["gamma_adv_rel"]]
    wrm_attack = None
    if gammas:
        w = wrm_sweep(model, x, y, gammas=gammas, steps=c["wrm_attack_steps"])
        wrm_attack = {"gamma_adv_rel": list(c["gamma_adv_rel"]), "gammas": list(w.gammas),
                      "rho_test": list(w.rho_test), "errors": list(w.errors),
                      "mean_loss": list(w.mean_loss), "n": w.n, "steps": w.steps}
    return {"train": summary, "C2": scale["2"], "C_inf": scale["inf"], "attacks": attacks,
            "wrm_attack": wrm_attack}


def run_certify(c: dict[str, Any], root: Path) -> dict[str, Any]:
    from checker.certify.figure2 import figure2

    model, summary = trained_model(c, root)
    n = c["n_eval"]
    xte, yte, data = _test_split(c, model, n)
    xtr, ytr, _ = _test_split(c, model, n, split="train")
    gamma = float(summary["gamma"])
    grid = None if c["gamma_adv_factor"] is None else [r * gamma for r in c["gamma_adv_factor"]]
    res = figure2(model, xtr, ytr, xte, yte, gamma=gamma, gamma_adv=grid, seed=c["seed"],
                  max_steps=c["max_steps"], name="certify-rho",
                  model_note=f"{summary['model']} model, {summary['epochs']} epochs")
    d = res.to_dict()
    d.pop("png", None)
    rho_max = max([p.rho_test for p in res.points] + [res.rho_train]) * 1.1
    rhos = [rho_max * i / (c["rho_points"] - 1) for i in range(c["rho_points"])]
    tr = res.train
    d["rho_grid"] = rhos
    d["certificate_train"] = [tr["gamma"] * r + tr["surrogate_mean"] for r in rhos]
    d["certificate_sound"] = bool(tr["sound"])
    d["train"] = summary
    return d


def run_concavity(c: dict[str, Any], root: Path) -> dict[str, Any]:
    import torch

    from checker.certify.hessian import hessian_lambda_max
    from checker.threads import threads_for
    from checker.wrm._mode import frozen_eval
    from checker.wrm.training import training_loss

    model, summary = trained_model(c, root)
    x, y, data = _test_split(c, model, c["n_points"], split=c["split"])
    c2 = _cp(train_x(c, data), 2)
    # float64 for the estimate (the standards' numeric floor); the model is copied, not changed.
    import copy

    m64 = copy.deepcopy(model).double()
    loss = training_loss(c["label_smoothing"])
    with threads_for(m64), frozen_eval(m64):
        est = hessian_lambda_max(m64, x.double(), y, iters=c["hessian_iters"], seed=c["seed"],
                                 loss_fn=loss)
    lam = est.lambda_max.cpu()
    rows = []
    for r in c["gammas_rel"]:
        g = r * c2
        k = int((lam >= 2 * g).sum())
        rows.append({"gamma_rel": r, "gamma": g, "threshold_2gamma": 2 * g, "n_not_strongly_concave": k,
                     "fraction": k / lam.numel()})
    q = torch.quantile(lam, torch.tensor([0.0, 0.5, 0.9, 0.99, 1.0], dtype=lam.dtype))
    return {"train": summary, "C2": c2, "n_points": int(lam.numel()), "split": c["split"],
            "rows": rows, "lambda_quantiles": {"0": float(q[0]), "0.5": float(q[1]), "0.9": float(q[2]),
                                               "0.99": float(q[3]), "1": float(q[4])},
            "hessian_iters": est.iters,
            "note": ("lambda_max estimates are Rayleigh quotients (lower estimates), so each fraction "
                     "is a lower estimate of the true fraction at the data points")}


def _phase(c: dict[str, Any]) -> int:
    """WRM models (and baselines with a numeric eps) first; everything that reuses them after."""
    return 1 if c.get("eps") == "match-wrm" and c["method"] in ("fgm", "ifgm", "pgm") else 0


#: Code a result depends on (its content address): the library packages and this module.
_PKGS = ("checker/wrm", "checker/certify", "checker/threads.py", "checker/device.py",
         "checker/sweep/models.py", "checker/sweep/kinds/sinha.py")

TRAIN_ATTACK = Kind(
    name="wrm-train-attack",
    description="train ERM/FGM/IFGM/PGM/WRM, attack with l2/linf PGM and the WRM attack (Figures 3, 4(a))",
    params={**TRAIN, **_ATTACK}, run=run_train_attack, normalise=_normalise_attack, phase=_phase,
    packages=_PKGS, label_hint=("method", "seed"))

CERTIFY = Kind(
    name="certify-rho",
    description="the certificate gamma*rho + E[phi_gamma] along a rho grid vs the test worst case (Figure 2)",
    params={**TRAIN, **_CERTIFY}, run=run_certify, normalise=_normalise_certify, phase=lambda c: 1,
    packages=_PKGS, label_hint=("gamma_c2", "seed"))

CONCAVITY = Kind(
    name="concavity",
    description="fraction of data points with lambda_max(Hessian_z loss) >= 2 gamma across gamma (App. A.4)",
    params={**TRAIN, **_CONCAVITY}, run=run_concavity, normalise=_normalise_concavity,
    phase=lambda c: 1, packages=_PKGS, label_hint=("method", "gamma_c2", "seed"))
