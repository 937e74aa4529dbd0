"""Benchmark of the proof audit: a warm run (every check answered from the content-addressed
cache) against a cold run (every symbolic/SMT/interval/property check executed), both on the
repository's proofs/ with experiments skipped (they are benchmarked in their own areas)."""

from __future__ import annotations

import os
import tempfile
import time

from benchmarks._harness import Row

__all__ = ["run"]


def run(*, quick: bool) -> list[Row]:
    from checker.audit import audit

    old = os.environ.get("CHECKER_CACHE_DIR")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CHECKER_CACHE_DIR"] = cache
        try:
            t0 = time.perf_counter()
            cold = audit(cache=True, run_experiments=False)
            t_cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            warm = audit(cache=True, run_experiments=False)
            t_warm = time.perf_counter() - t0
        finally:
            if old is None:
                os.environ.pop("CHECKER_CACHE_DIR", None)
            else:
                os.environ["CHECKER_CACHE_DIR"] = old
    # (checks of kind `library` compare with the bound library's current text and always re-run)
    assert warm.cache_hits > 0 and warm.checks_run < cold.checks_run, "the warm run must use the cache"
    return [Row(area="audit", name=f"audit proofs/ ({len(cold.nodes)} nodes), experiments skipped",
                baseline="cold run (every check executed)", candidate="warm run (content-addressed cache)",
                baseline_s=t_cold, candidate_s=t_warm, ratio=t_cold / t_warm, device="cpu",
                extra={"checks_run_cold": cold.checks_run, "cache_hits_warm": warm.cache_hits,
                       "note": "single measurement each (a cold run cannot be repeated warm-free)"})]
