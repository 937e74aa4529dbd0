"""Validation helpers: each raises :class:`~checker.errors.InvalidArgument` naming the
parameter, its value and the rule it broke.

They return the validated (and, where stated, converted) value, so construction code reads
``self.eps = positive("eps", eps)``.
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

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
    "config_keys",
    "output_dir",
    "output_file",
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


def boolean(name: str, value: object) -> bool:
    """A flag: ``True`` or ``False`` (also numpy's ``bool_``), nothing truthy in their place.

    ``bool("no")`` is ``True`` and ``bool(0.0)`` is ``False``: coercing would switch a soundness
    option on or off by accident, so anything else is refused by name."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise InvalidArgument(name, value, "must be True or False")


def positive_int(name: str, value: object) -> int:
    """An integer >= 1."""
    return integer(name, value, min_value=1)


def probability(name: str, value: object, *, open_ends: bool = True) -> float:
    """A probability; strictly inside (0, 1) unless ``open_ends=False``."""
    return in_range(name, value, 0.0, 1.0, lo_open=open_ends, hi_open=open_ends)


def suggest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Close matches of ``word`` among ``choices`` (for 'did you mean' hints)."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.5)


def config_keys(cls, mapping) -> dict:
    """``mapping`` (a TOML table) as keyword arguments of the dataclass ``cls``; an unknown key
    is refused with the closest field names."""
    import dataclasses

    names = [f.name for f in dataclasses.fields(cls)]
    for key in mapping:
        if key not in names:
            close = suggest(key, names)
            raise InvalidArgument("config key", key, f"is not a {cls.__name__} field",
                                  hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None)
    return dict(mapping)


def one_of(name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` must be one of ``choices``; the error suggests close matches."""
    if value in choices:
        return value  # type: ignore[return-value]
    close = suggest(str(value), choices)
    hint = f"did you mean {' or '.join(map(repr, close))}?" if close else None
    raise InvalidArgument(name, value, f"must be one of {', '.join(map(repr, choices))}",
                          hint=hint)


def _path_text(name: str, path: object, what: str) -> str:
    """The text of a path option, refused when empty, NUL-containing or not UTF-8."""
    text = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else str(path)
    if not text.strip():
        raise InvalidArgument(name, text, f"must be a {what} path, not empty")
    if "\x00" in text:
        raise InvalidArgument(name, text, "must not contain a NUL character")
    try:  # undecodable bytes in argv arrive as lone surrogates; reports and logs record the path
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "backslashreplace").decode("ascii", "replace")
        raise InvalidArgument(name, shown, "must be valid UTF-8 text (the reports record the path)") from None
    return text


def _probe_writable(name: str, text: str, folder: Path, rule: str) -> None:
    """Create and remove a probe file in ``folder`` (``os.access`` is wrong for root and on
    read-only mounts); an :class:`InvalidArgument` with ``rule`` and the system's reason if not."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or "the operating system refused it"
        raise InvalidArgument(name, text, f"{rule} ({reason})") from None


def output_file(name: str, path: object) -> Path:
    """Check, before any work, that a file can be written at ``path``; create nothing.

    The folder that will hold the file must already exist and be writable (a probe file is
    created and removed there): checker never creates folders for a single output file, so a
    typo such as ``/nonexistent/dir/g.svg`` is refused instead of making folders under ``/``.
    ``path`` itself must not be a folder. Every failure is an :class:`InvalidArgument` naming
    the option as typed.
    """
    text = _path_text(name, path, "file")
    p = Path(text)
    if p.is_dir():
        raise InvalidArgument(name, text, "must be a file path, but it is a folder")
    parent = p.parent
    if not parent.exists():
        raise InvalidArgument(name, text, f"must be in an existing folder ({str(parent)!r} does not exist)")
    if not parent.is_dir():
        raise InvalidArgument(name, text, f"must be in a folder, but {str(parent)!r} is a file")
    _probe_writable(name, text, parent, f"cannot be written: its folder {str(parent)!r} is not writable")
    return p


def output_dir(name: str, path: object) -> Path:
    """Create ``path`` (and its parents) as a writable output folder and return it.

    Every way this can go wrong is an :class:`InvalidArgument` naming the parameter: an empty
    or NUL-containing path, a file (or another non-folder) at ``path`` or at one of its parents
    ("below a file"), a folder that cannot be created or written to, a name the file system
    rejects. Use it for every ``--out`` option (the CLI turns the error into one line, exit 2).
    """
    text = _path_text(name, path, "folder")
    p = Path(text)
    for parent in (p, *p.parents):
        try:
            if parent.exists() and not parent.is_dir():
                where = "" if parent == p else f" (below the file {str(parent)!r})"
                raise InvalidArgument(name, text, f"must be a folder, but a file is in the way{where}")
        except OSError:  # e.g. a name too long to stat
            break
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or "the operating system refused it"
        raise InvalidArgument(name, text, f"cannot be created as a folder ({reason})") from None
    _probe_writable(name, text, p, "is a folder that cannot be written to")
    return p
