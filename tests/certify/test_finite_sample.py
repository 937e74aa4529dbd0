"""eps_n(t) (Corollary 1) is shown symbolically and evaluated only for chosen b1, b2."""

from __future__ import annotations

import pytest

import checker.bounds as bounds


def _statement():
    return bounds.get("sinha-cor1")


def test_epsilon_n_stays_symbolic_without_b1_b2():
    from checker.certify.finite_sample import epsilon_n

    stmt = _statement()
    hidden = [p.name for p in stmt.params if p.hidden]
    assert hidden, "b1, b2 must be hidden constants"
    given = {p.name: 2 for p in stmt.params if not p.hidden}
    term = epsilon_n(**given)
    assert term.value is None
    assert set(term.symbols) == {str(stmt.param(h).symbol) for h in hidden}


def test_epsilon_n_what_if_value_matches_the_printed_formula():
    # Corollary 1 as printed (docs/math/sinha.md, Corollary 1): b1 sqrt(d (L D + M)/n) + b2 (L D + M) sqrt(t/n).
    import math

    from checker.certify.finite_sample import epsilon_n

    stmt = _statement()
    vals = {"d": 28, "n": 1000, "t": 3, "L": 2, "diam": 5, "M0": 1, "b1": 1, "b2": 1}
    names = {p.name for p in stmt.params}
    assert set(vals) <= names, sorted(names)
    term = epsilon_n(**vals)
    k = 2 * 5 + 1
    assert term.value == pytest.approx(math.sqrt(28 * k / 1000) + k * math.sqrt(3 / 1000), rel=1e-12)
