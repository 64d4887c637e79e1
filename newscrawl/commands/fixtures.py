"""``newscrawl fixtures``: maintain the saved pages and their expected records."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from newscrawl.cli import PROJECT_ROOT, CommandError, dumps


def cmd_fixtures_rerun(args: argparse.Namespace) -> int:
    """Print (or write) the current extraction of fixture cases, for a reviewed update."""
    from newscrawl.devtools.fixtures import FixtureCase, find_cases

    cases = find_cases(Path(args.fixtures), args.cases)
    if not cases:
        raise CommandError(f"no fixture case matches {' '.join(args.cases) or '(all)'}")
    for case in cases:
        result: FixtureCase = case
        current = result.current()
        if args.write:
            result.write_expected(current)
            print(f"wrote {result.json_path}")
        else:
            print(f"== {result.name}")
            print(dumps(current, indent=2))
    return 0


def register(sub: Any) -> None:
    """Add the ``fixtures`` commands to the subcommands ``sub``."""
    fixtures = sub.add_parser("fixtures", help="fixture maintenance")
    fsub = fixtures.add_subparsers(dest="fixtures_command", required=True)
    rerun = fsub.add_parser("rerun", help="print or write the current extraction of cases")
    rerun.add_argument("cases", nargs="*", help="case names (site/case or case); all if none")
    rerun.add_argument("--write", action="store_true", help="overwrite the expected records")
    rerun.add_argument("--fixtures", default=str(PROJECT_ROOT / "fixtures"))
    rerun.set_defaults(func=cmd_fixtures_rerun)
