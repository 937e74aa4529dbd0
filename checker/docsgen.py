"""Generate the docs pages that must not drift from the code.

* ``docs/theorems/<id>.md`` and ``docs/theorems/index.md`` — from the theorem registry, the
  bound library's statements and the proof outlines (statement, provenance, outline graph, how
  each step is checked, what is trusted);
* ``docs/cli.md`` — from the CLI's own argument parsers.

``python -m checker.docsgen`` rewrites them; a test fails when the committed pages differ from
what the code generates.
"""

from __future__ import annotations

import argparse
import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

__all__ = ["generate", "cli_reference", "theorem_pages", "main"]

DOCS = Path(__file__).resolve().parents[1] / "docs"


def cli_reference() -> str:
    from checker.cli import SUBCOMMANDS, build_parser

    parser, mods = build_parser()
    lines = ["# CLI reference", "",
             "Generated from the argument parsers (`python -m checker.docsgen`). Exit codes: "
             "**0** every check passed, **1** a check failed, **2** bad usage (a one-line "
             "message naming the parameter and the rule it broke).", "",
             "```text", _help(parser), "```"]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in SUBCOMMANDS:
        if name not in sub.choices:
            continue
        lines += ["", f"## checker {name}", "", "```text", _help(sub.choices[name]), "```"]
    return "\n".join(lines) + "\n"


def _help(parser: argparse.ArgumentParser) -> str:
    import os

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        buf = io.StringIO()
        with redirect_stdout(buf):
            parser.print_help()
        return buf.getvalue().rstrip()
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def theorem_pages() -> dict[str, str]:
    """Pages keyed by file name (relative to docs/theorems/)."""
    from checker.docs_theorems import render_pages

    return render_pages()


def generate() -> dict[Path, str]:
    pages = {DOCS / "cli.md": cli_reference()}
    for name, text in theorem_pages().items():
        pages[DOCS / "theorems" / name] = text
    return pages


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m checker.docsgen", description=__doc__)
    ap.add_argument("--check", action="store_true", help="exit 1 if any page is out of date")
    args = ap.parse_args(argv)
    stale = []
    for path, text in generate().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for p in stale:
        print(("out of date: " if args.check else "wrote ") + str(p), file=sys.stderr)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
