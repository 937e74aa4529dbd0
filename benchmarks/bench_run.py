"""The main job and start-up: whole-process CPU time of ``checker run`` (cold and warm) and of
``checker bound``, each against the bare interpreter start-up measured in the same run.

CPU time (user + sys of the child process, from ``resource.getrusage(RUSAGE_CHILDREN)``) is
reported rather than wall time: on a shared machine wall time depends on load, CPU time much less.
The cold run uses a fresh output folder (nothing cached); the warm run re-uses it (every stage
cached, nothing recomputed).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._harness import Row

ROOT = Path(__file__).resolve().parents[1]


def _cpu(argv: list[str]) -> tuple[float, float, int]:
    """(cpu seconds, wall seconds, exit code) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, check=False,
                       env={**os.environ, "CHECKER_PROGRESS": "0"})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, r.returncode


def _median_cpu(argv: list[str], n: int) -> float:
    xs = sorted(_cpu(argv)[0] for _ in range(n))
    return xs[len(xs) // 2]


def run(*, quick: bool) -> list[Row]:
    dev = f"cpu ({os.cpu_count()} cores)"
    bare = _median_cpu(["-c", "pass"], 5)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "run")
        cold, cold_wall, code = _cpu(["-m", "checker", "run", "--out", out])
        warm = _median_cpu(["-m", "checker", "run", "--out", out], 3)
        rows.append(Row(area="run", name="checker run, cold (nothing cached)", candidate="checker run (default settings)",
                        baseline="bare `python -c pass`", candidate_s=cold, baseline_s=bare, ratio=cold / bare,
                        ratio_meaning="CPU-time multiple of a bare interpreter start (times are CPU seconds)",
                        device=dev, extra={"wall_s": round(cold_wall, 1), "exit_code": code,
                                           "target (issue 14)": "<= 120 s CPU on 2 cores"}))
        rows.append(Row(area="run", name="checker run, warm (every stage cached)", candidate="checker run, same --out again",
                        baseline="bare `python -c pass`", candidate_s=warm, baseline_s=bare, ratio=warm / bare,
                        ratio_meaning="CPU-time multiple of a bare interpreter start (times are CPU seconds)",
                        device=dev, extra={"cold_over_warm": round(cold / warm, 1),
                                           "target (issue 14)": "<= 0.5 s CPU"}))
    bound = _median_cpu(["-m", "checker", "bound", "birthday-collision", "--N", "365", "--M", "23"], 3)
    rows.append(Row(area="run", name="checker bound birthday-collision --N 365 --M 23", candidate="checker bound (one statement)",
                    baseline="bare `python -c pass`", candidate_s=bound, baseline_s=bare, ratio=bound / bare,
                    ratio_meaning="CPU-time multiple of a bare interpreter start (times are CPU seconds)", device=dev))
    return rows
