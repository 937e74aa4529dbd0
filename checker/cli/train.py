"""``checker train``: train ERM/FGM/IFGM/PGM/WRM (Sinha, Namkoong, Duchi, ICLR 2018), or
reproduce a figure of the paper with ``--figure {1,3,4a}``.

Training is not a check: it exits 0 when the run finished (1 never), 2 on bad usage.
With ``--out DIR`` every epoch is checkpointed atomically; re-running the same command resumes
(on the same device type and dtype only: a cross-device resume exits 2 naming ``--device``).
``--deterministic`` and ``--allow-tf32`` set the numerical policy of :mod:`checker.device`.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_parser", "run"]

_FIELDS = {"method": "method", "dataset": "dataset", "model": "model", "activation": "activation",
           "gamma": "gamma", "eps": "eps", "norm": "norm", "epochs": "epochs", "steps": "steps",
           "batch_size": "batch_size", "lr": "lr", "seed": "seed", "n": "n", "max_train": "max_train",
           "dtype": "dtype", "label_smoothing": "label_smoothing"}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="train ERM/FGM/IFGM/PGM/WRM, or reproduce a figure (--figure)",
        description="Train a model with WRM (Sinha et al. 2018) or a baseline; checkpoints every "
                    "epoch to --out and resumes when re-run. --figure reproduces Fig. 1, 3 or 4(a).")
    p.add_argument("--method", help="erm, fgm, ifgm, pgm or wrm (default erm)")
    p.add_argument("--dataset", help="synthetic (default), mnist, digits or PATH.npz")
    p.add_argument("--model", help="mlp or conv (default: conv for mnist, mlp otherwise)")
    p.add_argument("--activation", help="relu, elu (default), tanh or softplus")
    p.add_argument("--gamma", type=float, help="WRM penalty (default: 2 synthetic, 0.04*C2 otherwise)")
    p.add_argument("--eps", type=float, help="FGM/IFGM/PGM budget")
    p.add_argument("--match-wrm", metavar="RUN", help="use eps = sqrt(rho_hat) of a saved WRM run")
    p.add_argument("--norm", help="2 (default) or inf, for FGM/IFGM/PGM")
    p.add_argument("--epochs", type=int, help="default 30 on synthetic, 5 otherwise")
    p.add_argument("--steps", type=int, help="inner steps (WRM, default 16) or T_adv (IFGM/PGM, default 15)")
    p.add_argument("--batch-size", dest="batch_size", type=int, help="default 128")
    p.add_argument("--lr", type=float, help="Adam learning rate (default 0.01 synthetic, 0.001 otherwise)")
    p.add_argument("--seed", type=int, help="seed for data, init and order (default 0)")
    p.add_argument("--n", type=int, help="synthetic training points (default 2000)")
    p.add_argument("--max-train", dest="max_train", type=int, help="use only the first N training points")
    p.add_argument("--dtype", help="float64 (default) or float32")
    p.add_argument("--label-smoothing", dest="label_smoothing", type=float,
                   help="cross-entropy label smoothing (default 0; the authors' MNIST clip is 1/9)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N; a checkpoint "
                                                   "resumes only on the device type it was written on")
    p.add_argument("--deterministic", action=argparse.BooleanOptionalAction, default=None,
                   help="require torch's deterministic algorithms and a fixed cuBLAS workspace "
                        "(default: on when CHECKER_DETERMINISTIC=1, else off)")
    p.add_argument("--allow-tf32", dest="allow_tf32", action="store_true",
                   help="allow TF32 float32 matmuls/convolutions on GPUs that have them (default off)")
    p.add_argument("--config", metavar="TOML", help="TOML file of training options (flags override it)")
    p.add_argument("--out", metavar="DIR", help="folder for checkpoint, model.pt and result.json")
    p.add_argument("--figure", help="reproduce a figure instead: 1, 3 or 4a")
    p.add_argument("--full", action="store_true", help="with --figure: the paper-scale settings (GPU)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _print_json(obj) -> None:
    from checker.io import to_jsonable

    print(json.dumps(to_jsonable(obj)))


def run(args) -> int:
    from checker.errors import InvalidArgument

    if args.figure is not None:
        from checker.validate import one_of
        from checker.wrm.figures import FIGURES, make_figure

        one_of("figure", args.figure, FIGURES)
        from checker.device import device_policy

        with device_policy(deterministic=args.deterministic, allow_tf32=args.allow_tf32):
            res = make_figure(args.figure, out=args.out or f"figure{args.figure}", full=args.full,
                              seed=args.seed or 0, device=args.device)
        if args.json:
            _print_json(res)
        else:
            from rich.console import Console

            con = Console(markup=False)
            con.print(f"Figure {args.figure} ({'full' if args.full else 'quick'} settings)")
            for line in res["lines"]:
                con.print(f"  {line}")
            con.print(f"  written: {res['png']} and {res['json']}")
        return 0

    from checker.wrm.training import TrainConfig, eps_from_wrm_run, load_config_file, train

    fields = load_config_file(args.config) if args.config else {}
    for attr, key in _FIELDS.items():
        val = getattr(args, attr)
        if val is not None:
            fields[key] = val
    if args.match_wrm is not None:
        if args.eps is not None:
            raise InvalidArgument("match_wrm", args.match_wrm, "cannot be combined with --eps")
        fields["eps"] = eps_from_wrm_run(args.match_wrm)
    config = TrainConfig.from_mapping(fields)
    result = train(config, out=args.out, device=args.device, deterministic=args.deterministic,
                   allow_tf32=args.allow_tf32)
    summary = result.summary()
    if args.json:
        _print_json(summary)
        return 0
    from rich.console import Console
    from rich.table import Table

    con = Console(markup=False)
    table = Table(title=f"{config.method.upper()} on {config.dataset} "
                        f"({config.model_kind()}, {config.activation}, {result.device})")
    for col in ("epoch", "loss", "train acc", "test acc", "rho (batch mean)", "E[f(z)]", "s"):
        table.add_column(col, justify="right")
    for h in result.history:
        table.add_row(str(h.epoch), f"{h.loss:.4f}", f"{h.accuracy:.4f}", f"{h.test_accuracy:.4f}",
                      "-" if h.rho is None else f"{h.rho:.4f}",
                      "-" if h.surrogate is None else f"{h.surrogate:.4f}", f"{h.seconds:.2f}")
    con.print(table)
    con.print(f"test accuracy {result.test_accuracy:.4f}, train accuracy {result.train_accuracy:.4f}")
    if result.rho_hat is not None:
        con.print(f"gamma {result.gamma:.4g}: rho_hat {result.rho_hat:.4g} and mean inner objective "
                  f"{result.surrogate:.4g} at the final theta (a lower estimate of E_n[phi_gamma]); "
                  f"matched baseline eps = sqrt(rho_hat) = {result.rho_hat ** 0.5:.4g}")
    if result.eps is not None:
        con.print(f"eps {result.eps:.4g} ({config.norm}-norm)")
    if result.resumed_from_epoch:
        con.print(f"resumed from epoch {result.resumed_from_epoch}")
    if args.out:
        con.print(f"saved {args.out}/model.pt and {args.out}/result.json")
    print(f"done in {result.seconds:.1f} s", file=sys.stderr)
    return 0
