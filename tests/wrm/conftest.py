"""WRM tests use tiny models: one intra-op thread avoids OpenMP spin-wait contention when the
machine is shared (2 cores), which otherwise slows these tests by orders of magnitude.

They also run under the deterministic policy of :mod:`checker.device` (``--deterministic`` on:
``CHECKER_DETERMINISTIC=1``), so a nondeterministic kernel would raise instead of passing by
luck; the bit-identity tests pin ``device="cpu"`` themselves."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    from checker.threads import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch):
    from checker.device import DETERMINISTIC_ENV

    monkeypatch.setenv(DETERMINISTIC_ENV, "1")
