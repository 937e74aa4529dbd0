"""Pins of the auditor's derivations (issue 17): statuses, support, leaves, borders, errata
outcomes, theorem verdicts and the audit's pass/fail, each against a reference written from the
rules in the module docstring of :mod:`checker.audit.auditor` and in :mod:`checker.audit.words`
(never from the code's own loop).

The engines are replaced by a table (``fake_engine``): every check returns the verdict the test
chose, so the derivation is tested on every verdict, including ``error``/``timeout``/``skipped``
that real claims reach only slowly. Real engines run only in the few end-to-end cases at the end.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import checker.audit.auditor as auditor_mod
from checker.audit import audit
from checker.audit.auditor import (AuditResult, _closure, _own_leaf_tags, _own_state, _source_tags, build_graph,
                                   load_allowlist, premise_of, trust_report)
from checker.audit.checks import CheckResult
from checker.audit.verdict import Evidence, prove
from checker.audit.outline import parse_outline_text
from checker.errors import InvalidArgument, OutlineError
from tests.audit.helpers import HEADER, node, write

CLAIM = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x + 1 > x"\n'
CLAIM_HYP = '[node.statement]\nsymbols = { x = "positive" }\nhypotheses = ["x >= 1"]\nclaim = "x + 1 > x"\n'
SYMBOLIC = '[[node.checks]]\nkind = "symbolic"\n'
PROPERTY = '[[node.checks]]\nkind = "property"\n'
def _result(*, kind, verdict, trust, summary, detail=None) -> CheckResult:
    """A stub engine's result; a proved one is made the only way there is, by ``prove``."""
    if verdict == "proved":
        return prove(Evidence(kind=kind, trust=trust, summary=summary, detail=detail or {}))
    return CheckResult(kind=kind, verdict=verdict, trust=trust, summary=summary, detail=detail or {})


BAD_VERDICTS = ("refuted", "failed", "error", "timeout", "vacuous", "undecided", "skipped")


class Engine:
    """A table (node id, check index) -> (verdict, trust, detail) replacing ``run_check``."""

    def __init__(self):
        self.plan: dict[tuple[str, int], tuple[str, str, dict]] = {}
        self.calls: list[tuple[str, int, str]] = []

    def __call__(self, n, spec, *, quick=True, run_experiments=True, premises=(), seconds=None):
        self.calls.append((n.id, spec.index, spec.kind))
        verdict, trust, detail = self.plan.get((n.id, spec.index), ("proved", "symbolic", {}))
        return _result(kind=spec.kind, verdict=verdict, trust=trust, summary=f"fake {verdict}",
                           detail=dict(detail))


@pytest.fixture
def fake_engine(monkeypatch):
    eng = Engine()
    monkeypatch.setattr(auditor_mod, "run_check", eng)
    return eng


def _erratum(expect: str, n_checks: int) -> str:
    return node("e", kind="erratum", body=CLAIM + SYMBOLIC * n_checks, expect=f'"{expect}"', slide='"s1"')


# ---------------------------------------------------------------------------------------------
# errata: each verdict list leads to exactly one outcome (hand table from the docstring of
# ErratumReport: refuted needs a refutation and no check that could not run; confirmed needs
# every check proved; anything else is inconclusive)

ERRATA = [
    (("refuted",), "refuted"),
    (("refuted", "proved"), "refuted"),
    (("proved", "refuted"), "refuted"),
    (("refuted", "error"), "inconclusive"),
    (("timeout", "refuted"), "inconclusive"),
    (("refuted", "tested"), "refuted"),
    (("proved",), "confirmed"),
    (("proved", "proved"), "confirmed"),
    (("proved", "tested"), "inconclusive"),
    (("tested", "proved"), "inconclusive"),
    (("tested",), "inconclusive"),
    (("trusted",), "inconclusive"),
    (("error",), "inconclusive"),
    (("undecided",), "inconclusive"),
    (("error", "timeout"), "inconclusive"),
]


@pytest.mark.parametrize("verdicts,outcome", ERRATA)
@pytest.mark.parametrize("expect", ["refuted", "confirmed"])
def test_erratum_outcome_table(tmp_path, fake_engine, verdicts, outcome, expect):
    for k, v in enumerate(verdicts):
        fake_engine.plan[("e", k)] = (v, "symbolic", {})
    r = audit([write(tmp_path, _erratum(expect, len(verdicts)))], cache=False)
    e = r.errata["e"]
    assert e.outcome == outcome
    assert e.passed is (outcome == expect)
    assert e.expect == expect and e.slide == "s1"
    assert e.evidence == tuple(f"fake {v}" for v in verdicts)
    msg = f"erratum expected {expect}, got {outcome}"
    assert any(msg in f for f in r.failures()) is (outcome != expect)
    # an erratum's own status never fails the audit by itself; only its outcome (and errors) do
    could_not_run = bool({"error", "timeout"} & set(verdicts))
    assert r.passed is (outcome == expect and not could_not_run)
    assert (r.failures() == []) is r.passed      # an erratum's bad status is no failure by itself


# ---------------------------------------------------------------------------------------------
# own state: any failing verdict wins over passing ones; refuted wins over all

@pytest.mark.parametrize("bad", BAD_VERDICTS)
@pytest.mark.parametrize("first", [True, False])
def test_own_state_any_bad_verdict_wins(tmp_path, fake_engine, bad, first):
    order = [bad, "proved"] if first else ["proved", bad]
    for k, v in enumerate(order):
        fake_engine.plan[("n", k)] = (v, "symbolic", {})
    p = write(tmp_path, node("n", body=CLAIM + SYMBOLIC * 2))
    r = audit([p], cache=False)
    rep = r.nodes["n"]
    assert rep.own == bad and rep.status == bad and not r.passed
    assert "unchecked" in rep.leaves
    f = [x for x in r.failures() if "node 'n'" in x]
    if bad in ("error", "timeout"):
        # reported once, as an error line naming the check
        assert f == [f"{p}: node 'n': check {order.index(bad)} (symbolic): {bad}: fake {bad}"]
    else:
        assert f == [f"{p}: node 'n': {bad}: fake {bad}"]


@pytest.mark.parametrize("bad", [v for v in BAD_VERDICTS if v != "refuted"])
def test_refuted_wins_over_other_failures(tmp_path, fake_engine, bad):
    fake_engine.plan[("n", 0)] = (bad, "symbolic", {})
    fake_engine.plan[("n", 1)] = ("refuted", "symbolic", {})
    r = audit([write(tmp_path, node("n", body=CLAIM + SYMBOLIC * 2))], cache=False)
    assert r.nodes["n"].own == "refuted"


def test_own_state_unit():
    o = parse_outline_text(HEADER + node("d", kind="definition", body='[node.statement]\nsymbols = { x = "real" }\n')
                           + node("l", body=CLAIM), file="t.toml")
    d, l_ = o.nodes
    assert _own_state(d, []) == "defined"
    assert _own_state(l_, []) == "unchecked"
    ok = _result(kind="symbolic", verdict="proved", trust="symbolic", summary="")
    assert _own_state(l_, [ok]) == "checked"
    for v in ("tested", "trusted"):
        assert _own_state(l_, [_result(kind="k", verdict=v, trust="t", summary="")]) == "checked"
    for bad in BAD_VERDICTS:
        assert _own_state(l_, [ok, _result(kind="k", verdict=bad, trust="t", summary="")]) == bad


# ---------------------------------------------------------------------------------------------
# the status model on small graphs built by Hypothesis

ROLES = ("sym", "prop", "cite", "assume", "def", "stated", "prose") + tuple(f"bad:{v}" for v in BAD_VERDICTS)


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 6))
    roles = [draw(st.sampled_from(ROLES)) for _ in range(n)]
    theorem = [draw(st.booleans()) for _ in range(n)]
    hyp = [draw(st.booleans()) for _ in range(n)]
    edges = {}
    for j in range(n):
        for i in range(j):
            kind = draw(st.sampled_from(["none", "none", "statement", "proof", "logic"]))
            if kind == "logic" and roles[i] in ("def", "prose"):
                kind = "proof"   # a used claim must exist
            if kind == "logic" and roles[j] in ("def", "prose"):
                kind = "statement"
            if kind != "none":
                edges[(i, j)] = kind
    derive = {}
    for j in range(n):
        logic = [i for (i, jj), k in edges.items() if jj == j and k == "logic"]
        if logic:
            ok = draw(st.booleans())
            used = [i for i in logic if draw(st.booleans())]
            derive[j] = (ok, used)
    return n, roles, theorem, hyp, edges, derive


def _build(n, roles, theorem, hyp, edges, derive, engine):
    text = ""
    for k in range(n):
        role = roles[k]
        deps_st = [f'"n{i}"' for (i, j), kd in edges.items() if j == k and kd == "statement"]
        deps_pf = [f'"n{i}"' for (i, j), kd in edges.items() if j == k and kd == "proof"]
        logic = [i for (i, j), kd in edges.items() if j == k and kd == "logic"]
        extra = {}
        if deps_st:
            extra["uses_statement"] = "[" + ", ".join(deps_st) + "]"
        if deps_pf:
            extra["uses_proof"] = "[" + ", ".join(deps_pf) + "]"
        stmt = CLAIM_HYP if hyp[k] else CLAIM
        kind = "theorem" if theorem[k] else "lemma"
        if role == "sym":
            body = stmt + SYMBOLIC
            engine.plan[(f"n{k}", 0)] = ("proved", "symbolic", {})
        elif role == "prop":
            body = stmt + PROPERTY
            engine.plan[(f"n{k}", 0)] = ("tested", "tested[x∈[0,1]]", {})
        elif role == "cite":
            kind = "cited"
            body = stmt + '[[node.checks]]\nkind = "cited"\nname = "foo"\nreference = "r"\n'
            engine.plan[(f"n{k}", 0)] = ("trusted", "cited:foo", {})
        elif role == "assume":
            kind = "assumption"
            body = stmt + '[[node.checks]]\nkind = "assumed"\nreason = "r"\n'
            engine.plan[(f"n{k}", 0)] = ("trusted", f"assumed:n{k}", {})
        elif role == "def":
            kind = "definition"
            body = '[node.statement]\nsymbols = { x = "positive" }\n'
        elif role == "stated":
            body = stmt
        elif role == "prose":
            body = '[node.statement]\ntext = "prose only"\n'
            extra["expressible"] = "false"
        else:
            body = stmt + PROPERTY
            engine.plan[(f"n{k}", 0)] = (role.split(":")[1], "tested[x∈[0,1]]", {})
        for i in logic:
            body += f'[[node.uses]]\nnode = "n{i}"\nsubs = {{ x = "x" }}\n'
        if logic:
            ok, used = derive[k]
            idx = 1 if role not in ("stated",) else 0
            labels = [f"uses n{i}: x + 1 > x" for i in used] + ["hypothesis 0: x >= 1"]
            engine.plan[(f"n{k}", idx)] = (("proved", "derived", {"used": labels}) if ok
                                           else ("refuted", "derived", {}))
        text += node(f"n{k}", kind=kind, body=body, **extra)
    return text


def _model(n, roles, theorem, hyp, edges, derive):
    """Reference statuses from the documented rules, by recursion over the support graph."""
    deps = {k: list(dict.fromkeys([i for (i, j), kd in sorted(edges.items(), key=lambda e: (
        {"statement": 0, "proof": 1, "logic": 2}[e[1]], e[0])) if j == k])) for k in range(n)}
    kind = {}
    for k in range(n):
        kind[k] = {"cite": "cited", "assume": "assumption", "def": "definition"}.get(
            roles[k], "theorem" if theorem[k] else "lemma")
    own, tags, support, expressible = {}, {}, {}, {}
    errors = 0
    for k in range(n):
        role = roles[k]
        expressible[k] = role != "prose"
        verdicts = []
        if role == "sym":
            verdicts.append(("proved", "symbolic"))
        elif role == "prop":
            verdicts.append(("tested", "tested[x∈[0,1]]"))
        elif role == "cite":
            verdicts.append(("trusted", "cited:foo"))
        elif role == "assume":
            verdicts.append(("trusted", f"assumed:n{k}"))
        elif role.startswith("bad:"):
            verdicts.append((role[4:], "tested[x∈[0,1]]"))
        if k in derive:
            verdicts.append(("proved", "derived") if derive[k][0] else ("refuted", "derived"))
        vs = [v for v, _ in verdicts]
        errors += sum(v in ("error", "timeout") for v in vs)
        if role == "stated" and k not in derive:
            errors += 1    # a claim without a check
        if "refuted" in vs:
            own[k] = "refuted"
        elif any(v in BAD_VERDICTS for v in vs):
            own[k] = next(v for v in vs if v in BAD_VERDICTS)
        elif not vs:
            own[k] = "defined" if role == "def" else "unchecked"
        else:
            own[k] = "checked"
        passing = [t for v, t in verdicts if v in ("proved", "tested", "trusted")]
        # what the passing checks used (module docstring, "Trust from use")
        if role == "sym" and "symbolic" in passing:
            t, support[k], mode = {"symbolic"}, [], "outright"
        elif "derived" in passing:
            t, support[k], mode = {"derived"}, sorted(f"n{i}" for i in derive[k][1]), "derived"
        else:
            t, support[k], mode = set(passing), [f"n{i}" for i in deps[k]], "informal"
        if own[k] != "checked":
            support[k], mode = [f"n{i}" for i in deps[k]], "informal"
        if kind[k] in ("cited", "assumption"):
            # taken on trust: a leaf carrying the trust of its passing checks
            t, support[k], mode = set(passing), [], "leaf"
        if mode == "informal":
            for d in support[k]:
                i = int(d[1:])
                if hyp[i] and roles[i] not in ("def", "prose") and kind[i] not in ("theorem", "assumption"):
                    t.add(f"{d}.hyp")
        tags[k] = {f"hypotheses:{x[:-4]}" if x.endswith(".hyp") else x for x in t}
    own_ok = {k: own[k] in ("checked", "defined") or (own[k] == "unchecked" and not expressible[k]) for k in range(n)}
    closure_ok, leaves = {}, {}

    def visit(k):
        if k in leaves:
            return
        ok, lv = own_ok[k], set(tags[k]) | (set() if own_ok[k] else {"unchecked"})
        for d in support[k]:
            visit(int(d[1:]))
            ok = ok and closure_ok[int(d[1:])]
            lv |= leaves[int(d[1:])]
        closure_ok[k], leaves[k] = ok, lv

    status = {}
    for k in range(n):
        visit(k)
        if own[k] in BAD_VERDICTS:
            status[k] = own[k]
        elif own[k] == "defined":
            status[k] = "defined" if closure_ok[k] else "locally checked"
        elif not expressible[k] or own[k] == "unchecked":
            status[k] = "stated"
        elif not closure_ok[k]:
            status[k] = "locally checked"
        elif all(t in ("symbolic", "derived") for t in leaves[k]):
            status[k] = "fully checked"
        else:
            status[k] = "checked modulo"
        # a theorem that holds with no hypotheses and uses nothing says nothing (issue 24.6)
        if kind[k] == "theorem" and status[k] in ("fully checked", "checked modulo") and not support[k] \
                and not (hyp[k] and roles[k] != "prose"):
            status[k] = "trivial"
        if status[k] == "fully checked":  # the kernel did not run: only it earns "fully checked"
            status[k] = "solver-checked"
    border = {k: "ready" if all(own[i] in ("checked", "defined") for (i, j), kd in edges.items()
                                if j == k and kd == "statement") else "stated" for k in range(n)}
    return own, status, support, leaves, border, errors, kind


def _run_graph(g, engine):
    n, roles, theorem, hyp, edges, derive = g
    engine.plan.clear()
    text = _build(*g, engine)
    with tempfile.TemporaryDirectory() as d:
        r = audit([write(Path(d), text)], cache=False)
    return r


@given(graphs())
@example((2, ["bad:error", "prop"], [False, False], [False, False], {(0, 1): "proof"}, {}))
@example((3, ["sym", "prop", "prop"], [False, False, False], [False, False, False],
          {(0, 1): "proof", (1, 2): "proof"}, {}))
@example((3, ["bad:failed", "prop", "prop"], [False, False, False], [False, False, False],
          {(0, 1): "statement", (1, 2): "proof"}, {}))   # a grandparent fails: not only direct deps
@example((3, ["sym", "bad:refuted", "prop"], [False, False, True], [False, False, False],
          {(0, 2): "statement", (1, 2): "statement"}, {}))   # one of two statement deps fails
@example((2, ["prop", "prop"], [False, False], [True, False], {(0, 1): "logic"}, {1: (True, [0])}))
@example((2, ["prop", "prop"], [False, True], [True, False], {(0, 1): "proof"}, {}))
@example((2, ["bad:undecided", "prop"], [False, False], [False, False], {(0, 1): "logic"}, {1: (True, [])}))
@example((2, ["def", "prop"], [False, False], [False, False], {(0, 1): "statement"}, {}))
@example((2, ["prose", "prop"], [False, True], [False, False], {(0, 1): "statement"}, {}))
@example((2, ["stated", "sym"], [False, False], [False, False], {(0, 1): "statement"}, {}))
@example((2, ["sym", "prop"], [True, True], [False, False], {}, {}))     # one theorem passes, one does not
@example((3, ["prop", "cite", "sym"], [False, False, True], [False, False, False],
          {(0, 1): "logic", (1, 2): "proof"}, {1: (True, [0])}))   # a cited node that also derives
def test_status_support_and_leaves_follow_the_rules(g):
    eng = Engine()
    old = auditor_mod.run_check
    auditor_mod.run_check = eng
    try:
        r = _run_graph(g, eng)
    finally:
        auditor_mod.run_check = old
    n, roles, theorem, hyp, edges, derive = g
    own, status, support, leaves, border, errors, kind = _model(*g)
    for k in range(n):
        rep = r.nodes[f"n{k}"]
        assert rep.own == own[k], (k, g)
        assert rep.status == status[k], (k, g)
        assert sorted(rep.support) == sorted(support[k]), (k, g)
        assert set(rep.leaves) == leaves[k], (k, g)
        assert rep.border == border[k], (k, g)
        # every tag of the closure is reported with the nodes contributing it (#print axioms)
        assert set(rep.inherited_trust) == leaves[k], (k, g)
        assert trust_report(r, f"n{k}") == rep.inherited_trust
    assert len(r.errors) == errors
    bad_nodes = [k for k in range(n) if status[k] in ("refuted", "failed", "vacuous", "undecided", "timeout",
                                                       "error", "skipped", "locally checked")]
    # a stated or trivial theorem passes only where the allow-list names it (none does here)
    thm_ok = {k: status[k] in ("fully checked", "solver-checked", "checked modulo")
              and all(t in ("symbolic", "derived", "smt-nra", "interval", "exact-eval") for t in leaves[k])
              for k in range(n) if kind[k] == "theorem"}
    for k, ok in thm_ok.items():
        t = r.theorems[f"n{k}"]
        assert t.passed is ok, (k, g)
        says_nothing = (status[k],) if status[k] in ("stated", "trivial") else ()
        assert t.disallowed == says_nothing + tuple(sorted(x for x in leaves[k] if x not in
                                                           ("symbolic", "derived", "smt-nra", "interval", "exact-eval")))
        closure = set()
        stack = [k]
        while stack:
            m = stack.pop()
            if m not in closure:
                closure.add(m)
                stack += [int(d[1:]) for d in support[m]]
        assert sum(t.counts.values()) == len(closure)
        assert t.counts == {s: sum(status[m] == s for m in closure) for s in {status[m] for m in closure}}
    assert set(r.theorems) == {f"n{k}" for k in thm_ok}
    assert r.passed is (errors == 0 and not bad_nodes and all(thm_ok.values())), g


# ---------------------------------------------------------------------------------------------
# failures(): one line per reason, naming file and node


def test_failures_lines_name_file_node_and_reason(tmp_path, fake_engine):
    fake_engine.plan[("low", 0)] = ("failed", "experiment", {})
    fake_engine.plan[("mid", 0)] = ("tested", "tested[x∈[0,1]]", {})
    fake_engine.plan[("top", 0)] = ("tested", "tested[x∈[0,1]]", {})
    text = (node("low", body=CLAIM + PROPERTY) + node("mid", body=CLAIM + PROPERTY, uses_proof='["low"]')
            + node("top", kind="theorem", body=CLAIM + PROPERTY, uses_proof='["mid"]'))
    p = write(tmp_path, text)
    r = audit([p], cache=False)
    f = r.failures()
    assert f"{p}: node 'low': failed: fake failed" in f
    assert f"{p}: node 'mid': locally checked: rests on low, which is not established" in f
    assert f"{p}: node 'top': locally checked: rests on low, mid, which are not established" in f
    assert any(x.startswith(f"{p}: node 'top': rests on leaves outside the allow-list: ") and
               "tested[x∈[0,1]] (from mid, top)" in x and "unchecked (from low)" in x for x in f)
    assert len(f) == 4 and not r.passed
    assert r.theorems["top"].disallowed == ("tested[x∈[0,1]]", "unchecked")
    assert r.theorems["top"].counts == {"failed": 1, "locally checked": 2}
    assert r.nodes["top"].inherited_trust == {"tested[x∈[0,1]]": ["mid", "top"], "unchecked": ["low"]}
    assert r.theorems["top"].trust == r.nodes["top"].inherited_trust


def test_allowlist_admits_a_tag_per_theorem_and_by_default(tmp_path, fake_engine):
    fake_engine.plan[("a", 0)] = ("trusted", "cited:hoeffding", {})
    text = (node("a", kind="cited", body=CLAIM + '[[node.checks]]\nkind = "cited"\nname = "hoeffding"\nreference = "r"\n')
            + node("t1", kind="theorem", body=CLAIM + SYMBOLIC.replace("symbolic", "property"), uses_proof='["a"]'))
    fake_engine.plan[("t1", 0)] = ("tested", "tested[n]", {})
    p = write(tmp_path, text)
    r = audit([p], cache=False)
    assert r.theorems["t1"].disallowed == ("cited:hoeffding", "tested[n]") and not r.passed
    assert r.allowlist == "(none: only proof tags allowed)"
    (tmp_path / "allowlist.toml").write_text('[default]\nallow = ["cited:*"]\n[theorem.t1]\nallow = ["tested*"]\n')
    r = audit([tmp_path], cache=False)    # found next to the outlines
    assert r.theorems["t1"].disallowed == () and r.theorems["t1"].passed and r.passed
    assert r.allowlist == str(tmp_path / "allowlist.toml")
    assert r.theorems["t1"].status == "checked modulo"
    assert r.theorems["t1"].status_text == "checked modulo 1 tested, 1 cited"
    assert r.theorems["t1"].leaf_counts == {"tested": 1, "cited": 1} and r.theorems["t1"].weakest == "cited"
    # a path to the file itself also finds allowlist.toml next to it
    r = audit([p], cache=False)
    assert r.passed
    (tmp_path / "other.toml").write_text('[theorem.nosuch]\nallow = ["x"]\n')
    r = audit([p], cache=False, allowlist=tmp_path / "other.toml")
    assert "allow-list names 'nosuch', which is not a theorem node of the audited outlines" in r.warnings
    assert not r.passed


@pytest.mark.parametrize("text,msg", [
    ("[[x]]\n", "unknown table"),
    ("default = 3\n", "default must be a table with an 'allow' list"),
    ("[default]\nallow = [\"a\"]\ndeny = []\n", "default: unknown key 'deny' (allowed: allow)"),
    ("[default]\nallow = \"a\"\n", "default.allow must be a list of non-empty strings"),
    ("[default]\nallow = [\"a\", \"  \"]\n", "default.allow must be a list of non-empty strings"),
    ("[default]\nallow = [\"a\", 3]\n", "default.allow must be a list of non-empty strings"),
    ("[default]\nallow = [\" * \"]\n", "would allow everything"),
    ("[default]\nallow = [\"**\"]\n", "would allow everything"),
    ("theorem = 3\n", "theorem must be a table of tables"),
    ("[theorem]\nt1 = 3\n", "theorem.t1 must be a table"),
    ("[theorem.t1]\nallow = [\"*\"]\n", "theorem.t1.allow: the pattern '*' would allow everything"),
    ("this is not toml", "allow-list unreadable: TOMLDecodeError"),
])
def test_allowlist_validation(tmp_path, text, msg):
    p = tmp_path / "allow.toml"
    p.write_text(text)
    with pytest.raises(OutlineError, match=None) as ei:
        load_allowlist(p)
    assert msg in str(ei.value) and str(p) in str(ei.value)


def test_allowlist_contents(tmp_path):
    from checker.audit.words import PROOF_TAGS
    assert load_allowlist(None) == {"default": list(PROOF_TAGS)}
    p = tmp_path / "a.toml"
    p.write_text('[default]\nallow = ["cited:*"]\n[theorem.t]\nallow = ["tested*"]\n')
    assert load_allowlist(p) == {"default": list(PROOF_TAGS) + ["cited:*"], "t": ["tested*"]}
    p.write_text('[theorem.t]\n')
    assert load_allowlist(p) == {"default": list(PROOF_TAGS), "t": []}
    with pytest.raises(OutlineError, match="unreadable"):
        load_allowlist(tmp_path / "missing.toml")
    p.write_bytes(b"\xff\xfe")
    with pytest.raises(OutlineError, match="UnicodeDecodeError"):
        load_allowlist(p)


# ---------------------------------------------------------------------------------------------
# the graph


def _outline(text):
    return [parse_outline_text(HEADER + text, file="t.toml")]


def test_build_graph_edges_and_kinds():
    text = (node("a", body=CLAIM) + node("b", body=CLAIM)
            + node("c", body=CLAIM + '[[node.uses]]\nnode = "a"\nsubs = { x = "x" }\n',
                   uses_statement='["a", "b"]', uses_proof='["b"]'))
    g, w = build_graph(_outline(text))
    assert set(g.nodes) == {"a", "b", "c"} and w == []
    assert g.edges["b", "c"]["kind"] == "both"      # statement and proof
    assert g.edges["a", "c"]["kind"] == "logic"     # statement and logic
    assert g.nodes["a"]["kind"] == "lemma" and g.nodes["a"]["file"] == "t.toml"
    text2 = node("a", body=CLAIM) + node("c", body=CLAIM, uses_proof='["a"]')
    g, _ = build_graph(_outline(text2))
    assert g.edges["a", "c"]["kind"] == "proof"


def test_build_graph_lint():
    text = (node("a", body=CLAIM) + node("b", body=CLAIM, uses_proof='["a"]')
            + node("c", kind="theorem", body=CLAIM, uses_proof='["a", "b"]') + node("o", body=CLAIM))
    g, w = build_graph(_outline(text), lint=True)
    assert w == ["t.toml: node 'o': orphan (no node depends on it)",
                 "t.toml: node 'c': edge from 'a' is transitively redundant"]
    assert build_graph(_outline(text))[1] == []


@pytest.mark.parametrize("extra,msg", [
    ({"uses_statement": '["nope"]'}, "uses_statement names unknown node 'nope'"),
    ({"uses_proof": '["aa"]'}, "uses_proof names unknown node 'aa' (did you mean 'a'?)"),
    ({"uses_proof": '["c"]'}, "a node may not depend on itself"),
])
def test_build_graph_errors(extra, msg):
    text = node("a", body=CLAIM) + node("c", body=CLAIM, **extra)
    with pytest.raises(OutlineError) as ei:
        build_graph(_outline(text))
    assert msg in str(ei.value) and "'c'" in str(ei.value) and "t.toml" in str(ei.value)


def test_build_graph_logic_unknown_and_cycle():
    text = node("a", body=CLAIM) + node("c", body=CLAIM + '[[node.uses]]\nnode = "zz"\nsubs = { x = "x" }\n')
    with pytest.raises(OutlineError, match="uses names unknown node 'zz'"):
        build_graph(_outline(text))
    text = node("a", body=CLAIM, uses_proof='["b"]') + node("b", body=CLAIM, uses_proof='["a"]')
    with pytest.raises(OutlineError, match=r"dependency cycle (a -> b -> a|b -> a -> b)"):
        build_graph(_outline(text))


# ---------------------------------------------------------------------------------------------
# premises


def _pair(used_stmt, subs, node_stmt='[node.statement]\nsymbols = { x = "real", k = "integer" }\nclaim = "x >= x"\n'):
    o = _outline(node("u", body=used_stmt) + node("n", body=node_stmt))[0]
    return o.nodes[1], o.nodes[0], subs


def test_premise_of_instantiates_domains_and_hypotheses():
    import sympy as sp
    k = sp.Symbol("k", integer=True)
    n, u, _ = _pair('[node.statement]\nsymbols = { y = "positive" }\nhypotheses = ["y <= 2"]\nclaim = "y**2 <= 4"\n', {})
    f = premise_of(n, u, {"y": "x"})
    y = sp.Symbol("x", real=True)
    assert f == sp.Implies(sp.And(y > 0, y <= 2), y ** 2 <= 4)
    n, u, _ = _pair('[node.statement]\nsymbols = { y = "nonnegative" }\nclaim = "y >= 0"\n', {})
    assert premise_of(n, u, {"y": "x"}) == sp.Implies(y >= 0, y >= 0)
    n, u, _ = _pair('[node.statement]\nsymbols = { y = "negative" }\nclaim = "y < 1"\n', {})
    assert premise_of(n, u, {"y": "x"}) == sp.Implies(y < 0, y < 1)
    n, u, _ = _pair('[node.statement]\nsymbols = { y = "real" }\nclaim = "y <= y + 1"\n', {})
    assert premise_of(n, u, {"y": "x"}) == (y <= y + 1)            # no antecedent at all
    n, u, _ = _pair('[node.statement]\nsymbols = { j = "positive_integer" }\nclaim = "j >= 1"\n', {})
    assert premise_of(n, u, {"j": "k**2 + 1"}) == sp.Implies(k ** 2 + 1 > 0, k ** 2 + 1 >= 1)
    n, u, _ = _pair('[node.statement]\nsymbols = { j = "nonnegative_integer" }\nclaim = "j >= 0"\n', {})
    assert premise_of(n, u, {"j": "k**2"}) == sp.Implies(k ** 2 >= 0, k ** 2 >= 0)
    # a domain condition that is false under the substitution: the premise says nothing
    n, u, _ = _pair('[node.statement]\nsymbols = { y = "positive" }\nclaim = "y > 5"\n', {})
    assert premise_of(n, u, {"y": "-1"}) is sp.true
    # a condition that is trivially true is dropped from the antecedent
    assert premise_of(n, u, {"y": "1"}) == (sp.Integer(1) > 5)


@pytest.mark.parametrize("used,subs,msg", [
    ('[node.statement]\ntext = "prose"\n', {}, "which has no claim to use"),
    ('[node.statement]\nsymbols = { y = "real", z = "real" }\nhypotheses = ["z >= 0"]\nclaim = "y >= 0"\n',
     {"y": "x"}, "symbols ['z'] are not instantiated"),
    ('[node.statement]\nsymbols = { y = "real" }\nclaim = "y >= 0"\n', {"y": "x", "w": "x"},
     "subs names ['w'], which are not symbols of that node"),
    ('[node.statement]\nsymbols = { j = "integer" }\nclaim = "j >= 0"\n', {"j": "x"},
     "j is integer but 'x' is not known to be an integer"),
    ('[node.statement]\nsymbols = { j = "positive_integer" }\nclaim = "j >= 0"\n', {"j": "x/2"},
     "j is positive_integer but 'x/2' is not known to be an integer"),
    ('[node.statement]\nsymbols = { y = "real" }\nclaim = "y >= 0"\n', {"y": "x >= 1"}, "subs y must be an expression"),
])
def test_premise_of_errors(used, subs, msg):
    if "prose" in used:
        o = _outline(node("u", body=used, expressible="false")
                     + node("n", body='[node.statement]\nsymbols = { x = "real" }\nclaim = "x >= x"\n'))[0]
    else:
        o = _outline(node("u", body=used)
                     + node("n", body='[node.statement]\nsymbols = { x = "real" }\nclaim = "x >= x"\n'))[0]
    with pytest.raises(OutlineError) as ei:
        premise_of(o.nodes[1], o.nodes[0], subs)
    assert msg in str(ei.value) and "'n'" in str(ei.value)


# ---------------------------------------------------------------------------------------------
# trust tags of a node's own


@pytest.mark.parametrize("reliability,variant,expected", [
    ("[R]", None, ["reconstructed"]), ("[R, standard]", None, []), ("[R,standard]", None, []),
    ("[S, R]", None, ["reconstructed", "secondary-source"]), ("[P via S]", None, ["secondary-source"]),
    ("[P]", '["sharper constant"]', ["variant"]), ("[D] x, [R] y", '["v"]', ["reconstructed", "variant"]),
    ("[A]", None, []), ("[C]", None, []),
])
def test_source_tags(reliability, variant, expected):
    extra = {"variant": variant} if variant else {}
    text = node("a", body=CLAIM, **extra).replace("[D]", reliability)
    n = _outline(text)[0].nodes[0]
    assert sorted(_source_tags(n)) == expected


def test_variant_and_source_tags_reach_the_report_but_not_the_category(tmp_path, fake_engine):
    text = node("a", kind="theorem", body=CLAIM_HYP + SYMBOLIC, variant='["v"]').replace("[D]", "[R]")
    r = audit([write(tmp_path, text)], cache=False)
    rep = r.nodes["a"]
    assert rep.trust == ("reconstructed", "symbolic", "variant") and rep.variant is True
    assert rep.status == "solver-checked"       # provenance notes are not leaves ...
    # ... but a theorem resting on a reconstruction or a variant must be allowed explicitly
    assert r.theorems["a"].disallowed == ("reconstructed", "variant") and not r.theorems["a"].passed
    assert rep.weakest == "proved"


def test_own_leaf_tags_adds_unchecked_only_when_not_established(tmp_path, fake_engine):
    fake_engine.plan[("b", 0)] = ("undecided", "smt-nra", {})
    text = (node("a", body=CLAIM + SYMBOLIC) + node("b", body=CLAIM + SYMBOLIC) + node("s", body=CLAIM)
            + node("p", body='[node.statement]\ntext = "prose"\n', expressible="false")
            + node("d", kind="definition", body='[node.statement]\nsymbols = { x = "real" }\n'))
    p = write(tmp_path, text)
    r = audit([p], cache=False)
    assert _own_leaf_tags(r.nodes["a"]) == ["symbolic"]
    assert _own_leaf_tags(r.nodes["b"]) == ["unchecked"]
    assert _own_leaf_tags(r.nodes["s"]) == ["unchecked"]
    assert _own_leaf_tags(r.nodes["p"]) == []
    assert _own_leaf_tags(r.nodes["d"]) == []
    assert r.nodes["s"].status == "stated" and r.nodes["p"].status == "stated"
    assert f"{p}: node 's': has a claim but no check (a claim nothing checks is stated, not established)" in r.errors
    assert not any("'p'" in e for e in r.errors)
    assert _closure(r.nodes, "a") == ["a"]


def test_trust_report_unknown_node(tmp_path, fake_engine):
    r = audit([write(tmp_path, node("alpha", body=CLAIM + SYMBOLIC))], cache=False)
    with pytest.raises(InvalidArgument, match="node") as ei:
        trust_report(r, "alpah")
    assert "is not a node of the audited outlines" in str(ei.value) and "alpha" in str(ei.value)
    assert trust_report(r, "alpha") == {"symbolic": ["alpha"]}


def test_audit_paths(tmp_path, fake_engine):
    p = write(tmp_path, node("a", body=CLAIM + SYMBOLIC))
    r = audit(str(p), cache=False)               # one path as a string
    assert r.files == (str(p),) and r.passed
    r = audit(p, cache=False)                    # one Path
    assert r.files == (str(p),)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidArgument, match="contain no outline"):
        audit([empty], cache=False)
    assert isinstance(r, AuditResult) and r.graph is not None and len(r.outlines) == 1
    assert r.checks_run == 1 and r.cache_hits == 0 and r.cache_rejected == 0
    assert r.operations == 0


def test_operations_count_support_edges(tmp_path, fake_engine):
    for k in ("a", "b", "c"):
        fake_engine.plan[(k, 0)] = ("tested", "tested[n]", {})
    text = (node("a", body=CLAIM + PROPERTY) + node("b", body=CLAIM + PROPERTY, uses_proof='["a"]')
            + node("c", body=CLAIM + PROPERTY, uses_proof='["a", "b"]'))
    r = audit([write(tmp_path, text)], cache=False)
    assert r.operations == 3     # one per support edge: a->b, a->c, b->c


def test_default_proofs_dir_exists():
    from checker.audit.auditor import default_proofs_dir
    p = default_proofs_dir()
    assert p.name == "proofs" and p.is_dir() and any(p.glob("*.toml"))


# ---------------------------------------------------------------------------------------------
# the cache


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("CHECKER_CACHE_DIR", raising=False)
    assert auditor_mod._cache_dir() == Path.home() / ".cache" / "checker" / "audit"
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "c"))
    assert auditor_mod._cache_dir() == tmp_path / "c"
    monkeypatch.setenv("CHECKER_CACHE_DIR", "")
    assert auditor_mod._cache_dir() == Path.home() / ".cache" / "checker" / "audit"


def test_cache_key_covers_what_the_verdict_depends_on():
    import hashlib
    import json as _json
    o = _outline(node("a", body=CLAIM + SYMBOLIC) + node("b", body=CLAIM.replace("x + 1 > x", "x + 2 > x") + SYMBOLIC))
    a, b = o[0].nodes
    s0 = a.checks[0]
    k = auditor_mod._cache_key(a, s0, True)
    assert len(k) == 64 and k == auditor_mod._cache_key(a, s0, True)
    assert k != auditor_mod._cache_key(a, s0, False)                  # quick mode
    assert k != auditor_mod._cache_key(b, b.checks[0], True)          # statement and id
    from checker.audit.outline import CheckSpec as CS
    assert k != auditor_mod._cache_key(a, CS(kind="symbolic", options={"slack": []}, index=0), True)
    import sympy as sp_
    assert k != auditor_mod._cache_key(a, s0, True, premises=[("uses b", sp_.true)])
    assert auditor_mod._cache_key(a, CS(kind="library", options={}, index=0), True) == ""   # always re-run
    assert auditor_mod._cache_key(a, CS(kind="experiment", options={"name": "no.such"}, index=0), True) == ""
    # the engines' source is part of every key
    h = auditor_mod._engine_source_hash()
    here = Path(auditor_mod.__file__).resolve().parent
    ref = hashlib.sha256()
    engines = ("__init__", "conditions", "enclosure", "evaluate", "exact", "experiment", "interval", "library",
               "property", "screen", "search", "smt", "symbolic", "vacuity")
    for name in ("checks.py", "smt.py", "budget.py", "formula.py", "outline.py", "bindings.py", "verdict.py",
                 *(f"engines/{e}.py" for e in engines)):
        ref.update(name.encode())
        ref.update((here / name).read_bytes())
    assert h == ref.hexdigest()
    e = auditor_mod._entry_hash("k", {"a": 1})
    assert e == hashlib.sha256(("k\n" + _json.dumps({"a": 1}, sort_keys=True, default=str)).encode()).hexdigest()


def test_cache_key_of_an_experiment_covers_its_source():
    from checker import experiments
    name = next(iter(experiments.BINDINGS))
    o = _outline(node("a", body=CLAIM + f'[[node.checks]]\nkind = "experiment"\nname = "{name}"\n'))
    a = o[0].nodes[0]
    k = auditor_mod._cache_key(a, a.checks[0], True)
    assert len(k) == 64


def test_cached_run_hits_rejects_and_never_stores_failures(tmp_path, monkeypatch, fake_engine):
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    p = write(tmp_path, node("a", body=CLAIM + SYMBOLIC) + node("b", body=CLAIM + SYMBOLIC)
              + node("c", kind="cited", body=CLAIM + '[[node.checks]]\nkind = "cited"\nname = "h"\nreference = "r"\n'))
    fake_engine.plan[("b", 0)] = ("error", "symbolic", {})
    fake_engine.plan[("c", 0)] = ("trusted", "cited:h", {})
    r1 = audit([p])
    assert (r1.checks_run, r1.cache_hits, r1.cache_rejected) == (2, 0, 0)   # cited checks are not counted
    files = sorted((tmp_path / "cache").glob("*.json"))
    assert len(files) == 1                                   # the error verdict is not stored
    r2 = audit([p], trust_cache=True)
    assert (r2.checks_run, r2.cache_hits) == (1, 1) and r2.nodes["a"].checks[0].cached is True
    assert [c for c in fake_engine.calls if c[0] == "a"] == [("a", 0, "symbolic")]   # ran once
    assert r2.cache_trusted == 1
    # by default a cached pass is re-checked (issue 24.4), and nothing is counted as rejected
    r2b = audit([p])
    assert (r2b.checks_run, r2b.cache_hits, r2b.cache_rechecked, r2b.cache_rejected) == (2, 0, 1, 0)
    assert [c for c in fake_engine.calls if c[0] == "a"] == [("a", 0, "symbolic")] * 2
    # a tampered entry is rejected and re-run
    import json as _json
    d = _json.loads(files[0].read_text())
    d["result"]["verdict"] = "proved "
    files[0].write_text(_json.dumps(d))
    r3 = audit([p], trust_cache=True)
    assert (r3.checks_run, r3.cache_hits, r3.cache_rejected) == (2, 0, 1)
    files[0].write_text("not json")
    assert audit([p], trust_cache=True).cache_rejected == 1
    files[0].write_text(_json.dumps({"key": "other", "result": {}, "hash": ""}))
    assert audit([p], trust_cache=True).cache_rejected == 1
    # no cache: nothing read or written
    for f in (tmp_path / "cache").glob("*.json"):
        f.unlink()
    r = audit([p], cache=False)
    assert list((tmp_path / "cache").glob("*.json")) == [] and r.cache_hits == 0


@pytest.mark.parametrize("verdict", ["error", "skipped", "timeout"])
def test_cached_run_does_not_store(verdict, tmp_path, monkeypatch, fake_engine):
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    fake_engine.plan[("a", 0)] = (verdict, "symbolic", {})
    audit([write(tmp_path, node("a", body=CLAIM + SYMBOLIC))])
    assert not list((tmp_path / "cache").glob("*.json"))
    fake_engine.plan[("a", 0)] = ("tested", "tested[n]", {})
    audit([write(tmp_path, node("a", body=CLAIM + SYMBOLIC))])
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1


def test_skipped_experiments_are_not_run(tmp_path, fake_engine):
    from checker import experiments
    name = next(iter(experiments.BINDINGS))
    p = write(tmp_path, node("a", body=CLAIM + f'[[node.checks]]\nkind = "experiment"\nname = "{name}"\n'))
    fake_engine.plan[("a", 0)] = ("skipped", "experiment", {})
    r = audit([p], run_experiments=False)
    assert fake_engine.calls == [("a", 0, "experiment")] and r.nodes["a"].status == "skipped"
    assert r.checks_run == 0 and not r.passed


def test_check_seconds_and_quick_reach_the_engine(tmp_path, monkeypatch):
    seen = []

    def rc(n, spec, *, quick=True, run_experiments=True, premises=(), seconds=None):
        seen.append((quick, run_experiments, seconds))
        return _result(kind=spec.kind, verdict="proved", trust="symbolic", summary="")
    monkeypatch.setattr(auditor_mod, "run_check", rc)
    audit([write(tmp_path, node("a", body=CLAIM + SYMBOLIC))], cache=False, quick=False, check_seconds=7.5,
          run_experiments=False)
    assert seen == [(False, False, 7.5)]


def test_premises_reach_only_the_derive_check(tmp_path, monkeypatch):
    import sympy as sp_
    seen = []

    def rc(n, spec, *, quick=True, run_experiments=True, premises=(), seconds=None):
        seen.append((n.id, spec.kind, spec.index, [lab for lab, _ in premises], [f for _, f in premises]))
        return _result(kind=spec.kind, verdict="proved", trust="derived" if spec.kind == "derive" else "symbolic",
                           summary="", detail={"used": [lab for lab, _ in premises]})
    monkeypatch.setattr(auditor_mod, "run_check", rc)
    text = (node("u", body=CLAIM_HYP + SYMBOLIC)
            + node("n", body='[node.statement]\nsymbols = { y = "positive" }\nclaim = "y + 2 > y"\n' + PROPERTY
                   + '[[node.uses]]\nnode = "u"\nsubs = { x = "y + 1" }\n'))
    r = audit([write(tmp_path, text)], cache=False)
    y = sp_.Symbol("y", positive=True)
    inst = sp_.Implies(sp_.And(y + 1 > 0, y + 1 >= 1), y + 2 > y + 1)
    assert ("u", "symbolic", 0, [], []) in seen
    assert ("n", "property", 0, [], []) in seen
    derive = [s for s in seen if s[1] == "derive"]
    assert len(derive) == 1 and derive[0][2] == 1
    assert derive[0][3] == [f"uses u: {sp_.sstr(inst)}"] and derive[0][4] == [inst]
    assert r.nodes["n"].support == ("u",) and r.nodes["n"].trust == ("derived",)


# ---------------------------------------------------------------------------------------------
# result records: defaults, repr and equality


def test_result_records_defaults_repr_and_equality(tmp_path, fake_engine):
    from checker.audit.auditor import NodeReport, TheoremReport
    o = _outline(node("a", body=CLAIM + SYMBOLIC))[0]
    n = o.nodes[0]
    rep = NodeReport(id="a", kind="lemma", title="a", file="t.toml", own="checked", status="fully checked",
                     border="ready", variant=False, checks=(), trust=(), node=n)
    assert (rep.support, rep.leaves, rep.status_text, rep.weakest, rep.expressible) == ((), (), "", "proved", True)
    assert rep.inherited_trust == {}                      # no audit result attached
    assert "node=" not in repr(rep) and "_result" not in repr(rep)
    other = NodeReport(id="a", kind="lemma", title="a", file="t.toml", own="checked", status="fully checked",
                       border="ready", variant=False, checks=(), trust=(), node=o.nodes[0], _result=object())
    assert rep == other                                   # node and result are not compared
    t = TheoremReport(id="t", title="t", status="stated", trust={}, disallowed=(), counts={}, passed=False)
    assert (t.status_text, t.leaf_counts, t.weakest, t.expressible) == ("", {}, "proved", True)
    r = AuditResult(nodes={}, theorems={}, errata={}, errors=(), warnings=(), files=(), allowlist="", passed=True)
    assert (r.cache_hits, r.checks_run, r.cache_rejected, r.operations, r.graph, r.outlines) == (0, 0, 0, 0, None, ())
    r2 = audit([write(tmp_path, node("a", body=CLAIM + SYMBOLIC))], cache=False)
    assert "graph=" not in repr(r2) and "outlines=" not in repr(r2)
    kw = dict(nodes={}, theorems={}, errata={}, errors=(), warnings=(), files=(), allowlist="", passed=True)
    assert AuditResult(**kw, graph=1, outlines=(1,)) == AuditResult(**kw, graph=2, outlines=(2,))


def test_failure_reason_is_cut_at_300_characters(tmp_path, monkeypatch):
    p = write(tmp_path, node("a", body=CLAIM + SYMBOLIC))
    monkeypatch.setattr(auditor_mod, "run_check", lambda n, spec, **kw: _result(
        kind="symbolic", verdict="refuted", trust="symbolic", summary="z" * 400))
    r = audit([p], cache=False)
    assert r.failures() == [f"{p}: node 'a': refuted: " + "z" * 300]


def test_default_proofs_dir_is_the_repository_folder():
    from checker.audit.auditor import default_proofs_dir
    assert default_proofs_dir() == Path(__file__).resolve().parents[2] / "proofs"


def test_audit_defaults(tmp_path, monkeypatch):
    seen = []

    def rc(n, spec, *, quick=True, run_experiments=True, premises=(), seconds=None):
        seen.append((n.id, quick, run_experiments, seconds))
        return _result(kind=spec.kind, verdict="proved", trust="symbolic", summary="")
    monkeypatch.setattr(auditor_mod, "run_check", rc)
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    p = write(tmp_path, node("a", body=CLAIM + SYMBOLIC) + node("orphan", body=CLAIM + SYMBOLIC))
    r = audit([p])
    assert seen == [("a", True, True, None), ("orphan", True, True, None)]    # quick, with experiments
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2                # cached by default
    assert r.warnings == ()                                                   # no lint by default
    assert audit([p], lint=True).warnings != ()
    # no paths: the repository's proofs/
    seen.clear()
    r = audit(cache=False)
    assert r.files and all(Path(f).parent == Path(__file__).resolve().parents[2] / "proofs" for f in r.files)
    assert len(seen) >= len(r.nodes) // 2


def test_every_erratum_must_have_its_outcome(tmp_path, fake_engine):
    fake_engine.plan[("e1", 0)] = ("refuted", "symbolic", {})
    fake_engine.plan[("e2", 0)] = ("refuted", "symbolic", {})
    text = (node("e1", kind="erratum", body=CLAIM + SYMBOLIC, expect='"refuted"', slide='"s"')
            + node("e2", kind="erratum", body=CLAIM + SYMBOLIC, expect='"confirmed"', slide='"s"'))
    r = audit([write(tmp_path, text)], cache=False)
    assert r.errata["e1"].passed and not r.errata["e2"].passed and not r.passed


def test_missing_default_proofs_dir(monkeypatch, tmp_path):
    import checker
    from checker.audit.auditor import default_proofs_dir
    monkeypatch.setattr(checker, "__file__", str(tmp_path / "pkg" / "checker" / "__init__.py"))
    with pytest.raises(InvalidArgument, match="paths") as ei:
        default_proofs_dir()
    assert "the default proofs/ folder is missing" in str(ei.value)


def test_experiment_without_source_is_never_cached(monkeypatch):
    from checker import experiments
    from checker.experiments import Experiment
    experiments.names()
    ns: dict = {}
    exec(compile("def f(*, seed, quick):\n    return None\n", "<generated>", "exec"), ns)
    reg = dict(experiments._REGISTRY)
    reg["gen.exp"] = Experiment(name="gen.exp", description="d", module="m", func=ns["f"])
    monkeypatch.setattr(experiments, "_REGISTRY", reg)
    a = _outline(node("a", body=CLAIM + '[[node.checks]]\nkind = "experiment"\nname = "gen.exp"\n'))[0].nodes[0]
    assert auditor_mod._cache_key(a, a.checks[0], True) == ""


def test_unwritable_cache_is_not_an_error(tmp_path, monkeypatch, fake_engine):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(blocker / "sub"))     # a folder under a file
    r = audit([write(tmp_path, node("a", body=CLAIM + SYMBOLIC))])
    assert r.passed and r.nodes["a"].status == "solver-checked" and r.checks_run == 1


def test_cache_key_of_an_experiment_covers_file_names_not_only_bytes(tmp_path, monkeypatch):
    # The experiment's package (here tmp_path/pkg, with sibling bounds/ and wrm/) is hashed file by
    # file. Moving or renaming a file with identical bytes changes which module the code is, so it
    # must change the key; the same tree (same names, same bytes) must give the same key.
    import inspect
    import types

    from checker import experiments
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mod.py").write_text("def run():\n    return 1\n")
    monkeypatch.setattr(experiments, "get", lambda name: types.SimpleNamespace(func=None))
    monkeypatch.setattr(inspect, "getsourcefile", lambda obj: str(pkg / "mod.py"))
    a = _outline(node("a", body=CLAIM + '[[node.checks]]\nkind = "experiment"\nname = "fake"\n'))[0].nodes[0]

    def key():
        return auditor_mod._cache_key(a, a.checks[0], True)

    (pkg / "helper.py").write_text("X = 1\n")
    k0 = key()
    assert len(k0) == 64 and key() == k0
    (pkg / "helper.py").rename(pkg / "other.py")                    # same bytes, new name
    k1 = key()
    assert k1 != k0
    (tmp_path / "bounds").mkdir()
    (pkg / "other.py").rename(tmp_path / "bounds" / "other.py")     # same bytes, other package
    k2 = key()
    assert k2 not in (k0, k1)
    (tmp_path / "bounds" / "other.py").rename(pkg / "helper.py")    # back: the first key again
    assert key() == k0
    (pkg / "helper.py").write_text("X = 2\n")                       # same name, new bytes
    k3 = key()
    assert k3 not in (k0, k1, k2)
    # the experiment registry module itself is part of the key too
    reg = tmp_path / "registry.py"
    reg.write_text("A = 1\n")
    monkeypatch.setattr(experiments, "__file__", str(reg))
    k4 = key()
    reg.write_text("A = 2\n")
    assert key() != k4
