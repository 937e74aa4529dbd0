"""The sound convnet certificate, property-tested through the public testing API only
(``checker.testing``: its ``ConvSpec`` networks and its assertions), as a user would test a model of their own.

Two parts of checker meet here: the certificate's sound per-example bounds (interval and
gradient propagation through ``Conv2d``) and the attacks of ``assert_certificate_sound`` and
``assert_phi_bound``, which never read the certificate's internals. A negative control shows the
same assertion catching a certificate whose bounds were lowered."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from checker.certify import certify
from checker.testing import (ConvSpec, CounterexampleFound, assert_certificate_sound, assert_phi_bound,
                             effort_for)

QUICK = effort_for("ci")

#: Convnets written as the public ``ConvSpec`` (the dataclass ``checker.testing.conv_specs``
#: draws): one per smooth activation, varied shapes, kernels, weight scales and penalties. A
#: fixed list, not a Hypothesis draw: each case certifies soundly (seconds) and runs two attacks,
#: and the suite's profiles would draw 60 of them.
CASES = [
    (ConvSpec(input_shape=(1, 5, 5), channels=2, kernel=3, activation="elu", n_classes=2, seed=11, scale=1.0), 2.0),
    (ConvSpec(input_shape=(2, 4, 3), channels=1, kernel=2, activation="tanh", n_classes=2, seed=12, scale=3.0), 8.0),
    (ConvSpec(input_shape=(1, 3, 4), channels=2, kernel=1, activation="softplus", n_classes=2, seed=13, scale=0.25), 40.0),
    (ConvSpec(input_shape=(1, 4, 4), channels=2, kernel=2, activation="sigmoid", n_classes=2, seed=14, scale=3.0), 4.0),
]


@pytest.mark.parametrize("spec, gamma", CASES, ids=[c[0].activation for c in CASES])
def test_no_attack_beats_a_sound_convnet_certificate(spec, gamma):
    model = spec.build()
    gen = torch.Generator().manual_seed(spec.seed)
    x = torch.rand((3,) + spec.input_shape, dtype=torch.float64, generator=gen) * 2 - 1
    y = torch.tensor([0, 1, 1])
    cert = certify(model, x, y, gamma=gamma, hessian=False, max_steps=300)
    assert cert.sound, cert.reason  # each case is in the sound path; an estimate would make this vacuous
    assert_certificate_sound(cert, model, x, y, effort=QUICK)
    assert_phi_bound(model, x, y, gamma=gamma, claimed=cert.surrogate_mean, effort=QUICK)


def test_negative_control_a_lowered_convnet_certificate_is_caught():
    spec = ConvSpec(input_shape=(1, 4, 4), channels=2, kernel=2, activation="elu", n_classes=2, seed=3, scale=3.0)
    model = spec.build()
    gen = torch.Generator().manual_seed(0)
    x = torch.rand((3, 1, 4, 4), dtype=torch.float64, generator=gen) * 2 - 1
    y = torch.tensor([0, 1, 0])
    cert = certify(model, x, y, gamma=5.0, hessian=False, max_steps=300)
    assert cert.sound
    assert_certificate_sound(cert, model, x, y, effort=QUICK)
    # lower every per-example bound to the clean loss minus a margin: the attack must find the
    # points that beat it (the loss at x itself already does)
    with torch.no_grad():
        clean = torch.nn.functional.cross_entropy(model(x), y, reduction="none")
    lowered = dataclasses.replace(cert, phi_upper=clean - 0.05, surrogate_mean=float((clean - 0.05).mean()))
    with pytest.raises(CounterexampleFound, match="certificate is not sound"):
        assert_certificate_sound(lowered, model, x, y, effort=QUICK)
