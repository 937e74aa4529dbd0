"""Sweep specifications (TOML): strict parsing and expansion into tasks.

A spec::

    name = "sinha-mnist"                 # required; names the default output folder
    description = "..."                  # optional

    [[grid]]                             # one or more grids
    kind = "wrm-train-attack"            # an experiment kind (checker.sweep.kinds)
    seeds = [0, 1]                       # optional; sets the kind's `seed` parameter
    [grid.params]                        # fixed parameters of the kind
    dataset = "mnist"
    [grid.vary]                          # parameters swept: every combination is a task
    method = ["erm", "fgm", "ifgm", "pgm", "wrm"]
    [grid.resources]                     # what each task asks the scheduler for
    num_cpus = 1
    num_gpus = 0

    [quick]                              # applied by --quick (tiny sizes, for CI)
    seeds = [0]
    [quick.params]                       # override fixed or swept parameters
    epochs = 1
    [quick.vary]                         # replace a swept list
    method = ["erm", "wrm"]

Every key is checked: an unknown key anywhere, an unknown kind, a parameter the kind does not
have, a value of the wrong type or outside its rule is an :class:`~checker.errors.InvalidArgument`
naming the file and the key (exit 2 from the CLI), never silently ignored. A ``[quick]`` key
must belong to at least one grid's kind; it is applied to the grids whose kind has it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.errors import InvalidArgument
from checker.sweep.params import check_value
from checker.sweep.task import Task, code_version
from checker.validate import suggest

__all__ = ["SweepSpec", "load_spec", "parse_spec"]

_TOP = ("name", "description", "grid", "quick")
_GRID = ("kind", "seeds", "params", "vary", "resources")
_QUICK = ("seeds", "params", "vary")
_RESOURCES = ("num_cpus", "num_gpus")


@dataclass(frozen=True, kw_only=True)
class SweepSpec:
    """A parsed spec: its ``name``, ``description``, source ``path``, whether ``quick`` was
    applied, and the expanded ``tasks`` (in a stable order)."""

    name: str
    description: str
    path: str
    quick: bool
    tasks: tuple[Task, ...]


class _Where:
    def __init__(self, path: str):
        self.path = path

    def error(self, key: str, value: Any, rule: str, hint: str | None = None) -> InvalidArgument:
        return InvalidArgument(f"{self.path}: {key}", value, rule, hint=hint)

    def keys(self, table: Any, allowed: tuple[str, ...] | list[str], where: str) -> dict:
        if not isinstance(table, dict):
            raise self.error(where, table, "must be a table")
        for k in table:
            if k not in allowed:
                close = suggest(k, allowed)
                raise self.error(f"{where}.{k}" if where else k, table[k],
                                 f"is not a known key (allowed: {', '.join(allowed)})",
                                 hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None)
        return table


def load_spec(path: str | Path, *, quick: bool = False) -> SweepSpec:
    """Read and expand the spec at ``path`` (``quick``: apply its ``[quick]`` section)."""
    from checker.io import read_toml

    return parse_spec(read_toml(path, "SPEC"), path=str(Path(path)), quick=quick)


def _seeds(w: _Where, value: Any, where: str) -> list[int]:
    if not isinstance(value, list) or not value:
        raise w.error(where, value, "must be a non-empty list of integers >= 0")
    for s in value:
        if not isinstance(s, int) or isinstance(s, bool) or s < 0:
            raise w.error(where, value, "must be a non-empty list of integers >= 0")
    if len(set(value)) != len(value):
        raise w.error(where, value, "must not repeat a seed")
    return list(value)


def _label(kind_name: str, config: dict[str, Any], vary: dict[str, Any], hint: tuple[str, ...]) -> str:
    """``kind[k=v, ...]`` from the kind's usual keys (when set) and every swept key."""
    keys = [k for k in hint if config.get(k) is not None] + [k for k in vary if k not in hint]
    inner = ", ".join(f"{k}={config[k]}" for k in keys)
    return f"{kind_name}[{inner}]" if inner else kind_name


def parse_spec(data: dict[str, Any], *, path: str = "<spec>", quick: bool = False) -> SweepSpec:
    """Validate a spec already read from TOML and expand it into tasks."""
    from checker.io import fingerprint
    from checker.sweep.kinds import KINDS

    w = _Where(path)
    w.keys(data, _TOP, "")
    name = data.get("name")
    if not isinstance(name, str) or not name or any(c in name for c in "/\\\0") or name.startswith("."):
        raise w.error("name", name, "is required: a non-empty string without slashes")
    desc = data.get("description", "")
    if not isinstance(desc, str):
        raise w.error("description", desc, "must be a string")
    grids = data.get("grid")
    if not isinstance(grids, list) or not grids:
        raise w.error("grid", grids, "must be one or more [[grid]] tables")
    q = w.keys(data.get("quick", {}), _QUICK, "quick")
    qparams = w.keys(q.get("params", {}), list(q.get("params", {})), "quick.params")
    qvary = w.keys(q.get("vary", {}), list(q.get("vary", {})), "quick.vary")
    qseeds = _seeds(w, q["seeds"], "quick.seeds") if "seeds" in q else None

    kinds_used = []
    for gi, g in enumerate(grids):
        where = f"grid[{gi}]"
        w.keys(g, _GRID, where)
        kname = g.get("kind")
        if kname not in KINDS:
            close = suggest(str(kname), KINDS)
            raise w.error(f"{where}.kind", kname, f"must be one of {', '.join(KINDS)}",
                          hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None)
        kinds_used.append(KINDS[kname])
    for section, table in (("quick.params", qparams), ("quick.vary", qvary)):
        for k in table:
            if not any(k in kd.params for kd in kinds_used):
                allp = sorted({p for kd in kinds_used for p in kd.params})
                close = suggest(k, allp)
                raise w.error(f"{section}.{k}", table[k], "is not a parameter of any grid's kind",
                              hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None)

    tasks: list[Task] = []
    seen: set[str] = set()
    codes: dict[str, str] = {}
    for gi, (g, kind) in enumerate(zip(grids, kinds_used)):
        where = f"grid[{gi}]"
        params = dict(w.keys(g.get("params", {}), list(kind.params), f"{where}.params"))
        vary = dict(w.keys(g.get("vary", {}), list(kind.params), f"{where}.vary"))
        res = w.keys(g.get("resources", {}), _RESOURCES, f"{where}.resources")
        seeds = _seeds(w, g["seeds"], f"{where}.seeds") if "seeds" in g else None
        if quick:
            for k, v in qparams.items():
                if k in kind.params:
                    params[k] = v
                    vary.pop(k, None)
            for k, v in qvary.items():
                if k in kind.params:
                    vary[k] = v
                    params.pop(k, None)
            if qseeds is not None:
                seeds = qseeds
        for k in params:
            if k in vary:
                raise w.error(f"{where}.params.{k}", params[k], "is also in vary (give it in one place)")
        if seeds is not None:
            for t in ("params", "vary"):
                if "seed" in (params if t == "params" else vary):
                    raise w.error(f"{where}.{t}.seed", "...", "cannot be combined with seeds (use one)")
            vary["seed"] = seeds
        for k, v in vary.items():
            if not isinstance(v, list) or not v:
                raise w.error(f"{where}.vary.{k}", v, "must be a non-empty list of values")
        for k, v in params.items():
            params[k] = _check(w, f"{where}.params.{k}", v, kind.params[k])
        vary = {k: [_check(w, f"{where}.vary.{k}[{i}]", x, kind.params[k]) for i, x in enumerate(v)]
                for k, v in vary.items()}
        num_cpus = res.get("num_cpus", 1)
        num_gpus = res.get("num_gpus", None)
        for rk, rv in (("num_cpus", num_cpus), ("num_gpus", num_gpus)):
            if rv is not None and (isinstance(rv, bool) or not isinstance(rv, (int, float)) or rv < 0):
                raise w.error(f"{where}.resources.{rk}", rv, "must be a number >= 0")
        if num_cpus <= 0:
            raise w.error(f"{where}.resources.num_cpus", num_cpus, "must be > 0")
        if kind.name not in codes:
            codes[kind.name] = code_version(kind.packages)
        keys = list(vary)
        for combo in itertools.product(*(vary[k] for k in keys)):
            chosen = dict(zip(keys, combo))
            config = {k: p.default for k, p in kind.params.items()}
            config.update(params)
            config.update(chosen)
            config = {k: (list(v) if isinstance(v, list) else v) for k, v in config.items()}
            try:
                config = kind.normalise(config)
            except InvalidArgument as exc:
                src = "vary" if exc.name in chosen else "params"
                raise InvalidArgument(f"{path}: {where}.{src}.{exc.name}", exc.value, exc.rule,
                                      hint=exc.hint) from None
            dev = str(config.get("device", "cpu"))
            gpus = float(num_gpus) if num_gpus is not None else (1.0 if dev.startswith("cuda") else 0.0)
            if dev.startswith("cuda") and gpus <= 0:
                raise w.error(f"{where}.resources.num_gpus", num_gpus,
                              "must be > 0 when device is 'cuda' (the task needs a GPU)")
            h = fingerprint({"kind": kind.name, "config": config, "code": codes[kind.name]})
            if h in seen:
                continue
            seen.add(h)
            tasks.append(Task(kind=kind.name, config=config, hash=h, code=codes[kind.name],
                              label=_label(kind.name, config, chosen, kind.label_hint),
                              phase=int(kind.phase(config)), num_cpus=float(num_cpus), num_gpus=gpus))
    return SweepSpec(name=name, description=desc, path=path, quick=quick, tasks=tuple(tasks))


def _check(w: _Where, key: str, value: Any, param) -> Any:
    try:
        return check_value(key, value, param)
    except InvalidArgument as exc:
        raise w.error(key, exc.value, exc.rule, exc.hint) from None
