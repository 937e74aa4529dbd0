"""Hypothesis strategies for the Arora et al. constructions (checker.gan).

Everything a property test builds comes from drawn values (layouts, pools, pool sizes, ramp
widths, codes), so a failure shrinks to a small network.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st

__all__ = ["layouts", "pools", "codes_for", "dyadic_pools", "ramp_widths", "construction_inputs",
           "sigmas", "deltas"]

#: finite float64 values, bounded so that sums stay far from overflow
_pixel = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)


@st.composite
def layouts(draw, max_d: int = 80, *, wide: bool = True):
    """``(d, d_tilde)`` with ``1 <= d_tilde <= d`` (no divisibility assumed); with ``wide``
    the MNIST and digits shapes d = 784 and 64 are drawn too (cheap: one linear layer)."""
    sizes = st.integers(1, max_d)
    if wide:
        sizes = st.one_of(sizes, st.sampled_from([64, 784]))
    d = draw(sizes)
    d_tilde = draw(st.one_of(st.integers(1, d), st.sampled_from([min(d, 8), min(d, 10)])))
    return d, d_tilde


def sigmas():
    """Noise scales: 1 (the default), powers of two (exact round trips), and arbitrary values
    (the rounded 1/sigma of the encoder) from 0.01 to 100."""
    return st.one_of(st.just(1.0), st.sampled_from([0.5, 2.0, 0.25, 4.0]),
                     st.floats(min_value=0.01, max_value=100.0, allow_nan=False))


@st.composite
def deltas(draw, *, pow2: bool | None = None):
    """Ramp widths 2^-30..2^-4: powers of two (the default construction) or, with
    ``pow2=False`` / ``None``, also non-power-of-two widths (where exactness is not claimed)."""
    e = draw(st.integers(-30, -4))
    if pow2 is None:
        pow2 = draw(st.booleans())
    if pow2:
        return 2.0 ** e
    return 2.0 ** e * draw(st.floats(min_value=1.0, max_value=2.0, exclude_min=True,
                                     exclude_max=True, allow_nan=False))


@st.composite
def pools(draw, *, m: int, d: int, dyadic: bool = False):
    """An ``(m, d)`` float64 pool in [0, 1]: random rows from a drawn seed, a few drawn rows
    substituted exactly (so shrinking can reach simple pools)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dyadic:
        arr = rng.integers(0, 17, size=(m, d)) / 16.0
    else:
        arr = rng.random((m, d))
    if draw(st.booleans()):
        if dyadic:
            arr[0] = np.array(draw(st.lists(st.integers(0, 16), min_size=d, max_size=d))) / 16.0
        else:
            arr[0] = draw(st.lists(_pixel, min_size=d, max_size=d))
    return torch.as_tensor(arr, dtype=torch.float64)


def dyadic_pools(*, m: int, d: int):
    return pools(m=m, d=d, dyadic=True)


def ramp_widths():
    """Ramp widths from 1e-9 (the paper-scale regime) to 0.1."""
    return st.floats(min_value=1e-9, max_value=0.1, allow_nan=False)


@st.composite
def codes_for(draw, *, d_tilde: int, n_max: int = 64, scale_max: float = 6.0):
    """An ``(n, d_tilde)`` float64 code batch: drawn seed for the bulk, plus drawn values."""
    n = draw(st.integers(1, n_max))
    seed = draw(st.integers(0, 2**32 - 1))
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, d_tilde, generator=g, dtype=torch.float64) * draw(
        st.floats(min_value=1e-3, max_value=scale_max))
    z[0, 0] = draw(st.floats(min_value=-8.0, max_value=8.0, allow_nan=False))
    return z


@st.composite
def construction_inputs(draw, *, max_m: int = 40, max_d: int = 40, dyadic: bool | None = None,
                        pow2_delta: bool | None = True, with_sigma: bool = False):
    """``(pool, d_tilde, m, delta)`` (plus ``sigma`` with ``with_sigma``) for building
    generators directly. ``pow2_delta=None`` draws non-power-of-two widths too."""
    d, d_tilde = draw(layouts(max_d=max_d))
    m = draw(st.integers(1, max_m))
    if dyadic is None:
        dyadic = draw(st.booleans())
    pool = draw(pools(m=m, d=d, dyadic=dyadic))
    delta = draw(deltas(pow2=pow2_delta))
    if with_sigma:
        return pool, d_tilde, m, delta, draw(sigmas())
    return pool, d_tilde, m, delta


@st.composite
def discriminators(draw, *, d: int, d_tilde: int):
    """A :class:`~checker.gan.discriminators.BoundedDiscriminator` with drawn family, size,
    radius, clipping and a drawn parameter vector inside the ball."""
    from checker.gan.discriminators import BoundedDiscriminator

    kind = draw(st.sampled_from(["mlp", "features"]))
    hidden = draw(st.integers(1, 6))
    radius = draw(st.floats(0.1, 50.0))
    clip = draw(st.floats(0.1, 5.0))
    seed = draw(st.integers(0, 2**31 - 1))
    D = BoundedDiscriminator(d=d, d_tilde=d_tilde, kind=kind, hidden=hidden, radius=radius,
                             clip=clip, seed=seed)
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(D.param_count(), generator=g, dtype=torch.float64)
    frac = draw(st.floats(0.0, 1.0))
    D.set_flat_params(v * (radius * frac / max(float(v.norm()), 1e-300)))
    return D
