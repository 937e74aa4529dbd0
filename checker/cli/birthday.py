"""``checker birthday``: the birthday-paradox test of support size (Arora & Zhang 2017).

Sources: Theorem 1's explicit generator (``construction``; ``--support`` is its pool size m),
a known-support synthetic distribution (``uniform`` / ``skewed`` over N random images plus
small noise), saved samples (``samples``: ``.npy``/``.npz``) or a trained generator (``model``:
``--model`` is a ``checker gan train`` folder, a TorchScript generator or a ``module:function``
sampler called as ``function(n, seed)``, or an ONNX generator read into torch without
onnxruntime, :mod:`checker.gan.onnx_generator`). For a model the estimate is set beside the training data's own duplicate rate and
Theorem 1's construction with pool size m equal to the estimate (:mod:`checker.gan.support`).
Exit codes: 0 every check passed (or, for saved samples and models, the estimate was produced:
there is no truth to check), 1 a check against the known support failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from checker.errors import InvalidArgument

SOURCES = ("construction", "uniform", "skewed", "samples", "model")
DEFAULT_SUPPORT = {"construction": 200, "uniform": 1000, "skewed": 1000}
#: Budgets checked before any work starts (a huge value is a typo, not a request for years of
#: CPU; issue 27's fuzz found --s 10^29 crashing in torch and --trials 10^29 running forever):
#: a sample size up to 10^7 (s images held in memory), trials up to 10^6, and at most 10^14
#: pair distances in all (trials x sum of s(s-1)/2; about a CPU-day at d = 64 on 2 cores), and
#: a seed that torch's 64-bit generators take with the per-trial offsets added.
MAX_S = 10**7
MAX_TRIALS = 10**6
MAX_PAIRS = 10**14
MAX_SEED = 2**62
#: Arrays built before the test (atoms of uniform/skewed: --support x --d; calibration images:
#: --n-real x --d) hold at most this many float64 values (1.6 GB).
MAX_VALUES = 2 * 10**8


def _check_budget(args, s_values) -> None:
    from checker.validate import integer

    from checker.gan.support import CONSTRUCTION_MAX_M

    integer("--trials", args.trials, min_value=1, max_value=MAX_TRIALS)
    integer("--seed", args.seed, min_value=0, max_value=MAX_SEED)
    integer("--k", args.k, min_value=1, max_value=MAX_S)
    d = integer("--d", args.d, min_value=1, max_value=MAX_VALUES)
    n_real = integer("--n-real", args.n_real, min_value=1, max_value=MAX_VALUES)
    if args.support is not None:
        cap = CONSTRUCTION_MAX_M if args.source == "construction" else MAX_VALUES
        support = integer("--support", args.support, min_value=1, max_value=cap)
        if args.source in ("uniform", "skewed") and support * d > MAX_VALUES:
            raise InvalidArgument("--support", args.support, f"times --d {d} is above {MAX_VALUES:.0e} values held in memory")
    if args.source in ("uniform", "skewed") and n_real * d > MAX_VALUES:
        raise InvalidArgument("--n-real", args.n_real, f"times --d {d} is above {MAX_VALUES:.0e} values held in memory")
    for v in s_values or ():
        integer("--s", v, min_value=2, max_value=MAX_S)
    pairs = args.trials * sum(v * (v - 1) // 2 for v in (s_values or ()))
    if pairs > MAX_PAIRS:
        raise InvalidArgument("--s", args.s, f"with --trials {args.trials} compares about 10^{len(str(pairs)) - 1} "
                              f"pairs, above the budget {MAX_PAIRS:.0e} (about a CPU-day on 2 cores)")


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
    p.add_argument("--model", default=None,
                   help="model source: a 'checker gan train' folder, a TorchScript generator (.ts/.pt), "
                        "an ONNX generator (.onnx; an MLP/convnet chain, no onnxruntime needed) "
                        "or module:function (called as function(n, seed))")
    p.add_argument("--latent-dim", type=int, default=None, dest="latent_dim",
                   help="model source, TorchScript without a latent_dim attribute (or ONNX without a "
                        "fixed input width): code dimension")
    p.add_argument("--compare", action=argparse.BooleanOptionalAction, default=True,
                   help="model source: also test the training data and Theorem 1's construction at "
                        "m = the estimate (default on)")
    p.add_argument("--real", default=None,
                   help="real held-out images (.npy/.npz) to calibrate the threshold (samples and model "
                        "sources; a gan train folder brings its own)")
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
    elif args.source == "model":
        from checker.birthday.sources import model_source

        if args.samples:
            raise InvalidArgument("--samples", args.samples, "is only used with --source samples")
        if not args.model:
            raise InvalidArgument("--model", None, "is required with --source model",
                                  hint="a 'checker gan train' folder, a TorchScript file or module:function")
        if args.features == "drop-noise":
            raise InvalidArgument("--features", "drop-noise", "needs --source construction (noise pixels known)")
        loaded = model_source(args.model, latent_dim=args.latent_dim, device=dev)
        src = loaded.source
        image_shape = loaded.image_shape
        truth = {"kind": "model", "model_kind": loaded.kind}
        if loaded.run is not None:
            from checker.gan.train import load_gan_data

            run_cfg = loaded.run.config
            xtr, xte, _ = load_gan_data(run_cfg.dataset, seed=run_cfg.seed)
            real = xte if args.real is None else _load_array(args.real, "--real")
            train = xtr if args.train is None else _load_array(args.train, "--train")
            truth |= {"dataset": run_cfg.dataset, "arch": run_cfg.arch}
            cal_source = (f"held-out {run_cfg.dataset} images ({real.shape[0]}) of the run's split"
                          if args.real is None else f"{args.real}")
        else:
            real, train, cal_source = _user_calibration(args, "with this --model", train)
    else:
        if args.model:
            raise InvalidArgument("--model", args.model, "is only used with --source model")
        if not args.samples:
            raise InvalidArgument("--samples", None, "is required with --source samples")
        src = load_samples(args.samples)
        if args.features == "drop-noise":
            raise InvalidArgument("--features", "drop-noise", "needs --source construction (noise pixels known)")
        real, train, cal_source = _user_calibration(args, "with --source samples", train)
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


def _user_calibration(args, where: str, train):
    """(real images, training images, calibration source) from the user's --real / --train;
    --real is required unless --threshold is given."""
    from checker.errors import InvalidArgument

    if args.real:
        real = _load_array(args.real, "--real")
    elif args.threshold is None:
        raise InvalidArgument("--real", None, f"is required {where} unless --threshold is given",
                              hint="real held-out images calibrate the duplicate threshold")
    else:
        real = None
    if args.train:
        train = _load_array(args.train, "--train")
    return real, train, f"{args.real}"


def run(args) -> int:
    from checker.birthday.figures import save_pair_grid
    from checker.birthday.procedure import BirthdayConfig, run_birthday_test
    from checker.io import to_jsonable, write_json
    from checker.validate import output_dir

    s_values = _parse_s(args.s)
    _check_budget(args, s_values)
    cfg = BirthdayConfig(s_values=s_values, trials=args.trials, k=args.k, seed=args.seed)
    if args.source not in ("samples", "model") and (args.real or args.train):
        raise InvalidArgument("--real" if args.real else "--train", args.real or args.train,
                              "is only used with --source samples or model")
    if args.source != "model" and args.model:
        raise InvalidArgument("--model", args.model, "is only used with --source model")
    out = output_dir("--out", args.out) if args.out else None
    src, thr, fmap, train, truth, image_shape, dev = _setup(args)
    result = run_birthday_test(src, threshold=thr, config=cfg, feature_map=fmap, train=train,
                               checkpoint=(out / "checkpoint.pt") if out else None, device=dev)
    checks = _checks(result, truth)
    summary = result.summary()
    summary["truth"] = truth
    summary["checks"] = checks
    summary["passed"] = all(c["passed"] for c in checks)
    if args.source == "model":
        summary["model"] = _model_comparison(args, result, train, truth)
    if out:
        figs = []
        for f in result.flagged:
            path = out / f"pairs_s{f.s}.png"
            save_pair_grid(path, f.left, f.right, f.distance, image_shape=image_shape,
                           title=f"{result.source}: {len(f.distance)} closest pairs, s={f.s}, "
                                 f"threshold {thr.value:.3g}")
            figs.append(str(path))
        summary["figures"] = figs
        from checker.tables import birthday_rows, write_table  # the flat table: one row per s

        tbl = write_table(birthday_rows(result, config={"source_kind": args.source, "seed": args.seed}),
                          out / "birthday")
        summary["table_files"] = {"csv": tbl.csv, "parquet": tbl.parquet}
        write_json(out / "summary.json", summary)
    if args.json:
        print(json.dumps(to_jsonable(summary)))
    else:
        _render(result, summary)
    return 0 if summary["passed"] else 1


def _model_comparison(args, result, train, truth) -> dict:
    """The model's estimate beside the data's duplicate rate and Theorem 1's construction at
    m = the estimate (:mod:`checker.gan.support`); skipped pieces say why."""
    from checker.gan.support import CONSTRUCTION_MAX_M, construction_at, data_duplicate_rates

    est = result.support_estimate
    out: dict = {"kind": truth.get("model_kind"), "support_estimate": est,
                 "data": None, "construction": None, "skipped": []}
    s_values = tuple(r.s for r in result.rows)
    if not args.compare:
        out["skipped"].append("--no-compare: references not computed")
        return out
    if train is not None:
        out["data"] = data_duplicate_rates(train, threshold=result.threshold, s_values=s_values,
                                           trials=args.trials, seed=args.seed)
    else:
        out["skipped"].append("data duplicate rate: no training images (pass --train)")
    dataset = truth.get("dataset")
    if dataset not in ("digits", "mnist"):
        out["skipped"].append("construction: needs a run trained on digits or mnist")
    elif not (math.isfinite(est.value) and 1 <= est.value <= CONSTRUCTION_MAX_M):
        out["skipped"].append(f"construction: the estimate {est.value} is not a pool size in "
                              f"[1, {CONSTRUCTION_MAX_M:,}] (no duplicates seen, or too many)")
    else:
        out["construction"] = construction_at(int(round(est.value)), dataset=dataset, s_values=s_values,
                                              trials=args.trials, seed=args.seed, d_tilde=args.d_tilde,
                                              quantile=args.quantile, n_real=args.n_real)
    return out


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
    if "model" in summary:
        _render_model(con, result, summary["model"])
    for n in result.notes:
        con.print(f"note: {n}")
    if "figures" in summary:
        con.print(f"pair grids and summary.json written to {Path(summary['figures'][0]).parent if summary['figures'] else ''}")


def _render_model(con, result, model: dict) -> None:
    from rich.markup import escape
    from rich.table import Table

    est = result.support_estimate
    con.print(escape(f"model support estimate (collision count): {_fmt(est.value)} "
                     f"[{_fmt(est.low)}, {_fmt(est.high)}]"))
    data, cons = model.get("data"), model.get("construction")
    if data and data["rows"]:
        drows = {r["s"]: r for r in data["rows"]}
        crows = {r["s"]: r for r in cons["rows"]} if cons else {}
        t = Table("s", "model P(dup)", "data P(dup)", f"construction m={cons['m']:,} P(dup)" if cons else "construction")
        for r in result.rows:
            dr, cr = drows.get(r.s), crows.get(r.s)
            t.add_row(str(r.s), f"{r.rate.value:.3f}",
                      "-" if dr is None else f"{dr['p_duplicate']:.3f}",
                      "-" if cr is None else f"{cr['p_duplicate']:.3f}")
        con.print(t)
        de = data["support_estimate"]
        con.print(escape(f"training data ({data['n_images']:,} images) under the same threshold: "
                         f"estimate {_fmt(de['value'])} [{_fmt(de['low'])}, {_fmt(de['high'])}]"))
    if cons:
        ce = cons["support_estimate"]
        con.print(escape(f"Theorem 1 construction, pool m = {cons['m']:,} ({cons['distinct_pool_images']:,} "
                         f"distinct images, collision support {cons['collision_support']:,.4g}): estimate "
                         f"{_fmt(ce['value'])} [{_fmt(ce['low'])}, {_fmt(ce['high'])}]"))
    for why in model.get("skipped", []):
        con.print(f"skipped: {why}")
