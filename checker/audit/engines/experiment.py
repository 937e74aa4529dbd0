"""The ``experiment`` engine: a named check of :mod:`checker.experiments` (trust ``experiment``; *tested*).

Establishes: that the experiment passed on its own terms (sampled evidence, never a proof), and
only for the claim it is bound to: the binding is a hash of the claim's text and symbols
(:mod:`checker.audit.bindings`), so editing the claim unbinds it (``error``). A failing
experiment is ``failed``, counter-evidence.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

from checker.audit.budget import CheckTimeout
from checker.audit.outline import CheckSpec, Node
from checker.audit.verdict import CheckResult


def _experiment(node: Node, spec: CheckSpec, *, quick: bool) -> CheckResult:
    from checker import experiments
    from checker.errors import InvalidArgument

    name = spec.options["name"]
    try:
        exp = experiments.get(name)
    except InvalidArgument as exc:
        return CheckResult(kind="experiment", verdict="error", trust="experiment",
                           summary=f"unknown experiment: {exc}", detail={"name": name})
    from checker.audit.bindings import bound_to, claim_hash

    bound = experiments.tests_of(name)
    mine = claim_hash(node)
    if mine not in bound_to(name):
        return CheckResult(kind="experiment", verdict="error", trust="experiment",
                           summary=f"experiment {name} is not bound to this claim (claim hash {mine}; it is "
                                   f"bound to {', '.join(bound_to(name)) or 'no claim'}, written for "
                                   f"{', '.join(bound) or 'no declared node'}): an experiment is evidence only "
                                   "for the claim it was bound to, and editing a claim unbinds it",
                           detail={"name": name, "binds": list(bound), "claim_hash": mine})
    seed = int(spec.options.get("seed", 0))
    try:
        res = experiments.run(name, seed=seed, quick=quick)
    except (CheckTimeout, KeyboardInterrupt):
        raise
    except Exception as exc:  # an experiment that crashes is reported, never passed  # noqa: BLE001
        return CheckResult(kind="experiment", verdict="error", trust="experiment",
                           summary=f"experiment {name} raised {type(exc).__name__}: {exc}",
                           detail={"name": name, "seed": seed, "quick": quick})
    return CheckResult(kind="experiment", verdict="tested" if res.passed else "failed",
                       trust="experiment",
                       summary=f"{name} (seed {seed}, {'quick' if quick else 'full'}): {res.summary}",
                       detail={"name": name, "seed": seed, "quick": quick, "module": exp.module,
                               "description": exp.description, "evidence": res.evidence,
                               "binds": list(bound)})
