r"""The finite-sample term :math:`\epsilon_n(t)` of Theorem 3, shown symbolically.

Paper: Sinha, Namkoong, Duchi, ICLR 2018 (arXiv 1710.10571), Theorem 3 (11)-(12) and
Corollary 1 (Lipschitz parametric families) [P] (docs/math/sinha.md).

.. math::

    \epsilon_n(t) = b_1\sqrt{\frac{d\,(L\,\mathrm{diam}(\Theta)+M_{\theta_0})}{n}}
                  + b_2\,(L\,\mathrm{diam}(\Theta)+M_{\theta_0})\sqrt{\frac{t}{n}} .

:math:`b_1, b_2` are **unspecified numerical constants** of the paper, so the term can never be
evaluated as printed: a certificate on training data is always reported *without* it (as the
paper's plots do). :func:`epsilon_n` shows the term exactly (from the bound library's
``sinha-cor1`` statement, the single source of truth) and evaluates it only for values of
:math:`b_1, b_2` the user chooses — a what-if, never part of a certificate. The test-set
certificate (15) needs no such term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FiniteSampleTerm", "epsilon_n", "STATEMENT_ID"]

STATEMENT_ID = "sinha-cor1"


@dataclass(frozen=True, kw_only=True)
class FiniteSampleTerm:
    """``expression``: the exact term (string), with the given values substituted;
    ``latex``; ``value``: a float only when every symbol (including b1, b2) was given;
    ``symbols``: the symbols still free."""

    statement: str
    expression: str
    latex: str
    value: float | None
    symbols: tuple[str, ...]
    note: str


def epsilon_n(**values: Any) -> FiniteSampleTerm:
    """Corollary 1's :math:`\\epsilon_n(t)` with ``values`` substituted (names as in the bound
    library's ``sinha-cor1`` parameters, e.g. ``n``, ``d``, ``t``, ``b_1``, ``b_2``)."""
    import sympy as sp

    from checker.bounds import get

    stmt = get(STATEMENT_ID)
    expr = stmt.expression
    subs = {}
    for key, v in values.items():
        if v is None:
            continue
        p = stmt.param(key)  # unknown names raise with suggestions
        subs[p.symbol] = sp.nsimplify(v) if isinstance(v, float) else sp.sympify(v)
    e = expr.subs(subs)
    free = tuple(sorted(s.name for s in e.free_symbols))
    value = None if free else float(e)
    note = ("b1, b2 are unspecified numerical constants of Theorem 3 / Corollary 1: this term is "
            "never added to a certificate; with chosen b1, b2 it is a what-if")
    return FiniteSampleTerm(statement=STATEMENT_ID, expression=str(e), latex=sp.latex(e), value=value,
                            symbols=free, note=note)
