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

``checker gan train --arch bigan|ali --dataset digits|mnist|PATH.npz --out RUN`` trains an MLP
BiGAN or ALI (:mod:`checker.gan.train`) instead: training is not a check, so it exits 0 when the
run finished, 2 on bad usage, 130 on Ctrl-C (the checkpoint in RUN resumes on a re-run).
``checker gan face --model RUN`` sets that run's discriminator against Theorem 1's construction
(:mod:`checker.gan.facing`): the held-out gap against m next to the explicit eps(m); it reports
and exits 0 (sampled evidence about one discriminator per m, with no pass/fail verdict).
``checker gan stacked --out DIR`` trains one on stacked digits (1,000 modes,
:mod:`checker.gan.stacked`) and reports its mode coverage with the classifier's accuracy; it
exits 0 when the count was produced.
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
    actions = p.add_subparsers(dest="gan_action", metavar="ACTION",
                               help="train: train an MLP BiGAN or ALI; face: its discriminator against "
                                    "Theorem 1's construction; stacked: mode coverage out of 1,000 on "
                                    "stacked digits (checker gan ACTION --help); without an "
                                    "action: the fooling experiment")
    _add_train_parser(actions)
    _add_face_parser(actions)
    _add_stacked_parser(actions)
    return p


def _add_stacked_parser(actions) -> argparse.ArgumentParser:
    s = actions.add_parser(
        "stacked", help="mode coverage out of 1,000 on stacked digits (three digits, one per channel)",
        description=("Build stacked digits (three digits side by side as channels: 1,000 modes), train "
                     "an MLP BiGAN or ALI on them, and count the distinct modes among its samples with "
                     "a digit classifier trained here, beside a uniform sampler's count and real "
                     "stacked images; the classifier's accuracy on real stacked images is reported "
                     "with the count. Sampled evidence; exits 0 when the count was produced."))
    s.add_argument("--out", required=True, help="folder: stacked.npz, run/ (resumable), stacked.json, stacked.png")
    s.add_argument("--dataset", default="digits", choices=("digits", "mnist"), help="digits (default) or mnist")
    s.add_argument("--arch", default="bigan", choices=("bigan", "ali"), help="bigan (default) or ali")
    s.add_argument("--steps", type=int, default=3000, help="training steps (default 3000)")
    s.add_argument("--n", type=int, default=10000, help="generator samples counted (default 10000)")
    s.add_argument("--n-train", type=int, default=20000, dest="n_train",
                   help="stacked training images built (default 20000)")
    s.add_argument("--min-count", type=int, default=1, dest="min_count",
                   help="samples a mode needs to count as covered (default 1)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N or auto")
    s.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return s


def _run_stacked(args) -> int:
    import dataclasses

    from checker.gan.stacked import MAX_STACKED, run_stacked
    from checker.io import to_jsonable, write_json
    from checker.validate import integer

    # every size checked before work starts, named as typed (--steps' budget: GanTrainConfig)
    for opt, v, lo in (("--steps", args.steps, 1), ("--n", args.n, 1), ("--n-train", args.n_train, 2),
                       ("--min-count", args.min_count, 1)):
        integer(opt, v, min_value=lo, max_value=None if opt in ("--steps", "--min-count") else MAX_STACKED)
    integer("--seed", args.seed, min_value=0, max_value=2**32 - 1)
    res = run_stacked(out=args.out, dataset=args.dataset, arch=args.arch, steps=args.steps, n=args.n,
                      n_train=args.n_train, seed=args.seed, device=args.device, min_count=args.min_count)
    c = res.count
    payload = {"status": "tested (sampled evidence; mode coverage of one trained generator)",
               "dataset": f"stacked {args.dataset}", "arch": args.arch, "steps": args.steps,
               "count": dataclasses.asdict(c), "training_seconds": res.train.seconds,
               "files": {"npz": res.npz, "run": f"{args.out}/run", "figure": res.figure,
                         "summary": f"{args.out}/stacked.json"}}
    write_json(f"{args.out}/stacked.json", payload)
    if args.json:
        print(json.dumps(to_jsonable(payload)))
        return 0
    print(f"stacked {args.dataset}, {args.arch} after {args.steps:,} steps: {c.modes_covered} of {c.n_modes} "
          f"modes covered by {c.n:,} samples (at least {c.min_count} each); KL to uniform {c.kl_to_uniform:.2f}")
    print(f"references: a uniform sampler over the {c.n_modes} modes covers {c.uniform_expected:.1f} on "
          f"average; {c.n:,} real stacked held-out images cover {c.real_modes_covered}")
    print(f"classifier: {c.stacked_accuracy:.3f} of real stacked held-out images read with all three digits "
          f"right (per digit {c.digit_accuracy:.3f}); misread triples bound what the count means")
    print(f"most frequent modes (mode: samples): {', '.join(f'{m:03d}: {k}' for m, k in c.top_modes)}")
    print(f"wrote {args.out}/stacked.json and {res.figure}")
    return 0


def _add_face_parser(actions) -> argparse.ArgumentParser:
    f = actions.add_parser(
        "face", help="a trained BiGAN/ALI discriminator against Theorem 1's construction: gap vs m",
        description=("Warm-start the discriminator of a 'checker gan train' run (inputs clipped to "
                     "[-c, c]), fine-tune it against Theorem 1's construction at each pool size m, "
                     "and report the held-out gap with a Hoeffding interval next to the explicit "
                     "eps(m). Sampled evidence about one trained discriminator per m."))
    f.add_argument("--model", required=True, metavar="RUN", help="a 'checker gan train' folder (digits or mnist)")
    f.add_argument("--m", default="4,16,64,256,1024,4096", help="comma-separated pool sizes")
    f.add_argument("--steps", type=int, default=200, help="fine-tuning Adam steps per m (default 200)")
    f.add_argument("--batch", type=int, default=256, help="fresh samples per step and side (default 256)")
    f.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    f.add_argument("--n-test", type=int, default=20000, dest="n_test", help="held-out samples per side")
    f.add_argument("--clip", type=float, default=3.0, help="input clipping level c (default 3)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--out", default=None, help="folder for facing.json and facing.png")
    f.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return f


def _run_face(args) -> int:
    from checker.gan.facing import face_construction, plot_facing
    from checker.gan.train import load_run
    from checker.io import to_jsonable, write_json
    from checker.validate import output_dir

    from checker.gan.facing import check_face_budget

    grid = _parse_grid(args.m)
    check_face_budget(m_grid=grid, steps=args.steps, batch=args.batch, n_test=args.n_test, seed=args.seed,
                      names={"m_grid": "--m", "steps": "--steps", "batch": "--batch", "n_test": "--n-test",
                             "seed": "--seed"})
    run = load_run(args.model, name="--model")
    out = output_dir("--out", args.out) if args.out else None
    res = face_construction(run, m_grid=grid, steps=args.steps, batch=args.batch, lr=args.lr,
                            n_test=args.n_test, clip=args.clip, seed=args.seed)
    payload = res.to_dict() | {"status": "tested (one trained discriminator per m; sampled held-out gap)"}
    if out:
        write_json(out / "facing.json", payload)
        plot_facing(res, out / "facing.png")
    if args.json:
        print(json.dumps(to_jsonable(payload)))
        return 0
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(title=f"{res.arch} discriminator vs Theorem 1 construction ({res.dataset}, d~={res.d_tilde}, clip {res.clip:g})")
    for col in ("m", "G", "gap as trained", "fine-tuned |gap| ± CI", "explicit eps(m)", "p", "L", "R"):
        t.add_column(col, justify="right")
    for r in res.rows:
        t.add_row(f"{r.m:,}", r.generator, f"{r.gap_frozen:.4f}", f"{abs(r.gap):.4f} ± {r.gap_ci_high - abs(r.gap):.3f}",
                  "inf" if r.explicit_eps == float("inf") else f"{r.explicit_eps:.3g}", f"{r.p:,}", f"{r.L:.3g}", f"{r.R:.3g}")
    con.print(t)
    if all(not (r.explicit_eps <= 1) for r in res.rows):
        con.print("eps(m) >= 1 at every m: the theorem's bound is vacuous for this discriminator class "
                  "(never counted as a pass)")
    if out:
        con.print(f"wrote {out / 'facing.json'} and {out / 'facing.png'}")
    return 0


def _add_train_parser(actions) -> argparse.ArgumentParser:
    t = actions.add_parser(
        "train", help="train an MLP BiGAN or ALI (the objects Arora et al. Thm 1 is about)",
        description=("Train an MLP BiGAN (deterministic encoder) or ALI (Gaussian encoder) with "
                     "the original minimax objective; checkpoints atomically to --out and resumes "
                     "when re-run. Then: checker birthday --source model --model RUN."))
    t.add_argument("--arch", required=True, choices=("bigan", "ali"), help="bigan or ali")
    t.add_argument("--dataset", default="digits", help="digits (default), mnist or PATH.npz (arrays x, y in [0, 1])")
    t.add_argument("--out", required=True, metavar="RUN", help="run folder: checkpoint, model.pt, generator.ts, result.json, PNGs")
    t.add_argument("--steps", type=int, default=None, help="training steps (default 3000 digits, 4000 otherwise)")
    t.add_argument("--latent-dim", type=int, default=None, dest="latent_dim",
                   help="code dimension k (default 16 digits, 32 otherwise)")
    t.add_argument("--hidden", type=int, default=None, help="hidden width of G and E (default 256)")
    t.add_argument("--disc-hidden", type=int, default=None, dest="disc_hidden",
                   help="hidden width of the joint discriminator D(x, z) (default: --hidden)")
    t.add_argument("--depth", type=int, default=2, help="hidden layers of each network (default 2)")
    t.add_argument("--batch-size", type=int, default=128, dest="batch_size", help="default 128")
    t.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default 2e-4, beta1 0.5)")
    t.add_argument("--loss", default="minimax", choices=("minimax", "nonsaturating"),
                   help="minimax (default: the original game) or nonsaturating (swapped labels for G, E)")
    t.add_argument("--dtype", default="float32", choices=("float32", "float64"), help="default float32")
    t.add_argument("--checkpoint-every", type=int, default=250, dest="checkpoint_every",
                   help="steps between atomic checkpoints (default 250)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N or auto")
    t.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return t


def _run_train(args) -> int:
    import sys

    from checker.gan.train import GanTrainConfig, train_gan
    from checker.io import to_jsonable

    config = GanTrainConfig(arch=args.arch, dataset=args.dataset, latent_dim=args.latent_dim,
                            hidden=args.hidden, disc_hidden=args.disc_hidden, depth=args.depth,
                            steps=args.steps, batch_size=args.batch_size, lr=args.lr, loss=args.loss,
                            seed=args.seed, dtype=args.dtype, checkpoint_every=args.checkpoint_every)
    result = train_gan(config, out=args.out, device=args.device)
    summary = result.summary()
    summary["files"] = {"run": args.out, "model": f"{args.out}/model.pt",
                        "generator_torchscript": f"{args.out}/generator.ts",
                        "result": f"{args.out}/result.json", "samples_png": f"{args.out}/samples.png"}
    if result.trained.image_shape is not None:
        summary["files"]["reconstructions_png"] = f"{args.out}/reconstructions.png"
    if args.json:
        print(json.dumps(to_jsonable(summary)))
        return 0
    from rich.console import Console
    from rich.table import Table

    con = Console(markup=False)
    cfg = result.trained.config
    tab = Table(title=(f"{cfg.arch.upper()} on {cfg.dataset} ({cfg.loss} objective; k={cfg.latent_dim}, "
                       f"hidden {cfg.hidden}, D hidden {cfg.disc_hidden}; {result.device})"))
    for col in ("step", "D loss -V", "G,E loss", "D(x,E(x))", "D(G(z),z)", "s"):
        tab.add_column(col, justify="right")
    hist = result.history
    shown = hist if len(hist) <= 8 else hist[:2] + hist[-6:]
    for h in shown:
        tab.add_row(f"{h.step:,}", f"{h.d_loss:.4f}", f"{h.ge_loss:.4f}", f"{h.d_real:.3f}",
                    f"{h.d_fake:.3f}", f"{h.seconds:.1f}")
    con.print(tab)
    rec = result.reconstruction
    if rec is not None:
        con.print(f"reconstruction (held-out, {rec.n_data} images): |G(E(x))-x|^2 / |x-x'|^2 = "
                  f"{rec.data_rel_error:.3f} (chance 1, perfect 0)")
        con.print(f"latent ({rec.n_latent} codes): |E(G(z))-z|^2 / |z-z'|^2 = {rec.latent_rel_error:.3f} "
                  f"(chance 1), mean correlation {rec.latent_corr:.3f}")
    mc = result.modes
    if mc is not None:
        con.print(f"mode count ({mc.n:,} samples, logistic-regression classifier with held-out accuracy "
                  f"{mc.classifier_accuracy:.3f}): {mc.classes_covered}/{mc.n_classes} classes with >= "
                  f"{mc.min_share:.0%} of the samples; KL to uniform {mc.kl_to_uniform:.3f}; per class {list(mc.counts)}")
    if result.resumed_from_step:
        con.print(f"resumed from step {result.resumed_from_step:,}")
    con.print(f"saved {args.out}/model.pt, generator.ts, result.json and the PNGs; next: "
              f"checker birthday --source model --model {args.out}")
    print(f"done in {result.seconds:.1f} s", file=sys.stderr)
    return 0


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
    if getattr(args, "gan_action", None) == "train":
        return _run_train(args)
    if getattr(args, "gan_action", None) == "face":
        return _run_face(args)
    if getattr(args, "gan_action", None) == "stacked":
        return _run_stacked(args)
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
