"""Typed parameters of an experiment kind: declaration, strict checking and normalisation.

A kind declares every parameter it accepts with a default and a type; a spec may set only
those. Normalisation makes equal configurations hash equally (``lr = 1`` and ``lr = 1.0`` are
the same float; lists become lists of the declared element type), which is what the content
address of a task (:mod:`checker.sweep.task`) is computed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.errors import InvalidArgument

__all__ = ["Param", "check_value", "TYPES"]

#: Declared types. ``?`` suffix: ``None`` (TOML: leave the key out, or the string "auto"
#: where documented) is also allowed.
TYPES = ("int", "float", "str", "bool", "ints", "floats", "strs", "float|str")


@dataclass(frozen=True, kw_only=True)
class Param:
    """One parameter: ``type`` (one of :data:`TYPES`, optionally ending in ``?`` for
    nullable), ``default`` and a one-line ``help``."""

    type: str
    default: Any
    help: str = ""

    @property
    def nullable(self) -> bool:
        return self.type.endswith("?")

    @property
    def base(self) -> str:
        return self.type.rstrip("?")


def _scalar(name: str, value: Any, base: str) -> Any:
    if base == "bool":
        if isinstance(value, bool):
            return value
        raise InvalidArgument(name, value, "must be true or false")
    if base == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
        raise InvalidArgument(name, value, "must be an integer")
    if base == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise InvalidArgument(name, value, "must be a number")
    if base == "str":
        if isinstance(value, str):
            return value
        raise InvalidArgument(name, value, "must be a string")
    if base == "float|str":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise InvalidArgument(name, value, "must be a number or a string")
    raise AssertionError(base)  # pragma: no cover - declarations are ours


def check_value(name: str, value: Any, param: Param) -> Any:
    """``value`` checked against ``param`` and normalised (raises :class:`InvalidArgument`)."""
    if value is None:
        if param.nullable:
            return None
        raise InvalidArgument(name, value, f"must be a {param.base} (it has no 'unset' value)")
    base = param.base
    if base in ("ints", "floats", "strs"):
        if not isinstance(value, (list, tuple)):
            raise InvalidArgument(name, value, f"must be a list ({base[:-1]} values)")
        return [_scalar(f"{name}[{i}]", v, base[:-1]) for i, v in enumerate(value)]
    return _scalar(name, value, base)
