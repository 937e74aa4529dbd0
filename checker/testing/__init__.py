"""checker's testing API: property-test your own networks, certificates, generators and samplers.

The public surface (stable across minor versions):

* strategies (:mod:`checker.testing.strategies`): :func:`smooth_mlps`, :func:`net_specs`,
  :func:`smooth_convnets`, :func:`conv_specs`, :func:`datasets`, :func:`points`, :func:`gammas`,
  :func:`theorem1_pairs`;
* assertions (:mod:`checker.testing.assertions`) that fail with a counterexample:
  :func:`assert_phi_bound`, :func:`assert_certificate_sound`, :func:`assert_fools`,
  :func:`assert_support_at_least`, :func:`assert_support_at_most`, all raising
  :class:`CounterexampleFound` (an ``AssertionError``);
* profiles (:mod:`checker.testing.profiles`): :class:`Effort`, :func:`effort_for`;
* a pytest plugin (:mod:`checker.testing.plugin`, registered as ``pytest11`` entry point
  ``checker``): the ``--checker-profile`` option and the ``checker_profile``,
  ``checker_effort`` and ``checker_seed`` fixtures.

Importing this package is cheap (no torch, no Hypothesis): names load on first use.
Guide: docs/guide/testing-api.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "strategies": ("NetSpec", "net_specs", "build", "smooth_mlps", "ConvSpec", "conv_specs",
                   "smooth_convnets", "points", "datasets", "nets_with_points", "gammas",
                   "theorem1_pairs", "SMOOTH_ACTIVATIONS"),
    "assertions": ("CounterexampleFound", "PhiCounterexample", "CertificateCounterexample",
                   "FoolingCounterexample", "SupportCounterexample", "assert_phi_bound",
                   "assert_certificate_sound", "assert_fools", "assert_support_at_least",
                   "assert_support_at_most"),
    "profiles": ("PROFILES", "Effort", "effort_for", "current_effort"),
}
_MODULE_OF = {name: mod for mod, names in _WHERE.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    mod = _MODULE_OF.get(name)
    if mod is None:
        raise AttributeError(f"module 'checker.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"checker.testing.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
