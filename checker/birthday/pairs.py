r"""Exact closest-pair search in blocks: the similarity step of the birthday-paradox test.

Arora & Zhang 2017 (arXiv 1706.08224) and Arora, Risteski, Zhang, ICLR 2018, §6.1 (the
procedure as described in docs/math/birthday.md, "The procedure" [A]): flag the :math:`K=20`
most similar pairs of a sample of size :math:`s` by squared Euclidean distance. Everything
below the procedure is the project's design [R].

================  ================  ==========================================================
symbol            argument          meaning
================  ================  ==========================================================
:math:`s`         ``x.shape[0]``    sample size
:math:`d`         ``x.shape[1]``    feature dimension
:math:`K`         ``k``             number of closest pairs reported
:math:`\tau`      ``threshold``     duplicate threshold (distance, not squared)
================  ================  ==========================================================

**What "exact" means.** The reference answer is the *direct* float64 computation
:math:`\delta_{ij} = \mathrm{fl}_{64}\big(\sum_k (a_{ik}-b_{jk})^2\big)` of every pair, sorted by
:math:`(\delta_{ij}, i, j)`. Its error is *relative*: with :math:`D_{ij}` the real squared
distance of the float64 inputs, :math:`|\delta_{ij}-D_{ij}|\le\rho D_{ij}`,
:math:`\rho=\gamma^{(64)}_{d+2}` (one rounding for the difference, one for the square,
:math:`d-1` for the sum; Higham, *Accuracy and Stability of Numerical Algorithms*, Lemma 3.1
and (3.5)), so zero distances come out as exactly zero. Here
:math:`\gamma_n = nu/(1-nu)` with unit roundoff :math:`u` (:math:`2^{-53}` in float64,
:math:`2^{-24}` in float32). Every search below returns exactly that answer; the fast form
only *screens*.

**Fast form and its failure.** A block of distances by one matrix product,
:math:`\hat D_{ij} = \|a_i\|^2 + \|b_j\|^2 - 2\,a_i\cdot b_j`, has an *absolute* error of order
:math:`d\,u\,(\|a_i\|^2+\|b_j\|^2)`; for near-duplicates of large norm this dwarfs
:math:`D_{ij}` (catastrophic cancellation; ``torch.cdist`` switches to this form above 25
rows). ``exact=False`` returns it (for comparison only).

**The float32 screen (default) and its proven margin.** Let :math:`\hat a=\mathrm{fl}_{32}(a)`
(entrywise), :math:`N_a=\|a\|^2`. The screen multiplies augmented float32 rows

.. math::

    A_i = (\hat a_i,\; P_i,\; 1),\qquad B_j = (\hat b_j,\; -1,\; -Q_j),\qquad
    H_{ij} = \mathrm{fl}_{32}(A_i\cdot B_j)\approx a_i\cdot b_j - P_i - Q_j,

one GEMM of length :math:`d+2`, with float32 constants
:math:`P_i \le N_{a_i}(1-c)/(2(1+\gamma))` (rounded down), :math:`c=\gamma(1+u)^2+2u+u^2`
(:math:`c=\gamma` for float32 data, which is not rounded), :math:`\gamma=\gamma^{(32)}_{d+2}`
(and :math:`Q_j` alike). **Claim:** :math:`D_{ij}\ge -2H_{ij} - A`.
*Proof* (no underflow first). (i) Any summation order of a float32 dot product of length
:math:`n` satisfies :math:`|\mathrm{fl}(x\cdot y)-x\cdot y|\le\gamma_n|x|\cdot|y|` (Higham (3.5);
FMA only removes roundings), so :math:`\hat a\cdot\hat b\le H+P+Q+\gamma(|\hat a|\cdot|\hat b|+P+Q)`.
(ii) :math:`|\hat a_k\hat b_k-a_kb_k|\le(2u+u^2)|a_kb_k|` and
:math:`|\hat a|\cdot|\hat b|\le(1+u)^2|a|\cdot|b|`. (iii) :math:`|a|\cdot|b|\le\|a\|\|b\|\le
(N_a+N_b)/2`. Hence :math:`D = N_a+N_b-2a\cdot b \ge -2H + [N_a(1-c)-2(1+\gamma)P]
+ [N_b(1-c)-2(1+\gamma)Q] \ge -2H`. *Underflow.* Rounding to float32 errs by at most
:math:`u|a_k|+\eta` with :math:`\eta=2^{-150}`, and each product by :math:`2^{-150}` more; the
extra terms are :math:`(1+u)\eta(\|a\|_1+\|b\|_1)\le(1+u)\eta\sqrt d(\|a\|+\|b\|)` (separable:
subtracted from :math:`P_i`, :math:`Q_j`) plus constants of order :math:`d\eta^2` and
:math:`(d+2)2^{-150}` collected, with a factor 2 of slack, in :math:`A`. :math:`\square`
Overflow is excluded by using the float32 screen only when every :math:`|x|\le2^{50}` (products
:math:`\le2^{100}`, norms :math:`\le d\,2^{100}`); otherwise the search screens in float64 by the
same construction (:math:`u=2^{-53}`, no data rounding, :math:`2^{-1074}` per product, a
bound of the :math:`2^{-1075}` rounding error), and
entries above :math:`2^{400}` are refused. :math:`N_a` is computed in float64 and lowered by
:math:`2\gamma^{(64)}_{d+3}` relative (plus :math:`d\,2^{-1072}`) before use; every constant is
rounded toward the safe side. The GEMM must compute each entry as a float32 sum of float32
products in some order: TF32 and reduced-precision modes are switched off for the duration of
the call (CUDA and CPU).

**Screen, recompute, keep.** A pair is *skipped* only when
:math:`(1-\rho)(-2H_{ij}-A) > \kappa` for the current cut :math:`\kappa` (the float32 threshold
rounded down), i.e. when :math:`\delta_{ij}\ge(1-\rho)D_{ij}>\kappa` (:math:`A` also holds the
underflow term of :math:`\delta`);
every other pair is a candidate and is recomputed by direct float64 differences of the
original rows (no float64 copy of the data is made; candidate rows are converted on the fly).
For ``closest_pairs`` the cut is a *running* one: the :math:`K`-th smallest recomputed
:math:`\delta` so far (an upper bound of the final :math:`K`-th value); the first block seeds it
with the best pair of each of its :math:`K` rows of largest :math:`H`. In every block with more
than :math:`K` candidates the cut is tightened before the rest are recomputed: the :math:`K`
candidates of largest :math:`H` (the nearest by the screen) are recomputed and merged first, and
only the other candidates that pass the new cut follow (on real images, where clusters of
similar digits put thousands of pairs under a stale cut, this recomputes tens of pairs instead of
thousands; any pair recomputed is merged once, so the answer is unchanged). A skipped pair has :math:`\delta>\kappa\ge` the final
:math:`K`-th value, so it is not among the answers even at a tie: the result equals the
brute-force direct computation, order and ties included. For ``pairs_within`` the cut is
:math:`\tau^2`. Per block the screen costs one GEMM and one pass over the block (a row maximum).
Memory beyond the input: one float32 copy of the augmented rows (:math:`s(d+2)` values; built
per block instead when screening in float64) and :math:`O(B^2)` per block of :math:`B` rows
against :math:`8B` columns; no :math:`s\times s` matrix is formed. Only the upper triangle
(plus the lower half of the :math:`B\times B` diagonal squares) is multiplied. For
:math:`s\ge10^6` the same search runs tile by tile as Ray tasks
(:mod:`checker.birthday.distributed`), with the same answer.

Works on CPU and CUDA: the device is taken from the input tensor; the code path is the same.
"""

from __future__ import annotations

import contextlib
import math
from fractions import Fraction
from dataclasses import dataclass

import numpy as np
import torch

from checker.errors import InvalidArgument
from checker.threads import torch_threads
from checker.tolerances import PAIR_SCREEN_SAFETY
from checker.validate import nonnegative, one_of, positive_int

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
    "squared_threshold",
    "DEFAULT_BLOCK",
]

#: Rows per block: a screened block is DEFAULT_BLOCK**2 values (16 MiB in float32).
DEFAULT_BLOCK = 1024

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
    """Every pair ``(i, j)``, ``i < j``, with direct squared distance ``<= threshold**2``
    (exactly, see :func:`squared_threshold`)."""

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


def _as_2d(x, name: str, device=None) -> torch.Tensor:
    """``x`` (tensor or array) as a real ``(n, d)`` tensor in its own dtype; the shared checks of
    :func:`as_matrix` and :func:`_as_data` (numbers, real, at least 2 dims, rows and features)."""
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
    t = t.reshape(t.shape[0], -1)
    if t.shape[1] == 0:
        raise InvalidArgument(f"{name}.shape", tuple(t.shape), "must have at least one feature")
    return t


def as_matrix(x, *, name: str = "x", device: torch.device | str | None = None) -> torch.Tensor:
    """``x`` (tensor or array, shape ``(n, d)`` or ``(n, h, w[, c])``) as a float64 ``(n, d)`` tensor.

    Raises :class:`InvalidArgument` for a non-numeric input, fewer than 2 dimensions or a
    non-finite entry.
    """
    t = _as_2d(x, name, device).to(torch.float64)
    if not bool(torch.isfinite(t).all()):  # _as_2d guarantees at least one entry
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


def direct_sqdist(a: torch.Tensor, b: torch.Tensor, *, chunk: int = 1 << 14) -> torch.Tensor:  # pragma: no mutate: the default chunk only bounds memory; each row is summed alone
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


def _as_data(x, *, name: str = "x") -> torch.Tensor:
    """``x`` as a ``(n, d)`` tensor in its own floating dtype (float32 or float64; other real
    types are converted: half precisions to float32, which is exact, the rest to float64).

    No float64 copy of float32 data is made; finiteness is checked block by block later.
    """
    t = _as_2d(x, name)
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    elif t.dtype not in (torch.float32, torch.float64):
        t = t.to(torch.float64)
    return t


def squared_threshold(tau: float) -> float:
    r"""The largest float64 :math:`t` with :math:`t\le\tau^2` exactly: a squared distance
    :math:`\delta` (a float) satisfies :math:`\delta\le\tau^2` iff :math:`\delta\le t`, so the
    duplicate test "distance at most :math:`\tau`" is inclusive at exact ties whatever the
    rounding of :math:`\tau\cdot\tau`."""
    tau = nonnegative("threshold", tau)
    exact = Fraction(tau) ** 2
    t = float(exact)
    if Fraction(t) > exact:
        t = math.nextafter(t, 0.0)
    return t


def _gamma(n: int, u: float) -> float:
    """Higham's :math:`\\gamma_n = nu/(1-nu)`, rounded up generously (×(1+2^-40))."""
    nu = n * u
    if nu >= 0.5:
        raise InvalidArgument("x.shape[1]", n, "is too large for the rounding analysis of the screen")
    return nu / (1.0 - nu) * (1.0 + 2.0**-40)


#: Largest magnitude for which the float32 screen is used: products <= 2^100 and norms
#: <= d 2^100 stay far below float32's 2^128 for d < 2^26 (larger data is screened in float64).
_F32_MAX = 2.0**50
#: Largest magnitude the float64 screen (and the direct recomputation) accepts.
_F64_MAX = 2.0**400
_U32 = 2.0**-24
_U64 = 2.0**-53
#: Columns per screened chunk, as a multiple of the rows per block.
_COL_FACTOR = 8


@dataclass(frozen=True, kw_only=True)
class _Screen:
    """The prepared screen: the constants :math:`P_i`, the right-hand augmented rows (float32
    screen: cached; float64 screen: built per chunk) and the error terms."""

    x: torch.Tensor
    p: torch.Tensor  # P_i, already rounded down to the screen dtype
    right: torch.Tensor | None  # (n, d+2) rows (x_j, -1, -P_j) in the screen dtype, or None
    dtype: torch.dtype
    abs_term: float  # A: D >= -2H - A_screen and delta >= (1-rho) D - A_dir; A = A_screen + 2 A_dir
    rho: float  # relative error bound of the direct float64 recomputation

    def left(self, r0: int, r1: int) -> torch.Tensor:
        out = torch.empty((r1 - r0, self.x.shape[1] + 2), dtype=self.dtype, device=self.x.device)
        out[:, :-2] = self.x[r0:r1]
        out[:, -2] = self.p[r0:r1]
        out[:, -1] = 1.0
        return out

    def right_rows(self, c0: int, c1: int) -> torch.Tensor:
        if self.right is not None:
            return self.right[c0:c1]
        out = torch.empty((c1 - c0, self.x.shape[1] + 2), dtype=self.dtype, device=self.x.device)
        out[:, :-2] = self.x[c0:c1]
        out[:, -2] = -1.0
        out[:, -1] = -self.p[c0:c1]
        return out


def _prepare(x: torch.Tensor, screen: str, bs: int) -> _Screen:
    """Validate (finite, in range), compute the norms in float64 block by block and build the
    screen constants of the module docstring."""
    n, d = x.shape
    norms = torch.empty(n, dtype=torch.float64, device=x.device)
    amax = 0.0
    for r0, r1 in _blocks(n, 0, bs):
        blk = x[r0:r1]
        mn, mx = torch.aminmax(blk)
        lo, hi = float(mn), float(mx)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            bad = int((~torch.isfinite(x)).any(dim=1).sum())
            raise InvalidArgument("x", f"<{bad} rows with NaN/inf>", "must be finite")
        amax = max(amax, -lo, hi)
        norms[r0:r1] = torch.linalg.vector_norm(blk, dim=1, dtype=torch.float64)
    if amax > _F64_MAX:
        raise InvalidArgument("x", f"<max |entry| = {amax:g}>", "entries must be below 2^400 in magnitude")
    norms = norms * norms
    # float64 sum of squares, square root, square: |N_fl - N| <= gamma_{d+3} N + d 2^-1073
    g64 = _gamma(d + 3, _U64)
    tiny = d * 2.0**-1072
    n_lo = ((norms - tiny) * (1.0 - 2.0 * g64)).clamp_min(0.0)
    n_hi = (norms + tiny) * (1.0 + 2.0 * g64)
    rho = _gamma(d + 2, _U64)
    a_dir = d * 2.0**-1073  # underflow of the d squares of the direct recomputation
    if screen == "float32" and amax > _F32_MAX:
        raise InvalidArgument("screen", screen, "float32 screening needs |x| <= 2^50; use 'auto'")
    use32 = screen == "float32" or (screen == "auto" and amax <= _F32_MAX)
    if use32:
        dtype, u = torch.float32, _U32
        eta = 0.0 if x.dtype == torch.float32 else 2.0**-150  # data rounding, absolute part
        eta_p = 2.0**-150  # product underflow
        u_data = 0.0 if x.dtype == torch.float32 else u
    else:
        # product underflow: at most 2^-1075 per product; 2.0**-1075 is not a float64 (it
        # evaluates to 0.0), so the smallest subnormal 2^-1074 is used (a bound rounded up)
        dtype, u, eta, eta_p, u_data = torch.float64, _U64, 0.0, 2.0**-1074, 0.0
    g = _gamma(d + 2, u)
    c = g * (1 + u_data) ** 2 + 2 * u_data + u_data**2
    # P_i <= [N(1-c) - 2(1+g)(1+u)eta sqrt(d N)] / (2(1+g)), computed with downward slack
    p1 = n_lo * ((1.0 - c) / (2.0 * (1.0 + g)) * (1.0 - 2.0**-45))
    t = ((1.0 + u_data) * eta * math.sqrt(d)) * torch.sqrt(n_hi) * (1.0 + 2.0**-45)
    p64 = ((p1 - t) * (1.0 - 2.0**-50)).clamp_min(0.0)
    p = p64.to(dtype)
    if dtype != torch.float64:
        up = p.to(torch.float64) > p64
        p = torch.where(up, torch.nextafter(p, torch.zeros_like(p)), p)
    # absolute terms: product underflow 2(d+2) eta_p per dot product (x2 in D), data rounding
    # d eta^2 (x4), a row clamped at P = 0 leaves at most 8 d eta^2 (x2); all doubled for slack
    a_screen = 2.0 * (4.0 * (d + 2) * eta_p + 4.0 * d * eta * eta + 16.0 * d * eta * eta)
    right = None
    if dtype == torch.float32:
        right = torch.empty((n, d + 2), dtype=dtype, device=x.device)
        for r0, r1 in _blocks(n, 0, bs):
            right[r0:r1, :-2] = x[r0:r1]
        right[:, -2] = -1.0
        right[:, -1] = -p
    return _Screen(x=x, p=p, right=right, dtype=dtype, abs_term=a_screen + 2.0 * a_dir, rho=rho)


def _h_cut(scr: _Screen, cut: float) -> float:
    """A screen-dtype value h with: H < h  =>  the direct distance exceeds ``cut``.

    From :math:`D\\ge-2H-A_s` and :math:`\\delta\\ge(1-\\rho)D-A_d`: skip iff
    :math:`H < -(\\kappa/(1-\\rho) + A)/2`, evaluated with upward slack and rounded down."""
    if math.isinf(cut):
        return -torch.finfo(scr.dtype).max  # every unmasked entry (masked ones are -inf)
    v = -((cut / (1.0 - scr.rho) + scr.abs_term) * (1.0 + 2.0**-48)) / 2.0
    if scr.dtype == torch.float32:
        f = np.float32(v)
        if float(f) > v:
            f = np.nextafter(f, np.float32(-np.inf))
        return float(f)
    return v


@contextlib.contextmanager
def _full_precision_matmul():
    """Switch off TF32 / reduced-precision float32 matrix products for the call (restored)."""
    prec = torch.get_float32_matmul_precision()
    tf32 = torch.backends.cuda.matmul.allow_tf32
    try:
        if prec != "highest":
            torch.set_float32_matmul_precision("highest")
        torch.backends.cuda.matmul.allow_tf32 = False
        yield
    finally:
        # the legacy flag first: set after the precision, it leaves torch in a "mixed" state in
        # which get_float32_matmul_precision() raises (torch 2.13, starting from "medium")
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.set_float32_matmul_precision(prec)


def _direct(x: torch.Tensor, gi: torch.Tensor, gj: torch.Tensor) -> torch.Tensor:
    """Direct float64 squared distances of row pairs (gi, gj) of the original data."""
    return direct_sqdist(x[gi].to(torch.float64), x[gj].to(torch.float64))


def _row_block(n: int, block: int | None) -> int:
    if block is not None:
        return positive_int("block", block)
    # the wasted lower triangle of the diagonal squares is ~ block/n of the work
    return max(256, min(DEFAULT_BLOCK, n // 16))


#: Below this many multiply-adds (s^2 d / 2) the whole search runs on one thread: small
#: products gain nothing from more threads on a shared CPU (checker.threads).
_PARALLEL_GEMM_MIN = 1 << 27


@contextlib.contextmanager
def _search_threads(n: int, d: int):
    """Thread policy of the search: the matrix products get every intra-op thread (yielded)
    when the search is large, everything else (row maxima, masks, gathers: memory-bound passes
    over one block) runs on one thread, where a loaded 2-core machine was measured 10-300x
    faster than two spinning OpenMP workers. No effect on CUDA tensors."""
    nt = torch.get_num_threads() if n * n * d // 2 >= _PARALLEL_GEMM_MIN else 1
    with torch_threads(1):
        yield nt


def _screen_blocks(scr: _Screen, br: int, gemm_threads: int, split: int = 0):
    """Yield ``(r0, c0, H)`` over the upper triangle: row blocks of ``br`` rows against column
    chunks of ``_COL_FACTOR * br`` columns starting at ``r0``; entries with ``j <= i`` are
    ``-inf`` (never candidates). With ``split > 0``: only the rectangle rows ``< split`` times
    columns ``>= split`` (one tile of :mod:`checker.birthday.distributed`; no entry is masked)."""
    n = scr.x.shape[0]
    cc = _COL_FACTOR * br
    tri = torch.ones((br, br), dtype=torch.bool, device=scr.x.device).tril()
    for r0, r1 in _blocks(split or n, 0, br):
        left = scr.left(r0, r1)
        for c0, c1 in _blocks(n, split or r0, cc):
            right = scr.right_rows(c0, c1)
            with torch_threads(gemm_threads):
                h = left @ right.T
            if c0 == r0:
                w = min(c1 - c0, br)
                h[:, :w].masked_fill_(tri[: r1 - r0, :w], -math.inf)
            yield r0, c0, h


def _candidates(h: torch.Tensor, rowmax: torch.Tensor, hc: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Entries with ``h >= hc`` (row-major order), scanning only rows whose maximum qualifies."""
    rows = torch.nonzero(rowmax >= hc).flatten()
    if rows.numel() == 0:
        return rows, rows
    ii, jj = torch.nonzero(h[rows] >= hc, as_tuple=True)
    return rows[ii], jj


def closest_pairs(x, *, k: int = 20, exact: bool = True, block: int | None = None,
                  screen: str = "auto") -> ClosestPairs:
    r"""The ``k`` closest pairs of rows of ``x`` (squared Euclidean distance), blocked.

    ``exact=True`` (default): the screened search of the module docstring; the result equals a
    brute-force direct-difference float64 computation sorted by (distance, i, j).
    ``screen``: ``"auto"`` (float32 when the data's range allows it, else float64),
    ``"float32"`` or ``"float64"``. ``block``: rows per block (default: adaptive, at most
    :data:`DEFAULT_BLOCK`). ``exact=False`` returns the fast form in float64 (clamped at 0),
    which is wrong for near-duplicates; it exists for comparison only.
    """
    one_of("screen", screen, ("auto", "float32", "float64"))
    k = positive_int("k", k)
    if not exact:
        return _closest_fast(as_matrix(x), k, _check_block(block))
    x = _as_data(x)
    n, d = x.shape
    _check_pair_count(n, k)
    best_d, best_i, best_j, n_rec = _search_closest(x, k, _row_block(n, block), screen)
    return ClosestPairs(i=best_i.cpu().numpy(), j=best_j.cpu().numpy(),
                        squared=best_d.cpu().numpy(), exact=True, n_recomputed=n_rec)


def _search_closest(x: torch.Tensor, k: int, br: int, screen: str, split: int = 0):
    """The screened search of :func:`closest_pairs` on validated data ``x`` (``k`` at most the
    number of pairs searched): over the upper triangle, or with ``split > 0`` over the rectangle
    rows ``< split`` times columns ``>= split``. Returns (squared, i, j, n_recomputed) as tensors
    sorted by (distance, i, j)."""
    n = x.shape[0]
    dev = x.device
    best_d = torch.empty(0, dtype=torch.float64, device=dev)
    best_i = torch.empty(0, dtype=torch.long, device=dev)
    best_j = torch.empty(0, dtype=torch.long, device=dev)
    cut = math.inf
    n_rec = 0

    def merge(dd, gi, gj):
        nonlocal best_d, best_i, best_j, cut
        best_d, best_i, best_j = _sort_keep(torch.cat([best_d, dd]), torch.cat([best_i, gi]),
                                            torch.cat([best_j, gj]), n, k)
        if best_d.numel() == k:
            cut = float(best_d[-1])

    with _search_threads(n, x.shape[1]) as nt, _full_precision_matmul():
        scr = _prepare(x, screen, br)
        for r0, c0, h in _screen_blocks(scr, br, nt, split):
            rowmax = h.amax(1)
            if best_d.numel() < k:
                # seed the running cut: each of the (up to k) rows with the largest maximum
                # contributes its best pair; these are recomputed now and masked from the block
                nfin = int(torch.isfinite(rowmax).sum())
                if nfin == 0:
                    continue
                si = torch.topk(rowmax, min(k, nfin)).indices
                sj = h[si].argmax(1)
                gi, gj = si + r0, sj + c0
                merge(_direct(x, gi, gj), gi, gj)
                n_rec += int(gi.numel())
                h[si, sj] = -math.inf
                rowmax[si] = h[si].amax(1)
            hc = _h_cut(scr, cut)
            ii, jj = _candidates(h, rowmax, hc)
            if ii.numel() > k:
                # tighten the cut on this block first: recompute its k candidates of largest H
                # (the nearest by the screen), merge, and keep only the rest that still pass
                hv = h[ii, jj]
                top = torch.topk(hv, k).indices
                gi, gj = ii[top] + r0, jj[top] + c0
                merge(_direct(x, gi, gj), gi, gj)
                n_rec += k
                rest = hv >= _h_cut(scr, cut)
                rest[top] = False
                ii, jj = ii[rest], jj[rest]
            if ii.numel() == 0:
                continue
            gi, gj = ii + r0, jj + c0
            merge(_direct(x, gi, gj), gi, gj)
            n_rec += int(gi.numel())
    return best_d, best_i, best_j, n_rec


def _check_pair_count(n: int, k: int) -> None:
    """Refuse fewer than 2 samples, or more closest pairs than the C(n, 2) there are."""
    if n < 2:
        raise InvalidArgument("x.shape[0]", n, "must be >= 2 (a pair needs two samples)")
    npairs = n * (n - 1) // 2
    if k > npairs:
        raise InvalidArgument("k", k, f"must be <= the number of pairs C({n},2)={npairs}")


def _closest_fast(x: torch.Tensor, k: int, bs: int) -> ClosestPairs:
    """``exact=False``: the float64 fast form, clamped at 0 (inexact for near-duplicates)."""
    n = x.shape[0]
    _check_pair_count(n, k)
    dev = x.device
    norms = (x * x).sum(1)
    best_d = torch.empty(0, dtype=torch.float64, device=dev)
    best_i = torch.empty(0, dtype=torch.long, device=dev)
    best_j = torch.empty(0, dtype=torch.long, device=dev)
    for r0, r1 in _blocks(n, 0, bs):
        ri = torch.arange(r0, r1, device=dev)
        for c0, c1 in _blocks(n, r0, bs):
            cj = torch.arange(c0, c1, device=dev)
            valid = cj[None, :] > ri[:, None]
            if not bool(valid.any()):
                continue
            dh = norms[r0:r1, None] + norms[None, c0:c1] - 2.0 * (x[r0:r1] @ x[c0:c1].T)
            vals = torch.where(valid, dh.clamp_min(0.0), torch.inf).flatten()
            top = torch.topk(vals, min(k, int(valid.sum())), largest=False)
            gi = top.indices // (c1 - c0) + r0
            gj = top.indices % (c1 - c0) + c0
            best_d, best_i, best_j = _sort_keep(torch.cat([best_d, top.values]), torch.cat([best_i, gi]),
                                                torch.cat([best_j, gj]), n, k)
    return ClosestPairs(i=best_i.cpu().numpy(), j=best_j.cpu().numpy(),
                        squared=best_d.cpu().numpy(), exact=False, n_recomputed=0)


def _sort_keep(d2, i, j, n, k):
    # lexicographic (distance, i, j): stable sorts from the least significant key
    key = i * n + j
    o = torch.argsort(key, stable=True)  # pragma: no mutate: keys i*n+j of distinct pairs are distinct, so stability cannot matter
    d2, i, j = d2[o], i[o], j[o]
    o = torch.argsort(d2, stable=True)[:k]
    return d2[o], i[o], j[o]


def pairs_within(x, threshold: float, *, block: int | None = None, screen: str = "auto") -> PairsWithin:
    """Every pair of rows at direct float64 distance ``<= threshold`` (screened as in
    :func:`closest_pairs` with the fixed cut :math:`\\tau^2`), in row-major order of blocks."""
    one_of("screen", screen, ("auto", "float32", "float64"))
    x = _as_data(x)
    n = x.shape[0]
    tau = nonnegative("threshold", threshold)
    t2 = squared_threshold(tau)
    br = _row_block(n, block)
    out_i, out_j, out_d = [], [], []
    n_rec = 0
    with _search_threads(n, x.shape[1]) as nt, _full_precision_matmul():
        scr = _prepare(x, screen, br)
        hc = _h_cut(scr, t2)
        for r0, c0, h in _screen_blocks(scr, br, nt):
            ii, jj = _candidates(h, h.amax(1), hc)
            if ii.numel() == 0:
                continue
            gi, gj = ii + r0, jj + c0
            dd = _direct(x, gi, gj)
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
    # squared norms of entries above ~2^512 overflow to inf, and every candidate test then fails
    # (inf - inf): refuse them, with the pair search's limit
    for name, t in (("queries", q), ("reference", r)):
        amax = float(t.abs().max())
        if amax > _F64_MAX:
            raise InvalidArgument(name, f"<max |entry| = {amax:g}>", "entries must be below 2^400 in magnitude")
    n, d = q.shape
    bs = _check_block(block)
    dev = q.device
    nq = (q * q).sum(1)
    nr = (r * r).sum(1)
    rel = PAIR_SCREEN_SAFETY * (2 * d + 8) * _U
    best = torch.full((n,), torch.inf, dtype=torch.float64, device=dev)
    arg = torch.full((n,), -1, dtype=torch.long, device=dev)  # pragma: no mutate: overwritten for every row: its first block always has a candidate (entries <= 2^400 keep every bound finite)
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
            o = torch.argsort(gj, stable=True)  # pragma: no mutate: only equal gj of different rows can swap, and the stable sort by gi below separates rows
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
