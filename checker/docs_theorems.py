"""Render one docs page per theorem of the registry (used by :mod:`checker.docsgen`).

Each page shows the statement(s) from the bound library (pretty-printed exactly), the
provenance and reliability, the proof outline as a table of nodes in dependency order (how each
step is checked), and what the theorem takes on trust *by construction of its outline*
(cited results, assumptions, tested-only steps, reconstructed statements). Verdicts — whether
each check actually passed — come from running ``checker audit``, not from this page.
"""

from __future__ import annotations

import re

import networkx as nx

from checker.report.graphs import GraphNode, node_anchor, theorem_svg, weakest_trust
from checker.report.mathml import sympy_to_mathml

__all__ = ["render_pages", "cite_math"]

#: Sections of the project's math reference (docs/math/), for section-number citations in
#: statements and outlines ("reference §2.2"): the page and anchor each number maps to.
_MATH_SECTIONS = {
    "arora": {
        "1": ("arora-thm1.md", "setting", "Setting"),
        "1.2": ("arora-thm1.md", "noised-images", "Noised images"),
        "1.3": ("arora-thm1.md", "discriminators-and-the-measuring-function", "Discriminators"),
        "1.4": ("arora-thm1.md", "objective-and-fooling", "Objective and fooling"),
        "2": ("arora-thm1.md", "statement", "Statement"),
        "2.1": ("arora-thm1.md", "theorem-1-as-restated-by-secondary-sources", "Statement"),
        "2.2": ("arora-thm1.md", "explicit-version-checkers-own", "Explicit version"),
        "2.3": ("arora-thm1.md", "objective-and-fooling", "Objective and fooling"),
        "3": ("arora-thm1.md", "construction", "Construction"),
        "3.1": ("arora-thm1.md", "encoder", "Encoder"),
        "3.2": ("arora-thm1.md", "ideal-generator", "Ideal generator"),
        "3.3": ("arora-thm1.md", "relu-generator-and-the-ramp-width", "ReLU generator"),
        "4": ("arora-thm1.md", "proof-chain", "Proof chain"),
        "4.1": ("arora-thm1.md", "proof-chain", "Proof chain"),
        "4.2": ("arora-thm1.md", "the-mcdiarmid-and-markov-route", "McDiarmid and Markov route"),
        "4.3": ("arora-thm1.md", "derivation-of-the-explicit-constants", "Derivation of the constants"),
        "4.4": ("arora-thm1.md", "proof-chain", "Proof chain"),
        "4.5": ("arora-thm1.md", "proof-chain", "Proof chain"),
        "6": ("birthday.md", "", "Birthday-paradox test"),
        "6.1": ("birthday.md", "the-procedure", "The procedure"),
        "6.2": ("birthday.md", "collision-formulas", "Collision formulas"),
        "6.3": ("birthday.md", "t-a-as-reported", "T-a and T-b"),
        "6.4": ("birthday.md", "reported-results", "Reported results"),
        "7": ("arora-thm1.md", "differences-from-informal-statements", "Differences from informal statements"),
        "8": ("arora-thm1.md", "open-questions", "Open questions"),
    },
    "sinha": {
        "1": ("sinha.md", "duality", "Duality"),
        "1.1": ("sinha.md", "setting", "Setting"),
        "1.2": ("sinha.md", "setting", "Setting"),
        "1.3": ("sinha.md", "duality", "Duality"),
        "2": ("sinha.md", "smoothness-and-strong-concavity", "Smoothness and strong concavity"),
        "2.1": ("sinha.md", "smoothness-and-strong-concavity", "Smoothness and strong concavity"),
        "2.2": ("sinha.md", "smoothness-and-strong-concavity", "Assumptions A and B"),
        "2.3": ("sinha.md", "lemma-1", "Lemma 1"),
        "3": ("sinha.md", "theorem-2-convergence-of-wrm", "Theorem 2"),
        "4": ("sinha.md", "the-certificate", "The certificate"),
        "4.1": ("sinha.md", "monge-map-and-achieved-robustness", "Monge map"),
        "4.2": ("sinha.md", "theorem-3", "Theorem 3"),
        "4.3": ("sinha.md", "theorem-3", "Theorem 3"),
        "4.4": ("sinha.md", "theorem-4-generalisation-of-the-robustness-level", "Theorem 4"),
        "4.5": ("sinha.md", "corollary-4-and-the-tightened-constant", "Corollary 4"),
        "5": ("sinha.md", "experiments", "Experiments"),
        "7": ("sinha.md", "differences-from-informal-statements", "Differences from informal statements"),
        "8": ("sinha.md", "the-certificate", "The certificate"),
        "8.2": ("sinha.md", "what-makes-a-computed-certificate-sound", "Sound certificates"),
        "8.3": ("sinha.md", "what-makes-a-computed-certificate-sound", "Sound certificates"),
        "8.4": ("sinha.md", "a-closed-form-for-testing", "Closed form"),
    },
}

_CITE = re.compile(r"reference (?:(?P<file>arora2018|sinha2018)\.md )?§(?P<sec>\d+(?:\.\d+)?)(?:[-–]\d+(?:\.\d+)?)?"
                   r"(?:,? (?:and )?§?(?P<sec2>\d+\.\d+))?")
_PLAIN_MATH = re.compile(r"(?<![\[/])docs/math/([a-z0-9-]+\.md)")
_SLIDE = re.compile(r"\b(?:on )?the seed slides?\b|\bseed slides?\b", re.I)


def _section(paper: str, sec: str) -> tuple[str, str, str]:
    table = _MATH_SECTIONS[paper]
    while sec not in table and "." in sec:
        sec = sec.rsplit(".", 1)[0]
    return table.get(sec, ("index.md", "", "Math reference"))


def cite_math(text: str, paper: str, *, link_prefix: str = "../math/") -> str:
    """Rewrite section citations ("reference §2.2", "reference arora2018.md §6.3") and plain
    "docs/math/x.md" mentions as links into the project's math reference (docs/math/), and
    mentions of slides users do not have as "informal restatements". ``paper`` (``arora`` or
    ``sinha``) says which paper a bare "reference §" belongs to."""
    def repl(m: re.Match) -> str:
        which = {"arora2018": "arora", "sinha2018": "sinha"}.get(m.group("file") or "", paper)
        page, anchor, title = _section(which, m.group("sec"))
        return f"[math reference: {title}]({link_prefix}{page}{'#' + anchor if anchor else ''})"

    text = _PLAIN_MATH.sub(lambda m: f"[docs/math/{m.group(1)}]({link_prefix}{m.group(1)})", text)
    text = re.sub(r"as on the seed slide\s*/\s*", "as restated by ", text, flags=re.I)
    text = re.sub(r"\bthe seed slide'?s?\b", "informal restatements", text, flags=re.I)
    return _SLIDE.sub("informal restatements", _CITE.sub(repl, text))

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


#: How a node is *declared* to be checked in its outline, as a level of the graph palette.
_DECLARED_LEVEL = {"symbolic": "proved", "smt": "proved", "interval": "proved", "evaluate": "proved",
                   "library": "proved", "cited": "cited", "assumed": "assumed", "property": "tested",
                   "experiment": "tested"}
_DECLARED_WORDS = {"proved": "to be proved by a symbolic, SMT, exact or interval check",
                   "cited": "rests on a cited external result", "assumed": "rests on an assumption (hypothesis)",
                   "tested": "rests on sampled evidence (property test, experiment)",
                   "unchecked": "no check declared", "refuted": "(verdicts: run checker audit)"}


def _declared_graph(graph, nodes) -> tuple[list[GraphNode], list[tuple[str, str, str]]]:
    """Graph nodes coloured by the weakest kind of check their outline declares (node and
    ancestors). Verdicts are not shown: they come from running the audit."""
    own = {}
    for nid, n in nodes.items():
        levels = [_DECLARED_LEVEL.get(c.kind, "unchecked") for c in n.checks]
        if n.kind == "assumption" and not levels:
            levels = ["assumed"]
        if not levels and n.kind != "definition":
            levels = ["unchecked"]
        own[nid] = weakest_trust(levels)
    out = [GraphNode(id=nid, title=n.title, kind=n.kind, status=n.kind,
                     trust=weakest_trust([own[nid], *(own[a] for a in nx.ancestors(graph, nid))]),
                     href="#" + node_anchor(nid)) for nid, n in nodes.items()]
    edges = [(u, v, d.get("kind", "proof")) for u, v, d in graph.edges(data=True)]
    return out, edges


def _tex_cell(tex: str) -> str:
    """The paper's notation as a formula (converted to MathML when the site is built). A bare
    ``|`` would end the table cell: it becomes ``\\vert``; ``\\|`` (a norm) is already escaped."""
    tex = str(tex).strip()
    if not tex:
        return ""
    return "$" + re.sub(r"(?<!\\)\|", r"\\vert ", tex) + "$"


def _statement_block(stmt, paper: str) -> list[str]:
    def c(text):
        return cite_math(_br(text), paper)

    lines = [f"### `{stmt.id}` — {c(stmt.title)}", "",
             f"*{_br(stmt.paper)}*, {c(stmt.reference)}. Reliability **{_br(stmt.reliability)}**; "
             f"form **{stmt.form}**.", ""]
    if stmt.summary:
        lines += [c(stmt.summary), ""]
    # Formulas as MathML (rendered natively by the browser; no script, nothing fetched).
    for name, expr in stmt.exprs:
        lines += [f'<div class="math-display" id="{stmt.id}-{name}">{sympy_to_mathml(expr, lhs=name)}</div>', ""]
    for name, rel in stmt.relations:
        lines += [f"*{_br(name)}*:", "",
                  f'<div class="math-display" id="{stmt.id}-{name}">{sympy_to_mathml(rel)}</div>', ""]
    if stmt.params:
        lines += ["| symbol | paper | meaning | default |", "|---|---|---|---|"]
        for p in stmt.params:
            default = "" if p.default is None else f"{p.default} ({p.default_note})" if p.default_note else str(p.default)
            hidden = " (hidden constant)" if p.hidden else ""
            lines.append(f"| `{p.name}` | {_tex_cell(p.paper)} | {cite_math(_md_escape(p.description), paper)}{hidden} | "
                         f"{cite_math(_md_escape(default), paper)} |")
        lines.append("")
    for label, items in (("Hidden", stmt.hidden), ("Assumed", stmt.assumed), ("Notes", stmt.notes)):
        if items:
            lines += [f"**{label}:**", ""] + [f"- {cite_math(_md_escape(i), paper)}" for i in items] + [""]
    return lines


def _coq_theorem_block(node) -> list[str]:
    """The node's ``coq_theorem``, its statement as written in the ``.v`` file (Coq source)."""
    import re

    from checker.audit.auditor import default_proofs_dir

    if node.coq_theorem is None:
        return []
    rel, name, axioms = node.coq_theorem
    path = default_proofs_dir() / rel
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    m = re.search(rf"^(Theorem|Lemma|Corollary) {re.escape(name)}\b(.*?)\.\s*\nProof\.", text, re.M | re.S)
    rests = ", ".join(f"`{a}`" for a in axioms) or "no cited or assumed node (Coq's standard axioms only)"
    out = ["## Stated in Coq", "",
           f"`proofs/{rel}`, theorem `{name}`; declared to rest on {rests}. `checker audit` compiles the file "
           "with plain `coqc` and fails unless its `Print Assumptions` names exactly these "
           "(docs/guide/kernel.md).", ""]
    if m:
        ctx = []  # a theorem inside a Section takes the section's variables and hypotheses
        sec = [x for x in re.finditer(r"^Section (\w+)\.", text[:m.start()], re.M)
               if f"End {x.group(1)}." not in text[x.end():m.start()]]
        if sec:
            ctx = re.findall(r"^(?:Variables?|Hypothesis) .*?\.$", text[sec[-1].end():m.start()], re.M | re.S)
        out += ["```coq", *ctx, (m.group(1) + " " + name + m.group(2)).strip() + ".", "```", ""]
    return out


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
        paper = "sinha" if thm.outline.startswith("sinha") else "arora"
        lines = [f"# {_br(thm.title)}", "", f"**Paper:** {_br(thm.paper)}  ",
                 f"**Reference:** {cite_math(_br(thm.reference), paper)}  ",
                 f"**Reliability:** {_br(thm.reliability)}  ",
                 f"**Outline:** `proofs/{thm.outline}`, node `{thm.node}`", ""]
        lines += _coq_theorem_block(nodes[thm.node])  # issue 23.7: the result stated for real in Coq
        lines += ["## Statements in the bound library", ""]
        for sid in thm.statements:
            lines += _statement_block(bounds.get(sid), paper)
        ancestors = nx.ancestors(graph, thm.node) | {thm.node}
        order = [n for n in nx.topological_sort(graph) if n in ancestors]
        gnodes, gedges = _declared_graph(graph, nodes)
        svg = theorem_svg(gnodes, gedges, thm.node, title=f"{thm.node} and what it rests on",
                          legend_title="Fill: the weakest kind of check declared for the node and everything "
                                       "below it (verdicts: checker audit)", legend_words=_DECLARED_WORDS)
        lines += ["## Proof outline", "",
                  "What the theorem rests on: what a node uses is drawn below it; click a node for its row "
                  "in the table. The colours show how each step is *declared* to be checked; whether the "
                  "checks pass is what `checker audit` (and the report of `checker run`) says.", "",
                  '<div class="depgraph-box">', svg.replace("\n\n", "\n"), "</div>", "",
                  f"{len(order)} nodes, in dependency order. *Checks* says how each node is "
                  "established; verdicts come from `checker audit`.", "",
                  "| node | kind | title | source | checks | uses |", "|---|---|---|---|---|---|"]
        for nid in order:
            n = nodes[nid]
            checks = "; ".join(_KIND_WORDS.get(c.kind, c.kind) + (f" `{c.options['name']}`" if c.kind == "experiment" else "")
                               for c in n.checks) or "—"
            uses = ", ".join(f"`{d}`" for d in n.deps) or "—"
            src = cite_math(_md_escape(f"{n.provenance.where} {n.provenance.reliability}"), paper)
            lines.append(f"| <span id=\"{node_anchor(nid)}\"></span>`{nid}` | {n.kind} | {cite_math(_md_escape(n.title), paper)} | {src} | {checks} | {uses} |")
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
