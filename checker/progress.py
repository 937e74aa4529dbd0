"""Progress display for long work: a tqdm bar on stderr, silent when not a terminal or when
``CHECKER_PROGRESS=0``. Library code calls :func:`progress`; it never prints otherwise."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

__all__ = ["progress", "enabled"]


def enabled() -> bool:
    flag = os.environ.get("CHECKER_PROGRESS")
    if flag is not None:
        return flag not in ("0", "false", "no", "")
    return sys.stderr.isatty()


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None,
             leave: bool = False) -> Iterator[T]:
    """Iterate with a progress bar (to stderr) when progress display is enabled."""
    if not enabled():
        yield from iterable
        return
    from tqdm.auto import tqdm

    yield from tqdm(iterable, desc=desc, total=total, leave=leave, file=sys.stderr,
                    dynamic_ncols=True)
