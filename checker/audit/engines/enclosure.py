"""Rigorous interval enclosures (mpmath ``iv``) of sympy expressions over a box.

Establishes: exact rational bounds ``lo <= expr <= hi`` valid at every point of a box of exact
rational endpoints (outward-rounded at the given precision). How: a structural recursion over
``+``, ``*``, powers, ``exp``, ``log``, ``sqrt``, ``Abs``, ``Min``/``Max``, ``floor``/``ceiling``
and Sum/Product with integer limits (term by term, at most :data:`MAX_LOOP_TERMS` terms).
Division by, ``log`` of or ``sqrt`` of an interval that may meet the excluded region is
*undecided*, never guessed; endpoints are read back as exact Fractions.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from checker.errors import CheckError


#: Longest Sum/Product evaluated term by term in interval arithmetic.
MAX_LOOP_TERMS = 100_000


# ---------------------------------------------------------------------------------------------
# interval arithmetic (mpmath iv)

def _iv_enclose(expr, env, iv):
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Integer:
        return iv.mpf(int(expr))
    if expr.is_Rational:
        return iv.mpf(int(expr.p)) / iv.mpf(int(expr.q))
    if expr is sp.pi:
        return iv.pi
    if expr is sp.E:
        return iv.e
    if expr.is_Float:
        raise CheckError("float in a claim (use exact decimals)")
    if isinstance(expr, sp.Add):
        out = iv.mpf(0)
        for a in expr.args:
            out = out + _iv_enclose(a, env, iv)
        return out
    if isinstance(expr, sp.Mul):
        out = iv.mpf(1)
        for a in expr.args:
            out = out * _iv_enclose(a, env, iv)
        return out
    if isinstance(expr, sp.Pow):
        base, ex = expr.args
        b = _iv_enclose(base, env, iv)
        if ex.is_Integer:
            n = int(ex)
            if n >= 0:
                return b ** n
            den = b ** (-n)
            dlo, dhi = _ends(den)
            if dlo <= 0 <= dhi:
                raise _Undecided("division by an interval containing 0")
            return 1 / den
        if ex == sp.S.Half:
            if _ends(b)[0] < 0:
                raise _Undecided("sqrt of an interval containing negatives")
            return iv.sqrt(b)
        if _ends(b)[0] <= 0:
            raise _Undecided("power of an interval not strictly positive")
        return iv.exp(_iv_enclose(ex, env, iv) * iv.log(b))
    if isinstance(expr, sp.exp):
        return iv.exp(_iv_enclose(expr.args[0], env, iv))
    if isinstance(expr, sp.log):
        a = _iv_enclose(expr.args[0], env, iv)
        if _ends(a)[0] <= 0:
            raise _Undecided("log of an interval not strictly positive")
        return iv.log(a)
    if isinstance(expr, sp.Abs):
        a = _iv_enclose(expr.args[0], env, iv)
        lo, hi = _ends(a)
        if lo >= 0:
            return a
        if hi <= 0:
            return -a
        return iv.mpf([0, _up(max(hi, -lo))])
    if isinstance(expr, (sp.Min, sp.Max)):
        vals = [_iv_enclose(a, env, iv) for a in expr.args]
        ends = [_ends(v) for v in vals]
        pick = min if isinstance(expr, sp.Min) else max
        lo, hi = pick(e[0] for e in ends), pick(e[1] for e in ends)
        return iv.mpf([_down(lo), _up(hi)])
    if isinstance(expr, (sp.floor, sp.ceiling)):
        a = _iv_enclose(expr.args[0], env, iv)
        f = math.floor if isinstance(expr, sp.floor) else math.ceil
        lo, hi = _ends(a)
        return iv.mpf([f(lo), f(hi)])
    if isinstance(expr, (sp.Sum, sp.Product)):
        (var, a, b), = expr.limits
        lo_a, hi_a = _ends(_iv_enclose(a, env, iv) if a.free_symbols else iv.mpf(int(a)) if a.is_Integer
                           else _iv_enclose(a, env, iv))
        lo_b, hi_b = _ends(_iv_enclose(b, env, iv) if b.free_symbols else iv.mpf(int(b)) if b.is_Integer
                           else _iv_enclose(b, env, iv))
        if lo_a == hi_a and lo_b == hi_b and lo_a.denominator == 1 and lo_b.denominator == 1:
            n_terms = int(lo_b) - int(lo_a) + 1
            if n_terms > MAX_LOOP_TERMS:
                raise _Undecided(f"Sum/Product of {n_terms} terms exceeds {MAX_LOOP_TERMS}")
            out = iv.mpf(0) if isinstance(expr, sp.Sum) else iv.mpf(1)
            for k in range(int(lo_a), int(lo_b) + 1):
                env2 = dict(env)
                env2[var.name] = iv.mpf(k)
                t = _iv_enclose(expr.function, env2, iv)
                out = out + t if isinstance(expr, sp.Sum) else out * t
            return out
        done = expr.doit()
        if done.has(sp.Sum, sp.Product):
            raise _Undecided("unevaluated Sum/Product")
        return _iv_enclose(done, env, iv)
    if isinstance(expr, sp.factorial) and expr.args[0].is_Integer:
        return iv.mpf(int(expr))
    raise _Undecided(f"no interval rule for {type(expr).__name__}")


class _Undecided(Exception):
    pass


def _ends(x) -> tuple[Fraction, Fraction]:
    """Exact endpoints of an mpmath ``iv`` interval as Fractions (raises on inf/nan)."""
    from mpmath import libmp

    out = []
    for raw in x._mpi_:
        if raw in (libmp.finf, libmp.fninf, libmp.fnan):
            raise _Undecided("unbounded or NaN enclosure")
        p, q = libmp.to_rational(raw)
        out.append(Fraction(int(p), int(q)))
    return out[0], out[1]


def _iv_bounds(expr, box: dict, prec: int):
    """Rigorous (lower, upper) of ``expr`` over ``box`` (name -> (Fraction lo, Fraction hi)) as
    Fractions, or (None, None) if no enclosure could be computed."""
    from mpmath import iv

    old = iv.prec
    iv.prec = prec
    try:
        env = {name: iv.mpf(int(lo.numerator)) / iv.mpf(int(lo.denominator)) if lo == hi else
               iv.mpf([_down(lo), _up(hi)]) for name, (lo, hi) in box.items()}
        try:
            return _ends(_iv_enclose(expr, env, iv))   # every rule returns an mpmath iv value
        except (_Undecided, ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None, None
    finally:
        iv.prec = old


def _down(q: Fraction):
    from mpmath import iv

    import mpmath

    return mpmath.mp.make_mpf((iv.mpf(q.numerator) / iv.mpf(q.denominator))._mpi_[0])


def _up(q: Fraction):
    from mpmath import iv

    import mpmath

    return mpmath.mp.make_mpf((iv.mpf(q.numerator) / iv.mpf(q.denominator))._mpi_[1])
