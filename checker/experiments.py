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

__all__ = ["ExperimentResult", "Experiment", "experiment", "get", "names", "run", "MODULES", "BINDINGS",
           "tests_of"]

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


#: What each experiment tests (issue 11.6): experiment name -> ((outline node ids whose claim it
#: tests), the claim or sub-expression in words). The auditor refuses an experiment check on any
#: other node, so swapping a node's check for an unrelated experiment fails the audit. A test
#: keeps this table and the registered experiments in step.
BINDINGS: dict[str, tuple[tuple[str, ...], str]] = {
    "arora.encoder_extracts_noise": (("arora.c1",), "E(x~ (.) z) = z on built ReLU encoders"),
    "arora.encoder_inverts_generator": (("arora.c1",), "E(G(z)) = z for the built pair"),
    "arora.mean_identity_c2": (("arora.c2",), "E_G E_z phi(D(G(z), z)) = E_x phi(D(x, E(x)))"),
    "arora.block_probabilities": (("arora.c3",), "nu(B_j) = 1/m for the quantile blocks"),
    "arora.bounded_differences_c4": (("arora.c4.bounded_differences",), "one pair moves f by <= 2 Delta/m"),
    "arora.variance_over_pools": (("arora.c43.variance",), "Var_G(E_z phi) <= Delta^2/m"),
    "arora.eps_net_perturbation_c6": (("arora.c6.net_radius",), "the gap moves by <= 2 L L_phi eta"),
    "arora.ramp_mass_bound": (("arora.c8.ramp_error",), "nu(A) <= (m-1) delta / sqrt(2 pi)"),
    "arora.generator_matches_ideal_off_ramp": (("arora.c8.ramp_error",), "G_delta = G off the ramp set A"),
    "arora.param_count_matches_formula": (("arora.c8.param_count",), "the built generator's weight count"),
    "birthday.collision_probability_simulation": (("birthday.no_collision_exact", "birthday.ta_replacement"),
                                                  "simulated collision frequency vs the exact probability"),
    "birthday.recovers_uniform_support": (("birthday.inversion",), "the inversion recovers N on uniform data"),
    "sinha.closed_form_linear": (("sinha.closed_form",), "z* and phi_gamma of the linear model"),
    "sinha.identity_13": (("sinha.identity13",), "phi_gamma + gamma c(z*, x) = l(theta; z*)"),
    "sinha.inner_ascent_monotone": (("sinha.concavity.half_cost",),
                                    "the inner objective is strongly concave for gamma > L_zz (ascent monotone)"),
    "sinha.certificate_not_exceeded": (("sinha.thm3",), "the certificate bounds the attacked loss"),
    "sinha.lzz_bound_dominates_hessian": (("sinha.cor4",), "the Lipschitz constant dominates the Hessian norm"),
}


def tests_of(name: str) -> tuple[str, ...]:
    """The outline node ids whose claim experiment ``name`` tests (empty when undeclared)."""
    return BINDINGS.get(name, ((), ""))[0]
