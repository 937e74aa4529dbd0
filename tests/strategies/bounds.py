"""Hypothesis strategies for the bound library's parameters (shared by tests/bounds)."""

from __future__ import annotations

from hypothesis import strategies as st

#: positive reals spanning several orders of magnitude (no subnormals, no huge values)
pos = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
#: accuracies eps in a realistic range
eps = st.floats(min_value=1e-3, max_value=2.0, allow_nan=False, allow_infinity=False)
#: Delta >= 1 as the paper assumes (also valid below 1 for the explicit bound)
delta_range = st.floats(min_value=1.0, max_value=100.0, allow_nan=False)
capacity = st.integers(min_value=1, max_value=10**7)
unit_open = st.floats(min_value=1e-6, max_value=1 - 1e-6, allow_nan=False)


@st.composite
def arora_params(draw):
    """Keyword arguments of the Theorem 1 helpers (p, Delta, L, L_phi, eps)."""
    return dict(p=draw(capacity), Delta=draw(delta_range), L=draw(pos), L_phi=draw(pos),
                eps=draw(eps))


@st.composite
def layer_lists(draw, min_layers=1, max_layers=6):
    """Per-layer (op_norms, L0, L1) lists for the NN smoothness constants."""
    n = draw(st.integers(min_layers, max_layers))
    norm = st.floats(min_value=0.0, max_value=5.0, allow_nan=False, allow_subnormal=False)
    l0 = st.floats(min_value=0.05, max_value=3.0, allow_nan=False)
    l1 = st.floats(min_value=0.0, max_value=3.0, allow_nan=False, allow_subnormal=False)
    return (draw(st.lists(norm, min_size=n, max_size=n)), draw(st.lists(l0, min_size=n, max_size=n)),
            draw(st.lists(l1, min_size=n, max_size=n)))


#: Hostile command-line values for the fuzz tests (issue 13.6): zero, negatives, division by
#: zero, non-finite, beyond the float range in both directions, huge integers, garbage, odd
#: number syntaxes and non-ASCII digits, next to a few ordinary values.
HOSTILE_TEXT = ["0", "-1", "1/0", "0/0", "nan", "inf", "-inf", "1e-400", "1e400", "1e308",
                "5e-324", "1e-300", "abc", "", " ", "1e99999", "3/7", "-0", "1e-30",
                "9007199254740993", "1" + "0" * 400, "0.5", "1", "2", "10", "1000",
                "0.999999999999", "1/3", "--", "1,2", "0x10", "1_000", "\u0661"]

#: Hostile Python values for the API fuzz test.
HOSTILE_PY = [None, 0, -1, 1, 2, 0.5, 1e-300, 5e-324, 1e308, -0.0, float("nan"), float("inf"),
              float("-inf"), 10**400, -(10**400), 2**53 + 1, True, "1/0", "x", "", "1e400", 1 + 2j,
              [1, 2], {}, (), b"1", object(), 1e-30]
