"""The :class:`Kind` record of an experiment kind (kept apart from the registry in
:mod:`checker.sweep.kinds`, so the kind modules import it without importing the registry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.sweep.params import Param

__all__ = ["Kind"]


@dataclass(frozen=True, kw_only=True)
class Kind:
    """An experiment kind (see the module docstring)."""

    name: str
    description: str
    params: dict[str, Param]
    run: Callable[[dict[str, Any], Path], dict[str, Any]]
    normalise: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda c: c)
    phase: Callable[[dict[str, Any]], int] = field(default=lambda c: 0)
    packages: tuple[str, ...] = ()
    label_hint: tuple[str, ...] = ()
