"""A sweep's flat table: one row per task record (``<out>/results.csv``, ``.parquet`` with pyarrow).

``config/…``: the task's normalised parameters; ``metric/…``: its result (nested keys joined with
``/``, lists as JSON text); ``meta/…``: kind, label, hash, status, error, code version, seconds,
host and the backend that computed it (see :mod:`checker.tables`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from checker.tables import TableFiles, row, write_table

__all__ = ["TABLE_STEM", "record_row", "write_sweep_table"]

#: File stem of the table inside a sweep's results folder.
TABLE_STEM = "results"


def record_row(rec: dict[str, Any]) -> dict[str, Any]:
    """The table row of one stored task record."""
    meta = {"kind": rec.get("kind"), "label": rec.get("label"), "hash": rec.get("hash"),
            "status": rec.get("status"), "error": rec.get("error"), "code": rec.get("code")}
    for k, v in (rec.get("meta") or {}).items():
        meta[k] = v
    return row(config=rec.get("config") or {}, metric=rec.get("result") or {}, meta=meta)


def write_sweep_table(records: Iterable[dict[str, Any]], out: str | Path) -> TableFiles:
    """Write the table of ``records`` into the results folder ``out``."""
    return write_table([record_row(r) for r in records], Path(out) / TABLE_STEM)
