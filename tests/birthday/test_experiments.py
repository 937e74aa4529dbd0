"""The registered birthday experiments exist under the names the registry cites, and pass."""

from __future__ import annotations

import pytest

from checker import experiments
from checker.registry import get_theorem


@pytest.mark.parametrize("name", get_theorem("birthday").experiments)
def test_registered_experiment_passes_quick(name):
    res = experiments.run(name, seed=0, quick=True)
    assert res.passed, res.summary
    assert "tested" in res.summary and "proved" not in res.summary.replace("not proved", "")
