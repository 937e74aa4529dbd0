"""Experiment kinds a sweep can run, each a pure function of its (seeded) configuration.

* ``wrm-train-attack`` — Sinha, Namkoong, Duchi (ICLR 2018) §4.2, Figures 3 and 4(a): train
  ERM/FGM/IFGM/PGM/WRM, attack with ℓ2/ℓ∞ PGM at a budget grid and with the WRM attack at a
  γ_adv grid (:mod:`checker.sweep.kinds.sinha`).
* ``certify-rho`` — the same paper, Figure 2 (MNIST): the certificate ρ ↦ γρ + E_n[φ_γ] along
  a ρ grid against the test worst case.
* ``concavity`` — App. A.4: fraction of data points whose input-Hessian λ_max is ≥ 2γ.
* ``arora-fooling`` — Arora, Risteski, Zhang (ICLR 2018) Theorem 1: held-out gap of trained
  bounded discriminators at a pool size m (:mod:`checker.sweep.kinds.arora`).
* ``birthday-scale`` — the birthday-paradox test at one sample size s on a known support
  (:mod:`checker.sweep.kinds.birthday`).
* ``arora-bigan`` — train an MLP BiGAN/ALI and estimate its generator's support with the
  birthday test (:mod:`checker.sweep.kinds.bigan`).

A kind is a :class:`Kind`: its parameters (:class:`~checker.sweep.params.Param`), a
``normalise`` step run in the parent before anything is scheduled (so a bad value fails the
whole spec with exit 2, not one task), a ``run`` function executed in a worker, and the source
packages whose code is part of its content address.
"""

from __future__ import annotations

from checker.sweep.kinds.base import Kind

__all__ = ["Kind", "KINDS", "get_kind"]


def _registry() -> dict[str, Kind]:
    from checker.sweep.kinds.arora import FOOLING
    from checker.sweep.kinds.bigan import BIGAN
    from checker.sweep.kinds.birthday import BIRTHDAY
    from checker.sweep.kinds.sinha import CERTIFY, CONCAVITY, TRAIN_ATTACK

    return {k.name: k for k in (TRAIN_ATTACK, CERTIFY, CONCAVITY, FOOLING, BIRTHDAY, BIGAN)}


KINDS: dict[str, Kind] = _registry()


def get_kind(name: str) -> Kind:
    """The kind called ``name`` (``InvalidArgument`` with suggestions otherwise)."""
    from checker.validate import one_of

    one_of("kind", name, tuple(KINDS))
    return KINDS[name]
