"""One task of a sweep: a kind and a normalised configuration, content-addressed.

The address is ``sha256(kind, normalised config, code version)`` (16 hex digits,
:func:`checker.io.fingerprint`); the *code version* is ``checker.__version__`` plus a hash of
the source files of the packages the kind runs, so results computed by different code are
never reused. A finished task is the JSON file ``OUT/tasks/<kind>/<hash>.json`` written
atomically (temporary file, then ``os.replace``); a re-run finds it and skips the task.

The file holds ``result`` — a pure function of the configuration (same seeds, device and
thread count ⟹ the same numbers, whichever backend ran it) — and ``meta`` (wall time, host,
backend), which is not. A failed task keeps ``error`` and ``traceback`` instead of ``result``
and is retried on the next run.
"""

from __future__ import annotations

import os
import platform
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.sweep.version import code_version  # re-exported

__all__ = ["Task", "code_version", "execute_task", "task_path",
           "read_task_file", "RESULT_FORMAT"]

RESULT_FORMAT = "checker-sweep-task/1"


@dataclass(frozen=True, kw_only=True)
class Task:
    """A schedulable unit. ``config`` is normalised (every parameter present)."""

    kind: str
    config: dict[str, Any]
    hash: str
    code: str
    label: str
    phase: int = 0
    num_cpus: float = 1.0
    num_gpus: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "config": self.config, "hash": self.hash, "code": self.code,
                "label": self.label, "phase": self.phase, "num_cpus": self.num_cpus,
                "num_gpus": self.num_gpus}


def task_path(out: str | os.PathLike, task: Task | dict) -> Path:
    t = task.to_dict() if isinstance(task, Task) else task
    return Path(out) / "tasks" / t["kind"] / f"{t['hash']}.json"


def read_task_file(path: str | os.PathLike) -> dict[str, Any] | None:
    """The stored record, or ``None`` when absent or unreadable (then it is recomputed)."""
    import json

    p = Path(path)
    try:
        rec = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and rec.get("format") == RESULT_FORMAT else None


def _threads(num_cpus: float) -> int:
    """Set torch's intra-op threads to the task's CPUs; return the previous count."""
    import torch

    before = torch.get_num_threads()
    n = max(1, int(num_cpus))
    if before != n:
        torch.set_num_threads(n)
    return before


def execute_task(task: dict[str, Any], out: str, backend: str = "local") -> dict[str, Any]:
    """Run one task and return its record (``status`` ok/failed). Never raises for an error of
    the experiment (it is kept in the record); ``KeyboardInterrupt`` propagates."""
    from checker.io import to_jsonable
    from checker.sweep.kinds import get_kind

    t0 = time.perf_counter()
    rec: dict[str, Any] = {"format": RESULT_FORMAT, "kind": task["kind"], "hash": task["hash"],
                           "label": task["label"], "config": task["config"], "code": task["code"]}
    before = None
    try:
        before = _threads(task["num_cpus"])
        kind = get_kind(task["kind"])
        result = kind.run(dict(task["config"]), Path(out))
        rec["status"] = "ok"
        rec["result"] = to_jsonable(result)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - isolated: the error is the task's result
        rec["status"] = "failed"
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc()
    finally:
        if before is not None:
            _threads(before)
    rec["meta"] = {"seconds": time.perf_counter() - t0, "host": platform.node(), "pid": os.getpid(),
                   "backend": backend}
    return rec
