"""One view of the audit's engine modules for the pin tests (issue 24.10 split checks.py into
:mod:`checker.audit.engines`).

``C.name`` reads ``name`` from the dispatcher or whichever engine module defines it; an engine
entry point (``C._symbolic``, ``C._smt``, ...) is wrapped so that its evidence is turned into a
verdict by :func:`checker.audit.verdict.prove`, the only route there is (the source
side-condition gate of :func:`checker.audit.checks.run_check` is *not* applied, as it was not
when these functions lived in one module). ``monkeypatch.setattr(C, name, value)`` replaces
``name`` in every module that binds it, so a patch reaches each engine that imported the name.
"""

from __future__ import annotations

import functools

from checker.audit import checks
from checker.audit.engines import (conditions, enclosure, evaluate, exact, experiment, interval, library,
                                   property, screen, search, smt, symbolic, vacuity)
from checker.audit.verdict import Evidence, prove

MODULES = (checks, exact, enclosure, search, vacuity, smt, symbolic, interval, property, screen, evaluate,
           experiment, library, conditions)
ENTRY_POINTS = ("_symbolic", "_smt", "_interval", "_property", "_evaluate", "_experiment", "_library")


def concluded(res):
    """An engine's answer as a verdict: evidence through :func:`prove`, anything else as is."""
    return prove(res) if isinstance(res, Evidence) else res


_ORIGINALS: dict[str, list] = {}


class _View:
    def __getattr__(self, name):
        for m in MODULES:
            if name in vars(m):
                value = vars(m)[name]
                if name in ENTRY_POINTS:
                    @functools.wraps(value)
                    def entry(*a, _fn=value, **k):
                        return concluded(_fn(*a, **k))
                    return entry
                return value
        raise AttributeError(name)

    def __setattr__(self, name, value):
        value = getattr(value, "__wrapped__", value)
        hit = [m for m in MODULES if name in vars(m)]
        if not hit:
            raise AttributeError(name)
        # the originals, kept for __delattr__: pytest >= 9.2's monkeypatch records an attribute
        # that is not in the instance's own __dict__ as absent and undoes the patch by deleting it
        _ORIGINALS.setdefault(name, [(m, vars(m)[name]) for m in hit])
        for m in hit:
            setattr(m, name, value)

    def __delattr__(self, name):
        for m, value in _ORIGINALS.pop(name, ()):
            setattr(m, name, value)


C = _View()
