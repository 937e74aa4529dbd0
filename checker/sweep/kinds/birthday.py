r"""Sweep kind ``birthday-scale``: the birthday-paradox test (Arora & Zhang 2017; Arora,
Risteski, Zhang ICLR 2018 §6; docs/math/birthday.md) at one sample size :math:`s` on a source
of known support :math:`N`.

One task draws ``trials`` independent samples of size :math:`s` from a uniform (or skewed)
mixture of :math:`N` random images plus small noise, counts the trials with a pair within the
calibrated threshold, and reports :math:`\widehat P(\text{dup}\mid s)` with its Clopper–Pearson
interval and the collision-count support estimate, against the truth :math:`N` (and
:math:`1/\sum p_i^2`). For the uniform case the exact probability is
:math:`1-\prod_{i<s}(1-i/N)`, reported next to the estimate (computed in log space). A sweep
over ``support × s × seed`` checks the rule "duplicates with probability ≥ 1/2 at
:math:`s \approx \sqrt N`" up to :math:`s = 10^5`. Tested (sampled) evidence, never proved.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from checker.errors import InvalidArgument
from checker.sweep.kinds.base import Kind
from checker.sweep.params import Param

__all__ = ["BIRTHDAY", "exact_duplicate_probability"]

PARAMS: dict[str, Param] = {
    "source": Param(type="str", default="uniform", help="uniform or skewed"),
    "support": Param(type="int", default=1000, help="number of atoms N"),
    "s": Param(type="int", default=64, help="sample size"),
    "trials": Param(type="int", default=20, help="independent trials"),
    "d": Param(type="int", default=64, help="image dimension"),
    "noise_std": Param(type="float", default=0.02, help="Gaussian noise added to each draw"),
    "heavy": Param(type="float", default=0.1, help="skewed: mass of the heavy atom"),
    "quantile": Param(type="float", default=0.01, help="threshold quantile of real nearest-neighbour distances"),
    "n_real": Param(type="int", default=1000, help="real images for calibration"),
    "k": Param(type="int", default=20, help="closest pairs flagged"),
    "seed": Param(type="int", default=0, help="seed"),
}


def exact_duplicate_probability(N: int, s: int) -> float:
    """:math:`1-\\prod_{i=0}^{s-1}(1-i/N)` for ``s`` uniform draws from ``N`` atoms, via
    ``log1p`` sums (log space); 1 when ``s > N``."""
    if s > N:
        return 1.0
    log_none = math.fsum(math.log1p(-i / N) for i in range(1, s))
    return -math.expm1(log_none)


def _normalise(c: dict[str, Any]) -> dict[str, Any]:
    from checker.validate import one_of, positive_int, probability

    one_of("source", c["source"], ("uniform", "skewed"))
    for k in ("support", "s", "trials", "d", "n_real", "k"):
        positive_int(k, c[k])
    if c["s"] < 2:
        raise InvalidArgument("s", c["s"], "must be >= 2")
    if c["n_real"] < 3:
        raise InvalidArgument("n_real", c["n_real"], "must be >= 3")
    if c["noise_std"] < 0:
        raise InvalidArgument("noise_std", c["noise_std"], "must be >= 0")
    probability("quantile", c["quantile"])
    probability("heavy", c["heavy"])
    if c["support"] * c["d"] > 200_000_000:
        raise InvalidArgument("support", c["support"], f"times d={c['d']} must be <= 2e8 (atoms kept in memory)")
    return c


def run(c: dict[str, Any], root: Path) -> dict[str, Any]:
    from checker.birthday.calibrate import calibrate_threshold
    from checker.birthday.procedure import BirthdayConfig, run_birthday_test
    from checker.birthday.sources import skewed_source, uniform_source

    if c["source"] == "uniform":
        src = uniform_source(c["support"], d=c["d"], noise_std=c["noise_std"], seed=c["seed"])
    else:
        src = skewed_source(c["support"], heavy=c["heavy"], d=c["d"], noise_std=c["noise_std"], seed=c["seed"])
    thr = calibrate_threshold(src.real_data(c["n_real"], seed=c["seed"] + 1), quantile=c["quantile"],
                              source="fresh draws from the atoms' base distribution")
    cfg = BirthdayConfig(s_values=(c["s"],), trials=c["trials"], k=c["k"], seed=c["seed"])
    res = run_birthday_test(src, threshold=thr, config=cfg)
    s = res.summary()
    row = s["table"][0]
    est = s["support_estimate"]
    return {"row": row, "support_estimate": est, "threshold": s["threshold"]["value"],
            "pair_false_alarm": s["threshold"]["pair_false_alarm"],
            "truth": {"support": src.support, "collision_support": src.collision_support},
            "exact_p_duplicate_uniform": (exact_duplicate_probability(c["support"], c["s"])
                                          if c["source"] == "uniform" else None),
            "nonuniform_flagged": bool(res.nonuniformity.flagged)}


BIRTHDAY = Kind(name="birthday-scale",
                description="birthday-paradox test at sample size s on a source of known support",
                params=PARAMS, run=run, normalise=_normalise,
                packages=("checker/birthday", "checker/sweep/kinds/birthday.py"), label_hint=("support", "s", "seed"))
