"""CPU thread policy for torch work: one place decides how many intra-op threads a piece of work
gets, from the size of the model it runs, not from the call site.

Tiny networks (the paper's 28-parameter MLP, the Theorem 1 generators at quick sizes) gain
nothing from intra-op parallelism, and on a shared CPU OpenMP workers spin-wait for each other:
one gradient of a 2-4-2 network was measured at 242 µs on one thread and 8.3 ms on two. So work
on a model below :data:`SMALL_MODEL_PARAMS` parameters on the CPU runs with one intra-op thread;
the previous setting is always restored on exit.

Public surface:

- :func:`torch_threads` — run a block with exactly ``n`` threads.
- :func:`threads_for` — run a block with the policy's thread count for a model (or a parameter
  count); use it around any loop of small forward/backward passes outside training.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["SMALL_MODEL_PARAMS", "threads_for", "torch_threads", "policy_threads"]

#: Parameter count below which one CPU thread is used (the MNIST MLP stand-in has ~109k
#: parameters; the 710k-parameter convnet gets every thread).
SMALL_MODEL_PARAMS = 200_000


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads; restore the previous count on exit."""
    import torch

    before = torch.get_num_threads()
    try:
        if n != before:
            torch.set_num_threads(n)
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def _size_and_device(model_or_params: Any) -> tuple[int, str]:
    if isinstance(model_or_params, int):
        return model_or_params, "cpu"
    params = list(model_or_params.parameters())
    n = sum(p.numel() for p in params)
    return n, (params[0].device.type if params else "cpu")


def policy_threads(model_or_params: Any) -> int | None:
    """The policy's intra-op thread count for a model or a parameter count, or ``None`` to keep
    the current setting (large models, or models on an accelerator)."""
    n, device = _size_and_device(model_or_params)
    return 1 if (device == "cpu" and n < SMALL_MODEL_PARAMS) else None


@contextlib.contextmanager
def threads_for(model_or_params: Any) -> Iterator[None]:
    """Run the block with the policy's thread count for ``model_or_params`` (a ``torch.nn.Module``
    or an ``int`` parameter count): one thread below :data:`SMALL_MODEL_PARAMS` on the CPU."""
    import torch

    n = policy_threads(model_or_params)
    with torch_threads(torch.get_num_threads() if n is None else n):
        yield
