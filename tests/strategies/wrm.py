"""Hypothesis strategies for the WRM tests: problems and networks built from drawn numbers,
so failures shrink to small weights that can be pasted into ``@example``."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from hypothesis import strategies as st

__all__ = ["LinearProblem", "linear_problems", "small_mlps", "inputs_for", "mlp_problems", "INPUT_SHAPES"]

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


#: Input shapes drawn by :func:`mlp_problems`: flat vectors of several sizes up to the MNIST
#: shape, and image-shaped batches (a Flatten layer is put in front of the MLP).
INPUT_SHAPES = ((1,), (2,), (3,), (10,), (64,), (1, 8, 8), (784,), (1, 28, 28))


@st.composite
def mlp_problems(draw, *, n_min: int = 1, n_max: int = 4, shapes=INPUT_SHAPES):
    """``(model, x, y)``: an MLP of depth 1-3 and width 1-8 with 2-10 classes and a drawn
    activation, on inputs of a drawn shape (up to 1x28x28), all float64.

    Weights and inputs come from a drawn seed (too many numbers to draw one by one for the
    large shapes), scaled by a drawn factor so that flat and steep regions both occur."""
    from checker.wrm.models import mlp

    shape = draw(st.sampled_from(shapes))
    d = 1
    for s in shape:
        d *= s
    hidden = tuple(draw(st.lists(st.integers(1, 8), min_size=1, max_size=3)))
    n_classes = draw(st.integers(2, 10))
    act = draw(st.sampled_from(["elu", "tanh", "softplus", "relu"]))
    seed = draw(st.integers(0, 2**16))
    scale = draw(st.sampled_from([0.25, 1.0, 3.0]))
    net = mlp(d, hidden, act, n_classes, seed=seed, dtype=torch.float64)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(scale)
    model = net if len(shape) == 1 else torch.nn.Sequential(torch.nn.Flatten(), net)
    n = draw(st.integers(n_min, n_max))
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.rand((n,) + shape, dtype=torch.float64, generator=gen) * 2 - 1
    y = torch.randint(0, n_classes, (n,), generator=gen)
    return model, x, y
