"""CPU thread control for torch work: a context manager that sets the number of intra-op
threads and always restores the previous setting.

Tiny networks (the paper's 28-parameter MLP) gain nothing from intra-op parallelism, and on a
shared CPU OpenMP workers spin-wait for each other (measured up to ~80x slower on 2 cores), so
small-model work runs with one thread (see :func:`checker.wrm._threads.threads_for`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["torch_threads"]


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
