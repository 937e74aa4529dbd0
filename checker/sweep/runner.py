"""Running a sweep: skip finished tasks, schedule the rest by phase, record each result
atomically as it arrives, report progress, isolate failures.

Tasks of phase 0 (e.g. WRM models) run before those of phase 1 (baselines matched to them,
certificates and Hessians of trained models), so later tasks find the trained models in the
cache instead of training them twice. A task whose record already exists with status ``ok`` is
skipped; a failed one is run again. Interrupting (``KeyboardInterrupt``) cancels what is
queued, ends the workers and re-raises; every finished task stays on disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.sweep.spec import SweepSpec
from checker.sweep.task import Task, read_task_file, task_path

__all__ = ["Progress", "SweepRun", "run_sweep", "load_records"]


@dataclass(frozen=True, kw_only=True)
class Progress:
    """A progress snapshot: counts over the tasks of this run, and an ETA in seconds (None
    until a task has finished)."""

    total: int
    skipped: int
    done: int
    running: int
    failed: int
    eta_seconds: float | None
    elapsed: float
    last: str | None = None


@dataclass(frozen=True, kw_only=True)
class SweepRun:
    """What a run did. ``failed``: ``(label, hash, error)`` of every task that failed."""

    name: str
    out: str
    backend: str
    total: int
    skipped: int
    computed: int
    failed: tuple[tuple[str, str, str], ...]
    seconds: float
    records: tuple[dict[str, Any], ...]

    @property
    def ok(self) -> bool:
        return not self.failed


def load_records(spec: SweepSpec, out: str | Path, *, any_code: bool = False) -> list[dict[str, Any]]:
    """The stored records of the spec's tasks (missing ones left out).

    ``any_code``: also accept a record of the same kind and configuration computed by another
    code version (to re-render a report after the sources changed, without recomputing); such
    a record is returned with its own ``code`` and ``hash``, re-keyed to the task's hash under
    ``task_hash``.
    """
    import json

    recs = []
    by_config: dict[tuple[str, str], dict[str, Any]] | None = None
    for t in spec.tasks:
        r = read_task_file(task_path(out, t))
        if r is None and any_code:
            if by_config is None:
                by_config = {}
                for f in sorted(Path(out).glob("tasks/*/*.json")):
                    other = read_task_file(f)
                    if other is not None and other.get("status") == "ok":
                        key = (other["kind"], json.dumps(other["config"], sort_keys=True))
                        by_config.setdefault(key, other)
            r = by_config.get((t.kind, json.dumps(t.config, sort_keys=True)))
            if r is not None:
                r = {**r, "task_hash": t.hash}
        if r is not None:
            recs.append(r)
    return recs


def run_sweep(spec: SweepSpec, *, out: str | Path, backend: str = "local", workers: int | None = None,
              address: str | None = None, on_progress: Callable[[Progress], None] | None = None,
              progress_every: float = 10.0, ray_init: dict[str, Any] | None = None) -> SweepRun:
    """Run ``spec``'s unfinished tasks on ``backend`` and return the outcome."""
    from checker.io import ensure_dir, write_json
    from checker.sweep.backends import make_backend

    out_dir = ensure_dir(out, "--out").resolve()
    t0 = time.monotonic()
    todo: list[Task] = []
    skipped = 0
    for t in spec.tasks:
        rec = read_task_file(task_path(out_dir, t))
        if rec is not None and rec.get("status") == "ok":
            skipped += 1
        else:
            todo.append(t)
    total = len(spec.tasks)
    done = failed_n = 0
    failed: list[tuple[str, str, str]] = []
    last_report = 0.0

    def report(running: int, last: str | None = None) -> None:
        nonlocal last_report
        if on_progress is None:
            return
        el = time.monotonic() - t0
        finished = done + failed_n
        remaining = len(todo) - finished
        eta = 0.0 if remaining == 0 else ((el / finished * remaining) if finished else None)
        on_progress(Progress(total=total, skipped=skipped, done=done, running=running, failed=failed_n,
                             eta_seconds=eta, elapsed=el, last=last))
        last_report = time.monotonic()

    if not todo:
        report(0)
        return SweepRun(name=spec.name, out=str(out_dir), backend=backend, total=total, skipped=skipped,
                        computed=0, failed=(), seconds=time.monotonic() - t0,
                        records=tuple(load_records(spec, out_dir)))
    be = make_backend(backend, str(out_dir), workers=workers, address=address, ray_init=ray_init)
    try:
        report(0)
        for phase in sorted({t.phase for t in todo}):
            pending = [be.submit(t.to_dict()) for t in todo if t.phase == phase]
            while pending:
                wait_for = max(0.05, progress_every - (time.monotonic() - last_report))
                finished = be.wait(pending, timeout=wait_for)
                for h in finished:
                    pending.remove(h)
                    rec = be.result(h)
                    write_json(task_path(out_dir, rec), rec)
                    if rec["status"] == "ok":
                        done += 1
                    else:
                        failed_n += 1
                        failed.append((rec["label"], rec["hash"], rec.get("error", "")))
                    report(be.running(pending), last=f"{rec['status']}: {rec['label']}")
                pending = be.resubmit_if_broken(pending)
                if not finished and time.monotonic() - last_report >= progress_every:
                    report(be.running(pending))
    except BaseException:
        be.cancel()
        raise
    be.close()
    return SweepRun(name=spec.name, out=str(out_dir), backend=backend, total=total, skipped=skipped,
                    computed=done, failed=tuple(failed), seconds=time.monotonic() - t0,
                    records=tuple(load_records(spec, out_dir)))
