"""Command-line interface: ``checker SUBCOMMAND ...``.

Thin by design: it parses, calls the library, renders results. Exit codes: 0 every check
passed, 1 a check failed, 2 bad usage (any :class:`~checker.errors.CheckerError`, or an
:class:`OSError` on a path the user gave, printed as one line, never a traceback), 130
interrupted (Ctrl-C; long commands checkpoint, so a re-run resumes). Usage errors suggest close
matches of mistyped subcommands, flags (of the subcommand too) and choices; abbreviated flags
are refused.

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
    "sweep": "checker.cli.sweep",
}


class _Parser(argparse.ArgumentParser):
    """argparse with 'did you mean' hints and exit code 2 for every usage error.

    Abbreviated flags are refused (``--ful`` must not silently mean ``--full`` and start a
    paper-scale run); the error suggests the full flag instead."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}{_hint(self, message)}\n")


_ARGV: list[str] = []  # the command line being parsed (for hints on "required" errors)


def _hint(parser: argparse.ArgumentParser, message: str) -> str:
    """A ' (did you mean ...?)' hint for a mistyped choice or flag, else ''."""
    import re

    from checker.validate import suggest

    def fmt(close: list[str]) -> str:
        return f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""

    if "invalid choice" in message:
        bad = re.search(r"invalid choice: '((?:[^'\\]|\\.)*)'", message)
        if not bad:
            return ""
        listed = message.split("choose from", 1)[1] if "choose from" in message else ""
        choices = re.findall(r"'([^']*)'", listed) or list(SUBCOMMANDS)
        return fmt(suggest(bad.group(1), choices))
    words: list[str] = []
    if "unrecognized arguments" in message:
        words = message.split(":", 1)[1].split()
    elif "required" in message:  # a mistyped required flag shows up as "missing": look at argv
        known = {a for act in parser._actions for a in act.option_strings}
        words = [w for w in _ARGV if w.startswith("--") and w.split("=")[0] not in known]
    if words:
        opts = [a for act in parser._actions for a in act.option_strings]
        for word in words:
            if word.startswith("-"):
                flag = word.split("=")[0]
                close = [o for o in opts if o.startswith(flag) and len(flag) > 2] or suggest(flag, opts)
                if close:
                    return fmt(close) if "unrecognized" in message else f" ({flag!r}: {fmt(close)[2:-1]})"
    return ""


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


def _os_error(exc: OSError) -> str:
    """One line for an :class:`OSError`: what failed and on which path."""
    reason = exc.strerror or "the operating system refused it"
    where = exc.filename if exc.filename is not None else None
    text = f"cannot use {str(where)!r}: {reason}" if where is not None else f"{reason}: {exc}"
    return " ".join(text.split())[:500]


def _as_typed(exc, sub: argparse.ArgumentParser | None, argv: Sequence[str]):
    """An :class:`InvalidArgument` raised by library code names the library's parameter
    (``dataset``, ``path``); on the command line the user typed an option (``--dataset``) or a
    positional (``MODEL``). Rename it to what was typed when the subcommand has an option or
    positional of that name; otherwise keep it (it is then a rule of a file's content or of a
    computed value, and the message says which)."""
    from checker.errors import InvalidArgument

    if not isinstance(exc, InvalidArgument) or sub is None or exc.name.startswith("-"):
        return exc
    dest = exc.name.replace("-", "_")
    for act in sub._actions:
        if act.dest != dest or isinstance(act, argparse._HelpAction):
            continue
        if act.option_strings:
            typed = [o for o in act.option_strings
                     if any(a == o or a.startswith(o + "=") for a in argv)]
            shown = (typed or [o for o in act.option_strings if o.startswith("--")] or act.option_strings)[0]
        else:
            shown = act.metavar if isinstance(act.metavar, str) else act.dest.upper()
        return InvalidArgument(shown, exc.value, exc.rule, hint=exc.hint)
    return exc


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for act in parser._actions:
        if isinstance(act, argparse._SubParsersAction):
            return dict(act.choices)
    return {}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, mods = build_parser()
    _ARGV[:] = argv
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:  # report them from the subcommand's parser, so its flags are suggested
            sub = _subparsers(parser).get(getattr(args, "command", None) or "", parser)
            sub.error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as exc:  # argparse: --help (0) or usage error (2)
        return int(exc.code or 0) if isinstance(exc.code, (int, type(None))) else EXIT_USAGE
    args.argv = tuple(argv)  # the command line as given (run records it in its provenance)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(mods[args.command].run(args))  # type: ignore[attr-defined]
    except CheckerError as exc:
        exc = _as_typed(exc, _subparsers(parser).get(args.command), argv)
        print(f"checker {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a path the user gave cannot be read or written (the CLI-wide guard)
        print(f"checker {args.command}: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        if "null byte" not in str(exc):  # only the path error of os/pathlib; others are bugs
            raise
        print(f"checker {args.command}: error: a path contains a NUL character", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"checker {args.command}: interrupted (completed work is checkpointed; "
              "re-run the same command to resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
