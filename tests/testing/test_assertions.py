"""checker.testing's assertions: each refutes a false claim with a replayable counterexample
(negative controls) and accepts a true one whose value is known independently."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from checker.testing import (CounterexampleFound, assert_certificate_sound, assert_fools,
                             assert_phi_bound, assert_support_at_least, assert_support_at_most,
                             effort_for, gammas, nets_with_points)

QUICK = effort_for("ci")
#: Largest gap allowed between the quick attack's lower bound and a sound certificate's upper
#: bound on E_n[phi_gamma] (the README's "within 1e-4 of the best attack" on the synthetic task).
ATTACK_GAP = 1e-4


def _zero_net():
    """Logits identically 0: the cross-entropy is log 2 at every z, so phi_gamma(x) = log 2
    exactly (the sup of log 2 - gamma ||z - x||^2 is attained at z = x)."""
    net = torch.nn.Sequential(torch.nn.Linear(2, 2)).double()
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.zero_()
    return net


def _data(n=5, d=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64), torch.randint(0, 2, (n,), generator=g)


def test_phi_bound_exact_value_is_accepted_and_anything_below_refuted():
    x, y = _data()
    # reference value log 2: the closed form above, not computed by checker
    assert assert_phi_bound(_zero_net(), x, y, gamma=1.0, claimed=math.log(2), effort=QUICK) == pytest.approx(math.log(2), abs=1e-15)
    with pytest.raises(CounterexampleFound, match=r"claimed E_n\[φ_γ\] ≤ 0.6931461806 at γ = 1 is false") as info:
        assert_phi_bound(_zero_net(), x, y, gamma=1.0, claimed=math.log(2) - 1e-6, effort=QUICK)
    cex = info.value.counterexample
    assert cex.lower == pytest.approx(math.log(2), abs=1e-15)
    assert isinstance(info.value, AssertionError)


def _replayed_terms(model, z, x, y, gamma):
    """loss(z) - gamma ||z - x||^2 per example, computed here with torch's own cross-entropy."""
    with torch.no_grad():
        loss = torch.nn.functional.cross_entropy(model(z), y, reduction="none")
    return loss - gamma * ((z - x) ** 2).sum(dim=1)


def test_a_claim_of_the_clean_loss_is_beaten_and_the_witness_replays():
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    x, y = _data(6)
    with torch.no_grad():
        clean = float(torch.nn.functional.cross_entropy(net(x), y))
    with pytest.raises(CounterexampleFound) as info:
        assert_phi_bound(net, x, y, gamma=1.0, claimed=clean, effort=QUICK)
    cex = info.value.counterexample
    terms = _replayed_terms(net, cex.z, x, y, 1.0)
    assert float(terms.mean()) > clean
    assert torch.allclose(terms, cex.values, rtol=0, atol=1e-12)
    msg = str(info.value)
    assert "example" in msg and "z = [" in msg and "wrm ascent" in msg


@given(case=nets_with_points(max_n=4), gamma=gammas(min_value=1.0, max_value=10.0))
def test_a_sound_certificate_is_never_beaten(case, gamma):
    """Cross-check of two parts of checker: the attack must never exceed a sound certificate's
    E_n[phi^sound] (an upper bound), nor its line gamma rho + E_n[phi]."""
    from checker.certify import certify

    spec, x, y = case
    net = spec.build()
    cert = certify(net, x, y, gamma=gamma, hessian=False)
    if not cert.sound:
        return
    lower = assert_phi_bound(net, x, y, gamma=gamma, claimed=cert.surrogate_mean, effort=QUICK)
    # and the attack is strong: its lower bound meets the sound upper bound (a sandwich of
    # E_n[phi_gamma]; the gap is the certificate's rounding and branch-and-bound slack)
    assert cert.surrogate_mean - lower <= ATTACK_GAP, (cert.surrogate_mean, lower)
    assert_certificate_sound(cert, net, x, y, effort=QUICK)


def test_a_users_certificate_function_that_claims_too_little_is_refuted():
    x, y = _data(8)
    with pytest.raises(CounterexampleFound, match="certificate is not sound") as info:
        assert_certificate_sound(lambda rho: 0.5, _zero_net(), x, y, effort=QUICK)
    cex = info.value.counterexample
    assert cex.loss_mean == pytest.approx(math.log(2), abs=1e-12) and cex.bound == 0.5
    # and the true constant log 2 (loss of the zero net everywhere) is accepted
    assert assert_certificate_sound(lambda rho: math.log(2), _zero_net(), x, y, effort=QUICK) >= -1e-12


def test_fools_accepts_identical_joint_distributions_and_refutes_a_constant_generator():
    from checker.gan.construction import build_pair

    pair = build_pair(dataset="synthetic", d=6, d_tilde=2, m=4, seed=1)
    # real = G(z') for fresh z' and E(G(z')) = z' exactly: both sides are (G(z), z), so no
    # discriminator has a gap beyond sampling noise.
    same = dict(encoder=pair.encoder, generator=pair.ideal_generator,
                sample_real=lambda n, generator: pair.sample(n, generator=generator, ideal=True),
                sample_codes=pair.sample_codes)
    assert assert_fools(eps=0.05, n_test=4000, effort=QUICK, **same) < 0.05
    const = dict(same, generator=lambda z: torch.zeros(z.shape[0], 6, dtype=torch.float64))
    with pytest.raises(CounterexampleFound, match="does not 0.05-fool") as info:
        assert_fools(eps=0.05, n_test=4000, effort=QUICK, **const)
    assert info.value.counterexample.gap_ci_low > 0.05


def test_support_assertions_on_a_source_uniform_over_100_images():
    from checker.birthday.sources import uniform_source

    src = uniform_source(100, d=16, seed=0)
    thr = 0.2  # noise 0.02 * sqrt(16) = 0.08 between copies; distinct atoms are ~1.6 apart
    est = assert_support_at_least(src, 20, threshold=thr)
    assert est.low <= 100 <= est.high  # the true support 100 lies in the interval
    assert_support_at_most(src, 1000, threshold=thr)
    with pytest.raises(CounterexampleFound, match="support ≤ 20 is refuted"):
        assert_support_at_most(src, 20, threshold=thr)
    with pytest.raises(CounterexampleFound, match="support ≥ 1000 is refuted") as info:
        assert_support_at_least(src, 1000, threshold=thr)
    assert info.value.counterexample.collisions > 0


@pytest.mark.parametrize("bad", [dict(gamma=0.0), dict(gamma=-1.0), dict(claimed=float("nan"))])
def test_bad_arguments_name_the_argument(bad):
    from checker.errors import InvalidArgument

    x, y = _data()
    kw = dict(gamma=1.0, claimed=1.0) | bad
    with pytest.raises(InvalidArgument, match=next(iter(bad))):
        assert_phi_bound(_zero_net(), x, y, **kw)
