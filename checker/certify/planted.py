r"""Networks with a planted narrow maximum: the project's own soundness bench for the certificate.

For the certificate of docs/math/sinha.md, Theorem 3, a *sound* value must bound
:math:`\phi_\gamma(x)=\sup_z \ell(z)-\gamma\lVert z-x\rVert_2^2` even where no gradient attack
looks. These networks put a spike of known height on a slab
:math:`\{z : a\le w^\top z\le b\}` at distance :math:`\approx a` from the data (which lies near
:math:`w^\top x=0`), where the loss's gradient at the data is about :math:`e^{-ka}` and the
ascent does not move. Our construction [R]:

* projection :math:`t=w^\top z` (:math:`\lVert w\rVert=1`), hidden pre-activations
  :math:`k(t-c_j)`;
* a bump :math:`\beta(t)\in[0,1]`: for step-like activations (sigmoid, tanh) the difference
  of two steps at :math:`a<b`; for ELU and softplus the hat
  :math:`\bigl(\sigma(k(t-a))-2\sigma(k(t-m))+\sigma(k(t-b))\bigr)/(k(m-a))` with
  :math:`m=(a+b)/2` (linear pieces cancel outside :math:`[a,b]`);
* logits :math:`(0,\;H\beta(t)+c)` and label 0, so :math:`\ell\approx\log(1+e^{c})` at the data
  and :math:`\approx H+c` on the slab.

The planted value at a data point :math:`x` is :math:`f(z^*)=\ell(z^*)-\gamma\lVert z^*-x\rVert^2`
at :math:`z^*=x+(m-w^\top x)w`, evaluated by the model itself: by weak duality a *lower* bound
of :math:`\phi_\gamma(x)`, so every sound value must be at least it (up to the float64 rounding
of that one evaluation). A convolutional variant computes :math:`t` with a ``Conv2d`` whose
kernel covers the whole image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["PlantedNet", "planted_net", "planted_data", "planted_value", "PLANTED_ACTIVATIONS"]

PLANTED_ACTIVATIONS = ("sigmoid", "tanh", "elu", "softplus")


@dataclass(frozen=True, kw_only=True)
class PlantedNet:
    """``model`` (float64 ``nn.Sequential``), the unit direction ``w`` (flat, (d,)), the slab
    ``[a, b]``, its centre ``m``, the spike height ``height`` and the input shape."""

    model: object
    w: object
    a: float
    b: float
    m: float
    height: float
    input_shape: tuple


def planted_net(*, activation: str, d: int = 2, conv: bool = False, a: float = 3.0, width: float = 0.2,
                sharpness: float = 50.0, height: float = 12.0, offset: float = -2.0, seed: int = 0) -> PlantedNet:
    """A network with a spike of height about ``height + offset`` on the slab
    ``a <= w.z <= a + width``; ``conv=True`` takes ``1 x s x s`` images with ``s*s = d``."""
    import torch
    import torch.nn as nn

    from checker.validate import one_of

    one_of("activation", activation, PLANTED_ACTIVATIONS)
    gen = torch.Generator().manual_seed(int(seed))
    w = torch.randn(d, generator=gen, dtype=torch.float64)
    w = w / w.norm()
    b, m, k = a + width, a + width / 2.0, sharpness
    if activation in ("sigmoid", "tanh"):
        centres, coef = [a, b], [1.0, -1.0]
        scale = 1.0 if activation == "sigmoid" else 0.5
        act = nn.Sigmoid() if activation == "sigmoid" else nn.Tanh()
    else:
        centres, coef = [a, m, b], [1.0, -2.0, 1.0]
        scale = 1.0 / (k * (m - a))
        act = nn.ELU() if activation == "elu" else nn.Softplus()
    h = len(centres)
    if conv:
        s = int(round(math.sqrt(d)))
        assert s * s == d, "conv=True needs a square number of inputs"
        first = nn.Conv2d(1, h, s)
        shape = (1, s, s)
        body = [first, act, nn.Flatten()]
    else:
        first = nn.Linear(d, h)
        shape = (d,)
        body = [first, act]
    last = nn.Linear(h, 2)
    model = nn.Sequential(*body, last).double()
    with torch.no_grad():
        first.weight.copy_((k * w).repeat(h, 1).reshape(first.weight.shape))
        first.bias.copy_(torch.tensor([-k * c for c in centres], dtype=torch.float64))
        last.weight.zero_()
        last.weight[1].copy_(torch.tensor([height * scale * c for c in coef], dtype=torch.float64))
        last.bias.copy_(torch.tensor([0.0, offset], dtype=torch.float64))
    return PlantedNet(model=model.eval(), w=w, a=a, b=b, m=m, height=height, input_shape=shape)


def planted_data(net: PlantedNet, *, n: int = 4, spread: float = 0.3, seed: int = 1):
    """``n`` points near the hyperplane ``w.z = 0`` (label 0), shaped for the model."""
    import torch

    gen = torch.Generator().manual_seed(int(seed))
    d = net.w.numel()
    x = torch.randn(n, d, generator=gen, dtype=torch.float64) * spread
    x = x - (x @ net.w)[:, None] * net.w[None, :] * 0.9  # mostly in the complement
    return x.reshape(n, *net.input_shape), torch.zeros(n, dtype=torch.long)


def planted_value(net: PlantedNet, x, y, gamma: float):
    """Per-example :math:`f(z^*)` (a lower bound of :math:`\\phi_\\gamma`, weak duality) and ``z*``."""
    import torch

    n = x.shape[0]
    flat = x.reshape(n, -1)
    zs = flat + (net.m - flat @ net.w)[:, None] * net.w[None, :]
    with torch.no_grad():
        loss = torch.nn.functional.cross_entropy(net.model(zs.reshape(x.shape)), y, reduction="none")
    return loss - gamma * ((zs - flat) ** 2).sum(1), zs.reshape(x.shape)
