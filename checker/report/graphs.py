"""Readable dependency graphs: a layered (Sugiyama-style) layout drawn as one SVG per theorem.

The renderer takes plain data, so it does not depend on the audit's internals:

* :class:`GraphNode` — ``id``, ``title``, ``status`` (the audit's proof status, shown as text),
  ``trust`` (the node's *weakest* trust, one of :data:`TRUST_LEVELS`; it sets the fill colour),
  ``kind`` (definition / lemma / theorem ..., sets the shape) and ``href`` (where a click goes:
  an anchor with the node's statement and evidence);
* edges ``(dependency, dependant)`` with an optional kind (``statement`` edges are dashed).

Layout (pure Python, no graphviz needed):

1. **layers** by longest path from the sources (every edge points one or more layers up; the
   theorem is on the top layer) — edges that span several layers get dummy vertices so that
   crossings can be counted and reduced;
2. **crossing reduction** by the barycentre heuristic, alternating downward and upward sweeps,
   keeping the order with the fewest crossings (Sugiyama, Tagawa, Toda 1981);
3. **coordinates**: nodes are placed left to right in their layer order, each layer centred;
   boxes are sized by their wrapped labels.

:func:`theorem_svg` draws the ancestors of one node; :func:`audit_graph_data` converts an
:class:`~checker.audit.auditor.AuditResult` (its public fields) into the plain inputs.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from checker.audit import words as _words
from checker.report.textmath import text_to_html, text_to_unicode

__all__ = ["GraphNode", "TRUST_LEVELS", "TRUST_COLOURS", "layered_layout", "count_crossings", "transitive_reduction",
           "render_svg", "theorem_svg", "audit_graph_data", "weakest_trust", "node_anchor"]

#: Trust levels from strongest to weakest, with the words of the legend: the audit's leaf
#: categories (defined once in :mod:`checker.audit.words`), then ``refuted``.
_LEGEND = {"proved": "proved (symbolic, SMT, exact, or interval on the whole domain)",
           "box-only": "interval proof on a box smaller than the stated domain",
           "tested": "rests on sampled evidence (property search)",
           "experiment": "rests on an experiment (built networks, trained models)",
           "cited": "rests on a cited external result",
           "assumed": "rests on an assumption (hypothesis)",
           "unchecked": "not checked (stated, undecided, timed out or skipped)"}
TRUST_LEVELS: tuple[tuple[str, str], ...] = (
    *((c, _LEGEND[c]) for c in _words.CATEGORIES), ("refuted", "refuted or failed"))
TRUST_COLOURS = {**_words.COLOURS, "refuted": "#C0392B"}
_RANK = {k: i for i, (k, _) in enumerate(TRUST_LEVELS)}


@dataclass(frozen=True, kw_only=True)
class GraphNode:
    id: str
    title: str = ""
    status: str = ""
    trust: str = "unchecked"
    kind: str = ""
    href: str | None = None

    def __post_init__(self):
        if self.trust not in TRUST_COLOURS:
            from checker.errors import InvalidArgument

            raise InvalidArgument("trust", self.trust, f"must be one of {', '.join(TRUST_COLOURS)}")


def node_anchor(node_id: str) -> str:
    """The HTML id used for a node's statement-and-evidence entry (``node-`` + a safe slug)."""
    return "node-" + re.sub(r"[^A-Za-z0-9_-]+", "-", node_id).strip("-")


def weakest_trust(levels: Iterable[str]) -> str:
    """The weakest of several trust levels (``proved`` when there are none)."""
    levels = list(levels)
    return max(levels, key=_RANK.__getitem__) if levels else "proved"


# -- layout ---------------------------------------------------------------------------------------
def _layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering: sources on layer 0, every edge u -> v has layer(v) > layer(u)."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    for u, v in edges:
        preds[v].append(u)
        succs[u].append(v)
    indeg = {n: len(preds[n]) for n in nodes}
    ready = [n for n in nodes if indeg[n] == 0]
    layer = {n: 0 for n in nodes}
    seen = 0
    while ready:
        n = ready.pop()
        seen += 1
        for v in succs[n]:
            layer[v] = max(layer[v], layer[n] + 1)
            indeg[v] -= 1
            if indeg[v] == 0:
                ready.append(v)
    if seen != len(nodes):
        from checker.errors import InvalidArgument

        raise InvalidArgument("edges", "cycle", "the dependency graph must be acyclic")
    # then as late as possible: every vertex with users moves up to just below its lowest user
    # (a cited result or hypothesis sits next to what uses it, not on the bottom row)
    for n in sorted(nodes, key=lambda n: -layer[n]):
        if succs[n]:
            layer[n] = min(layer[v] for v in succs[n]) - 1
    return layer


def count_crossings(order: Sequence[Sequence[str]], edges: Sequence[tuple[str, str]]) -> int:
    """Edge crossings between consecutive layers of ``order`` (edges join adjacent layers)."""
    pos = {n: (li, i) for li, layer in enumerate(order) for i, n in enumerate(layer)}
    by_gap: dict[int, list[tuple[int, int]]] = {}
    for u, v in edges:
        (lu, iu), (lv, iv) = pos[u], pos[v]
        if lu > lv:
            (lu, iu), (lv, iv) = (lv, iv), (lu, iu)
        by_gap.setdefault(lu, []).append((iu, iv))
    total = 0
    for segs in by_gap.values():
        for a in range(len(segs)):
            for b in range(a + 1, len(segs)):
                (x1, y1), (x2, y2) = segs[a], segs[b]
                if (x1 - x2) * (y1 - y2) < 0:
                    total += 1
    return total


def layered_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]], *, sweeps: int = 8
                   ) -> tuple[list[list[str]], list[tuple[str, str]], dict[str, int], dict[tuple[str, str], list[str]]]:
    """Sugiyama layering with barycentre crossing reduction.

    Returns ``(order, proper_edges, layer, paths)``: ``order[l]`` lists the vertices of layer
    ``l`` (layer 0 = sources at the bottom) left to right, including dummy vertices (ids
    starting with ``"\\0"``) on edges that span several layers; ``proper_edges`` join adjacent
    layers; ``paths[(u, v)]`` is the chain of vertices drawn for the edge ``u -> v``.
    Deterministic: ties keep the initial (sorted) order.
    """
    nodes = list(dict.fromkeys(nodes))
    edges = [(u, v) for u, v in dict.fromkeys(edges) if u != v]
    layer = _layers(nodes, edges)
    proper: list[tuple[str, str]] = []
    paths: dict[tuple[str, str], list[str]] = {}
    for k, (u, v) in enumerate(edges):
        prev, chain = u, [u]
        for ly in range(layer[u] + 1, layer[v]):
            d = f"\0{k}:{ly}"
            layer[d] = ly
            proper.append((prev, d))
            chain.append(d)
            prev = d
        proper.append((prev, v))
        paths[(u, v)] = chain + [v]
    n_layers = max(layer.values(), default=-1) + 1
    order = [sorted((n for n in layer if layer[n] == ly), key=lambda n: (n.startswith("\0"), n))
             for ly in range(n_layers)]
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for u, v in proper:
        up.setdefault(u, []).append(v)
        down.setdefault(v, []).append(u)

    def sweep(order, rng, neighbours, ref):
        order = [list(x) for x in order]
        for ly in rng:
            pos = {n: i for i, n in enumerate(order[ref(ly)])}

            def bary(n, i):
                ns = [pos[m] for m in neighbours.get(n, ()) if m in pos]
                return sum(ns) / len(ns) if ns else float(i)

            order[ly] = [n for _, _, n in sorted((bary(n, i), i, n) for i, n in enumerate(order[ly]))]
        return order

    best, best_c = order, count_crossings(order, proper)
    cur = order
    for _ in range(sweeps):
        if best_c == 0:
            break
        cur = sweep(cur, range(1, n_layers), down, lambda ly: ly - 1)
        cur = sweep(cur, range(n_layers - 2, -1, -1), up, lambda ly: ly + 1)
        c = count_crossings(cur, proper)
        if c < best_c:
            best, best_c = cur, c
    return best, proper, layer, paths


# -- drawing --------------------------------------------------------------------------------------
_CHAR_W, _LINE_H, _PAD, _GAP_X, _GAP_Y = 6.6, 15, 8, 26, 56


#: Characters per line of a node's wrapped title (the whole title is shown: lines are added,
#: never cut).
_WRAP = 28
_NBSP_IN_GROUP = re.compile(r"\{[^{}]*\}")


def _wrap(text: str, width: int = _WRAP) -> list[str]:
    """``text`` in lines of about ``width`` characters, broken only at spaces outside ``{...}``
    groups (a formula's subscript is never split), long words kept whole: nothing is cut."""
    protected = _NBSP_IN_GROUP.sub(lambda m: m.group(0).replace(" ", "\x00"), text)
    lines = textwrap.wrap(protected, width, break_long_words=False, break_on_hyphens=False)
    return [ln.replace("\x00", " ") for ln in lines]


def _label(n: GraphNode) -> list[str]:
    lines = [n.id]
    if n.title:
        lines += _wrap(n.title)
    if n.status:
        lines.append(f"[{n.status}]")
    return lines


def _display_len(line: str) -> int:
    """Approximate rendered width of a label line in characters (formula tokens such as
    ``gamma`` or ``<=`` are drawn as one symbol)."""
    from checker.report.textmath import text_to_unicode

    return len(text_to_unicode(line))


def _coordinates(order: list[list[str]], paths: dict[tuple[str, str], list[str]], width: dict[str, float],
                 *, rounds: int = 12) -> dict[str, float]:
    """x coordinates that keep each layer's order, a minimum gap and the drawing no wider than
    its widest layer packed tight, pulling every vertex towards the mean x of its neighbours in
    the adjacent layers (a simple priority-style placement: long edges come out nearly
    straight, and the drawing stays as narrow as the widest layer allows)."""
    nbrs: dict[str, list[str]] = {}
    for chain in paths.values():
        for a, b in zip(chain, chain[1:]):
            nbrs.setdefault(a, []).append(b)
            nbrs.setdefault(b, []).append(a)
    left = 20.0
    packed = [sum(width[n] for n in layer) + _GAP_X * (len(layer) - 1) for layer in order]
    right = left + max(packed, default=0.0)
    x: dict[str, float] = {}
    for layer, w in zip(order, packed):  # start: each layer packed and centred
        cur = left + (right - left - w) / 2
        for n in layer:
            x[n] = cur + width[n] / 2
            cur += width[n] + _GAP_X

    def gap(layer, i):
        return (width[layer[i - 1]] + width[layer[i]]) / 2 + _GAP_X

    def place(layer, want):
        # keep the order and the gaps, stay inside [left, right], each vertex near its wish
        pos = [want[n] for n in layer]
        pos[0] = max(pos[0], left + width[layer[0]] / 2)
        for i in range(1, len(layer)):
            pos[i] = max(pos[i], pos[i - 1] + gap(layer, i))
        pos[-1] = min(pos[-1], right - width[layer[-1]] / 2)
        for i in range(len(layer) - 2, -1, -1):
            pos[i] = min(pos[i], pos[i + 1] - gap(layer, i + 1))
        for n, p in zip(layer, pos):
            x[n] = p

    for r in range(rounds):
        seq = range(len(order) - 1, -1, -1) if r % 2 == 0 else range(len(order))
        for ly in seq:
            want = {}
            for n in order[ly]:
                ns = [x[m] for m in nbrs.get(n, ())]
                want[n] = sum(ns) / len(ns) if ns else x[n]
            place(order[ly], want)
    return x


def transitive_reduction(edges: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges ``u -> v`` not implied by a longer path from ``u`` to ``v`` (the graph must be
    acyclic)."""
    edges = set(edges)
    succ: dict[str, set[str]] = {}
    for u, v in edges:
        succ.setdefault(u, set()).add(v)

    def reach_without(u, v):  # is v reachable from u by a path of length >= 2?
        stack = [w for w in succ.get(u, ()) if w != v]
        seen = set(stack)
        while stack:
            w = stack.pop()
            for x in succ.get(w, ()):
                if x == v:
                    return True
                if x not in seen:
                    seen.add(x)
                    stack.append(x)
        return False

    return {(u, v) for u, v in edges if not reach_without(u, v)}


def render_svg(nodes: Sequence[GraphNode], edges: Sequence[tuple[str, str] | tuple[str, str, str]], *,
               title: str = "", legend: bool = True, reduce: bool = True,
               legend_title: str | None = None, legend_words: dict[str, str] | None = None) -> str:
    """One layered SVG drawing: dependencies below, dependants above; each node a box filled by
    its weakest trust, with its id, a short title and its status; a node with ``href`` is a
    link. ``edges``: ``(u, v)`` or ``(u, v, kind)``, ``u`` used by ``v``. With ``reduce`` an edge
    implied by a longer path is not drawn (the legend says so); colours are unaffected.
    ``legend_title`` / ``legend_words`` (level -> words) re-word the legend, e.g. for a graph
    coloured by the checks an outline *declares* rather than by audit verdicts."""
    byid = {n.id: n for n in nodes}
    kinds = {(e[0], e[1]): (e[2] if len(e) > 2 else "proof") for e in edges if e[0] != e[1]}
    n_all = len(kinds)
    if reduce:
        keep = transitive_reduction(kinds)
        kinds = {k: v for k, v in kinds.items() if k in keep}
    n_hidden = n_all - len(kinds)
    order, _, _, paths = layered_layout(list(byid), list(kinds))
    size = {}
    for nid, n in byid.items():
        lab = _label(n)
        size[nid] = (max(_display_len(s) for s in lab) * _CHAR_W + 2 * _PAD, len(lab) * _LINE_H + 2 * _PAD - 4)
    row_h = [max((size[n][1] for n in layer if n in size), default=10) for layer in order]
    legend_h = (len(TRUST_LEVELS) + 2) * 16 + 10 if legend else 0
    title_h = 26 if title else 6
    H = title_h + sum(row_h) + _GAP_Y * (len(order) - 1) + 30 + legend_h
    xs = _coordinates(order, paths, {n: (size[n][0] if n in size else 10) for layer in order for n in layer})
    W = max(max((xs[n] + (size[n][0] if n in size else 10) / 2 for n in xs), default=100) + 20, 460 if legend else 0)
    xy: dict[str, tuple[float, float]] = {}
    y = title_h + 10
    for ly in range(len(order) - 1, -1, -1):  # top layer (the theorem) first
        for n in order[ly]:
            xy[n] = (xs[n], y + row_h[ly] / 2)
        y += row_h[ly] + _GAP_Y
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="depgraph" viewBox="0 0 {W:.0f} {H:.0f}" '
           f'width="{W:.0f}" height="{H:.0f}" font-family="Helvetica,Arial,sans-serif" font-size="11" '
           f'role="img" aria-label="{html.escape(title or "dependency graph", quote=True)}">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    if title:
        out.append(f'<text x="10" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>')
    # edges: polylines through dummy vertices, from the top of the dependency to the bottom of
    # the dependant (dependant above)
    for (u, v), kind in kinds.items():
        if u == v:
            continue
        pts = paths[(u, v)]
        coords = []
        for i, p in enumerate(pts):
            px, py = xy[p]
            if i == 0:
                py -= size[p][1] / 2
            elif i == len(pts) - 1:
                py += size[p][1] / 2
            coords.append((px, py))
        d = f"M{coords[0][0]:.1f},{coords[0][1]:.1f}"
        for i in range(1, len(coords) - 1):  # smooth through the dummy vertices
            (x1, y1), (x2, y2) = coords[i], coords[i + 1]
            d += f" Q{x1:.1f},{y1:.1f} {(x1 + x2) / 2:.1f},{(y1 + y2) / 2:.1f}"
        d += f" L{coords[-1][0]:.1f},{coords[-1][1]:.1f}"
        dash = ' stroke-dasharray="5,3"' if kind == "statement" else ""
        out.append(f'<path d="{d}" fill="none" stroke="#555" stroke-opacity="0.7" '
                   f'stroke-width="1.1"{dash} marker-end="url(#arrow)"/>')
    for nid, n in byid.items():
        cx, cy = xy[nid]
        w, h = size[nid]
        rx = 2 if n.kind in ("definition", "assumption", "cited") else 9
        stroke = "#000" if n.kind == "theorem" else "#444"
        sw = 2.4 if n.kind == "theorem" else 1.2
        box = (f'<rect x="{cx - w / 2:.1f}" y="{cy - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" '
               f'fill="{TRUST_COLOURS[n.trust]}" stroke="{stroke}" stroke-width="{sw}"/>')
        # the label: HTML inside the box (formulas as MathML), one line per wrapped line
        lab = _label(n)
        lines = [f"<b>{html.escape(lab[0])}</b>"] + [text_to_html(s) for s in lab[1:]]
        # viewers without HTML in SVG (image viewers, editors) draw the same lines as Unicode text
        fallback = '<text text-anchor="middle">' + "".join(
            f'<tspan x="{cx:.1f}" y="{cy - h / 2 + _PAD + 10 + i * _LINE_H:.1f}"'
            f'{" font-weight=" + chr(34) + "bold" + chr(34) if i == 0 else ""}>'
            f'{html.escape(text_to_unicode(t) if i else t)}</tspan>' for i, t in enumerate(lab)) + "</text>"
        label = ('<switch>'
                 f'<foreignObject requiredExtensions="http://www.w3.org/1999/xhtml" x="{cx - w / 2:.1f}" '
                 f'y="{cy - h / 2 + _PAD - 3:.1f}" width="{w:.1f}" height="{h - 2 * _PAD + 6:.1f}">'
                 '<div xmlns="http://www.w3.org/1999/xhtml" class="nl" '
                 f'style="font:11px Helvetica,Arial,sans-serif;line-height:{_LINE_H}px;text-align:center">'
                 + "<br/>".join(lines) + f"</div></foreignObject>{fallback}</switch>")
        tip = (f"<title>{html.escape(n.id)}: {html.escape(text_to_unicode(n.title))} — "
               f"{html.escape(n.status)}, weakest trust: {n.trust}</title>")
        inner = tip + box + label
        if n.href:
            out.append(f'<a href="{html.escape(n.href, quote=True)}" class="node">{inner}</a>')
        else:
            out.append(f'<g class="node">{inner}</g>')
    if legend:
        ly0 = H - legend_h + 4
        head = legend_title or "Fill: the weakest trust the node rests on (itself and everything below it)"
        out.append(f'<text x="10" y="{ly0 + 10:.0f}" font-weight="bold">{html.escape(head)}</text>')
        for i, (k, words) in enumerate(TRUST_LEVELS):
            words = (legend_words or {}).get(k, words)
            yy = ly0 + 18 + i * 16
            out.append(f'<rect x="12" y="{yy:.0f}" width="14" height="11" fill="{TRUST_COLOURS[k]}" stroke="#444"/>'
                       f'<text x="32" y="{yy + 9:.0f}">{html.escape(words)}</text>')
        yy = ly0 + 18 + len(TRUST_LEVELS) * 16
        out.append(f'<line x1="12" y1="{yy + 5}" x2="26" y2="{yy + 5}" stroke="#555"/>'
                   f'<text x="32" y="{yy + 9}">arrow: used by (solid: in the proof; dashed: in the statement); '
                   'click a node for its statement and evidence'
                   + (f'; {n_hidden} direct edges implied by longer paths are not drawn' if n_hidden else '')
                   + '</text>')
    out.append("</svg>")
    return "\n".join(out)


def theorem_svg(nodes: Sequence[GraphNode], edges: Sequence[tuple], node_id: str, *, title: str = "",
                **kw) -> str:
    """:func:`render_svg` of ``node_id`` and its ancestors only (``kw`` as for render_svg)."""
    preds: dict[str, set[str]] = {}
    for e in edges:
        preds.setdefault(e[1], set()).add(e[0])
    keep, stack = {node_id}, [node_id]
    while stack:
        for p in preds.get(stack.pop(), ()):
            if p not in keep:
                keep.add(p)
                stack.append(p)
    ids = {n.id for n in nodes}
    if node_id not in ids:
        from checker.errors import InvalidArgument

        raise InvalidArgument("node", node_id, "is not a node of the graph")
    return render_svg([n for n in nodes if n.id in keep], [e for e in edges if e[0] in keep and e[1] in keep],
                      title=title or f"{node_id} and what it rests on", **kw)


# -- adapter for the proof audit --------------------------------------------------------------------


def _tag_level(tag: str) -> str | None:
    cat = _words.category_of(tag)
    return None if cat == "source" else cat  # source tags (reconstructed, variant) are not leaves


def _node_level(rep) -> str:
    """A node's colour level from its audit report: ``refuted`` for refuted or failed nodes,
    ``unchecked`` for nodes that are not established, else the weakest leaf the auditor found
    the node's checked derivation to rest on (``rep.weakest``, the same as ``checker trust``)."""
    status, own = getattr(rep, "status", ""), getattr(rep, "own", "")
    if status in ("refuted", "failed") or own in ("refuted", "failed"):
        return "refuted"
    if status in _words.PASS_STATUSES:
        weakest = getattr(rep, "weakest", None)
        if weakest in TRUST_COLOURS:
            return weakest
        levels = [lv for t in getattr(rep, "trust", ()) if (lv := _tag_level(t))]
        return weakest_trust(levels)
    return "unchecked"


def audit_graph_data(result, *, href=lambda nid: "#" + node_anchor(nid)) -> tuple[list[GraphNode], list[tuple[str, str, str]]]:
    """Plain inputs for :func:`render_svg` from an audit result: ``result.nodes`` (id -> report
    with ``kind``, ``title``, ``status``, ``own``, ``trust``) and ``result.graph`` (a networkx
    DiGraph, edges ``dep -> node`` with a ``kind`` attribute). A node's colour is the weakest
    leaf its checked derivation rests on, as the auditor computed it (``checker trust`` says the
    same), ``unchecked`` when it is not established and ``refuted`` when it was refuted."""
    g = result.graph
    nodes = []
    for nid, rep in result.nodes.items():
        nodes.append(GraphNode(id=nid, title=getattr(rep, "title", ""), status=getattr(rep, "status", ""),
                               kind=getattr(rep, "kind", ""), trust=_node_level(rep),
                               href=href(nid) if href else None))
    edges = [(u, v, d.get("kind", "proof")) for u, v, d in g.edges(data=True)]
    return nodes, edges


def audit_graph_json(result, theorems: Sequence[str] = ()) -> dict:
    """JSON-ready plain data for the report (``StageResult.data["graph"]``): every node with its
    title, kind, status, weakest trust and evidence (one line per check: kind, verdict,
    summary), the edges, and the theorem nodes to draw (``theorems``; default: every node of
    kind ``theorem``). :func:`graph_section_html` renders it."""
    nodes, edges = audit_graph_data(result)
    out_nodes = []
    for n in nodes:
        rep = result.nodes[n.id]
        out_nodes.append({"id": n.id, "title": n.title, "kind": n.kind, "status": n.status, "trust": n.trust,
                          "evidence": [f"{c.kind}: {c.verdict} — {c.summary}" for c in getattr(rep, "checks", ())]})
    thms = list(theorems) or [n.id for n in nodes if n.kind == "theorem"]
    return {"nodes": out_nodes, "edges": [list(e) for e in edges], "theorems": thms}


def graph_section_html(data: dict, *, titles: dict[str, str] | None = None) -> str:
    """HTML for plain graph data (see :func:`audit_graph_json`): one inline SVG per theorem
    (scrolls sideways when wide) and, below, one entry per node (anchor ``node-<id>``) with its
    statement, status, weakest trust and evidence; every node box links to its entry."""
    nodes = [GraphNode(id=d["id"], title=d.get("title", ""), status=d.get("status", ""), trust=d.get("trust", "unchecked"),
                       kind=d.get("kind", ""), href="#" + node_anchor(d["id"])) for d in data.get("nodes", [])]
    edges = [tuple(e) for e in data.get("edges", [])]
    ids = {n.id for n in nodes}
    parts = []
    shown: set[str] = set()
    for t in data.get("theorems", []):
        if t not in ids:
            continue
        svg = theorem_svg(nodes, edges, t, title=(titles or {}).get(t, ""))
        parts.append(f'<figure class="graph"><div class="graph-scroll">{svg}</div>'
                     f"<figcaption>Dependency graph of {html.escape(t)}: one box per proof-outline node, "
                     "filled by the weakest trust it rests on; click a box for its statement and "
                     "evidence.</figcaption></figure>")
        preds: dict[str, set[str]] = {}
        for e in edges:
            preds.setdefault(e[1], set()).add(e[0])
        stack = [t]
        while stack:
            x = stack.pop()
            if x not in shown:
                shown.add(x)
                stack.extend(preds.get(x, ()))
    if shown:
        words = dict(TRUST_LEVELS)
        parts.append("<details class='node-index' open><summary>Statements and evidence of the graph nodes "
                     f"({len(shown)})</summary><dl>")
        for d in sorted((d for d in data["nodes"] if d["id"] in shown), key=lambda d: d["id"]):
            ev = "".join(f"<li>{text_to_html(x)}</li>" for x in d.get("evidence", [])) or "<li>no checks of its own</li>"
            parts.append(f"<dt id='{node_anchor(d['id'])}'><code>{html.escape(d['id'])}</code> "
                         f"({html.escape(d.get('kind', ''))}) — {html.escape(d.get('status', ''))}; weakest trust: "
                         f"{html.escape(words.get(d.get('trust', ''), d.get('trust', '')))}</dt>"
                         f"<dd>{text_to_html(d.get('title', ''))}<ul>{ev}</ul></dd>")
        parts.append("</dl></details>")
    return "".join(parts)
