r"""Duplicate threshold calibrated on real held-out data, with its false-alarm rate.

Arora & Zhang 2017, docs/math/birthday.md, "The procedure" [A]: the authors flag the most
similar pairs and decide duplicates *by eye*. ``checker`` replaces the eye by a threshold whose
false-alarm rate is measured on real data (design [R]):

.. math::

    \tau = Q_q\big(\{\min_{j\ne i}\|\phi(x_i)-\phi(x_j)\| : i \le n\}\big),

the ``q``-quantile of real-vs-real nearest-neighbour distances of ``n`` held-out real images
in the feature space :math:`\phi` (``feature_map``). Its *per-pair* false-alarm rate

.. math:: \hat p_{\text{pair}} = \#\{i<j : \|\phi(x_i)-\phi(x_j)\|\le\tau\} / \binom n2

comes with a Clopper–Pearson interval (approximate: the pairs share images). A trial of ``s``
distinct real images then raises a false alarm with probability at most
:math:`\min(1, \binom s2\,p_{\text{pair}})` (union bound), reported with the interval's upper
end. The quantile ``q`` is a user choice (default 0.01), not the paper's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from checker.birthday.pairs import as_matrix, nearest_neighbours, pairs_within
from checker.birthday.sources import apply_feature_map
from checker.birthday.stats import Interval, clopper_pearson
from checker.errors import InvalidArgument
from checker.validate import probability

__all__ = ["Threshold", "calibrate_threshold", "fixed_threshold"]


@dataclass(frozen=True, kw_only=True)
class Threshold:
    """A duplicate threshold (distance) and what is known of its false-alarm rate."""

    value: float
    quantile: float | None
    n_real: int
    pair_false_alarm: Interval | None
    nn_quantiles: dict
    source: str

    def trial_false_alarm_bound(self, s: int) -> float | None:
        """Union bound on P(false duplicate in a trial of ``s`` real images), from the interval's top."""
        if self.pair_false_alarm is None:
            return None
        return min(1.0, s * (s - 1) / 2 * self.pair_false_alarm.high)

    def trial_false_alarm_estimate(self, s: int) -> float | None:
        r""":math:`1-(1-\hat p)^{\binom s2}` (independent-pairs approximation)."""
        if self.pair_false_alarm is None:
            return None
        return float(-math.expm1(s * (s - 1) / 2 * math.log1p(-self.pair_false_alarm.value)))


def calibrate_threshold(real, *, quantile: float = 0.01,
                        feature_map: Callable[[torch.Tensor], torch.Tensor] | None = None,
                        confidence: float = 0.95, block: int | None = None,
                        source: str = "real held-out data") -> Threshold:
    """Calibrate :math:`\\tau` as the ``quantile`` of real nearest-neighbour distances."""
    q = probability("quantile", quantile)
    x = as_matrix(real, name="real")
    if x.shape[0] < 3:
        raise InvalidArgument("real.shape[0]", x.shape[0], "must be >= 3 real images to calibrate")
    f = apply_feature_map(x, feature_map)
    nn = nearest_neighbours(f, block=block)
    dist = np.sort(nn.distance)
    tau = float(np.quantile(dist, q, method="inverted_cdf"))
    n = f.shape[0]
    within = len(pairs_within(f, tau, block=block))
    npairs = n * (n - 1) // 2
    fa = clopper_pearson(within, npairs, confidence=confidence)
    qs = {str(p): float(np.quantile(dist, p)) for p in (0.0, 0.001, 0.01, 0.05, 0.5)}
    return Threshold(value=tau, quantile=q, n_real=n, pair_false_alarm=fa, nn_quantiles=qs,
                     source=source)


def fixed_threshold(value: float) -> Threshold:
    """A user-given threshold: its false-alarm rate is *unknown* (reported as such)."""
    from checker.validate import nonnegative

    return Threshold(value=nonnegative("threshold", value), quantile=None, n_real=0,
                     pair_false_alarm=None, nn_quantiles={}, source="given by the user (not calibrated)")
