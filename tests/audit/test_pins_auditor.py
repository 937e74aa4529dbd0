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
from checker.audit.outline import parse_outline_text
from checker.errors import InvalidArgument, OutlineError
from tests.audit.helpers import HEADER, PROV, node, write

CLAIM = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x + 1 > x"\n'
CLAIM_HYP = '[node.statement]\nsymbols = { x = "positive" }\nhypotheses = ["x >= 1"]\nclaim = "x + 1 > x"\n'
SYMBOLIC = '[[node.checks]]\nkind = "symbolic"\n'
PROPERTY = '[[node.checks]]\nkind = "property"\n'
BAD_VERDICTS = ("refuted", "failed", "error", "timeout", "vacuous", "undecided", "skipped")


class Engine:
    """A table (node id, check index) -> (verdict, trust, detail) replacing ``run_check``."""

    def __init__(self):
        self.plan: dict[tuple[str, int], tuple[str, str, dict]] = {}
        self.calls: list[tuple[str, int, str]] = []

    def __call__(self, n, spec, *, quick=True, run_experiments=True, premises=(), seconds=None):
        self.calls.append((n.id, spec.index, spec.kind))
        verdict, trust, detail = self.plan.get((n.id, spec.index), ("proved", "symbolic", {}))
        return CheckResult(kind=spec.kind, verdict=verdict, trust=trust, summary=f"fake {verdict}",
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
    ok = CheckResult(kind="symbolic", verdict="proved", trust="symbolic", summary="")
    assert _own_state(l_, [ok]) == "checked"
    for v in ("tested", "trusted"):
        assert _own_state(l_, [CheckResult(kind="k", verdict=v, trust="t", summary="")]) == "checked"
    for bad in BAD_VERDICTS:
        assert _own_state(l_, [ok, CheckResult(kind="k", verdict=bad, trust="t", summary="")]) == bad


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
        tags[k] = {f"assumed:{x[:-4]}.hypotheses" if x.endswith(".hyp") else x for x in t}
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
    thm_ok = {k: (status[k] in ("fully checked", "checked modulo") or (status[k] == "stated" and roles[k] == "prose"))
              and all(t in ("symbolic", "derived", "smt-nra", "interval", "exact-eval") for t in leaves[k])
              for k in range(n) if kind[k] == "theorem"}
    for k, ok in thm_ok.items():
        t = r.theorems[f"n{k}"]
        assert t.passed is ok, (k, g)
        assert t.disallowed == tuple(sorted(x for x in leaves[k] if x not in
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
    x, k = sp.Symbol("x", real=True), sp.Symbol("k", integer=True)
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
    text = node("a", kind="theorem", body=CLAIM + SYMBOLIC, variant='["v"]').replace("[D]", "[R]")
    r = audit([write(tmp_path, text)], cache=False)
    rep = r.nodes["a"]
    assert rep.trust == ("reconstructed", "symbolic", "variant") and rep.variant is True
    assert rep.status == "fully checked" and r.theorems["a"].passed   # provenance notes are not leaves
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
    assert r.checks_run == 0 and r.cache_hits == 0      # no cache: nothing counted
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
