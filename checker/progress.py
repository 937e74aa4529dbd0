"""Progress display for long work, on stderr (the one place library code may write).

Library code wraps its long loops in :func:`progress`; it never prints otherwise. What the user
sees depends on where stderr goes:

* a terminal: a tqdm bar;
* anything else (a log file, CI, a pipe): one line at most every :data:`INTERVAL_S` seconds
  (shared by every loop, so nested or short loops do not flood the log), e.g.
  ``[4/7 birthday, 31 seconds elapsed] birthday construction: 12 done, loop time 30 seconds``
  (the stage's time so far, then the loop's own count and time; see :func:`duration`);
* ``CHECKER_PROGRESS=0``: nothing. ``CHECKER_PROGRESS=1`` forces the lines even on a terminal
  without tqdm; ``CHECKER_PROGRESS_INTERVAL`` sets the line interval in seconds.

:func:`scope` prefixes the lines (the main job uses the stage), so a line says which stage of
``checker run`` it belongs to.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

__all__ = ["progress", "enabled", "mode", "scope", "note", "duration", "INTERVAL_S"]

#: Seconds between two progress lines when stderr is not a terminal (a heartbeat a person or
#: a CI log can follow without being flooded).
INTERVAL_S = 10.0

_state: dict = {"last": 0.0, "scope": "", "since": 0.0, "status": None}


def mode() -> str:
    """``"off"``, ``"bar"`` (a terminal) or ``"lines"`` (periodic lines)."""
    flag = os.environ.get("CHECKER_PROGRESS")
    if flag is not None and flag.strip().lower() in ("0", "false", "no", "off", ""):
        return "off"
    if flag is not None and flag.strip().lower() == "lines":
        return "lines"
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return "bar" if tty else "lines"


def enabled() -> bool:
    return mode() != "off"


def _interval() -> float:
    try:
        v = float(os.environ.get("CHECKER_PROGRESS_INTERVAL", INTERVAL_S))
    except ValueError:
        return INTERVAL_S
    return v if v >= 0 else INTERVAL_S


def duration(seconds: float) -> str:
    """A duration in words: ``0 seconds``, ``1 second``, ``2 minutes 5 seconds``, ``1 hour 3 minutes``."""
    s = max(0, int(round(seconds)))

    def unit(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if s < 60:
        return unit(s, "second")
    if s < 3600:
        return unit(s // 60, "minute") + (f" {unit(s % 60, 'second')}" if s % 60 else "")
    return unit(s // 3600, "hour") + (f" {unit(s % 3600 // 60, 'minute')}" if s % 3600 // 60 else "")


def _emit(text: str) -> None:
    prefix = (f"[{_state['scope']}, {duration(time.monotonic() - _state['since'])} elapsed] "
              if _state["scope"] else "")
    try:
        print(prefix + text, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed: progress is best effort
        pass


def note(text: str, *, force: bool = False) -> None:
    """A progress line (throttled like the periodic lines unless ``force``)."""
    if mode() == "off":
        return
    _state["status"] = text
    _beat(force=force)


def _beat(*, force: bool = False) -> None:
    """Write the latest status (or ``still running``) if a line is due."""
    now = time.monotonic()
    if force or now - _state["last"] >= _interval():
        _state["last"] = now
        text, _state["status"] = _state["status"], None
        _emit(text or "still running")


@contextlib.contextmanager
def scope(label: str, *, heartbeat: bool = True) -> Iterator[None]:
    """Prefix progress lines inside the block with ``[label, elapsed]``; restore the outer
    prefix on exit. With ``heartbeat`` (and progress in ``lines`` mode), a background thread
    writes ``still running`` whenever no line was written for :data:`INTERVAL_S` seconds, so a
    long step without its own progress loop is still visibly alive."""
    import threading

    before = (_state["scope"], _state["since"])
    _state["scope"] = label
    _state["since"] = _state["last"] = time.monotonic()  # the caller just announced the block
    _state["status"] = None
    stop = threading.Event()
    beat = None
    if heartbeat and mode() == "lines":
        def run() -> None:
            while not stop.wait(min(1.0, _interval() / 4 or 0.05)):
                _beat()

        beat = threading.Thread(target=run, name="checker-progress-heartbeat", daemon=True)
        beat.start()
    try:
        yield
    finally:
        stop.set()
        if beat is not None:
            beat.join(timeout=5)
        _state["scope"], _state["since"] = before


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None,
             leave: bool = False) -> Iterator[T]:
    """Iterate, showing progress on stderr as :func:`mode` says (never on stdout)."""
    m = mode()
    if m == "off":
        yield from iterable
        return
    if m == "bar":
        from tqdm.auto import tqdm

        yield from tqdm(iterable, desc=desc, total=total, leave=leave, file=sys.stderr,
                        dynamic_ncols=True)
        return
    t0 = time.monotonic()
    for i, item in enumerate(iterable):
        yield item
        of = f"/{total}" if total else ""
        note(f"{desc}: {i + 1}{of} done, loop time {duration(time.monotonic() - t0)}")
