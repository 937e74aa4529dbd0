"""Command-line interface: ``checker SUBCOMMAND ...``.

Thin by design: it parses, calls the library, renders results. Exit codes: 0 every check
passed, 1 a check failed, 2 bad usage (any :class:`~checker.errors.CheckerError`, printed as
one line, never a traceback).

Each subcommand lives in its own module ``checker.cli.<name>`` exposing
``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from checker.errors import CheckerError

__all__ = ["main", "SUBCOMMANDS", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: subcommand name -> module; the order is the order of ``checker --help``.
SUBCOMMANDS: dict[str, str] = {
    "run": "checker.cli.run",
    "bound": "checker.cli.bound",
    "audit": "checker.cli.audit",
    "trust": "checker.cli.trust",
    "graph": "checker.cli.graph",
    "construct": "checker.cli.construct",
    "gan": "checker.cli.gan",
    "birthday": "checker.cli.birthday",
    "train": "checker.cli.train",
    "attack": "checker.cli.attack",
    "certify": "checker.cli.certify",
}


class _Parser(argparse.ArgumentParser):
    """argparse with 'did you mean' hints and exit code 2 for every usage error."""

    def error(self, message: str):  # noqa: D401 - argparse API
        from checker.validate import suggest

        hint = ""
        if "invalid choice" in message and "'" in message:
            bad = message.split("'")[1]
            close = suggest(bad, SUBCOMMANDS)
            if close:
                hint = f" (did you mean {' or '.join(map(repr, close))}?)"
        elif "unrecognized arguments" in message:
            words = message.split(":", 1)[1].split()
            opts = [a for act in self._actions for a in act.option_strings]
            for w in words:
                close = suggest(w.split("=")[0], opts)
                if close:
                    hint = f" (did you mean {' or '.join(map(repr, close))}?)"
                    break
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}{hint}\n")


def _available() -> dict[str, object]:
    mods = {}
    for name, modname in SUBCOMMANDS.items():
        try:
            mods[name] = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:  # subcommand not built (yet)
                continue
            raise
    return mods


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    from checker import __version__

    parser = _Parser(prog="checker", description=(
        "Check two ML-theory results: bounds, proof outlines, constructions and certificates."))
    parser.add_argument("--version", action="version", version=f"checker {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    mods = _available()
    for name, mod in mods.items():
        mod.add_parser(sub)  # type: ignore[attr-defined]
    return parser, mods


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, mods = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage error (2)
        return int(exc.code or 0)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(mods[args.command].run(args))  # type: ignore[attr-defined]
    except CheckerError as exc:
        print(f"checker {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"checker {args.command}: interrupted (completed work is checkpointed; "
              "re-run the same command to resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
