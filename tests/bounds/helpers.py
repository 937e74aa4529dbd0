"""Helpers shared by the bound-library tests."""

from __future__ import annotations

import mpmath
import pytest

from checker.errors import InvalidArgument


def raises(_pname: str, _frag: str, _fn, *a, **k) -> InvalidArgument:
    """``_fn(*a, **k)`` raises InvalidArgument naming ``_pname`` with ``_frag`` in its message."""
    with pytest.raises(InvalidArgument) as ei:
        _fn(*a, **k)
    assert ei.value.name == _pname, (ei.value.name, str(ei.value))
    assert _frag in str(ei.value), (_frag, str(ei.value))
    return ei.value


def raises_in_rule(_pname: str, _frag: str, _fn, *a, **k) -> InvalidArgument:
    """Like :func:`raises`, with ``_frag`` in the error's rule (not just anywhere in the message)."""
    with pytest.raises(InvalidArgument) as ei:
        _fn(*a, **k)
    assert ei.value.name == _pname, (ei.value.name, str(ei.value))
    assert _frag in ei.value.rule, (_frag, ei.value.rule)
    return ei.value


def cancelling_mstar_point() -> tuple[int, int, float]:
    """``(p, m, want)`` where arora-mstar's log failure ln 2 + p ln 17 - m/8 cancels: p = 2^53,
    m = floor(8 (ln 2 + p ln 17)), so the terms are ~2.6e16 and the value, computed here in
    mpmath at 60 digits, lies in (0, 1/8]; float64 loses all its digits there."""
    with mpmath.workdps(60):
        p = 2**53
        exact = mpmath.log(2) + p * mpmath.log(17)
        m = int(mpmath.floor(8 * exact))
        want = float(exact - mpmath.mpf(m) / 8)
    return p, m, want
