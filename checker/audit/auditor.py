"""The auditor: proof outlines as a networkx dependency graph with *derived* statuses and
``#print axioms``-style trust reports.

Graph: one vertex per node; an edge ``dep -> node`` for every ``uses_statement`` (kind
``statement``) and ``uses_proof`` (kind ``proof``) entry, as in Lean's blueprint. Cycles,
dangling references and duplicate ids are errors; orphans and transitively redundant edges are
warnings.

Statuses (never written by hand), two axes like the blueprint:

* border (statement axis): ``ready`` when every ``uses_statement`` dependency is checked, else
  ``stated``;
* fill (proof axis): ``refuted`` (a check found a counterexample), ``failed`` (an experiment
  found counter-evidence), ``fully checked`` (the node and all its ancestors are checked),
  ``checked`` (all its own checks passed; a definition without checks counts as defined),
  ``checkable`` (all its dependencies are checked, its own checks are not), ``stated``;
* ``variant``: the node adds hypotheses to the paper's statement.

"Checked" means the node's checks passed: *proved* (symbolic, smt-nra, interval, exact-eval),
*tested* (property, experiment) or *trusted* (cited, assumed); the trust report says which.

Trust report of a node: the union of the trust tags of its own checks and of all ancestors, plus
source tags (``reconstructed`` for [R] statements, ``secondary-source`` for [S] / [P via S],
``variant``). An allow-list (``proofs/allowlist.toml``) says which tags each theorem may
inherit; any other tag fails the audit.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from checker.audit.checks import ENGINE_VERSION, CheckResult, run_check
from checker.audit.outline import Node, Outline, load_outlines, outline_files
from checker.errors import InvalidArgument, OutlineError

__all__ = ["AuditResult", "NodeReport", "TheoremReport", "ErratumReport", "audit", "build_graph",
           "default_proofs_dir", "load_allowlist", "PROOF_TAGS"]

#: Trust tags that record a proof by a tool that ran (not an assumption, citation or sample).
PROOF_TAGS = ("symbolic", "smt-nra", "interval", "exact-eval")


@dataclass(frozen=True, kw_only=True)
class NodeReport:
    id: str
    kind: str
    title: str
    file: str
    own: str            # checked | defined | refuted | failed | error | undecided | skipped | unchecked
    status: str         # fill: refuted | failed | fully checked | checked | checkable | stated
    border: str         # ready | stated
    variant: bool
    checks: tuple[CheckResult, ...]
    trust: tuple[str, ...]            # own tags
    inherited_trust: dict[str, list[str]]  # tag -> nodes contributing it (node and ancestors)
    node: Node = field(repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class TheoremReport:
    id: str
    title: str
    status: str
    trust: dict[str, list[str]]
    disallowed: tuple[str, ...]
    counts: dict[str, int]
    passed: bool


@dataclass(frozen=True, kw_only=True)
class ErratumReport:
    id: str
    title: str
    slide: str
    expect: str
    outcome: str   # refuted | confirmed | inconclusive
    evidence: tuple[str, ...]
    passed: bool


@dataclass(frozen=True, kw_only=True)
class AuditResult:
    nodes: dict[str, NodeReport]
    theorems: dict[str, TheoremReport]
    errata: dict[str, ErratumReport]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    files: tuple[str, ...]
    allowlist: str
    passed: bool
    graph: Any = field(repr=False, compare=False, default=None)
    outlines: tuple[Outline, ...] = field(repr=False, compare=False, default=())
    cache_hits: int = 0
    checks_run: int = 0


def default_proofs_dir() -> Path:
    """The repository's ``proofs/`` folder (next to the ``checker`` package)."""
    import checker

    p = Path(checker.__file__).resolve().parents[1] / "proofs"
    if not p.is_dir():
        raise InvalidArgument("paths", str(p), "does not exist: the default proofs/ folder is missing",
                              hint="pass outline files or folders explicitly")
    return p


def build_graph(outlines: list[Outline]) -> tuple[nx.DiGraph, list[str]]:
    """The dependency DiGraph (edges dep -> node) and the warnings; raises OutlineError on
    dangling references and cycles."""
    g = nx.DiGraph()
    nodes = {n.id: n for o in outlines for n in o.nodes}
    for n in nodes.values():
        g.add_node(n.id, kind=n.kind, file=n.file)
    for n in nodes.values():
        for kind, deps in (("statement", n.uses_statement), ("proof", n.uses_proof)):
            for d in deps:
                if d not in nodes:
                    from checker.validate import suggest

                    close = suggest(d, nodes)
                    hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
                    raise OutlineError(f"uses_{kind} names unknown node {d!r}{hint}", file=n.file, node=n.id)
                if d == n.id:
                    raise OutlineError("a node may not depend on itself", file=n.file, node=n.id)
                if g.has_edge(d, n.id):
                    g.edges[d, n.id]["kind"] = "both"
                else:
                    g.add_edge(d, n.id, kind=kind)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        first = nodes[cycle[0][1]]
        raise OutlineError("dependency cycle " + " -> ".join([c[0] for c in cycle] + [cycle[-1][1]]),
                           file=first.file, node=first.id)
    warnings = []
    for n in nodes.values():
        if n.kind not in ("theorem", "erratum") and g.out_degree(n.id) == 0:
            warnings.append(f"{n.file}: node {n.id!r}: orphan (no node depends on it)")
    red = nx.transitive_reduction(g)
    for u, v in g.edges:
        if not red.has_edge(u, v):
            warnings.append(f"{nodes[v].file}: node {v!r}: edge from {u!r} is transitively redundant")
    return g, warnings


def load_allowlist(path: Path | None) -> dict[str, list[str]]:
    """``{"default": [...], "<theorem id>": [...]}`` from an allow-list TOML file."""
    if path is None:
        return {"default": list(PROOF_TAGS)}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OutlineError(f"allow-list unreadable: {exc}", file=str(path)) from None
    for key in data:
        if key not in ("default", "theorem"):
            raise OutlineError(f"unknown table {key!r} (allowed: default, theorem)", file=str(path))
    out = {"default": list(PROOF_TAGS)}
    default = data.get("default", {})
    out["default"] += list(default.get("allow", []))
    for tid, tbl in data.get("theorem", {}).items():
        extra = tbl.get("allow", [])
        if not isinstance(extra, list):
            raise OutlineError(f"theorem.{tid}.allow must be a list", file=str(path))
        out[tid] = list(extra)
    return out


def _allowed(tag: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(tag, p) for p in patterns)


def _source_tags(n: Node) -> list[str]:
    tags = []
    for t in n.provenance.tags:
        parts = {p.strip() for p in t.split(",")}
        if "R" in parts and "standard" not in parts:
            tags.append("reconstructed")
        if "S" in parts or t.strip() == "P via S":
            tags.append("secondary-source")
    if n.variant:
        tags.append("variant")
    return tags


def _cache_dir() -> Path:
    env = os.environ.get("CHECKER_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "checker" / "audit"


def _cache_key(n: Node, spec, quick: bool) -> str:
    from checker import __version__

    src = Path(__file__).with_name("checks.py").read_bytes()
    payload = {"checker": __version__, "engine": ENGINE_VERSION, "engine_src": hashlib.sha256(src).hexdigest(),
               "statement": n.statement.source, "check": {"kind": spec.kind, **spec.options},
               "quick": quick}
    if spec.kind == "experiment":
        try:
            from checker import experiments
            import inspect

            mod = inspect.getsourcefile(experiments.get(spec.options["name"]).func)
            if not mod:
                return ""
            # The verdict depends on everything the experiment builds on: hash every source file
            # of its package (e.g. checker/gan/) and of the bound library it may read formulas from.
            h = hashlib.sha256()
            pkg = Path(mod).resolve().parent
            for root in (pkg, pkg.parent / "bounds", pkg.parent / "wrm"):
                for f in sorted(root.rglob("*.py")) if root.is_dir() else []:
                    h.update(str(f.relative_to(pkg.parent)).encode())
                    h.update(f.read_bytes())
            payload["experiment_src"] = h.hexdigest()
        except Exception:  # noqa: BLE001 - unknown experiments are never cached
            return ""
    if spec.kind == "library":
        return ""  # depends on another module's current content: always re-run (cheap)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _cached_run(n: Node, spec, *, cache: bool, quick: bool, run_experiments: bool) -> tuple[CheckResult, bool | None]:
    from checker.io import atomic_write_text, to_jsonable

    if spec.kind in ("cited", "assumed") or (spec.kind == "experiment" and not run_experiments):
        return run_check(n, spec, quick=quick, run_experiments=run_experiments), None
    key = _cache_key(n, spec, quick) if cache else ""
    path = _cache_dir() / f"{key}.json" if key else None
    if path is not None and path.is_file():
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            return CheckResult(**{**d, "cached": True}), True
        except (OSError, ValueError, TypeError):
            pass
    res = run_check(n, spec, quick=quick, run_experiments=run_experiments)
    if path is not None and res.verdict not in ("error", "skipped"):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps(to_jsonable(res.__dict__)))
        except OSError:
            pass
    return res, False


def _own_state(n: Node, results: list[CheckResult]) -> str:
    verdicts = {r.verdict for r in results}
    if "refuted" in verdicts:
        return "refuted"
    if "failed" in verdicts:
        return "failed"
    if "error" in verdicts:
        return "error"
    if not results:
        return "defined" if n.kind == "definition" else "unchecked"
    if "undecided" in verdicts:
        return "undecided"
    if "skipped" in verdicts:
        return "skipped"
    return "checked"


def audit(paths=None, *, cache: bool = True, run_experiments: bool = True, quick: bool = True,
          allowlist: str | Path | None = None) -> AuditResult:
    """Audit the proof outlines under ``paths`` (default: the repository's ``proofs/``).

    Raises :class:`~checker.errors.OutlineError` for malformed outlines (bad TOML, unknown keys,
    unsafe formulas, cycles, dangling or duplicate ids). Everything that ran is in the result;
    ``passed`` is true only if every node is checked, every theorem's inherited trust is within
    the allow-list, every erratum has its expected outcome and there is no error.
    """
    from checker.progress import progress

    if paths is None:
        paths = [default_proofs_dir()]
    elif isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    files = outline_files(paths)
    if not files:
        raise InvalidArgument("paths", [str(p) for p in paths], "contain no outline (*.toml) files")
    outlines = load_outlines(files)
    g, warnings = build_graph(outlines)
    if allowlist is None:
        for p in paths:
            cand = (p if p.is_dir() else p.parent) / "allowlist.toml"
            if cand.is_file():
                allowlist = cand
                break
    allow = load_allowlist(Path(allowlist) if allowlist else None)
    nodes = {n.id: n for o in outlines for n in o.nodes}
    errors: list[str] = []
    results: dict[str, list[CheckResult]] = {}
    hits = ran = 0
    todo = [(n, spec) for n in nodes.values() for spec in n.checks]
    for n, spec in progress(todo, desc="audit checks", total=len(todo)):
        res, hit = _cached_run(n, spec, cache=cache, quick=quick, run_experiments=run_experiments)
        if hit is not None:  # cited/assumed/skipped are recorded, not run
            hits += hit
            ran += not hit
        results.setdefault(n.id, []).append(res)
        if res.verdict == "error":
            errors.append(f"{n.file}: node {n.id!r}: check {spec.index} ({spec.describe()}): {res.summary}")
    own = {nid: _own_state(n, results.get(nid, [])) for nid, n in nodes.items()}
    ok = {nid for nid, s in own.items() if s in ("checked", "defined")}
    reports: dict[str, NodeReport] = {}
    for nid, n in nodes.items():
        anc = nx.ancestors(g, nid)
        deps = set(g.predecessors(nid))
        if own[nid] in ("refuted", "failed"):
            status = own[nid]
        elif nid in ok and anc <= ok:
            status = "fully checked"
        elif nid in ok:
            status = "checked"
        elif deps <= ok:
            status = "checkable"
        else:
            status = "stated"
        border = "ready" if set(n.uses_statement) <= ok else "stated"
        trust_own = sorted({r.trust for r in results.get(nid, []) if r.passed} | set(_source_tags(n)))
        inherited: dict[str, list[str]] = {}
        for m in sorted(anc | {nid}):
            mt = {r.trust for r in results.get(m, []) if r.passed} | set(_source_tags(nodes[m]))
            if own[m] not in ("checked", "defined"):
                mt.add("unchecked")
            for t in mt:
                inherited.setdefault(t, []).append(m)
        reports[nid] = NodeReport(id=nid, kind=n.kind, title=n.title, file=n.file, own=own[nid],
                                  status=status, border=border, variant=bool(n.variant),
                                  checks=tuple(results.get(nid, [])), trust=tuple(trust_own),
                                  inherited_trust=dict(sorted(inherited.items())), node=n)
    theorems: dict[str, TheoremReport] = {}
    for nid, n in nodes.items():
        if n.kind != "theorem":
            continue
        rep = reports[nid]
        patterns = allow["default"] + allow.get(nid, [])
        bad = tuple(t for t in rep.inherited_trust if t == "unchecked" or not _allowed(t, patterns))
        anc = nx.ancestors(g, nid) | {nid}
        counts: dict[str, int] = {}
        for m in anc:
            counts[reports[m].status] = counts.get(reports[m].status, 0) + 1
        theorems[nid] = TheoremReport(id=nid, title=n.title, status=rep.status, trust=rep.inherited_trust,
                                      disallowed=bad, counts=dict(sorted(counts.items())),
                                      passed=rep.status == "fully checked" and not bad)
    for tid in allow:
        if tid != "default" and tid not in theorems:
            warnings.append(f"allow-list names {tid!r}, which is not a theorem node of the audited outlines")
    errata: dict[str, ErratumReport] = {}
    for nid, n in nodes.items():
        if n.kind != "erratum":
            continue
        verdicts = [r.verdict for r in results.get(nid, [])]
        if "refuted" in verdicts and "error" not in verdicts:
            outcome = "refuted"
        elif verdicts and all(v in ("proved", "trusted", "tested") for v in verdicts):
            outcome = "confirmed"
        else:
            outcome = "inconclusive"
        errata[nid] = ErratumReport(id=nid, title=n.title, slide=n.slide, expect=n.expect, outcome=outcome,
                                    evidence=tuple(r.summary for r in results.get(nid, [])),
                                    passed=outcome == n.expect)
    unchecked = [nid for nid, n in nodes.items() if n.kind != "erratum" and own[nid] not in ("checked", "defined")]
    passed = (not errors and not unchecked and all(t.passed for t in theorems.values())
              and all(e.passed for e in errata.values()))
    return AuditResult(nodes=reports, theorems=theorems, errata=errata, errors=tuple(errors),
                       warnings=tuple(warnings), files=tuple(str(f) for f in files),
                       allowlist=str(allowlist) if allowlist else "(none: only proof tags allowed)",
                       passed=passed, graph=g, outlines=tuple(outlines), cache_hits=hits, checks_run=ran)


def trust_report(result: AuditResult, node_id: str) -> dict[str, list[str]]:
    """The inherited trust of ``node_id`` (like Lean's ``#print axioms``): tag -> contributing nodes."""
    if node_id not in result.nodes:
        from checker.validate import suggest

        close = suggest(node_id, result.nodes)
        raise InvalidArgument("node", node_id, "is not a node of the audited outlines",
                              hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None)
    return result.nodes[node_id].inherited_trust


__all__.append("trust_report")
