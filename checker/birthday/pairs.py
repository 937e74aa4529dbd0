r"""Exact closest-pair search in blocks: the similarity step of the birthday-paradox test.

Arora & Zhang 2017 (arXiv 1706.08224) and Arora, Risteski, Zhang, ICLR 2018, §6.1 of
``shared/reference/arora2018.md`` [A]: flag the :math:`K=20` most similar pairs of a sample of
size :math:`s` by squared Euclidean distance (the authors' code uses a heap over all
:math:`\binom s2` pairs). Everything below the procedure is the project's design [R].

================  ================  ==========================================================
symbol            argument          meaning
================  ================  ==========================================================
:math:`s`         ``x.shape[0]``    sample size
:math:`K`         ``k``             number of closest pairs reported
:math:`\tau`      ``threshold``     duplicate threshold (distance, not squared)
================  ================  ==========================================================

**Fast form and its failure.** A block of distances is computed by one matrix product,

.. math::

    \hat D_{ij} = \mathrm{fl}\big(\|a_i\|^2 + \|b_j\|^2 - 2\,a_i\cdot b_j\big),

whose absolute rounding error is at most (for any summation order, :math:`u=2^{-53}`)

.. math::

    |\hat D_{ij} - D_{ij}| \le E_{ij} := c\,(2d+8)\,u\,(\|a_i\|^2 + \|b_j\|^2),

with :math:`c` = :data:`checker.tolerances.PAIR_SCREEN_SAFETY` (our derivation from the
standard dot-product bound :math:`|\mathrm{fl}(a\cdot b)-a\cdot b|\le\gamma_d|a|\cdot|b|`).
For near-duplicates of large norm, :math:`E_{ij}` dwarfs :math:`D_{ij}` (catastrophic
cancellation; ``torch.cdist`` switches to this form above 25 rows). **Exact mode** therefore
uses :math:`\hat D` only to *screen*: a pair can be among the answers only if
:math:`\hat D_{ij}-E_{ij}` does not exceed the current cut-off, and every such candidate is
recomputed by direct differences :math:`\sum_k (a_{ik}-b_{jk})^2`, whose error is *relative*
(:math:`\le (d+1)u\,D_{ij}`), so zero distances come out as exactly zero. Memory is
:math:`O(B^2 + s\,d)` for block size :math:`B`; no :math:`s\times s` matrix is formed.

Works on CPU and CUDA: the device is taken from the input tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from checker.errors import InvalidArgument
from checker.tolerances import PAIR_SCREEN_SAFETY
from checker.validate import nonnegative, positive_int

__all__ = [
    "ClosestPairs",
    "PairsWithin",
    "NearestNeighbours",
    "as_matrix",
    "closest_pairs",
    "pairs_within",
    "nearest_neighbours",
    "fast_sqdist",
    "direct_sqdist",
    "rounding_margin",
    "DEFAULT_BLOCK",
]

#: Rows per block: a block of distances is at most DEFAULT_BLOCK**2 float64 values (32 MiB).
DEFAULT_BLOCK = 2048

_U = 2.0 ** -53


@dataclass(frozen=True, kw_only=True)
class ClosestPairs:
    """The ``k`` closest pairs ``(i[r], j[r])`` with ``i < j``, sorted by distance (ties by index).

    ``squared`` holds the squared distances; ``distance`` their square roots. ``exact`` says
    whether they were recomputed by direct differences; ``n_recomputed`` counts the candidate
    pairs recomputed (a measure of how much the screen let through).
    """

    i: np.ndarray
    j: np.ndarray
    squared: np.ndarray
    exact: bool
    n_recomputed: int

    @property
    def distance(self) -> np.ndarray:
        return np.sqrt(self.squared)

    def __len__(self) -> int:
        return int(self.i.shape[0])


@dataclass(frozen=True, kw_only=True)
class PairsWithin:
    """Every pair ``(i, j)``, ``i < j``, at distance ``<= threshold`` (exact mode)."""

    i: np.ndarray
    j: np.ndarray
    squared: np.ndarray
    threshold: float
    n_recomputed: int

    def __len__(self) -> int:
        return int(self.i.shape[0])


@dataclass(frozen=True, kw_only=True)
class NearestNeighbours:
    """For each query row: the index of its nearest reference row and the exact distance."""

    index: np.ndarray
    distance: np.ndarray
    n_recomputed: int


def as_matrix(x, *, name: str = "x", device: torch.device | str | None = None) -> torch.Tensor:
    """``x`` (tensor or array, shape ``(n, d)`` or ``(n, h, w[, c])``) as a float64 ``(n, d)`` tensor.

    Raises :class:`InvalidArgument` for a non-numeric input, fewer than 2 dimensions or a
    non-finite entry.
    """
    if isinstance(x, torch.Tensor):
        t = x.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(x))
        except (TypeError, ValueError, RuntimeError):
            raise InvalidArgument(name, type(x).__name__, "must be an array of numbers") from None
    if t.dtype == torch.bool or t.is_complex():
        raise InvalidArgument(f"{name}.dtype", str(t.dtype), "must be a real number type")
    if t.ndim < 2:
        raise InvalidArgument(f"{name}.shape", tuple(t.shape), "must be (n, d) or (n, h, w)")
    if device is not None:
        t = t.to(device)
    if t.shape[0] == 0:
        raise InvalidArgument(f"{name}.shape", tuple(t.shape), "must have at least one row (got an empty batch)")
    t = t.reshape(t.shape[0], -1).to(torch.float64)
    if t.shape[1] == 0:
        raise InvalidArgument(f"{name}.shape", tuple(t.shape), "must have at least one feature")
    if t.numel() and not bool(torch.isfinite(t).all()):
        bad = int((~torch.isfinite(t)).any(dim=1).sum())
        raise InvalidArgument(name, f"<{bad} rows with NaN/inf>", "must be finite")
    return t


def rounding_margin(na: torch.Tensor, nb: torch.Tensor, d: int) -> torch.Tensor:
    """Rigorous bound :math:`E_{ij}` on the fast form's absolute error (module docstring)."""
    return (PAIR_SCREEN_SAFETY * (2 * d + 8) * _U) * (na[:, None] + nb[None, :])


def fast_sqdist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The matrix-product form ``|a|^2 + |b|^2 - 2 a.b`` (fast; inexact for near-duplicates)."""
    na = (a * a).sum(1)
    nb = (b * b).sum(1)
    return na[:, None] + nb[None, :] - 2.0 * (a @ b.T)


def direct_sqdist(a: torch.Tensor, b: torch.Tensor, *, chunk: int = 1 << 14) -> torch.Tensor:
    """Row-wise ``sum((a[r] - b[r])**2)`` by direct differences (relative error <= (d+1)u)."""
    out = torch.empty(a.shape[0], dtype=torch.float64, device=a.device)
    for c0 in range(0, a.shape[0], chunk):
        diff = a[c0:c0 + chunk] - b[c0:c0 + chunk]
        out[c0:c0 + chunk] = (diff * diff).sum(1)
    return out


def _check_block(block: int | None) -> int:
    return DEFAULT_BLOCK if block is None else positive_int("block", block)


def _blocks(n: int, start: int, size: int):
    for c0 in range(start, n, size):
        yield c0, min(n, c0 + size)


def closest_pairs(x, *, k: int = 20, exact: bool = True, block: int | None = None) -> ClosestPairs:
    r"""The ``k`` closest pairs of rows of ``x`` (squared Euclidean distance), blocked.

    ``exact=True`` (default) screens with the fast form and a rigorous rounding margin, then
    recomputes every candidate by direct differences, so the result equals a brute-force
    direct-difference computation. ``exact=False`` returns the fast form (clamped at 0), which
    is wrong for near-duplicates; it exists for comparison and benchmarks.
    """
    x = as_matrix(x)
    n, d = x.shape
    if n < 2:
        raise InvalidArgument("x.shape[0]", n, "must be >= 2 (a pair needs two samples)")
    k = positive_int("k", k)
    npairs = n * (n - 1) // 2
    if k > npairs:
        raise InvalidArgument("k", k, f"must be <= the number of pairs C({n},2)={npairs}")
    bs = _check_block(block)
    dev = x.device
    norms = (x * x).sum(1)
    rel = PAIR_SCREEN_SAFETY * (2 * d + 8) * _U
    best_d = torch.empty(0, dtype=torch.float64, device=dev)
    best_i = torch.empty(0, dtype=torch.long, device=dev)
    best_j = torch.empty(0, dtype=torch.long, device=dev)
    cut = math.inf
    n_rec = 0
    for r0, r1 in _blocks(n, 0, bs):
        a = x[r0:r1]
        ri = torch.arange(r0, r1, device=dev)
        for c0, c1 in _blocks(n, r0, bs):
            b = x[c0:c1]
            cj = torch.arange(c0, c1, device=dev)
            valid = cj[None, :] > ri[:, None]
            if not bool(valid.any()):
                continue
            dh = norms[r0:r1, None] + norms[None, c0:c1] - 2.0 * (a @ b.T)
            if exact:
                marg = rounding_margin(norms[r0:r1], norms[c0:c1], d)
                upper = torch.where(valid, dh + marg, torch.inf)
                nvalid = int(valid.sum())
                kth_upper = (torch.kthvalue(upper.flatten(), min(k, nvalid)).values.item()
                             if nvalid >= k else math.inf)
                blk_cut = min(cut, kth_upper)
                cand = valid & (dh - marg <= blk_cut * (1.0 + rel))
                ii, jj = torch.nonzero(cand, as_tuple=True)
                gi, gj = ii + r0, jj + c0
                dd = direct_sqdist(x[gi], x[gj])
                n_rec += int(gi.numel())
            else:
                vals = torch.where(valid, dh.clamp_min(0.0), torch.inf).flatten()
                take = min(k, int(valid.sum()))
                top = torch.topk(vals, take, largest=False)
                ii = top.indices // (c1 - c0)
                jj = top.indices % (c1 - c0)
                gi, gj, dd = ii + r0, jj + c0, top.values
            best_d = torch.cat([best_d, dd])
            best_i = torch.cat([best_i, gi])
            best_j = torch.cat([best_j, gj])
            if best_d.numel() > k:
                best_d, best_i, best_j = _sort_keep(best_d, best_i, best_j, n, k)
            if best_d.numel() == k:
                cut = float(best_d.max())
    best_d, best_i, best_j = _sort_keep(best_d, best_i, best_j, n, k)
    return ClosestPairs(i=best_i.cpu().numpy(), j=best_j.cpu().numpy(),
                        squared=best_d.cpu().numpy(), exact=exact, n_recomputed=n_rec)


def _sort_keep(d2, i, j, n, k):
    # lexicographic (distance, i, j): stable sorts from the least significant key
    key = i * n + j
    o = torch.argsort(key, stable=True)
    d2, i, j = d2[o], i[o], j[o]
    o = torch.argsort(d2, stable=True)[:k]
    return d2[o], i[o], j[o]


def pairs_within(x, threshold: float, *, block: int | None = None) -> PairsWithin:
    """Every pair of rows at exact (direct-difference) distance ``<= threshold``."""
    x = as_matrix(x)
    n, d = x.shape
    tau = nonnegative("threshold", threshold)
    t2 = tau * tau
    bs = _check_block(block)
    dev = x.device
    norms = (x * x).sum(1)
    rel = PAIR_SCREEN_SAFETY * (2 * d + 8) * _U
    out_i, out_j, out_d = [], [], []
    n_rec = 0
    for r0, r1 in _blocks(n, 0, bs):
        a = x[r0:r1]
        ri = torch.arange(r0, r1, device=dev)
        for c0, c1 in _blocks(n, r0, bs):
            cj = torch.arange(c0, c1, device=dev)
            valid = cj[None, :] > ri[:, None]
            dh = norms[r0:r1, None] + norms[None, c0:c1] - 2.0 * (a @ x[c0:c1].T)
            marg = rounding_margin(norms[r0:r1], norms[c0:c1], d)
            cand = valid & (dh - marg <= t2 * (1.0 + rel))
            ii, jj = torch.nonzero(cand, as_tuple=True)
            if ii.numel() == 0:
                continue
            gi, gj = ii + r0, jj + c0
            dd = direct_sqdist(x[gi], x[gj])
            n_rec += int(gi.numel())
            keep = dd <= t2
            out_i.append(gi[keep])
            out_j.append(gj[keep])
            out_d.append(dd[keep])
    if out_i:
        i = torch.cat(out_i).cpu().numpy()
        j = torch.cat(out_j).cpu().numpy()
        dd = torch.cat(out_d).cpu().numpy()
    else:
        i = j = np.zeros(0, dtype=np.int64)
        dd = np.zeros(0)
    return PairsWithin(i=i, j=j, squared=dd, threshold=tau, n_recomputed=n_rec)


def nearest_neighbours(queries, reference=None, *, block: int | None = None) -> NearestNeighbours:
    """Exact nearest reference row (direct-difference distance) for every query row.

    With ``reference=None`` the reference is ``queries`` itself and a row is never its own
    neighbour (real-vs-real nearest-neighbour distances for threshold calibration).
    """
    q = as_matrix(queries, name="queries")
    self_ref = reference is None
    r = q if self_ref else as_matrix(reference, name="reference", device=q.device)
    if r.shape[1] != q.shape[1]:
        raise InvalidArgument("reference.shape", tuple(r.shape),
                              f"must have d={q.shape[1]} features like the queries")
    if r.shape[0] < (2 if self_ref else 1) or q.shape[0] < 1:
        raise InvalidArgument("reference.shape[0]", r.shape[0], "is too small for a nearest neighbour")
    n, d = q.shape
    bs = _check_block(block)
    dev = q.device
    nq = (q * q).sum(1)
    nr = (r * r).sum(1)
    rel = PAIR_SCREEN_SAFETY * (2 * d + 8) * _U
    best = torch.full((n,), torch.inf, dtype=torch.float64, device=dev)
    arg = torch.full((n,), -1, dtype=torch.long, device=dev)
    n_rec = 0
    for r0, r1 in _blocks(n, 0, bs):
        a = q[r0:r1]
        ri = torch.arange(r0, r1, device=dev)
        for c0, c1 in _blocks(r.shape[0], 0, bs):
            dh = nq[r0:r1, None] + nr[None, c0:c1] - 2.0 * (a @ r[c0:c1].T)
            marg = rounding_margin(nq[r0:r1], nr[c0:c1], d)
            upper = dh + marg
            if self_ref:
                cj = torch.arange(c0, c1, device=dev)
                same = cj[None, :] == ri[:, None]
                upper = upper.masked_fill(same, torch.inf)
            row_cut = torch.minimum(best[r0:r1], upper.min(1).values)
            cand = (dh - marg) <= (row_cut * (1.0 + rel))[:, None]
            if self_ref:
                cand &= ~same
            ii, jj = torch.nonzero(cand, as_tuple=True)
            if ii.numel() == 0:
                continue
            gi, gj = ii + r0, jj + c0
            dd = direct_sqdist(q[gi], r[gj])
            n_rec += int(gi.numel())
            # per query row: the smallest recomputed distance (ties: smallest index)
            o = torch.argsort(gj, stable=True)
            gi, gj, dd = gi[o], gj[o], dd[o]
            o = torch.argsort(dd, stable=True)
            gi, gj, dd = gi[o], gj[o], dd[o]
            o = torch.argsort(gi, stable=True)
            gi, gj, dd = gi[o], gj[o], dd[o]
            first = torch.ones_like(gi, dtype=torch.bool)
            first[1:] = gi[1:] != gi[:-1]
            gi, gj, dd = gi[first], gj[first], dd[first]
            better = dd < best[gi]
            best[gi[better]] = dd[better]
            arg[gi[better]] = gj[better]
    return NearestNeighbours(index=arg.cpu().numpy(), distance=torch.sqrt(best).cpu().numpy(),
                             n_recomputed=n_rec)
