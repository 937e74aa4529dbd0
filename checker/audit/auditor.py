"""The auditor: proof outlines as a dependency graph whose edges carry logic, with derived
statuses and ``#print axioms``-style trust computed from what the checks used.

Graph: one vertex per node; an edge ``dep -> node`` for every ``uses_statement`` (kind
``statement``), ``uses_proof`` (kind ``proof``) and ``uses`` (kind ``logic``) entry. Cycles,
dangling references and duplicate ids are errors. Orphans and transitively redundant edges are
lint, reported only with ``lint=True`` (``checker audit --verbose``).

**Edges that carry logic** (issue 11.2). A node that lists ``uses = [{ node = "u", subs = {...} }]``
gets a ``derive`` check: z3 proves *(hypotheses ∧ used claims) ⟹ claim*, where each used claim
is instantiated explicitly: ``u``'s symbols are replaced by the formulas of ``subs`` (every symbol
must be given), and the instance reads *(u's domains ∧ u's hypotheses) ⟹ u's claim* under the
substitution, so a used hypothesis that nothing discharges leaves the implication unusable and
the derivation fails. The unsat core says which used claims were needed.

**Trust from use** (issue 11.3). A node's *support* is what its passing checks used:

* a proof of the claim by a tool, without premises (symbolic, SMT, exact evaluation, interval on
  the whole stated domain, library): nothing further; the leaf is the proof;
* a derivation: exactly the used claims in the unsat core (and what they rest on);
* otherwise (sampled, experimental, cited or assumed evidence, or a node whose statement is not
  expressible): every hand-drawn dependency, conservatively, and each such dependency that has
  hypotheses contributes ``assumed:<dep>`` (hypotheses nothing discharged).

Statuses and their words are in :mod:`checker.audit.words`. Everything is computed in one pass
over a topological order (linear in nodes + edges); the node lists of a trust report are
collected on demand by one traversal of the support graph.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import sympy as sp

from checker.audit import words
from checker.audit.checks import ENGINE_VERSION, PASS_VERDICTS, CheckResult, run_check
from checker.audit.outline import CheckSpec, Node, Outline, load_outlines, outline_files
from checker.audit.substitute import fresh_bound_names as _fresh_bound_names
from checker.audit.substitute import rename_bound as _rename_bound
from checker.audit.verdict import revive_cached
from checker.errors import InvalidArgument, OutlineError

__all__ = ["AuditResult", "NodeReport", "TheoremReport", "ErratumReport", "audit", "build_graph",
           "default_proofs_dir", "load_allowlist", "PROOF_TAGS", "trust_report", "premise_of"]

#: Trust tags that record a proof by a tool that ran (not an assumption, citation or sample).
PROOF_TAGS = words.PROOF_TAGS

#: Check kinds whose passing verdict proves the node's claim outright (no premises).
#: A ``library`` check is absent on purpose (issue 24.3): it binds one expression of the claim to
#: the bound library's, and establishes that equality only, never the comparison.
_SELF_PROVING = ("symbolic", "smt", "evaluate", "interval")
#: Check kinds that bind a claim to something else without establishing it.
_BINDING_ONLY = ("library",)
#: Leaf tags that a theorem's allow-list must name for a theorem that says nothing checkable
#: (issue 24.6): ``stated`` (no claim: prose only) and ``trivial`` (its claim holds with no
#: hypotheses and uses nothing).
SAYS_NOTHING = ("stated", "trivial")

#: Source files whose content is part of every cache key (the engines that produce verdicts).
_ENGINE_FILES = ("checks.py", "smt.py", "budget.py", "formula.py", "outline.py", "bindings.py", "verdict.py",
                 *sorted(f"engines/{p.name}" for p in (Path(__file__).resolve().parent / "engines").glob("*.py")))


@dataclass(frozen=True, kw_only=True)
class NodeReport:
    id: str
    kind: str
    title: str
    file: str
    own: str            # checked | defined | refuted | failed | vacuous | undecided | timeout | error | skipped | unchecked
    status: str         # a key of checker.audit.words.STATUSES
    border: str         # ready | stated
    variant: bool
    checks: tuple[CheckResult, ...]
    trust: tuple[str, ...]            # own tags (what its own passing checks rest on)
    node: Node = field(repr=False, compare=False)
    support: tuple[str, ...] = ()     # the nodes its passing checks used
    leaves: tuple[str, ...] = ()      # every leaf tag of the support closure (a set, sorted)
    status_text: str = ""
    weakest: str = "proved"
    expressible: bool = True
    _result: Any = field(default=None, repr=False, compare=False)
    # the Coq kernel (issue 23; checker.audit.kernel): "kernel-checked" | "solver-checked" | ""
    kernel: str = ""
    coq: str = ""             # the node's statement in Coq
    kernel_goal: str = ""     # the goal Coq left open (solver-checked)
    kernel_reason: str = ""

    @cached_property
    def inherited_trust(self) -> dict[str, list[str]]:
        """Tag -> nodes contributing it, over the support closure (like ``#print axioms``)."""
        return self._result._trust_map(self.id) if self._result is not None else {}


@dataclass(frozen=True, kw_only=True)
class TheoremReport:
    id: str
    title: str
    status: str
    trust: dict[str, list[str]]
    disallowed: tuple[str, ...]
    counts: dict[str, int]        # nodes of the support closure by status
    passed: bool
    status_text: str = ""
    leaf_counts: dict[str, int] = field(default_factory=dict)
    weakest: str = "proved"
    expressible: bool = True


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
    #: checks with nothing to compute (cited, assumed, experiments switched off): they are
    #: recorded, never run nor cached; checks_run + cache_hits + checks_on_trust = checks_total
    checks_on_trust: int = 0
    checks_total: int = 0
    cache_rejected: int = 0
    cache_trusted: int = 0    # cached passes reused without re-checking (trust_cache only)
    cache_rechecked: int = 0  # cached passes recomputed (the default: a pass is never taken on its word)
    operations: int = 0       # graph operations of the status/trust pass (linear-time witness)
    kernel: Any = field(default=None, repr=False, compare=False)   # checker.audit.kernel.KernelReport

    def says_nothing(self) -> dict[str, list[str]]:
        """Theorems that say nothing checkable (issue 24.6): ``{"stated": [...], "trivial": [...]}``."""
        return {k: [t.id for t in self.theorems.values() if t.status == k] for k in SAYS_NOTHING}

    def verdict(self) -> str:
        """``PASSED`` / ``FAILED``, with how many theorems are only stated or trivial, e.g.
        ``"PASSED (3 of 8 theorems stated only)"``: a stated theorem is never a silent pass."""
        word = "PASSED" if self.passed else "FAILED"
        sn = self.says_nothing()
        parts = []
        if sn["stated"]:
            parts.append(f"{len(sn['stated'])} of {len(self.theorems)} theorems stated only")
        if sn["trivial"]:
            parts.append(f"{len(sn['trivial'])} of {len(self.theorems)} theorems trivial")
        return f"{word} ({'; '.join(parts)})" if parts else word

    def failures(self) -> list[str]:
        """One line per reason the audit did not pass, each naming its file and node."""
        out = list(self.errors)
        for nid, rep in self.nodes.items():
            if rep.kind != "erratum" and rep.status in words.BAD_STATUSES and rep.status not in ("error", "timeout"):
                why = "; ".join(c.summary for c in rep.checks if not c.passed)[:300]
                if rep.status == "locally checked":
                    bad = [m for m in _closure(self.nodes, nid) if self.nodes[m].status in words.BAD_STATUSES
                           and m != nid]
                    why = f"rests on {', '.join(bad[:5])}, which {'is' if len(bad) == 1 else 'are'} not established"
                out.append(f"{rep.file}: node {nid!r}: {rep.status}: {why}")
        for t in self.theorems.values():
            if t.disallowed:
                where = "; ".join(f"{tag} (from {', '.join(t.trust.get(tag, []) or [t.id])})" for tag in t.disallowed)
                out.append(f"{self.nodes[t.id].file}: node {t.id!r}: rests on leaves outside the allow-list: {where}")
        for e in self.errata.values():
            if not e.passed:
                out.append(f"{self.nodes[e.id].file}: node {e.id!r}: erratum expected {e.expect}, got {e.outcome}")
        return out

    def _trust_map(self, node_id: str) -> dict[str, list[str]]:
        out: dict[str, set[str]] = {}
        seen = {node_id}
        stack = [node_id]
        while stack:
            m = stack.pop()
            rep = self.nodes[m]
            for t in _own_leaf_tags(rep):
                out.setdefault(t, set()).add(m)
            for d in rep.support:
                if d not in seen:
                    seen.add(d)
                    stack.append(d)
        return {k: sorted(v) for k, v in sorted(out.items())}


def _own_leaf_tags(rep: NodeReport) -> list[str]:
    tags = list(rep.trust)
    if rep.own not in ("checked", "defined") and not (rep.own == "unchecked" and not rep.expressible):
        tags.append("unchecked")
    return tags


def default_proofs_dir() -> Path:
    """The repository's ``proofs/`` folder (next to the ``checker`` package)."""
    import checker

    p = Path(checker.__file__).resolve().parents[1] / "proofs"
    if not p.is_dir():
        raise InvalidArgument("paths", str(p), "does not exist: the default proofs/ folder is missing",
                              hint="pass outline files or folders explicitly")
    return p


def build_graph(outlines: list[Outline], *, lint: bool = False) -> tuple[nx.DiGraph, list[str]]:
    """The dependency DiGraph (edges dep -> node) and the lint warnings (only with ``lint``);
    raises OutlineError on dangling references and cycles."""
    g = nx.DiGraph()
    nodes = {n.id: n for o in outlines for n in o.nodes}
    for n in nodes.values():
        g.add_node(n.id, kind=n.kind, file=n.file)
    for n in nodes.values():
        for kind, deps in (("statement", n.uses_statement), ("proof", n.uses_proof),
                           ("logic", tuple(u for u, _ in n.uses))):
            for d in deps:
                if d not in nodes:
                    from checker.validate import suggest

                    close = suggest(d, nodes)
                    hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
                    field_ = "uses" if kind == "logic" else f"uses_{kind}"
                    raise OutlineError(f"{field_} names unknown node {d!r}{hint}", file=n.file, node=n.id)
                if d == n.id:
                    raise OutlineError("a node may not depend on itself", file=n.file, node=n.id)
                if g.has_edge(d, n.id):
                    if g.edges[d, n.id]["kind"] != kind:
                        g.edges[d, n.id]["kind"] = "logic" if "logic" in (kind, g.edges[d, n.id]["kind"]) else "both"
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
    warnings: list[str] = []
    if lint:
        for n in nodes.values():
            if n.kind not in ("theorem", "erratum") and g.out_degree(n.id) == 0:
                warnings.append(f"{n.file}: node {n.id!r}: orphan (no node depends on it)")
        red = nx.transitive_reduction(g)
        for u, v in g.edges:
            if not red.has_edge(u, v):
                warnings.append(f"{nodes[v].file}: node {v!r}: edge from {u!r} is transitively redundant")
    return g, warnings


def load_allowlist(path: Path | None) -> dict[str, list[str]]:
    """``{"default": [...], "<theorem id>": [...]}`` from an allow-list TOML file; a malformed
    file is an :class:`OutlineError` naming it (never a pass)."""
    if path is None:
        return {"default": list(PROOF_TAGS)}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise OutlineError(f"allow-list unreadable: {type(exc).__name__}: {exc}", file=str(path)) from None

    def patterns(tbl, where) -> list[str]:
        if not isinstance(tbl, dict):
            raise OutlineError(f"{where} must be a table with an 'allow' list", file=str(path))
        for key in tbl:
            if key != "allow":
                raise OutlineError(f"{where}: unknown key {key!r} (allowed: allow)", file=str(path))
        allow = tbl.get("allow", [])
        if not isinstance(allow, list) or not all(isinstance(a, str) and a.strip() for a in allow):
            raise OutlineError(f"{where}.allow must be a list of non-empty strings, got {allow!r}",
                               file=str(path))
        for a in allow:
            if a.strip() in ("*", "**"):
                raise OutlineError(f"{where}.allow: the pattern {a!r} would allow everything", file=str(path))
            if a.startswith("assumed:") and a.endswith(".hypotheses"):
                raise OutlineError(f"{where}.allow: {a!r} would also match an assumption node of that name; "
                                   f"undischarged hypotheses are tagged {words.HYPOTHESES_PREFIX}NODE "
                                   f"(write {words.HYPOTHESES_PREFIX + a.removeprefix('assumed:').removesuffix('.hypotheses')!r})",
                                   file=str(path))
        return list(allow)

    for key in data:
        if key not in ("default", "theorem"):
            raise OutlineError(f"unknown table {key!r} (allowed: default, theorem)", file=str(path))
    out = {"default": list(PROOF_TAGS)}
    out["default"] += patterns(data.get("default", {}), "default")
    thms = data.get("theorem", {})
    if not isinstance(thms, dict):
        raise OutlineError("theorem must be a table of tables", file=str(path))
    for tid, tbl in thms.items():
        out[tid] = patterns(tbl, f"theorem.{tid}")
    return out


def _allowed(tag: str, patterns: list[str]) -> bool:
    """Does an allow-list pattern accept ``tag``? In a tag that names a node (``assumed:ID``,
    ``hypotheses:ID``), ``*`` stands for part of one dotted segment of the id, never for a dot,
    so ``assumed:arora.hyp.*`` cannot accept a node ``arora.hyp.x.y`` that someone added later;
    the namespace ``hypotheses:`` (undischarged hypotheses) is reserved and no node id can produce
    it (issue 24.3)."""
    if tag.startswith(words.NODE_TAG_PREFIXES):
        return any(_node_pattern(p).fullmatch(tag) for p in patterns)
    return any(fnmatch.fnmatchcase(tag, p) for p in patterns)


def _node_pattern(p: str):
    import re

    return re.compile("".join("[^.]*" if ch == "*" else "[^.]" if ch == "?" else re.escape(ch) for ch in p))


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


# ---------------------------------------------------------------------------------------------
# premises: used claims, instantiated

def premise_of(node: Node, used: Node, subs_text: dict) -> sp.Basic:
    """The instance of ``used``'s statement under ``subs_text`` (formulas over ``node``'s
    symbols): ``(domains ∧ hypotheses) ⟹ claim`` with every symbol of ``used`` replaced.
    Raises OutlineError when the instance is not explicit or not well-typed."""
    from checker.audit.formula import parse_formula

    ust = used.statement
    if ust.claim is None:
        raise OutlineError(f"uses {used.id!r}, which has no claim to use (expressible = false or prose only)",
                           file=node.file, node=node.id)
    table = dict(node.statement.symbols)
    table.update(node.statement.defines)
    free = {s.name for s in ust.claim.free_symbols}
    for h in ust.hypotheses:
        free |= {s.name for s in h.free_symbols}
    free &= set(ust.symbols)
    missing = sorted(free - set(subs_text))
    if missing:
        raise OutlineError(f"uses {used.id!r}: symbols {missing} are not instantiated (give subs for every "
                           "symbol of the used claim, e.g. x = \"x\")", file=node.file, node=node.id)
    extra = sorted(set(subs_text) - set(ust.symbols))
    if extra:
        raise OutlineError(f"uses {used.id!r}: subs names {extra}, which are not symbols of that node",
                           file=node.file, node=node.id)
    sigma = {}
    conds = []
    for name in sorted(free):
        val = parse_formula(subs_text[name], table, file=node.file, node=node.id)
        if not isinstance(val, sp.Expr):
            raise OutlineError(f"uses {used.id!r}: subs {name} must be an expression", file=node.file, node=node.id)
        dom = ust.domains[name]
        if dom.endswith("integer") and val.is_integer is not True:
            raise OutlineError(f"uses {used.id!r}: {name} is {dom} but {subs_text[name]!r} is not known to be "
                               "an integer", file=node.file, node=node.id)
        if dom in ("positive", "positive_integer"):
            conds.append(sp.StrictGreaterThan(val, 0))
        elif dom in ("nonnegative", "nonnegative_integer"):
            conds.append(sp.GreaterThan(val, 0))
        elif dom == "negative":
            conds.append(sp.StrictLessThan(val, 0))
        sigma[ust.symbols[name]] = val
    # capture-avoiding (issue 24.1): the used statement's bound names (Sum/Product indices) are
    # renamed to fresh names, which no outline symbol can spell (they start with "_"), before
    # the substitution puts this node's formulas under them
    fresh = _fresh_bound_names(list(ust.hypotheses) + [ust.claim])
    inst_h = [_rename_bound(h, fresh).xreplace(sigma) for h in ust.hypotheses]
    inst_c = _rename_bound(ust.claim, fresh).xreplace(sigma)
    ante = [c for c in conds + inst_h if c is not sp.true]
    if any(c is sp.false for c in ante):
        return sp.true
    return sp.Implies(sp.And(*ante), inst_c) if ante else inst_c


# ---------------------------------------------------------------------------------------------
# cache: keyed by everything the verdict depends on, each entry hashed
#
# What the hashes protect against (issue 24.4): the key (a SHA-256 of the checker version, the
# engines' source, the node's statement and the check's options) makes a change of any of them
# miss the cache; the entry hash (a SHA-256 of key and result) makes an entry that was truncated,
# corrupted on disk or written for another key be rejected and recomputed. Neither is a
# signature: whoever can write the cache folder can write an entry with a matching hash. So a
# cached *passing* verdict is never taken on its word: by default it is recomputed (a cached
# failure may be reused, since it can only make the audit stricter). Only with
# ``trust_cache=True`` (``checker audit --trust-cache``, or CHECKER_AUDIT_TRUST_CACHE=1) are
# cached passes reused, and the result counts them (``cache_trusted``) so the report can say so.

def _cache_dir() -> Path:
    env = os.environ.get("CHECKER_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "checker" / "audit"


_ENGINE_SRC: str | None = None


def _engine_source_hash() -> str:
    global _ENGINE_SRC
    if _ENGINE_SRC is None:
        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for name in _ENGINE_FILES:
            h.update(name.encode())
            h.update((here / name).read_bytes())
        _ENGINE_SRC = h.hexdigest()
    return _ENGINE_SRC


def _cache_key(n: Node, spec: CheckSpec, quick: bool, premises=()) -> str:
    from checker import __version__

    payload = {"checker": __version__, "engine": ENGINE_VERSION, "engine_src": _engine_source_hash(),
               "node": n.id, "kind": n.kind, "statement": n.statement.source,
               "check": {"kind": spec.kind, **spec.options}, "quick": quick,
               "premises": [[label, sp.srepr(f)] for label, f in premises]}
    if spec.kind == "experiment":
        try:
            import inspect

            from checker import experiments

            mod = inspect.getsourcefile(experiments.get(spec.options["name"]).func)
            if not mod:
                return ""
            h = hashlib.sha256()
            pkg = Path(mod).resolve().parent
            for root in (pkg, pkg.parent / "bounds", pkg.parent / "wrm"):
                for f in sorted(root.rglob("*.py")) if root.is_dir() else []:
                    h.update(str(f.relative_to(pkg.parent)).encode())
                    h.update(f.read_bytes())
            h.update(Path(experiments.__file__).read_bytes())
            payload["experiment_src"] = h.hexdigest()
        except Exception:  # noqa: BLE001 - unknown experiments are never cached
            return ""
    if spec.kind == "library":
        return ""  # compares with the bound library as loaded now: always re-run (about 0.5 s)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _entry_hash(key: str, result: dict) -> str:
    return hashlib.sha256((key + "\n" + json.dumps(result, sort_keys=True, default=str)).encode()).hexdigest()


def _cached_run(n: Node, spec, *, cache: bool, quick: bool, run_experiments: bool, premises=(),
                seconds=None, stats=None, trust_cache: bool = False) -> tuple[CheckResult, bool | None]:
    from checker.io import atomic_write_text, to_jsonable

    if spec.kind in ("cited", "assumed") or (spec.kind == "experiment" and not run_experiments):
        return run_check(n, spec, quick=quick, run_experiments=run_experiments), None
    key = _cache_key(n, spec, quick, premises) if cache else ""
    path = _cache_dir() / f"{key}.json" if key else None
    if path is not None and path.is_file():
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            if (isinstance(d, dict) and d.get("key") == key and isinstance(d.get("result"), dict)
                    and d.get("hash") == _entry_hash(key, d["result"])):
                res = revive_cached(d["result"])
                if res.verdict not in PASS_VERDICTS or trust_cache:
                    if stats is not None and res.verdict in PASS_VERDICTS:
                        stats["trusted"] = stats.get("trusted", 0) + 1
                    return res, True
                if stats is not None:  # a cached pass is re-checked, never taken on its word
                    stats["rechecked"] = stats.get("rechecked", 0) + 1
            elif stats is not None:
                stats["rejected"] += 1
        except (OSError, ValueError, TypeError):
            if stats is not None:
                stats["rejected"] += 1
    res = run_check(n, spec, quick=quick, run_experiments=run_experiments, premises=premises, seconds=seconds)
    if path is not None and res.verdict not in ("error", "skipped", "timeout"):
        try:
            data = to_jsonable(res.__dict__)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps({"key": key, "result": data, "hash": _entry_hash(key, data)}))
        except OSError:
            pass
    return res, False


def _own_state(n: Node, results: list[CheckResult]) -> str:
    verdicts = {r.verdict for r in results}
    for bad in ("refuted", "failed", "error", "timeout", "vacuous", "undecided", "skipped"):
        if bad in verdicts:
            return bad
    if not results:
        return "defined" if n.kind == "definition" else "unchecked"
    if not any(r.verdict in PASS_VERDICTS and r.kind not in _BINDING_ONLY for r in results):
        return "unchecked"  # only binding checks passed: the claim itself is not established
    return "checked"


def _support_and_tags(n: Node, results: list[CheckResult], spec_of: list[CheckSpec]) -> tuple[list[str], list[str], str]:
    """(nodes the node's passing checks used, the node's own leaf tags, mode) with mode
    ``outright`` | ``derived`` | ``informal``."""
    passing = [(r, s) for r, s in zip(results, spec_of) if r.verdict in PASS_VERDICTS]
    # 1. a tool proved the claim outright (whole domain, no premises): that is all it rests on
    outright = [r for r, s in passing if s.kind in _SELF_PROVING and words.category_of(r.trust) == "proved"]
    if outright and n.expressible:
        return [], sorted({r.trust for r in outright}), "outright"
    # 2. a derivation from used claims: exactly the claims in the unsat core
    derived = [r for r, s in passing if s.kind == "derive"]
    if derived:
        used = derived[0].detail.get("used", [])
        ids = sorted({u.removeprefix("uses ").partition(":")[0] for u in used if u.startswith("uses ")})
        return ids, ["derived"], "derived"
    # 3. sampled / experimental / cited / assumed evidence, or nothing formal: every hand-drawn
    #    dependency, conservatively
    return list(n.deps), sorted({r.trust for r, _ in passing}), "informal"


def audit(paths=None, *, cache: bool = True, run_experiments: bool = True, quick: bool = True,
          allowlist: str | Path | None = None, lint: bool = False,
          check_seconds: float | None = None, trust_cache: bool | None = None,
          kernel: bool | None = None) -> AuditResult:
    """Audit the proof outlines under ``paths`` (default: the repository's ``proofs/``).

    Raises :class:`~checker.errors.OutlineError` for malformed outlines (bad TOML, unknown keys,
    unsafe formulas, cycles, dangling or duplicate ids, malformed allow-list). Everything that
    ran is in the result; ``passed`` is true only if no check is refuted, failed, vacuous,
    undecided, timed out or errored, every claim has a check, every theorem's trust is within the
    allow-list and every erratum has its expected outcome. ``lint`` adds orphan and
    redundant-edge warnings; ``check_seconds`` is the wall-clock limit of each check.
    ``trust_cache`` (default: the environment variable CHECKER_AUDIT_TRUST_CACHE=1) reuses
    cached passing verdicts without re-checking them; otherwise they are recomputed (see the
    comment above :func:`_cached_run` for what the cache's hashes do and do not protect against).
    ``kernel`` (issue 23): True re-checks every proved claim in Coq (:mod:`checker.audit.kernel`;
    "fully checked" then means kernel-checked all the way down, otherwise "solver-checked"),
    False labels every such verdict "solver-checked" without running Coq (``--no-kernel``); None
    (the library's default: running coqc costs seconds per outline) does the same and says the
    kernel was not run. Only the kernel earns "fully checked".
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
    g, warnings = build_graph(outlines, lint=lint)
    if allowlist is None:
        for p in paths:
            cand = (p if p.is_dir() else p.parent) / "allowlist.toml"
            if cand.is_file():
                allowlist = cand
                break
    allow = load_allowlist(Path(allowlist) if allowlist else None)
    nodes = {n.id: n for o in outlines for n in o.nodes}
    # premises of every derivation (errors here are outline errors: they name file and node)
    premises: dict[str, list] = {}
    for n in nodes.values():
        if n.uses:
            premises[n.id] = [(f"uses {u}: {sp.sstr(premise_of(n, nodes[u], subs))}",
                               premise_of(n, nodes[u], subs)) for u, subs in n.uses]
    errors: list[str] = []
    results: dict[str, list[CheckResult]] = {}
    specs: dict[str, list[CheckSpec]] = {}
    hits = ran = on_trust = 0
    stats = {"rejected": 0, "trusted": 0, "rechecked": 0}
    if trust_cache is None:
        trust_cache = os.environ.get("CHECKER_AUDIT_TRUST_CACHE") == "1"
    todo = []
    for n in nodes.values():
        for spec in n.checks:
            todo.append((n, spec))
        if n.uses:
            todo.append((n, CheckSpec(kind="derive", options={}, index=len(n.checks),
                                      note="(hypotheses ∧ used claims) ⟹ claim")))
    for n, spec in progress(todo, desc="audit checks", total=len(todo)):
        res, hit = _cached_run(n, spec, cache=cache, quick=quick, run_experiments=run_experiments,
                               premises=premises.get(n.id, ()) if spec.kind == "derive" else (),
                               seconds=check_seconds, stats=stats, trust_cache=bool(trust_cache))
        if hit is not None:
            hits += hit
            ran += not hit
        else:
            on_trust += 1
        results.setdefault(n.id, []).append(res)
        specs.setdefault(n.id, []).append(spec)
        if res.verdict in ("error", "timeout"):
            errors.append(f"{n.file}: node {n.id!r}: check {spec.index} ({spec.describe()}): {res.verdict}: "
                          f"{res.summary}")
    own = {nid: _own_state(n, results.get(nid, [])) for nid, n in nodes.items()}
    # one pass in topological order: support, leaves, statuses
    order = list(nx.topological_sort(g))
    ops = 0
    modes: dict[str, str] = {}
    support: dict[str, list[str]] = {}
    own_tags: dict[str, list[str]] = {}
    leaves: dict[str, frozenset] = {}
    closure_ok: dict[str, bool] = {}
    for nid in order:
        n = nodes[nid]
        sup, tags, mode = _support_and_tags(n, results.get(nid, []), specs.get(nid, []))
        modes[nid] = mode
        if own[nid] != "checked":
            sup, mode = list(n.deps), "informal"
        if n.kind in ("assumption", "cited"):
            # taken on trust: a leaf, whatever its context edges say, carrying the trust of every
            # passing check (a derivation from used claims must not hide the citation/assumption)
            sup, mode = [], "leaf"
            tags = sorted({r.trust for r in results.get(nid, []) if r.verdict in PASS_VERDICTS})
        hyp_tags = []
        if mode == "informal":
            # a dependency used informally whose hypotheses nothing discharged: an assumption
            for d in sup:
                if nodes[d].statement.hypotheses and nodes[d].kind not in ("theorem", "assumption", "erratum"):
                    hyp_tags.append(f"{words.HYPOTHESES_PREFIX}{d}")
        own_tags[nid] = sorted(set(tags) | set(hyp_tags) | set(_source_tags(n)))
        support[nid] = sup
        lv = set(own_tags[nid])
        ok = own[nid] in ("checked", "defined") or (own[nid] == "unchecked" and not n.expressible)
        if not ok:
            lv.add("unchecked")
        for d in sup:
            ops += 1
            lv |= leaves[d]
            ok = ok and closure_ok[d]
        leaves[nid] = frozenset(lv)
        closure_ok[nid] = ok
    reports: dict[str, NodeReport] = {}
    holder: dict = {}
    for nid in order:
        n = nodes[nid]
        lv = leaves[nid]
        if own[nid] in ("refuted", "failed", "error", "timeout", "vacuous", "undecided", "skipped"):
            status = own[nid]
        elif own[nid] == "defined":
            status = "defined" if closure_ok[nid] else "locally checked"
        elif not n.expressible or own[nid] == "unchecked":
            status = "stated"
        elif not closure_ok[nid]:
            status = "locally checked"
        elif all(words.category_of(t) in ("proved", "source") for t in lv):
            status = "fully checked"
        else:
            status = "checked modulo"
        if (n.kind == "theorem" and status in ("fully checked", "checked modulo") and not n.statement.hypotheses
                and not support[nid]):
            status = "trivial"  # holds with no hypotheses and uses nothing: says nothing (issue 24.6)
        leaf_counts = words.counts(lv)
        border = "ready" if all(own[d] in ("checked", "defined") for d in n.uses_statement) else "stated"
        reports[nid] = NodeReport(id=nid, kind=n.kind, title=n.title, file=n.file, own=own[nid], status=status,
                                  border=border, variant=bool(n.variant), checks=tuple(results.get(nid, [])),
                                  trust=tuple(own_tags[nid]), node=n, support=tuple(support[nid]),
                                  leaves=tuple(sorted(lv)), status_text=words.render_status(status, leaf_counts),
                                  weakest=words.weakest(lv), expressible=n.expressible, _result=holder)
    theorems: dict[str, TheoremReport] = {}
    for nid, n in nodes.items():
        if n.kind != "theorem":
            continue
        rep = reports[nid]
        patterns = allow["default"] + allow.get(nid, [])
        bad = tuple(t for t in sorted(rep.leaves) if t == "unchecked" or not _allowed(t, patterns))
        if rep.status in SAYS_NOTHING and not _allowed(rep.status, patterns):
            bad = (rep.status,) + bad  # the allow-list must name `stated` / `trivial` to accept it
        theorems[nid] = dict(rep=rep, bad=bad)
    for tid in allow:
        if tid != "default" and tid not in theorems:
            warnings.append(f"allow-list names {tid!r}, which is not a theorem node of the audited outlines")
    errata: dict[str, ErratumReport] = {}
    for nid, n in nodes.items():
        if n.kind != "erratum":
            continue
        verdicts = [r.verdict for r in results.get(nid, [])]
        if "refuted" in verdicts and not set(verdicts) & {"error", "timeout"}:
            outcome = "refuted"
        elif verdicts and all(v in ("proved",) for v in verdicts):
            outcome = "confirmed"
        else:
            outcome = "inconclusive"
        errata[nid] = ErratumReport(id=nid, title=n.title, slide=n.slide, expect=n.expect, outcome=outcome,
                                    evidence=tuple(r.summary for r in results.get(nid, [])),
                                    passed=outcome == n.expect)
    unchecked = [nid for nid, n in nodes.items()
                 if n.kind != "erratum" and reports[nid].status in words.BAD_STATUSES]
    claims_without_checks = [nid for nid, n in nodes.items()
                             if n.statement.claim is not None and not results.get(nid)]
    for nid in claims_without_checks:
        errors.append(f"{nodes[nid].file}: node {nid!r}: has a claim but no check (a claim nothing checks "
                      "is stated, not established)")
    result = AuditResult(nodes=reports, theorems={}, errata=errata, errors=tuple(errors), warnings=tuple(warnings),
                         files=tuple(str(f) for f in files),
                         allowlist=str(allowlist) if allowlist else "(none: only proof tags allowed)",
                         passed=False, graph=g, outlines=tuple(outlines), cache_hits=hits, checks_run=ran,
                         checks_on_trust=on_trust, checks_total=len(todo),
                         cache_rejected=stats["rejected"], operations=ops, cache_trusted=stats["trusted"],
                         cache_rechecked=stats["rechecked"])
    holder_result = result
    for rep in reports.values():
        object.__setattr__(rep, "_result", holder_result)
    for nid, d in theorems.items():
        rep, bad = d["rep"], d["bad"]
        closure = _closure(reports, nid)
        counts: dict[str, int] = {}
        for m in closure:
            counts[reports[m].status] = counts.get(reports[m].status, 0) + 1
        ok_status = rep.status in ("fully checked", "checked modulo") or (
            rep.status == "stated" and not rep.expressible and not bad) or (rep.status == "trivial" and not bad)
        result.theorems[nid] = TheoremReport(
            id=nid, title=rep.title, status=rep.status, trust=rep.inherited_trust, disallowed=bad,
            counts=dict(sorted(counts.items())), passed=ok_status and not bad, status_text=rep.status_text,
            leaf_counts=words.counts(rep.leaves), weakest=rep.weakest, expressible=rep.expressible)
    # the Coq kernel decides (issue 23): kernel-checked / solver-checked, Print Assumptions. When
    # it does not run (kernel False or None), every proved verdict says solver-checked: "fully
    # checked" is earned only by the kernel.
    from checker.audit.kernel.verdict import NOT_RUN, SKIPPED, apply_kernel

    errors += apply_kernel(result, nodes, modes, order, kernel=bool(kernel),
                           cache_dir=_cache_dir() / "kernel" if cache else None,
                           note=SKIPPED if kernel is False else NOT_RUN)
    object.__setattr__(result, "errors", tuple(errors))
    passed = (not errors and not unchecked and all(t.passed for t in result.theorems.values())
              and all(e.passed for e in errata.values()))
    object.__setattr__(result, "passed", passed)
    return result


def _closure(reports: dict[str, NodeReport], nid: str) -> list[str]:
    seen = {nid}
    stack = [nid]
    while stack:
        m = stack.pop()
        for d in reports[m].support:
            if d not in seen:
                seen.add(d)
                stack.append(d)
    return sorted(seen)


def trust_report(result: AuditResult, node_id: str) -> dict[str, list[str]]:
    """The trust of ``node_id`` computed from what its checks used (like Lean's
    ``#print axioms``): leaf tag -> contributing nodes."""
    if node_id not in result.nodes:
        from checker.validate import suggest

        close = suggest(node_id, result.nodes)
        raise InvalidArgument("node", node_id, "is not a node of the audited outlines",
                              hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None)
    return result.nodes[node_id].inherited_trust
