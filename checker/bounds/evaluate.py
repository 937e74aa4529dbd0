"""The one evaluation bridge of the bound library: sympy statement -> numbers.

Every number the bound library (and every helper built on it) produces goes through
:func:`evaluate`, so there is exactly one copy of each formula: the sympy expression in its
statement module.

Modes
-----
``"numpy"`` (default)
    ``sympy.lambdify`` to numpy, vectorised over arrays (broadcasting). Expressions with finite
    sums or products (the birthday formulas) are evaluated per point with Python scalars
    (``np.vectorize``), since their number of terms depends on the parameters.
``"exact"``
    Substitution of exact rationals (floats are converted with ``sympy.nsimplify(rational=True)``
    of their decimal string, so ``0.1`` is ``1/10``) and sympy simplification; returns sympy
    numbers. Finite sums/products are expanded exactly.
``"mpmath"``
    ``lambdify`` to mpmath at ``dps`` decimal digits (scalars only).

A finite product :math:`\\prod_i f_i` is evaluated numerically as :math:`\\exp\\sum_i \\log f_i`; the
statements that use products guard them (``Piecewise``) so every factor is positive there.

Hidden constants (:attr:`Param.hidden` without a default, e.g. Corollary 1's ``b_1, b_2``) are
never turned into numbers: with any of them unset, :func:`evaluate` substitutes what it was given
and returns the remaining symbolic expression (``Evaluation.symbolic`` is then ``True``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from checker.bounds.statement import Statement, get
from checker.errors import InvalidArgument
from checker.validate import one_of

__all__ = ["Evaluation", "evaluate", "value", "MODES", "exact_number", "numeric_function",
           "parse_number"]

MODES = ("numpy", "exact", "mpmath")


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """Result of evaluating a statement at given parameter values.

    ``values`` maps each requested expression name to its value (a float, a numpy array, a sympy
    number in exact mode, an mpmath number, or a sympy expression when ``symbolic``).
    ``params`` are the parameter values used (defaults included); ``defaults_used`` names the
    parameters that took their default.
    """

    id: str
    mode: str
    values: dict[str, Any]
    params: dict[str, Any]
    defaults_used: tuple[str, ...] = ()
    symbolic: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def value(self) -> Any:
        """The single value when exactly one expression was evaluated."""
        if len(self.values) != 1:
            raise InvalidArgument("values", list(self.values), "has several entries; pick one by name")
        return next(iter(self.values.values()))


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
        return sp.oo if xf > 0 else -sp.oo
    return sp.Rational(repr(xf))


def _free(expr: sp.Basic) -> list[sp.Symbol]:
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    return sorted((s for s in expr.free_symbols if type(s) is sp.Symbol and s not in labels),
                  key=lambda s: s.name)


def _has_loops(expr: sp.Basic) -> bool:
    return bool(expr.atoms(sp.Product, sp.Sum))


def _numeric_form(expr: sp.Basic) -> sp.Basic:
    """Rewrite finite products as exp(sum(log)) and binomials via log-gamma (no overflow)."""
    expr = expr.replace(lambda e: isinstance(e, sp.Product),
                        lambda e: sp.exp(sp.Sum(sp.log(e.function), *e.limits)))
    return expr  # binomial(n, k) is mapped to _binomial_float (log-gamma) at compile time


def _binomial_float(n, k) -> float:
    """binomial(n, k) in float64 through log-gamma (no huge intermediate integers)."""
    return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1))


@functools.lru_cache(maxsize=512)
def _compiled(stmt_id: str, name: str, mode: str, names: tuple[str, ...]):
    stmt = get(stmt_id)
    expr = stmt.expressions[name]
    syms = [stmt.symbols[n] for n in names]
    if mode == "mpmath":
        if _has_loops(expr):
            expr = expr.replace(lambda e: isinstance(e, sp.Product),
                                lambda e: sp.exp(sp.Sum(sp.log(e.function), *e.limits)))
        return sp.lambdify(syms, expr, "mpmath"), False
    if _has_loops(expr):
        fast = sp.lambdify(syms, _numeric_form(expr), [{"binomial": _binomial_float}, "math"])
        slow = sp.lambdify(syms, expr.replace(lambda e: isinstance(e, sp.Product),
                                              lambda e: sp.exp(sp.Sum(sp.log(e.function),
                                                                      *e.limits))), "mpmath")

        def scalar(*args):
            try:
                return float(fast(*args))
            except (OverflowError, ValueError):  # float range exceeded: retry in mpmath
                import mpmath

                with mpmath.workdps(30):
                    return float(slow(*args))
        return scalar, True
    return sp.lambdify(syms, expr, "numpy"), False


@functools.lru_cache(maxsize=256)
def _compiled_condition(stmt_id: str, index: int, order: tuple[str, ...]):
    stmt = get(stmt_id)
    return sp.lambdify([stmt.symbols[k] for k in order], stmt.conditions[index].relation, "numpy")


def numeric_function(statement: str | Statement, name: str | None = None):
    """The compiled numpy function of one expression and the ordered parameter names it takes."""
    stmt = get(statement)
    name = name or stmt.primary
    used = {s.name for s in _free(stmt.expressions[name])}
    names = tuple(p.name for p in stmt.params if p.name in used)
    fn, _ = _compiled(stmt.id, name, "numpy", names)
    return fn, names


def parse_number(name: str, text: str) -> sp.Rational:
    """A decimal or fraction string ("0.1", "1/3", "1e-3") as an exact rational (no eval)."""
    try:
        r = sp.Rational(text.strip())
    except (TypeError, ValueError, SyntaxError):
        raise InvalidArgument(name, text, "must be a number (decimal or fraction like 1/3)") from None
    return r


def _validate(stmt: Statement, name: str, value: Any) -> Any:
    p = stmt.param(name)
    original = value
    if isinstance(value, str):
        value = original = parse_number(name, value)
    if isinstance(value, sp.Basic):
        if not value.is_number or not value.is_real:
            raise InvalidArgument(name, value, "must be a real number")
        value = float(value)
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise InvalidArgument(name, value, "must be a real number")
    if arr.dtype.kind == "b":
        raise InvalidArgument(name, value, "must be a real number")
    bad = lambda mask: (original if arr.ndim == 0 else arr[mask].ravel()[0])  # noqa: E731
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(name, bad(~np.isfinite(arr)), "must be finite")
    dom = p.domain
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
    if dom in rules:
        ok, rule = rules[dom]
        if not np.all(ok):
            raise InvalidArgument(name, bad(~ok), rule)
    return original


def _check_conditions(stmt: Statement, params: Mapping[str, Any], mode: str) -> None:
    for cond in stmt.conditions:
        rel = cond.relation
        if {s.name for s in rel.free_symbols} - set(params):
            continue
        if mode == "exact":
            sub = rel.subs({stmt.symbols[k]: v for k, v in params.items()})
            ok = bool(sub) if sub in (sp.true, sp.false) else True
        else:
            order = tuple(sorted(s.name for s in rel.free_symbols))
            f = _compiled_condition(stmt.id, stmt.conditions.index(cond), order)
            with np.errstate(all="ignore"):
                ok = bool(np.all(f(*[np.asarray(params[k], dtype=float) for k in order])))
        if not ok:
            value = params.get(cond.param)
            raise InvalidArgument(cond.param, value, cond.rule)


def evaluate(statement: str | Statement, values: Mapping[str, Any] | None = None, *,
             name: str | tuple[str, ...] | None = None, mode: str = "numpy", dps: int = 50,
             **kwargs: Any) -> Evaluation:
    """Evaluate expressions of a statement at parameter values.

    ``values`` (or keyword arguments) maps parameter names to numbers or numpy arrays; missing
    parameters take their defaults; a missing parameter without a default is an error, except
    hidden constants, which stay symbolic. ``name`` selects one or several expressions (default:
    all). ``mode`` is ``"numpy"``, ``"exact"`` or ``"mpmath"`` (with ``dps`` digits).
    """
    stmt = get(statement)
    mode = one_of("mode", mode, MODES)
    if stmt.sequence_params:
        raise InvalidArgument("statement", stmt.id, "takes per-layer sequences ("
                              + ", ".join(p.name for p in stmt.sequence_params)
                              + f"); evaluate it with the helpers of {stmt.module}")
    given = dict(values or {})
    given.update(kwargs)
    for key in given:
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
        if n not in exprs:
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
    _check_conditions(stmt, params, mode)
    out: dict[str, Any] = {}
    notes = [f"{n} not evaluated: needs {', '.join(m)}" for n, m in skipped]
    sym_names = [n for n in names
                 if {x.name for x in _free(exprs[n])} & set(symbolic_left)]
    if sym_names:
        subs = {stmt.symbols[k]: exact_number(v) for k, v in params.items()}
        for n in sym_names:
            out[n] = sp.simplify(exprs[n].subs(subs))
        notes.append("left symbolic: unspecified constant(s) " + ", ".join(symbolic_left)
                     + " (the paper gives no value; never evaluated to a number)")
        names = [n for n in names if n not in sym_names]
    if mode == "exact":
        subs = {stmt.symbols[k]: exact_number(v) for k, v in params.items()}
        for n in names:
            e = exprs[n].subs(subs)
            e = e.doit() if _has_loops(e) else e
            # no simplify(): it may factor huge integers inside logs; sympy's automatic
            # evaluation already gives a canonical exact number
            out[n] = e
    else:
        for n in names:
            used = {s.name for s in _free(exprs[n])}
            order = tuple(k for k in params if k in used)
            fn, loops = _compiled(stmt.id, n, mode, order)
            args = [params[k] for k in order]
            if mode == "mpmath":
                import mpmath

                loop_limits = {x.name for lp in exprs[n].atoms(sp.Sum, sp.Product)
                               for lim in lp.limits for x in lim[1:]
                               for x in x.free_symbols}

                def conv(k, a, _limits=loop_limits):
                    if k in _limits:  # Python range() bounds must stay ints
                        return int(a)
                    if isinstance(a, sp.Rational):
                        return mpmath.mpf(a.p) / a.q
                    return mpmath.mpf(repr(float(a)))

                with mpmath.workdps(dps):
                    out[n] = fn(*[conv(k, a) for k, a in zip(order, args)])
                continue
            if loops:
                ints = [stmt.param(k).is_integer for k in order]
                def scalar(*a, _fn=fn, _ints=ints):
                    a = [int(round(x)) if i else float(x) for x, i in zip(a, _ints)]
                    return _fn(*a)
                arrs = [np.asarray(float(a) if isinstance(a, sp.Basic) else a) for a in args]
                if all(a.ndim == 0 for a in arrs):
                    out[n] = scalar(*[a.item() for a in arrs])
                else:
                    out[n] = np.vectorize(scalar, otypes=[float])(*arrs)
            else:
                arrs = [np.asarray(float(a) if isinstance(a, sp.Basic) else a, dtype=float)
                        for a in args]
                with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                    r = fn(*arrs)
                r = np.asarray(r, dtype=float)
                if any(a.ndim for a in arrs):
                    r = np.broadcast_to(r, np.broadcast(*arrs).shape).copy()
                out[n] = float(r) if r.ndim == 0 else r
    order_all = [k for k, _ in stmt.exprs]
    out = {k: out[k] for k in order_all if k in out}
    return Evaluation(id=stmt.id, mode=mode, values=out, params=params,
                      defaults_used=tuple(defaults_used), symbolic=bool(sym_names),
                      notes=tuple(notes))


def value(statement: str | Statement, name: str | None = None, **params: Any) -> Any:
    """Shortcut: the numeric (numpy-mode) value of one expression (default: the primary one)."""
    stmt = get(statement)
    return evaluate(stmt, params, name=name or stmt.primary).value
