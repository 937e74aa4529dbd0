"""Mode hygiene for adversarial loops: a context manager that puts a model in ``eval()`` mode
with every parameter's ``requires_grad`` switched off, and restores both in ``finally``.

No paper content; this is the project's rule [R] (some attack libraries restore the mode without
``finally``; BatchNorm in train mode couples the examples of a batch during an inner
maximisation).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["frozen_eval"]


@contextlib.contextmanager
def frozen_eval(model) -> Iterator[None]:
    """Run the body with ``model.eval()`` and no parameter gradients; restore on any exit.

    The training flag is restored per sub-module (a model may mix modes on purpose).
    """
    # Only modules/parameters whose state changes are touched (this runs once per inner
    # maximisation; on tiny models its cost is comparable to an ascent step).
    switched = [m for m in model.modules() if m.training]
    frozen = [p for p in model.parameters() if p.requires_grad]
    try:
        for m in switched:
            object.__setattr__(m, "training", False)  # what Module.eval() sets, minus its overhead
        for p in frozen:
            p.requires_grad_(False)
        yield
    finally:
        for m in switched:
            object.__setattr__(m, "training", True)
        for p in frozen:
            p.requires_grad_(True)
