"""Known samplers for the ``--source model --model module:function`` path (used by
test_model_source.py): uniform draws from a fixed pool of N random 8x8 images plus small noise.
The pool is built once from a fixed seed, independent of checker's code."""

from __future__ import annotations

import numpy as np

D = 64
NOISE = 0.01


def _pool(n: int) -> np.ndarray:
    return np.random.default_rng(12345 + n).random((n, D))


POOL_400 = _pool(400)
POOL_1600 = _pool(1600)


def _draw(pool: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return pool[rng.integers(0, len(pool), size=n)] + NOISE * rng.standard_normal((n, D))


def sample(n, seed):
    """n draws, uniform over the 400-image pool."""
    return _draw(POOL_400, n, seed)


def sample_1600(n, seed):
    """n draws, uniform over a 1,600-image pool (negative control)."""
    return _draw(POOL_1600, n, seed)


def real(n: int = 400) -> np.ndarray:
    """Fresh 'real' images from the pool's base distribution (uniform pixels), for calibration."""
    return np.random.default_rng(999).random((n, D))


def short(n, seed):
    """A broken sampler: one row too few."""
    return np.zeros((n - 1, D))
