"""Pins of the statement catalogue (issue 17, bounds mutants): every expression, relation, flag,
condition and default of every statement, evaluated at exact rational points and compared with a
reference written here by hand from the formula in docs/math/*.md.

How the references are made: each one is a short mpmath (50 digits) or ``fractions.Fraction``
formula transcribed from the docs page named next to it, never built from the statement's sympy
expression. The evaluation point uses distinct non-integer rationals (no 0, 1 or 2 where a
mutation could coincide: ``t**2`` and ``t*2`` agree at t = 2, ``a*b`` and ``a/b`` at b = 1), so
one comparison pins every operator and constant of an expression at once.

Flags and side conditions are pinned at their boundary and just on each side of it (``<`` vs
``<=``), and the boundary itself is derived by hand from the docs' definition.
"""

from __future__ import annotations

from fractions import Fraction as Fr

import mpmath as mpm
import pytest
import sympy as sp

from checker.bounds import get
from checker.bounds.statement import Statement

#: Agreement demanded between the statement evaluated by sympy at 50 digits and the mpmath
#: reference at 50 digits: both round only in the last few digits, so 1e-40 leaves 10 digits of
#: slack and is still far below any mutated constant (a mutation changes a value by >= 1e-3 here).
REL_50 = mpm.mpf("1e-40")

mpm.mp.dps = 50
Q = sp.Rational


def _subs(stmt: Statement, vals: dict) -> dict:
    syms = stmt.symbols
    return {syms[k]: v if isinstance(v, sp.Basic) else sp.Rational(Fr(v).numerator,
                                                                   Fr(v).denominator)
            for k, v in vals.items()}


def expr_at(sid: str, name: str, **vals):
    """The statement's expression ``name`` at the exact point ``vals``, to 50 digits (or exact)."""
    stmt = get(sid)
    e = stmt.expressions[name].xreplace(_subs(stmt, vals)).doit()
    assert not e.free_symbols, (sid, name, e.free_symbols)
    return e


def close(got, ref) -> bool:
    got = mpm.mpf(str(sp.N(got, 60))) if not isinstance(got, mpm.mpf) else got
    ref = mpm.mpf(ref)
    if ref == 0:
        return got == 0
    return abs(got - ref) <= REL_50 * abs(ref)


def rel_truth(rel, stmt: Statement, vals: dict) -> bool:
    r = rel.xreplace(_subs(stmt, vals))
    assert r in (sp.true, sp.false), (rel, vals, r)
    return bool(r)


def mp(x) -> mpm.mpf:
    return mpm.mpf(x.numerator) / x.denominator if isinstance(x, Fr) else mpm.mpf(x)


# ------------------------------------------------------------------------------------------------
# Sinha: certificate, weak duality, identity (13) (docs/math/sinha.md, Theorem 3, eq. (13))
# ------------------------------------------------------------------------------------------------

G, RHO, PHI, EPSN, RHO_HAT = Fr(3, 7), Fr(5, 11), Fr(-2, 3), Fr(1, 13), Fr(4, 9)


def test_certificate_expressions_and_theorem3_relation():
    pt = dict(gamma=G, rho=RHO, phi_mean=PHI, eps_n=EPSN)
    # gamma rho + E_n[phi_gamma]; Theorem 3 adds eps_n(t)
    assert expr_at("sinha-certificate", "certificate", **pt) == sp.Rational(G * RHO + PHI)
    assert expr_at("sinha-certificate", "certificate_with_eps_n", **pt) == \
        sp.Rational(G * RHO + PHI + EPSN)
    stmt = get("sinha-certificate")
    rel = dict(stmt.relations)["theorem3"]
    assert isinstance(rel, sp.Le)
    assert rel.rhs.xreplace(_subs(stmt, pt)) == sp.Rational(G * RHO + PHI + EPSN)
    assert rel.lhs.free_symbols == {sp.Symbol("sup_P_E_loss")}
    assert stmt.param("eps_n").hidden is True
    assert [p.hidden for p in stmt.params if p.name != "eps_n"] == [False, False, False]


def test_weak_duality_expression_and_relation():
    stmt = get("sinha-weak-duality")
    pt = dict(gamma=G, rho=RHO, phi_mean=PHI)
    assert expr_at("sinha-weak-duality", "upper_bound", **pt) == sp.Rational(G * RHO + PHI)
    rel = dict(stmt.relations)["weak_duality"]
    assert isinstance(rel, sp.Le)
    assert rel.rhs.xreplace(_subs(stmt, pt)) == sp.Rational(G * RHO + PHI)


def test_identity13_expression_and_relation():
    stmt = get("sinha-identity13")
    pt = dict(gamma=G, phi_mean=PHI, rho_hat=RHO_HAT)
    want = sp.Rational(PHI + G * RHO_HAT)          # E_n[phi_gamma] + gamma rho_hat, eq. (13)
    assert expr_at("sinha-identity13", "worst_case_loss", **pt) == want
    rel = dict(stmt.relations)["identity13"]
    assert isinstance(rel, sp.Eq)
    assert rel.lhs.xreplace(_subs(stmt, pt)) == want
    assert rel.rhs == sp.Symbol("E_Pn_star_loss")


# ------------------------------------------------------------------------------------------------
# Sinha: concavity modulus (docs/math/sinha.md, Lemma 1 and cost scaling)
# ------------------------------------------------------------------------------------------------

def test_concavity_expressions():
    g, l = Fr(5, 7), Fr(3, 11)
    pt = dict(gamma=g, L_zz=l)
    assert expr_at("sinha-concavity", "modulus_squared", **pt) == sp.Rational(2 * g - l)
    assert expr_at("sinha-concavity", "modulus_strongly_convex", **pt) == sp.Rational(g - l)
    assert expr_at("sinha-concavity", "threshold_squared", **pt) == sp.Rational(l / 2)
    assert expr_at("sinha-concavity", "threshold_strongly_convex", **pt) == sp.Rational(l)


@pytest.mark.parametrize("index, boundary_gamma", [(0, Fr(3, 14)), (1, Fr(3, 7))])
def test_concavity_flags_at_their_boundary(index, boundary_gamma):
    # flag 0: 2 gamma - L_zz <= 0, i.e. gamma <= L_zz/2; flag 1: gamma - L_zz <= 0 (L_zz = 3/7)
    stmt = get("sinha-concavity")
    fl = stmt.flags[index]
    assert fl.kind == "vacuous"
    tiny = Fr(1, 10**9)
    for g, want in ((boundary_gamma - tiny, True), (boundary_gamma, True),
                    (boundary_gamma + tiny, False)):
        assert rel_truth(fl.when, stmt, dict(gamma=g, L_zz=Fr(3, 7))) is want, (index, g)


def test_concavity_helpers():
    from checker.bounds.sinha_concavity import concavity_modulus, gamma_for_concavity

    assert concavity_modulus(0.75, 0.5) == 1.0                 # 2*0.75 - 0.5 (default: squared)
    assert concavity_modulus(0.75, 0.5, cost="strongly-convex") == 0.25
    assert gamma_for_concavity(0.5) == 0.25                    # L_zz/2 with margin 0 (default)
    assert gamma_for_concavity(0.5, cost="strongly-convex") == 0.5
    assert gamma_for_concavity(0.5, margin=1.5) == 1.0         # (L_zz + margin)/2
    assert gamma_for_concavity(0.5, cost="strongly-convex", margin=1.5) == 2.0


# ------------------------------------------------------------------------------------------------
# Sinha: Corollary 1 (docs/math/sinha.md, Corollary 1)
# ------------------------------------------------------------------------------------------------

def test_cor1_printed_and_consistent_forms():
    d, L, diam, M0, n, t, b1, b2 = 3, Fr(5, 7), Fr(3, 2), Fr(2, 5), 11, Fr(7, 3), Fr(4, 9), \
        Fr(6, 13)
    pt = dict(d=d, L=L, diam=diam, M0=M0, n=n, t=t, b1=b1, b2=b2)
    s = mp(L) * mp(diam) + mp(M0)                  # L diam(Theta) + M_theta0
    printed = mp(b1) * mpm.sqrt(d * s / n) + mp(b2) * s * mpm.sqrt(mp(t) / n)
    consistent = mp(b1) * s * mpm.sqrt(mpm.mpf(d) / n) + mp(b2) * s * mpm.sqrt(mp(t) / n)
    assert close(expr_at("sinha-cor1", "eps_n", **pt), printed)
    assert close(expr_at("sinha-cor1", "eps_n_consistent", **pt), consistent)
    stmt = get("sinha-cor1")
    assert {p.name for p in stmt.params if p.hidden} == {"b1", "b2"}


# ------------------------------------------------------------------------------------------------
# Sinha: inner-maximiser correction (docs/math/sinha.md, inner-maximiser correction)
# ------------------------------------------------------------------------------------------------

def test_inner_correction_expressions_and_sandwich():
    f, g, mu = Fr(-3, 7), Fr(5, 3), Fr(2, 9)
    pt = dict(f_hat=f, grad_norm=g, mu=mu)
    gap = g * g / (2 * mu)                          # ||grad f||^2 / (2 mu)
    assert expr_at("sinha-inner-correction", "upper", **pt) == sp.Rational(f + gap)
    assert expr_at("sinha-inner-correction", "lower", **pt) == sp.Rational(f)
    assert expr_at("sinha-inner-correction", "gap", **pt) == sp.Rational(gap)
    stmt = get("sinha-inner-correction")
    rel = dict(stmt.relations)["sandwich"]
    assert isinstance(rel, sp.And)
    phi = sp.Symbol("phi_gamma")
    # f_hat <= phi_gamma <= f_hat + gap: at phi = f_hat + gap both hold, just above one fails
    sub = _subs(stmt, pt)
    for val, want in ((f + gap, True), (f, True), (f + gap + Fr(1, 10**9), False),
                      (f - Fr(1, 10**9), False)):
        assert bool(rel.xreplace({**sub, phi: sp.Rational(val)})) is want, val


# ------------------------------------------------------------------------------------------------
# Sinha: Lemma 1 (docs/math/sinha.md, Lemma 1)
# ------------------------------------------------------------------------------------------------

def test_lemma1_expressions():
    a, b, c, lzz, g = Fr(2, 3), Fr(5, 7), Fr(3, 11), Fr(1, 4), Fr(9, 5)
    assert expr_at("sinha-lphi", "L_phi", L_thth=a, L_thz=b, L_zth=c, L_zz=lzz, gamma=g) == \
        sp.Rational(a + b * c / (g - lzz))         # L_thth + L_thz L_zth / (gamma - L_zz)
    assert expr_at("sinha-transport-lipschitz", "lipschitz", L_zth=c, L_zz=lzz, gamma=g) == \
        sp.Rational(c / (g - lzz))


@pytest.mark.parametrize("sid", ["sinha-lphi", "sinha-transport-lipschitz", "sinha-gradient-bias",
                                 "sinha-thm2", "sinha-thm2-iclr", "sinha-thm4-tail"])
def test_gamma_greater_than_lzz_condition_at_its_boundary(sid):
    stmt = get(sid)
    (cond,) = stmt.conditions
    assert cond.param == "gamma"
    lzz = Fr(3, 7)
    for g, want in ((lzz, False), (lzz + Fr(1, 10**9), True), (lzz - Fr(1, 10**9), False)):
        assert rel_truth(cond.relation, stmt, dict(gamma=g, L_zz=lzz)) is want


# ------------------------------------------------------------------------------------------------
# Sinha: linear closed form (docs/math/sinha.md, linear closed form)
# ------------------------------------------------------------------------------------------------

def test_linear_closed_form_expressions_and_condition():
    g, r, th = Fr(7, 5), Fr(-3, 4), Fr(2, 3)
    pt = dict(gamma=g, r=r, theta_sq=th)
    den = 2 * g - th
    want = {"phi": g * r * r / den, "step": r / den, "transport_cost": r * r * th / den**2,
            "worst_loss": 2 * g * g * r * r / den**2, "modulus": den}
    for name, v in want.items():
        assert expr_at("sinha-linear-closed-form", name, **pt) == sp.Rational(v), name
    stmt = get("sinha-linear-closed-form")
    (cond,) = stmt.conditions
    assert cond.param == "gamma"
    for gg, w in ((th / 2, False), (th / 2 + Fr(1, 10**9), True), (th / 2 - Fr(1, 10**9), False)):
        assert rel_truth(cond.relation, stmt, dict(gamma=gg, theta_sq=th)) is w


# ------------------------------------------------------------------------------------------------
# Sinha: Theorem 2 and the gradient bias (docs/math/sinha.md, Theorem 2)
# ------------------------------------------------------------------------------------------------

TH2 = dict(Delta_F=Fr(5, 3), L_phi=Fr(7, 4), sigma=Fr(3, 5), T=13, L_thz=Fr(4, 7), L_zz=Fr(1, 3),
           gamma=Fr(9, 4), eps=Fr(2, 11), alpha=Fr(3, 8), grad_sq=Fr(5, 6))


def test_gradient_bias():
    p = TH2
    want = 2 * p["L_thz"] ** 2 * p["eps"] / (p["gamma"] - p["L_zz"])
    assert expr_at("sinha-gradient-bias", "bias_sq", L_thz=p["L_thz"], L_zz=p["L_zz"],
                   gamma=p["gamma"], eps=p["eps"]) == sp.Rational(want)
    stmt = get("sinha-gradient-bias")
    assert stmt.param("eps").default == 0


def test_thm2_v5_expressions():
    p = {k: mp(v) if isinstance(v, Fr) else mpm.mpf(v) for k, v in TH2.items()}
    bias = 2 * p["L_thz"] ** 2 * p["eps"] / (p["gamma"] - p["L_zz"])
    want = {
        "bound": 4 * p["sigma"] * mpm.sqrt(p["L_phi"] * p["Delta_F"] / p["T"])
        + 4 * p["L_thz"] ** 2 * p["eps"] / (p["gamma"] - p["L_zz"]),
        "step_size": mpm.sqrt(p["Delta_F"] / (p["L_phi"] * p["T"] * p["sigma"] ** 2)),
        "T_min": p["L_phi"] * p["Delta_F"] / p["sigma"] ** 2,
        "one_step_rhs": -p["alpha"] / 2 * p["grad_sq"] + p["alpha"] * bias
        + p["L_phi"] * p["alpha"] ** 2 * p["sigma"] ** 2,
    }
    for name, ref in want.items():
        assert close(expr_at("sinha-thm2", name, **TH2), ref), name
    assert get("sinha-thm2").param("eps").default == 0


def test_thm2_iclr_expressions():
    p = {k: mp(v) if isinstance(v, Fr) else mpm.mpf(v) for k, v in TH2.items()}
    pt = {k: v for k, v in TH2.items() if k not in ("alpha", "grad_sq")}
    bound = p["sigma"] * mpm.sqrt(8 * p["L_phi"] * p["Delta_F"] / p["T"]) \
        + 2 * p["L_thz"] ** 2 * p["eps"] / (p["gamma"] - p["L_zz"])
    step = mpm.sqrt(2 * p["Delta_F"] / (p["L_phi"] * p["sigma"] ** 2 * p["T"]))
    assert close(expr_at("sinha-thm2-iclr", "bound", **pt), bound)
    assert close(expr_at("sinha-thm2-iclr", "step_size", **pt), step)


def test_thm2_relations_and_flags_at_their_boundaries():
    stmt = get("sinha-thm2")
    rels = dict(stmt.relations)
    # T_min = L_phi Delta_F / sigma^2 = 2 * 3 / (1/2)^2 = 24 (hand value)
    base = dict(L_phi=2, Delta_F=3, sigma=Fr(1, 2))
    for T, ok in ((23, False), (24, True), (25, True)):
        assert rel_truth(rels["T_condition"], stmt, {**base, "T": T}) is ok
        assert rel_truth(stmt.flags[0].when, stmt, {**base, "T": T}) is (not ok)
    # step condition L_phi alpha <= 1, boundary alpha = 1/2 for L_phi = 2
    for a, ok in ((Fr(1, 2) - Fr(1, 10**9), True), (Fr(1, 2), True),
                  (Fr(1, 2) + Fr(1, 10**9), False)):
        assert rel_truth(rels["step_condition"], stmt, {"L_phi": 2, "alpha": a}) is ok
        assert rel_truth(stmt.flags[1].when, stmt, {"L_phi": 2, "alpha": a}) is (not ok)
    assert [f.kind for f in stmt.flags] == ["outside_domain", "outside_domain"]


# ------------------------------------------------------------------------------------------------
# Sinha: Theorem 4 tail (docs/math/sinha.md, Theorem 4)
# ------------------------------------------------------------------------------------------------

TH4 = dict(t=Fr(3, 5), n=17, gamma=Fr(11, 4), L_zz=Fr(1, 3), L_c=Fr(5, 7), L_zth=Fr(4, 3),
           K=Fr(7, 5), N_cover=Fr(13, 3), d=3, diam=Fr(9, 7))


def test_thm4_expressions():
    p = {k: mp(v) if isinstance(v, Fr) else mpm.mpf(v) for k, v in TH4.items()}
    r = (p["gamma"] - p["L_zz"]) * p["t"] / (4 * p["L_c"] * p["L_zth"])   # cover radius
    hoeff = mpm.exp(-p["n"] * p["t"] ** 2 / (2 * p["K"] ** 2))   # Hoeffding on [0, K] at t/2
    printed = mpm.exp(-p["n"] * p["t"] ** 2 / (8 * p["K"] ** 2))  # v5's 8 K^2
    cover_eu = (1 + p["diam"] / r) ** p["d"]
    want = {"tail_hoeffding": 2 * p["N_cover"] * hoeff, "tail": 2 * p["N_cover"] * printed,
            "cover_radius": r, "tail_euclidean_hoeffding": 2 * cover_eu * hoeff,
            "tail_euclidean": 2 * cover_eu * printed}
    for name, ref in want.items():
        assert close(expr_at("sinha-thm4-tail", name, **TH4), ref), name


@pytest.mark.parametrize("index, name, c", [(0, "tail_hoeffding", 2), (1, "tail", 8)])
def test_thm4_vacuity_flags(index, name, c):
    # flag: 2 N exp(-n t^2/(c K^2)) > 1. With N_cover = e^(n t^2/(c K^2)) / 2 the value is exactly
    # 1. t = 1/2, K = 3, n = 144 give n t^2/(c K^2) = 4/c (N = e^(4/c)/2 >= 1, inside the domain);
    # t != 1 and K**2 != 2 K, so a flag that drops t^2 or writes 2K for K^2 moves the boundary.
    stmt = get("sinha-thm4-tail")
    fl = stmt.flags[index]
    assert fl.kind == "vacuous" and fl.exprs == (name,)
    base = dict(n=144, t=Q(1, 2), K=3)
    edge = sp.exp(sp.Rational(4, c)) / 2
    assert rel_truth(fl.when, stmt, {**base, "N_cover": edge}) is False
    assert rel_truth(fl.when, stmt, {**base, "N_cover": edge * Q(1000001, 1000000)}) is True
    assert rel_truth(fl.when, stmt, {**base, "N_cover": edge * Q(999999, 1000000)}) is False


# ------------------------------------------------------------------------------------------------
# Birthday (docs/math/birthday.md, standard formulas, T-a, T-b, mass bound)
# ------------------------------------------------------------------------------------------------

def _no_coll(N: int, M: int) -> Fr:
    # brute force: count injective sequences among all N^M sequences of M draws
    if M > N:
        return Fr(0)
    inj = 1
    for i in range(M):
        inj *= N - i
    return Fr(inj, N**M)


@pytest.mark.parametrize("N, M", [(5, 3), (3, 3), (3, 4), (7, 1), (4, 2)])
def test_collision_expressions(N, M):
    # M = N is the boundary of the Piecewise condition M <= N (the product is still > 0 there)
    assert expr_at("birthday-collision", "no_collision", N=N, M=M) == sp.Rational(_no_coll(N, M))
    assert expr_at("birthday-collision", "collision", N=N, M=M) == sp.Rational(1 - _no_coll(N, M))


def test_exp_bound_expressions_and_relation():
    N, M = 7, 4
    ref = mpm.exp(-mpm.mpf(M * (M - 1)) / (2 * N))      # exp(-M(M-1)/(2N)) = exp(-6/7)
    assert close(expr_at("birthday-exp-bound", "bound", N=N, M=M), ref)
    assert close(expr_at("birthday-exp-bound", "collision_lower_bound", N=N, M=M), 1 - ref)
    stmt = get("birthday-exp-bound")
    rel = dict(stmt.relations)["bound"]
    assert isinstance(rel, sp.Le)
    assert close(rel.rhs.xreplace(_subs(stmt, dict(N=N, M=M))), ref)


def test_sample_size_and_inversion_expressions():
    N, q = 11, Fr(2, 3)
    ref = (1 + mpm.sqrt(1 + 8 * N * mpm.log(1 / (1 - mp(q))))) / 2
    assert close(expr_at("birthday-sample-size", "M_sufficient", N=N, q=q), ref)
    M, rate = 9, Fr(3, 7)
    ref = mpm.mpf(M * (M - 1)) / (2 * mpm.log(1 / (1 - mp(rate))))
    assert close(expr_at("birthday-inversion", "N", M=M, rate=rate), ref)


def test_tb_expressions_and_flag():
    M, rate, rho = 5, Fr(2, 5), Fr(9, 10)
    y = mpm.log(1 / (1 - mp(rate)))
    first = -3 + mpm.sqrt(9 + 24 * y / M)
    den = first - 2 * M * (1 - mp(rho)) ** 2
    assert den > 0
    assert close(expr_at("birthday-tb", "denominator", M=M, rate=rate, rho=rho), den)
    assert close(expr_at("birthday-tb", "N", M=M, rate=rate, rho=rho), 2 * M * mp(rho) ** 2 / den)
    assert close(expr_at("birthday-tb", "vacuity_threshold", M=M, rate=rate, rho=rho),
                 mpm.sqrt(first / (2 * M)))
    # rho = 1/2: den = first - 5/2 < 0 (first < 1 here): +infinity and the flag is raised
    low = dict(M=M, rate=rate, rho=Fr(1, 2))
    assert expr_at("birthday-tb", "N", **low) == sp.oo
    stmt = get("birthday-tb")
    assert rel_truth(stmt.flags[0].when, stmt, low) is True
    assert rel_truth(stmt.flags[0].when, stmt, dict(M=M, rate=rate, rho=rho)) is False
    assert stmt.param("rho").default == 1


def test_tb_flag_boundary_is_le():
    # choose rate so that the first term is exactly 2 M (1-rho)^2: with M = 3, rho = 1/2,
    # 2M(1-rho)^2 = 3/2, so -3 + sqrt(9 + 8 y) = 3/2, 9 + 8 y = 81/4, y = 45/32,
    # rate = 1 - exp(-45/32). At the
    # boundary the denominator is 0: the Piecewise gives +oo and the flag (<= 0) is raised.
    stmt = get("birthday-tb")
    rate = 1 - sp.exp(-sp.Rational(45, 32))
    pt = dict(M=3, rho=Fr(1, 2))
    sub = _subs(stmt, pt)
    sub[stmt.symbols["rate"]] = rate
    den = sp.simplify(stmt.expressions["denominator"].xreplace(sub))
    assert den == 0
    assert bool(stmt.flags[0].when.xreplace(sub).simplify()) is True
    assert stmt.expressions["N"].xreplace(sub).simplify() == sp.oo


def _mass_no_coll_brute(N: int, rho: Fr, M: int) -> Fr:
    # N atoms of mass rho/N each plus an atomless remainder (mass 1 - rho, never collides):
    # enumerate all (N+1)^M outcome sequences, outcome N meaning "fresh point of the remainder"
    from itertools import product
    total = Fr(0)
    for seq in product(range(N + 1), repeat=M):
        atoms = [s for s in seq if s < N]
        if len(set(atoms)) != len(atoms):
            continue
        pr = Fr(1)
        for s in seq:
            pr *= rho / N if s < N else 1 - rho
        total += pr
    return total


@pytest.mark.parametrize("N, rho, M", [(2, Fr(1, 3), 3), (3, Fr(3, 4), 3), (2, Fr(1), 2)])
def test_mass_lower_bound_equals_brute_force(N, rho, M):
    # docs/math/birthday.md: equality for N atoms of equal mass rho/N plus an atomless remainder
    got = expr_at("birthday-mass-lower-bound", "bound", N=N, rho=rho, M=M)
    assert got == sp.Rational(1 - _mass_no_coll_brute(N, rho, M))


def test_ta_expressions_and_flag():
    N, rho, M = 7, Fr(3, 5), 4
    assert close(expr_at("birthday-ta", "bound", N=N, rho=rho, M=M),
                 1 - mpm.exp(-(M * M - M) * mp(rho) / (2 * N)))
    assert close(expr_at("birthday-ta", "bound_rho_squared", N=N, rho=rho, M=M),
                 1 - mpm.exp(-(M * M - M) * mp(rho) ** 2 / (2 * N)))
    stmt = get("birthday-ta")
    (fl,) = stmt.flags
    assert fl.kind == "outside_domain"
    for r, want in ((Fr(1), False), (1 - Fr(1, 10**9), True)):
        assert rel_truth(fl.when, stmt, dict(rho=r)) is want


# ------------------------------------------------------------------------------------------------
# Arora: explicit m*, McDiarmid route, Theorem 1 (docs/math/arora-thm1.md)
# ------------------------------------------------------------------------------------------------

AR = dict(p=3, Delta=Fr(3, 2), L=Fr(5, 4), L_phi=Fr(7, 3), eps=Fr(2, 5), R=Fr(3, 4),
          fail_prob=Fr(1, 5), m=97)


def _arora_refs(p, Delta, L, L_phi, eps, R, fail_prob, m):
    p, Delta, L, L_phi, eps, R, fail_prob = (mp(x) if isinstance(x, Fr) else mpm.mpf(x)
                                             for x in (p, Delta, L, L_phi, eps, R, fail_prob))
    cover = 1 + 16 * R * L * L_phi / eps            # 1 + 2R/eta with eta = eps/(8 L L_phi)
    x_h = 8 * Delta**2 / eps**2 * (p * mpm.log(cover) + mpm.log(2 / fail_prob))
    lf_h = mpm.log(2) + p * mpm.log(cover) - m * eps**2 / (8 * Delta**2)
    x_m = 32 * Delta**2 / eps**2 * (p * mpm.log(cover) + mpm.log(16 * Delta / eps))
    lf_m = p * mpm.log(cover) + mpm.log(16 * Delta / eps) - m * eps**2 / (32 * Delta**2)
    return x_h, lf_h, x_m, lf_m


def test_mstar_expressions():
    x_h, lf_h, _, _ = _arora_refs(**AR)
    assert expr_at("arora-mstar", "m_star", **AR) == int(mpm.ceil(x_h)) + 1
    assert close(expr_at("arora-mstar", "m_star_continuous", **AR), x_h + 1)
    assert close(expr_at("arora-mstar", "log_failure_probability", **AR), lf_h)
    assert close(expr_at("arora-mstar", "failure_probability", **AR), mpm.exp(lf_h))
    stmt = get("arora-mstar")
    rel = dict(stmt.relations)["guarantee"]
    assert isinstance(rel, sp.Le)
    assert rel.rhs.xreplace(_subs(stmt, AR)) == sp.Rational(3, 4) * sp.Rational(2, 5)


def test_mcdiarmid_expressions():
    _, _, x_m, lf_m = _arora_refs(**AR)
    pt = {k: v for k, v in AR.items() if k != "fail_prob"}
    assert expr_at("arora-mcdiarmid", "m_mcdiarmid", **pt) == int(mpm.ceil(x_m)) + 1
    assert close(expr_at("arora-mcdiarmid", "m_mcdiarmid_continuous", **pt), x_m + 1)
    assert close(expr_at("arora-mcdiarmid", "log_failure_probability", **pt), lf_m)
    assert close(expr_at("arora-mcdiarmid", "failure_probability", **pt), mpm.exp(lf_m))


def test_thm1_expressions_and_defaults():
    x_h, lf_h, _, _ = _arora_refs(**AR)
    C = Fr(5, 3)
    pt = {**AR, "C": C}
    a = AR
    # C p Delta^2 ln^2(p Delta L L_phi / eps) / eps^2
    paper = mp(C) * a["p"] * mp(a["Delta"]) ** 2 * mpm.log(
        a["p"] * mp(a["Delta"]) * mp(a["L"]) * mp(a["L_phi"]) / mp(a["eps"])) ** 2 \
        / mp(a["eps"]) ** 2
    assert close(expr_at("arora-thm1", "m_paper", **pt), paper)
    assert expr_at("arora-thm1", "m_star", **pt) == int(mpm.ceil(x_h)) + 1
    assert close(expr_at("arora-thm1", "failure_probability", **pt), mpm.exp(lf_h))
    stmt = get("arora-thm1")
    assert stmt.param("C").default == 1 and stmt.param("C").hidden is True
    assert stmt.param("R").default == 1                 # unit ball (docs/math/arora-thm1.md)
    assert stmt.param("fail_prob").default == 1         # the ln 2 term
    rel = dict(stmt.relations)["fooling"]
    assert isinstance(rel, sp.Le) and rel.rhs == stmt.symbols["eps"]


def test_thm1_flags_at_their_boundaries():
    stmt = get("arora-thm1")
    f_log, f_delta, f_vac = stmt.flags
    assert (f_log.kind, f_delta.kind, f_vac.kind) == ("outside_domain", "outside_domain",
                                                      "vacuous")
    # log argument p Delta L L_phi / eps = 1 at p=1, Delta=1, L=2, L_phi=1/3, eps=2/3
    base = dict(p=1, Delta=1, L=2, L_phi=Fr(1, 3))
    for e, want in ((Fr(2, 3), False), (Fr(2, 3) + Fr(1, 10**9), True),
                    (Fr(2, 3) - Fr(1, 10**9), False)):
        assert rel_truth(f_log.when, stmt, {**base, "eps": e}) is want
    for D, want in ((Fr(1), False), (1 - Fr(1, 10**9), True), (1 + Fr(1, 10**9), False)):
        assert rel_truth(f_delta.when, stmt, {"Delta": D}) is want


@pytest.mark.parametrize("sid", ["arora-mstar", "arora-mcdiarmid", "arora-thm1"])
def test_vacuity_flag_switches_where_the_failure_bound_crosses_one(sid):
    # log failure bound = 0 at m0 = (8 or 32) Delta^2/eps^2 * (...); the flag is raised below
    # (failure bound > 1) and not above. The crossing is never exactly at an integer (ln of an
    # algebraic number > 1 is irrational), so floor/ceil of the hand value bracket it.
    stmt = get(sid)
    fl = stmt.flags[-1]
    assert fl.kind == "vacuous"
    x_h, lf_h, x_m, lf_m = _arora_refs(**{**AR, "fail_prob": 1})
    a = AR
    if sid == "arora-mcdiarmid":
        m0 = (mpm.log(1 + 16 * mp(a["R"]) * mp(a["L"]) * mp(a["L_phi"]) / mp(a["eps"])) * a["p"]
              + mpm.log(16 * mp(a["Delta"]) / mp(a["eps"]))) * 32 * mp(a["Delta"]) ** 2 \
            / mp(a["eps"]) ** 2
    else:
        m0 = (mpm.log(2) + a["p"] * mpm.log(1 + 16 * mp(a["R"]) * mp(a["L"]) * mp(a["L_phi"])
                                              / mp(a["eps"]))) * 8 * mp(a["Delta"]) ** 2 \
            / mp(a["eps"]) ** 2
    pt = {k: v for k, v in AR.items() if k in {p.name for p in stmt.params}}
    below, above = int(mpm.floor(m0)), int(mpm.ceil(m0))
    assert rel_truth(fl.when, stmt, {**pt, "m": below}) is True
    assert rel_truth(fl.when, stmt, {**pt, "m": above}) is False


# ------------------------------------------------------------------------------------------------
# Arora: construction sizes and the ramp (docs/math/arora-thm1.md, construction, ReLU generator)
# ------------------------------------------------------------------------------------------------

def test_construction_expressions():
    assert expr_at("arora-encoder-size", "linear", d_tilde=7) == 7
    assert expr_at("arora-encoder-size", "relu", d_tilde=7) == 28     # 4 d~
    m, d, dt = 6, 11, 3
    parts = {"first_layer_weights": 2 * (m - 1), "hidden_biases": 2 * (m - 1),
             "output_weights": 2 * (m - 1) * (d - dt), "output_bias": d - dt,
             "skip_weights": dt}
    for k, v in parts.items():
        assert expr_at("arora-generator-size", k, m=m, d=d, d_tilde=dt) == v, k
    assert expr_at("arora-generator-size", "count", m=m, d=d, d_tilde=dt) == \
        2 * (m - 1) * (d - dt + 2) + d == sum(parts.values())
    stmt = get("arora-generator-size")
    (cond,) = stmt.conditions
    for t, want in ((d, True), (d + 1, False), (d - 1, True)):
        assert rel_truth(cond.relation, stmt, dict(d=d, d_tilde=t)) is want


def test_ramp_expressions_conditions_and_flag():
    e, D, m = Fr(3, 7), Fr(5, 3), 6
    ref = mpm.sqrt(2 * mpm.pi) * mp(e) / (8 * mp(D) * (m - 1))   # sqrt(2 pi) eps/(8 Delta (m-1))
    assert close(expr_at("arora-ramp-width", "delta", eps=e, Delta=D, m=m), ref)
    stmt = get("arora-ramp-width")
    (cond,) = stmt.conditions
    assert [rel_truth(cond.relation, stmt, dict(m=k)) for k in (1, 2, 3)] == [False, True, True]
    delta = Fr(2, 9)
    mass = (m - 1) * mp(delta) / mpm.sqrt(2 * mpm.pi)
    assert close(expr_at("arora-ramp-mass", "mass", m=m, delta=delta, Delta=D), mass)
    assert close(expr_at("arora-ramp-mass", "error", m=m, delta=delta, Delta=D), 2 * mp(D) * mass)
    stmt = get("arora-ramp-mass")
    rel = dict(stmt.relations)["mass_bound"]
    assert isinstance(rel, sp.Le)
    assert close(rel.rhs.xreplace(_subs(stmt, dict(m=m, delta=delta))), mass)
    (fl,) = stmt.flags
    # mass bound = 1 at delta = sqrt(2 pi)/(m-1)
    edge = sp.sqrt(2 * sp.pi) / (m - 1)
    sub = _subs(stmt, dict(m=m))
    for dl, want in ((edge, False), (edge * Q(1000001, 1000000), True),
                     (edge * Q(999999, 1000000), False)):
        assert bool(fl.when.xreplace({**sub, stmt.symbols["delta"]: dl})) is want


def test_failure_probabilities_are_the_exponential_of_their_logarithm():
    # docs/math/arora-thm1.md: the failure probability is exp(log-failure), kept in that form (a
    # sum inside one exp; the statement's text and the log-space routes rely on it), for the
    # Hoeffding route (arora-mstar, arora-thm1) and the McDiarmid route
    from checker.bounds.statement import get as get_statement

    for sid, log_id in (("arora-mstar", "arora-mstar"), ("arora-mcdiarmid", "arora-mcdiarmid"),
                        ("arora-thm1", "arora-mstar")):
        fp = get_statement(sid).expressions["failure_probability"]
        assert fp.func is sp.exp, sid
        assert fp.args[0] == get_statement(log_id).expressions["log_failure_probability"], sid
