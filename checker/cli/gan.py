"""``checker gan``: the fooling experiment of Arora et al. Theorem 1 (gap versus pool size m).

For each pool size m the explicit pair (E, G) is built, bounded discriminators of capacity p are
trained to maximise the gap, and the held-out gap (with a Hoeffding interval) is reported next
to the eps that the explicit bound guarantees at m, the theory's m*, the empirical threshold
and the support of G. Sampled evidence about trained discriminators: tested, never proved.
Each row has two three-valued checks (pass / fail / vacuous): the gap's lower confidence bound
is at most the explicit eps(m) (vacuous where eps(m) is at least the gap's whole range), and
the generator's un-noised output takes at most m values (vacuous once m reaches the number of
draws or of distinct real images). Exit codes: 0 no check failed and at least one was not
vacuous, 1 a check failed or every check was vacuous, 2 bad usage. Progress goes to stderr; results are
checkpointed after each m in --out and a re-run with the same options resumes.
"""

from __future__ import annotations

import argparse
import json

from checker.errors import InvalidArgument


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "gan", help="fooling experiment: trained discriminators vs pool size (Arora et al. Thm 1)",
        description=("Measure how well trained bounded discriminators tell real noised images from "
                     "Theorem 1's mode-collapsed generator as the pool size m grows, next to the "
                     "explicit bound's eps(m) and m*."))
    p.add_argument("--dataset", default="digits", help="digits (default), mnist or synthetic")
    p.add_argument("--d-tilde", type=int, default=8, dest="d_tilde", help="code dimension d~ (default 8)")
    p.add_argument("--m", default=None,
                   help="comma-separated pool sizes (default 1,4,16,...,262144)")
    p.add_argument("--disc", default="mlp", help="discriminator family: mlp (default) or features")
    p.add_argument("--hidden", type=int, default=2,
                   help="hidden units (mlp) or random features (features); sets the capacity p (default 2)")
    p.add_argument("--radius", type=float, default=5.0, help="radius R of the parameter ball (default 5)")
    p.add_argument("--clip", type=float, default=1.0, help="input clipping level c (mlp; default 1)")
    p.add_argument("--phi", default="identity", help="measuring function: identity (default) or log")
    p.add_argument("--eps", type=float, default=0.25, help="target eps for m* (default 0.25)")
    p.add_argument("--level", type=float, default=None,
                   help="gap level defining the empirical threshold (default: eps)")
    p.add_argument("--restarts", type=int, default=2, help="discriminator restarts per m (default 2)")
    p.add_argument("--steps", type=int, default=80, help="Adam steps per restart (default 80)")
    p.add_argument("--batch", type=int, default=256, help="fresh samples per step and side (default 256)")
    p.add_argument("--lr", type=float, default=0.05, help="Adam learning rate (default 0.05)")
    p.add_argument("--n-test", type=int, default=20000, dest="n_test",
                   help="held-out samples per side for the gap estimate (default 20000)")
    p.add_argument("--relu-max-m", type=int, default=1024, dest="relu_max_m",
                   help="largest m that uses the ReLU generator; above it the ideal one (default 1024)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    p.add_argument("--out", default="gan_out", help="output folder: fooling.json, fooling.png, checkpoint")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def _parse_grid(text: str | None):
    if text is None:
        return None
    try:
        vals = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InvalidArgument("--m", text, "must be comma-separated integers, e.g. 4,16,64") from None
    if not vals:
        raise InvalidArgument("--m", text, "must list at least one pool size")
    return vals


def run(args) -> int:
    from checker.gan.fooling import FoolingConfig, plot_fooling, run_fooling
    from checker.io import to_jsonable, write_json
    from checker.validate import output_dir

    grid = _parse_grid(args.m)
    kw = dict(dataset=args.dataset, d_tilde=args.d_tilde, disc_kind=args.disc, hidden=args.hidden,
              radius=args.radius, clip=args.clip, phi=args.phi, eps=args.eps, level=args.level,
              restarts=args.restarts, steps=args.steps, batch=args.batch, lr=args.lr,
              n_test=args.n_test, relu_max_m=args.relu_max_m, seed=args.seed, device=args.device)
    if grid is not None:
        kw["m_grid"] = grid
    config = FoolingConfig(**kw)
    out = output_dir("--out", args.out)
    result = run_fooling(config, out=out)
    rows = []
    for r, v in zip(result.rows, result.verdicts()):
        d = to_jsonable(r)
        d["consistent_with_bound"] = v.bound  # "pass" | "fail" | "vacuous"
        d["consistent_with_bound_vacuous_because"] = v.bound_vacuous_because
        d["at_most_m_outputs"] = v.support
        d["at_most_m_outputs_vacuous_because"] = v.support_vacuous_because
        d["above_mstar"] = r.m >= result.mstar
        rows.append(d)
    outcome = result.outcome()
    passed = outcome == "pass"
    status = {"pass": "tested (trained discriminators, sampled data)",
              "fail": "FAILED: a trained discriminator beat the explicit bound, or G had more than m outputs",
              "vacuous": "VACUOUS: every check was vacuous at these settings (nothing established)"}[outcome]
    payload = {
        "theorem": "arora-thm1",
        "status": status,
        "outcome": outcome,
        "passed": passed,
        "dataset": config.dataset, "d_tilde": config.d_tilde, "phi": config.phi,
        "discriminator": {"kind": config.disc_kind, "hidden": config.hidden, "p": result.p,
                          "radius_R": config.radius, "L": result.L, "clip": config.clip,
                          "L_phi": result.L_phi, "Delta": result.Delta},
        "eps": config.eps, "mstar": result.mstar, "level": result.level,
        "empirical_threshold": result.empirical_threshold,
        "threshold_ratio_to_mstar": result.threshold_ratio,
        "distinct_real_images": result.distinct_real_images,
        "resumed_m": list(result.resumed),
        "rows": rows,
        "files": {"json": str(out / "fooling.json"), "plot": str(out / "fooling.png")},
    }
    write_json(out / "fooling.json", payload)
    plot_fooling(result, out / "fooling.png")
    if args.json:
        print(json.dumps(to_jsonable(payload)))
    else:
        _render(payload)
    return 0 if passed else 1


def _render(payload: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    disc = payload["discriminator"]
    t = Table(title=(f"Fooling experiment ({payload['dataset']}, d~={payload['d_tilde']}, "
                     f"phi={payload['phi']}, {disc['kind']} D: p={disc['p']}, R={disc['radius_R']:g}, "
                     f"L={disc['L']:.3g})"))
    for col in ("m", "G", "held-out |gap| ± CI", "explicit eps(m)", "gap ≤ eps(m)",
                "distinct G outputs", "≤ m outputs"):
        t.add_column(col, justify="right")
    for r in payload["rows"]:
        eps_m = r["explicit_eps"]
        eps_txt = "inf" if isinstance(eps_m, str) else f"{eps_m:.3g}"
        t.add_row(f"{r['m']:,}", r["generator"],
                  f"{r['gap']:.4f} ± {r['gap_ci_high'] - r['gap']:.3f}", eps_txt,
                  r["consistent_with_bound"], f"{r['distinct_nonnoise_outputs']:,}", r["at_most_m_outputs"])
    console.print(t)
    if any("vacuous" in (r["consistent_with_bound"], r["at_most_m_outputs"]) for r in payload["rows"]):
        console.print("vacuous: the check could not fail at that m (eps(m) ≥ the gap's whole range, or m ≥ the "
                      "number of draws or of distinct real images); never counted as a pass")
    thr = payload["empirical_threshold"]
    ratio = payload["threshold_ratio_to_mstar"]
    console.print(f"distinct G outputs: distinct non-noise images among {payload['rows'][0]['support_draws']:,} "
                  f"draws (the data set has {payload['distinct_real_images']:,})")
    console.print(f"theory: m* = {payload['mstar']:,} for eps = {payload['eps']:g}; empirical threshold "
                  f"(gap lower bound <= {payload['level']:g} from here on): "
                  + (f"m = {thr:,} (ratio to m*: {ratio:.3g})" if thr is not None else "not reached"))
    if any(r["generator"] == "ideal" for r in payload["rows"]):
        console.print("rows marked 'ideal' used the ideal hash generator (equal to the ReLU one off "
                      "the ramp set) for speed")
    console.print(f"{payload['status']}; wrote {payload['files']['json']} and {payload['files']['plot']}")
