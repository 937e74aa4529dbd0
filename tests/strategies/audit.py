"""Hypothesis strategies for the audit area: formula-ish strings for fuzzing the safe parser."""

from __future__ import annotations

from hypothesis import strategies as st

ATOMS = ["x", "y", "1", "2", "0.5", "pi", "E", "sqrt(x)", "log(y)", "exp(x)", "__import__",
         "os", "x.real", "[x]", "lambda: 1", "'s'", "f(x)", "open('f')", "x[0]", "(1,2)", "**", "*"]
OPS = ["+", "-", "*", "/", "**", "<", "<=", "==", " and ", " or ", ".", "(", ")", ",", "="]


@st.composite
def formula_like(draw) -> str:
    """Grammar-ish strings: atoms glued by operators, sometimes malformed."""
    n = draw(st.integers(1, 8))
    parts = [draw(st.sampled_from(ATOMS))]
    for _ in range(n - 1):
        parts.append(draw(st.sampled_from(OPS)))
        parts.append(draw(st.sampled_from(ATOMS)))
    return "".join(parts)
