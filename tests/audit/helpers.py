"""Small builders of outline TOML text for the audit tests."""

from __future__ import annotations

from pathlib import Path

HEADER = '[outline]\nid = "t"\ntitle = "test outline"\npaper = "test"\n'
PROV = 'provenance = { paper = "t", version = "v1", where = "here", reliability = "[D]" }\n'


def node(nid: str, kind: str = "lemma", body: str = "", **extra: str) -> str:
    lines = [f'\n[[node]]\nid = "{nid}"\nkind = "{kind}"\ntitle = "{nid}"\n{PROV}']
    for k, v in extra.items():
        lines.append(f"{k} = {v}\n")
    return "".join(lines) + body


def write(dirpath: Path, text: str, name: str = "t.toml") -> Path:
    p = Path(dirpath) / name
    p.write_text(HEADER + text)
    return p
