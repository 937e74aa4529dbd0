"""WRM tests use tiny models: one intra-op thread avoids OpenMP spin-wait contention when the
machine is shared (2 cores), which otherwise slows these tests by orders of magnitude."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    from checker.threads import torch_threads

    with torch_threads(1):
        yield
