"""Validation helpers: each raises :class:`~checker.errors.InvalidArgument` naming the
parameter, its value and the rule it broke.

They return the validated (and, where stated, converted) value, so construction code reads
``self.eps = positive("eps", eps)``.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence

from checker.errors import InvalidArgument

__all__ = [
    "finite",
    "positive",
    "nonnegative",
    "in_range",
    "integer",
    "positive_int",
    "probability",
    "one_of",
    "suggest",
]


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        try:
            value = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidArgument(name, value, "must be a real number") from None
    return float(value)


def finite(name: str, value: object) -> float:
    """``value`` as a float; it must be a finite real number."""
    x = _real(name, value)
    if not math.isfinite(x):
        raise InvalidArgument(name, value, "must be finite")
    return x


def positive(name: str, value: object) -> float:
    """A finite real number > 0."""
    x = finite(name, value)
    if not x > 0:
        raise InvalidArgument(name, value, "must be > 0")
    return x


def nonnegative(name: str, value: object) -> float:
    """A finite real number >= 0."""
    x = finite(name, value)
    if not x >= 0:
        raise InvalidArgument(name, value, "must be >= 0")
    return x


def in_range(name: str, value: object, lo: float | None = None, hi: float | None = None, *,
             lo_open: bool = False, hi_open: bool = False) -> float:
    """A finite real in the interval given by ``lo``/``hi`` (closed unless ``*_open``)."""
    x = finite(name, value)
    if lo is not None and (x <= lo if lo_open else x < lo):
        raise InvalidArgument(name, value, f"must be {'>' if lo_open else '>='} {lo}")
    if hi is not None and (x >= hi if hi_open else x > hi):
        raise InvalidArgument(name, value, f"must be {'<' if hi_open else '<='} {hi}")
    return x


def integer(name: str, value: object, *, min_value: int | None = None,
            max_value: int | None = None) -> int:
    """An integer (floats with an integral value are accepted) within optional bounds."""
    if isinstance(value, bool):
        raise InvalidArgument(name, value, "must be an integer")
    if isinstance(value, numbers.Integral):
        n = int(value)
    else:
        x = _real(name, value)
        if not math.isfinite(x) or x != int(x):
            raise InvalidArgument(name, value, "must be an integer")
        n = int(x)
    if min_value is not None and n < min_value:
        raise InvalidArgument(name, value, f"must be >= {min_value}")
    if max_value is not None and n > max_value:
        raise InvalidArgument(name, value, f"must be <= {max_value}")
    return n


def positive_int(name: str, value: object) -> int:
    """An integer >= 1."""
    return integer(name, value, min_value=1)


def probability(name: str, value: object, *, open_ends: bool = True) -> float:
    """A probability; strictly inside (0, 1) unless ``open_ends=False``."""
    return in_range(name, value, 0.0, 1.0, lo_open=open_ends, hi_open=open_ends)


def suggest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Close matches of ``word`` among ``choices`` (for 'did you mean' hints)."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.5)


def one_of(name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` must be one of ``choices``; the error suggests close matches."""
    if value in choices:
        return value  # type: ignore[return-value]
    close = suggest(str(value), choices)
    hint = f"did you mean {' or '.join(map(repr, close))}?" if close else None
    raise InvalidArgument(name, value, f"must be one of {', '.join(map(repr, choices))}",
                          hint=hint)
