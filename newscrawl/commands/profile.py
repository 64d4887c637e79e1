"""``newscrawl profile check``: the checks a profile gets when it loads, on any file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from newscrawl.cli import CommandError


def cmd_profile_check(args: argparse.Namespace) -> int:
    """Print one line per problem of each profile file; exit 1 when there is any.

    The checks are the loader's (``newscrawl.profiles.check``): unknown keys, wrong types,
    missing teaser keys, selectors that do not compile, bad regexes and timezones, and an
    ``extends`` that names no profile. A file that cannot be read is a usage error.
    """
    from newscrawl.profiles.check import file_problems

    problems: list[str] = []
    for name in args.files:
        path = Path(name)
        try:
            problems += file_problems(path)
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for line in problems:
        print(line)
    return 1 if problems else 0


def register(sub: Any) -> None:
    """Add the ``profile`` commands to the subcommands ``sub``."""
    profile = sub.add_parser("profile", help="site profile tools")
    psub = profile.add_subparsers(dest="profile_command", required=True)
    check = psub.add_parser("check", help="check profile files (keys, types, selectors)")
    check.add_argument("files", nargs="+", metavar="FILE", help="profile TOML files")
    check.set_defaults(func=cmd_profile_check)
