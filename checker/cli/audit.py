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
    p.add_argument("paths", nargs="*", help="outline files or folders (default: the repository's proofs/)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--html", metavar="OUT", help="write a self-contained HTML report")
    p.add_argument("--no-cache", action="store_true", help="re-run every check (cache: $CHECKER_CACHE_DIR)")
    p.add_argument("--skip-experiments", action="store_true",
                   help="do not run experiment checks (they then count as not checked)")
    p.add_argument("--full", action="store_true", help="run experiments in full (not quick) mode")
    p.add_argument("--allowlist", metavar="FILE", help="trust allow-list (default: allowlist.toml next to the outlines)")
    p.add_argument("--verbose", action="store_true",
                   help="also lint the outlines (orphans, transitively redundant edges)")
    p.add_argument("--check-seconds", type=float, default=None, metavar="S",
                   help="wall-clock limit of each check (default 60)")
    return p


def summary_dict(result) -> dict:
    return {
        "passed": result.passed,
        "files": list(result.files),
        "allowlist": result.allowlist,
        "errors": list(result.errors),
        "failures": result.failures(),
        "warnings": list(result.warnings),
        "cache_hits": result.cache_hits,
        "cache_rejected": result.cache_rejected,
        "checks_run": result.checks_run,
        "theorems": {t.id: {"status": t.status, "status_text": t.status_text, "passed": t.passed,
                            "counts": t.counts, "leaf_counts": t.leaf_counts, "weakest": t.weakest,
                            "expressible": t.expressible, "trust": t.trust,
                            "disallowed": list(t.disallowed)} for t in result.theorems.values()},
        "errata": {e.id: {"expect": e.expect, "outcome": e.outcome, "passed": e.passed,
                          "evidence": list(e.evidence)} for e in result.errata.values()},
        "nodes": {n.id: {"kind": n.kind, "status": n.status, "status_text": n.status_text,
                         "border": n.border, "own": n.own, "weakest": n.weakest, "support": list(n.support),
                         "variant": n.variant, "trust": list(n.trust),
                         "checks": [{"kind": c.kind, "verdict": c.verdict, "trust": c.trust,
                                     "summary": c.summary, "seconds": c.seconds, "cached": c.cached}
                                    for c in n.checks]} for n in result.nodes.values()},
    }


def run(args) -> int:
    from checker.audit import audit, render_html
    from checker.io import atomic_write_text, to_jsonable

    from checker.audit.budget import MAX_CHECK_SECONDS
    from checker.errors import InvalidArgument

    if args.check_seconds is not None and not 0 < args.check_seconds <= MAX_CHECK_SECONDS:
        raise InvalidArgument("--check-seconds", args.check_seconds, f"must be in (0, {MAX_CHECK_SECONDS:g}]")
    from checker.threads import threads_for

    with threads_for(0):  # experiments and falsification run tiny networks: one thread
        result = audit(args.paths or None, cache=not args.no_cache, run_experiments=not args.skip_experiments,
                       quick=not args.full, allowlist=args.allowlist, lint=args.verbose,
                       check_seconds=args.check_seconds)
    if args.html:
        atomic_write_text(args.html, render_html(result))
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        print(json.dumps(to_jsonable(summary_dict(result))))
    else:
        _print_human(result)
    return 0 if result.passed else 1


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
    con.print(f"{'PASSED' if result.passed else 'FAILED'}: {len(result.nodes)} nodes, {result.checks_run} checks run, "
              f"{result.cache_hits} from cache")
