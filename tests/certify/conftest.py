"""Certificate tests run tiny networks: torch's intra-op thread pool costs far more than it
saves on tensors of a few dozen entries (measured 30x slower per op with 2 threads on a loaded
2-core machine), so these tests use one thread and restore the setting afterwards."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _single_thread():
    from checker.threads import torch_threads

    with torch_threads(1):
        yield
