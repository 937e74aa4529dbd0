"""Where tasks run: ``local`` (a process pool, the default) or ``ray`` (a Ray runtime or cluster).

Both execute :func:`checker.sweep.task.execute_task` in a fresh worker process with the task's
thread count, so a task's numbers do not depend on the backend. The driver (this process)
writes every record; workers only compute, so a Ray cluster needs no shared file system for the
results (trained-model caches do benefit from one, see docs/guide/sweep.md).

* :class:`LocalBackend` — ``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start
  method (no forked torch state); ``workers=0`` runs tasks in this process, one at a time.
* :class:`RayBackend` — ``ray.init()`` (a local runtime) when no address is given, otherwise
  joins the cluster at ``address``; each task is submitted with
  ``.options(num_cpus=..., num_gpus=...)`` from its spec's ``[grid.resources]``.
"""

from __future__ import annotations

import os
from typing import Any

from checker.errors import InvalidArgument

__all__ = ["LocalBackend", "RayBackend", "make_backend", "BACKENDS", "RAY_INSTALL_HINT"]

BACKENDS = ("local", "ray")
RAY_INSTALL_HINT = "install it with: pip install 'checker[ray]' (or pip install 'ray>=2.9')"


def _failed(task: dict[str, Any], error: str, tb: str = "") -> dict[str, Any]:
    from checker.sweep.task import RESULT_FORMAT

    return {"format": RESULT_FORMAT, "kind": task["kind"], "hash": task["hash"], "label": task["label"],
            "config": task["config"], "code": task["code"], "status": "failed", "error": error,
            "traceback": tb, "meta": {}}


def _ignore_sigint() -> None:
    """Pool workers ignore Ctrl-C: the driver receives it, cancels the queue and ends the
    workers itself (no traceback from every worker on the terminal)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Inline:
    """A handle of the in-process backend: the task runs when waited for."""

    def __init__(self, task):
        self.task = task
        self.record = None


class LocalBackend:
    """A process pool (``workers`` >= 1) or this process (``workers`` = 0)."""

    name = "local"

    def __init__(self, out: str, *, workers: int | None = None):
        if workers is None:
            workers = max(1, (os.cpu_count() or 1))
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
            raise InvalidArgument("--workers", workers, "must be an integer >= 0 (0 = run in this process)")
        self.out = out
        self.workers = workers
        self._pool = None

    def _executor(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                             mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_ignore_sigint)
        return self._pool

    def submit(self, task: dict[str, Any]):
        if self.workers == 0:
            return _Inline(task)
        from checker.sweep.task import execute_task

        fut = self._executor().submit(execute_task, task, self.out, "local")
        fut.task = task  # type: ignore[attr-defined]
        return fut

    def wait(self, pending: list, timeout: float) -> list:
        if self.workers == 0:
            from checker.sweep.task import execute_task

            h = pending[0]
            h.record = execute_task(h.task, self.out, "local")
            return [h]
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle) -> dict[str, Any]:
        if isinstance(handle, _Inline):
            return handle.record
        try:
            return handle.result()
        except Exception as exc:  # noqa: BLE001 - a dead worker fails its task only
            from concurrent.futures.process import BrokenProcessPool

            if isinstance(exc, BrokenProcessPool) and self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            return _failed(handle.task, f"{type(exc).__name__}: {exc} (the worker process failed)")

    def running(self, pending: list) -> int:
        if self.workers == 0:
            return min(1, len(pending))
        return min(self.workers, sum(1 for f in pending if f.running()))

    def resubmit_if_broken(self, pending: list) -> list:
        """Futures of a broken pool are resubmitted to a new pool (their tasks did not run)."""
        if self.workers == 0 or self._pool is not None:
            return pending
        return [self.submit(f.task) if f.done() else f for f in pending]

    def cancel(self) -> None:
        """Stop everything now (Ctrl-C): cancel queued tasks and end the workers we started."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


class RayBackend:
    """Ray tasks; a local runtime when ``address`` is None (``ray.init``), else a cluster."""

    name = "ray"

    def __init__(self, out: str, *, address: str | None = None, workers: int | None = None,
                 init_kwargs: dict[str, Any] | None = None):
        try:
            import ray
        except ImportError:
            raise InvalidArgument("--backend", "ray", "needs the optional Ray extra, which is not installed",
                                  hint=RAY_INSTALL_HINT) from None
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
            raise InvalidArgument("--workers", workers, "must be an integer >= 0")
        self.ray = ray
        self.out = out
        self.started = False
        if not ray.is_initialized():
            kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "logging_level": "ERROR", "configure_logging": True}
            if address is None and workers:
                kw["num_cpus"] = int(workers)
            kw.update(init_kwargs or {})
            try:
                ray.init(address=address, **kw)
            except ConnectionError as exc:
                raise InvalidArgument("--address", address, f"could not join a Ray cluster ({exc})") from None
            self.started = True
        from checker.sweep.task import execute_task

        self._remote = ray.remote(max_retries=0)(execute_task)
        self._refs: dict[Any, dict[str, Any]] = {}

    def submit(self, task: dict[str, Any]):
        ref = self._remote.options(num_cpus=task["num_cpus"], num_gpus=task["num_gpus"],
                                   name=task["label"][:100]).remote(task, self.out, "ray")
        self._refs[ref] = task
        return ref

    def wait(self, pending: list, timeout: float) -> list:
        ready, _ = self.ray.wait(pending, num_returns=1, timeout=timeout)
        if ready:
            more, _ = self.ray.wait([r for r in pending if r not in ready],
                                    num_returns=max(1, len(pending) - len(ready)), timeout=0)
            ready = ready + [r for r in more if r not in ready]
        return ready

    def result(self, handle) -> dict[str, Any]:
        task = self._refs.pop(handle)
        try:
            return self.ray.get(handle)
        except Exception as exc:  # noqa: BLE001 - e.g. the worker died: fails this task only
            return _failed(task, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                           str(exc))

    def running(self, pending: list) -> int:
        return len(pending)

    def resubmit_if_broken(self, pending: list) -> list:
        return pending

    def cancel(self) -> None:
        for ref in list(self._refs):
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - best effort while stopping
                pass
        self._refs.clear()
        self.close()

    def close(self) -> None:
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
        self.started = False


def make_backend(name: str, out: str, *, workers: int | None = None, address: str | None = None,
                 ray_init: dict[str, Any] | None = None):
    from checker.validate import one_of

    one_of("--backend", name, BACKENDS)
    if name == "local":
        if address is not None:
            raise InvalidArgument("--address", address, "is only used with --backend ray")
        return LocalBackend(out, workers=workers)
    return RayBackend(out, address=address, workers=workers, init_kwargs=ray_init)
