"""Proof outlines: the ``proofs/*.toml`` format, loaded into frozen records.

An outline file has an ``[outline]`` table and an array of ``[[node]]`` tables. Every node has an
``id``, a ``kind`` (:data:`NODE_KINDS`), a ``provenance`` (paper, version, where, reliability tag
as in docs/math/sources.md), an optional ``statement`` (declared ``symbols`` with domains, ordered
``define`` abbreviations, ``hypotheses`` and a ``claim``, which may be a conjunction of
comparisons), two kinds of dependency edge (``uses_statement`` and ``uses_proof``, as in Lean's
blueprint), ``uses`` (the claims a derivation uses, each with an explicit substitution of its
symbols: these edges carry logic, see :mod:`checker.audit.auditor`), ``expressible`` (false when
the formula language cannot state the node's result: its status is then at most "stated") and
``checks``. Formula strings
are parsed by :func:`checker.audit.formula.parse_formula` (never evaluated as code).

Statuses are derived by the auditor; a hand-written ``status`` key is rejected, and so is every
unknown key (a misspelled option must never be silently ignored). The format is documented in
``proofs/README.md`` and ``docs/guide/outlines.md``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy as sp

from checker.audit.formula import parse_exact_number, parse_formula
from checker.errors import OutlineError
from checker.validate import suggest

__all__ = ["NODE_KINDS", "CHECK_KINDS", "DOMAINS", "RELIABILITY", "Provenance", "CheckSpec",
           "Statement", "Node", "Outline", "load_outline", "load_outlines", "parse_outline_text"]

NODE_KINDS = ("definition", "assumption", "cited", "lemma", "step", "theorem", "erratum")

#: check kind -> allowed option keys (``kind`` and ``note`` are always allowed)
CHECK_KINDS: Mapping[str, tuple[str, ...]] = {
    "symbolic": ("slack",),
    "smt": ("timeout_ms",),
    "interval": ("box", "max_boxes", "prec"),
    "property": ("box", "max_examples", "seed"),
    "evaluate": ("at",),
    "experiment": ("name", "seed"),
    "cited": ("name", "reference"),
    "assumed": ("reason",),
    "library": ("statement", "expr", "equals"),
}
_REQUIRED = {"experiment": ("name",), "cited": ("name", "reference"), "assumed": ("reason",),
             "interval": ("box",), "library": ("statement", "expr", "equals")}
_NEEDS_CLAIM = ("symbolic", "smt", "interval", "property", "evaluate")

#: symbol domain -> sympy assumptions
DOMAINS: Mapping[str, dict] = {
    "real": {"real": True},
    "positive": {"positive": True},
    "nonnegative": {"nonnegative": True},
    "negative": {"negative": True},
    "integer": {"integer": True},
    "positive_integer": {"integer": True, "positive": True},
    "nonnegative_integer": {"integer": True, "nonnegative": True},
}

#: reliability tags (docs/math/sources.md) accepted in ``provenance.reliability``
RELIABILITY = ("P", "P via S", "A", "S", "R", "D", "C", "R, standard")

_NODE_KEYS = ("id", "kind", "title", "provenance", "statement", "uses_statement", "uses_proof",
              "uses", "expressible", "checks", "paper_statement", "variant", "expect", "slide", "notes",
              "coq_proof", "coq_theorem")
_COQ_THEOREM_KEYS = ("file", "name", "axioms")
_USES_KEYS = ("node", "subs")

#: Caps on check options (issue 13: no option may make a check run unboundedly).
MAX_TIMEOUT_MS = 120_000
MAX_BOXES = 200_000
MAX_EXAMPLES = 100_000
PREC_RANGE = (24, 4096)
#: Largest |endpoint| and denominator of a box or evaluation point.
MAX_ENDPOINT = 10 ** 12
_STATEMENT_KEYS = ("symbols", "define", "hypotheses", "claim", "text")
_PROV_KEYS = ("paper", "version", "where", "reliability")
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, kw_only=True)
class Provenance:
    paper: str
    version: str
    where: str
    reliability: str

    @property
    def tags(self) -> tuple[str, ...]:
        """The bracketed reliability tags, e.g. ``"[S] statement, [R] constants"`` -> (S, R)."""
        return tuple(t.strip() for t in re.findall(r"\[([^\]]+)\]", self.reliability))


@dataclass(frozen=True, kw_only=True)
class CheckSpec:
    kind: str
    options: Mapping[str, Any]
    index: int
    note: str = ""

    def describe(self) -> str:
        if self.kind == "experiment":
            return f"experiment {self.options['name']}"
        if self.kind == "cited":
            return f"cited {self.options['name']}"
        return self.kind


@dataclass(frozen=True, kw_only=True)
class Statement:
    """A parsed statement: sympy symbols, definitions, hypotheses and claim."""

    symbols: Mapping[str, sp.Symbol]
    domains: Mapping[str, str]
    defines: Mapping[str, sp.Expr]
    hypotheses: tuple[sp.Basic, ...]
    claim: sp.Basic | None
    text: str
    source: Mapping[str, Any]  # the raw strings, for hashing and display
    #: side conditions of the claim (and of the abbreviations it names), read from its source
    #: text before sympy simplifies anything: denominators != 0, sqrt arguments >= 0, log
    #: arguments > 0, non-integer power bases, Sum/Product ranges (issue 24.2). Each is a
    #: ``(text, relation)`` pair that the engines must prove from the domains and hypotheses.
    conditions: tuple = ()


@dataclass(frozen=True, kw_only=True)
class Node:
    id: str
    kind: str
    title: str
    file: str
    provenance: Provenance
    statement: Statement
    uses_statement: tuple[str, ...]
    uses_proof: tuple[str, ...]
    checks: tuple[CheckSpec, ...]
    uses: tuple[tuple[str, Mapping[str, str]], ...] = ()
    expressible: bool = True
    paper_statement: str = ""
    variant: tuple[str, ...] = ()
    expect: str = ""
    slide: str = ""
    notes: str = ""
    #: a Coq proof script for the node's translated claim (issue 23.3): the kernel checks it
    coq_proof: str = ""
    #: the node's result stated for real in a Coq file (issue 23.7): (file, theorem name,
    #: node ids of the cited/assumed leaves it may rest on); see checker.audit.kernel.theorems
    coq_theorem: tuple[str, str, tuple[str, ...]] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def deps(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.uses_statement + self.uses_proof + tuple(u for u, _ in self.uses)))


@dataclass(frozen=True, kw_only=True)
class Outline:
    id: str
    title: str
    file: str
    paper: str
    nodes: tuple[Node, ...]


def _err(msg, file, node=None):
    return OutlineError(msg, file=file, node=node)


def _check_keys(table: Mapping, allowed, where: str, file, node):
    for key in table:
        if key == "status":
            raise _err(f"{where}: 'status' may not be written by hand; the auditor derives it "
                       "from the checks that ran", file, node)
        if key not in allowed:
            close = suggest(key, allowed)
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
            raise _err(f"{where}: unknown key {key!r}{hint}; allowed: {', '.join(allowed)}", file, node)


def _str(value, what, file, node, *, required=True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _err(f"{what} must be a non-empty string, got {value!r}", file, node)
    return value


def _str_list(value, what, file, node) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _err(f"{what} must be a list of strings, got {value!r}", file, node)
    return tuple(value)


def _formula_text(value, what, file, node) -> str:
    # TOML numbers are accepted as formulas through their decimal text (exact)
    if isinstance(value, bool):
        raise _err(f"{what} must be a formula string, got {value!r}", file, node)
    if isinstance(value, (int, float)):
        return repr(value)
    return _str(value, what, file, node)


def _parse_statement(raw, file, nid) -> Statement:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _err("statement must be a table", file, nid)
    _check_keys(raw, _STATEMENT_KEYS, "statement", file, nid)
    syms_raw = raw.get("symbols", {})
    if not isinstance(syms_raw, dict):
        raise _err("statement.symbols must be a table name = domain", file, nid)
    symbols: dict[str, sp.Symbol] = {}
    domains: dict[str, str] = {}
    for name, dom in syms_raw.items():
        if not name.isascii():
            raise _err(f"symbol name {name!r} must be ASCII (look-alike letters fold to other names)",
                       file, nid)
        if not name.isidentifier() or name.startswith("_"):
            raise _err(f"symbol name {name!r} must be an identifier without leading underscore", file, nid)
        if name in ("pi", "E") or name in __import__("checker.audit.formula", fromlist=["x"]).FUNCTIONS:
            raise _err(f"symbol name {name!r} shadows a built-in constant or function", file, nid)
        if dom not in DOMAINS:
            close = suggest(str(dom), DOMAINS)
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
            raise _err(f"symbol {name!r}: unknown domain {dom!r}{hint}; allowed: {', '.join(DOMAINS)}",
                       file, nid)
        symbols[name] = sp.Symbol(name, **DOMAINS[dom])
        domains[name] = dom
    table: dict[str, sp.Basic] = dict(symbols)
    defines: dict[str, sp.Expr] = {}
    define_conditions: dict[str, list] = {}
    def_raw = raw.get("define", {})
    if not isinstance(def_raw, dict):
        raise _err("statement.define must be a table name = formula", file, nid)
    for name, text in def_raw.items():
        if name in table or not name.isascii() or not name.isidentifier() or name.startswith("_"):
            raise _err(f"define {name!r}: name is not a fresh identifier", file, nid)
        dconds: list = []
        expr = parse_formula(_formula_text(text, f"define {name}", file, nid), table, file=file, node=nid,
                             conditions=dconds, define_conditions=define_conditions)
        define_conditions[name] = dconds
        if not isinstance(expr, sp.Expr):
            raise _err(f"define {name!r} must be an expression, not a relation", file, nid)
        defines[name] = expr
        table[name] = expr
    hyps = []
    for h in _str_list(raw.get("hypotheses"), "statement.hypotheses", file, nid):
        val = parse_formula(h, table, file=file, node=nid, allow_bool=True)
        if isinstance(val, sp.Expr):
            raise _err(f"hypothesis {h!r} must be a comparison", file, nid)
        hyps.append(val)
    claim = None
    conditions: list = []
    if "claim" in raw:
        text = _formula_text(raw["claim"], "statement.claim", file, nid)
        claim = parse_formula(text, table, file=file, node=nid, allow_bool=True, conditions=conditions,
                              define_conditions=define_conditions)
        if not _is_conjunction(claim):
            raise _err(f"claim {text!r} must be a comparison (< <= > >= ==) or a conjunction of "
                       "comparisons joined by 'and'", file, nid)
        _check_real(claim, f"claim {text!r}", file, nid)
    for h in hyps:
        _check_real(h, "hypothesis", file, nid)
    src = {"symbols": dict(syms_raw), "define": {k: str(v) for k, v in def_raw.items()},
           "hypotheses": list(raw.get("hypotheses") or []),
           "claim": str(raw.get("claim")) if "claim" in raw else None}
    bound = set()
    for e in hyps + ([claim] if claim is not None else []):
        for sub in sp.preorder_traversal(e):
            if isinstance(sub, (sp.Sum, sp.Product)):
                bound |= {lim[0].name for lim in sub.limits}
    free = {sym.name for e in hyps + ([claim] if claim is not None else []) for sym in e.free_symbols}
    if bound & free:
        raise _err(f"symbol {sorted(bound & free)[0]!r} is the index of a Sum/Product and is also used free in "
                   "the statement: give the index its own name (a bound name may not be captured)", file, nid)
    return Statement(symbols=symbols, domains=domains, defines=defines, hypotheses=tuple(hyps),
                     claim=claim, conditions=tuple(conditions), text=_str(raw.get("text"), "statement.text", file, nid, required=False),
                     source=src)


def _is_conjunction(v) -> bool:
    if isinstance(v, sp.And):
        return all(_is_conjunction(a) for a in v.args)
    return isinstance(v, sp.core.relational.Relational) and not isinstance(v, sp.Unequality)


def _check_real(v, what, file, nid):
    """Comparisons of non-real numbers (e.g. ``sqrt(-1) < 1``) are rejected at load time."""
    if v.has(sp.I, sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise _err(f"{what}: contains a number that is not a finite real (I, oo, zoo or nan)", file, nid)
    for sub in sp.preorder_traversal(v):
        if isinstance(sub, sp.Expr) and sub.is_number and sub.is_real is False:
            raise _err(f"{what}: {sp.sstr(sub)[:60]} is not a real number (comparisons are over the reals)",
                       file, nid)


def _parse_uses(raw, file, nid) -> tuple:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _err("uses must be an array of tables { node = ..., subs = { symbol = formula } }", file, nid)
    out = []
    for k, u in enumerate(raw):
        if not isinstance(u, dict):
            raise _err(f"uses[{k}] must be a table", file, nid)
        _check_keys(u, _USES_KEYS, f"uses[{k}]", file, nid)
        target = _str(u.get("node"), f"uses[{k}].node", file, nid)
        subs = u.get("subs", {})
        if not isinstance(subs, dict):
            raise _err(f"uses[{k}].subs must be a table symbol = formula", file, nid)
        for name, val in subs.items():
            if not isinstance(name, str) or not name.isascii():
                raise _err(f"uses[{k}].subs: key {name!r} must be an ASCII symbol name", file, nid)
            _formula_text(val, f"uses[{k}].subs.{name}", file, nid)
        out.append((target, {n: _formula_text(v, f"uses[{k}].subs.{n}", file, nid) for n, v in subs.items()}))
    return tuple(out)


def _parse_check(raw, k, file, nid, statement: Statement) -> CheckSpec:
    if not isinstance(raw, dict):
        raise _err(f"checks[{k}] must be a table", file, nid)
    kind = raw.get("kind")
    if kind not in CHECK_KINDS:
        close = suggest(str(kind), CHECK_KINDS)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        raise _err(f"checks[{k}]: unknown check kind {kind!r}{hint}; allowed: {', '.join(CHECK_KINDS)}",
                   file, nid)
    _check_keys(raw, ("kind", "note") + CHECK_KINDS[kind], f"checks[{k}] ({kind})", file, nid)
    for req in _REQUIRED.get(kind, ()):
        if req not in raw:
            raise _err(f"checks[{k}] ({kind}) needs {req!r}", file, nid)
    if kind in _NEEDS_CLAIM and statement.claim is None:
        raise _err(f"checks[{k}] ({kind}) needs a statement.claim to check", file, nid)
    opts = {key: val for key, val in raw.items() if key not in ("kind", "note")}
    for key in ("box", "at"):
        if key in opts:
            tbl = opts[key]
            if not isinstance(tbl, dict):
                raise _err(f"checks[{k}].{key} must be a table", file, nid)
            for name, val in tbl.items():
                if name not in statement.symbols:
                    raise _err(f"checks[{k}].{key}: {name!r} is not a declared symbol", file, nid)
                vals = val if key == "box" else [val]
                if key == "box" and (not isinstance(val, list) or len(val) != 2):
                    raise _err(f"checks[{k}].box.{name} must be [low, high]", file, nid)
                for v in vals:
                    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                        raise _err(f"checks[{k}].{key}.{name}: {v!r} must be an exact number string", file, nid)
                    if isinstance(v, float):
                        raise _err(f"checks[{k}].{key}.{name}: write {v!r} as a string so it is exact",
                                   file, nid)
                    if isinstance(v, str) and (len(v) > 40 or not v.isascii()):
                        raise _err(f"checks[{k}].{key}.{name}: {v[:40]!r} is not a short exact rational", file, nid)
                    try:  # the grammar and the exponent are checked before any arithmetic
                        q = parse_exact_number(str(v))
                    except (TypeError, ValueError, SyntaxError, sp.SympifyError) as exc:
                        raise _err(f"checks[{k}].{key}.{name}: {exc}", file, nid) from None
                    if not q.is_Rational or abs(q.p) > MAX_ENDPOINT * q.q or q.q > MAX_ENDPOINT:
                        raise _err(f"checks[{k}].{key}.{name}: {v!r} exceeds the cap |value| <= 10^12 "
                                   "(denominator <= 10^12)", file, nid)
                if key == "box" and parse_exact_number(str(val[0])) > parse_exact_number(str(val[1])):
                    raise _err(f"checks[{k}].box.{name}: low > high", file, nid)
    for key in ("max_boxes", "max_examples", "seed", "timeout_ms", "prec"):
        if key in opts and (isinstance(opts[key], bool) or not isinstance(opts[key], int) or opts[key] < 0):
            raise _err(f"checks[{k}].{key} must be a nonnegative integer", file, nid)
    caps = {"timeout_ms": (1, MAX_TIMEOUT_MS), "max_boxes": (1, MAX_BOXES), "max_examples": (1, MAX_EXAMPLES),
            "prec": PREC_RANGE, "seed": (0, 2 ** 32 - 1)}
    for key, (lo, hi) in caps.items():
        if key in opts and not lo <= opts[key] <= hi:
            raise _err(f"checks[{k}].{key}={opts[key]} must be between {lo} and {hi}", file, nid)
    if kind == "symbolic":
        for s in _str_list(opts.get("slack"), f"checks[{k}].slack", file, nid):
            if s not in statement.source["hypotheses"]:
                raise _err(f"checks[{k}].slack entry {s!r} must be one of the node's hypotheses", file, nid)
    for key in ("name", "reference", "reason", "statement", "expr", "equals"):
        if key in opts:
            _str(opts[key], f"checks[{k}].{key}", file, nid)
    return CheckSpec(kind=kind, options=opts, index=k, note=str(raw.get("note", "")))


def _parse_node(raw, file) -> Node:
    if not isinstance(raw, dict):
        raise _err("each [[node]] must be a table", file)
    nid = raw.get("id")
    if not isinstance(nid, str) or not _ID_RE.match(nid):
        raise _err(f"node id {nid!r} must match {_ID_RE.pattern}", file, nid if isinstance(nid, str) else None)
    _check_keys(raw, _NODE_KEYS, "node", file, nid)
    kind = raw.get("kind")
    if kind not in NODE_KINDS:
        close = suggest(str(kind), NODE_KINDS)
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        raise _err(f"unknown node kind {kind!r}{hint}; allowed: {', '.join(NODE_KINDS)}", file, nid)
    prov = raw.get("provenance")
    if not isinstance(prov, dict):
        raise _err("provenance table (paper, version, where, reliability) is required", file, nid)
    _check_keys(prov, _PROV_KEYS, "provenance", file, nid)
    provenance = Provenance(**{k: _str(prov.get(k), f"provenance.{k}", file, nid) for k in _PROV_KEYS})
    for tag in provenance.tags:
        for part in tag.split(","):
            if part.strip() and part.strip() not in ("P", "P via S", "A", "S", "R", "D", "C", "standard",
                                                      "M"):
                raise _err(f"provenance.reliability: unknown tag [{tag}]", file, nid)
    if not provenance.tags:
        raise _err("provenance.reliability must contain a tag such as [P], [S], [R] or [D]", file, nid)
    if any("M" == p.strip() for t in provenance.tags for p in t.split(",")):
        raise _err("provenance.reliability [M] (unverified memory) may not be used as a source", file, nid)
    statement = _parse_statement(raw.get("statement"), file, nid)
    checks_raw = raw.get("checks", [])
    if not isinstance(checks_raw, list):
        raise _err("checks must be an array of tables", file, nid)
    checks = tuple(_parse_check(c, k, file, nid, statement) for k, c in enumerate(checks_raw))
    if kind == "cited" and not any(c.kind == "cited" for c in checks):
        raise _err("a cited node needs a check of kind 'cited' naming the result and reference", file, nid)
    if kind == "assumption" and not any(c.kind == "assumed" for c in checks):
        raise _err("an assumption node needs a check of kind 'assumed' with a reason", file, nid)
    if kind == "definition" and (statement.claim is not None or statement.hypotheses or checks):
        raise _err("a definition node may declare symbols and abbreviations only: a claim, hypothesis "
                   "or check belongs on a lemma/step node that is checked", file, nid)
    expressible = raw.get("expressible", True)
    if not isinstance(expressible, bool):
        raise _err(f"expressible must be true or false, got {expressible!r}", file, nid)
    if not expressible and statement.claim is not None:
        raise _err("a node with expressible = false may not carry a claim (its statement is prose)", file, nid)
    uses = _parse_uses(raw.get("uses"), file, nid)
    if uses and statement.claim is None:
        raise _err("'uses' lists the claims a derivation uses; the node needs a statement.claim", file, nid)
    expect = _str(raw.get("expect"), "expect", file, nid, required=False)
    if kind == "erratum":
        if expect not in ("refuted", "confirmed"):
            raise _err(f"erratum needs expect = 'refuted' or 'confirmed', got {expect!r}", file, nid)
        _str(raw.get("slide"), "slide", file, nid)
        if not checks:
            raise _err("an erratum needs at least one check as evidence", file, nid)
    elif expect:
        raise _err("'expect' is only for erratum nodes", file, nid)
    variant = raw.get("variant", [])
    variant = _str_list(variant, "variant", file, nid)
    coq_proof = _str(raw.get("coq_proof"), "coq_proof", file, nid, required=False)
    if "coq_proof" in raw and (not coq_proof.strip() or statement.claim is None):
        raise _err("coq_proof must be a non-empty Coq proof script for the node's statement.claim", file, nid)
    coq_theorem = _parse_coq_theorem(raw.get("coq_theorem"), file, nid)
    return Node(id=nid, kind=kind, title=_str(raw.get("title"), "title", file, nid), file=file,
                provenance=provenance, statement=statement,
                uses_statement=_str_list(raw.get("uses_statement"), "uses_statement", file, nid),
                uses_proof=_str_list(raw.get("uses_proof"), "uses_proof", file, nid),
                checks=checks, paper_statement=_str(raw.get("paper_statement"), "paper_statement", file,
                                                    nid, required=False),
                variant=variant, expect=expect, uses=uses, expressible=expressible,
                slide=_str(raw.get("slide"), "slide", file, nid, required=False),
                notes=_str(raw.get("notes"), "notes", file, nid, required=False), raw=raw,
                coq_proof=coq_proof, coq_theorem=coq_theorem)


_COQ_FILE_RE = re.compile(r"^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*\.v$")
_COQ_IDENT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_']*$")


def _parse_coq_theorem(raw, file, nid):
    """``coq_theorem = { file = "coq/X.v", name = "thm", axioms = ["cite.a"] }``: a relative
    path below the outline's folder (no ``..``), a Coq identifier, and node ids."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _err("coq_theorem must be a table { file = \"coq/X.v\", name = \"theorem\", axioms = [node ids] }",
                   file, nid)
    _check_keys(raw, _COQ_THEOREM_KEYS, "coq_theorem", file, nid)
    path = _str(raw.get("file"), "coq_theorem.file", file, nid)
    if not _COQ_FILE_RE.match(path):
        raise _err(f"coq_theorem.file {path!r} must be a relative path to a .v file below the outline's folder "
                   "(letters, digits, _ and - only; no '..')", file, nid)
    name = _str(raw.get("name"), "coq_theorem.name", file, nid)
    if not _COQ_IDENT_RE.match(name):
        raise _err(f"coq_theorem.name {name!r} must be a Coq identifier", file, nid)
    axioms = _str_list(raw.get("axioms"), "coq_theorem.axioms", file, nid)
    return (path, name, axioms)


def parse_outline_text(text: str, *, file: str = "<string>") -> Outline:
    """Parse the TOML text of one outline file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OutlineError(f"not valid TOML: {exc}", file=file) from None
    except RecursionError:
        raise OutlineError("not valid TOML: nested too deeply", file=file) from None
    _check_keys(data, ("outline", "node"), "file", file, None)
    meta = data.get("outline")
    if not isinstance(meta, dict):
        raise OutlineError("missing [outline] table (id, title, paper)", file=file)
    _check_keys(meta, ("id", "title", "paper", "description"), "[outline]", file, None)
    nodes_raw = data.get("node", [])
    if not isinstance(nodes_raw, list) or not nodes_raw:
        raise OutlineError("an outline needs at least one [[node]]", file=file)
    nodes = tuple(_parse_node(n, file) for n in nodes_raw)
    seen: set[str] = set()
    for n in nodes:
        if n.id in seen:
            raise OutlineError(f"duplicate node id {n.id!r}", file=file, node=n.id)
        seen.add(n.id)
    return Outline(id=_str(meta.get("id"), "outline.id", file, None),
                   title=_str(meta.get("title"), "outline.title", file, None), file=file,
                   paper=_str(meta.get("paper"), "outline.paper", file, None), nodes=nodes)


def load_outline(path: str | Path) -> Outline:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OutlineError(f"cannot read: {exc}", file=str(p)) from None
    return parse_outline_text(text, file=str(p))


def outline_files(paths) -> list[Path]:
    """Expand files and folders (``*.toml`` except ``allowlist.toml``) in a stable order."""
    out: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            out.extend(sorted(q for q in p.glob("*.toml") if q.name != "allowlist.toml"))
        elif p.is_file():
            out.append(p)
        else:
            from checker.errors import InvalidArgument

            raise InvalidArgument("path", str(p), "does not exist")
    return out


def load_outlines(paths) -> list[Outline]:
    """Load every outline under ``paths``; node ids must be unique across files."""
    outlines = [load_outline(f) for f in outline_files(paths)]
    where: dict[str, str] = {}
    for o in outlines:
        for n in o.nodes:
            if n.id in where:
                raise OutlineError(f"duplicate node id {n.id!r} (also in {where[n.id]})", file=o.file, node=n.id)
            where[n.id] = o.file
    return outlines
