"""A float64 pre-screen for sampled points (property checks); it never decides a failure.

Establishes nothing by itself: it says *True* only when the claim's float64 margin exceeds
:data:`SCREEN_RTOL` times the evaluation's own magnitude (a margin float64 rounding of a few
hundred operations cannot cross); every other point (a small margin, a failure, anything it
cannot compile) goes to exact replay in :mod:`.search`.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import math

import sympy as sp

from checker.audit.engines.enclosure import MAX_LOOP_TERMS
from checker.audit.engines.exact import _conjuncts, _relation_parts
from checker.audit.outline import Node


# ---------------------------------------------------------------------------------------------
# fast float screening of sampled points (property checks)

#: A sampled point whose float64 margin g - f exceeds this multiple of the evaluation's own
#: magnitude is accepted by the screen without an exact replay (float64 with a few hundred
#: operations errs by < 1e-13 relative); every other point is replayed exactly.
SCREEN_RTOL = 1e-9


def _compile_float(expr):
    """A float64 closure ``env -> (value, magnitude)`` of ``expr`` (``None`` if unsupported)."""
    if expr.is_Symbol:
        name = expr.name
        return lambda env: (env[name], abs(env[name]))
    if expr.is_Rational or expr is sp.pi or expr is sp.E:
        v = float(expr)
        return lambda env: (v, abs(v))
    if isinstance(expr, (sp.Add, sp.Mul)):
        fs = [_compile_float(a) for a in expr.args]
        if any(f is None for f in fs):
            return None
        add = isinstance(expr, sp.Add)

        def f(env):
            vals = [g(env) for g in fs]
            if add:
                return sum(v for v, _ in vals), sum(m for _, m in vals)
            out, mag = 1.0, 1.0
            for v, m in vals:
                out *= v
                mag *= m
            return out, abs(mag)
        return f
    if isinstance(expr, sp.Pow):
        fb, fe = _compile_float(expr.base), _compile_float(expr.exp)
        if fb is None or fe is None:
            return None

        def f(env):
            b, mb = fb(env)
            e, _ = fe(env)
            v = b ** e
            if isinstance(v, complex):
                raise ValueError("complex power")
            return v, abs(v)
        return f
    unary = {sp.exp: math.exp, sp.log: math.log, sp.Abs: abs, sp.floor: math.floor, sp.ceiling: math.ceil}
    for cls, fn in unary.items():
        if isinstance(expr, cls):
            fa = _compile_float(expr.args[0])
            if fa is None:
                return None
            return lambda env, fa=fa, fn=fn: (lambda v: (float(fn(v)), abs(float(fn(v)))))(fa(env)[0])
    if isinstance(expr, (sp.Sum, sp.Product)):
        (var, a, b), = expr.limits
        fa, fb, ft = _compile_float(a), _compile_float(b), _compile_float(expr.function)
        if None in (fa, fb, ft):
            return None
        is_sum = isinstance(expr, sp.Sum)
        vname = var.name

        def f(env):
            lo, hi = fa(env)[0], fb(env)[0]
            if lo != int(lo) or hi != int(hi) or hi - lo > MAX_LOOP_TERMS:
                raise ValueError("non-integer or huge bounds")
            out, mag = (0.0, 0.0) if is_sum else (1.0, 1.0)
            env2 = dict(env)
            for k in range(int(lo), int(hi) + 1):
                env2[vname] = float(k)
                v, m = ft(env2)
                if is_sum:
                    out += v
                    mag += m
                else:
                    out *= v
                    mag *= m
            return out, abs(mag)
        return f
    return None


def _float_screen(node: Node):
    """A function ``point -> True`` when the float64 screen is sure hypotheses ⟹ claim holds at
    the point (``False``/``None``: replay exactly)."""
    st = node.statement
    claims = []
    for rel in _conjuncts(st.claim):
        h, strict, is_eq = _relation_parts(rel)
        if is_eq:
            return None
        f = _compile_float(h)
        if f is None:
            return None
        claims.append(f)

    hyps = []
    for hyp in st.hypotheses:
        for rel in _conjuncts(hyp):
            if isinstance(rel, sp.core.relational.Relational) and not isinstance(rel, (sp.Equality, sp.Unequality)):
                h, strict, _ = _relation_parts(rel)
                f = _compile_float(h)
                if f is not None:
                    hyps.append(f)

    def screen(point: dict) -> bool | None:
        env = {k: float(v) for k, v in point.items()}
        try:
            for f in hyps:
                v, mag = f(env)
                if math.isfinite(v) and v < -SCREEN_RTOL * max(mag, 1e-300):
                    return False     # clearly outside the hypotheses: nothing claimed here
            for f in claims:
                v, mag = f(env)
                if not (math.isfinite(v) and v > SCREEN_RTOL * max(mag, 1e-300) and v > 0):
                    return None
        except (ValueError, OverflowError, ZeroDivisionError, KeyError, TypeError):
            return None
        return True
    return screen
