"""CPU thread policy for small models [R].

Tiny networks (the paper's 28-parameter MLP) gain nothing from intra-op parallelism, and on a
shared CPU OpenMP worker threads spin-wait for each other, which was measured to slow a 2-core
run by up to ~80x. Below :data:`SMALL_MODEL_PARAMS` parameters on the CPU, work runs with one
intra-op thread; the previous setting is restored on exit.
"""

from __future__ import annotations

import contextlib

__all__ = ["SMALL_MODEL_PARAMS", "threads_for"]

#: Parameter count below which one CPU thread is used (the MNIST MLP stand-in has ~109k).
SMALL_MODEL_PARAMS = 200_000


@contextlib.contextmanager
def threads_for(model):
    import torch

    from checker.threads import torch_threads

    params = list(model.parameters())
    small = sum(p.numel() for p in params) < SMALL_MODEL_PARAMS
    on_cpu = not params or params[0].device.type == "cpu"
    with torch_threads(1 if (small and on_cpu) else torch.get_num_threads()):
        yield
