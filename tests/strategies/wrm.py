"""Hypothesis strategies for the WRM tests: problems and networks built from drawn numbers,
so failures shrink to small weights that can be pasted into ``@example``."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from hypothesis import strategies as st

__all__ = ["LinearProblem", "linear_problems", "small_mlps", "inputs_for"]

_coord = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False)


@dataclass(frozen=True)
class LinearProblem:
    theta: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    gamma: float


@st.composite
def linear_problems(draw, *, max_dim: int = 4, max_n: int = 4, min_margin: float = 0.1,
                    max_margin: float = 2.0):
    """θ, x, y and γ = ||θ||²/2 + margin (the strongly concave regime of §8.4)."""
    m = draw(st.integers(1, max_dim))
    n = draw(st.integers(1, max_n))
    theta = torch.tensor(draw(st.lists(_coord, min_size=m, max_size=m)), dtype=torch.float64)
    x = torch.tensor(draw(st.lists(st.lists(_coord, min_size=m, max_size=m), min_size=n, max_size=n)),
                     dtype=torch.float64)
    y = torch.tensor(draw(st.lists(_coord, min_size=n, max_size=n)), dtype=torch.float64)
    margin = draw(st.floats(min_value=min_margin, max_value=max_margin))
    return LinearProblem(theta=theta, x=x, y=y, gamma=float(theta @ theta) / 2 + margin)


@st.composite
def small_mlps(draw, *, in_features: int = 2, hidden: tuple[int, ...] = (3,), n_classes: int = 2,
               activation=None):
    """A ``checker.wrm.models.mlp`` whose weights and biases are drawn (float64)."""
    from checker.wrm.models import mlp

    act = activation or draw(st.sampled_from(["elu", "tanh", "softplus", "relu"]))
    model = mlp(in_features, hidden, act, n_classes)
    w = st.floats(min_value=-1.5, max_value=1.5, allow_nan=False)
    with torch.no_grad():
        for p in model.parameters():
            vals = draw(st.lists(w, min_size=p.numel(), max_size=p.numel()))
            p.copy_(torch.tensor(vals, dtype=torch.float64).reshape(p.shape))
    return model


@st.composite
def inputs_for(draw, *, n_min: int = 1, n_max: int = 5, in_features: int = 2, n_classes: int = 2):
    n = draw(st.integers(n_min, n_max))
    x = torch.tensor(draw(st.lists(st.lists(_coord, min_size=in_features, max_size=in_features),
                                   min_size=n, max_size=n)), dtype=torch.float64)
    y = torch.tensor(draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)),
                     dtype=torch.int64)
    return x, y
