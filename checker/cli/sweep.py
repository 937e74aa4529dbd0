"""``checker sweep SPEC.toml``: run a declarative grid of the papers' experiments.

Exit codes: 0 every task finished, 1 some task failed (named in the summary; the others are
kept), 2 bad usage or a bad spec (one line naming the file and key), 130 interrupted (finished
tasks are kept; re-run the same command to resume).
"""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "sweep", help="run a declarative sweep (kind x parameters x seeds) locally or on Ray",
        description=("Expand SPEC.toml into tasks, run the unfinished ones (content-addressed, "
                     "resumable), and aggregate them into figures, a report section and a "
                     "reproduction table. See docs/guide/sweep.md."))
    p.add_argument("spec", metavar="SPEC.toml", help="the sweep specification (e.g. sweeps/sinha-mnist.toml)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="local: a process pool (default); ray: a Ray runtime or cluster")
    p.add_argument("--address", default=None,
                   help="Ray cluster address to join (e.g. auto or HOST:6379); default: start a local runtime")
    p.add_argument("--out", default=None,
                   help="results folder (default sweep-results/<spec name>[-quick], with -ray appended "
                        "for --backend ray so the two backends never share results)")
    p.add_argument("--workers", type=int, default=None,
                   help="local: worker processes (default: CPU count; 0 = run in this process); "
                        "ray: CPUs of the local runtime")
    p.add_argument("--quick", action="store_true", help="apply the spec's [quick] section (tiny sizes)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    p.add_argument("--progress-every", type=float, default=10.0, dest="progress_every",
                   help="seconds between progress lines on stderr (default 10)")
    p.add_argument("--dry-run", action="store_true", dest="dry_run",
                   help="list the tasks (and which are done) without running anything")
    p.add_argument("--only", default=None, metavar="KIND[,KIND]",
                   help="run (and report) only the tasks of these kinds")
    p.add_argument("--report-only", action="store_true", dest="report_only",
                   help="only re-render the report from the records in --out (also those of the same "
                        "configuration computed by another code version); runs nothing")
    return p


def default_out(name: str, *, quick: bool, backend: str):
    """The default results folder: one per spec, ``--quick`` variant and backend."""
    from pathlib import Path

    return Path("sweep-results") / (name + ("-quick" if quick else "") + ("-ray" if backend == "ray" else ""))


def _fmt_eta(s):
    if s is None:
        return "?"
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def run(args) -> int:
    from pathlib import Path

    from checker.errors import InvalidArgument
    from checker.sweep import aggregate, load_spec, run_sweep
    from checker.sweep.table import write_sweep_table
    from checker.sweep.task import read_task_file, task_path

    if args.workers is not None and args.workers < 0:  # checked even when no task is left to run
        raise InvalidArgument("--workers", args.workers, "must be an integer >= 0 (0 = run in this process)")
    if args.progress_every <= 0:
        raise InvalidArgument("--progress-every", args.progress_every, "must be > 0")
    if args.address is not None and args.backend != "ray":
        raise InvalidArgument("--address", args.address, "is only used with --backend ray")
    spec = load_spec(args.spec, quick=args.quick)
    if args.only is not None:
        import dataclasses

        from checker.sweep.kinds import get_kind

        kinds = [k.strip() for k in args.only.split(",") if k.strip()]
        for k in kinds:
            try:
                get_kind(k)
            except InvalidArgument as exc:
                raise InvalidArgument("--only", k, exc.rule, hint=exc.hint) from None
        spec = dataclasses.replace(spec, tasks=tuple(t for t in spec.tasks if t.kind in kinds))
        if not spec.tasks:
            raise InvalidArgument("--only", args.only, f"selects no task of {args.spec}")
    out = Path(args.out) if args.out else default_out(spec.name, quick=args.quick, backend=args.backend)
    if args.dry_run:
        rows = []
        for t in spec.tasks:
            rec = read_task_file(task_path(out, t))
            rows.append({"label": t.label, "hash": t.hash, "phase": t.phase,
                         "status": rec["status"] if rec else "todo"})
        if args.json:
            print(json.dumps({"spec": spec.name, "out": str(out), "tasks": rows}))
        else:
            for r in rows:
                print(f"{r['status']:7s} {r['hash']} phase {r['phase']}  {r['label']}")
        return 0

    from checker.validate import output_dir

    output_dir("--out", out)  # created and probed for writing before any work
    if args.report_only:
        from checker.sweep import load_records

        recs = load_records(spec, out, any_code=True)
        rep = aggregate(spec, recs, out=out)
        table = write_sweep_table(recs, out)
        if args.json:
            print(json.dumps({"spec": spec.name, "out": str(out), "records": len(recs), "tasks": len(spec.tasks),
                              "report": rep.markdown_path, "figures": list(rep.figures),
                              "table_files": {"csv": table.csv, "parquet": table.parquet}}))
        else:
            print(f"report of {len(recs)}/{len(spec.tasks)} tasks: {rep.markdown_path}")
            print(f"table: {table.csv}" + (f" and {table.parquet}" if table.parquet else ""))
        return 0

    def progress(p):
        print(f"checker sweep: {p.done + p.skipped}/{p.total} done ({p.skipped} already), "
              f"{p.running} running, {p.failed} failed, elapsed {_fmt_eta(p.elapsed)}, "
              f"ETA {_fmt_eta(p.eta_seconds)}" + (f" | {p.last}" if p.last else ""),
              file=sys.stderr, flush=True)

    res = run_sweep(spec, out=out, backend=args.backend, workers=args.workers, address=args.address,
                    on_progress=progress, progress_every=args.progress_every)
    rep = aggregate(spec, res.records, out=out)
    table = write_sweep_table(res.records, out)
    summary = {"spec": spec.name, "path": spec.path, "quick": spec.quick, "out": res.out,
               "backend": res.backend, "tasks": res.total, "skipped": res.skipped,
               "computed": res.computed, "failed": [{"label": l, "hash": h, "error": e} for l, h, e in res.failed],
               "seconds": res.seconds, "report": rep.markdown_path, "json": rep.json_path,
               "figures": list(rep.figures), "table_files": {"csv": table.csv, "parquet": table.parquet}}
    if args.json:
        print(json.dumps(summary))
    else:
        where = f" on backend {res.backend}" if res.computed or res.failed else ""
        print(f"sweep {spec.name}{' (quick)' if spec.quick else ''}: {res.total} tasks, "
              f"{res.skipped} already done (found in {out}), {res.computed} computed{where}, "
              f"{len(res.failed)} failed, in {res.seconds:.1f} seconds")
        print(f"report: {rep.markdown_path}")
        print(f"table: {table.csv}" + (f" and {table.parquet}" if table.parquet else ""))
        for f in rep.figures:
            print(f"figure: {f}")
        for label, h, err in res.failed:
            print(f"FAILED {label} ({h}): {err}")
    return 1 if res.failed else 0
