"""Status derivation follows ALL ancestors of the support graph (issue 17), on small graphs built
by Hypothesis; reliability tags and "ready" borders are pinned."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given

from checker.audit import audit
from tests.audit.helpers import node, write
from tests.strategies.audit import small_dags


def _ancestors(k: int, edges) -> set[int]:
    preds: dict[int, set[int]] = {}
    for i, j in edges:
        preds.setdefault(j, set()).add(i)
    out, stack = set(), [k]
    while stack:
        for p in preds.get(stack.pop(), ()):
            if p not in out:
                out.add(p)
                stack.append(p)
    return out


@given(small_dags())
def test_status_follows_all_ancestors(dag):
    # every node rests on sampled evidence (an experiment), so its support is every hand-drawn
    # dependency; a node is established iff it and all its ancestors (not only its parents) are
    from checker import experiments
    from checker.experiments import Experiment, ExperimentResult

    n, edges, bad = dag
    ids = [f"n{k}" for k in range(n)]
    from checker.audit import bindings
    from checker.audit.outline import load_outline

    saved = dict(experiments._REGISTRY), dict(experiments.BINDINGS), bindings.EXPERIMENT_CLAIMS
    try:
        experiments._REGISTRY["fake.ok"] = Experiment(name="fake.ok", description="d", module=__name__,
                                                      func=lambda *, seed, quick: ExperimentResult(passed=True, summary="ok"))
        experiments._REGISTRY["fake.bad"] = Experiment(name="fake.bad", description="d", module=__name__,
                                                       func=lambda *, seed, quick: ExperimentResult(passed=False, summary="bad"))
        experiments.BINDINGS["fake.ok"] = (tuple(ids), "x")
        experiments.BINDINGS["fake.bad"] = (tuple(ids), "x")
        text = ""
        for k in range(n):
            deps = [f'"n{i}"' for i, j in edges if j == k]
            name = "fake.bad" if k in bad else "fake.ok"
            text += node(ids[k], body=f'[[node.checks]]\nkind = "experiment"\nname = "{name}"\n',
                         **({"uses_proof": "[" + ", ".join(deps) + "]"} if deps else {}))
        with tempfile.TemporaryDirectory() as d:
            path = write(Path(d), text)
            # experiments are bound to the claims they test (issue 24.3), here every node's
            hashes = tuple(bindings.claim_hash(nd) for nd in load_outline(path).nodes)
            bindings.EXPERIMENT_CLAIMS = {**saved[2], "fake.ok": hashes, "fake.bad": hashes}
            r = audit([path], cache=False)
    finally:
        experiments._REGISTRY.clear()
        experiments._REGISTRY.update(saved[0])
        experiments.BINDINGS.clear()
        experiments.BINDINGS.update(saved[1])
        bindings.EXPERIMENT_CLAIMS = saved[2]
    for k in range(n):
        st = r.nodes[ids[k]].status
        if k in bad:
            assert st == "failed"
        elif _ancestors(k, edges) & bad:
            assert st == "locally checked", (k, edges, bad)
        else:
            assert st == "checked modulo" and r.nodes[ids[k]].status_text == "checked modulo 1 experiment"
    assert r.passed == (not bad)


@pytest.mark.parametrize("tag,expected", [
    ("[P]", []), ("[R]", ["reconstructed"]), ("[R, standard]", []), ("[S]", ["secondary-source"]),
    ("[P via S]", ["secondary-source"]), ("[D]", []), ("[A] idea, [R] constants", ["reconstructed"]),
    ("[S] statement, [D] check", ["secondary-source"]),
])
def test_reliability_tags_are_pinned(tmp_path, tag, expected):
    body = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x + 1 > x"\n[[node.checks]]\nkind = "symbolic"\n'
    p = write(tmp_path, node("a", body=body).replace("[D]", tag))
    r = audit([p], run_experiments=False)
    assert sorted(t for t in r.nodes["a"].trust if t in ("reconstructed", "secondary-source")) == expected


def test_ready_border_is_pinned(tmp_path):
    ok = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x + 1 > x"\n[[node.checks]]\nkind = "symbolic"\n'
    bad = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x > x + 1"\n[[node.checks]]\nkind = "symbolic"\n'
    p = write(tmp_path, node("good", body=ok) + node("wrong", body=bad)
              + node("u1", body=ok, uses_statement='["good"]') + node("u2", body=ok, uses_statement='["wrong"]')
              + node("u3", body=ok, uses_proof='["wrong"]'))
    r = audit([p], run_experiments=False)
    assert r.nodes["u1"].border == "ready"
    assert r.nodes["u2"].border == "stated"
    assert r.nodes["u3"].border == "ready"      # proof edges do not affect the statement border
