"""Child processes for the interrupt tests, robust on a busy machine.

Three rules (docs/testing.md, "Interrupt tests"):

* **The child can receive Ctrl-C.** A process started with SIGINT *ignored* keeps it ignored,
  and Python then installs no ``KeyboardInterrupt`` handler. That is what a test run started in
  the background of a non-interactive shell (``python3 -m pytest &``, some CI runners) passes
  on to every child, and it made the old tests see exit 0 instead of 130. Children start with
  SIGINT restored to its default, in a session (process group) of their own.
* **Readiness, not time.** The test waits for a line the child prints when it is inside the
  work to be interrupted, and the work then blocks until the signal arrives, so the only way
  out is the signal: the exit code asserted is the one the signal produced.
* **Always reaped.** Whatever happens, the child's whole process group is killed and waited
  for in a ``finally``, so no child outlives its test.

The time limits below only turn a hang into a failure; no test outcome depends on them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator, Sequence

import pytest

#: Upper bound on how long a child may take to become ready or to exit after the signal.
#: Generous on purpose (a loaded 2-core machine can be 20x slower than an idle one): it only
#: converts a hang into a failure, it never decides a pass.
HANG_LIMIT_S = 600.0
#: Polling period while waiting for a readiness line (not a timing assumption).
POLL_S = 0.05


def _default_sigint() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def child(cmd: Sequence[str], *, log: Path, **kwargs) -> Iterator[subprocess.Popen]:
    """Start ``cmd`` with stdout+stderr to ``log``, SIGINT at its default and its own process
    group; on exit kill the group and reap it."""
    with open(log, "w") as fh:
        proc = subprocess.Popen(list(cmd), stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=_default_sigint, text=True, **kwargs)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            # the group may hold workers that outlived their parent: end them too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)


def wait_until(proc: subprocess.Popen, ready, what: str, log: Path) -> None:
    """Wait until ``ready()`` is true (the child's readiness signal); fail with the log if the
    child exits first. A bounded number of polls turns a hang into a failure (no assertion on
    the clock: the bound never decides a pass)."""
    for _ in range(int(HANG_LIMIT_S / POLL_S)):
        if ready():
            return
        if proc.poll() is not None:
            pytest.fail(f"the child exited ({proc.returncode}) before {what}:\n{log.read_text()}")
        time.sleep(POLL_S)
    pytest.fail(f"no {what} after {HANG_LIMIT_S:g} s of polling (a hang):\n{log.read_text()}")


def wait_for_line(proc: subprocess.Popen, log: Path, marker: str) -> None:
    """Wait until the child has printed ``marker`` into ``log``."""
    wait_until(proc, lambda: marker in log.read_text(), repr(marker), log)


def interrupt_and_wait(proc: subprocess.Popen, *, group: bool = True) -> int:
    """Send SIGINT (to the whole process group, as a terminal does, when ``group``) and return
    the exit code."""
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=HANG_LIMIT_S)
