"""Soundness of the certificate against attacks (the heart of the certificate checks), with a
negative control showing that the same attacks do find violations of an unsound certificate.

Every attack distribution P (points z_i) is feasible at radius rho_attack = mean ||z_i - x_i||^2,
so weak duality (docs/math/sinha.md, Theorem 3) requires E_P l <= gamma rho_attack + E_n phi_sound, and
pointwise l(z_i) - gamma ||z_i - x_i||^2 <= phi_sound_i.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.certify import certify
from checker.certify.experiments import random_smooth_net, sound_gamma
from checker.certify.falsify import falsify, grid_search, pgm_l2, random_search, wrm_ascent
from checker.certify.smoothness import network_smoothness
from checker.errors import InvalidArgument
from tests.strategies.certify import build, net_specs, nets_with_points, points


# The heart of the soundness checks: more examples than the profile's default (never fewer).
@settings(max_examples=max(200, settings.default.max_examples))
@given(spec=net_specs(), data=st.data(), factor=st.floats(1.02, 3.0), seed=st.integers(0, 2**16))
def test_no_attack_exceeds_the_sound_certificate(spec, data, factor, seed):
    model = build(spec)
    x, y = data.draw(points(spec.in_features, max_n=5))
    lzz = network_smoothness(model, (spec.in_features,)).lzz_bound
    gamma = factor * max(lzz, 1e-3) / 2
    cert = certify(model, x, y, gamma=gamma, hessian=False, max_steps=500)
    assert cert.sound, cert.reason
    rep = falsify(cert, model, x, y, seed=seed, quick=True)
    kinds = {o.attack.split("[")[0] for o in rep.outcomes}
    assert kinds == {"wrm", "pgm", "random", "grid"}
    assert not rep.violated, [o for o in rep.outcomes if o.violated]


@pytest.mark.parametrize("d, act, seed", [(5, "elu", 0), (10, "tanh", 1), (8, "softplus", 2)])
def test_no_attack_exceeds_the_sound_certificate_higher_dimensions(d, act, seed):
    model = random_smooth_net(seed=seed, in_features=d, hidden=(6, 4), activation=act, scale=1.5)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(12, d, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 2, (12,), generator=gen)
    cert = certify(model, x, y, gamma=sound_gamma(model, d, factor=1.1), hessian=False)
    assert cert.sound
    rep = falsify(cert, model, x, y, seed=seed, quick=True)
    assert {o.attack.split("[")[0] for o in rep.outcomes} == {"wrm", "pgm", "random"}  # no grid
    assert not rep.violated, rep.summary


@pytest.mark.parametrize("seed, act", [(0, "elu"), (1, "tanh"), (2, "softplus"), (3, "elu")])
def test_negative_control_attacks_find_violations(seed, act):
    # Correction off + solver truncated to one (short) step: phi is underestimated, and the very
    # same attacks must expose it. This shows the soundness tests can fail.
    model = random_smooth_net(seed=seed, activation=act, scale=1.5)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(10, 2, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 2, (10,), generator=gen)
    gamma = sound_gamma(model, 2, factor=1.2)
    bad = certify(model, x, y, gamma=gamma, sound=False, inner_steps=1, step_size=0.1 / (2 * gamma),
                  hessian=False)
    assert not bad.sound
    rep = falsify(bad, model, x, y, seed=seed, quick=True)
    assert rep.violated and rep.worst_pointwise_margin < -1e-6, rep.summary
    # The same truncated solver WITH the sound correction is not exceeded.
    good = certify(model, x, y, gamma=gamma, inner_steps=1, step_size=0.1 / (2 * gamma), hessian=False)
    assert good.sound
    assert not falsify(good, model, x, y, seed=seed, quick=True).violated


def test_attacks_respect_their_budgets_and_improve_on_the_clean_points():
    from checker.certify.falsify import lagrangian
    from checker.wrm.inner import default_loss, transport_cost

    model = random_smooth_net(seed=5, scale=2.0)
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(20, 2, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 2, (20,), generator=gen)
    z = pgm_l2(model, x, y, eps=0.3, steps=30)
    assert float(transport_cost(z, x).max()) <= 0.09 * (1 + 1e-12)
    with torch.no_grad():
        assert float(default_loss(model(z), y).mean()) > float(default_loss(model(x), y).mean())
    f0 = lagrangian(model, x, x, y, 1.0)
    for zz in (wrm_ascent(model, x, y, gamma=1.0, starts=3, steps=50),
               random_search(model, x, y, gamma=1.0, samples=60),
               grid_search(model, x, y, gamma=1.0, points=31)):
        assert bool((lagrangian(model, zz, x, y, 1.0) >= f0 - 1e-15).all())


def test_falsify_rejects_bad_input():
    model = random_smooth_net(seed=0)
    x = torch.zeros(4, 2, dtype=torch.float64)
    y = torch.tensor([0, 1, 0, 1])
    cert = certify(model, x, y, gamma=sound_gamma(model, 2), hessian=False)
    with pytest.raises(InvalidArgument, match="attack='pgd'"):
        falsify(cert, model, x, y, attacks=("pgd",))
    with pytest.raises(InvalidArgument, match="must be the certificate's 4 examples"):
        falsify(cert, model, x[:2], y[:2])
    with pytest.raises(InvalidArgument, match="1 or 2 features"):
        grid_search(model, torch.zeros(2, 3, dtype=torch.float64), y[:2], gamma=1.0)


@given(case=nets_with_points(max_n=5), eps=st.floats(0.01, 2.0),
       factors=st.lists(st.floats(1.05, 6.0), min_size=1, max_size=3))
def test_weak_duality_for_every_sound_gamma(case, eps, factors):
    # One attack distribution (l2-PGM at radius eps, transport cost rho_attack) must lie under the
    # certificate line of EVERY sound gamma: E l <= gamma rho_attack + E phi_gamma (weak duality).
    from checker.certify.falsify import evaluate_attack

    spec, x, y = case
    model = build(spec)
    # Corollary 4's path with the tightened constant (CE curvature 1/2): the attacks test it
    lzz = max(network_smoothness(model, (spec.in_features,)).lzz_bound_tight, 1e-3)
    z = pgm_l2(model, x, y, eps=eps, steps=30)
    for f in factors:
        cert = certify(model, x, y, gamma=f * lzz / 2, hessian=False, max_steps=300, method="global")
        assert cert.sound and cert.argument == "global"
        out = evaluate_attack(cert, model, x, y, z, name="pgm")
        assert not out.violated, out


def _small_conv_net(seed):
    import torch.nn as nn

    gen = torch.Generator().manual_seed(seed)
    net = nn.Sequential(nn.ZeroPad2d(1), nn.Conv2d(1, 3, 3, stride=2), nn.Tanh(), nn.Flatten(),
                        nn.Linear(27, 2)).double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * 0.5)
    return net


@pytest.mark.parametrize("seed", [0, 1])
def test_conv_net_bound_dominates_exact_hessians_and_resists_attacks(seed):
    from checker.wrm.inner import default_loss

    net = _small_conv_net(seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(6, 1, 5, 5, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 2, (6,), generator=gen)
    sb = network_smoothness(net, (1, 5, 5))
    assert sb.supported
    for i in range(6):  # exact 25 x 25 input Hessians (independent of the bound)
        h = torch.autograd.functional.hessian(
            lambda z: default_loss(net(z.reshape(1, 1, 5, 5)), y[i:i + 1]).sum(), x[i].reshape(-1))
        assert float(torch.linalg.eigvalsh(h).abs().max()) <= sb.lzz_bound_tight <= sb.lzz_bound
    cert = certify(net, x, y, gamma=0.6 * sb.lzz_bound_tight, method="global")  # Corollary 4 path
    assert cert.sound and cert.argument == "global"
    assert not falsify(cert, net, x, y, seed=seed, quick=True).violated
    # since issue 25 convolutions are in the per-example path too (the default)
    local = certify(net, x, y, gamma=0.6 * sb.lzz_bound_tight)
    assert local.sound and local.argument == "local"
    assert local.surrogate_mean <= cert.surrogate_mean + 1e-9 * abs(cert.surrogate_mean)
    assert not falsify(local, net, x, y, seed=seed, quick=True).violated
