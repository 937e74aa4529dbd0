"""Render one docs page per theorem of the registry (used by :mod:`checker.docsgen`).

Each page shows the statement(s) from the bound library (pretty-printed exactly), the
provenance and reliability, the proof outline as a table of nodes in dependency order (how each
step is checked), and what the theorem takes on trust *by construction of its outline*
(cited results, assumptions, tested-only steps, reconstructed statements). Verdicts — whether
each check actually passed — come from running ``checker audit``, not from this page.
"""

from __future__ import annotations

import networkx as nx
import sympy as sp

__all__ = ["render_pages"]

_KIND_WORDS = {
    "symbolic": "symbolic (sympy)", "smt": "SMT (z3, nonlinear real arithmetic)",
    "interval": "interval arithmetic (rigorous)", "property": "property test (Hypothesis) — tested only",
    "experiment": "experiment on built networks — tested only", "cited": "cited", "assumed": "assumed",
}


def _md_escape(text: str) -> str:
    """Escape table pipes and square brackets (reliability tags such as [D] must not be read
    as Markdown link references)."""
    return _br(str(text).replace("|", "\\|").replace("\n", " "))


def _br(text: str) -> str:
    return str(text).replace("[", "\\[").replace("]", "\\]")


_TRUST_HEADINGS = {
    "cited": "Cited external results",
    "assumed": "Assumed (hypotheses)",
    "tested": "Established only by sampling (property tests, experiments) — tested, not proved",
    "reconstructed": "Statements that are the project's reconstruction [R] (checked here, not the paper's words)",
}


def _static_trust(node) -> list[tuple[str, str]]:
    """(category, item) pairs this node contributes to the trust of its dependants."""
    tags = []
    for spec in node.checks:
        if spec.kind == "cited":
            tags.append(("cited", f"{spec.options.get('name', node.id)} (`{node.id}`)"))
        elif spec.kind == "assumed":
            tags.append(("assumed", f"`{node.id}`: {node.title}"))
        elif spec.kind in ("property", "experiment"):
            tags.append(("tested", f"`{node.id}`"))
    if node.kind == "assumption" and not any(c == "assumed" for c, _ in tags):
        tags.append(("assumed", f"`{node.id}`: {node.title}"))
    if "R" in node.provenance.tags:
        tags.append(("reconstructed", f"`{node.id}`"))
    return tags


def _statement_block(stmt) -> list[str]:
    lines = [f"### `{stmt.id}` — {_br(stmt.title)}", "",
             f"*{_br(stmt.paper)}*, {_br(stmt.reference)}. Reliability **{_br(stmt.reliability)}**; "
             f"form **{stmt.form}**.", ""]
    if stmt.summary:
        lines += [_br(stmt.summary), ""]
    body = []
    for name, expr in stmt.exprs:
        body.append(f"{name} =")
        body.append(sp.pretty(expr, use_unicode=True, wrap_line=False))
        body.append("")
    for name, rel in stmt.relations:
        body.append(f"{name}:")
        body.append(sp.pretty(rel, use_unicode=True, wrap_line=False))
        body.append("")
    lines += ["```text", *[b.rstrip() for b in body][:-1], "```", ""]
    if stmt.params:
        lines += ["| symbol | paper | meaning | default |", "|---|---|---|---|"]
        for p in stmt.params:
            default = "" if p.default is None else f"{p.default} ({p.default_note})" if p.default_note else str(p.default)
            hidden = " (hidden constant)" if p.hidden else ""
            lines.append(f"| `{p.name}` | `{p.paper}` | {_md_escape(p.description)}{hidden} | {_md_escape(default)} |")
        lines.append("")
    for label, items in (("Hidden", stmt.hidden), ("Assumed", stmt.assumed), ("Notes", stmt.notes)):
        if items:
            lines += [f"**{label}:**", ""] + [f"- {_md_escape(i)}" for i in items] + [""]
    return lines


def render_pages() -> dict[str, str]:
    from checker import bounds
    from checker.audit.auditor import build_graph, default_proofs_dir
    from checker.audit.outline import load_outlines
    from checker.registry import THEOREMS

    outlines = load_outlines([default_proofs_dir()])
    graph, _ = build_graph(outlines)
    nodes = {n.id: n for o in outlines for n in o.nodes}
    pages: dict[str, str] = {}
    index = ["# Theorems", "",
             "One page per theorem, generated from the theorem registry "
             "(`checker/registry.py`), the bound library and the proof outlines in `proofs/`. "
             "Run `python3 -m checker audit` to see which checks pass; "
             "`python3 -m checker trust NODE` to see what a node takes on trust.", "",
             "| theorem | paper | reliability | outline node |", "|---|---|---|---|"]
    for thm in THEOREMS:
        index.append(f"| [{_md_escape(thm.title)}]({thm.docs_slug}.md) | {_md_escape(thm.paper)} | "
                     f"{_md_escape(thm.reliability)} | `{thm.node}` |")
        lines = [f"# {_br(thm.title)}", "", f"**Paper:** {_br(thm.paper)}  ", f"**Reference:** {_br(thm.reference)}  ",
                 f"**Reliability:** {_br(thm.reliability)}  ",
                 f"**Outline:** `proofs/{thm.outline}`, node `{thm.node}`", "",
                 "## Statements in the bound library", ""]
        for sid in thm.statements:
            lines += _statement_block(bounds.get(sid))
        ancestors = nx.ancestors(graph, thm.node) | {thm.node}
        order = [n for n in nx.topological_sort(graph) if n in ancestors]
        lines += ["## Proof outline", "",
                  f"{len(order)} nodes, in dependency order. *Checks* says how each node is "
                  "established; verdicts come from `checker audit`.", "",
                  "| node | kind | title | source | checks | uses |", "|---|---|---|---|---|---|"]
        for nid in order:
            n = nodes[nid]
            checks = "; ".join(_KIND_WORDS.get(c.kind, c.kind) + (f" `{c.options['name']}`" if c.kind == "experiment" else "")
                               for c in n.checks) or "—"
            uses = ", ".join(f"`{d}`" for d in n.deps) or "—"
            src = _md_escape(f"{n.provenance.where} {n.provenance.reliability}")
            lines.append(f"| `{nid}` | {n.kind} | {_md_escape(n.title)} | {src} | {checks} | {uses} |")
        trust: dict[str, dict[str, None]] = {k: {} for k in _TRUST_HEADINGS}
        for nid in order:
            for cat, item in _static_trust(nodes[nid]):
                trust[cat][item] = None
        lines += ["", "## What it takes on trust", "",
                  "Like Lean's `#print axioms`: what the outline does not establish by a check of "
                  "checker's own. `checker trust " + thm.node + "` prints the same from an actual "
                  "audit run, with the verdicts.", ""]
        for cat, heading in _TRUST_HEADINGS.items():
            if trust[cat]:
                lines += [f"**{heading}:** " + ", ".join(trust[cat]), ""]
        if thm.experiments:
            lines += ["", "## Experiments on built objects", "",
                      *[f"- `{e}`" for e in thm.experiments]]
        pages[f"{thm.docs_slug}.md"] = "\n".join(lines) + "\n"
    pages["index.md"] = "\n".join(index) + "\n"
    return pages
