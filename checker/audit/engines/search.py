"""Counterexample search with exact replay (used by every engine that could not decide).

Establishes: a *refutation* only: a point of the declared domains where every hypothesis holds
and the claim is false, each evaluated exactly (:func:`_replay`, via :mod:`.exact`). How:
small integer lattices, values near the claim's own constants, box corners and seeded random
rationals (:data:`SEARCH_SEED`, so the audit is deterministic), at most :data:`SEARCH_POINTS`
points and :data:`SEARCH_SECONDS` seconds within the check's budget. Finding nothing is
``undecided``, never a pass.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import sympy as sp

from checker.audit import budget
from checker.audit.engines.exact import _conjuncts, _domain_ok, _fmt_point, _relation_parts, _truth_at
from checker.audit.outline import Node
from checker.audit.verdict import CheckResult


def _undecided_with_search(node: Node, kind: str, trust: str, why: str, detail: dict,
                           box: dict | None = None) -> CheckResult:
    """An engine could not decide: look for a counterexample and replay it exactly."""
    ce = _search_counterexample(node, box=box)
    if ce is not None:
        return CheckResult(kind=kind, verdict="refuted", trust=trust,
                           summary=f"{why}; counterexample search found {_fmt_point(ce['point'])} "
                                   f"(replayed exactly: {ce['claim_value']})", detail={**detail, **ce})
    return CheckResult(kind=kind, verdict="undecided", trust=trust,
                       summary=f"{why}; no counterexample among {detail.get('searched', SEARCH_POINTS)} "
                               "searched points (small integer boxes, boundary and random points)",
                       detail=detail)


#: Points the counterexample search replays at most (small integer grid, boundary values,
#: seeded random rationals), and its own share of the check's wall-clock budget in seconds.
SEARCH_POINTS = 1500
SEARCH_SECONDS = 8.0
#: Seed of the counterexample and witness search (deterministic audit).
SEARCH_SEED = 20180430


def _free_names(node: Node) -> list[str]:
    st = node.statement
    names = set()
    if st.claim is not None:
        names |= {s.name for s in st.claim.free_symbols}
    for h in st.hypotheses:
        names |= {s.name for h_ in [h] for s in h_.free_symbols}
    return sorted(n for n in names if n in st.symbols)


def _numbers_in(node: Node) -> list[Fraction]:
    st = node.statement
    out = set()
    exprs = list(st.hypotheses) + ([st.claim] if st.claim is not None else [])
    for e in exprs:
        for a in e.atoms(sp.Rational):
            if abs(a.p) < 10 ** 9 and a.q < 10 ** 9:
                out.add(Fraction(int(a.p), int(a.q)))
    return sorted(out)


def _values_for(dom: str, consts: list[Fraction], lo=None, hi=None) -> list[Fraction]:
    base = [Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2), Fraction(-1, 2), Fraction(2), Fraction(-2),
            Fraction(3), Fraction(-3), Fraction(1, 3), Fraction(3, 2), Fraction(4), Fraction(5), Fraction(1, 10),
            Fraction(10), Fraction(-10), Fraction(1, 100), Fraction(100)]
    near = []
    for c in consts:
        near += [c, -c, c + 1, c - 1, c / 2, 2 * c, c + Fraction(1, 1000), c - Fraction(1, 1000)]
    vals = []
    for v in base + near:
        if dom.endswith("integer") and v.denominator != 1:
            continue
        if dom in ("positive", "positive_integer") and v <= 0:
            continue
        if dom in ("nonnegative", "nonnegative_integer") and v < 0:
            continue
        if dom == "negative" and v >= 0:
            continue
        if lo is not None and v < lo or hi is not None and v > hi:
            continue
        if v not in vals:
            vals.append(v)
    if lo is not None and lo not in vals:
        vals.insert(0, lo)
    if hi is not None and hi not in vals:
        vals.insert(1, hi)
    return vals


def _candidates(node: Node, *, box: dict | None = None, limit: int = SEARCH_POINTS):
    """Deterministic candidate points: an exhaustive small grid (small integers, simple fractions,
    the formula's own constants and their neighbours, box endpoints), then seeded random points."""
    import itertools
    import random

    st = node.statement
    names = _free_names(node)
    consts = _numbers_in(node)
    per = {}
    for n in names:
        lo, hi = (box or {}).get(n, (None, None))
        per[n] = _values_for(st.domains[n], consts, lo, hi)[:12]
    count = 0
    if not names:
        yield {}
        return
    small = [per[n][:6] for n in names]
    for combo in itertools.product(*small):
        yield dict(zip(names, combo))
        count += 1
        if count >= limit // 2:
            break
    rng = random.Random(SEARCH_SEED)
    while count < limit:
        pt = {}
        for n in names:
            dom = st.domains[n]
            lo, hi = (box or {}).get(n, (None, None))
            if rng.random() < 0.5:
                v = rng.choice(per[n]) if per[n] else Fraction(1)
            else:
                a = lo if lo is not None else Fraction(-50)
                b = hi if hi is not None else Fraction(50)
                if dom.endswith("integer"):
                    v = Fraction(rng.randint(math.ceil(a), math.floor(b))) if math.ceil(a) <= math.floor(b) else a
                else:
                    v = a + (b - a) * Fraction(rng.randint(0, 10 ** 6), 10 ** 6)
            if dom in ("positive", "positive_integer") and v <= 0:
                v = Fraction(1) if dom.endswith("integer") else Fraction(1, 7)
            if dom in ("nonnegative", "nonnegative_integer") and v < 0:
                v = -v
            if dom == "negative" and v >= 0:
                v = -v - 1
            pt[n] = v
        yield pt
        count += 1


def _as_sympy_point(pt: dict) -> dict:
    return {k: sp.Rational(v.numerator, v.denominator) for k, v in pt.items()}


def _search_counterexample(node: Node, *, box: dict | None = None, limit: int = SEARCH_POINTS) -> dict | None:
    """First candidate point where the hypotheses hold and the claim is false, replayed exactly."""
    if node.statement.claim is None:
        return None
    t0 = time.monotonic()
    for k, pt in enumerate(_candidates(node, box=box, limit=limit)):
        if time.monotonic() - t0 > SEARCH_SECONDS:
            break
        budget.poll()
        rep = _replay(node, _as_sympy_point(pt))
        if rep["replayed"]:
            rep["searched"] = k + 1
            return rep
    return None


def _find_witness(node: Node, *, limit: int = SEARCH_POINTS) -> dict | None:
    """A point of the domains where every hypothesis holds exactly (the premises are satisfiable)."""
    st = node.statement
    t0 = time.monotonic()
    for pt in _candidates(node, limit=limit):
        if time.monotonic() - t0 > SEARCH_SECONDS:
            break
        budget.poll()
        spt = _as_sympy_point(pt)
        if _hyps_hold(st, spt):
            return {k: str(v) for k, v in spt.items()}
    return None


def _hyps_hold(st, point: dict) -> bool:
    subs = {st.symbols[k]: v for k, v in point.items() if k in st.symbols}
    for name, v in point.items():
        if name in st.domains and not _domain_ok(v, st.domains[name]):
            return False
    free = {s.name for h in st.hypotheses for s in h.free_symbols}
    if free - set(point):
        return False
    return all(_truth_at(h, subs) is True for h in st.hypotheses)


def _replay(node: Node, point: dict) -> dict:
    """Re-evaluate domains, hypotheses and claim exactly at ``point`` (sympy Rationals)."""
    st = node.statement
    subs = {st.symbols[k]: v for k, v in point.items() if k in st.symbols}
    for name, v in point.items():
        if name in st.domains and not _domain_ok(v, st.domains[name]):
            return {"replayed": False, "why": f"{name}={v} violates its domain {st.domains[name]}"}
    for h in st.hypotheses:
        val = _truth_at(h, subs)
        if val is not True:
            return {"replayed": False, "why": f"hypothesis {sp.sstr(h)} is {val} at the point"}
    val = _truth_at(st.claim, subs)
    texts = []
    for rel in _conjuncts(st.claim):
        h, _, _ = _relation_parts(rel)
        hv = h.xreplace(subs).doit()
        texts.append(sp.sstr(hv) if hv.is_Rational else f"{sp.N(hv, 15)}")
    return {"replayed": val is False, "claim_value": f"g - f = {'; '.join(texts)}",
            "point": {k: str(v) for k, v in point.items()}, "claim_holds": val}
