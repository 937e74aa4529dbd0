"""Generator forward throughput at large pool size (Arora et al. Theorem 1 construction).

Figures (same run, same device): at m = 10^5 pool images of d = 784 pixels (MNIST-sized,
synthetic pixels), d~ = 8, the time to generate a batch of n codes' images with

* the vectorised compact ReLU generator (``ReluGenerator.forward``: one (n, m-1) ramp matrix times
  the (m-1, d-d~) difference matrix; 1.2 GB of float64 weights),
* the ideal hash generator (``IdealGenerator``: ``searchsorted`` + gather),

against a naive per-sample lookup (a Python loop over samples, each a linear scan of the m-1
thresholds, then a row copy). The naive loop is **timed on a small batch and extrapolated
linearly** to n (its cost per sample does not depend on n); each row says so. GPU rows are
produced only when CUDA is available (the code path exists; skipped on CPU-only machines).
"""

from __future__ import annotations

import math
import time

import torch

from benchmarks._harness import Row, time_call
from checker.gan.codes import thresholds
from checker.gan.generator import IdealGenerator, ReluGenerator, pow2_floor

D, D_TILDE = 784, 8


def _naive_lookup(pool_clean: torch.Tensor, edges: list[float], idx: torch.Tensor,
                  z: torch.Tensor) -> torch.Tensor:
    out = torch.empty(z.shape[0], pool_clean.shape[1], dtype=pool_clean.dtype)
    zl = z.tolist()
    for r, code in enumerate(zl):
        j = 0
        while j < len(edges) and code[0] >= edges[j]:  # interior edges t_1..t_{m-1}
            j += 1
        row = pool_clean[j].clone()
        row[idx] = torch.as_tensor(code, dtype=pool_clean.dtype)
        out[r] = row
    return out


def _device_rows(device: torch.device, *, m: int, n: int, n_naive: int, repeat: int) -> list[Row]:
    g = torch.Generator().manual_seed(0)
    pool = torch.rand(m, D, generator=g, dtype=torch.float64).to(device)
    edges = thresholds(m)
    delta = pow2_floor(math.sqrt(2 * math.pi) * 0.1 / (8 * (m - 1)))
    t0 = time.perf_counter()
    relu = ReluGenerator(pool=pool, d_tilde=D_TILDE, edges=edges, delta=delta)
    build_s = time.perf_counter() - t0
    ideal = IdealGenerator(pool=pool, d_tilde=D_TILDE, edges=edges)
    z = torch.randn(n, D_TILDE, generator=g, dtype=torch.float64).to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    with torch.no_grad():
        relu_s = time_call(lambda: relu(z), repeat=repeat, warmup=1, sync=sync)
        ideal_s = time_call(lambda: ideal(z), repeat=max(repeat, 5), warmup=1, sync=sync)
        # correctness of what is timed: the two agree off the ramp set
        off = ~relu.on_ramp(z)
        agree = float((relu(z) - ideal(z))[off].abs().max())
    # naive: CPU Python loop on a small batch, extrapolated linearly to n
    pool_cpu = ideal.pool_clean.cpu()
    idx = ideal.noise_indices.cpu()
    interior = edges[1:-1].tolist()
    zs = z[:n_naive].cpu()
    t0 = time.perf_counter()
    naive_out = _naive_lookup(pool_cpu, interior, idx, zs)
    naive_small = time.perf_counter() - t0
    assert torch.equal(naive_out, ideal(zs.to(device)).cpu())
    naive_s = naive_small * n / n_naive
    dev = f"{device.type} ({torch.get_num_threads()} threads)" if device.type == "cpu" else \
        torch.cuda.get_device_name(device)
    params = relu.param_count()
    common = {"m": m, "d": D, "d_tilde": D_TILDE, "batch": n, "relu_params": params,
              "relu_build_s": build_s, "max_offramp_diff": agree,
              "naive_note": f"naive timed on {n_naive} samples ({naive_small:.3g} s), extrapolated x{n / n_naive:g}"}
    del relu
    return [
        Row(area="gan", name=f"generator forward, m=1e5, d=784, batch {n}", baseline="naive per-sample lookup (Python loop, extrapolated)",
            candidate="ReLU generator (vectorised, tied evaluation)", baseline_s=naive_s, candidate_s=relu_s,
            ratio=naive_s / relu_s, device=dev, extra=dict(common)),
        Row(area="gan", name=f"generator forward, m=1e5, d=784, batch {n}", baseline="naive per-sample lookup (Python loop, extrapolated)",
            candidate="ideal generator (searchsorted + gather)", baseline_s=naive_s, candidate_s=ideal_s,
            ratio=naive_s / ideal_s, device=dev, extra=dict(common)),
        Row(area="gan", name=f"generator forward, m=1e5, d=784, batch {n}", baseline="ReLU generator (vectorised)",
            candidate="ideal generator (searchsorted + gather)", baseline_s=relu_s, candidate_s=ideal_s,
            ratio=relu_s / ideal_s, device=dev, extra=dict(common)),
    ]


def _fooling_thread_policy_rows(*, quick: bool) -> list[Row]:
    """CPU and wall time of one pool size of the fooling sweep (m = 256, digits): every torch
    thread (the previous behaviour) against the thread policy (checker.threads: one thread for
    these small networks). Interleaved, same run; results are identical either way."""
    from checker.gan.data import load_images
    from checker.gan.fooling import FoolingConfig, _measure_m
    from checker.threads import threads_for, torch_threads

    cfg = FoolingConfig(m_grid=(256,), steps=20 if quick else 80, restarts=1 if quick else 2,
                        n_test=5000 if quick else 20000, support_draws=5000 if quick else 20000)
    data = load_images(cfg.dataset, seed=cfg.seed)
    dev = torch.device("cpu")
    n_all = torch.get_num_threads()

    def one(policy: bool):
        ctx = threads_for(10_000) if policy else torch_threads(n_all)
        c0, w0 = time.process_time(), time.perf_counter()
        with ctx:
            row, _ = _measure_m(cfg, 256, data, dev)
        return time.process_time() - c0, time.perf_counter() - w0, row.gap

    one(True)  # warm-up (data, imports, allocator), discarded
    res = {True: [], False: []}
    for _ in range(1 if quick else 3):
        for policy in (False, True):
            res[policy].append(one(policy))
    cpu = {k: min(r[0] for r in v) for k, v in res.items()}
    wall = {k: min(r[1] for r in v) for k, v in res.items()}
    same = len({r[2] for v in res.values() for r in v}) == 1
    common = {"threads available": n_all, "same gap both ways": "yes" if same else "no (reduction order)"}
    return [
        Row(area="gan", name="fooling sweep, one pool size m=256 (digits), CPU time",
            baseline=f"all {n_all} torch threads", candidate="thread policy (1 thread below 200k params)",
            baseline_s=cpu[False], candidate_s=cpu[True], ratio=cpu[False] / cpu[True],
            device=f"cpu ({n_all} threads)", ratio_meaning="CPU-time ratio (baseline CPU s / candidate CPU s)",
            extra=common),
        Row(area="gan", name="fooling sweep, one pool size m=256 (digits), wall time",
            baseline=f"all {n_all} torch threads", candidate="thread policy (1 thread below 200k params)",
            baseline_s=wall[False], candidate_s=wall[True], ratio=wall[False] / wall[True],
            device=f"cpu ({n_all} threads)", extra=common),
    ]


def run(*, quick: bool) -> list[Row]:
    m = 100_000
    n = 256 if quick else 2048
    rows = _fooling_thread_policy_rows(quick=quick)
    rows += _device_rows(torch.device("cpu"), m=m, n=n, n_naive=8 if quick else 64, repeat=2 if quick else 5)
    if torch.cuda.is_available():
        rows += _device_rows(torch.device("cuda"), m=m, n=4 * n, n_naive=8, repeat=5)
    return rows
