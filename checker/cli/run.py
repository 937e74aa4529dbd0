"""``checker run``: the main job on a built-in default, writing one report."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "run",
        help="run every capability on a built-in default and write one report",
        description=(
            "Compute the bounds, build Theorem 1's construction and run its checks and a small "
            "fooling experiment, run the birthday test on it, train ERM/FGM/WRM on the synthetic "
            "task, certify and attack them, audit every proof outline, and write report.html, "
            "report.md and report.json. Exit 0 only if every check passed within the trust "
            "allow-list. Re-running reuses results whose inputs did not change."),
    )
    p.add_argument("--out", default="checker-out", help="output folder (default: checker-out)")
    p.add_argument("--full", action="store_true",
                   help="paper-scale settings (hours on a CPU; a GPU is recommended)")
    p.add_argument("--seed", type=int, default=0, help="seed for every random choice (default 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    p.add_argument("--no-cache", action="store_true", help="recompute every stage")
    p.add_argument("--only", default="", help="comma-separated stages to run (and what they need)")
    p.add_argument("--json", action="store_true", help="print the run summary as one JSON object")
    return p


def run(args) -> int:
    from checker.device import resolve_device
    from checker.pipeline import STAGES, RunConfig, run_pipeline
    from checker.report import render_json, write_report

    resolve_device(args.device)  # fail fast on a device that is not there
    only = tuple(s for s in args.only.split(",") if s)
    config = RunConfig(out=Path(args.out), full=args.full, seed=args.seed, device=args.device,
                       use_cache=not args.no_cache, only=only)
    n = len(STAGES)
    index = {s.name: i + 1 for i, s in enumerate(STAGES)}
    starts: dict[str, float] = {}

    def on_stage(name: str, event: str) -> None:
        title = next(s.title for s in STAGES if s.name == name)
        if event == "start":
            starts[name] = time.perf_counter()
            print(f"[{index[name]}/{n}] {title} ...", file=sys.stderr, flush=True)
        elif event == "cached":
            print(f"[{index[name]}/{n}] {title}: reused cached result", file=sys.stderr, flush=True)
        else:
            dt = time.perf_counter() - starts.get(name, time.perf_counter())
            print(f"[{index[name]}/{n}] {title}: done in {dt:.1f} s", file=sys.stderr, flush=True)

    result = run_pipeline(config, on_stage=on_stage)
    paths = write_report(result, config.out)
    if args.json:
        summary = render_json(result)
        for st in summary["stages"]:
            st["data"].pop("html", None)
        summary["report"] = {k: str(v) for k, v in paths.items()}
        print(json.dumps(summary))
    else:
        width = max(len(s.title) for s in result.stages) if result.stages else 10
        for s in result.stages:
            ok = sum(c.passed for c in s.checks)
            verdict = "pass" if s.passed else "FAIL"
            extra = " (cached)" if s.cached else ""
            print(f"  {s.title:<{width}}  {verdict:4}  {ok}/{len(s.checks)} checks  {s.seconds:6.1f} s{extra}")
            for c in s.checks:
                if not c.passed:
                    print(f"      FAILED {c.name}: {c.summary}")
            if s.error:
                print(f"      CRASHED: {s.error.splitlines()[0]}")
        print(f"{'PASS' if result.passed else 'FAIL'}: report written to {paths['html']} "
              f"(also {paths['markdown'].name}, {paths['json'].name}) in {result.seconds:.1f} s")
    return 0 if result.passed else 1
