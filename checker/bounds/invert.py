r"""Inversion of bound statements: solve ``expression(params) = target`` for one parameter.

Users ask, e.g., for the accuracy :math:`\varepsilon` a pool of size :math:`m` guarantees, for the
capacity :math:`p` a pool supports, for the sample size giving a collision probability, or for
the penalty :math:`\gamma` giving strong concavity.

Method: all other parameters are substituted exactly; if the unknown appears only polynomially
(no ``log``, ``exp``, ``ceiling``, sums or products of it) ``sympy.solve`` is tried and the real
solutions inside the unknown's domain are kept (``method="symbolic"``). Otherwise, or if sympy
fails, a bracketed root finder (``scipy.optimize.brentq``, relative tolerance
:data:`checker.tolerances.ROOT_REL`) is run on the numeric (lambdified) expression over a bracket
found by a geometric scan of the domain (``method="brentq"``). The result says which method ran.
Expressions containing ``ceiling`` must be inverted through their ``*_continuous`` relaxation
(done automatically when one exists; the result says so).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from checker.bounds.evaluate import _free, evaluate
from checker.bounds.statement import Statement, get
from checker.errors import InvalidArgument
from checker.tolerances import CLOSED_FORM_IMAG_REL, ROOT_REL
from checker.validate import finite

__all__ = ["Inversion", "solve_for"]


@dataclass(frozen=True, kw_only=True)
class Inversion:
    """Result of :func:`solve_for`: ``value`` of ``unknown`` with ``expression == target``."""

    id: str
    unknown: str
    expression: str
    target: float
    value: float
    method: str
    solutions: tuple[float, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


_TRANSCENDENTAL = (sp.log, sp.exp, sp.ceiling, sp.floor, sp.Sum, sp.Product, sp.loggamma,
                   sp.Piecewise, sp.Min, sp.Max, sp.binomial)


def _is_algebraic_in(expr: sp.Basic, x: sp.Symbol) -> bool:
    for node in sp.preorder_traversal(expr):
        if isinstance(node, _TRANSCENDENTAL) and node.has(x):
            return False
        if isinstance(node, sp.Pow) and node.exp.has(x):
            return False
    return True


def _in_domain(param, v: float) -> bool:
    d = param.domain
    if not math.isfinite(v):
        return False
    return {"positive": v > 0, "positive_int": v > 0, "nonnegative": v >= 0,
            "nonnegative_int": v >= 0, "probability": 0 < v < 1, "unit_interval": 0 < v <= 1,
            "at_least_one": v >= 1}.get(d, True)


def _scan_points(param) -> list[float]:
    if param.domain in ("probability", "unit_interval"):
        inner = [10.0**-k for k in range(15, 0, -1)] + list(np.linspace(0.1, 0.9, 9)) + \
                [1 - 10.0**-k for k in range(2, 15)]
        return inner + ([1.0] if param.domain == "unit_interval" else [])
    lo = 1.0 if param.domain in ("positive_int", "at_least_one") else 1e-15
    pts = list(np.geomspace(lo, 1e15, 121))
    if param.domain in ("nonnegative", "nonnegative_int"):
        pts = [0.0] + pts
    if param.domain == "real":
        pts = [-x for x in reversed(pts)] + [0.0] + pts
    return pts


def solve_for(statement: str | Statement, unknown: str, *, target: float,
              values: Mapping[str, Any] | None = None, name: str | None = None,
              bracket: tuple[float, float] | None = None) -> Inversion:
    """Solve ``statement.<name>(..., unknown=x, ...) = target`` for ``x``.

    ``values`` gives the other parameters (defaults apply); ``name`` picks the expression
    (default: the primary one, or its ``*_continuous`` relaxation when it has a ceiling).
    Raises :class:`InvalidArgument` when no solution lies in the unknown's domain.
    """
    stmt = get(statement)
    param = stmt.param(unknown)
    target = finite("target", target)
    notes: list[str] = []
    exprs = stmt.expressions
    name = name or stmt.primary
    if name not in exprs:
        raise InvalidArgument("name", name, f"is not an expression of {stmt.id!r}",
                              hint=f"choose from {', '.join(exprs)}")
    if exprs[name].has(sp.ceiling):
        cont = f"{name}_continuous"
        if cont not in exprs:
            raise InvalidArgument("name", name, "contains a ceiling and has no continuous "
                                  "relaxation to invert")
        notes.append(f"inverted the continuous relaxation {cont} (ceiling dropped); for integer "
                     f"targets this is exact: ceil(X)+1 <= m iff X+1 <= m")
        name = cont
    expr = exprs[name]
    x = param.symbol
    if x not in expr.free_symbols:
        raise InvalidArgument("solve_for", unknown, f"does not appear in {stmt.id}:{name}")
    vals = {k: v for k, v in dict(values or {}).items() if v is not None}
    if unknown in vals:
        raise InvalidArgument(unknown, vals[unknown], "is the unknown; do not also give a value")
    others = [stmt.param(s.name) for s in _free(expr) if s.name != unknown]
    for p in others:
        if p.name not in vals and p.default is None:
            raise InvalidArgument(p.name, None, f"is required to solve {stmt.id} for {unknown}",
                                  hint=f"give it as {p.cli} VALUE")

    def f(v: float) -> float:
        # compiled expression evaluated directly (domain of v guaranteed by the scan/bracket)
        return _real_eval(stmt, name, unknown, v, vals) - target

    method = ""
    sols: list[float] = []
    if param.is_integer and (expr.has(sp.Sum) or expr.has(sp.Product)):
        return _integer_search(stmt, name, unknown, target, vals, notes)
    closed = _closed_forms(stmt.id, name, unknown) if _is_algebraic_in(expr, x) else None
    if closed:
        sub = {k: (float(v) if not isinstance(v, sp.Basic) else float(v)) for k, v in vals.items()}
        for p in others:
            sub.setdefault(p.name, float(p.default) if p.default is not None else None)
        sub["target"] = target
        for sol_expr, fn, order in closed:
            try:
                with np.errstate(all="ignore"):
                    v = complex(fn(*[sub[k] for k in order]))
            except (ZeroDivisionError, ValueError, OverflowError):
                continue
            if abs(v.imag) <= CLOSED_FORM_IMAG_REL * max(1.0, abs(v.real)) and _in_domain(param, v.real):
                sols.append(v.real)
        sols.sort()
        if sols:
            method = "symbolic"
            notes.append("closed form: " + " or ".join(f"{unknown} = {e}" for e, _, _ in closed))
    if not method:
        from scipy.optimize import brentq

        if bracket is None:
            pts = _scan_points(param)
            vals_f = []
            for v in pts:
                try:
                    vals_f.append(f(v))
                except InvalidArgument:
                    vals_f.append(math.nan)
            bracket = None
            for (a, fa), (b, fb) in zip(zip(pts, vals_f), zip(pts[1:], vals_f[1:])):
                if math.isfinite(fa) and math.isfinite(fb) and (fa == 0 or fa * fb < 0):
                    bracket = (a, b)
                    break
            if bracket is None:
                raise InvalidArgument(
                    "target", target, f"is not attained by {stmt.id}:{name} for {unknown} in its "
                    f"domain ({param.domain}) with the given parameters")
        a, b = bracket
        fa = f(a)
        root = a if fa == 0 else brentq(f, a, b, xtol=1e-300, rtol=max(ROOT_REL, 4.5e-16),
                                        maxiter=500)
        sols = [float(root)]
        method = "brentq"
    if param.is_integer:
        notes.append(f"{unknown} is an integer; the real root is reported (round as the "
                     f"bound's direction requires)")
    if len(sols) > 1:
        notes.append(f"{len(sols)} solutions in the domain; the smallest is reported")
    return Inversion(id=stmt.id, unknown=unknown, expression=name, target=target,
                     value=sols[0], method=method, solutions=tuple(sols), notes=tuple(notes))


def _real_eval(stmt: Statement, name: str, unknown: str, v: float, vals: Mapping[str, Any]) -> float:
    """Evaluate with an integer parameter set to a real value (for root finding only)."""
    from checker.bounds.evaluate import _compiled

    expr = stmt.expressions[name]
    used = [s.name for s in _free(expr)]
    order = tuple(k for k in (p.name for p in stmt.params) if k in used)
    full = {}
    for k in order:
        if k == unknown:
            full[k] = v
        elif k in vals:
            full[k] = float(vals[k])
        else:
            full[k] = float(stmt.param(k).default)
    fn, loops = _compiled(stmt.id, name, "numpy", order)
    with np.errstate(all="ignore"):
        return float(fn(*[full[k] for k in order]))


@functools.lru_cache(maxsize=256)
def _closed_forms(stmt_id: str, name: str, unknown: str):
    """Closed-form solutions of ``expr = target`` for ``unknown`` with all other parameters
    symbolic (solved once, cached), each with a compiled evaluator; ``None`` if sympy fails."""
    stmt = get(stmt_id)
    expr = stmt.expressions[name]
    x = stmt.param(unknown).symbol
    xr = sp.Dummy(unknown, real=True)
    tgt = sp.Symbol("target", real=True)
    try:
        raw = sp.solve(sp.Eq(expr.subs(x, xr), tgt), xr)
    except (NotImplementedError, TypeError, ValueError):
        return None
    if not raw:
        return None
    out = []
    for sol in raw:
        order = tuple(sorted(str(s) for s in sol.free_symbols))
        syms = sorted(sol.free_symbols, key=str)
        fn = sp.lambdify(syms, sol, modules=["numpy", {"sqrt": np.emath.sqrt}])
        out.append((sol, fn, order))
    return tuple(out)


def _integer_search(stmt: Statement, name: str, unknown: str, target: float,
                    vals: Mapping[str, Any], notes: list[str]) -> Inversion:
    """Smallest integer n >= 1 at which a monotone integer-indexed expression crosses ``target``
    (doubling to bracket, then integer bisection); for expressions defined only at integers."""
    def g(n: int) -> float:
        return float(evaluate(stmt, {**vals, unknown: n}, name=name).value) - target

    g1 = g(1)
    if g1 == 0:
        n = 1
    else:
        sign = g1 > 0
        lo, hi = 1, 2
        while (g(hi) > 0) == sign and g(hi) != 0:
            lo, hi = hi, hi * 2
            if hi > 2**40:
                raise InvalidArgument("target", target, f"is not attained by {stmt.id}:{name} "
                                      f"for integer {unknown} <= 2^40")
        while hi - lo > 1:  # invariant: g(lo) on the starting side, g(hi) crossed or zero
            mid = (lo + hi) // 2
            gm = g(mid)
            if gm != 0 and (gm > 0) == sign:
                lo = mid
            else:
                hi = mid
        n = hi
    notes.append(f"{unknown} is an integer: the smallest integer at which {name} reaches the "
                 f"target is reported (the expression is evaluated only at integers)")
    return Inversion(id=stmt.id, unknown=unknown, expression=name, target=target, value=float(n),
                     method="integer-bisection", solutions=(float(n),), notes=tuple(notes))
