"""The false-claim corpus (issue 24.8): no false claim may pass the audit.

The normal suite audits a fixed sample (every hand-written case and mutants of every class);
``python -m benchmarks --only audit`` audits all of it and reports the count. The corpus is made
by ``python3 -m tests.audit.false.generate``, which keeps a mutant only where it found, with its
own mpmath interpreter, a point at which the mutated claim is false (see that module).
"""

from __future__ import annotations

import json

import pytest

from tests.audit.false import corpus


def test_corpus_is_large_and_covers_every_class():
    data = json.loads(corpus.MUTANTS.read_text())
    assert data["count"] == len(data["cases"]) >= 300
    classes = {c["class"] for c in data["cases"]}
    assert classes == {"constant", "relation", "exponent", "dropped hypothesis"}
    shipped = {c["node"] for c in data["cases"]}
    assert {"sinha.thm4", "birthday.inversion", "birthday.exp_bound", "sinha.cor4"} <= shipped
    # every mutant carries the point where it is false
    assert all(c["witness"] is not None for c in data["cases"])
    hand = {c.id for c in corpus.hand_written()}
    assert {"hand/capture-uses", "hand/side-conditions", "hand/empty-range", "hand/library-only",
            "hand/trivial-theorem", "hand/allowlist-accident", "hand/limits-tower", "hand/limits-literal",
            "hand/shipped-exp-bound", "hand/shipped-inversion", "hand/shipped-thm4"} <= hand


def test_witnesses_are_checked_independently():
    # the generator's interpreter on a claim worked by hand: x**2 >= 1 is false at x = 1/2
    # (1/4 < 1), and a claim that holds everywhere on the grid has no witness
    from tests.audit.false.generate import find_witness

    w = find_witness({"symbols": {"x": "positive"}}, [], "x**2 >= 1", seed=1)
    assert w is not None and float(w["x"]) ** 2 < 1
    assert find_witness({"symbols": {"x": "positive"}}, [], "x**2 + 1 > x", seed=1) is None
    # a used claim is a premise: with u <= v given, u - 1 < v has no witness
    nodes = {"c": {"statement": {"symbols": {"a": "real", "b": "real"}, "claim": "a <= b"}}}
    raw = {"uses": [{"node": "c", "subs": {"a": "u", "b": "v"}}]}
    from tests.audit.false.generate import premises_of
    st = {"symbols": {"u": "real", "v": "real"}}
    assert find_witness(st, [], "u - 1 < v", seed=1, premises=premises_of(raw, nodes)) is None
    assert find_witness(st, [], "u - 1 < v", seed=1) is not None


@pytest.mark.parametrize("case", corpus.ci_sample(), ids=lambda c: c.id)
def test_no_false_claim_passes(case):
    passed, what = corpus.audit_case(case, kernel=False)
    assert not passed, f"{case.id} ({case.cls}): {what}"


def test_negative_control_the_unmutated_claims_pass():
    # the same machinery on the shipped claims themselves: a corpus that nothing could pass
    # would prove nothing
    import tomllib

    from tests.audit.false.generate import ROOT, node_toml, outline_text

    nodes = {}
    for f in sorted((ROOT / "proofs").glob("*.toml")):
        if f.name != "allowlist.toml":
            for raw in tomllib.loads(f.read_text())["node"]:
                nodes[raw["id"]] = raw
    for nid in ("sinha.thm4.hoeffding", "birthday.sum_identity", "sinha.thm4.tight"):
        case = corpus.Case(id=nid, cls="control", outline=outline_text(nodes, nodes[nid], node_toml(nodes[nid])),
                           targets=(nid,))
        passed, what = corpus.audit_case(case, kernel=False)
        assert passed, what


@pytest.mark.skipif(__import__("shutil").which("coqc") is None, reason="coqc not installed (the kernel is off)")
@pytest.mark.parametrize("name", ["capture-uses", "side-conditions", "empty-range"])
def test_no_false_claim_passes_with_the_kernel_on(name):
    (case,) = [c for c in corpus.hand_written() if c.id == f"hand/{name}"]
    passed, what = corpus.audit_case(case, kernel=True)
    assert not passed, f"{case.id}: {what}"
