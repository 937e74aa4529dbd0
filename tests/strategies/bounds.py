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
