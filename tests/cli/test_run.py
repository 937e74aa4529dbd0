"""``checker run``: exit codes, the three report files, caching on re-run, provenance, bad usage,
Ctrl-C (exit 130, then a re-run resumes), and progress lines."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import checker.stages as stages_mod
from checker.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from checker.pipeline import Check, Stage, StageResult
from tests.interrupts import HANG_LIMIT_S, child, interrupt_and_wait, wait_for_line

REPO = Path(__file__).resolve().parents[2]


def test_run_bounds_stage_writes_report_and_reuses_cache(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--only", "bounds", "--out", str(out)]) == EXIT_OK
    for name in ("report.html", "report.md", "report.json"):
        assert (out / name).exists()
    first = capsys.readouterr()
    assert "[1/1] Bounds ..." in first.err and "[1/1] Bounds: done in" in first.err
    assert "PASS: 3 of 3 checks passed" in first.out
    assert main(["run", "--only", "bounds", "--out", str(out), "--json"]) == EXIT_OK
    second = capsys.readouterr()
    assert "[1/1] Bounds: reused cached result" in second.err
    summary = json.loads(second.out)
    assert summary["passed"] is True and summary["outcome"] == "pass"
    (stage,) = summary["stages"]
    assert stage["stage"] == "bounds" and stage["cached"] is True
    # Theorem 1's explicit m* at p=1000, Δ=L=L_φ=R=1, ε=0.1: ceil(800·(1000·ln 161 + ln 2)) + 1,
    # evaluated by hand with the formula of docs/math/arora-thm1.md
    assert stage["data"]["m_star (explicit, Hoeffding + eps-net)"] == 4_065_680
    assert [c["outcome"] for c in stage["checks"]] == ["pass"] * 3
    prov = summary["provenance"]
    assert prov["seeds"]["seed"] == 0 and prov["scale"] == "quick"
    assert "run --only bounds" in prov["command"] and prov["git_commit"]


def test_run_rejects_unknown_stage_with_suggestion(tmp_path, capsys):
    assert main(["run", "--only", "bound", "--out", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "did you mean 'bounds'" in err and "Traceback" not in err


def test_run_rejects_missing_device(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():  # pragma: no cover - only meaningful without CUDA
        return
    assert main(["run", "--device", "cuda", "--out", str(tmp_path)]) == EXIT_USAGE
    assert "device='cuda' is not available" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["file", "below_file", "empty"])
def test_run_bad_out_is_one_line_exit_2(tmp_path, case):
    f = tmp_path / "f"
    f.write_text("x")
    out = {"file": str(f), "below_file": str(f / "sub"), "empty": ""}[case]
    res = subprocess.run([sys.executable, "-m", "checker", "run", "--only", "bounds", "--out", out],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == EXIT_USAGE
    assert "Traceback" not in res.stderr and res.stderr.startswith("checker run: error: --out=")
    assert len(res.stderr.strip().splitlines()) == 1 and res.stdout == ""


@pytest.mark.parametrize("argv, hint", [
    (["run", "--seeed", "1"], "did you mean '--seed'"),
    (["run", "--ful"], "did you mean '--full'"),  # no abbreviations: --ful is not --full
    (["run", "--only=bounds", "--no-cahce"], "did you mean '--no-cache'"),
    (["birthday", "--source", "constructon"], "did you mean 'construction'"),
    (["--versoin"], "did you mean '--version'"),
    (["certify", "model.pt", "--dat", "synthetic"], "required: --data ('--dat': did you mean '--data'?)"),
])
def test_flag_typos_get_a_suggestion(argv, hint, capsys):
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert hint in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def _stage(name, func, title=None):
    return Stage(name=name, title=title or name.capitalize(), func=func, sources=())


def test_all_vacuous_stage_fails_and_vacuous_checks_are_listed(tmp_path, capsys, monkeypatch):
    def vac(ctx):
        return StageResult(stage="v", title="V", checks=(
            Check(name="a bound wider than the range", evidence="measured", outcome="vacuous",
                  summary="vacuous: eps 3 >= 1"),))

    def ok(ctx):
        return StageResult(stage="o", title="O", checks=(
            Check(name="a real check", evidence="exact", passed=True),
            Check(name="a vacuous one", evidence="measured", outcome="vacuous", summary="vacuous: m >= draws")))

    monkeypatch.setattr(stages_mod, "STAGES", (_stage("o", ok),))
    assert main(["run", "--out", str(tmp_path / "a")]) == EXIT_OK
    out = capsys.readouterr().out
    assert "vacuous a vacuous one: vacuous: m >= draws" in out
    assert "PASS: 1 of 2 checks passed; 1 vacuous (not counted as passes)" in out
    assert main(["run", "--strict", "--out", str(tmp_path / "a")]) == EXIT_FAILED
    capsys.readouterr()
    monkeypatch.setattr(stages_mod, "STAGES", (_stage("o", ok), _stage("v", vac)))
    assert main(["run", "--out", str(tmp_path / "b")]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert re.search(r"V\s+VACUOUS\s+0/1 passed, 1 vacuous", out)
    assert out.rstrip().splitlines()[-1].startswith("FAIL: 1 of 3 checks passed; 2 vacuous")


def test_progress_lines_reach_stderr_when_not_a_terminal(tmp_path, capsys, monkeypatch):
    from checker.progress import progress

    def looping(ctx):
        for _ in progress(range(3), desc="fake loop", total=3):
            pass
        return StageResult(stage="loop", title="Loop", checks=(Check(name="ran", evidence="exact", passed=True),))

    monkeypatch.setattr(stages_mod, "STAGES", (_stage("loop", looping),))
    monkeypatch.setenv("CHECKER_PROGRESS", "1")
    monkeypatch.setenv("CHECKER_PROGRESS_INTERVAL", "0")
    assert main(["run", "--out", str(tmp_path)]) == EXIT_OK
    err = capsys.readouterr().err
    assert re.search(r"^\[1/1 loop, \d+ seconds? elapsed\] fake loop: 3/3 done, loop time \d+ seconds?$", err, re.M), err
    lines = err.splitlines()
    assert lines[0] == "[1/1] Loop ..." and lines[-1].startswith("[1/1] Loop: done in")
    monkeypatch.setenv("CHECKER_PROGRESS", "0")
    assert main(["run", "--no-cache", "--out", str(tmp_path)]) == EXIT_OK
    assert "fake loop" not in capsys.readouterr().err  # switched off: only stage lines


_SLOW_RUN = """
import sys, time
import checker.stages as st
from checker.pipeline import Check, Stage, StageResult

def slow(ctx):
    if sys.argv[2] == "slow":
        print("SLOW-STAGE-STARTED", file=sys.stderr, flush=True)
        while True:  # blocks until interrupted: the signal is the only way out
            time.sleep(3600)
    return StageResult(stage="slow", title="Slow", checks=(Check(name="ran", evidence="exact", passed=True),))

st.STAGES = (st.STAGES[0], Stage(name="slow", title="Slow", func=slow, sources=()))
from checker.cli import main
sys.exit(main(["run", "--out", sys.argv[1]]))
"""


def test_ctrl_c_stops_the_run_with_130_and_a_rerun_resumes(tmp_path):
    """A real Ctrl-C while a stage runs: exit 130, no traceback, finished stages kept, and a
    re-run resumes. The child starts with SIGINT at its default even when this test run
    ignores it (tests/interrupts.py), and the stage blocks until the signal arrives."""
    out = tmp_path / "out"
    log = tmp_path / "err.txt"
    env = {**os.environ, "CHECKER_PROGRESS": "0", "PYTHONPATH": str(REPO)}
    with child([sys.executable, "-c", _SLOW_RUN, str(out), "slow"], log=log, env=env, cwd=tmp_path) as proc:
        wait_for_line(proc, log, "SLOW-STAGE-STARTED")
        rc = interrupt_and_wait(proc, group=False)
    text = log.read_text()
    assert rc == 130, text
    assert "interrupted" in text and "Traceback" not in text
    assert (out / "stages" / "bounds.json").exists() and not (out / "stages" / "slow.json").exists()
    res = subprocess.run([sys.executable, "-c", _SLOW_RUN, str(out), "fast"], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=HANG_LIMIT_S)
    assert res.returncode == EXIT_OK, res.stderr
    assert "[1/2] Bounds: reused cached result" in res.stderr  # the finished stage is reused
    assert "[2/2] Slow ..." in res.stderr and "[2/2] Slow: done in" in res.stderr


_WARM = """
import sys
from checker.cli import main
rc = main(["run", "--only", "bounds", "--out", sys.argv[1]])
print(rc, "torch" in sys.modules, "sympy" in sys.modules)
"""


def test_warm_run_loads_neither_torch_nor_sympy(tmp_path):
    env = {**os.environ, "CHECKER_PROGRESS": "0", "PYTHONPATH": str(REPO)}
    out = tmp_path / "out"
    cold = subprocess.run([sys.executable, "-c", _WARM, str(out)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert cold.stdout.splitlines()[-1].split() == ["0", "False", "True"], cold.stderr  # computed
    warm = subprocess.run([sys.executable, "-c", _WARM, str(out)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert warm.stdout.splitlines()[-1].split() == ["0", "False", "False"], warm.stderr
    assert "report up to date" in warm.stderr and "reused cached result" in warm.stderr
