"""``checker graph [--format dot|html|png|svg] [--out FILE]``: the dependency graph, statement
status as border and proof status as fill, with a legend."""

from __future__ import annotations

import sys


def add_parser(subparsers):
    p = subparsers.add_parser("graph", help="draw the proof dependency graph")
    p.add_argument("paths", nargs="*", help="outline files or folders (default: proofs/)")
    p.add_argument("--format", default="dot", help="dot (default), svg, png or html")
    p.add_argument("--out", help="output file (default: stdout for dot/svg/html)")
    p.add_argument("--skip-experiments", action="store_true")
    return p


def run(args) -> int:
    from checker.audit import audit, render_graph
    from checker.errors import InvalidArgument
    from checker.io import atomic_write_bytes, atomic_write_text
    from checker.validate import one_of

    fmt = one_of("format", args.format, ["dot", "svg", "png", "html"])
    if fmt == "png" and not args.out:
        raise InvalidArgument("out", None, "is required for --format png")
    result = audit(args.paths or None, run_experiments=not args.skip_experiments)
    data = render_graph(result, fmt)
    if args.out:
        (atomic_write_bytes if isinstance(data, bytes) else atomic_write_text)(args.out, data)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(data)
    return 0
