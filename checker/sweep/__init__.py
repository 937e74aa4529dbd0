"""Declarative sweeps of the papers' experiments (issue 15): ``checker sweep SPEC.toml``.

A spec (TOML, :mod:`checker.sweep.spec`) is a grid of experiment kind × parameters × seeds,
expanded into tasks; each task is a pure function of its seeded configuration, stored under a
content address (:mod:`checker.sweep.task`) and skipped when already done, so an interrupted
sweep resumes and an extended grid computes only its new tasks. Tasks run on a local process
pool or on Ray (:mod:`checker.sweep.backends`); results are aggregated into figures, a report
section and a reproduction table (:mod:`checker.sweep.aggregate`).

Public API::

    from checker.sweep import load_spec, run_sweep, aggregate
    spec = load_spec("sweeps/sinha-mnist.toml", quick=True)
    run = run_sweep(spec, out="sweep-results/sinha-mnist", backend="local", workers=1)
    report = aggregate(spec, run.records, out="sweep-results/sinha-mnist")
"""

from __future__ import annotations

from checker.sweep.aggregate import Report, aggregate
from checker.sweep.runner import Progress, SweepRun, load_records, run_sweep
from checker.sweep.spec import SweepSpec, load_spec, parse_spec
from checker.sweep.task import Task

__all__ = ["SweepSpec", "load_spec", "parse_spec", "Task", "Progress", "SweepRun", "run_sweep",
           "load_records", "Report", "aggregate"]
