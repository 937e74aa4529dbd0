r"""The birthday-paradox test of support size, end to end.

Arora & Zhang 2017 (arXiv 1706.08224) and Arora, Risteski, Zhang, ICLR 2018, docs/math/birthday.md,
"The procedure". The paper's procedure [A]: draw :math:`s` samples, flag the
most similar pairs, inspect them, repeat; if duplicates appear with probability
:math:`\ge 1/2`, suspect a support of about :math:`s^2`. ``checker``'s version [R]:

1. for each :math:`s` of a grid (given, or found automatically by doubling and refining around
   the crossing) run ``trials`` trials; each trial draws :math:`s` *fresh* samples
   (:mod:`checker.birthday.sources`) and maps them to features (``feature_map``);
2. finds every pair within the calibrated threshold :math:`\tau`
   (:mod:`checker.birthday.calibrate`) exactly (:mod:`checker.birthday.pairs`), and the
   ``k`` closest pairs of the first trial for visual inspection;
3. estimates :math:`P(\text{duplicate}\mid s)` with a Clopper–Pearson interval, the
   crossing :math:`s_{1/2}`, the support estimates and the non-uniformity flag
   (:mod:`checker.birthday.stats`).

.. math::

    \widehat P(\text{dup}\mid s) = \frac{\#\{\text{trials with} \ge 1 \text{ pair within } \tau\}}{\text{trials}},
    \qquad \hat N = \frac{\sum_{\text{trials}} \binom s2}{\#\text{pairs within } \tau}.

Everything here is sampled evidence: the support estimate is *tested*, never proved, and rests
on the stated assumptions (uniformity for the inversions, the similarity measure for all).
Work is checkpointed after every grid point (``checkpoint=``) and resumes bit-identically:
each trial's randomness is derived from ``(seed, s, trial)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from checker.birthday.calibrate import Threshold, fixed_threshold
from checker.birthday.memorisation import Memorisation, memorisation_check
from checker.birthday.pairs import closest_pairs, pairs_within, squared_threshold
from checker.birthday.sources import apply_feature_map, as_source
from checker.birthday.stats import (
    Interval,
    NonUniformity,
    SHalf,
    SupportEstimate,
    clopper_pearson,
    collision_count_estimate,
    nonuniformity_test,
    s_half,
    tb_heuristic_estimate,
    uniform_inversion_estimate,
)
from checker.errors import InvalidArgument
from checker.progress import progress
from checker.tolerances import NONUNIFORM_ALPHA
from checker.validate import integer, positive_int, probability

__all__ = ["BirthdayConfig", "SRow", "FlaggedPairs", "BirthdayResult", "run_birthday_test",
           "trial_generator"]


@dataclass(frozen=True, kw_only=True)
class BirthdayConfig:
    """Configuration of :func:`run_birthday_test`.

    ``s_values``: grid of sample sizes, or ``None`` for the automatic grid (doubling from
    ``s_min`` until the duplicate rate's interval lies above 1/2 or ``s_max`` is passed, then
    two refinements between the last two sizes). ``trials`` per grid point; ``k`` closest pairs
    kept for inspection; ``confidence`` of reported intervals.
    """

    s_values: tuple[int, ...] | None = None
    trials: int = 50
    k: int = 20
    seed: int = 0
    confidence: float = 0.95
    s_min: int = 8
    s_max: int = 4096
    block: int | None = None

    def __post_init__(self):
        if self.s_values is not None:
            vals = tuple(integer("s", v, min_value=2) for v in self.s_values)
            if not vals:
                raise InvalidArgument("s_values", self.s_values, "must not be empty")
            if len(set(vals)) != len(vals):
                raise InvalidArgument("s_values", self.s_values, "must not repeat a sample size")
            object.__setattr__(self, "s_values", tuple(sorted(vals)))
        positive_int("trials", self.trials)
        positive_int("k", self.k)
        integer("seed", self.seed, min_value=0)
        probability("confidence", self.confidence)
        integer("s_min", self.s_min, min_value=2)
        integer("s_max", self.s_max, min_value=self.s_min)
        if self.block is not None:
            positive_int("block", self.block)


@dataclass(frozen=True, kw_only=True)
class FlaggedPairs:
    """The ``k`` closest pairs of one trial, with the pixel images for the inspection grid."""

    s: int
    i: np.ndarray
    j: np.ndarray
    distance: np.ndarray
    left: np.ndarray
    right: np.ndarray
    within_threshold: np.ndarray


@dataclass(frozen=True, kw_only=True)
class SRow:
    """Results at one sample size ``s``."""

    s: int
    trials: int
    duplicates: int
    rate: Interval
    collisions: int
    triples: int
    false_alarm_bound: float | None
    uniform_inversion: SupportEstimate | None
    tb_heuristic: SupportEstimate | None


@dataclass(frozen=True, kw_only=True)
class BirthdayResult:
    """Everything the birthday test found. ``support_estimate`` is the headline (collision count)."""

    source: str
    config: BirthdayConfig
    threshold: Threshold
    rows: tuple[SRow, ...]
    s_half: SHalf
    support_estimate: SupportEstimate
    support_estimates: tuple[SupportEstimate, ...]
    nonuniformity: NonUniformity
    expected_false_collisions: float | None
    flagged: tuple[FlaggedPairs, ...] = field(repr=False)
    memorisation: Memorisation | None = None
    notes: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary (no images, no per-sample arrays)."""
        from checker.io import to_jsonable

        mem = None
        if self.memorisation is not None:
            m = self.memorisation
            mem = {"n_samples": m.n_samples, "n_train": m.n_train, "threshold": m.threshold,
                   "fraction_within": m.fraction_within, "distance_quantiles": m.distance_quantiles}
        return to_jsonable({
            "source": self.source,
            "status": "tested (sampled evidence; never proved)",
            "support_estimate": self.support_estimate,
            "s_half": self.s_half,
            "support_estimates": list(self.support_estimates),
            "nonuniform": self.nonuniformity,
            "threshold": {
                "value": self.threshold.value, "quantile": self.threshold.quantile,
                "n_real": self.threshold.n_real, "source": self.threshold.source,
                "pair_false_alarm": self.threshold.pair_false_alarm,
                "nn_quantiles": self.threshold.nn_quantiles,
            },
            "expected_false_collisions": self.expected_false_collisions,
            "table": [
                {"s": r.s, "trials": r.trials, "duplicates": r.duplicates, "p_duplicate": r.rate.value,
                 "p_low": r.rate.low, "p_high": r.rate.high, "collisions": r.collisions,
                 "triples": r.triples, "false_alarm_bound": r.false_alarm_bound,
                 "uniform_inversion": None if r.uniform_inversion is None else r.uniform_inversion.value,
                 "tb_heuristic": None if r.tb_heuristic is None else r.tb_heuristic.value}
                for r in self.rows],
            "flagged_pairs": [
                {"s": f.s, "i": f.i, "j": f.j, "distance": f.distance,
                 "within_threshold": f.within_threshold} for f in self.flagged],
            "memorisation": mem,
            "config": self.config,
            "notes": list(self.notes),
        })


def trial_generator(seed: int, s: int, trial: int, device: torch.device | str = "cpu") -> torch.Generator:
    """The ``torch.Generator`` of one trial, derived from ``(seed, s, trial)`` (resume-stable)."""
    state = np.random.SeedSequence([int(seed), int(s), int(trial)]).generate_state(2, dtype=np.uint32)  # pragma: no mutate: generate_state(n)[:2] does not depend on n
    g = torch.Generator(device=device)
    g.manual_seed(int(state[0]) << 32 | int(state[1]))
    return g


def _components_triples(n: int, i: np.ndarray, j: np.ndarray) -> int:
    """Sum over connected components (duplicate graph) of C(size, 3)."""
    if len(i) == 0:
        return 0
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(i.tolist(), j.tolist()):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    sizes: dict[int, int] = {}
    for a in set(i.tolist()) | set(j.tolist()):
        r = find(a)
        sizes[r] = sizes.get(r, 0) + 1
    return sum(c * (c - 1) * (c - 2) // 6 for c in sizes.values())


def _run_s(source, s: int, cfg: BirthdayConfig, tau: float, fmap, device) -> dict[str, Any]:
    dups = coll = trip = 0
    flagged = None
    for t in range(cfg.trials):
        g = trial_generator(cfg.seed, s, t, device)
        x = source.draw(s, generator=g)
        if x.shape[0] != s:
            raise InvalidArgument("source output rows", x.shape[0], f"must equal s={s}")
        f = apply_feature_map(x, fmap)
        pw = pairs_within(f, tau, block=cfg.block)
        c = len(pw)
        coll += c
        dups += int(c > 0)
        trip += _components_triples(s, pw.i, pw.j)
        if t == 0:
            k = min(cfg.k, s * (s - 1) // 2)
            cp = closest_pairs(f, k=k, block=cfg.block)
            xi = torch.as_tensor(cp.i, device=x.device)
            xj = torch.as_tensor(cp.j, device=x.device)
            flagged = {"i": torch.as_tensor(cp.i), "j": torch.as_tensor(cp.j),
                       "sq": torch.as_tensor(cp.squared),
                       "left": x[xi].cpu(), "right": x[xj].cpu()}
    return {"s": s, "dups": dups, "coll": coll, "trip": trip, "flagged": flagged}


def _auto_next(done: dict[int, dict], cfg: BirthdayConfig, s_cap: int) -> int | None:
    """Doubling phase from ``s_min`` until the rate's interval lies above 1/2 (or the rate
    reaches 0.9, or ``s_cap``); then two geometric refinements between the last two doublings."""
    s = min(cfg.s_min, s_cap)
    prev = None
    while s in done:
        r = clopper_pearson(done[s]["dups"], cfg.trials, confidence=cfg.confidence)
        if r.low > 0.5 or r.value >= 0.9:
            if prev is None:
                return None
            for frac in (1 / 3, 2 / 3):
                cand = int(round(prev * (s / prev) ** frac))
                if prev < cand < s and cand not in done:
                    return cand
            return None
        if s >= s_cap:
            return None
        prev, s = s, min(2 * s, s_cap)
    return s


def run_birthday_test(source, *, threshold: Threshold | float,
                      config: BirthdayConfig | None = None,
                      feature_map: Callable[[torch.Tensor], torch.Tensor] | None = None,
                      train=None, memorisation_samples: int = 500,
                      checkpoint: str | Path | None = None,
                      device: torch.device | str = "cpu") -> BirthdayResult:
    """Run the birthday test on ``source`` (a source object, a callable generator or an array).

    ``threshold``: a calibrated :class:`Threshold` (preferred) or a plain distance (its
    false-alarm rate is then reported as unknown). ``train``: training images for the
    memorisation check (optional). ``checkpoint``: file to save progress to and resume from.
    """
    from checker.io import fingerprint, load_checkpoint, save_checkpoint

    cfg = config or BirthdayConfig()
    thr = threshold if isinstance(threshold, Threshold) else fixed_threshold(threshold)
    src = as_source(source)
    name = getattr(src, "name", type(src).__name__)
    dev = torch.device(device) if not isinstance(device, torch.device) else device
    s_cap = cfg.s_max
    size = getattr(src, "size", None)
    notes: list[str] = []
    if size is not None:
        if cfg.s_values is not None and max(cfg.s_values) > size:
            raise InvalidArgument("s", max(cfg.s_values),
                                  f"must be <= the number of saved samples ({size})",
                                  hint="a trial needs s distinct samples")
        s_cap = min(s_cap, size)
        if (max(cfg.s_values) if cfg.s_values else s_cap) * cfg.trials > size:
            notes.append("saved samples: trials re-use rows across trials (rows are distinct "
                         "within a trial), so trials are not independent and the intervals are "
                         "optimistic")
    fp = fingerprint({"config": cfg, "source": name, "threshold": thr.value})
    done: dict[int, dict] = {}
    if checkpoint is not None:
        state = load_checkpoint(checkpoint, config_fingerprint=fp)
        if state:
            done = {int(r["s"]): r for r in state["rows"]}
    plan = list(cfg.s_values) if cfg.s_values is not None else None
    s_next: int | None = (plan[0] if plan else min(cfg.s_min, s_cap))

    def _save():
        if checkpoint is not None:
            save_checkpoint(checkpoint, {"rows": list(done.values())}, config_fingerprint=fp)

    bar = progress(iter(int, 1), desc=f"birthday {name}")  # infinite, advanced per grid point
    while s_next is not None:
        if s_next not in done:
            done[s_next] = _run_s(src, s_next, cfg, thr.value, feature_map, dev)
            _save()
        next(bar, None)
        if plan is not None:
            rest = [s for s in plan if s not in done]
            s_next = rest[0] if rest else None
        else:
            s_next = _auto_next(done, cfg, s_cap)
    rows_raw = [done[s] for s in sorted(done)]
    rows = []
    pairs_total = 0
    triple_opp = 0
    for r in rows_raw:
        s = r["s"]
        rate = clopper_pearson(r["dups"], cfg.trials, confidence=cfg.confidence)
        pairs_total += cfg.trials * s * (s - 1) // 2
        triple_opp += cfg.trials * s * (s - 1) * (s - 2) // 6
        rows.append(SRow(s=s, trials=cfg.trials, duplicates=r["dups"], rate=rate,
                         collisions=r["coll"], triples=r["trip"],
                         false_alarm_bound=thr.trial_false_alarm_bound(s),
                         uniform_inversion=uniform_inversion_estimate(s, rate),
                         tb_heuristic=tb_heuristic_estimate(s, rate)))
    collisions = sum(r.collisions for r in rows)
    triples = sum(r.triples for r in rows)
    head = collision_count_estimate(pairs_total, collisions, confidence=cfg.confidence)
    strict = collision_count_estimate(pairs_total, collisions, confidence=1 - NONUNIFORM_ALPHA)
    nonu = nonuniformity_test(triples=triples, triple_opportunities=triple_opp, n_low=strict.low)
    sh = s_half([r.s for r in rows], [r.rate for r in rows])
    # the uniform inversion and T-b at the grid point whose rate is closest to 1/2
    others: list[SupportEstimate] = [head]
    cands = [r for r in rows if r.uniform_inversion is not None]
    if cands:
        best = min(cands, key=lambda r: abs(r.rate.value - 0.5))
        others.append(best.uniform_inversion)  # type: ignore[arg-type]
        if best.tb_heuristic is not None:
            others.append(best.tb_heuristic)
        else:
            notes.append(f"T-b heuristic vacuous or undefined at s={best.s}")
    flagged = []
    for r in rows_raw:
        f = r["flagged"]
        if f is None:
            continue
        sq = f["sq"].numpy()
        flagged.append(FlaggedPairs(s=r["s"], i=f["i"].numpy(), j=f["j"].numpy(), distance=np.sqrt(sq),
                                    left=f["left"].numpy(), right=f["right"].numpy(),
                                    within_threshold=sq <= squared_threshold(thr.value)))
    efc = None if thr.pair_false_alarm is None else pairs_total * thr.pair_false_alarm.value
    if thr.pair_false_alarm is None:
        notes.append("threshold not calibrated: its false-alarm rate is unknown")
    mem = None
    if train is not None:
        g = trial_generator(cfg.seed, 0, 10**6, dev)  # pragma: no mutate: a stream label: another constant draws another fresh stream, as valid and as disjoint from every trial stream (s >= 2)
        n_mem = positive_int("memorisation_samples", memorisation_samples)
        if size is not None:
            n_mem = min(n_mem, size)
        xs = src.draw(n_mem, generator=g)
        mem = memorisation_check(xs, train, threshold=thr.value, feature_map=feature_map,
                                 confidence=cfg.confidence, block=cfg.block)
    return BirthdayResult(source=name, config=cfg, threshold=thr, rows=tuple(rows), s_half=sh,
                          support_estimate=head, support_estimates=tuple(others),
                          nonuniformity=nonu, expected_false_collisions=efc,
                          flagged=tuple(flagged), memorisation=mem, notes=tuple(notes))
