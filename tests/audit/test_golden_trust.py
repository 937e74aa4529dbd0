"""Golden per-theorem trust snapshot (issue 11.3): what each theorem of proofs/ rests on,
computed from what its checks used. Any change in what a theorem rests on (an edge deleted, a
check swapped, a citation added) is a visible diff of tests/audit/golden_trust.json.

Regenerate after an intended change with::

    CHECKER_UPDATE_GOLDEN=1 python3 -m pytest tests/audit/test_golden_trust.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from checker.audit import audit
from tests.audit._stubs import stub_experiments  # noqa: F401 - fixture

GOLDEN = Path(__file__).with_name("golden_trust.json")


def snapshot(result) -> dict:
    """Per theorem: its status, what it rests on, and its statement (the claim as written, so
    that changing a constant or exponent of a shipped theorem is a visible diff, issue 24.7);
    the prose of every node without a formula claim is pinned too, since the prose *is* that
    node's statement."""
    out = {tid: {"status": t.status_text, "expressible": t.expressible, "weakest": t.weakest,
                 "rests_on": t.trust, "claim": result.nodes[tid].node.statement.source["claim"]}
           for tid, t in sorted(result.theorems.items())}
    out["(prose of claim-less nodes)"] = {
        nid: {"title": r.node.title, "text": r.node.statement.text, "paper_statement": r.node.paper_statement}
        for nid, r in sorted(result.nodes.items()) if r.node.statement.claim is None}
    return out


def test_trust_matches_golden(stub_experiments, shared_cache):  # noqa: F811
    r = audit(None)
    assert r.passed, r.failures()
    snap = snapshot(r)
    if os.environ.get("CHECKER_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(snap, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert snap == golden
    # the words: no theorem that rests on an assumption, citation or sample reads "fully checked"
    # a theorem that says nothing is never a silent pass: the verdict line counts it
    stated = [tid for tid, t in r.theorems.items() if t.status == "stated"]
    assert f"{len(stated)} of {len(r.theorems)} theorems stated only" in r.verdict()
    for tid, t in r.theorems.items():
        if any(k.startswith(("assumed:", "cited:", "tested", "interval[")) or k == "experiment" for k in t.trust):
            assert t.status != "fully checked", tid
