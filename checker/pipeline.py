"""The main job's machinery (``checker run``): stages, checks, caching, provenance.

A run is a sequence of *stages* (the default ones are in :mod:`checker.stages`; this module does
not import them, so the two modules form no import circle: the caller passes the stage list to
:func:`run_pipeline`). Each stage returns a :class:`StageResult` with named checks, JSON data
and figures. Results are cached *by content*: a stage's key is a hash of its configuration, the
source code it depends on and the keys of the stages it reads from, so re-running with nothing
changed reuses every stage, and an interrupted run (a crash, or Ctrl-C) resumes at the first
stage that has no saved result. Each stage result is written atomically as soon as it is
complete.

Verdicts are three-valued (:class:`Check`): ``pass``, ``fail`` or ``vacuous`` (the check could
not have failed at these settings, e.g. a bound that exceeds the quantity's whole range). A
vacuous check is never counted as a pass.

Exit status (see :attr:`RunResult.passed`): the run passes when no check failed, no stage
crashed, and every stage that has checks has at least one non-vacuous passing check (a stage
whose checks are all vacuous established nothing, so it does not pass). With ``strict`` any
vacuous check fails the run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import checker
from checker.io import fingerprint, read_json, write_json
from checker.validate import integer, one_of, output_dir

__all__ = ["RunConfig", "Check", "StageResult", "RunResult", "Stage", "StageContext",
           "OUTCOMES", "SCALES", "run_pipeline", "select_stages", "provenance", "environment",
           "results_fingerprint"]

PACKAGE_ROOT = Path(checker.__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent

#: The three verdicts of a check.
OUTCOMES = ("pass", "fail", "vacuous")
#: Run sizes: ``tiny`` (seconds; for smoke tests: the checks run but the experiments are too
#: small to mean much), ``quick`` (the default, minutes on 2 CPU cores), ``full`` (paper scale).
SCALES = ("tiny", "quick", "full")


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Configuration of the main job.

    ``scale`` selects the settings (``tiny``, ``quick`` = default, ``full`` = paper scale,
    GPU recommended); ``full=True`` is shorthand for ``scale="full"``. ``only`` restricts the
    run to named stages (and the stages they read). ``strict``: a vacuous check fails the run.
    """

    out: Path = Path("checker-out")
    scale: str = "quick"
    full: bool = False
    seed: int = 0
    device: str = "auto"
    use_cache: bool = True
    only: tuple[str, ...] = ()
    strict: bool = False

    def __post_init__(self):
        object.__setattr__(self, "out", Path(self.out))
        one_of("scale", self.scale, SCALES)
        if self.full and self.scale == "quick":
            object.__setattr__(self, "scale", "full")
        object.__setattr__(self, "full", self.scale == "full")
        integer("seed", self.seed, min_value=0, max_value=2**63 - 1)
        object.__setattr__(self, "only", tuple(self.only))

    @property
    def tiny(self) -> bool:
        return self.scale == "tiny"

    def key_material(self) -> dict[str, Any]:
        return {"scale": self.scale, "seed": self.seed, "device": self.device}


@dataclass(frozen=True, kw_only=True)
class Check:
    """One verdict of a stage.

    ``name`` is prose (what is claimed, in words; no internal ids). ``outcome`` is ``"pass"``,
    ``"fail"`` or ``"vacuous"`` (it could not have failed at these settings; never counted as a
    pass); it may be given as ``passed=True/False`` instead. ``evidence`` says what kind of
    evidence backs it: ``exact`` (exact arithmetic), ``computed`` (a float64 computation whose
    rounding is not bounded), ``tested`` (sampled / property-tested), ``measured`` (an
    experiment's measured quantity compared with a stated criterion), ``audit`` (the proof
    audit's trust report). ``summary`` gives the numbers; for a vacuous check it says why.
    """

    name: str
    evidence: str
    summary: str = ""
    outcome: str | None = None
    passed: bool | None = None

    def __post_init__(self):
        if self.outcome is None:
            if self.passed is None:
                raise TypeError("Check needs outcome= or passed=")
            object.__setattr__(self, "outcome", "pass" if self.passed else "fail")
        one_of("outcome", self.outcome, OUTCOMES)
        if self.passed is not None and bool(self.passed) != (self.outcome == "pass"):
            raise ValueError(f"Check {self.name!r}: passed={self.passed} contradicts outcome={self.outcome!r}")
        object.__setattr__(self, "passed", self.outcome == "pass")

    @property
    def vacuous(self) -> bool:
        return self.outcome == "vacuous"

    @classmethod
    def judge(cls, *, name: str, evidence: str, summary: str, passed: bool,
              vacuous_because: str | None = None) -> Check:
        """A check that is ``vacuous`` when ``vacuous_because`` is a reason (then the reason is
        appended to the summary), else ``pass``/``fail`` from ``passed``."""
        if vacuous_because:
            return cls(name=name, evidence=evidence, outcome="vacuous",
                       summary=f"{summary}; vacuous: {vacuous_because}" if summary else
                       f"vacuous: {vacuous_because}")
        return cls(name=name, evidence=evidence, summary=summary, outcome="pass" if passed else "fail")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "outcome": self.outcome, "passed": self.passed,
                "evidence": self.evidence, "summary": self.summary}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Check:
        return cls(name=d["name"], evidence=d["evidence"], summary=d.get("summary", ""),
                   outcome=d.get("outcome"), passed=None if d.get("outcome") else d.get("passed"))


@dataclass(frozen=True, kw_only=True)
class StageResult:
    stage: str
    title: str
    checks: tuple[Check, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)  # caption -> path relative to out
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # process CPU time (all threads) of the computation
    cached: bool = False
    error: str | None = None

    def count(self, outcome: str) -> int:
        return sum(c.outcome == outcome for c in self.checks)

    @property
    def outcome(self) -> str:
        """``fail`` (a check failed or the stage crashed), ``vacuous`` (it has checks and all of
        them are vacuous), else ``pass``."""
        if self.error is not None or self.count("fail"):
            return "fail"
        if self.checks and self.count("vacuous") == len(self.checks):
            return "vacuous"
        return "pass"

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage, "title": self.title, "outcome": self.outcome,
            "passed": self.passed,
            "counts": {o: self.count(o) for o in OUTCOMES},
            "checks": [c.to_dict() for c in self.checks], "data": self.data,
            "figures": self.figures, "seconds": self.seconds, "cpu_seconds": self.cpu_seconds,
            "cached": self.cached,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StageResult:
        return cls(stage=d["stage"], title=d["title"],
                   checks=tuple(Check.from_dict(c) for c in d["checks"]), data=d["data"],
                   figures=d["figures"], seconds=d["seconds"], cpu_seconds=d.get("cpu_seconds", 0.0),
                   cached=d.get("cached", False),
                   error=d.get("error"))


@dataclass(frozen=True, kw_only=True)
class Stage:
    """A unit of the main job. ``sources``: package paths (relative to ``checker/``, or to the
    repository with a ``repo:`` prefix, e.g. ``repo:proofs``) whose code or data the stage
    depends on; ``reads``: earlier stages whose results it uses."""

    name: str
    title: str
    func: Callable[[StageContext], StageResult]
    sources: tuple[str, ...]
    reads: tuple[str, ...] = ()


@dataclass(kw_only=True)
class StageContext:
    config: RunConfig
    out: Path
    results: dict[str, StageResult]

    def path(self, *parts: str) -> Path:
        p = self.out.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def rel(self, path: Path) -> str:
        return str(Path(path).resolve().relative_to(self.out.resolve()))


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """A finished (or interrupted-and-resumed) run. ``environment``: machine and versions;
    ``provenance``: see :func:`provenance` (git commit, command line, versions, seeds)."""

    config: RunConfig
    stages: tuple[StageResult, ...]
    seconds: float
    environment: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(s.count(outcome) for s in self.stages)

    @property
    def outcome(self) -> str:
        """``fail`` or ``pass`` (see the module docstring); ``strict`` turns vacuous into fail."""
        if any(s.outcome != "pass" for s in self.stages):
            return "fail"
        if self.config.strict and self.count("vacuous"):
            return "fail"
        return "pass"

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"


def _source_hash(paths: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    roots = [REPO_ROOT / p[len("repo:"):] if p.startswith("repo:") else PACKAGE_ROOT / p for p in paths]
    roots += [PACKAGE_ROOT / "pipeline.py", PACKAGE_ROOT / "stages.py"]
    for root in roots:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for f in files:
            if f.is_file() and f.suffix in (".py", ".toml") and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(REPO_ROOT)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


_VERSIONED = ("torch", "numpy", "sympy", "scipy", "networkx", "hypothesis", "z3-solver", "mpmath",
              "python-flint", "scikit-learn", "mlxtend", "matplotlib")


def _versions() -> dict[str, str | None]:
    import importlib.metadata as md

    out: dict[str, str | None] = {"checker": checker.__version__}
    for pkg in _VERSIONED:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def environment() -> dict[str, Any]:
    """Versions and machine facts that produced a run (for the report). Torch is queried only
    when a stage already imported it (a fully cached run never loads torch)."""
    import platform

    env: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                           "machine": platform.machine(), **_versions()}
    torch = sys.modules.get("torch")
    if torch is not None:
        env["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        env["torch_threads"] = torch.get_num_threads()
    else:
        env["cuda"] = "not queried (no stage ran, torch was not loaded)"
    env["cpu_count"] = os.cpu_count()
    return env


def _git(*args: str) -> str | None:
    if not (REPO_ROOT / ".git").exists():
        return None
    try:
        res = subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def provenance(config: RunConfig, command: Sequence[str] | None = None) -> dict[str, Any]:
    """What produced a run, for the report's provenance block.

    Keys: ``git_commit`` (the checkout's ``HEAD``, or ``"unknown"`` outside a git checkout),
    ``git_dirty`` (True when tracked files differ from that commit; None when unknown),
    ``command`` (the command line as one string), ``versions`` (package -> version or None),
    ``seeds`` (``{"seed": N, "note": ...}``), ``scale``, ``device`` (as requested),
    ``started_utc``.
    """
    import shlex
    from datetime import datetime, timezone

    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    if command is None:
        command = ["python3", "-m", "checker", *sys.argv[1:]]
    return {
        "git_commit": commit or "unknown",
        "git_dirty": None if status is None else bool(status),
        "command": " ".join(shlex.quote(str(a)) for a in command),
        "versions": _versions(),
        "seeds": {"seed": config.seed,
                  "note": "every stage seeds its random streams from this one seed"},
        "scale": config.scale,
        "device": config.device,
        "started_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def results_fingerprint(result: RunResult, sources: tuple[str, ...] = ("report",)) -> str:
    """A key of everything a report of ``result`` shows except timings and provenance: the
    stages' checks, data and figures, the configuration, and the source of ``sources`` (the
    renderer). Equal keys mean an already written report is still up to date."""
    stages = [{k: v for k, v in s.to_dict().items() if k not in ("seconds", "cpu_seconds", "cached")}
              for s in result.stages]
    return fingerprint({"stages": stages, "config": result.config.key_material(),
                        "only": list(result.config.only), "strict": result.config.strict,
                        "source": _source_hash(sources)})


def select_stages(stages: Sequence[Stage], only: Sequence[str]) -> list[Stage]:
    """The stages named in ``only`` (all when empty) and the stages they read, in run order.
    An unknown name is an :class:`~checker.errors.InvalidArgument` with a suggestion."""
    names = [s.name for s in stages]
    for name in only:
        one_of("only", name, names)
    if not only:
        return list(stages)
    wanted = set(only)
    for s in reversed(stages):
        if s.name in wanted:
            wanted.update(s.reads)
    return [s for s in stages if s.name in wanted]


#: ``on_stage(stage_name, event)`` events: ``start``, ``cached``, ``done``, ``crashed``.
StageCallback = Callable[[str, str], None]


def run_pipeline(config: RunConfig, stages: Sequence[Stage], *, on_stage: StageCallback | None = None,
                 command: Sequence[str] | None = None) -> RunResult:
    """Run (or reuse) ``stages`` (see :data:`checker.stages.STAGES`) and return the results.

    ``on_stage`` is called for progress display (library code itself prints nothing).
    ``KeyboardInterrupt`` propagates: stages finished before it stay saved, and a re-run
    resumes at the interrupted stage.
    """
    selected = select_stages(stages, config.only)
    out = output_dir("out", config.out)
    stage_dir = output_dir("out", out / "stages")
    prov = provenance(config, command)
    t0 = time.perf_counter()
    results: dict[str, StageResult] = {}
    keys: dict[str, str] = {}
    for stage in selected:
        key = fingerprint({"stage": stage.name, "config": config.key_material(),
                           "source": _source_hash(stage.sources),
                           "upstream": {r: keys.get(r) for r in stage.reads}})
        keys[stage.name] = key
        saved = stage_dir / f"{stage.name}.json"
        if config.use_cache and saved.exists():
            try:
                blob = read_json(saved)
                ok = blob.get("key") == key and all((out / f).exists() for f in blob["result"]["figures"].values())
                cached = replace(StageResult.from_dict(blob["result"]), cached=True) if ok else None
            except Exception:  # a damaged cache file is recomputed, never trusted
                cached = None
            if cached is not None:
                results[stage.name] = cached
                if on_stage:
                    on_stage(stage.name, "cached")
                continue
        if on_stage:
            on_stage(stage.name, "start")
        ctx = StageContext(config=config, out=out, results=results)
        s0, c0 = time.perf_counter(), time.process_time()
        try:
            res = stage.func(ctx)
        except Exception as exc:  # a stage crashed: report it as a failed stage, keep going
            # (bad user input is rejected before any stage runs; an error raised inside a
            # stage, a CheckerError included, is the stage failing, not bad usage)
            res = StageResult(stage=stage.name, title=stage.title,
                              error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}")
        res = replace(res, seconds=time.perf_counter() - s0, cpu_seconds=time.process_time() - c0,
                      cached=False)
        results[stage.name] = res
        if res.error is None:
            write_json(saved, {"key": key, "result": res.to_dict()})
        if on_stage:
            on_stage(stage.name, "done" if res.error is None else "crashed")
    return RunResult(config=config, stages=tuple(results.values()),
                     seconds=time.perf_counter() - t0, environment=environment(), provenance=prov)
