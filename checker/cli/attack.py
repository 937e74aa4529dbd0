"""``checker attack MODEL``: test error of a saved model against a sweep of attack budgets
(ℓ2/ℓ∞ PGM, FGM, IFGM) or of WRM penalties γ_adv (Sinha, Namkoong, Duchi, ICLR 2018, Figs. 3
and 4(a)).

This measures (samples) robustness; it certifies nothing. Exit 0 when the sweep ran, 2 on bad
usage.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "attack", help="error of a saved model against attack budgets (PGM/FGM/IFGM/WRM)",
        description="Attack a model saved by 'checker train' on its test split and print the "
                    "error for each budget (or each gamma_adv for --attack wrm).")
    p.add_argument("model", metavar="MODEL", help="run folder or model.pt saved by checker train, "
                                                  "an ONNX file (.onnx) or a TorchScript archive")
    p.add_argument("--attack", default="pgm", help="pgm (default), fgm, ifgm or wrm")
    p.add_argument("--norm", default="2", help="2 (default) or inf (norm-ball attacks)")
    p.add_argument("--budgets", help="comma-separated eps values (default: C_p x 0,0.05,0.1,0.15,0.2)")
    p.add_argument("--gammas", help="comma-separated gamma_adv values for --attack wrm "
                                    "(default: gamma x 4,2,1,1/2,1/4)")
    p.add_argument("--steps", type=int, help="attack steps (default 15; 16 for wrm)")
    p.add_argument("--dataset", "--data", dest="dataset",
                   help="data set to attack: synthetic, mnist, digits or PATH.npz (default: the one "
                        "the model was trained on; required for ONNX/TorchScript files)")
    p.add_argument("--max-test", dest="max_test", type=int, help="attack only the first N test points")
    p.add_argument("--seed", type=int, default=0, help="random-start seed (default 0)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N")
    p.add_argument("--deterministic", action=argparse.BooleanOptionalAction, default=None,
                   help="require torch's deterministic algorithms (default: CHECKER_DETERMINISTIC)")
    p.add_argument("--allow-tf32", dest="allow_tf32", action="store_true",
                   help="allow TF32 float32 matmuls/convolutions on GPUs that have them (default off)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _floats(name: str, text: str) -> list[float]:
    from checker.errors import InvalidArgument

    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise InvalidArgument(name, text, "must be comma-separated numbers") from None


def run(args) -> int:
    from checker.device import device_policy

    with device_policy(deterministic=args.deterministic, allow_tf32=args.allow_tf32):
        return _run(args)


def _run(args) -> int:
    import dataclasses

    from checker.device import resolve_device
    from checker.io import to_jsonable
    from checker.validate import one_of, positive_int
    from checker.wrm.attacks import budget_sweep, wrm_sweep
    from checker.wrm.data import load_dataset
    from checker.wrm.models import load_model, load_model_meta
    from checker.wrm.wrm import paper_gamma

    from checker.certify.external import is_external, load_external
    from checker.errors import InvalidArgument

    one_of("attack", args.attack, ("pgm", "fgm", "ifgm", "wrm"))
    if is_external(args.model):
        if not args.dataset:
            raise InvalidArgument("--dataset", None, "is required for an ONNX or TorchScript model",
                                  hint="pass --dataset PATH.npz")
        meta = {"method": "external"}
        model = load_external(args.model)
    else:
        meta = load_model_meta(args.model)
        model = load_model(args.model)
    dev = resolve_device(args.device)
    dtype = next(model.parameters()).dtype
    model = model.to(dev)
    cfg = meta.get("config", {})
    name = args.dataset or meta.get("dataset", "synthetic")
    data = load_dataset(name, seed=int(cfg.get("seed", 0)), n=int(cfg.get("n", 2000)),
                        flat=meta.get("model") == "mlp" and name == "digits")
    x, y = data.x_test.to(dev, dtype), data.y_test.to(dev)
    if args.max_test is not None:
        k = positive_int("max_test", args.max_test)
        x, y = x[:k], y[:k]
    if args.attack == "wrm":
        ref = meta.get("gamma") or paper_gamma(name, data.x_train)
        gammas = _floats("gammas", args.gammas) if args.gammas else [ref * f for f in (4, 2, 1, 0.5, 0.25)]
        sweep = wrm_sweep(model, x, y, gammas=gammas, steps=args.steps or 16)
        rows = [(f"{g:.4g}", f"{r:.4g}", f"{l:.4g}", f"{e:.4f}")
                for g, r, l, e in zip(sweep.gammas, sweep.rho_test, sweep.mean_loss, sweep.errors)]
        cols = ("gamma_adv", "rho_test", "mean loss", "error")
    else:
        from checker.wrm._grad import check_norm

        norm = check_norm(args.norm)
        flat = x.reshape(x.shape[0], -1)
        cp = float((flat.norm(dim=1) if norm == "2" else flat.abs().amax(dim=1)).mean())
        budgets = _floats("budgets", args.budgets) if args.budgets else [cp * f for f in (0, 0.05, 0.1, 0.15, 0.2)]
        sweep = budget_sweep(model, x, y, attack=args.attack, norm=norm, budgets=budgets,
                             steps=args.steps or 15, seed=args.seed)
        rows = [(f"{b:.4g}", f"{b / cp:.4g}", f"{l:.4g}", f"{e:.4f}")
                for b, l, e in zip(sweep.budgets, sweep.mean_loss, sweep.errors)]
        cols = ("eps", "eps/C_p", "mean loss", "error")
    if args.json:
        print(json.dumps(to_jsonable({"model": str(args.model), "method": meta.get("method"),
                                      "dataset": name, "attack": args.attack,
                                      "sweep": dataclasses.asdict(sweep),
                                      "test_accuracy": meta.get("test_accuracy"),
                                      "rho_hat": meta.get("rho_hat"),
                                      "note": "sampled attack results; nothing is certified"})))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{args.attack.upper()} attack on {meta.get('method', '?').upper()} model "
                        f"({name}, n={x.shape[0]}, {dev})")
    for c in cols:
        table.add_column(c, justify="right")
    for r in rows:
        table.add_row(*r)
    con = Console(markup=False)
    con.print(table)
    con.print("sampled attack results (lower bounds on the worst case); nothing is certified")
    return 0
