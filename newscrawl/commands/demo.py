"""``newscrawl demo``: serve a fixture portal on 127.0.0.1 and crawl it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from newscrawl.cli import PROJECT_ROOT, CommandError
from newscrawl.commands.crawl import _run, _settings, add_log_level


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the bundled fixture portal on 127.0.0.1 and crawl it with the real spider."""
    from newscrawl.devtools.devserver import FixtureSite, serve

    root = Path(args.fixtures)
    if not root.is_dir():
        raise CommandError(f"{root}: fixture portal not found (run from the project root)")
    settings = _settings(
        args.set,
        NEWSCRAWL_OUTPUT_DIR=args.output,
        NEWSCRAWL_STATE_DIR=args.state or str(Path(args.output) / ".state"),
        LOG_LEVEL=args.log_level,
        AUTOTHROTTLE_START_DELAY=0.0,
        DOWNLOAD_DELAY=0.0,
    )
    overlays = [Path(o) for o in args.overlay]
    with serve(FixtureSite(root, origins=(), overlays=overlays)) as server:
        print(f"serving {root} at {server.url} as https://jmn.info")
        return _run("jmn", settings, base_url=server.url)


def register(sub: Any) -> None:
    """Add the ``demo`` command to the subcommands ``sub``."""
    demo = sub.add_parser("demo", help="crawl the bundled fixture portal on 127.0.0.1")
    demo.add_argument("-o", "--output", default="out/demo")
    demo.add_argument("--fixtures", default=str(PROJECT_ROOT / "fixtures" / "jmn"))
    demo.add_argument("--state", help="state folder (default: OUTPUT/.state)")
    demo.add_argument(
        "--overlay",
        action="append",
        default=[],
        help="serve these changes on top (e.g. fixtures/jmn/nextday, the portal a day later)",
    )
    demo.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    add_log_level(demo, default="WARNING")
    demo.set_defaults(func=cmd_demo)
