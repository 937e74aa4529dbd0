"""Registry of *experiment checks*: named numerical checks run on explicitly built networks or
trained models, which proof outlines cite (``checks = [{kind = "experiment", name = "..."}]``).

Each capability package defines its experiments in its own ``experiments`` module with the
:func:`experiment` decorator; the registry imports those modules only when an experiment is
looked up, so auditing symbolic steps never imports torch.

An experiment function takes keyword-only ``seed: int`` and ``quick: bool`` and returns an
:class:`ExperimentResult`. It is sampled evidence: the auditor tags it ``experiment`` (tested,
never proved), whatever it returns.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checker.errors import InvalidArgument
from checker.validate import suggest

__all__ = ["ExperimentResult", "Experiment", "experiment", "get", "names", "run", "MODULES"]

#: Modules that define experiments (imported lazily, in this order).
MODULES: tuple[str, ...] = (
    "checker.gan.experiments",
    "checker.birthday.experiments",
    "checker.wrm.experiments",
    "checker.certify.experiments",
)


@dataclass(frozen=True, kw_only=True)
class ExperimentResult:
    """What an experiment found.

    ``passed`` is the verdict; ``summary`` one human sentence with the key number(s);
    ``evidence`` JSON-able detail (sizes, worst margins, seeds, tolerances used).
    """

    passed: bool
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Experiment:
    name: str
    description: str
    func: Callable[..., ExperimentResult]
    module: str


_REGISTRY: dict[str, Experiment] = {}
_loaded = False


def experiment(name: str, *, description: str) -> Callable[[Callable[..., ExperimentResult]], Callable[..., ExperimentResult]]:
    """Register ``func`` as the experiment ``name`` (dotted, e.g. ``arora.encoder_inverts_generator``)."""

    def deco(func: Callable[..., ExperimentResult]) -> Callable[..., ExperimentResult]:
        if name in _REGISTRY and _REGISTRY[name].func is not func:
            raise RuntimeError(f"experiment {name!r} registered twice")
        _REGISTRY[name] = Experiment(name=name, description=description, func=func,
                                     module=func.__module__)
        return func

    return deco


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for mod in MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:  # a capability not (yet) installed
            if exc.name is None or not mod.startswith(exc.name):
                raise
    _loaded = True


def names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def get(name: str) -> Experiment:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        close = suggest(name, _REGISTRY)
        raise InvalidArgument("experiment", name, "is not a registered experiment",
                              hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None) from None


#: Results of experiments already run in this process, keyed by (name, seed, quick).
#: Experiments are deterministic functions of their seed and code, so within one process (e.g.
#: ``checker run``, whose construction stage and proof audit cite the same experiments) a
#: second request returns the recorded result instead of sampling again.
_MEMO: dict[tuple[str, int, bool], ExperimentResult] = {}


def run(name: str, *, seed: int = 0, quick: bool = True, reuse: bool = True) -> ExperimentResult:
    """Run experiment ``name`` (or return this process's earlier result for the same
    ``seed`` and ``quick`` when ``reuse``)."""
    key = (name, int(seed), bool(quick))
    if reuse and key in _MEMO:
        return _MEMO[key]
    result = get(name).func(seed=seed, quick=quick)
    if not isinstance(result, ExperimentResult):
        raise TypeError(f"experiment {name!r} returned {type(result).__name__}, not ExperimentResult")
    _MEMO[key] = result
    return result
