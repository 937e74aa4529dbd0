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
from collections.abc import Mapping

import sympy as sp

from checker.errors import OutlineError

__all__ = ["parse_formula", "FUNCTIONS", "CONSTANTS", "MAX_FORMULA_LENGTH", "MAX_POWER"]

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


def _sum(f, i, a, b):
    return sp.Sum(f, (i, a, b))


def _product(f, i, a, b):
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


class _Walker:
    def __init__(self, text: str, symbols: Mapping[str, sp.Basic], file, node, allow_bool: bool):
        self.text = text
        self.symbols = symbols
        self.file = file
        self.node = node
        self.allow_bool = allow_bool

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
            for k, a in enumerate(n.args):
                val = self.walk(a, d)
                self._need_expr(val, a)
                if k in symbol_args and not isinstance(val, sp.Symbol):
                    self.fail(f"argument {k + 1} of {fname} must be a declared symbol", a)
                args.append(val)
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
                  node: str | None = None, allow_bool: bool = False) -> sp.Basic:
    """Parse ``text`` into a sympy expression or relation, safely.

    ``symbols`` maps every allowed name to its sympy object (symbols with their assumptions, or
    already-parsed definitions). ``allow_bool`` permits ``and``/``or``/``not`` and nested
    comparisons (for hypotheses). Raises :class:`~checker.errors.OutlineError` on anything not
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
    w = _Walker(text.strip(), symbols, file, node, allow_bool)
    try:
        return w.walk(tree)
    except OutlineError:
        raise
    except RecursionError:
        raise OutlineError(f"formula {text!r} is nested too deeply", file=file, node=node) from None
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError,
            sp.SympifyError, MemoryError) as exc:
        raise OutlineError(f"formula {text!r} cannot be built: {type(exc).__name__}: {exc}",
                           file=file, node=node) from None
