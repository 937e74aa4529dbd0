r"""The exact closest-pair search split into tiles, run as Ray tasks (for :math:`s\ge10^6`).

Arora & Zhang 2017 (arXiv 1706.08224) and Arora, Risteski, Zhang, ICLR 2018, §6.1: the
birthday test flags the :math:`K` most similar pairs of a sample of size :math:`s`. Splitting
that search over machines is the project's design [R]; the search inside a tile is
:func:`checker.birthday.pairs.closest_pairs`'s screened search (its module docstring holds the
rounding proof).

**Tiles.** The rows are cut into :math:`T` consecutive ranges :math:`R_1,\dots,R_T` of at most
``tile`` rows. Tile :math:`(a,a)` holds the pairs :math:`i<j` inside :math:`R_a`; tile
:math:`(a,b)`, :math:`a<b`, the pairs :math:`R_a\times R_b` (every :math:`i\in R_a` is below
every :math:`j\in R_b`). Every pair :math:`i<j` lies in exactly one tile
(:func:`tile_plan`).

**Exactness.** Order pairs by :math:`(\delta_{ij},i,j)` with :math:`\delta` the direct float64
squared distance. Each task returns the first :math:`\min(K,\text{pairs in its tile})` pairs of
its tile in that order (local indices are an order-preserving shift of the global ones, so the
order inside a tile is the global order). A pair among the global first :math:`K` is among the
first :math:`K` of its own tile (fewer pairs precede it there), so the first :math:`K` of the
union of the returned lists are the global answer, ties included: the result equals
:func:`closest_pairs` on the whole sample, pair for pair and bit for bit.

**Cost and memory.** :math:`T(T+1)/2` tasks; a task holds at most :math:`2\cdot` ``tile`` rows
plus the search's own buffers (its float32 screen copy of those rows and one
:math:`B\times8B` block). The data goes once into the Ray object store (``ray.put``), so the
object store must hold :math:`s\,d` values (4 bytes each in float32); the driver keeps only the
:math:`K` best of each finished task. Validation (finite, below :math:`2^{400}`) runs on the
driver before any task starts, so bad input fails with the one-line error of
:func:`closest_pairs`.

Ray is optional (the ``ray`` extra); :func:`closest_pairs` stays the local default.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from checker.birthday.pairs import (
    ClosestPairs,
    _F64_MAX,
    _as_data,
    _blocks,
    _check_pair_count,
    _row_block,
    _search_closest,
    _sort_keep,
)
from checker.errors import InvalidArgument
from checker.validate import one_of, positive_int

__all__ = ["tile_plan", "closest_pairs_tile", "closest_pairs_ray", "DEFAULT_TILE", "RAY_HINT"]

#: Rows per tile: a task searches at most 2 * DEFAULT_TILE rows (about 0.5 GiB of float32
#: data at d = 784, plus its screen copy).
DEFAULT_TILE = 65_536

RAY_HINT = "install it with: pip install 'checker[ray]' (or pip install 'ray>=2.9')"


def tile_plan(n: int, tile: int) -> list[tuple[int, int, int, int]]:
    """The tiles ``(a0, a1, b0, b1)`` of ``n`` rows in ranges of ``tile``: ``a0 == b0`` for a
    diagonal tile (pairs ``i < j`` inside ``[a0, a1)``), else ``a1 <= b0`` (pairs
    ``[a0, a1) x [b0, b1)``). Every pair ``i < j < n`` is in exactly one tile."""
    ranges = list(_blocks(n, 0, tile))
    return [(a0, a1, b0, b1) for ai, (a0, a1) in enumerate(ranges) for (b0, b1) in ranges[ai:]]


def _tile_pairs(a0: int, a1: int, b0: int, b1: int) -> int:
    na = a1 - a0
    return na * (na - 1) // 2 if a0 == b0 else na * (b1 - b0)


def _rows(x, r0: int, r1: int) -> torch.Tensor:
    """Rows ``[r0, r1)`` as a tensor; a read-only array (Ray's object store) is copied."""
    if isinstance(x, torch.Tensor):
        return x[r0:r1]
    a = np.asarray(x)[r0:r1]
    return torch.from_numpy(a if a.flags.writeable else a.copy())


def closest_pairs_tile(x, a0: int, a1: int, b0: int, b1: int, *, k: int, screen: str = "auto",
                       block: int | None = None):
    """The first ``min(k, pairs in the tile)`` pairs of one tile of validated data ``x`` (an
    ``(s, d)`` float32/float64 array or tensor), in global indices: ``(squared, i, j, n_recomputed)``
    as numpy arrays and an int. Runs in the task; also callable locally."""
    if a0 == b0:
        y = _rows(x, a0, a1)
        split = 0
    else:
        y = torch.cat([_rows(x, a0, a1), _rows(x, b0, b1)])
        split = a1 - a0
    kk = min(k, _tile_pairs(a0, a1, b0, b1))
    if kk == 0:
        e = np.zeros(0, dtype=np.int64)
        return np.zeros(0), e, e, 0
    d2, i, j, n_rec = _search_closest(y, kk, _row_block(y.shape[0], block), screen, split)
    i = i.cpu().numpy() + a0
    j = j.cpu().numpy()
    j = np.where(j < split, j + a0, j - split + b0) if split else j + a0
    return d2.cpu().numpy(), i, j, n_rec


def _validate(x: torch.Tensor, bs: int) -> None:
    """The checks of the local search's preparation (finite, entries below 2^400), on the driver."""
    amax = 0.0
    for r0, r1 in _blocks(x.shape[0], 0, bs):
        mn, mx = torch.aminmax(x[r0:r1])
        lo, hi = float(mn), float(mx)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            bad = int((~torch.isfinite(x)).any(dim=1).sum())
            raise InvalidArgument("x", f"<{bad} rows with NaN/inf>", "must be finite")
        amax = max(amax, -lo, hi)
    if amax > _F64_MAX:
        raise InvalidArgument("x", f"<max |entry| = {amax:g}>", "entries must be below 2^400 in magnitude")


def closest_pairs_ray(x, *, k: int = 20, tile: int | None = None, screen: str = "auto",
                      block: int | None = None, address: str | None = None,
                      num_cpus_per_task: float = 1.0) -> ClosestPairs:
    """:func:`checker.birthday.pairs.closest_pairs` (exact mode) as Ray tasks, one per tile.

    Joins the running Ray runtime, or starts a local one (``address=None``) or joins the cluster
    at ``address``; the runtime it started is shut down on return. The answer equals the local
    search's (module docstring); ``n_recomputed`` is the sum over the tasks.
    """
    one_of("screen", screen, ("auto", "float32", "float64"))
    k = positive_int("k", k)
    tile = DEFAULT_TILE if tile is None else positive_int("tile", tile)
    if block is not None:
        positive_int("block", block)
    if not (isinstance(num_cpus_per_task, (int, float)) and not isinstance(num_cpus_per_task, bool)
            and 0 < num_cpus_per_task < math.inf):
        raise InvalidArgument("num_cpus_per_task", num_cpus_per_task, "must be a number > 0")
    t = _as_data(x)
    n = t.shape[0]
    _check_pair_count(n, k)
    _validate(t, _row_block(n, block))
    try:
        import ray
    except ImportError:
        raise InvalidArgument("backend", "ray", "needs the optional Ray extra, which is not installed",
                              hint=RAY_HINT) from None
    started = False
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        except ConnectionError as exc:
            raise InvalidArgument("address", address, f"could not join a Ray cluster ({exc})") from None
        started = True
    try:
        ref = ray.put(t.cpu().numpy())
        task = ray.remote(max_retries=0)(closest_pairs_tile).options(num_cpus=num_cpus_per_task)
        pending = [task.remote(ref, *tl, k=k, screen=screen, block=block) for tl in tile_plan(n, tile)]
        best_d = torch.empty(0, dtype=torch.float64)
        best_i = torch.empty(0, dtype=torch.long)
        best_j = torch.empty(0, dtype=torch.long)
        n_rec = 0
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            d2, i, j, r = ray.get(done[0])
            n_rec += int(r)
            # results come back read-only: np.array copies (at most k values each)
            best_d, best_i, best_j = _sort_keep(torch.cat([best_d, torch.from_numpy(np.array(d2))]),
                                                torch.cat([best_i, torch.from_numpy(np.array(i))]),
                                                torch.cat([best_j, torch.from_numpy(np.array(j))]), n, k)
    finally:
        if started:
            ray.shutdown()
    return ClosestPairs(i=best_i.numpy(), j=best_j.numpy(), squared=best_d.numpy(), exact=True,
                        n_recomputed=n_rec)
