"""Graph, derived statuses, trust propagation, allow-list, errata, cache, CLI."""

from __future__ import annotations

import json

from checker.audit import audit, render_graph, render_html, trust_report
from checker.cli import main
from tests.audit.helpers import node, write

OK = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x + 1 > x"\n[[node.checks]]\nkind = "symbolic"\n'
BAD = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x > x + 1"\n[[node.checks]]\nkind = "symbolic"\n'
UNCHECKED = '[node.statement]\nsymbols = { x = "positive" }\nclaim = "x > 0"\n'
CITED = '[[node.checks]]\nkind = "cited"\nname = "hoeffding"\nreference = "Hoeffding 1963"\n'


def _chain(tmp_path, mid_body=OK, allow='[default]\nallow = ["cited:hoeffding"]\n'):
    text = (node("c", kind="cited", body=CITED) + node("a", body=OK, uses_proof='["c"]')
            + node("b", body=mid_body, uses_proof='["a"]') + node("t", kind="theorem", body=OK, uses_proof='["b"]'))
    p = write(tmp_path, text)
    if allow is not None:
        (tmp_path / "allowlist.toml").write_text(allow)
    return p


def test_fully_checked_chain_passes_with_trust(tmp_path):
    r = audit([_chain(tmp_path)], run_experiments=False)
    assert r.passed
    assert r.nodes["t"].status == "fully checked"
    assert r.theorems["t"].trust == {"cited:hoeffding": ["c"], "symbolic": ["a", "b", "t"]}
    assert trust_report(r, "a") == {"cited:hoeffding": ["c"], "symbolic": ["a"]}


def test_unchecked_middle_blocks_full_status(tmp_path):
    r = audit([_chain(tmp_path, UNCHECKED)], run_experiments=False)
    assert r.nodes["b"].status == "checkable"       # its dependency is checked, it is not
    assert r.nodes["t"].status == "checked"         # own check passed, an ancestor is not
    assert "unchecked" in r.theorems["t"].disallowed and not r.passed


def test_refuted_step(tmp_path):
    r = audit([_chain(tmp_path, BAD)], run_experiments=False)
    assert r.nodes["b"].status == "refuted" and not r.passed


def test_allowlist_enforced(tmp_path):
    r = audit([_chain(tmp_path, allow='[default]\nallow = []\n')], run_experiments=False)
    assert r.theorems["t"].disallowed == ("cited:hoeffding",) and not r.passed
    r = audit([_chain(tmp_path, allow=None)], run_experiments=False, allowlist=None)
    assert not r.passed  # no allow-list: only proof tags allowed


def test_variant_and_reconstructed_tags(tmp_path):
    text = node("t", kind="theorem", body=OK, variant='["adds x > 0"]').replace("[D]", "[R]")
    p = write(tmp_path, text)
    (tmp_path / "allowlist.toml").write_text('[default]\nallow = ["variant"]\n')
    r = audit([p])
    assert r.nodes["t"].variant and set(r.theorems["t"].disallowed) == {"reconstructed"}


def test_warnings_orphans_and_redundant_edges(tmp_path):
    text = (node("a", body=OK) + node("b", body=OK, uses_proof='["a"]')
            + node("t", kind="theorem", body=OK, uses_proof='["a", "b"]') + node("o", body=OK))
    r = audit([write(tmp_path, text)], run_experiments=False)
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
    r2 = audit([p])
    assert r1.checks_run >= 1 and r2.checks_run == 0 and r2.cache_hits == r1.checks_run + r1.cache_hits
    assert [c.verdict for c in r2.nodes["a"].checks] == ["proved"]
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
    p2 = _chain(tmp_path / ".." / tmp_path.name, BAD)
    assert main(["audit", str(p2)]) == 1
    assert main(["trust", "a", str(p2)]) == 0
    assert "cited:hoeffding: c" in capsys.readouterr().out
    assert main(["trust", "nope", str(p2)]) == 2
    assert main(["graph", str(p2), "--format", "dott"]) == 2
    assert main(["graph", str(p2), "--format", "dot", "--out", "g.dot"]) == 0
