"""The check engines on small claims whose truth is known by hand."""

from __future__ import annotations

import pytest

from checker.audit import audit
from tests.audit.helpers import node, write


def _one(tmp_path, statement: str, check: str, **extra):
    p = write(tmp_path, node("n", body=f"[node.statement]\n{statement}\n[[node.checks]]\n{check}\n", **extra))
    r = audit([p], run_experiments=False, cache=False)
    return r.nodes["n"].checks[0], r


def test_symbolic_proves_am_gm(tmp_path):
    # (x - y)^2 >= 0 rearranged: hand derivation
    c, _ = _one(tmp_path, 'symbols = { x = "real", y = "real" }\nclaim = "x*y <= (x**2 + y**2)/2"', 'kind = "symbolic"')
    assert c.verdict == "proved" and c.trust == "symbolic"


def test_symbolic_unknown_is_not_success(tmp_path):
    c, r = _one(tmp_path, 'symbols = { x = "real" }\nclaim = "sin_free_claim_placeholder > 0"'.replace(
        "sin_free_claim_placeholder", "x**3 - x"), 'kind = "symbolic"')
    assert c.verdict in ("undecided", "refuted") and not r.passed


def test_smt_proves_and_refutes_with_replay(tmp_path):
    c, _ = _one(tmp_path, 'symbols = { p = "real" }\nhypotheses = ["0 <= p", "p <= 1"]\nclaim = "p*(1 - p) <= 1/4"',
                'kind = "smt"')
    assert c.verdict == "proved" and c.trust == "smt-nra"
    # p^2 <= p/2 fails on (1/2, 1] (hand: at p = 3/4, 9/16 > 3/8)
    c, r = _one(tmp_path, 'symbols = { p = "real" }\nhypotheses = ["0 <= p", "p <= 1"]\nclaim = "p**2 <= p/2"',
                'kind = "smt"')
    assert c.verdict == "refuted" and c.detail["replayed"] is True
    assert r.nodes["n"].status == "refuted"


def test_smt_guards_denominators(tmp_path):
    # x >= 0 => x/y >= 0 is false for y < 0; z3 must not "prove" it through y = 0 tricks either way
    c, _ = _one(tmp_path, 'symbols = { x = "real", y = "real" }\nhypotheses = ["x >= 0"]\nclaim = "x/y >= 0"',
                'kind = "smt"')
    assert c.verdict == "refuted" and c.detail["replayed"] is True


def test_smt_side_conditions_are_proved_not_assumed(tmp_path):
    # x/y >= 0 holds wherever it is defined for x, y >= 0, but y = 0 is allowed: the guard y != 0
    # is a side condition that does not follow, so this is never "proved" (before: guards were
    # assumed and z3 answered unsat)
    c, _ = _one(tmp_path, 'symbols = { x = "nonnegative", y = "nonnegative" }\nclaim = "x/y >= 0"', 'kind = "smt"')
    assert c.verdict != "proved"
    assert "y != 0" in c.detail["side_conditions"]["unproved"]
    # control: with y > 0 the side condition follows and the claim is proved
    c, _ = _one(tmp_path, 'symbols = { x = "nonnegative", y = "real" }\nhypotheses = ["y > 0"]\nclaim = "x/y >= 0"', 'kind = "smt"')
    assert c.verdict == "proved" and "y != 0" in c.detail["side_conditions"]["proved"]


def test_interval_proves_log_bound_and_reports_undecided(tmp_path):
    # log(x) <= x - 1/2 on [1/10, 10]: min of x - 1/2 - log x is at x = 1: 1/2 > 0 (hand)
    c, _ = _one(tmp_path, 'symbols = { x = "positive" }\nclaim = "log(x) <= x - 1/2"',
                'kind = "interval"\nbox = { x = ["1/10", "10"] }')
    assert c.verdict == "proved" and c.trust == "interval[x∈[1/10,10]]"   # a box, not the domain x > 0
    c, r = _one(tmp_path, 'symbols = { x = "positive" }\nhypotheses = ["x >= 1/10", "x <= 10"]\n'
                'claim = "log(x) <= x - 1/2"', 'kind = "interval"\nbox = { x = ["1/10", "10"] }')
    assert c.verdict == "proved" and c.trust == "interval"                 # the box is the stated domain
    assert r.nodes["n"].status == "solver-checked"  # proved; the kernel did not run
    # tight at x = 1 (log x <= x - 1, equality): must not be counted as proved with a tiny budget
    c, _ = _one(tmp_path, 'symbols = { x = "positive" }\nclaim = "log(x) < x - 1"',
                'kind = "interval"\nbox = { x = ["1/2", "2"] }\nmax_boxes = 50')
    assert c.verdict in ("undecided", "refuted")
    assert c.verdict != "proved"


def test_interval_refutes_ta(tmp_path):
    # T-a at N = 1, M = 2: rho^2 >= 1 - exp(-rho) is false on (0, 1) (reference arora2018.md §6.3 row 1)
    c, _ = _one(tmp_path, 'symbols = { rho = "positive" }\nclaim = "rho**2 >= 1 - exp(-rho)"',
                'kind = "interval"\nbox = { rho = ["1/100", "9/10"] }')
    assert c.verdict == "refuted"


def test_property_finds_and_shrinks_counterexample(tmp_path):
    c, _ = _one(tmp_path, 'symbols = { n = "positive_integer" }\nclaim = "n**2 <= 10*n"',
                'kind = "property"\nbox = { n = ["1", "1000"] }')
    assert c.verdict == "refuted" and c.trust.startswith("tested")
    assert c.detail["point"] == {"n": "11"}  # the smallest violation: 121 > 110 (hand), found by enumeration


def test_property_pass_is_tested_not_proved(tmp_path):
    c, r = _one(tmp_path, 'symbols = { x = "real" }\nclaim = "x**2 + 1 > 0"',
                'kind = "property"\nbox = { x = ["-5", "5"] }\nmax_examples = 20')
    assert c.verdict == "tested" and c.trust.startswith("tested[") and "x∈[-5,5]" in c.trust
    assert r.nodes["n"].status_text == "checked modulo 1 tested"
    assert "proved" not in c.summary.replace("not proved", "")


def test_evaluate_exact(tmp_path):
    # birthday: 23 people, 365 days: collision probability 0.5073 > 1/2 (reference §6.2)
    c, _ = _one(tmp_path, 'symbols = { i = "positive_integer" }\nclaim = "1 - Product(1 - i/365, i, 1, 22) > 1/2"',
                'kind = "evaluate"')
    assert c.verdict == "proved" and c.trust == "exact-eval"
    c, _ = _one(tmp_path, 'symbols = { i = "positive_integer" }\nclaim = "1 - Product(1 - i/365, i, 1, 21) > 1/2"',
                'kind = "evaluate"')
    assert c.verdict == "refuted"  # 22 people: 0.4757 (hand/standard table)


def _bind(monkeypatch, path, which: dict) -> None:
    """Bind experiment name -> the claim of node id in the outline at ``path`` (issue 24.3:
    experiments are bound to a hash of the claim, not to a node id)."""
    from checker.audit import bindings
    from checker.audit.outline import load_outline

    nodes = {n.id: n for n in load_outline(path).nodes}
    table = dict(bindings.EXPERIMENT_CLAIMS)
    for name, nid in which.items():
        table[name] = (bindings.claim_hash(nodes[nid]),)
    monkeypatch.setattr(bindings, "EXPERIMENT_CLAIMS", table)


def test_experiment_checks_with_fake_experiments(tmp_path, monkeypatch):
    from checker import experiments
    from checker.experiments import ExperimentResult

    monkeypatch.setitem(experiments._REGISTRY, "fake.pass", experiments.Experiment(
        name="fake.pass", description="d", module=__name__,
        func=lambda *, seed, quick: ExperimentResult(passed=True, summary="sampled 3, worst margin 0.1")))
    monkeypatch.setitem(experiments._REGISTRY, "fake.fail", experiments.Experiment(
        name="fake.fail", description="d", module=__name__,
        func=lambda *, seed, quick: ExperimentResult(passed=False, summary="worst margin -1")))
    p = write(tmp_path, node("a", body='[[node.checks]]\nkind = "experiment"\nname = "fake.pass"\n')
              + node("b", body='[[node.checks]]\nkind = "experiment"\nname = "fake.fail"\n')
              + node("c", body='[[node.checks]]\nkind = "experiment"\nname = "fake.missing"\n'))
    _bind(monkeypatch, p, {"fake.pass": "a", "fake.fail": "b"})
    r = audit([p], cache=False)
    assert r.nodes["a"].checks[0].verdict == "tested" and r.nodes["a"].trust == ("experiment",)
    assert r.nodes["a"].status_text == "checked modulo 1 experiment"
    assert r.nodes["b"].status == "failed"
    assert r.nodes["c"].checks[0].verdict == "error" and any("fake.missing" in e for e in r.errors)
    assert not r.passed


@pytest.mark.parametrize("kind", ["cited", "assumed"])
def test_cited_and_assumed_are_trust(tmp_path, kind):
    check = 'kind = "cited"\nname = "x"\nreference = "ref"' if kind == "cited" else 'kind = "assumed"\nreason = "hyp"'
    p = write(tmp_path, node("a", kind="cited" if kind == "cited" else "assumption", body=f"[[node.checks]]\n{check}\n"))
    r = audit([p])
    c = r.nodes["a"].checks[0]
    assert c.verdict == "trusted" and c.trust.startswith(kind)


def test_experiment_bound_to_another_claim_is_refused(tmp_path, monkeypatch):
    # check swap: an experiment that tests another node's claim is no evidence for this one
    from checker import experiments
    from checker.experiments import ExperimentResult

    monkeypatch.setitem(experiments._REGISTRY, "fake.other", experiments.Experiment(
        name="fake.other", description="d", module=__name__,
        func=lambda *, seed, quick: ExperimentResult(passed=True, summary="fine")))
    p = write(tmp_path, node("a", body='[[node.checks]]\nkind = "experiment"\nname = "fake.other"\n')
              + node("elsewhere", body=""))
    _bind(monkeypatch, p, {"fake.other": "elsewhere"})
    r = audit([p], cache=False)
    c = r.nodes["a"].checks[0]
    assert c.verdict == "error" and "not bound to this claim" in c.summary and not r.passed
    assert any("node 'a'" in e for e in r.errors)


def test_every_experiment_is_bound_to_an_outline_node():
    from checker import experiments

    from checker.audit import load_outlines
    from checker.audit.auditor import default_proofs_dir

    assert set(experiments.BINDINGS) == set(experiments.names())
    nodes = {n.id: n for o in load_outlines([default_proofs_dir()]) for n in o.nodes}
    for name, (ids, what) in experiments.BINDINGS.items():
        assert ids and what
        for nid in ids:
            assert nid in nodes, (name, nid)
            assert any(c.options.get("name") == name for c in nodes[nid].checks), (name, nid)
