"""The CPU side of the GPU check (docs/gpu.md).

* The dry run of ``scripts/gpu_check.sh``: without a CUDA device every ``gpu`` test must be
  skipped, for that reason only, and the GPU section is rendered into the output folder
  without touching ``docs/``. A negative control shows the check fails when a "gpu" test runs
  (passes) without a device.
* The CPU-against-CPU run of the comparisons of ``tests/gpu/test_gpu_paths.py``: it shows the
  comparison code works, and nothing about CUDA.

(These live here, not in ``tests/gpu/``, because every test under a directory named ``gpu``
carries the keyword ``gpu`` and is skipped without a device.)"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from tests.gpu.test_gpu_paths import compare_certificate, compare_construction, compare_inner, compare_pairs

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu_check.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def _run(out: Path, env_extra=None, *args):
    env = dict(os.environ)
    env.pop("GPU_CHECK_FILES", None)
    env.update(env_extra or {})
    return subprocess.run(["bash", str(SCRIPT), "--dry-run", "--out", str(out), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a CUDA machine the dry run runs the real gpu tests")
def test_dry_run_passes_without_a_device(tmp_path):
    page = ROOT / "docs" / "benchmarks.md"
    before = hashlib.sha256(page.read_bytes()).hexdigest()
    proc = _run(tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert hashlib.sha256(page.read_bytes()).hexdigest() == before  # docs/ untouched
    section = (tmp_path / "out" / "benchmarks.md").read_text()
    assert section.count("<!-- gpu-check:begin -->") == 1 and "## GPU" in section
    assert "dry run on a machine without a CUDA device" in section
    assert " 0 passed, 0 failed" in proc.stderr and "skipped" in proc.stderr
    xml = (tmp_path / "out" / "gpu-tests.xml").read_text()
    assert xml.count("no CUDA device on this machine") >= 5  # the five comparisons of tests/gpu at least


@pytest.mark.skipif(torch.cuda.is_available(), reason="the control needs a machine without CUDA")
def test_dry_run_fails_when_a_gpu_test_runs_without_a_device(tmp_path):
    fake = tmp_path / "fake" / "test_fake_gpu.py"
    fake.parent.mkdir()
    fake.write_text("import pytest\n\n\n@pytest.mark.gpu\ndef test_not_really_gpu():\n    pass\n")
    proc = _run(tmp_path / "out", {"GPU_CHECK_FILES": str(fake)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "passed without a CUDA device" in proc.stderr


def test_bad_usage_exits_2(tmp_path):
    proc = subprocess.run(["bash", str(SCRIPT), "--bogus"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "unknown argument '--bogus'" in proc.stderr
    if not torch.cuda.is_available():
        proc = subprocess.run(["bash", str(SCRIPT), "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 2 and "no CUDA device" in proc.stderr and "--dry-run" in proc.stderr


@pytest.mark.parametrize("compare", [compare_inner, compare_pairs, compare_certificate, compare_construction],
                         ids=lambda f: f.__name__)
def test_comparisons_run_on_cpu(compare):
    # compare_training (three short trainings, ~7 s) is left to the gpu run; its pieces (train on
    # a pinned device, bit-identical reruns) are tested on the CPU in tests/wrm/test_training.py.
    compare("cpu")
