"""Graph, derived statuses, trust from use, allow-list, errata, cache, CLI."""

from __future__ import annotations

import json

from checker.audit import audit, render_graph, render_html, trust_report
from checker.cli import main
from tests.audit.helpers import node, write

OK = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x + 1 > x"\n[[node.checks]]\nkind = "symbolic"\n'
BAD = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x > x + 1"\n[[node.checks]]\nkind = "symbolic"\n'
# a theorem proved outright from its hypothesis (a theorem with no hypotheses that uses nothing
# is "trivial", issue 24.6): x = 1 + s with s > 0 gives x^2 - x = s + s^2 > 0
THM = ('[node.statement]\nsymbols = { x = "positive" }\nhypotheses = ["x > 1"]\nclaim = "x**2 > x"\n'
       '[[node.checks]]\nkind = "symbolic"\nslack = ["x > 1"]\n')
UNCHECKED = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x > 0"\n'
CITED = '[[node.checks]]\nkind = "cited"\nname = "hoeffding"\nreference = "Hoeffding 1963"\n'
# a cited statement and a derivation that uses it (edges carry logic)
CITED_STMT = ('[node.statement]\nsymbols = { a = "real", b = "real" }\nclaim = "a <= b"\n' + CITED)
DERIVED = ('[node.statement]\nsymbols = { u = "real", v = "real" }\nclaim = "u - 1 < v"\n'
           '[[node.uses]]\nnode = "c"\nsubs = { a = "u", b = "v" }\n')


def _chain(tmp_path, mid_body=OK, allow='[default]\nallow = ["cited:hoeffding"]\n'):
    text = (node("c", kind="cited", body=CITED) + node("a", body=OK, uses_proof='["c"]')
            + node("b", body=mid_body, uses_proof='["a"]') + node("t", kind="theorem", body=THM, uses_proof='["b"]'))
    p = write(tmp_path, text)
    if allow is not None:
        (tmp_path / "allowlist.toml").write_text(allow)
    return p


def test_outright_proof_rests_on_nothing_else(tmp_path):
    # t's own claim is proved by sympy outright: like #print axioms, the hand-drawn edges add nothing
    r = audit([_chain(tmp_path)], run_experiments=False)
    assert r.passed
    assert r.nodes["t"].status == "solver-checked" and r.nodes["t"].status_text == "solver-checked"  # no kernel ran
    assert r.theorems["t"].trust == {"symbolic": ["t"]}
    assert trust_report(r, "c") == {"cited:hoeffding": ["c"]}


def test_derivation_uses_claims_and_inherits_their_trust(tmp_path):
    p = write(tmp_path, node("c", kind="cited", body=CITED_STMT) + node("t", kind="theorem", body=DERIVED))
    (tmp_path / "allowlist.toml").write_text('[default]\nallow = ["cited:hoeffding"]\n')
    r = audit([p], run_experiments=False)
    d = r.nodes["t"].checks[-1]
    assert d.kind == "derive" and d.verdict == "proved"
    assert any(u.startswith("uses c:") for u in d.detail["used"])
    assert r.theorems["t"].trust == {"cited:hoeffding": ["c"], "derived": ["t"]}
    assert r.theorems["t"].status_text == "checked modulo 1 cited" and r.passed


def test_derivation_fails_when_the_used_claim_is_removed(tmp_path):
    # edge deletion: without the used claim the claim no longer follows
    body = DERIVED.replace('[[node.uses]]\nnode = "c"\nsubs = { a = "u", b = "v" }\n',
                           '[[node.uses]]\nnode = "d"\nsubs = { a = "u" }\n')
    d_node = node("d", kind="cited", body='[node.statement]\nsymbols = { a = "real" }\nclaim = "a <= a"\n' + CITED)
    p = write(tmp_path, d_node + node("t", kind="theorem", body=body))
    r = audit([p], run_experiments=False)
    assert r.nodes["t"].status in ("undecided", "refuted") and not r.passed


def test_uses_must_instantiate_every_symbol(tmp_path):
    import pytest

    from checker.errors import OutlineError

    body = DERIVED.replace('subs = { a = "u", b = "v" }', 'subs = { a = "u" }')
    p = write(tmp_path, node("c", kind="cited", body=CITED_STMT) + node("t", kind="theorem", body=body))
    with pytest.raises(OutlineError, match=r"node 't'.*\['b'\] are not instantiated"):
        audit([p], run_experiments=False)


def test_informal_support_follows_all_ancestors(tmp_path):
    # an experiment-style (informal) theorem rests on every hand-drawn ancestor
    text = (node("c", kind="cited", body=CITED) + node("a", body=UNCHECKED, uses_proof='["c"]')
            + node("b", kind="assumption", body='[[node.checks]]\nkind = "assumed"\nreason = "r"\n')
            + node("t", kind="theorem", body='[[node.checks]]\nkind = "assumed"\nreason = "r"\n',
                   uses_proof='["a", "b"]'))
    r = audit([write(tmp_path, text)], run_experiments=False)
    assert r.nodes["t"].status == "error"  # a theorem may not assume itself
    assert "unchecked" in r.nodes["t"].leaves


def test_unchecked_middle_blocks_full_status(tmp_path):
    r = audit([_chain(tmp_path, UNCHECKED)], run_experiments=False)
    assert r.nodes["b"].status == "stated"
    assert any("'b': has a claim but no check" in e for e in r.errors) and not r.passed


def test_refuted_step(tmp_path):
    r = audit([_chain(tmp_path, BAD)], run_experiments=False)
    assert r.nodes["b"].status == "refuted" and not r.passed


def test_allowlist_enforced(tmp_path):
    p = write(tmp_path, node("c", kind="cited", body=CITED_STMT) + node("t", kind="theorem", body=DERIVED))
    (tmp_path / "allowlist.toml").write_text('[default]\nallow = []\n')
    r = audit([p], run_experiments=False)
    assert r.theorems["t"].disallowed == ("cited:hoeffding",) and not r.passed
    r = audit([p], run_experiments=False, allowlist=None)
    assert not r.passed


def test_variant_and_reconstructed_tags(tmp_path):
    text = node("t", kind="theorem", body=THM, variant='["adds x > 0"]').replace("[D]", "[R]")
    p = write(tmp_path, text)
    (tmp_path / "allowlist.toml").write_text('[default]\nallow = ["variant"]\n')
    r = audit([p])
    assert r.nodes["t"].variant and set(r.theorems["t"].disallowed) == {"reconstructed"}


def test_lint_warnings_only_on_request(tmp_path):
    text = (node("a", body=OK) + node("b", body=OK, uses_proof='["a"]')
            + node("t", kind="theorem", body=OK, uses_proof='["a", "b"]') + node("o", body=OK))
    p = write(tmp_path, text)
    assert audit([p], run_experiments=False).warnings == ()
    r = audit([p], run_experiments=False, lint=True)
    assert any("'o': orphan" in w for w in r.warnings)
    assert any("edge from 'a' is transitively redundant" in w for w in r.warnings)


def test_errata_outcomes(tmp_path):
    text = (node("e1", kind="erratum", body=BAD, expect='"refuted"', slide='"x > x + 1"')
            + node("e2", kind="erratum", body=OK, expect='"refuted"', slide='"x + 1 > x"'))
    r = audit([write(tmp_path, text)])
    assert r.errata["e1"].outcome == "refuted" and r.errata["e1"].passed
    assert r.errata["e2"].outcome == "confirmed" and not r.errata["e2"].passed


def test_cache_reuses_results(tmp_path):
    p = _chain(tmp_path)
    r1 = audit([p])
    r2 = audit([p], trust_cache=True)
    assert r1.checks_run >= 1 and r2.checks_run == 0 and r2.cache_hits == r1.checks_run + r1.cache_hits
    assert [c.verdict for c in r2.nodes["a"].checks] == ["proved"] and r2.cache_trusted == r2.cache_hits
    # by default a cached pass is re-checked, never taken on its word (issue 24.4)
    r2b = audit([p])
    assert r2b.cache_hits == 0 and r2b.cache_rechecked == r1.checks_run and r2b.checks_run == r1.checks_run
    r3 = audit([p], cache=False)
    assert r3.cache_hits == 0


def test_render_outputs(tmp_path):
    r = audit([_chain(tmp_path)])
    dot = render_graph(r, "dot")
    assert dot.startswith("digraph") and '"a" -> "b"' in dot and "legend" in dot
    assert render_graph(r, "svg").lstrip().startswith("<?xml")
    assert render_graph(r, "png")[:4] == b"\x89PNG"
    page = render_html(r)
    assert "data:image/png;base64," in page and "http://" not in page and "https://" not in page
    assert "cited:hoeffding" in page


def test_cli_audit_json_and_exit_codes(tmp_path, capsys):
    p = _chain(tmp_path)
    assert main(["audit", str(p), "--json", "--html", "r.html"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is True and out["theorems"]["t"]["status"] == "fully checked"
    assert out["theorems"]["t"]["status_text"] == "fully checked"
    p2 = _chain(tmp_path / ".." / tmp_path.name, BAD)
    assert main(["audit", str(p2)]) == 1
    assert main(["trust", "c", str(p2)]) == 0
    assert "cited:hoeffding: c" in capsys.readouterr().out
    assert main(["trust", "nope", str(p2)]) == 2
    assert main(["graph", str(p2), "--format", "dott"]) == 2
    assert main(["graph", str(p2), "--format", "dot", "--out", "g.dot"]) == 0
    capsys.readouterr()
    assert main(["graph", str(p2), "--json"]) == 0
    g = json.loads(capsys.readouterr().out)
    assert {n["id"] for n in g["nodes"]} == {"a", "b", "c", "t"}
    assert {"source": "a", "target": "b", "kind": "proof"} in g["edges"]
