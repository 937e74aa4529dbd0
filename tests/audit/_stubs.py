"""Shared fixtures for the audit tests that audit the repository's proofs/: experiments are
stubbed (they are checked by `checker audit` and in their own areas; here only the *structure* of
what each theorem rests on matters), and one cache folder is shared within a module."""

from __future__ import annotations

import pytest


@pytest.fixture
def stub_experiments(monkeypatch):
    """Every registered experiment returns a passing result without running (for trust
    structure tests only: the verdict is never presented as evidence)."""
    from checker import experiments
    from checker.experiments import ExperimentResult

    monkeypatch.setattr(experiments, "run", lambda name, *, seed=0, quick=True, reuse=True: ExperimentResult(
        passed=True, summary="(stub: structure test)"))
