"""Pins of the inversions :func:`checker.bounds.solve_for` (issue 17, bounds mutants): every
argument check raises the named error, safe rounding lands on exactly the float / integer derived
here by hand (``fractions.Fraction`` arithmetic on the docs' formulas), and the integer searches
return the smallest / largest integer found by brute force.
"""

from __future__ import annotations

import math
from fractions import Fraction as Fr

import numpy as np
import pytest
import sympy as sp

from checker.bounds import solve_for
from checker.bounds.invert import Inversion, Root, _domain_interval, _grid
from checker.bounds.statement import get
from checker.errors import InvalidArgument
from tests.bounds.helpers import raises



def smallest_float_at_least(q: Fr) -> float:
    """The smallest float64 y with y >= q (exact comparison through Fraction)."""
    y = float(q)
    if Fr(y) < q:
        y = math.nextafter(y, math.inf)
    assert Fr(y) >= q and Fr(math.nextafter(y, -math.inf)) < q
    return y


def largest_float_at_most(q: Fr) -> float:
    y = float(q)
    if Fr(y) > q:
        y = math.nextafter(y, -math.inf)
    assert Fr(y) <= q and Fr(math.nextafter(y, math.inf)) > q
    return y


# -- argument checks -----------------------------------------------------------------------------

LIP = dict(L_zth="1", L_zz="0")   # sinha-transport-lipschitz: lipschitz = L_zth/(gamma - L_zz)


def test_solve_for_argument_errors():
    s = "sinha-transport-lipschitz"
    raises("solve_for", "must be a parameter name", solve_for, s, 3, target=1, values=LIP)
    raises("solve_for", "per-layer sequences", solve_for, "sinha-nn-smoothness", "n_layers",
           target=1)
    raises("parameter", "is not a parameter", solve_for, s, "gama", target=1, values=LIP)
    raises("target", "finite real number", solve_for, s, "gamma", target=sp.I, values=LIP)
    raises("target", "finite real number", solve_for, s, "gamma", target=sp.oo, values=LIP)
    raises("target", "float64 range", solve_for, s, "gamma", target=sp.Integer(10) ** 400,
           values=LIP)
    raises("target", "finite", solve_for, s, "gamma", target=math.nan, values=LIP)
    raises("bracket", "two numbers", solve_for, s, "gamma", target=1, values=LIP,
           bracket=("a", 2))
    raises("bracket", "lo < hi", solve_for, s, "gamma", target=1, values=LIP, bracket=(2, 2))
    raises("bracket", "lo < hi", solve_for, s, "gamma", target=1, values=LIP, bracket=(3, 2))
    raises("bracket", "lo < hi", solve_for, s, "gamma", target=1, values=LIP, bracket=(1, 2, 3))
    raises("bracket", "lo < hi", solve_for, s, "gamma", target=1, values=LIP,
           bracket=(1, math.inf))
    for bad in (True, "1", -0.5, 3600.5):
        raises("time_limit", "[0, 3600]", solve_for, s, "gamma", target=1, values=LIP,
               time_limit=bad)
    raises("name", "is not an expression", solve_for, s, "gamma", target=1, values=LIP,
           name="nope")
    raises("solve_for", "does not appear", solve_for, "sinha-concavity", "gamma", target=1,
           name="threshold_squared", values={"L_zz": 1})
    raises("gamma", "is the unknown", solve_for, s, "gamma", target=1,
           values={**LIP, "gamma": 2})
    raises("L_zz", "is required to solve", solve_for, s, "gamma", target=1, values={"L_zth": 1})
    raises("L_zz", "must be a scalar", solve_for, s, "gamma", target=1,
           values={"L_zth": 1, "L_zz": [0.0, 1.0]})
    raises("L_zz", "must be >= 0", solve_for, s, "gamma", target=1,
           values={"L_zth": 1, "L_zz": -1})
    raises("target", "is not attained", solve_for, s, "gamma", target=-1, values=LIP)


def test_time_limit_boundaries_are_accepted():
    # 0 and 3600 are inside [0, 3600]; 0 s stops at the first check with the one-line error
    r = solve_for("sinha-transport-lipschitz", "gamma", target=4, values=LIP, time_limit=3600)
    assert r.value == 0.25
    raises("solve_for", "did not finish within 0 s", solve_for, "birthday-exp-bound", "N",
           target=0.5, values={"M": 10}, time_limit=0)


def test_none_values_take_the_default_and_ceiling_is_relaxed():
    # m_star has a ceiling: the continuous relaxation 8 (p ln 17 + ln 2) + 1 (Delta = L = L_phi
    # = eps = R = fail_prob = 1) is inverted; = 50 at p = (49/8 - ln 2)/ln 17 = 1.917..., and the
    # largest integer p with the relaxation <= 50 ("le") is 1. R=None takes the default R = 1.
    r = solve_for("arora-mstar", "p", target=50, values=dict(Delta=1, L=1, L_phi=1, eps=1,
                                                             R=None))
    assert r.expression == "m_star_continuous"
    assert r.notes[0].startswith("inverted the continuous relaxation m_star_continuous")
    root = (49 / 8 - math.log(2)) / math.log(17)
    assert r.solutions[0] == pytest.approx(root, rel=1e-13)
    assert r.value == math.floor(root) == 1
    raises("name", "no continuous relaxation", solve_for, "arora-thm1", "p", target=5,
           name="m_star", values=dict(Delta=1, L=1, L_phi=1, eps=1))


# -- closed forms, exact verification and safe float rounding ----------------------------------

def test_closed_form_root_is_verified_exactly_and_rounded_to_the_safe_side():
    # lipschitz = 1/gamma <= target ("le") at target 3: gamma >= 1/3; the smallest such float
    r = solve_for("sinha-transport-lipschitz", "gamma", target=3, values=LIP)
    assert r.value == smallest_float_at_least(Fr(1, 3))
    assert r.method == "symbolic" and r.unknown == "gamma" and r.expression == "lipschitz"
    assert r.target == 3.0 and r.id == "sinha-transport-lipschitz"
    assert len(r.roots) == 1 and r.roots[0].verified == "exact"
    assert r.roots[0].branch == "decreasing branch of lipschitz in gamma"
    assert r.roots[0].in_domain and r.roots[0].flags == ()
    assert any(n.startswith("closed form: gamma = ") for n in r.notes)
    assert any(n.startswith("rounded gamma by ") for n in r.notes)
    # 1/gamma <= 1/4 at target 4: gamma = 4 is exact, no rounding note
    r = solve_for("sinha-transport-lipschitz", "gamma", target=sp.Rational(1, 4), values=LIP)
    assert r.value == 4.0 and not any(n.startswith("rounded") for n in r.notes)


def test_ge_sense_rounds_up_and_increasing_branch():
    # modulus_squared = 2 gamma - L_zz >= target ("ge"); L_zz = 1/3, target 1: gamma >= 2/3
    r = solve_for("sinha-concavity", "gamma", target=1, name="modulus_squared",
                  values={"L_zz": "1/3"})
    assert r.value == smallest_float_at_least(Fr(2, 3))
    assert r.roots[0].branch == "increasing branch of modulus_squared in gamma"
    # L_phi = L_thth + L_thz L_zth/(gamma - L_zz) <= target ("le"), decreasing in gamma:
    # 0 + 1/(gamma - 0) <= 7 -> gamma >= 1/7
    r = solve_for("sinha-lphi", "gamma", target=7, values=dict(L_thth=0, L_thz=1, L_zth=1,
                                                               L_zz=0))
    assert r.value == smallest_float_at_least(Fr(1, 7))


def test_le_sense_on_an_increasing_expression_rounds_down():
    # gap = g^2/(2 mu) <= target ("le"), increasing in g: g^2 <= 2 * 1 * 1/10 -> g <= sqrt(1/5)
    r = solve_for("sinha-inner-correction", "grad_norm", target="1/10" and sp.Rational(1, 10),
                  name="gap", values={"mu": 1})
    y = r.value
    assert Fr(y) ** 2 <= Fr(1, 5) < Fr(math.nextafter(y, math.inf)) ** 2


def test_no_sense_means_no_rounding_and_brentq_method():
    # birthday-inversion: N = M(M-1)/(2 ln(1/(1-rate))) has no sense; solve rate for N = 45 at
    # M = 10: ln(1/(1-rate)) = 1 -> rate = 1 - 1/e
    r = solve_for("birthday-inversion", "rate", target=45, values={"M": 10})
    assert r.method == "brentq"
    assert r.value == pytest.approx(1 - math.exp(-1), rel=1e-14)
    assert r.roots[0].verified == "mpmath"
    assert r.roots[0].branch == "decreasing branch of N in rate"


def test_bracket_gives_the_same_root_linear_and_geometric_grid():
    r = solve_for("sinha-transport-lipschitz", "gamma", target=3, values=LIP, bracket=(0.1, 1))
    assert r.value == smallest_float_at_least(Fr(1, 3))
    r = solve_for("sinha-transport-lipschitz", "gamma", target=3, values=LIP,
                  bracket=(1e-3, 1e3))
    assert r.value == smallest_float_at_least(Fr(1, 3))
    raises("target", "is not attained", solve_for, "birthday-inversion", "rate", target=45,
           values={"M": 10}, bracket=(0.7, 0.9))


def test_grid_construction():
    P = get("sinha-transport-lipschitz").param("gamma")      # positive
    g = _grid(P, (1.0, 50.0))
    assert len(g) == 2001 and g[0] == 1.0 and g[-1] == 50.0
    assert g[1] - g[0] == pytest.approx(49 / 2000)             # linear: b/a = 50 <= 100
    g = _grid(P, (1.0, 101.0))
    assert g[1] / g[0] == pytest.approx(101 ** (1 / 2000))       # geometric: b/a > 100
    g = _grid(P, (-1.0, 1000.0))
    assert g[1] - g[0] == pytest.approx(1001 / 2000)             # a <= 0: linear
    g = _grid(P, None)
    assert g[0] == 1e-300 and g[-1] == 1e300 and np.all(g > 0)
    Pn = get("sinha-concavity").param("L_zz")                   # nonnegative: 0 included
    assert _grid(Pn, None)[0] == 0.0
    Pi = get("birthday-collision").param("M")                   # positive_int: starts at 1
    gi = _grid(Pi, None)
    assert gi[0] == 1.0 and np.all(gi >= 1)
    Pq = get("birthday-sample-size").param("q")                 # probability: inside (0, 1)
    gq = _grid(Pq, None)
    assert np.all((gq > 0) & (gq < 1)) and gq.max() > 1 - 1e-15
    Pu = get("birthday-ta").param("rho")                        # unit interval: 1 included
    gu = _grid(Pu, None)
    assert gu[-1] == 1.0 and np.all(gu > 0)
    Pr = get("sinha-certificate").param("phi_mean")             # real: both signs and 0
    gr = _grid(Pr, None)
    assert gr[0] == -1e300 and gr[-1] == 1e300 and 0.0 in gr
    assert _domain_interval(get("sinha-thm4-tail").param("N_cover")) == (1.0, math.inf)


def test_real_unknown_negative_root():
    # certificate = gamma rho + phi_mean = target at gamma = 2, rho = 3: phi_mean = target - 6
    r = solve_for("sinha-certificate", "phi_mean", target=-4, values=dict(gamma=2, rho=3))
    assert r.value == -10.0
    r = solve_for("sinha-certificate", "phi_mean", target=10, values=dict(gamma=2, rho=3))
    assert r.value == 4.0


def test_root_and_inversion_records():
    assert Root(value=1.0, branch="b", verified="exact").in_domain is True
    assert Root(value=1.0, branch="b", verified="exact",
                flags=("vacuous: x",)).in_domain is True
    assert Root(value=1.0, branch="b", verified="exact",
                flags=("outside_domain: x",)).in_domain is False
    inv = Inversion(id="i", unknown="u", expression="e", target=1.0, value=2.0, method="m")
    assert inv.solutions == () and inv.notes == () and inv.roots == ()


def test_three_roots_primary_is_the_in_domain_root():
    # m_paper = C p Delta^2 ln^2(p Delta L L_phi/eps)/eps^2 with p=Delta=L=L_phi=C=1 is
    # h(eps) = ln^2(eps)/eps^2. h = 1/10: one root with eps < 1 (log argument 1/eps > 1, in the
    # domain) and two with eps > 1 (on both sides of h's local maximum 1/e^2 ~ 0.135 at eps = e),
    # where the log argument is < 1 (flagged outside_domain)
    r = solve_for("arora-thm1", "eps", target=0.1, name="m_paper",
                  values=dict(p=1, Delta=1, L=1, L_phi=1))
    assert len(r.roots) == 3
    inside = [x for x in r.roots if x.in_domain]
    outside = [x for x in r.roots if not x.in_domain]
    assert len(inside) == 1 and len(outside) == 2
    assert inside[0].value < 1 < outside[0].value < math.e < outside[1].value
    assert r.value == pytest.approx(inside[0].value, rel=1e-12)
    assert any(n.startswith("3 roots: eps = ") for n in r.notes)
    assert outside[0].flags[0].startswith("outside_domain: log argument")
    assert [x.branch.split()[0] for x in r.roots] == ["decreasing", "increasing", "decreasing"]
    for x in r.solutions:   # independent float check of h(x) = 1/10
        assert math.log(x) ** 2 / x**2 == pytest.approx(0.1, rel=1e-9)
    # a bracket above 1 keeps only the two flagged roots: every root is outside the domain
    r = solve_for("arora-thm1", "eps", target=0.1, name="m_paper",
                  values=dict(p=1, Delta=1, L=1, L_phi=1), bracket=(1.5, 10))
    assert len(r.roots) == 2 and not any(x.in_domain for x in r.roots)
    assert "every root lies outside the statement's domain (see the flags)" in r.notes


# -- integer unknowns: safe rounding of a real root ------------------------------------------------

def _exp_bound_smallest_M(N: int, target: float) -> int:
    # exp(-M(M-1)/(2N)) <= target  <=>  M(M-1) >= 2N ln(1/target); brute force over M
    M = 1
    while not math.exp(-M * (M - 1) / (2 * N)) <= target:
        M += 1
    return M


@pytest.mark.parametrize("N, target", [(365, 0.5), (1000, 0.01), (7, 0.3)])
def test_integer_unknown_rounds_to_the_safe_side(N, target):
    r = solve_for("birthday-exp-bound", "M", target=target, name="bound", values={"N": N})
    want = _exp_bound_smallest_M(N, target)
    assert r.value == want and type(r.value) is int
    assert any(n.startswith(f"M is an integer: {want} is the integer at the boundary") for n in
               r.notes)


def test_integer_unknown_without_sense_reports_the_real_root():
    # arora-encoder-size "relu" = 4 d_tilde has no sense: 4 d = 10 -> d = 2.5 (real root)
    r = solve_for("arora-encoder-size", "d_tilde", target=10, name="relu")
    assert r.value == 2.5
    assert any("no guarantee direction declared" in n and "neighbours 2 and 3" in n
               for n in r.notes)


def test_integer_ge_sense_rounds_up():
    # collision_lower_bound = 1 - exp(-M(M-1)/(2N)) >= 1/2 at N = 365: same M as the bound
    r = solve_for("birthday-exp-bound", "M", target=0.5, name="collision_lower_bound",
                  values={"N": 365})
    assert r.value == _exp_bound_smallest_M(365, 0.5)


# -- integer searches over products (birthday-collision) -----------------------------------------

def _collision(N: int, M: int) -> Fr:
    if M > N:
        return Fr(1)
    p = Fr(1)
    for i in range(1, M):
        p *= Fr(N - i, N)
    return 1 - p


@pytest.mark.parametrize("N, q", [(365, Fr(1, 2)), (10, Fr(9, 10)), (4, Fr(1, 4))])
def test_integer_search_smallest_M(N, q):
    r = solve_for("birthday-collision", "M", target=float(q), name="collision", values={"N": N})
    want = next(M for M in range(1, 10 * N) if _collision(N, M) >= q)
    assert r.value == want and r.method == "integer-bisection"
    assert r.roots[0].branch == "smallest integer"
    assert r.notes[-1].startswith("M is an integer: the smallest integer with collision >= target")


def test_integer_search_flip_largest_N():
    # P[coll] at fixed M falls as N grows; >= 1/2 holds at N = 1: the largest such N is reported
    r = solve_for("birthday-collision", "N", target=0.5, name="collision", values={"M": 23})
    want = max(N for N in range(1, 2000) if _collision(N, 23) >= Fr(1, 2))
    assert r.value == want
    assert r.roots[0].branch == "largest integer"
    assert "the largest integer with collision >= target" in r.notes[-1]


def test_integer_search_target_exactly_met():
    # no_collision ("le") at N = 4: M = 2 gives 3/4, M = 3 gives 3/8, M = 4 gives 3/32;
    # the smallest M with no_collision <= 3/8 is 3 (met with equality: <=, not <)
    r = solve_for("birthday-collision", "M", target=sp.Rational(3, 8), name="no_collision",
                  values={"N": 4})
    assert r.value == 3
    r = solve_for("birthday-collision", "M", target=0.37, name="no_collision", values={"N": 4})
    assert r.value == 4


def test_integer_search_unattainable():
    raises("target", "is not attained", solve_for, "birthday-collision", "M", target=1.5,
           name="collision", values={"N": 4})


def test_root_at_the_closed_end_of_a_domain():
    # modulus_squared = 2 gamma - L_zz = 2 at gamma = 1: L_zz = 0, the closed end of its domain
    # (nonnegative): verified only as an exact zero, labelled "zero"
    r = solve_for("sinha-concavity", "L_zz", target=2, name="modulus_squared",
                  values={"gamma": 1})
    assert r.value == 0.0 and r.solutions == (0.0,)
    assert r.roots[0].branch == "zero"


def test_integer_search_never_crossing():
    # P[coll] >= -1 holds at every M: "met at every integer" (largest-integer search finds no end)
    raises("target", "is met by birthday-collision:collision at every integer M <= 2^62",
           solve_for, "birthday-collision", "M", target=-1, name="collision", values={"N": 3})
    raises("target", "is not attained by birthday-collision:collision for integer M <= 2^62",
           solve_for, "birthday-collision", "M", target=2, name="collision", values={"N": 3})


def test_integer_search_doubles_up_to_two_to_the_62(monkeypatch):
    # the bounded doubling visits 1, 2, 4, ..., 2^62 and stops there (the message's promise)
    import checker.bounds.invert as inv

    seen = []
    real = inv._mp_f
    monkeypatch.setattr(inv, "_mp_f", lambda stmt, name, unknown, n, *a: seen.append(n) or real(stmt, name, unknown, n, *a))
    with pytest.raises(InvalidArgument):
        solve_for("birthday-collision", "M", target=2, name="collision", values={"N": 3})
    assert seen == [2**k for k in range(63)]


@pytest.mark.parametrize("N, n, K, target", [(3, 7, 1.5, 0.01), (1, 5, 0.7, 0.3)])
def test_brentq_root_is_rounded_to_the_smallest_safe_float(N, n, K, target):
    # tail_hoeffding = 2 N exp(-n t^2/(2 K^2)) <= target  <=>  t >= t* = K sqrt(2 ln(2N/target)/n)
    # (docs/math/sinha.md, Theorem 4); the answer must be the smallest float >= t*
    import mpmath

    with mpmath.workdps(50):
        ts = mpmath.mpf(K) * mpmath.sqrt(2 * mpmath.log(2 * N / mpmath.mpf(target)) / n)
        y = float(ts)
        if mpmath.mpf(y) < ts:
            y = math.nextafter(y, math.inf)
        assert mpmath.mpf(y) >= ts > mpmath.mpf(math.nextafter(y, 0))
    r = solve_for("sinha-thm4-tail", "t", target=target,
                  values=dict(n=n, gamma=2, L_zz=0, L_c=1, L_zth=1, K=K, N_cover=N))
    assert r.value == y and r.method == "brentq"
