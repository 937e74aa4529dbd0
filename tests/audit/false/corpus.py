"""The false-claim corpus (issue 24.8): load it, audit one case, pick the fixed CI sample.

Two parts, both in this folder:

* ``mutants.json``: false mutants of every engine-checked claim of ``proofs/``, each with the
  point (its *witness*) where the claim fails, found independently of the checker by
  :mod:`tests.audit.false.generate`;
* ``hand/*.toml``: hand-written cases of each hole of issue 24 (capture, side conditions, empty
  ranges, binding checks, theorems that say nothing, the shipped outlines' own traps). In each
  file the nodes whose id starts with ``false.`` are the false claims (or the theorems that say
  nothing); every other node is support.

A case *passes* (the corpus fails) when the audit gives a false node a passing status
(``fully checked``, ``solver-checked``, ``checked modulo``; with the kernel on, also
``kernel-checked``), or passes a ``false.`` theorem. A case refused at load time (a one-line
outline error) does not pass.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MUTANTS = HERE / "mutants.json"
HAND = HERE / "hand"
#: Size of the fixed sample the normal test suite audits (every class of mutant is represented;
#: ``python -m benchmarks --only audit`` audits every case).
CI_SAMPLE = 24
PASSING = ("fully checked", "solver-checked", "kernel-checked", "checked modulo")


@dataclass(frozen=True, kw_only=True)
class Case:
    id: str
    cls: str
    outline: str            # TOML text (mutants) or a file path (hand-written)
    targets: tuple[str, ...]
    witness: dict | None = None
    allowlist: str | None = None


def mutants() -> list[Case]:
    data = json.loads(MUTANTS.read_text())
    return [Case(id=c["id"], cls=c["class"], outline=c["outline"], targets=(c["node"],), witness=c["witness"])
            for c in data["cases"]]


def hand_written() -> list[Case]:
    import tomllib

    out = []
    for f in sorted(HAND.glob("*.toml")):
        if f.name.endswith(".allow.toml"):
            continue
        ids = tuple(n["id"] for n in tomllib.loads(f.read_text())["node"] if n["id"].startswith("false."))
        allow = f.with_name(f.stem + ".allow.toml")
        out.append(Case(id=f"hand/{f.stem}", cls=f"hand: {f.stem.split('-')[0]}", outline=str(f), targets=ids,
                        allowlist=str(allow) if allow.exists() else None))
    return out


def all_cases() -> list[Case]:
    return hand_written() + mutants()


def ci_sample() -> list[Case]:
    """A fixed sample: every hand-written case, and mutants spread evenly over the list (every
    class is represented), ``CI_SAMPLE`` cases in all."""
    hand = hand_written()
    ms = mutants()
    k = max(CI_SAMPLE - len(hand), 1)
    step = max(len(ms) // k, 1)
    picked = ms[::step][:k]
    classes = {c.cls for c in ms}
    for cls in sorted(classes - {c.cls for c in picked}):
        picked.append(next(c for c in ms if c.cls == cls))
    return hand + picked


def audit_case(case: Case, *, kernel: bool = False, cache_dir: str | Path | None = None) -> tuple[bool, str]:
    """(passed, what happened) for one case; ``passed`` is the corpus failing. ``cache_dir``
    (the whole-corpus run with the kernel on) shares the audit cache between cases, so the Coq
    files of support nodes common to many cases compile once: a cached *pass* is never reused
    (the auditor recomputes it), a cached failure or Coq outcome only for an identical key."""
    import os

    old = os.environ.get("CHECKER_CACHE_DIR")
    if cache_dir is not None:
        os.environ["CHECKER_CACHE_DIR"] = str(cache_dir)
    try:
        return _audit_case(case, kernel=kernel, cache=cache_dir is not None)
    finally:
        if cache_dir is not None:
            if old is None:
                os.environ.pop("CHECKER_CACHE_DIR", None)
            else:
                os.environ["CHECKER_CACHE_DIR"] = old


def _audit_case(case: Case, *, kernel: bool, cache: bool) -> tuple[bool, str]:
    from checker.audit import audit
    from checker.errors import OutlineError

    with tempfile.TemporaryDirectory() as d:
        if case.outline.endswith(".toml") and "\n" not in case.outline:
            path = Path(case.outline)
        else:
            path = Path(d) / "case.toml"
            path.write_text(case.outline)
        try:
            r = audit([path], cache=cache, run_experiments=False, kernel=kernel,
                      allowlist=case.allowlist, trust_cache=False)
        except OutlineError as exc:
            return False, f"refused at load: {str(exc)[:160]}"
    bad = []
    for t in case.targets:
        if t in r.theorems:   # a theorem fails the corpus when it passes (allow-list included)
            if r.theorems[t].passed:
                bad.append(f"{t}: theorem passed ({r.theorems[t].status})")
        elif r.nodes[t].status in PASSING:
            bad.append(f"{t}: {r.nodes[t].status}")
    if bad:
        return True, "; ".join(bad)
    return False, ", ".join(f"{t}: {r.nodes[t].status}" + (f" (theorem not passed: {', '.join(r.theorems[t].disallowed)})"
                                                          if t in r.theorems else "") for t in case.targets)
