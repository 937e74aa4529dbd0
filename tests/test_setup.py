"""scripts/setup.sh chooses the right torch build (its --dry-run prints the install commands).

The CPU wheel index is simulated by a local directory (``file://`` URL) so the test needs no
network: a directory that exists stands for a reachable index, a missing one for an unreachable
index. GPU detection is overridden with ``CHECKER_GPU``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "setup.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def _dry_run(tmp_path: Path, *, gpu: str, index_exists: bool, **extra: str) -> subprocess.CompletedProcess:
    index = tmp_path / "cpu-index"
    if index_exists:
        (index / "torch").mkdir(parents=True)
    base = {k: v for k, v in os.environ.items() if k != "CHECKER_TORCH_INDEX"}
    env = {**base, "CHECKER_GPU": gpu, "CHECKER_TORCH_CPU_INDEX": f"file://{index}",
           "CHECKER_DRY_PRETEND_NO_TORCH": "1", "CHECKER_PROBE_TIMEOUT": "2", **extra}
    return subprocess.run(["bash", str(SCRIPT), "--dry-run"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def _torch_line(out: str) -> str:
    lines = [ln for ln in out.splitlines() if "torch==" in ln]
    assert len(lines) == 1, out
    return lines[0]


def test_no_gpu_asks_the_cpu_index_first(tmp_path):
    r = _dry_run(tmp_path, gpu="no", index_exists=True)
    assert r.returncode == 0, r.stderr
    line = _torch_line(r.stdout)
    assert f"--index-url file://{tmp_path / 'cpu-index'}" in line
    assert "CPU build" in r.stderr


def test_no_gpu_falls_back_only_when_the_cpu_index_is_unreachable(tmp_path):
    r = _dry_run(tmp_path, gpu="no", index_exists=False)
    assert r.returncode == 0, r.stderr
    line = _torch_line(r.stdout)
    assert "--index-url" not in line and line.strip().endswith("torch==2.13.0")
    assert "did not answer" in r.stderr and "falling back" in r.stderr


def test_gpu_uses_the_default_index(tmp_path):
    r = _dry_run(tmp_path, gpu="yes", index_exists=True)
    assert r.returncode == 0, r.stderr
    assert "--index-url" not in _torch_line(r.stdout)
    assert "CUDA build" in r.stderr


def test_forced_index_and_extras_are_honoured(tmp_path):
    r = _dry_run(tmp_path, gpu="no", index_exists=True, CHECKER_TORCH_INDEX="file:///somewhere",
                 CHECKER_EXTRAS="test,docs")
    assert r.returncode == 0, r.stderr
    assert "--index-url file:///somewhere" in _torch_line(r.stdout)
    install = [ln for ln in r.stdout.splitlines() if " -e " in ln]
    assert len(install) == 1 and "test" in install[0] and "docs" in install[0], r.stdout


def test_dry_run_installs_nothing_and_bad_arguments_exit_2(tmp_path):
    r = subprocess.run(["bash", str(SCRIPT), "--bogus"], capture_output=True, text=True, timeout=30, check=False)
    assert r.returncode == 2 and "--bogus" in r.stderr
    r = subprocess.run(["bash", str(SCRIPT), "--dry-run"], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "CHECKER_GPU": "maybe"}, check=False)
    assert r.returncode == 2 and "CHECKER_GPU" in r.stderr
