"""The registered experiment checks run (quick) and pass, and carry their evidence."""

from __future__ import annotations

import pytest

import checker.certify.experiments as certify_experiments
from checker import experiments
from checker.registry import get_theorem

NAMES = ("sinha.identity_13", "sinha.certificate_not_exceeded", "sinha.lzz_bound_dominates_hessian")


FUNCS = {"sinha.identity_13": certify_experiments.identity_13,
         "sinha.certificate_not_exceeded": certify_experiments.certificate_not_exceeded,
         "sinha.lzz_bound_dominates_hessian": certify_experiments.lzz_bound_dominates_hessian}


def test_registry_names_are_provided():
    # the registry entries this module registered (without importing the other areas' modules)
    registered = {name: e.func for name, e in experiments._REGISTRY.items()}
    for name, func in FUNCS.items():
        assert registered[name] is func
    cited = set(get_theorem("sinha-thm3").experiments) | set(get_theorem("sinha-cor4").experiments)
    assert cited <= set(FUNCS)


@pytest.mark.parametrize("name", NAMES)
def test_experiment_passes_quick(name):
    res = FUNCS[name](seed=0, quick=True)
    assert isinstance(res, experiments.ExperimentResult)
    assert res.passed, res.summary
    assert "sampled" in res.summary and "margin" in res.summary  # what was sampled, worst margin
    assert res.evidence["seed"] == 0


def test_negative_control_is_part_of_the_certificate_experiment():
    res = certify_experiments.certificate_not_exceeded(seed=1, quick=True)
    assert res.evidence["negative_control_violations"] == res.evidence["networks"]
    assert res.evidence["negative_control_worst"] < 0
