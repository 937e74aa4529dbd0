"""Layered dependency graphs: layering, crossing reduction, transitive reduction, SVG output."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.errors import InvalidArgument
from checker.report.graphs import (TRUST_COLOURS, GraphNode, audit_graph_data, audit_graph_json,
                                   count_crossings, graph_section_html, layered_layout, node_anchor,
                                   render_svg, theorem_svg, transitive_reduction, weakest_trust)

SVG = "{http://www.w3.org/2000/svg}"


@st.composite
def dags(draw):
    n = draw(st.integers(min_value=1, max_value=14))
    names = [f"n{i}" for i in range(n)]
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    return names, sorted({(names[a], names[b]) for a, b in edges if a < b})


@given(dags())
def test_layering_is_proper_and_keeps_every_vertex(g):
    nodes, edges = g
    order, proper, layer, paths = layered_layout(nodes, edges)
    placed = [v for lay in order for v in lay]
    assert sorted(v for v in placed if not v.startswith("\0")) == sorted(nodes)
    assert len(placed) == len(set(placed))
    for u, v in edges:  # dependencies strictly below their users
        assert layer[u] < layer[v]
        chain = paths[(u, v)]
        assert chain[0] == u and chain[-1] == v and len(chain) == layer[v] - layer[u] + 1
    for u, v in proper:  # drawn segments join adjacent layers
        assert layer[v] == layer[u] + 1


@given(dags())
def test_crossing_reduction_never_worse_than_the_sorted_start(g):
    nodes, edges = g
    order, proper, layer, _ = layered_layout(nodes, edges)
    start = [sorted(lay, key=lambda n: (n.startswith("\0"), n)) for lay in order]
    assert count_crossings(order, proper) <= count_crossings(start, proper)


def test_crossings_removed_on_a_crossed_ladder():
    """Two layers wired as a permutation: the sorted start has crossings, the layout none."""
    edges = [("a", "z"), ("b", "y"), ("c", "x")]
    start = [["a", "b", "c"], ["x", "y", "z"]]
    assert count_crossings(start, edges) == 3  # reference: every pair crosses (counted by hand)
    order, proper, _, _ = layered_layout(["a", "b", "c", "x", "y", "z"], edges)
    assert count_crossings(order, proper) == 0


def test_cycle_is_refused():
    with pytest.raises(InvalidArgument, match="acyclic"):
        layered_layout(["a", "b"], [("a", "b"), ("b", "a")])


@given(dags())
def test_transitive_reduction_matches_networkx(g):
    nodes, edges = g
    G = nx.DiGraph(edges)
    G.add_nodes_from(nodes)
    assert transitive_reduction(edges) == set(nx.transitive_reduction(G).edges())


def test_weakest_trust_order():
    # the audit's order (checker.audit.words.CATEGORIES): a citation is weaker than sampled evidence
    assert weakest_trust(["proved", "tested", "cited"]) == "cited"
    assert weakest_trust(["proved", "box-only"]) == "box-only"
    assert weakest_trust(["proved", "refuted"]) == "refuted"
    assert weakest_trust([]) == "proved"


def _nodes():
    return [GraphNode(id="d", title="definition", kind="definition", status="fully checked", trust="proved", href="#d"),
            GraphNode(id="c", title="cited result", kind="cited", status="checked", trust="cited", href="#c"),
            GraphNode(id="l", title="lemma tested by sampling", kind="lemma", status="checked", trust="tested", href="#l"),
            GraphNode(id="t", title="theorem", kind="theorem", status="checked", trust="tested", href="#t"),
            GraphNode(id="other", title="not an ancestor", kind="lemma", trust="unchecked")]


def test_theorem_svg_draws_ancestors_with_colours_links_and_legend():
    edges = [("d", "l"), ("c", "l"), ("l", "t"), ("d", "t", "statement"), ("d", "other")]
    root = ET.fromstring(theorem_svg(_nodes(), edges, "t"))
    links = {a.get("href"): a for a in root.iter(SVG + "a")}
    assert set(links) == {"#d", "#c", "#l", "#t"}  # "other" is not an ancestor of t
    fills = {href: a.find(SVG + "rect").get("fill") for href, a in links.items()}
    assert fills == {"#d": TRUST_COLOURS["proved"], "#c": TRUST_COLOURS["cited"],
                     "#l": TRUST_COLOURS["tested"], "#t": TRUST_COLOURS["tested"]}
    # d -> t is implied by d -> l -> t: drawn edges are the transitive reduction, and the legend says so
    assert len([p for p in root.iter(SVG + "path") if p.get("marker-end")]) == 3
    text = " ".join(root.itertext())
    assert "1 direct edges implied by longer paths are not drawn" in text
    assert "rests on sampled evidence" in text
    # dependencies are drawn below their users (SVG y grows downwards)
    ys = {href: float(a.find(SVG + "rect").get("y")) for href, a in links.items()}
    assert ys["#t"] < ys["#l"] < ys["#d"]


def test_boxes_do_not_overlap_in_a_layer():
    nodes = [GraphNode(id=f"leaf{i}", title="a fairly long title " * 2, trust="proved") for i in range(12)]
    nodes.append(GraphNode(id="top", trust="proved", kind="theorem"))
    nodes.append(GraphNode(id="mid", title="x", trust="proved"))
    edges = [(f"leaf{i}", "top") for i in range(12)] + [("leaf0", "mid"), ("mid", "top")]
    root = ET.fromstring(render_svg(nodes, edges))
    rows: dict[float, list[tuple[float, float]]] = {}
    for g in root.iter(SVG + "g"):
        r = g.find(SVG + "rect")
        centre = round(float(r.get("y")) + float(r.get("height")) / 2, 3)
        rows.setdefault(centre, []).append((float(r.get("x")), float(r.get("width"))))
    assert sum(len(v) for v in rows.values()) == 14
    # as late as possible: leaf1..leaf11 and mid sit just below top; leaf0 (used by mid) below them
    assert sorted(len(v) for v in rows.values()) == [1, 1, 12]
    assert len(rows[max(rows)]) == 1
    for boxes in rows.values():
        boxes.sort()
        for (x0, w0), (x1, _) in zip(boxes, boxes[1:]):
            assert x0 + w0 < x1


def test_unknown_theorem_node_is_an_error():
    with pytest.raises(InvalidArgument, match="node"):
        theorem_svg(_nodes(), [], "missing")


def _fake_audit():
    """A stand-in with the fields of checker.audit.auditor.NodeReport the adapter reads; ``weakest``
    is what the auditor computed from the leaves the node's checked derivation used."""
    g = nx.DiGraph()
    g.add_edge("hyp", "lem", kind="statement")
    g.add_edge("lem", "thm", kind="proof")
    g.add_edge("cite", "thm", kind="proof")
    g.add_edge("thm", "bad", kind="proof")
    g.add_edge("thm", "st", kind="proof")
    chk = SimpleNamespace(kind="property", verdict="tested", summary="300 examples")
    nodes = {
        "hyp": SimpleNamespace(kind="assumption", title="H", status="checked modulo", own="checked",
                               trust=("assumed:hyp",), weakest="assumed", checks=()),
        "lem": SimpleNamespace(kind="lemma", title="L", status="checked modulo", own="checked", trust=("tested[300]",),
                               weakest="tested", checks=(chk,)),
        "cite": SimpleNamespace(kind="cited", title="C", status="checked modulo", own="checked",
                                trust=("cited:Hoeffding",), weakest="cited", checks=()),
        "thm": SimpleNamespace(kind="theorem", title="T", status="checked modulo", own="checked", trust=("smt-nra",),
                               weakest="cited", checks=()),
        "bad": SimpleNamespace(kind="lemma", title="B", status="refuted", own="refuted", trust=(), weakest="proved",
                               checks=()),
        "st": SimpleNamespace(kind="theorem", title="S", status="stated", own="unchecked", trust=(), weakest="proved",
                              checks=()),
    }
    return SimpleNamespace(graph=g, nodes=nodes)


def test_audit_adapter_colours_by_the_auditors_weakest_leaf():
    nodes, edges = audit_graph_data(_fake_audit())
    trust = {n.id: n.trust for n in nodes}
    assert trust == {"hyp": "assumed", "lem": "tested", "cite": "cited", "thm": "cited",
                     "bad": "refuted", "st": "unchecked"}
    assert ("hyp", "lem", "statement") in edges
    assert all(n.href == "#" + node_anchor(n.id) for n in nodes)


def test_graph_section_html_lists_each_node_with_its_evidence():
    data = audit_graph_json(_fake_audit())
    assert data["theorems"] == ["thm", "st"]
    html_text = graph_section_html(data)
    assert html_text.count("<svg") == 2
    for nid in ("hyp", "lem", "cite", "thm"):
        assert f"id='{node_anchor(nid)}'" in html_text
    assert "property: tested — 300 examples" in html_text


def test_layout_is_deterministic():
    rnd = random.Random(3)
    nodes = [f"v{i}" for i in range(20)]
    edges = sorted({(nodes[a], nodes[b]) for a, b in ((rnd.randrange(20), rnd.randrange(20)) for _ in range(40)) if a < b})
    assert layered_layout(nodes, edges) == layered_layout(nodes, edges)
