r"""Theorem 1's explicit pair :math:`(G, E)`, built in one call: :func:`build_pair`.

Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651), Theorem 1 ([S] statement; [A] idea),
with the project's explicit construction of docs/math/arora-thm1.md ("Explicit version" and "Construction")
([R]): draw a pool :math:`\tilde x_1..\tilde x_m \stackrel{iid}{\sim} \tilde\mu` (with
replacement from a data set), hash codes into :math:`m` equal-:math:`\nu` blocks, and set

.. math::

    E(x) = x_S/\sigma,\qquad G(z) = \tilde x_{i(z)} \circledast z,\qquad
    \delta = \mathrm{ramp\_width}(\varepsilon, \Delta, m) = \frac{\sqrt{2\pi}\,\varepsilon}{8\Delta(m-1)}

so the ReLU generator :math:`G_\delta` differs from :math:`G` by at most
:math:`2\Delta\nu(A) \le \varepsilon/4` in every :math:`\varphi`-expectation. By default the
ramp width is rounded **down** to a power of two (``exact_ramp=True``, see
:mod:`checker.gan.generator`): it stays within the :math:`\varepsilon/4` budget and makes the
off-ramp output exact. For a non-Gaussian code the width is scaled by
:math:`(1/\sqrt{2\pi})/\sup f_{z_1}` so the same budget holds (our derivation).

=====================  ===================  ============================================
symbol                 argument             meaning
=====================  ===================  ============================================
:math:`\tilde d`       ``d_tilde``          code dimension
:math:`m`              ``m``                pool size / number of blocks
:math:`\varepsilon`    ``eps``              target fooling error (sets :math:`\delta`)
:math:`\Delta`         ``Delta``            range bound of :math:`\varphi`
:math:`\delta`         ``delta``            ramp width (``None``: derived as above)
:math:`\nu`            ``code``             code distribution (default Gaussian)
=====================  ===================  ============================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from checker.device import resolve_device
from checker.errors import InvalidArgument
from checker.gan.codes import CodeDistribution, code_distribution, thresholds
from checker.gan.data import ImageData, dataset_dim, load_images
from checker.gan.encoder import NoiseEncoder
from checker.gan.generator import IdealGenerator, ReluGenerator, pow2_floor
from checker.gan.noising import apply_noise, check_layout
from checker.validate import integer, one_of, positive, positive_int

__all__ = ["ConstructedPair", "build_pair", "default_delta"]


def default_delta(eps: float, Delta: float, m: int, *, code: str | CodeDistribution = "gaussian",
                  exact_ramp: bool = True) -> float:
    """The ramp width keeping the hashing error within ``eps/4`` (``inf`` when ``m == 1``).

    ``ramp_width`` of ``checker.bounds.arora_construction`` (Gaussian density bound), scaled for
    other codes, and rounded down to a power of two when ``exact_ramp``.
    """
    from checker.bounds.arora_construction import ramp_width

    eps = positive("eps", eps)
    Delta = positive("Delta", Delta)
    m = positive_int("m", m)
    if m == 1:
        return math.inf
    nu = code_distribution(code)
    width = float(ramp_width(eps, Delta, m)) * (1.0 / math.sqrt(2.0 * math.pi)) / nu.max_density
    return pow2_floor(width) if exact_ramp else width


@dataclass(frozen=True, kw_only=True, eq=False)
class ConstructedPair:
    """An explicit encoder/generator pair of Theorem 1 and its ingredients.

    ``pool`` holds the un-noised pool images ``(m, d)``; ``thresholds`` the ``m+1`` block edges;
    ``data`` the images "real" samples are drawn from (the pool's :math:`\\tilde\\mu`).
    """

    encoder: NoiseEncoder
    generator: ReluGenerator | None
    ideal_generator: IdealGenerator
    pool: torch.Tensor
    pool_labels: torch.Tensor
    noise_indices: torch.Tensor
    thresholds: torch.Tensor
    delta: float
    d: int
    d_tilde: int
    m: int
    eps: float
    Delta: float
    sigma: float
    code: CodeDistribution
    data: ImageData = field(repr=False)
    seed: int = 0

    def sample_codes(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        """``n`` fresh codes :math:`z \\sim \\nu`."""
        n = integer("n", n, min_value=0)
        return self.code.sample(n, self.d_tilde, generator=generator, dtype=self.pool.dtype,
                                device=self.pool.device)

    def sample(self, n: int, *, generator: torch.Generator, ideal: bool = False) -> torch.Tensor:
        """``n`` generator outputs :math:`G(z)` (ReLU form, or the ideal one) on fresh codes."""
        if not ideal and self.generator is None:
            raise InvalidArgument("ideal", ideal, "must be True: this pair was built with build_relu=False")
        z = self.sample_codes(n, generator=generator)
        with torch.no_grad():
            return (self.ideal_generator if ideal else self.generator)(z)

    def sample_real(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        """``n`` real noised images :math:`x = \\tilde x \\circledast z`, :math:`\\tilde x \\sim \\tilde\\mu`."""
        n = integer("n", n, min_value=0)
        rows = torch.randint(self.data.n, (n,), generator=generator, device=generator.device)
        clean = self.data.images[rows.to(self.data.images.device)].to(self.pool.device)
        z = self.sample_codes(n, generator=generator)
        return apply_noise(clean, z, sigma=self.sigma)

    def block_index(self, z: torch.Tensor) -> torch.Tensor:
        """0-indexed block :math:`i(z) - 1` of each code (``searchsorted`` on :math:`z_1`)."""
        return self.ideal_generator.block_index(z)


def build_pair(*, dataset: str = "digits", d_tilde: int, m: int, seed: int = 0, eps: float = 0.1,
               Delta: float = 1.0, delta: float | None = None, dtype: torch.dtype = torch.float64,
               device: torch.device | str = "cpu", code: str = "gaussian", sigma: float = 1.0,
               relu_encoder: bool = False, exact_ramp: bool = True, d: int | None = None,
               data: ImageData | None = None, build_relu: bool = True) -> ConstructedPair:
    """Build :math:`(E, G_\\delta, G)` for a pool of ``m`` images drawn from ``dataset``.

    ``d`` is only needed for ``dataset="synthetic"`` (default 64); for a bundled data set it
    must equal the data set's dimension if given. ``data`` overrides ``dataset`` with already
    loaded images. The pool is drawn with replacement using ``seed``. ``build_relu=False``
    skips the ReLU generator (``generator`` is then ``None``): for very large ``m`` where only
    the ideal generator is used (its ``O(md)`` weights would not fit in memory).
    """
    m = positive_int("m", m)
    seed = integer("seed", seed, min_value=0)
    eps = positive("eps", eps)
    Delta = positive("Delta", Delta)
    sigma = positive("sigma", sigma)
    dev = resolve_device(device)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise InvalidArgument("dtype", dtype, "must be a floating torch dtype")
    nu = code_distribution(code)
    if data is None:
        one_of("dataset", dataset, ("digits", "mnist", "synthetic"))
        native = dataset_dim(dataset)
        if native is not None and d is not None and int(d) != native:
            raise InvalidArgument("d", d, f"must be {native} for dataset {dataset!r}",
                                  hint="use dataset='synthetic' for an arbitrary d")
        data = load_images(dataset, seed=seed, d=64 if d is None else d, dtype=dtype, device=dev)
    d_img, d_tilde = check_layout(data.d, d_tilde)
    if delta is None:
        delta = default_delta(eps, Delta, m, code=nu, exact_ramp=exact_ramp)
    else:
        delta = positive("delta", delta) if m > 1 else math.inf
    if m > 1 and not math.isfinite(delta):
        raise InvalidArgument("delta", delta, "must be finite when m > 1")
    gen = torch.Generator().manual_seed(seed)
    rows = torch.randint(data.n, (m,), generator=gen)
    pool = data.images[rows.to(data.images.device)].to(device=dev, dtype=dtype).contiguous()
    labels = data.labels[rows.to(data.labels.device)].to(dev)
    edges = thresholds(m, nu)
    encoder = NoiseEncoder(d=d_img, d_tilde=d_tilde, relu=relu_encoder, sigma=sigma, dtype=dtype,
                           device=dev)
    relu_gen = ReluGenerator(pool=pool, d_tilde=d_tilde, edges=edges,
                             delta=delta if m > 1 else 1.0, sigma=sigma) if build_relu else None
    ideal = IdealGenerator(pool=pool, d_tilde=d_tilde, edges=edges, sigma=sigma)
    return ConstructedPair(encoder=encoder, generator=relu_gen, ideal_generator=ideal, pool=pool,
                           pool_labels=labels, noise_indices=encoder.noise_indices,
                           thresholds=torch.as_tensor(np.asarray(edges), dtype=dtype, device=dev),
                           delta=float(delta), d=d_img, d_tilde=d_tilde, m=m, eps=eps,
                           Delta=Delta, sigma=sigma, code=nu, data=data, seed=seed)
