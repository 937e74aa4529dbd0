"""Error hierarchy of checker.

Every error a user can cause is an :class:`InvalidArgument` that names the parameter,
the value it got and the rule it broke; the CLI turns any :class:`CheckerError` into a
one-line message and exit code 2 (bad usage). Internal invariants are ``assert`` s, not
these classes.
"""

from __future__ import annotations

__all__ = [
    "CheckerError",
    "InvalidArgument",
    "OutlineError",
    "CheckError",
    "ResumeError",
]


class CheckerError(Exception):
    """Base class of every error checker raises on purpose."""


class InvalidArgument(CheckerError, ValueError):
    """A parameter broke a documented rule.

    >>> raise InvalidArgument("eps", 0, "must be > 0")
    Traceback (most recent call last):
    ...
    checker.errors.InvalidArgument: eps=0 must be > 0
    """

    def __init__(self, name: str, value: object, rule: str, *, hint: str | None = None):
        self.name = name
        self.value = value
        self.rule = rule
        self.hint = hint
        msg = f"{name}={_short(value)} {rule}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)


class OutlineError(CheckerError):
    """A proof outline is malformed; carries the file, node id and (when known) column."""

    def __init__(self, message: str, *, file: str | None = None, node: str | None = None,
                 column: int | None = None):
        self.file = file
        self.node = node
        self.column = column
        where = []
        if file:
            where.append(str(file))
        if node:
            where.append(f"node {node!r}")
        if column is not None:
            where.append(f"column {column}")
        prefix = ": ".join([", ".join(where)]) + ": " if where else ""
        super().__init__(prefix + message)


class CheckError(CheckerError):
    """A check could not be run (as opposed to: it ran and failed)."""


class ResumeError(CheckerError):
    """A checkpoint exists but does not belong to the run being resumed."""


def _short(value: object, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
