r"""A trained generator's birthday-test support estimate, set beside two references.

Arora & Zhang (2017) and Arora, Risteski, Zhang (ICLR 2018, §6): if :math:`s` samples of a
generator contain a near-duplicate pair with probability about 1/2, its support is about
:math:`s^2`. A number from that test means little alone, so it is reported with:

1. **the data's own duplicate rate**: the same test, same threshold :math:`\tau` and sample
   sizes, on the real training images (sub-sampled without replacement). Real data that
   already show "duplicates" at some :math:`s` bound what the test can resolve: a generator
   whose rate matches the data's has not been shown to have a small support;
2. **Theorem 1's construction at the same m**: the explicit encoder-decoder pair of
   Arora, Risteski and Zhang (:func:`checker.gan.construction.build_pair`) whose generator
   has support exactly :math:`m` images, with :math:`m` set to the trained generator's point
   estimate, run through the same test (noise pixels dropped, threshold calibrated on the
   data set's images). It shows what a generator of exactly that support looks like to the
   test: its estimate should come back near :math:`m`.

Everything here is sampled evidence (tested, never proved).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from checker.validate import integer, positive_int

__all__ = ["data_duplicate_rates", "construction_at", "CONSTRUCTION_MAX_M", "RELU_MAX_M"]

#: Largest pool size m for the construction reference (its pool is m images in memory).
CONSTRUCTION_MAX_M = 1_000_000
#: Above this m the construction uses the ideal generator (equal to the ReLU one off the ramp
#: set, :mod:`checker.gan.generator`) instead of building O(m d) ReLU weights.
RELU_MAX_M = 1024


def data_duplicate_rates(train, *, threshold, s_values, trials: int, seed: int = 0) -> dict[str, Any]:
    """The birthday test on the real images ``train`` at ``s_values`` (those not above the
    number of images), with the given threshold. Returns the summary rows and the estimate."""
    from checker.birthday.procedure import BirthdayConfig, run_birthday_test
    from checker.birthday.sources import ArraySource

    src = ArraySource(train, name="training data")
    s_ok = tuple(s for s in s_values if s <= src.size)
    if not s_ok:
        return {"rows": [], "support_estimate": None,
                "note": f"every sample size exceeds the {src.size} training images"}
    res = run_birthday_test(src, threshold=threshold,
                            config=BirthdayConfig(s_values=s_ok, trials=positive_int("trials", trials),
                                                  seed=integer("seed", seed, min_value=0)))
    summ = res.summary()
    return {"rows": summ["table"], "support_estimate": summ["support_estimate"],
            "n_images": src.size, "notes": summ["notes"]}


def construction_at(m: int, *, dataset: str, s_values, trials: int, seed: int = 0, d_tilde: int = 8,
                    quantile: float = 0.01, n_real: int = 1000) -> dict[str, Any]:
    """Theorem 1's construction with pool size ``m`` on ``dataset`` (digits or mnist) through
    the birthday test at ``s_values``: its estimate against the known support ``m``."""
    from checker.birthday.calibrate import calibrate_threshold
    from checker.birthday.procedure import BirthdayConfig, run_birthday_test
    from checker.birthday.sources import drop_coordinates
    from checker.gan.construction import build_pair

    m = integer("m", m, min_value=1, max_value=CONSTRUCTION_MAX_M)
    relu = m <= RELU_MAX_M
    pair = build_pair(dataset=dataset, d_tilde=d_tilde, m=m, seed=seed, build_relu=relu)

    class _Src:
        name = f"construction(m={m}, dataset={dataset})"

        def draw(self, n, *, generator):
            return pair.sample(n, generator=generator, ideal=not relu)

    fmap = drop_coordinates(pair.noise_indices.cpu(), pair.d)
    real = pair.data.images
    if real.shape[0] > n_real:
        g = torch.Generator().manual_seed(seed + 1)
        real = real[torch.randperm(real.shape[0], generator=g)[:n_real]]
    thr = calibrate_threshold(real, quantile=quantile, feature_map=fmap,
                              source=f"{dataset} images ({real.shape[0]}), noise pixels dropped")
    res = run_birthday_test(_Src(), threshold=thr, feature_map=fmap,
                            config=BirthdayConfig(s_values=tuple(s_values), trials=trials, seed=seed))
    summ = res.summary()
    _, counts = torch.unique(fmap(pair.pool).cpu(), dim=0, return_counts=True)
    coll = float(m * m / (counts.double() ** 2).sum())
    est = summ["support_estimate"]
    value = est["value"] if isinstance(est["value"], float) else math.inf
    return {"m": m, "generator": "relu" if relu else "ideal", "distinct_pool_images": int(counts.numel()),
            "collision_support": coll, "support_estimate": est, "rows": summ["table"],
            "threshold": summ["threshold"]["value"],
            "estimate_over_collision_support": value / coll if coll > 0 else None}
