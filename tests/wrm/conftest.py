"""WRM tests use tiny models: one intra-op thread avoids OpenMP spin-wait contention when the
machine is shared (2 cores), which otherwise slows these tests by orders of magnitude."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
