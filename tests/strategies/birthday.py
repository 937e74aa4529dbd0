"""Hypothesis strategies for the birthday test: near-duplicate point sets of large norm."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

__all__ = ["near_duplicate_sets", "uniform_cases"]


@st.composite
def near_duplicate_sets(draw, *, max_n: int = 40, max_d: int = 24, float32: bool | None = False):
    """(x, planted) with x of shape (n, d): random rows of norm ~ `scale`, plus rows that copy an
    earlier row up to a perturbation of relative size ~1e-13..1e-9 (where the matmul form loses
    all precision). ``planted`` lists the (i, j) copies. With ``float32=True`` (or drawn, with
    ``None``) the rows are rounded to float32 and returned as a float32 array."""
    n = draw(st.integers(4, max_n))
    d = draw(st.integers(2, max_d))
    scale = draw(st.sampled_from([1.0, 1e3, 1e5]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * scale
    n_dup = draw(st.integers(1, max(1, n // 4)))
    planted = []
    for _ in range(n_dup):
        i = draw(st.integers(0, n - 2))
        j = draw(st.integers(i + 1, n - 1))
        eps = draw(st.sampled_from([0.0, 1e-13, 1e-11, 1e-9])) * scale
        x[j] = x[i] + eps * rng.standard_normal(d)
        planted.append((i, j))
    if float32 is None:
        float32 = draw(st.booleans())
    if float32:
        x = x.astype(np.float32)
    return x, planted


uniform_cases = st.tuples(st.integers(2, 5000), st.integers(2, 120))
