"""checker's pytest plugin (entry point ``pytest11: checker``), active once checker is installed.

* ``--checker-profile {dev,ci,thorough}``: loads the Hypothesis profile ``checker-<name>`` and
  sets the attack effort every :mod:`checker.testing` assertion uses by default
  (:mod:`checker.testing.profiles`). Without the option the plugin changes nothing: a project's
  own Hypothesis profile stays in force and assertions use the quick effort.
* session-scoped fixtures (safe in ``@given`` tests): ``checker_profile`` (the profile name, ``"dev"`` when none was given),
  ``checker_effort`` (its :class:`~checker.testing.profiles.Effort`) and ``checker_seed`` (an
  int seed, 0, so attacks and draws are reproducible; override the fixture to change it).

Loaded in every pytest run of an environment where checker is installed, so it imports neither
torch nor Hypothesis at start-up (only when the option is given).
"""

from __future__ import annotations

import pytest

from checker.testing.profiles import PROFILES

_STATE = {"profile": None}


def pytest_addoption(parser) -> None:
    group = parser.getgroup("checker", "checker testing API")
    group.addoption("--checker-profile", action="store", default=None, choices=PROFILES,
                    dest="checker_profile",
                    help="Hypothesis profile and attack effort of checker.testing: "
                         "dev (quick), ci (quick, derandomised), thorough (many examples, strong attacks)")


def pytest_configure(config) -> None:
    profile = config.getoption("checker_profile", default=None)
    _STATE["profile"] = profile
    if profile is None:
        return
    from hypothesis import settings

    from checker.testing.profiles import hypothesis_profile_name, register_hypothesis_profiles, set_current_profile

    register_hypothesis_profiles()
    settings.load_profile(hypothesis_profile_name(profile))
    set_current_profile(profile)


def pytest_unconfigure(config) -> None:
    if _STATE["profile"] is not None:
        from checker.testing.profiles import set_current_profile

        set_current_profile(None)
        _STATE["profile"] = None


def pytest_report_header(config):
    profile = _STATE["profile"]
    return None if profile is None else f"checker.testing: profile {profile!r}"


@pytest.fixture(scope="session")
def checker_profile() -> str:
    """The ``--checker-profile`` in force (``"dev"`` when none was given)."""
    return _STATE["profile"] or "dev"


@pytest.fixture(scope="session")
def checker_effort(checker_profile):
    """The attack :class:`~checker.testing.profiles.Effort` of the profile in force."""
    from checker.testing.profiles import effort_for

    return effort_for(checker_profile)


@pytest.fixture(scope="session")
def checker_seed() -> int:
    """The seed checker.testing's assertions are given in tests (0; override to change)."""
    return 0
