"""``checker certify``: the robustness certificate of a saved model (Sinha et al., Theorem 3)."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "certify",
        help="robustness certificate gamma*rho + E[phi_gamma] of a trained model (sound when provable)",
        description=(
            "Compute the certificate rho -> gamma*rho + E_n[phi_gamma] of a model saved by "
            "`checker train` on a data set: per-example phi_gamma by inner ascent to a tolerance, "
            "rho_hat, and a soundness status. For chains of Linear layers and smooth activations "
            "(and convolutional chains: Conv2d, AvgPool2d, ZeroPad2d, reshapes) "
            "every phi_gamma gets a SOUND upper bound at any gamma (per example: local strong "
            "concavity on the ball ||z - x|| <= G/gamma, branch-and-bound for inputs of dimension "
            "<= 3, or a Lipschitz fallback; float64 rounding included). Other networks are sound only "
            "when Corollary 4's L_zz bound gives mu = 2*gamma - L_zz > 0; otherwise the result is an "
            "ESTIMATE with the reason. eps_n(t) (Theorem 3) has unspecified constants and is never added."),
    )
    p.add_argument("model", help="model file (or run folder) saved by `checker train`, an ONNX "
                                 "file (.onnx) or a TorchScript archive of an nn.Sequential")
    p.add_argument("--data", required=True, help="synthetic, mnist, digits or PATH.npz")
    p.add_argument("--gamma", type=float, default=None,
                   help="penalty gamma > 0 (default: the gamma stored with a WRM model)")
    p.add_argument("--split", default="train", choices=("train", "test"),
                   help="certify on the training or the test split (default train)")
    p.add_argument("--n", type=int, default=None, help="use only the first N examples of the split")
    p.add_argument("--tol", type=float, default=None, help="inner gradient-norm tolerance (default 1e-6)")
    p.add_argument("--max-steps", type=int, default=2000, help="inner ascent step limit (default 2000)")
    p.add_argument("--method", default="auto", choices=("auto", "global"),
                   help="auto: per-example sound bounds where the network is covered (default); "
                        "global: Corollary 4 only (the paper's argument)")
    p.add_argument("--bnb-tol", type=float, default=None,
                   help="branch-and-bound tolerance per example (default 1e-4)")
    p.add_argument("--crown", action="store_true",
                   help="the per-example fallback also tries a linear (CROWN-style) loss bound per "
                        "shell and keeps the smaller (sound either way; 1-3x slower, rarely tighter)")
    p.add_argument("--sweep", action="store_true",
                   help="also draw Figure 2 (certificate vs test worst case over a gamma_adv sweep)")
    p.add_argument("--out", default=None, help="folder for certificate.json and the figure")
    p.add_argument("--seed", type=int, default=0, help="seed for data splits and estimates (default 0)")
    p.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--eps-what-if", default=None, metavar="K=V,...",
                   help="evaluate eps_n(t) of Corollary 1 for chosen constants, e.g. "
                        "b1=1,b2=1,t=3,L=10,diam=5,M0=1 (a what-if; never added to the certificate)")
    p.add_argument("--require-sound", action="store_true",
                   help="exit 1 unless the certificate is sound")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def run(args) -> int:
    from checker.progress import scope

    # periodic progress lines (every ~10 s, also when stderr is not a terminal) for the whole
    # command, with a heartbeat during long steps that have no loop of their own
    with scope("certify"):
        return _run(args)


def _run(args) -> int:
    import torch

    from checker import load_model
    from checker.certify.certificate import certify
    from checker.device import resolve_device
    from checker.errors import InvalidArgument
    from checker.io import to_jsonable, write_json
    from checker.validate import output_dir
    from checker.tolerances import CERTIFICATE_ABS, CERTIFY_GRAD_TOL
    from checker.validate import positive, positive_int
    from checker.wrm.data import load_dataset

    from checker.certify.external import is_external, load_external

    device = resolve_device(args.device)
    model = (load_external(args.model) if is_external(args.model) else load_model(args.model)).to(device)
    meta = getattr(model, "checker_meta", {}) or {}
    gamma = args.gamma
    if gamma is None:
        gamma = meta.get("gamma") or (meta.get("summary") or {}).get("gamma") if isinstance(meta, dict) else None
        if gamma is None:
            raise InvalidArgument("gamma", None, "is required (the model stores no WRM gamma)",
                                  hint="pass --gamma G")
    gamma = positive("gamma", gamma)
    tol = CERTIFY_GRAD_TOL if args.tol is None else positive("tol", args.tol)
    cfg = meta.get("config") if isinstance(meta, dict) else None
    cfg = cfg if isinstance(cfg, dict) else {}
    if cfg.get("dataset") == args.data:
        # the data exactly as `checker train` drew it (same seed, size and training cap)
        data = load_dataset(args.data, seed=int(cfg.get("seed", args.seed)), n=cfg.get("n"))
        cap = cfg.get("max_train")
    else:
        if cfg:
            print(f"note: the model was trained on {cfg.get('dataset')!r}, not {args.data!r}; "
                  "--split train is then just a split of that data set", file=sys.stderr)
        data = load_dataset(args.data, seed=args.seed)
        cap = None
    x = data.x_train if args.split == "train" else data.x_test
    y = data.y_train if args.split == "train" else data.y_test
    if cap is not None and args.split == "train":
        x, y = x[: int(cap)], y[: int(cap)]
    if args.n is not None:
        k = positive_int("n", args.n)
        x, y = x[:k], y[:k]
    print(f"certifying {x.shape[0]} {args.split} examples of {data.name} at gamma={gamma:g} ...",
          file=sys.stderr, flush=True)
    ckpt = None
    if args.out:
        ckpt = output_dir("--out", args.out) / f"certify-{args.split}-gamma{gamma:g}.checkpoint.pt"
    cert = certify(model, x.to(device), y.to(device), gamma=gamma, tol=tol,
                   max_steps=args.max_steps, split=args.split, seed=args.seed,
                   progress=not args.json, checkpoint=ckpt, batch_size=256, method=args.method,
                   bnb_tol=None if args.bnb_tol is None else positive("bnb-tol", args.bnb_tol),
                   crown=args.crown)
    result = cert.to_dict()
    if args.eps_what_if:
        values = {}
        for item in args.eps_what_if.split(","):
            key, sep, val = item.partition("=")
            if not sep:
                raise InvalidArgument("--eps-what-if", item, "must be KEY=VALUE pairs separated by commas")
            values[key.strip()] = positive(key.strip(), val)
        term = cert.epsilon_n(**values)
        result["epsilon_n_what_if"] = {"values": values, "expression": term.expression,
                                       "value": term.value, "note": term.note}
    result["model"] = str(args.model)
    result["data"] = data.name
    fig = None
    if args.sweep or args.out:
        from checker.certify.figure2 import check_dict, figure2

        out = output_dir("--out", args.out or "checker-certify")
        write_json(out / "certificate.json", result)
        n_fig = args.n or 2000
        x_fig, y_fig = data.x_train[:n_fig], data.y_train[:n_fig]
        # the training certificate just computed is Figure 2's when it was made on the same points
        # with the default method: reuse it instead of certifying the training set twice
        same = (args.split == "train" and args.method == "auto" and args.bnb_tol is None and not args.crown
                and x.shape == x_fig.shape and torch.equal(x, x_fig) and torch.equal(y, y_fig))
        print("computing Figure 2 (gamma_adv sweep on the test split) ...", file=sys.stderr, flush=True)
        fig = figure2(model, x_fig.to(device), y_fig.to(device),
                      data.x_test[:n_fig].to(device), data.y_test[:n_fig].to(device), gamma=gamma,
                      name=f"figure2_{data.name}", out=out, tol=tol, max_steps=args.max_steps,
                      seed=args.seed, train_certificate=cert if same else None)
        from checker.certify.envelope import certificate_envelope, default_gammas, plot_envelope

        print("computing the certificate envelope over gamma (test split) ...", file=sys.stderr, flush=True)
        env = certificate_envelope(model, data.x_test[:n_fig].to(device), data.y_test[:n_fig].to(device),
                                   gammas=default_gammas(gamma), paper_gamma=gamma, split="test",
                                   seed=args.seed, tol=tol, max_steps=args.max_steps,
                                   method=args.method)
        env_png = plot_envelope(env, out / f"envelope_{data.name}.png",
                                title=f"certificate vs rho, {data.name} test split")
        result["envelope"] = {**env.to_dict(), "png": str(env_png)}
        write_json(out / f"envelope_{data.name}.json", result["envelope"])
        result["figure2"] = {"png": fig.png, "json": fig.json,
                             "checks": {k: check_dict(ok, s) for k, (ok, s) in fig.checks.items()}}
    if args.sweep or args.out:  # the flat table: one row per example (checker/tables.py)
        from checker.tables import certificate_rows, write_table

        tbl = write_table(certificate_rows(cert, config={"model": str(args.model), "data": data.name,
                                                         "method": args.method, "seed": args.seed}),
                          out / f"certificate-{args.split}")
        result["table_files"] = {"csv": tbl.csv, "parquet": tbl.parquet}
    env_margin = (result.get("envelope") or {}).get("worst_case_margin")
    failed = ((fig is not None and not fig.passed) or (args.require_sound and not cert.sound)
              or (env_margin is not None and env_margin < -CERTIFICATE_ABS))
    if args.json:
        print(json.dumps(to_jsonable(result)))
    else:
        _print_human(cert, fig, result.get("epsilon_n_what_if"), result.get("envelope"))
    return 1 if failed else 0


def _print_human(cert, fig, what_if=None, envelope=None) -> None:
    lines = [
        f"certificate ({cert.status.upper()}) on {cert.n} {cert.split} examples, gamma = {cert.gamma:g}",
        f"  rho_hat                     {cert.rho_hat:.6g}",
        f"  E_n[phi_gamma]              {cert.surrogate_mean:.6g}"
        + ("  (sound upper bound)" if cert.sound else "  (lower estimate: f(z_hat))"),
        f"  certificate at rho_hat      {cert.certificate_at_rho_hat:.6g}   "
        f"(line: {cert.gamma:g}*rho + {cert.surrogate_mean:.6g})",
        f"  worst-case loss found       {cert.worst_case_loss:.6g}   (clean loss {cert.clean_loss:.6g})",
        *([f"  sound bound per example     "
           + ", ".join(f"{k} {100 * v:.1f}%" for k, v in cert.method_fractions.items())
           + (f" (branch-and-bound tolerance {cert.bnb_tol:g})" if cert.bnb_tol else ""),
           f"  rounding allowance          <= {cert.allowance_max:.3g} per example (added)"]
          if cert.argument == "local" and cert.sound else []),
        f"  L_zz bound (Corollary 4)    {'none' if cert.lzz_bound is None else f'{cert.lzz_bound:.6g}'}"
        + ("" if cert.lzz_bound_tight is None else
           f"; with the CE curvature 1/2: {cert.lzz_bound_tight:.6g}"),
        f"  mu = 2 gamma - L_zz (tight) {'none' if cert.mu is None else f'{cert.mu:.6g}'}"
        + ("  (not used: per-example bounds)" if cert.argument == "local" else ""),
        "  not strongly concave        "
        + ("not estimated" if cert.fraction_not_strongly_concave is None else
           f"{100 * cert.fraction_not_strongly_concave:.1f}% of points (Hessian power-iteration "
           f"estimate >= 2 gamma; largest estimate {cert.hessian_lambda_max_max:.4g})"),
        f"  inner ascent                {cert.inner_steps} steps (mean {cert.steps_mean:.1f} per example), "
        f"converged={cert.inner_converged}, "
        f"max |grad| {cert.max_grad_norm:.2e}",
        f"  status: {cert.status} — {cert.reason}",
        *(f"  assumed: {a}" for a in cert.assumptions),
        f"  {cert.statement}",
    ]
    if cert.split == "train":
        lines.append("  eps_n(t) omitted: Theorem 3's b1, b2 are unspecified numerical constants;")
        lines.append(f"    Corollary 1 with n={cert.n}, d={cert.n_parameters}: eps_n(t) = {cert.epsilon_n().expression}")
        if what_if is not None:
            shown = "symbolic" if what_if["value"] is None else f"{what_if['value']:.6g}"
            lines.append(f"    what-if {what_if['values']}: eps_n(t) = {shown} ({what_if['expression']})")
    if envelope is not None:
        sound_pts = [p for p in envelope["points"] if p["sound"]]
        lines.append(f"  envelope over gamma (test split, {envelope['n']} examples): "
                     f"{len(sound_pts)} of {len(envelope['points'])} penalties sound; "
                     f"gamma = {cert.gamma:g} line "
                     f"{'SOUND' if envelope['paper_line_sound'] else 'an estimate'}; "
                     + ("worst-case points: none" if envelope["worst_case_margin"] is None else
                        f"smallest margin to the attacks' worst cases {envelope['worst_case_margin']:.3g} (tested)"))
        lines.append(f"    {envelope['png']}")
    if fig is not None:
        lines.append(f"  Figure 2: {fig.png}")
        from checker.certify.figure2 import check_outcome

        for name, (ok, summary) in fig.checks.items():
            lines.append(f"    [{check_outcome(ok).upper()}] {name}: {summary}")
    print("\n".join(lines))
