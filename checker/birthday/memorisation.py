r"""Memorisation check: generated samples against the training set.

Arora & Zhang 2017, docs/math/birthday.md, "Reported results" [A]: for the duplicates found on
CelebA "the nearest training images differ", so the small support is not memorisation. This
module measures it (design [R]): for each generated sample :math:`g_r`,

.. math:: \delta_r = \min_{t} \|\phi(g_r) - \phi(x^{\text{train}}_t)\|,

exactly (blocked search, :mod:`checker.birthday.pairs`), and the fraction of samples with
:math:`\delta_r \le \tau` (same calibrated threshold as for duplicates) with a Clopper–Pearson
interval. A fraction near 1 means the generator reproduces training images.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from checker.birthday.pairs import as_matrix, nearest_neighbours
from checker.birthday.sources import apply_feature_map
from checker.birthday.stats import Interval, clopper_pearson
from checker.errors import InvalidArgument
from checker.validate import nonnegative

__all__ = ["Memorisation", "memorisation_check"]


@dataclass(frozen=True, kw_only=True)
class Memorisation:
    """Nearest-training-image distances of generated samples and the fraction within ``threshold``."""

    n_samples: int
    n_train: int
    threshold: float
    fraction_within: Interval
    distance_quantiles: dict
    nearest_index: np.ndarray
    nearest_distance: np.ndarray


def memorisation_check(samples, train, *, threshold: float,
                       feature_map: Callable[[torch.Tensor], torch.Tensor] | None = None,
                       confidence: float = 0.95, block: int | None = None) -> Memorisation:
    """Exact nearest training image of every sample; fraction at distance ``<= threshold``."""
    tau = nonnegative("threshold", threshold)
    g = as_matrix(samples, name="samples")
    t = as_matrix(train, name="train", device=g.device)
    if g.shape[1] != t.shape[1]:
        raise InvalidArgument("train.shape", tuple(t.shape),
                              f"must have d={g.shape[1]} pixels like the samples")
    fg = apply_feature_map(g, feature_map)
    ft = apply_feature_map(t, feature_map)
    nn = nearest_neighbours(fg, ft, block=block)
    within = int((nn.distance <= tau).sum())
    qs = {str(p): float(np.quantile(nn.distance, p)) for p in (0.0, 0.05, 0.5, 0.95)}
    return Memorisation(n_samples=g.shape[0], n_train=t.shape[0], threshold=tau,
                        fraction_within=clopper_pearson(within, g.shape[0], confidence=confidence),
                        distance_quantiles=qs, nearest_index=nn.index, nearest_distance=nn.distance)
