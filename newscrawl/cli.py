"""The ``newscrawl`` command. Each subcommand lives in a module of ``newscrawl.commands``."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

PROJECT_ROOT = Path(__file__).resolve().parents[1]

COMMANDS = (
    "crawl",
    "frontier",
    "extract",
    "demo",
    "validate",
    "fixtures",
    "profile",
    "state",
    "export",
    "stats",
)
"""Modules of ``newscrawl.commands``, in the order their commands are listed in ``--help``."""


class CommandError(Exception):
    """A command cannot go on; its message is printed as one line and the exit code is 2."""


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Return ``value`` as JSON with non-ASCII kept as is."""
    separators = None if indent else (",", ":")
    return json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)


EXIT_USAGE = 2
"""Exit status of a usage error: one line on stderr, no traceback."""

EXIT_BROKEN_PIPE = 141
"""Exit status when the reader of stdout went away (``newscrawl schema | head -1``): what a
shell reports for a program that SIGPIPE ended, which is how ``cat`` or ``git`` end there."""


class Parser(argparse.ArgumentParser):
    """argparse, except that a usage error is one line on stderr (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: <message> (see <prog> --help)`` on stderr and exit with 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parse_now(value: str | None, name: str = "--now") -> datetime | None:
    """Return a ``--now`` value as an aware datetime (None for None); raise CommandError,
    naming the value as ``name``, for text that is not ISO 8601 or has no UTC offset."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{name} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise CommandError(f"{name} {value!r} needs a UTC offset, e.g. +00:00")
    return parsed


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``newscrawl`` command."""
    parser = Parser(
        prog="newscrawl", description="Crawl news portals into validated JSON Lines records."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"newscrawl.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    A CommandError is one line on stderr and exit code 2. When stdout's reader goes away
    early, the command stops quietly with ``EXIT_BROKEN_PIPE``.
    """
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except CommandError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # Nothing more can reach the reader; point stdout at /dev/null so that Python's own
        # flush at exit does not fail again with a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # As ``python -m newscrawl.cli`` this file is ``__main__``: run the one the commands import.
    from newscrawl.cli import main as _main

    sys.exit(_main())
