"""The kernel's verdict on an audit result (issue 23.4-23.5): *kernel-checked* or
*solver-checked* per node, "fully checked" only when kernel-checked all the way down, and
``Print Assumptions`` compared with checker's own trust set.

Called by :func:`checker.audit.auditor.audit` after statuses are derived. A node whose claim
z3 or sympy proved (outright, or derived from used claims) is

* *kernel-checked* when its Coq lemma closed with ``Qed`` in the final file;
* *solver-checked* otherwise, with the goal Coq left open or the reason it was not stated.

A node whose status was "fully checked" keeps it only when every proved node under it is
kernel-checked; otherwise it becomes "solver-checked". For every kernel-checked theorem, the
node ids behind its ``Print Assumptions`` (less :data:`~checker.audit.kernel.runner.STANDARD_AXIOMS`)
must equal the set computed from checker's support graph (cited and assumed leaves, and the
nodes the kernel left open); a disagreement is an audit error.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from checker.audit.kernel.plan import KernelReport, kernel_check

__all__ = ["apply_kernel", "expected_axioms", "SKIPPED", "NOT_RUN", "BEYOND"]

SKIPPED = "the Coq kernel was skipped (--no-kernel); every verdict is solver-checked"
#: the note when the caller did not ask for the kernel (the library's default; only
#: ``checker audit`` runs it)
NOT_RUN = ("the Coq kernel was not run (only `checker audit` runs it); every proved verdict is "
           "solver-checked")
#: kernel_reason of a node no solver proved whose claim a hand proof in Coq closed
BEYOND = "no solver proved it; a hand proof in Coq did (checker's trust still counts its own checks)"


def _closure(reports, nid):
    seen, stack = {nid}, [nid]
    while stack:
        for d in reports[stack.pop()].support:
            if d not in seen:
                seen.add(d)
                stack.append(d)
    return seen


def expected_axioms(reports, nodes, verdicts, nid) -> set[str]:
    """What checker's support graph says a kernel-checked node rests on, in Coq's terms: every
    cited or assumed node reached through kernel-checked nodes, and every node reached that the
    kernel did not close (it is an axiom of the Coq file)."""
    out: set[str] = set()
    seen, stack = {nid}, [nid]
    while stack:
        m = stack.pop()
        for d in reports[m].support:
            if d in seen:
                continue
            seen.add(d)
            v = verdicts.get(d)
            if nodes[d].kind in ("cited", "assumption") or v is None or v.state != "kernel-checked":
                out.add(d)
            else:
                stack.append(d)
    return out


def apply_kernel(result, nodes, modes, order, *, kernel: bool, cache_dir: Path | None,
                 note: str = SKIPPED) -> list[str]:
    """Label every node, relabel statuses, attach the Coq files; returns extra error lines."""
    reports = result.nodes
    proved: dict[str, list[str]] = {}
    for nid, rep in reports.items():
        n = nodes[nid]
        if n.kind in ("cited", "assumption") or rep.own != "checked" or modes.get(nid) not in ("outright", "derived"):
            continue
        proved[nid] = list(rep.support) if modes[nid] == "derived" else []
    if kernel:
        kr = kernel_check(list(result.outlines), order, proved, cache_dir=cache_dir)
    else:
        kr = KernelReport(ran=False, note=note)
    errors = list(kr.errors)
    verdicts = kr.verdicts
    for nid, rep in reports.items():
        v = verdicts.get(nid)
        state = ""
        if nid in proved:
            state = "kernel-checked" if v is not None and v.state == "kernel-checked" else "solver-checked"
        if not state and v is not None and v.state == "kernel-checked":
            # no solver proved it, a hand proof in Coq did: said beside checker's own status
            state = "kernel-checked"
            object.__setattr__(rep, "status_text", f"{rep.status_text} (its claim kernel-checked)")
            object.__setattr__(rep, "kernel_reason", BEYOND)
        object.__setattr__(rep, "kernel", state)
        object.__setattr__(rep, "coq", kr.statements.get(nid, ""))
        if v is not None and state == "solver-checked":
            object.__setattr__(rep, "kernel_goal", v.goal)
            object.__setattr__(rep, "kernel_reason", v.reason or ("no Coq statement" if not v.statement else ""))
        elif state == "solver-checked":
            object.__setattr__(rep, "kernel_reason", kr.note or "not stated in Coq")
    for nid, rep in reports.items():
        solver = [m for m in _closure(reports, nid) if reports[m].kernel == "solver-checked" and m in proved]
        if rep.status == "fully checked" and solver:
            object.__setattr__(rep, "status", "solver-checked")
            object.__setattr__(rep, "status_text", "solver-checked")
        elif rep.status == "checked modulo" and solver and kr.ran:  # (without the kernel: all of them)
            object.__setattr__(rep, "status_text", f"{rep.status_text} ({len(solver)} solver-checked)")
    for tid, t in list(result.theorems.items()):
        rep = reports[tid]
        counts: dict[str, int] = {}
        for m in _closure(reports, tid):  # the statuses under it, as relabelled above
            counts[reports[m].status] = counts.get(reports[m].status, 0) + 1
        result.theorems[tid] = replace(t, status=rep.status, status_text=rep.status_text,
                                       counts=dict(sorted(counts.items())))
        v = verdicts.get(tid)
        if v is None or v.state != "kernel-checked" or v.assumptions is None:
            continue
        want = expected_axioms(reports, nodes, verdicts, tid)
        got = set(v.assumptions)
        if got != want or v.foreign:
            errors.append(f"{nodes[tid].file}: node {tid!r}: Coq's Print Assumptions disagrees with checker's trust: "
                          f"Coq rests on {sorted(got) + list(v.foreign)}, checker on {sorted(want)}")
    # theorems stated for real in Coq (coq_theorem): said beside the outline's status; a failure
    # (no compile, an axiom outside the naming map, a set other than the declared one) fails the audit
    for nid, tv in sorted(kr.theorems.items()):
        rep = reports[nid]
        object.__setattr__(rep, "status_text", f"{rep.status_text}; {tv.words()}")
        if tv.state == "kernel-checked":
            head = f"(* stated for real: {tv.file}, {tv.name}; kernel-checked modulo " + (
                ", ".join(tv.axioms) or "Coq's real-number axioms only") + " *)"
            block = f"{head}\n{tv.statement}"
            object.__setattr__(rep, "coq", block + ("\n\n(* the outline's claim: *)\n" + rep.coq if rep.coq else ""))
        else:
            errors.append(f"{nodes[nid].file}: node {nid!r}: coq_theorem: {tv.reason}")
        if nid in result.theorems:
            result.theorems[nid] = replace(result.theorems[nid], status_text=rep.status_text)
    object.__setattr__(result, "kernel", kr)
    return errors
