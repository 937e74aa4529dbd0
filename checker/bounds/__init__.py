"""The symbolic bound library: every bound of the two papers as an exact sympy statement.

Pure math: importing :mod:`checker.bounds` loads sympy, numpy and scipy only (never torch or
networkx; a test enforces it). Public surface:

* :func:`get`, :func:`ids`, :func:`statements`: the statement registry (``get`` imports only
  the requested statement's module; ``ids`` imports none);
* :func:`evaluate` / :func:`value`: the one lambdify bridge (numpy, exact, mpmath), with
  domain / vacuity flags and a high-precision cross-check of every float64 scalar;
* :func:`solve_for`: inversions (every verified root with its branch, safely rounded);
* numeric helpers in the statement modules (e.g. :func:`checker.bounds.arora_thm1.mstar`).
"""

from __future__ import annotations

from checker.bounds.evaluate import MODES, Evaluation, RaisedFlag, evaluate, value
from checker.bounds.invert import Inversion, Root, solve_for
from checker.bounds.statement import (FORMS, Condition, Flag, Param, Statement, get, ids,
                                      statements)

__all__ = ["Statement", "Param", "Condition", "Flag", "FORMS", "MODES", "Evaluation",
           "RaisedFlag", "Inversion", "Root", "get", "ids", "statements", "evaluate", "value",
           "solve_for"]
