"""The :class:`Statement` record and the statement registry of the bound library.

A statement is one result of a paper (or our explicit-constant derivation of it) as exact sympy
expressions, together with everything a reader needs to judge it: where it comes from, how
reliable that source is (the tags [P] paper, [A] authors, [S] secondary, [R] our
reconstruction, [D] derived, explained in docs/math/sources.md), which symbols it uses with their
domains, where it is valid and when it is vacuous (:class:`Flag`), what it hides (unspecified
constants) and what it assumes. An [R] statement is our own specification, never the paper's.

``form`` says what kind of statement it is:

* ``"paper"``: the paper's own form;
* ``"paper-hidden-constant"``: the paper's form with its hidden absolute constant made an explicit
  symbol (e.g. ``C``);
* ``"derived"``: the project's explicit-constant derivation; the proof audit must check it;
* ``"reported"``: a second-hand statement kept only to refute or qualify it (e.g. T-a).

This module is pure sympy (no numeric back end).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import sympy as sp

from checker.errors import InvalidArgument
from checker.validate import suggest

__all__ = ["Param", "Condition", "Flag", "Statement", "FORMS", "DOMAINS", "FLAG_KINDS", "SENSES",
           "register", "get", "ids", "statements"]

#: Kinds of :class:`Flag`: ``outside_domain`` (the formula is evaluated where the statement does
#: not claim anything, e.g. the paper form with log argument < 1) and ``vacuous`` (the statement
#: holds but says nothing, e.g. a failure probability > 1).
FLAG_KINDS = ("outside_domain", "vacuous")

#: Direction in which an expression gives its guarantee (used to round inversions to the safe
#: side): ``"le"``: the guarantee needs ``expression <= target`` (a required amount such as m*,
#: or an upper bound on a bad event); ``"ge"``: it needs ``expression >= target`` (a lower bound
#: on a good event, e.g. a collision probability).
SENSES = ("le", "ge")

#: Allowed values of :attr:`Statement.form`.
FORMS = ("paper", "paper-hidden-constant", "derived", "reported")

#: Allowed parameter domains and the sympy assumptions each implies.
DOMAINS: Mapping[str, dict] = MappingProxyType({
    "positive": {"positive": True, "finite": True},
    "nonnegative": {"nonnegative": True, "finite": True},
    "real": {"real": True, "finite": True},
    "positive_int": {"positive": True, "integer": True},
    "nonnegative_int": {"nonnegative": True, "integer": True},
    "probability": {"positive": True, "finite": True},     # open interval (0, 1)
    "unit_interval": {"positive": True, "finite": True},   # half-open (0, 1]
    "at_least_one": {"positive": True, "finite": True},    # [1, oo), e.g. Delta >= 1
})


@dataclass(frozen=True, kw_only=True)
class Param:
    """One symbol of a statement.

    ``name`` is the Python / CLI name (``L_phi`` is given on the command line as ``--L-phi``);
    ``paper`` is the paper's notation in LaTeX; ``default`` (exact) is used when the caller gives
    no value and ``default_note`` says why it is a default and not the paper's value;
    ``hidden=True`` marks an unspecified constant of the paper (e.g. ``b_1``): a statement is never
    evaluated to a number while a hidden constant without a default is unset.
    """

    name: str
    paper: str
    description: str
    domain: str = "positive"
    default: sp.Rational | int | None = None
    default_note: str = ""
    hidden: bool = False

    def __post_init__(self):
        if self.domain not in DOMAINS:
            raise InvalidArgument("domain", self.domain, f"must be one of {sorted(DOMAINS)}")
        if not self.name.isidentifier():
            raise InvalidArgument("name", self.name, "must be a Python identifier")
        if self.default is not None:
            # exact: a float at its shortest decimal value (nsimplify would round to 15 digits)
            d = self.default
            exact = d if isinstance(d, sp.Basic) else (
                sp.Rational(repr(float(d))) if isinstance(d, float) else sp.Rational(d))
            object.__setattr__(self, "default", exact)

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name, **DOMAINS[self.domain])

    @property
    def is_integer(self) -> bool:
        return self.domain.endswith("_int")

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True, kw_only=True)
class Condition:
    """A side condition among parameters (e.g. ``gamma > L_zz``) that an evaluation checks.

    ``param`` names the parameter blamed when the condition fails; ``rule`` is the message.
    """

    relation: sp.Basic
    param: str
    rule: str


@dataclass(frozen=True, kw_only=True)
class Flag:
    """A validity-domain or vacuity condition of a statement, reported (never raised) by
    :func:`checker.bounds.evaluate`.

    ``when`` is a sympy relation in the statement's parameters that is **true when the flag
    applies** (e.g. ``log_arg < 1``); ``exprs`` names the expressions it concerns (empty: all);
    ``message`` says what it means for the reader.
    """

    kind: str
    when: sp.Basic
    message: str
    exprs: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in FLAG_KINDS:
            raise InvalidArgument("kind", self.kind, f"must be one of {', '.join(FLAG_KINDS)}")


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One result of a paper (or our derivation), exactly, with its provenance."""

    id: str
    title: str
    summary: str
    paper: str
    reference: str
    reliability: str
    form: str
    params: tuple[Param, ...]
    exprs: tuple[tuple[str, sp.Expr], ...]
    primary: str = ""
    relations: tuple[tuple[str, sp.Basic], ...] = ()
    conditions: tuple[Condition, ...] = ()
    hidden: tuple[str, ...] = ()
    assumed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sequence_params: tuple[Param, ...] = ()
    flags: tuple[Flag, ...] = ()
    senses: tuple[tuple[str, str], ...] = ()
    module: str = field(default="", compare=False)

    def __post_init__(self):
        if self.form not in FORMS:
            raise InvalidArgument("form", self.form, f"must be one of {', '.join(FORMS)}")
        if not self.exprs:
            raise InvalidArgument("exprs", self.exprs, "must name at least one expression")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise InvalidArgument("params", names, "must have distinct names")
        if not self.primary:
            object.__setattr__(self, "primary", self.exprs[0][0])
        if self.primary not in dict(self.exprs):
            raise InvalidArgument("primary", self.primary, "must name one of the expressions")
        known = {p.name for p in self.params}
        for key, e in self.exprs:  # relations may name quantities (e.g. gap) that are not inputs
            labels = {b.label.name for b in e.atoms(sp.IndexedBase)}
            free = {s.name for s in e.free_symbols
                    if (type(s) is sp.Symbol or isinstance(s, sp.Dummy))} - labels
            assert labels <= {q.name for q in self.sequence_params}, \
                f"{self.id}:{key} uses undeclared per-layer sequences {labels}"
            assert free <= known, f"{self.id}:{key} uses undeclared symbols {free - known}"
        for fl in self.flags:
            names = {x.name for x in fl.when.free_symbols}
            assert names <= known, f"{self.id}: flag uses undeclared symbols {names - known}"
            assert not fl.exprs or set(fl.exprs) & set(dict(self.exprs)), f"{self.id}: flag exprs"
        for key, sense in self.senses:
            assert key in dict(self.exprs) and sense in SENSES, (self.id, key, sense)

    def sense(self, name: str) -> str | None:
        """The guarantee direction of expression ``name`` (see :data:`SENSES`), if declared."""
        return dict(self.senses).get(name)

    # -- convenient views -------------------------------------------------------------------
    @property
    def expressions(self) -> dict[str, sp.Expr]:
        return dict(self.exprs)

    @property
    def expression(self) -> sp.Expr:
        """The primary expression."""
        return self.expressions[self.primary]

    @property
    def symbols(self) -> dict[str, sp.Symbol]:
        return {p.name: p.symbol for p in self.params}

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        close = suggest(name, [p.name for p in self.params])
        raise InvalidArgument(
            "parameter", name, f"is not a parameter of {self.id!r} "
            f"(parameters: {', '.join(p.name for p in self.params) or 'none'})",
            hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None)

    def latex(self, name: str | None = None) -> str:
        """LaTeX of one named expression (default: all expressions and relations)."""
        if name is not None:
            items = {**self.expressions, **dict(self.relations)}
            if name not in items:
                raise InvalidArgument("name", name, f"is not an expression of {self.id!r}",
                                      hint=f"choose from {', '.join(items)}")
            return sp.latex(items[name])
        parts = [f"{k} = {sp.latex(e)}" for k, e in self.exprs]
        parts += [f"{k}: {sp.latex(r)}" for k, r in self.relations]
        return r" \\ ".join(parts)

    def describe(self) -> dict:
        """A JSON-friendly description (exact expressions as strings and LaTeX)."""
        return {
            "id": self.id, "title": self.title, "summary": self.summary, "paper": self.paper,
            "reference": self.reference, "reliability": self.reliability, "form": self.form,
            "params": [{"name": p.name, "paper": p.paper, "description": p.description,
                        "domain": p.domain,
                        "default": None if p.default is None else str(p.default),
                        "default_note": p.default_note, "hidden": p.hidden}
                       for p in self.params],
            "sequence_params": [{"name": p.name, "paper": p.paper, "description": p.description}
                                for p in self.sequence_params],
            "expressions": {k: str(e) for k, e in self.exprs},
            "relations": {k: str(r) for k, r in self.relations},
            "latex": self.latex(),
            "conditions": [c.rule for c in self.conditions],
            "flags": [{"kind": f.kind, "when": str(f.when), "message": f.message,
                       "expressions": list(f.exprs)} for f in self.flags],
            "hidden": list(self.hidden), "assumed": list(self.assumed), "notes": list(self.notes),
        }


_REGISTRY: dict[str, Statement] = {}


def register(stmt: Statement) -> Statement:
    """Add ``stmt`` to the registry (ids are unique)."""
    assert stmt.id not in _REGISTRY or _REGISTRY[stmt.id] == stmt, f"duplicate id {stmt.id}"
    _REGISTRY[stmt.id] = stmt
    return stmt


def _load(statement_id: str) -> None:
    """Import the module of one statement (static table; no other statement module loads)."""
    import importlib

    from checker.bounds._modules import STATEMENT_MODULES

    mod = STATEMENT_MODULES.get(statement_id)
    if mod is not None and statement_id not in _REGISTRY:
        importlib.import_module(mod)


def _load_all() -> None:
    for sid in ids():
        _load(sid)


def get(statement_id: str) -> Statement:
    """The statement with this id; unknown ids raise :class:`InvalidArgument` with suggestions.
    Only the statement's own module is imported."""
    if isinstance(statement_id, Statement):
        return statement_id
    if not isinstance(statement_id, str):
        raise InvalidArgument("id", statement_id, "must be a statement id (a string)")
    _load(statement_id)
    try:
        return _REGISTRY[statement_id]
    except KeyError:
        close = suggest(str(statement_id), ids())
        raise InvalidArgument("id", statement_id, "is not a known bound statement id",
                              hint=(f"did you mean {' or '.join(map(repr, close))}?" if close
                                    else "list them with `checker bound --list`")) from None


def ids() -> list[str]:
    """All statement ids, in listing order (a static table: no statement module is imported)."""
    from checker.bounds._modules import STATEMENT_MODULES

    return list(STATEMENT_MODULES)


def statements() -> list[Statement]:
    """All statements, in listing order (imports every statement module)."""
    _load_all()
    return [_REGISTRY[k] for k in ids()]
