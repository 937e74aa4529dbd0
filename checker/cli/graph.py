"""``checker graph [--format dot|html|png|svg] [--out FILE] [--json]``: the dependency graph,
statement status as border and the weakest leaf each node rests on as fill, with a legend
(``svg`` uses the layered renderer of :mod:`checker.report.graphs`; ``--json`` prints the graph
as data)."""

from __future__ import annotations

import sys


def add_parser(subparsers):
    p = subparsers.add_parser("graph", help="draw the proof dependency graph")
    p.add_argument("paths", nargs="*", help="outline files or folders (default: proofs/)")
    p.add_argument("--format", default="dot", help="dot (default), svg, png or html")
    p.add_argument("--out", help="output file (default: stdout for dot/svg/html)")
    p.add_argument("--skip-experiments", action="store_true")
    p.add_argument("--json", action="store_true",
                   help="print the graph as JSON: nodes (status, weakest leaf, support) and edges")
    return p


def layered_svg(result) -> str:
    """The layered SVG of checker.report.graphs, each node coloured by the weakest leaf it rests
    on, as the audit computed it from what its checks used (the one adapter,
    :func:`checker.report.graphs.audit_graph_data`, that the report uses too)."""
    from checker.report.graphs import audit_graph_data, render_svg

    nodes, edges = audit_graph_data(result, href=None)
    return render_svg(nodes, edges, title="proof dependencies (colour: weakest leaf a node rests on)")


def graph_dict(result) -> dict:
    """The audit graph as plain data (the same fields the report renders)."""
    return {
        "nodes": [{"id": n.id, "kind": n.kind, "title": n.title, "status": n.status,
                   "status_text": n.status_text, "weakest": n.weakest, "border": n.border,
                   "support": list(n.support), "file": n.file} for n in result.nodes.values()],
        "edges": [{"source": u, "target": v, "kind": d.get("kind", "proof")}
                  for u, v, d in result.graph.edges(data=True)],
        "theorems": {t.id: {"status": t.status, "status_text": t.status_text, "weakest": t.weakest}
                     for t in result.theorems.values()},
    }


def run(args) -> int:
    from checker.audit import audit, render_graph
    from checker.errors import InvalidArgument
    from checker.io import atomic_write_bytes, atomic_write_text
    from checker.validate import one_of, output_file

    fmt = one_of("--format", args.format, ["dot", "svg", "png", "html"])
    if fmt == "png" and not args.out and not args.json:
        raise InvalidArgument("--out", None, "is required for --format png")
    if args.out:  # before any work, and no folder is ever created for it
        output_file("--out", args.out)
    from checker.threads import threads_for

    with threads_for(0):  # experiments and falsification run tiny networks: one thread
        result = audit(args.paths or None, run_experiments=not args.skip_experiments)
    if args.json:
        import json

        from checker.io import to_jsonable

        text = json.dumps(to_jsonable(graph_dict(result)))
        if args.out:
            atomic_write_text(args.out, text + "\n")
            print(f"wrote {args.out}", file=sys.stderr)
        else:
            print(text)
        return 0
    data = layered_svg(result) if fmt == "svg" else render_graph(result, fmt)
    if args.out:
        (atomic_write_bytes if isinstance(data, bytes) else atomic_write_text)(args.out, data)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(data)
    return 0
