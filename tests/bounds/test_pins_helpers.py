"""Pins of the numeric helpers of the statement modules (issue 17, bounds mutants): the
smoothness recursion of Corollary 4 and its argument checks, the construction counts, the ramp,
the explicit m* helpers of Theorem 1. References are hand derivations (stated next to each) from
docs/math/sinha.md (Corollary 4) and docs/math/arora-thm1.md.
"""

from __future__ import annotations

import math

import pytest

from checker.bounds.arora_construction import (encoder_nonzeros, generator_param_count,
                                               ramp_mass_bound, ramp_width)
from checker.bounds.arora_thm1 import (explicit_eps, mcdiarmid_failure_probability, mcdiarmid_m,
                                       mstar, mstar_failure_probability, paper_m)
from checker.bounds.sinha_nn_smoothness import (SmoothnessConstants, activation_constants,
                                                corollary4_tight_lzz, smoothness_constants,
                                                smoothness_for_activation)
from tests.bounds.helpers import raises



# -- Corollary 4 recursion --------------------------------------------------------------------

def test_two_layer_recursion_by_hand():
    # layer 1: ||theta||=3, L0=1/2, L1=1/4; layer 2: ||theta||=5, L0=2, L1=3 (exact binary floats)
    # alpha_1 = 1/2*3 = 3/2, beta_1 = 0 + (1/4)/(1/4) * (3/2)^2 = 9/4
    # alpha_2 = 2*5*3/2 = 15, beta_2 = 2*5*9/4 + 3/4 * 15^2 = 45/2 + 675/4 = 765/4
    res = smoothness_constants([3.0, 5.0], [0.5, 2.0], [0.25, 3.0])
    assert res.alphas == (1.0, 1.5, 15.0)
    assert res.betas == (0.0, 2.25, 191.25)
    assert res.lzz_bound == math.sqrt(2.0) * 191.25 + 225.0           # sqrt2 beta + alpha^2
    assert res.lzz_bound_tight == math.sqrt(2.0) * 191.25 + 112.5     # sqrt2 beta + alpha^2/2
    assert corollary4_tight_lzz([3.0, 5.0], [0.5, 2.0], [0.25, 3.0]) == res.lzz_bound_tight
    assert res.op_norms == (3.0, 5.0) and res.L0 == (0.5, 2.0) and res.L1 == (0.25, 3.0)
    assert res.notes == ()


def test_zero_norm_layer_and_overflow_note():
    res = smoothness_constants([0.0, 2.0], [1.0, 1.0], [1.0, 1.0])
    assert res.alphas == (1.0, 0.0, 0.0) and res.lzz_bound == 0.0 and res.notes == ()
    # 4 linear layers (L1 = 0) of norm 1e100: alpha_L = 1e400 overflows, beta_L = 0 exactly
    # (no curvature), so the bound alpha_L^2 is +inf (not nan); the note gives log10 alpha = 400
    res = smoothness_constants([1e100] * 4, [1.0] * 4, [0.0] * 4)
    assert res.betas == (0.0,) * 5
    assert res.lzz_bound == math.inf and res.lzz_bound_tight == math.inf
    assert res.notes and res.notes[0].startswith("alpha_L ~ 10^400:")


def test_smoothness_argument_checks():
    raises("op_norms", "at least one layer", smoothness_constants, [], [], [])
    raises("op_norms", "sequence of numbers", smoothness_constants, "12", [1.0], [1.0])
    raises("op_norms", "sequence of numbers", smoothness_constants, 3.0, [1.0], [1.0])
    raises("op_norms[1]", "must be >= 0", smoothness_constants, [1.0, -1.0], [1, 1], [1, 1])
    raises("L0[0]", "must be > 0", smoothness_constants, [1.0], [0.0], [1.0])
    raises("L0[0]", "must be > 0", smoothness_constants, [1.0], [-1.0], [1.0])
    raises("L1[0]", "must be >= 0", smoothness_constants, [1.0], [1.0], [-0.5])
    assert smoothness_constants([1.0], [1.0], [0.0]).betas == (0.0, 0.0)   # L1 = 0 allowed
    raises("op_norms[0]", "finite", smoothness_constants, [math.nan], [1.0], [1.0])
    e = raises("L0", "one entry per layer (2)", smoothness_constants, [1.0, 2.0], [1.0, 1.0],
               [1.0])
    assert "got 1" in e.rule
    raises("L0", "one entry per layer", smoothness_constants, [1.0, 2.0], [1.0], [1.0, 1.0])
    raises("alphas", "must have 2 entries", SmoothnessConstants, alphas=(1.0,), betas=(0.0,),
           lzz_bound=0.0, op_norms=(1.0,), L0=(1.0,), L1=(1.0,))
    # generators (no len) are accepted
    assert smoothness_constants((x for x in [2.0]), [1.0], [0.0]).alphas == (1.0, 2.0)


def test_activation_helpers():
    assert activation_constants("ELU") == (1.0, 1.0)
    assert activation_constants("softplus") == (1.0, 0.25)
    raises("activation", "no Lipschitz derivative", activation_constants, "relu")
    # per-layer list: elu then identity. alpha_1 = 2, beta_1 = 1 * 4 = 4; alpha_2 = 3 * 2 = 6,
    # beta_2 = 3 * 4 + 0 = 12
    res = smoothness_for_activation([2.0, 3.0], ["elu", "identity"])
    assert res.alphas == (1.0, 2.0, 6.0) and res.betas == (0.0, 4.0, 12.0)
    res = smoothness_for_activation([2.0, 3.0], "elu")     # one name for every layer
    assert res.betas == (0.0, 4.0, 3 * 4.0 + 36.0)
    raises("activation", "one activation per layer (2)", smoothness_for_activation, [2.0, 3.0],
           ["elu"])


# -- Arora construction ---------------------------------------------------------------------

def test_construction_helpers():
    # 2(m-1)(d - d~ + 2) + d at m = 4, d = 10, d~ = 3: 2*3*9 + 10 = 64
    assert generator_param_count(4, 10, 3) == 64 and type(generator_param_count(4, 10, 3)) is int
    assert generator_param_count(1, 5, 5) == 5                  # d~ = d allowed; m = 1: only d
    raises("d_tilde", "must be <= d=5", generator_param_count, 2, 5, 6)
    raises("m", ">= 1", generator_param_count, 0, 5, 2)
    raises("d", ">= 1", generator_param_count, 1, 0, 2)
    raises("d_tilde", ">= 1", generator_param_count, 1, 5, 0)
    assert encoder_nonzeros(7) == 7 and encoder_nonzeros(7, relu=True) == 28
    raises("d_tilde", ">= 1", encoder_nonzeros, 0)
    # delta = sqrt(2 pi) eps / (8 Delta (m - 1)); m = 3, eps = 1, Delta = 2: sqrt(2 pi)/32
    assert ramp_width(1.0, 2.0, 3) == pytest.approx(math.sqrt(2 * math.pi) / 32, rel=1e-15)
    assert ramp_width(1.0, 2.0, 1) == math.inf
    raises("eps", "must be > 0", ramp_width, 0.0, 2.0, 1)      # still validated at m = 1
    raises("m", ">= 1", ramp_width, 1.0, 2.0, 0)
    # mass (m - 1) delta / sqrt(2 pi) at m = 3, delta = sqrt(2 pi)/32 -> 1/16
    assert ramp_mass_bound(3, math.sqrt(2 * math.pi) / 32) == pytest.approx(1 / 16, rel=1e-15)


# -- Arora Theorem 1 helpers ------------------------------------------------------------------

def test_theorem1_helpers_by_hand():
    # paper m: C p Delta^2 ln^2(p Delta L L_phi/eps)/eps^2 = 2 * 3 * 4 * ln(3*2*1*1/0.5)^2/0.25
    assert paper_m(3, 2.0, 1.0, 1.0, 0.5, C=2) == pytest.approx(96 * math.log(12) ** 2,
                                                                rel=1e-14)
    assert paper_m(3, 2.0, 1.0, 1.0, 0.5) == pytest.approx(48 * math.log(12) ** 2, rel=1e-14)
    # m* = ceil(8 (p ln 17 + ln(2/delta))) + 1 at Delta = L = L_phi = eps = R = 1
    assert mstar(1, 1, 1, 1, 1) == math.ceil(8 * (math.log(17) + math.log(2))) + 1 == 30
    assert mstar(1, 1, 1, 1, 1, fail_prob=0.5) == math.ceil(8 * (math.log(17) + math.log(4))) + 1
    # R = 2: cover 1 + 32 = 33
    assert mstar(1, 1, 1, 1, 1, R=2) == math.ceil(8 * (math.log(33) + math.log(2))) + 1
    # failure bound 2 * 17^p e^{-m/8} at m = 40, p = 1
    assert mstar_failure_probability(40, 1, 1, 1, 1, 1) == pytest.approx(
        34 * math.exp(-5), rel=1e-14)
    assert mstar_failure_probability(40, 1, 1, 1, 1, 1, R=2) == pytest.approx(
        66 * math.exp(-5), rel=1e-14)
    # McDiarmid: ceil(32 (p ln 17 + ln 16)) + 1; failure 17^p * 16 e^{-m/32}
    assert mcdiarmid_m(1, 1, 1, 1, 1) == math.ceil(32 * (math.log(17) + math.log(16))) + 1
    assert mcdiarmid_m(1, 1, 1, 1, 1, R=2) == math.ceil(32 * (math.log(33) + math.log(16))) + 1
    assert mcdiarmid_failure_probability(64, 1, 1, 1, 1, 1) == pytest.approx(
        17 * 16 * math.exp(-2), rel=1e-14)
    assert mcdiarmid_failure_probability(64, 1, 1, 1, 1, 1, R=2) == pytest.approx(
        33 * 16 * math.exp(-2), rel=1e-14)


def test_explicit_eps_contract_and_checks():
    # the returned float e satisfies m*(e) <= m and m*(previous float) > m (mstar computed by
    # the exact-integer helper, which the hand values above pin)
    for m, kw in ((30, {}), (100, dict(R=2)), (1000, dict(fail_prob=0.1))):
        e = explicit_eps(m, 1, 1.0, 1.0, 1.0, **kw)
        assert mstar(1, 1.0, 1.0, 1.0, e, **kw) <= m
        assert mstar(1, 1.0, 1.0, 1.0, math.nextafter(e, 0), **kw) > m
    # at m = 30 and eps = 1 m* = 30 exactly (hand value above), so e <= 1
    assert explicit_eps(30, 1, 1.0, 1.0, 1.0) <= 1.0
    raises("m", "must be >= 2", explicit_eps, 1, 1, 1.0, 1.0, 1.0)
    raises("m", ">= 1", explicit_eps, 0, 1, 1.0, 1.0, 1.0)
    raises("Delta", "must be > 0", explicit_eps, 30, 1, 0.0, 1.0, 1.0)
    # m = 2 is below m* even at the largest eps? m* -> ceil(8 Delta^2/eps^2 (...)) + 1 -> 2 as
    # eps -> oo with ln terms ~ 16RLL_phi/eps, so m = 2 is met at a large finite eps
    e2 = explicit_eps(2, 1, 1.0, 1.0, 1.0)
    assert mstar(1, 1.0, 1.0, 1.0, e2) == 2 and mstar(1, 1.0, 1.0, 1.0,
                                                      math.nextafter(e2, 0)) > 2


def test_closed_form_sequences_carry_their_sign_assumptions():
    # (21) is stated for operator norms and L0 > 0 and L1 >= 0 (sympy simplifies with these)
    from checker.bounds.sinha_nn_smoothness import L0, L1, op

    assert op[1].is_positive is True and L0[1].is_positive is True
    assert L1[1].is_nonnegative is True and L1[1].is_positive is None
