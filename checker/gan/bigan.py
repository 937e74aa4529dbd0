r"""Encoder-decoder GANs: BiGAN (Donahue, Krähenbühl, Darrell, ICLR 2017) and ALI (Dumoulin et
al., ICLR 2017) as small MLPs, with their original minimax objective.

Both train three networks: a generator (decoder) :math:`G:\mathbb R^k\to\mathbb R^d`, an encoder
:math:`E:\mathbb R^d\to\mathbb R^k` and a discriminator :math:`D` that sees *pairs*
:math:`(x, z)`. With :math:`\sigma` the logistic function and :math:`\ell = \log\sigma` (so
:math:`\log(1-\sigma(t)) = \ell(-t)`), the objective of both papers is

.. math::

    V(G, E, D) = \mathbb E_{x\sim\mu}\,\mathbb E_{z\sim q(z\mid x)}\big[\log D(x, z)\big]
               + \mathbb E_{z\sim\nu}\big[\log\big(1 - D(G(z), z)\big)\big],
    \qquad \min_{G,E}\ \max_D\ V(G, E, D),

with :math:`\nu = \mathcal N(0, I_k)`. The two papers differ in the encoder:

* **BiGAN** (Donahue et al. 2017, eq. (3)): :math:`q(z\mid x) = \delta_{E(x)}`, a
  deterministic encoder. At the optimum the two joint laws :math:`(x, E(x))` and
  :math:`(G(z), z)` agree, which makes :math:`E` and :math:`G` inverses of each other
  (their Theorem 2).
* **ALI** (Dumoulin et al. 2017, eq. (1)): :math:`q(z\mid x) = \mathcal N(\mu(x),
  \operatorname{diag}\sigma(x)^2)`, a stochastic encoder sampled with the reparameterisation
  :math:`z = \mu(x) + \sigma(x)\odot\epsilon`, :math:`\epsilon\sim\mathcal N(0, I)`, so
  gradients reach :math:`\mu` and :math:`\sigma`. Our decoder stays deterministic: the samples
  the birthday test needs are :math:`G(z)`.

"Original objective" here means the minimax game above, trained by alternating gradient steps:
:math:`D` ascends :math:`V` and :math:`(G, E)` descend :math:`V` (``loss="minimax"``). Both
papers note that this form saturates early; they train with the swapped-label form
(:math:`(G,E)` minimise the discriminator's loss on swapped labels, ``loss="nonsaturating"``),
which has the same fixed points. Both are offered; the choice is recorded with each run.

**The Arora–Risteski–Zhang connection.** Arora, Risteski and Zhang (ICLR 2018, Theorem 1)
show that this objective cannot by itself prevent mode collapse: against every discriminator
with :math:`p` parameters (bounded and Lipschitz) there is an encoder-decoder pair whose
generator puts all its mass on about :math:`p\log^2 p/\epsilon^2` images and whose value of
:math:`V` is within :math:`\epsilon` of the value at the true distribution (the construction
in :mod:`checker.gan.construction`). So a low training loss says nothing about support size;
what the generator actually covers has to be measured, e.g. with the birthday-paradox test
(:mod:`checker.birthday`). These modules train the real thing so that the test can meet it.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from checker.validate import integer, one_of, positive_int

__all__ = ["ARCHS", "LOSSES", "Generator", "Encoder", "JointDiscriminator", "build_networks",
           "discriminator_loss", "generator_encoder_loss", "value"]

ARCHS: tuple[str, ...] = ("bigan", "ali")
LOSSES: tuple[str, ...] = ("minimax", "nonsaturating")

#: LeakyReLU slope of every hidden layer (DCGAN/BiGAN's choice, 0.2).
LEAK = 0.2
#: Lower clamp of the ALI encoder's log standard deviation: keeps σ(x) ≥ e^-6 so the
#: reparameterised sample never degenerates to a point mass with infinite log-density.
ALI_LOG_STD_MIN = -6.0


def _mlp(sizes: list[int], *, out_act: nn.Module | None = None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(LEAK))
    if out_act is not None:
        layers.append(out_act)
    return nn.Sequential(*layers)


class Generator(nn.Module):
    r""":math:`G(z)`: an MLP from the latent :math:`z\in\mathbb R^k` to an image in
    :math:`[0,1]^d` (sigmoid output, matching data scaled to [0, 1])."""

    def __init__(self, latent_dim: int, d: int, hidden: int, depth: int = 2):
        super().__init__()
        self.latent_dim = int(latent_dim)
        self.d = int(d)
        self.net = _mlp([latent_dim] + [hidden] * depth + [d], out_act=nn.Sigmoid())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Encoder(nn.Module):
    r""":math:`E(x)` (BiGAN, deterministic) or :math:`q(z\mid x)=\mathcal N(\mu(x),\sigma(x)^2)`
    (ALI, ``stochastic=True``). ``forward(x, noise=None)`` returns a code: :math:`E(x)`,
    or :math:`\mu(x)+\sigma(x)\odot` ``noise`` for ALI (``noise=None``: the mean :math:`\mu(x)`).
    """

    def __init__(self, d: int, latent_dim: int, hidden: int, *, stochastic: bool, depth: int = 2):
        super().__init__()
        self.latent_dim = int(latent_dim)
        self.stochastic = bool(stochastic)
        self.net = _mlp([d] + [hidden] * depth + [latent_dim * (2 if stochastic else 1)])

    def moments(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self.net(x)
        if not self.stochastic:
            return out, None
        mu, log_std = out.chunk(2, dim=1)
        return mu, log_std.clamp(min=ALI_LOG_STD_MIN)

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        mu, log_std = self.moments(x)
        if log_std is None or noise is None:
            return mu
        return mu + log_std.exp() * noise  # the reparameterisation trick


class JointDiscriminator(nn.Module):
    r""":math:`D(x, z)` as a logit :math:`t` (:math:`D = \sigma(t)`): an MLP on the
    concatenation :math:`(x, z)`."""

    def __init__(self, d: int, latent_dim: int, hidden: int, depth: int = 2):
        super().__init__()
        self.net = _mlp([d + latent_dim] + [hidden] * depth + [1])

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, z], dim=1)).squeeze(1)


def build_networks(*, arch: str, d: int, latent_dim: int, hidden: int, disc_hidden: int,
                   depth: int = 2, seed: int = 0, dtype: torch.dtype = torch.float32,
                   device: torch.device | str = "cpu") -> tuple[Generator, Encoder, JointDiscriminator]:
    """The three networks of ``arch`` (``bigan`` or ``ali``), initialised from ``seed``."""
    one_of("arch", arch, ARCHS)
    d, latent_dim = positive_int("d", d), positive_int("latent_dim", latent_dim)
    hidden, disc_hidden = positive_int("hidden", hidden), positive_int("disc_hidden", disc_hidden)
    depth = positive_int("depth", depth)
    seed = integer("seed", seed, min_value=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        g = Generator(latent_dim, d, hidden, depth)
        e = Encoder(d, latent_dim, hidden, stochastic=arch == "ali", depth=depth)
        disc = JointDiscriminator(d, latent_dim, disc_hidden, depth)
    return tuple(m.to(device=device, dtype=dtype) for m in (g, e, disc))  # type: ignore[return-value]


def value(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    r"""The minimax value :math:`V` estimated on a batch, from the logits :math:`t` of
    :math:`D` on encoder pairs ``d_real`` = :math:`t(x, E(x))` and generator pairs ``d_fake`` =
    :math:`t(G(z), z)`: :math:`\overline{\log\sigma(t_{\rm real})} +
    \overline{\log\sigma(-t_{\rm fake})}` (log-sigmoid: stable in float32)."""
    return F.logsigmoid(d_real).mean() + F.logsigmoid(-d_fake).mean()


def discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """:math:`-V`: the discriminator ascends the value."""
    return -value(d_real, d_fake)


def generator_encoder_loss(d_real: torch.Tensor, d_fake: torch.Tensor, *, loss: str) -> torch.Tensor:
    r"""Loss of :math:`(G, E)`. ``minimax``: :math:`V` itself (the original game).
    ``nonsaturating``: the discriminator's loss with the labels swapped,
    :math:`-\overline{\log\sigma(-t_{\rm real})} - \overline{\log\sigma(t_{\rm fake})}`."""
    one_of("loss", loss, LOSSES)
    if loss == "minimax":
        return value(d_real, d_fake)
    return -(F.logsigmoid(-d_real).mean() + F.logsigmoid(d_fake).mean())
