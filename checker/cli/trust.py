"""``checker trust NODE``: what a node rests on, computed from what its checks used (like
Lean's ``#print axioms``). Exit 0 when the node is fully checked or checked modulo trusted
leaves (or a theorem whose statement is prose only), 1 otherwise."""

from __future__ import annotations

import json


def add_parser(subparsers):
    p = subparsers.add_parser("trust", help="print the trust a node inherits (like #print axioms)")
    p.add_argument("node", help="node id, e.g. arora.thm1")
    p.add_argument("paths", nargs="*", help="outline files or folders (default: proofs/)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--skip-experiments", action="store_true")
    return p


def _check_node(node: str, paths) -> None:
    """Refuse an unknown NODE before any check runs: the outlines are only parsed (no audit),
    and the closest node ids are suggested."""
    from checker.audit.auditor import default_proofs_dir
    from checker.audit.outline import load_outlines
    from checker.errors import InvalidArgument
    from checker.validate import suggest

    outlines = load_outlines(paths or [default_proofs_dir()])
    ids = [n.id for o in outlines for n in o.nodes]
    if node in ids:
        return
    close = suggest(node, ids)
    if not close:  # a prefix or a part of an id ("thm2" for "sinha.thm2")
        close = [i for i in ids if node.lower() in i.lower()][:3]
    raise InvalidArgument("NODE", node, f"is not a node of the outlines ({len(ids)} nodes in "
                          f"{', '.join(sorted({o.id for o in outlines}))}; nothing was audited)",
                          hint=f"did you mean {' or '.join(map(repr, close))}?" if close else
                          "list them with: checker audit --json")


def run(args) -> int:
    from checker.audit import audit, trust_report
    from checker.io import to_jsonable

    from checker.threads import threads_for

    _check_node(args.node, args.paths)

    with threads_for(0):  # experiments and falsification run tiny networks: one thread
        result = audit(args.paths or None, run_experiments=not args.skip_experiments)
    tags = trust_report(result, args.node)
    rep = result.nodes[args.node]
    if args.json:
        print(json.dumps(to_jsonable({"node": args.node, "status": rep.status, "status_text": rep.status_text,
                                      "weakest": rep.weakest, "trust": tags})))
    else:
        extra = "" if rep.expressible else ", not expressible as a formula: statement in prose"
        print(f"'{args.node}' ({rep.status_text}{extra}) rests on:")
        for tag, nodes in tags.items():
            print(f"  {tag}: {', '.join(nodes)}")
    from checker.audit.words import PASS_STATUSES

    return 0 if rep.status in PASS_STATUSES or (rep.status == "stated" and not rep.expressible) else 1
