"""Running sweeps: resume, grid extension, failure isolation, Ctrl-C, and the quick specs of
the Arora experiments. Tasks run in this process (``workers=0``) except the Ctrl-C test, which
interrupts a real process pool."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from checker.cli import main
from checker.sweep import aggregate, load_spec, parse_spec, run_sweep
from checker.sweep.kinds import KINDS
from checker.sweep.kinds.birthday import exact_duplicate_probability
from checker.sweep.task import read_task_file, task_path
from tests.interrupts import child, interrupt_and_wait, wait_for_line, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _birthday(s_values, *, seeds=(0,), trials=4, support=200):
    return parse_spec({"name": "b", "grid": [{"kind": "birthday-scale", "seeds": list(seeds),
                                              "params": {"support": support, "trials": trials, "n_real": 100, "d": 16},
                                              "vary": {"s": list(s_values)}}]}, path="b.toml")


def test_exact_duplicate_probability_against_fractions():
    """Reference: the product computed exactly with rationals (independent of log1p sums), and
    the classic 23 people / 365 days value 0.5072972343... (Feller, vol. 1, §II.3)."""
    for N, s in [(10, 3), (50, 7), (100, 12), (365, 23)]:
        exact = 1 - math.prod((Fraction(N - i, N) for i in range(s)), start=Fraction(1))
        # float64 log-space sum of s terms: relative error a few ulps per term.
        assert exact_duplicate_probability(N, s) == pytest.approx(float(exact), rel=1e-13)
    assert exact_duplicate_probability(365, 23) == pytest.approx(0.5072972343239857, rel=1e-13)
    assert exact_duplicate_probability(5, 6) == 1.0


def test_resume_skips_finished_and_extension_computes_only_new(tmp_path):
    small = _birthday([4, 8])
    r1 = run_sweep(small, out=tmp_path, workers=0)
    assert (r1.computed, r1.skipped, r1.failed) == (2, 0, ())
    files = {t.hash: task_path(tmp_path, t) for t in small.tasks}
    before = {h: p.read_bytes() for h, p in files.items()}
    r2 = run_sweep(small, out=tmp_path, workers=0)
    assert (r2.computed, r2.skipped) == (0, 2)
    big = _birthday([4, 8, 16])
    r3 = run_sweep(big, out=tmp_path, workers=0)
    assert (r3.computed, r3.skipped) == (1, 2)
    assert {h: p.read_bytes() for h, p in files.items()} == before  # untouched
    rec = read_task_file(files[small.tasks[0].hash])
    assert rec["status"] == "ok" and rec["config"]["s"] == 4 and "seconds" in rec["meta"]


def test_task_is_a_pure_function_of_its_config(tmp_path):
    spec = _birthday([8], seeds=(3,))
    run_sweep(spec, out=tmp_path / "a", workers=0)
    run_sweep(spec, out=tmp_path / "b", workers=0)
    a = read_task_file(task_path(tmp_path / "a", spec.tasks[0]))
    b = read_task_file(task_path(tmp_path / "b", spec.tasks[0]))
    assert a["result"] == b["result"]
    # negative control: the comparison can fail (another seed gives other numbers)
    other = _birthday([8], seeds=(4,))
    run_sweep(other, out=tmp_path / "c", workers=0)
    c = read_task_file(task_path(tmp_path / "c", other.tasks[0]))
    assert c["result"] != a["result"]


def test_failure_is_isolated_and_retried(tmp_path, monkeypatch, capsys):
    kind = KINDS["birthday-scale"]

    def flaky(config, root):
        if config["s"] == 8:
            raise RuntimeError("injected failure at s=8")
        return kind.run(config, root)

    monkeypatch.setitem(KINDS, "birthday-scale", dataclasses.replace(kind, run=flaky))
    spec_path = tmp_path / "b.toml"
    spec_path.write_text('name = "b"\n[[grid]]\nkind = "birthday-scale"\n[grid.params]\nsupport = 200\n'
                         'trials = 3\nn_real = 100\nd = 16\n[grid.vary]\ns = [4, 8, 16]\n')
    out = tmp_path / "o"
    rc = main(["sweep", str(spec_path), "--workers", "0", "--out", str(out)])
    assert rc == 1
    cap = capsys.readouterr()
    assert "1 failed" in cap.out and "FAILED birthday-scale[support=200, s=8" in cap.out
    # progress lines on stderr: counts and an ETA
    assert "checker sweep: 3/3 done" not in cap.err and "1 failed" in cap.err and "ETA" in cap.err
    spec = load_spec(spec_path)
    recs = {t.config["s"]: read_task_file(task_path(out, t)) for t in spec.tasks}
    assert recs[8]["status"] == "failed" and "injected failure" in recs[8]["error"]
    assert "Traceback" in recs[8]["traceback"] and "RuntimeError" in recs[8]["traceback"]
    assert recs[4]["status"] == recs[16]["status"] == "ok"
    report = json.loads((out / "report-b.json").read_text())
    assert len(report["failed"]) == 1
    # the failed task is retried on the next run; the finished ones are not
    monkeypatch.setitem(KINDS, "birthday-scale", kind)
    res = run_sweep(spec, out=out, workers=0)
    assert (res.computed, res.skipped, res.failed) == (1, 2, ())


def test_keyboard_interrupt_keeps_finished_tasks(tmp_path, monkeypatch, capsys):
    kind = KINDS["birthday-scale"]
    calls = []

    def interrupted(config, root):
        calls.append(config["s"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return kind.run(config, root)

    monkeypatch.setitem(KINDS, "birthday-scale", dataclasses.replace(kind, run=interrupted))
    spec_path = tmp_path / "b.toml"
    spec_path.write_text('name = "b"\n[[grid]]\nkind = "birthday-scale"\n[grid.params]\nsupport = 200\n'
                         'trials = 3\nn_real = 100\nd = 16\n[grid.vary]\ns = [4, 8, 16]\n')
    out = tmp_path / "o"
    assert main(["sweep", str(spec_path), "--workers", "0", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    spec = load_spec(spec_path)
    done = [t for t in spec.tasks if read_task_file(task_path(out, t))]
    assert len(done) == 1
    monkeypatch.setitem(KINDS, "birthday-scale", kind)
    res = run_sweep(spec, out=out, workers=0)
    assert (res.computed, res.skipped) == (2, 1)


_BLOCKING_SWEEP = """
import dataclasses, sys, time
from checker.sweep.kinds import KINDS

_base = KINDS["birthday-scale"]


def _run(config, root):
    if config["s"] == 4:  # the first task finishes normally
        return _base.run(config, root)
    print("BLOCKING-TASK-STARTED", flush=True)
    while True:  # the others block until the pool is ended: the signal is the only way out
        time.sleep(3600)


# at import, so that the spawned workers (which import this file as __mp_main__) see it too
KINDS["birthday-scale"] = dataclasses.replace(_base, run=_run)

if __name__ == "__main__":
    from checker.cli import main
    sys.exit(main(["sweep", sys.argv[1], "--workers", "1", "--out", sys.argv[2], "--progress-every", "1"]))
"""


def test_sigint_stops_a_process_pool_cleanly(tmp_path):
    """A real Ctrl-C (SIGINT to the whole process group, as a terminal sends it) while a worker
    process computes: exit 130, no traceback, the finished task kept, no half-written file.
    The child starts with SIGINT at its default even when this test run ignores it, and the
    interrupted task blocks until the signal arrives (tests/interrupts.py)."""
    spec_path = tmp_path / "b.toml"
    spec_path.write_text('name = "b"\n[[grid]]\nkind = "birthday-scale"\n[grid.params]\nsupport = 200\n'
                         'trials = 3\nn_real = 100\nd = 16\n[grid.vary]\ns = [4, 8, 16]\n')
    script = tmp_path / "driver.py"
    script.write_text(_BLOCKING_SWEEP)
    out = tmp_path / "o"
    log = tmp_path / "log.txt"
    env = dict(os.environ, OMP_NUM_THREADS="1", CHECKER_PROGRESS="0", PYTHONPATH=str(ROOT))
    spec = load_spec(spec_path)
    first = next(t for t in spec.tasks if t.config["s"] == 4)
    with child([sys.executable, str(script), str(spec_path), str(out)], log=log, env=env, cwd=tmp_path) as proc:
        wait_for_line(proc, log, "BLOCKING-TASK-STARTED")
        wait_until(proc, lambda: read_task_file(task_path(out, first)) is not None, "the first record", log)
        rc = interrupt_and_wait(proc)
    text = log.read_text()
    assert rc == 130, text
    assert "interrupted" in text and "Traceback" not in text
    kept = [t for t in spec.tasks if read_task_file(task_path(out, t))]
    assert kept == [first]
    assert not list(out.rglob("*.tmp"))  # no half-written files


def test_arora_fooling_quick(tmp_path):
    spec = load_spec(ROOT / "sweeps" / "arora-fooling.toml", quick=True)
    res = run_sweep(spec, out=tmp_path, workers=0)
    assert res.ok and res.computed == len(spec.tasks) == 2
    rep = aggregate(spec, res.records, out=tmp_path)
    rows = {r["result"]["row"]["m"]: r["result"] for r in res.records}
    for m, r in rows.items():
        assert r["row"]["gap_ci_low"] <= r["row"]["gap"] <= r["row"]["gap_ci_high"]
        assert r["row"]["distinct_nonnoise_outputs"] <= m  # mode collapse: at most m outputs
    assert (tmp_path / "figures" / "fooling_gap.png").stat().st_size > 1000
    assert "Fooling experiment" in rep.markdown and rep.reproduction


def test_birthday_quick_against_exact(tmp_path):
    """95% Clopper-Pearson intervals of 4 grid points against the exact probability: each misses
    with probability <= 5%, so the report's 'reproduced' (>= 90% covered, i.e. all 4 here) fails
    falsely with probability <= 1 - 0.95^4 ~ 19% for an arbitrary seed; the seed is fixed, so
    this test is deterministic, and it checks the record's structure as well as the verdict."""
    spec = load_spec(ROOT / "sweeps" / "birthday-scale.toml", quick=True)
    res = run_sweep(spec, out=tmp_path, workers=0)
    assert res.ok and res.computed == 4
    rep = aggregate(spec, res.records, out=tmp_path)
    for r in res.records:
        row = r["result"]["row"]
        assert row["trials"] == 10 and 0 <= row["p_low"] <= row["p_duplicate"] <= row["p_high"] <= 1
        assert r["result"]["truth"]["support"] == r["config"]["support"]
    assert rep.data["kinds"]["birthday-scale"]["intervals"] == 4


def test_report_only_uses_records_of_another_code_version(tmp_path, capsys):
    """After a source change the addresses change; --report-only still renders the finished
    records (matched by kind and configuration) and runs nothing."""
    spec = _birthday([4, 8])
    run_sweep(spec, out=tmp_path, workers=0)
    # simulate another code version: move each record to a different address
    for t in spec.tasks:
        p = task_path(tmp_path, t)
        rec = json.loads(p.read_text())
        rec["code"], rec["hash"] = "0.0.0+other", "0" * 16 + t.hash[:2]
        p.unlink()
        (p.parent / f"{rec['hash']}.json").write_text(json.dumps(rec))
    spec_path = tmp_path / "b.toml"
    spec_path.write_text('name = "b"\n[[grid]]\nkind = "birthday-scale"\nseeds = [0]\n[grid.params]\nsupport = 200\n'
                         'trials = 4\nn_real = 100\nd = 16\n[grid.vary]\ns = [4, 8]\n')
    assert main(["sweep", str(spec_path), "--report-only", "--out", str(tmp_path)]) == 0
    assert "report of 2/2 tasks" in capsys.readouterr().out
    text = (tmp_path / "report-b.md").read_text()
    assert "0.0.0+other" in text and "2 of 2 tasks finished" in text
