"""Pins of the check engines of :mod:`checker.audit.checks` (issue 17): every helper and every
engine branch on tiny claims whose truth, enclosures and candidate points are derived by hand (each
reference says how), so that a one-line change of the engines fails a test.

* SMT: each z3 outcome (unsat / sat / unknown) and each replay outcome leads to exactly one
  verdict; a sat model is never a refutation unless it replays exactly.
* Counterexample search: the property engine's boundary candidates (corners, midpoints, the
  neighbours lo + 1 / hi - 1 of integer boxes, lo + eps / hi - eps of real ones), the exhaustive
  lattice limit, and the seed option.
* The three-valued logic, the interval rules and the exact point replay.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy as sp

from tests.audit.engine_view import C
from checker.audit.checks import CheckResult, run_check
from checker.audit.outline import CheckSpec, parse_outline_text
from checker.audit.verdict import Evidence, prove
from checker.errors import CheckError
from tests.audit.helpers import HEADER, node

F = Fraction


def mk(statement: str, *, kind: str = "lemma", checks: str = "", nid: str = "n", **extra):
    """A parsed node from TOML lines of its statement."""
    text = HEADER + node(nid, kind=kind, body=f"[node.statement]\n{statement}\n{checks}", **extra)
    return parse_outline_text(text, file="t.toml").nodes[0]


def spec(kind: str, **options):
    return CheckSpec(kind=kind, options=options, index=0)


def Q(p, q=1):
    return sp.Rational(p, q)


# ---------------------------------------------------------------------------------------------
# relations, domains, three-valued logic


def test_relation_parts():
    x, y = sp.symbols("x y")
    assert C._relation_parts(sp.Eq(x, y)) == (x - y, False, True)
    assert C._relation_parts(x < y) == (y - x, True, False)
    assert C._relation_parts(x <= y) == (y - x, False, False)
    assert C._relation_parts(x > y) == (x - y, True, False)
    assert C._relation_parts(x >= y) == (x - y, False, False)
    with pytest.raises(CheckError, match="unsupported claim"):
        C._relation_parts(sp.Ne(x, y))


@pytest.mark.parametrize("dom,value,ok", [
    ("positive", 0, False), ("positive", Q(1, 10), True), ("positive", -1, False),
    ("positive_integer", 1, True), ("positive_integer", 0, False), ("positive_integer", Q(3, 2), False),
    ("nonnegative", 0, True), ("nonnegative", Q(-1, 10), False),
    ("nonnegative_integer", 0, True), ("nonnegative_integer", -1, False), ("nonnegative_integer", Q(1, 2), False),
    ("negative", 0, False), ("negative", Q(-1, 10), True), ("negative", 1, False),
    ("integer", -3, True), ("integer", Q(1, 2), False), ("real", Q(-7, 3), True), ("real", 0, True),
])
def test_domain_ok(dom, value, ok):
    assert C._domain_ok(Q(value) if not isinstance(value, sp.Basic) else value, dom) is ok
    if isinstance(value, int):
        assert C._domain_ok(value, dom) is ok      # a plain int is read as a Rational


def test_combine3_never_turns_unknown_into_a_truth_value():
    x, b = sp.Symbol("x"), sp.Symbol("b")
    a, o, n = sp.And(x > 0, x < 1), sp.Or(x > 0, x < 1), sp.Not(b)
    assert C._combine3(n, [None]) is None
    assert C._combine3(n, [True]) is False and C._combine3(n, [False]) is True
    assert C._combine3(a, [True, True]) is True
    assert C._combine3(a, [True, None]) is None
    assert C._combine3(a, [None, False]) is False
    assert C._combine3(o, [False, False]) is False
    assert C._combine3(o, [None, False]) is None
    assert C._combine3(o, [None, True]) is True


@pytest.mark.parametrize("lo,hi,strict,is_eq,expected", [
    # h == 0: decided false only when 0 is outside [lo, hi]
    (1, 2, False, True, False), (-2, -1, False, True, False), (0, 0, False, True, None), (-1, 1, False, True, None),
    (0, 1, False, True, None), (-1, 0, False, True, None),
    # h > 0
    (F(1, 10**9), 1, True, False, True), (0, 1, True, False, None), (-1, 0, True, False, False),
    (-2, -1, True, False, False), (-1, 1, True, False, None),
    # h >= 0
    (0, 1, False, False, True), (F(-1, 10**9), 1, False, False, None), (-2, F(-1, 10**9), False, False, False),
    (-1, 0, False, False, None),
])
def test_sign_verdict_boundaries(lo, hi, strict, is_eq, expected):
    assert C._sign_verdict(F(lo), F(hi), strict=strict, is_eq=is_eq) is expected


def test_truth_at_exact_points():
    x, y = sp.symbols("x y")
    pt = {x: Q(1, 3), y: Q(2)}
    assert C._truth_at(sp.true, pt) is True and C._truth_at(True, pt) is True
    assert C._truth_at(sp.false, pt) is False and C._truth_at(False, pt) is False
    assert C._truth_at(3 * x >= 1, pt) is True          # 3 * 1/3 = 1 >= 1: at the boundary
    assert C._truth_at(3 * x > 1, pt) is False
    assert C._truth_at(sp.Eq(3 * x, 1), pt) is True
    assert C._truth_at(sp.And(x < y, y < 3), pt) is True
    assert C._truth_at(sp.Or(x > y, y > 3), pt) is False
    assert C._truth_at(sp.Not(x > y), pt) is True
    assert C._truth_at(sp.sqrt(y) > Q(14142, 10000), pt) is True     # sqrt 2 = 1.41421...
    assert C._truth_at(sp.sqrt(y) < Q(14142, 10000), pt) is False


def test_decide():
    n = sp.Symbol("n", integer=True)
    assert C._decide(sp.true) is True and C._decide(False) is False
    assert C._decide(sp.Eq(Q(0), 0, evaluate=False)) is True
    assert C._decide(sp.Eq(Q(1, 3), 0, evaluate=False)) is False
    assert C._decide(sp.StrictGreaterThan(Q(0), 0, evaluate=False)) is False
    assert C._decide(sp.GreaterThan(Q(0), 0, evaluate=False)) is True
    assert C._decide(sp.GreaterThan(Q(-1, 10**9), 0, evaluate=False)) is False
    assert C._decide(sp.StrictGreaterThan(Q(1, 10**9), 0, evaluate=False)) is True
    assert C._decide(sp.Symbol("x") > 0) is None
    # a Sum is evaluated first (1 + 2 + 3 = 6)
    assert C._decide(sp.Eq(sp.Sum(n, (n, 1, 3)), 6, evaluate=False)) is True
    # irrational: log 4 - 2 log 2 is zero (simplify decides); pi - 3 is not
    assert C._decide(sp.Eq(sp.log(4) - 2 * sp.log(2), 0, evaluate=False)) is True
    assert C._decide(sp.Eq(sp.pi, 3, evaluate=False)) is False
    # enclosures decide strict signs of irrationals: sqrt(2) > 1.4142 (sqrt 2 = 1.41421356...)
    assert C._decide(sp.StrictGreaterThan(sp.sqrt(2), Q(14142, 10000), evaluate=False)) is True
    assert C._decide(sp.GreaterThan(Q(14143, 10000), sp.sqrt(2), evaluate=False)) is True
    assert C._decide(sp.GreaterThan(sp.sqrt(2), Q(14143, 10000), evaluate=False)) is False
    # an enclosure straddling 0 is settled exactly by simplify: log 4 - 2 log 2 = 0
    z = sp.log(4) - 2 * sp.log(2)
    assert C._decide(sp.GreaterThan(z, 0, evaluate=False)) is True
    assert C._decide(sp.StrictGreaterThan(z, 0, evaluate=False)) is False
    assert C._decide(sp.And(sp.GreaterThan(z, 0, evaluate=False), sp.Symbol("x") > 0)) is None


# ---------------------------------------------------------------------------------------------
# interval arithmetic: enclosures contain the exact value and are tight


def bounds(expr, box=None, prec=80):
    return C._iv_bounds(expr, {k: (F(a), F(b)) for k, (a, b) in (box or {}).items()}, prec)


def _tight(expr, exact, box=None, width=F(1, 10**15)):
    lo, hi = bounds(expr, box)
    assert lo is not None, expr
    assert lo <= exact <= hi and hi - lo <= width, (expr, lo, hi, exact)


x_, y_ = sp.symbols("x y", real=True)


@pytest.mark.parametrize("expr,exact", [
    (Q(3), F(3)), (Q(-2, 7), F(-2, 7)), (x_ + y_, F(7, 2)), (x_ * y_, F(3, 2)), (x_ - y_, F(-5, 2)),
    (x_ ** 3, F(1, 8)), (1 / y_, F(1, 3)), (y_ ** -2, F(1, 9)), (y_ ** 0, F(1)),
    (sp.Abs(x_ - y_), F(5, 2)), (sp.Abs(y_ - x_), F(5, 2)), (sp.Abs(x_), F(1, 2)),
    (sp.Min(x_, y_), F(1, 2)), (sp.Max(x_, y_), F(3)), (sp.floor(y_ + x_), F(3)), (sp.ceiling(x_), F(1)),
    (sp.factorial(4), F(24)),
])
def test_iv_rational_values_are_exact_at_points(expr, exact):
    # at a degenerate box (a point): x = 1/2, y = 3; binary fractions stay exact, thirds and
    # sevenths are enclosed to 80 bits
    _tight(expr, exact, {"x": (F(1, 2), F(1, 2)), "y": (F(3), F(3))}, width=F(1, 2 ** 75))


@pytest.mark.parametrize("expr,lo_,hi_", [
    # hand enclosures on boxes: x in [-3, -1], y in [-1, 2]
    (sp.Abs(x_), 1, 3), (sp.Abs(y_), 0, 2), (-x_, 1, 3), (sp.Min(x_, y_), -3, -1), (sp.Max(x_, y_), -1, 2),
    (sp.floor(y_), -1, 2), (sp.ceiling(x_), -3, -1), (x_ * y_, -6, 3), (x_ ** 2, 1, 9), (y_ ** 2, 0, 4),
])
def test_iv_box_enclosures(expr, lo_, hi_):
    lo, hi = bounds(expr, {"x": (-3, -1), "y": (-1, 2)})
    assert (lo, hi) == (F(lo_), F(hi_))


@pytest.mark.parametrize("expr,exact", [
    # irrational constants: enclosures at 80 bits contain the value (mpmath at 50 digits as reference)
    (sp.pi, sp.pi), (sp.E, sp.E), (sp.sqrt(2), sp.sqrt(2)), (sp.exp(1) * sp.log(3), sp.E * sp.log(3)),
    (sp.Integer(2) ** sp.Rational(1, 3), sp.Integer(2) ** sp.Rational(1, 3)),
    (sp.Pow(3, sp.pi, evaluate=False), 3 ** sp.pi),
])
def test_iv_transcendental_enclosures(expr, exact):
    lo, hi = bounds(expr)
    v = F(str(sp.N(exact, 50)))
    assert lo <= v <= hi and hi - lo < F(1, 10**20)


@pytest.mark.parametrize("expr,box", [
    (1 / x_, {"x": (-1, 1)}), (x_ ** -2, {"x": (0, 1)}), (sp.sqrt(x_), {"x": (-1, 1)}),
    (sp.log(x_), {"x": (0, 1)}), (sp.log(x_), {"x": (-2, -1)}), (x_ ** sp.pi, {"x": (0, 1)}),
    (sp.sin(x_), {"x": (0, 1)}),
    # 1/x is undefined at 0: no enclosure even where outer functions would map the unbounded
    # quotient back to a finite range (exp(-exp(t)) lies in [0, 1] for every real t)
    (sp.exp(-sp.exp(1 / x_)), {"x": (-1, 1)}), (sp.exp(-sp.exp(x_ ** -2)), {"x": (0, 1)}),
])
def test_iv_undecided_enclosures_are_none(expr, box):
    # division by an interval containing 0, sqrt/log/pow of nonpositive intervals, sin (no rule),
    # overflow: no enclosure, never a guess
    assert bounds(expr, box) == (None, None)


def test_iv_rejects_floats_and_keeps_precision():
    from mpmath import iv
    with pytest.raises(CheckError, match="float in a claim"):
        C._iv_enclose(sp.Float(0.5), {}, iv)
    before = iv.prec
    bounds(sp.sqrt(2), prec=200)
    assert iv.prec == before
    # more bits, tighter: 200-bit enclosure of sqrt 2 is narrower than 2^-190
    lo, hi = C._iv_bounds(sp.sqrt(2), {}, 200)
    assert hi - lo < F(1, 2 ** 190)
    lo, hi = C._iv_bounds(sp.sqrt(2), {}, 30)
    assert F(1, 2 ** 40) < hi - lo


def test_iv_sums_and_products():
    k = sp.Symbol("k", integer=True)
    # sum_{k=1}^{10} 1/k = 7381/2520 (harmonic number H_10); prod_{k=1}^{5} (1 + 1/k) = 6
    _tight(sp.Sum(1 / k, (k, 1, 10)), F(7381, 2520), width=F(1, 10**18))
    _tight(sp.Product(1 + 1 / k, (k, 1, 5)), F(6), width=F(1, 10**18))
    # symbolic upper limit at a point: sum_{k=1}^{n} k at n = 4 is 10
    n = sp.Symbol("n", integer=True)
    _tight(sp.Sum(k, (k, 1, n)), F(10), {"n": (F(4), F(4))}, width=F(0))
    # too many terms: no enclosure
    assert bounds(sp.Sum(1 / k ** 2, (k, 1, C.MAX_LOOP_TERMS + 1))) == (None, None)
    lo, hi = bounds(sp.Sum(1 / k ** 2, (k, 1, 3)))
    assert lo <= F(49, 36) <= hi       # 1 + 1/4 + 1/9 = 49/36
    assert C.MAX_LOOP_TERMS == 100_000


def test_ends_and_rounding_helpers():
    from mpmath import iv
    assert C._ends(iv.mpf([1, 2])) == (F(1), F(2))
    with pytest.raises(C._Undecided):
        C._ends(iv.mpf([1, "inf"]))
    from mpmath import libmp

    def fr(m):
        return F(*map(int, libmp.to_rational(m._mpf_)))
    third = F(1, 3)
    assert fr(C._down(third)) < third < fr(C._up(third))
    assert fr(C._up(third)) - fr(C._down(third)) < F(1, 2 ** 50)      # at the working precision (53 bits here)
    assert fr(C._down(F(1, 2))) == fr(C._up(F(1, 2))) == F(1, 2)


# ---------------------------------------------------------------------------------------------
# exact replay


def test_replay_checks_domain_hypotheses_and_claim():
    n = mk('symbols = { x = "positive", k = "integer" }\nhypotheses = ["x <= 2"]\nclaim = "x*k >= 1"')
    r = C._replay(n, {"x": Q(1, 2), "k": Q(1)})
    assert r["replayed"] is True and r["claim_holds"] is False
    assert r["claim_value"] == "g - f = -1/2" and r["point"] == {"x": "1/2", "k": "1"}
    r = C._replay(n, {"x": Q(1, 2), "k": Q(2)})
    assert r["replayed"] is False and r["claim_holds"] is True and r["claim_value"] == "g - f = 0"
    r = C._replay(n, {"x": Q(0), "k": Q(1)})
    assert r == {"replayed": False, "why": "x=0 violates its domain positive"}
    r = C._replay(n, {"x": Q(1), "k": Q(1, 2)})
    assert r == {"replayed": False, "why": "k=1/2 violates its domain integer"}
    r = C._replay(n, {"x": Q(3), "k": Q(0)})
    assert r == {"replayed": False, "why": "hypothesis x <= 2 is False at the point"}
    # irrational values are printed numerically
    n = mk('symbols = { x = "positive" }\nclaim = "sqrt(x) >= 2"')
    r = C._replay(n, {"x": Q(2)})
    assert r["replayed"] is True and r["claim_value"] == "g - f = -0.585786437626905"   # sqrt 2 - 2, 15 digits


def test_hyps_hold_and_witness():
    n = mk('symbols = { x = "positive", y = "real" }\nhypotheses = ["x >= 3", "y < x"]\nclaim = "x > y"')
    st = n.statement
    assert C._hyps_hold(st, {"x": Q(3), "y": Q(0)}) is True
    assert C._hyps_hold(st, {"x": Q(3), "y": Q(3)}) is False
    assert C._hyps_hold(st, {"x": Q(-3), "y": Q(-4)}) is False      # domain
    assert C._hyps_hold(st, {"x": Q(3)}) is False                    # y has no value
    w = C._find_witness(n)
    assert w is not None and Q(w["x"]) >= 3 and Q(w["y"]) < Q(w["x"])


# ---------------------------------------------------------------------------------------------
# candidates of the counterexample search


def test_free_names_and_numbers():
    n = mk('symbols = { x = "real", y = "real", z = "real" }\nhypotheses = ["y >= 1/3"]\nclaim = "x <= 2*x + 10**10"')
    assert C._free_names(n) == ["x", "y"]             # z is declared but not used
    # the formula's own constants (numbers of 10 digits or more are left out)
    assert C._numbers_in(n) == [F(1, 3), F(2)]
    # the limit is on numerator and denominator alike: below 10^9 kept, 10^9 and above left out
    n = mk('symbols = { x = "real" }\nhypotheses = ["x >= 1/999999999", "x >= 1/1000000001", '
           '"x <= 999999999/2", "x <= 1000000001/2"]\nclaim = "x >= 0"')
    assert C._numbers_in(n) == [F(0), F(1, 999999999), F(999999999, 2)]  # 0 from the claim
    # exactly 10^9 is left out too, on either side (held-out mutant, seed 20261207: < vs <=)
    n = mk('symbols = { x = "real" }\nhypotheses = ["x >= 1/1000000000", "x <= 1000000000/3"]\nclaim = "x >= 0"')
    assert C._numbers_in(n) == [F(0)]


@pytest.mark.parametrize("dom,expected", [
    ("real", [F(0), F(1), F(-1), F(1, 2), F(-1, 2), F(2)]),
    ("positive", [F(1), F(1, 2), F(2), F(3), F(1, 3), F(3, 2)]),
    ("nonnegative", [F(0), F(1), F(1, 2), F(2), F(3), F(1, 3)]),
    ("negative", [F(-1), F(-1, 2), F(-2), F(-3), F(-10), F(-7)]),
    ("integer", [F(0), F(1), F(-1), F(2), F(-2), F(3)]),
    ("positive_integer", [F(1), F(2), F(3), F(4), F(5), F(10)]),
    ("nonnegative_integer", [F(0), F(1), F(2), F(3), F(4), F(5)]),
])
def test_values_for_domains(dom, expected):
    # the fixed small values in their listed order, filtered by the domain (hand), then the
    # constant 7 of the formula and its neighbours
    vals = C._values_for(dom, [F(7)])
    assert vals[:6] == expected
    assert all(C._domain_ok(sp.Rational(v.numerator, v.denominator), dom) for v in vals)
    assert len(vals) == len(set(vals))


def test_values_for_box_and_constants():
    # neighbours of a constant c: c, -c, c +- 1, c/2, 2c, c +- 1/1000
    vals = C._values_for("real", [F(7)])
    for v in (F(7), F(-7), F(8), F(6), F(7, 2), F(14), F(7) + F(1, 1000), F(7) - F(1, 1000)):
        assert v in vals
    # a box: endpoints first, nothing outside
    vals = C._values_for("real", [], F(1, 7), F(7, 3))
    assert vals[:2] == [F(1, 7), F(7, 3)]
    assert all(F(1, 7) <= v <= F(7, 3) for v in vals)
    assert F(1) in vals and F(2) in vals and F(3) not in vals and F(0) not in vals
    vals = C._values_for("real", [], F(1, 7), F(5))
    assert vals[0] == F(1, 7) and vals.count(F(5)) == 1 and vals[-1] == F(5)
    vals = C._values_for("real", [], F(0), F(1))
    assert vals[:2] == [F(0), F(1)]        # already listed: not inserted twice
    assert vals.count(F(0)) == 1 and vals.count(F(1)) == 1
    assert C._values_for("real", [], F(2), None)[0] == F(2)
    assert C._values_for("real", [], None, F(-20))[:1] == [F(-20)]


def test_candidates_grid_then_seeded_random():
    n = mk('symbols = { x = "integer", y = "positive" }\nclaim = "x + y >= x"')
    pts = list(C._candidates(n, limit=40))
    assert len(pts) == 40
    # first half: the product of the first six values of each symbol, x major (hand)
    xs = C._values_for("integer", [])[:6]
    ys = C._values_for("positive", [])[:6]
    grid = [{"x": a, "y": b} for a in xs for b in ys]
    assert pts[:20] == grid[:20]
    # then random points inside the domains, the same every time (seeded)
    assert pts[20:] == list(C._candidates(n, limit=40))[20:]
    assert all(p["x"].denominator == 1 and p["y"] > 0 for p in pts[20:])
    assert C.SEARCH_SEED == 20180430 and C.SEARCH_POINTS == 1500
    # a closed claim has one candidate: the empty point
    assert list(C._candidates(mk('symbols = {}\nclaim = "1 < 2"'))) == [{}]


def test_candidates_respect_box_and_domains():
    n = mk('symbols = { a = "nonnegative", b = "negative", m = "positive_integer" }\nclaim = "a - b + m > 0"')
    box = {"a": (F(1), F(2)), "m": (F(3), F(9))}
    pts = list(C._candidates(n, box=box, limit=300))
    for p in pts:
        assert p["a"] >= 0 and p["b"] < 0 and p["m"] >= 1 and p["m"].denominator == 1
    rnd = pts[150:]
    assert all(F(1) <= p["a"] <= F(2) for p in rnd if p["a"] not in C._values_for("nonnegative", [], F(1), F(2)))
    assert any(F(1) < p["a"] < F(2) and p["a"].denominator > 100 for p in rnd)   # uniform draws


def test_search_counterexample_replays_exactly():
    n = mk('symbols = { x = "real" }\nhypotheses = ["x >= 0"]\nclaim = "x**2 >= x"')
    ce = C._search_counterexample(n)
    # x^2 < x exactly on (0, 1): the first grid value there is 1/2 (grid order 0, 1, -1, 1/2)
    assert ce["point"] == {"x": "1/2"} and ce["replayed"] is True and ce["searched"] == 4
    assert C._search_counterexample(mk('symbols = { x = "real" }\nclaim = "x**2 >= 0"')) is None
    assert C._search_counterexample(mk('symbols = { x = "real" }\nclaim = "x**2 + 1 > 0"')) is None


def test_search_reaches_the_grid_extremes_one_hundredth_and_one_hundred():
    # the candidate grid spans 1/100 .. 100 on a positive variable: x >= 1/99 fails only below
    # 1/99, first at the grid's 1/100; x <= 99 fails first at its 100 (deterministic: seeded)
    for claim, point in (("x >= 1/99", "1/100"), ("x <= 99", "100")):
        ce = C._search_counterexample(mk(f'symbols = {{ x = "positive" }}\nclaim = "{claim}"'))
        assert ce["point"] == {"x": point} and ce["replayed"] is True


def test_search_respects_its_limit():
    n = mk('symbols = { x = "real" }\nclaim = "x**2 > 0"')
    # limit 1: the grid's first point (x = 0) only; it is the counterexample
    assert list(C._candidates(n, limit=1)) == [{"x": F(0)}]
    assert C._search_counterexample(n, limit=1)["searched"] == 1
    pts = list(C._candidates(n, limit=7))
    assert len(pts) == 7 and pts[:3] == [{"x": F(0)}, {"x": F(1)}, {"x": F(-1)}]
    # an odd limit: floor(7/2) = 3 grid points, then the seeded random stream, which is the same
    # stream limit 6 (3 grid points) continues with (a fourth grid point would be x = 1/2)
    assert pts[3:6] == list(C._candidates(n, limit=6))[3:6]


# ---------------------------------------------------------------------------------------------
# vacuity


def test_nonvacuity_states():
    assert C._nonvacuity(mk('symbols = { x = "real" }\nclaim = "x >= x"'))["state"] == "ok"
    v = C._nonvacuity(mk('symbols = { x = "real" }\nhypotheses = ["x > 1", "x < 0"]\nclaim = "x >= x"'))
    assert v == {"state": "vacuous", "why": "z3: domains and hypotheses are unsat"}
    v = C._nonvacuity(mk('symbols = { x = "real" }\nhypotheses = ["x > 1"]\nclaim = "x >= x"'))
    assert v["state"] == "ok" and Q(v["witness"]["x"]) > 1


# ---------------------------------------------------------------------------------------------
# SMT: each outcome, one verdict


class _Forced:
    """Replace z3.Solver so that the main query (the one with an unsat core) answers ``result``."""

    def __init__(self, monkeypatch, result, model_point="real"):
        import z3
        real = z3.Solver
        forced = self

        class Solver(real):
            main = False

            def set(self, *a, **k):
                if a and a[0] == "unsat_core":
                    self.main = True
                return super().set(*a, **k)

            def check(self, *a):
                if self.main and forced.result is not None:
                    return forced.result
                return super().check(*a)

            def reason_unknown(self):
                return "forced by the test" if self.main else super().reason_unknown()

            def model(self):
                if self.main and forced.result is not None:
                    return None
                return super().model()

        self.result = result
        monkeypatch.setattr(z3, "Solver", Solver)
        if model_point != "real":
            monkeypatch.setattr(C, "_model_point", lambda model, t, st: model_point)


TRUE = 'symbols = { p = "real" }\nhypotheses = ["0 <= p", "p <= 1"]\nclaim = "p*(1 - p) <= 1/4"'
FALSE = 'symbols = { p = "real" }\nhypotheses = ["0 <= p", "p <= 1"]\nclaim = "p**2 <= p/2"'


def test_smt_unsat_is_proved_with_witness():
    r = C._smt(mk(TRUE), spec("smt"))
    assert r.verdict == "proved" and r.trust == "smt-nra" and r.detail["result"] == "unsat"
    assert r.detail["premises_satisfiable"] == "ok" and r.detail["witness"] is not None
    assert r.detail["used"] == ["hypothesis 0: 0 <= p", "hypothesis 1: p <= 1"] or set(r.detail["used"]) <= {
        "hypothesis 0: 0 <= p", "hypothesis 1: p <= 1"}
    assert r.summary.startswith("z3 (nonlinear real arithmetic): hypotheses ∧ ¬claim is unsat")


def test_smt_sat_replayed_is_refuted():
    r = C._smt(mk(FALSE), spec("smt"))
    assert r.verdict == "refuted" and r.detail["result"] == "sat" and r.detail["replayed"] is True
    p = Q(r.detail["point"]["p"])
    assert 0 <= p <= 1 and p ** 2 > p / 2          # the model really violates the claim
    assert r.summary.startswith("counterexample {p=")


def test_smt_sat_that_does_not_replay_is_never_a_refutation(monkeypatch):
    # z3 says sat, but its model satisfies the claim: no refutation, and the search finds none
    _Forced(monkeypatch, _sat(), model_point={"p": Q(1, 2)})
    r = C._smt(mk(TRUE), spec("smt"))
    assert r.verdict == "undecided" and r.detail["replayed"] is False
    assert r.summary.startswith("z3 model did not replay exactly")


def test_smt_sat_without_a_rational_model_is_undecided(monkeypatch):
    _Forced(monkeypatch, _sat(), model_point=None)
    r = C._smt(mk(TRUE), spec("smt"))
    assert r.verdict == "undecided" and r.summary.startswith("z3 model has non-rational values")
    assert "replayed" not in r.detail


def test_smt_sat_model_failing_replay_on_a_false_claim_is_refuted_by_search(monkeypatch):
    _Forced(monkeypatch, _sat(), model_point={"p": Q(1, 4)})     # (1/4)^2 <= 1/8: holds there
    r = C._smt(mk(FALSE), spec("smt"))
    # the search then replays p = 1 exactly (1 > 1/2): refuted by an exact replay, not by z3
    assert r.verdict == "refuted" and "counterexample search found {p=1}" in r.summary
    assert r.detail["point"] == {"p": "1"} and r.detail["replayed"] is True


@pytest.mark.parametrize("claim,verdict", [(TRUE, "undecided"), (FALSE, "refuted")])
def test_smt_unknown_is_never_a_proof(monkeypatch, claim, verdict):
    import z3
    _Forced(monkeypatch, z3.unknown)
    r = C._smt(mk(claim), spec("smt"))
    assert r.verdict == verdict and r.detail["reason_unknown"] == "forced by the test"
    assert "z3 returned unknown (forced by the test); not a proof" in r.summary


def _sat():
    import z3
    return z3.sat


def test_smt_vacuous_and_unwitnessed(monkeypatch):
    r = C._smt(mk('symbols = { p = "real" }\nhypotheses = ["p > 1", "p < 0"]\nclaim = "p > 5"'), spec("smt"))
    assert r.verdict == "vacuous" and r.detail["premises_satisfiable"] == "vacuous"
    monkeypatch.setattr(C, "_nonvacuity", lambda node, extra=(): {"state": "unknown"})
    r = C._smt(mk(TRUE), spec("smt"))
    assert r.verdict == "undecided" and "no point satisfying the hypotheses was exhibited" in r.summary


def test_smt_side_conditions():
    r = C._smt(mk('symbols = { x = "nonnegative", y = "nonnegative" }\nclaim = "x/y >= 0"'), spec("smt"))
    assert r.verdict == "undecided" and r.detail["side_conditions"] == {"proved": [], "unproved": ["y != 0"]}
    r = C._smt(mk('symbols = { x = "nonnegative", y = "real" }\nhypotheses = ["y > 0"]\nclaim = "x/y >= 0"'),
               spec("smt"))
    assert r.verdict == "proved" and r.detail["side_conditions"] == {"proved": ["y != 0"], "unproved": []}
    assert "side conditions proved: y != 0" in r.summary


def test_smt_timeout_option():
    assert C._smt_timeout(5000) == 5000
    assert C._smt_timeout(0) == 1
    r = C._smt(mk(TRUE), spec("smt", timeout_ms=1234))
    assert r.detail["timeout_ms"] == 1234
    assert C._smt(mk(TRUE), spec("smt")).detail["timeout_ms"] == C.DEFAULT_SMT_TIMEOUT_MS == 10_000
    from checker.audit import budget
    with budget.deadline(2.0):
        assert 1 <= C._smt_timeout(10_000) <= 2000 - 50


def test_derive_uses_minimal_premises():
    import sympy as sp_
    p = sp_.Symbol("p", real=True)
    premises = [("uses a: p >= 0", p >= 0), ("uses b: p >= 2", p >= 2)]
    n = mk('symbols = { p = "real" }\nclaim = "p >= 1"')
    r = C._smt(n, spec("derive"), premises=premises)
    # only b implies p >= 1: a is not needed (dropped if the core named it), b is
    assert r.verdict == "proved" and r.detail["used"] == ["uses b: p >= 2"]
    assert "used claims ∧ " in r.summary
    res = run_check(n, CheckSpec(kind="derive", options={}, index=1), premises=premises[:1])
    assert res.kind == "derive" and res.trust == "derived" and res.verdict != "proved"


# ---------------------------------------------------------------------------------------------
# symbolic


def test_symbolic_engine():
    r = C._symbolic(mk('symbols = { x = "real", y = "real" }\nclaim = "x*y <= (x**2 + y**2)/2"'), spec("symbolic"))
    assert r.verdict == "proved" and r.detail["premises_satisfiable"] == "ok"
    r = C._symbolic(mk('symbols = { x = "positive" }\nclaim = "x > x + 1"'), spec("symbolic"))
    # g - f = -1 < 0 everywhere: refuted, with a replayed point (the first grid value x = 1)
    assert r.verdict == "refuted" and r.detail["point"] == {"x": "1"} and "e.g. at {x=1}" in r.summary
    r = C._symbolic(mk('symbols = { x = "positive" }\nclaim = "Eq(x + 1, x)"'.replace("Eq(x + 1, x)", "x + 1 == x")),
                    spec("symbolic"))
    assert r.verdict == "refuted" and "nonzero" in r.summary
    # with a hypothesis the wrong sign is not a refutation (the hypotheses may narrow the domain)
    r = C._symbolic(mk('symbols = { x = "real" }\nhypotheses = ["x > 5"]\nclaim = "x > 10"'), spec("symbolic"))
    assert r.verdict in ("undecided", "refuted") and r.verdict != "proved"
    r = C._symbolic(mk('symbols = { x = "real" }\nhypotheses = ["x > 1", "x < 0"]\nclaim = "x**2 >= 0"'),
                    spec("symbolic"))
    assert r.verdict == "vacuous"


def test_symbolic_slack():
    n = mk('symbols = { x = "real", y = "real" }\nhypotheses = ["x >= y"]\nclaim = "x - y >= 0"')
    r = C._symbolic(n, spec("symbolic", slack=["x >= y"]))
    assert r.verdict == "proved" and r.detail["slack"] == ["x = y + s0 with s0 >= 0"]
    n = mk('symbols = { x = "real", y = "real" }\nhypotheses = ["y < x"]\nclaim = "x - y > 0"')
    r = C._symbolic(n, spec("symbolic", slack=["y < x"]))
    assert r.verdict == "proved" and r.detail["slack"] == ["x = y + s0 with s0 > 0"]
    for hyp, msg in [("x == y", "must be a hypothesis 'a > b' or 'a >= b'"),
                     ("x + 1 >= y", "the larger side must be a declared real symbol")]:
        n = mk(f'symbols = {{ x = "real", y = "real" }}\nhypotheses = ["{hyp}"]\nclaim = "x >= y - 1"')
        with pytest.raises(CheckError, match=msg):
            C._symbolic(n, spec("symbolic", slack=[hyp]))
    n = mk('symbols = { x = "positive", y = "real" }\nhypotheses = ["x > y"]\nclaim = "x > y"')
    with pytest.raises(CheckError, match="cannot keep the positivity of x"):
        C._symbolic(n, spec("symbolic", slack=["x > y"]))


# ---------------------------------------------------------------------------------------------
# property: lattice, boundary candidates, Hypothesis, seed


def prop(statement, **opts):
    return C._property(mk(statement), spec("property", **opts))


@pytest.mark.parametrize("c,index", [(0, 0), (1, 1), (50000, 2), (100000, 3), (100001, 4)])
def test_property_integer_boundary_candidates(c, index):
    # one integer symbol on [0, 100001] (100002 points > MAX_LATTICE): the boundary candidates
    # are lo, lo + 1, floor((lo + hi)/2) = 50000, hi - 1, hi in sorted order (hand); a claim false
    # only at c is refuted by the (index + 1)-th boundary point
    r = prop(f'symbols = {{ k = "integer" }}\nclaim = "(k - {c})**2 > 0"', box={"k": ["0", "100001"]})
    assert r.verdict == "refuted" and r.detail["point"] == {"k": str(c)}
    assert r.detail["boundary_points"] == index + 1 and r.detail["exhaustive"] is False
    assert r.detail["lattice_points"] == 0


def test_property_integer_boundary_candidates_of_a_narrow_box():
    # [5, 5]: lo + 1 and hi - 1 are clipped to the box (min(lo + 1, hi) = 5, max(hi - 1, lo) = 5)
    # but a 1-point box is a lattice: use two symbols with one huge range to leave the lattice
    r = prop('symbols = { k = "integer", j = "integer" }\nclaim = "k != 6"'.replace('k != 6', '(k - 6)**2 + j**2 >= 0'),
             box={"k": ["5", "5"], "j": ["0", "100001"]})
    assert r.verdict == "tested" and r.detail["boundary_points"] == 1 * 5
    r = prop('symbols = { k = "integer", j = "integer" }\nclaim = "(k - 6)**2 + j**2 > 0"',
             box={"k": ["5", "6"], "j": ["0", "100001"]})
    # k candidates: 5, 6 (mid 11/2 floors to 5, lo + 1 = hi = 6); symbols in sorted order (j, k),
    # so (j, k) = (0, 6) is the 2nd point
    assert r.verdict == "refuted" and r.detail["point"] == {"j": "0", "k": "6"}
    assert r.detail["boundary_points"] == 2


@pytest.mark.parametrize("c,index", [("0", 0), ("1/1000000", 1), ("1/2", 2), ("999999/1000000", 3), ("1", 4)])
def test_property_real_boundary_candidates(c, index):
    # a real symbol on [0, 1]: lo, lo + eps, mid, hi - eps, hi with eps = (hi - lo)/10^6 (hand)
    r = prop(f'symbols = {{ x = "real" }}\nclaim = "(x - {c})**2 > 0"', box={"x": ["0", "1"]})
    assert r.verdict == "refuted" and r.detail["point"] == {"x": c}
    assert r.detail["boundary_points"] == index + 1


def test_property_boundary_product_and_default_box():
    # no counterexample: all 5 x 5 boundary points, then max_examples Hypothesis examples
    r = prop('symbols = { x = "real", y = "real" }\nclaim = "x**2 + y**2 >= 0"', max_examples=30)
    assert r.verdict == "tested" and r.detail["boundary_points"] == 25
    assert r.detail["box"] == {"x": ["-100", "100"], "y": ["-100", "100"]}     # the default box
    assert r.detail["max_examples"] == 30
    assert 25 < r.detail["evaluated"] <= 25 + 30
    assert r.trust == f"tested[box-only, {r.detail['evaluated']} points, x∈[-100,100], y∈[-100,100]]"
    assert "(25 boundary points, the rest by Hypothesis; the stated domain is larger)" in r.summary
    assert r.detail["derandomized"] is True and r.detail["exhaustive"] is False


def test_property_domains_clip_the_default_box():
    r = prop('symbols = { a = "positive", b = "nonnegative", m = "positive_integer", z = "nonnegative_integer" }\n'
             'claim = "a + b + m + z > 0"', max_examples=5)
    assert r.detail["box"] == {"a": ["1/1000", "100"], "b": ["0", "100"], "m": ["1", "100"], "z": ["0", "100"]}
    r = prop('symbols = { m = "integer" }\nclaim = "m**2 >= 0"', box={"m": ["-1/2", "5/2"]})
    assert r.detail["box"] == {"m": ["0", "2"]} and r.detail["lattice_points"] == 3      # ceil/floor of the box


def test_property_on_the_whole_stated_domain_is_not_box_only():
    # hypotheses 0 <= k <= 20 confine k to the box: the sample covers the stated domain (issue 24.7)
    r = prop('symbols = { k = "integer" }\nhypotheses = ["k >= 0", "k <= 20"]\nclaim = "k**2 >= 0"',
             box={"k": ["0", "20"]})
    assert r.verdict == "tested" and r.trust == "tested[exhaustive k∈[0,20]]" and r.detail["whole_domain"]
    r = prop('symbols = { k = "integer" }\nhypotheses = ["k >= 0", "k <= 21"]\nclaim = "k**2 >= 0"',
             box={"k": ["0", "20"]})
    assert r.trust == "tested[box-only, exhaustive k∈[0,20]]" and not r.detail["whole_domain"]


def test_property_lattice_limit():
    # an all-integer box of exactly MAX_LATTICE points is enumerated; one more point is not
    assert C.MAX_LATTICE == 30_000
    r = prop('symbols = { k = "positive_integer" }\nclaim = "k >= 1"', box={"k": ["1", "30000"]})
    assert r.detail["exhaustive"] is True and r.detail["lattice_points"] == 30000
    assert r.trust == "tested[box-only, exhaustive k∈[1,30000]]"
    assert r.summary.startswith("no counterexample among all 30000 lattice points of k∈[1,30000]")
    r = prop('symbols = { k = "positive_integer" }\nclaim = "k >= 1"', box={"k": ["1", "30001"]}, max_examples=3)
    assert r.detail["exhaustive"] is False and r.detail["lattice_points"] == 0
    # mixed integer and real: never a lattice
    r = prop('symbols = { k = "integer", x = "real" }\nclaim = "k**2 + x**2 >= 0"', box={"k": ["0", "2"], "x": ["0", "1"]},
             max_examples=3)
    assert r.detail["exhaustive"] is False and r.detail["lattice_points"] == 0
    assert r.detail["boundary_points"] == 3 * 5      # k: 0, 1, 2 (mid 1, lo + 1 = hi - 1 = 1); x: 5 values


def test_property_lattice_finds_the_first_violation_in_order():
    r = prop('symbols = { i = "integer", j = "integer" }\nclaim = "i*j < 6"', box={"i": ["0", "3"], "j": ["0", "3"]})
    # lexicographic order (i, j): the first pair with i*j >= 6 is (2, 3), the 12th point (hand)
    assert r.verdict == "refuted" and r.detail["point"] == {"i": "2", "j": "3"}
    assert r.detail["lattice_points"] == 12 and r.detail["exhaustive"] is True
    assert r.summary.startswith("counterexample {i=2, j=3} (replayed exactly: g - f = 0)")


def test_property_hypotheses_and_vacuity():
    r = prop('symbols = { k = "integer" }\nhypotheses = ["k >= 3"]\nclaim = "k >= 3"', box={"k": ["0", "9"]})
    # 3 of the 10 lattice points are outside the hypotheses (0, 1, 2)
    assert r.verdict == "tested" and r.detail["rejected_by_hypotheses"] == 3 and r.detail["evaluated"] == 10
    assert "3 outside the hypotheses, 0 undecided" in r.summary
    r = prop('symbols = { k = "integer" }\nhypotheses = ["k >= 30"]\nclaim = "k >= 3"', box={"k": ["0", "9"]})
    assert r.verdict == "vacuous" and "none of the 10 sampled points satisfies the hypotheses" in r.summary


def test_property_seed_changes_the_search_and_defaults_to_zero(monkeypatch):
    seen: list = []

    def recording(node):
        return lambda point: seen.append(tuple(sorted((k, str(v)) for k, v in point.items()))) or True

    monkeypatch.setattr(C, "_float_screen", recording)

    def points(**opts):
        seen.clear()
        prop('symbols = { x = "real", y = "real" }\nclaim = "x**2 + y**2 >= 0"', **opts)
        return list(seen)

    default, zero, one = points(max_examples=20), points(seed=0, max_examples=20), points(seed=1, max_examples=20)
    assert default == zero and default != one
    assert default[:25] == one[:25]          # the boundary points do not depend on the seed
    assert points(max_examples=7)[:25] == default[:25] and len(points(max_examples=7)) <= 25 + 7


def test_property_closed_claim():
    r = prop('symbols = {}\nclaim = "1 < 2"')
    assert r.verdict == "tested" and r.detail["boundary_points"] == 0
    assert r.detail["max_examples"] == C.DEFAULT_MAX_EXAMPLES == 200


# ---------------------------------------------------------------------------------------------
# evaluate


def test_evaluate_engine():
    n = mk('symbols = { x = "positive" }\nclaim = "x**2 >= 2"')
    r = C._evaluate(n, spec("evaluate", at={"x": "3/2"}))
    assert r.verdict == "tested" and r.trust == "tested[1 point, {x=3/2}]" and r.detail["claim_value"] == "g - f = 1/4"
    r = C._evaluate(n, spec("evaluate", at={"x": "1"}))
    assert r.verdict == "refuted" and r.trust == "exact-eval"
    with pytest.raises(CheckError, match=r"symbols \['x'\] have no value in 'at'"):
        C._evaluate(n, spec("evaluate", at={}))
    with pytest.raises(CheckError, match="not admissible: x=-1 violates its domain positive"):
        C._evaluate(n, spec("evaluate", at={"x": "-1"}))
    # a claim whose symbols are all fixed by defines / closed: a proof, not a sample
    c = mk('symbols = {}\nclaim = "2**10 >= 1000"')
    r = C._evaluate(c, spec("evaluate", at={}))
    assert r.verdict == "proved" and r.trust == "exact-eval" and r.detail["claim_value"] == "g - f = 24"
    c = mk('symbols = {}\nclaim = "log(2) > 7/10"')        # log 2 = 0.693...: false
    assert C._evaluate(c, spec("evaluate", at={})).verdict == "refuted"
    # a symbol that cancels still counts as free: evaluated at a point, only tested
    s = mk('symbols = { x = "real" }\nclaim = "x - x + 1 > 0"'.replace("x - x + 1", "x*0 + 1"))
    r = C._evaluate(s, spec("evaluate", at={}))
    assert r.verdict == "proved"


def test_evaluate_undecided(monkeypatch):
    n = mk('symbols = { x = "positive" }\nclaim = "x >= 1"')
    monkeypatch.setattr(C, "_replay", lambda node, pt: {"replayed": False, "claim_holds": None,
                                                         "claim_value": "?", "point": {}})
    r = C._evaluate(n, spec("evaluate", at={"x": "1"}))
    assert r.verdict == "undecided" and r.summary == "could not decide the claim at {x=1}"


# ---------------------------------------------------------------------------------------------
# experiments


@pytest.fixture
def fake_experiments(monkeypatch):
    from checker import experiments
    from checker.experiments import Experiment, ExperimentResult
    calls = []
    experiments.names()       # load the real registry first, so that restoring it keeps it whole

    def ok(*, seed, quick):
        calls.append((seed, quick))
        return ExperimentResult(passed=seed != 13, summary=f"ran with {seed}")

    def boom(*, seed, quick):
        raise RuntimeError("exploded")

    reg = dict(experiments._REGISTRY)
    reg["fake.ok"] = Experiment(name="fake.ok", description="d", module="m", func=ok)
    reg["fake.boom"] = Experiment(name="fake.boom", description="d", module="m", func=boom)
    bind = dict(experiments.BINDINGS)
    bind["fake.ok"] = (("n",), "x")
    bind["fake.boom"] = (("n",), "x")
    monkeypatch.setattr(experiments, "_REGISTRY", reg)
    monkeypatch.setattr(experiments, "BINDINGS", bind)
    # the binding that counts is to the claim's hash (issue 24.3): here the claim x >= x of node n
    from checker.audit import bindings
    h = bindings.claim_hash(mk('symbols = { x = "real" }\nclaim = "x >= x"'))
    monkeypatch.setattr(bindings, "EXPERIMENT_CLAIMS", {**bindings.EXPERIMENT_CLAIMS, "fake.ok": (h,),
                                                        "fake.boom": (h,)})
    monkeypatch.setattr(experiments, "_MEMO", {})      # no result remembered from another test
    return calls


def test_experiment_engine(fake_experiments):
    n = mk('symbols = { x = "real" }\nclaim = "x >= x"')
    r = C._experiment(n, spec("experiment", name="fake.ok"), quick=True)
    assert fake_experiments == [(0, True)]                  # the default seed is 0
    assert r.verdict == "tested" and r.detail["seed"] == 0 and r.summary == "fake.ok (seed 0, quick): ran with 0"
    r = C._experiment(n, spec("experiment", name="fake.ok", seed=13), quick=False)
    assert r.verdict == "failed" and fake_experiments[-1] == (13, False) and "(seed 13, full)" in r.summary
    r = C._experiment(n, spec("experiment", name="fake.boom"), quick=True)
    assert r.verdict == "error" and "raised RuntimeError: exploded" in r.summary
    r = C._experiment(n, spec("experiment", name="no.such"), quick=True)
    assert r.verdict == "error" and r.summary.startswith("unknown experiment")
    renamed = mk('symbols = { x = "real" }\nclaim = "x >= x"', nid="other")   # same claim, another id
    assert C._experiment(renamed, spec("experiment", name="fake.ok"), quick=True).verdict == "tested"
    other = mk('symbols = { x = "real" }\nclaim = "x >= x - 1"')               # same id, another claim
    r = C._experiment(other, spec("experiment", name="fake.ok"), quick=True)
    assert r.verdict == "error" and "is not bound to this claim" in r.summary and "written for n" in r.summary
    r = C._dispatch(n, spec("experiment", name="fake.ok"), quick=True, run_experiments=False, premises=())
    assert r.verdict == "skipped"


# ---------------------------------------------------------------------------------------------
# dispatch and run_check


def test_run_check_verdicts_for_engines_that_cannot_run(monkeypatch):
    n = mk('symbols = { x = "real" }\nclaim = "x >= x"')
    r = run_check(mk('symbols = { x = "real" }'), spec("smt"))
    assert r.verdict == "error" and "needs a statement.claim" in r.summary
    monkeypatch.setattr(C, "_symbolic", lambda node, s: (_ for _ in ()).throw(RecursionError()))
    r = run_check(n, spec("symbolic"))
    assert r.verdict == "error" and r.summary == "check could not run: expression nested too deeply"
    monkeypatch.setattr(C, "_symbolic", lambda node, s: (_ for _ in ()).throw(ValueError("bad")))
    r = run_check(n, spec("symbolic"))
    assert r.verdict == "error" and r.summary == "check could not run: ValueError: bad"
    monkeypatch.setattr(C, "_symbolic", lambda node, s: (_ for _ in ()).throw(CheckError("nope")))
    r = run_check(n, spec("symbolic"))
    assert r.verdict == "error" and r.summary == "check could not run: nope" and r.trust == "symbolic"
    monkeypatch.setattr(C, "_symbolic", lambda node, s: (_ for _ in ()).throw(C.CheckTimeout()))
    r = run_check(n, spec("symbolic"), seconds=5)
    assert r.verdict == "timeout" and r.summary == "ran out of its wall-clock limit of 5 s (never a pass)"
    monkeypatch.setattr(C, "_symbolic", lambda node, s: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        run_check(n, spec("symbolic"))


def test_run_check_passes_results_through_with_seconds():
    n = mk('symbols = { x = "real" }\nclaim = "x**2 >= 0"')
    r = run_check(n, spec("symbolic"))
    assert isinstance(r, CheckResult) and r.verdict == "proved" and r.passed and r.seconds >= 0
    assert r.detail["normal_form"]
    assert not CheckResult(kind="k", verdict="undecided", trust="t", summary="").passed
    assert C.PASS_VERDICTS == ("proved", "tested", "trusted")


def test_dispatch_cited_and_assumed():
    c = mk('symbols = { x = "real" }\nclaim = "x >= x"', kind="cited",
           checks='[[node.checks]]\nkind = "cited"\nname = "hoeffding"\nreference = "H63"\n')
    r = run_check(c, spec("cited", name="hoeffding", reference="H63"))
    assert (r.verdict, r.trust, r.summary) == ("trusted", "cited:hoeffding", "cited, not checked: H63")
    lemma = mk('symbols = { x = "real" }\nclaim = "x >= x"')
    r = run_check(lemma, spec("cited", name="hoeffding", reference="H63"))
    assert r.verdict == "error" and "citation laundering" in r.summary and r.trust == "cited:hoeffding"
    a = mk('symbols = { x = "real" }\nclaim = "x >= x"', kind="assumption",
           checks='[[node.checks]]\nkind = "assumed"\nreason = "given"\n')
    r = run_check(a, spec("assumed", reason="given"))
    assert (r.verdict, r.trust, r.summary) == ("trusted", "assumed:n", "assumed, not checked: given")
    r = run_check(lemma, spec("assumed", reason="given"))
    assert r.verdict == "error" and r.trust == "assumed:n" and "only an 'assumption' node may be assumed" in r.summary
    r = run_check(lemma, spec("nonsense"))
    assert r.verdict == "error" and "unknown check kind 'nonsense'" in r.summary


# ---------------------------------------------------------------------------------------------
# float screen


def test_compile_float_values_and_magnitudes():
    x, y = sp.symbols("x y")
    k = sp.Symbol("k", integer=True)
    env = {"x": 2.0, "y": -3.0}
    cases = [
        (x, 2.0, 2.0), (sp.Rational(1, 4), 0.25, 0.25), (x + y, -1.0, 5.0), (x * y, -6.0, 6.0),
        (x ** 2, 4.0, 4.0), (y ** 2, 9.0, 9.0), (x ** 3, 8.0, 8.0), (sp.exp(x), math.exp(2), math.exp(2)), (sp.log(x), math.log(2), math.log(2)),
        (sp.Abs(y), 3.0, 3.0), (sp.floor(x / 3), 0.0, 0.0), (sp.ceiling(x / 3), 1.0, 1.0),
        (sp.pi * x, 2 * math.pi, 2 * math.pi),
        # a unary function of a negative argument takes its value, not its magnitude
        (sp.exp(y), math.exp(-3), math.exp(-3)), (sp.floor(y / 2), -2.0, 2.0), (sp.ceiling(y / 2), -1.0, 1.0),
        (sp.Sum(k * x, (k, 1, 3)), 12.0, 12.0), (sp.Product(k, (k, 1, 4)), 24.0, 24.0),
    ]
    for expr, v, m in cases:
        got = C._compile_float(expr)(env)
        assert got == pytest.approx((v, m), rel=1e-15, abs=0), expr
    assert C._compile_float(sp.sin(x)) is None
    assert C._compile_float(x + sp.sin(x)) is None
    assert C._compile_float(sp.exp(sp.sin(x))) is None
    assert C._compile_float(sp.sin(x) ** 2) is None
    assert C._compile_float(sp.Sum(sp.sin(k), (k, 1, 3))) is None
    with pytest.raises(ValueError):
        C._compile_float(sp.Sum(k, (k, 1, x)))({"x": 2.5})
    # at most MAX_LOOP_TERMS + 1 terms: hi - lo = MAX_LOOP_TERMS is the last accepted range
    big = C._compile_float(sp.Sum(k, (k, 1, x)))
    m = C.MAX_LOOP_TERMS
    assert big({"x": float(m + 1)})[0] == (m + 1) * (m + 2) / 2        # Gauss: sum 1..N = N(N + 1)/2
    with pytest.raises(ValueError):
        big({"x": float(m + 2)})
    with pytest.raises(ValueError):
        C._compile_float(sp.sqrt(y))({"y": -1.0})


def test_float_screen():
    n = mk('symbols = { x = "real" }\nhypotheses = ["x >= 1"]\nclaim = "x**2 >= x"')
    s = C._float_screen(n)
    assert s({"x": Q(2)}) is True            # margin 2 > 0: accepted
    assert s({"x": Q(1)}) is None            # margin 0: replay exactly
    assert s({"x": Q(0)}) is False           # clearly outside the hypotheses
    assert s({"x": Q(1) - Q(1, 10**12)}) is None    # within SCREEN_RTOL of the hypothesis border
    assert C.SCREEN_RTOL == 1e-9
    assert C._float_screen(mk('symbols = { x = "real" }\nclaim = "x**2 == 4"')) is None
    assert C._float_screen(mk('symbols = { x = "real" }\nclaim = "Max(x, 1) >= 1"')) is None
    # a hypothesis that cannot be compiled is left to the exact replay
    h = C._float_screen(mk('symbols = { x = "real" }\nhypotheses = ["Max(x, 1) >= 3"]\nclaim = "x >= -100"'))
    assert h({"x": Q(0)}) is True
    t = C._float_screen(mk('symbols = { x = "real" }\nclaim = "log(x) <= x"'))
    assert t({"x": Q(-1)}) is None           # a domain error: replay exactly


# ---------------------------------------------------------------------------------------------
# interval engine and boxes


def test_box_of_validation():
    n = mk('symbols = { a = "positive", b = "negative", c = "real" }\nclaim = "a - b + c**2 > 0"')
    assert C._box_of(n, spec("interval", box={"a": ["1", "2"], "b": ["-2", "-1"], "c": ["0", "1/2"]}),
                     required=True) == {"a": (F(1), F(2)), "b": (F(-2), F(-1)), "c": (F(0), F(1, 2))}
    with pytest.raises(CheckError, match=r"box misses the free symbols \['b', 'c'\]"):
        C._box_of(n, spec("interval", box={"a": ["1", "2"]}), required=True)
    assert C._box_of(n, spec("property", box={"a": ["1", "2"]}), required=False) == {"a": (F(1), F(2))}
    with pytest.raises(CheckError, match=r"box for a must lie in its domain positive \(low >= 0\)"):
        C._box_of(n, spec("property", box={"a": ["-1/10", "2"]}), required=False)
    assert C._box_of(n, spec("property", box={"a": ["0", "2"]}), required=False)["a"] == (F(0), F(2))
    with pytest.raises(CheckError, match=r"box for b must lie in its domain negative \(high <= 0\)"):
        C._box_of(n, spec("property", box={"b": ["-1", "1/10"]}), required=False)
    assert C._box_of(n, spec("property", box={"b": ["-1", "0"]}), required=False)["b"] == (F(-1), F(0))
    # an integer symbol's box is its integers: [1/2, 7/2] is [1, 3]; [1/3, 2/3] holds none
    k = mk('symbols = { k = "integer" }\nclaim = "k**2 >= 0"')
    assert C._box_of(k, spec("interval", box={"k": ["1/2", "7/2"]}), required=True) == {"k": (F(1), F(3))}
    with pytest.raises(CheckError, match=r"^box for k contains no integer \(its domain is integer\)$"):
        C._box_of(k, spec("interval", box={"k": ["1/3", "2/3"]}), required=True)
    # the interval engine needs a box for every free symbol (a missing one is an error, not the
    # whole real line)
    with pytest.raises(CheckError, match=r"box misses the free symbols \['b', 'c'\]"):
        C._interval(n, spec("interval", box={"a": ["1", "2"]}))
    m = mk('symbols = { k = "nonnegative_integer", j = "positive_integer", u = "nonnegative" }\nclaim = "k + j + u >= 0"')
    for name in ("k", "j", "u"):
        with pytest.raises(CheckError, match=f"box for {name} must lie in its domain"):
            C._box_of(m, spec("property", box={name: ["-1", "1"]}), required=False)


def test_stated_domain():
    n = mk('symbols = { a = "positive", b = "nonnegative", m = "positive_integer", z = "nonnegative_integer", '
           'q = "negative", r = "real", s = "real", t = "real" }\n'
           'hypotheses = ["a <= 3", "2 >= b", "r >= -1", "1/2 <= r", "r < 5", "s == 7", "t > 0 - 4", "a*b <= 1", '
           '"r <= 6"]\nclaim = "a + b + m + z + q + r + s + t > -100"')
    d = C._stated_domain(n)
    assert d["a"] == (F(0), F(3)) and d["b"] == (F(0), F(2)) and d["m"] == (F(1), None)
    assert d["z"] == (F(0), None) and d["q"] == (None, F(0))
    assert d["r"] == (F(1, 2), F(5))          # the tighter of each pair of bounds
    assert d["s"] == (F(7), F(7)) and d["t"] == (F(-4), None)
    n = mk('symbols = { x = "real" }\nhypotheses = ["x >= 0 and x <= 1"]\nclaim = "x >= -1"'.replace(
        '"x >= 0 and x <= 1"', '"x >= 0", "x <= 1"'))
    assert C._stated_domain(n)["x"] == (F(0), F(1))


def test_box_is_whole_domain():
    n = mk('symbols = { x = "positive" }\nhypotheses = ["x <= 10"]\nclaim = "x > 0"')
    assert C._box_is_whole_domain(n, {"x": (F(0), F(10))}) is True
    assert C._box_is_whole_domain(n, {"x": (F(-1), F(11))}) is True
    assert C._box_is_whole_domain(n, {"x": (F(1, 10**9), F(10))}) is False
    assert C._box_is_whole_domain(n, {"x": (F(0), F(10) - F(1, 10**9))}) is False
    assert C._box_is_whole_domain(n, {}) is False
    u = mk('symbols = { x = "positive" }\nclaim = "x > 0"')      # unbounded above: no box is the domain
    assert C._box_is_whole_domain(u, {"x": (F(0), F(10**12))}) is False
    r = mk('symbols = { x = "real" }\nhypotheses = ["x <= 1"]\nclaim = "x < 2"')   # unbounded below
    assert C._box_is_whole_domain(r, {"x": (F(-10**12), F(1))}) is False
    assert C._box_text({"y": (F(1), F(2)), "x": (F(-1, 2), F(0))}) == "x∈[-1/2,0], y∈[1,2]"


def test_too_small_and_box_truth():
    tiny = F(1, 10**12)
    assert C._too_small({"x": (F(0), tiny / 2)}, set()) is True
    assert C._too_small({"x": (F(0), tiny)}, set()) is False           # exactly 10^-12 wide: not yet
    assert C._too_small({"k": (F(3), F(3))}, {"k"}) is True
    assert C._too_small({"k": (F(3), F(4))}, {"k"}) is False
    assert C._too_small({"k": (F(3), F(3)), "x": (F(0), F(1))}, {"k"}) is False
    x = sp.Symbol("x", real=True)
    box = {"x": (F(1), F(2))}
    assert C._box_truth(x >= 1, box, 53) is True
    assert C._box_truth(x > 1, box, 53) is None
    assert C._box_truth(x > 2, box, 53) is False
    assert C._box_truth(sp.And(x >= 1, x <= 2), box, 53) is True
    assert C._box_truth(sp.Or(x > 3, x < 0), box, 53) is False
    assert C._box_truth(sp.true, box, 53) is True and C._box_truth(sp.false, box, 53) is False
    assert C._box_truth(x + sp.Symbol("y", real=True) > 0, box, 53) is None       # y has no range
    assert C._box_truth(sp.log(x - 1) > -100, box, 53) is None                   # log at 0: no enclosure


def test_point_truth():
    n = mk('symbols = { x = "real" }\nhypotheses = ["x >= 1"]\nclaim = "x**2 > x"')
    assert C._point_truth(n, {"x": F(2)}) is True
    assert C._point_truth(n, {"x": F(0)}) is True            # outside the hypotheses: nothing claimed
    assert C._point_truth(n, {"x": F(1)}) is False
    m = mk('symbols = { x = "real" }\nhypotheses = ["log(x) >= 0"]\nclaim = "x >= 1"')
    assert C._point_truth(m, {"x": F(0)}) is None             # the hypothesis cannot be evaluated


def iv(statement, **opts):
    return C._interval(mk(statement), spec("interval", **opts))


def test_interval_engine_proves_on_box_and_domain():
    r = iv('symbols = { x = "positive" }\nclaim = "log(x) <= x - 1/2"', box={"x": ["1/10", "10"]})
    assert r.verdict == "proved" and r.trust == "interval[x∈[1/10,10]]" and r.detail["whole_domain"] is False
    assert "on the box x∈[1/10,10] only" in r.summary
    assert r.detail["boxes_proved"] >= 1 and r.detail["n_undecided"] == 0
    assert r.detail["budget"] == C.DEFAULT_MAX_BOXES == 4000 and r.detail["precision_bits"] == C.DEFAULT_PREC == 80
    lb = float(r.detail["worst_lower_bound_of_margin"])
    assert 0 < lb <= 0.5      # the true minimum of x - 1/2 - log x is 1/2 at x = 1 (hand)
    r = iv('symbols = { x = "positive" }\nhypotheses = ["x >= 1/10", "x <= 10"]\nclaim = "log(x) <= x - 1/2"',
           box={"x": ["1/10", "10"]}, prec=60, max_boxes=500)
    assert r.verdict == "proved" and r.trust == "interval" and "on the whole stated domain" in r.summary
    assert r.detail["precision_bits"] == 60 and r.detail["budget"] == 500


def test_interval_engine_non_strict_touching_zero():
    # x^2 >= 0 on [-1, 1]: the lower bound 0 proves a non-strict claim; x^2 > 0 is refuted at 0
    r = iv('symbols = { x = "real" }\nclaim = "x**2 >= 0"', box={"x": ["0", "1"]})
    assert r.verdict == "proved" and r.detail["worst_lower_bound_of_margin"] == "0.0"
    r = iv('symbols = { x = "real" }\nclaim = "x**2 > 0"', box={"x": ["-1", "1"]})
    assert r.verdict == "refuted" and r.detail["point"] == {"x": "0"}    # the box midpoint, replayed
    assert r.summary.startswith("counterexample at {'x': '0'}")


def test_interval_engine_excluded_boxes_and_vacuity():
    # [0, 4] splits into [0, 2] (hypothesis undecided, claim not proved), then [0, 1] (excluded:
    # x - 2 <= -1) and [1, 2] (x - 1 >= 0 proved), and [2, 4] (proved): hand
    r = iv('symbols = { x = "real" }\nhypotheses = ["x >= 2"]\nclaim = "x >= 1"', box={"x": ["0", "4"]})
    assert r.verdict == "proved" and r.detail["boxes_excluded_by_hypotheses"] == 1
    assert r.detail["boxes_proved"] == 2 and r.detail["boxes_evaluated"] == 5
    r = iv('symbols = { x = "real" }\nhypotheses = ["x >= 5"]\nclaim = "x >= 100"', box={"x": ["0", "4"]})
    assert r.verdict == "vacuous" and "every sub-box of x∈[0,4] is excluded by the hypotheses" in r.summary


def test_interval_engine_budget_and_integers():
    r = iv('symbols = { x = "positive" }\nclaim = "log(x) < x - 1"', box={"x": ["1/2", "2"]}, max_boxes=50)
    # tight at x = 1 (log 1 = 0 = 1 - 1); the midpoint x = 5/4 holds; boxes run out: undecided
    assert r.verdict in ("undecided", "refuted") and r.verdict != "proved"
    if r.verdict == "undecided":
        assert r.detail["n_undecided"] >= 1 and "boxes undecided after" in r.summary
    r = iv('symbols = { k = "integer" }\nclaim = "k**2 - 5*k + 6 >= 0"', box={"k": ["0", "10"]})
    # (k - 2)(k - 3) >= 0 holds at every integer (it is negative only on (2, 3)): proved by
    # splitting integer boxes at integers
    assert r.verdict == "proved"
    r = iv('symbols = { k = "integer" }\nclaim = "k**2 - 5*k + 6 > 0"', box={"k": ["0", "10"]})
    assert r.verdict == "refuted" and r.detail["point"]["k"] in ("2", "3")
    with pytest.raises(CheckError, match="interval checks inequalities"):
        iv('symbols = { x = "real" }\nclaim = "x**2 == x*x + 0"'.replace("x*x + 0", "4"), box={"x": ["0", "1"]})


# ---------------------------------------------------------------------------------------------
# small helpers


def test_conjuncts_light_and_format():
    x = sp.Symbol("x")
    # nested conjunctions are flattened (sympy fixes the order of And's arguments)
    nested = sp.And(x > 0, sp.And(x < 2, x < 3, evaluate=False), evaluate=False)
    assert sorted(map(str, C._conjuncts(nested))) == ["x < 2", "x < 3", "x > 0"] and len(C._conjuncts(nested)) == 3
    assert C._conjuncts(x > 0) == [x > 0]
    d = sp.Derivative(x ** 2, x)
    assert C._light(d + 1) == 2 * x + 1
    k = sp.Symbol("k")
    s = sp.Sum(k, (k, 1, 3))
    assert C._light(s) == s                   # sums stay loops
    assert C._fmt_point({"x": "1/2", "y": "3"}) == "{x=1/2, y=3}"
    assert C._has_hypotheses(mk('symbols = { x = "real" }\nhypotheses = ["x > 0"]\nclaim = "x > -1"'))
    assert not C._has_hypotheses(mk('symbols = { x = "real" }\nclaim = "x >= x"'))


def test_vacuous_and_undecided_results():
    v = C._vacuous("smt", "smt-nra", {"why": "because"}, {"a": 1})
    assert v.verdict == "vacuous" and v.kind == "smt" and v.trust == "smt-nra"
    assert v.detail == {"a": 1, "vacuity": "because"} and "(because)" in v.summary and "never counted" in v.summary
    n = mk('symbols = { x = "real" }\nclaim = "x**2 + 1 > 0"')
    u = C._undecided_with_search(n, "smt", "smt-nra", "why", {"searched": 7})
    assert u.verdict == "undecided" and u.summary.startswith("why; no counterexample among 7 searched points")
    u = C._undecided_with_search(n, "smt", "smt-nra", "why", {})
    assert f"among {C.SEARCH_POINTS} searched points" in u.summary
    f_ = mk('symbols = { x = "real" }\nclaim = "x**2 > 0"')
    u = C._undecided_with_search(f_, "smt", "smt-nra", "why", {})
    assert u.verdict == "refuted" and u.detail["point"] == {"x": "0"} and "(replayed exactly: g - f = 0)" in u.summary
    # a box restricts the search: x^2 > 0 has no counterexample in [1, 2]
    u = C._undecided_with_search(f_, "smt", "smt-nra", "why", {}, box={"x": (F(1), F(2))})
    assert u.verdict == "undecided"


def test_model_point_kinds():
    import z3
    from checker.audit.smt import Translation
    n = mk('symbols = { x = "real", k = "integer" }\nclaim = "x*x >= 0"')
    t = Translation(domains=dict(n.statement.domains))
    s = z3.Solver()
    s.add(t.vars["x"] * t.vars["x"] == 2, t.vars["x"] > 0, t.vars["k"] == 3)
    assert s.check() == z3.sat
    pt = C._model_point(s.model(), t, n.statement)
    # x = sqrt 2 (algebraic): approximated to a rational within 10^-30
    assert abs(float(pt["x"]) - math.sqrt(2)) < 1e-15 and pt["k"] == 3 and isinstance(pt["x"], sp.Rational)
    s = z3.Solver()
    s.add(t.vars["x"] == z3.Q(1, 3), t.vars["k"] == -2)
    s.check()
    assert C._model_point(s.model(), t, n.statement) == {"x": Q(1, 3), "k": Q(-2)}
    s = z3.Solver()
    s.add(t.vars["x"] == z3.Q(1, 3))            # k unconstrained: completed with 0
    s.check()
    assert C._model_point(s.model(), t, n.statement) == {"x": Q(1, 3), "k": Q(0)}


def test_prove_side_conditions_dedup():
    from checker.audit.smt import Translation
    t = Translation(domains={"y": "real"})
    y = t.vars["y"]
    out = C._prove_side_conditions(t, [y > 0], [("y != 0", y != 0), ("y != 0", y != 0), ("y > 1", y > 1)], 1000)
    assert out == {"proved": ["y != 0"], "unproved": ["y > 1"]}


# ---------------------------------------------------------------------------------------------
# library


class _Stmt:
    def __init__(self, exprs):
        self.exprs = exprs


@pytest.fixture
def fake_library(monkeypatch):
    from types import SimpleNamespace

    from checker import bounds
    n_, m_ = sp.Symbol("n", positive=True, integer=True), sp.Symbol("m", positive=True)
    lib = {"s1": _Stmt({"bound": m_ ** 2 / (2 * n_)})}
    state = {"skew": 0.0, "raise": None}

    def get(sid):
        if sid not in lib:
            raise KeyError(sid)
        return lib[sid]

    def evaluate(stmt, values, *, name, mode):
        if state["raise"]:
            raise state["raise"]
        v = float(stmt.exprs[name].subs({n_: values["n"], m_: values["m"]}))
        return SimpleNamespace(values={name: v * (1 + state["skew"])})

    monkeypatch.setattr(bounds, "get", get)
    monkeypatch.setattr(bounds, "evaluate", evaluate)
    return state


LIB = 'symbols = { m = "positive", n = "positive_integer" }\nclaim = "m**2/(2*n) <= 1"'


def test_library_check(fake_library):
    n = mk(LIB)
    r = C._library(n, spec("library", statement="s1", expr="bound", equals="m**2/(2*n)"))
    assert r.verdict == "proved" and r.trust == "symbolic"
    # evaluated at n = 3 (an integer symbol), m = 7/5: 49/25 / 6 = 49/150 (hand)
    assert r.detail["numeric"].startswith("float64 evaluator ") and "{m=7/5, n=3}" in r.detail["numeric"]
    assert "0.32666666666666667" in r.detail["numeric"]
    # the margin g - f binds too (claim m^2/(2n) <= 1: g - f = 1 - m^2/(2n)), and its negation
    for margin in ("1 - m**2/(2*n)", "m**2/(2*n) - 1"):
        r = C._library(n, spec("library", statement="s1", expr="bound", equals=margin))
        # bound (the binding holds), but differs by m^2/n - 1 or -1: a symbolic difference
        # whose sign sympy cannot fix, or the constant -1
        assert r.verdict == ("undecided" if margin.startswith("1") else "refuted")
        assert "differs from s1:bound" in r.summary
    r = C._library(n, spec("library", statement="s1", expr="bound", equals="m**2/n"))
    assert r.verdict == "error" and "is no side of the node's claim" in r.summary
    m2 = mk('symbols = { m = "positive", n = "positive_integer" }\nclaim = "m**2/n <= 1"')
    r = C._library(m2, spec("library", statement="s1", expr="bound", equals="m**2/n"))
    # m^2/(2n) - m^2/n = -m^2/(2n): not known to be nonzero for symbols without assumptions
    assert r.verdict == "undecided" and r.summary.startswith("differs from s1:bound: difference")
    m4 = mk('symbols = { m = "positive", n = "positive_integer" }\nclaim = "m**2/(2*n) + 1 <= 2"')
    r = C._library(m4, spec("library", statement="s1", expr="bound", equals="m**2/(2*n) + 1"))
    assert r.verdict == "refuted" and r.summary == "differs from s1:bound: difference -1"   # library - outline
    assert r.detail == {"library": "m**2/(2*n)"}
    m3 = mk('symbols = { m = "positive", k = "positive_integer" }\nclaim = "m**2/(2*k) <= 1"')
    r = C._library(m3, spec("library", statement="s1", expr="bound", equals="m**2/(2*k)"))
    assert r.verdict == "refuted" and r.summary == "symbols differ: library ['m', 'n'] vs outline ['k', 'm']"
    r = C._library(n, spec("library", statement="nope", expr="bound", equals="m**2/(2*n)"))
    assert r.verdict == "error" and r.summary.startswith("bound library statement 'nope' unavailable: KeyError")
    r = C._library(n, spec("library", statement="s1", expr="other", equals="m**2/(2*n)"))
    assert r.verdict == "error" and r.summary == "statement 's1' has no expression 'other' (has ['bound'])"


def test_library_numeric_tolerance(fake_library):
    n = mk(LIB)
    sp_ = spec("library", statement="s1", expr="bound", equals="m**2/(2*n)")
    # the value is 49/150 < 1, so the tolerance is LIBRARY_NUMERIC_RTOL absolute: 1e-9
    assert C.LIBRARY_NUMERIC_RTOL == 1e-9
    fake_library["skew"] = 2e-9            # 0.65e-9 absolute off: inside
    assert C._library(n, sp_).verdict == "proved"
    fake_library["skew"] = 4e-9            # 1.3e-9 absolute off: outside
    r = C._library(n, sp_)
    assert r.verdict == "refuted" and "disagrees with its own expression" in r.summary
    fake_library["skew"] = 0.0
    fake_library["raise"] = RuntimeError("no numpy")
    r = C._library(n, sp_)
    assert r.verdict == "proved" and r.detail["numeric"] == "numeric evaluator could not run: RuntimeError: no numpy"


# ---------------------------------------------------------------------------------------------
# budgets of the solver calls


@pytest.mark.parametrize("left,ms,expected", [
    (None, 10_000, 10_000), (None, 0, 1), (100.0, 10_000, 10_000),
    (2.0, 10_000, 1950),          # 2 s left: 2000 ms less a 50 ms margin
    (2.0, 1000, 1000), (0.01, 10_000, 1), (0.0505, 10_000, 1), (0.052, 10_000, 2),
])
def test_smt_timeout_respects_the_remaining_budget(monkeypatch, left, ms, expected):
    monkeypatch.setattr(C.budget, "remaining", lambda: left)
    assert C._smt_timeout(ms) == expected


@pytest.fixture
def solver_log(monkeypatch):
    import z3
    real = z3.Solver
    log = []

    class Solver(real):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self.opts = {}
            log.append(self.opts)

        def set(self, *a, **k):
            if len(a) == 2:
                self.opts[a[0]] = a[1]
            return super().set(*a, **k)

    monkeypatch.setattr(z3, "Solver", Solver)
    monkeypatch.setattr(C.budget, "remaining", lambda: None)
    return log


def test_every_solver_call_has_a_timeout(solver_log):
    C._smt(mk('symbols = { x = "real", y = "real" }\nhypotheses = ["y > 0"]\nclaim = "x**2/y >= 0"'),
           spec("smt", timeout_ms=4000), premises=())
    assert solver_log[0] == {"timeout": 2000}                          # vacuity
    assert solver_log[1] == {"timeout": 4000, "unsat_core": True}     # the claim, with a core
    assert solver_log[2:] and all(o == {"timeout": 4000} for o in solver_log[2:])   # side conditions
    solver_log.clear()
    import sympy as sp_
    p = sp_.Symbol("p", real=True)
    C._smt(mk('symbols = { p = "real" }\nclaim = "p >= 1"'), spec("derive", timeout_ms=4000),
           premises=[("uses a: p >= 0", p >= 0), ("uses b: p >= 2", p >= 2)])
    assert {"timeout": 1000} in solver_log                            # core minimisation: a quarter each


def test_vacuity_uses_domains_and_abstraction_facts():
    # x positive with x < 0: unsat only with the domain fact
    v = C._nonvacuity(mk('symbols = { x = "positive" }\nhypotheses = ["x < 0"]\nclaim = "x > -1"'))
    assert v["state"] == "vacuous"
    # exp(x) < 0 is unsat only with the defining fact exp(t) > 0 of the abstraction
    v = C._nonvacuity(mk('symbols = { x = "real" }\nhypotheses = ["exp(x) < 0"]\nclaim = "x > -1"'))
    assert v["state"] == "vacuous"
    # extra premises take part
    import z3
    n = mk('symbols = { x = "real" }\nhypotheses = ["x > 0"]\nclaim = "x > -1"')
    assert C._nonvacuity(n, extra=[z3.Real("x") < 0])["state"] == "vacuous"
    assert C._nonvacuity(n, extra=[z3.Real("x") < 5])["state"] == "ok"
    # no hypotheses but extra premises: still asked
    m = mk('symbols = { x = "real" }\nclaim = "x > -1"')
    assert C._nonvacuity(m, extra=[z3.Real("x") < 0, z3.Real("x") > 0])["state"] == "vacuous"


def test_vacuity_witness_from_the_z3_model():
    # no candidate of the search exceeds 10^6 (grid values up to 100, random points in [-50, 50]),
    # so a witness here comes from z3's model, replayed exactly
    n = mk('symbols = { x = "real" }\nhypotheses = ["x > 1000000"]\nclaim = "x > 0"')
    assert C._find_witness(n) is None
    v = C._nonvacuity(n)
    assert v["state"] == "ok" and Q(v["witness"]["x"]) > 10 ** 6
    # a model that does not replay (x^2 = 2 has no rational solution) and no search point: unknown
    m = mk('symbols = { x = "real" }\nhypotheses = ["x**2 == 2"]\nclaim = "x > 0"')
    assert C._nonvacuity(m) == {"state": "unknown"}


# ---------------------------------------------------------------------------------------------
# the seeded random part of the search (deterministic: SEARCH_SEED fixes every draw, so these
# statements about 750 draws are checked on one fixed sequence; none can fail at random)


def _random_part(statement, box=None, limit=1500):
    n = mk(statement)
    return list(C._candidates(n, box=box, limit=limit))[limit // 2:]


def test_grid_is_exactly_half_the_limit():
    n = mk('symbols = { x = "real" }\nclaim = "x**2 >= 0"')
    pts = list(C._candidates(n, limit=10))
    grid = C._values_for("real", [])[:6]
    assert [p["x"] for p in pts[:5]] == grid[:5]
    assert pts[5]["x"] != grid[5]      # the 6th point is already a seeded random one
    assert len(pts) == 10


def test_random_points_real_domain_spread_over_the_default_range():
    pts = [p["x"] for p in _random_part('symbols = { x = "real" }\nclaim = "x**2 >= 0"')]
    grid = set(C._values_for("real", [])[:12])
    uniform = [v for v in pts if v not in grid]
    # half the draws reuse the first 12 candidate values, half are uniform on [-50, 50] with
    # denominator 10^6 / 100 (hand: a + (b - a) k / 10^6)
    assert 0.4 < (len(pts) - len(uniform)) / len(pts) < 0.6
    assert all(-50 <= v <= 50 and (v * 10 ** 4).denominator == 1 for v in uniform)
    assert min(uniform) < -45 and max(uniform) > 45
    assert F(5) not in pts              # the 13th candidate value is never drawn from the list


def test_random_points_inside_a_box():
    pts = [p["x"] for p in _random_part('symbols = { x = "real" }\nclaim = "x**2 >= 0"', box={"x": (F(1), F(2))})]
    assert all(F(1) <= v <= F(2) for v in pts)
    uniform = [v for v in pts if v not in (F(1), F(2), F(3, 2))]
    assert all((v * 10 ** 6).denominator == 1 for v in uniform)
    assert min(uniform) < F(11, 10) and max(uniform) > F(19, 10)


def test_random_points_integer_domains():
    pts = [p["k"] for p in _random_part('symbols = { k = "integer" }\nclaim = "k**2 >= 0"',
                                        box={"k": (F(1, 2), F(9, 2))})]
    # uniform integers ceil(1/2) .. floor(9/2); the box endpoints are candidate values too (the
    # exact replay rejects them as outside the domain)
    assert set(pts) == {F(1), F(2), F(3), F(4), F(1, 2), F(9, 2)}
    pts = [p["k"] for p in _random_part('symbols = { k = "integer" }\nclaim = "k**2 >= 0"',
                                        box={"k": (F(3, 2), F(5, 2))})]
    assert set(pts) == {F(2), F(3, 2), F(5, 2)}      # a single integer in the box
    pts = [p["k"] for p in _random_part('symbols = { k = "integer" }\nclaim = "k**2 >= 0"')]
    grid = set(C._values_for("integer", [])[:12])
    uniform = [v for v in pts if v not in grid]
    assert all(v.denominator == 1 for v in pts)
    assert all(-50 <= v <= 50 for v in uniform) and min(uniform) < -40 and max(uniform) > 40


def test_random_points_sign_domains():
    pos = [p["x"] for p in _random_part('symbols = { x = "positive" }\nclaim = "x > 0"')]
    # a negative uniform draw is replaced by 1/7 (about a quarter of the draws)
    assert all(v > 0 for v in pos) and 0.15 < pos.count(F(1, 7)) / len(pos) < 0.35
    posi = [p["m"] for p in _random_part('symbols = { m = "positive_integer" }\nclaim = "m > 0"')]
    assert all(v >= 1 and v.denominator == 1 for v in posi) and F(1, 7) not in posi
    assert posi.count(F(1)) / len(posi) > 0.2
    nonneg = [p["x"] for p in _random_part('symbols = { x = "nonnegative" }\nclaim = "x >= 0"')]
    assert all(v >= 0 for v in nonneg) and max(nonneg) > 45       # -v of a negative draw
    neg = [p["x"] for p in _random_part('symbols = { x = "negative" }\nclaim = "x < 0"')]
    # a nonnegative draw v becomes -v - 1: values in (-2, -1) come only from 0 < v < 1
    assert all(v < 0 for v in neg) and any(F(-2) < v < F(-1) for v in neg) and min(neg) < -45


def test_minimise_core_needs_each_kept_premise():
    import sympy as sp_
    p = sp_.Symbol("p", real=True)
    n = mk('symbols = { p = "real" }\nhypotheses = ["p >= 1", "p <= 5"]\nclaim = "p >= 0"')
    r = C._smt(n, spec("smt"))
    assert r.verdict == "proved" and "hypothesis 0: p >= 1" in r.detail["used"]
    assert set(r.detail["used"]) <= {"hypothesis 0: p >= 1", "hypothesis 1: p <= 5"}
    # premises that are all needed are all kept, in their listed order
    q = sp_.Symbol("q", real=True)
    m = mk('symbols = { p = "real", q = "real" }\nclaim = "p + q >= 3"')
    prem = [("uses a: p >= 1", p >= 1), ("uses c: p >= 0", p >= 0), ("uses b: q >= 2", q >= 2)]
    r = C._smt(m, spec("derive"), premises=prem)
    assert r.verdict == "proved" and r.detail["used"] == ["uses a: p >= 1", "uses b: q >= 2"]


def test_minimise_core_assumes_the_claims_side_conditions():
    # z3's core for q/p**2 >= 0 holds both premises, but where the claim is defined (p != 0,
    # its side condition, proved or not separately) q >= 2 alone implies it: the minimal set is
    # that one premise. Without the side condition in the trial solves, p = 0 would make
    # q/0 free and "uses a" would look needed. (The side condition itself does not follow from
    # the empty hypotheses, so the node is not proved; the used set is still reported.)
    import sympy as sp_
    p, q = sp_.symbols("p q", real=True)
    m = mk('symbols = { p = "real", q = "real" }\nclaim = "q/p**2 >= 0"')
    prem = [("uses a: p >= 1", p >= 1), ("uses b: q >= 2", q >= 2)]
    r = C._smt(m, spec("derive"), premises=prem)
    assert r.detail["used"] == ["uses b: q >= 2"]
    assert r.detail["side_conditions"]["unproved"] == ["p**2 != 0"]


# ---------------------------------------------------------------------------------------------
# symbolic: when the wrong sign is a refutation, and vacuity


def test_symbolic_wrong_sign_under_hypotheses_is_not_a_symbolic_refutation():
    # -x < 0 on x > 0, but the hypothesis x < 0 cannot hold there: nothing is refuted (and no
    # point satisfies the hypotheses, so the search finds no counterexample either)
    n = mk('symbols = { x = "positive" }\nhypotheses = ["x < 0"]\nclaim = "-x > 0"')
    r = C._symbolic(n, spec("symbolic"))
    assert r.verdict == "undecided" and r.summary.startswith("sympy could not decide the sign")
    # a satisfiable hypothesis: refuted, but by the exactly replayed search point, not by sympy
    n = mk('symbols = { x = "positive" }\nhypotheses = ["x >= 2"]\nclaim = "-x > 0"')
    r = C._symbolic(n, spec("symbolic"))
    assert r.verdict == "refuted" and r.summary.startswith("sympy could not decide the sign")
    assert r.detail["point"] == {"x": "2"}
    # no hypothesis: sympy's proof of the negation, confirmed by a replayed point
    n = mk('symbols = { x = "positive" }\nclaim = "-x > 0"')
    r = C._symbolic(n, spec("symbolic"))
    assert r.verdict == "refuted" and r.summary.startswith("sympy proves the negation: g - f = -x is of the wrong sign")
    assert r.detail["method"] == "as stated" and r.detail["normal_form"] == "-x"


def test_symbolic_conjunctions():
    # both conjuncts proved: one normal form each
    n = mk('symbols = { x = "positive" }\nclaim = "x + 2 > x and x**2 + 1 > 0"')
    r = C._symbolic(n, spec("symbolic"))
    assert r.verdict == "proved" and r.detail["normal_form"].count(";") == 1
    # one conjunct false everywhere: the conjunction is refuted, with one margin per conjunct
    n = mk('symbols = { x = "real" }\nclaim = "x**3 - x >= -1 and x + 1 < x"')
    r = C._symbolic(n, spec("symbolic"))
    assert r.verdict == "refuted" and r.detail["point"] == {"x": "0"}
    assert sorted(r.detail["claim_value"][len("g - f = "):].split("; ")) == ["-1", "1"]


def test_symbolic_vacuity_states(monkeypatch):
    n = mk('symbols = { x = "real", y = "real" }\nhypotheses = ["x >= y"]\nclaim = "x - y >= 0"')
    monkeypatch.setattr(C, "_nonvacuity", lambda node, extra=(): {"state": "unknown"})
    r = C._symbolic(n, spec("symbolic", slack=["x >= y"]))
    assert r.verdict == "undecided" and "could be vacuous" in r.summary and r.detail["premises_satisfiable"] == "unknown"
    # without slack the proof does not use the hypotheses: proved whatever their state
    m = mk('symbols = { x = "real", y = "real" }\nhypotheses = ["x >= y"]\nclaim = "(x - y)**2 >= 0"')
    r = C._symbolic(m, spec("symbolic"))
    assert r.verdict == "proved" and r.detail["premises_satisfiable"] == "unknown"
    monkeypatch.setattr(C, "_nonvacuity", lambda node, extra=(): {"state": "vacuous", "why": "w"})
    r = C._symbolic(m, spec("symbolic"))
    assert r.verdict == "vacuous" and r.detail["vacuity"] == "w"


def test_iv_sums_with_ranging_limits():
    k, n = sp.Symbol("k", integer=True), sp.Symbol("n", integer=True)
    # n ranges over [1, 4]: the closed form n(n + 1)/2 is enclosed by interval arithmetic
    # (n^2/2 + n/2 over [1, 4] gives [1, 10]: hand)
    lo, hi = bounds(sp.Sum(k, (k, 1, n)), {"n": (1, 4)})
    assert lo <= 1 and hi >= 10 and hi - lo <= 9 + F(1, 10**9)
    # a sum sympy cannot close stays undecided
    assert bounds(sp.Sum(k ** k, (k, 1, n)), {"n": (1, 4)}) == (None, None)


def test_interval_branch_and_bound_order_and_counts():
    # x >= 1 on [0, 4] (hand): [0, 4] undecided, midpoint 2 holds -> [0, 2] first (left), its
    # midpoint 1 holds -> [0, 1], whose midpoint 1/2 violates the claim: refuted at the 3rd box
    r = iv('symbols = { x = "real" }\nclaim = "x >= 1"', box={"x": ["0", "4"]})
    assert r.verdict == "refuted" and r.detail["point"] == {"x": "1/2"} and r.detail["boxes_evaluated"] == 3
    # (k - 1)(k - 2) >= 0 on the integers of [0, 3]: [0, 3] encloses to [-4, 2]; midpoint 3/2 floors
    # to 1 (holds); split at floor(3/2) = 1 into [0, 1] and [2, 3], both enclosed to [0, 2]: proved
    r = iv('symbols = { k = "integer" }\nclaim = "(k - 1)*(k - 2) >= 0"', box={"k": ["0", "3"]})
    assert r.verdict == "proved" and r.detail["boxes_evaluated"] == 3 and r.detail["boxes_proved"] == 2
    assert r.detail["worst_lower_bound_of_margin"] == "0.0"


def test_interval_budget_leaves_boxes_undecided():
    # x > 0 on [0, 1] for x positive (hand): every left box keeps lower bound 0, every midpoint
    # holds; with 5 boxes: [0,1], [0,1/2], [0,1/4] (budget reached: undecided), [1/4,1/2] and
    # [1/2,1] proved; the search finds no counterexample (x = 0 is outside the domain)
    r = iv('symbols = { x = "positive" }\nclaim = "x > 0"', box={"x": ["0", "1"]}, max_boxes=5)
    assert r.verdict == "undecided" and r.detail["boxes_evaluated"] == 5 and r.detail["boxes_proved"] == 2
    assert r.detail["undecided_boxes"] == [{"x": ["0", "1/4"]}] and r.detail["n_undecided"] == 1
    assert r.summary.startswith("1 boxes undecided after 5 evaluations (never counted as proved)")
    assert r.detail["worst_lower_bound_of_margin"] == "0.25"


def test_symbolic_detail_names_the_method():
    r = C._symbolic(mk('symbols = { x = "real" }\nclaim = "x**2 + 1 > 0"'), spec("symbolic"))
    assert r.verdict == "proved" and r.detail["method"] == "as stated"
    assert r.detail["normal_form"] == "x**2 + 1 > 0" and r.detail["tried"] == ["as stated: x**2 + 1"]
    assert r.summary == "sympy: g - f normalises (as stated: x**2 + 1 > 0) under the declared domains"
    # (x - 1)^2 >= 0 as x^2 + 1 >= 2x: "as stated" cannot tell the sign of x^2 - 2x + 1, factor can
    r = C._symbolic(mk('symbols = { x = "real" }\nclaim = "x**2 + 1 >= 2*x"'), spec("symbolic"))
    assert r.verdict == "proved" and r.detail["method"] == "factor" and r.detail["normal_form"] == "(x - 1)**2 >= 0"
    assert [t.split(":")[0] for t in r.detail["tried"]] == ["as stated", "expand", "cancel", "together", "factor"]


def test_float_screen_margin_is_relative():
    n = mk('symbols = { x = "real" }\nhypotheses = ["x >= 1"]\nclaim = "x**2 >= x"')
    s = C._float_screen(n)
    # g - f = x^2 - x with magnitude x^2 + x ~ 2: accepted only when the margin exceeds 2e-9
    assert s({"x": Q(1) + Q(1, 10**8)}) is True          # margin 1e-8
    assert s({"x": Q(1) + Q(1, 10**10)}) is None         # margin 1e-10: replay exactly
    # hypothesis x - 1 >= 0 with magnitude ~ 2: clearly outside only below -2e-9
    assert s({"x": Q(1) - Q(1, 10**8)}) is False
    assert s({"x": Q(1) - Q(1, 10**10)}) is None
    assert s({"x": Q(1) + Q(1, 10**9)}) is None          # margin 1e-9 < 2e-9
    big = C._float_screen(mk('symbols = { x = "real" }\nclaim = "x >= 1000"'))
    # magnitude |x| + 1000 ~ 2000: the threshold is 2e-6, relative, not 1e-9 absolute
    assert big({"x": Q(1000) + Q(1, 10**6)}) is None
    assert big({"x": Q(1000) + Q(1, 10**5)}) is True
    z = C._float_screen(mk('symbols = { x = "real" }\nclaim = "x**2 >= 0"'))
    assert z({"x": Q(0)}) is None                        # margin exactly 0: never accepted by floats


def test_property_screen_and_fast_paths_are_counted():
    r = prop('symbols = { k = "integer" }\nclaim = "k >= 1"', box={"k": ["1", "10"]})
    # k = 2..10 have margin >= 1: accepted by the float screen; k = 1 (margin 0) is decided by
    # the rigorous point evaluation; nothing is undecided
    assert r.detail["screened"] == 9 and r.detail["evaluated"] == 10 and r.detail["undecided"] == 0
    # a hypothesis the float screen cannot compile (Max): the rigorous point evaluation rejects
    # the points outside it (k = 4..9), and they count as outside
    r = prop('symbols = { k = "integer" }\nhypotheses = ["Max(k, 3) <= 3"]\nclaim = "k <= 3"', box={"k": ["0", "9"]})
    assert r.verdict == "tested" and r.detail["rejected_by_hypotheses"] == 6 and r.detail["evaluated"] == 10
    assert r.detail["screened"] == 3      # k = 0, 1, 2: the claim's margin 3 - k >= 1 (sound either way)


@pytest.mark.parametrize("box", [{"k": ["0", "9"]}, {"k": ["0", "100001"]}])
def test_property_vacuous_when_only_the_point_evaluation_sees_the_hypotheses(box):
    # regression (issue 17): Max(k, 3) <= 2 never holds; the float screen cannot compile Max, so
    # every point was decided by the point evaluation, which did not count it as outside the
    # hypotheses: the check said "tested" (a pass) instead of "vacuous"
    r = prop('symbols = { k = "integer" }\nhypotheses = ["Max(k, 3) <= 2"]\nclaim = "k <= -5"', box=box)
    assert r.verdict == "vacuous" and r.detail["rejected_by_hypotheses"] == r.detail["evaluated"] > 0
    r = prop('symbols = { x = "real" }\nhypotheses = ["Max(x, 3) <= 2"]\nclaim = "x <= -5"', box={"x": ["0", "9"]},
             max_examples=10)
    assert r.verdict == "vacuous"


def test_experiment_interrupt_propagates(fake_experiments, monkeypatch):
    from checker import experiments
    from checker.experiments import Experiment

    def stop(*, seed, quick):
        raise KeyboardInterrupt

    reg = dict(experiments._REGISTRY)
    reg["fake.ok"] = Experiment(name="fake.ok", description="d", module="m", func=stop)
    monkeypatch.setattr(experiments, "_REGISTRY", reg)
    with pytest.raises(KeyboardInterrupt):
        C._experiment(mk('symbols = { x = "real" }\nclaim = "x >= x"'), spec("experiment", name="fake.ok"), quick=True)

    def slow(*, seed, quick):
        raise C.CheckTimeout()
    reg["fake.ok"] = Experiment(name="fake.ok", description="d", module="m", func=slow)
    r = run_check(mk('symbols = { x = "real" }\nclaim = "x >= x"'), spec("experiment", name="fake.ok"), seconds=3)
    assert r.verdict == "timeout"


def test_property_exact_replay_rejects_what_intervals_cannot_see():
    # binomial has no interval rule and no float form: only the exact replay decides the
    # hypothesis binomial(k, 2) >= 3, false for k = 0, 1, 2 (0, 0, 1) and true from k = 3 (3)
    r = prop('symbols = { k = "nonnegative_integer" }\nhypotheses = ["binomial(k, 2) >= 3"]\nclaim = "k >= 3"',
             box={"k": ["0", "9"]})
    assert r.verdict == "tested" and r.detail["rejected_by_hypotheses"] == 3 and r.detail["evaluated"] == 10
    r = prop('symbols = { k = "nonnegative_integer" }\nhypotheses = ["binomial(k, 2) >= 3"]\nclaim = "k >= 4"',
             box={"k": ["0", "9"]})
    assert r.verdict == "refuted" and r.detail["point"] == {"k": "3"}


@pytest.mark.parametrize("expr,box,lo_,hi_", [
    # hand enclosures at the thresholds of each rule
    (1 / x_, {"x": (F(1, 2), F(2))}, F(1, 2), F(2)),          # a denominator containing 1, not 0
    (sp.sqrt(x_), {"x": (F(0), F(4))}, F(0), F(2)),           # sqrt of an interval touching 0
    (sp.sqrt(x_), {"x": (F(1, 4), F(4))}, F(1, 2), F(2)),
    (sp.Abs(x_), {"x": (F(1, 2), F(2))}, F(1, 2), F(2)),
    (sp.Abs(x_), {"x": (F(-2), F(1, 2))}, F(0), F(2)),
    (sp.Abs(x_), {"x": (F(-2), F(-1, 2))}, F(1, 2), F(2)),
])
def test_iv_rule_thresholds(expr, box, lo_, hi_):
    lo, hi = C._iv_bounds(expr, box, 80)
    assert lo <= lo_ and hi >= hi_ and (lo_ - lo) + (hi - hi_) < F(1, 10**20)


def test_iv_log_and_power_of_intervals_below_one():
    lo, hi = bounds(sp.log(x_), {"x": (F(1, 2), F(2))})
    ln2 = F(str(sp.N(sp.log(2), 40)))
    assert lo <= -ln2 + F(1, 10**30) and hi >= ln2 - F(1, 10**30) and hi - lo < 2 * ln2 + F(1, 10**20)
    lo, hi = bounds(x_ ** sp.pi, {"x": (F(1, 2), F(2))})
    assert lo <= F(str(sp.N(2 ** -sp.pi, 40))) + F(1, 10**30) and hi >= F(str(sp.N(2 ** sp.pi, 40))) - F(1, 10**30)
    assert hi < 9 and lo > F(1, 9)


def test_iv_sum_paths():
    k, n = sp.Symbol("k", integer=True), sp.Symbol("n", integer=True)
    # fixed integer limits are summed term by term: sum_{k=1}^{4} 1/k = 25/12 (hand), even where
    # the closed form (a harmonic number) has no interval rule
    _tight(sp.Sum(1 / k, (k, 1, n)), F(25, 12), {"n": (F(4), F(4))}, width=F(1, 10**18))
    assert bounds(sp.Sum(1 / k, (k, 1, n)), {"n": (1, 4)}) == (None, None)
    # two terms far from 0: sum_{k=60000}^{60001} 1 = 2
    _tight(sp.Sum(1 + 0 * k, (k, 60000, 60001)), F(2), width=F(0))
    _tight(sp.Sum(k, (k, 60000, 60001)), F(120001), width=F(0))


class _Clock:
    """A fake clock that advances ``step`` seconds per reading (the first reading is ``start``)."""

    def __init__(self, start=0.0, step=1.0):
        self.t, self.step = start - step, step

    def __call__(self):
        self.t += self.step
        return self.t


def _fake_time(**funcs):
    """A stand-in for the ``time`` module as seen by checker.audit.checks only."""
    import time as real
    from types import SimpleNamespace
    return SimpleNamespace(**{"monotonic": real.monotonic, "perf_counter": real.perf_counter, **funcs})


def test_search_and_witness_stop_at_their_time_budget(monkeypatch):
    assert C.SEARCH_SECONDS == 8.0
    n = mk('symbols = { x = "real" }\nhypotheses = ["x > 10**6"]\nclaim = "x > 0"')
    calls = []
    monkeypatch.setattr(C, "_replay", lambda node, pt: calls.append(pt) or {"replayed": False})
    monkeypatch.setattr(C, "time", _fake_time(monotonic=_Clock()))
    assert C._search_counterexample(n) is None
    # readings 1, 2, ... after the start at 0: the candidate read at 9 s > 8 s is not replayed
    assert len(calls) == 8
    seen = []
    monkeypatch.setattr(C, "_hyps_hold", lambda st, pt: seen.append(pt) and False)
    monkeypatch.setattr(C, "time", _fake_time(monotonic=_Clock()))
    assert C._find_witness(n) is None and len(seen) == 8


def test_run_check_reads_a_wrapped_timeout_and_reports_seconds(monkeypatch):
    n = mk('symbols = { x = "real" }\nclaim = "x**2 >= 0"')
    # a library that wraps the timeout signal in its own error: elapsed (5 s) >= limit (5 s)
    monkeypatch.setattr(C, "_symbolic", lambda node, s: (_ for _ in ()).throw(ValueError("wrapped")))
    monkeypatch.setattr(C, "time", _fake_time(perf_counter=_Clock(start=100.0, step=5.0)))
    r = run_check(n, spec("symbolic"), seconds=5)
    assert r.verdict == "timeout" and r.summary == "ran out of its wall-clock limit of 5 s (never a pass)"
    assert r.seconds == 10.0          # readings 100 (start), 105 (the check), 110 (the end)
    monkeypatch.setattr(C, "time", _fake_time(perf_counter=_Clock(start=100.0, step=4.0)))
    r = run_check(n, spec("symbolic"), seconds=5)
    assert r.verdict == "error" and r.summary == "check could not run: ValueError: wrapped"
    monkeypatch.setattr(C, "time", _fake_time(perf_counter=_Clock(step=0.1234567)))
    monkeypatch.setattr(C, "_symbolic", lambda node, s: Evidence(kind="symbolic", trust="symbolic", summary="ok"))
    assert run_check(n, spec("symbolic")).seconds == 0.1235       # rounded to 4 digits (0.1234567)


def test_library_lets_interrupts_through(fake_library, monkeypatch):
    from checker import bounds
    n = mk(LIB)
    sp_ = spec("library", statement="s1", expr="bound", equals="m**2/(2*n)")
    fake_library["raise"] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        C._library(n, sp_)
    fake_library["raise"] = C.CheckTimeout()
    assert run_check(n, sp_, seconds=3).verdict == "timeout"
    fake_library["raise"] = None
    monkeypatch.setattr(bounds, "get", lambda sid: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        C._library(n, sp_)


def test_boundary_points_are_capped():
    # 6 real symbols: 5^6 = 15625 boundary combinations, of which the first 4096 are tried
    r = prop('symbols = { a = "real", b = "real", c = "real", d = "real", e = "real", f = "real" }\n'
             'claim = "a**2 + b**2 + c**2 + d**2 + e**2 + f**2 >= 0"', max_examples=1)
    assert r.detail["boundary_points"] == 4096


@pytest.mark.parametrize("engine,statement,opts", [
    ("interval", 'symbols = { x = "real" }\nclaim = "x**2 >= 0"', {"box": {"x": ["0", "1"]}}),
    ("property", 'symbols = { x = "real" }\nclaim = "x**2 >= 0"', {}),
    ("property", 'symbols = { k = "integer" }\nclaim = "k**2 >= 0"', {"box": {"k": ["0", "3"]}}),
])
def test_engines_poll_their_budget(monkeypatch, engine, statement, opts):
    def expired():
        raise C.CheckTimeout()
    monkeypatch.setattr(C.budget, "poll", expired)
    r = run_check(mk(statement), spec(engine, **opts), seconds=30)
    assert r.verdict == "timeout"


def test_search_and_witness_poll_their_budget(monkeypatch):
    def expired():
        raise C.CheckTimeout()
    monkeypatch.setattr(C.budget, "poll", expired)
    n = mk('symbols = { x = "real" }\nhypotheses = ["x > 1"]\nclaim = "x > 0"')
    with pytest.raises(C.CheckTimeout):
        C._search_counterexample(n)
    with pytest.raises(C.CheckTimeout):
        C._find_witness(n)


def test_smt_uses_domains_and_abstraction_facts():
    # only the domain x > 0 proves x + 1 > 1; only the fact exp(t) >= 1 + t proves exp(x) >= 1 + x
    assert C._smt(mk('symbols = { x = "positive" }\nclaim = "x + 1 > 1"'), spec("smt")).verdict == "proved"
    assert C._smt(mk('symbols = { x = "real" }\nclaim = "x + 1 > 1"'), spec("smt")).verdict == "refuted"
    r = C._smt(mk('symbols = { x = "real" }\nclaim = "exp(x) >= 1 + x"'), spec("smt"))
    assert r.verdict == "proved" and r.detail["abstracted"] == ["exp(x)"] and "abstracted: exp(x)" in r.summary


# ---------------------------------------------------------------------------------------------
# the remaining defensive branches


def test_symbolic_forms_that_raise_are_skipped(monkeypatch):
    def boom(e):
        raise ValueError("sympy internal")
    monkeypatch.setattr(sp, "cancel", boom)
    r = C._symbolic(mk('symbols = { x = "real" }\nclaim = "x**2 + 1 >= 2*x"'), spec("symbolic"))
    assert r.verdict == "proved" and "cancel: ValueError" in r.detail["tried"]

    def stop(e):
        raise KeyboardInterrupt
    monkeypatch.setattr(sp, "cancel", stop)
    with pytest.raises(KeyboardInterrupt):
        C._symbolic(mk('symbols = { x = "real" }\nclaim = "x**2 + 1 >= 2*x"'), spec("symbolic"))


def test_search_without_a_claim_and_model_values():
    import z3
    assert C._search_counterexample(mk('text = "prose"', expressible="false")) is None

    class M:
        def __init__(self, v):
            self.v = v

        def eval(self, var, model_completion):
            return self.v
    st = mk('symbols = { k = "integer" }\nclaim = "k >= 0"').statement
    from checker.audit.smt import Translation
    t = Translation(domains=dict(st.domains))
    assert C._model_point(M(z3.IntVal(5)), t, st) == {"k": 5}
    assert C._model_point(M(z3.BoolVal(True)), t, st) is None


def test_vacuity_falls_back_to_the_search_when_z3_cannot_translate(monkeypatch):
    from checker.audit.smt import Translation

    class NoZ3(Translation):
        def expr(self, e):
            raise CheckError("cannot translate")
    monkeypatch.setattr(C, "Translation", NoZ3)
    v = C._nonvacuity(mk('symbols = { x = "real" }\nhypotheses = ["x > 2"]\nclaim = "x > 0"'))
    assert v["state"] == "ok" and Q(v["witness"]["x"]) > 2          # found by the search
    v = C._nonvacuity(mk('symbols = { x = "real" }\nhypotheses = ["x > 10**9"]\nclaim = "x > 0"'))
    assert v == {"state": "unknown"}


def test_stated_domain_ignores_disjunctions():
    n = mk('symbols = { x = "real" }\nhypotheses = ["x < 0 or x > 1", "x <= 5"]\nclaim = "x <= 5"')
    assert C._stated_domain(n)["x"] == (None, F(5))


def test_property_counts_undecided_points(monkeypatch):
    monkeypatch.setattr(C, "_float_screen", lambda node: None)
    monkeypatch.setattr(C, "_point_truth", lambda node, pt, stats=None: None)
    monkeypatch.setattr(C, "_replay", lambda node, pt: {"replayed": False, "claim_holds": None, "claim_value": "?",
                                                         "point": {}})
    r = prop('symbols = { k = "integer" }\nclaim = "k >= 0"', box={"k": ["0", "4"]})
    assert r.detail["undecided"] == 5 and r.detail["rejected_by_hypotheses"] == 0 and r.verdict == "tested"
    assert "0 outside the hypotheses, 5 undecided" in r.summary


def test_hyps_hold_checks_domains_separately():
    st = mk('symbols = { x = "positive", k = "integer" }\nhypotheses = ["x**2 >= 1"]\nclaim = "x > 0"').statement
    assert C._hyps_hold(st, {"x": Q(2)}) is True
    assert C._hyps_hold(st, {"x": Q(-2)}) is False                 # the hypothesis holds, the domain does not
    assert C._hyps_hold(st, {"x": Q(2), "k": Q(1, 2)}) is False     # k = 1/2 is no integer
    assert C._hyps_hold(st, {"x": Q(2), "other": Q(-1)}) is True    # a name without a domain is ignored


def test_check_result_defaults():
    r = CheckResult(kind="k", verdict="tested", trust="t", summary="s")
    assert (r.detail, r.seconds, r.cached) == ({}, 0.0, False)
    r = prove(Evidence(kind="k", trust="t", summary="s"))
    assert (r.verdict, r.detail, r.seconds, r.cached) == ("proved", {}, 0.0, False)
    # a fresh run is never marked as cached
    assert run_check(mk('symbols = { x = "real" }\nclaim = "x**2 >= 0"'), spec("symbolic")).cached is False


def test_interval_splits_the_widest_side_and_property_keeps_positive_boxes():
    # x in [0, 1] (width 1) and y in [10, 21/2] (width 1/2): x is split first (hand): [0, 1/2]
    # is evaluated next and its midpoint x = 1/4 violates x >= 1/2
    r = iv('symbols = { x = "real", y = "real" }\nclaim = "x + 0*y >= 1/2"'.replace(" + 0*y", " + y - y"),
           box={"x": ["0", "1"], "y": ["10", "21/2"]})
    assert r.verdict == "refuted" and r.detail["point"]["x"] == "1/4" and r.detail["boxes_evaluated"] == 2
    r = prop('symbols = { x = "positive" }\nclaim = "x > 0"', box={"x": ["1/2", "2"]}, max_examples=2)
    assert r.detail["box"] == {"x": ["1/2", "2"]}


def test_run_check_defaults_run_experiments_quickly(fake_experiments):
    r = run_check(mk('symbols = { x = "real" }\nclaim = "x >= x"'), spec("experiment", name="fake.ok", seed=5))
    assert r.verdict == "tested" and fake_experiments == [(5, True)]     # run, and in quick mode


def test_iv_every_rule_returns_an_interval_value():
    # _iv_bounds reads the endpoints of whatever _iv_enclose returns: every rule, constants included,
    # must give an mpmath iv value (an object with ``_mpi_``), never a plain number
    from mpmath import iv as iv_
    env = {"x": iv_.mpf([1, 2]), "y": iv_.mpf(3)}
    k = sp.Symbol("k", integer=True)
    for e in (x_, Q(3), Q(-2, 7), sp.pi, sp.E, x_ + y_, x_ * y_, x_ ** 2, 1 / x_, sp.sqrt(x_), x_ ** x_,
              sp.exp(x_), sp.log(x_), sp.Abs(x_ - 3), sp.Min(x_, 2), sp.floor(x_), sp.factorial(sp.Integer(4)),
              sp.Sum(k * x_, (k, 1, 3)), sp.Product(k, (k, 1, 3))):
        assert hasattr(C._iv_enclose(e, env, iv_), "_mpi_"), e
    # a constant claim side and an interval side, end to end: pi in [3.14159, 3.1416] (known digits)
    lo, hi = bounds(sp.pi)
    assert F(314159, 100000) < lo <= hi < F(31416, 10000)
    assert bounds(Q(3)) == (F(3), F(3)) and bounds(x_ + 1, {"x": (1, 2)}) == (F(2), F(3))


def test_nonvacuity_and_smt_use_the_definitional_facts_of_auxiliaries():
    # exp(x) >= 1 + x > x, floor(x) <= x and log(x) <= x - 1 < x for every admissible x (hand), so
    # these hypotheses are unsatisfiable; sympy leaves them as they are, and z3 sees the exp/floor/log
    # terms as fresh variables: unsat follows only from the facts the translation records for them
    for hyp, dom in (("exp(x) <= x", "real"), ("floor(x) > x", "real"), ("log(x) >= x", "positive")):
        v = C._nonvacuity(mk(f'symbols = {{ x = "{dom}" }}\nhypotheses = ["{hyp}"]\nclaim = "x >= x"'))
        assert v == {"state": "vacuous", "why": "z3: domains and hypotheses are unsat"}, hyp
    # the same facts prove the claims exp(x) > x and floor(x) <= x (their negations are unsat)
    for claim in ("exp(x) > x", "floor(x) <= x"):
        r = C._smt(mk(f'symbols = {{ x = "real" }}\nclaim = "{claim}"'), spec("smt"))
        assert r.verdict == "proved" and r.detail["result"] == "unsat", claim


def test_interval_splits_an_integer_side_of_width_exactly_one():
    # claim n + x >= 1/8, n integer, x real; every box midpoint below holds until x = 1/16 (hand).
    # An integer side of width 1 ([0, 1]: two integers) still counts as wide, and beats x's 1/2:
    # [0,1]x[0,1/2] -> split n at floor(1/2) = 0 -> {0}x[0,1/2] (n of width 0 is never split again)
    # -> {0}x[0,1/4] -> {0}x[0,1/8], whose midpoint x = 1/16 violates: 4 boxes, and 3 left on the
    # stack ({1}x[0,1/2], {0}x[1/4,1/2], {0}x[1/8,1/4]).
    s = 'symbols = { n = "integer", x = "real" }\nclaim = "n + x >= 1/8"'
    r = iv(s, box={"n": ["0", "1"], "x": ["0", "1/2"]})
    assert r.verdict == "refuted" and r.detail["point"] == {"n": "0", "x": "1/16"}
    assert (r.detail["boxes_evaluated"], r.detail["n_undecided"]) == (4, 3)
    # width 2 ([0, 2]): split at 1 into [0,1] and {2}; [0,1] is split at 0 as above: 5 boxes, 4 left
    r = iv(s, box={"n": ["0", "2"], "x": ["0", "1/2"]})
    assert r.verdict == "refuted" and r.detail["point"] == {"n": "0", "x": "1/16"}
    assert (r.detail["boxes_evaluated"], r.detail["n_undecided"]) == (5, 4)
    # the same shifted down by one (n in [-1, 0], claim n + x >= -7/8): the midpoint n is
    # floor(-1/2) = -1, the split is {-1} | {0}, then the same 4 boxes with n = -1
    r = iv(s.replace("1/8", "-7/8"), box={"n": ["-1", "0"], "x": ["0", "1/2"]})
    assert r.verdict == "refuted" and r.detail["point"] == {"n": "-1", "x": "1/16"}
    assert (r.detail["boxes_evaluated"], r.detail["n_undecided"]) == (4, 3)


def test_interval_splits_the_widest_side_even_when_it_is_not_the_first():
    # x in [10, 21/2] (width 1/2), y in [0, 1] (width 1), claim y >= 1/2 (hand): y is split, the
    # left half [0, 1/2] comes next and its midpoint y = 1/4 violates: 2 boxes, 1 left
    r = iv('symbols = { x = "real", y = "real" }\nclaim = "y + x - x >= 1/2"',
           box={"x": ["10", "21/2"], "y": ["0", "1"]})
    assert r.verdict == "refuted" and r.detail["point"] == {"x": "41/4", "y": "1/4"}
    assert (r.detail["boxes_evaluated"], r.detail["n_undecided"]) == (2, 1)


def test_symbolic_texts_are_cut_at_200_and_120_characters():
    # g - f of 16 long squared names (hand): "-a00**2 - ... - a15**2 - 1" (refuted: negative
    # everywhere) and "a00**2 + ... + a15**2 + 1" (proved); both texts are longer than 200
    # characters. The normal form keeps the first 200, each `tried` entry the first 120.
    names = [f"alpha_{i:02d}" for i in range(16)]
    syms = ", ".join(f'{n} = "real"' for n in names)
    neg = "-" + " - ".join(f"{n}**2" for n in names) + " - 1"
    pos = " + ".join(f"{n}**2" for n in names) + " + 1"
    assert len(neg) > 200 and len(pos) > 200
    r = C._symbolic(mk(f'symbols = {{ {syms} }}\nclaim = "0 > 1 + {pos[:-4]}"'), spec("symbolic"))
    assert r.verdict == "refuted" and r.detail["normal_form"] == neg[:200]
    assert r.detail["tried"] == ["as stated: " + neg[:120]]
    r = C._symbolic(mk(f'symbols = {{ {syms} }}\nclaim = "{pos} > 0"'), spec("symbolic"))
    assert r.verdict == "proved" and r.detail["normal_form"] == pos[:200] + " > 0"
    assert r.detail["tried"] == ["as stated: " + pos[:120]]


def test_iv_factorial_only_of_an_integer():
    # factorial(4) = 24 (hand), kept unevaluated so that the interval rule itself is used; a
    # factorial of a symbol has no interval rule: no enclosure, never an exception
    k = sp.Symbol("k", integer=True)
    assert bounds(sp.factorial(sp.Integer(4), evaluate=False)) == (F(24), F(24))
    assert bounds(sp.factorial(k), {"k": (1, 3)}) == (None, None)
    # sin(2) also has an Integer argument, but no interval rule either: no enclosure
    assert bounds(sp.sin(sp.Integer(2))) == (None, None)
