"""``checker birthday``: the birthday-paradox test of support size (Arora & Zhang 2017).

Sources: Theorem 1's explicit generator (``construction``; ``--support`` is its pool size m),
a known-support synthetic distribution (``uniform`` / ``skewed`` over N random images plus
small noise) or saved samples (``samples``: ``.npy``/``.npz``). Exit codes: 0 every check
passed (or, for saved samples, the estimate was produced: there is no truth to check), 1 a
check against the known support failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from checker.errors import InvalidArgument

SOURCES = ("construction", "uniform", "skewed", "samples")
DEFAULT_SUPPORT = {"construction": 200, "uniform": 1000, "skewed": 1000}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "birthday", help="birthday-paradox test of a generator's support size",
        description=("Estimate a generator's support size with the birthday-paradox test: "
                     "P(duplicate | s) over a grid of sample sizes with confidence intervals, "
                     "the crossing s_1/2, support estimates and a non-uniformity flag. "
                     "Sampled evidence: reported as tested, never as proved."))
    p.add_argument("--source", required=True, choices=SOURCES)
    p.add_argument("--support", type=int, default=None,
                   help="pool size m (construction) or number of images N (uniform, skewed)")
    p.add_argument("--samples", default=None, help="saved samples .npy/.npz, shape (n, d) or (n, h, w)")
    p.add_argument("--real", default=None,
                   help="real held-out images (.npy/.npz) to calibrate the threshold (samples source)")
    p.add_argument("--train", default=None, help="training images (.npy/.npz) for the memorisation check")
    p.add_argument("--out", default=None, help="folder for summary.json, pair grids (PNG) and the checkpoint")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--s", default=None, help="comma-separated sample sizes (default: automatic grid)")
    p.add_argument("--trials", type=int, default=40, help="trials per sample size (default 40)")
    p.add_argument("--k", type=int, default=20, help="closest pairs flagged per grid point (default 20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    p.add_argument("--dataset", default="digits", help="construction: digits, mnist or synthetic")
    p.add_argument("--d-tilde", type=int, default=8, dest="d_tilde", help="construction: noise pixels")
    p.add_argument("--d", type=int, default=64, help="uniform/skewed: image dimension (default 64)")
    p.add_argument("--noise-std", type=float, default=0.02, dest="noise_std",
                   help="uniform/skewed: Gaussian noise added to each draw (default 0.02)")
    p.add_argument("--heavy", type=float, default=0.1, help="skewed: mass of the heavy image (default 0.1)")
    p.add_argument("--quantile", type=float, default=0.01,
                   help="threshold = this quantile of real nearest-neighbour distances (default 0.01)")
    p.add_argument("--threshold", type=float, default=None,
                   help="fixed duplicate distance instead of calibration (false-alarm rate unknown)")
    p.add_argument("--n-real", type=int, default=1000, dest="n_real",
                   help="real images used for calibration (default 1000)")
    p.add_argument("--features", choices=("auto", "pixels", "drop-noise"), default="auto",
                   help="distance space; auto = drop-noise for construction, pixels otherwise")
    return p


def _parse_s(text: str | None):
    if text is None:
        return None
    try:
        vals = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InvalidArgument("--s", text, "must be comma-separated integers, e.g. 16,32,64") from None
    if not vals:
        raise InvalidArgument("--s", text, "must list at least one sample size")
    return vals


def _load_array(path: str, name: str):
    from checker.birthday.sources import load_samples

    try:
        return load_samples(path).x
    except InvalidArgument as exc:
        raise InvalidArgument(name, path, exc.rule) from None


def _setup(args):
    import torch

    from checker.birthday.calibrate import calibrate_threshold, fixed_threshold
    from checker.birthday.sources import drop_coordinates, load_samples, skewed_source, uniform_source
    from checker.device import resolve_device

    dev = resolve_device(args.device)
    truth: dict = {}
    train = None
    fmap = None
    image_shape = None
    if args.source in ("uniform", "skewed"):
        if args.samples:
            raise InvalidArgument("--samples", args.samples, "is only used with --source samples")
        N = DEFAULT_SUPPORT[args.source] if args.support is None else args.support
        if args.source == "uniform":
            src = uniform_source(N, d=args.d, noise_std=args.noise_std, seed=args.seed)
        else:
            src = skewed_source(N, heavy=args.heavy, d=args.d, noise_std=args.noise_std, seed=args.seed)
        real = src.real_data(args.n_real, seed=args.seed + 1)
        truth = {"support": src.support, "collision_support": src.collision_support,
                 "kind": args.source}
        cal_source = "fresh draws from the atoms' base distribution (uniform pixels)"
    elif args.source == "construction":
        from checker.gan.construction import build_pair

        m = DEFAULT_SUPPORT["construction"] if args.support is None else args.support
        pair = build_pair(dataset=args.dataset, d_tilde=args.d_tilde, m=m, seed=args.seed, device=dev)

        class _Src:
            name = f"construction(m={m}, dataset={args.dataset})"

            def draw(self, n, *, generator):
                return pair.sample(n, generator=generator)

        src = _Src()
        if args.features in ("auto", "drop-noise"):
            fmap = drop_coordinates(pair.noise_indices.cpu(), pair.d)
        real = pair.data.images
        if real.shape[0] > args.n_real:
            g = torch.Generator().manual_seed(args.seed + 1)
            real = real[torch.randperm(real.shape[0], generator=g)[: args.n_real].to(real.device)]
        train = pair.data.images
        image_shape = pair.data.image_shape
        pool = pair.pool if fmap is None else fmap(pair.pool)
        _, counts = torch.unique(pool.cpu(), dim=0, return_counts=True)
        truth = {"support": m, "distinct_pool_images": int(counts.numel()),
                 "collision_support": float(m * m / (counts.double() ** 2).sum()),
                 "kind": "construction"}
        cal_source = f"{args.dataset} images ({real.shape[0]}), noise pixels dropped" if fmap else \
            f"{args.dataset} images ({real.shape[0]})"
    else:
        if not args.samples:
            raise InvalidArgument("--samples", None, "is required with --source samples")
        src = load_samples(args.samples)
        if args.features == "drop-noise":
            raise InvalidArgument("--features", "drop-noise", "needs --source construction (noise pixels known)")
        if args.real:
            real = _load_array(args.real, "--real")
        elif args.threshold is None:
            raise InvalidArgument("--real", None,
                                  "is required with --source samples unless --threshold is given",
                                  hint="real held-out images calibrate the duplicate threshold")
        else:
            real = None
        if args.train:
            train = _load_array(args.train, "--train")
        cal_source = f"{args.real}"
    if args.threshold is not None:
        thr = fixed_threshold(args.threshold)
    else:
        thr = calibrate_threshold(real, quantile=args.quantile, feature_map=fmap, source=cal_source)
    return src, thr, fmap, train, truth, image_shape, dev


def _checks(result, truth) -> list[dict]:
    from checker.tolerances import BIRTHDAY_SUPPORT_FACTOR as F

    est = result.support_estimate
    out = []
    if truth.get("kind") in ("uniform", "construction"):
        for key in ("support", "collision_support"):
            target = truth[key]
            ok = math.isfinite(est.value) and target / F <= est.value <= target * F
            out.append({"name": f"estimate within x{F:g} of the true {key.replace('_', ' ')}",
                        "target": target, "estimate": est.value, "passed": bool(ok)})
        if truth["kind"] == "uniform":
            out.append({"name": "uniform source not flagged as non-uniform",
                        "passed": not result.nonuniformity.flagged})
    elif truth.get("kind") == "skewed":
        out.append({"name": "skewed source flagged as non-uniform",
                    "passed": bool(result.nonuniformity.flagged)})
        target = truth["collision_support"]
        ok = math.isfinite(est.value) and target / F <= est.value <= target * F
        out.append({"name": f"estimate within x{F:g} of the collision support 1/sum p^2",
                    "target": target, "estimate": est.value, "passed": bool(ok)})
    return out


def run(args) -> int:
    from checker.birthday.figures import save_pair_grid
    from checker.birthday.procedure import BirthdayConfig, run_birthday_test
    from checker.io import to_jsonable, write_json
    from checker.validate import output_dir

    cfg = BirthdayConfig(s_values=_parse_s(args.s), trials=args.trials, k=args.k, seed=args.seed)
    if args.source != "samples" and (args.real or args.train):
        raise InvalidArgument("--real" if args.real else "--train", args.real or args.train,
                              "is only used with --source samples")
    out = output_dir("--out", args.out) if args.out else None
    src, thr, fmap, train, truth, image_shape, dev = _setup(args)
    result = run_birthday_test(src, threshold=thr, config=cfg, feature_map=fmap, train=train,
                               checkpoint=(out / "checkpoint.pt") if out else None, device=dev)
    checks = _checks(result, truth)
    summary = result.summary()
    summary["truth"] = truth
    summary["checks"] = checks
    summary["passed"] = all(c["passed"] for c in checks)
    if out:
        figs = []
        for f in result.flagged:
            path = out / f"pairs_s{f.s}.png"
            save_pair_grid(path, f.left, f.right, f.distance, image_shape=image_shape,
                           title=f"{result.source}: {len(f.distance)} closest pairs, s={f.s}, "
                                 f"threshold {thr.value:.3g}")
            figs.append(str(path))
        summary["figures"] = figs
        write_json(out / "summary.json", summary)
    if args.json:
        print(json.dumps(to_jsonable(summary)))
    else:
        _render(result, summary)
    return 0 if summary["passed"] else 1


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not math.isfinite(v):
        return "inf"
    return f"{v:,.4g}" if isinstance(v, float) else str(v)


def _render(result, summary) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    con = Console(file=sys.stdout, width=110)
    thr = result.threshold
    fa = thr.pair_false_alarm
    con.print(f"[bold]birthday test[/bold] of {result.source} (tested by sampling; never proved)")
    con.print(escape(f"threshold {thr.value:.4g} ({thr.source}; quantile {thr.quantile}); per-pair "
                     "false-alarm " + (f"{fa.value:.2e} [{fa.low:.2e}, {fa.high:.2e}]" if fa else "unknown")))
    t = Table("s", "trials", "dups", "P(dup)", f"{int(result.config.confidence * 100)}% CI",
              "pairs<=tau", "triples", "FA bound", "uniform inv.")
    for r in result.rows:
        t.add_row(str(r.s), str(r.trials), str(r.duplicates), f"{r.rate.value:.3f}",
                  f"[{r.rate.low:.3f}, {r.rate.high:.3f}]", str(r.collisions), str(r.triples),
                  _fmt(r.false_alarm_bound),
                  _fmt(None if r.uniform_inversion is None else r.uniform_inversion.value))
    con.print(t)
    sh = result.s_half
    con.print(f"s_1/2 = {_fmt(sh.value)} (bracket {_fmt(sh.low)}..{_fmt(sh.high)}; {sh.note})")
    for e in result.support_estimates:
        where = f" at s={e.s}" if e.s else ""
        con.print(escape(f"support ({e.method}{where}): {_fmt(e.value)} [{_fmt(e.low)}, {_fmt(e.high)}]"))
    nu = result.nonuniformity
    con.print(f"non-uniform: {'FLAGGED' if nu.flagged else 'not flagged'} (triples {nu.triples_observed} "
              f"vs {_fmt(nu.triples_expected_uniform)} expected if uniform; p={nu.p_value:.2g})")
    if result.memorisation is not None:
        m = result.memorisation.fraction_within
        con.print(escape(f"memorisation: {m.value:.3f} [{m.low:.3f}, {m.high:.3f}] of samples within "
                         "the threshold of a training image"))
    for c in summary["checks"]:
        con.print(f"  {'PASS' if c['passed'] else 'FAIL'}  {c['name']}"
                  + (f" (estimate {_fmt(c['estimate'])}, target {_fmt(float(c['target']))})" if "target" in c else ""))
    for n in result.notes:
        con.print(f"note: {n}")
    if "figures" in summary:
        con.print(f"pair grids and summary.json written to {Path(summary['figures'][0]).parent if summary['figures'] else ''}")
