"""Measure how often the suite's seeded experiment tests would fail at a seed nobody tuned.

Every experiment test runs at a fixed seed, so the suite is deterministic. A reader still wants
the false-failure probability of each statistical threshold: the chance that the assertion fails
on a correct program at a fresh seed. This script measures it:

* ``experiments``: every registered experiment (``checker.experiments``; the tests assert
  ``passed`` at a fixed seed, quick mode) at seeds FIRST..LAST-1;
* ``training``: the four configurations of
  ``tests/wrm/test_training.py::test_short_runs_reach_95_percent`` (ERM/WRM x ReLU/ELU, 30
  epochs, >= 95 % clean test accuracy) at seeds FIRST..LAST-1.

For each it prints the failures out of the runs and a one-sided 95 % upper bound on the per-run
failure probability (exact binomial, Clopper-Pearson). Results are recorded in docs/testing.md.

    python3 scripts/false_failure.py experiments 1 21
    python3 scripts/false_failure.py training 1 21      # 80 runs, about 5 min on 2 cores
"""

from __future__ import annotations

import sys
import time

from scipy import stats

TRAINING_THRESHOLD = 0.95  # the training test's threshold


def upper95(fails: int, runs: int) -> float:
    """One-sided 95 % Clopper-Pearson upper bound on a failure probability."""
    return 1.0 if fails >= runs else float(stats.beta.ppf(0.95, fails + 1, runs - fails))


def experiments(first: int, last: int) -> list[tuple[str, int, int, str]]:
    from checker import experiments as ex

    rows = []
    for name in ex.names():
        fails, worst = 0, ""
        for seed in range(first, last):
            r = ex.run(name, seed=seed, quick=True, reuse=False)
            if not r.passed:
                fails += 1
                worst = worst or f"seed {seed}: {r.summary}"
        rows.append((name, fails, last - first, worst))
        print(f"{name}: {fails} of {last - first} failed; <= {upper95(fails, last - first):.3f}", flush=True)
    return rows


def training(first: int, last: int) -> list[tuple[str, int, int, str]]:
    import torch

    from checker.wrm.data import synthetic
    from checker.wrm.training import TrainConfig, train

    torch.set_num_threads(1)
    data = synthetic(2000, seed=0)  # the test's data
    rows = []
    for method in ("erm", "wrm"):
        for activation in ("relu", "elu"):
            fails, low = 0, 1.0
            for seed in range(first, last):
                r = train(TrainConfig(method=method, activation=activation, epochs=30, seed=seed),
                          data=data, device="cpu")
                fails += r.test_accuracy < TRAINING_THRESHOLD
                low = min(low, r.test_accuracy)
            rows.append((f"training {method}-{activation}", fails, last - first, f"lowest accuracy {low:.4f}"))
            print(f"{method}-{activation}: {fails} of {last - first} below {TRAINING_THRESHOLD}; "
                  f"lowest {low:.4f}", flush=True)
    return rows


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in ("experiments", "training"):
        print("usage: scripts/false_failure.py {experiments|training} FIRST LAST", file=sys.stderr)
        return 2
    try:
        first, last = int(argv[1]), int(argv[2])
    except ValueError:
        print("false_failure: FIRST and LAST must be integers", file=sys.stderr)
        return 2
    if last <= first:
        print("false_failure: LAST must exceed FIRST", file=sys.stderr)
        return 2
    t0 = time.time()
    try:
        rows = (experiments if argv[0] == "experiments" else training)(first, last)
    except KeyboardInterrupt:
        return 130
    total_f, total_n = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print("\n| check | failed / runs | per-run failure probability (95 % upper) | note |\n|---|---|---|---|")
    for name, f, n, note in rows:
        print(f"| `{name}` | {f} / {n} | {upper95(f, n):.3f} | {note} |")
    print(f"\nall: {total_f} of {total_n} runs failed, seeds {first}..{last - 1}, {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
