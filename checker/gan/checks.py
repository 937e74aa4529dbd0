r"""Numerical checks of the construction's properties on a built pair (used by the experiments,
the tests and ``checker construct``).

Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651), Theorem 1; project obligations of
docs/math/arora-thm1.md, "Proof chain": :math:`E(G(z)) = z`, :math:`E(\tilde x\circledast z) = z`
(C1), :math:`G_\delta = G` off the ramp set :math:`A` and :math:`\nu(A)\le(m-1)\delta\sup f`
(C8, "ReLU generator and the ramp width"). Every function returns a named result; nothing here decides pass/fail except by
comparison with a named tolerance or a stated bound.

.. math::

    \nu(A) = \sum_{j=1}^{m-1} \big(F(t_j) - F(t_j - \delta)\big) \le (m-1)\,\delta\,\sup f_{z_1}
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from checker.gan.codes import CodeDistribution
from checker.gan.construction import ConstructedPair
from checker.tolerances import FLOAT64_UNIT_ROUNDOFF

__all__ = ["ConstructionReport", "inspect_pair", "ramp_mass_exact", "ramp_mass_rounding", "edge_codes"]


def ramp_mass_rounding(m: int) -> float:
    r"""Absolute float64 error allowance of :func:`ramp_mass_exact`: each of the ``m-1`` terms
    :math:`F(t_j) - F(\mathrm{fl}(t_j-\delta))` is a difference of two CDF values in [0, 1], each
    computed to a few ulps (``ndtr``/``exp``: <= 2u each, subtraction u, the shifted argument <= u
    times a density <= 1/2), and the sum adds u per term: <= 8u per term in all."""
    return 8.0 * FLOAT64_UNIT_ROUNDOFF * max(m - 1, 0)


def ramp_mass_exact(edges: np.ndarray, delta: float, code: CodeDistribution) -> float:
    r""":math:`\nu(A)` via the CDF, in float64 (the intervals are disjoint when :math:`\delta` is
    below the smallest gap between edges; otherwise the overlap is counted once by merging)."""
    t = np.asarray(edges, dtype=np.float64)[1:-1]
    if t.size == 0:
        return 0.0
    lo = t - delta
    # merge overlapping intervals (lo_j, t_j): each starts at max(lo_j, t_{j-1})
    start = lo.copy()
    start[1:] = np.maximum(lo[1:], t[:-1])
    return float(np.sum(code.cdf(t) - code.cdf(start)))


def edge_codes(pair: ConstructedPair, *, per_edge: int = 1, generator: torch.Generator) -> torch.Tensor:
    """Codes whose first coordinate sits on and next to every interior edge :math:`t_j` and at
    the ends of every ramp (:math:`t_j`, the next float above, :math:`t_j - \\delta`, the next float
    below it, and the ramp midpoint); the other coordinates are drawn from :math:`\\nu`."""
    t = pair.thresholds[1:-1].double().cpu().numpy()
    if t.size == 0:
        return pair.sample_codes(0, generator=generator)
    delta = pair.delta
    pts = [t, np.nextafter(t, np.inf), t - delta, np.nextafter(t - delta, -np.inf), t - delta / 2,
           np.nextafter(t, -np.inf)]
    z1 = np.concatenate(pts * per_edge)
    z = pair.sample_codes(z1.size, generator=generator)
    z[:, 0] = torch.as_tensor(z1, dtype=z.dtype, device=z.device)
    return z


@dataclass(frozen=True, kw_only=True)
class ConstructionReport:
    """Measured properties of a constructed pair on a batch of codes."""

    m: int
    d: int
    d_tilde: int
    n_codes: int
    delta: float
    generator_params: int
    encoder_nonzeros: int
    max_inversion_error: float
    max_inversion_error_ideal: float
    max_offramp_deviation: float
    offramp_error_bound: float
    n_offramp: int
    n_onramp: int
    max_dense_minus_tied: float
    dense_bound_respected: bool
    ramp_mass_exact: float
    ramp_mass_bound: float


@torch.no_grad()
def inspect_pair(pair: ConstructedPair, *, n: int = 4096, seed: int = 0,
                 include_edges: bool = True) -> ConstructionReport:
    """Evaluate :math:`E\\circ G_\\delta`, :math:`E\\circ G` and :math:`G_\\delta - G` on ``n`` codes
    drawn from :math:`\\nu` (plus, with ``include_edges``, codes at every ramp end). Runs under
    the thread policy of :mod:`checker.threads` for the generator's size."""
    from checker.threads import threads_for

    with threads_for(pair.generator):
        return _inspect(pair, n=n, seed=seed, include_edges=include_edges)


def _inspect(pair: ConstructedPair, *, n: int, seed: int, include_edges: bool) -> ConstructionReport:
    gen = torch.Generator(device=pair.pool.device).manual_seed(seed)
    z = pair.sample_codes(n, generator=gen)
    if include_edges:
        z = torch.cat([z, edge_codes(pair, generator=gen)])
    g, gi = pair.generator(z), pair.ideal_generator(z)
    inv = float((pair.encoder(g) - z).abs().max()) if z.numel() else 0.0
    inv_i = float((pair.encoder(gi) - z).abs().max()) if z.numel() else 0.0
    on = pair.generator.on_ramp(z)
    off = ~on
    dev = float((g - gi)[off].abs().max()) if bool(off.any()) else 0.0
    dense = pair.generator.forward_dense(z)
    diff = (dense - g).abs().amax(1)
    bound = pair.generator.dense_error_bound(z)
    mass = ramp_mass_exact(pair.thresholds.double().cpu().numpy(), pair.delta, pair.code) \
        if pair.m > 1 else 0.0
    mass_bound = (pair.m - 1) * pair.delta * pair.code.max_density if pair.m > 1 else 0.0
    return ConstructionReport(
        m=pair.m, d=pair.d, d_tilde=pair.d_tilde, n_codes=int(z.shape[0]), delta=pair.delta,
        generator_params=pair.generator.param_count(), encoder_nonzeros=pair.encoder.nonzero_weights(),
        max_inversion_error=inv, max_inversion_error_ideal=inv_i, max_offramp_deviation=dev,
        offramp_error_bound=pair.generator.offramp_error_bound(), n_offramp=int(off.sum()),
        n_onramp=int(on.sum()), max_dense_minus_tied=float(diff.max()) if diff.numel() else 0.0,
        dense_bound_respected=bool((diff <= bound).all()), ramp_mass_exact=mass,
        ramp_mass_bound=mass_bound if math.isfinite(mass_bound) else math.inf)
