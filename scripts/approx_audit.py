"""A pytest plugin that finds ``pytest.approx`` comparisons which pass only through approx's
*default* absolute tolerance.

``pytest.approx(x, rel=r)`` also accepts anything within ``abs=1e-12`` of ``x`` unless ``abs`` is
given. For an expected value of magnitude 1e-14 that default accepts every number in
[-1e-12, 1e-12]: the assertion cannot fail, whatever ``rel`` says. This plugin wraps
``pytest.approx`` so that, where the caller gave no ``abs``, every comparison is also made with
``abs=0``; when the default absolute tolerance alone decided a pass, the test and the call site
are written to the report.

Usage (not part of the suite; a hygiene probe)::

    PYTHONPATH=scripts python3 -m pytest -p approx_audit --approx-audit=REPORT.txt tests/

Each report line is ``node id | file:line of the approx call | expected | actual``. A line is
either a vacuous assertion (fix it: give ``abs=0`` or a justified absolute tolerance) or an
expected 0 compared with a rounding-level value (fix it the same way, with a named constant).
"""

from __future__ import annotations

import os
import sys
import traceback

import pytest

_REAL = pytest.approx
_FOUND: list[str] = []
_CURRENT = {"node": "?"}


class _Probe:
    __array_ufunc__ = None   # numpy arrays defer to our __eq__ (as pytest's own approx does)
    __array_priority__ = 100

    def __init__(self, expected, rel, abs_, nan_ok, site):
        self._loose = _REAL(expected, rel=rel, abs=abs_, nan_ok=nan_ok)
        self._strict = (None if abs_ is not None else
                        _REAL(expected, rel=1e-6 if rel is None else rel, abs=0, nan_ok=nan_ok))
        self._expected, self._site = expected, site

    def __eq__(self, actual):
        ok = self._loose == actual
        if ok and self._strict is not None and not (self._strict == actual):
            _FOUND.append(f"{_CURRENT['node']} | {self._site} | {self._expected!r:.80} | {actual!r:.80}")
        return ok

    def __ne__(self, actual):
        return not self.__eq__(actual)

    __hash__ = None

    def __repr__(self):
        return repr(self._loose)


def _approx(expected, rel=None, abs=None, nan_ok=False):  # noqa: A002 (pytest's own names)
    frame = traceback.extract_stack(limit=2)[0]
    return _Probe(expected, rel, abs, nan_ok, f"{frame.filename}:{frame.lineno}")


def pytest_addoption(parser):
    parser.addoption("--approx-audit", metavar="REPORT", help="write the approx-audit report here")


def pytest_configure(config):
    path = config.getoption("--approx-audit")
    if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise pytest.UsageError(f"--approx-audit={path}: its folder does not exist")
    pytest.approx = _approx
    _CURRENT["active"] = True


def pytest_runtest_setup(item):
    _CURRENT["node"] = item.nodeid


def pytest_unconfigure(config):
    if not _CURRENT.pop("active", False):  # refused in pytest_configure: nothing to report
        return
    pytest.approx = _REAL
    path = config.getoption("--approx-audit")
    text = "\n".join(sorted(set(_FOUND))) + ("\n" if _FOUND else "")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    print(f"\napprox-audit: {len(set(_FOUND))} comparison(s) passed only through the default "
          "absolute tolerance", file=sys.stderr)
