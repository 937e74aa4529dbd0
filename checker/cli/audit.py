"""``checker audit [PATHS] [--json] [--html OUT] [--no-cache] [--skip-experiments] [--verbose]``.

Exit 0: no check refuted, failed, vacuous, undecided, timed out or errored, every theorem's trust
within the allow-list, every erratum as expected. Exit 1: anything else. Exit 2: malformed
outlines or bad usage. Statuses are worded by :mod:`checker.audit.words` ("fully checked",
"checked modulo 2 cited, 1 experiment", ...).
"""

from __future__ import annotations

import json
import sys


def add_parser(subparsers):
    p = subparsers.add_parser("audit", help="audit the proof outlines (proofs/*.toml)",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("paths", nargs="*",
                   help="outline files or folders (default: the repository's proofs/); "
                        "`checker audit init NAME [DIR]` writes a commented template outline and "
                        "allow-list into DIR (default NAME/)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--html", metavar="OUT", help="write a self-contained HTML report")
    p.add_argument("--no-cache", action="store_true", help="re-run every check (cache: $CHECKER_CACHE_DIR)")
    p.add_argument("--trust-cache", action="store_true",
                   help="reuse cached passing verdicts without re-checking them (default: a cached pass is "
                        "recomputed; the cache's hashes catch corruption, not a forger)")
    p.add_argument("--skip-experiments", action="store_true",
                   help="do not run experiment checks (they then count as not checked)")
    p.add_argument("--full", action="store_true", help="run experiments in full (not quick) mode")
    p.add_argument("--allowlist", metavar="FILE", help="trust allow-list (default: allowlist.toml next to the outlines)")
    p.add_argument("--verbose", action="store_true",
                   help="also lint the outlines (orphans, transitively redundant edges)")
    p.add_argument("--check-seconds", type=float, default=None, metavar="S",
                   help="wall-clock limit of each check (default 60)")
    p.add_argument("--no-kernel", action="store_true",
                   help="skip the Coq kernel (every proved verdict is then solver-checked)")
    p.add_argument("--coq-out", metavar="DIR",
                   help="write one Coq file per outline into DIR (plain `coqc FILE.v` re-checks it)")
    return p


def summary_dict(result) -> dict:
    return {
        "passed": result.passed,
        "verdict": result.verdict(),
        "theorems_saying_nothing": result.says_nothing(),
        "cache_trusted": result.cache_trusted,
        "cache_rechecked": result.cache_rechecked,
        "files": list(result.files),
        "allowlist": result.allowlist,
        "errors": list(result.errors),
        "failures": result.failures(),
        "warnings": list(result.warnings),
        "cache_hits": result.cache_hits,
        "cache_rejected": result.cache_rejected,
        "checks_run": result.checks_run,
        "checks_on_trust": result.checks_on_trust,
        "checks_total": result.checks_total,
        "kernel": _kernel_summary(result),
        "theorems": {t.id: {"status": t.status, "status_text": t.status_text, "passed": t.passed,
                            "counts": t.counts, "leaf_counts": t.leaf_counts, "weakest": t.weakest,
                            "expressible": t.expressible, "trust": t.trust,
                            "disallowed": list(t.disallowed)} for t in result.theorems.values()},
        "errata": {e.id: {"expect": e.expect, "outcome": e.outcome, "passed": e.passed,
                          "evidence": list(e.evidence)} for e in result.errata.values()},
        "nodes": {n.id: {"kind": n.kind, "status": n.status, "status_text": n.status_text,
                         "border": n.border, "own": n.own, "weakest": n.weakest, "support": list(n.support),
                         "variant": n.variant, "trust": list(n.trust),
                         "kernel": getattr(n, "kernel", ""), "coq": getattr(n, "coq", ""),
                         "kernel_goal": getattr(n, "kernel_goal", ""),
                         "kernel_reason": getattr(n, "kernel_reason", ""),
                         "checks": [{"kind": c.kind, "verdict": c.verdict, "trust": c.trust,
                                     "summary": c.summary, "seconds": c.seconds, "cached": c.cached}
                                    for c in n.checks]} for n in result.nodes.values()},
    }


def _init(args) -> int:
    """``checker audit init NAME [DIR]``: write a commented template outline and allow-list."""
    import re
    from importlib.resources import files
    from pathlib import Path

    from checker.errors import InvalidArgument
    from checker.io import atomic_write_text

    if len(args.paths) not in (2, 3):
        raise InvalidArgument("init", " ".join(args.paths[1:]) or "(nothing)",
                              "takes NAME and optionally a folder: checker audit init NAME [DIR]")
    name = args.paths[1]
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise InvalidArgument("NAME", name, "must be a lower-case identifier (a-z, 0-9, _), starting with a letter")
    folder = Path(args.paths[2] if len(args.paths) == 3 else name)
    if folder.exists() and not folder.is_dir():
        raise InvalidArgument("DIR", str(folder), "must be a folder (it exists and is not one)")
    targets = {folder / f"{name}.toml": "outline_template.toml", folder / "allowlist.toml": "allowlist_template.toml"}
    for path in targets:
        if path.exists():
            raise InvalidArgument("DIR", str(folder), f"already holds {path.name}; choose another folder",
                                  hint="init never overwrites a file")
    folder.mkdir(parents=True, exist_ok=True)
    for path, template in targets.items():
        text = files("checker.data").joinpath(template).read_text(encoding="utf-8")
        atomic_write_text(path, text.replace("@NAME@", name).replace("@DIR@", str(folder)))
    if args.json:
        print(json.dumps({"outline": str(folder / f"{name}.toml"), "allowlist": str(folder / "allowlist.toml")}))
    else:
        print(f"wrote {folder / f'{name}.toml'} and {folder / 'allowlist.toml'}; "
              f"audit them with: checker audit {folder}")
    return 0


def run(args) -> int:
    if args.paths[:1] == ["init"] and not __import__("os").path.exists("init"):
        return _init(args)
    from checker.audit import audit, render_html
    from checker.io import atomic_write_text, to_jsonable

    from checker.audit.budget import MAX_CHECK_SECONDS
    from checker.errors import InvalidArgument

    if args.check_seconds is not None and not 0 < args.check_seconds <= MAX_CHECK_SECONDS:
        raise InvalidArgument("--check-seconds", args.check_seconds, f"must be in (0, {MAX_CHECK_SECONDS:g}]")
    from checker.threads import threads_for
    from checker.validate import output_file

    if args.html:  # before any work: a report that cannot be written must not cost an audit
        output_file("--html", args.html)
    if args.coq_out:
        from pathlib import Path

        if Path(args.coq_out).exists() and not Path(args.coq_out).is_dir():
            raise InvalidArgument("--coq-out", args.coq_out, "must be a folder (it exists and is not one)")
        if args.no_kernel:
            raise InvalidArgument("--coq-out", args.coq_out, "needs the kernel: drop --no-kernel")
    with threads_for(0):  # experiments and falsification run tiny networks: one thread
        result = audit(args.paths or None, cache=not args.no_cache, run_experiments=not args.skip_experiments,
                       quick=not args.full, allowlist=args.allowlist, lint=args.verbose,
                       check_seconds=args.check_seconds, trust_cache=args.trust_cache or None,
                       kernel=not args.no_kernel)
    if args.coq_out:
        _write_coq(result, args.coq_out)
    if args.html:
        atomic_write_text(args.html, render_html(result))
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        print(json.dumps(to_jsonable(summary_dict(result))))
    else:
        _print_human(result)
    return 0 if result.passed else 1


def _kernel_summary(result) -> dict:
    from checker.audit.kernel.verdict import BEYOND

    kr = getattr(result, "kernel", None)
    nodes = list(result.nodes.values())
    labelled = [n for n in nodes if getattr(n, "kernel", "")]
    proved = [n for n in labelled if n.kernel_reason != BEYOND]  # the nodes z3 or sympy proved
    return {"ran": bool(kr and kr.ran), "note": kr.note if kr else "",
            "kernel_checked": sum(n.kernel == "kernel-checked" for n in proved),
            "solver_checked": sum(n.kernel == "solver-checked" for n in proved),
            "kernel_checked_beyond_solvers": sorted(n.id for n in labelled if n.kernel_reason == BEYOND),
            "seconds": kr.seconds if kr else 0.0, "coqc_runs": kr.coqc_runs if kr else 0,
            "cache_hits": kr.cache_hits if kr else 0}


def _write_coq(result, folder) -> None:
    from pathlib import Path

    from checker.io import atomic_write_text

    kr = getattr(result, "kernel", None)
    if kr is None or not kr.ran:
        print(f"--coq-out: nothing written: {kr.note if kr else 'the kernel did not run'}", file=sys.stderr)
        return
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for title, text in sorted(kr.files.items()):
        name = "ck_" + "".join(c if c.isalnum() else "_" for c in title) + ".v"
        atomic_write_text(out / name, text)
    print(f"wrote {len(kr.files)} Coq files to {out}", file=sys.stderr)


def _print_human(result) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    table = Table(title="checker audit: theorems")
    for col in ("theorem", "status", "rests on (leaves actually used)", "not allowed"):
        table.add_column(col)
    for t in result.theorems.values():
        status = t.status_text + ("" if t.expressible else " (not expressible as a formula)")
        table.add_row(t.id, f"[{'green' if t.passed else 'red'}]{status}[/]",
                      ", ".join(k for k in t.trust if k not in ("reconstructed", "secondary-source", "variant")),
                      f"[red]{', '.join(t.disallowed)}[/]")
    con.print(table)
    et = Table(title="errata (restatements versus the papers)")
    for col in ("erratum", "expected", "outcome"):
        et.add_column(col)
    for e in result.errata.values():
        et.add_row(e.id, e.expect, f"[{'green' if e.passed else 'red'}]{e.outcome}[/]")
    con.print(et)
    from rich.markup import escape

    for line in result.failures():
        con.print("[red]not established:[/] " + escape(line))
    err = Console(stderr=True)
    for w in result.warnings:
        err.print(f"[yellow]warning:[/] {w}")
    ks = _kernel_summary(result)
    if ks["note"]:
        con.print(f"[yellow]kernel:[/] {escape(ks['note'])}")
    elif ks["ran"]:
        con.print(f"kernel: {ks['kernel_checked']} of {ks['kernel_checked'] + ks['solver_checked']} proved nodes "
                  f"kernel-checked (Coq closed them with Qed), {ks['solver_checked']} solver-checked"
                  + (f", and {len(ks['kernel_checked_beyond_solvers'])} more that no solver proved"
                     if ks["kernel_checked_beyond_solvers"] else "") + "; "
                  f"{ks['coqc_runs']} coqc runs, {ks['seconds']:.1f} s")
    con.print(f"{result.verdict()}: {len(result.nodes)} nodes, {result.checks_total} checks: "
              f"{result.checks_run} run, {result.cache_hits} from cache, {result.checks_on_trust} taken on trust "
              "(cited, assumed or experiments skipped: nothing to run)"
              + (f"; {result.cache_trusted} cached passes reused without re-checking (--trust-cache)"
                 if result.cache_trusted else ""))
