"""Safe parser for the formula strings of proof outlines (``proofs/*.toml``).

Formula strings are untrusted file contents. They are **never** handed to ``eval``, ``sympify``
or ``parse_expr`` (which evaluate Python code). Instead :func:`parse_formula` parses the string
with :func:`ast.parse` in ``mode="eval"`` and walks the tree with an *allow-list*, building
sympy objects directly:

* ``BinOp`` ``+ - * / **``; ``UnaryOp`` ``-`` and ``+``;
* ``Compare`` ``< <= > >= ==`` (chains such as ``0 < x <= 1`` become a conjunction);
* ``BoolOp`` ``and`` / ``or`` (hypotheses only);
* ``Constant``: ``int`` literals, or decimal literals converted exactly through their source
  text (``0.1`` is ``Rational(1, 10)``, never the binary float);
* ``Name``: a symbol declared in the node's symbol table, or an allow-listed constant
  (``pi``, ``E``);
* ``Call`` of an allow-listed function (:data:`FUNCTIONS`) with positional arguments only.

Everything else (attributes, subscripts, lambdas, comprehensions, keyword or starred arguments,
dunder names, strings, f-strings, walrus, conditional expressions, ...) is rejected with an
:class:`~checker.errors.OutlineError` naming the file, the node and the column.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping

import sympy as sp

from checker.errors import OutlineError

__all__ = ["parse_formula", "FUNCTIONS", "CONSTANTS", "MAX_FORMULA_LENGTH", "MAX_POWER", "MAX_EXP_ARG",
           "Condition", "parse_exact_number"]

#: Longest formula string accepted (guards against pathological inputs).
MAX_FORMULA_LENGTH = 2000
#: Largest absolute integer exponent accepted in ``a ** n`` with literal ``n`` (guards against
#: ``2 ** 10 ** 10`` style resource exhaustion during exact arithmetic).
MAX_POWER = 64
#: Largest integer literal accepted (in digits).
MAX_DIGITS = 40
#: Largest numeric argument of factorial/binomial and numeric bound of Sum/Product (exact
#: evaluation cost grows with it).
MAX_COUNT = 10 ** 5
#: Deepest nesting accepted.
MAX_DEPTH = 60
#: Largest exact number (in bits of numerator plus denominator) a literal sub-expression may
#: build; estimated *before* powers, factorials and binomials are evaluated, and checked after
#: every product (towers like ``(2**64)**64**...`` and long products of literals stop here).
MAX_BITS = 20_000
#: Largest numeric range of Sum/Product bounds (terms evaluated one by one).
MAX_TERMS = 10_000
#: Largest |value| of a closed (numeric) argument of ``exp`` and of a closed non-integer
#: exponent: ``exp(10**4)`` has about 4,343 digits, already far past any bound of the papers;
#: ``exp(exp(exp(exp(100))))`` would have more digits than atoms in the universe and hung or
#: overflowed every engine, so it is refused while the formula is read (issue 24.5).
MAX_EXP_ARG = 10 ** 4
#: Largest decimal exponent of an exact number string (a box end or an ``at`` value):
#: ``"1e100000000"`` would make :class:`sympy.Rational` build a number of 10^8 digits.
MAX_DECIMAL_EXPONENT = 40

_EXACT_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:/\d+)?$")


def parse_exact_number(text: str) -> sp.Rational:
    """An exact rational from a short number string (``"3"``, ``"-1/2"``, ``"0.25"``,
    ``"1e-3"``), checked *before* any arithmetic: the grammar is a decimal or a fraction, the
    exponent at most :data:`MAX_DECIMAL_EXPONENT` in absolute value. Raises ``ValueError`` with
    the rule broken (the caller names the file, node and option)."""
    t = str(text).strip().replace("_", "")
    if len(t) > 40 or not _EXACT_RE.match(t):
        raise ValueError(f"{str(text)[:40]!r} is not an exact decimal or fraction such as 3, -1/2, 0.25 or 1e-3")
    m = re.search(r"[eE]([+-]?\d+)", t)
    if m and abs(int(m.group(1))) > MAX_DECIMAL_EXPONENT:
        raise ValueError(f"{text!r}: decimal exponent {m.group(1)} exceeds {MAX_DECIMAL_EXPONENT}")
    num, _, den = t.partition("/")
    mant, _, ex = num.lower().partition("e")
    q = sp.Rational(mant) * sp.Integer(10) ** int(ex or 0)
    if den:
        if int(den) == 0:
            raise ValueError(f"{text!r} divides by zero")
        q = q / sp.Integer(den)
    return q


class Condition(tuple):
    """A side condition read from the formula's source before any simplification:
    ``(text, relation)``, e.g. ``("x != 0", Ne(x, 0))`` for the denominator of ``x/x``, or
    ``("x >= 0", x >= 0)`` for the argument of ``sqrt(x)`` (issue 24.2). A claim holds only where
    it is defined, so an engine's proof counts only once every condition is proved from the
    domains and hypotheses."""

    __slots__ = ()

    def __new__(cls, text: str, rel):
        return super().__new__(cls, (text, rel))

    @property
    def text(self) -> str:
        return self[0]

    @property
    def rel(self):
        return self[1]


def _sum(f, i, a, b):
    if a.is_number and b.is_number and b < a:
        return sp.Integer(0)  # the empty sum (see _Walker._range)
    return sp.Sum(f, (i, a, b))


def _product(f, i, a, b):
    if a.is_number and b.is_number and b < a:
        return sp.Integer(1)  # the empty product
    return sp.Product(f, (i, a, b))


def _diff(f, *vs):
    return sp.diff(f, *vs)


#: name -> (sympy constructor, allowed argument counts, indices of arguments that must be symbols)
FUNCTIONS: Mapping[str, tuple] = {
    "sqrt": (sp.sqrt, (1,), ()),
    "log": (sp.log, (1,), ()),
    "exp": (sp.exp, (1,), ()),
    "Abs": (sp.Abs, (1,), ()),
    "Min": (sp.Min, (2, 3, 4), ()),
    "Max": (sp.Max, (2, 3, 4), ()),
    "ceiling": (sp.ceiling, (1,), ()),
    "floor": (sp.floor, (1,), ()),
    "factorial": (sp.factorial, (1,), ()),
    "binomial": (sp.binomial, (2,), ()),
    # Sum(f, i, a, b) and Product(f, i, a, b): i must be a declared symbol (the bound variable)
    "Sum": (_sum, (4,), (1,)),
    "Product": (_product, (4,), (1,)),
    # diff(f, x[, y]): derivative with respect to declared symbols
    "diff": (_diff, (2, 3), (1, 2)),
}

#: Allow-listed constants.
CONSTANTS: Mapping[str, sp.Basic] = {"pi": sp.pi, "E": sp.E}

_CMP = {ast.Lt: sp.StrictLessThan, ast.LtE: sp.LessThan, ast.Gt: sp.StrictGreaterThan,
        ast.GtE: sp.GreaterThan, ast.Eq: sp.Eq}


def _nonzero(e) -> sp.Basic:
    """``e != 0`` as ``e < 0 or e > 0`` (every engine decides comparisons; few decide ``!=``)."""
    return sp.Or(sp.StrictLessThan(e, 0), sp.StrictGreaterThan(e, 0))


def _numeric_abs(v) -> float:
    """|v| of a closed expression whose parts are already bounded (``inf`` if it cannot be
    evaluated)."""
    try:
        return abs(float(sp.N(v, 15)))
    except (TypeError, ValueError, OverflowError):
        return math.inf


class _Walker:
    def __init__(self, text: str, symbols: Mapping[str, sp.Basic], file, node, allow_bool: bool,
                 define_conditions: Mapping[str, list] | None = None):
        self.text = text
        self.symbols = symbols
        self.file = file
        self.node = node
        self.allow_bool = allow_bool
        #: side conditions read from the source (denominators, sqrt/log arguments, powers,
        #: Sum/Product ranges), in the order met, before sympy simplifies anything away
        self.conditions: list[Condition] = []
        self.define_conditions = define_conditions or {}
        #: names bound by Sum/Product in this formula
        self.bound: set[str] = set()

    def cond(self, text: str, rel) -> None:
        if rel is sp.true or rel is True:
            return
        self.conditions.append(Condition(text, rel))

    def fail(self, msg: str, at: ast.AST | None = None):
        col = getattr(at, "col_offset", None)
        raise OutlineError(f"formula {self.text!r}: {msg}", file=self.file, node=self.node,
                           column=(col + 1) if col is not None else None)

    def walk(self, n: ast.AST, depth: int = 0, *, top: bool = False):
        if depth > MAX_DEPTH:
            self.fail("is nested too deeply", n)
        d = depth + 1
        if isinstance(n, ast.Expression):
            return self.walk(n.body, d, top=True)
        if isinstance(n, ast.BinOp):
            left, right = self.walk(n.left, d), self.walk(n.right, d)
            self._need_expr(left, n.left)
            self._need_expr(right, n.right)
            op = type(n.op)
            if op is ast.Add:
                return left + right
            if op is ast.Sub:
                return left - right
            if op is ast.Mult:
                return self._bits(left * right, n)
            if op is ast.Div:
                if right == 0:
                    self.fail("divides by zero", n)
                self.cond(f"{sp.sstr(right)} != 0", _nonzero(right))
                return self._bits(left / right, n)
            if op is ast.Pow:
                if right.is_number and right.is_Integer and abs(int(right)) > MAX_POWER:
                    self.fail(f"has an exponent larger than {MAX_POWER}", n)
                if left.is_Rational and right.is_Integer:
                    est = (int(left.p).bit_length() + int(left.q).bit_length()) * abs(int(right))
                    if est > MAX_BITS:
                        self.fail(f"power of a literal would have about {est} bits (cap {MAX_BITS})", n)
                if right.is_number and not right.is_Integer and left.is_number and left.is_Integer \
                        and abs(int(left)) > 10 ** 6:
                    self.fail("has a numeric power too large to evaluate", n)
                if right.is_number and not right.is_Integer and _numeric_abs(right) > MAX_POWER:
                    self.fail(f"has an exponent larger than {MAX_POWER}", n)
                if right.is_Integer and right < 0:
                    self.cond(f"{sp.sstr(left)} != 0", _nonzero(left))
                elif not right.is_Integer:
                    if right.is_number and right.is_positive:
                        self.cond(f"{sp.sstr(left)} >= 0", sp.GreaterThan(left, 0))
                    else:
                        self.cond(f"{sp.sstr(left)} > 0", sp.StrictGreaterThan(left, 0))
                return left ** right
            self.fail(f"operator {op.__name__} is not allowed (use + - * / **)", n)
        if isinstance(n, ast.UnaryOp):
            operand = self.walk(n.operand, d)
            if isinstance(n.op, ast.USub):
                self._need_expr(operand, n.operand)
                return -operand
            if isinstance(n.op, ast.UAdd):
                self._need_expr(operand, n.operand)
                return operand
            if isinstance(n.op, ast.Not) and self.allow_bool:
                self._need_bool(operand, n.operand)
                return sp.Not(operand)
            self.fail(f"unary operator {type(n.op).__name__} is not allowed", n)
        if isinstance(n, ast.Compare):
            if not top and not self.allow_bool:
                self.fail("comparison inside an expression is not allowed", n)
            parts = []
            left = self.walk(n.left, d)
            self._need_expr(left, n.left)
            for op, comp in zip(n.ops, n.comparators):
                right = self.walk(comp, d)
                self._need_expr(right, comp)
                ctor = _CMP.get(type(op))
                if ctor is None:
                    self.fail(f"comparison {type(op).__name__} is not allowed (use < <= > >= ==)", n)
                parts.append(ctor(left, right, evaluate=False))
                left = right
            return parts[0] if len(parts) == 1 else sp.And(*parts, evaluate=False)
        if isinstance(n, ast.BoolOp):
            if not self.allow_bool:
                self.fail("'and'/'or' are allowed only in hypotheses", n)
            vals = [self.walk(v, d) for v in n.values]
            for v, src in zip(vals, n.values):
                self._need_bool(v, src)
            return sp.And(*vals) if isinstance(n.op, ast.And) else sp.Or(*vals)
        if isinstance(n, ast.Constant):
            v = n.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self.fail(f"literal {v!r} is not allowed (only numbers)", n)
            src = ast.get_source_segment(self.text, n)
            if src is None:
                self.fail("number literal could not be located", n)
            src = src.replace("_", "")
            if isinstance(v, int):
                if len(src.lstrip("0xXoObB")) > MAX_DIGITS:
                    self.fail(f"integer literal longer than {MAX_DIGITS} digits", n)
                return sp.Integer(v)
            # decimal literal: exact through its text, never through the binary float
            low = src.lower()
            if "e" in low:
                mant, _, ex = low.partition("e")
                if abs(int(ex)) > MAX_DIGITS:
                    self.fail("decimal exponent too large", n)
                return sp.Rational(mant) * sp.Integer(10) ** int(ex)
            if low in ("inf", "nan") or "j" in low:
                self.fail(f"literal {src!r} is not allowed", n)
            return sp.Rational(low)
        if isinstance(n, ast.Name):
            name = n.id
            if name.startswith("__") or name.startswith("_"):
                self.fail(f"name {name!r} is not allowed (leading underscore)", n)
            if name in self.symbols:
                self.conditions.extend(self.define_conditions.get(name, ()))
                return self.symbols[name]
            if name in CONSTANTS:
                return CONSTANTS[name]
            if name in FUNCTIONS:
                self.fail(f"function {name!r} must be called", n)
            from checker.validate import suggest

            close = suggest(name, list(self.symbols) + list(CONSTANTS))
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
            self.fail(f"unknown name {name!r}: declare it in the node's symbols{hint}", n)
        if isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name):
                self.fail("only calls of allow-listed functions by name are allowed", n)
            fname = n.func.id
            if fname not in FUNCTIONS:
                self.fail(f"function {fname!r} is not allowed (allowed: {', '.join(FUNCTIONS)})", n)
            if n.keywords:
                self.fail("keyword arguments are not allowed", n)
            if any(isinstance(a, ast.Starred) for a in n.args):
                self.fail("starred arguments are not allowed", n)
            ctor, counts, symbol_args = FUNCTIONS[fname]
            if len(n.args) not in counts:
                self.fail(f"{fname} takes {' or '.join(map(str, counts))} arguments, got {len(n.args)}", n)
            args = []
            first_body_cond = len(self.conditions)
            n_body_cond = None
            for k, a in enumerate(n.args):
                val = self.walk(a, d)
                self._need_expr(val, a)
                if k in symbol_args and not isinstance(val, sp.Symbol):
                    self.fail(f"argument {k + 1} of {fname} must be a declared symbol", a)
                args.append(val)
                if k == 0:
                    n_body_cond = len(self.conditions)
            if fname == "sqrt":
                self.cond(f"{sp.sstr(args[0])} >= 0", sp.GreaterThan(args[0], 0))
            elif fname == "log":
                self.cond(f"{sp.sstr(args[0])} > 0", sp.StrictGreaterThan(args[0], 0))
            elif fname == "exp" and args[0].is_number and _numeric_abs(args[0]) > MAX_EXP_ARG:
                self.fail(f"exp of a number beyond {MAX_EXP_ARG} in absolute value is refused "
                          "(it overflows every engine)", n)
            elif fname == "factorial":
                if args[0].is_integer is not True:
                    self.fail("factorial: the argument must be an integer expression", n)
                self.cond(f"{sp.sstr(args[0])} >= 0", sp.GreaterThan(args[0], 0))
            elif fname in ("Sum", "Product"):
                self._range(fname, args, first_body_cond, n_body_cond, n)
            if fname in ("factorial", "binomial", "Sum", "Product"):
                for k, val in enumerate(args):
                    if val.is_number and (not val.is_finite or abs(val) > MAX_COUNT):
                        self.fail(f"{fname}: numeric argument {k + 1} exceeds {MAX_COUNT}", n)
                if fname == "factorial" and args[0].is_Integer and args[0] > 2:
                    a = int(args[0])
                    est = int(a * math.log2(a))
                    if est > MAX_BITS:
                        self.fail(f"factorial({a}) would have about {est} bits (cap {MAX_BITS})", n)
                if fname == "binomial" and args[0].is_Integer and args[0] > 2 and int(args[0]) > MAX_BITS:
                    self.fail(f"binomial({args[0]}, .) would have more than {MAX_BITS} bits", n)
                if fname in ("Sum", "Product") and args[2].is_Integer and args[3].is_Integer \
                        and int(args[3]) - int(args[2]) > MAX_TERMS:
                    self.fail(f"{fname} over more than {MAX_TERMS} terms", n)
            try:
                return ctor(*args)
            except (TypeError, ValueError) as exc:
                self.fail(f"{fname}: {exc}", n)
        self.fail(f"syntax {type(n).__name__} is not allowed", n)

    def _range(self, fname, args, first, stop, at):
        """Sum/Product(f, i, a, b): integer limits, an integer index, and one convention for
        empty ranges in every engine (issue 24.2). A numeric range with b < a is empty: the sum is
        0 and the product 1 (the constructor below returns that value, so no engine sees sympy's
        Karr convention, under which ``Sum(1, (i, 5, 1)) = -3``). With symbolic limits the
        conventions agree exactly when b >= a - 1, which becomes a side condition; conditions of
        the body hold for a <= i <= b only."""
        f, i, a, b = args
        if a.is_integer is not True or b.is_integer is not True:
            self.fail(f"{fname}: the limits must be integer expressions (declare their symbols with an "
                      "integer domain)", at)
        if i.is_integer is not True or i.is_negative:
            self.fail(f"{fname}: the index {i} must be declared integer, nonnegative_integer or "
                      "positive_integer", at)
        self.bound.add(i.name)
        body = self.conditions[first:stop]
        del self.conditions[first:stop]
        if a.is_number and b.is_number and b < a:
            return  # empty: no term, no condition
        for c in body:
            self.cond(f"{c.text} for {a} <= {i} <= {b}",
                      sp.Or(sp.StrictLessThan(i, a), sp.StrictGreaterThan(i, b), c.rel))
        if not (a.is_number and b.is_number):
            self.cond(f"{b} >= {a} - 1 (the range of {fname} is empty or proper)", sp.GreaterThan(b - a + 1, 0))
        lowest = 1 if i.is_positive else (0 if i.is_nonnegative else None)
        if lowest is not None:
            self.cond(f"{a} >= {lowest} (the index {i} ranges over its domain)", sp.GreaterThan(a, lowest))

    def _bits(self, v, at):
        if isinstance(v, sp.Rational) and int(v.p).bit_length() + int(v.q).bit_length() > MAX_BITS:
            self.fail(f"builds a number of more than {MAX_BITS} bits", at)
        return v

    def _need_expr(self, v, at):
        if not isinstance(v, sp.Expr):
            self.fail("expected an arithmetic expression here", at)

    def _need_bool(self, v, at):
        if isinstance(v, sp.Expr) or not isinstance(v, sp.Basic):
            self.fail("expected a comparison here", at)


def parse_formula(text: object, symbols: Mapping[str, sp.Basic], *, file: str | None = None,
                  node: str | None = None, allow_bool: bool = False, conditions: list | None = None,
                  define_conditions: Mapping[str, list] | None = None) -> sp.Basic:
    """Parse ``text`` into a sympy expression or relation, safely.

    ``symbols`` maps every allowed name to its sympy object (symbols with their assumptions, or
    already-parsed definitions). ``allow_bool`` permits ``and``/``or``/``not`` and nested
    comparisons (for hypotheses). ``conditions``, when given, receives the formula's side
    conditions (:class:`Condition`) read from the source before any simplification, including
    those of the abbreviations it names (``define_conditions``: name -> their conditions).
    Raises :class:`~checker.errors.OutlineError` on anything not
    in the allow-list; never executes code from ``text``.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> parse_formula("x**2 <= 0.5*x + 1", {"x": x})
    x**2 <= x/2 + 1
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise OutlineError(f"formula must be a string, got {type(text).__name__} {text!r}",
                           file=file, node=node)
    text = str(text)
    if len(text) > MAX_FORMULA_LENGTH:
        raise OutlineError(f"formula longer than {MAX_FORMULA_LENGTH} characters", file=file, node=node)
    if not text.strip():
        raise OutlineError("formula is empty", file=file, node=node)
    if "\x00" in text:
        raise OutlineError("formula contains a NUL character", file=file, node=node)
    if not text.isascii():
        bad = next(c for c in text if not c.isascii())
        # Python folds identifiers with NFKC ('ℯ' -> 'e', '𝜋' -> 'π'): a look-alike letter could
        # silently become another symbol or a constant, so formulas are ASCII only.
        raise OutlineError(f"formula {text!r}: non-ASCII character {bad!r} (U+{ord(bad):04X}) is not allowed "
                           "(look-alike letters fold to other names); write names in ASCII",
                           file=file, node=node)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise OutlineError(f"formula {text!r} is not valid syntax: {exc.msg}", file=file, node=node,
                           column=exc.offset) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise OutlineError(f"formula {text!r} cannot be parsed: {type(exc).__name__}", file=file,
                           node=node) from None
    w = _Walker(text.strip(), symbols, file, node, allow_bool, define_conditions)
    try:
        out = w.walk(tree)
        clash = sorted(w.bound & {s.name for s in out.free_symbols})
        if clash:
            w.fail(f"the index {clash[0]!r} of a Sum/Product is also used outside it: use another name "
                   "for the index (a bound name may not be captured)")
        if conditions is not None:
            seen = {c.text for c in conditions}
            for c in w.conditions:
                if c.text not in seen:
                    seen.add(c.text)
                    conditions.append(c)
        return out
    except OutlineError:
        raise
    except RecursionError:
        raise OutlineError(f"formula {text!r} is nested too deeply", file=file, node=node) from None
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError,
            sp.SympifyError, MemoryError) as exc:
        raise OutlineError(f"formula {text!r} cannot be built: {type(exc).__name__}: {exc}",
                           file=file, node=node) from None
