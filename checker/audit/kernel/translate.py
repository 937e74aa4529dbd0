"""Translation of an outline node's statement into a Coq proposition (issue 23.1).

This module is the new trusted part of the audit: what it writes is what the Coq kernel proves,
so it is kept small and literal. It reads the node's **source text** (the raw strings of the
outline, never a sympy-simplified form) with :func:`ast.parse` in ``mode="eval"`` (the loader
has already accepted the same string through :func:`checker.audit.formula.parse_formula`'s
allow-list) and writes one fully parenthesised Coq term per formula:

* domains are explicit: ``real``/``positive``/``nonnegative``/``negative`` symbols are ``R``
  binders with their sign as a hypothesis; every integer domain is a ``Z`` binder
  (``(0 < n)%Z`` for ``positive_integer``), used in real arithmetic through ``IZR``. ``Z`` and
  not ``nat`` because ``M - 1`` must not be truncated at 0; ``nat`` appears only as the
  literal exponent of ``x ^ n``;
* ``Sum``/``Product`` over an integer range become ``ck_sum a b (fun k : Z => ...)`` and
  ``ck_prod``, defined once in ``proofs/coq/CheckerPrelude.v`` (an empty range, ``b < a``, is
  0 and 1);
* names are prefixed (``v_`` symbols, ``d_`` definitions, ``k_`` bound indices), so no name of
  an outline can meet a Coq name or another kind of name, and Coq's binders do the rest:
  substitution by instantiating a lemma cannot capture;
* ``define`` abbreviations become ``let`` binders in order; division, ``sqrt`` and ``ln`` are
  Coq's total functions, so a claim that needs a side condition it does not state is simply
  unprovable;
* used claims are **not** substituted here: :func:`instance` writes the lemma applied to the
  translated ``subs`` (Coq's binders instantiate it).

``diff(e, x, ...)`` becomes Coquelicot's total ``Derive`` over binders that rebind ``x``, with
the definitions in ``e`` inlined (see :meth:`_Tr.diff`).

Anything else (``factorial``, ``binomial``, a non-literal exponent) raises
:class:`Untranslatable`, and the node stays *solver-checked* with that reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from fractions import Fraction
from collections.abc import Mapping

__all__ = ["Untranslatable", "CoqStatement", "coq_name", "translate_statement", "instance", "term"]

#: outline domain -> (Coq type, hypothesis on the binder ``{v}``)
DOMAIN_TYPES: Mapping[str, tuple[str, str]] = {
    "real": ("R", ""),
    "positive": ("R", "0 < {v}"),
    "nonnegative": ("R", "0 <= {v}"),
    "negative": ("R", "{v} < 0"),
    "integer": ("Z", ""),
    "positive_integer": ("Z", "(0 < {v})%Z"),
    "nonnegative_integer": ("Z", "(0 <= {v})%Z"),
}
#: a value in each domain (instantiates a binder the claim does not mention)
_WITNESS = {"real": "0", "positive": "1", "nonnegative": "0", "negative": "(-1)", "integer": "0%Z",
            "positive_integer": "1%Z", "nonnegative_integer": "0%Z"}
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "="}
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: ``diff``'s allow-list: the tokens of a translated term that is differentiable everywhere on R.
#: A rational literal ``(p / q)`` (q > 0) counts as a number, and a division by a positive
#: integer literal (``/ 2``) is a product with a constant; any other ``/`` is refused.
_RATIONAL = re.compile(r"\(\d+ / [1-9]\d*\)")
_BY_LITERAL = re.compile(r"/ [1-9]\d*(?=\))")
_DIFF_TOKEN = re.compile(r"v_[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*|\d+|=>|\S")
_DIFF_ALLOWED = frozenset({"(", ")", "+", "-", "*", "^", "exp", "Derive", "fun", ":", "R", "=>"})


def _differentiable_everywhere(coq: str) -> bool:
    rest = _BY_LITERAL.sub("", _RATIONAL.sub("1", coq))
    return all(t in _DIFF_ALLOWED or t.isdigit() or t.startswith("v_") for t in _DIFF_TOKEN.findall(rest))


class Untranslatable(Exception):
    """The formula uses something the translator does not state in Coq (the reason is the message)."""


def coq_name(node_id: str) -> str:
    """The Coq identifier of a node: ``sinha.thm2.one_step`` -> ``sinha__thm2__one_step``
    (``.`` -> ``__``, ``-`` -> ``_h_``); :func:`checker.audit.kernel.coqfile` refuses collisions."""
    return node_id.replace(".", "__").replace("-", "_h_")


@dataclass(frozen=True, kw_only=True)
class CoqStatement:
    """A node's statement in Coq: ``forall binders, domains -> let defines in hyps -> claim``."""

    name: str
    binders: tuple[tuple[str, str, str], ...]     # (outline symbol, Coq name, Coq type)
    text: str                                      # the proposition
    #: binders that occur only in the node's ``subs`` (not in its own claim): symbol -> the
    #: value a user instantiates them with when its ``subs`` leaves them out (checker's
    #: ``uses`` asks only for the symbols of the claim), chosen to satisfy the domain
    vacuous: Mapping[str, str] = field(default_factory=dict)

    @property
    def args(self) -> tuple[str, ...]:
        return tuple(s for s, _, _ in self.binders)


class _Tr:
    def __init__(self, source: str, types: Mapping[str, str], defines: Mapping[str, tuple[str, str]],
                 inline: bool, inlined: Mapping[str, str] | None = None):
        self.source = source
        self.types = types              # symbol -> "R" | "Z"
        self.defines = defines          # define -> (Coq term of its body, or its let name)
        self.inline = inline
        #: define -> its body with every definition inlined: ``diff`` differentiates this (a
        #: ``let`` name is a constant under a new binder, so it cannot be differentiated)
        self.inlined = defines if inlined is None else inlined
        self.bound: dict[str, str] = {}

    def prop(self, n: ast.AST) -> str:
        if isinstance(n, ast.BoolOp):
            op = " /\\ " if isinstance(n.op, ast.And) else " \\/ "
            return "(" + op.join(self.prop(v) for v in n.values) + ")"
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            return f"(~ {self.prop(n.operand)})"
        if isinstance(n, ast.Compare):
            parts, left = [], n.left
            for op, right in zip(n.ops, n.comparators):
                if type(op) not in _CMP:
                    raise Untranslatable(f"comparison {type(op).__name__}")
                parts.append(f"({self.term(left, 'R')} {_CMP[type(op)]} {self.term(right, 'R')})")
                left = right
            return parts[0] if len(parts) == 1 else "(" + " /\\ ".join(parts) + ")"
        raise Untranslatable(f"{type(n).__name__} is not a proposition")

    def term(self, n: ast.AST, ctx: str) -> str:
        z = ctx == "Z"
        if isinstance(n, ast.Constant) and not isinstance(n.value, bool) and isinstance(n.value, (int, float)):
            text = ast.get_source_segment(self.source, n) or repr(n.value)
            q = Fraction(text.replace("_", ""))
            if q.denominator == 1:
                return f"{q.numerator}%Z" if z else f"{q.numerator}"
            if z:
                raise Untranslatable(f"{text} is not an integer")
            return f"({q.numerator} / {q.denominator})"
        if isinstance(n, ast.Name):
            return self.name(n.id, z)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            inner = self.term(n.operand, ctx)
            return f"(- {inner})" + ("%Z" if z else "") if isinstance(n.op, ast.USub) else inner
        if isinstance(n, ast.BinOp):
            if isinstance(n.op, ast.Pow):
                k = _int_literal(n.right)
                if k is None:
                    raise Untranslatable("a power whose exponent is not an integer literal")
                base = self.term(n.left, ctx)
                if z:
                    if k < 0:
                        raise Untranslatable("a negative power of an integer")
                    return f"({base} ^ {k})%Z"
                return f"({base} ^ {k})" if k >= 0 else f"(/ ({base} ^ {-k}))"
            ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
            if type(n.op) not in ops or (z and isinstance(n.op, ast.Div)):
                raise Untranslatable(f"operator {type(n.op).__name__}" + (" on integers" if z else ""))
            out = f"({self.term(n.left, ctx)} {ops[type(n.op)]} {self.term(n.right, ctx)})"
            return out + "%Z" if z else out
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            return self.call(n.func.id, n.args, z)
        raise Untranslatable(f"{type(n).__name__}")

    def name(self, name: str, z: bool) -> str:
        if name in self.bound:
            return self.bound[name] if z else f"(IZR {self.bound[name]})"
        if name in self.defines:
            if z:
                raise Untranslatable(f"definition {name} used as an integer")
            return self.defines[name]
        if name in self.types:
            if not _NAME_RE.match(name):
                raise Untranslatable(f"symbol name {name!r}")
            t = self.types[name]
            if z and t != "Z":
                raise Untranslatable(f"real symbol {name} used as an integer")
            return f"v_{name}" if z or t == "R" else f"(IZR v_{name})"
        if name == "pi" and not z:
            return "PI"
        if name == "E" and not z:
            return "(exp 1)"
        raise Untranslatable(f"name {name}")

    def call(self, f: str, args: list, z: bool) -> str:
        if f in ("floor", "ceiling") and len(args) == 1:
            t = f"({'ck_floor' if f == 'floor' else 'ck_ceil'} {self.term(args[0], 'R')})"
            return t if z else f"(IZR {t})"
        if f in ("Min", "Max") and len(args) >= 2:
            fn = ("Z." + f.lower()) if z else ("R" + f.lower())
            out = self.term(args[0], "Z" if z else "R")
            for a in args[1:]:
                out = f"({fn} {out} {self.term(a, 'Z' if z else 'R')})"
            return out
        if f == "Abs" and len(args) == 1:
            return f"(Z.abs {self.term(args[0], 'Z')})" if z else f"(Rabs {self.term(args[0], 'R')})"
        if z:
            raise Untranslatable(f"{f} as an integer")
        if f in ("sqrt", "exp", "log") and len(args) == 1:
            return f"({ {'sqrt': 'sqrt', 'exp': 'exp', 'log': 'ln'}[f]} {self.term(args[0], 'R')})"
        if f == "diff" and len(args) >= 2:
            return self.diff(args)
        if f in ("Sum", "Product") and len(args) == 4 and isinstance(args[1], ast.Name):
            idx = args[1].id
            if not _NAME_RE.match(idx):
                raise Untranslatable(f"index name {idx!r}")
            lo, hi = self.term(args[2], "Z"), self.term(args[3], "Z")
            saved = self.bound.get(idx)
            self.bound[idx] = f"k_{idx}"
            try:
                body = self.term(args[0], "R")
            finally:
                if saved is None:
                    del self.bound[idx]
                else:
                    self.bound[idx] = saved
            op = "ck_sum" if f == "Sum" else "ck_prod"
            return f"({op} {lo} {hi} (fun k_{idx} : Z => {body}))"
        raise Untranslatable(f"function {f}")


    def diff(self, args: list) -> str:
        """``diff(e, x, y)`` -> ``Derive (fun v_y => Derive (fun v_x => E) v_x) v_y`` (sympy's order:
        x first), with every definition in ``e`` inlined. Coquelicot's ``Derive`` is total (0
        where no derivative exists), so a claim about a derivative that does not exist is
        unprovable, not true. Each binder rebinds the symbol's own Coq name: the body's
        occurrences of it are the bound variable, every other symbol stays free."""
        out = _Tr(self.source, self.types, self.inlined, inline=True).term(args[0], "R")
        # Allow-list: Derive is total, and where no derivative exists its value is Coquelicot's
        # convention, not the source's meaning; so only expressions differentiable everywhere on R
        # (constants, symbols, +, -, *, natural powers, exp, and Derive of those) are stated
        if not _differentiable_everywhere(out):
            raise Untranslatable("diff of an expression that is not differentiable everywhere "
                                 "(only +, -, *, natural powers and exp are stated)")
        for v in args[1:]:
            if not (isinstance(v, ast.Name) and self.types.get(v.id) == "R" and v.id not in self.bound
                    and _NAME_RE.match(v.id)):
                raise Untranslatable("diff with respect to something other than a declared real symbol")
            out = f"(Derive (fun v_{v.id} : R => {out}) v_{v.id})"
        return out


def _int_literal(n: ast.AST) -> int | None:
    if isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool):
        return n.value
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
        k = _int_literal(n.operand)
        return None if k is None else -k
    return None


def _parse(text: str) -> ast.AST:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:  # the loader accepted it, so this is not expected
        raise Untranslatable(f"cannot parse {text!r}: {exc.msg}") from None


def _names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def term(text: str, types: Mapping[str, str], ctx: str = "R", defines: Mapping[str, str] | None = None) -> str:
    """One formula as a Coq term (``ctx`` ``"R"`` or ``"Z"``), or a proposition when it compares."""
    tree = _parse(text)
    tr = _Tr(text.strip(), types, defines or {}, inline=True)
    if isinstance(tree, (ast.Compare, ast.BoolOp)) or (isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not)):
        return tr.prop(tree)
    return tr.term(tree, ctx)


def _source(source: Mapping) -> tuple[dict, dict, list, str | None]:
    symbols = dict(source.get("symbols") or {})
    defines = dict(source.get("define") or {})
    hyps = list(source.get("hypotheses") or [])
    claim = source.get("claim")
    return symbols, defines, [str(h) for h in hyps], (None if claim is None else str(claim))


def translate_statement(node_id: str, source: Mapping, uses_texts=()) -> CoqStatement:
    """The Coq proposition of a node's statement (its ``source``: the outline's raw strings).
    A declared symbol is quantified when it occurs free in a definition, hypothesis or the claim,
    or in one of ``uses_texts`` (the node's ``subs`` formulas: a symbol that only instantiates a
    used claim is still one of the node's universally quantified symbols).
    Raises :class:`Untranslatable` when it has no claim or uses what Coq is not given here."""
    symbols, defines, hyps, claim = _source(source)
    if claim is None:
        raise Untranslatable("no claim")
    types = {}
    for s, dom in symbols.items():
        if dom not in DOMAIN_TYPES:
            raise Untranslatable(f"domain {dom!r}")
        types[s] = DOMAIN_TYPES[dom][0]
    trees = [(d, _parse(str(t))) for d, t in defines.items()]
    htrees, ctree = [_parse(h) for h in hyps], _parse(claim)
    # quantify the declared symbols that occur (a Sum index occurring only as one is bound there)
    used = set().union(*(_names(t) for _, t in trees), *(_names(t) for t in htrees), _names(ctree))
    extra = [_parse(str(t)) for t in uses_texts]
    used |= set().union(set(), *(_names(t) for t in extra))
    free = _free_names(trees, htrees + extra, ctree)
    own_free = _free_names(trees, htrees, ctree)
    binders = tuple((s, f"v_{s}", types[s]) for s in symbols if s in used and s in free)
    if any(not _NAME_RE.match(s) for s, _, _ in binders) or any(not _NAME_RE.match(d) for d in defines):
        raise Untranslatable("a name that is not an ASCII identifier")
    declared = {s: types[s] for s in symbols}
    lets, known, inlined = [], {}, {}
    for d, t in trees:
        src = str(defines[d]).strip()
        body = _Tr(src, declared, known, inline=False, inlined=inlined).term(t, "R")
        lets.append(f"let d_{d} : R := {body} in")
        known[d] = f"d_{d}"
        inlined[d] = _Tr(src, declared, dict(inlined), inline=True).term(t, "R")
    tr_h = [_Tr(h.strip(), declared, known, inline=False, inlined=inlined).prop(t) for h, t in zip(hyps, htrees)]
    tr_c = _Tr(claim.strip(), declared, known, inline=False, inlined=inlined).prop(ctree)
    doms = [DOMAIN_TYPES[symbols[s]][1].format(v=c) for s, c, _ in binders if DOMAIN_TYPES[symbols[s]][1]]
    parts = [f"{p} ->" for p in doms] + lets + [f"{h} ->" for h in tr_h] + [tr_c]
    body = "\n    ".join(parts)
    if binders:
        body = "forall " + " ".join(f"({c} : {t})" for _, c, t in binders) + ",\n    " + body
    vacuous = {s: _WITNESS[symbols[s]] for s, _, _ in binders if s not in own_free}
    return CoqStatement(name=coq_name(node_id), binders=binders, text=body, vacuous=vacuous)


def _free_names(trees, htrees, ctree) -> set[str]:
    """Names that occur outside the index position and body scope of a Sum/Product binding them."""
    out: set[str] = set()

    def walk(n, bound):
        if isinstance(n, ast.Name):
            if n.id not in bound:
                out.add(n.id)
            return
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("Sum", "Product")
                and len(n.args) == 4 and isinstance(n.args[1], ast.Name)):
            walk(n.args[2], bound)
            walk(n.args[3], bound)
            walk(n.args[0], bound | {n.args[1].id})
            return
        for c in ast.iter_child_nodes(n):
            walk(c, bound)

    for _, t in trees:
        walk(t, frozenset())
    for t in htrees:
        walk(t, frozenset())
    walk(ctree, frozenset())
    return out


def instance(user_source: Mapping, used: CoqStatement, subs: Mapping[str, str]) -> str:
    """The used lemma applied to the translated ``subs`` (formulas over the user's symbols, its
    definitions inlined): ``(sinha__lphi v_g v_Ltt ... (v_gamma - v_Lzz) ...)``."""
    symbols, defines, _, _ = _source(user_source)
    types = {s: DOMAIN_TYPES[d][0] for s, d in symbols.items() if d in DOMAIN_TYPES}
    inlined: dict[str, str] = {}
    for d, t in defines.items():
        inlined[d] = _Tr(str(t).strip(), types, dict(inlined), inline=True).term(_parse(str(t)), "R")
    args = []
    for sym, _, typ in used.binders:
        if sym not in subs and sym in used.vacuous:
            args.append(used.vacuous[sym])
            continue
        if sym not in subs:
            raise Untranslatable(f"uses {used.name}: no subs for {sym}")
        text = str(subs[sym])
        args.append(_Tr(text.strip(), types, inlined, inline=True).term(_parse(text), typ))
    return f"({used.name} {' '.join(args)})" if args else used.name
