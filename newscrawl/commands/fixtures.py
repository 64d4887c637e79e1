"""``newscrawl fixtures``: maintain the saved pages and their expected records."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.cli import PROJECT_ROOT, CommandError, dumps, parse_now


def cmd_fixtures_rerun(args: argparse.Namespace) -> int:
    """Print (or write) the current extraction of fixture cases, for a reviewed update.

    Every case is read, and every site's profile loaded, before any is extracted or
    written: half a case (a page without its JSON or the reverse), a name that matches no
    case, a broken case JSON or a profile that does not load stops the command with one
    line (exit 2) and nothing written.
    """
    from newscrawl.devtools.fixtures import FixtureCase, FixtureError, find_cases
    from newscrawl.profiles import ProfileError, load_profile

    try:
        cases = find_cases(Path(args.fixtures), args.cases)
    except FixtureError as exc:
        raise CommandError(str(exc)) from None
    if not cases:
        raise CommandError(f"no fixture case matches {' '.join(args.cases) or '(all)'}")
    unmatched = [n for n in args.cases if not any(n in (c.id, c.name) for c in cases)]
    if unmatched:
        raise CommandError(f"no fixture case matches {' '.join(unmatched)}")
    try:
        for case in cases:  # every case read before any is written: a broken one stops all
            case.spec()
            load_profile(case.site)
    except FixtureError as exc:
        raise CommandError(str(exc)) from None
    except ProfileError as exc:
        raise CommandError(f"{case.id}: {exc}") from None
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


def _now(value: str | None) -> datetime:
    """Return ``--now`` as an aware datetime (default: this second, in UTC)."""
    return parse_now(value) or datetime.now(UTC).replace(microsecond=0)


def _shown(path: Path) -> str:
    """Return ``path`` relative to the working folder when it is inside it."""
    return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)


def cmd_fixtures_new(args: argparse.Namespace) -> int:
    """Save a page as a new fixture case with its current extraction, for review."""
    from newscrawl.commands.extract import read_page
    from newscrawl.devtools.fixtures import FixtureError, new_case

    now = _now(args.now)
    page = read_page(Path(args.file))
    try:
        case, result = new_case(
            Path(args.fixtures),
            args.site,
            args.case,
            url=args.url,
            page=page,
            now=now,
            force=args.force,
        )
    except FixtureError as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {_shown(case.html_path)}")
    print(f"wrote {_shown(case.json_path)}")
    if result["record"] is None:
        print(f"no record: {result['error']} (a negative case)")
    for field in result.get("invalid_fields", []):
        print(f"the record fails the schema on {field} (kept in invalid_fields)")
    print("Check every field of the JSON against the page before you commit it.")
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
    new = fsub.add_parser(
        "new", help="save a page as a case, with its current extraction to review"
    )
    new.add_argument("site", help="the portal profile the page belongs to (or generic)")
    new.add_argument("case", help="the case name, e.g. seed-article")
    new.add_argument("file", metavar="FILE", help="the saved page (.html or .html.gz)")
    new.add_argument("--url", required=True, help="the URL the page was fetched from")
    new.add_argument("--now", help="the frozen crawl time, ISO 8601 with offset (default: now)")
    new.add_argument("--force", action="store_true", help="replace an existing case")
    new.add_argument("--fixtures", default=str(PROJECT_ROOT / "fixtures"))
    new.set_defaults(func=cmd_fixtures_new)
