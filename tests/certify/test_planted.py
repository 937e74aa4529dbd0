"""The soundness bench with planted narrow maxima (issue 25, item 6).

Each network (checker.certify.planted) hides a spike of known height on a slab about 3 away
from the data. The planted value f(z*) = l(z*) - gamma ||z* - x||^2 is computed by evaluating the
model at one point, independently of the bound engine; by weak duality it is <= phi_gamma(x).
So a *sound* value must be >= it every time, while the gradient-based estimates (the
certificate's own ascent, and an 8-start WRM attack) stay at the clean loss: this is why
*sound* matters. Negative controls (no correction; a shrunk radius) must fall below it.
"""

from __future__ import annotations

import pytest
import torch

from checker.certify import certify
from checker.certify.falsify import lagrangian, wrm_ascent
from checker.certify.local import local_bounds
from checker.certify.planted import PLANTED_ACTIVATIONS, planted_data, planted_net, planted_value
from checker.certify.propagate import chain_net

#: Rounding of the one float64 evaluation that gives the planted value (loss ~ 10, cost ~ 10):
#: a few ulps, far below this.
PLANTED_EVAL_ABS = 1e-12
GAMMA = 0.5
SHAPES = [(2, False), (8, False), (16, True)]  # (input dimension, convolutional)


@pytest.mark.parametrize("d, conv", SHAPES, ids=["mlp-d2", "mlp-d8", "conv-4x4"])
@pytest.mark.parametrize("activation", PLANTED_ACTIVATIONS)
def test_sound_value_is_above_the_planted_spike_and_attacks_miss_it(activation, d, conv):
    net = planted_net(activation=activation, d=d, conv=conv)
    x, y = planted_data(net)
    planted, _ = planted_value(net, x, y, GAMMA)
    clean = torch.nn.functional.cross_entropy(net.model(x), y, reduction="none").detach()
    assert bool((planted > clean + 1.0).all())  # the spike is there and worth finding
    c = certify(net.model, x, y, gamma=GAMMA, hessian=False, bnb_tol=1e-2)
    assert c.sound
    assert bool((c.phi_upper >= planted - PLANTED_EVAL_ABS).all())
    # the estimates do not see it: the certificate's ascent and a multi-start attack
    assert bool((c.phi_lower < planted - 1.0).all())
    z = wrm_ascent(net.model, x, y, gamma=GAMMA, starts=8, steps=100, seed=0)
    assert bool((lagrangian(net.model, z, x, y, GAMMA).detach() < planted - 1.0).all())


@pytest.mark.parametrize("d, conv", SHAPES, ids=["mlp-d2", "mlp-d8", "conv-4x4"])
@pytest.mark.parametrize("activation", PLANTED_ACTIVATIONS)
def test_negative_controls_are_caught(activation, d, conv):
    net = planted_net(activation=activation, d=d, conv=conv)
    x, y = planted_data(net)
    planted, _ = planted_value(net, x, y, GAMMA)
    # no correction: the value printed would be the ascent's lower estimate
    raw = certify(net.model, x, y, gamma=GAMMA, hessian=False, sound=False, max_steps=50)
    assert not raw.sound and raw.surrogate_mean < float(planted.mean()) - 1.0
    # a shrunk radius (an unproved ball that misses the slab) gives a bound below the spike
    cn = chain_net(net.model, tuple(x.shape[1:]))
    n = x.shape[0]
    shrunk = local_bounds(cn, x.reshape(n, -1), y, x.reshape(n, -1), gamma=GAMMA, bnb=False,
                          radius_scale=1e-3)
    assert bool((shrunk.phi_upper < planted - 1.0).all())
    full = local_bounds(cn, x.reshape(n, -1), y, x.reshape(n, -1), gamma=GAMMA, bnb=False)
    assert bool((full.phi_upper >= planted - PLANTED_EVAL_ABS).all())  # the positive control
