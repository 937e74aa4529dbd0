"""Hypothesis strategies for the certificate tests: small smooth networks built from drawn
weights (so failures shrink to small weights), data points and penalties."""

from __future__ import annotations

# The strategies live in the public testing API (checker.testing.strategies); the project's own
# tests use it, as a user's would.
from checker.testing.strategies import NetSpec, build, net_specs, nets_with_points, points

__all__ = ["NetSpec", "net_specs", "build", "points", "nets_with_points", "zero_network_case"]


def zero_network_case():
    """The all-zero 1-1-2 ELU network at x = 0 (L_zz bound 0): a Hypothesis regression."""
    import torch

    spec = NetSpec(in_features=1, widths=(1, 2), activation="elu", weights=(((0.0,),), ((0.0,), (0.0,))),
                   biases=((0.0,), (0.0, 0.0)))
    return spec, torch.tensor([[0.0]], dtype=torch.float64), torch.tensor([0])
