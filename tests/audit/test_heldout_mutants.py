"""Tests written for the survivors of the held-out mutation run of 2026-12-07 (seed 20261207,
40 audit mutants; docs/mutation.md). Each names the mutant it kills."""

from __future__ import annotations

import pytest
import sympy as sp

from checker.audit.formula import parse_formula
from checker.errors import OutlineError


def test_not_is_a_boolean_operator_of_hypotheses_only():
    # formula.py `if isinstance(n.op, ast.Not) and self.allow_bool` (negate-if)
    x = sp.Symbol("x", real=True)
    assert parse_formula("not (x > 1)", {"x": x}, allow_bool=True) == sp.Not(sp.StrictGreaterThan(x, 1))
    assert parse_formula("not x > 1 or x < 0", {"x": x}, allow_bool=True) == sp.Or(x <= 1, x < 0)
    with pytest.raises(OutlineError, match="unary operator Not is not allowed"):
        parse_formula("not x", {"x": x})
    with pytest.raises(OutlineError, match="unary operator Invert is not allowed"):
        parse_formula("~(x > 1)", {"x": x}, allow_bool=True)


@pytest.mark.parametrize("text", [True, False, 1.5, None, ["x"], b"x"])
def test_a_formula_is_a_string_or_an_integer(text):
    # formula.py `if isinstance(text, bool) or not isinstance(text, (str, int))` (or -> and)
    with pytest.raises(OutlineError, match=f"formula must be a string, got {type(text).__name__}"):
        parse_formula(text, {"x": sp.Symbol("x")})
    assert parse_formula(3, {}) == 3 and parse_formula("3", {}) == 3


def test_log_facts_say_nothing_where_log_is_undefined():
    # smt.py `z3.Implies(a > 0, ...)` of the log abstraction (> -> >=): at a = 0 the mutant
    # would force log(0) <= -1, a "fact" about an undefined value that could close a proof
    import z3

    from checker.audit.smt import Translation
    x = sp.Symbol("x", nonnegative=True)
    t = Translation(domains={"x": "nonnegative"})
    v = t.expr(sp.log(x, evaluate=False))
    s = z3.Solver()
    s.add(*t.domain_facts(), *t.facts, t.vars["x"] == 0, v >= 0)
    assert s.check() == z3.sat                        # log(0) is left free
    s2 = z3.Solver()                                  # negative control: where log is defined
    s2.add(*t.domain_facts(), *t.facts, t.vars["x"] == 1, v > 0)
    assert s2.check() == z3.unsat                     # log(1) > 0 is refuted by the facts
