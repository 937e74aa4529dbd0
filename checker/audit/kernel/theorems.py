"""Theorems stated for real in Coq, wired into the audit (issue 23.7).

An outline node may name a Coq theorem that states its result for real (not the outline's scalar
skeleton)::

    coq_theorem = { file = "coq/Birthday.v", name = "birthday_collision_exp_bound",
                    axioms = ["cite.counting"] }

``file`` is relative to the outline's folder (no ``..``); ``axioms`` lists the cited or assumed
nodes of the outlines the theorem may rest on. The kernel runner compiles the file with plain
``coqc`` (with ``CheckerPrelude.v`` beside it), prints the theorem's statement (``Check``) and
its ``Print Assumptions``, and compares them:

* **naming map**: the Coq ``Axiom`` or ``Parameter`` for node ``a.b`` is named ``a__b``
  (:func:`~checker.audit.kernel.translate.coq_name`, as in the generated files), or
  ``a__b__<suffix>`` for an object the cited fact speaks of (the probability in the counting
  fact, say); the axioms of Coq's real numbers (:func:`~checker.audit.kernel.runner.is_standard_axiom`)
  are not checker's trust;
* the node is *kernel-checked modulo* the named nodes when the file compiled, every other axiom
  maps to a node by that map, and the mapped set equals ``axioms``; any other outcome (the file
  does not compile, an unmapped axiom such as an ``Admitted`` lemma, a different set, a declared
  axiom that is not a cited/assumed node the theorem depends on) is an audit error.

What the statement *means* is for a reader to judge: the report prints Coq's own rendering of
it beside the outline's claim.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from checker.audit.kernel.runner import FILE_BASE_SECONDS, coq_version, is_standard_axiom, run_coqc
from checker.audit.kernel.translate import coq_name

__all__ = ["TheoremVerdict", "check_theorems", "coq_theorem_jobs", "axiom_owner"]

MARK = "@@CKT"
#: Wall-clock limit of one Coq theorem file (it may load Coquelicot and run interval).
THEOREM_FILE_SECONDS = 240


@dataclass(frozen=True, kw_only=True)
class TheoremVerdict:
    node_id: str
    file: str                      # as written in the outline
    name: str                      # the Coq theorem
    state: str                     # kernel-checked | failed
    statement: str = ""            # Coq's rendering of the theorem's type (``Check``)
    axioms: tuple[str, ...] = ()   # node ids behind Print Assumptions (by the naming map)
    declared: tuple[str, ...] = ()
    reason: str = ""

    def words(self) -> str:
        if self.state != "kernel-checked":
            return f"its Coq statement ({self.file}, {self.name}) failed: {self.reason}"
        from checker.audit.words import COQ_THEOREM_WORDS

        rest = ", ".join(self.axioms) if self.axioms else "nothing but Coq's real-number axioms"
        return f"stated in Coq ({self.name}): {COQ_THEOREM_WORDS} {rest}"


def axiom_owner(axiom: str, leaves: dict[str, str]) -> str | None:
    """The node an axiom of Print Assumptions stands for (``leaves``: Coq name -> node id)."""
    if axiom in leaves:
        return leaves[axiom]
    for cname, nid in leaves.items():
        if axiom.startswith(cname + "__"):
            return nid
    return None


def _closure(nodes, nid) -> set[str]:
    seen, stack = {nid}, [nid]
    while stack:
        for d in nodes[stack.pop()].deps:
            if d in nodes and d not in seen:
                seen.add(d)
                stack.append(d)
    return seen


def coq_theorem_jobs(nodes) -> tuple[dict[Path, list[str]], dict[str, TheoremVerdict]]:
    """Group the nodes with a ``coq_theorem`` by resolved file; nodes whose declaration is
    refused before any compile get a failed verdict."""
    jobs: dict[Path, list[str]] = {}
    bad: dict[str, TheoremVerdict] = {}
    for nid, n in nodes.items():
        if n.coq_theorem is None:
            continue
        rel, name, declared = n.coq_theorem
        base = Path(n.file).resolve().parent
        path = (base / rel).resolve()
        why = ""
        if not path.is_relative_to(base) or not path.is_file():
            why = f"{rel!r} is not a file below the outline's folder"
        reach = _closure(nodes, nid)
        for d in declared:
            if d not in nodes or nodes[d].kind not in ("cited", "assumption"):
                why = why or f"axioms: {d!r} is not a cited or assumed node of the audited outlines"
            elif d not in reach:
                why = why or f"axioms: {d!r} is not among the nodes {nid!r} depends on (uses, uses_proof, uses_statement)"
        if why:
            bad[nid] = TheoremVerdict(node_id=nid, file=rel, name=name, state="failed", declared=declared, reason=why)
            continue
        jobs.setdefault(path, []).append(nid)
    return jobs, bad


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _compile(coqc: str, path: Path, names: list[str], prelude: str) -> dict:
    text = path.read_text(encoding="utf-8")
    tail = []
    for name in names:
        tail += [f'Goal True. idtac "{MARK} CHECK {name}". Abort.', f"Check {name}.",
                 f'Goal True. idtac "{MARK} ASSUMPTIONS {name}". Abort.', f"Print Assumptions {name}."]
    tail.append(f'Goal True. idtac "{MARK} END". Abort.')
    with tempfile.TemporaryDirectory(prefix="checker-coqthm-") as tmp:
        d = Path(tmp)
        (d / "CheckerPrelude.v").write_text(prelude, encoding="utf-8")
        (d / path.name).write_text(text + "\n" + "\n".join(tail) + "\n", encoding="utf-8")
        steps = ([["CheckerPrelude.v"]] if re.search(r"\bCheckerPrelude\b", text) else []) + [[path.name]]
        for step in steps:
            rc, out, err = run_coqc(coqc, step, d, THEOREM_FILE_SECONDS + FILE_BASE_SECONDS,
                                    separate_stderr=True)
            if rc == 124:
                return {"rc": 124, "out": f"coqc ran past {THEOREM_FILE_SECONDS + FILE_BASE_SECONDS} s"}
            if rc != 0:
                both = out + err
                msg = both[both.find("Error:"):] if "Error:" in both else both
                return {"rc": rc, "out": " ".join(msg.split())[:400]}
    return {"rc": 0, "out": out}


def _parse(out: str) -> dict[str, dict]:
    """name -> {"statement": Coq's Check output, "axioms": [names]}."""
    res: dict[str, dict] = {}
    cur, what = None, None
    for line in out.splitlines():
        if MARK in line:
            parts = line[line.index(MARK):].split()
            if parts[1] == "END":
                cur = None
                continue
            what, cur = parts[1], parts[2]
            res.setdefault(cur, {"statement": [], "axioms": []})
            continue
        if cur is None:
            continue
        if what == "CHECK":
            res[cur]["statement"].append(line)
        elif line.strip() and not line.startswith((" ", "\t")) and not line.startswith(
                ("Axioms:", "Closed under the global context")):
            m = re.match(r"^([A-Za-z_][\w.']*)(\s*:|$)", line)
            if m:
                res[cur]["axioms"].append(m.group(1))
    for v in res.values():
        v["statement"] = "\n".join(v["statement"]).strip()
    return res


def check_theorems(coqc: str, nodes, jobs: dict[Path, list[str]], *, prelude: str, cache_dir: Path | None,
                   counter: list | None = None) -> dict[str, TheoremVerdict]:
    """Compile every file in ``jobs`` (one ``coqc`` each; cached by the SHA-256 of the file, the
    prelude, the theorem names and the Coq version) and judge each node's theorem."""
    leaves = {coq_name(nid): nid for nid, n in nodes.items() if n.kind in ("cited", "assumption")}
    out: dict[str, TheoremVerdict] = {}
    version = coq_version(coqc)

    def one(item):
        path, nids = item
        names = sorted({nodes[nid].coq_theorem[1] for nid in nids})
        key = _key("coq-theorem", path.read_text(encoding="utf-8"), prelude, names, version)
        got, compiled = None, False
        entry = cache_dir / f"{key}.json" if cache_dir is not None else None
        if entry is not None and entry.is_file():
            try:
                d = json.loads(entry.read_text(encoding="utf-8"))
                if d.get("hash") == _key(key, d.get("value")):
                    got = d["value"]
            except (OSError, ValueError, AttributeError):
                got = None
        if got is None:
            got, compiled = _compile(coqc, path, names, prelude), True
            if entry is not None and got["rc"] in (0, 1):
                from checker.io import atomic_write_text

                try:
                    entry.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_text(entry, json.dumps({"value": got, "hash": _key(key, got)}))
                except OSError:
                    pass
        return path, nids, got, compiled

    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1))) as pool:
        done = list(pool.map(one, jobs.items()))
    if counter is not None:
        counter[0] += sum(c for *_, c in done)
    for path, nids, got, _ in done:
        parsed = _parse(got["out"]) if got["rc"] == 0 else {}
        for nid in nids:
            rel, name, declared = nodes[nid].coq_theorem
            common = dict(node_id=nid, file=rel, name=name, declared=declared)
            if got["rc"] != 0:
                out[nid] = TheoremVerdict(state="failed", reason=f"coqc rejected {rel}: {got['out']}", **common)
                continue
            p = parsed.get(name)
            if p is None or not p["statement"]:
                out[nid] = TheoremVerdict(state="failed", reason=f"Coq printed no statement for {name}", **common)
                continue
            ours = [a for a in p["axioms"] if not is_standard_axiom(a)]
            owners = {a: axiom_owner(a, leaves) for a in ours}
            unmapped = sorted(a for a, o in owners.items() if o is None)
            mapped = tuple(sorted({o for o in owners.values() if o is not None}))
            if unmapped:
                reason = (f"Print Assumptions names {', '.join(unmapped)}, which is no cited or assumed node "
                          "(an Admitted lemma or an axiom outside the naming map)")
            elif set(mapped) != set(declared):
                reason = (f"Print Assumptions rests on {list(mapped)}, the outline declares {sorted(declared)}")
            else:
                reason = ""
            out[nid] = TheoremVerdict(state="failed" if reason else "kernel-checked", statement=p["statement"],
                                      axioms=mapped, reason=reason, **common)
    return out
