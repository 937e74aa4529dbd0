"""``checker construct``: build Arora et al.'s encoder E and compact ReLU generator G and inspect them.

Prints the parameter counts next to the formulas of ``checker.bounds.arora_construction``, the
ramp width delta, the largest |E(G(z)) - z| and the largest off-ramp deviation of G from the
ideal hash generator over a batch of codes (from nu, plus codes placed at every ramp edge).
These are measurements on sampled codes: reported as tested, never as proved. Exit codes: 0
every measured property held, 1 one failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json

from checker.errors import InvalidArgument


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "construct", help="build Theorem 1's encoder/generator (Arora et al.) and inspect them",
        description=("Build the explicit encoder E (d~ nonzero weights) and the one-hidden-layer "
                     "ReLU generator G of Arora, Risteski, Zhang (ICLR 2018) Theorem 1 and measure "
                     "E(G(z)) = z and G = ideal generator off the ramp set on sampled codes."))
    p.add_argument("--d", type=int, default=None,
                   help="image dimension; must match the dataset (digits 64, mnist 784) or use "
                        "--dataset synthetic for any d")
    p.add_argument("--d-tilde", type=int, required=True, dest="d_tilde", help="code dimension d~ (noise pixels)")
    p.add_argument("--m", type=int, required=True, help="pool size m (number of hash blocks)")
    p.add_argument("--dataset", default="auto",
                   help="digits, mnist, synthetic, or auto (default: from --d: 64 digits, 784 mnist, "
                        "else synthetic)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eps", type=float, default=0.1, help="target fooling error (sets delta; default 0.1)")
    p.add_argument("--Delta", type=float, default=1.0, help="range bound of phi (default 1)")
    p.add_argument("--delta", type=float, default=None,
                   help="ramp width (default: ramp_width(eps, Delta, m) rounded down to a power of 2)")
    p.add_argument("--code", default="gaussian", help="code law nu: gaussian, laplace or uniform")
    p.add_argument("--relu-encoder", action="store_true", dest="relu_encoder",
                   help="use the all-ReLU encoder ReLU(Wx) - ReLU(-Wx) (4 d~ nonzero weights)")
    p.add_argument("--n", type=int, default=4096, help="codes sampled from nu (default 4096)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


#: Largest number of codes sampled from nu (10^7 codes of dimension d~ = 8 take ~0.6 GB).
MAX_CODES = 10_000_000
#: Largest pool size m (the ReLU generator has 2(m-1)(d-d~+2)+d parameters).
MAX_POOL = 10_000_000
#: Largest image or code dimension.
MAX_DIM = 1_000_000


def _dataset(args) -> str:
    from checker.gan.data import DATASETS, dataset_dim
    from checker.validate import one_of

    if args.dataset == "auto":
        if args.d is None or args.d == 64:
            return "digits"
        return "mnist" if args.d == 784 else "synthetic"
    one_of("--dataset", args.dataset, DATASETS + ("auto",))
    native = dataset_dim(args.dataset)
    if native is not None and args.d is not None and args.d != native:
        raise InvalidArgument("--d", args.d, f"must be {native} for --dataset {args.dataset}",
                              hint="use --dataset synthetic for an arbitrary d")
    return args.dataset


def run(args) -> int:
    from checker.bounds.arora_construction import encoder_nonzeros, generator_param_count
    from checker.gan.checks import inspect_pair, ramp_mass_rounding
    from checker.gan.construction import build_pair
    from checker.io import to_jsonable
    from checker.tolerances import INVERSION_ABS
    from checker.validate import integer

    # size caps: beyond them the networks or the code sample would not fit in memory, and torch
    # would fail with an overflow traceback instead of a clear error
    n = integer("--n", args.n, min_value=1, max_value=MAX_CODES)
    integer("--m", args.m, min_value=1, max_value=MAX_POOL)
    integer("--d-tilde", args.d_tilde, min_value=1, max_value=MAX_DIM)
    if args.d is not None:
        integer("--d", args.d, min_value=1, max_value=MAX_DIM)
    dataset = _dataset(args)
    pair = build_pair(dataset=dataset, d=args.d, d_tilde=args.d_tilde, m=args.m, seed=args.seed,
                      eps=args.eps, Delta=args.Delta, delta=args.delta, code=args.code,
                      relu_encoder=args.relu_encoder, device=args.device)
    rep = inspect_pair(pair, n=n, seed=args.seed)
    formula = generator_param_count(pair.m, pair.d, pair.d_tilde)
    enc_formula = encoder_nonzeros(pair.d_tilde, relu=args.relu_encoder)
    checks = {
        "generator_params_match_formula": rep.generator_params == formula,
        "encoder_nonzeros_match_formula": rep.encoder_nonzeros == enc_formula,
        "inversion_exact": max(rep.max_inversion_error, rep.max_inversion_error_ideal) <= INVERSION_ABS,
        "offramp_within_bound": rep.max_offramp_deviation <= rep.offramp_error_bound,
        "ramp_mass_within_bound": rep.ramp_mass_exact <= rep.ramp_mass_bound + ramp_mass_rounding(pair.m),
    }
    passed = all(checks.values())
    out = {
        "dataset": dataset, "d": pair.d, "d_tilde": pair.d_tilde, "m": pair.m, "seed": args.seed,
        "code": pair.code.name, "eps": pair.eps, "Delta": pair.Delta,
        "generator_params": rep.generator_params,
        "generator_params_formula": formula,
        "generator_params_formula_text": "2(m-1)(d-d_tilde+2)+d",
        "encoder_nonzeros": rep.encoder_nonzeros, "encoder_nonzeros_formula": enc_formula,
        "delta": pair.delta, "n_codes": rep.n_codes, "n_onramp_codes": rep.n_onramp,
        "max_inversion_error": max(rep.max_inversion_error, rep.max_inversion_error_ideal),
        "inversion_tolerance": INVERSION_ABS,
        "max_offramp_deviation": rep.max_offramp_deviation,
        "offramp_error_bound": rep.offramp_error_bound,
        "max_dense_minus_tied": rep.max_dense_minus_tied,
        "ramp_mass_exact": rep.ramp_mass_exact, "ramp_mass_bound": rep.ramp_mass_bound,
        "hashing_error_bound": 2 * pair.Delta * rep.ramp_mass_bound,
        "checks": checks, "passed": passed,
        "status": "tested on sampled codes" if passed else "FAILED on sampled codes",
    }
    if args.json:
        print(json.dumps(to_jsonable(out)))
    else:
        _render(out)
    return 0 if passed else 1


def _render(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=(f"Arora et al. Thm 1 construction: {out['dataset']}, d={out['d']}, "
                     f"d~={out['d_tilde']}, m={out['m']}, nu={out['code']}"))
    t.add_column("quantity")
    t.add_column("measured", justify="right")
    t.add_column("formula / bound", justify="right")
    t.add_row("generator parameters", f"{out['generator_params']:,}",
              f"{out['generator_params_formula']:,} = 2(m-1)(d-d~+2)+d")
    t.add_row("encoder nonzero weights", str(out["encoder_nonzeros"]), str(out["encoder_nonzeros_formula"]))
    t.add_row("ramp width delta", f"{out['delta']:.6g}", f"2 Delta nu(A) <= {out['hashing_error_bound']:.3g}")
    t.add_row("ramp mass nu(A) (exact, CDF)", f"{out['ramp_mass_exact']:.6g}",
              f"<= {out['ramp_mass_bound']:.6g}")
    t.add_row("max |E(G(z)) - z|", f"{out['max_inversion_error']:.3g}", f"= {out['inversion_tolerance']}")
    t.add_row("max off-ramp |G - G_ideal|", f"{out['max_offramp_deviation']:.3g}",
              f"<= {out['offramp_error_bound']:.3g}")
    console.print(t)
    verdict = "all measured properties held" if out["passed"] else "a measured property FAILED"
    console.print(f"{out['n_codes']} codes ({out['n_onramp_codes']} on the ramp set): {verdict} "
                  "(tested on sampled codes, not proved)")
