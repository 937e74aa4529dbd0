"""Running ``coqc``: the tactic ladder, hand proofs, the final files and ``Print Assumptions``
(issue 23.2-23.4, 23.8).

Per outline, in parallel (one ``coqc`` per outline and per hand proof, ``os.cpu_count()`` at a
time):

1. a *trial* file tries every rung of :data:`checker.audit.kernel.coqfile.LADDER` on every lemma
   without a hand proof (each rung under Coq's ``timeout``); it only tells which rung to keep,
   it proves nothing;
2. the *final* file states every lemma with its hand proof (the node's ``coq_proof``) or
   the one rung that closed it, and ``Qed``, the rest as axioms, and prints ``Print
   Assumptions`` of each closed theorem. **Only this compile counts**: a lemma is
   *kernel-checked* when the final file compiled, so Coq accepted its ``Qed``. When Coq rejects
   a proof, that lemma becomes an OPEN axiom with Coq's message and the file is compiled again.

A statement Coq rejects (a translation the type checker refuses) is reported with Coq's message
and dropped from the file, with everything that uses it; the file is then retried.

Cache (``$CHECKER_CACHE_DIR/kernel``): trial outcomes per lemma keyed by the SHA-256 of
everything the trial depends on (prelude, statement, instances, used statements, ladder, Coq
version), and final-file outcomes keyed by the SHA-256 of the file text and the Coq version.
Each entry stores a hash of itself; as for the audit cache, this detects accidental corruption,
not a forger with write access to the cache folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from checker.audit.kernel.coqfile import (LADDER, MARK, RUNG_SECONDS, Entry, derive_prelude_text, final_text,
                                          prelude_text, trial_text)

__all__ = ["STANDARD_AXIOMS", "KernelVerdict", "KernelRun", "coqc_path", "coq_version", "run_files",
           "parse_assumptions", "compile_file"]

#: Axioms of Coq's standard real numbers (and what ``Reals``/``Interval`` rest on): reported by
#: ``Print Assumptions`` of any real-number lemma, never counted as checker's trust.
STANDARD_AXIOMS = frozenset({
    "ClassicalDedekindReals.sig_forall_dec",
    "ClassicalDedekindReals.sig_not_dec",
    "FunctionalExtensionality.functional_extensionality_dep",
    "Classical_Prop.classic",
})
#: Modules whose axioms are Coq's primitive 63-bit integers and floats (the ``interval`` tactic
#: computes with them); their names are listed by ``Print Assumptions`` one by one.
STANDARD_AXIOM_MODULES = ("FloatAxioms.", "PrimFloat.", "PrimInt63.", "Uint63.")


def is_standard_axiom(name: str) -> bool:
    return name in STANDARD_AXIOMS or name.startswith(STANDARD_AXIOM_MODULES)


#: Wall-clock limit of one hand proof's file, and the fixed part of every coqc run's limit.
FILE_BASE_SECONDS = 60
_LINE_RE = re.compile(r'File "[^"]*", line (\d+), characters')


@dataclass(frozen=True, kw_only=True)
class KernelVerdict:
    node_id: str
    name: str
    statement: str
    state: str                 # kernel-checked | solver-checked | axiom
    rung: str = ""             # the ladder rung or "hand" that closed it
    goal: str = ""             # the goal Coq left open
    reason: str = ""
    assumptions: tuple[str, ...] | None = None   # node ids behind its Qed (Print Assumptions)
    foreign: tuple[str, ...] = ()                # other axioms Print Assumptions named


@dataclass(frozen=True, kw_only=True)
class KernelRun:
    verdicts: dict[str, KernelVerdict]
    files: dict[str, str]                 # outline id -> final .v text
    errors: tuple[str, ...] = ()
    seconds: float = 0.0
    coqc_runs: int = 0
    cache_hits: int = 0
    extra: dict = field(default_factory=dict)


def coqc_path() -> str | None:
    return shutil.which("coqc")


_VERSION: dict[str, str] = {}


def coq_version(coqc: str) -> str:
    if coqc not in _VERSION:
        try:
            _VERSION[coqc] = subprocess.run([coqc, "--version"], capture_output=True, text=True,
                                            timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            _VERSION[coqc] = "unknown"
    return _VERSION[coqc]


def run_coqc(coqc: str, args: list[str], cwd: Path, seconds: float, *,
             separate_stderr: bool = False) -> tuple[int, str, str]:
    """Run ``coqc -q ARGS`` in ``cwd``; (return code, stdout, stderr), with stderr merged into
    stdout (and ``""`` third) unless ``separate_stderr``. A run past ``seconds`` is
    killed with its whole process group (return code 124): coqc's helpers (csdp, called by
    ``psatz``) die with it. ``TMPDIR`` points into ``cwd``, so the helpers' scratch files
    (csdp's ``sos*.dat-s``) go away with the caller's temporary folder instead of piling up
    in the system's."""
    env = dict(os.environ, TMPDIR=str(cwd))
    proc = subprocess.Popen([coqc, "-q", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE if separate_stderr else subprocess.STDOUT,
                            text=True, start_new_session=True, env=env)
    try:
        out, err = proc.communicate(timeout=seconds)
        return proc.returncode, out, err or ""
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return 124, (out or "") + f"\n(coqc killed after {seconds:g} s)", err or ""
    except BaseException:  # Ctrl-C: reap the group before unwinding
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise


def compile_file(coqc: str, text: str, seconds: float, *, name: str = "ck_file") -> tuple[int, str]:
    """Compile ``text`` with ``coqc`` in a fresh folder; (return code, stdout + stderr). A run
    past ``seconds`` is killed with its process group (return code 124)."""
    with tempfile.TemporaryDirectory(prefix="checker-coq-") as tmp:
        path = Path(tmp) / f"{name}.v"
        path.write_text(text, encoding="utf-8")
        rc, out, _ = run_coqc(coqc, [path.name], Path(tmp), seconds)
        return rc, out


def parse_assumptions(output: str) -> dict[str, list[str]]:
    """Lemma name -> the axiom names ``Print Assumptions`` listed after each ``@@CK
    ASSUMPTIONS name`` marker (an empty list for "Closed under the global context")."""
    out: dict[str, list[str]] = {}
    cur = None
    for line in output.splitlines():
        if line.startswith(f"{MARK} ASSUMPTIONS "):
            cur = line.split()[2]
            out[cur] = []
            continue
        if cur is None or not line.strip() or line.startswith((" ", "\t")):
            continue
        if line.startswith(MARK):
            cur = None
            continue
        if line.startswith(("Axioms:", "Closed under the global context")):
            continue
        m = re.match(r"^([A-Za-z_][\w.']*)(\s*:|$)", line)
        if m:
            out[cur].append(m.group(1))
    return out


def _error_line(output: str) -> tuple[int | None, str]:
    m = _LINE_RE.search(output)
    msg = output[output.find("Error:"):].strip().splitlines() if "Error:" in output else output.strip().splitlines()
    return (int(m.group(1)) if m else None), " ".join(msg[:3])[:300]


def _h(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class _Cache:
    def __init__(self, root: Path | None):
        self.root = root
        self.hits = 0

    def get(self, key: str):
        if self.root is None:
            return None
        p = self.root / f"{key}.json"
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(d, dict) or d.get("hash") != _h(key, d.get("value")):
            return None
        self.hits += 1
        return d["value"]

    def put(self, key: str, value) -> None:
        if self.root is None:
            return
        from checker.io import atomic_write_text

        try:
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.root / f"{key}.json", json.dumps({"value": value, "hash": _h(key, value)}))
        except OSError:
            pass


def _trial_key(e: Entry, by_name: dict[str, Entry], version: str) -> str:
    used = [by_name[u].statement for u, _ in e.uses if u in by_name]
    return _h("trial", prelude_text(), derive_prelude_text(), e.statement, e.uses, used, LADDER, RUNG_SECONDS,
              version)


def _parse_trial(output: str) -> dict[str, tuple[str | None, str]]:
    """name -> (the rung that closed it or None, the goal left)."""
    res: dict[str, tuple[str | None, str]] = {}
    last: dict[str, str] = {}
    opened: set[str] = set()
    goal: list[str] = []
    cur = None
    for line in output.splitlines():
        if MARK in line:  # a tactic may print without a newline before the marker
            line = line[line.index(MARK):]
            parts = line.split()
            tag, name = parts[1], parts[2]
            if tag == "TRY":
                last[name] = parts[3]
                cur = name
                goal = []
            elif tag == "OPEN":
                opened.add(name)
                goal = []
            elif tag == "END":
                closed = name not in opened and any("No more goals" in g for g in goal)
                # the goal Coq printed (Show): from its "N goal(s)" line on, without tactic chatter
                starts = [i for i, g in enumerate(goal) if re.match(r"^\d+ goals?$", g.strip())]
                shown = "\n".join(goal[starts[-1]:] if starts else goal).strip()
                res[name] = (last.get(name) if closed else None, "" if closed else shown)
                cur = None
            continue
        if cur is not None:
            goal.append(line)
    return res


def _culprit(starts: list, line: int | None) -> str | None:
    found = None
    for first, nid in starts:
        if line is not None and first <= line:
            found = nid
    return found


def _drop(entries: list[Entry], bad: str, why: str, verdicts: dict) -> list[Entry]:
    """Remove ``bad`` and, transitively, every entry that uses it."""
    gone = {bad}
    keep = []
    for e in entries:
        if e.node_id in gone or any(u in gone for u, _ in e.uses):
            gone.add(e.node_id)
            if e.role == "lemma":
                verdicts[e.node_id] = KernelVerdict(
                    node_id=e.node_id, name=e.name, statement=e.statement, state="solver-checked",
                    reason=why if e.node_id == bad else f"uses {bad}, whose Coq statement was rejected")
            continue
        keep.append(e)
    return keep


def _trial(coqc: str, title: str, entries: list[Entry], cache: _Cache, verdicts: dict, errors: list,
           counter: list) -> tuple[list[Entry], dict]:
    """Which rung closes each lemma without a hand proof (skipped when every outcome is cached)."""
    version = coq_version(coqc)
    outcome: dict[str, tuple[str | None, str]] = {}
    for _attempt in range(8):
        by_name = {e.node_id: e for e in entries}
        ladder = [e for e in entries if e.role == "lemma" and not e.hand]
        keys = {e.node_id: _trial_key(e, by_name, version) for e in ladder}
        cached = {nid: cache.get(k) for nid, k in keys.items()}
        if all(v is not None for v in cached.values()):
            return entries, {nid: (v[0], v[1]) for nid, v in cached.items()}
        starts: list = []
        text = trial_text(title, entries, starts)
        limit = FILE_BASE_SECONDS + len(ladder) * len(LADDER) * (RUNG_SECONDS + 1)
        rc, out = compile_file(coqc, text, limit, name="ck_trial")
        counter[0] += 1
        if rc == 0:
            parsed = _parse_trial(out)
            by_cname = {e.name: e.node_id for e in ladder}
            outcome = {by_cname[n]: v for n, v in parsed.items() if n in by_cname}
            for nid, k in keys.items():
                # only a rung that closed is cached: a rung may have run out of its time limit on
                # a busy machine, so an open outcome is tried again next time
                if nid in outcome and outcome[nid][0] is not None:
                    cache.put(k, list(outcome[nid]))
            return entries, outcome
        line, msg = _error_line(out)
        bad = _culprit(starts, line)
        if bad is None:
            errors.append(f"coq: {title}: the trial file failed: {msg}")
            return entries, outcome
        entries = _drop(entries, bad, f"Coq rejected the statement or its use: {msg}", verdicts)
    return entries, outcome


def _run_outline(coqc: str, title: str, entries: list[Entry], theorems: list[str], cache: _Cache,
                 verdicts: dict, errors: list, counter: list) -> tuple[str, list[Entry], dict]:
    """Trial, then the final file; a lemma whose proof (hand or rung) Coq rejects in the final
    file becomes OPEN with Coq's message, and the file is compiled again."""
    entries, outcome = _trial(coqc, title, entries, cache, verdicts, errors, counter)
    final: list[Entry] = []
    for e in entries:
        if e.role != "lemma":
            final.append(e)
        elif e.hand:
            final.append(replace(e, extra={"rung": "hand"}))
        else:
            rung, goal = outcome.get(e.node_id, (None, "the trial did not report this lemma"))
            if rung is None:
                final.append(replace(e, role="open", goal=goal, reason="no rung of the ladder closed it"))
            else:
                final.append(replace(e, script=dict(LADDER)[rung], extra={"rung": rung}))
    version = coq_version(coqc)
    got = {"rc": 1, "assumptions": {}, "error": "not compiled"}
    for _attempt in range(len(final) + 1):
        starts: list = []
        text = final_text(title, final, theorems, starts)
        key = _h("final", text, version)
        got = cache.get(key)
        if got is None:
            rc, out = compile_file(coqc, text, FILE_BASE_SECONDS + 10 * text.count("Qed."), name="ck_final")
            counter[0] += 1
            line, msg = _error_line(out) if rc != 0 else (None, "")
            got = {"rc": rc, "assumptions": parse_assumptions(out) if rc == 0 else {}, "error": msg,
                   "culprit": _culprit(starts, line) if rc != 0 else None}
            if rc in (0, 1):
                cache.put(key, got)
        if got["rc"] == 0:
            break
        bad = got.get("culprit")
        e = next((x for x in final if x.node_id == bad), None)
        if e is None or e.role != "lemma":
            errors.append(f"coq: {title}: the final file did not compile: {got['error']}")
            break
        why = ("hand proof failed: " if e.hand else "the rung that closed it in the trial failed: ") + got["error"]
        final = [replace(x, role="open", reason=why) if x.node_id == bad else x for x in final]
    return text, final, got


def run_files(coqc: str, outlines: list[tuple[str, list[Entry], list[str]]], *, cache_dir: Path | None,
              jobs: int | None = None) -> KernelRun:
    """Run the ladder and the final file of every outline ``(title, entries, theorem names)``,
    ``jobs`` outlines at a time; the verdict of every lemma comes from the final compile."""
    t0 = time.perf_counter()
    cache = _Cache(cache_dir)
    verdicts: dict[str, KernelVerdict] = {}
    errors: list[str] = []
    counter = [0]
    jobs = jobs or max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        built = list(pool.map(lambda o: _run_outline(coqc, o[0], o[1], o[2], cache, verdicts, errors, counter),
                              outlines))
    files: dict[str, str] = {}
    for (title, _, _), (text, entries, got) in zip(outlines, built):
        files[title] = text
        names = {e.name: e.node_id for e in entries}
        for e in entries:
            if e.role == "leaf":
                verdicts[e.node_id] = KernelVerdict(node_id=e.node_id, name=e.name, statement=e.statement,
                                                    state="axiom")
            elif e.role == "open" or got["rc"] != 0:
                verdicts[e.node_id] = KernelVerdict(
                    node_id=e.node_id, name=e.name, statement=e.statement, state="solver-checked", goal=e.goal,
                    reason=e.reason if got["rc"] == 0 else f"the final file did not compile: {got['error']}")
            else:
                axioms = got["assumptions"].get(e.name)
                ours = tuple(sorted(names[a] for a in (axioms or []) if a in names))
                foreign = tuple(sorted(a for a in (axioms or []) if a not in names and not is_standard_axiom(a)))
                verdicts[e.node_id] = KernelVerdict(
                    node_id=e.node_id, name=e.name, statement=e.statement, state="kernel-checked",
                    rung=e.extra.get("rung", ""), assumptions=ours if axioms is not None else None, foreign=foreign)
    return KernelRun(verdicts=verdicts, files=files, errors=tuple(errors), seconds=time.perf_counter() - t0,
                     coqc_runs=counter[0], cache_hits=cache.hits)
