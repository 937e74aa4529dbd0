"""The one place a *proved* verdict is made (LCF style, issue 24.10).

After HOL Light's ``fusion.ml``: there a theorem is an abstract type that only the kernel's
inference rules can build, so a bug elsewhere can produce a wrong program but never a false
theorem. Here the engines of :mod:`checker.audit.engines` return :class:`Evidence` (what was
shown, by which engine, under which side conditions); only :func:`prove` turns evidence into a
:class:`CheckResult` whose verdict is ``proved``, and only when every side condition the evidence
carries was discharged. Constructing ``CheckResult(verdict="proved", ...)`` anywhere else raises
:class:`~checker.errors.CheckError` (the check runs in ``__post_init__``; a flag that only this
module sets while it builds the value). Every other verdict (``tested``, ``trusted``,
``refuted``, ``undecided``, ``vacuous``, ``failed``, ``timeout``, ``error``, ``skipped``) claims
no proof and may be made by anyone.

The guard is against mistakes, not against a forger who edits this module's state: like the
abstract type of an ML kernel, it keeps honest code from making a proof by accident.

No paper is formalised here; this module is infrastructure of the auditor.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from checker.errors import CheckError

__all__ = ["CheckResult", "Evidence", "PASS_VERDICTS", "prove", "restate", "revive_cached"]

PASS_VERDICTS = ("proved", "tested", "trusted")

_MINT = threading.local()


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """The outcome of one check of one node (see :mod:`checker.audit.checks` for the verdicts)."""

    kind: str
    verdict: str
    trust: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    cached: bool = False

    def __post_init__(self):
        if self.verdict == "proved" and not getattr(_MINT, "on", False):
            raise CheckError("a proved verdict can only be made by checker.audit.verdict.prove from "
                             "evidence whose side conditions were all discharged")

    @property
    def passed(self) -> bool:
        return self.verdict in PASS_VERDICTS


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What an engine showed: ``shown`` (the claim, in words), by ``kind`` with trust tag
    ``trust``, under ``conditions``: ``(condition, status)`` pairs, each status ``"proved"``
    (discharged) or anything else (open). Evidence is never a verdict by itself."""

    kind: str
    trust: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    conditions: tuple[tuple[str, str], ...] = ()


def _mint(**kw) -> CheckResult:
    _MINT.on = True
    try:
        return CheckResult(**kw)
    finally:
        _MINT.on = False


def prove(ev: Evidence) -> CheckResult:
    """The *proved* verdict of ``ev``; raises :class:`CheckError` when a side condition of the
    evidence is not discharged (an engine that asks for a proof it has not earned is a bug)."""
    if not isinstance(ev, Evidence):
        raise CheckError(f"prove() needs Evidence, not {type(ev).__name__}")
    open_ = [c for c, status in ev.conditions if status != "proved"]
    if open_:
        raise CheckError(f"{ev.kind}: side condition(s) {', '.join(open_)} not discharged: not a proof")
    return _mint(kind=ev.kind, verdict="proved", trust=ev.trust, summary=ev.summary, detail=ev.detail)


def restate(res: CheckResult, **changes) -> CheckResult:
    """``res`` with some of ``kind``, ``trust``, ``summary``, ``detail``, ``seconds`` changed; the
    verdict cannot change here, so a copy of a proved result is proved and nothing else becomes so."""
    if "verdict" in changes or "cached" in changes:
        raise CheckError("restate() keeps the verdict and the cache flag")
    kw = {"kind": res.kind, "verdict": res.verdict, "trust": res.trust, "summary": res.summary,
          "detail": res.detail, "seconds": res.seconds, "cached": res.cached, **changes}
    return _mint(**kw) if res.verdict == "proved" else CheckResult(**kw)


def revive_cached(record: dict) -> CheckResult:
    """A result read back from the audit cache (``cached=True``). The auditor takes a cached
    *pass* on its word only under ``--trust-cache``; otherwise it re-runs the check."""
    kw = {**record, "cached": True}
    return _mint(**kw) if kw.get("verdict") == "proved" else CheckResult(**kw)
