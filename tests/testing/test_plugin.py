"""The pytest plugin (entry point ``pytest11: checker``) and the guide's example test file, run
as a user would: a fresh pytest process in a scratch folder, the plugin loaded from the
installed entry point, nothing from this project's conftest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "examples" / "test_my_model.py"


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess:
    # a user's run, not CI's: Hypothesis itself derandomises when CI is set, which would hide
    # what the plugin does (and does not do) to its settings
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "CHECKER_HYPOTHESIS")) and k not in ("CI", "GITHUB_ACTIONS")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=600)


def test_the_plugin_is_registered_and_cheap_to_load():
    from importlib.metadata import entry_points

    eps = [e for e in entry_points(group="pytest11") if e.name == "checker"]
    assert [e.value for e in eps] == ["checker.testing.plugin"]
    code = ("import sys, checker.testing, checker.testing.plugin; "
            "print(sorted(m for m in ('torch', 'hypothesis', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_guides_example_passes_with_the_plugin_active(tmp_path):
    (tmp_path / "test_my_model.py").write_text(EXAMPLE.read_text())
    res = _pytest(tmp_path, "--checker-profile", "ci")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "2 passed" in res.stdout


def test_a_claimed_bound_the_attack_beats_fails_with_the_counterexample(tmp_path):
    text = EXAMPLE.read_text()
    assert "\nCLAIMED = math.log1p(math.exp(2 * A))\n" in text
    # the user's claim lowered to 0.5: the loss of a 2-class model with logits in [-2, 2] reaches
    # log(1 + e^{-4}) ≈ 0.018 only at a margin of 4, and at x itself many points lose far more
    text = text.replace("\nCLAIMED = math.log1p(math.exp(2 * A))\n", "\nCLAIMED = 0.5\n")
    # Hypothesis' shrinking re-runs the attack hundreds of times; switched off here (the first
    # failing example and its counterexample are still reported)
    text += ("\nfrom hypothesis import Phase, settings\n"
             "test_my_bound_on_the_surrogate = settings(phases=[Phase.explicit, Phase.generate])("
             "test_my_bound_on_the_surrogate)\n")
    (tmp_path / "test_my_model.py").write_text(text)
    res = _pytest(tmp_path, "--checker-profile", "ci")
    out = res.stdout
    assert res.returncode == 1, out[-3000:]
    assert "2 failed" in out
    assert "CounterexampleFound: claimed E_n[φ_γ] ≤ 0.5 at γ = " in out
    # Hypothesis' report of the failing input: "Falsifying example:" up to 6.16x, "Failing test
    # case:" in later releases (a fresh install gets the newest); the input itself is the claim
    assert re.search(r"(Falsifying example|Failing test case): test_my_bound_on_the_surrogate\(", out), out[-3000:]
    assert "z = [" in out and "loss − γ·cost" in out  # the points themselves
    assert "CounterexampleFound: certificate is not sound" in out


def test_profile_option_rejects_an_unknown_profile_and_fixtures_follow_it(tmp_path):
    (tmp_path / "test_fix.py").write_text(
        "def test_f(checker_profile, checker_effort, checker_seed):\n"
        "    assert (checker_profile, checker_effort.name, checker_seed) == ('thorough', 'thorough', 0)\n"
        "def test_default():\n"
        "    from checker.testing import current_effort\n"
        "    assert current_effort().name == 'thorough'\n")
    assert _pytest(tmp_path, "--checker-profile", "thorough").returncode == 0
    bad = _pytest(tmp_path, "--checker-profile", "fast")
    assert bad.returncode == 4
    assert "--checker-profile: invalid choice: 'fast'" in bad.stderr


def test_without_the_option_the_plugin_leaves_hypothesis_alone(tmp_path):
    (tmp_path / "test_h.py").write_text(
        "from hypothesis import settings\n"
        "def test_h(checker_profile):\n"
        "    assert checker_profile == 'dev'\n"
        "    assert not settings().derandomize and settings._current_profile == 'default'\n")
    res = _pytest(tmp_path)
    assert res.returncode == 0, res.stdout[-2000:]
