r"""Inversion of bound statements: solve ``expression(params) = target`` for one parameter.

Users ask, e.g., for the accuracy :math:`\varepsilon` a pool of size :math:`m` guarantees, for the
capacity :math:`p` a pool supports, for the sample size giving a collision probability, or for
the penalty :math:`\gamma` giving strong concavity.

Method (every step has a budget; the whole solve stops after
:data:`~checker.bounds.tolerances.SOLVE_TIME_LIMIT_S` seconds with a one-line error):

1. **Candidates.** The expression is evaluated (float64, vectorised) on a grid covering the
   unknown's whole domain as the statement declares it (log-spaced over 1e-300..1e300 for
   positive unknowns, logit-spaced for probabilities), and every sign change is refined by
   ``brentq``. When the unknown enters algebraically with degree at most 4, ``sympy.solve``
   adds its closed-form roots (solved once with the other parameters symbolic, cached).
2. **Verification.** Every candidate is substituted back: exactly (sympy) for closed forms at
   rational parameters where the expression is small, otherwise in adaptive-precision mpmath,
   where it must show a sign change across the root that shrinks as the interval shrinks
   (a pole changes sign too, but grows). Unverified candidates (float underflow, poles) are
   dropped and counted in a note.
3. **Side conditions and flags.** A root violating a statement condition (e.g. ``gamma > L_zz``)
   is dropped; a root where a domain flag holds is kept but labelled (e.g. the second branch of
   the paper form's :math:`\ln^2`, where the log argument is below 1) and never reported as the
   primary value while an in-domain root exists.
4. **Branches.** Each root is labelled by the expression's monotonicity there (increasing /
   decreasing branch) and its flags; all roots are returned.
5. **Safe rounding.** For an integer unknown the neighbouring integers are evaluated exactly
   and the one on the guarantee side (the statement's declared sense, ``le``/``ge``) is returned.
   Expressions with a ceiling are inverted through their ``*_continuous`` relaxation (exact for
   integer targets: :math:`\lceil X\rceil+1\le m\iff X+1\le m`). Integer-indexed sums and
   products are inverted by bounded doubling and integer bisection on the exact predicate.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from checker.bounds import tolerances as tol
from checker.bounds.evaluate import (_NUMERIC, _compiled, _free, _raised_flags, _validate,
                                     exact_number, mp_reference)
from checker.bounds.statement import Statement, get
from checker.errors import InvalidArgument
from checker.tolerances import ROOT_REL
from checker.validate import finite

__all__ = ["Inversion", "Root", "solve_for"]


@dataclass(frozen=True, kw_only=True)
class Root:
    """One verified solution: ``value``, its ``branch`` label, how it was ``verified``
    (``"exact"`` or ``"mpmath"``) and the statement flags that hold there."""

    value: float
    branch: str
    verified: str
    flags: tuple[str, ...] = ()

    @property
    def in_domain(self) -> bool:
        return not any(f.startswith("outside_domain") for f in self.flags)


@dataclass(frozen=True, kw_only=True)
class Inversion:
    """Result of :func:`solve_for`: ``value`` of ``unknown`` with ``expression == target``.

    ``value`` is the primary root (the smallest verified in-domain root, safely rounded; an
    exact ``int`` for integer unknowns); ``roots`` lists every verified root with its branch label;
    ``solutions`` their values (primary first is not implied: sorted ascending)."""

    id: str
    unknown: str
    expression: str
    target: float
    value: float
    method: str
    solutions: tuple[float, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    roots: tuple[Root, ...] = ()


#: brentq's relative tolerance: 4 float64 ulps, the smallest scipy accepts (the root is then
#: verified and safely rounded in high precision; ROOT_REL bounds the reported accuracy).
_BRENT_RTOL = 4 * np.finfo(float).eps

#: Two candidate roots closer than this (relative) are one root: brentq stops within
#: _BRENT_RTOL of a root and a closed form evaluated at 30 digits is far closer, so the same root
#: reached both ways differs by a few ulps; distinct roots of a statement's expression this close
#: would be beyond what float64 can separate reliably anyway.
_SAME_ROOT_REL = 1e-9


def _same_root(a: float, b: float) -> bool:
    return abs(a - b) <= _SAME_ROOT_REL * abs(b)
assert _BRENT_RTOL <= ROOT_REL


class _Clock:
    def __init__(self, what: str, limit: float):
        self.what, self.limit, self.t0 = what, limit, time.monotonic()

    def check(self):
        if time.monotonic() - self.t0 > self.limit:
            raise InvalidArgument("solve_for", self.what, f"did not finish within {self.limit:g} s "
                                  "(time limit of an inversion); give fewer free parameters or "
                                  "a narrower bracket")


_TRANSCENDENTAL = (sp.log, sp.exp, sp.ceiling, sp.floor, sp.Sum, sp.Product, sp.loggamma,
                   sp.Piecewise, sp.Min, sp.Max, sp.binomial)


def _is_algebraic_in(expr: sp.Basic, x: sp.Symbol) -> bool:
    for node in sp.preorder_traversal(expr):
        if isinstance(node, _TRANSCENDENTAL) and node.has(x):
            return False
        if isinstance(node, sp.Pow) and node.exp.has(x):
            return False
    return True


def _low_degree(expr: sp.Basic, x: sp.Symbol, tgt: sp.Symbol) -> bool:
    """True when ``expr - tgt`` clears to a polynomial of degree <= 4 in x (solve is cheap)."""
    num, _ = sp.fraction(sp.together(expr - tgt))
    try:
        num = sp.expand(num)
        # sqrt(x) etc. are not polynomial: sympy.solve may square and blow up; refuse
        return sp.Poly(num, x).degree() <= 4
    except (sp.PolynomialError, sp.GeneratorsNeeded, ValueError):
        return False


@functools.lru_cache(maxsize=256)
def _closed_forms(stmt_id: str, name: str, unknown: str):
    """Closed-form solutions of ``expr = target`` for ``unknown`` with all other parameters
    symbolic (solved once, cached); ``None`` if the unknown is not algebraic of degree <= 4."""
    stmt = get(stmt_id)
    expr = stmt.expressions[name]
    x = stmt.param(unknown).symbol
    if not _is_algebraic_in(expr, x):
        return None
    xr = sp.Dummy(unknown, real=True)
    tgt = sp.Symbol("target", real=True)
    e = expr.subs(x, xr)
    if not _low_degree(e, xr, tgt):
        return None
    try:
        raw = sp.solve(sp.Eq(e, tgt), xr)
    except (NotImplementedError, TypeError, ValueError):
        return None
    return tuple(raw) or None


def _domain_interval(param) -> tuple[float, float]:
    return {"positive": (0.0, math.inf), "nonnegative": (0.0, math.inf),
            "positive_int": (1.0, math.inf), "nonnegative_int": (0.0, math.inf),
            "probability": (0.0, 1.0), "unit_interval": (0.0, 1.0),
            "at_least_one": (1.0, math.inf), "real": (-math.inf, math.inf)}[param.domain]


def _grid(param, bracket) -> np.ndarray:
    if bracket is not None:
        a, b = bracket
        if a > 0 and b / a > 100:
            return np.geomspace(a, b, 2001)
        return np.linspace(a, b, 2001)
    lo, hi = _domain_interval(param)
    pos = np.geomspace(1e-300, 1e300, 2401)
    if param.domain in ("probability", "unit_interval"):
        t = np.linspace(-700, 700, 2801)
        with np.errstate(over="ignore"):
            g = 1 / (1 + np.exp(-t))  # (a refinement 1 - 1e-300..1e-17 rounded to 1.0: dropped)
        g = g[g < 1]  # the logistic rounds to 1.0 for t >~ 37; it stays > 1e-305 > 0 at t = -700
        if param.domain == "unit_interval":
            g = np.append(g, 1.0)
        return np.unique(g)
    if param.domain == "real":
        return np.concatenate([-pos[::-1], [0.0], pos])
    g = pos[pos >= lo] if lo > 0 else pos
    if lo > 0:
        g = np.concatenate([[lo], g])
    if param.domain in ("nonnegative", "nonnegative_int"):
        g = np.concatenate([[0.0], g])
    return np.unique(g)


def _raw_values(stmt: Statement, name: str, unknown: str, xs: np.ndarray,
                vals: Mapping[str, Any]) -> np.ndarray:
    """float64 values of the expression at many values of the unknown (no cross-check)."""
    expr = stmt.expressions[name]
    used = [s.name for s in _free(expr)]
    order = tuple(k for k in (p.name for p in stmt.params) if k in used)
    args = {}
    for k in order:
        if k == unknown:
            args[k] = np.asarray(xs, dtype=float)
        else:
            v = vals[k] if k in vals else stmt.param(k).default
            args[k] = np.asarray(float(v), dtype=float)
    custom = _NUMERIC.get((stmt.id, name))
    with np.errstate(all="ignore"):
        if custom is not None:
            r = custom.vec(**args)
        else:
            fn, loops = _compiled(stmt.id, name, "numpy", order)
            if loops:
                r = np.vectorize(lambda *a: fn(*a), otypes=[float])(*[args[k] for k in order])
            else:
                try:
                    r = fn(*[args[k] for k in order])
                except (OverflowError, ZeroDivisionError, ValueError, TypeError):
                    r = np.array([_scalar_raw(fn, order, args, unknown, v) for v in xs])
    return np.broadcast_to(np.asarray(r, dtype=float), np.shape(xs)).astype(float)


def _scalar_raw(fn, order, args, unknown, v):
    try:
        return float(fn(*[(v if k == unknown else args[k]) for k in order]))
    except (OverflowError, ZeroDivisionError, ValueError, TypeError):
        return math.nan


def _mp_f(stmt, name, unknown, x, vals, target):
    """High-precision value of expression(x) - target (``None`` if unavailable)."""
    import mpmath

    params = {**vals, unknown: x}
    for p in stmt.params:
        if p.name not in params and p.default is not None:
            params[p.name] = p.default
    ref, dps, _ = mp_reference(stmt, name, params)
    if ref is None or isinstance(ref, mpmath.mpc) or mpmath.isnan(ref):
        return None
    with mpmath.workdps(max(dps, 60)):
        return ref - _tgt_mp(target)


def _tgt_mp(target):
    import mpmath

    if isinstance(target, sp.Rational):
        return mpmath.mpf(int(target.p)) / int(target.q)
    if isinstance(target, (int, np.integer)):
        return mpmath.mpf(int(target))
    return mpmath.mpf(float(target))


def _verify(stmt, name, unknown, x, vals, target) -> tuple[bool, str]:
    """Sign change across x that shrinks with the interval (a root, not a pole)."""
    def at(v):
        return _mp_f(stmt, name, unknown, v, vals, target)

    out = []
    for h in (1e-7, 1e-10):
        if x == 0:
            xl, xr = -h, h
        else:
            xl, xr = x * (1 - h), x * (1 + h)
        prm = stmt.param(unknown)
        lo, hi = _domain_interval(prm)
        lo = lo - 1 if prm.is_integer else lo  # the real extension of an integer unknown
        if xl < lo or xr > hi:  # at the domain's end: only an exact zero counts
            f0 = at(x)
            return (f0 is not None and f0 == 0), ("zero" if f0 == 0 else "")
        fl, fr = at(xl), at(xr)
        if fl is None or fr is None:
            return False, ""
        out.append((fl, fr))
    f0 = at(x)
    if f0 is not None and f0 == 0:
        if all(a == 0 and b == 0 for a, b in out):
            # zero on both sides too: the difference from the target cancelled at this
            # precision (e.g. 2 - 1e-300 - 2 at 60 digits), so it says nothing about a root
            return False, ""
        return True, "zero"
    (a1, b1), (a2, b2) = out
    if not (a2 * b2 <= 0 and a1 * b1 <= 0):
        return False, ""
    if max(abs(a2), abs(b2)) > max(abs(a1), abs(b1)):  # grows as the interval shrinks: a pole
        return False, "pole"
    return True, ("increasing" if b2 > a2 else "decreasing")


def _exact_check(stmt, name, unknown, root_expr, vals, target) -> bool:
    """Exact substitution of a closed-form root (rational parameters, small expressions)."""
    expr = stmt.expressions[name]
    if sp.count_ops(expr) > tol.SYMBOLIC_VERIFY_OPS:
        return False
    subs = {}
    for p in stmt.params:
        if p.name == unknown:
            continue
        v = vals.get(p.name, p.default)
        if v is not None:
            subs[p.symbol] = exact_number(v)
    try:
        r = root_expr.xreplace({**{sp.Symbol(k.name, real=True): v for k, v in subs.items()},
                                **subs, sp.Symbol("target", real=True): exact_number(target)})
        if r.free_symbols:
            return False
        diff = expr.xreplace(subs).xreplace({stmt.param(unknown).symbol: r}) - exact_number(target)
        return sp.simplify(diff) == 0
    except (TypeError, ValueError, ZeroDivisionError):
        return False


def _params_at(stmt, unknown, x, vals) -> dict:
    """Every parameter's value at the candidate root x: the defaults, the given values, x."""
    return {**{p.name: p.default for p in stmt.params if p.default is not None}, **vals, unknown: x}


def _conditions_ok(stmt, unknown, x, vals) -> tuple[bool, str]:
    from checker.bounds.evaluate import _check_conditions

    try:
        _check_conditions(stmt, _params_at(stmt, unknown, x, vals))
    except InvalidArgument as exc:
        return False, str(exc)
    return True, ""


def _flags_at(stmt, name, unknown, x, vals) -> tuple[str, ...]:
    flags = _raised_flags(stmt, _params_at(stmt, unknown, x, vals), [name])
    return tuple(f"{f.kind}: {f.message}" for f in flags)


def solve_for(statement: str | Statement, unknown: str, *, target: float,
              values: Mapping[str, Any] | None = None, name: str | None = None,
              bracket: tuple[float, float] | None = None,
              time_limit: float = tol.SOLVE_TIME_LIMIT_S) -> Inversion:
    """Solve ``statement.<name>(..., unknown=x, ...) = target`` for ``x``.

    ``values`` gives the other parameters (defaults apply); ``name`` picks the expression
    (default: the primary one, or its ``*_continuous`` relaxation when it has a ceiling).
    Returns every verified root with a branch label (see the module docstring). Raises
    :class:`InvalidArgument` when no root lies in the unknown's domain or the time limit passes.
    """
    stmt = get(statement)
    if not isinstance(unknown, str):
        raise InvalidArgument("solve_for", unknown, "must be a parameter name")
    if stmt.sequence_params:
        raise InvalidArgument("solve_for", unknown, f"is not supported for {stmt.id} (per-layer "
                              "sequences)")
    param = stmt.param(unknown)
    target_exact = None
    if isinstance(target, sp.Basic):
        if not (target.is_number and target.is_real and target.is_finite):
            raise InvalidArgument("target", target, "must be a finite real number")
        target_exact = target
        target = float(target)
        if not math.isfinite(target):
            raise InvalidArgument("target", target_exact, "must be within the float64 range")
    target = finite("target", target)
    tgt = target_exact if target_exact is not None else target
    if bracket is not None:
        try:
            a_b = tuple(float(v) for v in bracket)
        except (TypeError, ValueError):
            raise InvalidArgument("bracket", bracket, "must be two numbers (lo, hi)") from None
        if len(a_b) != 2 or not all(map(math.isfinite, a_b)) or not a_b[0] < a_b[1]:
            raise InvalidArgument("bracket", bracket, "must be two finite numbers lo < hi")
        bracket = a_b
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or \
            not (0 <= time_limit <= 3600):
        raise InvalidArgument("time_limit", time_limit, "must be a number of seconds in [0, 3600]")
    clock = _Clock(unknown, float(time_limit))
    notes: list[str] = []
    exprs = stmt.expressions
    name = name or stmt.primary
    if not isinstance(name, str) or name not in exprs:
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
    raw_vals = {k: v for k, v in dict(values or {}).items() if v is not None}
    if unknown in raw_vals:
        raise InvalidArgument(unknown, raw_vals[unknown], "is the unknown; do not also give a value")
    vals = {}
    for k, v in raw_vals.items():
        stmt.param(k)
        vals[k] = _validate(stmt, k, v)
        if isinstance(vals[k], np.ndarray) and vals[k].ndim:
            raise InvalidArgument(k, v, "must be a scalar when solving")
    others = [stmt.param(s.name) for s in _free(expr) if s.name != unknown]
    for p in others:
        if p.name not in vals and p.default is None:
            raise InvalidArgument(p.name, None, f"is required to solve {stmt.id} for {unknown}",
                                  hint=f"give it as {p.cli} VALUE")
    sense = stmt.sense(name)
    if param.is_integer and (expr.has(sp.Sum) or expr.has(sp.Product)):
        return _integer_search(stmt, name, unknown, tgt, vals, notes, sense, clock)

    # 1. candidates: sign changes on a grid over the whole domain, refined by brentq
    from scipy.optimize import brentq

    grid = _grid(param, bracket)
    with np.errstate(all="ignore"):
        fv = _raw_values(stmt, name, unknown, grid, vals) - target
    cands: list[tuple[float, str]] = []
    for a, b, fa, fb in zip(grid[:-1].tolist(), grid[1:].tolist(), fv[:-1].tolist(),
                            fv[1:].tolist()):
        if not (math.isfinite(fa) and math.isfinite(fb)):
            continue
        if fa == 0:
            cands.append((float(a), "scan"))
        elif (fa < 0) != (fb < 0) and fb != 0:
            clock.check()
            def f(v):
                with np.errstate(all="ignore"):
                    return float(_raw_values(stmt, name, unknown, np.array([v]), vals)[0]) - target
            try:
                r = brentq(f, a, b, xtol=1e-300, rtol=_BRENT_RTOL, maxiter=500)
            except (ValueError, RuntimeError):
                r = (a + b) / 2
            cands.append((float(r), "scan"))
    for end in (0, -1):  # a root at the domain's end: the float sign there may be either
        if math.isfinite(fv[end]) and abs(fv[end]) <= 1e-9 * abs(target):
            cands.append((float(grid[end]), "scan"))
    closed = _closed_forms(stmt.id, name, unknown)
    closed_vals = []
    if closed:
        for sol in closed:
            clock.check()
            fsub = {}
            for p in stmt.params:
                v = vals.get(p.name, p.default)
                if v is not None:
                    fsub[sp.Symbol(p.name, real=True)] = exact_number(v)
                    fsub[p.symbol] = exact_number(v)
            fsub[sp.Symbol("target", real=True)] = exact_number(tgt)
            try:
                v = complex(sp.N(sol.xreplace(fsub), 30))
            except (TypeError, ValueError, ZeroDivisionError):
                continue
            if abs(v.imag) <= 1e-12 * max(1.0, abs(v.real)) and math.isfinite(v.real):
                closed_vals.append((v.real, sol))
                cands.append((v.real, "closed"))
    # 2-4. verify, side conditions, flags, branch labels
    lo, hi = _domain_interval(param)
    roots: list[Root] = []
    dropped = {"unverified": 0, "pole": 0}
    seen: list[float] = []
    slack = 1.0 if param.is_integer else 0.0  # integer unknowns: the real root may sit just
    for v, src in sorted(cands):                # below the smallest integer; rounding decides
        clock.check()
        if not (lo - slack <= v <= hi) or (param.domain in ("positive", "probability")
                                           and v <= 0) or (param.domain == "probability"
                                                           and v >= 1):
            continue
        if any(_same_root(v, s) for s in seen):
            continue
        ok, why = _conditions_ok(stmt, unknown, v, vals)
        if not ok:
            notes.append(f"root {unknown} = {v:.12g} dropped: {why}")
            continue
        verified, branch = _verify(stmt, name, unknown, v, vals, tgt)
        how = "mpmath"
        if src == "closed":
            sol = next(s for cv, s in closed_vals if cv == v)
            if _exact_check(stmt, name, unknown, sol, vals, tgt):
                verified, how = True, "exact"
                branch = branch or "closed form"
        if not verified:
            dropped["pole" if branch == "pole" else "unverified"] += 1
            continue
        seen.append(v)
        label = {"increasing": f"increasing branch of {name} in {unknown}",
                 "decreasing": f"decreasing branch of {name} in {unknown}"}.get(branch, branch)
        roots.append(Root(value=v, branch=label, verified=how,
                          flags=_flags_at(stmt, name, unknown, v, vals)))
    if dropped["unverified"] or dropped["pole"]:
        notes.append(f"{dropped['unverified'] + dropped['pole']} candidate(s) failed substitution "
                     f"back ({dropped['pole']} pole(s), {dropped['unverified']} float64 artefacts) "
                     "and are not reported")
    if not roots:
        raise InvalidArgument(
            "target", target, f"is not attained by {stmt.id}:{name} for {unknown} in its domain "
            f"({param.domain}) with the given parameters")
    method = "symbolic" if any(r.verified == "exact" for r in roots) or (
        closed_vals and all(any(_same_root(r.value, c) for c, _ in closed_vals) for r in roots)) \
        else "brentq"
    if method == "symbolic" and closed:
        notes.append("closed form: " + " or ".join(f"{unknown} = {e}" for e in closed))
    inside = [r for r in roots if r.in_domain]
    primary = (inside or roots)[0]
    if not inside:
        notes.append("every root lies outside the statement's domain (see the flags)")
    if len(roots) > 1:
        notes.append(f"{len(roots)} roots: " + "; ".join(
            f"{unknown} = {r.value:.12g} ({r.branch}{', ' + r.flags[0] if r.flags else ''})"
            for r in roots) + f"; the primary value is {primary.value:.12g}")
    value = primary.value
    # 5. safe rounding
    if param.is_integer:
        value = _safe_integer(stmt, name, unknown, value, vals, tgt, sense, notes)
    elif sense is not None:
        value = _safe_float(stmt, name, unknown, value, vals, tgt, sense, notes, clock)
    return Inversion(id=stmt.id, unknown=unknown, expression=name, target=target, value=value,
                     method=method, solutions=tuple(r.value for r in roots), notes=tuple(notes),
                     roots=tuple(roots))


def _holds(fx, sense: str) -> bool:
    return fx <= 0 if sense == "le" else fx >= 0


def _safe_integer(stmt, name, unknown, x, vals, tgt, sense, notes) -> float:
    """The integer next to the real root x on the guarantee side (decided in high precision).
    Beyond 2^53 the float root is only approximate: the boundary integer is then found by an
    exponential search outwards and an integer bisection (bounded, ~2 log2 steps)."""
    lo_i, hi_i = math.floor(x), math.ceil(x)
    floor_dom = 1 if stmt.param(unknown).domain == "positive_int" else 0
    if sense is None:
        notes.append(f"{unknown} is an integer: the real root {x:.12g} is reported (no guarantee "
                     f"direction declared for {name}; neighbours {lo_i} and {hi_i})")
        return x

    def ok(n):
        fx = _mp_f(stmt, name, unknown, n, vals, tgt)
        return fx is not None and _holds(fx, sense)

    cands = [n for n in sorted({lo_i - 1, lo_i, hi_i, hi_i + 1}) if n >= floor_dom]
    status = {n: ok(n) for n in cands}
    good = [n for n in cands if status[n]]
    if good and not all(status.values()):
        pick = min(good, key=lambda n: abs(n - x))
    else:
        # all neighbours on one side of the boundary (all satisfy, or none does): search
        # outwards for the other side
        want = not good  # looking for a satisfying n (none near x does) or a failing one
        pick = None
        for upward in (True, False):
            base = hi_i + 1 if upward else lo_i - 1
            prev, step = base, 1
            for _ in range(130):
                n = base + step if upward else base - step
                if n < floor_dom:  # the doubling overshot the domain's floor: try the floor itself
                    if prev <= floor_dom:
                        break
                    n = floor_dom
                if ok(n) == want:
                    a, b = sorted((prev, n))  # exactly one status flip inside [a, b]
                    fa = ok(a)
                    while b - a > 1:
                        mid = (a + b) // 2
                        if ok(mid) == fa:
                            a = mid
                        else:
                            b = mid
                    pick = a if ok(a) else b  # the satisfying integer at the boundary
                    break
                prev, step = n, step * 2
            if pick is not None:
                break
        if pick is None:
            raise InvalidArgument("target", float(tgt), f"is not met on the safe side by any "
                                  f"integer {unknown} near the real root {x:.17g} ({name} "
                                  f"{'<=' if sense == 'le' else '>='} target)")
    notes.append(f"{unknown} is an integer: {pick} is the integer at the boundary next to the "
                 f"root {x:.12g} with {name} {'<=' if sense == 'le' else '>='} target (checked in "
                 "high precision)")
    return int(pick)  # exact, also beyond 2^53


def _float_bits(x: float) -> int:
    import struct

    return struct.unpack("<q", struct.pack("<d", x))[0]


def _bits_float(b: int) -> float:
    import struct

    return struct.unpack("<d", struct.pack("<q", b))[0]


def _safe_float(stmt, name, unknown, x, vals, tgt, sense, notes, clock) -> float:
    """The float nearest to the root x on the side where the guarantee holds (expression on the
    ``sense`` side of target, decided in high precision): exponential search in ulps, then
    bisection on the float bit patterns (at most ~130 evaluations)."""
    def ok(y):
        clock.check()
        fy = _mp_f(stmt, name, unknown, y, vals, tgt)
        return fy is not None and _holds(fy, sense)

    if ok(x):
        return x
    if x > 0 and math.isfinite(x):
        bx = _float_bits(x)
        top = _float_bits(math.inf) - 1
        for sign in (1, -1):
            step, prev = 1, bx
            while True:
                cand = min(max(bx + sign * step, 1), top)
                if ok(_bits_float(cand)):
                    lo, hi = prev, cand  # not ok at lo, ok at hi (bit patterns)
                    while abs(hi - lo) > 1:
                        mid = (lo + hi) // 2
                        if ok(_bits_float(mid)):
                            hi = mid
                        else:
                            lo = mid
                    y = _bits_float(hi)
                    notes.append(f"rounded {unknown} by {abs(y - x) / x:.1e} (relative) to the "
                                 f"side where {name} {'<=' if sense == 'le' else '>='} target "
                                 "holds (decided in high precision)")
                    return y
                if cand in (1, top) or step > 2**52:
                    break
                prev, step = cand, step * 2
    raise InvalidArgument("target", float(tgt), f"has no float {unknown} near the root {x:.17g} "
                          f"where {name} {'<=' if sense == 'le' else '>='} target holds")


def _integer_search(stmt: Statement, name: str, unknown: str, target, vals: Mapping[str, Any],
                    notes: list[str], sense: str | None, clock: _Clock) -> Inversion:
    """Smallest integer n >= 1 at which a monotone integer-indexed expression reaches
    ``target`` on the guarantee side (bounded doubling to 2^62, then integer bisection on the
    high-precision predicate); for expressions defined only at integers."""
    def g(n: int):
        clock.check()
        return _mp_f(stmt, name, unknown, n, vals, target)

    g1 = g(1)
    if g1 is None:
        raise InvalidArgument("solve_for", unknown, f"{stmt.id}:{name} cannot be evaluated here")
    if sense is None:
        start_side = g1 > 0

        def reached(v):
            return v == 0 or (v > 0) != start_side
    else:
        def reached(v):
            return _holds(v, sense)
    flip = bool(reached(g1))  # predicate true at 1: report the largest n where it still holds

    def pred(v):
        ok = v is not None and reached(v)
        return (not ok) if flip else ok

    lo, hi = 1, 2
    while True:
        if pred(g(hi)):
            break
        lo, hi = hi, hi * 2
        if hi > 2**62:
            if flip:
                raise InvalidArgument("target", float(target), f"is met by {stmt.id}:{name} at "
                                      f"every integer {unknown} <= 2^62 (no crossing)")
            raise InvalidArgument("target", float(target), f"is not attained by "
                                  f"{stmt.id}:{name} for integer {unknown} <= 2^62")
    while hi - lo > 1:  # invariant: pred false at lo, true at hi
        mid = (lo + hi) // 2
        if pred(g(mid)):
            hi = mid
        else:
            lo = mid
    n = lo if flip else hi
    rel = {"le": "<=", "ge": ">="}.get(sense, "reaches")
    notes.append(f"{unknown} is an integer: the {'largest' if flip else 'smallest'} integer with "
                 f"{name} {rel} target (decided in high precision at every step)")
    return Inversion(id=stmt.id, unknown=unknown, expression=name, target=float(target),
                     value=float(n), method="integer-bisection", solutions=(float(n),),
                     notes=tuple(notes),
                     roots=(Root(value=float(n), branch=("largest" if flip else "smallest") + " integer",
                                 verified="mpmath"),))
