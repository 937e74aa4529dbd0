"""WRM (Sinha, Namkoong, Duchi, ICLR 2018) and its baselines ERM/FGM/IFGM/PGM: the inner
maximisation, models, data, training with checkpoints, attacks and the paper's figures.

Heavy imports (torch) happen inside the submodules; import what you need from them, e.g.
``from checker.wrm.inner import InnerConfig, maximize_inner``.
"""

from __future__ import annotations

__all__ = ["inner", "models", "data", "methods", "training", "attacks", "figures"]
