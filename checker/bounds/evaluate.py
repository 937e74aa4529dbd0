r"""The one evaluation bridge of the bound library: sympy statement -> numbers, with flags.

Every number the bound library (and every helper built on it) produces goes through
:func:`evaluate`, so there is exactly one copy of each formula: the sympy expression in its
statement module. (Statements whose float evaluation needs an algorithm rather than a formula,
the birthday products, register a vectorised float64 routine and a high-precision reference with
:func:`register_numeric`; the tests check both against the exact sympy expression.)

Modes
-----
``"numpy"`` (default)
    ``sympy.lambdify`` to numpy of a numerically stable rewrite of the expression
    (:math:`\log(1+t)\to\operatorname{log1p}(t)`, :math:`1-e^{x}\to-\operatorname{expm1}(x)`,
    :math:`\prod\to\exp\sum\log`), vectorised over arrays. **Every scalar value is cross-checked
    against an adaptive-precision mpmath reference** (digits doubled until two evaluations agree
    to :data:`~checker.bounds.tolerances.MP_CONVERGED_REL`): when float64 disagrees beyond
    :data:`~checker.bounds.tolerances.FLOAT_AGREE_REL` (cancellation, overflow, underflow) the
    reference value is returned instead and a note says so. Integer-valued expressions (with a
    ceiling) are returned as exact Python ``int`` for scalars (never a float ceiling).
``"exact"``
    Substitution of exact rationals (floats through their shortest decimal string, so ``0.1`` is
    ``1/10``); returns sympy numbers. A size budget
    (:data:`~checker.bounds.tolerances.EXACT_BITS_BUDGET`) is checked **before** exact powers,
    products and binomials are built; over budget the value comes from mpmath with a note.
``"mpmath"``
    mpmath at ``dps`` decimal digits (``dps`` >= :data:`~checker.bounds.tolerances.MIN_DPS`).

Flags
-----
Each statement declares its validity domain and vacuity conditions (:class:`Flag`);
:attr:`Evaluation.flags` lists those that hold at the given parameters (``outside_domain``:
the statement claims nothing there; ``vacuous``: it holds but says nothing, e.g. a probability
bound above 1). A value is never reported without them.

Hidden constants (:attr:`Param.hidden` without a default, e.g. Corollary 1's ``b_1, b_2``) are
never turned into numbers: with any of them unset, :func:`evaluate` returns the remaining
symbolic expression (``Evaluation.symbolic`` is then ``True``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from checker.bounds import tolerances as tol
from checker.bounds.statement import Statement, get
from checker.errors import InvalidArgument
from checker.validate import one_of

__all__ = ["Evaluation", "RaisedFlag", "evaluate", "value", "MODES", "exact_number",
           "numeric_function", "parse_number", "register_numeric", "check_dps", "mp_reference"]

MODES = ("numpy", "exact", "mpmath")


@dataclass(frozen=True, kw_only=True)
class RaisedFlag:
    """A :class:`~checker.bounds.statement.Flag` that holds at the evaluated parameters.
    ``where`` is ``"all"`` for scalars, or ``"k of n points"`` for arrays."""

    kind: str
    message: str
    exprs: tuple[str, ...] = ()
    where: str = "all"


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """Result of evaluating a statement at given parameter values.

    ``values`` maps each requested expression name to its value (a float, an ``int`` for
    integer-valued expressions, a numpy array, a sympy number in exact mode, an mpmath number,
    or a sympy expression when ``symbolic``). ``params`` are the parameter values used (defaults
    included); ``defaults_used`` names the parameters that took their default; ``flags`` the
    domain / vacuity flags that hold; ``notes`` every fallback or loss of digits.
    """

    id: str
    mode: str
    values: dict[str, Any]
    params: dict[str, Any]
    defaults_used: tuple[str, ...] = ()
    symbolic: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    flags: tuple[RaisedFlag, ...] = ()

    @property
    def value(self) -> Any:
        """The single value when exactly one expression was evaluated."""
        if len(self.values) != 1:
            raise InvalidArgument("values", list(self.values), "has several entries; pick one by name")
        return next(iter(self.values.values()))

    @property
    def outside_domain(self) -> bool:
        return any(f.kind == "outside_domain" for f in self.flags)

    @property
    def vacuous(self) -> bool:
        return any(f.kind == "vacuous" for f in self.flags)


# -- exact numbers and parsing ---------------------------------------------------------------
def exact_number(x: Any) -> sp.Expr:
    """``x`` as an exact sympy number (floats via their shortest decimal string)."""
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, (bool, np.bool_)):
        raise InvalidArgument("value", x, "must be a number")
    if isinstance(x, (int, np.integer)):
        return sp.Integer(int(x))
    xf = float(x)
    if math.isinf(xf):
        return sp.sympify(xf)  # oo or -oo
    return sp.Rational(repr(xf))


#: Longest numeric string accepted (a 4,000-digit value is already far beyond any bound's use;
#: Python refuses to convert more than 4,300 digits to an int, so a longer limit was a lie).
_MAX_NUMBER_CHARS = 4000


def parse_number(name: str, text: str) -> sp.Rational:
    """A decimal or fraction string ("0.1", "1/3", "1e-3") as an exact rational (no eval)."""
    if not isinstance(text, str):
        raise InvalidArgument(name, text, "must be a number given as text")
    s = text.strip()
    if len(s) > _MAX_NUMBER_CHARS:
        raise InvalidArgument(name, s[:20] + "...", f"must be at most {_MAX_NUMBER_CHARS} characters")
    import re

    m = re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?(\d+))?(/[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)?", s)
    if not m:
        raise InvalidArgument(name, text, "must be a number (decimal or fraction like 1/3)")
    for part in s.split("/"):
        e = re.search(r"[eE]([+-]?\d+)$", part)
        if e and abs(int(e.group(1))) > 10_000:
            raise InvalidArgument(name, text, "must have a decimal exponent of at most 10000 "
                                  "in absolute value")
    num, _, den = s.partition("/")
    try:
        r = sp.Rational(num)
        d = sp.Rational(den) if den else sp.Integer(1)
    except (TypeError, ValueError, SyntaxError, ZeroDivisionError):
        raise InvalidArgument(name, text, "must be a number (decimal or fraction like 1/3)") from None
    if d == 0:  # outside the try: InvalidArgument is a ValueError and was caught there
        raise InvalidArgument(name, text, "must not divide by zero")
    return r / d


def check_dps(dps: Any) -> int:
    """Validate a precision (decimal digits) for mpmath mode."""
    if isinstance(dps, str):
        try:
            dps = int(dps.strip())
        except ValueError:
            raise InvalidArgument("dps", dps, "must be an integer") from None
    if isinstance(dps, bool) or not isinstance(dps, (int, np.integer)):
        raise InvalidArgument("dps", dps, "must be an integer")
    dps = int(dps)
    if not tol.MIN_DPS <= dps <= tol.MAX_DPS:
        raise InvalidArgument("dps", dps, f"must be between {tol.MIN_DPS} (float64 precision) "
                              f"and {tol.MAX_DPS}")
    return dps


# -- expression helpers --------------------------------------------------------------------
def _free(expr: sp.Basic) -> list[sp.Symbol]:
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    return sorted((s for s in expr.free_symbols if type(s) is sp.Symbol and s not in labels),
                  key=lambda s: s.name)


def _has_loops(expr: sp.Basic) -> bool:
    return bool(expr.atoms(sp.Product, sp.Sum))


def _is_integer_valued(expr: sp.Basic) -> bool:
    return bool(expr.atoms(sp.ceiling, sp.floor)) and bool(expr.is_integer)


def _stable(expr: sp.Basic) -> sp.Basic:
    """Numerically stable rewrite for float evaluation (same mathematical value):
    products as exp(sum(log)), log(1/x) as -log(x), log(1 + t) as log1p(t), 1 - exp(x) as
    -expm1(x) and exp(x) - 1 as expm1(x)."""
    from sympy.codegen.cfunctions import expm1, log1p

    expr = expr.replace(lambda e: isinstance(e, sp.Product),
                        lambda e: sp.exp(sp.Sum(sp.log(e.function), *e.limits)))

    def fix_log(e):
        a = e.args[0]
        if a.is_Pow and a.exp == -1:
            return -fix_log(sp.log(a.base, evaluate=False))
        if a.is_Add:
            c, rest = a.as_independent(*a.free_symbols, as_Add=True)
            if c == 1 and rest != 0:
                return log1p(rest)
        return e

    expr = expr.replace(lambda e: isinstance(e, sp.log), fix_log)

    def fix_add(e):
        if not e.is_Add:
            return e
        args = list(e.args)
        for sign in (1, -1):
            if sp.Integer(sign) in args:
                for t in args:
                    if isinstance(t, sp.exp) and sign == -1:
                        args.remove(sp.Integer(-1)); args.remove(t)  # noqa: E702
                        return sp.Add(expm1(t.args[0]), *args)
                    if (t.is_Mul and len(t.args) == 2 and t.args[0] == -1
                            and isinstance(t.args[1], sp.exp) and sign == 1):
                        args.remove(sp.Integer(1)); args.remove(t)  # noqa: E702
                        return sp.Add(-expm1(t.args[1].args[0]), *args)
        return e

    return expr.replace(lambda e: e.is_Add, fix_add)


def _binomial_float(n, k) -> float:
    """binomial(n, k) in float64 through log-gamma (no huge intermediate integers)."""
    return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1))


# -- statement-specific numeric routines ------------------------------------------------------
@dataclass(frozen=True)
class _Numeric:
    vec: Callable[..., np.ndarray]          # float64, vectorised: vec(**arrays) -> array
    mp: Callable[..., Any]                  # mpmath at the current workdps: mp(**values) -> mpf
    exact: Callable[..., sp.Expr] | None    # exact sympy value within the exact budget, or None


_NUMERIC: dict[tuple[str, str], _Numeric] = {}


def register_numeric(statement_id: str, name: str, *, vec, mp, exact=None) -> None:
    """Register a float64 routine ``vec`` (vectorised, numerically stable), a high-precision
    routine ``mp`` (evaluated under ``mpmath.workdps``) and optionally an exact routine for one
    expression whose formula is a finite sum/product. The sympy expression stays the source of
    truth; the tests compare all three with it."""
    _NUMERIC[(statement_id, name)] = _Numeric(vec=vec, mp=mp, exact=exact)


# -- compilation ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=512)
def _compiled(stmt_id: str, name: str, mode: str, names: tuple[str, ...]):
    stmt = get(stmt_id)
    expr = stmt.expressions[name]
    syms = [stmt.symbols[n] for n in names]
    if mode == "mpmath":  # the stable rewrite too: mpmath at fixed digits also cancels
        return sp.lambdify(syms, _stable(expr), "mpmath"), False
    stable = _stable(expr)
    if _has_loops(expr):
        fast = sp.lambdify(syms, stable, [{"binomial": _binomial_float}, "math"])

        def scalar(*args):
            try:
                return float(fast(*args))
            except (OverflowError, ValueError, ZeroDivisionError):
                return math.nan
        return scalar, True
    return sp.lambdify(syms, stable, "numpy"), False


@functools.lru_cache(maxsize=512)
def _compiled_flag(stmt_id: str, index: int, order: tuple[str, ...], module: str):
    stmt = get(stmt_id)
    return sp.lambdify([stmt.symbols[k] for k in order], stmt.flags[index].when, module)


@functools.lru_cache(maxsize=256)
def _compiled_condition(stmt_id: str, index: int, order: tuple[str, ...]):
    stmt = get(stmt_id)
    return sp.lambdify([stmt.symbols[k] for k in order], stmt.conditions[index].relation, "mpmath")


@functools.lru_cache(maxsize=256)
def _compiled_condition_np(stmt_id: str, index: int, order: tuple[str, ...]):
    stmt = get(stmt_id)
    return sp.lambdify([stmt.symbols[k] for k in order], stmt.conditions[index].relation, "numpy")


def numeric_function(statement: str | Statement, name: str | None = None):
    """The compiled numpy function of one expression and the ordered parameter names it takes
    (float64 only: no cross-check, no flags; use :func:`evaluate` for checked values)."""
    stmt = get(statement)
    name = name or stmt.primary
    used = {s.name for s in _free(stmt.expressions[name])}
    names = tuple(p.name for p in stmt.params if p.name in used)
    fn, _ = _compiled(stmt.id, name, "numpy", names)
    return fn, names


# -- mpmath helpers -------------------------------------------------------------------------
def _to_mp(v: Any, integer: bool = False):
    import mpmath

    if integer:
        return int(v)
    if isinstance(v, sp.Integer):
        return mpmath.mpf(int(v))
    if isinstance(v, sp.Rational):
        return mpmath.mpf(int(v.p)) / int(v.q)
    if isinstance(v, sp.Basic):
        return mpmath.mpf(sp.Float(v, mpmath.mp.dps + 5)._mpf_)
    if isinstance(v, (int, np.integer)):
        return mpmath.mpf(int(v))
    return mpmath.mpf(float(v))


def _loop_terms(expr: sp.Basic, params: Mapping[str, Any]) -> float:
    """Upper estimate of the number of loop iterations of the finite sums/products in expr."""
    total = 0.0
    loops = expr.atoms(sp.Sum, sp.Product)
    outer = {lim[0]: lim[2] for lp in loops for lim in lp.limits}  # bound var -> its upper limit
    for lp in loops:
        for lim in lp.limits:
            span = lim[2] - lim[1]
            for _ in range(3):  # nested loops: a bound variable runs up to its own upper limit
                span = span.xreplace(outer)
            sub = {s: exact_number(params[s.name]) for s in span.free_symbols if s.name in params}
            try:
                n = float(span.subs(sub)) + 1
            except (TypeError, ValueError):
                n = math.inf
            total += max(n, 0)
    nested = any(lp.function.atoms(sp.Sum, sp.Product) for lp in expr.atoms(sp.Sum, sp.Product))
    return total * total if nested else total


def _mp_eval(stmt: Statement, name: str, params: Mapping[str, Any], dps: int):
    """One mpmath evaluation at ``dps`` digits; ``None`` if no affordable route exists."""
    import mpmath

    expr = stmt.expressions[name]
    used = {s.name for s in _free(expr)}
    order = tuple(k for k in (p.name for p in stmt.params) if k in used)
    custom = _NUMERIC.get((stmt.id, name))
    with mpmath.workdps(dps):
        if custom is not None:
            args = {k: _to_mp(params[k], stmt.param(k).is_integer) for k in order}
            return custom.mp(**args)
        if _has_loops(expr) and _loop_terms(expr, params) > tol.LOOP_TERMS_BUDGET:
            return None
        limits = {x.name for lp in expr.atoms(sp.Sum, sp.Product) for lim in lp.limits
                  for y in lim[1:] for x in y.free_symbols}
        fn, _ = _compiled(stmt.id, name, "mpmath", order)
        try:
            return fn(*[_to_mp(params[k], k in limits) for k in order])
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return None


def _mp_close(a, b) -> bool:
    import mpmath

    if a is None or b is None:
        return False
    if isinstance(a, mpmath.mpc) or isinstance(b, mpmath.mpc):
        return False
    if mpmath.isnan(a) or mpmath.isnan(b):
        return bool(mpmath.isnan(a) and mpmath.isnan(b))
    if a == b:
        return True
    if mpmath.isinf(a) or mpmath.isinf(b):
        return False
    return abs(a - b) <= tol.MP_CONVERGED_REL * max(abs(a), abs(b))


def mp_reference(statement: str | Statement, name: str, params: Mapping[str, Any], *,
                 start_dps: int = tol.MP_START_DPS):
    """High-precision value of one expression: mpmath at d, 2d, 4d, ... digits until two
    successive values agree to ``MP_CONVERGED_REL`` (integer-valued expressions: until two
    successive integers are equal). Returns ``(value, dps, converged)``;
    ``value`` is ``None`` when no affordable route exists (e.g. a huge finite product)."""
    stmt = get(statement)
    integer = _is_integer_valued(stmt.expressions[name])
    d = start_dps
    prev = _mp_eval(stmt, name, params, d)
    if prev is None:
        return None, d, False
    while d < tol.MP_MAX_DPS:
        d = min(2 * d, tol.MP_MAX_DPS)
        cur = _mp_eval(stmt, name, params, d)
        if (prev == cur) if integer else _mp_close(prev, cur):
            return cur, d, True
        prev = cur
    return prev, d, False


def _mp_to_float(v) -> float:
    import mpmath

    if isinstance(v, mpmath.mpc):
        return math.nan
    try:
        return float(v)
    except (OverflowError, TypeError, ValueError):
        return math.nan


def _fmt_mp(v, digits: int = 17) -> str:
    import mpmath

    return mpmath.nstr(v, digits)


# -- validation ----------------------------------------------------------------------------
def _validate(stmt: Statement, name: str, value: Any) -> Any:
    p = stmt.param(name)
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise InvalidArgument(name, value, "must be a real number or an array of them") from None
        if value.ndim == 0:
            value = float(value)
    original = value
    if isinstance(value, str):
        value = original = parse_number(name, value)
    if isinstance(value, sp.Basic):
        if not value.is_number or not value.is_real or not value.is_finite:
            raise InvalidArgument(name, value, "must be a finite real number")
        if not value.is_Rational:
            value = original = sp.Float(value.evalf(50), 50)  # Float(sqrt(2), 50) raises
        fv = _as_float(value)
        if p.is_integer and not (value.is_Integer or (value.is_Rational and value.q == 1)):
            raise InvalidArgument(name, value, "must be an integer")
        if not math.isfinite(fv) or (fv == 0 and value != 0):
            if p.is_integer and value.is_Integer:
                fv = math.copysign(1e308, float(sp.sign(value)))  # rules below see the sign only
            else:
                raise InvalidArgument(name, value, "must be within the float64 range "
                                      "(about 1e-308 to 1e308 in absolute value)")
        arr = np.asarray(fv)
    elif isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        iv = int(value)
        arr = np.asarray(float(iv) if abs(iv) < 2**1000 else (1e308 if iv > 0 else -1e308))
    else:
        arr = np.asarray(value)  # odd objects become dtype=object and are refused below
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise InvalidArgument(name, value, "must be a real number")
    if arr.dtype.kind == "b":
        raise InvalidArgument(name, value, "must be a real number")
    if arr.size == 0:
        raise InvalidArgument(name, value, "must not be empty")
    bad = lambda mask: (original if arr.ndim == 0 else arr[mask].ravel()[0])  # noqa: E731
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(name, bad(~np.isfinite(arr)), "must be finite")
    if p.is_integer and not np.all(arr == np.round(arr)):
        raise InvalidArgument(name, bad(arr != np.round(arr)), "must be an integer")
    rules = {
        "positive": (arr > 0, "must be > 0"),
        "positive_int": (arr >= 1, "must be >= 1"),
        "nonnegative": (arr >= 0, "must be >= 0"),
        "nonnegative_int": (arr >= 0, "must be >= 0"),
        "probability": ((arr > 0) & (arr < 1), "must be in the open interval (0, 1)"),
        "unit_interval": ((arr > 0) & (arr <= 1), "must be in (0, 1]"),
        "at_least_one": (arr >= 1, "must be >= 1"),
    }
    if p.domain in rules:
        ok, rule = rules[p.domain]
        if not np.all(ok):
            raise InvalidArgument(name, bad(~ok), rule)
    if isinstance(original, sp.Rational) and p.domain == "probability" and not 0 < original < 1:
        raise InvalidArgument(name, original, "must be in the open interval (0, 1)")  # pragma: no mutate: unreachable, rounding is monotone: float(r) in (0, 1) implies r in (0, 1)
    if isinstance(original, sp.Rational) and p.domain == "unit_interval" and not 0 < original <= 1:
        raise InvalidArgument(name, original, "must be in (0, 1]")
    if isinstance(original, (int, np.integer)) and not isinstance(original, (bool, np.bool_)):
        return int(original)
    return original


def _check_conditions(stmt: Statement, params: Mapping[str, Any]) -> None:
    import mpmath

    for idx, cond in enumerate(stmt.conditions):
        rel = cond.relation
        if {s.name for s in rel.free_symbols} - set(params):
            continue
        order = tuple(sorted(s.name for s in rel.free_symbols))
        f = _compiled_condition(stmt.id, idx, order)
        arrays = [np.asarray(params[k], dtype=object) if isinstance(params[k], np.ndarray)
                  else params[k] for k in order]
        if any(isinstance(a, np.ndarray) for a in arrays):
            # arrays: float64 comparison (a tie within float rounding of the boundary is
            # decided in float64; scalars are decided at 50 digits)
            fnp = _compiled_condition_np(stmt.id, idx, order)
            fa = _float_arrays(arrays)
            with np.errstate(all="ignore"):
                mask = np.broadcast_to(np.asarray(fnp(*fa), dtype=bool), np.broadcast(*fa).shape)
            if not mask.all():
                bad_at = np.argwhere(~mask)[0]
                v = params.get(cond.param)
                v = np.broadcast_to(np.asarray(v), mask.shape)[tuple(bad_at)] if v is not None else v
                raise InvalidArgument(cond.param, v, cond.rule + f" (at index {tuple(int(i) for i in bad_at)})")
            ok = True
        else:
            with mpmath.workdps(50):
                ok = bool(f(*[_to_mp(a) for a in arrays]))
        if not ok:
            raise InvalidArgument(cond.param, params.get(cond.param), cond.rule)


def _raised_flags(stmt: Statement, params: Mapping[str, Any], names: list[str]) -> list[RaisedFlag]:
    import mpmath

    out = []
    for idx, fl in enumerate(stmt.flags):
        if fl.exprs and not set(fl.exprs) & set(names):
            continue
        need = {s.name for s in fl.when.free_symbols}
        if need - set(params):
            continue
        order = tuple(sorted(need))
        vals = [params[k] for k in order]
        if any(isinstance(v, np.ndarray) and v.ndim for v in vals):
            f = _compiled_flag(stmt.id, idx, order, "numpy")
            arrs = [np.asarray(float(v) if isinstance(v, sp.Basic) else v, dtype=float) for v in vals]
            with np.errstate(all="ignore"):
                hit = np.broadcast_to(np.asarray(f(*arrs), dtype=bool),
                                      np.broadcast(*arrs).shape)
            k, n = int(hit.sum()), hit.size
            if k:
                out.append(RaisedFlag(kind=fl.kind, message=fl.message, exprs=fl.exprs,
                                      where="all" if k == n else f"{k} of {n} points"))
            continue
        f = _compiled_flag(stmt.id, idx, order, "mpmath")
        try:
            with mpmath.workdps(60):
                hit = bool(f(*[_to_mp(v) for v in vals]))
        except (TypeError, ValueError, ZeroDivisionError):
            hit = False
        if hit:
            out.append(RaisedFlag(kind=fl.kind, message=fl.message, exprs=fl.exprs))
    return out


# -- exact-mode budget ---------------------------------------------------------------------
def _bits(r: sp.Basic) -> float:
    if r.is_Rational:
        return max(int(r.p).bit_length() + int(r.q).bit_length(), 1)
    return 0.0  # irrational constants (log 2, sqrt 3) stay symbolic: no growth


def _exact_cost(expr: sp.Basic, subs: Mapping[sp.Symbol, sp.Expr]) -> float:
    """Estimated bits of the largest exact number sympy would build while evaluating ``expr``
    at ``subs`` (powers with symbolic exponents, exp(c log x) = x^c, binomials, factorials,
    finite products); computed on small sub-expressions only (never the big ones)."""
    outer = {lim[0]: lim[2] for lp in expr.atoms(sp.Sum, sp.Product) for lim in lp.limits}

    def num(e):
        for _ in range(3):  # a loop variable is at most its upper limit
            e = e.xreplace(outer)
        try:
            return abs(float(e.xreplace(subs)))
        except (TypeError, ValueError, OverflowError):
            return math.inf

    cost = 0.0
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and node.exp.free_symbols:
            e = num(node.exp)
            base = node.base.xreplace(subs)
            cost = max(cost, e * _bits(base) if e != math.inf else math.inf)
        elif isinstance(node, sp.exp):
            for term in sp.Add.make_args(node.args[0]):
                for lg in term.atoms(sp.log):
                    coeff = term / lg
                    if coeff.has(sp.log):
                        continue
                    c = num(coeff)
                    cost = max(cost, c * _bits(lg.args[0].xreplace(subs)) if c != math.inf
                               else math.inf)
        elif isinstance(node, sp.factorial):
            n = num(node.args[0])
            cost = max(cost, n * math.log2(n + 2))  # log2 n! <= n log2 n
        elif isinstance(node, sp.binomial):
            # log2 C(n, k) <= k log2 n: a product of k factors n - i over k! (a loop variable k
            # counts at its upper limit, so the sum's largest term is covered)
            n, k = num(node.args[0]), num(node.args[1])
            cost = max(cost, min(k, n) * math.log2(n + 2))
    if _has_loops(expr):
        n = _loop_terms(expr, {k.name: v for k, v in subs.items()})
        per = max((_bits(v) for v in subs.values()), default=64) + 64
        cost = max(cost, n * per)
    return cost


# -- evaluation -----------------------------------------------------------------------------
def _as_float(a) -> float:
    try:
        return float(a)
    except OverflowError:  # an exact integer / rational beyond 1e308: the mpmath path decides
        return math.copysign(math.inf, 1 if a > 0 else -1)


def _float_arrays(args):
    return [np.asarray(_as_float(a) if isinstance(a, (sp.Basic, int)) else a, dtype=float)
            for a in args]


def _numpy_value(stmt: Statement, n: str, params: dict, notes: list[str]) -> Any:
    expr = stmt.expressions[n]
    used = {s.name for s in _free(expr)}
    order = tuple(k for k in params if k in used)
    args = [params[k] for k in order]
    scalar = all(not (isinstance(a, np.ndarray) and a.ndim) for a in args)
    custom = _NUMERIC.get((stmt.id, n))
    integer_valued = _is_integer_valued(expr)
    # float64 path
    if custom is not None:
        with np.errstate(all="ignore"):
            r = np.asarray(custom.vec(**dict(zip(order, _float_arrays(args)))), dtype=float)
    else:
        fn, loops = _compiled(stmt.id, n, "numpy", order)
        if loops:
            ints = [stmt.param(k).is_integer for k in order]

            def one(*a, _fn=fn, _ints=ints):
                return _fn(*[int(round(x)) if i else float(x) for x, i in zip(a, _ints)])
            arrs = _float_arrays(args)
            r = np.asarray(np.vectorize(one, otypes=[float])(*arrs), dtype=float)
        else:
            arrs = _float_arrays(args)
            try:
                with np.errstate(all="ignore"):
                    r = np.asarray(fn(*arrs), dtype=float)
            except (OverflowError, ZeroDivisionError, ValueError, TypeError):
                r = np.full(np.broadcast(*arrs).shape if arrs else (), np.nan)
    if not scalar:  # (an array argument exists, so args is not empty)
        r = np.broadcast_to(r, np.broadcast(*_float_arrays(args)).shape).copy()
    if scalar:
        f = float(r)
        ref, dps, converged = mp_reference(stmt, n, params)
        if ref is None:
            notes.append(f"{n}: float64 value not cross-checked (no affordable high-precision "
                         "route at these parameters)" + ("" if math.isfinite(f) else f"; it is {f}"))
            return f
        rf = _mp_to_float(ref)
        import mpmath

        if integer_valued and not isinstance(ref, mpmath.mpc) and mpmath.isfinite(ref):
            exact_int = int(ref)  # ref is an integer-valued mpf (ceiling); int() is exact
            if not (math.isfinite(f) and f == exact_int):
                notes.append(f"{n}: exact integer {exact_int} from mpmath at {dps} digits "
                             f"(float64 ceiling gave {f:.17g})")
            return exact_int
        if not converged:
            notes.append(f"{n}: mpmath reference did not settle within {tol.MP_MAX_DPS} digits; "
                         "the value may have lost digits")
        if math.isfinite(rf) and math.isfinite(f) and (
                f == rf or abs(f - rf) <= tol.FLOAT_AGREE_REL * abs(rf)):
            return f
        if math.isfinite(rf):
            notes.append(f"{n}: float64 lost digits (it gave {f:.17g}); value recomputed with "
                         f"mpmath at {dps} digits")
            return rf
        import mpmath

        if not isinstance(ref, mpmath.mpc) and mpmath.isinf(ref) and f == float(ref):
            return f  # the same infinity in float64 and in mpmath
        if not isinstance(ref, mpmath.mpc) and not mpmath.isnan(ref):
            notes.append(f"{n} = {_fmt_mp(ref)} exceeds the float64 range (printed as "
                         f"{'inf' if ref > 0 else '-inf'}); use --mode mpmath or exact for its digits")
            return math.inf if ref > 0 else -math.inf
        notes.append(f"{n}: undefined at these parameters (float64 gave {f})")
        return f
    # arrays: cross-check a spread of points against the reference (all points when few)
    flat = r.ravel()
    bargs = np.broadcast_arrays(*[a if isinstance(a, np.ndarray) else np.asarray(a, dtype=object)
                                  for a in args])  # views, no copies of the big arrays
    size = flat.size
    idx = range(size) if size <= 32 else np.unique(np.linspace(0, size - 1, 16).astype(int))
    fixed = 0
    for t in idx:
        where = np.unravel_index(int(t), r.shape)
        pt = {k: b[where] for k, b in zip(order, bargs)}
        pt = {k: (int(v) if stmt.param(k).is_integer else
                  (v.item() if isinstance(v, np.generic) else v)) for k, v in pt.items()}
        ref, dps, _ = mp_reference(stmt, n, pt)
        if ref is None:
            continue
        rf = _mp_to_float(ref)
        if integer_valued and math.isfinite(rf):
            import mpmath

            rf = float(int(ref))  # integer-valued mpf: int() is exact
        ok = (rf == flat[t]) or (math.isfinite(rf) and math.isfinite(flat[t])
                                 and abs(flat[t] - rf) <= tol.FLOAT_AGREE_REL * abs(rf))
        if not ok and math.isfinite(rf):
            flat[t] = rf
            fixed += 1
    if fixed:
        notes.append(f"{n}: float64 lost digits at {fixed} point(s); those were recomputed with "
                     "mpmath")
    if size > 32:
        notes.append(f"{n}: float64 array cross-checked against mpmath at {len(idx)} of {size} "
                     "points (every scalar evaluation is cross-checked)")
    if integer_valued and np.any(np.abs(flat) > 2**53):
        notes.append(f"{n}: entries above 2^53 are rounded float64 integers; evaluate those "
                     "points one at a time for exact integers")
    return flat.reshape(r.shape)


def _exact_value(stmt: Statement, n: str, params: dict, notes: list[str]) -> Any:
    expr = stmt.expressions[n]
    subs = {stmt.symbols[k]: exact_number(v) for k, v in params.items()}
    custom = _NUMERIC.get((stmt.id, n))
    cost = _exact_cost(expr, subs)
    if cost <= tol.EXACT_BITS_BUDGET:
        if custom is not None and custom.exact is not None:
            used = {s.name for s in _free(expr)}
            return custom.exact(**{k: exact_number(v) for k, v in params.items() if k in used})
        # _exact_cost counts at least 64 bits per loop term, so a loop within the bit budget has
        # at most 2^20 / 64 = 16,384 terms: below LOOP_TERMS_BUDGET, no second check is needed
        e = expr.xreplace(subs)
        return e.doit() if _has_loops(e) else e
    ref, dps, converged = mp_reference(stmt, n, params)
    if ref is None:
        raise InvalidArgument("mode", "exact", f"{stmt.id}:{n} would need about {cost:.3g} bits "
                              "exactly and has no affordable high-precision route at these "
                              "parameters")
    notes.append(f"{n}: exact arithmetic would need about {cost:.3g} bits (budget "
                 f"{tol.EXACT_BITS_BUDGET}); value computed with mpmath at {dps} digits instead"
                 + ("" if converged else " (digits not confirmed)"))
    if _is_integer_valued(expr):
        return sp.Integer(int(ref))  # integer-valued mpf: int() is exact
    return sp.Float(ref, dps)


def evaluate(statement: str | Statement, values: Mapping[str, Any] | None = None, *,
             name: str | tuple[str, ...] | None = None, mode: str = "numpy", dps: int = 50,
             **kwargs: Any) -> Evaluation:
    """Evaluate expressions of a statement at parameter values.

    ``values`` (or keyword arguments) maps parameter names to numbers or numpy arrays; missing
    parameters take their defaults; a missing parameter without a default is an error, except
    hidden constants, which stay symbolic. ``name`` selects one or several expressions (default:
    all). ``mode`` is ``"numpy"``, ``"exact"`` or ``"mpmath"`` (with ``dps`` digits, 15 to
    10,000). The result carries the statement's domain / vacuity flags that hold.
    """
    stmt = get(statement)
    mode = one_of("mode", mode, MODES)
    dps = check_dps(dps)
    if stmt.sequence_params:
        raise InvalidArgument("statement", stmt.id, "takes per-layer sequences ("
                              + ", ".join(p.name for p in stmt.sequence_params)
                              + f"); evaluate it with the helpers of {stmt.module}")
    if values is not None and not isinstance(values, Mapping):
        raise InvalidArgument("values", values, "must be a mapping of parameter names to numbers")
    given = dict(values or {})
    given.update(kwargs)
    for key in given:
        if not isinstance(key, str):
            raise InvalidArgument("parameter", key, "must be a parameter name (a string)")
        stmt.param(key)  # unknown names raise with suggestions
    exprs = stmt.expressions
    explicit = name is not None
    if name is None:
        names = [k for k, _ in stmt.exprs]
    elif isinstance(name, str):
        names = [name]
    else:
        names = list(name)
    for n in names:
        if not isinstance(n, str) or n not in exprs:
            raise InvalidArgument("name", n, f"is not an expression of {stmt.id!r}",
                                  hint=f"choose from {', '.join(exprs)}")

    def available(p) -> bool:
        return (p.name in given and given[p.name] is not None) or p.default is not None

    skipped = []
    if not explicit:  # evaluate every expression whose non-hidden parameters are available
        keep = []
        for n in names:
            need = [stmt.param(s.name) for s in _free(exprs[n])]
            missing = [p.name for p in need if not available(p) and not p.hidden]
            (skipped.append((n, missing)) if missing else keep.append(n))
        if not keep:
            n, missing = skipped[0]
            p = stmt.param(missing[0])
            raise InvalidArgument(p.name, None, f"is required by {stmt.id!r} ({p.description})",
                                  hint=f"give it as {p.cli} VALUE on the command line")
        names = keep
    needed = {s.name for n in names for s in _free(exprs[n])}
    params: dict[str, Any] = {}
    defaults_used = []
    symbolic_left = []
    for p in stmt.params:
        if p.name in given and given[p.name] is not None:
            params[p.name] = _validate(stmt, p.name, given[p.name])
        elif p.name not in needed:
            continue
        elif p.default is not None:
            params[p.name] = p.default if mode == "exact" else float(p.default)
            defaults_used.append(p.name)
        elif p.hidden:
            symbolic_left.append(p.name)
        else:
            raise InvalidArgument(p.name, None, f"is required by {stmt.id!r} ({p.description})",
                                  hint=f"give it as {p.cli} VALUE on the command line")
    _check_conditions(stmt, params)
    out: dict[str, Any] = {}
    notes = [f"{n} not evaluated: needs {', '.join(m)}" for n, m in skipped]
    sym_names = [n for n in names
                 if {x.name for x in _free(exprs[n])} & set(symbolic_left)]
    if sym_names:
        subs = {stmt.symbols[k]: exact_number(v) for k, v in params.items()
                if not isinstance(v, np.ndarray)}
        for n in sym_names:
            out[n] = exprs[n].xreplace(subs)
        notes.append("left symbolic: unspecified constant(s) " + ", ".join(symbolic_left)
                     + " (the paper gives no value; never evaluated to a number)")
        names = [n for n in names if n not in sym_names]
    if mode == "exact" and any(isinstance(v, np.ndarray) and v.ndim for v in params.values()):
        raise InvalidArgument("mode", "exact", "takes scalar parameters only (use numpy mode "
                              "for arrays)")
    for n in names:
        if mode == "exact":
            out[n] = _exact_value(stmt, n, params, notes)
        elif mode == "mpmath":
            if any(isinstance(v, np.ndarray) and v.ndim for v in params.values()):
                raise InvalidArgument("mode", "mpmath", "takes scalar parameters only (use "
                                      "numpy mode for arrays)")
            v = _mp_eval(stmt, n, params, dps)
            if v is None:
                raise InvalidArgument("mode", "mpmath", f"{stmt.id}:{n} has too many loop terms "
                                      f"(> {tol.LOOP_TERMS_BUDGET}) for mpmath at these parameters")
            out[n] = v
        else:
            out[n] = _numpy_value(stmt, n, params, notes)
    order_all = [k for k, _ in stmt.exprs]
    out = {k: out[k] for k in order_all if k in out}
    flags = _raised_flags(stmt, params, list(out))
    return Evaluation(id=stmt.id, mode=mode, values=out, params=params,
                      defaults_used=tuple(defaults_used), symbolic=bool(sym_names),
                      notes=tuple(notes), flags=tuple(flags))


def value(statement: str | Statement, name: str | None = None, **params: Any) -> Any:
    """Shortcut: the numeric (numpy-mode) value of one expression (default: the primary one)."""
    stmt = get(statement)
    return evaluate(stmt, params, name=name or stmt.primary).value
