"""Rendering of an :class:`~checker.audit.auditor.AuditResult`: DOT text, PNG/SVG drawings
(matplotlib + networkx layouts; graphviz is not required) and a self-contained HTML report.

Colours: the border shows the statement axis (``ready`` green, ``stated`` blue, as in Lean's
blueprint); the fill shows the weakest leaf the node rests on (:data:`checker.audit.words.COLOURS`:
proved dark green ... assumed orange), white for ``stated``, grey for definitions and red for
refuted, failed, vacuous, undecided, timed-out or erroring nodes.
"""

from __future__ import annotations

import base64
import html
import io

from checker.audit.auditor import AuditResult

__all__ = ["render_graph", "render_html", "FILL", "BORDER"]

from checker.audit.words import BAD_STATUSES, COLOURS

FILL = {**{f"rests on {k}": v for k, v in COLOURS.items()}, "stated": "#FFFFFF", "defined": "#DDDDDD",
        "erratum as expected": "#8FB8E8", "not established": "#FF6B6B"}


def fill_of(rep, errata=None) -> str:
    """The fill colour of a node report (weakest leaf; white/grey/red for the other statuses).

    An erratum (a restatement the audit is *expected* to refute or to confirm) is coloured by
    whether its outcome is the expected one, never by the raw verdict: a refutation that was
    expected is not a failure, and an erratum with the wrong outcome is one."""
    if rep.kind == "erratum" and errata is not None and rep.id in errata:
        return FILL["erratum as expected"] if errata[rep.id].passed else FILL["not established"]
    if rep.status in BAD_STATUSES:
        return FILL["not established"]
    if rep.status in ("stated", "defined", "trivial"):
        return FILL["stated" if rep.status == "trivial" else rep.status]  # a trivial theorem says nothing
    return COLOURS[rep.weakest]
BORDER = {"ready": "#2E8B57", "stated": "#1F6FD1"}
SHAPE = {"definition": "box", "assumption": "box", "cited": "note", "erratum": "octagon"}


def _dot(result: AuditResult) -> str:
    lines = ["digraph audit {", "  rankdir=BT;", '  node [style=filled, fontname="Helvetica"];']
    for nid, rep in result.nodes.items():
        lab = f"{nid}\\n{rep.status_text}{' (variant)' if rep.variant else ''}"
        lines.append(f'  "{nid}" [label="{lab}", shape={SHAPE.get(rep.kind, "ellipse")}, '
                     f'fillcolor="{fill_of(rep, result.errata)}", color="{BORDER[rep.border]}", penwidth=2];')
    for u, v, d in result.graph.edges(data=True):
        style = "dashed" if d["kind"] == "statement" else "solid"
        lines.append(f'  "{u}" -> "{v}" [style={style}];')
    lines.append('  subgraph cluster_legend { label="legend: fill = proof status, border = statement '
                 'status; dashed = uses_statement, solid = uses_proof";')
    for k, c in FILL.items():
        lines.append(f'    "legend {k}" [label="{k}", fillcolor="{c}", shape=box];')
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _draw(result: AuditResult, fmt: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.patches import Patch

    g = result.graph
    try:
        gens = list(nx.topological_generations(g))
        for layer, nodes in enumerate(gens):
            for n in nodes:
                g.nodes[n]["layer"] = layer
        pos = nx.multipartite_layout(g, subset_key="layer", align="horizontal")
    except nx.NetworkXException:
        pos = nx.spring_layout(g, seed=0)
    n = max(len(g), 1)
    fig, ax = plt.subplots(figsize=(min(40, 6 + n * 0.35), 10))
    nodes = list(g.nodes)
    nx.draw_networkx_edges(g, pos, ax=ax, edgelist=[e for e in g.edges if g.edges[e]["kind"] != "statement"],
                           arrows=True, alpha=0.5)
    nx.draw_networkx_edges(g, pos, ax=ax, edgelist=[e for e in g.edges if g.edges[e]["kind"] == "statement"],
                           arrows=True, style="dashed", alpha=0.5)
    nx.draw_networkx_nodes(g, pos, ax=ax, nodelist=nodes, node_size=500,
                           node_color=[fill_of(result.nodes[v], result.errata) for v in nodes],
                           edgecolors=[BORDER[result.nodes[v].border] for v in nodes], linewidths=2.5)
    nx.draw_networkx_labels(g, pos, ax=ax, font_size=6)
    handles = [Patch(facecolor=c, edgecolor="black", label=f"fill: {k}") for k, c in FILL.items()]
    handles += [Patch(facecolor="white", edgecolor=c, linewidth=2.5, label=f"border: {k}") for k, c in BORDER.items()]
    ax.legend(handles=handles, loc="upper left", fontsize=7)
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def render_graph(result: AuditResult, fmt: str = "dot") -> str | bytes:
    """The dependency graph as DOT text (``fmt="dot"``), SVG text, PNG bytes or an HTML page."""
    from checker.validate import one_of

    fmt = one_of("format", fmt, ["dot", "svg", "png", "html"])
    if fmt == "dot":
        return _dot(result)
    if fmt == "svg":
        return _draw(result, "svg").decode("utf-8")
    if fmt == "png":
        return _draw(result, "png")
    png = base64.b64encode(_draw(result, "png")).decode("ascii")
    return (f"<!doctype html><meta charset='utf-8'><title>checker audit graph</title>"
            f"<img alt='dependency graph' src='data:image/png;base64,{png}'>")


def _e(x) -> str:
    return html.escape(str(x))


def render_html(result: AuditResult, *, graph: bool = True) -> str:
    """A self-contained HTML report (no external links): summary, graph, theorems with their
    trust reports, errata, and per-node evidence."""
    import sympy as sp

    out = ["<!doctype html><html><head><meta charset='utf-8'><title>checker audit report</title>",
           "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}td,th{border:1px solid #ccc;"
           "padding:3px 6px;vertical-align:top}table{border-collapse:collapse}code{font-size:90%}"
           ".ok{color:#176e3a}.bad{color:#b00020}</style></head><body>",
           "<h1>checker audit report</h1>",
           f"<p>Overall: <b class='{'ok' if result.passed else 'bad'}'>{'PASSED' if result.passed else 'FAILED'}"
           f"</b> &mdash; {len(result.nodes)} nodes, {len(result.theorems)} theorems, {len(result.errata)} errata; "
           f"allow-list: <code>{_e(result.allowlist)}</code>. 'fully checked' means every leaf a result rests on "
           "is proved (symbolic, SMT, exact evaluation, interval on the whole stated domain); otherwise the status "
           "says what it is checked modulo (assumed, cited, experiment, tested, box-only); the trust report of "
           "each theorem lists the leaves its checks actually used.</p>"]
    kr = getattr(result, "kernel", None)
    if kr is not None:  # the Coq kernel (issue 23): what Qed closed, or why it did not run
        from checker.audit.kernel.verdict import BEYOND

        proved = [r for r in result.nodes.values() if getattr(r, "kernel", "") and r.kernel_reason != BEYOND]
        k = sum(r.kernel == "kernel-checked" for r in proved)
        out.append(f"<p>Coq kernel: {_e(kr.note)}</p>" if kr.note else
                   f"<p>Coq kernel: {k} of {len(proved)} proved nodes kernel-checked (closed with Qed); "
                   "'fully checked' now means kernel-checked all the way down, 'solver-checked' that z3 or "
                   "sympy proved it and the kernel did not (the goal Coq left open is shown).</p>")
    if result.errors:
        out.append("<h2>Errors</h2><ul>" + "".join(f"<li class='bad'>{_e(e)}</li>" for e in result.errors) + "</ul>")
    if graph and len(result.nodes):
        png = base64.b64encode(_draw(result, "png")).decode("ascii")
        out.append(f"<h2>Dependency graph</h2><img style='max-width:100%' alt='graph' src='data:image/png;base64,{png}'>")
    out.append("<h2>Theorems</h2><table><tr><th>theorem</th><th>status</th><th>inherited trust (tag: nodes)</th>"
               "<th>not allowed</th></tr>")
    for t in result.theorems.values():
        trust = "<br>".join(f"<code>{_e(k)}</code>: {_e(', '.join(v))}" for k, v in t.trust.items())
        out.append(f"<tr><td><b>{_e(t.id)}</b><br>{_e(t.title)}</td><td class='{'ok' if t.passed else 'bad'}'>"
                   f"{_e(t.status_text)}</td><td>{trust}</td><td class='bad'>{_e(', '.join(t.disallowed))}</td></tr>")
    out.append("</table><h2>Errata (restatements versus the papers)</h2><table><tr><th>erratum</th><th>slide</th>"
               "<th>expected</th><th>outcome</th><th>evidence</th></tr>")
    for e in result.errata.values():
        out.append(f"<tr><td>{_e(e.id)}<br>{_e(e.title)}</td><td>{_e(e.slide)}</td><td>{_e(e.expect)}</td>"
                   f"<td class='{'ok' if e.passed else 'bad'}'>{_e(e.outcome)}</td><td>{'<br>'.join(map(_e, e.evidence))}</td></tr>")
    out.append("</table><h2>Nodes</h2>")
    for nid, rep in result.nodes.items():
        n = rep.node
        st = n.statement
        out.append(f"<h3 id='{_e(nid)}'>{_e(nid)} <small>({_e(rep.kind)}; {_e(rep.status_text)}; border {_e(rep.border)}"
                   f"{'; variant' if rep.variant else ''})</small></h3><p>{_e(rep.title)}</p>")
        out.append(f"<p><small>{_e(n.provenance.paper)}, {_e(n.provenance.version)}, {_e(n.provenance.where)}, "
                   f"{_e(n.provenance.reliability)}</small></p>")
        if st.claim is not None:
            hyps = ", ".join(sp.latex(h) for h in st.hypotheses)
            out.append(f"<p>Claim: <code>{_e(sp.latex(st.claim))}</code>"
                       + (f" under <code>{_e(hyps)}</code>" if hyps else "") + "</p>")
        if getattr(rep, "coq", ""):  # the Coq statement the kernel checked (issue 23.6)
            word = {"kernel-checked": "kernel-checked: Coq closed it with Qed",
                    "solver-checked": "solver-checked: the Coq kernel did not close it"}.get(
                rep.kernel, "a Coq Axiom: taken on trust" if rep.kind in ("cited", "assumption") else "")
            out.append(f"<p>Coq statement{' (' + _e(word) + ')' if word else ''}:</p><pre>{_e(rep.coq)}</pre>")
            if rep.kernel == "solver-checked" and (rep.kernel_goal or rep.kernel_reason):
                out.append(f"<p><small>{_e(rep.kernel_reason)}</small></p>"
                           + (f"<pre>{_e(rep.kernel_goal)}</pre>" if rep.kernel_goal else ""))
        if n.paper_statement:
            out.append(f"<p>Paper's statement: {_e(n.paper_statement)}</p>")
        if n.variant:
            out.append(f"<p>Variant (added hypotheses): {_e('; '.join(n.variant))}</p>")
        if n.notes:
            out.append(f"<p><small>{_e(n.notes)}</small></p>")
        if rep.checks:
            out.append("<table><tr><th>check</th><th>verdict</th><th>trust</th><th>evidence</th></tr>")
            for c in rep.checks:
                det = "; ".join(f"{k}={v}" for k, v in c.detail.items() if k not in ("tried", "evidence"))[:600]
                out.append(f"<tr><td>{_e(c.kind)}</td><td>{_e(c.verdict)}</td><td>{_e(c.trust)}</td>"
                           f"<td>{_e(c.summary)}<br><small>{_e(det)}</small></td></tr>")
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def render_theorem_graph(result: AuditResult, node_id: str, *, fmt: str = "png") -> bytes:
    """The ancestors of one node (typically a theorem), drawn layer by layer (dependencies
    below, the node on top) with readable labelled boxes: fill = proof status, border =
    statement status, dashed arrows = statement dependencies, solid = proof dependencies."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from checker.validate import one_of

    fmt = one_of("format", fmt, ["png", "svg"])
    if node_id not in result.graph:
        from checker.errors import InvalidArgument

        raise InvalidArgument("node", node_id, "is not a node of the audited outlines")
    keep = nx.ancestors(result.graph, node_id) | {node_id}
    g = result.graph.subgraph(keep).copy()
    layers = list(nx.topological_generations(g))
    width = max(len(layer) for layer in layers)
    fig_w = min(30.0, 2.6 + 2.3 * width)
    fig_h = 1.0 + 0.95 * len(layers)
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    pos = {}
    for depth, layer in enumerate(layers):
        layer = sorted(layer)
        for i, n in enumerate(layer):
            pos[n] = ((i + 0.5) / len(layer), depth)
    for u, v, d in g.edges(data=True):
        ax.annotate("", xy=pos[v], xytext=pos[u],
                    arrowprops=dict(arrowstyle="-|>", lw=0.7, alpha=0.45, shrinkA=9, shrinkB=9,
                                    linestyle="--" if d.get("kind") == "statement" else "-"))
    for n, (x, y) in pos.items():
        rep = result.nodes[n]
        ax.text(x, y, n, ha="center", va="center", fontsize=7, zorder=3,
                bbox=dict(boxstyle="round,pad=0.3", fc=fill_of(rep, result.errata),
                          ec=BORDER.get(rep.border, "#000000"), lw=1.8))
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.6, len(layers) - 0.4)
    ax.set_axis_off()
    present = {fill_of(result.nodes[n], result.errata) for n in g}
    handles = [Patch(facecolor=c, edgecolor="black", label=f"fill: {k}") for k, c in FILL.items() if c in present]
    handles += [Patch(facecolor="white", edgecolor=c, linewidth=2, label=f"border: {k}") for k, c in BORDER.items()]
    handles += [Line2D([], [], ls="--", color="grey", label="statement dependency"),
                Line2D([], [], ls="-", color="grey", label="proof dependency")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 1.0), fontsize=7, framealpha=0.9)
    ax.set_title(f"dependencies of {node_id}", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, bbox_inches="tight", dpi=100)
    plt.close(fig)
    return buf.getvalue()
