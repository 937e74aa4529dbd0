"""File I/O at the edges: atomic writes, JSON with numpy/sympy values, checkpoints.

A long run saves its state with :func:`save_checkpoint` after every unit of work; the file is
written to a temporary name and renamed, so an interrupted run never leaves a torn checkpoint.
A checkpoint records a fingerprint of the configuration that produced it, and
:func:`load_checkpoint` refuses one that belongs to a different configuration.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from checker.errors import InvalidArgument, ResumeError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "write_json",
    "read_json",
    "to_jsonable",
    "fingerprint",
    "save_checkpoint",
    "load_checkpoint",
    "ensure_dir",
]


def ensure_dir(path: str | os.PathLike, name: str = "out") -> Path:
    """Create ``path`` (and parents) as a directory; a clear error if a file is in the way."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InvalidArgument(name, str(p), "must be a directory, but a file of that name exists")
    p.mkdir(parents=True, exist_ok=True)
    return p


def _umask() -> int:
    """The process umask: from /proc on Linux (no side effect), else by setting and restoring
    it (there is no read-only call)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    The file gets the mode an ordinary ``open(path, "w")`` would give it (``0o666`` minus the
    umask, usually ``0o644``), not the ``0o600`` of :func:`tempfile.mkstemp`.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return p


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/torch/sympy scalars and arrays, dataclasses and paths to JSON values.

    Non-finite floats become the strings ``"inf"``, ``"-inf"``, ``"nan"`` (JSON has no such
    numbers, and silently writing ``Infinity`` makes files other tools cannot read).
    """
    import dataclasses

    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    mod = type(obj).__module__
    if mod.startswith("numpy"):
        import numpy as np

        if isinstance(obj, np.ndarray):
            return [to_jsonable(v) for v in obj.tolist()]
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return to_jsonable(float(obj))
    if mod.startswith("torch"):
        return to_jsonable(obj.detach().cpu().tolist())
    if mod.startswith("sympy"):
        if getattr(obj, "is_Integer", False):
            return int(obj)
        if getattr(obj, "is_number", False):
            return to_jsonable(float(obj))
        return str(obj)
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    raise TypeError(f"cannot convert {type(obj).__name__} to JSON")


def write_json(path: str | os.PathLike, obj: Any, *, indent: int | None = 2) -> Path:
    return atomic_write_text(path, json.dumps(to_jsonable(obj), indent=indent, sort_keys=False) + "\n")


def read_json(path: str | os.PathLike, name: str = "path") -> Any:
    p = Path(path)
    if not p.is_file():
        raise InvalidArgument(name, str(p), "must be an existing JSON file")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidArgument(name, str(p), f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None


def read_toml(path: str | os.PathLike, name: str = "path") -> dict[str, Any]:
    """The TOML file at ``path`` as a dict; a missing file, invalid TOML or non-UTF-8 text is an
    :class:`InvalidArgument` naming ``name`` (one line, exit 2 at the CLI)."""
    import tomllib

    p = Path(path)
    if not p.is_file():
        raise InvalidArgument(name, str(p), "must be an existing TOML file")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(name, str(p), f"is not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise InvalidArgument(name, str(p), "is not UTF-8 text") from None


def fingerprint(obj: Any) -> str:
    """A stable content hash (sha256, 16 hex digits) of a JSON-able description."""
    blob = json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any], *, config_fingerprint: str) -> Path:
    """Atomically save ``state`` (anything ``torch.save`` accepts) with the config fingerprint."""
    import io

    import torch

    buf = io.BytesIO()
    torch.save({"fingerprint": config_fingerprint, "state": state}, buf)
    return atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | os.PathLike, *, config_fingerprint: str) -> dict[str, Any] | None:
    """The saved state, or ``None`` if there is no checkpoint.

    Raises :class:`ResumeError` if the checkpoint was made by a different configuration.
    Loading uses ``weights_only=True``: no arbitrary objects are unpickled.
    """
    import torch

    p = Path(path)
    if not p.exists():
        return None
    blob = torch.load(p, map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or blob.get("fingerprint") != config_fingerprint:
        raise ResumeError(
            f"checkpoint {p} belongs to a different configuration; "
            "use a fresh --out folder or delete the checkpoint to start over"
        )
    return blob["state"]
