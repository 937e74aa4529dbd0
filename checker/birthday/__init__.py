"""The birthday-paradox test of a generator's support size (Arora & Zhang 2017; Arora,
Risteski, Zhang, ICLR 2018, docs/math/birthday.md).

Modules: :mod:`~checker.birthday.sources` (fresh draws), :mod:`~checker.birthday.pairs`
(exact blocked closest-pair search), :mod:`~checker.birthday.calibrate` (threshold on real
data), :mod:`~checker.birthday.stats` (intervals, estimators, non-uniformity test),
:mod:`~checker.birthday.procedure` (the test end to end), :mod:`~checker.birthday.memorisation`,
:mod:`~checker.birthday.figures` (PNG pair grids).
"""

from checker.birthday.calibrate import Threshold, calibrate_threshold, fixed_threshold
from checker.birthday.figures import pair_grid_png, save_pair_grid
from checker.birthday.memorisation import Memorisation, memorisation_check
from checker.birthday.pairs import (
    ClosestPairs,
    NearestNeighbours,
    PairsWithin,
    closest_pairs,
    nearest_neighbours,
    pairs_within,
)
from checker.birthday.procedure import (
    BirthdayConfig,
    BirthdayResult,
    FlaggedPairs,
    SRow,
    run_birthday_test,
)
from checker.birthday.sources import (
    ArraySource,
    DiscreteSource,
    GeneratorSource,
    drop_coordinates,
    from_module,
    load_samples,
    skewed_source,
    uniform_source,
)
from checker.birthday.stats import (
    Interval,
    NonUniformity,
    SHalf,
    SupportEstimate,
    clopper_pearson,
    collision_count_estimate,
    poisson_interval,
)

__all__ = [
    "ArraySource", "BirthdayConfig", "BirthdayResult", "ClosestPairs", "DiscreteSource",
    "FlaggedPairs", "GeneratorSource", "Interval", "Memorisation", "NearestNeighbours",
    "NonUniformity", "PairsWithin", "SHalf", "SRow", "SupportEstimate", "Threshold",
    "calibrate_threshold", "clopper_pearson", "closest_pairs", "collision_count_estimate",
    "drop_coordinates", "fixed_threshold", "from_module", "load_samples", "memorisation_check",
    "nearest_neighbours", "pair_grid_png", "pairs_within", "poisson_interval",
    "run_birthday_test", "save_pair_grid", "skewed_source", "uniform_source",
]
