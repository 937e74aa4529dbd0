"""Pins of every quantity of ``checker.birthday.pairs`` against independent references.

References (none is produced by the code under test):

* the screen's constants (``P_i``, ``A``, ``rho``, the cut ``h``) and Higham's ``gamma_n`` are
  recomputed in exact rational arithmetic (``fractions.Fraction``) from the formulas of the
  module docstring of ``checker/birthday/pairs.py`` (the rounding-error bound of the screen and
  its documented safety factors), on data whose float64 squared norms are exact (integers and
  powers of two), so the reference needs no float computation at all;
* the searches' answers and their ``n_recomputed`` counts on integer data with pairwise distinct
  squared distances, where the screen's rounding margin (at most ``(d+4) 2^-24 (N_i+N_j)``,
  below 0.01 here) cannot reorder two integer squared distances: the counts then follow from
  the documented algorithm (seeding, running cut, per-row minimum) applied to exact integer
  distances by plain Python loops;
* boundaries (``<`` vs ``<=``) at exact ties of integer data and at the range limits 2^50 and
  2^400 and the next float on either side.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from checker.birthday import pairs as P
from checker.birthday.pairs import (
    _as_data,
    _blocks,
    _candidates,
    _check_block,
    _full_precision_matmul,
    _gamma,
    _h_cut,
    _prepare,
    _row_block,
    _screen_blocks,
    _search_threads,
    _sort_keep,
    as_matrix,
    closest_pairs,
    direct_sqdist,
    fast_sqdist,
    nearest_neighbours,
    pairs_within,
    rounding_margin,
    squared_threshold,
)
from checker.errors import InvalidArgument
from checker.threads import torch_threads
from checker.tolerances import PAIR_SCREEN_SAFETY

U32 = Fraction(1, 2**24)
U64 = Fraction(1, 2**53)
#: a float64 evaluation of the screen constants takes at most 7 roundings of <= 2^-53 relative
#: (module code; the exact reference has none): 7 * 2^-53 bounds their total relative error
FLOAT_EVAL_REL = Fraction(7, 2**53)
#: subnormal P_i (rows of scale 2^-530): N - tiny is exact (both multiples of 2^-1074) and the
#: three products after it each err by at most half a subnormal ulp, 2^-1075: 3 2^-1075 < 2^-1073
SUBNORMAL_ABS = Fraction(1, 2**1073)
#: torch's vectorised float64 sqrt vs the correctly rounded math.sqrt: one ulp (2^-52 relative)
SQRT_REL = 2.0**-52


def exact_gamma(n: int, u: Fraction) -> Fraction:
    """Higham's gamma_n = n u / (1 - n u), exactly."""
    return n * u / (1 - n * u)


def exact_sq(a, b) -> Fraction:
    return sum(((Fraction(float(p)) - Fraction(float(q))) ** 2 for p, q in zip(a, b)), Fraction(0))


def distinct_integer_points(n: int, d: int, hi: int, seed: int) -> np.ndarray:
    """``n`` integer points in [0, hi)^d with pairwise distinct squared distances (rejection
    sampling with a fixed seed; the property is asserted, not assumed)."""
    rng = np.random.default_rng(seed)
    pts: list[np.ndarray] = []
    seen: set[int] = set()
    while len(pts) < n:
        p = rng.integers(0, hi, size=d)
        ds = [int(((p - q) ** 2).sum()) for q in pts]
        if 0 in ds or len(set(ds)) < len(ds) or seen & set(ds):
            continue
        seen |= set(ds)
        pts.append(p)
    x = np.array(pts, dtype=np.float64)
    d2 = [int(((x[i] - x[j]) ** 2).sum()) for i, j in itertools.combinations(range(n), 2)]
    assert len(set(d2)) == len(d2)
    return x


def int_sq(x: np.ndarray) -> dict[tuple[int, int], int]:
    n = x.shape[0]
    return {(i, j): int(((x[i] - x[j]) ** 2).sum()) for i in range(n) for j in range(n) if i != j}


# ---- input checks and conversions ---------------------------------------------------------------

def test_as_matrix_conversions_and_every_rejection():
    m = as_matrix([[1, 2], [3, 4]])
    assert m.dtype == torch.float64 and m.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    # (n, h, w) images are flattened to (n, h*w), row-major
    img = as_matrix(np.arange(12).reshape(2, 2, 3))
    assert tuple(img.shape) == (2, 6) and img[1].tolist() == [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    t = torch.ones(1, 1, dtype=torch.float32)
    assert as_matrix(t, device="cpu").device.type == "cpu"
    assert tuple(as_matrix(t).shape) == (1, 1)  # one row and one feature are enough
    cases = [
        (lambda: as_matrix([["a", "b"]], name="zz"), "zz=", "array of numbers"),
        (lambda: as_matrix(np.ones((2, 2), dtype=bool), name="zz"), "zz.dtype", "real number type"),
        (lambda: as_matrix(torch.ones(2, 2, dtype=torch.bool)), "x.dtype", "real number type"),
        (lambda: as_matrix(torch.ones(2, 2, dtype=torch.complex64)), "x.dtype", "real number type"),
        (lambda: as_matrix(np.ones(3), name="zz"), "zz.shape", "must be (n, d)"),
        (lambda: as_matrix(np.ones((0, 3)), name="zz"), "zz.shape", "at least one row"),
        (lambda: as_matrix(np.ones((2, 0)), name="zz"), "zz.shape", "at least one feature"),
        (lambda: as_matrix(np.ones((2, 3, 0))), "x.shape", "at least one feature"),
    ]
    for call, name, rule in cases:
        with pytest.raises(InvalidArgument) as e:
            call()
        assert str(e.value).startswith(name) and rule in str(e.value)


def test_as_matrix_counts_the_non_finite_rows():
    x = np.zeros((5, 3))
    x[1, 0] = np.nan
    x[1, 2] = np.inf  # two bad entries, one row
    x[4, 1] = -np.inf
    with pytest.raises(InvalidArgument, match=r"^x='<2 rows with NaN/inf>' must be finite"):
        as_matrix(x)
    as_matrix(np.full((2, 2), np.finfo(np.float64).max))  # large but finite


def test_as_data_dtypes():
    for dt, want in [(torch.float16, torch.float32), (torch.bfloat16, torch.float32),
                     (torch.float32, torch.float32), (torch.float64, torch.float64),
                     (torch.int32, torch.float64), (torch.int64, torch.float64), (torch.uint8, torch.float64)]:
        got = _as_data(torch.ones(2, 3, dtype=dt))
        assert got.dtype == want, dt
        assert got.tolist() == [[1.0] * 3] * 2


def test_rounding_margin_is_the_documented_bound():
    # E_ij = PAIR_SCREEN_SAFETY (2d + 8) 2^-53 (N_i + N_j), checked exactly on power-of-two norms
    na = torch.tensor([1.0, 4.0, 0.0], dtype=torch.float64)
    nb = torch.tensor([2.0, 8.0], dtype=torch.float64)
    for d in (1, 5, 784):
        got = rounding_margin(na, nb, d)
        assert tuple(got.shape) == (3, 2)
        for i in range(3):
            for j in range(2):
                want = Fraction(PAIR_SCREEN_SAFETY) * (2 * d + 8) * U64 * (Fraction(float(na[i])) + Fraction(float(nb[j])))
                assert Fraction(float(got[i, j])) == want


def test_fast_and_direct_forms_on_integers():
    # integer data: both forms are exact, the reference is plain integer arithmetic
    x = distinct_integer_points(7, 3, 20, seed=1)
    y = x[::-1].copy()
    want = np.array([[sum((a - b) ** 2 for a, b in zip(p, q)) for q in y] for p in x])
    got = fast_sqdist(torch.as_tensor(x), torch.as_tensor(y))
    np.testing.assert_array_equal(got.numpy(), want)
    for chunk in (1, 2, 3, 7, 100):
        dd = direct_sqdist(torch.as_tensor(x), torch.as_tensor(y), chunk=chunk)
        np.testing.assert_array_equal(dd.numpy(), np.diag(want))


def test_blocks_and_block_sizes():
    assert list(_blocks(10, 0, 4)) == [(0, 4), (4, 8), (8, 10)]
    assert list(_blocks(10, 3, 4)) == [(3, 7), (7, 10)]
    assert list(_blocks(3, 3, 4)) == []
    assert _check_block(None) == 1024 == P.DEFAULT_BLOCK  # documented default: 1024 rows
    assert _check_block(7) == 7
    with pytest.raises(InvalidArgument, match="^block="):
        _check_block(0)
    # adaptive rows per block: n // 16, clamped to [256, DEFAULT_BLOCK]
    for n, want in [(2, 256), (4096, 256), (4111, 256), (4112, 257), (16384, 1024), (16399, 1024),
                    (10**6, 1024)]:
        assert _row_block(n, None) == want, n
    assert _row_block(10, 3) == 3
    with pytest.raises(InvalidArgument, match="^block="):
        _row_block(10, 0)


def test_search_thread_policy():
    # the GEMM gets every thread from s^2 d / 2 >= 2^27 multiply-adds on; the rest runs on one
    with torch_threads(3):
        for n, d, want in [(2**14, 1, 3), (2**14 - 1, 1, 1), (1, 2**28 - 1, 1), (1, 2**28, 3),
                           (2**13, 4, 3), (2**13, 3, 1), (2, 2, 1)]:
            with _search_threads(n, d) as nt:
                assert torch.get_num_threads() == 1
                assert nt == want, (n, d)
            assert torch.get_num_threads() == 3


def test_full_precision_matmul_switches_and_restores():
    """TF32 / reduced precision off inside, the caller's settings back after (also after an
    exception), for callers of the new API (precision) and of the legacy flag (allow_tf32)."""
    before = torch.get_float32_matmul_precision()
    try:
        for prec in ("medium", "high", "highest"):
            torch.set_float32_matmul_precision(prec)
            tf32 = torch.backends.cuda.matmul.allow_tf32
            ran = False
            with _full_precision_matmul():
                ran = True
                assert torch.get_float32_matmul_precision() == "highest"
                assert torch.backends.cuda.matmul.allow_tf32 is False
            assert ran
            assert torch.get_float32_matmul_precision() == prec
            assert torch.backends.cuda.matmul.allow_tf32 is tf32
        # a legacy caller: allow_tf32 = True (torch then reports precision "high")
        torch.set_float32_matmul_precision("highest")
        torch.backends.cuda.matmul.allow_tf32 = True
        with _full_precision_matmul():
            assert torch.backends.cuda.matmul.allow_tf32 is False
            assert torch.get_float32_matmul_precision() == "highest"
        assert torch.backends.cuda.matmul.allow_tf32 is True
        torch.set_float32_matmul_precision("medium")
        with pytest.raises(RuntimeError, match="boom"):
            with _full_precision_matmul():
                raise RuntimeError("boom")
        assert torch.get_float32_matmul_precision() == "medium"
    finally:
        torch.set_float32_matmul_precision(before)


def test_squared_threshold_exact_cases():
    assert squared_threshold(5.0) == 25.0
    assert squared_threshold(0.0) == 0.0
    # 0.1^2 is not a float: the result is the largest float64 at most the exact square
    t = squared_threshold(0.1)
    assert Fraction(t) <= Fraction(0.1) ** 2 < Fraction(math.nextafter(t, math.inf))
    # 1 + 2^-52: exact square 1 + 2^-51 + 2^-104 rounds down to 1 + 2^-51 (a float, <= the square)
    tau = 1.0 + 2.0**-52
    assert squared_threshold(tau) == 1.0 + 2.0**-51
    # a tau whose float square rounds up: the result is one ulp below it
    tau = float.fromhex("0x1.6a09e667f3bcdp+0")  # sqrt(2) rounded up
    assert Fraction(tau) ** 2 > 2
    assert squared_threshold(tau) == max(f for f in (2.0, math.nextafter(2.0, 3.0), math.nextafter(2.0, 0.0))
                                         if Fraction(f) <= Fraction(tau) ** 2)
    with pytest.raises(InvalidArgument, match="^threshold="):
        squared_threshold(-1.0)


# ---- Higham's gamma and the screen's constants ---------------------------------------------------

@pytest.mark.parametrize("u", [U32, U64])
@pytest.mark.parametrize("n", [1, 3, 10, 786, 10**5])
def test_gamma_is_the_exact_gamma_times_the_documented_factor(n, u):
    # docstring: gamma_n = n u / (1 - n u), rounded up generously by the factor (1 + 2^-40);
    # the float evaluation adds at most 3 roundings of 2^-53
    got = Fraction(_gamma(n, float(u)))
    want = exact_gamma(n, u) * (1 + Fraction(1, 2**40))
    assert abs(got - want) <= want * Fraction(3, 2**53)


def test_gamma_refuses_n_u_of_one_half():
    # the bound needs n u < 1/2: n = 2^23 at u = 2^-24 is exactly 1/2 (refused), one less passes
    assert _gamma(2**23 - 1, 2.0**-24) > 0
    for n in (2**23, 2**23 + 1, 2**24):
        with pytest.raises(InvalidArgument, match=r"^x\.shape\[1\]=.* too large for the rounding"):
            _gamma(n, 2.0**-24)


def test_module_constants():
    assert P._U == P._U64 == 2.0**-53
    assert P._U32 == 2.0**-24
    assert P._F32_MAX == 2.0**50 and P._F64_MAX == 2.0**400
    assert P._COL_FACTOR == 8
    assert P._PARALLEL_GEMM_MIN == 2**27


def _spec_constants(x: np.ndarray, screen_dtype: torch.dtype, data_float32: bool):
    """Exact rational P_i (before the final float32 rounding) and A of the docstring, for rows
    whose float64 squared norms are exact. Formulas (checker/birthday/pairs.py docstring):
    u = 2^-24 (float32 screen) or 2^-53; gamma = gamma_{d+2} (1 + 2^-40); gamma64 = gamma^(64)_{d+3}
    (1 + 2^-40); N_lo = max(0, (N - d 2^-1072)(1 - 2 gamma64)); N_hi = (N + d 2^-1072)(1 + 2 gamma64);
    u_d = u for float64 data on the float32 screen, else 0; c = gamma (1+u_d)^2 + 2 u_d + u_d^2;
    eta = 2^-150 for float64 data on the float32 screen, else 0; eta_p = 2^-150 (float32 screen)
    or 2^-1074 (float64 screen);
    P = max(0, [N_lo (1-c)/(2(1+gamma)) (1 - 2^-45) - (1+u_d) eta sqrt(d N_hi) (1 + 2^-45)](1 - 2^-50));
    A = 2 (4 (d+2) eta_p + 20 d eta^2) + 2 d 2^-1073."""
    n, d = x.shape
    f32 = screen_dtype == torch.float32
    u = U32 if f32 else U64
    gen = 1 + Fraction(1, 2**40)
    g = exact_gamma(d + 2, u) * gen
    g64 = exact_gamma(d + 3, U64) * gen
    ud = u if (f32 and not data_float32) else Fraction(0)
    eta = Fraction(1, 2**150) if (f32 and not data_float32) else Fraction(0)
    eta_p = Fraction(1, 2**150) if f32 else Fraction(1, 2**1074)
    c = g * (1 + ud) ** 2 + 2 * ud + ud**2
    tiny = d * Fraction(1, 2**1072)
    out = []
    for row in x:
        N = sum((Fraction(float(v)) ** 2 for v in row), Fraction(0))
        n_lo = max(Fraction(0), (N - tiny) * (1 - 2 * g64))
        n_hi = (N + tiny) * (1 + 2 * g64)
        p1 = n_lo * (1 - c) / (2 * (1 + g)) * (1 - Fraction(1, 2**45))
        t = (1 + ud) * eta * Fraction(math.sqrt(d * float(n_hi))) * (1 + Fraction(1, 2**45))
        out.append(max(Fraction(0), (p1 - t) * (1 - Fraction(1, 2**50))))
    A = 2 * (4 * (d + 2) * eta_p + 20 * d * eta * eta) + 2 * d * Fraction(1, 2**1073)
    return out, A


def _exact_norm_rows(scale: float, d: int, n: int, seed: int) -> np.ndarray:
    """Rows of small integers times a power of two: every float64 squared norm is exact."""
    rng = np.random.default_rng(seed)
    return rng.integers(-9, 10, size=(n, d)).astype(np.float64) * scale


@pytest.mark.parametrize("scale", [1.0, 2.0**-20, 2.0**30, 2.0**-530])
def test_float64_screen_constants_pinned(scale):
    """float64 screen: P_i is a float64, so every documented factor is visible; pinned to the
    exact rational formula within the 7 roundings of its float evaluation (for the 2^-530 rows,
    whose P_i are subnormal, within SUBNORMAL_ABS)."""
    d = 5
    x = _exact_norm_rows(scale, d, 40, seed=2)
    x[3] = 0.0  # N = 0: P = 0
    scr = _prepare(torch.as_tensor(x), "float64", 16)
    assert scr.dtype == torch.float64 and scr.right is None
    spec, A = _spec_constants(x, torch.float64, data_float32=False)
    for i, want in enumerate(spec):
        got = Fraction(float(scr.p[i]))
        assert abs(got - want) <= want * FLOAT_EVAL_REL + SUBNORMAL_ABS, i
    assert scr.p[3] == 0.0
    assert Fraction(scr.abs_term) == A  # (3d + 4) 2^-1072: exact in float64
    assert Fraction(scr.rho) == Fraction(_gamma(d + 2, 2.0**-53))


@pytest.mark.parametrize("data", ["float64", "float32"])
@pytest.mark.parametrize("scale", [1.0, 2.0**-50, 2.0**20])
def test_float32_screen_constants_pinned(data, scale):
    """float32 screen: P_i is the exact formula rounded *down* to float32 (the float64 slack is
    below 2^-49 relative, so P_i is the float32 just below a value within 2^-49 of the formula).
    With float64 data the rounding terms u_d (c) and eta (the sqrt(d N) term, visible at the
    2^-50 scale) enter; with float32 data both are 0."""
    d = 6
    x = _exact_norm_rows(scale, d, 60, seed=3)
    t = torch.as_tensor(x) if data == "float64" else torch.as_tensor(x, dtype=torch.float32)
    scr = _prepare(t, "float32", 16)
    assert scr.dtype == torch.float32 and scr.p.dtype == torch.float32
    spec, A = _spec_constants(x, torch.float32, data_float32=(data == "float32"))
    window = Fraction(1, 2**49)
    for i, want in enumerate(spec):
        got = float(scr.p[i])
        nxt = float(np.nextafter(np.float32(got), np.float32(np.inf)))
        assert Fraction(got) <= want * (1 + window), i  # rounded down (never above the bound)
        assert Fraction(nxt) > want * (1 - window), i  # ... and to the float32 just below it
    # A = 2 (4 (d+2) 2^-150 + 20 d eta^2) + 2 d 2^-1073, rounded to nearest in float64
    assert abs(Fraction(scr.abs_term) - A) <= A * U64
    assert Fraction(scr.rho) == Fraction(_gamma(d + 2, 2.0**-53))
    # the augmented rows: (x_i, P_i, 1) and (x_j, -1, -P_j) in float32
    left = scr.left(2, 5)
    assert left.dtype == torch.float32 and tuple(left.shape) == (3, d + 2)
    np.testing.assert_array_equal(left[:, :d].double().numpy(), np.float32(x[2:5]).astype(np.float64))
    np.testing.assert_array_equal(left[:, d].numpy(), scr.p[2:5].numpy())
    assert left[:, d + 1].tolist() == [1.0] * 3
    right = scr.right_rows(2, 5)
    assert tuple(scr.right.shape) == (60, d + 2)
    # the cached right-hand rows, every one of them: (x_j, -1, -P_j)
    np.testing.assert_array_equal(scr.right[:, :d].double().numpy(), np.float32(x).astype(np.float64))
    assert scr.right[:, d].tolist() == [-1.0] * 60
    np.testing.assert_array_equal(scr.right[:, d + 1].numpy(), (-scr.p).numpy())
    np.testing.assert_array_equal(right[:, :d].double().numpy(), np.float32(x[2:5]).astype(np.float64))
    assert right[:, d].tolist() == [-1.0] * 3
    np.testing.assert_array_equal(right[:, d + 1].numpy(), (-scr.p[2:5]).numpy())


def test_float64_screen_rows_are_built_per_chunk():
    x = _exact_norm_rows(1.0, 3, 9, seed=4)
    scr = _prepare(torch.as_tensor(x), "float64", 4)
    left, right = scr.left(1, 4), scr.right_rows(5, 9)
    assert left.dtype == right.dtype == torch.float64
    assert tuple(left.shape) == (3, 5) and tuple(right.shape) == (4, 5)
    np.testing.assert_array_equal(left[:, :3].numpy(), x[1:4])
    np.testing.assert_array_equal(left[:, 3].numpy(), scr.p[1:4].numpy())
    assert left[:, 4].tolist() == [1.0] * 3
    np.testing.assert_array_equal(right[:, :3].numpy(), x[5:9])
    assert right[:, 3].tolist() == [-1.0] * 4
    np.testing.assert_array_equal(right[:, 4].numpy(), (-scr.p[5:9]).numpy())


def test_screen_range_limits_are_exact():
    # auto: float32 screen while max |x| <= 2^50 (either sign), float64 above, refused above 2^400
    def dtype_for(v, screen="auto"):
        x = np.zeros((3, 2))
        x[1, 1] = v
        return _prepare(torch.as_tensor(x), screen, 2).dtype

    top = 2.0**50
    assert dtype_for(top) == torch.float32
    assert dtype_for(-top) == torch.float32
    assert dtype_for(math.nextafter(top, math.inf)) == torch.float64
    assert dtype_for(-math.nextafter(top, math.inf)) == torch.float64
    assert dtype_for(top, "float32") == torch.float32
    assert dtype_for(1.0, "float64") == torch.float64
    for v in (math.nextafter(top, math.inf), -math.nextafter(top, math.inf)):
        with pytest.raises(InvalidArgument, match=r"^screen='float32' float32 screening needs"):
            dtype_for(v, "float32")
    assert dtype_for(2.0**400) == torch.float64
    assert dtype_for(-(2.0**400)) == torch.float64
    for v in (math.nextafter(2.0**400, math.inf), -math.nextafter(2.0**400, math.inf)):
        with pytest.raises(InvalidArgument, match=r"^x=.* entries must be below 2\^400"):
            dtype_for(v)


def test_prepare_finds_non_finite_rows_in_any_block():
    x = np.ones((10, 3))
    x[7, 1] = np.nan
    x[9, 0] = np.inf
    for bs in (1, 3, 64):
        with pytest.raises(InvalidArgument, match=r"^x='<2 rows with NaN/inf>' must be finite"):
            _prepare(torch.as_tensor(x), "auto", bs)
    x[7, 1] = -np.inf
    x[9, 0] = 0.0
    with pytest.raises(InvalidArgument, match=r"^x='<1 rows with NaN/inf>'"):
        closest_pairs(torch.as_tensor(x), k=1, block=2)


@pytest.mark.parametrize("screen", ["float32", "float64"])
def test_h_cut_pinned(screen):
    """h = -(kappa/(1-rho) + A)(1 + 2^-48)/2 rounded down to the screen dtype (docstring of
    _h_cut); an infinite cut admits every finite entry."""
    x = _exact_norm_rows(1.0, 4, 10, seed=5)
    scr = _prepare(torch.as_tensor(x), screen, 4)
    big = torch.finfo(scr.dtype).max
    assert _h_cut(scr, math.inf) == -big
    rho, A = Fraction(scr.rho), Fraction(scr.abs_term)
    for kappa in (0.0, 1.0, 123.456, 2.0**-60, 3.0e7):
        want = -(Fraction(kappa) / (1 - rho) + A) * (1 + Fraction(1, 2**48)) / 2
        h = _h_cut(scr, kappa)
        if screen == "float64":
            assert abs(Fraction(h) - want) <= abs(want) * Fraction(4, 2**53) + Fraction(1, 2**1074)
        else:
            assert float(np.float32(h)) == h
            up = float(np.nextafter(np.float32(h), np.float32(np.inf)))
            assert Fraction(h) <= want * (1 - Fraction(1, 2**50)) + Fraction(1, 2**1074) or h == 0.0
            assert Fraction(up) > want * (1 + Fraction(1, 2**50))


def test_screen_blocks_layout_and_values():
    """Row blocks of br rows against column chunks of 8 br columns from r0 on; entries j <= i are
    -inf; the others equal the float64 product of the augmented rows (float64 screen, integer
    data: H = x_i.x_j - P_i - P_j computed exactly up to the last rounding)."""
    n, br = 21, 2
    x = _exact_norm_rows(1.0, 3, n, seed=6)
    scr = _prepare(torch.as_tensor(x), "float64", br)
    layout = []
    for r0, c0, h in _screen_blocks(scr, br, 1):
        rows = min(br, n - r0)
        cols = min(8 * br, n - c0)
        layout.append((r0, c0, tuple(h.shape)))
        assert tuple(h.shape) == (rows, cols)
        for a in range(rows):
            for b in range(cols):
                i, j = r0 + a, c0 + b
                if j <= i:
                    assert h[a, b] == -math.inf, (i, j)
                else:
                    want = (Fraction(float(x[i] @ x[j])) - Fraction(float(scr.p[i]))
                            - Fraction(float(scr.p[j])))
                    assert abs(Fraction(float(h[a, b])) - want) <= abs(want) * Fraction(4, 2**53) + 1, (i, j)
    want_layout = []
    for r0 in range(0, n, br):
        for c0 in range(r0, n, 8 * br):
            want_layout.append((r0, c0, (min(br, n - r0), min(8 * br, n - c0))))
    assert layout == want_layout


def test_candidates_inclusive_at_the_cut():
    h = torch.tensor([[0.0, -1.0, 2.0], [-5.0, -4.0, -6.0], [1.0, 1.0, -math.inf]])
    ii, jj = _candidates(h, h.amax(1), 1.0)
    assert list(zip(ii.tolist(), jj.tolist())) == [(0, 2), (2, 0), (2, 1)]
    ii, jj = _candidates(h, h.amax(1), 2.0)
    assert list(zip(ii.tolist(), jj.tolist())) == [(0, 2)]
    ii, jj = _candidates(h, h.amax(1), 2.5)
    assert ii.numel() == jj.numel() == 0
    ii, jj = _candidates(h, h.amax(1), -4.0)
    assert list(zip(ii.tolist(), jj.tolist())) == [(0, 0), (0, 1), (0, 2), (1, 1), (2, 0), (2, 1)]


def test_sort_keep_orders_by_distance_then_indices():
    d2 = torch.tensor([3.0, 1.0, 3.0, 1.0, 0.5, 3.0], dtype=torch.float64)
    i = torch.tensor([4, 2, 0, 1, 5, 0])
    j = torch.tensor([5, 3, 7, 9, 6, 2])
    gd, gi, gj = _sort_keep(d2, i, j, 10, 5)
    assert gd.tolist() == [0.5, 1.0, 1.0, 3.0, 3.0]
    assert list(zip(gi.tolist(), gj.tolist())) == [(5, 6), (1, 9), (2, 3), (0, 2), (0, 7)]
    gd, gi, gj = _sort_keep(d2, i, j, 10, 20)
    assert list(zip(gi.tolist(), gj.tolist()))[-1] == (4, 5)


# ---- the searches: answers and n_recomputed on well-separated integer data -------------------------

def _model_closest(x: np.ndarray, k: int, br: int) -> tuple[list, int]:
    """The documented closest-pair algorithm on exact integer distances: per row block of br
    rows and column chunk of 8 br columns (upper triangle), while fewer than k pairs are known the
    (up to k) rows with the smallest in-chunk minimum each contribute their best pair; then the
    pairs at distance <= the current k-th smallest (inf while fewer than k) are the candidates;
    when there are more than k of them, the k nearest are recomputed first and the cut updated,
    and only the other candidates still within the new cut are recomputed."""
    n = x.shape[0]
    D = int_sq(x)
    best: list[tuple[int, int, int]] = []
    n_rec = 0
    for r0 in range(0, n, br):
        r1 = min(n, r0 + br)
        for c0 in range(r0, n, 8 * br):
            c1 = min(n, c0 + 8 * br)
            entries = {(i, j) for i in range(r0, r1) for j in range(max(c0, i + 1), c1)}
            if len(best) < k:
                rows = sorted({i for i, _ in entries})
                if not rows:
                    continue
                rowmin = {i: min((D[i, j], j) for (a, j) in entries if a == i) for i in rows}
                seeds = sorted(rows, key=lambda i: rowmin[i][0])[:k]
                for i in seeds:
                    j = rowmin[i][1]
                    best.append((D[i, j], i, j))
                    entries.discard((i, j))
                    n_rec += 1
                best = sorted(best)[:k]
            cut = best[-1][0] if len(best) == k else math.inf
            cand = [(D[i, j], i, j) for (i, j) in entries if D[i, j] <= cut]
            if len(cand) > k:
                top = sorted(cand)[:k]
                n_rec += k
                best = sorted(best + top)[:k]
                cut = best[-1][0] if len(best) == k else math.inf
                cand = [c for c in sorted(cand)[k:] if c[0] <= cut]
            n_rec += len(cand)
            best = sorted(best + cand)[:k]
    return best, n_rec


@pytest.mark.parametrize("k,block", [(1, 64), (3, 64), (5, 64), (1, 3), (4, 3), (10, 2), (45, 4)])
def test_closest_pairs_answers_and_recompute_counts(k, block):
    x = distinct_integer_points(10, 3, 40, seed=7)
    want, want_rec = _model_closest(x, k, block)
    for screen in ("float32", "float64"):
        res = closest_pairs(torch.as_tensor(x), k=k, block=block, screen=screen)
        assert res.exact is True and len(res) == k
        assert [(int(a), int(b)) for a, b in zip(res.i, res.j)] == [(i, j) for _, i, j in want]
        assert res.squared.tolist() == [float(v) for v, _, _ in want]
        np.testing.assert_array_equal(res.distance, np.sqrt(res.squared))
        assert res.n_recomputed == want_rec, screen


def test_closest_pairs_argument_checks():
    x = torch.as_tensor(distinct_integer_points(4, 2, 30, seed=8))
    for exact in (True, False):
        assert len(closest_pairs(x, k=6, exact=exact)) == 6  # k = C(4, 2) is allowed
        with pytest.raises(InvalidArgument, match=r"^k=7 must be <= the number of pairs C\(4,2\)=6"):
            closest_pairs(x, k=7, exact=exact)
        two = closest_pairs(x[:2], k=1, exact=exact)
        assert (int(two.i[0]), int(two.j[0])) == (0, 1)
        with pytest.raises(InvalidArgument, match=r"^x\.shape\[0\]=1 must be >= 2"):
            closest_pairs(x[:1], k=1, exact=exact)
        with pytest.raises(InvalidArgument, match="^screen="):
            closest_pairs(x, k=1, exact=exact, screen="float16")
        with pytest.raises(InvalidArgument, match="^k="):
            closest_pairs(x, k=0, exact=exact)
    with pytest.raises(InvalidArgument, match=r"^k=20 must be <= the number of pairs C\(4,2\)=6"):
        closest_pairs(x)  # default k = 20 (the paper's K)
    big = torch.as_tensor(distinct_integer_points(7, 2, 60, seed=9))
    assert len(closest_pairs(big)) == 20 and len(closest_pairs(big, exact=False)) == 20


@pytest.mark.parametrize("block", [1, 2, 3, 50])
def test_fast_form_answers_on_integers(block):
    # exact=False on integer data: the fast form is exact, so the answer is the integer ordering
    x = distinct_integer_points(9, 3, 30, seed=10)
    D = int_sq(x)
    order = sorted((D[i, j], i, j) for i, j in itertools.combinations(range(9), 2))
    res = closest_pairs(torch.as_tensor(x), k=36, exact=False, block=block)
    assert res.exact is False and res.n_recomputed == 0
    assert [(int(a), int(b)) for a, b in zip(res.i, res.j)] == [(i, j) for _, i, j in order]
    assert res.squared.tolist() == [float(v) for v, _, _ in order]
    near = x.copy()
    near[5] = near[2]  # an exact duplicate comes first with distance 0
    res = closest_pairs(torch.as_tensor(near), k=1, exact=False, block=block)
    assert (int(res.i[0]), int(res.j[0]), float(res.squared[0])) == (2, 5, 0.0)


@pytest.mark.parametrize("block", [2, 3, 64])
def test_pairs_within_answers_counts_and_inclusive_ties(block):
    x = distinct_integer_points(12, 3, 30, seed=11)
    D = int_sq(x)
    vals = sorted(D[i, j] for i, j in itertools.combinations(range(12), 2))
    for m in (0, 4, 20):
        # half-way to the next integer: every squared distance is 1/2 away from tau^2, far
        # beyond the screen's margin, so the recomputed pairs are exactly the answers
        tau = math.sqrt(vals[m] + 0.5)
        want = sorted((i, j) for i, j in itertools.combinations(range(12), 2) if D[i, j] <= Fraction(tau) ** 2)
        for screen in ("float32", "float64"):
            res = pairs_within(torch.as_tensor(x), tau, block=block, screen=screen)
            got = sorted(zip(res.i.tolist(), res.j.tolist()))
            assert got == want
            assert sorted(res.squared.tolist()) == sorted(float(D[p]) for p in want)
            assert res.threshold == tau and len(res) == len(want)
            # separated integer distances: the screen lets through exactly the answers
            assert res.n_recomputed == len(want)
    none = pairs_within(torch.as_tensor(x), 0.5, block=block)
    assert len(none) == 0 and none.n_recomputed == 0
    assert none.i.dtype == none.j.dtype == np.int64 and none.squared.shape == (0,)
    with pytest.raises(InvalidArgument, match="^threshold="):
        pairs_within(torch.as_tensor(x), -1.0)
    with pytest.raises(InvalidArgument, match="^screen="):
        pairs_within(torch.as_tensor(x), 1.0, screen="fast")


def test_pairs_within_exact_tie_keeps_the_pair():
    # squared distance 25 at tau = 5 exactly (inclusive), not at the float just below 5
    x = torch.tensor([[0.0, 0.0], [3.0, 4.0], [100.0, 100.0]], dtype=torch.float64)
    res = pairs_within(x, 5.0)
    assert list(zip(res.i.tolist(), res.j.tolist())) == [(0, 1)] and res.squared.tolist() == [25.0]
    assert len(pairs_within(x, math.nextafter(5.0, 0.0))) == 0


def _model_nn(q: np.ndarray, r: np.ndarray, self_ref: bool, bs: int) -> tuple[list, list, int]:
    """Per query row, over column blocks of bs reference rows: the rows j of a block whose
    integer distance is <= min(best so far, the block's minimum) are recomputed (distinct
    distances: one per block that does not make things worse); the nearest is kept, ties to the
    smaller index."""
    idx, dist, n_rec = [], [], 0
    for i in range(q.shape[0]):
        best, arg = math.inf, -1
        for c0 in range(0, r.shape[0], bs):
            js = [j for j in range(c0, min(r.shape[0], c0 + bs)) if not (self_ref and j == i)]
            if not js:
                continue
            dj = {j: int(((q[i] - r[j]) ** 2).sum()) for j in js}
            cut = min(best, min(dj.values()))
            cand = [j for j in js if dj[j] <= cut]
            n_rec += len(cand)
            if not cand:
                continue
            dmin = min(dj[j] for j in cand)
            jmin = min(j for j in cand if dj[j] == dmin)
            if dmin < best:
                best, arg = dmin, jmin
        idx.append(arg)
        dist.append(math.sqrt(best))
    return idx, dist, n_rec


@pytest.mark.parametrize("bs", [1, 2, 3, 64])
def test_nearest_neighbours_answers_and_counts(bs):
    x = distinct_integer_points(11, 3, 30, seed=12)
    idx, dist, n_rec = _model_nn(x, x, True, bs)
    res = nearest_neighbours(torch.as_tensor(x), block=bs)
    assert res.index.tolist() == idx
    # torch's vectorised sqrt may differ from the correctly rounded math.sqrt by one ulp
    np.testing.assert_allclose(res.distance, dist, rtol=SQRT_REL, atol=0)
    assert res.n_recomputed == n_rec
    r = distinct_integer_points(7, 3, 30, seed=13)
    idx, dist, n_rec = _model_nn(x, r, False, bs)
    res = nearest_neighbours(torch.as_tensor(x), torch.as_tensor(r), block=bs)
    assert res.index.tolist() == idx
    np.testing.assert_allclose(res.distance, dist, rtol=SQRT_REL, atol=0)
    assert res.n_recomputed == n_rec


@pytest.mark.parametrize("bs", [1, 2, 3, 64])
def test_nearest_neighbour_ties_go_to_the_smaller_index(bs):
    # query 0 at the origin; references 1 and 3 both at squared distance 25, reference 2 at 26
    q = np.array([[0.0, 0.0]])
    r = np.array([[10.0, 10.0], [3.0, 4.0], [5.0, 1.0], [4.0, 3.0], [0.0, 5.0]])
    res = nearest_neighbours(torch.as_tensor(q), torch.as_tensor(r), block=bs)
    assert res.index.tolist() == [1] and res.distance.tolist() == [5.0]
    # self-reference: row 0 is never its own neighbour; rows 1, 3, 4 tie at 25 from row 0
    s = np.vstack([q, r[1:]])
    res = nearest_neighbours(torch.as_tensor(s), block=bs)
    assert res.index[0] == 1 and res.distance[0] == 5.0


def test_nearest_neighbours_argument_checks():
    two = torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=torch.float64)
    res = nearest_neighbours(two)  # two rows suffice for a self-reference
    assert res.index.tolist() == [1, 0] and res.distance.tolist() == [5.0, 5.0]
    with pytest.raises(InvalidArgument, match=r"^reference\.shape\[0\]=1 is too small"):
        nearest_neighbours(two[:1])
    one = nearest_neighbours(two, two[1:])  # one reference row suffices for separate queries
    assert one.index.tolist() == [0, 0] and one.distance.tolist() == [5.0, 0.0]
    with pytest.raises(InvalidArgument, match=r"^reference\.shape=\(2, 3\) must have d=2"):
        nearest_neighbours(two, torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(InvalidArgument, match="^queries"):
        nearest_neighbours(np.ones(3))
    with pytest.raises(InvalidArgument, match="^reference"):
        nearest_neighbours(two, np.ones(2))
    with pytest.raises(InvalidArgument, match="^block="):
        nearest_neighbours(two, block=0)


# ---- adversarial near-threshold data: the screen misses nothing, and the margin is why -----------

def _clustered_float32(seed: int) -> np.ndarray:
    """40 float32 rows of norm ~2^14 (squared norms ~2^28) within ~0.1 of one another: the
    float32 product's rounding error (~(d+2) 2^-24 N ~ 300) dwarfs every squared distance (< 1),
    so each screened value is decided by the margin alone. Entries are multiples of 2^-10 below
    2^13: exact in float32, and every squared distance is exact in float64."""
    rng = np.random.default_rng(seed)
    base = np.round(rng.standard_normal(16) * 2.0**12 * 2**10) / 2**10
    x = base + rng.integers(-100, 101, size=(40, 16)) / 2**10
    assert np.all(np.abs(x) < 2.0**15)
    return x.astype(np.float32)


def _exact_sq_matrix(x: np.ndarray) -> dict[tuple[int, int], Fraction]:
    """Exact squared distances: the rows are integers / 2^10, so D_ij = (integer) / 2^20."""
    k = np.rint(x.astype(np.float64) * 2**10).astype(np.int64)
    assert np.array_equal(k / 2**10, x.astype(np.float64))
    n = x.shape[0]
    return {(i, j): Fraction(int(((k[i] - k[j]) ** 2).sum()), 2**20) for i in range(n) for j in range(i + 1, n)}


def _exact_pairs_within(D: dict, tau: float) -> list[tuple[int, int]]:
    t2 = Fraction(tau) ** 2
    return sorted(p for p, v in D.items() if v <= t2)


@pytest.mark.parametrize("seed", [0, 1])
def test_screen_misses_no_pair_at_near_threshold_distances(seed):
    x = _clustered_float32(seed)
    t = torch.as_tensor(x)
    D = _exact_sq_matrix(x)
    vals = sorted(set(D.values()))
    # thresholds exactly at a squared distance (an exact tie, inclusive), and one ulp either side
    for m in (0, 5, 40, 200):
        tau0 = math.sqrt(float(vals[m]))
        for tau in (math.nextafter(tau0, 0.0), tau0, math.nextafter(tau0, math.inf)):
            want = _exact_pairs_within(D, tau)
            for screen in ("float32", "float64"):
                got = pairs_within(t, tau, screen=screen, block=7)
                assert sorted(zip(got.i.tolist(), got.j.tolist())) == want, (m, tau, screen)
    # the k closest pairs: the same as the exact order (distance, i, j)
    order = sorted((v, i, j) for (i, j), v in D.items())
    res = closest_pairs(t, k=25, block=6, screen="float32")
    assert [(int(a), int(b)) for a, b in zip(res.i, res.j)] == [(i, j) for _, i, j in order[:25]]


def test_screen_without_its_margin_misses_pairs(monkeypatch):
    """Negative control: with gamma = 0 (no allowance for the float32 product's rounding) the
    same search skips true answers on the same data, so the test above can fail."""
    missed = 0
    for seed in (0, 1):
        x = _clustered_float32(seed)
        D = _exact_sq_matrix(x)
        tau = math.sqrt(float(sorted(set(D.values()))[200]))
        want = _exact_pairs_within(D, tau)
        with monkeypatch.context() as mp:
            mp.setattr(P, "_gamma", lambda n, u: 0.0)
            got = pairs_within(torch.as_tensor(x), tau, screen="float32", block=7)
        missed += len(set(want) - set(zip(got.i.tolist(), got.j.tolist())))
    assert missed > 0


def test_nearest_neighbours_of_identical_zero_rows():
    # all-zero rows: every distance and every margin is exactly 0, so the candidate test
    # dh - margin <= cut must be inclusive; the nearest is the smallest other index
    z = torch.zeros(4, 3, dtype=torch.float64)
    for bs in (1, 2, 64):
        res = nearest_neighbours(z, block=bs)
        assert res.index.tolist() == [1, 0, 0, 0] and res.distance.tolist() == [0.0] * 4
        res = nearest_neighbours(z[:2], z, block=bs)
        assert res.index.tolist() == [0, 0] and res.distance.tolist() == [0.0, 0.0]


def test_nearest_neighbours_range_limit():
    # entries up to 2^400 (either sign) give exact answers; above, squared norms would overflow
    # (a former bug: index -1 and distance inf for every row at entries ~1e160), so they are refused
    top = 2.0**400
    q = torch.tensor([[0.0], [top], [-top]], dtype=torch.float64)
    res = nearest_neighbours(q)
    assert res.index.tolist() == [1, 0, 0] and res.distance.tolist() == [top, top, top]
    big = math.nextafter(top, math.inf)
    for bad in ([[0.0], [big]], [[0.0], [-big]]):
        with pytest.raises(InvalidArgument, match=r"^queries=.* entries must be below 2\^400"):
            nearest_neighbours(torch.tensor(bad, dtype=torch.float64))
        with pytest.raises(InvalidArgument, match=r"^reference=.* entries must be below 2\^400"):
            nearest_neighbours(torch.zeros(1, 1, dtype=torch.float64), torch.tensor(bad, dtype=torch.float64))


def test_nearest_neighbour_candidate_window_is_the_documented_one():
    """From a zero query the fast form is exact (dh_j = N_j) and the margin is E_j = rel N_j with
    rel = PAIR_SCREEN_SAFETY (2d+8) 2^-53; row j is recomputed iff N_j - E_j <= (N_0 + E_0)(1 + rel)
    (row 0 is the nearest, N_0 = 1). Rows b e_1 with b = 1 + k 2^-53 (squared norms ~1 + 2k 2^-53)
    on either side of that boundary (near 1 + 3 rel = 1 + 648 2^-53) pin the window; each lies
    >= 4 2^-53 away from it, beyond the few roundings of its evaluation."""
    d = 50
    eps = Fraction(1, 2**53)
    rel = Fraction(PAIR_SCREEN_SAFETY) * (2 * d + 8) * eps
    ks = [0, 300, 320, 350, 1000]  # even k: b = 1 + (k/2) 2^-52 is a float
    r = np.zeros((len(ks), d))
    r[:, 0] = [1.0 + (k // 2) * 2.0**-52 for k in ks]
    N = [Fraction(float(v)) ** 2 for v in r[:, 0]]
    cut = (N[0] + rel * N[0]) * (1 + rel)
    slack = [(n - rel * n) - cut for n in N]
    assert all(abs(s) >= 4 * eps for s in slack[1:])
    want = sum(1 for s in slack if s <= 0)
    assert want == 3  # rows k = 0, 300, 320 (squared norms 1, 1 + 600 2^-53, 1 + 640 2^-53)
    res = nearest_neighbours(torch.zeros(1, d, dtype=torch.float64), torch.as_tensor(r), block=64)
    assert res.index.tolist() == [0] and res.distance.tolist() == [1.0]
    assert res.n_recomputed == want
