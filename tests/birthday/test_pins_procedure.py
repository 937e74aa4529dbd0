"""Pins of ``checker.birthday.procedure``: configuration rules, the automatic grid, the per-trial
random streams, the triple count, and how the result is assembled.

References: exact counts by ``math.comb`` on hand-built duplicate graphs and on replayed trials
of a source with known support (``N`` exact atoms; each trial's labels are re-drawn from the same
documented stream, no pair search); the automatic grid's sizes by hand (doubling, then
``round(prev (s/prev)^(1/3))`` and ``^(2/3)``); Clopper–Pearson ends where a grid decision rests
on them are computed with ``scipy.stats.beta`` only to show which side of 1/2 they fall on.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch

from checker.birthday.calibrate import Threshold
from checker.birthday.pairs import closest_pairs
from checker.birthday.procedure import (
    BirthdayConfig,
    _auto_next,
    _components_triples,
    run_birthday_test,
    trial_generator,
)
from checker.birthday.sources import ArraySource
from checker.birthday.stats import Interval, clopper_pearson, tb_heuristic_estimate, uniform_inversion_estimate
from checker.errors import InvalidArgument


class Atoms:
    """Uniform over N exact atoms 10 e_v; counts how many rows it was asked for."""

    name = "atoms"

    def __init__(self, N: int):
        self.N = N
        self.drawn = 0

    def draw(self, n, *, generator):
        self.drawn += n
        labels = torch.randint(0, self.N, (n,), generator=generator, device=generator.device)
        return torch.nn.functional.one_hot(labels, self.N).to(torch.float64) * 10.0


def replay(seed: int, s: int, trials: int, N: int):
    """(duplicate trials, collisions, triples) by label counts of the replayed streams."""
    dups = coll = trip = 0
    for t in range(trials):
        labels = torch.randint(0, N, (s,), generator=trial_generator(seed, s, t)).tolist()
        counts = Counter(labels).values()
        c = sum(math.comb(v, 2) for v in counts)
        coll, dups, trip = coll + c, dups + (c > 0), trip + sum(math.comb(v, 3) for v in counts)
    return dups, coll, trip


# ---- configuration ----------------------------------------------------------------------------

def test_config_defaults():
    # the documented defaults of BirthdayConfig (its signature): automatic grid from 8 to 4096,
    # 50 trials, the paper's K = 20 flagged pairs, seed 0, 95% intervals, adaptive blocks
    c = BirthdayConfig()
    assert (c.s_values, c.trials, c.k, c.seed, c.confidence, c.s_min, c.s_max, c.block) == (
        None, 50, 20, 0, 0.95, 8, 4096, None)


def test_config_rules_and_their_boundaries():
    ok = BirthdayConfig(s_values=(9, 2, 5), trials=1, k=1, seed=0, confidence=0.5, s_min=2, s_max=2,
                        block=1)
    assert ok.s_values == (2, 5, 9)  # sorted
    bad = [
        (dict(s_values=(2, 1)), "s="),
        (dict(s_values=()), "s_values="),
        (dict(s_values=(4, 8, 4)), "s_values="),
        (dict(trials=0), "trials="),
        (dict(k=0), "k="),
        (dict(seed=-1), "seed="),
        (dict(confidence=1.5), "confidence="),
        (dict(s_min=1), "s_min="),
        (dict(s_min=10, s_max=9), "s_max="),
        (dict(block=0), "block="),
    ]
    for kw, name in bad:
        with pytest.raises(InvalidArgument) as e:
            BirthdayConfig(**kw)
        assert str(e.value).startswith(name), (kw, str(e.value))
    with pytest.raises(InvalidArgument, match="must not repeat"):
        BirthdayConfig(s_values=(4, 8, 4))
    with pytest.raises(InvalidArgument, match="must not be empty"):
        BirthdayConfig(s_values=())


# ---- random streams ---------------------------------------------------------------------------

def test_trial_stream_is_the_documented_seed_sequence():
    """Resume and cross-version stability rest on this derivation: the generator's seed is the
    64-bit number whose high and low 32-bit words are SeedSequence([seed, s, trial])'s first two
    state words."""
    for seed, s, t in [(0, 8, 0), (3, 12, 4), (2**31, 4096, 49)]:
        w = np.random.SeedSequence([seed, s, t]).generate_state(2, dtype=np.uint32)
        g = trial_generator(seed, s, t)
        assert g.initial_seed() == int(w[0]) * 2**32 + int(w[1])
        assert g.device.type == "cpu"
    seeds = {trial_generator(1, s, t).initial_seed() for s in (2, 3) for t in (0, 1)}
    assert len(seeds) == 4


# ---- the triple count -------------------------------------------------------------------------

def test_components_triples_counts_every_component():
    # components (as edge lists, not cliques): sizes 5 (a path), 4 (a star), 3, 2, and singletons
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (10, 5), (10, 6), (10, 7), (8, 9), (9, 11), (12, 13),
             (4, 0)]  # a cycle edge inside the first component: no new merge
    i = np.array([a for a, _ in edges])
    j = np.array([b for _, b in edges])
    want = math.comb(5, 3) + math.comb(4, 3) + math.comb(3, 3) + math.comb(2, 3)
    assert _components_triples(20, i, j) == want == 15
    assert _components_triples(20, j, i) == want
    assert _components_triples(5, np.zeros(0, dtype=int), np.zeros(0, dtype=int)) == 0
    assert _components_triples(3, np.array([0]), np.array([2])) == 0
    # a long path merges into one component of 8: C(8, 3) = 56
    assert _components_triples(8, np.arange(7), np.arange(1, 8)) == 56
    assert _components_triples(8, np.arange(1, 8), np.arange(7)) == 56


# ---- the automatic grid -----------------------------------------------------------------------

def _done(**dups):
    return {int(k[1:]): {"dups": v} for k, v in dups.items()}


def test_auto_grid_doubles_then_refines():
    cfg = BirthdayConfig(trials=10, confidence=0.95, s_min=8, s_max=4096)
    assert _auto_next({}, cfg, 4096) == 8
    assert _auto_next({}, cfg, 5) == 5  # the cap wins over s_min
    assert _auto_next(_done(s8=0), cfg, 4096) == 16
    assert _auto_next(_done(s8=0, s16=3), cfg, 4096) == 32
    # 8/10 duplicates: value < 0.9 and the 95% interval reaches below 1/2: keep doubling
    assert clopper_pearson(8, 10).low < 0.5
    assert _auto_next(_done(s8=0, s16=3, s32=8), cfg, 4096) == 64
    # 10/10: the interval lies above 1/2: refine between 16 and 32 at 16 * 2^(1/3) = 20.16 and
    # 16 * 2^(2/3) = 25.40, rounded
    assert clopper_pearson(10, 10).low > 0.5
    assert _auto_next(_done(s8=0, s16=3, s32=10), cfg, 4096) == 20
    assert _auto_next(_done(s8=0, s16=3, s20=6, s32=10), cfg, 4096) == 25
    assert _auto_next(_done(s8=0, s16=3, s20=6, s25=7, s32=10), cfg, 4096) is None
    # already above 1/2 at the first size: nothing to refine
    assert _auto_next(_done(s8=10), cfg, 4096) is None
    # the cap: stop at it, and the doubling is clipped to it
    assert _auto_next(_done(s8=0), cfg, 8) is None
    assert _auto_next(_done(s8=0), cfg, 12) == 12
    assert _auto_next(_done(s8=0, s12=0), cfg, 12) is None


def test_auto_grid_stop_rules_at_their_boundaries():
    # rate exactly 0.9 stops the doubling (>=) even when the interval still reaches below 1/2
    cfg = BirthdayConfig(trials=10, confidence=0.9999, s_min=8)
    assert clopper_pearson(9, 10, confidence=0.9999).low < 0.5
    assert _auto_next(_done(s8=0, s16=9), cfg, 4096) == 10  # round(8 * 2^(1/3)) = round(10.08)
    assert _auto_next(_done(s8=0, s16=8), cfg, 4096) == 32
    # interval above 1/2 with a rate below 0.9 also stops (40/50 = 0.8)
    cfg = BirthdayConfig(trials=50, confidence=0.95, s_min=8)
    assert clopper_pearson(40, 50).low > 0.5
    assert _auto_next(_done(s8=0, s16=40), cfg, 4096) == 10  # round(8 * 2^(1/3)) = 10
    assert _auto_next(_done(s8=0, s16=40, s10=20), cfg, 4096) == 13  # round(8 * 2^(2/3)) = 12.7


def test_automatic_grid_end_to_end_and_the_cap_of_saved_samples():
    # 20 saved rows, all distinct: no duplicates ever, so the grid doubles 8, 16 and stops at the
    # cap of 20 rows (s_max is larger)
    rows = torch.arange(20 * 3, dtype=torch.float64).reshape(20, 3)
    res = run_birthday_test(rows, threshold=0.5, config=BirthdayConfig(trials=2, seed=1))
    assert [r.s for r in res.rows] == [8, 16, 20]
    assert all(r.duplicates == 0 and r.collisions == 0 and r.triples == 0 for r in res.rows)
    # 2 trials of 20 > 20 rows: the trials re-use rows (a note says so)
    assert any("re-use rows" in n for n in res.notes)


# ---- the assembled result ---------------------------------------------------------------------

def test_saved_sample_limits():
    rows = torch.arange(12 * 2, dtype=torch.float64).reshape(12, 2)
    with pytest.raises(InvalidArgument, match=r"^s=13 must be <= the number of saved samples \(12\)"):
        run_birthday_test(rows, threshold=0.5, config=BirthdayConfig(s_values=(4, 13), trials=1))
    ok = run_birthday_test(rows, threshold=0.5, config=BirthdayConfig(s_values=(4, 12), trials=1))
    assert [r.s for r in ok.rows] == [4, 12]
    assert not any("re-use rows" in n for n in ok.notes)  # 12 * 1 rows: no re-use
    two = run_birthday_test(rows, threshold=0.5, config=BirthdayConfig(s_values=(3, 6), trials=2))
    assert not any("re-use rows" in n for n in two.notes)  # 6 * 2 = 12 rows exactly
    three = run_birthday_test(rows, threshold=0.5, config=BirthdayConfig(s_values=(3, 6), trials=3))
    assert any("re-use rows" in n for n in three.notes)  # 18 > 12


def test_source_returning_the_wrong_number_of_rows():
    class Short:
        name = "short"

        def draw(self, n, *, generator):
            return torch.zeros(n - 1, 2, dtype=torch.float64)

    with pytest.raises(InvalidArgument, match=r"^source output rows=3 must equal s=4"):
        run_birthday_test(Short(), threshold=1.0, config=BirthdayConfig(s_values=(4,), trials=1))


def test_result_assembly_on_known_support():
    """Rows, flagged pairs, the estimate at the grid point closest to 1/2, the expected false
    collisions of a calibrated threshold, and the JSON summary, against replayed exact counts."""
    # seed 6 gives the rates 0, 1/4, 1/2, 11/12, 3/4, 1 on this grid: the rate closest to 1/2
    # (s = 6) is neither the largest nor the smallest rate strictly inside (0, 1)
    N, trials, seed, grid = 30, 12, 6, (2, 3, 6, 8, 9, 14)
    fa = Interval(value=0.25, low=0.1, high=0.004, confidence=0.95)
    thr = Threshold(value=1.0, quantile=0.01, n_real=50, pair_false_alarm=fa, nn_quantiles={},
                    source="test")
    src = Atoms(N)
    res = run_birthday_test(src, threshold=thr,
                            config=BirthdayConfig(s_values=grid, trials=trials, seed=seed, k=20))
    pairs_total = 0
    rates = {}
    for row, s in zip(res.rows, grid):
        dups, coll, trip = replay(seed, s, trials, N)
        assert (row.s, row.trials, row.duplicates, row.collisions, row.triples) == (s, trials, dups, coll, trip)
        assert row.false_alarm_bound == min(1.0, s * (s - 1) / 2 * 0.004)
        rates[s] = row.rate
        pairs_total += trials * math.comb(s, 2)
    assert res.expected_false_collisions == pairs_total * 0.25
    assert not any("not calibrated" in n for n in res.notes)
    # the uniform inversion (and T-b) at the grid point whose rate is closest to 1/2 (first on ties)
    inv = [s for s in grid if 0 < rates[s].value < 1]
    assert len(inv) >= 2
    best = min(inv, key=lambda s: (abs(rates[s].value - 0.5), s))
    assert best not in (max(inv, key=lambda s: rates[s].value), min(inv, key=lambda s: rates[s].value))
    assert res.support_estimates[0] is res.support_estimate
    assert res.support_estimates[1] == uniform_inversion_estimate(best, rates[best])
    tb = tb_heuristic_estimate(best, rates[best])
    if tb is None:
        assert len(res.support_estimates) == 2
        assert f"T-b heuristic vacuous or undefined at s={best}" in res.notes
    else:
        assert res.support_estimates[2] == tb
    # flagged: the k closest pairs of trial 0 at each s (k capped at C(s, 2)), with the images
    assert [f.s for f in res.flagged] == list(grid)
    for f, s in zip(res.flagged, grid):
        x = Atoms(N).draw(s, generator=trial_generator(seed, s, 0))
        cp = closest_pairs(x, k=min(20, math.comb(s, 2)))
        assert f.i.tolist() == cp.i.tolist() and f.j.tolist() == cp.j.tolist()
        np.testing.assert_array_equal(f.distance, np.sqrt(cp.squared))
        np.testing.assert_array_equal(f.left, x[cp.i].numpy())
        np.testing.assert_array_equal(f.right, x[cp.j].numpy())
        assert f.within_threshold.tolist() == [bool(d <= 1.0) for d in cp.squared]
    # every trial drew exactly s rows once
    assert src.drawn == trials * sum(grid)
    summ = res.summary()
    assert summ["memorisation"] is None
    assert "FlaggedPairs" not in repr(res)  # the images stay out of the repr
    assert [r["s"] for r in summ["table"]] == list(grid)
    for r, s in zip(summ["table"], grid):
        inv_s = uniform_inversion_estimate(s, rates[s])
        assert r["uniform_inversion"] == (None if inv_s is None else inv_s.value)
        assert r["collisions"] == res.rows[grid.index(s)].collisions


class Spread:
    """Rows 10 * (k, k, k) with k the position in the draw: pairwise distance >= 10 sqrt 3."""

    name = "spread"

    def draw(self, n, *, generator):
        return torch.arange(n, dtype=torch.float64)[:, None].repeat(1, 3) * 10.0


def test_uncalibrated_threshold_and_rate_zero_rows():
    res = run_birthday_test(Spread(), threshold=0.5,
                            config=BirthdayConfig(s_values=(2, 3), trials=2, seed=0))
    assert res.expected_false_collisions is None
    assert "threshold not calibrated: its false-alarm rate is unknown" in res.notes
    assert all(r.false_alarm_bound is None for r in res.rows)
    # no rate strictly between 0 and 1: only the collision-count estimate
    assert [r.duplicates for r in res.rows] == [0, 0]
    assert res.support_estimates == (res.support_estimate,)
    assert all(r.uniform_inversion is None and r.tb_heuristic is None for r in res.rows)
    assert res.summary()["table"][0]["uniform_inversion"] is None


def test_checkpoint_resume_draws_nothing_again(tmp_path):
    ck = tmp_path / "ck.json"
    cfg = BirthdayConfig(s_values=(4, 6), trials=3, seed=2)
    first = Atoms(15)
    a = run_birthday_test(first, threshold=1.0, config=cfg, checkpoint=ck)
    assert ck.exists() and first.drawn == 3 * (4 + 6)
    again = Atoms(15)
    b = run_birthday_test(again, threshold=1.0, config=cfg, checkpoint=ck)
    assert again.drawn == 0  # every grid point came from the checkpoint
    assert [(r.s, r.duplicates, r.collisions, r.triples) for r in a.rows] == \
        [(r.s, r.duplicates, r.collisions, r.triples) for r in b.rows]
    fresh = Atoms(15)
    c = run_birthday_test(fresh, threshold=1.0, config=cfg)
    assert fresh.drawn == 3 * (4 + 6)
    assert [r.collisions for r in c.rows] == [r.collisions for r in a.rows]


def test_memorisation_sample_count_and_summary():
    rows = torch.arange(40 * 2, dtype=torch.float64).reshape(40, 2)
    train = rows[:10].clone()
    res = run_birthday_test(rows, threshold=0.5, config=BirthdayConfig(s_values=(3,), trials=1),
                            train=train, memorisation_samples=500)
    m = res.memorisation
    assert m is not None and m.n_samples == 40 and m.n_train == 10  # capped at the 40 saved rows
    # rows 0..9 are the training images: exactly those samples are at distance 0
    assert int(m.fraction_within.value * 40) == 10
    res = run_birthday_test(rows, threshold=0.5, config=BirthdayConfig(s_values=(3,), trials=1),
                            train=train, memorisation_samples=7)
    assert res.memorisation.n_samples == 7
    summ = res.summary()["memorisation"]
    assert summ["n_samples"] == 7 and summ["n_train"] == 10 and summ["threshold"] == 0.5
    with pytest.raises(InvalidArgument, match="^memorisation_samples="):
        run_birthday_test(rows, threshold=0.5, config=BirthdayConfig(s_values=(3,), trials=1),
                          train=train, memorisation_samples=0)
    assert run_birthday_test(ArraySource(rows), threshold=0.5,
                             config=BirthdayConfig(s_values=(3,), trials=1)).memorisation is None


def test_oversized_grid_is_refused_before_any_draw():
    class Saved(Atoms):
        size = 12

    src = Saved(5)
    with pytest.raises(InvalidArgument) as e:
        run_birthday_test(src, threshold=1.0, config=BirthdayConfig(s_values=(4, 13), trials=1))
    assert str(e.value) == "s=13 must be <= the number of saved samples (12) (a trial needs s distinct samples)"
    assert src.drawn == 0
    ok = Saved(5)
    res = run_birthday_test(ok, threshold=1.0, config=BirthdayConfig(s_values=(4, 12), trials=1))
    assert [r.s for r in res.rows] == [4, 12] and ok.drawn == 16


def test_automatic_grid_starts_at_the_cap_when_fewer_rows_are_saved():
    # 5 saved rows < s_min = 8: the automatic grid is the single size 5
    rows = torch.arange(5 * 2, dtype=torch.float64).reshape(5, 2)
    res = run_birthday_test(rows, threshold=0.5, config=BirthdayConfig(trials=1))
    assert [r.s for r in res.rows] == [5]
    cfg = BirthdayConfig(trials=1)
    assert _auto_next({5: {"dups": 0}}, cfg, 5) is None
