"""Flat result tables: one row per task or example, for pandas, Ray Tune and Hydra users.

``checker sweep``, ``checker certify`` and ``checker birthday`` write, next to their JSON files,
``<stem>.csv`` always and ``<stem>.parquet`` when ``pyarrow`` is importable. Columns are
prefixed by what they are, like Ray Tune's ``config/…`` result columns:

* ``config/…``: the inputs of the row (a task's parameters, the certificate's γ, a sample size);
* ``metric/…``: what was measured (losses, bounds, rates, estimates);
* ``meta/…``: bookkeeping (kind, task hash, status, seconds, host, backend, code version).

Nested mappings are flattened with ``/`` (``metric/rate/low``); lists and other non-scalar values
are stored as JSON text; ``None`` is an empty cell. Columns are sorted within each group and the
groups come in the order config, metric, meta. Both files are written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["GROUPS", "TableFiles", "flatten", "row", "write_table", "has_parquet"]

#: Column groups, in the order the columns are written.
GROUPS: tuple[str, ...] = ("config", "metric", "meta")


@dataclass(frozen=True, kw_only=True)
class TableFiles:
    """Where a table was written: ``csv`` always, ``parquet`` or ``None`` (no pyarrow)."""

    csv: str
    parquet: str | None
    rows: int
    columns: tuple[str, ...]


def _scalar(value: Any) -> Any:
    """A value for a cell: bool, int, float, str or None; anything else as JSON text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    try:  # numpy / torch scalars
        import numbers

        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            return float(value)
    except (TypeError, ValueError):  # pragma: no cover - exotic number types
        pass
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    from checker.io import to_jsonable

    return json.dumps(to_jsonable(value), sort_keys=True, allow_nan=True)


def flatten(prefix: str, value: Any) -> dict[str, Any]:
    """``{prefix/key/subkey: scalar}`` for a nested mapping (``{prefix: scalar}`` for a scalar)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(f"{prefix}/{k}", v))
        return out
    return {prefix: _scalar(value)}


def row(*, config: Mapping[str, Any] | None = None, metric: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One table row from its three groups (each a possibly nested mapping)."""
    out: dict[str, Any] = {}
    for group, part in (("config", config), ("metric", metric), ("meta", meta)):
        if part:
            out.update(flatten(group, part))
    return out


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen = {c for r in rows for c in r}
    bad = sorted(c for c in seen if c.split("/", 1)[0] not in GROUPS)
    if bad:
        from checker.errors import InvalidArgument

        raise InvalidArgument("column", bad[0], f"must start with one of {', '.join(g + '/' for g in GROUPS)}")
    return [c for g in GROUPS for c in sorted(c for c in seen if c.split("/", 1)[0] == g)]


def has_parquet() -> bool:
    """Whether ``pyarrow`` is importable (Parquet tables are written only then)."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def write_table(rows: Iterable[Mapping[str, Any]], stem: str | os.PathLike) -> TableFiles:
    """Write ``rows`` (from :func:`row`) to ``<stem>.csv`` and, with pyarrow, ``<stem>.parquet``."""
    rows = [dict(r) for r in rows]
    cols = _columns(rows)
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_csv_cell(r.get(c)) for c in cols])
    csv_path = stem.with_name(stem.name + ".csv")
    _atomic_write_bytes(csv_path, buf.getvalue().encode("utf-8"))
    parquet_path = None
    if has_parquet():
        import pyarrow as pa
        import pyarrow.parquet as pq

        data = {}
        for c in cols:
            vals = [r.get(c) for r in rows]
            kinds = {type(v) for v in vals if v is not None}
            if kinds == {int, float} or kinds == {bool, int} or len(kinds) > 1:
                # mixed columns: numbers as floats when all numeric, else text
                if kinds <= {int, float}:
                    vals = [None if v is None else float(v) for v in vals]
                else:
                    vals = [None if v is None else str(v) for v in vals]
            data[c] = vals
        sink = pa.BufferOutputStream()
        pq.write_table(pa.table(data), sink)
        parquet_path = stem.with_name(stem.name + ".parquet")
        _atomic_write_bytes(parquet_path, sink.getvalue().to_pybytes())
    return TableFiles(csv=str(csv_path), parquet=None if parquet_path is None else str(parquet_path),
                      rows=len(rows), columns=tuple(cols))


# -- the commands' rows ---------------------------------------------------------------------------

#: Per-example arrays of a certificate that become ``metric/…`` columns.
_CERT_ARRAYS = ("phi_lower", "phi_upper", "loss_at_z", "transport_cost", "grad_norm",
                "hessian_lambda_max", "local_radius", "local_curvature")


def certificate_rows(cert, *, config: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per example of a :class:`checker.certify.Certificate`: ``config/`` the run's
    settings plus ``config/gamma``, ``config/split`` and ``config/example``; ``metric/`` the
    example's :math:`\\phi_\\gamma` bounds, loss and transport cost at :math:`\\hat z`, gradient
    norm, Hessian estimate; ``metric/phi`` the value the certificate uses; ``meta/`` the
    certificate's status and the argument that bounds this example."""
    from checker.certify.local import METHODS

    arrays = {k: getattr(cert, k) for k in _CERT_ARRAYS if getattr(cert, k) is not None}
    arrays = {k: [float(v) for v in a.reshape(-1).tolist()] for k, a in arrays.items()}
    methods = None if cert.phi_method is None else [METHODS[int(k)] for k in cert.phi_method]
    phi = cert.phi
    phi = None if phi is None else [float(v) for v in phi.reshape(-1).tolist()]
    rows = []
    for i in range(cert.n):
        rows.append(row(
            config={**(config or {}), "gamma": cert.gamma, "split": cert.split, "example": i},
            metric={**{k: a[i] for k, a in arrays.items()}, "phi": None if phi is None else phi[i]},
            meta={"status": cert.status, "argument": cert.argument,
                  "phi_method": None if methods is None else methods[i]}))
    return rows


def birthday_rows(result, *, config: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per sample size ``s`` of a :class:`checker.birthday.BirthdayResult`: ``config/s``,
    ``config/trials`` (and the run's settings); ``metric/`` the duplicate count and rate with its
    interval, collisions, triples, the two per-``s`` support estimates; ``meta/`` the source and
    the headline (collision-count) estimate of the whole run."""
    head = result.support_estimate
    rows = []
    for r in result.rows:
        ui, tb = r.uniform_inversion, r.tb_heuristic
        rows.append(row(
            config={**(config or {}), "s": r.s, "trials": r.trials, "threshold": result.threshold.value},
            metric={"duplicates": r.duplicates, "p_duplicate": r.rate.value, "p_low": r.rate.low,
                    "p_high": r.rate.high, "collisions": r.collisions, "triples": r.triples,
                    "false_alarm_bound": r.false_alarm_bound,
                    "uniform_inversion": None if ui is None else ui.value,
                    "tb_heuristic": None if tb is None else tb.value},
            meta={"source": result.source, "support_estimate": head.value,
                  "support_low": head.low, "support_high": head.high, "confidence": r.rate.confidence}))
    return rows
