"""``checker trust NODE``: the trust a node inherits (like Lean's ``#print axioms``)."""

from __future__ import annotations

import json


def add_parser(subparsers):
    p = subparsers.add_parser("trust", help="print the trust a node inherits (like #print axioms)")
    p.add_argument("node", help="node id, e.g. arora.thm1")
    p.add_argument("paths", nargs="*", help="outline files or folders (default: proofs/)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--skip-experiments", action="store_true")
    return p


def run(args) -> int:
    from checker.audit import audit, trust_report
    from checker.io import to_jsonable

    result = audit(args.paths or None, run_experiments=not args.skip_experiments)
    tags = trust_report(result, args.node)
    rep = result.nodes[args.node]
    if args.json:
        print(json.dumps(to_jsonable({"node": args.node, "status": rep.status, "trust": tags})))
    else:
        print(f"'{args.node}' ({rep.status}) depends on:")
        for tag, nodes in tags.items():
            print(f"  {tag}: {', '.join(nodes)}")
    ok = rep.status == "fully checked"
    return 0 if ok else 1
