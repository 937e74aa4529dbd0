r"""The generators of Theorem 1: the ideal (discontinuous) hash generator and its compact ReLU form.

Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651), Theorem 1 ("a generator of support
:math:`m`"; "a ReLU network with :math:`O(md)` parameters", [S]); constructions of
docs/math/arora-thm1.md, "Ideal generator" ([R] partition) and "ReLU generator and the ramp width" (one hidden
ReLU layer, ramp width :math:`\delta`, parameter count, ramp mass; all [R], our specification).

=========================  ====================  ============================================
paper symbol               argument / attribute  meaning
=========================  ====================  ============================================
:math:`\tilde x_1..\tilde x_m`  ``pool``         un-noised pool images, shape ``(m, d)``
:math:`\bar x_j`           ``pool_clean``        pool image with its noise pixels set to 0
:math:`t_j`                ``edges``             block edges (:mod:`checker.gan.codes`)
:math:`\delta`             ``delta``             ramp width
:math:`P`                  ``skip_weight``       copies :math:`\sigma z_j` to noise pixel ``j``
:math:`s_j`                ``ramps(z)``          ReLU ramp of edge :math:`t_j`
=========================  ====================  ============================================

.. math::

    G(z) = \tilde x_{i(z)} \circledast z = Pz + \bar x_{i(z)}, \qquad
    s_j(z) = \mathrm{ReLU}\Big(\frac{z_1 - t_j}{\delta} + 1\Big) - \mathrm{ReLU}\Big(\frac{z_1-t_j}{\delta}\Big),

.. math::

    G_\delta(z) = \bar x_1 + \sum_{j=1}^{m-1} s_j(z)\,(\bar x_{j+1} - \bar x_j) + Pz,
    \qquad G_\delta = G \ \text{ off } A = \bigcup_j \{t_j - \delta < z_1 < t_j\},
    \qquad \nu(A) \le (m-1)\,\delta\, \sup f_{z_1}.

Parameter tensors (their entries total exactly
:math:`2(m-1)+2(m-1)+2(m-1)(d-\tilde d)+(d-\tilde d)+\tilde d = 2(m-1)(d-\tilde d+2)+d`, the
formula of ``checker.bounds.arora_construction.generator_param_count``):
``hidden_weight`` :math:`(2(m-1), 1)` acting on :math:`z_1` only, ``hidden_bias``
:math:`(2(m-1),)`, ``out_weight`` :math:`(d-\tilde d, 2(m-1))` on the non-noise pixels,
``out_bias`` :math:`(d-\tilde d,)` and ``skip_weight`` :math:`(\tilde d,)`. Hidden units are
ordered ``[u_1+1, ..., u_{m-1}+1, u_1, ..., u_{m-1}]`` with :math:`u_j = (z_1-t_j)/\delta`, so
``out_weight = [C | -C]``, :math:`C_{:,j} = \bar x_{j+1}-\bar x_j`.

**Numerics (our design).** :math:`\delta` can be ~1e-8, so :math:`|u_j|` reaches ~1e9 and the
literal evaluation :math:`\mathrm{ReLU}(u_j+1)\,c_j - \mathrm{ReLU}(u_j)\,c_j` cancels
catastrophically (error ~ :math:`m\,|u|\,2^{-53}`). Two measures make the off-ramp output exact:

1. By default :math:`\delta` is a power of two (the largest one not above the requested width,
   so the :math:`\varepsilon/4` budget still holds). Then :math:`1/\delta` and :math:`t_j/\delta`
   are exact, :math:`u_j = 2^k\,\mathrm{fl}(z_1 - t_j)` has exactly the sign of :math:`z_1 - t_j`,
   and :math:`u_j \le -1` exactly when :math:`z_1 \le t_j - \delta`.
2. :meth:`ReluGenerator.forward` evaluates each ramp pair as
   :math:`\mathrm{ReLU}(a) - \mathrm{ReLU}(a - 1) = \min(\max(a, 0), 1)` with :math:`a = u_j+1`
   (an identity in exact arithmetic for the tied pair), so off :math:`A` every
   :math:`s_j \in \{0, 1\}` exactly. :meth:`ReluGenerator.forward_dense` evaluates the literal
   two-layer network for comparison.

What remains off :math:`A` is the rounding of the prefix sum :math:`\bar x_1 + \sum_{j<i} c_j`,
bounded a priori by :meth:`ReluGenerator.offramp_error_bound` (Higham's summation bound with
unit roundoff ``checker.tolerances.FLOAT64_UNIT_ROUNDOFF``); it is exactly 0 for dyadic pixel
values such as the 8×8 digits (multiples of 1/16).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from checker.errors import InvalidArgument
from checker.gan.codes import block_index
from checker.gan.noising import noise_indices
from checker.tolerances import FLOAT64_UNIT_ROUNDOFF
from checker.validate import positive

__all__ = ["IdealGenerator", "ReluGenerator", "pow2_floor", "gamma_n"]

#: Batch chunk size (rows x hidden units) of the ReLU generator's forward pass: bounds the
#: temporary (n, m-1) ramp matrix to 2**22 float64 entries (32 MiB).
_CHUNK_ENTRIES = 1 << 22


def pow2_floor(x: float) -> float:
    """The largest power of two ``<= x`` (``x > 0`` finite)."""
    x = positive("delta", x)
    e = math.floor(math.log2(x))
    p = math.ldexp(1.0, e)
    if p > x:  # log2 rounding
        p = math.ldexp(1.0, e - 1)
    elif e < 1023 and math.ldexp(1.0, e + 1) <= x:  # 2**1024 is above every float (and overflows)
        p = math.ldexp(1.0, e + 1)
    return p


def gamma_n(n: int) -> float:
    r""":math:`\gamma_n = n u/(1 - n u)`: relative error bound of any order of summation of ``n+1`` terms."""
    nu = n * FLOAT64_UNIT_ROUNDOFF
    if nu >= 1:
        return math.inf
    return nu / (1.0 - nu)


def _clean_pool(pool: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    clean = pool.clone()
    clean[:, idx] = 0
    return clean


def _check_pool(pool: torch.Tensor, d_tilde: int, edges: np.ndarray | torch.Tensor) -> None:
    if pool.ndim != 2:
        raise InvalidArgument("pool.shape", tuple(pool.shape), "must be (m, d)")
    if not torch.isfinite(pool).all():
        raise InvalidArgument("pool", "non-finite entries", "must be finite")
    if len(edges) != pool.shape[0] + 1:
        raise InvalidArgument("edges", f"{len(edges)} edges", f"must be m+1={pool.shape[0] + 1}")


class IdealGenerator(nn.Module):
    r"""The ideal hash generator :math:`G(z) = \tilde x_{i(z)} \circledast z` (``searchsorted``)."""

    def __init__(self, *, pool: torch.Tensor, d_tilde: int, edges: np.ndarray, sigma: float = 1.0):
        super().__init__()
        _check_pool(pool, d_tilde, edges)
        idx = noise_indices(pool.shape[1], d_tilde, device=pool.device)
        self.m, self.d, self.d_tilde = pool.shape[0], pool.shape[1], d_tilde
        self.sigma = positive("sigma", sigma)
        self.register_buffer("noise_indices", idx, persistent=False)
        self.register_buffer("pool_clean", _clean_pool(pool, idx))
        self.register_buffer("edges", torch.as_tensor(np.asarray(edges), dtype=pool.dtype,
                                                      device=pool.device))

    def block_index(self, z: torch.Tensor) -> torch.Tensor:
        return block_index(z, self.edges)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _check_codes(z, self.d_tilde)
        out = self.pool_clean[self.block_index(z)]
        out[:, self.noise_indices] = z if self.sigma == 1.0 else self.sigma * z
        return out


def _check_codes(z: torch.Tensor, d_tilde: int) -> None:
    if z.ndim != 2 or z.shape[1] != d_tilde:
        raise InvalidArgument("z.shape", tuple(z.shape), f"must be (n, d_tilde={d_tilde})")


class ReluGenerator(nn.Module):
    """The compact one-hidden-layer ReLU generator :math:`G_\\delta` (see module docstring)."""

    def __init__(self, *, pool: torch.Tensor, d_tilde: int, edges: np.ndarray, delta: float,
                 sigma: float = 1.0):
        super().__init__()
        _check_pool(pool, d_tilde, edges)
        m, d = pool.shape
        self.m, self.d, self.d_tilde = m, d, d_tilde
        self.delta = positive("delta", delta)
        self.sigma = positive("sigma", sigma)
        dtype, device = pool.dtype, pool.device
        idx = noise_indices(d, d_tilde, device=device)
        keep = torch.ones(d, dtype=torch.bool, device=device)
        keep[idx] = False
        self.register_buffer("noise_indices", idx, persistent=False)
        self.register_buffer("keep_indices", torch.nonzero(keep).flatten(), persistent=False)
        self.register_buffer("edges", torch.as_tensor(np.asarray(edges), dtype=dtype, device=device))
        clean = pool[:, self.keep_indices]  # (m, d - d_tilde): non-noise pixels of x̄_j
        t = torch.as_tensor(np.asarray(edges)[1:-1], dtype=dtype, device=device)  # (m-1,)
        inv = 1.0 / self.delta
        self.hidden_weight = nn.Parameter(torch.full((2 * (m - 1), 1), inv, dtype=dtype, device=device),
                                          requires_grad=False)
        self.hidden_bias = nn.Parameter(torch.cat([1.0 - t * inv, -t * inv]), requires_grad=False)
        c = (clean[1:] - clean[:-1]).T  # (d - d_tilde, m - 1)
        self.out_weight = nn.Parameter(torch.cat([c, -c], dim=1).contiguous(), requires_grad=False)
        self.out_bias = nn.Parameter(clean[0].clone(), requires_grad=False)
        self.skip_weight = nn.Parameter(torch.full((d_tilde,), self.sigma, dtype=dtype, device=device),
                                        requires_grad=False)

    # -- structure -----------------------------------------------------------------------
    def param_count(self) -> int:
        """Total number of entries of the parameter tensors (= ``generator_param_count(m, d, d_tilde)``)."""
        return int(sum(p.numel() for p in self.parameters()))

    @property
    def pool_clean(self) -> torch.Tensor:
        """:math:`\\bar x_j` restricted to the non-noise pixels, recovered from the weights."""
        return self.out_bias + torch.cumsum(
            torch.cat([torch.zeros_like(self.out_bias)[:, None], self.out_weight[:, : self.m - 1]], 1), 1).T

    def preactivations(self, z: torch.Tensor) -> torch.Tensor:
        """Hidden pre-activations ``(n, 2(m-1))``: ``[u_j + 1 | u_j]``."""
        return z[:, :1] * self.hidden_weight[:, 0] + self.hidden_bias

    def ramps(self, z: torch.Tensor) -> torch.Tensor:
        r"""The ramps :math:`s_j(z) = \min(\max(u_j+1, 0), 1)`, shape ``(n, m-1)``.

        Computed from the second unit of each pair, :math:`u_j = z_1/\delta - t_j/\delta`, whose
        sign is exact when :math:`\delta` is a power of two (the first unit's bias
        :math:`1 - t_j/\delta` is rounded, so it is not used here; in exact arithmetic both
        units give the same :math:`s_j`)."""
        k = self.m - 1
        u = z[:, :1] * self.hidden_weight[k:, 0] + self.hidden_bias[k:]
        return (u + 1.0).clamp(0.0, 1.0)

    def on_ramp(self, z: torch.Tensor) -> torch.Tensor:
        r"""Boolean mask of codes in the ramp set :math:`A`: :math:`-\delta < \mathrm{fl}(z_1 - t_j) < 0`
        for some ``j``.

        This is :math:`A` evaluated with the float64 difference the generator itself uses; it
        differs from the exact set only for codes within one rounding of a ramp's lower end,
        where the ramp value is exactly 0 in float64 anyway.
        """
        t = self.edges[1:-1]
        if t.numel() == 0:
            return torch.zeros(z.shape[0], dtype=torch.bool, device=z.device)
        z1 = z[:, 0].contiguous()
        nxt = torch.searchsorted(t, z1, right=True)  # first edge > z1
        nxt_c = nxt.clamp(max=t.numel() - 1)
        return (nxt < t.numel()) & ((z1 - t[nxt_c]) > -self.delta)

    # -- evaluation ----------------------------------------------------------------------
    def _output(self, z: torch.Tensor, body: torch.Tensor) -> torch.Tensor:
        out = torch.empty((z.shape[0], self.d), dtype=body.dtype, device=body.device)
        out[:, self.keep_indices] = body
        out[:, self.noise_indices] = z * self.skip_weight
        return out

    def _chunks(self) -> int:
        return max(1, _CHUNK_ENTRIES // max(1, 2 * (self.m - 1)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Tied evaluation: ramp pairs as ``clamp(a, 0, 1)``, then ``b + S C^T`` (exact off A)."""
        _check_codes(z, self.d_tilde)
        k = self.m - 1
        if k == 0:
            return self._output(z, self.out_bias.expand(z.shape[0], -1))
        c = self.out_weight[:, :k]
        step = self._chunks()  # z.split gives at least one (possibly empty) chunk
        parts = [torch.addmm(self.out_bias, self.ramps(zc), c.T) for zc in z.split(step)]
        return self._output(z, torch.cat(parts))

    def forward_dense(self, z: torch.Tensor) -> torch.Tensor:
        """Literal layer-by-layer evaluation ``out_bias + out_weight @ ReLU(hidden(z_1))`` + skip."""
        _check_codes(z, self.d_tilde)
        if self.m == 1:
            return self._output(z, self.out_bias.expand(z.shape[0], -1))
        step = self._chunks()
        parts = [torch.addmm(self.out_bias, torch.relu(self.preactivations(zc)), self.out_weight.T)
                 for zc in z.split(step)]
        return self._output(z, torch.cat(parts))

    # -- error bounds --------------------------------------------------------------------
    def offramp_error_bound(self) -> float:
        r"""A priori bound on :math:`\max|G_\delta(z) - G(z)|` off :math:`A` for :meth:`forward`.

        Requires :math:`\delta` a power of two (else ``inf``): then off :math:`A` every ramp is
        exactly 0 or 1 and the output is the floating-point prefix sum
        :math:`\bar x_1 + \sum_{j<i}\tilde c_j` with :math:`\tilde c_j = \mathrm{fl}(\bar x_{j+1}-\bar x_j)`.
        Any summation order errs by at most :math:`\gamma_{m-1}(|\bar x_1|+\sum_j|\tilde c_j|)`, and
        the rounding of the differences by at most :math:`u\sum_j|c_j| \le \gamma_1\sum_j|\tilde c_j|`
        (per pixel; the maximum over pixels is returned).
        """
        if pow2_floor(self.delta) != self.delta:
            return math.inf
        if self.m == 1:
            return 0.0
        k = self.m - 1
        absc = self.out_weight[:, :k].abs().sum(1)
        per_pixel = gamma_n(k) * (self.out_bias.abs() + absc) + gamma_n(2) * absc
        return float(per_pixel.max()) if per_pixel.numel() else 0.0

    def dense_error_bound(self, z: torch.Tensor) -> torch.Tensor:
        r"""Per-code bound on :math:`\max|\mathrm{forward\_dense}(z) - \mathrm{forward}(z)|`.

        The literal evaluation sums :math:`2(m-1)` products :math:`\pm\mathrm{ReLU}(a)\,c_j` of size
        up to :math:`|u_j|\,|c_j|`; with rounding of the pre-activations (:math:`\le\gamma_2(|a|+1)`)
        and of the sum (:math:`\gamma_{2m}`) the difference is at most
        :math:`(\gamma_{2m}+2\gamma_2)\sum_j(|a_j^{hi}|+|a_j^{lo}|+1)|c_j| + \text{offramp bound}` when
        both evaluations are compared to the same exact value; we return this sum (times 2 for
        the two evaluations' own errors).
        """
        k = self.m - 1
        if k == 0 or self.keep_indices.numel() == 0:  # nothing computed by the hidden layer
            return torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
        a = self.preactivations(z).abs()
        weight = a[:, :k] + a[:, k:] + 1.0  # (n, k)
        absc = self.out_weight[:, :k].abs()  # (p, k)
        worst = (weight @ absc.T).amax(1)  # (n,)
        base = gamma_n(k) * (self.out_bias.abs().max() + absc.sum(1).max())
        return 2.0 * ((gamma_n(2 * k) + 2 * gamma_n(2)) * worst + base)
