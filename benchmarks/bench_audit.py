"""Benchmark of the proof audit: a warm run (every check answered from the content-addressed
cache) against a cold run (every symbolic/SMT/interval/property check executed), both on the
repository's proofs/ with experiments skipped (they are benchmarked in their own areas); and the
linear-time status/trust pass on a 10,000-node chain outline against 1,000 nodes (a linear pass
takes about 10 times as long; the former per-node ancestor walk took about 100 times); and the
whole false-claim corpus of tests/audit/false/ (issue 24.8), every case audited with the kernel
off and, where coqc is installed, again with the Coq kernel on (issue 23), each with the count of
false claims that passed (must be 0).

The kernel-on corpus alone, without writing docs/benchmarks.md::

    python3 -m benchmarks.bench_audit --corpus-kernel
"""

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
            # cached passes reused without re-checking (by default they are recomputed)
            warm = audit(cache=True, run_experiments=False, trust_cache=True)
            t_warm = time.perf_counter() - t0
        finally:
            if old is None:
                os.environ.pop("CHECKER_CACHE_DIR", None)
            else:
                os.environ["CHECKER_CACHE_DIR"] = old
    # (checks of kind `library` compare with the bound library as loaded and always re-run)
    assert warm.cache_hits > 0 and warm.checks_run < cold.checks_run, "the warm run must use the cache"
    import shutil

    rows = _chain_rows() + _corpus_rows() + (_corpus_rows(kernel=True) if shutil.which("coqc") else [])
    return rows + [Row(area="audit", name=f"audit proofs/ ({len(cold.nodes)} nodes), experiments skipped",
                baseline="cold run (every check executed)", candidate="warm run (content-addressed cache)",
                baseline_s=t_cold, candidate_s=t_warm, ratio=t_cold / t_warm, device="cpu",
                extra={"checks_run_cold": cold.checks_run, "cache_hits_warm": warm.cache_hits,
                       "note": "single measurement each (a cold run cannot be repeated warm-free)"})]


def _corpus_rows(*, kernel: bool = False) -> list[Row]:
    """Every case of the false-claim corpus, audited; the row's figure is the number of false
    claims that passed (the ratio field carries the pass count, as a count, not a speed-up).
    With ``kernel`` the Coq kernel runs on every case, the cases sharing one audit cache (see
    :func:`tests.audit.false.corpus.audit_case`: Coq files common to many cases compile once)."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from tests.audit.false import corpus

    cases = corpus.all_cases()
    passed, per_class, t0 = [], {}, time.perf_counter()
    shared = tempfile.TemporaryDirectory(prefix="checker-corpus-") if kernel else None
    label = "kernel on" if kernel else "kernel off"
    for k, case in enumerate(cases):
        ok, what = corpus.audit_case(case, kernel=kernel, cache_dir=shared.name if shared else None)
        per_class[case.cls] = per_class.get(case.cls, 0) + 1
        if ok:
            passed.append(f"{case.id}: {what}")
        if (k + 1) % 50 == 0:
            print(f"  false-claim corpus ({label}): {k + 1}/{len(cases)} audited, {len(passed)} passed",
                  file=sys.stderr)
    dt = time.perf_counter() - t0
    if shared is not None:
        shared.cleanup()
    n_claims = sum(len(c.targets) for c in cases)
    print(f"false-claim corpus ({label}): {len(cases)} cases ({n_claims} false claims), {len(passed)} passed, "
          f"{dt:.0f} s", file=sys.stderr)
    return [Row(area="audit", name=f"false-claim corpus: {len(cases)} cases, {n_claims} false claims ({label})",
                baseline="cases audited", candidate="false claims that passed (must be 0)",
                baseline_s=dt, candidate_s=0.0, ratio=float(len(passed)), device="cpu",
                ratio_meaning="count of false claims that passed (0 is the only acceptable value)",
                extra={"cases": len(cases), "false_claims": n_claims, "passed": passed[:20],
                       "per_class": per_class, "seconds": round(dt, 1)})]


def _chain_text(n: int) -> str:
    head = '[outline]\nid = "chain"\ntitle = "chain"\npaper = "benchmark"\n'
    prov = 'provenance = { paper = "b", version = "v", where = "w", reliability = "[D]" }\n'
    parts = [head, f'\n[[node]]\nid = "c0"\nkind = "cited"\ntitle = "c0"\n{prov}'
                   '[[node.checks]]\nkind = "cited"\nname = "x"\nreference = "r"\n']
    for k in range(1, n):
        parts.append(f'\n[[node]]\nid = "c{k}"\nkind = "assumption"\ntitle = "c{k}"\n{prov}uses_proof = ["c{k - 1}"]\n'
                     '[[node.checks]]\nkind = "assumed"\nreason = "r"\n')
    return "".join(parts)


def _chain_rows() -> list[Row]:
    """A chain of n nodes, audited (loading, graph, checks, statuses and trust): 10,000 against
    1,000 nodes. Linear time gives a time ratio near 10 (quadratic: near 100)."""
    from checker.audit import audit

    times = {}
    ops = {}
    with tempfile.TemporaryDirectory() as d:
        for n in (1000, 10000):
            p = os.path.join(d, f"chain{n}.toml")
            with open(p, "w") as f:
                f.write(_chain_text(n))
            t0 = time.perf_counter()
            r = audit([p], cache=False, run_experiments=False)
            times[n] = time.perf_counter() - t0
            ops[n] = r.operations
            assert len(r.nodes) == n
    return [Row(area="audit", name="audit a 10,000-node chain outline vs a 1,000-node one",
                baseline="10,000-node chain", candidate="1,000-node chain", baseline_s=times[10000],
                candidate_s=times[1000], ratio=times[10000] / times[1000], device="cpu",
                ratio_meaning="time ratio for 10x the nodes (linear: about 10; quadratic: about 100)",
                extra={"operations_1000": ops[1000], "operations_10000": ops[10000]})]


if __name__ == "__main__":
    import argparse
    import json
    import sys

    ap = argparse.ArgumentParser(prog="python3 -m benchmarks.bench_audit", description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-kernel", action="store_true",
                    help="audit the whole false-claim corpus with the Coq kernel on; print the count that passed")
    a = ap.parse_args()
    if not a.corpus_kernel:
        ap.error("nothing to do: pass --corpus-kernel (the full benchmark is `python3 -m benchmarks --only audit`)")
    (row,) = _corpus_rows(kernel=True)
    print(json.dumps({"name": row.name, "passed": int(row.ratio), **row.extra}))
    sys.exit(0 if row.ratio == 0 else 1)
