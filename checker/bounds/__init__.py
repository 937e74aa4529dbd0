"""The symbolic bound library: every bound of the two papers as an exact sympy statement.

Pure math: importing :mod:`checker.bounds` loads sympy, numpy and scipy only (never torch or
networkx; a test enforces it). Public surface:

* :func:`get`, :func:`ids`, :func:`statements`: the statement registry;
* :func:`evaluate` / :func:`value`: the one lambdify bridge (numpy, exact, mpmath);
* :func:`solve_for`: inversions (symbolic when sympy can, bracketed root finding otherwise);
* numeric helpers in the statement modules (e.g. :func:`checker.bounds.arora_thm1.mstar`).
"""

from __future__ import annotations

from checker.bounds.evaluate import MODES, Evaluation, evaluate, value
from checker.bounds.invert import Inversion, solve_for
from checker.bounds.statement import FORMS, Condition, Param, Statement, get, ids, statements

__all__ = ["Statement", "Param", "Condition", "FORMS", "MODES", "Evaluation", "Inversion",
           "get", "ids", "statements", "evaluate", "value", "solve_for"]
