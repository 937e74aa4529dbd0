"""Exact truth of a relation at a point: the trusted arithmetic under every engine's replay.

Establishes: whether a closed relation (or And/Or/Not of relations) is true, false, or undecided.
How: a rational left side is compared exactly; an equation is tried with ``sympy.simplify``; any
other closed value gets a rigorous mpmath ``iv`` enclosure (:mod:`.enclosure`) whose endpoints
must decide the sign (:func:`_sign_verdict`). Three-valued: ``None`` (undecided) never becomes
``True`` or ``False`` (:func:`_combine3`), and sympy's ``None`` is never success.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from checker.audit.engines.enclosure import _iv_bounds
from checker.audit.formula import parse_exact_number
from checker.audit.outline import Node
from checker.errors import CheckError


#: Working precision (bits) of the rigorous interval evaluation behind exact truth values.
DEFAULT_PREC = 80


# ---------------------------------------------------------------------------------------------
# helpers

def _relation_parts(rel):
    """Return (h, strict, is_eq) with the claim equivalent to h >= 0 (h > 0 if strict; h == 0)."""
    if isinstance(rel, sp.Equality):
        return rel.lhs - rel.rhs, False, True
    if isinstance(rel, (sp.LessThan, sp.StrictLessThan)):
        return rel.rhs - rel.lhs, isinstance(rel, sp.StrictLessThan), False
    if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)):
        return rel.lhs - rel.rhs, isinstance(rel, sp.StrictGreaterThan), False
    raise CheckError(f"unsupported claim {rel}")


def _domain_ok(value, domain: str) -> bool:
    v = value if isinstance(value, sp.Basic) else sp.Rational(value)
    if domain in ("positive", "positive_integer") and not v > 0:
        return False
    if domain in ("nonnegative", "nonnegative_integer") and not v >= 0:
        return False
    if domain == "negative" and not v < 0:
        return False
    if domain.endswith("integer") and not v.is_integer:
        return False
    return True


def _combine3(rel, vals: list) -> bool | None:
    """Three-valued And/Or/Not: ``None`` (undecided) never becomes True or False by itself."""
    if isinstance(rel, sp.Not):
        return None if vals[0] is None else not vals[0]
    if isinstance(rel, sp.And):
        return False if False in vals else (None if None in vals else True)
    return True if True in vals else (None if None in vals else False)


def _sign_verdict(lo, hi, *, strict: bool, is_eq: bool) -> bool | None:
    """Verdict of ``h >= 0`` (``> 0`` if strict, ``== 0`` if is_eq) from a rigorous enclosure
    [lo, hi] of h; ``None`` when the enclosure does not decide it."""
    if is_eq:
        return False if (lo > 0 or hi < 0) else None
    if strict:
        return True if lo > 0 else (False if hi <= 0 else None)
    return True if lo >= 0 else (False if hi < 0 else None)


def _truth_at(rel, subs: dict, prec: int = DEFAULT_PREC) -> bool | None:
    """Truth of ``rel`` at the exact point ``subs`` (symbol -> Rational), substituting into the
    two sides only (a substituted relation would make sympy evaluate it with floats)."""
    if rel is sp.true or rel is True:
        return True
    if rel is sp.false or rel is False:
        return False
    if isinstance(rel, (sp.And, sp.Or, sp.Not)):
        return _combine3(rel, [_truth_at(a, subs, prec) for a in rel.args])
    h, strict, is_eq = _relation_parts(rel)
    hv = h.xreplace(subs)
    ctor = sp.Eq if is_eq else (sp.StrictGreaterThan if strict else sp.GreaterThan)
    return _decide(ctor(hv, 0, evaluate=False), prec)


def _decide(rel_or_expr, prec: int = DEFAULT_PREC) -> bool | None:
    """Truth value of a closed relation / boolean: exact when sympy decides it, else a rigorous
    interval evaluation of both sides; ``None`` when undecided."""
    if rel_or_expr is sp.true or rel_or_expr is True:
        return True
    if rel_or_expr is sp.false or rel_or_expr is False:
        return False
    if isinstance(rel_or_expr, (sp.And, sp.Or, sp.Not)):
        return _combine3(rel_or_expr, [_decide(a, prec) for a in rel_or_expr.args])
    h, strict, is_eq = _relation_parts(rel_or_expr)
    h = h.doit() if h.has(sp.Sum, sp.Product) else h
    if h.free_symbols:
        return None
    hs = h
    if hs.is_Rational:
        if is_eq:
            return hs == 0
        return bool(hs > 0) if strict else bool(hs >= 0)
    if is_eq:
        z = sp.simplify(hs)
        if z.is_zero is True:
            return True
        if z.is_zero is False:
            return False
    lo, hi = _iv_bounds(hs, {}, prec)
    verdict = None if lo is None else _sign_verdict(lo, hi, strict=strict, is_eq=is_eq)
    if verdict is None and not hs.is_Rational:
        z = sp.simplify(hs)
        if z.is_Rational:
            return (z == 0) if is_eq else (bool(z > 0) if strict else bool(z >= 0))
    return verdict


# ---------------------------------------------------------------------------------------------
# the engines

def _light(e):
    """Evaluate derivatives only (Sum/Product stay loops, evaluated term by term at points)."""
    if e.has(sp.Derivative):
        return e.replace(lambda x: isinstance(x, sp.Derivative), lambda x: x.doit())
    return e


def _conjuncts(rel) -> list:
    """The comparisons of a claim (a single comparison or a conjunction of them)."""
    if isinstance(rel, sp.And):
        out = []
        for a in rel.args:
            out.extend(_conjuncts(a))
        return out
    return [rel]


def _has_hypotheses(node: Node) -> bool:
    return bool(node.statement.hypotheses)


def _fmt_point(point) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in point.items()) + "}"


def _fraction(v) -> Fraction:
    q = parse_exact_number(str(v))
    return Fraction(int(q.p), int(q.q))
