"""Hypothesis strategies for the certificate tests: small smooth networks built from drawn
weights (so failures shrink to small weights), data points and penalties."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

__all__ = ["NetSpec", "net_specs", "build", "points"]

ACTIVATIONS = ("elu", "tanh", "softplus", "sigmoid")

_weight = st.floats(min_value=-1.5, max_value=1.5, allow_nan=False, allow_infinity=False, width=64)


@dataclass(frozen=True)
class NetSpec:
    """A drawn network: layer widths, activation, weights and biases (nested lists)."""

    in_features: int
    widths: tuple[int, ...]
    activation: str
    weights: tuple
    biases: tuple

    def __repr__(self) -> str:  # shown by Hypothesis on failure
        return (f"NetSpec(in={self.in_features}, widths={self.widths}, act={self.activation!r}, "
                f"weights={self.weights}, biases={self.biases})")


@st.composite
def net_specs(draw, *, in_features=st.sampled_from([1, 2]), max_hidden_layers: int = 2,
              max_width: int = 4, n_classes: int = 2):
    d = draw(in_features)
    hidden = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_hidden_layers))
    act = draw(st.sampled_from(ACTIVATIONS))
    widths = (*hidden, n_classes)
    weights, biases, fan_in = [], [], d
    for w in widths:
        weights.append(tuple(tuple(draw(_weight) for _ in range(fan_in)) for _ in range(w)))
        biases.append(tuple(draw(_weight) for _ in range(w)))
        fan_in = w
    return NetSpec(in_features=d, widths=tuple(widths), activation=act, weights=tuple(weights),
                   biases=tuple(biases))


def build(spec: NetSpec):
    """The float64 ``nn.Sequential`` of ``spec`` (activation after every hidden layer)."""
    import torch
    import torch.nn as nn

    act = {"elu": nn.ELU, "tanh": nn.Tanh, "softplus": nn.Softplus, "sigmoid": nn.Sigmoid}[spec.activation]
    layers = []
    fan_in = spec.in_features
    for i, (w, b) in enumerate(zip(spec.weights, spec.biases)):
        lin = nn.Linear(fan_in, len(w)).to(torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w, dtype=torch.float64))
            lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
        layers.append(lin)
        if i < len(spec.weights) - 1:
            layers.append(act())
        fan_in = len(w)
    return nn.Sequential(*layers)


@st.composite
def points(draw, d: int, *, min_n: int = 1, max_n: int = 6, n_classes: int = 2):
    """``(x, y)``: ``n`` float64 points in ``[-3, 3]^d`` and labels."""
    import torch

    n = draw(st.integers(min_n, max_n))
    coord = st.floats(min_value=-3, max_value=3, allow_nan=False, width=64)
    xs = [[draw(coord) for _ in range(d)] for _ in range(n)]
    ys = [draw(st.integers(0, n_classes - 1)) for _ in range(n)]
    return torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.int64)


@st.composite
def nets_with_points(draw, *, in_features=st.sampled_from([1, 2]), max_n: int = 6):
    """``(spec, x, y)``: a drawn network and data points of matching dimension."""
    spec = draw(net_specs(in_features=in_features))
    x, y = draw(points(spec.in_features, max_n=max_n))
    return spec, x, y


def zero_network_case():
    """The all-zero 1-1-2 ELU network at x = 0 (L_zz bound 0): a Hypothesis regression."""
    import torch

    spec = NetSpec(in_features=1, widths=(1, 2), activation="elu", weights=(((0.0,),), ((0.0,), (0.0,))),
                   biases=((0.0,), (0.0, 0.0)))
    return spec, torch.tensor([[0.0]], dtype=torch.float64), torch.tensor([0])
