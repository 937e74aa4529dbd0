r"""Code distributions :math:`\nu` and the hash of codes into :math:`m` blocks of equal :math:`\nu`-measure.

Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651), Theorem 1; docs/math/arora-thm1.md,
"Setting" (the proof needs only that :math:`\nu` is atomless, [R]) and "Ideal generator" (concrete partition,
[R]). The paper's :math:`\nu` is :math:`\mathcal N(0, I_{\tilde d})` [A]; Laplace and uniform codes
are offered as other atomless choices (the authors: "one could consider other distributions").

=====================  ===================  ==============================================
paper symbol           argument             meaning
=====================  ===================  ==============================================
:math:`\nu`            ``code``             ``"gaussian"`` (default), ``"laplace"``, ``"uniform"``
:math:`m`              ``m``                number of blocks (pool size)
:math:`t_j`            ``thresholds[j]``    :math:`F^{-1}(j/m)`, :math:`t_0=-\infty`, :math:`t_m=+\infty`
:math:`i(z)`           :func:`block_index`  block of :math:`z` (0-indexed here)
=====================  ===================  ==============================================

.. math::

    t_j = F^{-1}(j/m),\qquad i(z) = j \iff t_{j-1} \le z_1 < t_j,\qquad \nu(B_j) = 1/m

with :math:`F` the CDF of the first coordinate :math:`z_1` (``scipy.special.ndtri`` for the
Gaussian, in float64). Marginals: Gaussian :math:`\mathcal N(0,1)` (density
:math:`\le 1/\sqrt{2\pi}`), Laplace with scale 1 (density :math:`\le 1/2`), uniform on
:math:`[-1, 1]` (density :math:`1/2`), coordinates i.i.d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy import special

from checker.validate import one_of, positive_int

__all__ = ["CODES", "CodeDistribution", "code_distribution", "thresholds", "block_index"]

CODES: tuple[str, ...] = ("gaussian", "laplace", "uniform")


@dataclass(frozen=True, kw_only=True)
class CodeDistribution:
    """An atomless product code distribution with i.i.d. coordinates."""

    name: str

    def __post_init__(self) -> None:
        one_of("code", self.name, CODES)

    @property
    def max_density(self) -> float:
        """Supremum of the marginal density of :math:`z_1` (used in the ramp-mass bound)."""
        return {"gaussian": 1.0 / math.sqrt(2.0 * math.pi), "laplace": 0.5, "uniform": 0.5}[self.name]

    def cdf(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if self.name == "gaussian":
            return special.ndtr(t)
        if self.name == "laplace":
            return np.where(t < 0, 0.5 * np.exp(np.minimum(t, 0.0)),
                            1.0 - 0.5 * np.exp(-np.maximum(t, 0.0)))
        return np.clip((t + 1.0) / 2.0, 0.0, 1.0)

    def quantile(self, q: np.ndarray) -> np.ndarray:
        """:math:`F^{-1}(q)` in float64 (``ndtri`` for the Gaussian)."""
        q = np.asarray(q, dtype=np.float64)
        if self.name == "gaussian":
            return special.ndtri(q)
        if self.name == "laplace":
            with np.errstate(divide="ignore"):
                return np.where(q < 0.5, np.log(2.0 * q), -np.log(2.0 * (1.0 - q)))
        return 2.0 * q - 1.0

    def sample(self, n: int, d_tilde: int, *, generator: torch.Generator,
               dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> torch.Tensor:
        """``n`` i.i.d. codes of dimension ``d_tilde`` drawn with ``generator``."""
        shape = (int(n), int(d_tilde))
        gdev = generator.device
        if self.name == "gaussian":
            z = torch.randn(shape, generator=generator, dtype=dtype, device=gdev)
        else:
            u = torch.rand(shape, generator=generator, dtype=dtype, device=gdev)
            if self.name == "uniform":
                z = 2.0 * u - 1.0
            else:  # laplace by inversion; u in [0, 1): 1 - u in (0, 1]
                v = u - 0.5
                z = -torch.sign(v) * torch.log1p(-2.0 * v.abs())
        return z.to(device)


def code_distribution(code: str | CodeDistribution = "gaussian") -> CodeDistribution:
    return code if isinstance(code, CodeDistribution) else CodeDistribution(name=code)


def thresholds(m: int, code: str | CodeDistribution = "gaussian") -> np.ndarray:
    r"""The :math:`m+1` block edges :math:`t_0=-\infty < t_1 < \dots < t_{m-1} < t_m=+\infty` (float64)."""
    m = positive_int("m", m)
    nu = code_distribution(code)
    t = np.empty(m + 1, dtype=np.float64)
    t[0], t[m] = -np.inf, np.inf
    if m > 1:
        t[1:m] = nu.quantile(np.arange(1, m, dtype=np.float64) / m)
    return t


def block_index(z: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """0-indexed block of each code: the number of interior edges :math:`t_1..t_{m-1}` that are <= z_1.

    ``edges`` are the :math:`m+1` edges from :func:`thresholds` as a tensor.
    """
    interior = edges[1:-1].to(device=z.device, dtype=z.dtype)
    return torch.searchsorted(interior, z[:, 0].contiguous(), right=True)
