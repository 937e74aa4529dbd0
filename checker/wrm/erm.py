r"""ERM, empirical risk minimisation: the clean baseline of Sinha, Namkoong, Duchi, ICLR 2018 §4.

.. math:: \min_\theta \mathbb{E}_{\hat P_n}[\ell(\theta; (x, y))]

Its "perturbation" is the identity, so it fits the uniform method interface.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ERMConfig", "perturb"]


@dataclass(frozen=True, kw_only=True)
class ERMConfig:
    """ERM has no parameters."""


def perturb(model, x, y, config: ERMConfig | None = None, *, loss_fn=None, generator=None):
    """Returns ``x`` (detached copy): ERM trains on clean data."""
    return x.detach().clone()
