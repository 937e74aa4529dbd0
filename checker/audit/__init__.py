"""Proof outlines (``proofs/*.toml``) and their auditor.

Public API::

    from checker.audit import audit, render_html, render_graph, trust_report, parse_formula
    result = audit()                # the repository's proofs/, all checks, with cache
    result.passed, result.theorems["sinha.thm2"].status_text, result.theorems["sinha.thm2"].trust
    from checker.audit import words   # the trust vocabulary, defined once

See ``docs/guide/audit.md`` and ``docs/guide/outlines.md``.
"""

from __future__ import annotations

from checker.audit.auditor import (AuditResult, ErratumReport, NodeReport, TheoremReport, audit,
                                   build_graph, default_proofs_dir, load_allowlist, trust_report)
from checker.audit.checks import CheckResult, run_check
from checker.audit.formula import parse_formula
from checker.audit.outline import Node, Outline, load_outline, load_outlines, parse_outline_text
from checker.audit.report import render_graph, render_html

__all__ = ["AuditResult", "ErratumReport", "NodeReport", "TheoremReport", "CheckResult", "Node", "Outline",
           "audit", "build_graph", "default_proofs_dir", "load_allowlist", "trust_report", "run_check",
           "parse_formula", "load_outline", "load_outlines", "parse_outline_text", "render_graph",
           "render_html"]
