"""Shared test set-up.

Hypothesis profiles (select with ``CHECKER_HYPOTHESIS_PROFILE``; default ``ci``, so the
README's ``python3 -m pytest`` and ``.ci/run`` run the same deterministic suite, and the
README's test time is that of the command it prints):

* ``dev``: quick feedback while editing (few examples, random seeds, local database);
* ``ci``: deterministic (derandomised), no example database, no deadline, blobs printed so a
  failure can be reproduced with ``@reproduce_failure``;
* ``thorough``: many examples, random seeds; for scheduled or pre-release runs.

Tests marked ``gpu`` are skipped when no CUDA device is present; ``browser`` tests when no
Chromium is installed.
"""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import HealthCheck, Phase, settings

# No profile has a deadline or the `too_slow` health check: both read the clock, and a test must
# not fail because the machine is loaded.
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=list(Phase),
)

_profile = os.environ.get("CHECKER_HYPOTHESIS_PROFILE") or "ci"
if _profile not in ("dev", "ci", "thorough"):
    raise pytest.UsageError(f"CHECKER_HYPOTHESIS_PROFILE={_profile!r} must be dev, ci or thorough")
settings.load_profile(_profile)

# Library code must not depend on the working directory: run every test from a scratch dir.
os.environ.setdefault("CHECKER_PROGRESS", "0")
# Deterministic torch algorithms (and the cuBLAS workspace) for the whole suite: tests compare
# runs bit for bit (see checker.device).
os.environ.setdefault("CHECKER_DETERMINISTIC", "1")


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


#: Seed of the global random generators at the start of every test (see below).
TEST_SEED = 0


@pytest.fixture(autouse=True)
def _seeded_global_rngs():
    """Every test starts from the same state of Python's, NumPy's and torch's global generators,
    so a draw a test forgot to seed cannot depend on which tests ran before it, on -x, -k or on
    the mutation harness's test selection. (Tests should still pass their own seeds.)"""
    import random

    import numpy as np

    random.seed(TEST_SEED)
    np.random.seed(TEST_SEED)
    try:
        import torch
    except ImportError:  # the pure-math tests run without torch
        return
    torch.manual_seed(TEST_SEED)


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    skip_gpu = pytest.mark.skip(reason="no CUDA device on this machine")
    skip_browser = pytest.mark.skip(reason="headless Chromium not installed")
    has_cuda = None
    has_browser = shutil.which("chromium") or shutil.which("chromium-browser")
    for item in items:
        # markers, not keywords: every test under tests/gpu/ has the keyword "gpu" (its folder)
        if item.get_closest_marker("gpu") is not None:
            if has_cuda is None:
                has_cuda = _has_cuda()
            if not has_cuda:
                item.add_marker(skip_gpu)
        if item.get_closest_marker("browser") is not None and not has_browser:
            item.add_marker(skip_browser)


def pytest_report_header(config):
    return f"checker: hypothesis profile {_profile!r}"
