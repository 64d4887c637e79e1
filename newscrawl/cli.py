"""The ``newscrawl`` command. Each subcommand lives in a module of ``newscrawl.commands``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]

COMMANDS = ("crawl", "frontier", "extract", "demo", "validate", "fixtures", "profile")
"""Modules of ``newscrawl.commands``, in the order their commands are listed in ``--help``."""


class CommandError(Exception):
    """A command cannot go on; its message is printed as one line and the exit code is 2."""


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Return ``value`` as JSON with non-ASCII kept as is."""
    separators = None if indent else (",", ":")
    return json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``newscrawl`` command."""
    parser = argparse.ArgumentParser(
        prog="newscrawl", description="Crawl news portals into validated JSON Lines records."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"newscrawl.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CommandError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # As ``python -m newscrawl.cli`` this file is ``__main__``: run the one the commands import.
    from newscrawl.cli import main as _main

    sys.exit(_main())
