r"""Discriminators :math:`D_v(x, z)` with a bounded parameter set and a proven Lipschitz constant
in the parameters, and the measuring functions :math:`\varphi`.

Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651), Theorem 1: discriminators of capacity
:math:`p` (number of parameters) that are :math:`L`-Lipschitz **in the parameters** over a
bounded set :math:`V` (docs/math/arora-thm1.md, "Discriminators and the measuring function", [S]+[R]); measuring function
:math:`\varphi` with range in :math:`[-\Delta,\Delta]` and Lipschitz constant :math:`L_\varphi`.

=====================  ===================  ==============================================
symbol                 attribute            meaning
=====================  ===================  ==============================================
:math:`p`              ``param_count()``    trainable parameters
:math:`R`              ``radius``           :math:`V = \{\|v\|_2 \le R\}` (enforced by ``project_()``)
:math:`L`              ``lipschitz()``      :math:`\sup_{v\in V,(x,z)}\|\nabla_v D_v(x,z)\|_2`, bounded below
:math:`\Delta`         ``phi.Delta``        :math:`\varphi \in [-\Delta, \Delta]`
:math:`L_\varphi`      ``phi.L_phi``        Lipschitz constant of :math:`\varphi` on :math:`[0,1]`
=====================  ===================  ==============================================

**MLP** (``kind="mlp"``, our design): :math:`u = \mathrm{clip}([x; z], -c, c)`,
:math:`D_v = \mathrm{sigmoid}(w_2^\top \tanh(W_1 u + b_1) + b_2)`, :math:`p = H(d+\tilde d) + 2H + 1`.
The logit's gradient has blocks :math:`\tanh(\cdot)` (norm :math:`\le\sqrt H`), 1,
:math:`w_2\odot\tanh'` (norm :math:`\le\|w_2\|\le R`) and :math:`(w_2\odot\tanh')u^\top`
(norm :math:`\le R\,U`, :math:`U = c\sqrt{d+\tilde d}`), and :math:`\mathrm{sigmoid}' \le 1/4`, so

.. math::

    L = \tfrac14\sqrt{H + 1 + R^2(1 + U^2)},

valid on all of :math:`V` by the mean-value theorem (:math:`V` is convex).

**Random features** (``kind="features"``): :math:`\psi(x,z) = \mathrm{clip}(A u + b, -1, 1)/\sqrt p`
with fixed random :math:`A, b` (so :math:`\|\psi\|_2\le1`), :math:`D_v = \mathrm{sigmoid}(v^\top\psi)`,
capacity :math:`p`, :math:`L = 1/4`.

**Measuring functions**: ``"identity"`` :math:`\varphi(t) = t` on :math:`D\in[0,1]`
(:math:`\Delta = L_\varphi = 1`, the authors' choice [A]); ``"log"``
:math:`\varphi(t) = \ln(\tau + (1-\tau)t)` with :math:`\tau = e^{-1}`, concave, range
:math:`[-1, 0]` (:math:`\Delta = 1`), :math:`L_\varphi = (1-\tau)/\tau = e - 1` (our choice: a
log bounded away from :math:`-\infty`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from checker.validate import one_of, positive, positive_int

__all__ = ["MEASURES", "Measure", "measure", "DISCRIMINATORS", "BoundedDiscriminator"]

MEASURES: tuple[str, ...] = ("identity", "log")
DISCRIMINATORS: tuple[str, ...] = ("mlp", "features")

_TAU = math.exp(-1.0)


@dataclass(frozen=True, kw_only=True)
class Measure:
    """A measuring function with its range bound ``Delta`` and Lipschitz constant ``L_phi``."""

    name: str

    def __post_init__(self) -> None:
        one_of("phi", self.name, MEASURES)

    @property
    def Delta(self) -> float:  # noqa: N802 - paper symbol
        return 1.0

    @property
    def L_phi(self) -> float:  # noqa: N802 - paper symbol
        return 1.0 if self.name == "identity" else (1.0 - _TAU) / _TAU

    @property
    def width(self) -> float:
        """Length of the range of :math:`\\varphi` on :math:`[0, 1]` (Hoeffding's range)."""
        return 1.0

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        if self.name == "identity":
            return t
        return torch.log(_TAU + (1.0 - _TAU) * t)


def measure(name: str | Measure = "identity") -> Measure:
    return name if isinstance(name, Measure) else Measure(name=name)


class BoundedDiscriminator(nn.Module):
    """A discriminator on pairs ``(x, z)`` with parameters in the ball of radius ``radius``."""

    def __init__(self, *, d: int, d_tilde: int, kind: str = "mlp", hidden: int = 4,
                 radius: float = 10.0, clip: float = 3.0, seed: int = 0,
                 dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"):
        super().__init__()
        self.kind = one_of("kind", kind, DISCRIMINATORS)
        self.d, self.d_tilde = positive_int("d", d), positive_int("d_tilde", d_tilde)
        self.hidden = positive_int("hidden", hidden)
        self.radius = positive("radius", radius)
        self.clip = positive("clip", clip)
        gen = torch.Generator().manual_seed(int(seed))
        n_in = self.d + self.d_tilde
        if self.kind == "mlp":
            w1 = torch.randn(self.hidden, n_in, generator=gen, dtype=dtype) / math.sqrt(n_in)
            self.w1 = nn.Parameter(w1.to(device))
            self.b1 = nn.Parameter(torch.zeros(self.hidden, dtype=dtype, device=device))
            w2 = torch.randn(self.hidden, generator=gen, dtype=dtype) / math.sqrt(self.hidden)
            self.w2 = nn.Parameter(w2.to(device))
            self.b2 = nn.Parameter(torch.zeros((), dtype=dtype, device=device))
        else:
            a = torch.randn(self.hidden, n_in, generator=gen, dtype=dtype) / math.sqrt(n_in)
            b = torch.randn(self.hidden, generator=gen, dtype=dtype)
            self.register_buffer("feat_a", a.to(device))
            self.register_buffer("feat_b", b.to(device))
            v = torch.randn(self.hidden, generator=gen, dtype=dtype)
            self.v = nn.Parameter(v.to(device))
        self.project_()

    # -- the parameter set ------------------------------------------------------------------
    def param_count(self) -> int:
        """Capacity :math:`p`: the number of trainable parameters."""
        return int(sum(p.numel() for p in self.parameters()))

    def param_norm(self) -> float:
        return float(torch.sqrt(sum((p.detach() ** 2).sum() for p in self.parameters())))

    @torch.no_grad()
    def project_(self) -> None:
        """Project the parameter vector onto the ball of radius ``radius`` (in place)."""
        norm = self.param_norm()
        if norm > self.radius:
            for p in self.parameters():
                p.mul_(self.radius / norm)

    def flat_params(self) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self.parameters()])

    @torch.no_grad()
    def set_flat_params(self, v: torch.Tensor) -> None:
        i = 0
        for p in self.parameters():
            p.copy_(v[i:i + p.numel()].reshape(p.shape))
            i += p.numel()

    def lipschitz(self) -> float:
        """A proven bound :math:`L` on :math:`|D_v - D_{v'}| / \\|v - v'\\|` over the ball (see module doc)."""
        if self.kind == "features":
            return 0.25
        u_max = self.clip * math.sqrt(self.d + self.d_tilde)
        r = self.radius
        return 0.25 * math.sqrt(self.hidden + 1.0 + r * r * (1.0 + u_max * u_max))

    # -- evaluation -------------------------------------------------------------------------
    def logit(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        u = torch.cat([x, z], dim=1).clamp(-self.clip, self.clip)
        if self.kind == "mlp":
            return torch.tanh(u @ self.w1.T + self.b1) @ self.w2 + self.b2
        psi = (u @ self.feat_a.T + self.feat_b).clamp(-1.0, 1.0) / math.sqrt(self.hidden)
        return psi @ self.v

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """:math:`D_v(x, z) \\in [0, 1]`, shape ``(n,)``."""
        return torch.sigmoid(self.logit(x, z))
