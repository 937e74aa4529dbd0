"""Safe formula parser: allow-list semantics, exactness, rejection of code, fuzzing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from checker.audit.formula import parse_formula
from checker.errors import OutlineError
from tests.strategies.audit import formula_like

X = sp.Symbol("x", positive=True)
Y = sp.Symbol("y", real=True)
SYMS = {"x": X, "y": Y}


def test_decimal_literals_are_exact():
    # 0.1 must be exactly 1/10 (hand value), not the binary float 0.1000000000000000055...
    assert parse_formula("0.1", SYMS) == sp.Rational(1, 10)
    assert parse_formula("1e-3*x", SYMS) == X / 1000


def test_relations_and_chains():
    assert parse_formula("x**2 <= x/2 + 1", SYMS) == sp.LessThan(X**2, X / 2 + 1)
    chain = parse_formula("0 < x <= 1", SYMS, allow_bool=True)
    assert isinstance(chain, sp.And)


def test_allowed_functions():
    e = parse_formula("sqrt(x) + log(x) + exp(y) + Abs(y) + Min(x, y) + ceiling(x) + binomial(5, 2)", SYMS)
    assert e.has(sp.log) and e.has(sp.exp) and e.has(sp.ceiling)
    i = sp.Symbol("i", integer=True, positive=True)
    assert parse_formula("Sum(i, i, 1, 10)", {"i": i}).doit() == 55  # 1+...+10 = 55


@pytest.mark.parametrize("bad", [
    "__import__('os').system('touch pwned')", "x.real", "x[0]", "lambda: 1", "[x for x in y]",
    "sqrt(x=1)", "sqrt(*y)", "z + 1", "'text'", "x if y else 1", "(x := 1)", "__class__",
    "open('pwned', 'w')", "f'{x}'", "{x: 1}", "(x, y)", "x @ y", "not x", "x < y and y < 1",
    "2**10**10", "factorial(10**7)", "1e999", "x +", "",
])
def test_rejected_with_outline_error(bad):
    with pytest.raises(OutlineError) as info:
        parse_formula(bad, SYMS, file="f.toml", node="n1")
    assert "f.toml" in str(info.value) and "n1" in str(info.value)
    assert not Path("pwned").exists()


def test_error_names_column():
    with pytest.raises(OutlineError) as info:
        parse_formula("x + y.real", SYMS, file="f.toml", node="n1")
    assert info.value.column == 5  # 'y.real' starts at the 5th character


@given(st.text(max_size=60))
def test_fuzz_arbitrary_text_only_outline_errors(text):
    try:
        parse_formula(text, SYMS, allow_bool=True)
    except OutlineError:
        pass
    assert not Path("pwned").exists()


@given(formula_like())
def test_fuzz_grammarish_only_outline_errors(text):
    try:
        out = parse_formula(text, SYMS, allow_bool=True)
        assert isinstance(out, sp.Basic)
    except OutlineError:
        pass


def test_no_eval_sympify_or_parse_expr_in_audit_package():
    root = Path(__file__).resolve().parents[2] / "checker" / "audit"
    pattern = re.compile(r"(?<![\w.])(eval|exec|sympify|parse_expr|nsimplify|S)\s*\(")
    offenders = []
    for f in root.glob("*.py"):
        for k, line in enumerate(f.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code) or re.search(r"\bsp\.(sympify|parse_expr|nsimplify|S)\(", code):
                offenders.append(f"{f.name}:{k}: {line.strip()}")
    assert offenders == []
