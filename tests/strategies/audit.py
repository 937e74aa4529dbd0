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


@st.composite
def small_dags(draw, max_nodes: int = 7):
    """A small DAG as (n, edges, bad): nodes 0..n-1, edges (i, j) with i < j (i is used by j),
    and the set of nodes whose own check fails."""
    n = draw(st.integers(2, max_nodes))
    edges = [(i, j) for j in range(n) for i in range(j) if draw(st.booleans())]
    bad = {k for k in range(n) if draw(st.integers(0, 4)) == 0}
    return n, edges, bad
