"""Shared benchmark harness.

Every ``benchmarks/bench_<area>.py`` defines ``run(*, quick: bool) -> list[Row]``; the runner
(``python -m benchmarks``) calls them all and writes ``docs/benchmarks.md``. A figure is
always a ratio against a baseline measured *in the same run on the same device*, plus the
absolute times, labelled with the device. Benchmarks are never timed tests.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Row", "time_call", "peak_memory"]


@dataclass(frozen=True, kw_only=True)
class Row:
    """One benchmark figure: ``candidate`` against ``baseline``.

    ``ratio`` = baseline time / candidate time (> 1 means the candidate is faster), unless
    ``ratio_meaning`` says otherwise (e.g. a throughput ratio or a memory ratio).
    """

    area: str
    name: str
    baseline: str
    candidate: str
    baseline_s: float
    candidate_s: float
    ratio: float
    device: str
    ratio_meaning: str = "speed-up (baseline time / candidate time)"
    extra: dict[str, Any] = field(default_factory=dict)


def time_call(fn: Callable[[], Any], *, repeat: int = 5, warmup: int = 1,
              sync: Callable[[], None] | None = None) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeat`` runs after ``warmup`` runs.

    ``sync`` (e.g. ``torch.cuda.synchronize``) is called before each clock read on a GPU.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        if sync:
            sync()
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak Python-heap allocation of ``fn()`` in bytes (tracemalloc; numpy buffers included,
    torch CPU tensors are not traced: measure those with explicit size accounting)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak
