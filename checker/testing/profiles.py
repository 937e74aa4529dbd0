"""Test profiles: how hard checker's attacks and Hypothesis search in a test run.

Cheap to import (no torch, no Hypothesis): the pytest plugin reads it at start-up.

=============  ==================  ===================================================================
profile        Hypothesis          attack effort (:class:`Effort`)
=============  ==================  ===================================================================
``dev``        25 examples, random  quick: 4 starts × 100 ascent steps, 96 random directions, 61-point grid
``ci``         60 examples,         quick, derandomised, no example database (reproducible runs)
               derandomised
``thorough``   1000 examples        thorough: 16 starts × 400 steps, 1024 directions, 201-point grid
=============  ==================  ===================================================================

No profile has a Hypothesis deadline: a test must not fail because the machine is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROFILES", "Effort", "effort_for", "register_hypothesis_profiles", "hypothesis_profile_name",
           "current_effort", "set_current_profile"]

PROFILES: tuple[str, ...] = ("dev", "ci", "thorough")


@dataclass(frozen=True, kw_only=True)
class Effort:
    """How hard the assertions of :mod:`checker.testing` attack a claim.

    ``starts`` × ``steps``: multi-start Lagrangian (WRM) gradient ascent per spread;
    ``spreads``: standard deviations of the random starts around each point; ``random_samples``:
    random directions on spheres of several radii; ``grid_points``: points per axis of the
    exhaustive grid (inputs of 1 or 2 features); ``gan_restarts`` × ``gan_steps``: discriminator
    training runs of :func:`checker.testing.assert_fools`.
    """

    name: str
    starts: int
    steps: int
    spreads: tuple[float, ...]
    random_samples: int
    grid_points: int
    gan_restarts: int
    gan_steps: int

    def __post_init__(self) -> None:
        for field in ("starts", "steps", "random_samples", "grid_points", "gan_restarts", "gan_steps"):
            v = getattr(self, field)
            if not (isinstance(v, int) and v >= 1):
                from checker.errors import InvalidArgument

                raise InvalidArgument(field, v, "must be an integer >= 1")


_EFFORTS = {
    "quick": Effort(name="quick", starts=4, steps=100, spreads=(0.3, 1.0, 3.0), random_samples=96,
                    grid_points=61, gan_restarts=2, gan_steps=80),
    "thorough": Effort(name="thorough", starts=16, steps=400, spreads=(0.1, 0.3, 1.0, 3.0),
                       random_samples=1024, grid_points=201, gan_restarts=4, gan_steps=200),
}
_PROFILE_EFFORT = {"dev": "quick", "ci": "quick", "thorough": "thorough"}

_current = {"profile": None}


def _check_profile(profile: str) -> str:
    if profile not in PROFILES:
        from checker.errors import InvalidArgument

        raise InvalidArgument("profile", profile, f"must be one of {', '.join(PROFILES)}")
    return profile


def effort_for(profile: str) -> Effort:
    """The attack :class:`Effort` of ``profile`` (``dev``, ``ci`` or ``thorough``)."""
    return _EFFORTS[_PROFILE_EFFORT[_check_profile(profile)]]


def set_current_profile(profile: str | None) -> None:
    """Make ``profile`` the default of every assertion's ``effort=`` (the plugin calls this for
    ``--checker-profile``); ``None`` restores the default (``dev``'s effort)."""
    _current["profile"] = None if profile is None else _check_profile(profile)


def current_effort() -> Effort:
    """The effort assertions use when not given one: the ``--checker-profile``'s, else quick."""
    return effort_for(_current["profile"] or "dev")


def hypothesis_profile_name(profile: str) -> str:
    """The name under which ``profile``'s Hypothesis settings are registered."""
    return f"checker-{_check_profile(profile)}"


def register_hypothesis_profiles() -> None:
    """Register ``checker-dev``, ``checker-ci`` and ``checker-thorough`` with Hypothesis (idempotent)."""
    from hypothesis import HealthCheck, Phase, settings

    quiet = [HealthCheck.too_slow]
    settings.register_profile("checker-dev", max_examples=25, deadline=None, suppress_health_check=quiet)
    settings.register_profile("checker-ci", max_examples=60, deadline=None, derandomize=True,
                              database=None, print_blob=True, suppress_health_check=quiet)
    settings.register_profile("checker-thorough", max_examples=1000, deadline=None,
                              suppress_health_check=quiet, phases=list(Phase))
