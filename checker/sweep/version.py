"""Content address of code: ``<version>+<hash of the source files>`` (the part of a sweep
task's address that changes when the code that computes it changes)."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["code_version"]

_ROOT = Path(__file__).resolve().parents[2]


def code_version(packages: tuple[str, ...]) -> str:
    """``<version>+<hash of the .py files under packages>`` (paths relative to the repository)."""
    from checker import __version__

    h = hashlib.sha256()
    for pkg in sorted(packages):
        base = _ROOT / pkg
        files = sorted(base.rglob("*.py")) if base.is_dir() else [base]
        for f in files:
            if f.is_file():
                h.update(str(f.relative_to(_ROOT)).encode())
                h.update(f.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"
