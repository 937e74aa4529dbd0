"""The trust vocabulary of the audit, defined once (issue 11.3-11.4; docs/guide/audit.md).

Every place that says how well a theorem is established (the CLI, the HTML reports, the main
job's report, the docs) takes its words from here:

* :data:`STATUSES` -- the status keys a node can have, each with its prose;
* :data:`CATEGORIES` -- the kinds of leaf a checked result can rest on, weakest last;
* :func:`category_of` -- the category of a trust tag (``"cited:hoeffding"`` -> ``"cited"``);
* :func:`render_status` -- a status and its leaf counts as prose, e.g.
  ``"checked modulo 2 cited, 1 experiment"``;
* :func:`weakest` -- the weakest category among some leaves (colours the graphs).

"Fully checked" is said only when every leaf under a result is *proved*: symbolic (sympy), SMT
(z3 nonlinear real arithmetic, including derivations from used claims), exact evaluation, or an
interval proof on the whole stated domain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["STATUSES", "CATEGORIES", "PROOF_TAGS", "PASS_STATUSES", "BAD_STATUSES", "category_of",
           "render_status", "weakest", "COLOURS"]

#: Trust tags that record a proof by a tool that ran, on the whole stated domain.
PROOF_TAGS = ("symbolic", "smt-nra", "interval", "exact-eval", "derived")

#: Leaf categories, strongest first. ``box-only``: an interval proof on a box smaller than the
#: stated domain; ``tested``: sampled evidence (property search or a single point);
#: ``experiment``: a numerical check on built networks or trained models; ``cited``: an external
#: result taken on trust; ``assumed``: a hypothesis taken on trust; ``unchecked``: a node the
#: result rests on whose own checks did not pass.
CATEGORIES = ("proved", "box-only", "tested", "experiment", "cited", "assumed", "unchecked")

#: Tag of a node used informally whose hypotheses nothing discharged: ``hypotheses:NODE``. The
#: namespace is reserved (no check or node id produces it otherwise), so an allow-list pattern
#: for undischarged hypotheses cannot match an assumption node by accident (issue 24.3).
HYPOTHESES_PREFIX = "hypotheses:"
#: Prefixes of the tags that name a node.
NODE_TAG_PREFIXES = ("assumed:", HYPOTHESES_PREFIX)

#: Node statuses and their prose.
STATUSES: Mapping[str, str] = {
    "fully checked": "fully checked: every leaf it rests on is proved (symbolic, SMT, exact "
                     "evaluation, or interval arithmetic on the whole stated domain); with the Coq "
                     "kernel on, every obligation under it is also kernel-checked (closed with Qed)",
    "solver-checked": "solver-checked: every leaf it rests on is proved, by z3 or sympy, but the Coq "
                      "kernel did not close every obligation under it with Qed (the report shows the "
                      "goal Coq left open)",
    "checked modulo": "checked modulo the listed leaves: its own checks and everything it rests on "
                      "passed, but some leaves are assumed, cited, sampled or box-only",
    "locally checked": "its own checks passed, but a node it rests on is not checked",
    "stated": "stated only: no check establishes it (or the formula language cannot express it)",
    "trivial": "trivial: a theorem whose claim holds with no hypotheses and uses nothing; it says "
               "nothing about the result (never a pass of the theorem unless the allow-list names "
               "'trivial')",
    "defined": "a definition (nothing to check)",
    "refuted": "refuted: a counterexample was replayed exactly, or the negation was proved",
    "failed": "failed: an experiment found counter-evidence",
    "vacuous": "vacuous: its hypotheses cannot hold together, so it says nothing (never a pass)",
    "undecided": "undecided: the engines could neither prove nor refute it (never a pass)",
    "timeout": "timeout: a check ran out of its wall-clock limit (never a pass)",
    "error": "error: a check could not run (never a pass, never a refutation)",
    "skipped": "skipped: an experiment was not run (--skip-experiments)",
}

#: Statuses under which a node counts as established (possibly modulo trusted leaves).
PASS_STATUSES = ("fully checked", "solver-checked", "checked modulo", "defined")

#: Per-node words of the Coq kernel (issue 23): *kernel-checked* when Coq closed the node's
#: obligation with Qed; *solver-checked* when z3 or sympy proved it and the kernel did not.
#: With the kernel on, "fully checked" means kernel-checked all the way down.
KERNEL_WORDS = ("kernel-checked", "solver-checked")
#: A node's result stated for real in a Coq file (its ``coq_theorem``, issue 23.7) reads
#: "stated in Coq (NAME): kernel-checked modulo X, Y" when plain coqc compiled the file and the
#: theorem's Print Assumptions, mapped to nodes (``a__b`` is node ``a.b``), equals the declared
#: cited/assumed nodes X, Y; "... modulo nothing but Coq's real-number axioms" when it rests on
#: none. It is said beside the outline's own status, which it does not change.
COQ_THEOREM_WORDS = "kernel-checked modulo"
#: Statuses that fail the audit.
BAD_STATUSES = ("refuted", "failed", "vacuous", "undecided", "timeout", "error", "skipped",
                "locally checked")

#: Colour of each category in graphs and reports (weakest leaf colours a node).
COLOURS: Mapping[str, str] = {
    "proved": "#1CAC78", "box-only": "#7FD88F", "tested": "#C8E89A", "experiment": "#E8E27A",
    "cited": "#F2C46D", "assumed": "#F29D6D", "unchecked": "#FF6B6B",
}


def category_of(tag: str) -> str:
    """The leaf category of a trust tag."""
    if tag in PROOF_TAGS:
        return "proved"
    if tag.startswith("interval["):
        return "box-only"
    if tag.startswith("tested"):
        return "tested"
    if tag == "experiment":
        return "experiment"
    if tag.startswith("cited:"):
        return "cited"
    if tag.startswith(NODE_TAG_PREFIXES):
        return "assumed"
    if tag == "unchecked":
        return "unchecked"
    return "source"  # provenance notes (reconstructed, secondary-source, variant): not leaves


def counts(tags: Iterable[str]) -> dict[str, int]:
    """Leaf counts per category (provenance notes are not leaves)."""
    out: dict[str, int] = {}
    for t in tags:
        c = category_of(t)
        if c != "source":
            out[c] = out.get(c, 0) + 1
    return out


def weakest(tags: Iterable[str]) -> str:
    """The weakest leaf category among ``tags`` (``"proved"`` when there is none)."""
    cats = [category_of(t) for t in tags]
    cats = [c for c in cats if c != "source"]
    return max(cats, key=CATEGORIES.index) if cats else "proved"


def render_status(status: str, leaf_counts: Mapping[str, int] | None = None) -> str:
    """A status as the words the reports use: ``"fully checked"``, ``"checked modulo 2 cited,
    1 experiment"``, ``"refuted"`` ..."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if status == "checked modulo":
        parts = [f"{n} {c}" for c in CATEGORIES[1:] for n in [(leaf_counts or {}).get(c, 0)] if n]
        return "checked modulo " + ", ".join(parts) if parts else "fully checked"
    return status


__all__.append("counts")
