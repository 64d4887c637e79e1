"""``newscrawl state rebuild``: rebuild a site's state from the published output.

The state (``<state>/<site>.sqlite3``) only remembers what the published files already
hold: which articles were written, under which URLs, with which fingerprint, revision and
date, and which pages gave a reject of which kind. So a lost or corrupt state file loses
nothing: ``rebuild`` registers every published file again, records and rejects, into a
fresh file and puts it in place of the old one.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.cli import CommandError

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside a database; they belong to it and move with it."""


def _move_aside(path: Path, suffix: str) -> Path | None:
    """Rename the database ``path`` and its side files to ``<name><suffix>``; return the new
    path of the database, or None when there was none."""
    moved = None
    for side in ("", *SQLITE_SIDE_FILES):
        source = path.with_name(path.name + side)
        if source.exists():
            target = path.with_name(path.name + suffix + side)
            os.replace(source, target)
            if not side:
                moved = target
    return moved


def rebuild_state(site: str, output_root: Path, state_dir: Path) -> dict[str, Any]:
    """Rebuild ``<state_dir>/<site>.sqlite3`` from the record files published under
    ``<output_root>/<site>/`` and return what was done.

    Holds the site's run lock, then its output folder's lock, throughout, as a crawl does
    (raises AlreadyRunning when a run holds either): a run with another state folder may
    be writing ``<output_root>/<site>/``, and a rebuild beside it would read a folder that
    is still changing, taking in batches that run has not registered yet (and one it then
    withdraws, its folder sync failing, would stay registered with no file). When the
    output folder's lock file cannot be created (a read-only output), the rebuild goes on
    without it, as a crawl does. The new state is built in a temporary file beside the old
    one and then renamed over it, so an interrupted rebuild leaves the old state in place.
    The old file, if any, is kept as ``<site>.sqlite3.old``. Raises StateError when a
    published file cannot be read.

    The published rejects files are registered too, each run's files in the order the runs
    published them (``register_history``), so the pages that gave no record keep their
    kinds: a content reject (``not-article``...) is not fetched again, and a page that
    fails again is counted as such. What the rebuilt state does not have: the dates of
    unchanged pages that later runs noted, which only saves a fetch, and the feed or
    sitemap date of a page (the run's time stands for it: ``record_lastmod``,
    ``read_rejects``).
    """
    from newscrawl.storage.runlock import RunLock
    from newscrawl.storage.state import (
        StateStore,
        published_files,
        published_rejects,
        register_history,
    )

    target = state_dir / f"{site}.sqlite3"
    temp = state_dir / f".{site}.sqlite3.rebuild"
    with RunLock.for_site(state_dir, site), ExitStack() as locks:
        # No lock file can be made in a read-only output (OSError): go on without it.
        # AlreadyRunning, another run writing there, is no OSError: it goes on up.
        with suppress(OSError):
            locks.enter_context(RunLock.for_output(output_root, site))
        for side in ("", *SQLITE_SIDE_FILES):  # left by an interrupted rebuild
            temp.with_name(temp.name + side).unlink(missing_ok=True)
        with StateStore(temp) as store:
            registered, rejects = register_history(store, output_root, site)
            counts = store.stats()
        old = _move_aside(target, ".old")
        os.replace(temp, target)
    return {
        "state": str(target),
        "old_state": str(old) if old else None,
        # every records and rejects file: a new state has none of them registered before
        "files": len(registered) + len(published_rejects(output_root, site)),
        "articles": counts["articles"],
        "rejects": rejects,
        "published_files": len(published_files(output_root, site)),
    }


def cmd_state_rebuild(args: argparse.Namespace) -> int:
    """Rebuild a site's state file from its published output."""
    from newscrawl.preflight import UsageError, check_writable_folder
    from newscrawl.storage.output import NAME_PART
    from newscrawl.storage.runlock import AlreadyRunning
    from newscrawl.storage.state import StateError

    site = args.site
    if not NAME_PART.fullmatch(site):
        raise CommandError(f"site {site!r} is not a plain name such as jmn")
    output_root = Path(args.output)
    if not (output_root / site).is_dir():
        raise CommandError(f"no output for {site!r} in {output_root} (is -o the crawl's -o?)")
    state_dir = Path(args.state)
    try:
        check_writable_folder(state_dir, "state folder")
    except UsageError as exc:
        raise CommandError(str(exc)) from None
    started = datetime.now(UTC)
    try:
        done = rebuild_state(site, output_root, state_dir)
    except AlreadyRunning as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return exc.exit_code
    except StateError as exc:
        raise CommandError(f"cannot rebuild the state: {exc}") from None
    seconds = (datetime.now(UTC) - started).total_seconds()
    print(
        f"rebuilt {done['state']} from {done['files']} published files "
        f"({done['articles']} articles, {done['rejects']} rejects) in {seconds:.1f} s"
    )
    if done["old_state"]:
        print(f"the previous state file is kept as {done['old_state']}")
    return 0


def register(sub: Any) -> None:
    """Add the ``state`` commands to the subcommands ``sub``."""
    state = sub.add_parser("state", help="maintain a site's crawl state")
    ssub = state.add_subparsers(dest="state_command", required=True)
    rebuild = ssub.add_parser(
        "rebuild",
        help="rebuild a site's state from its published output (a lost or corrupt state)",
        description=(
            "Register every record and rejects file published under OUT/SITE/ into a new "
            "state file and "
            "put it in place of STATE/SITE.sqlite3 (the old one is kept as .old). Use the "
            "-o and --state of the crawl."
        ),
    )
    rebuild.add_argument("site", help="portal profile name, e.g. jmn")
    rebuild.add_argument("-o", "--output", default="out", help="output root (default: out)")
    rebuild.add_argument("--state", default=".state", help="state folder (default: .state)")
    rebuild.set_defaults(func=cmd_state_rebuild)
