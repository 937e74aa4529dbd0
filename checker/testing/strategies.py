r"""Hypothesis strategies for property-testing your own networks, constructions and data.

Every network is built from **drawn numbers** (weights one by one for small networks, a drawn seed
and scale for large ones), never from torch's random initialisation, so a failing example
shrinks to small, readable weights and its ``repr`` rebuilds it exactly (paste it into
``@example``). All tensors are float64 on the CPU.

=====================  ===========================================================================
strategy               draws
=====================  ===========================================================================
:func:`net_specs`      a :class:`NetSpec`: a smooth MLP written out as nested tuples of weights
:func:`smooth_mlps`    a float64 ``nn.Sequential`` MLP with a smooth activation (ELU, tanh, softplus,
                       sigmoid), built from a :class:`NetSpec`
:func:`smooth_convnets` a small float64 convnet (Conv2d, smooth activation, Flatten, Linear) on
                       ``(c, h, w)`` images, from a drawn seed and weight scale
:func:`datasets`       ``(x, y)``: ``n`` points of a given shape and integer labels
:func:`gammas`         penalties :math:`\gamma` of the Lagrangian surrogate, log-uniform on a range
:func:`theorem1_pairs` Arora, Risteski, Zhang (ICLR 2018) Theorem 1's explicit encoder/generator
                       pair :math:`(E, G)` (a :class:`checker.gan.construction.ConstructedPair`)
=====================  ===========================================================================

Sinha, Namkoong, Duchi (ICLR 2018) need *smooth* losses for Lemma 1 and Theorem 2 (the inner
problem :math:`\sup_z \ell(\theta;z)-\gamma\lVert z-z_0\rVert^2` is strongly concave when
:math:`\gamma` exceeds half the smoothness constant), which is why :func:`smooth_mlps` and
:func:`smooth_convnets` never draw ReLU unless asked (``activations=``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from checker.errors import InvalidArgument

__all__ = ["NetSpec", "net_specs", "build", "smooth_mlps", "ConvSpec", "conv_specs", "smooth_convnets", "points",
           "datasets", "nets_with_points", "gammas", "theorem1_pairs", "SMOOTH_ACTIVATIONS"]

#: Smooth activations (Corollary 4's L0, L1 are finite for each) drawn by default.
SMOOTH_ACTIVATIONS: tuple[str, ...] = ("elu", "tanh", "softplus", "sigmoid")
_ALL_ACTIVATIONS = SMOOTH_ACTIVATIONS + ("relu",)

_weight = st.floats(min_value=-1.5, max_value=1.5, allow_nan=False, allow_infinity=False, width=64)


def _check_activations(activations: Sequence[str]) -> tuple[str, ...]:
    acts = tuple(activations)
    if not acts:
        raise InvalidArgument("activations", acts, "must name at least one activation")
    for a in acts:
        if a not in _ALL_ACTIVATIONS:
            raise InvalidArgument("activations", a, f"must be one of {', '.join(_ALL_ACTIVATIONS)}")
    return acts


def _act(name: str):
    import torch.nn as nn

    return {"elu": nn.ELU, "tanh": nn.Tanh, "softplus": nn.Softplus, "sigmoid": nn.Sigmoid,
            "relu": nn.ReLU}[name]()


@dataclass(frozen=True, kw_only=True)
class NetSpec:
    """A drawn MLP: input width, layer widths (the last is the number of logits), activation,
    weights and biases as nested tuples. :meth:`build` (or :func:`build`) makes the network."""

    in_features: int
    widths: tuple[int, ...]
    activation: str
    weights: tuple
    biases: tuple

    def build(self):
        """The float64 ``nn.Sequential`` of this spec (activation after every hidden layer)."""
        return build(self)

    def __repr__(self) -> str:  # shown by Hypothesis on failure
        return (f"NetSpec(in={self.in_features}, widths={self.widths}, act={self.activation!r}, "
                f"weights={self.weights}, biases={self.biases})")


def net_specs(*, in_features=st.sampled_from([1, 2]), max_hidden_layers: int = 2,
              max_width: int = 4, n_classes: int = 2,
              activations: Sequence[str] = SMOOTH_ACTIVATIONS):
    """:class:`NetSpec` s with 1..``max_hidden_layers`` hidden layers of width 1..``max_width``,
    every weight drawn from ``[-1.5, 1.5]``. ``in_features`` is an int or a strategy of ints."""
    return _net_specs(in_features=in_features, max_hidden_layers=max_hidden_layers,
                      max_width=max_width, n_classes=n_classes, acts=_check_activations(activations))


@st.composite
def _net_specs(draw, *, in_features, max_hidden_layers, max_width, n_classes, acts) -> NetSpec:
    d = in_features if isinstance(in_features, int) else draw(in_features)
    hidden = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_hidden_layers))
    act = draw(st.sampled_from(acts))
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

    layers: list[Any] = []
    fan_in = spec.in_features
    for i, (w, b) in enumerate(zip(spec.weights, spec.biases)):
        lin = nn.Linear(fan_in, len(w)).to(torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w, dtype=torch.float64))
            lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
        layers.append(lin)
        if i < len(spec.weights) - 1:
            layers.append(_act(spec.activation))
        fan_in = len(w)
    return nn.Sequential(*layers)


def smooth_mlps(*, in_features=st.sampled_from([1, 2]), max_hidden_layers: int = 2,
                max_width: int = 4, n_classes: int = 2,
                activations: Sequence[str] = SMOOTH_ACTIVATIONS):
    """Float64 MLPs (``nn.Sequential``) built from :func:`net_specs`. To see the weights of a
    failing example, draw ``net_specs()`` and call ``spec.build()`` in the test instead."""
    return net_specs(in_features=in_features, max_hidden_layers=max_hidden_layers,
                     max_width=max_width, n_classes=n_classes, activations=activations).map(build)


@dataclass(frozen=True, kw_only=True)
class ConvSpec:
    """A drawn convnet: input shape ``(c, h, w)``, channels, kernel, activation, classes, and the
    seed and scale its weights come from. :meth:`build` makes the network."""

    input_shape: tuple[int, int, int]
    channels: int
    kernel: int
    activation: str
    n_classes: int
    seed: int
    scale: float

    def build(self):
        """``Conv2d(c, channels, kernel) → activation → Flatten → Linear(…, n_classes)``, float64,
        weights ``scale * N(0, 1/fan_in)`` from ``seed``."""
        import torch
        import torch.nn as nn

        c, h, w = self.input_shape
        oh, ow = h - self.kernel + 1, w - self.kernel + 1
        model = nn.Sequential(nn.Conv2d(c, self.channels, self.kernel), _act(self.activation),
                              nn.Flatten(), nn.Linear(self.channels * oh * ow, self.n_classes))
        model = model.to(torch.float64)
        gen = torch.Generator().manual_seed(self.seed)
        with torch.no_grad():
            for p in model.parameters():
                fan_in = p[0].numel() if p.ndim > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64)
                        * (self.scale / math.sqrt(max(fan_in, 1))))
        return model


def conv_specs(*, max_channels: int = 3, max_side: int = 6, n_classes: int = 2,
               activations: Sequence[str] = SMOOTH_ACTIVATIONS):
    """:class:`ConvSpec` s on images of 1..2 channels and side 3..``max_side``."""
    return _conv_specs(max_channels=max_channels, max_side=max_side, n_classes=n_classes,
                       acts=_check_activations(activations))


@st.composite
def _conv_specs(draw, *, max_channels, max_side, n_classes, acts) -> ConvSpec:
    c = draw(st.integers(1, 2))
    h = draw(st.integers(3, max_side))
    w = draw(st.integers(3, max_side))
    k = draw(st.integers(1, min(3, h, w)))
    return ConvSpec(input_shape=(c, h, w), channels=draw(st.integers(1, max_channels)), kernel=k,
                    activation=draw(st.sampled_from(acts)), n_classes=n_classes,
                    seed=draw(st.integers(0, 2**16)), scale=draw(st.sampled_from([0.25, 1.0, 3.0])))


def smooth_convnets(*, max_channels: int = 3, max_side: int = 6, n_classes: int = 2,
                    activations: Sequence[str] = SMOOTH_ACTIVATIONS):
    """Float64 convnets built from :func:`conv_specs`; inputs are ``(n, c, h, w)`` with
    ``(c, h, w) = spec.input_shape`` (draw the spec to know it, or use :func:`datasets`)."""
    return conv_specs(max_channels=max_channels, max_side=max_side, n_classes=n_classes,
                      activations=activations).map(lambda s: s.build())


@st.composite
def points(draw, d: int, *, min_n: int = 1, max_n: int = 6, n_classes: int = 2,
           bound: float = 3.0):
    """``(x, y)``: ``n`` float64 points in ``[-bound, bound]^d`` (each coordinate drawn) and
    integer labels in ``0..n_classes-1``."""
    import torch

    n = draw(st.integers(min_n, max_n))
    coord = st.floats(min_value=-bound, max_value=bound, allow_nan=False, width=64)
    xs = [[draw(coord) for _ in range(d)] for _ in range(n)]
    ys = [draw(st.integers(0, n_classes - 1)) for _ in range(n)]
    return torch.tensor(xs, dtype=torch.float64).reshape(n, d), torch.tensor(ys, dtype=torch.int64)


@st.composite
def datasets(draw, shape: int | tuple[int, ...], *, min_n: int = 1, max_n: int = 6,
             n_classes: int = 2, bound: float = 3.0):
    """``(x, y)`` with ``x`` of shape ``(n, *shape)`` in ``[-bound, bound]``: coordinates drawn
    one by one when there are at most 16 per example, otherwise from a drawn seed (large images)."""
    import torch

    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    per = math.prod(shape)
    if per <= 16:
        x, y = draw(points(per, min_n=min_n, max_n=max_n, n_classes=n_classes, bound=bound))
        return x.reshape((x.shape[0],) + shape), y
    n = draw(st.integers(min_n, max_n))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    x = (torch.rand((n,) + shape, dtype=torch.float64, generator=gen) * 2 - 1) * bound
    y = torch.randint(0, n_classes, (n,), generator=gen)
    return x, y


@st.composite
def nets_with_points(draw, *, in_features=st.sampled_from([1, 2]), max_n: int = 6):
    """``(spec, x, y)``: a drawn :class:`NetSpec` and data points of matching dimension."""
    spec = draw(net_specs(in_features=in_features))
    x, y = draw(points(spec.in_features, max_n=max_n))
    return spec, x, y


def gammas(*, min_value: float = 0.05, max_value: float = 20.0):
    r"""Penalties :math:`\gamma` in ``[min_value, max_value]``, uniform in
    :math:`\log\gamma` (small :math:`\gamma`, where the inner problem is not concave, and large
    :math:`\gamma`, where it is, are drawn equally often)."""
    if not (min_value > 0 and max_value >= min_value and math.isfinite(max_value)):
        raise InvalidArgument("min_value, max_value", (min_value, max_value),
                              "must satisfy 0 < min_value <= max_value < inf")
    lo, hi = math.log(min_value), math.log(max_value)
    return st.floats(min_value=lo, max_value=hi, allow_nan=False).map(
        lambda t: min(max(math.exp(t), min_value), max_value))


@st.composite
def theorem1_pairs(draw, *, max_m: int = 16, max_d: int = 24, eps: float = 0.1):
    r"""Theorem 1's explicit pair :math:`(E, G)` on a synthetic pool: ``d`` in 2..``max_d``,
    :math:`\tilde d` in 1..``d``, a pool of ``m`` in 1..``max_m`` images, from a drawn seed
    (:func:`checker.gan.construction.build_pair`). The result's ``encoder``, ``generator``,
    ``sample_real``, ``sample_codes`` are what :func:`checker.testing.assert_fools` takes."""
    from checker.gan.construction import build_pair

    d = draw(st.integers(2, max_d))
    d_tilde = draw(st.integers(1, d))
    m = draw(st.integers(1, max_m))
    seed = draw(st.integers(0, 2**16))
    return build_pair(dataset="synthetic", d=d, d_tilde=d_tilde, m=m, seed=seed, eps=eps)
