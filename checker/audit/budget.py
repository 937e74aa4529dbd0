"""Wall-clock budgets for audit checks (issue 13: every symbolic or search step has a budget).

:func:`deadline` runs a block under a wall-clock limit: on the main thread it arms a real-time
interval timer whose signal raises :class:`CheckTimeout` inside the running (pure-Python) sympy
or search code; elsewhere it only records the deadline, which the engines poll through
:func:`remaining` and :func:`poll` (z3 gets ``min(its timeout, remaining)``; loops poll). The
same polling mode is used when the caller already runs its own interval timer, which is left
untouched. A check that runs out of time gets the verdict ``timeout`` (never a pass).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time

__all__ = ["CheckTimeout", "deadline", "remaining", "DEFAULT_CHECK_SECONDS", "MAX_CHECK_SECONDS"]

#: Default wall-clock limit of one check, seconds: the slowest check of the project's own
#: outlines takes about 3 s on one core, so 60 s leaves a 20-fold margin on a loaded machine.
DEFAULT_CHECK_SECONDS = 60.0
#: Largest limit accepted (a limit is a guard against hangs, not a way to disable it).
MAX_CHECK_SECONDS = 3600.0


class CheckTimeout(BaseException):
    """The check ran out of its wall-clock budget (a BaseException, so that library code that
    catches ``Exception`` -- sympy, Hypothesis -- cannot swallow it)."""


_local = threading.local()


def remaining() -> float | None:
    """Seconds left of the innermost active deadline (``None`` when there is none)."""
    end = getattr(_local, "end", None)
    if end is None:
        return None
    return end - time.monotonic()


def poll() -> None:
    """Raise :class:`CheckTimeout` if the active deadline has passed (for loops off the main
    thread, where no signal can interrupt)."""
    left = remaining()
    if left is not None and left <= 0:
        raise CheckTimeout("wall-clock budget exhausted")


def _handler(signum, frame):  # pragma: no cover - exercised through deadline()
    raise CheckTimeout("wall-clock budget exhausted")


@contextlib.contextmanager
def deadline(seconds: float):
    """Run the block under a wall-clock limit of ``seconds``."""
    seconds = float(seconds)
    prev_end = getattr(_local, "end", None)
    end = time.monotonic() + seconds
    if prev_end is not None:
        end = min(end, prev_end)
    _local.end = end
    use_signal = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if use_signal and prev_end is None and signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        use_signal = False  # a caller's own interval timer is running: leave it alone, poll only
    old = None
    if use_signal:
        try:
            old = signal.signal(signal.SIGALRM, _handler)
            signal.setitimer(signal.ITIMER_REAL, max(end - time.monotonic(), 1e-3))
        except ValueError:  # pragma: no cover - not the main interpreter
            use_signal = False
    try:
        yield
    finally:
        if use_signal:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old if old is not None else signal.SIG_DFL)
            if prev_end is not None:  # re-arm the outer deadline
                left = prev_end - time.monotonic()
                signal.signal(signal.SIGALRM, _handler)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
        _local.end = prev_end
