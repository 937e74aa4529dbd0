"""The main job (``checker run``): every capability on a built-in default, one report.

A run is a sequence of *stages* (bounds, construction, fooling, birthday, training,
certificate, audit). Each stage returns a :class:`StageResult` with named checks, JSON data and
figures. Results are cached *by content*: a stage's key is a hash of its configuration, the
source code it depends on and the keys of the stages it reads from, so re-running with nothing
changed reuses every stage, and an interrupted run resumes at the first stage that has no
saved result. Each stage result is written atomically as soon as it is complete.

Exit status (see :func:`RunResult.passed`): every check of every stage passed, and the proof
audit passed within its trust allow-list.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import checker
from checker.io import ensure_dir, fingerprint, read_json, write_json
from checker.validate import integer, one_of

__all__ = ["RunConfig", "Check", "StageResult", "RunResult", "Stage", "STAGES", "run_pipeline"]

PACKAGE_ROOT = Path(checker.__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Configuration of the main job.

    ``full`` selects the paper-scale settings (GPU recommended); the default is the quick
    built-in run (minutes on 2 CPU cores). ``only`` restricts the run to named stages.
    """

    out: Path = Path("checker-out")
    full: bool = False
    seed: int = 0
    device: str = "auto"
    use_cache: bool = True
    only: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "out", Path(self.out))
        integer("seed", self.seed, min_value=0)
        for name in self.only:
            one_of("only", name, [s.name for s in STAGES])

    def key_material(self) -> dict[str, Any]:
        return {"full": self.full, "seed": self.seed, "device": self.device}


@dataclass(frozen=True, kw_only=True)
class Check:
    """One verdict of a stage. ``evidence`` says what kind of evidence backs it:
    ``exact`` (exact arithmetic), ``computed`` (a float64 computation whose rounding is not
    bounded), ``tested`` (sampled / property-tested), ``measured``
    (an experiment's measured quantity compared with a stated criterion), ``audit``."""

    name: str
    passed: bool
    evidence: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class StageResult:
    stage: str
    title: str
    checks: tuple[Check, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)  # caption -> path relative to out
    seconds: float = 0.0
    cached: bool = False
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage, "title": self.title, "passed": self.passed,
            "checks": [c.__dict__ for c in self.checks], "data": self.data,
            "figures": self.figures, "seconds": self.seconds, "cached": self.cached,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StageResult:
        return cls(stage=d["stage"], title=d["title"],
                   checks=tuple(Check(**c) for c in d["checks"]), data=d["data"],
                   figures=d["figures"], seconds=d["seconds"], cached=d.get("cached", False),
                   error=d.get("error"))


@dataclass(frozen=True, kw_only=True)
class Stage:
    """A unit of the main job. ``sources``: package paths (relative to ``checker/``, or to the
    repository with a ``repo:`` prefix, e.g. ``repo:proofs``) whose code or data the stage
    depends on; ``reads``: earlier stages whose results it uses."""

    name: str
    title: str
    func: Callable[["StageContext"], StageResult]
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
    config: RunConfig
    stages: tuple[StageResult, ...]
    seconds: float
    environment: dict[str, Any]

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.stages)


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


def environment() -> dict[str, Any]:
    """Versions and machine facts that produced a run (for the report)."""
    import importlib.metadata as md
    import platform

    env: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                           "machine": platform.machine(), "checker": checker.__version__}
    for pkg in ("torch", "numpy", "sympy", "scipy", "networkx", "hypothesis", "z3-solver",
                "mpmath", "python-flint", "scikit-learn", "mlxtend", "matplotlib"):
        try:
            env[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            env[pkg] = None
    try:
        import torch

        env["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        env["torch_threads"] = torch.get_num_threads()
    except Exception:  # pragma: no cover - torch missing
        env["cuda"] = None
    import os

    env["cpu_count"] = os.cpu_count()
    return env


def run_pipeline(config: RunConfig, *, on_stage: Callable[[str, str], None] | None = None) -> RunResult:
    """Run (or reuse) every stage and return the collected results.

    ``on_stage(stage_name, event)`` is called with events ``"start"``, ``"cached"``, ``"done"``
    (for progress display; library code itself prints nothing).
    """
    out = ensure_dir(config.out, "out")
    stage_dir = ensure_dir(out / "stages")
    t0 = time.perf_counter()
    results: dict[str, StageResult] = {}
    keys: dict[str, str] = {}
    selected = [s for s in STAGES if not config.only or s.name in config.only
                or any(s.name in t.reads for t in STAGES if t.name in config.only)]
    for stage in selected:
        key = fingerprint({"stage": stage.name, "config": config.key_material(),
                           "source": _source_hash(stage.sources),
                           "upstream": {r: keys.get(r) for r in stage.reads}})
        keys[stage.name] = key
        saved = stage_dir / f"{stage.name}.json"
        if config.use_cache and saved.exists():
            blob = read_json(saved)
            if blob.get("key") == key and all((out / f).exists() for f in blob["result"]["figures"].values()):
                results[stage.name] = replace(StageResult.from_dict(blob["result"]), cached=True)
                if on_stage:
                    on_stage(stage.name, "cached")
                continue
        if on_stage:
            on_stage(stage.name, "start")
        ctx = StageContext(config=config, out=out, results=results)
        s0 = time.perf_counter()
        try:
            res = stage.func(ctx)
        except Exception as exc:  # a stage crashed: report it as a failed stage, keep going
            # (bad user input is rejected by RunConfig before any stage runs; an error raised
            # inside a stage, a CheckerError included, is the stage failing, not bad usage)
            res = StageResult(stage=stage.name, title=stage.title,
                              error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}")
        res = replace(res, seconds=time.perf_counter() - s0, cached=False)
        results[stage.name] = res
        if res.error is None:
            write_json(saved, {"key": key, "result": res.to_dict()})
        if on_stage:
            on_stage(stage.name, "done")
    return RunResult(config=config, stages=tuple(results.values()),
                     seconds=time.perf_counter() - t0, environment=environment())


# The stages themselves live in checker.stages (one function per capability); imported last
# so that this module stays importable on its own.
from checker.stages import STAGES  # noqa: E402
