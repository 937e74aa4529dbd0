"""``checker run``: the main job on a built-in default, writing one report.

A thin renderer of :func:`checker.pipeline.run_pipeline` over :data:`checker.stages.STAGES`:
stage start/end lines and periodic progress go to stderr, the summary to stdout. Ctrl-C stops
the run with exit 130; finished stages stay cached and a re-run resumes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "run",
        help="run every capability on a built-in default and write one report",
        description=(
            "Compute the bounds, build Theorem 1's construction and run its checks and a small "
            "fooling experiment, run the birthday test on it, train ERM, FGM, IFGM, PGM and WRM "
            "(ReLU and ELU networks) on the synthetic task (Figure 1), certify the ELU WRM model and "
            "attack the ELU ERM, FGM and WRM models, audit every proof outline, and write report.html, "
            "report.md and report.json. Every check is pass, fail or vacuous (it could not have "
            "failed at these settings; never counted as a pass). Exit 0 when no check failed, no "
            "stage crashed and no stage's checks were all vacuous (with --strict: no vacuous "
            "check at all); 1 otherwise; 2 bad usage; 130 interrupted (re-run to resume). "
            "Re-running reuses results whose inputs did not change."),
    )
    p.add_argument("--out", default="checker-out", help="output folder (default: checker-out)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true",
                      help="paper-scale settings (hours on a CPU; a GPU is recommended)")
    size.add_argument("--tiny", action="store_true",
                      help="test-size settings (about 30 s of CPU): every stage and check runs, "
                           "but the experiments are too small to mean much, and some checks "
                           "(e.g. training accuracy) fail at this size")
    p.add_argument("--seed", type=int, default=0, help="seed for every random choice (default 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    p.add_argument("--no-cache", action="store_true", help="recompute every stage")
    p.add_argument("--only", default=None,
                   help="comma-separated stages to run (and the stages they read); default: all")
    p.add_argument("--strict", action="store_true", help="a vacuous check fails the run (exit 1)")
    p.add_argument("--json", action="store_true", help="print the run summary as one JSON object")
    return p


def _check_device(spec: str) -> None:
    """Reject a device that cannot be used. ``auto`` and ``cpu`` need no torch (a warm,
    fully cached run never imports it); any other device is resolved now, failing fast."""
    if spec in ("auto", "cpu"):
        return
    from checker.device import resolve_device

    resolve_device(spec)


def run(args) -> int:
    from checker.pipeline import RunConfig, run_pipeline, select_stages
    from checker.progress import scope
    from checker.stages import STAGES
    from checker.validate import integer, output_dir

    _check_device(args.device)
    only = tuple(s.strip() for s in (args.only or "").split(",") if s.strip())
    if args.only is not None and not only:
        from checker.errors import InvalidArgument

        raise InvalidArgument("--only", args.only, "must name at least one stage",
                              hint=f"stages: {', '.join(s.name for s in STAGES)}")
    from checker.errors import InvalidArgument

    try:
        select_stages(STAGES, only)  # bad --only or --seed: exit 2 before anything is written
    except InvalidArgument as exc:  # the option as the user typed it
        raise InvalidArgument("--only", exc.value, exc.rule, hint=exc.hint) from None
    integer("--seed", args.seed, min_value=0, max_value=2**63 - 1)
    out = output_dir("--out", args.out)
    config = RunConfig(out=out, scale="full" if args.full else "tiny" if args.tiny else "quick",
                       seed=args.seed, device=args.device, use_cache=not args.no_cache, only=only,
                       strict=args.strict)
    selected = select_stages(STAGES, only)
    n = len(selected)
    index = {s.name: i + 1 for i, s in enumerate(selected)}
    titles = {s.name: s.title for s in selected}
    starts: dict[str, float] = {}
    cpu: dict[str, float] = {}
    scopes: list = []

    def on_stage(name: str, event: str) -> None:
        label = f"[{index[name]}/{n}] {titles[name]}"
        if event == "start":
            starts[name] = time.perf_counter()
            cpu[name] = time.process_time()
            print(f"{label} ...", file=sys.stderr, flush=True)
            cm = scope(f"{index[name]}/{n} {name}")
            cm.__enter__()
            scopes.append(cm)
            return
        if event == "cached":
            print(f"{label}: reused cached result", file=sys.stderr, flush=True)
            return
        while scopes:
            scopes.pop().__exit__(None, None, None)
        dt = time.perf_counter() - starts.get(name, time.perf_counter())
        verdict = "done" if event == "done" else "CRASHED"
        print(f"{label}: {verdict} in {dt:.1f} s ({time.process_time() - cpu.get(name, 0.0):.1f} s CPU)",
              file=sys.stderr, flush=True)

    try:
        result = run_pipeline(config, STAGES, on_stage=on_stage,
                              command=["python3", "-m", "checker", *_argv(args)])
    finally:
        while scopes:
            scopes.pop().__exit__(None, None, None)
    paths = _write_report(result, config.out)
    if args.json:
        from checker.report import render_json

        summary = render_json(result)
        for st in summary["stages"]:
            st["data"].pop("html", None)
        summary["outcome"] = result.outcome
        summary["provenance"] = result.provenance
        summary["report"] = {k: str(v) for k, v in paths.items()}
        print(json.dumps(summary))
    else:
        _print_summary(result, paths)
    return 0 if result.passed else 1


_REPORT_FILES = {"html": "report.html", "markdown": "report.md", "json": "report.json"}


def _write_report(result, out):
    """Write the report, unless every stage was reused and the report on disk was rendered from
    exactly these results by this renderer (then it is up to date, and a warm run stays cheap:
    rendering loads sympy for the statements)."""
    from pathlib import Path

    from checker.io import atomic_write_text
    from checker.pipeline import results_fingerprint

    out = Path(out)
    paths = {k: out / v for k, v in _REPORT_FILES.items()}
    key_file = out / "stages" / "report.key"
    key = results_fingerprint(result)
    if (result.stages and all(s.cached for s in result.stages) and key_file.exists()
            and key_file.read_text().strip() == key and all(p.exists() for p in paths.values())):
        print(f"report up to date (every stage reused): {paths['html']}", file=sys.stderr, flush=True)
        return paths
    from checker.report import write_report

    paths = write_report(result, out)
    atomic_write_text(key_file, key + "\n")
    return paths


def _argv(args) -> list[str]:
    argv = list(getattr(args, "argv", None) or sys.argv[1:])
    return argv if argv and argv[0] == "run" else ["run", *argv]


def _print_summary(result, paths) -> None:
    width = max(len(s.title) for s in result.stages) if result.stages else 10
    for s in result.stages:
        counts = f"{s.count('pass')}/{len(s.checks)} passed"
        if s.count("vacuous"):
            counts += f", {s.count('vacuous')} vacuous"
        extra = " (cached)" if s.cached else ""
        print(f"  {s.title:<{width}}  {s.outcome.upper():7}  {counts}  {s.seconds:6.1f} s "
              f"({s.cpu_seconds:.1f} s CPU){extra}")
        for c in s.checks:
            if c.outcome == "fail":
                print(f"      FAILED  {c.name}: {c.summary}")
            elif c.outcome == "vacuous":
                print(f"      vacuous {c.name}: {c.summary}")
        if s.error:
            print(f"      CRASHED: {s.error.splitlines()[0]}")
    total = sum(len(s.checks) for s in result.stages)
    vac = result.count("vacuous")
    tail = f"; {vac} vacuous (not counted as passes)" if vac else ""
    print(f"{result.outcome.upper()}: {result.count('pass')} of {total} checks passed{tail}; "
          f"report written to {paths['html']} (also {paths['markdown'].name}, {paths['json'].name}) "
          f"in {result.seconds:.1f} s")
