"""Which node becomes which Coq entry, and the kernel's verdict on the audit (issue 23.1-23.5).

:func:`kernel_check` is what the auditor calls: for every outline, in dependency order,

* a cited or assumed node with a claim becomes an ``Axiom`` (a leaf);
* a node whose claim z3 or sympy proved becomes a ``Lemma``; when it ``uses`` claims, the ones
  z3's unsat core needed (all of them when there is no core) are instantiated in its proof; so
  does a node with a hand proof (its ``coq_proof``) that no solver proved (the kernel's verdict is then reported
  beside checker's, which still counts the node's own evidence);
* a node with a claim that nothing proved, but that a lemma uses, becomes an ``Axiom`` marked
  OPEN (so every theorem resting on it shows it in ``Print Assumptions``).

Without ``coqc`` on PATH nothing runs, and the result says so once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from checker.audit.kernel.coqfile import Entry
from checker.audit.kernel.runner import KernelRun, KernelVerdict, coqc_path, run_files
from checker.audit.kernel.theorems import TheoremVerdict, check_theorems, coq_theorem_jobs
from checker.audit.kernel.translate import Untranslatable, coq_name, instance, translate_statement

__all__ = ["KernelReport", "kernel_check", "NO_COQC"]

NO_COQC = ("the Coq kernel did not run: coqc is not on PATH (install it with `apt-get install coq "
           "libcoq-interval`, see docs/guide/kernel.md); every verdict is solver-checked")


@dataclass(frozen=True, kw_only=True)
class KernelReport:
    ran: bool
    note: str = ""
    verdicts: Mapping[str, KernelVerdict] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    seconds: float = 0.0
    coqc_runs: int = 0
    cache_hits: int = 0
    statements: Mapping[str, str] = field(default_factory=dict)   # node id -> Coq statement
    theorems: Mapping[str, TheoremVerdict] = field(default_factory=dict)   # node id -> its coq_theorem


def hand_proofs(outlines) -> dict[str, str]:
    """Node id -> the Coq proof script its outline carries (``coq_proof = '''...'''``)."""
    return {n.id: n.coq_proof for o in outlines for n in o.nodes if n.coq_proof}


def kernel_check(outlines, order: list[str], proved: Mapping[str, list[str] | None], *,
                 cache_dir: Path | None, jobs: int | None = None, hand: Mapping[str, str] | None = None
                 ) -> KernelReport:
    """Check in Coq every node of ``proved`` (node id -> the used nodes to instantiate, or None
    for all its ``uses``). ``order`` is a topological order of all node ids."""
    nodes = {n.id: n for o in outlines for n in o.nodes}
    hand = hand_proofs(outlines) if hand is None else hand
    statements: dict[str, str] = {}
    stmts = {}
    early: dict[str, KernelVerdict] = {}
    for nid in order:
        n = nodes[nid]
        if n.statement.claim is None:
            continue
        try:
            stmts[nid] = translate_statement(nid, n.statement.source,
                                             [t for _, subs in n.uses for t in subs.values()])
            statements[nid] = stmts[nid].text
        except Untranslatable as exc:
            if nid in proved:
                early[nid] = KernelVerdict(node_id=nid, name=coq_name(nid), statement="", state="solver-checked",
                                           reason=f"not translated to Coq: {exc}")
    names = [coq_name(nid) for nid in stmts]
    if len(set(names)) != len(names):
        dup = sorted({x for x in names if names.count(x) > 1})
        raise ValueError(f"node ids map to the same Coq name: {dup}")
    # a node with a hand proof is tried even when no solver proved it (its trust in checker is
    # unchanged; the kernel's Qed is reported beside it)
    proved = dict(proved)
    for nid in hand:
        if (nid in stmts and nid not in proved and nodes[nid].kind not in ("cited", "assumption", "erratum")):
            proved[nid] = None
    needed = set()
    for nid in proved:
        prem = proved[nid]
        needed |= set(prem if prem is not None else [u for u, _ in nodes[nid].uses])
    coqc = coqc_path()
    if coqc is None:
        return KernelReport(ran=False, note=NO_COQC, statements=statements, verdicts=early)
    per_outline = []
    for o in outlines:
        ids = [nid for nid in order if nid in stmts and nodes[nid].file == o.file]
        entries: list[Entry] = []
        have = set()
        for nid in ids:
            n = nodes[nid]
            st = stmts[nid]
            common = dict(node_id=nid, name=st.name, statement=st.text, kind=n.kind, title=n.title)
            if n.kind in ("cited", "assumption"):
                entries.append(Entry(role="leaf", **common))
            elif nid in proved:
                prem = proved[nid]
                use_ids = [u for u, _ in n.uses if prem is None or u in prem]
                missing = [u for u in use_ids if u not in have]
                if missing:
                    early[nid] = KernelVerdict(node_id=nid, name=st.name, statement=st.text, state="solver-checked",
                                               reason=f"uses {', '.join(missing)}, which has no Coq statement here")
                    continue
                try:
                    uses = tuple((u, instance(n.statement.source, stmts[u], subs))
                                 for u, subs in n.uses if u in use_ids)
                except Untranslatable as exc:
                    early[nid] = KernelVerdict(node_id=nid, name=st.name, statement=st.text, state="solver-checked",
                                               reason=f"a used claim is not instantiated in Coq: {exc}")
                    continue
                entries.append(Entry(role="lemma", uses=uses, hand=hand.get(nid, ""), **common))
            elif nid in needed:
                entries.append(Entry(role="open", reason="no tool proved it", **common))
            else:
                continue
            have.add(nid)
        if entries:
            thms = [coq_name(nid) for nid in ids if nodes[nid].kind == "theorem"]
            per_outline.append((o.id, entries, thms))
    # the theorems stated for real (coq_theorem) compile beside the outlines' files
    from concurrent.futures import ThreadPoolExecutor

    from checker.audit.kernel.coqfile import prelude_text

    thm_jobs, thm_bad = coq_theorem_jobs(nodes)
    thm_runs = [0]
    with ThreadPoolExecutor(max_workers=1) as side:
        fut = side.submit(check_theorems, coqc, nodes, thm_jobs, prelude=prelude_text(), cache_dir=cache_dir,
                          counter=thm_runs)
        run: KernelRun = run_files(coqc, per_outline, cache_dir=cache_dir, jobs=jobs)
        theorems = {**fut.result(), **thm_bad}
    verdicts = dict(early)
    verdicts.update(run.verdicts)
    return KernelReport(ran=True, verdicts=verdicts, files=run.files, errors=run.errors, seconds=run.seconds,
                        coqc_runs=run.coqc_runs + thm_runs[0], cache_hits=run.cache_hits, statements=statements,
                        theorems=theorems)
