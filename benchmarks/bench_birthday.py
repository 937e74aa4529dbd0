"""Closest-pair search of the birthday test: blocked exact search vs a naive full s x s matrix.

Figures (same run, same device): time and peak memory of ``closest_pairs`` (blocked, exact
mode: fast screen + direct recomputation) against a naive implementation that forms the full
``s x s`` float64 distance matrix with the matrix-product form and takes the top k. At
s = 10^5 (GPU only) the naive matrix needs 80 GB and is not run: its time is extrapolated from
s = 10^4 by the s^2 scaling of the work, and its memory computed (8 s^2 bytes), as stated in the
rows. On CPU s = 10^5 is not run at all (the blocked search would take ~30 min on 2 cores).
"""

from __future__ import annotations


import torch

from benchmarks._harness import Row, time_call
from checker.birthday.pairs import DEFAULT_BLOCK, closest_pairs

D = 784
K = 20


def _naive(x: torch.Tensor, k: int):
    n2 = (x * x).sum(1)
    full = n2[:, None] + n2[None, :] - 2.0 * (x @ x.T)
    iu = torch.triu_indices(x.shape[0], x.shape[0], 1, device=x.device)
    vals = full[iu[0], iu[1]]
    return torch.topk(vals, k, largest=False)


def _data(s: int, device) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(s, D, generator=g, dtype=torch.float64)
    x[s // 2] = x[1] + 1e-9  # one near-duplicate
    return x.to(device)


def _bench(s: int, device, repeat: int, run_naive: bool) -> list[Row]:
    x = _data(s, device)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    t_blk = time_call(lambda: closest_pairs(x, k=K), repeat=repeat, warmup=1, sync=sync)
    blk_bytes = 8 * (2 * DEFAULT_BLOCK * DEFAULT_BLOCK) + 8 * s * D  # two block-sized buffers + data
    naive_bytes = 8 * s * s * 1.5 + 8 * s * D  # full matrix + upper-triangle copy + data
    rows = []
    if run_naive:
        t_naive = time_call(lambda: _naive(x, K), repeat=repeat, warmup=1, sync=sync)
        note = "measured"
    else:
        t10 = _bench_naive_small(device)
        t_naive = t10 * (s / 10_000) ** 2
        note = "naive time extrapolated from s=1e4 by s^2 scaling (not run: needs %.0f GB)" % (naive_bytes / 1e9)
    dev = str(device) if device.type == "cpu" else torch.cuda.get_device_name(device)
    rows.append(Row(area="birthday", name=f"closest {K} pairs, s={s:,}, d={D}, float64",
                    baseline="naive full s x s matrix (matmul form, inexact)",
                    candidate="blocked exact search (screen + direct recompute)",
                    baseline_s=t_naive, candidate_s=t_blk, ratio=t_naive / t_blk, device=dev,
                    extra={"naive": note}))
    rows.append(Row(area="birthday", name=f"peak working memory, s={s:,}, d={D}",
                    baseline="naive full s x s matrix", candidate="blocked (block %d)" % DEFAULT_BLOCK,
                    baseline_s=t_naive, candidate_s=t_blk, ratio=naive_bytes / blk_bytes, device=dev,
                    ratio_meaning="memory ratio (naive bytes / blocked bytes; computed from buffer sizes)",
                    extra={"naive_bytes": naive_bytes, "blocked_bytes": blk_bytes}))
    return rows


_cache: dict = {}


def _bench_naive_small(device) -> float:
    if device.type not in _cache:
        x = _data(10_000, device)
        sync = torch.cuda.synchronize if device.type == "cuda" else None
        _cache[device.type] = time_call(lambda: _naive(x, K), repeat=1, warmup=0, sync=sync)
    return _cache[device.type]


def run(*, quick: bool) -> list[Row]:
    rows: list[Row] = []
    cpu = torch.device("cpu")
    # quick: s = 5,000 (fits the ~60 s budget on 2 cores); full: s = 10,000. s = 10^5 is not run
    # on CPU: the blocked search alone would take ~100x the s = 10^4 time (~30 min on 2 cores).
    rows += _bench(5_000 if quick else 10_000, cpu, repeat=1, run_naive=True)
    if torch.cuda.is_available():
        cuda = torch.device("cuda")
        rows += _bench(10_000, cuda, repeat=3, run_naive=True)
        rows += _bench(100_000, cuda, repeat=1, run_naive=False)
    return rows
