"""Domains and vacuity as flags (issue 13.2) and trustworthy inversion (issue 13.3).

Reference values are by hand (stated next to each) or independent mpmath/math computations.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from checker.bounds import evaluate, get, solve_for, statements
from checker.bounds.statement import FLAG_KINDS, SENSES
from checker.errors import InvalidArgument

ARORA = dict(Delta=1, L=1, L_phi=1)


# -- flags ------------------------------------------------------------------------------------
def test_every_flag_and_sense_is_well_formed():
    for s in statements():
        for f in s.flags:
            assert f.kind in FLAG_KINDS and f.message
        for _, sense in s.senses:
            assert sense in SENSES


def test_paper_form_outside_domain_when_log_argument_below_1():
    # p Delta L L_phi / eps = 1 * 1 * 1e-3 * 1 / 1 = 1e-3 < 1 (hand)
    ev = evaluate("arora-thm1", p=1, Delta=1, L=1e-3, L_phi=1, eps=1, name="m_paper")
    assert ev.outside_domain and "log argument" in ev.flags[0].message
    ok = evaluate("arora-thm1", p=1000, Delta=1, L=1, L_phi=1, eps=0.1, name="m_paper")
    assert not ok.flags  # 1000/0.1 = 1e4 > 1 and Delta = 1: inside (negative control)


def test_paper_form_outside_domain_when_delta_below_1():
    ev = evaluate("arora-thm1", p=1000, Delta=0.5, L=1, L_phi=1, eps=0.1, name="m_paper")
    assert ev.outside_domain and any("Delta < 1" in f.message for f in ev.flags)


def test_failure_probability_above_1_is_vacuous():
    # at m = 2: ln 2 + 10 ln 161 - 2*0.01/8 > 0 (hand), so the bound exceeds 1
    ev = evaluate("arora-mstar", p=10, eps=0.1, m=2, name="failure_probability", **ARORA)
    assert ev.vacuous and ev.value > 1
    big = evaluate("arora-mstar", p=10, eps=0.1, m=10**6, name="failure_probability", **ARORA)
    assert not big.vacuous and big.value < 1  # 10 ln 161 + ln 2 - 1250 < 0 (hand)


def test_flags_on_arrays_count_points():
    ev = evaluate("arora-mstar", p=10, eps=0.1, m=np.array([2, 10**6]),
                  name="failure_probability", **ARORA)
    assert ev.vacuous and ev.flags[0].where == "1 of 2 points"


def test_thm2_below_its_own_minimum_T_is_outside_domain():
    # T_min = L_phi Delta_F / sigma^2 = 10 (hand); T = 5 < 10
    vals = dict(Delta_F=1, L_phi=10, sigma=1, L_thz=1, L_zz=1, gamma=2)
    ev = evaluate("sinha-thm2", T=5, name="bound", **vals)
    assert ev.outside_domain and "T_min" in ev.flags[0].message
    assert not evaluate("sinha-thm2", T=10, name="bound", **vals).flags


def test_mass_above_1_is_vacuous_and_concavity_modulus():
    # (m - 1) delta / sqrt(2 pi) = 9 / sqrt(2 pi) ~ 3.6 > 1 (hand)
    assert evaluate("arora-ramp-mass", m=10, delta=1, Delta=1, name="mass").vacuous
    assert not evaluate("arora-ramp-mass", m=2, delta=0.1, Delta=1, name="mass").vacuous
    assert evaluate("sinha-concavity", gamma=1, L_zz=2, name="modulus_squared").vacuous  # 2-2=0
    assert not evaluate("sinha-concavity", gamma=1.01, L_zz=2, name="modulus_squared").vacuous


def test_tail_bounds_vacuous_and_honest_constant():
    vals = dict(t=0.1, n=100, gamma=2, L_zz=1, L_c=1, L_zth=1, K=1, N_cover=10)
    ev = evaluate("sinha-thm4-tail", name=("tail", "tail_hoeffding"), **vals)
    # hand: 2*10*exp(-100*0.01/8) = 17.65 > 1; 2*10*exp(-100*0.01/2) = 12.13 > 1
    assert ev.values["tail"] == pytest.approx(20 * math.exp(-1 / 8), rel=1e-15)
    assert ev.values["tail_hoeffding"] == pytest.approx(20 * math.exp(-1 / 2), rel=1e-15)
    assert ev.vacuous
    s = get("sinha-thm4-tail")
    assert s.primary == "tail_hoeffding" and "[D]" in s.reliability


def test_ta_outside_domain_below_rho_1():
    assert evaluate("birthday-ta", N=1, rho=0.1, M=2, name="bound").outside_domain
    assert not evaluate("birthday-ta", N=1, rho=1, M=2, name="bound").flags


def test_tb_vacuous_when_denominator_nonpositive():
    ev = evaluate("birthday-tb", M=100, rate=0.5, rho=0.5, name="N")
    assert ev.value == math.inf and ev.vacuous


def test_provenance_is_honest():
    assert get("sinha-concavity").form == "derived"
    assert "[D]" in get("sinha-concavity").reliability
    cert = get("sinha-certificate")
    assert "not Theorem 3" in cert.notes[0] and "[D]" in cert.reliability
    cor1 = get("sinha-cor1")
    assert "eps_n_consistent" in cor1.expressions and "inconsistent" in cor1.reliability
    for s in statements():  # never cite the internal reference or persons
        text = " ".join([s.reference, s.title, s.summary, *s.notes, *s.assumed, *s.hidden])
        for bad in ("shared/", "arora2018.md", "sinha2018.md", "seed slide", "Lei Zhang"):
            assert bad not in text, (s.id, bad)


def test_cor1_consistent_form_scales_linearly_with_the_loss():
    # scaling L and M0 by c scales (L diam + M0) by c: the consistent form scales by c, the
    # printed one does not (its first term scales by sqrt(c)): the inconsistency it documents
    base = dict(d=10, L=1, diam=1, M0=1, n=100, t=1, b1=1, b2=1)
    c = 4.0
    scaled = {**base, "L": c, "M0": c}
    ev1 = evaluate("sinha-cor1", **base).values
    ev2 = evaluate("sinha-cor1", **scaled).values
    assert ev2["eps_n_consistent"] == pytest.approx(c * ev1["eps_n_consistent"], rel=1e-15)
    # printed: sqrt(c) * first + c * second (hand: first = sqrt(10*2/100), second = 2 sqrt(1/100))
    first, second = math.sqrt(0.2), 2 * math.sqrt(0.01)
    assert ev1["eps_n"] == pytest.approx(first + second, rel=1e-15)
    assert ev2["eps_n"] == pytest.approx(math.sqrt(c) * first + c * second, rel=1e-15)
    assert ev2["eps_n"] < c * ev1["eps_n"]


# -- inversion ----------------------------------------------------------------------------------
def test_both_branches_of_the_log_squared_are_reported_and_labelled():
    # m_paper = ln^2(L)/1 = 100 at p = Delta = L_phi = eps = C = 1: ln L = +-10 (hand)
    inv = solve_for("arora-thm1", "L", target=100, values=dict(p=1, Delta=1, L_phi=1, eps=1))
    vals = sorted(r.value for r in inv.roots)
    assert vals == pytest.approx([math.exp(-10), math.exp(10)], rel=1e-12)
    assert inv.value == pytest.approx(math.exp(10), rel=1e-12)  # the in-domain branch
    low = min(inv.roots, key=lambda r: r.value)
    assert not low.in_domain and "decreasing" in low.branch
    assert all(r.verified in ("exact", "mpmath") for r in inv.roots)


def test_poles_are_not_roots_and_side_conditions_hold():
    # phi = gamma r^2/(2 gamma - theta_sq) jumps at gamma = 1/2 (pole): the only root of phi = 2
    # with gamma > 1/2 is gamma = 2/3 (hand: 2(2g - 1) = g); the pole is dropped
    inv = solve_for("sinha-linear-closed-form", "gamma", target=2, values=dict(r=1, theta_sq=1))
    assert [r.value for r in inv.roots] == pytest.approx([2 / 3])
    # L_phi = 1 + 1/(gamma - 2) = 3 at gamma = 2.5 (hand); gamma < L_zz roots are rejected
    inv = solve_for("sinha-lphi", "gamma", target=3,
                    values=dict(L_thth=1, L_thz=1, L_zth=1, L_zz=2))
    assert inv.value == pytest.approx(2.5) and all(r.value > 2 for r in inv.roots)
    with pytest.raises(InvalidArgument, match="not attained"):  # 1 + 1/(g - 2) = 0.5: g = 0 < 2
        solve_for("sinha-lphi", "gamma", target=0.5,
                  values=dict(L_thth=1, L_thz=1, L_zth=1, L_zz=2))


def test_root_far_outside_any_fixed_bracket_is_found():
    # m_star_continuous = 1 + 8 (p ln(1+16/eps) + ln 2)/eps^2 = target has eps ~ 1e-12 (hand scale)
    m = 10**30
    inv = solve_for("arora-mstar", "eps", target=m, values=dict(p=1, **ARORA))
    with mpmath.workdps(50):
        e = mpmath.mpf(inv.value)
        x = 1 + 8 * (mpmath.log(1 + 16 / e) + mpmath.log(2)) / e**2
    assert x <= m  # rounded to the safe side (sense <=)
    assert float(abs(x - m) / m) < 1e-12


def test_underflow_does_not_make_fake_roots():
    # exp(-M(M-1)/(2N)) underflows to 0 for large M in float64 but never equals 0:
    # target 0 has no root (the float scan sees zeros; substitution back rejects them)
    with pytest.raises(InvalidArgument, match="not attained"):
        solve_for("birthday-exp-bound", "N", target=0.0, values=dict(M=10**6), name="bound")


def test_time_limit_gives_a_clear_error():
    with pytest.raises(InvalidArgument, match="did not finish within"):
        solve_for("arora-thm1", "L", target=100, values=dict(p=1, Delta=1, L_phi=1, eps=1),
                  time_limit=0.0)


def test_bad_unknowns_and_targets():
    with pytest.raises(InvalidArgument, match="target"):
        solve_for("sinha-concavity", "gamma", target=math.inf, values=dict(L_zz=1))
    with pytest.raises(InvalidArgument, match="solve_for"):
        solve_for("sinha-concavity", 3, target=1, values=dict(L_zz=1))
    with pytest.raises(InvalidArgument, match="not supported"):
        solve_for("sinha-nn-smoothness", "n_layers", target=1)


def test_integer_unknown_beyond_2_53_is_the_exact_boundary_integer():
    # bound = 4 sigma sqrt(L_phi Delta_F / T) = 4 / sqrt(T) <= 3e-9 iff T >= 16e18 / 9
    # = 1777777777777777777.77... (hand): the smallest integer is 1777777777777777778, far beyond
    # 2^53 where the float root cannot name it
    inv = solve_for("sinha-thm2", "T", target=sp_rational("3e-9"),
                    values=dict(Delta_F=1, L_phi=1, sigma=1, L_thz=1, L_zz=1, gamma=2))
    assert inv.value == 1777777777777777778 and isinstance(inv.value, int)


def sp_rational(text):
    import sympy as sp

    return sp.Rational(text)


def test_tail_vacuity_flag_uses_the_same_constant_as_the_value():
    # K = 2, n = 16, t = 1, N = 1: tail = 2 exp(-16/(8*4)) = 2 e^-0.5 = 1.213 > 1 (hand): vacuous;
    # tail_hoeffding = 2 exp(-16/(2*4)) = 2 e^-2 = 0.271 (hand): not vacuous
    vals = dict(t=1, n=16, gamma=2, L_zz=1, L_c=1, L_zth=1, K=2, N_cover=1)
    ev = evaluate("sinha-thm4-tail", name="tail", **vals)
    assert ev.value == pytest.approx(2 * math.exp(-0.5), rel=1e-15) and ev.vacuous
    ev = evaluate("sinha-thm4-tail", name="tail_hoeffding", **vals)
    assert ev.value == pytest.approx(2 * math.exp(-2), rel=1e-15) and not ev.vacuous
