"""The registered experiment checks: names match the registry and each passes at a fixed seed.

(Timing is measured in benchmarks/bench_gan.py, never asserted here.)"""

from __future__ import annotations

import pytest

from checker import experiments
from checker.registry import get_theorem

NAMES = get_theorem("arora-thm1").experiments


def test_all_cited_experiments_are_registered():
    registered = set(experiments.names())
    assert set(NAMES) <= registered
    assert len(NAMES) == 10


@pytest.mark.parametrize("name", NAMES)
def test_experiment_passes_quick(name):
    res = experiments.run(name, seed=0, quick=True)
    assert res.passed, res.summary
    assert res.summary and "proved" not in res.summary and "certified" not in res.summary
    assert res.evidence


def test_experiment_seeds_change_the_sample():
    a = experiments.run("arora.param_count_matches_formula", seed=0, quick=True)
    b = experiments.run("arora.param_count_matches_formula", seed=1, quick=True)
    assert a.evidence["rows"] != b.evidence["rows"]
